//! Property test: no expression and no data context makes the evaluator panic; it returns
//! a value or an error. Expressions are drawn from the CertLogic operators (valid and
//! invalid arities, literal and computed operands), data from arbitrary JSON with
//! date-like strings.

use proptest::prelude::*;
use serde_json::{json, Map, Value};

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-3i64..3).prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        "[a-z.0-9]{0,6}".prop_map(Value::String),
        prop_oneof![
            Just("2020-02-29"),
            Just("2021"),
            Just("2021-13"),
            Just("2021-06-01T12:00:00.123456+0130"),
            Just("URN:UVCI:01:DK:ABC#1"),
            Just("year"),
            Just("hour"),
        ]
        .prop_map(|s| Value::String(s.to_owned())),
    ]
}

fn data() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-c]|current|accumulator|data", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

const OPERATORS: &[&str] = &[
    "var",
    "if",
    "===",
    "and",
    "or",
    "!",
    "!!",
    "<",
    ">",
    "<=",
    ">=",
    "in",
    "+",
    "after",
    "before",
    "not-after",
    "not-before",
    "plusTime",
    "reduce",
    "extractFromUVCI",
    "dccDateOfBirth",
    "unknown",
];

fn expression() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(6, 64, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            (
                prop::sample::select(OPERATORS),
                prop::collection::vec(inner.clone(), 0..4)
            )
                .prop_map(|(op, args)| {
                    let mut m = Map::new();
                    let operand = if op == "var" {
                        args.into_iter().next().unwrap_or(Value::Null)
                    } else {
                        Value::Array(args)
                    };
                    m.insert(op.to_owned(), operand);
                    Value::Object(m)
                }),
            (
                inner,
                -5i64..5,
                prop::sample::select(&["day", "month", "year", "hour", "week"][..])
            )
                .prop_map(|(d, n, u)| json!({ "plusTime": [d, n, u] })),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn evaluate_never_panics(logic in expression(), data in data()) {
        let _ = certlogic::evaluate(&logic, &data);
        let _ = certlogic::validation::validate(&logic);
    }
}
