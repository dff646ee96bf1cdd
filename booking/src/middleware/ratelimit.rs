//! Rate limits shared by every instance (Redis fixed windows, `hot/scripts/ratelimit.lua`):
//!
//! - per client address, on every `/v1` request, so one script cannot take the
//!   availability pages from everyone else; addresses in `limits.address_allow` (a load
//!   generator) are exempt;
//! - per citizen, on state-changing requests (holds, bookings, cancels, moves), so a
//!   bot with one person's token cannot grab and drop places for ever.
//!
//! Keys: `<prefix>{rl:a:<keyed hash of the address>}` and `<prefix>{cit:<pseudonym>}:rl`.
//! No CPR number and no IP address is ever a key. When Redis does not answer, requests
//! go through (the limit is a fairness tool; the booking invariant does not rest on it).

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web;
use identity::CitizenAccess;
use redis::Script;
use service_kit::Problem;
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::Arc;

use crate::hot::HotStore;
use crate::service::Service;
use crate::settings::LimitSettings;

#[derive(Clone)]
pub struct RateLimiter {
    hot: HotStore,
    script: Arc<Script>,
    settings: Arc<LimitSettings>,
    allow: Arc<HashSet<IpAddr>>,
    address_secret: Arc<Vec<u8>>,
}

/// Whether a request may go on, and if not, when to come back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    Limited { retry_after_seconds: u32 },
}

impl RateLimiter {
    /// `address_secret` keys the hash that stands in for client addresses.
    pub fn new(
        hot: HotStore,
        settings: &LimitSettings,
        address_secret: &str,
    ) -> anyhow::Result<Self> {
        let allow = settings
            .address_allow
            .iter()
            .map(|a| {
                a.parse::<IpAddr>().map_err(|_| {
                    anyhow::anyhow!("limits.address_allow: {a:?} is not an IP address")
                })
            })
            .collect::<anyhow::Result<HashSet<_>>>()?;
        Ok(Self {
            hot,
            script: Arc::new(Script::new(include_str!("../hot/scripts/ratelimit.lua"))),
            settings: Arc::new(settings.clone()),
            allow: Arc::new(allow),
            address_secret: Arc::new(format!("rate-limit-address:{address_secret}").into_bytes()),
        })
    }

    fn window_ms(&self) -> i64 {
        i64::from(self.settings.window_seconds.max(1)) * 1000
    }

    async fn count(&self, key: String, limit: u32) -> Verdict {
        if limit == 0 {
            return Verdict::Allowed;
        }
        let result: Result<(i64, i64), _> = self
            .script
            .key(key)
            .arg(self.window_ms())
            .arg(limit)
            .invoke_async(&mut self.hot.conn())
            .await;
        match result {
            Ok((1, _)) => Verdict::Allowed,
            Ok((_, ttl_ms)) => Verdict::Limited {
                retry_after_seconds: u32::try_from((ttl_ms.max(1) + 999) / 1000).unwrap_or(1),
            },
            Err(e) => {
                tracing::warn!(error = %e, "rate limit not checked: redis failed");
                Verdict::Allowed
            }
        }
    }

    /// The stand-in for a client address in keys: a keyed hash, not the address.
    fn address_key(&self, addr: IpAddr) -> String {
        let mut h = Sha256::new();
        h.update(self.address_secret.as_slice());
        h.update(addr.to_string().as_bytes());
        let digest = h.finalize();
        format!(
            "{}{{rl:a:{}}}",
            self.hot.keys().prefix(),
            hex::encode(&digest[..12])
        )
    }

    /// One more request from `addr`.
    pub async fn check_address(&self, addr: IpAddr) -> Verdict {
        if self.settings.per_address == 0 || self.allow.contains(&addr) {
            return Verdict::Allowed;
        }
        self.count(self.address_key(addr), self.settings.per_address)
            .await
    }

    /// One more state-changing request by the citizen with this pseudonym.
    pub async fn check_citizen(&self, pseudonym: &str) -> Verdict {
        let key = format!("{}{{cit:{pseudonym}}}:rl", self.hot.keys().prefix());
        self.count(key, self.settings.per_citizen).await
    }

    /// The client's address: the peer, or the last `X-Forwarded-For` hop when the
    /// settings trust a proxy in front.
    fn client_address(&self, req: &ServiceRequest) -> Option<IpAddr> {
        if self.settings.trust_forwarded_for {
            let forwarded = req
                .headers()
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.rsplit(',').next())
                .and_then(|v| v.trim().parse().ok());
            if forwarded.is_some() {
                return forwarded;
            }
        }
        req.peer_addr().map(|a| a.ip())
    }
}

fn limited(code: &str, detail: &str, retry_after_seconds: u32) -> Problem {
    Problem::new(StatusCode::TOO_MANY_REQUESTS, code, detail).with_retry_after(retry_after_seconds)
}

fn changes_state(method: &Method) -> bool {
    matches!(
        *method,
        Method::POST | Method::DELETE | Method::PATCH | Method::PUT
    )
}

/// Middleware: the per-address limit, then (for state-changing requests with a citizen's
/// or helper's token) the per-citizen one. Needs `web::Data<RateLimiter>` and
/// `web::Data<Service>` in the app. The token verified here is cached in the request, so
/// the handler does not verify it again.
pub async fn rate_limit(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let limiter = match req.app_data::<web::Data<RateLimiter>>() {
        Some(l) if super::guarded(req.path()) => l.clone(),
        _ => {
            return next
                .call(req)
                .await
                .map(ServiceResponse::map_into_boxed_body)
        }
    };
    if let Some(addr) = limiter.client_address(&req) {
        if let Verdict::Limited {
            retry_after_seconds,
        } = limiter.check_address(addr).await
        {
            metrics::counter!("booking_shed_total", "reason" => "rate_limited_address")
                .increment(1);
            let problem = limited(
                "rate_limited",
                "too many requests from this address; slow down",
                retry_after_seconds,
            );
            let (req, _) = req.into_parts();
            return Ok(ServiceResponse::new(req, problem.to_response()));
        }
    }
    if limiter.settings.per_citizen > 0 && changes_state(req.method()) {
        let svc = req.app_data::<web::Data<Service>>().cloned();
        // Not a citizen's token (or none): the handler answers for that.
        if let (Some(svc), Ok(who)) = (svc, req.extract::<CitizenAccess>().await) {
            let pseudonym = svc.pseudonym(&who.cpr);
            if let Verdict::Limited {
                retry_after_seconds,
            } = limiter.check_citizen(pseudonym.as_str()).await
            {
                metrics::counter!("booking_shed_total", "reason" => "rate_limited_citizen")
                    .increment(1);
                let problem = limited(
                    "rate_limited",
                    "too many booking changes for this person in a short time; wait a moment",
                    retry_after_seconds,
                );
                let (req, _) = req.into_parts();
                return Ok(ServiceResponse::new(req, problem.to_response()));
            }
        }
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_boxed_body)
}
