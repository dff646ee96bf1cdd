//! EU DCC business rules: the rule document the DCC Gateway distributes (Identifier, Type,
//! Country, ..., Logic), the `external` parameters a rule reads besides the certificate's
//! payload, and running a rule on a payload.
//!
//! The data a rule's `Logic` sees is `{ "payload": <DCC payload>, "external": { ... } }`;
//! the external object carries `validationClock`, `valueSets`, `countryCode`, `exp`, `iat`,
//! `issuerCountryCode`, `kid` and `region` (the names used by the EU verifier apps and the
//! business-rule test data). No I/O here.

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::error::show;
use crate::Error;

/// Whether a rule accepts certificates or invalidates them (gateway field `Type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RuleType {
    /// A rule of the country of arrival: the certificate must satisfy it.
    Acceptance,
    /// A rule of the issuing country: a certificate failing it is no longer valid.
    Invalidation,
}

/// One translation of a rule's description.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Description {
    /// ISO 639-1 language code.
    pub lang: String,
    /// The text.
    pub desc: String,
}

/// An EU DCC business rule, as JSON from the DCC Gateway or a rule folder's `rule.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Rule {
    /// E.g. `VR-DK-0001`: type prefix (GR, VR, TR, RR, IR), country, number.
    pub identifier: String,
    /// Acceptance or invalidation.
    #[serde(rename = "Type")]
    pub rule_type: RuleType,
    /// ISO 3166 alpha-2 country code of the rule's owner.
    pub country: String,
    /// Optional region within the country.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Semantic version of the rule.
    pub version: String,
    /// Version of the DCC schema the rule is written for.
    pub schema_version: String,
    /// The rule language; must be `CERTLOGIC` to be evaluated here.
    pub engine: String,
    /// Version of the CertLogic engine the rule was written for.
    pub engine_version: String,
    /// `General`, `Vaccination`, `Test` or `Recovery`.
    pub certificate_type: String,
    /// Human-readable descriptions, one per language.
    pub description: Vec<Description>,
    /// First instant at which the rule applies.
    pub valid_from: DateTime<Utc>,
    /// Last instant at which the rule applies.
    pub valid_to: DateTime<Utc>,
    /// Payload fields the rule reads, relative to the certificate group (e.g. `v.0.dt`).
    pub affected_fields: Vec<String>,
    /// The CertLogic expression.
    pub logic: Value,
}

/// The values a rule reads from `external`, besides the certificate's payload.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExternalParams {
    /// The instant of verification, `external.validationClock`.
    pub validation_clock: DateTime<Utc>,
    /// Value sets by id (e.g. `country-2-codes`) to the codes they allow,
    /// `external.valueSets`.
    pub value_sets: BTreeMap<String, Vec<String>>,
    /// Country of arrival (the verifier's country), `external.countryCode`.
    pub country_code: String,
    /// Expiry of the certificate (CWT `exp`), `external.exp`.
    pub exp: Option<DateTime<Utc>>,
    /// Issuance of the certificate (CWT `iat`), `external.iat`.
    pub iat: Option<DateTime<Utc>>,
    /// Issuing country (CWT `iss`), `external.issuerCountryCode`.
    pub issuer_country_code: String,
    /// Key id of the signing certificate, base64, `external.kid`.
    pub kid: Option<String>,
    /// Region within the country of arrival, `external.region`.
    pub region: Option<String>,
}

fn timestamp(t: &DateTime<Utc>) -> Value {
    // Millisecond precision with `Z`: one of the formats `plusTime` accepts.
    Value::String(t.to_rfc3339_opts(SecondsFormat::Millis, true))
}

impl ExternalParams {
    /// Parameters for a verification at `validation_clock` in `country_code`, with no value
    /// sets and no certificate metadata yet.
    pub fn new(validation_clock: DateTime<Utc>, country_code: impl Into<String>) -> Self {
        ExternalParams {
            validation_clock,
            country_code: country_code.into(),
            ..ExternalParams::default()
        }
    }

    /// The `external` object the rules read. Absent optional values are left out, which a
    /// `var` reads as `null`.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("validationClock".into(), timestamp(&self.validation_clock));
        m.insert("valueSets".into(), json!(self.value_sets));
        m.insert("countryCode".into(), json!(self.country_code));
        m.insert("issuerCountryCode".into(), json!(self.issuer_country_code));
        if let Some(exp) = &self.exp {
            m.insert("exp".into(), timestamp(exp));
        }
        if let Some(iat) = &self.iat {
            m.insert("iat".into(), timestamp(iat));
        }
        if let Some(kid) = &self.kid {
            m.insert("kid".into(), json!(kid));
        }
        if let Some(region) = &self.region {
            m.insert("region".into(), json!(region));
        }
        Value::Object(m)
    }
}

impl Rule {
    /// Parses a rule from its JSON text.
    pub fn from_json_str(text: &str) -> Result<Rule, Error> {
        serde_json::from_str(text).map_err(|e| Error::InvalidRule(e.to_string()))
    }

    /// Parses a rule from a JSON value.
    pub fn from_json(value: &Value) -> Result<Rule, Error> {
        Rule::deserialize(value).map_err(|e| Error::InvalidRule(e.to_string()))
    }

    /// Runs the rule on `payload` with the given external parameters: `Ok(true)` if the
    /// certificate passes, `Ok(false)` if it fails. An error (the rule is not CertLogic,
    /// its logic is invalid, a type mismatch, or a non-boolean result) means the rule could
    /// not decide; callers treat that as "not passed" (SPECIFICATION.md, "Introduction":
    /// "return `false` result if that happens when evaluating a validation rule").
    ///
    /// This builds the `external` object (value sets included) on every call; to run many
    /// rules on one certificate, build it once with [`ExternalParams::to_json`] and call
    /// [`Rule::evaluate_json`].
    pub fn evaluate(&self, external: &ExternalParams, payload: &Value) -> Result<bool, Error> {
        let result = self.evaluate_json(&external.to_json(), payload)?;
        match result {
            Value::Bool(b) => Ok(b),
            other => Err(Error::NonBooleanResult(show(&other))),
        }
    }

    /// Runs the rule's logic on `{ "payload": payload, "external": external }` and returns
    /// the raw result, for callers (like the rule-test runner) that hold `external` as JSON.
    pub fn evaluate_json(&self, external: &Value, payload: &Value) -> Result<Value, Error> {
        if !self.engine.eq_ignore_ascii_case("CERTLOGIC") {
            return Err(Error::InvalidRule(format!(
                "{}: engine {:?} is not CERTLOGIC",
                self.identifier, self.engine
            )));
        }
        crate::evaluate_on_fields(&self.logic, &[("payload", payload), ("external", external)])
    }

    /// Whether the rule applies to a certificate of `certificate_type` verified at `at`:
    /// the type matches (case-insensitively; `General` rules apply to every type, and the
    /// payload group letters `v`, `t`, `r` are accepted for the three types) and
    /// `ValidFrom <= at <= ValidTo`.
    pub fn applies_to(&self, certificate_type: &str, at: DateTime<Utc>) -> bool {
        let wanted = match certificate_type.to_ascii_lowercase().as_str() {
            "v" => "vaccination".to_owned(),
            "t" => "test".to_owned(),
            "r" => "recovery".to_owned(),
            other => other.to_owned(),
        };
        let rule_type = self.certificate_type.to_ascii_lowercase();
        (rule_type == "general" || rule_type == wanted)
            && self.valid_from <= at
            && at <= self.valid_to
    }
}

/// Reads value sets into the map [`ExternalParams::value_sets`] wants. Accepts the
/// compressed form of the business-rule test data (`{ "<id>": ["<code>", ...] }`), a single
/// EU value-set document (`{ "valueSetId": ..., "valueSetValues": { "<code>": {...} } }`), an
/// array of such documents, or an object whose values are such documents.
pub fn value_sets_from_json(value: &Value) -> Result<BTreeMap<String, Vec<String>>, Error> {
    fn bad(what: &str) -> Error {
        Error::InvalidRule(format!("value sets: {what}"))
    }
    fn add_document(sets: &mut BTreeMap<String, Vec<String>>, doc: &Value) -> Result<(), Error> {
        let id = doc
            .get("valueSetId")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("document without a string valueSetId"))?;
        let values = doc
            .get("valueSetValues")
            .and_then(Value::as_object)
            .ok_or_else(|| bad("document without an object valueSetValues"))?;
        sets.insert(id.to_owned(), values.keys().cloned().collect());
        Ok(())
    }
    let mut sets = BTreeMap::new();
    match value {
        Value::Array(docs) => {
            for doc in docs {
                add_document(&mut sets, doc)?;
            }
        }
        Value::Object(m) if m.contains_key("valueSetId") => add_document(&mut sets, value)?,
        Value::Object(m) => {
            for (id, v) in m {
                match v {
                    Value::Array(codes) => {
                        let codes = codes
                            .iter()
                            .map(|c| c.as_str().map(str::to_owned))
                            .collect::<Option<Vec<_>>>()
                            .ok_or_else(|| bad("a code that is not a string"))?;
                        sets.insert(id.clone(), codes);
                    }
                    Value::Object(_) => add_document(&mut sets, v)?,
                    _ => return Err(bad("neither a list of codes nor a document")),
                }
            }
        }
        _ => return Err(bad("not an object or array")),
    }
    Ok(sets)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn rule(logic: Value, certificate_type: &str) -> Rule {
        Rule::from_json(&json!({
            "Identifier": "VR-XX-0001", "Type": "Acceptance", "Country": "XX",
            "Version": "1.0.0", "SchemaVersion": "1.3.0", "Engine": "CERTLOGIC",
            "EngineVersion": "1.0.0", "CertificateType": certificate_type,
            "Description": [{ "lang": "en", "desc": "test" }],
            "ValidFrom": "2021-06-01T00:00:00Z", "ValidTo": "2030-06-01T00:00:00+02:00",
            "AffectedFields": ["v.0.dt"], "Logic": logic
        }))
        .unwrap()
    }

    #[test]
    fn external_params_reach_the_logic() {
        let r = rule(
            json!({ "and": [
                { "in": [{ "var": "payload.v.0.co" }, { "var": "external.valueSets.country-2-codes" }] },
                { "===": [{ "var": "external.countryCode" }, "DK"] },
                { "===": [{ "var": "external.issuerCountryCode" }, "SE"] },
                { "===": [{ "var": "external.kid" }, "a2lk"] },
                { "not-before": [
                    { "plusTime": [{ "var": "external.validationClock" }, 0, "day"] },
                    { "plusTime": [{ "var": "external.iat" }, 0, "day"] } ] },
                { "before": [
                    { "plusTime": [{ "var": "external.validationClock" }, 0, "day"] },
                    { "plusTime": [{ "var": "external.exp" }, 0, "day"] } ] }
            ]}),
            "Vaccination",
        );
        let clock = Utc.with_ymd_and_hms(2022, 3, 1, 12, 0, 0).unwrap();
        let mut external = ExternalParams::new(clock, "DK");
        external
            .value_sets
            .insert("country-2-codes".into(), vec!["DK".into(), "SE".into()]);
        external.issuer_country_code = "SE".into();
        external.kid = Some("a2lk".into());
        external.iat = Some(Utc.with_ymd_and_hms(2022, 1, 1, 0, 0, 0).unwrap());
        external.exp = Some(Utc.with_ymd_and_hms(2023, 1, 1, 0, 0, 0).unwrap());
        let payload = json!({ "v": [{ "co": "SE" }] });
        assert_eq!(r.evaluate(&external, &payload), Ok(true));
        let payload = json!({ "v": [{ "co": "XX" }] });
        assert_eq!(r.evaluate(&external, &payload), Ok(false));
        external.exp = Some(Utc.with_ymd_and_hms(2022, 2, 1, 0, 0, 0).unwrap());
        let payload = json!({ "v": [{ "co": "SE" }] });
        assert_eq!(r.evaluate(&external, &payload), Ok(false));
    }

    #[test]
    fn non_boolean_results_and_other_engines_are_errors() {
        let external = ExternalParams::default();
        let r = rule(json!({ "var": "payload.x" }), "General");
        assert!(matches!(
            r.evaluate(&external, &json!({ "x": 1 })),
            Err(Error::NonBooleanResult(_))
        ));
        let mut r = rule(json!(true), "General");
        assert_eq!(r.evaluate(&external, &json!({})), Ok(true));
        r.engine = "JSONLOGIC".into();
        assert!(matches!(
            r.evaluate(&external, &json!({})),
            Err(Error::InvalidRule(_))
        ));
    }

    #[test]
    fn applies_to_checks_type_and_validity_window() {
        let at = Utc.with_ymd_and_hms(2022, 1, 1, 0, 0, 0).unwrap();
        let v = rule(json!(true), "Vaccination");
        assert!(v.applies_to("Vaccination", at));
        assert!(v.applies_to("vaccination", at));
        assert!(v.applies_to("v", at));
        assert!(!v.applies_to("Test", at));
        let g = rule(json!(true), "General");
        assert!(g.applies_to("Recovery", at));
        assert!(g.applies_to("Test", at));
        let before = Utc.with_ymd_and_hms(2021, 5, 31, 23, 59, 59).unwrap();
        assert!(!g.applies_to("Test", before));
        // ValidTo is 2030-06-01T00:00:00+02:00, i.e. 2030-05-31T22:00:00Z.
        let last = Utc.with_ymd_and_hms(2030, 5, 31, 22, 0, 0).unwrap();
        assert!(g.applies_to("Test", last));
        assert!(!g.applies_to("Test", last + chrono::Duration::seconds(1)));
    }

    #[test]
    fn value_sets_in_both_shapes() {
        let compressed = json!({ "a": ["1", "2"], "b": [] });
        let sets = value_sets_from_json(&compressed).unwrap();
        assert_eq!(sets["a"], vec!["1", "2"]);
        let doc = json!({ "valueSetId": "c", "valueSetDate": "2021-01-01",
                          "valueSetValues": { "x": { "display": "X" }, "y": {} } });
        let sets = value_sets_from_json(&json!([doc])).unwrap();
        assert_eq!(sets["c"], vec!["x", "y"]);
        assert!(value_sets_from_json(&json!({ "a": [1] })).is_err());
        assert!(value_sets_from_json(&json!(3)).is_err());
    }
}
