//! Goose scenarios of opening day, with think times between steps:
//!
//! - `surge`: a wave opens; citizens sign in, browse sites and a day's slots, hold and
//!   confirm; some then cancel or move; some hold and walk away (the hold lapses);
//! - `bots`: scripts hammering availability with no think time and no token;
//! - `steady`: the same citizen journey at an ordinary day's pace;
//! - `opening`: a gated opening: citizens stand in the waiting room (from before the
//!   opening on), refresh until admitted (some walk away and their place lapses), then
//!   browse, hold with the admission token and confirm;
//! - `passes`: citizens fetch their corona pass overview from the pass service;
//! - `verifier`: venue verifiers download the trust list, revocations and rules, with
//!   `If-None-Match` as a real verifier app does.
//!
//! Every `201 Created` booking id is recorded (see [`crate::record`]) so the invariant
//! check after the run can prove each one has its row. Expected refusals under contention
//! (409 slot_full, 410 hold_expired) count as successes in goose's report under their own
//! request names; a 503 or 429 (load shed, rate limited) counts as a failure.

use goose::prelude::*;
use rand::seq::SliceRandom;
use rand::Rng;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use crate::citizens;
use crate::record;

/// What the scenarios need to know about the system under test.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The booking service (tokens come from its dev identity provider).
    pub booking_host: String,
    /// The pass service, for `passes` and `verifier`.
    pub pass_host: String,
    /// The campaign citizens book (an open campaign, or one whose wave invited them).
    pub campaign: String,
    /// Days ahead to look for slots: `1..=days`.
    pub days: u32,
    /// Think time between a citizen's steps, milliseconds (min, max).
    pub think_ms: (u64, u64),
    /// Share of citizens that hold and walk away.
    pub abandon: f64,
    /// Share of booked citizens that cancel, and that move.
    pub cancel: f64,
    pub change: f64,
    /// `opening`: the waiting room citizens queue in (the harness makes it).
    pub room: Option<String>,
    /// `opening`: how often a waiting citizen refreshes their place.
    pub refresh_ms: u64,
}

impl Default for Plan {
    fn default() -> Self {
        Self {
            booking_host: "http://127.0.0.1:8080".into(),
            pass_host: "http://127.0.0.1:8081".into(),
            campaign: "pcr-test".into(),
            days: 10,
            think_ms: (500, 3000),
            abandon: 0.15,
            cancel: 0.05,
            change: 0.10,
            room: None,
            refresh_ms: 2000,
        }
    }
}

static PLAN: OnceLock<Plan> = OnceLock::new();

fn plan() -> &'static Plan {
    PLAN.get_or_init(Plan::default)
}

/// The scenario names `build` knows.
pub const NAMES: &[&str] = &["surge", "bots", "steady", "opening", "passes", "verifier"];

/// Builds the named scenarios (weights: as given, in the order given).
pub fn build(plan: Plan, names: &[(String, usize)]) -> anyhow::Result<Vec<Scenario>> {
    let think = (
        Duration::from_millis(plan.think_ms.0),
        Duration::from_millis(plan.think_ms.1),
    );
    let pass_host = plan.pass_host.clone();
    PLAN.set(plan)
        .map_err(|_| anyhow::anyhow!("the scenarios were built already"))?;
    let mut out = Vec::new();
    for (name, weight) in names {
        let s = match name.as_str() {
            "surge" => citizen_journey("surge").set_wait_time(think.0, think.1)?,
            "steady" => citizen_journey("steady").set_wait_time(think.0 * 4, think.1 * 4)?,
            "opening" => scenario!("opening")
                .set_wait_time(think.0, think.1)?
                .register_transaction(transaction!(sign_in).set_name("sign in").set_sequence(1))
                .register_transaction(
                    transaction!(wait_in_room)
                        .set_name("wait in the room")
                        .set_sequence(2),
                )
                .register_transaction(
                    transaction!(browse_sites)
                        .set_name("browse sites")
                        .set_sequence(3),
                )
                .register_transaction(
                    transaction!(browse_day)
                        .set_name("browse a day")
                        .set_sequence(4),
                )
                .register_transaction(transaction!(hold).set_name("hold").set_sequence(5))
                .register_transaction(transaction!(confirm).set_name("confirm").set_sequence(6)),
            "bots" => scenario!("bots")
                .register_transaction(transaction!(bot_browse).set_name("bot availability")),
            "passes" => scenario!("passes")
                .set_host(&pass_host)
                .set_wait_time(think.0, think.1)?
                .register_transaction(transaction!(sign_in).set_name("sign in").set_sequence(1))
                .register_transaction(
                    transaction!(fetch_passes)
                        .set_name("pass overview")
                        .set_sequence(2),
                ),
            "verifier" => scenario!("verifier")
                .set_host(&pass_host)
                .set_wait_time(think.0 * 2, think.1 * 2)?
                .register_transaction(transaction!(verifier_sync).set_name("verifier sync")),
            other => anyhow::bail!("unknown scenario {other:?}; known: {}", NAMES.join(", ")),
        };
        out.push(s.set_weight(*weight)?);
    }
    Ok(out)
}

fn citizen_journey(name: &str) -> Scenario {
    scenario!(name)
        .register_transaction(transaction!(sign_in).set_name("sign in").set_sequence(1))
        .register_transaction(
            transaction!(browse_sites)
                .set_name("browse sites")
                .set_sequence(2),
        )
        .register_transaction(
            transaction!(browse_day)
                .set_name("browse a day")
                .set_sequence(3),
        )
        .register_transaction(transaction!(hold).set_name("hold").set_sequence(4))
        .register_transaction(transaction!(confirm).set_name("confirm").set_sequence(5))
        .register_transaction(
            transaction!(cancel_or_move)
                .set_name("cancel or move")
                .set_sequence(6),
        )
}

/// One citizen's state between steps. A new citizen signs in on every journey.
#[derive(Debug, Default)]
struct Journey {
    token: String,
    /// The waiting room's admission, sent with the hold.
    admission: Option<String>,
    /// Walked away from the room: the rest of the journey is skipped.
    gone: bool,
    sites: Vec<i64>,
    free: Vec<i64>,
    hold: Option<String>,
    booking: Option<String>,
}

static NEXT_CITIZEN: AtomicU64 = AtomicU64::new(0);

fn journey(user: &mut GooseUser) -> &mut Journey {
    if user.get_session_data::<Journey>().is_none() {
        user.set_session_data(Journey::default());
    }
    user.get_session_data_unchecked_mut::<Journey>()
}

fn random_day() -> chrono::NaiveDate {
    let ahead = rand::thread_rng().gen_range(1..=i64::from(plan().days.max(1)));
    chrono::Local::now().date_naive() + chrono::Duration::days(ahead)
}

async fn body_json(resp: reqwest::Response) -> Value {
    resp.json().await.unwrap_or(Value::Null)
}

/// Records a failed or odd answer in goose's error table.
fn fail(
    user: &GooseUser,
    tag: &str,
    request: &mut goose::metrics::GooseRequestMetric,
) -> TransactionResult {
    user.set_failure(tag, request, None, None)
}

async fn sign_in(user: &mut GooseUser) -> TransactionResult {
    let cpr = citizens::cpr(NEXT_CITIZEN.fetch_add(1, Ordering::Relaxed));
    let url = format!("{}/dev/token", plan().booking_host);
    let rb = user
        .get_request_builder(&GooseMethod::Post, &url)?
        .json(&json!({"role": "citizen", "cpr": cpr}));
    let req = GooseRequest::builder()
        .set_request_builder(rb)
        .name("/dev/token")
        .build();
    let mut goose = user.request(req).await?;
    let token = match goose.response {
        Ok(r) if r.status().is_success() => body_json(r).await["access_token"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        _ => String::new(),
    };
    if token.is_empty() {
        return fail(user, "no token", &mut goose.request);
    }
    *journey(user) = Journey {
        token,
        ..Journey::default()
    };
    Ok(())
}

async fn browse_sites(user: &mut GooseUser) -> TransactionResult {
    if journey(user).gone {
        return Ok(());
    }
    // Somewhere in Denmark: the nearest sites first, as the site finder asks.
    let (lat, lon) = {
        let mut rng = rand::thread_rng();
        (rng.gen_range(54.8..57.6), rng.gen_range(8.2..12.6))
    };
    let path = format!(
        "/v1/sites?campaign={}&lat={lat:.3}&lon={lon:.3}&limit=20",
        plan().campaign
    );
    let req = GooseRequest::builder()
        .path(path.as_str())
        .name("/v1/sites")
        .build();
    let mut goose = user.request(req).await?;
    let sites: Vec<i64> = match goose.response {
        Ok(r) if r.status().is_success() => body_json(r).await["sites"]
            .as_array()
            .map(|a| a.iter().filter_map(|s| s["id"].as_i64()).collect())
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    if sites.is_empty() {
        return fail(user, "no sites with free places", &mut goose.request);
    }
    journey(user).sites = sites;
    Ok(())
}

/// GET one site's day and remember its free slots.
async fn fetch_day(user: &mut GooseUser, site: i64) -> Result<Vec<i64>, Box<TransactionError>> {
    let path = format!(
        "/v1/sites/{site}/slots?date={}&campaign={}",
        random_day(),
        plan().campaign
    );
    let req = GooseRequest::builder()
        .path(path.as_str())
        .name("/v1/sites/{id}/slots")
        .build();
    let mut goose = user.request(req).await?;
    match goose.response {
        Ok(r) if r.status().is_success() => Ok(body_json(r).await["slots"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter(|s| s["remaining"].as_i64().unwrap_or(0) > 0)
                    .filter_map(|s| s["id"].as_i64())
                    .collect()
            })
            .unwrap_or_default()),
        _ => {
            fail(user, "availability failed", &mut goose.request)?;
            Ok(Vec::new())
        }
    }
}

async fn browse_day(user: &mut GooseUser) -> TransactionResult {
    if journey(user).gone {
        return Ok(());
    }
    // Looks at a couple of sites' days, as people compare.
    let looks = rand::thread_rng().gen_range(1..=3);
    let mut free = Vec::new();
    for _ in 0..looks {
        let Some(site) = journey(user).sites.choose(&mut rand::thread_rng()).copied() else {
            return Ok(());
        };
        free = fetch_day(user, site).await?;
        if !free.is_empty() {
            break;
        }
    }
    journey(user).free = free;
    Ok(())
}

/// POST with the citizen's token and an Idempotency-Key; returns status and body.
async fn post_as_citizen(
    user: &mut GooseUser,
    path: &str,
    name: &str,
    body: Option<Value>,
    method: GooseMethod,
) -> Result<(u16, Value), Box<TransactionError>> {
    let token = journey(user).token.clone();
    let mut rb = user
        .get_request_builder(&method, path)?
        .bearer_auth(token)
        .header("Idempotency-Key", uuid::Uuid::new_v4().to_string());
    if let Some(admission) = journey(user).admission.clone() {
        rb = rb.header("Admission-Token", admission);
    }
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    let req = GooseRequest::builder()
        .set_request_builder(rb)
        .name(name)
        .build();
    let mut goose = user.request(req).await?;
    let (status, value) = match goose.response {
        Ok(r) => {
            let status = r.status().as_u16();
            (status, body_json(r).await)
        }
        Err(_) => (0, Value::Null),
    };
    // Business refusals under contention are expected answers, not failures.
    if matches!(status, 409 | 410) {
        user.set_success(&mut goose.request)?;
    }
    Ok((status, value))
}

async fn take_hold(user: &mut GooseUser) -> Result<Option<String>, Box<TransactionError>> {
    let Some(slot) = journey(user).free.choose(&mut rand::thread_rng()).copied() else {
        return Ok(None);
    };
    let (status, body) = post_as_citizen(
        user,
        "/v1/holds",
        "/v1/holds",
        Some(json!({"slot_id": slot})),
        GooseMethod::Post,
    )
    .await?;
    Ok((status == 201)
        .then(|| body["hold_id"].as_str().map(str::to_owned))
        .flatten())
}

async fn hold(user: &mut GooseUser) -> TransactionResult {
    if journey(user).gone {
        return Ok(());
    }
    let hold = take_hold(user).await?;
    journey(user).hold = hold;
    Ok(())
}

async fn confirm(user: &mut GooseUser) -> TransactionResult {
    let Some(hold) = journey(user).hold.take() else {
        return Ok(());
    };
    if rand::thread_rng().gen_bool(plan().abandon) {
        // Walks away: the hold lapses by itself.
        return Ok(());
    }
    let (status, body) = post_as_citizen(
        user,
        "/v1/bookings",
        "/v1/bookings",
        Some(json!({"hold_id": hold})),
        GooseMethod::Post,
    )
    .await?;
    if status == 201 {
        if let Some(id) = body["id"].as_str() {
            record::confirmed(id);
            journey(user).booking = Some(id.to_owned());
        }
    }
    Ok(())
}

async fn cancel_or_move(user: &mut GooseUser) -> TransactionResult {
    let Some(booking) = journey(user).booking.take() else {
        return Ok(());
    };
    let roll: f64 = rand::thread_rng().gen();
    if roll < plan().cancel {
        post_as_citizen(
            user,
            &format!("/v1/bookings/{booking}"),
            "/v1/bookings/{id}",
            None,
            GooseMethod::Delete,
        )
        .await?;
    } else if roll < plan().cancel + plan().change {
        let Some(site) = journey(user).sites.choose(&mut rand::thread_rng()).copied() else {
            return Ok(());
        };
        journey(user).free = fetch_day(user, site).await?;
        let Some(hold) = take_hold(user).await? else {
            return Ok(());
        };
        let (status, body) = post_as_citizen(
            user,
            &format!("/v1/bookings/{booking}/move"),
            "/v1/bookings/{id}/move",
            Some(json!({"hold_id": hold})),
            GooseMethod::Post,
        )
        .await?;
        if status == 201 {
            if let Some(id) = body["id"].as_str() {
                record::confirmed(id);
            }
        }
    }
    Ok(())
}

/// What the `opening` scenario saw of the waiting room.
#[derive(Debug, Default)]
pub struct RoomCounts {
    pub joined: AtomicU64,
    pub admitted: AtomicU64,
    pub walked_away: AtomicU64,
    pub lapsed: AtomicU64,
    /// Milliseconds from joining to admission, of everyone admitted.
    pub waits_ms: std::sync::Mutex<Vec<u64>>,
}

pub static ROOM: OnceLock<RoomCounts> = OnceLock::new();

fn room_counts() -> &'static RoomCounts {
    ROOM.get_or_init(RoomCounts::default)
}

/// goose's `test_start` for `opening`: makes the run's waiting room.
pub async fn make_room(user: &mut GooseUser) -> TransactionResult {
    if let Err(e) = crate::opening::make_armed().await {
        let req = GooseRequest::builder().path("/v1/waiting-rooms").build();
        let mut goose = user.request(req).await?;
        eprintln!("the waiting room was not made: {e:#}");
        return fail(user, "waiting room not made", &mut goose.request);
    }
    Ok(())
}

/// Joins the opening's waiting room and refreshes until admitted; a share of people
/// walk away after a first look (their place lapses).
async fn wait_in_room(user: &mut GooseUser) -> TransactionResult {
    let Some(room) = plan().room.clone() else {
        return Ok(());
    };
    let path = format!("/v1/waiting-rooms/{room}/visitors");
    let req = GooseRequest::builder()
        .method(GooseMethod::Post)
        .path(path.as_str())
        .name("/v1/waiting-rooms/{room}/visitors")
        .build();
    let mut goose = user.request(req).await?;
    let visitor = match goose.response {
        Ok(r) if r.status().is_success() => body_json(r).await["visitor"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        _ => String::new(),
    };
    if visitor.is_empty() {
        journey(user).gone = true;
        return fail(user, "could not join the room", &mut goose.request);
    }
    let counts = room_counts();
    counts.joined.fetch_add(1, Ordering::Relaxed);
    let joined = std::time::Instant::now();
    let walks_away = rand::thread_rng().gen_bool(plan().abandon);
    let status_path = format!("{path}/{visitor}");
    loop {
        let req = GooseRequest::builder()
            .path(status_path.as_str())
            .name("/v1/waiting-rooms/{room}/visitors/{visitor}")
            .build();
        let mut goose = user.request(req).await?;
        let place = match goose.response {
            Ok(r) if r.status().is_success() => body_json(r).await,
            _ => {
                fail(user, "place not read", &mut goose.request)?;
                Value::Null
            }
        };
        match place["state"].as_str() {
            Some("admitted") => {
                counts.admitted.fetch_add(1, Ordering::Relaxed);
                counts
                    .waits_ms
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push(u64::try_from(joined.elapsed().as_millis()).unwrap_or(u64::MAX));
                journey(user).admission = place["admission_token"].as_str().map(str::to_owned);
                return Ok(());
            }
            Some("lapsed" | "expired" | "unknown") => {
                counts.lapsed.fetch_add(1, Ordering::Relaxed);
                journey(user).gone = true;
                return Ok(());
            }
            _ if walks_away => {
                counts.walked_away.fetch_add(1, Ordering::Relaxed);
                journey(user).gone = true;
                return Ok(());
            }
            _ => tokio::time::sleep(Duration::from_millis(plan().refresh_ms)).await,
        }
    }
}

/// A bot: a random site's random day, again and again.
async fn bot_browse(user: &mut GooseUser) -> TransactionResult {
    if journey(user).sites.is_empty() {
        let path = format!("/v1/sites?campaign={}&limit=200", plan().campaign);
        let req = GooseRequest::builder()
            .path(path.as_str())
            .name("/v1/sites")
            .build();
        let goose = user.request(req).await?;
        if let Ok(r) = goose.response {
            journey(user).sites = body_json(r).await["sites"]
                .as_array()
                .map(|a| a.iter().filter_map(|s| s["id"].as_i64()).collect())
                .unwrap_or_default();
        }
    }
    let site = journey(user).sites.choose(&mut rand::thread_rng()).copied();
    if let Some(site) = site {
        fetch_day(user, site).await?;
    }
    Ok(())
}

async fn fetch_passes(user: &mut GooseUser) -> TransactionResult {
    let token = journey(user).token.clone();
    let rb = user
        .get_request_builder(&GooseMethod::Get, "/v1/me/passes")?
        .bearer_auth(token);
    let req = GooseRequest::builder()
        .set_request_builder(rb)
        .name("/v1/me/passes")
        .build();
    user.request(req).await?;
    Ok(())
}

#[derive(Debug, Default)]
struct VerifierCache {
    etags: std::collections::HashMap<&'static str, String>,
}

/// A verifier app's periodic sync: each document with its last ETag (304 when unchanged).
async fn verifier_sync(user: &mut GooseUser) -> TransactionResult {
    if user.get_session_data::<VerifierCache>().is_none() {
        user.set_session_data(VerifierCache::default());
    }
    for path in [
        "/v1/verifier/trust-list",
        "/v1/verifier/revocations",
        "/v1/verifier/rules",
    ] {
        let etag = user
            .get_session_data_unchecked::<VerifierCache>()
            .etags
            .get(path)
            .cloned();
        let mut rb = user.get_request_builder(&GooseMethod::Get, path)?;
        if let Some(tag) = etag {
            rb = rb.header("If-None-Match", tag);
        }
        let req = GooseRequest::builder()
            .set_request_builder(rb)
            .name(path)
            .build();
        let mut goose = user.request(req).await?;
        let new_tag = match &goose.response {
            Ok(r) if r.status().as_u16() == 304 => None,
            Ok(r) if r.status().is_success() => r
                .headers()
                .get("etag")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            _ => {
                fail(user, "verifier download failed", &mut goose.request)?;
                None
            }
        };
        if matches!(&goose.response, Ok(r) if r.status().as_u16() == 304) {
            user.set_success(&mut goose.request)?;
        }
        if let Some(tag) = new_tag {
            user.get_session_data_unchecked_mut::<VerifierCache>()
                .etags
                .insert(path, tag);
        }
    }
    Ok(())
}
