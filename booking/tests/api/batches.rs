//! Confirmations that share one transaction (group commit) keep every rule of a single
//! confirmation, whatever else is in the batch. One transaction at a time, so requests
//! sent together queue up and are confirmed together.

use crate::helpers::{cpr, spawn_app_with, test_settings, TestApp};
use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::Value;
use service_kit::testing::TestDatabase;

async fn batching_app() -> TestApp {
    let db = TestDatabase::create().await.expect("test database");
    let mut settings = test_settings(&db);
    settings.booking.confirm_transactions = 1;
    settings.booking.confirm_batch = 64;
    spawn_app_with(settings, db).await
}

async fn hold_id(app: &TestApp, token: &str, slot: i64) -> String {
    let r = app.hold(token, slot).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: Value = r.json().await.unwrap();
    v["hold_id"].as_str().unwrap().to_owned()
}

async fn code(r: reqwest::Response) -> (StatusCode, String) {
    let status = r.status();
    let v: Value = r.json().await.unwrap_or_default();
    (status, v["code"].as_str().unwrap_or("").to_owned())
}

/// Forgets every citizen's one-hold-per-campaign pointer in Redis, so a citizen can
/// hold a second place in a campaign (as after a Redis failover that lost the pointer).
async fn forget_hold_pointers(app: &TestApp) {
    let pointers: Vec<String> = app
        .redis_keys()
        .await
        .into_iter()
        .filter(|k| k.contains("{cit:") && k.contains("}:hold:"))
        .collect();
    assert!(!pointers.is_empty());
    let mut conn = app.redis().await;
    for key in pointers {
        let _: () = redis::cmd("DEL")
            .arg(&key)
            .query_async(&mut conn)
            .await
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_batch_takes_no_more_places_than_the_database_has() {
    let app = batching_app().await;
    let slots = app.setup_slots(1, 6).await;
    let mut tokens = Vec::new();
    let mut holds = Vec::new();
    for n in 0..6 {
        let t = app.citizen(&cpr(n)).await;
        holds.push(hold_id(&app, &t, slots[0]).await);
        tokens.push(t);
    }
    // Redis granted six holds; the database now has two places (an authority lowered
    // the capacity behind Redis's back): exactly two confirmations go through.
    app.pg()
        .await
        .execute("UPDATE slots SET capacity = 2 WHERE id = $1", &[&slots[0]])
        .await
        .unwrap();
    let answers = join_all(tokens.iter().zip(&holds).map(|(t, h)| app.confirm(t, h))).await;
    let mut codes = Vec::new();
    for a in answers {
        codes.push(code(a).await);
    }
    let created = codes.iter().filter(|c| c.0 == StatusCode::CREATED).count();
    let full = codes.iter().filter(|c| c.1 == "slot_full").count();
    assert_eq!((created, full), (2, 4), "{codes:?}");
    assert_eq!(app.slot(slots[0]).await["booked"], 2);
    app.assert_invariant().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_batch_books_a_citizen_once_and_a_hold_once() {
    let app = batching_app().await;
    let slots = app.setup_slots(2, 5).await;
    // One citizen with two live holds in one campaign (the pointer that would have
    // given the first back is gone), confirming both at once.
    let twice = app.citizen(&cpr(1)).await;
    let first = hold_id(&app, &twice, slots[0]).await;
    forget_hold_pointers(&app).await;
    let second = hold_id(&app, &twice, slots[1]).await;
    // Another citizen confirming one hold twice at once (no Idempotency-Key).
    let other = app.citizen(&cpr(2)).await;
    let theirs = hold_id(&app, &other, slots[0]).await;
    // And bystanders confirming in the same batch.
    let mut bystanders = Vec::new();
    for n in 10..13 {
        let t = app.citizen(&cpr(n)).await;
        let h = hold_id(&app, &t, slots[1]).await;
        bystanders.push((t, h));
    }

    let mut requests = vec![
        (twice.clone(), first),
        (twice.clone(), second),
        (other.clone(), theirs.clone()),
        (other.clone(), theirs),
    ];
    requests.extend(bystanders);
    let answers = join_all(requests.iter().map(|(t, h)| app.confirm(t, h))).await;
    let mut codes = Vec::new();
    for a in answers {
        codes.push(code(a).await);
    }
    let ok = |c: &(StatusCode, String)| c.0 == StatusCode::CREATED;
    // The citizen with two holds: one booking, and "already booked" for the other.
    assert_eq!(codes[..2].iter().filter(|c| ok(c)).count(), 1, "{codes:?}");
    assert!(
        codes[..2].iter().any(|c| c.1 == "already_booked"),
        "{codes:?}"
    );
    // The hold confirmed twice: one booking; the other is told it was confirmed (or,
    // if it came after the first had cleared the hold, that the hold is gone).
    assert_eq!(codes[2..4].iter().filter(|c| ok(c)).count(), 1, "{codes:?}");
    assert!(
        codes[2..4]
            .iter()
            .any(|c| c.1 == "hold_already_confirmed" || c.1 == "hold_expired"),
        "{codes:?}"
    );
    // Their neighbours in the batch are booked.
    assert!(codes[4..].iter().all(ok), "{codes:?}");

    let mine: Value = app
        .get("/v1/me/bookings", Some(&twice))
        .await
        .json()
        .await
        .unwrap();
    let active = mine
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["status"] == "active")
        .count();
    assert_eq!(active, 1);
    let mut booked = 0;
    for s in &slots {
        booked += app.slot(*s).await["booked"].as_i64().unwrap();
    }
    assert_eq!(booked, 5, "one each for the two citizens, three bystanders");
    app.assert_invariant().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn after_a_batch_redis_counts_its_bookings_and_holds_none_of_its_holds() {
    let app = batching_app().await;
    let slots = app.setup_slots(2, 5).await;
    let mut requests = Vec::new();
    for n in 0..6 {
        let t = app.citizen(&cpr(n)).await;
        let h = hold_id(&app, &t, slots[n as usize % 2]).await;
        requests.push((t, h));
    }
    let answers = join_all(requests.iter().map(|(t, h)| app.confirm(t, h))).await;
    for a in answers {
        assert_eq!(a.status(), StatusCode::CREATED);
    }
    let keys = app.redis_keys().await;
    let pointers: Vec<&String> = keys.iter().filter(|k| k.contains("}:hold:")).collect();
    assert!(pointers.is_empty(), "hold pointers left: {pointers:?}");
    let mut conn = app.redis().await;
    for slot in &slots {
        let tag = format!("{{slot:{slot}}}");
        let hash = keys.iter().find(|k| k.ends_with(&tag)).expect("slot hash");
        let booked: i64 = redis::cmd("HGET")
            .arg(hash)
            .arg("booked")
            .query_async(&mut conn)
            .await
            .unwrap();
        assert_eq!(booked, 3, "slot {slot}");
        let live: i64 = redis::cmd("ZCARD")
            .arg(format!("{hash}:holds"))
            .query_async(&mut conn)
            .await
            .unwrap();
        assert_eq!(live, 0, "slot {slot}");
    }
    app.assert_invariant().await;
}
