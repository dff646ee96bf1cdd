//! The web front end's settings (loaded like every service's: defaults, `APP_CONFIG`
//! TOML, then `APP__SECTION__KEY` environment variables).

use serde::{Deserialize, Serialize};
use service_kit::settings::{HttpSettings, TelemetrySettings};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub http: HttpSettings,
    pub telemetry: TelemetrySettings,
    pub apis: ApiSettings,
    pub identity: SignInSettings,
    pub session: SessionSettings,
    /// Peers whose `X-Forwarded-For` names the browser (the load balancer or ingress in
    /// front of this front end): addresses or networks, in the environment one
    /// comma-separated string. The address passed on to the booking service for its
    /// per-address limit is the browser's, not the proxy's.
    #[serde(deserialize_with = "service_kit::settings::list_or_commas")]
    pub trusted_proxies: Vec<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            http: HttpSettings {
                port: 8082,
                ..HttpSettings::default()
            },
            telemetry: TelemetrySettings::default(),
            apis: ApiSettings::default(),
            identity: SignInSettings::default(),
            session: SessionSettings::default(),
            trusted_proxies: Vec::new(),
        }
    }
}

/// Where the JSON APIs are. The pages call them with the signed-in person's token.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct ApiSettings {
    /// The booking service, e.g. `http://127.0.0.1:8080`.
    pub booking_url: String,
    /// The pass service (registers and passes), e.g. `http://127.0.0.1:8081`.
    pub passes_url: String,
    /// How long one API call may take before the page says "try again".
    pub timeout_seconds: u32,
    /// The booking service's Prometheus counters, sampled for the opening-day view.
    /// Empty: `{booking_url}/metrics`.
    pub metrics_url: String,
    /// How often they are sampled.
    pub metrics_every_seconds: u32,
}

impl Default for ApiSettings {
    fn default() -> Self {
        Self {
            booking_url: "http://127.0.0.1:8080".into(),
            passes_url: "http://127.0.0.1:8081".into(),
            timeout_seconds: 10,
            metrics_url: String::new(),
            metrics_every_seconds: 5,
        }
    }
}

/// How people sign in.
///
/// `provider = "dev"` (the default) shows a form that asks the development identity
/// provider (`POST {dev_token_url}`) for a token: DEVELOPMENT ONLY, clearly marked on
/// the page. `provider = "oidc"` is the real eID sign-in: the OpenID Connect
/// authorization-code flow with PKCE, state and nonce, against the provider named by
/// `discovery_url` (its `.well-known/openid-configuration`) or by `issuer`,
/// `authorization_url`, `token_url` and `jwks_url`; `client_id` (and `client_secret`,
/// sent as `client_secret_post` when set); `redirect_url` is this site's
/// `/signin/callback` (empty: derived from the request's Host, fine locally; set it in
/// production, where the provider checks it against the client's registration).
/// Anything else refuses to start.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct SignInSettings {
    pub provider: String,
    pub dev_token_url: String,
    pub discovery_url: String,
    pub issuer: String,
    pub authorization_url: String,
    pub token_url: String,
    pub jwks_url: String,
    pub client_id: String,
    pub client_secret: String,
    pub redirect_url: String,
    /// Scopes asked for; `openid` when empty.
    pub scope: String,
}

impl Default for SignInSettings {
    fn default() -> Self {
        Self {
            provider: "dev".into(),
            dev_token_url: "http://127.0.0.1:8080/dev/token".into(),
            discovery_url: String::new(),
            issuer: String::new(),
            authorization_url: String::new(),
            token_url: String::new(),
            jwks_url: String::new(),
            client_id: String::new(),
            client_secret: String::new(),
            redirect_url: String::new(),
            scope: String::new(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct SessionSettings {
    /// Base64 of at least 64 random bytes: encrypts and signs the session cookie. Empty:
    /// a random key per start (sessions end when the process restarts; dev only).
    pub key: String,
    /// Send cookies only over HTTPS. Off for local plain-HTTP runs.
    pub secure_cookies: bool,
    /// Sign-in lasts at most this long (and never longer than the token).
    pub max_minutes: u32,
    /// Warn this many minutes before the sign-in ends, with a button to stay signed in
    /// (WCAG 2.2.1: no time-out without warning and a way to extend).
    pub warn_minutes: u32,
}

impl Default for SessionSettings {
    fn default() -> Self {
        Self {
            key: String::new(),
            secure_cookies: false,
            max_minutes: 60,
            warn_minutes: 10,
        }
    }
}
