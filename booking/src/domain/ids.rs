//! Identifiers and small values that are checked once, at the edge.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

macro_rules! numeric_id {
    ($name:ident, $what:literal) => {
        #[doc = concat!("The id of a ", $what, ".")]
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

numeric_id!(SlotId, "slot");
numeric_id!(SiteId, "site");
numeric_id!(CampaignId, "campaign");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct BookingId(pub uuid::Uuid);

impl BookingId {
    pub fn new() -> Self {
        Self(uuid::Uuid::now_v7())
    }
}

impl Default for BookingId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for BookingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// How many people a slot takes. Bounded so a typo cannot create a 10-million-seat slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct Capacity(u32);

impl Capacity {
    pub const MAX: u32 = 10_000;

    pub fn new(n: i64) -> Result<Self, String> {
        if (0..=i64::from(Self::MAX)).contains(&n) {
            Ok(Self(n as u32))
        } else {
            Err(format!("capacity must be between 0 and {}", Self::MAX))
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

impl TryFrom<i64> for Capacity {
    type Error = String;
    fn try_from(n: i64) -> Result<Self, String> {
        Self::new(n)
    }
}

impl From<Capacity> for i64 {
    fn from(c: Capacity) -> i64 {
        i64::from(c.0)
    }
}

/// A hold on one place in a slot: `<slot id>.<32 hex digits>`. The slot id is inside so
/// the hold's Redis keys are found without a lookup; the random part makes it unguessable.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct HoldId {
    slot: SlotId,
    token: String,
}

#[derive(Debug, thiserror::Error)]
#[error("not a hold id")]
pub struct BadHoldId;

impl HoldId {
    pub fn generate(slot: SlotId) -> Self {
        Self {
            slot,
            token: hex::encode(rand::random::<[u8; 16]>()),
        }
    }

    pub fn slot(&self) -> SlotId {
        self.slot
    }

    /// The random part, as stored in the slot's hold set.
    pub fn token(&self) -> &str {
        &self.token
    }
}

impl FromStr for HoldId {
    type Err = BadHoldId;
    fn from_str(s: &str) -> Result<Self, BadHoldId> {
        let (slot, token) = s.split_once('.').ok_or(BadHoldId)?;
        let slot: i64 = slot.parse().map_err(|_| BadHoldId)?;
        let hex_ok = token.len() == 32
            && token
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if slot <= 0 || !hex_ok || slot.to_string().len() != s.len() - 33 {
            return Err(BadHoldId);
        }
        Ok(Self {
            slot: SlotId(slot),
            token: token.to_owned(),
        })
    }
}

impl TryFrom<String> for HoldId {
    type Error = BadHoldId;
    fn try_from(s: String) -> Result<Self, BadHoldId> {
        s.parse()
    }
}

impl From<HoldId> for String {
    fn from(h: HoldId) -> String {
        h.to_string()
    }
}

impl fmt::Display for HoldId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.slot, self.token)
    }
}

/// The client's `Idempotency-Key`: 1 to 255 visible ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.is_empty() || s.len() > 255 || !s.bytes().all(|b| b.is_ascii_graphic()) {
            return Err("Idempotency-Key must be 1 to 255 visible ASCII characters".into());
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hold_id_round_trips() {
        let h = HoldId::generate(SlotId(42));
        let parsed: HoldId = h.to_string().parse().unwrap();
        assert_eq!(parsed, h);
        assert_eq!(parsed.slot(), SlotId(42));
    }

    #[test]
    fn hold_id_rejects_garbage() {
        for bad in [
            "",
            "42",
            "42.",
            "x.0123456789abcdef0123456789abcdef",
            "0.0123456789abcdef0123456789abcdef",
            "-1.0123456789abcdef0123456789abcdef",
            "42.0123456789ABCDEF0123456789abcdef",
            "42.0123456789abcdef0123456789abcde",
            "+42.0123456789abcdef0123456789abcdef",
            "042.0123456789abcdef0123456789abcdef",
        ] {
            assert!(bad.parse::<HoldId>().is_err(), "{bad}");
        }
    }

    #[test]
    fn capacity_bounds() {
        assert!(Capacity::new(-1).is_err());
        assert!(Capacity::new(10_001).is_err());
        assert_eq!(Capacity::new(0).unwrap().get(), 0);
        assert_eq!(Capacity::new(10_000).unwrap().get(), 10_000);
    }

    #[test]
    fn idempotency_key_rules() {
        assert!(IdempotencyKey::parse("abc-123").is_ok());
        assert!(IdempotencyKey::parse("").is_err());
        assert!(IdempotencyKey::parse("has space").is_err());
        assert!(IdempotencyKey::parse(&"x".repeat(256)).is_err());
    }
}
