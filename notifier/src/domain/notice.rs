//! What an outbox row announces, parsed from its `kind` and `payload`. An unknown kind
//! or a payload missing a field is a `NoticeError`: the worker dead-letters the row
//! with this reason instead of crashing.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

/// A booked appointment as the booking service announces it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Appointment {
    pub booking_id: Uuid,
    pub slot_id: i64,
    pub site_id: i64,
    pub campaign_id: i64,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Notice {
    Invitation {
        campaign_id: i64,
        wave_id: Option<i64>,
    },
    Reminder {
        campaign_id: i64,
    },
    BookingConfirmed(Appointment),
    BookingMoved {
        appointment: Appointment,
        previous_starts_at: DateTime<Utc>,
    },
    BookingCancelled {
        site_id: i64,
        campaign_id: i64,
        starts_at: DateTime<Utc>,
    },
    PassReady {
        campaign_id: Option<i64>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoticeError {
    #[error("unknown notification kind {0:?}")]
    UnknownKind(String),
    #[error("payload of {kind} is invalid: {reason}")]
    BadPayload { kind: &'static str, reason: String },
}

#[derive(Deserialize)]
struct CampaignOnly {
    campaign_id: i64,
    #[serde(default)]
    wave_id: Option<i64>,
}

#[derive(Deserialize)]
struct Moved {
    #[serde(flatten)]
    appointment: Appointment,
    previous_starts_at: DateTime<Utc>,
}

#[derive(Deserialize)]
struct Cancelled {
    site_id: i64,
    campaign_id: i64,
    starts_at: DateTime<Utc>,
}

#[derive(Deserialize)]
struct PassPayload {
    #[serde(default)]
    campaign_id: Option<i64>,
}

fn parse<T: serde::de::DeserializeOwned>(
    kind: &'static str,
    payload: &Value,
) -> Result<T, NoticeError> {
    T::deserialize(payload).map_err(|e| NoticeError::BadPayload {
        kind,
        reason: e.to_string(),
    })
}

impl Notice {
    pub fn parse(kind: &str, payload: &Value) -> Result<Self, NoticeError> {
        Ok(match kind {
            "invitation" => {
                let p: CampaignOnly = parse("invitation", payload)?;
                Self::Invitation {
                    campaign_id: p.campaign_id,
                    wave_id: p.wave_id,
                }
            }
            "reminder" => {
                let p: CampaignOnly = parse("reminder", payload)?;
                Self::Reminder {
                    campaign_id: p.campaign_id,
                }
            }
            "booking_confirmed" => Self::BookingConfirmed(parse("booking_confirmed", payload)?),
            "booking_moved" => {
                let p: Moved = parse("booking_moved", payload)?;
                Self::BookingMoved {
                    appointment: p.appointment,
                    previous_starts_at: p.previous_starts_at,
                }
            }
            "booking_cancelled" => {
                let p: Cancelled = parse("booking_cancelled", payload)?;
                Self::BookingCancelled {
                    site_id: p.site_id,
                    campaign_id: p.campaign_id,
                    starts_at: p.starts_at,
                }
            }
            "pass_ready" => {
                let p: PassPayload = parse("pass_ready", payload)?;
                Self::PassReady {
                    campaign_id: p.campaign_id,
                }
            }
            other => {
                // Keep the reason short and printable: it lands in `outbox.last_error`.
                let shown: String = other.chars().take(64).collect();
                return Err(NoticeError::UnknownKind(shown));
            }
        })
    }

    /// The kind as written in the outbox (also the metric label).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Invitation { .. } => "invitation",
            Self::Reminder { .. } => "reminder",
            Self::BookingConfirmed(_) => "booking_confirmed",
            Self::BookingMoved { .. } => "booking_moved",
            Self::BookingCancelled { .. } => "booking_cancelled",
            Self::PassReady { .. } => "pass_ready",
        }
    }

    /// The site the letter mentions, if any.
    pub fn site_id(&self) -> Option<i64> {
        match self {
            Self::BookingConfirmed(a) => Some(a.site_id),
            Self::BookingMoved { appointment, .. } => Some(appointment.site_id),
            Self::BookingCancelled { site_id, .. } => Some(*site_id),
            Self::Invitation { .. } | Self::Reminder { .. } | Self::PassReady { .. } => None,
        }
    }

    /// The campaign the letter is about, if any.
    pub fn campaign_id(&self) -> Option<i64> {
        match self {
            Self::Invitation { campaign_id, .. }
            | Self::Reminder { campaign_id }
            | Self::BookingCancelled { campaign_id, .. } => Some(*campaign_id),
            Self::BookingConfirmed(a) => Some(a.campaign_id),
            Self::BookingMoved { appointment, .. } => Some(appointment.campaign_id),
            Self::PassReady { campaign_id } => *campaign_id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_every_kind() {
        let id = Uuid::now_v7();
        let confirmed = json!({"booking_id": id, "slot_id": 1, "site_id": 2, "campaign_id": 3,
            "starts_at": "2026-12-01T09:00:00Z", "ends_at": "2026-12-01T09:10:00Z"});
        let n = Notice::parse("booking_confirmed", &confirmed).unwrap();
        assert_eq!(n.site_id(), Some(2));
        assert_eq!(n.campaign_id(), Some(3));
        let mut moved = confirmed.clone();
        moved["previous_booking_id"] = json!(Uuid::now_v7());
        moved["previous_starts_at"] = json!("2026-11-30T09:00:00Z");
        assert!(matches!(
            Notice::parse("booking_moved", &moved).unwrap(),
            Notice::BookingMoved { .. }
        ));
        let cancelled = json!({"booking_id": id, "slot_id": 1, "site_id": 2, "campaign_id": 3,
            "starts_at": "2026-12-01T09:00:00Z"});
        assert!(matches!(
            Notice::parse("booking_cancelled", &cancelled).unwrap(),
            Notice::BookingCancelled { .. }
        ));
        assert_eq!(
            Notice::parse("invitation", &json!({"wave_id": 4, "campaign_id": 3})).unwrap(),
            Notice::Invitation {
                campaign_id: 3,
                wave_id: Some(4)
            }
        );
        assert_eq!(
            Notice::parse("reminder", &json!({"campaign_id": 3})).unwrap(),
            Notice::Reminder { campaign_id: 3 }
        );
        assert_eq!(
            Notice::parse("pass_ready", &json!({})).unwrap(),
            Notice::PassReady { campaign_id: None }
        );
    }

    #[test]
    fn unknown_kind_and_bad_payload_are_errors() {
        assert_eq!(
            Notice::parse("telegram", &json!({})),
            Err(NoticeError::UnknownKind("telegram".into()))
        );
        let err = Notice::parse("booking_confirmed", &json!({"booking_id": 1})).unwrap_err();
        assert!(matches!(
            err,
            NoticeError::BadPayload {
                kind: "booking_confirmed",
                ..
            }
        ));
        assert!(Notice::parse("invitation", &json!("not an object")).is_err());
    }
}
