//! A helper acts only for citizens they are entitled to: a municipal worker for the
//! citizens of their municipality, a relative for citizens who granted them a power of
//! attorney. Refusals are 403 with a reason and change nothing but the citizen's audit
//! log, which shows who tried.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;

async fn add_citizen(app: &TestApp, cpr: &str, municipality: i16) {
    let birth = identity::Cpr::parse(cpr).unwrap().birth_date();
    app.pg()
        .await
        .execute(
            "INSERT INTO citizens (cpr, given_name, family_name, address, postcode,
                 municipality_code, birth_date, digital_post)
             VALUES ($1, 'Test', 'Borger', 'Vej 1', '8000', $2, $3, 'digital')",
            &[&cpr, &municipality, &birth],
        )
        .await
        .unwrap();
}

async fn helper(app: &TestApp, cpr: &str, id: &str, municipality: Option<u16>) -> String {
    let mut request = json!({"role": "helper", "cpr": cpr, "helper": id});
    if let Some(m) = municipality {
        request["municipality"] = json!(m);
    }
    app.token_for(request).await
}

async fn refused(r: reqwest::Response, code: &str) {
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["code"], code, "{body}");
    assert!(!body["detail"].as_str().unwrap_or_default().is_empty());
}

async fn bookings_of(app: &TestApp, cpr: &str) -> i64 {
    app.pg()
        .await
        .query_one("SELECT count(*) FROM bookings WHERE cpr = $1", &[&cpr])
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn a_municipal_worker_acts_for_citizens_of_their_own_municipality_only() {
    let app = spawn_app().await;
    let slots = app.setup_slots(2, 5).await;
    let (aarhus, odense) = (cpr(11), cpr(12));
    add_citizen(&app, &aarhus, 751).await;
    add_citizen(&app, &odense, 461).await;

    let worker = helper(&app, &aarhus, "kommune-751-worker-3", Some(751)).await;
    let r = app.get("/v1/me/entitlement", Some(&worker)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e, json!({"helper": true, "basis": "municipality"}));
    let booking = app.book(&worker, slots[0]).await;
    assert_eq!(booking["booked_by_helper"], true);

    // The same worker for a citizen of Odense: refused before anything happens.
    let elsewhere = helper(&app, &odense, "kommune-751-worker-3", Some(751)).await;
    refused(
        app.get("/v1/me/entitlement", Some(&elsewhere)).await,
        "outside_municipality",
    )
    .await;
    refused(app.hold(&elsewhere, slots[1]).await, "outside_municipality").await;
    refused(
        app.get("/v1/me/bookings", Some(&elsewhere)).await,
        "outside_municipality",
    )
    .await;
    assert_eq!(bookings_of(&app, &odense).await, 0);
    // The citizen sees that the worker tried: three refusals, one line.
    let audited: Vec<(String, String, String, Value)> = app
        .pg()
        .await
        .query(
            "SELECT actor_role, actor_id, action, detail FROM audit_log WHERE subject_cpr = $1",
            &[&odense],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect();
    assert_eq!(
        audited,
        [(
            "helper".to_owned(),
            "kommune-751-worker-3".to_owned(),
            "helper.refused".to_owned(),
            json!({"reason": "outside_municipality"})
        )]
    );
    // Another helper's refusal is a line of its own.
    let other = helper(&app, &odense, "kommune-751-worker-4", Some(751)).await;
    refused(app.hold(&other, slots[1]).await, "outside_municipality").await;
    let seen: Value = app
        .get("/v1/me/audit", Some(&app.citizen(&odense).await))
        .await
        .json()
        .await
        .unwrap();
    let who: Vec<&str> = seen
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["actor_id"].as_str().unwrap())
        .collect();
    assert_eq!(who, ["kommune-751-worker-4", "kommune-751-worker-3"]);
    // Nor for someone not in the population register.
    let unknown = helper(&app, &cpr(13), "kommune-751-worker-3", Some(751)).await;
    refused(app.hold(&unknown, slots[1]).await, "outside_municipality").await;
    // A CPR number nobody is registered with gets no audit lines (a token can name any).
    let lines: i64 = app
        .pg()
        .await
        .query_one(
            "SELECT count(*) FROM audit_log WHERE subject_cpr = $1",
            &[&cpr(13)],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(lines, 0);
}

#[tokio::test]
async fn a_relative_acts_while_the_citizen_grants_a_power_of_attorney() {
    let app = spawn_app().await;
    let slots = app.setup_slots(1, 5).await;
    let mother = cpr(21);
    add_citizen(&app, &mother, 751).await;
    let citizen = app.citizen(&mother).await;
    let son = helper(&app, &mother, "soen-jens", None).await;

    refused(app.hold(&son, slots[0]).await, "no_power_of_attorney").await;

    // The mother grants it (twice: the second changes nothing).
    let r = app
        .post(
            "/v1/me/powers-of-attorney",
            &citizen,
            json!({"helper": "soen-jens"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = app
        .post(
            "/v1/me/powers-of-attorney",
            &citizen,
            json!({"helper": "soen-jens"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let grants: Value = app
        .get("/v1/me/powers-of-attorney", Some(&citizen))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(grants.as_array().unwrap().len(), 1);
    assert_eq!(grants[0]["helper"], "soen-jens");
    assert_eq!(grants[0]["granted_by_role"], "citizen");

    let e: Value = app
        .get("/v1/me/entitlement", Some(&son))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(e["basis"], "power_of_attorney");
    let booking = app.book(&son, slots[0]).await;
    assert_eq!(booking["booked_by_helper"], true);

    // A helper cannot grant, list or revoke (not even their own).
    let r = app
        .post(
            "/v1/me/powers-of-attorney",
            &son,
            json!({"helper": "soen-jens-2"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = app
        .request(
            Method::DELETE,
            "/v1/me/powers-of-attorney/soen-jens",
            Some(&son),
            None,
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Bad helper ids are refused and change nothing.
    for bad in ["", "0101701234"] {
        let r = app
            .post(
                "/v1/me/powers-of-attorney",
                &citizen,
                json!({"helper": bad}),
            )
            .await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    }

    // Revoked: the son is refused again; revoking twice is a 404.
    for expected in [StatusCode::NO_CONTENT, StatusCode::NOT_FOUND] {
        let r = app
            .request(
                Method::DELETE,
                "/v1/me/powers-of-attorney/soen-jens",
                Some(&citizen),
                None,
                None,
            )
            .await;
        assert_eq!(r.status(), expected);
    }
    refused(
        app.get("/v1/me/bookings", Some(&son)).await,
        "no_power_of_attorney",
    )
    .await;
    let grants: Value = app
        .get("/v1/me/powers-of-attorney", Some(&citizen))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(grants, json!([]));
}

#[tokio::test]
async fn an_authority_records_a_paper_power_of_attorney_and_the_citizen_sees_it() {
    let app = spawn_app().await;
    let slots = app.setup_slots(1, 5).await;
    let father = cpr(31);
    add_citizen(&app, &father, 751).await;
    let daughter = helper(&app, &father, "datter-anna", None).await;
    refused(app.hold(&daughter, slots[0]).await, "no_power_of_attorney").await;

    let body = json!({"cpr": father, "helper": "datter-anna"});
    let r = app
        .post("/v1/powers-of-attorney", &app.authority, body.clone())
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    // Only an authority may record one.
    let r = app
        .post(
            "/v1/powers-of-attorney",
            &app.citizen(&father).await,
            body.clone(),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = app
        .post(
            "/v1/powers-of-attorney",
            &app.authority,
            json!({"cpr": "123", "helper": "datter-anna"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    app.book(&daughter, slots[0]).await;
    let seen: Value = app
        .get("/v1/me/audit", Some(&app.citizen(&father).await))
        .await
        .json()
        .await
        .unwrap();
    let actions: Vec<&str> = seen
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["booking.create", "attorney.grant", "helper.refused"]
    );

    let r = app
        .post(
            "/v1/powers-of-attorney/revocations",
            &app.authority,
            body.clone(),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    refused(
        app.get("/v1/me/bookings", Some(&daughter)).await,
        "no_power_of_attorney",
    )
    .await;
}
