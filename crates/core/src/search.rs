//! The Intercom search query DSL (`POST /contacts/search`, `POST /conversations/search`).
//!
//! A query is either a filter `{"field","operator","value"}` or a group
//! `{"operator":"AND"|"OR","value":[…]}`. [`parse`] turns JSON into a [`Query`] with precise
//! errors and enforces the structural limits; [`check`] validates one filter against the type of
//! its field (from the [`fields`] catalogue or a custom attribute) and yields a typed [`Operand`].
//! Compiling to SQL is the store's job; nothing here knows about SQL.
use serde_json::{Map, Value};

pub mod fields;
mod values;

pub use fields::{field_type, FieldType, Model};
pub use values::{check, day_range, timezone, Operand};

/// At most this many group levels *below* the top-level group: `AND[OR[AND[filter]]]` is the
/// deepest accepted shape ("max 2 nested filters" in Intercom's documentation).
pub const MAX_NESTING: usize = 2;
/// At most this many entries (filters or groups) in one AND/OR group.
pub const MAX_FILTERS_PER_GROUP: usize = 15;
/// At most this many values in the array of an `IN` / `NIN` filter.
pub const MAX_LIST_VALUES: usize = 100;
/// A generous bound on field names, which are whitelisted anyway; keeps error messages short.
const MAX_FIELD_LEN: usize = 255;

/// A malformed or unacceptable query; the message names the offending field or operator.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SearchError(pub String);

fn err<T>(message: impl Into<String>) -> Result<T, SearchError> {
    Err(SearchError(message.into()))
}

/// A filter operator (the whitelist).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operator {
    Eq,
    Ne,
    In,
    Nin,
    Lt,
    Gt,
    Le,
    Ge,
    Contains,
    NotContains,
    StartsWith,
    EndsWith,
}

impl Operator {
    /// Every operator, in the order of Intercom's documentation.
    pub const ALL: [Operator; 12] = [
        Operator::Eq,
        Operator::Ne,
        Operator::In,
        Operator::Nin,
        Operator::Lt,
        Operator::Gt,
        Operator::Le,
        Operator::Ge,
        Operator::Contains,
        Operator::NotContains,
        Operator::StartsWith,
        Operator::EndsWith,
    ];

    /// Parses the wire spelling; `IN`/`NIN` are also accepted in lower case.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "=" => Operator::Eq,
            "!=" => Operator::Ne,
            "IN" | "in" => Operator::In,
            "NIN" | "nin" => Operator::Nin,
            "<" => Operator::Lt,
            ">" => Operator::Gt,
            "<=" => Operator::Le,
            ">=" => Operator::Ge,
            "~" => Operator::Contains,
            "!~" => Operator::NotContains,
            "^" => Operator::StartsWith,
            "$" => Operator::EndsWith,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Operator::Eq => "=",
            Operator::Ne => "!=",
            Operator::In => "IN",
            Operator::Nin => "NIN",
            Operator::Lt => "<",
            Operator::Gt => ">",
            Operator::Le => "<=",
            Operator::Ge => ">=",
            Operator::Contains => "~",
            Operator::NotContains => "!~",
            Operator::StartsWith => "^",
            Operator::EndsWith => "$",
        }
    }

    /// `IN` and `NIN` take an array; every other operator takes a single value.
    pub fn takes_list(self) -> bool {
        matches!(self, Operator::In | Operator::Nin)
    }
}

/// How the entries of a group combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Combinator {
    And,
    Or,
}

/// One scalar value as sent in the query, before it is checked against the field's type.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

/// The `value` of a filter, structurally valid (no objects, no nested arrays).
#[derive(Debug, Clone, PartialEq)]
pub enum RawValue {
    Null,
    One(Scalar),
    List(Vec<Scalar>),
}

/// `{"field","operator","value"}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    pub field: String,
    pub operator: Operator,
    pub value: RawValue,
}

/// A parsed query: the limits of nesting and group size hold by construction of [`parse`].
#[derive(Debug, Clone, PartialEq)]
pub enum Query {
    Filter(Filter),
    Group { combinator: Combinator, entries: Vec<Query> },
}

impl Query {
    /// Every filter of the query, depth first, in order.
    pub fn filters(&self) -> Vec<&Filter> {
        let mut out = Vec::new();
        fn walk<'a>(q: &'a Query, out: &mut Vec<&'a Filter>) {
            match q {
                Query::Filter(f) => out.push(f),
                Query::Group { entries, .. } => entries.iter().for_each(|e| walk(e, out)),
            }
        }
        walk(self, &mut out);
        out
    }
}

/// Parses the `query` member of a search request.
pub fn parse(value: &Value) -> Result<Query, SearchError> {
    parse_at(value, 0, "query")
}

/// `groups_above` counts the groups enclosing `value`; `path` locates it in error messages.
fn parse_at(value: &Value, groups_above: usize, path: &str) -> Result<Query, SearchError> {
    let Value::Object(object) = value else {
        return err(format!("{path} must be an object with field/operator/value or operator/value"));
    };
    if object.contains_key("field") {
        return parse_filter(object, path).map(Query::Filter);
    }
    for key in object.keys() {
        if key != "operator" && key != "value" {
            return err(format!("{path} has an unexpected key {:?}", truncate(key)));
        }
    }
    let combinator = match object.get("operator") {
        Some(Value::String(s)) if s.eq_ignore_ascii_case("AND") => Combinator::And,
        Some(Value::String(s)) if s.eq_ignore_ascii_case("OR") => Combinator::Or,
        Some(Value::String(s)) => {
            return err(format!("{path}: a group's operator must be AND or OR, not {:?}", truncate(s)))
        }
        Some(_) => return err(format!("{path}: a group's operator must be the string AND or OR")),
        None => return err(format!("{path} must have a field (a filter) or an operator (a group)")),
    };
    if groups_above > MAX_NESTING {
        return err(format!("{path}: queries can be nested at most {MAX_NESTING} levels deep"));
    }
    let Some(Value::Array(items)) = object.get("value") else {
        return err(format!("{path}: a group's value must be an array of filters or groups"));
    };
    if items.is_empty() {
        return err(format!("{path}: a group must contain at least one filter"));
    }
    if items.len() > MAX_FILTERS_PER_GROUP {
        return err(format!(
            "{path}: a group may contain at most {MAX_FILTERS_PER_GROUP} filters, not {}",
            items.len()
        ));
    }
    let entries = items
        .iter()
        .enumerate()
        .map(|(i, item)| parse_at(item, groups_above + 1, &format!("{path}.value[{i}]")))
        .collect::<Result<_, _>>()?;
    Ok(Query::Group { combinator, entries })
}

fn parse_filter(object: &Map<String, Value>, path: &str) -> Result<Filter, SearchError> {
    for key in object.keys() {
        if !matches!(key.as_str(), "field" | "operator" | "value") {
            return err(format!("{path} has an unexpected key {:?}", truncate(key)));
        }
    }
    let field = match object.get("field") {
        Some(Value::String(s)) if !s.is_empty() && s.len() <= MAX_FIELD_LEN => s.clone(),
        Some(Value::String(s)) if s.is_empty() => return err(format!("{path}: field must not be empty")),
        Some(Value::String(s)) => return err(format!("unknown field {:?}", truncate(s))),
        _ => return err(format!("{path}: field must be a string")),
    };
    let operator = match object.get("operator") {
        Some(Value::String(s)) => match Operator::parse(s) {
            Some(op) => op,
            None => return err(format!("unknown operator {:?} for field {field}", truncate(s))),
        },
        Some(_) => return err(format!("the operator for field {field} must be a string")),
        None => return err(format!("the filter on field {field} has no operator")),
    };
    let Some(value) = object.get("value") else {
        return err(format!("the filter on field {field} has no value"));
    };
    if crate::text::nul_path(value).is_some() {
        // PostgreSQL cannot hold it and SQLite's full-text queries end at it.
        return err(format!("the value for field {field} must not contain NUL characters"));
    }
    let value = match value {
        Value::Null => RawValue::Null,
        Value::Array(items) => {
            let scalars = items
                .iter()
                .map(|item| scalar(item).ok_or(()))
                .collect::<Result<Vec<_>, ()>>()
                .or_else(|_| err(format!("the values for field {field} must be strings, numbers or booleans")))?;
            RawValue::List(scalars)
        }
        Value::Object(_) => return err(format!("the value for field {field} must not be an object")),
        other => match scalar(other) {
            Some(one) => RawValue::One(one),
            None => return err(format!("the value for field {field} must be a string, number, boolean or array")),
        },
    };
    Ok(Filter { field, operator, value })
}

fn scalar(value: &Value) -> Option<Scalar> {
    match value {
        Value::String(s) => Some(Scalar::Text(s.clone())),
        Value::Bool(b) => Some(Scalar::Bool(*b)),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Some(Scalar::Int(i)),
            None => n.as_f64().map(Scalar::Float),
        },
        _ => None,
    }
}

/// Keeps hostile, huge keys out of error messages.
pub(crate) fn truncate(s: &str) -> String {
    s.chars().take(64).collect()
}

#[cfg(test)]
mod tests;
