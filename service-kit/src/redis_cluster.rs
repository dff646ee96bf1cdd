//! One Redis connection type for a single server or a Redis Cluster (`redis.mode`), and
//! pipelines that a cluster runs split by hash slot.
//!
//! How redis-rs 1.x routes a pipeline on an async cluster connection
//! (`cluster_async::routing::route_for_pipeline`): to the owner of the first command's
//! key. A later command whose key hashes to another *slot*, even one on the same node,
//! fails the whole pipeline on the client with `CROSSSLOT`. When any reply in a pipeline
//! is MOVED, ASK or TRYAGAIN, the whole pipeline is resent to the new owner. So a
//! pipeline must carry one slot's commands only, or be sent to a node explicitly
//! (`route_pipeline`, which skips that check).
//!
//! [`SplitPipeline`] sends one pipeline per *node*, concurrently, each routed to the node
//! that the slot map (`CLUSTER SLOTS`, cached for a few seconds) says owns its slots: a
//! day view over 60 slots on three masters is three pipelines, not 60. When the map is
//! stale (a failover, a resharding) a reply is MOVED; then the map is refetched and the
//! commands are sent once more, one pipeline per slot, which the client routes and
//! redirects by itself. So the commands must be safe to run twice: every caller's are
//! (reads, version-guarded mirror writes, set adds and removes). On a single server it is
//! one ordinary pipeline.
//!
//! Never used for transactions (MULTI): a transaction must stay on one slot anyway.

use futures::{StreamExt, TryStreamExt};
use redis::aio::{ConnectionLike, ConnectionManager};
use redis::cluster::ClusterClientBuilder;
use redis::cluster_async::ClusterConnection;
use redis::cluster_routing::{Route, RoutingInfo, SingleNodeRoutingInfo, SlotAddr};
use redis::{Arg, Cmd, RedisFuture, RedisResult, ToRedisArgs, Value};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// A connection to a single Redis or to a whole cluster. Cheap to clone; reconnects by
/// itself (the cluster one also follows failovers and slot moves).
#[derive(Clone)]
pub enum RedisConn {
    Single(ConnectionManager),
    Cluster(ClusterConn),
}

/// A cluster connection and its cached slot map.
#[derive(Clone)]
pub struct ClusterConn {
    conn: ClusterConnection,
    owners: Arc<RwLock<Option<SlotOwners>>>,
}

/// Which master serves each hash slot, as an index into the masters seen.
struct SlotOwners {
    fetched: Instant,
    node_of: Vec<u16>,
}

/// How long a slot map is trusted before it is fetched again; a MOVED reply refetches
/// it at once.
const SLOT_MAP_SECONDS: u64 = 5;
const SLOTS: usize = 16384;

impl ClusterConn {
    pub fn new(conn: ClusterConnection) -> Self {
        Self {
            conn,
            owners: Arc::new(RwLock::new(None)),
        }
    }

    fn cached_owners(&self) -> Option<Arc<Vec<u16>>> {
        let guard = self.owners.read().ok()?;
        let o = guard.as_ref()?;
        (o.fetched.elapsed() < Duration::from_secs(SLOT_MAP_SECONDS))
            .then(|| Arc::new(o.node_of.clone()))
    }

    async fn owners(&self) -> RedisResult<Arc<Vec<u16>>> {
        if let Some(o) = self.cached_owners() {
            return Ok(o);
        }
        let reply: Value = redis::cmd("CLUSTER")
            .arg("SLOTS")
            .query_async(&mut self.conn.clone())
            .await?;
        let node_of = parse_cluster_slots(&reply);
        if let Ok(mut g) = self.owners.write() {
            *g = Some(SlotOwners {
                fetched: Instant::now(),
                node_of: node_of.clone(),
            });
        }
        Ok(Arc::new(node_of))
    }

    fn forget_owners(&self) {
        if let Ok(mut g) = self.owners.write() {
            *g = None;
        }
    }
}

/// `CLUSTER SLOTS` as slot -> master index (`u16::MAX`: no owner known).
fn parse_cluster_slots(reply: &Value) -> Vec<u16> {
    let mut node_of = vec![u16::MAX; SLOTS];
    let mut masters: Vec<Vec<u8>> = Vec::new();
    let Value::Array(ranges) = reply else {
        return node_of;
    };
    for range in ranges {
        let Value::Array(fields) = range else {
            continue;
        };
        let (Some(Value::Int(start)), Some(Value::Int(end)), Some(Value::Array(master))) =
            (fields.first(), fields.get(1), fields.get(2))
        else {
            continue;
        };
        // The master's id (third field) names it; fall back to host and port.
        let name = match (master.get(2), master.first(), master.get(1)) {
            (Some(Value::BulkString(id)), _, _) => id.clone(),
            (_, Some(Value::BulkString(host)), Some(Value::Int(port))) => {
                [host.as_slice(), port.to_string().as_bytes()].concat()
            }
            _ => continue,
        };
        let index = match masters.iter().position(|m| *m == name) {
            Some(i) => i,
            None => {
                masters.push(name);
                masters.len() - 1
            }
        };
        let (start, end) = (*start.max(&0) as usize, (*end as usize).min(SLOTS - 1));
        for slot in node_of.iter_mut().take(end + 1).skip(start) {
            *slot = u16::try_from(index).unwrap_or(u16::MAX);
        }
    }
    node_of
}

/// The hash slot of a key (the cluster spec: CRC16/XMODEM of the hash tag, or of the
/// whole key when it has none, modulo 16384).
fn key_slot(key: &[u8]) -> u16 {
    let tag = key
        .iter()
        .position(|b| *b == b'{')
        .and_then(|open| {
            let rest = &key[open + 1..];
            rest.iter()
                .position(|b| *b == b'}')
                .map(|close| &rest[..close])
        })
        .filter(|t| !t.is_empty())
        .unwrap_or(key);
    crc16::State::<crc16::XMODEM>::calculate(tag) % SLOTS as u16
}

impl ConnectionLike for RedisConn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Self::Single(c) => c.req_packed_command(cmd),
            Self::Cluster(c) => c.conn.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a redis::Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Self::Single(c) => c.req_packed_commands(pipeline, offset, count),
            Self::Cluster(c) => c.conn.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Self::Single(c) => c.get_db(),
            Self::Cluster(c) => c.conn.get_db(),
        }
    }
}

impl RedisConn {
    pub fn is_cluster(&self) -> bool {
        matches!(self, Self::Cluster(_))
    }

    /// One server answers: the single one, or one primary of the cluster. A plain PING
    /// on a cluster goes to every primary, and readiness built on it would take every
    /// instance out of service at once while one master fails over.
    pub async fn ping(&mut self) -> RedisResult<()> {
        match self {
            Self::Single(c) => redis::cmd("PING").query_async::<String>(c).await.map(drop),
            Self::Cluster(c) => c
                .conn
                .route_command(
                    redis::cmd("PING"),
                    RoutingInfo::SingleNode(SingleNodeRoutingInfo::RandomPrimary),
                )
                .await
                .map(drop),
        }
    }

    /// Hash tags for markers that must notice when part of the data is gone (a master
    /// lost together with its replica): a key with each tag (`...{tag}`), checked
    /// together. A single server has one tag. On a cluster: a fixed set of
    /// [`FIXED_MARKERS`] tags spread over the hash slots, so that slots which lost their
    /// keys and were handed to another master still miss their markers, and for each
    /// master that owns none of those, one it owns. Empty slot map: an error, not an
    /// empty set (which would read as "nothing lost").
    pub async fn marker_tags(&self) -> RedisResult<Vec<String>> {
        match self {
            Self::Single(_) => Ok(vec![node_tag(0)]),
            Self::Cluster(c) => {
                let tags = marker_tags(&c.owners().await?);
                if tags.is_empty() {
                    return Err((
                        redis::ErrorKind::ClusterConnectionNotFound,
                        "no master owns any slot",
                    )
                        .into());
                }
                Ok(tags)
            }
        }
    }
}

fn node_tag(n: usize) -> String {
    format!("node-{n}")
}

/// How many fixed marker tags a cluster gets: their slots leave no gap wider than a few
/// per cent of the 16,384.
pub const FIXED_MARKERS: usize = 128;

/// `node-0` .. `node-127`, plus for each master of the slot map that owns none of their
/// slots the first `node-N` tag it does own; none when no master owns a slot.
fn marker_tags(node_of: &[u16]) -> Vec<String> {
    let extra = tags_per_node(node_of);
    if extra.is_empty() {
        return extra;
    }
    let mut tags: Vec<String> = (0..FIXED_MARKERS).map(node_tag).collect();
    let covered: std::collections::BTreeSet<u16> = tags
        .iter()
        .filter_map(|t| node_of.get(usize::from(key_slot(t.as_bytes()))).copied())
        .collect();
    for tag in extra {
        let owner = node_of[usize::from(key_slot(tag.as_bytes()))];
        if !covered.contains(&owner) {
            tags.push(tag);
        }
    }
    tags
}

/// For each master in the slot map, the first `node-N` tag whose slot it owns.
fn tags_per_node(node_of: &[u16]) -> Vec<String> {
    let masters: std::collections::BTreeSet<u16> =
        node_of.iter().copied().filter(|m| *m != u16::MAX).collect();
    let mut found: std::collections::BTreeMap<u16, String> = Default::default();
    // A master owning a single slot is found within a few tens of thousands of tries.
    for n in 0..(1 << 20) {
        if found.len() == masters.len() {
            break;
        }
        let tag = node_tag(n);
        if let Some(&owner) = node_of.get(usize::from(key_slot(tag.as_bytes()))) {
            if owner != u16::MAX {
                found.entry(owner).or_insert(tag);
            }
        }
    }
    found.into_values().collect()
}

/// Connects to a cluster through any of the comma-separated seed URLs.
///
/// Retries are short and few: while a master is down and before its replica takes over
/// (`cluster-node-timeout` plus an election, about 2-3 s in infra/cluster), a request
/// retries for up to about 4 s and then fails, and the caller answers 503; the default
/// (16 retries, at least 1.28 s apart) would hold requests for minutes.
pub async fn connect_cluster(seeds: &str) -> RedisResult<ClusterConnection> {
    let nodes: Vec<&str> = seeds
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    ClusterClientBuilder::new(nodes)
        .retries(8)
        .min_retry_wait(50)
        .max_retry_wait(800)
        .connection_timeout(Duration::from_secs(1))
        .response_timeout(Duration::from_secs(2))
        .build()?
        .get_async_connection()
        .await
}

/// The hash slot a command's key maps to; `None` for a command without a key.
fn slot_of(cmd: &Cmd) -> Option<u16> {
    let args: Vec<&[u8]> = cmd
        .args_iter()
        .map(|a| match a {
            Arg::Simple(d) => d,
            // A cursor is never a key (and `Arg` is non-exhaustive).
            _ => &b""[..],
        })
        .collect();
    let name = args.first()?.to_ascii_uppercase();
    let key = match name.as_slice() {
        // EVAL/EVALSHA/FCALL script numkeys key...: the first key (they share a tag).
        b"EVAL" | b"EVALSHA" | b"EVAL_RO" | b"EVALSHA_RO" | b"FCALL" | b"FCALL_RO" => {
            let numkeys: usize = std::str::from_utf8(args.get(2)?).ok()?.parse().ok()?;
            if numkeys == 0 {
                return None;
            }
            args.get(3)?
        }
        _ => args.get(1)?,
    };
    Some(key_slot(key))
}

/// Commands sent together without a transaction. Build it like `redis::Pipeline`
/// (`cmd`, `arg`, `ignore`, `add_command`); `query` returns the replies of the commands
/// not ignored, in the order they were added.
#[derive(Default, Clone)]
pub struct SplitPipeline {
    // Built as one pipeline (what a single Redis runs as it is); nothing in it is marked
    // `ignore`, replies are filtered here, so a split keeps every reply's place.
    pipe: redis::Pipeline,
    ignored: Vec<bool>,
}

/// Slot pipelines in flight at once per call: enough to reach every node many times
/// over, few enough that a 500-slot batch does not flood the cluster task.
const CONCURRENT_SLOTS: usize = 64;

impl SplitPipeline {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.ignored.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ignored.is_empty()
    }

    pub fn add_command(&mut self, cmd: Cmd) -> &mut Self {
        self.pipe.add_command(cmd);
        self.ignored.push(false);
        self
    }

    pub fn cmd(&mut self, name: &str) -> &mut Self {
        self.add_command(redis::cmd(name))
    }

    /// Adds an argument to the last command.
    pub fn arg<T: ToRedisArgs>(&mut self, arg: T) -> &mut Self {
        debug_assert!(!self.is_empty(), "arg() before cmd()");
        if !self.is_empty() {
            self.pipe.arg(arg);
        }
        self
    }

    /// Leaves the last command's reply out of the result.
    pub fn ignore(&mut self) -> &mut Self {
        if let Some(i) = self.ignored.last_mut() {
            *i = true;
        }
        self
    }

    /// Runs the commands; fails if any of them failed (as `redis::Pipeline` does).
    pub async fn query(&self, conn: &RedisConn) -> RedisResult<Vec<Value>> {
        if self.is_empty() {
            return Ok(Vec::new());
        }
        let replies = match conn {
            RedisConn::Single(_) => {
                self.pipe
                    .query_async::<Vec<Value>>(&mut conn.clone())
                    .await?
            }
            RedisConn::Cluster(c) => match self.query_by_node(c).await {
                Ok(replies) => replies,
                Err(_) => {
                    // A stale slot map (or a node going away): the client's own
                    // routing and redirects, one slot at a time.
                    c.forget_owners();
                    self.query_by_slot(conn).await?
                }
            },
        };
        Ok(replies
            .into_iter()
            .zip(&self.ignored)
            .filter(|(_, ignored)| !**ignored)
            .map(|(v, _)| v)
            .collect())
    }

    /// Runs the commands and drops the replies.
    pub async fn exec(&self, conn: &RedisConn) -> RedisResult<()> {
        self.query(conn).await.map(drop)
    }

    /// One pipeline per master, each sent to its node; fails on any error reply (MOVED
    /// among them), and the caller falls back to [`Self::query_by_slot`].
    async fn query_by_node(&self, c: &ClusterConn) -> RedisResult<Vec<Value>> {
        let owners = c.owners().await?;
        let cmds: Vec<&Cmd> = self.pipe.cmd_iter().collect();
        // (a slot of the node, the node's command indices); keyless commands go with
        // the first node.
        let mut groups: Vec<(u16, Vec<usize>)> = Vec::new();
        let mut by_node: HashMap<u16, usize> = HashMap::new();
        let mut keyless = Vec::new();
        for (i, cmd) in cmds.iter().enumerate() {
            let Some(slot) = slot_of(cmd) else {
                keyless.push(i);
                continue;
            };
            let node = owners[usize::from(slot)];
            if node == u16::MAX {
                return Err((
                    redis::ErrorKind::ClusterConnectionNotFound,
                    "slot has no owner",
                )
                    .into());
            }
            let g = *by_node.entry(node).or_insert_with(|| {
                groups.push((slot, Vec::new()));
                groups.len() - 1
            });
            groups[g].1.push(i);
        }
        match groups.first_mut() {
            Some(first) => first.1.extend(keyless),
            None => groups.push((0, keyless)),
        }
        let parts: Vec<(Vec<usize>, Vec<Value>)> =
            futures::future::try_join_all(groups.into_iter().map(|(slot, indices)| {
                let mut conn = c.conn.clone();
                let mut pipe = redis::Pipeline::with_capacity(indices.len());
                for &i in &indices {
                    pipe.add_command(cmds[i].clone());
                }
                async move {
                    let n = indices.len();
                    let route =
                        SingleNodeRoutingInfo::SpecificNode(Route::new(slot, SlotAddr::Master));
                    let replies = conn.route_pipeline(pipe, 0, n, route).await?;
                    if let Some(Value::ServerError(e)) =
                        replies.iter().find(|v| matches!(v, Value::ServerError(_)))
                    {
                        return Err(redis::RedisError::from(e.clone()));
                    }
                    Ok::<_, redis::RedisError>((indices, replies))
                }
            }))
            .await?;
        Ok(place(cmds.len(), parts))
    }

    async fn query_by_slot(&self, conn: &RedisConn) -> RedisResult<Vec<Value>> {
        // Command indices per slot, in order of first appearance; keyless commands form
        // their own group, which the cluster sends to any node.
        let cmds: Vec<&Cmd> = self.pipe.cmd_iter().collect();
        let mut groups: Vec<Vec<usize>> = Vec::new();
        let mut by_slot: HashMap<Option<u16>, usize> = HashMap::new();
        for (i, c) in cmds.iter().enumerate() {
            let g = *by_slot.entry(slot_of(c)).or_insert_with(|| {
                groups.push(Vec::new());
                groups.len() - 1
            });
            groups[g].push(i);
        }
        let parts: Vec<(Vec<usize>, Vec<Value>)> = futures::stream::iter(groups)
            .map(|indices| {
                let mut conn = conn.clone();
                let mut pipe = redis::Pipeline::with_capacity(indices.len());
                for &i in &indices {
                    pipe.add_command(cmds[i].clone());
                }
                async move {
                    let replies = pipe.query_async::<Vec<Value>>(&mut conn).await?;
                    Ok::<_, redis::RedisError>((indices, replies))
                }
            })
            .buffered(CONCURRENT_SLOTS)
            .try_collect()
            .await?;
        Ok(place(cmds.len(), parts))
    }
}

/// Puts the replies of split pipelines back in the order the commands were added.
fn place(n: usize, parts: Vec<(Vec<usize>, Vec<Value>)>) -> Vec<Value> {
    let mut out = vec![Value::Nil; n];
    for (indices, replies) in parts {
        for (i, v) in indices.into_iter().zip(replies) {
            out[i] = v;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three masters: 0..=8000, 8001..=16382, and slot 16383 alone.
    fn three_masters_one_with_a_single_slot() -> Vec<u16> {
        let mut node_of = vec![0u16; SLOTS];
        node_of[8001..16383].fill(1);
        node_of[16383] = 2;
        node_of
    }

    #[test]
    fn a_tag_lands_on_every_master_even_one_with_a_single_slot() {
        let mut node_of = three_masters_one_with_a_single_slot();
        let tags = tags_per_node(&node_of);
        let owners: Vec<u16> = tags
            .iter()
            .map(|t| node_of[usize::from(key_slot(format!("x{{{t}}}").as_bytes()))])
            .collect();
        assert_eq!(owners, [0, 1, 2]);
        // Slots nobody owns (a master gone, not replaced) name no master.
        node_of[16383] = u16::MAX;
        assert_eq!(tags_per_node(&node_of).len(), 2);
        assert_eq!(tags_per_node(&vec![u16::MAX; SLOTS]), Vec::<String>::new());
    }

    #[test]
    fn markers_cover_every_master_and_leave_no_wide_gap_in_the_slots() {
        let node_of = three_masters_one_with_a_single_slot();
        let tags = marker_tags(&node_of);
        let mut slots: Vec<usize> = tags
            .iter()
            .map(|t| usize::from(key_slot(t.as_bytes())))
            .collect();
        let owners: std::collections::BTreeSet<u16> = slots.iter().map(|s| node_of[*s]).collect();
        assert_eq!(owners.len(), 3, "the one-slot master has a marker too");
        assert_eq!(tags.len(), FIXED_MARKERS + 1);
        // A master's share lost and handed to another keeps most of its markers' slots
        // among the lost: no run of slots without a marker is longer than 1/20 of them.
        slots.sort_unstable();
        let widest = slots
            .windows(2)
            .map(|w| w[1] - w[0])
            .chain([slots[0] + SLOTS - slots[slots.len() - 1]])
            .max()
            .unwrap();
        assert!(widest < SLOTS / 20, "widest gap {widest}");
        assert!(marker_tags(&vec![u16::MAX; SLOTS]).is_empty());
    }

    #[test]
    fn keys_of_one_tag_share_a_slot_and_scripts_route_by_their_first_key() {
        let a = slot_of(&redis::cmd("HMGET").arg("bk:{slot:42}").arg("cap").take());
        let b = slot_of(&redis::cmd("ZCOUNT").arg("bk:{slot:42}:holds").take());
        let script = slot_of(
            &redis::cmd("EVALSHA")
                .arg("abc")
                .arg(3)
                .arg("bk:{slot:42}")
                .arg("x")
                .take(),
        );
        assert!(a.is_some());
        assert_eq!(a, b);
        assert_eq!(a, script);
        assert_ne!(a, slot_of(&redis::cmd("GET").arg("bk:{slot:43}").take()));
        // The same slots as redis-rs's own routing (and the server's CLUSTER KEYSLOT).
        for key in ["bk:{slot:42}", "{cit:abc}:inv", "no-tag", "{}x", "a{b}c{d}"] {
            let ours = redis::cluster_routing::Slot::new(key_slot(key.as_bytes()));
            assert_eq!(
                ours,
                Some(redis::cluster_routing::Slot::for_key(key)),
                "{key}"
            );
        }
        assert_eq!(key_slot(b"{slot:42}"), key_slot(b"slot:42"));
        assert_eq!(
            slot_of(&redis::cmd("EVAL").arg("return 1").arg(0).take()),
            None
        );
    }

    #[test]
    fn ignore_marks_the_last_command() {
        let mut p = SplitPipeline::new();
        p.cmd("GET").arg("a").cmd("SET").arg("b").arg(1).ignore();
        assert_eq!(p.ignored, vec![false, true]);
        assert_eq!(p.len(), 2);
    }
}
