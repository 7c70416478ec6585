//! Data events: submit an event for a contact (`202`, empty body), list a contact's events newest
//! first or as per-name summaries, and upload summaries of past events.
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use rapport_core::attributes;
use rapport_core::ids::ContactId;
use rapport_store::events::{self, ContactKey, ContactRef, EventSummary, NewEvent};
use serde::{Deserialize, Deserializer};
use serde_json::{json, Map, Value};
use utoipa_axum::routes;

use super::ApiRouter;
use crate::extract::{ApiJson, ApiQuery, Auth, BodyId};
use crate::pagination::{decode_cursor, encode_cursor, per_page};
use crate::{AppError, AppResult, AppState};

pub fn routes() -> ApiRouter {
    ApiRouter::new().routes(routes!(create_event, list_events)).routes(routes!(create_event_summaries))
}

/// The keys naming a contact, most specific first; an `id` that is not one of ours matches nothing.
fn contact_keys<'a>(id: Option<&'a str>, user_id: Option<&'a str>, email: Option<&'a str>) -> Vec<ContactKey<'a>> {
    let mut keys = Vec::new();
    if let Some(id) = id {
        keys.push(ContactKey::Id(id.trim().parse().unwrap_or(ContactId::new(0))));
    }
    if let Some(user_id) = user_id {
        keys.push(ContactKey::ExternalId(user_id));
    }
    if let Some(email) = email {
        keys.push(ContactKey::Email(email));
    }
    keys
}

fn no_identifier(names: &str) -> AppError {
    AppError::new(StatusCode::BAD_REQUEST, "parameter_not_found", format!("one of {names} is required"))
        .with_field("user_id")
}

/// Metadata may be absent or `null` (none) or an object; anything else is refused.
fn metadata_object<'de, D: Deserializer<'de>>(d: D) -> Result<Map<String, Value>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(map)) => Ok(map),
        Some(_) => Err(serde::de::Error::custom("metadata must be an object")),
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
struct CreateEventRequest {
    /// Case-insensitive; stored lower-cased.
    /// 1 to 255 characters (after trimming), none a control character.
    #[schema(
        required = true,
        nullable = false,
        max_length = 255,
        pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x1f\\x7f-\\x9f]*$"
    )]
    event_name: Option<String>,
    /// When it happened, unix seconds.
    #[schema(required = true, nullable = false, minimum = 1)]
    created_at: Option<i64>,
    /// The customer's id of the contact.
    user_id: Option<BodyId>,
    /// Our id of the contact.
    id: Option<BodyId>,
    email: Option<String>,
    /// At most 20 keys; strings (≤ 255 characters), numbers, `{url, value}` or `{amount, currency}`.
    #[serde(default, deserialize_with = "metadata_object")]
    #[schema(value_type = Object)]
    metadata: Map<String, Value>,
}

/// Submits an event for the contact named by `id`, `user_id` or `email`. Answers 202 with an
/// empty body; an identical event (same contact, name, time and metadata) is stored once.
#[utoipa::path(post, path = "/events", tag = "Data Events", request_body = CreateEventRequest,
    responses((status = 202, description = "accepted, empty body"), (status = 400, description = "parameter_invalid"),
        (status = 404, description = "User Not Found")))]
async fn create_event(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<CreateEventRequest>,
) -> AppResult<StatusCode> {
    auth.require_write()?;
    let name = body.event_name.as_deref().ok_or_else(|| AppError::missing("event_name"))?;
    let created_at = body.created_at.ok_or_else(|| AppError::missing("created_at"))?;
    attributes::event_name(name).map_err(|e| AppError::invalid("event_name", e.to_string()))?;
    if created_at <= 0 {
        return Err(AppError::invalid("created_at", "created_at must be a positive unix timestamp"));
    }
    attributes::validate_event_metadata(&body.metadata).map_err(|e| AppError::invalid("metadata", e.to_string()))?;
    let keys = contact_keys(
        body.id.as_ref().map(|i| i.0.as_str()),
        body.user_id.as_ref().map(|i| i.0.as_str()),
        body.email.as_deref(),
    );
    if keys.is_empty() {
        return Err(no_identifier("user_id, id or email"));
    }
    let contact = events::identify(&state.db, auth.workspace_id(), &keys).await?;
    let new = NewEvent { contact_id: contact.id, event_name: name, created_at, metadata: &body.metadata };
    events::record(&state.db, auth.workspace_id(), new).await?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ListParams {
    /// Must be `user`.
    #[serde(rename = "type")]
    #[param(rename = "type", required = true, pattern = "^user$")]
    kind: Option<String>,
    user_id: Option<String>,
    intercom_user_id: Option<String>,
    email: Option<String>,
    /// 1 to 150, default 50.
    #[param(minimum = 1, maximum = 150)]
    per_page: Option<i64>,
    /// Answer with per-name summaries instead of events.
    summary: Option<bool>,
    /// The cursor from a previous page's `pages.next` URL.
    #[param(pattern = "^-?[0-9]{1,18}:-?[0-9]{1,18}$")]
    before: Option<String>,
}

fn event_json(contact: &ContactRef, e: &events::Event) -> Value {
    json!({
        "type": "event",
        "id": e.id.to_string(),
        "event_name": e.event_name,
        "created_at": e.created_at,
        "user_id": contact.external_id,
        "intercom_user_id": contact.id.to_string(),
        "email": contact.email,
        "metadata": e.metadata,
    })
}

/// A contact's events, newest first (`event.list`), or with `summary=true` how often each event
/// happened and when first and last (`event.summary`).
#[utoipa::path(get, path = "/events", tag = "Data Events", params(ListParams),
    responses((status = 200, description = "event.list or event.summary"), (status = 404, description = "User Not Found")))]
async fn list_events(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(params): ApiQuery<ListParams>,
) -> AppResult<Json<Value>> {
    match params.kind.as_deref() {
        None => return Err(AppError::missing("type")),
        Some("user") => {}
        Some(_) => return Err(AppError::invalid("type", "type must be user")),
    }
    let limit = per_page(params.per_page)?;
    let before = match params.before.as_deref() {
        None => None,
        Some(cursor) => {
            let key = decode_cursor(cursor, 2)
                .map_err(|_| AppError::invalid("before", "before is not a cursor this server issued"))?;
            Some((key[0], key[1]))
        }
    };
    let keys = contact_keys(params.intercom_user_id.as_deref(), params.user_id.as_deref(), params.email.as_deref());
    if keys.is_empty() {
        return Err(no_identifier("user_id, intercom_user_id or email"));
    }
    let ws = auth.workspace_id();
    let contact = events::identify(&state.db, ws, &keys).await?;

    if params.summary.unwrap_or(false) {
        let summaries = events::summaries(&state.db, ws, contact.id).await?;
        let items: Vec<Value> = summaries
            .iter()
            .map(|s| {
                json!({
                    "name": s.name,
                    "first": attributes::iso8601_utc(s.first),
                    "last": attributes::iso8601_utc(s.last),
                    "count": s.count,
                    "description": "",
                })
            })
            .collect();
        return Ok(Json(json!({
            "type": "event.summary",
            "email": contact.email,
            "intercom_user_id": contact.id.to_string(),
            "user_id": contact.external_id,
            "events": items,
        })));
    }

    let mut page = events::list(&state.db, ws, contact.id, limit + 1, before).await?;
    let mut pages = json!({});
    if page.len() as i64 > limit {
        page.truncate(limit as usize);
        if let Some(last) = page.last() {
            // Absolute, so legacy SDKs can GET it as is; always by our id, whatever named the contact.
            pages["next"] = json!(format!(
                "{}/api/events?type=user&intercom_user_id={}&per_page={limit}&before={}",
                state.config.public_url.trim_end_matches('/'),
                contact.id,
                encode_cursor(&[last.created_at, last.id])
            ));
        }
    }
    let items: Vec<Value> = page.iter().map(|e| event_json(&contact, e)).collect();
    Ok(Json(json!({"type": "event.list", "events": items, "pages": pages})))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct SummaryItem {
    /// As `POST /events`' `event_name`.
    #[schema(
        max_length = 255,
        pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x1f\\x7f-\\x9f]*$"
    )]
    event_name: String,
    #[schema(minimum = 1)]
    count: i64,
    /// Unix seconds of the first occurrence.
    first: i64,
    /// Unix seconds of the last occurrence.
    last: i64,
}

/// One summary (Intercom's shape) or several.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
enum SummaryItems {
    One(SummaryItem),
    Many(Vec<SummaryItem>),
}

#[derive(Deserialize, utoipa::ToSchema)]
struct SummariesRequest {
    user_id: Option<BodyId>,
    id: Option<BodyId>,
    email: Option<String>,
    #[schema(required = true, nullable = false)]
    event_summaries: Option<SummaryItems>,
}

/// Uploads counts of events that happened elsewhere: each summary adds `count` occurrences of
/// `event_name` between `first` and `last` to the contact's event summaries (it is not expanded
/// into individual events). Answers 200 with an empty body.
#[utoipa::path(post, path = "/events/summaries", tag = "Data Events", request_body = SummariesRequest,
    responses((status = 200, description = "recorded, empty body"), (status = 404, description = "User Not Found")))]
async fn create_event_summaries(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<SummariesRequest>,
) -> AppResult<StatusCode> {
    auth.require_write()?;
    let items = match body.event_summaries.ok_or_else(|| AppError::missing("event_summaries"))? {
        SummaryItems::One(item) => vec![item],
        SummaryItems::Many(items) => items,
    };
    let summaries: Vec<EventSummary> = items
        .into_iter()
        .map(|i| EventSummary { name: i.event_name, first: i.first, last: i.last, count: i.count })
        .collect();
    let keys = contact_keys(
        body.id.as_ref().map(|i| i.0.as_str()),
        body.user_id.as_ref().map(|i| i.0.as_str()),
        body.email.as_deref(),
    );
    if keys.is_empty() {
        return Err(no_identifier("user_id, id or email"));
    }
    let contact = events::identify(&state.db, auth.workspace_id(), &keys).await?;
    events::add_summaries(&state.db, auth.workspace_id(), contact.id, &summaries).await?;
    Ok(StatusCode::OK)
}
