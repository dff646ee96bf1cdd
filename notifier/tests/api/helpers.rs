//! The test app: a fresh database, a Redis prefix, the simulator and a worker.

use chrono::{DateTime, Utc};
use deadpool_postgres::Pool;
use notifier::clock::Clock;
use notifier::settings::{FaultSettings, Settings};
use notifier::sim::{RunningSimulator, Simulator};
use notifier::worker::Worker;
use serde_json::{json, Value};
use service_kit::storage::RedisPool;
use service_kit::testing::{redis_url, unique_redis_prefix, TestDatabase};
use std::path::PathBuf;
use uuid::Uuid;

pub struct TestApp {
    pub pool: Pool,
    pub worker: Worker,
    pub sim: RunningSimulator,
    pub print_dir: PathBuf,
    pub settings: Settings,
    pub redis: RedisPool,
    pub campaign_id: i64,
    pub site_id: i64,
}

#[derive(Debug)]
pub struct OutboxRow {
    pub status: String,
    pub channel: Option<String>,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub opened_at: Option<DateTime<Utc>>,
    pub nemsms_sent_at: Option<DateTime<Utc>>,
}

impl TestApp {
    pub async fn spawn() -> Self {
        let db = TestDatabase::create().await.unwrap();
        let mut settings = Settings::default();
        settings.database.url = db.url.clone();
        settings.database.pool_size = 8;
        settings.redis.mode = service_kit::testing::redis_mode();
        settings.redis.url = redis_url();
        settings.redis.key_prefix = unique_redis_prefix();
        settings.redis.connections = 1;
        let sim = Simulator::start(FaultSettings::default()).unwrap();
        settings.gateway.url = sim.memo_url();
        settings.gateway.receipts_url = sim.receipts_url();
        settings.gateway.rate_per_second = 10_000;
        settings.worker.max_attempts = 3;
        settings.worker.backoff_base_ms = 1_000;
        settings.worker.backoff_max_ms = 60_000;
        settings.worker.batch_size = 10;
        let print_dir = std::env::temp_dir().join(format!("notifier-test-{}", Uuid::now_v7()));
        settings.print.dir = print_dir.to_string_lossy().into_owned();

        let pool = service_kit::storage::postgres_pool(&settings.database).unwrap();
        booking::store::migrate(&pool).await.unwrap();
        let redis = RedisPool::connect(&settings.redis).await.unwrap();
        let worker = Worker::new(
            pool.clone(),
            redis.clone(),
            settings.clone(),
            Clock::default(),
        )
        .unwrap();

        let client = pool.get().await.unwrap();
        let campaign_id: i64 = client
            .query_one(
                "INSERT INTO campaigns (code, name, kind, access)
                 VALUES ('covid-2026', 'Vaccination mod COVID-19', 'vaccination', 'invitation')
                 RETURNING id",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        let site_id: i64 = client
            .query_one(
                "INSERT INTO sites (name, address, postcode, municipality_code, lat, lon)
                 VALUES ('Øresundshallen', 'Ågade 1', '2300', 101, 55.66, 12.6) RETURNING id",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        Self {
            pool,
            worker,
            sim,
            print_dir,
            settings,
            redis,
            campaign_id,
            site_id,
        }
    }

    /// Another worker on the same database, Redis and gateway (as a second process).
    pub fn second_worker(&self) -> Worker {
        Worker::new(
            self.pool.clone(),
            self.redis.clone(),
            self.settings.clone(),
            self.worker.clock().clone(),
        )
        .unwrap()
    }

    pub async fn citizen(&self, cpr: &str, digital_post: &str, nemsms: bool, language: &str) {
        self.pool
            .get()
            .await
            .unwrap()
            .execute(
                "INSERT INTO citizens (cpr, given_name, family_name, address, postcode, city,
                     municipality_code, birth_date, digital_post, nemsms, language)
                 VALUES ($1, 'Søren', 'Ærøe', 'Blåbærvej 7', '5970', 'Ærøskøbing', 492,
                         '1980-01-01', $2, $3, $4)",
                &[&cpr, &digital_post, &nemsms, &language],
            )
            .await
            .unwrap();
    }

    pub async fn enqueue(&self, kind: &str, cpr: &str, payload: Value) -> Uuid {
        let id = Uuid::now_v7();
        self.pool
            .get()
            .await
            .unwrap()
            .execute(
                "INSERT INTO outbox (id, kind, cpr, payload) VALUES ($1, $2, $3, $4)",
                &[&id, &kind, &cpr, &payload],
            )
            .await
            .unwrap();
        id
    }

    pub fn confirmation(&self) -> Value {
        json!({
            "booking_id": Uuid::now_v7(),
            "slot_id": 1,
            "site_id": self.site_id,
            "campaign_id": self.campaign_id,
            "starts_at": "2026-12-01T08:00:00Z",
            "ends_at": "2026-12-01T08:10:00Z",
        })
    }

    pub fn invitation(&self) -> Value {
        json!({ "campaign_id": self.campaign_id, "wave_id": null })
    }

    pub async fn row(&self, id: Uuid) -> OutboxRow {
        let r = self
            .pool
            .get()
            .await
            .unwrap()
            .query_one(
                "SELECT status, channel, attempts, last_error, opened_at, nemsms_sent_at
                   FROM outbox WHERE id = $1",
                &[&id],
            )
            .await
            .unwrap();
        OutboxRow {
            status: r.get(0),
            channel: r.get(1),
            attempts: r.get(2),
            last_error: r.get(3),
            opened_at: r.get(4),
            nemsms_sent_at: r.get(5),
        }
    }

    pub async fn execute(&self, sql: &str) {
        self.pool
            .get()
            .await
            .unwrap()
            .batch_execute(sql)
            .await
            .unwrap();
    }

    /// Drains, moving the clock past every backoff, until nothing is left queued.
    pub async fn drain_all(&self) {
        for _ in 0..20 {
            self.worker.drain().await.unwrap();
            let queued: i64 = self
                .pool
                .get()
                .await
                .unwrap()
                .query_one("SELECT count(*) FROM outbox WHERE status = 'queued'", &[])
                .await
                .unwrap()
                .get(0);
            if queued == 0 {
                return;
            }
            self.worker.clock().advance(chrono::Duration::hours(2));
        }
        panic!("the queue never emptied");
    }

    /// Finished print batch directories.
    pub fn batches(&self) -> Vec<PathBuf> {
        match std::fs::read_dir(&self.print_dir) {
            Ok(entries) => entries
                .map(|e| e.unwrap().path())
                .filter(|p| {
                    p.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with("batch-"))
                })
                .collect(),
            Err(_) => Vec::new(),
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.print_dir);
    }
}
