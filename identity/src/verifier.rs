//! Verifying bearer tokens: OpenID Connect access tokens (JWT, ES256 or RS256).
//!
//! A token is accepted only if its signature verifies with a key of the identity provider
//! (by `kid`, and only with that key's one algorithm: no `none`, no HMAC, no algorithm
//! confusion), its issuer and audience are ours, it is within `nbf`..`exp` (with a small
//! leeway for clock skew), and its role and subject have the right shape. This module must
//! never log or echo the token, nor the CPR number inside it.

use std::time::Duration;

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Validation};
use serde::{Deserialize, Serialize};

use crate::claims::ReceivedClaims;
use crate::error::{AuthError, InvalidToken};
use crate::jwks::{JwksError, JwksSource, KeySet, KeyStore};
use crate::{Cpr, Principal, Role, Subject};

/// Tokens longer than this are refused before any parsing (real ones are about 1 kB).
const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// How to verify tokens: typically one section of a service's settings file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerifierSettings {
    /// Expected `iss`, e.g. `https://idp.example/realms/citizens`.
    pub issuer: String,
    /// Expected `aud` (one of the token's audiences), e.g. `booking`.
    pub audience: String,
    pub jwks: JwksSource,
    /// Clock skew tolerated on `exp` and `nbf`.
    #[serde(default = "defaults::leeway_seconds")]
    pub leeway_seconds: u64,
    /// At most one JWKS refetch for unknown key ids per this many seconds, and no fetch
    /// at all for this long after a failed one.
    #[serde(default = "defaults::min_refetch_interval_seconds")]
    pub min_refetch_interval_seconds: u64,
    /// A fetched JWKS is refreshed after this many seconds (kept while the refresh fails).
    #[serde(default = "defaults::max_key_age_seconds")]
    pub max_key_age_seconds: u64,
    /// Timeout of one JWKS request.
    #[serde(default = "defaults::fetch_timeout_seconds")]
    pub fetch_timeout_seconds: u64,
}

mod defaults {
    pub fn leeway_seconds() -> u64 {
        30
    }
    pub fn min_refetch_interval_seconds() -> u64 {
        10
    }
    pub fn max_key_age_seconds() -> u64 {
        3600
    }
    pub fn fetch_timeout_seconds() -> u64 {
        5
    }
}

impl VerifierSettings {
    /// Settings with the default leeway (30 s), refetch interval (10 s), key age (1 h)
    /// and fetch timeout (5 s).
    pub fn new(issuer: impl Into<String>, audience: impl Into<String>, jwks: JwksSource) -> Self {
        VerifierSettings {
            issuer: issuer.into(),
            audience: audience.into(),
            jwks,
            leeway_seconds: defaults::leeway_seconds(),
            min_refetch_interval_seconds: defaults::min_refetch_interval_seconds(),
            max_key_age_seconds: defaults::max_key_age_seconds(),
            fetch_timeout_seconds: defaults::fetch_timeout_seconds(),
        }
    }
}

/// Why a `TokenVerifier` cannot be built from its settings.
#[derive(Debug, thiserror::Error)]
pub enum VerifierConfigError {
    #[error("the issuer and the audience must not be empty")]
    MissingIssuerOrAudience,
    #[error("the static JWKS is unusable: {0}")]
    StaticJwks(#[source] JwksError),
    #[error("the JWKS URL must start with http:// or https://")]
    JwksUrl,
    #[error("cannot build the HTTP client for the JWKS: {0}")]
    HttpClient(#[source] reqwest::Error),
}

/// Tokens that verified, so a caller's next requests skip the signature check (an
/// ES256 verify costs about 100 µs; this lookup about 1 µs). Keyed by the token's
/// SHA-256; an entry lives until the token's `exp` and at most `MAX_CACHE_AGE`, so a key
/// withdrawn from the JWKS stops working within that time. Failures are never cached.
type CacheShard =
    std::sync::Mutex<std::collections::HashMap<[u8; 32], (Principal, std::time::Instant)>>;

struct VerifiedCache {
    shards: Vec<CacheShard>,
}

const CACHE_SHARDS: usize = 16;
const CACHE_ENTRIES_PER_SHARD: usize = 8192;
const MAX_CACHE_AGE: std::time::Duration = std::time::Duration::from_secs(300);

impl VerifiedCache {
    fn new() -> Self {
        Self {
            shards: (0..CACHE_SHARDS).map(|_| Default::default()).collect(),
        }
    }

    fn key(token: &str) -> [u8; 32] {
        use sha2::Digest;
        sha2::Sha256::digest(token.as_bytes()).into()
    }

    fn get(&self, key: &[u8; 32]) -> Option<Principal> {
        let shard = self.shards[key[0] as usize % CACHE_SHARDS].lock().ok()?;
        match shard.get(key) {
            Some((p, until)) if *until > std::time::Instant::now() => Some(p.clone()),
            _ => None,
        }
    }

    fn put(&self, key: [u8; 32], principal: &Principal, exp: u64) {
        let now_unix = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let left = std::time::Duration::from_secs(exp.saturating_sub(now_unix)).min(MAX_CACHE_AGE);
        if left.is_zero() {
            return;
        }
        if let Ok(mut shard) = self.shards[key[0] as usize % CACHE_SHARDS].lock() {
            if shard.len() >= CACHE_ENTRIES_PER_SHARD {
                let now = std::time::Instant::now();
                shard.retain(|_, (_, until)| *until > now);
                if shard.len() >= CACHE_ENTRIES_PER_SHARD {
                    shard.clear();
                }
            }
            shard.insert(key, (principal.clone(), std::time::Instant::now() + left));
        }
    }
}

/// Verifies bearer tokens. Cheap to share: register it once as `web::Data<TokenVerifier>`.
pub struct TokenVerifier {
    cache: VerifiedCache,
    keys: KeyStore,
    /// Issuer, audience, leeway and required claims; `algorithms` is set per key.
    validation: Validation,
}

impl std::fmt::Debug for TokenVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenVerifier")
            .field("issuer", &self.validation.iss)
            .field("audience", &self.validation.aud)
            .finish_non_exhaustive()
    }
}

impl TokenVerifier {
    /// Checks the settings; a static JWKS is parsed now, a remote one on first use (so a
    /// service starts even while the identity provider is down, and answers 503 meanwhile).
    pub fn new(settings: VerifierSettings) -> Result<TokenVerifier, VerifierConfigError> {
        if settings.issuer.trim().is_empty() || settings.audience.trim().is_empty() {
            return Err(VerifierConfigError::MissingIssuerOrAudience);
        }
        if !crate::crypto::install() {
            tracing::warn!("another jsonwebtoken crypto provider was installed first");
        }
        let keys = match settings.jwks {
            JwksSource::Static(document) => KeyStore::Static(
                KeySet::from_jwks(&document).map_err(VerifierConfigError::StaticJwks)?,
            ),
            JwksSource::Url(url) => {
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    return Err(VerifierConfigError::JwksUrl);
                }
                let client = reqwest::Client::builder()
                    .timeout(Duration::from_secs(settings.fetch_timeout_seconds))
                    .build()
                    .map_err(VerifierConfigError::HttpClient)?;
                KeyStore::remote(
                    url,
                    client,
                    Duration::from_secs(settings.min_refetch_interval_seconds),
                    Duration::from_secs(settings.max_key_age_seconds),
                )
            }
        };
        let mut validation = Validation::new(Algorithm::ES256);
        validation.set_issuer(&[settings.issuer]);
        validation.set_audience(&[settings.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = settings.leeway_seconds;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.validate_aud = true;
        Ok(TokenVerifier {
            cache: VerifiedCache::new(),
            keys,
            validation,
        })
    }

    /// Verifies a bearer token (without the `Bearer ` prefix) and says who it names.
    pub async fn verify(&self, token: &str) -> Result<Principal, AuthError> {
        let result = self.verify_inner(token.trim()).await;
        if let Err(error) = &result {
            tracing::debug!(%error, "bearer token refused");
        }
        result
    }

    async fn verify_inner(&self, token: &str) -> Result<Principal, AuthError> {
        if token.is_empty() || token.len() > MAX_TOKEN_BYTES {
            return Err(InvalidToken::Malformed.into());
        }
        let cache_key = VerifiedCache::key(token);
        if let Some(principal) = self.cache.get(&cache_key) {
            return Ok(principal);
        }
        let claims: ReceivedClaims = self.decode_verified(token).await?;
        let exp = claims.exp;
        let principal = principal_from_claims(claims)?;
        self.cache.put(cache_key, &principal, exp);
        Ok(principal)
    }

    /// Verifies an OpenID Connect ID token as [`Self::verify`] does a bearer token
    /// (signature against the JWKS, `iss`, `aud` = this client's id, `exp`), and that its
    /// `nonce` is the one the sign-in sent (OIDC Core §3.1.3.7). Never cached.
    pub async fn verify_id_token(&self, token: &str, nonce: &str) -> Result<Principal, AuthError> {
        #[derive(serde::Deserialize)]
        struct IdClaims {
            #[serde(flatten)]
            claims: ReceivedClaims,
            #[serde(default)]
            nonce: Option<String>,
        }
        let token = token.trim();
        if token.is_empty() || token.len() > MAX_TOKEN_BYTES {
            return Err(InvalidToken::Malformed.into());
        }
        let id: IdClaims = self.decode_verified(token).await?;
        let same = id.nonce.as_deref().is_some_and(|n| {
            n.len() == nonce.len()
                && n.bytes()
                    .zip(nonce.bytes())
                    .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                    == 0
        });
        if !same {
            return Err(InvalidToken::BadClaims.into());
        }
        principal_from_claims(id.claims)
    }

    /// The claims of a token whose signature, issuer, audience and times check out.
    async fn decode_verified<T: serde::de::DeserializeOwned>(
        &self,
        token: &str,
    ) -> Result<T, AuthError> {
        // `alg: none` and unknown algorithms already fail here: jsonwebtoken's `Algorithm`
        // has no `none`, so such a header does not parse.
        let header = jsonwebtoken::decode_header(token).map_err(|_| InvalidToken::Malformed)?;
        if !matches!(header.alg, Algorithm::ES256 | Algorithm::RS256) {
            return Err(InvalidToken::UnsupportedAlgorithm.into());
        }
        let key = self.keys.key_for(header.kid.as_deref()).await?;
        if key.alg != header.alg {
            return Err(InvalidToken::UnsupportedAlgorithm.into());
        }
        let mut validation = self.validation.clone();
        validation.algorithms = vec![key.alg];
        jsonwebtoken::decode::<T>(token, &key.key, &validation)
            .map(|data| data.claims)
            .map_err(|e| map_jwt_error(e.kind()))
    }
}

fn map_jwt_error(kind: &ErrorKind) -> AuthError {
    let reason = match kind {
        ErrorKind::ExpiredSignature => return AuthError::TokenExpired,
        ErrorKind::InvalidSignature | ErrorKind::InvalidEcdsaKey | ErrorKind::InvalidRsaKey(_) => {
            InvalidToken::BadSignature
        }
        ErrorKind::InvalidIssuer => InvalidToken::WrongIssuer,
        ErrorKind::InvalidAudience => InvalidToken::WrongAudience,
        ErrorKind::ImmatureSignature => InvalidToken::NotYetValid,
        ErrorKind::MissingRequiredClaim(_) => InvalidToken::MissingClaim,
        ErrorKind::InvalidAlgorithm | ErrorKind::MissingAlgorithm => {
            InvalidToken::UnsupportedAlgorithm
        }
        ErrorKind::Json(_) | ErrorKind::InvalidClaimFormat(_) => InvalidToken::BadClaims,
        // `ErrorKind` is non-exhaustive and foreign: everything else is a malformed token.
        _ => InvalidToken::Malformed,
    };
    AuthError::InvalidToken(reason)
}

fn principal_from_claims(claims: ReceivedClaims) -> Result<Principal, AuthError> {
    let ReceivedClaims {
        sub,
        role,
        act,
        name,
        exp: _,
    } = claims;
    let actor_municipality = act.as_ref().and_then(|a| a.municipality);
    let actor = act.map(|a| a.sub);
    let (subject, actor) = match role {
        Role::Citizen => {
            if actor.is_some() {
                return Err(InvalidToken::UnexpectedActor.into());
            }
            (citizen_subject(&sub)?, None)
        }
        Role::Helper => {
            let helper = actor
                .filter(|a| !a.trim().is_empty())
                .ok_or(InvalidToken::MissingActor)?;
            (citizen_subject(&sub)?, Some(helper))
        }
        Role::Authority | Role::Site => {
            if sub.trim().is_empty() {
                return Err(InvalidToken::EmptySubject.into());
            }
            (Subject::Id(sub), actor)
        }
    };
    Ok(Principal {
        role,
        subject,
        actor,
        // Only a helper acts for someone; a municipality elsewhere means nothing.
        actor_municipality: actor_municipality.filter(|_| role == Role::Helper),
        name,
    })
}

fn citizen_subject(sub: &str) -> Result<Subject, AuthError> {
    Cpr::parse(sub)
        .map(Subject::Cpr)
        .map_err(|_| InvalidToken::SubjectNotCpr.into())
}
