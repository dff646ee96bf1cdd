//! One Redis connection type for a single server or a Redis Cluster (`redis.mode`), and
//! pipelines that a cluster runs split by hash slot.
//!
//! How redis-rs 1.x routes a pipeline on an async cluster connection
//! (`cluster_async::routing::route_for_pipeline`): to the owner of the first command's
//! key. A later command whose key hashes to another *slot*, even one on the same node,
//! fails the whole pipeline on the client with `CROSSSLOT`. When any reply in a pipeline
//! is MOVED, ASK or TRYAGAIN, the whole pipeline is resent to the new owner. So a
//! pipeline must carry one slot's commands only; then a resend after a failover or a
//! resharding repeats nothing that already happened elsewhere. [`SplitPipeline`] groups
//! commands by slot and runs the groups concurrently: the cluster connection multiplexes
//! them onto its one socket per node, so 40 slots on three masters cost about one round
//! trip per node, not 40. On a single server it is one ordinary pipeline.
//!
//! Never used for transactions (MULTI): a transaction must stay on one slot anyway.

use futures::{StreamExt, TryStreamExt};
use redis::aio::{ConnectionLike, ConnectionManager};
use redis::cluster::ClusterClientBuilder;
use redis::cluster_async::ClusterConnection;
use redis::cluster_routing::{RoutingInfo, SingleNodeRoutingInfo, Slot};
use redis::{Arg, Cmd, RedisFuture, RedisResult, ToRedisArgs, Value};
use std::collections::HashMap;
use std::time::Duration;

/// A connection to a single Redis or to a whole cluster. Cheap to clone; reconnects by
/// itself (the cluster one also follows failovers and slot moves).
#[derive(Clone)]
pub enum RedisConn {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

impl ConnectionLike for RedisConn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Self::Single(c) => c.req_packed_command(cmd),
            Self::Cluster(c) => c.req_packed_command(cmd),
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
            Self::Cluster(c) => c.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Self::Single(c) => c.get_db(),
            Self::Cluster(c) => c.get_db(),
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
                .route_command(
                    redis::cmd("PING"),
                    RoutingInfo::SingleNode(SingleNodeRoutingInfo::RandomPrimary),
                )
                .await
                .map(drop),
        }
    }
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
fn slot_of(cmd: &Cmd) -> Option<Slot> {
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
    Some(Slot::for_key(key))
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
            RedisConn::Cluster(_) => self.query_by_slot(conn).await?,
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

    async fn query_by_slot(&self, conn: &RedisConn) -> RedisResult<Vec<Value>> {
        // Command indices per slot, in order of first appearance; keyless commands form
        // their own group, which the cluster sends to any node.
        let cmds: Vec<&Cmd> = self.pipe.cmd_iter().collect();
        let mut groups: Vec<Vec<usize>> = Vec::new();
        let mut by_slot: HashMap<Option<Slot>, usize> = HashMap::new();
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
        let mut out = vec![Value::Nil; cmds.len()];
        for (indices, replies) in parts {
            for (i, v) in indices.into_iter().zip(replies) {
                out[i] = v;
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        // The server's own value for a tag (CLUSTER KEYSLOT "{slot:42}").
        assert_eq!(a, Some(Slot::for_key("slot:42")));
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
