//! The EU test vectors: every flag of every visible vector must pass, except upstream's
//! known issues, which are reported apart.

use super::common::*;

#[test]
fn every_vector_folder_passes_except_known_issues() {
    let root = testdata("dcc");
    let mut dirs: Vec<std::path::PathBuf> = std::fs::read_dir(&root)
        .expect("dcc test data")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(
        dirs.len() >= 14,
        "expected the country folders, found {}",
        dirs.len()
    );
    let report = certificate::fs::run_conformance(&dirs, Some(schemas()), None).expect("run");
    let text = report.to_string();
    assert!(
        report.files.len() >= 442,
        "ran {} files",
        report.files.len()
    );
    assert_eq!(report.failed(), 0, "{text}");
    assert!(report.passed() > 3900, "{text}");
    assert!(text.ends_with(&format!("{} passed, 0 failed", report.passed())));
    // Known issues are listed, not hidden.
    assert!(
        text.contains("ES/2DCode/raw/401.json: EXPECTEDVERIFY"),
        "{text}"
    );
    assert!(text.contains("issues/141"), "{text}");
}

#[test]
fn known_issue_csv_maps_to_flags() {
    let csv =
        std::fs::read_to_string(testdata("dcc").join("UPSTREAM-known_issues.csv")).expect("csv");
    let issues = certificate::conformance::parse_known_issues(&csv);
    assert_eq!(issues.len(), 7);
    for i in &issues {
        assert!(
            certificate::conformance::Flag::from_upstream_test(&i.test_name).is_some(),
            "{i:?}"
        );
    }
}

#[test]
fn a_wrong_expectation_is_reported_as_failed() {
    // Flip one flag of a real vector: the harness must notice.
    let path = testdata("dcc").join("common/2DCode/raw/CO5.json");
    let mut doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("CO5")).expect("json");
    assert_eq!(
        doc["EXPECTEDRESULTS"]["EXPECTEDVERIFY"],
        serde_json::Value::Bool(false)
    );
    doc["EXPECTEDRESULTS"]["EXPECTEDVERIFY"] = serde_json::Value::Bool(true);
    let r = certificate::conformance::run_vector(
        "x/common/2DCode/raw/CO5.json",
        &doc.to_string(),
        Some(schemas()),
        &[],
    );
    let report = certificate::conformance::Report { files: vec![r] };
    assert_eq!(report.failed(), 1, "{report}");
    assert!(report.to_string().ends_with("1 failed"));
}
