//! Issue with the dev provider, verify with the verifier; then every way a token can be bad.

use identity::{
    AuthError, Cpr, InvalidToken, JwksSource, Role, Subject, TokenVerifier, VerifierSettings,
};
use jsonwebtoken::{Algorithm, EncodingKey};

use crate::helpers::*;

#[track_caller]
fn assert_invalid(result: Result<identity::Principal, AuthError>, reason: InvalidToken) {
    match result {
        Err(AuthError::InvalidToken(got)) => assert_eq!(got, reason),
        other => panic!("expected invalid token ({reason:?}), got {other:?}"),
    }
}

#[tokio::test]
async fn citizen_token_round_trips() {
    let idp = dev_idp();
    let token = idp
        .issue(&identity::TokenRequest {
            name: Some("Karen Jensen".to_owned()),
            ..citizen("010190-1234")
        })
        .unwrap();
    let principal = verifier_for(&idp).verify(&token).await.unwrap();
    assert_eq!(principal.role, Role::Citizen);
    assert_eq!(principal.subject, Subject::Cpr(Cpr::parse(CPR).unwrap()));
    assert_eq!(principal.cpr(), Some(&Cpr::parse(CPR).unwrap()));
    assert_eq!(principal.actor, None);
    assert_eq!(principal.name.as_deref(), Some("Karen Jensen"));
}

#[tokio::test]
async fn issued_token_has_the_documented_claims() {
    let idp = dev_idp();
    let token = idp.issue(&helper(CPR, "kommune-0101-worker-7")).unwrap();
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3);
    let header = unb64(parts[0]);
    assert_eq!(header["alg"], "ES256");
    assert_eq!(header["kid"], idp.key_id());
    let claims = unb64(parts[1]);
    assert_eq!(claims["iss"], ISSUER);
    assert_eq!(claims["aud"], AUDIENCE);
    assert_eq!(claims["sub"], CPR);
    assert_eq!(claims["role"], "helper");
    assert_eq!(claims["act"]["sub"], "kommune-0101-worker-7");
    let iat = claims["iat"].as_i64().unwrap();
    assert_eq!(claims["exp"].as_i64().unwrap() - iat, 300);
    assert!((iat - now()).abs() < 5);
    assert!(!claims["jti"].as_str().unwrap().is_empty());
    let other = idp.issue(&helper(CPR, "kommune-0101-worker-7")).unwrap();
    assert_ne!(
        unb64(other.split('.').nth(1).unwrap())["jti"],
        claims["jti"]
    );
}

#[tokio::test]
async fn helper_token_names_citizen_and_actor() {
    let idp = dev_idp();
    let token = idp.issue(&helper(CPR, "relative-42")).unwrap();
    let principal = verifier_for(&idp).verify(&token).await.unwrap();
    assert_eq!(principal.role, Role::Helper);
    assert_eq!(principal.subject, Subject::Cpr(Cpr::parse(CPR).unwrap()));
    assert_eq!(principal.actor.as_deref(), Some("relative-42"));
    assert_eq!(principal.actor_municipality, None);
    // A municipal worker's token says which municipality they work for, inside `act`.
    let token = idp
        .issue(&identity::TokenRequest {
            municipality: Some(101),
            ..helper(CPR, "kommune-101-anna")
        })
        .unwrap();
    let principal = verifier_for(&idp).verify(&token).await.unwrap();
    assert_eq!(principal.actor.as_deref(), Some("kommune-101-anna"));
    assert_eq!(principal.actor_municipality, Some(101));
}

#[tokio::test]
async fn authority_and_site_tokens_carry_their_own_id() {
    let idp = dev_idp();
    let verifier = verifier_for(&idp);
    for role in [Role::Authority, Role::Site] {
        let token = idp.issue(&with_subject(role, "sst-analyst-3")).unwrap();
        let principal = verifier.verify(&token).await.unwrap();
        assert_eq!(principal.role, role);
        assert_eq!(principal.subject, Subject::Id("sst-analyst-3".to_owned()));
        assert_eq!(principal.cpr(), None);
    }
}

#[tokio::test]
async fn expired_token_is_token_expired() {
    let idp = dev_idp();
    let issued = chrono::Utc::now() - chrono::Duration::seconds(3600);
    let token = idp.issue_at(&citizen(CPR), issued).unwrap();
    let result = verifier_for(&idp).verify(&token).await;
    assert!(matches!(result, Err(AuthError::TokenExpired)), "{result:?}");
}

#[tokio::test]
async fn leeway_tolerates_small_clock_skew_only() {
    let idp = dev_idp();
    let verifier = verifier_for(&idp); // default leeway: 30 s
                                       // Expired 10 s ago: within the leeway.
    let issued = chrono::Utc::now() - chrono::Duration::seconds(310);
    assert!(verifier
        .verify(&idp.issue_at(&citizen(CPR), issued).unwrap())
        .await
        .is_ok());
    // Expired 60 s ago: outside it.
    let issued = chrono::Utc::now() - chrono::Duration::seconds(360);
    let result = verifier
        .verify(&idp.issue_at(&citizen(CPR), issued).unwrap())
        .await;
    assert!(matches!(result, Err(AuthError::TokenExpired)), "{result:?}");
    // No leeway at all: expired 10 s ago is expired.
    let strict = TokenVerifier::new(VerifierSettings {
        leeway_seconds: 0,
        ..idp.verifier_settings()
    })
    .unwrap();
    let issued = chrono::Utc::now() - chrono::Duration::seconds(310);
    let result = strict
        .verify(&idp.issue_at(&citizen(CPR), issued).unwrap())
        .await;
    assert!(matches!(result, Err(AuthError::TokenExpired)), "{result:?}");
}

#[tokio::test]
async fn token_from_the_future_is_refused_by_nbf() {
    let idp = dev_idp();
    let issued = chrono::Utc::now() + chrono::Duration::seconds(120);
    let token = idp.issue_at(&citizen(CPR), issued).unwrap();
    assert_invalid(
        verifier_for(&idp).verify(&token).await,
        InvalidToken::NotYetValid,
    );
}

#[tokio::test]
async fn wrong_audience_and_wrong_issuer_are_refused() {
    let idp = dev_idp();
    let token = idp.issue(&citizen(CPR)).unwrap();
    assert_invalid(
        verifier_with(&idp, ISSUER, "certificate")
            .verify(&token)
            .await,
        InvalidToken::WrongAudience,
    );
    assert_invalid(
        verifier_with(&idp, "https://evil.test", AUDIENCE)
            .verify(&token)
            .await,
        InvalidToken::WrongIssuer,
    );
    assert!(verifier_with(&idp, ISSUER, AUDIENCE)
        .verify(&token)
        .await
        .is_ok());
}

#[tokio::test]
async fn token_of_another_provider_is_refused() {
    let ours = dev_idp();
    let theirs = dev_idp();
    assert_ne!(ours.key_id(), theirs.key_id());
    let token = theirs.issue(&citizen(CPR)).unwrap();
    assert_invalid(
        verifier_for(&ours).verify(&token).await,
        InvalidToken::UnknownKey,
    );
}

#[tokio::test]
async fn token_signed_by_another_key_under_our_kid_is_refused() {
    let idp = dev_idp();
    let token = sign(
        &rogue_es256_key(),
        Algorithm::ES256,
        Some(idp.key_id()),
        &claims(CPR, "citizen"),
    );
    assert_invalid(
        verifier_for(&idp).verify(&token).await,
        InvalidToken::BadSignature,
    );
}

#[tokio::test]
async fn tampered_payload_is_refused() {
    let idp = dev_idp();
    let token = idp.issue(&citizen(CPR)).unwrap();
    let parts: Vec<&str> = token.split('.').collect();
    let mut payload = unb64(parts[1]);
    payload["sub"] = OTHER_CPR.into();
    let tampered = format!("{}.{}.{}", parts[0], b64(&payload), parts[2]);
    assert_invalid(
        verifier_for(&idp).verify(&tampered).await,
        InvalidToken::BadSignature,
    );

    let mut payload = unb64(parts[1]);
    payload["role"] = "authority".into();
    let tampered = format!("{}.{}.{}", parts[0], b64(&payload), parts[2]);
    assert_invalid(
        verifier_for(&idp).verify(&tampered).await,
        InvalidToken::BadSignature,
    );

    // A flipped signature byte.
    let mut signature = parts[2].to_owned().into_bytes();
    signature[10] = if signature[10] == b'A' { b'B' } else { b'A' };
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        parts[1],
        String::from_utf8(signature).unwrap()
    );
    assert!(matches!(
        verifier_for(&idp).verify(&tampered).await,
        Err(AuthError::InvalidToken(_))
    ));
}

#[tokio::test]
async fn alg_none_is_refused() {
    let idp = dev_idp();
    let token = idp.issue(&citizen(CPR)).unwrap();
    let payload = token.split('.').nth(1).unwrap();
    for header in [
        serde_json::json!({"alg": "none", "typ": "JWT", "kid": idp.key_id()}),
        serde_json::json!({"alg": "None", "kid": idp.key_id()}),
        serde_json::json!({"alg": "none"}),
    ] {
        for signature in ["", "AAAA"] {
            let forged = format!("{}.{}.{}", b64(&header), payload, signature);
            assert_invalid(
                verifier_for(&idp).verify(&forged).await,
                InvalidToken::Malformed,
            );
        }
    }
}

#[tokio::test]
async fn hmac_with_the_public_key_as_secret_is_refused() {
    // Algorithm confusion: HS256 "signed" with the published key material.
    let idp = dev_idp();
    let jwks = idp.jwks();
    let x = jwks["keys"][0]["x"].as_str().unwrap();
    let token = sign(
        &EncodingKey::from_secret(x.as_bytes()),
        Algorithm::HS256,
        Some(idp.key_id()),
        &claims(CPR, "citizen"),
    );
    assert_invalid(
        verifier_for(&idp).verify(&token).await,
        InvalidToken::UnsupportedAlgorithm,
    );
}

#[tokio::test]
async fn garbage_is_refused_without_panicking() {
    let idp = dev_idp();
    let verifier = verifier_for(&idp);
    let huge = "a".repeat(100_000);
    for token in [
        "",
        " ",
        "abc",
        "a.b",
        "a.b.c",
        "...",
        "eyJhbGciOiJFUzI1NiJ9..",
        "\u{0}\u{1}.\u{2}.\u{3}",
        huge.as_str(),
    ] {
        assert!(
            matches!(
                verifier.verify(token).await,
                Err(AuthError::InvalidToken(_))
            ),
            "{token:.20}"
        );
    }
}

#[tokio::test]
async fn claims_of_the_wrong_shape_are_refused() {
    let signer = KeyFileIdp::new();
    let verifier = verifier_for(&signer.idp);

    // The signer itself is accepted.
    assert!(verifier
        .verify(&signer.sign(&claims(CPR, "citizen")))
        .await
        .is_ok());

    assert_invalid(
        verifier
            .verify(&signer.sign(&claims("not-a-cpr", "citizen")))
            .await,
        InvalidToken::SubjectNotCpr,
    );
    assert_invalid(
        verifier
            .verify(&signer.sign(&claims("3002901234", "citizen")))
            .await,
        InvalidToken::SubjectNotCpr,
    );
    let mut helper_without_cpr = claims("helper-1", "helper");
    helper_without_cpr["act"] = serde_json::json!({"sub": "helper-1"});
    assert_invalid(
        verifier.verify(&signer.sign(&helper_without_cpr)).await,
        InvalidToken::SubjectNotCpr,
    );
    // A helper without an actor, or with an empty one.
    assert_invalid(
        verifier.verify(&signer.sign(&claims(CPR, "helper"))).await,
        InvalidToken::MissingActor,
    );
    let mut empty_actor = claims(CPR, "helper");
    empty_actor["act"] = serde_json::json!({"sub": " "});
    assert_invalid(
        verifier.verify(&signer.sign(&empty_actor)).await,
        InvalidToken::MissingActor,
    );
    // A citizen token claiming an actor is inconsistent.
    let mut citizen_with_actor = claims(CPR, "citizen");
    citizen_with_actor["act"] = serde_json::json!({"sub": "someone"});
    assert_invalid(
        verifier.verify(&signer.sign(&citizen_with_actor)).await,
        InvalidToken::UnexpectedActor,
    );
    // Unknown role, missing role, empty authority id.
    assert_invalid(
        verifier.verify(&signer.sign(&claims("x", "admin"))).await,
        InvalidToken::BadClaims,
    );
    let mut no_role = claims(CPR, "citizen");
    no_role.as_object_mut().unwrap().remove("role");
    assert_invalid(
        verifier.verify(&signer.sign(&no_role)).await,
        InvalidToken::BadClaims,
    );
    assert_invalid(
        verifier
            .verify(&signer.sign(&claims("", "authority")))
            .await,
        InvalidToken::EmptySubject,
    );
    // Missing registered claims.
    for claim in ["exp", "iss", "aud", "sub"] {
        let mut missing = claims(CPR, "citizen");
        missing.as_object_mut().unwrap().remove(claim);
        assert!(
            matches!(
                verifier.verify(&signer.sign(&missing)).await,
                Err(AuthError::InvalidToken(_))
            ),
            "without {claim}"
        );
    }
    // An audience array containing ours is fine (RFC 7519 §4.1.3).
    let mut audiences = claims(CPR, "citizen");
    audiences["aud"] = serde_json::json!(["other", AUDIENCE]);
    assert!(verifier.verify(&signer.sign(&audiences)).await.is_ok());
}

#[tokio::test]
async fn kidless_token_uses_the_only_key() {
    let signer = KeyFileIdp::new();
    let token = sign(&signer.key, Algorithm::ES256, None, &claims(CPR, "citizen"));
    assert!(verifier_for(&signer.idp).verify(&token).await.is_ok());
}

#[tokio::test]
async fn rs256_keys_are_supported() {
    // A 2048-bit RSA key made with openssl for these tests only (PKCS#1 DER).
    let key = EncodingKey::from_rsa_der(include_bytes!("fixtures/rsa_test_key.der"));
    let n = include_str!("fixtures/rsa_test_n.txt").trim();
    let jwks = serde_json::json!({"keys": [
        {"kty": "RSA", "n": n, "e": "AQAB", "kid": "rsa-1", "use": "sig", "alg": "RS256"}
    ]});
    let verifier = TokenVerifier::new(VerifierSettings::new(
        ISSUER,
        AUDIENCE,
        JwksSource::Static(jwks),
    ))
    .unwrap();
    let token = sign(
        &key,
        Algorithm::RS256,
        Some("rsa-1"),
        &claims(CPR, "citizen"),
    );
    let principal = verifier.verify(&token).await.unwrap();
    assert_eq!(principal.role, Role::Citizen);

    // The same key under a different algorithm is refused: a key verifies one algorithm.
    let token = sign(
        &key,
        Algorithm::RS512,
        Some("rsa-1"),
        &claims(CPR, "citizen"),
    );
    assert_invalid(
        verifier.verify(&token).await,
        InvalidToken::UnsupportedAlgorithm,
    );
    let token = sign(
        &key,
        Algorithm::PS256,
        Some("rsa-1"),
        &claims(CPR, "citizen"),
    );
    assert_invalid(
        verifier.verify(&token).await,
        InvalidToken::UnsupportedAlgorithm,
    );
}

#[tokio::test]
async fn errors_never_contain_the_token_or_the_cpr() {
    let idp = dev_idp();
    let token = idp.issue(&citizen(CPR)).unwrap();
    let results = [
        verifier_with(&idp, ISSUER, "other").verify(&token).await,
        verifier_for(&dev_idp()).verify(&token).await,
        verifier_for(&idp)
            .verify(
                &idp.issue_at(
                    &citizen(CPR),
                    chrono::Utc::now() - chrono::Duration::days(1),
                )
                .unwrap(),
            )
            .await,
    ];
    for result in results {
        let error = result.unwrap_err();
        for shown in [format!("{error}"), format!("{error:?}")] {
            assert!(!shown.contains(CPR), "{shown}");
            assert!(!shown.contains(&token[..20]), "{shown}");
        }
    }
}

#[test]
fn verifier_settings_are_checked() {
    let idp = dev_idp();
    let bad = [
        VerifierSettings::new("", AUDIENCE, JwksSource::Static(idp.jwks())),
        VerifierSettings::new(ISSUER, " ", JwksSource::Static(idp.jwks())),
        VerifierSettings::new(ISSUER, AUDIENCE, JwksSource::Static(serde_json::json!({}))),
        VerifierSettings::new(
            ISSUER,
            AUDIENCE,
            JwksSource::Static(serde_json::json!({"keys": []})),
        ),
        VerifierSettings::new(
            ISSUER,
            AUDIENCE,
            JwksSource::Url("ftp://idp/jwks".to_owned()),
        ),
    ];
    for settings in bad {
        assert!(TokenVerifier::new(settings).is_err());
    }
}

#[test]
fn verifier_settings_read_from_config_with_defaults() {
    let settings: VerifierSettings = serde_json::from_value(serde_json::json!({
        "issuer": ISSUER,
        "audience": AUDIENCE,
        "jwks": {"url": "https://idp.test/jwks.json"},
    }))
    .unwrap();
    assert_eq!(
        settings,
        VerifierSettings::new(
            ISSUER,
            AUDIENCE,
            JwksSource::Url("https://idp.test/jwks.json".to_owned())
        )
    );
    assert_eq!(settings.leeway_seconds, 30);
    assert!(TokenVerifier::new(settings).is_ok());
}

mod never_panics {
    use std::sync::LazyLock;

    use identity::TokenVerifier;
    use proptest::prelude::*;

    use crate::helpers::*;

    /// One provider for all cases: key generation is the slow part.
    static FIXTURE: LazyLock<(TokenVerifier, String)> = LazyLock::new(|| {
        let idp = dev_idp();
        (verifier_for(&idp), idp.issue(&citizen(CPR)).unwrap())
    });

    proptest! {
        #[test]
        fn verify_never_panics(
            token in prop_oneof![
                any::<String>(),
                "[A-Za-z0-9_=+/-]{0,60}\\.[A-Za-z0-9_=+/-]{0,60}\\.[A-Za-z0-9_=+/-]{0,90}",
                // A real header and signature around an arbitrary payload.
                "[A-Za-z0-9_-]{0,120}",
            ]
        ) {
            let (verifier, good) = &*FIXTURE;
            let parts: Vec<&str> = good.split('.').collect();
            let spliced = format!("{}.{}.{}", parts[0], token, parts[2]);
            let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
            for candidate in [token.as_str(), spliced.as_str()] {
                let result = runtime.block_on(verifier.verify(candidate));
                prop_assert!(result.is_err());
            }
        }
    }
}

#[tokio::test]
async fn a_verified_token_is_remembered_but_its_tampered_twin_is_not() {
    let idp = dev_idp();
    let verifier = verifier_for(&idp);
    let token = idp.issue(&citizen(CPR)).unwrap();
    let first = verifier.verify(&token).await.unwrap();
    let second = verifier.verify(&token).await.unwrap();
    assert_eq!(first, second);
    // The cache is keyed by the whole token: a changed payload with the remembered
    // token's signature still fails the signature check.
    let parts: Vec<&str> = token.split('.').collect();
    let mut payload = unb64(parts[1]);
    payload["sub"] = OTHER_CPR.into();
    let tampered = format!("{}.{}.{}", parts[0], b64(&payload), parts[2]);
    assert_invalid(verifier.verify(&tampered).await, InvalidToken::BadSignature);
}
