//! Connections to PostgreSQL (the source of truth) and Redis (the hot path).

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::redis_cluster::{connect_cluster, ClusterConn, RedisConn};
use crate::settings::{DatabaseSettings, RedisMode, RedisSettings};

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("database url is invalid")]
    BadDatabaseUrl(#[source] tokio_postgres::Error),
    #[error("cannot build the database pool")]
    Pool(#[source] deadpool_postgres::BuildError),
    #[error("redis is unreachable")]
    Redis(#[source] redis::RedisError),
}

pub fn postgres_pool(settings: &DatabaseSettings) -> Result<Pool, StorageError> {
    let pg: tokio_postgres::Config = settings.url.parse().map_err(StorageError::BadDatabaseUrl)?;
    let manager = Manager::from_config(
        pg,
        tokio_postgres::NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(settings.pool_size.max(1))
        .build()
        .map_err(StorageError::Pool)
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
