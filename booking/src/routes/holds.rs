//! Extending a hold (`POST /v1/holds/{id}/extend`).

use super::attorney::Entitled;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use super::fingerprint;
use crate::domain::HoldId;
use crate::error::BookingError;
use crate::idempotency::{once, IdempotencyHeader};
use crate::service::holds::HoldExtension;
use crate::service::{Acting, Service};

#[utoipa::path(post, path = "/v1/holds/{id}/extend", params(("id" = String, Path, description = "hold id")),
    responses((status = 200, body = HoldExtension, description = "the hold now expires a full hold lifetime from now"),
        (status = 410, body = service_kit::Problem, description = "hold_expired"),
        (status = 403, body = service_kit::Problem, description = "hold_not_yours"),
        (status = 409, body = service_kit::Problem, description = "hold_extension_limit")),
    security(("bearer" = [])), tag = "citizen")]
pub async fn extend_hold(
    svc: web::Data<Service>,
    Entitled(who, _): Entitled,
    key: IdempotencyHeader,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, BookingError> {
    let who = Acting::from(who);
    let hold: HoldId = path.parse().map_err(|_| BookingError::HoldExpired)?;
    let fp = fingerprint(&req, &())?;
    once(
        &svc.hot,
        svc.settings().idempotency_seconds,
        key.0.as_ref(),
        &svc.caller(&who),
        &fp,
        || async {
            let extension = svc.extend_hold(&who, &hold).await?;
            let body =
                serde_json::to_value(&extension).map_err(|e| BookingError::Internal(e.into()))?;
            Ok((StatusCode::OK, body))
        },
    )
    .await
}
