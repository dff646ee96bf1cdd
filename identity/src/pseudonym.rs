//! Pseudonymous ids for citizens: a keyed HMAC-SHA256 of the CPR number.
//!
//! A `Pseudonym` is what goes into Redis keys, metric labels, log fields and rate-limit
//! buckets instead of a CPR number. It is stable for one secret (the same citizen always
//! maps to the same pseudonym, across services and restarts that share the secret) and,
//! without the secret, cannot be turned back into a CPR number by enumerating the small
//! CPR space. This module must never log or expose the secret.

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::Cpr;

type HmacSha256 = Hmac<Sha256>;

/// Bytes of the MAC kept in a pseudonym: 16 bytes = 128 bits = 32 hex characters.
const PSEUDONYM_BYTES: usize = 16;

/// Turns CPR numbers into pseudonyms with a secret key.
#[derive(Clone)]
pub struct Pseudonymizer {
    /// The keyed MAC state, cloned per use so the key schedule is computed only once.
    mac: HmacSha256,
}

/// 32 lowercase hex characters; safe to log, to use as a Redis key or a metric label.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct Pseudonym(String);

impl Pseudonymizer {
    /// `secret` should be at least 32 random bytes, shared by every service that must
    /// agree on pseudonyms, and kept out of the repository and the logs.
    pub fn new(secret: &[u8]) -> Pseudonymizer {
        // safe: HMAC accepts keys of any length (longer keys are hashed first), so
        // `new_from_slice` cannot fail for `Hmac<Sha256>`.
        #[allow(clippy::expect_used)]
        let mac = HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any length");
        Pseudonymizer { mac }
    }

    pub fn pseudonymize(&self, cpr: &Cpr) -> Pseudonym {
        let mut mac = self.mac.clone();
        mac.update(cpr.as_str().as_bytes());
        let tag = mac.finalize().into_bytes();
        Pseudonym(hex::encode(&tag[..PSEUDONYM_BYTES]))
    }
}

/// Never shows the key.
impl fmt::Debug for Pseudonymizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pseudonymizer { .. }")
    }
}

impl Pseudonym {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Pseudonym {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Pseudonym {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pseudonym({})", self.0)
    }
}

impl AsRef<str> for Pseudonym {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cpr(s: &str) -> Cpr {
        Cpr::parse(s).unwrap()
    }

    #[test]
    fn is_32_lowercase_hex_and_stable() {
        let p = Pseudonymizer::new(b"0123456789abcdef0123456789abcdef");
        let a = p.pseudonymize(&cpr("0102031234"));
        assert_eq!(a.as_str().len(), 32);
        assert!(a
            .as_str()
            .chars()
            .all(|c| matches!(c, '0'..='9' | 'a'..='f')));
        assert_eq!(a, p.pseudonymize(&cpr("010203-1234")));
        assert_eq!(a, p.clone().pseudonymize(&cpr("0102031234")));
    }

    #[test]
    fn is_hmac_sha256_truncated() {
        // RFC 4231-style check against an independent computation of the same MAC.
        let secret = b"key";
        let mut mac = HmacSha256::new_from_slice(secret).unwrap();
        mac.update(b"0102031234");
        let full = hex::encode(mac.finalize().into_bytes());
        let p = Pseudonymizer::new(secret).pseudonymize(&cpr("0102031234"));
        assert_eq!(p.as_str(), &full[..32]);
    }

    #[test]
    fn differs_by_citizen_and_by_secret() {
        let p1 = Pseudonymizer::new(b"secret one");
        let p2 = Pseudonymizer::new(b"secret two");
        let a = cpr("0102031234");
        let b = cpr("0102031235");
        assert_ne!(p1.pseudonymize(&a), p1.pseudonymize(&b));
        assert_ne!(p1.pseudonymize(&a), p2.pseudonymize(&a));
    }

    #[test]
    fn never_contains_the_cpr_and_debug_hides_the_key() {
        let p = Pseudonymizer::new(b"super-secret-key");
        let shown = format!("{p:?}");
        assert!(!shown.contains("super-secret-key"));
        let id = p.pseudonymize(&cpr("0102031234"));
        assert!(!id.as_str().contains("0102031234"));
        assert_eq!(format!("{id}"), id.as_str());
    }
}
