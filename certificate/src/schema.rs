//! Offline JSON-schema validation of DCC payloads against the official EU DCC schemas,
//! one compiled validator per schema version (a payload is checked against the schema of
//! its own `ver`). `$ref`s to `https://id.uvci.eu/...` resolve from documents handed in
//! here; nothing is ever fetched from the network. `format` is an annotation only (draft
//! 2020-12 default), as upstream's reference harness does.
//!
//! Beyond the schema, a DCC must hold exactly one of `v`, `t`, `r` (older schema versions
//! do not say so; hcert and the test vectors do).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde_json::Value;

/// A semantic version `major.minor.patch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version(pub u32, pub u32, pub u32);

impl Version {
    /// Parses `X.Y.Z`.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        let mut it = s.trim().split('.');
        let v = Self(
            it.next()?.parse().ok()?,
            it.next()?.parse().ok()?,
            it.next()?.parse().ok()?,
        );
        it.next().is_none().then_some(v)
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

/// Why schemas could not be compiled.
#[derive(Debug, thiserror::Error)]
pub enum SchemaLoadError {
    /// A schema does not compile (or references a document we do not have).
    #[error("schema {version}: {reason}")]
    Compile {
        /// The version being compiled.
        version: String,
        /// The compiler's message.
        reason: String,
    },
    /// No schema at all.
    #[error("no schema versions loaded")]
    Empty,
}

/// Why a payload fails schema validation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaError {
    /// `ver` is missing or not `X.Y.Z`.
    #[error("payload has no valid schema version (ver)")]
    MissingVersion,
    /// No schema for this major.minor.
    #[error("no schema for version {0}")]
    UnknownVersion(String),
    /// The payload violates the schema; each entry is `instance path: message`.
    #[error("schema {version} violated: {}", .errors.join("; "))]
    Invalid {
        /// Schema version used.
        version: String,
        /// Violations (paths and messages; may quote values).
        errors: Vec<String>,
    },
    /// Zero or several of v/t/r.
    #[error("payload must hold exactly one of v, t, r")]
    EntryCount,
}

/// Serves `https://id.uvci.eu/...` documents from memory; refuses everything else.
struct LocalRetriever(Arc<HashMap<String, Value>>);

impl jsonschema::Retrieve for LocalRetriever {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let key = uri.as_str().split('#').next().unwrap_or_default();
        self.0
            .get(key)
            .cloned()
            .ok_or_else(|| format!("schema {key} is not available offline").into())
    }
}

/// Compiled validators by schema version.
pub struct SchemaSet {
    versions: BTreeMap<Version, jsonschema::Validator>,
}

impl std::fmt::Debug for SchemaSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.versions.keys().map(ToString::to_string))
            .finish()
    }
}

/// Collects schema documents before compiling them.
#[derive(Default)]
pub struct SchemaSetBuilder {
    resources: HashMap<String, Value>,
    roots: Vec<(Version, Value)>,
}

impl SchemaSetBuilder {
    /// Registers a document that others `$ref` by its `$id`.
    #[must_use]
    pub fn resource(mut self, document: Value) -> Self {
        if let Some(id) = document.get("$id").and_then(Value::as_str) {
            self.resources.insert(id.to_owned(), document.clone());
        }
        self
    }

    /// Adds the root schema of a version (also registered as a resource).
    #[must_use]
    pub fn version(mut self, version: Version, root: Value) -> Self {
        self.roots.push((version, root));
        self
    }

    /// Compiles every version.
    pub fn build(self) -> Result<SchemaSet, SchemaLoadError> {
        if self.roots.is_empty() {
            return Err(SchemaLoadError::Empty);
        }
        let resources = Arc::new(self.resources);
        let mut versions = BTreeMap::new();
        for (version, root) in self.roots {
            let validator = jsonschema::options()
                .should_validate_formats(false)
                .with_retriever(LocalRetriever(Arc::clone(&resources)))
                .build(&root)
                .map_err(|e| SchemaLoadError::Compile {
                    version: version.to_string(),
                    reason: e.to_string(),
                })?;
            versions.insert(version, validator);
        }
        Ok(SchemaSet { versions })
    }
}

impl SchemaSet {
    /// A builder.
    #[must_use]
    pub fn builder() -> SchemaSetBuilder {
        SchemaSetBuilder::default()
    }

    /// The versions available.
    pub fn versions(&self) -> impl Iterator<Item = Version> + '_ {
        self.versions.keys().copied()
    }

    /// The validator for `ver`: exact match, else the newest with the same major.minor
    /// (patch releases only add examples and value-set annotations).
    fn validator_for(&self, ver: Version) -> Option<(Version, &jsonschema::Validator)> {
        if let Some(v) = self.versions.get(&ver) {
            return Some((ver, v));
        }
        self.versions
            .range(Version(ver.0, ver.1, 0)..=Version(ver.0, ver.1, u32::MAX))
            .next_back()
            .map(|(k, v)| (*k, v))
    }

    /// Validates a DCC against the schema of its own `ver`, and checks it holds exactly
    /// one of v/t/r.
    pub fn validate(&self, dcc: &Value) -> Result<Version, SchemaError> {
        let ver = dcc
            .get("ver")
            .and_then(Value::as_str)
            .and_then(Version::parse)
            .ok_or(SchemaError::MissingVersion)?;
        let (used, validator) = self
            .validator_for(ver)
            .ok_or_else(|| SchemaError::UnknownVersion(ver.to_string()))?;
        let errors: Vec<String> = validator
            .iter_errors(dcc)
            .take(8)
            .map(|e| format!("{}: {}", e.instance_path(), e))
            .collect();
        if !errors.is_empty() {
            return Err(SchemaError::Invalid {
                version: used.to_string(),
                errors,
            });
        }
        if exactly_one_group(dcc).is_none() {
            return Err(SchemaError::EntryCount);
        }
        Ok(used)
    }
}

/// The single group key (`v`, `t` or `r`) when exactly one is present.
#[must_use]
pub fn exactly_one_group(dcc: &Value) -> Option<&'static str> {
    let present: Vec<&'static str> = ["v", "t", "r"]
        .into_iter()
        .filter(|k| dcc.get(*k).is_some_and(|v| !v.is_null()))
        .collect();
    match present.as_slice() {
        [one] => Some(one),
        _ => None,
    }
}
