//! The EU DCC value sets a register record is checked against (test type, result,
//! manufacturer, vaccine/prophylaxis, product, marketing authorisation holder, disease,
//! country), through the certificate library's [`ValueSets`]: the same tables the
//! verifier reports against, so a record accepted here never makes a pass with an
//! unknown code.

use certificate::valuesets::{IssueKind, ValueSets};
use serde_json::json;

/// The value-set ids a record needs; the service refuses to start without them.
pub const REQUIRED: &[&str] = &[
    "disease-agent-targeted",
    "covid-19-lab-test-type",
    "covid-19-lab-result",
    "covid-19-lab-test-manufacturer-and-name",
    "sct-vaccines-covid-19",
    "vaccines-covid-19-names",
    "vaccines-covid-19-auth-holders",
    "country-2-codes",
];

/// Loaded value sets with every required set present.
#[derive(Debug, Clone)]
pub struct Codes {
    sets: ValueSets,
}

/// A value set the service needs is missing.
#[derive(Debug, thiserror::Error)]
#[error("value set {0} is not loaded")]
pub struct MissingValueSet(pub String);

impl Codes {
    /// Wraps loaded value sets, checking that every [`REQUIRED`] set is there.
    pub fn new(sets: ValueSets) -> Result<Self, MissingValueSet> {
        for id in REQUIRED {
            if !sets.ids().any(|i| i == *id) {
                return Err(MissingValueSet((*id).to_owned()));
            }
        }
        Ok(Self { sets })
    }

    /// The value sets as CertLogic rules read them (`external.valueSets`).
    pub fn to_certlogic(&self) -> serde_json::Value {
        serde_json::json!(self.sets.to_certlogic())
    }

    /// Problems with the coded fields of a test, as `(field, message)`.
    pub fn check_test(
        &self,
        disease: &str,
        test_type: &str,
        result: &str,
        manufacturer: Option<&str>,
        country: &str,
    ) -> Vec<(&'static str, String)> {
        let mut entry = json!({"tg": disease, "tt": test_type, "tr": result, "co": country});
        if let Some(ma) = manufacturer {
            entry["ma"] = json!(ma);
        }
        self.findings(&json!({ "t": [entry] }))
    }

    /// Problems with the coded fields of a vaccination, as `(field, message)`.
    pub fn check_vaccination(
        &self,
        disease: &str,
        vaccine: &str,
        product: &str,
        manufacturer: &str,
        country: &str,
    ) -> Vec<(&'static str, String)> {
        let entry =
            json!({"tg": disease, "vp": vaccine, "mp": product, "ma": manufacturer, "co": country});
        self.findings(&json!({ "v": [entry] }))
    }

    fn findings(&self, dcc: &serde_json::Value) -> Vec<(&'static str, String)> {
        self.sets
            .check(dcc)
            .into_iter()
            .map(|issue| {
                let field = field_name(&issue.path);
                let what = match issue.kind {
                    IssueKind::Unknown => "is not in",
                    IssueKind::Inactive => "is no longer active in",
                    IssueKind::NotACode => "is not a code of",
                };
                (
                    field,
                    format!(
                        "code {:?} {what} the value set {}",
                        issue.code, issue.value_set
                    ),
                )
            })
            .collect()
    }
}

/// Our field name for a payload path like `t[0].tt`.
fn field_name(path: &str) -> &'static str {
    let (group, field) = path.split_once("].").unwrap_or(("", path));
    match (group.starts_with('t'), field) {
        (_, "tg") => "disease",
        (true, "tt") => "test_type",
        (true, "tr") => "result",
        (_, "ma") => "manufacturer",
        (_, "vp") => "vaccine",
        (_, "mp") => "product",
        (_, "co") => "country",
        _ => "code",
    }
}
