//! Load tests and benchmarks of a running system.
//!
//! - `scenarios`: goose scenarios of opening day (surge, bots, steady, opening, passes,
//!   verifier); `opening` the waiting room its gated opening queues in;
//! - `invariant`: the booking invariant checked in PostgreSQL after every run;
//! - `bench`: the benchmark that measures the machine's own ceilings (Redis running the
//!   hold script, PostgreSQL running the confirm transaction, a static HTTP responder)
//!   and then the booking service under the same load generator;
//! - `citizens`, `record`: synthetic citizens, and the confirmed ids a run saw.
//!
//! Load runs only ever target addresses on this machine.

pub mod bench;
pub mod citizens;
pub mod invariant;
pub mod opening;
pub mod record;
pub mod scenarios;
