//! Who a verified token says the caller is: a role, a subject and (for a helper) the actor.
//!
//! A `Principal` only comes out of [`crate::TokenVerifier::verify`] in production code;
//! handlers ask for the narrower extractors in [`crate::extract`]. This module does no I/O
//! and must never print a CPR number (its `Debug` relies on the masked `Cpr`).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::Cpr;

/// The roles a token can carry in its `role` claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// A citizen acting for themselves; `sub` is their CPR number.
    Citizen,
    /// A municipal worker or a relative with power of attorney acting for a citizen;
    /// `sub` is the citizen's CPR number, `act.sub` the helper's own id.
    Helper,
    /// A health-authority user; `sub` is their own id.
    Authority,
    /// A test centre, vaccination site or lab machine client; `sub` is its id.
    Site,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Citizen => "citizen",
            Role::Helper => "helper",
            Role::Authority => "authority",
            Role::Site => "site",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `sub` claim, typed by role.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Subject {
    /// Citizen and helper tokens: the citizen the request is about.
    Cpr(Cpr),
    /// Authority and site tokens: the caller's own id (never a CPR number).
    Id(String),
}

/// A caller whose bearer token has been verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub role: Role,
    pub subject: Subject,
    /// RFC 8693 `act.sub`: who is actually acting (the helper's id for `Role::Helper`).
    pub actor: Option<String>,
    /// `act.municipality`: the municipality a helper works for (municipal workers only).
    pub actor_municipality: Option<u16>,
    /// Display name from the `name` claim, when the identity provider sends one.
    pub name: Option<String>,
}

impl Principal {
    /// The citizen this principal is, or acts for (citizen and helper roles).
    pub fn cpr(&self) -> Option<&Cpr> {
        match &self.subject {
            Subject::Cpr(cpr) => Some(cpr),
            Subject::Id(_) => None,
        }
    }
}
