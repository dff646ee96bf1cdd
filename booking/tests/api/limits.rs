//! Overload shedding and rate limits, against the real service, PostgreSQL and Redis.

use booking::middleware::admission::Work;
use booking::middleware::Admission;
use booking::settings::{LimitSettings, Settings};
use booking::startup::Application;
use reqwest::StatusCode;
use serde_json::Value;
use service_kit::testing::TestDatabase;

use crate::helpers::{cpr, spawn_app_with, test_settings, TestApp};

async fn app_with_limits(limits: LimitSettings) -> TestApp {
    let db = TestDatabase::create().await.expect("test database");
    let mut settings = test_settings(&db);
    settings.limits = limits;
    spawn_app_with(settings, db).await
}

/// The app and its admission counter, so a test can fill the service up exactly.
async fn app_and_admission(limits: LimitSettings) -> (String, Admission) {
    let db = TestDatabase::create().await.expect("test database");
    let mut settings: Settings = test_settings(&db);
    settings.limits = limits;
    let app = Application::build(settings).await.expect("app builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let admission = app.admission().clone();
    tokio::spawn(async move {
        let _db = db; // the database lives as long as the server
        app.run_until_stopped().await
    });
    (address, admission)
}

#[track_caller]
fn assert_retry_after(r: &reqwest::Response) -> u64 {
    let v = r
        .headers()
        .get("retry-after")
        .expect("Retry-After header")
        .to_str()
        .unwrap()
        .parse()
        .expect("Retry-After seconds");
    assert!(v >= 1);
    v
}

#[tokio::test]
async fn past_its_in_flight_cap_the_service_sheds_with_503_and_retry_after() {
    let (address, admission) = app_and_admission(LimitSettings {
        max_in_flight: 3,
        retry_after_seconds: 4,
        ..LimitSettings::off()
    })
    .await;
    let http = reqwest::Client::new();
    let sites = format!("{address}/v1/sites");
    assert_eq!(
        http.get(&sites).send().await.unwrap().status(),
        StatusCode::OK
    );

    // Three requests in flight: the cap is reached.
    let places: Vec<_> = (0..3)
        .map(|_| admission.try_admit(Work::Finishing).unwrap())
        .collect();
    let r = http.get(&sites).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(assert_retry_after(&r), 4);
    assert_eq!(
        r.headers()["content-type"].to_str().unwrap(),
        "application/problem+json"
    );
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "overloaded");
    assert_eq!(body["retry_after"], 4);
    // Probes still answer, and a shed request took no place.
    let r = http.get(format!("{address}/healthz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(admission.in_flight(), 3);

    drop(places);
    assert_eq!(
        http.get(&sites).send().await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(admission.in_flight(), 0);
}

#[tokio::test]
async fn past_the_share_of_new_work_a_confirmation_still_gets_in() {
    let (address, admission) = app_and_admission(LimitSettings {
        max_in_flight: 4,
        reserved_for_finishing: 2,
        ..LimitSettings::off()
    })
    .await;
    let http = reqwest::Client::new();
    let sites = format!("{address}/v1/sites");
    let confirm = || {
        http.post(format!("{address}/v1/bookings"))
            .json(&serde_json::json!({"hold_id": "1.00"}))
            .send()
    };

    let started: Vec<_> = (0..2)
        .map(|_| admission.try_admit(Work::Starting).unwrap())
        .collect();
    let r = http.get(&sites).send().await.unwrap();
    assert_eq!(
        r.status(),
        StatusCode::SERVICE_UNAVAILABLE,
        "a read is new work"
    );
    let r = confirm().await.unwrap();
    assert_eq!(
        r.status(),
        StatusCode::UNAUTHORIZED,
        "the confirmation took a reserved place and got as far as the token check"
    );

    let finishing: Vec<_> = (0..2)
        .map(|_| admission.try_admit(Work::Finishing).unwrap())
        .collect();
    let r = confirm().await.unwrap();
    assert_eq!(
        r.status(),
        StatusCode::SERVICE_UNAVAILABLE,
        "every place is taken"
    );
    assert_eq!(admission.in_flight(), 4);
    drop((started, finishing));
    assert_eq!(
        http.get(&sites).send().await.unwrap().status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn one_address_is_limited_per_window_unless_allowed() {
    let limited = app_with_limits(LimitSettings {
        per_address: 3,
        window_seconds: 60,
        ..LimitSettings::off()
    })
    .await;
    for _ in 0..3 {
        let r = limited.get("/v1/sites", None).await;
        assert_eq!(r.status(), StatusCode::OK);
    }
    let r = limited.get("/v1/sites", None).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait = assert_retry_after(&r);
    assert!(wait <= 60, "{wait}");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "rate_limited");
    assert_eq!(
        limited.get("/healthz", None).await.status(),
        StatusCode::OK,
        "probes are not limited"
    );

    let allowed = app_with_limits(LimitSettings {
        per_address: 3,
        window_seconds: 60,
        address_allow: vec!["127.0.0.1".into()],
        ..LimitSettings::off()
    })
    .await;
    for _ in 0..10 {
        assert_eq!(
            allowed.get("/v1/sites", None).await.status(),
            StatusCode::OK
        );
    }
}

/// GET `path` as if sent for `client` through a proxy.
async fn get_for(app: &TestApp, path: &str, client: &str) -> reqwest::Response {
    app.http
        .get(format!("{}{path}", app.address))
        .header("X-Forwarded-For", format!("203.0.113.250, {client}"))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_has_its_own_window_and_elsewhere_the_header_is_ignored()
{
    let limits = LimitSettings {
        per_address: 2,
        window_seconds: 60,
        ..LimitSettings::off()
    };
    // The citizen web front end on 127.0.0.1 names each browser's address.
    let proxied = app_with_limits(LimitSettings {
        trusted_proxies: vec!["127.0.0.1".into()],
        ..limits.clone()
    })
    .await;
    for client in ["198.51.100.7", "198.51.100.8"] {
        for _ in 0..2 {
            assert_eq!(
                get_for(&proxied, "/v1/sites", client).await.status(),
                StatusCode::OK
            );
        }
    }
    let r = get_for(&proxied, "/v1/sites", "198.51.100.7").await;
    assert_eq!(
        r.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the third from one browser"
    );
    // The proxy's own requests (no header) count against the proxy.
    assert_eq!(
        proxied.get("/v1/sites", None).await.status(),
        StatusCode::OK
    );

    // From a peer not trusted, a made-up header does not buy a new window.
    let direct = app_with_limits(limits).await;
    for (i, client) in ["198.51.100.7", "198.51.100.8", "198.51.100.9"]
        .iter()
        .enumerate()
    {
        let expected = if i < 2 {
            StatusCode::OK
        } else {
            StatusCode::TOO_MANY_REQUESTS
        };
        assert_eq!(
            get_for(&direct, "/v1/sites", client).await.status(),
            expected
        );
    }
}

#[tokio::test]
async fn a_citizen_is_limited_alone_and_keyed_by_pseudonym() {
    let app = app_with_limits(LimitSettings {
        per_citizen: 2,
        window_seconds: 60,
        ..LimitSettings::off()
    })
    .await;
    let slots = app.setup_slots(4, 10).await;
    let me_cpr = cpr(7);
    let me = app.citizen(&me_cpr).await;
    let other = app.citizen(&cpr(8)).await;
    assert_eq!(app.hold(&me, slots[0]).await.status(), StatusCode::CREATED);
    assert_eq!(app.hold(&me, slots[1]).await.status(), StatusCode::CREATED);
    let r = app.hold(&me, slots[2]).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_retry_after(&r);
    // Someone else is not held back by my limit, and reading is not a change.
    assert_eq!(
        app.hold(&other, slots[2]).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        app.get("/v1/me/bookings", Some(&me)).await.status(),
        StatusCode::OK
    );

    // The counters are in Redis under pseudonyms: no key carries the CPR number.
    let keys = app.redis_keys().await;
    assert!(keys.iter().any(|k| k.ends_with(":rl")), "{keys:?}");
    assert!(keys.iter().all(|k| !k.contains(&me_cpr)), "{keys:?}");
}

#[tokio::test]
async fn every_kind_of_change_counts_and_a_change_over_the_limit_changes_nothing() {
    let app = app_with_limits(LimitSettings {
        per_citizen: 3,
        window_seconds: 60,
        ..LimitSettings::off()
    })
    .await;
    let slots = app.setup_slots(2, 10).await;
    let me = app.citizen(&cpr(11)).await;
    let r = app.hold(&me, slots[0]).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let first: Value = r.json().await.unwrap();
    let released = app
        .request(
            reqwest::Method::DELETE,
            &format!("/v1/holds/{}", first["hold_id"].as_str().unwrap()),
            Some(&me),
            None,
            None,
        )
        .await;
    assert_eq!(released.status(), StatusCode::NO_CONTENT);
    let r = app.hold(&me, slots[1]).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let second: Value = r.json().await.unwrap();
    let r = app.confirm(&me, second["hold_id"].as_str().unwrap()).await;
    assert_eq!(
        r.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the fourth change"
    );
    assert_retry_after(&r);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "rate_limited");
    assert_eq!(
        app.get("/v1/me/bookings", Some(&me))
            .await
            .json::<Value>()
            .await
            .unwrap()
            .as_array()
            .map(Vec::len),
        Some(0),
        "not booked"
    );
    app.assert_invariant().await;
}

#[tokio::test]
async fn a_change_over_the_limit_does_not_claim_its_idempotency_key() {
    let app = app_with_limits(LimitSettings {
        per_citizen: 1,
        window_seconds: 1,
        ..LimitSettings::off()
    })
    .await;
    let slots = app.setup_slots(2, 10).await;
    let me = app.citizen(&cpr(12)).await;
    let hold = |slot: i64, key: &'static str| {
        let app = &app;
        let me = &me;
        async move {
            app.request(
                reqwest::Method::POST,
                "/v1/holds",
                Some(me),
                Some(serde_json::json!({"slot_id": slot})),
                Some(key),
            )
            .await
        }
    };
    // A window starts with its first request and lasts a second.
    assert_eq!(hold(slots[0], "k-a").await.status(), StatusCode::CREATED);
    assert_eq!(
        hold(slots[1], "k-b").await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    // Had the refused request claimed "k-b", its retry would be 409 request_in_progress.
    let r = hold(slots[1], "k-b").await;
    assert_eq!(r.status(), StatusCode::CREATED, "{:?}", r.text().await);
}
