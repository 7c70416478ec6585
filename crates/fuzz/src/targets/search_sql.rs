//! The search DSL compiled to SQL (`rapport_store::search::compile_parsed`), on both engines and
//! both models, without a database. Asserts that the SQL's placeholders are exactly the binds
//! and that no value reaches the SQL text.
use std::collections::{BTreeSet, HashMap};

use rapport_core::search::{self, fields, FieldType};
use rapport_store::search::{compile_parsed, SearchModel, SqlCondition};
use rapport_store::workspaces::Workspace;
use rapport_store::Backend;
use serde_json::Value;

use super::search_dsl::ZONES;
use crate::Target;

pub const TARGET: Target =
    Target { name: "search_sql", check, json: true, dictionary: super::search_dsl::TARGET.dictionary };

/// Custom attribute types are given by the name's length, so every type is reached.
const CUSTOM_TYPES: [FieldType; 5] =
    [FieldType::Text, FieldType::Integer, FieldType::Float, FieldType::Date, FieldType::Boolean];

/// The first placeholder number: a caller's own binds come before the condition's.
const FIRST_PARAM: usize = 3;

pub fn check(data: &[u8]) {
    let Ok(value) = serde_json::from_slice::<Value>(data) else { return };
    let Ok(query) = search::parse(&value) else { return };
    let custom: HashMap<String, FieldType> = query
        .filters()
        .iter()
        .filter_map(|f| fields::custom_attribute_name(&f.field))
        .map(|name| (name.to_string(), CUSTOM_TYPES[name.len() % CUSTOM_TYPES.len()]))
        .collect();
    let workspace = Workspace {
        id: 42.into(),
        app_id: "fuzz".into(),
        name: "Fuzz".into(),
        timezone: ZONES[data.len() % ZONES.len()].into(),
        identity_secret: String::new(),
        identity_enforced: false,
        tracking_key: String::new(),
        created_at: 0,
        updated_at: 0,
    };
    for backend in [Backend::Sqlite, Backend::Postgres] {
        for model in [SearchModel::Contacts, SearchModel::Conversations] {
            if let Ok(condition) = compile_parsed(backend, &workspace, model, &query, &custom, FIRST_PARAM) {
                assert_sound(&condition);
            }
        }
    }
}

/// Every placeholder is `$FIRST_PARAM..` up to the number of binds, every bind is used, the
/// quotes and parentheses balance, and outside quoted whitelisted literals the text is ASCII.
fn assert_sound(condition: &SqlCondition) {
    let sql = condition.sql.as_str();
    let mut used = BTreeSet::new();
    let mut depth = 0i64;
    let mut quoted = false;
    let mut chars = sql.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if quoted {
            if c == '\'' {
                quoted = false;
            }
            continue;
        }
        assert!(c.is_ascii() && c != ';', "{c:?} outside a literal at {i} of {sql}");
        match c {
            '\'' => quoted = true,
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                assert!(depth >= 0, "unbalanced ) at {i} of {sql}");
            }
            '$' => {
                let mut number = String::new();
                while let Some((_, d)) = chars.peek().filter(|(_, d)| d.is_ascii_digit()) {
                    number.push(*d);
                    chars.next();
                }
                let n: usize = number.parse().unwrap_or_else(|_| panic!("a bare $ at {i} of {sql}"));
                used.insert(n);
            }
            _ => {}
        }
    }
    assert!(!quoted && depth == 0, "unbalanced quotes or parentheses in {sql}");
    let expected: BTreeSet<usize> = (FIRST_PARAM..FIRST_PARAM + condition.binds.len()).collect();
    assert_eq!(used, expected, "placeholders do not match the {} binds of {sql}", condition.binds.len());
}
