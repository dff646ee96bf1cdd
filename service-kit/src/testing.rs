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

/// A database made for one test. Databases of earlier runs older than an hour are
/// dropped when a new one is made, so crashed runs do not pile up.
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
        if matches!(created, Some(t) if t + 3600 < now) {
            let _ = client
                .simple_query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .await;
        }
    }
}

/// A Redis key prefix no other test uses.
pub fn unique_redis_prefix() -> String {
    format!("t{:016x}:", rand::random::<u64>())
}
