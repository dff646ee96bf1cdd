//! Who is calling, and about whom.
//!
//! - [`Cpr`]: the Danish CPR number as a checked type (century rule, birth date, age);
//! - [`Pseudonymizer`]: keyed pseudonyms for CPR numbers, for logs, metrics and Redis keys;
//! - [`TokenVerifier`]: OpenID Connect bearer-token (JWT) verification against the
//!   identity provider's JWKS, yielding a [`Principal`];
//! - [`extract`]: actix-web extractors per role ([`CitizenAccess`], [`Authority`],
//!   [`SiteClient`], [`AnyPrincipal`]); failures are [`AuthError`] as problem+json;
//! - [`dev_idp`]: a development-only identity provider that issues tokens without login.
//!
//! Nothing in this crate may log, echo or put into an error a CPR number or a token.
//!
//! # Wiring into an actix-web service
//!
//! ```no_run
//! use std::path::Path;
//! use std::time::Duration;
//!
//! use actix_web::{web, App, HttpResponse, HttpServer};
//! use identity::{CitizenAccess, DevIdentityProvider, JwksSource, TokenVerifier, VerifierSettings};
//!
//! async fn my_bookings(citizen: CitizenAccess) -> HttpResponse {
//!     // `citizen.cpr` is the citizen; `citizen.helper` goes into the audit log.
//!     HttpResponse::Ok().finish()
//! }
//!
//! # async fn run(dev_enabled: bool) -> Result<(), Box<dyn std::error::Error>> {
//! let (verifier, dev) = if dev_enabled {
//!     // DEV ONLY: tokens without login, verified in-process with the static key set.
//!     let dev = DevIdentityProvider::load_or_generate(
//!         Some(Path::new("var/dev-idp-key.pem")),
//!         "http://localhost:8080/dev".to_owned(),
//!         "booking".to_owned(),
//!         Duration::from_secs(3600),
//!     )?;
//!     (TokenVerifier::new(dev.verifier_settings())?, Some(web::Data::new(dev)))
//! } else {
//!     let settings = VerifierSettings::new(
//!         "https://idp.example/realms/citizens",
//!         "booking",
//!         JwksSource::Url("https://idp.example/realms/citizens/jwks".to_owned()),
//!     );
//!     (TokenVerifier::new(settings)?, None)
//! };
//! let verifier = web::Data::new(verifier);
//! HttpServer::new(move || {
//!     let dev = dev.clone();
//!     App::new()
//!         .app_data(verifier.clone())
//!         .configure(move |cfg| {
//!             if let Some(dev) = dev {
//!                 cfg.app_data(dev);
//!                 identity::configure(cfg);
//!             }
//!         })
//!         .route("/v1/me/bookings", web::get().to(my_bookings))
//! })
//! .bind(("127.0.0.1", 8080))?
//! .run()
//! .await?;
//! # Ok(())
//! # }
//! ```

mod claims;
pub mod cpr;
pub mod crypto;
pub mod dev_idp;
pub mod dev_oidc;
pub mod error;
pub mod extract;
pub mod jwks;
pub mod pkce;
pub mod principal;
pub mod pseudonym;
pub mod verifier;

pub use cpr::{Cpr, CprError, Sex};
pub use dev_idp::{configure, DevIdentityProvider, DevIdpError, TokenRequest, TokenResponse};
pub use error::{AuthError, InvalidToken};
pub use extract::{AnyPrincipal, Authority, CitizenAccess, SiteClient};
pub use jwks::{JwksError, JwksSource};
pub use principal::{Principal, Role, Subject};
pub use pseudonym::{Pseudonym, Pseudonymizer};
pub use verifier::{TokenVerifier, VerifierConfigError, VerifierSettings};

#[cfg(test)]
mod tests {
    /// Services share these across actix workers (`web::Data`, `Arc`).
    #[test]
    fn shared_types_are_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<crate::TokenVerifier>();
        assert_send_sync::<crate::DevIdentityProvider>();
        assert_send_sync::<crate::Pseudonymizer>();
        assert_send_sync::<crate::Cpr>();
        assert_send_sync::<crate::Principal>();
        assert_send_sync::<crate::AuthError>();
    }
}
