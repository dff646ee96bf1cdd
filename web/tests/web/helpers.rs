//! Starts the booking service (with the dev identity provider) and the web front end
//! in-process, on free ports, against a fresh database and a private Redis prefix, and
//! loads a small world: an open PCR campaign, an invitation-only vaccination campaign,
//! three sites (Aarhus twice, København) with slots on the next days.

use booking::settings::Settings as BookingSettings;
use serde_json::{json, Value};
use service_kit::testing::{redis_url, unique_redis_prefix, TestDatabase};

pub struct Stack {
    pub booking: String,
    pub web: String,
    pub authority: String,
    pub http: reqwest::Client,
    pub sites: Vec<i64>,
    _db: TestDatabase,
}

/// A valid CPR number for test citizen `n` (born 1970-1999).
pub fn cpr(n: u32) -> String {
    let day = 1 + n % 28;
    let month = 1 + (n / 28) % 12;
    let year = 70 + (n / 336) % 30;
    format!("{day:02}{month:02}{year:02}{:04}", n % 4000)
}

impl Stack {
    pub async fn start() -> Stack {
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
        let app = booking::startup::Application::build(b)
            .await
            .expect("booking starts");
        let booking = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());

        let mut w = web::settings::Settings::default();
        w.http.port = 0;
        w.http.workers = 2;
        w.apis.booking_url = booking.clone();
        w.identity.dev_token_url = format!("{booking}/dev/token");
        let app = web::startup::Application::build(w)
            .await
            .expect("web starts");
        let web = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());

        let http = reqwest::Client::new();
        let mut stack = Stack {
            booking,
            web,
            authority: String::new(),
            http,
            sites: vec![],
            _db: db,
        };
        stack.authority = stack
            .token(json!({"role": "authority", "subject": "sst-1"}))
            .await;
        stack.load_world().await;
        stack
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
