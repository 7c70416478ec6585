//! Data events: name normalisation, the metadata rules, and the fingerprint that de-duplicates
//! repeated submissions.
use serde_json::{Map, Value};

use super::{AttributeError, MAX_STRING_CHARS};

/// Most metadata keys an event may carry.
pub const MAX_METADATA_KEYS: usize = 20;
const MAX_EVENT_NAME_CHARS: usize = 255;

fn meta(message: impl Into<String>) -> AttributeError {
    AttributeError::Metadata(message.into())
}

/// Normalises an event name: trimmed and lower-cased, because Intercom treats event names
/// case-insensitively (`Placed-Order` and `placed-order` are one event).
pub fn event_name(raw: &str) -> Result<String, AttributeError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(meta("event_name must not be empty"));
    }
    if name.chars().count() > MAX_EVENT_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(meta(format!("event_name must be at most {MAX_EVENT_NAME_CHARS} printable characters")));
    }
    Ok(name.to_lowercase())
}

fn short_string(key: &str, field: &str, value: &Value) -> Result<(), AttributeError> {
    match value {
        Value::String(s) if s.chars().count() <= MAX_STRING_CHARS => Ok(()),
        Value::String(_) => {
            Err(meta(format!("metadata {key:?}: {field} is longer than {MAX_STRING_CHARS} characters")))
        }
        _ => Err(meta(format!("metadata {key:?}: {field} must be a string"))),
    }
}

/// Checks event metadata: at most 20 keys, values that are strings (≤ 255 characters), numbers,
/// booleans or null, or one of the two objects Intercom understands: a rich link `{url, value}`
/// or a monetary amount `{amount, currency}` (amount in cents, an integer). Anything else nested
/// is refused, because nothing downstream could display or filter on it.
pub fn validate_event_metadata(metadata: &Map<String, Value>) -> Result<(), AttributeError> {
    if metadata.len() > MAX_METADATA_KEYS {
        return Err(meta(format!("metadata may have at most {MAX_METADATA_KEYS} keys")));
    }
    for (key, value) in metadata {
        if key.trim().is_empty() || key.chars().count() > MAX_STRING_CHARS || key.chars().any(char::is_control) {
            return Err(meta(format!("metadata key {key:?} must be 1 to {MAX_STRING_CHARS} printable characters")));
        }
        match value {
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
            Value::String(_) => short_string(key, "the value", value)?,
            Value::Array(_) => return Err(meta(format!("metadata {key:?} must not be an array"))),
            Value::Object(object) => {
                let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
                keys.sort_unstable();
                match keys.as_slice() {
                    ["url", "value"] => {
                        short_string(key, "url", &object["url"])?;
                        short_string(key, "value", &object["value"])?;
                    }
                    ["amount", "currency"] => {
                        if object["amount"].as_i64().is_none() {
                            return Err(meta(format!("metadata {key:?}: amount must be an integer (cents)")));
                        }
                        short_string(key, "currency", &object["currency"])?;
                    }
                    _ => {
                        return Err(meta(format!(
                        "metadata {key:?} is nested: only {{url, value}} and {{amount, currency}} objects are allowed"
                    )))
                    }
                }
            }
        }
    }
    Ok(())
}

fn canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(object) => {
            let mut entries: Vec<_> = object.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (key, value) in entries {
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                canonical(value, out);
                out.push(',');
            }
            out.push('}');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// A canonical text of metadata that ignores key order (at any depth), so the same event sent
/// twice with its keys in a different order is recognised as the same event. The store hashes it.
pub fn canonical_metadata(metadata: &Map<String, Value>) -> String {
    let mut text = String::new();
    canonical(&Value::Object(metadata.clone()), &mut text);
    text
}

/// Formats unix seconds the way Intercom's event summaries do: `2014-01-16T23:12:21.000+00:00`.
pub fn iso8601_utc(seconds: i64) -> String {
    chrono::DateTime::from_timestamp(seconds, 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3f+00:00").to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn names_are_case_insensitive() {
        assert_eq!(event_name("  Placed-Order ").unwrap(), "placed-order");
        assert!(event_name(" ").is_err());
        assert!(event_name(&"a".repeat(256)).is_err());
    }

    #[test]
    fn intercom_metadata_example_is_accepted() {
        let m = map(json!({"order_date": 1392036272, "stripe_invoice": "inv_3434",
            "order_number": {"value": "3434-3434", "url": "https://example.org/orders/3434-3434"},
            "price": {"currency": "usd", "amount": 2999}, "paid": true}));
        assert_eq!(validate_event_metadata(&m), Ok(()));
    }

    #[test]
    fn bad_metadata_is_refused() {
        for bad in [
            json!({"deep": {"a": {"b": 1}}}),
            json!({"list": [1, 2]}),
            json!({"price": {"amount": 1.5, "currency": "usd"}}),
            json!({"link": {"url": 3, "value": "x"}}),
            json!({"long": "x".repeat(256)}),
            json!({"": 1}),
        ] {
            assert!(validate_event_metadata(&map(bad.clone())).is_err(), "{bad}");
        }
        let many: Map<String, Value> = (0..21).map(|i| (format!("k{i}"), json!(i))).collect();
        assert!(validate_event_metadata(&many).is_err());
        assert!(validate_event_metadata(&many.into_iter().take(20).collect()).is_ok());
    }

    #[test]
    fn fingerprints_ignore_key_order_only() {
        let a = map(json!({"a": 1, "b": {"url": "u", "value": "v"}}));
        let b = map(json!({"b": {"value": "v", "url": "u"}, "a": 1}));
        let c = map(json!({"a": 2, "b": {"url": "u", "value": "v"}}));
        assert_eq!(canonical_metadata(&a), canonical_metadata(&b));
        assert_ne!(canonical_metadata(&a), canonical_metadata(&c));
        assert_ne!(canonical_metadata(&map(json!({"a": "1"}))), canonical_metadata(&map(json!({"a": 1}))));
    }

    #[test]
    fn summary_times_look_like_intercoms() {
        assert_eq!(iso8601_utc(1389913941), "2014-01-16T23:12:21.000+00:00");
    }

    proptest! {
        #[test]
        fn flat_metadata_up_to_twenty_keys_is_accepted(entries in proptest::collection::btree_map("[a-z_]{1,12}", "\\PC{0,40}", 0..=20)) {
            let m: Map<String, Value> = entries.into_iter().map(|(k, v)| (k, json!(v))).collect();
            prop_assert!(validate_event_metadata(&m).is_ok());
        }

        #[test]
        fn any_event_name_normalises_idempotently(raw in "\\PC{1,50}") {
            if let Ok(name) = event_name(&raw) {
                prop_assert_eq!(event_name(&name).unwrap(), name.clone());
                prop_assert_eq!(name.clone(), name.to_lowercase());
            }
        }
    }
}
