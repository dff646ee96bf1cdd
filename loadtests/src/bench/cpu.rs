//! Where the CPU went during a phase. On one machine the load generator, the service,
//! Redis and PostgreSQL share the cores, so a figure beside its ceiling reads better with
//! each one's share beside it. Read from `/proc/<pid>/stat` at the start and the end of
//! the phase: the user and system time of every process whose name is one of
//! [`GROUPS`], with the time of its children that have ended (`wrk` under the load
//! generator, PostgreSQL backends under the postmaster). A process that starts within the
//! phase is counted from its start; one that ends within it, under a parent outside the
//! groups, is not counted.

use std::collections::HashMap;
use std::fmt;
use std::time::Instant;

/// The groups shown, by process name (`comm`, at most 15 characters).
const GROUPS: [(&str, &str); 4] = [
    ("booking", "booking"),
    ("postgres", "postgres"),
    ("redis", "redis-server"),
    ("load generator (with wrk)", "loadtests"),
];

/// `/proc` counts CPU time in clock ticks of 1/100 s (`USER_HZ`, fixed for user space
/// on Linux whatever the kernel's own tick).
const TICKS_PER_SECOND: f64 = 100.0;

/// CPU time so far, by group, at one moment.
pub struct Sample {
    at: Instant,
    ticks: HashMap<&'static str, u64>,
}

/// Each group's share of one core over a phase, in percent (two busy cores make 200).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CpuUse(pub Vec<(&'static str, f64)>);

/// The name and the user + system ticks of a `/proc/<pid>/stat` line, its own and its
/// ended children's.
fn parse_stat(line: &str) -> Option<(&str, u64)> {
    // The name is in parentheses and may itself hold spaces or parentheses.
    let open = line.find('(')?;
    let close = line.rfind(')')?;
    let name = line.get(open + 1..close)?;
    let rest: Vec<&str> = line.get(close + 1..)?.split_whitespace().collect();
    // After the name: state (field 3) ... utime, stime, cutime, cstime (14 to 17).
    let mut ticks = 0;
    for field in 11..15 {
        ticks += rest.get(field)?.parse::<u64>().ok()?;
    }
    Some((name, ticks))
}

fn group_of(name: &str) -> Option<&'static str> {
    GROUPS
        .iter()
        .find(|(_, comm)| *comm == name)
        .map(|(g, _)| *g)
}

pub fn sample() -> Sample {
    let mut ticks: HashMap<&'static str, u64> = HashMap::new();
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for entry in dir.flatten() {
            let name = entry.file_name();
            if !name.to_string_lossy().bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
                continue;
            };
            if let Some((group, t)) =
                parse_stat(&stat).and_then(|(n, t)| group_of(n).map(|g| (g, t)))
            {
                *ticks.entry(group).or_default() += t;
            }
        }
    }
    Sample {
        at: Instant::now(),
        ticks,
    }
}

impl Sample {
    /// The share of each group between `earlier` and this sample.
    pub fn since(&self, earlier: &Sample) -> CpuUse {
        let seconds = self.at.duration_since(earlier.at).as_secs_f64().max(1e-9);
        CpuUse(
            GROUPS
                .iter()
                .map(|(g, _)| {
                    let now = self.ticks.get(g).copied().unwrap_or(0);
                    let then = earlier.ticks.get(g).copied().unwrap_or(0);
                    let busy = now.saturating_sub(then) as f64 / TICKS_PER_SECOND;
                    (*g, 100.0 * busy / seconds)
                })
                .collect(),
        )
    }
}

impl fmt::Display for CpuUse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|(g, pct)| format!("{g} {pct:.0}%"))
            .collect();
        f.write_str(&parts.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_name_and_time_from_a_stat_line() {
        let line = "4242 (loadtests) S 1 4242 4242 0 -1 4194560 1234 0 0 0 \
                    750 250 30 20 20 0 5 0 100 0 0";
        assert_eq!(parse_stat(line), Some(("loadtests", 1050)));
        // A name with a space and a parenthesis in it.
        let odd = "7 (a (b) c) R 1 7 7 0 -1 0 0 0 0 0 3 4 0 0 20 0 1 0 1 0 0";
        assert_eq!(parse_stat(odd), Some(("a (b) c", 7)));
        assert_eq!(parse_stat("garbage"), None);
        assert_eq!(parse_stat("1 (x) S 1 2 3"), None);
        assert_eq!(group_of("loadtests"), Some("load generator (with wrk)"));
        assert_eq!(group_of("wrk"), None);
        assert_eq!(group_of("bash"), None);
    }

    #[test]
    fn shares_are_per_second_of_one_core() {
        let start = Instant::now();
        let earlier = Sample {
            at: start,
            ticks: HashMap::from([("booking", 100), ("redis", 50)]),
        };
        let later = Sample {
            at: start + std::time::Duration::from_secs(2),
            ticks: HashMap::from([("booking", 400), ("redis", 90), ("postgres", 20)]),
        };
        let use_ = later.since(&earlier);
        let get = |g: &str| use_.0.iter().find(|(n, _)| *n == g).unwrap().1;
        assert!((get("booking") - 150.0).abs() < 1e-6);
        assert!((get("redis") - 20.0).abs() < 1e-6);
        assert!((get("postgres") - 10.0).abs() < 1e-6);
        assert_eq!(get("load generator (with wrk)"), 0.0);
        assert_eq!(
            use_.to_string(),
            "booking 150%, postgres 10%, redis 20%, load generator (with wrk) 0%"
        );
    }

    #[test]
    fn this_process_is_seen() {
        // The test binary is not one of the groups, but /proc is readable and parsed.
        let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
        assert!(parse_stat(&stat).is_some());
    }
}
