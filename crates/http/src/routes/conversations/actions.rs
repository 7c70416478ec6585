//! Replies (`/reply`), state changes and assignment (`/parts`), tags and assignment rules.
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::Json;
use rapport_core::conversation::Assignee;
use rapport_core::ids::AdminId;
use rapport_store::conversations::{self, Change, ContactRef, SendOptions};
use rapport_store::tags::{self, Target};
use serde::Deserialize;
use serde_json::{json, Value};

use super::full;
use super::json::{applied_tag_json, Display};
use crate::extract::{parse_id, ApiJson, Auth, BodyId};
use crate::{AppError, AppResult, AppState};

fn required_admin(admin_id: &Option<BodyId>) -> AppResult<AdminId> {
    admin_id.as_ref().ok_or_else(|| AppError::missing("admin_id"))?.parse("admin")
}

fn required_body(body: &Option<String>) -> AppResult<&str> {
    body.as_deref().filter(|b| !b.trim().is_empty()).ok_or_else(|| AppError::missing("body"))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub(super) struct ReplyRequest {
    /// `comment` or `note` (notes are for admins only).
    #[schema(required = true, nullable = false, pattern = "^(comment|note)$")]
    message_type: Option<String>,
    /// `user` (a contact) or `admin`.
    #[schema(required = true, nullable = false, pattern = "^(user|admin)$")]
    #[serde(rename = "type")]
    kind: Option<String>,
    admin_id: Option<BodyId>,
    /// Our contact id.
    intercom_user_id: Option<BodyId>,
    /// The contact's external id.
    user_id: Option<String>,
    email: Option<String>,
    #[schema(required = true, nullable = false, pattern = "\\S")]
    body: Option<String>,
    /// Rapport extension: ids from `POST /attachments` uploaded by the same admin, sent with
    /// this reply or note.
    #[schema(value_type = Option<Vec<String>>)]
    attachment_ids: Option<Vec<BodyId>>,
    /// Rapport extension, notes only: teammates the note @mentions (active admins of the
    /// workspace, at most 50). They are told live and find the conversation under
    /// `mentioned_admin_ids` in search.
    #[schema(value_type = Option<Vec<String>>)]
    mentioned_admin_ids: Option<Vec<BodyId>>,
}

/// A contact's reply, an admin's reply, or an admin's note. A contact must already take part in
/// the conversation, and names themselves with exactly one of `intercom_user_id`, `user_id` or
/// `email`; their reply reopens a closed or snoozed conversation.
#[utoipa::path(post, path = "/conversations/{id}/reply", tag = "Conversations", params(("id" = String, Path)),
    request_body = ReplyRequest,
    responses((status = 200, description = "conversation"), (status = 400, description = "parameter_invalid"),
        (status = 404, description = "not_found")))]
pub(super) async fn reply(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<ReplyRequest>,
) -> AppResult<Json<Value>> {
    auth.require_write()?;
    let id = parse_id(&id, "conversation")?;
    let message_type = req.message_type.as_deref().ok_or_else(|| AppError::missing("message_type"))?;
    if !["comment", "note"].contains(&message_type) {
        return Err(AppError::invalid("message_type", "message_type must be comment or note"));
    }
    let kind = req.kind.as_deref().ok_or_else(|| AppError::missing("type"))?;
    let body = required_body(&req.body)?;
    let change = match kind {
        "admin" => {
            let admin_id = required_admin(&req.admin_id)?;
            if message_type == "note" {
                Change::AdminNote { admin_id, body }
            } else {
                Change::AdminComment { admin_id, body }
            }
        }
        "user" | "contact" | "lead" => {
            if message_type != "comment" {
                return Err(AppError::invalid("message_type", "contacts can only reply with a comment"));
            }
            let contact = match (&req.intercom_user_id, &req.user_id, &req.email) {
                (Some(id), None, None) => ContactRef::Id(id.parse("contact")?),
                (None, Some(external_id), None) => ContactRef::ExternalId(external_id),
                (None, None, Some(email)) => ContactRef::Email(email),
                _ => {
                    return Err(AppError::invalid(
                        "intercom_user_id",
                        "give exactly one of intercom_user_id, user_id or email",
                    ))
                }
            };
            Change::ContactReply { contact, body }
        }
        _ => return Err(AppError::invalid("type", "type must be user or admin")),
    };
    let attachment_ids =
        req.attachment_ids.iter().flatten().map(|a| a.parse("attachment")).collect::<AppResult<Vec<i64>>>()?;
    // A malformed id is a bad value here (400), like an unknown one, rather than a missing admin.
    let mentioned_admin_ids = req
        .mentioned_admin_ids
        .iter()
        .flatten()
        .map(|a| {
            a.0.trim().parse::<AdminId>().map_err(|_| {
                AppError::invalid("mentioned_admin_ids", "mentioned_admin_ids must be ids of active teammates")
            })
        })
        .collect::<AppResult<Vec<AdminId>>>()?;
    if !mentioned_admin_ids.is_empty() && message_type != "note" {
        return Err(AppError::invalid("mentioned_admin_ids", "only a note can mention teammates"));
    }
    let options = SendOptions {
        attachment_ids: &attachment_ids,
        mentioned_admin_ids: &mentioned_admin_ids,
        ..Default::default()
    };
    conversations::send(&state.db, auth.workspace_id(), id, change, options).await?;
    full(&state, auth.workspace_id(), id, Display::Html).await
}

#[derive(Deserialize, utoipa::ToSchema)]
pub(super) struct PartsRequest {
    /// `close`, `open`, `snoozed` or `assignment`.
    #[schema(required = true, nullable = false, pattern = "^(close|open|snoozed|assignment)$")]
    message_type: Option<String>,
    /// `admin`; for an assignment, `admin` or `team` (what `assignee_id` names).
    #[serde(rename = "type")]
    kind: Option<String>,
    admin_id: Option<BodyId>,
    /// The admin or team to assign to; `0` unassigns.
    assignee_id: Option<BodyId>,
    body: Option<String>,
    /// Unix seconds in the future (for `snoozed`).
    snoozed_until: Option<i64>,
}

/// Closes (optionally with a farewell comment), opens, snoozes or assigns a conversation. The
/// part, the new state and the statistics are written together.
#[utoipa::path(post, path = "/conversations/{id}/parts", tag = "Conversations", params(("id" = String, Path)),
    request_body = PartsRequest,
    responses((status = 200, description = "conversation"), (status = 400, description = "parameter_invalid"),
        (status = 404, description = "not_found")))]
pub(super) async fn parts(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<PartsRequest>,
) -> AppResult<Json<Value>> {
    auth.require_write()?;
    let id = parse_id(&id, "conversation")?;
    let message_type = req.message_type.as_deref().ok_or_else(|| AppError::missing("message_type"))?;
    if message_type != "assignment" && req.kind.as_deref().is_some_and(|k| k != "admin") {
        return Err(AppError::invalid("type", "type must be admin"));
    }
    let body = req.body.as_deref().filter(|b| !b.trim().is_empty());
    let change = match message_type {
        "close" => Change::Close { admin_id: required_admin(&req.admin_id)?, body },
        "open" => Change::Open { admin_id: required_admin(&req.admin_id)? },
        "snoozed" => {
            let until = req.snoozed_until.ok_or_else(|| AppError::missing("snoozed_until"))?;
            if until <= rapport_store::now() {
                return Err(AppError::invalid("snoozed_until", "snoozed_until must be in the future"));
            }
            Change::Snooze { admin_id: required_admin(&req.admin_id)?, until }
        }
        "assignment" => {
            let to_team = match req.kind.as_deref() {
                Some("admin") => false,
                Some("team") => true,
                Some(_) => return Err(AppError::invalid("type", "type must be admin or team")),
                None => return Err(AppError::missing("type")),
            };
            let raw = req.assignee_id.as_ref().ok_or_else(|| AppError::missing("assignee_id"))?;
            let assignee = match (raw.0.trim() == "0", to_team) {
                (true, false) => Assignee::NoAdmin,
                (true, true) => Assignee::NoTeam,
                (false, false) => Assignee::Admin(raw.parse("admin")?),
                (false, true) => Assignee::Team(raw.parse("team")?),
            };
            Change::Assign { admin_id: required_admin(&req.admin_id)?, assignee, body }
        }
        _ => return Err(AppError::invalid("message_type", "message_type must be close, open, snoozed or assignment")),
    };
    conversations::reply_or_act(&state.db, auth.workspace_id(), id, change).await?;
    full(&state, auth.workspace_id(), id, Display::Html).await
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = ConversationTagRequest)]
pub(super) struct TagRequest {
    /// The tag's id.
    id: Option<BodyId>,
    admin_id: Option<BodyId>,
}

/// Tags a conversation; answers the tag with when and by whom it was applied.
#[utoipa::path(post, path = "/conversations/{id}/tags", tag = "Conversations", params(("id" = String, Path)),
    request_body = TagRequest,
    responses((status = 200, description = "tag"), (status = 404, description = "not_found / tag_not_found")))]
pub(super) async fn attach_tag(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<TagRequest>,
) -> AppResult<Json<Value>> {
    auth.require_write()?;
    let ws = auth.workspace_id();
    let id = parse_id(&id, "conversation")?;
    conversations::find(&state.db, ws, id).await?;
    let tag_id = req.id.as_ref().ok_or_else(|| AppError::missing("id"))?.parse("tag")?;
    let admin_id = required_admin(&req.admin_id)?;
    rapport_store::admins::find(&state.db, ws, admin_id).await?;
    let applied = tags::apply(&state.db, ws, tag_id, Target::Conversation, id.get(), Some(admin_id)).await?;
    Ok(Json(applied_tag_json(&applied)))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub(super) struct DetachRequest {
    admin_id: Option<BodyId>,
}

/// Removes a tag from a conversation. The body `{"admin_id": …}` Intercom sends is optional here.
#[utoipa::path(delete, path = "/conversations/{id}/tags/{tag_id}", tag = "Conversations",
    params(("id" = String, Path), ("tag_id" = String, Path)), request_body = DetachRequest,
    responses((status = 200, description = "tag"), (status = 404, description = "not_found / tag_not_found")))]
pub(super) async fn detach_tag(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, tag_id)): Path<(String, String)>,
    raw: Bytes,
) -> AppResult<Json<Value>> {
    auth.require_write()?;
    let ws = auth.workspace_id();
    let id = parse_id(&id, "conversation")?;
    let tag_id = parse_id(&tag_id, "tag")?;
    if !raw.is_empty() {
        let req: DetachRequest = serde_json::from_slice(&raw)
            .map_err(|e| AppError::new(axum::http::StatusCode::BAD_REQUEST, "parameter_invalid", e.to_string()))?;
        if let Some(admin_id) = req.admin_id {
            rapport_store::admins::find(&state.db, ws, admin_id.parse("admin")?).await?;
        }
    }
    conversations::find(&state.db, ws, id).await?;
    let tag = tags::remove(&state.db, ws, tag_id, Target::Conversation, id.get()).await?;
    Ok(Json(json!({"type": "tag", "id": tag.id.to_string(), "name": tag.name})))
}

/// Rapport extension: tags one part of a conversation (a customer's message, say); answers the
/// tag with when and by whom it was applied. The part shows it in its `tags`.
#[utoipa::path(post, path = "/conversations/{id}/parts/{part_id}/tags", tag = "Conversations",
    params(("id" = String, Path), ("part_id" = String, Path)), request_body = TagRequest,
    responses((status = 200, description = "tag"),
        (status = 404, description = "not_found (conversation, conversation_part, tag or admin)")))]
pub(super) async fn tag_part(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, part_id)): Path<(String, String)>,
    ApiJson(req): ApiJson<TagRequest>,
) -> AppResult<Json<Value>> {
    auth.require_write()?;
    let id = parse_id(&id, "conversation")?;
    let part_id = parse_id(&part_id, "conversation_part")?;
    let tag_id = req.id.as_ref().ok_or_else(|| AppError::missing("id"))?.parse("tag")?;
    let admin_id = required_admin(&req.admin_id)?;
    let applied = conversations::tag_part(&state.db, auth.workspace_id(), id, part_id, tag_id, admin_id).await?;
    Ok(Json(applied_tag_json(&applied)))
}

/// Rapport extension: removes a tag from one part of a conversation.
#[utoipa::path(delete, path = "/conversations/{id}/parts/{part_id}/tags/{tag_id}", tag = "Conversations",
    params(("id" = String, Path), ("part_id" = String, Path), ("tag_id" = String, Path)),
    responses((status = 200, description = "tag"), (status = 404, description = "not_found / tag_not_found")))]
pub(super) async fn untag_part(
    State(state): State<AppState>,
    auth: Auth,
    Path((id, part_id, tag_id)): Path<(String, String, String)>,
) -> AppResult<Json<Value>> {
    auth.require_write()?;
    let id = parse_id(&id, "conversation")?;
    let part_id = parse_id(&part_id, "conversation_part")?;
    let tag_id = parse_id(&tag_id, "tag")?;
    let tag = conversations::untag_part(&state.db, auth.workspace_id(), id, part_id, tag_id).await?;
    Ok(Json(json!({"type": "tag", "id": tag.id.to_string(), "name": tag.name})))
}

/// Runs the workspace's live assignment rules on a conversation now, with the calling admin as
/// the author of their actions, and answers the conversation afterwards (unchanged when no rules
/// are live or none matches).
#[utoipa::path(post, path = "/conversations/{id}/run_assignment_rules", tag = "Conversations",
    params(("id" = String, Path)),
    responses((status = 200, description = "conversation"), (status = 404, description = "not_found")))]
pub(super) async fn run_assignment_rules(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
) -> AppResult<Json<Value>> {
    auth.require_write()?;
    let id = parse_id(&id, "conversation")?;
    rapport_store::conversations::find(&state.db, auth.workspace_id(), id).await?;
    rapport_store::routing::run(&state.db, auth.workspace_id(), id, Some(auth.admin.id)).await?;
    full(&state, auth.workspace_id(), id, Display::Html).await
}
