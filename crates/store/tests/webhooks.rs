use rapport_store::webhooks::{self, Edit};
use rapport_store::{event_log, testing, StoreError};

fn topics(list: &[&str]) -> Vec<String> {
    list.iter().map(|t| t.to_string()).collect()
}

#[tokio::test]
async fn subscriptions_are_validated_and_stay_in_their_workspace() {
    for db in testing::all().await {
        let (ws, _) = testing::workspace(&db).await;
        let (other, _) = testing::workspace(&db).await;
        let good = topics(&["conversation.user.created"]);
        for (url, topics, secret) in [
            ("ftp://example.com/x", good.clone(), "long secret"),
            ("not a url", good.clone(), "long secret"),
            ("https://u:p@example.com/", good.clone(), "long secret"),
            ("https://example.com/", vec![], "long secret"),
            ("https://example.com/", vec!["conversation.nope".to_string()], "long secret"),
            ("https://example.com/", good.clone(), "short"),
        ] {
            let err = webhooks::create(&db, ws.id, url, &topics, secret).await.unwrap_err();
            assert!(matches!(err, StoreError::Invalid(_)), "{url} {topics:?}: {err}");
        }
        assert!(webhooks::list(&db, ws.id).await.unwrap().is_empty(), "refused input wrote nothing");

        testing::contact(&db, ws.id, "user", Some("u1"), None).await.unwrap();
        let sub = webhooks::create(&db, ws.id, "https://example.com/hook", &good, "long secret").await.unwrap();
        assert_eq!(sub.cursor_seq, event_log::last_seq(&db, ws.id).await.unwrap(), "starts at the end of the log");
        assert!(sub.active && !sub.paused);
        assert!(matches!(webhooks::find(&db, other.id, sub.id).await, Err(StoreError::NotFound { .. })));
        assert!(matches!(webhooks::delete(&db, other.id, sub.id).await, Err(StoreError::NotFound { .. })));
        let edit = Edit { active: Some(false), ..Edit::default() };
        assert!(matches!(webhooks::update(&db, other.id, sub.id, edit).await, Err(StoreError::NotFound { .. })));
        assert!(webhooks::list(&db, other.id).await.unwrap().is_empty());

        let bad = Edit { topics: Some(topics(&["bogus"])), ..Edit::default() };
        assert!(matches!(webhooks::update(&db, ws.id, sub.id, bad).await, Err(StoreError::Invalid(_))));
        let edit = Edit {
            url: Some("http://example.org/h".into()),
            topics: Some(topics(&["contact.lead.created", "contact.user.created", "contact.lead.created"])),
            active: Some(false),
        };
        let updated = webhooks::update(&db, ws.id, sub.id, edit).await.unwrap();
        assert_eq!(updated.topics(), topics(&["contact.lead.created", "contact.user.created"]));
        assert_eq!((updated.url.as_str(), updated.active), ("http://example.org/h", false));
        webhooks::delete(&db, ws.id, sub.id).await.unwrap();
        assert!(webhooks::list(&db, ws.id).await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn creating_a_contact_logs_an_event_in_the_same_transaction() {
    for db in testing::all().await {
        let (ws, _) = testing::workspace(&db).await;
        let id = testing::contact(&db, ws.id, "lead", None, None).await.unwrap();
        let events = event_log::after(&db, ws.id, 0, 10).await.unwrap();
        let last = events.last().unwrap();
        assert_eq!(last.kind, "contact.created");
        assert_eq!(last.payload()["contact"]["id"], id.get());
        assert_eq!(last.payload()["contact"]["role"], "lead");
        assert!(!last.is_for_everyone());
    }
}

#[tokio::test]
async fn one_node_holds_the_lease_and_failures_pause_until_resumed() {
    for db in testing::all().await {
        let (ws, _) = testing::workspace(&db).await;
        let sub = webhooks::create(&db, ws.id, "https://example.com/h", &topics(&["contact.user.created"]), "secret12")
            .await
            .unwrap();
        let far = webhooks::now_ms() + 60_000;
        assert!(webhooks::lease(&db, ws.id, sub.id, "node-a", far).await.unwrap());
        assert!(!webhooks::lease(&db, ws.id, sub.id, "node-b", far).await.unwrap(), "a held lease is exclusive");
        assert!(webhooks::due(&db, "node-b", webhooks::now_ms(), 10).await.unwrap().iter().all(|s| s.id != sub.id));
        assert!(!webhooks::advance(&db, ws.id, sub.id, "node-b", 5).await.unwrap(), "only the holder moves the cursor");
        assert!(webhooks::advance(&db, ws.id, sub.id, "node-a", 5).await.unwrap());
        assert!(webhooks::advance(&db, ws.id, sub.id, "node-a", 3).await.unwrap());
        assert_eq!(webhooks::find(&db, ws.id, sub.id).await.unwrap().cursor_seq, 5, "never backwards");

        for n in 1..=3 {
            let s = webhooks::fail(&db, ws.id, sub.id, "node-a", "HTTP 500", 0, 3).await.unwrap();
            assert_eq!((s.consecutive_failures, s.paused), (n, n == 3));
        }
        assert!(webhooks::due(&db, "node-a", webhooks::now_ms(), 10).await.unwrap().iter().all(|s| s.id != sub.id));
        let resumed = webhooks::set_paused(&db, ws.id, sub.id, false).await.unwrap();
        assert_eq!((resumed.paused, resumed.consecutive_failures, resumed.cursor_seq), (false, 0, 5));
        webhooks::release(&db, ws.id, sub.id, "node-a").await.unwrap();
        assert!(webhooks::lease(&db, ws.id, sub.id, "node-b", far).await.unwrap(), "released leases are free");
        let due = webhooks::due(&db, "node-b", webhooks::now_ms(), 10).await.unwrap();
        assert!(due.iter().any(|s| s.id == sub.id));
    }
}
