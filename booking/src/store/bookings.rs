//! Booking rows, partitioned by campaign (migration V8). One active booking per citizen
//! and campaign is the partial unique index `one_active_booking_per_campaign`; a hold
//! confirms at most once (`bookings_hold_id_key`).

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio_postgres::GenericClient;
use utoipa::ToSchema;

use crate::domain::{BookingId, CampaignId, SlotId};
use crate::error::{BookingError, Result};

#[derive(Debug, Clone)]
pub struct BookingRow {
    pub id: BookingId,
    pub slot: SlotId,
    pub campaign: CampaignId,
    pub cpr: String,
    pub hold_id: String,
    pub status: String,
}

fn from_row(r: &tokio_postgres::Row) -> BookingRow {
    BookingRow {
        id: BookingId(r.get("id")),
        slot: SlotId(r.get("slot_id")),
        campaign: CampaignId(r.get("campaign_id")),
        cpr: r.get("cpr"),
        hold_id: r.get("hold_id"),
        status: r.get("status"),
    }
}

const COLS: &str = "id, slot_id, campaign_id, cpr, hold_id, status";

/// A booking as its citizen sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BookingView {
    #[schema(value_type = String, format = Uuid)]
    pub id: BookingId,
    /// `active`, `cancelled`, `moved` or `done`.
    pub status: String,
    #[schema(value_type = i64)]
    pub slot_id: SlotId,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub campaign_code: String,
    pub campaign_name: String,
    pub site_id: i64,
    pub site_name: String,
    pub site_address: String,
    pub site_postcode: String,
    /// The booking this one was moved to.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub moved_to: Option<BookingId>,
    /// Set when a helper booked on the citizen's behalf.
    pub booked_by_helper: bool,
    pub created_at: DateTime<Utc>,
}

const VIEW_SELECT: &str = "
    SELECT b.id, b.status, b.slot_id, s.starts_at, s.ends_at, c.code, c.name,
           si.id AS site_id, si.name AS site_name, si.address, si.postcode, b.moved_to,
           b.booked_by IS NOT NULL AS by_helper, b.created_at
    FROM bookings b
    JOIN slots s ON s.id = b.slot_id
    JOIN campaigns c ON c.id = b.campaign_id
    JOIN sites si ON si.id = s.site_id";

fn view_from_row(r: &tokio_postgres::Row) -> BookingView {
    BookingView {
        id: BookingId(r.get(0)),
        status: r.get(1),
        slot_id: SlotId(r.get(2)),
        starts_at: r.get(3),
        ends_at: r.get(4),
        campaign_code: r.get(5),
        campaign_name: r.get(6),
        site_id: r.get(7),
        site_name: r.get(8),
        site_address: r.get(9),
        site_postcode: r.get(10),
        moved_to: r.get::<_, Option<uuid::Uuid>>(11).map(BookingId),
        booked_by_helper: r.get(12),
        created_at: r.get(13),
    }
}

/// Why a booking could not be inserted.
#[derive(Debug)]
pub enum InsertConflict {
    /// The citizen has an active booking in this campaign.
    AlreadyBooked,
    /// This hold was confirmed before (a retry).
    HoldUsed,
}

pub struct NewBooking<'a> {
    pub id: BookingId,
    pub slot: SlotId,
    pub campaign: CampaignId,
    pub cpr: &'a str,
    pub hold_id: &'a str,
    pub booked_by: Option<&'a str>,
    pub now: DateTime<Utc>,
}

/// Inserts one booking, or says which unique rule it would break. The rules' indexes are
/// per partition (and named so), so the conflict is told by looking, not by name: a
/// skipped insert whose hold has a booking is a retried confirm, any other is a second
/// active booking in the campaign.
pub async fn insert(
    tx: &tokio_postgres::Transaction<'_>,
    b: &NewBooking<'_>,
) -> Result<std::result::Result<(), InsertConflict>> {
    let inserted = tx
        .execute(
            "INSERT INTO bookings (id, slot_id, campaign_id, cpr, hold_id, status, booked_by,
                                   created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, 'active', $6, $7, $7)
             ON CONFLICT DO NOTHING",
            &[
                &b.id.0,
                &b.slot.0,
                &b.campaign.0,
                &b.cpr,
                &b.hold_id,
                &b.booked_by,
                &b.now,
            ],
        )
        .await?;
    if inserted == 1 {
        return Ok(Ok(()));
    }
    Ok(Err(if by_hold(tx, b.hold_id).await?.is_some() {
        InsertConflict::HoldUsed
    } else {
        InsertConflict::AlreadyBooked
    }))
}

/// Inserts many bookings in one statement. Rows that would break a unique rule (a
/// second active booking in a campaign, a hold confirmed twice) are skipped; the ids of
/// the rows inserted are returned. Rows go in (campaign, CPR, hold) order, the same in
/// every batch, so two batches waiting on each other's rows cannot deadlock.
pub async fn insert_many(
    tx: &deadpool_postgres::Transaction<'_>,
    rows: &[NewBooking<'_>],
) -> Result<Vec<BookingId>> {
    let mut order: Vec<&NewBooking<'_>> = rows.iter().collect();
    order.sort_by(|a, b| (a.campaign, a.cpr, a.hold_id).cmp(&(b.campaign, b.cpr, b.hold_id)));
    let ids: Vec<uuid::Uuid> = order.iter().map(|b| b.id.0).collect();
    let slots: Vec<i64> = order.iter().map(|b| b.slot.0).collect();
    let campaigns: Vec<i64> = order.iter().map(|b| b.campaign.0).collect();
    let cprs: Vec<&str> = order.iter().map(|b| b.cpr).collect();
    let holds: Vec<&str> = order.iter().map(|b| b.hold_id).collect();
    let by: Vec<Option<&str>> = order.iter().map(|b| b.booked_by).collect();
    let nows: Vec<DateTime<Utc>> = order.iter().map(|b| b.now).collect();
    let statement = tx
        .prepare_cached(
            "INSERT INTO bookings (id, slot_id, campaign_id, cpr, hold_id, status, booked_by,
                                   created_at, updated_at)
             SELECT id, slot_id, campaign_id, cpr, hold_id, 'active', booked_by, at, at
             FROM unnest($1::uuid[], $2::int8[], $3::int8[], $4::text[], $5::text[], $6::text[],
                         $7::timestamptz[])
                  WITH ORDINALITY AS t(id, slot_id, campaign_id, cpr, hold_id, booked_by, at, n)
             ORDER BY n
             ON CONFLICT DO NOTHING
             RETURNING id",
        )
        .await?;
    let inserted = tx
        .query(
            &statement,
            &[&ids, &slots, &campaigns, &cprs, &holds, &by, &nows],
        )
        .await?;
    Ok(inserted.iter().map(|r| BookingId(r.get(0))).collect())
}

/// Which of these holds were confirmed already.
pub async fn confirmed_holds(
    c: &impl GenericClient,
    holds: &[&str],
) -> Result<std::collections::HashSet<String>> {
    Ok(c.query(
        "SELECT hold_id FROM bookings WHERE hold_id = ANY($1)",
        &[&holds],
    )
    .await?
    .iter()
    .map(|r| r.get(0))
    .collect())
}

pub async fn by_hold(c: &impl GenericClient, hold_id: &str) -> Result<Option<BookingRow>> {
    let sql = format!("SELECT {COLS} FROM bookings WHERE hold_id = $1");
    Ok(c.query_opt(&sql, &[&hold_id]).await?.as_ref().map(from_row))
}

/// Locks a booking row for the rest of the transaction.
pub async fn lock(
    tx: &tokio_postgres::Transaction<'_>,
    id: BookingId,
) -> Result<Option<BookingRow>> {
    let sql = format!("SELECT {COLS} FROM bookings WHERE id = $1 FOR UPDATE");
    Ok(tx.query_opt(&sql, &[&id.0]).await?.as_ref().map(from_row))
}

pub async fn set_status(
    tx: &tokio_postgres::Transaction<'_>,
    id: BookingId,
    status: &str,
    moved_to: Option<BookingId>,
) -> Result<()> {
    tx.execute(
        "UPDATE bookings SET status = $2, moved_to = $3, updated_at = now() WHERE id = $1",
        &[&id.0, &status, &moved_to.map(|m| m.0)],
    )
    .await?;
    Ok(())
}

pub async fn view(c: &impl GenericClient, id: BookingId) -> Result<BookingView> {
    let sql = format!("{VIEW_SELECT} WHERE b.id = $1");
    c.query_opt(&sql, &[&id.0])
        .await?
        .as_ref()
        .map(view_from_row)
        .ok_or(BookingError::NotFound("booking"))
}

/// A citizen's bookings, newest appointment first.
pub async fn views_of(c: &impl GenericClient, cpr: &str) -> Result<Vec<BookingView>> {
    let sql =
        format!("{VIEW_SELECT} WHERE b.cpr = $1 ORDER BY s.starts_at DESC, b.created_at DESC");
    Ok(c.query(&sql, &[&cpr])
        .await?
        .iter()
        .map(view_from_row)
        .collect())
}

/// Holds confirmed since `since`: Redis may still count them as live holds if a
/// process died between its PostgreSQL commit and its Redis step.
pub async fn holds_confirmed_since(
    c: &impl GenericClient,
    since: DateTime<Utc>,
) -> Result<Vec<String>> {
    Ok(c.query(
        "SELECT hold_id FROM bookings WHERE created_at > $1",
        &[&since],
    )
    .await?
    .iter()
    .map(|r| r.get(0))
    .collect())
}
