//! A booking instance killed (`SIGKILL`) in the middle of bookings. Three instances run
//! as processes of their own (the `booking` binary) on one PostgreSQL and one Redis
//! (single or cluster, as `TEST_REDIS_MODE` says); a client that loses its instance goes
//! on to the next, as a load balancer would. A confirm whose answer was lost with the
//! instance is settled the way a citizen would: "my bookings" on another instance.
//! Checked afterwards in PostgreSQL: no booking lost, none twice, none nobody knows of.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{json, Value};
use service_kit::testing::{unique_redis_prefix, TestDatabase};

use crate::helpers::{
    active_booking_ids, assert_invariant_in, cpr, errors_after, pg_connect, tomorrow,
};
use crate::process::{self, token, BookingProcess};

async fn start(db: &TestDatabase, prefix: &str, key: &std::path::Path) -> BookingProcess {
    process::start(
        db,
        prefix,
        key,
        &[
            ("APP__DATABASE__POOL_SIZE", "4"),
            ("APP__REDIS__CONNECTIONS", "2"),
            ("APP__IDENTITY__ISSUER", "http://booking.test/dev"),
            ("APP__LIMITS__MAX_IN_FLIGHT", "0"),
            ("APP__LIMITS__PER_ADDRESS", "0"),
            ("APP__LIMITS__PER_CITIZEN", "0"),
        ],
    )
    .await
}

async fn post(
    http: &reqwest::Client,
    url: String,
    token: &str,
    body: Value,
) -> reqwest::Result<reqwest::Response> {
    http.post(url)
        .bearer_auth(token)
        .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
        .json(&body)
        .timeout(Duration::from_secs(10))
        .send()
        .await
}

/// A campaign, a site and `count` slots of `capacity`, made through instance `url`.
async fn slots(http: &reqwest::Client, url: &str, count: u32, capacity: u32) -> Vec<i64> {
    let authority = token(http, url, json!({"role": "authority", "subject": "a-1"})).await;
    let r = post(
        http,
        format!("{url}/v1/campaigns"),
        &authority,
        json!({"code": "pcr", "name": "PCR", "kind": "test", "access": "open"}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = post(
        http,
        format!("{url}/v1/sites"),
        &authority,
        json!({
            "name": "Testcenter Odense", "address": "Vestre Stationsvej 1", "postcode": "5000",
            "municipality_code": 461, "location": {"lat": 55.4, "lon": 10.4}, "campaigns": ["pcr"]
        }),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let site = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let day = tomorrow();
    let closes = chrono::NaiveTime::from_hms_opt(8, 0, 0).unwrap()
        + chrono::Duration::minutes(i64::from(15 * count));
    let r = post(
        http,
        format!("{url}/v1/sites/{site}/slots"),
        &authority,
        json!({
            "campaign": "pcr", "from": day, "to": day, "opens": "08:00",
            "closes": closes.format("%H:%M").to_string(), "interval_minutes": 15,
            "capacity": capacity
        }),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let view: Value = http
        .get(format!(
            "{url}/v1/sites/{site}/slots?date={day}&campaign=pcr"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    view["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_i64().unwrap())
        .collect()
}

/// The instances as a load balancer sees them: one that refused a connection is out.
struct Balancer {
    urls: Vec<String>,
    alive: Vec<AtomicBool>,
}

impl Balancer {
    fn pick(&self, start: usize) -> Option<(usize, &str)> {
        (0..self.urls.len())
            .map(|k| (start + k) % self.urls.len())
            .find(|&i| self.alive[i].load(Ordering::Relaxed))
            .map(|i| (i, self.urls[i].as_str()))
    }
}

#[derive(Default)]
struct Log {
    /// Requests that failed without a decision (transport errors, 5xx), and when.
    errors: Vec<Duration>,
    /// Booking ids answered 201 to a confirm.
    confirmed: HashSet<String>,
    /// Booking ids a citizen found in "my bookings" after losing a confirm's answer.
    found: HashSet<String>,
    /// Citizens left with neither a booking nor a refusal from every slot.
    unsettled: usize,
}

/// What became of a request: an answer, or none (the instance is gone or failing).
enum Sent {
    Answer(StatusCode, Value),
    NoAnswer,
}

async fn send(
    lb: &Balancer,
    at: usize,
    start: Instant,
    log: &Mutex<Log>,
    req: impl std::future::Future<Output = reqwest::Result<reqwest::Response>>,
) -> Sent {
    match req.await {
        Ok(r) if !r.status().is_server_error() => {
            let status = r.status();
            Sent::Answer(status, r.json().await.unwrap_or(Value::Null))
        }
        Ok(_) => {
            log.lock().unwrap().errors.push(start.elapsed());
            Sent::NoAnswer
        }
        Err(e) => {
            if e.is_connect() {
                lb.alive[at].store(false, Ordering::Relaxed);
            }
            log.lock().unwrap().errors.push(start.elapsed());
            Sent::NoAnswer
        }
    }
}

/// The citizen's active booking, asked of any live instance.
async fn my_booking(
    http: &reqwest::Client,
    lb: &Balancer,
    token: &str,
    start: Instant,
    log: &Mutex<Log>,
) -> Option<String> {
    for k in 0..20 {
        let (at, url) = lb.pick(k)?;
        let req = http
            .get(format!("{url}/v1/me/bookings"))
            .bearer_auth(token)
            .timeout(Duration::from_secs(10))
            .send();
        if let Sent::Answer(StatusCode::OK, v) = send(lb, at, start, log, req).await {
            return v.as_array().unwrap().iter().find_map(|b| {
                (b["status"] == "active").then(|| b["id"].as_str().unwrap().to_owned())
            });
        }
    }
    None
}

/// One citizen: hold a free slot and confirm, or be refused by every slot. A confirm
/// left without an answer is settled through "my bookings" before anything else.
async fn book_one(
    http: &reqwest::Client,
    lb: &Balancer,
    first: usize,
    token: &str,
    slots: &[i64],
    start: Instant,
    log: &Mutex<Log>,
) {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut k = 0usize;
    while Instant::now() < deadline {
        if k >= slots.len() {
            return; // refused by every slot: all places are taken
        }
        let Some((at, url)) = lb.pick(first + k) else {
            break;
        };
        let req = post(
            http,
            format!("{url}/v1/holds"),
            token,
            json!({"slot_id": slots[k]}),
        );
        let hold = match send(lb, at, start, log, req).await {
            Sent::Answer(StatusCode::CREATED, v) => v["hold_id"].as_str().unwrap().to_owned(),
            Sent::Answer(..) => {
                k += 1; // full: the next slot
                continue;
            }
            Sent::NoAnswer => continue,
        };
        let Some((at, url)) = lb.pick(first + k + 1) else {
            break;
        };
        let req = post(
            http,
            format!("{url}/v1/bookings"),
            token,
            json!({"hold_id": hold}),
        );
        match send(lb, at, start, log, req).await {
            Sent::Answer(StatusCode::CREATED, v) => {
                let id = v["id"].as_str().unwrap().to_owned();
                log.lock().unwrap().confirmed.insert(id);
                return;
            }
            Sent::Answer(..) => k += 1,
            Sent::NoAnswer => {
                if let Some(id) = my_booking(http, lb, token, start, log).await {
                    log.lock().unwrap().found.insert(id);
                    return;
                }
                // Not booked: the hold may still be live; the loop holds again.
            }
        }
    }
    log.lock().unwrap().unsettled += 1;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_booking_instance_killed_during_bookings_loses_and_duplicates_nothing() {
    let db = TestDatabase::create().await.expect("test database");
    let prefix = unique_redis_prefix();
    let key = std::env::temp_dir().join(format!("dev-idp-{}.pem", uuid::Uuid::new_v4()));
    let mut instances = Vec::new();
    for _ in 0..3 {
        instances.push(start(&db, &prefix, &key).await);
    }
    let http = reqwest::Client::new();
    let slots = Arc::new(slots(&http, &instances[0].base, 30, 4).await); // 120 places
    let mut tokens = Vec::new();
    for n in 0..150u32 {
        let url = &instances[n as usize % 3].base;
        tokens.push(token(&http, url, json!({"role": "citizen", "cpr": cpr(n)})).await);
    }
    let lb = Arc::new(Balancer {
        urls: instances.iter().map(|i| i.base.clone()).collect(),
        alive: (0..3).map(|_| AtomicBool::new(true)).collect(),
    });

    let start = Instant::now();
    let log = Arc::new(Mutex::new(Log::default()));
    let next = Arc::new(AtomicUsize::new(0));
    let tokens = Arc::new(tokens);
    // 24 clients work through the 150 citizens, spread over the instances.
    let workers: Vec<_> = (0..24)
        .map(|w| {
            let (http, lb, log, next, tokens, slots) = (
                http.clone(),
                lb.clone(),
                log.clone(),
                next.clone(),
                tokens.clone(),
                slots.clone(),
            );
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= tokens.len() {
                        return;
                    }
                    let mut order = slots.to_vec();
                    order.rotate_left(i % slots.len());
                    book_one(&http, &lb, i + w, &tokens[i], &order, start, &log).await;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            })
        })
        .collect();

    // The kill lands with a third of the citizens under way, whatever the machine's speed.
    while next.load(Ordering::Relaxed) < tokens.len() / 3 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let killed_at = start.elapsed();
    instances[1].child.kill().expect("SIGKILL");
    let _ = instances[1].child.wait();
    for w in workers {
        w.await.unwrap();
    }
    let elapsed = start.elapsed();
    let log = std::mem::take(&mut *log.lock().unwrap());
    let (errors_after_kill, recovered) = errors_after(&log.errors, killed_at);
    eprintln!(
        "instance killed at {:.2}s: {} errors after it, the last {:.2}s after the kill; \
         {} bookings answered 201, {} found after a lost answer, {} unsettled, in {:.1}s",
        killed_at.as_secs_f64(),
        errors_after_kill,
        recovered.as_secs_f64(),
        log.confirmed.len(),
        log.found.len(),
        log.unsettled,
        elapsed.as_secs_f64(),
    );

    let pg = pg_connect(&db.url).await;
    assert_invariant_in(&pg).await;
    let active = active_booking_ids(&pg).await;
    let told: HashSet<String> = log.confirmed.union(&log.found).cloned().collect();
    assert!(
        log.confirmed.is_subset(&active),
        "a confirmed booking is lost"
    );
    assert_eq!(active, told, "every booking is one its citizen knows of");
    assert_eq!(
        log.unsettled, 0,
        "a citizen was left without a booking or a refusal"
    );
    assert!(
        active.len() >= 100,
        "most places were booked: {}",
        active.len()
    );
    assert!(
        recovered < Duration::from_secs(10),
        "errors went on {recovered:?} after the kill"
    );
    let _ = std::fs::remove_file(key);
}
