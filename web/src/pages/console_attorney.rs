//! The authority console's powers of attorney given on paper: a citizen who cannot use
//! their own pages signs a paper form for a relative, and the authority records it here,
//! or records that it ended. The booking service checks both again and writes each into
//! the citizen's audit log, where the citizen (or anyone helping them read it) sees it.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use super::attorney::{at_helper_field, helper_field};
use super::console::authority;
use super::{redirect, Ctx, PageResult};
use crate::api::PaperChange;
use crate::errors::PageError;

const PAGE: &str = "/console/attorney";

/// `GET /console/attorney`.
pub async fn page(ctx: Ctx) -> HttpResponse {
    let result = async {
        authority(&ctx)?;
        ctx.page("console_attorney.html", "paper_attorney_title", json!({}))
    }
    .await;
    ctx.finish(result)
}

#[derive(Debug, Deserialize)]
pub struct PaperForm {
    csrf: String,
    #[serde(default)]
    cpr: String,
    #[serde(default)]
    helper: String,
    /// `record` or `end`.
    #[serde(default)]
    action: String,
}

/// The citizen's CPR number as typed, or the field error.
fn cpr_field(raw: &str) -> Result<identity::Cpr, PageError> {
    crate::cpr::parse_typed(raw).ok_or(PageError::Field {
        key: "err_bad_cpr",
        field: "cpr",
    })
}

/// `POST /console/attorney`: record a paper power of attorney, or its end.
pub async fn change(ctx: Ctx, form: web::Form<PaperForm>) -> HttpResponse {
    let result: PageResult = async {
        ctx.check_csrf(&form.csrf)?;
        let user = authority(&ctx)?;
        let cpr = cpr_field(&form.cpr)?;
        let helper = helper_field(&form.helper)?;
        let change = match form.action.as_str() {
            "record" => PaperChange::Record,
            "end" => PaperChange::End,
            _ => return Err(PageError::Input("err_paper_attorney_action")),
        };
        let changed = ctx
            .api()
            .record_paper_power_of_attorney(&user.token, cpr.as_str(), &helper, change)
            .await
            // The CPR number was checked here with the booking service's own type.
            .map_err(at_helper_field)?;
        let message = match (change, changed) {
            (PaperChange::Record, true) => "paper_attorney_recorded",
            (PaperChange::Record, false) => "paper_attorney_stood",
            (PaperChange::End, true) => "paper_attorney_ended",
            (PaperChange::End, false) => "paper_attorney_none",
        };
        ctx.session.flash("ok", message);
        Ok(redirect(PAGE))
    }
    .await;
    ctx.finish_post(result, PAGE)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_cpr_number_is_checked_before_asking() {
        assert_eq!(
            super::cpr_field(" 010170-1234 ").unwrap().as_str(),
            "0101701234"
        );
        assert_eq!(
            super::cpr_field("010170 1234").unwrap().as_str(),
            "0101701234"
        );
        for bad in ["", "0101701", "320170-1234", "datter-anna"] {
            assert_eq!(
                super::cpr_field(bad).unwrap_err().field(),
                Some("cpr"),
                "{bad:?}"
            );
        }
    }
}
