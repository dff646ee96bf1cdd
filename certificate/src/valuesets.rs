//! Value-set membership of a DCC's coded fields, reported apart from schema validation:
//! the schema only annotates coded fields with a `valueset-uri`, and value sets change
//! over time (deprecated codes stay listed with `active: false`). Pure: documents are
//! handed in as JSON.

use std::collections::HashMap;

use serde_json::Value;

/// Why value sets could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ValueSetLoadError {
    /// A document is not a value set (`valueSetId` and `valueSetValues` required).
    #[error("not a value-set document")]
    NotAValueSet,
}

/// What is wrong with one coded field.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum IssueKind {
    /// The code is not in the value set.
    Unknown,
    /// The code is listed but no longer active.
    Inactive,
    /// The field is not a string.
    NotACode,
}

/// One value-set finding.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ValueSetIssue {
    /// Where, e.g. `v[0].mp`.
    pub path: String,
    /// The value set's id.
    pub value_set: String,
    /// The code found (codes are public identifiers, not personal data).
    pub code: String,
    /// What is wrong.
    pub kind: IssueKind,
    /// True when the value set is only an example (the RAT device list is published
    /// through the DCC Gateway, not in the value-set repository).
    pub advisory: bool,
}

/// The value set of each coded field (eHN value-set guidelines; PROVENANCE table).
const FIELDS: &[(&str, &str, &str)] = &[
    ("v", "tg", "disease-agent-targeted"),
    ("v", "vp", "sct-vaccines-covid-19"),
    ("v", "mp", "vaccines-covid-19-names"),
    ("v", "ma", "vaccines-covid-19-auth-holders"),
    ("v", "co", "country-2-codes"),
    ("t", "tg", "disease-agent-targeted"),
    ("t", "tt", "covid-19-lab-test-type"),
    ("t", "tr", "covid-19-lab-result"),
    ("t", "ma", "covid-19-lab-test-manufacturer-and-name"),
    ("t", "co", "country-2-codes"),
    ("r", "tg", "disease-agent-targeted"),
    ("r", "co", "country-2-codes"),
];

/// Value sets that are examples only.
const ADVISORY: &[&str] = &["covid-19-lab-test-manufacturer-and-name"];

/// Loaded value sets: id → code → active.
#[derive(Debug, Clone, Default)]
pub struct ValueSets {
    sets: HashMap<String, HashMap<String, bool>>,
}

impl ValueSets {
    /// No value sets.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a value-set document (`{valueSetId, valueSetValues: {code: {active,...}}}`).
    pub fn add(&mut self, doc: &Value) -> Result<(), ValueSetLoadError> {
        let id = doc
            .get("valueSetId")
            .and_then(Value::as_str)
            .ok_or(ValueSetLoadError::NotAValueSet)?;
        let values = doc
            .get("valueSetValues")
            .and_then(Value::as_object)
            .ok_or(ValueSetLoadError::NotAValueSet)?;
        let codes = values
            .iter()
            .map(|(code, v)| {
                let active = v.get("active").and_then(Value::as_bool).unwrap_or(true);
                (code.clone(), active)
            })
            .collect();
        self.sets.insert(id.to_owned(), codes);
        Ok(())
    }

    /// The ids loaded.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.sets.keys().map(String::as_str)
    }

    /// Checks every coded field of a DCC whose value set is loaded.
    #[must_use]
    pub fn check(&self, dcc: &Value) -> Vec<ValueSetIssue> {
        let mut issues = Vec::new();
        for (group, field, set_id) in FIELDS {
            let Some(set) = self.sets.get(*set_id) else {
                continue;
            };
            let Some(entries) = dcc.get(*group).and_then(Value::as_array) else {
                continue;
            };
            for (i, entry) in entries.iter().enumerate() {
                let Some(value) = entry.get(*field) else {
                    continue;
                };
                let path = format!("{group}[{i}].{field}");
                let advisory = ADVISORY.contains(set_id);
                let (code, kind) = match value.as_str() {
                    None => (value.to_string(), Some(IssueKind::NotACode)),
                    Some(code) => match set.get(code) {
                        None => (code.to_owned(), Some(IssueKind::Unknown)),
                        Some(false) => (code.to_owned(), Some(IssueKind::Inactive)),
                        Some(true) => (code.to_owned(), None),
                    },
                };
                if let Some(kind) = kind {
                    issues.push(ValueSetIssue {
                        path,
                        value_set: (*set_id).to_owned(),
                        code,
                        kind,
                        advisory,
                    });
                }
            }
        }
        issues
    }

    /// The `valueSets` external parameter of CertLogic rules: id → list of codes.
    #[must_use]
    pub fn to_certlogic(&self) -> std::collections::BTreeMap<String, Vec<String>> {
        self.sets
            .iter()
            .map(|(id, codes)| {
                let mut list: Vec<String> = codes.keys().cloned().collect();
                list.sort();
                (id.clone(), list)
            })
            .collect()
    }
}
