//! `conversations::counts::inbox_counts`: the agent app's per-view counts, on both backends.
use rapport_core::admin::AdminRole;
use rapport_core::conversation::Assignee;
use rapport_core::ids::WorkspaceId;
use rapport_store::admins::{self, NewAdmin};
use rapport_store::conversations::counts::{inbox_counts, InboxCounts};
use rapport_store::conversations::{self, Change, NewConversation};
use rapport_store::teams::{self, TeamFields};
use rapport_store::{testing, Db};

async fn start(db: &Db, workspace_id: WorkspaceId, contact_id: i64) -> i64 {
    let new = NewConversation { contact_id, body: "Hi", subject: None, created_at: None, options: Default::default() };
    conversations::create(db, workspace_id, new).await.unwrap().conversation.id
}

async fn act(db: &Db, workspace_id: WorkspaceId, id: i64, change: Change<'_>) {
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
