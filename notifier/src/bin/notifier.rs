//! The notifier worker binary. `notifier` runs until SIGINT/SIGTERM, serving
//! `/healthz`, `/readyz` and `/metrics` on `http`; `notifier drain` delivers what is due
//! and exits; `notifier remind` runs one reminder sweep and exits; `notifier report
//! <wave-id>` prints a wave's figures for the authority as JSON.

use actix_web::{web, App, HttpServer};
use notifier::clock::Clock;
use notifier::settings::Settings;
use notifier::worker::Worker;
use service_kit::http::{self as kit_http, Readiness};
use service_kit::storage::{postgres_pool, RedisPool};

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings: Settings = service_kit::settings::load()?;
    service_kit::telemetry::init_tracing(&settings.telemetry);
    service_kit::telemetry::prometheus();
    let pool = postgres_pool(&settings.database)?;
    let redis = RedisPool::connect(&settings.redis).await?;
    let worker = Worker::new(
        pool.clone(),
        redis.clone(),
        settings.clone(),
        Clock::default(),
    )?;
    match std::env::args().nth(1).as_deref() {
        None | Some("run") => {
            let readiness = Readiness {
                postgres: Some(pool),
                redis: Some(redis),
            };
            let server = HttpServer::new(move || {
                App::new()
                    .app_data(web::Data::new(readiness.clone()))
                    .configure(kit_http::configure_operations)
                    .default_service(web::to(kit_http::not_found))
            })
            .workers(1)
            // The worker owns the shutdown signal and stops this server after itself.
            .disable_signals()
            .bind((settings.http.host.as_str(), settings.http.port))?
            .run();
            let ops = server.handle();
            tokio::spawn(server);
            tracing::info!(port = settings.http.port, "notifier started");
            worker.run_until_stopped(shutdown_signal()).await?;
            ops.stop(true).await;
        }
        Some("drain") => {
            let report = worker.drain().await?;
            println!(
                "delivered {}, retried {}, dead-lettered {}",
                report.delivered, report.retried, report.dead
            );
        }
        Some("report") => {
            let wave: i64 = match std::env::args().nth(2).map(|a| a.parse()) {
                Some(Ok(id)) => id,
                _ => anyhow::bail!("usage: notifier report <wave-id>"),
            };
            match worker.wave_report(wave).await? {
                Some(report) => println!("{}", serde_json::to_string_pretty(&report)?),
                None => anyhow::bail!("no wave {wave}"),
            }
        }
        Some("remind") => {
            let n = worker.sweep_reminders().await?;
            println!("{n} reminders queued");
        }
        Some(other) => {
            anyhow::bail!("unknown command {other:?}; use run, drain, remind or report")
        }
    }
    Ok(())
}
