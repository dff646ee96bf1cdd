//! Register records as senders write them (`*Input`: every field text, so one bad field
//! is a message rather than a parse failure) and as the register keeps them (`*Record`:
//! checked once, here). A record is identified by its sender and the sender's own
//! record id; its content hash tells a resubmission from a correction.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use identity::Cpr;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use uuid::Uuid;

use super::codes::Codes;

/// COVID-19 (`disease-agent-targeted`), the default when a record names no disease.
pub const COVID_19: &str = "840539006";
/// Rapid antigen test (`covid-19-lab-test-type`): needs a device (manufacturer) code.
pub const RAPID_ANTIGEN_TEST: &str = "LP217198-3";

/// What is wrong with one field of a record. Never carries a CPR number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    #[schema(value_type = String, example = "sample_time")]
    pub field: &'static str,
    pub message: String,
}

impl FieldError {
    fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

/// Everything wrong with one record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{}", summary(.0))]
pub struct RecordErrors(pub Vec<FieldError>);

fn summary(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| format!("{}: {}", e.field, e.message))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The sender's own id of a record: 1-100 characters of `A-Z a-z 0-9 . _ : / -`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct RecordId(String);

impl RecordId {
    pub fn parse(s: &str) -> Result<Self, String> {
        let ok = !s.is_empty()
            && s.len() <= 100
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._:/-".contains(&b));
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err("must be 1-100 characters of A-Z, a-z, 0-9, '.', '_', ':', '/', '-'".into())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What the checks need besides the record: the value sets and the clock.
#[derive(Debug, Clone, Copy)]
pub struct CheckContext<'a> {
    pub codes: &'a Codes,
    pub now: DateTime<Utc>,
    /// Sender clock skew tolerated by "not in the future".
    pub leeway: Duration,
}

/// A test result as a sender writes it (JSON object, NDJSON line or CSV row).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TestInput {
    pub record_id: String,
    pub cpr: String,
    #[serde(default)]
    pub disease: Option<String>,
    pub test_type: String,
    #[serde(default)]
    pub test_name: Option<String>,
    #[serde(default)]
    pub manufacturer: Option<String>,
    pub result: String,
    /// RFC 3339.
    pub sample_time: String,
    pub test_centre: String,
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default)]
    pub booking_id: Option<String>,
}

/// A checked test result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TestRecord {
    pub record_id: RecordId,
    pub cpr: Cpr,
    pub disease: String,
    pub test_type: String,
    pub test_name: Option<String>,
    pub manufacturer: Option<String>,
    pub result: String,
    pub sample_time: DateTime<Utc>,
    pub test_centre: String,
    pub country: String,
    pub booking_id: Option<Uuid>,
}

/// A vaccination as a sender writes it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VaccinationInput {
    pub record_id: String,
    pub cpr: String,
    #[serde(default)]
    pub disease: Option<String>,
    /// Vaccine or prophylaxis (`sct-vaccines-covid-19`).
    pub vaccine: String,
    /// Medicinal product (`vaccines-covid-19-names`).
    pub product: String,
    /// Marketing authorisation holder or manufacturer (`vaccines-covid-19-auth-holders`).
    pub manufacturer: String,
    pub dose_number: u8,
    pub total_doses: u8,
    /// `YYYY-MM-DD`.
    pub date: String,
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default)]
    pub booking_id: Option<String>,
}

/// A checked vaccination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VaccinationRecord {
    pub record_id: RecordId,
    pub cpr: Cpr,
    pub disease: String,
    pub vaccine: String,
    pub product: String,
    pub manufacturer: String,
    pub dose_number: u8,
    pub total_doses: u8,
    pub date: NaiveDate,
    pub country: String,
    pub booking_id: Option<Uuid>,
}

/// Collects field errors while the parts of a record are parsed.
struct Collector(Vec<FieldError>);

impl Collector {
    fn take<T>(&mut self, field: &'static str, r: Result<T, String>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(m) => {
                self.0.push(FieldError::new(field, m));
                None
            }
        }
    }
}

fn text(s: &str, max: usize) -> Result<String, String> {
    let t = s.trim();
    if t.is_empty() {
        Err("must not be empty".into())
    } else if t.chars().count() > max {
        Err(format!("must be at most {max} characters"))
    } else if t.chars().any(char::is_control) {
        Err("must not contain control characters".into())
    } else {
        Ok(t.to_owned())
    }
}

/// An optional field: absent, or empty (a blank CSV cell), is `None`.
fn optional(s: Option<&String>) -> Option<&str> {
    s.map(|s| s.trim()).filter(|s| !s.is_empty())
}

fn booking_id(s: Option<&String>) -> Result<Option<Uuid>, String> {
    optional(s)
        .map(|s| Uuid::parse_str(s).map_err(|_| "must be a UUID".to_owned()))
        .transpose()
}

fn country(s: Option<&String>, default: &str) -> String {
    optional(s).unwrap_or(default).to_owned()
}

impl TestInput {
    /// Checks every field; `default_country` fills an absent country.
    pub fn check(
        &self,
        ctx: CheckContext<'_>,
        default_country: &str,
    ) -> Result<TestRecord, RecordErrors> {
        let mut c = Collector(Vec::new());
        let record_id = c.take("record_id", RecordId::parse(&self.record_id));
        let cpr = c.take("cpr", Cpr::parse(&self.cpr).map_err(|e| e.to_string()));
        let sample_time = c.take(
            "sample_time",
            DateTime::parse_from_rfc3339(self.sample_time.trim())
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| "must be an RFC 3339 date and time, e.g. 2021-06-01T10:30:00Z".into())
                .and_then(|t| not_future(t, ctx)),
        );
        let test_centre = c.take("test_centre", text(&self.test_centre, 80));
        let test_name = c.take(
            "test_name",
            optional(self.test_name.as_ref())
                .map(|s| text(s, 80))
                .transpose(),
        );
        let booking = c.take("booking_id", booking_id(self.booking_id.as_ref()));
        let disease = optional(self.disease.as_ref())
            .unwrap_or(COVID_19)
            .to_owned();
        let country = country(self.country.as_ref(), default_country);
        let manufacturer = optional(self.manufacturer.as_ref()).map(str::to_owned);
        let test_type = self.test_type.trim().to_owned();
        let result = self.result.trim().to_owned();
        if test_type == RAPID_ANTIGEN_TEST && manufacturer.is_none() {
            c.0.push(FieldError::new(
                "manufacturer",
                "a rapid antigen test needs its device code (covid-19-lab-test-manufacturer-and-name)",
            ));
        }
        for (field, message) in ctx.codes.check_test(
            &disease,
            &test_type,
            &result,
            manufacturer.as_deref(),
            &country,
        ) {
            c.0.push(FieldError::new(field, message));
        }
        match (record_id, cpr, sample_time, test_centre, test_name, booking) {
            (
                Some(record_id),
                Some(cpr),
                Some(sample_time),
                Some(test_centre),
                Some(test_name),
                Some(booking_id),
            ) if c.0.is_empty() => Ok(TestRecord {
                record_id,
                cpr,
                disease,
                test_type,
                test_name,
                manufacturer,
                result,
                sample_time,
                test_centre,
                country,
                booking_id,
            }),
            _ => Err(RecordErrors(c.0)),
        }
    }
}

impl VaccinationInput {
    /// Checks every field; `default_country` fills an absent country.
    pub fn check(
        &self,
        ctx: CheckContext<'_>,
        default_country: &str,
    ) -> Result<VaccinationRecord, RecordErrors> {
        let mut c = Collector(Vec::new());
        let record_id = c.take("record_id", RecordId::parse(&self.record_id));
        let cpr = c.take("cpr", Cpr::parse(&self.cpr).map_err(|e| e.to_string()));
        let date = c.take(
            "date",
            NaiveDate::parse_from_str(self.date.trim(), "%Y-%m-%d")
                .map_err(|_| "must be a date YYYY-MM-DD".to_owned())
                .and_then(|d| {
                    if d > (ctx.now + ctx.leeway).date_naive() {
                        Err("must not be in the future".into())
                    } else {
                        Ok(d)
                    }
                }),
        );
        let booking = c.take("booking_id", booking_id(self.booking_id.as_ref()));
        if !(1..=9).contains(&self.dose_number) {
            c.0.push(FieldError::new("dose_number", "must be 1 to 9"));
        }
        if !(1..=9).contains(&self.total_doses) {
            c.0.push(FieldError::new("total_doses", "must be 1 to 9"));
        }
        let disease = optional(self.disease.as_ref())
            .unwrap_or(COVID_19)
            .to_owned();
        let country = country(self.country.as_ref(), default_country);
        let vaccine = self.vaccine.trim().to_owned();
        let product = self.product.trim().to_owned();
        let manufacturer = self.manufacturer.trim().to_owned();
        for (field, message) in
            ctx.codes
                .check_vaccination(&disease, &vaccine, &product, &manufacturer, &country)
        {
            c.0.push(FieldError::new(field, message));
        }
        match (record_id, cpr, date, booking) {
            (Some(record_id), Some(cpr), Some(date), Some(booking_id)) if c.0.is_empty() => {
                Ok(VaccinationRecord {
                    record_id,
                    cpr,
                    disease,
                    vaccine,
                    product,
                    manufacturer,
                    dose_number: self.dose_number,
                    total_doses: self.total_doses,
                    date,
                    country,
                    booking_id,
                })
            }
            _ => Err(RecordErrors(c.0)),
        }
    }
}

fn not_future(t: DateTime<Utc>, ctx: CheckContext<'_>) -> Result<DateTime<Utc>, String> {
    if t > ctx.now + ctx.leeway {
        Err("must not be in the future".into())
    } else {
        Ok(t)
    }
}

/// SHA-256 of a record's canonical JSON: equal records, equal hashes.
pub fn content_hash(record: &impl Serialize) -> Vec<u8> {
    // Serialising these plain structs cannot fail; an empty input would only make every
    // resubmission look like a correction, never lose data.
    let bytes = serde_json::to_vec(record).unwrap_or_default();
    Sha256::digest(&bytes).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes() -> Codes {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/testdata/dcc-valuesets");
        let dir = if dir.exists() {
            dir
        } else {
            std::path::PathBuf::from("/work/shared/testdata/dcc-valuesets")
        };
        Codes::new(certificate::fs::load_value_sets(&dir).unwrap()).unwrap()
    }

    fn test_input() -> TestInput {
        TestInput {
            record_id: "lab-1".into(),
            cpr: "0101701234".into(),
            disease: None,
            test_type: "LP6464-4".into(),
            test_name: None,
            manufacturer: None,
            result: "260415000".into(),
            sample_time: "2021-06-01T10:00:00Z".into(),
            test_centre: "Testcenter Aarhus".into(),
            country: None,
            booking_id: None,
        }
    }

    #[test]
    fn a_good_test_is_accepted_and_bad_fields_are_all_named() {
        let codes = codes();
        let ctx = CheckContext {
            codes: &codes,
            now: Utc::now(),
            leeway: Duration::minutes(5),
        };
        let r = test_input().check(ctx, "DK").unwrap();
        assert_eq!(r.disease, COVID_19);
        assert_eq!(r.country, "DK");

        let mut bad = test_input();
        bad.cpr = "3213701234".into();
        bad.result = "999".into();
        bad.sample_time = "2999-01-01T00:00:00Z".into();
        bad.test_type = RAPID_ANTIGEN_TEST.into();
        let errors = bad.check(ctx, "DK").unwrap_err().0;
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        for f in ["cpr", "sample_time", "result", "manufacturer"] {
            assert!(fields.contains(&f), "{f} missing from {fields:?}");
        }
        assert!(!errors.iter().any(|e| e.message.contains("3213701234")));
    }

    #[test]
    fn equal_records_hash_equal() {
        let codes = codes();
        let ctx = CheckContext {
            codes: &codes,
            now: Utc::now(),
            leeway: Duration::zero(),
        };
        let a = test_input().check(ctx, "DK").unwrap();
        let mut changed = test_input();
        changed.result = "260373001".into();
        let b = changed.check(ctx, "DK").unwrap();
        assert_eq!(content_hash(&a), content_hash(&a.clone()));
        assert_ne!(content_hash(&a), content_hash(&b));
    }

    proptest::proptest! {
        #[test]
        fn checking_never_panics_and_never_echoes_the_cpr(
            record_id in ".{0,120}",
            cpr in "[0-9-]{0,12}",
            test_type in ".{0,12}",
            result in "[0-9]{0,10}",
            sample_time in ".{0,30}",
            centre in ".{0,100}",
            booking in proptest::option::of(".{0,40}"),
        ) {
            let codes = codes();
            let ctx = CheckContext { codes: &codes, now: Utc::now(), leeway: Duration::zero() };
            // Other fields may be echoed (codes are public); the CPR must not be.
            let elsewhere = [&record_id, &test_type, &result, &sample_time, &centre]
                .iter()
                .any(|f| f.contains(&cpr))
                || booking.as_ref().is_some_and(|b| b.contains(&cpr));
            let input = TestInput {
                record_id, cpr: cpr.clone(), disease: None, test_type, test_name: None,
                manufacturer: None, result, sample_time, test_centre: centre,
                country: None, booking_id: booking,
            };
            if let Err(e) = input.check(ctx, "DK") {
                proptest::prop_assert!(!e.0.is_empty());
                if cpr.len() >= 6 && !elsewhere {
                    proptest::prop_assert!(!e.to_string().contains(&cpr));
                }
            }
        }
    }
}
