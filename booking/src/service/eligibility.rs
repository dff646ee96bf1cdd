//! Eligibility: the population extract, cohorts, waves and the invitation gate.
//!
//! Opening a wave commits invitations and letters in PostgreSQL first, then tells Redis
//! who may now hold slots of the campaign; if Redis is lost, the mirror rebuild reloads
//! every live invitation, so the gate never opens for someone not invited and never
//! stays shut for someone who is (beyond the rebuild).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Acting, Service};
use crate::domain::eligibility::Criteria;
use crate::domain::population::{CitizenRecord, Generator, CSV_HEADER};
use crate::error::{BookingError, Result};
use crate::store::waves::{self, Cohort, Wave, WaveFigures};
use crate::store::{campaigns, population};

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCohort {
    pub name: String,
    pub criteria: Criteria,
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWave {
    pub cohort_id: i64,
    /// Code of an invitation campaign.
    pub campaign: String,
    /// When to open; now when absent or in the past.
    pub opens_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WaveDetail {
    pub wave: Wave,
    pub figures: WaveFigures,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Eligibility {
    /// Campaigns anyone may book.
    pub open: Vec<String>,
    /// Invitation campaigns this citizen is invited to.
    pub invited: Vec<String>,
}

const MAX_REPORTED_ERRORS: usize = 20;

impl Service {
    /// Imports a population CSV (header line first). All or nothing: one bad line and
    /// nothing changes; the error names every bad line (up to 20) and why.
    pub async fn import_population(&self, csv_body: &[u8]) -> Result<u64> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .from_reader(csv_body);
        let header: Vec<String> = reader
            .headers()
            .map_err(|e| BookingError::Invalid(format!("cannot read the CSV header: {e}")))?
            .iter()
            .map(|h| h.trim().to_owned())
            .collect();
        if header != CSV_HEADER {
            return Err(BookingError::Invalid(format!(
                "the first line must be: {}",
                CSV_HEADER.join(",")
            )));
        }
        let mut records = Vec::new();
        let mut errors = Vec::new();
        for (i, row) in reader.records().enumerate() {
            let line = i + 2;
            let parsed = row.map_err(|e| format!("line {line}: {e}")).and_then(|r| {
                let fields: Vec<&str> = r.iter().collect();
                CitizenRecord::from_fields(&fields).map_err(|e| format!("line {line}: {e}"))
            });
            match parsed {
                Ok(r) => records.push(r),
                Err(e) if errors.len() < MAX_REPORTED_ERRORS => errors.push(e),
                Err(_) => {}
            }
        }
        if !errors.is_empty() {
            return Err(BookingError::Invalid(format!(
                "nothing was imported: {}",
                errors.join("; ")
            )));
        }
        if records.is_empty() {
            return Err(BookingError::Invalid("the file has no citizens".into()));
        }
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let n = population::load(&tx, records.into_iter()).await?;
        tx.commit().await?;
        Ok(n)
    }

    /// The local (Copenhagen) date that "days ago" criteria count back from.
    fn today(&self) -> chrono::NaiveDate {
        crate::domain::slotgen::local_date(self.clock.now())
    }

    /// Loads `count` synthetic citizens (reproducible for a seed).
    pub async fn generate_population(&self, count: usize, seed: u64) -> Result<u64> {
        let mut generator = Generator::new(seed, self.today());
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let n = population::load(&tx, (0..count).map(|_| generator.next_citizen())).await?;
        tx.commit().await?;
        Ok(n)
    }

    pub async fn create_cohort(&self, new: &NewCohort) -> Result<Cohort> {
        let name = new.name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(BookingError::Invalid(
                "name must be 1-200 characters".into(),
            ));
        }
        new.criteria
            .condition(self.today())
            .map_err(|e| BookingError::Invalid(e.to_string()))?;
        waves::insert_cohort(&**self.client().await?, name, &new.criteria).await
    }

    pub async fn list_cohorts(&self) -> Result<Vec<Cohort>> {
        waves::cohorts(&**self.client().await?).await
    }

    /// How many citizens the criteria select now: a count over the population (and the
    /// vaccination register), from the read replica. An estimate before opening; the
    /// opening itself selects on the primary.
    pub async fn preview(&self, criteria: &Criteria) -> Result<i64> {
        let cond = criteria
            .condition(self.today())
            .map_err(|e| BookingError::Invalid(e.to_string()))?;
        waves::count_eligible(&**self.read_client().await?, &cond).await
    }

    /// The count of a saved cohort. The cohort itself is read from the primary: the
    /// console asks for it right after creating it, before a replica may have it.
    pub async fn cohort_preview(&self, id: i64) -> Result<i64> {
        let cohort = waves::cohort(&**self.client().await?, id).await?;
        self.preview(&cohort.criteria).await
    }

    pub async fn create_wave(&self, new: &NewWave) -> Result<Wave> {
        let client = self.client().await?;
        let all = campaigns::list(&**client).await?;
        let campaign = all
            .iter()
            .find(|c| c.code == new.campaign)
            .ok_or_else(|| BookingError::UnknownCampaign(new.campaign.clone()))?;
        if campaign.access != "invitation" {
            return Err(BookingError::Invalid(
                "waves are for invitation campaigns; this one is open to all".into(),
            ));
        }
        waves::cohort(&**client, new.cohort_id).await?;
        let now = self.clock.now();
        let opens_at = new.opens_at.unwrap_or(now);
        let wave = waves::insert_wave(&**client, new.cohort_id, campaign.id, opens_at).await?;
        drop(client);
        if opens_at <= now {
            self.open_wave(wave.id).await
        } else {
            Ok(wave)
        }
    }

    /// Opens a wave (once; opening an open wave changes nothing).
    pub async fn open_wave(&self, id: i64) -> Result<Wave> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let wave = waves::lock_wave(&tx, id).await?;
        if wave.opened_at.is_some() || wave.closed_at.is_some() {
            return Ok(wave);
        }
        self.open_locked(tx, wave).await
    }

    /// Opens a wave whose row `tx` holds locked: the cohort's parts are invited at once,
    /// each in its own transaction, then the wave is marked opened (and the notifier
    /// starts writing its letters). A crash part-way leaves the wave unopened with some parts
    /// committed; the next attempt (the due-wave timer) invites only those still
    /// missing, and the start-up reload puts every committed invitation into the gate.
    async fn open_locked(
        &self,
        tx: deadpool_postgres::Transaction<'_>,
        wave: Wave,
    ) -> Result<Wave> {
        let cohort = waves::cohort(&*tx, wave.cohort_id).await?;
        let cond = cohort
            .criteria
            .condition(self.today())
            .map_err(|e| BookingError::Invalid(e.to_string()))?;
        let started = std::time::Instant::now();
        let now = self.clock.now();
        waves::lock_campaign_openings(&tx, wave.campaign_id).await?;
        let partitions = waves::citizen_partitions(&*tx).await?;
        let parts = waves::Part::split(&partitions, self.settings().wave_open_parts);
        // Counted under the wave's lock: what an interrupted earlier attempt committed.
        let earlier = waves::invited_by(&*tx, &wave).await?;
        let opened = futures::future::try_join_all(
            parts
                .iter()
                .map(|part| self.open_part(&wave, &cond, part, now)),
        )
        .await?;
        let invited_now: usize = opened.iter().sum();
        let invited = earlier + invited_now as i64;
        waves::mark_opened(&tx, &wave, now, invited).await?;
        tx.commit().await?;
        if earlier > 0 {
            // An earlier attempt committed parts but may have died before their gate
            // was written (and its process may never restart to reload it).
            let all = waves::wave_invitations(&**self.client().await?, &wave).await?;
            self.gate(&all, wave.campaign_id).await?;
        }
        metrics::counter!("booking_invitations_total").increment(invited_now as u64);
        tracing::info!(
            wave = wave.id,
            invited,
            parts = parts.len(),
            ms = started.elapsed().as_millis() as u64,
            "wave opened"
        );
        waves::wave(&**self.client().await?, wave.id).await
    }

    /// One part of an opening: PostgreSQL commits first, then the gate lets them in.
    async fn open_part(
        &self,
        wave: &Wave,
        cond: &crate::domain::eligibility::Condition,
        part: &waves::Part,
        now: DateTime<Utc>,
    ) -> Result<usize> {
        let started = std::time::Instant::now();
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let invited = waves::open_part(&tx, wave, cond, part, now).await?;
        tx.commit().await?;
        drop(client);
        let committed = started.elapsed();
        let entries = self.gate_entries(&invited, wave.campaign_id);
        let pseudonymised = started.elapsed();
        self.hot.invite(&entries).await?;
        // Where an opening's time goes, part by part: PostgreSQL, the pseudonyms, Redis.
        let ms = |d: std::time::Duration| d.as_millis() as u64;
        tracing::info!(
            wave = wave.id,
            part = part.index(),
            invited = invited.len(),
            sql_ms = ms(committed),
            pseudonym_ms = ms(pseudonymised - committed),
            redis_ms = ms(started.elapsed() - pseudonymised),
            "wave part opened"
        );
        Ok(invited.len())
    }

    /// Lets these citizens hold slots of the campaign (Redis, by pseudonym).
    async fn gate(&self, cprs: &[String], campaign: i64) -> Result<()> {
        self.hot.invite(&self.gate_entries(cprs, campaign)).await?;
        Ok(())
    }

    /// The Redis gate's entries for these citizens: (pseudonym, campaign).
    fn gate_entries(&self, cprs: &[String], campaign: i64) -> Vec<(String, i64)> {
        cprs.iter()
            .filter_map(|c| identity::Cpr::parse(c).ok())
            .map(|c| (self.pseudonym(&c).as_str().to_owned(), campaign))
            .collect()
    }

    /// Opens every wave whose time has come (run on a timer; safe on many instances).
    pub async fn open_due_waves(&self) -> Result<usize> {
        let mut opened = 0;
        loop {
            let mut client = self.client().await?;
            let tx = client.transaction().await?;
            let Some(wave) = waves::lock_due(&tx, self.clock.now()).await? else {
                return Ok(opened);
            };
            self.open_locked(tx, wave).await?;
            opened += 1;
        }
    }

    /// Closes a wave: its invitees who have not booked can no longer hold slots.
    pub async fn close_wave(&self, id: i64) -> Result<Wave> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let wave = waves::lock_wave(&tx, id).await?;
        let invited = waves::close(&tx, &wave, self.clock.now()).await?;
        tx.commit().await?;
        self.hot
            .uninvite(&self.gate_entries(&invited, wave.campaign_id))
            .await?;
        waves::wave(&**client, id).await
    }

    pub async fn list_waves(&self) -> Result<Vec<Wave>> {
        waves::waves(&**self.client().await?).await
    }

    pub async fn wave_detail(&self, id: i64) -> Result<WaveDetail> {
        let client = self.client().await?;
        let wave = waves::wave(&**client, id).await?;
        let figures = waves::figures(&**client, &wave).await?;
        Ok(WaveDetail { wave, figures })
    }

    /// What the citizen may book now.
    pub async fn eligibility(&self, who: &Acting) -> Result<Eligibility> {
        let client = self.client().await?;
        let all = campaigns::list(&**client).await?;
        let invited = waves::invited_campaigns(&**client, who.cpr.as_str()).await?;
        Ok(Eligibility {
            open: all
                .iter()
                .filter(|c| c.access == "open")
                .map(|c| c.code.clone())
                .collect(),
            invited: all
                .iter()
                .filter(|c| invited.contains(&c.id.0))
                .map(|c| c.code.clone())
                .collect(),
        })
    }

    /// Reloads every live invitation into Redis (after Redis lost its data).
    pub async fn reload_invitations(&self) -> Result<usize> {
        let live = waves::live_invitations(&**self.client().await?).await?;
        let entries: Vec<(String, i64)> = live
            .iter()
            .filter_map(|(c, campaign)| {
                identity::Cpr::parse(c)
                    .ok()
                    .map(|c| (self.pseudonym(&c).as_str().to_owned(), *campaign))
            })
            .collect();
        self.hot.invite(&entries).await?;
        Ok(entries.len())
    }
}
