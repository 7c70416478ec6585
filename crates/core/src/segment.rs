//! Segment's HTTP Tracking API (`identify`, `track`, `page`, `screen`, `group`, `alias`,
//! `batch`): the limits, and the parsing of one call into a [`Call`] that the store can apply
//! without looking at JSON again. Pure: the HTTP layer hands in bytes and the time it received
//! them; nothing here reads a clock or a database.
//!
//! Two levels of refusal, as Segment has them: a *request* that is not JSON, is too large or is
//! not shaped like a call or a batch is refused whole ([`RequestError`], HTTP 400). A *call*
//! inside a well-formed batch that lacks an identifier, an event name, a valid timestamp, … is
//! refused alone ([`CallError`]) and the rest of the batch is applied.
use chrono::DateTime;
use serde_json::{Map, Value};

use crate::attributes::Model;
use crate::contact::Email;

/// Largest single call, and largest call inside a batch (Segment: 32 KB).
pub const MAX_CALL_BYTES: usize = 32 * 1024;
/// Largest batch request (Segment: 500 KB).
pub const MAX_BATCH_BYTES: usize = 500 * 1024;
/// Most calls in one batch (Segment: 2,500).
pub const MAX_BATCH_CALLS: usize = 2500;
/// Longest `messageId`, `userId`, `anonymousId`, `previousId` or `groupId` kept (an index key).
pub const MAX_ID_CHARS: usize = 255;

/// Which call a message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Identify,
    Track,
    Page,
    Screen,
    Group,
    Alias,
}

impl Kind {
    pub const ALL: [Kind; 6] = [Kind::Identify, Kind::Track, Kind::Page, Kind::Screen, Kind::Group, Kind::Alias];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Identify => "identify",
            Kind::Track => "track",
            Kind::Page => "page",
            Kind::Screen => "screen",
            Kind::Group => "group",
            Kind::Alias => "alias",
        }
    }

    pub fn parse(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// The whole request is refused: nothing of it is applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    #[error("the body is not valid JSON: {0}")]
    Malformed(String),
    #[error("the body must be a JSON object")]
    NotAnObject,
    #[error("the request is {size} bytes; at most {limit} are accepted")]
    TooLarge { size: usize, limit: usize },
    #[error("batch[{index}] is {size} bytes; a call may be at most {MAX_CALL_BYTES} bytes")]
    CallTooLarge { index: usize, size: usize },
    #[error("batch must be an array of calls")]
    BatchNotAnArray,
    #[error("a batch may hold at most {MAX_BATCH_CALLS} calls")]
    TooManyCalls,
    /// Not a string, or a string holding a NUL character.
    #[error("writeKey must be a string without NUL characters")]
    WriteKeyNotAString,
}

/// One call is refused (with the field at fault); the others of its batch are not affected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct CallError {
    pub field: String,
    pub message: String,
}

fn call_error(field: &str, message: impl Into<String>) -> CallError {
    CallError { field: field.to_string(), message: message.into() }
}

/// The standard contact fields an `identify` can set from its traits; every other trait is a
/// custom attribute, checked by the store against the workspace's data attributes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContactTraits {
    pub email: Option<Email>,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub avatar: Option<String>,
    pub signed_up_at: Option<i64>,
    pub custom: Map<String, Value>,
}

/// The standard company fields a `group` can set; the rest are custom attributes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CompanyTraits {
    pub name: Option<String>,
    pub plan: Option<String>,
    pub monthly_spend: Option<f64>,
    pub size: Option<i64>,
    pub website: Option<String>,
    pub industry: Option<String>,
    pub remote_created_at: Option<i64>,
    pub custom: Map<String, Value>,
}

/// What a call asks for, by kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Identify {
        traits: ContactTraits,
    },
    Track {
        event: String,
        properties: Map<String, Value>,
    },
    /// `page` and `screen`: the contact was seen (on `url` when known); `name` is the page's.
    View {
        screen: bool,
        name: Option<String>,
        url: Option<String>,
        properties: Map<String, Value>,
    },
    Group {
        group_id: String,
        traits: CompanyTraits,
    },
    Alias {
        previous_id: String,
    },
}

/// One parsed call, ready to apply.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub kind: Kind,
    pub user_id: Option<String>,
    pub anonymous_id: Option<String>,
    /// The client's id for this call: a second call with the same id is a retry and changes nothing.
    pub message_id: Option<String>,
    /// When it happened, unix seconds, corrected for the client's clock (see [`event_time`]).
    pub timestamp: i64,
    pub action: Action,
}

/// A parsed request: its calls in order (each parsed or refused) and the `writeKey` of the body.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub write_key: Option<String>,
    pub calls: Vec<Result<Call, CallError>>,
}

fn parse_object(body: &[u8]) -> Result<Map<String, Value>, RequestError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err(RequestError::NotAnObject),
        Err(e) => Err(RequestError::Malformed(e.to_string())),
    }
}

fn write_key(object: &Map<String, Value>) -> Result<Option<String>, RequestError> {
    match object.get("writeKey") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(key)) if !key.contains('\0') => Ok(Some(key.clone())),
        Some(_) => Err(RequestError::WriteKeyNotAString),
    }
}

/// Parses the body of `/v1/<kind>` (one call; its `type`, if any, is ignored for the path's).
/// `received_at_ms` is when the server received it (unix milliseconds).
pub fn parse_single(kind: Kind, body: &[u8], received_at_ms: i64) -> Result<Request, RequestError> {
    if body.len() > MAX_CALL_BYTES {
        return Err(RequestError::TooLarge { size: body.len(), limit: MAX_CALL_BYTES });
    }
    let object = parse_object(body)?;
    let write_key = write_key(&object)?;
    let call = parse_call(Some(kind), &object, None, received_at_ms);
    Ok(Request { write_key, calls: vec![call] })
}

/// Parses the body of `/v1/batch`: `{"batch": [call…], "writeKey"?, "sentAt"?, "context"?}`.
/// The batch's `sentAt` applies to calls without one of their own.
pub fn parse_batch(body: &[u8], received_at_ms: i64) -> Result<Request, RequestError> {
    if body.len() > MAX_BATCH_BYTES {
        return Err(RequestError::TooLarge { size: body.len(), limit: MAX_BATCH_BYTES });
    }
    let object = parse_object(body)?;
    let write_key = write_key(&object)?;
    let Some(Value::Array(items)) = object.get("batch") else {
        return Err(RequestError::BatchNotAnArray);
    };
    if items.len() > MAX_BATCH_CALLS {
        return Err(RequestError::TooManyCalls);
    }
    let sent_at = object.get("sentAt");
    let mut calls = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let size = serde_json::to_vec(item).map(|v| v.len()).unwrap_or(0);
        if size > MAX_CALL_BYTES {
            return Err(RequestError::CallTooLarge { index, size });
        }
        calls.push(match item {
            Value::Object(call) => parse_call(None, call, sent_at, received_at_ms),
            _ => Err(call_error("type", "each batch item must be an object")),
        });
    }
    Ok(Request { write_key, calls })
}

/// An id field: a non-empty string (numbers are accepted and written as text, as Segment does).
fn id_field(object: &Map<String, Value>, field: &str) -> Result<Option<String>, CallError> {
    let text = match object.get(field) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) => s.trim().to_string(),
        Some(Value::Number(n)) => n.to_string(),
        Some(_) => return Err(call_error(field, format!("{field} must be a string"))),
    };
    if text.is_empty() {
        return Ok(None);
    }
    if text.chars().count() > MAX_ID_CHARS || text.chars().any(char::is_control) {
        return Err(call_error(field, format!("{field} must be at most {MAX_ID_CHARS} printable characters")));
    }
    Ok(Some(text))
}

fn object_field(object: &Map<String, Value>, field: &str) -> Result<Map<String, Value>, CallError> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(map)) => Ok(map.clone()),
        Some(_) => Err(call_error(field, format!("{field} must be an object"))),
    }
}

fn text_field(object: &Map<String, Value>, field: &str, path: &str) -> Result<Option<String>, CallError> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_string())),
        Some(_) => Err(call_error(path, format!("{path} must be a string"))),
    }
}

/// Parses an ISO-8601 (RFC 3339) timestamp into unix milliseconds.
pub fn parse_time_ms(text: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(text.trim()).ok().map(|t| t.timestamp_millis())
}

fn time_field(value: Option<&Value>, field: &str) -> Result<Option<i64>, CallError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => parse_time_ms(s)
            .map(Some)
            .ok_or_else(|| call_error(field, format!("{field} must be an ISO-8601 date-time with a time zone"))),
        Some(_) => Err(call_error(field, format!("{field} must be an ISO-8601 date-time string"))),
    }
}

/// When a call happened, as Segment computes it: with both the client's `timestamp` and the
/// client's `sentAt` (the moment it sent the request), the client's clock skew is removed:
/// `received_at - (sent_at - timestamp)`. With a `timestamp` alone it is taken as given (an
/// import of history); with neither, it is the moment we received it. All in milliseconds.
pub fn event_time(timestamp: Option<i64>, sent_at: Option<i64>, received_at: i64) -> i64 {
    match (timestamp, sent_at) {
        (Some(t), Some(sent)) => received_at - (sent - t),
        (Some(t), None) => t,
        (None, _) => received_at,
    }
}

/// A date trait (`createdAt`): an ISO-8601 string or unix seconds.
fn date_seconds(value: &Value, field: &str) -> Result<Option<i64>, CallError> {
    let seconds = match value {
        Value::Null => return Ok(None),
        Value::Number(n) => n.as_f64().map(|f| f as i64),
        Value::String(s) => parse_time_ms(s).map(|ms| ms.div_euclid(1000)),
        _ => None,
    };
    match seconds {
        Some(s) if s >= 0 => Ok(Some(s)),
        _ => Err(call_error(field, format!("{field} must be an ISO-8601 date-time or unix seconds"))),
    }
}

fn trait_text(value: &Value, field: &str) -> Result<Option<String>, CallError> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        Value::String(s) => Ok(Some(s.trim().to_string())),
        Value::Number(n) => Ok(Some(n.to_string())),
        _ => Err(call_error(field, format!("{field} must be a string"))),
    }
}

/// Whether a trait the intake does not map to a standard field becomes a custom attribute: a
/// flat value (objects and arrays, such as Segment's `address`, have no attribute to hold them)
/// under a name that is not one of the model's standard attributes (those are set through their
/// own traits or not at all). Other traits are ignored, as Segment destinations do.
fn is_custom_trait(model: Model, key: &str, value: &Value) -> bool {
    !matches!(value, Value::Object(_) | Value::Array(_))
        && !crate::attributes::builtins(model).iter().any(|b| b.name.eq_ignore_ascii_case(key))
}

/// Splits `identify` traits into standard contact fields and custom attributes. `firstName` and
/// `lastName` make the name when `name` is absent (Segment's reserved traits).
pub fn contact_traits(traits: &Map<String, Value>) -> Result<ContactTraits, CallError> {
    let mut out = ContactTraits::default();
    let (mut first, mut last) = (None, None);
    for (key, value) in traits {
        let field = format!("traits.{key}");
        match key.as_str() {
            "email" => {
                out.email = match trait_text(value, &field)? {
                    Some(text) => Some(Email::parse(&text).map_err(|e| call_error(&field, e.to_string()))?),
                    None => None,
                }
            }
            "name" => out.name = trait_text(value, &field)?,
            "firstName" | "first_name" => first = trait_text(value, &field)?,
            "lastName" | "last_name" => last = trait_text(value, &field)?,
            "phone" => out.phone = trait_text(value, &field)?,
            "avatar" => out.avatar = trait_text(value, &field)?,
            "createdAt" | "created_at" => out.signed_up_at = date_seconds(value, &field)?,
            _ if is_custom_trait(Model::Contact, key, value) => {
                out.custom.insert(key.clone(), value.clone());
            }
            _ => {}
        }
    }
    if out.name.is_none() {
        let joined = [first, last].into_iter().flatten().collect::<Vec<_>>().join(" ");
        if !joined.is_empty() {
            out.name = Some(joined);
        }
    }
    Ok(out)
}

fn number(value: &Value, field: &str) -> Result<Option<f64>, CallError> {
    match value {
        Value::Null => Ok(None),
        Value::Number(n) => Ok(n.as_f64()),
        Value::String(s) => {
            s.trim().parse::<f64>().map(Some).map_err(|_| call_error(field, format!("{field} must be a number")))
        }
        _ => Err(call_error(field, format!("{field} must be a number"))),
    }
}

/// Splits `group` traits into standard company fields and custom attributes.
pub fn company_traits(traits: &Map<String, Value>) -> Result<CompanyTraits, CallError> {
    let mut out = CompanyTraits::default();
    for (key, value) in traits {
        let field = format!("traits.{key}");
        match key.as_str() {
            "name" => out.name = trait_text(value, &field)?,
            "plan" => out.plan = trait_text(value, &field)?,
            "monthly_spend" | "monthlySpend" => out.monthly_spend = number(value, &field)?,
            "employees" | "size" => out.size = number(value, &field)?.map(|n| n as i64),
            "website" => out.website = trait_text(value, &field)?,
            "industry" => out.industry = trait_text(value, &field)?,
            "createdAt" | "created_at" => out.remote_created_at = date_seconds(value, &field)?,
            _ if is_custom_trait(Model::Company, key, value) => {
                out.custom.insert(key.clone(), value.clone());
            }
            _ => {}
        }
    }
    Ok(out)
}

/// Parses one call. `path_kind` is the endpoint's kind (`None` inside a batch, where `type`
/// says); `batch_sent_at` is the batch's `sentAt`.
pub fn parse_call(
    path_kind: Option<Kind>,
    object: &Map<String, Value>,
    batch_sent_at: Option<&Value>,
    received_at_ms: i64,
) -> Result<Call, CallError> {
    let kind = match path_kind {
        Some(kind) => kind,
        None => match object.get("type") {
            Some(Value::String(name)) => Kind::parse(name).ok_or_else(|| {
                call_error(
                    "type",
                    format!("type must be one of identify, track, page, screen, group, alias (got {name:?})"),
                )
            })?,
            _ => return Err(call_error("type", "type is required")),
        },
    };
    if let Some(field) = crate::text::nul_path_in(object) {
        return Err(CallError { message: crate::text::nul_message(&field), field });
    }
    let user_id = id_field(object, "userId")?;
    let anonymous_id = id_field(object, "anonymousId")?;
    let message_id = id_field(object, "messageId")?;
    if kind != Kind::Alias && user_id.is_none() && anonymous_id.is_none() {
        return Err(call_error("userId", "userId or anonymousId is required"));
    }
    let timestamp = time_field(object.get("timestamp"), "timestamp")?
        .or(time_field(object.get("originalTimestamp"), "originalTimestamp")?);
    let sent_at = match object.get("sentAt") {
        Some(v) if !v.is_null() => time_field(Some(v), "sentAt")?,
        _ => time_field(batch_sent_at, "sentAt")?,
    };
    let millis = event_time(timestamp, sent_at, received_at_ms);
    if millis < 1000 {
        return Err(call_error("timestamp", "timestamp must be after 1970-01-01"));
    }
    let action = match kind {
        Kind::Identify => Action::Identify { traits: contact_traits(&object_field(object, "traits")?)? },
        Kind::Track => {
            let event =
                text_field(object, "event", "event")?.ok_or_else(|| call_error("event", "event is required"))?;
            Action::Track { event, properties: object_field(object, "properties")? }
        }
        Kind::Page | Kind::Screen => {
            let properties = object_field(object, "properties")?;
            let context = object_field(object, "context")?;
            let page = match context.get("page") {
                Some(Value::Object(page)) => page.clone(),
                _ => Map::new(),
            };
            let url = match properties.get("url").or(page.get("url")) {
                Some(Value::String(url)) if !url.trim().is_empty() => Some(url.trim().to_string()),
                _ => None,
            };
            Action::View { screen: kind == Kind::Screen, name: text_field(object, "name", "name")?, url, properties }
        }
        Kind::Group => {
            let group_id = id_field(object, "groupId")?.ok_or_else(|| call_error("groupId", "groupId is required"))?;
            Action::Group { group_id, traits: company_traits(&object_field(object, "traits")?)? }
        }
        Kind::Alias => {
            let previous_id =
                id_field(object, "previousId")?.ok_or_else(|| call_error("previousId", "previousId is required"))?;
            if user_id.is_none() {
                return Err(call_error("userId", "userId is required"));
            }
            Action::Alias { previous_id }
        }
    };
    Ok(Call { kind, user_id, anonymous_id, message_id, timestamp: millis.div_euclid(1000), action })
}

/// The metadata of the event a `page` or `screen` records: its name and the page's string
/// properties Intercom can show (url, title, path, referrer, search, category), within the
/// event metadata limits.
pub fn view_metadata(name: Option<&str>, url: Option<&str>, properties: &Map<String, Value>) -> Map<String, Value> {
    let mut metadata = Map::new();
    if let Some(name) = name {
        metadata.insert("name".into(), Value::String(truncate(name)));
    }
    if let Some(url) = url {
        metadata.insert("url".into(), Value::String(truncate(url)));
    }
    for key in ["title", "path", "referrer", "search", "category"] {
        if let Some(Value::String(text)) = properties.get(key) {
            if !text.is_empty() {
                metadata.insert(key.into(), Value::String(truncate(text)));
            }
        }
    }
    metadata
}

fn truncate(text: &str) -> String {
    text.chars().take(crate::attributes::MAX_STRING_CHARS).collect()
}

#[cfg(test)]
mod tests;
