//! Authority routes: campaigns, sites, slots, capacity and closures.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use identity::Authority;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::fingerprint;
use crate::domain::{Capacity, NewCampaign, NewSite, SiteId, SlotId, SlotPlan};
use crate::error::BookingError;
use crate::idempotency::{once, IdempotencyHeader};
use crate::service::authority::{SlotDetail, SlotsCreated};
use crate::service::Service;
use crate::store::campaigns::Campaign;

type Reply = Result<HttpResponse, BookingError>;

fn to_json<T: Serialize>(v: &T) -> Result<serde_json::Value, BookingError> {
    serde_json::to_value(v).map_err(|e| BookingError::Internal(e.into()))
}

#[utoipa::path(post, path = "/v1/campaigns", request_body = inline(NewCampaignDoc),
    responses((status = 201, body = Campaign), (status = 409, body = service_kit::Problem, description = "duplicate_campaign")),
    security(("bearer" = [])), tag = "authority")]
pub async fn create_campaign(
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
            let new: NewCampaign = serde_json::from_value(body.into_inner())
                .map_err(|e| BookingError::Invalid(e.to_string()))?;
            let c = svc.create_campaign(&new).await?;
            Ok((StatusCode::CREATED, to_json(&c)?))
        },
    )
    .await
}

/// The body of `POST /v1/campaigns`.
#[derive(ToSchema)]
#[allow(dead_code)]
struct NewCampaignDoc {
    #[schema(example = "covid-dose-1")]
    code: String,
    #[schema(example = "COVID-19 vaccine, dose 1")]
    name: String,
    #[schema(example = "vaccination")]
    kind: String,
    #[schema(example = "invitation")]
    access: String,
}

#[utoipa::path(get, path = "/v1/campaigns", responses((status = 200, body = Vec<Campaign>)), tag = "public")]
pub async fn list_campaigns(svc: web::Data<Service>) -> Reply {
    Ok(HttpResponse::Ok().json(svc.list_campaigns().await?))
}

#[utoipa::path(post, path = "/v1/sites", request_body = NewSite,
    responses((status = 201, description = "the site"), (status = 422, body = service_kit::Problem, description = "unknown_campaign")),
    security(("bearer" = [])), tag = "authority")]
pub async fn create_site(
    svc: web::Data<Service>,
    who: Authority,
    key: IdempotencyHeader,
    req: HttpRequest,
    body: web::Json<serde_json::Value>,
) -> Reply {
    write_site(svc, who, key, req, None, body).await
}

/// Creates (`id` None: 201) or changes (200) a site, once per Idempotency-Key.
async fn write_site(
    svc: web::Data<Service>,
    who: Authority,
    key: IdempotencyHeader,
    req: HttpRequest,
    id: Option<SiteId>,
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
            let new: NewSite = serde_json::from_value(body.into_inner())
                .map_err(|e| BookingError::Invalid(e.to_string()))?;
            let (status, site) = match id {
                None => (StatusCode::CREATED, svc.create_site(&new).await?),
                Some(id) => (StatusCode::OK, svc.update_site(id, &new).await?),
            };
            Ok((status, site_json(&site, &new)))
        },
    )
    .await
}

fn site_json(site: &crate::store::sites::SiteRow, new: &NewSite) -> serde_json::Value {
    json!({
        "id": site.id,
        "name": site.name,
        "address": site.address,
        "postcode": site.postcode,
        "municipality_code": site.municipality_code,
        "location": {"lat": site.lat, "lon": site.lon},
        "campaigns": new.campaigns,
    })
}

#[utoipa::path(put, path = "/v1/sites/{id}", request_body = NewSite,
    params(("id" = i64, Path, description = "site id")),
    responses((status = 200, description = "the changed site; listed campaigns are added, none is taken away (close its slots instead)"),
        (status = 404, body = service_kit::Problem), (status = 422, body = service_kit::Problem, description = "unknown_campaign")),
    security(("bearer" = [])), tag = "authority")]
pub async fn update_site(
    svc: web::Data<Service>,
    who: Authority,
    key: IdempotencyHeader,
    req: HttpRequest,
    path: web::Path<i64>,
    body: web::Json<serde_json::Value>,
) -> Reply {
    let id = SiteId(path.into_inner());
    write_site(svc, who, key, req, Some(id), body).await
}

#[utoipa::path(get, path = "/v1/slots/fullness",
    responses((status = 200, body = crate::service::authority::SlotFullness)),
    security(("bearer" = [])), tag = "authority")]
pub async fn slot_fullness(svc: web::Data<Service>, _who: Authority) -> Reply {
    Ok(HttpResponse::Ok().json(svc.slot_fullness().await?))
}

#[utoipa::path(post, path = "/v1/sites/{id}/slots", request_body = SlotPlan,
    params(("id" = i64, Path, description = "site id")),
    responses((status = 201, body = SlotsCreated), (status = 400, body = service_kit::Problem)),
    security(("bearer" = [])), tag = "authority")]
pub async fn create_slots(
    svc: web::Data<Service>,
    who: Authority,
    key: IdempotencyHeader,
    req: HttpRequest,
    path: web::Path<i64>,
    body: web::Json<serde_json::Value>,
) -> Reply {
    let fp = fingerprint(&req, &*body)?;
    let site = SiteId(path.into_inner());
    once(
        &svc.hot,
        svc.settings().idempotency_seconds,
        key.0.as_ref(),
        &svc.authority_caller(&who),
        &fp,
        || async {
            let plan: SlotPlan = serde_json::from_value(body.into_inner())
                .map_err(|e| BookingError::Invalid(e.to_string()))?;
            let created = svc.create_slots(site, &plan).await?;
            Ok((StatusCode::CREATED, to_json(&created)?))
        },
    )
    .await
}

#[utoipa::path(post, path = "/v1/sites/{id}/close", params(("id" = i64, Path, description = "site id")),
    responses((status = 200, description = "closed; `closed_slots` counts slots closed")),
    security(("bearer" = [])), tag = "authority")]
pub async fn close_site(
    svc: web::Data<Service>,
    who: Authority,
    key: IdempotencyHeader,
    req: HttpRequest,
    path: web::Path<i64>,
) -> Reply {
    let fp = fingerprint(&req, &())?;
    let site = SiteId(path.into_inner());
    once(
        &svc.hot,
        svc.settings().idempotency_seconds,
        key.0.as_ref(),
        &svc.authority_caller(&who),
        &fp,
        || async {
            let n = svc.close_site(site).await?;
            Ok((StatusCode::OK, json!({"site_id": site, "closed_slots": n})))
        },
    )
    .await
}

#[utoipa::path(get, path = "/v1/slots/{id}", params(("id" = i64, Path, description = "slot id")),
    responses((status = 200, body = SlotDetail), (status = 404, body = service_kit::Problem)),
    security(("bearer" = [])), tag = "authority")]
pub async fn slot_detail(svc: web::Data<Service>, _who: Authority, path: web::Path<i64>) -> Reply {
    Ok(HttpResponse::Ok().json(svc.slot_detail(SlotId(path.into_inner())).await?))
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CapacityChange {
    #[schema(value_type = u32)]
    pub capacity: Capacity,
}

#[utoipa::path(patch, path = "/v1/slots/{id}", request_body = CapacityChange,
    params(("id" = i64, Path, description = "slot id")),
    responses((status = 200, body = SlotDetail), (status = 409, body = service_kit::Problem, description = "capacity_below_booked")),
    security(("bearer" = [])), tag = "authority")]
pub async fn set_capacity(
    svc: web::Data<Service>,
    who: Authority,
    key: IdempotencyHeader,
    req: HttpRequest,
    path: web::Path<i64>,
    body: web::Json<CapacityChange>,
) -> Reply {
    let fp = fingerprint(&req, &*body)?;
    let slot = SlotId(path.into_inner());
    once(
        &svc.hot,
        svc.settings().idempotency_seconds,
        key.0.as_ref(),
        &svc.authority_caller(&who),
        &fp,
        || async {
            let d = svc.set_capacity(slot, body.capacity).await?;
            Ok((StatusCode::OK, to_json(&d)?))
        },
    )
    .await
}

#[utoipa::path(post, path = "/v1/slots/{id}/close", params(("id" = i64, Path, description = "slot id")),
    responses((status = 200, body = SlotDetail)), security(("bearer" = [])), tag = "authority")]
pub async fn close_slot(
    svc: web::Data<Service>,
    who: Authority,
    key: IdempotencyHeader,
    req: HttpRequest,
    path: web::Path<i64>,
) -> Reply {
    let fp = fingerprint(&req, &())?;
    let slot = SlotId(path.into_inner());
    once(
        &svc.hot,
        svc.settings().idempotency_seconds,
        key.0.as_ref(),
        &svc.authority_caller(&who),
        &fp,
        || async {
            let d = svc.close_slot(slot).await?;
            Ok((StatusCode::OK, to_json(&d)?))
        },
    )
    .await
}
