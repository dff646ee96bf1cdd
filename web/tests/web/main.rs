//! The web front end against the real booking service (PostgreSQL, Redis): page flows
//! without JavaScript over HTTP, and browser journeys in headless Chromium.

mod browser;
mod helpers;
mod oidc;
mod pages;
