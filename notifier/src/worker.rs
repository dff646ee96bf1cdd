//! The delivery worker. Each round claims due outbox rows (`FOR UPDATE SKIP LOCKED`, so
//! several workers share the queue), renders each letter, sends it through the channel
//! the citizen is reached by (Digital Post, paper print batch, plus NemSMS for those who
//! opted in), then marks it delivered, schedules a retry with exponential backoff and
//! jitter, or dead-letters it with the reason. `drain` runs rounds until nothing is due
//! (tests); `run_until_stopped` loops until the shutdown signal, also sweeping reminders,
//! polling "opened" receipts and refreshing the queue-depth gauge.
//!
//! Logs carry the letter id and kind, never the CPR number.

use deadpool_postgres::Pool;
use futures::StreamExt;
use rand::Rng;
use service_kit::storage::RedisPool;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

use crate::clock::Clock;
use crate::domain::{Citizen, Cpr, Notice, PostChannel};
use crate::error::{error_chain, DeliveryError, GatewayError, WorkerError};
use crate::gateway::Gateway;
use crate::print::{PaperLetter, PrintBatches};
use crate::ratelimit::RateLimiter;
use crate::render::manifest::PrintItem;
use crate::render::memo::Envelope;
use crate::render::{self, compose, LetterContext};
use crate::settings::Settings;
use crate::store::{self, ClaimedRow};

/// What a `drain` did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DrainReport {
    pub delivered: u64,
    pub retried: u64,
    pub dead: u64,
}

impl DrainReport {
    fn add(&mut self, other: DrainReport) {
        self.delivered += other.delivered;
        self.retried += other.retried;
        self.dead += other.dead;
    }
}

#[derive(Clone)]
pub struct Worker {
    pool: Pool,
    gateway: Gateway,
    limiter: RateLimiter,
    print: PrintBatches,
    clock: Clock,
    settings: Arc<Settings>,
    receipts_after: Arc<AtomicU64>,
}

/// A letter that is ready: sent already, or waiting for the print batch.
enum Prepared {
    Sent {
        nemsms: bool,
    },
    Paper {
        letter: Box<PaperLetter>,
        nemsms: bool,
    },
    AlreadyPrinted {
        nemsms: bool,
    },
}

const DIGITAL_POST: &str = "digital_post";
const PAPER: &str = "paper";
const NEMSMS: &str = "nemsms";

fn count(channel: &'static str, outcome: &'static str, kind: &str) {
    metrics::counter!(
        "notifier_letters_total",
        "channel" => channel,
        "outcome" => outcome,
        "kind" => kind.to_owned()
    )
    .increment(1);
}

/// Known kinds as a metric label; anything else is "unknown" (labels stay bounded).
fn kind_label(kind: &str) -> &'static str {
    match kind {
        "invitation" => "invitation",
        "reminder" => "reminder",
        "booking_confirmed" => "booking_confirmed",
        "booking_moved" => "booking_moved",
        "booking_cancelled" => "booking_cancelled",
        "pass_ready" => "pass_ready",
        _ => "unknown",
    }
}

/// Exponential backoff with equal jitter: half the delay fixed, half random.
pub fn backoff(attempt: u32, base_ms: u64, max_ms: u64) -> Duration {
    let exp = attempt.saturating_sub(1).min(30);
    let delay = base_ms.saturating_mul(1u64 << exp).min(max_ms.max(base_ms));
    let half = delay / 2;
    let jitter = if half > 0 {
        rand::thread_rng().gen_range(0..=half)
    } else {
        0
    };
    Duration::from_millis(delay - half + jitter)
}

impl Worker {
    /// Connects to PostgreSQL and Redis as the settings say.
    pub async fn build(settings: Settings, clock: Clock) -> Result<Self, WorkerError> {
        let pool = service_kit::storage::postgres_pool(&settings.database)
            .map_err(|e| WorkerError::Setup(error_chain(&e)))?;
        let redis = RedisPool::connect(&settings.redis)
            .await
            .map_err(|e| WorkerError::Setup(error_chain(&e)))?;
        Self::new(pool, redis, settings, clock)
    }

    pub fn new(
        pool: Pool,
        redis: RedisPool,
        settings: Settings,
        clock: Clock,
    ) -> Result<Self, WorkerError> {
        settings
            .letters
            .check()
            .map_err(|e| WorkerError::Setup(e.to_string()))?;
        let gateway =
            Gateway::new(&settings.gateway).map_err(|e| WorkerError::Setup(e.to_string()))?;
        let limiter = RateLimiter::new(
            redis,
            &settings.redis.key_prefix,
            "digital_post",
            settings.gateway.rate_per_second,
        );
        Ok(Self {
            pool,
            gateway,
            limiter,
            print: PrintBatches::new(&settings.print.dir),
            clock,
            settings: Arc::new(settings),
            receipts_after: Arc::new(AtomicU64::new(0)),
        })
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    pub fn print_batches(&self) -> &PrintBatches {
        &self.print
    }

    /// Runs rounds until no row is due.
    pub async fn drain(&self) -> Result<DrainReport, WorkerError> {
        let mut total = DrainReport::default();
        loop {
            let (claimed, report) = self.run_once().await?;
            total.add(report);
            if claimed == 0 {
                return Ok(total);
            }
        }
    }

    /// One round: claim a batch and deliver it. Returns how many rows were claimed.
    ///
    /// When fewer letters are due than a batch, the invitation letters of an opened wave
    /// are written first ([`store::write_wave_letters`]), so a wave's million letters
    /// enter the outbox as the workers can send them, beside the other letters.
    pub async fn run_once(&self) -> Result<(usize, DrainReport), WorkerError> {
        let w = &self.settings.worker;
        let now = self.clock.now();
        let limit = i64::from(w.batch_size.max(1));
        let lease = f64::from(w.lease_seconds.max(1));
        let mut rows = store::claim(&self.pool, now, limit, lease).await?;
        if (rows.len() as i64) < limit {
            // The rows in hand are delivered whatever happens to the writing: they are
            // leased, and an error here must not leave them waiting out the lease.
            match self.write_wave_letters(now).await {
                Ok(0) => {}
                Ok(_) => {
                    let more = limit - rows.len() as i64;
                    match store::claim(&self.pool, now, more, lease).await {
                        Ok(more) => rows.extend(more),
                        Err(e) => tracing::warn!(error = %e, "claiming wave letters failed"),
                    }
                }
                Err(e) => tracing::warn!(error = %error_chain(&e), "writing wave letters failed"),
            }
        }
        if rows.is_empty() {
            return Ok((0, DrainReport::default()));
        }
        let claimed = rows.len();
        let results: Vec<(ClaimedRow, Result<Prepared, DeliveryError>)> =
            futures::stream::iter(rows)
                .map(|row| async move {
                    let result = self.prepare(&row).await;
                    (row, result)
                })
                .buffer_unordered(w.concurrency.max(1))
                .collect()
                .await;

        let mut report = DrainReport::default();
        let mut done: Vec<(&ClaimedRow, &'static str, bool)> = Vec::new();
        let mut paper: Vec<(&ClaimedRow, &PaperLetter, bool)> = Vec::new();
        for (row, result) in &results {
            match result {
                Ok(Prepared::Sent { nemsms }) => done.push((row, DIGITAL_POST, *nemsms)),
                Ok(Prepared::AlreadyPrinted { nemsms }) => done.push((row, PAPER, *nemsms)),
                Ok(Prepared::Paper { letter, nemsms }) => paper.push((row, letter, *nemsms)),
                Err(e) => self.failed(row, channel_of(e), e, &mut report).await?,
            }
        }
        self.delivered(&done, &mut report).await?;
        if !paper.is_empty() {
            self.print_batch(&paper, &mut report).await?;
        }
        Ok((claimed, report))
    }

    async fn print_batch(
        &self,
        paper: &[(&ClaimedRow, &PaperLetter, bool)],
        report: &mut DrainReport,
    ) -> Result<(), WorkerError> {
        let batch_id = Uuid::now_v7();
        let now = self.clock.now();
        let assigned: Vec<(Uuid, u32)> = paper
            .iter()
            .map(|(row, l, _)| (row.id, l.item.pages))
            .collect();
        store::assign_print_batch(&self.pool, batch_id, &assigned, now).await?;
        let letters: Vec<PaperLetter> = paper.iter().map(|(_, l, _)| (*l).clone()).collect();
        let sender = self.settings.letters.sender_cvr.clone();
        match self.print.write(batch_id, now, sender, letters).await {
            Ok(dir) => {
                tracing::info!(batch = %batch_id, letters = paper.len(), dir = %dir.display(), "print batch written");
                let done: Vec<(&ClaimedRow, &'static str, bool)> = paper
                    .iter()
                    .map(|(row, _, nemsms)| (*row, PAPER, *nemsms))
                    .collect();
                self.delivered(&done, report).await?;
            }
            Err(e) => {
                let err = DeliveryError::Print(e);
                for (row, _, _) in paper {
                    self.failed(row, PAPER, &err, report).await?;
                }
            }
        }
        Ok(())
    }

    /// Marks letters delivered (one statement) and counts them.
    async fn delivered(
        &self,
        letters: &[(&ClaimedRow, &'static str, bool)],
        report: &mut DrainReport,
    ) -> Result<(), WorkerError> {
        let rows: Vec<store::Delivered> = letters
            .iter()
            .map(|(row, channel, nemsms)| store::Delivered {
                id: row.id,
                channel,
                nemsms_sent: *nemsms,
            })
            .collect();
        store::mark_delivered(&self.pool, &rows, self.clock.now()).await?;
        for (row, channel, nemsms) in letters {
            let kind = kind_label(&row.kind);
            count(channel, "delivered", kind);
            if *nemsms {
                count(NEMSMS, "delivered", kind);
            }
            tracing::info!(letter = %row.id, kind, channel = *channel, "letter delivered");
            report.delivered += 1;
        }
        Ok(())
    }

    async fn failed(
        &self,
        row: &ClaimedRow,
        channel: &'static str,
        error: &DeliveryError,
        report: &mut DrainReport,
    ) -> Result<(), WorkerError> {
        let max = self.settings.worker.max_attempts.max(1);
        let attempts = u32::try_from(row.attempts).unwrap_or(u32::MAX);
        let kind = kind_label(&row.kind);
        if error.is_permanent() || attempts >= max {
            let reason = if error.is_permanent() {
                error.to_string()
            } else {
                format!("gave up after {attempts} attempts: {error}")
            };
            store::dead_letter(&self.pool, row.id, &reason).await?;
            count(channel, "dead", kind);
            tracing::warn!(letter = %row.id, kind, reason = %reason, "letter dead-lettered");
            report.dead += 1;
        } else {
            let w = &self.settings.worker;
            let wait = backoff(attempts, w.backoff_base_ms, w.backoff_max_ms);
            let at = self.clock.now()
                + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1));
            store::schedule_retry(&self.pool, row.id, at, &error.to_string()).await?;
            count(channel, "retry", kind);
            tracing::info!(letter = %row.id, kind, attempts, error = %error_chain(error), "letter will be retried");
            report.retried += 1;
        }
        Ok(())
    }

    async fn prepare(&self, row: &ClaimedRow) -> Result<Prepared, DeliveryError> {
        let notice = Notice::parse(&row.kind, &row.payload)?;
        let cpr = Cpr::parse(&row.cpr).map_err(|_| DeliveryError::BadCpr)?;
        let citizen = store::citizen(&self.pool, cpr.as_str()).await?;
        let site = match notice.site_id() {
            Some(id) => store::site(&self.pool, id).await?,
            None => None,
        };
        let campaign = match notice.campaign_id() {
            Some(id) => store::campaign_name(&self.pool, id).await?,
            None => None,
        };
        let letters = &self.settings.letters;
        let letter = compose(
            &notice,
            &LetterContext {
                citizen: citizen.as_ref(),
                site: site.as_ref(),
                campaign_name: campaign.as_deref(),
                settings: letters,
            },
        )?;
        // Without a citizens row the CPR still reaches Digital Post.
        let on_paper = citizen.as_ref().filter(|c| c.channel == PostChannel::Paper);
        let wants_sms = citizen.as_ref().is_some_and(|c| c.nemsms);
        let prepared = match on_paper {
            None => {
                let pdf = render::pdf::render(&letter, &letters.sender_label, None);
                let name = citizen.as_ref().map(Citizen::full_name);
                let env = Envelope {
                    uuid: row.id,
                    recipient: &cpr,
                    recipient_label: name.as_deref().filter(|n| !n.is_empty()),
                    sender: letters,
                };
                let xml = render::memo::digital_post(&env, &letter, &pdf.bytes, self.clock.now());
                self.limiter.acquire().await?;
                self.gateway.send(xml).await?;
                Prepared::Sent { nemsms: false }
            }
            Some(c) => match store::print_batch_of(&self.pool, row.id).await? {
                Some(batch) if self.print.holds(batch, row.id) => {
                    Prepared::AlreadyPrinted { nemsms: false }
                }
                _ => {
                    let address = vec![
                        c.full_name(),
                        c.address.clone(),
                        format!("{} {}", c.postcode, c.city).trim().to_owned(),
                    ];
                    let pdf = render::pdf::render(&letter, &letters.sender_label, Some(&address));
                    let item = PrintItem {
                        letter_id: row.id,
                        recipient_name: c.full_name(),
                        address: c.address.clone(),
                        postcode: c.postcode.clone(),
                        city: c.city.clone(),
                        title: letter.title.clone(),
                        file: PrintBatches::letter_file(row.id),
                        pages: pdf.pages,
                        letter_date: self.clock.now().date_naive(),
                    };
                    Prepared::Paper {
                        letter: Box::new(PaperLetter {
                            item,
                            pdf: pdf.bytes,
                        }),
                        nemsms: false,
                    }
                }
            },
        };
        if !wants_sms {
            return Ok(prepared);
        }
        let on_paper = on_paper.is_some();
        let env = Envelope {
            uuid: render::memo::nemsms_uuid(row.id),
            recipient: &cpr,
            recipient_label: None,
            sender: letters,
        };
        let xml = render::memo::nemsms(
            &env,
            &letter.title,
            &render::text::sms_text(&letter, on_paper),
        );
        self.limiter.acquire().await?;
        let sent = match self.gateway.send(xml).await {
            Ok(()) => true,
            // A refused SMS must not cost the citizen the letter itself.
            Err(GatewayError::Rejected { status, reason }) => {
                tracing::warn!(letter = %row.id, status, reason = %reason, "NemSMS refused");
                count(NEMSMS, "dead", kind_label(&row.kind));
                false
            }
            Err(e) => return Err(e.into()),
        };
        Ok(match prepared {
            Prepared::Sent { .. } => Prepared::Sent { nemsms: sent },
            Prepared::AlreadyPrinted { .. } => Prepared::AlreadyPrinted { nemsms: sent },
            Prepared::Paper { letter, .. } => Prepared::Paper {
                letter,
                nemsms: sent,
            },
        })
    }

    /// Writes one batch of an opened wave's invitation letters; returns how many. A
    /// batch may pass over only other waves' invitations, so it goes on until it has
    /// written some or no wave has letters left.
    async fn write_wave_letters(
        &self,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<u64, WorkerError> {
        let limit = i64::from(self.settings.worker.wave_letter_batch.max(1));
        while let Some(n) = store::write_wave_letters(&self.pool, now, limit).await? {
            if n > 0 {
                metrics::counter!("notifier_wave_letters_written_total").increment(n);
                return Ok(n);
            }
        }
        Ok(0)
    }

    /// Creates one reminder per due invitation; returns how many.
    pub async fn sweep_reminders(&self) -> Result<u64, WorkerError> {
        let r = &self.settings.reminders;
        let now = self.clock.now();
        let cutoff = now - chrono::Duration::days(i64::from(r.after_days));
        let limit = i64::from(r.batch_size.max(1));
        let mut total = 0;
        while let Some(n) = store::sweep_reminders(&self.pool, now, cutoff, limit).await? {
            total += n;
        }
        if total > 0 {
            tracing::info!(reminders = total, "reminders queued");
        }
        Ok(total)
    }

    /// Reads "opened" receipts from the gateway into `outbox.opened_at`.
    pub async fn sync_receipts(&self) -> Result<usize, WorkerError> {
        let after = self.receipts_after.load(Ordering::Relaxed);
        let receipts = match self.gateway.receipts(after).await {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read receipts");
                return Ok(0);
            }
        };
        let mut updated = 0;
        for r in &receipts {
            if store::record_opened(&self.pool, r.message_uuid, r.opened_at).await? {
                updated += 1;
            }
            self.receipts_after.fetch_max(r.seq, Ordering::Relaxed);
        }
        Ok(updated)
    }

    /// The authority's figures for a wave (`None` if there is no such wave).
    pub async fn wave_report(
        &self,
        wave_id: i64,
    ) -> Result<Option<store::WaveReport>, WorkerError> {
        Ok(store::wave_report(&self.pool, wave_id).await?)
    }

    /// Keeps the outbox's next months partitioned ahead of the letters.
    pub async fn ensure_outbox_partitions(&self) -> Result<i32, WorkerError> {
        const MONTHS_AHEAD: i32 = 3;
        let made =
            store::ensure_outbox_partitions(&self.pool, self.clock.now(), MONTHS_AHEAD).await?;
        if made > 0 {
            tracing::info!(partitions = made, "outbox partitions made");
        }
        Ok(made)
    }

    pub async fn refresh_queue_depth(&self) -> Result<i64, WorkerError> {
        let depth = store::queue_depth(&self.pool).await?;
        metrics::gauge!("notifier_queue_depth").set(depth as f64);
        Ok(depth)
    }

    /// Loops until `shutdown` completes; finishes the round in hand before stopping.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()>,
    ) -> Result<(), WorkerError> {
        tokio::pin!(shutdown);
        let s = Arc::clone(&self.settings);
        let stale = Duration::from_secs(u64::from(s.worker.lease_seconds.max(1)));
        match self.print.remove_stale_temporaries(stale).await {
            Ok(0) => {}
            Ok(n) => tracing::warn!(
                removed = n,
                "removed unfinished print batches of a crashed worker"
            ),
            Err(e) => tracing::warn!(error = %e, "cannot clean the print directory"),
        }
        let every = |secs: u32| Duration::from_secs(u64::from(secs.max(1)));
        let mut next_sweep = Instant::now();
        let mut next_receipts = Instant::now();
        let mut next_depth = Instant::now();
        let mut next_partitions = Instant::now();
        loop {
            let now = Instant::now();
            if s.reminders.sweep_seconds > 0 && now >= next_sweep {
                next_sweep = now + every(s.reminders.sweep_seconds);
                if let Err(e) = self.sweep_reminders().await {
                    tracing::warn!(error = %error_chain(&e), "reminder sweep failed");
                }
            }
            if now >= next_receipts {
                next_receipts = now + every(s.gateway.receipts_poll_seconds);
                if let Err(e) = self.sync_receipts().await {
                    tracing::warn!(error = %error_chain(&e), "receipt poll failed");
                }
            }
            if now >= next_partitions {
                next_partitions = now + Duration::from_secs(3600);
                if let Err(e) = self.ensure_outbox_partitions().await {
                    tracing::warn!(error = %error_chain(&e), "outbox partitions failed");
                }
            }
            if now >= next_depth {
                next_depth = now + every(s.worker.queue_depth_seconds);
                if let Err(e) = self.refresh_queue_depth().await {
                    tracing::warn!(error = %error_chain(&e), "queue depth failed");
                }
            }
            let idle = match self.run_once().await {
                Ok((0, _)) => true,
                Ok(_) => false,
                Err(e) => {
                    tracing::warn!(error = %error_chain(&e), "delivery round failed");
                    true
                }
            };
            if idle {
                tokio::select! {
                    _ = &mut shutdown => break,
                    _ = tokio::time::sleep(Duration::from_millis(s.worker.idle_poll_ms.max(1))) => {}
                }
            } else if futures::FutureExt::now_or_never(&mut shutdown).is_some() {
                break;
            }
        }
        tracing::info!("notifier stopped");
        Ok(())
    }
}

fn channel_of(e: &DeliveryError) -> &'static str {
    match e {
        DeliveryError::Print(_) => PAPER,
        _ => DIGITAL_POST,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        for attempt in 1..10 {
            let d = backoff(attempt, 1_000, 60_000).as_millis() as u64;
            let full = (1_000u64 << (attempt - 1)).min(60_000);
            assert!(d >= full / 2 && d <= full, "attempt {attempt}: {d}");
        }
        assert_eq!(backoff(1, 0, 0), Duration::ZERO);
        assert!(backoff(u32::MAX, 1_000, 5_000) <= Duration::from_millis(5_000));
    }
}
