//! Home, sign-in (the development identity provider's form), sign-out, language.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{Duration, Utc};
use identity::{Cpr, TokenRequest};
use serde::Deserialize;
use serde_json::json;

use super::{local_path, redirect, Ctx, PageResult};
use crate::errors::PageError;
use crate::i18n::{self, Lang};
use crate::session::{Role, User};

pub async fn home(ctx: Ctx) -> HttpResponse {
    let result = async {
        let Some(user) = ctx.session.user(Utc::now()) else {
            return ctx.page("home.html", "home_title", json!({ "campaigns": [] }));
        };
        if user.role == Role::Authority {
            return ctx.page("home.html", "home_title", json!({ "campaigns": [] }));
        }
        let campaigns = super::book::eligible_campaigns(&ctx, &user).await?;
        // The citizen's own page shows their CPR number; a helper sees it masked.
        let cpr_shown = match (user.role, user.cpr.as_deref()) {
            (Role::Citizen, Some(c)) => Some(crate::cpr::formatted(c)),
            (_, Some(c)) => Some(crate::cpr::masked(c)),
            _ => None,
        };
        ctx.page(
            "home.html",
            "home_title",
            json!({ "campaigns": campaigns, "cpr_shown": cpr_shown }),
        )
    }
    .await;
    ctx.finish(result)
}

pub async fn signin_form(ctx: Ctx) -> HttpResponse {
    let result = ctx.page(
        "signin.html",
        "signin_title",
        json!({ "oidc_signin": ctx.state.oidc.is_some() }),
    );
    ctx.finish(result)
}

#[derive(Debug, Deserialize)]
pub struct StartQuery {
    #[serde(default)]
    next: String,
}

/// This site's origin as the browser reached it, for a derived callback URL.
fn origin(req: &HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}", info.scheme(), info.host())
}

/// `GET /signin/oidc`: start the eID sign-in (OpenID Connect): keep state, nonce and
/// PKCE verifier in the session, send the browser to the provider.
pub async fn oidc_start(ctx: Ctx, req: HttpRequest, q: web::Query<StartQuery>) -> HttpResponse {
    let result: PageResult = async {
        let oidc = ctx.state.oidc.clone().ok_or(PageError::NotFound)?;
        let next = local_path(&q.next).unwrap_or("/");
        let (pending, url) = oidc.start(&oidc.redirect_uri(&origin(&req)), next);
        ctx.session.update(|d| d.oidc = Some(pending));
        Ok(redirect_away(&url))
    }
    .await;
    ctx.finish(result)
}

/// A 303 to the identity provider (not a local path).
fn redirect_away(url: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((actix_web::http::header::LOCATION, url.to_owned()))
        .finish()
}

#[derive(Debug, Deserialize)]
pub struct CallbackQuery {
    #[serde(default)]
    code: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    error: Option<String>,
}

/// `GET /signin/callback`: the provider sends the browser back with a code. The pending
/// sign-in is used once, whatever happens.
pub async fn oidc_callback(
    ctx: Ctx,
    req: HttpRequest,
    q: web::Query<CallbackQuery>,
) -> HttpResponse {
    let result: PageResult = async {
        let oidc = ctx.state.oidc.clone().ok_or(PageError::NotFound)?;
        let pending = ctx
            .session
            .get()
            .oidc
            .ok_or(crate::oidc::OidcError::State)?;
        ctx.session.update(|d| d.oidc = None);
        if let Some(error) = &q.error {
            return Err(crate::oidc::OidcError::Refused(error.clone()).into());
        }
        let signed = oidc
            .finish(
                &pending,
                &q.code,
                &q.state,
                &oidc.redirect_uri(&origin(&req)),
            )
            .await?;
        let user = user_from(&ctx, signed)?;
        if user.role == Role::Helper {
            ctx.api().entitlement(&user.token).await?;
        }
        ctx.session.reset();
        ctx.session.update(|d| d.user = Some(user));
        ctx.session.flash("ok", "signed_in");
        Ok(redirect(&pending.next))
    }
    .await;
    match result {
        Ok(r) => r,
        // Back to the sign-in page with the reason (the log has the cause).
        Err(e) => ctx.finish_post(Err(e), "/signin"),
    }
}

/// The session's user from a verified ID token and its access token.
fn user_from(ctx: &Ctx, signed: crate::oidc::SignedIn) -> Result<User, PageError> {
    use identity::Subject;
    let p = signed.principal;
    let role = match p.role {
        identity::Role::Citizen => Role::Citizen,
        identity::Role::Helper => Role::Helper,
        identity::Role::Authority => Role::Authority,
        identity::Role::Site => return Err(PageError::WrongRole),
    };
    let (cpr, actor) = match p.subject {
        Subject::Cpr(c) => (Some(c.as_str().to_owned()), p.actor),
        Subject::Id(id) => (None, Some(id)),
    };
    let max = i64::from(ctx.state.settings.session.max_minutes.max(1)) * 60;
    let lifetime = signed
        .expires_in
        .and_then(|s| i64::try_from(s).ok())
        .unwrap_or(max)
        .clamp(1, max);
    Ok(User {
        role,
        token: signed.access_token,
        expires_at: Utc::now() + Duration::seconds(lifetime),
        cpr,
        actor,
        municipality: p.actor_municipality,
        name: p.name,
    })
}

#[derive(Debug, Deserialize)]
pub struct SignInForm {
    csrf: String,
    role: String,
    #[serde(default)]
    cpr: String,
    #[serde(default)]
    helper: String,
    #[serde(default)]
    subject: String,
    /// A municipal helper's municipality code; empty for a relative.
    #[serde(default)]
    municipality: String,
    #[serde(default)]
    name: String,
}

/// The token request for the form, or which field is wrong.
pub fn token_request(form: &SignInForm) -> Result<(Role, TokenRequest), PageError> {
    let trimmed = |s: &str| {
        let s = s.trim();
        (!s.is_empty()).then(|| s.to_owned())
    };
    let cpr = || -> Result<String, PageError> {
        crate::cpr::parse_typed(&form.cpr)
            .map(|c| c.as_str().to_owned())
            .ok_or(PageError::Input("err_bad_cpr"))
    };
    let name = trimmed(&form.name);
    match form.role.as_str() {
        "citizen" => Ok((
            Role::Citizen,
            TokenRequest {
                cpr: Some(cpr()?),
                role: identity::Role::Citizen,
                subject: None,
                helper: None,
                municipality: None,
                name,
            },
        )),
        "helper" => {
            let helper = trimmed(&form.helper).ok_or(PageError::Input("err_helper_id"))?;
            if Cpr::parse(&helper).is_ok() {
                return Err(PageError::Input("err_helper_id"));
            }
            let municipality = trimmed(&form.municipality)
                .map(|m| match m.parse::<u16>() {
                    Ok(code) if (1..=999).contains(&code) => Ok(code),
                    _ => Err(PageError::Input("err_municipality_code")),
                })
                .transpose()?;
            Ok((
                Role::Helper,
                TokenRequest {
                    cpr: Some(cpr()?),
                    role: identity::Role::Helper,
                    subject: None,
                    helper: Some(helper),
                    municipality,
                    name,
                },
            ))
        }
        "authority" => {
            let subject = trimmed(&form.subject).ok_or(PageError::Input("err_subject"))?;
            if Cpr::parse(&subject).is_ok() {
                return Err(PageError::Input("err_subject"));
            }
            Ok((
                Role::Authority,
                TokenRequest {
                    cpr: None,
                    role: identity::Role::Authority,
                    subject: Some(subject),
                    helper: None,
                    municipality: None,
                    name,
                },
            ))
        }
        _ => Err(PageError::Input("err_role")),
    }
}

pub async fn signin(ctx: Ctx, form: web::Form<SignInForm>) -> HttpResponse {
    let result: PageResult = async {
        ctx.check_csrf(&form.csrf)?;
        if ctx.state.settings.identity.provider != "dev" {
            return Err(PageError::NotFound);
        }
        let (role, request) = token_request(&form)?;
        let token = ctx.api().dev_token(&request).await?;
        if role == Role::Helper {
            // Said at once, not on the first page: may this helper act for this citizen?
            ctx.api().entitlement(&token.access_token).await?;
        }
        let max = i64::from(ctx.state.settings.session.max_minutes.max(1)) * 60;
        let lifetime = i64::try_from(token.expires_in).unwrap_or(max).clamp(1, max);
        let user = User {
            role,
            token: token.access_token,
            expires_at: Utc::now() + Duration::seconds(lifetime),
            cpr: request.cpr.clone(),
            actor: request.helper.clone().or(request.subject.clone()),
            municipality: request.municipality,
            name: request.name.clone(),
        };
        // A new session on sign-in: a new CSRF secret, nothing carried over.
        ctx.session.reset();
        ctx.session.update(|d| d.user = Some(user));
        ctx.session.flash("ok", "signed_in");
        Ok(redirect("/"))
    }
    .await;
    ctx.finish_post(result, "/signin")
}

#[derive(Debug, Deserialize)]
pub struct StayForm {
    csrf: String,
    #[serde(default)]
    next: String,
}

/// `POST /signin/extend`: the warning's "Stay signed in". The dev provider issues a new
/// token for the same person and role (a real provider would use the refresh token).
pub async fn stay_signed_in(ctx: Ctx, form: web::Form<StayForm>) -> HttpResponse {
    let back = local_path(&form.next).unwrap_or("/").to_owned();
    let result: PageResult = async {
        ctx.check_csrf(&form.csrf)?;
        let user = ctx.user()?;
        if ctx.state.oidc.is_some() {
            // A fresh round trip to the provider (seamless while its own session lasts).
            return Ok(redirect(&format!(
                "/signin/oidc?next={}",
                super::book::urlencode(&back)
            )));
        }
        let request = TokenRequest {
            cpr: user.cpr.clone(),
            role: match user.role {
                Role::Citizen => identity::Role::Citizen,
                Role::Helper => identity::Role::Helper,
                Role::Authority => identity::Role::Authority,
            },
            subject: (user.role == Role::Authority)
                .then(|| user.actor.clone())
                .flatten(),
            helper: (user.role == Role::Helper)
                .then(|| user.actor.clone())
                .flatten(),
            municipality: user.municipality,
            name: user.name.clone(),
        };
        let token = ctx.api().dev_token(&request).await?;
        let max = i64::from(ctx.state.settings.session.max_minutes.max(1)) * 60;
        let lifetime = i64::try_from(token.expires_in).unwrap_or(max).clamp(1, max);
        ctx.session.update(|d| {
            if let Some(u) = d.user.as_mut() {
                u.token = token.access_token;
                u.expires_at = Utc::now() + Duration::seconds(lifetime);
            }
        });
        ctx.session.flash("ok", "signin_extended");
        Ok(redirect(&back))
    }
    .await;
    ctx.finish_post(result, &back)
}

#[derive(Debug, Deserialize)]
pub struct HelpForm {
    csrf: String,
    cpr: String,
}

/// `POST /helper/citizen`: a helper picks (another) citizen to help. Their own id stays;
/// the new token is for that citizen, with the helper as the actor (RFC 8693 `act`).
/// With a real identity provider this is a token exchange; here the dev provider issues it.
pub async fn help_citizen(ctx: Ctx, form: web::Form<HelpForm>) -> HttpResponse {
    let result: PageResult = async {
        ctx.check_csrf(&form.csrf)?;
        let user = ctx.user()?;
        if user.role != Role::Helper {
            return Err(PageError::WrongRole);
        }
        if ctx.state.oidc.is_some() {
            // The eID provider issues a token for one citizen at a time.
            return Err(PageError::Input("err_switch_sign_in_again"));
        }
        let helper = user.actor.clone().ok_or(PageError::WrongRole)?;
        let (_, request) = token_request(&SignInForm {
            csrf: String::new(),
            role: "helper".into(),
            cpr: form.cpr.clone(),
            helper,
            subject: String::new(),
            municipality: user.municipality.map(|m| m.to_string()).unwrap_or_default(),
            name: String::new(),
        })?;
        let token = ctx.api().dev_token(&request).await?;
        // Refused (not their municipality, no power of attorney): stay with the current
        // citizen and say why.
        ctx.api().entitlement(&token.access_token).await?;
        let max = i64::from(ctx.state.settings.session.max_minutes.max(1)) * 60;
        let lifetime = i64::try_from(token.expires_in).unwrap_or(max).clamp(1, max);
        // Whatever was held for the previous citizen is theirs, not this one's.
        if let Some(old) = ctx.session.get().hold {
            if let Err(e) = ctx.api().release_hold(&user.token, &old.hold_id).await {
                tracing::info!(error = %e, "could not release the previous citizen's hold");
            }
        }
        ctx.session.update(|d| {
            d.hold = None;
            d.user = Some(User {
                token: token.access_token,
                expires_at: Utc::now() + Duration::seconds(lifetime),
                cpr: request.cpr.clone(),
                name: None,
                ..user
            });
        });
        ctx.session.flash("ok", "helping_other");
        Ok(redirect("/"))
    }
    .await;
    ctx.finish_post(result, "/")
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

pub async fn signout(ctx: Ctx, form: web::Form<CsrfForm>) -> HttpResponse {
    let result = async {
        ctx.check_csrf(&form.csrf)?;
        ctx.session.reset();
        ctx.session.flash("ok", "signed_out");
        Ok(redirect("/"))
    }
    .await;
    ctx.finish_post(result, "/")
}

#[derive(Debug, Deserialize)]
pub struct LangQuery {
    #[serde(default)]
    next: Option<String>,
}

/// Switches the page language (a plain link, so it works without JavaScript).
pub async fn set_lang(path: web::Path<String>, q: web::Query<LangQuery>) -> HttpResponse {
    let lang = Lang::from_code(&path).unwrap_or_default();
    let next = q.next.as_deref().and_then(local_path).unwrap_or("/");
    let mut cookie = Cookie::new(i18n::COOKIE, lang.code());
    cookie.set_path("/");
    cookie.set_same_site(SameSite::Lax);
    cookie.set_http_only(true);
    cookie.set_max_age(actix_web::cookie::time::Duration::days(365));
    let mut r = redirect(next);
    // safe: a fixed, valid cookie.
    let _ = r.add_cookie(&cookie);
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(role: &str, cpr: &str, helper: &str, subject: &str) -> SignInForm {
        SignInForm {
            csrf: String::new(),
            role: role.into(),
            cpr: cpr.into(),
            helper: helper.into(),
            subject: subject.into(),
            municipality: String::new(),
            name: String::new(),
        }
    }

    #[test]
    fn sign_in_forms_become_token_requests_or_name_the_bad_field() {
        let (role, r) = token_request(&form("citizen", "010170-1234", "", "")).unwrap();
        assert_eq!(role, Role::Citizen);
        assert_eq!(r.cpr.as_deref(), Some("0101701234"));
        let (role, r) =
            token_request(&form("helper", "0101701234", "kommune-101-anna", "")).unwrap();
        assert_eq!(role, Role::Helper);
        assert_eq!(r.helper.as_deref(), Some("kommune-101-anna"));
        let (role, _) = token_request(&form("authority", "", "", "sst-1")).unwrap();
        assert_eq!(role, Role::Authority);
        let key = |f: SignInForm| token_request(&f).err().map(|e| e.message_key());
        assert_eq!(key(form("citizen", "3213", "", "")), Some("err_bad_cpr"));
        assert_eq!(
            key(form("helper", "0101701234", "", "")),
            Some("err_helper_id")
        );
        assert_eq!(
            key(form("helper", "0101701234", "0101701234", "")),
            Some("err_helper_id")
        );
        assert_eq!(key(form("authority", "", "", "")), Some("err_subject"));
        assert_eq!(key(form("root", "", "", "")), Some("err_role"));
    }
}
