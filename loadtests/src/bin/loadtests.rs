//! `loadtests`: goose scenarios, the invariant check and the benchmark.
//!
//! ```text
//! loadtests run SCENARIOS [options] [goose options]   e.g. run surge:8,bots:2 --host URL --report out.html
//! loadtests check --db URL                            the invariant, alone
//! loadtests bench [options]                           ceilings + service, the ratio table
//! loadtests static-server --body FILE [--workers N] [--port P]
//! ```
//!
//! Run options: `--db URL` (checked after the run), `--pass-host URL`, `--campaign CODE`,
//! `--think MIN_MS:MAX_MS`, `--days N`, `--report FILE` (goose's HTML report); for
//! `opening`, `--opens-in SECONDS` (10), `--admit PER_SECOND` (20, the room's first
//! admission rate) and `--refresh-ms MS` (2000); every other option goes to goose
//! (`--users`, `--hatch-rate`, `--run-time`, ...).

use anyhow::Context;
use goose::config::GooseConfiguration;
use goose::prelude::*;
use gumdrop::Options;
use loadtests::bench::{self, BenchConfig};
use loadtests::scenarios::make_room;
use loadtests::{invariant, opening, record, scenarios};
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

const USAGE: &str = "usage: loadtests run SCENARIO[:WEIGHT][,...] [--host URL] [--db URL] [--report FILE] [goose options]
       loadtests check --db URL
       loadtests bench [--host URL[,URL...]] [--db URL] [--redis URL] [--seconds N] [--concurrency N] [--citizens N] [--workers N] [--read-threads N] [--pg-clients N] [--out FILE] [--no-overload]
       loadtests static-server --body FILE [--workers N] [--port P]
scenarios: surge, bots, steady, opening, passes, verifier";

/// Splits our own `--key value` options from the rest (passed on to goose).
fn take_options(args: &[String], ours: &[&str]) -> (HashMap<String, String>, Vec<String>) {
    let mut mine = HashMap::new();
    let mut rest = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        let (key, inline) = match a.split_once('=') {
            Some((k, v)) => (k.to_owned(), Some(v.to_owned())),
            None => (a.clone(), None),
        };
        let name = key.trim_start_matches("--");
        if key.starts_with("--") && ours.contains(&name) {
            let value = match inline {
                Some(v) => v,
                None if name.starts_with("no-") => "true".into(),
                None => {
                    i += 1;
                    args.get(i).cloned().unwrap_or_default()
                }
            };
            mine.insert(name.to_owned(), value);
        } else {
            rest.push(a.clone());
        }
        i += 1;
    }
    (mine, rest)
}

fn opt<T: std::str::FromStr>(
    o: &HashMap<String, String>,
    key: &str,
    default: T,
) -> anyhow::Result<T> {
    match o.get(key) {
        Some(v) => v
            .parse()
            .map_err(|_| anyhow::anyhow!("--{key}: cannot read {v:?}")),
        None => Ok(default),
    }
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("run") => run_scenarios(&args[1..]),
        Some("check") => runtime()?.block_on(check(&args[1..])),
        Some("bench") => runtime()?.block_on(run_bench(&args[1..])),
        Some("static-server") => static_server(&args[1..]),
        _ => {
            eprintln!("{USAGE}");
            std::process::exit(2);
        }
    }
}

fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
}

fn run_scenarios(args: &[String]) -> anyhow::Result<()> {
    let Some(list) = args.first() else {
        anyhow::bail!("{USAGE}");
    };
    let (o, mut goose_args) = take_options(
        &args[1..],
        &[
            "db",
            "pass-host",
            "campaign",
            "think",
            "days",
            "report",
            "abandon",
            "opens-in",
            "admit",
            "refresh-ms",
        ],
    );
    let mut named = Vec::new();
    for part in list.split(',') {
        let (name, weight) = match part.split_once(':') {
            Some((n, w)) => (n, w.parse().context("scenario weight")?),
            None => (part, 1usize),
        };
        named.push((name.to_owned(), weight));
    }
    if let Some(report) = o.get("report") {
        goose_args.push("--report-file".into());
        goose_args.push(report.clone());
    }
    let config = GooseConfiguration::parse_args_default(&goose_args)
        .map_err(|e| anyhow::anyhow!("goose options: {e}"))?;
    let mut plan = scenarios::Plan::default();
    if !config.host.is_empty() {
        plan.booking_host = config.host.trim_end_matches('/').to_owned();
    }
    if let Some(h) = o.get("pass-host") {
        plan.pass_host = h.trim_end_matches('/').to_owned();
    }
    plan.campaign = opt(&o, "campaign", plan.campaign)?;
    plan.days = opt(&o, "days", plan.days)?;
    plan.abandon = opt(&o, "abandon", plan.abandon)?;
    if let Some(t) = o.get("think") {
        let (a, b) = t.split_once(':').context("--think MIN_MS:MAX_MS")?;
        plan.think_ms = (a.parse()?, b.parse()?);
    }
    plan.refresh_ms = opt(&o, "refresh-ms", plan.refresh_ms)?;
    let host = plan.booking_host.clone();
    let rt = runtime()?;
    if named.iter().any(|(n, _)| n == "opening") {
        let opens_in = Duration::from_secs(opt(&o, "opens-in", 10)?);
        let room = rt.block_on(opening::Opening::prepare(
            &host,
            &plan.campaign,
            opens_in,
            opt(&o, "admit", 20.0)?,
        ))?;
        println!(
            "waiting room {} gates {} from {} s after the first citizen arrives",
            room.name,
            plan.campaign,
            opens_in.as_secs()
        );
        plan.room = Some(room.name.clone());
        opening::arm(room)?;
    }
    let built = scenarios::build(plan, &named)?;
    rt.block_on(async move {
        let mut attack: GooseAttack = *GooseAttack::initialize_with_config(config)?
            .set_default(GooseDefault::Host, host.as_str())?
            .set_default(GooseDefault::Users, 50)?
            .set_default(GooseDefault::HatchRate, "25")?
            .set_default(GooseDefault::RunTime, 60)?;
        for s in built {
            attack = attack.register_scenario(s);
        }
        if opening::armed().is_some() {
            attack = attack.test_start(transaction!(make_room));
        }
        let metrics = attack.execute().await?;
        println!(
            "goose finished: {} requests in {} s",
            metrics
                .requests
                .values()
                .map(|r| r.raw_data.counter)
                .sum::<usize>(),
            metrics.duration
        );
        if let Some(room) = opening::armed() {
            println!("{}", opening::summary());
            room.ungate().await?;
        }
        let confirmed = record::all_confirmed();
        println!("{} bookings confirmed during the run", confirmed.len());
        if let Some(db) = o.get("db") {
            let report = invariant::check_url(db, &confirmed).await?;
            println!("{report}");
            anyhow::ensure!(report.holds(), "the booking invariant is broken");
        } else {
            println!("(no --db given: the invariant was not checked)");
        }
        anyhow::Ok(())
    })
}

async fn check(args: &[String]) -> anyhow::Result<()> {
    let (o, _) = take_options(args, &["db"]);
    let db = o.get("db").context("--db URL is required")?;
    let report = invariant::check_url(db, &[]).await?;
    println!("{report}");
    anyhow::ensure!(report.holds(), "the booking invariant is broken");
    Ok(())
}

async fn run_bench(args: &[String]) -> anyhow::Result<()> {
    let (o, rest) = take_options(
        args,
        &[
            "host",
            "db",
            "redis",
            "redis-prefix",
            "seconds",
            "concurrency",
            "citizens",
            "workers",
            "read-threads",
            "pg-clients",
            "campaign",
            "work-dir",
            "out",
            "no-overload",
        ],
    );
    anyhow::ensure!(rest.is_empty(), "unknown options {rest:?}\n{USAGE}");
    let cfg = BenchConfig {
        hosts: opt(&o, "host", "http://127.0.0.1:8080".to_owned())?
            .split(',')
            .map(|h| h.trim().trim_end_matches('/').to_owned())
            .filter(|h| !h.is_empty())
            .collect(),
        db_url: opt(
            &o,
            "db",
            "postgres://postgres:postgres@127.0.0.1:5432/load_bench".to_owned(),
        )?,
        redis_url: opt(&o, "redis", "redis://127.0.0.1:6379/0".to_owned())?,
        redis_prefix: opt(&o, "redis-prefix", "lbceil:".to_owned())?,
        seconds: opt(&o, "seconds", 10)?,
        concurrency: opt(&o, "concurrency", 128)?,
        citizens: opt(&o, "citizens", 50_000)?,
        workers: opt(&o, "workers", 2)?,
        read_threads: opt(&o, "read-threads", 1)?,
        pg_clients: opt(&o, "pg-clients", 16)?,
        campaign: opt(&o, "campaign", "pcr-test".to_owned())?,
        work_dir: PathBuf::from(opt(&o, "work-dir", "var/bench".to_owned())?),
        self_exe: std::env::current_exe()?,
        no_overload: opt(&o, "no-overload", false)?,
    };
    let results = bench::run(&cfg).await?;
    let table = bench::table(&results, &cfg);
    println!("\n{table}");
    if let Some(out) = o.get("out") {
        std::fs::write(out, &table).with_context(|| format!("writing {out}"))?;
    }
    anyhow::ensure!(results.invariant_ok, "the booking invariant is broken");
    Ok(())
}

fn static_server(args: &[String]) -> anyhow::Result<()> {
    let (o, _) = take_options(args, &["body", "workers", "port"]);
    let body = std::fs::read(o.get("body").context("--body FILE is required")?)?;
    let workers = opt(&o, "workers", 2)?;
    let port = opt(&o, "port", 0)?;
    actix_web::rt::System::new().block_on(bench::static_server::serve(body, port, workers))?;
    Ok(())
}
