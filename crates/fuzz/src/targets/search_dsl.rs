//! The search DSL parser (`rapport_core::search::parse`) and the per-type value checks
//! (`search::check`) that every filter goes through before it is compiled.
use rapport_core::search::{self, FieldType, Operand, Query, MAX_FILTERS_PER_GROUP, MAX_LIST_VALUES, MAX_NESTING};
use serde_json::Value;

use crate::Target;

pub const TARGET: Target = Target {
    name: "search_dsl",
    check,
    json: true,
    dictionary: &[
        r#"{"field":"#,
        r#""operator":"#,
        r#""value":"#,
        r#""AND""#,
        r#""OR""#,
        r#""IN""#,
        r#""NIN""#,
        r#""~""#,
        r#""!~""#,
        r#""^""#,
        r#""$""#,
        r#""<=""#,
        r#""custom_attributes.plan""#,
        r#""created_at""#,
        "9223372036854775807",
        "-9223372036854775808",
        "1e308",
        "null",
    ],
};

/// Every field type, so each filter is checked as if its field were of each type.
const TYPES: [FieldType; 9] = [
    FieldType::Text,
    FieldType::Integer,
    FieldType::Float,
    FieldType::Date,
    FieldType::Boolean,
    FieldType::Priority,
    FieldType::Tag,
    FieldType::Segment,
    FieldType::Reference,
];

/// Timezones with odd offsets and DST, where calendar days are not 86,400 s.
pub(crate) const ZONES: [&str; 4] = ["UTC", "Europe/Paris", "Pacific/Kiritimati", "America/St_Johns"];

pub fn check(data: &[u8]) {
    let Ok(value) = serde_json::from_slice::<Value>(data) else { return };
    let Ok(query) = search::parse(&value) else { return };
    assert_shape(&query, 0);
    for (i, filter) in query.filters().into_iter().enumerate() {
        let tz = search::timezone(ZONES[i % ZONES.len()]);
        for kind in TYPES {
            match search::check(filter, kind, tz) {
                Ok(Operand::Day { start, end }) => {
                    assert!(start < end, "an empty day [{start}, {end}) for {filter:?}");
                    assert!(end - start <= 26 * 3600, "a day longer than 26 hours for {filter:?}");
                }
                Ok(Operand::Ints(v)) => assert!(!v.is_empty() && v.len() <= MAX_LIST_VALUES),
                Ok(Operand::Floats(v)) => assert!(!v.is_empty() && v.len() <= MAX_LIST_VALUES),
                Ok(Operand::Texts(v)) => assert!(!v.is_empty() && v.len() <= MAX_LIST_VALUES),
                Ok(Operand::Float(f)) => assert!(f.is_finite()),
                Ok(_) | Err(_) => {}
            }
        }
    }
}

/// The limits `parse` promises: nesting and group size.
fn assert_shape(query: &Query, groups_above: usize) {
    if let Query::Group { entries, .. } = query {
        assert!(groups_above <= MAX_NESTING, "a group nested {groups_above} deep was accepted");
        assert!(!entries.is_empty() && entries.len() <= MAX_FILTERS_PER_GROUP);
        entries.iter().for_each(|e| assert_shape(e, groups_above + 1));
    }
}
