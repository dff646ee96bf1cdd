//! The waiting room on the way to a hold. While an opening is gated, the booking service
//! answers a hold without an admission `admission_required` and names its waiting room;
//! the person is given a place there (kept in the session) and this page shows where
//! they stand, kept up to date by its script polling `place.json` (or, without
//! JavaScript, a refresh); each look keeps the place. When it is their turn the
//! admission goes into the session, every hold carries it until it runs out, and the
//! page offers the way back to the day they were booking (the refresh goes there).

use actix_web::{web, HttpResponse};
use chrono::Utc;
use serde::Deserialize;
use serde_json::json;

use super::book::CsrfForm;
use super::{redirect, Ctx, PageResult};
use crate::api::{ApiError, QueuePlace};
use crate::errors::PageError;
use crate::session::{Admitted, Queued};
use crate::timefmt;

/// The waiting room a refused hold must go through, if that is why it was refused.
pub fn room_of(e: &ApiError) -> Option<&str> {
    match e {
        ApiError::Problem {
            code,
            waiting_room: Some(room),
            ..
        } if code == "admission_required" => Some(room),
        _ => None,
    }
}

/// Sends the person to the waiting room `room`: to the place they have there, else to a
/// new one at its end. `back` is the page to return to when it is their turn.
pub async fn enter(ctx: &Ctx, room: &str, back: &str) -> PageResult {
    let kept = ctx.session.get().queue.filter(|q| q.room == room);
    let visitor = match kept {
        Some(q) => q.visitor,
        None => ctx.api().join_queue(room).await?.visitor,
    };
    ctx.session.update(|d| {
        d.admission = None;
        d.queue = Some(Queued {
            room: room.to_owned(),
            visitor,
            back: back.to_owned(),
        });
    });
    Ok(redirect("/book/queue"))
}

/// When the place could not be read, the page tries again this soon.
const RETRY_SECONDS: u32 = 10;

/// Whether the place could not be read for a passing reason (the service is busy or
/// out of reach): the page says so and tries again at its next refresh.
fn passing(e: &ApiError) -> bool {
    match e {
        ApiError::Unreachable(_) => true,
        other => other.status().is_some_and(|s| s == 429 || s >= 500),
    }
}

/// Where the person stands now, with what follows from it for the session.
enum Standing {
    /// No place in the session.
    None,
    /// Their turn: the admission is in the session now; back to `back`.
    Turn { back: String },
    /// Still waiting (or before the opening), or the place is gone.
    Place(QueuePlace),
    /// The place could not be read just now (busy or out of reach).
    NotRead,
}

async fn standing(ctx: &Ctx) -> Result<Standing, PageError> {
    let Some(q) = ctx.session.get().queue else {
        return Ok(Standing::None);
    };
    let place = match ctx.api().queue_place(&q.room, &q.visitor).await {
        Ok(p) => p,
        Err(e) if passing(&e) => {
            tracing::info!(error = %e, "waiting room place not read");
            return Ok(Standing::NotRead);
        }
        Err(e) => return Err(e.into()),
    };
    if let (Some(token), Some(until)) = (&place.admission_token, place.admitted_until) {
        if place.state == "admitted" {
            ctx.session.update(|d| {
                d.queue = None;
                d.admission = Some(Admitted {
                    room: q.room.clone(),
                    token: token.clone(),
                    until,
                });
            });
            return Ok(Standing::Turn { back: q.back });
        }
    }
    Ok(Standing::Place(place))
}

/// `GET /book/queue`: where the person stands; their turn sends them back to booking.
pub async fn page(ctx: Ctx) -> HttpResponse {
    let result = async {
        match standing(&ctx).await? {
            Standing::None => Ok(redirect("/book")),
            Standing::Turn { back } => {
                ctx.session.flash("ok", "queue_your_turn");
                Ok(redirect(&back))
            }
            Standing::Place(place) => render(&ctx, Some(&place), false),
            Standing::NotRead => render(&ctx, None, true),
        }
    }
    .await;
    ctx.finish(result)
}

/// `GET /book/queue/place.json`: what the page's script polls (the call keeps the
/// place, as a reload would); at the person's turn, where to go.
pub async fn place_json(ctx: Ctx) -> HttpResponse {
    let answer = match standing(&ctx).await {
        Ok(Standing::None) => json!({ "state": "none" }),
        Ok(Standing::Turn { back }) => json!({ "state": "admitted", "back": back }),
        Ok(Standing::Place(p)) => json!({
            "state": shown_state(Some(&p)),
            "ahead": p.ahead,
            "wait": wait_text(ctx.lang, p.estimated_wait_seconds),
        }),
        Ok(Standing::NotRead) | Err(_) => json!({ "state": "not_read" }),
    };
    HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(answer)
}

/// The state the page shows: lapsed, expired and unknown all mean the place is gone.
fn shown_state(place: Option<&QueuePlace>) -> &'static str {
    match place.map(|p| p.state.as_str()) {
        Some("before_opening") => "before_opening",
        Some("waiting") | None => "waiting",
        Some(_) => "lapsed",
    }
}

/// "Expected wait: about 3 minutes." in the page's language.
fn wait_text(lang: crate::i18n::Lang, seconds: Option<u64>) -> String {
    let t = |k| crate::i18n::text(lang, k);
    match seconds {
        Some(w) if w >= 120 => format!("{} {} {}.", t("queue_wait"), w.div_ceil(60), t("minutes")),
        Some(w) => format!("{} {} {}.", t("queue_wait"), w.max(1), t("seconds")),
        None => t("queue_wait_unknown").to_owned(),
    }
}

fn render(ctx: &Ctx, place: Option<&QueuePlace>, not_updated: bool) -> PageResult {
    let state = shown_state(place);
    let refresh = place.map_or(RETRY_SECONDS, |p| p.refresh_seconds.max(1));
    ctx.page(
        "queue.html",
        "queue_title",
        json!({
            "state": state,
            "not_updated": not_updated,
            "ahead": place.filter(|p| p.state == "waiting").map(|p| p.ahead),
            "opens": place.map(|p| timefmt::datetime_long(p.opens_at, ctx.lang)),
            "wait": wait_text(ctx.lang, place.and_then(|p| p.estimated_wait_seconds)),
            // A gone place has nothing to refresh for.
            "refresh": (state != "lapsed").then_some(refresh),
            "lapse_minutes": place.map(|p| p.lapse_seconds.div_ceil(60).max(1)),
        }),
    )
}

/// The waiting rooms that gate holds, opened or to open, for the booking page to offer:
/// who stands in one before its opening is shuffled with everyone else there then. None
/// when they cannot be read (the hold itself still leads to the room).
pub async fn rooms_to_join(ctx: &Ctx) -> Vec<serde_json::Value> {
    let rooms = match ctx.api().waiting_rooms().await {
        Ok(rooms) => rooms,
        Err(e) => {
            tracing::info!(error = %e, "waiting rooms not read");
            return Vec::new();
        }
    };
    let session = ctx.session.get();
    let queued = session.queue.as_ref().map(|q| q.room.as_str());
    let admitted = session.admission_now(Utc::now()).map(|a| a.room.as_str());
    rooms
        .into_iter()
        .filter(|r| r.gate_holds && admitted != Some(r.name.as_str()))
        .map(|r| {
            json!({
                "name": r.name,
                "open": r.open,
                "opens": timefmt::datetime_long(r.opens_at, ctx.lang),
                "queued": queued == Some(r.name.as_str()),
            })
        })
        .collect()
}

#[derive(Debug, Deserialize)]
pub struct JoinForm {
    csrf: String,
    room: String,
}

/// `POST /book/queue/join`: a place in `room` before choosing a time (before its
/// opening, a place in the shuffle); back to the booking page at one's turn.
pub async fn join(ctx: Ctx, form: web::Form<JoinForm>) -> HttpResponse {
    let result = async {
        ctx.check_csrf(&form.csrf)?;
        ctx.citizen()?;
        enter(&ctx, &form.room, "/book").await
    }
    .await;
    ctx.finish_post(result, "/book")
}

/// `POST /book/queue`: a new place at the end, after the old one lapsed.
pub async fn rejoin(ctx: Ctx, form: web::Form<CsrfForm>) -> HttpResponse {
    let result = async {
        ctx.check_csrf(&form.csrf)?;
        let Some(q) = ctx.session.get().queue else {
            return Ok(redirect("/book"));
        };
        let place = ctx.api().join_queue(&q.room).await?;
        ctx.session.update(|d| {
            d.queue = Some(Queued {
                visitor: place.visitor,
                ..q
            })
        });
        Ok::<_, PageError>(redirect("/book/queue"))
    }
    .await;
    ctx.finish_post(result, "/book/queue")
}

/// The admission token for this person's next hold, while it is good.
pub fn admission(ctx: &Ctx) -> Option<String> {
    ctx.session
        .get()
        .admission_now(Utc::now())
        .map(|a| a.token.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(status: u16, code: &str, room: Option<&str>) -> ApiError {
        ApiError::Problem {
            status,
            code: code.into(),
            detail: None,
            waiting_room: room.map(str::to_owned),
        }
    }

    #[test]
    fn only_a_refusal_for_want_of_admission_leads_to_a_waiting_room() {
        assert_eq!(
            room_of(&problem(403, "admission_required", Some("dose-1"))),
            Some("dose-1")
        );
        assert_eq!(room_of(&problem(403, "admission_required", None)), None);
        assert_eq!(room_of(&problem(409, "slot_full", Some("dose-1"))), None);
        assert_eq!(room_of(&ApiError::Unexpected(403)), None);
    }

    #[test]
    fn a_busy_or_unreachable_service_is_passing_a_refusal_is_not() {
        assert!(passing(&problem(503, "overloaded", None)));
        assert!(passing(&problem(429, "rate_limited", None)));
        assert!(passing(&ApiError::Unexpected(502)));
        assert!(!passing(&problem(400, "invalid_request", None)));
        assert!(!passing(&problem(404, "not_found", None)));
    }
}
