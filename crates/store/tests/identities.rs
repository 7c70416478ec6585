//! One customer across channels in the store: further identifiers and how they resolve, user→user
//! merges that keep everything, and conversation merges. Every test runs on SQLite and PostgreSQL.
use rapport_core::contact::{ContactRole, Email, IdentityKind};
use rapport_core::conversation::PartType;
use rapport_core::ids::{ContactId, ConversationId, WorkspaceId};
use rapport_store::contacts::{self, identities, test_rows, ContactFields};
use rapport_store::conversations::{self, Change, NewConversation};
use rapport_store::{event_log, messenger, notes, sla, tags, testing, Conflict, Conn, Db, Stmt, StoreError};
use serde_json::json;

fn user(external_id: &str, email: &str) -> ContactFields {
    ContactFields {
        role: Some(ContactRole::User),
        external_id: Some(Some(external_id.into())),
        email: Some(Some(Email::parse(email).unwrap())),
        ..Default::default()
    }
}

fn email(raw: &str) -> Email {
    Email::parse(raw).unwrap()
}

async fn start(db: &Db, workspace_id: WorkspaceId, contact_id: ContactId, body: &str, at: i64) -> ConversationId {
    let new = NewConversation { contact_id, body, subject: None, created_at: Some(at), options: Default::default() };
    conversations::create(db, workspace_id, new).await.unwrap().conversation.id
}

async fn sql_i64(db: &Db, sql: &str, id: i64) -> i64 {
    db.read().scalar(Stmt::new(sql.to_string()).arg(id)).await.unwrap()
}

#[tokio::test]
async fn verified_identities_resolve_to_their_contact_and_unverified_ones_do_not() {
    for db in testing::all().await {
        let (ws, _) = testing::workspace(&db).await;
        let ann = contacts::create(&db, ws.id, user("u-1", "ann@corp.example")).await.unwrap();
        let home = identities::add(&db, ws.id, ann.id, IdentityKind::Email, "Ann@Home.example", true).await.unwrap();
        identities::add(&db, ws.id, ann.id, IdentityKind::Email, "ann@old.example", false).await.unwrap();
        identities::add(&db, ws.id, ann.id, IdentityKind::ExternalId, "legacy-7", true).await.unwrap();
        assert_eq!(home.value, "ann@home.example");

        let found = contacts::find_by_email(&db, ws.id, &email("ANN@home.example")).await.unwrap();
        assert_eq!(found.map(|c| c.id), Some(ann.id));
        assert!(contacts::find_by_email(&db, ws.id, &email("ann@old.example")).await.unwrap().is_none());
        let by_email = messenger::find_user(&db, ws.id, None, Some(" ann@HOME.example ")).await.unwrap();
        assert_eq!(by_email.map(|c| c.id), Some(ann.id));
        let by_id = messenger::find_user(&db, ws.id, Some("legacy-7"), None).await.unwrap();
        assert_eq!(by_id.map(|c| c.id), Some(ann.id));
        assert!(messenger::find_user(&db, ws.id, None, Some("ann@old.example")).await.unwrap().is_none());

        // Scoped to the workspace: another one neither sees nor resolves them.
        let (other, _) = testing::workspace(&db).await;
        assert!(contacts::find_by_email(&db, other.id, &email("ann@home.example")).await.unwrap().is_none());
        assert!(matches!(identities::list(&db, other.id, ann.id).await, Err(StoreError::NotFound { .. })));
        assert!(identities::remove(&db, other.id, ann.id, home.id).await.is_err());
        // And it may hold the same identifier for its own contact.
        let there = contacts::create(&db, other.id, user("u-1", "x@there.example")).await.unwrap();
        identities::add(&db, other.id, there.id, IdentityKind::Email, "ann@home.example", true).await.unwrap();

        // Conflicts write nothing.
        let bob = contacts::create(&db, ws.id, user("u-2", "bob@corp.example")).await.unwrap();
        for (kind, value, owner) in [
            (IdentityKind::Email, "ann@home.example", Some(ann.id)),
            (IdentityKind::Email, "ann@corp.example", Some(ann.id)),
            (IdentityKind::ExternalId, "u-1", Some(ann.id)),
            (IdentityKind::Email, "bob@corp.example", None),
        ] {
            let refused = identities::add(&db, ws.id, bob.id, kind, value, true).await;
            match owner {
                Some(owner) => assert!(
                    matches!(&refused, Err(StoreError::Conflict(Conflict::IdentityTaken { contact_id, .. })) if *contact_id == owner),
                    "{value}: {refused:?}"
                ),
                None => assert!(
                    matches!(&refused, Err(StoreError::Conflict(Conflict::IdentityIsPrimary { .. }))),
                    "{value}: {refused:?}"
                ),
            }
        }
        assert!(matches!(
            identities::add(&db, ws.id, bob.id, IdentityKind::Email, "nope", true).await,
            Err(StoreError::Invalid(_))
        ));
        assert!(identities::list(&db, ws.id, bob.id).await.unwrap().is_empty());
        // A primary external id may not be another contact's verified one either.
        let taking = ContactFields { external_id: Some(Some("legacy-7".into())), ..Default::default() };
        assert!(matches!(
            contacts::update(&db, ws.id, bob.id, taking).await,
            Err(StoreError::Conflict(Conflict::ContactExists { .. }))
        ));
        assert_eq!(contacts::find(&db, ws.id, bob.id).await.unwrap().external_id.as_deref(), Some("u-2"));
        // Primary emails were never unique: a contact whose primary it is comes before one that
        // holds it as a further identifier.
        let carol = contacts::create(&db, ws.id, user("u-3", "ann@old.example")).await.unwrap();
        let found = contacts::find_by_email(&db, ws.id, &email("ann@old.example")).await.unwrap();
        assert_eq!(found.map(|c| c.id), Some(carol.id));
        contacts::delete(&db, ws.id, carol.id).await.unwrap();

        // Promoting one's own further email to primary turns it into the primary (not both).
        let promote = ContactFields { email: Some(Some(email("ann@home.example"))), ..Default::default() };
        let ann = contacts::update(&db, ws.id, ann.id, promote).await.unwrap();
        assert_eq!(ann.email.as_deref(), Some("ann@home.example"));
        let left: Vec<String> =
            identities::list(&db, ws.id, ann.id).await.unwrap().into_iter().map(|i| i.value).collect();
        assert_eq!(left, ["ann@old.example", "legacy-7"]);

        // Deleting the contact deletes its identifiers.
        contacts::delete(&db, ws.id, ann.id).await.unwrap();
        let rows = sql_i64(&db, "SELECT COUNT(*) FROM contact_identities WHERE contact_id = $1", ann.id.get()).await;
        assert_eq!(rows, 0);
        assert!(messenger::find_user(&db, ws.id, Some("legacy-7"), None).await.unwrap().is_none());
    }
}

#[tokio::test]
async fn a_user_merged_into_a_user_keeps_everything() {
    for db in testing::all().await {
        let (ws, owner) = testing::workspace(&db).await;
        let mut old_fields = user("legacy-7", "ann@home.example");
        old_fields.name = Some(Some("Ann B".into()));
        old_fields.phone = Some(Some("+1 555 0100".into()));
        let old = contacts::create(&db, ws.id, old_fields).await.unwrap();
        let mut new_fields = user("u-42", "ann@corp.example");
        new_fields.name = Some(Some("Ann Bell".into()));
        let new = contacts::create(&db, ws.id, new_fields).await.unwrap();
        identities::add(&db, ws.id, old.id, IdentityKind::Email, "ann@old.example", false).await.unwrap();
        let set_custom = "UPDATE contacts SET custom_attributes = $2 WHERE id = $1";
        let custom = json!({"plan": "free", "seats": 3}).to_string();
        testing::write(&db, Stmt::new(set_custom).arg(old.id).arg(custom)).await.unwrap();
        let custom = json!({"plan": "enterprise"}).to_string();
        testing::write(&db, Stmt::new(set_custom).arg(new.id).arg(custom)).await.unwrap();

        let conversation = start(&db, ws.id, old.id, "Old question", 1_000).await;
        let tag = tags::find_or_create(&db, ws.id, "Early adopter").await.unwrap();
        contacts::tag(&db, ws.id, old.id, tag.id, Some(owner.id)).await.unwrap();
        notes::create(&db, ws.id, old.id, Some(owner.id), "<p>prefers email</p>").await.unwrap();
        test_rows::insert_event(&db, ws.id, old.id, "exported-report").await.unwrap();
        let acme = test_rows::insert_company(&db, ws.id, "acme", "Acme").await.unwrap();
        test_rows::attach_company(&db, ws.id, old.id, acme).await.unwrap();

        // The preview names the conflicts and writes nothing.
        let preview = contacts::preview_merge(&db, ws.id, old.id, new.id).await.unwrap();
        let fields: Vec<&str> = preview.plan.conflicts.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, ["name", "email", "external_id", "custom_attributes.plan"]);
        assert_eq!(
            (preview.counts.conversations, preview.counts.events, preview.counts.tags, preview.counts.notes),
            (1, 1, 1, 1)
        );
        assert_eq!((preview.counts.companies, preview.counts.identities), (1, 3));
        assert!(contacts::find(&db, ws.id, old.id).await.is_ok());

        let seq_before = event_log::last_seq(&db, ws.id).await.unwrap();
        let survivor = contacts::merge_by(&db, ws.id, old.id, new.id, Some(owner.id)).await.unwrap();
        assert_eq!(
            (survivor.id, survivor.name.as_deref(), survivor.email.as_deref(), survivor.external_id.as_deref()),
            (new.id, Some("Ann Bell"), Some("ann@corp.example"), Some("u-42"))
        );
        assert_eq!(survivor.phone.as_deref(), Some("+1 555 0100"));
        assert_eq!(
            serde_json::Value::Object(survivor.custom_attributes_map()),
            json!({"plan": "enterprise", "seats": 3})
        );
        for table in ["events", "conversations", "conversation_contacts", "notes", "contact_companies"] {
            assert_eq!(test_rows::count_for_contact(&db, ws.id, table, new.id).await.unwrap(), 1, "{table}");
            assert_eq!(test_rows::count_for_contact(&db, ws.id, table, old.id).await.unwrap(), 0, "{table}");
        }
        assert_eq!(conversations::find(&db, ws.id, conversation).await.unwrap().contact_id, new.id);
        assert_eq!(contacts::tags(&db, ws.id, new.id).await.unwrap().len(), 1);
        let ids: Vec<(String, String, bool)> = identities::list(&db, ws.id, new.id)
            .await
            .unwrap()
            .into_iter()
            .map(|i| (i.kind, i.value, i.verified))
            .collect();
        assert_eq!(
            ids,
            [
                ("email".into(), "ann@old.example".into(), false),
                ("email".into(), "ann@home.example".into(), true),
                ("external_id".into(), "legacy-7".into(), true),
            ]
        );
        // The merged user's identifiers now resolve to the survivor.
        let found = contacts::find_by_email(&db, ws.id, &email("ann@home.example")).await.unwrap();
        assert_eq!(found.map(|c| c.id), Some(new.id));
        let found = messenger::find_user(&db, ws.id, Some("legacy-7"), None).await.unwrap();
        assert_eq!(found.map(|c| c.id), Some(new.id));

        // The merged row stays, untouched, for traceability; the event log says who merged what
        // and which values were dropped.
        let raw = sql_i64(&db, "SELECT merged_into_id FROM contacts WHERE id = $1", old.id.get()).await;
        assert_eq!(raw, new.id.get());
        let events = event_log::after(&db, ws.id, seq_before, 100).await.unwrap();
        let merged = events.iter().find(|e| e.kind == "contact.merged").expect("contact.merged event");
        let payload = merged.payload();
        assert_eq!(
            (payload["from"]["id"].as_i64(), payload["into"]["id"].as_i64()),
            (Some(old.id.get()), Some(new.id.get()))
        );
        assert_eq!(payload["merged_by"]["id"].as_i64(), Some(owner.id.get()));
        assert_eq!(payload["dropped"][0], json!({"field": "name", "kept": "Ann Bell", "dropped": "Ann B"}));

        // Refusals: into itself, again, into the merged one, into a lead; nothing changes.
        let lead = testing::contact(&db, ws.id, "lead", None, Some("l@x.example")).await.unwrap();
        for (from, into) in [(new.id, new.id), (old.id, new.id), (new.id, old.id), (new.id, lead)] {
            let refused = contacts::merge(&db, ws.id, from, into).await;
            assert!(matches!(refused, Err(StoreError::Invalid(_))), "{from} into {into}: {refused:?}");
        }
        assert_eq!(contacts::count(&db, ws.id).await.unwrap(), 2);
    }
}

#[tokio::test]
async fn a_conversation_merge_keeps_every_part_in_time_order_with_a_note() {
    for db in testing::all().await {
        let (ws, owner) = testing::workspace(&db).await;
        let ann = testing::contact(&db, ws.id, "user", Some("u-1"), Some("ann@corp.example")).await.unwrap();
        let bob = testing::contact(&db, ws.id, "user", Some("u-2"), Some("bob@corp.example")).await.unwrap();
        let target = start(&db, ws.id, ann, "Invoice 12 is wrong", 1_000).await;
        let source = start(&db, ws.id, bob, "Same here (Bob from accounts)", 2_000).await;
        conversations::reply_or_act(&db, ws.id, target, Change::AdminComment { admin_id: owner.id, body: "Looking" })
            .await
            .unwrap();
        conversations::reply_or_act(&db, ws.id, source, Change::AdminNote { admin_id: owner.id, body: "dup?" })
            .await
            .unwrap();
        // Put the replies in time: target's at 3,000, source's note at 2,500.
        let backdate = Stmt::new(
            "UPDATE conversation_parts SET created_at = CASE WHEN conversation_id = $1 THEN 3000 ELSE 2500 END \
             WHERE conversation_id IN ($1, $2) AND created_at > 2000",
        )
        .arg(target)
        .arg(source);
        testing::write(&db, backdate).await.unwrap();
        let tag = tags::find_or_create(&db, ws.id, "billing").await.unwrap();
        tags::apply(&db, ws.id, tag.id, tags::Target::Conversation, source.get(), Some(owner.id)).await.unwrap();

        let policy = rapport_core::sla::Policy {
            first_response_seconds: Some(3_600),
            next_response_seconds: None,
            time_to_close_seconds: None,
            business_hours: false,
            at_risk_percent: 20,
        };
        let policy = sla::create_policy(&db, ws.id, "Standard", &policy).await.unwrap();
        sla::apply(&db, ws.id, source, policy.id, 2_000).await.unwrap();

        let refusals = [(target, target), (source, ConversationId::new(999_999))];
        for (from, into) in refusals {
            assert!(conversations::merge(&db, ws.id, from, into, owner.id).await.is_err(), "{from} into {into}");
        }
        let merged = conversations::merge(&db, ws.id, source, target, owner.id).await.unwrap();
        assert_eq!(merged.id, target);
        let detail = conversations::find_detail(&db, ws.id, target).await.unwrap();
        let bodies: Vec<(String, i64)> =
            detail.parts.iter().map(|p| (p.body.clone().unwrap_or_default(), p.created_at)).collect();
        let texts: Vec<&str> = bodies.iter().map(|(b, _)| b.as_str()).collect();
        assert_eq!(&texts[..4], ["Invoice 12 is wrong", "Same here (Bob from accounts)", "dup?", "Looking"]);
        assert!(bodies.windows(2).all(|w| w[0].1 <= w[1].1), "time order: {bodies:?}");
        let note = detail.parts.last().unwrap();
        assert_eq!(note.part_type, PartType::Note);
        assert!(note.body.as_deref().unwrap().contains(&format!("#{source}")));
        let contacts_of: Vec<ContactId> = detail.related.contacts.iter().map(|c| c.id).collect();
        assert!(contacts_of.contains(&ann) && contacts_of.contains(&bob), "{contacts_of:?}");
        assert!(detail.related.tags.iter().any(|t| t.id == tag.id && t.target_id == target.get()));

        // Bob's messenger lists the conversation his messages are in now, not the empty source.
        let bobs: Vec<ConversationId> =
            messenger::conversations_of(&db, ws.id, bob, 10).await.unwrap().into_iter().map(|c| c.id).collect();
        assert_eq!(bobs, [target]);
        let stopped = sla::of_conversation(&db, ws.id, source).await.unwrap().unwrap();
        assert_eq!((stopped.status.as_str(), stopped.next_check_at), ("cancelled", None));
        let closed = conversations::find(&db, ws.id, source).await.unwrap();
        assert_eq!((closed.state.as_str(), closed.merged_into_id), ("closed", Some(target)));
        assert!(conversations::find_detail(&db, ws.id, source).await.unwrap().parts.is_empty());
        // The source takes no replies and cannot be merged again, nor merged into.
        let reply = conversations::reply_or_act(&db, ws.id, source, Change::Open { admin_id: owner.id }).await;
        assert!(matches!(reply, Err(StoreError::Invalid(ref m)) if m.contains(&format!("conversation {target}"))));
        assert!(conversations::merge(&db, ws.id, source, target, owner.id).await.is_err());
        let third = start(&db, ws.id, ann, "Another", 4_000).await;
        assert!(conversations::merge(&db, ws.id, third, source, owner.id).await.is_err());
        let events = event_log::after(&db, ws.id, 0, 1_000).await.unwrap();
        assert!(events.iter().any(|e| e.kind == "conversation.merged" && e.conversation_id == Some(target)));

        // A conversation whose opening message lives on its row only (older rows) brings it along.
        let legacy = start(&db, ws.id, bob, "Written before source parts existed", 1_500).await;
        testing::write(&db, Stmt::new("DELETE FROM conversation_parts WHERE conversation_id = $1").arg(legacy))
            .await
            .unwrap();
        testing::write(&db, Stmt::new("UPDATE conversations SET source_part_id = NULL WHERE id = $1").arg(legacy))
            .await
            .unwrap();
        conversations::merge(&db, ws.id, legacy, target, owner.id).await.unwrap();
        let detail = conversations::find_detail(&db, ws.id, target).await.unwrap();
        let texts: Vec<&str> = detail.parts.iter().map(|p| p.body.as_deref().unwrap_or_default()).collect();
        assert_eq!(
            &texts[..3],
            ["Invoice 12 is wrong", "Written before source parts existed", "Same here (Bob from accounts)"]
        );
        assert!(texts.last().unwrap().contains(&format!("#{legacy} into this one: its parts (1)")), "{texts:?}");
    }
}
