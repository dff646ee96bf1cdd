//! Opening a wave of a million citizens, end to end through the service: set-based
//! transactions (one per part) that insert one invitation per citizen, then the Redis
//! invitation gate for every invited citizen. The letters are written from the
//! invitations by the notifier afterwards (`cargo bench -p notifier --bench delivery`
//! measures writing and sending them).
//!
//! `cargo bench -p booking --bench wave_open` (release). Uses the database `bench_wave`
//! on the server of `TEST_DATABASE_URL` (created if missing; its synthetic population is
//! kept between runs, each run's waves are removed afterwards) and Redis keys under the
//! prefix `bench-wave:`. `WAVE_CITIZENS` (default 1,000,000) and `WAVE_RUNS` (default 3)
//! change the size and the number of openings, `WAVE_PARTS` the parts it opens in.
//! The service logs each part's PostgreSQL and gate time (`WAVE_LOG` is the filter).

use std::time::Instant;

use booking::domain::eligibility::{AgeRange, Criteria};
use booking::service::eligibility::{NewCohort, NewWave};
use booking::settings::Settings;
use booking::startup::Application;

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // The service's own log lines say how each part's time splits between PostgreSQL
    // and the Redis gate (`WAVE_LOG=warn` quiets them).
    service_kit::telemetry::init_tracing(&service_kit::settings::TelemetrySettings {
        filter: std::env::var("WAVE_LOG").unwrap_or_else(|_| "booking=info".into()),
        json: false,
    });
    let citizens = env_number("WAVE_CITIZENS", 1_000_000);
    let runs = env_number("WAVE_RUNS", 3);
    let server = service_kit::testing::postgres_server_url();
    let (admin, conn) =
        tokio_postgres::connect(&format!("{server}/postgres"), tokio_postgres::NoTls).await?;
    tokio::spawn(conn);
    if admin
        .query_opt(
            "SELECT 1 FROM pg_database WHERE datname = 'bench_wave'",
            &[],
        )
        .await?
        .is_none()
    {
        admin.simple_query("CREATE DATABASE bench_wave").await?;
    }

    let mut settings = Settings::default();
    settings.database.url = format!("{server}/bench_wave");
    settings.redis.url = service_kit::testing::redis_url();
    settings.redis.key_prefix = "bench-wave:".into();
    if let Ok(parts) = std::env::var("WAVE_PARTS") {
        settings.booking.wave_open_parts = parts.parse()?;
    }
    let service = Application::service_only(settings).await?;
    let pg = service.client().await?;

    let have: i64 = pg
        .query_one("SELECT count(*) FROM citizens", &[])
        .await?
        .get(0);
    if have != citizens as i64 {
        pg.batch_execute("TRUNCATE citizens, invitations, waves, cohorts, outbox CASCADE")
            .await?;
        let started = Instant::now();
        let loaded = service.generate_population(citizens, 1).await?;
        let secs = started.elapsed().as_secs_f64();
        println!(
            "population: {loaded} synthetic citizens loaded (COPY) in {secs:.1} s = {:.0} rows/s",
            loaded as f64 / secs
        );
        pg.batch_execute("VACUUM ANALYZE citizens").await?;
    }

    let today = chrono::Utc::now().date_naive();
    let cohort = service
        .create_cohort(&NewCohort {
            name: "everyone (benchmark)".into(),
            criteria: Criteria {
                age: Some(AgeRange {
                    min: Some(0),
                    max: None,
                    on: today,
                }),
                ..Criteria::default()
            },
        })
        .await?;
    let eligible = service.preview(&cohort.criteria).await?;
    println!("cohort: {eligible} eligible citizens");

    let stamp = chrono::Utc::now().timestamp();
    let mut seconds = Vec::new();
    for run in 0..runs {
        let code = format!("bench-{stamp}-{run}");
        let campaign: booking::domain::NewCampaign = serde_json::from_value(serde_json::json!({
            "code": code, "name": "Benchmark wave", "kind": "vaccination", "access": "invitation"
        }))?;
        service.create_campaign(&campaign).await?;
        let started = Instant::now();
        let wave = service
            .create_wave(&NewWave {
                cohort_id: cohort.id,
                campaign: code,
                opens_at: None,
            })
            .await?;
        let secs = started.elapsed().as_secs_f64();
        println!(
            "run {}: wave of {} opened in {secs:.2} s ({:.0} invitations/s)",
            run + 1,
            wave.invited,
            f64::from(wave.invited) / secs
        );
        seconds.push(secs);
        // Remove the run's rows so the next opening meets the same table sizes.
        pg.execute("DELETE FROM outbox WHERE wave_id = $1", &[&wave.id])
            .await?;
        pg.execute(
            "DELETE FROM invitations WHERE campaign_id = $1",
            &[&wave.campaign_id],
        )
        .await?;
        service.close_wave(wave.id).await?;
        pg.batch_execute("VACUUM outbox, invitations").await?;
    }
    remove_redis_keys(&service_kit::testing::redis_url(), "bench-wave:*").await?;
    seconds.sort_by(f64::total_cmp);
    if let Some(median) = seconds.get(seconds.len() / 2) {
        println!("median: {median:.2} s for {eligible} citizens");
    }
    Ok(())
}

async fn remove_redis_keys(url: &str, pattern: &str) -> anyhow::Result<()> {
    let mut redis = redis::Client::open(url)?
        .get_multiplexed_async_connection()
        .await?;
    let mut cursor = 0u64;
    loop {
        let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(pattern)
            .arg("COUNT")
            .arg(10_000)
            .query_async(&mut redis)
            .await?;
        if !keys.is_empty() {
            redis::cmd("UNLINK")
                .arg(&keys)
                .query_async::<()>(&mut redis)
                .await?;
        }
        if next == 0 {
            return Ok(());
        }
        cursor = next;
    }
}
