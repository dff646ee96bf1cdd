//! Thin handlers: read the form or query, call the API, render or redirect.
//!
//! Every state change is a POST with the session's CSRF token, answered by a redirect
//! (POST-redirect-GET), so reloading a page never repeats an action. An error on a GET
//! becomes an error page; an error on a POST becomes a message on the page the person
//! came from. An ended sign-in sends the person to sign in again.

pub mod assets;
pub mod attorney;
pub mod auth;
pub mod book;
pub mod bookings;
pub mod console;
pub mod console_attorney;
pub mod console_sites;
pub mod passes;
pub mod queue;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use chrono::Utc;
use serde_json::{json, Value};

use crate::api::Api;
use crate::errors::PageError;
use crate::i18n::{self, Lang};
use crate::session::{same_secret, Role, Session, User};
use crate::settings::Settings;
use crate::view::Views;

pub struct AppState {
    pub views: Views,
    pub samples: Arc<crate::live::Samples>,
    pub api: Api,
    pub settings: Arc<Settings>,
    /// The OpenID Connect client when `identity.provider = "oidc"`.
    pub oidc: Option<Arc<crate::oidc::Oidc>>,
    /// Whose `X-Forwarded-For` names the browser.
    pub proxies: service_kit::http::TrustedProxies,
}

/// What every handler needs: the app, the session, the page language and path.
pub struct Ctx {
    pub state: web::Data<AppState>,
    pub session: Session,
    pub lang: Lang,
    /// The path (and query) of this request, for "switch language" and sign-in returns.
    pub here: String,
    /// The browser's address (behind a trusted proxy, whom it names), passed on to the
    /// booking service for its rate limit.
    pub client: Option<std::net::IpAddr>,
}

impl FromRequest for Ctx {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let session = Session::from_request(req, payload);
        let lang = Lang::from_cookie(req.cookie(i18n::COOKIE).as_ref().map(|c| c.value()));
        let here = match req.uri().path_and_query() {
            Some(pq) => pq.as_str().to_owned(),
            None => "/".to_owned(),
        };
        let peer = req.peer_addr().map(|a| a.ip());
        let forwarded = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Box::pin(async move {
            let state = state
                .ok_or_else(|| actix_web::error::ErrorInternalServerError("app state missing"))?;
            let client = peer.map(|p| state.proxies.client(p, forwarded.as_deref()));
            Ok(Ctx {
                state,
                session: session.await?,
                lang,
                here,
                client,
            })
        })
    }
}

pub type PageResult = Result<HttpResponse, PageError>;

/// A 303 to a local path.
pub fn redirect(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to.to_owned()))
        .finish()
}

impl Ctx {
    /// The APIs, called for this request's browser.
    pub fn api(&self) -> Api {
        self.state.api.for_client(self.client)
    }

    pub fn t(&self, key: &str) -> String {
        i18n::text(self.lang, key).to_owned()
    }

    /// The signed-in person, any role.
    pub fn user(&self) -> Result<User, PageError> {
        self.session
            .user(Utc::now())
            .ok_or(PageError::SignInRequired)
    }

    /// A citizen, or a helper acting for one.
    pub fn citizen(&self) -> Result<User, PageError> {
        let user = self.user()?;
        match user.role {
            Role::Citizen | Role::Helper => Ok(user),
            Role::Authority => Err(PageError::WrongRole),
        }
    }

    pub fn check_csrf(&self, token: &str) -> Result<(), PageError> {
        if same_secret(&self.session.csrf(), token) {
            Ok(())
        } else {
            Err(PageError::Csrf)
        }
    }

    fn base(&self, title_key: &str) -> Value {
        let user = self.session.user(Utc::now());
        let flash = self.session.take_flash().map(
            |f| json!({ "kind": f.kind, "text": i18n::text(self.lang, &f.key), "field": f.field }),
        );
        let warn = i64::from(self.state.settings.session.warn_minutes);
        let user = user.map(|u| {
            let masked = u.cpr.as_deref().map(crate::cpr::masked);
            let left = crate::timefmt::minutes_left(u.expires_at, Utc::now());
            json!({
                "expiring": left <= warn,
                "minutes_left": left,
                "role": u.role,
                "name": u.name,
                "actor": u.actor,
                "cpr_masked": masked,
            })
        });
        json!({
            "lang": self.lang.code(),
            "other_lang": self.lang.other().code(),
            "other_lang_name": self.lang.other().name(),
            "t": i18n::table(self.lang),
            "title": i18n::text(self.lang, title_key),
            "user": user,
            "csrf": self.session.csrf(),
            "flash": flash,
            "here": self.here,
            "here_encoded": book::urlencode(&self.here),
            "dev_signin": self.state.settings.identity.provider == "dev",
        })
    }

    /// Renders `template` with the base context plus `extra`.
    pub fn page(&self, template: &str, title_key: &str, extra: Value) -> PageResult {
        self.page_with_status(200, template, title_key, extra)
    }

    fn page_with_status(
        &self,
        status: u16,
        template: &str,
        title_key: &str,
        extra: Value,
    ) -> PageResult {
        let mut ctx = self.base(title_key);
        if let (Some(base), Value::Object(extra)) = (ctx.as_object_mut(), extra) {
            base.extend(extra);
        }
        let html = self.state.views.render(template, &ctx)?;
        let status = actix_web::http::StatusCode::from_u16(status)
            .unwrap_or(actix_web::http::StatusCode::OK);
        Ok(HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(html))
    }

    /// Answers a GET: the page, or an error page (or sign-in when that ran out).
    pub fn finish(&self, result: PageResult) -> HttpResponse {
        match result {
            Ok(r) => r,
            Err(e) => self.error_page(e),
        }
    }

    /// Answers a POST: on error, a message on `back` (or sign-in when that ran out).
    pub fn finish_post(&self, result: PageResult, back: &str) -> HttpResponse {
        match result {
            Ok(r) => r,
            Err(e) if e.ends_sign_in() => self.to_sign_in(),
            Err(e @ PageError::Template(_)) => self.error_page(e),
            Err(e) => {
                log_error(&e);
                self.session
                    .flash_about("error", e.message_key(), e.field());
                redirect(back)
            }
        }
    }

    fn to_sign_in(&self) -> HttpResponse {
        let was_signed_in = self.session.get().user.is_some();
        self.session.update(|d| {
            d.user = None;
            d.hold = None;
        });
        self.session.flash(
            "error",
            if was_signed_in {
                "err_sign_in_again"
            } else {
                "err_sign_in_required"
            },
        );
        redirect("/signin")
    }

    fn error_page(&self, e: PageError) -> HttpResponse {
        if e.ends_sign_in() {
            return self.to_sign_in();
        }
        log_error(&e);
        let status = e.status();
        let message = self.t(e.message_key());
        match self.page_with_status(
            status,
            "error.html",
            "error_title",
            json!({ "message": message }),
        ) {
            Ok(r) => r,
            Err(_) => HttpResponse::InternalServerError()
                .content_type("text/plain; charset=utf-8")
                .body(message),
        }
    }
}

/// Logs what went wrong without personal data: API errors carry only status and code.
fn log_error(e: &PageError) {
    match e {
        PageError::Api(crate::api::ApiError::Problem { status, code, .. }) if *status < 500 => {
            tracing::info!(status, code = %code, "API refused")
        }
        PageError::Api(api) => {
            let mut chain = api.to_string();
            let mut source = std::error::Error::source(api);
            while let Some(s) = source {
                chain.push_str(": ");
                chain.push_str(&s.to_string());
                source = s.source();
            }
            tracing::warn!(error = %chain, "API call failed")
        }
        PageError::Template(t) => tracing::error!(error = %t, "template failed"),
        other => tracing::info!(error = %other, "page refused"),
    }
}

/// Is `next` a path on this site (not `//host` or `https://...`)?
pub fn local_path(next: &str) -> Option<&str> {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(|c| c.is_control());
    ok.then_some(next)
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(auth::home))
        .route("/signin", web::get().to(auth::signin_form))
        .route("/signin", web::post().to(auth::signin))
        .route("/signout", web::post().to(auth::signout))
        .route("/signin/extend", web::post().to(auth::stay_signed_in))
        .route("/signin/oidc", web::get().to(auth::oidc_start))
        .route("/signin/callback", web::get().to(auth::oidc_callback))
        .route("/helper/citizen", web::post().to(auth::help_citizen))
        .route("/lang/{code}", web::get().to(auth::set_lang))
        .route("/static/{file}", web::get().to(assets::file))
        .route("/book", web::get().to(book::choose))
        .route("/book/hold", web::post().to(book::hold))
        .route("/book/confirm", web::get().to(book::hold_page))
        .route("/book/confirm", web::post().to(book::confirm))
        .route("/book/extend", web::post().to(book::extend))
        .route("/book/release", web::post().to(book::release))
        .route("/book/queue", web::get().to(queue::page))
        .route("/book/queue", web::post().to(queue::rejoin))
        .route("/book/queue/join", web::post().to(queue::join))
        .route("/book/queue/place.json", web::get().to(queue::place_json))
        .route("/book/{campaign}", web::get().to(book::sites))
        .route(
            "/book/{campaign}/sites/{site}",
            web::get().to(book::site_day),
        )
        .route("/bookings", web::get().to(bookings::list))
        .route("/bookings/{id}", web::get().to(bookings::receipt))
        .route(
            "/bookings/{id}/cancel",
            web::get().to(bookings::cancel_form),
        )
        .route("/bookings/{id}/cancel", web::post().to(bookings::cancel))
        .route("/audit", web::get().to(bookings::audit))
        .route("/attorney", web::get().to(attorney::page))
        .route("/attorney", web::post().to(attorney::grant))
        .route("/attorney/revoke", web::post().to(attorney::revoke))
        .route("/console", web::get().to(console::home))
        .route("/console/live.json", web::get().to(console::live))
        .route("/console/cohorts", web::post().to(console::cohort))
        .route(
            "/console/campaigns",
            web::post().to(console::create_campaign),
        )
        .route("/console/attorney", web::get().to(console_attorney::page))
        .route(
            "/console/attorney",
            web::post().to(console_attorney::change),
        )
        .route("/console/sites", web::get().to(console_sites::list))
        .route("/console/sites", web::post().to(console_sites::create))
        .route("/console/sites/{id}", web::get().to(console_sites::show))
        .route("/console/sites/{id}", web::post().to(console_sites::update))
        .route(
            "/console/sites/{id}/slots",
            web::post().to(console_sites::generate),
        )
        .route(
            "/console/slots/{id}/capacity",
            web::post().to(console_sites::capacity),
        )
        .route("/console/waves", web::post().to(console::open_wave))
        .route("/console/waves/{id}", web::get().to(console::wave))
        .route(
            "/console/waves/{id}/close",
            web::post().to(console::close_wave),
        )
        .route(
            "/console/waves/{id}/figures.json",
            web::get().to(console::wave_figures),
        )
        .route("/passes", web::get().to(passes::overview))
        .route("/passes/{kind}", web::get().to(passes::show))
        .route("/passes/{kind}", web::post().to(passes::issue))
        .route("/passes/{kind}/qr.png", web::get().to(passes::qr))
        .route("/passes/{kind}/pass.pdf", web::get().to(passes::pdf));
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(super::local_path("/book?x=1"), Some("/book?x=1"));
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil",
            "",
            "book",
        ] {
            assert_eq!(super::local_path(bad), None, "{bad}");
        }
    }
}
