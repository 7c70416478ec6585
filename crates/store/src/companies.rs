//! Companies (keyed for customers by their own `company_id`) and which contacts belong to them.
use rapport_core::ids::{CompanyId, ContactId, WorkspaceId};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::{now, Conflict, Conn, Db, OptionExt, Stmt, StoreError, StoreResult, Tx};

/// A company as stored, with the number of contacts attached to it.
#[derive(Debug, Clone, Serialize)]
pub struct Company {
    pub id: CompanyId,
    pub workspace_id: WorkspaceId,
    /// The customer's own id for the company; unique in the workspace and never changed.
    pub company_id: String,
    pub name: Option<String>,
    pub plan: Option<String>,
    pub size: Option<i64>,
    pub website: Option<String>,
    pub industry: Option<String>,
    pub monthly_spend: f64,
    pub session_count: i64,
    pub remote_created_at: Option<i64>,
    pub custom_attributes: Map<String, Value>,
    pub created_at: i64,
    pub updated_at: i64,
    /// How many contacts are attached.
    pub user_count: i64,
}

#[derive(crate::Row)]
struct Row {
    id: CompanyId,
    workspace_id: WorkspaceId,
    company_id: String,
    name: Option<String>,
    plan: Option<String>,
    size: Option<i64>,
    website: Option<String>,
    industry: Option<String>,
    monthly_spend: f64,
    session_count: i64,
    remote_created_at: Option<i64>,
    custom_attributes: String,
    created_at: i64,
    updated_at: i64,
    user_count: i64,
}

impl From<Row> for Company {
    fn from(r: Row) -> Self {
        // The column only ever holds objects we wrote; anything else reads as empty rather than failing.
        let custom_attributes = match serde_json::from_str::<Value>(&r.custom_attributes) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        };
        Company {
            id: r.id,
            workspace_id: r.workspace_id,
            company_id: r.company_id,
            name: r.name,
            plan: r.plan,
            size: r.size,
            website: r.website,
            industry: r.industry,
            monthly_spend: r.monthly_spend,
            session_count: r.session_count,
            remote_created_at: r.remote_created_at,
            custom_attributes,
            created_at: r.created_at,
            updated_at: r.updated_at,
            user_count: r.user_count,
        }
    }
}

/// The writable fields of a company. `None` leaves a field as it is (Intercom ignores absent
/// fields on update); `custom_attributes` are merged key by key into the stored ones.
#[derive(Debug, Clone, Default)]
pub struct CompanyFields {
    pub name: Option<String>,
    pub plan: Option<String>,
    pub size: Option<i64>,
    pub website: Option<String>,
    pub industry: Option<String>,
    pub monthly_spend: Option<f64>,
    pub remote_created_at: Option<i64>,
    pub custom_attributes: Option<Map<String, Value>>,
}

/// Intercom stores monthly spend as a 32-bit integer.
pub const MAX_MONTHLY_SPEND: f64 = 2_147_483_647.0;
/// Longest `company_id` accepted (it is an index key).
pub const MAX_COMPANY_ID_LEN: usize = 255;

const SELECT: &str = "SELECT c.id, c.workspace_id, c.company_id, c.name, c.plan, c.size, c.website, c.industry, \
     c.monthly_spend, c.session_count, c.remote_created_at, c.custom_attributes, c.created_at, c.updated_at, \
     (SELECT COUNT(*) FROM contact_companies cc WHERE cc.company_id = c.id) AS user_count FROM companies c";

async fn validate(db: &Db, workspace_id: WorkspaceId, fields: &CompanyFields) -> StoreResult<()> {
    if let Some(size) = fields.size {
        if size < 0 {
            return Err(StoreError::Invalid("size must not be negative".into()));
        }
    }
    if let Some(spend) = fields.monthly_spend {
        if !spend.is_finite() || !(0.0..=MAX_MONTHLY_SPEND).contains(&spend) {
            return Err(StoreError::Invalid(format!("monthly_spend must be between 0 and {MAX_MONTHLY_SPEND}")));
        }
    }
    if let Some(attributes) = &fields.custom_attributes {
        crate::data_attributes::validate_custom_attributes(db, workspace_id, "company", attributes).await?;
    }
    Ok(())
}

fn valid_company_id(company_id: &str) -> StoreResult<&str> {
    let company_id = company_id.trim();
    if company_id.is_empty() || company_id.chars().count() > MAX_COMPANY_ID_LEN {
        return Err(StoreError::invalid_field(
            "company_id",
            format!("company_id must be 1 to {MAX_COMPANY_ID_LEN} characters"),
        ));
    }
    Ok(company_id)
}

async fn fetch_by_text(db: &Db, sql: String, workspace_id: WorkspaceId, key: &str) -> StoreResult<Option<Company>> {
    let row: Option<Row> = db.read().fetch_optional(Stmt::new(sql).arg(workspace_id).arg(key)).await?;
    Ok(row.map(Company::from))
}

pub async fn find(db: &Db, workspace_id: WorkspaceId, id: CompanyId) -> StoreResult<Company> {
    let sql = format!("{SELECT} WHERE c.workspace_id = $1 AND c.id = $2");
    let row: Option<Row> = db.read().fetch_optional(Stmt::new(sql).arg(workspace_id).arg(id)).await?;
    row.map(Company::from).or_not_found("company")
}

/// Finds a company by the customer's `company_id`.
pub async fn find_by_company_id(db: &Db, workspace_id: WorkspaceId, company_id: &str) -> StoreResult<Company> {
    let sql = format!("{SELECT} WHERE c.workspace_id = $1 AND c.company_id = $2");
    fetch_by_text(db, sql, workspace_id, company_id.trim()).await?.or_not_found("company")
}

/// Finds the oldest company with exactly this name (names are not unique).
pub async fn find_by_name(db: &Db, workspace_id: WorkspaceId, name: &str) -> StoreResult<Company> {
    let sql = format!("{SELECT} WHERE c.workspace_id = $1 AND c.name = $2 ORDER BY c.id LIMIT 1");
    fetch_by_text(db, sql, workspace_id, name).await?.or_not_found("company")
}

fn merged(current: &Map<String, Value>, changes: &Option<Map<String, Value>>) -> String {
    let mut all = current.clone();
    if let Some(changes) = changes {
        for (k, v) in changes {
            all.insert(k.clone(), v.clone());
        }
    }
    Value::Object(all).to_string()
}

/// Creates the company with this `company_id`, or updates it when it exists. Returns the company
/// and whether it was created.
pub async fn upsert(
    db: &Db,
    workspace_id: WorkspaceId,
    company_id: &str,
    fields: CompanyFields,
) -> StoreResult<(Company, bool)> {
    let company_id = valid_company_id(company_id)?;
    validate(db, workspace_id, &fields).await?;
    // Insert-or-nothing, then update: two requests racing on one company_id both succeed (the
    // loser of the insert finds the winner's row the second time).
    for _ in 0..2 {
        let mut tx = db.begin().await?;
        match write(&mut tx, workspace_id, company_id, &fields).await {
            Ok((id, created)) => {
                tx.commit().await?;
                return Ok((find(db, workspace_id, id).await?, created));
            }
            Err(StoreError::Conflict(_)) => continue,
            Err(other) => return Err(other),
        }
    }
    Err(Conflict::CompanyIdBusy.into())
}

/// Inside `tx`: creates the company with this `company_id`, or updates the given fields of the
/// one that exists (absent fields stay, custom attributes merge key by key). Answers its id and
/// whether it was created; a company created meanwhile by another transaction is a conflict
/// (retry: it exists now). The fields must be valid ([`validate`]). Shared with the Segment intake.
pub(crate) async fn write(
    tx: &mut Tx,
    workspace_id: WorkspaceId,
    company_id: &str,
    f: &CompanyFields,
) -> StoreResult<(CompanyId, bool)> {
    let at = now();
    let existing: Option<(CompanyId, String)> = tx
        .fetch_optional(
            Stmt::new("SELECT id, custom_attributes FROM companies WHERE workspace_id = $1 AND company_id = $2")
                .arg(workspace_id)
                .arg(company_id),
        )
        .await?;
    let spend = f.monthly_spend.map(f64::trunc);
    if let Some((id, custom)) = existing {
        let custom: Map<String, Value> = serde_json::from_str(&custom).unwrap_or_default();
        tx.execute(
            Stmt::new(
                "UPDATE companies SET name = COALESCE($3, name), plan = COALESCE($4, plan), \
                 size = COALESCE($5, size), website = COALESCE($6, website), industry = COALESCE($7, industry), \
                 monthly_spend = COALESCE($8, monthly_spend), remote_created_at = COALESCE($9, remote_created_at), \
                 custom_attributes = $10, updated_at = $11 WHERE workspace_id = $1 AND id = $2",
            )
            .arg(workspace_id)
            .arg(id)
            .arg(&f.name)
            .arg(&f.plan)
            .arg(f.size)
            .arg(&f.website)
            .arg(&f.industry)
            .arg(spend)
            .arg(f.remote_created_at)
            .arg(merged(&custom, &f.custom_attributes))
            .arg(at),
        )
        .await?;
        return Ok((id, false));
    }
    let inserted: Option<CompanyId> = tx
        .scalar_optional(
            Stmt::new(
                "INSERT INTO companies (workspace_id, company_id, name, plan, size, website, industry, \
                 monthly_spend, remote_created_at, custom_attributes, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) \
                 ON CONFLICT (workspace_id, company_id) DO NOTHING RETURNING id",
            )
            .arg(workspace_id)
            .arg(company_id)
            .arg(&f.name)
            .arg(&f.plan)
            .arg(f.size)
            .arg(&f.website)
            .arg(&f.industry)
            .arg(spend.unwrap_or(0.0))
            .arg(f.remote_created_at)
            .arg(merged(&Map::new(), &f.custom_attributes))
            .arg(at),
        )
        .await?;
    match inserted {
        Some(id) => Ok((id, true)),
        None => Err(Conflict::CompanyBeingCreated { company_id: company_id.to_string() }.into()),
    }
}

async fn update_validated(
    db: &Db,
    workspace_id: WorkspaceId,
    current: &Company,
    f: &CompanyFields,
) -> StoreResult<Company> {
    let sql = "UPDATE companies SET name = $3, plan = $4, size = $5, website = $6, industry = $7, \
               monthly_spend = $8, remote_created_at = $9, custom_attributes = $10, updated_at = $11 \
               WHERE workspace_id = $1 AND id = $2";
    let update = Stmt::new(sql)
        .arg(workspace_id)
        .arg(current.id)
        .arg(f.name.as_ref().or(current.name.as_ref()))
        .arg(f.plan.as_ref().or(current.plan.as_ref()))
        .arg(f.size.or(current.size))
        .arg(f.website.as_ref().or(current.website.as_ref()))
        .arg(f.industry.as_ref().or(current.industry.as_ref()))
        .arg(f.monthly_spend.map(f64::trunc).unwrap_or(current.monthly_spend))
        .arg(f.remote_created_at.or(current.remote_created_at))
        .arg(merged(&current.custom_attributes, &f.custom_attributes))
        .arg(now());
    let mut tx = db.begin().await?;
    let updated = tx.execute(update).await?;
    tx.commit().await?;
    if updated == 0 {
        return Err(StoreError::not_found("company"));
    }
    find(db, workspace_id, current.id).await
}

/// Updates a company by our id (its `company_id` cannot change).
pub async fn update(db: &Db, workspace_id: WorkspaceId, id: CompanyId, fields: CompanyFields) -> StoreResult<Company> {
    let current = find(db, workspace_id, id).await?;
    validate(db, workspace_id, &fields).await?;
    update_validated(db, workspace_id, &current, &fields).await
}

/// Deletes a company with its contact links and taggings; the contacts themselves stay.
pub async fn delete(db: &Db, workspace_id: WorkspaceId, id: CompanyId) -> StoreResult<()> {
    let mut tx = db.begin().await?;
    tx.execute(
        Stmt::new("DELETE FROM contact_companies WHERE workspace_id = $1 AND company_id = $2")
            .arg(workspace_id)
            .arg(id),
    )
    .await?;
    tx.execute(
        Stmt::new("DELETE FROM taggings WHERE workspace_id = $1 AND target_type = 'company' AND target_id = $2")
            .arg(workspace_id)
            .arg(id),
    )
    .await?;
    let deleted = tx
        .execute(Stmt::new("DELETE FROM companies WHERE workspace_id = $1 AND id = $2").arg(workspace_id).arg(id))
        .await?;
    if deleted == 0 {
        return Err(StoreError::not_found("company"));
    }
    tx.commit().await
}

/// Sort direction of a company list (by creation, then id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Asc,
    Desc,
}

/// One page (1-based) of the workspace's companies, optionally only those carrying `tag_id`,
/// with the total count. A page past the end is empty.
pub async fn list_page(
    db: &Db,
    workspace_id: WorkspaceId,
    tag_id: Option<i64>,
    page: i64,
    per_page: i64,
    order: Order,
) -> StoreResult<(Vec<Company>, i64)> {
    // The tag filter adds one placeholder; limit and offset follow whichever comes last.
    let (filter, binds) = match tag_id {
        Some(_) => (
            "c.workspace_id = $1 AND EXISTS (SELECT 1 FROM taggings g WHERE g.workspace_id = $1 AND \
             g.target_type = 'company' AND g.target_id = c.id AND g.tag_id = $2)",
            2,
        ),
        None => ("c.workspace_id = $1", 1),
    };
    let count_sql = format!("SELECT COUNT(*) FROM companies c WHERE {filter}");
    let total: i64 = db.read().scalar(Stmt::new(count_sql).arg(workspace_id).args(tag_id)).await?;
    // A page so far out that its offset overflows is simply past the end.
    let Some(offset) = page.checked_sub(1).and_then(|p| p.checked_mul(per_page)).filter(|o| *o < total) else {
        return Ok((Vec::new(), total));
    };
    let direction = match order {
        Order::Asc => "ASC",
        Order::Desc => "DESC",
    };
    let sql = format!("{SELECT} WHERE {filter} ORDER BY c.id {direction} LIMIT ${} OFFSET ${}", binds + 1, binds + 2);
    let rows: Vec<Row> =
        db.read().fetch_all(Stmt::new(sql).arg(workspace_id).args(tag_id).arg(per_page).arg(offset)).await?;
    Ok((rows.into_iter().map(Company::from).collect(), total))
}

/// Up to `limit` companies with ids above `after_id`, in id order (keyset paging for scroll).
pub async fn scroll(db: &Db, workspace_id: WorkspaceId, after_id: i64, limit: i64) -> StoreResult<Vec<Company>> {
    let sql = format!("{SELECT} WHERE c.workspace_id = $1 AND c.id > $2 ORDER BY c.id LIMIT $3");
    let rows: Vec<Row> = db.read().fetch_all(Stmt::new(sql).arg(workspace_id).arg(after_id).arg(limit)).await?;
    Ok(rows.into_iter().map(Company::from).collect())
}

/// Whether a (not merged-away) contact with this id exists in the workspace.
pub async fn contact_exists(db: &Db, workspace_id: WorkspaceId, contact_id: ContactId) -> StoreResult<bool> {
    let sql = "SELECT COUNT(*) FROM contacts WHERE workspace_id = $1 AND id = $2 AND merged_into_id IS NULL";
    let n: i64 = db.read().scalar(Stmt::new(sql).arg(workspace_id).arg(contact_id)).await?;
    Ok(n > 0)
}

/// Attaches a contact to a company (idempotent); both must be in the workspace.
pub async fn attach(
    db: &Db,
    workspace_id: WorkspaceId,
    contact_id: ContactId,
    company_id: CompanyId,
) -> StoreResult<Company> {
    if !contact_exists(db, workspace_id, contact_id).await? {
        return Err(StoreError::not_found("contact"));
    }
    find(db, workspace_id, company_id).await?;
    let mut tx = db.begin().await?;
    tx.execute(
        Stmt::new(
            "INSERT INTO contact_companies (workspace_id, contact_id, company_id, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (contact_id, company_id) DO NOTHING",
        )
        .arg(workspace_id)
        .arg(contact_id)
        .arg(company_id)
        .arg(now()),
    )
    .await?;
    tx.commit().await?;
    find(db, workspace_id, company_id).await
}

/// Detaches a contact from a company. A company the contact is not attached to is not found.
pub async fn detach(
    db: &Db,
    workspace_id: WorkspaceId,
    contact_id: ContactId,
    company_id: CompanyId,
) -> StoreResult<Company> {
    if !contact_exists(db, workspace_id, contact_id).await? {
        return Err(StoreError::not_found("contact"));
    }
    find(db, workspace_id, company_id).await?;
    let mut tx = db.begin().await?;
    let removed = tx
        .execute(
            Stmt::new("DELETE FROM contact_companies WHERE workspace_id = $1 AND contact_id = $2 AND company_id = $3")
                .arg(workspace_id)
                .arg(contact_id)
                .arg(company_id),
        )
        .await?;
    tx.commit().await?;
    if removed == 0 {
        return Err(StoreError::not_found("company"));
    }
    find(db, workspace_id, company_id).await
}

/// The companies a contact is attached to, in the order they were attached.
pub async fn list_for_contact(db: &Db, workspace_id: WorkspaceId, contact_id: ContactId) -> StoreResult<Vec<Company>> {
    let sql = format!(
        "{SELECT} JOIN contact_companies l ON l.company_id = c.id \
         WHERE c.workspace_id = $1 AND l.workspace_id = $1 AND l.contact_id = $2 ORDER BY l.created_at, c.id"
    );
    let rows: Vec<Row> = db.read().fetch_all(Stmt::new(sql).arg(workspace_id).arg(contact_id)).await?;
    Ok(rows.into_iter().map(Company::from).collect())
}

/// Each contact's first company (in attachment order, as [`list_for_contact`] lists them), for
/// many contacts in two queries: the links, then the companies. Contacts without one are absent.
pub async fn first_for_contacts(
    db: &Db,
    workspace_id: WorkspaceId,
    contact_ids: &[ContactId],
) -> StoreResult<std::collections::HashMap<ContactId, Company>> {
    let mut first: std::collections::HashMap<ContactId, CompanyId> = std::collections::HashMap::new();
    for chunk in contact_ids.chunks(500) {
        let sql = format!(
            "SELECT contact_id, company_id FROM contact_companies WHERE workspace_id = $1 AND contact_id IN ({}) \
             ORDER BY contact_id, created_at, company_id",
            crate::placeholders(2, chunk.len())
        );
        let links: Vec<(ContactId, CompanyId)> =
            db.read().fetch_all(Stmt::new(sql).arg(workspace_id).args(chunk)).await?;
        for (contact_id, company_id) in links {
            first.entry(contact_id).or_insert(company_id);
        }
    }
    let mut company_ids: Vec<CompanyId> = first.values().copied().collect();
    company_ids.sort_unstable();
    company_ids.dedup();
    let mut companies: std::collections::HashMap<CompanyId, Company> = std::collections::HashMap::new();
    for chunk in company_ids.chunks(500) {
        let sql = format!("{SELECT} WHERE c.workspace_id = $1 AND c.id IN ({})", crate::placeholders(2, chunk.len()));
        let rows: Vec<Row> = db.read().fetch_all(Stmt::new(sql).arg(workspace_id).args(chunk)).await?;
        companies.extend(rows.into_iter().map(Company::from).map(|c| (c.id, c)));
    }
    Ok(first.into_iter().filter_map(|(contact, company)| Some((contact, companies.get(&company)?.clone()))).collect())
}

/// The ids of the contacts attached to a company, in id order.
pub async fn contact_ids(db: &Db, workspace_id: WorkspaceId, company_id: CompanyId) -> StoreResult<Vec<ContactId>> {
    let sql =
        "SELECT contact_id FROM contact_companies WHERE workspace_id = $1 AND company_id = $2 ORDER BY contact_id";
    db.read().scalars(Stmt::new(sql).arg(workspace_id).arg(company_id)).await
}
