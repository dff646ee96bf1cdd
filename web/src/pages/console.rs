//! The authority console: cohorts with a preview count, waves (open now, schedule,
//! close) and a live view of a wave (invitations, letters per channel and their
//! delivery, bookings), drawn as bar charts with the numbers beside them. The live view
//! updates itself with JavaScript (pausable); without it, "Refresh" reloads.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Europe::Copenhagen;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{redirect, Ctx};
use crate::api::{WaitingRoom, Wave, WaveFigures};
use crate::errors::PageError;
use crate::session::{Role, User};
use crate::timefmt;

pub(crate) fn authority(ctx: &Ctx) -> Result<User, PageError> {
    let user = ctx.user()?;
    if user.role == Role::Authority {
        Ok(user)
    } else {
        Err(PageError::WrongRole)
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct CohortForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub age_min: String,
    #[serde(default)]
    pub age_max: String,
    #[serde(default)]
    pub municipality: String,
    #[serde(default)]
    pub priority_group: String,
    #[serde(default)]
    action: String,
}

/// The cohort criteria (booking's JSON shape) from the form, or which field is wrong.
pub fn criteria(form: &CohortForm, today: NaiveDate) -> Result<Value, PageError> {
    let age = |s: &str| -> Result<Option<u32>, PageError> {
        let s = s.trim();
        if s.is_empty() {
            return Ok(None);
        }
        s.parse::<u32>()
            .ok()
            .filter(|a| *a <= 130)
            .map(Some)
            .ok_or(PageError::Input("err_age"))
    };
    let (min, max) = (age(&form.age_min)?, age(&form.age_max)?);
    if let (Some(a), Some(b)) = (min, max) {
        if a > b {
            return Err(PageError::Input("err_age"));
        }
    }
    let mut c = serde_json::Map::new();
    if min.is_some() || max.is_some() {
        c.insert("age".into(), json!({ "min": min, "max": max, "on": today }));
    }
    let m = form.municipality.trim();
    if !m.is_empty() {
        let code: u16 = m
            .parse()
            .map_err(|_| PageError::Input("err_unknown_municipality"))?;
        booking::domain::MunicipalityCode::new(code)
            .map_err(|_| PageError::Input("err_unknown_municipality"))?;
        c.insert("municipalities".into(), json!([code]));
    }
    let g = form.priority_group.trim();
    if !g.is_empty() {
        c.insert("priority_groups".into(), json!([g]));
    }
    if c.is_empty() {
        return Err(PageError::Input("err_no_criteria"));
    }
    Ok(Value::Object(c))
}

/// `scheduled`, `open` or `closed`.
pub fn wave_state(w: &Wave) -> &'static str {
    match (w.opened_at, w.closed_at) {
        (_, Some(_)) => "closed",
        (Some(_), None) => "open",
        (None, None) => "scheduled",
    }
}

/// A local date and time from `<input type="datetime-local">` (Copenhagen) as UTC.
pub fn local_datetime(s: &str) -> Option<DateTime<Utc>> {
    let naive = NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%dT%H:%M").ok()?;
    Copenhagen
        .from_local_datetime(&naive)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

/// The bars of a wave's chart: label key, value and bar length (0-100 of the widest).
pub fn bars(f: &WaveFigures) -> Vec<(&'static str, i64, i64)> {
    let rows = [
        ("fig_invited", f.invited),
        ("fig_queued", f.queued),
        ("fig_delivered", f.delivered),
        ("fig_opened", f.opened),
        ("fig_paper", f.paper),
        ("fig_failed", f.failed),
        ("fig_withdrawn", f.withdrawn),
        ("fig_booked", f.booked),
    ];
    let top = rows.iter().map(|r| r.1).max().unwrap_or(0).max(1);
    rows.iter().map(|(k, v)| (*k, *v, v * 100 / top)).collect()
}

const OPENING_MINUTES: i64 = 10;

/// Uptake rows for the page: the share booked (whole percent) and the bar length
/// (0-100, the share itself). Rows without citizens are left out.
pub fn uptake_rows(rows: &[crate::api::UptakeRow], by_name: bool) -> Vec<Value> {
    rows.iter()
        .filter(|r| r.citizens > 0)
        .map(|r| {
            let percent = r.booked * 100 / r.citizens.max(1);
            json!({
                "label": if by_name && !r.name.is_empty() { r.name.clone() } else { r.key.clone() },
                "citizens": r.citizens,
                "booked": r.booked,
                "percent": percent,
            })
        })
        .collect()
}

/// The opening-day view: the last minute's figures and a bar pair per minute (holds,
/// bookings), heights scaled to the busiest minute (chart 100 × 50).
pub fn opening_day(minutes: &[crate::live::Counters]) -> Value {
    let top = minutes
        .iter()
        .map(|m| m.holds.max(m.bookings))
        .fold(0.0_f64, f64::max)
        .max(1.0);
    let h = |v: f64| ((v / top) * 48.0).round() as i64;
    let bars: Vec<Value> = minutes
        .iter()
        .enumerate()
        .map(|(i, m)| {
            json!({
                "i": i, "x_holds": i * 10 + 1, "x_bookings": i * 10 + 5,
                "h_holds": h(m.holds), "y_holds": 50 - h(m.holds),
                "h_bookings": h(m.bookings), "y_bookings": 50 - h(m.bookings),
            })
        })
        .collect();
    let last = minutes.last().copied().unwrap_or_default();
    let n = |v: f64| v.round() as i64;
    json!({
        "figures": {
            "holds": n(last.holds), "full": n(last.full), "bookings": n(last.bookings),
            "conflicts": n(last.conflicts), "cancels": n(last.cancels), "moves": n(last.moves),
        },
        "bars": bars,
        "minutes": minutes.len(),
    })
}

/// The opening-day view now: the sampled counters per minute, and how many open slots
/// ahead are full (from PostgreSQL; "–" when that cannot be read just now).
async fn opening_now(ctx: &Ctx, token: &str) -> Value {
    let samples = ctx.state.samples.snapshot();
    let mut v = opening_day(&crate::live::per_minute(
        &samples,
        Utc::now(),
        OPENING_MINUTES,
    ));
    let fullness = ctx.api().slot_fullness(token).await;
    if let Err(e) = &fullness {
        tracing::info!(error = %e, "slot fullness unavailable");
    }
    v["figures"]["full_slots"] = match fullness {
        Ok(f) => json!(format!("{} / {}", f.full, f.upcoming)),
        Err(_) => json!("–"),
    };
    v["updated"] = json!(timefmt::time(Utc::now()));
    v
}

/// `GET /console/live.json`: what the opening-day view polls.
pub async fn live(ctx: Ctx) -> HttpResponse {
    match authority(&ctx) {
        Ok(user) => HttpResponse::Ok().json(opening_now(&ctx, &user.token).await),
        Err(e) => HttpResponse::build(
            actix_web::http::StatusCode::from_u16(e.status())
                .unwrap_or(actix_web::http::StatusCode::FORBIDDEN),
        )
        .json(json!({ "error": ctx.t(e.message_key()) })),
    }
}

fn figures_json(ctx: &Ctx, f: &WaveFigures) -> Vec<Value> {
    bars(f)
        .into_iter()
        .map(|(key, value, width)| {
            json!({ "key": key, "label": ctx.t(key), "value": value, "width": width })
        })
        .collect()
}

/// Capacity per campaign: sites offering it and free places from now on, and the
/// sites with the fewest free places (where to add capacity first).
pub fn capacity(campaigns: &[crate::api::Campaign], sites: &[crate::api::Site]) -> Value {
    let per_campaign: Vec<Value> = campaigns
        .iter()
        .map(|c| {
            let offering: Vec<i64> = sites
                .iter()
                .filter_map(|s| {
                    s.campaigns
                        .iter()
                        .find(|x| x.code == c.code)
                        .map(|x| x.free)
                })
                .collect();
            json!({
                "name": c.name,
                "sites": offering.len(),
                "free": offering.iter().sum::<i64>(),
                "full_sites": offering.iter().filter(|f| **f == 0).count(),
            })
        })
        .collect();
    let mut tight: Vec<(&crate::api::Site, i64)> = sites
        .iter()
        .map(|s| (s, s.campaigns.iter().map(|c| c.free).sum::<i64>()))
        .collect();
    tight.sort_by_key(|(s, free)| (*free, s.id));
    let tight: Vec<Value> = tight
        .iter()
        .take(10)
        .map(|(s, free)| json!({ "name": s.name, "municipality": s.municipality, "free": free }))
        .collect();
    json!({ "per_campaign": per_campaign, "tight": tight, "sites": sites.len() })
}

#[derive(Debug, Deserialize)]
pub struct CampaignForm {
    csrf: String,
    key: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    access: String,
}

/// `POST /console/campaigns`: a new campaign (the booking service checks the code).
pub async fn create_campaign(ctx: Ctx, form: web::Form<CampaignForm>) -> HttpResponse {
    let result = async {
        ctx.check_csrf(&form.csrf)?;
        let user = authority(&ctx)?;
        let kind = match form.kind.as_str() {
            k @ ("test" | "vaccination") => k,
            _ => return Err(PageError::Input("err_campaign_kind")),
        };
        let access = match form.access.as_str() {
            a @ ("open" | "invitation") => a,
            _ => return Err(PageError::Input("err_campaign_kind")),
        };
        let key = uuid::Uuid::parse_str(&form.key).map_err(|_| PageError::Csrf)?.to_string();
        ctx.api()
            .create_campaign(
                &user.token,
                &json!({ "code": form.code.trim(), "name": form.name.trim(), "kind": kind, "access": access }),
                &key,
            )
            .await?;
        ctx.session.flash("ok", "campaign_created");
        Ok(redirect("/console"))
    }
    .await;
    ctx.finish_post(result, "/console")
}

#[derive(Debug, Default, Deserialize)]
pub struct ConsoleQuery {
    #[serde(default)]
    uptake: Option<String>,
}

async fn console_page(
    ctx: &Ctx,
    form: &CohortForm,
    preview: Option<i64>,
    uptake_of: Option<&str>,
) -> Result<HttpResponse, PageError> {
    let user = authority(ctx)?;
    let api = ctx.api();
    let (campaigns, cohorts, waves) = tokio::try_join!(
        api.campaigns(),
        api.cohorts(&user.token),
        api.waves(&user.token)
    )?;
    let sites = api.every_site().await?;
    let capacity = capacity(&campaigns, &sites);
    let mut cohort_rows = Vec::new();
    for c in cohorts.iter().rev().take(20) {
        let count = api.cohort_count(&user.token, c.id).await?.count;
        cohort_rows.push(json!({ "id": c.id, "name": c.name, "count": count }));
    }
    let wave_rows: Vec<Value> = waves
        .iter()
        .rev()
        .map(|w| {
            let state = wave_state(w);
            json!({
                "id": w.id,
                "cohort": cohorts.iter().find(|c| c.id == w.cohort_id).map(|c| c.name.clone()).unwrap_or_default(),
                "campaign": campaigns.iter().find(|c| c.id == w.campaign_id).map(|c| c.name.clone()).unwrap_or_default(),
                "opens_at": timefmt::datetime_long(w.opens_at, ctx.lang),
                "state": state,
                "state_text": ctx.t(&format!("wave_{state}")),
                "invited": w.invited,
            })
        })
        .collect();
    let invitation: Vec<Value> = campaigns
        .iter()
        .filter(|c| c.access == "invitation")
        .map(|c| json!({ "code": c.code, "name": c.name }))
        .collect();
    let all: Vec<Value> = campaigns
        .iter()
        .map(|c| json!({ "code": c.code, "name": c.name, "kind": ctx.t(&format!("kind_{}", c.kind)), "access": ctx.t(&format!("access_{}", c.access)) }))
        .collect();
    let uptake_code = uptake_of
        .filter(|c| campaigns.iter().any(|x| x.code == *c))
        .or_else(|| campaigns.first().map(|c| c.code.as_str()))
        .map(str::to_owned);
    let uptake = match &uptake_code {
        Some(code) => {
            let u = api.uptake(&user.token, code).await?;
            Some(json!({
                "code": code,
                "by_age": uptake_rows(&u.by_age, false),
                "by_municipality": uptake_rows(&u.by_municipality, true),
            }))
        }
        None => None,
    };
    let municipalities: Vec<Value> = crate::search::municipalities()
        .into_iter()
        .map(|(code, name)| json!({ "code": code.to_string(), "name": name }))
        .collect();
    ctx.page(
        "console.html",
        "console_title",
        json!({
            "campaigns": all,
            "invitation_campaigns": invitation,
            "cohorts": cohort_rows,
            "waves": wave_rows,
            "municipalities": municipalities,
            "form": {
                "name": form.name, "age_min": form.age_min, "age_max": form.age_max,
                "municipality": form.municipality, "priority_group": form.priority_group,
            },
            "preview": preview,
            "opening": opening_now(ctx, &user.token).await,
            "uptake": uptake,
            "capacity": capacity,
            "key": uuid::Uuid::new_v4().to_string(),
        }),
    )
}

/// `GET /console`.
pub async fn home(ctx: Ctx, q: web::Query<ConsoleQuery>) -> HttpResponse {
    let result = console_page(&ctx, &CohortForm::default(), None, q.uptake.as_deref()).await;
    ctx.finish(result)
}

/// `POST /console/cohorts`: "Preview count" shows the count (changes nothing);
/// "Create cohort" creates it.
pub async fn cohort(ctx: Ctx, form: web::Form<CohortForm>) -> HttpResponse {
    let result = async {
        ctx.check_csrf(&form.csrf)?;
        let user = authority(&ctx)?;
        let criteria = criteria(&form, timefmt::local_date(Utc::now()))?;
        if form.action == "create" {
            let name = form.name.trim();
            if name.is_empty() {
                return Err(PageError::Input("err_cohort_name"));
            }
            let key = uuid::Uuid::new_v4().to_string();
            ctx.api()
                .create_cohort(&user.token, name, &criteria, &key)
                .await?;
            ctx.session.flash("ok", "cohort_created");
            return Ok(redirect("/console"));
        }
        let count = ctx.api().preview(&user.token, &criteria).await?.count;
        console_page(&ctx, &form, Some(count), None).await
    }
    .await;
    ctx.finish_post(result, "/console")
}

#[derive(Debug, Deserialize)]
pub struct WaveForm {
    csrf: String,
    key: String,
    #[serde(default)]
    cohort: String,
    #[serde(default)]
    campaign: String,
    #[serde(default)]
    when: String,
    #[serde(default)]
    opens_at: String,
    /// The checkbox: let people in through a waiting room at the opening.
    #[serde(default)]
    waiting_room: Option<String>,
}

/// Where a wave's opening starts letting people in through its waiting room (visitors
/// per second); the booking service then follows its own measured capacity.
const FIRST_ADMISSIONS_PER_SECOND: f64 = 100.0;

/// The name of a wave's waiting room.
fn room_of_wave(id: i64) -> String {
    format!("wave-{id}")
}

/// `POST /console/waves`: open a wave now, or schedule it.
pub async fn open_wave(ctx: Ctx, form: web::Form<WaveForm>) -> HttpResponse {
    let result = async {
        ctx.check_csrf(&form.csrf)?;
        let user = authority(&ctx)?;
        let cohort: i64 = form
            .cohort
            .parse()
            .map_err(|_| PageError::Input("err_choose_cohort"))?;
        if form.campaign.trim().is_empty() {
            return Err(PageError::Input("err_choose_campaign"));
        }
        let opens_at = match form.when.as_str() {
            "later" => {
                Some(local_datetime(&form.opens_at).ok_or(PageError::Input("err_opens_at"))?)
            }
            _ => None,
        };
        let key = uuid::Uuid::parse_str(&form.key)
            .map_err(|_| PageError::Csrf)?
            .to_string();
        let wave = ctx
            .api()
            .create_wave(&user.token, cohort, form.campaign.trim(), opens_at, &key)
            .await?;
        if form.waiting_room.is_some() {
            // Its holds go through the room from the wave's opening on.
            let room = WaitingRoom {
                name: room_of_wave(wave.id),
                opens_at: wave.opens_at,
                open: false,
                gate_holds: true,
                campaign: Some(form.campaign.trim().to_owned()),
            };
            let made = ctx
                .api()
                .put_waiting_room(&user.token, &room, FIRST_ADMISSIONS_PER_SECOND)
                .await;
            if let Err(e) = made {
                tracing::warn!(error = %e, "the wave's waiting room was not made");
                ctx.session.flash("error", "err_wave_room_not_made");
                return Ok(redirect(&format!("/console/waves/{}", wave.id)));
            }
        }
        ctx.session.flash(
            "ok",
            if opens_at.is_some() {
                "flash_wave_scheduled"
            } else {
                "flash_wave_opened"
            },
        );
        Ok(redirect(&format!("/console/waves/{}", wave.id)))
    }
    .await;
    ctx.finish_post(result, "/console")
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

/// `POST /console/waves/{id}/close`.
pub async fn close_wave(ctx: Ctx, path: web::Path<i64>, form: web::Form<CsrfForm>) -> HttpResponse {
    let id = path.into_inner();
    let back = format!("/console/waves/{id}");
    let result = async {
        ctx.check_csrf(&form.csrf)?;
        let user = authority(&ctx)?;
        ctx.api().close_wave(&user.token, id).await?;
        // Its waiting room, if it has one, stops gating holds with it.
        let name = room_of_wave(id);
        let rooms = ctx.api().waiting_rooms().await?;
        if let Some(room) = rooms.iter().find(|r| r.name == name && r.gate_holds) {
            let ungated = WaitingRoom {
                gate_holds: false,
                ..room.clone()
            };
            ctx.api()
                .put_waiting_room(&user.token, &ungated, FIRST_ADMISSIONS_PER_SECOND)
                .await?;
        }
        ctx.session.flash("ok", "flash_wave_closed");
        Ok(redirect(&back))
    }
    .await;
    ctx.finish_post(result, &back)
}

/// `GET /console/waves/{id}`: the live view of one wave.
pub async fn wave(ctx: Ctx, path: web::Path<i64>) -> HttpResponse {
    let result = async {
        let user = authority(&ctx)?;
        let d = ctx.api().wave(&user.token, path.into_inner()).await?;
        let state = wave_state(&d.wave);
        ctx.page(
            "wave.html",
            "wave_title",
            json!({
                "wave": {
                    "id": d.wave.id,
                    "opens_at": timefmt::datetime_long(d.wave.opens_at, ctx.lang),
                    "state": state,
                    "state_text": ctx.t(&format!("wave_{state}")),
                },
                "bars": figures_json(&ctx, &d.figures),
                "updated": timefmt::time(Utc::now()),
            }),
        )
    }
    .await;
    ctx.finish(result)
}

/// `GET /console/waves/{id}/figures.json`: what the live view polls.
pub async fn wave_figures(ctx: Ctx, path: web::Path<i64>) -> HttpResponse {
    let result: Result<HttpResponse, PageError> = async {
        let user = authority(&ctx)?;
        let d = ctx.api().wave(&user.token, path.into_inner()).await?;
        Ok(HttpResponse::Ok().json(json!({
            "bars": figures_json(&ctx, &d.figures),
            "updated": timefmt::time(Utc::now()),
        })))
    }
    .await;
    match result {
        Ok(r) => r,
        Err(e) => HttpResponse::build(
            actix_web::http::StatusCode::from_u16(e.status())
                .unwrap_or(actix_web::http::StatusCode::BAD_GATEWAY),
        )
        .json(json!({ "error": ctx.t(e.message_key()) })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(min: &str, max: &str, m: &str) -> CohortForm {
        CohortForm {
            age_min: min.into(),
            age_max: max.into(),
            municipality: m.into(),
            ..CohortForm::default()
        }
    }

    #[test]
    fn cohort_forms_become_criteria_or_name_the_bad_field() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let c = criteria(&form("80", "", "751"), today).unwrap();
        assert_eq!(c["age"]["min"], 80);
        assert_eq!(c["age"]["on"], "2026-12-01");
        assert_eq!(c["municipalities"], json!([751]));
        let key = |f: CohortForm| criteria(&f, today).err().map(|e| e.message_key());
        assert_eq!(key(form("", "", "")), Some("err_no_criteria"));
        assert_eq!(key(form("90", "80", "")), Some("err_age"));
        assert_eq!(key(form("x", "", "")), Some("err_age"));
        assert_eq!(key(form("", "", "999")), Some("err_unknown_municipality"));
    }

    #[test]
    fn capacity_sums_free_places_and_lists_the_tightest_sites() {
        let campaigns: Vec<crate::api::Campaign> = serde_json::from_value(json!([
            {"id": 1, "code": "pcr", "name": "PCR", "kind": "test", "access": "open"}
        ]))
        .unwrap();
        let site = |id: i64, free: i64| -> crate::api::Site {
            serde_json::from_value(json!({"id": id, "name": format!("s{id}"), "address": "", "postcode": "8000",
                "municipality_code": 751, "municipality": "Aarhus", "location": {"lat": 56.0, "lon": 10.0},
                "campaigns": [{"code": "pcr", "name": "PCR", "free": free}]}))
            .unwrap()
        };
        let c = capacity(&campaigns, &[site(1, 5), site(2, 0), site(3, 2)]);
        assert_eq!(c["per_campaign"][0]["free"], 7);
        assert_eq!(c["per_campaign"][0]["full_sites"], 1);
        assert_eq!(c["tight"][0]["name"], "s2");
        assert_eq!(c["tight"][1]["name"], "s3");
    }

    #[test]
    fn uptake_shares_in_whole_percent() {
        let row = |key: &str, name: &str, citizens, booked| crate::api::UptakeRow {
            key: key.into(),
            name: name.into(),
            citizens,
            booked,
        };
        let rows = uptake_rows(&[row("751", "Aarhus", 3, 1), row("101", "", 0, 0)], true);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0]["label"], "Aarhus");
        assert_eq!(rows[0]["percent"], 33);
        assert_eq!(
            uptake_rows(&[row("80+", "", 2, 2)], false)[0]["percent"],
            100
        );
    }

    #[test]
    fn opening_day_bars_scale_to_the_busiest_minute() {
        use crate::live::Counters;
        let m = |holds: f64, bookings: f64| Counters {
            holds,
            bookings,
            ..Counters::default()
        };
        let v = opening_day(&[m(0.0, 0.0), m(100.0, 50.0)]);
        assert_eq!(v["bars"][1]["h_holds"], 48);
        assert_eq!(v["bars"][1]["y_bookings"], 26);
        assert_eq!(v["bars"][0]["h_holds"], 0);
        assert_eq!(v["figures"]["bookings"], 50);
        assert_eq!(opening_day(&[])["minutes"], 0);
    }

    #[test]
    fn waves_states_times_and_bars() {
        let w: Wave = serde_json::from_value(json!({"id": 1, "cohort_id": 1, "campaign_id": 1,
            "opens_at": "2026-12-01T10:00:00Z", "opened_at": null, "closed_at": null, "invited": 0}))
        .unwrap();
        assert_eq!(wave_state(&w), "scheduled");
        let t = local_datetime("2026-12-01T14:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-12-01T13:00:00+00:00");
        assert_eq!(local_datetime("tomorrow"), None);
        let f = WaveFigures {
            invited: 200,
            delivered: 100,
            booked: 50,
            withdrawn: 20,
            ..WaveFigures::default()
        };
        let b = bars(&f);
        assert_eq!(b[0], ("fig_invited", 200, 100));
        assert_eq!(b[6], ("fig_withdrawn", 20, 10));
        assert_eq!(b[7], ("fig_booked", 50, 25));
        assert!(bars(&WaveFigures::default()).iter().all(|r| r.2 == 0));
    }
}
