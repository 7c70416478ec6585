//! The support addresses a workspace receives mail at (`support@acme.example` forwarded to
//! Rapport). Each address belongs to one workspace; the whole list is replaced at once.

use rapport_core::contact::Email;
use rapport_core::ids::WorkspaceId;

use crate::{now, Conflict, Conn, Db, Stmt, StoreError, StoreResult};

/// Most support addresses one workspace may have.
pub const MAX_SUPPORT_ADDRESSES: usize = 20;

/// The workspace's support addresses, sorted.
pub async fn support_addresses(db: &Db, workspace_id: WorkspaceId) -> StoreResult<Vec<String>> {
    let sql = "SELECT address FROM email_support_addresses WHERE workspace_id = $1 ORDER BY address";
    db.read().scalars(Stmt::new(sql).arg(workspace_id)).await
}

/// Replaces the workspace's support addresses. Every address must be valid and not belong to
/// another workspace; on any error nothing changes.
pub async fn set_support_addresses(
    db: &Db,
    workspace_id: WorkspaceId,
    addresses: &[String],
) -> StoreResult<Vec<String>> {
    if addresses.len() > MAX_SUPPORT_ADDRESSES {
        return Err(StoreError::Invalid(format!("support_addresses: at most {MAX_SUPPORT_ADDRESSES} addresses")));
    }
    let mut cleaned = Vec::with_capacity(addresses.len());
    for address in addresses {
        let email = Email::parse(address).map_err(|e| StoreError::Invalid(format!("support_addresses: {e}")))?;
        cleaned.push(email.as_str().to_lowercase());
    }
    cleaned.sort();
    cleaned.dedup();
    let at = now();
    let mut tx = db.begin().await?;
    for address in &cleaned {
        let owner: Option<i64> = tx
            .scalar_optional(
                Stmt::new("SELECT workspace_id FROM email_support_addresses WHERE address = $1").arg(address),
            )
            .await?;
        if owner.is_some_and(|owner| WorkspaceId::from(owner) != workspace_id) {
            return Err(Conflict::SupportAddressTaken { address: address.clone() }.into());
        }
    }
    tx.execute(Stmt::new("DELETE FROM email_support_addresses WHERE workspace_id = $1").arg(workspace_id)).await?;
    for address in &cleaned {
        tx.execute(
            Stmt::new("INSERT INTO email_support_addresses (workspace_id, address, created_at) VALUES ($1, $2, $3)")
                .arg(workspace_id)
                .arg(address)
                .arg(at),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(cleaned)
}
