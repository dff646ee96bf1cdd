//! Pure types and rules of the registers and passes. No I/O here: records are parsed
//! and checked, pass windows computed, and nothing is read or written.

pub mod codes;
pub mod passes;
pub mod records;
pub mod validity;
