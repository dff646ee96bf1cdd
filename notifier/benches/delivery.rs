//! Letters delivered per second: the invitation letters of an opened wave, written into
//! the outbox from its invitations, rendered (PDF + MeMo XML) and sent to the Digital
//! Post gateway simulator, or put in a paper print batch for the citizens exempt from
//! Digital Post, by one worker, as `drain` does it.
//!
//! `cargo bench -p notifier --bench delivery` (release). A fresh database on the server
//! of `TEST_DATABASE_URL`, dropped afterwards; Redis keys under a fresh prefix.
//! `LETTERS` (default 5000) letters, 6% of them on paper, 10% with a NemSMS notice.
//! Before that, writing `WAVE_LETTERS` (default 1,000,000) invitation letters of another
//! wave into the outbox from its invitations is timed on its own.
//! Worker settings come from `APP__WORKER__*` as in production (e.g.
//! `APP__WORKER__BATCH_SIZE=200 APP__WORKER__CONCURRENCY=32`).

use std::time::Instant;

use notifier::clock::Clock;
use notifier::settings::{FaultSettings, Settings};
use notifier::sim::Simulator;
use notifier::worker::Worker;
use service_kit::storage::RedisPool;
use service_kit::testing::{redis_url, unique_redis_prefix, TestDatabase};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let letters: i64 = std::env::var("LETTERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5000);
    let db = TestDatabase::create().await?;
    let mut settings: Settings = service_kit::settings::load()?;
    settings.database.url = db.url.clone();
    settings.redis.url = redis_url();
    settings.redis.key_prefix = unique_redis_prefix();
    let sim = Simulator::start(FaultSettings::default())?;
    settings.gateway.url = sim.memo_url();
    settings.gateway.receipts_url = sim.receipts_url();
    // The provider quota is what limits a real run; here we measure the worker itself.
    settings.gateway.rate_per_second = 1_000_000;
    let print_dir = std::env::temp_dir().join(format!("notifier-bench-{}", db.name));
    settings.print.dir = print_dir.to_string_lossy().into_owned();

    let pool = service_kit::storage::postgres_pool(&settings.database)?;
    booking::store::migrate(&pool).await?;
    let redis = RedisPool::connect(&settings.redis).await?;
    let worker = Worker::new(pool.clone(), redis, settings.clone(), Clock::default())?;

    let client = pool.get().await?;
    let campaign: i64 = client
        .query_one(
            "INSERT INTO campaigns (code, name, kind, access)
             VALUES ('covid-2026', 'Vaccination mod COVID-19', 'vaccination', 'invitation')
             RETURNING id",
            &[],
        )
        .await?
        .get(0);
    // Citizens with valid CPR numbers (modulus 11 is not required since 2007), one
    // letter each.
    client
        .execute(
            "INSERT INTO citizens (cpr, given_name, family_name, address, postcode, city,
                 municipality_code, birth_date, digital_post, nemsms, language)
             SELECT lpad(((n % 28) + 1)::text, 2, '0') || '0170' || lpad((n / 28)::text, 4, '0'),
                    'Søren', 'Ærøe', 'Blåbærvej 7', '5970', 'Ærøskøbing', 492, '1970-01-01',
                    CASE WHEN n % 50 < 3 THEN 'exempt' ELSE 'digital' END,
                    n % 10 = 0, CASE WHEN n % 7 = 0 THEN 'en' ELSE 'da' END
               FROM generate_series(0, $1::bigint - 1) AS n",
            &[&letters],
        )
        .await?;
    // A wave of them all, as the opening leaves it: invitations, no letters yet (marked
    // opened below, after the writing alone is timed).
    client
        .batch_execute(&format!(
            "INSERT INTO cohorts (id, name, criteria) VALUES (1, 'all', '{{}}');
             INSERT INTO waves (id, cohort_id, campaign_id, opens_at, opened_at, invited)
                  SELECT 1, 1, {campaign}, now(), NULL, count(*) FROM citizens;
             INSERT INTO invitations (campaign_id, cpr, wave_id, invited_at)
                  SELECT {campaign}, cpr, 1, now() FROM citizens;"
        ))
        .await?;

    // Writing letters from invitations alone, at the size of a big wave: an opened wave
    // of `WAVE_LETTERS` invitations (CPR numbers without citizen rows, which writing
    // does not read), written `worker.wave_letter_batch` at a time; then its letters
    // are removed.
    let wave_letters: i64 = std::env::var("WAVE_LETTERS")
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(1_000_000);
    client
        .batch_execute(&format!(
            "INSERT INTO campaigns (id, code, name, kind, access)
                  VALUES (900, 'bench-wave', 'Benchmark', 'vaccination', 'invitation');
             INSERT INTO waves (id, cohort_id, campaign_id, opens_at, opened_at, invited)
                  VALUES (2, 1, 900, now(), now(), {wave_letters});
             INSERT INTO invitations (campaign_id, cpr, wave_id, invited_at)
                  SELECT 900, lpad((n % 28 + 1)::text, 2, '0') || lpad((n / 28 % 12 + 1)::text, 2, '0')
                              || '90' || lpad((n / 336)::text, 4, '0'),
                         2, now()
                    FROM generate_series(0, {wave_letters} - 1) AS n;"
        ))
        .await?;
    client.batch_execute("VACUUM ANALYZE invitations").await?;
    let batch = i64::from(settings.worker.wave_letter_batch.max(1));
    let started = Instant::now();
    let mut written = 0;
    while let Some(n) =
        notifier::store::write_wave_letters(&pool, chrono::Utc::now(), batch).await?
    {
        written += n;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{written} invitation letters written into the outbox from the wave's invitations \
         in {secs:.1} s = {:.0} letters/s (batches of {batch})",
        written as f64 / secs
    );
    client
        .batch_execute(
            "DELETE FROM outbox WHERE wave_id = 2;
             UPDATE waves SET opened_at = now() WHERE id = 1;",
        )
        .await?;
    client.batch_execute("VACUUM ANALYZE outbox").await?;
    drop(client);

    let started = Instant::now();
    let mut delivered = 0;
    loop {
        let report = worker.drain().await?;
        if report.delivered == 0 {
            break;
        }
        delivered += report.delivered;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{delivered} of {letters} letters delivered in {secs:.1} s = {:.0} letters/s \
         (one worker, batch {}, concurrency {})",
        delivered as f64 / secs,
        settings.worker.batch_size,
        settings.worker.concurrency
    );
    let _ = std::fs::remove_dir_all(&print_dir);
    drop(worker);
    drop(pool);
    let (admin, conn) = tokio_postgres::connect(
        &format!("{}/postgres", service_kit::testing::postgres_server_url()),
        tokio_postgres::NoTls,
    )
    .await?;
    tokio::spawn(conn);
    admin
        .simple_query(&format!(
            "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
            db.name
        ))
        .await?;
    Ok(())
}
