//! Extending a hold: the person at the hold page asks for more time before it runs out.
//!
//! The hold keeps its id and its place; its expiry moves to a full hold lifetime from
//! now. A hold can be extended [`MAX_HOLD_EXTENSIONS`] times (WCAG 2.1 success criterion
//! 2.2.1 asks that a time limit can be extended at least ten times).

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::{Acting, Service};
use crate::domain::{HoldId, SlotId};
use crate::error::{BookingError, Result};
use crate::hot::ExtendOutcome;

pub const MAX_HOLD_EXTENSIONS: u32 = 10;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HoldExtension {
    #[schema(value_type = String)]
    pub hold_id: HoldId,
    #[schema(value_type = i64)]
    pub slot_id: SlotId,
    pub expires_at: DateTime<Utc>,
    /// How many more times this hold can be extended.
    pub extensions_left: u32,
}

impl Service {
    /// Gives the caller's live hold a full hold lifetime from now.
    pub async fn extend_hold(&self, who: &Acting, hold: &HoldId) -> Result<HoldExtension> {
        let owner = self.pseudonym(&who.cpr);
        let now = self.clock.now_ms();
        let outcome = self
            .hot
            .extend_hold(
                hold,
                owner.as_str(),
                now,
                now + self.hold_ms(),
                MAX_HOLD_EXTENSIONS,
            )
            .await?;
        let label = match outcome {
            ExtendOutcome::Extended { .. } => "extended",
            ExtendOutcome::Gone => "gone",
            ExtendOutcome::NotYours => "not_yours",
            ExtendOutcome::Limit => "limit",
        };
        metrics::counter!("booking_hold_extensions_total", "result" => label).increment(1);
        match outcome {
            ExtendOutcome::Extended {
                expires_ms,
                extensions,
                campaign,
            } => {
                // The citizen's one-hold-per-campaign pointer must live as long as the
                // hold, or a later hold elsewhere would not give this one back.
                self.keep_one_hold(owner, campaign, hold.clone(), (expires_ms - now).max(1))
                    .await;
                Ok(HoldExtension {
                    hold_id: hold.clone(),
                    slot_id: hold.slot(),
                    expires_at: DateTime::from_timestamp_millis(expires_ms).unwrap_or_default(),
                    extensions_left: MAX_HOLD_EXTENSIONS.saturating_sub(extensions),
                })
            }
            ExtendOutcome::Gone => Err(BookingError::HoldExpired),
            ExtendOutcome::NotYours => Err(BookingError::HoldNotYours),
            ExtendOutcome::Limit => Err(BookingError::HoldExtensionLimit),
        }
    }
}
