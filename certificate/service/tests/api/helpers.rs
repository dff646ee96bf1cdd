//! Spawns the pass service against a fresh database with the dev identity provider on
//! and freshly generated development signing keys (CSCA + one DSC for all types).

use std::path::PathBuf;
use std::time::SystemTime;

use certificate::devkeys::{self, DscLayout};
use certificate::revocation::{HashType, RevocationList};
use certificate::trust::TrustList;
use pass_service::settings::Settings;
use pass_service::startup::Application;
use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};
use service_kit::testing::TestDatabase;

pub struct TestApp {
    pub address: String,
    pub http: reqwest::Client,
    pub db: TestDatabase,
    pub site: String,
    pub other_site: String,
    pub keys_dir: PathBuf,
    pub settings: Settings,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.keys_dir);
    }
}

pub fn value_sets_dir() -> String {
    let local =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/dcc-valuesets");
    if local.exists() {
        local.display().to_string()
    } else {
        "/work/shared/testdata/dcc-valuesets".into()
    }
}

/// Generates a development CSCA and DSC into a fresh temporary folder.
fn dev_keys() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pass-service-test-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("key dir");
    let set = devkeys::generate("DK", DscLayout::OneForAll, SystemTime::now(), 3650, 365)
        .expect("dev keys");
    let dsc = &set.dscs[0];
    std::fs::write(dir.join("dsc-key.der"), &dsc.private_key_pkcs8).expect("write key");
    std::fs::write(dir.join("dsc.der"), &dsc.certificate_der).expect("write dsc");
    dir
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(change: impl FnOnce(&mut Settings)) -> TestApp {
    let db = TestDatabase::create().await.expect("test database");
    let keys_dir = dev_keys();
    let mut s = Settings::default();
    s.http.port = 0;
    s.http.workers = 2;
    s.database.url = db.url.clone();
    s.database.pool_size = 8;
    s.identity.dev_provider = true;
    s.identity.issuer = "http://pass.test/dev".into();
    s.telemetry.filter = "warn".into();
    s.signing.key_path = keys_dir.join("dsc-key.der").display().to_string();
    s.signing.dsc_path = keys_dir.join("dsc.der").display().to_string();
    s.registers.value_sets_dir = value_sets_dir();
    change(&mut s);
    service_kit::telemetry::init_tracing(&s.telemetry);
    let settings = s.clone();
    let app = Application::build(s).await.expect("app builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let mut t = TestApp {
        address,
        http: reqwest::Client::new(),
        db,
        site: String::new(),
        other_site: String::new(),
        keys_dir,
        settings,
    };
    t.site = t
        .token_for(json!({"role": "site", "subject": "lab-aarhus"}))
        .await;
    t.other_site = t
        .token_for(json!({"role": "site", "subject": "lab-odense"}))
        .await;
    t
}

impl TestApp {
    /// Another instance of the service on the same database and keys: its address.
    pub async fn another_instance(&self) -> String {
        let mut s = self.settings.clone();
        s.database.migrate = false;
        let app = Application::build(s).await.expect("second instance builds");
        let address = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        address
    }

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
        r.send().await.expect("request sent")
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Response {
        self.request(Method::POST, path, Some(token), Some(body))
            .await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        self.request(Method::GET, path, token, None).await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Response {
        self.request(Method::DELETE, path, Some(token), None).await
    }

    pub async fn bulk(&self, register: &str, content_type: &str, body: String) -> Response {
        self.http
            .post(format!("{}/v1/register/{register}/bulk", self.address))
            .bearer_auth(&self.site)
            .header("Content-Type", content_type)
            .body(body)
            .send()
            .await
            .expect("bulk sent")
    }

    pub async fn pg(&self) -> tokio_postgres::Client {
        let (client, conn) = tokio_postgres::connect(&self.db.url, tokio_postgres::NoTls)
            .await
            .expect("pg connect");
        tokio::spawn(conn);
        client
    }

    pub async fn count(&self, sql: &str) -> i64 {
        self.pg()
            .await
            .query_one(sql, &[])
            .await
            .expect("count")
            .get(0)
    }

    /// Puts a person into the population register (passes carry their name).
    pub async fn add_citizen(&self, cpr: &str, given: &str, family: &str) {
        let birth = identity::Cpr::parse(cpr).expect("cpr").birth_date();
        self.pg()
            .await
            .execute(
                "INSERT INTO citizens (cpr, given_name, family_name, address, postcode,
                     municipality_code, birth_date, digital_post)
                 VALUES ($1, $2, $3, 'Vejlbyvej 1', '8240', 751, $4, 'digital')",
                &[&cpr, &given, &family, &birth],
            )
            .await
            .expect("citizen");
    }

    /// A confirmed booking for `cpr` on a slot that started an hour ago.
    pub async fn add_booking(&self, cpr: &str) -> uuid::Uuid {
        let pg = self.pg().await;
        let campaign: i64 = pg
            .query_one(
                "INSERT INTO campaigns (code, name, kind, access)
                 VALUES ($1, 'PCR', 'test', 'open') RETURNING id",
                &[&format!("pcr-{}", uuid::Uuid::new_v4())],
            )
            .await
            .expect("campaign")
            .get(0);
        let site: i64 = pg
            .query_one(
                "INSERT INTO sites (name, address, postcode, municipality_code, lat, lon)
                 VALUES ('Testcenter', 'Vej 1', '8000', 751, 56.1, 10.2) RETURNING id",
                &[],
            )
            .await
            .expect("site")
            .get(0);
        let slot: i64 = pg
            .query_one(
                "INSERT INTO slots (site_id, campaign_id, starts_at, ends_at, capacity, booked)
                 VALUES ($1, $2, now() - interval '1 hour', now() - interval '45 minutes', 5, 1)
                 RETURNING id",
                &[&site, &campaign],
            )
            .await
            .expect("slot")
            .get(0);
        let id = uuid::Uuid::new_v4();
        pg.execute(
            "INSERT INTO bookings (id, slot_id, campaign_id, cpr, hold_id, status)
             VALUES ($1, $2, $3, $4, $5, 'active')",
            &[&id, &slot, &campaign, &cpr, &id.to_string()],
        )
        .await
        .expect("booking");
        id
    }

    pub async fn booking_status(&self, id: uuid::Uuid) -> String {
        self.pg()
            .await
            .query_one("SELECT status FROM bookings WHERE id = $1", &[&id])
            .await
            .expect("booking row")
            .get(0)
    }

    /// The served trust list, loaded with the library.
    pub async fn trust_list(&self) -> TrustList {
        let r = self.get("/v1/verifier/trust-list", None).await;
        assert_eq!(r.status(), StatusCode::OK);
        let bytes = r.bytes().await.expect("trust list body");
        let mut list = TrustList::new();
        assert!(list.load(&bytes).expect("trust list loads") >= 1);
        list
    }

    /// The served revocation list, loaded with the library, and its raw JSON.
    pub async fn revocation_list(&self) -> (RevocationList, Value) {
        let r = self.get("/v1/verifier/revocations", None).await;
        assert_eq!(r.status(), StatusCode::OK);
        let doc: Value = r.json().await.expect("revocations json");
        let mut list = RevocationList::new();
        for kinds in doc["kids"].as_object().expect("kids").values() {
            for (kind, hashes) in kinds.as_object().expect("kinds") {
                let kind = match kind.as_str() {
                    "UCI" => HashType::Uci,
                    "COUNTRYCODEUCI" => HashType::CountryCodeUci,
                    "SIGNATURE" => HashType::Signature,
                    other => panic!("unknown hash type {other}"),
                };
                for h in hashes.as_array().expect("hashes") {
                    list.add_text(kind, h.as_str().expect("hash text"))
                        .expect("hash");
                }
            }
        }
        (list, doc)
    }
}

pub const CPR: &str = "0101701234";
pub const OTHER_CPR: &str = "0202802345";

pub fn hours_ago(h: i64) -> String {
    (chrono::Utc::now() - chrono::Duration::hours(h)).to_rfc3339()
}

pub fn days_ago(d: i64) -> String {
    (chrono::Utc::now() - chrono::Duration::days(d))
        .date_naive()
        .to_string()
}

pub fn pcr(record_id: &str, cpr: &str, result: &str, sample_time: &str) -> Value {
    json!({
        "record_id": record_id, "cpr": cpr, "test_type": "LP6464-4", "result": result,
        "sample_time": sample_time, "test_centre": "Testcenter Aarhus"
    })
}

pub fn negative_pcr(record_id: &str, cpr: &str) -> Value {
    pcr(record_id, cpr, "260415000", &hours_ago(2))
}

pub fn vaccination(record_id: &str, cpr: &str, dose: u8) -> Value {
    json!({
        "record_id": record_id, "cpr": cpr, "vaccine": "1119349007",
        "product": "EU/1/20/1528", "manufacturer": "ORG-100030215",
        "dose_number": dose, "total_doses": 2, "date": days_ago(3)
    })
}

/// Asserts a problem+json answer with `expected` status and returns its body.
pub async fn expect_problem(r: Response, expected: StatusCode) -> Value {
    let status = r.status();
    let content_type = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body: Value = r.json().await.expect("problem json");
    assert_eq!(status, expected, "{body}");
    assert_eq!(content_type.as_deref(), Some("application/problem+json"));
    body
}
