//! `POST /messenger/boot` (who is this visitor: a lead, a resumed contact, or a verified user),
//! `POST /messenger/update` (their details and current page) and `POST /messenger/events`.
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use rapport_core::attributes;
use rapport_core::contact::{ContactRole, Email};
use rapport_core::conversation::ConversationState;
use rapport_core::identity::{sign_visitor_token, VisitorClaims};
use rapport_core::ids::{ContactId, TeamId, WorkspaceId};
use rapport_core::office_hours::expected_reply;
use rapport_store::contacts::{self, Contact, ContactFields};
use rapport_store::events::{self, NewEvent};
use rapport_store::workspaces::{self, Workspace};
use rapport_store::{conversations, event_log, messenger, now, StoreError};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::contact_json;
use super::identity::{self, Claimed};
use crate::extract::{ApiJson, BodyId};
use crate::visitor::{check_may_chat, visitor_from_token, Visitor};
use crate::{AppError, AppResult, AppState};

#[derive(Deserialize)]
pub(super) struct BootRequest {
    app_id: Option<String>,
    visitor_token: Option<String>,
    user_id: Option<BodyId>,
    email: Option<String>,
    user_hash: Option<String>,
    user_jwt: Option<String>,
    #[serde(flatten)]
    details: Details,
}

/// What a visitor may tell about themselves (boot and update).
#[derive(Deserialize, Default)]
pub(super) struct Details {
    name: Option<String>,
    phone: Option<String>,
    custom_attributes: Option<Map<String, Value>>,
    current_url: Option<String>,
}

/// A page URL: http(s), at most 2048 characters.
fn checked_url(raw: Option<&str>) -> AppResult<Option<String>> {
    let Some(url) = raw.map(str::trim).filter(|u| !u.is_empty()) else { return Ok(None) };
    let lower = url.to_ascii_lowercase();
    if url.len() > 2048 || !(lower.starts_with("http://") || lower.starts_with("https://")) {
        return Err(AppError::invalid("current_url", "current_url must be an http(s) URL of at most 2048 characters"));
    }
    Ok(Some(url.to_string()))
}

fn parse_email(raw: Option<&str>) -> AppResult<Option<Email>> {
    raw.map(|e| Email::parse(e).map_err(|err| AppError::invalid("email", err.to_string()))).transpose()
}

impl Details {
    fn fields(&self) -> ContactFields {
        ContactFields {
            name: self.name.clone().map(Some),
            phone: self.phone.clone().map(Some),
            custom_attributes: self.custom_attributes.clone(),
            ..Default::default()
        }
    }

    fn is_empty(&self) -> bool {
        self.name.is_none() && self.phone.is_none() && self.custom_attributes.is_none()
    }
}

/// Starts (or resumes) the messenger. See `docs/REALTIME.md` section 4.
pub(super) async fn boot(State(state): State<AppState>, ApiJson(req): ApiJson<BootRequest>) -> AppResult<Json<Value>> {
    let app_id =
        req.app_id.as_deref().map(str::trim).filter(|a| !a.is_empty()).ok_or_else(|| AppError::missing("app_id"))?;
    let workspace = match workspaces::find_by_app_id(&state.db, app_id).await {
        Err(StoreError::NotFound { .. }) => {
            return Err(AppError::not_found("app_not_found", "No messenger has this app_id"))
        }
        other => other?,
    };
    let url = checked_url(req.details.current_url.as_deref())?;
    let claimed = identity::resolve(
        &workspace,
        req.user_id.as_ref().map(|u| u.0.as_str()),
        req.email.as_deref(),
        req.user_hash.as_deref(),
        req.user_jwt.as_deref(),
        now(),
    )?;
    // A token that does not check out (stale, merged away, another workspace's) is ignored; a
    // blocked or archived contact's is refused.
    let previous = match req.visitor_token.as_deref().filter(|t| !t.is_empty()) {
        Some(token) => match visitor_from_token(&state, token).await {
            Err(refused) if refused.status == StatusCode::FORBIDDEN => return Err(refused),
            found => found.ok().filter(|v| v.workspace.id == workspace.id),
        },
        None => None,
    };
    let ws = workspace.id;
    // Only a verified claim, or a token issued for one, reaches a user (`visitor_from_token`
    // refuses any other token of a user): so the token below is a verified user's exactly when
    // the contact is a user.
    let contact = match claimed {
        Some(claimed) if claimed.verified => sign_in(&state, ws, claimed, &req.details, previous).await?,
        Some(claimed) => match previous {
            // A verified user whose page names them again without a signature stays signed in.
            Some(visitor) if visitor.verified_user && names(&visitor, &claimed, &state).await? => {
                resume(&state, ws, &visitor, &req.details).await?
            }
            // Anyone else who says who they are without proof stays a lead, with the claim noted.
            Some(visitor) if visitor.role == "lead" => {
                contacts::update(&state.db, ws, visitor.contact_id, claimed_fields(&claimed, &req.details)?).await?
            }
            _ => {
                let mut fields = claimed_fields(&claimed, &req.details)?;
                fields.role = Some(ContactRole::Lead);
                contacts::create(&state.db, ws, fields).await?
            }
        },
        None => match previous {
            Some(visitor) => resume(&state, ws, &visitor, &req.details).await?,
            None => {
                let mut fields = req.details.fields();
                fields.role = Some(ContactRole::Lead);
                contacts::create(&state.db, ws, fields).await?
            }
        },
    };
    messenger::touch(&state.db, ws, contact.id, url.as_deref()).await?;
    let verified_user = contact.role == "user";
    let claims =
        VisitorClaims { app_id: workspace.app_id.clone(), contact_id: contact.id, issued_at: now(), verified_user };
    let token = sign_visitor_token(&workspace.identity_secret, &claims);
    Ok(Json(json!({
        "visitor_token": token,
        "contact": contact_json(&contact),
        "workspace": workspace_json(&state, &workspace, contact.id).await?,
        "unread_count": unread_count(&state, ws, contact.id).await?,
        "seq": event_log::last_seq(&state.db, ws).await?,
    })))
}

/// A boot whose identity a valid `user_hash`/`user_jwt` vouched for: the user it names (found by
/// primary or verified identifier, else created), with the visitor's details. A lead's token
/// booting as the user merges the lead into them: their conversations move over.
async fn sign_in(
    state: &AppState,
    ws: WorkspaceId,
    claimed: Claimed,
    details: &Details,
    previous: Option<Visitor>,
) -> AppResult<Contact> {
    let email = parse_email(claimed.email.as_deref())?;
    let found = messenger::find_user(&state.db, ws, claimed.user_id.as_deref(), claimed.email.as_deref()).await?;
    let mut fields = details.fields();
    if email.is_some() {
        fields.email = Some(email);
    }
    let user = match found {
        Some(user) => {
            check_may_chat(&user)?;
            // Logged in under one of their further emails: the primary one stays.
            if let Some(Some(email)) = &fields.email {
                let further = contacts::identities::list(&state.db, ws, user.id).await?;
                if further.iter().any(|i| i.kind == "email" && i.value == email.as_str()) {
                    fields.email = None;
                }
            }
            contacts::update(&state.db, ws, user.id, fields).await?
        }
        None => {
            fields.role = Some(ContactRole::User);
            fields.external_id = Some(claimed.user_id.clone());
            contacts::create(&state.db, ws, fields).await?
        }
    };
    Ok(match previous {
        Some(lead) if lead.role == "lead" && lead.contact_id != user.id => {
            contacts::merge(&state.db, ws, lead.contact_id, user.id).await?
        }
        _ => user,
    })
}

/// The visitor's own contact again, with any details the boot brings.
async fn resume(state: &AppState, ws: WorkspaceId, visitor: &Visitor, details: &Details) -> AppResult<Contact> {
    Ok(if details.is_empty() {
        contacts::find(&state.db, ws, visitor.contact_id).await?
    } else {
        contacts::update(&state.db, ws, visitor.contact_id, details.fields()).await?
    })
}

/// Whether an unverified claim names the signed-in user the visitor already is (by user id when
/// it has one, else by email).
async fn names(visitor: &Visitor, claimed: &Claimed, state: &AppState) -> AppResult<bool> {
    let user = contacts::find(&state.db, visitor.workspace.id, visitor.contact_id).await?;
    Ok(match (&claimed.user_id, &claimed.email) {
        (Some(user_id), _) => user.external_id.as_deref() == Some(user_id.as_str()),
        (None, Some(email)) => user.email.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(email)),
        (None, None) => false,
    })
}

/// A lead's details with an unverified claim noted on it (it replaces any earlier claim).
fn claimed_fields(claimed: &Claimed, details: &Details) -> AppResult<ContactFields> {
    let mut fields = details.fields();
    fields.claimed_user_id = Some(claimed.user_id.clone());
    fields.claimed_email = Some(parse_email(claimed.email.as_deref())?);
    Ok(fields)
}

async fn workspace_json(state: &AppState, workspace: &Workspace, contact_id: ContactId) -> AppResult<Value> {
    let settings = workspaces::messenger_settings(&state.db, workspace.id).await?;
    // The clock of the team holding the visitor's latest open conversation (its own office hours
    // when it has them), else the workspace's.
    let recent = messenger::conversations_of(&state.db, workspace.id, contact_id, OPEN_LOOKBACK).await?;
    let open = recent.iter().find(|c| c.state == ConversationState::Open);
    let reply = expected_reply_of(state, workspace.id, open.and_then(|c| c.team_assignee_id)).await?;
    Ok(json!({
        "app_id": workspace.app_id,
        "name": workspace.name,
        "color": settings.messenger_color,
        "greeting": settings.messenger_greeting,
        "expected_reply": reply,
        "expected_reply_conversation_id": open.map(|c| c.id.to_string()),
    }))
}

/// How many of the visitor's latest conversations boot looks through for an open one.
const OPEN_LOOKBACK: i64 = 20;

/// When a reply can be expected from `team_id` (by its own office hours when it has them, else
/// the workspace's), with the workspace's usual reply time.
pub(super) async fn expected_reply_of(
    state: &AppState,
    workspace_id: WorkspaceId,
    team_id: Option<TeamId>,
) -> AppResult<Value> {
    let settings = workspaces::messenger_settings(&state.db, workspace_id).await?;
    let clock = rapport_store::sla::business_clock(&state.db, workspace_id, team_id).await?;
    Ok(json!(expected_reply(&clock, settings.reply_time_minutes, now())))
}

/// Admin messages the contact has not read, over all their conversations.
pub(super) async fn unread_count(state: &AppState, workspace_id: WorkspaceId, contact_id: ContactId) -> AppResult<i64> {
    let unread = conversations::unread_for_contact(&state.db, workspace_id, contact_id).await?;
    Ok(unread.iter().map(|(_, n)| n).sum())
}

#[derive(Deserialize)]
pub(super) struct UpdateRequest {
    email: Option<String>,
    #[serde(flatten)]
    details: Details,
}

/// Updates the visitor's name, email, phone, custom attributes and current page.
pub(super) async fn update(
    State(state): State<AppState>,
    visitor: Visitor,
    ApiJson(req): ApiJson<UpdateRequest>,
) -> AppResult<Json<Value>> {
    let url = checked_url(req.details.current_url.as_deref())?;
    let email = parse_email(req.email.as_deref())?;
    let ws = visitor.workspace.id;
    if visitor.role == "user" {
        // A signed-in user's email is part of who they are: it changes only where it is vouched
        // for (a boot with user_hash or user_jwt, or the REST API), never by the page alone.
        let current = contacts::find(&state.db, ws, visitor.contact_id).await?;
        let changes =
            email.as_ref().is_some_and(|e| !current.email.is_some_and(|c| c.eq_ignore_ascii_case(e.as_str())));
        if changes {
            return Err(AppError::invalid(
                "email",
                "a signed-in user's email changes only through a boot with user_hash or user_jwt, or the REST API",
            ));
        }
    }
    let mut fields = req.details.fields();
    if email.is_some() {
        fields.email = Some(email);
    }
    let contact: Contact = if req.details.is_empty() && fields.email.is_none() {
        contacts::find(&state.db, ws, visitor.contact_id).await?
    } else {
        contacts::update(&state.db, ws, visitor.contact_id, fields).await?
    };
    messenger::touch(&state.db, ws, contact.id, url.as_deref()).await?;
    Ok(Json(json!({"contact": contact_json(&contact)})))
}

#[derive(Deserialize)]
pub(super) struct EventRequest {
    event_name: Option<String>,
    metadata: Option<Value>,
}

/// Records a data event for the visitor (202, empty body).
pub(super) async fn events(
    State(state): State<AppState>,
    visitor: Visitor,
    ApiJson(req): ApiJson<EventRequest>,
) -> AppResult<StatusCode> {
    let name = req.event_name.as_deref().ok_or_else(|| AppError::missing("event_name"))?;
    attributes::event_name(name).map_err(|e| AppError::invalid("event_name", e.to_string()))?;
    let metadata = match req.metadata {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(map)) => map,
        Some(_) => return Err(AppError::invalid("metadata", "metadata must be an object")),
    };
    attributes::validate_event_metadata(&metadata).map_err(|e| AppError::invalid("metadata", e.to_string()))?;
    let new = NewEvent { contact_id: visitor.contact_id, event_name: name, created_at: now(), metadata: &metadata };
    events::record(&state.db, visitor.workspace.id, new).await?;
    Ok(StatusCode::ACCEPTED)
}
