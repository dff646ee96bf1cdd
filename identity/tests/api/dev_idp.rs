//! The dev identity provider: key file handling, request validation, HTTP endpoints.

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::{test as actix_test, web, App};
use identity::{DevIdentityProvider, DevIdpError, Role, TokenRequest, TokenResponse};
use serde_json::{json, Value};

use crate::helpers::*;

#[test]
fn key_file_is_created_then_reused() {
    let dir = temp_dir();
    let path = dir.join("nested").join("dev-idp.pem");
    let load = || {
        DevIdentityProvider::load_or_generate(
            Some(&path),
            ISSUER.to_owned(),
            AUDIENCE.to_owned(),
            TTL,
        )
        .unwrap()
    };
    let first = load();
    let pem = std::fs::read_to_string(&path).unwrap();
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"), "PKCS#8 PEM");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "key file readable by others: {mode:o}");
    }
    let second = load();
    assert_eq!(first.key_id(), second.key_id());
    assert_eq!(first.jwks(), second.jwks());
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        pem,
        "not rewritten"
    );
    // No temporary files left behind.
    assert_eq!(std::fs::read_dir(dir.join("nested")).unwrap().count(), 1);
    // A token of one instance verifies with the other's key set.
    let token = first.issue(&citizen(CPR)).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    assert!(rt.block_on(verifier_for(&second).verify(&token)).is_ok());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn providers_starting_at_once_agree_on_one_key() {
    let dir = temp_dir();
    let path = dir.join("shared.pem");
    let barrier = std::sync::Barrier::new(8);
    let key_ids: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                scope.spawn(|| {
                    barrier.wait();
                    DevIdentityProvider::load_or_generate(
                        Some(&path),
                        ISSUER.to_owned(),
                        AUDIENCE.to_owned(),
                        TTL,
                    )
                    .unwrap()
                    .key_id()
                    .to_owned()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(key_ids.iter().all(|id| id == &key_ids[0]), "{key_ids:?}");
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        1,
        "only the key file remains"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn without_a_path_every_provider_has_its_own_key() {
    assert_ne!(dev_idp().key_id(), dev_idp().key_id());
}

#[test]
fn a_corrupt_key_file_is_an_error_not_a_new_key() {
    let dir = temp_dir();
    let path = dir.join("dev-idp.pem");
    std::fs::write(&path, "not a key").unwrap();
    let result = DevIdentityProvider::load_or_generate(
        Some(&path),
        ISSUER.to_owned(),
        AUDIENCE.to_owned(),
        TTL,
    );
    assert!(
        matches!(result, Err(DevIdpError::InvalidKey(_))),
        "{result:?}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "not a key");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_zero_lifetime_is_refused() {
    let result = DevIdentityProvider::load_or_generate(
        None,
        ISSUER.to_owned(),
        AUDIENCE.to_owned(),
        Duration::ZERO,
    );
    assert!(matches!(result, Err(DevIdpError::InvalidTtl)));
}

#[test]
fn jwks_publishes_one_es256_signing_key() {
    let idp = dev_idp();
    let jwks = idp.jwks();
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    let key = &keys[0];
    assert_eq!(key["kty"], "EC");
    assert_eq!(key["crv"], "P-256");
    assert_eq!(key["alg"], "ES256");
    assert_eq!(key["use"], "sig");
    assert_eq!(key["kid"], idp.key_id());
    assert!(key.get("d").is_none(), "no private part");
    assert_eq!(idp.issuer(), ISSUER);
    assert_eq!(idp.audience(), AUDIENCE);
    let debug = format!("{idp:?}");
    assert!(debug.contains("DevIdentityProvider") && !debug.contains("PRIVATE"));
}

#[test]
fn token_requests_are_validated_per_role() {
    let idp = dev_idp();
    let bad = [
        request(Role::Citizen),
        citizen("3002901234"),
        citizen("12345"),
        TokenRequest {
            helper: Some("h".to_owned()),
            ..citizen(CPR)
        },
        TokenRequest {
            subject: Some("s".to_owned()),
            ..citizen(CPR)
        },
        TokenRequest {
            cpr: Some(CPR.to_owned()),
            ..request(Role::Helper)
        },
        TokenRequest {
            helper: Some("h".to_owned()),
            ..request(Role::Helper)
        },
        helper(CPR, ""),
        helper(CPR, "   "),
        helper(CPR, OTHER_CPR),
        helper(CPR, "line\nbreak"),
        helper(CPR, &"x".repeat(129)),
        TokenRequest {
            subject: Some("s".to_owned()),
            ..helper(CPR, "h")
        },
        request(Role::Authority),
        request(Role::Site),
        with_subject(Role::Authority, ""),
        with_subject(Role::Site, CPR),
        TokenRequest {
            cpr: Some(CPR.to_owned()),
            ..with_subject(Role::Authority, "a")
        },
        TokenRequest {
            helper: Some("h".to_owned()),
            ..with_subject(Role::Site, "s")
        },
        TokenRequest {
            municipality: Some(101),
            ..citizen(CPR)
        },
        TokenRequest {
            municipality: Some(0),
            ..helper(CPR, "h")
        },
        TokenRequest {
            municipality: Some(101),
            ..with_subject(Role::Authority, "a")
        },
        TokenRequest {
            name: Some(String::new()),
            ..citizen(CPR)
        },
        TokenRequest {
            name: Some("\u{7}".to_owned()),
            ..citizen(CPR)
        },
    ];
    for request in bad {
        let result = idp.issue(&request);
        match result {
            Err(DevIdpError::InvalidRequest(message)) => {
                assert!(
                    !message.contains(CPR) && !message.contains(OTHER_CPR),
                    "{message}"
                )
            }
            other => panic!("{request:?} gave {other:?}"),
        }
    }
    assert!(idp.issue(&helper(CPR, &"x".repeat(128))).is_ok());
}

#[test]
fn token_request_debug_masks_the_cpr() {
    let shown = format!("{:?}", citizen(CPR));
    assert!(!shown.contains(CPR), "{shown}");
    assert!(shown.contains("Citizen"));
}

async fn post_token(body: &str) -> (StatusCode, Option<String>, Value) {
    let service = actix_test::init_service(
        App::new()
            .app_data(web::Data::new(dev_idp()))
            .configure(identity::configure),
    )
    .await;
    let request = actix_test::TestRequest::post()
        .uri("/dev/token")
        .insert_header(("Content-Type", "application/json"))
        .set_payload(body.to_owned())
        .to_request();
    let response = actix_test::call_service(&service, request).await;
    let status = response.status();
    let content_type = response
        .headers()
        .get("Content-Type")
        .map(|v| v.to_str().unwrap().to_owned());
    let body: Value = actix_test::read_body_json(response).await;
    (status, content_type, body)
}

#[actix_web::test]
async fn post_token_issues_a_bearer_token() {
    let (status, _, body) = post_token(r#"{"cpr": "0101901234", "role": "citizen"}"#).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let response: TokenResponse = serde_json::from_value(body).unwrap();
    assert_eq!(response.token_type, "Bearer");
    assert_eq!(response.expires_in, 300);
    assert_eq!(response.access_token.split('.').count(), 3);

    let (status, _, body) = post_token(
        r#"{"cpr": "0101901234", "role": "helper", "helper": "kommune-7", "name": "Ib"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _, body) = post_token(r#"{"role": "authority", "subject": "sst-1"}"#).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[actix_web::test]
async fn post_token_with_bad_input_is_400_problem_json_without_echo() {
    for body in [
        r#"{"cpr": "3002901234", "role": "citizen"}"#,
        r#"{"cpr": "0101901234", "role": "admin"}"#,
        r#"{"cpr": "0101901234"}"#,
        r#"{"cpr": "0101901234", "role": "citizen", "extra": 1}"#,
        r#"{"role": "helper", "cpr": "0101901234"}"#,
        r#"{"cpr": 101901234, "role": "citizen"}"#,
        r#"{"cpr": "0101901234", "role": "citizen""#,
        "",
        "not json 0101901234",
        "[]",
    ] {
        let (status, content_type, problem) = post_token(body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(content_type.as_deref(), Some("application/problem+json"));
        assert_eq!(problem["code"], "invalid_request");
        let shown = problem.to_string();
        assert!(
            !shown.contains("0101901234") && !shown.contains("3002901234"),
            "{shown}"
        );
    }
}

#[actix_web::test]
async fn get_jwks_serves_the_public_key() {
    let idp = dev_idp();
    let expected = idp.jwks();
    let service = actix_test::init_service(
        App::new()
            .app_data(web::Data::new(idp))
            .configure(identity::configure),
    )
    .await;
    let request = actix_test::TestRequest::get()
        .uri("/dev/jwks.json")
        .to_request();
    let body: Value = actix_test::call_and_read_body_json(&service, request).await;
    assert_eq!(body, expected);
}

#[actix_web::test]
async fn routes_without_the_provider_data_are_a_500_problem() {
    let service = actix_test::init_service(App::new().configure(identity::configure)).await;
    let request = actix_test::TestRequest::post()
        .uri("/dev/token")
        .set_payload(json!({"cpr": CPR, "role": "citizen"}).to_string())
        .to_request();
    let response = actix_test::call_service(&service, request).await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
}
