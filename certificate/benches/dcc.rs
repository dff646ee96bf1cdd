//! Throughput of issuing (sign + encode, no QR), QR rendering, and verification with
//! every check on, on one core. Compare with `openssl speed ecdsap256`.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use certificate::devkeys::{self, DscLayout};
use certificate::issue::{Claims, Issuer};
use certificate::payload::{DateOfBirth, Entry, Hcert, PersonName, Vaccination};
use certificate::qr::{self, RenderOptions};
use certificate::revocation::{HashType, RevocationList};
use certificate::sign::{Es256Signer, Signer};
use certificate::trust::{TrustList, TrustedCertificate};
use certificate::verify::Verifier;
use chrono::{NaiveDate, Utc};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn testdata(sub: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/testdata")
        .join(sub)
}

fn payload() -> Hcert {
    Hcert::new(
        PersonName::new("Ærø-Sørensen", Some("Åse Marie")).expect("name"),
        DateOfBirth::parse("1964-02-29").expect("dob"),
        Entry::Vaccination(Vaccination {
            tg: "840539006".into(),
            vp: "1119349007".into(),
            mp: "EU/1/20/1528".into(),
            ma: "ORG-100030215".into(),
            dn: 2,
            sd: 2,
            dt: NaiveDate::from_ymd_opt(2021, 6, 1).expect("date"),
            co: "DK".into(),
            is: "Sundhedsdatastyrelsen".into(),
            ci: certificate::uvci::Uvci::new("DK", "0123456789ABCDEFGHIJ")
                .expect("uvci")
                .to_string(),
        }),
    )
}

fn benches(c: &mut Criterion) {
    let keys = devkeys::generate(
        "DK",
        DscLayout::OneForAll,
        SystemTime::now() - Duration::from_secs(86_400),
        3650,
        730,
    )
    .expect("keys");
    let dsc = &keys.dscs[0];
    let signer =
        Es256Signer::from_pkcs8_der(&dsc.private_key_pkcs8, &dsc.certificate_der).expect("signer");
    let mut issuer = Issuer::new(signer);
    let hcert = payload();
    let now = Utc::now().timestamp();
    let claims = Claims {
        issuer: "DK".into(),
        issued_at: now - 60,
        expires_at: now + 86_400 * 30,
    };

    let mut g = c.benchmark_group("dcc");
    g.throughput(Throughput::Elements(1));

    g.bench_function("es256_sign_only", |b| {
        let s = Es256Signer::from_pkcs8_der(&dsc.private_key_pkcs8, &dsc.certificate_der)
            .expect("signer");
        let msg = [7u8; 300];
        b.iter(|| s.sign(&msg).expect("sign"))
    });
    g.bench_function("issue_sign_and_encode", |b| {
        b.iter(|| issuer.issue(&hcert, &claims).expect("issue"))
    });

    let hc1 = issuer.issue(&hcert, &claims).expect("issue").into_string();
    g.bench_function("qr_png", |b| {
        b.iter(|| qr::render_png(&hc1, RenderOptions::default()).expect("png"))
    });
    g.bench_function("qr_svg", |b| {
        b.iter(|| qr::render_svg(&hc1, RenderOptions::default()).expect("svg"))
    });

    let mut trust = TrustList::new();
    trust.add(TrustedCertificate::from_der(&dsc.certificate_der, None).expect("dsc"));
    let schemas = certificate::fs::load_schemas(&testdata("dcc-schema")).expect("schemas");
    let value_sets =
        certificate::fs::load_value_sets(&testdata("dcc-valuesets")).expect("value sets");
    let mut revocation = RevocationList::new();
    for i in 0u32..10_000 {
        let mut h = [0u8; 16];
        h[..4].copy_from_slice(&i.to_be_bytes());
        revocation.add(HashType::Uci, h);
        revocation.add(HashType::Signature, h);
    }
    let mut rules = Vec::new();
    for entry in std::fs::read_dir(testdata("business-rules/EU")).expect("rules") {
        let path = entry.expect("entry").path().join("rule.json");
        if let Ok(text) = std::fs::read_to_string(&path) {
            rules.push(certlogic::rules::Rule::from_json_str(&text).expect("rule"));
        }
    }
    let verifier = Verifier::new(&trust, "DK")
        .with_schemas(&schemas)
        .with_value_sets(&value_sets)
        .with_revocation(&revocation)
        .with_rules(&rules);
    let clock = Utc::now();
    assert!(
        verifier.verify(&hc1, clock).is_valid(),
        "benchmark certificate must verify"
    );
    g.bench_function("verify_all_checks", |b| {
        b.iter(|| verifier.verify(&hc1, clock))
    });
    let bare = Verifier::new(&trust, "DK");
    g.bench_function("verify_signature_and_expiry_only", |b| {
        b.iter(|| bare.verify(&hc1, clock))
    });
    g.finish();

    // Where the time goes, for keeping "everything but the signature nearly free" honest.
    let mut p = c.benchmark_group("dcc_parts");
    let body = certificate::codec::strip_prefix(&hc1).expect("prefix");
    let compressed = certificate::base45::decode(body).expect("b45");
    let cose = certificate::codec::inflate(&compressed, 1 << 16).expect("zlib");
    let msg = certificate::codec::parse_cose(&cose).expect("cose");
    let cwt = certificate::codec::parse_cwt(msg.payload()).expect("cwt");
    p.bench_function("base45_decode", |b| {
        b.iter(|| certificate::base45::decode(body))
    });
    p.bench_function("inflate", |b| {
        b.iter(|| certificate::codec::inflate(&compressed, 1 << 16))
    });
    p.bench_function("cose_and_cwt_parse", |b| {
        b.iter(|| {
            let m = certificate::codec::parse_cose(&cose).expect("cose");
            certificate::codec::parse_cwt(m.payload())
        })
    });
    let tbs = msg.to_be_signed();
    p.bench_function("es256_verify_only", |b| {
        b.iter(|| {
            certificate::verify::verify_signature(
                certificate::codec::Algorithm::Es256,
                &tbs,
                msg.signature(),
                &trust.iter().next().expect("dsc").clone(),
            )
        })
    });
    p.bench_function("schema_validate", |b| b.iter(|| schemas.validate(&cwt.dcc)));
    p.bench_function("value_sets_check", |b| {
        b.iter(|| value_sets.check(&cwt.dcc))
    });
    let rules_only = Verifier::new(&trust, "DK")
        .with_value_sets(&value_sets)
        .with_rules(&rules);
    p.bench_function("verify_with_rules_only", |b| {
        b.iter(|| rules_only.verify(&hc1, clock))
    });
    let cose_owned = cose.clone();
    p.bench_function("compress", |b| b.iter(|| issuer.compress(&cose_owned)));
    p.bench_function("sign_cose_only", |b| {
        b.iter(|| issuer.sign(&hcert, &claims))
    });
    p.finish();
}

criterion_group!(dcc, benches);
criterion_main!(dcc);
