//! Data attributes: list the standard and custom attributes of contacts, companies and
//! conversations; create and update custom ones (admins and owners only).
use axum::extract::{Path, State};
use axum::Json;
use rapport_core::attributes::{builtins, BuiltinAttribute, DataType, Model};
use rapport_store::data_attributes::{self, DataAttribute, DataAttributeChanges, NewDataAttribute};
use rapport_store::{Conflict, StoreError};
use serde::{Deserialize, Deserializer};
use serde_json::{json, Value};
use utoipa_axum::routes;

use super::ApiRouter;
use crate::extract::{parse_id, ApiJson, ApiQuery, Auth};
use crate::{AppError, AppResult, AppState};

pub fn routes() -> ApiRouter {
    ApiRouter::new().routes(routes!(list_data_attributes, create_data_attribute)).routes(routes!(update_data_attribute))
}

/// The Intercom JSON of a custom attribute.
pub fn data_attribute_json(a: &DataAttribute) -> Value {
    json!({
        "id": a.id,
        "type": "data_attribute",
        "name": a.name,
        "full_name": format!("custom_attributes.{}", a.name),
        "label": a.label,
        "description": a.description.as_deref().unwrap_or(""),
        "data_type": a.data_type.as_str(),
        "options": a.options,
        "api_writable": true,
        "ui_writable": false,
        "messenger_writable": a.messenger_writable,
        "custom": true,
        "archived": a.archived,
        "admin_id": a.admin_id.map(|id| id.to_string()),
        "created_at": a.created_at,
        "updated_at": a.updated_at,
        "model": a.model.as_str(),
    })
}

/// The Intercom JSON of a standard attribute: no id, `custom: false`.
fn builtin_json(model: Model, b: &BuiltinAttribute) -> Value {
    json!({
        "type": "data_attribute",
        "name": b.name,
        "full_name": b.full_name,
        "label": b.label,
        "description": b.description,
        "data_type": b.data_type.as_str(),
        "api_writable": b.api_writable,
        "ui_writable": b.ui_writable,
        "messenger_writable": b.messenger_writable,
        "custom": false,
        "archived": false,
        "model": model.as_str(),
    })
}

fn parse_model(raw: &str) -> AppResult<Model> {
    raw.parse().map_err(|e: rapport_core::attributes::AttributeError| AppError::invalid("model", e.to_string()))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ListParams {
    /// `contact`, `company` or `conversation`; all models when absent.
    #[param(pattern = "^(contact|company|conversation)?$")]
    model: Option<String>,
    /// Include archived custom attributes (default false).
    include_archived: Option<bool>,
}

/// Lists the standard attributes of the model(s), then the custom ones.
#[utoipa::path(get, path = "/data_attributes", tag = "Data Attributes", params(ListParams),
    responses((status = 200, description = "list of data_attribute"), (status = 400, description = "parameter_invalid")))]
async fn list_data_attributes(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(params): ApiQuery<ListParams>,
) -> AppResult<Json<Value>> {
    let model = params.model.as_deref().filter(|m| !m.is_empty()).map(parse_model).transpose()?;
    let models: Vec<Model> = model.map(|m| vec![m]).unwrap_or_else(|| Model::ALL.to_vec());
    let mut data: Vec<Value> =
        models.iter().flat_map(|m| builtins(*m).iter().map(move |b| builtin_json(*m, b))).collect();
    let custom =
        data_attributes::list(&state.db, auth.workspace_id(), model, params.include_archived.unwrap_or(false)).await?;
    data.extend(custom.iter().map(data_attribute_json));
    Ok(Json(json!({"type": "list", "data": data})))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct OptionValue {
    value: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = DataAttributeCreateRequest)]
struct CreateRequest {
    #[schema(required = true, nullable = false, min_length = 1)]
    name: Option<String>,
    /// `contact` or `company` (Rapport also accepts `conversation`).
    #[schema(required = true, nullable = false, pattern = "^(contact|company|conversation)$")]
    model: Option<String>,
    /// `string`, `integer`, `float`, `boolean`, `datetime`, `date` or `options`.
    #[schema(required = true, nullable = false, pattern = "^(string|integer|float|boolean|datetime|date|options)$")]
    data_type: Option<String>,
    description: Option<String>,
    /// The choices of an `options` attribute (at least two).
    options: Option<Vec<OptionValue>>,
    messenger_writable: Option<bool>,
}

fn option_values(options: Option<Vec<OptionValue>>) -> Vec<String> {
    options.unwrap_or_default().into_iter().map(|o| o.value).collect()
}

/// Store refusals of a definition are all about the request's parameters: 400 `parameter_invalid`,
/// a duplicate name included (Intercom answers it that way, not with 409).
fn definition_error(error: StoreError) -> AppError {
    match error {
        StoreError::Conflict(conflict @ Conflict::AttributeNameTaken { .. }) => {
            AppError::invalid("name", conflict.to_string())
        }
        other => other.into(),
    }
}

/// Creates a custom attribute. Needs the admin role.
#[utoipa::path(post, path = "/data_attributes", tag = "Data Attributes", request_body = CreateRequest,
    responses((status = 200, description = "data_attribute"), (status = 400, description = "parameter_invalid"),
        (status = 403, description = "forbidden")))]
async fn create_data_attribute(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<CreateRequest>,
) -> AppResult<Json<Value>> {
    auth.require_manage()?;
    let name = body.name.as_deref().ok_or_else(|| AppError::missing("name"))?;
    let model = parse_model(body.model.as_deref().ok_or_else(|| AppError::missing("model"))?)?;
    let data_type: DataType = body
        .data_type
        .as_deref()
        .ok_or_else(|| AppError::missing("data_type"))?
        .parse()
        .map_err(|e: rapport_core::attributes::AttributeError| AppError::invalid("data_type", e.to_string()))?;
    if data_type == DataType::Options && body.options.as_ref().is_none_or(Vec::is_empty) {
        return Err(AppError::missing("options"));
    }
    let new = NewDataAttribute {
        model,
        name,
        data_type,
        description: body.description.as_deref(),
        options: option_values(body.options),
        messenger_writable: body.messenger_writable.unwrap_or(false),
        admin_id: Some(auth.admin.id),
    };
    let created = data_attributes::create(&state.db, auth.workspace_id(), new).await.map_err(definition_error)?;
    Ok(Json(data_attribute_json(&created)))
}

/// Distinguishes an absent field from an explicit `null`.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = DataAttributeUpdateRequest)]
struct UpdateRequest {
    /// `null` clears the description.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    description: Option<Option<String>>,
    /// Replaces the choices of an `options` attribute.
    options: Option<Vec<OptionValue>>,
    archived: Option<bool>,
    messenger_writable: Option<bool>,
    /// Cannot change; accepted only when equal to the current name.
    name: Option<String>,
    /// Cannot change; accepted only when equal to the current type.
    data_type: Option<String>,
    /// Cannot change; accepted only when equal to the current model.
    model: Option<String>,
}

/// Updates a custom attribute's description, options, archived or messenger_writable. The name,
/// model and data type cannot change (stored values were checked against them). Needs the
/// admin role.
#[utoipa::path(put, path = "/data_attributes/{id}", tag = "Data Attributes", params(("id" = String, Path)),
    request_body = UpdateRequest,
    responses((status = 200, description = "data_attribute"), (status = 400, description = "parameter_invalid"),
        (status = 404, description = "field_not_found")))]
async fn update_data_attribute(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<UpdateRequest>,
) -> AppResult<Json<Value>> {
    auth.require_manage()?;
    let id = parse_id(&id, "data_attribute")?;
    let ws = auth.workspace_id();
    let current = data_attributes::find(&state.db, ws, id).await?;
    let fixed = [
        ("name", body.name.as_deref(), current.name.as_str()),
        ("data_type", body.data_type.as_deref(), current.data_type.as_str()),
        ("model", body.model.as_deref(), current.model.as_str()),
    ];
    for (field, sent, stored) in fixed {
        if sent.is_some_and(|s| s != stored) {
            return Err(AppError::invalid(field, format!("the {field} of a data attribute cannot be changed")));
        }
    }
    let changes = DataAttributeChanges {
        description: body.description,
        options: body.options.map(|o| option_values(Some(o))),
        archived: body.archived,
        messenger_writable: body.messenger_writable,
    };
    let updated = data_attributes::update(&state.db, ws, id, changes).await.map_err(definition_error)?;
    Ok(Json(data_attribute_json(&updated)))
}
