use certificate::verify::Verifier;
use chrono::Utc;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

async fn issue(app: &TestApp, token: &str, kind: &str) -> reqwest::Response {
    app.post(&format!("/v1/me/passes/{kind}"), token, json!({}))
        .await
}

#[tokio::test]
async fn a_vaccination_becomes_a_pass_that_verifies_against_the_served_trust_list() {
    let app = spawn_app().await;
    app.add_citizen(CPR, "Søren", "Ærø").await;
    let r = app
        .post(
            "/v1/register/vaccinations",
            &app.site,
            vaccination("v-1", CPR, 2),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let citizen = app.citizen(CPR).await;

    let overview: Value = app
        .get("/v1/me/passes", Some(&citizen))
        .await
        .json()
        .await
        .unwrap();
    let types: Vec<&str> = overview["available"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, vec!["vaccination"]);

    let r = issue(&app, &citizen, "vaccination").await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let pass: Value = r.json().await.unwrap();
    let hc1 = pass["hc1"].as_str().unwrap().to_owned();
    assert!(hc1.starts_with("HC1:"));

    let trust = app.trust_list().await;
    let (revoked, _) = app.revocation_list().await;
    let report = Verifier::new(&trust, "DK")
        .with_revocation(&revoked)
        .verify(&hc1, Utc::now());
    assert!(
        report.is_valid(),
        "{}",
        serde_json::to_string(&report).unwrap()
    );
    let dcc = &report.decoded.as_ref().unwrap().dcc;
    assert_eq!(dcc["nam"]["fnt"], "AEROE");
    assert_eq!(dcc["dob"], "1970-01-01");
    assert_eq!(dcc["v"][0]["dn"], 2);
    assert_eq!(dcc["v"][0]["ci"], pass["uvci"]);

    // Asking again gives the same pass.
    let r = issue(&app, &citizen, "vaccination").await;
    assert_eq!(r.status(), StatusCode::OK);
    let again: Value = r.json().await.unwrap();
    assert_eq!(again["uvci"], pass["uvci"]);

    // The QR codes carry the HC1 text.
    let r = app
        .get("/v1/me/passes/vaccination/qr.png", Some(&citizen))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "image/png");
    let png = r.bytes().await.unwrap();
    assert_eq!(certificate::qr::decode_image(&png).unwrap(), hc1);
    let r = app
        .get("/v1/me/passes/vaccination/qr.svg", Some(&citizen))
        .await;
    assert_eq!(r.headers()["content-type"], "image/svg+xml");
    assert!(r.text().await.unwrap().contains("<svg"));

    // The printable pass, in Danish unless asked otherwise.
    let uvci = pass["uvci"].as_str().unwrap();
    for lang in ["", "?lang=en", "?lang=both"] {
        let r = app
            .get(
                &format!("/v1/me/passes/vaccination/pass.pdf{lang}"),
                Some(&citizen),
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()["content-type"], "application/pdf");
        assert_eq!(r.headers()["cache-control"], "no-store");
        let pdf = r.bytes().await.unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        let has = |s: &str| pdf.windows(s.len()).any(|w| w == s.as_bytes());
        assert!(has(uvci), "the UVCI is printed");
        assert!(has("/MediaBox [0 0 595 842]"), "A4");
        assert_eq!(has("(Date of birth)"), lang == "?lang=en");
        assert!(!has("0101701234"), "no CPR on the page");
    }
    let r = app
        .get("/v1/me/passes/vaccination/pass.pdf?lang=fr", Some(&citizen))
        .await;
    expect_problem(r, StatusCode::BAD_REQUEST).await;
    let r = app.get("/v1/me/passes/test/pass.pdf", Some(&citizen)).await;
    expect_problem(r, StatusCode::NOT_FOUND).await;
}

#[tokio::test]
async fn a_correction_revokes_the_pass_issued_from_the_old_record() {
    let app = spawn_app().await;
    app.add_citizen(CPR, "Anna", "Hansen").await;
    let record = pcr("lab-1", CPR, "260415000", &hours_ago(5));
    app.post("/v1/register/tests", &app.site, record).await;
    let citizen = app.citizen(CPR).await;
    let r = issue(&app, &citizen, "test").await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let old: Value = r.json().await.unwrap();
    let old_hc1 = old["hc1"].as_str().unwrap().to_owned();

    // The lab corrects the sample time.
    let corrected = pcr("lab-1", CPR, "260415000", &hours_ago(4));
    let r = app.post("/v1/register/tests", &app.site, corrected).await;
    assert_eq!(r.status(), StatusCode::OK);
    let receipt: Value = r.json().await.unwrap();
    assert_eq!(receipt["revoked_passes"], 1);

    let trust = app.trust_list().await;
    let (revoked, doc) = app.revocation_list().await;
    let kid = trust.iter().next().unwrap().kid().to_base64();
    assert_eq!(doc["kids"][&kid]["UCI"].as_array().unwrap().len(), 1);
    let report = Verifier::new(&trust, "DK")
        .with_revocation(&revoked)
        .verify(&old_hc1, Utc::now());
    assert!(!report.is_valid());
    assert!(report.revocation.failed());

    // A new pass comes from the corrected record and is valid.
    let r = issue(&app, &citizen, "test").await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let new: Value = r.json().await.unwrap();
    assert_ne!(new["uvci"], old["uvci"]);
    let report = Verifier::new(&trust, "DK")
        .with_revocation(&revoked)
        .verify(new["hc1"].as_str().unwrap(), Utc::now());
    assert!(report.is_valid());
}

#[tokio::test]
async fn entered_in_error_revokes_and_leaves_no_pass() {
    let app = spawn_app().await;
    app.add_citizen(CPR, "Anna", "Hansen").await;
    app.post(
        "/v1/register/vaccinations",
        &app.site,
        vaccination("v-1", CPR, 1),
    )
    .await;
    let citizen = app.citizen(CPR).await;
    let pass: Value = issue(&app, &citizen, "vaccination")
        .await
        .json()
        .await
        .unwrap();
    let r = app.delete("/v1/register/vaccinations/v-1", &app.site).await;
    let receipt: Value = r.json().await.unwrap();
    assert_eq!(receipt["revoked_passes"], 1);

    let trust = app.trust_list().await;
    let (revoked, _) = app.revocation_list().await;
    let report = Verifier::new(&trust, "DK")
        .with_revocation(&revoked)
        .verify(pass["hc1"].as_str().unwrap(), Utc::now());
    assert!(report.revocation.failed());

    let r = issue(&app, &citizen, "vaccination").await;
    let p = expect_problem(r, StatusCode::NOT_FOUND).await;
    assert_eq!(p["code"], "no_pass_available");
    let r = app
        .get("/v1/me/passes/vaccination/qr.png", Some(&citizen))
        .await;
    expect_problem(r, StatusCode::NOT_FOUND).await;
}

#[tokio::test]
async fn recovery_comes_from_a_positive_pcr_from_day_11() {
    let app = spawn_app().await;
    app.add_citizen(CPR, "Anna", "Hansen").await;
    app.add_citizen(OTHER_CPR, "Bo", "Jensen").await;
    let old = (Utc::now() - chrono::Duration::days(20)).to_rfc3339();
    let recent = (Utc::now() - chrono::Duration::days(5)).to_rfc3339();
    app.post(
        "/v1/register/tests",
        &app.site,
        pcr("p-1", CPR, "260373001", &old),
    )
    .await;
    app.post(
        "/v1/register/tests",
        &app.site,
        pcr("p-2", OTHER_CPR, "260373001", &recent),
    )
    .await;

    let citizen = app.citizen(CPR).await;
    let r = issue(&app, &citizen, "recovery").await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let pass: Value = r.json().await.unwrap();
    let trust = app.trust_list().await;
    let report = Verifier::new(&trust, "DK").verify(pass["hc1"].as_str().unwrap(), Utc::now());
    assert!(report.is_valid());
    let r = &report.decoded.unwrap().dcc["r"][0];
    let fr = (Utc::now() - chrono::Duration::days(20)).date_naive();
    assert_eq!(r["fr"], fr.to_string());
    assert_eq!(r["df"], (fr + chrono::Duration::days(11)).to_string());
    assert_eq!(r["du"], (fr + chrono::Duration::days(180)).to_string());
    // A positive test makes no test pass.
    let r = issue(&app, &citizen, "test").await;
    expect_problem(r, StatusCode::NOT_FOUND).await;

    // Day 5: not yet.
    let other = app.citizen(OTHER_CPR).await;
    let r = issue(&app, &other, "recovery").await;
    expect_problem(r, StatusCode::NOT_FOUND).await;
}

#[tokio::test]
async fn a_helper_acting_for_a_citizen_is_recorded() {
    let app = spawn_app().await;
    app.add_citizen(CPR, "Anna", "Hansen").await;
    app.post(
        "/v1/register/vaccinations",
        &app.site,
        vaccination("v-1", CPR, 1),
    )
    .await;
    let helper = app
        .token_for(
            json!({"role": "helper", "cpr": CPR, "helper": "borgerservice-7", "municipality": 751}),
        )
        .await;
    let r = issue(&app, &helper, "vaccination").await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(
        app.count(
            "SELECT count(*) FROM audit_log WHERE actor_role = 'helper'
             AND actor_id = 'borgerservice-7' AND action = 'passes.issue'"
        )
        .await,
        1
    );
    // The citizen's own requests are not audited as someone else's.
    let citizen = app.citizen(CPR).await;
    app.get("/v1/me/passes", Some(&citizen)).await;
    assert_eq!(app.count("SELECT count(*) FROM audit_log").await, 1);

    // A worker of another municipality, and a relative without a power of attorney,
    // are refused with the reason, and nothing is issued or printed; the citizen's audit
    // log shows each of them tried (one line per helper, however often they try).
    for (request, code) in [
        (
            json!({"role": "helper", "cpr": CPR, "helper": "kommune-101-ole", "municipality": 101}),
            "outside_municipality",
        ),
        (
            json!({"role": "helper", "cpr": CPR, "helper": "nabo-karl"}),
            "no_power_of_attorney",
        ),
    ] {
        let token = app.token_for(request).await;
        for path in ["/v1/me/passes", "/v1/me/passes/vaccination/pass.pdf"] {
            let p = expect_problem(app.get(path, Some(&token)).await, StatusCode::FORBIDDEN).await;
            assert_eq!(p["code"], code);
        }
        let p = expect_problem(issue(&app, &token, "test").await, StatusCode::FORBIDDEN).await;
        assert_eq!(p["code"], code);
    }
    assert_eq!(app.count("SELECT count(*) FROM audit_log").await, 3);
    assert_eq!(
        app.count(
            "SELECT count(*) FROM audit_log WHERE action = 'helper.refused'
             AND actor_id IN ('kommune-101-ole', 'nabo-karl')"
        )
        .await,
        2
    );
    assert_eq!(app.count("SELECT count(*) FROM issued_passes").await, 1);

    // Once the citizen granted the relative a power of attorney (on the booking
    // service's pages; here straight into the shared table), they may fetch the pass.
    app.pg()
        .await
        .execute(
            "INSERT INTO powers_of_attorney (citizen_cpr, helper_id, granted_by_role, granted_by)
             VALUES ($1, 'nabo-karl', 'citizen', 'citizen')",
            &[&CPR],
        )
        .await
        .unwrap();
    let token = app
        .token_for(json!({"role": "helper", "cpr": CPR, "helper": "nabo-karl"}))
        .await;
    let r = app
        .get("/v1/me/passes/vaccination/pass.pdf", Some(&token))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        app.count(
            "SELECT count(*) FROM audit_log WHERE actor_id = 'nabo-karl'
             AND action <> 'helper.refused'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn passes_come_only_from_the_registers() {
    let app = spawn_app().await;
    app.add_citizen(OTHER_CPR, "Bo", "Jensen").await;
    app.post(
        "/v1/register/vaccinations",
        &app.site,
        vaccination("v-1", CPR, 1),
    )
    .await;
    // Someone else's vaccination gives this citizen nothing.
    let other = app.citizen(OTHER_CPR).await;
    let overview: Value = app
        .get("/v1/me/passes", Some(&other))
        .await
        .json()
        .await
        .unwrap();
    assert!(overview["available"].as_array().unwrap().is_empty());
    let r = issue(&app, &other, "vaccination").await;
    expect_problem(r, StatusCode::NOT_FOUND).await;
    let r = issue(&app, &other, "lottery").await;
    expect_problem(r, StatusCode::NOT_FOUND).await;
    // A site cannot ask for passes.
    let r = issue(&app, &app.site, "vaccination").await;
    expect_problem(r, StatusCode::FORBIDDEN).await;
    assert_eq!(app.count("SELECT count(*) FROM issued_passes").await, 0);
}

#[tokio::test]
async fn eu_expiry_is_what_the_eu_rules_say() {
    let app = spawn_app().await;
    app.add_citizen(CPR, "Anna", "Hansen").await;
    let mut v = vaccination("v-1", CPR, 1);
    v["date"] = json!(days_ago(30));
    app.post("/v1/register/vaccinations", &app.site, v).await;
    let sample =
        chrono::DateTime::from_timestamp((Utc::now() - chrono::Duration::hours(2)).timestamp(), 0)
            .unwrap();
    let mut rapid = pcr("t-1", CPR, "260415000", &sample.to_rfc3339());
    rapid["test_type"] = json!("LP217198-3");
    rapid["manufacturer"] = json!("1232");
    app.post("/v1/register/tests", &app.site, rapid).await;
    let citizen = app.citizen(CPR).await;

    // DK-EU-V-0001: the dose date + 365 days, also for a first dose.
    let pass: Value = issue(&app, &citizen, "vaccination")
        .await
        .json()
        .await
        .unwrap();
    let dt = (Utc::now() - chrono::Duration::days(30)).date_naive();
    let until = (dt + chrono::Duration::days(365))
        .and_time(chrono::NaiveTime::MIN)
        .and_utc();
    assert_eq!(pass["expires_at"], json!(until));
    let exp = Verifier::new(&app.trust_list().await, "DK")
        .verify(pass["hc1"].as_str().unwrap(), Utc::now())
        .decoded
        .unwrap()
        .expires_at;
    assert_eq!(exp, Some(until));
    // DK-EU-T-0001: a rapid antigen test for 48 hours from the sample.
    let pass: Value = issue(&app, &citizen, "test").await.json().await.unwrap();
    assert_eq!(
        pass["expires_at"],
        json!(sample + chrono::Duration::hours(48))
    );
}

#[tokio::test]
async fn eu_validity_rules_are_data_from_the_settings() {
    // A rule folder that lets a vaccination pass last 10 days from the dose.
    let dir = std::env::temp_dir().join(format!("eu-rules-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let rule = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/rules/eu/DK-EU-V-0001.json"
    ))
    .unwrap()
    .replace("365, \"day\"", "10, \"day\"");
    std::fs::write(dir.join("short.json"), rule).unwrap();
    let rules_dir = dir.display().to_string();
    let app = spawn_app_with(|s| s.passes.rules_dir = rules_dir).await;
    app.add_citizen(CPR, "Anna", "Hansen").await;
    app.post(
        "/v1/register/vaccinations",
        &app.site,
        vaccination("v-1", CPR, 2),
    )
    .await;
    app.post("/v1/register/tests", &app.site, negative_pcr("t-1", CPR))
        .await;
    let citizen = app.citizen(CPR).await;
    let pass: Value = issue(&app, &citizen, "vaccination")
        .await
        .json()
        .await
        .unwrap();
    let dt = (Utc::now() - chrono::Duration::days(3)).date_naive();
    let until = (dt + chrono::Duration::days(10))
        .and_time(chrono::NaiveTime::MIN)
        .and_utc();
    assert_eq!(pass["expires_at"], json!(until));
    // No rule for tests in that folder: no EU test pass, nothing stored.
    let r = issue(&app, &citizen, "test").await;
    let p = expect_problem(r, StatusCode::NOT_FOUND).await;
    assert_eq!(p["code"], "no_pass_available");
    assert_eq!(
        app.count("SELECT count(*) FROM issued_passes WHERE pass_type = 'test'")
            .await,
        0
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
