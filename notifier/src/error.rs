//! The notifier's errors, one enum per layer. The worker turns each into an outcome:
//! retry later (the gateway or a store is down) or dead letter (the letter can never be
//! sent as it is), with the reason kept in `outbox.last_error` (never a CPR number).

use crate::domain::NoticeError;
use crate::render::RenderError;

/// PostgreSQL.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no database connection")]
    Pool(#[from] deadpool_postgres::PoolError),
    #[error("database query failed")]
    Query(#[from] tokio_postgres::Error),
}

/// The Digital Post gateway.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// The gateway refused the message for good (4xx other than 429).
    #[error("gateway rejected the message ({status}): {reason}")]
    Rejected { status: u16, reason: String },
    /// Try again later: 5xx, 429, a timeout or no connection.
    #[error("gateway unavailable: {0}")]
    Unavailable(String),
}

/// The print batch directory.
#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    #[error("cannot write the print batch: {0}")]
    Io(#[from] std::io::Error),
}

/// The rate limiter.
#[derive(Debug, thiserror::Error)]
pub enum RateLimitError {
    #[error("rate limiter unavailable")]
    Redis(#[from] redis::RedisError),
}

/// What went wrong with one letter, deciding retry or dead letter.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error(transparent)]
    Notice(#[from] NoticeError),
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error("the recipient's CPR number is malformed")]
    BadCpr,
    #[error(transparent)]
    Gateway(#[from] GatewayError),
    #[error(transparent)]
    Print(#[from] PrintError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    RateLimit(#[from] RateLimitError),
}

impl DeliveryError {
    /// A permanent failure: sending again cannot help.
    pub fn is_permanent(&self) -> bool {
        match self {
            Self::Notice(_) | Self::Render(_) | Self::BadCpr => true,
            Self::Gateway(GatewayError::Rejected { .. }) => true,
            Self::Gateway(GatewayError::Unavailable(_))
            | Self::Print(_)
            | Self::Store(_)
            | Self::RateLimit(_) => false,
        }
    }
}

/// The worker loop.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Print(#[from] PrintError),
    #[error("cannot start the worker: {0}")]
    Setup(String),
}

/// The full cause chain of an error, for the log.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cause = c.source();
    }
    out
}
