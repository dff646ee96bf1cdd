//! Browser journeys in headless Chromium (Debian's `chromium`, driven by playwright-core
//! from `web/tests/browser/journeys.mjs`), with axe-core on every page visited, a
//! keyboard-only booking and screenshots for the README. Fails (never skips) when node,
//! chromium or the npm packages are missing: `infra/setup` installs them.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::helpers::{cpr, Stack};

fn chromium() -> PathBuf {
    let path = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
    let path = PathBuf::from(path);
    assert!(
        path.exists(),
        "chromium not found at {} (apt-get install chromium, or run infra/setup; CHROMIUM= overrides)",
        path.display()
    );
    path
}

fn browser_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    assert!(
        dir.join("node_modules/playwright-core").exists()
            && dir.join("node_modules/axe-core").exists(),
        "npm packages missing: run `npm ci` in {} (infra/setup does)",
        dir.display()
    );
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journeys_in_headless_chromium() {
    let chromium = chromium();
    let dir = browser_dir();
    let stack = Stack::start().await;
    // Screenshots for the README only when asked (WEB_SCREENSHOTS=docs/screenshots, from
    // the workspace root), so an ordinary test run leaves the work tree as it was.
    let screenshots = match std::env::var("WEB_SCREENSHOTS") {
        Ok(dir) => Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(dir),
        Err(_) => std::env::temp_dir().join(format!("web-screenshots-{}", std::process::id())),
    };
    let mut cmd = tokio::process::Command::new("node");
    cmd.arg("journeys.mjs")
        .current_dir(&dir)
        .env("WEB_URL", &stack.web)
        .env("CHROMIUM", &chromium)
        .env("CITIZEN_CPR", cpr(21))
        .env("KEYBOARD_CPR", cpr(crate::helpers::IN_COPENHAGEN[0]))
        .env("HELPED_CPR", cpr(crate::helpers::IN_COPENHAGEN[1]))
        .env("INVITED_CPR", cpr(crate::helpers::VACCINATED[0]))
        .env("QUEUED_CPR", cpr(15))
        .env("BOOKING_URL", &stack.booking)
        .env("FIRST_DAY", Stack::first_day())
        .env("SCREENSHOTS", &screenshots)
        .kill_on_drop(true);
    let run = cmd.output();
    let out = tokio::time::timeout(Duration::from_secs(300), run)
        .await
        .expect("the browser journeys finish within 5 minutes")
        .unwrap_or_else(|e| {
            panic!("cannot run node (apt-get install nodejs npm, or run infra/setup): {e}")
        });
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "browser journeys failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("journeys: all passed"), "{stdout}");
}
