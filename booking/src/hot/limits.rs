//! What a request does in Redis before it runs (`scripts/ratelimit.lua`): one more
//! request in a fixed rate-limit window, and the claim of its Idempotency-Key, in one
//! round trip. A citizen's hold or confirmation used to make these two round trips one
//! after the other, each a send and a wake-up on both sides, before its own work began.

use super::{HotResult, HotStore};

/// A fixed-window rate limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Requests allowed per window (at least 1).
    pub limit: u32,
    pub window_ms: i64,
}

impl Window {
    /// `None` for a limit of 0 (no limit).
    pub fn new(limit: u32, window_seconds: u32) -> Option<Self> {
        (limit > 0).then(|| Self {
            limit,
            window_ms: i64::from(window_seconds.max(1)) * 1000,
        })
    }
}

/// A claim to make: the record's key, the pending record, how long it blocks retries.
pub struct Claim<'a> {
    pub key: &'a str,
    pub pending: &'a str,
    pub pending_ms: u64,
}

/// What the script decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FirstStep {
    /// Within the limit, and the key (if any) is now this request's.
    Go,
    /// Over the limit; nothing was claimed.
    Limited { retry_after_seconds: u32 },
    /// The key was claimed before: its record (`None` if it ran out meanwhile).
    Claimed(Option<String>),
}

impl HotStore {
    /// One more request in `counter`'s window: `Some(retry_after_seconds)` when it is
    /// over the limit. When Redis does not answer the request goes through: a limit is a
    /// fairness tool, and the booking invariant does not rest on it.
    pub async fn count(&self, counter: &str, window: Window) -> Option<u32> {
        match self.first_step(Some((counter, window)), None).await {
            Ok(FirstStep::Limited {
                retry_after_seconds,
            }) => Some(retry_after_seconds),
            Ok(_) => None,
            Err(e) => {
                tracing::warn!(error = %e, "rate limit not checked: redis failed");
                None
            }
        }
    }

    /// Counts one request against `counter`'s window (if given), then claims `claim`
    /// (if given).
    pub async fn first_step(
        &self,
        counter: Option<(&str, Window)>,
        claim: Option<Claim<'_>>,
    ) -> HotResult<FirstStep> {
        let mut call = self.scripts.limit.prepare_invoke();
        match counter {
            Some((key, w)) => {
                call.key(key).arg(w.limit).arg(w.window_ms);
            }
            None => {
                call.arg(0).arg(0);
            }
        }
        match &claim {
            Some(c) => {
                call.key(c.key).arg(c.pending).arg(c.pending_ms);
            }
            None => {
                call.arg("").arg(0);
            }
        }
        let (verdict, detail): (i64, redis::Value) = call.invoke_async(&mut self.conn()).await?;
        match verdict {
            1 => Ok(FirstStep::Go),
            -1 => {
                let ttl_ms = redis::from_redis_value::<i64>(detail).unwrap_or(1000);
                Ok(FirstStep::Limited {
                    retry_after_seconds: u32::try_from((ttl_ms.max(1) + 999) / 1000).unwrap_or(1),
                })
            }
            0 => Ok(FirstStep::Claimed(
                redis::from_redis_value::<Option<String>>(detail).unwrap_or(None),
            )),
            _ => Err((
                redis::ErrorKind::UnexpectedReturnType,
                "the rate-limit script answered something else",
            )
                .into()),
        }
    }
}
