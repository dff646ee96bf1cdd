//! The population extract, cohorts, waves and the invitation gate.

use crate::helpers::{spawn_app, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const HEADER: &str = "cpr,given_name,family_name,address,postcode,city,municipality_code,digital_post,nemsms,language,priority_groups";

/// Five citizens: two over 65 in Aarhus (751), one over 65 in Copenhagen (101),
/// one young in Aarhus, one young care-home resident in Odense (461).
const PEOPLE: [&str; 5] = [
    "0101401111,Åse,Mølgaard,Vestergade 1,8000,Aarhus,751,digital,true,da,",
    "0202452222,Søren,Østergaard,Nørregade 2,8000,Aarhus,751,exempt,false,da,",
    "0303503333,Jens,Hansen,Strøget 3,1160,København,101,digital,false,en,",
    "0404904444,Mette,Nielsen,Algade 4,8000,Aarhus,751,digital,false,da,",
    "0505953555,Anna,Holm,Kirkevej 5,5000,Odense,461,digital,false,da,care-home",
];

async fn import(app: &TestApp, lines: &[&str]) -> reqwest::Response {
    let body = format!("{HEADER}\n{}\n", lines.join("\n"));
    app.http
        .post(format!("{}/v1/population", app.address))
        .bearer_auth(&app.authority)
        .header("content-type", "text/csv")
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn citizens(app: &TestApp) -> i64 {
    app.pg()
        .await
        .query_one("SELECT count(*) FROM citizens", &[])
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn population_import_is_all_or_nothing() {
    let app = spawn_app().await;
    let r = import(&app, &PEOPLE).await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["loaded"], 5);
    // Re-importing updates in place.
    assert_eq!(import(&app, &PEOPLE[..2]).await.status(), StatusCode::OK);
    assert_eq!(citizens(&app).await, 5);

    let bad = [
        "0606606666,Ole,Olsen,Vej 6,8000,Aarhus,751,digital,false,da,",
        "3206606666,Bad,Date,Vej 7,8000,Aarhus,751,digital,false,da,",
        "0707707777,Bad,Municipality,Vej 8,8000,Aarhus,999,digital,false,da,",
    ];
    let r = import(&app, &bad).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let p: Value = r.json().await.unwrap();
    let detail = p["detail"].as_str().unwrap();
    assert!(
        detail.contains("line 3") && detail.contains("line 4"),
        "{detail}"
    );
    assert!(!detail.contains("3206606666"), "no CPR in errors");
    assert_eq!(citizens(&app).await, 5, "nothing imported");

    let r = app
        .http
        .post(format!("{}/v1/population", app.address))
        .bearer_auth(&app.authority)
        .body("wrong,header\n1,2\n")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn cohort_preview_counts_the_criteria() {
    let app = spawn_app().await;
    import(&app, &PEOPLE).await;
    let on = chrono::Utc::now().date_naive();
    let count = |criteria: Value| {
        let app = &app;
        async move {
            let r = app
                .post("/v1/cohorts/preview", &app.authority, criteria)
                .await;
            assert_eq!(r.status(), StatusCode::OK);
            r.json::<Value>().await.unwrap()["count"].as_i64().unwrap()
        }
    };
    assert_eq!(count(json!({"age": {"min": 65, "on": on}})).await, 3);
    assert_eq!(
        count(json!({"age": {"min": 65, "on": on}, "municipalities": [751]})).await,
        2
    );
    assert_eq!(count(json!({"regions": [1084]})).await, 1);
    assert_eq!(count(json!({"priority_groups": ["care-home"]})).await, 1);
    assert_eq!(count(json!({"age": {"max": 40, "on": on}})).await, 2);
    let r = app
        .post("/v1/cohorts/preview", &app.authority, json!({}))
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

/// The wave's detail once the due-wave timer has opened it (the clock was moved past
/// its opening time).
/// The wave and its figures, as the authority sees them.
async fn wave_detail(app: &TestApp, wave_id: i64) -> Value {
    app.get(&format!("/v1/waves/{wave_id}"), Some(&app.authority))
        .await
        .json()
        .await
        .unwrap()
}

async fn opened_wave(app: &TestApp, wave_id: i64) -> Value {
    let mut detail = Value::Null;
    for _ in 0..100 {
        detail = wave_detail(app, wave_id).await;
        if detail["wave"]["opened_at"].is_string() {
            return detail;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("wave {wave_id} did not open: {detail}");
}

async fn invitation_setup(app: &TestApp) -> (i64, i64) {
    import(app, &PEOPLE).await;
    app.create_campaign("covid-dose-1", "invitation").await;
    let site = app.create_site(&["covid-dose-1"]).await;
    let slots = app.create_slots(site, "covid-dose-1", 1, 10).await;
    let on = chrono::Utc::now().date_naive();
    let r = app
        .post(
            "/v1/cohorts",
            &app.authority,
            json!({"name": "65+ i Aarhus", "criteria": {"age": {"min": 65, "on": on}, "municipalities": [751]}}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let cohort: Value = r.json().await.unwrap();
    (cohort["id"].as_i64().unwrap(), slots[0])
}

#[tokio::test]
async fn a_wave_invites_its_cohort_and_opens_the_gate() {
    let app = spawn_app().await;
    let (cohort, slot) = invitation_setup(&app).await;
    let invited = app.citizen("0101401111").await;
    let not_in_cohort = app.citizen("0303503333").await;

    // Before the wave nobody may hold.
    let r = app.hold(&invited, slot).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["code"], "not_invited");

    // Waves are only for invitation campaigns.
    app.create_campaign("pcr-test", "open").await;
    let r = app
        .post(
            "/v1/waves",
            &app.authority,
            json!({"cohort_id": cohort, "campaign": "pcr-test"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    let r = app
        .post(
            "/v1/waves",
            &app.authority,
            json!({"cohort_id": cohort, "campaign": "covid-dose-1"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let wave: Value = r.json().await.unwrap();
    assert_eq!(wave["invited"], 2);
    assert!(wave["opened_at"].is_string());
    let wave_id = wave["id"].as_i64().unwrap();

    // One invitation per citizen, committed with the opening; the notifier writes their
    // letters into the outbox from the wave's cursor (notifier tests, e2e).
    let pg = app.pg().await;
    let invitations: i64 = pg
        .query_one(
            "SELECT count(*) FROM invitations WHERE wave_id = $1",
            &[&wave_id],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(invitations, 2);
    let letters: i64 = pg
        .query_one(
            "SELECT count(*) FROM outbox WHERE wave_id = $1",
            &[&wave_id],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        letters, 0,
        "the notifier writes the letters, not the opening"
    );

    assert_eq!(app.hold(&invited, slot).await.status(), StatusCode::CREATED);
    assert_eq!(
        app.hold(&not_in_cohort, slot).await.status(),
        StatusCode::FORBIDDEN
    );
    let e: Value = app
        .get("/v1/me/eligibility", Some(&invited))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(e["invited"], json!(["covid-dose-1"]));

    // A second wave of the same cohort invites nobody twice.
    let again: Value = app
        .post(
            "/v1/waves",
            &app.authority,
            json!({"cohort_id": cohort, "campaign": "covid-dose-1"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["invited"], 0);

    let detail = wave_detail(&app, wave_id).await;
    assert_eq!(detail["figures"]["invited"], 2);
    assert_eq!(detail["figures"]["queued"], 2);
    assert_eq!(detail["figures"]["booked"], 0);
    // An invited citizen with two attended bookings in the campaign counts once.
    pg.execute(
        "INSERT INTO bookings (id, slot_id, campaign_id, cpr, hold_id, status)
         SELECT gen_random_uuid(), $2, i.campaign_id, i.cpr, 'attended-' || n, 'done'
           FROM (SELECT campaign_id, cpr FROM invitations WHERE wave_id = $1
                  ORDER BY cpr LIMIT 1) i, generate_series(1, 2) n",
        &[&wave_id, &slot],
    )
    .await
    .unwrap();
    let detail = wave_detail(&app, wave_id).await;
    assert_eq!(detail["figures"]["booked"], 1);

    // Redis loses everything: the gate is rebuilt from PostgreSQL.
    app.flush_redis().await;
    let mut status = StatusCode::FORBIDDEN;
    for _ in 0..100 {
        status = app.hold(&invited, slot).await.status();
        if status == StatusCode::CREATED {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(
        app.hold(&not_in_cohort, slot).await.status(),
        StatusCode::FORBIDDEN
    );

    // Closing the wave shuts the gate again.
    let r = app
        .request(
            Method::POST,
            &format!("/v1/waves/{wave_id}/close"),
            Some(&app.authority),
            None,
            None,
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        app.hold(&invited, slot).await.status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn a_scheduled_wave_opens_on_time() {
    let app = spawn_app().await;
    let (cohort, slot) = invitation_setup(&app).await;
    let opens_at = chrono::Utc::now() + chrono::Duration::hours(1);
    let wave: Value = app
        .post(
            "/v1/waves",
            &app.authority,
            json!({"cohort_id": cohort, "campaign": "covid-dose-1", "opens_at": opens_at}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(wave["opened_at"].is_null());
    let invited = app.citizen("0202452222").await;
    assert_eq!(
        app.hold(&invited, slot).await.status(),
        StatusCode::FORBIDDEN
    );

    app.clock.advance(chrono::Duration::minutes(61));
    let detail = opened_wave(&app, wave["id"].as_i64().unwrap()).await;
    assert_eq!(detail["wave"]["invited"], 2);
    assert_eq!(app.hold(&invited, slot).await.status(), StatusCode::CREATED);
}

/// Writes a vaccination into the register the way the pass service does (only the
/// columns the cohort rule reads matter here).
async fn vaccinated(app: &TestApp, cpr: &str, dose: i16, days_ago: i64, status: &str) {
    let on = chrono::Utc::now().date_naive() - chrono::Duration::days(days_ago);
    let record_id = format!("{cpr}-{dose}");
    app.pg()
        .await
        .execute(
            "INSERT INTO register_vaccinations (sender, sender_record_id, cpr, disease, vaccine,
                 product, manufacturer, dose_number, total_doses, vaccinated_on, country,
                 content_hash, status)
             VALUES ('site-1', $1, $2, '840539006', 'J07BX03', 'EU/1/20/1528', 'ORG-100030215',
                     $3, 2, $4, 'DK', '\\x00', $5)",
            &[&record_id, &cpr, &dose, &on, &status],
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn a_cohort_by_prior_dose_counts_the_latest_dose_on_the_opening_day() {
    let app = spawn_app().await;
    import(&app, &PEOPLE).await;
    // Dose 2 long enough ago: in the cohort.
    vaccinated(&app, "0101401111", 1, 230, "active").await;
    vaccinated(&app, "0101401111", 2, 200, "active").await;
    // Dose 2 too recently: not yet (but 10 days from now it is).
    vaccinated(&app, "0202452222", 2, 145, "active").await;
    // Already had dose 3: not in the cohort for it.
    vaccinated(&app, "0303503333", 2, 300, "active").await;
    vaccinated(&app, "0303503333", 3, 30, "active").await;
    // The only dose 2 was entered in error.
    vaccinated(&app, "0404904444", 2, 300, "entered_in_error").await;
    // 0505953555 has no vaccination.

    let rule = json!({"prior_dose": {"dose": 2, "days_ago": 150}});
    let count = |criteria: Value| {
        let app = &app;
        async move {
            let r = app
                .post("/v1/cohorts/preview", &app.authority, criteria)
                .await;
            assert_eq!(r.status(), StatusCode::OK);
            r.json::<Value>().await.unwrap()["count"].as_i64().unwrap()
        }
    };
    assert_eq!(count(rule.clone()).await, 1);
    let on = chrono::Utc::now().date_naive();
    assert_eq!(
        count(json!({"prior_dose": {"dose": 2, "days_ago": 150}, "age": {"max": 50, "on": on}}))
            .await,
        0,
        "criteria combine with AND"
    );
    assert_eq!(
        count(json!({"prior_dose": {"dose": 3, "days_ago": 0}})).await,
        1
    );

    for bad in [
        json!({"prior_dose": {"dose": 0, "days_ago": 10}}),
        json!({"prior_dose": {"dose": 2, "days_ago": 99999}}),
        json!({"prior_dose": {"dose": 2}}),
        json!({"prior_dose": {"dose": 2, "days_ago": -1}}),
    ] {
        let r = app.post("/v1/cohorts/preview", &app.authority, bad).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    }

    // A wave scheduled ten days ahead counts on the day it opens.
    app.create_campaign("covid-dose-3", "invitation").await;
    let cohort: Value = app
        .post(
            "/v1/cohorts",
            &app.authority,
            json!({"name": "dose 3", "criteria": rule}),
        )
        .await
        .json()
        .await
        .unwrap();
    let opens_at = chrono::Utc::now() + chrono::Duration::days(10);
    let wave: Value = app
        .post(
            "/v1/waves",
            &app.authority,
            json!({"cohort_id": cohort["id"], "campaign": "covid-dose-3", "opens_at": opens_at}),
        )
        .await
        .json()
        .await
        .unwrap();
    app.clock
        .advance(chrono::Duration::days(10) + chrono::Duration::minutes(1));
    let detail = opened_wave(&app, wave["id"].as_i64().unwrap()).await;
    assert_eq!(detail["wave"]["invited"], 2);
    let invited: Vec<String> = app
        .pg()
        .await
        .query(
            "SELECT cpr FROM invitations WHERE wave_id = $1 ORDER BY cpr",
            &[&wave["id"].as_i64().unwrap()],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(invited, ["0101401111", "0202452222"]);
}

#[tokio::test]
async fn an_opening_interrupted_after_one_part_completes_exactly_once() {
    let app = spawn_app().await;
    import(&app, &PEOPLE).await;
    app.create_campaign("covid-dose-1", "invitation").await;
    let on = chrono::Utc::now().date_naive();
    let criteria = json!({"age": {"min": 0, "on": on}});
    let cohort: Value = app
        .post(
            "/v1/cohorts",
            &app.authority,
            json!({"name": "alle", "criteria": criteria}),
        )
        .await
        .json()
        .await
        .unwrap();
    let opens_at = chrono::Utc::now() + chrono::Duration::hours(1);
    let wave: Value = app
        .post(
            "/v1/waves",
            &app.authority,
            json!({"cohort_id": cohort["id"], "campaign": "covid-dose-1", "opens_at": opens_at}),
        )
        .await
        .json()
        .await
        .unwrap();
    let wave_id = wave["id"].as_i64().unwrap();

    // A process commits one part of four, then dies before marking the wave opened.
    let mut pg = app.pg().await;
    let stored = booking::store::waves::wave(&pg, wave_id).await.unwrap();
    let cond = serde_json::from_value::<booking::domain::eligibility::Criteria>(criteria)
        .unwrap()
        .condition(on)
        .unwrap();
    let partitions = booking::store::waves::citizen_partitions(&pg)
        .await
        .unwrap();
    let mut first = Vec::new();
    for part in booking::store::waves::Part::split(&partitions, 4) {
        let tx = pg.transaction().await.unwrap();
        let invited =
            booking::store::waves::open_part(&tx, &stored, &cond, &part, chrono::Utc::now())
                .await
                .unwrap();
        if !invited.is_empty() {
            tx.commit().await.unwrap();
            first = invited;
            break;
        }
    }
    assert!(!first.is_empty() && first.len() < PEOPLE.len());

    // The timer opens it: the rest are invited, nobody twice.
    app.clock.advance(chrono::Duration::minutes(61));
    let detail = opened_wave(&app, wave_id).await;
    assert_eq!(detail["wave"]["invited"], PEOPLE.len());
    assert_eq!(
        detail["figures"]["queued"],
        PEOPLE.len(),
        "every letter still to send"
    );
    let invited = pg
        .query(
            "SELECT cpr FROM invitations WHERE wave_id = $1 ORDER BY cpr",
            &[&wave_id],
        )
        .await
        .unwrap();
    let cprs: Vec<String> = invited.iter().map(|r| r.get(0)).collect();
    let mut expected: Vec<String> = PEOPLE.iter().map(|l| l[..10].to_owned()).collect();
    expected.sort();
    assert_eq!(cprs, expected, "one invitation per citizen");
    // Everyone invited may hold, including those of the interrupted part.
    let site = app.create_site(&["covid-dose-1"]).await;
    let slots = app.create_slots(site, "covid-dose-1", 1, 10).await;
    let token = app.citizen(&first[0]).await;
    assert_eq!(
        app.hold(&token, slots[0]).await.status(),
        StatusCode::CREATED
    );

    // Invitations and letters refer to the wave without a foreign key (bulk speed);
    // deleting it, the one way to orphan them, is refused.
    let err = pg
        .execute("DELETE FROM waves WHERE id = $1", &[&wave_id])
        .await
        .unwrap_err();
    let db = err.as_db_error().expect("a database error");
    assert!(db.message().contains("never deleted"), "{db:?}");
}
