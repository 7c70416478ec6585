//! Text the databases cannot store, refused at the edge of every HTTP request: invalid UTF-8 or a
//! NUL in the path or query string (a middleware over the whole router), and in JSON bodies a NUL,
//! a lone surrogate escape (`"\ud800"`) or invalid UTF-8 ([`check_json_body`] and
//! [`json_text_fault`], used by `ApiJson`). Each is `400 parameter_invalid` naming the field, before
//! any handler runs, so nothing is written. The rule itself is `rapport_core::text`.
use axum::extract::Request;
use axum::http::Uri;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rapport_core::text::{nul_message, nul_path};
use serde_json::Value;

use crate::AppError;

/// What is wrong with a piece of text, and where it is (a JSON path, a query key, `path`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TextFault {
    pub(crate) field: String,
    problem: Problem,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Problem {
    Nul,
    InvalidUtf8,
    LoneSurrogate,
}

impl TextFault {
    pub(crate) fn nul(field: impl Into<String>) -> Self {
        Self { field: field.into(), problem: Problem::Nul }
    }

    pub(crate) fn message(&self) -> String {
        let field = if self.field.is_empty() { "text" } else { self.field.as_str() };
        match self.problem {
            Problem::Nul => nul_message(field),
            Problem::InvalidUtf8 => format!("{field} must be valid UTF-8"),
            Problem::LoneSurrogate => {
                format!("{field} must be valid Unicode: a \\ud800-\\udfff escape must be one half of a pair")
            }
        }
    }
}

impl From<TextFault> for AppError {
    fn from(fault: TextFault) -> Self {
        let field = if fault.field.is_empty() { "body" } else { fault.field.as_str() };
        AppError::invalid(field, fault.message())
    }
}

/// A NUL in a JSON body, found without parsing when the body has no `\u0000` escape (the only way
/// JSON can carry one). A body that is not JSON is left to the parser that reports it.
pub(crate) fn check_json_body(bytes: &[u8]) -> Result<(), TextFault> {
    if !bytes.windows(6).any(|w| w == b"\\u0000") {
        return Ok(());
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(value) => nul_path(&value).map_or(Ok(()), |path| Err(TextFault::nul(path))),
        Err(_) => Ok(()),
    }
}

/// Why serde_json refused a body, when it is text we cannot hold (invalid UTF-8, a lone surrogate
/// escape), with the path of the string at fault. `None` for every other syntax error.
pub(crate) fn json_text_fault(bytes: &[u8]) -> Option<TextFault> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let error = serde_path_to_error::deserialize::<_, Value>(&mut deserializer).err()?;
    let message = error.inner().to_string();
    let problem = if message.starts_with("invalid unicode code point") {
        Problem::InvalidUtf8
    } else if message.starts_with("lone leading surrogate") || message.starts_with("unexpected end of hex escape") {
        Problem::LoneSurrogate
    } else {
        return None;
    };
    let path = error.path().to_string();
    let field = if path == "." { String::new() } else { path };
    Some(TextFault { field, problem })
}

/// Percent-decodes `raw` (`+` is a space in a query string).
fn percent_decode(raw: &str, plus_is_space: bool) -> Vec<u8> {
    fn hex(b: u8) -> Option<u8> {
        (b as char).to_digit(16).map(|d| d as u8)
    }
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(high), Some(low)) => {
                    out.push(high << 4 | low);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' if plus_is_space => out.push(b' '),
            other => out.push(other),
        }
        i += 1;
    }
    out
}

/// The fault of one decoded piece of a URI, if any.
fn fault_of(decoded: &[u8], field: &str) -> Option<TextFault> {
    match std::str::from_utf8(decoded) {
        Err(_) => Some(TextFault { field: field.to_string(), problem: Problem::InvalidUtf8 }),
        Ok(text) if text.contains('\0') => Some(TextFault::nul(field)),
        Ok(_) => None,
    }
}

/// Invalid UTF-8 or a NUL in the path (field `path`) or in a query parameter (field: its name;
/// `query` when the name itself is at fault).
pub(crate) fn uri_fault(uri: &Uri) -> Option<TextFault> {
    if let Some(fault) = uri.path().split('/').find_map(|segment| fault_of(&percent_decode(segment, false), "path")) {
        return Some(fault);
    }
    let query = uri.query()?;
    query.split('&').filter(|pair| !pair.is_empty()).find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = percent_decode(key, true);
        if let Some(fault) = fault_of(&key, "query") {
            return Some(fault);
        }
        fault_of(&percent_decode(value, true), &String::from_utf8_lossy(&key))
    })
}

/// Middleware over every route: a URI holding text we cannot store is refused before routing
/// reaches a handler (and before rate limiting counts the call).
pub(crate) async fn refuse_unstorable_uri(request: Request, next: Next) -> Response {
    match uri_fault(request.uri()) {
        Some(fault) => AppError::from(fault).into_response(),
        None => next.run(request).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(text: &str) -> Uri {
        text.parse().unwrap()
    }

    #[test]
    fn uris_with_unstorable_text_are_named() {
        assert_eq!(uri_fault(&uri("/api/contacts/12?per_page=5&q=caf%C3%A9")), None);
        assert_eq!(uri_fault(&uri("/api/contacts/%FF")).unwrap().field, "path");
        assert_eq!(uri_fault(&uri("/api/tags/a%00b")).unwrap().message(), "path must not contain NUL characters");
        assert_eq!(
            uri_fault(&uri("/api/contacts?email=a%00")).unwrap().message(),
            "email must not contain NUL characters"
        );
        assert_eq!(uri_fault(&uri("/api/contacts?email=%C3")).unwrap().message(), "email must be valid UTF-8");
        assert_eq!(uri_fault(&uri("/api/contacts?%FF=1")).unwrap().field, "query");
        assert_eq!(uri_fault(&uri("/x?a=%2")), None);
        assert_eq!(uri_fault(&uri("/x?a=%")), None);
        assert_eq!(uri_fault(&uri("/x%2")), None);
    }

    #[test]
    fn json_bodies_with_unstorable_text_are_named() {
        assert_eq!(check_json_body(br#"{"name":"ok \\u0000"}"#), Ok(()));
        assert_eq!(check_json_body(br#"{"name":"t\u0000"}"#).unwrap_err().field, "name");
        assert_eq!(check_json_body(br#"{"a":[{"b":"\u0000"}]}"#).unwrap_err().field, "a[0].b");
        let surrogate = json_text_fault(br#"{"name":"\ud800"}"#).unwrap();
        assert_eq!((surrogate.field.as_str(), surrogate.problem), ("name", Problem::LoneSurrogate));
        let trailing = json_text_fault(br#"{"x":{"y":"\udc00"}}"#).unwrap();
        assert_eq!((trailing.field.as_str(), trailing.problem), ("x.y", Problem::LoneSurrogate));
        let utf8 = json_text_fault(b"{\"name\":\"\xff\"}").unwrap();
        assert_eq!((utf8.field.as_str(), utf8.problem), ("name", Problem::InvalidUtf8));
        assert_eq!(json_text_fault(b"{\"name\":"), None);
        assert_eq!(json_text_fault(br#"{"name":"fine \ud83d\ude00"}"#), None);
    }
}
