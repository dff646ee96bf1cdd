//! The booking service's settings (see `service_kit::settings` for how they load).

use serde::{Deserialize, Serialize};
use service_kit::settings::{DatabaseSettings, HttpSettings, RedisSettings, TelemetrySettings};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub http: HttpSettings,
    pub database: DatabaseSettings,
    pub redis: RedisSettings,
    pub telemetry: TelemetrySettings,
    pub booking: BookingSettings,
    pub identity: IdentitySettings,
    pub faults: FaultSettings,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct BookingSettings {
    /// How long a hold keeps its place.
    pub hold_seconds: u32,
    /// How often the Redis mirror is rebuilt from PostgreSQL.
    pub reconcile_seconds: u32,
    /// How often the mirror is checked for loss (a Redis restart or flush).
    pub mirror_check_seconds: u32,
    /// How often the site list with availability is refreshed from PostgreSQL.
    pub catalog_refresh_seconds: u32,
    /// Secret for the pseudonyms that stand in for CPR numbers in Redis, logs and metrics.
    pub pseudonym_secret: String,
    /// How long an idempotent response is remembered.
    pub idempotency_seconds: u32,
    /// Opening a wave splits its cohort into this many parts, each inserted by its own
    /// transaction on its own connection at once (1-64; keep it below the pool size).
    pub wave_open_parts: u8,
}

impl Default for BookingSettings {
    fn default() -> Self {
        Self {
            hold_seconds: 300,
            reconcile_seconds: 60,
            mirror_check_seconds: 2,
            catalog_refresh_seconds: 5,
            pseudonym_secret: "dev-only-pseudonym-secret-change-me".into(),
            idempotency_seconds: 86_400,
            wave_open_parts: 4,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct IdentitySettings {
    pub issuer: String,
    pub audience: String,
    /// The identity provider's JWKS. Empty with the dev provider on: use its own keys.
    pub jwks_url: String,
    /// Serve the development identity provider (`POST /dev/token`). Never in production.
    pub dev_provider: bool,
    /// Where the dev provider keeps its key, so restarts and other services share it.
    pub dev_key_path: String,
    pub dev_token_seconds: u32,
}

impl Default for IdentitySettings {
    fn default() -> Self {
        Self {
            issuer: "http://127.0.0.1:8080/dev".into(),
            audience: "booking".into(),
            jwks_url: String::new(),
            dev_provider: false,
            dev_key_path: String::new(),
            dev_token_seconds: 3600,
        }
    }
}

/// Fault injection for the crash tests. Every switch is off by default.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct FaultSettings {
    /// Abort the process right after a booking commits in PostgreSQL and before Redis
    /// is told: the "killed between its PostgreSQL and Redis steps" test.
    pub abort_after_commit: bool,
}
