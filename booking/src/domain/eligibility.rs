//! Cohorts as data: objective criteria an authority can read and change, turned into
//! one set-based SQL condition over the population register.
//!
//! Criteria combine with AND; lists inside a criterion combine with OR ("any of these
//! municipalities"). An empty cohort definition is refused: it would invite everyone by
//! accident.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::municipality::{all as municipalities, MunicipalityCode, Region};

/// Age in whole years on a reference date (CPR birth date).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgeRange {
    /// At least this old.
    pub min: Option<u32>,
    /// At most this old.
    pub max: Option<u32>,
    /// The day the age is counted on.
    #[schema(value_type = String, format = Date)]
    pub on: NaiveDate,
}

/// "Dose N given at least D days ago" from the vaccination register: the citizen's latest
/// active vaccination record is dose `dose`, given at least `days_ago` days before the
/// day the cohort is counted (the preview's day, or the day the wave opens). Someone
/// who already had a later dose is not in the cohort: it is the cohort for the next dose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PriorDose {
    /// Dose number, 1-9.
    pub dose: u8,
    /// At least this many days ago (0-3650).
    pub days_ago: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Criteria {
    pub age: Option<AgeRange>,
    /// Any of these priority groups (e.g. `care-home`, `health-worker`).
    #[serde(default)]
    pub priority_groups: Vec<String>,
    /// Any of these municipality codes.
    #[serde(default)]
    #[schema(value_type = Vec<u16>)]
    pub municipalities: Vec<MunicipalityCode>,
    /// Any of these regions (1081-1085).
    #[serde(default)]
    pub regions: Vec<u16>,
    /// Latest dose N, given at least D days ago.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prior_dose: Option<PriorDose>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CriteriaError {
    #[error("a cohort needs at least one criterion")]
    Empty,
    #[error("age.min is above age.max")]
    AgeRange,
    #[error("age must be at most 130")]
    AgeTooHigh,
    #[error("{0} is not a region code (1081-1085)")]
    UnknownRegion(u16),
    #[error("priority group names are 1-64 characters of a-z, 0-9 and '-'")]
    BadGroup,
    #[error("prior_dose.dose must be 1-9")]
    DoseNumber,
    #[error("prior_dose.days_ago must be 0-3650")]
    DoseDays,
}

/// The checked condition, ready for SQL: each field `None` means "no restriction".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    /// `birth_date <= born_on_or_before`
    pub born_on_or_before: Option<NaiveDate>,
    /// `birth_date > born_after`
    pub born_after: Option<NaiveDate>,
    pub priority_groups: Option<Vec<String>>,
    pub municipalities: Option<Vec<i16>>,
    /// Latest active vaccination is this dose, given on or before this day.
    pub latest_dose: Option<(i16, NaiveDate)>,
}

/// `date` minus `years`, with 29 February becoming 28 February in common years.
fn years_before(date: NaiveDate, years: u32) -> NaiveDate {
    let year = date.year() - years as i32;
    NaiveDate::from_ymd_opt(year, date.month(), date.day())
        .or_else(|| NaiveDate::from_ymd_opt(year, date.month(), 28))
        .unwrap_or(date)
}

impl Criteria {
    /// The checked condition, counted on `today` (local date): "days ago" criteria are
    /// relative to it.
    pub fn condition(&self, today: NaiveDate) -> Result<Condition, CriteriaError> {
        if self.age.is_none()
            && self.priority_groups.is_empty()
            && self.municipalities.is_empty()
            && self.regions.is_empty()
            && self.prior_dose.is_none()
        {
            return Err(CriteriaError::Empty);
        }
        let (mut before, mut after) = (None, None);
        if let Some(age) = &self.age {
            if let (Some(min), Some(max)) = (age.min, age.max) {
                if min > max {
                    return Err(CriteriaError::AgeRange);
                }
            }
            if age.min.unwrap_or(0) > 130 || age.max.unwrap_or(0) > 130 {
                return Err(CriteriaError::AgeTooHigh);
            }
            // At least `min` years old on `on`: born on or before on - min years.
            before = age.min.map(|m| years_before(age.on, m));
            // At most `max` years old: born after on - (max + 1) years.
            after = age.max.map(|m| years_before(age.on, m + 1));
        }
        for g in &self.priority_groups {
            let ok = (1..=64).contains(&g.len())
                && g.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !ok {
                return Err(CriteriaError::BadGroup);
            }
        }
        let mut codes: Vec<i16> = self.municipalities.iter().map(|m| m.get() as i16).collect();
        for r in &self.regions {
            let region = Region::from_code(*r).ok_or(CriteriaError::UnknownRegion(*r))?;
            codes.extend(
                municipalities()
                    .iter()
                    .filter(|m| m.region == region)
                    .map(|m| m.code as i16),
            );
        }
        codes.sort_unstable();
        codes.dedup();
        let latest_dose = match &self.prior_dose {
            None => None,
            Some(p) => {
                if !(1..=9).contains(&p.dose) {
                    return Err(CriteriaError::DoseNumber);
                }
                if p.days_ago > 3650 {
                    return Err(CriteriaError::DoseDays);
                }
                let given_by = today - chrono::Days::new(u64::from(p.days_ago));
                Some((i16::from(p.dose), given_by))
            }
        };
        Ok(Condition {
            latest_dose,
            born_on_or_before: before,
            born_after: after,
            priority_groups: (!self.priority_groups.is_empty())
                .then(|| self.priority_groups.clone()),
            municipalities: (!codes.is_empty()).then_some(codes),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn age_bounds_are_inclusive_on_the_reference_day() {
        let c = Criteria {
            age: Some(AgeRange {
                min: Some(65),
                max: Some(69),
                on: d("2026-12-01"),
            }),
            ..Criteria::default()
        }
        .condition(d("2026-12-01"))
        .unwrap();
        // 65 on the day: born 1961-12-01 or earlier.
        assert_eq!(c.born_on_or_before, Some(d("1961-12-01")));
        // Still 69 on the day: born after 1956-12-01.
        assert_eq!(c.born_after, Some(d("1956-12-01")));
    }

    #[test]
    fn leap_day_reference() {
        let c = Criteria {
            age: Some(AgeRange {
                min: Some(1),
                max: None,
                on: d("2028-02-29"),
            }),
            ..Criteria::default()
        }
        .condition(d("2026-12-01"))
        .unwrap();
        assert_eq!(c.born_on_or_before, Some(d("2027-02-28")));
    }

    #[test]
    fn prior_dose_alone_is_a_cohort_counted_back_from_today() {
        let c = Criteria {
            prior_dose: Some(PriorDose {
                dose: 2,
                days_ago: 150,
            }),
            ..Criteria::default()
        }
        .condition(d("2026-12-01"))
        .unwrap();
        assert_eq!(c.latest_dose, Some((2, d("2026-07-04"))));
        assert_eq!(c.born_on_or_before, None);
    }

    #[test]
    fn regions_expand_to_municipalities() {
        let c = Criteria {
            regions: vec![1081],
            ..Criteria::default()
        }
        .condition(d("2026-12-01"))
        .unwrap();
        assert_eq!(c.municipalities.unwrap().len(), 11);
    }

    #[test]
    fn bad_criteria() {
        assert_eq!(
            Criteria::default().condition(d("2026-12-01")),
            Err(CriteriaError::Empty)
        );
        let c = Criteria {
            regions: vec![1],
            ..Criteria::default()
        };
        assert_eq!(
            c.condition(d("2026-12-01")),
            Err(CriteriaError::UnknownRegion(1))
        );
        let c = Criteria {
            priority_groups: vec!["Care Home".into()],
            ..Criteria::default()
        };
        assert_eq!(c.condition(d("2026-12-01")), Err(CriteriaError::BadGroup));
        let c = Criteria {
            age: Some(AgeRange {
                min: Some(70),
                max: Some(60),
                on: d("2026-01-01"),
            }),
            ..Criteria::default()
        };
        assert_eq!(c.condition(d("2026-12-01")), Err(CriteriaError::AgeRange));
        for (dose, days_ago, err) in [
            (0, 10, CriteriaError::DoseNumber),
            (10, 10, CriteriaError::DoseNumber),
            (2, 4000, CriteriaError::DoseDays),
        ] {
            let c = Criteria {
                prior_dose: Some(PriorDose { dose, days_ago }),
                ..Criteria::default()
            };
            assert_eq!(c.condition(d("2026-12-01")), Err(err));
        }
        assert!(
            serde_json::from_str::<Criteria>(r#"{"prior_dose":{"dose":2}}"#).is_err(),
            "days_ago is required"
        );
        assert!(
            serde_json::from_str::<Criteria>(r#"{"age":{"min":1,"on":"2026-01-01"},"x":1}"#)
                .is_err()
        );
    }
}
