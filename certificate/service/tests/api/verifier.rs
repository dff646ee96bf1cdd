use reqwest::header::{ETAG, IF_NONE_MATCH};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

async fn etag_of(app: &TestApp, path: &str) -> String {
    let r = app.get(path, None).await;
    assert_eq!(r.status(), StatusCode::OK);
    r.headers()[ETAG].to_str().unwrap().to_owned()
}

async fn revalidate(app: &TestApp, path: &str, etag: &str) -> StatusCode {
    app.http
        .get(format!("{}{path}", app.address))
        .header(IF_NONE_MATCH, etag)
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn verifier_documents_answer_304_to_a_matching_etag() {
    let app = spawn_app().await;
    for path in [
        "/v1/verifier/trust-list",
        "/v1/verifier/revocations",
        "/v1/verifier/rules",
    ] {
        let etag = etag_of(&app, path).await;
        assert_eq!(
            revalidate(&app, path, &etag).await,
            StatusCode::NOT_MODIFIED
        );
        assert_eq!(revalidate(&app, path, "\"other\"").await, StatusCode::OK);
    }
    let trust: Value = app
        .get("/v1/verifier/trust-list", None)
        .await
        .json()
        .await
        .unwrap();
    let dsc = &trust["certificates"][0];
    assert_eq!(dsc["country"], "DK");
    assert_eq!(dsc["allowed_types"], json!(["t", "v", "r"]));
    let rules: Value = app
        .get("/v1/verifier/rules", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(rules, json!([]));
}

#[tokio::test]
async fn the_revocation_list_etag_changes_when_a_pass_is_revoked() {
    let app = spawn_app().await;
    app.add_citizen(CPR, "Anna", "Hansen").await;
    let before = etag_of(&app, "/v1/verifier/revocations").await;
    app.post(
        "/v1/register/vaccinations",
        &app.site,
        vaccination("v-1", CPR, 1),
    )
    .await;
    let citizen = app.citizen(CPR).await;
    let r = app
        .post("/v1/me/passes/vaccination", &citizen, json!({}))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    app.delete("/v1/register/vaccinations/v-1", &app.site).await;
    assert_eq!(
        revalidate(&app, "/v1/verifier/revocations", &before).await,
        StatusCode::OK
    );
    let (_, doc) = app.revocation_list().await;
    let kinds = doc["kids"].as_object().unwrap().values().next().unwrap();
    for kind in ["UCI", "COUNTRYCODEUCI", "SIGNATURE"] {
        assert_eq!(kinds[kind].as_array().unwrap().len(), 1, "{kind}");
    }
}

#[tokio::test]
async fn business_rules_come_from_the_rules_folder() {
    let dir = "/work/shared/testdata/business-rules/ES";
    let expected = walk_rules(std::path::Path::new(dir));
    assert!(expected > 0, "no rules in {dir}");
    let app = spawn_app_with(|s| s.verifier.rules_dir = dir.into()).await;
    let r = app.get("/v1/verifier/rules", None).await;
    assert_eq!(r.status(), StatusCode::OK);
    let etag = r.headers()[ETAG].to_str().unwrap().to_owned();
    let rules: Value = r.json().await.unwrap();
    let rules = rules.as_array().unwrap();
    assert_eq!(rules.len(), expected);
    assert!(rules.iter().all(|r| r["Country"] == "ES"));
    assert_eq!(
        revalidate(&app, "/v1/verifier/rules", &format!("W/{etag}")).await,
        StatusCode::NOT_MODIFIED
    );
}

fn walk_rules(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            if p.is_dir() {
                walk_rules(&p)
            } else {
                usize::from(p.file_name().unwrap() == "rule.json")
            }
        })
        .sum()
}

#[tokio::test]
async fn the_api_is_described_at_openapi_json_and_browsable_at_docs() {
    let app = spawn_app().await;
    let r = app.get("/openapi.json", None).await;
    assert_eq!(r.status(), StatusCode::OK);
    let doc: Value = r.json().await.unwrap();
    assert_eq!(doc["info"]["title"], "Pass service");
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/v1/register/tests", "post"),
        ("/v1/register/vaccinations", "post"),
        ("/v1/register/tests/bulk", "post"),
        ("/v1/register/vaccinations/bulk", "post"),
        ("/v1/register/tests/{record_id}", "delete"),
        ("/v1/register/vaccinations/{record_id}", "delete"),
        ("/v1/me/passes", "get"),
        ("/v1/me/passes/{type}", "post"),
        ("/v1/me/passes/{type}", "get"),
        ("/v1/me/passes/{type}/qr.png", "get"),
        ("/v1/me/passes/{type}/qr.svg", "get"),
        ("/v1/me/passes/{type}/pass.pdf", "get"),
        ("/v1/verifier/trust-list", "get"),
        ("/v1/verifier/revocations", "get"),
        ("/v1/verifier/rules", "get"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} is not documented"
        );
    }
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for name in [
        "BulkReceipt",
        "LineError",
        "PassView",
        "TestInput",
        "Problem",
    ] {
        assert!(schemas.contains_key(name), "schema {name} missing");
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    let r = app.get("/docs/", None).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("swagger"));
}

#[tokio::test]
async fn a_revocation_by_one_instance_reaches_the_cached_list_of_another() {
    let app = spawn_app().await;
    app.add_citizen(CPR, "Anna", "Hansen").await;
    let other = app.another_instance().await;
    let list_at = |address: String| {
        let http = app.http.clone();
        async move {
            let r = http
                .get(format!("{address}/v1/verifier/revocations"))
                .send()
                .await
                .unwrap();
            let etag = r.headers()[ETAG].to_str().unwrap().to_owned();
            (etag, r.json::<Value>().await.unwrap())
        }
    };
    // Both instances have built and cached the empty list.
    let (empty_etag, empty) = list_at(other.clone()).await;
    assert_eq!(empty, json!({"kids": {}}));
    assert_eq!(list_at(other.clone()).await.0, empty_etag);
    assert_eq!(list_at(app.address.clone()).await.0, empty_etag);

    app.post(
        "/v1/register/vaccinations",
        &app.site,
        vaccination("v-1", CPR, 1),
    )
    .await;
    let citizen = app.citizen(CPR).await;
    app.post("/v1/me/passes/vaccination", &citizen, json!({}))
        .await;
    // Withdrawn through the first instance: the second one's list has the hashes.
    let r = app.delete("/v1/register/vaccinations/v-1", &app.site).await;
    assert_eq!(r.status(), StatusCode::OK);
    let (etag, doc) = list_at(other.clone()).await;
    assert_ne!(etag, empty_etag);
    let kinds = doc["kids"].as_object().unwrap().values().next().unwrap();
    assert_eq!(kinds["UCI"].as_array().unwrap().len(), 1);
    assert_eq!(list_at(app.address.clone()).await, (etag, doc));
}
