//! Contacts: users (known by the customer's `external_id`) and leads. Create, update, delete,
//! cursor pages (plain and searched), archive/block, merges ([`merge`]), further identifiers
//! ([`identities`]), and the relations a page of contacts shows (tags, companies, notes,
//! identities) loaded a few queries per page rather than per row.
//!
//! A merged contact keeps its row (with `merged_into_id`) so old ids can be traced, but every read
//! here treats it as gone.
use rapport_core::event::EventKind;
use rapport_core::ids::{AdminId, ContactId, WorkspaceId};
use std::collections::HashMap;

use rapport_core::contact::{ContactRole, Email, IdentityKind};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::search::{SearchModel, SqlCondition};
use crate::tags::{AppliedTag, Target};
use crate::workspaces::Workspace;
use crate::{now, Conflict, Conn, Db, OptionExt, Stmt, StoreError, StoreResult, Tx};

pub mod identities;
mod merge;
mod relations;
#[cfg(feature = "testing")]
pub mod test_rows;

pub use identities::Identity;
pub(crate) use merge::merge_in;
pub use merge::{merge, merge_by, preview as preview_merge, MergeCounts, MergePreview};
pub use relations::{contacts_of_company, relations, Limited, Relations, INLINED};

#[derive(Debug, Clone, Serialize, crate::Row)]
pub struct Contact {
    pub id: ContactId,
    pub workspace_id: WorkspaceId,
    pub role: String,
    pub external_id: Option<String>,
    pub email: Option<String>,
    pub email_domain: Option<String>,
    pub phone: Option<String>,
    pub name: Option<String>,
    pub avatar: Option<String>,
    pub owner_id: Option<AdminId>,
    pub unsubscribed_from_emails: bool,
    pub has_hard_bounced: bool,
    pub marked_email_as_spam: bool,
    pub language_override: Option<String>,
    pub browser: Option<String>,
    pub browser_version: Option<String>,
    pub browser_language: Option<String>,
    pub os: Option<String>,
    pub location_country: Option<String>,
    pub location_region: Option<String>,
    pub location_city: Option<String>,
    pub location_country_code: Option<String>,
    pub location_continent_code: Option<String>,
    /// A JSON object, as text.
    pub custom_attributes: String,
    pub signed_up_at: Option<i64>,
    pub last_seen_at: Option<i64>,
    pub last_replied_at: Option<i64>,
    pub last_contacted_at: Option<i64>,
    pub last_email_opened_at: Option<i64>,
    pub last_email_clicked_at: Option<i64>,
    pub archived: bool,
    pub blocked: bool,
    pub merged_into_id: Option<ContactId>,
    /// The user id an unverified messenger boot claimed for this lead (never resolves anything).
    pub claimed_user_id: Option<String>,
    /// The email an unverified messenger boot claimed for this lead (never resolves anything).
    pub claimed_email: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Contact {
    /// The custom attributes as a JSON object (an unreadable document reads as empty).
    pub fn custom_attributes_map(&self) -> Map<String, Value> {
        serde_json::from_str(&self.custom_attributes).unwrap_or_default()
    }

    pub fn role(&self) -> ContactRole {
        self.role.parse().unwrap_or(ContactRole::User)
    }
}

pub(crate) const COLUMNS: &str = "id, workspace_id, role, external_id, email, email_domain, phone, name, avatar, \
    owner_id, unsubscribed_from_emails, has_hard_bounced, marked_email_as_spam, language_override, browser, \
    browser_version, browser_language, os, location_country, location_region, location_city, \
    location_country_code, location_continent_code, custom_attributes, signed_up_at, last_seen_at, \
    last_replied_at, last_contacted_at, last_email_opened_at, last_email_clicked_at, archived, blocked, \
    merged_into_id, claimed_user_id, claimed_email, created_at, updated_at";

/// What a create or update sets. `None` leaves a field alone; `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct ContactFields {
    pub role: Option<ContactRole>,
    pub external_id: Option<Option<String>>,
    pub email: Option<Option<Email>>,
    pub phone: Option<Option<String>>,
    pub name: Option<Option<String>>,
    pub avatar: Option<Option<String>>,
    pub signed_up_at: Option<Option<i64>>,
    pub last_seen_at: Option<Option<i64>>,
    pub owner_id: Option<Option<AdminId>>,
    pub unsubscribed_from_emails: Option<bool>,
    pub language_override: Option<Option<String>>,
    /// Merged key by key into the stored attributes.
    pub custom_attributes: Option<Map<String, Value>>,
    /// An identity an unverified messenger visitor claimed (see [`Contact::claimed_user_id`]).
    pub claimed_user_id: Option<Option<String>>,
    pub claimed_email: Option<Option<Email>>,
}

fn check_text(field: &str, value: &Option<Option<String>>, max: usize) -> StoreResult<()> {
    if let Some(Some(v)) = value {
        if v.chars().count() > max {
            return Err(StoreError::Invalid(format!("{field} is too long (at most {max} characters)")));
        }
    }
    Ok(())
}

fn check_time(field: &str, value: &Option<Option<i64>>) -> StoreResult<()> {
    if let Some(Some(v)) = value {
        if *v < 0 {
            return Err(StoreError::Invalid(format!("{field} must be a unix timestamp in seconds")));
        }
    }
    Ok(())
}

/// Checks every field against the data before anything is written. `self_id` is the contact
/// being updated (its own external id is not a conflict).
async fn validate(
    db: &Db,
    workspace_id: WorkspaceId,
    fields: &mut ContactFields,
    self_id: Option<ContactId>,
) -> StoreResult<()> {
    if let Some(Some(external_id)) = &mut fields.external_id {
        let trimmed = external_id.trim();
        if trimmed.is_empty() {
            return Err(StoreError::Invalid("external_id must not be empty".into()));
        }
        *external_id = trimmed.to_string();
    }
    check_text("external_id", &fields.external_id, 255)?;
    check_text("phone", &fields.phone, 64)?;
    check_text("name", &fields.name, 255)?;
    check_text("avatar", &fields.avatar, 2048)?;
    check_text("language_override", &fields.language_override, 32)?;
    check_text("claimed_user_id", &fields.claimed_user_id, 255)?;
    check_time("signed_up_at", &fields.signed_up_at)?;
    check_time("last_seen_at", &fields.last_seen_at)?;
    if let Some(Some(owner_id)) = fields.owner_id {
        crate::admins::find(db, workspace_id, owner_id)
            .await
            .map_err(|_| StoreError::Invalid(format!("owner_id {owner_id} is not a teammate of this workspace")))?;
    }
    if let Some(attributes) = &fields.custom_attributes {
        crate::data_attributes::validate_custom_attributes(db, workspace_id, "contact", attributes).await?;
    }
    if let Some(Some(external_id)) = &fields.external_id {
        if let Ok(existing) = find_by_external_id(db, workspace_id, external_id).await {
            if Some(existing.id) != self_id {
                return Err(duplicate(existing.id));
            }
        }
    }
    // External ids are unique: not another contact's verified further external id either. (Primary
    // emails and phones never were unique, so they are not checked against identities: that
    // would also tell an anonymous messenger visitor which addresses belong to someone.)
    if let Some(Some(external_id)) = &fields.external_id {
        if let Some(holder) =
            identities::other_holder(db, workspace_id, IdentityKind::ExternalId, external_id, self_id).await?
        {
            return Err(duplicate(holder));
        }
    }
    Ok(())
}

/// Drops the contact's further identifiers that are now its primaries (an identifier is either).
const DROP_PROMOTED_IDENTITIES: &str = "DELETE FROM contact_identities WHERE workspace_id = $1 AND contact_id = $2 \
    AND ((kind = 'email' AND value = LOWER($3)) OR (kind = 'phone' AND value = $4) \
    OR (kind = 'external_id' AND value = $5))";

fn duplicate(id: ContactId) -> StoreError {
    Conflict::ContactExists { id }.into()
}

fn conflict_on_external_id(e: StoreError) -> StoreError {
    StoreError::unique_as(e, Conflict::ExternalIdTaken)
}

/// Creates a contact; the role defaults to `user`. A new contact has nothing linked to it (no tags,
/// companies, notes or further identities: its [`Relations`] are the default).
pub async fn create(db: &Db, workspace_id: WorkspaceId, mut fields: ContactFields) -> StoreResult<Contact> {
    validate(db, workspace_id, &mut fields, None).await?;
    let mut tx = db.begin().await?;
    let contact = insert(&mut tx, workspace_id, fields).await?;
    tx.commit().await?;
    Ok(contact)
}

/// Inside `tx`: writes a new contact (the role defaults to `user`) with its `contact.created`
/// event. The fields must be valid ([`validate`]); an external id taken meanwhile is a conflict.
/// Shared with the Segment intake.
pub(crate) async fn insert(tx: &mut Tx, workspace_id: WorkspaceId, fields: ContactFields) -> StoreResult<Contact> {
    let email = fields.email.flatten();
    let attributes = Value::Object(fields.custom_attributes.unwrap_or_default()).to_string();
    let sql = format!(
        "INSERT INTO contacts (workspace_id, role, external_id, email, email_domain, phone, name, avatar, \
         signed_up_at, last_seen_at, owner_id, unsubscribed_from_emails, language_override, custom_attributes, \
         claimed_user_id, claimed_email, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $16, $17, $15, $15) \
         RETURNING {COLUMNS}"
    );
    let insert = Stmt::new(sql)
        .arg(workspace_id)
        .arg(fields.role.unwrap_or(ContactRole::User).as_str())
        .arg(fields.external_id.flatten())
        .arg(email.as_ref().map(|e| e.as_str().to_string()))
        .arg(email.as_ref().map(|e| e.domain().to_string()))
        .arg(fields.phone.flatten())
        .arg(fields.name.flatten())
        .arg(fields.avatar.flatten())
        .arg(fields.signed_up_at.flatten())
        .arg(fields.last_seen_at.flatten())
        .arg(fields.owner_id.flatten())
        .arg(fields.unsubscribed_from_emails.unwrap_or(false))
        .arg(fields.language_override.flatten())
        .arg(attributes)
        .arg(now())
        .arg(fields.claimed_user_id.flatten())
        .arg(fields.claimed_email.flatten().map(|e| e.as_str().to_string()));
    let contact: Contact = tx.fetch_one(insert).await.map_err(conflict_on_external_id)?;
    let event = crate::event_log::NewEvent {
        workspace_id,
        kind: EventKind::ContactCreated,
        conversation_id: None,
        audience: crate::event_log::Audience::Admins,
        payload: serde_json::json!({"contact": {"id": contact.id, "role": contact.role}}),
        created_at: contact.created_at,
    };
    crate::event_log::append(tx, &event).await?;
    Ok(contact)
}

/// Updates the given fields; custom attributes are merged key by key into the stored ones.
pub async fn update(
    db: &Db,
    workspace_id: WorkspaceId,
    id: ContactId,
    mut fields: ContactFields,
) -> StoreResult<Contact> {
    let current = find(db, workspace_id, id).await?;
    validate(db, workspace_id, &mut fields, Some(id)).await?;
    let role = match fields.role {
        Some(next) => current.role().change_to(next).map_err(|e| StoreError::Invalid(e.to_string()))?,
        None => current.role(),
    };
    let (email, email_domain) = match fields.email {
        Some(Some(e)) => (Some(e.as_str().to_string()), Some(e.domain().to_string())),
        Some(None) => (None, None),
        None => (current.email.clone(), current.email_domain.clone()),
    };
    let mut attributes = current.custom_attributes_map();
    attributes.extend(fields.custom_attributes.unwrap_or_default());
    let sql = format!(
        "UPDATE contacts SET role = $3, external_id = $4, email = $5, email_domain = $6, phone = $7, name = $8, \
         avatar = $9, signed_up_at = $10, last_seen_at = $11, owner_id = $12, unsubscribed_from_emails = $13, \
         language_override = $14, custom_attributes = $15, updated_at = $16, claimed_user_id = $17, \
         claimed_email = $18 WHERE workspace_id = $1 AND id = $2 AND merged_into_id IS NULL RETURNING {COLUMNS}"
    );
    let update = Stmt::new(sql)
        .arg(workspace_id)
        .arg(id)
        .arg(role.as_str())
        .arg(fields.external_id.unwrap_or(current.external_id))
        .arg(email)
        .arg(email_domain)
        .arg(fields.phone.unwrap_or(current.phone))
        .arg(fields.name.unwrap_or(current.name))
        .arg(fields.avatar.unwrap_or(current.avatar))
        .arg(fields.signed_up_at.unwrap_or(current.signed_up_at))
        .arg(fields.last_seen_at.unwrap_or(current.last_seen_at))
        .arg(fields.owner_id.unwrap_or(current.owner_id))
        .arg(fields.unsubscribed_from_emails.unwrap_or(current.unsubscribed_from_emails))
        .arg(fields.language_override.unwrap_or(current.language_override))
        .arg(Value::Object(attributes).to_string())
        .arg(now())
        .arg(fields.claimed_user_id.unwrap_or(current.claimed_user_id))
        .arg(match fields.claimed_email {
            Some(email) => email.map(|e| e.as_str().to_string()),
            None => current.claimed_email,
        });
    let mut tx = db.begin().await?;
    let contact: Contact = tx.fetch_optional(update).await.map_err(conflict_on_external_id)?.or_not_found("contact")?;
    tx.execute(
        Stmt::new(DROP_PROMOTED_IDENTITIES)
            .arg(workspace_id)
            .arg(contact.id)
            .arg(&contact.email)
            .arg(&contact.phone)
            .arg(&contact.external_id),
    )
    .await?;
    tx.commit().await?;
    Ok(contact)
}

/// Inside `tx`: the contact (a lead, or a user without one) takes `external_id` and becomes a
/// user, as an [`update`] of those two fields does. Shared with the Segment intake (an identify
/// or alias naming a visitor's lead by a new user id).
pub(crate) async fn promote_to_user(
    tx: &mut Tx,
    workspace_id: WorkspaceId,
    id: ContactId,
    external_id: &str,
) -> StoreResult<()> {
    let promote = Stmt::new(
        "UPDATE contacts SET role = 'user', external_id = $3, updated_at = $4 \
         WHERE workspace_id = $1 AND id = $2 AND merged_into_id IS NULL",
    )
    .arg(workspace_id)
    .arg(id)
    .arg(external_id)
    .arg(now());
    if tx.execute(promote).await.map_err(conflict_on_external_id)? == 0 {
        return Err(StoreError::not_found("contact"));
    }
    let drop = Stmt::new(DROP_PROMOTED_IDENTITIES)
        .arg(workspace_id)
        .arg(id)
        .arg(None::<String>)
        .arg(None::<String>)
        .arg(external_id);
    tx.execute(drop).await?;
    Ok(())
}

/// A live (not merged) contact of the workspace.
pub async fn find(db: &Db, workspace_id: WorkspaceId, id: ContactId) -> StoreResult<Contact> {
    let sql = format!("SELECT {COLUMNS} FROM contacts WHERE workspace_id = $1 AND id = $2 AND merged_into_id IS NULL");
    db.read().fetch_optional(Stmt::new(sql).arg(workspace_id).arg(id)).await?.or_not_found("contact")
}

pub async fn find_by_external_id(db: &Db, workspace_id: WorkspaceId, external_id: &str) -> StoreResult<Contact> {
    let sql = format!(
        "SELECT {COLUMNS} FROM contacts WHERE workspace_id = $1 AND external_id = $2 AND merged_into_id IS NULL"
    );
    db.read().fetch_optional(Stmt::new(sql).arg(workspace_id).arg(external_id)).await?.or_not_found("contact")
}

/// The live contact an email address belongs to, if any: as its primary email or as a verified
/// further identifier ([`identities`]); users before leads, primaries before further identifiers,
/// then the oldest. Matching is case-insensitive. This is the one lookup every channel uses to
/// recognise a customer by email (the messenger, inbound mail, Segment).
pub async fn find_by_email(db: &Db, workspace_id: WorkspaceId, email: &Email) -> StoreResult<Option<Contact>> {
    by_email(&mut db.read(), workspace_id, email).await
}

/// [`find_by_email`] on `conn` (a transaction sees its own writes).
pub(crate) async fn by_email(
    conn: &mut impl Conn,
    workspace_id: WorkspaceId,
    email: &Email,
) -> StoreResult<Option<Contact>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM contacts WHERE workspace_id = $1 AND merged_into_id IS NULL AND (LOWER(email) = $2 \
         OR id IN ({VERIFIED_EMAIL_HOLDERS})) ORDER BY CASE WHEN role = 'user' THEN 0 ELSE 1 END, \
         CASE WHEN LOWER(email) = $2 THEN 0 ELSE 1 END, id LIMIT 1"
    );
    conn.fetch_optional(Stmt::new(sql).arg(workspace_id).arg(email.as_str().to_lowercase())).await
}

/// The contacts holding `$2` (a lower-cased email) as a verified further identifier; `$1` is the
/// workspace.
pub(crate) const VERIFIED_EMAIL_HOLDERS: &str = "SELECT contact_id FROM contact_identities \
    WHERE workspace_id = $1 AND kind = 'email' AND value = $2 AND verified";

/// Deletes a contact with its notes, taggings, company links, events and further identifiers. A
/// contact that is part of conversations is refused: those belong to the inbox's history (archive
/// it instead).
pub async fn delete(db: &Db, workspace_id: WorkspaceId, id: ContactId) -> StoreResult<Contact> {
    let contact = find(db, workspace_id, id).await?;
    let in_conversations: i64 = db
        .read()
        .scalar(
            Stmt::new(
                "SELECT (SELECT COUNT(*) FROM conversations WHERE workspace_id = $1 AND contact_id = $2) + \
                 (SELECT COUNT(*) FROM conversation_contacts WHERE workspace_id = $1 AND contact_id = $2)",
            )
            .arg(workspace_id)
            .arg(id),
        )
        .await?;
    if in_conversations > 0 {
        return Err(Conflict::ContactHasConversations.into());
    }
    let mut tx = db.begin().await?;
    for sql in [
        "DELETE FROM taggings WHERE workspace_id = $1 AND target_type = 'contact' AND target_id = $2",
        "DELETE FROM notes WHERE workspace_id = $1 AND contact_id = $2",
        "DELETE FROM contact_companies WHERE workspace_id = $1 AND contact_id = $2",
        "DELETE FROM events WHERE workspace_id = $1 AND contact_id = $2",
        "DELETE FROM contact_identities WHERE workspace_id = $1 AND contact_id = $2",
        "DELETE FROM contacts WHERE workspace_id = $1 AND id = $2",
    ] {
        tx.execute(Stmt::new(sql).arg(workspace_id).arg(id)).await?;
    }
    tx.commit().await?;
    Ok(contact)
}

/// Sets `archived` (archive/unarchive).
pub async fn set_archived(db: &Db, workspace_id: WorkspaceId, id: ContactId, archived: bool) -> StoreResult<Contact> {
    set_flag(db, workspace_id, id, "archived", archived).await
}

/// Blocks a contact (Intercom has no unblock).
pub async fn block(db: &Db, workspace_id: WorkspaceId, id: ContactId) -> StoreResult<Contact> {
    set_flag(db, workspace_id, id, "blocked", true).await
}

async fn set_flag(
    db: &Db,
    workspace_id: WorkspaceId,
    id: ContactId,
    column: &'static str,
    value: bool,
) -> StoreResult<Contact> {
    let sql = format!(
        "UPDATE contacts SET {column} = $3, updated_at = $4 \
         WHERE workspace_id = $1 AND id = $2 AND merged_into_id IS NULL RETURNING {COLUMNS}"
    );
    let mut tx = db.begin().await?;
    let contact: Contact = tx
        .fetch_optional(Stmt::new(sql).arg(workspace_id).arg(id).arg(value).arg(now()))
        .await?
        .or_not_found("contact")?;
    tx.commit().await?;
    Ok(contact)
}

/// One cursor page of contacts.
#[derive(Debug, Clone)]
pub struct Page {
    pub contacts: Vec<Contact>,
    /// Whether rows follow this page.
    pub has_more: bool,
    /// Matching rows in all pages.
    pub total_count: i64,
    /// Matching rows before this page (to number the page).
    pub before: i64,
}

fn everything() -> SqlCondition {
    SqlCondition { sql: "1 = 1".into(), binds: Vec::new(), matches_text: false, narrow: false }
}

/// Live contacts in id order, `per_page` after the contact `after_id`.
pub async fn list(db: &Db, workspace_id: WorkspaceId, per_page: i64, after_id: Option<i64>) -> StoreResult<Page> {
    page(db, workspace_id, [everything(), everything(), everything()], per_page, after_id).await
}

/// Live contacts matching an Intercom search `query` (see [`crate::search`]), paged like [`list`].
pub async fn search(
    db: &Db,
    workspace: &Workspace,
    query: &Value,
    per_page: i64,
    after_id: Option<i64>,
) -> StoreResult<Page> {
    // The condition is compiled once per statement because each numbers its placeholders after
    // its own leading parameters.
    let model = SearchModel::Contacts;
    let rows = crate::search::compile(db, workspace, model, query, 4).await?;
    let total = crate::search::compile(db, workspace, model, query, 2).await?;
    let before = crate::search::compile(db, workspace, model, query, 3).await?;
    page(db, workspace.id, [rows, total, before], per_page, after_id).await
}

/// `conditions` = the same filter numbered from `$4`, `$2` and `$3`.
async fn page(
    db: &Db,
    workspace_id: WorkspaceId,
    conditions: [SqlCondition; 3],
    per_page: i64,
    after_id: Option<i64>,
) -> StoreResult<Page> {
    let [rows, total, before] = conditions;
    let live = "workspace_id = $1 AND merged_into_id IS NULL";
    let sql =
        format!("SELECT {COLUMNS} FROM contacts WHERE {live} AND id > $2 AND ({}) ORDER BY id LIMIT $3", rows.sql);
    let select = Stmt::new(sql).arg(workspace_id).arg(after_id.unwrap_or(0)).arg(per_page + 1).args(rows.binds);
    let mut contacts: Vec<Contact> = db.read().fetch_all(select).await?;
    let has_more = contacts.len() as i64 > per_page;
    contacts.truncate(per_page as usize);
    let sql = format!("SELECT COUNT(*) FROM contacts WHERE {live} AND ({})", total.sql);
    let total_count: i64 = db.read().scalar(Stmt::new(sql).arg(workspace_id).args(total.binds)).await?;
    let before_count: i64 = match after_id {
        None => 0,
        Some(after) => {
            let sql = format!("SELECT COUNT(*) FROM contacts WHERE {live} AND id <= $2 AND ({})", before.sql);
            db.read().scalar(Stmt::new(sql).arg(workspace_id).arg(after).args(before.binds)).await?
        }
    };
    Ok(Page { contacts, has_more, total_count, before: before_count })
}

/// How many live contacts the workspace has.
pub async fn count(db: &Db, workspace_id: WorkspaceId) -> StoreResult<i64> {
    let sql = "SELECT COUNT(*) FROM contacts WHERE workspace_id = $1 AND merged_into_id IS NULL";
    db.read().scalar(Stmt::new(sql).arg(workspace_id)).await
}

/// Applies a tag to a live contact.
pub async fn tag(
    db: &Db,
    workspace_id: WorkspaceId,
    id: ContactId,
    tag_id: i64,
    admin_id: Option<AdminId>,
) -> StoreResult<AppliedTag> {
    find(db, workspace_id, id).await?;
    crate::tags::apply(db, workspace_id, tag_id, Target::Contact, id.get(), admin_id).await
}

/// The tags of one live contact.
pub async fn tags(db: &Db, workspace_id: WorkspaceId, id: ContactId) -> StoreResult<Vec<AppliedTag>> {
    find(db, workspace_id, id).await?;
    crate::tags::tags_of(db, workspace_id, Target::Contact, &[id.get()]).await
}

/// Removes a tag from a live contact; returns the tag.
pub async fn untag(db: &Db, workspace_id: WorkspaceId, id: ContactId, tag_id: i64) -> StoreResult<crate::tags::Tag> {
    find(db, workspace_id, id).await?;
    crate::tags::remove(db, workspace_id, tag_id, Target::Contact, id.get()).await
}

/// Grouped rows by contact id, for relation loading.
pub(crate) fn group<T>(rows: Vec<(ContactId, T)>) -> HashMap<ContactId, Vec<T>> {
    let mut map: HashMap<ContactId, Vec<T>> = HashMap::new();
    for (id, row) in rows {
        map.entry(id).or_default().push(row);
    }
    map
}
