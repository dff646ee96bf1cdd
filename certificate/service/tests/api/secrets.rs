//! The signing key is read through the library's `Signer` only: no answer, error or
//! `Debug` output of the service shows it, in any encoding.

use base64::Engine as _;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

/// The forms key material could leak in: the PKCS#8 DER and the raw P-256 scalar, as
/// bytes, hex and base64.
fn secret_forms(pkcs8: &[u8]) -> Vec<Vec<u8>> {
    // ECPrivateKey (RFC 5915): version 1 (02 01 01), then the scalar as OCTET STRING (04 20).
    let at = pkcs8
        .windows(5)
        .position(|w| w == [0x02, 0x01, 0x01, 0x04, 0x20])
        .expect("an EC private key")
        + 5;
    let scalar = &pkcs8[at..at + 32];
    let b64 = base64::engine::general_purpose::STANDARD;
    let b64url = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    vec![
        scalar.to_vec(),
        hex::encode(scalar).into_bytes(),
        hex::encode_upper(scalar).into_bytes(),
        b64.encode(scalar).into_bytes(),
        b64url.encode(scalar).into_bytes(),
        b64.encode(pkcs8).as_bytes()[..60].to_vec(),
        // The scalar's base64 shifted by one and two bytes (inside a longer encoding).
        b64.encode(&pkcs8[at - 1..at + 32]).as_bytes()[4..40].to_vec(),
        b64.encode(&pkcs8[at - 2..at + 32]).as_bytes()[4..40].to_vec(),
    ]
}

#[track_caller]
fn assert_no_secret(what: &str, body: &[u8], forms: &[Vec<u8>]) {
    for form in forms {
        assert!(
            !body.windows(form.len()).any(|w| w == form.as_slice()),
            "{what} shows key material"
        );
    }
}

#[tokio::test]
async fn no_answer_shows_the_signing_key() {
    let app = spawn_app().await;
    let pkcs8 = std::fs::read(&app.settings.signing.key_path).unwrap();
    let forms = secret_forms(&pkcs8);
    // The check finds the key where it is (the test can fail).
    let hexed = hex::encode(&pkcs8);
    assert!(hexed.contains(std::str::from_utf8(&forms[1]).unwrap()));
    let pem = certificate::sign::to_pem(&pkcs8, "PRIVATE KEY");
    assert!(pem
        .replace('\n', "")
        .contains(std::str::from_utf8(&forms[5]).unwrap()));
    app.add_citizen(CPR, "Anna", "Hansen").await;
    let mut v = vaccination("v-1", CPR, 2);
    v["date"] = json!(days_ago(30));
    app.post("/v1/register/vaccinations", &app.site, v).await;
    let citizen = app.citizen(CPR).await;

    let mut seen = 0;
    for (method, path) in [
        ("POST", "/v1/me/passes/vaccination"),
        ("POST", "/v1/me/passes/domestic?level=2"),
        ("GET", "/v1/me/passes"),
        ("GET", "/v1/me/passes/vaccination"),
        ("GET", "/v1/me/passes/vaccination/qr.svg"),
        ("GET", "/v1/me/passes/vaccination/qr.png"),
        ("GET", "/v1/me/passes/vaccination/pass.pdf?lang=both"),
        ("GET", "/v1/me/passes/domestic/pass.pdf?level=2"),
        ("GET", "/v1/me/passes/test"),
        ("POST", "/v1/me/passes/lottery"),
        ("GET", "/v1/verifier/trust-list"),
        ("GET", "/v1/verifier/revocations"),
        ("GET", "/v1/verifier/rules"),
        ("GET", "/openapi.json"),
        ("GET", "/readyz"),
        ("GET", "/metrics"),
    ] {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let r = app
            .request(method, path, Some(&citizen), Some(json!({})))
            .await;
        let status = r.status();
        let body = r.bytes().await.unwrap();
        assert_no_secret(path, &body, &forms);
        if status.is_success() {
            seen += 1;
        }
    }
    assert!(
        seen >= 12,
        "only {seen} answers were successful: the test saw little"
    );
    // The withdrawal that revokes them, and its answer.
    let r = app.delete("/v1/register/vaccinations/v-1", &app.site).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_no_secret("withdrawal", &r.bytes().await.unwrap(), &forms);
}

#[tokio::test]
async fn a_key_the_service_cannot_use_is_refused_without_showing_it() {
    use pass_service::signing::DccSigner;
    let app = spawn_app().await;
    let pkcs8 = std::fs::read(&app.settings.signing.key_path).unwrap();
    let forms = secret_forms(&pkcs8);

    // The service's own signer: Debug shows the kid only.
    let signer = DccSigner::load(&app.settings.signing).unwrap();
    assert_no_secret("DccSigner Debug", format!("{signer:?}").as_bytes(), &forms);

    // The key with another DSC, and a damaged key: errors name files, not contents.
    let other = certificate::devkeys::generate(
        "DK",
        certificate::devkeys::DscLayout::OneForAll,
        std::time::SystemTime::now(),
        3650,
        365,
    )
    .unwrap();
    let dir = app.keys_dir.clone();
    std::fs::write(dir.join("other.der"), &other.dscs[0].certificate_der).unwrap();
    let mut damaged = pkcs8.clone();
    let last = damaged.len() - 40;
    damaged[last] ^= 0xff;
    std::fs::write(dir.join("damaged.der"), &damaged).unwrap();
    let pem = certificate::sign::to_pem(&pkcs8, "EC PRIVATE KEY");
    std::fs::write(dir.join("wrong-label.pem"), pem).unwrap();
    for (key, dsc) in [
        ("dsc-key.der", "other.der"),
        ("damaged.der", "dsc.der"),
        ("wrong-label.pem", "dsc.der"),
    ] {
        let mut s = app.settings.signing.clone();
        s.key_path = dir.join(key).display().to_string();
        s.dsc_path = dir.join(dsc).display().to_string();
        let err = DccSigner::load(&s).expect_err("unusable key");
        let debug = format!("{err:?}");
        let chain = format!("{:#} {debug}", anyhow::Error::from(err));
        assert_no_secret(key, chain.as_bytes(), &forms);
        assert_no_secret(key, chain.as_bytes(), &secret_forms(&damaged));
    }
}
