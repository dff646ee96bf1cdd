//! Issued passes and the revocation list.

use chrono::{DateTime, Utc};
use tokio_postgres::{GenericClient, Transaction};

use crate::domain::passes::Register;
use crate::error::Result;

/// A pass as stored.
#[derive(Debug, Clone)]
pub struct StoredPass {
    /// The UVCI (EU DCC) or the internal id `urn:dk1:...` (domestic pass).
    pub uvci: String,
    pub pass_type: String,
    /// `test` or `vaccination`.
    pub source_register: String,
    pub source_record: i64,
    pub hc1: String,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// A domestic pass's level (1 or 2).
    pub domestic_level: Option<i16>,
}

const COLS: &str =
    "uvci, pass_type, source_register, source_record, hc1, issued_at, expires_at, revoked_at, \
     domestic_level";

fn from_row(r: &tokio_postgres::Row) -> StoredPass {
    StoredPass {
        uvci: r.get(0),
        pass_type: r.get(1),
        source_register: r.get(2),
        source_record: r.get(3),
        hc1: r.get(4),
        issued_at: r.get(5),
        expires_at: r.get(6),
        revoked_at: r.get(7),
        domestic_level: r.get(8),
    }
}

pub struct NewPass<'a> {
    pub uvci: &'a str,
    pub cpr: &'a str,
    pub pass_type: &'a str,
    pub source_register: Register,
    pub source_record: i64,
    pub kid: &'a str,
    pub hc1: &'a str,
    pub uci_hash: &'a [u8],
    pub country_uci_hash: &'a [u8],
    pub signature_hash: &'a [u8],
    pub issued_by_helper: Option<&'a str>,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// Set for a domestic pass only (1 or 2).
    pub domestic_level: Option<i16>,
}

pub async fn insert(tx: &Transaction<'_>, p: &NewPass<'_>) -> Result<()> {
    tx.execute(
        "INSERT INTO issued_passes (uvci, cpr, pass_type, source_register, source_record, kid,
             hc1, uci_hash, country_uci_hash, signature_hash, issued_by_helper, issued_at,
             expires_at, domestic_level)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        &[
            &p.uvci,
            &p.cpr,
            &p.pass_type,
            &p.source_register.as_str(),
            &p.source_record,
            &p.kid,
            &p.hc1,
            &p.uci_hash,
            &p.country_uci_hash,
            &p.signature_hash,
            &p.issued_by_helper,
            &p.issued_at,
            &p.expires_at,
            &p.domestic_level,
        ],
    )
    .await?;
    Ok(())
}

/// The newest pass of a type for a person that is neither revoked nor expired at `now`.
pub async fn current(
    c: &impl GenericClient,
    cpr: &str,
    pass_type: &str,
    now: DateTime<Utc>,
) -> Result<Option<StoredPass>> {
    let sql = format!(
        "SELECT {COLS} FROM issued_passes
         WHERE cpr = $1 AND pass_type = $2 AND revoked_at IS NULL AND expires_at > $3
         ORDER BY issued_at DESC LIMIT 1"
    );
    Ok(c.query_opt(&sql, &[&cpr, &pass_type, &now])
        .await?
        .as_ref()
        .map(from_row))
}

/// The newest live domestic pass of a person, of one level or (`None`) any.
pub async fn current_domestic(
    c: &impl GenericClient,
    cpr: &str,
    level: Option<i16>,
    now: DateTime<Utc>,
) -> Result<Option<StoredPass>> {
    let sql = format!(
        "SELECT {COLS} FROM issued_passes
         WHERE cpr = $1 AND pass_type = 'domestic' AND revoked_at IS NULL AND expires_at > $2
           AND ($3::int2 IS NULL OR domestic_level = $3)
         ORDER BY issued_at DESC LIMIT 1"
    );
    Ok(c.query_opt(&sql, &[&cpr, &now, &level])
        .await?
        .as_ref()
        .map(from_row))
}

/// Every pass of a person, newest first.
pub async fn of_person(c: &impl GenericClient, cpr: &str) -> Result<Vec<StoredPass>> {
    let sql = format!(
        "SELECT {COLS} FROM issued_passes WHERE cpr = $1 ORDER BY issued_at DESC LIMIT 200"
    );
    Ok(c.query(&sql, &[&cpr]).await?.iter().map(from_row).collect())
}

/// Revokes every live pass issued from a record version and lists its hashes in the
/// revocation list (all three kinds). Returns how many passes were revoked.
pub async fn revoke_from_record(
    tx: &Transaction<'_>,
    register: Register,
    record: i64,
    reason: &str,
) -> Result<u64> {
    let revoked = tx
        .query(
            "UPDATE issued_passes SET revoked_at = now()
             WHERE source_register = $1 AND source_record = $2 AND revoked_at IS NULL
             RETURNING uvci",
            &[&register.as_str(), &record],
        )
        .await?;
    if revoked.is_empty() {
        return Ok(0);
    }
    let uvcis: Vec<String> = revoked.iter().map(|r| r.get(0)).collect();
    tx.execute(
        "INSERT INTO revocations (hash, kind, kid, uvci, reason)
         SELECT h.hash, h.kind, p.kid, p.uvci, $2
         FROM issued_passes p
         CROSS JOIN LATERAL (VALUES (p.uci_hash, 'UCI'),
                                    (p.country_uci_hash, 'COUNTRYCODEUCI'),
                                    (p.signature_hash, 'SIGNATURE')) AS h(hash, kind)
         WHERE p.uvci = ANY($1) AND octet_length(h.hash) = 16
         ON CONFLICT (kind, hash) DO NOTHING",
        &[&uvcis, &reason],
    )
    .await?;
    Ok(revoked.len() as u64)
}

/// One revocation entry.
#[derive(Debug, Clone)]
pub struct Revocation {
    pub kid: String,
    pub kind: String,
    pub hash: Vec<u8>,
}

/// The revocation list's version (bumped by every insert, `V5__domestic_passes.sql`).
pub async fn revocations_version(c: &impl GenericClient) -> Result<i64> {
    Ok(
        c.query_one("SELECT version FROM revocation_list_version", &[])
            .await?
            .get(0),
    )
}

/// The whole revocation list, in a stable order (so its ETag is stable), and the
/// version it is (read in one snapshot).
pub async fn revocations_with_version(
    c: &mut tokio_postgres::Client,
) -> Result<(i64, Vec<Revocation>)> {
    let tx = c
        .build_transaction()
        .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await?;
    let version = revocations_version(&tx).await?;
    let rows = revocations(&tx).await?;
    tx.commit().await?;
    Ok((version, rows))
}

/// The whole revocation list, in a stable order (so its ETag is stable).
pub async fn revocations(c: &impl GenericClient) -> Result<Vec<Revocation>> {
    Ok(c.query(
        "SELECT kid, kind, hash FROM revocations ORDER BY kid, kind, hash",
        &[],
    )
    .await?
    .iter()
    .map(|r| Revocation {
        kid: r.get(0),
        kind: r.get(1),
        hash: r.get(2),
    })
    .collect())
}
