//! The booking service's errors and their one mapping to HTTP.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use service_kit::Problem;

#[derive(Debug, thiserror::Error)]
pub enum BookingError {
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("{}", not_entitled_text(*.0))]
    NotEntitled(crate::domain::attorney::Refusal),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("a campaign with this code exists already")]
    DuplicateCampaign,
    #[error("unknown campaign code {0}")]
    UnknownCampaign(String),
    #[error("the site does not offer this campaign")]
    CampaignNotOffered,
    #[error("the slot is full")]
    SlotFull,
    #[error("the slot is closed")]
    SlotClosed,
    #[error("the slot has already started")]
    SlotInPast,
    #[error("this campaign is by invitation and you have not been invited yet")]
    NotInvited,
    #[error("the hold has expired or does not exist")]
    HoldExpired,
    #[error("this hold was confirmed already; see your bookings")]
    HoldAlreadyConfirmed,
    #[error("the hold was extended as often as allowed; confirm it or choose the time again")]
    HoldExtensionLimit,
    #[error("the hold belongs to someone else")]
    HoldNotYours,
    #[error("already booked in this campaign")]
    AlreadyBooked,
    #[error("the booking is not active")]
    BookingNotActive,
    #[error("the new slot is in another campaign")]
    CampaignMismatch,
    #[error("capacity cannot go below the {booked} places already booked")]
    CapacityBelowBooked { booked: i32 },
    #[error("the Idempotency-Key was used for a different request")]
    IdempotencyKeyReused,
    #[error("a request with this Idempotency-Key is still in progress")]
    RequestInProgress,
    #[error("too many booking changes for this person in a short time; wait a moment")]
    RateLimited { retry_after_seconds: u32 },
    #[error("bookings for this opening go through the waiting room: join it at /waiting-room/{room} (or POST /v1/waiting-rooms/{room}/visitors) and send the admission token you get as Admission-Token")]
    AdmissionRequired { room: String },
    #[error("a store is unavailable")]
    Unavailable(#[source] anyhow::Error),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

/// What a refused helper is told.
fn not_entitled_text(r: crate::domain::attorney::Refusal) -> &'static str {
    use crate::domain::attorney::Refusal;
    match r {
        Refusal::OutsideMunicipality => {
            "you may act only for citizens of your own municipality, or for a citizen who has granted you a power of attorney"
        }
        Refusal::NoPowerOfAttorney => {
            "this citizen has not granted you a power of attorney; they can grant one on their own pages, or an authority can record one"
        }
    }
}

impl BookingError {
    pub fn problem(&self) -> Problem {
        use BookingError::*;
        let (status, code) = match self {
            Invalid(_) => (StatusCode::BAD_REQUEST, "invalid_request"),
            Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            NotEntitled(refusal) => (StatusCode::FORBIDDEN, refusal.code()),
            NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            DuplicateCampaign => (StatusCode::CONFLICT, "duplicate_campaign"),
            UnknownCampaign(_) => (StatusCode::UNPROCESSABLE_ENTITY, "unknown_campaign"),
            CampaignNotOffered => (StatusCode::UNPROCESSABLE_ENTITY, "campaign_not_offered"),
            SlotFull => (StatusCode::CONFLICT, "slot_full"),
            SlotClosed => (StatusCode::CONFLICT, "slot_closed"),
            SlotInPast => (StatusCode::CONFLICT, "slot_in_past"),
            NotInvited => (StatusCode::FORBIDDEN, "not_invited"),
            HoldExpired => (StatusCode::GONE, "hold_expired"),
            HoldAlreadyConfirmed => (StatusCode::CONFLICT, "hold_already_confirmed"),
            HoldNotYours => (StatusCode::FORBIDDEN, "hold_not_yours"),
            HoldExtensionLimit => (StatusCode::CONFLICT, "hold_extension_limit"),
            AlreadyBooked => (StatusCode::CONFLICT, "already_booked"),
            BookingNotActive => (StatusCode::CONFLICT, "booking_not_active"),
            CampaignMismatch => (StatusCode::UNPROCESSABLE_ENTITY, "campaign_mismatch"),
            CapacityBelowBooked { .. } => (StatusCode::CONFLICT, "capacity_below_booked"),
            IdempotencyKeyReused => (StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused"),
            RequestInProgress => (StatusCode::CONFLICT, "request_in_progress"),
            RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            AdmissionRequired { .. } => (StatusCode::FORBIDDEN, "admission_required"),
            Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        };
        let mut p = Problem::new(status, code, self.to_string());
        match self {
            Unavailable(_) | RequestInProgress => p = p.with_retry_after(1),
            RateLimited {
                retry_after_seconds,
            } => p = p.with_retry_after(*retry_after_seconds),
            AdmissionRequired { room } => p = p.with_extension("waiting_room", room.as_str()),
            _ => {}
        }
        p
    }
}

impl ResponseError for BookingError {
    fn status_code(&self) -> StatusCode {
        self.problem().status_code()
    }

    fn error_response(&self) -> HttpResponse {
        if matches!(
            self,
            BookingError::Unavailable(_) | BookingError::Internal(_)
        ) {
            tracing::error!(error = %error_chain(self), "request failed");
        }
        self.problem().to_response()
    }
}

/// The whole cause chain, for the log (the client sees only the top).
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cause = c.source();
    }
    out
}

impl From<redis::RedisError> for BookingError {
    fn from(e: redis::RedisError) -> Self {
        BookingError::Unavailable(e.into())
    }
}

impl From<deadpool_postgres::PoolError> for BookingError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        BookingError::Unavailable(e.into())
    }
}

impl From<tokio_postgres::Error> for BookingError {
    fn from(e: tokio_postgres::Error) -> Self {
        use tokio_postgres::error::SqlState;
        // A lost race (deadlock, serialization, a lock not had in time) or a dropped
        // connection: the client may retry with the same Idempotency-Key.
        let retry = e.code().is_some_and(|c| {
            *c == SqlState::T_R_DEADLOCK_DETECTED
                || *c == SqlState::T_R_SERIALIZATION_FAILURE
                || *c == SqlState::LOCK_NOT_AVAILABLE
        });
        if retry || e.is_closed() {
            BookingError::Unavailable(e.into())
        } else {
            BookingError::Internal(e.into())
        }
    }
}

/// The name of the constraint a database error violated, if any.
pub fn violated_constraint(e: &tokio_postgres::Error) -> Option<&str> {
    e.as_db_error().and_then(|d| d.constraint())
}

pub type Result<T, E = BookingError> = std::result::Result<T, E>;
