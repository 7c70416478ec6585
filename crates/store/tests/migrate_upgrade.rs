//! Upgrading a database that an older release left behind: the 0029 release's migrations are
//! today's files up to 0029 without those added since (PostgreSQL's 0027/0028); applied files are
//! never edited (sqlx checksums them), so that is that release's set byte for byte. Each test builds a database with those files, writes rows the way
//! that release did (raw SQL against that schema, so the test keeps working when the store's code
//! moves on), then opens it with `Db::connect` + `Db::migrate` as `rapport serve` does, and checks
//! that every migration of today is recorded, that the rows are still there, and that the store
//! reads and writes them.
//!
//! It also pins how sqlx (0.8) treats a migration numbered below the highest applied one (here
//! PostgreSQL's 0027 and 0028, added after 0029): it applies it, it neither refuses nor skips it.
use rapport_core::ids::{AdminId, ContactId, ConversationId, WorkspaceId};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use rapport_store::contacts;
use rapport_store::conversations::counts::inbox_counts;
use rapport_store::conversations::{self, Change, ContactRef};
use rapport_store::{event_log, testing, workspaces, Backend, Conn, Db, Stmt};
use serde_json::json;
use sqlx::migrate::Migrator;
use sqlx::postgres::PgPool;
use sqlx::sqlite::SqlitePool;

/// Migrations numbered up to 0029 that the 0029 release did not have.
const ADDED_AFTER_0029: &[(&str, i64)] = &[("postgres", 27), ("postgres", 28)];

/// A directory holding the 0029 release's migrations of `engine` (copies of today's files).
fn release_0029(engine: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rapport-migrations-0029-{engine}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(current(engine)).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let version: i64 = name.split('_').next().and_then(|v| v.parse().ok()).expect("a numbered migration");
        if version <= 29 && !ADDED_AFTER_0029.contains(&(engine, version)) {
            std::fs::copy(&path, dir.join(&name)).unwrap();
        }
    }
    dir
}

fn current(engine: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(engine)
}

async fn versions_in(dir: &Path) -> BTreeSet<i64> {
    Migrator::new(dir).await.unwrap_or_else(|e| panic!("{}: {e}", dir.display())).iter().map(|m| m.version).collect()
}

/// The versions recorded in `_sqlx_migrations`, all of them successful.
async fn applied(db: &Db) -> BTreeSet<i64> {
    let rows: Vec<(i64, bool)> =
        db.read().fetch_all(Stmt::new("SELECT version, success FROM _sqlx_migrations")).await.unwrap();
    assert!(rows.iter().all(|(_, success)| *success), "a failed migration is recorded: {rows:?}");
    rows.into_iter().map(|(version, _)| version).collect()
}

async fn exec(db: &Db, sql: &str, binds: &[i64]) {
    testing::write(db, Stmt::new(sql.to_string()).args(binds)).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// The one integer `sql` answers (an `INSERT … RETURNING id`, a `COUNT(*)`), in a write
/// transaction of its own (a read is one too).
async fn scalar(db: &Db, sql: &str, binds: &[i64]) -> i64 {
    let answer = async {
        let mut tx = db.begin().await?;
        let value = tx.scalar(Stmt::new(sql.to_string()).args(binds)).await?;
        tx.commit().await?;
        Ok::<i64, rapport_store::StoreError>(value)
    };
    answer.await.unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Applies `migrations` (an older release's set) to the database at `url` with sqlx's migrator,
/// as that release's `rapport serve` did. The migrator runs on a sqlx pool: this opens one of
/// its own on the URL (the store's `Db` runs statements, not migrators of the test's choosing),
/// and closes it afterwards.
async fn apply_release(url: &str, backend: Backend, migrations: &Migrator) {
    match backend {
        Backend::Sqlite => {
            let pool = SqlitePool::connect(url).await.unwrap_or_else(|e| panic!("{url}: {e}"));
            migrations.run(&pool).await.expect("the 0029 release's migrations");
            pool.close().await;
        }
        Backend::Postgres => {
            let pool = PgPool::connect(url).await.unwrap_or_else(|e| panic!("{url}: {e}"));
            migrations.run(&pool).await.expect("the 0029 release's migrations");
            pool.close().await;
        }
    }
}

/// What the 0029 release wrote: ids of the rows, to find them again after the upgrade.
struct Seeded {
    workspace: i64,
    contact: ContactId,
    company: i64,
    conversation: ConversationId,
    last_seq: i64,
}

/// Rows as the 0029 release's store wrote them (same columns and values), in raw SQL that both
/// engines take.
async fn seed_as_0029(db: &Db) -> Seeded {
    let at = 1_700_000_000;
    let workspace = scalar(
        db,
        "INSERT INTO workspaces (app_id, name, timezone, identity_secret, tracking_key, created_at, updated_at) \
         VALUES ('upgr4de', 'Upgrade Co', 'UTC', 'secret', 'track-upgrade', $1, $1) RETURNING id",
        &[at],
    )
    .await;
    let admin = scalar(
        db,
        "INSERT INTO admins (workspace_id, email, name, role, created_at, updated_at) \
         VALUES ($1, 'owner@example.com', 'Olive Owner', 'owner', $2, $2) RETURNING id",
        &[workspace, at],
    )
    .await;
    let contact = scalar(
        db,
        "INSERT INTO contacts (workspace_id, role, external_id, email, email_domain, name, created_at, updated_at) \
         VALUES ($1, 'user', 'user-1', 'ada@example.com', 'example.com', 'Ada Lovelace', $2, $2) RETURNING id",
        &[workspace, at],
    )
    .await;
    exec(
        db,
        "INSERT INTO contact_identities (workspace_id, contact_id, kind, value, verified, created_at) \
         VALUES ($1, $2, 'email', 'ada@example.com', TRUE, $3), ($1, $2, 'external_id', 'user-1', TRUE, $3)",
        &[workspace, contact, at],
    )
    .await;
    let company = scalar(
        db,
        "INSERT INTO companies (workspace_id, company_id, name, created_at, updated_at) \
         VALUES ($1, 'analytical', 'Analytical Engines', $2, $2) RETURNING id",
        &[workspace, at],
    )
    .await;
    exec(
        db,
        "INSERT INTO contact_companies (workspace_id, contact_id, company_id, created_at) VALUES ($1, $2, $3, $4)",
        &[workspace, contact, company, at],
    )
    .await;
    let conversation = scalar(
        db,
        "INSERT INTO conversations (workspace_id, contact_id, state, read, priority, source_type, \
         source_delivered_as, source_subject, source_body, source_author_type, source_author_id, \
         waiting_since, first_contact_reply_at, last_contact_reply_at, created_at, updated_at) \
         VALUES ($1, $2, 'open', FALSE, FALSE, 'conversation', 'customer_initiated', '', \
         'Where is my invoice?', 'user', $2, $3, $3, $3, $3, $3) RETURNING id",
        &[workspace, contact, at],
    )
    .await;
    exec(
        db,
        "INSERT INTO conversation_parts (workspace_id, conversation_id, part_type, body, author_type, author_id, \
         state, created_at, updated_at) VALUES ($1, $2, 'comment', 'Where is my invoice?', 'user', $3, 'open', $4, $4)",
        &[workspace, conversation, contact, at],
    )
    .await;
    exec(
        db,
        "INSERT INTO conversation_contacts (workspace_id, conversation_id, contact_id, created_at) \
         VALUES ($1, $2, $3, $4)",
        &[workspace, conversation, contact, at],
    )
    .await;
    exec(
        db,
        "UPDATE conversations SET count_parts = 1, admin_assignee_id = $3 WHERE workspace_id = $1 AND id = $2",
        &[workspace, conversation, admin],
    )
    .await;
    // The log as that release appended it: on SQLite the 0028 trigger records the number, on
    // PostgreSQL the statement writes event_sequences itself.
    let last_seq = 2;
    for seq in 1..=last_seq {
        exec(
            db,
            "INSERT INTO event_log (workspace_id, seq, kind, conversation_id, audience, payload, created_at) \
             VALUES ($1, $2, 'conversation.part.created', $3, 'all', '{}', $4)",
            &[workspace, seq, conversation, at],
        )
        .await;
    }
    // A conversation whose contact is not among its participants (a row no release's store
    // wrote, but a raw import could have): 0030 adds it, and counts it as unassigned.
    exec(
        db,
        "INSERT INTO conversations (workspace_id, contact_id, state, read, priority, source_type, \
         source_delivered_as, source_subject, source_body, source_author_type, source_author_id, created_at, updated_at) \
         VALUES ($1, $2, 'open', FALSE, FALSE, 'conversation', 'customer_initiated', '', 'Hello again', 'user', $2, $3, $3)",
        &[workspace, contact, at + 1],
    )
    .await;
    if db.backend() == Backend::Postgres {
        exec(db, "INSERT INTO event_sequences (workspace_id, last_seq) VALUES ($1, $2)", &[workspace, last_seq]).await;
    }
    Seeded {
        workspace,
        contact: ContactId::new(contact),
        company,
        conversation: ConversationId::new(conversation),
        last_seq,
    }
}

async fn upgrade(url: &str, engine: &str) {
    let db = Db::connect(url).await.unwrap();
    let release = release_0029(engine);
    let old = Migrator::new(release.as_path()).await.unwrap();
    // `Db::connect` created the (SQLite) file; the old release's migrations go in through a
    // connection of their own.
    apply_release(url, db.backend(), &old).await;
    let at_0029 = applied(&db).await;
    assert_eq!(at_0029, versions_in(&release).await);
    let _ = std::fs::remove_dir_all(&release);
    assert_eq!(at_0029.last(), Some(&29));
    let seeded = seed_as_0029(&db).await;
    let contacts_before =
        scalar(&db, "SELECT COUNT(*) FROM contacts WHERE workspace_id = $1", &[seeded.workspace]).await;

    // What `rapport serve` does at start.
    db.migrate().await.expect("migrating a database of the 0029 release forward");
    let now_applied = applied(&db).await;
    assert_eq!(now_applied, versions_in(&current(engine)).await, "every migration of today is recorded");
    let added: Vec<i64> = now_applied.difference(&at_0029).copied().collect();
    if engine == "postgres" {
        // Numbered below 29 and added after it: sqlx applied them all the same.
        assert!(added.starts_with(&[27, 28]), "PostgreSQL's 0027 and 0028 were applied: {added:?}");
    }
    db.migrate().await.expect("a second start has nothing to apply");
    assert_eq!(applied(&db).await, now_applied);

    // The rows are still there, and the store reads them.
    assert_eq!(
        scalar(&db, "SELECT COUNT(*) FROM contacts WHERE workspace_id = $1", &[seeded.workspace]).await,
        contacts_before
    );
    let ws = workspaces::find(&db, WorkspaceId::from(seeded.workspace)).await.unwrap();
    assert_eq!(ws.name, "Upgrade Co");
    let contact = contacts::find(&db, ws.id, seeded.contact).await.unwrap();
    assert_eq!((contact.name.as_deref(), contact.email.as_deref()), (Some("Ada Lovelace"), Some("ada@example.com")));
    let conversation = conversations::find(&db, ws.id, seeded.conversation).await.unwrap();
    assert_eq!(conversation.contact_id, seeded.contact);
    assert_eq!(scalar(&db, "SELECT COUNT(*) FROM contact_companies WHERE company_id = $1", &[seeded.company]).await, 1);

    // Search reads the indexes the old release filled: trigram (3+ characters, FTS5 on SQLite) and
    // prefix (under 3, SQLite's 0027 indexes), contacts and message text.
    for (operator, value) in [("~", "lovelace"), ("^", "Ad")] {
        let query = json!({"field": "name", "operator": operator, "value": value});
        let page = contacts::search(&db, &ws, &query, 10, None).await.unwrap();
        assert_eq!(page.contacts.iter().map(|c| c.id).collect::<Vec<_>>(), [seeded.contact], "{query}");
    }
    let query = json!({"field": "source.body", "operator": "~", "value": "invoice"});
    let page = conversations::search(&db, &ws, &query, Default::default(), 10, None).await.unwrap();
    assert_eq!(page.conversations.iter().map(|c| c.id).collect::<Vec<_>>(), [seeded.conversation]);

    // 0030 counted the rows already there and made every conversation one of its contact's.
    let counts = inbox_counts(&db, ws.id, "open", AdminId::new(0)).await.unwrap();
    assert_eq!((counts.all, counts.unassigned), (2, 1), "{counts:?}");
    let query = json!({"field": "contact_ids", "operator": "=", "value": seeded.contact});
    let page = conversations::search(&db, &ws, &query, Default::default(), 10, None).await.unwrap();
    assert_eq!(page.conversations.len(), 2, "both of the contact's conversations");

    // The log goes on from where the old release left it.
    assert_eq!(event_log::last_seq(&db, ws.id).await.unwrap(), seeded.last_seq);
    let reply = Change::ContactReply { contact: ContactRef::Id(seeded.contact), body: "Found it, thanks" };
    conversations::reply_or_act(&db, ws.id, seeded.conversation, reply).await.unwrap();
    let last = event_log::last_seq(&db, ws.id).await.unwrap();
    assert!(last > seeded.last_seq, "the reply appended after the old events");
    let seqs: Vec<i64> = event_log::after(&db, ws.id, 0, 100).await.unwrap().iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=last).collect::<Vec<_>>(), "the log stays gapless across the upgrade");
}

#[tokio::test]
async fn a_sqlite_database_of_the_0029_release_migrates_forward() {
    let path = std::env::temp_dir().join(format!("rapport-upgrade-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&path);
    upgrade(&format!("sqlite://{}", path.display()), "sqlite").await;
}

#[tokio::test]
async fn a_postgres_database_of_the_0029_release_migrates_forward() {
    if !testing::postgres_enabled() {
        return;
    }
    upgrade(&testing::postgres_url().await, "postgres").await;
}
