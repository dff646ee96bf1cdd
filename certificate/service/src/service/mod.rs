//! The operations of the pass service. Each owns its PostgreSQL transaction; handlers
//! only parse and answer.

pub mod passes;
pub mod registers;
pub mod verifier;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use deadpool_postgres::Pool;

use crate::domain::codes::Codes;
use crate::settings::{PassSettings, RegisterSettings};
use crate::signing::DccSigner;
use verifier::Published;

/// Everything the operations share. Cheap to clone.
#[derive(Clone)]
pub struct Service {
    inner: Arc<Inner>,
}

struct Inner {
    pg: Pool,
    codes: Codes,
    signer: DccSigner,
    registers: RegisterSettings,
    passes: PassSettings,
    trust_list: Published,
    rules: Published,
}

impl Service {
    pub fn new(
        pg: Pool,
        codes: Codes,
        signer: DccSigner,
        registers: RegisterSettings,
        passes: PassSettings,
        rules: Published,
    ) -> anyhow::Result<Self> {
        let trust_list = verifier::trust_list(&signer)?;
        Ok(Self {
            inner: Arc::new(Inner {
                pg,
                codes,
                signer,
                registers,
                passes,
                trust_list,
                rules,
            }),
        })
    }

    pub fn pg(&self) -> &Pool {
        &self.inner.pg
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

    pub fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}
