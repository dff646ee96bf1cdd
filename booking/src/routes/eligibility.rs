//! Eligibility routes: the population extract, cohorts, waves (authority) and a
//! citizen's own eligibility.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use identity::Authority;

use super::attorney::Entitled;
use serde_json::json;

use super::fingerprint;
use crate::domain::eligibility::Criteria;
use crate::error::BookingError;
use crate::idempotency::{once, IdempotencyHeader};
use crate::service::eligibility::{Eligibility, NewCohort, NewWave, WaveDetail};
use crate::service::{Acting, Service};
use crate::store::waves::{Cohort, Wave};

type Reply = Result<HttpResponse, BookingError>;

fn to_json<T: serde::Serialize>(v: &T) -> Result<serde_json::Value, BookingError> {
    serde_json::to_value(v).map_err(|e| BookingError::Internal(e.into()))
}

fn parse<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> Result<T, BookingError> {
    serde_json::from_value(v).map_err(|e| BookingError::Invalid(e.to_string()))
}

/// The population register extract as CSV (`text/csv`), header line first:
/// `cpr,given_name,family_name,address,postcode,city,municipality_code,digital_post,nemsms,language,priority_groups`.
#[utoipa::path(post, path = "/v1/population", request_body(content = String, content_type = "text/csv"),
    responses((status = 200, description = "`loaded`: citizens added or updated"),
        (status = 400, body = service_kit::Problem, description = "bad lines; nothing imported")),
    security(("bearer" = [])), tag = "eligibility")]
pub async fn import_population(
    svc: web::Data<Service>,
    _who: Authority,
    body: web::Bytes,
) -> Reply {
    let loaded = svc.import_population(&body).await?;
    Ok(HttpResponse::Ok().json(json!({ "loaded": loaded })))
}

#[utoipa::path(post, path = "/v1/cohorts", request_body = NewCohort,
    responses((status = 201, body = Cohort), (status = 400, body = service_kit::Problem)),
    security(("bearer" = [])), tag = "eligibility")]
pub async fn create_cohort(
    svc: web::Data<Service>,
    who: Authority,
    key: IdempotencyHeader,
    req: HttpRequest,
    body: web::Json<serde_json::Value>,
) -> Reply {
    let fp = fingerprint(&req, &*body)?;
    once(
        &svc.hot,
        svc.settings().idempotency_seconds,
        key.0.as_ref(),
        &svc.authority_caller(&who),
        &fp,
        || async {
            let new: NewCohort = parse(body.into_inner())?;
            Ok((
                StatusCode::CREATED,
                to_json(&svc.create_cohort(&new).await?)?,
            ))
        },
    )
    .await
}

#[utoipa::path(get, path = "/v1/cohorts", responses((status = 200, body = Vec<Cohort>)),
    security(("bearer" = [])), tag = "eligibility")]
pub async fn list_cohorts(svc: web::Data<Service>, _who: Authority) -> Reply {
    Ok(HttpResponse::Ok().json(svc.list_cohorts().await?))
}

/// How many citizens criteria select, before creating a cohort.
#[utoipa::path(post, path = "/v1/cohorts/preview", request_body = Criteria,
    responses((status = 200, description = "`count` of citizens selected")),
    security(("bearer" = [])), tag = "eligibility")]
pub async fn preview(
    svc: web::Data<Service>,
    _who: Authority,
    body: web::Json<serde_json::Value>,
) -> Reply {
    let criteria: Criteria = parse(body.into_inner())?;
    Ok(HttpResponse::Ok().json(json!({ "count": svc.preview(&criteria).await? })))
}

#[utoipa::path(get, path = "/v1/cohorts/{id}/preview", params(("id" = i64, Path, description = "cohort id")),
    responses((status = 200, description = "`count` of citizens selected now")),
    security(("bearer" = [])), tag = "eligibility")]
pub async fn cohort_preview(
    svc: web::Data<Service>,
    _who: Authority,
    path: web::Path<i64>,
) -> Reply {
    Ok(HttpResponse::Ok().json(json!({ "count": svc.cohort_preview(path.into_inner()).await? })))
}

#[utoipa::path(post, path = "/v1/waves", request_body = NewWave,
    responses((status = 201, body = Wave, description = "created; opened at once unless `opens_at` is in the future")),
    security(("bearer" = [])), tag = "eligibility")]
pub async fn create_wave(
    svc: web::Data<Service>,
    who: Authority,
    key: IdempotencyHeader,
    req: HttpRequest,
    body: web::Json<serde_json::Value>,
) -> Reply {
    let fp = fingerprint(&req, &*body)?;
    once(
        &svc.hot,
        svc.settings().idempotency_seconds,
        key.0.as_ref(),
        &svc.authority_caller(&who),
        &fp,
        || async {
            let new: NewWave = parse(body.into_inner())?;
            Ok((StatusCode::CREATED, to_json(&svc.create_wave(&new).await?)?))
        },
    )
    .await
}

#[utoipa::path(get, path = "/v1/waves", responses((status = 200, body = Vec<Wave>)),
    security(("bearer" = [])), tag = "eligibility")]
pub async fn list_waves(svc: web::Data<Service>, _who: Authority) -> Reply {
    Ok(HttpResponse::Ok().json(svc.list_waves().await?))
}

#[utoipa::path(get, path = "/v1/waves/{id}", params(("id" = i64, Path, description = "wave id")),
    responses((status = 200, body = WaveDetail)), security(("bearer" = [])), tag = "eligibility")]
pub async fn wave_detail(svc: web::Data<Service>, _who: Authority, path: web::Path<i64>) -> Reply {
    Ok(HttpResponse::Ok().json(svc.wave_detail(path.into_inner()).await?))
}

#[utoipa::path(post, path = "/v1/waves/{id}/close", params(("id" = i64, Path, description = "wave id")),
    responses((status = 200, body = Wave)), security(("bearer" = [])), tag = "eligibility")]
pub async fn close_wave(svc: web::Data<Service>, _who: Authority, path: web::Path<i64>) -> Reply {
    Ok(HttpResponse::Ok().json(svc.close_wave(path.into_inner()).await?))
}

#[utoipa::path(get, path = "/v1/me/eligibility", responses((status = 200, body = Eligibility)),
    security(("bearer" = [])), tag = "citizen")]
pub async fn my_eligibility(svc: web::Data<Service>, Entitled(who, _): Entitled) -> Reply {
    Ok(HttpResponse::Ok().json(svc.eligibility(&Acting::from(who)).await?))
}
