//! Shared set-up: a dev identity provider, a verifier for it, token forging for attacks.

use std::path::PathBuf;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use identity::{
    DevIdentityProvider, JwksSource, Role, TokenRequest, TokenVerifier, VerifierSettings,
};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use p256::pkcs8::EncodePrivateKey;

pub const ISSUER: &str = "https://idp.test/citizens";
pub const AUDIENCE: &str = "booking";
pub const TTL: Duration = Duration::from_secs(300);
pub const CPR: &str = "0101901234";
pub const OTHER_CPR: &str = "0202924321";

pub fn dev_idp() -> DevIdentityProvider {
    DevIdentityProvider::load_or_generate(None, ISSUER.to_owned(), AUDIENCE.to_owned(), TTL)
        .unwrap()
}

pub fn verifier_for(idp: &DevIdentityProvider) -> TokenVerifier {
    TokenVerifier::new(idp.verifier_settings()).unwrap()
}

pub fn verifier_with(idp: &DevIdentityProvider, issuer: &str, audience: &str) -> TokenVerifier {
    TokenVerifier::new(VerifierSettings::new(
        issuer,
        audience,
        JwksSource::Static(idp.jwks()),
    ))
    .unwrap()
}

pub fn request(role: Role) -> TokenRequest {
    TokenRequest {
        cpr: None,
        role,
        subject: None,
        helper: None,
        municipality: None,
        name: None,
    }
}

pub fn citizen(cpr: &str) -> TokenRequest {
    TokenRequest {
        cpr: Some(cpr.to_owned()),
        ..request(Role::Citizen)
    }
}

pub fn helper(cpr: &str, helper: &str) -> TokenRequest {
    TokenRequest {
        cpr: Some(cpr.to_owned()),
        helper: Some(helper.to_owned()),
        ..request(Role::Helper)
    }
}

pub fn with_subject(role: Role, subject: &str) -> TokenRequest {
    TokenRequest {
        subject: Some(subject.to_owned()),
        ..request(role)
    }
}

pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Valid registered claims for `sub` and `role`, to be changed by a test.
pub fn claims(sub: &str, role: &str) -> serde_json::Value {
    serde_json::json!({
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now(),
        "nbf": now(),
        "exp": now() + 300,
        "jti": "test",
        "sub": sub,
        "role": role,
    })
}

/// A fresh P-256 key that no identity provider publishes.
pub fn rogue_es256_key() -> EncodingKey {
    let secret = p256::SecretKey::random(&mut rand::rngs::OsRng);
    EncodingKey::from_ec_der(secret.to_pkcs8_der().unwrap().as_bytes())
}

/// The dev provider's own key, read back from its key file: signs arbitrary claims
/// exactly as the provider would (to test what the verifier does with odd claims).
pub struct KeyFileIdp {
    pub idp: DevIdentityProvider,
    pub key: EncodingKey,
    pub dir: PathBuf,
}

impl KeyFileIdp {
    pub fn new() -> KeyFileIdp {
        let dir = temp_dir();
        let path = dir.join("dev-idp.pem");
        let idp = DevIdentityProvider::load_or_generate(
            Some(&path),
            ISSUER.to_owned(),
            AUDIENCE.to_owned(),
            TTL,
        )
        .unwrap();
        let pem = std::fs::read_to_string(&path).unwrap();
        let secret =
            <p256::SecretKey as p256::pkcs8::DecodePrivateKey>::from_pkcs8_pem(&pem).unwrap();
        let key = EncodingKey::from_ec_der(secret.to_pkcs8_der().unwrap().as_bytes());
        KeyFileIdp { idp, key, dir }
    }

    pub fn sign(&self, claims: &serde_json::Value) -> String {
        sign(&self.key, Algorithm::ES256, Some(self.idp.key_id()), claims)
    }
}

impl Drop for KeyFileIdp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub fn sign(
    key: &EncodingKey,
    alg: Algorithm,
    kid: Option<&str>,
    claims: &serde_json::Value,
) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, key).unwrap()
}

pub fn b64(json: &serde_json::Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(json).unwrap())
}

pub fn unb64(part: &str) -> serde_json::Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

/// A fresh directory under the system temp dir; the caller removes it.
pub fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("identity-test-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
