//! Up-front validation of CertLogic expressions: is this JSON a well-formed CertLogic
//! expression (known operators, right number of operands, literal arguments of the right
//! type, well-formed `var` paths)?
//!
//! SPECIFICATION.md ("Introduction") makes the evaluator check the validity of an
//! expression before evaluating anything, so [`crate::evaluate`] runs this first. The
//! messages follow those of the reference validator exercised by the conformance
//! `validation-testSuite/`.

use serde_json::Value;

use crate::datetime::TimeUnit;
use crate::value::as_integer;

/// Deepest nesting of expressions accepted. Real rules nest about 15 levels; the bound keeps
/// recursion (here and in the evaluator) far from the stack's end on hostile input.
pub const MAX_EXPRESSION_DEPTH: usize = 128;

/// One problem found in an expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Issue {
    /// The (sub-)expression the problem is about.
    pub expr: Value,
    /// What is wrong.
    pub message: String,
}

/// Operators taking 2 or 3 operands, the ternary form meaning "between"
/// (SPECIFICATION.md, "Operations with infix operators").
pub(crate) const COMPARISONS: [&str; 8] = [
    "<",
    ">",
    "<=",
    ">=",
    "after",
    "before",
    "not-after",
    "not-before",
];

/// Validates `expr`, returning every issue found (none means valid).
pub fn validate(expr: &Value) -> Vec<Issue> {
    let mut issues = Vec::new();
    check(expr, 0, &mut issues);
    issues
}

fn issue(issues: &mut Vec<Issue>, expr: &Value, message: String) {
    issues.push(Issue {
        expr: expr.clone(),
        message,
    });
}

/// A `var` path is `""` (the whole data context) or fragments separated by single dots,
/// none of them empty.
pub(crate) fn valid_path(path: &str) -> bool {
    path.is_empty() || path.split('.').all(|fragment| !fragment.is_empty())
}

fn check(expr: &Value, depth: usize, issues: &mut Vec<Issue>) {
    if depth > MAX_EXPRESSION_DEPTH {
        issue(
            issues,
            &Value::Null,
            format!("expression nested deeper than {MAX_EXPRESSION_DEPTH} levels"),
        );
        return;
    }
    let values = match expr {
        Value::String(_) | Value::Bool(_) => return,
        Value::Number(n) => {
            if as_integer(n).is_none() {
                issue(issues, expr, format!("{n} is a non-integer number"));
            }
            return;
        }
        // SPECIFICATION.md, "Literal values": no `null` literal.
        Value::Null => {
            issue(issues, expr, "invalid CertLogic expression".to_owned());
            return;
        }
        Value::Array(items) => {
            for item in items {
                check(item, depth + 1, issues);
            }
            return;
        }
        Value::Object(map) => map,
    };
    let mut entries = values.iter();
    let (operator, operands) = match (entries.next(), entries.next()) {
        (Some(entry), None) => entry,
        _ => {
            let message = format!(
                "expression object must have exactly one key, but it has {}",
                values.len()
            );
            issue(issues, expr, message);
            return;
        }
    };
    if operator == "var" {
        match operands {
            Value::String(path) if valid_path(path) => {}
            Value::String(path) => issue(
                issues,
                expr,
                format!("data access path doesn't have a valid format: {path}"),
            ),
            _ => issue(
                issues,
                expr,
                "not of the form { \"var\": \"<path>\" }".to_owned(),
            ),
        }
        return;
    }
    let Value::Array(operands) = operands else {
        issue(
            issues,
            expr,
            "operation not of the form { \"<operator>\": [ <values...> ] }".to_owned(),
        );
        return;
    };
    let n = operands.len();
    // The messages are those of the reference validator (certlogic-js), so that reports
    // read the same whichever implementation produced them.
    let mut arity = |ok: bool, message: String| {
        if !ok {
            issue(issues, expr, message);
        }
    };
    let form = |kind: &str, count: &str| {
        format!("{kind}-operation must have exactly {count} values/operands, but it has {n}")
    };
    let expression_operands = match operator.as_str() {
        "if" | "reduce" => {
            arity(
                n == 3,
                form(
                    &format!(
                        "a{} \"{operator}\"",
                        if operator == "if" { "n" } else { "" }
                    ),
                    "3",
                ),
            );
            3
        }
        "and" | "or" => {
            arity(
                n >= 2,
                format!(
                    "an \"{operator}\" operation must have at least 2 operands, but it has {n}"
                ),
            );
            n
        }
        "===" | "in" | "+" => {
            arity(
                n == 2,
                format!("an operation with operator \"{operator}\" must have 2 operands, but it has {n}"),
            );
            2
        }
        op if COMPARISONS.contains(&op) => {
            arity(
                (2..=3).contains(&n),
                format!("an operation with operator \"{operator}\" must have 2 or 3 operands, but it has {n}"),
            );
            3
        }
        "!" | "!!" | "dccDateOfBirth" => {
            let message = match operator.as_str() {
                "!" => format!("a !-operation (logical not/negation) must have exactly 1 operand, but it has {n}"),
                "!!" => format!("a !!-operation (truthiness) must have exactly 1 operand, but it has {n}"),
                _ => format!("a \"{operator}\"-operation must have exactly 1 value/operand, but it has {n}"),
            };
            arity(n == 1, message);
            1
        }
        "plusTime" => {
            arity(n == 3, form("a \"plusTime\"", "3"));
            if let Some(amount) = operands.get(1) {
                if !matches!(amount, Value::Number(a) if as_integer(a).is_some()) {
                    let message = format!(
                        "\"amount\" argument (#2) of \"plusTime\" must be an integer, but it is: {}",
                        js_text(amount)
                    );
                    issue(issues, expr, message);
                }
            }
            if let Some(unit) = operands.get(2) {
                if !matches!(unit, Value::String(u) if TimeUnit::parse(u).is_some()) {
                    let message = format!(
                        "\"unit\" argument (#3) of \"plusTime\" must be a string equal to one of {}, but it is: {}",
                        TimeUnit::NAMES.join(", "),
                        js_text(unit)
                    );
                    issue(issues, expr, message);
                }
            }
            1
        }
        "extractFromUVCI" => {
            arity(n == 2, form("an \"extractFromUVCI\"", "2"));
            if let Some(index) = operands.get(1) {
                if !matches!(index, Value::Number(i) if as_integer(i).is_some()) {
                    let message = format!(
                        "\"index\" argument (#2) of \"extractFromUVCI\" must be an integer, but it is: {}",
                        js_text(index)
                    );
                    issue(issues, expr, message);
                }
            }
            1
        }
        _ => {
            issue(
                issues,
                expr,
                format!("unrecognised operator: \"{operator}\""),
            );
            return;
        }
    };
    for operand in operands.iter().take(expression_operands) {
        check(operand, depth + 1, issues);
    }
}

/// A literal as an ECMAScript template literal shows it: strings without quotes.
fn js_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn messages(expr: Value) -> Vec<String> {
        validate(&expr).into_iter().map(|i| i.message).collect()
    }

    #[test]
    fn valid_expressions_have_no_issues() {
        for expr in [
            json!(true),
            json!("x"),
            json!(42),
            json!(42.0),
            json!([1, "a", { "var": "x" }]),
            json!({ "var": "" }),
            json!({ "var": "a.0.b-c_d" }),
            json!({ "if": [true, 1, 2] }),
            json!({ "and": [true, 1, 2] }),
            json!({ "<": [1, 2, 3] }),
            json!({ "plusTime": [{ "var": "d" }, -3, "month"] }),
            json!({ "extractFromUVCI": [{ "var": "u" }, 2] }),
            json!({ "dccDateOfBirth": [{ "var": "dob" }] }),
            json!({ "reduce": [[1], { "var": "accumulator" }, 0] }),
        ] {
            assert_eq!(messages(expr.clone()), Vec::<String>::new(), "{expr}");
        }
    }

    #[test]
    fn arity_and_literal_argument_errors() {
        assert_eq!(messages(json!({ "if": [true, 1] })).len(), 1);
        assert_eq!(messages(json!({ "and": [true] })).len(), 1);
        assert_eq!(messages(json!({ "===": [1, 2, 3] })).len(), 1);
        assert_eq!(messages(json!({ "<": [1] })).len(), 1);
        assert_eq!(messages(json!({ "<": [1, 2, 3, 4] })).len(), 1);
        assert_eq!(messages(json!({ "!": [] })).len(), 1);
        assert_eq!(
            messages(json!({ "plusTime": ["2021", 1.5, "week"] })).len(),
            2
        );
        assert_eq!(messages(json!({ "extractFromUVCI": ["x", "0"] })).len(), 1);
        assert_eq!(messages(json!({ "var": "a..b" })).len(), 1);
        assert_eq!(messages(json!({ "var": ".a" })).len(), 1);
        assert_eq!(messages(json!({ "if": [null, 1, 2] })).len(), 1);
    }

    #[test]
    fn deep_nesting_is_an_issue_not_a_stack_overflow() {
        let mut expr = json!(true);
        for _ in 0..100_000 {
            expr = Value::Array(vec![expr]);
        }
        let issues = validate(&expr);
        assert_eq!(issues.len(), 1);
        assert!(issues[0].message.contains("nested deeper"));
        // Dropping such a value recursively would overflow the stack; unwind it by hand.
        let mut v = expr;
        while let Value::Array(mut items) = v {
            v = items.pop().unwrap_or(Value::Null);
        }
    }
}
