//! Received email (`email::inbound`): recipients, storing a message with its `email_messages`
//! row, threading, duplicates, automatic mail and support addresses. On SQLite and PostgreSQL.
use rapport_core::conversation::{ConversationState, PartType};
use rapport_core::email::inbound::{parse, InboundEmail};
use rapport_core::email::reply_token;
use rapport_core::ids::WorkspaceId;
use rapport_store::conversations::{self, Change};
use rapport_store::email::inbound::{self, InboundRecord, Recipient};
use rapport_store::{testing, Conflict, Db, StoreError};

fn dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("rapport-email-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn message(from: &str, subject: &str, message_id: &str, extra_headers: &str, body: &str) -> Vec<u8> {
    format!("From: {from}\r\nTo: support@in.test\r\nSubject: {subject}\r\nMessage-ID: <{message_id}>\r\n{extra_headers}\r\n{body}\r\n")
        .into_bytes()
}

fn record(email: &InboundEmail, raw: &[u8]) -> InboundRecord {
    InboundRecord {
        message_id: email.message_id.clone().unwrap(),
        in_reply_to: email.in_reply_to.clone(),
        reference_ids: email.references.join(" "),
        from_address: email.from.address.clone(),
        to_addresses: serde_json::to_string(&email.to).unwrap(),
        subject: email.subject.clone(),
        raw: raw.to_vec(),
        auth_results: r#"{"spf":"none","dkim":"none","dmarc":"none"}"#.into(),
        automatic: email.automatic,
    }
}

async fn receive(db: &Db, to: Recipient, raw: &[u8], envelope: &str) -> Result<inbound::Received, StoreError> {
    let email = parse(raw, envelope).unwrap();
    inbound::receive(db, &dir(), to, &email, &record(&email, raw)).await
}

fn to(workspace_id: WorkspaceId) -> Recipient {
    Recipient { workspace_id, conversation_id: None }
}

#[tokio::test]
async fn a_message_becomes_an_email_conversation_once() {
    for db in testing::all().await {
        let (ws, _) = testing::workspace(&db).await;
        let raw = message("Ann Lead <ann@example.com>", "Broken", "m1@example.com", "", "It broke.\r\n-- \r\nAnn");
        let first = receive(&db, to(ws.id), &raw, "ann@example.com").await.unwrap();
        assert!(first.created && !first.duplicate);
        let conversation = conversations::find(&db, ws.id, first.conversation_id).await.unwrap();
        assert_eq!(conversation.source_type, "email");
        assert_eq!(conversation.source_subject, "Broken");
        assert_eq!(conversation.source_body, "<p>It broke.</p>");
        let contact = rapport_store::contacts::find(&db, ws.id, conversation.contact_id).await.unwrap();
        assert_eq!(
            (contact.role.as_str(), contact.email.as_deref(), contact.name.as_deref()),
            ("lead", Some("ann@example.com"), Some("Ann Lead"))
        );
        let details = inbound::details_of_part(&db, ws.id, first.conversation_id, first.part_id).await.unwrap();
        assert_eq!(details.message_id, "m1@example.com");
        assert_eq!(details.delivery_state, "received");
        assert_eq!(inbound::raw_of_part(&db, ws.id, first.conversation_id, first.part_id).await.unwrap(), raw);

        // The same Message-ID again: accepted, nothing new written.
        let again = receive(&db, to(ws.id), &raw, "ann@example.com").await.unwrap();
        assert!(again.duplicate);
        assert_eq!((again.conversation_id, again.part_id), (first.conversation_id, first.part_id));
        let detail = conversations::find_detail(&db, ws.id, first.conversation_id).await.unwrap();
        assert_eq!(detail.parts.len(), 1);

        // Another workspace sees none of it and stores its own copy.
        let (other, _) = testing::workspace(&db).await;
        assert!(inbound::details_of_part(&db, other.id, first.conversation_id, first.part_id).await.is_err());
        let theirs = receive(&db, to(other.id), &raw, "ann@example.com").await.unwrap();
        assert!(theirs.created && !theirs.duplicate);
    }
}

#[tokio::test]
async fn replies_thread_by_headers_or_token_and_reopen() {
    for db in testing::all().await {
        let (ws, owner) = testing::workspace(&db).await;
        let raw = message("bob@example.com", "Question", "q1@example.com", "", "Hello?");
        let first = receive(&db, to(ws.id), &raw, "bob@example.com").await.unwrap();
        let id = first.conversation_id;
        conversations::reply_or_act(&db, ws.id, id, Change::Close { admin_id: owner.id, body: None }).await.unwrap();

        let reply = message(
            "bob@example.com",
            "Re: Question",
            "q2@example.com",
            "In-Reply-To: <q1@example.com>\r\n",
            "Still there?\r\n\r\n> Hello?",
        );
        let second = receive(&db, to(ws.id), &reply, "bob@example.com").await.unwrap();
        assert_eq!(second.conversation_id, id);
        assert!(!second.created);
        let conversation = conversations::find(&db, ws.id, id).await.unwrap();
        assert_eq!(conversation.state, ConversationState::Open);
        let details = inbound::details_of_part(&db, ws.id, id, second.part_id).await.unwrap();
        assert_eq!(details.in_reply_to.as_deref(), Some("q1@example.com"));

        // By reply token, without any threading header.
        let address = format!("{}+{}@in.test", ws.app_id, reply_token(&ws.identity_secret, id));
        let recipient = inbound::find_recipient(&db, &address, Some("in.test")).await.unwrap().unwrap();
        assert_eq!(recipient, Recipient { workspace_id: ws.id, conversation_id: Some(id) });
        let third = message("bob@example.com", "New subject", "q3@example.com", "", "By token.");
        assert_eq!(receive(&db, recipient, &third, "bob@example.com").await.unwrap().conversation_id, id);

        // A forged token reaches the workspace but no conversation.
        let forged = format!("{}+c{id}-0123456789abcdef@in.test", ws.app_id);
        let recipient = inbound::find_recipient(&db, &forged, Some("in.test")).await.unwrap().unwrap();
        assert_eq!(recipient.conversation_id, None);
        // Headers naming another workspace's message do not thread.
        let (other, _) = testing::workspace(&db).await;
        let stray =
            message("bob@example.com", "Re: Question", "q4@example.com", "In-Reply-To: <q1@example.com>\r\n", "Hi");
        assert!(receive(&db, to(other.id), &stray, "bob@example.com").await.unwrap().created);
    }
}

#[tokio::test]
async fn automatic_mail_is_a_note_that_changes_nothing() {
    for db in testing::all().await {
        let (ws, owner) = testing::workspace(&db).await;
        let first = receive(
            &db,
            to(ws.id),
            &message("cy@example.com", "Help", "h1@example.com", "", "Help me"),
            "cy@example.com",
        )
        .await
        .unwrap();
        let id = first.conversation_id;
        conversations::reply_or_act(&db, ws.id, id, Change::Close { admin_id: owner.id, body: None }).await.unwrap();
        let before = conversations::find(&db, ws.id, id).await.unwrap();
        let auto = message(
            "cy@example.com",
            "Away",
            "h2@example.com",
            "In-Reply-To: <h1@example.com>\r\nAuto-Submitted: auto-replied\r\n",
            "I am away",
        );
        let noted = receive(&db, to(ws.id), &auto, "cy@example.com").await.unwrap();
        assert_eq!(noted.conversation_id, id);
        let after = conversations::find(&db, ws.id, id).await.unwrap();
        assert_eq!(after.state, ConversationState::Closed);
        assert_eq!(after.count_reopens, before.count_reopens);
        let detail = conversations::find_detail(&db, ws.id, id).await.unwrap();
        let note = detail.parts.iter().find(|p| p.id == noted.part_id).unwrap();
        assert_eq!(note.part_type, PartType::Note);
        assert!(note.body.as_deref().unwrap().starts_with("<p>[automatic email: auto_reply]</p>"));
        // A bounce from nowhere still starts a conversation (nothing is dropped), unrouted.
        let bounce = message("MAILER-DAEMON@example.com", "Undeliverable", "b1@example.com", "", "failed");
        assert!(receive(&db, to(ws.id), &bounce, "").await.unwrap().created);
    }
}

#[tokio::test]
async fn recipients_and_support_addresses() {
    for db in testing::all().await {
        let (ws, _) = testing::workspace(&db).await;
        let (other, _) = testing::workspace(&db).await;
        let mine = format!("{}@In.Test", ws.app_id.to_uppercase());
        assert_eq!(inbound::find_recipient(&db, &mine, Some("in.test")).await.unwrap(), Some(to(ws.id)));
        assert_eq!(inbound::find_recipient(&db, &mine, None).await.unwrap(), None);
        assert_eq!(inbound::find_recipient(&db, "nobody@in.test", Some("in.test")).await.unwrap(), None);
        assert_eq!(inbound::find_recipient(&db, "help@acme.test", Some("in.test")).await.unwrap(), None);

        let set = inbound::set_support_addresses(&db, ws.id, &["Help@Acme.test".into(), "help@acme.test".into()])
            .await
            .unwrap();
        assert_eq!(set, ["help@acme.test"]);
        assert_eq!(inbound::find_recipient(&db, "HELP@acme.test", Some("in.test")).await.unwrap(), Some(to(ws.id)));
        // Another workspace cannot take it, and a bad list changes nothing.
        let taken = inbound::set_support_addresses(&db, other.id, &["help@acme.test".into()]).await;
        assert!(matches!(taken, Err(StoreError::Conflict(Conflict::SupportAddressTaken { .. }))), "{taken:?}");
        let bad = inbound::set_support_addresses(&db, ws.id, &["sales@acme.test".into(), "nope".into()]).await;
        assert!(matches!(bad, Err(StoreError::Invalid(_))), "{bad:?}");
        assert_eq!(inbound::support_addresses(&db, ws.id).await.unwrap(), ["help@acme.test"]);
        assert!(inbound::support_addresses(&db, other.id).await.unwrap().is_empty());
        inbound::set_support_addresses(&db, ws.id, &[]).await.unwrap();
        assert_eq!(inbound::find_recipient(&db, "help@acme.test", Some("in.test")).await.unwrap(), None);
    }
}
