//! The WebSocket frames of `docs/REALTIME.md` section 3: what clients may send, parsed strictly,
//! and what the server sends.
use rapport_core::conversation::AuthorType;
use rapport_core::event::EventKind;
use rapport_core::ids::{AdminId, ContactId, ConversationId};
use rapport_core::text::{nul_message, nul_path};
use rapport_store::event_log::Event;
use rapport_store::StoreError;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::extract::BodyId;

/// Largest client frame accepted, in bytes.
pub(crate) const MAX_FRAME_BYTES: usize = 64 * 1024;
/// Longest error frame message, in characters (a bad `type` would otherwise come back whole).
const MAX_ERROR_CHARS: usize = 500;

/// A frame a client sent.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum ClientFrame {
    Send {
        conversation_id: Option<BodyId>,
        body: String,
        client_id: String,
        #[serde(default)]
        attachment_ids: Vec<BodyId>,
    },
    Note {
        conversation_id: BodyId,
        body: String,
        client_id: String,
        /// Teammates the note @mentions (active admins of the workspace).
        #[serde(default)]
        mentioned_admin_ids: Vec<BodyId>,
    },
    Typing {
        conversation_id: BodyId,
        /// An agent writing an internal note rather than a reply.
        #[serde(default)]
        note: bool,
    },
    Read {
        conversation_id: BodyId,
        part_id: Option<BodyId>,
    },
    Subscribe {
        conversations: Subscription,
    },
    Presence {
        status: String,
    },
    Ping {},
}

/// Which conversations' events an agent socket receives.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(crate) enum Subscription {
    All(AllWord),
    Only(Vec<BodyId>),
}

/// The word `all`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum AllWord {
    All,
}

impl ClientFrame {
    /// The client id of a frame that carries one (echoed in its error frame).
    pub(crate) fn client_id(&self) -> Option<&str> {
        match self {
            ClientFrame::Send { client_id, .. } | ClientFrame::Note { client_id, .. } => Some(client_id),
            _ => None,
        }
    }
}

/// Why a frame was refused: the `code`, `message` and `field` of its error frame. A fault that
/// REST also has answers REST's code (`parameter_invalid`, `parameter_not_found`, `not_found`,
/// `forbidden`, `conflict`, `request_too_large`, `server_error`; docs/REALTIME.md lists them).
#[derive(Debug)]
pub(crate) struct FrameError {
    pub(crate) code: &'static str,
    pub(crate) message: String,
    pub(crate) field: Option<String>,
    /// The frame's `client_id` when it was refused before it was parsed into a [`ClientFrame`].
    pub(crate) client_id: Option<String>,
}

impl FrameError {
    /// The message is cut to [`MAX_ERROR_CHARS`]: parse errors quote the client's own text.
    pub(crate) fn new(code: &'static str, message: impl Into<String>) -> Self {
        let mut message: String = message.into();
        if let Some((cut, _)) = message.char_indices().nth(MAX_ERROR_CHARS) {
            message.truncate(cut);
            message.push('…');
        }
        Self { code, message, field: None, client_id: None }
    }

    /// Not a message of the protocol at all: not JSON, no known `type`, binary.
    pub(crate) fn bad_frame(message: impl Into<String>) -> Self {
        Self::new("bad_frame", message)
    }

    /// A field has a value we cannot accept (REST: `parameter_invalid`).
    pub(crate) fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self { field: Some(field.to_string()), ..Self::new("parameter_invalid", message) }
    }

    /// A required field is missing or blank (REST: `parameter_not_found`).
    pub(crate) fn missing(field: &str) -> Self {
        Self { field: Some(field.to_string()), ..Self::new("parameter_not_found", format!("{field} is required")) }
    }

    pub(crate) fn forbidden(message: impl Into<String>) -> Self {
        Self::new("forbidden", message)
    }

    pub(crate) fn not_found(entity: &str) -> Self {
        Self::new("not_found", format!("{entity} not found"))
    }

    pub(crate) fn to_frame(&self, client_id: Option<&str>) -> Value {
        let mut frame = json!({"type": "error", "code": self.code, "message": self.message});
        if let Some(field) = &self.field {
            frame["field"] = json!(field);
        }
        if let Some(client_id) = client_id.or(self.client_id.as_deref()) {
            frame["client_id"] = json!(client_id);
        }
        frame
    }
}

impl From<StoreError> for FrameError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound { entity } => FrameError::not_found(entity),
            StoreError::Conflict(conflict) => {
                let answer = crate::error::conflict_error(&conflict);
                FrameError::new(answer.code, answer.message)
            }
            StoreError::Invalid(message) | StoreError::InvalidField { message, .. } => {
                FrameError::new("parameter_invalid", message)
            }
            other => {
                tracing::error!(error = %other, "live: internal error");
                FrameError::new("server_error", "An internal error occurred; try again")
            }
        }
    }
}

/// Parses a text frame: too large, not JSON and unknown types are `bad_frame`; a NUL anywhere, a
/// field of the wrong type and a missing field are refused as REST refuses them.
pub(crate) fn parse(text: &str) -> Result<ClientFrame, FrameError> {
    if text.len() > MAX_FRAME_BYTES {
        return Err(FrameError::new("request_too_large", format!("frames are limited to {MAX_FRAME_BYTES} bytes")));
    }
    let value: Value = serde_json::from_str(text).map_err(|e| FrameError::bad_frame(format!("not JSON: {e}")))?;
    let Some(kind) = value.get("type").and_then(Value::as_str) else {
        return Err(FrameError::bad_frame("a frame is a JSON object with a string \"type\""));
    };
    if !KNOWN_TYPES.contains(&kind) {
        return Err(FrameError::bad_frame(format!(
            "unknown frame type {:?}",
            kind.chars().take(40).collect::<String>()
        )));
    }
    // Refusals from here on are about a message the client can identify by its client id.
    let client_id = value.get("client_id").and_then(Value::as_str).filter(|c| !c.contains('\0')).map(str::to_string);
    let refusal = |error: FrameError| FrameError { client_id: client_id.clone(), ..error };
    if let Some(field) = nul_path(&value) {
        return Err(refusal(FrameError::invalid(&field, nul_message(&field))));
    }
    serde_json::from_value(value).map_err(|e| refusal(field_error(&e.to_string())))
}

/// The `type`s of [`ClientFrame`].
const KNOWN_TYPES: &[&str] = &["send", "note", "typing", "read", "subscribe", "presence", "ping"];

/// A frame of a known type that does not fit it: serde's "missing field `x`" is
/// `parameter_not_found`, anything else (a wrong type) `parameter_invalid`.
fn field_error(message: &str) -> FrameError {
    let missing = message.strip_prefix("missing field `").and_then(|rest| rest.split_once('`')).map(|(f, _)| f);
    match missing {
        Some(field) => FrameError::missing(field),
        None => FrameError::new("parameter_invalid", message),
    }
}

/// An id in a frame; anything that is not one of ours is "not found".
pub(crate) fn id_of<T: From<i64>>(id: &BodyId, entity: &'static str) -> Result<T, FrameError> {
    id.0.trim().parse::<i64>().ok().filter(|id| *id > 0).map(T::from).ok_or_else(|| FrameError::not_found(entity))
}

/// A message body: required and not blank (REST: `parameter_not_found`).
pub(crate) fn body_of(body: &str) -> Result<&str, FrameError> {
    if body.trim().is_empty() {
        return Err(FrameError::missing("body"));
    }
    Ok(body)
}

/// A client id: required, 1 to 255 characters.
pub(crate) fn client_id_of(client_id: &str) -> Result<&str, FrameError> {
    if client_id.trim().is_empty() {
        return Err(FrameError::missing("client_id"));
    }
    if client_id.len() > 255 {
        return Err(FrameError::invalid("client_id", "client_id must be 1 to 255 characters"));
    }
    Ok(client_id)
}

pub(crate) fn hello(seq: i64, unread_count: Option<i64>) -> Value {
    let mut frame = json!({"type": "hello", "seq": seq});
    if let Some(count) = unread_count {
        frame["unread_count"] = json!(count);
    }
    frame
}

/// A log row as sockets need it, parsed and framed once per node whatever the number of sockets.
#[derive(Debug)]
pub(crate) struct LiveEvent {
    pub(crate) seq: i64,
    /// `None` for a kind this release does not write (an older release's row).
    pub(crate) kind: Option<EventKind>,
    pub(crate) conversation_id: Option<ConversationId>,
    pub(crate) for_everyone: bool,
    /// The conversation's contacts when the event was written.
    pub(crate) contact_ids: Vec<ContactId>,
    /// `data.part.author.type`, or `data.reader` as `(type, id)`, for the unread count.
    pub(crate) part_author_type: Option<AuthorType>,
    pub(crate) reader: Option<(String, i64)>,
    /// The `event` frame, serialized.
    pub(crate) frame: axum::extract::ws::Utf8Bytes,
}

impl From<&Event> for LiveEvent {
    fn from(event: &Event) -> Self {
        let payload = event.payload();
        let contact_ids = event.contact_ids();
        let part_author_type = payload["part"]["author"]["type"].as_str().and_then(|t| t.parse().ok());
        let reader = match (payload["reader"]["type"].as_str(), payload["reader"]["id"].as_i64()) {
            (Some(kind), Some(id)) => Some((kind.to_string(), id)),
            _ => None,
        };
        let frame = json!({"type": "event", "seq": event.seq, "kind": event.kind,
            "conversation_id": event.conversation_id, "data": payload});
        LiveEvent {
            seq: event.seq,
            kind: event.known_kind(),
            conversation_id: event.conversation_id,
            for_everyone: event.is_for_everyone(),
            contact_ids,
            part_author_type,
            reader,
            frame: frame.to_string().into(),
        }
    }
}

pub(crate) fn ack(client_id: &str, conversation_id: ConversationId, part: Value, seq: Option<i64>) -> Value {
    json!({"type": "ack", "client_id": client_id, "conversation_id": conversation_id, "part": part, "seq": seq})
}

pub(crate) fn typing(conversation_id: i64, author: &Value, note: bool) -> Value {
    json!({"type": "typing", "conversation_id": conversation_id, "author": author, "note": note})
}

pub(crate) fn presence(admin_id: AdminId, status: &str) -> Value {
    json!({"type": "presence", "admin_id": admin_id, "status": status})
}

pub(crate) fn unread(count: i64) -> Value {
    json!({"type": "unread", "count": count})
}

pub(crate) fn pong() -> Value {
    json!({"type": "pong"})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_frames_are_refused_precisely() {
        assert_eq!(parse("nope").unwrap_err().code, "bad_frame");
        assert_eq!(parse("[1]").unwrap_err().code, "bad_frame");
        assert_eq!(parse(r#"{"type":"launch"}"#).unwrap_err().code, "bad_frame");
        assert_eq!(parse(r#"{"type":"send","body":5,"client_id":"a"}"#).unwrap_err().code, "parameter_invalid");
        assert_eq!(parse(&"x".repeat(MAX_FRAME_BYTES + 1)).unwrap_err().code, "request_too_large");
        let missing = parse(r#"{"type":"send","body":"hi"}"#).unwrap_err();
        assert_eq!((missing.code, missing.field.as_deref()), ("parameter_not_found", Some("client_id")));
        let nul = parse(r#"{"type":"send","body":"a\u0000","client_id":"c"}"#).unwrap_err();
        assert_eq!((nul.code, nul.field.as_deref()), ("parameter_invalid", Some("body")));
        assert_eq!(nul.message, "body must not contain NUL characters");
        assert!(matches!(parse(r#"{"type":"ping"}"#), Ok(ClientFrame::Ping {})));
        assert!(matches!(
            parse(r#"{"type":"subscribe","conversations":"all"}"#),
            Ok(ClientFrame::Subscribe { conversations: Subscription::All(_) })
        ));
        assert!(matches!(
            parse(r#"{"type":"subscribe","conversations":[1,"2"]}"#),
            Ok(ClientFrame::Subscribe { conversations: Subscription::Only(ids) }) if ids.len() == 2
        ));
        assert_eq!(parse(r#"{"type":"subscribe","conversations":"some"}"#).unwrap_err().code, "parameter_invalid");
    }

    #[test]
    fn every_known_type_is_a_frame() {
        for kind in KNOWN_TYPES {
            let answer = parse(&format!(r#"{{"type":"{kind}"}}"#));
            assert!(answer.as_ref().err().is_none_or(|e| e.code != "bad_frame"), "{kind}: {answer:?}");
        }
    }

    #[test]
    fn an_error_quotes_at_most_a_bounded_part_of_the_frame() {
        // Found by the live_frame fuzz target: an unknown type of 60 KiB came back whole.
        // Whatever a frame's fault, its error message stays bounded.
        let huge = "\u{00E9}".repeat(30_000);
        for frame in [
            format!(r#"{{"type":"{huge}"}}"#),
            format!(r#"{{"type":"send","client_id":"c","body":"x","conversation_id":{{"{huge}":1}}}}"#),
            format!(r#"{{"type":"presence","status":"{huge}"}}"#),
        ] {
            if let Err(error) = parse(&frame) {
                assert!(error.message.chars().count() <= MAX_ERROR_CHARS + 1, "{}", error.code);
            }
        }
        let error = FrameError::new("bad_frame", huge);
        assert_eq!(error.message.chars().count(), MAX_ERROR_CHARS + 1);
        assert!(error.message.ends_with('…'));
    }
}
