//! The pass service's errors and their one mapping to HTTP (problem+json). A record's
//! field errors and a bulk file's line errors travel in an `errors` member next to the
//! problem; none of them carries a CPR number.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use service_kit::Problem;

use crate::domain::passes::PassType;
use crate::domain::records::FieldError;

/// One bad line of a bulk import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct LineError {
    /// 1-based line (NDJSON) or row (CSV, the header is line 1) number.
    pub line: usize,
    /// The sender's record id, when the line got that far.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_id: Option<String>,
    pub errors: Vec<FieldError>,
}

#[derive(Debug, thiserror::Error)]
pub enum PassError {
    #[error("{0}")]
    Invalid(String),
    #[error("the record is invalid")]
    InvalidRecord(Vec<FieldError>),
    #[error("no line of the file could be imported ({} bad line(s)); nothing was changed", .0.len())]
    BulkRejected(Vec<LineError>),
    #[error("the body is larger than {0} bytes; split the file")]
    TooLarge(usize),
    #[error("send NDJSON (application/x-ndjson) or CSV (text/csv)")]
    UnsupportedMediaType,
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("this record was withdrawn as entered in error; send it under a new record id")]
    RecordWithdrawn,
    #[error("this record id belongs to a record about another person; a correction cannot change whose record it is")]
    RecordIdConflict,
    #[error("the booking does not exist or is not this person's")]
    UnknownBooking,
    #[error("the registers hold nothing that makes a {} pass now", .0.as_str())]
    NoPassAvailable(PassType),
    #[error("the registers hold nothing the domestic acceptance rules accept now")]
    NoDomesticPass,
    #[error("unknown pass type; use vaccination, test, recovery or domestic")]
    UnknownPassType,
    #[error("the person is not in the population register, so the pass cannot carry a name")]
    NotInPopulationRegister,
    #[error("a store is unavailable")]
    Unavailable(#[source] anyhow::Error),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl PassError {
    pub fn problem(&self) -> Problem {
        use PassError::*;
        let (status, code) = match self {
            Invalid(_) => (StatusCode::BAD_REQUEST, "invalid_request"),
            InvalidRecord(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_record"),
            BulkRejected(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_lines"),
            TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            UnsupportedMediaType => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
            NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            RecordWithdrawn => (StatusCode::CONFLICT, "record_withdrawn"),
            RecordIdConflict => (StatusCode::CONFLICT, "record_id_conflict"),
            UnknownBooking => (StatusCode::UNPROCESSABLE_ENTITY, "unknown_booking"),
            NoPassAvailable(_) | NoDomesticPass => (StatusCode::NOT_FOUND, "no_pass_available"),
            UnknownPassType => (StatusCode::NOT_FOUND, "unknown_pass_type"),
            NotInPopulationRegister => (StatusCode::CONFLICT, "not_in_population_register"),
            Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        };
        let mut p = Problem::new(status, code, self.to_string());
        if matches!(self, Unavailable(_)) {
            p = p.with_retry_after(1);
        }
        p
    }

    /// The `errors` member, for the variants that carry details.
    fn details(&self) -> Option<serde_json::Value> {
        match self {
            PassError::InvalidRecord(errors) => serde_json::to_value(errors).ok(),
            // Every bad line (a file holds at most `bulk_max_records`).
            PassError::BulkRejected(lines) => serde_json::to_value(lines).ok(),
            _ => None,
        }
    }
}

impl ResponseError for PassError {
    fn status_code(&self) -> StatusCode {
        self.problem().status_code()
    }

    fn error_response(&self) -> HttpResponse {
        if matches!(self, PassError::Unavailable(_) | PassError::Internal(_)) {
            tracing::error!(error = %booking::error::error_chain(self), "request failed");
        }
        let problem = self.problem();
        let Some(details) = self.details() else {
            return problem.to_response();
        };
        let mut body = serde_json::to_value(&problem).unwrap_or_default();
        if let Some(map) = body.as_object_mut() {
            map.insert("errors".into(), details);
        }
        HttpResponse::build(problem.status_code())
            .content_type(service_kit::problem::CONTENT_TYPE)
            .json(body)
    }
}

impl From<deadpool_postgres::PoolError> for PassError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        PassError::Unavailable(e.into())
    }
}

impl From<tokio_postgres::Error> for PassError {
    fn from(e: tokio_postgres::Error) -> Self {
        use tokio_postgres::error::SqlState;
        let retry = e.code().is_some_and(|c| {
            *c == SqlState::T_R_DEADLOCK_DETECTED || *c == SqlState::T_R_SERIALIZATION_FAILURE
        });
        if retry || e.is_closed() {
            PassError::Unavailable(e.into())
        } else {
            PassError::Internal(e.into())
        }
    }
}

pub type Result<T, E = PassError> = std::result::Result<T, E>;
