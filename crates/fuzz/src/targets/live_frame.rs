//! The WebSocket client frame parser of `/ws` and `/messenger/ws`
//! (`rapport_http::live::fuzzing::parse_frame`). Asserts the refusal codes and that a parsed
//! frame's canonical form parses to the same frame.
use rapport_http::live::fuzzing::parse_frame;

use crate::Target;

pub const TARGET: Target = Target {
    name: "live_frame",
    check,
    json: true,
    dictionary: &[
        r#""type":"#,
        r#""send""#,
        r#""note""#,
        r#""typing""#,
        r#""read""#,
        r#""subscribe""#,
        r#""presence""#,
        r#""ping""#,
        r#""conversation_id":"#,
        r#""client_id":"#,
        r#""body":"#,
        r#""attachment_ids":[1,"2"]"#,
        r#""conversations":"all""#,
        r#""part_id":null"#,
        r#""note":true"#,
    ],
};

pub fn check(data: &[u8]) {
    let text = crate::text(data);
    match parse_frame(&text) {
        Ok(frame) => {
            let canonical = frame.to_string();
            let again = parse_frame(&canonical)
                .unwrap_or_else(|e| panic!("the canonical form {canonical} of {text:?} was refused: {e:?}"));
            assert_eq!(again, frame, "the canonical form of {text:?} parses to another frame");
        }
        Err(refusal) => {
            // The protocol's refusal codes, REST's for the same fault (docs/REALTIME.md).
            let codes = ["bad_frame", "request_too_large", "parameter_invalid", "parameter_not_found"];
            assert!(codes.contains(&refusal.code), "unexpected code {refusal:?}");
            assert!(refusal.message.len() <= 4096, "an error message of {} bytes", refusal.message.len());
        }
    }
}
