//! HTTP routes: thin handlers that parse, call a `Service` operation and answer.
//!
//! - site clients (role `site`): `/v1/register/...`;
//! - citizens (or a helper acting for one): `/v1/me/passes...`;
//! - verifiers (public): `/v1/verifier/...`.

pub mod citizen;
pub mod site;
pub mod verifier;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig, bulk_max_bytes: usize) {
    cfg.service(
        web::scope("/v1")
            .route("/register/tests", web::post().to(site::post_test))
            .route(
                "/register/vaccinations",
                web::post().to(site::post_vaccination),
            )
            .service(
                web::resource("/register/tests/bulk")
                    .app_data(web::PayloadConfig::new(bulk_max_bytes))
                    .route(web::post().to(site::bulk_tests)),
            )
            .service(
                web::resource("/register/vaccinations/bulk")
                    .app_data(web::PayloadConfig::new(bulk_max_bytes))
                    .route(web::post().to(site::bulk_vaccinations)),
            )
            .route(
                "/register/tests/{record_id:.+}",
                web::delete().to(site::delete_test),
            )
            .route(
                "/register/vaccinations/{record_id:.+}",
                web::delete().to(site::delete_vaccination),
            )
            .route("/me/passes", web::get().to(citizen::my_passes))
            .route("/me/passes/{type}", web::post().to(citizen::issue))
            .route("/me/passes/{type}", web::get().to(citizen::current))
            .route("/me/passes/{type}/qr.png", web::get().to(citizen::qr_png))
            .route("/me/passes/{type}/qr.svg", web::get().to(citizen::qr_svg))
            .route(
                "/me/passes/{type}/pass.pdf",
                web::get().to(citizen::pass_pdf),
            )
            .route("/verifier/trust-list", web::get().to(verifier::trust_list))
            .route(
                "/verifier/revocations",
                web::get().to(verifier::revocations),
            )
            .route("/verifier/rules", web::get().to(verifier::rules)),
    );
}
