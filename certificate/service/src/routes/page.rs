//! The venue verifier page (`/verifier/`): static files embedded in the binary with
//! `include_bytes!`, so the service deploys alone. The page verifies passes in the
//! browser against the `/v1/verifier/*` documents and sends nothing about a scanned
//! person anywhere; the Content-Security-Policy pins it to this origin (`connect-src
//! 'self'`, no third-party scripts, no eval).
//!
//! Never serves anything but the files listed here (no file-system access at run time).

use std::sync::OnceLock;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpRequest, HttpResponse};
use sha2::{Digest, Sha256};

/// Where the page lives; `/verifier` redirects here so the service worker's scope
/// (`/verifier/`) covers the page.
const BASE: &str = "/verifier/";

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self'; media-src 'self' mediastream:; connect-src 'self'; \
    worker-src 'self'; manifest-src 'self'; font-src 'self'; object-src 'none'; \
    base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const JS: &str = "text/javascript; charset=utf-8";

/// Cache policy: the entry points always revalidate (a new release reaches venues on
/// their next load); assets are short-lived. The service worker keeps offline copies.
const REVALIDATE: &str = "no-cache";
const ASSET: &str = "public, max-age=300";

struct Asset {
    path: &'static str,
    content_type: &'static str,
    cache: &'static str,
    body: &'static [u8],
}

macro_rules! asset {
    ($path:literal, $type:expr, $cache:expr) => {
        Asset {
            path: $path,
            content_type: $type,
            cache: $cache,
            body: include_bytes!(concat!("../../verifier/", $path)),
        }
    };
}

const ASSETS: &[Asset] = &[
    asset!("index.html", "text/html; charset=utf-8", REVALIDATE),
    asset!("sw.js", JS, REVALIDATE),
    asset!("style.css", "text/css; charset=utf-8", ASSET),
    asset!("manifest.webmanifest", "application/manifest+json", ASSET),
    asset!("icon.svg", "image/svg+xml", ASSET),
    asset!("js/app.js", JS, ASSET),
    asset!("js/i18n.js", JS, ASSET),
    asset!("js/store.js", JS, ASSET),
    asset!("js/scanner.js", JS, ASSET),
    asset!("js/verify.js", JS, ASSET),
    asset!("js/base45.js", JS, ASSET),
    asset!("js/inflate.js", JS, ASSET),
    asset!("js/cbor.js", JS, ASSET),
    asset!("js/der.js", JS, ASSET),
    asset!("vendor/certlogic.js", JS, ASSET),
    asset!("vendor/jsqr.js", JS, ASSET),
    asset!("vendor/dcc-schemas.js", JS, ASSET),
    asset!("vendor/valuesets.js", JS, ASSET),
    asset!("vendor/LICENSES.txt", "text/plain; charset=utf-8", ASSET),
];

/// Strong ETags over the embedded bytes, computed once.
fn etags() -> &'static [String] {
    static TAGS: OnceLock<Vec<String>> = OnceLock::new();
    TAGS.get_or_init(|| {
        ASSETS
            .iter()
            .map(|a| format!("\"{}\"", hex::encode(&Sha256::digest(a.body)[..16])))
            .collect()
    })
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/verifier", web::get().to(redirect))
        .route("/verifier/{path:.*}", web::get().to(file));
}

async fn redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header((header::LOCATION, BASE))
        .finish()
}

async fn file(req: HttpRequest, path: web::Path<String>) -> HttpResponse {
    let wanted = match path.as_str() {
        "" => "index.html",
        p => p,
    };
    let Some(index) = ASSETS.iter().position(|a| a.path == wanted) else {
        return HttpResponse::NotFound()
            .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
            .content_type("text/plain; charset=utf-8")
            .body("not found");
    };
    let asset = &ASSETS[index];
    let etag = &etags()[index];
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .map(str::trim)
                .any(|t| t == "*" || t.strip_prefix("W/").unwrap_or(t) == etag)
        });
    let mut b = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    b.insert_header((header::ETAG, etag.as_str()))
        .insert_header((header::CACHE_CONTROL, asset.cache))
        .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header(("Permissions-Policy", "camera=(self), microphone=()"))
        .insert_header(("Cross-Origin-Opener-Policy", "same-origin"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"));
    if wanted == "sw.js" {
        b.insert_header(("Service-Worker-Allowed", HeaderValue::from_static(BASE)));
    }
    if fresh {
        b.finish()
    } else {
        b.content_type(asset.content_type).body(asset.body)
    }
}
