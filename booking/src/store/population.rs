//! Loading the population register extract with COPY (millions of rows in minutes).
//! Rows go to a temporary table first and are merged in one statement, so an import is
//! all or nothing and a re-import updates citizens in place.

use bytes::BytesMut;
use futures::SinkExt;
use std::fmt::Write;

use crate::domain::population::CitizenRecord;
use crate::error::Result;

/// COPY text format: backslash, tab, newline and carriage return are escaped.
fn push_field(buf: &mut BytesMut, value: &str) {
    for c in value.chars() {
        match c {
            '\\' => buf.extend_from_slice(b"\\\\"),
            '\t' => buf.extend_from_slice(b"\\t"),
            '\n' => buf.extend_from_slice(b"\\n"),
            '\r' => buf.extend_from_slice(b"\\r"),
            c => {
                let mut tmp = [0u8; 4];
                buf.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
            }
        }
    }
}

fn push_row(buf: &mut BytesMut, c: &CitizenRecord) {
    let birth = c.cpr.birth_date().to_string();
    let municipality = c.municipality.get().to_string();
    let groups = format!("{{{}}}", c.priority_groups.join(","));
    let fields: [&str; 12] = [
        c.cpr.as_str(),
        &c.given_name,
        &c.family_name,
        &c.address,
        &c.postcode,
        &c.city,
        &municipality,
        &birth,
        c.digital_post.as_str(),
        if c.nemsms { "t" } else { "f" },
        c.language,
        &groups,
    ];
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            buf.extend_from_slice(b"\t");
        }
        push_field(buf, f);
    }
    buf.extend_from_slice(b"\n");
}

const COLUMNS: &str = "cpr, given_name, family_name, address, postcode, city, municipality_code, \
                       birth_date, digital_post, nemsms, language, priority_groups";

/// Loads citizens from an iterator in one transaction; returns how many were loaded.
pub async fn load(
    tx: &tokio_postgres::Transaction<'_>,
    citizens: impl Iterator<Item = CitizenRecord>,
) -> Result<u64> {
    tx.batch_execute(
        "CREATE TEMP TABLE citizens_import (LIKE citizens INCLUDING DEFAULTS) ON COMMIT DROP",
    )
    .await?;
    let sink = tx
        .copy_in(&format!("COPY citizens_import ({COLUMNS}) FROM STDIN"))
        .await?;
    futures::pin_mut!(sink);
    let mut buf = BytesMut::with_capacity(1 << 20);
    for c in citizens {
        push_row(&mut buf, &c);
        if buf.len() > (1 << 20) {
            sink.send(buf.split().freeze()).await?;
        }
    }
    if !buf.is_empty() {
        sink.send(buf.split().freeze()).await?;
    }
    sink.as_mut().finish().await?;
    let mut set = String::new();
    for col in COLUMNS.split(", ").skip(1) {
        let _ = write!(set, "{col} = EXCLUDED.{col}, ");
    }
    let set = set.trim_end_matches(", ");
    let n = tx
        .execute(
            &format!(
                "INSERT INTO citizens ({COLUMNS}) SELECT {COLUMNS} FROM citizens_import
                 ON CONFLICT (cpr) DO UPDATE SET {set}"
            ),
            &[],
        )
        .await?;
    Ok(n)
}

pub async fn count(c: &impl tokio_postgres::GenericClient) -> Result<i64> {
    Ok(c.query_one("SELECT count(*) FROM citizens", &[])
        .await?
        .get(0))
}
