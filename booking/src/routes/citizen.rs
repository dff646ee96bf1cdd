//! Citizen routes (also used by a helper acting for a citizen): availability, holds,
//! bookings. Availability is public; everything about a person needs their token.

use super::attorney::Entitled;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::fingerprint;
use crate::domain::{BookingId, HoldId, SiteId, SlotId};
use crate::error::BookingError;
use crate::idempotency::{count_change, once, once_with, Answer, IdempotencyHeader};
use crate::service::catalog::{SiteDay, SitePage, SiteQuery};
use crate::service::citizen::HoldReceipt;
use crate::service::{Acting, Service};
use crate::store::bookings::BookingView;
use crate::waitroom::{WaitingRoom, ADMISSION_TOKEN};

type Reply = Result<HttpResponse, BookingError>;

fn to_json<T: Serialize>(v: &T) -> Result<serde_json::Value, BookingError> {
    serde_json::to_value(v).map_err(|e| BookingError::Internal(e.into()))
}

fn parse_booking_id(s: &str) -> Result<BookingId, BookingError> {
    uuid::Uuid::parse_str(s)
        .map(BookingId)
        .map_err(|_| BookingError::NotFound("booking"))
}

#[utoipa::path(get, path = "/v1/sites", params(SiteQuery),
    responses((status = 200, body = SitePage), (status = 400, body = service_kit::Problem)), tag = "public")]
pub async fn list_sites(svc: web::Data<Service>, q: web::Query<SiteQuery>) -> Reply {
    Ok(HttpResponse::Ok().json(svc.search_sites(&q)?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DayQuery {
    /// Local date, `YYYY-MM-DD`.
    #[param(value_type = String, format = Date)]
    pub date: NaiveDate,
    /// Only slots of this campaign (code).
    pub campaign: Option<String>,
}

#[utoipa::path(get, path = "/v1/sites/{id}/slots", params(("id" = i64, Path, description = "site id"), DayQuery),
    responses((status = 200, body = SiteDay), (status = 404, body = service_kit::Problem)), tag = "public")]
pub async fn site_slots(
    svc: web::Data<Service>,
    path: web::Path<i64>,
    q: web::Query<DayQuery>,
) -> Reply {
    let body = svc
        .site_day_json(SiteId(path.into_inner()), q.date, q.campaign.as_deref())
        .await?;
    Ok(HttpResponse::Ok()
        .content_type(actix_web::http::header::ContentType::json())
        .body(body))
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoldRequest {
    #[schema(value_type = i64)]
    pub slot_id: SlotId,
}

#[utoipa::path(post, path = "/v1/holds", request_body = HoldRequest,
    responses((status = 201, body = HoldReceipt),
        (status = 409, body = service_kit::Problem, description = "slot_full, slot_closed or slot_in_past"),
        (status = 403, body = service_kit::Problem, description = "admission_required: an opening of this slot's campaign is gated; join the waiting room its `waiting_room` member names and send the admission token as Admission-Token"),
        (status = 404, body = service_kit::Problem)),
    security(("bearer" = [])), tag = "citizen")]
pub async fn create_hold(
    svc: web::Data<Service>,
    room: web::Data<WaitingRoom>,
    Entitled(who, _): Entitled,
    key: IdempotencyHeader,
    req: HttpRequest,
    body: web::Json<HoldRequest>,
) -> Reply {
    let admission = req
        .headers()
        .get(ADMISSION_TOKEN)
        .and_then(|v| v.to_str().ok());
    svc.pass_gate(&room.gate(), body.slot_id, admission).await?;
    let who = Acting::from(who);
    let fp = fingerprint(&req, &*body)?;
    once_with(
        &svc.hot,
        svc.settings().idempotency_seconds,
        key.0.as_ref(),
        &svc.caller(&who),
        &fp,
        svc.hold_ahead(&who, body.slot_id),
        |invited| async {
            let held = svc.hold(&who, body.slot_id, invited?).await?;
            Ok(Answer {
                status: StatusCode::CREATED,
                body: to_json(&held.receipt)?,
                finish: Some(held.settle),
            })
        },
    )
    .await
}

#[utoipa::path(delete, path = "/v1/holds/{id}", params(("id" = String, Path, description = "hold id")),
    responses((status = 204, description = "released"), (status = 410, body = service_kit::Problem, description = "hold_expired")),
    security(("bearer" = [])), tag = "citizen")]
pub async fn release_hold(
    svc: web::Data<Service>,
    Entitled(who, _): Entitled,
    path: web::Path<String>,
) -> Reply {
    let who = Acting::from(who);
    let hold: HoldId = path.parse().map_err(|_| BookingError::HoldExpired)?;
    count_change(&svc.hot, &svc.caller(&who)).await?;
    svc.release_hold(&who, &hold).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmRequest {
    #[schema(value_type = String)]
    pub hold_id: HoldId,
}

#[utoipa::path(post, path = "/v1/bookings", request_body = ConfirmRequest,
    responses((status = 201, body = BookingView, description = "booked"),
        (status = 409, body = service_kit::Problem, description = "slot_full, already_booked, hold_already_confirmed, ..."),
        (status = 410, body = service_kit::Problem, description = "hold_expired"),
        (status = 403, body = service_kit::Problem, description = "hold_not_yours")),
    security(("bearer" = [])), tag = "citizen")]
pub async fn confirm(
    svc: web::Data<Service>,
    Entitled(who, _): Entitled,
    key: IdempotencyHeader,
    req: HttpRequest,
    body: web::Json<ConfirmRequest>,
) -> Reply {
    let who = Acting::from(who);
    let fp = fingerprint(&req, &*body)?;
    once_with(
        &svc.hot,
        svc.settings().idempotency_seconds,
        key.0.as_ref(),
        &svc.caller(&who),
        &fp,
        svc.hold_record(&body.hold_id),
        |record| async {
            let booking = svc.confirm(&who, &body.hold_id, record?).await?;
            Ok(Answer {
                status: StatusCode::CREATED,
                body: to_json(&booking)?,
                finish: None,
            })
        },
    )
    .await
}

#[utoipa::path(delete, path = "/v1/bookings/{id}", params(("id" = String, Path, description = "booking id")),
    responses((status = 200, body = BookingView, description = "cancelled"),
        (status = 404, body = service_kit::Problem), (status = 409, body = service_kit::Problem)),
    security(("bearer" = [])), tag = "citizen")]
pub async fn cancel(
    svc: web::Data<Service>,
    Entitled(who, _): Entitled,
    key: IdempotencyHeader,
    req: HttpRequest,
    path: web::Path<String>,
) -> Reply {
    let who = Acting::from(who);
    let id = parse_booking_id(&path)?;
    let fp = fingerprint(&req, &())?;
    once(
        &svc.hot,
        svc.settings().idempotency_seconds,
        key.0.as_ref(),
        &svc.caller(&who),
        &fp,
        || async {
            let view = svc.cancel(&who, id).await?;
            Ok((StatusCode::OK, to_json(&view)?))
        },
    )
    .await
}

#[utoipa::path(post, path = "/v1/bookings/{id}/move", request_body = ConfirmRequest,
    params(("id" = String, Path, description = "booking id")),
    responses((status = 201, body = BookingView, description = "the new booking; the old one is `moved`"),
        (status = 409, body = service_kit::Problem, description = "the old booking is kept")),
    security(("bearer" = [])), tag = "citizen")]
pub async fn move_booking(
    svc: web::Data<Service>,
    Entitled(who, _): Entitled,
    key: IdempotencyHeader,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Json<ConfirmRequest>,
) -> Reply {
    let who = Acting::from(who);
    let id = parse_booking_id(&path)?;
    let fp = fingerprint(&req, &*body)?;
    once(
        &svc.hot,
        svc.settings().idempotency_seconds,
        key.0.as_ref(),
        &svc.caller(&who),
        &fp,
        || async {
            let booking = svc.move_booking(&who, id, &body.hold_id).await?;
            Ok((StatusCode::CREATED, to_json(&booking)?))
        },
    )
    .await
}

#[utoipa::path(get, path = "/v1/me/bookings", responses((status = 200, body = Vec<BookingView>)),
    security(("bearer" = [])), tag = "citizen")]
pub async fn my_bookings(svc: web::Data<Service>, Entitled(who, _): Entitled) -> Reply {
    let who = Acting::from(who);
    Ok(HttpResponse::Ok().json(svc.my_bookings(&who).await?))
}

#[utoipa::path(get, path = "/v1/me/audit", responses((status = 200, body = Vec<crate::store::AuditEntry>,
    description = "who has looked at or changed my data, newest first")),
    security(("bearer" = [])), tag = "citizen")]
pub async fn my_audit(svc: web::Data<Service>, Entitled(who, _): Entitled) -> Reply {
    Ok(HttpResponse::Ok().json(svc.my_audit(&Acting::from(who)).await?))
}
