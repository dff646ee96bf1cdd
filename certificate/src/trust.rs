//! The trust list: Document Signer Certificates (DSCs) with their key ids, countries,
//! validity and the certificate types their extended key usage allows.
//!
//! Loads PEM, DER, or a JSON trust-list document (`[{kid, country, certificate}]`, or an
//! object with a `certificates` array). DSCs in the wild are not always strict DER (a
//! DEFAULT value encoded, an empty ExtendedKeyUsage), so certificates are parsed
//! leniently and an unparsable EKU counts as "no EKU". Pure: callers pass bytes in.

use std::collections::{BTreeSet, HashMap};
use std::fmt;

use base64::Engine as _;
use sha2::{Digest, Sha256};
use x509_parser::prelude::*;

use crate::payload::CertificateType;

/// EKU OIDs for DCC types (hcert §5.1.1), current spelling and the pre-May-2021 one that
/// most early DSCs carry.
const EKU_OIDS: [(&str, CertificateType); 6] = [
    ("1.3.6.1.4.1.1847.2021.1.1", CertificateType::Test),
    ("1.3.6.1.4.1.1847.2021.1.2", CertificateType::Vaccination),
    ("1.3.6.1.4.1.1847.2021.1.3", CertificateType::Recovery),
    ("1.3.6.1.4.1.0.1847.2021.1.1", CertificateType::Test),
    ("1.3.6.1.4.1.0.1847.2021.1.2", CertificateType::Vaccination),
    ("1.3.6.1.4.1.0.1847.2021.1.3", CertificateType::Recovery),
];

/// The current-spelling EKU OID for a certificate type.
#[must_use]
pub fn eku_oid(t: CertificateType) -> &'static str {
    match t {
        CertificateType::Test => EKU_OIDS[0].0,
        CertificateType::Vaccination => EKU_OIDS[1].0,
        CertificateType::Recovery => EKU_OIDS[2].0,
    }
}

const OID_EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const OID_P256: &str = "1.2.840.10045.3.1.7";
const OID_RSA: &str = "1.2.840.113549.1.1.1";
const OID_RSA_PSS: &str = "1.2.840.113549.1.1.10";

/// Why a certificate or trust list could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    /// Not an X.509 certificate.
    #[error("not an X.509 certificate: {0}")]
    X509(String),
    /// Not PEM, DER or a JSON trust list.
    #[error("unrecognised trust list format")]
    Format,
    /// A JSON trust-list entry is malformed.
    #[error("trust list entry {index}: {reason}")]
    Entry {
        /// Position in the document.
        index: usize,
        /// What is wrong.
        reason: String,
    },
}

/// A COSE key id: for DSCs, the first 8 bytes of SHA-256 over the certificate DER
/// (hcert §3.3.2). Other lengths can appear in foreign data and are kept as given.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(Vec<u8>);

impl KeyId {
    /// The key id of a certificate.
    #[must_use]
    pub fn of_certificate(der: &[u8]) -> Self {
        Self(Sha256::digest(der)[..8].to_vec())
    }
    /// A key id from raw bytes.
    #[must_use]
    pub fn from_bytes(bytes: &[u8]) -> Self {
        Self(bytes.to_vec())
    }
    /// The raw bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
    /// Base64 (standard alphabet), the usual text form of a kid.
    #[must_use]
    pub fn to_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(&self.0)
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({})", self.to_base64())
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_base64())
    }
}

/// A DSC's public key, in the forms the signature check needs.
#[derive(Clone, Debug)]
pub enum PublicKey {
    /// P-256 uncompressed point (65 bytes, `04 ‖ x ‖ y`).
    P256(Vec<u8>),
    /// RSA public key.
    Rsa(rsa::RsaPublicKey),
    /// Any other key (another curve, another algorithm): it can verify nothing we accept.
    Unsupported(String),
}

/// Which certificate types a DSC may sign, from its extended key usage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AllowedTypes {
    /// No (or an empty, or an unparsable) EKU extension: every type.
    All,
    /// The DCC types whose OIDs the EKU lists (possibly none).
    Only(BTreeSet<CertificateType>),
}

impl AllowedTypes {
    /// Whether `t` is allowed.
    #[must_use]
    pub fn allows(&self, t: CertificateType) -> bool {
        match self {
            Self::All => true,
            Self::Only(set) => set.contains(&t),
        }
    }
}

/// One trusted Document Signer Certificate.
#[derive(Clone, Debug)]
pub struct TrustedCertificate {
    kid: KeyId,
    country: Option<String>,
    der: Vec<u8>,
    not_before: i64,
    not_after: i64,
    key: PublicKey,
    allowed: AllowedTypes,
}

impl TrustedCertificate {
    /// Parses a DER certificate. The kid is computed unless the trust list gave one.
    pub fn from_der(der: &[u8], kid: Option<KeyId>) -> Result<Self, TrustError> {
        let (_, cert) =
            X509Certificate::from_der(der).map_err(|e| TrustError::X509(e.to_string()))?;
        let validity = cert.validity();
        let spki = cert.public_key();
        let alg = spki.algorithm.algorithm.to_id_string();
        let key = if alg == OID_EC_PUBLIC_KEY {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .map(|o| o.to_id_string());
            if curve.as_deref() == Some(OID_P256) {
                PublicKey::P256(spki.subject_public_key.data.to_vec())
            } else {
                PublicKey::Unsupported(format!("EC curve {}", curve.unwrap_or_default()))
            }
        } else if alg == OID_RSA || alg == OID_RSA_PSS {
            use rsa::pkcs1::DecodeRsaPublicKey;
            match rsa::RsaPublicKey::from_pkcs1_der(&spki.subject_public_key.data) {
                Ok(k) => PublicKey::Rsa(k),
                Err(e) => PublicKey::Unsupported(format!("RSA key: {e}")),
            }
        } else {
            PublicKey::Unsupported(alg)
        };
        let country = cert
            .subject()
            .iter_country()
            .next()
            .and_then(|c| c.as_str().ok())
            .map(str::to_owned);
        Ok(Self {
            kid: kid.unwrap_or_else(|| KeyId::of_certificate(der)),
            country,
            der: der.to_vec(),
            not_before: validity.not_before.timestamp(),
            not_after: validity.not_after.timestamp(),
            key,
            allowed: allowed_types(&cert),
        })
    }

    /// The key id.
    #[must_use]
    pub fn kid(&self) -> &KeyId {
        &self.kid
    }
    /// The country (from the trust list, else the subject's C).
    #[must_use]
    pub fn country(&self) -> Option<&str> {
        self.country.as_deref()
    }
    /// The certificate DER.
    #[must_use]
    pub fn der(&self) -> &[u8] {
        &self.der
    }
    /// notBefore, seconds since the epoch.
    #[must_use]
    pub fn not_before(&self) -> i64 {
        self.not_before
    }
    /// notAfter, seconds since the epoch.
    #[must_use]
    pub fn not_after(&self) -> i64 {
        self.not_after
    }
    /// The public key.
    #[must_use]
    pub fn public_key(&self) -> &PublicKey {
        &self.key
    }
    /// The certificate types this DSC may sign.
    #[must_use]
    pub fn allowed_types(&self) -> &AllowedTypes {
        &self.allowed
    }
}

/// Reads the EKU leniently: absent, empty or unparsable means all types.
fn allowed_types(cert: &X509Certificate<'_>) -> AllowedTypes {
    let Some(ext) = cert
        .extensions()
        .iter()
        .find(|e| e.oid.to_id_string() == "2.5.29.37")
    else {
        return AllowedTypes::All;
    };
    let ParsedExtension::ExtendedKeyUsage(eku) = ext.parsed_extension() else {
        return AllowedTypes::All;
    };
    let mut oids: Vec<String> = eku.other.iter().map(|o| o.to_id_string()).collect();
    // Standard purposes parsed into flags still count as "an EKU is present".
    let standard = eku.any
        || eku.server_auth
        || eku.client_auth
        || eku.code_signing
        || eku.email_protection
        || eku.time_stamping
        || eku.ocsp_signing;
    if oids.is_empty() && !standard {
        return AllowedTypes::All;
    }
    oids.sort();
    AllowedTypes::Only(
        EKU_OIDS
            .iter()
            .filter(|(oid, _)| oids.iter().any(|o| o == oid))
            .map(|(_, t)| *t)
            .collect(),
    )
}

/// A set of trusted DSCs, indexed by kid (several DSCs may share a kid).
#[derive(Clone, Debug, Default)]
pub struct TrustList {
    by_kid: HashMap<KeyId, Vec<TrustedCertificate>>,
    len: usize,
}

impl TrustList {
    /// An empty list.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a certificate.
    pub fn add(&mut self, cert: TrustedCertificate) {
        self.by_kid.entry(cert.kid.clone()).or_default().push(cert);
        self.len += 1;
    }

    /// Every DSC with this kid (try each: kids can collide).
    #[must_use]
    pub fn by_kid(&self, kid: &[u8]) -> &[TrustedCertificate] {
        self.by_kid
            .get(&KeyId::from_bytes(kid))
            .map_or(&[], Vec::as_slice)
    }

    /// Number of certificates.
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// All certificates.
    pub fn iter(&self) -> impl Iterator<Item = &TrustedCertificate> {
        self.by_kid.values().flatten()
    }

    /// Loads certificates from PEM, DER, or a JSON trust-list document, adding them.
    /// Returns how many were added.
    pub fn load(&mut self, bytes: &[u8]) -> Result<usize, TrustError> {
        let trimmed = bytes.trim_ascii_start();
        if trimmed.first() == Some(&b'[') || trimmed.first() == Some(&b'{') {
            return self.load_json(bytes);
        }
        let certs = certificates_from_bytes(bytes)?;
        let n = certs.len();
        for der in certs {
            self.add(TrustedCertificate::from_der(&der, None)?);
        }
        Ok(n)
    }

    fn load_json(&mut self, bytes: &[u8]) -> Result<usize, TrustError> {
        let doc: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|_| TrustError::Format)?;
        let entries = match &doc {
            serde_json::Value::Array(a) => a,
            serde_json::Value::Object(o) => match o.get("certificates") {
                Some(serde_json::Value::Array(a)) => a,
                _ => return Err(TrustError::Format),
            },
            _ => return Err(TrustError::Format),
        };
        let mut added = 0;
        for (index, entry) in entries.iter().enumerate() {
            let field = |names: &[&str]| {
                names
                    .iter()
                    .find_map(|n| entry.get(*n).and_then(|v| v.as_str()))
            };
            let cert_text =
                field(&["certificate", "rawData", "dsc"]).ok_or_else(|| TrustError::Entry {
                    index,
                    reason: "no certificate".into(),
                })?;
            let der = match crate::sign::pem_block(cert_text, "CERTIFICATE") {
                Some(der) => der,
                None => base64::engine::general_purpose::STANDARD
                    .decode(cert_text.trim())
                    .map_err(|e| TrustError::Entry {
                        index,
                        reason: format!("certificate is not base64: {e}"),
                    })?,
            };
            let kid = match field(&["kid", "kidB64"]) {
                Some(k) => Some(KeyId::from_bytes(
                    &base64::engine::general_purpose::STANDARD
                        .decode(k.trim())
                        .map_err(|e| TrustError::Entry {
                            index,
                            reason: format!("kid is not base64: {e}"),
                        })?,
                )),
                None => None,
            };
            let mut cert =
                TrustedCertificate::from_der(&der, kid).map_err(|e| TrustError::Entry {
                    index,
                    reason: e.to_string(),
                })?;
            if let Some(c) = field(&["country", "countryCode"]) {
                cert.country = Some(c.to_owned());
            }
            self.add(cert);
            added += 1;
        }
        Ok(added)
    }
}

/// Extracts certificate DERs from PEM (any number of CERTIFICATE blocks), raw DER, or
/// base64 DER text.
pub fn certificates_from_bytes(bytes: &[u8]) -> Result<Vec<Vec<u8>>, TrustError> {
    if let Ok(text) = std::str::from_utf8(bytes) {
        if text.contains("-----BEGIN CERTIFICATE-----") {
            let mut out = Vec::new();
            let mut rest = text;
            while let Some(pos) = rest.find("-----BEGIN CERTIFICATE-----") {
                let block = &rest[pos..];
                let der = crate::sign::pem_block(block, "CERTIFICATE").ok_or(TrustError::Format)?;
                out.push(der);
                let end = block
                    .find("-----END CERTIFICATE-----")
                    .ok_or(TrustError::Format)?;
                rest = &block[end + 25..];
            }
            return Ok(out);
        }
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        if !compact.is_empty() {
            if let Ok(der) = base64::engine::general_purpose::STANDARD.decode(&compact) {
                if der.first() == Some(&0x30) {
                    return Ok(vec![der]);
                }
            }
        }
    }
    if bytes.first() == Some(&0x30) {
        return Ok(vec![bytes.to_vec()]);
    }
    Err(TrustError::Format)
}
