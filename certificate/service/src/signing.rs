//! The Document Signer as this service uses it: the certificate library's
//! [`Es256Signer`] loaded from a PKCS#8 key file, an [`Issuer`] around it, and the
//! revocation hashes of what it signs. The key is only ever inside the `Signer`: no
//! accessor, log line or error here shows it.

use std::path::Path;
use std::sync::Mutex;

use certificate::codec;
use certificate::domestic::{self, Contents, DomesticIssueError, IssuedDomestic};
use certificate::issue::{Claims, Hc1, Issuer};
use certificate::payload::Hcert;
use certificate::revocation::{self, CertificateHashes};
use certificate::sign::{self, Es256Signer, Signer};
use certificate::trust::{KeyId, TrustedCertificate};

use crate::settings::SigningSettings;

/// Why the signer could not be set up. Names files, never their contents.
#[derive(Debug, thiserror::Error)]
pub enum SigningSetupError {
    #[error("cannot read {path}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} holds no certificate")]
    NoCertificate { path: String },
    #[error("the Document Signer key or certificate is unusable")]
    Signer(#[from] sign::SignError),
    #[error("certificate {path} is unusable")]
    Trust {
        path: String,
        #[source]
        source: certificate::trust::TrustError,
    },
}

/// Why signing one pass failed.
#[derive(Debug, thiserror::Error)]
pub enum SigningError {
    #[error("issuing failed")]
    Issue(#[from] certificate::issue::IssueError),
    #[error("the signed certificate could not be read back")]
    ReadBack(#[from] codec::CoseError),
    #[error("payload encoding failed")]
    Payload(#[from] certificate::payload::PayloadError),
    #[error("domestic pass issuing failed")]
    Domestic(#[from] DomesticIssueError),
    #[error("the issuer lock is poisoned")]
    Poisoned,
}

/// A signed pass and its revocation hashes.
#[derive(Debug, Clone)]
pub struct SignedPass {
    pub hc1: Hc1,
    pub hashes: CertificateHashes,
}

/// Signs passes. One issuer behind a lock: signing takes well under a millisecond.
pub struct DccSigner {
    issuer: Mutex<Issuer<Es256Signer>>,
    kid: KeyId,
    /// The DSCs the trust list publishes: the signer's own first.
    published: Vec<TrustedCertificate>,
}

impl std::fmt::Debug for DccSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DccSigner")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

fn read(path: &str) -> Result<Vec<u8>, SigningSetupError> {
    std::fs::read(Path::new(path)).map_err(|source| SigningSetupError::Read {
        path: path.to_owned(),
        source,
    })
}

fn first_certificate(path: &str) -> Result<Vec<u8>, SigningSetupError> {
    let bytes = read(path)?;
    certificate::trust::certificates_from_bytes(&bytes)
        .map_err(|source| SigningSetupError::Trust {
            path: path.to_owned(),
            source,
        })?
        .into_iter()
        .next()
        .ok_or_else(|| SigningSetupError::NoCertificate {
            path: path.to_owned(),
        })
}

impl DccSigner {
    /// Loads the key (PKCS#8, PEM or DER) and the DSC (PEM or DER) named in the settings.
    pub fn load(settings: &SigningSettings) -> Result<Self, SigningSetupError> {
        let dsc_der = first_certificate(&settings.dsc_path)?;
        let key = read(&settings.key_path)?;
        let signer = match std::str::from_utf8(&key) {
            Ok(text) if text.contains("-----BEGIN") => {
                let der = sign::pem_block(text, "PRIVATE KEY").ok_or_else(|| {
                    sign::SignError::KeyRejected("no PRIVATE KEY PEM block".into())
                })?;
                Es256Signer::from_pkcs8_der(&der, &dsc_der)?
            }
            _ => Es256Signer::from_pkcs8_der(&key, &dsc_der)?,
        };
        let own = TrustedCertificate::from_der(&dsc_der, None).map_err(|source| {
            SigningSetupError::Trust {
                path: settings.dsc_path.clone(),
                source,
            }
        })?;
        let mut published = vec![own];
        for path in &settings.extra_trusted_dsc_paths {
            let der = first_certificate(path)?;
            published.push(TrustedCertificate::from_der(&der, None).map_err(|source| {
                SigningSetupError::Trust {
                    path: path.clone(),
                    source,
                }
            })?);
        }
        Ok(Self {
            kid: signer.key_id().clone(),
            issuer: Mutex::new(Issuer::new(signer)),
            published,
        })
    }

    pub fn kid(&self) -> &KeyId {
        &self.kid
    }

    /// When the signer's own DSC expires (seconds since the epoch): no pass may outlive
    /// it, or verifiers reject it.
    pub fn not_after(&self) -> i64 {
        self.published
            .first()
            .map_or(0, TrustedCertificate::not_after)
    }

    /// The DSCs verifiers should trust.
    pub fn published(&self) -> &[TrustedCertificate] {
        &self.published
    }

    /// Signs `hcert` and computes its revocation hashes from the exact signed bytes.
    pub fn sign(&self, hcert: &Hcert, claims: &Claims) -> Result<SignedPass, SigningError> {
        let dcc = hcert.to_json()?;
        let mut issuer = self.issuer.lock().map_err(|_| SigningError::Poisoned)?;
        let cose = issuer.sign(hcert, claims)?;
        let hc1 = issuer.encode_cose(&cose)?;
        drop(issuer);
        let message = codec::parse_cose(&cose)?;
        let hashes = revocation::hashes(&dcc, message.algorithm(), message.signature());
        Ok(SignedPass { hc1, hashes })
    }

    /// Signs a Danish domestic pass (`DK1:`) with the same key and DSC.
    pub fn sign_domestic(
        &self,
        contents: &Contents,
        claims: &Claims,
    ) -> Result<IssuedDomestic, SigningError> {
        let mut issuer = self.issuer.lock().map_err(|_| SigningError::Poisoned)?;
        Ok(domestic::issue(&mut issuer, contents, claims)?)
    }
}
