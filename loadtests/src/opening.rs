//! The waiting room of the `opening` scenario: made as the run starts (goose's
//! `test_start`, after it has set up its users), gating the plan's campaign from a few
//! seconds later, so the first crowd stands in it before the opening and is shuffled;
//! summed up and ungated after the run.

use anyhow::Context;
use serde_json::{json, Value};
use std::sync::atomic::Ordering;
use std::sync::OnceLock;
use std::time::Duration;

use crate::scenarios::ROOM;

/// A room for one run.
pub struct Opening {
    pub name: String,
    opens_in: Duration,
    /// Set when the room is made.
    opens_at: OnceLock<chrono::DateTime<chrono::Utc>>,
    campaign: String,
    rate: f64,
    authority: String,
    http: reqwest::Client,
    host: String,
}

impl Opening {
    /// Readies the room on `host` (its development identity provider signs the
    /// authority's token): once made, it opens `opens_in` later and admits `rate` a
    /// second to start with (the service then follows its own capacity).
    pub async fn prepare(
        host: &str,
        campaign: &str,
        opens_in: Duration,
        rate: f64,
    ) -> anyhow::Result<Opening> {
        let http = reqwest::Client::new();
        let token: Value = http
            .post(format!("{host}/dev/token"))
            .json(&json!({"role": "authority", "subject": "load-harness"}))
            .send()
            .await?
            .error_for_status()
            .context("an authority token from the development identity provider")?
            .json()
            .await?;
        let authority = token["access_token"]
            .as_str()
            .context("no access_token")?
            .to_owned();
        Ok(Opening {
            name: format!("load-{}", chrono::Utc::now().timestamp()),
            opens_in,
            opens_at: OnceLock::new(),
            campaign: campaign.to_owned(),
            rate,
            authority,
            http,
            host: host.to_owned(),
        })
    }

    /// Makes the room, opening `opens_in` from now.
    pub async fn make(&self) -> anyhow::Result<()> {
        let opens_at = chrono::Utc::now() + chrono::Duration::from_std(self.opens_in)?;
        let _ = self.opens_at.set(opens_at);
        self.put(true).await
    }

    async fn put(&self, gate_holds: bool) -> anyhow::Result<()> {
        let opens_at = self.opens_at.get().context("the room was not made")?;
        self.http
            .post(format!("{}/v1/waiting-rooms", self.host))
            .bearer_auth(&self.authority)
            .json(
                &json!({"name": self.name, "opens_at": opens_at, "gate_holds": gate_holds,
                "campaign": self.campaign, "admissions_per_second": self.rate}),
            )
            .send()
            .await?
            .error_for_status()
            .with_context(|| format!("waiting room {}", self.name))?;
        Ok(())
    }

    /// Stops the room gating holds, so later runs book without it.
    pub async fn ungate(&self) -> anyhow::Result<()> {
        self.put(false).await
    }
}

static ARMED: OnceLock<Opening> = OnceLock::new();

/// Keeps `opening` for the run's start ([`make_armed`]) and end.
pub fn arm(opening: Opening) -> anyhow::Result<()> {
    ARMED
        .set(opening)
        .map_err(|_| anyhow::anyhow!("a room is armed already"))
}

pub fn armed() -> Option<&'static Opening> {
    ARMED.get()
}

/// Makes the armed room (goose's `test_start`).
pub async fn make_armed() -> anyhow::Result<()> {
    match ARMED.get() {
        Some(o) => o.make().await,
        None => Ok(()),
    }
}

/// What the scenario saw: joined, admitted, walked away, lapsed, and the waits.
pub fn summary() -> String {
    let Some(c) = ROOM.get() else {
        return "waiting room: nobody joined".into();
    };
    let mut waits = c
        .waits_ms
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    waits.sort_unstable();
    let at = |q: f64| {
        waits
            .get(((waits.len() as f64 - 1.0) * q).round() as usize)
            .map_or("-".to_owned(), |ms| format!("{:.1} s", *ms as f64 / 1000.0))
    };
    format!(
        "waiting room: {} joined, {} admitted, {} walked away, {} lapsed; wait to admission p50 {} / p95 {} / max {}",
        c.joined.load(Ordering::Relaxed),
        c.admitted.load(Ordering::Relaxed),
        c.walked_away.load(Ordering::Relaxed),
        c.lapsed.load(Ordering::Relaxed),
        at(0.5),
        at(0.95),
        at(1.0),
    )
}
