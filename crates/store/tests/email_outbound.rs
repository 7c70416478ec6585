//! The outbound email queue: replies queued with their part, leased, settled once.
use rapport_core::conversation::ConversationState;
use rapport_core::ids::{ConversationId, WorkspaceId};
use rapport_store::conversations::{self, Change, NewConversation, SendOptions};
use rapport_store::email::outbound::{self as queue, Headers};
use rapport_store::webhooks::now_ms;
use rapport_store::{event_log, testing, Conn, Db, Stmt, StoreError};

async fn email_conversation(db: &Db, workspace_id: WorkspaceId, email: Option<&str>) -> ConversationId {
    let contact = testing::contact(db, workspace_id, "user", None, email).await.unwrap();
    let new = NewConversation {
        contact_id: contact,
        body: "<p>Help</p>",
        subject: None,
        created_at: None,
        options: Default::default(),
    };
    let id = conversations::create(db, workspace_id, new).await.unwrap().conversation.id;
    testing::make_email_conversation(db, workspace_id, id, "My order", "first@client.test").await;
    id
}

async fn outbound_count(db: &Db) -> i64 {
    db.read().scalar(Stmt::new("SELECT COUNT(*) FROM email_messages WHERE direction = 'outbound'")).await.unwrap()
}

#[tokio::test]
async fn a_reply_to_an_email_conversation_is_queued_with_its_part_and_a_note_is_not() {
    for db in testing::all().await {
        let (ws, owner) = testing::workspace(&db).await;
        let id = email_conversation(&db, ws.id, Some("bob@client.test")).await;

        let note = Change::AdminNote { admin_id: owner.id, body: "internal" };
        conversations::send(&db, ws.id, id, note, SendOptions::default()).await.unwrap();
        assert_eq!(outbound_count(&db).await, 0, "a note is never emailed");

        let reply = Change::AdminComment { admin_id: owner.id, body: "<p>On its way</p>" };
        let sent = conversations::send(&db, ws.id, id, reply, SendOptions::default()).await.unwrap();
        let part_id = sent.parts[0].id;
        let row = queue::find_by_part(&db, ws.id, part_id).await.unwrap();
        assert_eq!((row.delivery_state.as_str(), row.attempts, row.automated), ("queued", 0, false));
        assert_eq!(row.to_addresses(), vec!["bob@client.test"]);
        assert_eq!(row.subject, "My order");
        assert!(!row.headers_fixed(), "the Message-ID's domain is added by the sender");
        assert!(row.message_id.starts_with(&format!("rapport.{part_id}.")) && row.message_id.len() > 30);

        // The part shows its delivery; other parts show none.
        let detail = conversations::find_detail(&db, ws.id, id).await.unwrap();
        let part = detail.parts.iter().find(|p| p.id == part_id).unwrap();
        let delivery = part.email_delivery.as_ref().unwrap();
        assert_eq!((delivery.state.as_str(), delivery.attempts, delivery.sent_at), ("queued", 0, None));
        assert!(detail.parts.iter().filter(|p| p.id != part_id).all(|p| p.email_delivery.is_none()));

        // Another workspace sees none of it.
        let (other, _) = testing::workspace(&db).await;
        assert!(matches!(queue::find_by_part(&db, other.id, part_id).await, Err(StoreError::NotFound { .. })));
        assert!(queue::deliveries(&db, other.id, &[part_id]).await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn chat_conversations_send_no_email_and_refused_replies_queue_nothing() {
    for db in testing::all().await {
        let (ws, owner) = testing::workspace(&db).await;
        let contact = testing::contact(&db, ws.id, "user", None, Some("c@client.test")).await.unwrap();
        let new = NewConversation {
            contact_id: contact,
            body: "hi",
            subject: None,
            created_at: None,
            options: Default::default(),
        };
        let chat = conversations::create(&db, ws.id, new).await.unwrap().conversation.id;
        let reply = Change::AdminComment { admin_id: owner.id, body: "hello" };
        conversations::send(&db, ws.id, chat, reply, SendOptions::default()).await.unwrap();
        assert_eq!(outbound_count(&db).await, 0);

        // A refused send (a mention in a reply is invalid) writes neither part nor email.
        let id = email_conversation(&db, ws.id, Some("bob@client.test")).await;
        let mentions = [owner.id];
        let options = SendOptions { mentioned_admin_ids: &mentions, ..Default::default() };
        let reply = Change::AdminComment { admin_id: owner.id, body: "hello" };
        assert!(conversations::send(&db, ws.id, id, reply, options).await.is_err());
        assert_eq!(outbound_count(&db).await, 0);
        // Refused inside the transaction, after the comment was queued: closing a closed
        // conversation with a message. The queued email goes with the part.
        let close = Change::Close { admin_id: owner.id, body: None };
        conversations::send(&db, ws.id, id, close, SendOptions::default()).await.unwrap();
        let close = Change::Close { admin_id: owner.id, body: Some("Bye") };
        let err = conversations::send(&db, ws.id, id, close, SendOptions::default()).await.unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{err}");
        assert_eq!(outbound_count(&db).await, 0);
    }
}

#[tokio::test]
async fn a_contact_without_an_address_gets_a_failed_row_saying_so() {
    for db in testing::all().await {
        let (ws, owner) = testing::workspace(&db).await;
        let id = email_conversation(&db, ws.id, None).await;
        let reply = Change::Close { admin_id: owner.id, body: Some("Closing") };
        let options = SendOptions { automated: true, ..Default::default() };
        let sent = conversations::send(&db, ws.id, id, reply, options).await.unwrap();
        let row = queue::find_by_part(&db, ws.id, sent.parts[0].id).await.unwrap();
        assert_eq!(row.delivery_state, "failed");
        assert_eq!(row.last_error.as_deref(), Some(queue::NO_ADDRESS));
        assert!(row.automated, "a close message written by a rule is marked automated");
        assert!(queue::due(&db, "n1", now_ms(), 10).await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn one_node_leases_a_reply_and_it_settles_once_with_a_live_event() {
    for db in testing::all().await {
        let (ws, owner) = testing::workspace(&db).await;
        let id = email_conversation(&db, ws.id, Some("bob@client.test")).await;
        testing::inbound_email(&db, ws.id, id, "second@client.test", &["first@client.test"]).await;
        let reply = Change::AdminComment { admin_id: owner.id, body: "Hello" };
        let part_id = conversations::send(&db, ws.id, id, reply, SendOptions::default()).await.unwrap().parts[0].id;
        let row = queue::find_by_part(&db, ws.id, part_id).await.unwrap();

        let due = queue::due(&db, "n1", now_ms(), 10).await.unwrap();
        assert_eq!(due.iter().map(|r| r.id).collect::<Vec<_>>(), vec![row.id]);
        let until = now_ms() + 60_000;
        assert!(queue::lease(&db, ws.id, row.id, "n1", until).await.unwrap());
        assert!(!queue::lease(&db, ws.id, row.id, "n2", until).await.unwrap(), "another node waits");
        assert!(queue::due(&db, "n2", now_ms(), 10).await.unwrap().is_empty());
        assert!(!queue::begin_attempt(&db, ws.id, row.id, "n2", None).await.unwrap(), "only the holder attempts");

        // The thread before this reply: the two inbound emails, oldest first.
        let thread = queue::thread(&db, ws.id, id, row.id).await.unwrap();
        let ids: Vec<&str> = thread.iter().map(|m| m.message_id.as_str()).collect();
        assert_eq!(ids, vec!["first@client.test", "second@client.test"]);
        assert_eq!(thread[1].reference_ids, "first@client.test");

        let full_id = format!("{}@acme.test", row.message_id);
        let references = vec!["first@client.test".to_string(), "second@client.test".to_string()];
        let headers = Headers {
            message_id: &full_id,
            from_address: "support@acme.test",
            in_reply_to: Some("second@client.test"),
            references: &references,
        };
        assert!(queue::begin_attempt(&db, ws.id, row.id, "n1", Some(headers)).await.unwrap());
        let row = queue::find(&db, ws.id, row.id).await.unwrap();
        assert_eq!((row.attempts, row.message_id.as_str()), (1, full_id.as_str()));
        assert_eq!(row.references(), references);

        // A 4xx: retried later, by any node, still queued.
        assert!(queue::retry_later(&db, &row, "n1", "will retry: 451", now_ms() + 3_600_000).await.unwrap());
        assert!(queue::due(&db, "n2", now_ms(), 10).await.unwrap().is_empty(), "not due before its time");
        assert!(!queue::retry_later(&db, &row, "n2", "x", 0).await.unwrap(), "needs the lease");
        let delivery = &queue::deliveries(&db, ws.id, &[part_id]).await.unwrap()[0];
        assert_eq!((delivery.state.as_str(), delivery.error.as_deref()), ("queued", Some("will retry: 451")));

        let before = event_log::last_seq(&db, ws.id).await.unwrap();
        assert!(queue::mark_sent(&db, &row).await.unwrap());
        assert!(!queue::mark_sent(&db, &row).await.unwrap(), "settles once");
        assert!(!queue::mark_failed(&db, &row, "late").await.unwrap(), "a sent reply never fails afterwards");
        let delivery = &queue::deliveries(&db, ws.id, &[part_id]).await.unwrap()[0];
        assert_eq!((delivery.state.as_str(), delivery.error.as_deref(), delivery.attempts), ("sent", None, 1));
        assert!(delivery.sent_at.is_some());
        let events = event_log::after(&db, ws.id, before, 10).await.unwrap();
        assert_eq!(events.len(), 1, "one event for the one change");
        assert_eq!(events[0].kind, "conversation_part.email_delivery");
        assert_eq!(events[0].audience, "admins");
        let payload = events[0].payload();
        assert_eq!(payload["part_id"], part_id);
        assert_eq!(payload["email_delivery"]["state"], "sent");
        assert_eq!(payload["conversation"]["id"], id.get());
        assert!(queue::due(&db, "n1", now_ms(), 10).await.unwrap().is_empty());

        // The sent reply is part of the thread of the next one.
        let next = Change::AdminComment { admin_id: owner.id, body: "More" };
        let next_part = conversations::send(&db, ws.id, id, next, SendOptions::default()).await.unwrap().parts[0].id;
        let next_row = queue::find_by_part(&db, ws.id, next_part).await.unwrap();
        let thread = queue::thread(&db, ws.id, id, next_row.id).await.unwrap();
        assert_eq!(thread.last().unwrap().message_id, full_id);
        assert!(queue::mark_failed(&db, &next_row, "the relay refused it: 550").await.unwrap());
        let failed = queue::find(&db, ws.id, next_row.id).await.unwrap();
        assert_eq!(
            (failed.delivery_state.as_str(), failed.last_error.as_deref()),
            ("failed", Some("the relay refused it: 550"))
        );
    }
}

#[tokio::test]
async fn the_context_names_the_teammate_and_the_workspace_branding() {
    for db in testing::all().await {
        let (ws, owner) = testing::workspace(&db).await;
        let id = email_conversation(&db, ws.id, Some("bob@client.test")).await;
        let reply = Change::AdminComment { admin_id: owner.id, body: "<p>Hi</p>" };
        let part_id = conversations::send(&db, ws.id, id, reply, SendOptions::default()).await.unwrap().parts[0].id;
        let row = queue::find_by_part(&db, ws.id, part_id).await.unwrap();
        let context = queue::context(&db, &row).await.unwrap();
        assert_eq!(context.body.as_deref(), Some("<p>Hi</p>"));
        assert_eq!(context.author_name.as_deref(), Some("Olive Owner"));
        assert_eq!((context.workspace_name.as_str(), context.app_id.as_str()), (ws.name.as_str(), ws.app_id.as_str()));
        assert_eq!(context.identity_secret, ws.identity_secret);
        assert!(context.color.starts_with('#'));
    }
}

#[tokio::test]
async fn a_rules_close_message_is_queued_as_automatic() {
    for db in testing::all().await {
        let (ws, owner) = testing::workspace(&db).await;
        let id = email_conversation(&db, ws.id, Some("bob@client.test")).await;
        let rules = serde_json::json!({"rules": [{"id": "auto", "name": "Close with a message",
            "actions": [{"type": "close_with_message", "body": "We are closed this week."}]}]});
        rapport_store::routing::save_draft(&db, ws.id, owner.id, &rules).await.unwrap();
        rapport_store::routing::publish(&db, ws.id, owner.id).await.unwrap();
        rapport_store::routing::run(&db, ws.id, id, Some(owner.id)).await.unwrap().expect("rules are live");
        let detail = conversations::find_detail(&db, ws.id, id).await.unwrap();
        assert_eq!(detail.conversation.state, ConversationState::Closed);
        let message = detail.parts.iter().find(|p| p.body.as_deref() == Some("We are closed this week.")).unwrap();
        let row = queue::find_by_part(&db, ws.id, message.id).await.unwrap();
        assert!(row.automated, "sent with Auto-Submitted: auto-replied");
        assert_eq!(row.delivery_state, "queued");
    }
}
