//! HTTP routes: thin handlers that parse, call a `Service` operation and answer.

pub mod attorney;
pub mod authority;
pub mod citizen;
pub mod eligibility;
pub mod holds;
pub mod uptake;
pub mod waitroom;

use actix_web::{web, HttpRequest};
use serde::Serialize;
use service_kit::http::BearerAuth;
use utoipa::OpenApi;

use crate::error::BookingError;

/// What a request asked, for spotting an `Idempotency-Key` reused for another request.
pub(crate) fn fingerprint(
    req: &HttpRequest,
    body: &impl Serialize,
) -> Result<Vec<u8>, BookingError> {
    let mut fp = format!("{} {}\n", req.method(), req.path()).into_bytes();
    fp.extend(serde_json::to_vec(body).map_err(|e| BookingError::Internal(e.into()))?);
    Ok(fp)
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/v1")
            .route("/campaigns", web::post().to(authority::create_campaign))
            .route("/campaigns", web::get().to(authority::list_campaigns))
            .route("/campaigns/{code}/uptake", web::get().to(uptake::uptake))
            .route("/sites", web::post().to(authority::create_site))
            .route("/sites", web::get().to(citizen::list_sites))
            .route("/sites/{id}", web::put().to(authority::update_site))
            .route("/sites/{id}/slots", web::post().to(authority::create_slots))
            .route("/sites/{id}/slots", web::get().to(citizen::site_slots))
            .route("/sites/{id}/close", web::post().to(authority::close_site))
            .route("/slots/fullness", web::get().to(authority::slot_fullness))
            .route("/slots/{id}", web::get().to(authority::slot_detail))
            .route("/slots/{id}", web::patch().to(authority::set_capacity))
            .route("/slots/{id}/close", web::post().to(authority::close_slot))
            .route("/holds", web::post().to(citizen::create_hold))
            .route("/holds/{id}", web::delete().to(citizen::release_hold))
            .route("/holds/{id}/extend", web::post().to(holds::extend_hold))
            .route("/bookings", web::post().to(citizen::confirm))
            .route("/bookings/{id}", web::delete().to(citizen::cancel))
            .route("/bookings/{id}/move", web::post().to(citizen::move_booking))
            .route("/me/bookings", web::get().to(citizen::my_bookings))
            .route("/me/audit", web::get().to(citizen::my_audit))
            .route("/me/entitlement", web::get().to(attorney::my_entitlement))
            .route("/me/powers-of-attorney", web::get().to(attorney::my_grants))
            .route("/me/powers-of-attorney", web::post().to(attorney::grant))
            .route(
                "/me/powers-of-attorney/{helper}",
                web::delete().to(attorney::revoke),
            )
            .route("/powers-of-attorney", web::post().to(attorney::record))
            .route(
                "/powers-of-attorney/revocations",
                web::post().to(attorney::record_revocation),
            )
            .route(
                "/me/eligibility",
                web::get().to(eligibility::my_eligibility),
            )
            .route(
                "/population",
                web::post().to(eligibility::import_population),
            )
            .route("/cohorts", web::post().to(eligibility::create_cohort))
            .route("/cohorts", web::get().to(eligibility::list_cohorts))
            .route("/cohorts/preview", web::post().to(eligibility::preview))
            .route(
                "/cohorts/{id}/preview",
                web::get().to(eligibility::cohort_preview),
            )
            .route("/waves", web::post().to(eligibility::create_wave))
            .route("/waves", web::get().to(eligibility::list_waves))
            .route("/waves/{id}", web::get().to(eligibility::wave_detail))
            .route("/waves/{id}/close", web::post().to(eligibility::close_wave))
            .route("/waiting-rooms", web::post().to(waitroom::create_room))
            .route("/waiting-rooms", web::get().to(waitroom::list_rooms))
            .route(
                "/waiting-rooms/{room}/visitors",
                web::post().to(waitroom::join),
            )
            .route(
                "/waiting-rooms/{room}/visitors/{visitor}",
                web::get().to(waitroom::status),
            ),
    )
    .route("/waiting-room/{room}", web::get().to(waitroom::page));
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Booking service",
        description = "Book tests and vaccinations: campaigns, sites, slots, holds and bookings that are never overbooked. Errors are application/problem+json with a stable `code`. State-changing requests accept an `Idempotency-Key` header.",
        version = "1"
    ),
    paths(
        authority::create_campaign,
        authority::list_campaigns,
        authority::create_site,
        authority::update_site,
        authority::slot_fullness,
        authority::create_slots,
        authority::close_site,
        authority::slot_detail,
        authority::set_capacity,
        authority::close_slot,
        citizen::list_sites,
        citizen::site_slots,
        citizen::create_hold,
        citizen::release_hold,
        holds::extend_hold,
        uptake::uptake,
        citizen::confirm,
        citizen::cancel,
        citizen::move_booking,
        citizen::my_bookings,
        citizen::my_audit,
        attorney::my_entitlement,
        attorney::my_grants,
        attorney::grant,
        attorney::revoke,
        attorney::record,
        attorney::record_revocation,
        eligibility::import_population,
        eligibility::create_cohort,
        eligibility::list_cohorts,
        eligibility::preview,
        eligibility::cohort_preview,
        eligibility::create_wave,
        eligibility::list_waves,
        eligibility::wave_detail,
        eligibility::close_wave,
        eligibility::my_eligibility,
        waitroom::create_room,
        waitroom::list_rooms,
        waitroom::join,
        waitroom::status,
    ),
    components(schemas(service_kit::Problem)),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;
