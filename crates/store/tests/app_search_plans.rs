//! The searches the agent app sends (web/app/src: the inbox list of each view, the context
//! panel's previous conversations) are read from indexes on both engines: the statements
//! `conversations::search` runs, explained on a workspace with enough rows for the planners'
//! statistics to matter, never scan the conversations.
use rapport_core::admin::AdminRole;
use rapport_store::admins::{self, NewAdmin};
use rapport_store::conversations::listing::statements;
use rapport_store::conversations::{Sort, SortField};
use rapport_store::search::SearchModel;
use rapport_store::teams::{self, TeamFields};
use rapport_store::{seed, testing, Backend, Conn, Db, Stmt};
use serde_json::{json, Value};

/// The plan of the page and count statements of `query`, one line per step.
async fn plans(db: &Db, ws: &rapport_store::workspaces::Workspace, query: &Value, sort: Sort) -> Vec<String> {
    let condition = rapport_store::search::compile(db, ws, SearchModel::Conversations, query, 2).await.unwrap();
    let (page, count) = statements(db.backend(), Some(&condition), sort, false);
    let mut lines = Vec::new();
    for (sql, limit) in [(page, Some(51_i64)), (count, None)] {
        let stmt = |prefix: &str| {
            let stmt = Stmt::new(format!("{prefix} {sql}")).arg(ws.id).args(condition.binds.iter().cloned());
            match limit {
                Some(limit) => stmt.arg(limit),
                None => stmt,
            }
        };
        match db.backend() {
            Backend::Sqlite => {
                let plan: Vec<(i64, i64, i64, String)> = db.read().fetch_all(stmt("EXPLAIN QUERY PLAN")).await.unwrap();
                lines.extend(plan.into_iter().map(|(_, _, _, step)| step));
            }
            Backend::Postgres => lines.extend(db.read().scalars::<String>(stmt("EXPLAIN")).await.unwrap()),
        }
        lines.push("--".to_string());
    }
    lines
}

/// A full read of conversations: SQLite's `SCAN conversations` (with or without an index: every
/// row in some order) or a search of an index on the workspace alone (every row of the
/// workspace), PostgreSQL's sequential scan of it.
fn scans_conversations(plan: &[String]) -> bool {
    plan.iter().any(|step| {
        let step = step.trim_start_matches([' ', '-', '>']);
        step.starts_with("SCAN conversations")
            || (step.starts_with("SEARCH conversations ") && step.ends_with("(workspace_id=?)"))
            || step.starts_with("Seq Scan on conversations ")
    })
}

/// The conversations are found by primary key (from the ids a relation's index named).
fn reads_by_id(plan: &[String]) -> bool {
    plan.iter().any(|step| step.contains("SEARCH conversations USING INTEGER PRIMARY KEY"))
        || plan.iter().any(|step| step.contains("Index Scan using conversations_pkey on conversations"))
}

#[tokio::test]
async fn the_searches_the_app_sends_are_read_from_indexes() {
    for db in testing::all().await {
        let (ws, owner) = testing::workspace(&db).await;
        let agent =
            NewAdmin { email: "a@example.com", name: "A", password: None, role: AdminRole::Agent, job_title: None };
        admins::create(&db, ws.id, agent).await.unwrap();
        let team = TeamFields { name: Some("Billing"), distribution_method: None, assignment_limit: None };
        let team = teams::create(&db, ws.id, team).await.unwrap();
        // Statistics for this volume: gathered by the load on SQLite (`Db::optimize`), by
        // autovacuum on PostgreSQL in time, here at once.
        seed::seed_scale(&db, ws.id, 6_000, 1, 1_500).await.unwrap();
        if db.backend() == Backend::Postgres {
            testing::execute(&db, "ANALYZE").await;
        }
        let contact: i64 = db
            .read()
            .scalar(Stmt::new("SELECT MAX(contact_id) FROM conversations WHERE workspace_id = $1").arg(ws.id))
            .await
            .unwrap();
        let newest = Sort { field: SortField::UpdatedAt, descending: true };
        let eq = |field: &str, value: Value| json!({"field": field, "operator": "=", "value": value});
        let open = eq("state", json!("open"));
        let and = |more: Vec<Value>| {
            let all: Vec<Value> = [open.clone()].into_iter().chain(more).collect();
            json!({"operator": "AND", "value": all})
        };
        let searches = [
            // Context.tsx: previous conversations; Shell.tsx: a contact's newest conversation.
            ("contact_ids", eq("contact_ids", json!(contact))),
            // list.ts filtersFor: the inbox views.
            ("all", open.clone()),
            ("unassigned", and(vec![eq("admin_assignee_id", Value::Null), eq("team_assignee_id", Value::Null)])),
            ("mine", and(vec![eq("admin_assignee_id", json!(owner.id))])),
            ("team", and(vec![eq("team_assignee_id", json!(team.id))])),
            ("mentions", and(vec![eq("mentioned_admin_ids", json!(owner.id))])),
            ("at_risk", and(vec![eq("sla_state", json!("at_risk"))])),
            ("breached", and(vec![eq("sla_state", json!("breached"))])),
            // list.ts patch: the view's filters and `id IN [...]`.
            ("patch", and(vec![json!({"field": "id", "operator": "IN", "value": [1, 2, 3]})])),
        ];
        for (name, query) in searches {
            let plan = plans(&db, &ws, &query, newest).await;
            println!("{:?} {name}:\n  {}", db.backend(), plan.join("\n  "));
            assert!(!scans_conversations(&plan), "{:?} {name} scans conversations:\n{}", db.backend(), plan.join("\n"));
            // The narrow ones: a contact's, a teammate's mentions, a rare SLA state, listed ids.
            if ["contact_ids", "mentions", "at_risk", "breached", "patch"].contains(&name) {
                assert!(
                    reads_by_id(&plan),
                    "{:?} {name} does not start from its ids:\n{}",
                    db.backend(),
                    plan.join("\n")
                );
            }
        }
    }
}
