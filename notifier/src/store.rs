//! PostgreSQL: every SQL statement of the notifier. The outbox is a queue claimed with
//! `FOR UPDATE SKIP LOCKED`; a claim is a lease (`next_attempt_at` moves into the
//! future), so a worker that dies gives its rows back when the lease runs out. "Now"
//! comes from the caller's clock, never from `now()`.

use chrono::{DateTime, Utc};
use deadpool_postgres::Pool;
use serde_json::Value;
use uuid::Uuid;

use crate::domain::{Citizen, Language, PostChannel, Site};
use crate::error::StoreError;

/// An outbox row claimed for delivery.
#[derive(Debug, Clone)]
pub struct ClaimedRow {
    pub id: Uuid,
    pub kind: String,
    /// Raw as stored; parsed into a `Cpr` before use.
    pub cpr: String,
    pub payload: Value,
    /// Including this attempt.
    pub attempts: i32,
    pub wave_id: Option<i64>,
}

/// Claims up to `limit` due rows and leases them until `now + lease_seconds`.
pub async fn claim(
    pool: &Pool,
    now: DateTime<Utc>,
    limit: i64,
    lease_seconds: f64,
) -> Result<Vec<ClaimedRow>, StoreError> {
    let client = pool.get().await?;
    let rows = client
        .query(
            "UPDATE outbox o
                SET attempts = o.attempts + 1,
                    next_attempt_at = $1 + make_interval(secs => $3)
               FROM (SELECT id FROM outbox
                      WHERE status = 'queued' AND next_attempt_at <= $1
                      ORDER BY next_attempt_at
                      LIMIT $2
                      FOR UPDATE SKIP LOCKED) due
              WHERE o.id = due.id
          RETURNING o.id, o.kind, o.cpr, o.payload, o.attempts, o.wave_id",
            &[&now, &limit, &lease_seconds],
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| ClaimedRow {
            id: r.get(0),
            kind: r.get(1),
            cpr: r.get(2),
            payload: r.get(3),
            attempts: r.get(4),
            wave_id: r.get(5),
        })
        .collect())
}

/// A letter to mark delivered.
#[derive(Debug, Clone)]
pub struct Delivered {
    pub id: Uuid,
    pub channel: &'static str,
    pub nemsms_sent: bool,
}

/// Marks letters delivered in one statement. `next_attempt_at` returns to `now` so that
/// a row put back to `queued` by hand is due at once (and the gateway's idempotency
/// keeps it a single letter).
pub async fn mark_delivered(
    pool: &Pool,
    letters: &[Delivered],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    if letters.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = letters.iter().map(|d| d.id).collect();
    let channels: Vec<&str> = letters.iter().map(|d| d.channel).collect();
    let sms: Vec<bool> = letters.iter().map(|d| d.nemsms_sent).collect();
    let client = pool.get().await?;
    client
        .execute(
            "UPDATE outbox o
                SET status = 'delivered', channel = d.channel, delivered_at = $4,
                    next_attempt_at = $4, last_error = NULL,
                    nemsms_sent_at = CASE WHEN d.sms THEN COALESCE(o.nemsms_sent_at, $4)
                                          ELSE o.nemsms_sent_at END
               FROM unnest($1::uuid[], $2::text[], $3::bool[]) AS d(id, channel, sms)
              WHERE o.id = d.id AND o.status = 'queued'",
            &[&ids, &channels, &sms, &now],
        )
        .await?;
    Ok(())
}

pub async fn schedule_retry(
    pool: &Pool,
    id: Uuid,
    at: DateTime<Utc>,
    reason: &str,
) -> Result<(), StoreError> {
    let client = pool.get().await?;
    client
        .execute(
            "UPDATE outbox SET next_attempt_at = $2, last_error = $3
              WHERE id = $1 AND status = 'queued'",
            &[&id, &at, &reason],
        )
        .await?;
    Ok(())
}

pub async fn dead_letter(pool: &Pool, id: Uuid, reason: &str) -> Result<(), StoreError> {
    let client = pool.get().await?;
    client
        .execute(
            "UPDATE outbox SET status = 'dead', last_error = $2
              WHERE id = $1 AND status = 'queued'",
            &[&id, &reason],
        )
        .await?;
    Ok(())
}

pub async fn citizen(pool: &Pool, cpr: &str) -> Result<Option<Citizen>, StoreError> {
    let client = pool.get().await?;
    let row = client
        .query_opt(
            "SELECT given_name, family_name, address, postcode, city, digital_post, nemsms, language
               FROM citizens WHERE cpr = $1",
            &[&cpr],
        )
        .await?;
    Ok(row.map(|r| Citizen {
        given_name: r.get(0),
        family_name: r.get(1),
        address: r.get(2),
        postcode: r.get(3),
        city: r.get(4),
        channel: if r.get::<_, &str>(5) == "exempt" {
            PostChannel::Paper
        } else {
            PostChannel::Digital
        },
        nemsms: r.get(6),
        language: Language::from_code(r.get(7)),
    }))
}

pub async fn site(pool: &Pool, id: i64) -> Result<Option<Site>, StoreError> {
    let client = pool.get().await?;
    let row = client
        .query_opt(
            "SELECT name, address, postcode FROM sites WHERE id = $1",
            &[&id],
        )
        .await?;
    Ok(row.map(|r| Site {
        name: r.get(0),
        address: r.get(1),
        postcode: r.get(2),
    }))
}

pub async fn campaign_name(pool: &Pool, id: i64) -> Result<Option<String>, StoreError> {
    let client = pool.get().await?;
    let row = client
        .query_opt("SELECT name FROM campaigns WHERE id = $1", &[&id])
        .await?;
    Ok(row.map(|r| r.get(0)))
}

/// The print batch a letter was put in earlier, if any.
pub async fn print_batch_of(pool: &Pool, id: Uuid) -> Result<Option<Uuid>, StoreError> {
    let client = pool.get().await?;
    let row = client
        .query_opt(
            "SELECT batch_id FROM print_letters WHERE outbox_id = $1",
            &[&id],
        )
        .await?;
    Ok(row.map(|r| r.get(0)))
}

/// Records that these letters go into `batch_id` (before the batch is written).
pub async fn assign_print_batch(
    pool: &Pool,
    batch_id: Uuid,
    letters: &[(Uuid, u32)],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    for (id, pages) in letters {
        let pages = i32::try_from(*pages).unwrap_or(i32::MAX);
        tx.execute(
            "INSERT INTO print_letters (outbox_id, batch_id, pages, assigned_at)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (outbox_id) DO UPDATE
                SET batch_id = EXCLUDED.batch_id, pages = EXCLUDED.pages,
                    assigned_at = EXCLUDED.assigned_at",
            &[id, &batch_id, &pages, &now],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Letters waiting to be sent (the queue-depth gauge).
pub async fn queue_depth(pool: &Pool) -> Result<i64, StoreError> {
    let client = pool.get().await?;
    let row = client
        .query_one("SELECT count(*) FROM outbox WHERE status = 'queued'", &[])
        .await?;
    Ok(row.get(0))
}

/// A walk through one wave's invitations at a time, in CPR order, from a cursor kept on
/// the wave row: writing its invitation letters, or its reminders.
///
/// The wave row is locked (`SKIP LOCKED`), so several workers walk different waves, and
/// the cursor moves in the same transaction as the rows a batch wrote: a crash repeats
/// nothing. A wave is done when a batch comes back short. The scan goes through the
/// campaign's partition, so other waves' invitations of the campaign are passed over.
#[derive(Debug, Clone, Copy)]
enum WaveWalk {
    /// The oldest opened wave whose invitation letters are not all written. The opening
    /// commits one invitation per citizen and no letter; the invitations are the outbox
    /// entries of their letters, written into the outbox here as the workers need them
    /// (migration V11). A closed wave writes no more letters, and a citizen whose letter
    /// an opening of the old version wrote gets no second one (V12).
    Letters,
    /// The oldest wave whose letters were all written at or before the cutoff and whose
    /// reminders are not done. Invitations whose citizen has not booked (no active or
    /// attended booking in the campaign) get one reminder each; `reminded_at` keeps a
    /// citizen from a second.
    Reminders,
}

/// The letters batch of [`WaveWalk::batch`], with `$skip` (more conditions on the
/// scanned invitation `s`) in its WHERE clause; written out at compile time.
macro_rules! letters_batch {
    ($skip:literal) => {
        concat!(
            "WITH scanned AS (
                SELECT cpr, wave_id FROM invitations
                 WHERE campaign_id = $2 AND cpr > $4
                 ORDER BY cpr LIMIT $5
             ), letters AS (
                INSERT INTO outbox (id, kind, cpr, payload, wave_id, created_at, next_attempt_at)
                SELECT uuid_v7($1), 'invitation', s.cpr,
                       jsonb_build_object('wave_id', $3::bigint, 'campaign_id', $2::bigint),
                       $3, $1, $1
                  FROM scanned s
                 WHERE s.wave_id = $3 ",
            $skip,
            "
                RETURNING 1
             )
             SELECT (SELECT count(*) FROM scanned), (SELECT max(cpr) FROM scanned),
                    (SELECT count(*) FROM letters)"
        )
    };
}

impl WaveWalk {
    /// The due wave (`$1`: the cutoff, for reminders), locked: its id, campaign, cursor
    /// and whether an old version's opening wrote letters for it.
    fn pick(self) -> &'static str {
        match self {
            Self::Letters => {
                "SELECT id, campaign_id, letters_cursor,
                        EXISTS (SELECT 1 FROM wave_letters_at_opening a WHERE a.wave_id = waves.id)
                   FROM waves
                  WHERE opened_at <= $1 AND closed_at IS NULL AND letters_done_at IS NULL
                  ORDER BY opened_at, id LIMIT 1 FOR UPDATE SKIP LOCKED"
            }
            Self::Reminders => {
                "SELECT id, campaign_id, reminder_cursor, false FROM waves
                  WHERE letters_done_at <= $1 AND closed_at IS NULL AND reminders_done_at IS NULL
                  ORDER BY opened_at, id LIMIT 1 FOR UPDATE SKIP LOCKED"
            }
        }
    }

    /// One batch: `$1` now, `$2` campaign, `$3` wave, `$4` cursor, `$5` limit. Returns
    /// the rows scanned, the last CPR number scanned and the outbox rows written.
    /// `skip_lettered`: the wave's pick said an old opening wrote letters for it (never
    /// for reminders).
    fn batch(self, skip_lettered: bool) -> &'static str {
        match self {
            // A wave an opening of the version before V11 wrote letters for (V12): its
            // citizens who have the wave's letter already are passed over. Only for such
            // waves, as the check reads the wave's letters for every batch.
            Self::Letters if skip_lettered => letters_batch!(
                "AND NOT EXISTS (SELECT 1 FROM outbox o
                                  WHERE o.wave_id = $3 AND o.kind = 'invitation'
                                    AND o.cpr = s.cpr)"
            ),
            Self::Letters => letters_batch!(""),
            Self::Reminders => {
                "WITH scanned AS (
                    SELECT cpr, wave_id, reminded_at FROM invitations
                     WHERE campaign_id = $2 AND cpr > $4
                     ORDER BY cpr LIMIT $5
                 ), marked AS (
                    UPDATE invitations i SET reminded_at = $1
                      FROM scanned s
                     WHERE i.campaign_id = $2 AND i.cpr = s.cpr
                       AND s.wave_id = $3 AND s.reminded_at IS NULL
                       AND NOT EXISTS (
                            SELECT 1 FROM bookings b
                             WHERE b.campaign_id = $2 AND b.cpr = s.cpr
                               AND b.status IN ('active', 'done'))
                 RETURNING i.cpr
                 ), letters AS (
                    INSERT INTO outbox (id, kind, cpr, payload, wave_id, created_at, next_attempt_at)
                    SELECT uuid_v7($1), 'reminder', m.cpr,
                           jsonb_build_object('campaign_id', $2::bigint, 'wave_id', $3::bigint),
                           $3, $1, $1
                      FROM marked m
                    RETURNING 1
                 )
                 SELECT (SELECT count(*) FROM scanned), (SELECT max(cpr) FROM scanned),
                        (SELECT count(*) FROM letters)"
            }
        }
    }

    /// Moves the cursor (`$2`), and marks the wave done (`$3`) at `$4`.
    fn advance(self) -> &'static str {
        match self {
            Self::Letters => {
                "UPDATE waves SET letters_cursor = $2,
                        letters_done_at = CASE WHEN $3 THEN $4::timestamptz END
                  WHERE id = $1"
            }
            Self::Reminders => {
                "UPDATE waves SET reminder_cursor = $2,
                        reminders_done_at = CASE WHEN $3 THEN $4::timestamptz END
                  WHERE id = $1"
            }
        }
    }

    /// One batch of the walk; the outbox rows written, or `None` when no wave is due.
    async fn step(
        self,
        pool: &Pool,
        now: DateTime<Utc>,
        cutoff: DateTime<Utc>,
        limit: i64,
    ) -> Result<Option<u64>, StoreError> {
        let mut client = pool.get().await?;
        let tx = client.transaction().await?;
        let Some(wave) = tx.query_opt(self.pick(), &[&cutoff]).await? else {
            return Ok(None);
        };
        let (wave_id, campaign_id, cursor, lettered): (i64, i64, String, bool) =
            (wave.get(0), wave.get(1), wave.get(2), wave.get(3));
        let params: [&(dyn tokio_postgres::types::ToSql + Sync); 5] =
            [&now, &campaign_id, &wave_id, &cursor, &limit];
        let r = tx.query_one(self.batch(lettered), &params).await?;
        let (scanned, last, made): (i64, Option<String>, i64) = (r.get(0), r.get(1), r.get(2));
        tx.execute(
            self.advance(),
            &[&wave_id, &last.unwrap_or(cursor), &(scanned < limit), &now],
        )
        .await?;
        tx.commit().await?;
        Ok(Some(made.unsigned_abs()))
    }
}

/// Writes the invitation letters of up to `limit` invitations of the oldest opened wave
/// whose letters are not all written ([`WaveWalk::Letters`]). Returns the letters
/// written, or `None` when no wave has letters to write.
pub async fn write_wave_letters(
    pool: &Pool,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Option<u64>, StoreError> {
    // Any opened wave: the opening's time is the booking service's clock, not ours.
    let any = DateTime::<Utc>::MAX_UTC;
    WaveWalk::Letters.step(pool, now, any, limit).await
}

/// One batch of the reminder sweep ([`WaveWalk::Reminders`]): up to `limit` invitations
/// of the oldest wave whose letters were all written at or before `written_before`, so
/// nobody is reminded sooner than the setting after their letter. Returns the reminders
/// made, or `None` when no wave is due.
pub async fn sweep_reminders(
    pool: &Pool,
    now: DateTime<Utc>,
    written_before: DateTime<Utc>,
    limit: i64,
) -> Result<Option<u64>, StoreError> {
    WaveWalk::Reminders
        .step(pool, now, written_before, limit)
        .await
}

/// Makes the outbox's month partitions for the month of `now` and `months_ahead` after
/// it (migration V8); returns how many were new. Letters of a month without its
/// partition are kept in the default partition, so a missed run loses nothing.
pub async fn ensure_outbox_partitions(
    pool: &Pool,
    now: DateTime<Utc>,
    months_ahead: i32,
) -> Result<i32, StoreError> {
    let client = pool.get().await?;
    Ok(client
        .query_one(
            "SELECT ensure_outbox_partitions($1, $2)",
            &[&now, &months_ahead],
        )
        .await?
        .get(0))
}

/// Records that the citizen opened a letter (first time wins).
pub async fn record_opened(pool: &Pool, id: Uuid, at: DateTime<Utc>) -> Result<bool, StoreError> {
    let client = pool.get().await?;
    let n = client
        .execute(
            "UPDATE outbox SET opened_at = $2 WHERE id = $1 AND opened_at IS NULL",
            &[&id, &at],
        )
        .await?;
    Ok(n > 0)
}

/// The authority's figures for one wave: its invitation letters by channel and outcome.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct WaveReport {
    pub wave_id: i64,
    /// Citizens the wave invited (`waves.invited`).
    pub eligible: i64,
    /// Invitation letters written into the outbox for the wave so far.
    pub letters: i64,
    /// Letters not sent yet: queued in the outbox, or still to be written while the
    /// wave is open.
    pub queued: i64,
    pub delivered: i64,
    pub digital_post: i64,
    pub paper: i64,
    pub nemsms: i64,
    pub opened: i64,
    /// Letters still queued after a failed attempt.
    pub failing: i64,
    pub dead: i64,
    /// Letters never written because the wave closed first.
    pub withdrawn: i64,
    /// Invited citizens with an active or attended booking in the wave's campaign.
    pub booked: i64,
}

pub async fn wave_report(pool: &Pool, wave_id: i64) -> Result<Option<WaveReport>, StoreError> {
    let client = pool.get().await?;
    let Some(wave) = client
        .query_opt(
            "SELECT invited, campaign_id, closed_at IS NOT NULL FROM waves WHERE id = $1",
            &[&wave_id],
        )
        .await?
    else {
        return Ok(None);
    };
    let eligible: i32 = wave.get(0);
    let campaign_id: i64 = wave.get(1);
    let closed: bool = wave.get(2);
    let r = client
        .query_one(
            "SELECT count(*),
                    count(*) FILTER (WHERE status = 'queued'),
                    count(*) FILTER (WHERE status = 'delivered'),
                    count(*) FILTER (WHERE status = 'delivered' AND channel = 'digital_post'),
                    count(*) FILTER (WHERE status = 'delivered' AND channel = 'paper'),
                    count(*) FILTER (WHERE nemsms_sent_at IS NOT NULL),
                    count(*) FILTER (WHERE opened_at IS NOT NULL),
                    count(*) FILTER (WHERE status = 'queued' AND last_error IS NOT NULL),
                    count(*) FILTER (WHERE status = 'dead')
               FROM outbox WHERE wave_id = $1 AND kind = 'invitation'",
            &[&wave_id],
        )
        .await?;
    let booked: i64 = client
        .query_one(
            "SELECT count(*) FROM invitations i
              WHERE i.wave_id = $1
                AND EXISTS (SELECT 1 FROM bookings b
                             WHERE b.campaign_id = $2 AND b.cpr = i.cpr
                               AND b.status IN ('active', 'done'))",
            &[&wave_id, &campaign_id],
        )
        .await?
        .get(0);
    let letters: i64 = r.get(0);
    let unwritten = (i64::from(eligible) - letters).max(0);
    let (still_to_write, withdrawn) = if closed {
        (0, unwritten)
    } else {
        (unwritten, 0)
    };
    Ok(Some(WaveReport {
        wave_id,
        eligible: i64::from(eligible),
        letters,
        queued: r.get::<_, i64>(1) + still_to_write,
        delivered: r.get(2),
        digital_post: r.get(3),
        paper: r.get(4),
        nemsms: r.get(5),
        opened: r.get(6),
        failing: r.get(7),
        dead: r.get(8),
        withdrawn,
        booked,
    }))
}
