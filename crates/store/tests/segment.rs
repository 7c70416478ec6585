//! The Segment intake's writes, on both databases: identify/track/page/group/alias land on the
//! right contact and company, retries by `messageId` change nothing, a refused call leaves no
//! trace while its batch neighbours are applied, and anonymous leads are merged into users.
use rapport_core::attributes::{DataType, Model};
use rapport_core::ids::{ContactId, WorkspaceId};
use rapport_core::segment::{parse_batch, Call, CallError};
use rapport_store::data_attributes::{self, NewDataAttribute};
use rapport_store::segment::{self, Outcome};
use rapport_store::{companies, contacts, events, testing, Db};
use serde_json::{json, Value};

const NOW_MS: i64 = 1_763_700_000_000;

fn calls(items: Value) -> Vec<Result<Call, CallError>> {
    parse_batch(json!({ "batch": items }).to_string().as_bytes(), NOW_MS).unwrap().calls
}

async fn apply(db: &Db, ws: WorkspaceId, items: Value) -> Vec<Outcome> {
    segment::apply(db, ws, &calls(items)).await.unwrap()
}

async fn attribute(db: &Db, ws: WorkspaceId, model: Model, name: &str, data_type: DataType) {
    let new = NewDataAttribute {
        model,
        name,
        data_type,
        description: None,
        options: vec![],
        messenger_writable: false,
        admin_id: None,
    };
    data_attributes::create(db, ws, new).await.unwrap();
}

async fn event_names(db: &Db, ws: WorkspaceId, contact_id: ContactId) -> Vec<String> {
    let mut names: Vec<String> =
        events::list(db, ws, contact_id, 100, None).await.unwrap().into_iter().map(|e| e.event_name).collect();
    names.sort();
    names
}

#[tokio::test]
async fn identify_track_page_and_group_land_on_one_user() {
    for db in testing::all().await {
        let (ws, _) = testing::workspace(&db).await;
        attribute(&db, ws.id, Model::Contact, "plan_tier", DataType::String).await;
        attribute(&db, ws.id, Model::Company, "tier", DataType::String).await;
        let outcomes = apply(
            &db,
            ws.id,
            json!([
                {"type": "identify", "userId": "u1", "messageId": "m1", "traits": {"email": "Ann@Example.com",
                  "name": "Ann Lee", "createdAt": "2024-01-02T03:04:05Z", "plan_tier": "gold"}},
                {"type": "track", "userId": "u1", "messageId": "m2", "event": "Signed Up",
                  "properties": {"plan": "pro"}, "timestamp": "2025-01-01T00:00:00Z"},
                {"type": "page", "userId": "u1", "messageId": "m3", "name": "Pricing",
                  "properties": {"url": "https://x.test/pricing", "title": "Pricing"},
                  "timestamp": "2025-01-02T00:00:00Z"},
                {"type": "group", "userId": "u1", "messageId": "m4", "groupId": "acme",
                  "traits": {"name": "Acme", "plan": "pro", "monthly_spend": 99, "tier": "gold"}},
            ]),
        )
        .await;
        assert_eq!(outcomes, vec![Outcome::Applied; 4]);
        let user = contacts::find_by_external_id(&db, ws.id, "u1").await.unwrap();
        assert_eq!(user.role, "user");
        assert_eq!(user.email.as_deref(), Some("ann@example.com"));
        assert_eq!(user.name.as_deref(), Some("Ann Lee"));
        assert_eq!(user.signed_up_at, Some(1_704_164_645));
        assert_eq!(user.custom_attributes_map()["plan_tier"], "gold");
        assert_eq!(user.last_seen_at, Some(1_735_776_000));
        assert_eq!(
            rapport_store::messenger::last_seen_url(&db, ws.id, user.id).await.unwrap().as_deref(),
            Some("https://x.test/pricing")
        );
        assert_eq!(event_names(&db, ws.id, user.id).await, vec!["signed up", "viewed-page"]);
        let signed_up = events::list(&db, ws.id, user.id, 10, None).await.unwrap();
        let signed_up = signed_up.iter().find(|e| e.event_name == "signed up").unwrap();
        assert_eq!(signed_up.created_at, 1_735_689_600);
        assert_eq!(Value::Object(signed_up.metadata.clone()), json!({"plan": "pro"}));
        let company = companies::find_by_company_id(&db, ws.id, "acme").await.unwrap();
        assert_eq!((company.name.as_deref(), company.plan.as_deref()), (Some("Acme"), Some("pro")));
        assert_eq!(company.monthly_spend, 99.0);
        assert_eq!(company.custom_attributes["tier"], "gold");
        assert_eq!(company.user_count, 1);

        // A retry of the whole batch changes nothing; a second group call updates the company.
        let again = apply(
            &db,
            ws.id,
            json!([
                {"type": "track", "userId": "u1", "messageId": "m2", "event": "Signed Up",
                  "properties": {"plan": "pro"}, "timestamp": "2025-01-01T00:00:05Z"},
                {"type": "group", "userId": "u1", "messageId": "m5", "groupId": "acme", "traits": {"plan": "enterprise"}},
            ]),
        )
        .await;
        assert_eq!(again, vec![Outcome::Duplicate, Outcome::Applied]);
        assert_eq!(events::list(&db, ws.id, user.id, 10, None).await.unwrap().len(), 2);
        let company = companies::find_by_company_id(&db, ws.id, "acme").await.unwrap();
        assert_eq!((company.name.as_deref(), company.plan.as_deref()), (Some("Acme"), Some("enterprise")));
        assert_eq!(contacts::count(&db, ws.id).await.unwrap(), 1);

        // Another workspace's calls never reach this one's contacts.
        let (other, _) = testing::workspace(&db).await;
        let outcomes =
            apply(&db, other.id, json!([{"type": "track", "userId": "u1", "messageId": "m2", "event": "x"}])).await;
        assert_eq!(outcomes, vec![Outcome::Applied]);
        assert_eq!(events::list(&db, ws.id, user.id, 10, None).await.unwrap().len(), 2);
        assert_eq!(segment::workspace_by_tracking_key(&db, &ws.tracking_key).await.unwrap(), Some(ws.id));
        assert_eq!(segment::workspace_by_tracking_key(&db, "nope").await.unwrap(), None);
        assert_eq!(segment::workspace_by_tracking_key(&db, "").await.unwrap(), None);
    }
}

#[tokio::test]
async fn a_refused_call_writes_nothing_and_its_neighbours_are_applied() {
    for db in testing::all().await {
        let (ws, _) = testing::workspace(&db).await;
        attribute(&db, ws.id, Model::Contact, "seats", DataType::Integer).await;
        let outcomes = apply(
            &db,
            ws.id,
            json!([
                {"type": "identify", "userId": "u1", "messageId": "ok1", "traits": {"email": "a@b.test"}},
                // A value of the wrong type for a defined attribute: refused as the REST API refuses it.
                {"type": "identify", "userId": "u2", "messageId": "bad1", "traits": {"seats": "many"}},
                // Nested metadata the events API refuses.
                {"type": "track", "userId": "u3", "messageId": "bad2", "event": "x", "properties": {"a": {"b": 1}}},
                {"type": "track", "messageId": "bad3", "event": "no id"},
                {"type": "track", "userId": "u1", "messageId": "ok2", "event": "Clicked"},
            ]),
        )
        .await;
        assert_eq!(outcomes[0], Outcome::Applied);
        assert_eq!(outcomes[4], Outcome::Applied);
        for (index, needle) in [(1, "seats"), (2, "nested"), (3, "userId")] {
            let Outcome::Refused { message, field } = &outcomes[index] else {
                panic!("{index}: {:?}", outcomes[index])
            };
            assert!(message.contains(needle) || field.as_deref() == Some(needle), "{index}: {message}");
        }
        assert_eq!(contacts::count(&db, ws.id).await.unwrap(), 1, "the refused calls created nobody");
        let user = contacts::find_by_external_id(&db, ws.id, "u1").await.unwrap();
        assert_eq!(event_names(&db, ws.id, user.id).await, vec!["clicked"]);
        // The refused calls' message ids were not kept: fixed and sent again, they apply.
        let fixed =
            apply(&db, ws.id, json!([{"type": "track", "userId": "u3", "messageId": "bad2", "event": "x"}])).await;
        assert_eq!(fixed, vec![Outcome::Applied]);
    }
}

#[tokio::test]
async fn anonymous_visitors_become_leads_and_join_their_user() {
    for db in testing::all().await {
        let (ws, _) = testing::workspace(&db).await;
        // An anonymous visit makes a lead; the same anonymous id finds it again.
        let outcomes = apply(
            &db,
            ws.id,
            json!([
                {"type": "page", "anonymousId": "anon-1", "name": "Home", "properties": {"url": "https://x.test/"}},
                {"type": "track", "anonymousId": "anon-1", "event": "Viewed Pricing"},
            ]),
        )
        .await;
        assert_eq!(outcomes, vec![Outcome::Applied; 2]);
        let lead = segment::contact_of_anonymous_id(&db, ws.id, "anon-1").await.unwrap().unwrap();
        assert_eq!(lead.role, "lead");
        assert_eq!(event_names(&db, ws.id, lead.id).await, vec!["viewed pricing", "viewed-page"]);
        // Identified with a new user id: the lead becomes that user.
        apply(
            &db,
            ws.id,
            json!([{"type": "identify", "userId": "u9", "anonymousId": "anon-1", "traits": {"name": "Bo"}}]),
        )
        .await;
        let user = contacts::find_by_external_id(&db, ws.id, "u9").await.unwrap();
        assert_eq!((user.id, user.role.as_str(), user.name.as_deref()), (lead.id, "user", Some("Bo")));

        // A second anonymous visitor who turns out to be an existing user is merged into them.
        apply(&db, ws.id, json!([{"type": "track", "anonymousId": "anon-2", "event": "Opened"}])).await;
        let lead2 = segment::contact_of_anonymous_id(&db, ws.id, "anon-2").await.unwrap().unwrap();
        assert_eq!(lead2.role, "lead");
        let outcomes =
            apply(&db, ws.id, json!([{"type": "alias", "previousId": "anon-2", "userId": "u9", "messageId": "al1"}]))
                .await;
        assert_eq!(outcomes, vec![Outcome::Applied]);
        assert!(contacts::find(&db, ws.id, lead2.id).await.is_err(), "the lead was merged away");
        assert_eq!(event_names(&db, ws.id, user.id).await, vec!["opened", "viewed pricing", "viewed-page"]);
        // Later calls with the old anonymous id land on the user.
        apply(&db, ws.id, json!([{"type": "track", "anonymousId": "anon-2", "event": "Came Back"}])).await;
        assert!(event_names(&db, ws.id, user.id).await.contains(&"came back".to_string()));
        assert_eq!(contacts::count(&db, ws.id).await.unwrap(), 1);
        // A retried alias is a duplicate; aliasing two users is refused and changes nothing.
        let again =
            apply(&db, ws.id, json!([{"type": "alias", "previousId": "anon-2", "userId": "u9", "messageId": "al1"}]))
                .await;
        assert_eq!(again, vec![Outcome::Duplicate]);
        apply(&db, ws.id, json!([{"type": "identify", "userId": "u10"}])).await;
        let refused = apply(&db, ws.id, json!([{"type": "alias", "previousId": "u10", "userId": "u9"}])).await;
        assert!(matches!(&refused[0], Outcome::Refused { .. }), "{refused:?}");
        assert_eq!(contacts::count(&db, ws.id).await.unwrap(), 2);

        // An anonymous lead met again under a known user id (identify with both) is merged too.
        apply(&db, ws.id, json!([{"type": "track", "anonymousId": "anon-3", "event": "Browsed"}])).await;
        let lead3 = segment::contact_of_anonymous_id(&db, ws.id, "anon-3").await.unwrap().unwrap();
        let outcomes = apply(&db, ws.id, json!([{"type": "identify", "userId": "u10", "anonymousId": "anon-3"}])).await;
        assert_eq!(outcomes, vec![Outcome::Applied]);
        let u10 = contacts::find_by_external_id(&db, ws.id, "u10").await.unwrap();
        assert!(contacts::find(&db, ws.id, lead3.id).await.is_err());
        assert_eq!(event_names(&db, ws.id, u10.id).await, vec!["browsed"]);
    }
}

#[tokio::test]
async fn an_email_finds_the_contact_that_owns_it() {
    for db in testing::all().await {
        let (ws, _) = testing::workspace(&db).await;
        let by_email = testing::contact(&db, ws.id, "user", None, Some("kim@example.com")).await.unwrap();
        let lead = testing::contact(&db, ws.id, "lead", None, Some("lee@example.com")).await.unwrap();
        let outcomes = apply(
            &db,
            ws.id,
            json!([
                // A user known only by email takes the user id.
                {"type": "identify", "userId": "kim", "traits": {"email": "KIM@example.com"}},
                // An anonymous visitor with a lead's email is that lead.
                {"type": "identify", "anonymousId": "anon-lee", "traits": {"email": "lee@example.com"}},
                {"type": "track", "anonymousId": "anon-lee", "event": "Returned"},
                // A new email: a new lead, created after the earlier calls were committed.
                {"type": "identify", "anonymousId": "anon-new", "traits": {"email": "new@example.com"}},
            ]),
        )
        .await;
        assert_eq!(outcomes, vec![Outcome::Applied; 4]);
        assert_eq!(contacts::find_by_external_id(&db, ws.id, "kim").await.unwrap().id, by_email);
        assert_eq!(segment::contact_of_anonymous_id(&db, ws.id, "anon-lee").await.unwrap().unwrap().id, lead);
        assert_eq!(event_names(&db, ws.id, lead).await, vec!["returned"]);
        let new = segment::contact_of_anonymous_id(&db, ws.id, "anon-new").await.unwrap().unwrap();
        assert_eq!((new.role.as_str(), new.email.as_deref()), ("lead", Some("new@example.com")));
        assert_eq!(contacts::count(&db, ws.id).await.unwrap(), 3);
    }
}

#[tokio::test]
async fn unknown_traits_define_custom_attributes_typed_by_their_values() {
    for db in testing::all().await {
        let (ws, _) = testing::workspace(&db).await;
        let outcomes = apply(
            &db,
            ws.id,
            json!([
                {"type": "identify", "userId": "u1", "messageId": "i1", "traits": {"title": "CTO", "age": 41,
                 "vip": true, "score": 9.5, "nickname": null, "address": {"city": "Oslo"}}},
                {"type": "group", "userId": "u1", "messageId": "g1", "groupId": "acme", "traits": {"region": "EU"}},
                // The attribute is an integer now: a later string is refused, the call writes nothing.
                {"type": "identify", "userId": "u1", "messageId": "i2", "traits": {"age": "old"}},
            ]),
        )
        .await;
        assert_eq!(outcomes[..2], [Outcome::Applied, Outcome::Applied], "{outcomes:?}");
        assert!(matches!(&outcomes[2], Outcome::Refused { .. }), "{outcomes:?}");
        let defined = data_attributes::list(&db, ws.id, Some(Model::Contact), true).await.unwrap();
        let types: Vec<(&str, DataType)> = defined.iter().map(|a| (a.name.as_str(), a.data_type)).collect();
        for expected in [
            ("title", DataType::String),
            ("age", DataType::Integer),
            ("vip", DataType::Boolean),
            ("score", DataType::Float),
        ] {
            assert!(types.contains(&expected), "{expected:?} in {types:?}");
        }
        // A null defines nothing, and an object has no attribute to hold it.
        assert!(!types.iter().any(|(n, _)| *n == "nickname" || *n == "address"), "{types:?}");
        let user = contacts::find_by_external_id(&db, ws.id, "u1").await.unwrap();
        let custom = user.custom_attributes_map();
        assert_eq!((custom["title"].as_str(), custom["age"].as_i64()), (Some("CTO"), Some(41)));
        let companies = data_attributes::list(&db, ws.id, Some(Model::Company), true).await.unwrap();
        assert!(companies.iter().any(|a| a.name == "region" && a.data_type == DataType::String));
    }
}

/// A whole sign-in arrives in one request: the visitor browses, identifies by email, signs in
/// under a user id that an existing user holds, and goes on browsing. The calls share one
/// transaction (each in its savepoint), so each sees the ones before it: the lookup by email finds
/// the lead the request just made, and the alias merges it into the user inside the request.
#[tokio::test]
async fn one_request_carries_a_visitor_from_lead_to_user() {
    for db in testing::all().await {
        let (ws, _) = testing::workspace(&db).await;
        apply(&db, ws.id, json!([{"type": "identify", "userId": "u1", "traits": {"name": "Ann"}}])).await;
        let user = contacts::find_by_external_id(&db, ws.id, "u1").await.unwrap();
        let outcomes = apply(
            &db,
            ws.id,
            json!([
                {"type": "page", "anonymousId": "v1", "name": "Home", "messageId": "p1"},
                {"type": "identify", "anonymousId": "v1", "traits": {"email": "v1@example.com"}},
                {"type": "identify", "anonymousId": "v2", "traits": {"email": "V1@example.com"}},
                {"type": "alias", "previousId": "v1", "userId": "u1", "messageId": "a1"},
                {"type": "track", "anonymousId": "v2", "event": "Checked Out", "messageId": "t1"},
            ]),
        )
        .await;
        assert_eq!(outcomes, vec![Outcome::Applied; 5]);
        // v2's email lookup found v1's lead (written earlier in the same request); the alias merged
        // that lead into the user, so both anonymous ids now lead to the user.
        for anonymous in ["v1", "v2"] {
            let found = segment::contact_of_anonymous_id(&db, ws.id, anonymous).await.unwrap().unwrap();
            assert_eq!(found.id, user.id, "{anonymous}");
        }
        assert_eq!(event_names(&db, ws.id, user.id).await, vec!["checked out", "viewed-page"]);
        assert_eq!(contacts::count(&db, ws.id).await.unwrap(), 1);
    }
}

/// A refused alias leaves no trace, not even its `messageId`: the same message sent again once
/// the cause is gone is applied, not answered as a duplicate.
#[tokio::test]
async fn a_refused_alias_does_not_remember_its_message_id() {
    for db in testing::all().await {
        let (ws, _) = testing::workspace(&db).await;
        apply(&db, ws.id, json!([{"type": "identify", "userId": "u1"}, {"type": "identify", "userId": "u2"}])).await;
        let alias = json!([{"type": "alias", "previousId": "u2", "userId": "u1", "messageId": "a1"}]);
        let refused = apply(&db, ws.id, alias.clone()).await;
        assert!(
            matches!(&refused[0], Outcome::Refused { field: Some(f), message } if f == "previousId" && message.contains("both are users")),
            "{refused:?}"
        );
        assert_eq!(contacts::count(&db, ws.id).await.unwrap(), 2);
        // u2 turns out to be a mistake: a teammate deletes it, and the client retries the alias.
        let u2 = contacts::find_by_external_id(&db, ws.id, "u2").await.unwrap();
        contacts::delete(&db, ws.id, u2.id).await.unwrap();
        assert_eq!(apply(&db, ws.id, alias).await, vec![Outcome::Applied]);
    }
}
