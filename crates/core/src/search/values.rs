//! Checking one filter against its field's type: the operator must fit the type and the value
//! must be of the type, giving a typed [`Operand`] the store binds. Dates become the calendar
//! day (in the workspace timezone) that the timestamp falls on.
use chrono::{DateTime, Duration, NaiveDate, TimeZone};
use chrono_tz::Tz;

use super::{err, truncate, FieldType, Filter, Operator, RawValue, Scalar, SearchError, MAX_LIST_VALUES};

/// Longest string value accepted; longer ones cannot match anything useful.
const MAX_TEXT_LEN: usize = 1024;

/// The checked value of a filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// `= null` / `!= null`: IS NULL / IS NOT NULL.
    Null,
    Int(i64),
    Float(f64),
    Text(String),
    Bool(bool),
    Ints(Vec<i64>),
    Floats(Vec<f64>),
    Texts(Vec<String>),
    /// A date's calendar day: `start <= t < end` (unix seconds; `end` is the next day's start).
    Day {
        start: i64,
        end: i64,
    },
}

/// Checks `filter` against a field of type `kind`, matching dates by calendar day in `tz`.
pub fn check(filter: &Filter, kind: FieldType, tz: Tz) -> Result<Operand, SearchError> {
    let field = filter.field.as_str();
    let op = filter.operator;
    if matches!(filter.value, RawValue::Null) {
        if kind.nullable() && matches!(op, Operator::Eq | Operator::Ne) {
            return Ok(Operand::Null);
        }
        return err(format!("operator {} on field {field} does not accept null", op.as_str()));
    }
    if !kind.accepts(op) {
        return err(format!("operator {} is not supported for field {field} (a {} field)", op.as_str(), kind.name()));
    }
    match (&filter.value, op.takes_list()) {
        (RawValue::List(items), true) => {
            if items.is_empty() {
                return err(format!("operator {} on field {field} needs a non-empty array", op.as_str()));
            }
            if items.len() > MAX_LIST_VALUES {
                return err(format!(
                    "operator {} on field {field} takes at most {MAX_LIST_VALUES} values",
                    op.as_str()
                ));
            }
            list(field, kind, items)
        }
        (RawValue::One(one), false) => single(field, kind, one, tz),
        (_, true) => err(format!("operator {} on field {field} needs an array of values", op.as_str())),
        (_, false) => err(format!("operator {} on field {field} takes a single value, not an array", op.as_str())),
    }
}

fn list(field: &str, kind: FieldType, items: &[Scalar]) -> Result<Operand, SearchError> {
    match kind {
        FieldType::Text => items.iter().map(|s| text(field, s)).collect::<Result<_, _>>().map(Operand::Texts),
        FieldType::Float => items.iter().map(|s| float(field, s)).collect::<Result<_, _>>().map(Operand::Floats),
        _ => items.iter().map(|s| integer(field, kind, s)).collect::<Result<_, _>>().map(Operand::Ints),
    }
}

fn single(field: &str, kind: FieldType, value: &Scalar, tz: Tz) -> Result<Operand, SearchError> {
    Ok(match kind {
        FieldType::Text => Operand::Text(text(field, value)?),
        FieldType::Integer | FieldType::Tag | FieldType::Segment | FieldType::Reference => {
            Operand::Int(integer(field, kind, value)?)
        }
        FieldType::Float => Operand::Float(float(field, value)?),
        FieldType::Date => {
            let at = integer(field, kind, value)?;
            let (start, end) = day_range(at, tz)
                .ok_or_else(|| SearchError(format!("the value for field {field} is not a valid timestamp")))?;
            Operand::Day { start, end }
        }
        FieldType::Boolean => Operand::Bool(boolean(field, value, false)?),
        FieldType::Priority => Operand::Bool(boolean(field, value, true)?),
    })
}

fn text(field: &str, value: &Scalar) -> Result<String, SearchError> {
    let s = match value {
        Scalar::Text(s) => s.clone(),
        // Lenient: SDKs send numeric-looking external ids and phones as numbers.
        Scalar::Int(i) => i.to_string(),
        Scalar::Float(f) => f.to_string(),
        Scalar::Bool(_) => return err(format!("field {field} expects a string, not a boolean")),
    };
    if s.chars().count() > MAX_TEXT_LEN {
        return err(format!("the value for field {field} is too long (at most {MAX_TEXT_LEN} characters)"));
    }
    Ok(s)
}

fn integer(field: &str, kind: FieldType, value: &Scalar) -> Result<i64, SearchError> {
    let wanted = match kind {
        FieldType::Date => "a unix timestamp",
        FieldType::Integer => "an integer",
        _ => "an id",
    };
    let bad = || SearchError(format!("field {field} expects {wanted}"));
    match value {
        Scalar::Int(i) => Ok(*i),
        Scalar::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(*f as i64),
        Scalar::Text(s) => s.trim().parse::<i64>().map_err(|_| bad()),
        _ => Err(bad()),
    }
}

fn float(field: &str, value: &Scalar) -> Result<f64, SearchError> {
    let parsed = match value {
        Scalar::Int(i) => Some(*i as f64),
        Scalar::Float(f) => Some(*f),
        Scalar::Text(s) => s.trim().parse::<f64>().ok(),
        Scalar::Bool(_) => None,
    };
    match parsed {
        Some(f) if f.is_finite() => Ok(f),
        _ => err(format!("field {field} expects a number")),
    }
}

fn boolean(field: &str, value: &Scalar, priority: bool) -> Result<bool, SearchError> {
    match value {
        Scalar::Bool(b) => Ok(*b),
        Scalar::Text(s) if s == "true" => Ok(true),
        Scalar::Text(s) if s == "false" => Ok(false),
        Scalar::Text(s) if priority && s == "priority" => Ok(true),
        Scalar::Text(s) if priority && s == "not_priority" => Ok(false),
        Scalar::Text(s) if priority => {
            err(format!("field {field} expects \"priority\", \"not_priority\" or a boolean, not {:?}", truncate(s)))
        }
        _ => err(format!("field {field} expects a boolean")),
    }
}

/// The workspace's timezone, UTC when the name is not a known IANA zone.
pub fn timezone(name: &str) -> Tz {
    name.parse().unwrap_or(Tz::UTC)
}

/// The calendar day in `tz` that the unix timestamp `at` falls on, as `[start, end)` in unix
/// seconds. `None` for timestamps outside chrono's range.
pub fn day_range(at: i64, tz: Tz) -> Option<(i64, i64)> {
    let utc = DateTime::from_timestamp(at, 0)?;
    let day = utc.with_timezone(&tz).date_naive();
    let start = start_of_day(day, tz)?;
    let end = start_of_day(day.succ_opt()?, tz)?;
    Some((start, end))
}

/// The first instant of `day` in `tz`; a midnight skipped by a DST change starts the day later.
fn start_of_day(day: NaiveDate, tz: Tz) -> Option<i64> {
    let midnight = day.and_hms_opt(0, 0, 0)?;
    (0..=24 * 4).find_map(|quarter| {
        let local = midnight + Duration::minutes(15 * quarter);
        tz.from_local_datetime(&local).earliest().map(|t| t.timestamp())
    })
}
