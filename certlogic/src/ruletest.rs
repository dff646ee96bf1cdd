//! Test runners: business-rule test folders (`<rule>/rule.json` beside `<rule>/tests/*.json`),
//! the CertLogic conformance suite (`testSuite/*.json`) and the CertLogic validation suite
//! (`validation-testSuite/*.json`). This is the only module of the crate that reads files.
//!
//! Every case is run, including those upstream marks `"directive": "skip"`. A failing case
//! counts as failed unless it is named in [`KNOWN_UPSTREAM_ISSUES`] with the reason we
//! believe upstream is wrong; those are listed apart in the report and counted neither as
//! passed nor as failed. The report ends with the line `N passed, M failed`.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::rules::Rule;
use crate::value::as_integer;
use crate::{evaluate, validation, Error};

/// A conformance case we believe is wrong upstream, with the reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownIssue {
    /// File name of the suite file, e.g. `ins-with-nulls.json`.
    pub file: &'static str,
    /// The case's `name`.
    pub case: &'static str,
    /// 0-based index of the assertion within the case.
    pub assertion: usize,
    /// Why the expected value is not what the specification says.
    pub reason: &'static str,
}

const IN_NULL_RHS: &str = "upstream marks this assertion \"skip\": it expects `false` for an \
`in` whose right-hand side is null, but SPECIFICATION.md (\"Operations with infix \
operators\") says a non-array right-hand side of `in` is an error";

/// Conformance assertions whose expected value contradicts SPECIFICATION.md. They are run
/// and shown in every report, never counted as passed.
pub const KNOWN_UPSTREAM_ISSUES: &[KnownIssue] = &[
    KnownIssue {
        file: "ins-with-nulls.json",
        case: "null-safety",
        assertion: 0,
        reason: IN_NULL_RHS,
    },
    KnownIssue {
        file: "ins-with-nulls.json",
        case: "null-safety",
        assertion: 1,
        reason: IN_NULL_RHS,
    },
    KnownIssue {
        file: "ins-with-nulls.json",
        case: "null-safety",
        assertion: 2,
        reason: IN_NULL_RHS,
    },
    KnownIssue {
        file: "ins-with-nulls.json",
        case: "null-safety",
        assertion: 3,
        reason: IN_NULL_RHS,
    },
];

/// One failed case.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// Which case: file and name.
    pub case: String,
    /// What went wrong: expected versus actual, or the error.
    pub detail: String,
}

/// A failing case named in [`KNOWN_UPSTREAM_ISSUES`].
#[derive(Debug, Clone, PartialEq)]
pub struct KnownFailure {
    /// Which case: file and name.
    pub case: String,
    /// What happened.
    pub detail: String,
    /// Why upstream is believed wrong.
    pub reason: &'static str,
}

/// The results of one rule folder or one suite file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GroupReport {
    /// Rule identifier or suite file name.
    pub name: String,
    /// Folder or file the group came from.
    pub path: PathBuf,
    /// Cases that passed.
    pub passed: usize,
    /// Cases that failed.
    pub failures: Vec<Failure>,
    /// Failing cases listed as known upstream issues.
    pub known: Vec<KnownFailure>,
}

/// The results of a run.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Report {
    /// One entry per rule folder or suite file, in path order.
    pub groups: Vec<GroupReport>,
}

impl Report {
    /// Number of cases that passed.
    pub fn passed(&self) -> usize {
        self.groups.iter().map(|g| g.passed).sum()
    }

    /// Number of cases that failed (including folders or files that could not be read).
    pub fn failed(&self) -> usize {
        self.groups.iter().map(|g| g.failures.len()).sum()
    }

    /// Failing cases listed in [`KNOWN_UPSTREAM_ISSUES`], neither passed nor failed.
    pub fn known_issues(&self) -> Vec<&KnownFailure> {
        self.groups.iter().flat_map(|g| &g.known).collect()
    }

    /// Merges another report into this one.
    pub fn extend(&mut self, other: Report) {
        self.groups.extend(other.groups);
    }
}

/// One line per failed case, one summary line per group, the known upstream issues, and
/// last `N passed, M failed`.
impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for g in &self.groups {
            for failure in &g.failures {
                writeln!(f, "FAIL {}: {}", failure.case, failure.detail)?;
            }
        }
        for g in &self.groups {
            write!(
                f,
                "{}: {} passed, {} failed",
                g.name,
                g.passed,
                g.failures.len()
            )?;
            if !g.known.is_empty() {
                write!(f, ", {} known upstream issues", g.known.len())?;
            }
            writeln!(f)?;
        }
        let known = self.known_issues();
        if !known.is_empty() {
            writeln!(
                f,
                "{} known upstream issues (run, not counted as passed or failed):",
                known.len()
            )?;
            for k in known {
                writeln!(f, "KNOWN {}: {} — {}", k.case, k.detail, k.reason)?;
            }
        }
        write!(f, "{} passed, {} failed", self.passed(), self.failed())
    }
}

/// Deepest directory nesting searched for rule folders.
const MAX_WALK_DEPTH: usize = 32;

/// Runs every business-rule test found under each of `dirs`: a rule folder is a folder
/// holding `rule.json` and a `tests/` folder of test files, each a JSON object (or an
/// array of them) `{ name, payload, external, expected }`. The rule's logic is evaluated
/// on `{ "payload": payload, "external": external }` and must give exactly `expected`.
pub fn run_dirs(dirs: &[PathBuf]) -> Report {
    let mut report = Report::default();
    for dir in dirs {
        let mut rule_dirs = Vec::new();
        if let Err(e) = find_rule_dirs(dir, 0, &mut rule_dirs) {
            report.groups.push(load_failure(dir, e));
            continue;
        }
        if rule_dirs.is_empty() {
            report.groups.push(load_failure(
                dir,
                Error::Io {
                    path: dir.clone(),
                    message: "no rule folder (rule.json beside tests/) found".into(),
                },
            ));
        }
        for rule_dir in rule_dirs {
            report.groups.push(run_rule_dir(&rule_dir));
        }
    }
    report
}

fn load_failure(path: &Path, error: Error) -> GroupReport {
    GroupReport {
        name: path.display().to_string(),
        path: path.to_path_buf(),
        passed: 0,
        failures: vec![Failure {
            case: path.display().to_string(),
            detail: error.to_string(),
        }],
        known: Vec::new(),
    }
}

fn io_error(path: &Path, e: std::io::Error) -> Error {
    Error::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// Entries of a folder, sorted by name.
fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let mut entries = fs::read_dir(dir)
        .map_err(|e| io_error(dir, e))?
        .map(|entry| entry.map(|e| e.path()).map_err(|e| io_error(dir, e)))
        .collect::<Result<Vec<_>, _>>()?;
    entries.sort();
    Ok(entries)
}

/// Collects rule folders under `dir` (itself included), without following symbolic links.
fn find_rule_dirs(dir: &Path, depth: usize, found: &mut Vec<PathBuf>) -> Result<(), Error> {
    let meta = fs::symlink_metadata(dir).map_err(|e| io_error(dir, e))?;
    if !meta.is_dir() && depth > 0 {
        return Ok(());
    }
    if !meta.is_dir() && !fs::metadata(dir).map(|m| m.is_dir()).unwrap_or(false) {
        return Err(Error::Io {
            path: dir.to_path_buf(),
            message: "not a folder".into(),
        });
    }
    if dir.join("rule.json").is_file() && dir.join("tests").is_dir() {
        found.push(dir.to_path_buf());
        return Ok(());
    }
    if depth >= MAX_WALK_DEPTH {
        return Ok(());
    }
    for entry in sorted_entries(dir)? {
        if fs::symlink_metadata(&entry).is_ok_and(|m| m.is_dir()) {
            find_rule_dirs(&entry, depth + 1, found)?;
        }
    }
    Ok(())
}

fn read_json(path: &Path) -> Result<Value, Error> {
    let text = fs::read_to_string(path).map_err(|e| io_error(path, e))?;
    serde_json::from_str(&text).map_err(|e| Error::Json {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

fn run_rule_dir(dir: &Path) -> GroupReport {
    let name = dir.file_name().map_or_else(
        || dir.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let mut group = GroupReport {
        name,
        path: dir.to_path_buf(),
        ..GroupReport::default()
    };
    let rule_path = dir.join("rule.json");
    let rule = match read_json(&rule_path).and_then(|v| Rule::from_json(&v)) {
        Ok(rule) => rule,
        Err(e) => {
            group.failures.push(Failure {
                case: rule_path.display().to_string(),
                detail: e.to_string(),
            });
            return group;
        }
    };
    group.name = rule.identifier.clone();
    let tests_dir = dir.join("tests");
    let files = match sorted_entries(&tests_dir) {
        Ok(files) => files,
        Err(e) => {
            group.failures.push(Failure {
                case: tests_dir.display().to_string(),
                detail: e.to_string(),
            });
            return group;
        }
    };
    for file in files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "json") && f.is_file())
    {
        let tests = match read_json(file) {
            Ok(Value::Array(tests)) => tests,
            Ok(test) => vec![test],
            Err(e) => {
                group.failures.push(Failure {
                    case: file.display().to_string(),
                    detail: e.to_string(),
                });
                continue;
            }
        };
        for (i, test) in tests.iter().enumerate() {
            let label = match test.get("name").and_then(Value::as_str) {
                Some(n) => format!("{} #{i} {n:?}", file.display()),
                None => format!("{} #{i}", file.display()),
            };
            match run_rule_test(&rule, test) {
                Ok(()) => group.passed += 1,
                Err(detail) => group.failures.push(Failure {
                    case: label,
                    detail,
                }),
            }
        }
    }
    group
}

fn run_rule_test(rule: &Rule, test: &Value) -> Result<(), String> {
    let Some(expected) = test.get("expected") else {
        return Err("test has no \"expected\"".into());
    };
    let null = Value::Null;
    let empty = Value::Object(serde_json::Map::new());
    let payload = test.get("payload").unwrap_or(&null);
    let external = test.get("external").unwrap_or(&empty);
    match rule.evaluate_json(external, payload) {
        Ok(actual) if json_equal(&actual, expected, 0) => Ok(()),
        Ok(actual) => Err(format!("expected {expected}, got {actual}")),
        Err(e) => Err(format!("expected {expected}, got error: {e}")),
    }
}

/// Runs a CertLogic conformance suite folder (`testSuite/`): every `*.json` file is
/// `{ name, cases: [{ name, certLogicExpression, assertions: [{ data, expected,
/// certLogicExpression? }] }] }`; each assertion is one case.
pub fn run_conformance_dir(dir: &Path) -> Report {
    run_suite_dir(dir, run_conformance_file)
}

/// Runs a CertLogic validation suite folder (`validation-testSuite/`): every `*.json` file
/// is `{ name, cases: [{ certLogicExpression, issues: [{ expr, message }] }] }`; the
/// validator must report exactly those issues.
pub fn run_validation_dir(dir: &Path) -> Report {
    run_suite_dir(dir, run_validation_file)
}

fn run_suite_dir(dir: &Path, run_file: fn(&Path, &Value, &mut GroupReport)) -> Report {
    let mut report = Report::default();
    let files = match sorted_entries(dir) {
        Ok(files) => files,
        Err(e) => {
            report.groups.push(load_failure(dir, e));
            return report;
        }
    };
    for file in files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "json") && f.is_file())
    {
        let file_name = file
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let mut group = GroupReport {
            name: file_name,
            path: file.clone(),
            ..GroupReport::default()
        };
        match read_json(file) {
            Ok(suite) => run_file(file, &suite, &mut group),
            Err(e) => group.failures.push(Failure {
                case: file.display().to_string(),
                detail: e.to_string(),
            }),
        }
        report.groups.push(group);
    }
    report
}

fn cases_of<'v>(path: &Path, suite: &'v Value, group: &mut GroupReport) -> &'v [Value] {
    match suite.get("cases").and_then(Value::as_array) {
        Some(cases) => cases,
        None => {
            group.failures.push(Failure {
                case: path.display().to_string(),
                detail: "suite file has no \"cases\" array".into(),
            });
            &[]
        }
    }
}

fn run_conformance_file(path: &Path, suite: &Value, group: &mut GroupReport) {
    let file = group.name.clone();
    for case in cases_of(path, suite, group) {
        let case_name = case.get("name").and_then(Value::as_str).unwrap_or("");
        let assertions = case
            .get("assertions")
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice);
        if assertions.is_empty() {
            group.failures.push(Failure {
                case: format!("{file} {case_name:?}"),
                detail: "case has no assertions".into(),
            });
        }
        for (i, assertion) in assertions.iter().enumerate() {
            let label = format!("{file} {case_name:?} #{i}");
            let outcome = run_assertion(case, assertion);
            let Err(detail) = outcome else {
                group.passed += 1;
                continue;
            };
            let known = KNOWN_UPSTREAM_ISSUES
                .iter()
                .find(|k| k.file == file && k.case == case_name && k.assertion == i);
            match known {
                Some(k) => group.known.push(KnownFailure {
                    case: label,
                    detail,
                    reason: k.reason,
                }),
                None => group.failures.push(Failure {
                    case: label,
                    detail,
                }),
            }
        }
    }
}

fn run_assertion(case: &Value, assertion: &Value) -> Result<(), String> {
    let expr = assertion
        .get("certLogicExpression")
        .or_else(|| case.get("certLogicExpression"))
        .ok_or("no certLogicExpression")?;
    let data = assertion.get("data").ok_or("assertion has no \"data\"")?;
    let expected = assertion
        .get("expected")
        .ok_or("assertion has no \"expected\"")?;
    match evaluate(expr, data) {
        Ok(actual) if json_equal(&actual, expected, 0) => Ok(()),
        Ok(actual) => Err(format!("expected {expected}, got {actual}")),
        Err(e) => Err(format!("expected {expected}, got error: {e}")),
    }
}

fn run_validation_file(path: &Path, suite: &Value, group: &mut GroupReport) {
    let file = group.name.clone();
    for (i, case) in cases_of(path, suite, group).iter().enumerate() {
        let label = match case.get("name").and_then(Value::as_str) {
            Some(name) => format!("{file} {name:?}"),
            None => format!("{file} #{i}"),
        };
        let (Some(expr), Some(Value::Array(expected))) =
            (case.get("certLogicExpression"), case.get("issues"))
        else {
            group.failures.push(Failure {
                case: label,
                detail: "case needs certLogicExpression and an issues array".into(),
            });
            continue;
        };
        let actual = validation::validate(expr);
        let same = actual.len() == expected.len()
            && actual.iter().zip(expected).all(|(a, e)| {
                e.get("expr").is_some_and(|x| json_equal(&a.expr, x, 0))
                    && e.get("message").and_then(Value::as_str) == Some(a.message.as_str())
            });
        if same {
            group.passed += 1;
        } else {
            let actual: Vec<String> = actual
                .iter()
                .map(|a| format!("{} ({})", a.message, a.expr))
                .collect();
            group.failures.push(Failure {
                case: label,
                detail: format!(
                    "expected issues {}, got [{}]",
                    Value::Array(expected.clone()),
                    actual.join("; ")
                ),
            });
        }
    }
}

/// JSON equality with numbers compared by value (`42` equals `42.0`, as in ECMAScript).
fn json_equal(a: &Value, b: &Value, depth: usize) -> bool {
    if depth > 512 {
        return false;
    }
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (as_integer(x), as_integer(y)) {
            (Some(i), Some(j)) => i == j,
            (None, None) => x.as_f64() == y.as_f64(),
            _ => false,
        },
        (Value::Array(xs), Value::Array(ys)) => {
            xs.len() == ys.len() && xs.iter().zip(ys).all(|(x, y)| json_equal(x, y, depth + 1))
        }
        (Value::Object(xs), Value::Object(ys)) => {
            xs.len() == ys.len()
                && xs
                    .iter()
                    .all(|(k, x)| ys.get(k).is_some_and(|y| json_equal(x, y, depth + 1)))
        }
        _ => a == b,
    }
}
