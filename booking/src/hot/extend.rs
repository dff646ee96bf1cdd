//! Extending a live hold (the hold page's "I need more time"), in Redis only.
//!
//! A hold is a member of the slot's hold set with its expiry as score; extending moves
//! the score, so the place stays held by the same hold id and no one else can take it in
//! between. The number of extensions per hold is capped (WCAG 2.2.1 asks for at least
//! ten), so nobody can sit on a place for ever. Keys share the slot's hash tag.

use std::sync::OnceLock;

use redis::Script;

use super::{HotResult, HotStore};
use crate::domain::{CampaignId, HoldId};

fn script() -> &'static Script {
    static SCRIPT: OnceLock<Script> = OnceLock::new();
    SCRIPT.get_or_init(|| Script::new(include_str!("scripts/extend.lua")))
}

/// What extending a hold came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExtendOutcome {
    Extended {
        expires_ms: i64,
        extensions: u32,
        campaign: CampaignId,
    },
    /// Expired, released, confirmed or never there.
    Gone,
    NotYours,
    /// Extended the most times allowed already; it keeps its current expiry.
    Limit,
}

impl HotStore {
    /// Sets `hold`'s expiry to `expires_ms` (never earlier than it was) if it is live,
    /// `owner`'s, and was extended fewer than `max_extensions` times.
    pub async fn extend_hold(
        &self,
        hold: &HoldId,
        owner: &str,
        now_ms: i64,
        expires_ms: i64,
        max_extensions: u32,
    ) -> HotResult<ExtendOutcome> {
        let slot = hold.slot();
        let keys = self.keys();
        let (status, n, exp, campaign): (String, i64, i64, i64) = script()
            .key(keys.holds(slot))
            .key(keys.owners(slot))
            .key(keys.hold_extensions(slot))
            .key(keys.slot(slot))
            .arg(hold.token())
            .arg(owner)
            .arg(now_ms)
            .arg(expires_ms)
            .arg(max_extensions)
            .invoke_async(&mut self.conn())
            .await?;
        Ok(match status.as_str() {
            "ok" => ExtendOutcome::Extended {
                expires_ms: exp,
                extensions: u32::try_from(n).unwrap_or(u32::MAX),
                campaign: CampaignId(campaign),
            },
            "not_yours" => ExtendOutcome::NotYours,
            "limit" => ExtendOutcome::Limit,
            _ => ExtendOutcome::Gone,
        })
    }
}
