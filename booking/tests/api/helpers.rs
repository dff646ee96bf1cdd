//! Spawns the real service on a free port against a fresh PostgreSQL database and a
//! private Redis key prefix, with the dev identity provider on and a movable clock.

use booking::clock::Clock;
use booking::settings::Settings;
use booking::startup::Application;
use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};
use service_kit::testing::{redis_mode, redis_url, unique_redis_prefix, TestDatabase};

pub struct TestApp {
    pub address: String,
    pub http: reqwest::Client,
    pub clock: Clock,
    pub db: TestDatabase,
    pub settings: Settings,
    pub authority: String,
}

pub fn test_settings(db: &TestDatabase) -> Settings {
    let mut s = Settings::default();
    s.http.port = 0;
    s.http.workers = 2;
    s.database.url = db.url.clone();
    s.database.pool_size = 8;
    s.redis.mode = redis_mode();
    s.redis.url = redis_url();
    s.redis.key_prefix = unique_redis_prefix();
    s.redis.connections = 2;
    s.identity.dev_provider = true;
    s.identity.issuer = "http://booking.test/dev".into();
    s.telemetry.filter = "warn".into();
    // Shedding and rate limits have their own tests (limits.rs); elsewhere they would
    // only turn a test's bursts from 127.0.0.1 into 429s.
    s.limits = booking::settings::LimitSettings::off();
    s
}

pub async fn spawn_app() -> TestApp {
    let db = TestDatabase::create().await.expect("test database");
    spawn_app_with(test_settings(&db), db).await
}

pub async fn spawn_app_with(settings: Settings, db: TestDatabase) -> TestApp {
    service_kit::telemetry::init_tracing(&settings.telemetry);
    let clock = Clock::default();
    let app = Application::build_with_clock(settings.clone(), clock.clone())
        .await
        .expect("app builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let http = reqwest::Client::new();
    let mut t = TestApp {
        address,
        http,
        clock,
        db,
        settings,
        authority: String::new(),
    };
    t.authority = t
        .token_for(json!({"role": "authority", "subject": "authority-1"}))
        .await;
    t
}

impl TestApp {
    pub async fn token_for(&self, request: Value) -> String {
        let r = self
            .http
            .post(format!("{}/dev/token", self.address))
            .json(&request)
            .send()
            .await
            .expect("token request");
        assert_eq!(r.status(), StatusCode::OK, "dev token for {request}");
        let body: Value = r.json().await.expect("token json");
        body["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned()
    }

    pub async fn citizen(&self, cpr: &str) -> String {
        self.token_for(json!({"role": "citizen", "cpr": cpr})).await
    }

    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        idempotency_key: Option<&str>,
    ) -> Response {
        let mut r = self
            .http
            .request(method, format!("{}{}", self.address, path));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        if let Some(b) = body {
            r = r.json(&b);
        }
        if let Some(k) = idempotency_key {
            r = r.header("Idempotency-Key", k);
        }
        r.send().await.expect("request sent")
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Response {
        self.request(Method::POST, path, Some(token), Some(body), None)
            .await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        self.request(Method::GET, path, token, None, None).await
    }

    pub async fn create_campaign(&self, code: &str, access: &str) -> Value {
        let r = self
            .post(
                "/v1/campaigns",
                &self.authority,
                json!({"code": code, "name": format!("Campaign {code}"), "kind": "test", "access": access}),
            )
            .await;
        assert_eq!(r.status(), StatusCode::CREATED);
        r.json().await.unwrap()
    }

    pub async fn create_site(&self, campaigns: &[&str]) -> i64 {
        let r = self
            .post(
                "/v1/sites",
                &self.authority,
                json!({
                    "name": "Testcenter Aarhus", "address": "Vejlbyvej 1", "postcode": "8240",
                    "municipality_code": 751, "location": {"lat": 56.2, "lon": 10.2},
                    "campaigns": campaigns
                }),
            )
            .await;
        assert_eq!(r.status(), StatusCode::CREATED);
        let v: Value = r.json().await.unwrap();
        v["id"].as_i64().unwrap()
    }

    /// Creates slots tomorrow (local time) and returns their ids in start order.
    pub async fn create_slots(
        &self,
        site: i64,
        campaign: &str,
        count: u32,
        capacity: u32,
    ) -> Vec<i64> {
        let day = tomorrow();
        let closes = chrono::NaiveTime::from_hms_opt(8, 0, 0).unwrap()
            + chrono::Duration::minutes(i64::from(15 * count));
        let r = self
            .post(
                &format!("/v1/sites/{site}/slots"),
                &self.authority,
                json!({
                    "campaign": campaign, "from": day, "to": day,
                    "opens": "08:00", "closes": closes.format("%H:%M").to_string(),
                    "interval_minutes": 15, "capacity": capacity
                }),
            )
            .await;
        assert_eq!(
            r.status(),
            StatusCode::CREATED,
            "{}",
            r.text().await.unwrap()
        );
        let day_view: Value = self
            .get(
                &format!("/v1/sites/{site}/slots?date={day}&campaign={campaign}"),
                None,
            )
            .await
            .json()
            .await
            .unwrap();
        day_view["slots"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_i64().unwrap())
            .collect()
    }

    /// A campaign, a site and slots: the usual start of a test.
    pub async fn setup_slots(&self, count: u32, capacity: u32) -> Vec<i64> {
        self.create_campaign("pcr-test", "open").await;
        let site = self.create_site(&["pcr-test"]).await;
        self.create_slots(site, "pcr-test", count, capacity).await
    }

    pub async fn hold(&self, token: &str, slot: i64) -> Response {
        self.post("/v1/holds", token, json!({"slot_id": slot}))
            .await
    }

    pub async fn confirm(&self, token: &str, hold_id: &str) -> Response {
        self.post("/v1/bookings", token, json!({"hold_id": hold_id}))
            .await
    }

    /// Hold and confirm; returns the booking.
    pub async fn book(&self, token: &str, slot: i64) -> Value {
        let r = self.hold(token, slot).await;
        assert_eq!(r.status(), StatusCode::CREATED, "hold");
        let hold: Value = r.json().await.unwrap();
        let r = self.confirm(token, hold["hold_id"].as_str().unwrap()).await;
        assert_eq!(r.status(), StatusCode::CREATED, "confirm");
        r.json().await.unwrap()
    }

    /// Hold and confirm; whether both went through.
    pub async fn hold_and_confirm(&self, token: &str, slot: i64) -> bool {
        let r = self.hold(token, slot).await;
        if r.status() != StatusCode::CREATED {
            return false;
        }
        let hold: Value = r.json().await.unwrap();
        self.confirm(token, hold["hold_id"].as_str().unwrap())
            .await
            .status()
            == StatusCode::CREATED
    }

    pub async fn slot(&self, slot: i64) -> Value {
        let r = self
            .get(&format!("/v1/slots/{slot}"), Some(&self.authority))
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        r.json().await.unwrap()
    }

    pub async fn pg(&self) -> tokio_postgres::Client {
        pg_connect(&self.db.url).await
    }

    /// Deletes every Redis key of this app: what a FLUSHALL or a restart does to it,
    /// without touching other tests' keys.
    pub async fn flush_redis(&self) {
        let keys = self.redis_keys().await;
        let mut conn = self.redis().await;
        if !keys.is_empty() {
            // On a cluster, DEL of keys in many slots is split by the client.
            let _: () = redis::cmd("DEL")
                .arg(&keys)
                .query_async(&mut conn)
                .await
                .unwrap();
        }
    }

    /// A connection to the app's Redis, single or cluster as the app's settings say.
    pub async fn redis(&self) -> service_kit::redis_cluster::RedisConn {
        service_kit::storage::RedisPool::connect(&self.settings.redis)
            .await
            .expect("redis")
            .get()
    }

    /// Every Redis key of this app (KEYS goes to every master of a cluster).
    pub async fn redis_keys(&self) -> Vec<String> {
        redis::cmd("KEYS")
            .arg(format!("{}*", self.settings.redis.key_prefix))
            .query_async(&mut self.redis().await)
            .await
            .unwrap()
    }

    /// Checks the booking invariant straight in PostgreSQL.
    pub async fn assert_invariant(&self) {
        assert_invariant_in(&self.pg().await).await;
    }
}

/// A client of the database at `url`.
pub async fn pg_connect(url: &str) -> tokio_postgres::Client {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("pg connect");
    tokio::spawn(conn);
    client
}

/// The booking invariant, straight in PostgreSQL: no slot over its capacity or out of
/// step with its active bookings, no citizen with two active bookings in a campaign.
pub async fn assert_invariant_in(pg: &tokio_postgres::Client) {
    let over: i64 = pg
        .query_one(
            "SELECT count(*) FROM slots s WHERE s.booked > s.capacity
             OR s.booked <> (SELECT count(*) FROM bookings b WHERE b.slot_id = s.id AND b.status = 'active')",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(over, 0, "a slot is overbooked or its counter is off");
    let doubles: i64 = pg
        .query_one(
            "SELECT count(*) FROM (SELECT campaign_id, cpr FROM bookings WHERE status = 'active'
             GROUP BY 1, 2 HAVING count(*) > 1) d",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        doubles, 0,
        "a citizen has two active bookings in a campaign"
    );
}

/// The ids of the active bookings.
pub async fn active_booking_ids(pg: &tokio_postgres::Client) -> std::collections::HashSet<String> {
    pg.query("SELECT id::text FROM bookings WHERE status = 'active'", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// Of requests that failed at these times (from the start of a run), how many failed
/// at or after `killed_at`, and how long after it the last of them did.
pub fn errors_after(
    errors: &[std::time::Duration],
    killed_at: std::time::Duration,
) -> (usize, std::time::Duration) {
    let after: Vec<_> = errors.iter().filter(|t| **t >= killed_at).collect();
    let last = after
        .iter()
        .max()
        .map_or(std::time::Duration::ZERO, |t| **t - killed_at);
    (after.len(), last)
}

pub fn tomorrow() -> chrono::NaiveDate {
    booking::domain::slotgen::local_date(chrono::Utc::now()) + chrono::Duration::days(1)
}

/// A valid CPR number for test citizen `n` (born 1970-1999).
pub fn cpr(n: u32) -> String {
    let day = 1 + n % 28;
    let month = 1 + (n / 28) % 12;
    let year = 70 + (n / 336) % 30;
    // 7th digit 0-3: born in the 1900s.
    format!("{day:02}{month:02}{year:02}{:04}", n % 4000)
}
