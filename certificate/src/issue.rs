//! Issuing: DCC payload → CBOR → CWT (iss, iat, exp, hcert) → COSE_Sign1 → zlib →
//! Base45 → `HC1:` (hcert §3-§5). Signing goes through a [`Signer`]; this module never
//! sees key material. Pure: no I/O. QR rendering is separate ([`crate::qr`]).

use ciborium::value::Value;
use coset::cwt::{ClaimsSetBuilder, Timestamp};
use coset::iana::CwtClaimName;
use coset::{CborSerializable, CoseSign1Builder, HeaderBuilder, TaggedCborSerializable};

use crate::base45;
use crate::codec::PREFIX;
use crate::payload::Hcert;
use crate::sign::{SignError, Signer};

/// Why issuing failed.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    /// The payload could not be encoded as CBOR.
    #[error("payload encoding: {0}")]
    Encode(String),
    /// The signer failed.
    #[error(transparent)]
    Sign(#[from] SignError),
    /// Compression failed.
    #[error("compression: {0}")]
    Compress(String),
    /// `exp` is not after `iat`.
    #[error("expiry must be after issuance")]
    Validity,
}

/// The CWT claims an issuer sets (RFC 8392 §3.1; hcert §3.3.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    /// `iss`: the issuing country (ISO 3166-1 alpha-2).
    pub issuer: String,
    /// `iat`: issued at, seconds since the epoch.
    pub issued_at: i64,
    /// `exp`: expires at, seconds since the epoch.
    pub expires_at: i64,
}

/// An `HC1:` string, ready for a QR code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hc1(String);

impl Hc1 {
    /// The text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The text, owned.
    #[must_use]
    pub fn into_string(self) -> String {
        self.0
    }
}

impl std::fmt::Display for Hc1 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Encodes and signs certificates. Holds a reusable zlib compressor: creating one per
/// certificate costs more than the deflate itself.
pub struct Issuer<S: Signer> {
    signer: S,
    compressor: flate2::Compress,
}

impl<S: Signer> std::fmt::Debug for Issuer<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issuer")
            .field("kid", self.signer.key_id())
            .finish_non_exhaustive()
    }
}

impl<S: Signer> Issuer<S> {
    /// An issuer signing with `signer`.
    pub fn new(signer: S) -> Self {
        Self {
            signer,
            // Level 1: a DCC is ~300-400 bytes of mostly unique strings plus a random
            // signature; higher levels save a few bytes at 3x the time (measured with the
            // `dcc` bench), and any level inflates with a standard zlib decoder.
            compressor: flate2::Compress::new(flate2::Compression::fast(), true),
        }
    }

    /// The signer.
    pub fn signer(&self) -> &S {
        &self.signer
    }

    /// Builds the signed COSE_Sign1 (tag 18) for a payload.
    pub fn sign(&self, hcert: &Hcert, claims: &Claims) -> Result<Vec<u8>, IssueError> {
        let dcc = Value::serialized(hcert).map_err(|e| IssueError::Encode(e.to_string()))?;
        self.sign_value(dcc, claims)
    }

    /// Builds the signed COSE_Sign1 for a DCC given as JSON (already validated by the caller).
    pub fn sign_json(
        &self,
        dcc: &serde_json::Value,
        claims: &Claims,
    ) -> Result<Vec<u8>, IssueError> {
        let dcc = Value::serialized(dcc).map_err(|e| IssueError::Encode(e.to_string()))?;
        self.sign_value(dcc, claims)
    }

    fn sign_value(&self, dcc: Value, claims: &Claims) -> Result<Vec<u8>, IssueError> {
        if claims.expires_at <= claims.issued_at {
            return Err(IssueError::Validity);
        }
        let cwt = ClaimsSetBuilder::new()
            .issuer(claims.issuer.clone())
            .issued_at(Timestamp::WholeSeconds(claims.issued_at))
            .expiration_time(Timestamp::WholeSeconds(claims.expires_at))
            .claim(
                CwtClaimName::Hcert,
                Value::Map(vec![(Value::Integer(1.into()), dcc)]),
            )
            .build()
            .to_vec()
            .map_err(|e| IssueError::Encode(e.to_string()))?;
        // hcert §3.3.2: alg and kid go in the protected header.
        let protected = HeaderBuilder::new()
            .algorithm(self.signer.algorithm().cose_id())
            .key_id(self.signer.key_id().as_bytes().to_vec())
            .build();
        let sign1 = CoseSign1Builder::new()
            .protected(protected)
            .payload(cwt)
            .try_create_signature(b"", |tbs| self.signer.sign(tbs))?
            .build();
        sign1
            .to_tagged_vec()
            .map_err(|e| IssueError::Encode(e.to_string()))
    }

    /// zlib-compresses (RFC 1950), reusing the compressor's state.
    pub fn compress(&mut self, data: &[u8]) -> Result<Vec<u8>, IssueError> {
        self.compressor.reset();
        // Incompressible input grows by at most ~0.1% + a few bytes.
        let mut out = Vec::with_capacity(data.len() + data.len() / 100 + 64);
        loop {
            let consumed = self.compressor.total_in() as usize;
            let status = self
                .compressor
                .compress_vec(
                    data.get(consumed..).unwrap_or_default(),
                    &mut out,
                    flate2::FlushCompress::Finish,
                )
                .map_err(|e| IssueError::Compress(e.to_string()))?;
            match status {
                flate2::Status::StreamEnd => return Ok(out),
                flate2::Status::Ok | flate2::Status::BufError => out.reserve(out.len().max(64)),
            }
        }
    }

    /// Signs and encodes a payload as `HC1:` text.
    pub fn issue(&mut self, hcert: &Hcert, claims: &Claims) -> Result<Hc1, IssueError> {
        let cose = self.sign(hcert, claims)?;
        self.encode_cose(&cose)
    }

    /// Encodes a DCC given as JSON as `HC1:` text.
    pub fn issue_json(
        &mut self,
        dcc: &serde_json::Value,
        claims: &Claims,
    ) -> Result<Hc1, IssueError> {
        let cose = self.sign_json(dcc, claims)?;
        self.encode_cose(&cose)
    }

    /// Compresses, Base45-encodes and prefixes signed COSE bytes.
    pub fn encode_cose(&mut self, cose: &[u8]) -> Result<Hc1, IssueError> {
        let compressed = self.compress(cose)?;
        let mut text = String::with_capacity(PREFIX.len() + compressed.len() * 3 / 2 + 2);
        text.push_str(PREFIX);
        text.push_str(&base45::encode(&compressed));
        Ok(Hc1(text))
    }
}
