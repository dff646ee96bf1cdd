//! Plumbing every service shares: settings, telemetry, the problem+json error body,
//! the request middleware (request id, access log, metrics), health and metrics
//! endpoints, storage pools and test support. Holds no domain logic.

pub mod calendar;
pub mod http;
pub mod pdf_text;
pub mod problem;
pub mod redis_cluster;
pub mod settings;
pub mod storage;
pub mod telemetry;
pub mod testing;

pub use problem::Problem;
