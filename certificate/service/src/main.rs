//! The pass service binary: `pass-service` serves; `pass-service migrate` applies the
//! migrations (they live with the booking service) and exits; `pass-service dev-keys`
//! writes a DEVELOPMENT Document Signer key and certificate (from the certificate
//! library's dev CSCA) to the configured paths, refusing to overwrite anything.

use pass_service::settings::Settings;
use pass_service::startup::Application;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings: Settings = service_kit::settings::load()?;
    service_kit::telemetry::init_tracing(&settings.telemetry);
    match std::env::args().nth(1).as_deref() {
        None | Some("serve") => {
            service_kit::telemetry::prometheus();
            let app = Application::build(settings).await?;
            tracing::info!(port = app.port(), "pass service listening");
            app.run_until_stopped().await?;
        }
        Some("migrate") => {
            let pool = service_kit::storage::postgres_pool(&settings.database)?;
            booking::store::migrate(&pool).await?;
            println!("migrations applied");
        }
        Some("dev-keys") => {
            dev_keys(&settings)?;
            println!(
                "development signing key written to {} and its certificate to {}",
                settings.signing.key_path, settings.signing.dsc_path
            );
        }
        Some(other) => {
            anyhow::bail!("unknown command {other:?}; use serve, migrate or dev-keys")
        }
    }
    Ok(())
}

/// Generates a development CSCA and one DSC for all types; writes the DSC's PKCS#8 key
/// (PEM, mode 0600) and certificate (PEM). Never for production: real keys come from the
/// national PKI.
fn dev_keys(settings: &Settings) -> anyhow::Result<()> {
    use certificate::devkeys::{generate, DscLayout};
    use certificate::sign::to_pem;
    use std::io::Write as _;

    let set = generate(
        &settings.passes.country,
        DscLayout::OneForAll,
        std::time::SystemTime::now(),
        3650,
        730,
    )?;
    let dsc = set
        .dscs
        .first()
        .ok_or_else(|| anyhow::anyhow!("no DSC was generated"))?;
    let write = |path: &str, text: String, secret: bool| -> anyhow::Result<()> {
        let path = std::path::Path::new(path);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        if secret {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        #[cfg(not(unix))]
        let _ = secret;
        let mut file = options
            .open(path)
            .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", path.display()))?;
        file.write_all(text.as_bytes())?;
        Ok(())
    };
    write(
        &settings.signing.key_path,
        to_pem(&dsc.private_key_pkcs8, "PRIVATE KEY"),
        true,
    )?;
    write(
        &settings.signing.dsc_path,
        to_pem(&dsc.certificate_der, "CERTIFICATE"),
        false,
    )?;
    Ok(())
}
