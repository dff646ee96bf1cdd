//! Admission tokens: `wr1.<room>.<visitor>.<expires ms>.<HMAC-SHA256, hex>`, signed with
//! the waiting room's secret and short-lived. Pure: no I/O, no clock of its own.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admission {
    pub room: String,
    pub visitor: String,
    pub expires_ms: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the admission token is malformed")]
    Malformed,
    #[error("the admission token's signature does not match")]
    BadSignature,
    #[error("the admission token has expired")]
    Expired,
}

fn mac(secret: &[u8], payload: &str) -> HmacSha256 {
    // safe: HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    let mut m = HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any length");
    m.update(payload.as_bytes());
    m
}

/// Room names and visitor ids are plain (`[a-z0-9-]`), so the token needs no escaping.
pub fn plain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

pub fn sign(secret: &[u8], a: &Admission) -> String {
    let payload = format!("wr1.{}.{}.{}", a.room, a.visitor, a.expires_ms);
    let sig = hex::encode(mac(secret, &payload).finalize().into_bytes());
    format!("{payload}.{sig}")
}

/// Checks the signature (in constant time) and the expiry against `now_ms`.
pub fn verify(secret: &[u8], token: &str, now_ms: i64) -> Result<Admission, TokenError> {
    let (payload, sig) = token.rsplit_once('.').ok_or(TokenError::Malformed)?;
    let mut parts = payload.split('.');
    let (Some("wr1"), Some(room), Some(visitor), Some(expires), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(TokenError::Malformed);
    };
    if !plain(room) || !plain(visitor) {
        return Err(TokenError::Malformed);
    }
    let expires_ms: i64 = expires.parse().map_err(|_| TokenError::Malformed)?;
    let sig = hex::decode(sig).map_err(|_| TokenError::Malformed)?;
    mac(secret, payload)
        .verify_slice(&sig)
        .map_err(|_| TokenError::BadSignature)?;
    if expires_ms <= now_ms {
        return Err(TokenError::Expired);
    }
    Ok(Admission {
        room: room.to_owned(),
        visitor: visitor.to_owned(),
        expires_ms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Admission {
        Admission {
            room: "dose-1-wave-3".into(),
            visitor: "0f3a".into(),
            expires_ms: 2_000,
        }
    }

    #[test]
    fn a_signed_token_verifies_until_it_expires() {
        let t = sign(b"secret", &sample());
        assert_eq!(verify(b"secret", &t, 1_999), Ok(sample()));
        assert_eq!(verify(b"secret", &t, 2_000), Err(TokenError::Expired));
    }

    #[test]
    fn tampering_and_other_keys_are_refused() {
        let t = sign(b"secret", &sample());
        assert_eq!(verify(b"other", &t, 0), Err(TokenError::BadSignature));
        let later = t.replace(".2000.", ".9999999.");
        assert_eq!(verify(b"secret", &later, 0), Err(TokenError::BadSignature));
        let elsewhere = t.replace("wave-3", "wave-4");
        assert_eq!(
            verify(b"secret", &elsewhere, 0),
            Err(TokenError::BadSignature)
        );
        for bad in ["", "wr1", "wr1.a.b.c.d", "x.a.b.1.00", "wr1.A.b.1.00"] {
            assert_eq!(
                verify(b"secret", bad, 0),
                Err(TokenError::Malformed),
                "{bad}"
            );
        }
    }
}
