//! Campaign rows.

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio_postgres::GenericClient;
use utoipa::ToSchema;

use crate::domain::{CampaignId, NewCampaign};
use crate::error::{violated_constraint, BookingError, Result};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Campaign {
    #[schema(value_type = i64)]
    pub id: CampaignId,
    pub code: String,
    pub name: String,
    /// `test` or `vaccination`.
    pub kind: String,
    /// `open` or `invitation`.
    pub access: String,
    pub created_at: DateTime<Utc>,
}

fn from_row(r: &tokio_postgres::Row) -> Campaign {
    Campaign {
        id: CampaignId(r.get("id")),
        code: r.get("code"),
        name: r.get("name"),
        kind: r.get("kind"),
        access: r.get("access"),
        created_at: r.get("created_at"),
    }
}

/// Inserts a campaign; its booking and invitation partitions are made with it (trigger
/// `campaigns_partitions`). Attaching a partition waits for the bookings being written
/// at that moment, and bookings arriving meanwhile queue behind it, so the wait is
/// bounded: past it the campaign is refused with "try again" and bookings go on.
pub async fn insert(tx: &tokio_postgres::Transaction<'_>, new: &NewCampaign) -> Result<Campaign> {
    tx.batch_execute("SET LOCAL lock_timeout = '2s'").await?;
    let row = tx
        .query_one(
            "INSERT INTO campaigns (code, name, kind, access) VALUES ($1, $2, $3, $4)
             RETURNING id, code, name, kind, access, created_at",
            &[
                &new.code.as_str(),
                &new.name.as_str(),
                &new.kind.as_str(),
                &new.access.as_str(),
            ],
        )
        .await
        .map_err(|e| match violated_constraint(&e) {
            Some("campaigns_code_key") => BookingError::DuplicateCampaign,
            _ => e.into(),
        })?;
    Ok(from_row(&row))
}

pub async fn list(c: &impl GenericClient) -> Result<Vec<Campaign>> {
    let rows = c
        .query(
            "SELECT id, code, name, kind, access, created_at FROM campaigns ORDER BY id",
            &[],
        )
        .await?;
    Ok(rows.iter().map(from_row).collect())
}

/// Resolves campaign codes to ids; an unknown code is an error naming it.
pub async fn ids_for_codes(c: &impl GenericClient, codes: &[&str]) -> Result<Vec<CampaignId>> {
    let rows = c
        .query(
            "SELECT code, id FROM campaigns WHERE code = ANY($1)",
            &[&codes],
        )
        .await?;
    codes
        .iter()
        .map(|code| {
            rows.iter()
                .find(|r| r.get::<_, &str>(0) == *code)
                .map(|r| CampaignId(r.get(1)))
                .ok_or_else(|| BookingError::UnknownCampaign((*code).to_owned()))
        })
        .collect()
}
