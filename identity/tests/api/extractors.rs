//! The role extractors through a real actix service: status, code, headers, no leaks.

use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::header::{AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use actix_web::http::StatusCode;
use actix_web::{test, web, App, HttpResponse};
use identity::{
    AnyPrincipal, Authority, CitizenAccess, DevIdentityProvider, JwksSource, Role, SiteClient,
    TokenVerifier, VerifierSettings,
};
use serde_json::{json, Value};

use crate::helpers::*;

async fn citizen_route(access: CitizenAccess) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "cpr": access.cpr.as_str(),
        "helper": access.helper,
    }))
}

async fn authority_route(authority: Authority) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "id": authority.id }))
}

async fn site_route(site: SiteClient) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "id": site.id }))
}

async fn any_route(AnyPrincipal(principal): AnyPrincipal) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "role": principal.role }))
}

/// Two extractors in one handler: the principal is verified once and shared.
async fn both_route(any: AnyPrincipal, access: CitizenAccess) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "role": any.0.role, "helper": access.helper }))
}

fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/citizen", web::get().to(citizen_route))
        .route("/authority", web::get().to(authority_route))
        .route("/site", web::get().to(site_route))
        .route("/any", web::get().to(any_route))
        .route("/both", web::get().to(both_route));
}

async fn app(
    verifier: TokenVerifier,
) -> impl Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error> {
    test::init_service(
        App::new()
            .app_data(web::Data::new(verifier))
            .configure(routes),
    )
    .await
}

async fn call(
    service: &impl Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
    path: &str,
    authorization: Option<&str>,
) -> (StatusCode, Option<String>, Option<String>, String) {
    let mut request = test::TestRequest::get().uri(path);
    if let Some(value) = authorization {
        request = request.insert_header((AUTHORIZATION, value));
    }
    let response = test::call_service(service, request.to_request()).await;
    let status = response.status();
    let header = |name| {
        response
            .headers()
            .get(name)
            .map(|v: &actix_web::http::header::HeaderValue| v.to_str().unwrap().to_owned())
    };
    let challenge = header(WWW_AUTHENTICATE);
    let content_type = header(CONTENT_TYPE);
    let body = String::from_utf8(test::read_body(response).await.to_vec()).unwrap();
    (status, challenge, content_type, body)
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

#[track_caller]
fn assert_problem(body: &str, status: StatusCode, code: &str) {
    let problem: Value = serde_json::from_str(body).unwrap();
    assert_eq!(problem["status"], status.as_u16(), "{body}");
    assert_eq!(problem["code"], code, "{body}");
    assert_eq!(problem["type"], format!("urn:problem:{code}"), "{body}");
}

fn tokens(idp: &DevIdentityProvider) -> (String, String, String, String) {
    (
        idp.issue(&citizen(CPR)).unwrap(),
        idp.issue(&helper(CPR, "kommune-0101-7")).unwrap(),
        idp.issue(&with_subject(Role::Authority, "sst-1")).unwrap(),
        idp.issue(&with_subject(Role::Site, "site-123")).unwrap(),
    )
}

#[actix_web::test]
async fn each_role_reaches_its_routes() {
    let idp = dev_idp();
    let service = app(verifier_for(&idp)).await;
    let (citizen, helper, authority, site) = tokens(&idp);

    let (status, _, _, body) = call(&service, "/citizen", Some(&bearer(&citizen))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        json!({"cpr": CPR, "helper": null})
    );

    let (status, _, _, body) = call(&service, "/citizen", Some(&bearer(&helper))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        json!({"cpr": CPR, "helper": "kommune-0101-7"})
    );

    let (status, _, _, body) = call(&service, "/authority", Some(&bearer(&authority))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        json!({"id": "sst-1"})
    );

    let (status, _, _, body) = call(&service, "/site", Some(&bearer(&site))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        json!({"id": "site-123"})
    );

    for (token, role) in [
        (&citizen, "citizen"),
        (&helper, "helper"),
        (&authority, "authority"),
        (&site, "site"),
    ] {
        let (status, _, _, body) = call(&service, "/any", Some(&bearer(token))).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            serde_json::from_str::<Value>(&body).unwrap(),
            json!({"role": role})
        );
    }

    let (status, _, _, body) = call(&service, "/both", Some(&bearer(&helper))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        json!({"role": "helper", "helper": "kommune-0101-7"})
    );

    // The scheme is case-insensitive (RFC 6750 §2.1 via RFC 7235).
    let (status, _, _, _) = call(&service, "/citizen", Some(&format!("bearer {citizen}"))).await;
    assert_eq!(status, StatusCode::OK);
}

#[actix_web::test]
async fn wrong_role_is_403_forbidden_role() {
    let idp = dev_idp();
    let service = app(verifier_for(&idp)).await;
    let (citizen, helper, authority, site) = tokens(&idp);
    for (path, token) in [
        ("/authority", &citizen),
        ("/authority", &helper),
        ("/authority", &site),
        ("/site", &citizen),
        ("/site", &authority),
        ("/citizen", &authority),
        ("/citizen", &site),
        ("/both", &authority),
    ] {
        let (status, challenge, content_type, body) =
            call(&service, path, Some(&bearer(token))).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        assert_problem(&body, StatusCode::FORBIDDEN, "forbidden_role");
        assert_eq!(challenge, None);
        assert_eq!(content_type.as_deref(), Some("application/problem+json"));
        assert!(!body.contains(CPR), "{body}");
    }
}

#[actix_web::test]
async fn missing_or_non_bearer_credentials_are_401_missing_token() {
    let idp = dev_idp();
    let service = app(verifier_for(&idp)).await;
    for authorization in [
        None,
        Some("Basic dXNlcjpwYXNz"),
        Some("Bearer"),
        Some("Bearer   "),
        Some(""),
    ] {
        let (status, challenge, content_type, body) = call(&service, "/any", authorization).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{authorization:?}");
        assert_problem(&body, StatusCode::UNAUTHORIZED, "missing_token");
        assert_eq!(challenge.as_deref(), Some("Bearer"));
        assert_eq!(content_type.as_deref(), Some("application/problem+json"));
    }
}

#[actix_web::test]
async fn bad_tokens_are_401_invalid_token_and_never_echoed() {
    let idp = dev_idp();
    let service = app(verifier_for(&idp)).await;
    let foreign = dev_idp().issue(&citizen(CPR)).unwrap();
    let wrong_audience = DevIdentityProvider::load_or_generate(
        None,
        ISSUER.to_owned(),
        "certificate".to_owned(),
        TTL,
    )
    .unwrap()
    .issue(&citizen(CPR))
    .unwrap();
    let good = idp.issue(&citizen(CPR)).unwrap();
    let parts: Vec<&str> = good.split('.').collect();
    let mut payload = unb64(parts[1]);
    payload["sub"] = OTHER_CPR.into();
    let tampered = format!("{}.{}.{}", parts[0], b64(&payload), parts[2]);
    let none = format!("{}.{}.", b64(&json!({"alg": "none"})), parts[1]);

    for token in [
        foreign,
        wrong_audience,
        tampered,
        none,
        "not-a-jwt".to_owned(),
    ] {
        let (status, challenge, _, body) = call(&service, "/citizen", Some(&bearer(&token))).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_problem(&body, StatusCode::UNAUTHORIZED, "invalid_token");
        assert_eq!(challenge.as_deref(), Some("Bearer"));
        assert!(!body.contains(&token), "{body}");
        assert!(!body.contains(CPR) && !body.contains(OTHER_CPR), "{body}");
    }
}

#[actix_web::test]
async fn expired_token_is_401_token_expired() {
    let idp = dev_idp();
    let service = app(verifier_for(&idp)).await;
    let token = idp
        .issue_at(
            &citizen(CPR),
            chrono::Utc::now() - chrono::Duration::hours(2),
        )
        .unwrap();
    let (status, challenge, _, body) = call(&service, "/citizen", Some(&bearer(&token))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_problem(&body, StatusCode::UNAUTHORIZED, "token_expired");
    assert_eq!(challenge.as_deref(), Some("Bearer"));
    assert!(!body.contains(CPR));
}

#[actix_web::test]
async fn unreachable_identity_provider_is_503() {
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let verifier = TokenVerifier::new(VerifierSettings::new(
        ISSUER,
        AUDIENCE,
        JwksSource::Url(format!("http://127.0.0.1:{port}/jwks.json")),
    ))
    .unwrap();
    let service = app(verifier).await;
    let token = dev_idp().issue(&citizen(CPR)).unwrap();
    let mut request = test::TestRequest::get().uri("/citizen").to_request();
    request
        .headers_mut()
        .insert(AUTHORIZATION, bearer(&token).parse().unwrap());
    let response = test::call_service(&service, request).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(response.headers().get("Retry-After").is_some());
    let body = String::from_utf8(test::read_body(response).await.to_vec()).unwrap();
    assert_problem(
        &body,
        StatusCode::SERVICE_UNAVAILABLE,
        "identity_provider_unavailable",
    );
    assert!(
        !body.contains(&port.to_string()),
        "no internals in the body: {body}"
    );
}

#[actix_web::test]
async fn missing_verifier_is_a_500_problem_not_a_panic() {
    let service = test::init_service(App::new().configure(routes)).await;
    let token = dev_idp().issue(&citizen(CPR)).unwrap();
    let (status, _, content_type, body) = call(&service, "/citizen", Some(&bearer(&token))).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(content_type.as_deref(), Some("application/problem+json"));
    assert!(!body.contains(CPR));
}
