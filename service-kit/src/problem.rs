//! The one error body on the wire: RFC 9457 `application/problem+json`.
//!
//! Each layer keeps its own error enum and maps it to a `Problem` at the HTTP boundary.
//! `code` is stable and machine-readable; `detail` is for a person and must never carry
//! a CPR number, a secret or an internal cause chain (those go to the log).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::{Deserialize, Serialize};

pub const CONTENT_TYPE: &str = "application/problem+json";

/// An error response (RFC 9457). `code` is stable; `detail` is for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI naming the problem type: `urn:problem:<code>`.
    #[serde(rename = "type")]
    pub type_uri: String,
    pub title: String,
    pub status: u16,
    /// Stable machine code, e.g. `slot_full`.
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Seconds a client should wait before retrying (also sent as `Retry-After`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u32>,
    /// Extension members (RFC 9457 section 3.2): what a client needs to act on this
    /// problem, e.g. the waiting room to join for `admission_required`.
    #[serde(flatten, skip_serializing_if = "serde_json::Map::is_empty", default)]
    #[schema(value_type = Object)]
    pub extensions: serde_json::Map<String, serde_json::Value>,
}

impl Problem {
    pub fn new(status: StatusCode, code: &str, detail: impl Into<String>) -> Self {
        Self {
            type_uri: format!("urn:problem:{code}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            code: code.to_owned(),
            detail: Some(detail.into()),
            retry_after: None,
            extensions: serde_json::Map::new(),
        }
    }

    /// Adds an extension member. The standard members keep their names.
    pub fn with_extension(mut self, name: &str, value: impl Into<serde_json::Value>) -> Self {
        const STANDARD: [&str; 7] = [
            "type",
            "title",
            "status",
            "code",
            "detail",
            "retry_after",
            "instance",
        ];
        if !STANDARD.contains(&name) {
            self.extensions.insert(name.to_owned(), value.into());
        }
        self
    }

    pub fn with_retry_after(mut self, seconds: u32) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    pub fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    pub fn to_response(&self) -> HttpResponse {
        let mut builder = HttpResponse::build(self.status_code());
        builder.content_type(CONTENT_TYPE);
        if let Some(seconds) = self.retry_after {
            builder.insert_header(("Retry-After", seconds.to_string()));
        }
        builder.json(self)
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.code)
    }
}

impl ResponseError for Problem {
    fn status_code(&self) -> StatusCode {
        Problem::status_code(self)
    }

    fn error_response(&self) -> HttpResponse {
        self.to_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_extension_member_sits_beside_the_standard_ones_and_reads_back() {
        let p = Problem::new(StatusCode::FORBIDDEN, "admission_required", "queue first")
            .with_extension("waiting_room", "opening-60-plus")
            .with_extension("code", "something_else");
        let wire = serde_json::to_value(&p).unwrap();
        assert_eq!(wire["waiting_room"], "opening-60-plus");
        assert_eq!(wire["code"], "admission_required");
        assert_eq!(serde_json::from_value::<Problem>(wire).unwrap(), p);
    }

    #[test]
    fn without_extensions_the_body_has_only_the_standard_members() {
        let p = Problem::new(StatusCode::CONFLICT, "slot_full", "taken");
        let wire = serde_json::to_value(&p).unwrap();
        let mut names: Vec<&str> = wire
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        names.sort_unstable();
        assert_eq!(names, ["code", "detail", "status", "title", "type"]);
    }
}
