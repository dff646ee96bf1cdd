//! The web front end binary: `web` serves the pages (default port 8082).

use web::settings::Settings;
use web::startup::Application;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings: Settings = service_kit::settings::load()?;
    service_kit::telemetry::init_tracing(&settings.telemetry);
    service_kit::telemetry::prometheus();
    let app = Application::build(settings).await?;
    tracing::info!(port = app.port(), "web front end listening");
    app.run_until_stopped().await?;
    Ok(())
}
