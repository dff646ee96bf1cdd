use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;

/// A valid CPR number for person `n`.
fn cpr(n: u32) -> String {
    let day = 1 + n % 28;
    let month = 1 + (n / 28) % 12;
    let year = 70 + (n / 336) % 30;
    format!("{day:02}{month:02}{year:02}{:04}", n % 4000)
}

fn ndjson(count: u32, bad_line: Option<u32>) -> String {
    ndjson_at(count, bad_line, &hours_ago(3))
}

fn ndjson_at(count: u32, bad_line: Option<u32>, sample: &str) -> String {
    (0..count)
        .map(|i| {
            let result = if Some(i + 1) == bad_line {
                "999"
            } else {
                "260415000"
            };
            pcr(&format!("bulk-{i}"), &cpr(i), result, sample).to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn bad_lines_are_reported_and_the_good_ones_imported() {
    let app = spawn_app().await;
    let sample = hours_ago(3);
    let r = app
        .bulk(
            "tests",
            "application/x-ndjson",
            ndjson_at(3000, Some(1234), &sample),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let receipt: Value = r.json().await.unwrap();
    assert_eq!(receipt["received"], 3000);
    assert_eq!(receipt["imported"], 2999);
    assert_eq!(receipt["rejected"], 1);
    let errors = receipt["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["line"], 1234);
    assert_eq!(errors[0]["record_id"], "bulk-1233");
    assert_eq!(errors[0]["errors"][0]["field"], "result");
    assert_eq!(app.count("SELECT count(*) FROM register_tests").await, 2999);
    assert_eq!(
        app.count("SELECT count(*) FROM register_tests WHERE sender_record_id = 'bulk-1233'")
            .await,
        0
    );

    // The fixed line alone, resent with the rest: imported, the others unchanged.
    let r = app
        .bulk(
            "tests",
            "application/x-ndjson",
            ndjson_at(3000, None, &sample),
        )
        .await;
    let receipt: Value = r.json().await.unwrap();
    assert_eq!(receipt["imported"], 1);
    assert_eq!(receipt["unchanged"], 2999);
    assert_eq!(receipt["rejected"], 0);
    assert_eq!(receipt["errors"], serde_json::json!([]));
}

#[tokio::test]
async fn a_file_of_only_bad_lines_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let sample = hours_ago(3);
    let body = [
        pcr("x-1", CPR, "999", &sample).to_string(),
        "{not json".to_owned(),
        pcr("x-3", "3213701234", "260415000", &sample).to_string(),
    ]
    .join("\n");
    let r = app.bulk("tests", "application/x-ndjson", body).await;
    let p = expect_problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(p["code"], "invalid_lines");
    let lines: Vec<i64> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_i64().unwrap())
        .collect();
    assert_eq!(lines, vec![1, 2, 3]);
    assert!(!p.to_string().contains("3213701234"), "the CPR was echoed");
    assert_eq!(app.count("SELECT count(*) FROM register_tests").await, 0);
}

#[tokio::test]
async fn a_malformed_file_as_a_whole_is_refused() {
    let app = spawn_app_with(|s| s.registers.bulk_max_records = 10).await;
    // Not UTF-8.
    let r = app
        .http
        .post(format!("{}/v1/register/tests/bulk", app.address))
        .bearer_auth(&app.site)
        .header("Content-Type", "application/x-ndjson")
        .body(vec![0xff, 0xfe, b'\n'])
        .send()
        .await
        .unwrap();
    expect_problem(r, StatusCode::BAD_REQUEST).await;
    // More records than allowed: the good ones are not imported either.
    let r = app
        .bulk("tests", "application/x-ndjson", ndjson(11, None))
        .await;
    let p = expect_problem(r, StatusCode::BAD_REQUEST).await;
    assert!(p["detail"].as_str().unwrap().contains("at most 10"), "{p}");
    // No records at all.
    let r = app
        .bulk("tests", "application/x-ndjson", "\n\n".into())
        .await;
    expect_problem(r, StatusCode::BAD_REQUEST).await;
    let r = app.bulk("tests", "text/csv", String::new()).await;
    expect_problem(r, StatusCode::BAD_REQUEST).await;
    // Wrong content type.
    let r = app.bulk("tests", "application/json", ndjson(2, None)).await;
    expect_problem(r, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
    assert_eq!(app.count("SELECT count(*) FROM register_tests").await, 0);
}

#[tokio::test]
async fn a_too_big_body_is_refused_whole() {
    let app = spawn_app_with(|s| s.registers.bulk_max_bytes = 2_000).await;
    let r = app
        .bulk("tests", "application/x-ndjson", ndjson(50, None))
        .await;
    let p = expect_problem(r, StatusCode::PAYLOAD_TOO_LARGE).await;
    assert_eq!(p["code"], "payload_too_large");
    assert_eq!(app.count("SELECT count(*) FROM register_tests").await, 0);
}

#[tokio::test]
async fn a_record_id_sent_twice_with_different_data_is_refused_on_every_line() {
    let app = spawn_app().await;
    let sample = hours_ago(3);
    let body = [
        pcr("d-1", CPR, "260415000", &sample).to_string(),
        pcr("d-2", OTHER_CPR, "260415000", &sample).to_string(),
        pcr("d-1", OTHER_CPR, "260415000", &sample).to_string(),
        pcr("d-2", OTHER_CPR, "260415000", &sample).to_string(),
        pcr("d-3", CPR, "260415000", &sample).to_string(),
    ]
    .join("\n");
    let r = app.bulk("tests", "application/x-ndjson", body).await;
    assert_eq!(r.status(), StatusCode::OK);
    let receipt: Value = r.json().await.unwrap();
    assert_eq!(receipt["imported"], 2, "{receipt}");
    assert_eq!(receipt["unchanged"], 1, "an identical repeat: {receipt}");
    assert_eq!(receipt["rejected"], 2);
    let errors = receipt["errors"].as_array().unwrap();
    assert_eq!(errors[0]["line"], 1);
    assert_eq!(errors[1]["line"], 3);
    assert!(errors.iter().all(|e| e["record_id"] == "d-1"));
    assert!(!receipt.to_string().contains(CPR));
    assert_eq!(
        app.count("SELECT count(*) FROM register_tests WHERE sender_record_id = 'd-1'")
            .await,
        0
    );
    assert_eq!(app.count("SELECT count(*) FROM register_tests").await, 2);
}

#[tokio::test]
async fn a_line_naming_someone_elses_booking_is_refused_and_the_rest_imported() {
    let app = spawn_app().await;
    let mine = app.add_booking(CPR).await;
    let theirs = app.add_booking(OTHER_CPR).await;
    let sample = hours_ago(1);
    let mut good = pcr("k-1", CPR, "260415000", &sample);
    good["booking_id"] = serde_json::json!(mine);
    let mut bad = pcr("k-2", CPR, "260415000", &sample);
    bad["booking_id"] = serde_json::json!(theirs);
    let body = format!("{good}\n{bad}");
    let r = app.bulk("tests", "application/x-ndjson", body).await;
    assert_eq!(r.status(), StatusCode::OK);
    let receipt: Value = r.json().await.unwrap();
    assert_eq!(receipt["imported"], 1);
    assert_eq!(receipt["errors"][0]["line"], 2);
    assert_eq!(receipt["errors"][0]["errors"][0]["field"], "booking_id");
    assert_eq!(app.booking_status(mine).await, "done");
    assert_eq!(app.booking_status(theirs).await, "active");
}

#[tokio::test]
async fn a_good_file_imports_once() {
    let app = spawn_app().await;
    let body = ndjson(3000, None);
    let r = app
        .bulk("tests", "application/x-ndjson", body.clone())
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let receipt: Value = r.json().await.unwrap();
    assert_eq!(receipt["imported"], 3000);
    assert_eq!(app.count("SELECT count(*) FROM register_tests").await, 3000);

    let r = app.bulk("tests", "application/x-ndjson", body).await;
    let receipt: Value = r.json().await.unwrap();
    assert_eq!(receipt["imported"], 0);
    assert_eq!(receipt["unchanged"], 3000);
    assert_eq!(app.count("SELECT count(*) FROM register_tests").await, 3000);
}

#[tokio::test]
async fn csv_files_and_their_problems() {
    let app = spawn_app().await;
    let csv = format!(
        "record_id,cpr,vaccine,product,manufacturer,dose_number,total_doses,date\n\
         c-1,{CPR},1119349007,EU/1/20/1528,ORG-100030215,1,2,{d}\n\
         c-2,{OTHER_CPR},1119349007,EU/1/20/1528,ORG-100030215,1,2,{d}\n",
        d = days_ago(2)
    );
    let r = app.bulk("vaccinations", "text/csv", csv).await;
    assert_eq!(r.status(), StatusCode::OK);
    let receipt: Value = r.json().await.unwrap();
    assert_eq!(receipt["imported"], 2);

    let bad = format!(
        "record_id,cpr,vaccine,product,manufacturer,dose_number,total_doses,date\n\
         c-3,{CPR},1119349007,EU/1/20/1528,ORG-100030215,one,2,{d}\n\
         c-3,{CPR},1119349007,EU/1/20/1528,ORG-100030215,1,2,{d}\n",
        d = days_ago(2)
    );
    let r = app.bulk("vaccinations", "text/csv", bad).await;
    assert_eq!(r.status(), StatusCode::OK);
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["imported"], 1);
    assert_eq!(
        p["errors"][0]["errors"][0]["message"],
        "a cell has the wrong type (column 6)"
    );
    let lines: Vec<i64> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_i64().unwrap())
        .collect();
    assert_eq!(lines, vec![2]);
    assert!(!p.to_string().contains(CPR));

    let r = app
        .bulk("vaccinations", "application/pdf", "x".into())
        .await;
    expect_problem(r, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
    assert_eq!(
        app.count("SELECT count(*) FROM register_vaccinations")
            .await,
        3
    );
}

#[tokio::test]
async fn a_changed_line_in_a_resent_file_is_a_correction() {
    let app = spawn_app().await;
    let sample = hours_ago(3);
    let lines = |result_of_first: &str| {
        (0..50)
            .map(|i| {
                let result = if i == 0 { result_of_first } else { "260415000" };
                pcr(&format!("b-{i}"), &cpr(i), result, &sample).to_string()
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let r = app
        .bulk("tests", "application/x-ndjson", lines("260415000"))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = app
        .bulk("tests", "application/x-ndjson", lines("260373001"))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let receipt: Value = r.json().await.unwrap();
    assert_eq!(receipt["corrected"], 1);
    assert_eq!(receipt["unchanged"], 49);
    assert_eq!(
        app.count("SELECT count(*) FROM register_tests WHERE status = 'corrected'")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT count(*) FROM register_tests WHERE status = 'active'")
            .await,
        50
    );
}

#[tokio::test]
async fn a_file_resending_a_withdrawn_record_is_refused_at_its_line() {
    let app = spawn_app().await;
    let sample = hours_ago(3);
    let file = |n: u32| {
        (0..n)
            .map(|i| pcr(&format!("w-{i}"), &cpr(i), "260415000", &sample).to_string())
            .collect::<Vec<_>>()
            .join("\n")
    };
    let r = app.bulk("tests", "application/x-ndjson", file(3)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = app.delete("/v1/register/tests/w-1", &app.site).await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = app.bulk("tests", "application/x-ndjson", file(10)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let receipt: Value = r.json().await.unwrap();
    assert_eq!(receipt["errors"][0]["line"], 2);
    assert_eq!(receipt["errors"][0]["record_id"], "w-1");
    assert_eq!(receipt["errors"][0]["errors"][0]["field"], "record_id");
    assert_eq!(receipt["imported"], 7);
    assert_eq!(receipt["unchanged"], 2);
    assert_eq!(receipt["rejected"], 1);
    assert_eq!(app.count("SELECT count(*) FROM register_tests").await, 10);
    assert_eq!(
        app.count("SELECT count(*) FROM register_tests WHERE status = 'entered_in_error'")
            .await,
        1
    );
}
