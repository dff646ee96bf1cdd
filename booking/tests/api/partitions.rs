//! The partitioned tables (migration V8): rows land in the partition their key names,
//! the unique rules hold across partitions, and making a partition never stalls
//! bookings for long.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{cpr, spawn_app};

async fn partition_of(pg: &tokio_postgres::Client, sql: &str) -> Vec<String> {
    pg.query(sql, &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[tokio::test]
async fn each_campaign_books_into_its_own_partition() {
    let app = spawn_app().await;
    let a = app.create_campaign("pcr-a", "open").await;
    let b = app.create_campaign("pcr-b", "open").await;
    let site = app.create_site(&["pcr-a", "pcr-b"]).await;
    let slot_a = app.create_slots(site, "pcr-a", 1, 5).await[0];
    let slot_b = app.create_slots(site, "pcr-b", 1, 5).await[0];
    let token = app.citizen(&cpr(1)).await;
    app.book(&token, slot_a).await;
    app.book(&token, slot_b).await;

    let pg = app.pg().await;
    let places = partition_of(
        &pg,
        "SELECT tableoid::regclass::text FROM bookings ORDER BY campaign_id",
    )
    .await;
    assert_eq!(
        places,
        [
            format!("bookings_c{}", a["id"]),
            format!("bookings_c{}", b["id"])
        ]
    );
    // Still one active booking per campaign, whichever partition holds it.
    let r = app.hold(&token, slot_a).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let hold: serde_json::Value = r.json().await.unwrap();
    let again = app.confirm(&token, hold["hold_id"].as_str().unwrap()).await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    let body: serde_json::Value = again.json().await.unwrap();
    assert_eq!(body["code"], "already_booked");
    let letters = partition_of(
        &pg,
        "SELECT DISTINCT tableoid::regclass::text FROM outbox WHERE kind = 'booking_confirmed'",
    )
    .await;
    let month = chrono::Utc::now().format("outbox_y%Ym%m").to_string();
    assert_eq!(
        letters,
        [month],
        "letters of this month go to its partition"
    );
    app.assert_invariant().await;
}

#[tokio::test]
async fn a_hold_confirms_once_and_a_move_links_within_the_partition() {
    let app = spawn_app().await;
    let slots = app.setup_slots(2, 3).await;
    let token = app.citizen(&cpr(2)).await;
    let r = app.hold(&token, slots[0]).await;
    let hold: serde_json::Value = r.json().await.unwrap();
    let hold_id = hold["hold_id"].as_str().unwrap();
    let first = app.confirm(&token, hold_id).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: serde_json::Value = first.json().await.unwrap();
    // The hold's booking is found by hold id alone, without its campaign.
    let again = app.confirm(&token, hold_id).await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    let body: serde_json::Value = again.json().await.unwrap();
    assert_eq!(body["code"], "hold_already_confirmed");

    let id = first["id"].as_str().unwrap();
    let hold: serde_json::Value = app.hold(&token, slots[1]).await.json().await.unwrap();
    let r = app
        .post(
            &format!("/v1/bookings/{id}/move"),
            &token,
            json!({"hold_id": hold["hold_id"]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let moved: serde_json::Value = r.json().await.unwrap();
    let pg = app.pg().await;
    let link: Option<uuid::Uuid> = pg
        .query_one(
            "SELECT moved_to FROM bookings WHERE id = $1::text::uuid",
            &[&id],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(link.map(|u| u.to_string()).as_deref(), moved["id"].as_str());
    app.assert_invariant().await;
}

#[tokio::test]
async fn outbox_partitions_are_made_ahead_and_a_late_month_stays_in_the_default() {
    let app = spawn_app().await;
    let pg = app.pg().await;
    // A month far ahead: no partition yet, so its letters go to the default partition.
    let far = chrono::DateTime::parse_from_rfc3339("2031-05-10T12:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    pg.execute(
        "INSERT INTO outbox (id, kind, cpr, payload) VALUES (uuid_v7($1), 'x', $2, '{}')",
        &[&far, &cpr(3)],
    )
    .await
    .unwrap();
    let made: i32 = pg
        .query_one("SELECT ensure_outbox_partitions($1, 1)", &[&far])
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        made, 1,
        "June 2031 is made; May 2031's letter keeps it out of the default"
    );
    let places = partition_of(&pg, "SELECT tableoid::regclass::text FROM outbox").await;
    assert_eq!(places, ["outbox_default"]);
    let june = far + chrono::Duration::days(31);
    pg.execute(
        "INSERT INTO outbox (id, kind, cpr, payload) VALUES (uuid_v7($1), 'x', $2, '{}')",
        &[&june, &cpr(4)],
    )
    .await
    .unwrap();
    let places: Vec<String> = pg
        .query(
            "SELECT tableoid::regclass::text FROM outbox WHERE cpr = $1",
            &[&cpr(4)],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(places, ["outbox_y2031m06"]);
    // Running it again makes nothing new.
    let made: i32 = pg
        .query_one("SELECT ensure_outbox_partitions($1, 1)", &[&far])
        .await
        .unwrap()
        .get(0);
    assert_eq!(made, 0);
}

#[tokio::test]
async fn a_campaign_waiting_too_long_for_its_partition_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let slots = app.setup_slots(1, 3).await;
    let token = app.citizen(&cpr(5)).await;
    app.book(&token, slots[0]).await;
    // A writer that keeps a booking row's transaction open longer than the campaign's
    // lock timeout (2 s).
    let mut writer = app.pg().await;
    let tx = writer.transaction().await.unwrap();
    tx.execute(
        "UPDATE bookings SET updated_at = now() WHERE cpr = $1",
        &[&cpr(5)],
    )
    .await
    .unwrap();
    let r = app
        .post(
            "/v1/campaigns",
            &app.authority,
            json!({"code": "late", "name": "Late", "kind": "test", "access": "open"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(r.headers().contains_key("retry-after"));
    tx.rollback().await.unwrap();

    let pg = app.pg().await;
    let n: i64 = pg
        .query_one("SELECT count(*) FROM campaigns WHERE code = 'late'", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 0, "no campaign without its partitions");
    let partitions: Option<String> = pg
        .query_one("SELECT to_regclass('bookings_c2')::text", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(partitions, None);
    // Once the writer is gone the same request goes through.
    tokio::time::sleep(Duration::from_millis(50)).await;
    app.create_campaign("late", "open").await;
}
