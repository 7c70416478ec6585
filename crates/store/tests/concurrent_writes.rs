//! Many writers on one conversation at once: every acknowledged reply is kept and counted,
//! none fails with "database is locked", on SQLite and PostgreSQL.
use rapport_store::conversations::{self, Change, NewConversation};
use rapport_store::testing;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_replies_are_all_kept_and_counted() {
    for db in testing::all().await {
        let (ws, owner) = testing::workspace(&db).await;
        let contact = testing::contact(&db, ws.id, "user", Some("c-1"), None).await.unwrap();
        let new = NewConversation {
            contact_id: contact,
            body: "Hello",
            subject: None,
            created_at: None,
            options: Default::default(),
        };
        let conversation = conversations::create(&db, ws.id, new).await.unwrap().conversation;
        let writers: Vec<_> = (0..40)
            .map(|i| {
                let db = db.clone();
                tokio::spawn(async move {
                    let body = format!("reply {i}");
                    let change = Change::AdminComment { admin_id: owner.id, body: &body };
                    conversations::reply_or_act(&db, ws.id, conversation.id, change).await
                })
            })
            .collect();
        for writer in writers {
            writer.await.unwrap().expect("a concurrent reply failed");
        }
        let after = conversations::find(&db, ws.id, conversation.id).await.unwrap();
        assert_eq!(after.count_parts, 40, "{:?}", db.backend());
        let detail = conversations::find_detail(&db, ws.id, conversation.id).await.unwrap();
        assert_eq!(detail.parts.len(), 41, "the opening message and the 40 replies");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_get_a_gapless_ordered_event_sequence() {
    use rapport_store::event_log;
    for db in testing::all().await {
        let (ws, owner) = testing::workspace(&db).await;
        let contact = testing::contact(&db, ws.id, "user", Some("c-1"), None).await.unwrap();
        let mut ids = Vec::new();
        for body in ["one", "two", "three"] {
            let new = NewConversation {
                contact_id: contact,
                body,
                subject: None,
                created_at: None,
                options: Default::default(),
            };
            ids.push(conversations::create(&db, ws.id, new).await.unwrap().conversation.id);
        }
        let writers: Vec<_> = (0..30)
            .map(|i| {
                let (db, id) = (db.clone(), ids[i % 3]);
                tokio::spawn(async move {
                    let body = format!("reply {i}");
                    let change = Change::AdminComment { admin_id: owner.id, body: &body };
                    conversations::send(&db, ws.id, id, change, Default::default()).await.map(|s| s.seq)
                })
            })
            .collect();
        let mut acked = Vec::new();
        for writer in writers {
            acked.push(writer.await.unwrap().expect("a concurrent reply failed").unwrap());
        }
        let events = event_log::after(&db, ws.id, 0, 1000).await.unwrap();
        let seqs: Vec<i64> = events.iter().map(|e| e.seq).collect();
        // Seq 1 is the contact's creation.
        assert_eq!(seqs, (1..=34).collect::<Vec<_>>(), "{:?}", db.backend());
        acked.sort();
        assert_eq!(acked, (5..=34).collect::<Vec<_>>(), "every ack names its own seq");
        assert_eq!(event_log::last_seq(&db, ws.id).await.unwrap(), 34);
    }
}
