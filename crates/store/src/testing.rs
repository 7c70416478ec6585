//! Fresh databases for tests: a SQLite file per call and a PostgreSQL database per call, so every
//! repository test runs on both engines. PostgreSQL comes from `RAPPORT_TEST_POSTGRES_URL`
//! (default `postgres://postgres@127.0.0.1:5432/postgres`); `RAPPORT_TEST_SKIP_POSTGRES=1` skips it.
use rand::distributions::{Alphanumeric, DistString};
use rapport_core::ids::{ContactId, ConversationId, WorkspaceId};

use crate::admins::{Admin, NewAdmin};
use crate::workspaces::Workspace;
use crate::{now, Conn, Db, Stmt, StoreResult};

const DATABASE_PREFIX: &str = "rapport_t_";
/// Test databases older than this are dropped by later runs (a crashed run leaves its own behind).
const STALE_AFTER_SECONDS: i64 = 3 * 3600;

fn postgres_admin_url() -> String {
    std::env::var("RAPPORT_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

pub fn postgres_enabled() -> bool {
    std::env::var("RAPPORT_TEST_SKIP_POSTGRES").map(|v| v != "1").unwrap_or(true)
}

fn suffix() -> String {
    Alphanumeric.sample_string(&mut rand::thread_rng(), 10).to_lowercase()
}

/// A migrated SQLite database in a fresh temporary file.
pub async fn sqlite() -> Db {
    let path = std::env::temp_dir().join(format!("rapport-test-{}.db", suffix()));
    let db = Db::connect(&format!("sqlite://{}", path.display())).await.expect("open sqlite");
    db.migrate().await.expect("migrate sqlite");
    db
}

/// The URL of a fresh, empty PostgreSQL database (not yet migrated).
pub async fn postgres_url() -> String {
    use sqlx::Connection;
    let admin_url = postgres_admin_url();
    let mut conn = sqlx::PgConnection::connect(&admin_url).await.unwrap_or_else(|e| {
        panic!("PostgreSQL at {admin_url} is needed for tests ({e}); set RAPPORT_TEST_SKIP_POSTGRES=1 to skip")
    });
    let stale: Vec<String> = sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname LIKE 'rapport_t_%'")
        .fetch_all(&mut conn)
        .await
        .unwrap_or_default();
    for name in stale {
        let created: i64 =
            name.trim_start_matches(DATABASE_PREFIX).split('_').next().and_then(|s| s.parse().ok()).unwrap_or(0);
        if now() - created > STALE_AFTER_SECONDS {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\"")).execute(&mut conn).await;
        }
    }
    let name = format!("{DATABASE_PREFIX}{}_{}", now(), suffix());
    sqlx::query(&format!("CREATE DATABASE \"{name}\"")).execute(&mut conn).await.expect("create test database");
    let base = admin_url.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap_or(admin_url);
    format!("{base}/{name}")
}

/// A migrated PostgreSQL database created for this call.
pub async fn postgres() -> Db {
    let db = Db::connect(&postgres_url().await).await.expect("connect postgres");
    db.migrate().await.expect("migrate postgres");
    db
}

/// One fresh database per backend under test: SQLite, and PostgreSQL unless skipped.
pub async fn all() -> Vec<Db> {
    let mut dbs = vec![sqlite().await];
    if postgres_enabled() {
        dbs.push(postgres().await);
    }
    dbs
}

/// A new workspace with an owner admin (`owner@example.com`, password `correct horse battery`).
pub async fn workspace(db: &Db) -> (Workspace, Admin) {
    let ws = crate::workspaces::create(db, &format!("Test {}", suffix()), "UTC").await.expect("workspace");
    let admin = crate::admins::create(
        db,
        ws.id,
        NewAdmin {
            email: "owner@example.com",
            name: "Olive Owner",
            password: Some("correct horse battery"),
            role: rapport_core::admin::AdminRole::Owner,
            job_title: None,
        },
    )
    .await
    .expect("admin");
    (ws, admin)
}

/// A contact created through the real contacts repository (same validation as the API).
/// `role` is `user` or `lead`. Returns its id.
pub async fn contact(
    db: &Db,
    workspace_id: WorkspaceId,
    role: &str,
    external_id: Option<&str>,
    email: Option<&str>,
) -> crate::StoreResult<ContactId> {
    let fields = crate::contacts::ContactFields {
        role: Some(
            role.parse()
                .map_err(|e: rapport_core::contact::UnknownContactRole| crate::StoreError::Invalid(e.to_string()))?,
        ),
        external_id: Some(external_id.map(str::to_string)),
        email: Some(
            email
                .map(rapport_core::contact::Email::parse)
                .transpose()
                .map_err(|e| crate::StoreError::Invalid(e.to_string()))?,
        ),
        name: Some(Some("Test Contact".to_string())),
        ..Default::default()
    };
    Ok(crate::contacts::create(db, workspace_id, fields).await?.id)
}

/// Moves a conversation, its parts and its applied SLA to the instant `at`, as if written then:
/// how tests put a conversation at a chosen wall-clock moment (Friday 16:55 in New York, say)
/// without waiting for it.
pub async fn backdate_conversation(db: &Db, conversation_id: ConversationId, at: i64) {
    let statements = [
        "UPDATE conversations SET created_at = $2, updated_at = $2, waiting_since = $2 WHERE id = $1",
        "UPDATE conversation_parts SET created_at = $2, updated_at = $2 WHERE conversation_id = $1",
        "UPDATE conversation_slas SET applied_at = $2, next_check_at = $2 WHERE conversation_id = $1",
    ];
    for sql in statements {
        write(db, Stmt::new(sql).arg(conversation_id).arg(at)).await.expect("backdate conversation");
    }
}

/// Sets a workspace's timezone (there is no API for it yet).
pub async fn set_timezone(db: &Db, workspace_id: WorkspaceId, timezone: &str) {
    let update = Stmt::new("UPDATE workspaces SET timezone = $2 WHERE id = $1").arg(workspace_id).arg(timezone);
    write(db, update).await.expect("set timezone");
}

/// Turns a conversation into one that came by email, as the inbound listener would have
/// stored it: `source_type = 'email'`, the subject, and an inbound `email_messages` row for the
/// opening message. Used by outbound tests until they can go through the listener.
pub async fn make_email_conversation(
    db: &Db,
    workspace_id: WorkspaceId,
    conversation_id: ConversationId,
    subject: &str,
    message_id: &str,
) {
    let update = Stmt::new(
        "UPDATE conversations SET source_type = 'email', source_subject = $3 WHERE workspace_id = $1 AND id = $2",
    )
    .arg(workspace_id)
    .arg(conversation_id)
    .arg(subject);
    write(db, update).await.expect("mark the conversation as email");
    inbound_email(db, workspace_id, conversation_id, message_id, &[]).await;
}

/// Records an inbound email of a conversation (its Message-ID and References, oldest first).
pub async fn inbound_email(
    db: &Db,
    workspace_id: WorkspaceId,
    conversation_id: ConversationId,
    message_id: &str,
    references: &[&str],
) {
    let insert = Stmt::new(
        "INSERT INTO email_messages (workspace_id, conversation_id, direction, message_id, reference_ids, \
         from_address, delivery_state, created_at, updated_at) VALUES ($1, $2, 'inbound', $3, $4, '', 'received', $5, $5)",
    )
    .arg(workspace_id)
    .arg(conversation_id)
    .arg(message_id)
    .arg(references.join(" "))
    .arg(now());
    write(db, insert).await.expect("record an inbound email");
}

/// The tables a request can write to, with their row counts (all workspaces): equal before and
/// after a refused request shows that it wrote nothing.
pub async fn row_counts(db: &Db) -> Vec<(&'static str, i64)> {
    const TABLES: &[&str] = &[
        "contacts",
        "contact_identities",
        "companies",
        "tags",
        "taggings",
        "notes",
        "contact_companies",
        "email_messages",
        "teams",
        "saved_replies",
        "conversations",
        "conversation_parts",
        "events",
        "event_log",
        "data_attributes",
        "segment_identities",
        "segment_messages",
    ];
    let mut counts = Vec::with_capacity(TABLES.len());
    for table in TABLES {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        let count: i64 = db.read().scalar(Stmt::new(sql)).await.unwrap_or_else(|e| panic!("counting {table}: {e}"));
        counts.push((*table, count));
    }
    counts
}

/// Runs one statement in a write transaction of its own.
/// Runs one statement that writes (a fixture the repositories never write, a row a test breaks on
/// purpose) in a transaction of its own; answers how many rows it changed. Reads need no helper:
/// `db.read().scalar(Stmt::new(…).arg(…))` and the other [`Conn`] methods.
pub async fn write(db: &Db, stmt: Stmt) -> StoreResult<u64> {
    let mut tx = db.begin().await?;
    let changed = tx.execute(stmt).await?;
    tx.commit().await?;
    Ok(changed)
}

/// Runs one `INSERT … RETURNING` (a fixture row the repositories never write) in a transaction of
/// its own; answers the returned value.
pub async fn insert<T: crate::Scalar>(db: &Db, stmt: Stmt) -> StoreResult<T> {
    let mut tx = db.begin().await?;
    let value = tx.scalar(stmt).await?;
    tx.commit().await?;
    Ok(value)
}

/// The names of the schema read from the database itself: its tables, indexes and constraints
/// (SQLite's `sqlite_master`; PostgreSQL's catalog for the current schema). For tests that check
/// no answer names the schema.
pub async fn schema_names(db: &Db) -> Vec<String> {
    let queries: &[&str] = match db.backend() {
        crate::Backend::Sqlite => {
            &["SELECT name FROM sqlite_master WHERE type IN ('table', 'index', 'trigger', 'view')"]
        }
        crate::Backend::Postgres => &[
            "SELECT table_name::TEXT FROM information_schema.tables WHERE table_schema = current_schema()",
            "SELECT indexname::TEXT FROM pg_indexes WHERE schemaname = current_schema()",
            "SELECT constraint_name::TEXT FROM information_schema.table_constraints \
             WHERE constraint_schema = current_schema()",
        ],
    };
    let mut names = Vec::new();
    for sql in queries {
        let found: Vec<String> =
            db.read().scalars(Stmt::new(*sql)).await.unwrap_or_else(|e| panic!("reading the schema ({sql}): {e}"));
        names.extend(found);
    }
    names.sort();
    names.dedup();
    assert!(names.iter().any(|n| n == "contacts"), "the schema was not read: {names:?}");
    names
}

/// What of the schema `text` (an answer body) gives away, from `names` ([`schema_names`]): a name
/// with an underscore (indexes, constraints and most tables) anywhere; a one-word table name in
/// the forms the drivers print it (`teams.name`, `"teams"`, `table teams`, `on teams`,
/// `teams(`), since as a plain word it is also English the product's own messages may use
/// ("this contact has conversations"); and the drivers' own words for a unique violation.
/// Case-insensitive. Empty when nothing leaks.
pub fn schema_leaks(text: &str, names: &[String]) -> Vec<String> {
    const DRIVER_WORDS: &[&str] = &[
        "unique constraint",
        "duplicate key",
        "violates",
        "constraint",
        "sqlstate",
        "key (",
        "workspace_id",
        "sqlite",
        "pg_",
        "database",
    ];
    let text = text.to_lowercase();
    let mut leaks: Vec<String> = DRIVER_WORDS.iter().filter(|w| text.contains(*w)).map(|w| w.to_string()).collect();
    for name in names {
        let name = name.to_lowercase();
        let leaked = if name.contains('_') {
            text.contains(&name)
        } else {
            let qualified = text.match_indices(&format!("{name}.")).any(|(at, m)| {
                let before = text[..at].chars().next_back();
                let after = text[at + m.len()..].chars().next();
                !before.is_some_and(|c| c.is_alphanumeric() || c == '_') && after.is_some_and(char::is_alphabetic)
            });
            qualified
                || [format!("\"{name}\""), format!("\\\"{name}\\\""), format!("table {name}"), format!("on {name}")]
                    .iter()
                    .any(|form| text.contains(form.as_str()))
                || text.contains(&format!("{name}("))
        };
        if leaked {
            leaks.push(name);
        }
    }
    leaks
}

/// Runs a statement of the test's own, such as a schema rule the product does not have (to reach
/// a failure no repository expects).
pub async fn execute(db: &Db, sql: &str) {
    write(db, Stmt::new(sql.to_string()).once()).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
}
