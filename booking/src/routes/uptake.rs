//! Uptake of a campaign by age band and municipality (`GET /v1/campaigns/{code}/uptake`).

use actix_web::{web, HttpResponse};
use identity::Authority;

use crate::error::BookingError;
use crate::service::uptake::Uptake;
use crate::service::Service;

#[utoipa::path(get, path = "/v1/campaigns/{code}/uptake", params(("code" = String, Path, description = "campaign code")),
    responses((status = 200, body = Uptake, description = "citizens and bookings (active or done) per age band and municipality"),
        (status = 422, body = service_kit::Problem, description = "unknown_campaign")),
    security(("bearer" = [])), tag = "authority")]
pub async fn uptake(
    svc: web::Data<Service>,
    _who: Authority,
    path: web::Path<String>,
) -> Result<HttpResponse, BookingError> {
    Ok(HttpResponse::Ok().json(svc.uptake(&path).await?))
}
