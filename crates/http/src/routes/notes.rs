//! Notes on contacts: create, list (page numbers) and find.
use axum::extract::{Path, State};
use axum::Json;
use rapport_store::notes::{self, Note};
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa_axum::routes;

use super::ApiRouter;
use crate::extract::{parse_id, ApiJson, ApiQuery, Auth, BodyId};
use crate::pagination::{numbered_pages, PageParams};
use crate::{AppError, AppResult, AppState};

pub fn routes() -> ApiRouter {
    ApiRouter::new().routes(routes!(list_notes, create_note)).routes(routes!(find_note))
}

/// The Intercom `note` object.
pub fn note_json(n: &Note) -> Value {
    let author = n.admin_id.map(|id| {
        json!({
            "type": "admin",
            "id": id.to_string(),
            "name": n.admin_name,
            "email": n.admin_email,
            "away_mode_enabled": n.admin_away_mode_enabled.unwrap_or(false),
            "away_mode_reassign": n.admin_away_mode_reassign.unwrap_or(false),
        })
    });
    json!({
        "type": "note",
        "id": n.id.to_string(),
        "created_at": n.created_at,
        "contact": {"type": "contact", "id": n.contact_id.to_string()},
        "author": author,
        "body": n.body,
    })
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct NoteRequest {
    /// The note's text (HTML allowed; stored as given), not blank, at most 65,535 characters.
    #[schema(required = true, nullable = false, pattern = "\\S", max_length = 65535)]
    body: Option<String>,
    /// The teammate writing the note; defaults to the caller.
    admin_id: Option<BodyId>,
}

/// Adds a note to a contact.
#[utoipa::path(post, path = "/contacts/{id}/notes", tag = "Notes", params(("id" = String, Path)), request_body = NoteRequest,
    responses((status = 200, description = "note"), (status = 400, description = "parameter_invalid"),
        (status = 404, description = "not_found or admin_not_found")))]
async fn create_note(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NoteRequest>,
) -> AppResult<Json<Value>> {
    auth.require_write()?;
    let contact_id = parse_id(&id, "contact")?;
    let text = body.body.ok_or_else(|| AppError::missing("body"))?;
    let admin_id = match body.admin_id {
        Some(id) => id.parse("admin")?,
        None => auth.admin.id,
    };
    let note = notes::create(&state.db, auth.workspace_id(), contact_id, Some(admin_id), &text).await?;
    Ok(Json(note_json(&note)))
}

/// A contact's notes, newest first, by page number (a page past the end is empty).
#[utoipa::path(get, path = "/contacts/{id}/notes", tag = "Notes",
    params(("id" = String, Path), ("page" = Option<i64>, Query, minimum = 1), ("per_page" = Option<i64>, Query, minimum = 1, maximum = 150)),
    responses((status = 200, description = "list of notes"), (status = 404, description = "not_found")))]
async fn list_notes(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    ApiQuery(params): ApiQuery<PageParams>,
) -> AppResult<Json<Value>> {
    let (page, per_page) = params.validated()?;
    let contact_id = parse_id(&id, "contact")?;
    let (rows, total) = notes::list_for_contact(&state.db, auth.workspace_id(), contact_id, page, per_page).await?;
    Ok(Json(json!({
        "type": "list",
        "data": rows.iter().map(note_json).collect::<Vec<_>>(),
        "total_count": total,
        "pages": numbered_pages(page, per_page, total),
    })))
}

/// One note.
#[utoipa::path(get, path = "/notes/{id}", tag = "Notes", params(("id" = String, Path)),
    responses((status = 200, description = "note"), (status = 404, description = "not_found")))]
async fn find_note(State(state): State<AppState>, auth: Auth, Path(id): Path<String>) -> AppResult<Json<Value>> {
    let note = notes::find(&state.db, auth.workspace_id(), parse_id(&id, "note")?).await?;
    Ok(Json(note_json(&note)))
}
