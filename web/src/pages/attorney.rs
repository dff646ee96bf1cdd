//! Powers of attorney, the citizen's own page: who may act for me, let someone (a
//! relative, by the helper id their eID gives them) act for me, and take it back. A
//! helper cannot see or change this page; the booking service enforces the grants.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{redirect, Ctx, PageResult};
use crate::errors::PageError;
use crate::session::{Role, User};
use crate::timefmt;

fn own(ctx: &Ctx) -> Result<User, PageError> {
    let user = ctx.citizen()?;
    if user.role == Role::Helper {
        return Err(PageError::Input("err_attorney_citizen_only"));
    }
    Ok(user)
}

/// `GET /attorney`.
pub async fn page(ctx: Ctx) -> HttpResponse {
    let result = async {
        let user = own(&ctx)?;
        let grants = ctx.api().powers_of_attorney(&user.token).await?;
        let rows: Vec<Value> = grants
            .iter()
            .map(|g| {
                json!({
                    "helper": g.helper,
                    "since": timefmt::datetime_long(g.granted_at, ctx.lang),
                    "by": ctx.t(&format!("granted_by_{}", g.granted_by_role)),
                })
            })
            .collect();
        ctx.page("attorney.html", "attorney_title", json!({ "grants": rows }))
    }
    .await;
    ctx.finish(result)
}

#[derive(Debug, Deserialize)]
pub struct GrantForm {
    csrf: String,
    #[serde(default)]
    helper: String,
}

/// The helper id as typed, or the field error (the booking service checks it again).
pub(crate) fn helper_field(raw: &str) -> Result<String, PageError> {
    let helper = raw.trim();
    let bad = PageError::Field {
        key: "err_attorney_helper",
        field: "helper",
    };
    if helper.is_empty() || helper.chars().count() > 128 || identity::Cpr::parse(helper).is_ok() {
        return Err(bad);
    }
    Ok(helper.to_owned())
}

/// The booking service's own check of a helper id failed (400): shown at the field.
pub(crate) fn at_helper_field(e: crate::api::ApiError) -> PageError {
    match e {
        crate::api::ApiError::Problem { status: 400, .. } => PageError::Field {
            key: "err_attorney_helper",
            field: "helper",
        },
        other => PageError::Api(other),
    }
}

/// `POST /attorney`: grant a power of attorney.
pub async fn grant(ctx: Ctx, form: web::Form<GrantForm>) -> HttpResponse {
    let result: PageResult = async {
        ctx.check_csrf(&form.csrf)?;
        let user = own(&ctx)?;
        let helper = helper_field(&form.helper)?;
        ctx.api()
            .grant_power_of_attorney(&user.token, &helper)
            .await
            .map_err(at_helper_field)?;
        ctx.session.flash("ok", "attorney_granted");
        Ok(redirect("/attorney"))
    }
    .await;
    ctx.finish_post(result, "/attorney")
}

/// `POST /attorney/revoke`: take it back.
pub async fn revoke(ctx: Ctx, form: web::Form<GrantForm>) -> HttpResponse {
    let result: PageResult = async {
        ctx.check_csrf(&form.csrf)?;
        let user = own(&ctx)?;
        let helper = helper_field(&form.helper)?;
        ctx.api()
            .revoke_power_of_attorney(&user.token, &helper)
            .await?;
        ctx.session.flash("ok", "attorney_revoked");
        Ok(redirect("/attorney"))
    }
    .await;
    ctx.finish_post(result, "/attorney")
}

#[cfg(test)]
mod tests {
    #[test]
    fn helper_ids_are_checked_before_asking() {
        assert_eq!(super::helper_field(" datter-anna ").unwrap(), "datter-anna");
        for bad in ["", "  ", "0101701234", &"x".repeat(129)] {
            assert_eq!(
                super::helper_field(bad).unwrap_err().field(),
                Some("helper"),
                "{bad:?}"
            );
        }
    }
}
