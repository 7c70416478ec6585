//! Many writers on one conversation at once: every acknowledged reply is kept and counted,
//! none fails with "database is locked", on SQLite and PostgreSQL.
use rapport_store::conversations::{self, Change, NewConversation};
use rapport_store::testing;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_replies_are_all_kept_and_counted() {
    for db in testing::all().await {
        let (ws, owner) = testing::workspace(&db).await;
        let contact = testing::contact(&db, ws.id, "user", Some("c-1"), None).await.unwrap();
        let new = NewConversation { contact_id: contact, body: "Hello", subject: None, created_at: None };
        let (conversation, _) = conversations::create(&db, ws.id, new).await.unwrap();
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
