//! The slot-booking service: campaigns, sites and slots; Redis holds; bookings in
//! PostgreSQL that are never overbooked.
//!
//! - `domain`: pure rules and types (no I/O);
//! - `store`: PostgreSQL, the source of truth (SQL lives there);
//! - `hot`: Redis, the fast path (Lua scripts in `hot/scripts/`), and the reconciler;
//! - `service`: the operations, ordering PostgreSQL and Redis so a crash loses nothing;
//! - `routes`: thin HTTP handlers; `middleware`: load shedding and rate limits;
//!   `startup`: wiring.

pub mod clock;
pub mod demo;
pub mod domain;
pub mod error;
pub mod hot;
pub mod idempotency;
pub mod middleware;
pub mod routes;
pub mod service;
pub mod settings;
pub mod startup;
pub mod store;
pub mod waitroom;
