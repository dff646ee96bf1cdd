//! What a health authority does: campaigns, sites, slots, capacity and closures.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::Service;
use crate::domain::{CampaignCode, Capacity, NewCampaign, NewSite, SiteId, SlotId, SlotPlan};
use crate::error::{BookingError, Result};
use crate::store::campaigns::{self, Campaign};
use crate::store::{sites, slots};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SlotsCreated {
    /// Slots created by this request (existing ones are left alone).
    pub created: usize,
    /// Slots the plan described.
    pub planned: usize,
    pub first_starts_at: Option<DateTime<Utc>>,
    pub last_starts_at: Option<DateTime<Utc>>,
}

/// Open slots that have not ended, and those of them with every place booked.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SlotFullness {
    pub upcoming: i64,
    pub full: i64,
}

/// A slot as the authority sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SlotDetail {
    pub id: i64,
    pub site_id: i64,
    pub campaign_id: i64,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub capacity: i32,
    /// Confirmed bookings (PostgreSQL).
    pub booked: i32,
    /// Live holds (Redis).
    pub held: i64,
    pub closed: bool,
}

impl Service {
    pub async fn create_campaign(&self, new: &NewCampaign) -> Result<Campaign> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let created = campaigns::insert(&tx, new).await?;
        tx.commit().await?;
        self.catalog.refresh().await?;
        Ok(created)
    }

    pub async fn list_campaigns(&self) -> Result<Vec<Campaign>> {
        campaigns::list(&**self.client().await?).await
    }

    pub async fn create_site(&self, new: &NewSite) -> Result<sites::SiteRow> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let codes: Vec<&str> = new.campaigns.iter().map(CampaignCode::as_str).collect();
        let ids = campaigns::ids_for_codes(&*tx, &codes).await?;
        let site = sites::insert(&tx, new, &ids).await?;
        tx.commit().await?;
        self.catalog.refresh().await?;
        Ok(site)
    }

    /// Changes a site (all fields as when it was created; listed campaigns are added).
    pub async fn update_site(&self, id: SiteId, new: &NewSite) -> Result<sites::SiteRow> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let codes: Vec<&str> = new.campaigns.iter().map(CampaignCode::as_str).collect();
        let ids = campaigns::ids_for_codes(&*tx, &codes).await?;
        let site = sites::update(&tx, id, new, &ids)
            .await?
            .ok_or(BookingError::NotFound("site"))?;
        tx.commit().await?;
        self.catalog.refresh().await?;
        Ok(site)
    }

    /// How many open slots lie ahead and how many of them are full (the opening-day
    /// view), from the read replica: the console refreshes it every few seconds, and a
    /// count a second old serves it as well.
    pub async fn slot_fullness(&self) -> Result<SlotFullness> {
        let (upcoming, full) =
            slots::fullness(&**self.read_client().await?, self.clock.now()).await?;
        Ok(SlotFullness { upcoming, full })
    }

    /// Generates a plan's slots and mirrors them into Redis.
    pub async fn create_slots(&self, site: SiteId, plan: &SlotPlan) -> Result<SlotsCreated> {
        let planned = plan
            .generate()
            .map_err(|e| BookingError::Invalid(e.to_string()))?;
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let row = sites::get(&*tx, site)
            .await?
            .ok_or(BookingError::NotFound("site"))?;
        if row.closed {
            return Err(BookingError::Invalid("the site is closed".into()));
        }
        let campaign = campaigns::ids_for_codes(&*tx, &[plan.campaign.as_str()])
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| BookingError::UnknownCampaign(plan.campaign.as_str().into()))?;
        if !row.campaigns.contains(&campaign) {
            return Err(BookingError::CampaignNotOffered);
        }
        let created = slots::insert_planned(&tx, site, campaign, &planned, plan.capacity).await?;
        tx.commit().await?;
        let states: Vec<_> = created.iter().map(|s| s.state).collect();
        self.hot.apply_many(&states).await?;
        self.days.clear();
        self.catalog.refresh().await?;
        Ok(SlotsCreated {
            created: created.len(),
            planned: planned.len(),
            first_starts_at: planned.first().map(|p| p.starts_at),
            last_starts_at: planned.last().map(|p| p.starts_at),
        })
    }

    pub async fn slot_detail(&self, id: SlotId) -> Result<SlotDetail> {
        let row = slots::get(&**self.client().await?, id)
            .await?
            .ok_or(BookingError::NotFound("slot"))?;
        let held = self
            .hot
            .views(&[id], self.clock.now_ms())
            .await?
            .first()
            .copied()
            .flatten()
            .map_or(0, |v| v.held);
        Ok(SlotDetail {
            id: row.state.slot.0,
            site_id: row.state.site.0,
            campaign_id: row.state.campaign.0,
            starts_at: row.starts_at,
            ends_at: row.ends_at,
            capacity: row.state.capacity,
            booked: row.state.booked,
            held,
            closed: row.state.closed,
        })
    }

    /// Changes a slot's capacity; never below what is already booked.
    pub async fn set_capacity(&self, id: SlotId, capacity: Capacity) -> Result<SlotDetail> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let row = slots::set_capacity(&tx, id, capacity).await?;
        tx.commit().await?;
        self.hot.apply(&row.state, None).await?;
        self.days.clear();
        self.slot_detail(id).await
    }

    /// Closes a slot to new holds and bookings; existing bookings stay.
    pub async fn close_slot(&self, id: SlotId) -> Result<SlotDetail> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let row = slots::close(&tx, id).await?;
        tx.commit().await?;
        self.hot.apply(&row.state, None).await?;
        self.days.clear();
        self.slot_detail(id).await
    }

    /// Closes a site and all its slots that have not started.
    pub async fn close_site(&self, id: SiteId) -> Result<usize> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        if !sites::close(&tx, id).await? {
            return Err(BookingError::NotFound("site"));
        }
        let closed = slots::close_future_of_site(&tx, id, self.clock.now()).await?;
        tx.commit().await?;
        let states: Vec<_> = closed.iter().map(|s| s.state).collect();
        self.hot.apply_many(&states).await?;
        self.days.clear();
        self.catalog.refresh().await?;
        Ok(closed.len())
    }
}
