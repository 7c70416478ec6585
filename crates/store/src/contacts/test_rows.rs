//! Test-only rows of tables other repositories own (events, conversations, companies), so
//! contact tests can check what a merge or a delete does to them without those repositories.
use crate::{now, Conn, Db, Stmt, StoreResult};
use rapport_core::ids::{CompanyId, ContactId, ConversationId, WorkspaceId};

/// Inserts an event of `contact_id`; returns its id.
pub async fn insert_event(db: &Db, workspace_id: WorkspaceId, contact_id: ContactId, name: &str) -> StoreResult<i64> {
    let insert = Stmt::new(
        "INSERT INTO events (workspace_id, contact_id, event_name, metadata, created_at) \
         VALUES ($1, $2, $3, '{}', $4) RETURNING id",
    )
    .arg(workspace_id)
    .arg(contact_id)
    .arg(name)
    .arg(now());
    let mut tx = db.begin().await?;
    let id = tx.scalar(insert).await?;
    tx.commit().await?;
    Ok(id)
}

/// Inserts an open conversation started by `contact_id` (also listed in its participants);
/// returns its id.
pub async fn insert_conversation(
    db: &Db,
    workspace_id: WorkspaceId,
    contact_id: ContactId,
) -> StoreResult<ConversationId> {
    let at = now();
    let insert = Stmt::new(
        "INSERT INTO conversations (workspace_id, contact_id, state, source_type, source_delivered_as, \
         source_author_type, source_author_id, created_at, updated_at) \
         VALUES ($1, $2, 'open', 'conversation', 'customer_initiated', 'user', $2, $3, $3) RETURNING id",
    )
    .arg(workspace_id)
    .arg(contact_id)
    .arg(at);
    let mut tx = db.begin().await?;
    let id: ConversationId = tx.scalar(insert).await?;
    let participant = Stmt::new(
        "INSERT INTO conversation_contacts (workspace_id, conversation_id, contact_id, created_at) \
         VALUES ($1, $2, $3, $4)",
    )
    .arg(workspace_id)
    .arg(id)
    .arg(contact_id)
    .arg(at);
    tx.execute(participant).await?;
    tx.commit().await?;
    Ok(id)
}

/// Inserts a company with the customer's `company_id`; returns our id.
pub async fn insert_company(
    db: &Db,
    workspace_id: WorkspaceId,
    company_id: &str,
    name: &str,
) -> StoreResult<CompanyId> {
    let insert = Stmt::new(
        "INSERT INTO companies (workspace_id, company_id, name, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $4) RETURNING id",
    )
    .arg(workspace_id)
    .arg(company_id)
    .arg(name)
    .arg(now());
    let mut tx = db.begin().await?;
    let id = tx.scalar(insert).await?;
    tx.commit().await?;
    Ok(id)
}

/// Links a contact to a company.
pub async fn attach_company(
    db: &Db,
    workspace_id: WorkspaceId,
    contact_id: ContactId,
    company_id: CompanyId,
) -> StoreResult<()> {
    let insert = Stmt::new(
        "INSERT INTO contact_companies (workspace_id, contact_id, company_id, created_at) VALUES ($1, $2, $3, $4)",
    )
    .arg(workspace_id)
    .arg(contact_id)
    .arg(company_id)
    .arg(now());
    let mut tx = db.begin().await?;
    tx.execute(insert).await?;
    tx.commit().await
}

/// Rows of `table` (`events`, `conversations`, `conversation_contacts`, `notes` or
/// `contact_companies`) that point at `contact_id`.
pub async fn count_for_contact(
    db: &Db,
    workspace_id: WorkspaceId,
    table: &str,
    contact_id: ContactId,
) -> StoreResult<i64> {
    let table = match table {
        "events" | "conversations" | "conversation_contacts" | "notes" | "contact_companies" => table,
        other => return Err(crate::StoreError::Invalid(format!("no contact rows in {other}"))),
    };
    let sql = format!("SELECT COUNT(*) FROM {table} WHERE workspace_id = $1 AND contact_id = $2");
    db.read().scalar(Stmt::new(sql).arg(workspace_id).arg(contact_id)).await
}

/// Every contact row of the workspace, merged ones included (to check that nothing was written).
pub async fn raw_contact_count(db: &Db, workspace_id: WorkspaceId) -> StoreResult<i64> {
    db.read().scalar(Stmt::new("SELECT COUNT(*) FROM contacts WHERE workspace_id = $1").arg(workspace_id)).await
}
