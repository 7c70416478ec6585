use rapport_core::attributes::{DataType, Model};
use rapport_core::contact::{ContactRole, Email};
use rapport_core::ids::{AdminId, ContactId, WorkspaceId};
use rapport_store::contacts::{self, test_rows, ContactFields};
use rapport_store::data_attributes::{self, NewDataAttribute};
use rapport_store::{notes, tags, testing, Conflict, StoreError};
use serde_json::json;

async fn define(db: &rapport_store::Db, workspace_id: WorkspaceId, name: &str, data_type: DataType) {
    let new = NewDataAttribute {
        model: Model::Contact,
        name,
        data_type,
        description: None,
        options: Vec::new(),
        messenger_writable: false,
        admin_id: None,
    };
    data_attributes::create(db, workspace_id, new).await.unwrap();
}

fn user(external_id: &str, email: &str) -> ContactFields {
    ContactFields {
        role: Some(ContactRole::User),
        external_id: Some(Some(external_id.into())),
        email: Some(Some(Email::parse(email).unwrap())),
        ..Default::default()
    }
}

fn lead(email: &str) -> ContactFields {
    ContactFields {
        role: Some(ContactRole::Lead),
        email: Some(Some(Email::parse(email).unwrap())),
        ..Default::default()
    }
}

#[tokio::test]
async fn contacts_create_update_and_stay_in_their_workspace() {
    for db in testing::all().await {
        let (ws, owner) = testing::workspace(&db).await;
        let (other, _) = testing::workspace(&db).await;
        define(&db, ws.id, "plan", DataType::String).await;
        define(&db, ws.id, "seats", DataType::Integer).await;
        let mut fields = user("u-1", "Joe@Bloggs.COM");
        fields.custom_attributes = Some(json!({"plan": "pro"}).as_object().unwrap().clone());
        fields.owner_id = Some(Some(owner.id));
        let joe = contacts::create(&db, ws.id, fields).await.unwrap();
        assert_eq!(joe.email.as_deref(), Some("joe@bloggs.com"));
        assert_eq!(joe.email_domain.as_deref(), Some("bloggs.com"));
        assert_eq!(joe.role, "user");
        // `POST /contacts` answers a new contact without reading its relations: there are none.
        let rel = contacts::relations(&db, ws.id, &[joe.id]).await.unwrap().remove(&joe.id).unwrap();
        assert!(rel.tags.is_empty() && rel.identities.is_empty(), "{rel:?}");
        assert_eq!((rel.companies.total_count, rel.notes.total_count), (0, 0), "{rel:?}");

        // Same external id: conflict here, fine in another workspace.
        let dup = contacts::create(&db, ws.id, user("u-1", "x@y.com")).await;
        assert!(matches!(dup, Err(StoreError::Conflict(Conflict::ContactExists { id })) if id == joe.id), "{dup:?}");
        contacts::create(&db, other.id, user("u-1", "x@y.com")).await.unwrap();
        assert!(matches!(contacts::find(&db, other.id, joe.id).await, Err(StoreError::NotFound { .. })));
        assert!(contacts::update(&db, other.id, joe.id, ContactFields::default()).await.is_err());
        assert!(contacts::delete(&db, other.id, joe.id).await.is_err());

        // Unknown owner and a user→lead switch are refused; nothing changes.
        let bad = ContactFields { owner_id: Some(Some(AdminId::new(999_999))), ..Default::default() };
        assert!(matches!(contacts::update(&db, ws.id, joe.id, bad).await, Err(StoreError::Invalid(_))));
        let bad = ContactFields { role: Some(ContactRole::Lead), ..Default::default() };
        assert!(matches!(contacts::update(&db, ws.id, joe.id, bad).await, Err(StoreError::Invalid(_))));
        for attributes in [json!({"undefined": 1}), json!({"seats": "three"})] {
            let bad = ContactFields { custom_attributes: attributes.as_object().cloned(), ..Default::default() };
            assert!(matches!(contacts::update(&db, ws.id, joe.id, bad).await, Err(StoreError::Invalid(_))));
        }
        assert_eq!(contacts::find(&db, ws.id, joe.id).await.unwrap().custom_attributes_map()["plan"], "pro");

        let patch = ContactFields {
            name: Some(Some("Joe Bloggs".into())),
            phone: Some(Some("'; DROP TABLE contacts; --".into())),
            custom_attributes: Some(json!({"seats": 3}).as_object().unwrap().clone()),
            ..Default::default()
        };
        let joe2 = contacts::update(&db, ws.id, joe.id, patch).await.unwrap();
        assert_eq!(joe2.name.as_deref(), Some("Joe Bloggs"));
        assert_eq!(joe2.external_id.as_deref(), Some("u-1"));
        assert_eq!(joe2.custom_attributes_map(), json!({"plan": "pro", "seats": 3}).as_object().unwrap().clone());
        assert_eq!(contacts::find_by_external_id(&db, ws.id, "u-1").await.unwrap().id, joe.id);

        let flagged = contacts::set_archived(&db, ws.id, joe.id, true).await.unwrap();
        assert!(flagged.archived);
        assert!(contacts::block(&db, ws.id, joe.id).await.unwrap().blocked);

        let deleted = contacts::delete(&db, ws.id, joe.id).await.unwrap();
        assert_eq!(deleted.external_id.as_deref(), Some("u-1"));
        assert!(contacts::find(&db, ws.id, joe.id).await.is_err());
    }
}

#[tokio::test]
async fn cursor_pages_walk_every_contact_once() {
    for db in testing::all().await {
        let (ws, _) = testing::workspace(&db).await;
        let (other, _) = testing::workspace(&db).await;
        for i in 0..5 {
            contacts::create(&db, ws.id, lead(&format!("l{i}@x.com"))).await.unwrap();
        }
        contacts::create(&db, other.id, lead("z@x.com")).await.unwrap();
        let first = contacts::list(&db, ws.id, 2, None).await.unwrap();
        assert_eq!((first.contacts.len(), first.has_more, first.total_count, first.before), (2, true, 5, 0));
        let mut seen: Vec<ContactId> = first.contacts.iter().map(|c| c.id).collect();
        let mut after = first.contacts.last().map(|c| c.id.get());
        loop {
            let page = contacts::list(&db, ws.id, 2, after).await.unwrap();
            assert_eq!(page.before, seen.len() as i64);
            seen.extend(page.contacts.iter().map(|c| c.id));
            if !page.has_more {
                break;
            }
            after = page.contacts.last().map(|c| c.id.get());
        }
        assert_eq!(seen.len(), 5);
        assert!(seen.windows(2).all(|w| w[0] < w[1]));
    }
}

#[tokio::test]
async fn merge_moves_everything_from_the_lead_in_one_go() {
    for db in testing::all().await {
        let (ws, owner) = testing::workspace(&db).await;
        define(&db, ws.id, "source", DataType::String).await;
        let joe = contacts::create(&db, ws.id, user("u-1", "joe@x.com")).await.unwrap();
        let mut lead_fields = lead("lead@x.com");
        lead_fields.name = Some(Some("Leady".into()));
        lead_fields.custom_attributes = Some(json!({"source": "ad"}).as_object().unwrap().clone());
        let visitor = contacts::create(&db, ws.id, lead_fields).await.unwrap();

        let vip = tags::find_or_create(&db, ws.id, "VIP").await.unwrap();
        let both = tags::find_or_create(&db, ws.id, "Both").await.unwrap();
        contacts::tag(&db, ws.id, visitor.id, vip.id, Some(owner.id)).await.unwrap();
        contacts::tag(&db, ws.id, visitor.id, both.id, None).await.unwrap();
        contacts::tag(&db, ws.id, joe.id, both.id, None).await.unwrap();
        notes::create(&db, ws.id, visitor.id, Some(owner.id), "<p>met at the fair</p>").await.unwrap();
        test_rows::insert_event(&db, ws.id, visitor.id, "signed-up").await.unwrap();
        test_rows::insert_conversation(&db, ws.id, visitor.id).await.unwrap();
        let acme = test_rows::insert_company(&db, ws.id, "acme", "Acme").await.unwrap();
        test_rows::attach_company(&db, ws.id, visitor.id, acme).await.unwrap();

        // Only lead → user, never into itself, never across workspaces.
        assert!(matches!(contacts::merge(&db, ws.id, joe.id, visitor.id).await, Err(StoreError::Invalid(_))));
        assert!(matches!(contacts::merge(&db, ws.id, visitor.id, visitor.id).await, Err(StoreError::Invalid(_))));
        let (other, _) = testing::workspace(&db).await;
        assert!(matches!(contacts::merge(&db, other.id, visitor.id, joe.id).await, Err(StoreError::NotFound { .. })));

        let survivor = contacts::merge(&db, ws.id, visitor.id, joe.id).await.unwrap();
        assert_eq!(survivor.id, joe.id);
        assert_eq!(survivor.email.as_deref(), Some("joe@x.com"));
        assert_eq!(survivor.name.as_deref(), Some("Leady"));
        assert_eq!(survivor.custom_attributes_map()["source"], "ad");
        for table in ["events", "conversations", "conversation_contacts", "notes", "contact_companies"] {
            assert_eq!(test_rows::count_for_contact(&db, ws.id, table, joe.id).await.unwrap(), 1, "{table}");
            assert_eq!(test_rows::count_for_contact(&db, ws.id, table, visitor.id).await.unwrap(), 0, "{table}");
        }
        let tag_names: Vec<String> =
            contacts::tags(&db, ws.id, joe.id).await.unwrap().into_iter().map(|t| t.name).collect();
        assert_eq!(tag_names.len(), 2, "{tag_names:?}");

        // The lead is gone from reads, lists and the total, but its row remains.
        assert!(contacts::find(&db, ws.id, visitor.id).await.is_err());
        let page = contacts::list(&db, ws.id, 50, None).await.unwrap();
        assert_eq!((page.contacts.len(), page.total_count), (1, 1));
        assert_eq!(test_rows::raw_contact_count(&db, ws.id).await.unwrap(), 2);
        assert!(contacts::merge(&db, ws.id, visitor.id, joe.id).await.is_err());

        // Relations of a page come back grouped per contact.
        let rel = contacts::relations(&db, ws.id, &[joe.id]).await.unwrap();
        assert_eq!(rel[&joe.id].tags.len(), 2);
        assert_eq!(rel[&joe.id].companies.ids, vec![acme.get()]);
        assert_eq!(rel[&joe.id].notes.total_count, 1);

        // A contact in conversations cannot be deleted.
        assert!(matches!(
            contacts::delete(&db, ws.id, joe.id).await,
            Err(StoreError::Conflict(Conflict::ContactHasConversations))
        ));
    }
}

#[tokio::test]
async fn notes_belong_to_live_contacts_of_the_workspace() {
    for db in testing::all().await {
        let (ws, owner) = testing::workspace(&db).await;
        let (other, other_owner) = testing::workspace(&db).await;
        let joe = contacts::create(&db, ws.id, user("u-1", "joe@x.com")).await.unwrap();
        for i in 0..12 {
            notes::create(&db, ws.id, joe.id, Some(owner.id), &format!("note {i}")).await.unwrap();
        }
        assert!(matches!(notes::create(&db, ws.id, joe.id, None, "  ").await, Err(StoreError::Invalid(_))));
        assert!(notes::create(&db, ws.id, joe.id, Some(other_owner.id), "x").await.is_err());
        assert!(notes::create(&db, other.id, joe.id, None, "x").await.is_err());

        let (page, total) = notes::list_for_contact(&db, ws.id, joe.id, 1, 5).await.unwrap();
        assert_eq!((page.len(), total), (5, 12));
        assert_eq!(page[0].body, "note 11");
        assert_eq!(page[0].admin_email.as_deref(), Some("owner@example.com"));
        let (past, _) = notes::list_for_contact(&db, ws.id, joe.id, 9, 5).await.unwrap();
        assert!(past.is_empty());
        assert!(notes::find(&db, other.id, page[0].id).await.is_err());

        let rel = contacts::relations(&db, ws.id, &[joe.id]).await.unwrap();
        assert_eq!((rel[&joe.id].notes.ids.len(), rel[&joe.id].notes.total_count), (10, 12));
    }
}

#[tokio::test]
async fn contacts_of_a_company_are_paged_and_workspace_bound() {
    for db in testing::all().await {
        let (ws, _) = testing::workspace(&db).await;
        let (other, _) = testing::workspace(&db).await;
        let joe = contacts::create(&db, ws.id, user("u-1", "joe@x.com")).await.unwrap();
        let ann = contacts::create(&db, ws.id, user("u-2", "ann@x.com")).await.unwrap();
        let acme = test_rows::insert_company(&db, ws.id, "acme", "Acme").await.unwrap();
        test_rows::attach_company(&db, ws.id, joe.id, acme).await.unwrap();
        test_rows::attach_company(&db, ws.id, ann.id, acme).await.unwrap();
        let (people, total) = contacts::contacts_of_company(&db, ws.id, acme, 1, 1).await.unwrap();
        assert_eq!((people.len(), total), (1, 2));
        assert!(matches!(
            contacts::contacts_of_company(&db, other.id, acme, 1, 10).await,
            Err(StoreError::NotFound { entity: "company" })
        ));
    }
}
