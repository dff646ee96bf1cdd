//! Black-box tests of the identity crate: one binary, one module per area.

mod cpr_props;
mod dev_idp;
mod extractors;
mod helpers;
mod remote_jwks;
mod tokens;
