//! Conditions of an assignment rule: `all` / `any` / `none` groups (nestable) over tests of one
//! field each. Parsed once (regexes compiled, fields split) so evaluation allocates only for the
//! explanation of a failure.
use serde_json::{json, Map, Value};

use super::{RuleError, Subject};

/// Longest regex pattern accepted, in bytes.
pub const MAX_REGEX_LEN: usize = 500;
/// Deepest nesting of groups accepted.
pub const MAX_DEPTH: usize = 8;

/// A condition: a group of conditions or one test.
#[derive(Debug, Clone)]
pub enum Condition {
    /// Every condition holds (an empty `all` always holds).
    All(Vec<Condition>),
    /// At least one condition holds (an empty `any` never holds).
    Any(Vec<Condition>),
    /// No condition holds.
    None(Vec<Condition>),
    Test(Test),
}

/// Where a field's value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Root {
    Conversation,
    Contact,
    Company,
    /// `time.office_hours`: `"inside"` or `"outside"` the workspace's office hours.
    OfficeHours,
    /// `conversation.language`: the detected language of the first message (ISO 639-1 or
    /// `"unknown"`, see [`super::language`]).
    Language,
}

/// Fields of the conversation a test may read (besides `custom_attributes.<name>`).
pub const CONVERSATION_FIELDS: &[&str] = &[
    "channel",
    "text",
    "language",
    "subject",
    "page_url",
    "priority",
    "tags",
    "state",
    "team_assignee_id",
    "admin_assignee_id",
];

/// A comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Contains,
    NotContains,
    StartsWith,
    EndsWith,
    Regex,
    In,
    NotIn,
    Gt,
    Gte,
    Lt,
    Lte,
    Exists,
    NotExists,
    /// A unix-seconds field within the last N days ("signed up in the last 7 days").
    WithinLastDays,
    /// A unix-seconds field more than N days ago.
    MoreThanDaysAgo,
}

const OPS: &[(&str, Op)] = &[
    ("eq", Op::Eq),
    ("ne", Op::Ne),
    ("contains", Op::Contains),
    ("not_contains", Op::NotContains),
    ("starts_with", Op::StartsWith),
    ("ends_with", Op::EndsWith),
    ("regex", Op::Regex),
    ("in", Op::In),
    ("not_in", Op::NotIn),
    ("gt", Op::Gt),
    ("gte", Op::Gte),
    ("lt", Op::Lt),
    ("lte", Op::Lte),
    ("exists", Op::Exists),
    ("not_exists", Op::NotExists),
    ("within_last_days", Op::WithinLastDays),
    ("more_than_days_ago", Op::MoreThanDaysAgo),
];

impl Op {
    pub fn as_str(self) -> &'static str {
        OPS.iter().find(|(_, op)| *op == self).map(|(name, _)| *name).unwrap_or("eq")
    }

    /// Whether the op bounds a number (`gt`, `gte`, `lt`, `lte`).
    pub fn is_numeric(self) -> bool {
        matches!(self, Op::Gt | Op::Gte | Op::Lt | Op::Lte)
    }
}

/// One test: `field op value`.
#[derive(Debug, Clone)]
pub struct Test {
    /// The field as written, e.g. `contact.custom_attributes.plan`.
    pub field: String,
    pub root: Root,
    /// The path under the root (`["custom_attributes", "plan"]`).
    path: Vec<String>,
    pub op: Op,
    pub value: Value,
    regex: Option<regex::Regex>,
    /// `value` lowercased when it is a string (case-insensitive text ops).
    lower: Option<String>,
}

impl PartialEq for Test {
    fn eq(&self, other: &Self) -> bool {
        self.field == other.field && self.op == other.op && self.value == other.value
    }
}

/// Why a condition did not hold: where it is, what it tested and what it found. Borrows from
/// the rule set and the subject, so explaining a failure copies nothing but its path.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Failure<'a> {
    /// The condition's path in its rule, e.g. `conditions.all[1]`.
    pub path: String,
    pub message: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub op: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<&'a Value>,
    /// The value the field had (`null` when absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual: Option<&'a Value>,
    /// For an `any` group: why each of its conditions failed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub causes: Vec<Failure<'a>>,
}

static NULL: Value = Value::Null;

fn err(path: &str, message: impl Into<String>) -> RuleError {
    RuleError { path: path.to_string(), message: message.into() }
}

impl Condition {
    /// Parses `{"all": [...]}`, `{"any": [...]}`, `{"none": [...]}` or a test
    /// `{"field": ..., "op": ..., "value": ...}`; `path` names it in errors.
    pub fn parse(value: &Value, path: &str) -> Result<Condition, RuleError> {
        Self::parse_at(value, path, 0)
    }

    fn parse_at(value: &Value, path: &str, depth: usize) -> Result<Condition, RuleError> {
        let object = value.as_object().ok_or_else(|| err(path, "a condition must be an object"))?;
        for (key, make) in [
            ("all", Condition::All as fn(Vec<Condition>) -> Condition),
            ("any", Condition::Any),
            ("none", Condition::None),
        ] {
            if let Some(list) = object.get(key) {
                if object.len() != 1 {
                    return Err(err(path, format!("a group has only the key {key:?}")));
                }
                if depth >= MAX_DEPTH {
                    return Err(err(path, format!("groups nest at most {MAX_DEPTH} deep")));
                }
                let list = list.as_array().ok_or_else(|| err(path, format!("{key} must be a list of conditions")))?;
                let children = list
                    .iter()
                    .enumerate()
                    .map(|(i, c)| Self::parse_at(c, &format!("{path}.{key}[{i}]"), depth + 1))
                    .collect::<Result<_, _>>()?;
                return Ok(make(children));
            }
        }
        Test::parse(object, path).map(Condition::Test)
    }

    pub fn to_json(&self) -> Value {
        match self {
            Condition::All(c) => json!({"all": c.iter().map(Condition::to_json).collect::<Vec<_>>()}),
            Condition::Any(c) => json!({"any": c.iter().map(Condition::to_json).collect::<Vec<_>>()}),
            Condition::None(c) => json!({"none": c.iter().map(Condition::to_json).collect::<Vec<_>>()}),
            Condition::Test(t) => t.to_json(),
        }
    }

    /// Whether the condition holds; on failure, why (the first failing condition).
    pub fn check<'a>(&'a self, subject: &'a Subject, path: &str) -> Result<(), Failure<'a>> {
        if self.holds(subject) {
            Ok(())
        } else {
            Err(self.explain(subject, path.to_string()))
        }
    }

    /// Why a condition that does not hold fails. Explanations are built only for failing
    /// branches, so a matching rule costs no allocation.
    fn explain<'a>(&'a self, subject: &'a Subject, path: String) -> Failure<'a> {
        match self {
            Condition::All(children) => match children.iter().enumerate().find(|(_, c)| !c.holds(subject)) {
                Some((i, child)) => child.explain(subject, format!("{path}.all[{i}]")),
                None => self.describe(subject, path),
            },
            Condition::Any(children) => {
                let causes = children
                    .iter()
                    .enumerate()
                    .map(|(i, child)| child.explain(subject, format!("{path}.any[{i}]")))
                    .collect();
                let mut failure = self.describe(subject, path);
                failure.message = "no condition of this any group holds";
                failure.causes = causes;
                failure
            }
            Condition::None(children) => match children.iter().enumerate().find(|(_, c)| c.holds(subject)) {
                Some((i, child)) => {
                    let mut failure = child.describe(subject, format!("{path}.none[{i}]"));
                    failure.message = "holds, but it is in a none group";
                    failure
                }
                None => self.describe(subject, path),
            },
            Condition::Test(_) => {
                let mut failure = self.describe(subject, path);
                failure.message = "does not hold";
                failure
            }
        }
    }

    /// Whether the condition holds (no explanation).
    pub fn holds(&self, subject: &Subject) -> bool {
        match self {
            Condition::All(c) => c.iter().all(|c| c.holds(subject)),
            Condition::Any(c) => c.iter().any(|c| c.holds(subject)),
            Condition::None(c) => !c.iter().any(|c| c.holds(subject)),
            Condition::Test(t) => t.holds(subject),
        }
    }

    fn describe<'a>(&'a self, subject: &'a Subject, path: String) -> Failure<'a> {
        match self {
            Condition::Test(t) => Failure {
                path,
                message: "",
                field: Some(&t.field),
                op: Some(t.op.as_str()),
                expected: (!matches!(t.op, Op::Exists | Op::NotExists)).then_some(&t.value),
                actual: Some(t.actual(subject).unwrap_or(&NULL)),
                causes: Vec::new(),
            },
            _ => Failure { path, message: "", field: None, op: None, expected: None, actual: None, causes: Vec::new() },
        }
    }
}

fn parse_field(field: &str, path: &str) -> Result<(Root, Vec<String>), RuleError> {
    let (root, rest) = field.split_once('.').unwrap_or((field, ""));
    let parts: Vec<String> = rest.split('.').map(str::to_string).collect();
    if rest.is_empty() || parts.iter().any(String::is_empty) {
        return Err(err(path, format!("field {field:?} must look like conversation.channel or contact.role")));
    }
    let root = match root {
        "conversation" => {
            let known = CONVERSATION_FIELDS.contains(&rest) || (parts.len() == 2 && parts[0] == "custom_attributes");
            if !known {
                return Err(err(
                    path,
                    format!(
                        "unknown conversation field {rest:?} (use {} or custom_attributes.<name>)",
                        CONVERSATION_FIELDS.join(", ")
                    ),
                ));
            }
            if rest == "language" {
                Root::Language
            } else {
                Root::Conversation
            }
        }
        "contact" => Root::Contact,
        "company" => Root::Company,
        "time" if rest == "office_hours" => Root::OfficeHours,
        "time" => return Err(err(path, "the only time field is time.office_hours (\"inside\" or \"outside\")")),
        _ => {
            return Err(err(
                path,
                format!("field {field:?} must start with conversation., contact., company. or time."),
            ))
        }
    };
    Ok((root, parts))
}

/// `conversation.language` takes eq/ne one ISO 639-1 code or in/not_in a list of them. `unknown`
/// is not a value: a rule cannot ask for "no language detected".
fn check_language(op: Op, value: &Value, path: &str) -> Result<(), RuleError> {
    let codes: Vec<&Value> = match (op, value) {
        (Op::Eq | Op::Ne, v) => vec![v],
        (Op::In | Op::NotIn, Value::Array(list)) => list.iter().collect(),
        _ => return Err(err(path, "conversation.language takes eq, ne, in or not_in with ISO 639-1 codes")),
    };
    for code in codes {
        match code.as_str() {
            Some(c) if super::language::is_known(c) => {}
            _ => {
                return Err(err(
                    path,
                    format!(
                    "conversation.language values are lowercase ISO 639-1 codes the detector knows ({}); got {code}",
                    super::language::known_codes().collect::<Vec<_>>().join(", ")
                ),
                ))
            }
        }
    }
    Ok(())
}

fn is_scalar(v: &Value) -> bool {
    matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_))
}

impl Test {
    fn parse(object: &Map<String, Value>, path: &str) -> Result<Test, RuleError> {
        if let Some(key) = object.keys().find(|k| !matches!(k.as_str(), "field" | "op" | "value")) {
            return Err(err(
                path,
                format!("unknown key {key:?} (a test has field, op and value; a group has all, any or none)"),
            ));
        }
        let field = object
            .get("field")
            .and_then(Value::as_str)
            .ok_or_else(|| err(path, "a test needs a field (or use an all/any/none group)"))?;
        let (root, field_path) = parse_field(field, path)?;
        let op_name = object.get("op").and_then(Value::as_str).ok_or_else(|| err(path, "a test needs an op"))?;
        let op = OPS.iter().find(|(name, _)| *name == op_name).map(|(_, op)| *op).ok_or_else(|| {
            err(
                path,
                format!("unknown op {op_name:?} (use {})", OPS.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")),
            )
        })?;
        let value = object.get("value").cloned().unwrap_or(Value::Null);
        let mut regex = None;
        match op {
            Op::Exists | Op::NotExists => {}
            Op::Eq | Op::Ne if is_scalar(&value) => {}
            Op::Eq | Op::Ne => return Err(err(path, format!("{op_name} needs a string, number or boolean value"))),
            Op::Contains | Op::NotContains | Op::StartsWith | Op::EndsWith => {
                if value.as_str().is_none_or(str::is_empty) {
                    return Err(err(path, format!("{op_name} needs a non-empty string value")));
                }
            }
            Op::Regex => {
                let pattern = value.as_str().ok_or_else(|| err(path, "regex needs a pattern string"))?;
                if pattern.len() > MAX_REGEX_LEN {
                    return Err(err(path, format!("regex patterns are at most {MAX_REGEX_LEN} bytes")));
                }
                let compiled = regex::RegexBuilder::new(pattern)
                    .case_insensitive(true)
                    .size_limit(256 * 1024)
                    .build()
                    .map_err(|e| err(path, format!("invalid regex: {e}")))?;
                regex = Some(compiled);
            }
            Op::In | Op::NotIn => {
                let ok = value.as_array().is_some_and(|a| !a.is_empty() && a.iter().all(is_scalar));
                if !ok {
                    return Err(err(path, format!("{op_name} needs a non-empty list of strings, numbers or booleans")));
                }
            }
            Op::Gt | Op::Gte | Op::Lt | Op::Lte => {
                if !value.is_number() {
                    return Err(err(path, format!("{op_name} needs a number value")));
                }
            }
            Op::WithinLastDays | Op::MoreThanDaysAgo => {
                if !value.as_f64().is_some_and(|d| d >= 0.0) {
                    return Err(err(path, format!("{op_name} needs a number of days (0 or more)")));
                }
            }
        }
        if root == Root::OfficeHours
            && !(matches!(op, Op::Eq | Op::Ne) && matches!(value.as_str(), Some("inside" | "outside")))
        {
            return Err(err(path, "time.office_hours takes eq or ne with \"inside\" or \"outside\""));
        }
        if root == Root::Language {
            check_language(op, &value, path)?;
        }
        let lower = value.as_str().map(str::to_lowercase);
        Ok(Test { field: field.to_string(), root, path: field_path, op, value, regex, lower })
    }

    pub fn to_json(&self) -> Value {
        if matches!(self.op, Op::Exists | Op::NotExists) {
            json!({"field": self.field, "op": self.op.as_str()})
        } else {
            json!({"field": self.field, "op": self.op.as_str(), "value": self.value})
        }
    }

    /// The field's value in `subject` (`None` when absent or null).
    pub fn actual<'a>(&self, subject: &'a Subject) -> Option<&'a Value> {
        let mut value = match self.root {
            Root::Conversation => subject.conversation.get(&self.path[0]),
            Root::Contact => subject.contact.get(&self.path[0]),
            Root::Company => subject.company.get(&self.path[0]),
            Root::OfficeHours => return Some(subject.office_hours_value()),
            Root::Language => return Some(subject.language_value()),
        }?;
        for key in &self.path[1..] {
            value = value.get(key)?;
        }
        (!value.is_null()).then_some(value)
    }

    /// Whether the test holds on `subject`.
    pub fn holds(&self, subject: &Subject) -> bool {
        self.holds_on(self.actual(subject), subject.now)
    }

    /// Whether the test holds when the field has value `actual` at unix time `now`.
    pub fn holds_on(&self, actual: Option<&Value>, now: i64) -> bool {
        let Some(actual) = actual else {
            return matches!(self.op, Op::NotExists | Op::Ne | Op::NotContains | Op::NotIn);
        };
        // A list (tags) holds a test when one of its elements does; negations when none does.
        if let Value::Array(items) = actual {
            return match self.op {
                Op::Exists => true,
                Op::NotExists => false,
                Op::Ne | Op::NotContains | Op::NotIn => items.iter().all(|item| self.holds_on(Some(item), now)),
                _ => items.iter().any(|item| self.holds_on(Some(item), now)),
            };
        }
        match self.op {
            Op::Exists => true,
            Op::NotExists => false,
            Op::Eq => scalar_eq(actual, &self.value),
            Op::Ne => !scalar_eq(actual, &self.value),
            Op::In => self.value.as_array().is_some_and(|vs| vs.iter().any(|v| scalar_eq(actual, v))),
            Op::NotIn => !self.value.as_array().is_some_and(|vs| vs.iter().any(|v| scalar_eq(actual, v))),
            Op::Contains | Op::NotContains | Op::StartsWith | Op::EndsWith => {
                let needle = self.lower.as_deref().unwrap_or("");
                let text = text_of(actual);
                match self.op {
                    Op::Contains => contains_folded(&text, needle),
                    Op::NotContains => !contains_folded(&text, needle),
                    Op::StartsWith => text.get(..needle.len()).is_some_and(|t| eq_folded(t, needle)),
                    _ => text
                        .len()
                        .checked_sub(needle.len())
                        .and_then(|at| text.get(at..))
                        .is_some_and(|t| eq_folded(t, needle)),
                }
            }
            Op::Regex => self.regex.as_ref().is_some_and(|r| r.is_match(&text_of(actual))),
            Op::Gt | Op::Gte | Op::Lt | Op::Lte => {
                let (Some(a), Some(b)) = (number_of(actual), self.value.as_f64()) else { return false };
                match self.op {
                    Op::Gt => a > b,
                    Op::Gte => a >= b,
                    Op::Lt => a < b,
                    _ => a <= b,
                }
            }
            Op::WithinLastDays | Op::MoreThanDaysAgo => {
                let (Some(at), Some(days)) = (number_of(actual), self.value.as_f64()) else { return false };
                let cutoff = now as f64 - days * 86_400.0;
                if self.op == Op::WithinLastDays {
                    at >= cutoff
                } else {
                    at < cutoff
                }
            }
        }
    }
}

fn text_of(v: &Value) -> std::borrow::Cow<'_, str> {
    match v {
        Value::String(s) => std::borrow::Cow::Borrowed(s),
        other => std::borrow::Cow::Owned(other.to_string()),
    }
}

/// Whether `text` equals `lower` (already lowercase) ignoring case.
fn eq_folded(text: &str, lower: &str) -> bool {
    if text.is_ascii() && lower.is_ascii() {
        text.eq_ignore_ascii_case(lower)
    } else {
        text.to_lowercase() == lower
    }
}

/// Whether `text` contains `lower` (already lowercase) ignoring case, without allocating for
/// ASCII text.
fn contains_folded(text: &str, lower: &str) -> bool {
    if !(text.is_ascii() && lower.is_ascii()) {
        return text.to_lowercase().contains(lower);
    }
    let (hay, needle) = (text.as_bytes(), lower.as_bytes());
    needle.is_empty() || hay.windows(needle.len()).any(|w| w.eq_ignore_ascii_case(needle))
}

fn number_of(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Equality as a support lead means it: text ignores case, numbers compare by value (a number
/// written as text equals the number).
pub(crate) fn scalar_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) => x.eq_ignore_ascii_case(y) || x.to_lowercase() == y.to_lowercase(),
        (Value::Number(_), _) | (_, Value::Number(_)) => match (number_of(a), number_of(b)) {
            (Some(x), Some(y)) => x == y,
            _ => false,
        },
        _ => a == b,
    }
}
