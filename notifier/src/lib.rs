//! The notifier: turns outbox rows into letters and delivers each exactly once.
//!
//! - `domain`: pure types (CPR, the notices the outbox carries); no I/O;
//! - `render`: the letter text (Danish/English), the PDF, the MeMo 1.2 XML and the
//!   print-batch manifest; pure functions, no I/O;
//! - `store`: PostgreSQL (all SQL of this crate); `ratelimit`: the Redis token bucket;
//! - `gateway`: the Digital Post adapter (HTTP to a configurable URL);
//!   `print`: the paper print batches on disk;
//! - `worker`: claims, renders, sends, retries, dead-letters, reminds;
//! - `sim`: the Digital Post gateway simulator (development and tests only).
//!
//! No CPR number is ever written to a log, a metric label or a Redis key.

pub mod clock;
pub mod domain;
pub mod error;
pub mod gateway;
pub mod print;
pub mod ratelimit;
pub mod render;
pub mod settings;
pub mod sim;
pub mod store;
pub mod worker;
