//! Typed settings: one way to configure every service.
//!
//! Layers, later wins: built-in defaults of the service's settings struct, the TOML file
//! named by `APP_CONFIG` (if set), then environment variables `APP__SECTION__KEY`
//! (double underscore separates levels, e.g. `APP__DATABASE__URL`).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error)]
#[error("settings are invalid: {0}")]
pub struct SettingsError(#[from] config::ConfigError);

/// Loads `T` from its defaults, the optional file in `APP_CONFIG` and the environment.
pub fn load<T: DeserializeOwned + Serialize + Default>() -> Result<T, SettingsError> {
    let file = std::env::var("APP_CONFIG").ok();
    load_from(file.as_deref(), std::env::vars())
}

/// The same as [`load`] with an explicit file and environment, for tests.
pub fn load_from<T: DeserializeOwned + Serialize + Default>(
    file: Option<&str>,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<T, SettingsError> {
    let defaults = config::Config::try_from(&T::default())?;
    let mut builder = config::Config::builder().add_source(defaults);
    if let Some(path) = file {
        builder = builder.add_source(config::File::with_name(path).required(true));
    }
    let env: std::collections::HashMap<String, String> = env
        .into_iter()
        .filter(|(k, _)| k.starts_with("APP__"))
        .collect();
    builder = builder.add_source(
        config::Environment::with_prefix("APP")
            .prefix_separator("__")
            .separator("__")
            .try_parsing(true)
            .source(Some(env)),
    );
    Ok(builder.build()?.try_deserialize()?)
}

/// For a list setting: a list (TOML), or one string of comma-separated items (how the
/// environment gives a list). Use with `#[serde(deserialize_with = "...")]`.
pub fn list_or_commas<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Given {
        List(Vec<String>),
        Commas(String),
    }
    Ok(match Given::deserialize(d)? {
        Given::List(items) => items,
        Given::Commas(s) => s
            .split(',')
            .map(str::trim)
            .filter(|i| !i.is_empty())
            .map(str::to_owned)
            .collect(),
    })
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct HttpSettings {
    pub host: String,
    /// 0 picks a free port (tests).
    pub port: u16,
    /// Worker threads; 0 means one per core.
    pub workers: usize,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: 8080,
            workers: 0,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct DatabaseSettings {
    /// `postgres://user:password@host:port/dbname`
    pub url: String,
    pub pool_size: usize,
    /// Run migrations at start-up.
    pub migrate: bool,
    /// A streaming hot-standby replica of `url`'s database (same URL form), for the read
    /// paths where a second or two of staleness is acceptable (see
    /// [`crate::storage::Databases`]). Unset or empty: those reads go to the primary too.
    pub replica_url: Option<String>,
}

impl DatabaseSettings {
    /// The replica's URL, if one is configured (an empty value counts as none).
    pub fn replica_url(&self) -> Option<&str> {
        self.replica_url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
    }
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            url: "postgres://postgres:postgres@127.0.0.1:5432/booking".into(),
            pool_size: 16,
            migrate: true,
            replica_url: None,
        }
    }
}

/// A single Redis server, or a Redis Cluster.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RedisMode {
    #[default]
    Single,
    Cluster,
}

impl RedisMode {
    /// The setting's value as written in a file or `APP__REDIS__MODE`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Single => "single",
            Self::Cluster => "cluster",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct RedisSettings {
    /// `single`: `url` is the server. `cluster`: `url` lists seed nodes separated by
    /// commas (`redis://10.0.0.1:6379,redis://10.0.0.2:6379`); the rest is discovered.
    pub mode: RedisMode,
    pub url: String,
    /// Prefix of every key this service writes (tests use one per test).
    pub key_prefix: String,
    /// Multiplexed connections to spread load over (in cluster mode, each one keeps a
    /// connection to every node).
    pub connections: usize,
}

impl Default for RedisSettings {
    fn default() -> Self {
        Self {
            mode: RedisMode::Single,
            url: "redis://127.0.0.1:6379/0".into(),
            key_prefix: "bk:".into(),
            connections: 4,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct TelemetrySettings {
    /// `tracing` filter directive, e.g. `info,booking=debug`.
    pub filter: String,
    /// Log lines as JSON (production) or human-readable text.
    pub json: bool,
}

impl Default for TelemetrySettings {
    fn default() -> Self {
        Self {
            filter: "info".into(),
            json: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default, Serialize, Deserialize)]
    #[serde(default)]
    struct Sample {
        http: HttpSettings,
        database: DatabaseSettings,
    }

    #[test]
    fn environment_overrides_defaults() {
        let env = vec![
            ("APP__HTTP__PORT".to_string(), "9999".to_string()),
            ("APP__DATABASE__POOL_SIZE".to_string(), "3".to_string()),
            ("OTHER".to_string(), "x".to_string()),
        ];
        let s: Sample = load_from(None, env).unwrap();
        assert_eq!(s.http.port, 9999);
        assert_eq!(s.database.pool_size, 3);
        assert_eq!(s.http.host, "127.0.0.1");
    }

    #[test]
    fn redis_mode_comes_from_the_environment() {
        #[derive(Debug, Default, Serialize, Deserialize)]
        #[serde(default)]
        struct WithRedis {
            redis: RedisSettings,
        }
        let s: WithRedis = load_from(None, Vec::new()).unwrap();
        assert_eq!(s.redis.mode, RedisMode::Single);
        let env = vec![("APP__REDIS__MODE".to_string(), "cluster".to_string())];
        let s: WithRedis = load_from(None, env).unwrap();
        assert_eq!(s.redis.mode, RedisMode::Cluster);
        assert_eq!(s.redis.mode.as_str(), "cluster");
    }

    #[test]
    fn the_replica_url_is_unset_by_default_and_comes_from_the_environment() {
        let s: Sample = load_from(None, Vec::new()).unwrap();
        assert_eq!(s.database.replica_url, None);
        assert_eq!(s.database.replica_url(), None);
        let url = "postgres://postgres:postgres@10.0.0.2:5432/booking";
        let env = vec![("APP__DATABASE__REPLICA_URL".to_string(), url.to_string())];
        let s: Sample = load_from(None, env).unwrap();
        assert_eq!(s.database.replica_url(), Some(url));
        // A chart that renders the variable empty means "no replica".
        let env = vec![("APP__DATABASE__REPLICA_URL".to_string(), String::new())];
        let s: Sample = load_from(None, env).unwrap();
        assert_eq!(s.database.replica_url(), None);
    }

    #[test]
    fn bad_value_is_an_error() {
        let env = vec![("APP__HTTP__PORT".to_string(), "not-a-port".to_string())];
        assert!(load_from::<Sample>(None, env).is_err());
    }
}
