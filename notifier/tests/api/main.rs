//! Integration tests: real PostgreSQL (a fresh database per test, booking migrations
//! applied), real Redis (a unique key prefix per test), the gateway simulator in
//! process on port 0. No sleeps: the worker is drained and its clock moved.

mod delivery;
mod faults;
mod helpers;
mod reminders;
mod worker;
