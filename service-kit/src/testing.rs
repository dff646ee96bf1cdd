//! Test support: a fresh PostgreSQL database per test and a unique Redis key prefix,
//! so tests run in parallel and after each other without seeing each other's data.

use std::time::{SystemTime, UNIX_EPOCH};

/// Server URL for tests; `TEST_DATABASE_URL` overrides (without a database name).
pub fn postgres_server_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres:postgres@127.0.0.1:5432".to_owned())
}

/// Redis for tests; `TEST_REDIS_URL` overrides (seed nodes, comma-separated, when
/// `TEST_REDIS_MODE=cluster`).
pub fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/0".to_owned())
}

/// `TEST_REDIS_MODE=cluster` runs the tests against a Redis Cluster (infra/cluster).
pub fn redis_mode() -> crate::settings::RedisMode {
    match std::env::var("TEST_REDIS_MODE").as_deref() {
        Ok("cluster") => crate::settings::RedisMode::Cluster,
        _ => crate::settings::RedisMode::Single,
    }
}

/// A database made for one test. Test databases older than a quarter of an hour are
/// dropped when a new one is made, so earlier runs do not pile up (and the read-replica
/// step of `infra/test`, which copies the whole server, stays quick). No test keeps its
/// database for that long.
pub struct TestDatabase {
    pub name: String,
    pub url: String,
}

impl TestDatabase {
    pub async fn create() -> anyhow::Result<Self> {
        let server = postgres_server_url();
        let (client, conn) =
            tokio_postgres::connect(&format!("{server}/postgres"), tokio_postgres::NoTls).await?;
        tokio::spawn(conn);
        let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
        let name = format!("t_{now}_{:016x}", rand::random::<u64>());
        drop_stale(&client, now).await;
        client
            .simple_query(&format!("CREATE DATABASE \"{name}\""))
            .await?;
        Ok(Self {
            url: format!("{server}/{name}"),
            name,
        })
    }
}

const STALE_AFTER_SECONDS: u64 = 15 * 60;

async fn drop_stale(client: &tokio_postgres::Client, now: u64) {
    let Ok(rows) = client
        .query(
            "SELECT datname FROM pg_database WHERE datname LIKE 't\\_%\\_%'",
            &[],
        )
        .await
    else {
        return;
    };
    for row in rows {
        let name: String = row.get(0);
        let created = name.split('_').nth(1).and_then(|s| s.parse::<u64>().ok());
        if matches!(created, Some(t) if t + STALE_AFTER_SECONDS < now) {
            let _ = client
                .simple_query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .await;
        }
    }
}

/// A streaming read replica of the test server (`infra/cluster/postgres`), for the tests
/// of what reads from it. `TEST_PG_REPLICA_URL` names it (without a database name, like
/// `TEST_DATABASE_URL`); unset, those tests are skipped (`infra/test` sets it).
///
/// Pausing replay pauses it for every database on the replica, so a test holds the
/// replica alone: [`TestReplica::acquire`] waits for the tests before it in this
/// process (and `infra/test` runs the replica tests as a step of their own).
pub struct TestReplica {
    server: String,
    _alone: tokio::sync::OwnedMutexGuard<()>,
}

fn replica_lock() -> std::sync::Arc<tokio::sync::Mutex<()>> {
    static LOCK: std::sync::OnceLock<std::sync::Arc<tokio::sync::Mutex<()>>> =
        std::sync::OnceLock::new();
    LOCK.get_or_init(Default::default).clone()
}

async fn connect(url: &str) -> anyhow::Result<tokio_postgres::Client> {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    tokio::spawn(conn);
    Ok(client)
}

impl TestReplica {
    /// The replica, once no other test of this process holds it; `None` when
    /// `TEST_PG_REPLICA_URL` is unset.
    pub async fn acquire() -> Option<Self> {
        let server = std::env::var("TEST_PG_REPLICA_URL").ok()?;
        let alone = replica_lock().lock_owned().await;
        Some(Self {
            server,
            _alone: alone,
        })
    }

    /// The URL of the database named `db` (a [`TestDatabase`]'s `name`) on the replica,
    /// for `database.replica_url`.
    pub fn url_of(&self, db: &str) -> String {
        format!("{}/{db}", self.server)
    }

    /// Waits until the replica has replayed everything the primary had written when
    /// this was called (so `db`, made on the primary, and its migrations are there).
    /// Replication is another process: this polls (every 20 ms, for up to 60 s).
    pub async fn caught_up(&self) -> anyhow::Result<()> {
        let primary = connect(&format!("{}/postgres", postgres_server_url())).await?;
        let target: String = primary
            .query_one("SELECT pg_current_wal_lsn()::text", &[])
            .await?
            .get(0);
        let replica = connect(&format!("{}/postgres", self.server)).await?;
        let started = std::time::Instant::now();
        loop {
            let row = replica
                .query_one(
                    "SELECT coalesce(pg_last_wal_replay_lsn() >= $1::text::pg_lsn, false),
                            pg_is_wal_replay_paused()",
                    &[&target],
                )
                .await?;
            if row.get::<_, bool>(0) {
                return Ok(());
            }
            anyhow::ensure!(
                !row.get::<_, bool>(1),
                "replay is paused on the replica: it cannot catch up"
            );
            anyhow::ensure!(
                started.elapsed() < std::time::Duration::from_secs(60),
                "the replica did not replay up to {target} within 60 s"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// Stops replay on the replica (`pg_wal_replay_pause()`) until the returned guard is
    /// resumed or dropped: what the primary commits meanwhile is not seen there.
    pub async fn pause_replay(&self) -> anyhow::Result<ReplayPaused> {
        let replica = connect(&format!("{}/postgres", self.server)).await?;
        replica.execute("SELECT pg_wal_replay_pause()", &[]).await?;
        let guard = ReplayPaused {
            server: Some(self.server.clone()),
        };
        let started = std::time::Instant::now();
        // "pause requested" turns into "paused" before the next record is replayed.
        while replica
            .query_one("SELECT pg_get_wal_replay_pause_state()", &[])
            .await?
            .get::<_, String>(0)
            != "paused"
        {
            anyhow::ensure!(
                started.elapsed() < std::time::Duration::from_secs(10),
                "replay did not pause"
            );
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        Ok(guard)
    }
}

/// Replay paused on the test replica; resumes when [`resume`](Self::resume)d, or when
/// dropped (a failed test must not leave the replica paused for the next).
pub struct ReplayPaused {
    server: Option<String>,
}

async fn resume_replay(server: &str) -> anyhow::Result<()> {
    connect(&format!("{server}/postgres"))
        .await?
        .execute("SELECT pg_wal_replay_resume()", &[])
        .await?;
    Ok(())
}

impl ReplayPaused {
    pub async fn resume(mut self) -> anyhow::Result<()> {
        match self.server.take() {
            Some(server) => resume_replay(&server).await,
            None => Ok(()),
        }
    }
}

impl Drop for ReplayPaused {
    fn drop(&mut self) {
        let Some(server) = self.server.take() else {
            return;
        };
        // Drop cannot await: resume on a thread of its own with its own runtime.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(resume_replay(&server))
        })
        .join();
    }
}

/// A Redis key prefix no other test uses.
pub fn unique_redis_prefix() -> String {
    format!("t{:016x}:", rand::random::<u64>())
}
