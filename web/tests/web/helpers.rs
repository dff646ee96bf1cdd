//! Starts the booking service (with the dev identity provider) and the web front end
//! in-process, on free ports, against a fresh database and a private Redis prefix, and
//! loads a small world: an open PCR campaign, an invitation-only vaccination campaign,
//! three sites (Aarhus twice, København) with slots on the next days.

use booking::settings::Settings as BookingSettings;
use serde_json::{json, Value};
use service_kit::testing::{redis_url, unique_redis_prefix, TestDatabase};

pub struct Stack {
    pub booking: String,
    pub passes: String,
    pub web: String,
    pub authority: String,
    pub http: reqwest::Client,
    pub sites: Vec<i64>,
    keys_dir: std::path::PathBuf,
    _db: TestDatabase,
}

impl Drop for Stack {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.keys_dir);
    }
}

/// The EU value sets the pass service checks codes against.
fn value_sets_dir() -> String {
    let local = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/testdata/dcc-valuesets");
    if local.exists() {
        local.display().to_string()
    } else {
        "/work/shared/testdata/dcc-valuesets".into()
    }
}

/// A development Document Signer (key and certificate) in a fresh folder.
fn dev_keys() -> std::path::PathBuf {
    use certificate::devkeys::{self, DscLayout};
    let dir = std::env::temp_dir().join(format!("web-test-keys-{}", rand_suffix()));
    std::fs::create_dir_all(&dir).expect("key dir");
    let set = devkeys::generate(
        "DK",
        DscLayout::OneForAll,
        std::time::SystemTime::now(),
        3650,
        365,
    )
    .expect("dev keys");
    let dsc = &set.dscs[0];
    std::fs::write(dir.join("dsc-key.der"), &dsc.private_key_pkcs8).expect("write key");
    std::fs::write(dir.join("dsc.der"), &dsc.certificate_der).expect("write dsc");
    dir
}

fn rand_suffix() -> String {
    unique_redis_prefix().trim_end_matches(':').to_owned()
}

/// Citizens in the population register with a vaccination (passes carry their name).
pub const VACCINATED: [u32; 2] = [21, 31];

/// Citizens of København (101), whom a worker of that municipality may help; born in
/// 1980, so the 50-59 cohorts and uptake figures of Aarhus stay as they were.
pub const IN_COPENHAGEN: [u32; 4] = [3382, 3383, 3411, 3412];

/// A valid CPR number for test citizen `n` (born 1970-1999).
pub fn cpr(n: u32) -> String {
    let day = 1 + n % 28;
    let month = 1 + (n / 28) % 12;
    let year = 70 + (n / 336) % 30;
    format!("{day:02}{month:02}{year:02}{:04}", n % 4000)
}

impl Stack {
    pub async fn start() -> Stack {
        Self::start_with(|_| {}).await
    }

    /// As `start`, with the web front end's settings changed first.
    pub async fn start_with(change: impl FnOnce(&mut web::settings::Settings)) -> Stack {
        Self::start_configured(|_| {}, change).await
    }

    /// As `start`, with the booking service's and the web front end's settings changed.
    pub async fn start_configured(
        booking_change: impl FnOnce(&mut BookingSettings),
        change: impl FnOnce(&mut web::settings::Settings),
    ) -> Stack {
        let db = TestDatabase::create().await.expect("test database");
        let mut b = BookingSettings::default();
        b.http.port = 0;
        b.http.workers = 2;
        b.database.url = db.url.clone();
        b.database.pool_size = 8;
        b.redis.url = redis_url();
        b.redis.key_prefix = unique_redis_prefix();
        b.identity.dev_provider = true;
        b.telemetry.filter = "warn".into();
        // Waiting-room pages refresh every 2 s here, so a test waits seconds, not minutes.
        b.waiting_room.refresh_seconds = 2;
        booking_change(&mut b);
        let app = booking::startup::Application::build(b)
            .await
            .expect("booking starts");
        let booking = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());

        // The pass service on the same database, trusting the booking service's dev
        // identity provider: one sign-in token serves both APIs.
        let keys_dir = dev_keys();
        let mut p = pass_service::settings::Settings::default();
        p.http.port = 0;
        p.http.workers = 1;
        p.database.url = db.url.clone();
        p.database.pool_size = 4;
        p.database.migrate = false;
        p.identity.jwks_url = format!("{booking}/dev/jwks.json");
        p.telemetry.filter = "warn".into();
        p.signing.key_path = keys_dir.join("dsc-key.der").display().to_string();
        p.signing.dsc_path = keys_dir.join("dsc.der").display().to_string();
        p.registers.value_sets_dir = value_sets_dir();
        let app = pass_service::startup::Application::build(p)
            .await
            .expect("pass service starts");
        let passes = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());

        let mut w = web::settings::Settings::default();
        w.http.port = 0;
        w.http.workers = 2;
        w.apis.booking_url = booking.clone();
        w.apis.passes_url = passes.clone();
        w.identity.dev_token_url = format!("{booking}/dev/token");
        change(&mut w);
        let app = web::startup::Application::build(w)
            .await
            .expect("web starts");
        let web = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());

        let http = reqwest::Client::new();
        let mut stack = Stack {
            booking,
            passes,
            web,
            authority: String::new(),
            http,
            sites: vec![],
            keys_dir,
            _db: db,
        };
        stack.authority = stack
            .token(json!({"role": "authority", "subject": "sst-1"}))
            .await;
        stack.load_world().await;
        stack.load_registers().await;
        stack
    }

    async fn load_registers(&self) {
        let header = "cpr,given_name,family_name,address,postcode,city,municipality_code,digital_post,nemsms,language,priority_groups";
        let mut csv = format!("{header}\n");
        for n in VACCINATED {
            csv.push_str(&format!(
                "{},Åse,Mølgaard,Vestergade {n},8000,Aarhus,751,digital,false,da,\n",
                cpr(n)
            ));
        }
        for n in IN_COPENHAGEN {
            csv.push_str(&format!(
                "{},Karl,Holm,Nørregade {n},1165,København K,101,digital,false,da,\n",
                cpr(n)
            ));
        }
        let r = self
            .http
            .post(format!("{}/v1/population", self.booking))
            .bearer_auth(&self.authority)
            .header("content-type", "text/csv")
            .body(csv)
            .send()
            .await
            .expect("population");
        assert!(r.status().is_success(), "population: {}", r.status());
        let site = self
            .token(json!({"role": "site", "subject": "lab-aarhus"}))
            .await;
        let date = (chrono::Utc::now() - chrono::Duration::days(20)).date_naive();
        for n in VACCINATED {
            let r = self
                .http
                .post(format!("{}/v1/register/vaccinations", self.passes))
                .bearer_auth(&site)
                .json(
                    &json!({"record_id": format!("v-{n}"), "cpr": cpr(n), "vaccine": "1119349007",
                    "product": "EU/1/20/1528", "manufacturer": "ORG-100030215",
                    "dose_number": 2, "total_doses": 2, "date": date}),
                )
                .send()
                .await
                .expect("vaccination");
            assert!(r.status().is_success(), "vaccination: {}", r.status());
        }
    }

    pub async fn token(&self, body: Value) -> String {
        let v: Value = self
            .http
            .post(format!("{}/dev/token", self.booking))
            .json(&body)
            .send()
            .await
            .expect("token")
            .json()
            .await
            .expect("token json");
        v["access_token"].as_str().expect("access_token").to_owned()
    }

    pub async fn api(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut r = self
            .http
            .request(method, format!("{}{path}", self.booking))
            .bearer_auth(&self.authority);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let r = r.send().await.expect("api call");
        assert!(r.status().is_success(), "{path}: {}", r.status());
        r.json().await.expect("api json")
    }

    async fn load_world(&mut self) {
        use reqwest::Method;
        self.api(
            Method::POST,
            "/v1/campaigns",
            Some(json!({"code": "pcr-test", "name": "PCR-test", "kind": "test", "access": "open"})),
        )
        .await;
        self.api(
            Method::POST,
            "/v1/campaigns",
            Some(json!({"code": "covid-dose-1", "name": "COVID-19-vaccination, 1. stik", "kind": "vaccination", "access": "invitation"})),
        )
        .await;
        let sites = [
            (
                "Testcenter Aarhus C",
                "Banegårdspladsen 1",
                "8000",
                751,
                56.150,
                10.204,
            ),
            (
                "Testcenter Aarhus N",
                "Randersvej 1",
                "8200",
                751,
                56.180,
                10.190,
            ),
            (
                "Testcenter Østerbro",
                "Trianglen 2",
                "2100",
                101,
                55.700,
                12.577,
            ),
        ];
        let from =
            booking::domain::slotgen::local_date(chrono::Utc::now()) + chrono::Duration::days(1);
        let to = from + chrono::Duration::days(2);
        for (name, address, postcode, municipality, lat, lon) in sites {
            let site = self
                .api(
                    Method::POST,
                    "/v1/sites",
                    Some(
                        json!({"name": name, "address": address, "postcode": postcode,
                        "municipality_code": municipality, "location": {"lat": lat, "lon": lon},
                        "campaigns": ["pcr-test", "covid-dose-1"]}),
                    ),
                )
                .await["id"]
                .as_i64()
                .expect("site id");
            for campaign in ["pcr-test", "covid-dose-1"] {
                self.api(
                    Method::POST,
                    &format!("/v1/sites/{site}/slots"),
                    Some(
                        json!({"campaign": campaign, "from": from, "to": to, "opens": "09:00",
                        "closes": "11:00", "interval_minutes": 30, "capacity": 2}),
                    ),
                )
                .await;
            }
            self.sites.push(site);
        }
    }

    /// Tomorrow, local time: the first day with slots.
    pub fn first_day() -> String {
        (booking::domain::slotgen::local_date(chrono::Utc::now()) + chrono::Duration::days(1))
            .to_string()
    }

    /// Held and booked places of a slot, from the booking service.
    pub async fn slot(&self, slot: i64) -> (i64, i64) {
        let v = self
            .api(reqwest::Method::GET, &format!("/v1/slots/{slot}"), None)
            .await;
        (
            v["booked"].as_i64().unwrap_or(-1),
            v["held"].as_i64().unwrap_or(-1),
        )
    }
}

/// A browser-like client: keeps cookies, follows redirects.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .expect("client")
}

/// The value of the first `name="…" value="…"` input on a page.
#[track_caller]
pub fn input_value(html: &str, name: &str) -> String {
    let needle = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&needle)
        .unwrap_or_else(|| panic!("no input {name} in page"))
        + needle.len();
    html[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// The slot ids offered on a day page, in order.
pub fn slot_ids(html: &str) -> Vec<i64> {
    html.split("name=\"slot\" id=\"slot-")
        .skip(1)
        .filter_map(|s| s.split('"').next()?.parse().ok())
        .collect()
}
