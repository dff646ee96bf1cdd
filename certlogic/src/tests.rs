//! Edge cases of the evaluator's semantics, each tied to a section of SPECIFICATION.md.

use serde_json::{json, Value};

use crate::{evaluate, Error};

#[track_caller]
fn ok(logic: Value, data: Value) -> Value {
    match evaluate(&logic, &data) {
        Ok(v) => v,
        Err(e) => panic!("{logic} on {data}: unexpected error {e}"),
    }
}

#[track_caller]
fn err(logic: Value, data: Value) -> Error {
    match evaluate(&logic, &data) {
        Ok(v) => panic!("{logic} on {data}: expected an error, got {v}"),
        Err(e) => e,
    }
}

fn guard(value: Value) -> Result<Value, Error> {
    evaluate(
        &json!({ "if": [{ "var": "x" }, "T", "F"] }),
        &json!({ "x": value }),
    )
}

#[test]
fn truthy_and_falsy_values() {
    // "Truthy and falsy values": the allowed ones, both ways.
    for falsy in [
        json!(false),
        json!(null),
        json!(""),
        json!(0),
        json!([]),
        json!({}),
    ] {
        assert_eq!(guard(falsy.clone()), Ok(json!("F")), "{falsy}");
    }
    for truthy in [
        json!(true),
        json!("a"),
        json!(-1),
        json!([0]),
        json!({ "a": null }),
    ] {
        assert_eq!(guard(truthy.clone()), Ok(json!("T")), "{truthy}");
    }
    // Non-integer numbers are neither.
    assert!(matches!(
        guard(json!(0.5)),
        Err(Error::NeitherTruthyNorFalsy { .. })
    ));
    // Date-times are neither, in `if`, `!`, `!!` and (non-last) `and` operands.
    let date = json!({ "plusTime": ["2021-01-01", 0, "day"] });
    for logic in [
        json!({ "if": [date, 1, 2] }),
        json!({ "!": [date] }),
        json!({ "!!": [date] }),
        json!({ "and": [date, true] }),
        json!({ "or": [date, true] }),
    ] {
        assert!(
            matches!(
                err(logic.clone(), json!({})),
                Error::NeitherTruthyNorFalsy { .. }
            ),
            "{logic}"
        );
    }
    // The last operand of `and` is returned unchecked, date-time or not.
    assert_eq!(
        ok(json!({ "and": [true, date] }), json!({})),
        json!("2021-01-01T00:00:00.000Z")
    );
}

#[test]
fn not_and_double_not() {
    assert_eq!(ok(json!({ "!": [[]] }), json!({})), json!(true));
    assert_eq!(
        ok(json!({ "!": [{ "var": "x" }] }), json!({ "x": "a" })),
        json!(false)
    );
    assert_eq!(ok(json!({ "!!": [[0]] }), json!({})), json!(true));
    assert_eq!(ok(json!({ "!!": [""] }), json!({})), json!(false));
    assert!(matches!(
        err(json!({ "!": [1, 2] }), json!({})),
        Error::InvalidExpression { .. }
    ));
}

#[test]
fn and_or_are_lazy_and_return_operands() {
    // The second operand would be a type error if evaluated.
    let boom = json!({ "plusTime": [{ "var": "nope" }, 0, "day"] });
    assert_eq!(ok(json!({ "and": [0, boom] }), json!({})), json!(0));
    assert_eq!(ok(json!({ "or": ["x", boom] }), json!({})), json!("x"));
    assert_eq!(ok(json!({ "and": [1, "a", [2]] }), json!({})), json!([2]));
    assert_eq!(
        ok(json!({ "or": [0, "", { "var": "n" }] }), json!({})),
        json!(null)
    );
    assert_eq!(
        ok(json!({ "or": [0, { "var": "a" }] }), json!({ "a": 7 })),
        json!(7)
    );
    assert!(matches!(
        err(json!({ "and": [true] }), json!({})),
        Error::InvalidExpression { .. }
    ));
}

#[test]
fn integer_comparisons_binary_and_ternary() {
    assert_eq!(ok(json!({ "<": [1, 2] }), json!({})), json!(true));
    assert_eq!(ok(json!({ "<": [1, 2, 2] }), json!({})), json!(false));
    assert_eq!(ok(json!({ "<=": [1, 2, 2] }), json!({})), json!(true));
    assert_eq!(ok(json!({ ">": [3, 2, 1] }), json!({})), json!(true));
    assert_eq!(ok(json!({ ">=": [3, 3, 4] }), json!({})), json!(false));
    // 42.0 is an integer as far as JSON (and ECMAScript) go.
    assert_eq!(
        ok(json!({ "<": [{ "var": "x" }, 43] }), json!({ "x": 42.0 })),
        json!(true)
    );
    for bad in [json!(null), json!("1"), json!(1.5), json!(true)] {
        assert!(matches!(
            err(json!({ "<": [{ "var": "x" }, 1] }), json!({ "x": bad })),
            Error::TypeMismatch { .. }
        ));
    }
    assert!(matches!(
        err(json!({ "<": [1, 2, 3, 4] }), json!({})),
        Error::InvalidExpression { .. }
    ));
}

#[test]
fn date_comparisons_with_two_and_three_operands() {
    let pt = |s: &str, n: i64, unit: &str| json!({ "plusTime": [s, n, unit] });
    let a = pt("2021-06-01T00:00:00Z", 0, "day");
    let b = pt("2021-06-01T02:00:00+02:00", 0, "day"); // the same instant as a
    let c = pt("2021-06-01", 1, "hour");
    assert_eq!(ok(json!({ "before": [a, c] }), json!({})), json!(true));
    assert_eq!(ok(json!({ "before": [a, b] }), json!({})), json!(false));
    assert_eq!(ok(json!({ "not-after": [a, b] }), json!({})), json!(true));
    assert_eq!(ok(json!({ "not-before": [a, b] }), json!({})), json!(true));
    assert_eq!(ok(json!({ "after": [c, a] }), json!({})), json!(true));
    assert_eq!(ok(json!({ "before": [a, c, a] }), json!({})), json!(false));
    assert_eq!(
        ok(json!({ "not-after": [a, b, c] }), json!({})),
        json!(true)
    );
    assert_eq!(
        ok(json!({ "not-before": [c, b, a] }), json!({})),
        json!(true)
    );
    assert_eq!(ok(json!({ "after": [c, b, a] }), json!({})), json!(false));
    // Strings are not date-times, even in date-time format.
    assert!(matches!(
        err(json!({ "before": ["2021-01-01", a] }), json!({})),
        Error::TypeMismatch { .. }
    ));
    // Integers are not date-times, and date-times are not integers.
    assert!(matches!(
        err(json!({ "<": [a, c] }), json!({})),
        Error::TypeMismatch { .. }
    ));
}

#[test]
fn plus_time_units_time_zones_and_leap_days() {
    let pt = |s: &str, n: i64, unit: &str| ok(json!({ "plusTime": [s, n, unit] }), json!({}));
    assert_eq!(
        pt("2020-02-29", 1, "day"),
        json!("2020-03-01T00:00:00.000Z")
    );
    assert_eq!(
        pt("2020-02-29", 1, "month"),
        json!("2020-03-29T00:00:00.000Z")
    );
    assert_eq!(
        pt("2020-02-29", 1, "year"),
        json!("2021-03-01T00:00:00.000Z")
    );
    assert_eq!(
        pt("2020-02-29", -12, "month"),
        json!("2019-03-01T00:00:00.000Z")
    );
    assert_eq!(
        pt("2021-12-31T23:00:00-02:00", 1, "hour"),
        json!("2022-01-01T02:00:00.000Z")
    );
    assert_eq!(
        pt("2021-03-28T01:30:00+01:00", 24, "hour"),
        json!("2021-03-29T00:30:00.000Z")
    );
    assert_eq!(
        pt("2021-10-31T01:30:00+0200", 1, "day"),
        json!("2021-10-31T23:30:00.000Z")
    );
    assert_eq!(
        pt("2021-06-01T00:00:00.123987Z", 0, "year"),
        json!("2021-06-01T00:00:00.123Z")
    );
    assert_eq!(pt("2004", 18, "year"), json!("2022-12-31T00:00:00.000Z"));
    assert_eq!(pt("2004-02", 18, "year"), json!("2022-03-01T00:00:00.000Z"));
    // Not a string: an error, also for date-time values (SPECIFICATION.md, last paragraph
    // of "Offset date-time").
    let nested = json!({ "plusTime": [{ "plusTime": ["2021-01-01", 0, "day"] }, 1, "day"] });
    assert!(matches!(err(nested, json!({})), Error::TypeMismatch { .. }));
    assert!(matches!(
        err(json!({ "plusTime": [{ "var": "d" }, 1, "day"] }), json!({})),
        Error::TypeMismatch { .. }
    ));
    assert!(matches!(
        err(json!({ "plusTime": ["2021-02-30", 1, "day"] }), json!({})),
        Error::InvalidDateTime(_)
    ));
    for bad in [
        json!({ "plusTime": ["2021-01-01", 1, "week"] }),
        json!({ "plusTime": ["2021-01-01", 1.5, "day"] }),
        json!({ "plusTime": ["2021-01-01", { "var": "n" }, "day"] }),
        json!({ "plusTime": ["2021-01-01", 1] }),
    ] {
        assert!(matches!(
            err(bad, json!({})),
            Error::InvalidExpression { .. }
        ));
    }
}

#[test]
fn dcc_date_of_birth() {
    let dob = |s: &str| evaluate(&json!({ "dccDateOfBirth": [{ "var": "" }] }), &json!(s));
    assert_eq!(dob("2004"), Ok(json!("2004-12-31T00:00:00.000Z")));
    assert_eq!(dob("2004-02"), Ok(json!("2004-02-29T00:00:00.000Z")));
    assert_eq!(dob("2005-02"), Ok(json!("2005-02-28T00:00:00.000Z")));
    assert_eq!(dob("2004-06-15"), Ok(json!("2004-06-15T00:00:00.000Z")));
    for bad in ["", "2004-13", "2004-02-30", "2004-06-15T00:00:00Z", "04"] {
        assert!(dob(bad).is_err(), "{bad}");
    }
    assert!(evaluate(&json!({ "dccDateOfBirth": [{ "var": "x" }] }), &json!({})).is_err());
}

#[test]
fn reduce_folds_left_with_current_accumulator_and_data() {
    let sum = json!({ "reduce": [{ "var": "xs" }, { "+": [{ "var": "accumulator" }, { "var": "current" }] }, 0] });
    assert_eq!(ok(sum.clone(), json!({ "xs": [1, 2, 3, 4] })), json!(10));
    assert_eq!(ok(sum.clone(), json!({ "xs": [] })), json!(0));
    assert_eq!(ok(sum.clone(), json!({})), json!(0));
    assert!(matches!(
        err(sum, json!({ "xs": "1,2" })),
        Error::TypeMismatch { .. }
    ));
    // Left fold: the order is visible when building nested arrays.
    let nest =
        json!({ "reduce": [[1, 2, 3], [{ "var": "accumulator" }, { "var": "current" }], 0] });
    assert_eq!(ok(nest, json!({})), json!([[[0, 1], 2], 3]));
    // The lambda sees the enclosing data context as `data` (nested reduces see theirs).
    let count = json!({ "reduce": [{ "var": "xs" },
        { "+": [{ "var": "accumulator" }, { "if": [{ "===": [{ "var": "current" }, { "var": "data.z" }] }, 1, 0] }] }, 0] });
    assert_eq!(ok(count, json!({ "xs": [1, 2, 1], "z": 1 })), json!(2));
    let whole = json!({ "reduce": [[5], { "var": "" }, 0] });
    assert_eq!(
        ok(whole, json!({ "k": 1 })),
        json!({ "current": 5, "accumulator": 0, "data": { "k": 1 } })
    );
    // The initial value is not evaluated twice and the operand comes first.
    let dates =
        json!({ "reduce": [[1], { "var": "accumulator" }, { "plusTime": ["2021", 0, "day"] }] });
    assert_eq!(ok(dates, json!({})), json!("2021-12-31T00:00:00.000Z"));
}

#[test]
fn hostile_reduce_is_bounded() {
    // Doubling the accumulator each step would need 2^64 nodes.
    let xs: Vec<i64> = (0..64).collect();
    let doubling =
        json!({ "reduce": [xs, [{ "var": "accumulator" }, { "var": "accumulator" }], 0] });
    assert!(matches!(err(doubling, json!({})), Error::LimitExceeded(_)));
    // Nesting one level per step past the depth limit.
    let xs: Vec<i64> = (0..1000).collect();
    let nesting = json!({ "reduce": [{ "var": "xs" }, [{ "var": "accumulator" }], 0] });
    assert!(matches!(
        err(nesting, json!({ "xs": xs })),
        Error::LimitExceeded(_)
    ));
}

#[test]
fn deep_expressions_are_errors_not_stack_overflows() {
    let mut logic = json!(true);
    for _ in 0..2000 {
        // Built by hand: `json!` would serialise the interpolated value recursively.
        let mut map = serde_json::Map::new();
        map.insert("!".to_owned(), Value::Array(vec![logic]));
        logic = Value::Object(map);
    }
    let result = evaluate(&logic, &json!({}));
    assert!(
        matches!(&result, Err(Error::InvalidExpression { message, .. }) if message.contains("nested deeper")),
        "{result:?}"
    );
    // serde_json drops values recursively; take this one apart by hand.
    while let Value::Object(mut map) = logic {
        logic = match map.remove("!") {
            Some(Value::Array(mut operands)) => operands.pop().unwrap_or(Value::Null),
            _ => Value::Null,
        };
    }
}

#[test]
fn var_paths() {
    let data = json!({ "a": [{ "b": "x" }, null], "1": "one", "s": "str" });
    assert_eq!(ok(json!({ "var": "a.0.b" }), data.clone()), json!("x"));
    assert_eq!(ok(json!({ "var": "a.1.b" }), data.clone()), json!(null));
    assert_eq!(ok(json!({ "var": "a.2" }), data.clone()), json!(null));
    assert_eq!(ok(json!({ "var": "a.-1" }), data.clone()), json!(null));
    assert_eq!(ok(json!({ "var": "1" }), data.clone()), json!("one"));
    assert_eq!(ok(json!({ "var": "s.0" }), data.clone()), json!(null));
    assert_eq!(ok(json!({ "var": "s.length" }), data.clone()), json!(null));
    assert_eq!(ok(json!({ "var": "" }), json!(5)), json!(5));
    for bad in [
        json!({ "var": 0 }),
        json!({ "var": "a..b" }),
        json!({ "var": ["a"] }),
    ] {
        assert!(matches!(
            err(bad, data.clone()),
            Error::InvalidExpression { .. }
        ));
    }
}

#[test]
fn equality_in_and_plus() {
    assert_eq!(ok(json!({ "===": [1, 1] }), json!({})), json!(true));
    assert_eq!(ok(json!({ "===": [1, "1"] }), json!({})), json!(false));
    assert_eq!(
        ok(json!({ "===": [{ "var": "n" }, 1] }), json!({ "n": 1.0 })),
        json!(true)
    );
    assert_eq!(
        ok(
            json!({ "===": [{ "var": "x" }, { "var": "y" }] }),
            json!({})
        ),
        json!(true)
    );
    assert_eq!(
        ok(json!({ "in": ["b", ["a", "b"]] }), json!({})),
        json!(true)
    );
    assert_eq!(ok(json!({ "in": [1, ["1"]] }), json!({})), json!(false));
    assert_eq!(
        ok(
            json!({ "in": [{ "var": "n" }, [{ "var": "m" }]] }),
            json!({})
        ),
        json!(true)
    );
    // A `null` literal is not allowed (SPECIFICATION.md, "Literal values").
    assert!(matches!(
        err(json!({ "in": [null, []] }), json!({})),
        Error::InvalidExpression { .. }
    ));
    assert!(matches!(
        err(json!({ "in": ["a", "abc"] }), json!({})),
        Error::TypeMismatch { .. }
    ));
    assert!(matches!(
        err(json!({ "in": ["a", { "var": "missing" }] }), json!({})),
        Error::TypeMismatch { .. }
    ));
    assert_eq!(ok(json!({ "+": [2, -3] }), json!({})), json!(-1));
    assert!(matches!(
        err(
            json!({ "+": [{ "var": "m" }, 1] }),
            json!({ "m": i64::MAX })
        ),
        Error::IntegerOverflow
    ));
    assert!(matches!(
        err(json!({ "+": ["1", 1] }), json!({})),
        Error::TypeMismatch { .. }
    ));
}

#[test]
fn extract_from_uvci() {
    let x = |s: Value, i: i64| evaluate(&json!({ "extractFromUVCI": [{ "var": "" }, i] }), &s);
    assert_eq!(x(json!("URN:UVCI:01:DK:ABC/123#X"), 1), Ok(json!("DK")));
    assert_eq!(x(json!("URN:UVCI:01:DK:ABC/123#X"), 4), Ok(json!("X")));
    assert_eq!(x(json!("urn:uvci:01"), 0), Ok(json!("urn")));
    assert_eq!(x(json!("a"), 5), Ok(json!(null)));
    assert_eq!(x(json!("a"), -1), Ok(json!(null)));
    assert_eq!(x(json!(null), 0), Ok(json!(null)));
    assert!(matches!(x(json!(5), 0), Err(Error::TypeMismatch { .. })));
}

#[test]
fn literals_and_invalid_expressions() {
    assert_eq!(
        ok(json!([1, "a", [true]]), json!({})),
        json!([1, "a", [true]])
    );
    for bad in [
        json!(null),
        json!(1.5),
        json!({}),
        json!({ "a": [1], "b": [2] }),
        json!({ "all": [1] }),
        json!({ "if": "x" }),
        json!([1, { "nope": [] }]),
    ] {
        assert!(matches!(
            err(bad, json!({})),
            Error::InvalidExpression { .. }
        ));
    }
    // Validity is checked up front, even in a branch that would not be evaluated.
    assert!(matches!(
        err(json!({ "if": [true, 1, { "nope": [] }] }), json!({})),
        Error::InvalidExpression { .. }
    ));
}

#[test]
fn nesting_just_under_the_limit_evaluates() {
    // Each level wraps the previous in a different operation, ending in a `var` that
    // reads through every enclosing reduce context: the worst stack use a valid
    // expression can cause (tests run on 2 MiB threads).
    let mut logic = json!({ "var": "data.data.current" });
    let mut levels = 0;
    while levels + 4 < crate::validation::MAX_EXPRESSION_DEPTH {
        let mut wrap = serde_json::Map::new();
        match levels % 4 {
            0 => wrap.insert(
                "if".into(),
                Value::Array(vec![json!(true), logic, json!(0)]),
            ),
            1 => wrap.insert("and".into(), Value::Array(vec![json!(1), logic])),
            2 => wrap.insert(
                "reduce".into(),
                Value::Array(vec![json!([1]), logic, json!(0)]),
            ),
            _ => wrap.insert("!!".into(), Value::Array(vec![logic])),
        };
        logic = Value::Object(wrap);
        levels += 1;
    }
    let result = evaluate(&logic, &json!({ "x": 5 }));
    assert_eq!(result, Ok(json!(true)));
}
