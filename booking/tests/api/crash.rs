//! The service process killed between its PostgreSQL commit and its Redis step, then
//! restarted: the booking is kept, nothing is overbooked, and Redis is repaired.

use crate::helpers::{cpr, tomorrow};
use crate::process::{self, token, BookingProcess};
use reqwest::StatusCode;
use serde_json::{json, Value};
use service_kit::testing::{unique_redis_prefix, TestDatabase};

async fn start(
    db: &TestDatabase,
    prefix: &str,
    key_path: &std::path::Path,
    abort_after_commit: bool,
) -> BookingProcess {
    let abort = abort_after_commit.to_string();
    process::start(
        db,
        prefix,
        key_path,
        &[("APP__FAULTS__ABORT_AFTER_COMMIT", abort.as_str())],
    )
    .await
}

#[tokio::test]
async fn killed_between_commit_and_redis_then_restarted() {
    let db = TestDatabase::create().await.unwrap();
    let prefix = unique_redis_prefix();
    let key_dir =
        std::env::temp_dir().join(format!("booking-crash-{}", prefix.trim_end_matches(':')));
    std::fs::create_dir_all(&key_dir).unwrap();
    let key_path = key_dir.join("dev-idp.pem");
    let http = reqwest::Client::new();

    let mut first = start(&db, &prefix, &key_path, true).await;
    let base = first.base.clone();
    let authority = token(&http, &base, json!({"role": "authority", "subject": "a1"})).await;
    let post = |path: &str, tok: &str, body: Value| {
        http.post(format!("{base}{path}"))
            .bearer_auth(tok.to_owned())
            .json(&body)
            .send()
    };
    assert_eq!(
        post(
            "/v1/campaigns",
            &authority,
            json!({"code": "pcr-test", "name": "PCR", "kind": "test", "access": "open"})
        )
        .await
        .unwrap()
        .status(),
        StatusCode::CREATED
    );
    let site: Value = post(
        "/v1/sites",
        &authority,
        json!({"name": "Hal", "address": "Vej 1", "postcode": "8000", "municipality_code": 751,
               "location": {"lat": 56.1, "lon": 10.2}, "campaigns": ["pcr-test"]}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let site = site["id"].as_i64().unwrap();
    let day = tomorrow();
    post(
        &format!("/v1/sites/{site}/slots"),
        &authority,
        json!({"campaign": "pcr-test", "from": day, "to": day, "opens": "08:00", "closes": "08:15",
               "interval_minutes": 15, "capacity": 1}),
    )
    .await
    .unwrap();
    let day_view: Value = http
        .get(format!("{base}/v1/sites/{site}/slots?date={day}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let slot = day_view["slots"][0]["id"].as_i64().unwrap();

    let me = cpr(1);
    let citizen = token(&http, &base, json!({"role": "citizen", "cpr": me})).await;
    let hold: Value = post("/v1/holds", &citizen, json!({"slot_id": slot}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let hold_id = hold["hold_id"].as_str().unwrap().to_owned();
    // The process dies right after the commit: the client sees no answer.
    let r = post("/v1/bookings", &citizen, json!({"hold_id": hold_id})).await;
    assert!(r.is_err(), "the process aborted before answering");
    let status = first.child.wait().unwrap();
    assert!(!status.success(), "aborted");

    // The booking is in PostgreSQL.
    let (pg, conn) = tokio_postgres::connect(&db.url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    let n: i64 = pg
        .query_one(
            "SELECT count(*) FROM bookings WHERE cpr = $1 AND status = 'active'",
            &[&me],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 1);

    // Restart without the fault: start-up reconciles Redis with PostgreSQL.
    let second = start(&db, &prefix, &key_path, false).await;
    let base = second.base.clone();
    let authority = token(&http, &base, json!({"role": "authority", "subject": "a1"})).await;
    let detail: Value = http
        .get(format!("{base}/v1/slots/{slot}"))
        .bearer_auth(&authority)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(detail["booked"], 1);
    assert_eq!(detail["held"], 0, "the confirmed hold no longer counts");

    // The client's retry learns the hold was confirmed; nobody else gets the place.
    let citizen = token(&http, &base, json!({"role": "citizen", "cpr": me})).await;
    let r = http
        .post(format!("{base}/v1/bookings"))
        .bearer_auth(&citizen)
        .json(&json!({"hold_id": hold_id}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["code"], "hold_already_confirmed");
    let mine: Value = http
        .get(format!("{base}/v1/me/bookings"))
        .bearer_auth(&citizen)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(mine.as_array().unwrap().len(), 1);
    assert_eq!(mine[0]["status"], "active");
    let other = token(&http, &base, json!({"role": "citizen", "cpr": cpr(2)})).await;
    let r = http
        .post(format!("{base}/v1/holds"))
        .bearer_auth(&other)
        .json(&json!({"slot_id": slot}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let booked: i32 = pg
        .query_one("SELECT booked FROM slots WHERE id = $1", &[&slot])
        .await
        .unwrap()
        .get(0);
    assert_eq!(booked, 1);
    drop(second);
    let _ = std::fs::remove_dir_all(&key_dir);
}
