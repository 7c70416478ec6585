use rapport_core::attributes::{DataType, Model};
use rapport_core::ids::{ContactId, WorkspaceId};
use rapport_store::companies::{self, CompanyFields, Order};
use rapport_store::data_attributes::{self, NewDataAttribute};
use rapport_store::tags::{self, Target};
use rapport_store::{testing, Db, StoreError};
use serde_json::json;

async fn contact(db: &Db, workspace_id: WorkspaceId) -> ContactId {
    testing::contact(db, workspace_id, "user", None, None).await.unwrap()
}

fn named(name: &str) -> CompanyFields {
    CompanyFields { name: Some(name.into()), ..Default::default() }
}

#[tokio::test]
async fn upsert_creates_then_updates_by_company_id() {
    for db in testing::all().await {
        let (ws, _) = testing::workspace(&db).await;
        for (name, data_type) in [("sector", DataType::String), ("seats", DataType::Integer)] {
            let new = NewDataAttribute {
                model: Model::Company,
                name,
                data_type,
                description: None,
                options: Vec::new(),
                messenger_writable: false,
                admin_id: None,
            };
            data_attributes::create(&db, ws.id, new).await.unwrap();
        }
        let fields = CompanyFields {
            name: Some("Acme".into()),
            plan: Some("pro".into()),
            size: Some(120),
            monthly_spend: Some(155.98),
            remote_created_at: Some(1_374_138_000),
            custom_attributes: Some(json!({"sector": "manufacturing", "seats": 9}).as_object().unwrap().clone()),
            ..Default::default()
        };
        let (c, created) = companies::upsert(&db, ws.id, "acme-1", fields).await.unwrap();
        assert!(created);
        assert_eq!((c.company_id.as_str(), c.name.as_deref(), c.size), ("acme-1", Some("Acme"), Some(120)));
        assert_eq!(c.monthly_spend, 155.0, "monthly spend is truncated to whole units");
        assert_eq!(c.user_count, 0);

        let changes = CompanyFields {
            industry: Some("Software".into()),
            custom_attributes: Some(json!({"seats": 10}).as_object().unwrap().clone()),
            ..Default::default()
        };
        let (again, created) = companies::upsert(&db, ws.id, " acme-1 ", changes).await.unwrap();
        assert!(!created);
        assert_eq!(again.id, c.id);
        assert_eq!(again.name.as_deref(), Some("Acme"), "absent fields are kept");
        assert_eq!(again.industry.as_deref(), Some("Software"));
        assert_eq!(serde_json::Value::Object(again.custom_attributes), json!({"sector": "manufacturing", "seats": 10}));

        for bad in ["", "   "] {
            let refused = companies::upsert(&db, ws.id, bad, named("x")).await;
            assert!(matches!(refused, Err(StoreError::InvalidField { field: "company_id", .. })), "{refused:?}");
        }
        let bad = CompanyFields { monthly_spend: Some(-1.0), ..Default::default() };
        assert!(matches!(companies::upsert(&db, ws.id, "neg", bad).await, Err(StoreError::Invalid(_))));
        let bad = CompanyFields { size: Some(-5), ..Default::default() };
        assert!(matches!(companies::upsert(&db, ws.id, "neg", bad).await, Err(StoreError::Invalid(_))));
        assert!(companies::find_by_company_id(&db, ws.id, "neg").await.is_err(), "rejected upserts wrote nothing");

        // Hostile text is data, not SQL.
        let hostile = "'; DROP TABLE companies; --";
        let (h, _) = companies::upsert(&db, ws.id, hostile, named("<script>alert(1)</script>")).await.unwrap();
        assert_eq!(companies::find_by_company_id(&db, ws.id, hostile).await.unwrap().id, h.id);
        assert_eq!(companies::find_by_name(&db, ws.id, "<script>alert(1)</script>").await.unwrap().id, h.id);
    }
}

#[tokio::test]
async fn companies_are_invisible_to_other_workspaces() {
    for db in testing::all().await {
        let (a, _) = testing::workspace(&db).await;
        let (b, _) = testing::workspace(&db).await;
        let (c, _) = companies::upsert(&db, a.id, "shared-key", named("A's")).await.unwrap();
        // The same company_id in another workspace is another company.
        let (other, created) = companies::upsert(&db, b.id, "shared-key", named("B's")).await.unwrap();
        assert!(created);
        assert_ne!(other.id, c.id);

        assert!(matches!(companies::find(&db, b.id, c.id).await, Err(StoreError::NotFound { entity: "company" })));
        assert!(companies::update(&db, b.id, c.id, named("hijack")).await.is_err());
        assert!(companies::delete(&db, b.id, c.id).await.is_err());
        assert!(companies::find_by_name(&db, b.id, "A's").await.is_err());
        assert_eq!(companies::find(&db, a.id, c.id).await.unwrap().name.as_deref(), Some("A's"));

        // A contact of B cannot be attached to A's company, nor A's contact to B's company.
        let contact_a = contact(&db, a.id).await;
        let contact_b = contact(&db, b.id).await;
        assert!(matches!(
            companies::attach(&db, a.id, contact_b, c.id).await,
            Err(StoreError::NotFound { entity: "contact" })
        ));
        assert!(matches!(
            companies::attach(&db, a.id, contact_a, other.id).await,
            Err(StoreError::NotFound { entity: "company" })
        ));
        assert_eq!(companies::find(&db, a.id, c.id).await.unwrap().user_count, 0);
    }
}

#[tokio::test]
async fn attach_and_detach_count_users() {
    for db in testing::all().await {
        let (ws, _) = testing::workspace(&db).await;
        let (c, _) = companies::upsert(&db, ws.id, "c1", named("One")).await.unwrap();
        let (p, q) = (contact(&db, ws.id).await, contact(&db, ws.id).await);
        assert_eq!(companies::attach(&db, ws.id, p, c.id).await.unwrap().user_count, 1);
        assert_eq!(companies::attach(&db, ws.id, p, c.id).await.unwrap().user_count, 1, "attach is idempotent");
        assert_eq!(companies::attach(&db, ws.id, q, c.id).await.unwrap().user_count, 2);
        assert_eq!(companies::contact_ids(&db, ws.id, c.id).await.unwrap(), vec![p, q]);
        assert_eq!(companies::list_for_contact(&db, ws.id, p).await.unwrap().len(), 1);

        assert_eq!(companies::detach(&db, ws.id, p, c.id).await.unwrap().user_count, 1);
        assert!(matches!(
            companies::detach(&db, ws.id, p, c.id).await,
            Err(StoreError::NotFound { entity: "company" })
        ));
        assert!(matches!(
            companies::detach(&db, ws.id, ContactId::new(987_654), c.id).await,
            Err(StoreError::NotFound { entity: "contact" })
        ));

        // Deleting the company removes its links and taggings, not the contacts.
        let tag = tags::find_or_create(&db, ws.id, "vip").await.unwrap();
        tags::apply(&db, ws.id, tag.id, Target::Company, c.id.get(), None).await.unwrap();
        companies::delete(&db, ws.id, c.id).await.unwrap();
        assert!(companies::find(&db, ws.id, c.id).await.is_err());
        assert!(companies::list_for_contact(&db, ws.id, q).await.unwrap().is_empty());
        assert!(companies::contact_exists(&db, ws.id, q).await.unwrap());
        assert_eq!(tags::usage_count(&db, ws.id, tag.id).await.unwrap(), 0);
        assert!(matches!(companies::delete(&db, ws.id, c.id).await, Err(StoreError::NotFound { .. })));
    }
}

#[tokio::test]
async fn pages_and_scroll_terminate() {
    for db in testing::all().await {
        let (ws, _) = testing::workspace(&db).await;
        let (other, _) = testing::workspace(&db).await;
        companies::upsert(&db, other.id, "theirs", named("Theirs")).await.unwrap();
        let mut ids = Vec::new();
        for i in 0..5 {
            ids.push(companies::upsert(&db, ws.id, &format!("c{i}"), named(&format!("C{i}"))).await.unwrap().0.id);
        }
        let (page, total) = companies::list_page(&db, ws.id, None, 1, 2, Order::Asc).await.unwrap();
        assert_eq!(total, 5);
        assert_eq!(page.iter().map(|c| c.id).collect::<Vec<_>>(), ids[..2]);
        let (page, _) = companies::list_page(&db, ws.id, None, 1, 2, Order::Desc).await.unwrap();
        assert_eq!(page[0].id, ids[4]);
        let (page, _) = companies::list_page(&db, ws.id, None, 3, 2, Order::Asc).await.unwrap();
        assert_eq!(page.len(), 1);
        for past in [4, i64::MAX] {
            let (page, total) = companies::list_page(&db, ws.id, None, past, 2, Order::Asc).await.unwrap();
            assert!(page.is_empty());
            assert_eq!(total, 5);
        }

        // Tag filter.
        let tag = tags::find_or_create(&db, ws.id, "filtered").await.unwrap();
        tags::apply_and_remove_many(&db, ws.id, tag.id, Target::Company, &[ids[1].get(), ids[3].get()], &[], None)
            .await
            .unwrap();
        let (page, total) = companies::list_page(&db, ws.id, Some(tag.id), 1, 50, Order::Asc).await.unwrap();
        assert_eq!((total, page.iter().map(|c| c.id).collect::<Vec<_>>()), (2, vec![ids[1], ids[3]]));

        // Scroll visits every company of the workspace once, then comes back empty.
        let mut seen = Vec::new();
        let mut after = 0;
        loop {
            let batch = companies::scroll(&db, ws.id, after, 2).await.unwrap();
            let Some(last) = batch.last() else { break };
            after = last.id.get();
            seen.extend(batch.iter().map(|c| c.id));
        }
        assert_eq!(seen, ids);
    }
}

#[tokio::test]
async fn first_company_of_many_contacts_matches_each_contacts_list() {
    for db in testing::all().await {
        let (ws, _) = testing::workspace(&db).await;
        let (other_ws, _) = testing::workspace(&db).await;
        let (one, _) = companies::upsert(&db, ws.id, "c1", named("One")).await.unwrap();
        let (two, _) = companies::upsert(&db, ws.id, "c2", named("Two")).await.unwrap();
        let (p, q, r) = (contact(&db, ws.id).await, contact(&db, ws.id).await, contact(&db, ws.id).await);
        let stranger = contact(&db, other_ws.id).await;
        let (elsewhere, _) = companies::upsert(&db, other_ws.id, "c1", named("Elsewhere")).await.unwrap();
        companies::attach(&db, other_ws.id, stranger, elsewhere.id).await.unwrap();
        companies::attach(&db, ws.id, p, two.id).await.unwrap();
        companies::attach(&db, ws.id, p, one.id).await.unwrap();
        companies::attach(&db, ws.id, q, one.id).await.unwrap();

        let first = companies::first_for_contacts(&db, ws.id, &[p, q, r, stranger]).await.unwrap();
        for id in [p, q] {
            assert_eq!(first[&id].id, companies::list_for_contact(&db, ws.id, id).await.unwrap()[0].id);
        }
        assert_eq!(first.len(), 2, "r has no company; the other workspace's contact is not seen");
    }
}
