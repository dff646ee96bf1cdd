//! The pass service: the national test and vaccination registers, EU DCC passes issued
//! from them, and what verifiers download (trust list, revocation list, business rules).
//!
//! - `domain`: pure types and rules (record validation, value-set codes, which pass a
//!   citizen can have and for how long); no I/O;
//! - `store`: PostgreSQL, the source of truth (all SQL of this crate lives there);
//! - `pdf`: the printable pass (pure);
//! - `signing`: the DCC issuer around the certificate library's `Signer`;
//! - `service`: the operations, each owning its transaction;
//! - `routes`: thin HTTP handlers; `startup`: wiring.
//!
//! Nothing here may log a CPR number, an HC1 text or the signing key.

pub mod domain;
pub mod error;
pub mod pdf;
pub mod routes;
pub mod service;
pub mod settings;
pub mod signing;
pub mod startup;
pub mod store;
