//! Data attributes (the typed schema of `custom_attributes` on contacts, companies and
//! conversations) and data events (named, timestamped facts about a contact with flat metadata).
//!
//! Everything here is pure: the store calls these rules before writing, so a value that passes
//! here is one we are willing to keep, whatever backend holds it.
use std::fmt;
use std::str::FromStr;

use serde_json::Value;

mod builtins;
mod events;

pub use builtins::{builtins, BuiltinAttribute};
pub use events::{canonical_metadata, event_name, iso8601_utc, validate_event_metadata, MAX_METADATA_KEYS};

/// Longest attribute name, option value or string value we accept (Intercom's limits).
pub const MAX_NAME_CHARS: usize = 190;
/// Longest string a custom attribute or event metadata value may hold.
pub const MAX_STRING_CHARS: usize = 255;

/// The type of a data attribute's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataType {
    String,
    Integer,
    Float,
    Boolean,
    /// Unix seconds (or an RFC 3339 string).
    Datetime,
    /// Unix seconds, an RFC 3339 string or `YYYY-MM-DD`.
    Date,
    /// A string out of the attribute's `options`.
    Options,
}

impl DataType {
    pub const ALL: [DataType; 7] = [
        DataType::String,
        DataType::Integer,
        DataType::Float,
        DataType::Boolean,
        DataType::Datetime,
        DataType::Date,
        DataType::Options,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DataType::String => "string",
            DataType::Integer => "integer",
            DataType::Float => "float",
            DataType::Boolean => "boolean",
            DataType::Datetime => "datetime",
            DataType::Date => "date",
            DataType::Options => "options",
        }
    }
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DataType {
    type Err = AttributeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DataType::ALL.into_iter().find(|t| t.as_str() == s).ok_or_else(|| AttributeError::UnknownDataType(s.into()))
    }
}

/// What a data attribute describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Model {
    Contact,
    Company,
    Conversation,
}

impl Model {
    pub const ALL: [Model; 3] = [Model::Contact, Model::Company, Model::Conversation];

    pub fn as_str(self) -> &'static str {
        match self {
            Model::Contact => "contact",
            Model::Company => "company",
            Model::Conversation => "conversation",
        }
    }
}

impl fmt::Display for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Model {
    type Err = AttributeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Model::ALL.into_iter().find(|m| m.as_str() == s).ok_or_else(|| AttributeError::UnknownModel(s.into()))
    }
}

/// Why an attribute definition, a value or event metadata is refused. Messages are shown to API
/// clients as they are.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttributeError {
    #[error("data_type must be one of string, integer, float, boolean, datetime, date, options (got {0:?})")]
    UnknownDataType(String),
    #[error("model must be one of contact, company, conversation (got {0:?})")]
    UnknownModel(String),
    #[error("attribute name must not be empty")]
    EmptyName,
    #[error("attribute name must be at most {MAX_NAME_CHARS} characters")]
    NameTooLong,
    #[error("attribute name must not contain '.', '$' or control characters")]
    NameHasForbiddenCharacter,
    #[error("{0:?} is a standard attribute and cannot be used as a custom attribute name")]
    NameIsBuiltin(String),
    #[error("an options attribute needs at least two options")]
    TooFewOptions,
    #[error("options are only allowed on an options attribute")]
    OptionsNotAllowed,
    #[error("option values must be 1 to {MAX_STRING_CHARS} characters and unique")]
    BadOption,
    #[error("expected {expected}, got {got}")]
    WrongType { expected: &'static str, got: String },
    #[error("string is longer than {MAX_STRING_CHARS} characters")]
    StringTooLong,
    #[error("{0:?} is not one of the attribute's options")]
    NotAnOption(String),
    #[error("{0}")]
    Metadata(String),
}

/// Checks a custom attribute name for `model`: 1 to 190 characters, no `.` (it would read as a
/// nested path in `full_name` and the search DSL), no `$` (reserved by document stores and
/// template engines) and no control characters, and not the name of a standard attribute.
pub fn validate_name(model: Model, name: &str) -> Result<(), AttributeError> {
    if name.trim().is_empty() {
        return Err(AttributeError::EmptyName);
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(AttributeError::NameTooLong);
    }
    if name.chars().any(|c| c == '.' || c == '$' || c.is_control()) {
        return Err(AttributeError::NameHasForbiddenCharacter);
    }
    if builtins(model).iter().any(|b| b.name.eq_ignore_ascii_case(name)) {
        return Err(AttributeError::NameIsBuiltin(name.into()));
    }
    Ok(())
}

/// The type a value would define an attribute as, for intake that defines attributes as it meets
/// them (Segment traits): strings, integers, other numbers and booleans. `None` for `null` and
/// for objects and arrays, which no attribute holds.
pub fn inferred_type(value: &Value) -> Option<DataType> {
    match value {
        Value::String(_) => Some(DataType::String),
        Value::Number(n) if n.is_i64() || n.is_u64() => Some(DataType::Integer),
        Value::Number(_) => Some(DataType::Float),
        Value::Bool(_) => Some(DataType::Boolean),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

/// Checks the options of an attribute of `data_type`: an options attribute needs two or more
/// distinct, non-empty values; other types take none.
pub fn validate_options(data_type: DataType, options: &[String]) -> Result<(), AttributeError> {
    if data_type != DataType::Options {
        return if options.is_empty() { Ok(()) } else { Err(AttributeError::OptionsNotAllowed) };
    }
    if options.len() < 2 {
        return Err(AttributeError::TooFewOptions);
    }
    for (i, option) in options.iter().enumerate() {
        let len = option.chars().count();
        if option.trim().is_empty() || len > MAX_STRING_CHARS || options[..i].contains(option) {
            return Err(AttributeError::BadOption);
        }
    }
    Ok(())
}

fn kind(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(_) => "a boolean".into(),
        Value::Number(n) if n.is_i64() || n.is_u64() => "an integer".into(),
        Value::Number(_) => "a float".into(),
        Value::String(_) => "a string".into(),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

fn is_date_string(s: &str) -> bool {
    chrono::DateTime::parse_from_rfc3339(s).is_ok() || chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()
}

/// Checks one custom attribute value against its attribute's type. `null` always fits: it clears
/// the value.
pub fn validate_value(data_type: DataType, options: &[String], value: &Value) -> Result<(), AttributeError> {
    let wrong = |expected: &'static str| Err(AttributeError::WrongType { expected, got: kind(value) });
    match (data_type, value) {
        (_, Value::Null) => Ok(()),
        (DataType::String, Value::String(s)) => {
            if s.chars().count() > MAX_STRING_CHARS {
                Err(AttributeError::StringTooLong)
            } else {
                Ok(())
            }
        }
        (DataType::String, _) => wrong("a string"),
        (DataType::Integer, Value::Number(n)) if n.as_i64().is_some() => Ok(()),
        (DataType::Integer, _) => wrong("an integer"),
        (DataType::Float, Value::Number(_)) => Ok(()),
        (DataType::Float, _) => wrong("a number"),
        (DataType::Boolean, Value::Bool(_)) => Ok(()),
        (DataType::Boolean, _) => wrong("a boolean"),
        (DataType::Datetime | DataType::Date, Value::Number(n)) if n.as_i64().is_some() => Ok(()),
        (DataType::Datetime, Value::String(s)) if chrono::DateTime::parse_from_rfc3339(s).is_ok() => Ok(()),
        (DataType::Datetime, _) => wrong("a unix timestamp or an RFC 3339 date-time"),
        (DataType::Date, Value::String(s)) if is_date_string(s) => Ok(()),
        (DataType::Date, _) => wrong("a unix timestamp or a YYYY-MM-DD date"),
        (DataType::Options, Value::String(s)) if options.contains(s) => Ok(()),
        (DataType::Options, Value::String(s)) => Err(AttributeError::NotAnOption(s.clone())),
        (DataType::Options, _) => wrong("one of the attribute's options (a string)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn types_and_models_round_trip() {
        for t in DataType::ALL {
            assert_eq!(t.as_str().parse::<DataType>(), Ok(t));
        }
        for m in Model::ALL {
            assert_eq!(m.as_str().parse::<Model>(), Ok(m));
        }
        assert!("text".parse::<DataType>().is_err());
        assert!("String".parse::<DataType>().is_err());
        assert!("user".parse::<Model>().is_err());
    }

    #[test]
    fn names_follow_the_rules() {
        assert!(validate_name(Model::Contact, "Mithril Shirt").is_ok());
        assert!(validate_name(Model::Contact, "plan").is_ok(), "plan is built-in on companies only");
        assert_eq!(validate_name(Model::Company, "plan"), Err(AttributeError::NameIsBuiltin("plan".into())));
        assert_eq!(validate_name(Model::Contact, "Email"), Err(AttributeError::NameIsBuiltin("Email".into())));
        assert_eq!(validate_name(Model::Contact, "   "), Err(AttributeError::EmptyName));
        assert_eq!(validate_name(Model::Contact, &"x".repeat(191)), Err(AttributeError::NameTooLong));
        assert!(validate_name(Model::Contact, &"é".repeat(190)).is_ok(), "characters, not bytes");
        for bad in ["a.b", "$where", "tab\there", "nul\0"] {
            assert_eq!(validate_name(Model::Contact, bad), Err(AttributeError::NameHasForbiddenCharacter));
        }
        assert!(validate_name(Model::Contact, "'; DROP TABLE x; --").is_ok(), "names are data, never SQL");
    }

    #[test]
    fn options_rules() {
        let opts = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(validate_options(DataType::Options, &opts(&["1-10", "11-20"])).is_ok());
        assert_eq!(validate_options(DataType::Options, &opts(&["only"])), Err(AttributeError::TooFewOptions));
        assert_eq!(validate_options(DataType::Options, &opts(&["a", "a"])), Err(AttributeError::BadOption));
        assert_eq!(validate_options(DataType::Options, &opts(&["a", " "])), Err(AttributeError::BadOption));
        assert_eq!(validate_options(DataType::String, &opts(&["a", "b"])), Err(AttributeError::OptionsNotAllowed));
        assert!(validate_options(DataType::String, &[]).is_ok());
    }

    #[test]
    fn values_fit_their_types() {
        let options = vec!["gold".to_string(), "silver".to_string()];
        let ok = |t, v: Value| validate_value(t, &options, &v).is_ok();
        assert!(ok(DataType::String, json!("hi")));
        assert!(!ok(DataType::String, json!("x".repeat(256))));
        assert!(!ok(DataType::String, json!(1)));
        assert!(ok(DataType::Integer, json!(-4)));
        assert!(!ok(DataType::Integer, json!(1.5)));
        assert!(!ok(DataType::Integer, json!(u64::MAX)));
        assert!(!ok(DataType::Integer, json!("4")));
        assert!(ok(DataType::Float, json!(1.5)) && ok(DataType::Float, json!(2)));
        assert!(ok(DataType::Boolean, json!(false)) && !ok(DataType::Boolean, json!("true")));
        assert!(ok(DataType::Datetime, json!(1_700_000_000)));
        assert!(ok(DataType::Datetime, json!("2024-01-02T03:04:05Z")));
        assert!(!ok(DataType::Datetime, json!("yesterday")));
        assert!(ok(DataType::Date, json!("2024-01-02")) && !ok(DataType::Date, json!("2024-13-02")));
        assert!(ok(DataType::Options, json!("gold")));
        assert_eq!(
            validate_value(DataType::Options, &options, &json!("bronze")),
            Err(AttributeError::NotAnOption("bronze".into()))
        );
        for t in DataType::ALL {
            assert!(ok(t, Value::Null), "null clears any type");
            assert!(!ok(t, json!({"nested": 1})) && !ok(t, json!([1])));
        }
    }

    proptest! {
        #[test]
        fn any_name_with_a_dot_or_dollar_is_refused(prefix in ".{0,20}", suffix in ".{0,20}", c in "[.$]") {
            let name = format!("{prefix}{c}{suffix}");
            prop_assert!(validate_name(Model::Contact, &name).is_err());
        }

        #[test]
        fn plain_names_are_accepted(name in "[a-zA-Z][a-zA-Z0-9 _-]{0,60}") {
            prop_assume!(builtins(Model::Company).iter().all(|b| !b.name.eq_ignore_ascii_case(&name)));
            prop_assert!(validate_name(Model::Company, &name).is_ok());
        }

        #[test]
        fn integers_fit_integer_float_and_dates_but_not_strings(n in any::<i64>()) {
            for t in [DataType::Integer, DataType::Float, DataType::Datetime, DataType::Date] {
                prop_assert!(validate_value(t, &[], &json!(n)).is_ok());
            }
            for t in [DataType::String, DataType::Boolean, DataType::Options] {
                prop_assert!(validate_value(t, &[], &json!(n)).is_err());
            }
        }

        #[test]
        fn strings_fit_string_exactly_up_to_the_limit(s in "\\PC{0,300}") {
            let fits = s.chars().count() <= MAX_STRING_CHARS;
            prop_assert_eq!(validate_value(DataType::String, &[], &json!(s)).is_ok(), fits);
            prop_assert!(validate_value(DataType::Integer, &[], &json!(s)).is_err());
            prop_assert!(validate_value(DataType::Boolean, &[], &json!(s)).is_err());
        }

        #[test]
        fn option_values_fit_only_when_listed(options in proptest::collection::vec("[a-z]{1,8}", 2..6), probe in "[a-z]{1,8}") {
            let listed = options.contains(&probe);
            prop_assert_eq!(validate_value(DataType::Options, &options, &json!(probe)).is_ok(), listed);
        }
    }
}
