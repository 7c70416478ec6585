//! The demo and scale seeds, on SQLite and PostgreSQL: counts, and the consistency of what they
//! write (contacts in the workspace, parts in order, counters matching the parts).
use rapport_core::ids::WorkspaceId;
use rapport_store::seed::{self, DEMO_OWNER_EMAIL, DEMO_PASSWORD};
use rapport_store::{testing, Backend, Conn, Db, Stmt};

async fn scalar(db: &Db, sql: &str, workspace_id: WorkspaceId) -> i64 {
    db.read().scalar(Stmt::new(sql.to_string()).arg(workspace_id)).await.expect(sql)
}

/// Invariants every seeded workspace must keep.
async fn assert_consistent(db: &Db, ws: WorkspaceId) {
    let checks: &[(&str, &str)] = &[
        (
            "conversation contact outside the workspace",
            "SELECT COUNT(*) FROM conversations c WHERE c.workspace_id = $1 AND NOT EXISTS \
             (SELECT 1 FROM contacts k WHERE k.id = c.contact_id AND k.workspace_id = c.workspace_id)",
        ),
        (
            "count_parts differs from the parts",
            "SELECT COUNT(*) FROM conversations c WHERE c.workspace_id = $1 AND c.count_parts <> \
             (SELECT COUNT(*) FROM conversation_parts p WHERE p.conversation_id = c.id)",
        ),
        (
            "parts out of order",
            "SELECT COUNT(*) FROM conversation_parts a JOIN conversation_parts b \
             ON a.conversation_id = b.conversation_id AND a.id < b.id AND a.created_at > b.created_at \
             WHERE a.workspace_id = $1",
        ),
        (
            "part before its conversation or after its last update",
            "SELECT COUNT(*) FROM conversation_parts p JOIN conversations c ON c.id = p.conversation_id \
             WHERE p.workspace_id = $1 AND (p.created_at < c.created_at OR p.created_at > c.updated_at)",
        ),
        (
            "part of another workspace",
            "SELECT COUNT(*) FROM conversation_parts p JOIN conversations c ON c.id = p.conversation_id \
             WHERE p.workspace_id = $1 AND c.workspace_id <> p.workspace_id",
        ),
        (
            "closed without close statistics",
            "SELECT COUNT(*) FROM conversations WHERE workspace_id = $1 AND state = 'closed' \
             AND (last_close_at IS NULL OR last_closed_by_id IS NULL OR waiting_since IS NOT NULL)",
        ),
        (
            "snoozed without snoozed_until",
            "SELECT COUNT(*) FROM conversations WHERE workspace_id = $1 AND state = 'snoozed' AND snoozed_until IS NULL",
        ),
        (
            "assignment count differs from assignment parts",
            "SELECT COUNT(*) FROM conversations c WHERE c.workspace_id = $1 AND c.count_assignments <> \
             (SELECT COUNT(*) FROM conversation_parts p WHERE p.conversation_id = c.id AND p.part_type = 'assignment')",
        ),
        (
            "assignee outside the workspace",
            "SELECT COUNT(*) FROM conversations c WHERE c.workspace_id = $1 AND c.admin_assignee_id IS NOT NULL \
             AND NOT EXISTS (SELECT 1 FROM admins a WHERE a.id = c.admin_assignee_id AND a.workspace_id = $1)",
        ),
        (
            "conversation without its participant row",
            "SELECT COUNT(*) FROM conversations c WHERE c.workspace_id = $1 AND NOT EXISTS \
             (SELECT 1 FROM conversation_contacts cc WHERE cc.conversation_id = c.id AND cc.contact_id = c.contact_id)",
        ),
        (
            "tagging of a missing target",
            "SELECT COUNT(*) FROM taggings t WHERE t.workspace_id = $1 AND t.target_type = 'conversation' \
             AND NOT EXISTS (SELECT 1 FROM conversations c WHERE c.id = t.target_id AND c.workspace_id = $1)",
        ),
    ];
    for (what, sql) in checks {
        assert_eq!(scalar(db, sql, ws).await, 0, "{what}");
    }
}

#[tokio::test]
async fn demo_seed_is_complete_and_consistent() {
    for db in testing::all().await {
        let demo = seed::seed_demo(&db).await.expect("seed demo");
        let ws = demo.workspace_id;
        assert_eq!(demo.owner_email, DEMO_OWNER_EMAIL);
        assert_eq!(demo.owner_password, DEMO_PASSWORD);
        assert_eq!(demo.app_id.len(), 8);

        // The token and the password both get in, as the owner.
        let (workspace, admin) = rapport_store::tokens::authenticate(&db, &demo.token).await.unwrap().expect("token");
        assert_eq!((workspace.id, admin.email.as_str()), (ws, DEMO_OWNER_EMAIL));
        assert!(admin.verify_password(DEMO_PASSWORD));
        let teammate = rapport_store::admins::find_by_email(&db, ws, "sam@acme.example").await.unwrap();
        // Teammates share the owner's hash (one slow argon2 run), hence the same password.
        assert_eq!(teammate.password_hash, admin.password_hash);

        assert_eq!(seed::count(&db, ws, "admins").await.unwrap(), 8);
        assert_eq!(seed::count(&db, ws, "teams").await.unwrap(), 3);
        assert!(seed::count(&db, ws, "team_members").await.unwrap() >= 6);
        assert_eq!(seed::count(&db, ws, "companies").await.unwrap(), 40);
        assert_eq!(seed::count(&db, ws, "contacts").await.unwrap(), 200);
        assert_eq!(seed::count(&db, ws, "contact_companies").await.unwrap(), 150);
        assert_eq!(seed::count(&db, ws, "conversations").await.unwrap(), 500);
        assert_eq!(seed::count(&db, ws, "conversation_parts").await.unwrap() as u64, demo.parts);
        assert_eq!(seed::count(&db, ws, "data_attributes").await.unwrap(), 7);
        assert!(seed::count(&db, ws, "events").await.unwrap() >= 150);
        assert!(seed::count(&db, ws, "taggings").await.unwrap() > 100);
        assert!(seed::count(&db, ws, "notes").await.unwrap() > 0);
        assert!(seed::count(&db, ws, "bogus; DROP TABLE contacts").await.is_err());

        let between = "SELECT COUNT(*) FROM conversations WHERE workspace_id = $1 AND count_parts BETWEEN 2 AND 12";
        assert_eq!(scalar(&db, between, ws).await, 500);
        for state in ["open", "snoozed", "closed"] {
            let sql = format!("SELECT COUNT(*) FROM conversations WHERE workspace_id = $1 AND state = '{state}'");
            assert!(scalar(&db, &sql, ws).await > 20, "few {state} conversations");
        }
        for source in ["conversation", "email"] {
            let sql =
                format!("SELECT COUNT(*) FROM conversations WHERE workspace_id = $1 AND source_type = '{source}'");
            assert!(scalar(&db, &sql, ws).await > 50, "few {source} conversations");
        }
        for kind in ["admin", "team"] {
            let sql = format!(
                "SELECT COUNT(*) FROM conversations WHERE workspace_id = $1 AND {kind}_assignee_id IS NOT NULL"
            );
            assert!(scalar(&db, &sql, ws).await > 20, "few conversations assigned to a {kind}");
        }
        let reopened = "SELECT COUNT(*) FROM conversations WHERE workspace_id = $1 AND count_reopens > 0";
        assert!(scalar(&db, reopened, ws).await > 0);
        assert_consistent(&db, ws).await;

        // Same seed, same data: a second demo workspace has the same contacts.
        let again = seed::seed_demo(&db).await.expect("seed demo twice");
        assert_ne!(again.workspace_id, ws);
        let emails = |w: WorkspaceId| {
            let db = db.clone();
            async move {
                let select = Stmt::new("SELECT email FROM contacts WHERE workspace_id = $1 ORDER BY id").arg(w);
                db.read().scalars::<Option<String>>(select).await.unwrap()
            }
        };
        assert_eq!(emails(ws).await, emails(again.workspace_id).await);
        assert_consistent(&db, again.workspace_id).await;
    }
}

#[tokio::test]
async fn scale_seed_loads_exact_counts() {
    for db in testing::all().await {
        let (ws, _owner) = testing::workspace(&db).await;
        let summary = seed::seed_scale(&db, ws.id, 1_200, 5, 300).await.expect("seed scale");
        assert_eq!((summary.contacts, summary.conversations, summary.parts), (300, 1_200, 6_000));
        assert_eq!(seed::count(&db, ws.id, "contacts").await.unwrap(), 300);
        assert_eq!(seed::count(&db, ws.id, "conversations").await.unwrap(), 1_200);
        assert_eq!(seed::count(&db, ws.id, "conversation_parts").await.unwrap(), 6_000);
        assert_consistent(&db, ws.id).await;

        // Running again adds to the same workspace without unique-key conflicts; zero parts work.
        let more = seed::seed_scale(&db, ws.id, 50, 0, 10).await.expect("seed scale again");
        assert_eq!((more.contacts, more.conversations, more.parts), (10, 50, 0));
        assert_eq!(seed::count(&db, ws.id, "contacts").await.unwrap(), 310);
        assert_consistent(&db, ws.id).await;

        // Another workspace is untouched, and an unknown workspace is not found.
        let (other, _) = testing::workspace(&db).await;
        assert_eq!(seed::count(&db, other.id, "conversations").await.unwrap(), 0);
        assert!(seed::seed_scale(&db, WorkspaceId::from(999_999), 1, 1, 1).await.is_err());
        // A workspace without contacts cannot get conversations.
        assert!(seed::seed_scale(&db, other.id, 1, 1, 0).await.is_err());
    }
}

/// Load rate of the scale seed; run by hand:
/// `RAPPORT_SEED_CONVERSATIONS=100000 cargo test --release -p rapport-store --test seed -- --ignored --nocapture`
#[tokio::test]
#[ignore]
async fn scale_seed_throughput() {
    let conversations: u64 =
        std::env::var("RAPPORT_SEED_CONVERSATIONS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    for db in testing::all().await {
        let (ws, _) = testing::workspace(&db).await;
        let s = seed::seed_scale(&db, ws.id, conversations, 5, conversations / 10).await.expect("seed scale");
        println!(
            "{:?}: {} conversations, {} parts, {} contacts in {:.1} s ({:.0} rows/s)",
            db.backend(),
            s.conversations,
            s.parts,
            s.contacts,
            s.seconds,
            (s.conversations + s.parts + s.contacts) as f64 / s.seconds
        );
    }
}

/// The scale seed builds SQLite's full-text indexes after the load (its triggers set aside
/// meanwhile): afterwards, and after a failed seed, every index matches its table, the triggers
/// are back and text written later is found.
#[tokio::test]
async fn scale_seed_leaves_the_text_indexes_complete() {
    for db in testing::all().await {
        let (ws, _owner) = testing::workspace(&db).await;
        seed::seed_scale(&db, ws.id, 300, 3, 100).await.expect("seed scale");
        let (empty, _) = testing::workspace(&db).await;
        let failed = seed::seed_scale(&db, empty.id, 1, 1, 0).await.unwrap_err();
        assert!(failed.to_string().contains("no contacts"), "{failed}");
        if db.backend() == Backend::Sqlite {
            let triggers: i64 = db
                .read()
                .scalar(Stmt::new(
                    "SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%fts_insert'",
                ))
                .await
                .unwrap();
            assert_eq!(triggers, 4, "the full-text insert triggers are back");
            // With rank 1 the check also compares each index with its content table (the check is
            // a write of FTS5's command row: it runs in a write transaction).
            for table in ["conversation_parts_fts", "conversations_source_fts", "contacts_fts", "companies_fts"] {
                let sql = format!("INSERT INTO {table} ({table}, rank) VALUES ('integrity-check', 1)");
                testing::write(&db, Stmt::new(sql).once()).await.unwrap_or_else(|e| panic!("{table}: {e}"));
            }
        }
        // Written after the seed: indexed by the restored triggers.
        let id = testing::contact(&db, ws.id, "lead", None, Some("zebra-crossing@example.com")).await.unwrap();
        let query = serde_json::json!({"field": "email", "operator": "~", "value": "zebra-cross"});
        let found = rapport_store::contacts::search(&db, &ws, &query, 10, None).await.unwrap();
        assert_eq!(found.contacts.iter().map(|c| c.id).collect::<Vec<_>>(), vec![id]);
    }
}
