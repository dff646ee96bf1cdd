//! The site list with availability, served from memory.
//!
//! Sites and campaigns change rarely and the per-site free-place totals may lag a few
//! seconds, so each instance keeps a snapshot refreshed from PostgreSQL on a timer (and
//! at once after its own changes). Exact per-slot figures come from Redis.

use chrono::{DateTime, NaiveDate, Utc};
use deadpool_postgres::Pool;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use utoipa::{IntoParams, ToSchema};

use super::Service;
use crate::clock::Clock;
use crate::domain::{CampaignId, GeoPoint, MunicipalityCode, SiteId};
use crate::error::{BookingError, Result};
use crate::store::campaigns::{self, Campaign};
use crate::store::sites::{self, FreePlaces, SiteRow};

#[derive(Default)]
pub struct Snapshot {
    pub campaigns: Vec<Campaign>,
    pub sites: Vec<SiteRow>,
    pub free: HashMap<(SiteId, CampaignId), FreePlaces>,
}

impl Snapshot {
    pub fn campaign_by_code(&self, code: &str) -> Option<&Campaign> {
        self.campaigns.iter().find(|c| c.code == code)
    }

    /// The campaign a `?campaign=CODE` filter names; an unknown code is an error.
    pub fn campaign_filter(&self, code: Option<&str>) -> Result<Option<CampaignId>> {
        code.map(|code| {
            self.campaign_by_code(code)
                .map(|c| c.id)
                .ok_or_else(|| BookingError::UnknownCampaign(code.to_owned()))
        })
        .transpose()
    }

    pub fn campaign(&self, id: CampaignId) -> Option<&Campaign> {
        self.campaigns.iter().find(|c| c.id == id)
    }

    /// The campaigns only invited citizens may book.
    pub fn invitation_campaigns(&self) -> Vec<CampaignId> {
        self.campaigns
            .iter()
            .filter(|c| c.access == "invitation")
            .map(|c| c.id)
            .collect()
    }

    pub fn site(&self, id: SiteId) -> Option<&SiteRow> {
        self.sites
            .binary_search_by_key(&id, |s| s.id)
            .ok()
            .map(|i| &self.sites[i])
    }
}

/// The pause before the next timed refresh: the setting's period, or twenty times what
/// the last refresh took if that is longer. The refresh sums free places over every slot
/// ahead (millions at national scale, on every instance), so it never takes more than a
/// twentieth of a PostgreSQL connection's time, however many slots there are.
pub fn refresh_pause(period: Duration, took: Duration) -> Duration {
    period.max(took.saturating_mul(20))
}

#[derive(Clone)]
pub struct Catalog {
    pg: Pool,
    clock: Clock,
    current: Arc<RwLock<Arc<Snapshot>>>,
    refreshed: Arc<std::sync::Mutex<Option<std::time::Instant>>>,
}

impl Catalog {
    pub fn new(pg: Pool, clock: Clock) -> Self {
        Self {
            pg,
            clock,
            current: Arc::default(),
            refreshed: Arc::default(),
        }
    }

    pub fn snapshot(&self) -> Arc<Snapshot> {
        match self.current.read() {
            Ok(g) => g.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Refreshes unless that happened less than a second ago: for a lookup that missed,
    /// so a flood of unknown ids cannot turn into a flood of database queries.
    pub async fn refresh_if_stale(&self) -> Result<()> {
        let recent = match self.refreshed.lock() {
            Ok(g) => g.is_some_and(|t| t.elapsed() < Duration::from_secs(1)),
            Err(_) => false,
        };
        if recent {
            Ok(())
        } else {
            self.refresh().await
        }
    }

    pub async fn refresh(&self) -> Result<()> {
        if let Ok(mut g) = self.refreshed.lock() {
            *g = Some(std::time::Instant::now());
        }
        let client = self.pg.get().await?;
        let campaigns = campaigns::list(&**client).await?;
        let mut site_rows = sites::all(&**client).await?;
        site_rows.sort_by_key(|s| s.id);
        let free = sites::free_places(&**client, self.clock.now())
            .await?
            .into_iter()
            .map(|f| ((f.site, f.campaign), f))
            .collect();
        let snapshot = Arc::new(Snapshot {
            campaigns,
            sites: site_rows,
            free,
        });
        match self.current.write() {
            Ok(mut g) => *g = snapshot,
            Err(poisoned) => *poisoned.into_inner() = snapshot,
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SiteQuery {
    /// Only sites offering this campaign (code).
    pub campaign: Option<String>,
    /// Only sites in this municipality (code, e.g. 751).
    pub municipality: Option<u16>,
    /// With `lon`: nearest sites first.
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// Only sites with free places (default true).
    pub available: Option<bool>,
    /// Page size (1-200, default 50).
    pub limit: Option<usize>,
    pub offset: Option<usize>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CampaignAvailability {
    pub code: String,
    pub name: String,
    /// Unbooked places from now on (refreshed every few seconds).
    pub free: i64,
    pub next_free: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SiteSummary {
    pub id: i64,
    pub name: String,
    pub address: String,
    pub postcode: String,
    pub municipality_code: u16,
    pub municipality: String,
    pub location: GeoPoint,
    /// Distance from the point asked about, in km.
    pub distance_km: Option<f64>,
    pub campaigns: Vec<CampaignAvailability>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SitePage {
    pub total: usize,
    pub sites: Vec<SiteSummary>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SlotAvailability {
    pub id: i64,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub campaign: String,
    pub capacity: i64,
    /// Places that can still be held now.
    pub remaining: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SiteDay {
    pub site_id: i64,
    #[schema(value_type = String, format = Date)]
    pub date: NaiveDate,
    pub slots: Vec<SlotAvailability>,
}

fn summary(
    snap: &Snapshot,
    site: &SiteRow,
    only: Option<CampaignId>,
    from: Option<GeoPoint>,
) -> SiteSummary {
    let location = GeoPoint {
        lat: site.lat,
        lon: site.lon,
    };
    let campaigns = site
        .campaigns
        .iter()
        .filter(|c| only.is_none_or(|o| o == **c))
        .filter_map(|c| {
            let campaign = snap.campaign(*c)?;
            let free = snap.free.get(&(site.id, *c));
            Some(CampaignAvailability {
                code: campaign.code.clone(),
                name: campaign.name.clone(),
                free: free.map_or(0, |f| f.free),
                next_free: free.and_then(|f| f.next_free),
            })
        })
        .collect();
    SiteSummary {
        id: site.id.0,
        name: site.name.clone(),
        address: site.address.clone(),
        postcode: site.postcode.clone(),
        municipality_code: site.municipality_code,
        municipality: MunicipalityCode::new(site.municipality_code)
            .map(|m| m.info().name.to_owned())
            .unwrap_or_default(),
        location,
        distance_km: from.map(|p| (p.distance_km(location) * 10.0).round() / 10.0),
        campaigns,
    }
}

impl Service {
    pub fn search_sites(&self, q: &SiteQuery) -> Result<SitePage> {
        let snap = self.catalog.snapshot();
        let campaign = match &q.campaign {
            Some(code) => Some(
                snap.campaign_by_code(code)
                    .ok_or_else(|| BookingError::UnknownCampaign(code.clone()))?
                    .id,
            ),
            None => None,
        };
        if let Some(m) = q.municipality {
            MunicipalityCode::new(m).map_err(|e| BookingError::Invalid(e.to_string()))?;
        }
        let near = match (q.lat, q.lon) {
            (Some(lat), Some(lon)) => Some(GeoPoint::new(lat, lon).map_err(BookingError::Invalid)?),
            (None, None) => None,
            _ => return Err(BookingError::Invalid("give both lat and lon".into())),
        };
        let limit = q.limit.unwrap_or(50);
        if !(1..=200).contains(&limit) {
            return Err(BookingError::Invalid("limit must be 1-200".into()));
        }
        let only_available = q.available.unwrap_or(true);
        let mut found: Vec<SiteSummary> = snap
            .sites
            .iter()
            .filter(|s| !s.closed)
            .filter(|s| q.municipality.is_none_or(|m| m == s.municipality_code))
            .filter(|s| campaign.is_none_or(|c| s.campaigns.contains(&c)))
            .map(|s| summary(&snap, s, campaign, near))
            .filter(|s| !only_available || s.campaigns.iter().any(|c| c.free > 0))
            .collect();
        if near.is_some() {
            found.sort_by(|a, b| {
                a.distance_km
                    .partial_cmp(&b.distance_km)
                    .unwrap_or(std::cmp::Ordering::Equal)
            });
        }
        let total = found.len();
        let sites = found
            .into_iter()
            .skip(q.offset.unwrap_or(0))
            .take(limit)
            .collect();
        Ok(SitePage { total, sites })
    }

    /// A site's slots on a local date with live remaining places, from Redis only, as
    /// its JSON answer (kept with the cached day).
    pub async fn site_day_json(
        &self,
        site: SiteId,
        date: NaiveDate,
        campaign: Option<&str>,
    ) -> Result<bytes::Bytes> {
        let snap = self.catalog.snapshot();
        if snap.site(site).is_none() {
            // The snapshot may lag a site created on another instance by a few seconds.
            self.catalog.refresh_if_stale().await?;
        }
        let snap = self.catalog.snapshot();
        snap.site(site).ok_or(BookingError::NotFound("site"))?;
        let only = snap.campaign_filter(campaign)?;
        if let Some(body) = self.days.body(site, date, only, self.clock.now_ms()) {
            return Ok(body);
        }
        let day = self.site_day(&snap, site, date, only).await?;
        let body = bytes::Bytes::from(
            serde_json::to_vec(&day).map_err(|e| BookingError::Internal(e.into()))?,
        );
        self.days.put_body(site, date, only, body.clone());
        Ok(body)
    }

    async fn site_day(
        &self,
        snap: &Snapshot,
        site: SiteId,
        date: NaiveDate,
        only: Option<CampaignId>,
    ) -> Result<SiteDay> {
        let now_ms = self.clock.now_ms();
        let views = match self.days.get(site, date, now_ms) {
            Some(views) => views,
            None => {
                let ids = self.hot.day_slots(site, date).await?;
                let views = self.hot.views(&ids, now_ms).await?;
                for v in views.iter().flatten() {
                    self.slot_campaigns.learn(v.slot, v.campaign);
                }
                self.days
                    .put(site, date, now_ms, views.into_iter().flatten().collect())
            }
        };
        let slots = views
            .iter()
            .filter(|v| only.is_none_or(|c| c == v.campaign))
            .map(|v| SlotAvailability {
                id: v.slot.0,
                starts_at: DateTime::from_timestamp_millis(v.start_ms).unwrap_or_default(),
                ends_at: DateTime::from_timestamp_millis(v.end_ms).unwrap_or_default(),
                campaign: snap
                    .campaign(v.campaign)
                    .map(|c| c.code.clone())
                    .unwrap_or_default(),
                capacity: v.capacity,
                remaining: if v.start_ms <= now_ms {
                    0
                } else {
                    v.remaining()
                },
            })
            .collect();
        Ok(SiteDay {
            site_id: site.0,
            date,
            slots,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::refresh_pause;
    use std::time::Duration;

    #[test]
    fn a_slow_refresh_waits_twenty_times_as_long() {
        let period = Duration::from_secs(5);
        assert_eq!(refresh_pause(period, Duration::from_millis(30)), period);
        assert_eq!(refresh_pause(period, Duration::from_millis(250)), period);
        assert_eq!(
            refresh_pause(period, Duration::from_millis(1500)),
            Duration::from_secs(30)
        );
        assert_eq!(refresh_pause(period, Duration::MAX), Duration::MAX);
    }
}
