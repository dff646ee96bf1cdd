//! Confirming holds in batches: group commit for bookings.
//!
//! On opening day thousands of people confirm each second. One transaction per
//! confirmation pays a commit (a WAL flush) and six round trips each; here the
//! confirmations that arrive while earlier transactions are in flight are taken
//! together, in one transaction of a handful of set-based statements. At low load a
//! batch is one confirmation and goes at once; under load batches grow by themselves.
//!
//! Every rule of a single confirmation holds per booking: the slot row is locked and
//! checked (open, in the future, a place free), the insert skips a second active booking
//! in the campaign and a hold confirmed twice, and the letter (and for a helper, the audit
//! row) is written in the same transaction. Each caller is answered only after the commit.
//! A batch that fails as a whole (a deadlock, a lost connection) is tried again one
//! confirmation at a time, so one bad booking never fails its neighbours.

use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock};
use tokio::sync::{mpsc, oneshot, Semaphore};

use super::{booking_letter, record_helper, Acting, Service};
use crate::domain::{BookingId, HoldId, SlotId};
use crate::error::{BookingError, Result};
use crate::hot::HoldRecord;
use crate::store;
use crate::store::bookings::{self, BookingView, NewBooking};
use crate::store::slots::{self, SlotRow};

/// Most confirmations queued before callers wait for room (backpressure).
const QUEUE: usize = 8192;

struct Job {
    who: Acting,
    hold: HoldId,
    reply: oneshot::Sender<Result<BookingView>>,
}

/// The queue to the batch loop, started on first use (it needs a runtime).
#[derive(Clone, Default)]
pub struct Confirmer {
    queue: Arc<OnceLock<mpsc::Sender<Job>>>,
}

/// What became of one confirmation inside a batch.
enum Fate {
    Booked(BookingId),
    Refused(BookingError),
    /// Decided by what a neighbour in the batch did; tried again on its own.
    Again,
}

impl Service {
    /// Turns a live hold into a booking: the place is taken (never past capacity), the
    /// booking inserted (one active per campaign) and the confirmation letter queued, in
    /// one PostgreSQL transaction shared with other confirmations arriving at once.
    /// `record` is the hold's record, read just before ([`Service::hold_record`]).
    pub async fn confirm(
        &self,
        who: &Acting,
        hold: &HoldId,
        record: Option<HoldRecord>,
    ) -> Result<BookingView> {
        self.check_hold(who, hold, record).await?;
        let (reply, answer) = oneshot::channel();
        let job = Job {
            who: who.clone(),
            hold: hold.clone(),
            reply,
        };
        self.confirm_queue()
            .send(job)
            .await
            .map_err(|_| BookingError::Internal(anyhow::anyhow!("the confirm loop stopped")))?;
        answer
            .await
            .map_err(|_| BookingError::Internal(anyhow::anyhow!("a confirm batch was dropped")))?
    }

    fn confirm_queue(&self) -> &mpsc::Sender<Job> {
        self.confirmer.queue.get_or_init(|| {
            let (tx, rx) = mpsc::channel(QUEUE);
            tokio::spawn(self.clone().confirm_loop(rx));
            tx
        })
    }

    /// Takes whatever is queued (up to the batch size) whenever a transaction slot is
    /// free, so batches form while the earlier ones commit.
    async fn confirm_loop(self, mut rx: mpsc::Receiver<Job>) {
        let parallel = Arc::new(Semaphore::new(
            usize::from(self.settings().confirm_transactions).max(1),
        ));
        let most = usize::from(self.settings().confirm_batch).max(1);
        loop {
            let Ok(permit) = parallel.clone().acquire_owned().await else {
                return;
            };
            let Some(first) = rx.recv().await else {
                return;
            };
            let mut batch = vec![first];
            while batch.len() < most {
                match rx.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
            let svc = self.clone();
            tokio::spawn(async move {
                svc.run_batch(batch).await;
                drop(permit);
            });
        }
    }

    async fn run_batch(&self, batch: Vec<Job>) {
        metrics::histogram!("booking_confirm_batch_size").record(batch.len() as f64);
        // PostgreSQL keeps microseconds; the answer shows what a later read will.
        let now = self.clock.now();
        let now = DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now);
        match self.confirm_together(&batch, now).await {
            Ok((fates, rows)) => {
                let mut again = Vec::new();
                let mut booked = Vec::new();
                for (job, fate) in batch.into_iter().zip(fates) {
                    match fate {
                        Fate::Booked(id) => booked.push((job, id)),
                        Fate::Refused(e) => {
                            metrics::counter!("booking_confirms_total", "result" => refusal_label(&e))
                                .increment(1);
                            let _ = job.reply.send(Err(e));
                        }
                        Fate::Again => again.push(job),
                    }
                }
                self.mirror_booked(&booked, &rows).await;
                for (job, id) in booked {
                    let view = self.answer(&job, id, &rows, now).await;
                    let _ = job.reply.send(view);
                }
                for job in again {
                    Box::pin(self.run_batch(vec![job])).await;
                }
            }
            Err(e) if batch.len() == 1 => {
                if let Some(job) = batch.into_iter().next() {
                    let _ = job.reply.send(Err(e));
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, size = batch.len(), "confirm batch failed; confirming one by one");
                for job in batch {
                    Box::pin(self.run_batch(vec![job])).await;
                }
            }
        }
    }

    /// The batch's one transaction. Returns each job's fate and the slot rows after it.
    async fn confirm_together(
        &self,
        batch: &[Job],
        now: DateTime<Utc>,
    ) -> Result<(Vec<Fate>, HashMap<SlotId, SlotRow>)> {
        let ids: Vec<BookingId> = batch.iter().map(|_| BookingId::new()).collect();
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let wanted: Vec<SlotId> = batch.iter().map(|j| j.hold.slot()).collect();
        let locked: HashMap<SlotId, SlotRow> = slots::lock_many(&tx, &wanted)
            .await?
            .into_iter()
            .map(|r| (r.state.slot, r))
            .collect();

        // Places first, in arrival order, exactly as one-at-a-time `take_place` would.
        let mut fates: Vec<Option<Fate>> = Vec::with_capacity(batch.len());
        let mut given: HashMap<SlotId, i32> = HashMap::new();
        for job in batch {
            let slot = job.hold.slot();
            fates.push(match locked.get(&slot) {
                None => Some(Fate::Refused(BookingError::NotFound("slot"))),
                Some(s) if s.state.closed => Some(Fate::Refused(BookingError::SlotClosed)),
                Some(s) if s.starts_at <= now => Some(Fate::Refused(BookingError::SlotInPast)),
                Some(s) => {
                    let n = given.entry(slot).or_default();
                    if s.state.booked + *n < s.state.capacity {
                        *n += 1;
                        None
                    } else {
                        Some(Fate::Refused(BookingError::SlotFull))
                    }
                }
            });
        }

        let holds: Vec<String> = batch.iter().map(|j| j.hold.to_string()).collect();
        let rows: Vec<NewBooking<'_>> = batch
            .iter()
            .enumerate()
            .filter(|(i, _)| fates[*i].is_none())
            .map(|(i, j)| NewBooking {
                id: ids[i],
                slot: j.hold.slot(),
                campaign: locked[&j.hold.slot()].state.campaign,
                cpr: j.who.cpr.as_str(),
                hold_id: &holds[i],
                booked_by: j.who.helper.as_deref(),
                now,
            })
            .collect();
        let inserted: HashSet<BookingId> = bookings::insert_many(&tx, &rows)
            .await?
            .into_iter()
            .collect();
        let skipped: Vec<&str> = rows
            .iter()
            .filter(|r| !inserted.contains(&r.id))
            .map(|r| r.hold_id)
            .collect();
        let used = if skipped.is_empty() {
            HashSet::new()
        } else {
            bookings::confirmed_holds(&*tx, &skipped).await?
        };

        let mut taken: HashMap<SlotId, i32> = HashMap::new();
        for (i, fate) in fates.iter_mut().enumerate() {
            if fate.is_some() {
                continue;
            }
            *fate = Some(if inserted.contains(&ids[i]) {
                *taken.entry(batch[i].hold.slot()).or_default() += 1;
                Fate::Booked(ids[i])
            } else if used.contains(&holds[i]) {
                Fate::Refused(BookingError::HoldAlreadyConfirmed)
            } else {
                Fate::Refused(BookingError::AlreadyBooked)
            });
        }
        // A place refused as full may have been freed by a neighbour whose insert was
        // skipped: such a confirmation is decided again on its own.
        for (i, fate) in fates.iter_mut().enumerate() {
            let slot = batch[i].hold.slot();
            if matches!(fate, Some(Fate::Refused(BookingError::SlotFull)))
                && taken.get(&slot).copied().unwrap_or(0) < given.get(&slot).copied().unwrap_or(0)
            {
                *fate = Some(Fate::Again);
            }
        }

        let taken: Vec<(SlotId, i32)> = taken.into_iter().collect();
        let after: HashMap<SlotId, SlotRow> = if taken.is_empty() {
            HashMap::new()
        } else {
            slots::take_places(&tx, &taken)
                .await?
                .into_iter()
                .map(|r| (r.state.slot, r))
                .collect()
        };

        let mut letters = Vec::new();
        for (i, fate) in fates.iter().enumerate() {
            let (Some(Fate::Booked(id)), Some(slot)) = (fate, after.get(&batch[i].hold.slot()))
            else {
                continue;
            };
            let letter = booking_letter(*id, slot);
            let who = &batch[i].who;
            record_helper(&tx, who, "booking.create", &letter).await?;
            letters.push((who.cpr.as_str(), letter));
        }
        store::enqueue_letters(&tx, "booking_confirmed", &letters).await?;
        tx.commit().await?;
        self.crash_point_after_commit();
        Ok((fates.into_iter().flatten().collect(), after))
    }

    /// Tells Redis about every booking of the batch at once (their holds are used up,
    /// the citizens' hold pointers gone). A failure here loses nothing: the bookings are
    /// in PostgreSQL and the reconciler brings Redis up to date; a pointer left behind
    /// names a hold that no longer exists and runs out with it.
    async fn mirror_booked(&self, booked: &[(Job, BookingId)], rows: &HashMap<SlotId, SlotRow>) {
        let owners: Vec<_> = booked
            .iter()
            .map(|(job, _)| self.pseudonym(&job.who.cpr))
            .collect();
        let items: Vec<_> = booked
            .iter()
            .zip(&owners)
            .filter_map(|((job, _), owner)| {
                let row = rows.get(&job.hold.slot())?;
                self.days.forget_slot(row.state.slot);
                Some((&row.state, &job.hold, owner.as_str()))
            })
            .collect();
        if let Err(e) = self.hot.apply_booked(&items).await {
            tracing::warn!(error = %e, bookings = items.len(), "redis mirror update after a confirm batch failed; reconciler will repair");
        }
    }

    /// The answer to one booked confirmation.
    async fn answer(
        &self,
        job: &Job,
        id: BookingId,
        rows: &HashMap<SlotId, SlotRow>,
        now: DateTime<Utc>,
    ) -> Result<BookingView> {
        metrics::counter!("booking_confirms_total", "result" => "ok").increment(1);
        let Some(slot) = rows.get(&job.hold.slot()) else {
            return Err(BookingError::Internal(anyhow::anyhow!(
                "booked slot row missing"
            )));
        };
        match self.view_from_catalog(id, slot, job.who.helper.is_some(), now) {
            Some(view) => Ok(view),
            None => bookings::view(&**self.client().await?, id).await,
        }
    }

    /// The new booking as its citizen sees it, from the slot row and the in-memory
    /// catalog (no query); `None` when the catalog does not know the site yet.
    fn view_from_catalog(
        &self,
        id: BookingId,
        slot: &SlotRow,
        by_helper: bool,
        now: DateTime<Utc>,
    ) -> Option<BookingView> {
        let snap = self.catalog.snapshot();
        let site = snap.site(slot.state.site)?;
        let campaign = snap.campaign(slot.state.campaign)?;
        Some(BookingView {
            id,
            status: "active".into(),
            slot_id: slot.state.slot,
            starts_at: slot.starts_at,
            ends_at: slot.ends_at,
            campaign_code: campaign.code.clone(),
            campaign_name: campaign.name.clone(),
            site_id: site.id.0,
            site_name: site.name.clone(),
            site_address: site.address.clone(),
            site_postcode: site.postcode.clone(),
            moved_to: None,
            booked_by_helper: by_helper,
            created_at: now,
        })
    }
}

fn refusal_label(e: &BookingError) -> &'static str {
    match e {
        BookingError::AlreadyBooked => "already_booked",
        BookingError::HoldAlreadyConfirmed => "hold_used",
        _ => "conflict",
    }
}
