//! What a citizen (or a helper on their behalf) does: hold, confirm, cancel, move, list.

use chrono::{DateTime, Utc};
use identity::Pseudonym;
use serde::Serialize;
use serde_json::json;
use std::future::Future;
use std::pin::Pin;
use utoipa::ToSchema;

use super::{booking_letter, record_helper, Acting, Service};
use crate::domain::{BookingId, CampaignId, HoldId, SlotId};
use crate::error::{BookingError, Result};
use crate::hot::{HoldOutcome, HoldRecord, Invited};
use crate::store::bookings::{self, BookingView, InsertConflict, NewBooking};
use crate::store::{self, slots};
use crate::waitroom::Gate;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HoldReceipt {
    #[schema(value_type = String, example = "42.3f2a9c0e5b7d41e8a6c2d9f0b1e4a7c3")]
    pub hold_id: HoldId,
    #[schema(value_type = i64)]
    pub slot_id: SlotId,
    pub expires_at: DateTime<Utc>,
    /// Places still free in the slot after this hold.
    pub remaining: i64,
}

/// A hold just taken, and the step that makes it the citizen's one hold in its campaign
/// (giving the previous one back). Await `settle` before answering; it may run alongside
/// other writes, such as storing the answer for an `Idempotency-Key`.
#[must_use = "the hold is not the citizen's one hold in the campaign until `settle` ran"]
pub struct NewHold<'a> {
    pub receipt: HoldReceipt,
    pub settle: Pin<Box<dyn Future<Output = ()> + 'a>>,
}

impl Service {
    /// The campaign `slot` belongs to (`None`: no such slot): remembered, else from the
    /// Redis mirror, else from PostgreSQL. Asked only while an opening for one campaign
    /// is gated.
    pub async fn slot_campaign(&self, slot: SlotId) -> Result<Option<CampaignId>> {
        if let Some(c) = self.slot_campaigns.get(slot) {
            return Ok(Some(c));
        }
        let mirrored = self.hot.views(&[slot], self.clock.now_ms()).await?;
        let found = match mirrored.into_iter().flatten().next() {
            Some(v) => Some(v.campaign),
            None => slots::get(&**self.client().await?, slot)
                .await?
                .map(|row| row.state.campaign),
        };
        if let Some(c) = found {
            self.slot_campaigns.learn(slot, c);
        }
        Ok(found)
    }

    /// Whether a hold of `slot` may go past the waiting rooms gating holds now: with
    /// none for its campaign, or with `admission` to one that is. The slot's campaign is
    /// looked up only while a room for one campaign gates.
    pub async fn pass_gate(
        &self,
        gate: &Gate,
        slot: SlotId,
        admission: Option<&str>,
    ) -> Result<()> {
        if gate.is_open() {
            return Ok(());
        }
        let campaign = if gate.by_campaign() {
            let id = self.slot_campaign(slot).await?;
            id.and_then(|id| self.catalog.snapshot().campaign(id).map(|c| c.code.clone()))
        } else {
            None
        };
        match gate.refuses(admission, campaign.as_deref()) {
            Some(room) => {
                metrics::counter!("booking_shed_total", "reason" => "admission_required")
                    .increment(1);
                Err(BookingError::AdmissionRequired { room })
            }
            None => Ok(()),
        }
    }

    /// What a hold of `slot` reads first: the citizen's invitations, when the slot's
    /// campaign is (or may be) by invitation. It changes nothing, so it can go ahead of
    /// the request's claim (`idempotency::once_with`).
    pub async fn hold_ahead(&self, who: &Acting, slot: SlotId) -> Result<Invited> {
        let owner = self.pseudonym(&who.cpr);
        let asked = self
            .slot_campaigns
            .to_ask(slot, self.catalog.snapshot().invitation_campaigns());
        Ok(self.hot.invitations(owner.as_str(), asked).await?)
    }

    /// Holds one place in a slot for the hold lifetime. A citizen has at most one live
    /// hold per campaign: a new hold gives the previous one back (`settle`). `invited`
    /// is what [`Service::hold_ahead`] read.
    pub async fn hold(&self, who: &Acting, slot: SlotId, invited: Invited) -> Result<NewHold<'_>> {
        let owner = self.pseudonym(&who.cpr);
        let hold = HoldId::generate(slot);
        let now = self.clock.now_ms();
        let expires = now + self.hold_ms();
        let mut outcome = self
            .hot
            .hold(&hold, owner.as_str(), now, expires, &invited)
            .await?;
        if outcome == HoldOutcome::Missing {
            // New slot or Redis lost its data: load this one slot and try again.
            let row = slots::get(&**self.client().await?, slot)
                .await?
                .ok_or(BookingError::NotFound("slot"))?;
            self.hot.apply(&row.state, None).await?;
            outcome = self
                .hot
                .hold(&hold, owner.as_str(), now, expires, &invited)
                .await?;
        }
        self.days.forget_slot(slot);
        let result = match outcome {
            HoldOutcome::Held { left, campaign } => {
                self.slot_campaigns.learn(slot, campaign);
                let receipt = HoldReceipt {
                    hold_id: hold.clone(),
                    slot_id: slot,
                    expires_at: DateTime::from_timestamp_millis(expires).unwrap_or_default(),
                    remaining: left,
                };
                Ok(NewHold {
                    receipt,
                    settle: Box::pin(self.keep_one_hold(owner, campaign, hold, self.hold_ms())),
                })
            }
            HoldOutcome::Full => Err(BookingError::SlotFull),
            HoldOutcome::Closed => Err(BookingError::SlotClosed),
            HoldOutcome::Past => Err(BookingError::SlotInPast),
            HoldOutcome::NotInvited => Err(BookingError::NotInvited),
            HoldOutcome::Missing => Err(BookingError::NotFound("slot")),
        };
        metrics::counter!("booking_holds_total", "result" => outcome_label(&result)).increment(1);
        result
    }

    /// Makes `hold` the citizen's one hold in `campaign` for `ttl_ms` (the hold's own
    /// time left) and gives the one it replaces back. When Redis fails here the hold
    /// stands and the old one, if any, runs out by itself within a hold's lifetime.
    pub(super) async fn keep_one_hold(
        &self,
        owner: Pseudonym,
        campaign: CampaignId,
        hold: HoldId,
        ttl_ms: i64,
    ) {
        let given_back = async {
            let replaced = self
                .hot
                .replace_citizen_hold(owner.as_str(), campaign, &hold, ttl_ms)
                .await?;
            if let Some(previous) = replaced {
                self.hot.release(&previous, owner.as_str()).await?;
                self.days.forget_slot(previous.slot());
            }
            Ok::<_, redis::RedisError>(())
        };
        if let Err(e) = given_back.await {
            tracing::warn!(error = %e, "the citizen's previous hold was not given back; it runs out by itself");
        }
    }

    /// Gives a live hold back before it expires.
    pub async fn release_hold(&self, who: &Acting, hold: &HoldId) -> Result<()> {
        let owner = self.pseudonym(&who.cpr);
        match self.hot.hold_record(hold).await? {
            Some(r) if r.owner != owner.as_str() => Err(BookingError::HoldNotYours),
            Some(_) => {
                self.hot.release(hold, owner.as_str()).await?;
                self.days.forget_slot(hold.slot());
                Ok(())
            }
            None => Err(BookingError::HoldExpired),
        }
    }

    /// A hold's record in Redis, as [`Service::check_hold`] takes it. It changes
    /// nothing, so a confirmation reads it ahead of its claim.
    pub async fn hold_record(&self, hold: &HoldId) -> Result<Option<HoldRecord>> {
        Ok(self.hot.hold_record(hold).await?)
    }

    /// Checks that `hold` is live and the caller's, by its `record` read just before. A
    /// hold that was confirmed already is refused with `HoldAlreadyConfirmed` (a retry
    /// with the same Idempotency-Key gets the first answer instead, from the idempotency
    /// store).
    pub(super) async fn check_hold(
        &self,
        who: &Acting,
        hold: &HoldId,
        record: Option<HoldRecord>,
    ) -> Result<()> {
        let owner = self.pseudonym(&who.cpr);
        match record {
            Some(HoldRecord { owner: o, .. }) if o != owner.as_str() => {
                Err(BookingError::HoldNotYours)
            }
            Some(HoldRecord { expires_ms, .. }) if expires_ms > self.clock.now_ms() => Ok(()),
            _ => {
                // Gone from Redis: maybe because this very hold was confirmed already.
                let client = self.client().await?;
                match bookings::by_hold(&**client, &hold.to_string()).await? {
                    Some(b) if b.cpr == who.cpr.as_str() => Err(BookingError::HoldAlreadyConfirmed),
                    Some(_) => Err(BookingError::HoldNotYours),
                    None => Err(BookingError::HoldExpired),
                }
            }
        }
    }

    /// Tells Redis about a committed change. A failure here loses nothing: the booking is
    /// in PostgreSQL and the reconciler brings Redis up to date.
    pub(super) async fn mirror_after_commit(
        &self,
        state: &crate::hot::SlotState,
        consumed: Option<&HoldId>,
    ) {
        self.days.forget_slot(state.slot);
        if let Err(e) = self.hot.apply(state, consumed).await {
            tracing::warn!(error = %e, slot = %state.slot, "redis mirror update failed; reconciler will repair");
        }
    }

    /// Cancels an active booking and gives its place back. Cancelling a cancelled
    /// booking answers as the first cancel did.
    pub async fn cancel(&self, who: &Acting, id: BookingId) -> Result<BookingView> {
        let now = self.clock.now();
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let booking = bookings::lock(&tx, id)
            .await?
            .filter(|b| b.cpr == who.cpr.as_str())
            .ok_or(BookingError::NotFound("booking"))?;
        match booking.status.as_str() {
            "active" => {}
            "cancelled" => {
                drop(tx);
                return bookings::view(&**client, id).await;
            }
            _ => return Err(BookingError::BookingNotActive),
        }
        let current = slots::get(&*tx, booking.slot)
            .await?
            .ok_or(BookingError::NotFound("slot"))?;
        if current.starts_at <= now {
            return Err(BookingError::SlotInPast);
        }
        bookings::set_status(&tx, id, "cancelled", None).await?;
        let slot = slots::return_place(&tx, booking.slot).await?;
        let letter = booking_letter(id, &slot);
        store::enqueue_letter(&tx, "booking_cancelled", who.cpr.as_str(), &letter).await?;
        record_helper(&tx, who, "booking.cancel", &letter).await?;
        tx.commit().await?;
        metrics::counter!("booking_cancels_total").increment(1);
        self.mirror_after_commit(&slot.state, None).await;
        bookings::view(&**client, id).await
    }

    /// Moves an active booking to the slot of a live hold, in one transaction: if the
    /// new slot cannot be had, the old booking stays exactly as it was.
    pub async fn move_booking(
        &self,
        who: &Acting,
        id: BookingId,
        hold: &HoldId,
    ) -> Result<BookingView> {
        self.check_hold(who, hold, self.hold_record(hold).await?)
            .await?;
        let now = self.clock.now();
        let new_id = BookingId::new();
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let old = bookings::lock(&tx, id)
            .await?
            .filter(|b| b.cpr == who.cpr.as_str())
            .ok_or(BookingError::NotFound("booking"))?;
        if old.status != "active" {
            return Err(BookingError::BookingNotActive);
        }
        if old.slot == hold.slot() {
            return Err(BookingError::Invalid(
                "the booking is already in this slot".into(),
            ));
        }
        let old_slot = slots::get(&*tx, old.slot)
            .await?
            .ok_or(BookingError::NotFound("slot"))?;
        if old_slot.starts_at <= now {
            return Err(BookingError::SlotInPast);
        }
        // Update the two slot rows in id order so two opposite moves cannot deadlock.
        let (returned, taken) = if old.slot < hold.slot() {
            let r = slots::return_place(&tx, old.slot).await?;
            (r, slots::take_place(&tx, hold.slot(), now).await?)
        } else {
            let t = slots::take_place(&tx, hold.slot(), now).await?;
            (slots::return_place(&tx, old.slot).await?, t)
        };
        if taken.state.campaign != old.campaign {
            return Err(BookingError::CampaignMismatch);
        }
        bookings::set_status(&tx, id, "moved", None).await?;
        let hold_text = hold.to_string();
        let inserted = bookings::insert(
            &tx,
            &NewBooking {
                id: new_id,
                slot: taken.state.slot,
                campaign: taken.state.campaign,
                cpr: who.cpr.as_str(),
                hold_id: &hold_text,
                booked_by: who.helper.as_deref(),
                now,
            },
        )
        .await?;
        match inserted {
            Ok(()) => {}
            Err(InsertConflict::AlreadyBooked) => return Err(BookingError::AlreadyBooked),
            Err(InsertConflict::HoldUsed) => return Err(BookingError::HoldAlreadyConfirmed),
        }
        bookings::set_status(&tx, id, "moved", Some(new_id)).await?;
        let mut letter = booking_letter(new_id, &taken);
        letter["previous_booking_id"] = json!(id);
        letter["previous_starts_at"] = json!(returned.starts_at);
        store::enqueue_letter(&tx, "booking_moved", who.cpr.as_str(), &letter).await?;
        record_helper(&tx, who, "booking.move", &letter).await?;
        tx.commit().await?;
        self.crash_point_after_commit();
        metrics::counter!("booking_moves_total").increment(1);
        self.mirror_after_commit(&taken.state, Some(hold)).await;
        self.mirror_after_commit(&returned.state, None).await;
        let owner = self.pseudonym(&who.cpr);
        if let Err(e) = self
            .hot
            .clear_citizen_hold(owner.as_str(), taken.state.campaign, hold)
            .await
        {
            tracing::warn!(error = %e, "could not clear the citizen's hold pointer");
        }
        bookings::view(&**client, new_id).await
    }

    /// The citizen's bookings. A helper's read is recorded for the citizen to see.
    pub async fn my_bookings(&self, who: &Acting) -> Result<Vec<BookingView>> {
        let mut client = self.client().await?;
        if let Some(helper) = &who.helper {
            let tx = client.transaction().await?;
            store::audit(
                &tx,
                who.cpr.as_str(),
                "helper",
                helper,
                "bookings.read",
                &json!({}),
            )
            .await?;
            tx.commit().await?;
        }
        bookings::views_of(&**client, who.cpr.as_str()).await
    }
}

impl Service {
    /// Who has looked at or changed the citizen's data. Only the citizen themself may
    /// read it (a helper reading it would itself need recording, and is refused).
    pub async fn my_audit(&self, who: &Acting) -> Result<Vec<store::AuditEntry>> {
        if who.helper.is_some() {
            return Err(BookingError::Forbidden(
                "only the citizen can read who has looked at their data",
            ));
        }
        Ok(store::audit_of(&**self.client().await?, who.cpr.as_str()).await?)
    }
}

fn outcome_label<T>(r: &Result<T>) -> &'static str {
    match r {
        Ok(_) => "held",
        Err(BookingError::SlotFull) => "full",
        Err(BookingError::SlotClosed) => "closed",
        Err(BookingError::SlotInPast) => "past",
        Err(BookingError::NotFound(_)) => "unknown_slot",
        Err(BookingError::NotInvited) => "not_invited",
        Err(_) => "error",
    }
}
