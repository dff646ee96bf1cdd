//! The benchmark: on one machine and in one run, measure the ceilings (Redis running
//! the hold script, PostgreSQL running the confirm transaction, a static HTTP responder
//! under the read generator), then drive the booking service and print what it reached,
//! each figure beside its ceiling as a ratio.
//!
//! Phases against the service: availability reads at full speed (closed loop, `wrk`, the
//! same generator as the static responder's ceiling, see [`wrk`]); hold +
//! confirm at full speed (the peak); hold + confirm at 80% of the peak on a fixed
//! schedule (latency that counts queueing); twice the peak (overload: what is shed, how
//! admitted requests fare). The invariant is checked in PostgreSQL after the bookings
//! and again after the overload.

pub mod admitted;
pub mod ceilings;
pub mod cpu;
pub mod http1;
pub mod loadgen;
pub mod static_server;
pub mod wrk;

use anyhow::Context;
use hyper::header::HeaderValue;
use rand::seq::SliceRandom;
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::citizens;
use crate::invariant;
use ceilings::Ceiling;
use loadgen::{closed_loop, open_loop, Operation, Outcome, Stats};

#[derive(Debug, Clone)]
pub struct BenchConfig {
    /// The booking service instances under test (with the dev identity provider on,
    /// sharing its key). Requests go to one at random, as behind a load balancer; tokens
    /// come from the first.
    pub hosts: Vec<String>,
    /// Its database (the pgbench ceiling runs in a scratch schema there; the invariant
    /// is checked there).
    pub db_url: String,
    pub redis_url: String,
    /// Key prefix for the Redis ceiling's scratch keys.
    pub redis_prefix: String,
    /// Seconds per phase.
    pub seconds: u32,
    /// Closed-loop workers of the load generator.
    pub concurrency: usize,
    /// Citizens (tokens) prepared for the peak phase.
    pub citizens: usize,
    /// Worker threads of the static responder (give the service's).
    pub workers: usize,
    /// Threads of the read generator (wrk), for the static responder and the service.
    pub read_threads: usize,
    /// PostgreSQL connections for the pgbench ceiling (give the service's pool size).
    pub pg_clients: u32,
    pub campaign: String,
    /// Scratch files (pgbench logs, the captured body).
    pub work_dir: PathBuf,
    /// This program, to start the static responder as its own process.
    pub self_exe: PathBuf,
    /// Skip the overload phase.
    pub no_overload: bool,
}

impl BenchConfig {
    fn first_host(&self) -> &str {
        self.hosts.first().map_or("", String::as_str)
    }
}

/// A citizen's booking: hold a slot, then confirm it. One prepared token per booking.
struct Book {
    hosts: Arc<Vec<http1::Http1>>,
    slots: Arc<Vec<i64>>,
    tokens: Vec<HeaderValue>,
    next: AtomicUsize,
}

/// The one field the booking load reads from an answer: the new hold's or booking's
/// id. A typed read skips the rest without building a JSON tree (the generator shares
/// the machine with the service it measures).
#[derive(serde::Deserialize)]
struct Answer {
    #[serde(alias = "hold_id")]
    id: Option<String>,
}

#[derive(serde::Serialize)]
struct HoldRequest {
    slot_id: i64,
}

#[derive(serde::Serialize)]
struct ConfirmRequest<'a> {
    hold_id: &'a str,
}

async fn post(
    host: &http1::Http1,
    path: &str,
    token: &HeaderValue,
    body: &impl serde::Serialize,
) -> (Outcome, Option<Answer>) {
    let Ok(body) = serde_json::to_vec(body) else {
        return (Outcome::Error, None);
    };
    match host.post_json(path, token, body.into()).await {
        Ok((status, answer)) => match serde_json::from_slice::<Answer>(&answer) {
            Ok(v) => (Outcome::of_status(status), Some(v)),
            Err(_) => (Outcome::Error, None),
        },
        Err(_) => (Outcome::Error, None),
    }
}

impl Operation for Book {
    async fn run(&self, scheduled: Instant, stats: &mut Stats) -> Option<()> {
        let Some(token) = self.tokens.get(self.next.fetch_add(1, Ordering::Relaxed)) else {
            stats.outcome("booking", Outcome::Exhausted);
            return None;
        };
        let slot = *self.slots.choose(&mut rand::thread_rng())?;
        // A stateless service: the confirm may reach another instance than the hold.
        let host = || self.hosts.choose(&mut rand::thread_rng());
        let (held, body) = post(host()?, "/v1/holds", token, &HoldRequest { slot_id: slot }).await;
        // Shed answers are fast; they are kept apart so "hold" is the admitted requests.
        let name = if held == Outcome::Shed {
            "hold_shed"
        } else {
            "hold"
        };
        stats.latency(name, scheduled.elapsed());
        stats.outcome("hold", held);
        let hold_id = match (held, body) {
            (Outcome::Ok, Some(b)) => b.id,
            _ => None,
        };
        let Some(hold_id) = hold_id else {
            return Some(());
        };
        let started = Instant::now();
        let (confirmed, body) = post(
            host()?,
            "/v1/bookings",
            token,
            &ConfirmRequest { hold_id: &hold_id },
        )
        .await;
        stats.latency("confirm", started.elapsed());
        stats.latency("booking", scheduled.elapsed());
        stats.outcome("confirm", confirmed);
        if let (Outcome::Ok, Some(Answer { id: Some(id) })) = (confirmed, body) {
            crate::record::confirmed(&id);
        }
        Some(())
    }
}

/// What the service offers, found through its public API.
struct Catalog {
    /// Every site-day's availability path (the same on every instance).
    day_paths: Vec<String>,
    slots: Vec<i64>,
    sample_body: Vec<u8>,
}

async fn discover(cfg: &BenchConfig, http: &reqwest::Client) -> anyhow::Result<Catalog> {
    let first = cfg.first_host();
    let mut sites = Vec::new();
    let mut offset = 0;
    loop {
        let page: Value = http
            .get(format!(
                "{first}/v1/sites?campaign={}&limit=200&offset={offset}",
                cfg.campaign
            ))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let ids: Vec<i64> = page["sites"]
            .as_array()
            .map(|a| a.iter().filter_map(|s| s["id"].as_i64()).collect())
            .unwrap_or_default();
        if ids.is_empty() {
            break;
        }
        offset += ids.len();
        sites.extend(ids);
        if sites.len() >= 2000 {
            break;
        }
    }
    anyhow::ensure!(
        !sites.is_empty(),
        "no sites with free places for {}: seed the database first",
        cfg.campaign
    );
    let today = chrono::Local::now().date_naive();
    let mut day_paths = Vec::new();
    for site in &sites {
        for ahead in 1..=7 {
            let day = today + chrono::Duration::days(ahead);
            day_paths.push(format!(
                "/v1/sites/{site}/slots?date={day}&campaign={}",
                cfg.campaign
            ));
        }
    }
    let mut slots = Vec::new();
    let mut sample_body = Vec::new();
    for path in day_paths.iter().step_by(3).take(600) {
        let body = http
            .get(format!("{first}{path}"))
            .send()
            .await?
            .bytes()
            .await?;
        let v: Value = serde_json::from_slice(&body)?;
        if let Some(a) = v["slots"].as_array() {
            slots.extend(
                a.iter()
                    .filter(|s| s["remaining"].as_i64().unwrap_or(0) > 0)
                    .filter_map(|s| s["id"].as_i64()),
            );
        }
        if body.len() > sample_body.len() {
            sample_body = body.to_vec();
        }
    }
    anyhow::ensure!(!slots.is_empty(), "no free slots in the next week");
    Ok(Catalog {
        day_paths,
        slots,
        sample_body,
    })
}

/// Gets `n` citizen tokens from the service's development identity provider.
async fn mint_tokens(
    cfg: &BenchConfig,
    client: &reqwest::Client,
    n: usize,
) -> anyhow::Result<Vec<String>> {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let url = format!("{}/dev/token", cfg.first_host());
    let per = n.div_ceil(32);
    let tasks: Vec<_> = (0..32)
        .map(|_| {
            let client = client.clone();
            let url = url.clone();
            tokio::spawn(async move {
                let mut out = Vec::with_capacity(per);
                for _ in 0..per {
                    let cpr = citizens::cpr(NEXT.fetch_add(1, Ordering::Relaxed) as u64);
                    let v: Value = client
                        .post(&url)
                        .json(&json!({"role": "citizen", "cpr": cpr}))
                        .send()
                        .await?
                        .error_for_status()?
                        .json()
                        .await?;
                    out.push(v["access_token"].as_str().unwrap_or_default().to_owned());
                }
                anyhow::Ok(out)
            })
        })
        .collect();
    let mut all = Vec::with_capacity(n);
    for t in tasks {
        all.extend(t.await??);
    }
    all.truncate(n);
    Ok(all)
}

/// The static responder as a child process; killed when dropped.
struct StaticServer {
    child: std::process::Child,
    port: u16,
}

impl StaticServer {
    fn start(cfg: &BenchConfig, body: &[u8]) -> anyhow::Result<Self> {
        use std::io::BufRead;
        std::fs::create_dir_all(&cfg.work_dir)?;
        let file = cfg.work_dir.join("availability.json");
        std::fs::write(&file, body)?;
        let mut child = std::process::Command::new(&cfg.self_exe)
            .arg("static-server")
            .arg("--body")
            .arg(&file)
            .arg("--workers")
            .arg(cfg.workers.to_string())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .context("starting the static responder")?;
        let stdout = child.stdout.take().context("static responder stdout")?;
        let mut line = String::new();
        std::io::BufReader::new(stdout).read_line(&mut line)?;
        let port = line.trim().parse().context("static responder port")?;
        Ok(Self { child, port })
    }
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Every figure of one benchmark run.
#[derive(Debug, Default)]
pub struct Results {
    pub redis: Ceiling,
    pub postgres: Ceiling,
    pub http: Ceiling,
    pub reads_per_s: f64,
    /// Reads answered 400 or above (a 429 or 503 among them), or not at all.
    pub read_errors: u64,
    pub read_ms: [Option<f64>; 3],
    pub peak_bookings_per_s: f64,
    pub peak_holds_per_s: f64,
    pub peak_errors: u64,
    pub at80_rate: f64,
    pub at80_bookings_per_s: f64,
    /// The holds at 80% of the peak inside the service, admission to answer.
    pub at80_inside_hold_ms: Inside,
    pub hold_ms: [Option<f64>; 3],
    pub confirm_ms: [Option<f64>; 3],
    pub overload: Option<Overload>,
    pub invariant_after_bookings: String,
    pub invariant_after_overload: Option<String>,
    pub invariant_ok: bool,
    /// Each process group's share of the CPU, by phase of the service.
    pub cpu: Vec<(&'static str, cpu::CpuUse)>,
}

#[derive(Debug, Default)]
pub struct Overload {
    pub offered_per_s: f64,
    pub bookings_per_s: f64,
    pub shed: u64,
    pub refused: u64,
    pub errors: u64,
    pub admitted_hold_ms: [Option<f64>; 3],
    /// The same holds as the service timed them, admission to answer (bucket bounds),
    /// and its histogram's last finite bound; `None` if `/metrics` could not be read.
    pub inside_hold_ms: Inside,
}

fn quantiles(stats: &mut Stats, name: &'static str) -> [Option<f64>; 3] {
    [
        stats.quantile_ms(name, 0.5),
        stats.quantile_ms(name, 0.95),
        stats.quantile_ms(name, 0.99),
    ]
}

/// Availability reads at full speed against every instance at once: one wrk per
/// instance, the connections shared out between them.
fn read_every_host(cfg: &BenchConfig, paths: &[String]) -> anyhow::Result<wrk::WrkRun> {
    let hosts = cfg.hosts.len().max(1);
    let runs = std::thread::scope(|scope| {
        let handles: Vec<_> = cfg
            .hosts
            .iter()
            .enumerate()
            .map(|(i, host)| {
                let dir = cfg.work_dir.join(format!("reads-{i}"));
                scope.spawn(move || {
                    wrk::run(
                        host,
                        paths,
                        cfg.read_threads.div_ceil(hosts),
                        cfg.concurrency.div_ceil(hosts),
                        cfg.seconds,
                        &dir,
                    )
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("wrk thread panicked")))
            })
            .collect::<anyhow::Result<Vec<_>>>()
    })?;
    Ok(wrk::WrkRun::combine(&runs))
}

/// The holds' p50/p95/p99 bounds (and the last finite bucket) inside the service
/// between two scrapes of its `booking_admitted_seconds`; `None` (said on stderr) when
/// either scrape failed.
type Inside = Option<([Option<f64>; 3], f64)>;

fn inside_between(
    before: anyhow::Result<admitted::Buckets>,
    after: anyhow::Result<admitted::Buckets>,
) -> Inside {
    match (before, after) {
        (Ok(b), Ok(a)) => {
            let phase = a.since(&b);
            Some((
                [0.5, 0.95, 0.99].map(|q| phase.quantile_bound_ms(q)),
                phase.last_finite_ms(),
            ))
        }
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("  the service's /metrics not read: {e:#}");
            None
        }
    }
}

fn inside_text(q: &[Option<f64>; 3], last: f64) -> String {
    format!(
        "{} / {} / {}",
        admitted::bound_text(q[0], last),
        admitted::bound_text(q[1], last),
        admitted::bound_text(q[2], last)
    )
}

/// Runs every phase and returns the figures (print them with [`table`]).
pub async fn run(cfg: &BenchConfig) -> anyhow::Result<Results> {
    anyhow::ensure!(!cfg.hosts.is_empty(), "--host names no booking instance");
    let secs = Duration::from_secs(u64::from(cfg.seconds.max(1)));
    // Discovery, tokens and /metrics; the bookings go through `http1`.
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()?;
    let mut r = Results::default();

    eprintln!("discovering sites and slots at {}", cfg.hosts.join(", "));
    let catalog = discover(cfg, &client).await?;
    eprintln!(
        "  {} site-days, {} free slots; availability body {} bytes",
        catalog.day_paths.len(),
        catalog.slots.len(),
        catalog.sample_body.len()
    );

    eprintln!("ceiling 1/3: redis-benchmark running the hold script");
    r.redis = ceilings::redis_hold(
        cfg.redis_url.split(',').next().unwrap_or_default(),
        &cfg.redis_prefix,
        10_000,
        cfg.concurrency.clamp(1, 512) as u32,
        (cfg.seconds.max(1) * 40_000).max(100_000),
    )
    .await?;
    eprintln!("ceiling 2/3: pgbench running the confirm transaction");
    r.postgres = ceilings::postgres_confirm(
        &cfg.db_url,
        10_000,
        cfg.pg_clients,
        cfg.seconds.max(1),
        &cfg.work_dir,
    )
    .await?;
    eprintln!("ceiling 3/3: static HTTP responder under the read generator (wrk)");
    {
        let server = StaticServer::start(cfg, &catalog.sample_body)?;
        let base = format!("http://127.0.0.1:{}", server.port);
        r.http = wrk::run(
            &base,
            &["/static".to_owned()],
            cfg.read_threads,
            cfg.concurrency,
            cfg.seconds,
            &cfg.work_dir,
        )?
        .ceiling();
    }

    eprintln!("service 1/4: availability reads at full speed (wrk)");
    let before = cpu::sample();
    let reads = read_every_host(cfg, &catalog.day_paths)?;
    r.cpu.push(("reads", cpu::sample().since(&before)));
    r.reads_per_s = reads.per_second();
    r.read_errors = reads.errors;
    r.read_ms = [Some(reads.p50_ms), Some(reads.p95_ms), Some(reads.p99_ms)];

    let slots = Arc::new(catalog.slots);
    eprintln!(
        "service 2/4: hold + confirm at full speed ({} citizens prepared)",
        cfg.citizens
    );
    let tokens = mint_tokens(cfg, &client, cfg.citizens).await?;
    let hosts = Arc::new(
        cfg.hosts
            .iter()
            .map(|h| http1::Http1::new(h, Duration::from_secs(10)))
            .collect::<anyhow::Result<Vec<_>>>()?,
    );
    let book = |tokens: Vec<String>| -> anyhow::Result<Arc<Book>> {
        Ok(Arc::new(Book {
            hosts: hosts.clone(),
            slots: slots.clone(),
            tokens: tokens
                .iter()
                .map(|t| http1::bearer(t))
                .collect::<anyhow::Result<_>>()?,
            next: AtomicUsize::new(0),
        }))
    };
    let before = cpu::sample();
    let s = closed_loop(book(tokens)?, cfg.concurrency, secs).await;
    r.cpu.push(("the peak", cpu::sample().since(&before)));
    r.peak_bookings_per_s = s.rate("confirm", Outcome::Ok);
    r.peak_holds_per_s = s.rate("hold", Outcome::Ok);
    r.peak_errors = s.count("hold", Outcome::Error) + s.count("confirm", Outcome::Error);
    if s.count("booking", Outcome::Exhausted) > 0 {
        eprintln!(
            "  (the prepared citizens ran out after {:.1} s; the rate is over that time)",
            s.elapsed.as_secs_f64()
        );
    }

    let peak = r.peak_bookings_per_s.max(1.0);
    r.at80_rate = 0.8 * peak;
    eprintln!(
        "service 3/4: hold + confirm on a schedule at 80% of the peak ({:.0}/s)",
        r.at80_rate
    );
    let need = (r.at80_rate * secs.as_secs_f64()).ceil() as usize + 16;
    let tokens = mint_tokens(cfg, &client, need).await?;
    let inside_before = admitted::scrape(&client, &cfg.hosts, "/v1/holds").await;
    let before = cpu::sample();
    let mut s = open_loop(book(tokens)?, r.at80_rate, secs, 20_000).await;
    r.cpu
        .push(("80% of the peak", cpu::sample().since(&before)));
    let inside_after = admitted::scrape(&client, &cfg.hosts, "/v1/holds").await;
    r.at80_inside_hold_ms = inside_between(inside_before, inside_after);
    r.at80_bookings_per_s = s.rate("confirm", Outcome::Ok);
    r.hold_ms = quantiles(&mut s, "hold");
    r.confirm_ms = quantiles(&mut s, "confirm");

    let report = invariant::check_url(&cfg.db_url, &crate::record::all_confirmed()).await?;
    r.invariant_ok = report.holds();
    r.invariant_after_bookings = report.to_string();
    eprintln!("  {}", r.invariant_after_bookings.trim_end());

    if !cfg.no_overload {
        let offered = 2.0 * peak;
        eprintln!(
            "service 4/4: overload, hold + confirm offered at twice the peak ({offered:.0}/s)"
        );
        let need = (offered * secs.as_secs_f64()).ceil() as usize + 16;
        let tokens = mint_tokens(cfg, &client, need).await?;
        let inside_before = admitted::scrape(&client, &cfg.hosts, "/v1/holds").await;
        let before = cpu::sample();
        let mut s = open_loop(book(tokens)?, offered, secs, 50_000).await;
        r.cpu.push(("twice the peak", cpu::sample().since(&before)));
        let inside_after = admitted::scrape(&client, &cfg.hosts, "/v1/holds").await;
        let inside = inside_between(inside_before, inside_after);
        r.overload = Some(Overload {
            offered_per_s: offered,
            bookings_per_s: s.rate("confirm", Outcome::Ok),
            shed: s.count("hold", Outcome::Shed) + s.count("confirm", Outcome::Shed),
            refused: s.count("hold", Outcome::Refused) + s.count("confirm", Outcome::Refused),
            errors: s.count("hold", Outcome::Error)
                + s.count("confirm", Outcome::Error)
                + s.count("generator", Outcome::Error),
            admitted_hold_ms: quantiles(&mut s, "hold"),
            inside_hold_ms: inside,
        });
        let report = invariant::check_url(&cfg.db_url, &crate::record::all_confirmed()).await?;
        r.invariant_ok &= report.holds();
        eprintln!("  {}", report.to_string().trim_end());
        r.invariant_after_overload = Some(report.to_string());
    }
    Ok(r)
}

fn ms(v: Option<f64>) -> String {
    v.map_or("–".into(), |v| format!("{v:.2}"))
}

fn ratio(a: f64, b: f64) -> String {
    if b > 0.0 {
        format!("{:.2}", a / b)
    } else {
        "–".into()
    }
}

/// The results as a Markdown table, ceilings beside.
pub fn table(r: &Results, cfg: &BenchConfig) -> String {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "| measure | booking service | ceiling | ratio | ceiling measured by |"
    );
    let _ = writeln!(t, "|---|---:|---:|---:|---|");
    let _ = writeln!(
        t,
        "| confirmed bookings/s (hold + confirm, peak) | {:.0} | {:.0} | {} | pgbench: the confirm transaction, {} connections |",
        r.peak_bookings_per_s,
        r.postgres.per_second,
        ratio(r.peak_bookings_per_s, r.postgres.per_second),
        cfg.pg_clients
    );
    let _ = writeln!(
        t,
        "| holds/s (peak) | {:.0} | {:.0} | {} | redis-benchmark: hold.lua, {} connections |",
        r.peak_holds_per_s,
        r.redis.per_second,
        ratio(r.peak_holds_per_s, r.redis.per_second),
        cfg.concurrency.clamp(1, 512)
    );
    let _ = writeln!(
        t,
        "| availability reads/s ({} not answered 2xx) | {:.0} | {:.0} | {} | static responder, {} workers; both read by wrk, {} thread(s), {} connections |",
        r.read_errors,
        r.reads_per_s,
        r.http.per_second,
        ratio(r.reads_per_s, r.http.per_second),
        cfg.workers,
        cfg.read_threads,
        cfg.concurrency
    );
    for (name, svc, ceil) in [
        (
            "read latency p50/p95/p99 ms",
            r.read_ms,
            [r.http.p50_ms, r.http.p95_ms, r.http.p99_ms],
        ),
        (
            "hold latency at 80% of peak, p50/p95/p99 ms",
            r.hold_ms,
            [r.redis.p50_ms, r.redis.p95_ms, r.redis.p99_ms],
        ),
        (
            "confirm latency at 80% of peak, p50/p95/p99 ms",
            r.confirm_ms,
            [r.postgres.p50_ms, r.postgres.p95_ms, r.postgres.p99_ms],
        ),
    ] {
        let _ = writeln!(
            t,
            "| {name} | {} / {} / {} | {} / {} / {} | p99 {} | (the ceiling's own latency) |",
            ms(svc[0]),
            ms(svc[1]),
            ms(svc[2]),
            ms(ceil[0]),
            ms(ceil[1]),
            ms(ceil[2]),
            match (svc[2], ceil[2]) {
                (Some(a), Some(b)) => ratio(a, b),
                _ => "–".into(),
            }
        );
    }
    let _ = writeln!(
        t,
        "\nAt 80% of the peak ({:.0} bookings/s offered on a schedule) the service confirmed {:.0}/s. Errors at the peak: {}.",
        r.at80_rate, r.at80_bookings_per_s, r.peak_errors
    );
    if let Some((q, last)) = &r.at80_inside_hold_ms {
        let _ = writeln!(
            t,
            "The holds at 80% of the peak inside the service, admission to answer (its `booking_admitted_seconds` buckets): p50/p95/p99 {} ms.",
            inside_text(q, *last)
        );
    }
    if cfg.hosts.len() > 1 {
        let _ = writeln!(
            t,
            "Booking instances: {}, each request to one at random.",
            cfg.hosts.len()
        );
    }
    if let Some(o) = &r.overload {
        let _ = writeln!(
            t,
            "Overload at twice the peak ({:.0}/s offered): {:.0} bookings/s confirmed, {} requests shed (503/429 with Retry-After), {} refused (slot full), {} errors or timeouts; admitted holds p50/p95/p99 {} / {} / {} ms from their scheduled start (the generator's own waiting included).",
            o.offered_per_s,
            o.bookings_per_s,
            o.shed,
            o.refused,
            o.errors,
            ms(o.admitted_hold_ms[0]),
            ms(o.admitted_hold_ms[1]),
            ms(o.admitted_hold_ms[2])
        );
        if let Some((q, last)) = &o.inside_hold_ms {
            let _ = writeln!(
                t,
                "The same holds inside the service, admission to answer (its `booking_admitted_seconds` buckets): p50/p95/p99 {} ms.",
                inside_text(q, *last)
            );
        }
    }
    if !r.cpu.is_empty() {
        let _ = writeln!(
            t,
            "\nCPU by phase, as a share of one core (the machine's cores together make {}%):",
            100 * std::thread::available_parallelism().map_or(1, |n| n.get())
        );
        for (phase, use_) in &r.cpu {
            let _ = writeln!(t, "- {phase}: {use_}");
        }
    }
    let _ = writeln!(
        t,
        "\nAfter the bookings: {}",
        r.invariant_after_bookings.trim_end()
    );
    if let Some(s) = &r.invariant_after_overload {
        let _ = writeln!(t, "After the overload: {}", s.trim_end());
    }
    t
}
