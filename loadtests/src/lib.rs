//! Load tests and benchmarks of a running system. `quick-booking` is a short
//! measurement of holds and confirms per second; the full goose harness belongs to the
//! opening-day issue.
