//! Site routes: test centres, labs and vaccination sites report into the registers.
//! The sender is the site client's own id from its token; a site can only ever see or
//! change its own records.

use actix_web::http::header::CONTENT_TYPE;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use identity::SiteClient;

use crate::domain::passes::Register;
use crate::domain::records::{TestRecord, VaccinationRecord};
use crate::error::PassError;
use crate::service::registers::{json_message, BulkFormat, Outcome, RecordReceipt, RegisterRecord};
use crate::service::Service;

type Reply = Result<HttpResponse, PassError>;

fn answer(outcome: Outcome, receipt: &RecordReceipt) -> HttpResponse {
    // A resubmission answers as the first submission did.
    let status = match outcome {
        Outcome::Created | Outcome::Unchanged => StatusCode::CREATED,
        Outcome::Corrected => StatusCode::OK,
    };
    let mut b = HttpResponse::build(status);
    if outcome == Outcome::Unchanged {
        b.insert_header(("Idempotent-Replayed", "true"));
    }
    b.json(receipt)
}

/// Parses a record body by hand: serde's own messages can quote values, and a value
/// may be a CPR number.
async fn submit<R: RegisterRecord>(svc: &Service, site: &SiteClient, body: &[u8]) -> Reply {
    let input: R::Input = serde_json::from_slice(body).map_err(|e| {
        PassError::Invalid(format!(
            "the body must be one JSON record: {}",
            json_message(&e)
        ))
    })?;
    let record: R = svc.check_record(&input)?;
    let (outcome, receipt) = svc.submit(&site.id, &record).await?;
    Ok(answer(outcome, &receipt))
}

pub async fn post_test(svc: web::Data<Service>, site: SiteClient, body: web::Bytes) -> Reply {
    submit::<TestRecord>(&svc, &site, &body).await
}

pub async fn post_vaccination(
    svc: web::Data<Service>,
    site: SiteClient,
    body: web::Bytes,
) -> Reply {
    submit::<VaccinationRecord>(&svc, &site, &body).await
}

pub async fn delete_test(
    svc: web::Data<Service>,
    site: SiteClient,
    path: web::Path<String>,
) -> Reply {
    let receipt = svc.withdraw(Register::Test, &site.id, &path).await?;
    Ok(HttpResponse::Ok().json(receipt))
}

pub async fn delete_vaccination(
    svc: web::Data<Service>,
    site: SiteClient,
    path: web::Path<String>,
) -> Reply {
    let receipt = svc.withdraw(Register::Vaccination, &site.id, &path).await?;
    Ok(HttpResponse::Ok().json(receipt))
}

fn format_of(req: &HttpRequest) -> Result<BulkFormat, PassError> {
    let ct = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match ct.as_str() {
        "application/x-ndjson" | "application/ndjson" | "application/jsonl" => {
            Ok(BulkFormat::Ndjson)
        }
        "text/csv" => Ok(BulkFormat::Csv),
        _ => Err(PassError::UnsupportedMediaType),
    }
}

async fn bulk<R: RegisterRecord>(
    svc: &Service,
    site: &SiteClient,
    req: &HttpRequest,
    body: &[u8],
) -> Reply {
    let format = format_of(req)?;
    let receipt = svc.import::<R>(&site.id, format, body).await?;
    Ok(HttpResponse::Ok().json(receipt))
}

pub async fn bulk_tests(
    svc: web::Data<Service>,
    site: SiteClient,
    req: HttpRequest,
    body: web::Bytes,
) -> Reply {
    bulk::<TestRecord>(&svc, &site, &req, &body).await
}

pub async fn bulk_vaccinations(
    svc: web::Data<Service>,
    site: SiteClient,
    req: HttpRequest,
    body: web::Bytes,
) -> Reply {
    bulk::<VaccinationRecord>(&svc, &site, &req, &body).await
}
