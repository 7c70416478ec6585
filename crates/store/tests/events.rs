use rapport_core::ids::{ContactId, WorkspaceId};
use rapport_store::events::{self, ContactKey, EventSummary, NewEvent};
use rapport_store::{testing, Stmt, StoreError};
use serde_json::{json, Map, Value};

fn map(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

async fn record(
    db: &rapport_store::Db,
    ws: WorkspaceId,
    contact_id: ContactId,
    name: &str,
    at: i64,
    meta: Value,
) -> Result<bool, StoreError> {
    events::record(db, ws, NewEvent { contact_id, event_name: name, created_at: at, metadata: &map(meta) }).await
}

#[tokio::test]
async fn contacts_are_identified_by_id_user_id_or_email() {
    for db in testing::all().await {
        let (ws, _) = testing::workspace(&db).await;
        let lead = testing::contact(&db, ws.id, "lead", None, Some("frodo@example.com")).await.unwrap();
        let user = testing::contact(&db, ws.id, "user", Some("314159"), Some("frodo@example.com")).await.unwrap();
        let found = events::find_contact(&db, ws.id, ContactKey::ExternalId("314159")).await.unwrap();
        assert_eq!((found.id, found.external_id.as_deref()), (user, Some("314159")));
        assert_eq!(events::find_contact(&db, ws.id, ContactKey::Id(lead)).await.unwrap().id, lead);
        let by_email = events::find_contact(&db, ws.id, ContactKey::Email(" FRODO@example.com")).await.unwrap();
        assert_eq!(by_email.id, user, "a user wins over a lead with the same email");
        let keys = [ContactKey::ExternalId("nobody"), ContactKey::Email("frodo@example.com")];
        assert_eq!(events::identify(&db, ws.id, &keys).await.unwrap().id, user);
        for key in [
            ContactKey::ExternalId("' OR 1=1 --"),
            ContactKey::Email("sam@example.com"),
            ContactKey::Id(ContactId::new(999_999)),
        ] {
            assert!(matches!(
                events::find_contact(&db, ws.id, key).await,
                Err(StoreError::NotFound { entity: "contact" })
            ));
        }

        // A contact merged into another is gone.
        testing::write(&db, Stmt::new("UPDATE contacts SET merged_into_id = $1 WHERE id = $2").arg(user).arg(lead))
            .await
            .unwrap();
        assert!(events::find_contact(&db, ws.id, ContactKey::Id(lead)).await.is_err());
        assert!(record(&db, ws.id, lead, "x", 1, json!({})).await.is_err());
    }
}

#[tokio::test]
async fn events_are_recorded_once_listed_newest_first_and_summarised() {
    for db in testing::all().await {
        let (ws, _) = testing::workspace(&db).await;
        let c = testing::contact(&db, ws.id, "user", Some("u1"), None).await.unwrap();
        let meta = json!({"order_number": {"value": "3434", "url": "https://example.org/o/3434"}, "price": {"amount": 2999, "currency": "usd"}});
        assert!(record(&db, ws.id, c, "Placed-Order", 100, meta.clone()).await.unwrap());
        // The same event again (other case, other key order) is not stored twice.
        let reordered = json!({"price": {"currency": "usd", "amount": 2999}, "order_number": {"url": "https://example.org/o/3434", "value": "3434"}});
        assert!(!record(&db, ws.id, c, "placed-order", 100, reordered).await.unwrap());
        assert!(
            record(&db, ws.id, c, "placed-order", 100, json!({"n": 2})).await.unwrap(),
            "other metadata is another event"
        );
        assert!(record(&db, ws.id, c, "placed-order", 300, json!({})).await.unwrap());
        assert!(record(&db, ws.id, c, "signed-in", 200, json!({})).await.unwrap());

        let all = events::list(&db, ws.id, c, 10, None).await.unwrap();
        assert_eq!(all.iter().map(|e| e.created_at).collect::<Vec<_>>(), vec![300, 200, 100, 100]);
        assert_eq!(all[0].event_name, "placed-order");
        assert_eq!(all.iter().find(|e| e.metadata.contains_key("price")).unwrap().metadata, map(meta));

        // Paging with a (created_at, id) position visits each event once.
        let first = events::list(&db, ws.id, c, 3, None).await.unwrap();
        let last = &first[2];
        let rest = events::list(&db, ws.id, c, 3, Some((last.created_at, last.id))).await.unwrap();
        assert_eq!(rest.len(), 1);
        assert!(first.iter().all(|e| e.id != rest[0].id));

        events::add_summaries(
            &db,
            ws.id,
            c,
            &[EventSummary { name: "Placed-Order".into(), first: 10, last: 50, count: 7 }],
        )
        .await
        .unwrap();
        let summaries = events::summaries(&db, ws.id, c).await.unwrap();
        assert_eq!(
            summaries,
            vec![
                EventSummary { name: "placed-order".into(), first: 10, last: 300, count: 10 },
                EventSummary { name: "signed-in".into(), first: 200, last: 200, count: 1 },
            ]
        );
    }
}

#[tokio::test]
async fn bad_events_are_refused_and_write_nothing() {
    for db in testing::all().await {
        let (ws, _) = testing::workspace(&db).await;
        let c = testing::contact(&db, ws.id, "user", Some("u1"), None).await.unwrap();
        let many: Map<String, Value> = (0..21).map(|i| (format!("k{i}"), json!(i))).collect();
        for (name, at, meta) in [
            ("", 1, json!({})),
            ("ok", 0, json!({})),
            ("ok", 1, json!({"deep": {"a": {"b": 1}}})),
            ("ok", 1, json!({"list": [1]})),
            ("ok", 1, json!({"long": "x".repeat(256)})),
            ("ok", 1, Value::Object(many)),
        ] {
            assert!(matches!(record(&db, ws.id, c, name, at, meta).await, Err(StoreError::Invalid(_))));
        }
        for bad in [
            EventSummary { name: "x".into(), first: 10, last: 5, count: 1 },
            EventSummary { name: "x".into(), first: 10, last: 10, count: 0 },
            EventSummary { name: " ".into(), first: 10, last: 10, count: 1 },
        ] {
            assert!(matches!(
                events::add_summaries(
                    &db,
                    ws.id,
                    c,
                    &[EventSummary { name: "fine".into(), first: 1, last: 1, count: 1 }, bad]
                )
                .await,
                Err(StoreError::Invalid(_))
            ));
        }
        assert!(events::list(&db, ws.id, c, 10, None).await.unwrap().is_empty());
        assert!(events::summaries(&db, ws.id, c).await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn events_belong_to_their_workspace() {
    for db in testing::all().await {
        let (a, _) = testing::workspace(&db).await;
        let (b, _) = testing::workspace(&db).await;
        let c = testing::contact(&db, a.id, "user", Some("u1"), Some("a@example.com")).await.unwrap();
        record(&db, a.id, c, "seen", 5, json!({})).await.unwrap();
        assert!(matches!(record(&db, b.id, c, "seen", 6, json!({})).await, Err(StoreError::NotFound { .. })));
        assert!(events::find_contact(&db, b.id, ContactKey::Id(c)).await.is_err());
        assert!(events::find_contact(&db, b.id, ContactKey::ExternalId("u1")).await.is_err());
        assert!(events::find_contact(&db, b.id, ContactKey::Email("a@example.com")).await.is_err());
        assert!(events::list(&db, b.id, c, 10, None).await.unwrap().is_empty());
        assert!(events::summaries(&db, b.id, c).await.unwrap().is_empty());
        let summary = EventSummary { name: "seen".into(), first: 1, last: 1, count: 1 };
        assert!(matches!(events::add_summaries(&db, b.id, c, &[summary]).await, Err(StoreError::NotFound { .. })));
        assert_eq!(events::list(&db, a.id, c, 10, None).await.unwrap().len(), 1);
    }
}
