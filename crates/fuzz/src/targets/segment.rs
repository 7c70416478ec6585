//! The Segment call parser (`rapport_core::segment::parse_batch`, `parse_single`): bodies of
//! `/v1/batch` and `/v1/<kind>` as Segment's libraries send them.
use rapport_core::segment::{self, Action, Kind, Request, MAX_BATCH_CALLS, MAX_ID_CHARS};

use crate::Target;

pub const TARGET: Target = Target {
    name: "segment",
    check,
    json: true,
    dictionary: &[
        r#""batch":"#,
        r#""type":"identify""#,
        r#""type":"track""#,
        r#""type":"page""#,
        r#""type":"group""#,
        r#""type":"alias""#,
        r#""userId":"#,
        r#""anonymousId":"#,
        r#""messageId":"#,
        r#""previousId":"#,
        r#""groupId":"#,
        r#""traits":{"email":"ann@example.com"}"#,
        r#""timestamp":"2026-03-03T10:00:00.000Z""#,
        r#""sentAt":"2026-03-03T10:00:01Z""#,
        r#""writeKey":"#,
        r#""context":{"page":{"url":"https://example.com/"}}"#,
    ],
};

/// When the server received the request: 2026-03-03T10:00:00Z.
const RECEIVED_AT_MS: i64 = 1_772_532_000_000;

pub fn check(data: &[u8]) {
    if let Ok(request) = segment::parse_batch(data, RECEIVED_AT_MS) {
        assert!(request.calls.len() <= MAX_BATCH_CALLS);
        assert_calls(&request);
    }
    for kind in Kind::ALL {
        if let Ok(request) = segment::parse_single(kind, data, RECEIVED_AT_MS) {
            assert_eq!(request.calls.len(), 1);
            if let Some(Ok(call)) = request.calls.first() {
                assert_eq!(call.kind, kind, "a single call takes its path's kind");
            }
            assert_calls(&request);
        }
    }
}

fn assert_calls(request: &Request) {
    for call in request.calls.iter().flatten() {
        let ids = [&call.user_id, &call.anonymous_id, &call.message_id];
        for id in ids.into_iter().flatten() {
            assert_id(id);
        }
        assert!(call.user_id.is_some() || call.anonymous_id.is_some(), "a call without an id: {call:?}");
        assert!(call.timestamp >= 1, "a call dated before 1970: {call:?}");
        match &call.action {
            Action::Alias { previous_id } => assert_id(previous_id),
            Action::Group { group_id, .. } => assert_id(group_id),
            Action::Track { event, .. } => assert!(!event.trim().is_empty()),
            _ => {}
        }
    }
}

fn assert_id(id: &str) {
    assert!(!id.is_empty() && id.chars().count() <= MAX_ID_CHARS, "a bad id {id:?}");
    assert!(!id.chars().any(char::is_control), "a control character in id {id:?}");
    assert_eq!(id, id.trim(), "an untrimmed id {id:?}");
}
