//! The benchmark's load generator: the same HTTP client and loop drive the static
//! responder (the HTTP ceiling) and the booking service, so their ratio compares like
//! with like.
//!
//! Closed loop: `concurrency` workers, each sending its next request when the last one
//! answered (finds the peak). Open loop: requests start on a fixed schedule whatever the
//! answers, and latency is measured from the scheduled start, so a slow server cannot
//! hide its queueing (no coordinated omission).

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// What one operation (one or more requests) came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Done as asked (2xx).
    Ok,
    /// A business refusal (409, 410): the slot was full, the hold gone.
    Refused,
    /// Shed by the service (503) or rate limited (429), with Retry-After.
    Shed,
    /// Anything else: 5xx other than 503, timeouts, connection errors.
    Error,
    /// No more prepared input (tokens ran out): the phase stops.
    Exhausted,
}

impl Outcome {
    pub fn of_status(status: u16) -> Self {
        match status {
            200..=299 => Outcome::Ok,
            409 | 410 => Outcome::Refused,
            503 | 429 => Outcome::Shed,
            _ => Outcome::Error,
        }
    }
}

/// Latencies (microseconds) by name, and outcome counts by operation.
#[derive(Debug, Default, Clone)]
pub struct Stats {
    pub latencies: HashMap<&'static str, Vec<u32>>,
    pub outcomes: HashMap<(&'static str, Outcome), u64>,
    pub elapsed: Duration,
}

impl Stats {
    pub fn latency(&mut self, name: &'static str, took: Duration) {
        let us = u32::try_from(took.as_micros()).unwrap_or(u32::MAX);
        self.latencies.entry(name).or_default().push(us);
    }

    pub fn outcome(&mut self, name: &'static str, outcome: Outcome) {
        *self.outcomes.entry((name, outcome)).or_default() += 1;
    }

    pub fn count(&self, name: &'static str, outcome: Outcome) -> u64 {
        self.outcomes.get(&(name, outcome)).copied().unwrap_or(0)
    }

    pub fn rate(&self, name: &'static str, outcome: Outcome) -> f64 {
        self.count(name, outcome) as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    fn merge(&mut self, other: Stats) {
        for (k, mut v) in other.latencies {
            self.latencies.entry(k).or_default().append(&mut v);
        }
        for (k, n) in other.outcomes {
            *self.outcomes.entry(k).or_default() += n;
        }
    }

    /// The `q` quantile (0..1) of `name`'s latencies, in milliseconds.
    pub fn quantile_ms(&mut self, name: &'static str, q: f64) -> Option<f64> {
        let v = self.latencies.get_mut(name)?;
        if v.is_empty() {
            return None;
        }
        v.sort_unstable();
        let idx = ((v.len() as f64 - 1.0) * q).round() as usize;
        Some(f64::from(v[idx.min(v.len() - 1)]) / 1000.0)
    }
}

/// One operation: does its requests and records into the `Stats` it is given.
pub trait Operation: Send + Sync + 'static {
    fn run(&self, scheduled: Instant, stats: &mut Stats)
        -> impl Future<Output = Option<()>> + Send;
}

/// `concurrency` workers, each running `op` back to back until `duration` passes or the
/// operation reports its input exhausted (`None`).
pub async fn closed_loop<O: Operation>(
    op: Arc<O>,
    concurrency: usize,
    duration: Duration,
) -> Stats {
    let started = Instant::now();
    let deadline = started + duration;
    let workers: Vec<_> = (0..concurrency.max(1))
        .map(|_| {
            let op = op.clone();
            tokio::spawn(async move {
                let mut stats = Stats::default();
                while Instant::now() < deadline {
                    if op.run(Instant::now(), &mut stats).await.is_none() {
                        break;
                    }
                }
                stats
            })
        })
        .collect();
    let mut total = Stats::default();
    for w in workers {
        if let Ok(s) = w.await {
            total.merge(s);
        }
    }
    total.elapsed = started.elapsed();
    total
}

/// Starts `op` `rate` times a second for `duration`, whatever the answers. At most
/// `max_outstanding` operations are in flight; a start that finds none free is counted
/// as `("generator", Error)` (the generator itself could not keep up) and skipped.
pub async fn open_loop<O: Operation>(
    op: Arc<O>,
    rate: f64,
    duration: Duration,
    max_outstanding: usize,
) -> Stats {
    let started = Instant::now();
    let interval = Duration::from_secs_f64(1.0 / rate.max(1.0));
    let total_ops = (duration.as_secs_f64() * rate).ceil() as usize;
    let permits = Arc::new(Semaphore::new(max_outstanding.max(1)));
    let skipped = Arc::new(AtomicUsize::new(0));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Stats>();
    // Batches of starts per tick keep timer overhead low at high rates.
    let per_tick = ((rate / 1000.0).ceil() as usize).max(1);
    let mut next = 0usize;
    while next < total_ops {
        let due = started + interval * next as u32;
        tokio::time::sleep_until(due.into()).await;
        for i in next..(next + per_tick).min(total_ops) {
            let scheduled = started + interval * i as u32;
            let Ok(permit) = permits.clone().try_acquire_owned() else {
                skipped.fetch_add(1, Ordering::Relaxed);
                continue;
            };
            let op = op.clone();
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut stats = Stats::default();
                op.run(scheduled, &mut stats).await;
                drop(permit);
                let _ = tx.send(stats);
            });
        }
        next += per_tick;
    }
    drop(tx);
    let mut total = Stats::default();
    while let Some(s) = rx.recv().await {
        total.merge(s);
    }
    let skipped = skipped.load(Ordering::Relaxed) as u64;
    if skipped > 0 {
        *total
            .outcomes
            .entry(("generator", Outcome::Error))
            .or_default() += skipped;
    }
    total.elapsed = duration;
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_of_known_latencies() {
        let mut s = Stats::default();
        for ms in 1..=100u64 {
            s.latency("x", Duration::from_millis(ms));
        }
        assert_eq!(s.quantile_ms("x", 0.5), Some(51.0));
        assert_eq!(s.quantile_ms("x", 0.99), Some(99.0));
        assert_eq!(s.quantile_ms("x", 1.0), Some(100.0));
        assert_eq!(s.quantile_ms("missing", 0.5), None);
    }

    #[test]
    fn statuses_map_to_outcomes() {
        assert_eq!(Outcome::of_status(201), Outcome::Ok);
        assert_eq!(Outcome::of_status(409), Outcome::Refused);
        assert_eq!(Outcome::of_status(503), Outcome::Shed);
        assert_eq!(Outcome::of_status(429), Outcome::Shed);
        assert_eq!(Outcome::of_status(500), Outcome::Error);
    }

    struct Count(AtomicUsize);
    impl Operation for Count {
        async fn run(&self, _: Instant, stats: &mut Stats) -> Option<()> {
            if self.0.fetch_add(1, Ordering::Relaxed) >= 50 {
                return None;
            }
            stats.outcome("op", Outcome::Ok);
            Some(())
        }
    }

    #[tokio::test]
    async fn closed_loop_stops_when_input_runs_out() {
        let op = Arc::new(Count(AtomicUsize::new(0)));
        let s = closed_loop(op, 4, Duration::from_secs(30)).await;
        assert_eq!(s.count("op", Outcome::Ok), 50);
    }

    #[tokio::test]
    async fn open_loop_starts_the_scheduled_number() {
        let op = Arc::new(Count(AtomicUsize::new(0)));
        let s = open_loop(op, 200.0, Duration::from_millis(100), 100).await;
        assert_eq!(s.count("op", Outcome::Ok), 20);
    }
}
