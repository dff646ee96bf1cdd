//! Integration tests of the certificate crate (one binary, several modules).

mod cli;
mod common;
mod conformance;
mod pipeline;
mod properties;
mod roundtrip;
mod schema;
