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

/// The population register's partitions (migration V8: HASH (cpr)), by name. An
/// unpartitioned register is one part of its own.
pub async fn citizen_partitions(c: &impl GenericClient) -> Result<Vec<String>> {
    let names: Vec<String> = c
        .query(
            "SELECT k.relname::text FROM pg_inherits i JOIN pg_class k ON k.oid = i.inhrelid
              WHERE i.inhparent = 'citizens'::regclass ORDER BY k.relname",
            &[],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    Ok(if names.is_empty() {
        vec!["citizens".into()]
    } else {
        names
    })
}

/// One part of a cohort: the citizens of some of the register's partitions, so that
/// each part reads only its own tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    index: u8,
    tables: Vec<String>,
}

impl Part {
    /// Its place among the opening's parts (0-based).
    pub fn index(&self) -> u8 {
        self.index
    }

    /// The register's partitions dealt round-robin into at most `parts` parts (1 to 64,
    /// and no more than there are partitions).
    pub fn split(partitions: &[String], parts: u8) -> Vec<Part> {
        let n = usize::from(parts.clamp(1, 64)).min(partitions.len()).max(1);
        (0..n)
            .map(|i| Part {
                index: i as u8,
                tables: partitions.iter().skip(i).step_by(n).cloned().collect(),
            })
            .filter(|p| !p.tables.is_empty())
            .collect()
    }

    /// The part's citizens as one relation named `citizens`, which the cohort's
    /// conditions refer to.
    fn source(&self) -> String {
        let union = self
            .tables
            .iter()
            .map(|t| format!("SELECT * FROM {}", quote_ident(t)))
            .collect::<Vec<_>>()
            .join(" UNION ALL ");
        format!("({union}) citizens")
    }
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Invites every eligible citizen of one part not invited to this campaign before, in
/// the caller's transaction. Returns the CPR numbers invited.
///
/// One row per citizen: the invitation is the outbox entry of its letter, which the
/// notifier writes out later from the wave's cursor (migration V11). Rows go in CPR
/// order, so the primary key grows at its right edge instead of taking a million random
/// index inserts. A re-run after a crash invites only those still missing. The caller
/// holds [`lock_campaign_openings`], so no other opening inserts this campaign's
/// invitations meanwhile: that lets a plain anti-join replace `ON CONFLICT`, whose
/// speculative insertion cost almost as much again per row (the primary key still
/// refuses a duplicate).
pub async fn open_part(
    tx: &tokio_postgres::Transaction<'_>,
    wave: &Wave,
    cond: &Condition,
    part: &Part,
    now: DateTime<Utc>,
) -> Result<Vec<String>> {
    let (sql, mut params) = condition_sql(cond, 4);
    let mut all: Vec<Param> = vec![Box::new(wave.campaign_id), Box::new(wave.id), Box::new(now)];
    all.append(&mut params);
    let source = part.source();
    let rows = tx
        .query(
            &format!(
                "INSERT INTO invitations (campaign_id, cpr, wave_id, invited_at)
                 SELECT $1, cpr, $2, $3 FROM {source}
                  WHERE ({sql})
                    AND NOT EXISTS (SELECT 1 FROM invitations i
                                     WHERE i.campaign_id = $1 AND i.cpr = citizens.cpr)
                  ORDER BY cpr
                 RETURNING cpr"
            ),
            &refs(&all),
        )
        .await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// Serialises the openings of one campaign's waves (for the caller's transaction): two
/// waves of the same campaign opening at once could otherwise invite one citizen twice.
pub async fn lock_campaign_openings(
    tx: &tokio_postgres::Transaction<'_>,
    campaign: i64,
) -> Result<()> {
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtext('wave_open'), $1::int)",
        &[&(campaign as i32)],
    )
    .await?;
    Ok(())
}

/// How many citizens a wave has invited so far.
pub async fn invited_by(c: &impl GenericClient, wave: &Wave) -> Result<i64> {
    Ok(c.query_one(
        "SELECT count(*) FROM invitations WHERE campaign_id = $1 AND wave_id = $2",
        &[&wave.campaign_id, &wave.id],
    )
    .await?
    .get(0))
}

/// The CPR numbers a wave invited.
pub async fn wave_invitations(c: &impl GenericClient, wave: &Wave) -> Result<Vec<String>> {
    Ok(c.query(
        "SELECT cpr FROM invitations WHERE campaign_id = $1 AND wave_id = $2",
        &[&wave.campaign_id, &wave.id],
    )
    .await?
    .iter()
    .map(|r| r.get(0))
    .collect())
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
    wave: &Wave,
    now: DateTime<Utc>,
) -> Result<Vec<String>> {
    tx.execute(
        "UPDATE waves SET closed_at = COALESCE(closed_at, $2) WHERE id = $1",
        &[&wave.id, &now],
    )
    .await?;
    wave_invitations(tx, wave).await
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
    /// Letters not sent yet: those in the outbox (including those being retried) and
    /// those the notifier has still to write from the wave's invitations.
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
    /// Letters never written because the wave closed first (their invitation went
    /// with it).
    pub withdrawn: i64,
    /// Invited citizens with an active or attended booking in the campaign, each once.
    pub booked: i64,
}

pub async fn figures(c: &impl GenericClient, wave: &Wave) -> Result<WaveFigures> {
    let r = c
        .query_one(
            "SELECT
               (SELECT count(*) FROM invitations WHERE campaign_id = $2 AND wave_id = $1),
               count(*),
               count(*) FILTER (WHERE status = 'queued'),
               count(*) FILTER (WHERE status = 'delivered'),
               count(*) FILTER (WHERE status = 'delivered' AND channel = 'digital_post'),
               count(*) FILTER (WHERE status = 'delivered' AND channel = 'paper'),
               count(*) FILTER (WHERE nemsms_sent_at IS NOT NULL),
               count(*) FILTER (WHERE opened_at IS NOT NULL),
               count(*) FILTER (WHERE status = 'queued' AND last_error IS NOT NULL),
               count(*) FILTER (WHERE status = 'dead'),
               (SELECT count(*) FROM invitations i
                 WHERE i.campaign_id = $2 AND i.wave_id = $1
                   AND EXISTS (SELECT 1 FROM bookings b
                                WHERE b.campaign_id = i.campaign_id AND b.cpr = i.cpr
                                  AND b.status IN ('active', 'done')))
             FROM outbox WHERE wave_id = $1 AND kind = 'invitation'",
            &[&wave.id, &wave.campaign_id],
        )
        .await?;
    let (invited, written): (i64, i64) = (r.get(0), r.get(1));
    let unwritten = (invited - written).max(0);
    let (still_to_send, withdrawn) = if wave.closed_at.is_some() {
        (0, unwritten)
    } else {
        (unwritten, 0)
    };
    Ok(WaveFigures {
        invited,
        queued: r.get::<_, i64>(2) + still_to_send,
        delivered: r.get(3),
        digital_post: r.get(4),
        paper: r.get(5),
        nemsms: r.get(6),
        opened: r.get(7),
        retrying: r.get(8),
        failed: r.get(9),
        withdrawn,
        booked: r.get(10),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("citizens_p{i}")).collect()
    }

    #[test]
    fn parts_cover_every_partition_once() {
        for (partitions, parts, expected) in
            [(8, 4, 4), (8, 3, 3), (8, 64, 8), (8, 0, 1), (1, 4, 1)]
        {
            let split = Part::split(&names(partitions), parts);
            assert_eq!(
                split.len(),
                expected,
                "{partitions} partitions in {parts} parts"
            );
            let mut all: Vec<String> = split.iter().flat_map(|p| p.tables.clone()).collect();
            all.sort();
            let mut want = names(partitions);
            want.sort();
            assert_eq!(all, want);
            let indexes: Vec<u8> = split.iter().map(|p| p.index).collect();
            assert_eq!(indexes, (0..expected as u8).collect::<Vec<_>>());
        }
    }

    #[test]
    fn a_part_reads_its_tables_as_citizens() {
        let split = Part::split(&names(8), 4);
        assert_eq!(
            split[1].source(),
            r#"(SELECT * FROM "citizens_p1" UNION ALL SELECT * FROM "citizens_p5") citizens"#
        );
    }
}
