use rapport_core::attributes::{DataType, Model};
use rapport_store::data_attributes::{self, DataAttributeChanges, NewDataAttribute};
use rapport_store::{testing, Conflict, StoreError};
use serde_json::{json, Map, Value};

fn new<'a>(model: Model, name: &'a str, data_type: DataType, options: &[&str]) -> NewDataAttribute<'a> {
    NewDataAttribute {
        model,
        name,
        data_type,
        description: Some("about it"),
        options: options.iter().map(|s| s.to_string()).collect(),
        messenger_writable: false,
        admin_id: None,
    }
}

fn map(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

#[tokio::test]
async fn create_find_list_and_update() {
    for db in testing::all().await {
        let (ws, owner) = testing::workspace(&db).await;
        let mut spec = new(Model::Contact, "Mithril Shirt", DataType::String, &[]);
        spec.admin_id = Some(owner.id);
        let a = data_attributes::create(&db, ws.id, spec).await.unwrap();
        assert_eq!(
            (a.name.as_str(), a.label.as_str(), a.model, a.data_type),
            ("Mithril Shirt", "Mithril Shirt", Model::Contact, DataType::String)
        );
        assert_eq!((a.admin_id, a.archived), (Some(owner.id), false));
        let tier =
            data_attributes::create(&db, ws.id, new(Model::Company, "tier", DataType::Options, &["gold", "silver"]))
                .await
                .unwrap();
        assert_eq!(tier.options, vec!["gold", "silver"]);
        assert_eq!(data_attributes::find(&db, ws.id, a.id).await.unwrap().name, "Mithril Shirt");

        let all = data_attributes::list(&db, ws.id, None, false).await.unwrap();
        assert_eq!(all.iter().map(|a| a.id).collect::<Vec<_>>(), vec![a.id, tier.id]);
        let companies = data_attributes::list(&db, ws.id, Some(Model::Company), false).await.unwrap();
        assert_eq!(companies.len(), 1);

        let changes = DataAttributeChanges {
            description: Some(None),
            options: Some(vec!["gold".into(), "silver".into(), "bronze".into()]),
            archived: Some(true),
            messenger_writable: Some(true),
        };
        let tier = data_attributes::update(&db, ws.id, tier.id, changes).await.unwrap();
        assert_eq!((tier.description, tier.archived, tier.messenger_writable), (None, true, true));
        assert_eq!(tier.options.len(), 3);
        assert!(data_attributes::list(&db, ws.id, Some(Model::Company), false).await.unwrap().is_empty());
        assert_eq!(data_attributes::list(&db, ws.id, Some(Model::Company), true).await.unwrap().len(), 1);
        let tier = data_attributes::update(
            &db,
            ws.id,
            tier.id,
            DataAttributeChanges { archived: Some(false), ..Default::default() },
        )
        .await
        .unwrap();
        assert!(!tier.archived && tier.options.len() == 3, "untouched parts stay");
    }
}

#[tokio::test]
async fn bad_definitions_are_refused_and_write_nothing() {
    for db in testing::all().await {
        let (ws, _) = testing::workspace(&db).await;
        data_attributes::create(&db, ws.id, new(Model::Contact, "plan", DataType::String, &[])).await.unwrap();
        let dup = data_attributes::create(&db, ws.id, new(Model::Contact, "plan", DataType::Integer, &[])).await;
        assert!(matches!(dup, Err(StoreError::Conflict(Conflict::AttributeNameTaken { .. }))), "{dup:?}");
        // Same name on another model is fine ("plan" is built in on companies, though).
        let builtin = data_attributes::create(&db, ws.id, new(Model::Company, "plan", DataType::String, &[])).await;
        assert!(matches!(builtin, Err(StoreError::Invalid(_))), "{builtin:?}");
        for bad in [
            new(Model::Contact, "a.b", DataType::String, &[]),
            new(Model::Contact, "", DataType::String, &[]),
            new(Model::Contact, "email", DataType::String, &[]),
            new(Model::Contact, "choice", DataType::Options, &["one"]),
            new(Model::Contact, "choice", DataType::Options, &[]),
            new(Model::Contact, "count", DataType::Integer, &["1", "2"]),
        ] {
            let r = data_attributes::create(&db, ws.id, bad).await;
            assert!(matches!(r, Err(StoreError::Invalid(_))), "{r:?}");
        }
        assert_eq!(data_attributes::list(&db, ws.id, None, true).await.unwrap().len(), 1);

        let plan = data_attributes::list(&db, ws.id, None, true).await.unwrap().remove(0);
        let r = data_attributes::update(
            &db,
            ws.id,
            plan.id,
            DataAttributeChanges {
                options: Some(vec!["a".into(), "b".into()]),
                archived: Some(true),
                ..Default::default()
            },
        )
        .await;
        assert!(matches!(r, Err(StoreError::Invalid(_))), "options on a string attribute");
        assert!(!data_attributes::find(&db, ws.id, plan.id).await.unwrap().archived, "nothing changed");
    }
}

#[tokio::test]
async fn attributes_belong_to_their_workspace() {
    for db in testing::all().await {
        let (a, _) = testing::workspace(&db).await;
        let (b, _) = testing::workspace(&db).await;
        let attr =
            data_attributes::create(&db, a.id, new(Model::Contact, "shared", DataType::String, &[])).await.unwrap();
        assert!(matches!(data_attributes::find(&db, b.id, attr.id).await, Err(StoreError::NotFound { .. })));
        let r = data_attributes::update(
            &db,
            b.id,
            attr.id,
            DataAttributeChanges { archived: Some(true), ..Default::default() },
        )
        .await;
        assert!(matches!(r, Err(StoreError::NotFound { .. })));
        assert!(data_attributes::list(&db, b.id, None, true).await.unwrap().is_empty());
        // B may define the same name, and A's definitions do not validate B's values.
        data_attributes::create(&db, b.id, new(Model::Contact, "shared", DataType::Integer, &[])).await.unwrap();
        data_attributes::validate_custom_attributes(&db, a.id, "contact", &map(json!({"shared": "text"})))
            .await
            .unwrap();
        data_attributes::validate_custom_attributes(&db, b.id, "contact", &map(json!({"shared": 3}))).await.unwrap();
        let r =
            data_attributes::validate_custom_attributes(&db, b.id, "contact", &map(json!({"shared": "text"}))).await;
        assert!(matches!(r, Err(StoreError::Invalid(_))));
    }
}

#[tokio::test]
async fn custom_attribute_values_are_validated_against_definitions() {
    for db in testing::all().await {
        let (ws, _) = testing::workspace(&db).await;
        for (name, t, opts) in [
            ("nickname", DataType::String, &[][..]),
            ("logins", DataType::Integer, &[][..]),
            ("score", DataType::Float, &[][..]),
            ("vip", DataType::Boolean, &[][..]),
            ("renewal", DataType::Date, &[][..]),
            ("tier", DataType::Options, &["gold", "silver"][..]),
        ] {
            data_attributes::create(&db, ws.id, new(Model::Contact, name, t, opts)).await.unwrap();
        }
        let old =
            data_attributes::create(&db, ws.id, new(Model::Contact, "legacy", DataType::String, &[])).await.unwrap();
        data_attributes::update(
            &db,
            ws.id,
            old.id,
            DataAttributeChanges { archived: Some(true), ..Default::default() },
        )
        .await
        .unwrap();
        let validate = |v: Value| {
            let db = db.clone();
            async move { data_attributes::validate_custom_attributes(&db, ws.id, "contact", &map(v)).await }
        };
        validate(json!({})).await.unwrap();
        validate(json!({"nickname": "'; DROP TABLE contacts; --", "logins": 3, "score": 1.5, "vip": true,
            "renewal": 1700000000, "tier": "gold"}))
        .await
        .unwrap();
        validate(json!({"nickname": null, "legacy": null})).await.unwrap();

        for (bad, key) in [
            (json!({"unknown": 1}), "unknown"),
            (json!({"logins": "3"}), "logins"),
            (json!({"logins": 1.5}), "logins"),
            (json!({"vip": "yes"}), "vip"),
            (json!({"tier": "bronze"}), "tier"),
            (json!({"nickname": {"nested": true}}), "nickname"),
            (json!({"legacy": "still here"}), "legacy"),
            (json!({"renewal": "next tuesday"}), "renewal"),
        ] {
            match validate(bad.clone()).await {
                Err(StoreError::Invalid(message)) => assert!(message.contains(key), "{message} should name {key}"),
                other => panic!("{bad} gave {other:?}"),
            }
        }
        // Attributes of one model do not validate another's.
        let r =
            data_attributes::validate_custom_attributes(&db, ws.id, "company", &map(json!({"nickname": "x"}))).await;
        assert!(matches!(r, Err(StoreError::Invalid(_))));
        let r = data_attributes::validate_custom_attributes(&db, ws.id, "robot", &map(json!({"nickname": "x"}))).await;
        assert!(matches!(r, Err(StoreError::Invalid(_))));
    }
}
