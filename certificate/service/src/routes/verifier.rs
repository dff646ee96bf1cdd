//! Verifier routes (public, no personal data): trust list, revocation list and business
//! rules, with ETags; a matching `If-None-Match` gets `304 Not Modified`.

use actix_web::http::header::{ETAG, IF_NONE_MATCH};
use actix_web::{web, HttpRequest, HttpResponse};

use crate::error::PassError;
use crate::service::verifier::Published;
use crate::service::Service;

fn serve(req: &HttpRequest, doc: &Published, cache_control: &'static str) -> HttpResponse {
    let fresh = req
        .headers()
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| doc.matches(v));
    let mut b = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    b.insert_header((ETAG, doc.etag.clone()))
        .insert_header(("Cache-Control", cache_control));
    if fresh {
        b.finish()
    } else {
        b.content_type("application/json").body(doc.body.clone())
    }
}

#[utoipa::path(get, path = "/v1/verifier/trust-list",
    responses((status = 200, content_type = "application/json", description = "`{\"certificates\": [{kid, country, certificate, allowed_types, not_before, not_after}]}`, with an ETag"),
        (status = 304, description = "If-None-Match matched")), tag = "verifier")]
pub async fn trust_list(svc: web::Data<Service>, req: HttpRequest) -> HttpResponse {
    serve(&req, svc.trust_list(), "public, max-age=300")
}

#[utoipa::path(get, path = "/v1/verifier/rules",
    responses((status = 200, content_type = "application/json", description = "the CertLogic business rules, with an ETag"),
        (status = 304, description = "If-None-Match matched")), tag = "verifier")]
pub async fn rules(svc: web::Data<Service>, req: HttpRequest) -> HttpResponse {
    serve(&req, svc.rules(), "public, max-age=300")
}

#[utoipa::path(get, path = "/v1/verifier/revocations",
    responses((status = 200, content_type = "application/json", description = "`{\"kids\": {kid: {\"UCI\"|\"COUNTRYCODEUCI\"|\"SIGNATURE\": [base64 hashes]}}}`, with an ETag; revalidate always"),
        (status = 304, description = "If-None-Match matched")), tag = "verifier")]
pub async fn revocations(
    svc: web::Data<Service>,
    req: HttpRequest,
) -> Result<HttpResponse, PassError> {
    let doc = svc.revocation_list().await?;
    // Revocations must reach verifiers quickly: always revalidate.
    Ok(serve(&req, &doc, "no-cache"))
}
