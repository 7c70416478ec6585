//! Data attributes: the schema of custom attributes on contacts, companies and conversations.
//! Definitions are per workspace and model; their names are unique within a model (archived
//! ones included, so un-archiving can never collide). The value rules live in
//! `rapport_core::attributes`; this module applies them to stored definitions.
use rapport_core::attributes::{self, AttributeError, DataType, Model};
use rapport_core::ids::{AdminId, WorkspaceId};
use serde_json::{Map, Value};

use crate::{now, Conflict, Conn, Db, OptionExt, Stmt, StoreError, StoreResult};

/// One custom attribute definition.
#[derive(Debug, Clone)]
pub struct DataAttribute {
    pub id: i64,
    pub workspace_id: WorkspaceId,
    pub model: Model,
    pub name: String,
    pub label: String,
    pub description: Option<String>,
    pub data_type: DataType,
    /// The allowed values of an `options` attribute; empty for other types.
    pub options: Vec<String>,
    pub archived: bool,
    pub messenger_writable: bool,
    pub admin_id: Option<AdminId>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(crate::Row)]
struct Row {
    id: i64,
    workspace_id: WorkspaceId,
    model: String,
    name: String,
    label: String,
    description: Option<String>,
    data_type: String,
    options: String,
    archived: bool,
    messenger_writable: bool,
    admin_id: Option<AdminId>,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<Row> for DataAttribute {
    type Error = StoreError;
    fn try_from(r: Row) -> StoreResult<Self> {
        // Only this module writes these columns, so a bad value means a corrupted row.
        let corrupt = |what: &str| StoreError::Invalid(format!("data attribute {} has a corrupt {what}", r.id));
        Ok(DataAttribute {
            model: r.model.parse().map_err(|_| corrupt("model"))?,
            data_type: r.data_type.parse().map_err(|_| corrupt("data_type"))?,
            options: serde_json::from_str(&r.options).map_err(|_| corrupt("options"))?,
            id: r.id,
            workspace_id: r.workspace_id,
            name: r.name,
            label: r.label,
            description: r.description,
            archived: r.archived,
            messenger_writable: r.messenger_writable,
            admin_id: r.admin_id,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

/// A new custom attribute.
pub struct NewDataAttribute<'a> {
    pub model: Model,
    pub name: &'a str,
    pub data_type: DataType,
    pub description: Option<&'a str>,
    pub options: Vec<String>,
    pub messenger_writable: bool,
    /// The teammate creating it.
    pub admin_id: Option<AdminId>,
}

/// The changeable parts of a definition; `None` leaves a part as it is. Name, model and type
/// never change: values already stored were validated against them.
#[derive(Default)]
pub struct DataAttributeChanges {
    /// `Some(None)` clears the description.
    pub description: Option<Option<String>>,
    pub options: Option<Vec<String>>,
    pub archived: Option<bool>,
    pub messenger_writable: Option<bool>,
}

const COLUMNS: &str = "id, workspace_id, model, name, label, description, data_type, options, archived, \
                       messenger_writable, admin_id, created_at, updated_at";

fn invalid(e: AttributeError) -> StoreError {
    StoreError::Invalid(e.to_string())
}

fn valid_description(description: Option<&str>) -> StoreResult<()> {
    if description.is_some_and(|d| d.chars().count() > 1000) {
        return Err(StoreError::Invalid("description must be at most 1000 characters".into()));
    }
    Ok(())
}

fn options_json(options: &[String]) -> String {
    serde_json::to_string(options).unwrap_or_else(|_| "[]".into())
}

/// Creates a custom attribute. A name already used in the model (even by an archived attribute)
/// is a `Conflict`; a bad name, type/options mismatch or long description is `Invalid`.
pub async fn create(db: &Db, workspace_id: WorkspaceId, new: NewDataAttribute<'_>) -> StoreResult<DataAttribute> {
    attributes::validate_name(new.model, new.name).map_err(invalid)?;
    attributes::validate_options(new.data_type, &new.options).map_err(invalid)?;
    valid_description(new.description)?;
    let sql = format!(
        "INSERT INTO data_attributes (workspace_id, model, name, label, description, data_type, options, archived, \
         messenger_writable, admin_id, created_at, updated_at) \
         VALUES ($1, $2, $3, $3, $4, $5, $6, FALSE, $7, $8, $9, $9) RETURNING {COLUMNS}"
    );
    let insert = Stmt::new(sql)
        .arg(workspace_id)
        .arg(new.model.as_str())
        .arg(new.name)
        .arg(new.description)
        .arg(new.data_type.as_str())
        .arg(options_json(&new.options))
        .arg(new.messenger_writable)
        .arg(new.admin_id)
        .arg(now());
    let mut tx = db.begin().await?;
    let row: Row = tx.fetch_one(insert).await.map_err(|e| {
        StoreError::unique_as(e, Conflict::AttributeNameTaken { model: new.model, name: new.name.to_string() })
    })?;
    tx.commit().await?;
    row.try_into()
}

/// Changes a definition's description, options, archived flag or messenger_writable.
pub async fn update(
    db: &Db,
    workspace_id: WorkspaceId,
    id: i64,
    changes: DataAttributeChanges,
) -> StoreResult<DataAttribute> {
    let current = find(db, workspace_id, id).await?;
    if let Some(options) = &changes.options {
        attributes::validate_options(current.data_type, options).map_err(invalid)?;
    }
    if let Some(description) = &changes.description {
        valid_description(description.as_deref())?;
    }
    let description = changes.description.unwrap_or(current.description);
    let options = changes.options.unwrap_or(current.options);
    let sql = format!(
        "UPDATE data_attributes SET description = $3, options = $4, archived = $5, messenger_writable = $6, \
         updated_at = $7 WHERE workspace_id = $1 AND id = $2 RETURNING {COLUMNS}"
    );
    let update = Stmt::new(sql)
        .arg(workspace_id)
        .arg(id)
        .arg(description)
        .arg(options_json(&options))
        .arg(changes.archived.unwrap_or(current.archived))
        .arg(changes.messenger_writable.unwrap_or(current.messenger_writable))
        .arg(now());
    let mut tx = db.begin().await?;
    let row: Row = tx.fetch_optional(update).await?.or_not_found("data_attribute")?;
    tx.commit().await?;
    row.try_into()
}

/// One definition of this workspace.
pub async fn find(db: &Db, workspace_id: WorkspaceId, id: i64) -> StoreResult<DataAttribute> {
    let sql = format!("SELECT {COLUMNS} FROM data_attributes WHERE workspace_id = $1 AND id = $2");
    let row: Row =
        db.read().fetch_optional(Stmt::new(sql).arg(workspace_id).arg(id)).await?.or_not_found("data_attribute")?;
    row.try_into()
}

/// The custom attributes of the workspace, of one model or all, oldest first.
pub async fn list(
    db: &Db,
    workspace_id: WorkspaceId,
    model: Option<Model>,
    include_archived: bool,
) -> StoreResult<Vec<DataAttribute>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM data_attributes WHERE workspace_id = $1 AND ($2 = '' OR model = $2) \
         AND ($3 OR archived = FALSE) ORDER BY id"
    );
    let select = Stmt::new(sql).arg(workspace_id).arg(model.map(Model::as_str).unwrap_or("")).arg(include_archived);
    let rows: Vec<Row> = db.read().fetch_all(select).await?;
    rows.into_iter().map(DataAttribute::try_from).collect()
}

/// Checks a `custom_attributes` object against the workspace's attribute definitions for
/// Most custom attributes of one model that intake defines on its own ([`define_missing`]): past
/// it, unknown keys are refused as the REST API refuses them, so a sender cannot flood the schema.
pub const MAX_SELF_DEFINED: usize = 500;

/// Defines each key of `attributes` that `model` lacks, typed by its value
/// (`rapport_core::attributes::inferred_type`; a `null` defines nothing), for intake that defines
/// attributes as it meets them (Segment traits, as Intercom's Segment destination does). A bad
/// name is left undefined (the validation that follows names it); a name another request defined
/// meanwhile is fine. Returns the names defined.
pub async fn define_missing(
    db: &Db,
    workspace_id: WorkspaceId,
    model: Model,
    attributes: &Map<String, Value>,
) -> StoreResult<Vec<String>> {
    if attributes.is_empty() {
        return Ok(Vec::new());
    }
    let defined = list(db, workspace_id, Some(model), true).await?;
    let mut count = defined.len();
    let mut created = Vec::new();
    for (key, value) in attributes {
        if defined.iter().any(|a| &a.name == key) || count >= MAX_SELF_DEFINED {
            continue;
        }
        let Some(data_type) = attributes::inferred_type(value) else { continue };
        if attributes::validate_name(model, key).is_err() {
            continue;
        }
        let new = NewDataAttribute {
            model,
            name: key,
            data_type,
            description: Some("Defined by the Segment intake"),
            options: Vec::new(),
            messenger_writable: false,
            admin_id: None,
        };
        match create(db, workspace_id, new).await {
            Ok(_) => {
                count += 1;
                created.push(key.clone());
            }
            Err(StoreError::Conflict(Conflict::AttributeNameTaken { .. })) => {}
            Err(other) => return Err(other),
        }
    }
    Ok(created)
}

/// `model` (`contact`, `company` or `conversation`): every key must be a defined, unarchived
/// attribute, and every value must fit its data type. Returns `StoreError::Invalid` naming the
/// offending key otherwise. A `null` value clears the attribute, so it fits any type and is also
/// accepted for an archived attribute (clearing old data must stay possible).
pub async fn validate_custom_attributes(
    db: &Db,
    workspace_id: WorkspaceId,
    model: &str,
    attributes: &Map<String, Value>,
) -> StoreResult<()> {
    if attributes.is_empty() {
        return Ok(());
    }
    let model: Model = model.parse().map_err(invalid)?;
    let defined = list(db, workspace_id, Some(model), true).await?;
    for (key, value) in attributes {
        let Some(attribute) = defined.iter().find(|a| &a.name == key) else {
            return Err(StoreError::Invalid(format!(
                "custom attribute {key:?} does not exist on {model}: create it with POST /data_attributes first"
            )));
        };
        if value.is_null() {
            continue;
        }
        if attribute.archived {
            return Err(StoreError::Invalid(format!("custom attribute {key:?} is archived")));
        }
        attributes::validate_value(attribute.data_type, &attribute.options, value)
            .map_err(|e| StoreError::Invalid(format!("custom attribute {key:?}: {e}")))?;
    }
    Ok(())
}
