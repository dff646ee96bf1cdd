//! The waiting room against real Redis: thousands of arrivals, some walking away, are
//! admitted in the promised order (early arrivals shuffled, then later ones first come
//! first served), lapsed places never stall the queue, and tokens open the hold gate.

use booking::clock::Clock;
use booking::startup::Application;
use booking::waitroom::{Room, State, WaitingRoom};
use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{json, Value};
use service_kit::testing::TestDatabase;
use std::collections::{HashMap, HashSet};

use crate::helpers::{cpr, test_settings, TestApp};

const RATE: usize = 10;
const LAPSE_S: i64 = 180;

async fn room_app() -> (WaitingRoom, Clock) {
    let db = TestDatabase::create().await.expect("test database");
    let mut settings = test_settings(&db);
    settings.waiting_room.follow_capacity = false;
    // The test drives admissions itself; the background ticker stays out of the way.
    settings.waiting_room.tick_ms = 3_600_000;
    settings.waiting_room.lapse_seconds = LAPSE_S as u32;
    let clock = Clock::default();
    let app = Application::build_with_clock(settings, clock.clone())
        .await
        .expect("app builds");
    let room = app.waiting_room().clone();
    tokio::spawn(async move {
        let _db = db;
        app.run_until_stopped().await
    });
    (room, clock)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_arrivals_are_admitted_in_the_promised_order() {
    let (room, clock) = room_app().await;
    let opens = clock.now_ms() + 60_000;
    room.create(&Room {
        name: "wave-1".into(),
        opens_ms: opens,
        rate: RATE as f64,
        gate_holds: false,
        campaign: None,
    })
    .await
    .unwrap();

    // 1,000 arrive before the opening, 2,000 after; every fifth walks away at once.
    let mut early = Vec::new();
    for _ in 0..1000 {
        let s = room.join("wave-1").await.unwrap();
        assert_eq!(s.state, State::BeforeOpening);
        early.push(s.visitor);
    }
    clock.advance(Duration::seconds(61));
    let mut late = Vec::new();
    for _ in 0..2000 {
        let s = room.join("wave-1").await.unwrap();
        assert_eq!(s.state, State::Waiting);
        late.push(s.visitor);
    }
    let abandons = |i: usize| i % 5 == 4;
    let stays: HashSet<&String> = early
        .iter()
        .enumerate()
        .chain(late.iter().enumerate())
        .filter(|(i, _)| !abandons(*i))
        .map(|(_, v)| v)
        .collect();
    let mut last_seen: HashMap<String, i64> = early
        .iter()
        .chain(late.iter())
        .map(|v| (v.clone(), clock.now_ms()))
        .collect();

    // The latecomer at the end sees everyone ahead of them and a wait at the rate.
    let last = room.status("wave-1", late.last().unwrap()).await.unwrap();
    assert_eq!(last.ahead, 2999);
    assert_eq!(last.estimated_wait_seconds, Some(300));

    let mut admitted: Vec<(String, i64)> = Vec::new();
    let mut ticks = 0;
    let mut waiting: HashSet<String> = stays.iter().map(|v| (*v).clone()).collect();
    while !waiting.is_empty() {
        ticks += 1;
        assert!(
            ticks < 1000,
            "the queue stalled with {} waiting",
            waiting.len()
        );
        clock.advance(Duration::seconds(1));
        let now = clock.now_ms();
        for v in room.tick("wave-1").await.unwrap() {
            waiting.remove(&v);
            admitted.push((v, now));
        }
        // Those who stay refresh once a minute (the page does every few seconds).
        if ticks % 60 == 0 {
            for v in &waiting {
                let s = room.status("wave-1", v).await.unwrap();
                assert_eq!(s.state, State::Waiting, "{v}");
                last_seen.insert(v.clone(), clock.now_ms());
            }
        }
    }

    let order: Vec<&String> = admitted.iter().map(|(v, _)| v).collect();
    let unique: HashSet<&String> = order.iter().copied().collect();
    assert_eq!(unique.len(), order.len(), "nobody is admitted twice");
    assert!(
        stays.iter().all(|v| unique.contains(v)),
        "everyone who stayed got in"
    );

    // Every early arrival admitted before any later one.
    let early_set: HashSet<&String> = early.iter().collect();
    let first_late = order.iter().position(|v| !early_set.contains(v)).unwrap();
    assert!(order[first_late..].iter().all(|v| !early_set.contains(v)));
    // The early crowd in a shuffled order, not in the order they came.
    let early_index: HashMap<&String, usize> =
        early.iter().enumerate().map(|(i, v)| (v, i)).collect();
    let early_order: Vec<usize> = order[..first_late].iter().map(|v| early_index[v]).collect();
    let ascents = early_order.windows(2).filter(|w| w[0] < w[1]).count();
    assert!(
        (early_order.len() / 4..early_order.len() * 3 / 4).contains(&ascents),
        "{ascents} ascents of {}: not a shuffle",
        early_order.len()
    );
    // Later arrivals first come, first served.
    let late_index: HashMap<&String, usize> =
        late.iter().enumerate().map(|(i, v)| (v, i)).collect();
    let late_order: Vec<usize> = order[first_late..].iter().map(|v| late_index[v]).collect();
    assert!(
        late_order.windows(2).all(|w| w[0] < w[1]),
        "late arrivals out of order"
    );

    // Nobody got in on a place that had lapsed, and lapsed places were skipped.
    for (v, at) in &admitted {
        assert!(
            at - last_seen[v] <= LAPSE_S * 1000,
            "{v} admitted after its place lapsed"
        );
    }
    let skipped = late
        .iter()
        .enumerate()
        .filter(|(i, v)| abandons(*i) && !unique.contains(v))
        .count();
    assert!(skipped > 100, "only {skipped} walked-away places lapsed");
    // No stall: the admissions took about as long as the rate allows for who got in.
    let needed = admitted.len().div_ceil(RATE);
    assert!(
        ticks <= needed + 3,
        "{ticks} ticks for {} admissions",
        admitted.len()
    );

    // A walked-away visitor who comes back finds the place lapsed.
    let (i, gone) = late
        .iter()
        .enumerate()
        .find(|(i, v)| abandons(*i) && !unique.contains(v))
        .unwrap();
    assert!(abandons(i));
    assert_eq!(
        room.status("wave-1", gone).await.unwrap().state,
        State::Lapsed
    );
}

/// A `TestApp` whose waiting room the test can also drive directly.
async fn gated_app() -> (TestApp, WaitingRoom) {
    let db = TestDatabase::create().await.expect("test database");
    let mut settings = test_settings(&db);
    settings.waiting_room.follow_capacity = false;
    settings.waiting_room.tick_ms = 3_600_000;
    settings.waiting_room.admission_seconds = 600;
    let clock = Clock::default();
    let app = Application::build_with_clock(settings.clone(), clock.clone())
        .await
        .expect("app builds");
    let room = app.waiting_room().clone();
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let mut t = TestApp {
        address,
        http: reqwest::Client::new(),
        clock,
        db,
        settings,
        authority: String::new(),
    };
    t.authority = t
        .token_for(json!({"role": "authority", "subject": "authority-1"}))
        .await;
    (t, room)
}

#[tokio::test]
async fn the_gate_lets_holds_through_only_with_an_admission_token() {
    let (app, room) = gated_app().await;
    let slots = app.setup_slots(2, 5).await;
    let me = app.citizen(&cpr(3)).await;

    let opens = app.clock.now() - Duration::seconds(1);
    let r = app
        .post(
            "/v1/waiting-rooms",
            &app.authority,
            json!({"name": "dose-1", "opens_at": opens, "admissions_per_second": 100, "gate_holds": true}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);

    let r = app.hold(&me, slots[0]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "admission_required");
    assert_eq!(body["waiting_room"], "dose-1", "{body}");

    // The page joins, redirects to itself with the visitor id, shows the place and
    // refreshes itself.
    let no_redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = no_redirect
        .get(format!("{}/waiting-room/dose-1", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    let visitor = location.split("visitor=").nth(1).unwrap().to_owned();
    let page = app.get(&location, None).await.text().await.unwrap();
    assert!(
        page.contains("Der er <span id=\"ahead\">0</span> foran dig"),
        "{page}"
    );
    // Kept up to date by its script (which asks the status below), or without
    // JavaScript by a refresh.
    assert!(page.contains("data-state=\"waiting\""), "{page}");
    assert!(
        page.contains(&format!(
            "data-status=\"/v1/waiting-rooms/dose-1/visitors/{visitor}\""
        )),
        "{page}"
    );
    assert!(
        page.contains("<noscript><meta http-equiv=\"refresh\""),
        "{page}"
    );

    // Admitted at the next tick: the status carries a token that opens the gate.
    app.clock.advance(Duration::seconds(1));
    assert_eq!(room.tick("dose-1").await.unwrap(), vec![visitor.clone()]);
    let status: Value = app
        .get(
            &format!("/v1/waiting-rooms/dose-1/visitors/{visitor}"),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(status["state"], "admitted", "{status}");
    let token = status["admission_token"].as_str().unwrap().to_owned();

    let hold = |token: Option<String>| {
        let mut r = app
            .http
            .post(format!("{}/v1/holds", app.address))
            .bearer_auth(&me)
            .json(&json!({"slot_id": slots[0]}));
        if let Some(t) = token {
            r = r.header("Admission-Token", t);
        }
        r.send()
    };
    assert_eq!(
        hold(Some(token.clone())).await.unwrap().status(),
        StatusCode::CREATED
    );
    let forged = token.replace(".dose-1.", ".dose-2.");
    assert_eq!(
        hold(Some(forged)).await.unwrap().status(),
        StatusCode::FORBIDDEN
    );

    // Short-lived: past its time the token no longer opens the gate.
    app.clock.advance(Duration::seconds(601));
    assert_eq!(
        hold(Some(token)).await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn the_rooms_are_listed_for_everyone_and_a_room_gates_holds_only_once_open() {
    let (app, _room) = gated_app().await;
    let slots = app.setup_slots(2, 5).await;
    let me = app.citizen(&cpr(4)).await;
    let listed = || async {
        let r = app.get("/v1/waiting-rooms", None).await;
        assert_eq!(r.status(), StatusCode::OK);
        r.json::<Value>().await.unwrap()
    };
    assert_eq!(listed().await, json!([]));

    let opens = app.clock.now() + Duration::minutes(30);
    let r = app
        .post(
            "/v1/waiting-rooms",
            &app.authority,
            json!({"name": "dose-2", "opens_at": opens, "admissions_per_second": 10, "gate_holds": true}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    // A second room, opening sooner and gating nothing: listed first.
    let sooner = app.clock.now() + Duration::minutes(10);
    let r = app
        .post(
            "/v1/waiting-rooms",
            &app.authority,
            json!({"name": "boosters", "opens_at": sooner, "admissions_per_second": 10}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let rooms = listed().await;
    assert_eq!(rooms.as_array().map(Vec::len), Some(2), "{rooms}");
    assert_eq!(rooms[0]["name"], "boosters", "{rooms}");
    assert_eq!(rooms[0]["gate_holds"], false, "{rooms}");
    assert_eq!(rooms[1]["name"], "dose-2", "{rooms}");
    assert_eq!(rooms[1]["open"], false, "{rooms}");
    assert_eq!(rooms[1]["gate_holds"], true, "{rooms}");
    // Before its opening the room gates nothing.
    assert_eq!(app.hold(&me, slots[0]).await.status(), StatusCode::CREATED);

    // From its opening on it does (the service's clock, no refresh needed).
    app.clock.advance(Duration::minutes(31));
    assert_eq!(listed().await[1]["open"], true);
    let r = app.hold(&me, slots[1]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["waiting_room"], "dose-2", "{body}");
}

#[tokio::test]
async fn a_room_for_one_campaign_gates_only_that_campaigns_holds() {
    let (app, room) = gated_app().await;
    let tests = app.setup_slots(1, 5).await;
    app.create_campaign("rapid-test", "open").await;
    let site = app.create_site(&["rapid-test"]).await;
    let rapid = app.create_slots(site, "rapid-test", 2, 5).await;
    let r = app
        .post(
            "/v1/waiting-rooms",
            &app.authority,
            json!({"name": "rapid-opening", "opens_at": app.clock.now(),
                "admissions_per_second": 100, "gate_holds": true, "campaign": "no-such"}),
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "an unknown campaign"
    );
    assert_eq!(
        app.get("/v1/waiting-rooms", None)
            .await
            .json::<Value>()
            .await
            .unwrap(),
        json!([]),
        "nothing made"
    );
    let r = app
        .post(
            "/v1/waiting-rooms",
            &app.authority,
            json!({"name": "rapid-opening", "opens_at": app.clock.now(),
                "admissions_per_second": 100, "gate_holds": true, "campaign": "rapid-test"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let made: Value = r.json().await.unwrap();
    assert_eq!(made["campaign"], "rapid-test", "{made}");

    // Another campaign's hold goes straight through; this one's (a slot this instance
    // has not seen yet: its campaign is looked up) needs the room.
    let me = app.citizen(&cpr(5)).await;
    assert_eq!(app.hold(&me, tests[0]).await.status(), StatusCode::CREATED);
    let r = app.hold(&me, rapid[0]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["waiting_room"], "rapid-opening", "{body}");

    // Through the room, with its token, the hold goes.
    let joined: Value = app
        .http
        .post(format!(
            "{}/v1/waiting-rooms/rapid-opening/visitors",
            app.address
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let visitor = joined["visitor"].as_str().unwrap().to_owned();
    app.clock.advance(Duration::seconds(1));
    assert_eq!(
        room.tick("rapid-opening").await.unwrap(),
        vec![visitor.clone()]
    );
    let status: Value = app
        .get(
            &format!("/v1/waiting-rooms/rapid-opening/visitors/{visitor}"),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    let token = status["admission_token"].as_str().unwrap();
    let r = app
        .http
        .post(format!("{}/v1/holds", app.address))
        .bearer_auth(&me)
        .header("Admission-Token", token)
        .json(&json!({"slot_id": rapid[1]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
}
