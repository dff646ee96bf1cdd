//! Slot rows. `booked` is the count of active bookings, kept in the same transaction as
//! every booking change; the `slot_never_overbooked` CHECK makes overbooking impossible
//! even if every other guard failed.

use chrono::{DateTime, Utc};
use tokio_postgres::GenericClient;

use crate::domain::slotgen::PlannedSlot;
use crate::domain::{CampaignId, Capacity, SiteId, SlotId};
use crate::error::{BookingError, Result};
use crate::hot::SlotState;

const COLS: &str = "id, site_id, campaign_id, version, capacity, booked, closed, starts_at, ends_at,
    (SELECT c.access = 'invitation' FROM campaigns c WHERE c.id = slots.campaign_id) AS invitation_only";

#[derive(Debug, Clone, Copy)]
pub struct SlotRow {
    pub state: SlotState,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

fn from_row(r: &tokio_postgres::Row) -> SlotRow {
    let starts_at: DateTime<Utc> = r.get("starts_at");
    let ends_at: DateTime<Utc> = r.get("ends_at");
    SlotRow {
        state: SlotState {
            slot: SlotId(r.get("id")),
            site: SiteId(r.get("site_id")),
            campaign: CampaignId(r.get("campaign_id")),
            version: r.get("version"),
            capacity: r.get("capacity"),
            booked: r.get("booked"),
            closed: r.get("closed"),
            invitation_only: r.get::<_, Option<bool>>("invitation_only").unwrap_or(false),
            start_ms: starts_at.timestamp_millis(),
            end_ms: ends_at.timestamp_millis(),
        },
        starts_at,
        ends_at,
    }
}

/// Inserts planned slots; slots that exist already (same site, campaign, start) are
/// left as they are, so repeating a plan is harmless.
pub async fn insert_planned(
    tx: &tokio_postgres::Transaction<'_>,
    site: SiteId,
    campaign: CampaignId,
    planned: &[PlannedSlot],
    capacity: Capacity,
) -> Result<Vec<SlotRow>> {
    let starts: Vec<DateTime<Utc>> = planned.iter().map(|p| p.starts_at).collect();
    let ends: Vec<DateTime<Utc>> = planned.iter().map(|p| p.ends_at).collect();
    let sql = format!(
        "INSERT INTO slots (site_id, campaign_id, starts_at, ends_at, capacity)
         SELECT $1, $2, s, e, $5 FROM unnest($3::timestamptz[], $4::timestamptz[]) AS t(s, e)
         ON CONFLICT (site_id, campaign_id, starts_at) DO NOTHING
         RETURNING {COLS}"
    );
    let cap = capacity.get() as i32;
    let rows = tx
        .query(&sql, &[&site.0, &campaign.0, &starts, &ends, &cap])
        .await?;
    Ok(rows.iter().map(from_row).collect())
}

pub async fn get(c: &impl GenericClient, id: SlotId) -> Result<Option<SlotRow>> {
    let sql = format!("SELECT {COLS} FROM slots WHERE id = $1");
    Ok(c.query_opt(&sql, &[&id.0]).await?.as_ref().map(from_row))
}

/// Takes one place in a slot, if it is open, in the future and not full.
pub async fn take_place(
    tx: &tokio_postgres::Transaction<'_>,
    id: SlotId,
    now: DateTime<Utc>,
) -> Result<SlotRow> {
    let sql = format!(
        "UPDATE slots SET booked = booked + 1, version = version + 1
         WHERE id = $1 AND booked < capacity AND NOT closed AND starts_at > $2
         RETURNING {COLS}"
    );
    if let Some(row) = tx.query_opt(&sql, &[&id.0, &now]).await? {
        return Ok(from_row(&row));
    }
    // Say why: the update matched nothing.
    match get(tx, id).await? {
        None => Err(BookingError::NotFound("slot")),
        Some(s) if s.state.closed => Err(BookingError::SlotClosed),
        Some(s) if s.starts_at <= now => Err(BookingError::SlotInPast),
        Some(_) => Err(BookingError::SlotFull),
    }
}

/// Locks the given slots, in id order so that concurrent batches never deadlock.
pub async fn lock_many(
    tx: &deadpool_postgres::Transaction<'_>,
    ids: &[SlotId],
) -> Result<Vec<SlotRow>> {
    let mut ids: Vec<i64> = ids.iter().map(|s| s.0).collect();
    ids.sort_unstable();
    ids.dedup();
    let sql = format!("SELECT {COLS} FROM slots WHERE id = ANY($1) ORDER BY id FOR UPDATE");
    let statement = tx.prepare_cached(&sql).await?;
    Ok(tx
        .query(&statement, &[&ids])
        .await?
        .iter()
        .map(from_row)
        .collect())
}

/// Takes `n` places in each slot (already locked and checked by the caller); the
/// CHECK on the table still refuses anything past capacity.
pub async fn take_places(
    tx: &deadpool_postgres::Transaction<'_>,
    taken: &[(SlotId, i32)],
) -> Result<Vec<SlotRow>> {
    let ids: Vec<i64> = taken.iter().map(|t| t.0 .0).collect();
    let ns: Vec<i32> = taken.iter().map(|t| t.1).collect();
    let sql = format!(
        "UPDATE slots SET booked = booked + d.n, version = version + 1
         FROM unnest($1::int8[], $2::int4[]) AS d(sid, n)
         WHERE slots.id = d.sid
         RETURNING {COLS}"
    );
    let statement = tx.prepare_cached(&sql).await?;
    Ok(tx
        .query(&statement, &[&ids, &ns])
        .await?
        .iter()
        .map(from_row)
        .collect())
}

/// Gives one place back (a cancel or the old side of a move).
pub async fn return_place(tx: &tokio_postgres::Transaction<'_>, id: SlotId) -> Result<SlotRow> {
    let sql = format!(
        "UPDATE slots SET booked = booked - 1, version = version + 1 WHERE id = $1 RETURNING {COLS}"
    );
    let row = tx.query_one(&sql, &[&id.0]).await?;
    Ok(from_row(&row))
}

pub async fn set_capacity(
    tx: &tokio_postgres::Transaction<'_>,
    id: SlotId,
    capacity: Capacity,
) -> Result<SlotRow> {
    let sql = format!(
        "UPDATE slots SET capacity = $2, version = version + 1
         WHERE id = $1 AND booked <= $2 RETURNING {COLS}"
    );
    let cap = capacity.get() as i32;
    if let Some(row) = tx.query_opt(&sql, &[&id.0, &cap]).await? {
        return Ok(from_row(&row));
    }
    match get(tx, id).await? {
        None => Err(BookingError::NotFound("slot")),
        Some(s) => Err(BookingError::CapacityBelowBooked {
            booked: s.state.booked,
        }),
    }
}

pub async fn close(tx: &tokio_postgres::Transaction<'_>, id: SlotId) -> Result<SlotRow> {
    let sql = format!(
        "UPDATE slots SET closed = true, version = version + 1 WHERE id = $1 RETURNING {COLS}"
    );
    tx.query_opt(&sql, &[&id.0])
        .await?
        .as_ref()
        .map(from_row)
        .ok_or(BookingError::NotFound("slot"))
}

/// Closes every slot of a site that has not started yet.
pub async fn close_future_of_site(
    tx: &tokio_postgres::Transaction<'_>,
    site: SiteId,
    now: DateTime<Utc>,
) -> Result<Vec<SlotRow>> {
    let sql = format!(
        "UPDATE slots SET closed = true, version = version + 1
         WHERE site_id = $1 AND starts_at > $2 AND NOT closed RETURNING {COLS}"
    );
    Ok(tx
        .query(&sql, &[&site.0, &now])
        .await?
        .iter()
        .map(from_row)
        .collect())
}

/// Slots that end after `after`: what the Redis mirror must hold.
pub async fn ending_after(c: &impl GenericClient, after: DateTime<Utc>) -> Result<Vec<SlotState>> {
    let sql = format!("SELECT {COLS} FROM slots WHERE ends_at > $1");
    Ok(c.query(&sql, &[&after])
        .await?
        .iter()
        .map(|r| from_row(r).state)
        .collect())
}

/// The version of every slot that ends after `after`: the periodic reconcile compares
/// them with what it mirrored before and reads only the slots that changed.
pub async fn versions_ending_after(
    c: &impl GenericClient,
    after: DateTime<Utc>,
) -> Result<Vec<(SlotId, i64)>> {
    Ok(c.query(
        "SELECT id, version FROM slots WHERE ends_at > $1",
        &[&after],
    )
    .await?
    .iter()
    .map(|r| (SlotId(r.get(0)), r.get(1)))
    .collect())
}

/// The states of the given slots (those that exist).
pub async fn states_of(c: &impl GenericClient, ids: &[SlotId]) -> Result<Vec<SlotState>> {
    let ids: Vec<i64> = ids.iter().map(|s| s.0).collect();
    let sql = format!("SELECT {COLS} FROM slots WHERE id = ANY($1)");
    Ok(c.query(&sql, &[&ids])
        .await?
        .iter()
        .map(|r| from_row(r).state)
        .collect())
}

/// Open slots that have not ended by `after`, and how many of them are full.
pub async fn fullness(c: &impl GenericClient, after: DateTime<Utc>) -> Result<(i64, i64)> {
    let row = c
        .query_one(
            "SELECT count(*), count(*) FILTER (WHERE booked >= capacity)
             FROM slots WHERE ends_at > $1 AND NOT closed",
            &[&after],
        )
        .await?;
    Ok((row.get(0), row.get(1)))
}
