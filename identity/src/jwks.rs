//! The identity provider's public keys (JWKS), from a URL or given inline.
//!
//! A remote key set is fetched lazily, cached, refreshed when it is older than its maximum
//! age, and refetched when a token names a key id we do not know (the provider rotated its
//! keys). Two throttles keep us from hammering the identity provider:
//!
//! - refetches for unknown key ids: at most one per `min_refetch_interval`, so a flood of
//!   tokens with made-up key ids costs the provider one request per interval;
//! - after a failed fetch, no fetch at all until `min_refetch_interval` has passed, so a
//!   provider that is down is not hit by every incoming request.
//!
//! Concurrent requests share one fetch. This module must never log a token.

use std::sync::Arc;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};
use serde::{Deserialize, Serialize};
use tokio::sync::{Mutex, RwLock};

use crate::error::{AuthError, InvalidToken};

/// A JWKS document larger than this is refused (real ones are a few kilobytes).
const MAX_JWKS_BYTES: usize = 1024 * 1024;

/// Where the verifier gets the identity provider's public keys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JwksSource {
    /// The provider's `jwks_uri`, fetched over HTTP(S).
    Url(String),
    /// A JWKS document (`{"keys": [...]}`) known up front, e.g. the in-process dev provider.
    Static(serde_json::Value),
}

/// Why a JWKS document could not be obtained or used.
#[derive(Debug, thiserror::Error)]
pub enum JwksError {
    #[error("fetching the JWKS failed: {0}")]
    Transport(String),
    #[error("the JWKS endpoint answered HTTP {0}")]
    Status(u16),
    #[error("the JWKS document is larger than {MAX_JWKS_BYTES} bytes")]
    TooLarge,
    #[error("the JWKS document is not JSON with a `keys` array")]
    NotAJwks,
    #[error("the JWKS document holds no usable ES256 (P-256) or RS256 signing key")]
    NoUsableKey,
}

/// One public key we accept signatures from.
pub(crate) struct VerifyingKey {
    pub kid: Option<String>,
    /// The only algorithm this key verifies (no algorithm confusion).
    pub alg: Algorithm,
    pub key: DecodingKey,
}

/// The usable keys of one JWKS document.
pub(crate) struct KeySet {
    keys: Vec<Arc<VerifyingKey>>,
}

impl KeySet {
    /// Keeps the ES256/P-256 and RS256 signing keys; skips anything else (encryption keys,
    /// other curves, keys we cannot parse) instead of failing the whole set.
    pub fn from_jwks(document: &serde_json::Value) -> Result<KeySet, JwksError> {
        let entries = document
            .get("keys")
            .and_then(serde_json::Value::as_array)
            .ok_or(JwksError::NotAJwks)?;
        let keys: Vec<Arc<VerifyingKey>> = entries
            .iter()
            .filter_map(|entry| {
                let jwk: Jwk = serde_json::from_value(entry.clone()).ok()?;
                usable_key(&jwk).map(Arc::new)
            })
            .collect();
        if keys.is_empty() {
            return Err(JwksError::NoUsableKey);
        }
        Ok(KeySet { keys })
    }

    /// The key a token's `kid` names; a token without `kid` is accepted only when the set
    /// has exactly one key, so there is no guessing between keys.
    pub fn find(&self, kid: Option<&str>) -> Option<Arc<VerifyingKey>> {
        match kid {
            Some(kid) => self
                .keys
                .iter()
                .find(|k| k.kid.as_deref() == Some(kid))
                .cloned(),
            None => match self.keys.as_slice() {
                [only] => Some(Arc::clone(only)),
                _ => None,
            },
        }
    }
}

fn usable_key(jwk: &Jwk) -> Option<VerifyingKey> {
    if matches!(&jwk.common.public_key_use, Some(u) if *u != PublicKeyUse::Signature) {
        return None;
    }
    let alg = match &jwk.algorithm {
        AlgorithmParameters::EllipticCurve(ec) if ec.curve == EllipticCurve::P256 => {
            Algorithm::ES256
        }
        AlgorithmParameters::RSA(_) => Algorithm::RS256,
        _ => return None,
    };
    let declared_ok = match jwk.common.key_algorithm {
        None => true,
        Some(KeyAlgorithm::ES256) => alg == Algorithm::ES256,
        Some(KeyAlgorithm::RS256) => alg == Algorithm::RS256,
        Some(_) => false,
    };
    if !declared_ok {
        return None;
    }
    let key = DecodingKey::from_jwk(jwk).ok()?;
    if alg == Algorithm::ES256 {
        // Refuse points that are not on the curve now rather than at every verification.
        p256::PublicKey::from_sec1_bytes(key.as_bytes()).ok()?;
    }
    Some(VerifyingKey {
        kid: jwk.common.key_id.clone(),
        alg,
        key,
    })
}

/// Where keys come from, with the cache for remote sets.
pub(crate) enum KeyStore {
    Static(KeySet),
    Remote(Box<RemoteKeys>),
}

pub(crate) struct RemoteKeys {
    url: String,
    client: reqwest::Client,
    min_refetch_interval: Duration,
    max_age: Duration,
    cache: RwLock<Cache>,
    /// Held while fetching, so concurrent misses wait for one fetch instead of starting many.
    fetch_lock: Mutex<()>,
}

#[derive(Default)]
struct Cache {
    keys: Option<Arc<KeySet>>,
    fetched_at: Option<Instant>,
    /// When a fresh set was last refetched because of an unknown key id.
    last_unknown_kid_refetch: Option<Instant>,
    /// When the last fetch failed; cleared by a successful one.
    last_failure: Option<Instant>,
}

/// What a refresh attempt did.
enum Refresh {
    /// Fetched a new set, or another task did while we waited.
    Done,
    /// The last attempt was too recent; nothing was fetched.
    Throttled,
    /// The fetch failed.
    Failed(JwksError),
}

impl KeyStore {
    pub fn remote(
        url: String,
        client: reqwest::Client,
        min_refetch_interval: Duration,
        max_age: Duration,
    ) -> KeyStore {
        KeyStore::Remote(Box::new(RemoteKeys {
            url,
            client,
            min_refetch_interval,
            max_age,
            cache: RwLock::new(Cache::default()),
            fetch_lock: Mutex::new(()),
        }))
    }

    /// The key for a token's `kid`, fetching or refetching the remote set when needed.
    pub async fn key_for(&self, kid: Option<&str>) -> Result<Arc<VerifyingKey>, AuthError> {
        match self {
            KeyStore::Static(set) => set
                .find(kid)
                .ok_or(AuthError::InvalidToken(InvalidToken::UnknownKey)),
            KeyStore::Remote(remote) => remote.key_for(kid).await,
        }
    }
}

impl RemoteKeys {
    async fn key_for(&self, kid: Option<&str>) -> Result<Arc<VerifyingKey>, AuthError> {
        {
            let cache = self.cache.read().await;
            if cache.is_fresh(self.max_age) {
                if let Some(key) = cache.keys.as_ref().and_then(|set| set.find(kid)) {
                    return Ok(key);
                }
            }
        }
        let outcome = self.refresh(kid).await;
        let cache = self.cache.read().await;
        // A stale set still verifies while the provider is unreachable: its keys were
        // genuine, and refusing every citizen because of a provider hiccup helps nobody.
        if let Some(key) = cache.keys.as_ref().and_then(|set| set.find(kid)) {
            return Ok(key);
        }
        match (outcome, cache.keys.is_some()) {
            (Refresh::Failed(error), _) => {
                Err(AuthError::IdentityProviderUnavailable(error.to_string()))
            }
            (Refresh::Done | Refresh::Throttled, false) => Err(
                AuthError::IdentityProviderUnavailable("no key set fetched yet".to_owned()),
            ),
            (Refresh::Done | Refresh::Throttled, true) => {
                Err(AuthError::InvalidToken(InvalidToken::UnknownKey))
            }
        }
    }

    async fn refresh(&self, kid: Option<&str>) -> Refresh {
        let _fetching = self.fetch_lock.lock().await;
        let now = Instant::now();
        let recent = |at: Option<Instant>| {
            at.is_some_and(|at| now.duration_since(at) < self.min_refetch_interval)
        };
        let unknown_kid = {
            let cache = self.cache.read().await;
            let fresh = cache.is_fresh(self.max_age);
            let has_key = cache
                .keys
                .as_ref()
                .is_some_and(|set| set.find(kid).is_some());
            if has_key && fresh {
                // Another task fetched while we waited for the lock.
                return Refresh::Done;
            }
            if recent(cache.last_failure) {
                return Refresh::Throttled;
            }
            // A fresh set without the key: the provider may have rotated, or the kid is
            // made up. Only this case is throttled on success too (a missing or stale set
            // is fetched once and then stays fresh for `max_age`).
            let unknown_kid = fresh && !has_key;
            if unknown_kid && recent(cache.last_unknown_kid_refetch) {
                return Refresh::Throttled;
            }
            unknown_kid
        };
        if unknown_kid {
            self.cache.write().await.last_unknown_kid_refetch = Some(now);
        }
        match self.fetch().await {
            Ok(set) => {
                let mut cache = self.cache.write().await;
                cache.keys = Some(Arc::new(set));
                cache.fetched_at = Some(Instant::now());
                cache.last_failure = None;
                tracing::info!(url = %self.url, "fetched identity provider keys");
                Refresh::Done
            }
            Err(error) => {
                self.cache.write().await.last_failure = Some(Instant::now());
                tracing::warn!(url = %self.url, %error, "cannot fetch identity provider keys");
                Refresh::Failed(error)
            }
        }
    }

    async fn fetch(&self) -> Result<KeySet, JwksError> {
        let response = self
            .client
            .get(&self.url)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| JwksError::Transport(e.to_string()))?;
        let status = response.status();
        if !status.is_success() {
            return Err(JwksError::Status(status.as_u16()));
        }
        if response
            .content_length()
            .is_some_and(|length| length > MAX_JWKS_BYTES as u64)
        {
            return Err(JwksError::TooLarge);
        }
        let body = response
            .bytes()
            .await
            .map_err(|e| JwksError::Transport(e.to_string()))?;
        if body.len() > MAX_JWKS_BYTES {
            return Err(JwksError::TooLarge);
        }
        let document: serde_json::Value =
            serde_json::from_slice(&body).map_err(|_| JwksError::NotAJwks)?;
        KeySet::from_jwks(&document)
    }
}

impl Cache {
    fn is_fresh(&self, max_age: Duration) -> bool {
        self.fetched_at.is_some_and(|at| at.elapsed() < max_age)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const X: &str = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
    const Y: &str = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";

    #[test]
    fn keeps_signing_keys_and_skips_the_rest() {
        let doc = json!({"keys": [
            {"kty": "EC", "crv": "P-256", "x": X, "y": Y, "kid": "ec", "use": "sig"},
            {"kty": "EC", "crv": "P-256", "x": X, "y": Y, "kid": "enc", "use": "enc"},
            {"kty": "EC", "crv": "P-256", "x": X, "y": Y, "kid": "wrongalg", "alg": "RS256"},
            {"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA", "kid": "offcurve"},
            {"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"},
            {"kty": "weird"},
        ]});
        let set = KeySet::from_jwks(&doc).unwrap();
        assert_eq!(set.keys.len(), 1);
        let key = set.find(Some("ec")).unwrap();
        assert_eq!(key.alg, Algorithm::ES256);
        assert!(set.find(Some("hmac")).is_none());
        assert!(set.find(Some("enc")).is_none());
        // One key: a token without kid may use it.
        assert!(set.find(None).is_some());
    }

    #[test]
    fn refuses_documents_without_usable_keys() {
        assert!(matches!(
            KeySet::from_jwks(&json!({"nokeys": []})),
            Err(JwksError::NotAJwks)
        ));
        assert!(matches!(
            KeySet::from_jwks(&json!({"keys": [{"kty": "oct", "k": "c2VjcmV0"}]})),
            Err(JwksError::NoUsableKey)
        ));
    }

    #[test]
    fn kidless_tokens_need_a_single_key() {
        let doc = json!({"keys": [
            {"kty": "EC", "crv": "P-256", "x": X, "y": Y, "kid": "a"},
            {"kty": "EC", "crv": "P-256", "x": X, "y": Y, "kid": "b"},
        ]});
        let set = KeySet::from_jwks(&doc).unwrap();
        assert!(set.find(None).is_none());
        assert!(set.find(Some("b")).is_some());
        assert!(set.find(Some("c")).is_none());
    }
}
