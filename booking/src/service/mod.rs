//! The booking operations: each one orchestrates PostgreSQL (the truth) and Redis (the
//! fast path) in the order that keeps the invariant under a crash at any point:
//! PostgreSQL commits first, Redis is told after, and the reconciler repairs Redis if a
//! process dies in between. Handlers call these; these know nothing of HTTP.

pub mod attorney;
pub mod authority;
pub mod catalog;
pub mod citizen;
mod confirm;
pub mod daycache;
pub mod eligibility;
pub mod holds;
pub mod slotcampaigns;
pub mod uptake;

use deadpool_postgres::Pool;
use identity::{Cpr, Pseudonym, Pseudonymizer};
use service_kit::storage::{Databases, ReadPool};
use std::sync::Arc;

use crate::clock::Clock;
use crate::domain::BookingId;
use crate::error::Result;
use crate::hot::limits::Window;
use crate::hot::HotStore;
use crate::idempotency::Caller;
use crate::settings::{BookingSettings, FaultSettings, LimitSettings};
use catalog::Catalog;
use daycache::DayCache;

/// Everything an operation needs; cheap to clone (all shared).
#[derive(Clone)]
pub struct Service {
    /// The primary: every write, and every read that must see the latest commit.
    pub pg: Pool,
    /// Reads that may lag the primary by a second or two (see [`Service::read_client`]).
    pub reads: ReadPool,
    pub hot: HotStore,
    pub clock: Clock,
    pub catalog: Catalog,
    pub days: DayCache,
    slot_campaigns: slotcampaigns::SlotCampaigns,
    confirmer: confirm::Confirmer,
    pseudonyms: Arc<Pseudonymizer>,
    settings: Arc<BookingSettings>,
    faults: Arc<FaultSettings>,
    /// Each citizen's state-changing requests per window (`limits.per_citizen`).
    citizen_limit: Option<Window>,
}

/// Who acts for which citizen: the citizen themself, or a helper on their behalf.
#[derive(Debug, Clone)]
pub struct Acting {
    pub cpr: Cpr,
    pub helper: Option<String>,
}

impl From<identity::CitizenAccess> for Acting {
    fn from(a: identity::CitizenAccess) -> Self {
        Self {
            cpr: a.cpr,
            helper: a.helper,
        }
    }
}

/// What a letter about a booking says of it (the notifier renders it).
fn booking_letter(id: BookingId, slot: &crate::store::slots::SlotRow) -> serde_json::Value {
    serde_json::json!({
        "booking_id": id,
        "slot_id": slot.state.slot,
        "site_id": slot.state.site,
        "campaign_id": slot.state.campaign,
        "starts_at": slot.starts_at,
        "ends_at": slot.ends_at,
    })
}

/// Records a helper's action on a citizen's data, for the citizen to see; nothing when
/// citizens act for themselves.
async fn record_helper(
    tx: &tokio_postgres::Transaction<'_>,
    who: &Acting,
    action: &str,
    detail: &serde_json::Value,
) -> std::result::Result<(), tokio_postgres::Error> {
    match &who.helper {
        Some(helper) => {
            crate::store::audit(tx, who.cpr.as_str(), "helper", helper, action, detail).await
        }
        None => Ok(()),
    }
}

impl Service {
    pub fn new(
        databases: Databases,
        hot: HotStore,
        clock: Clock,
        settings: BookingSettings,
        faults: FaultSettings,
    ) -> Self {
        let Databases { primary: pg, reads } = databases;
        Self {
            pseudonyms: Arc::new(Pseudonymizer::new(settings.pseudonym_secret.as_bytes())),
            catalog: Catalog::new(pg.clone(), clock.clone()),
            confirmer: confirm::Confirmer::default(),
            slot_campaigns: slotcampaigns::SlotCampaigns::default(),
            days: DayCache::new(std::time::Duration::from_millis(u64::from(
                settings.availability_cache_ms,
            ))),
            pg,
            reads,
            hot,
            clock,
            settings: Arc::new(settings),
            faults: Arc::new(faults),
            citizen_limit: None,
        }
    }

    /// Counts each citizen's changes against `limits.per_citizen` (none until set).
    pub fn limiting_citizens(mut self, limits: &LimitSettings) -> Self {
        self.citizen_limit = Window::new(limits.per_citizen, limits.window_seconds);
        self
    }

    /// Who asks, for `crate::idempotency`: the citizen's records and limit.
    pub fn caller(&self, who: &Acting) -> Caller {
        Caller::citizen(
            self.hot.keys(),
            self.pseudonym(&who.cpr).as_str(),
            who.helper.as_deref(),
            self.citizen_limit,
        )
    }

    /// An authority's user, for `crate::idempotency`: their records, no limit.
    pub fn authority_caller(&self, who: &identity::Authority) -> Caller {
        Caller::authority(self.hot.keys(), &who.id)
    }

    pub fn pseudonym(&self, cpr: &Cpr) -> Pseudonym {
        self.pseudonyms.pseudonymize(cpr)
    }

    pub fn settings(&self) -> &BookingSettings {
        &self.settings
    }

    pub fn hold_ms(&self) -> i64 {
        i64::from(self.settings.hold_seconds) * 1000
    }

    pub async fn client(&self) -> Result<deadpool_postgres::Object> {
        Ok(self.pg.get().await?)
    }

    /// A connection to the read replica (the primary when none is configured), for the
    /// authority's reports only: uptake, how full the slots ahead are, cohort counts.
    /// What it reads may be a second or two old, so nothing that writes, locks, claims,
    /// or must see a change just made (holds, confirms, cancels, moves, idempotency,
    /// wave openings, imports, the catalog after a change) ever uses it.
    pub async fn read_client(&self) -> Result<deadpool_postgres::Object> {
        Ok(self.reads.get().await?)
    }

    /// The crash test's kill switch: nothing after a commit has reached Redis yet.
    fn crash_point_after_commit(&self) {
        if self.faults.abort_after_commit {
            tracing::warn!("fault injection: aborting after commit");
            std::process::abort();
        }
    }
}
