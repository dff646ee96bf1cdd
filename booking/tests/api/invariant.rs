//! The booking invariant under races, Redis loss and random interleavings:
//! no slot over capacity, no citizen with two active bookings in a campaign, and no
//! confirmed booking lost.

use crate::helpers::{cpr, spawn_app, TestApp};
use futures::future::join_all;
use proptest::prelude::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::collections::HashMap;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_citizens_race_for_one_slot() {
    let app = spawn_app().await;
    let slots = app.setup_slots(1, 5).await;
    let mut tokens = Vec::new();
    for n in 0..80 {
        tokens.push(app.citizen(&cpr(n)).await);
    }
    let wins = join_all(tokens.iter().map(|t| app.hold_and_confirm(t, slots[0]))).await;
    assert_eq!(wins.iter().filter(|w| **w).count(), 5);
    assert_eq!(app.slot(slots[0]).await["booked"], 5);
    app.assert_invariant().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_citizen_racing_for_many_slots_gets_one_booking() {
    let app = spawn_app().await;
    let slots = app.setup_slots(6, 3).await;
    let me = app.citizen(&cpr(1)).await;
    // Concurrent holds on every slot, then concurrent confirms of every hold that was granted.
    let holds = join_all(slots.iter().map(|s| app.hold(&me, *s))).await;
    let mut ids = Vec::new();
    for r in holds {
        if r.status() == StatusCode::CREATED {
            let v: Value = r.json().await.unwrap();
            ids.push(v["hold_id"].as_str().unwrap().to_owned());
        }
    }
    let confirms = join_all(ids.iter().map(|h| app.confirm(&me, h))).await;
    let created = confirms
        .iter()
        .filter(|r| r.status() == StatusCode::CREATED)
        .count();
    assert!(created <= 1, "{created} bookings");
    let mine: Value = app
        .get("/v1/me/bookings", Some(&me))
        .await
        .json()
        .await
        .unwrap();
    assert!(
        mine.as_array()
            .unwrap()
            .iter()
            .filter(|b| b["status"] == "active")
            .count()
            <= 1
    );
    app.assert_invariant().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redis_flushed_mid_run_never_overbooks() {
    let app = spawn_app().await;
    let slots = app.setup_slots(1, 3).await;
    let mut tokens = Vec::new();
    for n in 0..6 {
        tokens.push(app.citizen(&cpr(n)).await);
    }
    // Three citizens hold every place.
    let mut holds = Vec::new();
    for t in &tokens[..3] {
        let v: Value = app.hold(t, slots[0]).await.json().await.unwrap();
        holds.push(v["hold_id"].as_str().unwrap().to_owned());
    }
    // Redis loses everything: the holds are gone, so three more citizens get holds too.
    app.flush_redis().await;
    for t in &tokens[3..] {
        let r = app.hold(t, slots[0]).await;
        assert_eq!(r.status(), StatusCode::CREATED, "rebuilt from PostgreSQL");
        let v: Value = r.json().await.unwrap();
        holds.push(v["hold_id"].as_str().unwrap().to_owned());
    }
    // Six holds on three places: the first three may no longer be in Redis, and the
    // database lets exactly three bookings through.
    let results = join_all(tokens.iter().zip(&holds).map(|(t, h)| app.confirm(t, h))).await;
    let created = results
        .iter()
        .filter(|r| r.status() == StatusCode::CREATED)
        .count();
    assert_eq!(created, 3);
    assert_eq!(app.slot(slots[0]).await["booked"], 3);
    app.assert_invariant().await;

    // The mirror comes back in full: the day list is served again.
    app.flush_redis().await;
    let day = crate::helpers::tomorrow();
    let site: i64 = app.slot(slots[0]).await["site_id"].as_i64().unwrap();
    let mut listed = 0;
    for _ in 0..100 {
        let v: Value = app
            .get(&format!("/v1/sites/{site}/slots?date={day}"), None)
            .await
            .json()
            .await
            .unwrap();
        listed = v["slots"].as_array().unwrap().len();
        if listed == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(listed, 1, "the mirror watcher rebuilt the day index");
}

#[derive(Debug, Clone)]
enum Op {
    Hold { citizen: usize, slot: usize },
    Confirm { citizen: usize },
    Cancel { citizen: usize },
    Move { citizen: usize, slot: usize },
    Expire,
    FlushRedis,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..5usize, 0..3usize).prop_map(|(citizen, slot)| Op::Hold { citizen, slot }),
        4 => (0..5usize).prop_map(|citizen| Op::Confirm { citizen }),
        2 => (0..5usize).prop_map(|citizen| Op::Cancel { citizen }),
        2 => (0..5usize, 0..3usize).prop_map(|(citizen, slot)| Op::Move { citizen, slot }),
        1 => Just(Op::Expire),
        1 => Just(Op::FlushRedis),
    ]
}

/// Runs a random sequence and compares the outcome with a model: each citizen has at
/// most one active booking, exactly the one the API last said it made.
async fn run_sequence(app: &TestApp, round: u32, ops: &[Op]) {
    let campaign = format!("prop-{round}");
    app.create_campaign(&campaign, "open").await;
    let site = app.create_site(&[&campaign]).await;
    let slots = app.create_slots(site, &campaign, 3, 2).await;
    let citizens: Vec<String> = (0..5).map(|i| cpr(round * 10 + i)).collect();
    let mut tokens = Vec::new();
    for c in &citizens {
        tokens.push(app.citizen(c).await);
    }
    let mut last_hold: HashMap<usize, String> = HashMap::new();
    let mut active: HashMap<usize, String> = HashMap::new();
    for op in ops {
        match *op {
            Op::Hold { citizen, slot } => {
                let r = app.hold(&tokens[citizen], slots[slot]).await;
                if r.status() == StatusCode::CREATED {
                    let v: Value = r.json().await.unwrap();
                    last_hold.insert(citizen, v["hold_id"].as_str().unwrap().to_owned());
                } else {
                    assert_eq!(r.status(), StatusCode::CONFLICT);
                }
            }
            Op::Confirm { citizen } => {
                let Some(h) = last_hold.get(&citizen) else {
                    continue;
                };
                let r = app.confirm(&tokens[citizen], h).await;
                match r.status() {
                    StatusCode::CREATED => {
                        let v: Value = r.json().await.unwrap();
                        assert!(!active.contains_key(&citizen), "second active booking");
                        active.insert(citizen, v["id"].as_str().unwrap().to_owned());
                    }
                    s => assert!(s.is_client_error(), "{s}"),
                }
            }
            Op::Cancel { citizen } => {
                let Some(id) = active.get(&citizen).cloned() else {
                    continue;
                };
                let r = app
                    .request(
                        Method::DELETE,
                        &format!("/v1/bookings/{id}"),
                        Some(&tokens[citizen]),
                        None,
                        None,
                    )
                    .await;
                assert_eq!(r.status(), StatusCode::OK);
                active.remove(&citizen);
            }
            Op::Move { citizen, slot } => {
                let Some(id) = active.get(&citizen).cloned() else {
                    continue;
                };
                let r = app.hold(&tokens[citizen], slots[slot]).await;
                if r.status() != StatusCode::CREATED {
                    continue;
                }
                let v: Value = r.json().await.unwrap();
                let r = app
                    .post(
                        &format!("/v1/bookings/{id}/move"),
                        &tokens[citizen],
                        json!({"hold_id": v["hold_id"]}),
                    )
                    .await;
                if r.status() == StatusCode::CREATED {
                    let v: Value = r.json().await.unwrap();
                    active.insert(citizen, v["id"].as_str().unwrap().to_owned());
                } else {
                    assert!(r.status().is_client_error(), "{}", r.status());
                }
            }
            Op::Expire => app.clock.advance(chrono::Duration::seconds(301)),
            Op::FlushRedis => app.flush_redis().await,
        }
    }
    app.assert_invariant().await;
    // Exactly the bookings the API confirmed are active: none lost, none invented.
    let pg = app.pg().await;
    for (i, c) in citizens.iter().enumerate() {
        let rows = pg
            .query(
                "SELECT b.id::text FROM bookings b JOIN campaigns c ON c.id = b.campaign_id
                 WHERE b.cpr = $1 AND c.code = $2 AND b.status = 'active'",
                &[c, &campaign],
            )
            .await
            .unwrap();
        let in_db: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
        let expected: Vec<String> = active.get(&i).cloned().into_iter().collect();
        assert_eq!(in_db, expected, "citizen {i}");
    }
}

#[test]
fn random_interleavings_keep_the_invariant() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let app = rt.block_on(spawn_app());
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 12,
        max_shrink_iters: 20,
        ..ProptestConfig::default()
    });
    let round = std::sync::atomic::AtomicU32::new(0);
    runner
        .run(&proptest::collection::vec(op(), 5..30), |ops| {
            let r = round.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            rt.block_on(run_sequence(&app, r, &ops));
            Ok(())
        })
        .unwrap();
}
