//! The CertLogic evaluator: SPECIFICATION.md, section "Operations", one function per
//! operation. Pure: no I/O, no clock (the validation clock comes in through the data).
//!
//! Expressions are validated up front ([`crate::validation`]), then evaluated with
//! borrowed data. Every type mismatch is an [`Error`]; nothing panics. Recursion depth is
//! bounded by [`crate::validation::MAX_EXPRESSION_DEPTH`], value sizes by the limits in
//! [`crate::value`].

use serde_json::Value;

use crate::datetime::{DateTime, TimeUnit};
use crate::error::show;
use crate::validation::{valid_path, COMPARISONS, MAX_EXPRESSION_DEPTH};
use crate::value::{as_integer, strict_equals, Val};
use crate::Error;

/// The data context an expression is evaluated against: the caller's data, or inside a
/// `reduce` lambda the `{ "current", "accumulator", "data" }` object of SPECIFICATION.md
/// "Reduction" (kept unmaterialised so that a lambda reading `current` costs nothing).
pub(crate) enum Context<'a, 'c> {
    Root(Val<'a>),
    Lambda {
        current: Val<'a>,
        accumulator: Val<'a>,
        data: &'c Context<'a, 'c>,
    },
}

impl<'a> Context<'a, '_> {
    /// The whole context as a value (`{ "var": "" }`).
    fn whole(&self) -> Result<Val<'a>, Error> {
        match self {
            Context::Root(v) => Ok(v.clone()),
            Context::Lambda {
                current,
                accumulator,
                data,
            } => Val::object(vec![
                ("current", current.clone()),
                ("accumulator", accumulator.clone()),
                ("data", data.whole()?),
            ]),
        }
    }

    /// The value of a top-level key of the context.
    fn field(&self, key: &str) -> Result<Val<'a>, Error> {
        match self {
            Context::Root(v) => Ok(v.get(key)),
            Context::Lambda {
                current,
                accumulator,
                data,
            } => Ok(match key {
                "current" => current.clone(),
                "accumulator" => accumulator.clone(),
                "data" => data.whole()?,
                _ => Val::Null,
            }),
        }
    }
}

/// Evaluates a valid expression. `depth` counts nesting, for the recursion bound.
pub(crate) fn eval<'a>(
    expr: &'a Value,
    ctx: &Context<'a, '_>,
    depth: usize,
) -> Result<Val<'a>, Error> {
    if depth > MAX_EXPRESSION_DEPTH {
        return Err(Error::LimitExceeded(format!(
            "expression nested deeper than {MAX_EXPRESSION_DEPTH} levels"
        )));
    }
    let invalid = |message: &str| Error::InvalidExpression {
        message: message.to_owned(),
        expr: show(expr),
    };
    let map = match expr {
        // SPECIFICATION.md, "Introduction": literals evaluate to themselves.
        Value::Bool(_) | Value::String(_) => return Ok(Val::from_json(expr)),
        Value::Number(n) => {
            return match as_integer(n) {
                Some(i) => Ok(Val::Int(i)),
                None => Err(invalid("non-integer number literal")),
            }
        }
        Value::Null => return Err(invalid("null literal")),
        // "A JSON array evaluates to an array with every item evaluated separately."
        Value::Array(items) => {
            let items = items
                .iter()
                .map(|item| eval(item, ctx, depth + 1))
                .collect::<Result<Vec<_>, _>>()?;
            return Val::array(items);
        }
        Value::Object(map) => map,
    };
    let mut entries = map.iter();
    let (operator, operands) = match (entries.next(), entries.next()) {
        (Some(entry), None) => entry,
        _ => return Err(invalid("expression object must have exactly one key")),
    };
    if operator == "var" {
        return match operands {
            Value::String(path) => var(path, ctx, expr),
            _ => Err(invalid("not of the form { \"var\": \"<path>\" }")),
        };
    }
    let Value::Array(args) = operands else {
        return Err(invalid(
            "operation not of the form { \"<operator>\": [ <values...> ] }",
        ));
    };
    let arg = |i: usize| {
        args.get(i)
            .ok_or_else(|| invalid("missing operand"))
            .and_then(|a| eval(a, ctx, depth + 1))
    };
    match operator.as_str() {
        "if" => {
            if args.len() != 3 {
                return Err(invalid("\"if\" needs exactly 3 operands"));
            }
            // SPECIFICATION.md, "If-then-else": only the chosen branch is evaluated.
            let guard = arg(0)?;
            match guard.truthiness() {
                Some(true) => arg(1),
                Some(false) => arg(2),
                None => Err(neither("if", &guard)),
            }
        }
        "and" | "or" => {
            if args.len() < 2 {
                return Err(invalid("needs at least 2 operands"));
            }
            and_or(operator == "and", args, ctx, depth)
        }
        "===" | "in" | "+" => {
            if args.len() != 2 {
                return Err(invalid("needs exactly 2 operands"));
            }
            let (l, r) = (arg(0)?, arg(1)?);
            match operator.as_str() {
                "===" => Ok(Val::Bool(strict_equals(&l, &r, 0)?)),
                "in" => contains(&r, &l).map(Val::Bool),
                _ => match (l, r) {
                    (Val::Int(a), Val::Int(b)) => {
                        a.checked_add(b).map(Val::Int).ok_or(Error::IntegerOverflow)
                    }
                    (a, b) => Err(mismatch(
                        "+",
                        format!(
                            "operands must both be integers, got {} and {}",
                            a.describe(),
                            b.describe()
                        ),
                    )),
                },
            }
        }
        op if COMPARISONS.contains(&op) => {
            if !(2..=3).contains(&args.len()) {
                return Err(invalid("needs 2 or 3 operands"));
            }
            let values = args
                .iter()
                .map(|a| eval(a, ctx, depth + 1))
                .collect::<Result<Vec<_>, _>>()?;
            compare(op, &values)
        }
        "!" | "!!" => {
            if args.len() != 1 {
                return Err(invalid("needs exactly 1 operand"));
            }
            let operand = arg(0)?;
            let op = if operator == "!" { "!" } else { "!!" };
            match operand.truthiness() {
                Some(t) => Ok(Val::Bool(if op == "!" { !t } else { t })),
                None => Err(neither(op, &operand)),
            }
        }
        "plusTime" => plus_time(args, ctx, depth, expr),
        "dccDateOfBirth" => {
            if args.len() != 1 {
                return Err(invalid("needs exactly 1 operand"));
            }
            match arg(0)? {
                Val::Str(s) => DateTime::parse_date_of_birth(s).map(Val::DateTime),
                other => Err(mismatch(
                    "dccDateOfBirth",
                    format!("operand must be a string, got {}", other.describe()),
                )),
            }
        }
        "reduce" => reduce(args, ctx, depth, expr),
        "extractFromUVCI" => extract_from_uvci(args, ctx, depth, expr),
        _ => Err(invalid("unrecognised operator")),
    }
}

fn mismatch(operator: &'static str, message: String) -> Error {
    Error::TypeMismatch { operator, message }
}

fn neither(operator: &'static str, value: &Val<'_>) -> Error {
    Error::NeitherTruthyNorFalsy {
        operator,
        value: value.describe(),
    }
}

/// SPECIFICATION.md, "Data access (`var`)": drill into the context fragment by fragment;
/// whatever is missing is `null`.
fn var<'a>(path: &str, ctx: &Context<'a, '_>, expr: &Value) -> Result<Val<'a>, Error> {
    if !valid_path(path) {
        return Err(Error::InvalidExpression {
            message: format!("data access path doesn't have a valid format: {path}"),
            expr: show(expr),
        });
    }
    if path.is_empty() {
        return ctx.whole();
    }
    let mut fragments = path.split('.');
    let first = fragments.next().unwrap_or_default();
    let mut value = ctx.field(first)?;
    for fragment in fragments {
        if matches!(value, Val::Null) {
            break;
        }
        value = value.get(fragment);
    }
    Ok(value)
}

/// `and` (SPECIFICATION.md, "Operations with infix operators"): operands are evaluated in
/// order until one is falsy, which is the result; otherwise the last operand's value is.
/// Every operand but the last must be truthy or falsy. `or` is the JsonLogic dual (an
/// extension: not in CertLogic 1.3.3): the first truthy operand, or the last one.
fn and_or<'a>(
    is_and: bool,
    args: &'a [Value],
    ctx: &Context<'a, '_>,
    depth: usize,
) -> Result<Val<'a>, Error> {
    let operator = if is_and { "and" } else { "or" };
    let mut result = Val::Bool(is_and);
    for arg in args {
        match result.truthiness() {
            Some(t) if t != is_and => return Ok(result),
            Some(_) => result = eval(arg, ctx, depth + 1)?,
            None => return Err(neither(operator, &result)),
        }
    }
    Ok(result)
}

/// `in`: is `needle` one of the items of `haystack`, which must be an array.
fn contains(haystack: &Val<'_>, needle: &Val<'_>) -> Result<bool, Error> {
    let Some(n) = haystack.array_len() else {
        return Err(mismatch(
            "in",
            format!(
                "right-hand side must be an array, got {}",
                haystack.describe()
            ),
        ));
    };
    for i in 0..n {
        if strict_equals(needle, &haystack.at(i), 0)? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// `<`, `>`, `<=`, `>=` on integers and `after`, `before`, `not-after`, `not-before` on
/// date-times, in binary or ternary ("between") form: `a op b op c` means
/// `(a op b) and (b op c)`.
fn compare<'a>(operator: &str, values: &[Val<'a>]) -> Result<Val<'a>, Error> {
    // The date-time operators are the equivalents of `>`, `<`, `<=` and `>=` on instants.
    let (symbol, on_dates) = match operator {
        "after" => (">", true),
        "before" => ("<", true),
        "not-after" => ("<=", true),
        "not-before" => (">=", true),
        other => (other, false),
    };
    let keys: Option<Vec<i64>> = values
        .iter()
        .map(|v| match (v, on_dates) {
            (Val::Int(i), false) => Some(*i),
            (Val::DateTime(dt), true) => Some(dt.millis()),
            _ => None,
        })
        .collect();
    let Some(keys) = keys else {
        let name = COMPARISONS
            .iter()
            .copied()
            .find(|c| *c == operator)
            .unwrap_or("comparison");
        let wanted = if on_dates { "date-times" } else { "integers" };
        let got: Vec<String> = values.iter().map(Val::describe).collect();
        return Err(mismatch(
            name,
            format!("all operands must be {wanted}, got {}", got.join(", ")),
        ));
    };
    let holds = |a: i64, b: i64| match symbol {
        "<" => a < b,
        ">" => a > b,
        "<=" => a <= b,
        _ => a >= b,
    };
    Ok(Val::Bool(keys.windows(2).all(|w| holds(w[0], w[1]))))
}

/// SPECIFICATION.md, "Offset date-time (`plusTime`)": the amount and unit are literals
/// (checked by validation); the first operand must evaluate to a date(-time) string.
fn plus_time<'a>(
    args: &'a [Value],
    ctx: &Context<'a, '_>,
    depth: usize,
    expr: &Value,
) -> Result<Val<'a>, Error> {
    let invalid = |message: &str| Error::InvalidExpression {
        message: message.to_owned(),
        expr: show(expr),
    };
    let [operand, amount, unit] = args else {
        return Err(invalid("\"plusTime\" needs exactly 3 operands"));
    };
    let amount = match amount {
        Value::Number(n) => as_integer(n),
        _ => None,
    }
    .ok_or_else(|| invalid("\"amount\" argument (#2) of \"plusTime\" must be an integer"))?;
    let unit = unit
        .as_str()
        .and_then(TimeUnit::parse)
        .ok_or_else(|| invalid("\"unit\" argument (#3) of \"plusTime\" must be a time unit"))?;
    match eval(operand, ctx, depth + 1)? {
        Val::Str(s) => Ok(Val::DateTime(DateTime::parse(s)?.plus(amount, unit)?)),
        other => Err(mismatch(
            "plusTime",
            format!("date argument must be a string, got {}", other.describe()),
        )),
    }
}

/// SPECIFICATION.md, "Reduction (`reduce`)": a left fold of the operand array starting from
/// `initial`; a `null` operand gives `initial`. The lambda sees `current`, `accumulator`
/// and (the extension the spec announces with "may") `data`, the enclosing data context.
fn reduce<'a>(
    args: &'a [Value],
    ctx: &Context<'a, '_>,
    depth: usize,
    expr: &Value,
) -> Result<Val<'a>, Error> {
    let [operand, lambda, initial] = args else {
        return Err(Error::InvalidExpression {
            message: "\"reduce\" needs exactly 3 operands".to_owned(),
            expr: show(expr),
        });
    };
    let operand = eval(operand, ctx, depth + 1)?;
    if matches!(operand, Val::Null) {
        return eval(initial, ctx, depth + 1);
    }
    let Some(n) = operand.array_len() else {
        return Err(mismatch(
            "reduce",
            format!(
                "operand must be an array or null, got {}",
                operand.describe()
            ),
        ));
    };
    let mut accumulator = eval(initial, ctx, depth + 1)?;
    for i in 0..n {
        let lambda_ctx = Context::Lambda {
            current: operand.at(i),
            accumulator,
            data: ctx,
        };
        accumulator = eval(lambda, &lambda_ctx, depth + 1)?;
    }
    Ok(accumulator)
}

/// SPECIFICATION.md, "Extract data from an UCI": split on `/`, `#` and `:` after an optional
/// `URN:UVCI:` prefix; the fragment at the index, or `null`.
fn extract_from_uvci<'a>(
    args: &'a [Value],
    ctx: &Context<'a, '_>,
    depth: usize,
    expr: &Value,
) -> Result<Val<'a>, Error> {
    let invalid = |message: &str| Error::InvalidExpression {
        message: message.to_owned(),
        expr: show(expr),
    };
    let [operand, index] = args else {
        return Err(invalid("\"extractFromUVCI\" needs exactly 2 operands"));
    };
    let index = match index {
        Value::Number(n) => as_integer(n),
        _ => None,
    }
    .ok_or_else(|| invalid("\"index\" argument (#2) of \"extractFromUVCI\" must be an integer"))?;
    match eval(operand, ctx, depth + 1)? {
        Val::Null => Ok(Val::Null),
        Val::Str(uci) => {
            let Ok(index) = usize::try_from(index) else {
                return Ok(Val::Null);
            };
            let uci = uci.strip_prefix("URN:UVCI:").unwrap_or(uci);
            Ok(uci
                .split(['/', '#', ':'])
                .nth(index)
                .map_or(Val::Null, Val::Str))
        }
        other => Err(mismatch(
            "extractFromUVCI",
            format!(
                "\"UVCI\" argument (#1) must be a string or null, got {}",
                other.describe()
            ),
        )),
    }
}
