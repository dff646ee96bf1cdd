use certificate::domestic::{Contents, DomesticError, DomesticVerifier, Level};
use chrono::{Duration, NaiveTime, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

async fn issue(app: &TestApp, token: &str, query: &str) -> reqwest::Response {
    app.post(&format!("/v1/me/passes/domestic{query}"), token, json!({}))
        .await
}

async fn overview(app: &TestApp, token: &str) -> Value {
    app.get("/v1/me/passes", Some(token))
        .await
        .json()
        .await
        .unwrap()
}

fn vaccinated_days_ago(record_id: &str, cpr: &str, days: i64) -> Value {
    let mut v = vaccination(record_id, cpr, 2);
    v["date"] = json!(days_ago(days));
    v
}

#[tokio::test]
async fn a_completed_vaccination_makes_both_levels_and_a_correction_revokes_them() {
    let app = spawn_app().await;
    app.add_citizen(CPR, "Søren", "Ærø").await;
    let r = app
        .post(
            "/v1/register/vaccinations",
            &app.site,
            vaccinated_days_ago("v-1", CPR, 30),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let citizen = app.citizen(CPR).await;

    let r = issue(&app, &citizen, "?level=1").await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let one: Value = r.json().await.unwrap();
    assert_eq!(one["type"], "domestic");
    assert_eq!(one["level"], 1);
    assert!(one.get("uvci").is_none());
    assert!(one["id"].as_str().unwrap().starts_with("urn:dk1:"));
    let one_text = one["hc1"].as_str().unwrap().to_owned();
    assert!(one_text.starts_with("DK1:"));

    let trust = app.trust_list().await;
    let (revoked, _) = app.revocation_list().await;
    let verified = DomesticVerifier::new(&trust)
        .with_revocation(&revoked)
        .verify(&one_text, Utc::now())
        .unwrap();
    assert_eq!(verified.level, Level::ValidUntil);
    assert_eq!(verified.contents, Contents::ValidUntil);
    assert_eq!(verified.issuer, "DK");
    // DK-DOM-V-0001: until the vaccination date + 365 days.
    let dt = (Utc::now() - Duration::days(30)).date_naive();
    let until = (dt + Duration::days(365))
        .and_time(NaiveTime::MIN)
        .and_utc();
    assert_eq!(verified.valid_until, until);
    assert_eq!(one["expires_at"], json!(until));

    // Asking again gives the same pass; level 2 is another.
    let r = issue(&app, &citizen, "?level=1").await;
    assert_eq!(r.status(), StatusCode::OK);
    let again: Value = r.json().await.unwrap();
    assert_eq!(again["id"], one["id"]);
    let r = issue(&app, &citizen, "?level=2").await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let two: Value = r.json().await.unwrap();
    let two_text = two["hc1"].as_str().unwrap().to_owned();
    let verified = DomesticVerifier::new(&trust)
        .verify(&two_text, Utc::now())
        .unwrap();
    let Contents::WithIdentity { nam, dob } = verified.contents else {
        panic!("level 2 carries the identity");
    };
    assert_eq!(nam.family, "Ærø");
    assert_eq!(nam.given_mrz, "SOEREN");
    assert_eq!(dob.to_string(), "1970-01-01");

    // The live passes and their QR codes.
    let r = app
        .get("/v1/me/passes/domestic?level=2", Some(&citizen))
        .await;
    let current: Value = r.json().await.unwrap();
    assert_eq!(current["hc1"], two["hc1"]);
    let r = app
        .get("/v1/me/passes/domestic/qr.png?level=1", Some(&citizen))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let png = r.bytes().await.unwrap();
    assert_eq!(certificate::qr::decode_image(&png).unwrap(), one_text);
    let r = app
        .get("/v1/me/passes/domestic/qr.svg", Some(&citizen))
        .await;
    assert_eq!(r.headers()["content-type"], "image/svg+xml");
    let r = app
        .get(
            "/v1/me/passes/domestic/pass.pdf?level=1&lang=en",
            Some(&citizen),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let pdf = r.bytes().await.unwrap();
    let has = |s: &str| pdf.windows(s.len()).any(|w| w == s.as_bytes());
    assert!(has("(Danish pass, level 1)"));
    assert!(!has("(Name)"), "a level-1 page shows no identity");

    // The site corrects the record: both domestic passes are revoked by SIGNATURE hash.
    let mut corrected = vaccinated_days_ago("v-1", CPR, 31);
    corrected["dose_number"] = json!(2);
    let r = app
        .post("/v1/register/vaccinations", &app.site, corrected)
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let receipt: Value = r.json().await.unwrap();
    assert_eq!(receipt["revoked_passes"], 2);
    let (revoked, doc) = app.revocation_list().await;
    let kinds = doc["kids"].as_object().unwrap().values().next().unwrap();
    assert_eq!(kinds["SIGNATURE"].as_array().unwrap().len(), 2);
    assert!(kinds.get("UCI").is_none(), "a domestic pass has no UVCI");
    for text in [&one_text, &two_text] {
        assert_eq!(
            DomesticVerifier::new(&trust)
                .with_revocation(&revoked)
                .verify(text, Utc::now()),
            Err(DomesticError::Revoked)
        );
    }
    let r = app
        .get("/v1/me/passes/domestic?level=1", Some(&citizen))
        .await;
    expect_problem(r, StatusCode::NOT_FOUND).await;
    // A new one comes from the corrected record.
    let r = issue(&app, &citizen, "?level=1").await;
    assert_eq!(r.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn the_rules_decide_which_record_and_until_when() {
    let app = spawn_app().await;
    app.add_citizen(CPR, "Anna", "Hansen").await;
    // Vaccinated 3 days ago: an EU pass, but no domestic pass yet (from day 14).
    app.post(
        "/v1/register/vaccinations",
        &app.site,
        vaccinated_days_ago("v-1", CPR, 3),
    )
    .await;
    let citizen = app.citizen(CPR).await;
    let r = issue(&app, &citizen, "").await;
    let p = expect_problem(r, StatusCode::NOT_FOUND).await;
    assert_eq!(p["code"], "no_pass_available");
    let r = app
        .post("/v1/me/passes/vaccination", &citizen, json!({}))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);

    // A negative PCR two hours ago: a domestic pass for 72 hours from the sample.
    let sample = Utc::now() - Duration::hours(2);
    let sample = chrono::DateTime::from_timestamp(sample.timestamp(), 0).unwrap();
    app.post(
        "/v1/register/tests",
        &app.site,
        pcr("t-1", CPR, "260415000", &sample.to_rfc3339()),
    )
    .await;
    let r = issue(&app, &citizen, "").await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let pass: Value = r.json().await.unwrap();
    assert_eq!(pass["level"], 1, "level 1 unless asked");
    assert_eq!(pass["expires_at"], json!(sample + Duration::hours(72)));

    // Bad levels, and levels where they do not belong.
    for query in ["?level=3", "?level=two"] {
        let r = issue(&app, &citizen, query).await;
        expect_problem(r, StatusCode::BAD_REQUEST).await;
    }
    let r = app
        .post("/v1/me/passes/vaccination?level=2", &citizen, json!({}))
        .await;
    expect_problem(r, StatusCode::BAD_REQUEST).await;
    // A site cannot ask for one.
    let r = issue(&app, &app.site, "").await;
    expect_problem(r, StatusCode::FORBIDDEN).await;
}

#[tokio::test]
async fn the_rules_are_data_from_the_settings() {
    let empty = std::env::temp_dir().join(format!("no-rules-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&empty).unwrap();
    let dir = empty.display().to_string();
    let app = spawn_app_with(|s| s.domestic.rules_dir = dir).await;
    app.add_citizen(CPR, "Anna", "Hansen").await;
    app.post(
        "/v1/register/vaccinations",
        &app.site,
        vaccinated_days_ago("v-1", CPR, 30),
    )
    .await;
    let citizen = app.citizen(CPR).await;
    let r = issue(&app, &citizen, "?level=2").await;
    expect_problem(r, StatusCode::NOT_FOUND).await;
    assert_eq!(app.count("SELECT count(*) FROM issued_passes").await, 0);
    std::fs::remove_dir_all(&empty).unwrap();
}

#[tokio::test]
async fn a_helper_issuing_a_domestic_pass_is_audited() {
    let app = spawn_app().await;
    app.add_citizen(CPR, "Anna", "Hansen").await;
    app.post(
        "/v1/register/vaccinations",
        &app.site,
        vaccinated_days_ago("v-1", CPR, 30),
    )
    .await;
    let helper = app
        .token_for(
            json!({"role": "helper", "cpr": CPR, "helper": "borgerservice-7", "municipality": 751}),
        )
        .await;
    let r = issue(&app, &helper, "?level=2").await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(
        app.count(
            "SELECT count(*) FROM audit_log WHERE actor_id = 'borgerservice-7'
             AND action = 'passes.issue' AND detail->>'type' = 'domestic'"
        )
        .await,
        1
    );
    assert_eq!(
        app.count("SELECT count(*) FROM issued_passes WHERE issued_by_helper = 'borgerservice-7'")
            .await,
        1
    );
}

#[tokio::test]
async fn the_overview_offers_both_domestic_levels_with_their_links() {
    let app = spawn_app().await;
    app.add_citizen(CPR, "Anna", "Hansen").await;
    app.post(
        "/v1/register/vaccinations",
        &app.site,
        vaccinated_days_ago("v-1", CPR, 30),
    )
    .await;
    let citizen = app.citizen(CPR).await;
    let o = overview(&app, &citizen).await;
    let domestic: Vec<&Value> = o["available"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["type"] == "domestic")
        .collect();
    assert_eq!(domestic.len(), 2, "{o}");
    let dt = (Utc::now() - Duration::days(30)).date_naive();
    let until = (dt + Duration::days(365))
        .and_time(NaiveTime::MIN)
        .and_utc();
    for (p, level) in domestic.iter().zip([1, 2]) {
        assert_eq!(p["level"], level);
        assert_eq!(p["valid_until"], json!(until));
        assert_eq!(p["details"]["source"], "vaccination");
        assert_eq!(p["current_id"], Value::Null);
        assert_eq!(
            p["links"]["pass"],
            format!("/v1/me/passes/domestic?level={level}")
        );
        assert_eq!(
            p["links"]["pdf"],
            format!("/v1/me/passes/domestic/pass.pdf?lang=da&level={level}")
        );
    }
    // The EU offer has its links too.
    let eu = &o["available"][0];
    assert_eq!(eu["type"], "vaccination");
    assert_eq!(eu["links"]["qr_png"], "/v1/me/passes/vaccination/qr.png");

    // After issuing level 2 the overview names the live pass, and its links work.
    let r = issue(&app, &citizen, "?level=2").await;
    let two: Value = r.json().await.unwrap();
    let o = overview(&app, &citizen).await;
    let offers = o["available"].as_array().unwrap();
    let level = |n: i64| {
        offers
            .iter()
            .find(|p| p["type"] == "domestic" && p["level"] == n)
            .unwrap()
    };
    assert_eq!(level(2)["current_id"], two["id"]);
    assert_eq!(level(1)["current_id"], Value::Null);
    let r = app
        .get(level(2)["links"]["pdf"].as_str().unwrap(), Some(&citizen))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/pdf");

    // Three days after a dose: an EU pass, no domestic one offered yet.
    app.add_citizen(OTHER_CPR, "Bo", "Berg").await;
    app.post(
        "/v1/register/vaccinations",
        &app.site,
        vaccinated_days_ago("v-2", OTHER_CPR, 3),
    )
    .await;
    let o = overview(&app, &app.citizen(OTHER_CPR).await).await;
    let types: Vec<&str> = o["available"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, vec!["vaccination"]);
}
