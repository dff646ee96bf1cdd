//! Passes for a citizen, issued from the registers only: which passes the registers
//! and the EU validity rules (`passes.rules_dir`) support now, issuing one as an EU DCC
//! whose `exp` the rules give, and fetching the current one. A helper acting
//! for the citizen is recorded in the audit log for every read and every issue.

use certificate::issue::Claims;
use certificate::payload::{DateOfBirth, Entry, Hcert, PersonName, Recovery, Test, Vaccination};
use certificate::uvci::Uvci;
use chrono::{DateTime, Utc};
use identity::CitizenAccess;
use serde::Serialize;
use serde_json::json;
use tokio_postgres::GenericClient;

use super::Service;
use crate::domain::passes::{recovery_dates, start_of, PassType, RecoveryDates, Window};
use crate::domain::validity::ValidityRules;
use crate::error::{PassError, Result};
use crate::store::passes::{self as store, NewPass, StoredPass};
use crate::store::registers::{self, StoredTest, StoredVaccination};

/// The UVCI the rule payloads carry: they are evaluated, never signed.
const RULE_PAYLOAD_UVCI: &str = "URN:UVCI:01:DK:RULE-CHECK";

/// What a pass would be made from.
#[derive(Debug, Clone)]
pub(crate) enum Source {
    Vaccination(StoredVaccination),
    Test(StoredTest),
    Recovery(StoredTest, RecoveryDates),
}

impl Source {
    /// The register the record is in.
    pub(crate) fn register(&self) -> crate::domain::passes::Register {
        use crate::domain::passes::Register;
        match self {
            Source::Vaccination(..) => Register::Vaccination,
            Source::Test(..) | Source::Recovery(..) => Register::Test,
        }
    }

    pub(crate) fn record_id(&self) -> i64 {
        match self {
            Source::Vaccination(v) => v.id,
            Source::Test(t) | Source::Recovery(t, _) => t.id,
        }
    }

    pub(crate) fn pass_type(&self) -> PassType {
        match self {
            Source::Vaccination(_) => PassType::Vaccination,
            Source::Test(_) => PassType::Test,
            Source::Recovery(..) => PassType::Recovery,
        }
    }

    /// When the record starts to count (shown with an offer; the rules say until when).
    fn valid_from(&self) -> DateTime<Utc> {
        match self {
            Source::Vaccination(v) => start_of(v.date),
            Source::Test(t) => t.sample_time,
            Source::Recovery(_, d) => start_of(d.valid_from),
        }
    }

    /// What the citizen sees about the record (no CPR).
    fn details(&self) -> serde_json::Value {
        match self {
            Source::Vaccination(v) => json!({
                "dose_number": v.dose_number, "total_doses": v.total_doses,
                "date": v.date, "product": v.product, "country": v.country,
            }),
            Source::Test(t) => json!({
                "test_type": t.test_type, "result": t.result, "sample_time": t.sample_time,
                "test_centre": t.test_centre, "country": t.country,
            }),
            Source::Recovery(t, d) => json!({
                "first_positive": d.first_positive, "valid_from": d.valid_from,
                "valid_until": d.valid_until, "country": t.country,
            }),
        }
    }
}

/// Where a pass is fetched (`pass`: GET the live one, POST to issue it), drawn and printed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PassLinks {
    #[schema(example = "/v1/me/passes/domestic?level=1")]
    pub pass: String,
    pub qr_png: String,
    pub qr_svg: String,
    /// The printable A4 pass; add `lang=da|en|both`.
    pub pdf: String,
}

impl PassLinks {
    fn of(path: &str, level: Option<i16>) -> Self {
        let base = format!("/v1/me/passes/{path}");
        let (q, and) = match level {
            Some(l) => (format!("?level={l}"), format!("&level={l}")),
            None => (String::new(), String::new()),
        };
        Self {
            pass: format!("{base}{q}"),
            qr_png: format!("{base}/qr.png{q}"),
            qr_svg: format!("{base}/qr.svg{q}"),
            pdf: format!("{base}/pass.pdf?lang=da{and}"),
        }
    }
}

/// A pass the registers support now: an EU DCC of a type, or the domestic pass of a level.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PassOffer {
    /// `vaccination`, `test`, `recovery` or `domestic`.
    #[serde(rename = "type")]
    #[schema(example = "vaccination")]
    pub pass_type: String,
    /// The domestic pass's level: 1 (valid until only) or 2 (also name and birth date).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<i16>,
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
    /// The record behind it; for the domestic pass `{"source": type, "record": {...}}`.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    /// The UVCI of a live EU pass already issued from the same record, if any.
    pub current_uvci: Option<String>,
    /// The id of a live pass already issued from the same record (UVCI or `urn:dk1:`).
    pub current_id: Option<String>,
    pub links: PassLinks,
}

/// An issued pass.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PassView {
    /// The pass's id: its UVCI, or `urn:dk1:...` for a domestic pass.
    pub id: String,
    /// The UVCI (EU DCCs only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uvci: Option<String>,
    #[serde(rename = "type")]
    pub pass_type: String,
    /// A domestic pass's level: 1 (valid until only) or 2 (also name and birth date).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<i16>,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// The QR text, `HC1:...` or `DK1:...` (only in answers about one pass).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hc1: Option<String>,
}

impl PassView {
    pub(crate) fn of(p: StoredPass, with_hc1: bool) -> Self {
        Self {
            uvci: p.domestic_level.is_none().then(|| p.uvci.clone()),
            id: p.uvci,
            level: p.domestic_level,
            pass_type: p.pass_type,
            issued_at: p.issued_at,
            expires_at: p.expires_at,
            revoked_at: p.revoked_at,
            hc1: with_hc1.then_some(p.hc1),
        }
    }
}

/// `GET /v1/me/passes`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PassOverview {
    pub available: Vec<PassOffer>,
    pub issued: Vec<PassView>,
}

/// Is `p` a live pass of `pass_type` (and `level`) issued from `source`?
fn live_from(
    p: &StoredPass,
    pass_type: &str,
    level: Option<i16>,
    source: &Source,
    now: DateTime<Utc>,
) -> bool {
    p.pass_type == pass_type
        && p.domestic_level == level
        && p.source_register == source.register().as_str()
        && p.source_record == source.record_id()
        && p.revoked_at.is_none()
        && p.expires_at > now
}

impl Service {
    /// The last moment a pass may be valid: `days` from now, and never past the Document
    /// Signer Certificate (an expired one is an operator's failure, said loudly).
    pub(crate) fn horizon(&self, now: DateTime<Utc>, days: u32) -> Result<DateTime<Utc>> {
        let dsc_end = self.signer().not_after();
        if dsc_end <= now.timestamp() {
            return Err(PassError::Internal(anyhow::anyhow!(
                "the Document Signer Certificate has expired"
            )));
        }
        let end = DateTime::from_timestamp(dsc_end, 0).unwrap_or(now);
        Ok(now
            .checked_add_signed(chrono::Duration::days(i64::from(days)))
            .unwrap_or(end)
            .min(end))
    }

    /// Until when `rules` accept the payload `source` makes, if they accept it now. The
    /// payload is built as it would be signed, with a placeholder name and UVCI: the
    /// rules judge dates and codes, never who the person is.
    pub(crate) fn rules_accept_until(
        &self,
        rules: &ValidityRules,
        source: &Source,
        dob: chrono::NaiveDate,
        now: DateTime<Utc>,
        horizon: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>> {
        let settings = self.pass_settings();
        let internal = |e: certificate::payload::PayloadError| PassError::Internal(e.into());
        let name = PersonName::new("Regelkontrol", None).map_err(internal)?;
        let entry = entry(
            source,
            RULE_PAYLOAD_UVCI,
            &settings.country,
            &settings.issuer_name,
        );
        let payload = Hcert::new(name, DateOfBirth::from(dob), entry)
            .to_json()
            .map_err(internal)?;
        Ok(rules.valid_until(&payload, now, horizon))
    }

    /// The EU pass of `pass_type` the registers and the EU rules support now: its record
    /// and its window (the rules' "valid until" is the pass's `exp`).
    async fn eu_source(
        &self,
        c: &impl GenericClient,
        cpr: &identity::Cpr,
        pass_type: PassType,
        now: DateTime<Utc>,
    ) -> Result<Option<(Source, Window)>> {
        let Some(source) = self.latest_source(c, cpr.as_str(), pass_type).await? else {
            return Ok(None);
        };
        let horizon = self.horizon(now, self.pass_settings().max_validity_days)?;
        let until =
            self.rules_accept_until(self.eu_rules(), &source, cpr.birth_date(), now, horizon)?;
        Ok(until
            .filter(|u| u.timestamp() > now.timestamp())
            .map(|valid_until| {
                let window = Window {
                    valid_from: source.valid_from(),
                    valid_until,
                };
                (source, window)
            }))
    }

    /// The latest record a pass of `pass_type` could come from; the rules (EU or
    /// domestic) decide whether and until when it makes one.
    pub(crate) async fn latest_source(
        &self,
        c: &impl GenericClient,
        cpr: &str,
        pass_type: PassType,
    ) -> Result<Option<Source>> {
        let rules = self.pass_settings();
        let source = match pass_type {
            PassType::Vaccination => registers::latest_vaccination(c, cpr)
                .await?
                .map(Source::Vaccination),
            PassType::Test => registers::latest_test(c, cpr).await?.map(Source::Test),
            PassType::Recovery => registers::latest_test_with(
                c,
                cpr,
                &rules.positive_result,
                &rules.recovery_test_types,
            )
            .await?
            .and_then(|t| {
                recovery_dates(rules, &t.test_type, &t.result, t.sample_time)
                    .map(|d| Source::Recovery(t, d))
            }),
        };
        Ok(source)
    }

    /// Which passes the registers support now (the EU ones and the domestic pass at
    /// both levels, with their links), and the passes issued so far.
    pub async fn overview(&self, who: &CitizenAccess) -> Result<PassOverview> {
        let now = self.now();
        let cpr = who.cpr.as_str();
        let mut client = self.pg().get().await?;
        let tx = client.transaction().await?;
        let issued = store::of_person(&*tx, cpr).await?;
        let mut available = Vec::new();
        for pass_type in PassType::ALL {
            if let Some((source, w)) = self.eu_source(&*tx, &who.cpr, pass_type, now).await? {
                let current = issued
                    .iter()
                    .find(|p| live_from(p, pass_type.as_str(), None, &source, now))
                    .map(|p| p.uvci.clone());
                available.push(PassOffer {
                    pass_type: pass_type.as_str().to_owned(),
                    level: None,
                    valid_from: w.valid_from,
                    valid_until: w.valid_until,
                    details: source.details(),
                    current_uvci: current.clone(),
                    current_id: current,
                    links: PassLinks::of(pass_type.as_str(), None),
                });
            }
        }
        if let Some((source, until)) = self.best_domestic(&*tx, &who.cpr, now).await? {
            for level in [1, 2] {
                available.push(PassOffer {
                    pass_type: "domestic".into(),
                    level: Some(level),
                    valid_from: now,
                    valid_until: until,
                    details: json!({
                        "source": source.pass_type().as_str(),
                        "record": source.details(),
                    }),
                    current_uvci: None,
                    current_id: issued
                        .iter()
                        .find(|p| live_from(p, "domestic", Some(level), &source, now))
                        .map(|p| p.uvci.clone()),
                    links: PassLinks::of("domestic", Some(level)),
                });
            }
        }
        audit_helper(&tx, who, "passes.list", json!({})).await?;
        tx.commit().await?;
        Ok(PassOverview {
            available,
            issued: issued.into_iter().map(|p| PassView::of(p, false)).collect(),
        })
    }

    /// Issues a pass of `pass_type` from the registers; a live pass from the same record
    /// is returned instead of a new one (`false`: nothing was issued).
    pub async fn issue(
        &self,
        who: &CitizenAccess,
        pass_type: PassType,
    ) -> Result<(bool, PassView)> {
        let now = self.now();
        let cpr = who.cpr.as_str();
        let mut client = self.pg().get().await?;
        let tx = client.transaction().await?;
        let (source, window) = self
            .eu_source(&*tx, &who.cpr, pass_type, now)
            .await?
            .ok_or(PassError::NoPassAvailable(pass_type))?;
        if let Some(existing) = store::current(&*tx, cpr, pass_type.as_str(), now).await? {
            if existing.source_record == source.record_id() {
                audit_helper(&tx, who, "passes.read", json!({"type": pass_type.as_str()})).await?;
                tx.commit().await?;
                return Ok((false, PassView::of(existing, true)));
            }
        }
        let (given, family, _) = registers::citizen_name(&*tx, cpr)
            .await?
            .ok_or(PassError::NotInPopulationRegister)?;
        let settings = self.pass_settings();
        let uvci = Uvci::new(
            &settings.country,
            &format!(
                "{}/{}",
                pass_type.uvci_letter(),
                uuid::Uuid::new_v4()
                    .simple()
                    .to_string()
                    .to_ascii_uppercase()
            ),
        )
        .map_err(|e| PassError::Internal(anyhow::anyhow!("UVCI: {e}")))?
        .to_string();
        let entry = entry(&source, &uvci, &settings.country, &settings.issuer_name);
        let name = PersonName::new(&family, Some(&given))
            .map_err(|e| PassError::Internal(anyhow::anyhow!("name: {e}")))?;
        let hcert = Hcert::new(name, DateOfBirth::from(who.cpr.birth_date()), entry);
        // `exp` is when the EU rules stop accepting the record, within the horizon
        // (never past the DSC).
        let claims = Claims {
            issuer: settings.country.clone(),
            issued_at: now.timestamp(),
            expires_at: window.valid_until.timestamp(),
        };
        let started = std::time::Instant::now();
        let signed = self
            .signer()
            .sign(&hcert, &claims)
            .map_err(|e| PassError::Internal(e.into()))?;
        metrics::histogram!("pass_signing_seconds").record(started.elapsed().as_secs_f64());
        let kid = self.signer().kid().to_base64();
        let issued_at = DateTime::from_timestamp(claims.issued_at, 0).unwrap_or(now);
        let expires_at =
            DateTime::from_timestamp(claims.expires_at, 0).unwrap_or(window.valid_until);
        let hc1 = signed.hc1.into_string();
        store::insert(
            &tx,
            &NewPass {
                uvci: &uvci,
                cpr,
                pass_type: pass_type.as_str(),
                source_register: pass_type.source_register(),
                source_record: source.record_id(),
                kid: &kid,
                hc1: &hc1,
                uci_hash: signed.hashes.uci.as_ref().map_or(&[][..], |h| &h[..]),
                country_uci_hash: signed
                    .hashes
                    .country_code_uci
                    .as_ref()
                    .map_or(&[][..], |h| &h[..]),
                signature_hash: &signed.hashes.signature,
                issued_by_helper: who.helper.as_deref(),
                issued_at,
                expires_at,
                domestic_level: None,
            },
        )
        .await?;
        audit_helper(
            &tx,
            who,
            "passes.issue",
            json!({"type": pass_type.as_str()}),
        )
        .await?;
        tx.commit().await?;
        metrics::counter!("passes_issued_total", "type" => pass_type.as_str()).increment(1);
        Ok((
            true,
            PassView {
                id: uvci.clone(),
                uvci: Some(uvci),
                level: None,
                pass_type: pass_type.as_str().to_owned(),
                issued_at,
                expires_at,
                revoked_at: None,
                hc1: Some(hc1),
            },
        ))
    }

    /// The live pass of a type (not revoked, not expired).
    pub async fn current_pass(&self, who: &CitizenAccess, pass_type: PassType) -> Result<PassView> {
        let mut client = self.pg().get().await?;
        let tx = client.transaction().await?;
        let pass = store::current(&*tx, who.cpr.as_str(), pass_type.as_str(), self.now())
            .await?
            .ok_or(PassError::NotFound("pass"))?;
        audit_helper(&tx, who, "passes.read", json!({"type": pass_type.as_str()})).await?;
        tx.commit().await?;
        Ok(PassView::of(pass, true))
    }
}

pub(crate) fn entry(source: &Source, uvci: &str, country: &str, issuer: &str) -> Entry {
    match source {
        Source::Vaccination(v) => Entry::Vaccination(Vaccination {
            tg: v.disease.clone(),
            vp: v.vaccine.clone(),
            mp: v.product.clone(),
            ma: v.manufacturer.clone(),
            // The schema allows 1..=9 and the register's CHECK holds it there.
            dn: u8::try_from(v.dose_number).unwrap_or(1),
            sd: u8::try_from(v.total_doses).unwrap_or(1),
            dt: v.date,
            co: v.country.clone(),
            is: issuer.to_owned(),
            ci: uvci.to_owned(),
        }),
        Source::Test(t) => Entry::Test(Test {
            tg: t.disease.clone(),
            tt: t.test_type.clone(),
            nm: t.test_name.clone(),
            ma: t.manufacturer.clone(),
            sc: t.sample_time,
            tr: t.result.clone(),
            tc: Some(t.test_centre.clone()),
            co: t.country.clone(),
            is: issuer.to_owned(),
            ci: uvci.to_owned(),
        }),
        Source::Recovery(t, d) => Entry::Recovery(Recovery {
            tg: t.disease.clone(),
            fr: d.first_positive,
            co: if t.country.is_empty() {
                country.to_owned()
            } else {
                t.country.clone()
            },
            is: issuer.to_owned(),
            df: d.valid_from,
            du: d.valid_until,
            ci: uvci.to_owned(),
        }),
    }
}

/// Records in the audit log that a helper acted on the citizen's data.
pub(crate) async fn audit_helper(
    tx: &tokio_postgres::Transaction<'_>,
    who: &CitizenAccess,
    action: &str,
    detail: serde_json::Value,
) -> Result<()> {
    if let Some(helper) = &who.helper {
        booking::store::audit(tx, who.cpr.as_str(), "helper", helper, action, &detail).await?;
    }
    Ok(())
}
