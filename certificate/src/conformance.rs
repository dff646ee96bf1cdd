//! Runs EU DCC test vectors (`dgc-testdata` format; see `HOW-TO-SCORE.md` beside the
//! data): one file holds a certificate at several stages and a set of `EXPECTED*` flags;
//! each flag present is checked and counted as passed or failed, each flag whose inputs
//! are missing as skipped. Upstream's known-wrong expectations are counted apart, with
//! their reasons, never hidden and never counted as passed.
//!
//! Pure: vectors and the known-issue list come in as text; [`crate::fs`] walks folders.

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine as _;
use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::Value;

use crate::codec::{self, json_equal};
use crate::schema::SchemaSet;
use crate::trust::{TrustList, TrustedCertificate};
use crate::verify;

/// The flags of the test-vector format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Flag {
    /// `EXPECTEDPICTUREDECODE`
    PictureDecode,
    /// `EXPECTEDUNPREFIX`
    Unprefix,
    /// `EXPECTEDB45DECODE`
    B45Decode,
    /// `EXPECTEDCOMPRESSION`
    Compression,
    /// `EXPECTEDDECODE`
    Decode,
    /// `EXPECTEDVERIFY`
    Verify,
    /// `EXPECTEDEXPIRATIONCHECK`
    ExpirationCheck,
    /// `EXPECTEDKEYUSAGE`
    KeyUsage,
    /// `EXPECTEDSCHEMAVALIDATION`
    SchemaValidation,
    /// `EXPECTEDVALIDJSON`
    ValidJson,
    /// `EXPECTEDVALIDOBJECT`
    ValidObject,
    /// `EXPECTEDENCODE`
    Encode,
}

impl Flag {
    /// Every flag, in report order.
    pub const ALL: [Flag; 12] = [
        Flag::PictureDecode,
        Flag::Unprefix,
        Flag::B45Decode,
        Flag::Compression,
        Flag::Decode,
        Flag::Verify,
        Flag::ExpirationCheck,
        Flag::KeyUsage,
        Flag::SchemaValidation,
        Flag::ValidJson,
        Flag::ValidObject,
        Flag::Encode,
    ];

    /// The key in `EXPECTEDRESULTS`.
    #[must_use]
    pub fn key(self) -> &'static str {
        match self {
            Flag::PictureDecode => "EXPECTEDPICTUREDECODE",
            Flag::Unprefix => "EXPECTEDUNPREFIX",
            Flag::B45Decode => "EXPECTEDB45DECODE",
            Flag::Compression => "EXPECTEDCOMPRESSION",
            Flag::Decode => "EXPECTEDDECODE",
            Flag::Verify => "EXPECTEDVERIFY",
            Flag::ExpirationCheck => "EXPECTEDEXPIRATIONCHECK",
            Flag::KeyUsage => "EXPECTEDKEYUSAGE",
            Flag::SchemaValidation => "EXPECTEDSCHEMAVALIDATION",
            Flag::ValidJson => "EXPECTEDVALIDJSON",
            Flag::ValidObject => "EXPECTEDVALIDOBJECT",
            Flag::Encode => "EXPECTEDENCODE",
        }
    }

    fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.key() == key)
    }

    /// The flag an upstream harness test name checks (`tests/known_issues.csv`).
    #[must_use]
    pub fn from_upstream_test(name: &str) -> Option<Self> {
        Some(match name {
            "test_cose_schema" => Flag::SchemaValidation,
            "test_cose_json" => Flag::Decode,
            "test_cbor_json" => Flag::ValidJson,
            "test_verification_check" => Flag::Verify,
            "test_expiration_check" => Flag::ExpirationCheck,
            "test_key_usage" => Flag::KeyUsage,
            "test_pic_decode" => Flag::PictureDecode,
            "test_unprefix" => Flag::Unprefix,
            "test_b45decode" => Flag::B45Decode,
            "test_compression" => Flag::Compression,
            _ => return None,
        })
    }
}

impl fmt::Display for Flag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// One row of upstream's known-issue list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownIssue {
    /// Upstream harness test name.
    pub test_name: String,
    /// Country folder.
    pub country: String,
    /// File stem, or empty for every file of the country.
    pub test_set: String,
    /// Why (usually an upstream issue link).
    pub reason: String,
}

/// Parses `UPSTREAM-known_issues.csv` (`test_name,country,test_set,reason`).
#[must_use]
pub fn parse_known_issues(csv: &str) -> Vec<KnownIssue> {
    csv.lines()
        .skip(1)
        .filter_map(|line| {
            let mut cols = line.splitn(4, ',');
            let test_name = cols.next()?.trim().to_owned();
            let country = cols.next()?.trim().to_owned();
            let test_set = cols.next()?.trim().to_owned();
            let reason = cols.next().unwrap_or_default().trim().to_owned();
            (!test_name.is_empty()).then_some(KnownIssue {
                test_name,
                country,
                test_set,
                reason,
            })
        })
        .collect()
}

/// The result of one flag on one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlagOutcome {
    /// The check gave the expected answer.
    Passed,
    /// The check gave the other answer.
    Failed {
        /// What the file expects.
        expected: bool,
        /// Why our check came out the other way (or what it found).
        detail: String,
    },
    /// The inputs the check needs are missing.
    Skipped(String),
}

/// One flag's result, with the known issue that covers it, if any.
#[derive(Debug, Clone)]
pub struct FlagResult {
    /// The flag.
    pub flag: Flag,
    /// The outcome.
    pub outcome: FlagOutcome,
    /// Set when upstream lists this flag of this file as a known issue.
    pub known_issue: Option<String>,
}

/// The results of one vector file.
#[derive(Debug, Clone)]
pub struct FileResult {
    /// Path (as given).
    pub path: String,
    /// Per-flag results.
    pub flags: Vec<FlagResult>,
    /// Keys in `EXPECTEDRESULTS` that are not flags (misspellings), reported not checked.
    pub unrecognised: Vec<String>,
    /// Set when the file itself could not be read.
    pub load_error: Option<String>,
}

/// Test-vector fields, tolerant of upstream's spelling variants.
struct Vector {
    json: Option<Value>,
    cbor: Option<String>,
    cose: Option<String>,
    compressed: Option<String>,
    base45: Option<String>,
    prefix: Option<String>,
    picture: Option<String>,
    certificate: Option<String>,
    clock: Option<String>,
}

fn text(v: &Value, keys: &[&str]) -> Option<String> {
    keys.iter()
        .find_map(|k| v.get(*k).and_then(Value::as_str))
        .map(str::to_owned)
}

/// Parses `VALIDATIONCLOCK`: RFC 3339, or ISO 8601 without a zone (taken as UTC).
#[must_use]
pub fn parse_clock(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(t.and_utc());
        }
    }
    None
}

/// Where the checks find their inputs: the file's own field, or derived from the stage
/// before it (the whole chain from `PREFIX`), as upstream's harness does.
struct Inputs<'a> {
    v: &'a Vector,
    schemas: Option<&'a SchemaSet>,
}

impl Inputs<'_> {
    fn base45_text(&self) -> Option<String> {
        self.v.base45.clone().or_else(|| {
            self.v
                .prefix
                .as_deref()
                .and_then(|p| codec::strip_prefix(p).ok().map(str::to_owned))
        })
    }
    fn compressed(&self) -> Result<Vec<u8>, String> {
        if let Some(h) = &self.v.compressed {
            return hex::decode(h.trim()).map_err(|e| format!("COMPRESSED is not hex: {e}"));
        }
        let b45 = self.base45_text().ok_or("no BASE45 or PREFIX")?;
        crate::base45::decode(&b45).map_err(|e| e.to_string())
    }
    fn cose(&self) -> Result<Vec<u8>, String> {
        if let Some(h) = &self.v.cose {
            return hex::decode(h.trim()).map_err(|e| format!("COSE is not hex: {e}"));
        }
        let z = self.compressed()?;
        codec::inflate(&z, codec::DEFAULT_MAX_INFLATED).map_err(|e| e.to_string())
    }
    fn has_cose_source(&self) -> bool {
        self.v.cose.is_some() || self.v.compressed.is_some() || self.base45_text().is_some()
    }
    fn decoded(&self) -> Result<(codec::CoseMessage, codec::Cwt), String> {
        let bytes = self.cose()?;
        let msg = codec::parse_cose(&bytes).map_err(|e| e.to_string())?;
        let cwt = codec::parse_cwt(msg.payload()).map_err(|e| e.to_string())?;
        Ok((msg, cwt))
    }
    fn dsc(&self) -> Result<TrustedCertificate, String> {
        let b64 = self.v.certificate.as_deref().ok_or("no CERTIFICATE")?;
        let der = base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .map_err(|e| format!("CERTIFICATE is not base64: {e}"))?;
        TrustedCertificate::from_der(&der, None).map_err(|e| e.to_string())
    }
    fn json_object(&self) -> Result<serde_json::Map<String, Value>, String> {
        match &self.v.json {
            Some(Value::Object(o)) => Ok(o.clone()),
            Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
                Ok(Value::Object(o)) => Ok(o),
                Ok(_) => Err("JSON is not an object".into()),
                Err(e) => Err(format!("JSON is not valid JSON: {e}")),
            },
            Some(_) => Err("JSON is not an object".into()),
            None => Err("no JSON".into()),
        }
    }
    /// The DCC inside the `CBOR` field, which holds either the bare DCC or the whole CWT.
    fn cbor_dcc(&self) -> Result<Value, String> {
        let hexed = self.v.cbor.as_deref().ok_or("no CBOR")?;
        let bytes = hex::decode(hexed.trim()).map_err(|e| format!("CBOR is not hex: {e}"))?;
        if let Ok(cwt) = codec::parse_cwt(&bytes) {
            return Ok(cwt.dcc);
        }
        let value: ciborium::value::Value =
            ciborium::de::from_reader(bytes.as_slice()).map_err(|e| e.to_string())?;
        codec::cbor_to_json(value).map_err(|e| e.to_string())
    }

    /// Runs one check: `Ok(Some(actual))`, or `Ok(None)` when it cannot run (skipped).
    fn check(&self, flag: Flag, clock: Option<DateTime<Utc>>) -> Result<Option<bool>, String> {
        let verdict = |r: Result<(), String>| -> Result<Option<bool>, String> {
            match r {
                Ok(()) => Ok(Some(true)),
                Err(e) => Err(e),
            }
        };
        match flag {
            Flag::Unprefix => {
                let Some(p) = &self.v.prefix else {
                    return Ok(None);
                };
                verdict(
                    codec::strip_prefix(p)
                        .map_err(|e| e.to_string())
                        .and_then(|rest| match &self.v.base45 {
                            Some(b) if b != rest => {
                                Err("PREFIX without HC1: differs from BASE45".into())
                            }
                            _ => Ok(()),
                        }),
                )
            }
            Flag::B45Decode => {
                let Some(b45) = self.base45_text() else {
                    return Ok(None);
                };
                let decoded = crate::base45::decode(&b45).map_err(|e| e.to_string())?;
                if let Some(h) = &self.v.compressed {
                    let want =
                        hex::decode(h.trim()).map_err(|e| format!("COMPRESSED is not hex: {e}"))?;
                    if want != decoded {
                        return Err("decoded BASE45 differs from COMPRESSED".into());
                    }
                }
                Ok(Some(true))
            }
            Flag::Compression => {
                if self.v.compressed.is_none() && self.base45_text().is_none() {
                    return Ok(None);
                }
                let z = self.compressed()?;
                let inflated =
                    codec::inflate(&z, codec::DEFAULT_MAX_INFLATED).map_err(|e| e.to_string())?;
                if let Some(h) = &self.v.cose {
                    let want =
                        hex::decode(h.trim()).map_err(|e| format!("COSE is not hex: {e}"))?;
                    if want != inflated {
                        return Err("inflated data differs from COSE".into());
                    }
                }
                Ok(Some(true))
            }
            Flag::Decode => {
                if !self.has_cose_source() {
                    return Ok(None);
                }
                let (_, cwt) = self.decoded()?;
                if self.v.json.is_some() {
                    let json = Value::Object(self.json_object()?);
                    if !json_equal(&cwt.dcc, &json) {
                        return Err("decoded hcert differs from JSON".into());
                    }
                }
                Ok(Some(true))
            }
            Flag::Verify => {
                if !self.has_cose_source() || self.v.certificate.is_none() {
                    return Ok(None);
                }
                let dsc = self.dsc()?;
                let bytes = self.cose()?;
                let msg = codec::parse_cose(&bytes).map_err(|e| e.to_string())?;
                let kid = msg.kid().ok_or("no kid")?;
                let mut trust = TrustList::new();
                trust.add(dsc);
                let candidates = trust.by_kid(kid);
                if candidates.is_empty() {
                    return Err("kid does not match the certificate".into());
                }
                verify::check_signature(&msg, candidates).map_err(|e| format!("{e}: {e:?}"))?;
                Ok(Some(true))
            }
            Flag::ExpirationCheck => {
                if !self.has_cose_source() || self.v.certificate.is_none() {
                    return Ok(None);
                }
                let Some(clock) = clock else { return Ok(None) };
                let dsc = self.dsc()?;
                let (_, cwt) = self.decoded()?;
                verify::check_expiry(&cwt, &dsc, clock.timestamp()).map_err(|e| e.to_string())?;
                Ok(Some(true))
            }
            Flag::KeyUsage => {
                if !self.has_cose_source() || self.v.certificate.is_none() {
                    return Ok(None);
                }
                let dsc = self.dsc()?;
                let (_, cwt) = self.decoded()?;
                verify::check_key_usage(&cwt.dcc, dsc.allowed_types())
                    .map_err(|e| e.to_string())?;
                Ok(Some(true))
            }
            Flag::SchemaValidation => {
                let Some(schemas) = self.schemas else {
                    return Ok(None);
                };
                let dcc = if self.has_cose_source() {
                    self.decoded()?.1.dcc
                } else if self.v.json.is_some() {
                    Value::Object(self.json_object()?)
                } else {
                    return Ok(None);
                };
                schemas.validate(&dcc).map_err(|e| e.to_string())?;
                Ok(Some(true))
            }
            Flag::ValidJson => {
                if self.v.json.is_none() {
                    return Ok(None);
                }
                let json = Value::Object(self.json_object()?);
                if self.v.cbor.is_some() {
                    let dcc = self.cbor_dcc()?;
                    if !json_equal(&dcc, &json) {
                        return Err("CBOR differs from JSON".into());
                    }
                }
                Ok(Some(true))
            }
            Flag::ValidObject => {
                if self.v.json.is_none() {
                    return Ok(None);
                }
                self.json_object()?;
                Ok(Some(true))
            }
            Flag::PictureDecode => {
                let (Some(png), Some(prefix)) = (&self.v.picture, &self.v.prefix) else {
                    return Ok(None);
                };
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(png.trim())
                    .map_err(|e| format!("2DCODE is not base64: {e}"))?;
                let text = crate::qr::decode_image(&bytes).map_err(|e| e.to_string())?;
                if &text != prefix {
                    return Err("QR content differs from PREFIX".into());
                }
                Ok(Some(true))
            }
            Flag::Encode => {
                if self.v.json.is_none() || self.v.cbor.is_none() {
                    return Ok(None);
                }
                let json = Value::Object(self.json_object()?);
                // Encode the JSON as CBOR, decode both with one decoder, compare (upstream
                // README note 2: map order is not significant).
                let ours = ciborium::value::Value::serialized(&json).map_err(|e| e.to_string())?;
                let ours = codec::cbor_to_json(ours).map_err(|e| e.to_string())?;
                let theirs = self.cbor_dcc()?;
                if !json_equal(&ours, &theirs) {
                    return Err("encoded JSON differs from CBOR".into());
                }
                Ok(Some(true))
            }
        }
    }
}

/// Derives the country folder of a vector path: the component before `2DCode` (skipping
/// a schema-version folder).
#[must_use]
pub fn country_of(path: &str) -> Option<String> {
    let parts: Vec<&str> = path.split(['/', '\\']).collect();
    let idx = parts
        .iter()
        .position(|p| p.eq_ignore_ascii_case("2DCode"))?;
    parts[..idx]
        .iter()
        .rev()
        .find(|p| crate::schema::Version::parse(p).is_none())
        .map(|s| (*s).to_owned())
}

/// Runs one vector file. `path` is used for the report and to match known issues.
#[must_use]
pub fn run_vector(
    path: &str,
    content: &str,
    schemas: Option<&SchemaSet>,
    known: &[KnownIssue],
) -> FileResult {
    let mut result = FileResult {
        path: path.to_owned(),
        flags: Vec::new(),
        unrecognised: Vec::new(),
        load_error: None,
    };
    let doc: Value = match serde_json::from_str(content) {
        Ok(d) => d,
        Err(e) => {
            result.load_error = Some(format!("not JSON: {e}"));
            return result;
        }
    };
    let ctx = doc.get("TESTCTX").cloned().unwrap_or(Value::Null);
    let vector = Vector {
        json: doc.get("JSON").cloned(),
        cbor: text(&doc, &["CBOR"]),
        cose: text(&doc, &["COSE"]),
        compressed: text(&doc, &["COMPRESSED"]),
        base45: text(&doc, &["BASE45"]),
        prefix: text(&doc, &["PREFIX"]),
        picture: text(&doc, &["2DCODE", "_2DCODE"]),
        certificate: text(&ctx, &["CERTIFICATE"]),
        clock: text(&ctx, &["VALIDATIONCLOCK", "validationClockInstant"]),
    };
    let clock = vector.clock.as_deref().and_then(parse_clock);
    let inputs = Inputs {
        v: &vector,
        schemas,
    };
    let country = country_of(path).unwrap_or_default();
    let stem = path
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .trim_end_matches(".json");

    let Some(Value::Object(expected)) = doc.get("EXPECTEDRESULTS") else {
        result.load_error = Some("no EXPECTEDRESULTS object".into());
        return result;
    };
    let mut flags: BTreeMap<Flag, bool> = BTreeMap::new();
    for (key, value) in expected {
        match (Flag::from_key(key), value.as_bool()) {
            (Some(flag), Some(b)) => {
                flags.insert(flag, b);
            }
            _ => result.unrecognised.push(key.clone()),
        }
    }
    for (flag, expected) in flags {
        let outcome = match inputs.check(flag, clock) {
            Ok(None) => FlagOutcome::Skipped("inputs missing".into()),
            Ok(Some(actual)) if actual == expected => FlagOutcome::Passed,
            Ok(Some(_)) => FlagOutcome::Failed {
                expected,
                detail: "check passed".into(),
            },
            Err(_) if !expected => FlagOutcome::Passed,
            Err(detail) => FlagOutcome::Failed { expected, detail },
        };
        let known_issue = known
            .iter()
            .find(|k| {
                Flag::from_upstream_test(&k.test_name) == Some(flag)
                    && k.country.eq_ignore_ascii_case(&country)
                    && (k.test_set.is_empty() || k.test_set == stem)
            })
            .map(|k| format!("{} ({})", k.reason, k.test_name));
        result.flags.push(FlagResult {
            flag,
            outcome,
            known_issue,
        });
    }
    result
}

/// Counts per flag.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FlagCounts {
    /// Passed.
    pub passed: usize,
    /// Failed.
    pub failed: usize,
    /// Skipped (inputs missing).
    pub skipped: usize,
    /// Covered by a known upstream issue (whatever the outcome).
    pub known: usize,
}

/// The results of a run over many files.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Every file's results.
    pub files: Vec<FileResult>,
}

impl Report {
    /// Per-flag counts; known-issue results go to `known` only.
    #[must_use]
    pub fn counts(&self) -> BTreeMap<Flag, FlagCounts> {
        let mut map: BTreeMap<Flag, FlagCounts> = BTreeMap::new();
        for file in &self.files {
            for r in &file.flags {
                let c = map.entry(r.flag).or_default();
                if r.known_issue.is_some() {
                    c.known += 1;
                    continue;
                }
                match r.outcome {
                    FlagOutcome::Passed => c.passed += 1,
                    FlagOutcome::Failed { .. } => c.failed += 1,
                    FlagOutcome::Skipped(_) => c.skipped += 1,
                }
            }
        }
        map
    }

    /// Checks passed (known issues excluded).
    #[must_use]
    pub fn passed(&self) -> usize {
        self.counts().values().map(|c| c.passed).sum()
    }

    /// Checks failed (known issues excluded) plus files that could not be read.
    #[must_use]
    pub fn failed(&self) -> usize {
        self.counts().values().map(|c| c.failed).sum::<usize>()
            + self.files.iter().filter(|f| f.load_error.is_some()).count()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "== files with failed flags")?;
        let mut any = false;
        for file in &self.files {
            if let Some(e) = &file.load_error {
                any = true;
                writeln!(f, "{}: cannot run: {e}", file.path)?;
            }
            for r in &file.flags {
                if let (FlagOutcome::Failed { expected, detail }, None) =
                    (&r.outcome, &r.known_issue)
                {
                    any = true;
                    writeln!(f, "{}: {} expected {expected}: {detail}", file.path, r.flag)?;
                }
            }
        }
        if !any {
            writeln!(f, "(none)")?;
        }
        writeln!(f, "== per flag")?;
        for (flag, c) in self.counts() {
            writeln!(
                f,
                "{:<26} passed {:>4}  failed {:>4}  skipped {:>4}  known-issue {:>3}",
                flag.key(),
                c.passed,
                c.failed,
                c.skipped,
                c.known
            )?;
        }
        writeln!(
            f,
            "== known upstream issues (not counted as passed or failed)"
        )?;
        let mut any_known = false;
        for file in &self.files {
            for r in &file.flags {
                if let Some(reason) = &r.known_issue {
                    any_known = true;
                    let status = match &r.outcome {
                        FlagOutcome::Passed => "passes anyway".to_owned(),
                        FlagOutcome::Failed { expected, detail } => {
                            format!("fails (expected {expected}: {detail})")
                        }
                        FlagOutcome::Skipped(why) => format!("skipped ({why})"),
                    };
                    writeln!(f, "{}: {}: {status}; upstream: {reason}", file.path, r.flag)?;
                }
            }
        }
        if !any_known {
            writeln!(f, "(none)")?;
        }
        let unrecognised: Vec<String> = self
            .files
            .iter()
            .flat_map(|file| {
                file.unrecognised
                    .iter()
                    .map(move |k| format!("{}: {k}", file.path))
            })
            .collect();
        if !unrecognised.is_empty() {
            writeln!(f, "== unrecognised EXPECTEDRESULTS keys (not checked)")?;
            for u in unrecognised {
                writeln!(f, "{u}")?;
            }
        }
        write!(f, "{} passed, {} failed", self.passed(), self.failed())
    }
}
