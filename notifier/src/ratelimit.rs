//! The provider's quota as a token bucket in Redis, shared by every worker. The key is
//! `{prefix}ratelimit:{provider}`: never a CPR number. Time comes from Redis (`TIME`)
//! so workers on different machines agree.

use service_kit::storage::RedisPool;
use std::time::Duration;

use crate::error::RateLimitError;

/// Takes one token if there is one; otherwise answers how long until there is.
const TAKE: &str = r#"
local key = KEYS[1]
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', key, 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = burst
  at = now
end
local elapsed = math.max(0, now - at)
tokens = math.min(burst, tokens + elapsed * rate / 1000)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = math.ceil((1 - tokens) * 1000 / rate)
end
redis.call('HSET', key, 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', key, math.ceil(burst * 1000 / rate) + 1000)
return wait
"#;

#[derive(Clone)]
pub struct RateLimiter {
    redis: RedisPool,
    key: String,
    rate: u32,
    script: redis::Script,
}

impl RateLimiter {
    /// `rate` messages per second (0 = no limit); the burst is one second's worth.
    pub fn new(redis: RedisPool, prefix: &str, provider: &str, rate: u32) -> Self {
        Self {
            redis,
            key: format!("{prefix}ratelimit:{provider}"),
            rate,
            script: redis::Script::new(TAKE),
        }
    }

    /// Tries to take a token: `None` if taken, else how long to wait before trying again.
    pub async fn try_take(&self) -> Result<Option<Duration>, RateLimitError> {
        if self.rate == 0 {
            return Ok(None);
        }
        let mut conn = self.redis.get();
        let wait: i64 = self
            .script
            .key(&self.key)
            .arg(self.rate)
            .arg(self.rate.max(1))
            .invoke_async(&mut conn)
            .await?;
        Ok((wait > 0).then(|| Duration::from_millis(wait.unsigned_abs())))
    }

    /// Waits until a token is free and takes it.
    pub async fn acquire(&self) -> Result<(), RateLimitError> {
        while let Some(wait) = self.try_take().await? {
            tokio::time::sleep(wait).await;
        }
        Ok(())
    }
}
