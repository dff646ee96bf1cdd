//! Reporting into the registers: one record, a bulk file, or a withdrawal. Idempotent by
//! (sender, sender's record id): the same record again changes nothing; a changed record
//! is a correction that supersedes the old version and revokes every pass issued from
//! it; "entered in error" withdraws the record and revokes likewise. A record with a
//! booking id marks that booking `done` in the same transaction.

use std::collections::{HashMap, HashSet};

use identity::Cpr;
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio_postgres::Transaction;
use uuid::Uuid;

use super::Service;
use crate::domain::passes::Register;
use crate::domain::records::{
    content_hash, CheckContext, FieldError, RecordErrors, RecordId, TestInput, TestRecord,
    VaccinationInput, VaccinationRecord,
};
use crate::error::{LineError, PassError, Result};
use crate::store::{passes, registers};

/// What happened to a submitted record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Created,
    Unchanged,
    Corrected,
}

/// The answer about one record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RecordReceipt {
    pub record_id: String,
    /// The register's id of the current version.
    pub version: i64,
    /// `active` or `entered_in_error`.
    #[schema(value_type = String, example = "active")]
    pub status: &'static str,
    /// Passes revoked by this request.
    pub revoked_passes: u64,
}

/// The answer about a bulk file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct BulkReceipt {
    /// Records (non-blank lines) in the file.
    pub received: usize,
    /// New records stored.
    pub imported: usize,
    /// Records the register already held exactly so (or repeated within the file).
    pub unchanged: usize,
    /// Records that replaced an earlier version (its passes revoked).
    pub corrected: usize,
    /// Bad lines: nothing of them was stored.
    pub rejected: usize,
    /// Passes revoked by the corrections.
    pub revoked_passes: u64,
    /// Every bad line, in line order.
    pub errors: Vec<LineError>,
}

/// The two kinds of record, so one code path serves both registers.
#[allow(async_fn_in_trait)] // used by this crate's actix handlers only, which need no Send
pub trait RegisterRecord: Sized + Serialize {
    type Input: DeserializeOwned;
    const REGISTER: Register;
    fn check_input(
        input: &Self::Input,
        ctx: CheckContext<'_>,
        country: &str,
    ) -> Result<Self, RecordErrors>;
    fn input_record_id(input: &Self::Input) -> &str;
    fn record_id(&self) -> &RecordId;
    fn cpr(&self) -> &Cpr;
    fn booking_id(&self) -> Option<Uuid>;
    async fn insert(&self, tx: &Transaction<'_>, sender: &str, hash: &[u8]) -> Result<Option<i64>>;
    async fn insert_bulk(
        tx: &Transaction<'_>,
        sender: &str,
        records: &[(&Self, &[u8])],
    ) -> Result<Vec<String>>;
}

impl RegisterRecord for TestRecord {
    type Input = TestInput;
    const REGISTER: Register = Register::Test;
    fn check_input(
        i: &TestInput,
        ctx: CheckContext<'_>,
        country: &str,
    ) -> Result<Self, RecordErrors> {
        i.check(ctx, country)
    }
    fn input_record_id(input: &TestInput) -> &str {
        &input.record_id
    }
    fn record_id(&self) -> &RecordId {
        &self.record_id
    }
    fn cpr(&self) -> &Cpr {
        &self.cpr
    }
    fn booking_id(&self) -> Option<Uuid> {
        self.booking_id
    }
    async fn insert(&self, tx: &Transaction<'_>, sender: &str, hash: &[u8]) -> Result<Option<i64>> {
        registers::insert_test(tx, sender, self, hash).await
    }
    async fn insert_bulk(
        tx: &Transaction<'_>,
        sender: &str,
        records: &[(&Self, &[u8])],
    ) -> Result<Vec<String>> {
        registers::insert_tests_bulk(tx, sender, records).await
    }
}

impl RegisterRecord for VaccinationRecord {
    type Input = VaccinationInput;
    const REGISTER: Register = Register::Vaccination;
    fn check_input(
        i: &VaccinationInput,
        ctx: CheckContext<'_>,
        country: &str,
    ) -> Result<Self, RecordErrors> {
        i.check(ctx, country)
    }
    fn input_record_id(input: &VaccinationInput) -> &str {
        &input.record_id
    }
    fn record_id(&self) -> &RecordId {
        &self.record_id
    }
    fn cpr(&self) -> &Cpr {
        &self.cpr
    }
    fn booking_id(&self) -> Option<Uuid> {
        self.booking_id
    }
    async fn insert(&self, tx: &Transaction<'_>, sender: &str, hash: &[u8]) -> Result<Option<i64>> {
        registers::insert_vaccination(tx, sender, self, hash).await
    }
    async fn insert_bulk(
        tx: &Transaction<'_>,
        sender: &str,
        records: &[(&Self, &[u8])],
    ) -> Result<Vec<String>> {
        registers::insert_vaccinations_bulk(tx, sender, records).await
    }
}

/// A bulk body's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkFormat {
    Ndjson,
    Csv,
}

impl Service {
    fn check_context(&self) -> CheckContext<'_> {
        CheckContext {
            codes: self.codes(),
            now: self.now(),
            leeway: chrono::Duration::seconds(i64::from(
                self.register_settings().future_leeway_seconds,
            )),
        }
    }

    /// Checks one record as sent.
    pub fn check_record<R: RegisterRecord>(&self, input: &R::Input) -> Result<R> {
        R::check_input(input, self.check_context(), &self.pass_settings().country)
            .map_err(|e| PassError::InvalidRecord(e.0))
    }

    /// Stores one checked record.
    pub async fn submit<R: RegisterRecord>(
        &self,
        sender: &str,
        record: &R,
    ) -> Result<(Outcome, RecordReceipt)> {
        let mut client = self.pg().get().await?;
        let tx = client.transaction().await?;
        let answer = submit_in(&tx, sender, record).await?;
        tx.commit().await?;
        let outcome = match answer.0 {
            Outcome::Created => "created",
            Outcome::Unchanged => "unchanged",
            Outcome::Corrected => "corrected",
        };
        metrics::counter!("register_records_total", "register" => R::REGISTER.as_str(), "outcome" => outcome)
            .increment(1);
        Ok(answer)
    }

    /// Withdraws a record as entered in error and revokes its passes. Withdrawing a
    /// withdrawn record changes nothing.
    pub async fn withdraw(
        &self,
        register: Register,
        sender: &str,
        record_id: &str,
    ) -> Result<RecordReceipt> {
        let record_id = RecordId::parse(record_id).map_err(|_| PassError::NotFound("record"))?;
        let mut client = self.pg().get().await?;
        let tx = client.transaction().await?;
        let current = registers::lock_current(&tx, register, sender, record_id.as_str())
            .await?
            .ok_or(PassError::NotFound("record"))?;
        let mut revoked = 0;
        if current.status != "entered_in_error" {
            registers::set_status(&tx, register, current.id, "entered_in_error", None).await?;
            revoked =
                passes::revoke_from_record(&tx, register, current.id, "entered_in_error").await?;
        }
        tx.commit().await?;
        tracing::info!(register = register.as_str(), revoked, "record withdrawn");
        Ok(RecordReceipt {
            record_id: record_id.as_str().to_owned(),
            version: current.id,
            status: "entered_in_error",
            revoked_passes: revoked,
        })
    }

    /// Imports a bulk file. A file that cannot be read as a whole (not UTF-8, no CSV
    /// header, more than `bulk_max_records` lines) is refused and changes nothing. Each
    /// line is checked on its own: the good lines are imported in one transaction (one
    /// multi-row insert for new records, the single-record path for corrections), every
    /// bad line is reported with its number, record id and errors and changes nothing.
    /// Lines repeating a record id with different data are all refused (which one is
    /// right cannot be told); an identical repeat counts as unchanged. A file whose every
    /// line is bad is refused as a whole (`invalid_lines`).
    pub async fn import<R: RegisterRecord>(
        &self,
        sender: &str,
        format: BulkFormat,
        body: &[u8],
    ) -> Result<BulkReceipt> {
        let max = self.register_settings().bulk_max_records;
        let parsed = match format {
            BulkFormat::Ndjson => parse_ndjson::<R::Input>(body, max)?,
            BulkFormat::Csv => parse_csv::<R::Input>(body, max)?,
        };
        if parsed.is_empty() {
            return Err(PassError::Invalid("the file holds no records".into()));
        }
        let received = parsed.len();
        let mut receipt = BulkReceipt {
            received,
            ..BulkReceipt::default()
        };
        let mut candidates =
            check_lines::<R>(parsed, self.check_context(), &self.pass_settings().country);
        receipt.unchanged += candidates.repeats;
        let mut errors = std::mem::take(&mut candidates.errors);
        if candidates.records.is_empty() {
            return Err(rejected(errors));
        }

        let mut client = self.pg().get().await?;
        let tx = client.transaction().await?;
        let ids: Vec<&str> = candidates
            .records
            .iter()
            .map(|c| c.record.record_id().as_str())
            .collect();
        let current = registers::lock_current_many(&tx, R::REGISTER, sender, &ids).await?;
        // What each good line would do, against what the register holds.
        let mut new = Vec::new();
        let mut corrections = Vec::new();
        for c in candidates.records {
            match current.get(c.record.record_id().as_str()) {
                None => new.push(c),
                Some(v) if v.status == "entered_in_error" => {
                    errors.push(c.refused("record_id", &PassError::RecordWithdrawn));
                }
                Some(v) if v.cpr != c.record.cpr().as_str() => {
                    errors.push(c.refused("record_id", &PassError::RecordIdConflict));
                }
                Some(v) if v.content_hash == c.hash => receipt.unchanged += 1,
                Some(_) => corrections.push(c),
            }
        }
        // Bookings named by the lines that will be stored must be the same person's.
        let bookings: Vec<(Uuid, String)> = new
            .iter()
            .chain(&corrections)
            .filter_map(|c| {
                c.record
                    .booking_id()
                    .map(|b| (b, c.record.cpr().as_str().to_owned()))
            })
            .collect();
        let missing: HashSet<Uuid> = registers::mark_bookings_done(&tx, &bookings)
            .await?
            .into_iter()
            .collect();
        if !missing.is_empty() {
            let unknown =
                |c: &Candidate<R>| c.record.booking_id().is_some_and(|b| missing.contains(&b));
            for list in [&mut new, &mut corrections] {
                let (bad, good): (Vec<_>, Vec<_>) =
                    std::mem::take(list).into_iter().partition(unknown);
                *list = good;
                errors.extend(
                    bad.iter()
                        .map(|c| c.refused("booking_id", &PassError::UnknownBooking)),
                );
            }
        }

        let rows: Vec<(&R, &[u8])> = new.iter().map(|c| (&c.record, c.hash.as_slice())).collect();
        let inserted: HashSet<String> = R::insert_bulk(&tx, sender, &rows)
            .await?
            .into_iter()
            .collect();
        receipt.imported += inserted.len();
        // A record another request inserted meanwhile takes the single-record path, as
        // every correction does.
        let single = new
            .iter()
            .filter(|c| !inserted.contains(c.record.record_id().as_str()))
            .chain(&corrections);
        for c in single {
            match submit_in(&tx, sender, &c.record).await {
                Ok((Outcome::Created, _)) => receipt.imported += 1,
                Ok((Outcome::Unchanged, _)) => receipt.unchanged += 1,
                Ok((Outcome::Corrected, r)) => {
                    receipt.corrected += 1;
                    receipt.revoked_passes += r.revoked_passes;
                }
                Err(
                    e @ (PassError::RecordWithdrawn
                    | PassError::RecordIdConflict
                    | PassError::UnknownBooking),
                ) => {
                    let field = if matches!(e, PassError::UnknownBooking) {
                        "booking_id"
                    } else {
                        "record_id"
                    };
                    errors.push(c.refused(field, &e));
                }
                Err(e) => return Err(e),
            }
        }
        if receipt.imported + receipt.corrected + receipt.unchanged == 0 {
            // Nothing good in the file: refuse it whole (the transaction rolls back).
            return Err(rejected(errors));
        }
        tx.commit().await?;
        errors.sort_by_key(|e| e.line);
        receipt.rejected = errors.len();
        receipt.errors = errors;
        let register = R::REGISTER.as_str();
        for (outcome, n) in [
            ("created", receipt.imported),
            ("unchanged", receipt.unchanged),
            ("corrected", receipt.corrected),
            ("rejected", receipt.rejected),
        ] {
            metrics::counter!("register_records_total", "register" => register, "outcome" => outcome)
                .increment(n as u64);
        }
        tracing::info!(
            register,
            received = receipt.received,
            imported = receipt.imported,
            unchanged = receipt.unchanged,
            corrected = receipt.corrected,
            rejected = receipt.rejected,
            "bulk import"
        );
        Ok(receipt)
    }
}

fn rejected(mut errors: Vec<LineError>) -> PassError {
    errors.sort_by_key(|e| e.line);
    PassError::BulkRejected(errors)
}

/// A checked line of a bulk file.
struct Candidate<R> {
    line: usize,
    record: R,
    hash: Vec<u8>,
}

impl<R: RegisterRecord> Candidate<R> {
    fn refused(&self, field: &'static str, why: &PassError) -> LineError {
        LineError {
            line: self.line,
            record_id: Some(self.record.record_id().as_str().to_owned()),
            errors: vec![FieldError {
                field,
                message: why.to_string(),
            }],
        }
    }
}

/// The lines of a file sorted into good records, bad lines and identical repeats.
struct Checked<R> {
    records: Vec<Candidate<R>>,
    errors: Vec<LineError>,
    /// Lines that repeat an earlier line exactly (counted unchanged).
    repeats: usize,
}

/// Checks every line on its own, then refuses every line of a record id that the file
/// repeats with different data.
fn check_lines<R: RegisterRecord>(
    parsed: Parsed<R::Input>,
    ctx: CheckContext<'_>,
    country: &str,
) -> Checked<R> {
    let mut errors = Vec::new();
    let mut records: Vec<Candidate<R>> = Vec::with_capacity(parsed.len());
    // record id → index in `records` of its first line, and its later lines (line
    // number, identical to the first?).
    let mut seen: HashMap<String, (usize, Vec<(usize, bool)>)> =
        HashMap::with_capacity(parsed.len());
    for (line, input) in parsed {
        let input = match input {
            Ok(i) => i,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let id = R::input_record_id(&input).to_owned();
        let record = match R::check_input(&input, ctx, country) {
            Ok(r) => r,
            Err(e) => {
                errors.push(LineError {
                    line,
                    record_id: Some(id),
                    errors: e.0,
                });
                continue;
            }
        };
        let hash = content_hash(&record);
        match seen.get_mut(&id) {
            Some((first, later)) => later.push((line, records[*first].hash == hash)),
            None => {
                seen.insert(id, (records.len(), Vec::new()));
                records.push(Candidate { line, record, hash });
            }
        }
    }
    let mut repeats = 0;
    let mut keep = vec![true; records.len()];
    for (id, (first, later)) in &seen {
        if later.iter().all(|(_, identical)| *identical) {
            repeats += later.len();
            continue;
        }
        keep[*first] = false;
        let lines: Vec<usize> = std::iter::once(records[*first].line)
            .chain(later.iter().map(|(l, _)| *l))
            .collect();
        for &line in &lines {
            let others = lines
                .iter()
                .filter(|l| **l != line)
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            errors.push(LineError {
                line,
                record_id: Some(id.clone()),
                errors: vec![FieldError {
                    field: "record_id",
                    message: format!(
                        "the file sends this record id with different data on line(s) {others}; none of these lines was imported"
                    ),
                }],
            });
        }
    }
    let mut keep = keep.into_iter();
    records.retain(|_| keep.next().unwrap_or(true));
    Checked {
        records,
        errors,
        repeats,
    }
}

/// The single-record path inside the caller's transaction.
async fn submit_in<R: RegisterRecord>(
    tx: &Transaction<'_>,
    sender: &str,
    record: &R,
) -> Result<(Outcome, RecordReceipt)> {
    let hash = content_hash(record);
    let register = R::REGISTER;
    let receipt = |version: i64, revoked: u64| RecordReceipt {
        record_id: record.record_id().as_str().to_owned(),
        version,
        status: "active",
        revoked_passes: revoked,
    };
    // Two tries: a concurrent first insert of the same id makes ours a no-op; the second
    // look then finds (and waits for) that row.
    for _ in 0..2 {
        let current =
            registers::lock_current(tx, register, sender, record.record_id().as_str()).await?;
        match current {
            None => {
                mark_booking(tx, record).await?;
                if let Some(id) = record.insert(tx, sender, &hash).await? {
                    return Ok((Outcome::Created, receipt(id, 0)));
                }
            }
            Some(c) if c.status == "entered_in_error" => return Err(PassError::RecordWithdrawn),
            Some(c) if c.cpr != record.cpr().as_str() => return Err(PassError::RecordIdConflict),
            Some(c) if c.content_hash == hash => return Ok((Outcome::Unchanged, receipt(c.id, 0))),
            Some(c) => {
                mark_booking(tx, record).await?;
                registers::set_status(tx, register, c.id, "corrected", None).await?;
                let id = record.insert(tx, sender, &hash).await?.ok_or_else(|| {
                    PassError::Internal(anyhow::anyhow!("corrected version not inserted"))
                })?;
                registers::set_status(tx, register, c.id, "corrected", Some(id)).await?;
                let revoked = passes::revoke_from_record(tx, register, c.id, "corrected").await?;
                return Ok((Outcome::Corrected, receipt(id, revoked)));
            }
        }
    }
    Err(PassError::Unavailable(anyhow::anyhow!(
        "record id contended by concurrent requests"
    )))
}

async fn mark_booking<R: RegisterRecord>(tx: &Transaction<'_>, record: &R) -> Result<()> {
    let Some(booking) = record.booking_id() else {
        return Ok(());
    };
    let missing =
        registers::mark_bookings_done(tx, &[(booking, record.cpr().as_str().to_owned())]).await?;
    if missing.is_empty() {
        Ok(())
    } else {
        Err(PassError::UnknownBooking)
    }
}

type Parsed<I> = Vec<(usize, std::result::Result<I, LineError>)>;

fn too_many(max: usize) -> PassError {
    PassError::Invalid(format!("a bulk file may hold at most {max} records"))
}

fn line_error(line: usize, message: String) -> LineError {
    LineError {
        line,
        record_id: None,
        errors: vec![FieldError {
            field: "line",
            message,
        }],
    }
}

/// serde's message without input values (a CPR number could be among them): field
/// names are safe, values are not.
pub(crate) fn json_message(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let text = e.to_string();
    match e.classify() {
        Category::Data if text.starts_with("missing field") || text.starts_with("unknown field") => {
            text.split(" at line").next().unwrap_or("").to_owned()
        }
        Category::Data => format!(
            "a field has the wrong type (text for most, numbers for dose_number and total_doses; column {})",
            e.column()
        ),
        Category::Syntax | Category::Eof | Category::Io => {
            format!("not valid JSON (column {})", e.column())
        }
    }
}

fn parse_ndjson<I: DeserializeOwned>(body: &[u8], max: usize) -> Result<Parsed<I>> {
    let text = std::str::from_utf8(body)
        .map_err(|_| PassError::Invalid("the body is not UTF-8 text".into()))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        if out.len() == max {
            return Err(too_many(max));
        }
        let parsed =
            serde_json::from_str::<I>(line).map_err(|e| line_error(i + 1, json_message(&e)));
        out.push((i + 1, parsed));
    }
    Ok(out)
}

fn parse_csv<I: DeserializeOwned>(body: &[u8], max: usize) -> Result<Parsed<I>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(body);
    let headers = reader
        .headers()
        .map_err(|_| PassError::Invalid("the CSV file has no readable header line".into()))?
        .clone();
    let mut out = Vec::new();
    for (i, row) in reader.records().enumerate() {
        if out.len() == max {
            return Err(too_many(max));
        }
        // The header is line 1.
        let fallback = i + 2;
        let parsed = match row {
            Ok(row) => {
                let line = row
                    .position()
                    .and_then(|p| usize::try_from(p.line()).ok())
                    .unwrap_or(fallback);
                (
                    line,
                    row.deserialize::<I>(Some(&headers))
                        .map_err(|e| line_error(line, csv_message(&e))),
                )
            }
            Err(e) => (fallback, Err(line_error(fallback, csv_message(&e)))),
        };
        out.push(parsed);
    }
    Ok(out)
}

/// The CSV error without cell contents.
fn csv_message(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Deserialize { err, .. } => {
            let column = err
                .field()
                .map(|f| format!(" (column {})", f + 1))
                .unwrap_or_default();
            match err.kind() {
                csv::DeserializeErrorKind::Message(m)
                    if m.starts_with("missing field") || m.starts_with("unknown field") =>
                {
                    format!("{m}{column}")
                }
                _ => format!("a cell has the wrong type{column}"),
            }
        }
        csv::ErrorKind::UnequalLengths { .. } => {
            "the row has a different number of cells than the header".into()
        }
        csv::ErrorKind::Utf8 { .. } => "the row is not UTF-8 text".into(),
        _ => "the row cannot be read".into(),
    }
}
