//! CertLogic: the rule language of the EU Digital COVID Certificate business rules.
//!
//! This crate implements the CertLogic specification, version 1.3.3
//! (`shared/testdata/certlogic/SPECIFICATION.md`): [`evaluate`] takes an expression and a
//! data context (both JSON) and produces a JSON value, or an [`Error`] for an invalid
//! expression or a type mismatch. On top of it:
//!
//! - [`validation`]: up-front checking of an expression's form (run by [`evaluate`] too);
//! - [`datetime`]: the date-time parsing and ECMAScript-compatible arithmetic behind
//!   `plusTime` and `dccDateOfBirth`;
//! - [`rules`]: EU DCC business rules ([`rules::Rule`]) and the `external` parameters they
//!   read ([`rules::ExternalParams`]);
//! - [`ruletest`]: runners for the CertLogic conformance suites and for business-rule test
//!   folders, the only module that touches the file system.
//!
//! Beyond the specification, two JsonLogic operations are accepted as extensions (they are
//! not in CertLogic 1.3.3, so portable rules must not use them): `or` (the first truthy
//! operand, else the last) and `!!` (truthiness as a boolean), both with CertLogic's strict
//! notion of truthy and falsy. `reduce` lambdas
//! also see the enclosing data context as `data`, as the spec's "Reduction" section
//! anticipates.
//!
//! Evaluation never panics and never does I/O. Hostile input is bounded: expressions may
//! nest at most [`validation::MAX_EXPRESSION_DEPTH`] levels, and values built during
//! evaluation are limited in depth and size.

mod error;
mod eval;
mod value;

pub mod datetime;
pub mod rules;
pub mod ruletest;
pub mod validation;

pub use error::Error;

use serde_json::Value;

/// Evaluates the CertLogic expression `logic` against the data context `data`.
///
/// The expression is validated first (SPECIFICATION.md, "Introduction"); the first issue
/// found is returned as [`Error::InvalidExpression`]. Date-time results are rendered as
/// ISO 8601 strings with milliseconds and `Z` (ECMAScript's `Date.prototype.toJSON`).
///
/// ```
/// use serde_json::json;
/// let logic = json!({ "after": [
///     { "dccDateOfBirth": [{ "var": "payload.dob" }] },
///     { "plusTime": [{ "var": "external.validationClock" }, -18, "year"] }
/// ]});
/// let data = json!({ "payload": { "dob": "2010-05" },
///                    "external": { "validationClock": "2024-01-01T00:00:00Z" } });
/// assert_eq!(certlogic::evaluate(&logic, &data).unwrap(), json!(true));
/// ```
pub fn evaluate(logic: &Value, data: &Value) -> Result<Value, Error> {
    validate_first(logic)?;
    let ctx = eval::Context::Root(value::Val::from_json(data));
    Ok(eval::eval(logic, &ctx, 0)?.to_json())
}

/// Like [`evaluate`] on the data context `{ "<name>": <value>, ... }`, without copying the
/// values into a new JSON object (business rules run on `payload` and `external`, and the
/// latter holds all value sets).
pub(crate) fn evaluate_on_fields(
    logic: &Value,
    fields: &[(&'static str, &Value)],
) -> Result<Value, Error> {
    validate_first(logic)?;
    let root = value::Val::object(
        fields
            .iter()
            .map(|(name, v)| (*name, value::Val::from_json(v)))
            .collect(),
    )?;
    let ctx = eval::Context::Root(root);
    Ok(eval::eval(logic, &ctx, 0)?.to_json())
}

/// SPECIFICATION.md, "Introduction": validity is checked before anything is evaluated.
fn validate_first(logic: &Value) -> Result<(), Error> {
    match validation::validate(logic).into_iter().next() {
        Some(issue) => Err(Error::InvalidExpression {
            message: issue.message,
            expr: error::show(&issue.expr),
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests;
