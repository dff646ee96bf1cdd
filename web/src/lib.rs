//! Server-rendered pages for the people who use the system: citizens book, move and
//! cancel; helpers act on a citizen's behalf; the authority runs the console.
//!
//! The pages call the booking and pass-service JSON APIs over HTTP with the signed-in
//! person's bearer token, which lives only in an encrypted, HttpOnly, SameSite cookie
//! (never readable by scripts). Every essential step works without JavaScript; the
//! little script in `static/app.js` only improves them (the hold's live countdown,
//! "use my location"). Pure logic (language, time, search, masking, error wording)
//! lives in modules that do no I/O and is tested without a server; `pages/` holds the
//! thin handlers, `api` the HTTP client. Nothing here may log a CPR number or a token.

pub mod api;
pub mod cpr;
pub mod errors;
pub mod i18n;
pub mod live;
pub mod oidc;
pub mod pages;
pub mod search;
pub mod session;
pub mod settings;
pub mod startup;
pub mod timefmt;
pub mod view;
