//! PostgreSQL: the source of truth. All booking SQL lives in this folder; callers own
//! the transaction and pass it in.
//!
//! The confirm batch's statements are prepared once per connection (`prepare_cached`):
//! a plain `query` parses, plans and describes its statement every time, one more round
//! trip per statement on the busiest path there is.

pub mod attorney;
pub mod bookings;
pub mod campaigns;
pub mod population;
pub mod sites;
pub mod slots;
pub mod waves;

use deadpool_postgres::Pool;

mod embedded {
    refinery::embed_migrations!("migrations");
}

/// Applies the migrations. An advisory lock keeps several instances starting at once
/// from racing each other.
pub async fn migrate(pool: &Pool) -> anyhow::Result<()> {
    const LOCK: i64 = 0x626f_6f6b; // "book"
    let mut client = pool.get().await?;
    client
        .execute("SELECT pg_advisory_lock($1)", &[&LOCK])
        .await?;
    let client_ref: &mut tokio_postgres::Client = &mut client;
    let result = embedded::migrations::runner()
        .run_async(client_ref)
        .await
        .map(|_| ());
    client
        .execute("SELECT pg_advisory_unlock($1)", &[&LOCK])
        .await?;
    Ok(result?)
}

/// Letters to send, written in the transaction of the change they announce.
pub async fn enqueue_letter(
    tx: &deadpool_postgres::Transaction<'_>,
    kind: &str,
    cpr: &str,
    payload: &serde_json::Value,
) -> Result<(), tokio_postgres::Error> {
    enqueue_letters(tx, kind, &[(cpr, payload.clone())]).await
}

/// Queues one letter of a kind to each (CPR, payload), in one statement.
pub async fn enqueue_letters(
    tx: &deadpool_postgres::Transaction<'_>,
    kind: &str,
    letters: &[(&str, serde_json::Value)],
) -> Result<(), tokio_postgres::Error> {
    if letters.is_empty() {
        return Ok(());
    }
    let ids: Vec<uuid::Uuid> = letters.iter().map(|_| uuid::Uuid::now_v7()).collect();
    let cprs: Vec<&str> = letters.iter().map(|l| l.0).collect();
    let payloads: Vec<&serde_json::Value> = letters.iter().map(|l| &l.1).collect();
    let statement = tx
        .prepare_cached(
            "INSERT INTO outbox (id, kind, cpr, payload)
             SELECT id, $2, cpr, payload FROM unnest($1::uuid[], $3::text[], $4::jsonb[])
                  AS t(id, cpr, payload)",
        )
        .await?;
    tx.execute(&statement, &[&ids, &kind, &cprs, &payloads])
        .await?;
    Ok(())
}

/// Records that someone other than the citizen acted on the citizen's data.
pub async fn audit(
    tx: &tokio_postgres::Transaction<'_>,
    subject_cpr: &str,
    actor_role: &str,
    actor_id: &str,
    action: &str,
    detail: &serde_json::Value,
) -> Result<(), tokio_postgres::Error> {
    tx.execute(
        "INSERT INTO audit_log (subject_cpr, actor_role, actor_id, action, detail)
         VALUES ($1, $2, $3, $4, $5)",
        &[&subject_cpr, &actor_role, &actor_id, &action, detail],
    )
    .await?;
    Ok(())
}

/// How long one refused helper's tries for one citizen make one line of the audit log,
/// so a script retrying a refused token cannot flood the citizen's log.
const REFUSALS_PER_LINE: &str = "1 hour";

/// Records that `helper` was refused access to the citizen's data (`reason`: the
/// refusal's code), unless a refusal of this helper for this citizen was recorded within
/// [`REFUSALS_PER_LINE`].
pub async fn audit_refusal(
    c: &impl tokio_postgres::GenericClient,
    subject_cpr: &str,
    helper: &str,
    reason: &str,
) -> Result<(), tokio_postgres::Error> {
    c.execute(
        "INSERT INTO audit_log (subject_cpr, actor_role, actor_id, action, detail)
             SELECT $1, 'helper', $2, 'helper.refused', jsonb_build_object('reason', $3::text)
              WHERE NOT EXISTS (
                    SELECT 1 FROM audit_log
                     WHERE subject_cpr = $1 AND at > now() - $4::text::interval
                       AND actor_role = 'helper' AND actor_id = $2
                       AND action = 'helper.refused')",
        &[&subject_cpr, &helper, &reason, &REFUSALS_PER_LINE],
    )
    .await?;
    Ok(())
}

/// One line of "who has looked at or changed my data".
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub at: chrono::DateTime<chrono::Utc>,
    /// `helper`, `authority`, `site`.
    pub actor_role: String,
    pub actor_id: String,
    pub action: String,
}

/// The audit trail about one citizen, newest first.
pub async fn audit_of(
    c: &impl tokio_postgres::GenericClient,
    subject_cpr: &str,
) -> Result<Vec<AuditEntry>, tokio_postgres::Error> {
    Ok(c.query(
        "SELECT at, actor_role, actor_id, action FROM audit_log WHERE subject_cpr = $1
         ORDER BY at DESC, id DESC LIMIT 500",
        &[&subject_cpr],
    )
    .await?
    .iter()
    .map(|r| AuditEntry {
        at: r.get(0),
        actor_role: r.get(1),
        actor_id: r.get(2),
        action: r.get(3),
    })
    .collect())
}
