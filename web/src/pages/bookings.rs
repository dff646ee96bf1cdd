//! My bookings: the list, a receipt, cancelling; and "who has looked at my data".

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use super::book::{booking_id, booking_json};
use super::{redirect, Ctx};
use crate::errors::PageError;
use crate::session::Role;
use crate::timefmt;

/// `GET /bookings`: upcoming active bookings first, then the history.
pub async fn list(ctx: Ctx) -> HttpResponse {
    let result = async {
        let user = ctx.citizen()?;
        let mut all = ctx.api().my_bookings(&user.token).await?;
        all.sort_by_key(|b| std::cmp::Reverse(b.starts_at));
        let (active, past): (Vec<_>, Vec<_>) = all
            .iter()
            .partition(|b| b.status == "active" && b.starts_at > chrono::Utc::now());
        let active: Vec<Value> = active.iter().rev().map(|b| booking_json(&ctx, b)).collect();
        let past: Vec<Value> = past.iter().map(|b| booking_json(&ctx, b)).collect();
        ctx.page(
            "bookings.html",
            "bookings_title",
            json!({ "active": active, "past": past }),
        )
    }
    .await;
    ctx.finish(result)
}

async fn find(ctx: &Ctx, token: &str, id: &str) -> Result<crate::api::Booking, PageError> {
    let id = booking_id(id).ok_or(PageError::NotFound)?;
    ctx.api()
        .my_bookings(token)
        .await?
        .into_iter()
        .find(|b| b.id == id)
        .ok_or(PageError::NotFound)
}

/// `GET /bookings/{id}`: the receipt.
pub async fn receipt(ctx: Ctx, path: web::Path<String>) -> HttpResponse {
    let result = async {
        let user = ctx.citizen()?;
        let b = find(&ctx, &user.token, &path).await?;
        ctx.page(
            "receipt.html",
            "receipt_title",
            json!({ "booking": booking_json(&ctx, &b) }),
        )
    }
    .await;
    ctx.finish(result)
}

/// `GET /bookings/{id}/cancel`: "are you sure?".
pub async fn cancel_form(ctx: Ctx, path: web::Path<String>) -> HttpResponse {
    let result = async {
        let user = ctx.citizen()?;
        let b = find(&ctx, &user.token, &path).await?;
        if b.status != "active" {
            return Err(PageError::Input("err_booking_not_active"));
        }
        ctx.page(
            "cancel.html",
            "cancel_title",
            json!({ "booking": booking_json(&ctx, &b), "key": uuid::Uuid::new_v4().to_string() }),
        )
    }
    .await;
    ctx.finish(result)
}

#[derive(Debug, Deserialize)]
pub struct CancelForm {
    csrf: String,
    key: String,
}

/// `POST /bookings/{id}/cancel`.
pub async fn cancel(
    ctx: Ctx,
    path: web::Path<String>,
    form: web::Form<CancelForm>,
) -> HttpResponse {
    let id = booking_id(&path);
    let back = match &id {
        Some(id) => format!("/bookings/{id}/cancel"),
        None => "/bookings".to_owned(),
    };
    let result = async {
        ctx.check_csrf(&form.csrf)?;
        let user = ctx.citizen()?;
        let id = id.clone().ok_or(PageError::NotFound)?;
        let key = uuid::Uuid::parse_str(&form.key)
            .map_err(|_| PageError::Csrf)?
            .to_string();
        ctx.api().cancel(&user.token, &id, &key).await?;
        ctx.session.flash("ok", "cancelled");
        Ok(redirect("/bookings"))
    }
    .await;
    ctx.finish_post(result, &back)
}

/// `GET /audit`: every read or change of the citizen's data by someone else.
pub async fn audit(ctx: Ctx) -> HttpResponse {
    let result = async {
        let user = ctx.citizen()?;
        if user.role == Role::Helper {
            return Err(PageError::Input("err_audit_citizen_only"));
        }
        let entries = ctx.api().my_audit(&user.token).await?;
        let rows: Vec<Value> = entries
            .iter()
            .map(|e| {
                json!({
                    "when": timefmt::datetime_long(e.at, ctx.lang),
                    "role": ctx.t(&format!("actor_{}", e.actor_role)),
                    "who": e.actor_id,
                    "what": action_text(&ctx, &e.action),
                })
            })
            .collect();
        ctx.page("audit.html", "audit_title", json!({ "entries": rows }))
    }
    .await;
    ctx.finish(result)
}

/// The action in words: known ones translated, unknown ones as recorded.
fn action_text(ctx: &Ctx, action: &str) -> String {
    let key = format!("action_{}", action.replace('.', "_"));
    let text = crate::i18n::text(ctx.lang, &key);
    if text == key {
        action.to_owned()
    } else {
        text.to_owned()
    }
}
