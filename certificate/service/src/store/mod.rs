//! PostgreSQL: the registers, issued passes and revocations (schema in
//! `booking/migrations/V4__registers.sql`). All SQL of this crate lives in this folder;
//! callers own the transaction and pass it in.

pub mod passes;
pub mod registers;

/// The name of the constraint a database error violated, if any.
pub fn violated_constraint(e: &tokio_postgres::Error) -> Option<&str> {
    e.as_db_error().and_then(|d| d.constraint())
}
