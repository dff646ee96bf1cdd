//! The read replica (`database.replica_url`): the verifier's revocation list is read
//! from it (its version and its rows, from one snapshot of one server); registers,
//! revocations and issuing passes stay on the primary. The trust list and the business
//! rules are built at start-up and served from memory: no database read to route.
//!
//! Needs a streaming replica (`infra/cluster/postgres up`, named by
//! `TEST_PG_REPLICA_URL`; `infra/test` runs it as a step of its own); skipped without.

use reqwest::header::{ETAG, IF_NONE_MATCH};
use reqwest::StatusCode;
use serde_json::{json, Value};
use service_kit::testing::TestReplica;

use crate::helpers::*;

async fn revocations(app: &TestApp) -> (String, Value) {
    let r = app.get("/v1/verifier/revocations", None).await;
    assert_eq!(r.status(), StatusCode::OK);
    let etag = r.headers()[ETAG].to_str().unwrap().to_owned();
    (etag, r.json().await.unwrap())
}

#[tokio::test]
async fn the_revocation_list_is_read_from_the_replica_and_passes_from_the_primary() {
    let Some(replica) = TestReplica::acquire().await else {
        eprintln!("skipped: TEST_PG_REPLICA_URL is unset (infra/test starts infra/cluster/postgres and sets it)");
        return;
    };
    let app = spawn_app_with(|s| {
        let name = s.database.url.rsplit('/').next().unwrap_or_default();
        s.database.replica_url = Some(replica.url_of(name));
    })
    .await;
    app.add_citizen(CPR, "Anna", "Hansen").await;
    let r = app
        .post(
            "/v1/register/vaccinations",
            &app.site,
            vaccination("v-1", CPR, 1),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let citizen = app.citizen(CPR).await;
    let r = app
        .post("/v1/me/passes/vaccination", &citizen, json!({}))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    replica.caught_up().await.expect("replica catches up");
    let (empty_etag, empty) = revocations(&app).await;
    assert_eq!(empty, json!({"kids": {}}));
    let ready: Value = app.get("/readyz", None).await.json().await.unwrap();
    assert_eq!(ready, json!({"status": "ready", "replica": "ok"}));

    let paused = replica.pause_replay().await.expect("replay paused");
    // Withdrawing the record revokes its pass on the primary; a new record and a pass
    // from it are seen at once (issuing reads the register on the primary).
    let r = app.delete("/v1/register/vaccinations/v-1", &app.site).await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = app
        .post(
            "/v1/register/vaccinations",
            &app.site,
            vaccination("v-2", CPR, 2),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = app
        .post("/v1/me/passes/vaccination", &citizen, json!({}))
        .await;
    assert_eq!(
        r.status(),
        StatusCode::CREATED,
        "{}",
        r.text().await.unwrap()
    );
    assert_eq!(app.count("SELECT count(*) FROM revocations").await, 3);

    // The list is still the replica's: unchanged, and a verifier's copy still current.
    assert_eq!(revocations(&app).await, (empty_etag.clone(), empty));
    let r = app
        .http
        .get(format!("{}/v1/verifier/revocations", app.address))
        .header(IF_NONE_MATCH, &empty_etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);

    paused.resume().await.expect("replay resumed");
    replica.caught_up().await.expect("replica catches up");
    let (etag, doc) = revocations(&app).await;
    assert_ne!(etag, empty_etag);
    let kinds = doc["kids"].as_object().unwrap().values().next().unwrap();
    for kind in ["UCI", "COUNTRYCODEUCI", "SIGNATURE"] {
        assert_eq!(kinds[kind].as_array().unwrap().len(), 1, "{kind}");
    }
}
