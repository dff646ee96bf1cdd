//! An authority opens a wave; invitations reach citizens by Digital Post or on paper; a
//! citizen books and the confirmation reaches their Digital Post inbox as a calendar
//! appointment.

use booking::settings::Settings as BookingSettings;
use booking::startup::Application;
use notifier::sim::memo::MessageKind;
use notifier::sim::Simulator;
use notifier::worker::Worker;
use serde_json::{json, Value};
use service_kit::testing::{redis_url, unique_redis_prefix, TestDatabase};

const HEADER: &str = "cpr,given_name,family_name,address,postcode,city,municipality_code,digital_post,nemsms,language,priority_groups";
const DIGITAL: &str = "0101401111";
const EXEMPT: &str = "0202402222";

struct Api {
    base: String,
    http: reqwest::Client,
}

impl Api {
    async fn token(&self, body: Value) -> String {
        let v: Value = self
            .http
            .post(format!("{}/dev/token", self.base))
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v["access_token"].as_str().unwrap().to_owned()
    }

    async fn post(&self, token: &str, path: &str, body: Value) -> Value {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{path}: {}", r.status());
        r.json().await.unwrap()
    }

    async fn get(&self, token: &str, path: &str) -> Value {
        self.http
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invitation_letters_and_a_booking_confirmation_reach_citizens() {
    let db = TestDatabase::create().await.unwrap();

    // The booking service.
    let mut settings = BookingSettings::default();
    settings.http.port = 0;
    settings.http.workers = 1;
    settings.database.url = db.url.clone();
    settings.redis.url = redis_url();
    settings.redis.key_prefix = unique_redis_prefix();
    settings.identity.dev_provider = true;
    settings.telemetry.filter = "warn".into();
    let app = Application::build(settings).await.unwrap();
    let api = Api {
        base: format!("http://127.0.0.1:{}", app.port()),
        http: reqwest::Client::new(),
    };
    tokio::spawn(app.run_until_stopped());

    // The Digital Post simulator and a notifier worker on the same database.
    let sim = Simulator::start(Default::default()).unwrap();
    let mut ns = notifier::settings::Settings::default();
    ns.database.url = db.url.clone();
    ns.redis.url = redis_url();
    ns.redis.key_prefix = unique_redis_prefix();
    ns.gateway.url = sim.memo_url();
    ns.gateway.receipts_url = sim.receipts_url();
    ns.gateway.rate_per_second = 1000;
    let print_dir = std::env::temp_dir().join(format!(
        "e2e-print-{}",
        unique_redis_prefix().trim_end_matches(':')
    ));
    ns.print.dir = print_dir.to_string_lossy().into_owned();
    let worker = Worker::build(ns, Default::default()).await.unwrap();

    // An authority sets up an invitation campaign with slots, and the population.
    let authority = api
        .token(json!({"role": "authority", "subject": "sst-1"}))
        .await;
    api.post(
        &authority,
        "/v1/campaigns",
        json!({"code": "covid-dose-1", "name": "COVID-19 vaccination, 1. stik", "kind": "vaccination", "access": "invitation"}),
    )
    .await;
    let site = api
        .post(
            &authority,
            "/v1/sites",
            json!({"name": "Vaccinationscenter Aarhus", "address": "Ådalen 1", "postcode": "8000",
                   "municipality_code": 751, "location": {"lat": 56.15, "lon": 10.2},
                   "campaigns": ["covid-dose-1"]}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let day = booking::domain::slotgen::local_date(chrono::Utc::now()) + chrono::Duration::days(2);
    api.post(
        &authority,
        &format!("/v1/sites/{site}/slots"),
        json!({"campaign": "covid-dose-1", "from": day, "to": day, "opens": "09:00",
               "closes": "10:00", "interval_minutes": 30, "capacity": 2}),
    )
    .await;
    let csv = format!(
        "{HEADER}\n{DIGITAL},Åse,Mølgaard,Vestergade 1,8000,Aarhus,751,digital,false,da,\n\
         {EXEMPT},Søren,Østergaard,Nørregade 2,8000,Aarhus,751,exempt,false,da,\n"
    );
    let r = api
        .http
        .post(format!("{}/v1/population", api.base))
        .bearer_auth(&authority)
        .body(csv)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());

    // The wave: both are 80+ in Aarhus.
    let on = chrono::Utc::now().date_naive();
    let cohort = api
        .post(
            &authority,
            "/v1/cohorts",
            json!({"name": "80+ Aarhus", "criteria": {"age": {"min": 80, "on": on}, "municipalities": [751]}}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let wave = api
        .post(
            &authority,
            "/v1/waves",
            json!({"cohort_id": cohort, "campaign": "covid-dose-1"}),
        )
        .await;
    assert_eq!(wave["invited"], 2);

    // The notifier delivers: Digital Post for one, paper for the other.
    let report = worker.drain().await.unwrap();
    assert_eq!(report.delivered, 2);
    let inbox = sim.state.inbox(DIGITAL, MessageKind::DigitalPost);
    assert_eq!(inbox.len(), 1);
    assert!(
        inbox[0].xml.contains("SELVBETJENING"),
        "the invitation links to booking"
    );
    assert!(sim.state.inbox(EXEMPT, MessageKind::DigitalPost).is_empty());
    let pdfs = std::fs::read_dir(&print_dir)
        .map(|d| {
            d.flatten()
                .flat_map(|batch| {
                    std::fs::read_dir(batch.path())
                        .into_iter()
                        .flatten()
                        .flatten()
                })
                .filter(|f| f.path().extension().is_some_and(|e| e == "pdf"))
                .count()
        })
        .unwrap_or(0);
    assert_eq!(pdfs, 1, "one paper letter in a print batch");
    let figures = api
        .get(&authority, &format!("/v1/waves/{}", wave["id"]))
        .await["figures"]
        .clone();
    assert_eq!(figures["delivered"], 2);
    assert_eq!(figures["paper"], 1);

    // The invited citizen books; the confirmation arrives as an appointment.
    let citizen = api.token(json!({"role": "citizen", "cpr": DIGITAL})).await;
    let slots = api
        .get(&citizen, &format!("/v1/sites/{site}/slots?date={day}"))
        .await;
    let slot = slots["slots"][0]["id"].as_i64().unwrap();
    let hold = api
        .post(&citizen, "/v1/holds", json!({"slot_id": slot}))
        .await;
    api.post(
        &citizen,
        "/v1/bookings",
        json!({"hold_id": hold["hold_id"]}),
    )
    .await;
    worker.drain().await.unwrap();
    let inbox = sim.state.inbox(DIGITAL, MessageKind::DigitalPost);
    assert_eq!(inbox.len(), 2);
    assert!(
        inbox[0].xml.contains("AFTALE"),
        "the confirmation is a calendar appointment"
    );
    let figures = api
        .get(&authority, &format!("/v1/waves/{}", wave["id"]))
        .await["figures"]
        .clone();
    assert_eq!(figures["booked"], 1);
    let _ = std::fs::remove_dir_all(&print_dir);
}
