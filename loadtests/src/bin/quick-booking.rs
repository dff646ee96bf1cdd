//! Quick measurement of the booking hot path against a running service with demo data:
//! many citizens concurrently list a site's day, hold a slot and confirm it.
//!
//! `quick-booking [BASE_URL] [SECONDS] [CONCURRENCY]` (defaults: http://127.0.0.1:8080, 20, 64)

use futures::future::join_all;
use rand::seq::SliceRandom;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Default)]
struct Counts {
    reads: AtomicU64,
    holds: AtomicU64,
    confirms: AtomicU64,
    refused: AtomicU64,
    errors: AtomicU64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let base = args
        .get(1)
        .cloned()
        .unwrap_or_else(|| "http://127.0.0.1:8080".into());
    let seconds: u64 = args.get(2).map_or(Ok(20), |s| s.parse())?;
    let concurrency: usize = args.get(3).map_or(Ok(64), |s| s.parse())?;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()?;

    let sites: Value = http
        .get(format!("{base}/v1/sites?campaign=pcr-test&limit=200"))
        .send()
        .await?
        .json()
        .await?;
    let site_ids: Vec<i64> = sites["sites"]
        .as_array()
        .ok_or_else(|| anyhow::anyhow!("no sites: load the demo data first"))?
        .iter()
        .filter_map(|s| s["id"].as_i64())
        .collect();
    anyhow::ensure!(!site_ids.is_empty(), "no sites with free places");
    let day = chrono::Local::now().date_naive()
        + chrono::Duration::days(1 + (rand::random::<u8>() % 10) as i64);

    // Fresh synthetic citizens on every run, so earlier runs' bookings do not refuse them.
    let salt: u64 = rand::random::<u64>() % 60_000_000;
    let counts = Arc::new(Counts::default());
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let workers = (0..concurrency).map(|w| {
        let http = http.clone();
        let base = base.clone();
        let sites = site_ids.clone();
        let counts = counts.clone();
        async move {
            let mut n: u64 = 0;
            while Instant::now() < deadline {
                n += 1;
                // A fresh synthetic citizen per booking (born 1950-1999, 7th digit 0-3).
                let id = salt + (w as u64) * 100_000 + n;
                let cpr = format!(
                    "{:02}{:02}{:02}{:04}",
                    1 + id % 28,
                    1 + (id / 28) % 12,
                    50 + (id / 336) % 50,
                    (id / 16_800) % 4000
                );
                if let Err(e) = one_booking(&http, &base, &sites, day, &cpr, &counts).await {
                    counts.errors.fetch_add(1, Ordering::Relaxed);
                    if counts.errors.load(Ordering::Relaxed) < 5 {
                        eprintln!("error: {e}");
                    }
                }
            }
        }
    });
    let started = Instant::now();
    join_all(workers).await;
    let secs = started.elapsed().as_secs_f64();
    let per = |a: &AtomicU64| a.load(Ordering::Relaxed) as f64 / secs;
    println!("{concurrency} concurrent citizens for {secs:.1} s against {base}");
    println!("availability reads/s: {:.0}", per(&counts.reads));
    println!("holds/s:              {:.0}", per(&counts.holds));
    println!("confirms/s:           {:.0}", per(&counts.confirms));
    println!(
        "refused (full etc.):  {}",
        counts.refused.load(Ordering::Relaxed)
    );
    println!(
        "errors:               {}",
        counts.errors.load(Ordering::Relaxed)
    );
    Ok(())
}

async fn one_booking(
    http: &reqwest::Client,
    base: &str,
    sites: &[i64],
    day: chrono::NaiveDate,
    cpr: &str,
    counts: &Counts,
) -> anyhow::Result<()> {
    let token: Value = http
        .post(format!("{base}/dev/token"))
        .json(&json!({"role": "citizen", "cpr": cpr}))
        .send()
        .await?
        .json()
        .await?;
    let token = token["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let site = *sites.choose(&mut rand::thread_rng()).unwrap_or(&sites[0]);
    let day_view: Value = http
        .get(format!(
            "{base}/v1/sites/{site}/slots?date={day}&campaign=pcr-test"
        ))
        .send()
        .await?
        .json()
        .await?;
    counts.reads.fetch_add(1, Ordering::Relaxed);
    let free: Vec<i64> = day_view["slots"]
        .as_array()
        .map(|s| {
            s.iter()
                .filter(|s| s["remaining"].as_i64().unwrap_or(0) > 0)
                .filter_map(|s| s["id"].as_i64())
                .collect()
        })
        .unwrap_or_default();
    let Some(slot) = free.choose(&mut rand::thread_rng()).copied() else {
        counts.refused.fetch_add(1, Ordering::Relaxed);
        return Ok(());
    };
    let r = http
        .post(format!("{base}/v1/holds"))
        .bearer_auth(&token)
        .json(&json!({"slot_id": slot}))
        .send()
        .await?;
    if r.status() != reqwest::StatusCode::CREATED {
        counts.refused.fetch_add(1, Ordering::Relaxed);
        return Ok(());
    }
    counts.holds.fetch_add(1, Ordering::Relaxed);
    let hold: Value = r.json().await?;
    let r = http
        .post(format!("{base}/v1/bookings"))
        .bearer_auth(&token)
        .json(&json!({"hold_id": hold["hold_id"]}))
        .send()
        .await?;
    if r.status() == reqwest::StatusCode::CREATED {
        counts.confirms.fetch_add(1, Ordering::Relaxed);
    } else {
        counts.refused.fetch_add(1, Ordering::Relaxed);
    }
    Ok(())
}
