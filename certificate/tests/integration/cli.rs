//! The `dcc` command end to end: keys, issue, verify (text and image), conformance and
//! rule tests, and exit codes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use super::common::testdata;

fn dcc(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dcc"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("dcc runs")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dcc-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn last_line(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn keys_issue_verify() {
    let dir = scratch("flow");
    let out = dcc(&["keys", "init", "--out", "keys"], &dir);
    assert!(out.status.success(), "{out:?}");
    let payload = r#"{"ver":"1.3.0","nam":{"fn":"Ærø","gn":"Søren"},"dob":"1970",
        "r":[{"tg":"840539006","fr":"2021-05-01","co":"DK","is":"Sundhedsdatastyrelsen",
              "df":"2021-05-12","du":"2021-10-28","ci":"URN:UVCI:01:DK:ABC123#4"}]}"#;
    std::fs::write(dir.join("payload.json"), payload).expect("payload");
    let schemas = testdata("dcc-schema");
    let out = dcc(
        &[
            "issue",
            "payload.json",
            "--key",
            "keys/dsc-recovery.key.pem",
            "--cert",
            "keys/dsc-recovery.pem",
            "--schemas",
            schemas.to_str().expect("utf-8"),
            "--png",
            "qr.png",
            "--svg",
            "qr.svg",
        ],
        &dir,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let hc1 = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert!(hc1.starts_with("HC1:"));

    let out = dcc(
        &[
            "verify",
            "qr.png",
            "--trust",
            "keys/trust-list.json",
            "--json",
        ],
        &dir,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json report");
    assert_eq!(report["valid"], true);
    assert_eq!(
        report["decoded"]["dcc"]["nam"]["fnt"], "AEROE",
        "fnt derived from fn"
    );

    // Signed by the recovery DSC, verified against the test DSC only: unknown kid, exit 1.
    let out = dcc(&["verify", &hc1, "--trust", "keys/dsc-test.pem"], &dir);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("FAILED   kid"));

    // A payload the schema rejects is not signed.
    std::fs::write(
        dir.join("bad.json"),
        payload.replace("\"dob\":\"1970\"", "\"dob\":\"70\""),
    )
    .expect("bad");
    let out = dcc(
        &[
            "issue",
            "bad.json",
            "--key",
            "keys/dsc-recovery.key.pem",
            "--cert",
            "keys/dsc-recovery.pem",
        ],
        &dir,
    );
    assert_eq!(out.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn conformance_and_rule_tests_end_with_the_count_line() {
    let dir = scratch("runners");
    let common = testdata("dcc/common");
    let out = dcc(&["conformance", common.to_str().expect("utf-8")], &dir);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let last = last_line(&out);
    assert!(last.ends_with(" passed, 0 failed"), "{last}");

    let rules = testdata("business-rules/EU");
    let out = dcc(&["rules", "test", rules.to_str().expect("utf-8")], &dir);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(last_line(&out).ends_with(" passed, 0 failed"));
    let _ = std::fs::remove_dir_all(&dir);
}
