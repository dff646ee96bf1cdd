//! The Redis hot path: live capacity per slot, short-lived holds, per-citizen hold
//! pointers, the per-site day index and idempotency records.
//!
//! Everything here can be rebuilt from PostgreSQL (see `reconcile`). Keys that one
//! script touches share a hash tag (`{slot:42}`), so every script runs unchanged on
//! Redis Cluster. Keys never contain a CPR number: citizens appear as pseudonyms.

mod extend;
pub mod keys;
pub mod limits;
pub mod reconcile;

use chrono::NaiveDate;
use futures::TryStreamExt;
use redis::Script;
use service_kit::redis_cluster::{RedisConn, SplitPipeline};
use service_kit::storage::RedisPool;
use std::collections::HashMap;
use std::sync::Arc;

use crate::domain::{CampaignId, HoldId, SiteId, SlotId};
use keys::Keys;

pub use extend::ExtendOutcome;

pub type HotResult<T> = Result<T, redis::RedisError>;

/// What the hold script decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldOutcome {
    Held {
        left: i64,
        campaign: CampaignId,
    },
    Full,
    Closed,
    Past,
    /// The slot's campaign is by invitation and the citizen is not invited.
    NotInvited,
    /// Redis does not know the slot (new, or Redis was flushed): load it and retry.
    Missing,
}

/// A slot's PostgreSQL row as Redis mirrors it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlotState {
    pub slot: SlotId,
    pub site: SiteId,
    pub campaign: CampaignId,
    pub version: i64,
    pub capacity: i32,
    pub booked: i32,
    pub closed: bool,
    /// Only citizens invited to the campaign may hold it.
    pub invitation_only: bool,
    pub start_ms: i64,
    pub end_ms: i64,
}

/// A slot as the availability pages see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlotView {
    pub slot: SlotId,
    pub campaign: CampaignId,
    pub capacity: i64,
    pub booked: i64,
    pub held: i64,
    pub closed: bool,
    pub start_ms: i64,
    pub end_ms: i64,
}

impl SlotView {
    pub fn remaining(&self) -> i64 {
        if self.closed {
            0
        } else {
            (self.capacity - self.booked - self.held).max(0)
        }
    }
}

/// The campaigns by invitation a hold asked about, and those of them the citizen is
/// invited to, as the hold script takes them (`,3,7,`; `,` for none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invited {
    asked: Vec<CampaignId>,
    list: String,
}

/// The owner and expiry of a live hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoldRecord {
    pub owner: String,
    pub expires_ms: i64,
}

struct Scripts {
    hold: Script,
    release: Script,
    apply: Script,
    del_if: Script,
    limit: Script,
}

#[derive(Clone)]
pub struct HotStore {
    pool: RedisPool,
    keys: Keys,
    scripts: Arc<Scripts>,
}

impl HotStore {
    pub fn new(pool: RedisPool, prefix: &str) -> Self {
        Self {
            pool,
            keys: Keys::new(prefix),
            scripts: Arc::new(Scripts {
                hold: Script::new(include_str!("scripts/hold.lua")),
                release: Script::new(include_str!("scripts/release.lua")),
                apply: Script::new(include_str!("scripts/apply.lua")),
                del_if: Script::new(include_str!("scripts/del_if.lua")),
                limit: Script::new(include_str!("scripts/ratelimit.lua")),
            }),
        }
    }

    pub fn keys(&self) -> &Keys {
        &self.keys
    }

    pub fn conn(&self) -> RedisConn {
        self.pool.get()
    }

    /// Loads every script so pipelines can call them by hash.
    pub async fn load_scripts(&self) -> HotResult<()> {
        let mut conn = self.conn();
        for s in [
            &self.scripts.hold,
            &self.scripts.release,
            &self.scripts.apply,
            &self.scripts.del_if,
            &self.scripts.limit,
        ] {
            s.prepare_invoke().load_async(&mut conn).await?;
        }
        Ok(())
    }

    /// Takes a place for `owner` if the slot has one and the owner may book its
    /// campaign. `invited` is what [`HotStore::invitations`] read before; a slot of an
    /// invitation campaign it did not ask about (made since the caller's catalog was
    /// read) costs one more look, so the gate never refuses someone invited.
    pub async fn hold(
        &self,
        hold: &HoldId,
        owner: &str,
        now_ms: i64,
        expires_ms: i64,
        invited: &Invited,
    ) -> HotResult<HoldOutcome> {
        let (mut status, mut left, mut campaign) = self
            .run_hold(hold, owner, now_ms, expires_ms, &invited.list)
            .await?;
        if status == "not_invited" && !invited.asked.contains(&CampaignId(campaign)) {
            let invited = self.invitations(owner, vec![CampaignId(campaign)]).await?;
            if invited.list != "," {
                (status, left, campaign) = self
                    .run_hold(hold, owner, now_ms, expires_ms, &invited.list)
                    .await?;
            }
        }
        Ok(match status.as_str() {
            "ok" => HoldOutcome::Held {
                left,
                campaign: CampaignId(campaign),
            },
            "full" => HoldOutcome::Full,
            "closed" => HoldOutcome::Closed,
            "past" => HoldOutcome::Past,
            "not_invited" => HoldOutcome::NotInvited,
            _ => HoldOutcome::Missing,
        })
    }

    /// Which of the campaigns by invitation `asked` the owner is invited to: one command,
    /// none when `asked` is empty. A read only, so it can go ahead of the request's claim.
    pub async fn invitations(&self, owner: &str, asked: Vec<CampaignId>) -> HotResult<Invited> {
        let mut list = String::from(",");
        if asked.is_empty() {
            return Ok(Invited { asked, list });
        }
        let fields: Vec<String> = asked.iter().map(|c| keys::gate_field(owner, c.0)).collect();
        let present: Vec<Option<String>> = redis::cmd("HMGET")
            .arg(self.keys.invitations(owner))
            .arg(&fields)
            .query_async(&mut self.conn())
            .await?;
        for (c, p) in asked.iter().zip(present) {
            if p.is_some() {
                list.push_str(&format!("{},", c.0));
            }
        }
        Ok(Invited { asked, list })
    }

    async fn run_hold(
        &self,
        hold: &HoldId,
        owner: &str,
        now_ms: i64,
        expires_ms: i64,
        invited: &str,
    ) -> HotResult<(String, i64, i64)> {
        let slot = hold.slot();
        self.scripts
            .hold
            .key(self.keys.slot(slot))
            .key(self.keys.holds(slot))
            .key(self.keys.owners(slot))
            .arg(now_ms)
            .arg(expires_ms)
            .arg(hold.token())
            .arg(owner)
            .arg(invited)
            .invoke_async(&mut self.conn())
            .await
    }

    /// Gives a hold back if `owner` owns it. Returns whether it did.
    pub async fn release(&self, hold: &HoldId, owner: &str) -> HotResult<bool> {
        let slot = hold.slot();
        let n: i64 = self
            .scripts
            .release
            .key(self.keys.holds(slot))
            .key(self.keys.owners(slot))
            .arg(hold.token())
            .arg(owner)
            .invoke_async(&mut self.conn())
            .await?;
        Ok(n == 1)
    }

    /// The live hold's owner and expiry, if Redis still has it.
    pub async fn hold_record(&self, hold: &HoldId) -> HotResult<Option<HoldRecord>> {
        let slot = hold.slot();
        let (owner, expires): (Option<String>, Option<f64>) = redis::pipe()
            .hget(self.keys.owners(slot), hold.token())
            .zscore(self.keys.holds(slot), hold.token())
            .query_async(&mut self.conn())
            .await?;
        Ok(match (owner, expires) {
            (Some(owner), Some(exp)) => Some(HoldRecord {
                owner,
                expires_ms: exp as i64,
            }),
            _ => None,
        })
    }

    /// Makes `hold` the citizen's one hold in `campaign`, returning the hold it replaces.
    pub async fn replace_citizen_hold(
        &self,
        owner: &str,
        campaign: CampaignId,
        hold: &HoldId,
        ttl_ms: i64,
    ) -> HotResult<Option<HoldId>> {
        let old: Option<String> = redis::cmd("SET")
            .arg(self.keys.citizen_hold(owner, campaign))
            .arg(hold.to_string())
            .arg("PX")
            .arg(ttl_ms.max(1))
            .arg("GET")
            .query_async(&mut self.conn())
            .await?;
        Ok(old.and_then(|s| s.parse().ok()).filter(|h| h != hold))
    }

    /// Forgets the citizen's hold pointer if it still names `hold`.
    pub async fn clear_citizen_hold(
        &self,
        owner: &str,
        campaign: CampaignId,
        hold: &HoldId,
    ) -> HotResult<()> {
        let _: i64 = self
            .scripts
            .del_if
            .key(self.keys.citizen_hold(owner, campaign))
            .arg(hold.to_string())
            .invoke_async(&mut self.conn())
            .await?;
        Ok(())
    }

    /// Mirrors a slot row, consuming `consumed` (the hold it was booked from) if given.
    pub async fn apply(&self, state: &SlotState, consumed: Option<&HoldId>) -> HotResult<()> {
        let mut pipe = SplitPipeline::new();
        self.push_apply(&mut pipe, state, consumed.map(HoldId::token));
        self.push_index(&mut pipe, state);
        self.run_pipeline(&pipe).await
    }

    fn push_apply(&self, pipe: &mut SplitPipeline, s: &SlotState, consumed: Option<&str>) {
        pipe.cmd("EVALSHA")
            .arg(self.scripts.apply.get_hash())
            .arg(3)
            .arg(self.keys.slot(s.slot))
            .arg(self.keys.holds(s.slot))
            .arg(self.keys.owners(s.slot))
            .arg(s.version)
            .arg(s.capacity)
            .arg(s.booked)
            .arg(if s.closed { 1 } else { 0 })
            .arg(if s.invitation_only { 1 } else { 0 })
            .arg(s.site.0)
            .arg(s.campaign.0)
            .arg(s.start_ms)
            .arg(s.end_ms)
            .arg(consumed.unwrap_or(""))
            .ignore();
    }

    fn push_index(&self, pipe: &mut SplitPipeline, s: &SlotState) {
        let date = crate::domain::slotgen::local_date(
            chrono::DateTime::from_timestamp_millis(s.start_ms).unwrap_or_default(),
        );
        let key = self.keys.site_day(s.site, date);
        pipe.add_command(redis::Cmd::zadd(&key, s.slot.0, s.start_ms))
            .ignore()
            .cmd("PEXPIREAT")
            .arg(&key)
            .arg(s.end_ms + 2 * 86_400_000)
            .ignore();
    }

    /// After a confirm batch's commit: mirrors each booked slot, consuming the hold it was
    /// booked from, and forgets the owner's hold pointer if it still names that hold, all
    /// in one pipeline (`(slot row, hold, owner pseudonym)` per booking).
    pub async fn apply_booked(&self, booked: &[(&SlotState, &HoldId, &str)]) -> HotResult<()> {
        for chunk in booked.chunks(500) {
            let mut pipe = SplitPipeline::new();
            for (state, hold, owner) in chunk {
                self.push_apply(&mut pipe, state, Some(hold.token()));
                self.push_index(&mut pipe, state);
                pipe.cmd("EVALSHA")
                    .arg(self.scripts.del_if.get_hash())
                    .arg(1)
                    .arg(self.keys.citizen_hold(owner, state.campaign))
                    .arg(hold.to_string())
                    .ignore();
            }
            self.run_pipeline(&pipe).await?;
        }
        Ok(())
    }

    /// Mirrors many slots in one round trip per batch (start-up, reconcile, bulk create).
    pub async fn apply_many(&self, states: &[SlotState]) -> HotResult<()> {
        for chunk in states.chunks(500) {
            let mut pipe = SplitPipeline::new();
            for s in chunk {
                self.push_apply(&mut pipe, s, None);
                self.push_index(&mut pipe, s);
            }
            self.run_pipeline(&pipe).await?;
        }
        Ok(())
    }

    /// Runs a pipeline that calls scripts by hash; reloads them once if Redis forgot them.
    async fn run_pipeline(&self, pipe: &SplitPipeline) -> HotResult<()> {
        let conn = self.conn();
        match pipe.exec(&conn).await {
            Err(e) if e.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::NoScript) => {
                self.load_scripts().await?;
                pipe.exec(&conn).await
            }
            other => other,
        }
    }

    /// Removes the given holds (e.g. holds already confirmed in PostgreSQL).
    pub async fn drop_holds(&self, holds: &[HoldId]) -> HotResult<()> {
        for chunk in holds.chunks(500) {
            let mut pipe = SplitPipeline::new();
            for h in chunk {
                pipe.add_command(redis::Cmd::zrem(self.keys.holds(h.slot()), h.token()))
                    .add_command(redis::Cmd::hdel(self.keys.owners(h.slot()), h.token()));
            }
            pipe.exec(&self.conn()).await?;
        }
        Ok(())
    }

    /// The slots of a site on a local date, in start order.
    pub async fn day_slots(&self, site: SiteId, date: NaiveDate) -> HotResult<Vec<SlotId>> {
        let ids: Vec<i64> = redis::cmd("ZRANGE")
            .arg(self.keys.site_day(site, date))
            .arg(0)
            .arg(-1)
            .query_async(&mut self.conn())
            .await?;
        Ok(ids.into_iter().map(SlotId).collect())
    }

    /// Live views of slots; `None` for a slot Redis does not know.
    pub async fn views(&self, slots: &[SlotId], now_ms: i64) -> HotResult<Vec<Option<SlotView>>> {
        if slots.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = SplitPipeline::new();
        for s in slots {
            pipe.cmd("HMGET")
                .arg(self.keys.slot(*s))
                .arg(&["cap", "booked", "closed", "campaign", "start_ms", "end_ms"])
                .cmd("ZCOUNT")
                .arg(self.keys.holds(*s))
                .arg(format!("({now_ms}"))
                .arg("+inf");
        }
        type Row = (
            Option<i64>,
            Option<i64>,
            Option<i64>,
            Option<i64>,
            Option<i64>,
            Option<i64>,
        );
        let raw = pipe.query(&self.conn()).await?;
        let mut out = Vec::with_capacity(slots.len());
        for (i, slot) in slots.iter().enumerate() {
            let row: Row = redis::from_redis_value(raw[2 * i].clone())?;
            let held: i64 = redis::from_redis_value(raw[2 * i + 1].clone())?;
            out.push(match row {
                (Some(cap), Some(booked), Some(closed), Some(campaign), Some(start), Some(end)) => {
                    Some(SlotView {
                        slot: *slot,
                        campaign: CampaignId(campaign),
                        capacity: cap,
                        booked,
                        held,
                        closed: closed == 1,
                        start_ms: start,
                        end_ms: end,
                    })
                }
                _ => None,
            });
        }
        Ok(out)
    }

    /// Adds invitations: each (pseudonym, campaign) may now hold slots of the campaign.
    pub async fn invite(&self, invited: &[(String, i64)]) -> HotResult<()> {
        self.update_gate(GateChange::Invite, invited).await
    }

    /// Withdraws invitations (a closed wave).
    pub async fn uninvite(&self, invited: &[(String, i64)]) -> HotResult<()> {
        self.update_gate(GateChange::Uninvite, invited).await
    }

    /// One multi-field `HSET` (or `HDEL`) per gate bucket, at most 1,000 fields each,
    /// 64 in flight.
    async fn update_gate(&self, change: GateChange, entries: &[(String, i64)]) -> HotResult<()> {
        let mut buckets: HashMap<&str, Vec<&(String, i64)>> = HashMap::new();
        for e in entries {
            buckets.entry(keys::gate_bucket(&e.0)).or_default().push(e);
        }
        let mut calls = Vec::new();
        for (bucket, members) in &buckets {
            for chunk in members.chunks(1000) {
                let mut cmd = redis::cmd(match change {
                    GateChange::Invite => "HSET",
                    GateChange::Uninvite => "HDEL",
                });
                cmd.arg(self.keys.invitation_bucket(bucket));
                for (owner, campaign) in chunk {
                    cmd.arg(keys::gate_field(owner, *campaign));
                    if change == GateChange::Invite {
                        cmd.arg(1);
                    }
                }
                calls.push(cmd);
            }
        }
        let mut pending = futures::stream::FuturesUnordered::new();
        for cmd in &calls {
            if pending.len() >= 64 {
                pending.try_next().await?;
            }
            pending.push(run_command(cmd, self.conn()));
        }
        while pending.try_next().await?.is_some() {}
        Ok(())
    }

    /// Whether the mirror was built since Redis last lost its data, anywhere: a cluster
    /// that lost one master together with its replica lost that master's share of the
    /// slots, site-day indexes and invitations, while the others kept theirs; markers
    /// spread over the hash slots (`RedisConn::marker_tags`) notice it.
    pub async fn mirror_present(&self) -> HotResult<bool> {
        let conn = self.conn();
        let mut pipe = SplitPipeline::new();
        for key in self.epoch_keys(&conn).await? {
            pipe.cmd("EXISTS").arg(key);
        }
        let found = pipe.query(&conn).await?;
        Ok(found.iter().all(|v| matches!(v, redis::Value::Int(1))))
    }

    pub async fn mark_mirror_built(&self) -> HotResult<()> {
        let conn = self.conn();
        let now = chrono::Utc::now().timestamp_millis();
        let mut pipe = SplitPipeline::new();
        for key in self.epoch_keys(&conn).await? {
            pipe.cmd("SET").arg(key).arg(now).ignore();
        }
        pipe.exec(&conn).await
    }

    /// The mirror markers, one per marker tag of the Redis behind `conn`.
    async fn epoch_keys(&self, conn: &RedisConn) -> HotResult<Vec<String>> {
        Ok(conn
            .marker_tags()
            .await?
            .iter()
            .map(|t| self.keys.epoch(t))
            .collect())
    }
}

/// What [`HotStore::update_gate`] does to each entry's field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GateChange {
    Invite,
    Uninvite,
}

async fn run_command(cmd: &redis::Cmd, mut conn: RedisConn) -> HotResult<i64> {
    cmd.query_async(&mut conn).await
}
