//! Rebuilds the Redis mirror from PostgreSQL: at start-up, on a timer, and as soon as
//! the mirror is found missing (Redis restarted or flushed).
//!
//! Safe to run at any time and on several instances at once: slot states carry their
//! PostgreSQL version and Redis keeps only the newest, so a rebuild never rolls back a
//! change made while it ran. Live holds are kept; holds that PostgreSQL shows as
//! already confirmed (a process died between commit and Redis) are dropped.
//!
//! The timer's runs are incremental: a [`Reconciler`] remembers which version of each
//! slot it mirrored and which bookings it has looked at, and the next run rewrites the
//! slots whose version moved and drops the holds of bookings confirmed since. Rewriting
//! every slot ahead each minute (113,000 in the demo, far more in a season) put a spike
//! of seconds on Redis and PostgreSQL in the middle of the opening-day surge. What no
//! version shows (keys a failed-over Redis node lost) is swept up by a share of the
//! unchanged slots that each run rewrites as well: all of them over `sweep_runs` runs.

use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;

use crate::domain::{HoldId, SlotId};
use crate::error::Result;
use crate::service::Service;
use crate::store::{bookings, slots};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reconciled {
    /// Slots written to Redis: all on a full run, else the changed ones and this run's
    /// share of the sweep.
    pub slots: usize,
    pub stale_holds: usize,
    pub full: bool,
}

/// How far back a run looks again for confirmations it may have missed: a batch's
/// bookings carry the time the batch began, and it commits a moment later.
const COMMIT_MARGIN_MINUTES: i64 = 1;

/// The periodic reconcile, with what it mirrored last time.
#[derive(Debug)]
pub struct Reconciler {
    /// The version of each slot ahead as this reconciler last wrote or saw it.
    mirrored: HashMap<SlotId, i64>,
    /// When the last successful run began.
    last_run: Option<DateTime<Utc>>,
    runs: u64,
    sweep_runs: u64,
}

impl Reconciler {
    /// The first run rewrites every slot ahead; each later one the changed slots and
    /// one in `sweep_runs` of the others.
    pub fn new(sweep_runs: u32) -> Self {
        Self {
            mirrored: HashMap::new(),
            last_run: None,
            runs: 0,
            sweep_runs: u64::from(sweep_runs.max(1)),
        }
    }

    pub async fn run(&mut self, svc: &Service) -> Result<Reconciled> {
        let full = self.runs == 0 || self.sweep_runs == 1;
        let now = svc.clock.now();
        let client = svc.client().await?;
        let window = now - Duration::hours(1);
        let (ahead, states) = if full {
            let states = slots::ending_after(&**client, window).await?;
            (states.iter().map(|s| (s.slot, s.version)).collect(), states)
        } else {
            let ahead = slots::versions_ending_after(&**client, window).await?;
            let changed: Vec<SlotId> = ahead
                .iter()
                .filter(|(slot, version)| {
                    self.mirrored.get(slot) != Some(version)
                        || (slot.0.unsigned_abs() + self.runs) % self.sweep_runs == 0
                })
                .map(|(slot, _)| *slot)
                .collect();
            let states = if changed.is_empty() {
                Vec::new()
            } else {
                slots::states_of(&**client, &changed).await?
            };
            (ahead, states)
        };
        svc.hot.apply_many(&states).await?;

        let mut since = now - Duration::milliseconds(svc.hold_ms()) - Duration::minutes(1);
        if let Some(last) = self.last_run {
            since = since.max(last - Duration::minutes(COMMIT_MARGIN_MINUTES));
        }
        let confirmed: Vec<HoldId> = bookings::holds_confirmed_since(&**client, since)
            .await?
            .iter()
            .filter_map(|h| h.parse().ok())
            .collect();
        svc.hot.drop_holds(&confirmed).await?;
        if full {
            svc.hot.mark_mirror_built().await?;
        }

        // Slots gone from the window are forgotten; a slot that changed between the two
        // reads is remembered at the version written, and the next run looks again.
        let mut mirrored: HashMap<SlotId, i64> = ahead.into_iter().collect();
        for s in &states {
            mirrored.insert(s.slot, s.version);
        }
        self.mirrored = mirrored;
        self.last_run = Some(now);
        self.runs += 1;
        metrics::counter!("booking_reconciles_total", "kind" => if full { "full" } else { "changes" })
            .increment(1);
        Ok(Reconciled {
            slots: states.len(),
            stale_holds: confirmed.len(),
            full,
        })
    }
}

/// A full rebuild: every slot ahead, every hold confirmed within a hold's lifetime.
pub async fn reconcile(svc: &Service) -> Result<Reconciled> {
    Reconciler::new(1).run(svc).await
}

/// Rebuilds the mirror if Redis lost it. Returns whether it rebuilt.
pub async fn repair_if_lost(svc: &Service) -> Result<bool> {
    if svc.hot.mirror_present().await? {
        return Ok(false);
    }
    tracing::warn!("redis mirror missing (restart or flush); rebuilding from postgres");
    svc.reload_invitations().await?;
    reconcile(svc).await?;
    Ok(true)
}
