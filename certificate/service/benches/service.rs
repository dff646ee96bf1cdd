//! Throughput of the pass service over HTTP, in process, against the real PostgreSQL:
//! bulk import rows per second (NDJSON and CSV, new and resubmitted) and passes issued
//! per second (EU vaccination DCCs and domestic passes, concurrent citizens).
//!
//! `cargo bench -p pass-service --bench service` (release). `TEST_DATABASE_URL` names the
//! server; a fresh database is made and dropped. `BENCH_ROWS` (default 20000) and
//! `BENCH_PASSES` (default 2000) set the sizes, `BENCH_CONCURRENCY` (default 32) the
//! parallel citizens. Prints one line per measurement.

use std::time::{Duration, Instant, SystemTime};

use certificate::devkeys::{self, DscLayout};
use futures::stream::{self, StreamExt};
use pass_service::settings::Settings;
use pass_service::startup::Application;
use serde_json::{json, Value};
use service_kit::testing::TestDatabase;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A valid CPR number for person `n` (as in the API tests).
fn cpr(n: usize) -> String {
    let day = 1 + n % 28;
    let month = 1 + (n / 28) % 12;
    let year = 40 + (n / 336) % 60;
    format!("{day:02}{month:02}{year:02}{:04}", n % 4000)
}

fn value_sets_dir() -> String {
    let local = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/testdata/dcc-valuesets");
    if local.exists() {
        local.display().to_string()
    } else {
        "/work/shared/testdata/dcc-valuesets".into()
    }
}

struct Bench {
    address: String,
    http: reqwest::Client,
    site: String,
}

impl Bench {
    async fn token(&self, request: Value) -> String {
        let body: Value = self
            .http
            .post(format!("{}/dev/token", self.address))
            .json(&request)
            .send()
            .await
            .expect("token")
            .json()
            .await
            .expect("token json");
        body["access_token"].as_str().expect("token").to_owned()
    }

    async fn bulk(&self, register: &str, content_type: &str, body: String) -> Value {
        let r = self
            .http
            .post(format!("{}/v1/register/{register}/bulk", self.address))
            .bearer_auth(&self.site)
            .header("Content-Type", content_type)
            .body(body)
            .send()
            .await
            .expect("bulk sent");
        assert!(r.status().is_success(), "bulk: {}", r.status());
        r.json().await.expect("receipt")
    }
}

fn report(what: &str, n: usize, took: Duration) {
    println!(
        "{what:<58} {n:>7} in {:>7.2} s = {:>9.0}/s",
        took.as_secs_f64(),
        n as f64 / took.as_secs_f64()
    );
}

fn main() -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run())
}

async fn run() -> anyhow::Result<()> {
    let rows = env_usize("BENCH_ROWS", 20_000);
    let passes = env_usize("BENCH_PASSES", 2_000).min(rows);
    let concurrency = env_usize("BENCH_CONCURRENCY", 32);
    let db = TestDatabase::create().await?;
    let keys = std::env::temp_dir().join(format!("pass-bench-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&keys)?;
    let set = devkeys::generate("DK", DscLayout::OneForAll, SystemTime::now(), 3650, 365)?;
    std::fs::write(keys.join("key.der"), &set.dscs[0].private_key_pkcs8)?;
    std::fs::write(keys.join("dsc.der"), &set.dscs[0].certificate_der)?;

    let mut s = Settings::default();
    s.http.port = 0;
    s.database.url = db.url.clone();
    s.database.pool_size = 16;
    s.identity.dev_provider = true;
    s.identity.issuer = "http://pass.bench/dev".into();
    s.identity.dev_token_seconds = 3600;
    s.telemetry.filter = "error".into();
    s.signing.key_path = keys.join("key.der").display().to_string();
    s.signing.dsc_path = keys.join("dsc.der").display().to_string();
    s.registers.value_sets_dir = value_sets_dir();
    service_kit::telemetry::init_tracing(&s.telemetry);
    let app = Application::build(s).await?;
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()?;
    let mut bench = Bench {
        address,
        http,
        site: String::new(),
    };
    bench.site = bench
        .token(json!({"role": "site", "subject": "bench-lab"}))
        .await;
    println!(
        "pass-service bench: {rows} rows, {passes} passes, {concurrency} concurrent, {} CPUs",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    // The population register: one citizen per row.
    let (pg, conn) = tokio_postgres::connect(&db.url, tokio_postgres::NoTls).await?;
    tokio::spawn(conn);
    let cprs: Vec<String> = (0..rows).map(cpr).collect();
    pg.execute(
        "INSERT INTO citizens (cpr, given_name, family_name, address, postcode,
             municipality_code, birth_date, digital_post)
         SELECT c, 'Anna', 'Hansen', 'Vej 1', '8000', 751, DATE '1970-01-01', 'digital'
         FROM unnest($1::text[]) AS c ON CONFLICT DO NOTHING",
        &[&cprs],
    )
    .await?;

    // Bulk import: vaccinations (NDJSON, then the same file again), tests (CSV).
    let date = (chrono::Utc::now() - chrono::Duration::days(30))
        .date_naive()
        .to_string();
    let ndjson: String = cprs
        .iter()
        .enumerate()
        .map(|(i, c)| {
            json!({"record_id": format!("v-{i}"), "cpr": c, "vaccine": "1119349007",
                   "product": "EU/1/20/1528", "manufacturer": "ORG-100030215",
                   "dose_number": 2, "total_doses": 2, "date": date})
            .to_string()
                + "\n"
        })
        .collect();
    let started = Instant::now();
    let receipt = bench
        .bulk("vaccinations", "application/x-ndjson", ndjson.clone())
        .await;
    assert_eq!(receipt["imported"], rows);
    report(
        "bulk NDJSON vaccinations, new (rows)",
        rows,
        started.elapsed(),
    );
    let started = Instant::now();
    let receipt = bench
        .bulk("vaccinations", "application/x-ndjson", ndjson)
        .await;
    assert_eq!(receipt["unchanged"], rows);
    report(
        "bulk NDJSON vaccinations, resubmitted unchanged (rows)",
        rows,
        started.elapsed(),
    );
    let sample = (chrono::Utc::now() - chrono::Duration::hours(2)).to_rfc3339();
    let mut csv = String::from("record_id,cpr,test_type,result,sample_time,test_centre\n");
    for (i, c) in cprs.iter().enumerate() {
        csv.push_str(&format!(
            "t-{i},{c},LP6464-4,260415000,{sample},Testcenter Aarhus\n"
        ));
    }
    let started = Instant::now();
    let receipt = bench.bulk("tests", "text/csv", csv).await;
    assert_eq!(receipt["imported"], rows);
    report("bulk CSV tests, new (rows)", rows, started.elapsed());

    // Issuing: citizens' tokens first (not measured), then concurrent issue requests.
    let tokens: Vec<String> = stream::iter(cprs.iter().take(passes))
        .map(|c| bench.token(json!({"role": "citizen", "cpr": c})))
        .buffered(concurrency)
        .collect()
        .await;
    for (what, path) in [
        (
            "issue EU vaccination DCC over HTTP (passes)",
            "/v1/me/passes/vaccination",
        ),
        ("issue EU test DCC over HTTP (passes)", "/v1/me/passes/test"),
        (
            "issue domestic pass level 2 over HTTP (passes)",
            "/v1/me/passes/domestic?level=2",
        ),
    ] {
        let started = Instant::now();
        let statuses: Vec<u16> = stream::iter(tokens.iter())
            .map(|t| {
                let http = &bench.http;
                let url = format!("{}{path}", bench.address);
                async move {
                    http.post(url)
                        .bearer_auth(t)
                        .send()
                        .await
                        .map_or(0, |r| r.status().as_u16())
                }
            })
            .buffer_unordered(concurrency)
            .collect()
            .await;
        let took = started.elapsed();
        let created = statuses.iter().filter(|s| **s == 201).count();
        assert_eq!(created, passes, "{what}: statuses {:?}", &statuses[..5]);
        report(what, passes, took);
    }
    let started = Instant::now();
    let ok: usize = stream::iter(tokens.iter())
        .map(|t| {
            let http = &bench.http;
            let url = format!("{}/v1/me/passes/vaccination", bench.address);
            async move {
                http.post(url)
                    .bearer_auth(t)
                    .send()
                    .await
                    .map_or(0, |r| usize::from(r.status() == 200))
            }
        })
        .buffer_unordered(concurrency)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .sum();
    assert_eq!(ok, passes);
    report(
        "ask again: the live pass returned, nothing signed (requests)",
        passes,
        started.elapsed(),
    );

    drop(pg);
    let (admin, conn) = tokio_postgres::connect(
        &format!("{}/postgres", service_kit::testing::postgres_server_url()),
        tokio_postgres::NoTls,
    )
    .await?;
    tokio::spawn(conn);
    let _ = admin
        .simple_query(&format!(
            "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
            db.name
        ))
        .await;
    let _ = std::fs::remove_dir_all(&keys);
    Ok(())
}
