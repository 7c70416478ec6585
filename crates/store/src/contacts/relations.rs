//! What a contact is linked to: tags, companies and notes. Loaded for a whole page of contacts
//! in four queries (never one per contact), and the contacts of a company.
use rapport_core::ids::{CompanyId, ContactId, WorkspaceId};
use std::collections::HashMap;

use serde::Serialize;

use super::{group, Contact, COLUMNS};
use crate::tags::{AppliedTag, Target};
use crate::{Conn, Db, Stmt, StoreError, StoreResult};

/// How many related objects a contact inlines in its sub-lists (Intercom shows at most 10).
pub const INLINED: i64 = 10;

/// The first few ids of a related list, and how many there are in all.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Limited {
    pub ids: Vec<i64>,
    pub total_count: i64,
}

/// A contact's tags (all of them), companies and notes (the first [`INLINED`] of each), and its
/// further identifiers (all of them).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Relations {
    pub tags: Vec<AppliedTag>,
    pub companies: Limited,
    pub notes: Limited,
    pub identities: Vec<super::Identity>,
}

/// The first [`INLINED`] related ids per contact from `table` (which has `contact_id`), with
/// totals, in one query for every contact of `ids`.
async fn limited(
    db: &Db,
    workspace_id: WorkspaceId,
    table: &str,
    id_column: &str,
    order: &str,
    ids: &[ContactId],
) -> StoreResult<HashMap<ContactId, Limited>> {
    let sql = format!(
        "SELECT contact_id, id, total FROM (SELECT contact_id, {id_column} AS id, \
         COUNT(*) OVER (PARTITION BY contact_id) AS total, \
         ROW_NUMBER() OVER (PARTITION BY contact_id ORDER BY {order}) AS rn \
         FROM {table} WHERE workspace_id = $1 AND contact_id IN ({})) ranked \
         WHERE rn <= {INLINED} ORDER BY contact_id, rn",
        crate::placeholders(2, ids.len())
    );
    let rows: Vec<(ContactId, i64, i64)> = db.read().fetch_all(Stmt::new(sql).arg(workspace_id).args(ids)).await?;
    let mut map: HashMap<ContactId, Limited> = HashMap::new();
    for (contact_id, id, total) in rows {
        let entry = map.entry(contact_id).or_default();
        entry.ids.push(id);
        entry.total_count = total;
    }
    Ok(map)
}

/// The relations of every contact in `ids` (one entry per id, empty when it has none).
pub async fn relations(
    db: &Db,
    workspace_id: WorkspaceId,
    ids: &[ContactId],
) -> StoreResult<HashMap<ContactId, Relations>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let target_ids: Vec<i64> = ids.iter().map(|id| id.get()).collect();
    let tags = crate::tags::tags_of(db, workspace_id, Target::Contact, &target_ids).await?;
    let mut tags = group(tags.into_iter().map(|t| (ContactId::new(t.target_id), t)).collect());
    let mut companies =
        limited(db, workspace_id, "contact_companies", "company_id", "created_at, company_id", ids).await?;
    // Newest notes first, as the notes list shows them.
    let mut notes = limited(db, workspace_id, "notes", "id", "id DESC", ids).await?;
    let mut identities = super::identities::of_contacts(db, workspace_id, ids).await?;
    Ok(ids
        .iter()
        .map(|id| {
            let relations = Relations {
                tags: tags.remove(id).unwrap_or_default(),
                companies: companies.remove(id).unwrap_or_default(),
                notes: notes.remove(id).unwrap_or_default(),
                identities: identities.remove(id).unwrap_or_default(),
            };
            (*id, relations)
        })
        .collect())
}

fn offset(page: i64, per_page: i64) -> i64 {
    (page.max(1) - 1).saturating_mul(per_page)
}

/// One numbered page of the live contacts of a company (404 `company` when it is not in the
/// workspace), with the total.
pub async fn contacts_of_company(
    db: &Db,
    workspace_id: WorkspaceId,
    company_id: CompanyId,
    page: i64,
    per_page: i64,
) -> StoreResult<(Vec<Contact>, i64)> {
    let sql = "SELECT COUNT(*) FROM companies WHERE workspace_id = $1 AND id = $2";
    let exists: i64 = db.read().scalar(Stmt::new(sql).arg(workspace_id).arg(company_id)).await?;
    if exists == 0 {
        return Err(StoreError::not_found("company"));
    }
    let filter = "workspace_id = $1 AND merged_into_id IS NULL AND id IN \
                  (SELECT contact_id FROM contact_companies WHERE workspace_id = $1 AND company_id = $2)";
    let sql = format!("SELECT {COLUMNS} FROM contacts WHERE {filter} ORDER BY id LIMIT $3 OFFSET $4");
    let select = Stmt::new(sql).arg(workspace_id).arg(company_id).arg(per_page).arg(offset(page, per_page));
    let rows: Vec<Contact> = db.read().fetch_all(select).await?;
    let sql = format!("SELECT COUNT(*) FROM contacts WHERE {filter}");
    let total: i64 = db.read().scalar(Stmt::new(sql).arg(workspace_id).arg(company_id)).await?;
    Ok((rows, total))
}
