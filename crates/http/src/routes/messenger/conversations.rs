//! The visitor's conversations: list, start, read one (public parts only), reply, and read
//! receipts. Sends carry a `client_id`: a repeat stores nothing and answers 200 with the first
//! message instead of 201.
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use rapport_core::conversation::ConversationState;
use rapport_core::ids::{ContactId, ConversationId};
use rapport_store::conversations::{
    self, Change, ContactRef, Conversation, NewConversation, Reader, SendOptions, Sent, MAX_PARTS,
};
use rapport_store::messenger;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::extract::{parse_id, ApiJson, BodyId};
use crate::visitor::Visitor;
use crate::{AppError, AppResult, AppState};

/// Longest message body, in characters.
const MAX_BODY_CHARS: usize = 20_000;
/// Most attachments on one message.
const MAX_ATTACHMENTS: usize = 10;
/// Most conversations the list shows (newest first).
const LIST_LIMIT: i64 = 50;

#[derive(Deserialize)]
pub(super) struct SendRequest {
    body: Option<String>,
    client_id: Option<String>,
    attachment_ids: Option<Vec<BodyId>>,
}

/// A checked send: body, client id and attachment ids.
struct Message {
    body: String,
    client_id: String,
    attachment_ids: Vec<i64>,
}

impl SendRequest {
    fn check(self) -> AppResult<Message> {
        let client_id = self.client_id.map(|c| c.trim().to_string()).filter(|c| !c.is_empty());
        let client_id = client_id.ok_or_else(|| AppError::missing("client_id"))?;
        if client_id.chars().count() > 100 {
            return Err(AppError::invalid("client_id", "client_id must be at most 100 characters"));
        }
        let ids = self.attachment_ids.unwrap_or_default();
        if ids.len() > MAX_ATTACHMENTS {
            return Err(AppError::invalid("attachment_ids", "at most 10 attachments per message"));
        }
        let attachment_ids = ids.iter().map(|id| id.parse("attachment")).collect::<AppResult<Vec<_>>>()?;
        let body = self.body.unwrap_or_default();
        if body.trim().is_empty() && attachment_ids.is_empty() {
            return Err(AppError::missing("body"));
        }
        if body.chars().count() > MAX_BODY_CHARS {
            return Err(AppError::invalid("body", "body is too long (at most 20000 characters)"));
        }
        Ok(Message { body, client_id, attachment_ids })
    }

    fn options(message: &Message) -> SendOptions<'_> {
        SendOptions {
            client_id: Some(&message.client_id),
            attachment_ids: &message.attachment_ids,
            ..Default::default()
        }
    }
}

/// 201 for a new message, 200 for a replayed client id.
fn status_of(sent: &Sent) -> StatusCode {
    if sent.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    }
}

/// The conversation as the visitor sees it, with `expected_reply` (by the office hours of the
/// team holding it when that team has its own; null once closed).
async fn conversation_json(state: &AppState, c: &Conversation) -> AppResult<Value> {
    let (_, contacts) = conversations::receipts(&state.db, c.workspace_id, c.id).await?;
    let ids: Vec<ContactId> = contacts.iter().map(|(id, _)| *id).collect();
    let mut json = conversations::summary(c, &ids);
    let reply = if c.state == ConversationState::Closed {
        Value::Null
    } else {
        super::boot::expected_reply_of(state, c.workspace_id, c.team_assignee_id).await?
    };
    if let Value::Object(map) = &mut json {
        map.insert("expected_reply".into(), reply);
    }
    Ok(json)
}

/// The conversation when the visitor takes part in it; otherwise not found.
async fn visible(state: &AppState, visitor: &Visitor, raw_id: &str) -> AppResult<Conversation> {
    let id = parse_id(raw_id, "conversation")?;
    let ws = visitor.workspace.id;
    if !messenger::takes_part(&state.db, ws, id, visitor.contact_id).await? {
        return Err(crate::error::not_found_for("conversation"));
    }
    Ok(conversations::find(&state.db, ws, id).await?)
}

/// `GET /messenger/conversations`: the visitor's conversations, newest first.
pub(super) async fn list(State(state): State<AppState>, visitor: Visitor) -> AppResult<Json<Value>> {
    let ws = visitor.workspace.id;
    let rows = messenger::conversations_of(&state.db, ws, visitor.contact_id, LIST_LIMIT).await?;
    let ids: Vec<ConversationId> = rows.iter().map(|c| c.id).collect();
    let last_parts = conversations::last_public_parts(&state.db, ws, &ids).await?;
    let unread = conversations::unread_for_contact(&state.db, ws, visitor.contact_id).await?;
    let list: Vec<Value> = rows
        .iter()
        .map(|c| {
            json!({
                "id": c.id,
                "state": c.state,
                "updated_at": c.updated_at,
                "last_part": last_parts.iter().find(|p| p.conversation_id == c.id),
                "unread_count": unread.iter().find(|(id, _)| *id == c.id).map(|(_, n)| *n).unwrap_or(0),
            })
        })
        .collect();
    Ok(Json(json!({"conversations": list})))
}

/// `POST /messenger/conversations`: starts a conversation with the visitor's message.
pub(super) async fn start(
    State(state): State<AppState>,
    visitor: Visitor,
    ApiJson(req): ApiJson<SendRequest>,
) -> AppResult<Response> {
    let message = req.check()?;
    let new = NewConversation {
        contact_id: visitor.contact_id,
        body: &message.body,
        subject: None,
        created_at: None,
        options: SendRequest::options(&message),
    };
    let sent = conversations::create(&state.db, visitor.workspace.id, new).await?;
    let conversation = conversation_json(&state, &sent.conversation).await?;
    let body = json!({"conversation": conversation, "part": sent.parts.first()});
    Ok((status_of(&sent), Json(body)).into_response())
}

/// `GET /messenger/conversations/{id}`: the conversation with the parts a visitor sees.
pub(super) async fn show(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    let conversation = visible(&state, &visitor, &id).await?;
    let parts =
        conversations::live_parts(&state.db, conversation.workspace_id, conversation.id, true, 0, MAX_PARTS).await?;
    Ok(Json(json!({
        "conversation": conversation_json(&state, &conversation).await?,
        "parts": parts,
        "admin_last_read_part_id": conversation.admin_last_read_part_id,
    })))
}

/// `POST /messenger/conversations/{id}/messages`: the visitor's reply.
pub(super) async fn reply(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<SendRequest>,
) -> AppResult<Response> {
    let conversation = visible(&state, &visitor, &id).await?;
    let message = req.check()?;
    let change = Change::ContactReply { contact: ContactRef::Id(visitor.contact_id), body: &message.body };
    let sent = conversations::send(
        &state.db,
        conversation.workspace_id,
        conversation.id,
        change,
        SendRequest::options(&message),
    )
    .await?;
    Ok((status_of(&sent), Json(json!({"part": sent.parts.first()}))).into_response())
}

#[derive(Deserialize)]
pub(super) struct ReadRequest {
    part_id: Option<BodyId>,
}

/// `POST /messenger/conversations/{id}/read`: the visitor has seen the conversation (up to
/// `part_id`, else all of it). 204.
pub(super) async fn read(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> AppResult<StatusCode> {
    let conversation = visible(&state, &visitor, &id).await?;
    // The body is optional: `{}` or nothing reads everything.
    let req: ReadRequest = if body.iter().all(u8::is_ascii_whitespace) {
        ReadRequest { part_id: None }
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| AppError::new(StatusCode::BAD_REQUEST, "parameter_invalid", e.to_string()))?
    };
    let part_id = req.part_id.map(|p| p.parse("conversation_part")).transpose()?;
    conversations::mark_read(
        &state.db,
        conversation.workspace_id,
        conversation.id,
        Reader::Contact(visitor.contact_id),
        part_id,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
