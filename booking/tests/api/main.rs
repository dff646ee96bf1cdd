//! Black-box tests of the booking service against real PostgreSQL and Redis.

mod attorney;
mod authority;
mod batches;
mod crash;
mod eligibility;
mod flow;
mod gate;
mod helpers;
mod holds;
mod instance_kill;
mod invariant;
mod limits;
mod operations;
mod partitions;
mod process;
mod reconcile;
mod replica;
mod scale;
mod uptake;
mod waitroom;
