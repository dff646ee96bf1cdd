//! The booking service as a process of its own (the `booking` binary), for the tests
//! that kill it: configured through the environment, like a deployment.

use reqwest::StatusCode;
use serde_json::Value;
use service_kit::testing::{redis_mode, redis_url, TestDatabase};
use std::process::{Child, Command};
use std::time::Duration;

pub struct BookingProcess {
    pub child: Child,
    pub base: String,
}

impl Drop for BookingProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts an instance on a free port with the test's database, Redis prefix and shared
/// development key, plus `extra` settings (`APP__...` pairs), and waits until it is ready.
pub async fn start(
    db: &TestDatabase,
    prefix: &str,
    key_path: &std::path::Path,
    extra: &[(&str, &str)],
) -> BookingProcess {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // The child is waited for in `BookingProcess::drop` (or by the test that kills it).
    #[allow(clippy::zombie_processes)]
    let child = Command::new(env!("CARGO_BIN_EXE_booking"))
        .env("APP__HTTP__PORT", port.to_string())
        .env("APP__HTTP__WORKERS", "1")
        .env("APP__DATABASE__URL", &db.url)
        .env("APP__REDIS__URL", redis_url())
        .env("APP__REDIS__MODE", redis_mode().as_str())
        .env("APP__REDIS__KEY_PREFIX", prefix)
        .env("APP__IDENTITY__DEV_PROVIDER", "true")
        .env("APP__IDENTITY__DEV_KEY_PATH", key_path)
        .env("APP__TELEMETRY__FILTER", "error")
        .envs(extra.iter().copied())
        .spawn()
        .expect("the booking binary starts");
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    for _ in 0..300 {
        if let Ok(r) = http.get(format!("{base}/readyz")).send().await {
            if r.status() == StatusCode::OK {
                return BookingProcess { child, base };
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the booking instance on port {port} did not become ready");
}

/// A token from the instance's development identity provider.
pub async fn token(http: &reqwest::Client, base: &str, body: Value) -> String {
    let v: Value = http
        .post(format!("{base}/dev/token"))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["access_token"].as_str().unwrap().to_owned()
}
