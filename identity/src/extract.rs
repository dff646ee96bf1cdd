//! actix-web extractors: a handler that needs a role asks for the type.
//!
//! Each extractor reads the `Authorization: Bearer` header, verifies the token with the
//! `web::Data<TokenVerifier>` registered in the app, and yields a value only when the role
//! fits. The verified `Principal` is cached in the request extensions, so two extractors
//! in one handler verify once. Nothing here logs or echoes the token.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};

use crate::error::{AuthError, InvalidToken};
use crate::{Cpr, Principal, Role, Subject, TokenVerifier};

type Extraction<T> = Pin<Box<dyn Future<Output = Result<T, AuthError>>>>;

/// A citizen, or a helper acting for that citizen. Handlers serve `cpr`'s data and,
/// when `helper` is set, record the helper's id in the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CitizenAccess {
    /// The citizen whose data the request is about.
    pub cpr: Cpr,
    /// The helper's id (`act.sub`) when someone acts on the citizen's behalf.
    pub helper: Option<String>,
    /// The municipality a helper works for (`act.municipality`), when the helper is a
    /// municipal citizen-service worker; whether they may act for this citizen is for
    /// the service to decide (the token only says who they are).
    pub helper_municipality: Option<u16>,
}

/// A health-authority user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authority {
    pub id: String,
}

/// A test centre, vaccination site or lab machine client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteClient {
    pub id: String,
}

/// Any verified caller, whatever the role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnyPrincipal(pub Principal);

/// The token from `Authorization: Bearer <token>` (scheme case-insensitive, RFC 6750 §2.1).
fn bearer_token(req: &HttpRequest) -> Result<String, AuthError> {
    let value = req
        .headers()
        .get(AUTHORIZATION)
        .ok_or(AuthError::MissingToken)?;
    let value = value.to_str().map_err(|_| InvalidToken::Malformed)?;
    let (scheme, token) = value
        .trim()
        .split_once(' ')
        .ok_or(AuthError::MissingToken)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(AuthError::MissingToken);
    }
    let token = token.trim();
    if token.is_empty() {
        return Err(AuthError::MissingToken);
    }
    Ok(token.to_owned())
}

/// Verifies the request's token once per request and returns the principal.
fn principal(req: &HttpRequest) -> Extraction<Principal> {
    if let Some(principal) = req.extensions().get::<Principal>() {
        let principal = principal.clone();
        return Box::pin(async move { Ok(principal) });
    }
    let req = req.clone();
    Box::pin(async move {
        let verifier = req
            .app_data::<web::Data<TokenVerifier>>()
            .cloned()
            .ok_or(AuthError::VerifierNotConfigured)?;
        let token = bearer_token(&req)?;
        let principal = verifier.verify(&token).await?;
        req.extensions_mut().insert(principal.clone());
        Ok(principal)
    })
}

impl FromRequest for AnyPrincipal {
    type Error = AuthError;
    type Future = Extraction<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let principal = principal(req);
        Box::pin(async move { principal.await.map(AnyPrincipal) })
    }
}

impl FromRequest for CitizenAccess {
    type Error = AuthError;
    type Future = Extraction<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let principal = principal(req);
        Box::pin(async move { citizen_access(principal.await?) })
    }
}

impl FromRequest for Authority {
    type Error = AuthError;
    type Future = Extraction<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let principal = principal(req);
        Box::pin(async move {
            own_id(principal.await?, Role::Authority, "authority").map(|id| Authority { id })
        })
    }
}

impl FromRequest for SiteClient {
    type Error = AuthError;
    type Future = Extraction<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let principal = principal(req);
        Box::pin(
            async move { own_id(principal.await?, Role::Site, "site").map(|id| SiteClient { id }) },
        )
    }
}

fn citizen_access(principal: Principal) -> Result<CitizenAccess, AuthError> {
    const REQUIRED: &str = "citizen (or helper)";
    match (principal.role, principal.subject) {
        (Role::Citizen, Subject::Cpr(cpr)) => Ok(CitizenAccess {
            cpr,
            helper: None,
            helper_municipality: None,
        }),
        (Role::Helper, Subject::Cpr(cpr)) => match principal.actor {
            Some(helper) => Ok(CitizenAccess {
                cpr,
                helper: Some(helper),
                helper_municipality: principal.actor_municipality,
            }),
            None => Err(InvalidToken::MissingActor.into()),
        },
        // The verifier never builds these; refuse rather than guess.
        (Role::Citizen | Role::Helper, Subject::Id(_)) => Err(InvalidToken::SubjectNotCpr.into()),
        (actual @ (Role::Authority | Role::Site), _) => Err(AuthError::ForbiddenRole {
            required: REQUIRED,
            actual,
        }),
    }
}

fn own_id(principal: Principal, wanted: Role, required: &'static str) -> Result<String, AuthError> {
    if principal.role != wanted {
        return Err(AuthError::ForbiddenRole {
            required,
            actual: principal.role,
        });
    }
    match principal.subject {
        Subject::Id(id) => Ok(id),
        Subject::Cpr(_) => Err(InvalidToken::BadClaims.into()),
    }
}
