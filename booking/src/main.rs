//! The booking service binary: settings, telemetry, run.

use booking::settings::Settings;
use booking::startup::Application;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings: Settings = service_kit::settings::load()?;
    service_kit::telemetry::init_tracing(&settings.telemetry);
    service_kit::telemetry::prometheus();
    let app = Application::build(settings).await?;
    tracing::info!(port = app.port(), "booking service listening");
    app.run_until_stopped().await?;
    Ok(())
}
