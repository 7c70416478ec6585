//! Attachments: uploads (multipart field `file`, at most 10 MB, type checked by its bytes) and
//! downloads served so a browser can never run them (`nosniff`, `sandbox`, a download unless an
//! image). Teammates use `/api/attachments`; visitors `/messenger/attachments` (same rules).
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use rapport_core::attachment::{self, AttachmentError, MAX_ATTACHMENT_BYTES};
use rapport_core::ids::WorkspaceId;
use rapport_store::attachments::{self, Attachment, NewAttachment, Uploader};
use serde_json::{json, Value};
use utoipa_axum::routes;

use super::ApiRouter;
use crate::extract::{parse_id, Auth};
use crate::{AppError, AppResult, AppState};

/// The body limit of an upload request: the file plus room for the multipart framing.
pub const UPLOAD_BODY_LIMIT: usize = MAX_ATTACHMENT_BYTES + 64 * 1024;

pub fn routes() -> ApiRouter {
    ApiRouter::new()
        .routes(routes!(upload))
        .layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT))
        .merge(ApiRouter::new().routes(routes!(download)))
}

fn too_large() -> AppError {
    AppError::new(StatusCode::PAYLOAD_TOO_LARGE, "request_too_large", "attachments are at most 10 MB")
}

fn multipart_error(status: StatusCode, message: String) -> AppError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        too_large()
    } else {
        AppError::bad_request(format!("malformed multipart body: {message}"))
    }
}

/// The form of an upload (documentation only: [`receive`] reads the fields as they stream).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub(crate) struct UploadForm {
    /// The file, 1 byte to 10 MB.
    #[schema(value_type = String, format = Binary, min_length = 1)]
    file: Vec<u8>,
}

/// Reads the `file` field of an upload, checks it and stores it for `uploader`.
pub async fn receive(
    state: &AppState,
    workspace_id: WorkspaceId,
    uploader: Uploader,
    multipart: Result<Multipart, MultipartRejection>,
) -> AppResult<Attachment> {
    let mut multipart = multipart.map_err(|e| {
        AppError::new(StatusCode::BAD_REQUEST, "bad_request", format!("expected a multipart/form-data body: {e}"))
    })?;
    loop {
        let field = multipart.next_field().await.map_err(|e| multipart_error(e.status(), e.body_text()))?;
        let Some(field) = field else { return Err(AppError::missing("file")) };
        if field.name() != Some("file") {
            continue;
        }
        let name = field.file_name().unwrap_or("file").to_string();
        let claimed = field.content_type().map(str::to_string);
        let bytes = field.bytes().await.map_err(|e| multipart_error(e.status(), e.body_text()))?;
        let accepted = attachment::accept(&bytes, claimed.as_deref(), &name).map_err(|e| match e {
            AttachmentError::TooLarge => too_large(),
            AttachmentError::Empty => AppError::invalid("file", e.to_string()),
            AttachmentError::Unsupported => {
                AppError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", e.to_string())
            }
            AttachmentError::Mismatch(_) => {
                AppError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "content_type_mismatch", e.to_string())
            }
        })?;
        // The rest of the body is read too, so a malformed part after the file is refused.
        while multipart.next_field().await.map_err(|e| multipart_error(e.status(), e.body_text()))?.is_some() {}
        let new = NewAttachment { uploader, name: &accepted.name, content_type: accepted.content_type, bytes: &bytes };
        return Ok(attachments::create(&state.db, &state.config.attachments_dir, workspace_id, new).await?);
    }
}

/// An uploaded attachment as the upload answers it.
pub fn attachment_json(a: &Attachment, url: String) -> Value {
    json!({"id": a.id, "name": a.name, "content_type": a.content_type, "size": a.size, "url": url})
}

/// The file, with headers that keep browsers from interpreting it.
pub async fn serve(state: &AppState, a: &Attachment) -> AppResult<Response> {
    let bytes = attachments::read(&state.config.attachments_dir, a).await?;
    let content_type =
        HeaderValue::from_str(&a.content_type).unwrap_or(HeaderValue::from_static("application/octet-stream"));
    let disposition = if attachment::Accepted::is_image(&a.content_type) { "inline" } else { "attachment" };
    // Names are stored without quotes or control characters; non-ASCII goes in filename*.
    let ascii: String = a.name.chars().map(|c| if c.is_ascii() { c } else { '_' }).collect();
    let encoded: String = a
        .name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let disposition = format!("{disposition}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}");
    let mut response = (StatusCode::OK, bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, content_type);
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("sandbox"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=3600"));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

/// Uploads a file (multipart field `file`) for a teammate's next reply: images (PNG, JPEG, GIF,
/// WebP), PDF, plain text, CSV or ZIP, at most 10 MB, checked by content. Send it by passing its
/// id in `attachment_ids` of `POST /conversations/{id}/reply` as the same admin.
#[utoipa::path(post, path = "/attachments", tag = "Attachments",
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 201, description = "{id, name, content_type, size, url}"),
        (status = 413, description = "request_too_large"),
        (status = 415, description = "unsupported_media_type / content_type_mismatch")))]
async fn upload(
    State(state): State<AppState>,
    auth: Auth,
    multipart: Result<Multipart, MultipartRejection>,
) -> AppResult<(StatusCode, Json<Value>)> {
    auth.require_write()?;
    let a = receive(&state, auth.workspace_id(), Uploader::Admin(auth.admin.id), multipart).await?;
    let url = format!("{}/api/attachments/{}", state.config.public_url, a.id);
    Ok((StatusCode::CREATED, Json(attachment_json(&a, url))))
}

/// Downloads an attachment of the workspace.
#[utoipa::path(get, path = "/attachments/{id}", tag = "Attachments", params(("id" = String, Path)),
    responses((status = 200, description = "the file"), (status = 404, description = "not_found")))]
async fn download(State(state): State<AppState>, auth: Auth, Path(id): Path<String>) -> AppResult<Response> {
    let id = parse_id(&id, "attachment")?;
    let a = attachments::find(&state.db, auth.workspace_id(), id).await?;
    serve(&state, &a).await
}
