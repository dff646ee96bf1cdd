//! Connections to PostgreSQL (the source of truth) and Redis (the hot path).
//!
//! PostgreSQL is one primary, optionally with a streaming read replica
//! (`database.replica_url`): [`Databases`] holds a pool for each, and the type of the
//! replica's pool, [`ReadPool`], marks the reads that may be a second or two behind.
//! Nothing that writes, or must read what was just written, may take a `ReadPool`.

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, PoolError, RecyclingMethod};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

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

/// A few multiplexed Redis connections used round-robin. Each reconnects by itself. On a
/// cluster (`redis.mode = "cluster"`) each one reaches every node; pipelines that span
/// hash slots go through [`SplitPipeline`](crate::redis_cluster::SplitPipeline).
#[derive(Clone)]
pub struct RedisPool {
    connections: Arc<Vec<RedisConn>>,
    next: Arc<AtomicUsize>,
}

impl RedisPool {
    pub async fn connect(settings: &RedisSettings) -> Result<Self, StorageError> {
        let mut connections = Vec::new();
        for _ in 0..settings.connections.max(1) {
            connections.push(match settings.mode {
                RedisMode::Single => {
                    let client =
                        redis::Client::open(settings.url.as_str()).map_err(StorageError::Redis)?;
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
            });
        }
        Ok(Self {
            connections: Arc::new(connections),
            next: Arc::new(AtomicUsize::new(0)),
        })
    }

    pub fn get(&self) -> RedisConn {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.connections.len();
        self.connections[i].clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
