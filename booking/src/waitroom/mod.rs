//! The virtual waiting room for wave openings.
//!
//! - Who arrives before the opening gets a random order key, so at the opening the early
//!   crowd stands in a random order (a shuffle nobody can see before it: positions are
//!   only shown after the opening); who arrives later joins the end, in arrival order.
//! - Admission follows a rate (visitors per second) that the controller moves with the
//!   booking service's measured capacity: up while requests are served without
//!   shedding and with room in flight, down as soon as it sheds.
//! - Admitted visitors get a signed, short-lived token (`token`); while a room with the
//!   hold gate is open, `POST /v1/holds` of its campaign (of every campaign, for a room
//!   without one) needs one in `Admission-Token` ([`Gate`]). The check is in memory (an
//!   HMAC); only a slot whose campaign this instance has not seen yet costs a lookup.
//! - A place lapses when its visitor has not refreshed for `lapse_seconds`: a lapsed
//!   visitor at the head is skipped without using up an admission, so people who walk
//!   away never stall the queue.
//!
//! Rooms live in Redis (one hash tag per room: `{wr:<room>}`; cluster-safe scripts).
//! Losing Redis loses the queue, never a booking; visitors join again.

pub mod token;

/// The header an admission token travels in.
pub const ADMISSION_TOKEN: &str = "admission-token";

use redis::Script;
use service_kit::redis_cluster::SplitPipeline;
use std::sync::{Arc, RwLock};

use crate::clock::Clock;
use crate::error::{BookingError, Result};
use crate::hot::HotStore;
use crate::settings::WaitingRoomSettings;

/// Where a visitor stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Joined before the opening; the order is drawn at the opening.
    BeforeOpening,
    Waiting,
    /// May book now, with the token.
    Admitted,
    /// Did not refresh in time; join again (at the end).
    Lapsed,
    /// Admitted, but the token's time ran out; join again.
    Expired,
    /// Not in this room.
    Unknown,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct VisitorStatus {
    pub room: String,
    pub visitor: String,
    pub state: State,
    /// People ahead (waiting only).
    pub ahead: u64,
    /// Estimated wait in seconds at the current admission rate (waiting only).
    pub estimated_wait_seconds: Option<u64>,
    /// How often the page refreshes itself, in seconds.
    pub refresh_seconds: u32,
    /// The place lapses after this many seconds without a refresh.
    pub lapse_seconds: u32,
    /// The current admission rate, visitors per second.
    pub admissions_per_second: f64,
    pub opens_at: chrono::DateTime<chrono::Utc>,
    /// The admission token (admitted only): send it as `Admission-Token`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admission_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admitted_until: Option<chrono::DateTime<chrono::Utc>>,
}

struct Scripts {
    join: Script,
    status: Script,
    tick: Script,
}

/// A room as its meta hash holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Room {
    pub name: String,
    pub opens_ms: i64,
    pub rate: f64,
    pub gate_holds: bool,
    /// The campaign (code) whose holds the room gates; `None`: every campaign's.
    pub campaign: Option<String>,
}

/// A room's hash as read: opening, rate, gate, campaign.
type RoomMeta = (Option<i64>, Option<f64>, Option<String>, Option<String>);

impl Room {
    /// The room `name` from its hash; `None` when it has none (no such room).
    fn from_meta(name: &str, (opens, rate, gate, campaign): RoomMeta) -> Option<Room> {
        opens.map(|opens_ms| Room {
            name: name.to_owned(),
            opens_ms,
            rate: rate.unwrap_or(0.0),
            gate_holds: gate.as_deref() == Some("1"),
            campaign: campaign.filter(|c| !c.is_empty()),
        })
    }
}

/// The rooms that gate holds at one moment, to judge a hold by.
pub struct Gate {
    /// Its secret signs (so checks) admission tokens.
    settings: Arc<WaitingRoomSettings>,
    now_ms: i64,
    rooms: Vec<Room>,
}

impl Gate {
    /// No room gates holds now.
    pub fn is_open(&self) -> bool {
        self.rooms.is_empty()
    }

    /// Some gating room is for one campaign, so a hold's slot campaign matters.
    pub fn by_campaign(&self) -> bool {
        self.rooms.iter().any(|r| r.campaign.is_some())
    }

    /// The room a hold of a slot of `campaign` (its code, when asked) must come through,
    /// or `None` when it may go: no room gates that campaign, or `token` is an
    /// admission (signed, unexpired) to one that does.
    pub fn refuses(&self, token: Option<&str>, campaign: Option<&str>) -> Option<String> {
        let mut applies = self
            .rooms
            .iter()
            .filter(|r| r.campaign.is_none() || r.campaign.as_deref() == campaign);
        let first = applies.clone().next()?;
        let secret = self.settings.secret.as_bytes();
        let admitted = token
            .and_then(|t| token::verify(secret, t, self.now_ms).ok())
            .is_some_and(|a| applies.any(|r| r.name == a.room));
        (!admitted).then(|| first.name.clone())
    }
}

#[derive(Clone)]
pub struct WaitingRoom {
    hot: HotStore,
    clock: Clock,
    settings: Arc<WaitingRoomSettings>,
    scripts: Arc<Scripts>,
    /// Every room, re-read by the controller every tick (and after a change here).
    known: Arc<RwLock<Vec<Room>>>,
}

fn ms_to_time(ms: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

impl WaitingRoom {
    pub fn new(hot: HotStore, clock: Clock, settings: &WaitingRoomSettings) -> Self {
        Self {
            hot,
            clock,
            settings: Arc::new(settings.clone()),
            scripts: Arc::new(Scripts {
                join: Script::new(include_str!("../hot/scripts/wr_join.lua")),
                status: Script::new(include_str!("../hot/scripts/wr_status.lua")),
                tick: Script::new(include_str!("../hot/scripts/wr_tick.lua")),
            }),
            known: Arc::new(RwLock::new(Vec::new())),
        }
    }

    fn key(&self, room: &str, part: &str) -> String {
        format!("{}{{wr:{room}}}:{part}", self.hot.keys().prefix())
    }

    fn registry(&self) -> String {
        format!("{}wr-rooms", self.hot.keys().prefix())
    }

    fn check_name(room: &str) -> Result<()> {
        if token::plain(room) {
            Ok(())
        } else {
            Err(BookingError::Invalid(
                "a room name is 1-64 characters of a-z, 0-9 and '-'".into(),
            ))
        }
    }

    /// Creates or reconfigures a room. The queue of an existing room is kept.
    pub async fn create(&self, room: &Room) -> Result<()> {
        Self::check_name(&room.name)?;
        if !(room.rate.is_finite() && room.rate >= 0.0) {
            return Err(BookingError::Invalid(
                "the admission rate must be a number >= 0".into(),
            ));
        }
        let rate = room.rate.clamp(
            self.settings.min_rate,
            self.settings.max_rate.max(self.settings.min_rate),
        );
        // The room's hash and the registry are in different hash slots.
        SplitPipeline::new()
            .add_command(redis::Cmd::hset_multiple(
                self.key(&room.name, "meta"),
                &[
                    ("opens_ms", room.opens_ms.to_string()),
                    ("rate", rate.to_string()),
                    ("gate", if room.gate_holds { "1" } else { "0" }.to_owned()),
                    ("campaign", room.campaign.clone().unwrap_or_default()),
                ],
            ))
            .add_command(redis::Cmd::sadd(self.registry(), &room.name))
            .exec(&self.hot.conn())
            .await?;
        self.refresh_rooms().await?;
        Ok(())
    }

    pub async fn room(&self, name: &str) -> Result<Option<Room>> {
        Self::check_name(name)?;
        let meta: RoomMeta = self
            .meta_read(name)
            .query_async(&mut self.hot.conn())
            .await?;
        Ok(Room::from_meta(name, meta))
    }

    fn meta_read(&self, name: &str) -> redis::Cmd {
        let mut cmd = redis::cmd("HMGET");
        cmd.arg(self.key(name, "meta"))
            .arg(&["opens_ms", "rate", "gate", "campaign"]);
        cmd
    }

    /// Every room: the registry, then every room's hash in one pipeline.
    pub async fn rooms(&self) -> Result<Vec<Room>> {
        let names: Vec<String> = redis::cmd("SMEMBERS")
            .arg(self.registry())
            .query_async(&mut self.hot.conn())
            .await?;
        let mut pipe = SplitPipeline::new();
        for n in &names {
            pipe.add_command(self.meta_read(n));
        }
        let metas = pipe.query(&self.hot.conn()).await?;
        let mut out = Vec::new();
        for (name, meta) in names.iter().zip(metas) {
            let meta: RoomMeta = redis::from_redis_value(meta).map_err(redis::RedisError::from)?;
            out.extend(Room::from_meta(name, meta));
        }
        Ok(out)
    }

    /// A new visitor joins; returns where they stand.
    pub async fn join(&self, room: &str) -> Result<VisitorStatus> {
        Self::check_name(room)?;
        let visitor = uuid::Uuid::new_v4().simple().to_string();
        let joined: String = self
            .scripts
            .join
            .key(self.key(room, "meta"))
            .key(self.key(room, "q"))
            .key(self.key(room, "seen"))
            .key(self.key(room, "adm"))
            .key(self.key(room, "seq"))
            .arg(self.clock.now_ms())
            .arg(&visitor)
            .arg(rand::random::<f64>())
            .invoke_async(&mut self.hot.conn())
            .await?;
        if joined == "no_room" {
            return Err(BookingError::NotFound("waiting room"));
        }
        self.status(room, &visitor).await
    }

    /// Where `visitor` stands; the call itself keeps their place.
    pub async fn status(&self, room: &str, visitor: &str) -> Result<VisitorStatus> {
        Self::check_name(room)?;
        if !token::plain(visitor) {
            return Err(BookingError::NotFound("visitor"));
        }
        let now = self.clock.now_ms();
        let (state, ahead, ms, rate_milli): (String, i64, i64, i64) = self
            .scripts
            .status
            .key(self.key(room, "meta"))
            .key(self.key(room, "q"))
            .key(self.key(room, "seen"))
            .key(self.key(room, "adm"))
            .key(self.key(room, "gone"))
            .arg(now)
            .arg(visitor)
            .arg(i64::from(self.settings.lapse_seconds) * 1000)
            .invoke_async(&mut self.hot.conn())
            .await?;
        let state = match state.as_str() {
            "before_opening" => State::BeforeOpening,
            "waiting" => State::Waiting,
            "admitted" => State::Admitted,
            "lapsed" => State::Lapsed,
            "expired" => State::Expired,
            "unknown" => State::Unknown,
            _ => return Err(BookingError::NotFound("waiting room")),
        };
        let rate = rate_milli as f64 / 1000.0;
        let opens_ms = self.room(room).await?.map_or(0, |r| r.opens_ms);
        let ahead = u64::try_from(ahead).unwrap_or(0);
        let admission_token = (state == State::Admitted).then(|| {
            token::sign(
                self.settings.secret.as_bytes(),
                &token::Admission {
                    room: room.to_owned(),
                    visitor: visitor.to_owned(),
                    expires_ms: ms,
                },
            )
        });
        Ok(VisitorStatus {
            room: room.to_owned(),
            visitor: visitor.to_owned(),
            state,
            ahead,
            estimated_wait_seconds: (state == State::Waiting && rate > 0.0)
                .then(|| ((ahead + 1) as f64 / rate).ceil() as u64),
            refresh_seconds: self.settings.refresh_seconds,
            lapse_seconds: self.settings.lapse_seconds,
            admissions_per_second: rate,
            opens_at: ms_to_time(opens_ms),
            admission_token,
            admitted_until: (state == State::Admitted).then(|| ms_to_time(ms)),
        })
    }

    /// Admits the next visitors of `room` for the time since its last tick; returns them
    /// in the order admitted.
    pub async fn tick(&self, room: &str) -> Result<Vec<String>> {
        let admitted: Vec<String> = self
            .scripts
            .tick
            .key(self.key(room, "meta"))
            .key(self.key(room, "q"))
            .key(self.key(room, "seen"))
            .key(self.key(room, "adm"))
            .key(self.key(room, "gone"))
            .arg(self.clock.now_ms())
            .arg(i64::from(self.settings.lapse_seconds) * 1000)
            .arg(i64::from(self.settings.admission_seconds) * 1000)
            .arg(self.settings.max_per_tick.max(1))
            .invoke_async(&mut self.hot.conn())
            .await?;
        if !admitted.is_empty() {
            metrics::counter!("waiting_room_admitted_total").increment(admitted.len() as u64);
        }
        Ok(admitted)
    }

    pub async fn set_rate(&self, room: &str, rate: f64) -> Result<()> {
        redis::cmd("HSET")
            .arg(self.key(room, "meta"))
            .arg("rate")
            .arg(rate.to_string())
            .query_async::<()>(&mut self.hot.conn())
            .await?;
        Ok(())
    }

    /// Re-reads the rooms (which gate holds, and from when).
    pub async fn refresh_rooms(&self) -> Result<()> {
        let mut rooms = self.rooms().await?;
        rooms.sort_by(|a, b| (a.opens_ms, &a.name).cmp(&(b.opens_ms, &b.name)));
        if let Ok(mut known) = self.known.write() {
            *known = rooms;
        }
        Ok(())
    }

    /// The rooms as last read, by opening time.
    pub fn known_rooms(&self) -> Vec<Room> {
        self.known.read().map(|k| k.clone()).unwrap_or_default()
    }

    /// The rooms gating holds now: open, with the hold gate on.
    pub fn gate(&self) -> Gate {
        let now_ms = self.clock.now_ms();
        let rooms = self
            .known
            .read()
            .map(|k| {
                k.iter()
                    .filter(|r| r.gate_holds && r.opens_ms <= now_ms)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        Gate {
            settings: self.settings.clone(),
            now_ms,
            rooms,
        }
    }

    pub fn settings(&self) -> &WaitingRoomSettings {
        &self.settings
    }
}

/// The admission controller's next rate (visitors per second): multiplicative decrease
/// when the service shed load in the last period, additive-multiplicative increase while
/// it served without shedding and with less than half its in-flight room in use, else
/// unchanged. Clamped to `[min, max]`.
pub fn next_rate(current: f64, shed: u64, busy_fraction: f64, min: f64, max: f64) -> f64 {
    let next = if shed > 0 {
        current * 0.7
    } else if busy_fraction < 0.5 {
        (current * 1.1).max(current + 1.0)
    } else {
        current
    };
    next.clamp(min, max.max(min))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn room(name: &str, campaign: Option<&str>) -> Room {
        Room {
            name: name.into(),
            opens_ms: 0,
            rate: 10.0,
            gate_holds: true,
            campaign: campaign.map(str::to_owned),
        }
    }

    fn gate(rooms: Vec<Room>) -> Gate {
        Gate {
            settings: Arc::new(WaitingRoomSettings::default()),
            now_ms: 1_000,
            rooms,
        }
    }

    fn admission_to(room: &str, expires_ms: i64) -> String {
        token::sign(
            WaitingRoomSettings::default().secret.as_bytes(),
            &token::Admission {
                room: room.into(),
                visitor: "v1".into(),
                expires_ms,
            },
        )
    }

    #[test]
    fn a_room_for_one_campaign_gates_that_campaign_and_a_room_for_none_gates_all() {
        let g = gate(vec![room("dose-1", Some("covid-dose-1"))]);
        assert!(g.by_campaign());
        assert_eq!(
            g.refuses(None, Some("covid-dose-1")).as_deref(),
            Some("dose-1")
        );
        assert_eq!(g.refuses(None, Some("pcr-test")), None);
        assert_eq!(
            g.refuses(None, None),
            None,
            "no such slot: the hold answers 404"
        );
        let all = gate(vec![room("everyone", None)]);
        assert!(!all.by_campaign());
        assert_eq!(
            all.refuses(None, Some("pcr-test")).as_deref(),
            Some("everyone")
        );
        assert!(gate(Vec::new()).is_open());
    }

    #[test]
    fn only_an_unexpired_admission_to_a_room_that_applies_lets_a_hold_through() {
        let g = gate(vec![
            room("dose-1", Some("covid-dose-1")),
            room("tests", Some("pcr-test")),
        ]);
        let dose = Some("covid-dose-1");
        assert_eq!(g.refuses(Some(&admission_to("dose-1", 2_000)), dose), None);
        // Expired, for another campaign's room, or not signed by us: refused.
        let expired = admission_to("dose-1", 1_000);
        assert_eq!(g.refuses(Some(&expired), dose).as_deref(), Some("dose-1"));
        let other = admission_to("tests", 2_000);
        assert_eq!(g.refuses(Some(&other), dose).as_deref(), Some("dose-1"));
        let forged = admission_to("dose-1", 2_000).replace("dose-1", "dose-2");
        assert_eq!(g.refuses(Some(&forged), dose).as_deref(), Some("dose-1"));
        assert_eq!(g.refuses(Some("nonsense"), dose).as_deref(), Some("dose-1"));
    }

    #[track_caller]
    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-9, "{a} != {b}");
    }

    #[test]
    fn the_rate_backs_off_on_shedding_and_grows_with_headroom() {
        close(next_rate(100.0, 3, 0.9, 1.0, 1000.0), 70.0);
        close(next_rate(100.0, 0, 0.1, 1.0, 1000.0), 110.0);
        close(next_rate(5.0, 0, 0.1, 1.0, 1000.0), 6.0);
        close(next_rate(100.0, 0, 0.8, 1.0, 1000.0), 100.0);
        close(next_rate(1.0, 9, 1.0, 1.0, 1000.0), 1.0); // never below min
        close(next_rate(990.0, 0, 0.0, 1.0, 1000.0), 1000.0); // never above max
    }
}
