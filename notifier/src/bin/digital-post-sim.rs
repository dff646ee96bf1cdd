//! The Digital Post gateway simulator binary (development only).

use notifier::settings::SimulatorSettings;
use notifier::sim::Simulator;

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let settings: SimulatorSettings = service_kit::settings::load()?;
    service_kit::telemetry::init_tracing(&settings.telemetry);
    service_kit::telemetry::prometheus();
    let sim = Simulator::build(&settings)?;
    tracing::warn!(
        port = sim.port(),
        "Digital Post SIMULATOR listening: development and tests only"
    );
    sim.run_until_stopped().await?;
    Ok(())
}
