//! The machine's own ceilings, measured in the same run as the service:
//!
//! - Redis running the booking service's hold script (`redis-benchmark`, one script per
//!   request as the service does, no pipelining), on slots with room to spare;
//! - PostgreSQL running the confirm transaction (guarded slot update, booking insert
//!   with its unique indexes, outbox insert; `pgbench`) on copies of the real tables;
//! - the HTTP stack: a static responder serving an availability-sized body, under the
//!   same read generator as the service's reads (`wrk`, see `bench::wrk`).
//!
//! Each works in its own namespace (a Redis key prefix, a PostgreSQL schema) and removes
//! it afterwards.

use anyhow::Context;
use std::path::Path;
use std::process::Command;

/// The hold script, byte for byte the one the service runs.
pub const HOLD_SCRIPT: &str = include_str!("../../../booking/src/hot/scripts/hold.lua");

/// One ceiling: operations per second and latency quantiles (milliseconds).
#[derive(Debug, Clone, Default)]
pub struct Ceiling {
    pub per_second: f64,
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
}

pub(crate) fn require(tool: &str, package: &str) -> anyhow::Result<()> {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    anyhow::ensure!(
        found,
        "{tool} is missing: install {package} (infra/setup does)"
    );
    Ok(())
}

/// The standard output of a tool run with `Command::output`, or an error with what it
/// printed if it failed.
pub(crate) fn finished(tool: &str, out: &std::process::Output) -> anyhow::Result<String> {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    anyhow::ensure!(
        out.status.success(),
        "{tool} failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(stdout)
}

/// Redis: `requests` hold scripts over `slots` slots from `clients` connections.
pub async fn redis_hold(
    redis_url: &str,
    prefix: &str,
    slots: u32,
    clients: u32,
    requests: u32,
) -> anyhow::Result<Ceiling> {
    require("redis-benchmark", "redis-tools")?;
    let client = redis::Client::open(redis_url)?;
    let mut conn = client.get_multiplexed_async_connection().await?;
    let sha: String = redis::cmd("SCRIPT")
        .arg("LOAD")
        .arg(HOLD_SCRIPT)
        .query_async(&mut conn)
        .await?;
    let far = chrono::Utc::now().timestamp_millis() + 30 * 86_400_000;
    for chunk in (0..slots).collect::<Vec<_>>().chunks(1000) {
        let mut pipe = redis::pipe();
        for i in chunk {
            pipe.hset_multiple(
                format!("{prefix}{{slot:{i:012}}}"),
                &[
                    ("cap", "1000000000".to_owned()),
                    ("booked", "0".to_owned()),
                    ("closed", "0".to_owned()),
                    ("start_ms", far.to_string()),
                    ("campaign", "1".to_owned()),
                    ("inv", "0".to_owned()),
                ],
            )
            .ignore();
        }
        pipe.query_async::<()>(&mut conn).await?;
    }
    // redis-benchmark replaces each `__rand_int__` with its own 12-digit random number
    // below `-r`; the slot key hits one of the prepared slots.
    let now = chrono::Utc::now().timestamp_millis();
    let url = redis_url
        .strip_prefix("redis://")
        .unwrap_or(redis_url)
        .split('/')
        .next()
        .unwrap_or("127.0.0.1:6379");
    let (host, port) = url.rsplit_once(':').unwrap_or((url, "6379"));
    let out = Command::new("redis-benchmark")
        .args(["-h", host, "-p", port, "--csv", "-P", "1"])
        .args(["-c", &clients.to_string(), "-n", &requests.to_string()])
        .args(["-r", &slots.to_string()])
        .arg("EVALSHA")
        .arg(&sha)
        .arg("3")
        .arg(format!("{prefix}{{slot:__rand_int__}}"))
        .arg(format!("{prefix}{{slot:__rand_int__}}:holds"))
        .arg(format!("{prefix}{{slot:__rand_int__}}:owners"))
        .arg(now.to_string())
        .arg((now + 3_600_000).to_string())
        .arg("tok__rand_int__")
        .arg("bench-owner")
        .arg(",")
        .output()
        .context("running redis-benchmark")?;
    cleanup_redis(&mut conn, prefix).await?;
    parse_redis_csv(&finished("redis-benchmark", &out)?)
}

async fn cleanup_redis(
    conn: &mut redis::aio::MultiplexedConnection,
    prefix: &str,
) -> anyhow::Result<()> {
    let mut cursor: u64 = 0;
    loop {
        let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(format!("{prefix}*"))
            .arg("COUNT")
            .arg(5000)
            .query_async(conn)
            .await?;
        if !keys.is_empty() {
            redis::cmd("UNLINK")
                .arg(&keys)
                .query_async::<()>(conn)
                .await?;
        }
        if next == 0 {
            return Ok(());
        }
        cursor = next;
    }
}

/// `"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms",
/// "p99_latency_ms","max_latency_ms"` then one row.
pub fn parse_redis_csv(text: &str) -> anyhow::Result<Ceiling> {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<String> = lines
        .next()
        .context("redis-benchmark printed nothing")?
        .split(',')
        .map(|s| s.trim_matches('"').to_owned())
        .collect();
    let row: Vec<String> = lines
        .next_back()
        .context("redis-benchmark printed no result row")?
        .rsplitn(header.len(), ',')
        .map(|s| s.trim_matches('"').to_owned())
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let field = |name: &str| -> Option<f64> {
        let i = header.iter().position(|h| h == name)?;
        row.get(i)?.parse().ok()
    };
    Ok(Ceiling {
        per_second: field("rps").context("no rps column in redis-benchmark output")?,
        p50_ms: field("p50_latency_ms"),
        p95_ms: field("p95_latency_ms"),
        p99_ms: field("p99_latency_ms"),
    })
}

/// The confirm transaction as pgbench runs it, on `ceiling.*` copies of the tables,
/// partitioned as the real ones are (migration V8).
const CONFIRM_SCRIPT: &str = r#"\set slot random(1, :slots)
BEGIN;
UPDATE ceiling.slots SET booked = booked + 1, version = version + 1
 WHERE id = :slot AND booked < capacity AND NOT closed AND starts_at > now()
 RETURNING id, site_id, campaign_id, version, capacity, booked, closed, starts_at, ends_at;
INSERT INTO ceiling.bookings (id, slot_id, campaign_id, cpr, hold_id, status, booked_by, created_at, updated_at)
 VALUES (gen_random_uuid(), :slot, 1, md5(random()::text), gen_random_uuid()::text, 'active', NULL, now(), now());
INSERT INTO ceiling.outbox (id, kind, cpr, payload)
 VALUES (uuid_v7(now()), 'booking_confirmed', 'bench', '{"booking_id": "bench", "slot_id": 1}');
COMMIT;
"#;

/// PostgreSQL: the confirm transaction from `clients` connections for `seconds`.
/// `db_url` must be a database with the booking schema (the benchmark's own).
pub async fn postgres_confirm(
    db_url: &str,
    slots: u32,
    clients: u32,
    seconds: u32,
    work_dir: &Path,
) -> anyhow::Result<Ceiling> {
    require("pgbench", "postgresql-contrib")?;
    let (db, conn) = tokio_postgres::connect(db_url, tokio_postgres::NoTls).await?;
    let driver = tokio::spawn(conn);
    db.batch_execute(&format!(
        "DROP SCHEMA IF EXISTS ceiling CASCADE;
         CREATE SCHEMA ceiling;
         CREATE TABLE ceiling.slots (LIKE public.slots INCLUDING ALL);
         CREATE TABLE ceiling.bookings (LIKE public.bookings INCLUDING ALL)
           PARTITION BY LIST (campaign_id);
         CREATE TABLE ceiling.bookings_c1 PARTITION OF ceiling.bookings FOR VALUES IN (1);
         CREATE TABLE ceiling.outbox (LIKE public.outbox INCLUDING ALL) PARTITION BY RANGE (id);
         CREATE TABLE ceiling.outbox_now PARTITION OF ceiling.outbox
           FOR VALUES FROM (uuid_v7_floor(now() - interval '1 day'))
                        TO (uuid_v7_floor(now() + interval '1 day'));
         CREATE TABLE ceiling.outbox_default PARTITION OF ceiling.outbox DEFAULT;
         INSERT INTO ceiling.slots (id, site_id, campaign_id, starts_at, ends_at, capacity)
           SELECT i, 1, 1, now() + interval '30 days' + i * interval '1 minute',
                  now() + interval '30 days' + (i + 1) * interval '1 minute', 1000000000
           FROM generate_series(1, {slots}) AS i;
         ANALYZE ceiling.slots;"
    ))
    .await
    .context("preparing the ceiling schema (is the booking schema migrated?)")?;
    std::fs::create_dir_all(work_dir)?;
    let script = work_dir.join("confirm.sql");
    std::fs::write(&script, CONFIRM_SCRIPT)?;
    let log_prefix = work_dir.join("pgbench");
    for e in std::fs::read_dir(work_dir)?.flatten() {
        if e.file_name().to_string_lossy().starts_with("pgbench.") {
            std::fs::remove_file(e.path())?;
        }
    }
    let out = Command::new("pgbench")
        .args(["-n", "-M", "prepared", "-j", "2"])
        .args(["-c", &clients.to_string(), "-T", &seconds.to_string()])
        .arg("-D")
        .arg(format!("slots={slots}"))
        .arg("-f")
        .arg(&script)
        .arg("-l")
        .arg(format!("--log-prefix={}", log_prefix.display()))
        .arg(db_url)
        .output()
        .context("running pgbench")?;
    db.batch_execute("DROP SCHEMA IF EXISTS ceiling CASCADE")
        .await?;
    drop(db);
    let _ = driver.await;
    let text = finished("pgbench", &out)?;
    let tps = parse_pgbench_tps(&text).context("no tps line in pgbench output")?;
    let mut latencies = Vec::new();
    for e in std::fs::read_dir(work_dir)?.flatten() {
        if e.file_name().to_string_lossy().starts_with("pgbench.") {
            latencies.extend(parse_pgbench_log(&std::fs::read_to_string(e.path())?));
        }
    }
    latencies.sort_unstable();
    let q = |q: f64| -> Option<f64> {
        let n = latencies.len();
        (n > 0).then(|| latencies[(((n - 1) as f64) * q).round() as usize] as f64 / 1000.0)
    };
    Ok(Ceiling {
        per_second: tps,
        p50_ms: q(0.5),
        p95_ms: q(0.95),
        p99_ms: q(0.99),
    })
}

/// `tps = 1234.567890 (without initial connection time)`
pub fn parse_pgbench_tps(text: &str) -> Option<f64> {
    text.lines()
        .filter(|l| l.starts_with("tps = "))
        .find_map(|l| {
            l.trim_start_matches("tps = ")
                .split(' ')
                .next()?
                .parse()
                .ok()
        })
}

/// Per-transaction log lines `client_id transaction_no time_us script_no epoch us`:
/// the third column is the latency in microseconds.
pub fn parse_pgbench_log(text: &str) -> Vec<u64> {
    text.lines()
        .filter_map(|l| l.split_whitespace().nth(2)?.parse().ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_redis_benchmark_csv() {
        let text = "\"test\",\"rps\",\"avg_latency_ms\",\"min_latency_ms\",\"p50_latency_ms\",\"p95_latency_ms\",\"p99_latency_ms\",\"max_latency_ms\"\n\"EVALSHA abc 3 k{slot:1},x\",\"81234.50\",\"0.550\",\"0.100\",\"0.500\",\"0.900\",\"1.300\",\"4.000\"\n";
        let c = parse_redis_csv(text).unwrap();
        assert_eq!(c.per_second, 81234.5);
        assert_eq!(c.p50_ms, Some(0.5));
        assert_eq!(c.p99_ms, Some(1.3));
    }

    #[test]
    fn parses_pgbench_output_and_log() {
        let out = "number of transactions actually processed: 100\nlatency average = 1.2 ms\ntps = 4321.123456 (without initial connection time)\n";
        assert_eq!(parse_pgbench_tps(out), Some(4321.123456));
        assert_eq!(
            parse_pgbench_log("0 1 1500 0 1700000000 1\n1 1 2500 0 1700000000 2\n"),
            vec![1500, 2500]
        );
    }
}
