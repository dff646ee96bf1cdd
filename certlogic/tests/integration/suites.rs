//! Runs the CertLogic conformance suites and every business-rule test folder of
//! `shared/testdata`, asserting zero failures, and checks the runners' report format.

use std::fs;
use std::path::{Path, PathBuf};

use certlogic::ruletest::{self, KNOWN_UPSTREAM_ISSUES};

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/testdata")
}

/// Counts `*.json` files directly inside `dir`.
fn json_files(dir: &Path) -> usize {
    fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
                .count()
        })
        .unwrap_or(0)
}

#[test]
fn certlogic_conformance_suite() {
    let dir = testdata().join("certlogic/testSuite");
    let report = ruletest::run_conformance_dir(&dir);
    println!("{report}");
    // Count the assertions independently, so that none can go missing silently.
    let mut assertions = 0;
    for entry in fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let suite: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
        for case in suite["cases"].as_array().unwrap() {
            assertions += case["assertions"].as_array().unwrap().len();
        }
    }
    let known = report.known_issues().len();
    assert_eq!(report.failed(), 0, "{report}");
    // Every listed issue still fails; if one starts passing, the list must shrink.
    assert_eq!(known, KNOWN_UPSTREAM_ISSUES.len(), "{report}");
    assert_eq!(report.passed() + known, assertions);
    assert!(report.passed() >= 200, "{report}");
}

#[test]
fn certlogic_validation_suite() {
    let dir = testdata().join("certlogic/validation-testSuite");
    let report = ruletest::run_validation_dir(&dir);
    println!("{report}");
    assert_eq!(report.failed(), 0, "{report}");
    assert!(report.known_issues().is_empty());
    assert!(report.passed() >= 20, "{report}");
}

#[test]
fn business_rule_tests() {
    let dir = testdata().join("business-rules");
    let report = ruletest::run_dirs(std::slice::from_ref(&dir));
    println!("{report}");
    let mut tests = 0;
    let mut rules = 0;
    for country in fs::read_dir(&dir).unwrap() {
        let country = country.unwrap().path();
        for rule in fs::read_dir(&country).into_iter().flatten() {
            let rule = rule.unwrap().path();
            if rule.join("rule.json").is_file() {
                rules += 1;
                tests += json_files(&rule.join("tests"));
            }
        }
    }
    assert_eq!(report.failed(), 0, "{report}");
    assert_eq!(report.groups.len(), rules);
    assert_eq!(report.passed(), tests);
    assert!(tests >= 600 && rules >= 100);
}

/// A scratch folder under the system temp dir, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!(
            "certlogic-{tag}-{}-{:?}",
            std::process::id(),
            std::time::SystemTime::now()
        ));
        fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn write(&self, rel: &str, text: &str) {
        let path = self.0.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

const RULE: &str = r#"{
  "Identifier": "VR-XX-0001", "Type": "Acceptance", "Country": "XX", "Version": "1.0.0",
  "SchemaVersion": "1.3.0", "Engine": "CERTLOGIC", "EngineVersion": "1.0.0",
  "CertificateType": "Vaccination", "Description": [{ "lang": "en", "desc": "dose 2" }],
  "ValidFrom": "2021-06-01T00:00:00Z", "ValidTo": "2030-06-01T00:00:00Z",
  "AffectedFields": ["v.0.dn"],
  "Logic": { "if": [{ "var": "payload.v.0" }, { ">=": [{ "var": "payload.v.0.dn" }, 2] }, true] }
}"#;

#[test]
fn rule_test_report_lists_failures_and_ends_with_the_counts() {
    let scratch = Scratch::new("report");
    scratch.write("XX/VR-XX-0001/rule.json", RULE);
    scratch.write(
        "XX/VR-XX-0001/tests/test001.json",
        r#"{ "name": "two doses", "payload": { "v": [{ "dn": 2 }] }, "expected": true, "external": {} }"#,
    );
    scratch.write(
        "XX/VR-XX-0001/tests/test002.json",
        r#"{ "name": "wrong expectation", "payload": { "v": [{ "dn": 1 }] }, "expected": true, "external": {} }"#,
    );
    scratch.write(
        "XX/VR-XX-0001/tests/test003.json",
        r#"{ "name": "type error", "payload": { "v": [{ "dn": "2" }] }, "expected": true, "external": {} }"#,
    );
    scratch.write(
        "XX/VR-XX-0001/tests/test004.json",
        r#"[{ "name": "no payload", "expected": true }, { "name": "no v", "payload": {}, "expected": true }]"#,
    );
    scratch.write("XX/VR-XX-0002/rule.json", "{ not json");
    scratch.write("XX/VR-XX-0002/tests/test001.json", "{}");
    scratch.write("XX/notes/readme.json", "{}");

    let report = ruletest::run_dirs(std::slice::from_ref(&scratch.0));
    let text = report.to_string();
    println!("{text}");
    assert_eq!(report.passed(), 3);
    assert_eq!(report.failed(), 3);
    assert_eq!(text.lines().last(), Some("3 passed, 3 failed"));
    assert_eq!(text.lines().filter(|l| l.starts_with("FAIL ")).count(), 3);
    assert!(text.contains("\"wrong expectation\": expected true, got false"));
    assert!(text.contains("\"type error\": expected true, got error"));
    assert!(text.contains("VR-XX-0001: 3 passed, 2 failed"));

    // A folder that holds no rule folder at all, or does not exist, is a failure too.
    let missing = scratch.0.join("nope");
    let report = ruletest::run_dirs(&[missing, scratch.0.join("XX/notes")]);
    assert_eq!(report.passed(), 0);
    assert_eq!(report.failed(), 2);
    assert!(report.to_string().ends_with("0 passed, 2 failed"));
}

#[test]
fn conformance_runner_catches_wrong_expectations() {
    let scratch = Scratch::new("suite");
    scratch.write(
        "suite/a.json",
        r#"{ "name": "a", "cases": [
            { "name": "plus", "certLogicExpression": { "+": [{ "var": "x" }, 1] },
              "assertions": [ { "data": { "x": 1 }, "expected": 2 },
                              { "data": { "x": 1 }, "expected": 3 },
                              { "data": { "x": "1" }, "expected": 2, "directive": "skip" } ] },
            { "name": "own expression",
              "assertions": [ { "certLogicExpression": { "!": [[]] }, "data": null, "expected": true } ] }
        ] }"#,
    );
    let report = ruletest::run_conformance_dir(&scratch.0.join("suite"));
    println!("{report}");
    assert_eq!((report.passed(), report.failed()), (2, 2));
    assert!(report.to_string().ends_with("2 passed, 2 failed"));
}
