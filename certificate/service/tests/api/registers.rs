use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

#[tokio::test]
async fn a_resubmitted_record_changes_nothing_and_answers_as_before() {
    let app = spawn_app().await;
    let record = negative_pcr("lab-1", CPR);
    let first = app
        .post("/v1/register/tests", &app.site, record.clone())
        .await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    assert_eq!(first["record_id"], "lab-1");
    assert_eq!(first["status"], "active");

    let again = app.post("/v1/register/tests", &app.site, record).await;
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(again.headers().get("Idempotent-Replayed").unwrap(), "true");
    let again: Value = again.json().await.unwrap();
    assert_eq!(again, first);
    assert_eq!(app.count("SELECT count(*) FROM register_tests").await, 1);
}

#[tokio::test]
async fn bad_records_are_refused_with_the_field_named_and_change_nothing() {
    let app = spawn_app().await;
    let cases: Vec<(Value, &str)> = vec![
        (
            pcr("a", CPR, "260415000", "2999-01-01T00:00:00Z"),
            "sample_time",
        ),
        (pcr("b", CPR, "123456", &hours_ago(1)), "result"),
        (pcr("c", "3213701234", "260415000", &hours_ago(1)), "cpr"),
        (
            json!({"record_id": "d", "cpr": CPR, "test_type": "LP217198-3", "result": "260415000",
                   "sample_time": hours_ago(1), "test_centre": "X"}),
            "manufacturer",
        ),
    ];
    for (body, field) in cases {
        let r = app.post("/v1/register/tests", &app.site, body).await;
        let p = expect_problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(p["code"], "invalid_record");
        let fields: Vec<&str> = p["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert!(fields.contains(&field), "{field} not named in {p}");
        assert!(!p.to_string().contains("3213701234"), "the CPR was echoed");
    }
    let mut future = vaccination("v", CPR, 1);
    future["date"] = json!("2999-01-01");
    let r = app
        .post("/v1/register/vaccinations", &app.site, future)
        .await;
    expect_problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
    let mut unknown = vaccination("w", CPR, 1);
    unknown["product"] = json!("EU/1/99/0000");
    let r = app
        .post("/v1/register/vaccinations", &app.site, unknown)
        .await;
    let p = expect_problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(p["errors"][0]["field"], "product");

    assert_eq!(app.count("SELECT count(*) FROM register_tests").await, 0);
    assert_eq!(
        app.count("SELECT count(*) FROM register_vaccinations")
            .await,
        0
    );
}

#[tokio::test]
async fn a_record_id_stays_with_its_sender_and_its_person() {
    let app = spawn_app().await;
    let r = app
        .post("/v1/register/tests", &app.site, negative_pcr("lab-7", CPR))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);

    // Another site cannot withdraw it.
    let r = app
        .delete("/v1/register/tests/lab-7", &app.other_site)
        .await;
    expect_problem(r, StatusCode::NOT_FOUND).await;
    // The same sender cannot move the record to another person.
    let r = app
        .post(
            "/v1/register/tests",
            &app.site,
            negative_pcr("lab-7", OTHER_CPR),
        )
        .await;
    let p = expect_problem(r, StatusCode::CONFLICT).await;
    assert_eq!(p["code"], "record_id_conflict");
    assert_eq!(
        app.count("SELECT count(*) FROM register_tests WHERE status = 'active'")
            .await,
        1
    );
    // A citizen is not a site.
    let citizen = app.citizen(CPR).await;
    let r = app
        .post("/v1/register/tests", &citizen, negative_pcr("x", CPR))
        .await;
    expect_problem(r, StatusCode::FORBIDDEN).await;
}

#[tokio::test]
async fn a_record_with_a_booking_id_marks_the_booking_done() {
    let app = spawn_app().await;
    let booking = app.add_booking(CPR).await;
    let mut record = negative_pcr("lab-9", CPR);
    record["booking_id"] = json!(booking);
    let r = app.post("/v1/register/tests", &app.site, record).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(app.booking_status(booking).await, "done");
    assert_eq!(
        app.count("SELECT booked::bigint FROM slots").await,
        0,
        "the slot still counts the booking as active"
    );

    // Someone else's booking, or none at all: refused, nothing stored.
    let other = app.add_booking(OTHER_CPR).await;
    for id in [other, uuid::Uuid::new_v4()] {
        let mut record = negative_pcr("lab-10", CPR);
        record["booking_id"] = json!(id);
        let r = app.post("/v1/register/tests", &app.site, record).await;
        let p = expect_problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(p["code"], "unknown_booking");
    }
    assert_eq!(app.booking_status(other).await, "active");
    assert_eq!(app.count("SELECT count(*) FROM register_tests").await, 1);
}

#[tokio::test]
async fn a_withdrawn_record_id_cannot_be_reused() {
    let app = spawn_app().await;
    app.post(
        "/v1/register/vaccinations",
        &app.site,
        vaccination("v-1", CPR, 1),
    )
    .await;
    let r = app.delete("/v1/register/vaccinations/v-1", &app.site).await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["status"], "entered_in_error");
    let r = app
        .post(
            "/v1/register/vaccinations",
            &app.site,
            vaccination("v-1", CPR, 1),
        )
        .await;
    let p = expect_problem(r, StatusCode::CONFLICT).await;
    assert_eq!(p["code"], "record_withdrawn");
}

#[tokio::test]
async fn a_malformed_body_is_refused_without_echoing_its_values() {
    let app = spawn_app().await;
    let mut body = negative_pcr("lab-1", CPR);
    body["cpr"] = json!(101_701_234_u64);
    let r = app.post("/v1/register/tests", &app.site, body).await;
    let p = expect_problem(r, StatusCode::BAD_REQUEST).await;
    assert!(!p.to_string().contains("101701234"), "{p}");
    let r = app
        .post("/v1/register/tests", &app.site, json!({"record_id": "x"}))
        .await;
    let p = expect_problem(r, StatusCode::BAD_REQUEST).await;
    assert!(p["detail"].as_str().unwrap().contains("missing field"));
    assert_eq!(app.count("SELECT count(*) FROM register_tests").await, 0);
}

#[tokio::test]
async fn record_ids_may_hold_slashes() {
    let app = spawn_app().await;
    let r = app
        .post(
            "/v1/register/tests",
            &app.site,
            negative_pcr("2021/06/lab-1", CPR),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = app
        .delete("/v1/register/tests/2021/06/lab-1", &app.site)
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        app.count("SELECT count(*) FROM register_tests WHERE status = 'entered_in_error'")
            .await,
        1
    );
}

#[tokio::test]
async fn concurrent_submissions_of_one_record_store_it_once() {
    let app = spawn_app().await;
    let record = negative_pcr("lab-race", CPR);
    let answers = futures::future::join_all(
        (0..8).map(|_| app.post("/v1/register/tests", &app.site, record.clone())),
    )
    .await;
    for r in answers {
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    assert_eq!(app.count("SELECT count(*) FROM register_tests").await, 1);
}
