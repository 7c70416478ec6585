//! The support addresses a workspace receives mail at (`support@acme.example` forwarded to
//! Rapport). Each address belongs to one workspace; the whole list is replaced at once.

use rapport_core::contact::Email;

use crate::{now, with_pool, Conflict, Db, StoreError, StoreResult};

/// Most support addresses one workspace may have.
pub const MAX_SUPPORT_ADDRESSES: usize = 20;

/// The workspace's support addresses, sorted.
pub async fn support_addresses(db: &Db, workspace_id: i64) -> StoreResult<Vec<String>> {
    Ok(with_pool!(db, pool => sqlx::query_scalar::<_, String>(
        "SELECT address FROM email_support_addresses WHERE workspace_id = $1 ORDER BY address")
        .bind(workspace_id).fetch_all(pool).await)?)
}

/// Replaces the workspace's support addresses. Every address must be valid and not belong to
/// another workspace; on any error nothing changes.
pub async fn set_support_addresses(db: &Db, workspace_id: i64, addresses: &[String]) -> StoreResult<Vec<String>> {
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
    with_pool!(db, pool => {
        let mut tx = db.begin_write(pool).await?;
        for address in &cleaned {
            let owner = sqlx::query_scalar::<_, i64>(
                "SELECT workspace_id FROM email_support_addresses WHERE address = $1")
                .bind(address).fetch_optional(&mut *tx).await?;
            if owner.is_some_and(|owner| owner != workspace_id) {
                return Err(Conflict::SupportAddressTaken { address: address.clone() }.into());
            }
        }
        sqlx::query("DELETE FROM email_support_addresses WHERE workspace_id = $1")
            .bind(workspace_id).execute(&mut *tx).await?;
        for address in &cleaned {
            sqlx::query("INSERT INTO email_support_addresses (workspace_id, address, created_at) VALUES ($1, $2, $3)")
                .bind(workspace_id).bind(address).bind(at).execute(&mut *tx).await?;
        }
        tx.commit().await?;
    });
    Ok(cleaned)
}
