//! GitHub issue links: a conversation may be linked to GitHub issues; when an issue closes, the
//! inbound GitHub webhook reopens every linked conversation (see `rapport_http::routes::github`).
use rapport_core::ids::{AdminId, ConversationId, WorkspaceId};
use rapport_core::webhook::parse_github_issue;
use serde::Serialize;

use crate::{now, Conn, Db, Stmt, StoreError, StoreResult};

#[derive(Debug, Clone, Serialize, crate::Row)]
pub struct IssueLink {
    pub id: i64,
    pub workspace_id: WorkspaceId,
    pub conversation_id: ConversationId,
    pub repository: String,
    pub issue_number: i64,
    pub url: String,
    pub admin_id: AdminId,
    pub created_at: i64,
}

const COLUMNS: &str = "id, workspace_id, conversation_id, repository, issue_number, url, admin_id, created_at";

/// Links a conversation of the workspace to a GitHub issue URL (linking twice is one link).
pub async fn link(
    db: &Db,
    workspace_id: WorkspaceId,
    conversation_id: ConversationId,
    admin_id: AdminId,
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
    let upsert = Stmt::new(sql)
        .arg(workspace_id)
        .arg(conversation_id)
        .arg(&repository)
        .arg(number)
        .arg(&url)
        .arg(admin_id)
        .arg(now());
    let mut tx = db.begin().await?;
    let link = tx.fetch_one(upsert).await?;
    tx.commit().await?;
    Ok(link)
}

/// The issues a conversation is linked to.
pub async fn links(db: &Db, workspace_id: WorkspaceId, conversation_id: ConversationId) -> StoreResult<Vec<IssueLink>> {
    crate::conversations::find(db, workspace_id, conversation_id).await?;
    let sql = format!(
        "SELECT {COLUMNS} FROM github_issue_links WHERE workspace_id = $1 AND conversation_id = $2 ORDER BY id"
    );
    db.read().fetch_all(Stmt::new(sql).arg(workspace_id).arg(conversation_id)).await
}

/// Every link to an issue, in every workspace (the GitHub webhook is per installation).
pub async fn linked_to(db: &Db, repository: &str, issue_number: i64) -> StoreResult<Vec<IssueLink>> {
    let sql =
        format!("SELECT {COLUMNS} FROM github_issue_links WHERE repository = $1 AND issue_number = $2 ORDER BY id");
    db.read().fetch_all(Stmt::new(sql).arg(repository.to_lowercase()).arg(issue_number)).await
}
