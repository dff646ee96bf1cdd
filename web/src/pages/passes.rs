//! My passes and what the registers hold: the passes the registers support now (with
//! the test result or vaccination behind each; the EU passes and the domestic pass at
//! both levels), showing one as a QR code on screen, and the printable PDF pass from
//! the pass service (fetched with the person's token, so a helper gets it too).

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{redirect, Ctx};
use crate::api::{PassKind, PassOffer, PdfLang};
use crate::errors::PageError;
use crate::i18n::{self, Lang};
use crate::timefmt;

/// Words for the EU value-set codes a citizen meets; an unknown code is shown as is.
pub fn describe_code(lang: Lang, code: &str) -> String {
    let key = match code {
        "260415000" => "code_not_detected",
        "260373001" => "code_detected",
        "LP6464-4" => "code_pcr",
        "LP217198-3" => "code_rapid",
        "EU/1/20/1528" => "code_comirnaty",
        "EU/1/20/1507" => "code_spikevax",
        "EU/1/21/1529" => "code_vaxzevria",
        "EU/1/20/1525" => "code_jcovden",
        _ => return code.to_owned(),
    };
    i18n::text(lang, key).to_owned()
}

fn text_of(v: &Value, field: &str) -> String {
    match v.get(field) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// The register facts behind an offer, as (label, value) lines.
pub fn facts(lang: Lang, offer: &PassOffer) -> Vec<(String, String)> {
    match offer.kind() {
        Some(PassKind::Domestic1 | PassKind::Domestic2) => {
            // The domestic pass names the record the rules accepted.
            let source = text_of(&offer.details, "source");
            let based_on = (
                i18n::text(lang, "fact_based_on").to_owned(),
                i18n::text(lang, &format!("pass_{source}")).to_owned(),
            );
            let mut lines = vec![based_on];
            if let Some(kind) = PassKind::parse(&source) {
                lines.extend(record_facts(lang, kind, &offer.details["record"]));
            }
            lines
        }
        Some(kind) => record_facts(lang, kind, &offer.details),
        None => Vec::new(),
    }
}

/// The facts of one register record of `kind`.
fn record_facts(lang: Lang, kind: PassKind, d: &Value) -> Vec<(String, String)> {
    let t = |k: &str| i18n::text(lang, k).to_owned();
    let when = |field: &str| {
        let raw = text_of(d, field);
        match raw.parse::<chrono::DateTime<chrono::Utc>>() {
            Ok(at) => timefmt::datetime_long(at, lang),
            Err(_) => match raw.parse::<chrono::NaiveDate>() {
                Ok(day) => timefmt::date_long(day, lang),
                Err(_) => raw,
            },
        }
    };
    match kind {
        PassKind::Vaccination => vec![
            (
                t("fact_dose"),
                format!(
                    "{} / {}",
                    text_of(d, "dose_number"),
                    text_of(d, "total_doses")
                ),
            ),
            (t("fact_date"), when("date")),
            (
                t("fact_product"),
                describe_code(lang, &text_of(d, "product")),
            ),
        ],
        PassKind::Test => vec![
            (
                t("fact_test_type"),
                describe_code(lang, &text_of(d, "test_type")),
            ),
            (t("fact_result"), describe_code(lang, &text_of(d, "result"))),
            (t("fact_sample_time"), when("sample_time")),
            (t("fact_centre"), text_of(d, "test_centre")),
        ],
        PassKind::Recovery => vec![(t("fact_first_positive"), when("first_positive"))],
        PassKind::Domestic1 | PassKind::Domestic2 => Vec::new(),
    }
}

fn kind_from(path: &str) -> Result<PassKind, PageError> {
    PassKind::parse(path).ok_or(PageError::NotFound)
}

/// `GET /passes`.
pub async fn overview(ctx: Ctx) -> HttpResponse {
    let result = async {
        let user = ctx.citizen()?;
        let o = ctx.api().passes_overview(&user.token).await?;
        let offers: Vec<Value> = o
            .available
            .iter()
            .filter_map(|offer| Some((offer, offer.kind()?)))
            .map(|(offer, kind)| {
                let facts: Vec<Value> = facts(ctx.lang, offer)
                    .into_iter()
                    .map(|(label, value)| json!({ "label": label, "value": value }))
                    .collect();
                json!({
                    "kind": kind.as_str(),
                    "name": ctx.t(&format!("pass_{}", kind.as_str())),
                    "valid_from": timefmt::datetime_long(offer.valid_from, ctx.lang),
                    "valid_until": timefmt::datetime_long(offer.valid_until, ctx.lang),
                    "facts": facts,
                    "issued": offer.current_id.is_some(),
                })
            })
            .collect();
        let issued: Vec<Value> = o
            .issued
            .iter()
            .filter_map(|p| Some((p, p.kind()?)))
            .map(|(p, kind)| {
                json!({
                    "name": ctx.t(&format!("pass_{}", kind.as_str())),
                    "issued_at": timefmt::datetime_long(p.issued_at, ctx.lang),
                    "expires_at": timefmt::datetime_long(p.expires_at, ctx.lang),
                    "revoked": p.revoked_at.is_some(),
                })
            })
            .collect();
        ctx.page(
            "passes.html",
            "passes_title",
            json!({ "offers": offers, "issued": issued }),
        )
    }
    .await;
    ctx.finish(result)
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

/// `POST /passes/{kind}`: issue the pass (or find the live one), then show it.
pub async fn issue(ctx: Ctx, path: web::Path<String>, form: web::Form<CsrfForm>) -> HttpResponse {
    let result = async {
        ctx.check_csrf(&form.csrf)?;
        let user = ctx.citizen()?;
        let kind = kind_from(&path)?;
        ctx.api().issue_pass(&user.token, kind).await?;
        Ok(redirect(&format!("/passes/{}", kind.as_str())))
    }
    .await;
    ctx.finish_post(result, "/passes")
}

/// `GET /passes/{kind}`: the pass with its QR code; prints as the pass.
pub async fn show(ctx: Ctx, path: web::Path<String>) -> HttpResponse {
    let result = async {
        let user = ctx.citizen()?;
        let kind = kind_from(&path)?;
        let pass = ctx.api().current_pass(&user.token, kind).await?;
        let holder = user.cpr.as_deref().map(crate::cpr::masked);
        ctx.page(
            "pass.html",
            "pass_title",
            json!({
                "pass": {
                    "kind": kind.as_str(),
                    "name": ctx.t(&format!("pass_{}", kind.as_str())),
                    "uvci": pass.uvci,
                    "domestic": pass.level.is_some(),
                    "issued_at": timefmt::datetime_long(pass.issued_at, ctx.lang),
                    "expires_at": timefmt::datetime_long(pass.expires_at, ctx.lang),
                    "holder": user.name.clone().or(holder),
                }
            }),
        )
    }
    .await;
    ctx.finish(result)
}

/// `GET /passes/{kind}/qr.png`: the QR image, fetched with the person's token.
pub async fn qr(ctx: Ctx, path: web::Path<String>) -> HttpResponse {
    let result = async {
        let user = ctx.citizen()?;
        let kind = kind_from(&path)?;
        let png = ctx.api().pass_qr_png(&user.token, kind).await?;
        Ok(HttpResponse::Ok().content_type("image/png").body(png))
    }
    .await;
    ctx.finish(result)
}

#[derive(Debug, Deserialize)]
pub struct PdfQuery {
    #[serde(default)]
    lang: Option<String>,
}

/// `GET /passes/{kind}/pass.pdf?lang=da|en|both`: the printable pass from the pass
/// service, fetched with the person's token (a helper's prints the citizen's pass, and
/// the pass service records it), offered as a download.
pub async fn pdf(ctx: Ctx, path: web::Path<String>, q: web::Query<PdfQuery>) -> HttpResponse {
    let result = async {
        let user = ctx.citizen()?;
        let kind = kind_from(&path)?;
        let lang = match q.lang.as_deref() {
            None => PdfLang::Da,
            Some(l) => PdfLang::parse(l).ok_or(PageError::NotFound)?,
        };
        let pdf = ctx.api().pass_pdf(&user.token, kind, lang).await?;
        Ok(HttpResponse::Ok()
            .content_type("application/pdf")
            .insert_header((
                "Content-Disposition",
                format!(
                    "attachment; filename=\"coronapas-{}-{}.pdf\"",
                    kind.as_str(),
                    lang.as_str()
                ),
            ))
            .body(pdf))
    }
    .await;
    ctx.finish(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn register_facts_in_words() {
        let offer: PassOffer = serde_json::from_value(json!({
            "type": "test", "valid_from": "2026-12-01T10:00:00Z", "valid_until": "2026-12-04T10:00:00Z",
            "details": {"test_type": "LP6464-4", "result": "260415000",
                        "sample_time": "2026-12-01T09:00:00Z", "test_centre": "Testcenter Aarhus"}
        }))
        .unwrap();
        let f = facts(Lang::Da, &offer);
        assert_eq!(f[0].1, "PCR-test");
        assert_eq!(f[1].1, "negativ (ikke påvist)");
        assert_eq!(f[2].1, "tirsdag 1. december 2026 kl. 10:00");
        assert_eq!(
            describe_code(Lang::En, "EU/1/20/1528"),
            "Comirnaty (BioNTech/Pfizer)"
        );
        assert_eq!(describe_code(Lang::En, "XYZ"), "XYZ");
        let vacc: PassOffer = serde_json::from_value(json!({
            "type": "vaccination", "valid_from": "2026-12-01T10:00:00Z", "valid_until": "2027-12-01T10:00:00Z",
            "details": {"dose_number": 2, "total_doses": 2, "date": "2026-11-28", "product": "EU/1/20/1528"}
        }))
        .unwrap();
        let f = facts(Lang::En, &vacc);
        assert_eq!(f[0].1, "2 / 2");
        assert_eq!(f[1].1, "Saturday 28 November 2026");
    }
}
