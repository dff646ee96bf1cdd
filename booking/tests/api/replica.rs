//! The read replica (`database.replica_url`): the authority's reports (uptake, how full
//! the slots ahead are, cohort counts) read from it, and everything that writes or must
//! see its own writes reads the primary.
//!
//! The routing test needs a real streaming replica (`infra/cluster/postgres up`, named
//! by `TEST_PG_REPLICA_URL`; `infra/test` runs it as a step of its own) and is skipped
//! without one. It pauses replay on the replica, so what the primary commits meanwhile
//! can only be seen by a read that goes to the primary.

use crate::helpers::{spawn_app_with, test_settings, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use service_kit::testing::{TestDatabase, TestReplica};

const HEADER: &str = "cpr,given_name,family_name,address,postcode,city,municipality_code,digital_post,nemsms,language,priority_groups";

async fn import(app: &TestApp, lines: &[&str]) {
    let r = app
        .http
        .post(format!("{}/v1/population", app.address))
        .bearer_auth(&app.authority)
        .header("content-type", "text/csv")
        .body(format!("{HEADER}\n{}\n", lines.join("\n")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
}

/// What the three reports say: bookings counted by the uptake report, full slots ahead,
/// and the count of citizens in Aarhus (a cohort preview).
#[derive(Debug, PartialEq, Eq)]
struct Reports {
    booked: i64,
    full: i64,
    in_aarhus: i64,
}

async fn ok_json(r: reqwest::Response) -> Value {
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn reports(app: &TestApp) -> Reports {
    let a = Some(app.authority.as_str());
    let uptake = ok_json(app.get("/v1/campaigns/pcr-test/uptake", a).await).await;
    let booked = uptake["by_age"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["booked"].as_i64().unwrap())
        .sum();
    let fullness = ok_json(app.get("/v1/slots/fullness", a).await).await;
    let preview = app
        .post(
            "/v1/cohorts/preview",
            &app.authority,
            json!({"municipalities": [751]}),
        )
        .await;
    Reports {
        booked,
        full: fullness["full"].as_i64().unwrap(),
        in_aarhus: ok_json(preview).await["count"].as_i64().unwrap(),
    }
}

async fn cohort_count(app: &TestApp, cohort: i64) -> i64 {
    let path = format!("/v1/cohorts/{cohort}/preview");
    ok_json(app.get(&path, Some(&app.authority)).await).await["count"]
        .as_i64()
        .unwrap()
}

async fn readiness(app: &TestApp) -> Value {
    ok_json(app.get("/readyz", None).await).await
}

#[tokio::test]
async fn reports_read_the_replica_and_bookings_read_their_own_writes() {
    let Some(replica) = TestReplica::acquire().await else {
        eprintln!("skipped: TEST_PG_REPLICA_URL is unset (infra/test starts infra/cluster/postgres and sets it)");
        return;
    };
    let db = TestDatabase::create().await.expect("test database");
    let mut settings = test_settings(&db);
    settings.database.replica_url = Some(replica.url_of(&db.name));
    let app = spawn_app_with(settings, db).await;
    let slots = app.setup_slots(2, 1).await;
    import(
        &app,
        &[
            "0101401111,A,B,Vej 1,8000,Aarhus,751,digital,false,da,",
            "0303903333,E,F,Vej 3,2100,København,101,digital,false,da,",
        ],
    )
    .await;
    let first = app.citizen("0101401111").await;
    app.book(&first, slots[0]).await;
    replica.caught_up().await.expect("replica catches up");
    let before = Reports {
        booked: 1,
        full: 1,
        in_aarhus: 1,
    };
    assert_eq!(reports(&app).await, before);
    assert_eq!(
        readiness(&app).await,
        json!({"status": "ready", "replica": "ok"})
    );

    let paused = replica.pause_replay().await.expect("replay paused");
    // Writes go to the primary and see themselves at once: a citizen imported now holds
    // and confirms the last place, finds the booking among theirs, and a retried
    // confirm is answered from the idempotency record.
    import(
        &app,
        &["0202402222,C,D,Vej 2,8000,Aarhus,751,digital,false,da,"],
    )
    .await;
    let second = app.citizen("0202402222").await;
    let r = app.hold(&second, slots[1]).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let hold: Value = r.json().await.unwrap();
    let confirm = json!({"hold_id": hold["hold_id"]});
    let r = app
        .request(
            Method::POST,
            "/v1/bookings",
            Some(&second),
            Some(confirm.clone()),
            Some("confirm-1"),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let booking: Value = r.json().await.unwrap();
    let again = app
        .request(
            Method::POST,
            "/v1/bookings",
            Some(&second),
            Some(confirm),
            Some("confirm-1"),
        )
        .await;
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(again.json::<Value>().await.unwrap()["id"], booking["id"]);
    let mine = ok_json(app.get("/v1/me/bookings", Some(&second)).await).await;
    assert_eq!(mine.as_array().unwrap().len(), 1);
    assert_eq!(mine[0]["id"], booking["id"]);
    assert_eq!(app.slot(slots[1]).await["booked"], 1);
    // The place is taken: a third citizen is turned away (Redis and the primary).
    let third = app.citizen("0303903333").await;
    assert_eq!(
        app.hold(&third, slots[1]).await.status(),
        StatusCode::CONFLICT
    );
    // A cohort saved now is found at once (the primary), its count from the replica.
    let r = app
        .post(
            "/v1/cohorts",
            &app.authority,
            json!({"name": "Aarhus", "criteria": {"municipalities": [751]}}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let cohort = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    assert_eq!(cohort_count(&app, cohort).await, 1);

    // The reports still show the figures from before: they read the paused replica,
    // while the primary has the new ones.
    assert_eq!(reports(&app).await, before);
    let on_primary: i64 = app
        .pg()
        .await
        .query_one("SELECT count(*) FROM bookings WHERE status = 'active'", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(on_primary, 2);

    paused.resume().await.expect("replay resumed");
    replica.caught_up().await.expect("replica catches up");
    assert_eq!(
        reports(&app).await,
        Reports {
            booked: 2,
            full: 2,
            in_aarhus: 2,
        }
    );
    assert_eq!(cohort_count(&app, cohort).await, 2);
}

/// Without a replica to talk to (a port nobody listens on), the reports answer 503 with
/// Retry-After, `/readyz` says so but stays ready, and booking goes on: no write and no
/// read of one's own writes touches the replica. Needs no replica, so it always runs.
#[tokio::test]
async fn a_replica_that_does_not_answer_fails_only_the_reports() {
    let db = TestDatabase::create().await.expect("test database");
    let mut settings = test_settings(&db);
    settings.database.replica_url = Some("postgres://postgres:postgres@127.0.0.1:1/none".into());
    let app = spawn_app_with(settings, db).await;
    let slots = app.setup_slots(1, 2).await;

    assert_eq!(
        readiness(&app).await,
        json!({"status": "ready", "replica": "unavailable"})
    );
    for path in ["/v1/campaigns/pcr-test/uptake", "/v1/slots/fullness"] {
        let r = app.get(path, Some(&app.authority)).await;
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE, "{path}");
        assert!(r.headers().contains_key("retry-after"), "{path}");
        assert_eq!(r.json::<Value>().await.unwrap()["code"], "unavailable");
    }
    let r = app
        .post(
            "/v1/cohorts/preview",
            &app.authority,
            json!({"municipalities": [751]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);

    let citizen = app.citizen("0101401111").await;
    let booking = app.book(&citizen, slots[0]).await;
    assert_eq!(booking["status"], "active");
    let mine = ok_json(app.get("/v1/me/bookings", Some(&citizen)).await).await;
    assert_eq!(mine.as_array().unwrap().len(), 1);
    let path = format!("/v1/bookings/{}", booking["id"].as_str().unwrap());
    let r = app
        .request(Method::DELETE, &path, Some(&citizen), None, None)
        .await;
    assert!(r.status().is_success(), "cancel: {}", r.status());
    assert_eq!(app.slot(slots[0]).await["booked"], 0);
}
