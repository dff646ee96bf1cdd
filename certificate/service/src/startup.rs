//! Builds the service from its settings: the database pool (and migrations), value
//! sets, the Document Signer, business rules, identity and the HTTP server. `build` binds
//! its own listener (port 0 in tests).

use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};
use booking::service::attorney::Entitlements;
use identity::{DevIdentityProvider, JwksSource, TokenVerifier, VerifierSettings};
use service_kit::http::{self as kit_http, Readiness, ReplicaReadiness};
use service_kit::storage::Databases;
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

use crate::domain::codes::Codes;
use crate::routes;
use crate::service::verifier::{load_rule_set, load_rules};
use crate::service::{Parts, Service};
use crate::settings::Settings;
use crate::signing::DccSigner;

pub struct Application {
    port: u16,
    server: Server,
    service: Service,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let Databases { primary: pg, reads } = Databases::connect(&settings.database)?;
        if settings.database.migrate {
            booking::store::migrate(&pg).await?;
        }
        let value_sets =
            certificate::fs::load_value_sets(Path::new(&settings.registers.value_sets_dir))?;
        let codes = Codes::new(value_sets)?;
        let signer = DccSigner::load(&settings.signing)?;
        tracing::info!(kid = %signer.kid(), "document signer loaded");
        let rules = load_rules(&settings.verifier.rules_dir)?;
        let domestic_rules = load_rule_set(&settings.domestic.rules_dir)?;
        if domestic_rules.is_empty() {
            tracing::warn!("no domestic acceptance rules: no domestic pass can be issued");
        }
        let eu_rules = load_rule_set(&settings.passes.rules_dir)?;
        if eu_rules.is_empty() {
            tracing::warn!("no EU pass validity rules: no EU pass can be issued");
        }
        let replica_readiness = web::Data::new(ReplicaReadiness::new(&reads));
        let service = Service::new(Parts {
            pg: pg.clone(),
            reads,
            codes,
            signer,
            registers: settings.registers.clone(),
            passes: settings.passes.clone(),
            domestic: settings.domestic.clone(),
            domestic_rules,
            eu_rules,
            rules,
        })?;
        let (dev_idp, verifier) = identity_parts(&settings)?;
        let listener = TcpListener::bind((settings.http.host.as_str(), settings.http.port))?;
        let port = listener.local_addr()?.port();
        let readiness = Readiness {
            postgres: Some(pg.clone()),
            redis: None,
        };
        let svc_data = web::Data::new(service.clone());
        // The booking service's helper check: a helper fetches passes only for a
        // citizen they may act for.
        let entitlements = web::Data::new(Entitlements::new(pg.clone()));
        let verifier = web::Data::from(verifier);
        let dev_idp = dev_idp.map(web::Data::from);
        let openapi = routes::ApiDoc::openapi();
        let mut server = HttpServer::new(move || {
            let mut app = App::new()
                .wrap(from_fn(kit_http::observe))
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
        Ok(Self {
            port,
            server: server.run(),
            service,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn service(&self) -> &Service {
        &self.service
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

type IdentityParts = (Option<Arc<DevIdentityProvider>>, Arc<TokenVerifier>);

fn identity_parts(settings: &Settings) -> anyhow::Result<IdentityParts> {
    let id = &settings.identity;
    let dev = if id.dev_provider {
        tracing::warn!(
            "DEVELOPMENT identity provider enabled: anyone can get a token. Never in production."
        );
        let path = (!id.dev_key_path.is_empty()).then(|| Path::new(&id.dev_key_path));
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
