//! The venue verifier page (`/verifier`): served from the binary with its headers, its
//! JavaScript verifier agreeing with the Rust one step by step on every visible EU test
//! vector, and (in `verifier_browser`) a headless Chromium reading passes from a fake camera.

use std::path::PathBuf;
use std::process::Command;

use base64::Engine as _;
use certificate::schema::SchemaSet;
use certificate::trust::{AllowedTypes, TrustList, TrustedCertificate};
use certificate::verify::Verifier;
use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

/// The verifier page's folder (sources, vendor/, Node tests, package.json).
pub fn page_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("verifier")
}

pub fn shared_dir(name: &str) -> PathBuf {
    let local = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/testdata")
        .join(name);
    if local.exists() {
        local
    } else {
        PathBuf::from("/work/shared/testdata").join(name)
    }
}

/// Runs `node` with `args` in the page folder. Fails (never skips) when Node is missing.
#[track_caller]
pub fn run_node(args: &[&str]) -> String {
    let out = Command::new("node")
        .args(args)
        .current_dir(page_dir())
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run node ({e}): install Node.js 20+ (./infra/setup does)")
        });
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "node {args:?} failed: {}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// A trust-list document in exactly the shape `GET /v1/verifier/trust-list` serves
/// (`service::verifier::trust_list`).
pub fn trust_list_document(certs: &[TrustedCertificate]) -> Value {
    let certificates: Vec<Value> = certs
        .iter()
        .map(|c| {
            let types: Vec<&str> = match c.allowed_types() {
                AllowedTypes::All => certificate::payload::CertificateType::ALL
                    .iter()
                    .map(|t| t.key())
                    .collect(),
                AllowedTypes::Only(set) => set.iter().map(|t| t.key()).collect(),
            };
            json!({
                "kid": c.kid().to_base64(),
                "country": c.country(),
                "certificate": base64::engine::general_purpose::STANDARD.encode(c.der()),
                "allowed_types": types,
                "not_before": c.not_before(),
                "not_after": c.not_after(),
            })
        })
        .collect();
    json!({ "certificates": certificates })
}

/// The steps both verifiers report, in order.
const STEPS: [&str; 12] = [
    "prefix",
    "base45",
    "inflate",
    "cose",
    "cwt",
    "kid",
    "signature",
    "expiry",
    "key_usage",
    "schema",
    "revocation",
    "rules",
];

/// A vector without a VALIDATIONCLOCK is verified on both sides at this fixed instant.
const DEFAULT_CLOCK: &str = "2021-07-01T12:00:00Z";

/// One vector as the page would get it, plus what the Rust verifier said.
struct Case {
    id: String,
    text: String,
    trust: Value,
    clock: DateTime<Utc>,
    expected: Value,
}

/// `{step: {status, detail?}}` from a Rust report (detail only for not_run).
fn statuses(report: &certificate::verify::Report) -> Value {
    let v = serde_json::to_value(report).expect("report serialises");
    let mut out = serde_json::Map::new();
    for step in STEPS {
        let s = &v[step];
        let status = s["status"].as_str().expect("status").to_owned();
        let entry = if status == "not_run" {
            json!({ "status": status, "detail": s["detail"] })
        } else {
            json!({ "status": status })
        };
        out.insert(step.to_owned(), entry);
    }
    json!({ "valid": report.is_valid(), "steps": out })
}

fn vector_cases(schemas: &SchemaSet, rules: &[certlogic::rules::Rule]) -> (Vec<Case>, usize) {
    let dir = shared_dir("dcc");
    let files = certificate::fs::vector_files(&dir).expect("vector files");
    let value_sets = certificate::fs::load_value_sets(&shared_dir("dcc-valuesets")).expect("vs");
    let empty = certificate::revocation::RevocationList::new();
    let mut cases = Vec::new();
    let mut without_text = 0;
    for path in files {
        let content = std::fs::read_to_string(&path).expect("vector");
        let Ok(doc) = serde_json::from_str::<Value>(&content) else {
            continue;
        };
        if doc.get("EXPECTEDRESULTS").is_none() {
            continue;
        }
        let text = match (doc["PREFIX"].as_str(), doc["BASE45"].as_str()) {
            (Some(p), _) => p.to_owned(),
            (None, Some(b)) => format!("HC1:{b}"),
            (None, None) => {
                without_text += 1;
                continue;
            }
        };
        let ctx = &doc["TESTCTX"];
        let dsc = ctx["CERTIFICATE"]
            .as_str()
            .and_then(|b| {
                base64::engine::general_purpose::STANDARD
                    .decode(b.trim())
                    .ok()
            })
            .and_then(|der| TrustedCertificate::from_der(&der, None).ok());
        let mut trust = TrustList::new();
        let certs: Vec<TrustedCertificate> = dsc.into_iter().collect();
        for c in &certs {
            trust.add(c.clone());
        }
        let clock = ctx["VALIDATIONCLOCK"]
            .as_str()
            .or(ctx["validationClockInstant"].as_str())
            .and_then(certificate::conformance::parse_clock)
            .unwrap_or_else(|| {
                certificate::conformance::parse_clock(DEFAULT_CLOCK).expect("default clock")
            });
        let mut verifier = Verifier::new(&trust, "DK")
            .with_schemas(schemas)
            .with_revocation(&empty);
        if !rules.is_empty() {
            verifier = verifier.with_value_sets(&value_sets).with_rules(rules);
        }
        let report = verifier.verify(&text, clock);
        let id = path
            .strip_prefix(&dir)
            .unwrap_or(&path)
            .display()
            .to_string();
        cases.push(Case {
            id,
            text,
            trust: trust_list_document(&certs),
            clock,
            expected: statuses(&report),
        });
    }
    (cases, without_text)
}

/// Runs the JS verifier over `cases` in Node; returns its results by id.
fn run_js(cases: &[Case], rules: &Value, tag: &str) -> Vec<Value> {
    let dir = std::env::temp_dir().join(format!("verifier-xcheck-{tag}-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("tmp");
    let input = dir.join("in.json");
    let output = dir.join("out.json");
    let doc = json!({
        "cases": cases.iter().map(|c| json!({
            "id": c.id,
            "text": c.text,
            "trust_list": c.trust,
            "revocations": {"kids": {}},
            "rules": rules,
            "clock": c.clock.to_rfc3339(),
            "country": "DK",
        })).collect::<Vec<_>>()
    });
    std::fs::write(&input, serde_json::to_vec(&doc).expect("json")).expect("write inputs");
    run_node(&[
        "tools/run-vectors.mjs",
        input.to_str().expect("utf-8 path"),
        output.to_str().expect("utf-8 path"),
    ]);
    let out: Value =
        serde_json::from_slice(&std::fs::read(&output).expect("node output")).expect("json");
    let _ = std::fs::remove_dir_all(&dir);
    out["results"].as_array().expect("results").clone()
}

/// Compares both verifiers on every case; returns (agreements, disagreement lines).
fn compare(cases: &[Case], js: &[Value]) -> (usize, Vec<String>) {
    assert_eq!(js.len(), cases.len(), "one JS result per case");
    let mut agree = 0;
    let mut diffs = Vec::new();
    for (case, got) in cases.iter().zip(js) {
        assert_eq!(got["id"], case.id.as_str());
        if let Some(e) = got.get("error") {
            diffs.push(format!("{}: JS verifier threw: {e}", case.id));
            continue;
        }
        let mut same = got["valid"] == case.expected["valid"];
        let mut detail = Vec::new();
        for step in STEPS {
            if got["steps"][step] != case.expected["steps"][step] {
                same = false;
                detail.push(format!(
                    "{step}: rust {} js {}",
                    case.expected["steps"][step], got["steps"][step]
                ));
            }
        }
        if same {
            agree += 1;
        } else {
            diffs.push(format!(
                "{}: valid rust {} js {}; {}",
                case.id,
                case.expected["valid"],
                got["valid"],
                detail.join(", ")
            ));
        }
    }
    (agree, diffs)
}

fn load_schemas() -> SchemaSet {
    certificate::fs::load_schemas(&shared_dir("dcc-schema")).expect("schemas")
}

#[test]
fn the_page_verifier_agrees_with_dcc_verify_on_every_visible_vector() {
    let schemas = load_schemas();
    let (cases, without_text) = vector_cases(&schemas, &[]);
    assert!(cases.len() > 350, "only {} vectors found", cases.len());
    let js = run_js(&cases, &json!([]), "plain");
    let (agree, diffs) = compare(&cases, &js);
    let valid = cases.iter().filter(|c| c.expected["valid"] == true).count();
    println!(
        "verifier page cross-check: {} vectors with an HC1 text ({valid} valid for Rust), {agree} agree on all 12 steps and the verdict, {} differ; {without_text} vector files carry no PREFIX/BASE45",
        cases.len(),
        diffs.len()
    );
    assert!(diffs.is_empty(), "disagreements:\n{}", diffs.join("\n"));
}

#[test]
fn the_page_verifier_agrees_with_dcc_verify_under_the_eu_business_rules() {
    let schemas = load_schemas();
    let published = pass_service::service::verifier::load_rules(
        shared_dir("business-rules")
            .join("EU")
            .to_str()
            .expect("utf-8"),
    )
    .expect("EU rules");
    let rules_json: Value = serde_json::from_slice(&published.body).expect("rules json");
    let rules: Vec<certlogic::rules::Rule> = rules_json
        .as_array()
        .expect("rules array")
        .iter()
        .map(|r| certlogic::rules::Rule::from_json(r).expect("rule"))
        .collect();
    assert!(rules.len() >= 10, "EU rules loaded: {}", rules.len());
    let (cases, _) = vector_cases(&schemas, &rules);
    let js = run_js(&cases, &rules_json, "rules");
    let (agree, diffs) = compare(&cases, &js);
    let outcome = |s: &str| {
        cases
            .iter()
            .filter(|c| c.expected["steps"]["rules"]["status"] == s)
            .count()
    };
    println!(
        "verifier page cross-check with {} EU rules: {} vectors, {agree} agree; rules step for Rust: {} passed, {} failed, {} not run; {} differ",
        rules.len(),
        cases.len(),
        outcome("passed"),
        outcome("failed"),
        outcome("not_run"),
        diffs.len()
    );
    assert!(outcome("passed") > 0 && outcome("failed") > 0, "rules must both pass and fail somewhere");
    assert!(diffs.is_empty(), "disagreements:\n{}", diffs.join("\n"));
}

#[test]
fn the_page_verifier_passes_its_node_tests() {
    // Domestic passes signed in Node with WebCrypto, CertLogic's own test suite, and the
    // EU business-rule tests, all against the page's modules.
    let out = run_node(&["--test", "test/"]);
    println!("{out}");
    assert!(out.contains("# fail 0"), "{out}");
}

fn header(r: &reqwest::Response, name: &str) -> String {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn the_page_is_served_from_the_binary_with_a_strict_policy() {
    let app = spawn_app().await;
    for (path, file, content_type) in [
        ("/verifier", "index.html", "text/html; charset=utf-8"),
        ("/verifier/", "index.html", "text/html; charset=utf-8"),
        (
            "/verifier/js/verify.js",
            "js/verify.js",
            "text/javascript; charset=utf-8",
        ),
        ("/verifier/style.css", "style.css", "text/css; charset=utf-8"),
        (
            "/verifier/sw.js",
            "sw.js",
            "text/javascript; charset=utf-8",
        ),
        (
            "/verifier/manifest.webmanifest",
            "manifest.webmanifest",
            "application/manifest+json",
        ),
    ] {
        let r = app.get(path, None).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert_eq!(header(&r, "content-type"), content_type, "{path}");
        let csp = header(&r, "content-security-policy");
        assert!(csp.contains("default-src 'self'"), "{path}: {csp}");
        assert!(csp.contains("connect-src 'self'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-eval") && !csp.contains("http"), "{path}: {csp}");
        assert_eq!(header(&r, "x-content-type-options"), "nosniff");
        assert!(!header(&r, "cache-control").is_empty(), "{path}");
        let etag = header(&r, "etag");
        assert!(etag.starts_with('"'), "{path}: {etag}");
        let body = r.bytes().await.expect("body");
        let on_disk = std::fs::read(page_dir().join(file)).expect("source file");
        assert_eq!(body.as_ref(), on_disk.as_slice(), "{path} is the committed file");
        let again = app
            .http
            .get(format!("{}{path}", app.address))
            .header("If-None-Match", &etag)
            .send()
            .await
            .expect("revalidate");
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path}");
    }
    for missing in ["/verifier/nope.js", "/verifier/../Cargo.toml", "/verifier/js/"] {
        let r = app.get(missing, None).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{missing}");
    }
    let r = app.get("/verifier", None).await;
    let html = r.text().await.expect("html");
    // Every script and stylesheet is same-origin (no CDN).
    assert!(!html.contains("https://") && !html.contains("http://"));
}
