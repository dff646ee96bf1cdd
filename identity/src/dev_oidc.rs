//! The development identity provider's OpenID Connect authorization-code flow with PKCE:
//! DEV AND TESTS ONLY, mounted with the rest of [`crate::dev_idp`] when a setting enables
//! it (off by default). It lets a web front end sign people in exactly as with a real
//! eID provider: discovery document, redirect to `/dev/authorize` (a login form that asks
//! who you are instead of checking it), back with a one-time code, exchanged at
//! `/dev/oauth/token` for an access token and an ID token signed with the JWKS key.
//!
//! What it checks, as a real provider does: the code is used once, within a minute, by
//! the same client and redirect URI, with the PKCE verifier whose S256 challenge came
//! with it (RFC 7636 §4.6). What it does not do: register clients (any client id is
//! accepted) or authenticate anyone. It never logs codes, tokens or CPR numbers.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::dev_idp::{provider, provider_missing, subject_and_actor, TokenRequest};
use crate::Role;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

/// How long a code may wait for its exchange.
const CODE_LIFETIME: Duration = Duration::from_secs(60);
/// At most this many codes wait at once (older ones are dropped first).
const MAX_CODES: usize = 10_000;

/// What a code stands for until it is exchanged.
struct Pending {
    request: TokenRequest,
    client_id: String,
    redirect_uri: String,
    nonce: String,
    code_challenge: String,
    issued: Instant,
}

/// Authorization codes waiting for their exchange.
#[derive(Default)]
pub struct Codes(Mutex<HashMap<String, Pending>>);

impl Codes {
    fn put(&self, code: String, pending: Pending) {
        let mut codes = self.0.lock().unwrap_or_else(|e| e.into_inner());
        codes.retain(|_, p| p.issued.elapsed() < CODE_LIFETIME);
        if codes.len() >= MAX_CODES {
            if let Some(oldest) = codes
                .iter()
                .min_by_key(|(_, p)| p.issued)
                .map(|(c, _)| c.clone())
            {
                codes.remove(&oldest);
            }
        }
        codes.insert(code, pending);
    }

    /// Takes the code out: a second exchange finds nothing.
    fn take(&self, code: &str) -> Option<Pending> {
        let mut codes = self.0.lock().unwrap_or_else(|e| e.into_inner());
        codes
            .remove(code)
            .filter(|p| p.issued.elapsed() < CODE_LIFETIME)
    }
}

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/dev/.well-known/openid-configuration").route(web::get().to(discovery)),
    )
    .service(
        web::resource("/dev/authorize")
            .route(web::get().to(authorize_form))
            .route(web::post().to(authorize)),
    )
    .service(web::resource("/dev/oauth/token").route(web::post().to(token)));
}

/// The base URL the caller reached us at: the endpoints are on this host, whatever
/// the configured issuer string says (it is an identifier, compared as is).
fn base(req: &HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}/dev", info.scheme(), info.host())
}

async fn discovery(req: HttpRequest) -> HttpResponse {
    let Some(idp) = provider(&req) else {
        return provider_missing();
    };
    let base = base(&req);
    HttpResponse::Ok().json(serde_json::json!({
        "issuer": idp.issuer(),
        "authorization_endpoint": format!("{base}/authorize"),
        "token_endpoint": format!("{base}/oauth/token"),
        "jwks_uri": format!("{base}/jwks.json"),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": ["openid"],
        "token_endpoint_auth_methods_supported": ["none", "client_secret_post"],
    }))
}

/// The authorization request (RFC 6749 §4.1.1, OIDC Core §3.1.2.1, RFC 7636 §4.3).
#[derive(Debug, Deserialize)]
struct AuthorizeQuery {
    #[serde(default)]
    response_type: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    redirect_uri: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    nonce: String,
    #[serde(default)]
    code_challenge: String,
    #[serde(default)]
    code_challenge_method: String,
}

impl AuthorizeQuery {
    /// What is wrong with the request, if anything. An unusable redirect URI is never
    /// redirected to (§4.1.2.1): the error is shown here instead.
    fn problem(&self) -> Option<&'static str> {
        let redirect_ok = (self.redirect_uri.starts_with("http://")
            || self.redirect_uri.starts_with("https://"))
            && !self.redirect_uri.contains('#');
        if self.client_id.trim().is_empty() || !redirect_ok {
            return Some("client_id and an http(s) redirect_uri are required");
        }
        if self.response_type != "code" || !self.scope.split(' ').any(|s| s == "openid") {
            return Some("only response_type=code with scope openid is supported");
        }
        if self.code_challenge_method != "S256" || self.code_challenge.len() < 43 {
            return Some("PKCE is required: code_challenge with code_challenge_method=S256");
        }
        if self.state.is_empty() || self.nonce.is_empty() {
            return Some("state and nonce are required");
        }
        None
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn bad_request(message: &str) -> HttpResponse {
    HttpResponse::BadRequest()
        .content_type("text/plain; charset=utf-8")
        .body(message.to_owned())
}

/// `GET /dev/authorize`: the development sign-in form (who are you? no password).
async fn authorize_form(q: web::Query<AuthorizeQuery>) -> HttpResponse {
    if let Some(problem) = q.problem() {
        return bad_request(problem);
    }
    let hidden: String = [
        ("response_type", &q.response_type),
        ("client_id", &q.client_id),
        ("redirect_uri", &q.redirect_uri),
        ("scope", &q.scope),
        ("state", &q.state),
        ("nonce", &q.nonce),
        ("code_challenge", &q.code_challenge),
        ("code_challenge_method", &q.code_challenge_method),
    ]
    .iter()
    .map(|(k, v)| format!(r#"<input type="hidden" name="{k}" value="{}">"#, escape(v)))
    .collect();
    let page = format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Development sign-in</title></head>
<body><main><h1>Development identity provider</h1>
<p><strong>DEVELOPMENT ONLY.</strong> Anyone can sign in as anyone here.</p>
<form method="post" action="/dev/authorize">{hidden}
<fieldset><legend>Role</legend>
<input type="radio" id="r-citizen" name="role" value="citizen" checked><label for="r-citizen">citizen</label>
<input type="radio" id="r-helper" name="role" value="helper"><label for="r-helper">helper</label>
<input type="radio" id="r-authority" name="role" value="authority"><label for="r-authority">authority</label>
</fieldset>
<p><label for="cpr">CPR number</label> <input id="cpr" name="cpr"></p>
<p><label for="helper">Helper id</label> <input id="helper" name="helper"></p>
<p><label for="municipality">Municipality code (municipal helpers)</label> <input id="municipality" name="municipality"></p>
<p><label for="subject">Authority id</label> <input id="subject" name="subject"></p>
<p><label for="name">Name</label> <input id="name" name="name"></p>
<button type="submit">Sign in</button></form></main></body></html>"#
    );
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body(page)
}

/// The login form: the authorization request again, and who signs in.
#[derive(Debug, Deserialize)]
struct AuthorizeForm {
    #[serde(flatten)]
    query: AuthorizeQuery,
    #[serde(default)]
    role: String,
    #[serde(default)]
    cpr: String,
    #[serde(default)]
    helper: String,
    #[serde(default)]
    municipality: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    name: String,
}

fn token_request(f: &AuthorizeForm) -> Result<TokenRequest, String> {
    let text = |s: &str| {
        let s = s.trim();
        (!s.is_empty()).then(|| s.to_owned())
    };
    let role = match f.role.as_str() {
        "citizen" => Role::Citizen,
        "helper" => Role::Helper,
        "authority" => Role::Authority,
        _ => return Err("role is citizen, helper or authority".into()),
    };
    let municipality = text(&f.municipality)
        .map(|m| {
            m.parse::<u16>()
                .map_err(|_| "municipality is a number".to_owned())
        })
        .transpose()?;
    let cpr: Option<String> =
        text(&f.cpr).map(|c| c.chars().filter(|c| !matches!(c, '-' | ' ')).collect());
    let request = TokenRequest {
        cpr,
        role,
        subject: text(&f.subject),
        helper: text(&f.helper),
        municipality,
        name: text(&f.name),
    };
    // The same checks as `POST /dev/token`, before a code is handed out.
    subject_and_actor(&request).map_err(|e| e.to_string())?;
    Ok(request)
}

/// A one-time code: as unguessable as a PKCE verifier.
fn random_token() -> String {
    crate::pkce::verifier()
}

/// `POST /dev/authorize`: issue a code and send the browser back to the client.
async fn authorize(req: HttpRequest, form: web::Form<AuthorizeForm>) -> HttpResponse {
    let Some(idp) = provider(&req) else {
        return provider_missing();
    };
    let form = form.into_inner();
    if let Some(problem) = form.query.problem() {
        return bad_request(problem);
    }
    let request = match token_request(&form) {
        Ok(r) => r,
        Err(message) => return bad_request(&message),
    };
    let code = random_token();
    let q = form.query;
    let separator = if q.redirect_uri.contains('?') {
        '&'
    } else {
        '?'
    };
    let location = format!(
        "{}{separator}code={}&state={}",
        q.redirect_uri,
        urlencode(&code),
        urlencode(&q.state)
    );
    idp.codes.put(
        code,
        Pending {
            request,
            client_id: q.client_id,
            redirect_uri: q.redirect_uri,
            nonce: q.nonce,
            code_challenge: q.code_challenge,
            issued: Instant::now(),
        },
    );
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The token request (RFC 6749 §4.1.3, RFC 7636 §4.5).
#[derive(Debug, Deserialize)]
struct TokenForm {
    #[serde(default)]
    grant_type: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    redirect_uri: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    code_verifier: String,
}

/// RFC 6749 §5.2 error answer.
fn token_error(error: &str, description: &str) -> HttpResponse {
    HttpResponse::BadRequest()
        .insert_header(("Cache-Control", "no-store"))
        .json(serde_json::json!({ "error": error, "error_description": description }))
}

/// `POST /dev/oauth/token`: a code and its PKCE verifier for an access and an ID token.
async fn token(req: HttpRequest, form: web::Form<TokenForm>) -> HttpResponse {
    let Some(idp) = provider(&req) else {
        return provider_missing();
    };
    if form.grant_type != "authorization_code" {
        return token_error(
            "unsupported_grant_type",
            "only authorization_code is supported",
        );
    }
    let Some(pending) = idp.codes.take(&form.code) else {
        return token_error("invalid_grant", "unknown, used or expired code");
    };
    if pending.client_id != form.client_id || pending.redirect_uri != form.redirect_uri {
        return token_error(
            "invalid_grant",
            "client_id or redirect_uri differ from the authorization request",
        );
    }
    if crate::pkce::challenge(&form.code_verifier) != pending.code_challenge {
        return token_error("invalid_grant", "the code_verifier does not match");
    }
    let tokens = idp.issue(&pending.request).and_then(|access| {
        idp.id_token(&pending.request, &pending.client_id, &pending.nonce)
            .map(|id| (access, id))
    });
    match tokens {
        Ok((access_token, id_token)) => HttpResponse::Ok()
            .insert_header(("Cache-Control", "no-store"))
            .json(serde_json::json!({
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": idp.token_ttl().as_secs(),
                "id_token": id_token,
            })),
        Err(e) => actix_web::ResponseError::error_response(&e),
    }
}
