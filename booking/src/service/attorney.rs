//! Who may act for a citizen, and the powers of attorney behind it. [`Entitlements`] is
//! the one check for every request a helper makes, in this service and in the pass
//! service: a municipal worker for the citizens of their municipality, anyone the
//! citizen granted a power of attorney; everyone else is refused before anything is
//! read or changed. Granting and revoking are the citizen's own (a helper cannot grant
//! themself), or an authority's recording a paper power of attorney (audited). A refused
//! helper is recorded in the citizen's audit log too, once an hour at most.

use deadpool_postgres::Pool;
use identity::{Authority, CitizenAccess, Cpr};
use serde_json::json;

use super::{Acting, Service};
use crate::domain::attorney::{decide, Basis, HelperId};
use crate::error::{BookingError, Result};
use crate::store::attorney::{self as grants, Grant};
use crate::store::{audit, audit_refusal};

/// The helper check, over the shared PostgreSQL pool. Register it as
/// `web::Data<Entitlements>`; the `Entitled` extractor asks it.
#[derive(Clone)]
pub struct Entitlements {
    pg: Pool,
}

impl Entitlements {
    pub fn new(pg: Pool) -> Self {
        Self { pg }
    }

    /// `None` for a citizen acting for themself; for a helper, why they may act, or
    /// `NotEntitled` with the reason.
    pub async fn check(&self, who: &CitizenAccess) -> Result<Option<Basis>> {
        let Some(helper) = &who.helper else {
            return Ok(None);
        };
        let client = self.pg.get().await?;
        let facts =
            grants::facts(&**client, who.cpr.as_str(), helper, who.helper_municipality).await?;
        match decide(facts) {
            Ok(basis) => Ok(Some(basis)),
            Err(refusal) => {
                // The helper's id and the reason; never the citizen's CPR.
                tracing::info!(helper = %helper, reason = refusal.code(), "helper refused");
                metrics::counter!("helper_refusals_total").increment(1);
                // The citizen sees who tried: a citizen of the population register, so
                // a token naming made-up CPR numbers writes nothing. Not being able to
                // say so does not turn the refusal into an error.
                if facts.citizen_municipality.is_some() {
                    if let Err(e) =
                        audit_refusal(&**client, who.cpr.as_str(), helper, refusal.code()).await
                    {
                        tracing::warn!(error = %e, helper = %helper, "a helper's refusal was not recorded");
                    }
                }
                Err(BookingError::NotEntitled(refusal))
            }
        }
    }
}

/// Only the citizen themself grants and revokes.
fn own(who: &Acting) -> Result<&Cpr> {
    if who.helper.is_some() {
        return Err(BookingError::Forbidden(
            "only the citizen can grant or revoke a power of attorney",
        ));
    }
    Ok(&who.cpr)
}

impl Service {
    /// The citizen's live powers of attorney.
    pub async fn powers_of_attorney(&self, who: &Acting) -> Result<Vec<Grant>> {
        let cpr = own(who)?;
        Ok(grants::live_of(&**self.client().await?, cpr.as_str()).await?)
    }

    /// The citizen grants `helper` a power of attorney (`false`: it stood already).
    pub async fn grant_power_of_attorney(&self, who: &Acting, helper: &HelperId) -> Result<bool> {
        let cpr = own(who)?;
        let client = self.client().await?;
        Ok(grants::grant(
            &**client,
            cpr.as_str(),
            helper.as_str(),
            "citizen",
            "citizen",
        )
        .await?)
    }

    /// The citizen revokes it (`false`: there was none; nothing changes).
    pub async fn revoke_power_of_attorney(&self, who: &Acting, helper: &HelperId) -> Result<bool> {
        let cpr = own(who)?;
        let client = self.client().await?;
        Ok(grants::revoke(&**client, cpr.as_str(), helper.as_str(), "citizen").await?)
    }

    /// An authority records (`revoke`: ends) a power of attorney given on paper; the
    /// citizen sees it in their audit log.
    pub async fn record_power_of_attorney(
        &self,
        authority: &Authority,
        cpr: &Cpr,
        helper: &HelperId,
        revoke: bool,
    ) -> Result<bool> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let changed = if revoke {
            grants::revoke(&*tx, cpr.as_str(), helper.as_str(), "authority").await?
        } else {
            grants::grant(
                &*tx,
                cpr.as_str(),
                helper.as_str(),
                "authority",
                &authority.id,
            )
            .await?
        };
        if changed {
            let action = if revoke {
                "attorney.revoke"
            } else {
                "attorney.grant"
            };
            audit(
                &tx,
                cpr.as_str(),
                "authority",
                &authority.id,
                action,
                &json!({"helper": helper.as_str()}),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(changed)
    }
}
