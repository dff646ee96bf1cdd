//! Health, readiness, metrics, the OpenAPI document and its UI, and error bodies.

use crate::helpers::spawn_app;
use reqwest::StatusCode;

#[tokio::test]
async fn health_ready_metrics_and_docs() {
    let app = spawn_app().await;
    for path in ["/healthz", "/readyz", "/metrics", "/openapi.json", "/docs/"] {
        let r = app.get(path, None).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
    }
    // No replica configured: readiness says nothing of one.
    let ready: serde_json::Value = app.get("/readyz", None).await.json().await.unwrap();
    assert_eq!(ready, serde_json::json!({"status": "ready"}));
    let _ = app.get("/v1/campaigns", None).await;
    let metrics = app.get("/metrics", None).await.text().await.unwrap();
    assert!(metrics.contains("http_requests_total"), "{metrics}");
    assert!(
        metrics.contains(r#"booking_admitted_seconds_bucket{route="/v1/campaigns",le="0.5"}"#),
        "admitted requests' time in the service, by route: {metrics}"
    );
    let doc: serde_json::Value = app.get("/openapi.json", None).await.json().await.unwrap();
    for path in [
        "/v1/holds",
        "/v1/bookings",
        "/v1/sites/{id}/slots",
        "/v1/me/bookings",
    ] {
        assert!(
            doc["paths"].get(path).is_some(),
            "{path} missing from OpenAPI"
        );
    }
}

#[tokio::test]
async fn responses_carry_a_request_id() {
    let app = spawn_app().await;
    let r = app.get("/v1/campaigns", None).await;
    assert!(r.headers().get("x-request-id").is_some());
    let r = app
        .http
        .get(format!("{}/v1/campaigns", app.address))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-request-id"], "abc-123");
}

#[tokio::test]
async fn unknown_route_and_bad_json_are_problems() {
    let app = spawn_app().await;
    let r = app.get("/v1/nothing-here", None).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(r.headers()["content-type"], "application/problem+json");

    let citizen = app.citizen("0101701234").await;
    let r = app
        .http
        .post(format!("{}/v1/holds", app.address))
        .bearer_auth(&citizen)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["code"], "invalid_body");
}

#[tokio::test]
async fn tokens_are_checked() {
    let app = spawn_app().await;
    let body = serde_json::json!({"slot_id": 1});
    // No token.
    let r = app
        .request(
            reqwest::Method::POST,
            "/v1/holds",
            None,
            Some(body.clone()),
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.headers().get("www-authenticate").is_some());
    // A tampered token.
    let mut token = app.citizen("0101701234").await;
    token.push('x');
    let r = app.post("/v1/holds", &token, body.clone()).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let p: serde_json::Value = r.json().await.unwrap();
    assert_eq!(p["code"], "invalid_token");
    // A citizen on an authority route.
    let citizen = app.citizen("0101701234").await;
    let r = app
        .post(
            "/v1/campaigns",
            &citizen,
            serde_json::json!({"code":"x1","name":"X","kind":"test","access":"open"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // An authority cannot hold a slot as a citizen.
    let r = app.post("/v1/holds", &app.authority, body).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}
