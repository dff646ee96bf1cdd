//! The rate limit per client address, shared by every instance (a Redis fixed window,
//! `hot/scripts/ratelimit.lua`), on every `/v1` request, so one script cannot take the
//! availability pages from everyone else; addresses in `limits.address_allow` (a load
//! generator) are exempt. The limit per citizen is not here: it is counted in the same
//! round trip as the claim of the request's Idempotency-Key (`crate::idempotency`).
//!
//! Key: `<prefix>{rl:a:<keyed hash of the address>}`; no IP address is ever a key. When
//! Redis does not answer, requests go through (the limit is a fairness tool; the booking
//! invariant does not rest on it).

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::web;
use service_kit::http::TrustedProxies;
use service_kit::Problem;
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::Arc;

use crate::hot::limits::Window;
use crate::hot::HotStore;
use crate::settings::LimitSettings;

#[derive(Clone)]
pub struct RateLimiter {
    hot: HotStore,
    settings: Arc<LimitSettings>,
    allow: Arc<HashSet<IpAddr>>,
    proxies: Arc<TrustedProxies>,
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
        let addresses = |setting: &str, list: &[String]| {
            list.iter()
                .map(|a| {
                    a.parse::<IpAddr>().map_err(|_| {
                        anyhow::anyhow!("limits.{setting}: {a:?} is not an IP address")
                    })
                })
                .collect::<anyhow::Result<HashSet<_>>>()
        };
        Ok(Self {
            hot,
            settings: Arc::new(settings.clone()),
            allow: Arc::new(addresses("address_allow", &settings.address_allow)?),
            proxies: Arc::new(TrustedProxies::parse(
                "limits.trusted_proxies",
                &settings.trusted_proxies,
            )?),
            address_secret: Arc::new(format!("rate-limit-address:{address_secret}").into_bytes()),
        })
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
        let window = match Window::new(self.settings.per_address, self.settings.window_seconds) {
            Some(w) if !self.allow.contains(&addr) => w,
            _ => return Verdict::Allowed,
        };
        match self.hot.count(&self.address_key(addr), window).await {
            Some(retry_after_seconds) => Verdict::Limited {
                retry_after_seconds,
            },
            None => Verdict::Allowed,
        }
    }

    /// The client's address: the peer, or whom a trusted proxy says it forwards.
    fn client_address(&self, req: &ServiceRequest) -> Option<IpAddr> {
        let peer = req.peer_addr()?.ip();
        let forwarded = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok());
        Some(self.proxies.client(peer, forwarded))
    }
}

fn limited(code: &str, detail: &str, retry_after_seconds: u32) -> Problem {
    Problem::new(StatusCode::TOO_MANY_REQUESTS, code, detail).with_retry_after(retry_after_seconds)
}

/// Middleware: the per-address limit. Needs `web::Data<RateLimiter>` in the app.
pub async fn rate_limit(
    req: ServiceRequest,
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
    next.call(req)
        .await
        .map(ServiceResponse::map_into_boxed_body)
}
