//! The client frame parser as the fuzz targets (`fuzz/`, `crates/fuzz`) reach it: the frame types
//! stay private to the crate, so a parsed frame is handed out in a canonical JSON form.
use serde_json::{json, Value};

use super::frames::{self, ClientFrame, Subscription};

/// Why [`parse_frame`] refused a frame: its error frame's `code` and `message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameRefusal {
    pub code: &'static str,
    pub message: String,
}

/// Parses a text frame exactly as a socket does and returns it in canonical JSON: every field the
/// frame kind has, ids as strings, defaults filled in. Parsing the canonical form again gives the
/// same frame.
pub fn parse_frame(text: &str) -> Result<Value, FrameRefusal> {
    let frame = frames::parse(text).map_err(|e| FrameRefusal { code: e.code, message: e.message })?;
    let ids = |ids: &[crate::extract::BodyId]| ids.iter().map(|id| id.0.clone()).collect::<Vec<_>>();
    Ok(match frame {
        ClientFrame::Send { conversation_id, body, client_id, attachment_ids } => json!({"type": "send",
            "conversation_id": conversation_id.map(|id| id.0), "body": body, "client_id": client_id,
            "attachment_ids": ids(&attachment_ids)}),
        ClientFrame::Note { conversation_id, body, client_id, mentioned_admin_ids } => json!({"type": "note",
            "conversation_id": conversation_id.0, "body": body, "client_id": client_id,
            "mentioned_admin_ids": ids(&mentioned_admin_ids)}),
        ClientFrame::Typing { conversation_id, note } => {
            json!({"type": "typing", "conversation_id": conversation_id.0, "note": note})
        }
        ClientFrame::Read { conversation_id, part_id } => {
            json!({"type": "read", "conversation_id": conversation_id.0, "part_id": part_id.map(|id| id.0)})
        }
        ClientFrame::Subscribe { conversations: Subscription::All(_) } => {
            json!({"type": "subscribe", "conversations": "all"})
        }
        ClientFrame::Subscribe { conversations: Subscription::Only(only) } => {
            json!({"type": "subscribe", "conversations": ids(&only)})
        }
        ClientFrame::Presence { status } => json!({"type": "presence", "status": status}),
        ClientFrame::Ping {} => json!({"type": "ping"}),
    })
}
