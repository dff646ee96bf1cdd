//! Rebuilds the Redis mirror from PostgreSQL: at start-up, on a timer, and as soon as
//! the mirror is found missing (Redis restarted or flushed).
//!
//! Safe to run at any time and on several instances at once: slot states carry their
//! PostgreSQL version and Redis keeps only the newest, so a rebuild never rolls back a
//! change made while it ran. Live holds are kept; holds that PostgreSQL shows as
//! already confirmed (a process died between commit and Redis) are dropped.

use chrono::Duration;

use crate::domain::HoldId;
use crate::error::Result;
use crate::service::Service;
use crate::store::{bookings, slots};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reconciled {
    pub slots: usize,
    pub stale_holds: usize,
}

pub async fn reconcile(svc: &Service) -> Result<Reconciled> {
    let now = svc.clock.now();
    let client = svc.client().await?;
    let states = slots::ending_after(&**client, now - Duration::hours(1)).await?;
    svc.hot.apply_many(&states).await?;
    let since = now - Duration::milliseconds(svc.hold_ms()) - Duration::minutes(1);
    let confirmed: Vec<HoldId> = bookings::holds_confirmed_since(&**client, since)
        .await?
        .iter()
        .filter_map(|h| h.parse().ok())
        .collect();
    svc.hot.drop_holds(&confirmed).await?;
    svc.hot.mark_mirror_built().await?;
    metrics::counter!("booking_reconciles_total").increment(1);
    Ok(Reconciled {
        slots: states.len(),
        stale_holds: confirmed.len(),
    })
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
