//! Uptake of a campaign by age band and municipality, for the authority's console.

use crate::helpers::spawn_app;
use reqwest::StatusCode;
use serde_json::Value;

async fn code(r: reqwest::Response) -> String {
    let v: Value = r.json().await.unwrap();
    v["code"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn uptake_counts_citizens_and_bookings_by_age_band_and_municipality() {
    let app = spawn_app().await;
    let slots = app.setup_slots(2, 5).await;
    let header = "cpr,given_name,family_name,address,postcode,city,municipality_code,digital_post,nemsms,language,priority_groups";
    // Two born 1940 in Aarhus, one born 1990 in København.
    let csv = format!(
        "{header}\n0101401111,A,B,Vej 1,8000,Aarhus,751,digital,false,da,\n\
         0202402222,C,D,Vej 2,8000,Aarhus,751,digital,false,da,\n\
         0303903333,E,F,Vej 3,2100,København,101,digital,false,da,\n"
    );
    let r = app
        .http
        .post(format!("{}/v1/population", app.address))
        .bearer_auth(&app.authority)
        .body(csv)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let old = app.citizen("0101401111").await;
    app.book(&old, slots[0]).await;
    let young = app.citizen("0303903333").await;
    app.book(&young, slots[1]).await;
    // An earlier, attended booking of the same citizen: still one citizen, booked once.
    app.pg()
        .await
        .execute(
            "INSERT INTO bookings (id, slot_id, campaign_id, cpr, hold_id, status)
             SELECT gen_random_uuid(), id, campaign_id, '0101401111', 'attended-1', 'done'
               FROM slots WHERE id = $1",
            &[&slots[0]],
        )
        .await
        .unwrap();

    let r = app
        .get("/v1/campaigns/pcr-test/uptake", Some(&app.authority))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let u: Value = r.json().await.unwrap();
    let row = |list: &str, key: &str| {
        u[list]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["key"] == key)
            .map(|r| {
                (
                    r["citizens"].as_i64().unwrap(),
                    r["booked"].as_i64().unwrap(),
                )
            })
    };
    assert_eq!(row("by_age", "80+"), Some((2, 1)));
    assert_eq!(row("by_age", "30-39"), Some((1, 1)));
    assert_eq!(row("by_age", "50-59"), Some((0, 0)));
    assert_eq!(row("by_municipality", "751"), Some((2, 1)));
    assert_eq!(row("by_municipality", "101"), Some((1, 1)));
    // Authority only; unknown campaigns are named.
    assert_eq!(
        app.get("/v1/campaigns/pcr-test/uptake", Some(&old))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    let r = app
        .get("/v1/campaigns/nope/uptake", Some(&app.authority))
        .await;
    assert_eq!(code(r).await, "unknown_campaign");
}
