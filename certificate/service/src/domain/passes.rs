//! Which passes the registers support and for how long: the windows come from
//! [`PassSettings`] (data, not code). Pure: the caller hands in the records and the clock.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use serde::Serialize;

use certificate::payload::CertificateType;

use crate::settings::PassSettings;

/// The three kinds of pass, named as in the API path (`/v1/me/passes/{type}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PassType {
    Vaccination,
    Test,
    Recovery,
}

impl PassType {
    pub const ALL: [PassType; 3] = [PassType::Vaccination, PassType::Test, PassType::Recovery];

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "vaccination" => Some(Self::Vaccination),
            "test" => Some(Self::Test),
            "recovery" => Some(Self::Recovery),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Vaccination => "vaccination",
            Self::Test => "test",
            Self::Recovery => "recovery",
        }
    }

    pub fn certificate_type(self) -> CertificateType {
        match self {
            Self::Vaccination => CertificateType::Vaccination,
            Self::Test => CertificateType::Test,
            Self::Recovery => CertificateType::Recovery,
        }
    }

    /// The register a pass of this type is issued from.
    pub fn source_register(self) -> Register {
        match self {
            Self::Vaccination => Register::Vaccination,
            Self::Test | Self::Recovery => Register::Test,
        }
    }

    /// The letter that starts the opaque part of the UVCI.
    pub fn uvci_letter(self) -> char {
        match self {
            Self::Vaccination => 'V',
            Self::Test => 'T',
            Self::Recovery => 'R',
        }
    }
}

/// The two registers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Register {
    Test,
    Vaccination,
}

impl Register {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Test => "test",
            Self::Vaccination => "vaccination",
        }
    }
}

/// When a pass is valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Window {
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
}

impl Window {
    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        self.valid_from <= t && t < self.valid_until
    }
}

/// `t + d`, saturating instead of overflowing (settings are operator input).
fn later(t: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    t.checked_add_signed(d).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// `d + days`, saturating.
fn later_date(d: NaiveDate, days: u32) -> NaiveDate {
    d.checked_add_signed(Duration::days(i64::from(days)))
        .unwrap_or(NaiveDate::MAX)
}

/// Midnight UTC at the start of `d`.
fn start_of(d: NaiveDate) -> DateTime<Utc> {
    d.and_time(NaiveTime::MIN).and_utc()
}

/// A vaccination pass issued at `now`.
pub fn vaccination_window(rules: &PassSettings, now: DateTime<Utc>) -> Window {
    Window {
        valid_from: now,
        valid_until: later(
            now,
            Duration::days(i64::from(rules.vaccination_validity_days.max(1))),
        ),
    }
}

/// A test pass: from the sample time, for the configured hours; only for results that
/// make a pass (negative).
pub fn test_window(
    rules: &PassSettings,
    result: &str,
    sample_time: DateTime<Utc>,
) -> Option<Window> {
    rules
        .test_pass_results
        .iter()
        .any(|r| r == result)
        .then(|| Window {
            valid_from: sample_time,
            valid_until: later(
                sample_time,
                Duration::hours(i64::from(rules.test_validity_hours.max(1))),
            ),
        })
}

/// A recovery from a positive test of an accepted type: from day `from_day` to the end of
/// day `until_day` after the sample date. Also gives the payload's `fr`, `df` and `du`.
pub fn recovery_window(
    rules: &PassSettings,
    test_type: &str,
    result: &str,
    sample_time: DateTime<Utc>,
) -> Option<(Window, RecoveryDates)> {
    if result != rules.positive_result || !rules.recovery_test_types.iter().any(|t| t == test_type)
    {
        return None;
    }
    let first_positive = sample_time.date_naive();
    let df = later_date(first_positive, rules.recovery_valid_from_day);
    let du = later_date(first_positive, rules.recovery_valid_until_day);
    Some((
        Window {
            valid_from: start_of(df),
            valid_until: start_of(later_date(du, 1)),
        },
        RecoveryDates {
            first_positive,
            valid_from: df,
            valid_until: du,
        },
    ))
}

/// The dates a recovery payload carries (`fr`, `df`, `du`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RecoveryDates {
    pub first_positive: NaiveDate,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_runs_from_day_11_to_day_180() {
        let rules = PassSettings::default();
        let sc = "2021-03-01T09:00:00Z".parse::<DateTime<Utc>>().unwrap();
        let (w, d) = recovery_window(&rules, "LP6464-4", "260373001", sc).unwrap();
        assert_eq!(d.valid_from.to_string(), "2021-03-12");
        assert_eq!(d.valid_until.to_string(), "2021-08-28");
        assert!(!w.contains("2021-03-11T23:59:59Z".parse().unwrap()));
        assert!(w.contains("2021-03-12T00:00:00Z".parse().unwrap()));
        assert!(w.contains("2021-08-28T23:59:59Z".parse().unwrap()));
        assert!(!w.contains("2021-08-29T00:00:00Z".parse().unwrap()));
        // A negative PCR or a positive rapid test makes no recovery.
        assert!(recovery_window(&rules, "LP6464-4", "260415000", sc).is_none());
        assert!(recovery_window(&rules, "LP217198-3", "260373001", sc).is_none());
    }

    #[test]
    fn only_negative_tests_make_a_test_pass() {
        let rules = PassSettings::default();
        let sc = "2021-03-01T09:00:00Z".parse::<DateTime<Utc>>().unwrap();
        let w = test_window(&rules, "260415000", sc).unwrap();
        assert_eq!(w.valid_until - w.valid_from, Duration::hours(72));
        assert!(test_window(&rules, "260373001", sc).is_none());
    }
}
