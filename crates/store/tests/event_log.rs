//! The event log: every conversation change is recorded with its own gapless per-workspace
//! sequence, in the same transaction; client ids make sends idempotent; refused changes log
//! nothing; read receipts and unread counts. On SQLite and PostgreSQL.
use rapport_core::ids::{ContactId, WorkspaceId};
use rapport_store::conversations::{self, Change, ContactRef, NewConversation, Reader, SendOptions};
use rapport_store::event_log::{self, Event};
use rapport_store::{tags, testing, Conflict, Db, StoreError};

async fn events(db: &Db, workspace_id: WorkspaceId) -> Vec<Event> {
    event_log::after(db, workspace_id, 0, 1000).await.unwrap()
}

fn start(contact_id: ContactId, body: &'static str, client_id: Option<&'static str>) -> NewConversation<'static> {
    NewConversation {
        contact_id,
        body,
        subject: None,
        created_at: None,
        options: SendOptions { client_id, attachment_ids: &[], ..Default::default() },
    }
}

#[tokio::test]
async fn each_change_appends_one_event_in_order() {
    for db in testing::all().await {
        let mut committed = db.committed();
        let (ws, owner) = testing::workspace(&db).await;
        let joe = testing::contact(&db, ws.id, "user", Some("joe"), None).await.unwrap();
        let sent = conversations::create(&db, ws.id, start(joe, "Hi", None)).await.unwrap();
        let id = sent.conversation.id;
        // Seq 1 is the contact's creation.
        assert_eq!(sent.seq, Some(2));
        assert_eq!(committed.recv().await.unwrap().seq, 1, "the commit is announced");
        assert_eq!(committed.recv().await.unwrap().seq, 2, "the commit is announced");

        let note = Change::AdminNote { admin_id: owner.id, body: "VIP" };
        conversations::send(&db, ws.id, id, note, SendOptions::default()).await.unwrap();
        let close = Change::Close { admin_id: owner.id, body: Some("Bye") };
        let closed = conversations::send(&db, ws.id, id, close, SendOptions::default()).await.unwrap();
        assert_eq!(closed.parts.len(), 2);
        assert_eq!(closed.seq, Some(5));
        let tag = tags::find_or_create(&db, ws.id, "billing").await.unwrap();
        tags::apply(&db, ws.id, tag.id, tags::Target::Conversation, id.get(), Some(owner.id)).await.unwrap();
        tags::remove(&db, ws.id, tag.id, tags::Target::Conversation, id.get()).await.unwrap();
        conversations::update(&db, ws.id, id, conversations::Edit { title: Some("T".into()), ..Default::default() })
            .await
            .unwrap();

        let log = events(&db, ws.id).await;
        let kinds: Vec<(i64, &str, &str)> = log.iter().map(|e| (e.seq, e.kind.as_str(), e.audience.as_str())).collect();
        assert_eq!(
            kinds,
            vec![
                (1, "contact.created", "admins"),
                (2, "conversation.created", "everyone"),
                (3, "conversation_part.created", "admins"),
                (4, "conversation_part.created", "everyone"),
                (5, "conversation_part.created", "everyone"),
                (6, "conversation.tagged", "admins"),
                (7, "conversation.untagged", "admins"),
                (8, "conversation.updated", "admins"),
            ],
            "{:?}",
            db.backend()
        );
        let log = &log[1..];
        let closing = log[3].payload();
        assert_eq!(closing["part"]["part_type"], "close");
        assert_eq!(closing["conversation"]["state"], "closed");
        assert_eq!(closing["conversation"]["contact_ids"], serde_json::json!([joe]));
        assert_eq!(log[2].payload()["part"]["author"]["type"], "admin");
        assert_eq!(log[2].payload()["part"]["body"], "Bye");
        assert_eq!(log[4].payload()["tag"]["name"], "billing");
        assert_eq!(log[0].contact_ids(), vec![joe]);

        // Another workspace has its own sequence.
        let other = rapport_store::workspaces::create(&db, "Other", "UTC").await.unwrap();
        let ann = testing::contact(&db, other.id, "user", Some("ann"), None).await.unwrap();
        let theirs = conversations::create(&db, other.id, start(ann, "Yo", None)).await.unwrap();
        assert_eq!(theirs.seq, Some(2));
        assert_eq!(event_log::last_seq(&db, ws.id).await.unwrap(), 8);
    }
}

#[tokio::test]
async fn a_repeated_client_id_stores_one_message() {
    for db in testing::all().await {
        let (ws, owner) = testing::workspace(&db).await;
        let joe = testing::contact(&db, ws.id, "user", Some("joe"), None).await.unwrap();
        let first = conversations::create(&db, ws.id, start(joe, "Hi", Some("c-1"))).await.unwrap();
        let again = conversations::create(&db, ws.id, start(joe, "Hi", Some("c-1"))).await.unwrap();
        assert!(again.replayed && again.seq.is_none());
        assert_eq!(again.conversation.id, first.conversation.id);
        assert_eq!(again.parts[0].id, first.parts[0].id);
        let id = first.conversation.id;

        let reply = || Change::ContactReply { contact: ContactRef::Id(joe), body: "More" };
        let options = SendOptions { client_id: Some("c-2"), attachment_ids: &[], ..Default::default() };
        let one = conversations::send(&db, ws.id, id, reply(), options).await.unwrap();
        let two = conversations::send(&db, ws.id, id, reply(), options).await.unwrap();
        assert_eq!(one.parts[0].id, two.parts[0].id);
        assert_eq!(two.parts[0].client_id.as_deref(), Some("c-2"));
        assert!(two.replayed);
        // The same id from another author is another message.
        let admin = Change::AdminComment { admin_id: owner.id, body: "Hello" };
        let theirs = conversations::send(&db, ws.id, id, admin, options).await.unwrap();
        assert!(!theirs.replayed);
        // Reusing an id in another conversation is refused and writes nothing.
        let other = conversations::create(&db, ws.id, start(joe, "New topic", None)).await.unwrap();
        let err = conversations::send(&db, ws.id, other.conversation.id, reply(), options).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict(Conflict::ClientIdUsedElsewhere)), "{err:?}");

        assert_eq!(events(&db, ws.id).await.len(), 5, "contact, created, reply, admin reply, second conversation");
        let detail = conversations::find_detail(&db, ws.id, id).await.unwrap();
        assert_eq!(detail.parts.len(), 3);
    }
}

#[tokio::test]
async fn refused_changes_write_no_event() {
    for db in testing::all().await {
        let (ws, owner) = testing::workspace(&db).await;
        let joe = testing::contact(&db, ws.id, "user", Some("joe"), None).await.unwrap();
        let id = conversations::create(&db, ws.id, start(joe, "Hi", None)).await.unwrap().conversation.id;
        // An unknown attachment rolls the whole message back.
        let options = SendOptions { client_id: None, attachment_ids: &[999], ..Default::default() };
        let reply = Change::ContactReply { contact: ContactRef::Id(joe), body: "See file" };
        assert!(matches!(conversations::send(&db, ws.id, id, reply, options).await, Err(StoreError::NotFound { .. })));
        // Opening an open conversation is not a transition.
        let open = Change::Open { admin_id: owner.id };
        assert!(conversations::send(&db, ws.id, id, open, SendOptions::default()).await.is_err());
        // A client id on an action without a message.
        let options = SendOptions { client_id: Some("x"), attachment_ids: &[], ..Default::default() };
        let close = Change::Close { admin_id: owner.id, body: None };
        assert!(matches!(conversations::send(&db, ws.id, id, close, options).await, Err(StoreError::Invalid(_))));
        assert_eq!(events(&db, ws.id).await.len(), 2, "the contact's and the conversation's");
        assert_eq!(conversations::find_detail(&db, ws.id, id).await.unwrap().parts.len(), 1);
    }
}

#[tokio::test]
async fn read_receipts_and_unread_counts() {
    for db in testing::all().await {
        let (ws, owner) = testing::workspace(&db).await;
        let joe = testing::contact(&db, ws.id, "user", Some("joe"), None).await.unwrap();
        let ann = testing::contact(&db, ws.id, "user", Some("ann"), None).await.unwrap();
        let id = conversations::create(&db, ws.id, start(joe, "Hi", None)).await.unwrap().conversation.id;
        for body in ["One", "Two"] {
            let reply = Change::AdminComment { admin_id: owner.id, body };
            conversations::send(&db, ws.id, id, reply, SendOptions::default()).await.unwrap();
        }
        let note = Change::AdminNote { admin_id: owner.id, body: "internal" };
        conversations::send(&db, ws.id, id, note, SendOptions::default()).await.unwrap();
        assert_eq!(
            conversations::unread_for_contact(&db, ws.id, joe).await.unwrap(),
            vec![(id, 2)],
            "notes don't count"
        );

        // A contact cannot name a note in a receipt: it is not theirs to see.
        let note_id = conversations::live_parts(&db, ws.id, id, false, 0, 100).await.unwrap().last().unwrap().id;
        assert!(matches!(
            conversations::mark_read(&db, ws.id, id, Reader::Contact(joe), Some(note_id)).await,
            Err(StoreError::NotFound { .. })
        ));
        let seq = conversations::mark_read(&db, ws.id, id, Reader::Contact(joe), None).await.unwrap();
        assert!(seq.is_some());
        assert_eq!(conversations::unread_for_contact(&db, ws.id, joe).await.unwrap(), vec![]);
        assert_eq!(conversations::mark_read(&db, ws.id, id, Reader::Contact(joe), None).await.unwrap(), None);
        // Someone who is not a participant cannot leave a receipt.
        assert!(matches!(
            conversations::mark_read(&db, ws.id, id, Reader::Contact(ann), None).await,
            Err(StoreError::NotFound { .. })
        ));
        // A part of another conversation is not found.
        assert!(conversations::mark_read(&db, ws.id, id, Reader::Admin(owner.id), Some(987_654)).await.is_err());
        conversations::mark_read(&db, ws.id, id, Reader::Admin(owner.id), None).await.unwrap().unwrap();
        let (admin_read, contacts) = conversations::receipts(&db, ws.id, id).await.unwrap();
        let last = conversations::live_parts(&db, ws.id, id, false, 0, 100).await.unwrap().last().unwrap().id;
        assert_eq!(admin_read, Some(last));
        assert_eq!(contacts, vec![(joe, Some(last - 1))], "the contact read up to the last part they see");
        let log = events(&db, ws.id).await;
        let read = log.last().unwrap();
        assert_eq!(read.kind, "conversation.read");
        assert_eq!(read.payload()["reader"]["type"], "admin");
        assert!(conversations::find(&db, ws.id, id).await.unwrap().read);
        // Contacts see comments, not notes.
        let public = conversations::live_parts(&db, ws.id, id, true, 0, 100).await.unwrap();
        assert_eq!(public.len(), 3);
    }
}

#[tokio::test]
async fn consumer_cursors_are_durable_and_never_go_back() {
    for db in testing::all().await {
        let (ws, _) = testing::workspace(&db).await;
        assert_eq!(event_log::cursor(&db, ws.id, "webhooks").await.unwrap(), 0);
        event_log::save_cursor(&db, ws.id, "webhooks", 5).await.unwrap();
        event_log::save_cursor(&db, ws.id, "webhooks", 3).await.unwrap();
        assert_eq!(event_log::cursor(&db, ws.id, "webhooks").await.unwrap(), 5);
        assert_eq!(event_log::cursor(&db, ws.id, "mail").await.unwrap(), 0);
    }
}
