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
    /// The served revocation document the page gets.
    revocations: Value,
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

/// One visible vector as the page would get it: the HC1 text, its DSC, the clock.
struct VectorInput {
    id: String,
    text: String,
    certs: Vec<TrustedCertificate>,
    clock: DateTime<Utc>,
}

/// Every vector file with EXPECTEDRESULTS; also how many carry no PREFIX/BASE45.
fn vector_inputs() -> (Vec<VectorInput>, usize) {
    let dir = shared_dir("dcc");
    let files = certificate::fs::vector_files(&dir).expect("vector files");
    let mut inputs = Vec::new();
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
        let certs: Vec<TrustedCertificate> = ctx["CERTIFICATE"]
            .as_str()
            .and_then(|b| {
                base64::engine::general_purpose::STANDARD
                    .decode(b.trim())
                    .ok()
            })
            .and_then(|der| TrustedCertificate::from_der(&der, None).ok())
            .into_iter()
            .collect();
        let clock = ctx["VALIDATIONCLOCK"]
            .as_str()
            .or(ctx["validationClockInstant"].as_str())
            .and_then(certificate::conformance::parse_clock)
            .unwrap_or_else(|| {
                certificate::conformance::parse_clock(DEFAULT_CLOCK).expect("default clock")
            });
        let id = path
            .strip_prefix(&dir)
            .unwrap_or(&path)
            .display()
            .to_string();
        inputs.push(VectorInput {
            id,
            text,
            certs,
            clock,
        });
    }
    (inputs, without_text)
}

/// Runs the Rust verifier (as `dcc verify` with schemas, an empty revocation list and
/// optionally rules) on each input.
fn rust_cases(
    inputs: &[VectorInput],
    schemas: &SchemaSet,
    rules: &[certlogic::rules::Rule],
) -> Vec<Case> {
    let value_sets = certificate::fs::load_value_sets(&shared_dir("dcc-valuesets")).expect("vs");
    let empty = certificate::revocation::RevocationList::new();
    inputs
        .iter()
        .map(|input| {
            let mut trust = TrustList::new();
            for c in &input.certs {
                trust.add(c.clone());
            }
            let mut verifier = Verifier::new(&trust, "DK")
                .with_schemas(schemas)
                .with_revocation(&empty);
            if !rules.is_empty() {
                verifier = verifier.with_value_sets(&value_sets).with_rules(rules);
            }
            let report = verifier.verify(&input.text, input.clock);
            Case {
                id: input.id.clone(),
                text: input.text.clone(),
                trust: trust_list_document(&input.certs),
                revocations: json!({ "kids": {} }),
                clock: input.clock,
                expected: statuses(&report),
            }
        })
        .collect()
}

fn vector_cases(schemas: &SchemaSet, rules: &[certlogic::rules::Rule]) -> (Vec<Case>, usize) {
    let (inputs, without_text) = vector_inputs();
    (rust_cases(&inputs, schemas, rules), without_text)
}

/// Damaged variants of a vector's text, each breaking one layer: a changed Base45
/// character, a cut Base45 text, bytes after the zlib stream, a cut zlib stream, a cut
/// COSE, and one flipped byte at several places of the COSE (headers, payload, signature).
fn mutations(
    input: &VectorInput,
    compressor: &mut certificate::issue::Issuer<certificate::sign::Es256Signer>,
) -> Vec<VectorInput> {
    let mut out = Vec::new();
    let mut push = |tag: &str, text: String| {
        out.push(VectorInput {
            id: format!("{}#{tag}", input.id),
            text,
            certs: input.certs.clone(),
            clock: input.clock,
        });
    };
    let Some(body) = input.text.strip_prefix("HC1:") else {
        return out;
    };
    let bytes = body.as_bytes();
    if bytes.len() > 10 {
        let mut changed = bytes.to_vec();
        let i = bytes.len() / 2;
        changed[i] = if changed[i] == b'A' { b'B' } else { b'A' };
        push(
            "b45-char",
            format!("HC1:{}", String::from_utf8_lossy(&changed)),
        );
        push("b45-cut", format!("HC1:{}", &body[..body.len() - 3]));
        push("lower", format!("HC1:{}", body.to_ascii_lowercase()));
    }
    let Ok(compressed) = certificate::base45::decode(body) else {
        return out;
    };
    let mut junk = compressed.clone();
    junk.extend_from_slice(&[0x00, 0xff, 0x13]);
    push(
        "zlib-junk",
        format!("HC1:{}", certificate::base45::encode(&junk)),
    );
    if compressed.len() > 8 {
        push(
            "zlib-cut",
            format!(
                "HC1:{}",
                certificate::base45::encode(&compressed[..compressed.len() - 6])
            ),
        );
    }
    let Ok(cose) =
        certificate::codec::inflate(&compressed, certificate::codec::DEFAULT_MAX_INFLATED)
    else {
        return out;
    };
    let encode = |c: &mut certificate::issue::Issuer<certificate::sign::Es256Signer>,
                  bytes: &[u8]| {
        c.encode_cose(bytes).expect("compress").into_string()
    };
    if cose.len() > 4 {
        push("cose-cut", encode(compressor, &cose[..cose.len() - 1]));
        let mut trailing = cose.clone();
        trailing.push(0x00);
        push("cose-trailing", encode(compressor, &trailing));
    }
    for (k, at) in [3usize, 12, cose.len() / 3, cose.len() / 2, cose.len() - 5]
        .into_iter()
        .enumerate()
    {
        if at < cose.len() {
            let mut flipped = cose.clone();
            flipped[at] ^= 0x01;
            push(&format!("cose-flip{k}"), encode(compressor, &flipped));
        }
    }
    out
}

#[test]
fn the_page_verifier_computes_the_same_revocation_hashes() {
    use certificate::revocation::{self, HashType, RevocationList};
    let schemas = load_schemas();
    let (inputs, _) = vector_inputs();
    let b64 = |h: &[u8]| base64::engine::general_purpose::STANDARD.encode(h);
    let mut cases = Vec::new();
    for input in &inputs {
        // The hashes as the Rust library computes them from the decoded certificate.
        let Some(body) = input.text.strip_prefix("HC1:") else {
            continue;
        };
        let Some(cose) = certificate::base45::decode(body).ok().and_then(|z| {
            certificate::codec::inflate(&z, certificate::codec::DEFAULT_MAX_INFLATED).ok()
        }) else {
            continue;
        };
        let Ok(msg) = certificate::codec::parse_cose(&cose) else {
            continue;
        };
        let Ok(cwt) = certificate::codec::parse_cwt(msg.payload()) else {
            continue;
        };
        let hashes = revocation::hashes(&cwt.dcc, msg.algorithm(), msg.signature());
        let kinds = [
            (HashType::Uci, hashes.uci),
            (HashType::CountryCodeUci, hashes.country_code_uci),
            (HashType::Signature, Some(hashes.signature)),
        ];
        for (kind, hash) in kinds {
            let Some(hash) = hash else { continue };
            let mut list = RevocationList::new();
            list.add(kind, hash);
            let mut trust = TrustList::new();
            for c in &input.certs {
                trust.add(c.clone());
            }
            let report = Verifier::new(&trust, "DK")
                .with_schemas(&schemas)
                .with_revocation(&list)
                .verify(&input.text, input.clock);
            assert!(report.revocation.failed(), "{}: {kind} listed", input.id);
            cases.push(Case {
                id: format!("{}#{kind}", input.id),
                text: input.text.clone(),
                trust: trust_list_document(&input.certs),
                revocations: json!({ "kids": { "any": { kind.to_string(): [b64(&hash)] } } }),
                clock: input.clock,
                expected: statuses(&report),
            });
        }
    }
    assert!(cases.len() > 1000, "{} revocation cases", cases.len());
    let js = run_js(&cases, &json!([]), "revocation");
    let (agree, diffs) = compare(&cases, &js);
    let count = |suffix: &str| cases.iter().filter(|c| c.id.ends_with(suffix)).count();
    println!(
        "verifier page revocation cross-check: {} cases ({} UCI, {} COUNTRYCODEUCI, {} SIGNATURE), {agree} agree, {} differ",
        cases.len(),
        count("#UCI"),
        count("#COUNTRYCODEUCI"),
        count("#SIGNATURE"),
        diffs.len()
    );
    assert!(diffs.is_empty(), "disagreements:\n{}", diffs.join("\n"));
}

#[test]
fn the_page_verifier_agrees_with_dcc_verify_on_damaged_vectors() {
    use certificate::devkeys::{self, DscLayout};
    let schemas = load_schemas();
    let (inputs, _) = vector_inputs();
    // The issuer is only used for its zlib compressor (encode_cose signs nothing).
    let keys = devkeys::generate(
        "DK",
        DscLayout::OneForAll,
        std::time::SystemTime::now(),
        30,
        30,
    )
    .expect("dev keys");
    let signer = certificate::sign::Es256Signer::from_pkcs8_der(
        &keys.dscs[0].private_key_pkcs8,
        &keys.dscs[0].certificate_der,
    )
    .expect("signer");
    let mut compressor = certificate::issue::Issuer::new(signer);
    let damaged: Vec<VectorInput> = inputs
        .iter()
        .flat_map(|i| mutations(i, &mut compressor))
        .collect();
    assert!(damaged.len() > 3000, "{} damaged variants", damaged.len());
    let cases = rust_cases(&damaged, &schemas, &[]);
    let js = run_js(&cases, &json!([]), "damaged");
    let (agree, diffs) = compare(&cases, &js);
    let first_failure = |step: &str| {
        cases
            .iter()
            .filter(|c| {
                STEPS
                    .iter()
                    .find(|s| c.expected["steps"][**s]["status"] == "failed")
                    .is_some_and(|s| *s == step)
            })
            .count()
    };
    println!(
        "verifier page cross-check on damaged vectors: {} variants of {} vectors, {agree} agree, {} differ; first failing step for Rust: {}",
        cases.len(),
        inputs.len(),
        diffs.len(),
        STEPS
            .iter()
            .map(|s| format!("{s} {}", first_failure(s)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    assert!(diffs.is_empty(), "disagreements:\n{}", diffs.join("\n"));
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
            "revocations": c.revocations,
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
    assert!(
        outcome("passed") > 0 && outcome("failed") > 0,
        "rules must both pass and fail somewhere"
    );
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
        (
            "/verifier/style.css",
            "style.css",
            "text/css; charset=utf-8",
        ),
        ("/verifier/sw.js", "sw.js", "text/javascript; charset=utf-8"),
        (
            "/verifier/vendor/LICENSES.txt",
            "vendor/LICENSES.txt",
            "text/plain; charset=utf-8",
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
        assert!(
            !csp.contains("unsafe-eval") && !csp.contains("http"),
            "{path}: {csp}"
        );
        assert_eq!(header(&r, "x-content-type-options"), "nosniff");
        assert!(!header(&r, "cache-control").is_empty(), "{path}");
        let etag = header(&r, "etag");
        assert!(etag.starts_with('"'), "{path}: {etag}");
        let body = r.bytes().await.expect("body");
        let on_disk = std::fs::read(page_dir().join(file)).expect("source file");
        assert_eq!(
            body.as_ref(),
            on_disk.as_slice(),
            "{path} is the committed file"
        );
        let again = app
            .http
            .get(format!("{}{path}", app.address))
            .header("If-None-Match", &etag)
            .send()
            .await
            .expect("revalidate");
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path}");
    }
    for missing in [
        "/verifier/nope.js",
        "/verifier/../Cargo.toml",
        "/verifier/js/",
    ] {
        let r = app.get(missing, None).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{missing}");
    }
    // The service worker caches every page file, and each one is served.
    let sw = std::fs::read_to_string(page_dir().join("sw.js")).expect("sw.js");
    let listed: Vec<String> = sw
        .lines()
        .map(str::trim)
        .filter_map(|l| l.strip_prefix('\'')?.strip_suffix("',").map(str::to_owned))
        .collect();
    for dir in ["js", "vendor"] {
        for entry in std::fs::read_dir(page_dir().join(dir)).expect("page dir") {
            let name = entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned();
            if name.ends_with(".js") {
                let file = format!("{dir}/{name}");
                assert!(listed.contains(&file), "sw.js does not cache {file}");
            }
        }
    }
    assert!(listed.len() > 10, "{listed:?}");
    for file in &listed {
        let r = app.get(&format!("/verifier/{file}"), None).await;
        assert_eq!(r.status(), StatusCode::OK, "{file}");
    }
    let r = app.get("/verifier", None).await;
    let html = r.text().await.expect("html");
    // Every script and stylesheet is same-origin (no CDN).
    assert!(!html.contains("https://") && !html.contains("http://"));
}

/// Development keys whose DSC became valid ten days ago, so a pass can honestly be
/// issued in the past and have expired since.
fn keys_from_ten_days_ago() -> PathBuf {
    use certificate::devkeys::{self, DscLayout};
    let dir = std::env::temp_dir().join(format!("verifier-browser-keys-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("key dir");
    let start = std::time::SystemTime::now() - std::time::Duration::from_secs(10 * 86_400);
    let set = devkeys::generate("DK", DscLayout::OneForAll, start, 3650, 365).expect("dev keys");
    let dsc = &set.dscs[0];
    std::fs::write(dir.join("dsc-key.der"), &dsc.private_key_pkcs8).expect("write key");
    std::fs::write(dir.join("dsc.der"), &dsc.certificate_der).expect("write dsc");
    dir
}

async fn issued_pass(app: &TestApp, token: &str, kind: &str) -> (String, Vec<u8>) {
    let r = app
        .post(&format!("/v1/me/passes/{kind}"), token, json!({}))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED, "{kind} pass");
    let pass: Value = r.json().await.expect("pass json");
    let hc1 = pass["hc1"].as_str().expect("hc1").to_owned();
    let r = app
        .get(&format!("/v1/me/passes/{kind}/qr.png"), Some(token))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    (hc1, r.bytes().await.expect("png").to_vec())
}

#[tokio::test]
async fn chromium_scans_passes_from_a_fake_camera_and_shows_the_verdict() {
    let chromium = PathBuf::from("/usr/bin/chromium");
    assert!(
        chromium.exists(),
        "Chromium is missing at /usr/bin/chromium: apt-get install chromium (./infra/setup does)"
    );
    assert!(
        page_dir().join("node_modules/playwright-core").exists(),
        "playwright-core is missing: run `npm ci` in certificate/service/verifier (./infra/setup does)"
    );
    let keys = keys_from_ten_days_ago();
    let key_path = keys.join("dsc-key.der");
    let dsc_path = keys.join("dsc.der");
    // Danish domestic passes signed in Node by a DSC the service publishes as well (the
    // service does not issue them yet; the page reads them to their spec).
    let domestic_dir = keys.join("domestic");
    std::fs::create_dir_all(&domestic_dir).expect("domestic dir");
    run_node(&[
        "tools/make-domestic.mjs",
        domestic_dir.to_str().expect("utf-8"),
    ]);
    let domestic: Value =
        serde_json::from_slice(&std::fs::read(domestic_dir.join("passes.json")).expect("passes"))
            .expect("json");
    let domestic_dsc = domestic_dir.join("dsc.der");
    let app = spawn_app_with(|s| {
        s.signing.key_path = key_path.display().to_string();
        s.signing.dsc_path = dsc_path.display().to_string();
        s.signing.extra_trusted_dsc_paths = vec![domestic_dsc.display().to_string()];
    })
    .await;

    // A valid vaccination pass.
    app.add_citizen(CPR, "Søren", "Ærø").await;
    let r = app
        .post(
            "/v1/register/vaccinations",
            &app.site,
            vaccination("v-1", CPR, 2),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let citizen = app.citizen(CPR).await;
    let (valid_hc1, valid_png) = issued_pass(&app, &citizen, "vaccination").await;

    // A pass revoked because its record was entered in error.
    app.add_citizen(OTHER_CPR, "Anna", "Hansen").await;
    let r = app
        .post(
            "/v1/register/vaccinations",
            &app.site,
            vaccination("v-2", OTHER_CPR, 1),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let other = app.citizen(OTHER_CPR).await;
    let (revoked_hc1, revoked_png) = issued_pass(&app, &other, "vaccination").await;
    let r = app.delete("/v1/register/vaccinations/v-2", &app.site).await;
    assert_eq!(r.status(), StatusCode::OK);

    // An expired test pass: the service's own test pass for this person, signed again with
    // the service's key as issued four days ago and valid until yesterday.
    let r = app
        .post("/v1/register/tests", &app.site, negative_pcr("t-1", CPR))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let (test_hc1, _) = issued_pass(&app, &citizen, "test").await;
    let trust = app.trust_list().await;
    let (revoked, _) = app.revocation_list().await;
    let now = Utc::now();
    let decoded = Verifier::new(&trust, "DK")
        .verify(&test_hc1, now)
        .decoded
        .expect("test pass decodes");
    let signer = certificate::sign::Es256Signer::from_pkcs8_der(
        &std::fs::read(&key_path).expect("key"),
        &std::fs::read(&dsc_path).expect("dsc"),
    )
    .expect("signer");
    let mut issuer = certificate::issue::Issuer::new(signer);
    let claims = certificate::issue::Claims {
        issuer: "DK".into(),
        issued_at: now.timestamp() - 4 * 86_400,
        expires_at: now.timestamp() - 86_400,
    };
    let expired_hc1 = issuer
        .issue_json(&decoded.dcc, &claims)
        .expect("expired pass")
        .into_string();
    let expired_png =
        certificate::qr::render_png(&expired_hc1, certificate::qr::RenderOptions::default())
            .expect("png");

    // What dcc verify says about the three, so the page is held to the same verdicts.
    let rust = |hc1: &str| {
        Verifier::new(&trust, "DK")
            .with_revocation(&revoked)
            .verify(hc1, now)
    };
    assert!(rust(&valid_hc1).is_valid());
    assert!(rust(&expired_hc1).expiry.failed());
    assert!(rust(&revoked_hc1).revocation.failed());

    let work = std::env::temp_dir().join(format!("verifier-browser-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&work).expect("work dir");
    let mut camera = Vec::new();
    for (id, png) in [
        ("valid", &valid_png),
        ("expired", &expired_png),
        ("revoked", &revoked_png),
    ] {
        let path = work.join(format!("{id}.png"));
        std::fs::write(&path, png).expect("png file");
        camera.push(json!({ "id": id, "png": path.display().to_string() }));
    }
    let cases = json!({
        "base": app.address,
        "chromium": chromium.display().to_string(),
        "camera": camera,
        "paste": [
            { "id": "dk-level1", "text": domestic["level1"], "lang": "da" },
            { "id": "dk-level2", "text": domestic["level2"] },
            { "id": "dk-inconsistent", "text": domestic["inconsistent"] },
            { "id": "valid", "text": valid_hc1 },
            { "id": "expired-en", "text": expired_hc1, "lang": "en" },
            { "id": "garbage-en", "text": "HC1:NOT A PASS" },
        ],
        "photo": [{ "id": "revoked", "png": work.join("revoked.png").display().to_string() }],
        "offline_paste": [
            { "id": "valid", "text": valid_hc1 },
            { "id": "revoked", "text": revoked_hc1 },
        ],
    });
    let input = work.join("cases.json");
    let output = work.join("results.json");
    std::fs::write(&input, serde_json::to_vec(&cases).expect("json")).expect("cases");
    // Off the test's runtime thread: the service under test runs on it.
    let args = [
        "tools/browser-check.mjs".to_owned(),
        input.display().to_string(),
        output.display().to_string(),
    ];
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run_node(&args)
    })
    .await
    .expect("node runs");
    let results: Value =
        serde_json::from_slice(&std::fs::read(&output).expect("results")).expect("json");
    let _ = std::fs::remove_dir_all(&work);
    let _ = std::fs::remove_dir_all(&keys);
    println!(
        "browser: camera {:#}\npasted {:#}\noffline {:#}\n{} requests",
        results["camera"],
        results["paste"],
        results["offline_paste"],
        results["requests"].as_array().map_or(0, Vec::len)
    );

    let by_id = |list: &str, id: &str| -> Value {
        results[list]
            .as_array()
            .expect("list")
            .iter()
            .find(|r| r["id"] == id)
            .unwrap_or_else(|| panic!("no {list} result {id}: {results}"))
            .clone()
    };
    // Camera, Danish by default.
    let valid = by_id("camera", "valid");
    assert_eq!(valid["verdict"], "valid", "{valid}");
    assert_eq!(valid["title"], "GYLDIGT");
    assert_eq!(valid["name"], "Søren Ærø");
    assert_eq!(valid["dob"], "1970-01-01");
    assert_eq!(valid["reason"], "");
    assert_eq!(valid["lang"], "da");
    assert_eq!(valid["focused"], "next", "the verdict takes keyboard focus");
    assert_eq!(
        valid["closed"], true,
        "Escape closes the verdict and clears it"
    );
    assert_eq!(valid["covers"], true, "the verdict is full-screen");
    assert_eq!(
        valid["scan_label"], "Scan med kamera",
        "the camera stopped after the scan"
    );
    let expired = by_id("camera", "expired");
    assert_eq!(expired["verdict"], "invalid", "{expired}");
    assert_eq!(expired["title"], "IKKE GYLDIGT");
    assert_eq!(expired["reason"], "Passet er udløbet.");
    let revoked_seen = by_id("camera", "revoked");
    assert_eq!(revoked_seen["verdict"], "invalid", "{revoked_seen}");
    assert_eq!(revoked_seen["reason"], "Passet er tilbagekaldt.");
    assert_eq!(revoked_seen["name"], "Anna Hansen");

    // Pasted text, and the English words.
    assert_eq!(by_id("paste", "valid")["verdict"], "valid");
    let english = by_id("paste", "expired-en");
    assert_eq!(english["title"], "NOT VALID");
    assert_eq!(english["reason"], "The pass has expired.");
    let garbage = by_id("paste", "garbage-en");
    assert_eq!(garbage["verdict"], "invalid");
    assert_eq!(
        garbage["reason"],
        "The QR code is damaged or not a valid COVID pass."
    );

    // Domestic passes: level 1 shows only "valid until" and asks for ID; level 2 the person.
    let level1 = by_id("paste", "dk-level1");
    assert_eq!(level1["verdict"], "valid", "{level1}");
    assert_eq!(level1["person_shown"], false);
    assert!(
        level1["until"]
            .as_str()
            .unwrap_or("")
            .starts_with("Gyldigt til: "),
        "{level1}"
    );
    assert_eq!(
        level1["check_id"],
        "Passet viser ikke navn: kontrollér personens ID."
    );
    let level2 = by_id("paste", "dk-level2");
    assert_eq!(level2["verdict"], "valid", "{level2}");
    assert_eq!(level2["name"], "Karen Blixen");
    assert_eq!(level2["dob"], "1985-04-17");
    assert_eq!(level2["until"], Value::Null);
    let inconsistent = by_id("paste", "dk-inconsistent");
    assert_eq!(inconsistent["verdict"], "invalid");
    assert_eq!(
        inconsistent["reason"],
        "Passets indhold hænger ikke sammen."
    );

    // A photo of the QR code.
    let photo = by_id("photo", "revoked");
    assert_eq!(photo["verdict"], "invalid", "{photo}");
    assert_eq!(photo["reason"], "The pass has been revoked.");

    // Offline: the page and the stored verification data still work.
    let offline_valid = by_id("offline_paste", "valid");
    assert_eq!(offline_valid["verdict"], "valid", "{offline_valid}");
    assert!(offline_valid["network"]
        .as_str()
        .unwrap_or("")
        .starts_with("Offline"));
    assert_eq!(by_id("offline_paste", "revoked")["verdict"], "invalid");

    // Nothing about a pass left the page: only page files and verifier documents were
    // requested, all GETs without a body, none naming a pass.
    let requests = results["requests"].as_array().expect("requests");
    assert!(!requests.is_empty());
    for r in requests {
        let url = r["url"].as_str().expect("url");
        let path = url.strip_prefix(&app.address).unwrap_or(url);
        assert!(
            path.starts_with("/verifier") || path.starts_with("/v1/verifier/"),
            "unexpected request {url}"
        );
        assert_eq!(r["method"], "GET", "{r}");
        assert_eq!(r["body"], "", "{r}");
        for hc1 in [&valid_hc1, &expired_hc1, &revoked_hc1] {
            assert!(
                !url.contains(&hc1[4..24]),
                "a request carries a pass: {url}"
            );
        }
    }
    assert_eq!(results["errors"], json!([]), "page errors");
}

/// What a venue's page downloads, read as the Rust verifier takes it.
async fn downloaded(
    app: &TestApp,
) -> (
    Value,
    Value,
    TrustList,
    certificate::revocation::RevocationList,
) {
    let trust_doc: Value = app
        .get("/v1/verifier/trust-list", None)
        .await
        .json()
        .await
        .expect("trust list");
    let revocations: Value = app
        .get("/v1/verifier/revocations", None)
        .await
        .json()
        .await
        .expect("revocations");
    let mut trust = TrustList::new();
    trust
        .load(&serde_json::to_vec(&trust_doc).expect("json"))
        .expect("the served trust list loads");
    let list = certificate::revocation::RevocationList::from_document(&revocations)
        .expect("the served revocation list reads");
    (trust_doc, revocations, trust, list)
}

/// The issue's bar, on one and the same pass through the real service: a site reports a
/// vaccination, the citizen fetches an EU pass and a domestic pass, and both the Rust
/// verifier (`dcc verify`) and the page's verifier say valid with what the service
/// serves; the record is entered in error, and both reject the same passes as revoked.
#[tokio::test]
async fn one_pass_valid_then_revoked_for_dcc_verify_and_the_page_alike() {
    let app = spawn_app().await;
    app.add_citizen(CPR, "Søren", "Ærø").await;
    // Long enough ago for the domestic rules to accept the completed series.
    let mut record = vaccination("v-1", CPR, 2);
    record["date"] = json!(days_ago(30));
    let r = app
        .post("/v1/register/vaccinations", &app.site, record)
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let citizen = app.citizen(CPR).await;
    let (eu, _) = issued_pass(&app, &citizen, "vaccination").await;
    let r = app
        .post("/v1/me/passes/domestic?level=2", &citizen, json!({}))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED, "domestic pass");
    let dk: String = r.json::<Value>().await.expect("json")["hc1"]
        .as_str()
        .expect("domestic text")
        .to_owned();
    assert!(dk.starts_with("DK1:"));

    let check = |trust: &TrustList, list: &certificate::revocation::RevocationList| {
        let report = Verifier::new(trust, "DK")
            .with_revocation(list)
            .verify(&eu, Utc::now());
        let domestic = certificate::domestic::DomesticVerifier::new(trust)
            .with_revocation(list)
            .verify(&dk, Utc::now());
        (report, domestic)
    };
    let page = |trust_doc: &Value, revocations: &Value| {
        let cases: Vec<Case> = [("eu", &eu), ("dk", &dk)]
            .into_iter()
            .map(|(id, text)| Case {
                id: id.into(),
                text: text.clone(),
                trust: trust_doc.clone(),
                revocations: revocations.clone(),
                clock: Utc::now(),
                expected: Value::Null,
            })
            .collect();
        run_js(&cases, &json!([]), "one-pass")
    };

    let (trust_doc, revocations, trust, list) = downloaded(&app).await;
    let (report, domestic) = check(&trust, &list);
    assert!(report.is_valid(), "dcc verify: {report:?}");
    assert!(domestic.is_ok(), "domestic: {domestic:?}");
    let js = page(&trust_doc, &revocations);
    assert_eq!(js[0]["valid"], true, "page, EU pass: {}", js[0]);
    assert_eq!(js[1]["valid"], true, "page, domestic pass: {}", js[1]);

    let r = app.delete("/v1/register/vaccinations/v-1", &app.site).await;
    assert_eq!(r.status(), StatusCode::OK);
    let (trust_doc, revocations, trust, list) = downloaded(&app).await;
    let (report, domestic) = check(&trust, &list);
    assert!(!report.is_valid());
    assert!(report.revocation.failed(), "revoked: {report:?}");
    assert!(
        matches!(domestic, Err(certificate::domestic::DomesticError::Revoked)),
        "{domestic:?}"
    );
    let js = page(&trust_doc, &revocations);
    assert_eq!(js[0]["valid"], false);
    assert_eq!(
        js[0]["steps"]["revocation"]["status"], "failed",
        "{}",
        js[0]
    );
    assert_eq!(js[1]["valid"], false, "{}", js[1]);
}
