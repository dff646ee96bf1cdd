//! Values during evaluation: JSON borrowed from the expression or the data context, values
//! computed by operations (booleans, integers, arrays of evaluated items, date-times), and
//! the CertLogic notions of truthy, falsy and strict equality on them.
//!
//! Borrowing keeps `var` cheap (rules look up large value sets on every run). Composite
//! values built during evaluation are reference-counted and carry their depth and node
//! count, so that a hostile `reduce` cannot build a value deeper or larger than the limits
//! below (each step could otherwise double the size of the accumulator).

use std::rc::Rc;

use serde_json::{Map, Number, Value};

use crate::datetime::DateTime;
use crate::Error;

/// Deepest nesting of arrays/objects a computed value may have.
pub(crate) const MAX_VALUE_DEPTH: usize = 256;
/// Most JSON nodes a computed value may stand for.
pub(crate) const MAX_VALUE_NODES: usize = 1_000_000;

/// A value during evaluation.
#[derive(Debug, Clone)]
pub(crate) enum Val<'a> {
    Null,
    Bool(bool),
    Int(i64),
    /// A number that is not an integer (or not one that fits an `i64`).
    Number(&'a Number),
    Str(&'a str),
    JsonArray(&'a [Value]),
    JsonObject(&'a Map<String, Value>),
    Array(Rc<Composite<Vec<Val<'a>>>>),
    Object(Rc<Composite<Vec<(&'static str, Val<'a>)>>>),
    DateTime(DateTime),
}

/// An array or object computed during evaluation, with its measured shape.
#[derive(Debug)]
pub(crate) struct Composite<T> {
    pub(crate) items: T,
    depth: usize,
    nodes: usize,
}

/// An integer as ECMAScript's `Number.isInteger` sees it: `42` and `42.0` both are.
pub(crate) fn as_integer(n: &Number) -> Option<i64> {
    if let Some(i) = n.as_i64() {
        return Some(i);
    }
    let f = n.as_f64()?;
    // The bounds are exactly representable powers of two, so the cast cannot saturate.
    if f.fract() == 0.0 && (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&f)
    {
        Some(f as i64)
    } else {
        None
    }
}

impl<'a> Val<'a> {
    /// Wraps borrowed JSON.
    pub(crate) fn from_json(v: &'a Value) -> Val<'a> {
        match v {
            Value::Null => Val::Null,
            Value::Bool(b) => Val::Bool(*b),
            Value::Number(n) => match as_integer(n) {
                Some(i) => Val::Int(i),
                None => Val::Number(n),
            },
            Value::String(s) => Val::Str(s),
            Value::Array(a) => Val::JsonArray(a),
            Value::Object(o) => Val::JsonObject(o),
        }
    }

    /// An array of evaluated items, if within the limits.
    pub(crate) fn array(items: Vec<Val<'a>>) -> Result<Val<'a>, Error> {
        let (depth, nodes) = measure(items.iter())?;
        Ok(Val::Array(Rc::new(Composite {
            items,
            depth,
            nodes,
        })))
    }

    /// An object with fixed keys (the data context of a `reduce` lambda), if within limits.
    pub(crate) fn object(fields: Vec<(&'static str, Val<'a>)>) -> Result<Val<'a>, Error> {
        let (depth, nodes) = measure(fields.iter().map(|(_, v)| v))?;
        Ok(Val::Object(Rc::new(Composite {
            items: fields,
            depth,
            nodes,
        })))
    }

    /// SPECIFICATION.md, "Truthy and falsy values": `Some(true)` for truthy, `Some(false)`
    /// for falsy, `None` for values that are neither (non-integer numbers, date-times).
    pub(crate) fn truthiness(&self) -> Option<bool> {
        match self {
            Val::Null => Some(false),
            Val::Bool(b) => Some(*b),
            Val::Int(i) => Some(*i != 0),
            Val::Number(_) | Val::DateTime(_) => None,
            Val::Str(s) => Some(!s.is_empty()),
            Val::JsonArray(a) => Some(!a.is_empty()),
            Val::JsonObject(o) => Some(!o.is_empty()),
            Val::Array(a) => Some(!a.items.is_empty()),
            Val::Object(o) => Some(!o.items.is_empty()),
        }
    }

    /// Drills one path fragment into this value (SPECIFICATION.md, "Data access"): a key
    /// of an object, or a 0-based index of an array; anything missing or undrillable is
    /// `null`.
    pub(crate) fn get(&self, fragment: &str) -> Val<'a> {
        match self {
            Val::JsonObject(o) => o.get(fragment).map_or(Val::Null, Val::from_json),
            Val::JsonArray(a) => index(fragment)
                .and_then(|i| a.get(i))
                .map_or(Val::Null, Val::from_json),
            Val::Array(a) => index(fragment)
                .and_then(|i| a.items.get(i))
                .cloned()
                .unwrap_or(Val::Null),
            Val::Object(o) => o
                .items
                .iter()
                .find(|(k, _)| *k == fragment)
                .map_or(Val::Null, |(_, v)| v.clone()),
            _ => Val::Null,
        }
    }

    /// The length of an array value, or `None` if this is not an array.
    pub(crate) fn array_len(&self) -> Option<usize> {
        match self {
            Val::JsonArray(a) => Some(a.len()),
            Val::Array(a) => Some(a.items.len()),
            _ => None,
        }
    }

    /// Item `i` of an array value (`null` if out of range or not an array).
    pub(crate) fn at(&self, i: usize) -> Val<'a> {
        match self {
            Val::JsonArray(a) => a.get(i).map_or(Val::Null, Val::from_json),
            Val::Array(a) => a.items.get(i).cloned().unwrap_or(Val::Null),
            _ => Val::Null,
        }
    }

    /// A short human-readable rendering for error messages.
    pub(crate) fn describe(&self) -> String {
        match self {
            Val::DateTime(dt) => format!("date-time {dt}"),
            other => crate::error::show(&other.to_json()),
        }
    }

    /// The value as JSON; date-times become ISO 8601 strings as ECMAScript's
    /// `Date.prototype.toJSON` renders them. The limits on computed values bound the work.
    pub(crate) fn to_json(&self) -> Value {
        match self {
            Val::Null => Value::Null,
            Val::Bool(b) => Value::Bool(*b),
            Val::Int(i) => Value::from(*i),
            Val::Number(n) => Value::Number((*n).clone()),
            Val::Str(s) => Value::String((*s).to_owned()),
            Val::JsonArray(a) => Value::Array(a.to_vec()),
            Val::JsonObject(o) => Value::Object((*o).clone()),
            Val::Array(a) => Value::Array(a.items.iter().map(Val::to_json).collect()),
            Val::Object(o) => Value::Object(
                o.items
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), v.to_json()))
                    .collect(),
            ),
            Val::DateTime(dt) => Value::String(dt.to_string()),
        }
    }

    /// Nesting depth and node count, for the limits. Borrowed JSON is measured up to the
    /// node limit only.
    fn shape(&self) -> (usize, usize) {
        match self {
            Val::Array(a) => (a.depth, a.nodes),
            Val::Object(o) => (o.depth, o.nodes),
            Val::JsonArray(_) | Val::JsonObject(_) => {
                let mut budget = MAX_VALUE_NODES + 1;
                let depth = match self {
                    Val::JsonArray(a) => json_shape_items(a.iter(), &mut budget, 0),
                    Val::JsonObject(o) => json_shape_items(o.values(), &mut budget, 0),
                    _ => 0,
                };
                (depth, MAX_VALUE_NODES + 1 - budget)
            }
            _ => (0, 1),
        }
    }
}

/// Depth and node count of a composite made of `items`, or an error past the limits.
fn measure<'v, 'a: 'v>(items: impl Iterator<Item = &'v Val<'a>>) -> Result<(usize, usize), Error> {
    let mut depth = 0usize;
    let mut nodes = 1usize;
    for item in items {
        let (d, n) = item.shape();
        depth = depth.max(d);
        nodes = nodes.saturating_add(n);
    }
    let depth = depth + 1;
    if depth > MAX_VALUE_DEPTH {
        return Err(Error::LimitExceeded(format!(
            "a computed value would be nested deeper than {MAX_VALUE_DEPTH}"
        )));
    }
    if nodes > MAX_VALUE_NODES {
        return Err(Error::LimitExceeded(format!(
            "a computed value would have more than {MAX_VALUE_NODES} nodes"
        )));
    }
    Ok((depth, nodes))
}

/// Counts the nodes of borrowed JSON (spending `budget`, stopping when it runs out) and
/// returns its depth. Recursion stops at [`MAX_VALUE_DEPTH`] levels.
fn json_shape_items<'v>(
    items: impl Iterator<Item = &'v Value>,
    budget: &mut usize,
    level: usize,
) -> usize {
    *budget = budget.saturating_sub(1);
    let mut depth = 0;
    for item in items {
        if *budget == 0 || level >= MAX_VALUE_DEPTH {
            *budget = 0;
            return MAX_VALUE_DEPTH + 1;
        }
        let d = match item {
            Value::Array(a) => json_shape_items(a.iter(), budget, level + 1),
            Value::Object(o) => json_shape_items(o.values(), budget, level + 1),
            _ => {
                *budget = budget.saturating_sub(1);
                0
            }
        };
        depth = depth.max(d);
    }
    depth + 1
}

/// A path fragment as an array index: ASCII digits only.
fn index(fragment: &str) -> Option<usize> {
    if fragment.is_empty() || !fragment.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    fragment.parse().ok()
}

/// Equality for `===` and `in` (SPECIFICATION.md, "Operations with infix operators"):
/// without type coercion. The spec only promises reliable results for strings and
/// integers; for other values this is structural equality (arrays and objects item by
/// item, numbers by value, date-times by instant), where ECMAScript compares references.
pub(crate) fn strict_equals(a: &Val<'_>, b: &Val<'_>, level: usize) -> Result<bool, Error> {
    if level > MAX_VALUE_DEPTH {
        return Err(Error::LimitExceeded(format!(
            "values compared with === are nested deeper than {MAX_VALUE_DEPTH}"
        )));
    }
    Ok(match (a, b) {
        (Val::Null, Val::Null) => true,
        (Val::Bool(x), Val::Bool(y)) => x == y,
        (Val::Int(x), Val::Int(y)) => x == y,
        (Val::Number(x), Val::Number(y)) => x.as_f64() == y.as_f64(),
        (Val::Int(_), Val::Number(_)) | (Val::Number(_), Val::Int(_)) => false,
        (Val::Str(x), Val::Str(y)) => x == y,
        (Val::DateTime(x), Val::DateTime(y)) => x == y,
        (
            Val::JsonArray(_) | Val::Array(_) | Val::JsonObject(_) | Val::Object(_),
            Val::JsonArray(_) | Val::Array(_) | Val::JsonObject(_) | Val::Object(_),
        ) => composite_equals(a, b, level)?,
        _ => false,
    })
}

fn composite_equals(a: &Val<'_>, b: &Val<'_>, level: usize) -> Result<bool, Error> {
    if let (Some(n), Some(m)) = (a.array_len(), b.array_len()) {
        if n != m {
            return Ok(false);
        }
        for i in 0..n {
            if !strict_equals(&a.at(i), &b.at(i), level + 1)? {
                return Ok(false);
            }
        }
        return Ok(true);
    }
    let keys = |v: &Val<'_>| -> Option<Vec<String>> {
        match v {
            Val::JsonObject(o) => Some(o.keys().cloned().collect()),
            Val::Object(o) => Some(o.items.iter().map(|(k, _)| (*k).to_owned()).collect()),
            _ => None,
        }
    };
    let (Some(mut ka), Some(mut kb)) = (keys(a), keys(b)) else {
        return Ok(false);
    };
    ka.sort();
    kb.sort();
    if ka != kb {
        return Ok(false);
    }
    for k in &ka {
        if !strict_equals(&a.get(k), &b.get(k), level + 1)? {
            return Ok(false);
        }
    }
    Ok(true)
}
