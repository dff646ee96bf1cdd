//! Register rows. At most one version per (sender, sender_record_id) is not
//! `corrected` (partial unique indexes `register_*_sender_record`).

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use tokio_postgres::types::ToSql;
use tokio_postgres::{GenericClient, Transaction};
use uuid::Uuid;

use crate::domain::passes::Register;
use crate::domain::records::{TestRecord, VaccinationRecord};
use crate::error::Result;

fn table(r: Register) -> &'static str {
    match r {
        Register::Test => "register_tests",
        Register::Vaccination => "register_vaccinations",
    }
}

/// The current version of a sender's record.
#[derive(Debug, Clone)]
pub struct CurrentVersion {
    pub id: i64,
    pub cpr: String,
    pub content_hash: Vec<u8>,
    /// `active` or `entered_in_error`.
    pub status: String,
}

/// Finds and locks the current version of a sender's record.
pub async fn lock_current(
    tx: &Transaction<'_>,
    register: Register,
    sender: &str,
    record_id: &str,
) -> Result<Option<CurrentVersion>> {
    let sql = format!(
        "SELECT id, cpr, content_hash, status FROM {} \
         WHERE sender = $1 AND sender_record_id = $2 AND status <> 'corrected' FOR UPDATE",
        table(register)
    );
    Ok(tx
        .query_opt(&sql, &[&sender, &record_id])
        .await?
        .map(|r| CurrentVersion {
            id: r.get(0),
            cpr: r.get(1),
            content_hash: r.get(2),
            status: r.get(3),
        }))
}

/// Finds and locks the current versions of many of a sender's records, by record id.
pub async fn lock_current_many(
    tx: &Transaction<'_>,
    register: Register,
    sender: &str,
    record_ids: &[&str],
) -> Result<HashMap<String, CurrentVersion>> {
    let sql = format!(
        "SELECT sender_record_id, id, cpr, content_hash, status FROM {} \
         WHERE sender = $1 AND sender_record_id = ANY($2) AND status <> 'corrected' \
         ORDER BY id FOR UPDATE",
        table(register)
    );
    Ok(tx
        .query(&sql, &[&sender, &record_ids])
        .await?
        .iter()
        .map(|r| {
            (
                r.get(0),
                CurrentVersion {
                    id: r.get(1),
                    cpr: r.get(2),
                    content_hash: r.get(3),
                    status: r.get(4),
                },
            )
        })
        .collect())
}

/// Marks a version corrected (pointing at its successor) or entered in error.
pub async fn set_status(
    tx: &Transaction<'_>,
    register: Register,
    id: i64,
    status: &str,
    superseded_by: Option<i64>,
) -> Result<()> {
    let sql = format!(
        "UPDATE {} SET status = $2, superseded_by = $3, updated_at = now() WHERE id = $1",
        table(register)
    );
    tx.execute(&sql, &[&id, &status, &superseded_by]).await?;
    Ok(())
}

/// Inserts a new version; `None` when the sender's id is taken (a concurrent insert).
pub async fn insert_test(
    tx: &Transaction<'_>,
    sender: &str,
    r: &TestRecord,
    hash: &[u8],
) -> Result<Option<i64>> {
    Ok(tx
        .query_opt(
            "INSERT INTO register_tests (sender, sender_record_id, cpr, disease, test_type,
                 test_name, manufacturer, result, sample_time, test_centre, country, booking_id,
                 content_hash)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
             ON CONFLICT (sender, sender_record_id) WHERE status <> 'corrected' DO NOTHING
             RETURNING id",
            &[
                &sender,
                &r.record_id.as_str(),
                &r.cpr.as_str(),
                &r.disease,
                &r.test_type,
                &r.test_name,
                &r.manufacturer,
                &r.result,
                &r.sample_time,
                &r.test_centre,
                &r.country,
                &r.booking_id,
                &hash,
            ],
        )
        .await?
        .map(|row| row.get(0)))
}

pub async fn insert_vaccination(
    tx: &Transaction<'_>,
    sender: &str,
    r: &VaccinationRecord,
    hash: &[u8],
) -> Result<Option<i64>> {
    Ok(tx
        .query_opt(
            "INSERT INTO register_vaccinations (sender, sender_record_id, cpr, disease, vaccine,
                 product, manufacturer, dose_number, total_doses, vaccinated_on, country,
                 booking_id, content_hash)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
             ON CONFLICT (sender, sender_record_id) WHERE status <> 'corrected' DO NOTHING
             RETURNING id",
            &[
                &sender,
                &r.record_id.as_str(),
                &r.cpr.as_str(),
                &r.disease,
                &r.vaccine,
                &r.product,
                &r.manufacturer,
                &i16::from(r.dose_number),
                &i16::from(r.total_doses),
                &r.date,
                &r.country,
                &r.booking_id,
                &hash,
            ],
        )
        .await?
        .map(|row| row.get(0)))
}

/// Inserts many new test records in one statement; records whose id the sender used
/// before are skipped. Returns the record ids inserted.
pub async fn insert_tests_bulk(
    tx: &Transaction<'_>,
    sender: &str,
    records: &[(&TestRecord, &[u8])],
) -> Result<Vec<String>> {
    let col = |f: &dyn Fn(&TestRecord) -> Option<String>| -> Vec<Option<String>> {
        records.iter().map(|(r, _)| f(r)).collect()
    };
    let ids = col(&|r| Some(r.record_id.as_str().to_owned()));
    let cprs = col(&|r| Some(r.cpr.as_str().to_owned()));
    let diseases = col(&|r| Some(r.disease.clone()));
    let types = col(&|r| Some(r.test_type.clone()));
    let names = col(&|r| r.test_name.clone());
    let makers = col(&|r| r.manufacturer.clone());
    let results = col(&|r| Some(r.result.clone()));
    let centres = col(&|r| Some(r.test_centre.clone()));
    let countries = col(&|r| Some(r.country.clone()));
    let times: Vec<DateTime<Utc>> = records.iter().map(|(r, _)| r.sample_time).collect();
    let bookings: Vec<Option<Uuid>> = records.iter().map(|(r, _)| r.booking_id).collect();
    let hashes: Vec<&[u8]> = records.iter().map(|(_, h)| *h).collect();
    let params: [&(dyn ToSql + Sync); 13] = [
        &sender, &ids, &cprs, &diseases, &types, &names, &makers, &results, &times, &centres,
        &countries, &bookings, &hashes,
    ];
    let rows = tx
        .query(
            "INSERT INTO register_tests (sender, sender_record_id, cpr, disease, test_type,
                 test_name, manufacturer, result, sample_time, test_centre, country, booking_id,
                 content_hash)
             SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                 $7::text[], $8::text[], $9::timestamptz[], $10::text[], $11::text[], $12::uuid[],
                 $13::bytea[])
             ON CONFLICT (sender, sender_record_id) WHERE status <> 'corrected' DO NOTHING
             RETURNING sender_record_id",
            &params,
        )
        .await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// Inserts many new vaccination records in one statement; see [`insert_tests_bulk`].
pub async fn insert_vaccinations_bulk(
    tx: &Transaction<'_>,
    sender: &str,
    records: &[(&VaccinationRecord, &[u8])],
) -> Result<Vec<String>> {
    let col = |f: &dyn Fn(&VaccinationRecord) -> String| -> Vec<String> {
        records.iter().map(|(r, _)| f(r)).collect()
    };
    let ids = col(&|r| r.record_id.as_str().to_owned());
    let cprs = col(&|r| r.cpr.as_str().to_owned());
    let diseases = col(&|r| r.disease.clone());
    let vaccines = col(&|r| r.vaccine.clone());
    let products = col(&|r| r.product.clone());
    let makers = col(&|r| r.manufacturer.clone());
    let countries = col(&|r| r.country.clone());
    let doses: Vec<i16> = records
        .iter()
        .map(|(r, _)| i16::from(r.dose_number))
        .collect();
    let totals: Vec<i16> = records
        .iter()
        .map(|(r, _)| i16::from(r.total_doses))
        .collect();
    let dates: Vec<NaiveDate> = records.iter().map(|(r, _)| r.date).collect();
    let bookings: Vec<Option<Uuid>> = records.iter().map(|(r, _)| r.booking_id).collect();
    let hashes: Vec<&[u8]> = records.iter().map(|(_, h)| *h).collect();
    let params: [&(dyn ToSql + Sync); 13] = [
        &sender, &ids, &cprs, &diseases, &vaccines, &products, &makers, &doses, &totals, &dates,
        &countries, &bookings, &hashes,
    ];
    let rows = tx
        .query(
            "INSERT INTO register_vaccinations (sender, sender_record_id, cpr, disease, vaccine,
                 product, manufacturer, dose_number, total_doses, vaccinated_on, country,
                 booking_id, content_hash)
             SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                 $7::text[], $8::int2[], $9::int2[], $10::date[], $11::text[], $12::uuid[],
                 $13::bytea[])
             ON CONFLICT (sender, sender_record_id) WHERE status <> 'corrected' DO NOTHING
             RETURNING sender_record_id",
            &params,
        )
        .await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// Marks the given bookings `done` when each belongs to the paired CPR and is active (or
/// done already). A booking leaving `active` frees its place in the slot's `booked`
/// counter (which counts active bookings) and bumps the slot's version so the booking
/// service's Redis mirror takes the change. Returns the booking ids not found that way.
pub async fn mark_bookings_done(
    tx: &Transaction<'_>,
    bookings: &[(Uuid, String)],
) -> Result<Vec<Uuid>> {
    if bookings.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = bookings.iter().map(|(id, _)| *id).collect();
    let cprs: Vec<&str> = bookings.iter().map(|(_, c)| c.as_str()).collect();
    // Data-modifying CTEs always run; the final SELECT sees the rows as they were
    // before them, so "active or done" there means "found".
    let rows = tx
        .query(
            "WITH x AS (SELECT * FROM unnest($1::uuid[], $2::text[]) AS x(id, cpr)),
             done AS (
                 UPDATE bookings b SET status = 'done', updated_at = now()
                 FROM x WHERE b.id = x.id AND b.cpr = x.cpr AND b.status = 'active'
                 RETURNING b.slot_id),
             freed AS (
                 UPDATE slots s SET booked = s.booked - d.n, version = s.version + 1
                 FROM (SELECT slot_id, count(*)::int AS n FROM done GROUP BY slot_id) d
                 WHERE s.id = d.slot_id RETURNING s.id)
             SELECT b.id FROM bookings b JOIN x ON b.id = x.id AND b.cpr = x.cpr
             WHERE b.status IN ('active', 'done')",
            &[&ids, &cprs],
        )
        .await?;
    let found: std::collections::HashSet<Uuid> = rows.iter().map(|r| r.get(0)).collect();
    Ok(ids.into_iter().filter(|id| !found.contains(id)).collect())
}

/// The latest active vaccination of a person (by date, then dose).
#[derive(Debug, Clone)]
pub struct StoredVaccination {
    pub id: i64,
    pub disease: String,
    pub vaccine: String,
    pub product: String,
    pub manufacturer: String,
    pub dose_number: i16,
    pub total_doses: i16,
    pub date: NaiveDate,
    pub country: String,
}

pub async fn latest_vaccination(
    c: &impl GenericClient,
    cpr: &str,
) -> Result<Option<StoredVaccination>> {
    Ok(c.query_opt(
        "SELECT id, disease, vaccine, product, manufacturer, dose_number, total_doses,
                    vaccinated_on, country
             FROM register_vaccinations WHERE cpr = $1 AND status = 'active'
             ORDER BY vaccinated_on DESC, dose_number DESC, id DESC LIMIT 1",
        &[&cpr],
    )
    .await?
    .map(|r| StoredVaccination {
        id: r.get(0),
        disease: r.get(1),
        vaccine: r.get(2),
        product: r.get(3),
        manufacturer: r.get(4),
        dose_number: r.get(5),
        total_doses: r.get(6),
        date: r.get(7),
        country: r.get(8),
    }))
}

/// An active test of a person.
#[derive(Debug, Clone)]
pub struct StoredTest {
    pub id: i64,
    pub disease: String,
    pub test_type: String,
    pub test_name: Option<String>,
    pub manufacturer: Option<String>,
    pub result: String,
    pub sample_time: DateTime<Utc>,
    pub test_centre: String,
    pub country: String,
}

const TEST_COLS: &str = "id, disease, test_type, test_name, manufacturer, result, sample_time, \
                         test_centre, country";

fn test_from_row(r: &tokio_postgres::Row) -> StoredTest {
    StoredTest {
        id: r.get(0),
        disease: r.get(1),
        test_type: r.get(2),
        test_name: r.get(3),
        manufacturer: r.get(4),
        result: r.get(5),
        sample_time: r.get(6),
        test_centre: r.get(7),
        country: r.get(8),
    }
}

/// The latest active test of a person, whatever its result.
pub async fn latest_test(c: &impl GenericClient, cpr: &str) -> Result<Option<StoredTest>> {
    let sql = format!(
        "SELECT {TEST_COLS} FROM register_tests WHERE cpr = $1 AND status = 'active'
         ORDER BY sample_time DESC, id DESC LIMIT 1"
    );
    Ok(c.query_opt(&sql, &[&cpr])
        .await?
        .as_ref()
        .map(test_from_row))
}

/// The latest active test of a person with this result and one of these types.
pub async fn latest_test_with(
    c: &impl GenericClient,
    cpr: &str,
    result: &str,
    types: &[String],
) -> Result<Option<StoredTest>> {
    let sql = format!(
        "SELECT {TEST_COLS} FROM register_tests
         WHERE cpr = $1 AND status = 'active' AND result = $2 AND test_type = ANY($3)
         ORDER BY sample_time DESC, id DESC LIMIT 1"
    );
    Ok(c.query_opt(&sql, &[&cpr, &result, &types])
        .await?
        .as_ref()
        .map(test_from_row))
}

/// The name and birth date of a person from the population register.
pub async fn citizen_name(
    c: &impl GenericClient,
    cpr: &str,
) -> Result<Option<(String, String, NaiveDate)>> {
    Ok(c.query_opt(
        "SELECT given_name, family_name, birth_date FROM citizens WHERE cpr = $1",
        &[&cpr],
    )
    .await?
    .map(|r| (r.get(0), r.get(1), r.get(2))))
}
