//! Campaigns, sites, slot generation, capacity changes and closures.

use crate::helpers::{cpr, spawn_app, tomorrow};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

#[tokio::test]
async fn campaign_codes_are_unique_and_checked() {
    let app = spawn_app().await;
    app.create_campaign("pcr-test", "open").await;
    let dup = app
        .post(
            "/v1/campaigns",
            &app.authority,
            json!({"code": "pcr-test", "name": "Again", "kind": "test", "access": "open"}),
        )
        .await;
    assert_eq!(dup.status(), StatusCode::CONFLICT);
    let p: Value = dup.json().await.unwrap();
    assert_eq!(p["code"], "duplicate_campaign");
    for bad in [
        json!({"code": "Bad Code", "name": "X", "kind": "test", "access": "open"}),
        json!({"code": "ok-code", "name": "X", "kind": "party", "access": "open"}),
        json!({"code": "ok-code", "name": "", "kind": "test", "access": "open"}),
        json!({"code": "ok-code", "name": "X", "kind": "test"}),
    ] {
        let r = app.post("/v1/campaigns", &app.authority, bad.clone()).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
    let list: Value = app.get("/v1/campaigns", None).await.json().await.unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn sites_need_known_campaigns_and_municipalities() {
    let app = spawn_app().await;
    app.create_campaign("pcr-test", "open").await;
    let site = |m: u16, c: &str| {
        json!({"name": "Hal", "address": "Vej 1", "postcode": "8000", "municipality_code": m,
               "location": {"lat": 56.1, "lon": 10.2}, "campaigns": [c]})
    };
    let r = app
        .post("/v1/sites", &app.authority, site(999, "pcr-test"))
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = app
        .post("/v1/sites", &app.authority, site(751, "nope"))
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post("/v1/sites", &app.authority, site(751, "pcr-test"))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn slots_are_generated_once_and_listed_with_availability() {
    let app = spawn_app().await;
    app.create_campaign("pcr-test", "open").await;
    app.create_campaign("flu-shot", "open").await;
    let site = app.create_site(&["pcr-test"]).await;
    let day = tomorrow();
    let plan = json!({"campaign": "pcr-test", "from": day, "to": day + chrono::Duration::days(1),
                      "opens": "08:00", "closes": "10:00", "interval_minutes": 30, "capacity": 3});
    let r = app
        .post(
            &format!("/v1/sites/{site}/slots"),
            &app.authority,
            plan.clone(),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let created: Value = r.json().await.unwrap();
    assert_eq!(created["created"], 8);
    // The same plan again creates nothing new.
    let again: Value = app
        .post(&format!("/v1/sites/{site}/slots"), &app.authority, plan)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["created"], 0);
    assert_eq!(again["planned"], 8);

    let day_view: Value = app
        .get(&format!("/v1/sites/{site}/slots?date={day}"), None)
        .await
        .json()
        .await
        .unwrap();
    let slots = day_view["slots"].as_array().unwrap();
    assert_eq!(slots.len(), 4);
    assert!(slots
        .iter()
        .all(|s| s["remaining"] == 3 && s["campaign"] == "pcr-test"));

    // A campaign the site does not offer, and a bad plan.
    let r = app
        .post(
            &format!("/v1/sites/{site}/slots"),
            &app.authority,
            json!({"campaign": "flu-shot", "from": day, "to": day, "opens": "08:00",
                   "closes": "10:00", "interval_minutes": 30, "capacity": 3}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post(
            &format!("/v1/sites/{site}/slots"),
            &app.authority,
            json!({"campaign": "pcr-test", "from": day, "to": day, "opens": "10:00",
                   "closes": "08:00", "interval_minutes": 30, "capacity": 3}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    // The site list shows it, nearest first, with free places.
    app.get("/v1/sites", None).await; // warm
    let list: Value = app
        .get("/v1/sites?campaign=pcr-test&lat=56.15&lon=10.2", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 1);
    assert_eq!(list["sites"][0]["campaigns"][0]["free"], 24);
    assert!(list["sites"][0]["distance_km"].as_f64().unwrap() < 10.0);
    let r = app.get("/v1/sites?campaign=unknown", None).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = app.get("/v1/sites?lat=56.1", None).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn capacity_never_goes_below_booked_and_closed_slots_take_no_holds() {
    let app = spawn_app().await;
    let slots = app.setup_slots(2, 3).await;
    let a = app.citizen("0101701111").await;
    let b = app.citizen("0201702222").await;
    app.book(&a, slots[0]).await;
    app.book(&b, slots[0]).await;

    let r = app
        .request(
            Method::PATCH,
            &format!("/v1/slots/{}", slots[0]),
            Some(&app.authority),
            Some(json!({"capacity": 1})),
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["code"], "capacity_below_booked");
    assert_eq!(app.slot(slots[0]).await["capacity"], 3);

    let r = app
        .request(
            Method::PATCH,
            &format!("/v1/slots/{}", slots[0]),
            Some(&app.authority),
            Some(json!({"capacity": 2})),
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let c = app.citizen("0301703333").await;
    let r = app.hold(&c, slots[0]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT, "slot is now full");

    let r = app
        .request(
            Method::POST,
            &format!("/v1/slots/{}/close", slots[1]),
            Some(&app.authority),
            None,
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = app.hold(&c, slots[1]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["code"], "slot_closed");
}

#[tokio::test]
async fn closing_a_site_closes_its_future_slots() {
    let app = spawn_app().await;
    app.create_campaign("pcr-test", "open").await;
    let site = app.create_site(&["pcr-test"]).await;
    let slots = app.create_slots(site, "pcr-test", 3, 2).await;
    let r = app
        .request(
            Method::POST,
            &format!("/v1/sites/{site}/close"),
            Some(&app.authority),
            None,
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["closed_slots"], 3);
    let c = app.citizen("0101701111").await;
    assert_eq!(app.hold(&c, slots[0]).await.status(), StatusCode::CONFLICT);
    let list: Value = app
        .get("/v1/sites?available=false", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 0, "closed sites are not listed");
    let r = app
        .request(
            Method::POST,
            "/v1/sites/999999/close",
            Some(&app.authority),
            None,
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_site_is_changed_in_place_and_full_slots_are_counted() {
    let app = spawn_app().await;
    app.create_campaign("pcr-test", "open").await;
    app.create_campaign("antigen", "open").await;
    let site = app.create_site(&["pcr-test"]).await;
    let slots = app.create_slots(site, "pcr-test", 3, 1).await;

    let changed = json!({
        "name": "Testcenter Aarhus Nord", "address": "Randersvej 9", "postcode": "8200",
        "municipality_code": 751, "location": {"lat": 56.19, "lon": 10.18},
        "campaigns": ["antigen"]
    });
    let r = app
        .request(
            Method::PUT,
            &format!("/v1/sites/{site}"),
            Some(&app.authority),
            Some(changed.clone()),
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["name"], "Testcenter Aarhus Nord");
    assert_eq!(v["postcode"], "8200");
    // The site list shows it, offering both campaigns (none is taken away).
    let list: Value = app
        .get("/v1/sites?available=false", None)
        .await
        .json()
        .await
        .unwrap();
    let s = &list["sites"][0];
    assert_eq!(s["name"], "Testcenter Aarhus Nord");
    assert_eq!(s["campaigns"].as_array().unwrap().len(), 2, "{s}");
    // Bad input and unknown sites change nothing; citizens may not.
    let mut bad = changed.clone();
    bad["postcode"] = json!("12");
    let r = app
        .request(
            Method::PUT,
            &format!("/v1/sites/{site}"),
            Some(&app.authority),
            Some(bad),
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = app
        .request(
            Method::PUT,
            "/v1/sites/999999",
            Some(&app.authority),
            Some(changed.clone()),
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let citizen = app.citizen(&cpr(1)).await;
    let r = app
        .request(
            Method::PUT,
            &format!("/v1/sites/{site}"),
            Some(&citizen),
            Some(changed),
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // Fullness: one of three one-place slots booked.
    let f: Value = app
        .get("/v1/slots/fullness", Some(&app.authority))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(f, json!({"upcoming": 3, "full": 0}));
    app.book(&citizen, slots[0]).await;
    let f: Value = app
        .get("/v1/slots/fullness", Some(&app.authority))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(f, json!({"upcoming": 3, "full": 1}));
    assert_eq!(
        app.get("/v1/slots/fullness", Some(&citizen)).await.status(),
        StatusCode::FORBIDDEN
    );
}
