//! Text the databases cannot store. PostgreSQL refuses a NUL character (U+0000) in any text
//! value and SQLite's full-text queries end at one, so every edge (HTTP bodies, query strings,
//! paths, socket frames, the Segment intake) refuses text holding one, naming where it was, and
//! inbound mail has it removed ([`without_nul`]). Invalid UTF-8 and lone surrogates never become
//! a Rust `String`; the edges report them with the same field paths.
use std::borrow::Cow;

use serde_json::{Map, Value};

/// The path of the first string (or object key) holding a NUL character in a JSON document, in
/// the notation of error fields: `name`, `custom_attributes.plan`, `items[2].body`. A key with a
/// NUL is named with it written `\u0000`; a NUL in a top-level string is `""`.
pub fn nul_path(value: &Value) -> Option<String> {
    let mut path = String::new();
    find(value, &mut path).then_some(path)
}

/// [`nul_path`] of a JSON object.
pub fn nul_path_in(object: &Map<String, Value>) -> Option<String> {
    let mut path = String::new();
    find_in(object, &mut path).then_some(path)
}

fn find(value: &Value, path: &mut String) -> bool {
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().enumerate().any(|(i, item)| {
            let len = path.len();
            path.push_str(&format!("[{i}]"));
            let found = find(item, path);
            if !found {
                path.truncate(len);
            }
            found
        }),
        Value::Object(map) => find_in(map, path),
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}

fn find_in(map: &Map<String, Value>, path: &mut String) -> bool {
    map.iter().any(|(key, item)| {
        let len = path.len();
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(&key.replace('\0', "\\u0000"));
        let found = key.contains('\0') || find(item, path);
        if !found {
            path.truncate(len);
        }
        found
    })
}

/// The refusal message for a NUL at `field`.
pub fn nul_message(field: &str) -> String {
    if field.is_empty() {
        "text must not contain NUL characters".to_string()
    } else {
        format!("{field} must not contain NUL characters")
    }
}

/// `text` with every NUL character removed (borrowed when it holds none). For text we must keep
/// rather than refuse, such as a received email.
pub fn without_nul(text: &str) -> Cow<'_, str> {
    if text.contains('\0') {
        Cow::Owned(text.replace('\0', ""))
    } else {
        Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_path_of_the_first_nul_is_named() {
        assert_eq!(nul_path(&json!({"name": "ok", "tags": ["a", {"x": 1}]})), None);
        assert_eq!(nul_path(&json!({"name": "t\u{0}"})).as_deref(), Some("name"));
        assert_eq!(nul_path(&json!({"a": {"b": [1, "x", "y\u{0}"]}})).as_deref(), Some("a.b[2]"));
        assert_eq!(
            nul_path(&json!({"custom_attributes": {"k\u{0}": 1}})).as_deref(),
            Some("custom_attributes.k\\u0000")
        );
        assert_eq!(nul_path(&json!({"a": ["fine"], "b": "\u{0}"})).as_deref(), Some("b"));
        assert_eq!(nul_path(&json!("\u{0}")).as_deref(), Some(""));
        assert_eq!(nul_path(&json!([{"body": "\u{0}"}])).as_deref(), Some("[0].body"));
    }

    #[test]
    fn nul_is_removed_from_kept_text() {
        assert!(matches!(without_nul("plain"), Cow::Borrowed("plain")));
        assert_eq!(without_nul("a\0b\0"), "ab");
        assert_eq!(nul_message("name"), "name must not contain NUL characters");
    }
}
