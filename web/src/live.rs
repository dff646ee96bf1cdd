//! Opening day, live: the web app samples the booking service's Prometheus counters
//! every few seconds and turns them into per-minute figures (holds, places turned away
//! because the slot was full, bookings, conflicts, cancellations, moves). Parsing and
//! the per-minute arithmetic are pure; the sampler is the only I/O. With several
//! booking instances behind a balancer, each answers for itself: point `metrics_url`
//! at the aggregating Prometheus instead.

use std::collections::VecDeque;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

/// Cumulative counters at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Counters {
    pub holds: f64,
    pub full: f64,
    pub bookings: f64,
    pub conflicts: f64,
    pub cancels: f64,
    pub moves: f64,
}

impl Counters {
    fn minus(&self, o: &Counters) -> Counters {
        // A restarted service starts from zero: never report a negative minute.
        let d = |a: f64, b: f64| if a >= b { a - b } else { a };
        Counters {
            holds: d(self.holds, o.holds),
            full: d(self.full, o.full),
            bookings: d(self.bookings, o.bookings),
            conflicts: d(self.conflicts, o.conflicts),
            cancels: d(self.cancels, o.cancels),
            moves: d(self.moves, o.moves),
        }
    }
}

/// The booking counters from a Prometheus text exposition.
pub fn parse(text: &str) -> Counters {
    let mut c = Counters::default();
    for line in text.lines() {
        if line.starts_with('#') {
            continue;
        }
        let Some((series, value)) = line.rsplit_once(' ') else {
            continue;
        };
        let Ok(v) = value.trim().parse::<f64>() else {
            continue;
        };
        let (name, labels) = series.split_once('{').unwrap_or((series, ""));
        let result = labels
            .split(',')
            .find_map(|l| l.trim_end_matches('}').strip_prefix("result=\""))
            .map(|r| r.trim_end_matches('"'));
        match (name, result) {
            ("booking_holds_total", Some("held")) => c.holds += v,
            ("booking_holds_total", Some("full")) => c.full += v,
            ("booking_confirms_total", Some("ok")) => c.bookings += v,
            ("booking_confirms_total", Some("conflict" | "already_booked")) => c.conflicts += v,
            ("booking_cancels_total", _) => c.cancels += v,
            ("booking_moves_total", _) => c.moves += v,
            _ => {}
        }
    }
    c
}

/// Samples of the last quarter of an hour.
#[derive(Default)]
pub struct Samples {
    inner: Mutex<VecDeque<(DateTime<Utc>, Counters)>>,
}

const KEEP_MINUTES: i64 = 15;

impl Samples {
    pub fn push(&self, at: DateTime<Utc>, c: Counters) {
        let mut q = match self.inner.lock() {
            Ok(q) => q,
            Err(poisoned) => poisoned.into_inner(),
        };
        q.push_back((at, c));
        while q
            .front()
            .is_some_and(|(t, _)| *t < at - Duration::minutes(KEEP_MINUTES + 1))
        {
            q.pop_front();
        }
    }

    pub fn snapshot(&self) -> Vec<(DateTime<Utc>, Counters)> {
        match self.inner.lock() {
            Ok(q) => q.iter().copied().collect(),
            Err(poisoned) => poisoned.into_inner().iter().copied().collect(),
        }
    }
}

/// The counters as they were at `t`: the last sample at or before it (or the first).
fn at(samples: &[(DateTime<Utc>, Counters)], t: DateTime<Utc>) -> Option<Counters> {
    samples
        .iter()
        .rev()
        .find(|(s, _)| *s <= t)
        .or_else(|| samples.first())
        .map(|(_, c)| *c)
}

/// What happened in each of the last `n` minutes, oldest first (minute ending at `now`
/// last). Empty without samples.
pub fn per_minute(
    samples: &[(DateTime<Utc>, Counters)],
    now: DateTime<Utc>,
    n: i64,
) -> Vec<Counters> {
    if samples.is_empty() {
        return vec![];
    }
    (0..n)
        .rev()
        .filter_map(|i| {
            let end = now - Duration::minutes(i);
            let start = end - Duration::minutes(1);
            Some(at(samples, end)?.minus(&at(samples, start)?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"# TYPE booking_holds_total counter
booking_holds_total{result="held"} 12
booking_holds_total{result="full"} 3
booking_holds_total{result="not_invited"} 1
booking_confirms_total{result="ok"} 9
booking_confirms_total{result="conflict"} 1
booking_confirms_total{result="already_booked"} 2
booking_cancels_total 4
booking_moves_total 1
http_requests_total{method="GET",route="/v1/sites",status="200"} 99
"#;

    #[test]
    fn counters_from_the_exposition() {
        let c = parse(TEXT);
        assert_eq!(
            c,
            Counters {
                holds: 12.0,
                full: 3.0,
                bookings: 9.0,
                conflicts: 3.0,
                cancels: 4.0,
                moves: 1.0
            }
        );
        assert_eq!(parse("garbage\n{\n"), Counters::default());
    }

    #[test]
    fn minutes_are_differences_and_never_negative() {
        let t0: DateTime<Utc> = "2026-12-01T10:00:00Z".parse().unwrap();
        let c = |b: f64| Counters {
            bookings: b,
            ..Counters::default()
        };
        let s = Samples::default();
        s.push(t0, c(0.0));
        s.push(t0 + Duration::seconds(60), c(10.0));
        s.push(t0 + Duration::seconds(120), c(25.0));
        s.push(t0 + Duration::seconds(180), c(5.0)); // the service restarted
        let m = per_minute(&s.snapshot(), t0 + Duration::seconds(180), 3);
        let b: Vec<f64> = m.iter().map(|m| m.bookings).collect();
        assert_eq!(b, vec![10.0, 15.0, 5.0]);
        assert!(per_minute(&[], t0, 3).is_empty());
        // Old samples are dropped.
        s.push(t0 + Duration::minutes(30), c(6.0));
        assert_eq!(s.snapshot().len(), 1);
    }
}
