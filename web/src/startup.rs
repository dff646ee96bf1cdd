//! Builds the web front end from its settings: the API client, templates, the session
//! cookie key and the HTTP server. `build` binds its own listener (port 0 in tests).

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::middleware::{from_fn, DefaultHeaders};
use actix_web::{web, App, HttpResponse, HttpServer};
use service_kit::http::{self as kit_http, Readiness, TrustedProxies};

use crate::api::Api;
use crate::errors::PageError;
use crate::pages::{self, AppState, Ctx};
use crate::session::{self, CookieConfig};
use crate::settings::Settings;
use crate::view::Views;

pub struct Application {
    port: u16,
    server: Server,
    sampler: tokio::task::JoinHandle<()>,
}

/// Only self-hosted scripts, styles and images; no framing; forms post only here.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let oidc = match settings.identity.provider.as_str() {
            "dev" => {
                tracing::warn!(
                    "web: sign-in uses the DEVELOPMENT identity provider; never in production"
                );
                None
            }
            "oidc" => Some(Arc::new(
                crate::oidc::Oidc::from_settings(&settings.identity).await?,
            )),
            other => {
                anyhow::bail!("identity.provider {other:?}: \"dev\" (development only) or \"oidc\"")
            }
        };
        let samples = Arc::new(crate::live::Samples::default());
        let sampler = spawn_sampler(&settings, samples.clone())?;
        let state = web::Data::new(AppState {
            samples,
            views: Views::new()?,
            api: Api::new(&settings)?,
            oidc,
            proxies: TrustedProxies::parse("trusted_proxies", &settings.trusted_proxies)?,
            settings: Arc::new(settings.clone()),
        });
        let cookies = web::Data::new(CookieConfig::from_settings(
            &settings.session.key,
            settings.session.secure_cookies,
        )?);
        let listener = TcpListener::bind((settings.http.host.as_str(), settings.http.port))?;
        let port = listener.local_addr()?.port();
        let mut server = HttpServer::new(move || {
            App::new()
                .wrap(
                    DefaultHeaders::new()
                        .add(("Content-Security-Policy", CSP))
                        .add(("X-Content-Type-Options", "nosniff"))
                        .add(("Referrer-Policy", "same-origin"))
                        .add(("X-Frame-Options", "DENY"))
                        // Pages show personal data: no shared or back-button caches.
                        .add(("Cache-Control", "no-store")),
                )
                .wrap(from_fn(session::layer))
                .wrap(from_fn(kit_http::observe))
                .app_data(state.clone())
                .app_data(cookies.clone())
                .app_data(web::Data::new(Readiness::default()))
                .app_data(web::FormConfig::default().limit(16 * 1024))
                .configure(kit_http::configure_operations)
                .configure(pages::configure)
                .default_service(web::to(not_found))
        })
        .listen(listener)?;
        if settings.http.workers > 0 {
            server = server.workers(settings.http.workers);
        }
        Ok(Self {
            port,
            server: server.run(),
            sampler,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        self.sampler.abort();
        result
    }
}

/// Samples the booking counters for the opening-day view. A failed sample is skipped
/// (the view shows fewer minutes), never fatal.
fn spawn_sampler(
    settings: &Settings,
    samples: Arc<crate::live::Samples>,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let url = if settings.apis.metrics_url.is_empty() {
        format!(
            "{}/metrics",
            settings.apis.booking_url.trim_end_matches('/')
        )
    } else {
        settings.apis.metrics_url.clone()
    };
    let every =
        std::time::Duration::from_secs(u64::from(settings.apis.metrics_every_seconds.max(1)));
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(3))
        .build()?;
    Ok(tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            let text = match http.get(&url).send().await {
                Ok(r) if r.status().is_success() => r.text().await.ok(),
                Ok(r) => {
                    tracing::debug!(status = r.status().as_u16(), "metrics sample refused");
                    None
                }
                Err(e) => {
                    tracing::debug!(error = %e, "metrics sample failed");
                    None
                }
            };
            if let Some(text) = text {
                samples.push(chrono::Utc::now(), crate::live::parse(&text));
            }
        }
    }))
}

async fn not_found(ctx: Ctx) -> HttpResponse {
    ctx.finish(Err(PageError::NotFound))
}
