//! Contacts (Intercom 2.x): CRUD, cursor lists and search, merge, archive/block, and the
//! contact's tags, companies and further identifiers. The `contact` JSON and its request body live here; the handlers
//! are split by action into the submodules.
use rapport_core::ids::{AdminId, ContactId, WorkspaceId};
use std::collections::HashMap;

use rapport_core::contact::{ContactRole, Email};
use rapport_store::contacts::{self, Contact, ContactFields, Relations, INLINED};
use rapport_store::tags::AppliedTag;
use rapport_store::Db;
use serde::{Deserialize, Deserializer};
use serde_json::{json, Map, Value};
use utoipa_axum::routes;

use super::ApiRouter;
use crate::extract::BodyId;
use crate::pagination::{cursor_pages, encode_cursor};
use crate::{AppError, AppResult};

mod actions;
mod crud;
pub mod identities;
mod related;
mod search;

pub fn routes() -> ApiRouter {
    ApiRouter::new()
        .routes(routes!(crud::list_contacts, crud::create_contact))
        .routes(routes!(crud::find_contact, crud::update_contact, crud::delete_contact))
        .routes(routes!(crud::find_by_external_id))
        .routes(routes!(search::search_contacts))
        .routes(routes!(actions::merge_contacts))
        .routes(routes!(actions::archive_contact))
        .routes(routes!(actions::unarchive_contact))
        .routes(routes!(actions::block_contact))
        .routes(routes!(related::list_tags, related::add_tag))
        .routes(routes!(related::remove_tag))
        .routes(routes!(related::list_companies))
        .routes(routes!(identities::list_identities, identities::add_identity))
        .routes(routes!(identities::remove_identity))
        .routes(routes!(related::company_contacts))
}

/// One of the contact's sub-lists (`tags`, `notes`, `companies`, subscriptions): the first
/// [`INLINED`] items as references, with the total and a link to the full list.
fn sub_list(kind: &str, collection: &str, ids: &[i64], total_count: i64, url: String) -> Value {
    let data: Vec<Value> = ids
        .iter()
        .take(INLINED as usize)
        .map(|id| json!({"type": kind, "id": id.to_string(), "url": format!("/{collection}/{id}")}))
        .collect();
    json!({"type": "list", "data": data, "url": url, "total_count": total_count, "has_more": total_count > data.len() as i64})
}

/// `{"user_id", "email", "verified": false}` when a messenger visitor claimed an identity without
/// a valid `user_hash`/`user_jwt`, else `null`.
pub fn claimed_identity_json(c: &Contact) -> Value {
    if c.claimed_user_id.is_none() && c.claimed_email.is_none() {
        return Value::Null;
    }
    json!({"user_id": c.claimed_user_id, "email": c.claimed_email, "verified": false})
}

/// The Intercom `contact` object. `app_id` is the workspace's public id (`workspace_id`).
pub fn contact_json(c: &Contact, app_id: &str, relations: &Relations) -> Value {
    let id = c.id.to_string();
    let tag_ids: Vec<i64> = relations.tags.iter().map(|t| t.id).collect();
    let empty = || json!({"type": "list", "data": [], "url": format!("/contacts/{id}/subscriptions"), "total_count": 0, "has_more": false});
    // Two halves: one `json!` of every field exceeds the macro recursion limit.
    let mut body = json!({
        "type": "contact",
        "id": id,
        "workspace_id": app_id,
        "external_id": c.external_id,
        "role": c.role,
        "email": c.email,
        "email_domain": c.email_domain,
        "phone": c.phone,
        "name": c.name,
        "avatar": c.avatar,
        "owner_id": c.owner_id,
        "social_profiles": {"type": "list", "data": []},
        "has_hard_bounced": c.has_hard_bounced,
        "marked_email_as_spam": c.marked_email_as_spam,
        "unsubscribed_from_emails": c.unsubscribed_from_emails,
        "created_at": c.created_at,
        "updated_at": c.updated_at,
        "signed_up_at": c.signed_up_at,
        "last_seen_at": c.last_seen_at,
        "last_replied_at": c.last_replied_at,
        "last_contacted_at": c.last_contacted_at,
        "last_email_opened_at": c.last_email_opened_at,
        "last_email_clicked_at": c.last_email_clicked_at,
        "language_override": c.language_override,
        "browser": c.browser,
        "browser_version": c.browser_version,
        "browser_language": c.browser_language,
        "os": c.os,
    });
    let rest = json!({
        "location": {
            "type": "location",
            "country": c.location_country,
            "region": c.location_region,
            "city": c.location_city,
            "country_code": c.location_country_code,
            "continent_code": c.location_continent_code,
        },
        "android_app_name": null, "android_app_version": null, "android_device": null,
        "android_os_version": null, "android_sdk_version": null, "android_last_seen_at": null,
        "ios_app_name": null, "ios_app_version": null, "ios_device": null,
        "ios_os_version": null, "ios_sdk_version": null, "ios_last_seen_at": null,
        "custom_attributes": Value::Object(c.custom_attributes_map()),
        "tags": sub_list("tag", "tags", &tag_ids, tag_ids.len() as i64, format!("/contacts/{id}/tags")),
        "notes": sub_list("note", "notes", &relations.notes.ids, relations.notes.total_count, format!("/contacts/{id}/notes")),
        "companies": sub_list("company", "companies", &relations.companies.ids, relations.companies.total_count,
            format!("/contacts/{id}/companies")),
        // Our extension: the identifiers beyond email, phone and external_id (docs/API.md).
        "identities": identities::identities_json(c.id, &relations.identities),
        // Our extension: what an unverified messenger visitor said they were (docs/API.md).
        "claimed_identity": claimed_identity_json(c),
        "opted_out_subscription_types": empty(),
        "opted_in_subscription_types": empty(),
        "utm_campaign": null, "utm_content": null, "utm_medium": null, "utm_source": null, "utm_term": null,
        "referrer": null,
        "enabled_push_messaging": null,
    });
    if let (Some(body), Value::Object(rest)) = (body.as_object_mut(), rest) {
        body.extend(rest);
    }
    body
}

/// `{"type":"contact","id","external_id"}`, the reference the delete/archive/block answers extend.
pub fn contact_reference(c: &Contact) -> Value {
    json!({"type": "contact", "id": c.id.to_string(), "external_id": c.external_id})
}

/// Renders a page of contacts, loading their relations in a few queries for the whole page.
pub async fn contacts_json(
    db: &Db,
    workspace_id: WorkspaceId,
    app_id: &str,
    page: &[Contact],
) -> AppResult<Vec<Value>> {
    let ids: Vec<ContactId> = page.iter().map(|c| c.id).collect();
    let mut relations: HashMap<ContactId, Relations> = contacts::relations(db, workspace_id, &ids).await?;
    Ok(page.iter().map(|c| contact_json(c, app_id, &relations.remove(&c.id).unwrap_or_default())).collect())
}

/// One contact as JSON.
pub async fn one_contact_json(db: &Db, workspace_id: WorkspaceId, app_id: &str, contact: &Contact) -> AppResult<Value> {
    let mut all = contacts_json(db, workspace_id, app_id, std::slice::from_ref(contact)).await?;
    all.pop().ok_or_else(|| AppError::internal("contact rendering lost its row"))
}

/// The cursor-list envelope of `GET /contacts` and `POST /contacts/search`.
pub async fn cursor_list_json(
    db: &Db,
    workspace_id: WorkspaceId,
    app_id: &str,
    page: &contacts::Page,
    per_page: i64,
) -> AppResult<Value> {
    let data = contacts_json(db, workspace_id, app_id, &page.contacts).await?;
    let next = match (page.has_more, page.contacts.last()) {
        (true, Some(last)) => Some(encode_cursor(&[last.id.get()])),
        _ => None,
    };
    let number = page.before / per_page + 1;
    Ok(json!({
        "type": "list",
        "data": data,
        "total_count": page.total_count,
        "pages": cursor_pages(number, per_page, page.total_count, next),
    }))
}

/// An applied tag (`POST /contacts/{id}/tags`, `GET /contacts/{id}/tags`).
pub fn applied_tag_json(t: &AppliedTag) -> Value {
    json!({
        "type": "tag",
        "id": t.id.to_string(),
        "name": t.name,
        "applied_at": t.applied_at,
        "applied_by": t.applied_by_admin_id.map(|id| json!({"type": "admin", "id": id.to_string()})),
    })
}

/// Distinguishes an absent field (leave it) from an explicit `null` (clear it).
fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// The body of `POST /contacts` and `PUT /contacts/{id}` (every field optional on update).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ContactRequest {
    /// `user` or `lead`.
    #[schema(pattern = "^(user|lead)$")]
    role: Option<String>,
    /// The customer's own id for a user (string or number).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<BodyId>)]
    external_id: Option<Option<BodyId>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    email: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    name: Option<Option<String>>,
    /// An image URL.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    avatar: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>, minimum = 0)]
    signed_up_at: Option<Option<i64>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>, minimum = 0)]
    last_seen_at: Option<Option<i64>>,
    /// The teammate who owns the contact.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<BodyId>)]
    owner_id: Option<Option<BodyId>>,
    unsubscribed_from_emails: Option<bool>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    language_override: Option<Option<String>>,
    /// Values of the workspace's contact data attributes, merged into the stored ones.
    #[schema(value_type = Option<Object>)]
    custom_attributes: Option<Map<String, Value>>,
}

impl ContactRequest {
    /// Whether the body names the contact at all (create needs one of email/external_id/role).
    fn identifies(&self) -> bool {
        self.role.is_some() || matches!(self.email, Some(Some(_))) || matches!(self.external_id, Some(Some(_)))
    }

    /// Parses the values that have a domain type; the store checks the rest against the data.
    fn fields(self) -> AppResult<ContactFields> {
        let role = match self.role.as_deref() {
            Some(raw) => Some(raw.parse::<ContactRole>().map_err(|e| AppError::invalid("role", e.to_string()))?),
            None => None,
        };
        let email = match self.email {
            Some(Some(raw)) => Some(Some(Email::parse(&raw).map_err(|e| AppError::invalid("email", e.to_string()))?)),
            Some(None) => Some(None),
            None => None,
        };
        let owner_id = match self.owner_id {
            Some(Some(raw)) => Some(Some(
                raw.0
                    .trim()
                    .parse::<AdminId>()
                    .map_err(|_| AppError::invalid("owner_id", "owner_id must be an admin id"))?,
            )),
            Some(None) => Some(None),
            None => None,
        };
        Ok(ContactFields {
            role,
            external_id: self.external_id.map(|v| v.map(|id| id.0)),
            email,
            phone: self.phone,
            name: self.name,
            avatar: self.avatar,
            signed_up_at: self.signed_up_at,
            last_seen_at: self.last_seen_at,
            owner_id,
            unsubscribed_from_emails: self.unsubscribed_from_emails,
            language_override: self.language_override,
            custom_attributes: self.custom_attributes,
            // A messenger visitor's claim is theirs to make; teammates merge instead.
            claimed_user_id: None,
            claimed_email: None,
        })
    }
}
