//! The HTTP edge every service shares: request ids, the access log, request metrics,
//! `/healthz`, `/readyz` and `/metrics`.
//!
//! The access log and metrics use the matched route pattern (`/v1/slots/{id}`), never the
//! raw path, so ids and personal data in paths do not reach logs or label sets.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, HttpResponse};
use std::time::{Duration, Instant};
use tracing::Instrument;

use crate::storage::{ReadPool, RedisPool};
use crate::Problem;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The request id of the current request, for handlers that want to log it.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// The matched route pattern of the current request (`unmatched` for none), found once
/// by [`observe`] for every middleware that labels by route.
#[derive(Debug, Clone)]
pub struct Route(pub String);

/// The route pattern of `req`: the one [`observe`] found, else looked up.
pub fn route_of(req: &ServiceRequest) -> String {
    match req.extensions().get::<Route>() {
        Some(r) => r.0.clone(),
        None => req
            .match_pattern()
            .unwrap_or_else(|| "unmatched".to_owned()),
    }
}

fn is_quiet(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | "/metrics")
}

/// The peers whose `X-Forwarded-For` names the client (a proxy, a load balancer, the web
/// front end calling an API for a browser): addresses or networks. Anyone else's
/// header is ignored, or any client could pick an address of its own.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<ipnet::IpNet>);

impl TrustedProxies {
    /// From a setting's list (`setting` names it in the error): `10.0.0.0/8`,
    /// `127.0.0.1`, `::1`.
    pub fn parse(setting: &str, list: &[String]) -> anyhow::Result<Self> {
        list.iter()
            .map(|p| {
                p.parse::<ipnet::IpNet>()
                    .or_else(|_| p.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| {
                        anyhow::anyhow!("{setting}: {p:?} is neither an IP address nor a network")
                    })
            })
            .collect::<anyhow::Result<_>>()
            .map(TrustedProxies)
    }

    /// The client of a request from `peer`: the last hop of `forwarded_for` when the
    /// peer is trusted and the header names one, else the peer.
    pub fn client(&self, peer: std::net::IpAddr, forwarded_for: Option<&str>) -> std::net::IpAddr {
        if !self.0.iter().any(|n| n.contains(&peer)) {
            return peer;
        }
        forwarded_for
            .and_then(|v| v.rsplit(',').next())
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(peer)
    }
}

/// Accepts a caller's request id only if it is short and plain; otherwise makes one.
fn request_id_of(req: &ServiceRequest) -> String {
    req.headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string())
}

/// Middleware: one span per request with its id, one access-log line, request metrics.
/// Use with `actix_web::middleware::from_fn(service_kit::http::observe)`.
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let id = request_id_of(&req);
    req.extensions_mut().insert(RequestId(id.clone()));
    let method = req.method().to_string();
    let route = req
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    req.extensions_mut().insert(Route(route.clone()));
    let quiet = is_quiet(req.path());
    let span = tracing::info_span!("request", request_id = %id, method = %method);
    let result = next.call(req).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    match result {
        Ok(mut res) => {
            let status = res.status().as_u16();
            if let Ok(value) = HeaderValue::from_str(&id) {
                res.headers_mut().insert(REQUEST_ID, value);
            }
            if !quiet {
                record(&method, &route, status, elapsed);
                span.in_scope(|| {
                    tracing::info!(
                        route = %route,
                        status,
                        ms = elapsed.as_secs_f64() * 1000.0,
                        "request"
                    )
                });
            }
            Ok(res)
        }
        Err(err) => {
            if !quiet {
                record(&method, "error", 500, elapsed);
                span.in_scope(|| tracing::warn!(error = %err, "request failed"));
            }
            Err(err)
        }
    }
}

fn record(method: &str, route: &str, status: u16, elapsed: Duration) {
    let labels = [
        ("method", method.to_owned()),
        ("route", route.to_owned()),
        ("status", status.to_string()),
    ];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!(
        "http_request_duration_seconds",
        &[("method", method.to_owned()), ("route", route.to_owned())]
    )
    .record(elapsed.as_secs_f64());
}

/// What `/readyz` checks: every store the service cannot work without.
#[derive(Clone, Default)]
pub struct Readiness {
    pub postgres: Option<deadpool_postgres::Pool>,
    pub redis: Option<RedisPool>,
}

impl Readiness {
    async fn check(&self) -> Result<(), &'static str> {
        if let Some(pool) = &self.postgres {
            let client = pool.get().await.map_err(|_| "postgres")?;
            client
                .simple_query("SELECT 1")
                .await
                .map_err(|_| "postgres")?;
        }
        if let Some(redis) = &self.redis {
            redis.get().ping().await.map_err(|_| "redis")?;
        }
        Ok(())
    }
}

/// The read replica, for `/readyz` to report on: register it as
/// `web::Data<ReplicaReadiness>` beside [`Readiness`] (a service without one needs
/// nothing). `/readyz` then says `"replica": "ok"` or `"unavailable"` and sets the
/// `postgres_replica_up` gauge, but stays ready while the replica is down: every
/// instance reads from the same replica, so failing readiness would take all of them
/// out of the load balancer at once, and with them every booking and pass that never
/// touches the replica. The reads that go to it answer `503` with `Retry-After` meanwhile.
#[derive(Clone)]
pub struct ReplicaReadiness(Option<ReadPool>);

impl ReplicaReadiness {
    /// Reports on `reads` if it is a replica; on nothing when reads go to the primary.
    pub fn new(reads: &ReadPool) -> Self {
        Self(reads.is_replica().then(|| reads.clone()))
    }

    /// `None` without a replica; else whether it answered within a second and a half.
    async fn check(&self) -> Option<bool> {
        let reads = self.0.as_ref()?;
        let answered = tokio::time::timeout(Duration::from_millis(1500), async {
            let client = reads.get().await.ok()?;
            client.simple_query("SELECT 1").await.ok()
        })
        .await;
        let up = matches!(answered, Ok(Some(_)));
        metrics::gauge!("postgres_replica_up").set(if up { 1.0 } else { 0.0 });
        if !up {
            tracing::warn!("the postgres read replica does not answer");
        }
        Some(up)
    }
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
}

async fn readyz(
    readiness: web::Data<Readiness>,
    replica: Option<web::Data<ReplicaReadiness>>,
) -> HttpResponse {
    let (stores, replica) = tokio::join!(
        tokio::time::timeout(Duration::from_secs(2), readiness.check()),
        async {
            match &replica {
                Some(r) => r.check().await,
                None => None,
            }
        }
    );
    match stores {
        Ok(Ok(())) => HttpResponse::Ok().json(match replica {
            None => serde_json::json!({"status": "ready"}),
            Some(up) => serde_json::json!({
                "status": "ready",
                "replica": if up { "ok" } else { "unavailable" },
            }),
        }),
        Ok(Err(store)) => Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_ready",
            format!("{store} does not answer"),
        )
        .with_retry_after(1)
        .to_response(),
        Err(_) => Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_ready",
            "a store did not answer in time",
        )
        .with_retry_after(1)
        .to_response(),
    }
}

async fn metrics_endpoint() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(crate::telemetry::prometheus().render())
}

/// Mounts `/healthz`, `/readyz` (needs `web::Data<Readiness>`) and `/metrics`.
pub fn configure_operations(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz))
        .route("/metrics", web::get().to(metrics_endpoint));
}

/// The OpenAPI security scheme every service uses: an OIDC bearer JWT
/// (`modifiers(&BearerAuth)` in a `#[derive(OpenApi)]`).
pub struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// JSON body errors as problem+json (malformed JSON, wrong types, too large).
pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(64 * 1024)
        .error_handler(|err, _req| {
            let detail = match &err {
                actix_web::error::JsonPayloadError::Deserialize(e) => json_error_detail(e),
                other => other.to_string(),
            };
            Problem::new(StatusCode::BAD_REQUEST, "invalid_body", detail).into()
        })
}

/// serde's message without the offending value: "invalid type: integer `0101701234`,
/// expected a string" would echo a CPR number sent as a number into the answer (and any
/// log of it). Field names and the expected type stay; line and column point at it.
pub fn json_error_detail(e: &serde_json::Error) -> String {
    let message = e.to_string();
    let at = format!(" at line {} column {}", e.line(), e.column());
    let message = message.strip_suffix(at.as_str()).unwrap_or(&message);
    let cleaned = ["invalid type: ", "invalid value: ", "invalid length "]
        .iter()
        .find_map(|prefix| {
            let rest = message.strip_prefix(prefix)?;
            let (found, expected) = rest.split_once(", expected ")?;
            // Keep only the kind of value ("integer", "string"), never the value.
            let kind = found.split([' ', '`', '"']).next().unwrap_or("value");
            Some(format!("{prefix}{kind}, expected {expected}"))
        })
        .unwrap_or_else(|| message.to_owned());
    if e.line() == 0 {
        cleaned
    } else {
        format!("{cleaned}{at}")
    }
}

/// Query-string errors as problem+json.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _req| {
        Problem::new(StatusCode::BAD_REQUEST, "invalid_query", err.to_string()).into()
    })
}

/// Path-parameter errors (e.g. a non-numeric id) as problem+json.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err, _req| {
        Problem::new(StatusCode::NOT_FOUND, "not_found", err.to_string()).into()
    })
}

/// Fallback for unknown routes.
pub async fn not_found() -> HttpResponse {
    Problem::new(StatusCode::NOT_FOUND, "not_found", "no such resource").to_response()
}

#[cfg(test)]
mod tests {
    use super::{json_error_detail, TrustedProxies};

    #[test]
    fn only_a_trusted_peer_may_name_the_client() {
        let trusted = TrustedProxies::parse(
            "x.trusted_proxies",
            &["10.0.0.0/8".into(), "127.0.0.1".into(), "::1".into()],
        )
        .unwrap();
        let ip = |a: &str| a.parse::<std::net::IpAddr>().unwrap();
        let hops = Some("203.0.113.9, 198.51.100.7");
        assert_eq!(trusted.client(ip("10.42.7.1"), hops), ip("198.51.100.7"));
        assert_eq!(trusted.client(ip("127.0.0.1"), hops), ip("198.51.100.7"));
        assert_eq!(
            trusted.client(ip("::1"), Some("198.51.100.8")),
            ip("198.51.100.8")
        );
        // Not trusted: the header is ignored.
        assert_eq!(trusted.client(ip("127.0.0.2"), hops), ip("127.0.0.2"));
        assert_eq!(trusted.client(ip("192.168.1.1"), hops), ip("192.168.1.1"));
        // Trusted but naming nobody (or nonsense): the peer.
        assert_eq!(trusted.client(ip("10.0.0.1"), None), ip("10.0.0.1"));
        assert_eq!(trusted.client(ip("10.0.0.1"), Some("web")), ip("10.0.0.1"));

        let e = TrustedProxies::parse("x.trusted_proxies", &["10.0.0.0/33".into()])
            .unwrap_err()
            .to_string();
        assert!(e.contains("x.trusted_proxies"), "{e}");
        assert!(TrustedProxies::parse("x", &["web-frontend".into()]).is_err());
    }

    fn detail<T: serde::de::DeserializeOwned + std::fmt::Debug>(json: &str) -> String {
        json_error_detail(&serde_json::from_str::<T>(json).unwrap_err())
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        cpr: String,
        count: u8,
    }

    #[test]
    fn json_errors_never_echo_the_value() {
        let d = detail::<Body>(r#"{"cpr": 101701234, "count": 1}"#);
        assert!(!d.contains("101701234"), "{d}");
        assert!(
            d.starts_with("invalid type: integer, expected a string at line 1"),
            "{d}"
        );
        let d = detail::<Body>(r#"{"cpr": "0101701234", "count": "0101701234"}"#);
        assert!(!d.contains("0101701234"), "{d}");
        let d = detail::<Body>(r#"{"cpr": "x", "count": 4000}"#);
        assert!(!d.contains("4000"), "{d}");
        assert!(d.starts_with("invalid value: integer, expected u8"), "{d}");
        // Field names are not personal data and help the caller.
        assert!(detail::<Body>(r#"{"cpr": "x"}"#).contains("missing field `count`"));
        assert!(detail::<Body>(r#"{"cpr": "x", "count": 1, "extra": 2}"#)
            .contains("unknown field `extra`"));
    }
}
