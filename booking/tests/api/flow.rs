//! The citizen's way through: hold, confirm, list, cancel, move; expiry; idempotency;
//! helpers acting for a citizen.

use crate::helpers::{cpr, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

async fn problem_code(r: reqwest::Response) -> String {
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let v: Value = r.json().await.unwrap();
    v["code"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn hold_confirm_list_cancel() {
    let app = spawn_app().await;
    let slots = app.setup_slots(2, 2).await;
    let me = app.citizen(&cpr(1)).await;

    let r = app.hold(&me, slots[0]).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let hold: Value = r.json().await.unwrap();
    assert_eq!(hold["remaining"], 1);
    assert_eq!(app.slot(slots[0]).await["held"], 1);

    let r = app.confirm(&me, hold["hold_id"].as_str().unwrap()).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let booking: Value = r.json().await.unwrap();
    assert_eq!(booking["status"], "active");
    assert_eq!(booking["slot_id"], slots[0]);
    let detail = app.slot(slots[0]).await;
    assert_eq!(
        (detail["booked"].as_i64(), detail["held"].as_i64()),
        (Some(1), Some(0))
    );

    // Confirming the same hold again is refused and books nothing.
    let r = app.confirm(&me, hold["hold_id"].as_str().unwrap()).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(problem_code(r).await, "hold_already_confirmed");
    assert_eq!(app.slot(slots[0]).await["booked"], 1);

    let mine: Value = app
        .get("/v1/me/bookings", Some(&me))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine.as_array().unwrap().len(), 1);
    let other = app.citizen(&cpr(2)).await;
    let theirs: Value = app
        .get("/v1/me/bookings", Some(&other))
        .await
        .json()
        .await
        .unwrap();
    assert!(theirs.as_array().unwrap().is_empty());

    // Someone else cannot cancel it.
    let path = format!("/v1/bookings/{}", booking["id"].as_str().unwrap());
    let r = app
        .request(Method::DELETE, &path, Some(&other), None, None)
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    let r = app
        .request(Method::DELETE, &path, Some(&me), None, None)
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let cancelled: Value = r.json().await.unwrap();
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(app.slot(slots[0]).await["booked"], 0);
    // Cancelling twice changes nothing.
    let r = app
        .request(Method::DELETE, &path, Some(&me), None, None)
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(app.slot(slots[0]).await["booked"], 0);

    // Confirmation and cancellation letters are queued.
    let pg = app.pg().await;
    let kinds: Vec<String> = pg
        .query("SELECT kind FROM outbox ORDER BY created_at", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(kinds, ["booking_confirmed", "booking_cancelled"]);
    app.assert_invariant().await;
}

#[tokio::test]
async fn a_full_slot_refuses_holds_and_one_booking_per_campaign() {
    let app = spawn_app().await;
    let slots = app.setup_slots(2, 1).await;
    let a = app.citizen(&cpr(1)).await;
    let b = app.citizen(&cpr(2)).await;
    app.book(&a, slots[0]).await;
    let r = app.hold(&b, slots[0]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(problem_code(r).await, "slot_full");

    // A second booking in the same campaign is refused, and the hold is not consumed.
    let r = app.hold(&a, slots[1]).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let hold: Value = r.json().await.unwrap();
    let r = app.confirm(&a, hold["hold_id"].as_str().unwrap()).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(problem_code(r).await, "already_booked");
    assert_eq!(app.slot(slots[1]).await["booked"], 0);
    app.assert_invariant().await;
}

#[tokio::test]
async fn holds_expire_belong_to_their_owner_and_one_per_campaign() {
    let app = spawn_app().await;
    let slots = app.setup_slots(2, 1).await;
    let a = app.citizen(&cpr(1)).await;
    let b = app.citizen(&cpr(2)).await;

    let hold: Value = app.hold(&a, slots[0]).await.json().await.unwrap();
    let hold_id = hold["hold_id"].as_str().unwrap().to_owned();
    // B cannot confirm A's hold.
    let r = app.confirm(&b, &hold_id).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(problem_code(r).await, "hold_not_yours");
    // The slot is held, so B cannot hold it either.
    assert_eq!(app.hold(&b, slots[0]).await.status(), StatusCode::CONFLICT);

    // Time passes beyond the hold's life: the place comes back.
    app.clock.advance(chrono::Duration::seconds(301));
    let r = app.confirm(&a, &hold_id).await;
    assert_eq!(r.status(), StatusCode::GONE);
    assert_eq!(problem_code(r).await, "hold_expired");
    let r = app.hold(&b, slots[0]).await;
    assert_eq!(r.status(), StatusCode::CREATED);

    // A new hold in the same campaign gives the citizen's previous one back.
    let first: Value = app.hold(&a, slots[1]).await.json().await.unwrap();
    assert_eq!(app.slot(slots[1]).await["held"], 1);
    let c = app.citizen(&cpr(3)).await;
    assert_eq!(app.hold(&c, slots[1]).await.status(), StatusCode::CONFLICT);
    // A moves on to slot 0, which B holds: refused, and A keeps the first hold.
    assert_eq!(app.hold(&a, slots[0]).await.status(), StatusCode::CONFLICT);
    assert_eq!(app.slot(slots[1]).await["held"], 1);
    // Releasing the hold frees the place at once.
    let r = app
        .request(
            Method::DELETE,
            &format!("/v1/holds/{}", first["hold_id"].as_str().unwrap()),
            Some(&a),
            None,
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.slot(slots[1]).await["held"], 0);

    // Garbage and unknown ids.
    for bad in ["nope", "1.zz", "999999.0123456789abcdef0123456789abcdef"] {
        let r = app.confirm(&a, bad).await;
        assert!(r.status().is_client_error(), "{bad}: {}", r.status());
    }
    let r = app.hold(&a, 999_999).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    app.assert_invariant().await;
}

#[tokio::test]
async fn second_hold_in_campaign_replaces_the_first() {
    let app = spawn_app().await;
    let slots = app.setup_slots(2, 1).await;
    let a = app.citizen(&cpr(1)).await;
    assert_eq!(app.hold(&a, slots[0]).await.status(), StatusCode::CREATED);
    assert_eq!(app.hold(&a, slots[1]).await.status(), StatusCode::CREATED);
    assert_eq!(
        app.slot(slots[0]).await["held"],
        0,
        "the first hold was given back"
    );
    assert_eq!(app.slot(slots[1]).await["held"], 1);

    // The same with an Idempotency-Key, where the previous hold is given back alongside
    // storing the answer: given back before the answer, and a retry changes nothing.
    let held = |key: &'static str| {
        app.request(
            Method::POST,
            "/v1/holds",
            Some(&a),
            Some(json!({"slot_id": slots[0]})),
            Some(key),
        )
    };
    let first = held("again-slot-0").await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    assert_eq!(app.slot(slots[1]).await["held"], 0, "given back at once");
    assert_eq!(app.slot(slots[0]).await["held"], 1);
    let retry = held("again-slot-0").await;
    assert_eq!(retry.status(), StatusCode::CREATED);
    assert_eq!(retry.headers()["Idempotent-Replayed"], "true");
    let retry: Value = retry.json().await.unwrap();
    assert_eq!(retry["hold_id"], first["hold_id"]);
    assert_eq!(app.slot(slots[0]).await["held"], 1, "no second hold");
    assert_eq!(app.slot(slots[1]).await["held"], 0);
}

#[tokio::test]
async fn move_keeps_the_old_booking_when_the_new_slot_fails() {
    let app = spawn_app().await;
    let slots = app.setup_slots(3, 1).await;
    let a = app.citizen(&cpr(1)).await;
    let b = app.citizen(&cpr(2)).await;
    let booking = app.book(&a, slots[0]).await;
    let id = booking["id"].as_str().unwrap();

    // Move to slot 1.
    let hold: Value = app.hold(&a, slots[1]).await.json().await.unwrap();
    let r = app
        .post(
            &format!("/v1/bookings/{id}/move"),
            &a,
            json!({"hold_id": hold["hold_id"]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let moved: Value = r.json().await.unwrap();
    assert_eq!(moved["slot_id"], slots[1]);
    assert_eq!(app.slot(slots[0]).await["booked"], 0);
    assert_eq!(app.slot(slots[1]).await["booked"], 1);
    let mine: Value = app
        .get("/v1/me/bookings", Some(&a))
        .await
        .json()
        .await
        .unwrap();
    let statuses: Vec<&str> = mine
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["status"].as_str().unwrap())
        .collect();
    assert!(statuses.contains(&"moved") && statuses.contains(&"active"));

    // The old booking cannot move again.
    let hold: Value = app.hold(&a, slots[2]).await.json().await.unwrap();
    let r = app
        .post(
            &format!("/v1/bookings/{id}/move"),
            &a,
            json!({"hold_id": hold["hold_id"]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(problem_code(r).await, "booking_not_active");

    // Make slot 2 full under A's hold (capacity change), then try to move there:
    // the move fails and the booking in slot 1 stays active.
    let new_id = moved["id"].as_str().unwrap();
    let r = app
        .request(
            Method::POST,
            &format!("/v1/slots/{}/close", slots[2]),
            Some(&app.authority),
            None,
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = app
        .post(
            &format!("/v1/bookings/{new_id}/move"),
            &a,
            json!({"hold_id": hold["hold_id"]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(problem_code(r).await, "slot_closed");
    assert_eq!(app.slot(slots[1]).await["booked"], 1);
    let mine: Value = app
        .get("/v1/me/bookings", Some(&a))
        .await
        .json()
        .await
        .unwrap();
    assert!(mine
        .as_array()
        .unwrap()
        .iter()
        .any(|b| b["id"] == new_id && b["status"] == "active"));

    // B cannot move A's booking.
    let hold_b: Value = app.hold(&b, slots[0]).await.json().await.unwrap();
    let r = app
        .post(
            &format!("/v1/bookings/{new_id}/move"),
            &b,
            json!({"hold_id": hold_b["hold_id"]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    app.assert_invariant().await;
}

#[tokio::test]
async fn idempotency_key_replays_the_first_answer() {
    let app = spawn_app().await;
    let slots = app.setup_slots(1, 5).await;
    let a = app.citizen(&cpr(1)).await;
    let body = json!({"slot_id": slots[0]});
    let first = app
        .request(
            Method::POST,
            "/v1/holds",
            Some(&a),
            Some(body.clone()),
            Some("k-1"),
        )
        .await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    let second = app
        .request(Method::POST, "/v1/holds", Some(&a), Some(body), Some("k-1"))
        .await;
    assert_eq!(second.status(), StatusCode::CREATED);
    assert_eq!(second.headers()["idempotent-replayed"], "true");
    let second: Value = second.json().await.unwrap();
    assert_eq!(first["hold_id"], second["hold_id"]);
    assert_eq!(app.slot(slots[0]).await["held"], 1);

    // The same key for another request is refused.
    let r = app
        .request(
            Method::POST,
            "/v1/holds",
            Some(&a),
            Some(json!({"slot_id": slots[0] + 1000})),
            Some("k-1"),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Another citizen's identical key is their own.
    let b = app.citizen(&cpr(2)).await;
    let r = app
        .request(
            Method::POST,
            "/v1/holds",
            Some(&b),
            Some(json!({"slot_id": slots[0]})),
            Some("k-1"),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);

    // Confirm twice with one key: one booking.
    let hold = first["hold_id"].as_str().unwrap();
    let c1 = app
        .request(
            Method::POST,
            "/v1/bookings",
            Some(&a),
            Some(json!({"hold_id": hold})),
            Some("k-2"),
        )
        .await;
    let c2 = app
        .request(
            Method::POST,
            "/v1/bookings",
            Some(&a),
            Some(json!({"hold_id": hold})),
            Some("k-2"),
        )
        .await;
    assert_eq!(c1.status(), StatusCode::CREATED);
    assert_eq!(c2.status(), StatusCode::CREATED);
    let (c1, c2): (Value, Value) = (c1.json().await.unwrap(), c2.json().await.unwrap());
    assert_eq!(c1["id"], c2["id"]);
    assert_eq!(app.slot(slots[0]).await["booked"], 1);

    let r = app
        .request(
            Method::POST,
            "/v1/holds",
            Some(&a),
            Some(json!({"slot_id": slots[0]})),
            Some("has space"),
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_helper_books_for_a_citizen_and_it_is_recorded() {
    let app = spawn_app().await;
    let slots = app.setup_slots(1, 2).await;
    let citizen_cpr = cpr(7);
    // The citizen is not in the population register here: a power of attorney lets the
    // worker act (see attorney.rs for the municipality rule).
    let r = app
        .post(
            "/v1/me/powers-of-attorney",
            &app.citizen(&citizen_cpr).await,
            json!({"helper": "kommune-751-worker-12"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let helper = app
        .token_for(json!({"role": "helper", "cpr": citizen_cpr, "helper": "kommune-751-worker-12"}))
        .await;
    let booking = app.book(&helper, slots[0]).await;
    assert_eq!(booking["booked_by_helper"], true);
    let citizen = app.citizen(&citizen_cpr).await;
    let mine: Value = app
        .get("/v1/me/bookings", Some(&citizen))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine[0]["id"], booking["id"]);
    // The helper reads the citizen's bookings: also recorded.
    let _ = app.get("/v1/me/bookings", Some(&helper)).await;
    let pg = app.pg().await;
    let rows = pg
        .query(
            "SELECT actor_id, action FROM audit_log WHERE subject_cpr = $1 ORDER BY id",
            &[&citizen_cpr],
        )
        .await
        .unwrap();
    let actions: Vec<(String, String)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    // The citizen sees both lines; the helper may not read them.
    let seen: Value = app
        .get("/v1/me/audit", Some(&citizen))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(seen.as_array().unwrap().len(), 2);
    assert_eq!(seen[0]["actor_id"], "kommune-751-worker-12");
    assert_eq!(
        app.get("/v1/me/audit", Some(&helper)).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        actions,
        [
            (
                "kommune-751-worker-12".to_string(),
                "booking.create".to_string()
            ),
            (
                "kommune-751-worker-12".to_string(),
                "bookings.read".to_string()
            )
        ]
    );
}
