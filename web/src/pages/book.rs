//! Booking: what can I book, find a site, pick a day and a time, hold it (with the
//! countdown and "more time"), confirm. Moving a booking takes the same way with
//! `move=<booking id>` carried along, and confirms as a move.

use actix_web::{web, HttpResponse};
use chrono::{NaiveDate, Utc};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{redirect, Ctx};
use crate::api::{Booking, Site};
use crate::errors::PageError;
use crate::search::{self, SearchForm, SearchPlan};
use crate::session::{HeldSlot, User};
use crate::timefmt;

/// How many days the day picker offers.
const DAYS_AHEAD: u32 = 14;
const RESULTS: usize = 20;

/// A booking id from a path or form: a UUID, or nothing.
pub fn booking_id(s: &str) -> Option<String> {
    uuid::Uuid::parse_str(s.trim()).ok().map(|u| u.to_string())
}

fn move_param(moving: &Option<String>) -> Option<String> {
    moving.as_deref().and_then(booking_id)
}

fn with_move(url: String, moving: &Option<String>) -> String {
    match moving {
        Some(m) if url.contains('?') => format!("{url}&move={m}"),
        Some(m) => format!("{url}?move={m}"),
        None => url,
    }
}

/// The campaigns the person may book, each with their active booking in it, if any.
pub async fn eligible_campaigns(ctx: &Ctx, user: &User) -> Result<Vec<Value>, PageError> {
    let api = ctx.api();
    let (campaigns, eligibility, bookings) = tokio::try_join!(
        api.campaigns(),
        api.eligibility(&user.token),
        api.my_bookings(&user.token)
    )?;
    Ok(campaigns
        .into_iter()
        .filter(|c| eligibility.open.contains(&c.code) || eligibility.invited.contains(&c.code))
        .map(|c| {
            let active = bookings
                .iter()
                .find(|b| b.campaign_code == c.code && b.status == "active")
                .map(|b| booking_json(ctx, b));
            json!({
                "code": c.code,
                "name": c.name,
                "kind": c.kind,
                "invited": eligibility.invited.contains(&c.code),
                "booking": active,
            })
        })
        .collect())
}

pub fn booking_json(ctx: &Ctx, b: &Booking) -> Value {
    json!({
        "id": b.id,
        "status": b.status,
        "status_text": ctx.t(&format!("status_{}", b.status)),
        "campaign_code": b.campaign_code,
        "campaign_name": b.campaign_name,
        "site_name": b.site_name,
        "site_address": b.site_address,
        "site_postcode": b.site_postcode,
        "when": timefmt::datetime_long(b.starts_at, ctx.lang),
        "until": timefmt::time(b.ends_at),
        "booked_by_helper": b.booked_by_helper,
        "upcoming": b.starts_at > Utc::now(),
    })
}

/// `GET /book`: what the person may book.
pub async fn choose(ctx: Ctx) -> HttpResponse {
    let result = async {
        let user = ctx.citizen()?;
        let campaigns = eligible_campaigns(&ctx, &user).await?;
        let rooms = super::queue::rooms_to_join(&ctx).await;
        ctx.page(
            "book.html",
            "book_title",
            json!({ "campaigns": campaigns, "rooms": rooms }),
        )
    }
    .await;
    ctx.finish(result)
}

fn site_json(ctx: &Ctx, campaign: &str, s: &Site, moving: &Option<String>) -> Value {
    let offer = s.campaigns.iter().find(|c| c.code == campaign);
    let first_day = offer
        .and_then(|c| c.next_free)
        .map(timefmt::local_date)
        .unwrap_or_else(|| timefmt::local_date(Utc::now()));
    json!({
        "id": s.id,
        "name": s.name,
        "address": s.address,
        "postcode": s.postcode,
        "municipality": s.municipality,
        "distance_km": s.distance_km.map(|d| format!("{d:.1}")),
        "free": offer.map_or(0, |c| c.free),
        "next_free": offer.and_then(|c| c.next_free).map(|t| timefmt::datetime_long(t, ctx.lang)),
        "href": with_move(format!("/book/{campaign}/sites/{}?date={first_day}", s.id), moving),
    })
}

/// `GET /book/{campaign}`: find a site by municipality, postcode or nearest.
pub async fn sites(ctx: Ctx, path: web::Path<String>, q: web::Query<SearchForm>) -> HttpResponse {
    let result = async {
        ctx.citizen()?;
        let campaign_code = path.into_inner();
        let campaign = ctx
            .api()
            .campaigns()
            .await?
            .into_iter()
            .find(|c| c.code == campaign_code)
            .ok_or(PageError::NotFound)?;
        let moving = move_param(&q.moving);
        let (results, error) = match search::plan(&q) {
            Ok(SearchPlan::Nothing) => (None, None),
            Ok(plan) => (Some(find(&ctx, &campaign.code, plan).await?), None),
            Err(e) => (None, Some(ctx.t(e.message_key()))),
        };
        let results = results.map(|sites| {
            sites
                .iter()
                .map(|s| site_json(&ctx, &campaign.code, s, &moving))
                .collect::<Vec<_>>()
        });
        let municipalities: Vec<Value> = search::municipalities()
            .into_iter()
            .map(|(code, name)| json!({ "code": code.to_string(), "name": name }))
            .collect();
        ctx.page(
            "sites.html",
            "sites_title",
            json!({
                "campaign": { "code": campaign.code, "name": campaign.name },
                "municipalities": municipalities,
                "q": {
                    "municipality": q.municipality.clone().unwrap_or_default(),
                    "postcode": q.postcode.clone().unwrap_or_default(),
                    "lat": q.lat.clone().unwrap_or_default(),
                    "lon": q.lon.clone().unwrap_or_default(),
                },
                "moving": moving,
                "results": results,
                "search_error": error,
            }),
        )
    }
    .await;
    ctx.finish(result)
}

async fn find(ctx: &Ctx, campaign: &str, plan: SearchPlan) -> Result<Vec<Site>, PageError> {
    let api = ctx.api();
    let limit = RESULTS.to_string();
    let sites = match plan {
        SearchPlan::Nothing => vec![],
        SearchPlan::Municipality(m) => {
            api.sites(&[
                ("campaign", campaign.to_owned()),
                ("municipality", m.to_string()),
                ("limit", limit),
            ])
            .await?
            .sites
        }
        SearchPlan::Near { lat, lon } => {
            api.sites(&[
                ("campaign", campaign.to_owned()),
                ("lat", lat.to_string()),
                ("lon", lon.to_string()),
                ("limit", limit),
            ])
            .await?
            .sites
        }
        SearchPlan::Postcode(pc) => {
            let all = api.all_sites(campaign, true).await?;
            search::rank_by_postcode(all, &pc)
                .into_iter()
                .take(RESULTS)
                .collect()
        }
    };
    Ok(sites)
}

#[derive(Debug, Deserialize)]
pub struct DayQuery {
    #[serde(default)]
    date: Option<String>,
    #[serde(default, rename = "move")]
    moving: Option<String>,
}

/// The date asked for, if it is within the bookable days; otherwise today.
pub fn pick_date(asked: Option<&str>, today: NaiveDate) -> NaiveDate {
    asked
        .and_then(|d| d.parse::<NaiveDate>().ok())
        .filter(|d| *d >= today && *d < today + chrono::Duration::days(i64::from(DAYS_AHEAD)))
        .unwrap_or(today)
}

/// `GET /book/{campaign}/sites/{site}?date=`: pick a day, then a time.
pub async fn site_day(
    ctx: Ctx,
    path: web::Path<(String, i64)>,
    q: web::Query<DayQuery>,
) -> HttpResponse {
    let result = async {
        ctx.citizen()?;
        let (campaign, site_id) = path.into_inner();
        let site = ctx
            .api()
            .site(&campaign, site_id)
            .await?
            .ok_or(PageError::NotFound)?;
        let moving = move_param(&q.moving);
        let today = timefmt::local_date(Utc::now());
        let date = pick_date(q.date.as_deref(), today);
        let day = ctx.api().site_day(site.id, date, &campaign).await?;
        let days: Vec<Value> = timefmt::days_from(today, DAYS_AHEAD)
            .into_iter()
            .map(|d| {
                json!({
                    "label": timefmt::date_short(d, ctx.lang),
                    "href": with_move(format!("/book/{campaign}/sites/{}?date={d}", site.id), &moving),
                    "current": d == date,
                })
            })
            .collect();
        let slots: Vec<Value> = day
            .slots
            .iter()
            .map(|s| {
                json!({
                    "id": s.id,
                    "from": timefmt::time(s.starts_at),
                    "to": timefmt::time(s.ends_at),
                    "remaining": s.remaining,
                    "free": s.remaining > 0,
                })
            })
            .collect();
        let offer_name = site
            .campaigns
            .iter()
            .find(|c| c.code == campaign)
            .map(|c| c.name.clone())
            .unwrap_or_default();
        ctx.page(
            "site_day.html",
            "day_title",
            json!({
                "campaign": { "code": campaign, "name": offer_name },
                "site": site_json(&ctx, &campaign, &site, &moving),
                "date": date.to_string(),
                "date_text": timefmt::date_long(date, ctx.lang),
                "days": days,
                "slots": slots,
                "any_free": day.slots.iter().any(|s| s.remaining > 0),
                "moving": moving,
                "back": with_move(format!("/book/{campaign}"), &moving),
            }),
        )
    }
    .await;
    ctx.finish(result)
}

#[derive(Debug, Deserialize)]
pub struct HoldForm {
    csrf: String,
    campaign: String,
    site: i64,
    date: String,
    #[serde(default)]
    slot: Option<String>,
    #[serde(default, rename = "move")]
    moving: Option<String>,
}

/// `POST /book/hold`: hold the chosen time, then show the hold page.
pub async fn hold(ctx: Ctx, form: web::Form<HoldForm>) -> HttpResponse {
    let moving = move_param(&form.moving);
    let back = with_move(
        format!(
            "/book/{}/sites/{}?date={}",
            urlencode(&form.campaign),
            form.site,
            urlencode(&form.date)
        ),
        &moving,
    );
    let result = async {
        ctx.check_csrf(&form.csrf)?;
        let user = ctx.citizen()?;
        let slot_id: i64 = form
            .slot
            .as_deref()
            .and_then(|s| s.parse().ok())
            .ok_or(PageError::Input("err_choose_time"))?;
        let date: NaiveDate = form
            .date
            .parse()
            .map_err(|_| PageError::Input("err_choose_time"))?;
        let site = ctx
            .api()
            .site(&form.campaign, form.site)
            .await?
            .ok_or(PageError::NotFound)?;
        let day = ctx.api().site_day(site.id, date, &form.campaign).await?;
        let slot = day
            .slots
            .iter()
            .find(|s| s.id == slot_id)
            .ok_or(PageError::Input("err_choose_time"))?;
        // A hold left from before (another campaign, another tab) is given back first.
        if let Some(old) = ctx.session.get().hold {
            if let Err(e) = ctx.api().release_hold(&user.token, &old.hold_id).await {
                tracing::info!(error = %e, "could not release the previous hold");
            }
        }
        let admission = super::queue::admission(&ctx);
        let receipt = match ctx
            .api()
            .hold(&user.token, slot.id, admission.as_deref())
            .await
        {
            Ok(r) => r,
            Err(e) => match super::queue::room_of(&e) {
                Some(room) => return super::queue::enter(&ctx, room, &back).await,
                None => return Err(e.into()),
            },
        };
        let campaign_name = site
            .campaigns
            .iter()
            .find(|c| c.code == form.campaign)
            .map(|c| c.name.clone())
            .unwrap_or_default();
        let held = HeldSlot {
            hold_id: receipt.hold_id,
            slot_id: slot.id,
            expires_at: receipt.expires_at,
            campaign: form.campaign.clone(),
            campaign_name,
            site_id: site.id,
            site_name: site.name.clone(),
            site_address: format!("{}, {}", site.address, site.postcode),
            starts_at: slot.starts_at,
            ends_at: slot.ends_at,
            moving: moving.clone(),
            extensions_left: None,
            confirm_key: uuid::Uuid::new_v4().to_string(),
        };
        ctx.session.update(|d| d.hold = Some(held));
        Ok(redirect("/book/confirm"))
    }
    .await;
    ctx.finish_post(result, &back)
}

fn day_page_of(h: &HeldSlot) -> String {
    with_move(
        format!(
            "/book/{}/sites/{}?date={}",
            urlencode(&h.campaign),
            h.site_id,
            timefmt::local_date(h.starts_at)
        ),
        &h.moving,
    )
}

/// `GET /book/confirm`: the hold, its countdown, "more time", confirm.
pub async fn hold_page(ctx: Ctx) -> HttpResponse {
    let result = async {
        ctx.citizen()?;
        let Some(h) = ctx.session.get().hold else {
            ctx.session.flash("error", "err_no_hold");
            return Ok(redirect("/book"));
        };
        let now = Utc::now();
        let expired = h.expires_at <= now;
        ctx.page(
            "hold.html",
            if h.moving.is_some() {
                "hold_move_title"
            } else {
                "hold_title"
            },
            json!({
                "hold": {
                    "campaign_name": h.campaign_name,
                    "site_name": h.site_name,
                    "site_address": h.site_address,
                    "when": timefmt::datetime_long(h.starts_at, ctx.lang),
                    "until": timefmt::time(h.ends_at),
                    "expires_at": h.expires_at.to_rfc3339(),
                    "expires_time": timefmt::time(h.expires_at),
                    "minutes_left": timefmt::minutes_left(h.expires_at, now),
                    "extensions_left": h.extensions_left,
                    "moving": h.moving.is_some(),
                    "confirm_key": h.confirm_key,
                },
                "expired": expired,
                "back": day_page_of(&h),
            }),
        )
    }
    .await;
    ctx.finish(result)
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    pub csrf: String,
}

/// `POST /book/confirm`: book (or move) with the hold.
pub async fn confirm(ctx: Ctx, form: web::Form<CsrfForm>) -> HttpResponse {
    let held = ctx.session.get().hold;
    let result = async {
        ctx.check_csrf(&form.csrf)?;
        let user = ctx.citizen()?;
        let h = held.clone().ok_or(PageError::Input("err_no_hold"))?;
        let booking = match &h.moving {
            Some(old) => {
                ctx.api()
                    .move_booking(&user.token, old, &h.hold_id, &h.confirm_key)
                    .await?
            }
            None => {
                ctx.api()
                    .confirm(&user.token, &h.hold_id, &h.confirm_key)
                    .await?
            }
        };
        ctx.session.update(|d| d.hold = None);
        ctx.session.flash(
            "ok",
            if h.moving.is_some() {
                "moved"
            } else {
                "booked"
            },
        );
        Ok(redirect(&format!("/bookings/{}", booking.id)))
    }
    .await;
    // A hold that has gone cannot be confirmed: back to choosing a time.
    let back = match (&result, &held) {
        (Err(PageError::Api(e)), Some(h)) if e.code() == Some("hold_expired") => {
            ctx.session.update(|d| d.hold = None);
            day_page_of(h)
        }
        (_, Some(_)) => "/book/confirm".to_owned(),
        (_, None) => "/book".to_owned(),
    };
    ctx.finish_post(result, &back)
}

/// `POST /book/extend`: more time on the hold.
pub async fn extend(ctx: Ctx, form: web::Form<CsrfForm>) -> HttpResponse {
    let result = async {
        ctx.check_csrf(&form.csrf)?;
        let user = ctx.citizen()?;
        let h = ctx
            .session
            .get()
            .hold
            .ok_or(PageError::Input("err_no_hold"))?;
        let ext = ctx.api().extend_hold(&user.token, &h.hold_id).await?;
        ctx.session.update(|d| {
            if let Some(held) = d.hold.as_mut() {
                held.expires_at = ext.expires_at;
                held.extensions_left = Some(ext.extensions_left);
            }
        });
        ctx.session.flash("ok", "extended");
        Ok(redirect("/book/confirm"))
    }
    .await;
    ctx.finish_post(result, "/book/confirm")
}

/// `POST /book/release`: give the held time back and choose another.
pub async fn release(ctx: Ctx, form: web::Form<CsrfForm>) -> HttpResponse {
    let held = ctx.session.get().hold;
    let back = held.as_ref().map_or("/book".to_owned(), day_page_of);
    let result = async {
        ctx.check_csrf(&form.csrf)?;
        let user = ctx.citizen()?;
        if let Some(h) = &held {
            ctx.api().release_hold(&user.token, &h.hold_id).await?;
        }
        ctx.session.update(|d| d.hold = None);
        ctx.session.flash("ok", "released");
        Ok(redirect(&back))
    }
    .await;
    ctx.finish_post(result, &back)
}

/// Percent-encodes a query value or path segment we build into a redirect.
pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_outside_the_bookable_days_fall_back_to_today() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        assert_eq!(
            pick_date(Some("2026-12-05"), today).to_string(),
            "2026-12-05"
        );
        assert_eq!(pick_date(Some("2026-11-30"), today), today);
        assert_eq!(pick_date(Some("2027-01-30"), today), today);
        assert_eq!(pick_date(Some("garbage"), today), today);
        assert_eq!(pick_date(None, today), today);
    }

    #[test]
    fn only_uuids_travel_as_booking_ids() {
        let id = "0191f5e2-7c3a-7b8e-9d1a-2b3c4d5e6f70";
        assert_eq!(booking_id(id).as_deref(), Some(id));
        assert_eq!(booking_id("0101701234"), None);
        assert_eq!(
            with_move("/book/x".into(), &Some("m".into())),
            "/book/x?move=m"
        );
        assert_eq!(
            with_move("/book/x?date=1".into(), &Some("m".into())),
            "/book/x?date=1&move=m"
        );
        assert_eq!(urlencode("pcr-test"), "pcr-test");
        assert_eq!(urlencode("a b/c"), "a%20b%2Fc");
    }
}
