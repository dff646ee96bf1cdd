//! The file-system edge: loads schema folders, value-set folders, trust lists and test
//! vectors for the `dcc` command and the tests. The only module that reads files.

use std::path::{Path, PathBuf};

use crate::conformance::{self, KnownIssue};
use crate::schema::{SchemaLoadError, SchemaSet, Version};
use crate::valuesets::ValueSets;

/// Why loading from disk failed.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// Reading a file or folder failed.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A file is not JSON.
    #[error("{path}: not JSON: {source}")]
    Json {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: serde_json::Error,
    },
    /// Schemas did not compile.
    #[error(transparent)]
    Schema(#[from] SchemaLoadError),
    /// The folder has no schema in the expected layout.
    #[error("{0}: no DCC.schema.json and no versions/<ver>/*.json")]
    NoSchema(PathBuf),
}

fn read(path: &Path) -> Result<Vec<u8>, LoadError> {
    std::fs::read(path).map_err(|source| LoadError::Io {
        path: path.to_owned(),
        source,
    })
}

fn read_json(path: &Path) -> Result<serde_json::Value, LoadError> {
    let bytes = read(path)?;
    serde_json::from_slice(&bytes).map_err(|source| LoadError::Json {
        path: path.to_owned(),
        source,
    })
}

fn list(dir: &Path) -> Result<Vec<PathBuf>, LoadError> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|source| LoadError::Io {
            path: dir.to_owned(),
            source,
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    out.sort();
    Ok(out)
}

/// Loads the schema folder layout of `eu-dcc-schema`: the split current schema
/// (`DCC.schema.json` and the documents it `$ref`s, version from its `$comment`) and
/// `versions/<ver>/*.json` combined schemas of older releases.
pub fn load_schemas(dir: &Path) -> Result<SchemaSet, LoadError> {
    let mut builder = SchemaSet::builder();
    let mut any = false;
    for path in list(dir)? {
        if path.extension().is_some_and(|e| e == "json") {
            let doc = read_json(&path)?;
            if path.file_name().is_some_and(|n| n == "DCC.schema.json") {
                let version = doc
                    .get("$comment")
                    .and_then(|c| c.as_str())
                    .and_then(|c| c.rsplit(' ').next())
                    .and_then(Version::parse);
                if let Some(v) = version {
                    builder = builder.version(v, doc.clone());
                    any = true;
                }
            }
            builder = builder.resource(doc);
        }
    }
    let versions = dir.join("versions");
    if versions.is_dir() {
        for vdir in list(&versions)? {
            let Some(v) = vdir
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(Version::parse)
            else {
                continue;
            };
            for path in list(&vdir)? {
                if path.extension().is_some_and(|e| e == "json") {
                    builder = builder.version(v, read_json(&path)?);
                    any = true;
                }
            }
        }
    }
    if !any {
        return Err(LoadError::NoSchema(dir.to_owned()));
    }
    Ok(builder.build()?)
}

/// Loads every value-set document (`*.json` with a `valueSetId`) in a folder.
pub fn load_value_sets(dir: &Path) -> Result<ValueSets, LoadError> {
    let mut sets = ValueSets::new();
    for path in list(dir)? {
        if path.extension().is_some_and(|e| e == "json") {
            let doc = read_json(&path)?;
            // Other JSON files (schemas, encoding instructions) are not value sets.
            let _ = sets.add(&doc);
        }
    }
    Ok(sets)
}

/// Reads a file.
pub fn read_file(path: &Path) -> Result<Vec<u8>, LoadError> {
    read(path)
}

/// Every `*.json` under `dir`, recursively, sorted; a file path is returned as is.
pub fn vector_files(dir: &Path) -> Result<Vec<PathBuf>, LoadError> {
    if dir.is_file() {
        return Ok(vec![dir.to_owned()]);
    }
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for p in list(&d)? {
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "json") {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Finds `UPSTREAM-known_issues.csv` in `dir` or an ancestor and parses it.
pub fn find_known_issues(dir: &Path) -> Result<Vec<KnownIssue>, LoadError> {
    let start = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_owned());
    for d in start.ancestors() {
        let candidate = d.join("UPSTREAM-known_issues.csv");
        if candidate.is_file() {
            let bytes = read(&candidate)?;
            return Ok(conformance::parse_known_issues(&String::from_utf8_lossy(
                &bytes,
            )));
        }
    }
    Ok(Vec::new())
}

/// Runs the conformance over folders (or files): every `*.json` that has
/// `EXPECTEDRESULTS`. Known issues come from `known` if given, else from the nearest
/// `UPSTREAM-known_issues.csv`.
pub fn run_conformance(
    dirs: &[PathBuf],
    schemas: Option<&SchemaSet>,
    known: Option<&[KnownIssue]>,
) -> Result<conformance::Report, LoadError> {
    let mut report = conformance::Report::default();
    for dir in dirs {
        let found;
        let known = match known {
            Some(k) => k,
            None => {
                found = find_known_issues(dir)?;
                &found
            }
        };
        let mut jobs = Vec::new();
        for path in vector_files(dir)? {
            let text = String::from_utf8_lossy(&read(&path)?).into_owned();
            // Only test-vector files: skip other JSON that may sit in the tree.
            if !text.contains("EXPECTEDRESULTS") {
                continue;
            }
            let shown = std::fs::canonicalize(&path).unwrap_or(path);
            jobs.push((shown.to_string_lossy().into_owned(), text));
        }
        report.files.extend(run_parallel(&jobs, schemas, known));
    }
    Ok(report)
}

/// Runs vectors on every available core (QR image decoding dominates), keeping order.
fn run_parallel(
    jobs: &[(String, String)],
    schemas: Option<&SchemaSet>,
    known: &[KnownIssue],
) -> Vec<conformance::FileResult> {
    let threads = std::thread::available_parallelism()
        .map(std::num::NonZeroUsize::get)
        .unwrap_or(1)
        .clamp(1, 16);
    let chunk = jobs.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = jobs
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|(path, text)| conformance::run_vector(path, text, schemas, known))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| match h.join() {
                Ok(results) => results,
                // A panic in a check is a bug; report it as a failed file rather than abort.
                Err(_) => vec![conformance::FileResult {
                    path: "(worker)".into(),
                    flags: Vec::new(),
                    unrecognised: Vec::new(),
                    load_error: Some("a conformance worker panicked".into()),
                }],
            })
            .collect()
    })
}
