//! Conversation SLAs in the store: the clocks follow real conversation actions (a snooze pauses,
//! a customer turn starts a next-response run), and two nodes sweeping the same database at once
//! emit each event once. Every test runs on SQLite and PostgreSQL.
use rapport_core::ids::{ContactId, ConversationId, WorkspaceId};
use rapport_core::sla::Policy;
use rapport_store::conversations::{self, Change, ContactRef, NewConversation};
use rapport_store::{event_log, sla, testing, Db};
use serde_json::Value;

fn calendar(first: Option<i64>, next: Option<i64>) -> Policy {
    Policy {
        first_response_seconds: first,
        next_response_seconds: next,
        time_to_close_seconds: None,
        business_hours: false,
        at_risk_percent: 20,
    }
}

async fn start(db: &Db, ws: WorkspaceId) -> (ConversationId, ContactId) {
    let contact = testing::contact(db, ws, "user", None, Some("sla@example.com")).await.unwrap();
    let new = NewConversation {
        contact_id: contact,
        body: "help",
        subject: None,
        created_at: None,
        options: Default::default(),
    };
    (conversations::create(db, ws, new).await.unwrap().conversation.id, contact)
}

fn runs(row: &sla::ConversationSla) -> Vec<Value> {
    serde_json::from_str::<Value>(&row.runs).unwrap().as_array().unwrap().clone()
}

async fn sla_event_kinds(db: &Db, ws: WorkspaceId) -> Vec<String> {
    let events = event_log::after(db, ws, 0, 10_000).await.unwrap();
    events.into_iter().filter(|e| e.kind.starts_with("sla.")).map(|e| e.kind).collect()
}

#[tokio::test]
async fn clocks_follow_replies_and_snoozes() {
    for db in testing::all().await {
        let (ws, owner) = testing::workspace(&db).await;
        let policy = sla::create_policy(&db, ws.id, "Both", &calendar(Some(3600), Some(600))).await.unwrap();
        let (id, contact) = start(&db, ws.id).await;
        let applied = sla::apply(&db, ws.id, id, policy.id, rapport_store::now()).await.unwrap();
        assert_eq!((applied.status.as_str(), applied.state.as_str()), ("active", "on_track"));
        let first_due = runs(&applied)[0]["due_at"].as_i64().unwrap();
        assert_eq!(first_due, applied.applied_at + 3600);

        // A teammate replies: first response hit; the customer writes again: a next-response run.
        conversations::reply_or_act(&db, ws.id, id, Change::AdminComment { admin_id: owner.id, body: "on it" })
            .await
            .unwrap();
        conversations::reply_or_act(
            &db,
            ws.id,
            id,
            Change::ContactReply { contact: ContactRef::Id(contact), body: "and?" },
        )
        .await
        .unwrap();
        let row = sla::of_conversation(&db, ws.id, id).await.unwrap().unwrap();
        let all = runs(&row);
        assert_eq!(all.len(), 2, "{all:?}");
        assert_eq!((all[0]["target"].as_str(), all[0]["status"].as_str()), (Some("first_response"), Some("hit")));
        assert_eq!((all[1]["target"].as_str(), all[1]["status"].as_str()), (Some("next_response"), Some("active")));
        assert!(all[1]["due_at"].as_i64().is_some());
        assert_eq!(row.next_check_at, all[1]["at_risk_at"].as_i64());

        // Snoozed for a day: the clock stops (no due time, nothing for the sweep until it wakes).
        let until = rapport_store::now() + 86_400;
        conversations::reply_or_act(&db, ws.id, id, Change::Snooze { admin_id: owner.id, until }).await.unwrap();
        let row = sla::of_conversation(&db, ws.id, id).await.unwrap().unwrap();
        assert_eq!(runs(&row)[1]["due_at"], Value::Null);
        assert_eq!(row.next_check_at, None);
        // Evaluated after the snooze ran out, the clock runs again from `until`.
        let row = sla::evaluate(&db, ws.id, id, until + 60).await.unwrap().unwrap();
        let next = &runs(&row)[1];
        assert_eq!(next["due_at"].as_i64(), Some(until + 600 - next["elapsed_seconds"].as_i64().unwrap() + 60));
        assert_eq!(row.state, "on_track");
        assert!(sla_event_kinds(&db, ws.id).await.is_empty());

        // Another workspace cannot see or apply across.
        let (other, _) = testing::workspace(&db).await;
        assert!(sla::of_conversation(&db, other.id, id).await.unwrap().is_none());
        assert!(sla::apply(&db, other.id, id, policy.id, 0).await.is_err());
    }
}

/// Two connections to one database, as two `rapport serve` nodes would have.
async fn two_nodes() -> Vec<(Db, Db)> {
    let mut pairs = Vec::new();
    let path = std::env::temp_dir().join(format!("rapport-sla-nodes-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let url = format!("sqlite://{}", path.display());
    let a = Db::connect(&url).await.unwrap();
    a.migrate().await.unwrap();
    pairs.push((a, Db::connect(&url).await.unwrap()));
    if testing::postgres_enabled() {
        let url = testing::postgres_url().await;
        let a = Db::connect(&url).await.unwrap();
        a.migrate().await.unwrap();
        pairs.push((a, Db::connect(&url).await.unwrap()));
    }
    pairs
}

#[tokio::test]
async fn two_nodes_sweeping_at_once_emit_each_event_once() {
    for (a, b) in two_nodes().await {
        let (ws, _) = testing::workspace(&a).await;
        let policy = sla::create_policy(&a, ws.id, "Fast", &calendar(Some(100), None)).await.unwrap();
        let mut ids = Vec::new();
        for _ in 0..10 {
            let (id, _) = start(&a, ws.id).await;
            sla::apply(&a, ws.id, id, policy.id, rapport_store::now()).await.unwrap();
            ids.push(id);
        }
        let at_risk = rapport_store::now() + 85;
        for now in [at_risk, at_risk + 1, at_risk + 1_000] {
            let (x, y) = tokio::join!(sla::sweep(&a, now, 500), sla::sweep(&b, now, 500));
            x.unwrap();
            y.unwrap();
        }
        let kinds = sla_event_kinds(&a, ws.id).await;
        assert_eq!(kinds.iter().filter(|k| *k == "sla.at_risk").count(), 10, "{kinds:?}");
        assert_eq!(kinds.iter().filter(|k| *k == "sla.breached").count(), 10, "{kinds:?}");
        for id in ids {
            let row = sla::of_conversation(&a, ws.id, id).await.unwrap().unwrap();
            assert_eq!((row.state.as_str(), row.status.as_str(), row.next_check_at), ("breached", "missed", None));
        }
    }
}
