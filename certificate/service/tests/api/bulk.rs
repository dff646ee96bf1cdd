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
    let sample = hours_ago(3);
    (0..count)
        .map(|i| {
            let result = if Some(i + 1) == bad_line {
                "999"
            } else {
                "260415000"
            };
            pcr(&format!("bulk-{i}"), &cpr(i), result, &sample).to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn one_bad_line_rejects_the_file_and_names_the_line() {
    let app = spawn_app().await;
    let r = app
        .bulk("tests", "application/x-ndjson", ndjson(3000, Some(1234)))
        .await;
    let p = expect_problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(p["code"], "invalid_lines");
    let errors = p["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["line"], 1234);
    assert_eq!(errors[0]["record_id"], "bulk-1233");
    assert_eq!(errors[0]["errors"][0]["field"], "result");
    assert_eq!(app.count("SELECT count(*) FROM register_tests").await, 0);
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
    assert_eq!(receipt["created"], 3000);
    assert_eq!(app.count("SELECT count(*) FROM register_tests").await, 3000);

    let r = app.bulk("tests", "application/x-ndjson", body).await;
    let receipt: Value = r.json().await.unwrap();
    assert_eq!(receipt["created"], 0);
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
    assert_eq!(receipt["created"], 2);

    let bad = format!(
        "record_id,cpr,vaccine,product,manufacturer,dose_number,total_doses,date\n\
         c-3,{CPR},1119349007,EU/1/20/1528,ORG-100030215,one,2,{d}\n\
         c-3,{CPR},1119349007,EU/1/20/1528,ORG-100030215,1,2,{d}\n",
        d = days_ago(2)
    );
    let r = app.bulk("vaccinations", "text/csv", bad).await;
    let p = expect_problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
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
        2
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
    let p = expect_problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(p["errors"][0]["line"], 2);
    assert_eq!(p["errors"][0]["record_id"], "w-1");
    assert_eq!(app.count("SELECT count(*) FROM register_tests").await, 3);
}
