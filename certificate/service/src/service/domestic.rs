//! The Danish domestic pass (`DK1:`) for a citizen: issued when the domestic acceptance
//! rules (CertLogic, `domestic.rules_dir`) accept one of the citizen's current records
//! (as the EU DCC payload it would make), valid until the rules stop accepting it. It is
//! recorded with the EU passes, so correcting or withdrawing that record revokes it (its
//! SIGNATURE hash joins the revocation list). A helper acting for the citizen is audited.

use certificate::domestic::{Contents, Level, Name};
use certificate::issue::Claims;
use certificate::payload::PersonName;
use chrono::{DateTime, Utc};
use identity::{CitizenAccess, Cpr};
use serde_json::json;
use tokio_postgres::GenericClient;

use super::passes::{audit_helper, PassView, Source};
use super::Service;
use crate::domain::passes::PassType;
use crate::error::{PassError, Result};
use crate::store::passes::{self as store, NewPass};
use crate::store::registers;

/// Parses the `level` query value.
pub fn parse_level(s: Option<&str>) -> Result<Level> {
    match s.unwrap_or("1") {
        "1" => Ok(Level::ValidUntil),
        "2" => Ok(Level::WithIdentity),
        _ => Err(PassError::Invalid("level must be 1 or 2".into())),
    }
}

fn internal(e: impl std::fmt::Display) -> PassError {
    PassError::Internal(anyhow::anyhow!("{e}"))
}

impl Service {
    /// Issues a domestic pass of `level`, or returns the live one of that level issued
    /// from the same record (`false`: nothing was issued).
    pub async fn issue_domestic(
        &self,
        who: &CitizenAccess,
        level: Level,
    ) -> Result<(bool, PassView)> {
        let now = self.now();
        let cpr = who.cpr.as_str();
        let settings = self.pass_settings();
        let mut client = self.pg().get().await?;
        let tx = client.transaction().await?;
        let (given, family, _) = registers::citizen_name(&*tx, cpr)
            .await?
            .ok_or(PassError::NotInPopulationRegister)?;
        let name = PersonName::new(&family, Some(&given)).map_err(internal)?;
        let dob = who.cpr.birth_date();
        let (source, valid_until) = self
            .best_domestic(&*tx, &who.cpr, now)
            .await?
            .ok_or(PassError::NoDomesticPass)?;
        let number = i16::from(level.number());
        if let Some(existing) = store::current_domestic(&*tx, cpr, Some(number), now).await? {
            if existing.source_register == source.register().as_str()
                && existing.source_record == source.record_id()
            {
                audit_helper(&tx, who, "passes.read", json!({"type": "domestic"})).await?;
                tx.commit().await?;
                return Ok((false, PassView::of(existing, true)));
            }
        }

        let contents = match level {
            Level::ValidUntil => Contents::ValidUntil,
            Level::WithIdentity => Contents::WithIdentity {
                nam: Name::from_person(&name),
                dob,
            },
        };
        let claims = Claims {
            issuer: settings.country.clone(),
            issued_at: now.timestamp(),
            expires_at: valid_until.timestamp(),
        };
        let started = std::time::Instant::now();
        let signed = self
            .signer()
            .sign_domestic(&contents, &claims)
            .map_err(|e| PassError::Internal(e.into()))?;
        metrics::histogram!("pass_signing_seconds").record(started.elapsed().as_secs_f64());
        let id = format!("urn:dk1:{}", uuid::Uuid::new_v4());
        let kid = self.signer().kid().to_base64();
        let issued_at = DateTime::from_timestamp(claims.issued_at, 0).unwrap_or(now);
        store::insert(
            &tx,
            &NewPass {
                uvci: &id,
                cpr,
                pass_type: "domestic",
                source_register: source.register(),
                source_record: source.record_id(),
                kid: &kid,
                hc1: &signed.text,
                uci_hash: &[],
                country_uci_hash: &[],
                signature_hash: &signed.signature_hash,
                issued_by_helper: who.helper.as_deref(),
                issued_at,
                expires_at: valid_until,
                domestic_level: Some(number),
            },
        )
        .await?;
        audit_helper(
            &tx,
            who,
            "passes.issue",
            json!({"type": "domestic", "level": number}),
        )
        .await?;
        tx.commit().await?;
        metrics::counter!("passes_issued_total", "type" => "domestic").increment(1);
        Ok((
            true,
            PassView {
                id,
                uvci: None,
                pass_type: "domestic".into(),
                level: Some(number),
                issued_at,
                expires_at: valid_until,
                revoked_at: None,
                hc1: Some(signed.text),
            },
        ))
    }

    /// The record the domestic rules accept for longest now, and until when (a pass
    /// accepted for this second only is no pass).
    pub(crate) async fn best_domestic(
        &self,
        c: &impl GenericClient,
        cpr: &Cpr,
        now: DateTime<Utc>,
    ) -> Result<Option<(Source, DateTime<Utc>)>> {
        let horizon = self.horizon(now, self.domestic_settings().max_validity_days)?;
        let mut best: Option<(Source, DateTime<Utc>)> = None;
        for pass_type in PassType::ALL {
            let Some(source) = self.latest_source(c, cpr.as_str(), pass_type).await? else {
                continue;
            };
            let until = self.rules_accept_until(
                self.domestic_rules(),
                &source,
                cpr.birth_date(),
                now,
                horizon,
            )?;
            if let Some(until) = until {
                if best.as_ref().is_none_or(|(_, b)| until > *b) {
                    best = Some((source, until));
                }
            }
        }
        Ok(best.filter(|(_, until)| until.timestamp() > now.timestamp()))
    }

    /// The newest live domestic pass, of `level` or of any level.
    pub async fn current_domestic(
        &self,
        who: &CitizenAccess,
        level: Option<Level>,
    ) -> Result<PassView> {
        let mut client = self.pg().get().await?;
        let tx = client.transaction().await?;
        let level = level.map(|l| i16::from(l.number()));
        let pass = store::current_domestic(&*tx, who.cpr.as_str(), level, self.now())
            .await?
            .ok_or(PassError::NotFound("pass"))?;
        audit_helper(&tx, who, "passes.read", json!({"type": "domestic"})).await?;
        tx.commit().await?;
        Ok(PassView::of(pass, true))
    }
}
