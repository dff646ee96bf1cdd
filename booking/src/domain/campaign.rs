//! Campaigns: what a citizen books for (a PCR test, a first vaccine dose).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CampaignKind {
    Test,
    Vaccination,
}

/// Open to everyone, or only to citizens invited in an eligibility wave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Access {
    Open,
    Invitation,
}

impl CampaignKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Test => "test",
            Self::Vaccination => "vaccination",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "test" => Some(Self::Test),
            "vaccination" => Some(Self::Vaccination),
            _ => None,
        }
    }
}

impl Access {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Invitation => "invitation",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "open" => Some(Self::Open),
            "invitation" => Some(Self::Invitation),
            _ => None,
        }
    }
}

/// A campaign code: 2 to 40 of `a-z 0-9 -`, starting with a letter or digit
/// (`pcr-test`, `covid-dose-1`). Codes appear in URLs and letters, so keep them plain.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, example = "covid-dose-1")]
pub struct CampaignCode(String);

impl CampaignCode {
    pub fn parse(s: &str) -> Result<Self, String> {
        let ok = (2..=40).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-');
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err("campaign code must be 2-40 characters of a-z, 0-9 and '-'".into())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for CampaignCode {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s)
    }
}

impl From<CampaignCode> for String {
    fn from(c: CampaignCode) -> String {
        c.0
    }
}

/// A campaign as an authority creates it. Deserializing checks every field.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCampaign {
    pub code: CampaignCode,
    pub name: CampaignName,
    pub kind: CampaignKind,
    pub access: Access,
}

/// A display name: 1 to 200 characters after trimming.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, example = "COVID-19 vaccine, dose 1")]
pub struct CampaignName(String);

impl TryFrom<String> for CampaignName {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        let t = s.trim();
        if t.is_empty() || t.chars().count() > 200 || t.chars().any(char::is_control) {
            Err("name must be 1-200 printable characters".into())
        } else {
            Ok(Self(t.to_owned()))
        }
    }
}

impl From<CampaignName> for String {
    fn from(n: CampaignName) -> String {
        n.0
    }
}

impl CampaignName {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        assert!(CampaignCode::parse("pcr-test").is_ok());
        assert!(CampaignCode::parse("covid-dose-1").is_ok());
        for bad in [
            "",
            "a",
            "-ab",
            "Upper",
            "with space",
            "æøå",
            &"a".repeat(41),
        ] {
            assert!(CampaignCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn new_campaign_rejects_unknown_kind_and_fields() {
        let bad_kind = r#"{"code":"x1","name":"X","kind":"party","access":"open"}"#;
        assert!(serde_json::from_str::<NewCampaign>(bad_kind).is_err());
        let extra = r#"{"code":"x1","name":"X","kind":"test","access":"open","evil":1}"#;
        assert!(serde_json::from_str::<NewCampaign>(extra).is_err());
        let ok = r#"{"code":"x1","name":" X ","kind":"test","access":"open"}"#;
        let c: NewCampaign = serde_json::from_str(ok).unwrap();
        assert_eq!(c.name.as_str(), "X");
    }
}
