//! Offline schema validation against the official schemas and upstream's own examples.

use super::common::*;
use certificate::schema::{SchemaError, Version};

#[test]
fn upstream_examples_classify_correctly() {
    let dir = testdata("dcc-schema/tests");
    let mut seen = 0;
    for (sub, valid) in [("valid", true), ("invalid", false)] {
        for entry in std::fs::read_dir(dir.join(sub)).expect("dir") {
            let path = entry.expect("entry").path();
            let doc: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
            // Some invalid examples have no usable `ver`; validate them as the current version.
            let mut doc = doc;
            if doc
                .get("ver")
                .and_then(|v| v.as_str())
                .and_then(Version::parse)
                .is_none()
                && doc.is_object()
            {
                doc["ver"] = serde_json::json!("1.3.3");
            }
            let result = schemas().validate(&doc);
            assert_eq!(result.is_ok(), valid, "{}: {result:?}", path.display());
            seen += 1;
        }
    }
    assert_eq!(seen, 19);
}

#[test]
fn versions_are_all_loaded_and_chosen_by_ver() {
    let versions: Vec<String> = schemas().versions().map(|v| v.to_string()).collect();
    for v in [
        "1.0.0", "1.0.1", "1.1.0", "1.2.0", "1.2.1", "1.3.0", "1.3.1", "1.3.2", "1.3.3",
    ] {
        assert!(
            versions.contains(&v.to_owned()),
            "{v} missing from {versions:?}"
        );
    }
    let mut doc = payload(certificate::payload::CertificateType::Vaccination)
        .to_json()
        .expect("json");
    assert_eq!(
        schemas().validate(&doc).map(|v| v.to_string()),
        Ok("1.3.0".to_owned())
    );
    doc["ver"] = serde_json::json!("1.3.9");
    assert_eq!(
        schemas().validate(&doc).map(|v| v.to_string()),
        Ok("1.3.3".to_owned())
    );
    doc["ver"] = serde_json::json!("9.0.0");
    assert_eq!(
        schemas().validate(&doc),
        Err(SchemaError::UnknownVersion("9.0.0".into()))
    );
    doc["ver"] = serde_json::json!("1.3.0");
    doc["t"] = doc["v"].clone();
    assert!(schemas().validate(&doc).is_err());
}

#[test]
fn value_sets_report_unknown_and_advisory_codes() {
    let mut doc = payload(certificate::payload::CertificateType::Vaccination)
        .to_json()
        .expect("json");
    assert!(value_sets().check(&doc).is_empty());
    doc["v"][0]["mp"] = serde_json::json!("NOT-A-VACCINE");
    let issues = value_sets().check(&doc);
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].path, "v[0].mp");
    assert!(!issues[0].advisory);
    let mut t = payload(certificate::payload::CertificateType::Test)
        .to_json()
        .expect("json");
    t["t"][0]["ma"] = serde_json::json!("9999");
    let issues = value_sets().check(&t);
    assert_eq!(issues.len(), 1);
    assert!(issues[0].advisory, "the RAT list is an example only");
}
