//! Cohorts, waves and invitations. Opening a wave is one set-based statement: it
//! invites every eligible citizen of the cohort for the campaign and writes their
//! invitation letters into the outbox in the same transaction.

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio_postgres::types::ToSql;
use tokio_postgres::GenericClient;
use utoipa::ToSchema;

use crate::domain::eligibility::{Condition, Criteria};
use crate::domain::CampaignId;
use crate::error::{BookingError, Result};

type Param = Box<dyn ToSql + Sync + Send>;

/// The SQL condition over `citizens` for a cohort, with its parameters numbered from
/// `$first`.
fn condition_sql(c: &Condition, first: usize) -> (String, Vec<Param>) {
    let mut parts = Vec::new();
    let mut params: Vec<Param> = Vec::new();
    let mut next = |p: Param, sql: &str, params: &mut Vec<Param>| {
        params.push(p);
        parts.push(sql.replace('?', &format!("${}", first + params.len() - 1)));
    };
    if let Some(d) = c.born_on_or_before {
        next(Box::new(d), "birth_date <= ?", &mut params);
    }
    if let Some(d) = c.born_after {
        next(Box::new(d), "birth_date > ?", &mut params);
    }
    if let Some(g) = &c.priority_groups {
        next(
            Box::new(g.clone()),
            "priority_groups && ?::text[]",
            &mut params,
        );
    }
    if let Some(m) = &c.municipalities {
        next(
            Box::new(m.clone()),
            "municipality_code = ANY(?::smallint[])",
            &mut params,
        );
    }
    if let Some((dose, given_by)) = c.latest_dose {
        // Two parameters: `?` is replaced by one number, so number them here.
        params.push(Box::new(dose));
        let n = first + params.len() - 1;
        params.push(Box::new(given_by));
        let d = n + 1;
        parts.push(format!(
            "EXISTS (SELECT 1 FROM register_vaccinations v
                     WHERE v.cpr = citizens.cpr AND v.status = 'active'
                       AND v.dose_number = ${n} AND v.vaccinated_on <= ${d})
             AND NOT EXISTS (SELECT 1 FROM register_vaccinations v
                     WHERE v.cpr = citizens.cpr AND v.status = 'active'
                       AND v.dose_number > ${n})"
        ));
    }
    if parts.is_empty() {
        parts.push("false".into());
    }
    (parts.join(" AND "), params)
}

fn refs(params: &[Param]) -> Vec<&(dyn ToSql + Sync)> {
    params
        .iter()
        .map(|p| p.as_ref() as &(dyn ToSql + Sync))
        .collect()
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Cohort {
    pub id: i64,
    pub name: String,
    pub criteria: Criteria,
    pub created_at: DateTime<Utc>,
}

fn cohort_from_row(r: &tokio_postgres::Row) -> Result<Cohort> {
    Ok(Cohort {
        id: r.get("id"),
        name: r.get("name"),
        criteria: serde_json::from_value(r.get("criteria"))
            .map_err(|e| BookingError::Internal(e.into()))?,
        created_at: r.get("created_at"),
    })
}

pub async fn insert_cohort(
    c: &impl GenericClient,
    name: &str,
    criteria: &Criteria,
) -> Result<Cohort> {
    let json = serde_json::to_value(criteria).map_err(|e| BookingError::Internal(e.into()))?;
    let row = c
        .query_one(
            "INSERT INTO cohorts (name, criteria) VALUES ($1, $2) RETURNING id, name, criteria, created_at",
            &[&name, &json],
        )
        .await?;
    cohort_from_row(&row)
}

pub async fn cohort(c: &impl GenericClient, id: i64) -> Result<Cohort> {
    let row = c
        .query_opt(
            "SELECT id, name, criteria, created_at FROM cohorts WHERE id = $1",
            &[&id],
        )
        .await?
        .ok_or(BookingError::NotFound("cohort"))?;
    cohort_from_row(&row)
}

pub async fn cohorts(c: &impl GenericClient) -> Result<Vec<Cohort>> {
    c.query(
        "SELECT id, name, criteria, created_at FROM cohorts ORDER BY id",
        &[],
    )
    .await?
    .iter()
    .map(cohort_from_row)
    .collect()
}

/// How many citizens a condition selects.
pub async fn count_eligible(c: &impl GenericClient, cond: &Condition) -> Result<i64> {
    let (sql, params) = condition_sql(cond, 1);
    Ok(c.query_one(
        &format!("SELECT count(*) FROM citizens WHERE {sql}"),
        &refs(&params),
    )
    .await?
    .get(0))
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Wave {
    pub id: i64,
    pub cohort_id: i64,
    pub campaign_id: i64,
    pub opens_at: DateTime<Utc>,
    pub opened_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub invited: i32,
}

const WAVE_COLS: &str = "id, cohort_id, campaign_id, opens_at, opened_at, closed_at, invited";

fn wave_from_row(r: &tokio_postgres::Row) -> Wave {
    Wave {
        id: r.get("id"),
        cohort_id: r.get("cohort_id"),
        campaign_id: r.get("campaign_id"),
        opens_at: r.get("opens_at"),
        opened_at: r.get("opened_at"),
        closed_at: r.get("closed_at"),
        invited: r.get("invited"),
    }
}

pub async fn insert_wave(
    c: &impl GenericClient,
    cohort: i64,
    campaign: CampaignId,
    opens_at: DateTime<Utc>,
) -> Result<Wave> {
    let row = c
        .query_one(
            &format!(
                "INSERT INTO waves (cohort_id, campaign_id, opens_at) VALUES ($1, $2, $3) RETURNING {WAVE_COLS}"
            ),
            &[&cohort, &campaign.0, &opens_at],
        )
        .await?;
    Ok(wave_from_row(&row))
}

pub async fn wave(c: &impl GenericClient, id: i64) -> Result<Wave> {
    c.query_opt(
        &format!("SELECT {WAVE_COLS} FROM waves WHERE id = $1"),
        &[&id],
    )
    .await?
    .as_ref()
    .map(wave_from_row)
    .ok_or(BookingError::NotFound("wave"))
}

pub async fn waves(c: &impl GenericClient) -> Result<Vec<Wave>> {
    Ok(
        c.query(&format!("SELECT {WAVE_COLS} FROM waves ORDER BY id"), &[])
            .await?
            .iter()
            .map(wave_from_row)
            .collect(),
    )
}

/// Locks a wave that is due to open and not opened yet; `None` if another instance has
/// it or it is not due.
pub async fn lock_due(
    tx: &tokio_postgres::Transaction<'_>,
    now: DateTime<Utc>,
) -> Result<Option<Wave>> {
    Ok(tx
        .query_opt(
            &format!(
                "SELECT {WAVE_COLS} FROM waves WHERE opened_at IS NULL AND closed_at IS NULL
                 AND opens_at <= $1 ORDER BY opens_at LIMIT 1 FOR NO KEY UPDATE SKIP LOCKED"
            ),
            &[&now],
        )
        .await?
        .as_ref()
        .map(wave_from_row))
}

pub async fn lock_wave(tx: &tokio_postgres::Transaction<'_>, id: i64) -> Result<Wave> {
    tx.query_opt(
        // NO KEY UPDATE: only non-key columns change, so rows referring to this one
        // may still be written by others meanwhile.
        &format!("SELECT {WAVE_COLS} FROM waves WHERE id = $1 FOR NO KEY UPDATE"),
        &[&id],
    )
    .await?
    .as_ref()
    .map(wave_from_row)
    .ok_or(BookingError::NotFound("wave"))
}

/// One part of a cohort: the citizens whose `hashtext(cpr)` falls in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    index: i32,
    of: i32,
}

impl Part {
    /// Part `index` of `of` (1 to 64 parts; `index < of`).
    pub fn new(index: u8, of: u8) -> Option<Self> {
        ((1..=64).contains(&of) && index < of).then_some(Self {
            index: i32::from(index),
            of: i32::from(of),
        })
    }
}

/// Invites every eligible citizen of one part not invited to this campaign before and
/// queues their letters, in the caller's transaction. Returns the CPR numbers invited.
///
/// Rows go in CPR order and the letters get time-ordered ids (UUID version 7: the
/// opening's millisecond, then the wave, a per-opening salt, the part and the row
/// number), so both primary keys grow at their right edge instead of taking a million
/// random index inserts. A re-run after a crash invites only those still missing:
/// `ON CONFLICT DO NOTHING`, and only new invitations get a letter.
pub async fn open_part(
    tx: &tokio_postgres::Transaction<'_>,
    wave: &Wave,
    cond: &Condition,
    part: Part,
    now: DateTime<Utc>,
) -> Result<Vec<String>> {
    let (sql, mut params) = condition_sql(cond, 6);
    let mut all: Vec<Param> = vec![
        Box::new(wave.campaign_id),
        Box::new(wave.id),
        Box::new(now),
        Box::new(part.of),
        Box::new(part.index),
    ];
    all.append(&mut params);
    let rows = tx
        .query(
            &format!(
                "WITH invited AS (
                     INSERT INTO invitations (campaign_id, cpr, wave_id, invited_at)
                     SELECT $1, cpr, $2, $3 FROM citizens
                      WHERE ({sql}) AND abs(hashtext(cpr) % $4) = $5
                      ORDER BY cpr
                     ON CONFLICT (campaign_id, cpr) DO NOTHING
                     RETURNING cpr
                 ), numbered AS (
                     SELECT cpr, row_number() OVER () AS n FROM invited
                 ), letters AS (
                     INSERT INTO outbox (id, kind, cpr, payload, wave_id, created_at, next_attempt_at)
                     SELECT (lpad(to_hex((extract(epoch FROM $3::timestamptz) * 1000)::bigint), 12, '0')
                             || '7' || lpad(to_hex($2::bigint & 4095), 3, '0')
                             || to_hex((-9223372036854775808)::bigint
                                       | ((SELECT (random() * 16383)::bigint) << 48)
                                       | ($5::bigint << 40) | n))::uuid,
                            'invitation', cpr,
                            jsonb_build_object('wave_id', $2::bigint, 'campaign_id', $1::bigint), $2, $3, $3
                     FROM numbered
                     RETURNING cpr
                 )
                 SELECT cpr FROM letters"
            ),
            &refs(&all),
        )
        .await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// How many citizens a wave has invited so far.
pub async fn invited_by(c: &impl GenericClient, wave: i64) -> Result<i64> {
    Ok(c.query_one(
        "SELECT count(*) FROM invitations WHERE wave_id = $1",
        &[&wave],
    )
    .await?
    .get(0))
}

/// The CPR numbers a wave invited.
pub async fn wave_invitations(c: &impl GenericClient, wave: i64) -> Result<Vec<String>> {
    Ok(
        c.query("SELECT cpr FROM invitations WHERE wave_id = $1", &[&wave])
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect(),
    )
}

/// Marks the wave opened with the number of citizens it invited (all parts, and any
/// earlier interrupted attempt).
pub async fn mark_opened(
    tx: &tokio_postgres::Transaction<'_>,
    wave: &Wave,
    now: DateTime<Utc>,
    invited: i64,
) -> Result<()> {
    tx.execute(
        "UPDATE waves SET opened_at = $2, invited = $3 WHERE id = $1",
        &[&wave.id, &now, &(invited as i32)],
    )
    .await?;
    Ok(())
}

/// Closes a wave; returns the CPR numbers whose invitation it withdraws (those who
/// have not booked keep no right to book in this campaign).
pub async fn close(
    tx: &tokio_postgres::Transaction<'_>,
    id: i64,
    now: DateTime<Utc>,
) -> Result<Vec<String>> {
    let n = tx
        .execute(
            "UPDATE waves SET closed_at = COALESCE(closed_at, $2) WHERE id = $1",
            &[&id, &now],
        )
        .await?;
    if n == 0 {
        return Err(BookingError::NotFound("wave"));
    }
    Ok(tx
        .query("SELECT cpr FROM invitations WHERE wave_id = $1", &[&id])
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect())
}

/// Every live invitation (wave open, not closed): what the Redis gate must know.
pub async fn live_invitations(c: &impl GenericClient) -> Result<Vec<(String, i64)>> {
    Ok(c.query(
        "SELECT i.cpr, i.campaign_id FROM invitations i JOIN waves w ON w.id = i.wave_id
         WHERE w.closed_at IS NULL",
        &[],
    )
    .await?
    .iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect())
}

/// The campaigns a citizen is invited to now.
pub async fn invited_campaigns(c: &impl GenericClient, cpr: &str) -> Result<Vec<i64>> {
    Ok(c.query(
        "SELECT i.campaign_id FROM invitations i JOIN waves w ON w.id = i.wave_id
         WHERE i.cpr = $1 AND w.closed_at IS NULL ORDER BY 1",
        &[&cpr],
    )
    .await?
    .iter()
    .map(|r| r.get(0))
    .collect())
}

/// Per-wave figures for the authority: letters by state and channel, and uptake.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WaveFigures {
    /// Citizens this wave invited (those invited to the campaign by an earlier wave
    /// keep that invitation and are not counted again).
    pub invited: i64,
    /// Letters not sent yet (including those being retried).
    pub queued: i64,
    pub delivered: i64,
    /// Delivered to Digital Post.
    pub digital_post: i64,
    /// Delivered into a paper print batch.
    pub paper: i64,
    /// Extra NemSMS notices sent.
    pub nemsms: i64,
    /// Opened in Digital Post.
    pub opened: i64,
    /// Still queued after a failed attempt.
    pub retrying: i64,
    /// Dead-lettered: given up after the last attempt, with the reason kept.
    pub failed: i64,
    /// Invited citizens with an active or attended booking in the campaign.
    pub booked: i64,
}

pub async fn figures(c: &impl GenericClient, wave: &Wave) -> Result<WaveFigures> {
    let r = c
        .query_one(
            "SELECT
               (SELECT count(*) FROM invitations WHERE wave_id = $1),
               count(*) FILTER (WHERE status = 'queued'),
               count(*) FILTER (WHERE status = 'delivered'),
               count(*) FILTER (WHERE status = 'delivered' AND channel = 'digital_post'),
               count(*) FILTER (WHERE status = 'delivered' AND channel = 'paper'),
               count(*) FILTER (WHERE nemsms_sent_at IS NOT NULL),
               count(*) FILTER (WHERE opened_at IS NOT NULL),
               count(*) FILTER (WHERE status = 'queued' AND last_error IS NOT NULL),
               count(*) FILTER (WHERE status = 'dead'),
               (SELECT count(*) FROM invitations i JOIN bookings b
                  ON b.cpr = i.cpr AND b.campaign_id = i.campaign_id AND b.status IN ('active', 'done')
                WHERE i.wave_id = $1)
             FROM outbox WHERE wave_id = $1 AND kind = 'invitation'",
            &[&wave.id],
        )
        .await?;
    Ok(WaveFigures {
        invited: r.get(0),
        queued: r.get(1),
        delivered: r.get(2),
        digital_post: r.get(3),
        paper: r.get(4),
        nemsms: r.get(5),
        opened: r.get(6),
        retrying: r.get(7),
        failed: r.get(8),
        booked: r.get(9),
    })
}
