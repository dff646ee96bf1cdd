//! Development keys: a self-signed Country Signing CA (CSCA) and Document Signer
//! Certificates (DSCs) under it, with their PKCS#8 private keys. DSCs carry the DCC
//! extended-key-usage OIDs (hcert §5.1.1, current spelling `1.3.6.1.4.1.1847.2021.1.x`):
//! one DSC per certificate type, or one DSC for all three.
//!
//! For development and tests only: production keys come from the national PKI. Pure:
//! returns bytes, writes nothing.

use std::str::FromStr;
use std::time::{Duration, SystemTime};

use p256::ecdsa::{DerSignature, SigningKey};
use p256::pkcs8::EncodePrivateKey;
use x509_cert::builder::{Builder, CertificateBuilder, Profile};
use x509_cert::der::asn1::ObjectIdentifier;
use x509_cert::der::Encode;
use x509_cert::ext::pkix::ExtendedKeyUsage;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::SubjectPublicKeyInfoOwned;
use x509_cert::time::{Time, Validity};

use crate::payload::CertificateType;
use crate::trust::eku_oid;

/// Why key generation failed.
#[derive(Debug, thiserror::Error)]
pub enum DevKeyError {
    /// The country is not two upper-case letters.
    #[error("country must be an ISO 3166-1 alpha-2 code")]
    Country,
    /// Certificate building failed.
    #[error("certificate: {0}")]
    Certificate(String),
    /// Key encoding failed.
    #[error("key encoding: {0}")]
    Key(String),
}

/// How many DSCs to make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DscLayout {
    /// One DSC per certificate type, each with that type's EKU OID.
    OnePerType,
    /// One DSC with all three OIDs.
    OneForAll,
}

/// A certificate and its PKCS#8 DER private key.
pub struct KeyPairCertificate {
    /// Certificate DER.
    pub certificate_der: Vec<u8>,
    /// PKCS#8 DER private key (secret: write with restrictive permissions).
    pub private_key_pkcs8: Vec<u8>,
    /// Types the EKU allows (empty for the CSCA).
    pub types: Vec<CertificateType>,
}

impl std::fmt::Debug for KeyPairCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyPairCertificate")
            .field("types", &self.types)
            .finish_non_exhaustive()
    }
}

/// A development CSCA and its DSCs.
#[derive(Debug)]
pub struct DevKeySet {
    /// The CSCA.
    pub csca: KeyPairCertificate,
    /// The DSCs.
    pub dscs: Vec<KeyPairCertificate>,
}

fn validity(from: SystemTime, days: u64) -> Result<Validity, DevKeyError> {
    let to = from + Duration::from_secs(days * 86_400);
    let t = |s: SystemTime| Time::try_from(s).map_err(|e| DevKeyError::Certificate(e.to_string()));
    Ok(Validity {
        not_before: t(from)?,
        not_after: t(to)?,
    })
}

fn serial() -> Result<SerialNumber, DevKeyError> {
    let mut bytes: [u8; 16] = rand::random();
    bytes[0] &= 0x7F; // positive INTEGER
    bytes[0] |= 0x01; // no leading zero byte
    SerialNumber::new(&bytes).map_err(|e| DevKeyError::Certificate(e.to_string()))
}

fn pkcs8(key: &SigningKey) -> Result<Vec<u8>, DevKeyError> {
    Ok(key
        .to_pkcs8_der()
        .map_err(|e| DevKeyError::Key(e.to_string()))?
        .as_bytes()
        .to_vec())
}

fn spki(key: &SigningKey) -> Result<SubjectPublicKeyInfoOwned, DevKeyError> {
    SubjectPublicKeyInfoOwned::from_key(*key.verifying_key())
        .map_err(|e| DevKeyError::Key(e.to_string()))
}

/// Generates a CSCA valid `csca_days` from `now` and DSCs valid `dsc_days`.
pub fn generate(
    country: &str,
    layout: DscLayout,
    now: SystemTime,
    csca_days: u64,
    dsc_days: u64,
) -> Result<DevKeySet, DevKeyError> {
    if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(DevKeyError::Country);
    }
    let cert_err = |e: x509_cert::builder::Error| DevKeyError::Certificate(e.to_string());
    let mut rng = rand::rngs::OsRng;

    let csca_key = SigningKey::random(&mut rng);
    let csca_name = Name::from_str(&format!(
        "CN=DCC development CSCA,O=Development,C={country}"
    ))
    .map_err(|e| DevKeyError::Certificate(e.to_string()))?;
    let builder = CertificateBuilder::new(
        Profile::Root,
        serial()?,
        validity(now, csca_days)?,
        csca_name.clone(),
        spki(&csca_key)?,
        &csca_key,
    )
    .map_err(cert_err)?;
    let csca_cert = builder.build::<DerSignature>().map_err(cert_err)?;
    let csca = KeyPairCertificate {
        certificate_der: csca_cert
            .to_der()
            .map_err(|e| DevKeyError::Certificate(e.to_string()))?,
        private_key_pkcs8: pkcs8(&csca_key)?,
        types: Vec::new(),
    };

    let groups: Vec<Vec<CertificateType>> = match layout {
        DscLayout::OnePerType => CertificateType::ALL.iter().map(|t| vec![*t]).collect(),
        DscLayout::OneForAll => vec![CertificateType::ALL.to_vec()],
    };
    let mut dscs = Vec::new();
    for types in groups {
        let key = SigningKey::random(&mut rng);
        // No '+' or ',' in the label: they are RDN separators in the name syntax.
        let label = if types.len() == CertificateType::ALL.len() {
            "all types".to_owned()
        } else {
            types
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" ")
        };
        let subject = Name::from_str(&format!(
            "CN=DCC development DSC {label},O=Development,C={country}"
        ))
        .map_err(|e| DevKeyError::Certificate(e.to_string()))?;
        let mut builder = CertificateBuilder::new(
            Profile::Leaf {
                issuer: csca_name.clone(),
                enable_key_agreement: false,
                enable_key_encipherment: false,
            },
            serial()?,
            validity(now, dsc_days)?,
            subject,
            spki(&key)?,
            &csca_key,
        )
        .map_err(cert_err)?;
        let oids = types
            .iter()
            .map(|t| ObjectIdentifier::new(eku_oid(*t)))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| DevKeyError::Certificate(e.to_string()))?;
        builder
            .add_extension(&ExtendedKeyUsage(oids))
            .map_err(cert_err)?;
        let cert = builder.build::<DerSignature>().map_err(cert_err)?;
        dscs.push(KeyPairCertificate {
            certificate_der: cert
                .to_der()
                .map_err(|e| DevKeyError::Certificate(e.to_string()))?,
            private_key_pkcs8: pkcs8(&key)?,
            types,
        });
    }
    Ok(DevKeySet { csca, dscs })
}
