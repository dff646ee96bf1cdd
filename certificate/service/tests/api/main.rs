//! Black-box tests of the pass service: the real service on a free port against a fresh
//! PostgreSQL database, development signing keys generated per test.

mod bulk;
mod domestic;
mod helpers;
mod passes;
mod registers;
mod replica;
mod secrets;
mod verifier;
mod verifier_page;
