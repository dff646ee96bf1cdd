//! Site routes: test centres, labs and vaccination sites report into the registers.
//! The sender is the site client's own id from its token; a site can only ever see or
//! change its own records.

use actix_web::http::header::CONTENT_TYPE;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use identity::SiteClient;

use crate::domain::passes::Register;
use crate::domain::records::{TestInput, TestRecord, VaccinationInput, VaccinationRecord};
use crate::error::PassError;
use crate::service::registers::{
    json_message, BulkFormat, BulkReceipt, Outcome, RecordReceipt, RegisterRecord,
};
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

#[utoipa::path(post, path = "/v1/register/tests", request_body = TestInput,
    responses((status = 201, body = RecordReceipt, description = "stored, or the same record again (`Idempotent-Replayed: true`)"),
        (status = 200, body = RecordReceipt, description = "a correction: the old version's passes are revoked"),
        (status = 422, body = service_kit::Problem, description = "invalid_record (with `errors`) or unknown_booking"),
        (status = 409, body = service_kit::Problem, description = "record_id_conflict or record_withdrawn")),
    security(("bearer" = [])), tag = "registers")]
pub async fn post_test(svc: web::Data<Service>, site: SiteClient, body: web::Bytes) -> Reply {
    submit::<TestRecord>(&svc, &site, &body).await
}

#[utoipa::path(post, path = "/v1/register/vaccinations", request_body = VaccinationInput,
    responses((status = 201, body = RecordReceipt, description = "stored, or the same record again (`Idempotent-Replayed: true`)"),
        (status = 200, body = RecordReceipt, description = "a correction: the old version's passes are revoked"),
        (status = 422, body = service_kit::Problem, description = "invalid_record (with `errors`) or unknown_booking"),
        (status = 409, body = service_kit::Problem, description = "record_id_conflict or record_withdrawn")),
    security(("bearer" = [])), tag = "registers")]
pub async fn post_vaccination(
    svc: web::Data<Service>,
    site: SiteClient,
    body: web::Bytes,
) -> Reply {
    submit::<VaccinationRecord>(&svc, &site, &body).await
}

#[utoipa::path(delete, path = "/v1/register/tests/{record_id}", params(("record_id" = String, Path, description = "the sender's record id")),
    responses((status = 200, body = RecordReceipt, description = "withdrawn as entered in error; its passes revoked"),
        (status = 404, body = service_kit::Problem)),
    security(("bearer" = [])), tag = "registers")]
pub async fn delete_test(
    svc: web::Data<Service>,
    site: SiteClient,
    path: web::Path<String>,
) -> Reply {
    let receipt = svc.withdraw(Register::Test, &site.id, &path).await?;
    Ok(HttpResponse::Ok().json(receipt))
}

#[utoipa::path(delete, path = "/v1/register/vaccinations/{record_id}", params(("record_id" = String, Path, description = "the sender's record id")),
    responses((status = 200, body = RecordReceipt, description = "withdrawn as entered in error; its passes revoked"),
        (status = 404, body = service_kit::Problem)),
    security(("bearer" = [])), tag = "registers")]
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

/// Reads a bulk body of at most `max` bytes; a larger one is refused (413 problem)
/// before or while it arrives, never buffered whole.
async fn read_body(
    req: &HttpRequest,
    mut payload: web::Payload,
    max: usize,
) -> Result<Vec<u8>, PassError> {
    use futures::StreamExt as _;
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > max) {
        return Err(PassError::TooLarge(max));
    }
    let mut body = Vec::with_capacity(declared.unwrap_or(0).min(max));
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| PassError::Invalid(format!("the body could not be read: {e}")))?;
        if body.len() + chunk.len() > max {
            return Err(PassError::TooLarge(max));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

async fn bulk<R: RegisterRecord>(
    svc: &Service,
    site: &SiteClient,
    req: &HttpRequest,
    payload: web::Payload,
) -> Reply {
    let format = format_of(req)?;
    let body = read_body(req, payload, svc.register_settings().bulk_max_bytes).await?;
    let receipt = svc.import::<R>(&site.id, format, &body).await?;
    Ok(HttpResponse::Ok().json(receipt))
}

#[utoipa::path(post, path = "/v1/register/tests/bulk",
    request_body(content = String, description = "NDJSON (one TestInput per line) or CSV with a header line",
        content_type = "application/x-ndjson"),
    responses((status = 200, body = BulkReceipt, description = "the good lines imported; every bad line in `errors`"),
        (status = 400, body = service_kit::Problem, description = "the file as a whole is unreadable (not UTF-8, no header, no records, too many records)"),
        (status = 413, body = service_kit::Problem, description = "payload_too_large: larger than registers.bulk_max_bytes"),
        (status = 415, body = service_kit::Problem),
        (status = 422, body = service_kit::Problem, description = "invalid_lines: no line could be imported (each in `errors`)")),
    security(("bearer" = [])), tag = "registers")]
pub async fn bulk_tests(
    svc: web::Data<Service>,
    site: SiteClient,
    req: HttpRequest,
    payload: web::Payload,
) -> Reply {
    bulk::<TestRecord>(&svc, &site, &req, payload).await
}

#[utoipa::path(post, path = "/v1/register/vaccinations/bulk",
    request_body(content = String, description = "NDJSON (one VaccinationInput per line) or CSV with a header line",
        content_type = "text/csv"),
    responses((status = 200, body = BulkReceipt, description = "the good lines imported; every bad line in `errors`"),
        (status = 400, body = service_kit::Problem, description = "the file as a whole is unreadable"),
        (status = 413, body = service_kit::Problem, description = "payload_too_large: larger than registers.bulk_max_bytes"),
        (status = 415, body = service_kit::Problem),
        (status = 422, body = service_kit::Problem, description = "invalid_lines: no line could be imported")),
    security(("bearer" = [])), tag = "registers")]
pub async fn bulk_vaccinations(
    svc: web::Data<Service>,
    site: SiteClient,
    req: HttpRequest,
    payload: web::Payload,
) -> Reply {
    bulk::<VaccinationRecord>(&svc, &site, &req, payload).await
}
