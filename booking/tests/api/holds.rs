//! Extending a hold: the place stays held past its first expiry, only for its owner,
//! at most ten times, and never for a hold that has gone.

use crate::helpers::{cpr, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::Value;

async fn extend(app: &crate::helpers::TestApp, token: &str, hold: &str) -> reqwest::Response {
    app.request(
        Method::POST,
        &format!("/v1/holds/{hold}/extend"),
        Some(token),
        None,
        None,
    )
    .await
}

async fn code(r: reqwest::Response) -> String {
    let v: Value = r.json().await.unwrap();
    v["code"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn an_extended_hold_outlives_its_first_expiry_and_confirms() {
    let app = spawn_app().await;
    let slots = app.setup_slots(1, 1).await;
    let a = app.citizen(&cpr(1)).await;
    let b = app.citizen(&cpr(2)).await;
    let hold: Value = app.hold(&a, slots[0]).await.json().await.unwrap();
    let id = hold["hold_id"].as_str().unwrap().to_owned();

    app.clock.advance(chrono::Duration::seconds(200));
    // Someone else cannot extend it.
    let r = extend(&app, &b, &id).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(code(r).await, "hold_not_yours");
    let r = extend(&app, &a, &id).await;
    assert_eq!(r.status(), StatusCode::OK);
    let ext: Value = r.json().await.unwrap();
    assert_eq!(ext["hold_id"], id.as_str());
    assert_eq!(ext["extensions_left"], 9);
    let first: chrono::DateTime<chrono::Utc> =
        hold["expires_at"].as_str().unwrap().parse().unwrap();
    let now: chrono::DateTime<chrono::Utc> = ext["expires_at"].as_str().unwrap().parse().unwrap();
    assert_eq!((now - first).num_seconds(), 200);

    // Past the first expiry: the place is still held (B is turned away) and A confirms.
    app.clock.advance(chrono::Duration::seconds(250));
    assert_eq!(app.hold(&b, slots[0]).await.status(), StatusCode::CONFLICT);
    let r = app.confirm(&a, &id).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    // A confirmed hold is gone: nothing to extend.
    let r = extend(&app, &a, &id).await;
    assert_eq!(r.status(), StatusCode::GONE);
    assert_eq!(code(r).await, "hold_expired");
    let detail = app.slot(slots[0]).await;
    assert_eq!(
        (detail["booked"].as_i64(), detail["held"].as_i64()),
        (Some(1), Some(0))
    );
}

#[tokio::test]
async fn a_hold_extends_ten_times_and_an_expired_one_not_at_all() {
    let app = spawn_app().await;
    let slots = app.setup_slots(2, 1).await;
    let a = app.citizen(&cpr(1)).await;
    let hold: Value = app.hold(&a, slots[0]).await.json().await.unwrap();
    let id = hold["hold_id"].as_str().unwrap().to_owned();
    for left in (0..10).rev() {
        let r = extend(&app, &a, &id).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.json::<Value>().await.unwrap()["extensions_left"], left);
    }
    let r = extend(&app, &a, &id).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(code(r).await, "hold_extension_limit");

    let other: Value = app.hold(&a, slots[1]).await.json().await.unwrap();
    let other = other["hold_id"].as_str().unwrap().to_owned();
    // The new hold in the campaign gave the first one back.
    assert_eq!(app.slot(slots[0]).await["held"], 0);
    app.clock.advance(chrono::Duration::seconds(301));
    let r = extend(&app, &a, &other).await;
    assert_eq!(r.status(), StatusCode::GONE);
    let r = extend(&app, &a, "not-a-hold").await;
    assert_eq!(r.status(), StatusCode::GONE);
    assert_eq!(app.slot(slots[1]).await["held"], 0);
}
