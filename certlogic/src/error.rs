//! The one error type of this crate.
//!
//! CertLogic (SPECIFICATION.md, "Introduction") never evaluates a *valid* expression to an
//! error on valid input, but throws on invalid expressions and on type mismatches found
//! during evaluation. Every such case is a variant here; nothing in the crate panics.

use std::path::PathBuf;

/// Everything that can go wrong when validating or evaluating CertLogic, or when running
/// business rules and test folders.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The expression is not a valid CertLogic expression (found by up-front validation,
    /// SPECIFICATION.md "Introduction": the evaluator checks validity first).
    #[error("invalid CertLogic expression: {message} (in {expr})")]
    InvalidExpression {
        /// What is wrong.
        message: String,
        /// The offending (sub-)expression, serialised and shortened.
        expr: String,
    },
    /// An operand evaluated to a value of the wrong type for its operation.
    #[error("type mismatch in \"{operator}\": {message}")]
    TypeMismatch {
        /// The operation, e.g. `plusTime`.
        operator: &'static str,
        /// What was expected and what was found.
        message: String,
    },
    /// A value that must be truthy or falsy (SPECIFICATION.md "Truthy and falsy values") was
    /// neither, e.g. a date-time used as an `if` guard.
    #[error("\"{operator}\": operand is neither truthy nor falsy: {value}")]
    NeitherTruthyNorFalsy {
        /// The operation that needed a truthy/falsy value.
        operator: &'static str,
        /// The offending value, serialised.
        value: String,
    },
    /// A string given to `plusTime` or `dccDateOfBirth` is not in an allowed format, or names
    /// a day that does not exist.
    #[error("not an allowed date or date-time: {0:?}")]
    InvalidDateTime(String),
    /// Date-time arithmetic left the range of representable instants (that of ECMAScript
    /// `Date`: ±8.64e15 ms around the epoch).
    #[error("date-time out of range")]
    DateTimeOutOfRange,
    /// Integer arithmetic overflowed (`+` of two very large integers).
    #[error("integer overflow in \"+\"")]
    IntegerOverflow,
    /// The expression, or a value built while evaluating it, is nested too deeply or is too
    /// large: a bound against hostile input, not a CertLogic rule.
    #[error("resource limit exceeded: {0}")]
    LimitExceeded(String),
    /// A business rule could not be used (bad JSON, unsupported engine, bad dates).
    #[error("invalid business rule: {0}")]
    InvalidRule(String),
    /// A business rule evaluated to something other than a boolean.
    #[error("rule result is not a boolean: {0}")]
    NonBooleanResult(String),
    /// A file could not be read (only the `ruletest` module reads files).
    #[error("cannot read {path}: {message}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The operating system's message.
        message: String,
    },
    /// A file is not the JSON it should be (only the `ruletest` module reads files).
    #[error("cannot parse {path}: {message}")]
    Json {
        /// The file.
        path: PathBuf,
        /// The parser's message.
        message: String,
    },
}

/// Serialises a JSON value for an error message, shortened so that hostile input cannot
/// make error messages huge.
pub(crate) fn show(value: &serde_json::Value) -> String {
    const MAX: usize = 200;
    let s = value.to_string();
    if s.len() <= MAX {
        return s;
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}
