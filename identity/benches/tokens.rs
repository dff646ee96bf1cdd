//! What a citizen's bearer token costs the service: the first verification (ES256 over
//! P-256, RustCrypto), a repeat of it (the verified-token cache), and issuing one (the
//! development identity provider). `cargo bench -p identity --bench tokens`.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use identity::dev_idp::{DevIdentityProvider, TokenRequest};
use identity::verifier::TokenVerifier;
use identity::Role;

fn tokens(c: &mut Criterion) {
    let idp = DevIdentityProvider::load_or_generate(
        None,
        "http://bench.test/dev".into(),
        "booking".into(),
        Duration::from_secs(3600),
    )
    .expect("dev identity provider");
    let request = |n: u32| TokenRequest {
        cpr: Some(format!("{:02}0170{:04}", 1 + n % 28, n % 10_000)),
        role: Role::Citizen,
        subject: None,
        helper: None,
        municipality: None,
        name: None,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");

    c.bench_function("issue (ES256 sign)", |b| {
        let mut n = 0;
        b.iter(|| {
            n += 1;
            idp.issue(&request(n)).expect("token")
        })
    });

    // A fresh verifier per batch, so every verification in it is a first one.
    let batch: Vec<String> = (0..2_000)
        .map(|n| idp.issue(&request(n)).expect("token"))
        .collect();
    c.bench_function("verify, first time (ES256 verify)", |b| {
        b.iter_batched(
            || TokenVerifier::new(idp.verifier_settings()).expect("verifier"),
            |verifier| {
                runtime.block_on(async {
                    for t in batch.iter().take(100) {
                        verifier.verify(t).await.expect("valid");
                    }
                })
            },
            criterion::BatchSize::SmallInput,
        )
    });

    let verifier = TokenVerifier::new(idp.verifier_settings()).expect("verifier");
    let token = &batch[0];
    runtime.block_on(verifier.verify(token)).expect("valid");
    c.bench_function("verify, again (cached)", |b| {
        b.iter(|| runtime.block_on(verifier.verify(token)).expect("valid"))
    });
}

criterion_group!(benches, tokens);
criterion_main!(benches);
