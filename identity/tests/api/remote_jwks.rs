//! JWKS over real HTTP: a dev provider served by actix on port 0, and a key server whose
//! key set and health the test controls, counting every fetch.

use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use actix_web::dev::ServerHandle;
use actix_web::{web, App, HttpResponse, HttpServer};
use identity::{
    AuthError, DevIdentityProvider, InvalidToken, JwksSource, Role, TokenResponse, TokenVerifier,
    VerifierSettings,
};
use serde_json::{json, Value};

use crate::helpers::*;

/// What the key server answers, changeable while it runs.
struct KeyServerState {
    jwks: Mutex<Value>,
    healthy: Mutex<bool>,
    fetches: AtomicUsize,
}

struct KeyServer {
    url: String,
    state: Arc<KeyServerState>,
    handle: ServerHandle,
}

impl KeyServer {
    async fn start(jwks: Value) -> KeyServer {
        let state = Arc::new(KeyServerState {
            jwks: Mutex::new(jwks),
            healthy: Mutex::new(true),
            fetches: AtomicUsize::new(0),
        });
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/jwks.json", listener.local_addr().unwrap());
        let data = web::Data::from(Arc::clone(&state));
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/jwks.json", web::get().to(serve_jwks))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        KeyServer { url, state, handle }
    }

    fn publish(&self, jwks: Value) {
        *self.state.jwks.lock().unwrap() = jwks;
    }

    fn set_healthy(&self, healthy: bool) {
        *self.state.healthy.lock().unwrap() = healthy;
    }

    fn fetches(&self) -> usize {
        self.state.fetches.load(Ordering::SeqCst)
    }

    fn verifier(
        &self,
        min_refetch_interval_seconds: u64,
        max_key_age_seconds: u64,
    ) -> TokenVerifier {
        TokenVerifier::new(VerifierSettings {
            min_refetch_interval_seconds,
            max_key_age_seconds,
            ..VerifierSettings::new(ISSUER, AUDIENCE, JwksSource::Url(self.url.clone()))
        })
        .unwrap()
    }
}

async fn serve_jwks(state: web::Data<KeyServerState>) -> HttpResponse {
    state.fetches.fetch_add(1, Ordering::SeqCst);
    if !*state.healthy.lock().unwrap() {
        return HttpResponse::InternalServerError().finish();
    }
    let jwks = state.jwks.lock().unwrap().clone();
    HttpResponse::Ok().json(jwks)
}

fn jwks_of(providers: &[&DevIdentityProvider]) -> Value {
    let keys: Vec<Value> = providers
        .iter()
        .map(|p| p.jwks()["keys"][0].clone())
        .collect();
    json!({ "keys": keys })
}

#[actix_web::test]
async fn dev_provider_served_over_http_is_trusted_through_its_jwks_url() {
    let idp = dev_idp();
    let key_id = idp.key_id().to_owned();
    let data = web::Data::new(idp);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = HttpServer::new({
        let data = data.clone();
        move || {
            App::new()
                .app_data(data.clone())
                .configure(identity::configure)
        }
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);

    let client = reqwest::Client::new();
    let jwks: Value = client
        .get(format!("{base}/dev/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks["keys"][0]["kid"], key_id.as_str());

    let response = client
        .post(format!("{base}/dev/token"))
        .json(&json!({"cpr": "010190-1234", "role": "citizen"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let token: TokenResponse = response.json().await.unwrap();
    assert_eq!(token.token_type, "Bearer");
    assert_eq!(token.expires_in, TTL.as_secs());

    let verifier = TokenVerifier::new(VerifierSettings::new(
        ISSUER,
        AUDIENCE,
        JwksSource::Url(format!("{base}/dev/jwks.json")),
    ))
    .unwrap();
    let principal = verifier.verify(&token.access_token).await.unwrap();
    assert_eq!(principal.role, Role::Citizen);
    assert_eq!(principal.cpr().unwrap().as_str(), CPR);

    handle.stop(true).await;
}

#[actix_web::test]
async fn keys_are_fetched_once_and_cached() {
    let a = dev_idp();
    let server = KeyServer::start(jwks_of(&[&a])).await;
    let verifier = server.verifier(0, 3600);
    assert_eq!(server.fetches(), 0, "fetched lazily, not at construction");
    for _ in 0..5 {
        verifier
            .verify(&a.issue(&citizen(CPR)).unwrap())
            .await
            .unwrap();
    }
    assert_eq!(server.fetches(), 1);
    server.handle.stop(true).await;
}

#[actix_web::test]
async fn concurrent_first_requests_share_one_fetch() {
    let a = dev_idp();
    let server = KeyServer::start(jwks_of(&[&a])).await;
    let verifier = server.verifier(0, 3600);
    let token = a.issue(&citizen(CPR)).unwrap();
    let results = futures::future::join_all((0..20).map(|_| verifier.verify(&token))).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(server.fetches(), 1);
    server.handle.stop(true).await;
}

#[actix_web::test]
async fn unknown_kid_triggers_one_refetch_and_picks_up_a_rotated_key() {
    let a = dev_idp();
    let b = dev_idp();
    let c = dev_idp();
    let server = KeyServer::start(jwks_of(&[&a])).await;
    let verifier = server.verifier(0, 3600);

    verifier
        .verify(&a.issue(&citizen(CPR)).unwrap())
        .await
        .unwrap();
    assert_eq!(server.fetches(), 1);

    // The provider rotates in key b: the first b token makes us refetch, exactly once.
    server.publish(jwks_of(&[&a, &b]));
    verifier
        .verify(&b.issue(&citizen(CPR)).unwrap())
        .await
        .unwrap();
    assert_eq!(server.fetches(), 2);
    verifier
        .verify(&b.issue(&citizen(CPR)).unwrap())
        .await
        .unwrap();
    verifier
        .verify(&a.issue(&citizen(CPR)).unwrap())
        .await
        .unwrap();
    assert_eq!(server.fetches(), 2);

    // A key nobody publishes: one refetch, then refused.
    let result = verifier.verify(&c.issue(&citizen(CPR)).unwrap()).await;
    assert!(
        matches!(
            result,
            Err(AuthError::InvalidToken(InvalidToken::UnknownKey))
        ),
        "{result:?}"
    );
    assert_eq!(server.fetches(), 3);
    server.handle.stop(true).await;
}

#[actix_web::test]
async fn a_flood_of_unknown_kids_cannot_hammer_the_provider() {
    let a = dev_idp();
    let server = KeyServer::start(jwks_of(&[&a])).await;
    let verifier = server.verifier(3600, 3600);
    verifier
        .verify(&a.issue(&citizen(CPR)).unwrap())
        .await
        .unwrap();
    assert_eq!(server.fetches(), 1);

    let rogue = KeyFileIdp::new();
    let tokens = (0..50).map(|i| {
        jsonwebtoken::encode(
            &jsonwebtoken::Header {
                kid: Some(format!("made-up-{i}")),
                ..jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256)
            },
            &claims(CPR, "citizen"),
            &rogue.key,
        )
        .unwrap()
    });
    let tokens: Vec<String> = tokens.collect();
    // Half one after the other, half at once.
    for token in &tokens[..25] {
        let result = verifier.verify(token).await;
        assert!(
            matches!(
                result,
                Err(AuthError::InvalidToken(InvalidToken::UnknownKey))
            ),
            "{result:?}"
        );
    }
    let results = futures::future::join_all(tokens[25..].iter().map(|t| verifier.verify(t))).await;
    for result in results {
        assert!(
            matches!(
                result,
                Err(AuthError::InvalidToken(InvalidToken::UnknownKey))
            ),
            "{result:?}"
        );
    }
    assert_eq!(
        server.fetches(),
        2,
        "one refetch for the first unknown kid, then throttled"
    );
    // Known keys keep working meanwhile.
    verifier
        .verify(&a.issue(&citizen(CPR)).unwrap())
        .await
        .unwrap();
    assert_eq!(server.fetches(), 2);
    server.handle.stop(true).await;
}

#[actix_web::test]
async fn with_default_settings_a_rotation_is_picked_up_by_one_refetch() {
    let a = dev_idp();
    let b = dev_idp();
    let c = dev_idp();
    let server = KeyServer::start(jwks_of(&[&a])).await;
    let verifier = TokenVerifier::new(VerifierSettings::new(
        ISSUER,
        AUDIENCE,
        JwksSource::Url(server.url.clone()),
    ))
    .unwrap();
    verifier
        .verify(&a.issue(&citizen(CPR)).unwrap())
        .await
        .unwrap();
    assert_eq!(server.fetches(), 1);

    server.publish(jwks_of(&[&a, &b]));
    verifier
        .verify(&b.issue(&citizen(CPR)).unwrap())
        .await
        .unwrap();
    assert_eq!(
        server.fetches(),
        2,
        "the unknown kid triggered exactly one refetch"
    );

    // Within the interval a further unknown kid is refused without asking again.
    server.publish(jwks_of(&[&a, &b, &c]));
    let result = verifier.verify(&c.issue(&citizen(CPR)).unwrap()).await;
    assert!(
        matches!(
            result,
            Err(AuthError::InvalidToken(InvalidToken::UnknownKey))
        ),
        "{result:?}"
    );
    assert_eq!(server.fetches(), 2);
    server.handle.stop(true).await;
}

#[actix_web::test]
async fn provider_down_is_503_until_it_answers_again() {
    let a = dev_idp();
    let server = KeyServer::start(jwks_of(&[&a])).await;
    server.set_healthy(false);
    let verifier = server.verifier(0, 3600);
    let token = a.issue(&citizen(CPR)).unwrap();
    let result = verifier.verify(&token).await;
    assert!(
        matches!(result, Err(AuthError::IdentityProviderUnavailable(_))),
        "{result:?}"
    );

    server.set_healthy(true);
    verifier.verify(&token).await.unwrap();
    server.handle.stop(true).await;
}

#[actix_web::test]
async fn provider_down_within_the_interval_is_not_asked_again() {
    let a = dev_idp();
    let server = KeyServer::start(jwks_of(&[&a])).await;
    server.set_healthy(false);
    let verifier = server.verifier(3600, 3600);
    let token = a.issue(&citizen(CPR)).unwrap();
    for _ in 0..5 {
        let result = verifier.verify(&token).await;
        assert!(
            matches!(result, Err(AuthError::IdentityProviderUnavailable(_))),
            "{result:?}"
        );
    }
    assert_eq!(server.fetches(), 1);
    server.handle.stop(true).await;
}

#[actix_web::test]
async fn stale_keys_are_refreshed_and_kept_while_the_provider_is_down() {
    let a = dev_idp();
    let server = KeyServer::start(jwks_of(&[&a])).await;
    // Keys are stale at once: every verification tries a refresh.
    let verifier = server.verifier(0, 0);
    verifier
        .verify(&a.issue(&citizen(CPR)).unwrap())
        .await
        .unwrap();
    verifier
        .verify(&a.issue(&citizen(CPR)).unwrap())
        .await
        .unwrap();
    assert_eq!(server.fetches(), 2);

    server.set_healthy(false);
    verifier
        .verify(&a.issue(&citizen(CPR)).unwrap())
        .await
        .unwrap();
    assert_eq!(server.fetches(), 3);
    server.handle.stop(true).await;
}

#[actix_web::test]
async fn a_document_that_is_not_a_jwks_is_unavailable_not_a_crash() {
    let a = dev_idp();
    let server = KeyServer::start(json!({"hello": "world"})).await;
    let verifier = server.verifier(0, 3600);
    let result = verifier.verify(&a.issue(&citizen(CPR)).unwrap()).await;
    assert!(
        matches!(result, Err(AuthError::IdentityProviderUnavailable(_))),
        "{result:?}"
    );
    server.handle.stop(true).await;
}
