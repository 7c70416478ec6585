use rapport_core::conversation::Assignee;
use rapport_core::ids::{ContactId, ConversationId, TeamId, WorkspaceId};
use rapport_store::conversations::{self, Change, ContactRef, Cursor, Edit, NewConversation, Sort};
use rapport_store::{testing, Conn, Db, Stmt, StoreError};

/// Inserts a contact with plain SQL (the contacts repository is not this module's business).
async fn contact(
    db: &Db,
    workspace_id: WorkspaceId,
    role: &str,
    external_id: Option<&str>,
    email: Option<&str>,
) -> ContactId {
    let insert = Stmt::new(
        "INSERT INTO contacts (workspace_id, role, external_id, email, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 1, 1) RETURNING id",
    )
    .arg(workspace_id)
    .arg(role)
    .arg(external_id)
    .arg(email);
    testing::insert(db, insert).await.unwrap()
}

async fn start(db: &Db, workspace_id: WorkspaceId, contact_id: ContactId, body: &str) -> ConversationId {
    let new = NewConversation { contact_id, body, subject: None, created_at: None, options: Default::default() };
    conversations::create(db, workspace_id, new).await.unwrap().conversation.id
}

async fn parts_count(db: &Db) -> i64 {
    db.read().scalar(Stmt::new("SELECT COUNT(*) FROM conversation_parts")).await.unwrap()
}

#[tokio::test]
async fn a_contact_starts_a_conversation_and_the_back_and_forth_updates_statistics() {
    for db in testing::all().await {
        let (ws, owner) = testing::workspace(&db).await;
        let joe = contact(&db, ws.id, "user", Some("u-1"), Some("Joe@Example.com")).await;
        let new = NewConversation {
            contact_id: joe,
            body: "<p>Hi</p>",
            subject: Some("Help"),
            created_at: Some(1000),
            options: Default::default(),
        };
        let sent = conversations::create(&db, ws.id, new).await.unwrap();
        let (c, message_id) = (sent.conversation, sent.parts[0].id);
        assert_eq!((c.state.as_str(), c.created_at, c.waiting_since), ("open", 1000, Some(1000)));
        assert_eq!((c.source_part_id, c.source_author_type.as_str()), (Some(message_id), "user"));
        assert_eq!((c.admin_assignee_id, c.team_assignee_id, c.count_parts), (None, None, 0));

        let c =
            conversations::reply_or_act(&db, ws.id, c.id, Change::AdminComment { admin_id: owner.id, body: "Hello" })
                .await
                .unwrap();
        assert_eq!(c.waiting_since, None);
        assert!(c.first_admin_reply_at.is_some());
        // The contact replies by email, case-insensitively.
        let c = conversations::reply_or_act(
            &db,
            ws.id,
            c.id,
            Change::ContactReply { contact: ContactRef::Email("joe@example.COM"), body: "Thanks" },
        )
        .await
        .unwrap();
        assert!(c.waiting_since.is_some());
        let c = conversations::reply_or_act(&db, ws.id, c.id, Change::Close { admin_id: owner.id, body: Some("Bye") })
            .await
            .unwrap();
        assert_eq!((c.state.as_str(), c.last_closed_by_id, c.count_parts), ("closed", Some(owner.id), 4));
        let c = conversations::reply_or_act(
            &db,
            ws.id,
            c.id,
            Change::ContactReply { contact: ContactRef::ExternalId("u-1"), body: "One more thing" },
        )
        .await
        .unwrap();
        assert_eq!((c.state.as_str(), c.count_reopens), ("open", 1));

        let detail = conversations::find_detail(&db, ws.id, c.id).await.unwrap();
        let types: Vec<&str> = detail.parts.iter().map(|p| p.part_type.as_str()).collect();
        assert_eq!(types, ["comment", "comment", "comment", "comment", "close", "comment"]);
        assert_eq!(detail.parts[1].author_name.as_deref(), Some("Olive Owner"));
        assert_eq!(detail.parts[0].author_email.as_deref(), Some("Joe@Example.com"));
        assert_eq!(detail.related.contacts.len(), 1);
        assert_eq!(detail.related.teammates, vec![(c.id, owner.id)]);

        let (replied, contacted): (Option<i64>, Option<i64>) = db
            .read()
            .fetch_one(Stmt::new("SELECT last_replied_at, last_contacted_at FROM contacts WHERE id = $1").arg(joe))
            .await
            .unwrap();
        assert!(replied.unwrap() > 1000 && contacted.is_some());
    }
}

#[tokio::test]
async fn refused_changes_write_nothing() {
    for db in testing::all().await {
        let (ws, owner) = testing::workspace(&db).await;
        let (other_ws, other_owner) = testing::workspace(&db).await;
        let joe = contact(&db, ws.id, "user", None, Some("joe@example.com")).await;
        let ann = contact(&db, ws.id, "lead", None, None).await;
        let stranger = contact(&db, other_ws.id, "user", None, None).await;
        let id = start(&db, ws.id, joe, "Hi").await;
        let before = parts_count(&db).await;

        let cases = [
            Change::Open { admin_id: owner.id },
            Change::Snooze { admin_id: owner.id, until: 1 },
            Change::AdminComment { admin_id: other_owner.id, body: "x" },
            Change::Assign { admin_id: owner.id, assignee: Assignee::Admin(other_owner.id), body: None },
            Change::Assign { admin_id: owner.id, assignee: Assignee::Team(TeamId::new(999_999)), body: None },
            Change::ContactReply { contact: ContactRef::Id(ann), body: "not mine" },
            Change::ContactReply { contact: ContactRef::Id(stranger), body: "other workspace" },
            Change::ContactReply { contact: ContactRef::Email("'; DROP TABLE contacts; --"), body: "x" },
        ];
        for change in cases {
            assert!(conversations::reply_or_act(&db, ws.id, id, change).await.is_err(), "{change:?}");
        }
        assert!(matches!(
            conversations::reply_or_act(
                &db,
                ws.id,
                id,
                Change::ContactReply { contact: ContactRef::Id(ann), body: "x" }
            )
            .await,
            Err(StoreError::Invalid(_))
        ));
        // Another workspace sees no such conversation.
        let err = conversations::reply_or_act(&db, other_ws.id, id, Change::Open { admin_id: other_owner.id }).await;
        assert!(matches!(err, Err(StoreError::NotFound { entity: "conversation" })));
        assert!(matches!(conversations::delete(&db, other_ws.id, id).await, Err(StoreError::NotFound { .. })));
        assert!(conversations::find(&db, other_ws.id, id).await.is_err());
        assert_eq!(parts_count(&db).await, before);
        let c = conversations::find(&db, ws.id, id).await.unwrap();
        assert_eq!((c.state.as_str(), c.count_parts), ("open", 0));
    }
}

#[tokio::test]
async fn lists_page_newest_first_to_the_end_and_delete_removes_everything() {
    for db in testing::all().await {
        let (ws, owner) = testing::workspace(&db).await;
        let (other_ws, _) = testing::workspace(&db).await;
        let joe = contact(&db, ws.id, "user", None, None).await;
        let other = contact(&db, other_ws.id, "user", None, None).await;
        start(&db, other_ws.id, other, "elsewhere").await;
        let mut ids = Vec::new();
        for i in 0..7 {
            ids.push(start(&db, ws.id, joe, &format!("m{i}")).await);
        }
        let tag = rapport_store::tags::find_or_create(&db, ws.id, "vip").await.unwrap();
        rapport_store::tags::apply(
            &db,
            ws.id,
            tag.id,
            rapport_store::tags::Target::Conversation,
            ids[0].get(),
            Some(owner.id),
        )
        .await
        .unwrap();

        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let page = conversations::list(&db, ws.id, Sort::default(), 3, after.as_ref()).await.unwrap();
            assert_eq!(page.total_count, 7);
            seen.extend(page.conversations.iter().map(|c| c.id));
            if !page.has_more {
                break;
            }
            let last = page.conversations.last().unwrap();
            after = Some(Cursor { sort: Sort::default(), key: Sort::default().key(last) });
        }
        let mut expected = ids.clone();
        expected.reverse();
        assert_eq!(seen, expected);

        conversations::update(
            &db,
            ws.id,
            ids[0],
            Edit { read: Some(true), title: Some("T".into()), ..Edit::default() },
        )
        .await
        .unwrap();
        conversations::delete(&db, ws.id, ids[0]).await.unwrap();
        assert!(conversations::find(&db, ws.id, ids[0]).await.is_err());
        assert_eq!(rapport_store::tags::usage_count(&db, ws.id, tag.id).await.unwrap(), 0);
        assert_eq!(conversations::list(&db, ws.id, Sort::default(), 50, None).await.unwrap().total_count, 6);
    }
}
