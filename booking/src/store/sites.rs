//! Site rows and the availability summary behind the site list.

use chrono::{DateTime, Utc};
use tokio_postgres::GenericClient;

use crate::domain::{CampaignId, NewSite, SiteId};
use crate::error::Result;

#[derive(Debug, Clone)]
pub struct SiteRow {
    pub id: SiteId,
    pub name: String,
    pub address: String,
    pub postcode: String,
    pub municipality_code: u16,
    pub lat: f64,
    pub lon: f64,
    pub closed: bool,
    pub campaigns: Vec<CampaignId>,
}

/// Unbooked places in open future slots of one site and campaign.
#[derive(Debug, Clone, Copy)]
pub struct FreePlaces {
    pub site: SiteId,
    pub campaign: CampaignId,
    pub free: i64,
    pub next_free: Option<DateTime<Utc>>,
}

const SITE_SELECT: &str = "
    SELECT s.id, s.name, s.address, s.postcode, s.municipality_code, s.lat, s.lon,
           s.closed_at IS NOT NULL AS closed,
           COALESCE(array_agg(sc.campaign_id ORDER BY sc.campaign_id)
                    FILTER (WHERE sc.campaign_id IS NOT NULL), '{}') AS campaigns
    FROM sites s LEFT JOIN site_campaigns sc ON sc.site_id = s.id";

fn from_row(r: &tokio_postgres::Row) -> SiteRow {
    SiteRow {
        id: SiteId(r.get("id")),
        name: r.get("name"),
        address: r.get("address"),
        postcode: r.get("postcode"),
        municipality_code: r.get::<_, i16>("municipality_code") as u16,
        lat: r.get("lat"),
        lon: r.get("lon"),
        closed: r.get("closed"),
        campaigns: r
            .get::<_, Vec<i64>>("campaigns")
            .into_iter()
            .map(CampaignId)
            .collect(),
    }
}

pub async fn insert(
    tx: &tokio_postgres::Transaction<'_>,
    new: &NewSite,
    campaigns: &[CampaignId],
) -> Result<SiteRow> {
    let id: i64 = tx
        .query_one(
            "INSERT INTO sites (name, address, postcode, municipality_code, lat, lon)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            &[
                &new.name.as_str(),
                &new.address.as_str(),
                &new.postcode.as_str(),
                &(new.municipality_code.get() as i16),
                &new.location.lat,
                &new.location.lon,
            ],
        )
        .await?
        .get(0);
    add_campaigns(tx, SiteId(id), campaigns).await?;
    get(tx, SiteId(id))
        .await?
        .ok_or(crate::error::BookingError::NotFound("site"))
}

pub async fn get(c: &impl GenericClient, id: SiteId) -> Result<Option<SiteRow>> {
    let sql = format!("{SITE_SELECT} WHERE s.id = $1 GROUP BY s.id");
    Ok(c.query_opt(&sql, &[&id.0]).await?.as_ref().map(from_row))
}

pub async fn all(c: &impl GenericClient) -> Result<Vec<SiteRow>> {
    let sql = format!("{SITE_SELECT} GROUP BY s.id ORDER BY s.id");
    Ok(c.query(&sql, &[]).await?.iter().map(from_row).collect())
}

pub async fn free_places(c: &impl GenericClient, after: DateTime<Utc>) -> Result<Vec<FreePlaces>> {
    let rows = c
        .query(
            "SELECT site_id, campaign_id, SUM(capacity - booked)::bigint AS free,
                    MIN(starts_at) FILTER (WHERE capacity > booked) AS next_free
             FROM slots WHERE starts_at > $1 AND NOT closed
             GROUP BY site_id, campaign_id",
            &[&after],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| FreePlaces {
            site: SiteId(r.get(0)),
            campaign: CampaignId(r.get(1)),
            free: r.get(2),
            next_free: r.get(3),
        })
        .collect())
}

/// Marks a site closed. Returns false if there is no such site.
pub async fn close(tx: &tokio_postgres::Transaction<'_>, id: SiteId) -> Result<bool> {
    let n = tx
        .execute(
            "UPDATE sites SET closed_at = COALESCE(closed_at, now()) WHERE id = $1",
            &[&id.0],
        )
        .await?;
    Ok(n == 1)
}

/// Changes a site's details and adds campaigns it offers (a campaign is never taken
/// away here: its slots are closed instead). Returns None if there is no such site.
pub async fn update(
    tx: &tokio_postgres::Transaction<'_>,
    id: SiteId,
    new: &NewSite,
    campaigns: &[CampaignId],
) -> Result<Option<SiteRow>> {
    let n = tx
        .execute(
            "UPDATE sites SET name = $2, address = $3, postcode = $4, municipality_code = $5,
                 lat = $6, lon = $7
             WHERE id = $1",
            &[
                &id.0,
                &new.name.as_str(),
                &new.address.as_str(),
                &new.postcode.as_str(),
                &(new.municipality_code.get() as i16),
                &new.location.lat,
                &new.location.lon,
            ],
        )
        .await?;
    if n == 0 {
        return Ok(None);
    }
    add_campaigns(tx, id, campaigns).await?;
    get(tx, id).await
}

/// The site offers these campaigns too (those it offers already stay).
async fn add_campaigns(
    tx: &tokio_postgres::Transaction<'_>,
    id: SiteId,
    campaigns: &[CampaignId],
) -> Result<()> {
    let ids: Vec<i64> = campaigns.iter().map(|c| c.0).collect();
    tx.execute(
        "INSERT INTO site_campaigns (site_id, campaign_id) SELECT $1, unnest($2::bigint[])
         ON CONFLICT DO NOTHING",
        &[&id.0, &ids],
    )
    .await?;
    Ok(())
}
