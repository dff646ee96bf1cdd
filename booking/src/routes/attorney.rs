//! Who may act for a citizen: the [`Entitled`] extractor every citizen route asks for
//! (a helper is checked before the handler runs), "am I entitled" for the pages, and
//! the routes to grant, list and revoke powers of attorney. Granting and revoking are
//! idempotent by nature (a live grant is granted once, a revoked one stays revoked), so
//! a retry changes nothing without an `Idempotency-Key`.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use identity::{Authority, CitizenAccess, Cpr};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::domain::attorney::{Basis, HelperId};
use crate::error::BookingError;
use crate::idempotency::count_change;
use crate::service::attorney::Entitlements;
use crate::service::{Acting, Service};

type Reply = Result<HttpResponse, BookingError>;

/// A citizen acting for themself (`None`), or a helper who may act for this citizen
/// (and why). Needs `web::Data<Entitlements>`; a refused helper gets 403
/// `outside_municipality` or `no_power_of_attorney` and the handler never runs.
pub struct Entitled(pub CitizenAccess, pub Option<Basis>);

impl FromRequest for Entitled {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let access = CitizenAccess::from_request(req, payload);
        let checker = req.app_data::<web::Data<Entitlements>>().cloned();
        Box::pin(async move {
            let who = access.await?;
            let checker = checker.ok_or_else(|| {
                BookingError::Internal(anyhow::anyhow!("Entitlements not registered"))
            })?;
            let basis = checker.check(&who).await?;
            Ok(Entitled(who, basis))
        })
    }
}

/// 201 for a new grant, 200 when it stood already.
fn granted(new: bool, helper: &HelperId) -> HttpResponse {
    let status = if new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    HttpResponse::build(status).json(json!({ "helper": helper }))
}

/// 204 when a live grant ended, 404 when there was none (nothing changed).
fn revoked(ended: bool) -> Reply {
    if ended {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(BookingError::NotFound("power of attorney"))
    }
}

fn helper_id(s: &str) -> Result<HelperId, BookingError> {
    HelperId::parse(s).map_err(|e| BookingError::Invalid(e.to_owned()))
}

#[utoipa::path(get, path = "/v1/me/entitlement",
    responses((status = 200, description = "`{\"helper\": false}` for the citizen; `{\"helper\": true, \"basis\": \"municipality\"|\"power_of_attorney\"}` for a helper who may act"),
        (status = 403, body = service_kit::Problem, description = "outside_municipality or no_power_of_attorney")),
    security(("bearer" = [])), tag = "citizen")]
pub async fn my_entitlement(Entitled(who, basis): Entitled) -> Reply {
    Ok(HttpResponse::Ok().json(json!({"helper": who.helper.is_some(), "basis": basis})))
}

#[utoipa::path(get, path = "/v1/me/powers-of-attorney",
    responses((status = 200, body = Vec<crate::store::attorney::Grant>), (status = 403, body = service_kit::Problem, description = "a helper asked")),
    security(("bearer" = [])), tag = "citizen")]
pub async fn my_grants(svc: web::Data<Service>, Entitled(who, _): Entitled) -> Reply {
    Ok(HttpResponse::Ok().json(svc.powers_of_attorney(&Acting::from(who)).await?))
}

/// The body of `POST /v1/me/powers-of-attorney`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantBody {
    /// The helper's own id, as their eID gives it.
    #[schema(example = "datter-anna")]
    pub helper: String,
}

#[utoipa::path(post, path = "/v1/me/powers-of-attorney", request_body = GrantBody,
    responses((status = 201, description = "granted"), (status = 200, description = "it stood already"),
        (status = 400, body = service_kit::Problem), (status = 403, body = service_kit::Problem, description = "a helper asked")),
    security(("bearer" = [])), tag = "citizen")]
pub async fn grant(
    svc: web::Data<Service>,
    Entitled(who, _): Entitled,
    body: web::Json<GrantBody>,
) -> Reply {
    let helper = helper_id(&body.helper)?;
    let who = Acting::from(who);
    count_change(&svc.hot, &svc.caller(&who)).await?;
    let new = svc.grant_power_of_attorney(&who, &helper).await?;
    Ok(granted(new, &helper))
}

#[utoipa::path(delete, path = "/v1/me/powers-of-attorney/{helper}",
    params(("helper" = String, Path, description = "the helper's id")),
    responses((status = 204, description = "revoked"), (status = 404, body = service_kit::Problem, description = "no live grant to that helper")),
    security(("bearer" = [])), tag = "citizen")]
pub async fn revoke(
    svc: web::Data<Service>,
    Entitled(who, _): Entitled,
    path: web::Path<String>,
) -> Reply {
    let helper = helper_id(&path)?;
    let who = Acting::from(who);
    count_change(&svc.hot, &svc.caller(&who)).await?;
    revoked(svc.revoke_power_of_attorney(&who, &helper).await?)
}

/// The body of `POST /v1/powers-of-attorney` (an authority records a grant given on
/// paper) and of `POST /v1/powers-of-attorney/revocations`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordBody {
    #[schema(example = "0101701234")]
    pub cpr: String,
    #[schema(example = "datter-anna")]
    pub helper: String,
}

fn parsed(body: &RecordBody) -> Result<(Cpr, HelperId), BookingError> {
    let cpr = Cpr::parse(&body.cpr)
        .map_err(|_| BookingError::Invalid("cpr is not a valid CPR number".into()))?;
    Ok((cpr, helper_id(&body.helper)?))
}

#[utoipa::path(post, path = "/v1/powers-of-attorney", request_body = RecordBody,
    responses((status = 201, description = "recorded"), (status = 200, description = "it stood already"), (status = 400, body = service_kit::Problem)),
    security(("bearer" = [])), tag = "authority")]
pub async fn record(svc: web::Data<Service>, who: Authority, body: web::Json<RecordBody>) -> Reply {
    let (cpr, helper) = parsed(&body)?;
    let new = svc
        .record_power_of_attorney(&who, &cpr, &helper, false)
        .await?;
    Ok(granted(new, &helper))
}

#[utoipa::path(post, path = "/v1/powers-of-attorney/revocations", request_body = RecordBody,
    responses((status = 204, description = "revoked"), (status = 404, body = service_kit::Problem, description = "no live grant")),
    security(("bearer" = [])), tag = "authority")]
pub async fn record_revocation(
    svc: web::Data<Service>,
    who: Authority,
    body: web::Json<RecordBody>,
) -> Reply {
    let (cpr, helper) = parsed(&body)?;
    revoked(
        svc.record_power_of_attorney(&who, &cpr, &helper, true)
            .await?,
    )
}
