//! Why a request could not be authenticated or authorized, and how that looks on the wire.
//!
//! `AuthError` is the error of the token layer (verifier and extractors). It becomes a
//! `service_kit::Problem` only here, at the HTTP boundary, through an exhaustive match so
//! that a new variant forces a decision about its status and code. Neither the messages
//! nor the problem bodies may ever contain the token or a CPR number.

use actix_web::http::header::{HeaderValue, WWW_AUTHENTICATE};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use service_kit::Problem;

use crate::Role;

/// Seconds a client is asked to wait when the identity provider cannot be reached.
const IDP_RETRY_AFTER_SECONDS: u32 = 5;

/// An authentication or authorization failure.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No `Authorization: Bearer <token>` header.
    #[error("the request carries no bearer token")]
    MissingToken,
    /// The token is malformed, badly signed, for someone else, or names an unknown key.
    #[error("the bearer token is not valid: {0}")]
    InvalidToken(InvalidToken),
    #[error("the bearer token has expired")]
    TokenExpired,
    /// The token is valid but its role may not use this endpoint.
    #[error("role {actual} may not use this endpoint (needs {required})")]
    ForbiddenRole {
        required: &'static str,
        actual: Role,
    },
    /// The identity provider's keys could not be fetched, so no token can be checked.
    /// The string is the cause for the log (an HTTP status or a transport error).
    #[error("the identity provider's keys are unavailable: {0}")]
    IdentityProviderUnavailable(String),
    /// The application did not register a `web::Data<TokenVerifier>`: a wiring bug.
    #[error("no token verifier is registered in the application data")]
    VerifierNotConfigured,
}

/// The precise reason a token was refused. Logged, never sent: on the wire every one of
/// these is `invalid_token`, so that a caller learns nothing about our keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InvalidToken {
    #[error("not a well-formed JWT")]
    Malformed,
    #[error("algorithm not accepted (only ES256 and RS256)")]
    UnsupportedAlgorithm,
    #[error("the key id names no key of the identity provider")]
    UnknownKey,
    #[error("the signature does not verify")]
    BadSignature,
    #[error("wrong issuer")]
    WrongIssuer,
    #[error("wrong audience")]
    WrongAudience,
    #[error("not valid yet (nbf)")]
    NotYetValid,
    #[error("a required claim is missing")]
    MissingClaim,
    #[error("claims of the wrong shape (unknown role, wrong types)")]
    BadClaims,
    #[error("the subject of a citizen or helper token is not a CPR number")]
    SubjectNotCpr,
    #[error("a helper token names no actor (act.sub)")]
    MissingActor,
    #[error("a citizen token must not carry an actor")]
    UnexpectedActor,
    #[error("an empty subject")]
    EmptySubject,
}

impl From<InvalidToken> for AuthError {
    fn from(reason: InvalidToken) -> Self {
        AuthError::InvalidToken(reason)
    }
}

impl AuthError {
    fn problem(&self) -> Problem {
        match self {
            AuthError::MissingToken => Problem::new(
                StatusCode::UNAUTHORIZED,
                "missing_token",
                "Send an access token in the header `Authorization: Bearer <token>`.",
            ),
            AuthError::InvalidToken(_) => Problem::new(
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                "The access token is not valid. Sign in again to get a new one.",
            ),
            AuthError::TokenExpired => Problem::new(
                StatusCode::UNAUTHORIZED,
                "token_expired",
                "The access token has expired. Sign in again to get a new one.",
            ),
            AuthError::ForbiddenRole { required, .. } => Problem::new(
                StatusCode::FORBIDDEN,
                "forbidden_role",
                format!("This endpoint is only for the {required} role."),
            ),
            AuthError::IdentityProviderUnavailable(_) => Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "identity_provider_unavailable",
                "The identity provider cannot be reached right now, so the access token cannot be checked. Try again shortly.",
            )
            .with_retry_after(IDP_RETRY_AFTER_SECONDS),
            AuthError::VerifierNotConfigured => Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                "The service is misconfigured; the operators have been told.",
            ),
        }
    }

    /// Whether the response is a 401 and so carries the `WWW-Authenticate: Bearer`
    /// challenge (RFC 6750 §3; the reason is in the problem body's `code`).
    fn needs_challenge(&self) -> bool {
        match self {
            AuthError::MissingToken | AuthError::InvalidToken(_) | AuthError::TokenExpired => true,
            AuthError::ForbiddenRole { .. }
            | AuthError::IdentityProviderUnavailable(_)
            | AuthError::VerifierNotConfigured => false,
        }
    }
}

impl ResponseError for AuthError {
    fn status_code(&self) -> StatusCode {
        self.problem().status_code()
    }

    fn error_response(&self) -> HttpResponse {
        // The cause is logged here (never the token); the body carries only the code.
        match self {
            AuthError::VerifierNotConfigured => {
                tracing::error!(error = %self, "cannot authenticate request");
            }
            AuthError::IdentityProviderUnavailable(_) => {
                tracing::warn!(error = %self, "cannot authenticate request");
            }
            AuthError::MissingToken
            | AuthError::InvalidToken(_)
            | AuthError::TokenExpired
            | AuthError::ForbiddenRole { .. } => {
                tracing::debug!(error = %self, "request refused");
            }
        }
        let mut response = self.problem().to_response();
        if self.needs_challenge() {
            response
                .headers_mut()
                .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::MessageBody;

    fn all() -> Vec<AuthError> {
        vec![
            AuthError::MissingToken,
            AuthError::InvalidToken(InvalidToken::BadSignature),
            AuthError::TokenExpired,
            AuthError::ForbiddenRole {
                required: "authority",
                actual: Role::Citizen,
            },
            AuthError::IdentityProviderUnavailable("connection refused".to_owned()),
            AuthError::VerifierNotConfigured,
        ]
    }

    #[test]
    fn every_error_has_a_stable_status_and_code() {
        let expected = [
            (401, "missing_token", true),
            (401, "invalid_token", true),
            (401, "token_expired", true),
            (403, "forbidden_role", false),
            (503, "identity_provider_unavailable", false),
            (500, "internal_error", false),
        ];
        for (error, (status, code, challenge)) in all().into_iter().zip(expected) {
            assert_eq!(error.status_code().as_u16(), status, "{error:?}");
            let response = error.error_response();
            assert_eq!(response.status().as_u16(), status);
            assert_eq!(
                response.headers().get("content-type").unwrap(),
                service_kit::problem::CONTENT_TYPE
            );
            assert_eq!(
                response
                    .headers()
                    .get(WWW_AUTHENTICATE)
                    .map(|v| v.to_str().unwrap()),
                challenge.then_some("Bearer"),
                "{error:?}"
            );
            let body = response.into_body().try_into_bytes().unwrap();
            let problem: Problem = serde_json::from_slice(&body).unwrap();
            assert_eq!(problem.code, code);
            assert_eq!(problem.status, status);
        }
    }

    #[test]
    fn every_invalid_reason_is_the_same_code_on_the_wire() {
        for reason in [
            InvalidToken::Malformed,
            InvalidToken::UnsupportedAlgorithm,
            InvalidToken::UnknownKey,
            InvalidToken::WrongIssuer,
            InvalidToken::WrongAudience,
            InvalidToken::NotYetValid,
            InvalidToken::SubjectNotCpr,
        ] {
            assert_eq!(AuthError::from(reason).problem().code, "invalid_token");
        }
    }

    #[test]
    fn unavailable_provider_cause_stays_out_of_the_body() {
        let error = AuthError::IdentityProviderUnavailable("http://10.0.0.7/jwks: refused".into());
        let problem = error.problem();
        assert_eq!(problem.retry_after, Some(IDP_RETRY_AFTER_SECONDS));
        assert!(!problem.detail.unwrap_or_default().contains("10.0.0.7"));
    }
}
