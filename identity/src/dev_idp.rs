//! A development identity provider: DEV AND TESTS ONLY.
//!
//! It signs access tokens for any CPR number or id it is asked for, with no login at all,
//! so a service mounts it only when a setting explicitly enables it, and production never
//! does. It holds one ES256 (P-256) key, loaded from or saved to a PKCS#8 PEM file so that
//! several services and restarts share it, serves the public half as a JWKS and issues
//! tokens of exactly the shape the real provider sends (see [`crate::TokenVerifier`]).
//! It must never log the tokens it issues or the CPR numbers it is given.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use p256::SecretKey;
use serde::{Deserialize, Serialize};
use service_kit::Problem;
use sha2::{Digest, Sha256};

use crate::claims::{Actor, IssuedClaims};
use crate::jwks::JwksSource;
use crate::{Cpr, Role, VerifierSettings};

/// Longest id (helper, authority, site) and name the dev provider puts in a token.
const MAX_ID_CHARS: usize = 128;
const MAX_NAME_CHARS: usize = 200;

/// Why the dev provider could not start or could not issue a token.
#[derive(Debug, thiserror::Error)]
pub enum DevIdpError {
    #[error("dev identity provider key file {path}: {source}")]
    KeyFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("dev identity provider key is not a PKCS#8 P-256 private key: {0}")]
    InvalidKey(String),
    #[error("the token lifetime must be between 1 second and 1 year")]
    InvalidTtl,
    /// The token request is incomplete or inconsistent; the message says what to fix.
    #[error("{0}")]
    InvalidRequest(String),
    #[error("signing the token failed: {0}")]
    Signing(#[source] jsonwebtoken::errors::Error),
}

/// What a client asks the dev provider for (the body of `POST /dev/token`).
///
/// - `citizen`: `cpr` (the citizen);
/// - `helper`: `cpr` (the citizen helped) and `helper` (the helper's own id, not a CPR),
///   and `municipality` for a municipal citizen-service worker (1..=999);
/// - `authority`, `site`: `subject` (their own id, not a CPR).
///
/// Fields that do not belong to the role are refused rather than ignored.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    #[serde(default)]
    pub cpr: Option<String>,
    pub role: Role,
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default)]
    pub helper: Option<String>,
    /// The municipality a municipal helper works for (helper tokens only).
    #[serde(default)]
    pub municipality: Option<u16>,
    #[serde(default)]
    pub name: Option<String>,
}

/// Masks `cpr`: a request in a log line must not reveal a CPR number.
impl fmt::Debug for TokenRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenRequest")
            .field("cpr", &self.cpr.as_ref().map(|_| "******-****"))
            .field("role", &self.role)
            .field("subject", &self.subject)
            .field("helper", &self.helper)
            .field("municipality", &self.municipality)
            .field("name", &self.name)
            .finish()
    }
}

/// The body `POST /dev/token` answers with (RFC 6749 §5.1 shape).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: String,
    pub expires_in: u64,
}

/// The dev-only token issuer. Register it as `web::Data<DevIdentityProvider>` and mount
/// [`configure`] only when the service's settings enable it.
pub struct DevIdentityProvider {
    encoding_key: EncodingKey,
    /// The public JWK of the signing key, with `kid`, `use` and `alg`.
    public_jwk: serde_json::Value,
    key_id: String,
    issuer: String,
    audience: String,
    token_ttl: Duration,
    /// Authorization codes waiting to be exchanged (see [`crate::dev_oidc`]).
    pub(crate) codes: crate::dev_oidc::Codes,
}

/// Never shows the private key.
impl fmt::Debug for DevIdentityProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DevIdentityProvider")
            .field("key_id", &self.key_id)
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("token_ttl", &self.token_ttl)
            .finish_non_exhaustive()
    }
}

impl DevIdentityProvider {
    /// Loads the P-256 key from `key_path` when that file exists; otherwise generates one
    /// and, when a path was given, saves it there (mode 0600) for the next start and for
    /// the other services. Two processes starting at once end up with the same key: the
    /// file appears atomically and the loser of the race loads the winner's key.
    pub fn load_or_generate(
        key_path: Option<&Path>,
        issuer: String,
        audience: String,
        token_ttl: Duration,
    ) -> Result<DevIdentityProvider, DevIdpError> {
        if token_ttl.as_secs() == 0 || token_ttl > Duration::from_secs(366 * 24 * 3600) {
            return Err(DevIdpError::InvalidTtl);
        }
        // Before the first signature: jsonwebtoken fixes its provider on first use.
        crate::crypto::install();
        let secret = match key_path {
            Some(path) if path.exists() => load_key(path)?,
            Some(path) => {
                let generated = SecretKey::random(&mut rand::rngs::OsRng);
                save_key_or_load_winner(path, &generated)?
            }
            None => SecretKey::random(&mut rand::rngs::OsRng),
        };
        let provider = DevIdentityProvider::from_secret(&secret, issuer, audience, token_ttl)?;
        tracing::warn!(
            issuer = %provider.issuer,
            key_id = %provider.key_id,
            "DEVELOPMENT identity provider enabled: it issues tokens without login; never enable it in production"
        );
        Ok(provider)
    }

    fn from_secret(
        secret: &SecretKey,
        issuer: String,
        audience: String,
        token_ttl: Duration,
    ) -> Result<DevIdentityProvider, DevIdpError> {
        let der = secret
            .to_pkcs8_der()
            .map_err(|e| DevIdpError::InvalidKey(e.to_string()))?;
        let point = secret.public_key().to_encoded_point(false);
        let (Some(x), Some(y)) = (point.x(), point.y()) else {
            return Err(DevIdpError::InvalidKey(
                "public key is the identity".to_owned(),
            ));
        };
        let x = URL_SAFE_NO_PAD.encode(x);
        let y = URL_SAFE_NO_PAD.encode(y);
        // RFC 7638 thumbprint: SHA-256 of the required members in lexicographic order, so
        // the kid is stable for a key and differs between keys.
        let canonical = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
        let key_id = URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()));
        let public_jwk = serde_json::json!({
            "kty": "EC",
            "crv": "P-256",
            "x": x,
            "y": y,
            "kid": key_id,
            "use": "sig",
            "alg": "ES256",
        });
        Ok(DevIdentityProvider {
            encoding_key: EncodingKey::from_ec_der(der.as_bytes()),
            public_jwk,
            key_id,
            issuer,
            audience,
            token_ttl,
            codes: crate::dev_oidc::Codes::default(),
        })
    }

    /// Signs `claims` as a JWT with this provider's key (ES256, with its `kid`).
    pub(crate) fn sign<T: Serialize>(&self, claims: &T) -> Result<String, DevIdpError> {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.key_id.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding_key).map_err(DevIdpError::Signing)
    }

    /// The public key set, as served at `GET /dev/jwks.json`.
    pub fn jwks(&self) -> serde_json::Value {
        serde_json::json!({ "keys": [self.public_jwk.clone()] })
    }

    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub fn audience(&self) -> &str {
        &self.audience
    }

    pub fn token_ttl(&self) -> Duration {
        self.token_ttl
    }

    /// Settings for a [`crate::TokenVerifier`] that accepts this provider's tokens, with
    /// the key set inline: a service hosting the dev provider need not call itself.
    pub fn verifier_settings(&self) -> VerifierSettings {
        VerifierSettings::new(
            self.issuer.clone(),
            self.audience.clone(),
            JwksSource::Static(self.jwks()),
        )
    }

    /// Issues a signed access token valid from now for the configured lifetime.
    pub fn issue(&self, request: &TokenRequest) -> Result<String, DevIdpError> {
        self.issue_at(request, Utc::now())
    }

    /// Issues a token as if the time were `issued_at` (`iat` = `nbf` = `issued_at`,
    /// `exp` = `issued_at` + lifetime). For tests of expiry and `nbf`.
    pub fn issue_at(
        &self,
        request: &TokenRequest,
        issued_at: DateTime<Utc>,
    ) -> Result<String, DevIdpError> {
        let subject = subject_and_actor(request)?;
        self.sign(&self.claims(request, &subject, &self.audience, issued_at)?)
    }

    /// An ID token for `client_id` (OIDC Core §2): the access token's claims about the
    /// person, with the client as audience and the sign-in's `nonce`.
    pub(crate) fn id_token(
        &self,
        request: &TokenRequest,
        client_id: &str,
        nonce: &str,
    ) -> Result<String, DevIdpError> {
        #[derive(Serialize)]
        struct IdClaims<'a> {
            #[serde(flatten)]
            claims: IssuedClaims<'a>,
            nonce: &'a str,
        }
        let subject = subject_and_actor(request)?;
        self.sign(&IdClaims {
            claims: self.claims(request, &subject, client_id, Utc::now())?,
            nonce,
        })
    }

    /// The claims of a token for `request` to `aud`, valid from `issued_at` for the
    /// configured lifetime; `subject` is the checked (`sub`, `act.sub`).
    fn claims<'a>(
        &'a self,
        request: &'a TokenRequest,
        subject: &'a (String, Option<String>),
        aud: &'a str,
        issued_at: DateTime<Utc>,
    ) -> Result<IssuedClaims<'a>, DevIdpError> {
        let name = request
            .name
            .as_deref()
            .map(|name| checked_text("name", name, MAX_NAME_CHARS))
            .transpose()?;
        let iat = issued_at.timestamp();
        // The lifetime was checked to be at most a year in `load_or_generate`.
        let ttl = i64::try_from(self.token_ttl.as_secs()).map_err(|_| DevIdpError::InvalidTtl)?;
        Ok(IssuedClaims {
            iss: &self.issuer,
            aud,
            exp: iat.saturating_add(ttl),
            iat,
            nbf: iat,
            jti: uuid::Uuid::new_v4().to_string(),
            sub: &subject.0,
            role: request.role,
            act: subject.1.clone().map(|sub| Actor {
                sub,
                municipality: request.municipality,
            }),
            name,
        })
    }
}

/// The `sub` and `act.sub` for a request, after checking the request fits its role.
pub(crate) fn subject_and_actor(
    request: &TokenRequest,
) -> Result<(String, Option<String>), DevIdpError> {
    let invalid = |message: &str| Err(DevIdpError::InvalidRequest(message.to_owned()));
    let cpr = request
        .cpr
        .as_deref()
        .map(|cpr| Cpr::parse(cpr).map_err(|e| DevIdpError::InvalidRequest(format!("cpr: {e}"))))
        .transpose()?;
    match request.role {
        Role::Citizen => {
            let Some(cpr) = cpr else {
                return invalid("a citizen token needs `cpr`");
            };
            if request.helper.is_some()
                || request.subject.is_some()
                || request.municipality.is_some()
            {
                return invalid("a citizen token takes only `cpr` (and `name`)");
            }
            Ok((cpr.as_str().to_owned(), None))
        }
        Role::Helper => {
            let (Some(cpr), Some(helper)) = (cpr, request.helper.as_deref()) else {
                return invalid("a helper token needs `cpr` (the citizen helped) and `helper` (the helper's id)");
            };
            if request.subject.is_some() {
                return invalid("a helper token takes `cpr` and `helper`, not `subject`");
            }
            if request
                .municipality
                .is_some_and(|m| !(1..=999).contains(&m))
            {
                return invalid("`municipality` is a municipality code, 1 to 999");
            }
            let helper = checked_id("helper", helper)?;
            Ok((cpr.as_str().to_owned(), Some(helper.to_owned())))
        }
        Role::Authority | Role::Site => {
            let Some(subject) = request.subject.as_deref() else {
                return invalid("authority and site tokens need `subject` (their own id)");
            };
            if request.cpr.is_some() || request.helper.is_some() || request.municipality.is_some() {
                return invalid("authority and site tokens take `subject`, not `cpr`, `helper` or `municipality`");
            }
            Ok((checked_id("subject", subject)?.to_owned(), None))
        }
    }
}

/// An id of someone who is not the citizen: not empty, short, printable, and never a
/// CPR number (these ids end up in logs and audit entries as they are).
fn checked_id<'a>(field: &str, id: &'a str) -> Result<&'a str, DevIdpError> {
    let id = checked_text(field, id, MAX_ID_CHARS)?;
    if Cpr::parse(id).is_ok() {
        return Err(DevIdpError::InvalidRequest(format!(
            "`{field}` must be an id of its own, not a CPR number"
        )));
    }
    Ok(id)
}

fn checked_text<'a>(field: &str, text: &'a str, max_chars: usize) -> Result<&'a str, DevIdpError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(DevIdpError::InvalidRequest(format!(
            "`{field}` must not be empty"
        )));
    }
    if text.chars().count() > max_chars {
        return Err(DevIdpError::InvalidRequest(format!(
            "`{field}` is longer than {max_chars} characters"
        )));
    }
    if text.chars().any(char::is_control) {
        return Err(DevIdpError::InvalidRequest(format!(
            "`{field}` must not contain control characters"
        )));
    }
    Ok(text)
}

fn key_file_error(path: &Path) -> impl FnOnce(std::io::Error) -> DevIdpError + '_ {
    move |source| DevIdpError::KeyFile {
        path: path.to_owned(),
        source,
    }
}

fn load_key(path: &Path) -> Result<SecretKey, DevIdpError> {
    let pem = std::fs::read_to_string(path).map_err(key_file_error(path))?;
    SecretKey::from_pkcs8_pem(&pem).map_err(|e| DevIdpError::InvalidKey(e.to_string()))
}

/// Writes the key to a temporary file, then links it into place: the key file appears
/// complete or not at all. If another process got there first, its key wins.
fn save_key_or_load_winner(path: &Path, secret: &SecretKey) -> Result<SecretKey, DevIdpError> {
    let pem = secret
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| DevIdpError::InvalidKey(e.to_string()))?;
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(key_file_error(dir))?;
    }
    let mut tmp_name = path.as_os_str().to_owned();
    tmp_name.push(format!(".tmp-{}", uuid::Uuid::new_v4()));
    let tmp = PathBuf::from(tmp_name);
    let written = write_private_file(&tmp, pem.as_bytes());
    let linked = written.and_then(|()| std::fs::hard_link(&tmp, path));
    // The temporary name is gone either way; a failure to remove it changes nothing.
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => Ok(secret.clone()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => load_key(path),
        Err(e) => Err(key_file_error(path)(e)),
    }
}

fn write_private_file(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

impl ResponseError for DevIdpError {
    fn status_code(&self) -> StatusCode {
        self.problem().status_code()
    }

    fn error_response(&self) -> HttpResponse {
        self.problem().to_response()
    }
}

impl DevIdpError {
    fn problem(&self) -> Problem {
        match self {
            DevIdpError::InvalidRequest(message) => {
                Problem::new(StatusCode::BAD_REQUEST, "invalid_request", message.clone())
            }
            DevIdpError::KeyFile { .. }
            | DevIdpError::InvalidKey(_)
            | DevIdpError::InvalidTtl
            | DevIdpError::Signing(_) => {
                tracing::error!(error = %self, "dev identity provider failed");
                Problem::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal_error",
                    "The development identity provider failed; see the service log.",
                )
            }
        }
    }
}

/// Mounts `POST /dev/token`, `GET /dev/jwks.json` and the OpenID Connect
/// authorization-code flow (`/dev/.well-known/openid-configuration`, `/dev/authorize`,
/// `/dev/oauth/token`, see [`crate::dev_oidc`]). DEV ONLY: call it only when the
/// service's settings enable the dev provider, and register `web::Data<DevIdentityProvider>`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/dev/token").route(web::post().to(token_endpoint)))
        .service(web::resource("/dev/jwks.json").route(web::get().to(jwks_endpoint)));
    crate::dev_oidc::configure(cfg);
}

pub(crate) fn provider(req: &HttpRequest) -> Option<web::Data<DevIdentityProvider>> {
    req.app_data::<web::Data<DevIdentityProvider>>().cloned()
}

pub(crate) fn provider_missing() -> HttpResponse {
    tracing::error!("dev identity provider routes mounted without web::Data<DevIdentityProvider>");
    Problem::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal_error",
        "The development identity provider is not configured.",
    )
    .to_response()
}

async fn token_endpoint(req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let Some(provider) = provider(&req) else {
        return provider_missing();
    };
    // Parsed by hand so that malformed JSON gets the same problem+json as bad content.
    let request: TokenRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(e) => {
            return DevIdpError::InvalidRequest(format!(
                "the body must be JSON like {{\"cpr\": \"DDMMYYSSSS\", \"role\": \"citizen\"}}: {}",
                json_error_summary(&e)
            ))
            .error_response()
        }
    };
    match provider.issue(&request) {
        Ok(access_token) => HttpResponse::Ok()
            .insert_header(("Cache-Control", "no-store"))
            .json(TokenResponse {
                access_token,
                token_type: "Bearer".to_owned(),
                expires_in: provider.token_ttl.as_secs(),
            }),
        Err(error) => error.error_response(),
    }
}

/// serde_json's message without echoing input values (a CPR could be among them).
fn json_error_summary(error: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let what = match error.classify() {
        Category::Io | Category::Eof => "the body ended early",
        Category::Syntax => "the body is not valid JSON",
        Category::Data => "a field is missing, unknown or of the wrong type (role is one of citizen, helper, authority, site)",
    };
    format!("{what} (line {}, column {})", error.line(), error.column())
}

async fn jwks_endpoint(req: HttpRequest) -> HttpResponse {
    match provider(&req) {
        Some(provider) => HttpResponse::Ok()
            .insert_header(("Cache-Control", "public, max-age=300"))
            .json(provider.jwks()),
        None => provider_missing(),
    }
}
