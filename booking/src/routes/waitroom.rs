//! Waiting-room routes: the authority opens a room for a wave opening; visitors join,
//! refresh and get their admission token; `/waiting-room/{room}` is the page people see
//! (position, estimated wait, refreshes itself).

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use identity::Authority;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::BookingError;
use crate::service::Service;
use crate::waitroom::{Room, State, VisitorStatus, WaitingRoom};

type Reply = Result<HttpResponse, BookingError>;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoomRequest {
    /// `[a-z0-9-]`, e.g. `dose-1-wave-3`.
    pub name: String,
    pub opens_at: DateTime<Utc>,
    /// The admission rate to start with (visitors per second); the controller then
    /// follows the service's measured capacity.
    pub admissions_per_second: f64,
    /// While open, holds need this room's admission token.
    #[serde(default)]
    pub gate_holds: bool,
    /// The campaign (code) whose holds the gate is for, e.g. the wave's; without one,
    /// every campaign's holds (tests too) go through the room while it is open.
    #[serde(default)]
    pub campaign: Option<String>,
}

#[utoipa::path(post, path = "/v1/waiting-rooms", request_body = RoomRequest,
    responses((status = 201, body = RoomView, description = "room created or updated"),
        (status = 400, body = service_kit::Problem),
        (status = 422, body = service_kit::Problem, description = "unknown_campaign")),
    security(("bearer" = [])), tag = "authority")]
pub async fn create_room(
    room: web::Data<WaitingRoom>,
    svc: web::Data<Service>,
    _who: Authority,
    body: web::Json<RoomRequest>,
) -> Reply {
    if let Some(code) = &body.campaign {
        // A campaign made a moment ago on another instance may not be in the catalog yet.
        if svc.catalog.snapshot().campaign_by_code(code).is_none() {
            svc.catalog.refresh_if_stale().await?;
            svc.catalog.snapshot().campaign_filter(Some(code))?;
        }
    }
    let r = Room {
        name: body.name.clone(),
        opens_ms: body.opens_at.timestamp_millis(),
        rate: body.admissions_per_second,
        gate_holds: body.gate_holds,
        campaign: body.campaign.clone(),
    };
    room.create(&r).await?;
    Ok(HttpResponse::Created().json(view(r, svc.clock.now_ms())))
}

fn view(r: Room, now_ms: i64) -> RoomView {
    RoomView {
        opens_at: DateTime::from_timestamp_millis(r.opens_ms).unwrap_or_default(),
        open: r.opens_ms <= now_ms,
        gate_holds: r.gate_holds,
        campaign: r.campaign,
        name: r.name,
    }
}

/// A waiting room as the public sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoomView {
    pub name: String,
    pub opens_at: DateTime<Utc>,
    /// Opened already: who joins now goes to the end of the queue. Before, everyone
    /// who joins is shuffled at the opening.
    pub open: bool,
    /// While open, holds need this room's admission token.
    pub gate_holds: bool,
    /// The campaign (code) the gate is for; `None`: every campaign.
    pub campaign: Option<String>,
}

#[utoipa::path(get, path = "/v1/waiting-rooms",
    responses((status = 200, body = [RoomView], description = "every room, by opening time")), tag = "public")]
pub async fn list_rooms(room: web::Data<WaitingRoom>, svc: web::Data<Service>) -> Reply {
    let now = svc.clock.now_ms();
    let rooms: Vec<RoomView> = room
        .known_rooms()
        .into_iter()
        .map(|r| view(r, now))
        .collect();
    Ok(HttpResponse::Ok().json(rooms))
}

#[utoipa::path(post, path = "/v1/waiting-rooms/{room}/visitors", params(("room" = String, Path)),
    responses((status = 201, body = VisitorStatus), (status = 404, body = service_kit::Problem)), tag = "public")]
pub async fn join(room: web::Data<WaitingRoom>, path: web::Path<String>) -> Reply {
    Ok(HttpResponse::Created().json(room.join(&path).await?))
}

#[utoipa::path(get, path = "/v1/waiting-rooms/{room}/visitors/{visitor}",
    params(("room" = String, Path), ("visitor" = String, Path)),
    responses((status = 200, body = VisitorStatus), (status = 404, body = service_kit::Problem)), tag = "public")]
pub async fn status(room: web::Data<WaitingRoom>, path: web::Path<(String, String)>) -> Reply {
    let (name, visitor) = path.into_inner();
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(room.status(&name, &visitor).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct PageQuery {
    pub visitor: Option<String>,
}

/// The page: joins on the first visit (then redirects to its own address with the
/// visitor id), shows the place afterwards and refreshes itself.
pub async fn page(
    room: web::Data<WaitingRoom>,
    path: web::Path<String>,
    q: web::Query<PageQuery>,
) -> Reply {
    let name = path.into_inner();
    let status = match &q.visitor {
        None => {
            let s = room.join(&name).await?;
            return Ok(HttpResponse::SeeOther()
                .insert_header((
                    header::LOCATION,
                    format!("/waiting-room/{name}?visitor={}", s.visitor),
                ))
                .finish());
        }
        Some(v) => room.status(&name, v).await?,
    };
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(render(&status)))
}

fn render(s: &VisitorStatus) -> String {
    let (headline, detail, refresh) = match s.state {
        State::BeforeOpening => (
            "Du er i venteværelset".to_owned(),
            format!(
                "Bookingen åbner {} (UTC). Alle, der er her før åbningen, får en tilfældig plads i køen, når den åbner. Lad siden være åben.",
                s.opens_at.format("%d.%m.%Y %H:%M")
            ),
            true,
        ),
        State::Waiting => (
            format!("Der er <span id=\"ahead\">{}</span> foran dig", s.ahead),
            format!(
                "<span id=\"wait\">{}</span>",
                wait_text(s.estimated_wait_seconds)
            ),
            true,
        ),
        State::Admitted => (
            "Det er din tur".to_owned(),
            format!(
                "Du kan booke nu, indtil {} (UTC). Din adgangsbillet: <code>{}</code>",
                s.admitted_until.map(|t| t.format("%H:%M").to_string()).unwrap_or_default(),
                s.admission_token.as_deref().map(html_escape).unwrap_or_default()
            ),
            false,
        ),
        State::Lapsed | State::Expired | State::Unknown => (
            "Din plads er udløbet".to_owned(),
            format!(
                "Siden blev ikke opdateret i tide. <a href=\"/waiting-room/{}\">Stil dig i køen igen</a>.",
                html_escape(&s.room)
            ),
            false,
        ),
    };
    // The script keeps the place and the figures up to date in a live region; without
    // JavaScript the page refreshes itself.
    let every = s.refresh_seconds.max(1);
    let (meta, body, script) = if refresh {
        (
            format!("<noscript><meta http-equiv=\"refresh\" content=\"{every}\"></noscript>"),
            format!(
                " data-status=\"/v1/waiting-rooms/{}/visitors/{}\" data-state=\"{}\" data-every=\"{}\"",
                html_escape(&s.room),
                html_escape(&s.visitor),
                state_name(s.state),
                u64::from(every) * 1000
            ),
            format!("<script>{PAGE_SCRIPT}</script>"),
        )
    } else {
        (String::new(), String::new(), String::new())
    };
    format!(
        "<!doctype html><html lang=\"da\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">{meta}\
<title>Venteværelse</title></head><body{body} style=\"font-family:sans-serif;max-width:40em;margin:2em auto\">\
<main><div aria-live=\"polite\"><h1>{headline}</h1><p>{detail}</p></div>\
<p><small>Siden opdaterer sig selv hvert {} sekund. Luk den ikke: uden opdatering i {} minutter mister du din plads.</small></p></main>\
{script}</body></html>",
        s.refresh_seconds,
        s.lapse_seconds.div_ceil(60).max(1),
    )
}

/// The page's script (the same sentences as [`wait_text`]).
const PAGE_SCRIPT: &str = include_str!("waitroom_page.js");

fn wait_text(seconds: Option<u64>) -> String {
    match seconds {
        Some(w) if w >= 120 => format!("Forventet ventetid: omkring {} minutter.", w.div_ceil(60)),
        Some(w) => format!("Forventet ventetid: omkring {w} sekunder."),
        None => "Ventetiden kan ikke anslås lige nu.".to_owned(),
    }
}

/// A state as the JSON status names it (`serde`'s snake_case).
fn state_name(state: State) -> String {
    serde_json::to_value(state)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
