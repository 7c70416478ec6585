//! `conversations::counts::inbox_counts`: the agent app's per-view counts, on both backends, and
//! the counters of migration 0030 they read, equal to a scan after every kind of write.
use rapport_core::admin::AdminRole;
use rapport_core::conversation::Assignee;
use rapport_core::ids::{AdminId, ContactId, ConversationId, WorkspaceId};
use rapport_core::sla::Policy;
use rapport_store::admins::{self, NewAdmin};
use rapport_store::conversations::counts::{inbox_counts, inbox_counts_scanned, InboxCounts, COUNTABLE_STATES};
use rapport_store::conversations::{self, Change, Edit, NewConversation};
use rapport_store::teams::{self, TeamFields};
use rapport_store::{contacts, seed, sla, testing, Conn, Db, Stmt};

async fn start(db: &Db, workspace_id: WorkspaceId, contact_id: ContactId) -> ConversationId {
    let new = NewConversation { contact_id, body: "Hi", subject: None, created_at: None, options: Default::default() };
    conversations::create(db, workspace_id, new).await.unwrap().conversation.id
}

async fn act(db: &Db, workspace_id: WorkspaceId, id: ConversationId, change: Change<'_>) {
    conversations::reply_or_act(db, workspace_id, id, change).await.unwrap();
}

#[tokio::test]
async fn counts_split_by_view_and_state_and_never_see_another_workspace() {
    for db in testing::all().await {
        let (ws, owner) = testing::workspace(&db).await;
        let ada = admins::create(
            &db,
            ws.id,
            NewAdmin { email: "ada@example.com", name: "Ada", password: None, role: AdminRole::Agent, job_title: None },
        )
        .await
        .unwrap();
        let billing = TeamFields { name: Some("Billing"), distribution_method: None, assignment_limit: None };
        let billing = teams::create(&db, ws.id, billing).await.unwrap();
        let sales = TeamFields { name: Some("Sales"), distribution_method: None, assignment_limit: None };
        let sales = teams::create(&db, ws.id, sales).await.unwrap();
        let joe = testing::contact(&db, ws.id, "user", Some("joe"), None).await.unwrap();

        // 2 unassigned, 1 mine, 1 Ada's, 1 Billing only, 1 Billing and mine, 1 Sales and Ada's.
        let mut ids = Vec::new();
        for _ in 0..7 {
            ids.push(start(&db, ws.id, joe).await);
        }
        let assign = |assignee| Change::Assign { admin_id: owner.id, assignee, body: None };
        act(&db, ws.id, ids[2], assign(Assignee::Admin(owner.id))).await;
        act(&db, ws.id, ids[3], assign(Assignee::Admin(ada.id))).await;
        act(&db, ws.id, ids[4], assign(Assignee::Team(billing.id))).await;
        act(&db, ws.id, ids[5], assign(Assignee::Team(billing.id))).await;
        act(&db, ws.id, ids[5], assign(Assignee::Admin(owner.id))).await;
        act(&db, ws.id, ids[6], assign(Assignee::Team(sales.id))).await;
        act(&db, ws.id, ids[6], assign(Assignee::Admin(ada.id))).await;

        // Another workspace's conversations, some assigned to its own owner, are never counted.
        let (other, other_owner) = testing::workspace(&db).await;
        let stranger = testing::contact(&db, other.id, "user", Some("s"), None).await.unwrap();
        for _ in 0..3 {
            let id = start(&db, other.id, stranger).await;
            let change =
                Change::Assign { admin_id: other_owner.id, assignee: Assignee::Admin(other_owner.id), body: None };
            act(&db, other.id, id, change).await;
        }

        let expected = InboxCounts { all: 7, unassigned: 2, mine: 2, teams: vec![(billing.id, 2), (sales.id, 1)] };
        assert_eq!(inbox_counts(&db, ws.id, "open", owner.id).await.unwrap(), expected);
        let ada_view = inbox_counts(&db, ws.id, "open", ada.id).await.unwrap();
        assert_eq!((ada_view.all, ada_view.mine, ada_view.unassigned), (7, 2, 2));

        // Closing moves a conversation from the open counts to the closed ones.
        act(&db, ws.id, ids[0], Change::Close { admin_id: owner.id, body: None }).await;
        act(&db, ws.id, ids[5], Change::Close { admin_id: owner.id, body: None }).await;
        let open = inbox_counts(&db, ws.id, "open", owner.id).await.unwrap();
        assert_eq!(open, InboxCounts { all: 5, unassigned: 1, mine: 1, teams: vec![(billing.id, 1), (sales.id, 1)] });
        let closed = inbox_counts(&db, ws.id, "closed", owner.id).await.unwrap();
        assert_eq!(closed, InboxCounts { all: 2, unassigned: 1, mine: 1, teams: vec![(billing.id, 1)] });
        assert_eq!(inbox_counts(&db, ws.id, "snoozed", owner.id).await.unwrap(), InboxCounts::default());

        let other_counts = inbox_counts(&db, other.id, "open", other_owner.id).await.unwrap();
        assert_eq!(other_counts, InboxCounts { all: 3, unassigned: 0, mine: 3, teams: vec![] });
        // The other workspace's owner asking about the first workspace's ids sees nothing of theirs.
        assert_eq!(inbox_counts(&db, ws.id, "open", other_owner.id).await.unwrap().mine, 0);
    }
}

/// Every counter row of migration 0030 against a count of the rows it stands for, every workspace
/// at once: `(workspace, state, team or 0, teammate or 0, n)` and `(workspace, state, SLA state, n)`.
async fn assert_counters_match_a_scan(db: &Db, after: &str) {
    let kept = "SELECT workspace_id, state, team_id, admin_id, count FROM conversation_inbox_counts \
                WHERE count <> 0 ORDER BY 1, 2, 3, 4";
    let scanned = "SELECT workspace_id, state, COALESCE(team_assignee_id, 0), COALESCE(admin_assignee_id, 0), \
                   COUNT(*) FROM conversations GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4";
    let kept: Vec<(i64, String, i64, i64, i64)> = db.read().fetch_all(Stmt::new(kept)).await.unwrap();
    let scanned: Vec<(i64, String, i64, i64, i64)> = db.read().fetch_all(Stmt::new(scanned)).await.unwrap();
    assert_eq!(kept, scanned, "inbox counters after {after} ({:?})", db.backend());
    let kept = "SELECT workspace_id, state, sla_state, count FROM conversation_sla_counts \
                WHERE count <> 0 ORDER BY 1, 2, 3";
    let scanned = "SELECT s.workspace_id, c.state, s.state, COUNT(*) FROM conversation_slas s \
                   JOIN conversations c ON c.id = s.conversation_id GROUP BY 1, 2, 3 ORDER BY 1, 2, 3";
    let kept: Vec<(i64, String, String, i64)> = db.read().fetch_all(Stmt::new(kept)).await.unwrap();
    let scanned: Vec<(i64, String, String, i64)> = db.read().fetch_all(Stmt::new(scanned)).await.unwrap();
    assert_eq!(kept, scanned, "SLA counters after {after} ({:?})", db.backend());
}

/// The counts the app reads equal the slow counts, for every state and a few askers.
async fn assert_reads_match_a_scan(db: &Db, workspace_id: WorkspaceId, askers: &[AdminId]) {
    for state in COUNTABLE_STATES {
        for &admin in askers {
            let kept = inbox_counts(db, workspace_id, state, admin).await.unwrap();
            assert_eq!(kept, inbox_counts_scanned(db, workspace_id, state, admin).await.unwrap(), "{state} {admin}");
        }
        let kept = sla::counts(db, workspace_id, state).await.unwrap();
        assert_eq!(kept, sla::counts_scanned(db, workspace_id, state).await.unwrap(), "SLA {state}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn maintained_counts_equal_a_scan_after_every_kind_of_write() {
    for db in testing::all().await {
        // A bulk load (the demo seed's multi-row inserts).
        seed::seed_demo(&db).await.unwrap();
        assert_counters_match_a_scan(&db, "the demo seed").await;

        let (ws, owner) = testing::workspace(&db).await;
        let ada =
            NewAdmin { email: "ada@example.com", name: "Ada", password: None, role: AdminRole::Agent, job_title: None };
        let ada = admins::create(&db, ws.id, ada).await.unwrap();
        let billing = TeamFields { name: Some("Billing"), distribution_method: None, assignment_limit: None };
        let billing = teams::create(&db, ws.id, billing).await.unwrap();
        let joe = testing::contact(&db, ws.id, "user", Some("joe"), None).await.unwrap();
        let lead = testing::contact(&db, ws.id, "lead", None, Some("lead@example.com")).await.unwrap();
        let mut ids = Vec::new();
        for i in 0..16 {
            ids.push(start(&db, ws.id, if i % 3 == 0 { lead } else { joe }).await);
        }
        assert_counters_match_a_scan(&db, "creations").await;

        let assign = |assignee| Change::Assign { admin_id: owner.id, assignee, body: None };
        act(&db, ws.id, ids[0], assign(Assignee::Admin(owner.id))).await;
        act(&db, ws.id, ids[1], assign(Assignee::Admin(ada.id))).await;
        act(&db, ws.id, ids[2], assign(Assignee::Team(billing.id))).await;
        act(&db, ws.id, ids[3], assign(Assignee::Team(billing.id))).await;
        act(&db, ws.id, ids[3], assign(Assignee::Admin(ada.id))).await;
        act(&db, ws.id, ids[3], assign(Assignee::NoTeam)).await;
        act(&db, ws.id, ids[1], assign(Assignee::NoAdmin)).await;
        assert_counters_match_a_scan(&db, "assignments").await;

        act(&db, ws.id, ids[0], Change::Close { admin_id: owner.id, body: Some("done") }).await;
        act(&db, ws.id, ids[4], Change::Close { admin_id: owner.id, body: None }).await;
        let until = rapport_store::now() + 3600;
        act(&db, ws.id, ids[5], Change::Snooze { admin_id: owner.id, until }).await;
        act(&db, ws.id, ids[6], Change::Snooze { admin_id: owner.id, until }).await;
        act(&db, ws.id, ids[6], Change::Open { admin_id: owner.id }).await;
        act(&db, ws.id, ids[4], Change::Open { admin_id: owner.id }).await;
        conversations::update(&db, ws.id, ids[7], Edit { priority: Some(true), ..Edit::default() }).await.unwrap();
        assert_counters_match_a_scan(&db, "state changes").await;

        // SLAs: breached (applied long ago), at risk (most of the hour gone), on track; then the
        // conversations move state under them, and one with an SLA is deleted.
        let policy = Policy {
            first_response_seconds: Some(3600),
            next_response_seconds: None,
            time_to_close_seconds: None,
            business_hours: false,
            at_risk_percent: 20,
        };
        let policy = sla::create_policy(&db, ws.id, "Hour", &policy).await.unwrap();
        let now = rapport_store::now();
        for (i, ago) in [(8, 7200), (9, 7200), (10, 3300), (11, 3300), (12, 0), (13, 7200)] {
            sla::apply(&db, ws.id, ids[i], policy.id, now - ago).await.unwrap();
            sla::evaluate(&db, ws.id, ids[i], now).await.unwrap();
        }
        let (at_risk, breached) = sla::counts(&db, ws.id, "open").await.unwrap();
        assert_eq!((at_risk, breached), (2, 3), "the SLAs evaluated as meant");
        assert_counters_match_a_scan(&db, "SLAs applied").await;
        act(&db, ws.id, ids[8], Change::Close { admin_id: owner.id, body: None }).await;
        act(&db, ws.id, ids[10], Change::Snooze { admin_id: owner.id, until }).await;
        act(&db, ws.id, ids[11], assign(Assignee::Admin(owner.id))).await;
        conversations::delete(&db, ws.id, ids[9]).await.unwrap();
        assert_counters_match_a_scan(&db, "SLA conversations moved and deleted").await;

        // Merges: a conversation into another, a contact into another, then deletions.
        conversations::merge(&db, ws.id, ids[13], ids[14], owner.id).await.unwrap();
        contacts::merge(&db, ws.id, lead, joe).await.unwrap();
        conversations::delete(&db, ws.id, ids[15]).await.unwrap();
        conversations::delete(&db, ws.id, ids[0]).await.unwrap();
        assert_counters_match_a_scan(&db, "merges and deletes").await;

        // Concurrent writers moving conversations between the same counters in opposite
        // directions (on PostgreSQL really at once): no update is lost, none deadlocks.
        let writers: Vec<_> = ids[1..8]
            .iter()
            .enumerate()
            .map(|(n, &id)| {
                let db = db.clone();
                let (me, other) = if n % 2 == 0 { (owner.id, ada.id) } else { (ada.id, owner.id) };
                tokio::spawn(async move {
                    for round in 0..6 {
                        let assignee = Assignee::Admin(if round % 2 == 0 { me } else { other });
                        let change = Change::Assign { admin_id: me, assignee, body: None };
                        conversations::reply_or_act(&db, ws.id, id, change).await?;
                        let change = if round % 2 == 0 {
                            Change::Close { admin_id: me, body: None }
                        } else {
                            Change::Open { admin_id: me }
                        };
                        conversations::reply_or_act(&db, ws.id, id, change).await?;
                    }
                    Ok::<_, rapport_store::StoreError>(())
                })
            })
            .collect();
        for writer in writers {
            writer.await.unwrap().expect("a concurrent write failed");
        }
        assert_counters_match_a_scan(&db, "concurrent writers").await;
        assert_reads_match_a_scan(&db, ws.id, &[owner.id, ada.id]).await;
    }
}
