//! Typed EU DCC payload (the `hcert` claim's key 1), JSON schema 1.3.x.
//!
//! A [`Hcert`] holds exactly one of a vaccination, a test or a recovery entry, so the
//! schema's "exactly one of v/t/r, each with exactly one element" is a property of the
//! type. Names are built through [`PersonName::new`], which derives `fnt`/`gnt` with the
//! ICAO 9303 transliteration. Codes (`tg`, `vp`, `mp`, ...) stay strings here: value-set
//! membership is data, checked by [`crate::valuesets`]. Pure: no I/O.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::translit::{self, TranslitError};

/// The schema version we issue.
pub const SCHEMA_VERSION: &str = "1.3.0";

/// The three kinds of certificate; also what a DSC's extended key usage may allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum CertificateType {
    /// Test (`t`).
    #[serde(rename = "t")]
    Test,
    /// Vaccination (`v`).
    #[serde(rename = "v")]
    Vaccination,
    /// Recovery (`r`).
    #[serde(rename = "r")]
    Recovery,
}

impl CertificateType {
    /// All three types.
    pub const ALL: [Self; 3] = [Self::Test, Self::Vaccination, Self::Recovery];

    /// The payload key of this group (`t`, `v`, `r`).
    #[must_use]
    pub fn key(self) -> &'static str {
        match self {
            Self::Test => "t",
            Self::Vaccination => "v",
            Self::Recovery => "r",
        }
    }

    /// Name as in business rules' `CertificateType` ("Test", "Vaccination", "Recovery").
    #[must_use]
    pub fn rule_name(self) -> &'static str {
        match self {
            Self::Test => "Test",
            Self::Vaccination => "Vaccination",
            Self::Recovery => "Recovery",
        }
    }
}

impl std::fmt::Display for CertificateType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Test => "test",
            Self::Vaccination => "vaccination",
            Self::Recovery => "recovery",
        })
    }
}

impl std::str::FromStr for CertificateType {
    type Err = PayloadError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "t" | "test" => Ok(Self::Test),
            "v" | "vaccination" => Ok(Self::Vaccination),
            "r" | "recovery" => Ok(Self::Recovery),
            _ => Err(PayloadError::UnknownType),
        }
    }
}

/// Why a payload could not be built or read.
#[derive(Debug, thiserror::Error)]
pub enum PayloadError {
    /// Name transliteration failed.
    #[error("name: {0}")]
    Name(#[from] TranslitError),
    /// A `fnt`/`gnt` that is not `^[A-Z<]*$` of at most 80 characters.
    #[error("{field} is not an ICAO 9303 transliteration")]
    NotMachineReadable {
        /// `fnt` or `gnt`.
        field: &'static str,
    },
    /// A payload holds zero or several of v/t/r, or a group without exactly one entry.
    #[error("payload must hold exactly one of v, t, r with exactly one entry")]
    EntryCount,
    /// A certificate-type name that is not test/vaccination/recovery.
    #[error("unknown certificate type (expected test, vaccination or recovery)")]
    UnknownType,
    /// Date of birth not `YYYY`, `YYYY-MM`, `YYYY-MM-DD` (1900-2099) or empty.
    #[error("date of birth must be YYYY, YYYY-MM or YYYY-MM-DD between 1900 and 2099, or empty")]
    DateOfBirth,
    /// Dose number outside 1..=9 or total doses outside 1..=9.
    #[error("dose numbers must be between 1 and 9")]
    Dose,
    /// JSON shape does not match the DCC payload.
    #[error("payload JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// Surname(s) and forename(s), with their ICAO 9303 transliterations. When read from
/// JSON without `fnt`/`gnt`, they are derived from `fn`/`gn`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonName {
    /// Surname(s) as written.
    #[serde(rename = "fn", skip_serializing_if = "Option::is_none", default)]
    family: Option<String>,
    /// Surname(s) transliterated.
    #[serde(rename = "fnt")]
    family_mrz: String,
    /// Forename(s) as written.
    #[serde(rename = "gn", skip_serializing_if = "Option::is_none", default)]
    given: Option<String>,
    /// Forename(s) transliterated.
    #[serde(rename = "gnt", skip_serializing_if = "Option::is_none", default)]
    given_mrz: Option<String>,
}

/// The JSON shape of a name, with the transliterations optional.
#[derive(Deserialize)]
struct NameWire {
    #[serde(rename = "fn", default)]
    family: Option<String>,
    #[serde(rename = "fnt", default)]
    family_mrz: Option<String>,
    #[serde(rename = "gn", default)]
    given: Option<String>,
    #[serde(rename = "gnt", default)]
    given_mrz: Option<String>,
}

impl<'de> Deserialize<'de> for PersonName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let w = NameWire::deserialize(d)?;
        let derive = |written: &Option<String>| {
            written
                .as_deref()
                .map(translit::transliterate)
                .transpose()
                .map_err(D::Error::custom)
        };
        let family_mrz = match w.family_mrz {
            Some(t) => t,
            None => derive(&w.family)?.ok_or_else(|| D::Error::missing_field("fnt"))?,
        };
        let given_mrz = match w.given_mrz {
            Some(t) => Some(t),
            None => derive(&w.given)?,
        };
        Ok(Self {
            family: w.family,
            family_mrz,
            given: w.given,
            given_mrz,
        })
    }
}

impl PersonName {
    /// Builds a name from what the person writes; `fnt`/`gnt` are derived.
    pub fn new(family: &str, given: Option<&str>) -> Result<Self, PayloadError> {
        let family_mrz = translit::transliterate(family)?;
        let given_mrz = given.map(translit::transliterate).transpose()?;
        Ok(Self {
            family: Some(family.trim().to_owned()),
            family_mrz,
            given: given.map(|g| g.trim().to_owned()),
            given_mrz,
        })
    }

    /// Surname(s) as written, if present.
    #[must_use]
    pub fn family(&self) -> Option<&str> {
        self.family.as_deref()
    }
    /// Transliterated surname(s) (`fnt`).
    #[must_use]
    pub fn family_mrz(&self) -> &str {
        &self.family_mrz
    }
    /// Forename(s) as written, if present.
    #[must_use]
    pub fn given(&self) -> Option<&str> {
        self.given.as_deref()
    }
    /// Transliterated forename(s) (`gnt`), if present.
    #[must_use]
    pub fn given_mrz(&self) -> Option<&str> {
        self.given_mrz.as_deref()
    }

    fn check(&self) -> Result<(), PayloadError> {
        if !translit::is_machine_readable(&self.family_mrz) {
            return Err(PayloadError::NotMachineReadable { field: "fnt" });
        }
        if let Some(g) = &self.given_mrz {
            if !translit::is_machine_readable(g) {
                return Err(PayloadError::NotMachineReadable { field: "gnt" });
            }
        }
        Ok(())
    }
}

/// Date of birth: `YYYY-MM-DD`, `YYYY-MM`, `YYYY` (1900-2099) or empty when unknown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct DateOfBirth(String);

impl DateOfBirth {
    /// Checks the schema pattern `^((19|20)\d\d(-\d\d){0,2}){0,1}$` and, for full dates,
    /// that the date exists.
    pub fn parse(s: &str) -> Result<Self, PayloadError> {
        let b = s.as_bytes();
        let ok = match b.len() {
            0 => true,
            4 | 7 | 10 => {
                (s.starts_with("19") || s.starts_with("20"))
                    && b.iter().enumerate().all(|(i, c)| {
                        if i == 4 || i == 7 {
                            *c == b'-'
                        } else {
                            c.is_ascii_digit()
                        }
                    })
                    && (b.len() != 10 || NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok())
            }
            _ => false,
        };
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(PayloadError::DateOfBirth)
        }
    }

    /// The date as written.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<NaiveDate> for DateOfBirth {
    fn from(d: NaiveDate) -> Self {
        Self(d.format("%Y-%m-%d").to_string())
    }
}

impl<'de> Deserialize<'de> for DateOfBirth {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A calendar date written `YYYY-MM-DD`.
mod iso_date {
    use chrono::NaiveDate;
    use serde::{Deserialize, Deserializer, Serializer};
    pub fn serialize<S: Serializer>(d: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&d.format("%Y-%m-%d"))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
        let s = String::deserialize(d)?;
        NaiveDate::parse_from_str(&s, "%Y-%m-%d").map_err(serde::de::Error::custom)
    }
}

/// A point in time written RFC 3339 with `Z`.
mod rfc3339 {
    use super::{DateTime, SecondsFormat, Utc};
    use serde::{Deserialize, Deserializer, Serializer};
    pub fn serialize<S: Serializer>(d: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&d.to_rfc3339_opts(SecondsFormat::Secs, true))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let s = String::deserialize(d)?;
        DateTime::parse_from_rfc3339(&s)
            .map(|t| t.with_timezone(&Utc))
            .map_err(serde::de::Error::custom)
    }
}

/// Vaccination entry (`v`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vaccination {
    /// Disease or agent targeted (value set `disease-agent-targeted`).
    pub tg: String,
    /// Vaccine or prophylaxis (value set `sct-vaccines-covid-19`).
    pub vp: String,
    /// Vaccine medicinal product (value set `vaccines-covid-19-names`).
    pub mp: String,
    /// Marketing authorisation holder or manufacturer (`vaccines-covid-19-auth-holders`).
    pub ma: String,
    /// Dose number, 1..=9.
    pub dn: u8,
    /// Total doses in the series, 1..=9.
    pub sd: u8,
    /// Date of vaccination.
    #[serde(with = "iso_date")]
    pub dt: NaiveDate,
    /// Country of vaccination.
    pub co: String,
    /// Certificate issuer.
    pub is: String,
    /// Unique certificate identifier (UVCI).
    pub ci: String,
}

/// Test entry (`t`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Test {
    /// Disease or agent targeted.
    pub tg: String,
    /// Type of test (value set `covid-19-lab-test-type`).
    pub tt: String,
    /// NAA test name (for NAAT tests).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub nm: Option<String>,
    /// RAT device identifier (for rapid antigen tests).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub ma: Option<String>,
    /// Date and time of sample collection.
    #[serde(with = "rfc3339")]
    pub sc: DateTime<Utc>,
    /// Test result (value set `covid-19-lab-result`).
    pub tr: String,
    /// Testing centre.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub tc: Option<String>,
    /// Country of test.
    pub co: String,
    /// Certificate issuer.
    pub is: String,
    /// Unique certificate identifier (UVCI).
    pub ci: String,
}

/// Recovery entry (`r`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recovery {
    /// Disease or agent the person recovered from.
    pub tg: String,
    /// Date of the first positive NAA test result.
    #[serde(with = "iso_date")]
    pub fr: NaiveDate,
    /// Country of test.
    pub co: String,
    /// Certificate issuer.
    pub is: String,
    /// Certificate valid from.
    #[serde(with = "iso_date")]
    pub df: NaiveDate,
    /// Certificate valid until.
    #[serde(with = "iso_date")]
    pub du: NaiveDate,
    /// Unique certificate identifier (UVCI).
    pub ci: String,
}

/// Exactly one entry of one type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A vaccination.
    Vaccination(Vaccination),
    /// A test.
    Test(Test),
    /// A recovery.
    Recovery(Recovery),
}

impl Entry {
    /// Which type of certificate this entry makes.
    #[must_use]
    pub fn certificate_type(&self) -> CertificateType {
        match self {
            Self::Vaccination(_) => CertificateType::Vaccination,
            Self::Test(_) => CertificateType::Test,
            Self::Recovery(_) => CertificateType::Recovery,
        }
    }

    /// The entry's UVCI (`ci`).
    #[must_use]
    pub fn uvci(&self) -> &str {
        match self {
            Self::Vaccination(v) => &v.ci,
            Self::Test(t) => &t.ci,
            Self::Recovery(r) => &r.ci,
        }
    }

    /// The entry's country (`co`).
    #[must_use]
    pub fn country(&self) -> &str {
        match self {
            Self::Vaccination(v) => &v.co,
            Self::Test(t) => &t.co,
            Self::Recovery(r) => &r.co,
        }
    }
}

/// The DCC payload (`hcert` key 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hcert {
    /// Schema version (`ver`).
    pub ver: String,
    /// Name.
    pub nam: PersonName,
    /// Date of birth.
    pub dob: DateOfBirth,
    /// The single entry.
    pub entry: Entry,
}

/// Serde mirror of the JSON layout (three optional one-element arrays).
#[derive(Serialize, Deserialize)]
struct Wire {
    ver: String,
    nam: PersonName,
    dob: DateOfBirth,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    v: Option<Vec<Vaccination>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    t: Option<Vec<Test>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    r: Option<Vec<Recovery>>,
}

impl Hcert {
    /// A payload for the current schema version.
    #[must_use]
    pub fn new(nam: PersonName, dob: DateOfBirth, entry: Entry) -> Self {
        Self {
            ver: SCHEMA_VERSION.to_owned(),
            nam,
            dob,
            entry,
        }
    }

    /// Parses and checks a payload from JSON.
    pub fn from_json(value: &serde_json::Value) -> Result<Self, PayloadError> {
        let hcert: Self = serde_json::from_value(value.clone())?;
        Ok(hcert)
    }

    /// The JSON form (as signed).
    pub fn to_json(&self) -> Result<serde_json::Value, PayloadError> {
        Ok(serde_json::to_value(self)?)
    }

    /// Which type of certificate this is.
    #[must_use]
    pub fn certificate_type(&self) -> CertificateType {
        self.entry.certificate_type()
    }

    fn to_wire(&self) -> Wire {
        let (mut v, mut t, mut r) = (None, None, None);
        match &self.entry {
            Entry::Vaccination(x) => v = Some(vec![x.clone()]),
            Entry::Test(x) => t = Some(vec![x.clone()]),
            Entry::Recovery(x) => r = Some(vec![x.clone()]),
        }
        Wire {
            ver: self.ver.clone(),
            nam: self.nam.clone(),
            dob: self.dob.clone(),
            v,
            t,
            r,
        }
    }

    fn from_wire(w: Wire) -> Result<Self, PayloadError> {
        fn single<T>(v: Vec<T>) -> Result<T, PayloadError> {
            let mut it = v.into_iter();
            match (it.next(), it.next()) {
                (Some(x), None) => Ok(x),
                _ => Err(PayloadError::EntryCount),
            }
        }
        let entry = match (w.v, w.t, w.r) {
            (Some(v), None, None) => Entry::Vaccination(single(v)?),
            (None, Some(t), None) => Entry::Test(single(t)?),
            (None, None, Some(r)) => Entry::Recovery(single(r)?),
            _ => return Err(PayloadError::EntryCount),
        };
        if let Entry::Vaccination(v) = &entry {
            if !(1..=9).contains(&v.dn) || !(1..=9).contains(&v.sd) {
                return Err(PayloadError::Dose);
            }
        }
        w.nam.check()?;
        Ok(Self {
            ver: w.ver,
            nam: w.nam,
            dob: w.dob,
            entry,
        })
    }
}

impl Serialize for Hcert {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_wire().serialize(s)
    }
}

impl<'de> Deserialize<'de> for Hcert {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let wire = Wire::deserialize(d)?;
        Self::from_wire(wire).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn round_trip_and_exactly_one_entry() {
        let doc = json!({
            "ver": "1.3.0",
            "nam": {"fn": "Ærø", "fnt": "AEROE", "gn": "Søren", "gnt": "SOEREN"},
            "dob": "1970-01-31",
            "v": [{"tg": "840539006", "vp": "1119349007", "mp": "EU/1/20/1528",
                   "ma": "ORG-100030215", "dn": 2, "sd": 2, "dt": "2021-06-01",
                   "co": "DK", "is": "Sundhedsdatastyrelsen",
                   "ci": "URN:UVCI:01:DK:ABC#1"}]
        });
        let h = Hcert::from_json(&doc).unwrap();
        assert_eq!(h.certificate_type(), CertificateType::Vaccination);
        assert_eq!(h.to_json().unwrap(), doc);

        let mut two = doc.clone();
        two["t"] = json!([]);
        assert!(Hcert::from_json(&two).is_err());
        let mut none = doc.clone();
        none.as_object_mut().unwrap().remove("v");
        assert!(Hcert::from_json(&none).is_err());
        let mut bad_fnt = doc;
        bad_fnt["nam"]["fnt"] = json!("aeroe");
        assert!(Hcert::from_json(&bad_fnt).is_err());
    }

    #[test]
    fn missing_transliterations_are_derived() {
        let n: PersonName =
            serde_json::from_value(json!({"fn": "Ærø", "gn": "Søren Åge"})).unwrap();
        assert_eq!(n.family_mrz(), "AEROE");
        assert_eq!(n.given_mrz(), Some("SOEREN<AAGE"));
        assert!(serde_json::from_value::<PersonName>(json!({"gn": "X"})).is_err());
    }

    #[test]
    fn name_is_transliterated() {
        let n = PersonName::new("Ørsted-Ålund", Some("Åse Marie")).unwrap();
        assert_eq!(n.family_mrz(), "OERSTED<AALUND");
        assert_eq!(n.given_mrz(), Some("AASE<MARIE"));
    }

    #[test]
    fn date_of_birth_forms() {
        for ok in ["", "1979", "1979-04", "1979-04-14"] {
            assert!(DateOfBirth::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["1879", "79-04-14", "1979-02-30", "1979/04/14"] {
            assert!(DateOfBirth::parse(bad).is_err(), "{bad}");
        }
    }
}
