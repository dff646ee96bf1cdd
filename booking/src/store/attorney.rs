//! Powers of attorney in PostgreSQL (`powers_of_attorney`, migration V7), and the facts
//! the helper check needs in one round trip.

use chrono::{DateTime, Utc};
use tokio_postgres::GenericClient;

use crate::domain::attorney::Facts;

/// A live power of attorney, as the citizen sees it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Grant {
    pub helper: String,
    /// `citizen`, `authority` or `seed`.
    pub granted_by_role: String,
    pub granted_at: DateTime<Utc>,
}

/// The citizen's municipality and whether they granted `helper` a power of attorney.
pub async fn facts(
    c: &impl GenericClient,
    cpr: &str,
    helper: &str,
    helper_municipality: Option<u16>,
) -> Result<Facts, tokio_postgres::Error> {
    let row = c
        .query_one(
            "SELECT (SELECT municipality_code FROM citizens WHERE cpr = $1),
                    EXISTS (SELECT 1 FROM powers_of_attorney
                            WHERE citizen_cpr = $1 AND helper_id = $2 AND revoked_at IS NULL)",
            &[&cpr, &helper],
        )
        .await?;
    Ok(Facts {
        helper_municipality,
        citizen_municipality: row.get(0),
        granted: row.get(1),
    })
}

/// Grants `helper` a power of attorney for `cpr`; a live one stays as it is
/// (`false`: nothing new), so a repeated request changes nothing.
pub async fn grant(
    c: &impl GenericClient,
    cpr: &str,
    helper: &str,
    by_role: &str,
    by: &str,
) -> Result<bool, tokio_postgres::Error> {
    let n = c
        .execute(
            "INSERT INTO powers_of_attorney (citizen_cpr, helper_id, granted_by_role, granted_by)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (citizen_cpr, helper_id) WHERE revoked_at IS NULL DO NOTHING",
            &[&cpr, &helper, &by_role, &by],
        )
        .await?;
    Ok(n == 1)
}

/// Revokes the live grant to `helper`, if any (`false`: there was none).
pub async fn revoke(
    c: &impl GenericClient,
    cpr: &str,
    helper: &str,
    by_role: &str,
) -> Result<bool, tokio_postgres::Error> {
    let n = c
        .execute(
            "UPDATE powers_of_attorney SET revoked_at = now(), revoked_by_role = $3
             WHERE citizen_cpr = $1 AND helper_id = $2 AND revoked_at IS NULL",
            &[&cpr, &helper, &by_role],
        )
        .await?;
    Ok(n == 1)
}

/// The citizen's live grants, oldest first.
pub async fn live_of(
    c: &impl GenericClient,
    cpr: &str,
) -> Result<Vec<Grant>, tokio_postgres::Error> {
    Ok(c.query(
        "SELECT helper_id, granted_by_role, granted_at FROM powers_of_attorney
             WHERE citizen_cpr = $1 AND revoked_at IS NULL ORDER BY granted_at, id",
        &[&cpr],
    )
    .await?
    .iter()
    .map(|r| Grant {
        helper: r.get(0),
        granted_by_role: r.get(1),
        granted_at: r.get(2),
    })
    .collect())
}
