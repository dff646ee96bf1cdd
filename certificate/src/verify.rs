//! Verification as a pipeline of steps, each with its own typed outcome, so a verifier app
//! can say exactly why a pass is refused: prefix → Base45 → inflate → COSE → CWT → kid →
//! signature → expiry → key usage → schema → value sets → revocation → business rules.
//!
//! A step whose input an earlier failure took away is reported as not run, never as
//! passed. Value-set findings are reported but do not decide validity (value sets move
//! faster than certificates, and the RAT device list is not in the value-set repository).
//! Pure: no I/O; the caller supplies the trust list, schemas, value sets, revocation list,
//! rules and the clock.

use chrono::{DateTime, TimeZone, Utc};
use ring::signature::{UnparsedPublicKey, ECDSA_P256_SHA256_FIXED};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::base45::{self, Base45Error};
use crate::codec::{
    self, Algorithm, CoseError, CoseMessage, CoseTagging, Cwt, CwtError, InflateError, Inflater,
    PrefixError,
};
use crate::payload::CertificateType;
use crate::revocation::{self, HashType, RevocationList};
use crate::schema::{self, SchemaError, SchemaSet};
use crate::trust::{AllowedTypes, KeyId, PublicKey, TrustList, TrustedCertificate};
use crate::valuesets::{ValueSetIssue, ValueSets};

/// The outcome of one step.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", content = "detail", rename_all = "snake_case")]
pub enum Step<T, E> {
    /// The check passed.
    Passed(T),
    /// The check failed.
    Failed(E),
    /// The check did not run.
    NotRun(NotRun),
}

impl<T, E> Step<T, E> {
    /// True when the step passed.
    pub fn passed(&self) -> bool {
        matches!(self, Self::Passed(_))
    }
    /// True when the step failed.
    pub fn failed(&self) -> bool {
        matches!(self, Self::Failed(_))
    }
    fn from_result(r: Result<T, E>) -> Self {
        match r {
            Ok(t) => Self::Passed(t),
            Err(e) => Self::Failed(e),
        }
    }
}

/// Why a step did not run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NotRun {
    /// An earlier step it depends on failed.
    EarlierStepFailed,
    /// The verifier was not given what this step needs (schemas, revocation list, rules).
    NotConfigured,
}

/// Why the kid step failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
pub enum KidError {
    /// Neither header has a kid.
    #[error("no kid in the protected or unprotected header")]
    Missing,
    /// No trusted DSC has this kid.
    #[error("no trusted certificate has kid {0}")]
    Unknown(String),
}

/// Why one DSC did not verify the signature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
pub enum SignatureFailure {
    /// The DSC's key cannot make signatures of this algorithm (e.g. a P-384 key under ES256).
    #[error("certificate key ({0}) does not match the algorithm")]
    KeyMismatch(String),
    /// The signature has the wrong length or does not verify.
    #[error("signature does not verify")]
    Invalid,
}

/// Why the signature step failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
pub enum SignatureError {
    /// The COSE algorithm is neither ES256 nor PS256 (or absent).
    #[error("unsupported signature algorithm {0}")]
    UnsupportedAlgorithm(String),
    /// No DSC with the kid verified the signature; one reason per DSC tried.
    #[error("signature not verified by any of the {} certificate(s) with this kid", .0.len())]
    NotVerified(Vec<SignatureFailure>),
}

/// Why the expiry step failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
pub enum ExpiryError {
    /// No `iat` claim.
    #[error("no iat claim")]
    MissingIssuedAt,
    /// No `exp` claim.
    #[error("no exp claim")]
    MissingExpiry,
    /// Issued before the DSC became valid.
    #[error("issued before the signing certificate became valid")]
    IssuedBeforeCertificate,
    /// `iat` is after the validation clock.
    #[error("issued in the future")]
    IssuedInFuture,
    /// The validation clock is past `exp`.
    #[error("expired")]
    Expired,
    /// `exp` is after the DSC's notAfter.
    #[error("expires after the signing certificate")]
    OutlivesCertificate,
}

/// Why the key-usage step failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
pub enum KeyUsageError {
    /// Zero or several of v/t/r.
    #[error("payload must hold exactly one of v, t, r")]
    TypeUnclear,
    /// The DSC's EKU does not allow this type.
    #[error("signing certificate is not allowed to sign {0} certificates")]
    NotAllowed(CertificateType),
}

/// Why the revocation step failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
pub enum RevocationError {
    /// Listed under this hash type.
    #[error("revoked ({0} hash listed)")]
    Revoked(HashType),
}

/// One business rule that did not pass.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleFailure {
    /// Rule identifier, e.g. `VR-DK-0001`.
    pub identifier: String,
    /// English description, if the rule has one.
    pub description: Option<String>,
    /// Set when the rule could not be evaluated (which counts as not passed).
    pub error: Option<String>,
}

/// Why the business-rules step failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("{} business rule(s) not passed", .0.len())]
pub struct RulesError(pub Vec<RuleFailure>);

/// Value-set findings (informational).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("{} coded value(s) outside the value sets", .0.len())]
pub struct ValueSetFindings(pub Vec<ValueSetIssue>);

/// Who signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignedBy {
    /// kid, base64.
    pub kid: String,
    /// Country of the DSC, if known.
    pub country: Option<String>,
    /// Algorithm.
    pub algorithm: Algorithm,
}

/// Every step's outcome, in order, plus what was decoded.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// `HC1:` prefix.
    pub prefix: Step<(), StepError<PrefixError>>,
    /// Base45 decoding.
    pub base45: Step<(), StepError<Base45Error>>,
    /// zlib inflation.
    pub inflate: Step<(), StepError<InflateError>>,
    /// COSE_Sign1 structure.
    pub cose: Step<CoseTagging, StepError<CoseError>>,
    /// CWT claims and the DCC.
    pub cwt: Step<(), StepError<CwtError>>,
    /// kid lookup.
    pub kid: Step<String, KidError>,
    /// Signature.
    pub signature: Step<SignedBy, SignatureError>,
    /// iat/exp against the clock and the DSC validity.
    pub expiry: Step<(), ExpiryError>,
    /// EKU against the certificate type.
    pub key_usage: Step<CertificateType, KeyUsageError>,
    /// JSON schema of the payload's version.
    pub schema: Step<String, StepError<SchemaError>>,
    /// Value-set membership (informational; does not decide validity).
    pub value_sets: Step<(), ValueSetFindings>,
    /// Revocation list.
    pub revocation: Step<(), RevocationError>,
    /// Business rules: number of rules that applied and passed.
    pub rules: Step<usize, RulesError>,
    /// Claims and payload, when decoding got that far. Holds personal data: do not log.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decoded: Option<Decoded>,
}

/// A step error that serialises as its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepError<E>(pub E);

impl<E: std::fmt::Display> Serialize for StepError<E> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

impl<E: std::fmt::Display> std::fmt::Display for StepError<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// The decoded certificate.
#[derive(Debug, Clone, Serialize)]
pub struct Decoded {
    /// `iss`.
    pub issuer: Option<String>,
    /// `iat` (RFC 3339).
    pub issued_at: Option<DateTime<Utc>>,
    /// `exp` (RFC 3339).
    pub expires_at: Option<DateTime<Utc>>,
    /// kid (base64), if any.
    pub kid: Option<String>,
    /// The DCC JSON.
    pub dcc: serde_json::Value,
}

impl Report {
    /// Valid when every step that decides validity passed or was not configured.
    #[must_use]
    pub fn is_valid(&self) -> bool {
        fn ok<T, E>(s: &Step<T, E>) -> bool {
            matches!(s, Step::Passed(_) | Step::NotRun(NotRun::NotConfigured))
        }
        self.prefix.passed()
            && self.base45.passed()
            && self.inflate.passed()
            && self.cose.passed()
            && self.cwt.passed()
            && self.kid.passed()
            && self.signature.passed()
            && self.expiry.passed()
            && self.key_usage.passed()
            && ok(&self.schema)
            && ok(&self.revocation)
            && ok(&self.rules)
    }

    fn all_not_run() -> Self {
        Self {
            prefix: Step::NotRun(NotRun::EarlierStepFailed),
            base45: Step::NotRun(NotRun::EarlierStepFailed),
            inflate: Step::NotRun(NotRun::EarlierStepFailed),
            cose: Step::NotRun(NotRun::EarlierStepFailed),
            cwt: Step::NotRun(NotRun::EarlierStepFailed),
            kid: Step::NotRun(NotRun::EarlierStepFailed),
            signature: Step::NotRun(NotRun::EarlierStepFailed),
            expiry: Step::NotRun(NotRun::EarlierStepFailed),
            key_usage: Step::NotRun(NotRun::EarlierStepFailed),
            schema: Step::NotRun(NotRun::EarlierStepFailed),
            value_sets: Step::NotRun(NotRun::EarlierStepFailed),
            revocation: Step::NotRun(NotRun::EarlierStepFailed),
            rules: Step::NotRun(NotRun::EarlierStepFailed),
            decoded: None,
        }
    }
}

/// Verifies one signature with one DSC (ES256: raw r ‖ s over P-256; PS256: RSASSA-PSS
/// with SHA-256, MGF1-SHA-256 and a 32-byte salt).
pub fn verify_signature(
    algorithm: Algorithm,
    tbs: &[u8],
    signature: &[u8],
    dsc: &TrustedCertificate,
) -> Result<(), SignatureFailure> {
    match (algorithm, dsc.public_key()) {
        (Algorithm::Es256, PublicKey::P256(point)) => {
            UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point)
                .verify(tbs, signature)
                .map_err(|_| SignatureFailure::Invalid)
        }
        (Algorithm::Ps256, PublicKey::Rsa(key)) => {
            let digest = Sha256::digest(tbs);
            key.verify(rsa::Pss::new::<Sha256>(), &digest, signature)
                .map_err(|_| SignatureFailure::Invalid)
        }
        (_, PublicKey::P256(_)) => Err(SignatureFailure::KeyMismatch("EC P-256".into())),
        (_, PublicKey::Rsa(_)) => Err(SignatureFailure::KeyMismatch("RSA".into())),
        (_, PublicKey::Unsupported(what)) => Err(SignatureFailure::KeyMismatch(what.clone())),
    }
}

/// Tries every candidate DSC; returns the first that verifies.
pub fn check_signature<'a>(
    message: &CoseMessage,
    candidates: &'a [TrustedCertificate],
) -> Result<&'a TrustedCertificate, SignatureError> {
    let algorithm = message.algorithm().ok_or_else(|| {
        SignatureError::UnsupportedAlgorithm(
            message
                .algorithm_label()
                .map_or_else(|| "none".to_owned(), |a| format!("{a:?}")),
        )
    })?;
    let tbs = message.to_be_signed();
    let mut failures = Vec::new();
    for dsc in candidates {
        match verify_signature(algorithm, &tbs, message.signature(), dsc) {
            Ok(()) => return Ok(dsc),
            Err(f) => failures.push(f),
        }
    }
    Err(SignatureError::NotVerified(failures))
}

/// DSC notBefore ≤ iat ≤ clock ≤ exp ≤ DSC notAfter.
pub fn check_expiry(cwt: &Cwt, dsc: &TrustedCertificate, clock: i64) -> Result<(), ExpiryError> {
    let iat = cwt.issued_at.ok_or(ExpiryError::MissingIssuedAt)?;
    let exp = cwt.expires_at.ok_or(ExpiryError::MissingExpiry)?;
    if iat < dsc.not_before() {
        return Err(ExpiryError::IssuedBeforeCertificate);
    }
    if iat > clock {
        return Err(ExpiryError::IssuedInFuture);
    }
    if clock > exp {
        return Err(ExpiryError::Expired);
    }
    if exp > dsc.not_after() {
        return Err(ExpiryError::OutlivesCertificate);
    }
    Ok(())
}

/// The payload's single type must be allowed by the DSC's EKU.
pub fn check_key_usage(
    dcc: &serde_json::Value,
    allowed: &AllowedTypes,
) -> Result<CertificateType, KeyUsageError> {
    let t = match schema::exactly_one_group(dcc) {
        Some("v") => CertificateType::Vaccination,
        Some("t") => CertificateType::Test,
        Some("r") => CertificateType::Recovery,
        _ => return Err(KeyUsageError::TypeUnclear),
    };
    if allowed.allows(t) {
        Ok(t)
    } else {
        Err(KeyUsageError::NotAllowed(t))
    }
}

/// Everything a verification needs besides the HC1 text and the clock.
#[derive(Debug)]
pub struct Verifier<'a> {
    trust: &'a TrustList,
    schemas: Option<&'a SchemaSet>,
    value_sets: Option<&'a ValueSets>,
    revocation: Option<&'a RevocationList>,
    rules: &'a [certlogic::rules::Rule],
    country: String,
    max_inflated: usize,
    /// Reusable rule data contexts (see `rule_context`).
    rule_contexts: std::sync::Mutex<Vec<serde_json::Value>>,
    /// Reusable inflaters.
    inflaters: std::sync::Mutex<Vec<Inflater>>,
}

impl<'a> Verifier<'a> {
    /// A verifier for the country `country` (ISO alpha-2; the business rules' country of
    /// arrival) that checks signatures against `trust`.
    #[must_use]
    pub fn new(trust: &'a TrustList, country: &str) -> Self {
        Self {
            trust,
            schemas: None,
            value_sets: None,
            revocation: None,
            rules: &[],
            country: country.to_owned(),
            max_inflated: codec::DEFAULT_MAX_INFLATED,
            rule_contexts: std::sync::Mutex::new(Vec::new()),
            inflaters: std::sync::Mutex::new(Vec::new()),
        }
    }
    /// Adds schema validation.
    #[must_use]
    pub fn with_schemas(mut self, schemas: &'a SchemaSet) -> Self {
        self.schemas = Some(schemas);
        self
    }
    /// Adds value-set reporting (and the rules' `external.valueSets`).
    #[must_use]
    pub fn with_value_sets(mut self, value_sets: &'a ValueSets) -> Self {
        self.value_sets = Some(value_sets);
        // Contexts built with the previous value sets must not be reused.
        self.rule_contexts = std::sync::Mutex::new(Vec::new());
        self
    }
    /// Adds a revocation list.
    #[must_use]
    pub fn with_revocation(mut self, list: &'a RevocationList) -> Self {
        self.revocation = Some(list);
        self
    }
    /// Adds business rules: every acceptance rule given is applied (pass the country of
    /// arrival's set); an invalidation rule only to certificates whose `iss` is its country.
    #[must_use]
    pub fn with_rules(mut self, rules: &'a [certlogic::rules::Rule]) -> Self {
        self.rules = rules;
        self
    }
    /// Changes the inflate cap.
    #[must_use]
    pub fn with_max_inflated(mut self, bytes: usize) -> Self {
        self.max_inflated = bytes;
        self.inflaters = std::sync::Mutex::new(Vec::new());
        self
    }

    /// Runs every step on an `HC1:` string at `clock`.
    #[must_use]
    pub fn verify(&self, hc1: &str, clock: DateTime<Utc>) -> Report {
        let mut report = Report::all_not_run();
        let body = match codec::strip_prefix(hc1.trim()) {
            Ok(b) => {
                report.prefix = Step::Passed(());
                b
            }
            Err(e) => {
                report.prefix = Step::Failed(StepError(e));
                return report;
            }
        };
        let compressed = match base45::decode(body) {
            Ok(b) => {
                report.base45 = Step::Passed(());
                b
            }
            Err(e) => {
                report.base45 = Step::Failed(StepError(e));
                return report;
            }
        };
        // Reuse inflaters: allocating zlib state per certificate shows up in the profile.
        let mut inflater = self
            .inflaters
            .lock()
            .ok()
            .and_then(|mut pool| pool.pop())
            .unwrap_or_else(|| Inflater::new(self.max_inflated));
        let inflated = inflater.inflate(&compressed);
        if let Ok(mut pool) = self.inflaters.lock() {
            pool.push(inflater);
        }
        let cose_bytes = match inflated {
            Ok(b) => {
                report.inflate = Step::Passed(());
                b
            }
            Err(e) => {
                report.inflate = Step::Failed(StepError(e));
                return report;
            }
        };
        self.verify_cose(&cose_bytes, clock, report)
    }

    /// Runs the steps from COSE on.
    fn verify_cose(&self, cose_bytes: &[u8], clock: DateTime<Utc>, mut report: Report) -> Report {
        let message = match codec::parse_cose(cose_bytes) {
            Ok(m) => {
                report.cose = Step::Passed(m.tagging());
                m
            }
            Err(e) => {
                report.cose = Step::Failed(StepError(e));
                return report;
            }
        };
        let cwt = match codec::parse_cwt(message.payload()) {
            Ok(c) => {
                report.cwt = Step::Passed(());
                c
            }
            Err(e) => {
                report.cwt = Step::Failed(StepError(e));
                return report;
            }
        };
        let ts = |t: Option<i64>| t.and_then(|s| Utc.timestamp_opt(s, 0).single());
        let kid_b64 = message.kid().map(|k| KeyId::from_bytes(k).to_base64());

        // kid and signature
        let signer = match message.kid() {
            None => {
                report.kid = Step::Failed(KidError::Missing);
                None
            }
            Some(kid) => {
                let candidates = self.trust.by_kid(kid);
                if candidates.is_empty() {
                    report.kid =
                        Step::Failed(KidError::Unknown(KeyId::from_bytes(kid).to_base64()));
                    None
                } else {
                    report.kid = Step::Passed(KeyId::from_bytes(kid).to_base64());
                    match check_signature(&message, candidates) {
                        Ok(dsc) => {
                            report.signature = Step::Passed(SignedBy {
                                kid: dsc.kid().to_base64(),
                                country: dsc.country().map(str::to_owned),
                                algorithm: message.algorithm().unwrap_or(Algorithm::Es256),
                            });
                            Some(dsc)
                        }
                        Err(e) => {
                            report.signature = Step::Failed(e);
                            None
                        }
                    }
                }
            }
        };

        // Steps that need the verified DSC.
        if let Some(dsc) = signer {
            report.expiry = Step::from_result(check_expiry(&cwt, dsc, clock.timestamp()));
            report.key_usage = Step::from_result(check_key_usage(&cwt.dcc, dsc.allowed_types()));
        }

        // Payload checks run whenever the payload decoded: they explain more of the verdict.
        report.schema = match self.schemas {
            None => Step::NotRun(NotRun::NotConfigured),
            Some(s) => match s.validate(&cwt.dcc) {
                Ok(v) => Step::Passed(v.to_string()),
                Err(e) => Step::Failed(StepError(e)),
            },
        };
        report.value_sets = match self.value_sets {
            None => Step::NotRun(NotRun::NotConfigured),
            Some(vs) => {
                let issues = vs.check(&cwt.dcc);
                if issues.is_empty() {
                    Step::Passed(())
                } else {
                    Step::Failed(ValueSetFindings(issues))
                }
            }
        };
        report.revocation = match self.revocation {
            None => Step::NotRun(NotRun::NotConfigured),
            Some(list) => {
                let hashes = revocation::hashes(&cwt.dcc, message.algorithm(), message.signature());
                match list.check(&hashes) {
                    None => Step::Passed(()),
                    Some(kind) => Step::Failed(RevocationError::Revoked(kind)),
                }
            }
        };
        let (rules, cwt) = self.run_rules(cwt, kid_b64.clone(), clock);
        report.rules = rules;
        report.decoded = Some(Decoded {
            issuer: cwt.issuer,
            issued_at: ts(cwt.issued_at),
            expires_at: ts(cwt.expires_at),
            kid: kid_b64,
            dcc: cwt.dcc,
        });
        report
    }

    /// A `{payload, external}` data context whose `external.valueSets` is already filled:
    /// reused across verifications so the value sets are converted to JSON once, not per
    /// certificate and rule (certlogic reads the context without copying it).
    fn rule_context(&self) -> serde_json::Value {
        let pooled = self
            .rule_contexts
            .lock()
            .ok()
            .and_then(|mut pool| pool.pop());
        pooled.unwrap_or_else(|| {
            let sets = self
                .value_sets
                .map(ValueSets::to_certlogic)
                .unwrap_or_default();
            serde_json::json!({ "payload": null, "external": { "valueSets": sets } })
        })
    }

    /// Runs the business rules; takes the CWT and hands it back so the payload can sit in
    /// the rule context without being copied.
    fn run_rules(
        &self,
        mut cwt: Cwt,
        kid: Option<String>,
        clock: DateTime<Utc>,
    ) -> (Step<usize, RulesError>, Cwt) {
        use certlogic::rules::ExternalParams;
        if self.rules.is_empty() {
            return (Step::NotRun(NotRun::NotConfigured), cwt);
        }
        let Some(group) = schema::exactly_one_group(&cwt.dcc) else {
            return (Step::NotRun(NotRun::EarlierStepFailed), cwt);
        };
        let issuer = cwt.issuer.clone().unwrap_or_default();
        // certlogic renders the scalar external parameters; the value sets come pooled.
        let mut external = ExternalParams::new(clock, self.country.clone());
        external.exp = cwt
            .expires_at
            .and_then(|s| Utc.timestamp_opt(s, 0).single());
        external.iat = cwt.issued_at.and_then(|s| Utc.timestamp_opt(s, 0).single());
        external.issuer_country_code = issuer.clone();
        external.kid = kid;
        let mut data = self.rule_context();
        if let serde_json::Value::Object(root) = &mut data {
            root.insert("payload".into(), std::mem::take(&mut cwt.dcc));
            if let Some(serde_json::Value::Object(ext)) = root.get_mut("external") {
                ext.retain(|k, _| k == "valueSets");
                if let serde_json::Value::Object(scalars) = external.to_json() {
                    for (k, v) in scalars {
                        if k != "valueSets" {
                            ext.insert(k, v);
                        }
                    }
                }
            }
        }
        let step = self.evaluate_rules(&data, group, &issuer, clock);
        if let Some(payload) = data.get_mut("payload") {
            cwt.dcc = std::mem::take(payload);
        }
        if let Ok(mut pool) = self.rule_contexts.lock() {
            pool.push(data);
        }
        (step, cwt)
    }

    fn evaluate_rules(
        &self,
        data: &serde_json::Value,
        group: &str,
        issuer: &str,
        clock: DateTime<Utc>,
    ) -> Step<usize, RulesError> {
        use certlogic::rules::RuleType;
        let mut passed = 0;
        let mut failures = Vec::new();
        for rule in self.rules {
            // Acceptance rules are the caller's choice (the country of arrival's set);
            // invalidation rules only bind certificates of their own issuing country.
            let relevant_country = match rule.rule_type {
                RuleType::Acceptance => true,
                RuleType::Invalidation => rule.country.eq_ignore_ascii_case(issuer),
            };
            if !relevant_country || !rule.applies_to(group, clock) {
                continue;
            }
            let description = rule
                .description
                .iter()
                .find(|d| d.lang.eq_ignore_ascii_case("en"))
                .map(|d| d.desc.clone());
            // `Rule::evaluate` semantics (engine check, boolean result), on the shared context.
            let outcome = if rule.engine.eq_ignore_ascii_case("CERTLOGIC") {
                certlogic::evaluate(&rule.logic, data)
                    .map_err(|e| e.to_string())
                    .and_then(|v| match v {
                        serde_json::Value::Bool(b) => Ok(b),
                        other => Err(format!("rule gave a non-boolean result {other}")),
                    })
            } else {
                Err(format!("engine {:?} is not CERTLOGIC", rule.engine))
            };
            match outcome {
                Ok(true) => passed += 1,
                Ok(false) => failures.push(RuleFailure {
                    identifier: rule.identifier.clone(),
                    description,
                    error: None,
                }),
                Err(error) => failures.push(RuleFailure {
                    identifier: rule.identifier.clone(),
                    description,
                    error: Some(error),
                }),
            }
        }
        if failures.is_empty() {
            Step::Passed(passed)
        } else {
            Step::Failed(RulesError(failures))
        }
    }
}
