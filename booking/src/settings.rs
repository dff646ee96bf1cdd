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
    pub limits: LimitSettings,
    pub waiting_room: WaitingRoomSettings,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct BookingSettings {
    /// How long a hold keeps its place.
    pub hold_seconds: u32,
    /// How often the Redis mirror is rebuilt from PostgreSQL.
    pub reconcile_seconds: u32,
    /// Each of those rebuilds writes the slots whose version changed since the last one
    /// and a share of the others, so that every slot ahead is rewritten once over this
    /// many runs (repairing what no version shows, such as keys lost in a failover).
    pub reconcile_sweep_runs: u32,
    /// How often the mirror is checked for loss (a Redis restart or flush).
    pub mirror_check_seconds: u32,
    /// How often the site list with availability is refreshed from PostgreSQL: at least
    /// this long apart, and twenty times as long as the last refresh took if that is
    /// longer (the refresh sums over every slot ahead).
    pub catalog_refresh_seconds: u32,
    /// Secret for the pseudonyms that stand in for CPR numbers in Redis, logs and metrics.
    pub pseudonym_secret: String,
    /// How long an idempotent response is remembered.
    pub idempotency_seconds: u32,
    /// Opening a wave splits its cohort into this many parts, each inserted by its own
    /// transaction on its own connection at once. A part is a share of the population
    /// register's partitions (8), so 1-8; keep it below the pool size.
    pub wave_open_parts: u8,
    /// How long an instance answers availability of a site-day from memory (0: never).
    /// Other instances' holds show up this much later; the hold itself is always exact.
    pub availability_cache_ms: u32,
    /// Confirmations that arrive together share one transaction: at most this many.
    pub confirm_batch: u16,
    /// How many confirm transactions run at once (keep it below the pool size). Fewer
    /// means larger batches and fewer commits: on the benchmark's two cores 2 gave about
    /// 15% more bookings a second than 4, with less PostgreSQL time per booking; 1
    /// more still, but a slow commit then holds up every confirmation.
    pub confirm_transactions: u8,
}

impl Default for BookingSettings {
    fn default() -> Self {
        Self {
            hold_seconds: 300,
            reconcile_seconds: 60,
            reconcile_sweep_runs: 60,
            mirror_check_seconds: 2,
            catalog_refresh_seconds: 5,
            pseudonym_secret: "dev-only-pseudonym-secret-change-me".into(),
            idempotency_seconds: 86_400,
            wave_open_parts: 4,
            availability_cache_ms: 1000,
            confirm_batch: 64,
            confirm_transactions: 2,
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

/// Overload shedding and rate limits (see `crate::middleware`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct LimitSettings {
    /// Requests under `/v1` one instance works on at once; past it the service answers
    /// 503 with Retry-After at once instead of queueing. 0 turns the limit off.
    pub max_in_flight: usize,
    /// Of those, the places only requests that finish a citizen's work may take
    /// (confirming or moving with a hold, extending or releasing one, refreshing a place
    /// in a waiting room; at most half of `max_in_flight`): past capacity new holds and
    /// reads are shed first, so a hold already taken is confirmed rather than wasted.
    pub reserved_for_finishing: usize,
    /// The Retry-After sent with a 503 when shedding, in seconds.
    pub retry_after_seconds: u32,
    /// Requests under `/v1` per client address per window (0: no limit).
    pub per_address: u32,
    /// State-changing requests (holds, releases, extensions, bookings, cancels, moves,
    /// powers of attorney) per citizen per window, retries included (0: no limit). Keyed
    /// by the citizen's pseudonym, never the CPR number.
    pub per_citizen: u32,
    /// The rate-limit window, in seconds.
    pub window_seconds: u32,
    /// Client addresses exempt from the per-address limit (exact IPs; in the environment
    /// one comma-separated string), e.g. the load generator of a benchmark. Per-citizen
    /// limits still apply to them.
    #[serde(deserialize_with = "service_kit::settings::list_or_commas")]
    pub address_allow: Vec<String>,
    /// Peers whose `X-Forwarded-For` names the client: the citizen web front end, a load
    /// balancer, an ingress (IPs or networks, `10.0.0.0/8`; in the environment one
    /// comma-separated string). Their requests count against the address in the
    /// header's last hop; everyone else's against their own address, header or not (or
    /// anyone could pick an address of their own).
    #[serde(deserialize_with = "service_kit::settings::list_or_commas")]
    pub trusted_proxies: Vec<String>,
}

impl Default for LimitSettings {
    fn default() -> Self {
        Self {
            max_in_flight: 512,
            reserved_for_finishing: 128,
            retry_after_seconds: 2,
            per_address: 1200,
            per_citizen: 120,
            window_seconds: 60,
            address_allow: Vec::new(),
            trusted_proxies: Vec::new(),
        }
    }
}

impl LimitSettings {
    /// No shedding and no rate limits (tests that are about something else).
    pub fn off() -> Self {
        Self {
            max_in_flight: 0,
            per_address: 0,
            per_citizen: 0,
            ..Self::default()
        }
    }
}

/// The virtual waiting room (see `crate::waitroom`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct WaitingRoomSettings {
    /// Signs admission tokens. Every instance needs the same one.
    pub secret: String,
    /// How long an admission token is good for.
    pub admission_seconds: u32,
    /// A place lapses after this long without a refresh.
    pub lapse_seconds: u32,
    /// How often the page refreshes itself (well inside `lapse_seconds`).
    pub refresh_seconds: u32,
    /// How often rooms admit their next visitors, in milliseconds.
    pub tick_ms: u64,
    /// At most this many admissions per room and tick.
    pub max_per_tick: u32,
    /// Move each room's admission rate with the service's measured capacity.
    pub follow_capacity: bool,
    /// Bounds of the admission rate, visitors per second.
    pub min_rate: f64,
    pub max_rate: f64,
}

impl Default for WaitingRoomSettings {
    fn default() -> Self {
        Self {
            secret: "dev-only-waiting-room-secret-change-me".into(),
            admission_seconds: 600,
            lapse_seconds: 180,
            refresh_seconds: 15,
            tick_ms: 500,
            max_per_tick: 5000,
            follow_capacity: true,
            min_rate: 1.0,
            max_rate: 5000.0,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_lists_come_from_the_environment_as_one_comma_separated_string() {
        let s: Settings = service_kit::settings::load_from(
            None,
            [
                (
                    "APP__LIMITS__TRUSTED_PROXIES".to_owned(),
                    "10.0.0.0/8, 127.0.0.1".to_owned(),
                ),
                (
                    "APP__LIMITS__ADDRESS_ALLOW".to_owned(),
                    "192.0.2.7".to_owned(),
                ),
            ],
        )
        .unwrap();
        assert_eq!(s.limits.trusted_proxies, ["10.0.0.0/8", "127.0.0.1"]);
        assert_eq!(s.limits.address_allow, ["192.0.2.7"]);
        // A file gives them as lists.
        let file = std::env::temp_dir().join(format!("limits-{}.toml", std::process::id()));
        std::fs::write(
            &file,
            "[limits]\naddress_allow = [\"127.0.0.1\"]\ntrusted_proxies = [\"::1\"]\n",
        )
        .unwrap();
        let s: Settings = service_kit::settings::load_from(file.to_str(), []).unwrap();
        std::fs::remove_file(&file).unwrap();
        assert_eq!(s.limits.address_allow, ["127.0.0.1"]);
        assert_eq!(s.limits.trusted_proxies, ["::1"]);
        let s: Settings = service_kit::settings::load_from(None, []).unwrap();
        assert!(s.limits.trusted_proxies.is_empty());
    }
}
