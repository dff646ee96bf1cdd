//! Reads at full speed are driven by `wrk` (C, epoll), for the static responder and the
//! booking service alike. The benchmark's own Rust generator (reqwest) spends more CPU
//! per request than a fast server does: on these two cores it could not offer more than
//! about 37,000 requests a second, so it measured itself instead of the server. Holds
//! and confirms, which need tokens and bodies, stay on the Rust generator.
//!
//! A Lua script walks the given paths (each thread from its own offset) and prints one
//! line at the end: requests, duration, error counts and latency quantiles.

use anyhow::Context;
use std::path::Path;
use std::process::Command;

use super::ceilings::{finished, require, Ceiling};

/// The script wrk runs: paths from `WRK_PATHS`, one summary line `WRK ...` when done.
const SCRIPT: &str = r#"
local paths = {}
for line in io.lines(os.getenv("WRK_PATHS")) do paths[#paths + 1] = line end
local threads, counter = {}, 0
function setup(thread)
  counter = counter + 1
  thread:set("offset", counter * 7919)
  table.insert(threads, thread)
end
local i = 0
function init(args) i = tonumber(offset) or 0 end
function request()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK %d %d %d %d %d %d %d %d %d %d\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"#;

/// What one wrk run came to.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WrkRun {
    /// Responses with a status below 400.
    pub ok: u64,
    /// Responses of 400 and above, and connect, read, write errors and timeouts.
    pub errors: u64,
    pub seconds: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
}

impl WrkRun {
    pub fn per_second(&self) -> f64 {
        self.ok as f64 / self.seconds.max(1e-9)
    }

    pub fn ceiling(&self) -> Ceiling {
        Ceiling {
            per_second: self.per_second(),
            p50_ms: Some(self.p50_ms),
            p95_ms: Some(self.p95_ms),
            p99_ms: Some(self.p99_ms),
        }
    }

    /// Several runs side by side (one per instance): counts add up, latency quantiles
    /// are the worst run's (an upper bound, not a merge).
    pub fn combine(runs: &[WrkRun]) -> WrkRun {
        let seconds = runs.iter().map(|r| r.seconds).fold(0.0, f64::max);
        let worst = |f: fn(&WrkRun) -> f64| runs.iter().map(f).fold(0.0, f64::max);
        WrkRun {
            ok: runs.iter().map(|r| r.ok).sum(),
            errors: runs.iter().map(|r| r.errors).sum(),
            seconds,
            p50_ms: worst(|r| r.p50_ms),
            p95_ms: worst(|r| r.p95_ms),
            p99_ms: worst(|r| r.p99_ms),
        }
    }
}

/// Parses the script's summary line out of wrk's output.
pub fn parse(output: &str) -> anyhow::Result<WrkRun> {
    let line = output
        .lines()
        .find_map(|l| l.strip_prefix("WRK "))
        .context("wrk printed no summary line")?;
    let n: Vec<u64> = line
        .split_whitespace()
        .map(str::parse)
        .collect::<Result<_, _>>()
        .context("wrk's summary line is not numbers")?;
    anyhow::ensure!(n.len() == 10, "wrk's summary line has {} fields", n.len());
    let [requests, duration_us, connect, read, write, status, timeout, p50, p95, p99] = n[..]
    else {
        unreachable!("length checked above");
    };
    let us = |v: u64| v as f64 / 1000.0;
    Ok(WrkRun {
        ok: requests.saturating_sub(status),
        errors: status + connect + read + write + timeout,
        seconds: duration_us as f64 / 1e6,
        p50_ms: us(p50),
        p95_ms: us(p95),
        p99_ms: us(p99),
    })
}

/// GETs `paths` of `base` (scheme, host and port) for `seconds` with `connections` open
/// connections on `threads` threads, as fast as the server answers.
pub fn run(
    base: &str,
    paths: &[String],
    threads: usize,
    connections: usize,
    seconds: u32,
    work_dir: &Path,
) -> anyhow::Result<WrkRun> {
    require("wrk", "wrk")?;
    anyhow::ensure!(!paths.is_empty(), "wrk: no paths to read");
    std::fs::create_dir_all(work_dir)?;
    let script = work_dir.join("reads.lua");
    std::fs::write(&script, SCRIPT)?;
    let list = work_dir.join(format!("paths-{}.txt", std::process::id()));
    std::fs::write(&list, paths.join("\n") + "\n")?;
    let threads = threads.max(1);
    let out = Command::new("wrk")
        .env("WRK_PATHS", &list)
        .arg("--threads")
        .arg(threads.to_string())
        .arg("--connections")
        .arg(connections.max(threads).to_string())
        .arg("--duration")
        .arg(format!("{}s", seconds.max(1)))
        .arg("--timeout")
        .arg("10s")
        .arg("--script")
        .arg(&script)
        .arg(base)
        .output()
        .context("running wrk")?;
    let _ = std::fs::remove_file(&list);
    parse(&finished("wrk", &out)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_summary_line() {
        let out = "Running 10s test @ http://127.0.0.1:1\n  1 threads and 64 connections\n\
                   WRK 500000 10000000 0 1 0 20 3 1200 2500 4100\n";
        let r = parse(out).unwrap();
        assert_eq!(r.ok, 499_980);
        assert_eq!(r.errors, 24);
        assert_eq!(r.seconds, 10.0);
        assert_eq!(r.per_second(), 49_998.0);
        assert_eq!((r.p50_ms, r.p95_ms, r.p99_ms), (1.2, 2.5, 4.1));
    }

    #[test]
    fn refuses_output_without_a_summary() {
        assert!(parse("Running 10s test\n").is_err());
        assert!(parse("WRK 1 2 3\n").is_err());
        assert!(parse("WRK a b c d e f g h i j\n").is_err());
    }

    #[test]
    fn combined_runs_add_counts_and_keep_the_worst_tail() {
        let a = WrkRun {
            ok: 10,
            errors: 1,
            seconds: 2.0,
            p50_ms: 1.0,
            p95_ms: 2.0,
            p99_ms: 9.0,
        };
        let b = WrkRun {
            ok: 30,
            errors: 0,
            seconds: 2.5,
            p50_ms: 3.0,
            p95_ms: 4.0,
            p99_ms: 5.0,
        };
        let c = WrkRun::combine(&[a, b]);
        assert_eq!((c.ok, c.errors, c.seconds), (40, 1, 2.5));
        assert_eq!((c.p50_ms, c.p95_ms, c.p99_ms), (3.0, 4.0, 9.0));
    }
}
