//! The booking service binary.
//!
//! `booking` serves; `booking migrate` applies migrations and exits; `booking seed`
//! loads the demo data and exits; `booking population [COUNT] [SEED]` loads a synthetic
//! population register.

use booking::settings::Settings;
use booking::startup::Application;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings: Settings = service_kit::settings::load()?;
    service_kit::telemetry::init_tracing(&settings.telemetry);
    match std::env::args().nth(1).as_deref() {
        None | Some("serve") => {
            service_kit::telemetry::prometheus();
            let app = Application::build(settings).await?;
            tracing::info!(port = app.port(), "booking service listening");
            app.run_until_stopped().await?;
        }
        Some("migrate") => {
            let pool = service_kit::storage::postgres_pool(&settings.database)?;
            booking::store::migrate(&pool).await?;
            println!("migrations applied");
        }
        Some("seed") => {
            let service = Application::service_only(settings).await?;
            let seeded = booking::demo::seed(&service).await?;
            println!(
                "demo data: {} campaigns, {} sites, {} slots added",
                seeded.campaigns, seeded.sites, seeded.slots
            );
        }
        Some("population") => {
            let count: usize = std::env::args()
                .nth(2)
                .map_or(Ok(100_000), |s| s.parse())
                .map_err(|_| anyhow::anyhow!("usage: booking population [COUNT] [SEED]"))?;
            let seed: u64 = std::env::args().nth(3).map_or(Ok(1), |s| s.parse())?;
            let service = Application::service_only(settings).await?;
            let started = std::time::Instant::now();
            let loaded = service.generate_population(count, seed).await?;
            println!(
                "synthetic population: {loaded} citizens loaded in {:.1} s",
                started.elapsed().as_secs_f64()
            );
        }
        Some(other) => {
            anyhow::bail!("unknown command {other:?}; use serve, migrate, seed or population")
        }
    }
    Ok(())
}
