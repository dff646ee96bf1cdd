//! The operations of the pass service. Each owns its PostgreSQL transaction; handlers
//! only parse and answer.

pub mod domestic;
pub mod passes;
pub mod registers;
pub mod verifier;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use deadpool_postgres::Pool;
use service_kit::storage::ReadPool;

use crate::domain::codes::Codes;
use crate::domain::validity::ValidityRules;
use crate::settings::{DomesticSettings, PassSettings, RegisterSettings};
use crate::signing::DccSigner;
use verifier::{Published, RevocationCache};

/// Everything the operations share. Cheap to clone.
#[derive(Clone)]
pub struct Service {
    inner: Arc<Inner>,
}

struct Inner {
    pg: Pool,
    reads: ReadPool,
    codes: Codes,
    signer: DccSigner,
    registers: RegisterSettings,
    passes: PassSettings,
    domestic: DomesticSettings,
    domestic_rules: ValidityRules,
    eu_rules: ValidityRules,
    trust_list: Published,
    rules: Published,
    revocations: RevocationCache,
}

/// What the service is built from (see [`Service::new`]).
pub struct Parts {
    /// The primary: registers, passes, revocations, the audit log.
    pub pg: Pool,
    /// The read replica (or the primary): only the verifier's revocation list download,
    /// which carries its own version (see [`Service::revocation_list`]).
    pub reads: ReadPool,
    pub codes: Codes,
    pub signer: DccSigner,
    pub registers: RegisterSettings,
    pub passes: PassSettings,
    pub domestic: DomesticSettings,
    /// The domestic acceptance rules (from `domestic.rules_dir`).
    pub domestic_rules: Vec<certlogic::rules::Rule>,
    /// The EU pass validity rules (from `passes.rules_dir`).
    pub eu_rules: Vec<certlogic::rules::Rule>,
    /// The business rules verifiers download.
    pub rules: Published,
}

impl Service {
    pub fn new(p: Parts) -> anyhow::Result<Self> {
        let trust_list = verifier::trust_list(&p.signer)?;
        let value_sets = p.codes.to_certlogic();
        let domestic_rules =
            ValidityRules::new(p.domestic_rules, &p.passes.country, value_sets.clone());
        let eu_rules = ValidityRules::new(p.eu_rules, &p.passes.country, value_sets);
        Ok(Self {
            inner: Arc::new(Inner {
                pg: p.pg,
                reads: p.reads,
                codes: p.codes,
                signer: p.signer,
                registers: p.registers,
                passes: p.passes,
                domestic: p.domestic,
                domestic_rules,
                eu_rules,
                trust_list,
                rules: p.rules,
                revocations: RevocationCache::default(),
            }),
        })
    }

    pub fn pg(&self) -> &Pool {
        &self.inner.pg
    }

    /// Reads that may lag the primary by a second or two. Issuing a pass must see the
    /// newest register record and revocation: it never reads from here.
    pub fn reads(&self) -> &ReadPool {
        &self.inner.reads
    }

    pub fn codes(&self) -> &Codes {
        &self.inner.codes
    }

    pub fn signer(&self) -> &DccSigner {
        &self.inner.signer
    }

    pub fn register_settings(&self) -> &RegisterSettings {
        &self.inner.registers
    }

    pub fn pass_settings(&self) -> &PassSettings {
        &self.inner.passes
    }

    pub fn domestic_settings(&self) -> &DomesticSettings {
        &self.inner.domestic
    }

    pub fn domestic_rules(&self) -> &ValidityRules {
        &self.inner.domestic_rules
    }

    pub fn eu_rules(&self) -> &ValidityRules {
        &self.inner.eu_rules
    }

    pub fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}
