//! The HC1 transport layers, each its own step with its own error (eHealth Network
//! "Electronic Health Certificate Container Format" (hcert) §3-§5):
//! `HC1:` prefix → Base45 (RFC 9285) → zlib (RFC 1950) → COSE_Sign1 (RFC 9052 §4.2) →
//! CWT claims (RFC 8392) with the `hcert` claim (-260) holding the DCC under key 1.
//!
//! Decoding never panics and never allocates beyond a caller-given cap (a zlib bomb
//! inside a QR code stays a typed error). Pure: no I/O.

use ciborium::value::Value;
use coset::{iana, AsCborValue, CoseSign1, RegisteredLabelWithPrivate};

/// The context identifier of an EU DCC (hcert §5: "HC1:").
pub const PREFIX: &str = "HC1:";
/// CBOR tag of COSE_Sign1 (RFC 9052 §2).
pub const TAG_COSE_SIGN1: u64 = 18;
/// CBOR tag of a CWT (RFC 8392 §6).
pub const TAG_CWT: u64 = 61;
/// Default cap on the inflated COSE size. A QR code holds under 3 KB of deflated data;
/// real DCCs inflate to well under 8 KB, so 64 KiB leaves room without inviting bombs.
pub const DEFAULT_MAX_INFLATED: usize = 64 * 1024;

/// CWT claim keys (RFC 8392 §3.1.x; hcert §3.3.1 for -260).
const CLAIM_ISS: i128 = 1;
const CLAIM_EXP: i128 = 4;
const CLAIM_IAT: i128 = 6;
const CLAIM_HCERT: i128 = -260;
/// Key of the EU DCC inside the hcert claim (hcert §3.3.1).
const HCERT_EU_DCC: i128 = 1;

/// Why the context prefix is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrefixError {
    /// No `XXn:` context identifier at all.
    #[error("missing the HC1: prefix")]
    Missing,
    /// A context identifier other than `HC1:` (e.g. `HC2:`, `HL0:`).
    #[error("unsupported context identifier {0:?} (only HC1: is supported)")]
    Unsupported(String),
}

/// Why zlib inflation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InflateError {
    /// The data is not a zlib stream (bad header or corrupt deflate data).
    #[error("not valid zlib data: {0}")]
    Corrupt(String),
    /// The stream ends before its end marker.
    #[error("zlib stream is truncated")]
    Truncated,
    /// The inflated size exceeds the cap.
    #[error("inflated data exceeds the {limit}-byte cap")]
    TooLarge {
        /// The cap in bytes.
        limit: usize,
    },
}

/// Why the COSE structure could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CoseError {
    /// Not well-formed CBOR.
    #[error("COSE is not well-formed CBOR: {0}")]
    Cbor(String),
    /// A tag other than 18, or 61 around 18.
    #[error("unexpected CBOR tag {0} (expected COSE_Sign1 tag 18, optionally inside CWT tag 61)")]
    UnexpectedTag(u64),
    /// The array is not a COSE_Sign1 structure.
    #[error("not a COSE_Sign1 structure: {0}")]
    Structure(String),
    /// No payload (detached payloads are not used by hcert).
    #[error("COSE_Sign1 has no payload")]
    MissingPayload,
    /// Bytes follow the COSE structure.
    #[error("{0} trailing bytes after the COSE structure")]
    TrailingBytes(usize),
}

/// Why the CWT claims could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CwtError {
    /// Not well-formed CBOR.
    #[error("CWT payload is not well-formed CBOR: {0}")]
    Cbor(String),
    /// The CWT payload is not a map.
    #[error("CWT payload is not a CBOR map")]
    NotAMap,
    /// A claim has the wrong type.
    #[error("CWT claim {0} has the wrong type")]
    ClaimType(&'static str),
    /// The hcert claim (-260) is absent.
    #[error("CWT has no hcert claim (-260)")]
    MissingHcert,
    /// The hcert claim has no EU DCC under key 1.
    #[error("hcert claim has no EU DCC (key 1)")]
    MissingDcc,
    /// The DCC cannot be represented as JSON (e.g. a non-text map key).
    #[error("DCC is not JSON-compatible: {0}")]
    NotJson(&'static str),
}

/// How the COSE_Sign1 was wrapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum CoseTagging {
    /// Tag 18 (the hcert-specified form).
    Sign1Tag,
    /// No tag.
    Untagged,
    /// CWT tag 61 around tag 18.
    CwtAroundSign1,
}

/// Signature algorithms hcert allows (hcert §2.2: ES256 primary, PS256 secondary).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Algorithm {
    /// ECDSA P-256 with SHA-256 (COSE -7).
    Es256,
    /// RSASSA-PSS with SHA-256, MGF1-SHA-256, salt 32 (COSE -37).
    Ps256,
}

impl Algorithm {
    /// The COSE algorithm identifier.
    #[must_use]
    pub fn cose_id(self) -> iana::Algorithm {
        match self {
            Self::Es256 => iana::Algorithm::ES256,
            Self::Ps256 => iana::Algorithm::PS256,
        }
    }
}

/// A parsed COSE_Sign1, keeping the exact signed bytes (the protected header's original
/// bstr and the payload bstr are never re-encoded before verification).
#[derive(Debug, Clone)]
pub struct CoseMessage {
    sign1: CoseSign1,
    tagging: CoseTagging,
}

impl CoseMessage {
    /// How the message was tagged.
    #[must_use]
    pub fn tagging(&self) -> CoseTagging {
        self.tagging
    }

    /// The key id: the protected header's wins, else the unprotected one's (hcert §3.3.2).
    #[must_use]
    pub fn kid(&self) -> Option<&[u8]> {
        let protected = &self.sign1.protected.header.key_id;
        if !protected.is_empty() {
            return Some(protected);
        }
        let unprotected = &self.sign1.unprotected.key_id;
        (!unprotected.is_empty()).then_some(unprotected.as_slice())
    }

    /// The key id of the protected header only.
    #[must_use]
    pub fn protected_kid(&self) -> Option<&[u8]> {
        let kid = &self.sign1.protected.header.key_id;
        (!kid.is_empty()).then_some(kid.as_slice())
    }

    /// The algorithm of the protected header only, if it is one hcert allows.
    #[must_use]
    pub fn protected_algorithm(&self) -> Option<Algorithm> {
        match self.sign1.protected.header.alg.as_ref()? {
            RegisteredLabelWithPrivate::Assigned(iana::Algorithm::ES256) => Some(Algorithm::Es256),
            RegisteredLabelWithPrivate::Assigned(iana::Algorithm::PS256) => Some(Algorithm::Ps256),
            _ => None,
        }
    }

    /// The raw COSE algorithm label (protected header first), if any.
    #[must_use]
    pub fn algorithm_label(&self) -> Option<&coset::Algorithm> {
        self.sign1
            .protected
            .header
            .alg
            .as_ref()
            .or(self.sign1.unprotected.alg.as_ref())
    }

    /// The algorithm if it is one hcert allows.
    #[must_use]
    pub fn algorithm(&self) -> Option<Algorithm> {
        match self.algorithm_label()? {
            RegisteredLabelWithPrivate::Assigned(iana::Algorithm::ES256) => Some(Algorithm::Es256),
            RegisteredLabelWithPrivate::Assigned(iana::Algorithm::PS256) => Some(Algorithm::Ps256),
            _ => None,
        }
    }

    /// The signed payload (the CWT claims bytes).
    #[must_use]
    pub fn payload(&self) -> &[u8] {
        self.sign1.payload.as_deref().unwrap_or_default()
    }

    /// The signature bytes.
    #[must_use]
    pub fn signature(&self) -> &[u8] {
        &self.sign1.signature
    }

    /// The Sig_structure bytes the signature covers (RFC 9052 §4.4), with empty external AAD.
    #[must_use]
    pub fn to_be_signed(&self) -> Vec<u8> {
        self.sign1.tbs_data(b"")
    }
}

/// Removes the `HC1:` context identifier (hcert §5).
pub fn strip_prefix(text: &str) -> Result<&str, PrefixError> {
    if let Some(rest) = text.strip_prefix(PREFIX) {
        return Ok(rest);
    }
    // A context identifier is 3 characters then ':' (HC1:, HC2:, HL0:...).
    match text.get(..4) {
        Some(head)
            if head.ends_with(':') && head[..3].bytes().all(|b| b.is_ascii_alphanumeric()) =>
        {
            Err(PrefixError::Unsupported(head.to_owned()))
        }
        _ => Err(PrefixError::Missing),
    }
}

/// Reusable zlib inflater with a size cap.
pub struct Inflater {
    state: flate2::Decompress,
    limit: usize,
}

impl std::fmt::Debug for Inflater {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inflater")
            .field("limit", &self.limit)
            .finish()
    }
}

impl Inflater {
    /// An inflater that refuses output larger than `limit` bytes.
    #[must_use]
    pub fn new(limit: usize) -> Self {
        Self {
            state: flate2::Decompress::new(true),
            limit,
        }
    }

    /// Inflates a complete zlib stream (any valid header, RFC 1950 §2.2).
    pub fn inflate(&mut self, data: &[u8]) -> Result<Vec<u8>, InflateError> {
        self.state.reset(true);
        let mut out = Vec::with_capacity((data.len() * 3).min(self.limit + 1));
        loop {
            let consumed = self.state.total_in() as usize;
            let input = data.get(consumed..).unwrap_or_default();
            if out.len() == out.capacity() {
                if out.len() > self.limit {
                    return Err(InflateError::TooLarge { limit: self.limit });
                }
                out.reserve((out.len()).max(1024).min(self.limit + 1 - out.len()));
            }
            let before_out = out.len();
            let status = self
                .state
                .decompress_vec(input, &mut out, flate2::FlushDecompress::None)
                .map_err(|e| InflateError::Corrupt(e.to_string()))?;
            if out.len() > self.limit {
                return Err(InflateError::TooLarge { limit: self.limit });
            }
            match status {
                flate2::Status::StreamEnd => return Ok(out),
                flate2::Status::Ok | flate2::Status::BufError => {
                    let no_progress =
                        out.len() == before_out && self.state.total_in() as usize == consumed;
                    if no_progress && out.len() < out.capacity() {
                        return Err(InflateError::Truncated);
                    }
                }
            }
        }
    }
}

/// Inflates with a one-off inflater (see [`Inflater`] to reuse state).
pub fn inflate(data: &[u8], limit: usize) -> Result<Vec<u8>, InflateError> {
    Inflater::new(limit).inflate(data)
}

/// Parses a COSE_Sign1: tag 18, untagged, or CWT tag 61 around tag 18 (hcert §3.3;
/// RFC 8392 §6 allows the CWT tag).
pub fn parse_cose(bytes: &[u8]) -> Result<CoseMessage, CoseError> {
    let mut reader = bytes;
    let value: Value =
        ciborium::de::from_reader(&mut reader).map_err(|e| CoseError::Cbor(e.to_string()))?;
    if !reader.is_empty() {
        return Err(CoseError::TrailingBytes(reader.len()));
    }
    let (inner, tagging) = match value {
        Value::Tag(TAG_CWT, inner) => match *inner {
            Value::Tag(TAG_COSE_SIGN1, sign1) => (*sign1, CoseTagging::CwtAroundSign1),
            Value::Tag(other, _) => return Err(CoseError::UnexpectedTag(other)),
            _ => return Err(CoseError::UnexpectedTag(TAG_CWT)),
        },
        Value::Tag(TAG_COSE_SIGN1, inner) => (*inner, CoseTagging::Sign1Tag),
        Value::Tag(other, _) => return Err(CoseError::UnexpectedTag(other)),
        other => (other, CoseTagging::Untagged),
    };
    let sign1 =
        CoseSign1::from_cbor_value(inner).map_err(|e| CoseError::Structure(e.to_string()))?;
    if sign1.payload.is_none() {
        return Err(CoseError::MissingPayload);
    }
    Ok(CoseMessage { sign1, tagging })
}

/// The CWT claims hcert uses, and the DCC as JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct Cwt {
    /// Issuer (`iss`, claim 1); usually a country code, not always.
    pub issuer: Option<String>,
    /// Issued at (`iat`, claim 6), seconds since the epoch.
    pub issued_at: Option<i64>,
    /// Expiration (`exp`, claim 4), seconds since the epoch.
    pub expires_at: Option<i64>,
    /// The EU DCC (`hcert` claim -260, key 1) as JSON.
    pub dcc: serde_json::Value,
}

fn label_int(v: &Value) -> Option<i128> {
    match v {
        Value::Integer(i) => Some(i128::from(*i)),
        _ => None,
    }
}

fn numeric_date(v: &Value, name: &'static str) -> Result<i64, CwtError> {
    match v {
        Value::Integer(i) => i64::try_from(i128::from(*i)).map_err(|_| CwtError::ClaimType(name)),
        // RFC 8392 §2 NumericDate may be fractional; hcert wants integers but we read both.
        Value::Float(f) if f.is_finite() && f.abs() < 1e15 => Ok(f.floor() as i64),
        Value::Tag(1, inner) => numeric_date(inner, name),
        _ => Err(CwtError::ClaimType(name)),
    }
}

/// Parses the CWT claims of a COSE payload (RFC 8392 §3) and extracts the DCC.
pub fn parse_cwt(payload: &[u8]) -> Result<Cwt, CwtError> {
    let value: Value =
        ciborium::de::from_reader(payload).map_err(|e| CwtError::Cbor(e.to_string()))?;
    let Value::Map(entries) = value else {
        return Err(CwtError::NotAMap);
    };
    let mut cwt = Cwt {
        issuer: None,
        issued_at: None,
        expires_at: None,
        dcc: serde_json::Value::Null,
    };
    let mut hcert = None;
    for (key, value) in entries {
        match label_int(&key) {
            Some(CLAIM_ISS) => match value {
                Value::Text(s) => cwt.issuer = Some(s),
                _ => return Err(CwtError::ClaimType("iss")),
            },
            Some(CLAIM_IAT) => cwt.issued_at = Some(numeric_date(&value, "iat")?),
            Some(CLAIM_EXP) => cwt.expires_at = Some(numeric_date(&value, "exp")?),
            Some(CLAIM_HCERT) => hcert = Some(value),
            _ => {}
        }
    }
    let Some(Value::Map(hcert)) = hcert else {
        return Err(CwtError::MissingHcert);
    };
    let dcc = hcert
        .into_iter()
        .find(|(k, _)| label_int(k) == Some(HCERT_EU_DCC))
        .map(|(_, v)| v)
        .ok_or(CwtError::MissingDcc)?;
    cwt.dcc = cbor_to_json(dcc)?;
    Ok(cwt)
}

/// Converts a CBOR value to JSON: tags are dropped (dates may be tagged 0/1004), byte
/// strings and non-text map keys are not JSON and are rejected.
pub fn cbor_to_json(value: Value) -> Result<serde_json::Value, CwtError> {
    use serde_json::Value as J;
    Ok(match value {
        Value::Null => J::Null,
        Value::Bool(b) => J::Bool(b),
        Value::Integer(i) => {
            let i = i128::from(i);
            if let Ok(u) = u64::try_from(i) {
                J::from(u)
            } else if let Ok(s) = i64::try_from(i) {
                J::from(s)
            } else {
                return Err(CwtError::NotJson("integer out of range"));
            }
        }
        Value::Float(f) => serde_json::Number::from_f64(f)
            .map(J::Number)
            .ok_or(CwtError::NotJson("non-finite float"))?,
        Value::Text(s) => J::String(s),
        Value::Bytes(_) => return Err(CwtError::NotJson("byte string")),
        Value::Array(items) => J::Array(
            items
                .into_iter()
                .map(cbor_to_json)
                .collect::<Result<_, _>>()?,
        ),
        Value::Map(entries) => {
            let mut map = serde_json::Map::with_capacity(entries.len());
            for (k, v) in entries {
                let Value::Text(k) = k else {
                    return Err(CwtError::NotJson("non-text map key"));
                };
                map.insert(k, cbor_to_json(v)?);
            }
            J::Object(map)
        }
        Value::Tag(_, inner) => cbor_to_json(*inner)?,
        _ => return Err(CwtError::NotJson("unsupported CBOR value")),
    })
}

/// JSON equality where numbers compare by value (a CBOR float 1.0 equals JSON 1).
#[must_use]
pub fn json_equal(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value as J;
    match (a, b) {
        (J::Number(x), J::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => x == y,
            _ => x == y,
        },
        (J::Array(x), J::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| json_equal(x, y))
        }
        (J::Object(x), J::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_equal(v, w)))
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_variants() {
        assert_eq!(strip_prefix("HC1:ABC"), Ok("ABC"));
        assert_eq!(
            strip_prefix("HC2:ABC"),
            Err(PrefixError::Unsupported("HC2:".into()))
        );
        assert_eq!(
            strip_prefix("HL0:ABC"),
            Err(PrefixError::Unsupported("HL0:".into()))
        );
        assert_eq!(strip_prefix("NCFOXN"), Err(PrefixError::Missing));
        assert_eq!(strip_prefix(""), Err(PrefixError::Missing));
        assert_eq!(
            strip_prefix("hc1:ABC"),
            Err(PrefixError::Unsupported("hc1:".into()))
        );
    }

    #[test]
    fn inflate_cap_and_corruption() {
        use std::io::Write;
        let data = vec![b'a'; 10_000];
        let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(&data).unwrap();
        let z = enc.finish().unwrap();
        assert_eq!(inflate(&z, 10_000).unwrap(), data);
        assert_eq!(
            inflate(&z, 9_999),
            Err(InflateError::TooLarge { limit: 9_999 })
        );
        assert!(matches!(
            inflate(&z[..z.len() - 6], 20_000),
            Err(InflateError::Truncated)
        ));
        assert!(matches!(
            inflate(b"\xd2\x84", 100),
            Err(InflateError::Corrupt(_))
        ));
        let mut reused = Inflater::new(20_000);
        assert_eq!(reused.inflate(&z).unwrap(), data);
        assert_eq!(reused.inflate(&z).unwrap(), data);
    }

    #[test]
    fn cose_rejects_other_tags() {
        // tag 98 (COSE_Sign) around an empty array
        assert_eq!(
            parse_cose(&[0xd8, 0x62, 0x80]).unwrap_err(),
            CoseError::UnexpectedTag(98)
        );
        assert!(matches!(parse_cose(&[0x80]), Err(CoseError::Structure(_))));
        assert!(matches!(parse_cose(&[0xff]), Err(CoseError::Cbor(_))));
    }

    #[test]
    fn json_numbers_compare_by_value() {
        assert!(json_equal(
            &serde_json::json!({"a": [1.0]}),
            &serde_json::json!({"a": [1]})
        ));
        assert!(!json_equal(
            &serde_json::json!({"a": 1}),
            &serde_json::json!({"a": 2})
        ));
    }
}
