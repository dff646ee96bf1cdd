//! The Danish domestic pass ("DK1"): a pass that says less than an EU DCC, for venues
//! that need no more. Level 1 carries only "valid until"; level 2 also the holder's name
//! and birth date. Signed the same way as a DCC, through the same [`Signer`] and DSC.
//!
//! Format (version 1.0.0):
//!
//! - text = `DK1:` + Base45(zlib(COSE_Sign1));
//! - COSE_Sign1 with CBOR tag 18; protected header `{1: -7 (ES256), 4: kid}` with the
//!   8-byte kid of the DSC (first 8 bytes of SHA-256 of its DER), empty unprotected
//!   header, empty external AAD;
//! - payload = CWT claims `{1: iss (country, text), 6: iat (integer seconds), 4: exp
//!   (integer seconds, = valid until), -261: dkpass}`;
//! - dkpass = a CBOR map with text keys: `"v": "1.0.0"`, `"l": 1 | 2`, and at level 2
//!   only `"nam": {"fn", "gn", "fnt", "gnt"}` (four text values; `fn` and `fnt` not
//!   empty, `gn`/`gnt` empty when the person has no given name) and `"dob": "YYYY-MM-DD"`.
//!
//! Verification, in order: prefix, Base45, inflate (capped), COSE (tag 18 only), ES256 in
//! the protected header, kid (protected header, 8 bytes) in the trust list (no EKU
//! restriction: domestic passes are no DCC type), signature, claims, dkpass (version,
//! level and fields consistent: level 1 with `nam`/`dob`, or level 2 without them, is
//! invalid; unknown keys are invalid), DSC notBefore ≤ iat ≤ now ≤ exp ≤ DSC notAfter,
//! and revocation by the SIGNATURE hash (SHA-256 of the signature's `r`, first 16 bytes,
//! as for DCCs).
//!
//! Pure: no I/O. The signing key stays inside the [`Signer`].

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use ciborium::value::Value;
use coset::{iana, CoseSign1Builder, HeaderBuilder, TaggedCborSerializable};
use serde::Serialize;

use crate::base45::{self, Base45Error};
use crate::codec::{self, Algorithm, CoseError, CoseTagging, Cwt, InflateError};
use crate::issue::{Claims, IssueError, Issuer};
use crate::payload::PersonName;
use crate::revocation::{self, HashType, RevocationHash, RevocationList};
use crate::sign::{SignError, Signer};
use crate::trust::{KeyId, TrustList};
use crate::verify::{self, ExpiryError};

/// The context identifier of a domestic pass.
pub const PREFIX: &str = "DK1:";
/// The CWT claim holding the domestic pass.
pub const CLAIM_DKPASS: i64 = -261;
/// The format version this module writes and reads.
pub const FORMAT_VERSION: &str = "1.0.0";
/// Length of a DSC kid.
pub const KID_LEN: usize = 8;

const CLAIM_ISS: i128 = 1;
const CLAIM_EXP: i128 = 4;
const CLAIM_IAT: i128 = 6;

/// How much a pass says (serialised as its number).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Level {
    /// Only "valid until".
    ValidUntil,
    /// Also name and birth date.
    WithIdentity,
}

impl Serialize for Level {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u8(self.number())
    }
}

impl Level {
    /// The level from its number (1 or 2).
    #[must_use]
    pub fn from_number(n: i128) -> Option<Self> {
        match n {
            1 => Some(Self::ValidUntil),
            2 => Some(Self::WithIdentity),
            _ => None,
        }
    }

    /// The number written in `l`.
    #[must_use]
    pub fn number(self) -> u8 {
        match self {
            Self::ValidUntil => 1,
            Self::WithIdentity => 2,
        }
    }
}

/// The holder's name as a level-2 pass carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Name {
    /// Surname(s) as written.
    #[serde(rename = "fn")]
    pub family: String,
    /// Forename(s) as written (empty when none).
    #[serde(rename = "gn")]
    pub given: String,
    /// Surname(s), ICAO 9303 transliteration.
    #[serde(rename = "fnt")]
    pub family_mrz: String,
    /// Forename(s), ICAO 9303 transliteration (empty when none).
    #[serde(rename = "gnt")]
    pub given_mrz: String,
}

impl Name {
    /// The name of a DCC payload's person (the surname as written falls back to its
    /// transliteration, which a DCC may carry alone).
    #[must_use]
    pub fn from_person(p: &PersonName) -> Self {
        Self {
            family: p.family().unwrap_or(p.family_mrz()).to_owned(),
            given: p.given().unwrap_or_default().to_owned(),
            family_mrz: p.family_mrz().to_owned(),
            given_mrz: p.given_mrz().unwrap_or_default().to_owned(),
        }
    }
}

/// What a pass says besides "valid until": the level and its fields, together, so a
/// level-1 pass with a name (or a level-2 pass without) cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Contents {
    /// Level 1.
    ValidUntil,
    /// Level 2.
    WithIdentity {
        /// The holder's name.
        nam: Name,
        /// The holder's birth date.
        #[serde(with = "ymd")]
        dob: NaiveDate,
    },
}

mod ymd {
    use chrono::NaiveDate;
    use serde::Serializer;

    pub fn serialize<S: Serializer>(d: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&d.format("%Y-%m-%d"))
    }
}

impl Contents {
    /// The level.
    #[must_use]
    pub fn level(&self) -> Level {
        match self {
            Self::ValidUntil => Level::ValidUntil,
            Self::WithIdentity { .. } => Level::WithIdentity,
        }
    }
}

/// A signed domestic pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedDomestic {
    /// The `DK1:` text, for the QR code.
    pub text: String,
    /// Its SIGNATURE revocation hash.
    pub signature_hash: RevocationHash,
}

/// Why a domestic pass could not be issued.
#[derive(Debug, thiserror::Error)]
pub enum DomesticIssueError {
    /// The format is ES256 only.
    #[error("domestic passes are signed with ES256; the signer uses {0:?}")]
    Algorithm(Algorithm),
    /// The signer's kid is not a DSC kid.
    #[error("the signer's kid has {0} bytes, not {KID_LEN}")]
    KidLength(usize),
    /// A level-2 name lacks its surname.
    #[error("a level-2 pass needs a surname (fn and fnt)")]
    Name,
    /// Signing, encoding or compressing failed.
    #[error(transparent)]
    Issue(#[from] IssueError),
}

impl From<SignError> for DomesticIssueError {
    fn from(e: SignError) -> Self {
        Self::Issue(IssueError::Sign(e))
    }
}

fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}

/// The dkpass map (fixed key order: v, l, nam, dob).
fn dkpass(contents: &Contents) -> Value {
    let mut map = vec![
        (text("v"), text(FORMAT_VERSION)),
        (text("l"), Value::Integer(contents.level().number().into())),
    ];
    if let Contents::WithIdentity { nam, dob } = contents {
        map.push((
            text("nam"),
            Value::Map(vec![
                (text("fn"), text(&nam.family)),
                (text("gn"), text(&nam.given)),
                (text("fnt"), text(&nam.family_mrz)),
                (text("gnt"), text(&nam.given_mrz)),
            ]),
        ));
        map.push((text("dob"), text(&dob.format("%Y-%m-%d").to_string())));
    }
    Value::Map(map)
}

/// Signs a pass with the issuer's signer and encodes it as `DK1:` text.
pub fn issue<S: Signer>(
    issuer: &mut Issuer<S>,
    contents: &Contents,
    claims: &Claims,
) -> Result<IssuedDomestic, DomesticIssueError> {
    let signer = issuer.signer();
    let algorithm = signer.algorithm();
    if algorithm != Algorithm::Es256 {
        return Err(DomesticIssueError::Algorithm(algorithm));
    }
    let kid = signer.key_id().as_bytes().to_vec();
    if kid.len() != KID_LEN {
        return Err(DomesticIssueError::KidLength(kid.len()));
    }
    if claims.expires_at <= claims.issued_at {
        return Err(IssueError::Validity.into());
    }
    if let Contents::WithIdentity { nam, .. } = contents {
        if nam.family.trim().is_empty() || nam.family_mrz.trim().is_empty() {
            return Err(DomesticIssueError::Name);
        }
    }
    let payload = Value::Map(vec![
        (Value::Integer(1.into()), text(&claims.issuer)),
        (
            Value::Integer(6.into()),
            Value::Integer(claims.issued_at.into()),
        ),
        (
            Value::Integer(4.into()),
            Value::Integer(claims.expires_at.into()),
        ),
        (Value::Integer(CLAIM_DKPASS.into()), dkpass(contents)),
    ]);
    let mut cwt = Vec::new();
    ciborium::ser::into_writer(&payload, &mut cwt)
        .map_err(|e| IssueError::Encode(e.to_string()))?;
    let protected = HeaderBuilder::new()
        .algorithm(iana::Algorithm::ES256)
        .key_id(kid)
        .build();
    let sign1 = CoseSign1Builder::new()
        .protected(protected)
        .payload(cwt)
        .try_create_signature(b"", |tbs| signer.sign(tbs))?
        .build();
    let signature_hash = revocation::signature_hash(Some(Algorithm::Es256), &sign1.signature);
    let cose = sign1
        .to_tagged_vec()
        .map_err(|e| IssueError::Encode(e.to_string()))?;
    let compressed = issuer.compress(&cose)?;
    let mut out = String::with_capacity(PREFIX.len() + compressed.len() * 3 / 2 + 2);
    out.push_str(PREFIX);
    out.push_str(&base45::encode(&compressed));
    Ok(IssuedDomestic {
        text: out,
        signature_hash,
    })
}

/// Why the kid is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
pub enum KidError {
    /// No kid in the protected header.
    #[error("no kid in the protected header")]
    Missing,
    /// Not 8 bytes.
    #[error("the kid has {0} bytes, not {KID_LEN}")]
    Length(usize),
    /// No trusted DSC has it.
    #[error("no trusted certificate has kid {0}")]
    Unknown(String),
}

/// Why the CWT claims are not a domestic pass's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
pub enum ClaimsError {
    /// Not CBOR, or trailing bytes.
    #[error("the claims are not well-formed CBOR")]
    Cbor,
    /// Not a map.
    #[error("the claims are not a CBOR map")]
    NotAMap,
    /// A claim key appears twice.
    #[error("claim {0} appears twice")]
    Duplicate(String),
    /// A required claim is absent.
    #[error("no {0} claim")]
    Missing(&'static str),
    /// A claim has the wrong type.
    #[error("claim {0} has the wrong type")]
    Type(&'static str),
}

/// Why the dkpass claim is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
pub enum ContentError {
    /// Not a map with text keys.
    #[error("dkpass is not a map with text keys")]
    NotAMap,
    /// A key appears twice.
    #[error("dkpass key {0:?} appears twice")]
    Duplicate(String),
    /// A key this version does not define.
    #[error("dkpass has an unknown key {0:?}")]
    UnknownKey(String),
    /// `v` is absent or another version.
    #[error("dkpass version must be {FORMAT_VERSION}")]
    Version,
    /// `l` is absent or neither 1 nor 2.
    #[error("dkpass level must be 1 or 2")]
    Level,
    /// A level-1 pass carries a name or birth date.
    #[error("a level-1 pass must not carry nam or dob")]
    IdentityOnLevel1,
    /// A level-2 pass lacks its name or birth date.
    #[error("a level-2 pass must carry nam and dob")]
    IdentityMissing,
    /// `nam` is malformed.
    #[error("nam must hold exactly fn, gn, fnt, gnt as text, fn and fnt not empty")]
    Name,
    /// `dob` is not a `YYYY-MM-DD` date.
    #[error("dob must be a date YYYY-MM-DD")]
    BirthDate,
}

/// Why a domestic pass is not valid. The first failing check, in the order of the
/// module documentation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "step", content = "detail", rename_all = "snake_case")]
pub enum DomesticError {
    /// The text does not start with `DK1:`.
    #[error("missing the DK1: prefix")]
    Prefix,
    /// Base45 decoding failed.
    #[error("base45: {0}")]
    Base45(#[serde(serialize_with = "as_text")] Base45Error),
    /// Inflating failed.
    #[error("zlib: {0}")]
    Inflate(#[serde(serialize_with = "as_text")] InflateError),
    /// Not a COSE_Sign1.
    #[error("COSE: {0}")]
    Cose(#[serde(serialize_with = "as_text")] CoseError),
    /// COSE_Sign1 without tag 18 (or inside another tag).
    #[error("the COSE_Sign1 must carry tag 18")]
    Untagged,
    /// The protected header's algorithm is not ES256.
    #[error("the protected header must name ES256 (-7)")]
    Algorithm,
    /// The kid is missing, malformed or unknown.
    #[error("kid: {0}")]
    Kid(KidError),
    /// No trusted DSC with the kid verifies the signature.
    #[error("the signature does not verify")]
    Signature,
    /// The claims are malformed.
    #[error("claims: {0}")]
    Claims(ClaimsError),
    /// The dkpass claim is malformed.
    #[error("dkpass: {0}")]
    Content(ContentError),
    /// iat/exp against the clock and the DSC's validity.
    #[error("validity: {0}")]
    Expiry(ExpiryError),
    /// Listed in the revocation list (SIGNATURE hash).
    #[error("revoked (SIGNATURE hash listed)")]
    Revoked,
}

fn as_text<E: std::fmt::Display, S: serde::Serializer>(e: &E, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(e)
}

/// A valid domestic pass. Holds personal data at level 2: do not log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verified {
    /// `iss`.
    pub issuer: String,
    /// `iat`.
    pub issued_at: DateTime<Utc>,
    /// `exp`: valid until.
    pub valid_until: DateTime<Utc>,
    /// The level.
    pub level: Level,
    /// What the pass carries.
    pub contents: Contents,
    /// kid, base64.
    pub kid: String,
}

/// Everything a verification needs besides the text and the clock.
#[derive(Debug, Clone, Copy)]
pub struct DomesticVerifier<'a> {
    trust: &'a TrustList,
    revocation: Option<&'a RevocationList>,
    max_inflated: usize,
}

impl<'a> DomesticVerifier<'a> {
    /// Checks signatures against `trust`; no revocation list.
    #[must_use]
    pub fn new(trust: &'a TrustList) -> Self {
        Self {
            trust,
            revocation: None,
            max_inflated: codec::DEFAULT_MAX_INFLATED,
        }
    }

    /// Adds a revocation list (only its SIGNATURE hashes concern domestic passes).
    #[must_use]
    pub fn with_revocation(mut self, list: &'a RevocationList) -> Self {
        self.revocation = Some(list);
        self
    }

    /// Verifies a `DK1:` text at `clock`.
    pub fn verify(&self, text: &str, clock: DateTime<Utc>) -> Result<Verified, DomesticError> {
        let message = open(text, self.max_inflated)?;
        let kid = signed_kid(&message)?;
        let kid_b64 = KeyId::from_bytes(kid).to_base64();
        let candidates = self.trust.by_kid(kid);
        if candidates.is_empty() {
            return Err(DomesticError::Kid(KidError::Unknown(kid_b64)));
        }
        let dsc =
            verify::check_signature(&message, candidates).map_err(|_| DomesticError::Signature)?;
        let (claims, contents) = read_payload(&message)?;
        let cwt = Cwt {
            issuer: Some(claims.issuer.clone()),
            issued_at: Some(claims.issued_at),
            expires_at: Some(claims.expires_at),
            dcc: serde_json::Value::Null,
        };
        verify::check_expiry(&cwt, dsc, clock.timestamp()).map_err(DomesticError::Expiry)?;
        if let Some(list) = self.revocation {
            let hash = revocation::signature_hash(Some(Algorithm::Es256), message.signature());
            if list.contains(HashType::Signature, &hash) {
                return Err(DomesticError::Revoked);
            }
        }
        verified(claims, contents, kid_b64)
    }
}

/// Reads a `DK1:` text WITHOUT checking its signature, validity or revocation: for
/// showing what a pass the caller already trusts says (e.g. printing one's own pass).
/// Every format check of [`DomesticVerifier::verify`] except the trust-list ones runs.
pub fn decode(text: &str) -> Result<Verified, DomesticError> {
    let message = open(text, codec::DEFAULT_MAX_INFLATED)?;
    let kid = KeyId::from_bytes(signed_kid(&message)?).to_base64();
    let (claims, contents) = read_payload(&message)?;
    verified(claims, contents, kid)
}

/// Prefix, Base45, inflate, COSE tag 18, ES256.
fn open(text: &str, max_inflated: usize) -> Result<codec::CoseMessage, DomesticError> {
    let body = text
        .trim()
        .strip_prefix(PREFIX)
        .ok_or(DomesticError::Prefix)?;
    let compressed = base45::decode(body).map_err(DomesticError::Base45)?;
    let cose = codec::inflate(&compressed, max_inflated).map_err(DomesticError::Inflate)?;
    let message = codec::parse_cose(&cose).map_err(DomesticError::Cose)?;
    if message.tagging() != CoseTagging::Sign1Tag {
        return Err(DomesticError::Untagged);
    }
    if message.protected_algorithm() != Some(Algorithm::Es256) {
        return Err(DomesticError::Algorithm);
    }
    Ok(message)
}

/// The protected header's 8-byte kid.
fn signed_kid(message: &codec::CoseMessage) -> Result<&[u8], DomesticError> {
    let kid = message
        .protected_kid()
        .ok_or(DomesticError::Kid(KidError::Missing))?;
    if kid.len() != KID_LEN {
        return Err(DomesticError::Kid(KidError::Length(kid.len())));
    }
    Ok(kid)
}

fn read_payload(message: &codec::CoseMessage) -> Result<(RawClaims, Contents), DomesticError> {
    let mut claims = parse_claims(message.payload()).map_err(DomesticError::Claims)?;
    let dkpass = std::mem::replace(&mut claims.dkpass, Value::Null);
    let contents = parse_contents(dkpass).map_err(DomesticError::Content)?;
    Ok((claims, contents))
}

fn verified(claims: RawClaims, contents: Contents, kid: String) -> Result<Verified, DomesticError> {
    let time = |s: i64| {
        Utc.timestamp_opt(s, 0)
            .single()
            .ok_or(DomesticError::Claims(ClaimsError::Type("iat/exp")))
    };
    Ok(Verified {
        issuer: claims.issuer,
        issued_at: time(claims.issued_at)?,
        valid_until: time(claims.expires_at)?,
        level: contents.level(),
        contents,
        kid,
    })
}

/// True when `text` is a domestic pass by its prefix (the verifier decides the rest).
#[must_use]
pub fn is_domestic(text: &str) -> bool {
    text.trim_start().starts_with(PREFIX)
}

struct RawClaims {
    issuer: String,
    issued_at: i64,
    expires_at: i64,
    dkpass: Value,
}

fn parse_claims(payload: &[u8]) -> Result<RawClaims, ClaimsError> {
    let mut reader = payload;
    let value: Value = ciborium::de::from_reader(&mut reader).map_err(|_| ClaimsError::Cbor)?;
    if !reader.is_empty() {
        return Err(ClaimsError::Cbor);
    }
    let Value::Map(entries) = value else {
        return Err(ClaimsError::NotAMap);
    };
    let mut iss = None;
    let mut iat = None;
    let mut exp = None;
    let mut dk = None;
    let mut seen = std::collections::HashSet::new();
    for (key, value) in entries {
        let label = match &key {
            Value::Integer(i) => i128::from(*i),
            // Text-keyed claims are not part of the format; ignore them like unknown
            // integer claims (CWT allows private claims), but never twice.
            Value::Text(t) => {
                if !seen.insert(format!("{t:?}")) {
                    return Err(ClaimsError::Duplicate(format!("{t:?}")));
                }
                continue;
            }
            _ => return Err(ClaimsError::NotAMap),
        };
        if !seen.insert(label.to_string()) {
            return Err(ClaimsError::Duplicate(label.to_string()));
        }
        let int = |v: &Value, name| match v {
            Value::Integer(i) => i64::try_from(i128::from(*i)).map_err(|_| ClaimsError::Type(name)),
            _ => Err(ClaimsError::Type(name)),
        };
        match label {
            CLAIM_ISS => match value {
                Value::Text(s) => iss = Some(s),
                _ => return Err(ClaimsError::Type("iss")),
            },
            CLAIM_IAT => iat = Some(int(&value, "iat")?),
            CLAIM_EXP => exp = Some(int(&value, "exp")?),
            l if l == i128::from(CLAIM_DKPASS) => dk = Some(value),
            _ => {}
        }
    }
    Ok(RawClaims {
        issuer: iss.ok_or(ClaimsError::Missing("iss"))?,
        issued_at: iat.ok_or(ClaimsError::Missing("iat"))?,
        expires_at: exp.ok_or(ClaimsError::Missing("exp"))?,
        dkpass: dk.ok_or(ClaimsError::Missing("dkpass (-261)"))?,
    })
}

/// A map with text keys, each once.
fn text_map(value: Value, err: ContentError) -> Result<Vec<(String, Value)>, ContentError> {
    let Value::Map(entries) = value else {
        return Err(err);
    };
    let mut out: Vec<(String, Value)> = Vec::with_capacity(entries.len());
    for (k, v) in entries {
        let Value::Text(k) = k else {
            return Err(err);
        };
        if out.iter().any(|(seen, _)| *seen == k) {
            return Err(ContentError::Duplicate(k));
        }
        out.push((k, v));
    }
    Ok(out)
}

fn parse_contents(value: Value) -> Result<Contents, ContentError> {
    let mut version = None;
    let mut level = None;
    let mut nam = None;
    let mut dob = None;
    for (k, v) in text_map(value, ContentError::NotAMap)? {
        match k.as_str() {
            "v" => version = Some(v),
            "l" => level = Some(v),
            "nam" => nam = Some(v),
            "dob" => dob = Some(v),
            _ => return Err(ContentError::UnknownKey(k)),
        }
    }
    if version != Some(text(FORMAT_VERSION)) {
        return Err(ContentError::Version);
    }
    let level = match level {
        Some(Value::Integer(i)) => Level::from_number(i128::from(i)).ok_or(ContentError::Level)?,
        _ => return Err(ContentError::Level),
    };
    match (level, nam, dob) {
        (Level::ValidUntil, None, None) => Ok(Contents::ValidUntil),
        (Level::ValidUntil, _, _) => Err(ContentError::IdentityOnLevel1),
        (Level::WithIdentity, Some(nam), Some(dob)) => Ok(Contents::WithIdentity {
            nam: parse_name(nam)?,
            dob: parse_dob(dob)?,
        }),
        (Level::WithIdentity, _, _) => Err(ContentError::IdentityMissing),
    }
}

fn parse_name(value: Value) -> Result<Name, ContentError> {
    let mut fields: [Option<String>; 4] = Default::default();
    for (k, v) in text_map(value, ContentError::Name)? {
        let slot = match k.as_str() {
            "fn" => 0,
            "gn" => 1,
            "fnt" => 2,
            "gnt" => 3,
            _ => return Err(ContentError::Name),
        };
        let Value::Text(t) = v else {
            return Err(ContentError::Name);
        };
        fields[slot] = Some(t);
    }
    let [Some(family), Some(given), Some(family_mrz), Some(given_mrz)] = fields else {
        return Err(ContentError::Name);
    };
    if family.trim().is_empty() || family_mrz.trim().is_empty() {
        return Err(ContentError::Name);
    }
    Ok(Name {
        family,
        given,
        family_mrz,
        given_mrz,
    })
}

fn parse_dob(value: Value) -> Result<NaiveDate, ContentError> {
    match value {
        Value::Text(t) if t.len() == 10 => {
            NaiveDate::parse_from_str(&t, "%Y-%m-%d").map_err(|_| ContentError::BirthDate)
        }
        _ => Err(ContentError::BirthDate),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devkeys::{self, DscLayout};
    use crate::sign::Es256Signer;
    use crate::trust::TrustedCertificate;
    use std::sync::OnceLock;

    struct Keys {
        pkcs8: Vec<u8>,
        der: Vec<u8>,
        other_der: Vec<u8>,
    }

    fn keys() -> &'static Keys {
        static K: OnceLock<Keys> = OnceLock::new();
        K.get_or_init(|| {
            let start = std::time::SystemTime::now() - std::time::Duration::from_secs(86_400);
            let set = devkeys::generate("DK", DscLayout::OneForAll, start, 3650, 365).unwrap();
            let other = devkeys::generate("DK", DscLayout::OneForAll, start, 3650, 365).unwrap();
            Keys {
                pkcs8: set.dscs[0].private_key_pkcs8.clone(),
                der: set.dscs[0].certificate_der.clone(),
                other_der: other.dscs[0].certificate_der.clone(),
            }
        })
    }

    fn issuer() -> Issuer<Es256Signer> {
        Issuer::new(Es256Signer::from_pkcs8_der(&keys().pkcs8, &keys().der).unwrap())
    }

    fn trust() -> TrustList {
        let mut t = TrustList::new();
        t.add(TrustedCertificate::from_der(&keys().der, None).unwrap());
        t
    }

    fn now() -> DateTime<Utc> {
        Utc::now()
    }

    fn claims(from: i64, until: i64) -> Claims {
        let t = now().timestamp();
        Claims {
            issuer: "DK".into(),
            issued_at: t + from,
            expires_at: t + until,
        }
    }

    fn identity() -> Contents {
        Contents::WithIdentity {
            nam: Name::from_person(&PersonName::new("Ærø", Some("Søren")).unwrap()),
            dob: NaiveDate::from_ymd_opt(1970, 1, 1).unwrap(),
        }
    }

    fn verify(text: &str) -> Result<Verified, DomesticError> {
        let t = trust();
        DomesticVerifier::new(&t).verify(text, now())
    }

    /// Signs arbitrary claims with the test key, with a chosen algorithm label, kid and
    /// tagging, and encodes them as `DK1:` text: for the rejections.
    fn craft(payload: &Value, alg: iana::Algorithm, kid: Option<Vec<u8>>, tag: bool) -> String {
        let signer = Es256Signer::from_pkcs8_der(&keys().pkcs8, &keys().der).unwrap();
        let mut cwt = Vec::new();
        ciborium::ser::into_writer(payload, &mut cwt).unwrap();
        let mut h = HeaderBuilder::new().algorithm(alg);
        if let Some(kid) = kid {
            h = h.key_id(kid);
        }
        let sign1 = CoseSign1Builder::new()
            .protected(h.build())
            .payload(cwt)
            .try_create_signature(b"", |tbs| signer.sign(tbs))
            .unwrap()
            .build();
        let cose = if tag {
            sign1.to_tagged_vec().unwrap()
        } else {
            coset::CborSerializable::to_vec(sign1).unwrap()
        };
        encode(&cose)
    }

    fn encode(cose: &[u8]) -> String {
        let mut z = issuer();
        format!("{PREFIX}{}", base45::encode(&z.compress(cose).unwrap()))
    }

    fn kid() -> Vec<u8> {
        KeyId::of_certificate(&keys().der).as_bytes().to_vec()
    }

    fn claims_value(dk: Value) -> Value {
        let t = now().timestamp();
        Value::Map(vec![
            (Value::Integer(1.into()), text("DK")),
            (Value::Integer(6.into()), Value::Integer((t - 10).into())),
            (Value::Integer(4.into()), Value::Integer((t + 3600).into())),
            (Value::Integer(CLAIM_DKPASS.into()), dk),
        ])
    }

    fn dk(level: i64, with_nam: bool, with_dob: bool) -> Value {
        let mut m = vec![
            (text("v"), text(FORMAT_VERSION)),
            (text("l"), Value::Integer(level.into())),
        ];
        if with_nam {
            m.push((
                text("nam"),
                Value::Map(vec![
                    (text("fn"), text("Hansen")),
                    (text("gn"), text("Anna")),
                    (text("fnt"), text("HANSEN")),
                    (text("gnt"), text("ANNA")),
                ]),
            ));
        }
        if with_dob {
            m.push((text("dob"), text("1980-02-29")));
        }
        Value::Map(m)
    }

    fn craft_dk(dkpass: Value) -> String {
        craft(
            &claims_value(dkpass),
            iana::Algorithm::ES256,
            Some(kid()),
            true,
        )
    }

    #[test]
    fn both_levels_round_trip() {
        let mut issuer = issuer();
        let c = claims(-5, 3600);
        let one = issue(&mut issuer, &Contents::ValidUntil, &c).unwrap();
        assert!(one.text.starts_with("DK1:"));
        assert!(is_domestic(&one.text));
        let v = verify(&one.text).unwrap();
        assert_eq!(v.level, Level::ValidUntil);
        assert_eq!(v.contents, Contents::ValidUntil);
        assert_eq!(v.issuer, "DK");
        assert_eq!(v.valid_until.timestamp(), c.expires_at);
        assert_eq!(v.issued_at.timestamp(), c.issued_at);
        assert_eq!(v.kid, KeyId::of_certificate(&keys().der).to_base64());

        let two = issue(&mut issuer, &identity(), &c).unwrap();
        let v = verify(&two.text).unwrap();
        assert_eq!(v.level, Level::WithIdentity);
        assert_eq!(v.contents, identity());
        let Contents::WithIdentity { nam, dob } = &v.contents else {
            panic!("level 2 expected");
        };
        assert_eq!(nam.family, "Ærø");
        assert_eq!(nam.family_mrz, "AEROE");
        assert_eq!(nam.given_mrz, "SOEREN");
        assert_eq!(dob.to_string(), "1970-01-01");
        // Level 1 says less: it is shorter, and the name is nowhere in it.
        assert!(one.text.len() < two.text.len());
        assert_ne!(one.signature_hash, two.signature_hash);
    }

    #[test]
    fn the_payload_is_exactly_the_documented_cbor() {
        let mut issuer = issuer();
        let c = claims(0, 60);
        let pass = issue(&mut issuer, &identity(), &c).unwrap();
        let z = base45::decode(&pass.text[4..]).unwrap();
        let cose = codec::inflate(&z, 65536).unwrap();
        assert_eq!(cose[0], 0xd2, "tag 18");
        let m = codec::parse_cose(&cose).unwrap();
        assert_eq!(m.protected_kid(), Some(&kid()[..]));
        assert_eq!(m.protected_algorithm(), Some(Algorithm::Es256));
        let claims: Value = ciborium::de::from_reader(m.payload()).unwrap();
        let expected = Value::Map(vec![
            (Value::Integer(1.into()), text("DK")),
            (Value::Integer(6.into()), Value::Integer(c.issued_at.into())),
            (
                Value::Integer(4.into()),
                Value::Integer(c.expires_at.into()),
            ),
            (
                Value::Integer((-261).into()),
                Value::Map(vec![
                    (text("v"), text("1.0.0")),
                    (text("l"), Value::Integer(2.into())),
                    (
                        text("nam"),
                        Value::Map(vec![
                            (text("fn"), text("Ærø")),
                            (text("gn"), text("Søren")),
                            (text("fnt"), text("AEROE")),
                            (text("gnt"), text("SOEREN")),
                        ]),
                    ),
                    (text("dob"), text("1970-01-01")),
                ]),
            ),
        ]);
        assert_eq!(claims, expected);
    }

    #[test]
    fn transport_layers_are_checked_in_order() {
        let mut issuer = issuer();
        let good = issue(&mut issuer, &Contents::ValidUntil, &claims(0, 60)).unwrap();
        let hc1 = good.text.replacen("DK1:", "HC1:", 1);
        assert_eq!(verify(&hc1), Err(DomesticError::Prefix));
        assert_eq!(verify("dk1:ABC"), Err(DomesticError::Prefix));
        assert!(matches!(verify("DK1:@@@"), Err(DomesticError::Base45(_))));
        let not_zlib = format!("DK1:{}", base45::encode(b"not zlib at all"));
        assert!(matches!(verify(&not_zlib), Err(DomesticError::Inflate(_))));
        let not_cose = encode(b"\x01\x02");
        assert!(matches!(verify(&not_cose), Err(DomesticError::Cose(_))));
        let untagged = craft(
            &claims_value(dk(1, false, false)),
            iana::Algorithm::ES256,
            Some(kid()),
            false,
        );
        assert_eq!(verify(&untagged), Err(DomesticError::Untagged));
    }

    #[test]
    fn algorithm_kid_and_signature_are_checked() {
        let body = claims_value(dk(1, false, false));
        let ps256 = craft(&body, iana::Algorithm::PS256, Some(kid()), true);
        assert_eq!(verify(&ps256), Err(DomesticError::Algorithm));
        let none = craft(&body, iana::Algorithm::ES256, None, true);
        assert_eq!(verify(&none), Err(DomesticError::Kid(KidError::Missing)));
        let short = craft(&body, iana::Algorithm::ES256, Some(vec![1, 2, 3]), true);
        assert_eq!(verify(&short), Err(DomesticError::Kid(KidError::Length(3))));
        let unknown = craft(&body, iana::Algorithm::ES256, Some(vec![9; 8]), true);
        assert!(matches!(
            verify(&unknown),
            Err(DomesticError::Kid(KidError::Unknown(_)))
        ));
        // Signed by our key but named with another trusted DSC's kid.
        let other_kid = KeyId::of_certificate(&keys().other_der).as_bytes().to_vec();
        let mut both = trust();
        both.add(TrustedCertificate::from_der(&keys().other_der, None).unwrap());
        let wrong = craft(&body, iana::Algorithm::ES256, Some(other_kid), true);
        assert_eq!(
            DomesticVerifier::new(&both).verify(&wrong, now()),
            Err(DomesticError::Signature)
        );
        // A changed payload byte breaks the signature.
        let mut issuer = issuer();
        let good = issue(&mut issuer, &Contents::ValidUntil, &claims(0, 60)).unwrap();
        let z = base45::decode(&good.text[4..]).unwrap();
        let mut cose = codec::inflate(&z, 65536).unwrap();
        let at = cose.len() - 70; // inside the payload, before the 64-byte signature
        cose[at] ^= 0x01;
        assert!(matches!(
            verify(&encode(&cose)),
            Err(DomesticError::Signature | DomesticError::Cose(_))
        ));
        let last = cose.len() - 1;
        cose[at] ^= 0x01;
        cose[last] ^= 0x01;
        assert_eq!(verify(&encode(&cose)), Err(DomesticError::Signature));
    }

    #[test]
    fn claims_are_checked() {
        let t = now().timestamp();
        let int = |i: i64| Value::Integer(i.into());
        let without = |skip: i64| {
            let entries = vec![
                (int(1), text("DK")),
                (int(6), int(t - 10)),
                (int(4), int(t + 60)),
                (int(CLAIM_DKPASS), dk(1, false, false)),
            ];
            Value::Map(
                entries
                    .into_iter()
                    .filter(|(k, _)| *k != int(skip))
                    .collect(),
            )
        };
        for (skip, name) in [
            (1, "iss"),
            (6, "iat"),
            (4, "exp"),
            (CLAIM_DKPASS, "dkpass (-261)"),
        ] {
            let pass = craft(&without(skip), iana::Algorithm::ES256, Some(kid()), true);
            assert_eq!(
                verify(&pass),
                Err(DomesticError::Claims(ClaimsError::Missing(name)))
            );
        }
        let float_exp = Value::Map(vec![
            (int(1), text("DK")),
            (int(6), int(t - 10)),
            (int(4), Value::Float((t + 60) as f64)),
            (int(CLAIM_DKPASS), dk(1, false, false)),
        ]);
        let pass = craft(&float_exp, iana::Algorithm::ES256, Some(kid()), true);
        assert_eq!(
            verify(&pass),
            Err(DomesticError::Claims(ClaimsError::Type("exp")))
        );
        let twice = Value::Map(vec![
            (int(1), text("DK")),
            (int(1), text("SE")),
            (int(6), int(t - 10)),
            (int(4), int(t + 60)),
            (int(CLAIM_DKPASS), dk(1, false, false)),
        ]);
        let pass = craft(&twice, iana::Algorithm::ES256, Some(kid()), true);
        assert!(matches!(
            verify(&pass),
            Err(DomesticError::Claims(ClaimsError::Duplicate(_)))
        ));
        let array = craft(
            &Value::Array(vec![]),
            iana::Algorithm::ES256,
            Some(kid()),
            true,
        );
        assert_eq!(
            verify(&array),
            Err(DomesticError::Claims(ClaimsError::NotAMap))
        );
    }

    #[test]
    fn level_and_fields_must_agree() {
        assert!(verify(&craft_dk(dk(1, false, false))).is_ok());
        assert!(verify(&craft_dk(dk(2, true, true))).is_ok());
        let content = |e| Err(DomesticError::Content(e));
        assert_eq!(
            verify(&craft_dk(dk(1, true, false))),
            content(ContentError::IdentityOnLevel1)
        );
        assert_eq!(
            verify(&craft_dk(dk(1, false, true))),
            content(ContentError::IdentityOnLevel1)
        );
        assert_eq!(
            verify(&craft_dk(dk(2, false, false))),
            content(ContentError::IdentityMissing)
        );
        assert_eq!(
            verify(&craft_dk(dk(2, true, false))),
            content(ContentError::IdentityMissing)
        );
        assert_eq!(
            verify(&craft_dk(dk(3, false, false))),
            content(ContentError::Level)
        );
        let with = |key: &str, value: Value, base: Value| {
            let Value::Map(mut m) = base else {
                unreachable!()
            };
            m.retain(|(k, _)| *k != text(key));
            m.push((text(key), value));
            Value::Map(m)
        };
        assert_eq!(
            verify(&craft_dk(with("v", text("2.0.0"), dk(1, false, false)))),
            content(ContentError::Version)
        );
        assert_eq!(
            verify(&craft_dk(with("x", text("?"), dk(1, false, false)))),
            content(ContentError::UnknownKey("x".into()))
        );
        assert_eq!(
            verify(&craft_dk(with(
                "dob",
                text("1980-02-30"),
                dk(2, true, true)
            ))),
            content(ContentError::BirthDate)
        );
        assert_eq!(
            verify(&craft_dk(with("dob", text("1980"), dk(2, true, true)))),
            content(ContentError::BirthDate)
        );
        let no_gnt = Value::Map(vec![
            (text("fn"), text("Hansen")),
            (text("gn"), text("Anna")),
            (text("fnt"), text("HANSEN")),
        ]);
        assert_eq!(
            verify(&craft_dk(with("nam", no_gnt, dk(2, true, true)))),
            content(ContentError::Name)
        );
        let empty_fn = Value::Map(vec![
            (text("fn"), text("")),
            (text("gn"), text("Anna")),
            (text("fnt"), text("")),
            (text("gnt"), text("ANNA")),
        ]);
        assert_eq!(
            verify(&craft_dk(with("nam", empty_fn, dk(2, true, true)))),
            content(ContentError::Name)
        );
        assert_eq!(
            verify(&craft_dk(Value::Array(vec![]))),
            content(ContentError::NotAMap)
        );
    }

    #[test]
    fn time_is_checked_against_the_clock_and_the_dsc() {
        let mut issuer = issuer();
        let expired = issue(&mut issuer, &Contents::ValidUntil, &claims(-7200, -3600)).unwrap();
        assert_eq!(
            verify(&expired.text),
            Err(DomesticError::Expiry(ExpiryError::Expired))
        );
        let future = issue(&mut issuer, &Contents::ValidUntil, &claims(3600, 7200)).unwrap();
        assert_eq!(
            verify(&future.text),
            Err(DomesticError::Expiry(ExpiryError::IssuedInFuture))
        );
        let too_long = issue(&mut issuer, &Contents::ValidUntil, &claims(0, 400 * 86_400)).unwrap();
        assert_eq!(
            verify(&too_long.text),
            Err(DomesticError::Expiry(ExpiryError::OutlivesCertificate))
        );
        let before_dsc =
            issue(&mut issuer, &Contents::ValidUntil, &claims(-3 * 86_400, 60)).unwrap();
        assert_eq!(
            verify(&before_dsc.text),
            Err(DomesticError::Expiry(ExpiryError::IssuedBeforeCertificate))
        );
        // The boundary: valid at exp, not a second later.
        let c = claims(-10, 100);
        let pass = issue(&mut issuer, &Contents::ValidUntil, &c).unwrap();
        let t = trust();
        let at = |s: i64| Utc.timestamp_opt(s, 0).unwrap();
        assert!(DomesticVerifier::new(&t)
            .verify(&pass.text, at(c.expires_at))
            .is_ok());
        assert!(DomesticVerifier::new(&t)
            .verify(&pass.text, at(c.expires_at + 1))
            .is_err());
        assert!(matches!(
            issue(&mut issuer, &Contents::ValidUntil, &claims(10, 10)),
            Err(DomesticIssueError::Issue(IssueError::Validity))
        ));
    }

    #[test]
    fn revocation_is_by_signature_hash() {
        let mut issuer = issuer();
        let pass = issue(&mut issuer, &identity(), &claims(0, 3600)).unwrap();
        let other = issue(&mut issuer, &identity(), &claims(0, 3600)).unwrap();
        let t = trust();
        let mut list = RevocationList::new();
        // Other kinds of hash never revoke a domestic pass.
        list.add(HashType::Uci, pass.signature_hash);
        list.add(HashType::CountryCodeUci, pass.signature_hash);
        assert!(DomesticVerifier::new(&t)
            .with_revocation(&list)
            .verify(&pass.text, now())
            .is_ok());
        list.add(HashType::Signature, pass.signature_hash);
        assert_eq!(
            DomesticVerifier::new(&t)
                .with_revocation(&list)
                .verify(&pass.text, now()),
            Err(DomesticError::Revoked)
        );
        assert!(DomesticVerifier::new(&t)
            .with_revocation(&list)
            .verify(&other.text, now())
            .is_ok());
        // The hash is SHA-256 of r (the first half of the signature), first 16 bytes.
        let z = base45::decode(&pass.text[4..]).unwrap();
        let m = codec::parse_cose(&codec::inflate(&z, 65536).unwrap()).unwrap();
        use sha2::Digest as _;
        let r = sha2::Sha256::digest(&m.signature()[..32]);
        assert_eq!(pass.signature_hash[..], r[..16]);
    }

    #[test]
    fn decode_reads_without_trusting() {
        let mut issuer = issuer();
        let expired = issue(&mut issuer, &identity(), &claims(-7200, -3600)).unwrap();
        // Expired and signed by a key nobody trusts here: decode still reads it...
        let d = decode(&expired.text).unwrap();
        assert_eq!(d.contents, identity());
        assert_eq!(d.level, Level::WithIdentity);
        // ...but not a malformed one.
        assert_eq!(
            decode(&expired.text.replacen("DK1:", "HC1:", 1)),
            Err(DomesticError::Prefix)
        );
        assert_eq!(
            decode(&craft_dk(dk(1, true, true))),
            Err(DomesticError::Content(ContentError::IdentityOnLevel1))
        );
    }

    #[test]
    fn a_level_2_pass_needs_a_surname() {
        let mut issuer = issuer();
        let nameless = Contents::WithIdentity {
            nam: Name {
                family: " ".into(),
                given: "Anna".into(),
                family_mrz: String::new(),
                given_mrz: "ANNA".into(),
            },
            dob: NaiveDate::from_ymd_opt(1970, 1, 1).unwrap(),
        };
        assert!(matches!(
            issue(&mut issuer, &nameless, &claims(0, 60)),
            Err(DomesticIssueError::Name)
        ));
    }
}
