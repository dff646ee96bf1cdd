//! Whether a record makes a pass, and until when, from CertLogic acceptance rules (data:
//! `rules/eu/` for the EU DCCs, `rules/domestic/` for the Danish domestic pass; one
//! mechanism for both): a payload qualifies when at least one rule applies to its type
//! and every applicable rule passes now; it stays valid until the last second at which
//! they all still pass. Pure: rules, payload and clock come in.

use certlogic::rules::{Rule, RuleType};
use chrono::{DateTime, Duration, Utc};

/// A set of acceptance rules (EU or domestic) with the fixed part of their `external` data.
#[derive(Debug, Clone)]
pub struct ValidityRules {
    rules: Vec<Rule>,
    /// `external` without `validationClock` (country, value sets).
    external: serde_json::Value,
}

impl ValidityRules {
    /// Rules for passes of `country`; `value_sets` fills `external.valueSets`.
    pub fn new(rules: Vec<Rule>, country: &str, value_sets: serde_json::Value) -> Self {
        let external = serde_json::json!({
            "countryCode": country,
            "issuerCountryCode": country,
            "valueSets": value_sets,
        });
        Self { rules, external }
    }

    /// How many rules are loaded.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// True when no rule is loaded (then nothing qualifies).
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// When a DCC payload (`{"v": [...]}`, `{"t": [...]}` or `{"r": [...]}`) stops being
    /// accepted, if it is accepted at `now`: the last second at or before `horizon` at
    /// which every applicable rule still passes. Rules are chosen by their type and
    /// validity at `now` and are expected to accept on one interval of time.
    pub fn valid_until(
        &self,
        payload: &serde_json::Value,
        now: DateTime<Utc>,
        horizon: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        let group = ["v", "t", "r"]
            .into_iter()
            .find(|g| payload.get(*g).is_some())?;
        let applicable: Vec<&Rule> = self
            .rules
            .iter()
            .filter(|r| r.rule_type == RuleType::Acceptance && r.applies_to(group, now))
            .collect();
        if applicable.is_empty() || horizon < now {
            return None;
        }
        // One copy of `external` (it holds the value sets) per call; only the clock
        // changes between evaluations.
        let external = std::cell::RefCell::new(self.external.clone());
        let accepts = |at: DateTime<Utc>| {
            let mut external = external.borrow_mut();
            external["validationClock"] =
                serde_json::Value::String(at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
            applicable.iter().all(|r| {
                matches!(
                    r.evaluate_json(&external, payload),
                    Ok(serde_json::Value::Bool(true))
                )
            })
        };
        // Whole seconds: `exp` is a NumericDate in seconds.
        let now = DateTime::from_timestamp(now.timestamp(), 0)?;
        let horizon = DateTime::from_timestamp(horizon.timestamp(), 0)?;
        if !accepts(now) {
            return None;
        }
        if accepts(horizon) {
            return Some(horizon);
        }
        // accepts(lo) && !accepts(hi): bisect to the second.
        let (mut lo, mut hi) = (now, horizon);
        while hi - lo > Duration::seconds(1) {
            let mid = lo + (hi - lo) / 2;
            let mid = DateTime::from_timestamp(mid.timestamp(), 0)?;
            if accepts(mid) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        Some(lo)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rules() -> ValidityRules {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/rules/domestic");
        let rules = crate::service::verifier::load_rule_set(dir).unwrap();
        assert_eq!(rules.len(), 3);
        ValidityRules::new(rules, "DK", json!({}))
    }

    fn eu_rules() -> ValidityRules {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/rules/eu");
        let rules = crate::service::verifier::load_rule_set(dir).unwrap();
        assert_eq!(rules.len(), 3);
        ValidityRules::new(rules, "DK", json!({}))
    }

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn vaccination(dn: u8, sd: u8, dt: &str) -> serde_json::Value {
        json!({"ver": "1.3.0", "v": [{"tg": "840539006", "vp": "1119349007", "mp": "EU/1/20/1528",
               "ma": "ORG-100030215", "dn": dn, "sd": sd, "dt": dt, "co": "DK", "is": "SDS",
               "ci": "URN:UVCI:01:DK:X"}]})
    }

    fn test(tt: &str, tr: &str, sc: &str) -> serde_json::Value {
        json!({"ver": "1.3.0", "t": [{"tg": "840539006", "tt": tt, "tr": tr, "sc": sc,
               "tc": "Testcenter", "co": "DK", "is": "SDS", "ci": "URN:UVCI:01:DK:Y"}]})
    }

    #[test]
    fn a_complete_vaccination_counts_from_day_14_for_365_days() {
        let r = rules();
        let horizon = at("2023-01-01T00:00:00Z");
        let v = vaccination(2, 2, "2021-06-01");
        assert_eq!(r.valid_until(&v, at("2021-06-14T23:59:59Z"), horizon), None);
        assert_eq!(
            r.valid_until(&v, at("2021-06-15T00:00:00Z"), horizon),
            Some(at("2022-06-01T00:00:00Z"))
        );
        assert_eq!(r.valid_until(&v, at("2022-06-01T00:00:01Z"), horizon), None);
        // An incomplete series makes no domestic pass.
        assert_eq!(
            r.valid_until(
                &vaccination(1, 2, "2021-06-01"),
                at("2021-07-01T00:00:00Z"),
                horizon
            ),
            None
        );
        // The horizon (and so the DSC's end) caps the validity.
        let short = at("2021-08-01T12:00:00Z");
        assert_eq!(
            r.valid_until(&v, at("2021-07-01T00:00:00Z"), short),
            Some(short)
        );
    }

    #[test]
    fn a_negative_test_counts_72_hours_for_pcr_and_48_for_antigen() {
        let r = rules();
        let horizon = at("2022-01-01T00:00:00Z");
        let now = at("2021-06-01T12:00:00Z");
        let pcr = test("LP6464-4", "260415000", "2021-06-01T10:00:00Z");
        assert_eq!(
            r.valid_until(&pcr, now, horizon),
            Some(at("2021-06-04T10:00:00Z"))
        );
        let rat = test("LP217198-3", "260415000", "2021-06-01T10:00:00Z");
        assert_eq!(
            r.valid_until(&rat, now, horizon),
            Some(at("2021-06-03T10:00:00Z"))
        );
        let positive = test("LP6464-4", "260373001", "2021-06-01T10:00:00Z");
        assert_eq!(r.valid_until(&positive, now, horizon), None);
    }

    #[test]
    fn a_recovery_counts_to_the_end_of_its_last_day() {
        let r = rules();
        let rec = json!({"ver": "1.3.0", "r": [{"tg": "840539006", "fr": "2021-03-01",
            "df": "2021-03-12", "du": "2021-08-28", "co": "DK", "is": "SDS", "ci": "URN:UVCI:01:DK:Z"}]});
        let horizon = at("2022-01-01T00:00:00Z");
        assert_eq!(
            r.valid_until(&rec, at("2021-03-11T12:00:00Z"), horizon),
            None
        );
        assert_eq!(
            r.valid_until(&rec, at("2021-03-12T00:00:00Z"), horizon),
            Some(at("2021-08-28T23:59:59Z"))
        );
    }

    #[test]
    fn without_an_applicable_rule_nothing_qualifies() {
        let none = ValidityRules::new(Vec::new(), "DK", json!({}));
        let v = vaccination(2, 2, "2021-06-01");
        let now = at("2021-07-01T00:00:00Z");
        assert_eq!(none.valid_until(&v, now, at("2022-01-01T00:00:00Z")), None);
        // The rules themselves are only in force from their ValidFrom (2021-01-01).
        let early = vaccination(2, 2, "2020-11-01");
        let horizon = at("2022-01-01T00:00:00Z");
        assert_eq!(
            rules().valid_until(&early, at("2020-12-31T00:00:00Z"), horizon),
            None
        );
        assert!(rules()
            .valid_until(&early, at("2021-01-02T00:00:00Z"), horizon)
            .is_some());
        assert_eq!(rules().valid_until(&json!({"x": 1}), now, now), None);
    }

    #[test]
    fn eu_vaccination_passes_last_365_days_from_the_dose_whatever_the_series() {
        let r = eu_rules();
        let horizon = at("2023-01-01T00:00:00Z");
        // A first dose makes an EU pass too (it says "1/2"); the domestic rule wants 2/2.
        for v in [
            vaccination(1, 2, "2021-06-01"),
            vaccination(2, 2, "2021-06-01"),
        ] {
            assert_eq!(
                r.valid_until(&v, at("2021-06-01T08:00:00Z"), horizon),
                Some(at("2022-06-01T00:00:00Z"))
            );
            assert_eq!(r.valid_until(&v, at("2022-06-01T00:00:01Z"), horizon), None);
        }
        assert!(rules()
            .valid_until(
                &vaccination(1, 2, "2021-06-01"),
                at("2021-07-01T00:00:00Z"),
                horizon
            )
            .is_none());
    }

    #[test]
    fn eu_test_passes_depend_on_the_test_type_and_need_a_negative_result() {
        let r = eu_rules();
        let horizon = at("2022-01-01T00:00:00Z");
        let now = at("2021-06-01T12:00:00Z");
        let sc = "2021-06-01T10:00:00Z";
        assert_eq!(
            r.valid_until(&test("LP6464-4", "260415000", sc), now, horizon),
            Some(at("2021-06-04T10:00:00Z"))
        );
        assert_eq!(
            r.valid_until(&test("LP217198-3", "260415000", sc), now, horizon),
            Some(at("2021-06-03T10:00:00Z"))
        );
        assert_eq!(
            r.valid_until(&test("LP6464-4", "260373001", sc), now, horizon),
            None
        );
        assert_eq!(
            r.valid_until(
                &test("LP217198-3", "260415000", sc),
                at("2021-06-03T10:00:01Z"),
                horizon
            ),
            None
        );
    }

    #[test]
    fn eu_recovery_passes_run_from_df_to_the_end_of_du() {
        let r = eu_rules();
        let rec = json!({"ver": "1.3.0", "r": [{"tg": "840539006", "fr": "2021-03-01",
            "df": "2021-03-12", "du": "2021-08-28", "co": "DK", "is": "SDS", "ci": "URN:UVCI:01:DK:Z"}]});
        let horizon = at("2022-01-01T00:00:00Z");
        assert_eq!(
            r.valid_until(&rec, at("2021-03-11T23:59:59Z"), horizon),
            None
        );
        assert_eq!(
            r.valid_until(&rec, at("2021-03-12T00:00:00Z"), horizon),
            Some(at("2021-08-28T23:59:59Z"))
        );
        assert_eq!(
            r.valid_until(&rec, at("2021-08-29T00:00:00Z"), horizon),
            None
        );
    }
}
