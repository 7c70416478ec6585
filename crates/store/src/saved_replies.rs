//! Saved replies (macros): named templates the inbox inserts into its composer. Bodies are
//! checked with [`rapport_core::template`] when saved, so a stored body always renders.
use rapport_core::attributes::Model;
use rapport_core::ids::{ContactId, ConversationId, WorkspaceId};
use rapport_core::template::{Template, Values, Variable};
use serde::Serialize;

use crate::admins::Admin;
use crate::{now, Conflict, Conn, Db, Named, OptionExt, Stmt, StoreError, StoreResult};

#[derive(Debug, Clone, Serialize, crate::Row)]
pub struct SavedReply {
    pub id: i64,
    pub workspace_id: WorkspaceId,
    pub name: String,
    pub body: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl SavedReply {
    /// The parsed body. Bodies are checked on save, so this only fails for rows written around us.
    pub fn template(&self) -> StoreResult<Template> {
        Template::parse(&self.body).map_err(|e| StoreError::Invalid(format!("body: {e}")))
    }
}

const COLUMNS: &str = "id, workspace_id, name, body, created_at, updated_at";
const MAX_NAME_CHARS: usize = 200;

/// A name and body, both required on create; `None` keeps the current value on update.
pub struct SavedReplyFields<'a> {
    pub name: Option<&'a str>,
    pub body: Option<&'a str>,
}

fn check_name(name: &str) -> StoreResult<&str> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(StoreError::invalid_field("name", format!("name must be 1 to {MAX_NAME_CHARS} characters")));
    }
    Ok(name)
}

/// A body must parse, and each custom attribute it names must be one of the workspace's
/// contact attributes, so a typo is caught when the reply is saved rather than sent.
async fn check_body<'a>(db: &Db, workspace_id: WorkspaceId, body: &'a str) -> StoreResult<&'a str> {
    if body.trim().is_empty() {
        return Err(StoreError::invalid_field("body", "body must not be empty"));
    }
    let template = Template::parse(body).map_err(|e| StoreError::invalid_field("body", format!("body: {e}")))?;
    let mut named = template.variables().filter_map(|v| match v {
        Variable::ContactCustomAttribute(name) => Some(name),
        _ => None,
    });
    if let Some(first) = named.next() {
        let defined = crate::data_attributes::list(db, workspace_id, Some(Model::Contact), true).await?;
        for name in std::iter::once(first).chain(named) {
            if !defined.iter().any(|a| &a.name == name) {
                return Err(StoreError::invalid_field("body", format!(
                    "body: unknown variable \"contact.custom_attributes.{name}\": no contact data attribute is named {name:?}"
                )));
            }
        }
    }
    Ok(body)
}

fn conflict_on_name(e: StoreError) -> StoreError {
    StoreError::unique_as(e, Conflict::DuplicateName(Named::SavedReply))
}

pub async fn create(db: &Db, workspace_id: WorkspaceId, fields: SavedReplyFields<'_>) -> StoreResult<SavedReply> {
    let name = check_name(fields.name.ok_or_else(|| StoreError::invalid_field("name", "name is required"))?)?;
    let body = fields.body.ok_or_else(|| StoreError::invalid_field("body", "body is required"))?;
    let body = check_body(db, workspace_id, body).await?;
    let sql = format!(
        "INSERT INTO saved_replies (workspace_id, name, body, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) \
         RETURNING {COLUMNS}"
    );
    let mut tx = db.begin().await?;
    let reply: SavedReply = tx
        .fetch_one(Stmt::new(sql).arg(workspace_id).arg(name).arg(body).arg(now()))
        .await
        .map_err(conflict_on_name)?;
    tx.commit().await?;
    Ok(reply)
}

pub async fn update(
    db: &Db,
    workspace_id: WorkspaceId,
    id: i64,
    fields: SavedReplyFields<'_>,
) -> StoreResult<SavedReply> {
    let name = fields.name.map(check_name).transpose()?;
    let body = match fields.body {
        Some(body) => Some(check_body(db, workspace_id, body).await?),
        None => None,
    };
    let current = find(db, workspace_id, id).await?;
    let sql = format!(
        "UPDATE saved_replies SET name = $3, body = $4, updated_at = $5 WHERE workspace_id = $1 AND id = $2 \
         RETURNING {COLUMNS}"
    );
    let update = Stmt::new(sql)
        .arg(workspace_id)
        .arg(id)
        .arg(name.unwrap_or(&current.name))
        .arg(body.unwrap_or(&current.body))
        .arg(now());
    let mut tx = db.begin().await?;
    let reply: SavedReply = tx.fetch_optional(update).await.map_err(conflict_on_name)?.or_not_found("saved_reply")?;
    tx.commit().await?;
    Ok(reply)
}

pub async fn find(db: &Db, workspace_id: WorkspaceId, id: i64) -> StoreResult<SavedReply> {
    let sql = format!("SELECT {COLUMNS} FROM saved_replies WHERE workspace_id = $1 AND id = $2");
    db.read().fetch_optional(Stmt::new(sql).arg(workspace_id).arg(id)).await?.or_not_found("saved_reply")
}

/// Every saved reply of the workspace, by name.
pub async fn list(db: &Db, workspace_id: WorkspaceId) -> StoreResult<Vec<SavedReply>> {
    let sql = format!("SELECT {COLUMNS} FROM saved_replies WHERE workspace_id = $1 ORDER BY name, id");
    db.read().fetch_all(Stmt::new(sql).arg(workspace_id)).await
}

pub async fn delete(db: &Db, workspace_id: WorkspaceId, id: i64) -> StoreResult<()> {
    let delete = Stmt::new("DELETE FROM saved_replies WHERE workspace_id = $1 AND id = $2").arg(workspace_id).arg(id);
    let mut tx = db.begin().await?;
    let deleted = tx.execute(delete).await?;
    tx.commit().await?;
    if deleted == 0 {
        return Err(StoreError::not_found("saved_reply"));
    }
    Ok(())
}

/// What a template may draw on for one conversation: its first contact, that contact's first
/// company, and the admin who is replying.
pub async fn template_values(
    db: &Db,
    workspace_id: WorkspaceId,
    conversation_id: ConversationId,
    admin: &Admin,
) -> StoreResult<Values> {
    crate::conversations::find(db, workspace_id, conversation_id).await?;
    let first_contact = Stmt::new(
        "SELECT contact_id FROM conversation_contacts WHERE workspace_id = $1 AND conversation_id = $2 \
         ORDER BY created_at, contact_id LIMIT 1",
    )
    .arg(workspace_id)
    .arg(conversation_id);
    let contact_id: Option<ContactId> = db.read().scalar_optional(first_contact).await?;
    let mut values = Values {
        admin_name: Some(admin.name.clone()),
        conversation_id: Some(conversation_id.to_string()),
        ..Values::default()
    };
    if let Some(contact_id) = contact_id {
        let contact = crate::contacts::find(db, workspace_id, contact_id).await?;
        let companies = crate::companies::list_for_contact(db, workspace_id, contact_id).await?;
        values.contact_custom_attributes = contact.custom_attributes_map();
        values.contact_name = contact.name;
        values.contact_email = contact.email;
        values.company_name = companies.into_iter().next().and_then(|c| c.name);
    }
    Ok(values)
}
