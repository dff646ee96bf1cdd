//! Connections to PostgreSQL (the source of truth) and Redis (the hot path).
//!
//! PostgreSQL is one primary, optionally with a streaming read replica
//! (`database.replica_url`): [`Databases`] holds a pool for each, and the type of the
//! replica's pool, [`ReadPool`], marks the reads that may be a second or two behind.
//! Nothing that writes, or must read what was just written, may take a `ReadPool`.

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, PoolError, RecyclingMethod};
use std::cell::RefCell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use tokio::runtime::{Handle, RuntimeFlavor};

use crate::redis_cluster::{connect_cluster, ClusterConn, RedisConn};
use crate::settings::{DatabaseSettings, RedisMode, RedisSettings};

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("database url is invalid")]
    BadDatabaseUrl(#[source] tokio_postgres::Error),
    #[error("database replica url is invalid")]
    BadReplicaUrl(#[source] tokio_postgres::Error),
    #[error("cannot build the database pool")]
    Pool(#[source] deadpool_postgres::BuildError),
    #[error("redis is unreachable")]
    Redis(#[source] redis::RedisError),
}

/// The primary's pool (`database.url`). Connections are made when first used.
pub fn postgres_pool(settings: &DatabaseSettings) -> Result<Pool, StorageError> {
    let pg: tokio_postgres::Config = settings.url.parse().map_err(StorageError::BadDatabaseUrl)?;
    pool_of(pg, settings.pool_size)
}

fn pool_of(pg: tokio_postgres::Config, size: usize) -> Result<Pool, StorageError> {
    let manager = Manager::from_config(
        pg,
        tokio_postgres::NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(size.max(1))
        .build()
        .map_err(StorageError::Pool)
}

/// Connections for reads where a second or two of staleness is acceptable: reports
/// (uptake, how full the slots are, cohort counts) and documents that carry their own
/// version (the revocation list). The replica's pool when one is configured, otherwise
/// the primary's own pool. Never for a write, a lock, a claim, or a read that must see
/// a commit made moments ago (the replica may not have replayed it yet): those take
/// the primary's [`Pool`].
#[derive(Clone)]
pub struct ReadPool {
    pool: Pool,
    replica: bool,
}

impl ReadPool {
    /// Reads from the primary itself (no replica).
    pub fn primary(pool: Pool) -> Self {
        Self {
            pool,
            replica: false,
        }
    }

    pub async fn get(&self) -> Result<Object, PoolError> {
        self.pool.get().await
    }

    /// Whether this reads from a replica rather than the primary.
    pub fn is_replica(&self) -> bool {
        self.replica
    }

    /// The pool underneath (for readiness checks and tests).
    pub fn pool(&self) -> &Pool {
        &self.pool
    }
}

/// The primary and the pool for reads that may lag it, built from one
/// [`DatabaseSettings`]. With `replica_url` unset, `reads` is the primary's pool (the
/// same connections, not a second pool), so a service without a replica behaves as it
/// did before there was one.
#[derive(Clone)]
pub struct Databases {
    /// Writes, and every read that must see the latest commit.
    pub primary: Pool,
    pub reads: ReadPool,
}

impl Databases {
    /// Both pools; connections are made when first used, so a replica that is down
    /// fails only the reads that go to it.
    pub fn connect(settings: &DatabaseSettings) -> Result<Self, StorageError> {
        let primary = postgres_pool(settings)?;
        let reads = match settings.replica_url() {
            Some(url) => ReadPool {
                pool: pool_of(
                    url.parse().map_err(StorageError::BadReplicaUrl)?,
                    settings.pool_size,
                )?,
                replica: true,
            },
            None => ReadPool::primary(primary.clone()),
        };
        Ok(Self { primary, reads })
    }

    /// One pool for everything (commands and tests that have no replica).
    pub fn primary_only(primary: Pool) -> Self {
        Self {
            reads: ReadPool::primary(primary.clone()),
            primary,
        }
    }
}

/// Multiplexed Redis connections. Each reconnects by itself. On a cluster
/// (`redis.mode = "cluster"`) each one reaches every node; pipelines that span hash slots
/// go through [`SplitPipeline`](crate::redis_cluster::SplitPipeline).
///
/// A connection's reader and writer are tasks on the runtime that made it, so a request
/// from another thread costs two cross-thread wake-ups (the writer, then the caller). An
/// HTTP worker runs its own single-threaded runtime; on such a runtime `get` hands out a
/// connection made on that thread, and the `redis.connections` shared ones (made at
/// startup, used round-robin) serve everything else and the first requests of a thread
/// while its own connection is made.
#[derive(Clone)]
pub struct RedisPool {
    connections: Arc<Vec<RedisConn>>,
    next: Arc<AtomicUsize>,
    settings: Arc<RedisSettings>,
    /// Names this pool in the threads' connection lists; they drop what a dead pool made.
    alive: Arc<()>,
}

/// A connection one pool made on this thread's single-threaded runtime.
struct LocalConn {
    pool: Weak<()>,
    /// Dropped with the runtime the connection's tasks run on: a connection of a runtime
    /// that is gone (a test made a new one on the same thread) is never handed out.
    runtime: Weak<()>,
    /// `None` while it is being made.
    conn: Option<RedisConn>,
}

thread_local! {
    static LOCAL: RefCell<Vec<LocalConn>> = const { RefCell::new(Vec::new()) };
}

async fn connect_one(settings: &RedisSettings) -> Result<RedisConn, StorageError> {
    Ok(match settings.mode {
        RedisMode::Single => {
            let client = redis::Client::open(settings.url.as_str()).map_err(StorageError::Redis)?;
            RedisConn::Single(
                redis::aio::ConnectionManager::new(client)
                    .await
                    .map_err(StorageError::Redis)?,
            )
        }
        RedisMode::Cluster => RedisConn::Cluster(ClusterConn::new(
            connect_cluster(&settings.url)
                .await
                .map_err(StorageError::Redis)?,
        )),
    })
}

impl RedisPool {
    pub async fn connect(settings: &RedisSettings) -> Result<Self, StorageError> {
        let mut connections = Vec::new();
        for _ in 0..settings.connections.max(1) {
            connections.push(connect_one(settings).await?);
        }
        Ok(Self {
            connections: Arc::new(connections),
            next: Arc::new(AtomicUsize::new(0)),
            settings: Arc::new(settings.clone()),
            alive: Arc::new(()),
        })
    }

    pub fn get(&self) -> RedisConn {
        self.local().unwrap_or_else(|| self.shared())
    }

    fn shared(&self) -> RedisConn {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.connections.len();
        self.connections[i].clone()
    }

    /// This thread's own connection, if it runs a single-threaded runtime and the
    /// connection is made; the first call on a thread starts making it.
    fn local(&self) -> Option<RedisConn> {
        let handle = Handle::try_current().ok()?;
        if handle.runtime_flavor() != RuntimeFlavor::CurrentThread {
            return None;
        }
        LOCAL.with_borrow_mut(|locals| {
            locals.retain(|l| l.pool.strong_count() > 0 && l.runtime.strong_count() > 0);
            if let Some(l) = locals.iter().find(|l| self.made(l)) {
                return l.conn.clone();
            }
            let runtime = Arc::new(());
            locals.push(LocalConn {
                pool: Arc::downgrade(&self.alive),
                runtime: Arc::downgrade(&runtime),
                conn: None,
            });
            let pool = self.clone();
            // A single-threaded runtime runs its tasks on this thread.
            handle.spawn(async move {
                let made = connect_one(&pool.settings).await;
                let made = LOCAL.with_borrow_mut(|locals| {
                    let at = locals.iter().position(|l| pool.made(l))?;
                    match made {
                        Ok(conn) => {
                            locals[at].conn = Some(conn);
                            Some(())
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "redis: no connection of this thread's own yet; the shared ones serve it");
                            locals.swap_remove(at);
                            None
                        }
                    }
                });
                drop(pool);
                if made.is_some() {
                    // Lives as long as the runtime, and with it the marker.
                    let _runtime = runtime;
                    std::future::pending::<()>().await;
                }
            });
            None
        })
    }

    fn made(&self, l: &LocalConn) -> bool {
        std::ptr::eq(l.pool.as_ptr(), Arc::as_ptr(&self.alive))
    }

    /// Whether this thread's own connection is made.
    #[cfg(test)]
    fn has_own(&self) -> bool {
        LOCAL.with_borrow(|locals| {
            locals
                .iter()
                .any(|l| self.made(l) && l.conn.is_some() && l.runtime.strong_count() > 0)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;

    fn redis_settings() -> RedisSettings {
        RedisSettings {
            mode: testing::redis_mode(),
            url: testing::redis_url(),
            connections: 2,
            ..RedisSettings::default()
        }
    }

    fn current_thread() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    async fn ping(pool: &RedisPool) -> redis::RedisResult<String> {
        redis::cmd("PING").query_async(&mut pool.get()).await
    }

    async fn own_made(pool: &RedisPool) {
        for _ in 0..500 {
            if pool.has_own() {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("no connection of this thread's own after 5 s");
    }

    #[test]
    fn a_single_threaded_runtime_gets_a_connection_of_its_own() {
        current_thread().block_on(async {
            let pool = RedisPool::connect(&redis_settings()).await.unwrap();
            assert!(!pool.has_own());
            // The first requests go over the shared connections while it is made.
            assert_eq!(ping(&pool).await.unwrap(), "PONG");
            own_made(&pool).await;
            assert_eq!(ping(&pool).await.unwrap(), "PONG");
            let other = RedisPool::connect(&redis_settings()).await.unwrap();
            assert!(!other.has_own(), "each pool makes its own");
        });
    }

    #[test]
    fn a_connection_of_a_runtime_that_is_gone_is_not_handed_out() {
        // The shared connections live on a runtime that stays; this thread's own is
        // made on a runtime that goes, and a new one takes its place on the same thread
        // (as a test harness does).
        let stays = tokio::runtime::Runtime::new().unwrap();
        let pool = stays
            .block_on(RedisPool::connect(&redis_settings()))
            .unwrap();
        let first = current_thread();
        first.block_on(async {
            ping(&pool).await.unwrap();
            own_made(&pool).await;
        });
        drop(first);
        current_thread().block_on(async {
            assert!(!pool.has_own());
            for _ in 0..5 {
                assert_eq!(ping(&pool).await.unwrap(), "PONG");
            }
            own_made(&pool).await;
            assert_eq!(ping(&pool).await.unwrap(), "PONG");
        });
    }

    #[test]
    fn a_multi_threaded_runtime_uses_the_shared_connections() {
        tokio::runtime::Runtime::new().unwrap().block_on(async {
            let pool = RedisPool::connect(&redis_settings()).await.unwrap();
            for _ in 0..3 {
                assert_eq!(ping(&pool).await.unwrap(), "PONG");
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            assert!(LOCAL.with_borrow(Vec::is_empty));
        });
    }

    #[test]
    fn without_a_replica_the_read_pool_is_the_primary_pool() {
        let settings = DatabaseSettings::default();
        let dbs = Databases::connect(&settings).unwrap();
        assert!(!dbs.reads.is_replica());
        // The same pool (one manager, one set of connections), not a second pool to
        // the same server.
        assert!(std::ptr::eq(
            dbs.primary.manager(),
            dbs.reads.pool().manager()
        ));
        let empty = DatabaseSettings {
            replica_url: Some("  ".into()),
            ..DatabaseSettings::default()
        };
        let dbs = Databases::connect(&empty).unwrap();
        assert!(std::ptr::eq(
            dbs.primary.manager(),
            dbs.reads.pool().manager()
        ));
    }

    #[test]
    fn with_a_replica_the_read_pool_is_its_own() {
        let settings = DatabaseSettings {
            replica_url: Some("postgres://postgres:postgres@127.0.0.1:5433/booking".into()),
            ..DatabaseSettings::default()
        };
        let dbs = Databases::connect(&settings).unwrap();
        assert!(dbs.reads.is_replica());
        assert!(!std::ptr::eq(
            dbs.primary.manager(),
            dbs.reads.pool().manager()
        ));
        assert_eq!(dbs.reads.pool().status().max_size, settings.pool_size);
        let bad = DatabaseSettings {
            replica_url: Some("postgres://a:b@host:notaport/db".into()),
            ..DatabaseSettings::default()
        };
        assert!(matches!(
            Databases::connect(&bad),
            Err(StorageError::BadReplicaUrl(_))
        ));
    }
}
