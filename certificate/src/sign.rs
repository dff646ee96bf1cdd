//! Signing behind a trait, so the Document Signer key can live in a file today and in an
//! HSM tomorrow. Issuing code only ever sees a [`Signer`]; the private key never leaves it
//! (no accessor returns it, `Debug` does not print it).
//!
//! COSE ES256 signatures are the raw `r ‖ s` concatenation (RFC 9053 §2.1), not DER.

use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};

use crate::codec::Algorithm;
use crate::trust::{KeyId, PublicKey, TrustedCertificate};

/// Why signing failed.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// The key material could not be loaded.
    #[error("signing key rejected: {0}")]
    KeyRejected(String),
    /// The DSC's public key is not the signing key's.
    #[error("the signing key does not match the Document Signer Certificate")]
    KeyMismatch,
    /// The DSC could not be read.
    #[error("document signer certificate: {0}")]
    Certificate(#[from] crate::trust::TrustError),
    /// The signing operation failed (for an HSM: the device said no).
    #[error("signing failed: {0}")]
    Failed(String),
}

/// Something that signs COSE `Sig_structure` bytes with a Document Signer key.
pub trait Signer: Send + Sync {
    /// The COSE algorithm of the signatures.
    fn algorithm(&self) -> Algorithm;
    /// The key id of the Document Signer Certificate (first 8 bytes of SHA-256 of its DER).
    fn key_id(&self) -> &KeyId;
    /// Signs `message`, returning the COSE signature bytes (ES256: 64 bytes `r ‖ s`).
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError>;
}

/// An ES256 signer holding a P-256 key loaded from PKCS#8, with the DSC it belongs to.
pub struct Es256Signer {
    key: EcdsaKeyPair,
    rng: SystemRandom,
    kid: KeyId,
}

impl std::fmt::Debug for Es256Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Es256Signer")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl Es256Signer {
    /// Loads a PKCS#8 DER private key and the DER Document Signer Certificate, checking
    /// that the certificate carries this key's public key.
    pub fn from_pkcs8_der(pkcs8: &[u8], dsc_der: &[u8]) -> Result<Self, SignError> {
        let rng = SystemRandom::new();
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8, &rng)
            .map_err(|e| SignError::KeyRejected(e.to_string()))?;
        let dsc = TrustedCertificate::from_der(dsc_der, None)?;
        match dsc.public_key() {
            PublicKey::P256(point) if point.as_slice() == key.public_key().as_ref() => {}
            _ => return Err(SignError::KeyMismatch),
        }
        Ok(Self {
            key,
            rng,
            kid: dsc.kid().clone(),
        })
    }

    /// Loads a PEM `PRIVATE KEY` (PKCS#8) and a PEM or DER certificate.
    pub fn from_pem(key_pem: &str, dsc: &[u8]) -> Result<Self, SignError> {
        let der = pem_block(key_pem, "PRIVATE KEY")
            .ok_or_else(|| SignError::KeyRejected("no PRIVATE KEY PEM block".into()))?;
        let certs = crate::trust::certificates_from_bytes(dsc)?;
        let cert = certs
            .into_iter()
            .next()
            .ok_or_else(|| SignError::KeyRejected("no certificate".into()))?;
        Self::from_pkcs8_der(&der, &cert)
    }
}

impl Signer for Es256Signer {
    fn algorithm(&self) -> Algorithm {
        Algorithm::Es256
    }
    fn key_id(&self) -> &KeyId {
        &self.kid
    }
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        // ECDSA_P256_SHA256_FIXED_SIGNING yields the fixed-width r ‖ s form COSE needs.
        self.key
            .sign(&self.rng, message)
            .map(|s| s.as_ref().to_vec())
            .map_err(|e| SignError::Failed(e.to_string()))
    }
}

/// Decodes the first PEM block with the given label.
#[must_use]
pub fn pem_block(text: &str, label: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = text.find(&begin)? + begin.len();
    let stop = start + text[start..].find(&end)?;
    let body: String = text[start..stop]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD.decode(body).ok()
}

/// Encodes DER as a PEM block.
#[must_use]
pub fn to_pem(der: &[u8], label: &str) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}
