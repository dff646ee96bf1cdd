//! DCC revocation by hash (eHN "Technical specification for DCC revocation"): a
//! revocation list holds the first 128 bits of SHA-256 over one of
//! - UCI: the UVCI (`ci`) exactly as in the certificate;
//! - COUNTRYCODEUCI: the entry's country code (`co`) followed by the UVCI;
//! - SIGNATURE: the COSE signature; for ECDSA (ES256) only its `r` half, because an
//!   ECDSA signature can be re-randomised into `(r, n - s)` without the key.
//!
//! Pure: the list is built from hashes handed in.

use std::collections::HashSet;

use sha2::{Digest, Sha256};

use crate::codec::Algorithm;

/// The three kinds of revocation hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum HashType {
    /// SHA-256(UCI).
    Uci,
    /// SHA-256(co ‖ UCI).
    CountryCodeUci,
    /// SHA-256(signature, or r for ECDSA).
    Signature,
}

impl std::fmt::Display for HashType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Uci => "UCI",
            Self::CountryCodeUci => "COUNTRYCODEUCI",
            Self::Signature => "SIGNATURE",
        })
    }
}

/// A truncated (16-byte) revocation hash.
pub type RevocationHash = [u8; 16];

fn truncated(parts: &[&[u8]]) -> RevocationHash {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    let digest = h.finalize();
    let mut out = [0u8; 16];
    out.copy_from_slice(&digest[..16]);
    out
}

/// The revocation hashes of one certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateHashes {
    /// UCI hash (absent when the payload has no `ci`).
    pub uci: Option<RevocationHash>,
    /// Country code + UCI hash (absent without `co` or `ci`).
    pub country_code_uci: Option<RevocationHash>,
    /// Signature hash.
    pub signature: RevocationHash,
}

/// Computes the three hashes from the DCC JSON and the COSE signature.
#[must_use]
pub fn hashes(
    dcc: &serde_json::Value,
    algorithm: Option<Algorithm>,
    signature: &[u8],
) -> CertificateHashes {
    let entry = ["v", "t", "r"]
        .iter()
        .find_map(|k| dcc.get(*k).and_then(|g| g.get(0)));
    let ci = entry.and_then(|e| e.get("ci")).and_then(|v| v.as_str());
    let co = entry.and_then(|e| e.get("co")).and_then(|v| v.as_str());
    CertificateHashes {
        uci: ci.map(|ci| truncated(&[ci.as_bytes()])),
        country_code_uci: ci
            .zip(co)
            .map(|(ci, co)| truncated(&[co.as_bytes(), ci.as_bytes()])),
        signature: signature_hash(algorithm, signature),
    }
}

/// The SIGNATURE hash of a COSE signature (ES256: of `r` only).
#[must_use]
pub fn signature_hash(algorithm: Option<Algorithm>, signature: &[u8]) -> RevocationHash {
    let signed = match algorithm {
        // r is the first half of the fixed-width r ‖ s (RFC 9053 §2.1).
        Some(Algorithm::Es256) if signature.len() == 64 => &signature[..32],
        _ => signature,
    };
    truncated(&[signed])
}

/// A set of revoked hashes by type.
#[derive(Debug, Clone, Default)]
pub struct RevocationList {
    uci: HashSet<RevocationHash>,
    country_code_uci: HashSet<RevocationHash>,
    signature: HashSet<RevocationHash>,
}

/// Why a revocation entry could not be added.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RevocationListError {
    /// Not 16 bytes in hex or base64.
    #[error("revocation hash must be 16 bytes, hex or base64")]
    BadHash,
}

/// Why a revocation document could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RevocationDocumentError {
    /// A hash that is not a string.
    #[error("{0}: hashes must be strings")]
    NotText(&'static str),
    /// A hash that is not 16 bytes in hex or base64.
    #[error("{0}: a hash is not 16 bytes in hex or base64")]
    BadHash(&'static str),
}

impl RevocationList {
    /// An empty list.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a hash.
    pub fn add(&mut self, kind: HashType, hash: RevocationHash) {
        match kind {
            HashType::Uci => self.uci.insert(hash),
            HashType::CountryCodeUci => self.country_code_uci.insert(hash),
            HashType::Signature => self.signature.insert(hash),
        };
    }

    /// Adds a hash given as hex or base64 text (16 bytes; a full 32-byte SHA-256 is truncated).
    pub fn add_text(&mut self, kind: HashType, text: &str) -> Result<(), RevocationListError> {
        use base64::Engine as _;
        let text = text.trim();
        let bytes = hex::decode(text)
            .ok()
            .or_else(|| base64::engine::general_purpose::STANDARD.decode(text).ok())
            .ok_or(RevocationListError::BadHash)?;
        let hash: RevocationHash = bytes
            .get(..16)
            .filter(|_| bytes.len() == 16 || bytes.len() == 32)
            .and_then(|b| b.try_into().ok())
            .ok_or(RevocationListError::BadHash)?;
        self.add(kind, hash);
        Ok(())
    }

    /// Whether this one hash is listed under `kind`.
    #[must_use]
    pub fn contains(&self, kind: HashType, hash: &RevocationHash) -> bool {
        match kind {
            HashType::Uci => self.uci.contains(hash),
            HashType::CountryCodeUci => self.country_code_uci.contains(hash),
            HashType::Signature => self.signature.contains(hash),
        }
    }

    /// The first hash type under which the certificate is revoked, if any.
    #[must_use]
    pub fn check(&self, h: &CertificateHashes) -> Option<HashType> {
        if h.uci.is_some_and(|x| self.uci.contains(&x)) {
            return Some(HashType::Uci);
        }
        if h.country_code_uci
            .is_some_and(|x| self.country_code_uci.contains(&x))
        {
            return Some(HashType::CountryCodeUci);
        }
        self.signature
            .contains(&h.signature)
            .then_some(HashType::Signature)
    }

    /// Reads a revocation document: the pass service's `{"kids": {kid: {"UCI": [...],
    /// "COUNTRYCODEUCI": [...], "SIGNATURE": [...]}}}`, or one such group on its own.
    /// Hashes are 16 bytes in base64 or hex.
    pub fn from_document(doc: &serde_json::Value) -> Result<Self, RevocationDocumentError> {
        let mut list = Self::new();
        let groups: Vec<&serde_json::Value> = match doc.get("kids").and_then(|k| k.as_object()) {
            Some(kids) => kids.values().collect(),
            None => vec![doc],
        };
        for group in groups {
            for (key, kind) in [
                ("UCI", HashType::Uci),
                ("COUNTRYCODEUCI", HashType::CountryCodeUci),
                ("SIGNATURE", HashType::Signature),
            ] {
                for h in group
                    .get(key)
                    .and_then(|v| v.as_array())
                    .into_iter()
                    .flatten()
                {
                    let text = h.as_str().ok_or(RevocationDocumentError::NotText(key))?;
                    list.add_text(kind, text)
                        .map_err(|_| RevocationDocumentError::BadHash(key))?;
                }
            }
        }
        Ok(list)
    }

    /// True when no hash is listed.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.uci.is_empty() && self.country_code_uci.is_empty() && self.signature.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn es256_signature_hash_covers_r_only() {
        let dcc = json!({"v": [{"ci": "URN:UVCI:01:DK:X", "co": "DK"}]});
        let mut sig = vec![1u8; 64];
        let a = hashes(&dcc, Some(Algorithm::Es256), &sig);
        sig[40] = 9; // change s only
        let b = hashes(&dcc, Some(Algorithm::Es256), &sig);
        assert_eq!(a.signature, b.signature);
        let c = hashes(&dcc, Some(Algorithm::Ps256), &sig);
        assert_ne!(a.signature, c.signature);
        let expected_uci: [u8; 16] = Sha256::digest(b"URN:UVCI:01:DK:X")[..16]
            .try_into()
            .unwrap();
        assert_eq!(a.uci, Some(expected_uci));
        let expected_cc: [u8; 16] = Sha256::digest(b"DKURN:UVCI:01:DK:X")[..16]
            .try_into()
            .unwrap();
        assert_eq!(a.country_code_uci, Some(expected_cc));
    }

    #[test]
    fn list_matches_each_type() {
        let dcc = json!({"t": [{"ci": "U1", "co": "SE"}]});
        let h = hashes(&dcc, Some(Algorithm::Es256), &[7u8; 64]);
        let mut list = RevocationList::new();
        assert_eq!(list.check(&h), None);
        list.add(HashType::Signature, h.signature);
        assert_eq!(list.check(&h), Some(HashType::Signature));
        let mut list = RevocationList::new();
        list.add_text(
            HashType::CountryCodeUci,
            &hex::encode(h.country_code_uci.unwrap()),
        )
        .unwrap();
        assert_eq!(list.check(&h), Some(HashType::CountryCodeUci));
        assert_eq!(
            list.add_text(HashType::Uci, "zz"),
            Err(RevocationListError::BadHash)
        );
    }
}
