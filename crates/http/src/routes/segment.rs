//! Segment's HTTP Tracking API under `/segment/v1/` (`identify`, `track`, `page`, `screen`,
//! `group`, `alias`, `batch`, and `import`, Segment's other name for `batch`), so Segment's own
//! libraries can send to Rapport. Authenticated by the workspace's write-only tracking key —
//! HTTP Basic with the key as user name, or `writeKey` in the body — which opens nothing else;
//! API tokens are not accepted here. Parsing and limits live in `rapport_core::segment`, the
//! writes in `rapport_store::segment`; see docs/API.md "Segment intake".
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use base64::Engine;
use rapport_core::ids::WorkspaceId;
use rapport_core::segment::{self, Kind, RequestError, MAX_BATCH_BYTES};
use rapport_store::segment::Outcome;
use serde_json::{json, Value};

use crate::{AppError, AppResult, AppState};

/// The intake routes (outside `/api`: the tracking key is not an API credential).
pub fn routes() -> Router<AppState> {
    let mut router = Router::new().route("/segment/v1/batch", post(batch)).route("/segment/v1/import", post(batch));
    for kind in Kind::ALL {
        let handler = move |state: State<AppState>, headers: HeaderMap, body: Result<Bytes, BytesRejection>| {
            single(kind, state, headers, body)
        };
        router = router.route(&format!("/segment/v1/{}", kind.as_str()), post(handler));
    }
    // Bodies a little over Segment's limits are read, so that they are refused as Segment
    // refuses them (400), not cut off by the API's general limit.
    router.layer(DefaultBodyLimit::max(2 * MAX_BATCH_BYTES))
}

fn received_at_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

fn too_large(message: impl Into<String>) -> AppError {
    AppError::new(StatusCode::BAD_REQUEST, "request_too_large", message)
}

fn request_error(error: RequestError) -> AppError {
    match error {
        RequestError::TooLarge { .. } | RequestError::CallTooLarge { .. } | RequestError::TooManyCalls => {
            too_large(error.to_string())
        }
        RequestError::Malformed(_) | RequestError::NotAnObject => AppError::bad_request(error.to_string()),
        RequestError::BatchNotAnArray => AppError::invalid("batch", error.to_string()),
        RequestError::WriteKeyNotAString => AppError::invalid("writeKey", error.to_string()),
    }
}

/// The body, refused before parsing when it is compressed or over every limit.
fn body_bytes(headers: &HeaderMap, body: Result<Bytes, BytesRejection>) -> AppResult<Bytes> {
    let encoding = headers.get(header::CONTENT_ENCODING).and_then(|v| v.to_str().ok()).unwrap_or("identity");
    if !encoding.trim().eq_ignore_ascii_case("identity") {
        return Err(AppError::bad_request(format!("Content-Encoding {encoding:?} is not supported: send plain JSON")));
    }
    body.map_err(|rejection| match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => too_large(format!("the request is over {MAX_BATCH_BYTES} bytes")),
        _ => AppError::bad_request(rejection.body_text()),
    })
}

/// The key of an `Authorization: Basic` header (`key:` or just `key`, base64), if one is sent.
fn basic_key(headers: &HeaderMap) -> AppResult<Option<String>> {
    let Some(value) = headers.get(header::AUTHORIZATION) else { return Ok(None) };
    let value = value.to_str().map_err(|_| AppError::unauthorized())?.trim();
    let Some((scheme, encoded)) = value.split_once(' ') else { return Ok(None) };
    if !scheme.eq_ignore_ascii_case("basic") {
        // Segment's OAuth mode sends a Bearer token with `writeKey` in the body; only the key counts.
        return Ok(None);
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(AppError::unauthorized)?;
    let key = decoded.split_once(':').map_or(decoded.as_str(), |(user, _)| user);
    Ok(Some(key.to_string()))
}

/// The workspace whose tracking key authenticates the request: the Basic header's key, else
/// the body's `writeKey`. A missing or unknown key is 401.
async fn workspace(state: &AppState, key: Option<&str>) -> AppResult<WorkspaceId> {
    let key = key.ok_or_else(AppError::unauthorized)?;
    rapport_store::segment::workspace_by_tracking_key(&state.db, key).await?.ok_or_else(AppError::unauthorized)
}

/// What every intake route does before it answers: authenticates (a key in the Basic header is
/// checked before the body is read, so a wrong key is 401 whatever the body), parses the body
/// with `parse`, and applies the calls for the key's workspace.
async fn apply(
    state: &AppState,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    parse: impl FnOnce(&[u8], i64) -> Result<segment::Request, RequestError>,
) -> AppResult<Intake> {
    let header_key = basic_key(headers)?;
    if let Some(key) = &header_key {
        workspace(state, Some(key)).await?;
    }
    let bytes = body_bytes(headers, body)?;
    let request = parse(&bytes, received_at_ms()).map_err(|error| match error {
        // Text we cannot hold (a lone surrogate, invalid UTF-8) is named like the API names it.
        RequestError::Malformed(_) => {
            crate::text::json_text_fault(&bytes).map_or_else(|| request_error(error), Into::into)
        }
        other => request_error(other),
    })?;
    let workspace_id = workspace(state, header_key.as_deref().or(request.write_key.as_deref())).await?;
    let outcomes = rapport_store::segment::apply(&state.db, workspace_id, &request.calls).await?;
    Ok(Intake { workspace_id, request, outcomes })
}

/// A request applied by [`apply`]: its calls' outcomes, in call order.
struct Intake {
    workspace_id: WorkspaceId,
    request: segment::Request,
    outcomes: Vec<Outcome>,
}

/// `POST /segment/v1/{identify,track,page,screen,group,alias}`: one call. Applied (or a retry
/// of one already applied) is `200 {"success": true}`; a call the data refuses is 400 and
/// changes nothing.
async fn single(
    kind: Kind,
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> AppResult<Json<Value>> {
    let intake = apply(&state, &headers, body, |bytes, at| segment::parse_single(kind, bytes, at)).await?;
    match intake.outcomes.into_iter().next() {
        Some(Outcome::Applied | Outcome::Duplicate) => Ok(Json(json!({"success": true}))),
        Some(Outcome::Refused { field, message }) => {
            let error = AppError::new(StatusCode::BAD_REQUEST, "parameter_invalid", message);
            Err(match field {
                Some(field) => error.with_field(field),
                None => error,
            })
        }
        None => Err(AppError::internal("a call without an outcome")),
    }
}

/// `POST /segment/v1/batch`: `{"batch": [call…]}`. Like Segment, a well-formed batch is
/// `200 {"success": true}` even when some calls are refused; those are listed in `refused`
/// (`index`, `messageId`, `field`, `message`) and nothing of them is written, while the others
/// are applied.
async fn batch(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> AppResult<Json<Value>> {
    let Intake { workspace_id, request, outcomes } = apply(&state, &headers, body, segment::parse_batch).await?;
    let (mut applied, mut duplicates, mut refused) = (0, 0, Vec::new());
    for (index, outcome) in outcomes.into_iter().enumerate() {
        match outcome {
            Outcome::Applied => applied += 1,
            Outcome::Duplicate => duplicates += 1,
            Outcome::Refused { field, message } => {
                let message_id = match &request.calls[index] {
                    Ok(call) => call.message_id.clone(),
                    Err(_) => None,
                };
                tracing::info!(workspace_id = workspace_id.get(), index, ?field, %message, "segment call refused");
                refused.push(json!({"index": index, "messageId": message_id, "field": field, "message": message}));
            }
        }
    }
    Ok(Json(json!({"success": true, "applied": applied, "duplicates": duplicates, "refused": refused})))
}
