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

#[test]
fn verify_reads_danish_domestic_passes() {
    use certificate::domestic::{self, Contents, Name};
    use certificate::issue::{Claims, Issuer};
    use certificate::payload::PersonName;
    use certificate::sign::Es256Signer;

    let dir = scratch("domestic");
    let out = dcc(&["keys", "init", "--out", "keys", "--one-for-all"], &dir);
    assert!(out.status.success(), "{out:?}");
    let key = std::fs::read_to_string(dir.join("keys/dsc-all.key.pem")).expect("key");
    let cert = std::fs::read(dir.join("keys/dsc-all.pem")).expect("cert");
    let mut issuer = Issuer::new(Es256Signer::from_pem(&key, &cert).expect("signer"));
    let now = chrono::Utc::now().timestamp();
    let claims = Claims {
        issuer: "DK".into(),
        // `keys init` makes the DSC valid from now on.
        issued_at: now + 1,
        expires_at: now + 3600,
    };
    let contents = Contents::WithIdentity {
        nam: Name::from_person(&PersonName::new("Ærø", Some("Søren")).expect("name")),
        dob: chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("date"),
    };
    let pass = domestic::issue(&mut issuer, &contents, &claims).expect("issued");
    std::fs::write(
        dir.join("qr.png"),
        certificate::qr::render_png(&pass.text, Default::default()).expect("png"),
    )
    .expect("png written");

    // Verified a minute on (iat is a second ahead of the DSC's notBefore).
    let soon = (chrono::Utc::now() + chrono::Duration::minutes(1)).to_rfc3339();
    let out = dcc(
        &[
            "verify",
            &pass.text,
            "--trust",
            "keys/trust-list.json",
            "--at",
            &soon,
        ],
        &dir,
    );
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.starts_with("VALID (Danish domestic pass, level 2)"),
        "{stdout}"
    );
    assert!(stdout.contains("Søren Ærø"), "{stdout}");

    let out = dcc(
        &[
            "verify",
            "qr.png",
            "--trust",
            "keys/trust-list.json",
            "--json",
            "--at",
            &soon,
        ],
        &dir,
    );
    assert!(out.status.success());
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report["format"], "DK1");
    assert_eq!(report["pass"]["level"], 2);
    assert_eq!(report["pass"]["contents"]["nam"]["fnt"], "AEROE");
    assert_eq!(report["pass"]["contents"]["dob"], "1970-01-01");

    // Revoked by its SIGNATURE hash, in the pass service's per-kid layout: exit 1.
    use base64::Engine as _;
    let hash = base64::engine::general_purpose::STANDARD.encode(pass.signature_hash);
    std::fs::write(
        dir.join("revoked.json"),
        serde_json::json!({"kids": {"any": {"SIGNATURE": [hash]}}}).to_string(),
    )
    .expect("revocations");
    let out = dcc(
        &[
            "verify",
            &pass.text,
            "--trust",
            "keys/trust-list.json",
            "--revocation",
            "revoked.json",
            "--json",
            "--at",
            &soon,
        ],
        &dir,
    );
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report["error"]["step"], "revoked");

    // Expired at the given clock.
    let later = (chrono::Utc::now() + chrono::Duration::hours(2)).to_rfc3339();
    let out = dcc(
        &[
            "verify",
            &pass.text,
            "--trust",
            "keys/trust-list.json",
            "--at",
            &later,
        ],
        &dir,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("expired"));
    let _ = std::fs::remove_dir_all(&dir);
}
