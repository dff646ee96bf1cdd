//! Throughput of the evaluator: one date-time comparison, and every EU business rule of the
//! test data run on a vaccination payload with the full value sets (what a verifier does
//! per scanned certificate).

use std::fs;
use std::path::Path;

use certlogic::rules::{value_sets_from_json, ExternalParams, Rule};
use chrono::{TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::{json, Value};

fn read(path: &Path) -> Value {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn benches(c: &mut Criterion) {
    let logic = json!({ "not-before": [
        { "plusTime": [{ "var": "external.validationClock" }, 0, "day"] },
        { "plusTime": [{ "var": "payload.v.0.dt" }, 14, "day"] }
    ]});
    let data = json!({ "payload": { "v": [{ "dt": "2021-06-01" }] },
                       "external": { "validationClock": "2021-07-01T12:00:00Z" } });
    c.bench_function("evaluate plusTime comparison", |b| {
        b.iter(|| certlogic::evaluate(std::hint::black_box(&logic), &data))
    });

    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/testdata/business-rules");
    let value_sets =
        value_sets_from_json(&read(&root.join("valuesets/valueSets.json"))).expect("value sets");
    let mut rules = Vec::new();
    for entry in fs::read_dir(root.join("EU")).expect("EU rules") {
        let path = entry.expect("entry").path().join("rule.json");
        rules.push(Rule::from_json(&read(&path)).expect("rule"));
    }
    let clock = Utc
        .with_ymd_and_hms(2021, 9, 1, 12, 0, 0)
        .single()
        .expect("clock");
    let mut external = ExternalParams::new(clock, "DK");
    external.value_sets = value_sets;
    external.issuer_country_code = "DK".into();
    let payload = json!({
        "ver": "1.3.0", "dob": "1980-05-17",
        "nam": { "fn": "Jensen", "fnt": "JENSEN", "gn": "Søren", "gnt": "SOEREN" },
        "v": [{ "tg": "840539006", "vp": "1119349007", "mp": "EU/1/20/1528", "ma": "ORG-100030215",
                "dn": 2, "sd": 2, "dt": "2021-06-01", "co": "DK", "is": "Sundhedsdatastyrelsen",
                "ci": "URN:UVCI:01:DK:123456789ABC#X" }]
    });
    let external_json = external.to_json();
    c.bench_function("all EU rules, one vaccination certificate", |b| {
        b.iter(|| {
            rules
                .iter()
                .filter(|r| r.applies_to("Vaccination", clock))
                .map(|r| r.evaluate_json(&external_json, std::hint::black_box(&payload)))
                .filter(|r| matches!(r, Ok(Value::Bool(true))))
                .count()
        })
    });
}

criterion_group!(evaluate, benches);
criterion_main!(evaluate);
