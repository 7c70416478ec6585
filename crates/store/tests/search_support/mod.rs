//! Fixtures for the search tests: rows inserted with plain SQL, and a runner for compiled queries.
#![allow(dead_code)] // each test binary uses a subset
use rapport_core::ids::WorkspaceId;
use rapport_store::search::{compile, SearchModel};
use rapport_store::workspaces::Workspace;
use rapport_store::{Arg, Conn, Db, Stmt, StoreError};
use serde_json::{json, Value};

/// Runs one statement with its binds (test fixtures only).
pub async fn exec(db: &Db, sql: &str, binds: Vec<Arg>) {
    let mut tx = db.begin().await.expect("begin");
    tx.execute(Stmt::new(sql.to_string()).args(binds)).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    tx.commit().await.expect("commit");
}

pub fn t(s: &str) -> Arg {
    Arg::from(s)
}

pub fn opt(s: Option<&str>) -> Arg {
    // The INSERTs turn this marker into NULL with NULLIF.
    Arg::from(s.unwrap_or("<null>"))
}

/// A contact row; `None` text columns are stored as NULL.
pub struct C<'a> {
    pub role: &'a str,
    pub email: Option<&'a str>,
    pub name: Option<&'a str>,
    pub external_id: Option<&'a str>,
    pub country: Option<&'a str>,
    pub custom: Value,
    pub created_at: i64,
    pub unsubscribed: bool,
}

pub async fn contact(db: &Db, ws: WorkspaceId, c: C<'_>) -> i64 {
    let domain = c.email.and_then(|e| e.split_once('@')).map(|(_, d)| d);
    exec(
        db,
        "INSERT INTO contacts (workspace_id, role, email, email_domain, name, external_id, location_country, \
         custom_attributes, unsubscribed_from_emails, created_at, updated_at) VALUES ($1, $2, NULLIF($3, '<null>'), \
         NULLIF($4, '<null>'), NULLIF($5, '<null>'), NULLIF($6, '<null>'), NULLIF($7, '<null>'), $8, $9, $10, $10)",
        vec![
            Arg::from(ws),
            t(c.role),
            opt(c.email),
            opt(domain),
            opt(c.name),
            opt(c.external_id),
            opt(c.country),
            t(&c.custom.to_string()),
            Arg::from(c.unsubscribed),
            Arg::from(c.created_at),
        ],
    )
    .await;
    last_id(db, "contacts", ws).await
}

pub async fn last_id(db: &Db, table: &str, ws: WorkspaceId) -> i64 {
    let sql = format!("SELECT MAX(id) FROM {table} WHERE workspace_id = $1");
    db.read().scalar(Stmt::new(sql).arg(ws)).await.unwrap()
}

pub async fn attribute(db: &Db, ws: WorkspaceId, model: &str, name: &str, data_type: &str) {
    exec(
        db,
        "INSERT INTO data_attributes (workspace_id, model, name, label, data_type, created_at, updated_at) \
         VALUES ($1, $2, $3, $3, $4, 0, 0)",
        vec![Arg::from(ws), t(model), t(name), t(data_type)],
    )
    .await;
}

/// The ids the query selects in the workspace, in id order.
pub async fn search(db: &Db, ws: &Workspace, model: SearchModel, query: Value) -> Result<Vec<i64>, StoreError> {
    let condition = compile(db, ws, model, &query, 2).await?;
    let table = match model {
        SearchModel::Contacts => "contacts",
        SearchModel::Conversations => "conversations",
    };
    let sql = format!("SELECT id FROM {table} WHERE workspace_id = $1 AND {} ORDER BY id", condition.sql);
    let ids: Vec<i64> = db
        .read()
        .scalars(Stmt::new(sql.clone()).arg(ws.id).args(condition.binds))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    Ok(ids)
}

pub fn filter(field: &str, operator: &str, value: Value) -> Value {
    json!({"field": field, "operator": operator, "value": value})
}

/// A conversation row (with its contact) and what the conversation tests need of it.
pub struct Conv<'a> {
    pub contact_id: i64,
    pub state: &'a str,
    pub read: bool,
    pub priority: bool,
    pub admin: Option<i64>,
    pub team: Option<i64>,
    pub source_type: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
    pub custom: Value,
    pub created_at: i64,
    pub first_admin_reply_at: Option<i64>,
}

pub async fn conversation(db: &Db, ws: WorkspaceId, c: Conv<'_>) -> i64 {
    exec(
        db,
        "INSERT INTO conversations (workspace_id, contact_id, state, read, priority, admin_assignee_id, \
         team_assignee_id, source_type, source_delivered_as, source_subject, source_body, source_author_type, \
         source_author_id, custom_attributes, first_admin_reply_at, created_at, updated_at) VALUES ($1, $2, $3, $4, \
         $5, NULLIF($6, -1), NULLIF($7, -1), $8, 'customer_initiated', $9, $10, 'user', $2, $11, NULLIF($12, -1), \
         $13, $13)",
        vec![
            Arg::from(ws),
            Arg::from(c.contact_id),
            t(c.state),
            Arg::from(c.read),
            Arg::from(c.priority),
            Arg::from(c.admin.unwrap_or(-1)),
            Arg::from(c.team.unwrap_or(-1)),
            t(c.source_type),
            t(c.subject),
            t(c.body),
            t(&c.custom.to_string()),
            Arg::from(c.first_admin_reply_at.unwrap_or(-1)),
            Arg::from(c.created_at),
        ],
    )
    .await;
    let id = last_id(db, "conversations", ws).await;
    exec(
        db,
        "INSERT INTO conversation_contacts (workspace_id, conversation_id, contact_id, created_at) VALUES ($1, $2, $3, 0)",
        vec![Arg::from(ws), Arg::from(id), Arg::from(c.contact_id)],
    )
    .await;
    id
}

pub async fn tag(db: &Db, ws: WorkspaceId, name: &str, target_type: &str, target_ids: &[i64]) -> i64 {
    exec(db, "INSERT INTO tags (workspace_id, name, created_at) VALUES ($1, $2, 0)", vec![Arg::from(ws), t(name)])
        .await;
    let tag_id = last_id(db, "tags", ws).await;
    for target in target_ids {
        exec(
            db,
            "INSERT INTO taggings (workspace_id, tag_id, target_type, target_id, applied_at) VALUES ($1, $2, $3, $4, 0)",
            vec![Arg::from(ws), Arg::from(tag_id), t(target_type), Arg::from(*target)],
        )
        .await;
    }
    tag_id
}

pub fn plain(db: &Db, ws: WorkspaceId) -> impl std::future::Future<Output = i64> + '_ {
    contact(
        db,
        ws,
        C {
            role: "user",
            email: None,
            name: None,
            external_id: None,
            country: None,
            custom: json!({}),
            created_at: 0,
            unsubscribed: false,
        },
    )
}
