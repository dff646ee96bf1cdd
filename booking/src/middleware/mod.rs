//! What stands in front of the handlers on opening day:
//!
//! - `admission`: a cap on requests in flight; past it, an immediate 503 with
//!   Retry-After, before any body is read, token verified or store touched, so
//!   overload costs almost nothing and admitted requests keep their latency;
//! - `ratelimit`: per client address (every `/v1` request), counted in Redis so all
//!   instances share it; 429 with Retry-After. Addresses are keyed by a keyed hash: no
//!   IP address is ever a Redis key. (The limit per citizen goes with the request's
//!   Idempotency-Key claim, in `crate::idempotency`, one round trip for both.)
//!
//! (While a waiting room gates an opening, a hold needs its admission token; that check
//! is the hold's own, in `routes::citizen::create_hold`, as it depends on the slot.)
//!
//! Operations endpoints (`/healthz`, `/readyz`, `/metrics`) are never shed or limited.

pub mod admission;
pub mod ratelimit;

pub use admission::{admit, Admission};
pub use ratelimit::{rate_limit, RateLimiter};

/// Only the API is shed and limited; probes and metrics must answer under overload.
fn guarded(path: &str) -> bool {
    path.starts_with("/v1/")
}
