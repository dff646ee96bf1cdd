//! The kinds of pass and the registers they come from. How long a pass is valid is not
//! here: the validity rules decide it (data, see [`crate::domain::validity`]); only the
//! recovery's dates, which the payload carries, come from [`PassSettings`]. Pure.

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

/// When a pass is valid: from its record's start until the validity rules stop
/// accepting it (see [`crate::domain::validity`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Window {
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
}

/// `d + days`, saturating (settings are operator input).
fn later_date(d: NaiveDate, days: u32) -> NaiveDate {
    d.checked_add_signed(Duration::days(i64::from(days)))
        .unwrap_or(NaiveDate::MAX)
}

/// Midnight UTC at the start of `d`.
pub fn start_of(d: NaiveDate) -> DateTime<Utc> {
    d.and_time(NaiveTime::MIN).and_utc()
}

/// A recovery from a positive test of an accepted type: the payload's `fr`, `df` (day
/// `from_day` after the sample date) and `du` (day `until_day`). Whether the recovery
/// pass is valid now is for the EU rules to say (they read `df` and `du`).
pub fn recovery_dates(
    rules: &PassSettings,
    test_type: &str,
    result: &str,
    sample_time: DateTime<Utc>,
) -> Option<RecoveryDates> {
    if result != rules.positive_result || !rules.recovery_test_types.iter().any(|t| t == test_type)
    {
        return None;
    }
    let first_positive = sample_time.date_naive();
    Some(RecoveryDates {
        first_positive,
        valid_from: later_date(first_positive, rules.recovery_valid_from_day),
        valid_until: later_date(first_positive, rules.recovery_valid_until_day),
    })
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
    fn recovery_dates_are_day_11_and_day_180() {
        let rules = PassSettings::default();
        let sc = "2021-03-01T09:00:00Z".parse::<DateTime<Utc>>().unwrap();
        let d = recovery_dates(&rules, "LP6464-4", "260373001", sc).unwrap();
        assert_eq!(d.first_positive.to_string(), "2021-03-01");
        assert_eq!(d.valid_from.to_string(), "2021-03-12");
        assert_eq!(d.valid_until.to_string(), "2021-08-28");
        // A negative PCR or a positive rapid test makes no recovery.
        assert!(recovery_dates(&rules, "LP6464-4", "260415000", sc).is_none());
        assert!(recovery_dates(&rules, "LP217198-3", "260373001", sc).is_none());
    }
}
