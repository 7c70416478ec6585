//! Bulk loading for benchmarks: millions of contacts, conversations and parts in an existing
//! workspace, one transaction per batch of big multi-row INSERTs.
use rapport_core::ids::{AdminId, WorkspaceId};
use std::time::Instant;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use serde_json::json;

use super::batch::{self, Rows, V};
use super::conversations::{self, Cast};
use super::text::{self, pick};
use crate::{now, Backend, Conn, Db, Stmt, StoreError, StoreResult};

/// What [`seed_scale`] added.
#[derive(Debug, Clone, Serialize)]
pub struct ScaleSummary {
    pub contacts: u64,
    pub conversations: u64,
    pub parts: u64,
    pub seconds: f64,
}

const CONTACT_BATCH: usize = 10_000;

/// Adds `contacts` contacts, then `conversations` conversations of exactly
/// `parts_per_conversation` parts each to workspace `workspace_id`, spread over the workspace's
/// contacts (new and existing), active non-viewer admins and teams. Safe to run repeatedly:
/// emails and external ids are numbered after the highest contact id.
///
/// On SQLite the full-text indexes are built once after the load instead of row by row (see
/// `FtsDeferred`): run it on a database no server is writing to.
pub async fn seed_scale(
    db: &Db,
    workspace_id: WorkspaceId,
    conversations: u64,
    parts_per_conversation: u64,
    contacts: u64,
) -> StoreResult<ScaleSummary> {
    let started = Instant::now();
    crate::workspaces::find(db, workspace_id).await?;
    let deferred = FtsDeferred::start(db).await?;
    let loaded = load(db, workspace_id, conversations, parts_per_conversation, contacts).await;
    // The triggers come back and the indexes are rebuilt whether or not the load succeeded.
    deferred.finish(db).await?;
    let (conversations, parts) = loaded?;
    // The planner needs statistics for the new volume (see `Db::optimize`).
    db.optimize().await?;
    Ok(ScaleSummary { contacts, conversations, parts, seconds: started.elapsed().as_secs_f64() })
}

/// SQLite's FTS5 tables (migrations 0009, 0014) are kept by `AFTER INSERT` triggers; row by row
/// that is most of a bulk load's time (measured: 300,000 parts took 222 s with the trigger and
/// 69 s loaded bare then rebuilt in one pass). So the bulk load sets the `*_fts_insert` triggers
/// aside, and `finish` puts the same statements back (read from the schema, not repeated here)
/// and rebuilds every FTS5 table from its content table in the same transaction. Nothing on
/// PostgreSQL, whose GIN indexes take bulk inserts well.
struct FtsDeferred {
    /// (name, CREATE TRIGGER statement) of each trigger set aside.
    triggers: Vec<(String, String)>,
    /// The FTS5 tables to rebuild.
    tables: Vec<String>,
}

impl FtsDeferred {
    async fn start(db: &Db) -> StoreResult<FtsDeferred> {
        if db.backend() != Backend::Sqlite {
            return Ok(FtsDeferred { triggers: Vec::new(), tables: Vec::new() });
        }
        let mut tx = db.begin().await?;
        let triggers: Vec<(String, String)> = tx
            .fetch_all(Stmt::new(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%\\_fts\\_insert' ESCAPE '\\'",
            ))
            .await?;
        let tables: Vec<String> = tx
            .scalars(Stmt::new(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE % USING fts5%'",
            ))
            .await?;
        for (name, _) in &triggers {
            tx.execute(Stmt::new(format!("DROP TRIGGER \"{name}\"")).once()).await?;
        }
        tx.commit().await?;
        Ok(FtsDeferred { triggers, tables })
    }

    async fn finish(self, db: &Db) -> StoreResult<()> {
        if self.triggers.is_empty() {
            return Ok(());
        }
        let mut tx = db.begin().await?;
        for (name, sql) in self.triggers {
            // Idempotent: the trigger as the schema defined it, whatever is there now.
            tx.execute(Stmt::new(format!("DROP TRIGGER IF EXISTS \"{name}\"")).once()).await?;
            tx.execute(Stmt::new(sql).once()).await?;
        }
        for table in &self.tables {
            let rebuild = format!("INSERT INTO \"{table}\" (\"{table}\") VALUES ('rebuild')");
            tx.execute(Stmt::new(rebuild).once()).await?;
        }
        tx.commit().await
    }
}

/// The rows of [`seed_scale`]; returns the conversations and parts added.
async fn load(
    db: &Db,
    workspace_id: WorkspaceId,
    conversations: u64,
    parts_per_conversation: u64,
    contacts: u64,
) -> StoreResult<(u64, u64)> {
    let at = now();
    let offset: i64 = db.read().scalar(Stmt::new("SELECT COALESCE(MAX(id), 0) FROM contacts")).await?;
    let mut rng = StdRng::seed_from_u64(workspace_id.get() as u64 ^ ((offset as u64) << 20));

    let mut remaining = contacts as usize;
    let mut n = offset;
    while remaining > 0 {
        let size = remaining.min(CONTACT_BATCH);
        let mut rows = Rows::new(
            "contacts",
            &[
                "workspace_id",
                "role",
                "external_id",
                "email",
                "email_domain",
                "name",
                "custom_attributes",
                "signed_up_at",
                "last_seen_at",
                "created_at",
                "updated_at",
            ],
        );
        for _ in 0..size {
            n += 1;
            let user = rng.gen_bool(0.8);
            let (first, last) = (pick(&mut rng, text::FIRST_NAMES), pick(&mut rng, text::LAST_NAMES));
            let domain = pick(&mut rng, text::LEAD_DOMAINS);
            let local: String = format!("{first}.{last}")
                .to_lowercase()
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
                .collect();
            let created = at - rng.gen_range(0..400 * 86_400);
            rows.push(vec![
                V::I(workspace_id.get()),
                V::S(if user { "user" } else { "lead" }.into()),
                V::NS(user.then(|| format!("scale_{n}"))),
                V::S(format!("{local}.{n}@{domain}")),
                V::S(domain.into()),
                V::S(format!("{first} {last}")),
                V::S(json!({"seats": rng.gen_range(1..50)}).to_string()),
                V::NI(user.then_some(created)),
                V::I(at - rng.gen_range(0..30 * 86_400)),
                V::I(created),
                V::I(created),
            ]);
        }
        batch::insert_all(db, &[rows]).await?;
        remaining -= size;
    }

    let people: Vec<(i64, String)> = db
        .read()
        .fetch_all(
            Stmt::new("SELECT id, role FROM contacts WHERE workspace_id = $1 AND merged_into_id IS NULL ORDER BY id")
                .arg(workspace_id),
        )
        .await?;
    if people.is_empty() && conversations > 0 {
        return Err(StoreError::Invalid("the workspace has no contacts to start conversations".into()));
    }
    let cast = cast(db, workspace_id).await?;
    let per_batch = (40_000 / (parts_per_conversation as usize + 1)).clamp(200, 5_000);
    let (mut done, mut parts) = (0u64, 0u64);
    while done < conversations {
        let size = (conversations - done).min(per_batch as u64) as usize;
        let mut plans = Vec::with_capacity(size);
        for _ in 0..size {
            let (contact, role) = &people[rng.gen_range(0..people.len())];
            let role = if role == "lead" { "lead" } else { "user" };
            let created_at = at - rng.gen_range(3_600..365 * 86_400);
            let n = parts_per_conversation as usize;
            plans.push(conversations::plan(&mut rng, &cast, *contact, role, created_at, n, at));
        }
        parts += conversations::insert(db, workspace_id, &plans).await?;
        done += size as u64;
        if done % 100_000 < size as u64 {
            tracing::info!(done, total = conversations, "seeded conversations");
        }
    }
    Ok((conversations, parts))
}

/// The workspace's responders (active admins who are not viewers), teams and conversation tags.
async fn cast(db: &Db, workspace_id: WorkspaceId) -> StoreResult<Cast> {
    let responders: Vec<i64> = db
        .read()
        .scalars(
            Stmt::new("SELECT id FROM admins WHERE workspace_id = $1 AND active = $2 AND role <> 'viewer' ORDER BY id")
                .arg(workspace_id)
                .arg(true),
        )
        .await?;
    let teams = crate::teams::list_with_members(db, workspace_id)
        .await?
        .into_iter()
        .map(|t| {
            (t.team.id.get(), t.admin_ids.into_iter().map(AdminId::get).filter(|a| responders.contains(a)).collect())
        })
        .collect();
    let mut tags = std::collections::HashMap::new();
    for name in text::CONVERSATION_TAGS {
        tags.insert(name.to_string(), crate::tags::find_or_create(db, workspace_id, name).await?.id);
    }
    Ok(Cast { responders, teams, tags })
}
