//! The authority console's sites and capacity: the sites (by municipality), a new site,
//! changing one, generating its slots from a plan, and changing one slot's capacity.
//! Every form is checked field by field here (with the booking service's own types) so
//! a mistake is shown at its field; the booking service checks again and has the last
//! word (capacity never below what is booked).

use actix_web::{web, HttpResponse};
use booking::domain::site::{Label, Postcode};
use booking::domain::{CampaignCode, GeoPoint, MunicipalityCode};
use chrono::{NaiveDate, NaiveTime, Utc};
use serde::Deserialize;
use serde_json::{json, Value};

use super::console::authority;
use super::{redirect, Ctx, PageResult};
use crate::api::Site;
use crate::errors::PageError;
use crate::timefmt;

fn field(key: &'static str, field: &'static str) -> PageError {
    PageError::Field { key, field }
}

/// The form of a new or changed site. Each ticked campaign box is a field
/// `campaign.{code}` (plain form encoding has no lists).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SiteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    key: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub postcode: String,
    #[serde(default)]
    pub municipality: String,
    #[serde(default)]
    pub lat: String,
    #[serde(default)]
    pub lon: String,
    #[serde(flatten)]
    pub boxes: std::collections::BTreeMap<String, String>,
}

impl SiteForm {
    fn campaigns(&self) -> impl Iterator<Item = &str> {
        self.boxes
            .keys()
            .filter_map(|k| k.strip_prefix("campaign."))
    }
}

/// The booking service's site JSON from the form, or the first bad field.
pub fn site_body(f: &SiteForm) -> Result<Value, PageError> {
    let name = Label::try_from(f.name.clone()).map_err(|_| field("err_site_name", "name"))?;
    let address =
        Label::try_from(f.address.clone()).map_err(|_| field("err_site_address", "address"))?;
    let postcode = Postcode::try_from(f.postcode.trim().to_owned())
        .map_err(|_| field("err_site_postcode", "postcode"))?;
    let municipality = f
        .municipality
        .trim()
        .parse::<u16>()
        .ok()
        .and_then(|m| MunicipalityCode::new(m).ok())
        .ok_or(field("err_unknown_municipality", "municipality"))?;
    let number = |s: &str| s.trim().replace(',', ".").parse::<f64>().ok();
    let lat = number(&f.lat).ok_or(field("err_site_location", "lat"))?;
    let lon = number(&f.lon).ok_or(field("err_site_location", "lon"))?;
    let location = GeoPoint::new(lat, lon).map_err(|_| field("err_site_location", "lat"))?;
    let campaigns = f
        .campaigns()
        .map(|c| CampaignCode::parse(c.trim()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| field("err_site_campaigns", "campaigns"))?;
    if campaigns.is_empty() {
        return Err(field("err_site_campaigns", "campaigns"));
    }
    Ok(json!({
        "name": name, "address": address, "postcode": postcode,
        "municipality_code": municipality.get(), "location": location,
        "campaigns": campaigns.iter().map(CampaignCode::as_str).collect::<Vec<_>>(),
    }))
}

/// A slot plan from the form.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PlanForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    key: String,
    #[serde(default)]
    pub campaign: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub opens: String,
    #[serde(default)]
    pub closes: String,
    #[serde(default)]
    pub interval: String,
    #[serde(default)]
    pub capacity: String,
}

/// The booking service's slot plan from the form, or the first bad field.
pub fn plan_body(f: &PlanForm) -> Result<Value, PageError> {
    let campaign = CampaignCode::parse(f.campaign.trim())
        .map_err(|_| field("err_choose_campaign", "campaign"))?;
    let day = |s: &str, name| {
        NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| field("err_plan_dates", name))
    };
    let (from, to) = (day(&f.from, "from")?, day(&f.to, "to")?);
    if to < from {
        return Err(field("err_plan_dates", "to"));
    }
    let time = |s: &str, name| {
        NaiveTime::parse_from_str(s.trim(), "%H:%M").map_err(|_| field("err_plan_times", name))
    };
    let (opens, closes) = (time(&f.opens, "opens")?, time(&f.closes, "closes")?);
    if closes <= opens {
        return Err(field("err_plan_times", "closes"));
    }
    let interval = f
        .interval
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|m| (5..=240).contains(m))
        .ok_or(field("err_plan_interval", "interval"))?;
    let capacity = capacity_of(&f.capacity, "capacity")?;
    Ok(json!({
        "campaign": campaign.as_str(), "from": from, "to": to,
        "opens": opens.format("%H:%M").to_string(), "closes": closes.format("%H:%M").to_string(),
        "interval_minutes": interval, "capacity": capacity,
    }))
}

fn capacity_of(s: &str, name: &'static str) -> Result<u32, PageError> {
    s.trim()
        .parse::<u32>()
        .ok()
        .filter(|c| *c <= 10_000)
        .ok_or(field("err_capacity", name))
}

fn idempotency_key(raw: &str) -> Result<String, PageError> {
    uuid::Uuid::parse_str(raw)
        .map(|k| k.to_string())
        .map_err(|_| PageError::Csrf)
}

fn municipalities() -> Vec<Value> {
    crate::search::municipalities()
        .into_iter()
        .map(|(code, name)| json!({ "code": code.to_string(), "name": name }))
        .collect()
}

fn site_row(s: &Site) -> Value {
    json!({
        "id": s.id, "name": s.name, "address": s.address, "postcode": s.postcode,
        "municipality": s.municipality,
        "campaigns": s.campaigns.iter().map(|c| c.name.clone()).collect::<Vec<_>>().join(", "),
        "free": s.campaigns.iter().map(|c| c.free).sum::<i64>(),
    })
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    municipality: Option<String>,
}

/// `GET /console/sites?municipality=`: the sites of a municipality (or all), and a
/// form for a new one.
pub async fn list(ctx: Ctx, q: web::Query<ListQuery>) -> HttpResponse {
    let result = async {
        authority(&ctx)?;
        let api = ctx.api();
        let (sites, campaigns) = tokio::try_join!(api.every_site(), api.campaigns())?;
        let chosen = q.municipality.clone().unwrap_or_default();
        let rows: Vec<Value> = sites
            .iter()
            .filter(|s| chosen.is_empty() || s.municipality_code.to_string() == chosen)
            .map(site_row)
            .collect();
        let campaigns: Vec<Value> = campaigns
            .iter()
            .map(|c| json!({ "code": c.code, "name": c.name, "checked": false, "offered": false }))
            .collect();
        ctx.page(
            "console_sites.html",
            "console_sites_title",
            json!({
                "sites": rows,
                "municipalities": municipalities(),
                "chosen": chosen,
                "campaigns": campaigns,
                "site": null,
                "key": uuid::Uuid::new_v4().to_string(),
            }),
        )
    }
    .await;
    ctx.finish(result)
}

/// `POST /console/sites`: a new site, then its page.
pub async fn create(ctx: Ctx, form: web::Form<SiteForm>) -> HttpResponse {
    let result: PageResult = async {
        ctx.check_csrf(&form.csrf)?;
        let user = authority(&ctx)?;
        let body = site_body(&form)?;
        let key = idempotency_key(&form.key)?;
        let site = ctx.api().create_site(&user.token, &body, &key).await?;
        ctx.session.flash("ok", "site_created");
        Ok(redirect(&format!("/console/sites/{}", site.id)))
    }
    .await;
    ctx.finish_post(result, "/console/sites")
}

#[derive(Debug, Default, Deserialize)]
pub struct DayQuery {
    #[serde(default)]
    campaign: Option<String>,
    #[serde(default)]
    date: Option<String>,
}

/// `GET /console/sites/{id}?campaign=&date=`: change the site, generate slots, and one
/// day's slots with their capacity.
pub async fn show(ctx: Ctx, path: web::Path<i64>, q: web::Query<DayQuery>) -> HttpResponse {
    let result = async {
        authority(&ctx)?;
        let id = path.into_inner();
        let api = ctx.api();
        let (sites, all_campaigns) = tokio::try_join!(api.every_site(), api.campaigns())?;
        let site = sites
            .iter()
            .find(|s| s.id == id)
            .ok_or(PageError::NotFound)?;
        let offered: Vec<&str> = site.campaigns.iter().map(|c| c.code.as_str()).collect();
        let campaign = q
            .campaign
            .as_deref()
            .filter(|c| offered.contains(c))
            .or(offered.first().copied())
            .map(str::to_owned);
        let today = timefmt::local_date(Utc::now());
        let date = q
            .date
            .as_deref()
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .unwrap_or(today);
        let slots: Vec<Value> = match &campaign {
            Some(c) => ctx
                .api()
                .site_day(id, date, c)
                .await?
                .slots
                .iter()
                .map(|s| {
                    json!({
                        "id": s.id,
                        "time": format!("{}–{}", timefmt::time(s.starts_at), timefmt::time(s.ends_at)),
                        "capacity": s.capacity,
                        "remaining": s.remaining,
                        "taken": s.capacity - s.remaining,
                        // One Idempotency-Key per form: a double submit replays, two
                        // forms never collide.
                        "key": uuid::Uuid::new_v4().to_string(),
                    })
                })
                .collect(),
            None => Vec::new(),
        };
        let campaigns: Vec<Value> = all_campaigns
            .iter()
            .map(|c| {
                json!({
                    "code": c.code, "name": c.name,
                    "checked": offered.contains(&c.code.as_str()),
                    "offered": offered.contains(&c.code.as_str()),
                })
            })
            .collect();
        ctx.page(
            "console_site.html",
            "console_site_title",
            json!({
                "site": {
                    "id": site.id, "name": site.name, "address": site.address,
                    "postcode": site.postcode, "municipality": site.municipality_code.to_string(),
                    "lat": site.location.lat.to_string(), "lon": site.location.lon.to_string(),
                },
                "campaigns": campaigns,
                "municipalities": municipalities(),
                "day": { "campaign": campaign, "date": date.to_string(), "date_long": timefmt::date_long(date, ctx.lang) },
                "slots": slots,
                "plan": { "from": today.to_string(), "to": today.to_string(), "opens": "08:00", "closes": "16:00", "interval": "15", "capacity": "10" },
                "plan_key": uuid::Uuid::new_v4().to_string(),
                "key": uuid::Uuid::new_v4().to_string(),
            }),
        )
    }
    .await;
    ctx.finish(result)
}

/// `POST /console/sites/{id}`: change the site.
pub async fn update(ctx: Ctx, path: web::Path<i64>, form: web::Form<SiteForm>) -> HttpResponse {
    let id = path.into_inner();
    let back = format!("/console/sites/{id}");
    let result: PageResult = async {
        ctx.check_csrf(&form.csrf)?;
        let user = authority(&ctx)?;
        let body = site_body(&form)?;
        let key = idempotency_key(&form.key)?;
        ctx.api().update_site(&user.token, id, &body, &key).await?;
        ctx.session.flash("ok", "site_updated");
        Ok(redirect(&back))
    }
    .await;
    ctx.finish_post(result, &back)
}

/// `POST /console/sites/{id}/slots`: generate slots from a plan, then show the first day.
pub async fn generate(ctx: Ctx, path: web::Path<i64>, form: web::Form<PlanForm>) -> HttpResponse {
    let id = path.into_inner();
    let back = format!("/console/sites/{id}");
    let result: PageResult = async {
        ctx.check_csrf(&form.csrf)?;
        let user = authority(&ctx)?;
        let plan = plan_body(&form)?;
        let key = idempotency_key(&form.key)?;
        let created = ctx.api().create_slots(&user.token, id, &plan, &key).await?;
        ctx.session.flash(
            "ok",
            if created.created == 0 {
                "slots_existed"
            } else {
                "slots_created"
            },
        );
        Ok(redirect(&format!(
            "{back}?campaign={}&date={}",
            super::book::urlencode(form.campaign.trim()),
            super::book::urlencode(form.from.trim())
        )))
    }
    .await;
    ctx.finish_post(result, &back)
}

#[derive(Debug, Deserialize)]
pub struct CapacityForm {
    csrf: String,
    key: String,
    #[serde(default)]
    capacity: String,
    #[serde(default)]
    site: String,
    #[serde(default)]
    campaign: String,
    #[serde(default)]
    date: String,
}

/// `POST /console/slots/{id}/capacity`: one slot's capacity (never below booked).
pub async fn capacity(
    ctx: Ctx,
    path: web::Path<i64>,
    form: web::Form<CapacityForm>,
) -> HttpResponse {
    let slot = path.into_inner();
    let site: i64 = form.site.parse().unwrap_or_default();
    let back = format!(
        "/console/sites/{site}?campaign={}&date={}",
        super::book::urlencode(&form.campaign),
        super::book::urlencode(&form.date)
    );
    let result: PageResult = async {
        ctx.check_csrf(&form.csrf)?;
        let user = authority(&ctx)?;
        // The field is per slot: the error points at this slot's input.
        let capacity = form
            .capacity
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|c| *c <= 10_000)
            .ok_or(PageError::Input("err_capacity"))?;
        let key = idempotency_key(&form.key)?;
        ctx.api()
            .set_capacity(&user.token, slot, capacity, &key)
            .await?;
        ctx.session.flash("ok", "capacity_changed");
        Ok(redirect(&back))
    }
    .await;
    match result {
        Err(PageError::Input(key)) => {
            ctx.session
                .flash_about("error", key, Some(&format!("capacity-{slot}")));
            redirect(&back)
        }
        other => ctx.finish_post(other, &back),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> SiteForm {
        SiteForm {
            name: "Testcenter Nord".into(),
            address: "Randersvej 9".into(),
            postcode: "8200".into(),
            municipality: "751".into(),
            lat: "56,19".into(),
            lon: "10.18".into(),
            boxes: [("campaign.pcr-test".to_owned(), "on".to_owned())].into(),
            ..SiteForm::default()
        }
    }

    #[test]
    fn site_forms_become_the_api_shape_or_name_the_bad_field() {
        let b = site_body(&site()).unwrap();
        assert_eq!(b["location"]["lat"], 56.19);
        assert_eq!(b["municipality_code"], 751);
        assert_eq!(b["campaigns"], json!(["pcr-test"]));
        let bad = |change: fn(&mut SiteForm)| {
            let mut f = site();
            change(&mut f);
            site_body(&f).unwrap_err().field()
        };
        assert_eq!(bad(|f| f.name = " ".into()), Some("name"));
        assert_eq!(bad(|f| f.postcode = "12".into()), Some("postcode"));
        assert_eq!(bad(|f| f.municipality = "999".into()), Some("municipality"));
        assert_eq!(bad(|f| f.lat = "north".into()), Some("lat"));
        assert_eq!(bad(|f| f.lat = "91".into()), Some("lat"));
        assert_eq!(bad(|f| f.boxes.clear()), Some("campaigns"));
    }

    fn plan() -> PlanForm {
        PlanForm {
            campaign: "pcr-test".into(),
            from: "2026-12-02".into(),
            to: "2026-12-03".into(),
            opens: "08:00".into(),
            closes: "12:00".into(),
            interval: "15".into(),
            capacity: "6".into(),
            ..PlanForm::default()
        }
    }

    #[test]
    fn slot_plans_become_the_api_shape_or_name_the_bad_field() {
        let p = plan_body(&plan()).unwrap();
        assert_eq!(p["interval_minutes"], 15);
        assert_eq!(p["capacity"], 6);
        assert_eq!(p["from"], "2026-12-02");
        let bad = |change: fn(&mut PlanForm)| {
            let mut f = plan();
            change(&mut f);
            plan_body(&f).unwrap_err().field()
        };
        assert_eq!(bad(|f| f.to = "2026-12-01".into()), Some("to"));
        assert_eq!(bad(|f| f.from = "tomorrow".into()), Some("from"));
        assert_eq!(bad(|f| f.closes = "07:00".into()), Some("closes"));
        assert_eq!(bad(|f| f.interval = "2".into()), Some("interval"));
        assert_eq!(bad(|f| f.capacity = "-1".into()), Some("capacity"));
        assert_eq!(bad(|f| f.campaign = String::new()), Some("campaign"));
    }
}
