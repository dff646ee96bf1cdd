//! HTTP routes: thin handlers that parse, call a `Service` operation and answer.
//!
//! - site clients (role `site`): `/v1/register/...`;
//! - citizens (or a helper acting for one): `/v1/me/passes...`;
//! - verifiers (public): `/v1/verifier/...`.

pub mod citizen;
pub mod page;
pub mod site;
pub mod verifier;

use actix_web::web;
use service_kit::http::BearerAuth;
use utoipa::OpenApi;

pub fn configure(cfg: &mut web::ServiceConfig) {
    page::configure(cfg);
    cfg.service(
        web::scope("/v1")
            .route("/register/tests", web::post().to(site::post_test))
            .route(
                "/register/vaccinations",
                web::post().to(site::post_vaccination),
            )
            // Bulk bodies are read with `registers.bulk_max_bytes` as their limit.
            .route("/register/tests/bulk", web::post().to(site::bulk_tests))
            .route(
                "/register/vaccinations/bulk",
                web::post().to(site::bulk_vaccinations),
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

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Pass service",
        description = "The national test and vaccination registers (sites report single records or bulk NDJSON/CSV files), EU DCC passes and Danish domestic passes issued from them (HC1/DK1 text, QR PNG/SVG, printable PDF), and what venue verifiers download (trust list, revocation list, business rules, with ETags). Errors are application/problem+json with a stable `code`; record and bulk errors carry an `errors` array. No answer carries a CPR number or the signing key.",
        version = "1"
    ),
    paths(
        site::post_test,
        site::post_vaccination,
        site::bulk_tests,
        site::bulk_vaccinations,
        site::delete_test,
        site::delete_vaccination,
        citizen::my_passes,
        citizen::issue,
        citizen::current,
        citizen::qr_png,
        citizen::qr_svg,
        citizen::pass_pdf,
        verifier::trust_list,
        verifier::revocations,
        verifier::rules,
    ),
    components(schemas(service_kit::Problem, crate::error::LineError, crate::domain::records::FieldError)),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;
