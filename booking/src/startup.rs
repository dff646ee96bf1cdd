//! Builds the service from its settings: pools, migrations, the Redis mirror, identity,
//! background tasks and the HTTP server. `build` binds its own listener (port 0 in tests).

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};
use identity::{DevIdentityProvider, JwksSource, TokenVerifier, VerifierSettings};
use service_kit::http::{self as kit_http, Readiness, ReplicaReadiness};
use service_kit::storage::{Databases, RedisPool};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

use crate::clock::Clock;
use crate::hot::reconcile::{self, Reconciler};
use crate::hot::HotStore;
use crate::middleware::{self, Admission, RateLimiter};
use crate::routes::{self, ApiDoc};
use crate::service::attorney::Entitlements;
use crate::service::Service;
use crate::settings::Settings;
use crate::waitroom::WaitingRoom;

pub struct Application {
    port: u16,
    server: Server,
    service: Service,
    admission: Admission,
    waiting_room: WaitingRoom,
    tasks: Vec<JoinHandle<()>>,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        Self::build_with_clock(settings, Clock::default()).await
    }

    /// The operations without the HTTP server (for one-off commands like `seed`).
    pub async fn service_only(settings: Settings) -> anyhow::Result<Service> {
        let (service, ..) = Self::parts(&settings, Clock::default()).await?;
        Ok(service)
    }

    async fn parts(
        settings: &Settings,
        clock: Clock,
    ) -> anyhow::Result<(Service, deadpool_postgres::Pool, RedisPool, Reconciler)> {
        let databases = Databases::connect(&settings.database)?;
        let pg = databases.primary.clone();
        if settings.database.migrate {
            crate::store::migrate(&pg).await?;
        }
        let redis = RedisPool::connect(&settings.redis).await?;
        let hot = HotStore::new(redis.clone(), &settings.redis.key_prefix);
        hot.load_scripts().await?;
        let service = Service::new(
            databases,
            hot,
            clock,
            settings.booking.clone(),
            settings.faults.clone(),
        )
        .limiting_citizens(&settings.limits);
        let invitations = service.reload_invitations().await?;
        tracing::info!(invitations, "invitation gate loaded");
        let mut reconciler = Reconciler::new(settings.booking.reconcile_sweep_runs);
        let rebuilt = reconciler.run(&service).await?;
        tracing::info!(
            slots = rebuilt.slots,
            stale_holds = rebuilt.stale_holds,
            "redis mirror rebuilt"
        );
        service.catalog.refresh().await?;
        Ok((service, pg, redis, reconciler))
    }

    /// As `build`, with a clock the caller can move (tests).
    pub async fn build_with_clock(settings: Settings, clock: Clock) -> anyhow::Result<Self> {
        let (service, pg, redis, reconciler) = Self::parts(&settings, clock).await?;
        let (dev_idp, verifier) = identity_parts(&settings)?;
        let listener = TcpListener::bind((settings.http.host.as_str(), settings.http.port))?;
        let port = listener.local_addr()?.port();
        let readiness = Readiness {
            postgres: Some(pg),
            redis: Some(redis),
        };
        let replica_readiness = web::Data::new(ReplicaReadiness::new(&service.reads));
        let admission = Admission::new(&settings.limits);
        let admission_data = web::Data::new(admission.clone());
        let limiter = web::Data::new(RateLimiter::new(
            service.hot.clone(),
            &settings.limits,
            &settings.booking.pseudonym_secret,
        )?);
        let waiting_room = WaitingRoom::new(
            service.hot.clone(),
            service.clock.clone(),
            &settings.waiting_room,
        );
        let room_data = web::Data::new(waiting_room.clone());
        let svc_data = web::Data::new(service.clone());
        let entitlements = web::Data::new(Entitlements::new(service.pg.clone()));
        let verifier = web::Data::from(verifier);
        let dev_idp = dev_idp.map(web::Data::from);
        let openapi = ApiDoc::openapi();
        let mut server = HttpServer::new(move || {
            // The last wrap runs first: observe, shed, then rate-limit.
            let mut app = App::new()
                .wrap(from_fn(middleware::rate_limit))
                .wrap(from_fn(middleware::admit))
                .wrap(from_fn(kit_http::observe))
                .app_data(admission_data.clone())
                .app_data(limiter.clone())
                .app_data(room_data.clone())
                .app_data(kit_http::json_config())
                .app_data(kit_http::query_config())
                .app_data(kit_http::path_config())
                .app_data(svc_data.clone())
                .app_data(entitlements.clone())
                .app_data(verifier.clone())
                .app_data(web::Data::new(readiness.clone()))
                .app_data(replica_readiness.clone())
                .configure(kit_http::configure_operations)
                .configure(routes::configure)
                .service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", openapi.clone()));
            if let Some(idp) = &dev_idp {
                app = app.app_data(idp.clone()).configure(identity::configure);
            }
            app.default_service(web::to(kit_http::not_found))
        })
        .listen(listener)?;
        if settings.http.workers > 0 {
            server = server.workers(settings.http.workers);
        }
        let server = server.run();
        let mut tasks = spawn_background(&service, &settings, reconciler);
        tasks.push(spawn_waiting_room(waiting_room.clone(), admission.clone()));
        Ok(Self {
            port,
            server,
            service,
            admission,
            waiting_room,
            tasks,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn service(&self) -> &Service {
        &self.service
    }

    /// The waiting room (tests drive its admissions directly).
    pub fn waiting_room(&self) -> &WaitingRoom {
        &self.waiting_room
    }

    /// The in-flight counter that sheds load (tests take its places to fill it).
    pub fn admission(&self) -> &Admission {
        &self.admission
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        for t in self.tasks {
            t.abort();
        }
        result
    }
}

type IdentityParts = (Option<Arc<DevIdentityProvider>>, Arc<TokenVerifier>);

fn identity_parts(settings: &Settings) -> anyhow::Result<IdentityParts> {
    let id = &settings.identity;
    let dev = if id.dev_provider {
        tracing::warn!(
            "DEVELOPMENT identity provider enabled: anyone can get a token. Never in production."
        );
        let path = (!id.dev_key_path.is_empty()).then(|| std::path::Path::new(&id.dev_key_path));
        Some(Arc::new(DevIdentityProvider::load_or_generate(
            path,
            id.issuer.clone(),
            id.audience.clone(),
            Duration::from_secs(u64::from(id.dev_token_seconds)),
        )?))
    } else {
        None
    };
    let verifier_settings = match (&dev, id.jwks_url.is_empty()) {
        (_, false) => VerifierSettings::new(
            id.issuer.clone(),
            id.audience.clone(),
            JwksSource::Url(id.jwks_url.clone()),
        ),
        (Some(dev), true) => dev.verifier_settings(),
        (None, true) => {
            anyhow::bail!("identity.jwks_url is required unless identity.dev_provider is on")
        }
    };
    Ok((dev, Arc::new(TokenVerifier::new(verifier_settings)?)))
}

fn spawn_background(
    service: &Service,
    settings: &Settings,
    mut reconciler: Reconciler,
) -> Vec<JoinHandle<()>> {
    let b = &settings.booking;
    let every = |secs: u32| Duration::from_secs(u64::from(secs.max(1)));
    let mut tasks = Vec::new();

    let svc = service.clone();
    let period = every(b.reconcile_seconds);
    tasks.push(tokio::spawn(async move {
        let mut tick = tokio::time::interval(period);
        tick.tick().await;
        loop {
            tick.tick().await;
            if let Err(e) = reconciler.run(&svc).await {
                tracing::warn!(error = %crate::error::error_chain(&e), "reconcile failed");
            }
        }
    }));

    let svc = service.clone();
    let period = every(b.mirror_check_seconds);
    tasks.push(tokio::spawn(async move {
        let mut tick = tokio::time::interval(period);
        loop {
            tick.tick().await;
            if let Err(e) = reconcile::repair_if_lost(&svc).await {
                tracing::warn!(error = %crate::error::error_chain(&e), "mirror check failed");
            }
        }
    }));

    let svc = service.clone();
    tasks.push(tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tick.tick().await;
            if let Err(e) = svc.open_due_waves().await {
                tracing::warn!(error = %crate::error::error_chain(&e), "opening scheduled waves failed");
            }
        }
    }));

    let svc = service.clone();
    let period = every(b.catalog_refresh_seconds);
    tasks.push(tokio::spawn(async move {
        let mut pause = period;
        loop {
            tokio::time::sleep(pause).await;
            let started = std::time::Instant::now();
            if let Err(e) = svc.catalog.refresh().await {
                tracing::warn!(error = %crate::error::error_chain(&e), "catalog refresh failed");
            }
            pause = crate::service::catalog::refresh_pause(period, started.elapsed());
        }
    }));
    tasks
}

/// Admits waiting-room visitors every `tick_ms`; once a second moves each open room's
/// rate with the service's measured capacity (shedding since the last second, share of
/// the in-flight cap in use) and re-reads which rooms gate holds.
fn spawn_waiting_room(room: WaitingRoom, admission: Admission) -> JoinHandle<()> {
    tokio::spawn(async move {
        let s = room.settings().clone();
        let mut tick = tokio::time::interval(Duration::from_millis(s.tick_ms.max(50)));
        let mut last_control = std::time::Instant::now();
        let mut last_shed = admission.shed_total();
        loop {
            tick.tick().await;
            let rooms = match room.rooms().await {
                Ok(r) => r,
                Err(e) => {
                    tracing::warn!(error = %crate::error::error_chain(&e), "waiting rooms not read");
                    continue;
                }
            };
            for r in &rooms {
                if let Err(e) = room.tick(&r.name).await {
                    tracing::warn!(error = %crate::error::error_chain(&e), "waiting room tick failed");
                }
            }
            if last_control.elapsed() >= Duration::from_secs(1) {
                last_control = std::time::Instant::now();
                let shed = admission.shed_total();
                let busy = admission.busy_fraction();
                if s.follow_capacity {
                    for r in &rooms {
                        let next = crate::waitroom::next_rate(
                            r.rate,
                            shed - last_shed,
                            busy,
                            s.min_rate,
                            s.max_rate,
                        );
                        if (next - r.rate).abs() > f64::EPSILON {
                            if let Err(e) = room.set_rate(&r.name, next).await {
                                tracing::warn!(error = %crate::error::error_chain(&e), "waiting room rate not set");
                            }
                        }
                    }
                }
                last_shed = shed;
                if let Err(e) = room.refresh_rooms().await {
                    tracing::warn!(error = %crate::error::error_chain(&e), "waiting room gates not read");
                }
            }
        }
    })
}
