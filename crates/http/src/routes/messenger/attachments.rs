//! A visitor's uploads and downloads. A visitor may fetch what they uploaded and what was sent
//! in the public parts of their conversations; any other id is not found.
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use rapport_store::attachments::{self, Uploader};
use serde_json::Value;

use crate::extract::parse_id;
use crate::routes::attachments::{attachment_json, receive, serve};
use crate::visitor::Visitor;
use crate::{AppResult, AppState};

/// `POST /messenger/attachments` (multipart `file`) → 201 `{id, name, content_type, size, url}`.
pub(super) async fn upload(
    State(state): State<AppState>,
    visitor: Visitor,
    multipart: Result<Multipart, MultipartRejection>,
) -> AppResult<(StatusCode, Json<Value>)> {
    let a = receive(&state, visitor.workspace.id, Uploader::Contact(visitor.contact_id), multipart).await?;
    let url = format!("{}/messenger/attachments/{}", state.config.public_url, a.id);
    Ok((StatusCode::CREATED, Json(attachment_json(&a, url))))
}

/// `GET /messenger/attachments/{id}` (Bearer or `?token=`) → the file.
pub(super) async fn download(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let id = parse_id(&id, "attachment")?;
    let a = attachments::find_for_contact(&state.db, visitor.workspace.id, id, visitor.contact_id).await?;
    serve(&state, &a).await
}
