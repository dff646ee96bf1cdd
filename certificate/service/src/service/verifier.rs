//! What verifiers download: the trust list (the DSCs with kid and allowed types), the
//! revocation list (hashes by type, per kid) and the business rules. Each answer is a
//! JSON document with a strong ETag over its bytes, so clients revalidate cheaply.
//! None of them holds personal data.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use base64::Engine as _;
use certificate::trust::AllowedTypes;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::Service;
use crate::error::{PassError, Result};
use crate::signing::DccSigner;
use crate::store::passes as store;

/// The revocation list as last built, and the version it was built at. Each request
/// reads only the version (one row); the list is rebuilt when the version moved, i.e.
/// after any instance revoked a pass. Both reads go to the read replica, from one
/// connection: the version and the list it is rebuilt at are one snapshot of one server,
/// and a list is never replaced by an older version's (`put`), so a replica a second
/// behind serves a list a second old, never a mix and never a step back.
#[derive(Debug, Default)]
pub struct RevocationCache {
    current: RwLock<Option<(i64, Arc<Published>)>>,
    rebuild: tokio::sync::Mutex<()>,
}

impl RevocationCache {
    fn get(&self, version: i64) -> Option<Arc<Published>> {
        let current = self.current.read().ok()?;
        current
            .as_ref()
            .filter(|(v, _)| *v >= version)
            .map(|(_, doc)| doc.clone())
    }

    fn put(&self, version: i64, doc: Arc<Published>) {
        if let Ok(mut current) = self.current.write() {
            if current.as_ref().is_none_or(|(v, _)| *v < version) {
                *current = Some((version, doc));
            }
        }
    }
}

/// A JSON document and its ETag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    pub body: Vec<u8>,
    pub etag: String,
}

impl Published {
    pub fn new(doc: &serde_json::Value) -> Result<Self, serde_json::Error> {
        let body = serde_json::to_vec(doc)?;
        // A SHA-256 digest has 32 bytes: the slice cannot fail.
        let etag = format!("\"{}\"", hex::encode(&Sha256::digest(&body)[..16]));
        Ok(Self { body, etag })
    }

    /// Whether an `If-None-Match` header value names this version (RFC 9110 §13.1.2,
    /// weak comparison).
    pub fn matches(&self, if_none_match: &str) -> bool {
        if_none_match
            .split(',')
            .map(str::trim)
            .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == self.etag)
    }
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The trust list: `{"certificates": [{kid, country, certificate, allowed_types, ...}]}`,
/// a shape `certificate::trust::TrustList::load` reads back.
pub fn trust_list(signer: &DccSigner) -> anyhow::Result<Published> {
    let certificates: Vec<serde_json::Value> = signer
        .published()
        .iter()
        .map(|c| {
            let types: Vec<&str> = match c.allowed_types() {
                AllowedTypes::All => certificate::payload::CertificateType::ALL
                    .iter()
                    .map(|t| t.key())
                    .collect(),
                AllowedTypes::Only(set) => set.iter().map(|t| t.key()).collect(),
            };
            json!({
                "kid": c.kid().to_base64(),
                "country": c.country(),
                "certificate": b64(c.der()),
                "allowed_types": types,
                "not_before": c.not_before(),
                "not_after": c.not_after(),
            })
        })
        .collect();
    Ok(Published::new(&json!({ "certificates": certificates }))?)
}

/// Why the business rules could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum RulesLoadError {
    #[error("cannot read the rules folder {0}")]
    Read(String, #[source] std::io::Error),
    #[error("{0} is not JSON")]
    Json(String, #[source] serde_json::Error),
    #[error("{0} holds an invalid rule: {1}")]
    Rule(String, String),
}

/// Loads the business rules under `dir`: every `*.json` directly in it (one rule or an
/// array of rules each) and every `rule.json` in its subfolders (the EU DCC
/// business-rules repository layout, `CC/ID/rule.json`; `tests` folders skipped), in path
/// order. An empty `dir` means no rules.
pub fn load_rules(dir: &str) -> Result<Published, RulesLoadError> {
    let rules: Vec<serde_json::Value> = read_rules(dir)?.into_iter().map(|(v, _)| v).collect();
    Published::new(&serde_json::Value::Array(rules))
        .map_err(|e| RulesLoadError::Json(dir.to_owned(), e))
}

/// The rules under `dir` (as [`load_rules`] finds them), parsed for evaluation.
pub fn load_rule_set(dir: &str) -> Result<Vec<certlogic::rules::Rule>, RulesLoadError> {
    Ok(read_rules(dir)?.into_iter().map(|(_, r)| r).collect())
}

fn read_rules(
    dir: &str,
) -> Result<Vec<(serde_json::Value, certlogic::rules::Rule)>, RulesLoadError> {
    let mut rules = Vec::new();
    if dir.is_empty() {
        return Ok(rules);
    }
    let mut files = Vec::new();
    rule_files(Path::new(dir), true, &mut files)?;
    files.sort();
    for path in files {
        let name = path.display().to_string();
        let text = std::fs::read(&path).map_err(|e| RulesLoadError::Read(name.clone(), e))?;
        let doc: serde_json::Value =
            serde_json::from_slice(&text).map_err(|e| RulesLoadError::Json(name.clone(), e))?;
        let items = match doc {
            serde_json::Value::Array(items) => items,
            single => vec![single],
        };
        for item in items {
            let rule = certlogic::rules::Rule::from_json(&item)
                .map_err(|e| RulesLoadError::Rule(name.clone(), e.to_string()))?;
            rules.push((item, rule));
        }
    }
    Ok(rules)
}

fn rule_files(dir: &Path, top: bool, out: &mut Vec<PathBuf>) -> Result<(), RulesLoadError> {
    let read = |e| RulesLoadError::Read(dir.display().to_string(), e);
    for entry in std::fs::read_dir(dir).map_err(read)? {
        let path = entry.map_err(read)?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if path.is_dir() {
            if name != "tests" {
                rule_files(&path, false, out)?;
            }
        } else if (top && name.ends_with(".json")) || name == "rule.json" {
            out.push(path);
        }
    }
    Ok(())
}

impl Service {
    pub fn trust_list(&self) -> &Published {
        &self.inner.trust_list
    }

    pub fn rules(&self) -> &Published {
        &self.inner.rules
    }

    /// The revocation list: `{"kids": {kid: {"UCI": [..], "COUNTRYCODEUCI": [..],
    /// "SIGNATURE": [..]}}}`, hashes in base64 (16 bytes each). Served from memory while
    /// its version in PostgreSQL stands still. Read from the replica: a pass revoked a
    /// second ago may be missing for that second, as it is for every verifier until its
    /// next download anyway.
    pub async fn revocation_list(&self) -> Result<Arc<Published>> {
        let cache = &self.inner.revocations;
        let mut client = self.reads().get().await?;
        let version = store::revocations_version(&**client).await?;
        if let Some(doc) = cache.get(version) {
            return Ok(doc);
        }
        // One rebuild at a time; those who waited find it done.
        let _rebuilding = cache.rebuild.lock().await;
        if let Some(doc) = cache.get(version) {
            return Ok(doc);
        }
        let (version, rows) = store::revocations_with_version(&mut client).await?;
        metrics::counter!("revocation_list_rebuilds_total").increment(1);
        let mut kids: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
        for r in rows {
            kids.entry(r.kid)
                .or_default()
                .entry(r.kind)
                .or_default()
                .push(b64(&r.hash));
        }
        let doc = Arc::new(
            Published::new(&json!({ "kids": kids })).map_err(|e| PassError::Internal(e.into()))?,
        );
        cache.put(version, doc.clone());
        Ok(doc)
    }
}
