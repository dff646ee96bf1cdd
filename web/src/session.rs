//! The session: who is signed in (with their API token), the hold in progress, a
//! one-time message for the next page, and the CSRF secret. It travels in one cookie,
//! encrypted and authenticated (AES-256-GCM, actix's private cookie jar), HttpOnly and
//! SameSite=Lax: scripts cannot read it and other sites cannot forge it. It is loaded
//! by the [`layer`] middleware and written back only when a handler changed it.

use std::cell::RefCell;
use std::future::{ready, Ready};
use std::rc::Rc;

use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, CookieJar, Key, SameSite};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use chrono::{DateTime, Utc};
use rand::RngCore;
use serde::{Deserialize, Serialize};

pub const COOKIE: &str = "nbps_session";

/// Who signed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Citizen,
    Helper,
    Authority,
}

#[derive(Clone, Serialize, Deserialize)]
pub struct User {
    pub role: Role,
    /// The API bearer token. Never shown, never logged.
    pub token: String,
    pub expires_at: DateTime<Utc>,
    /// Citizen and helper: the citizen's CPR number (for the person's own page only).
    #[serde(default)]
    pub cpr: Option<String>,
    /// Helper: their own id. Authority: their id.
    #[serde(default)]
    pub actor: Option<String>,
    /// Helper: the municipality they work for (municipal citizen-service workers).
    #[serde(default)]
    pub municipality: Option<u16>,
    #[serde(default)]
    pub name: Option<String>,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("role", &self.role)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// A place being held, with what the hold page shows.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HeldSlot {
    pub hold_id: String,
    pub slot_id: i64,
    pub expires_at: DateTime<Utc>,
    pub campaign: String,
    pub campaign_name: String,
    pub site_id: i64,
    pub site_name: String,
    pub site_address: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// The booking this hold will replace (a move).
    #[serde(default)]
    pub moving: Option<String>,
    #[serde(default)]
    pub extensions_left: Option<u32>,
    /// Idempotency-Key for confirming this hold: a double click books once.
    pub confirm_key: String,
}

/// A message for the next page (after a redirect).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Flash {
    /// `ok` or `error`.
    pub kind: String,
    /// A message key in `i18n`.
    pub key: String,
    /// The form field the error is about: the page marks it invalid and points it at
    /// the message (`aria-describedby="form-error"`).
    #[serde(default)]
    pub field: Option<String>,
}

/// A place in the booking service's waiting room: an opening gates holds, and this
/// browser queues for its turn.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Queued {
    pub room: String,
    pub visitor: String,
    /// The day page the person was booking from, to go back to when it is their turn.
    pub back: String,
}

/// The waiting room's admission: sent with every hold until it runs out.
#[derive(Clone, Serialize, Deserialize)]
pub struct Admitted {
    pub room: String,
    /// Never shown, never logged.
    pub token: String,
    pub until: DateTime<Utc>,
}

impl std::fmt::Debug for Admitted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Admitted")
            .field("room", &self.room)
            .field("until", &self.until)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SessionData {
    pub csrf: String,
    #[serde(default)]
    pub user: Option<User>,
    #[serde(default)]
    pub hold: Option<HeldSlot>,
    #[serde(default)]
    pub flash: Option<Flash>,
    /// An OpenID Connect sign-in on its way (state, nonce, PKCE verifier).
    #[serde(default)]
    pub oidc: Option<crate::oidc::PendingSignIn>,
    #[serde(default)]
    pub queue: Option<Queued>,
    #[serde(default)]
    pub admission: Option<Admitted>,
}

impl SessionData {
    /// The waiting room's admission, while it is good.
    pub fn admission_now(&self, now: DateTime<Utc>) -> Option<&Admitted> {
        self.admission.as_ref().filter(|a| a.until > now)
    }

    fn fresh() -> Self {
        Self {
            csrf: random_token(),
            ..Self::default()
        }
    }
}

pub fn random_token() -> String {
    let mut bytes = [0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Compares in time independent of where the strings differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() || a.is_empty() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

struct Inner {
    data: SessionData,
    dirty: bool,
}

/// The request's session. Changes are written back as the response leaves.
#[derive(Clone)]
pub struct Session(Rc<RefCell<Inner>>);

impl Session {
    pub fn get(&self) -> SessionData {
        self.0.borrow().data.clone()
    }

    pub fn update(&self, f: impl FnOnce(&mut SessionData)) {
        let mut inner = self.0.borrow_mut();
        f(&mut inner.data);
        inner.dirty = true;
    }

    pub fn csrf(&self) -> String {
        self.0.borrow().data.csrf.clone()
    }

    /// The signed-in user, unless the sign-in has run out (then it is forgotten).
    pub fn user(&self, now: DateTime<Utc>) -> Option<User> {
        let user = self.0.borrow().data.user.clone();
        match user {
            Some(u) if u.expires_at > now => Some(u),
            Some(_) => {
                self.update(|d| {
                    d.user = None;
                    d.hold = None;
                });
                None
            }
            None => None,
        }
    }

    /// Takes the one-time message, if any.
    pub fn take_flash(&self) -> Option<Flash> {
        let flash = self.0.borrow().data.flash.clone();
        if flash.is_some() {
            self.update(|d| d.flash = None);
        }
        flash
    }

    pub fn flash(&self, kind: &str, key: &str) {
        self.flash_about(kind, key, None);
    }

    /// A message about one form field (`None`: about the page).
    pub fn flash_about(&self, kind: &str, key: &str, field: Option<&str>) {
        self.update(|d| {
            d.flash = Some(Flash {
                kind: kind.to_owned(),
                key: key.to_owned(),
                field: field.map(str::to_owned),
            })
        });
    }

    /// Signs out: a new, empty session with a new CSRF secret.
    pub fn reset(&self) {
        self.update(|d| *d = SessionData::fresh());
    }
}

impl FromRequest for Session {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            req.extensions()
                .get::<Session>()
                .cloned()
                .ok_or_else(|| actix_web::error::ErrorInternalServerError("session layer missing")),
        )
    }
}

/// The cookie key and attributes (from settings).
#[derive(Clone)]
pub struct CookieConfig {
    pub key: Key,
    pub secure: bool,
}

impl CookieConfig {
    /// From base64 of at least 64 bytes, or a random key when empty (dev).
    pub fn from_settings(key_b64: &str, secure: bool) -> anyhow::Result<Self> {
        use base64::Engine;
        let key = if key_b64.trim().is_empty() {
            tracing::warn!("session.key is empty: using a random key; sessions end at restart");
            Key::generate()
        } else {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(key_b64.trim())
                .map_err(|_| anyhow::anyhow!("session.key must be base64"))?;
            Key::try_from(bytes.as_slice())
                .map_err(|_| anyhow::anyhow!("session.key must hold at least 64 bytes"))?
        };
        Ok(Self { key, secure })
    }

    fn open(&self, req: &ServiceRequest) -> Option<SessionData> {
        let cookie = req.cookie(COOKIE)?;
        let mut jar = CookieJar::new();
        jar.add_original(cookie);
        let plain = jar.private(&self.key).get(COOKIE)?;
        serde_json::from_str(plain.value()).ok()
    }

    fn seal(&self, data: &SessionData) -> Option<Cookie<'static>> {
        let json = serde_json::to_string(data).ok()?;
        let mut jar = CookieJar::new();
        let mut cookie = Cookie::new(COOKIE, json);
        cookie.set_http_only(true);
        cookie.set_same_site(SameSite::Lax);
        cookie.set_path("/");
        cookie.set_secure(self.secure);
        jar.private_mut(&self.key).add(cookie);
        jar.get(COOKIE).cloned()
    }
}

/// Middleware: opens the session cookie (a missing or tampered one gives a fresh
/// session), and writes it back if the handler changed it.
pub async fn layer(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let config = req
        .app_data::<web::Data<CookieConfig>>()
        .cloned()
        .ok_or_else(|| actix_web::error::ErrorInternalServerError("cookie config missing"))?;
    let (data, dirty) = match config.open(&req) {
        Some(d) => (d, false),
        None => (SessionData::fresh(), true),
    };
    let session = Session(Rc::new(RefCell::new(Inner { data, dirty })));
    req.extensions_mut().insert(session.clone());
    let mut res = next.call(req).await?;
    let inner = session.0.borrow();
    if inner.dirty {
        if let Some(cookie) = config.seal(&inner.data) {
            res.response_mut()
                .add_cookie(&cookie)
                .map_err(actix_web::error::ErrorInternalServerError)?;
        }
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "ab"));
        assert!(!same_secret("", ""));
        assert_ne!(random_token(), random_token());
    }

    #[test]
    fn a_sealed_session_opens_only_with_its_key() {
        let config = CookieConfig::from_settings("", false).unwrap();
        let mut data = SessionData::fresh();
        data.flash = Some(Flash {
            kind: "ok".into(),
            key: "signed_out".into(),
            field: None,
        });
        let cookie = config.seal(&data).unwrap();
        assert!(cookie.http_only().unwrap_or(false));
        assert_eq!(cookie.same_site(), Some(SameSite::Lax));
        assert!(!cookie.value().contains("signed_out"), "encrypted");
        let req = actix_web::test::TestRequest::default()
            .cookie(cookie.clone())
            .to_srv_request();
        let opened = config.open(&req).unwrap();
        assert_eq!(opened.csrf, data.csrf);
        let other = CookieConfig::from_settings("", false).unwrap();
        assert!(other.open(&req).is_none(), "another key cannot open it");
        assert!(CookieConfig::from_settings("short", false).is_err());
    }
}
