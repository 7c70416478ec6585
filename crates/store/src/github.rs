//! GitHub issue links: a conversation may be linked to GitHub issues; when an issue closes, the
//! inbound GitHub webhook reopens every linked conversation (see `rapport_http::routes::github`).
use rapport_core::webhook::parse_github_issue;
use serde::Serialize;

use crate::{now, with_pool, Db, StoreError, StoreResult};

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct IssueLink {
    pub id: i64,
    pub workspace_id: i64,
    pub conversation_id: i64,
    pub repository: String,
    pub issue_number: i64,
    pub url: String,
    pub admin_id: i64,
    pub created_at: i64,
}

const COLUMNS: &str = "id, workspace_id, conversation_id, repository, issue_number, url, admin_id, created_at";

/// Links a conversation of the workspace to a GitHub issue URL (linking twice is one link).
pub async fn link(
    db: &Db,
    workspace_id: i64,
    conversation_id: i64,
    admin_id: i64,
    url: &str,
) -> StoreResult<IssueLink> {
    let (repository, number) = parse_github_issue(url).ok_or_else(|| {
        StoreError::Invalid("url must be a GitHub issue URL: https://github.com/owner/repo/issues/N".into())
    })?;
    crate::conversations::find(db, workspace_id, conversation_id).await?;
    let url = format!("https://github.com/{repository}/issues/{number}");
    let sql = format!(
        "INSERT INTO github_issue_links (workspace_id, conversation_id, repository, issue_number, url, admin_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (workspace_id, conversation_id, repository, issue_number) \
         DO UPDATE SET url = excluded.url RETURNING {COLUMNS}"
    );
    Ok(with_pool!(db, pool => sqlx::query_as::<_, IssueLink>(&sql)
        .bind(workspace_id).bind(conversation_id).bind(&repository).bind(number).bind(&url).bind(admin_id).bind(now())
        .fetch_one(pool).await)?)
}

/// The issues a conversation is linked to.
pub async fn links(db: &Db, workspace_id: i64, conversation_id: i64) -> StoreResult<Vec<IssueLink>> {
    crate::conversations::find(db, workspace_id, conversation_id).await?;
    let sql = format!(
        "SELECT {COLUMNS} FROM github_issue_links WHERE workspace_id = $1 AND conversation_id = $2 ORDER BY id"
    );
    Ok(with_pool!(db, pool => sqlx::query_as::<_, IssueLink>(&sql)
        .bind(workspace_id).bind(conversation_id).fetch_all(pool).await)?)
}

/// Every link to an issue, in every workspace (the GitHub webhook is per installation).
pub async fn linked_to(db: &Db, repository: &str, issue_number: i64) -> StoreResult<Vec<IssueLink>> {
    let sql =
        format!("SELECT {COLUMNS} FROM github_issue_links WHERE repository = $1 AND issue_number = $2 ORDER BY id");
    Ok(with_pool!(db, pool => sqlx::query_as::<_, IssueLink>(&sql)
        .bind(repository.to_lowercase()).bind(issue_number).fetch_all(pool).await)?)
}
