use chrono_tz::Tz;
use proptest::prelude::*;
use serde_json::{json, Value};

use super::*;

fn f(field: &str, op: &str, value: Value) -> Value {
    json!({"field": field, "operator": op, "value": value})
}

fn group(op: &str, entries: Vec<Value>) -> Value {
    json!({"operator": op, "value": entries})
}

fn parse_err(value: Value) -> String {
    parse(&value).expect_err("should be rejected").0
}

fn checked(field: &str, op: &str, value: Value, kind: FieldType) -> Result<Operand, SearchError> {
    let Query::Filter(filter) = parse(&f(field, op, value))? else { unreachable!() };
    check(&filter, kind, Tz::UTC)
}

#[test]
fn parses_a_single_filter_and_nested_groups() {
    let q = parse(&f("email", "~", json!("@acme.com"))).unwrap();
    assert_eq!(
        q,
        Query::Filter(Filter {
            field: "email".into(),
            operator: Operator::Contains,
            value: RawValue::One(Scalar::Text("@acme.com".into()))
        })
    );
    let q = parse(&group(
        "AND",
        vec![
            f("created_at", ">", json!("1306054154")),
            group("OR", vec![f("a", "=", json!(1)), f("b", "IN", json!([1, "x"]))]),
        ],
    ))
    .unwrap();
    let Query::Group { combinator: Combinator::And, entries } = &q else { panic!("{q:?}") };
    assert_eq!(entries.len(), 2);
    assert_eq!(q.filters().len(), 3);
}

#[test]
fn every_operator_of_the_whitelist_round_trips() {
    for op in Operator::ALL {
        assert_eq!(Operator::parse(op.as_str()), Some(op));
    }
    assert_eq!(Operator::parse("in"), Some(Operator::In));
    for bad in ["==", "LIKE", "<>", "", " =", "$ne", "contains"] {
        assert_eq!(Operator::parse(bad), None, "{bad}");
    }
}

#[test]
fn malformed_queries_are_rejected_with_precise_messages() {
    assert!(parse_err(json!("email")).contains("must be an object"));
    assert!(parse_err(json!({})).contains("must have a field"));
    assert!(parse_err(f("email", "LIKE", json!("x"))).contains("unknown operator \"LIKE\" for field email"));
    assert!(parse_err(json!({"field": "email", "value": "x"})).contains("has no operator"));
    assert!(parse_err(json!({"field": "email", "operator": "="})).contains("has no value"));
    assert!(parse_err(json!({"field": 3, "operator": "=", "value": 1})).contains("field must be a string"));
    assert!(parse_err(f("email", "=", json!({"$ne": null}))).contains("field email must not be an object"));
    assert!(parse_err(f("email", "IN", json!([{"$gt": ""}]))).contains("strings, numbers or booleans"));
    assert!(parse_err(f("email", "IN", json!([["x"]]))).contains("strings, numbers or booleans"));
    assert!(
        parse_err(json!({"field": "email", "operator": "=", "value": "x", "$where": "1"})).contains("unexpected key")
    );
    assert!(parse_err(group("XOR", vec![f("a", "=", json!(1))])).contains("AND or OR"));
    assert!(parse_err(group("AND", vec![])).contains("at least one"));
    assert!(parse_err(json!({"operator": "AND", "value": "x"})).contains("must be an array"));
}

#[test]
fn limits_on_nesting_and_group_size() {
    let leaf = || f("a", "=", json!(1));
    // Top group plus two nested levels is the deepest accepted query.
    let deepest = group("AND", vec![group("OR", vec![group("AND", vec![leaf()])])]);
    assert!(parse(&deepest).is_ok());
    let too_deep = group("AND", vec![group("OR", vec![group("AND", vec![group("OR", vec![leaf()])])])]);
    assert!(parse_err(too_deep).contains("nested at most 2 levels"));
    assert!(parse(&group("OR", (0..15).map(|_| leaf()).collect())).is_ok());
    assert!(parse_err(group("OR", (0..16).map(|_| leaf()).collect())).contains("at most 15 filters, not 16"));
}

#[test]
fn operators_follow_the_field_type() {
    use FieldType::*;
    let allowed = |kind: FieldType| {
        Operator::ALL.iter().filter(|op| kind.accepts(**op)).map(|op| op.as_str()).collect::<Vec<_>>()
    };
    assert_eq!(allowed(Text), ["=", "!=", "IN", "NIN", "~", "!~", "^", "$"]);
    assert_eq!(allowed(Integer), ["=", "!=", "IN", "NIN", "<", ">", "<=", ">="]);
    assert_eq!(allowed(Float), ["=", "!=", "IN", "NIN", "<", ">", "<=", ">="]);
    assert_eq!(allowed(Date), ["=", "<", ">", "<=", ">="]);
    assert_eq!(allowed(Boolean), ["=", "!="]);
    assert_eq!(allowed(Tag), ["=", "!="]);
    let e = checked("created_at", "~", json!(1), Date).unwrap_err().0;
    assert_eq!(e, "operator ~ is not supported for field created_at (a date field)");
    assert!(checked("tag_id", "IN", json!([1]), Tag).unwrap_err().0.contains("operator IN"));
    assert!(checked("email", ">", json!("a"), Text)
        .unwrap_err()
        .0
        .contains("operator > is not supported for field email"));
}

#[test]
fn values_must_fit_the_field_type() {
    use FieldType::*;
    assert_eq!(
        checked("created_at", "=", json!("foobar"), Date).unwrap_err().0,
        "field created_at expects a unix timestamp"
    );
    assert!(checked("owner_id", "=", json!(true), Integer).unwrap_err().0.contains("owner_id expects an integer"));
    assert!(checked("read", "=", json!("yes"), Boolean).unwrap_err().0.contains("read expects a boolean"));
    assert!(checked("email", "=", json!(true), Text).unwrap_err().0.contains("email expects a string"));
    assert!(checked("priority", "=", json!("urgent"), Priority).unwrap_err().0.contains("not_priority"));
    assert!(checked("tag_id", "=", json!("abc"), Tag).unwrap_err().0.contains("tag_id expects an id"));
    assert!(checked("email", "IN", json!([]), Text).unwrap_err().0.contains("non-empty"));
    assert!(checked("email", "IN", json!("x"), Text).unwrap_err().0.contains("needs an array"));
    assert!(checked("email", "=", json!(["x"]), Text).unwrap_err().0.contains("not an array"));
    let many: Vec<i64> = (0..101).collect();
    assert!(checked("id", "IN", json!(many), Integer).unwrap_err().0.contains("at most 100"));
    assert!(checked("email", "~", Value::Null, Text).unwrap_err().0.contains("does not accept null"));
    assert!(checked("tag_id", "=", Value::Null, Tag).is_err());

    assert_eq!(checked("id", "=", json!("42"), Integer).unwrap(), Operand::Int(42));
    assert_eq!(checked("email", "=", Value::Null, Text).unwrap(), Operand::Null);
    assert_eq!(checked("created_at", "!=", Value::Null, Date).unwrap(), Operand::Null);
    assert!(checked("created_at", "!=", json!(1), Date).is_err());
    assert_eq!(checked("priority", "=", json!("not_priority"), Priority).unwrap(), Operand::Bool(false));
    assert_eq!(checked("score", "IN", json!([1, "2.5"]), Float).unwrap(), Operand::Floats(vec![1.0, 2.5]));
    assert_eq!(checked("name", "IN", json!(["a", 7]), Text).unwrap(), Operand::Texts(vec!["a".into(), "7".into()]));
}

#[test]
fn dates_are_calendar_days_in_the_workspace_timezone() {
    // 2020-01-01 09:00 UTC is within 2020-01-01 in UTC…
    assert_eq!(day_range(1_577_869_200, Tz::UTC), Some((1_577_836_800, 1_577_923_200)));
    // …and in New York (UTC-5), where that day starts at 05:00 UTC.
    let ny: Tz = timezone("America/New_York");
    assert_eq!(day_range(1_577_869_200, ny), Some((1_577_854_800, 1_577_941_200)));
    // 2020-01-01 03:00 UTC is still 2019-12-31 in New York.
    assert_eq!(day_range(1_577_847_600, ny), Some((1_577_768_400, 1_577_854_800)));
    // A DST day is 23 hours long.
    let (start, end) = day_range(1_583_668_800, ny).unwrap(); // 2020-03-08 12:00 UTC
    assert_eq!(end - start, 23 * 3600);
    assert_eq!(timezone("Not/AZone"), Tz::UTC);
    assert_eq!(day_range(i64::MAX, Tz::UTC), None);
    let e = checked("created_at", "=", json!(i64::MAX), FieldType::Date).unwrap_err().0;
    assert!(e.contains("not a valid timestamp"), "{e}");
}

#[test]
fn the_catalogue_types_the_documented_fields() {
    assert_eq!(field_type(Model::Contacts, "location.city"), Some(FieldType::Text));
    assert_eq!(field_type(Model::Contacts, "tag_id"), Some(FieldType::Tag));
    assert_eq!(field_type(Model::Contacts, "state"), None);
    assert_eq!(field_type(Model::Conversations, "statistics.first_contact_reply_at"), Some(FieldType::Date));
    assert_eq!(field_type(Model::Conversations, "open"), Some(FieldType::Boolean));
    assert_eq!(field_type(Model::Conversations, "custom_attributes.x"), None);
    assert_eq!(fields::custom_attribute_name("custom_attributes.plan"), Some("plan"));
    assert_eq!(fields::custom_attribute_name("custom_attributes."), None);
    assert_eq!(FieldType::from_data_type("datetime"), Some(FieldType::Date));
    assert_eq!(FieldType::from_data_type("list"), None);
}

/// Random JSON of bounded size, including objects, arrays and hostile strings.
fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|i| json!(i)),
        any::<f64>().prop_map(|f| json!(f)),
        ".{0,12}".prop_map(Value::String),
        prop_oneof![Just("AND"), Just("OR"), Just("field"), Just("operator"), Just("value"), Just("IN"), Just("~")]
            .prop_map(|s| json!(s)),
    ];
    leaf.prop_recursive(5, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("field".to_string()),
                    Just("operator".to_string()),
                    Just("value".to_string()),
                    ".{0,6}"
                ],
                inner,
                0..4
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn valid_leaf() -> impl Strategy<Value = Value> {
    (
        prop_oneof![Just("email"), Just("id"), Just("created_at"), Just("custom_attributes.plan")],
        prop::sample::select(Operator::ALL.to_vec()),
        prop_oneof![any::<i64>().prop_map(|i| json!(i)), "[a-z%_']{0,8}".prop_map(|s| json!(s)), Just(json!([1, "a"]))],
    )
        .prop_map(|(field, op, value)| f(field, op.as_str(), value))
}

/// A random query with `groups` group levels (0 = a bare filter) and groups of 1..=`width` entries.
fn query_with_depth(groups: u32, width: usize) -> BoxedStrategy<Value> {
    if groups == 0 {
        return valid_leaf().boxed();
    }
    (prop_oneof![Just("AND"), Just("OR")], prop::collection::vec(query_with_depth(groups - 1, width), 1..=width))
        .prop_map(|(op, entries)| group(op, entries))
        .boxed()
}

proptest! {
    #[test]
    fn parse_never_panics_on_arbitrary_json(value in arbitrary_json()) {
        let _ = parse(&value);
        let _ = parse(&json!({"operator": "AND", "value": [value]}));
    }

    #[test]
    fn queries_within_the_limits_parse(q in (0u32..=3).prop_flat_map(|g| query_with_depth(g, 4))) {
        prop_assert!(parse(&q).is_ok(), "{q}");
    }

    #[test]
    fn groups_over_fifteen_entries_fail(n in 16usize..40, inner in query_with_depth(1, 3)) {
        let q = group("AND", vec![inner; n]);
        let message = parse(&q).unwrap_err().0;
        prop_assert!(message.contains("at most 15"), "{}", message);
    }

    #[test]
    fn nesting_past_the_limit_fails(q in query_with_depth(4, 2)) {
        prop_assert!(parse(&q).unwrap_err().0.contains("nested at most"));
    }

    #[test]
    fn checking_never_panics(q in query_with_depth(0, 1), kind in prop::sample::select(vec![
        FieldType::Text, FieldType::Integer, FieldType::Float, FieldType::Date, FieldType::Boolean,
        FieldType::Priority, FieldType::Tag, FieldType::Segment, FieldType::Reference,
    ])) {
        if let Ok(Query::Filter(filter)) = parse(&q) {
            let _ = check(&filter, kind, timezone("Asia/Kathmandu"));
        }
    }
}
