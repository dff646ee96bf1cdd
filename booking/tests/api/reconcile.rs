//! The periodic reconcile: it writes to Redis only the slots whose version moved, drops
//! the holds of bookings it has not looked at yet, and still repairs what a lost Redis
//! step left behind.

use booking::domain::{SiteId, SlotId};
use booking::hot::reconcile::Reconciler;
use booking::service::Service;
use booking::startup::Application;
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{cpr, spawn_app, TestApp};

async fn service_of(app: &TestApp) -> Service {
    Application::service_only(app.settings.clone())
        .await
        .expect("service")
}

/// The slot as Redis has it now, if Redis has it.
async fn lookup(svc: &Service, slot: i64) -> Option<booking::hot::SlotView> {
    let now = chrono::Utc::now().timestamp_millis();
    svc.hot.views(&[SlotId(slot)], now).await.unwrap()[0]
}

async fn view(svc: &Service, slot: i64) -> booking::hot::SlotView {
    lookup(svc, slot).await.expect("slot in redis")
}

#[tokio::test]
async fn a_periodic_run_writes_only_the_slots_that_changed() {
    let app = spawn_app().await;
    let slots = app.setup_slots(4, 2).await;
    let svc = service_of(&app).await;
    let mut r = Reconciler::new(1000);

    let first = r.run(&svc).await.unwrap();
    assert!(first.full, "the first run goes over everything");
    assert_eq!(first.slots, 4);
    let second = r.run(&svc).await.unwrap();
    assert!(!second.full);
    assert_eq!(
        second.slots, 0,
        "nothing changed (and no slot's share of the sweep)"
    );

    // A change committed whose Redis step was lost (the process died in between).
    let pg = app.pg().await;
    pg.execute(
        "UPDATE slots SET capacity = 7, version = version + 1 WHERE id = $1",
        &[&slots[1]],
    )
    .await
    .unwrap();
    assert_eq!(view(&svc, slots[1]).await.capacity, 2, "redis missed it");
    let third = r.run(&svc).await.unwrap();
    assert_eq!(third.slots, 1, "only the changed slot is written");
    assert_eq!(view(&svc, slots[1]).await.capacity, 7);
    assert_eq!(r.run(&svc).await.unwrap().slots, 0);

    // A booking made through the service moves its slot's version: written once.
    let token = app.citizen(&cpr(1)).await;
    app.book(&token, slots[2]).await;
    assert_eq!(r.run(&svc).await.unwrap().slots, 1);
    assert_eq!(r.run(&svc).await.unwrap().slots, 0);
}

#[tokio::test]
async fn over_the_sweep_every_slot_is_rewritten_once() {
    let app = spawn_app().await;
    let slots = app.setup_slots(3, 1).await;
    let svc = service_of(&app).await;
    let mut r = Reconciler::new(3);
    assert_eq!(r.run(&svc).await.unwrap().slots, 3);
    // Keys a failed-over Redis node lost, on no version's account.
    let mut conn = app.redis().await;
    let _: () = redis::cmd("DEL")
        .arg(svc.hot.keys().slot(SlotId(slots[0])))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(lookup(&svc, slots[0]).await.is_none());
    let mut written = Vec::new();
    for _ in 0..3 {
        let run = r.run(&svc).await.unwrap();
        assert!(!run.full);
        written.push(run.slots);
    }
    assert_eq!(
        written,
        vec![1, 1, 1],
        "one share of three consecutive ids each run"
    );
    assert_eq!(
        view(&svc, slots[0]).await.capacity,
        1,
        "the lost slot is back"
    );
}

/// A confirmed hold that Redis still counts (the process died between the commit and its
/// Redis step) is dropped by the next run, and the run after looks only at newer bookings.
#[tokio::test]
async fn a_stale_hold_is_dropped_once_and_later_runs_look_only_at_newer_bookings() {
    let app = spawn_app().await;
    let slots = app.setup_slots(1, 3).await;
    let svc = service_of(&app).await;
    let mut r = Reconciler::new(1000);
    r.run(&svc).await.unwrap();

    let me = cpr(2);
    let token = app.citizen(&me).await;
    let hold = app.hold(&token, slots[0]).await;
    assert_eq!(hold.status(), StatusCode::CREATED);
    let hold: Value = hold.json().await.unwrap();
    let hold_id = hold["hold_id"].as_str().unwrap();
    // The booking as a confirm commits it, without the Redis step after the commit.
    let pg = app.pg().await;
    pg.execute(
        "WITH s AS (UPDATE slots SET booked = booked + 1, version = version + 1
                     WHERE id = $1 RETURNING id, campaign_id)
         INSERT INTO bookings (id, slot_id, campaign_id, cpr, hold_id, status)
         SELECT gen_random_uuid(), id, campaign_id, $2, $3, 'active' FROM s",
        &[&slots[0], &me, &hold_id],
    )
    .await
    .unwrap();
    assert_eq!(
        view(&svc, slots[0]).await.held,
        1,
        "redis still counts the hold"
    );

    let run = r.run(&svc).await.unwrap();
    assert_eq!(run.stale_holds, 1);
    assert_eq!(run.slots, 1);
    let v = view(&svc, slots[0]).await;
    assert_eq!((v.booked, v.held), (1, 0), "booked once, held by nobody");

    // Runs a minute apart: the booking is looked at again within the commit margin, then
    // no more.
    svc.clock.advance(chrono::Duration::minutes(2));
    assert_eq!(r.run(&svc).await.unwrap().stale_holds, 1);
    svc.clock.advance(chrono::Duration::minutes(2));
    assert_eq!(r.run(&svc).await.unwrap().stale_holds, 0);
    // A full rebuild looks at a hold's whole lifetime again.
    assert_eq!(
        booking::hot::reconcile::reconcile(&svc)
            .await
            .unwrap()
            .stale_holds,
        1
    );
}

/// A cluster that lost one master together with its replica lost that master's share of
/// the keys only. Markers are spread over the hash slots, so the one gone is enough for
/// the mirror watcher to rebuild what went with it.
#[tokio::test]
async fn a_master_that_lost_its_keys_is_noticed_though_the_others_kept_theirs() {
    let app = spawn_app().await;
    let slots = app.setup_slots(1, 1).await;
    let svc = service_of(&app).await;
    let conn = svc.hot.conn();
    let tags = conn.marker_tags().await.unwrap();
    if conn.is_cluster() {
        assert!(tags.len() > 3, "markers spread over the masters: {tags:?}");
    }
    let markers: Vec<String> = tags.iter().map(|t| svc.hot.keys().epoch(t)).collect();
    let present = || async {
        let keys = app.redis_keys().await;
        markers.iter().filter(|m| keys.contains(m)).count()
    };
    for _ in 0..100 {
        if present().await == markers.len() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        present().await,
        markers.len(),
        "every master marked at start-up"
    );

    // The last master's marker is lost, and the site-day index with it.
    let site = SiteId(app.slot(slots[0]).await["site_id"].as_i64().unwrap());
    let day = crate::helpers::tomorrow();
    let mut raw = app.redis().await;
    let deleted: i64 = redis::cmd("DEL")
        .arg(markers.last().unwrap())
        .arg(svc.hot.keys().site_day(site, day))
        .query_async(&mut raw)
        .await
        .unwrap();
    assert_eq!(deleted, 2, "both keys were there");

    // The index comes back before the markers do: wait for both.
    let mut listed = Vec::new();
    for _ in 0..100 {
        listed = svc.hot.day_slots(site, day).await.unwrap();
        if !listed.is_empty() && present().await == markers.len() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(listed, [SlotId(slots[0])], "the day index is rebuilt");
    assert_eq!(present().await, markers.len(), "and the marker set again");
}
