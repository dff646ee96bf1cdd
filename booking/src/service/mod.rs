//! The booking operations: each one orchestrates PostgreSQL (the truth) and Redis (the
//! fast path) in the order that keeps the invariant under a crash at any point:
//! PostgreSQL commits first, Redis is told after, and the reconciler repairs Redis if a
//! process dies in between. Handlers call these; these know nothing of HTTP.

pub mod attorney;
pub mod authority;
pub mod catalog;
pub mod citizen;
pub mod eligibility;
pub mod holds;
pub mod uptake;

use deadpool_postgres::Pool;
use identity::{Cpr, Pseudonym, Pseudonymizer};
use std::sync::Arc;

use crate::clock::Clock;
use crate::error::Result;
use crate::hot::HotStore;
use crate::settings::{BookingSettings, FaultSettings};
use catalog::Catalog;

/// Everything an operation needs; cheap to clone (all shared).
#[derive(Clone)]
pub struct Service {
    pub pg: Pool,
    pub hot: HotStore,
    pub clock: Clock,
    pub catalog: Catalog,
    pseudonyms: Arc<Pseudonymizer>,
    settings: Arc<BookingSettings>,
    faults: Arc<FaultSettings>,
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

impl Service {
    pub fn new(
        pg: Pool,
        hot: HotStore,
        clock: Clock,
        settings: BookingSettings,
        faults: FaultSettings,
    ) -> Self {
        Self {
            pseudonyms: Arc::new(Pseudonymizer::new(settings.pseudonym_secret.as_bytes())),
            catalog: Catalog::new(pg.clone(), clock.clone()),
            pg,
            hot,
            clock,
            settings: Arc::new(settings),
            faults: Arc::new(faults),
        }
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

    /// The crash test's kill switch: nothing after a commit has reached Redis yet.
    fn crash_point_after_commit(&self) {
        if self.faults.abort_after_commit {
            tracing::warn!("fault injection: aborting after commit");
            std::process::abort();
        }
    }
}
