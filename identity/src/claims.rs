//! The JWT claims we issue (dev identity provider) and read (verifier).
//!
//! Registered claims `iss`, `aud`, `exp`, `nbf` are checked by `jsonwebtoken` before these
//! structs are trusted; what is left here is the shape of `sub`, `role`, `act` and `name`.

use serde::{Deserialize, Serialize};

use crate::Role;

/// RFC 8693 §4.1 actor claim: who acts on behalf of the subject. A municipal
/// citizen-service worker's carries their municipality (a claim about the actor, so it
/// sits in `act`, RFC 8693 §4.1); a relative's carries none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Actor {
    pub sub: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub municipality: Option<u16>,
}

/// What the dev identity provider signs.
#[derive(Debug, Serialize)]
pub(crate) struct IssuedClaims<'a> {
    pub iss: &'a str,
    pub aud: &'a str,
    pub exp: i64,
    pub iat: i64,
    pub nbf: i64,
    pub jti: String,
    pub sub: &'a str,
    pub role: Role,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub act: Option<Actor>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<&'a str>,
}

/// The claims the verifier needs after the registered ones were validated.
#[derive(Debug, Deserialize)]
pub(crate) struct ReceivedClaims {
    pub sub: String,
    /// Seconds since the epoch; checked by the JWT library, kept to bound the cache.
    pub exp: u64,
    pub role: Role,
    #[serde(default)]
    pub act: Option<Actor>,
    #[serde(default)]
    pub name: Option<String>,
}
