//! Conflicts through the API, on SQLite and PostgreSQL (issue 18, point 4): each conflict the
//! product knows answers its own code and message, the same on both engines; a unique violation
//! no repository names answers a generic `conflict`; and no answer, REST or live frame, names a
//! table, index or constraint (read from the database's own catalog) or repeats the drivers'
//! words ("UNIQUE constraint", "duplicate key", "violates").
mod common;
mod live_support;
mod messenger_support;

use axum::http::{Method, StatusCode};
use common::{Response, TestApp};
use live_support::{connect, serve};
use messenger_support::{as_visitor, lead, start};
use rapport_core::admin::AdminRole;
use rapport_store::testing;
use serde_json::{json, Value};

const GENERIC: &str = "The request conflicts with existing data";

/// The `id` of a created object, as a string (REST ids are strings, some older ones numbers).
fn id(r: &Response) -> String {
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    match &r.body["id"] {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `r` is exactly this refusal and gives nothing of the schema away.
#[track_caller]
fn assert_refused(r: &Response, names: &[String], status: StatusCode, code: &str, message: &str) {
    assert_eq!(
        (r.status, r.error_code(), r.body["errors"][0]["message"].as_str()),
        (status, code, Some(message)),
        "{}",
        r.text
    );
    assert_eq!(testing::schema_leaks(&r.text, names), Vec::<String>::new(), "{}", r.text);
}

fn invite_token(r: &Response) -> String {
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["url"].as_str().unwrap().strip_prefix("/app/invite/").unwrap().to_string()
}

async fn accept(app: &TestApp, token: &str, name: &str) -> Response {
    let body = json!({"name": name, "password": "long enough pass"});
    app.request_as(None, Method::POST, &format!("/api/invites/{token}/accept"), Some(body)).await
}

#[tokio::test]
async fn each_known_conflict_answers_its_code_and_message_and_names_no_schema() {
    for app in TestApp::all().await {
        let names = testing::schema_names(&app.db).await;
        let conflict =
            |r: &Response, message: &str| assert_refused(r, &names, StatusCode::CONFLICT, "conflict", message);

        // Tags: a taken name on rename (the unique index, named by the repository); a tag in use.
        let vip = id(&app.post("/api/tags", json!({"name": "VIP"})).await);
        let later = id(&app.post("/api/tags", json!({"name": "Later"})).await);
        let r = app.post("/api/tags", json!({"id": later, "name": "VIP"})).await;
        conflict(&r, "a tag with this name already exists");

        // Contacts: a taken external id, on create and on update.
        let ann = id(&app
            .post("/api/contacts", json!({"role": "user", "email": "ann@corp.example", "external_id": "u-1"}))
            .await);
        let bob = id(&app.post("/api/contacts", json!({"role": "user", "email": "bob@corp.example"})).await);
        let taken = format!("A contact matching those details already exists with id={ann}");
        conflict(&app.post("/api/contacts", json!({"external_id": "u-1"})).await, &taken);
        conflict(&app.put(&format!("/api/contacts/{bob}"), json!({"external_id": "u-1"})).await, &taken);

        let r = app.post(&format!("/api/contacts/{ann}/tags"), json!({"id": vip})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let r = app.delete(&format!("/api/tags/{vip}")).await;
        assert_refused(
            &r,
            &names,
            StatusCode::BAD_REQUEST,
            "tag_has_dependent_objects",
            "Unable to delete Tag with dependent objects",
        );

        // Further identifiers: another contact's, the contact's own primary, one it already has.
        let identities = format!("/api/contacts/{ann}/identities");
        let r = app.post(&identities, json!({"identity_type": "email", "value": "bob@corp.example"})).await;
        conflict(
            &r,
            &format!(
                "the email \"bob@corp.example\" already belongs to contact id={bob} (merge the two contacts instead)"
            ),
        );
        let r = app.post(&identities, json!({"identity_type": "email", "value": "ANN@corp.example"})).await;
        conflict(&r, "\"ann@corp.example\" is already this contact's primary email");
        let r = app.post(&identities, json!({"identity_type": "email", "value": "ann@home.example"})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let r = app.post(&identities, json!({"identity_type": "email", "value": "Ann@Home.example"})).await;
        conflict(&r, "this contact already has the email \"ann@home.example\"");

        // Names unique in a workspace: teams (on create and rename), SLA policies, saved replies.
        id(&app.post("/api/teams", json!({"name": "Support"})).await);
        conflict(&app.post("/api/teams", json!({"name": "Support"})).await, "a team with this name already exists");
        let billing = id(&app.post("/api/teams", json!({"name": "Billing"})).await);
        let r = app.put(&format!("/api/teams/{billing}"), json!({"name": "Support"})).await;
        conflict(&r, "a team with this name already exists");
        let gold = json!({"name": "Gold", "first_response_seconds": 300});
        id(&app.post("/api/sla_policies", gold.clone()).await);
        conflict(&app.post("/api/sla_policies", gold).await, "an SLA policy with this name already exists");
        let greeting = json!({"name": "Greeting", "body": "Hello"});
        id(&app.post("/api/saved_replies", greeting.clone()).await);
        conflict(&app.post("/api/saved_replies", greeting).await, "a saved reply with this name already exists");

        // A data attribute's taken name is a bad parameter, as Intercom answers it.
        let tier = json!({"name": "tier", "model": "contact", "data_type": "string"});
        id(&app.post("/api/data_attributes", tier).await);
        let r =
            app.post("/api/data_attributes", json!({"name": "tier", "model": "contact", "data_type": "integer"})).await;
        assert_refused(
            &r,
            &names,
            StatusCode::BAD_REQUEST,
            "parameter_invalid",
            "a contact attribute named \"tier\" already exists",
        );
        assert_eq!(r.body["errors"][0]["field"], "name");

        // Support addresses belong to one workspace.
        let r = app.put("/api/email_settings", json!({"support_addresses": ["help@acme.test"]})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let other = app.other_workspace().await;
        let r = other.put("/api/email_settings", json!({"support_addresses": ["help@acme.test"]})).await;
        conflict(&r, "support_addresses: help@acme.test already belongs to another workspace");

        // Teammates: inviting a teammate's email; accepting a second invitation once the first made
        // the admin (the unique index, named by the repository).
        app.teammate("agent@example.com", AdminRole::Agent).await;
        let r =
            app.post("/api/admins/invites", json!({"email": "agent@example.com", "name": "X", "role": "agent"})).await;
        conflict(&r, "an admin with email agent@example.com already exists in this workspace");
        let nia = json!({"email": "nia@example.com", "name": "Nia", "role": "agent"});
        let first = invite_token(&app.post("/api/admins/invites", nia.clone()).await);
        let second = invite_token(&app.post("/api/admins/invites", nia).await);
        let r = accept(&app, &first, "Nia").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let r = accept(&app, &second, "Nia again").await;
        conflict(&r, "an admin with email nia@example.com already exists in this workspace");

        // Messages: a client id used in another conversation, over REST and over the socket; a
        // contact with conversations cannot be deleted.
        let visitor = lead(&app).await;
        start(&app, &visitor, "First", "c-1").await;
        let second = start(&app, &visitor, "Second", "c-2").await;
        let path = format!("/messenger/conversations/{second}/messages");
        let r =
            as_visitor(&app, &visitor, Method::POST, &path, Some(json!({"body": "Again", "client_id": "c-1"}))).await;
        conflict(&r, "client_id was already used for a message in another conversation");
        let address = serve(app.router.clone()).await;
        let (mut socket, _) = connect(&address, &format!("/messenger/ws?token={}", visitor.token)).await;
        let answer =
            socket.ask(json!({"type": "send", "conversation_id": second, "body": "Again", "client_id": "c-1"})).await;
        assert_eq!(
            (answer["type"].as_str(), answer["code"].as_str(), answer["message"].as_str()),
            (Some("error"), Some("conflict"), Some("client_id was already used for a message in another conversation")),
            "{answer}"
        );
        assert_eq!(testing::schema_leaks(&answer.to_string(), &names), Vec::<String>::new(), "{answer}");
        let r = app.delete(&format!("/api/contacts/{}", visitor.contact_id)).await;
        conflict(&r, "this contact has conversations; archive it instead");
    }
}

#[tokio::test]
async fn a_unique_violation_no_repository_names_answers_a_generic_conflict() {
    for app in TestApp::all().await {
        // Rules the product does not have, so nothing in it expects their violation.
        testing::execute(&app.db, "CREATE UNIQUE INDEX test_rule_one_note_per_body ON notes (workspace_id, body)")
            .await;
        testing::execute(
            &app.db,
            "CREATE UNIQUE INDEX test_rule_one_part_per_body ON conversation_parts (conversation_id, body)",
        )
        .await;
        let names = testing::schema_names(&app.db).await;
        assert!(names.iter().any(|n| n == "test_rule_one_note_per_body"), "{names:?}");
        let generic = |r: &Response| assert_refused(r, &names, StatusCode::CONFLICT, "conflict", GENERIC);

        let contact = id(&app.post("/api/contacts", json!({"role": "user", "email": "ann@corp.example"})).await);
        let notes = format!("/api/contacts/{contact}/notes");
        id(&app.post(&notes, json!({"body": "called"})).await);
        generic(&app.post(&notes, json!({"body": "called"})).await);
        let listed = app.get(&notes).await;
        assert_eq!(listed.body["data"].as_array().map(Vec::len), Some(1), "{}", listed.text);

        // A message: over REST, then over the socket.
        let visitor = lead(&app).await;
        let conversation = start(&app, &visitor, "Same words", "c-1").await;
        let path = format!("/messenger/conversations/{conversation}/messages");
        generic(
            &as_visitor(&app, &visitor, Method::POST, &path, Some(json!({"body": "Same words", "client_id": "c-2"})))
                .await,
        );
        let address = serve(app.router.clone()).await;
        let (mut socket, _) = connect(&address, &format!("/messenger/ws?token={}", visitor.token)).await;
        let answer = socket
            .ask(json!({"type": "send", "conversation_id": conversation, "body": "Same words", "client_id": "c-3"}))
            .await;
        assert_eq!(
            (answer["type"].as_str(), answer["code"].as_str(), answer["message"].as_str()),
            (Some("error"), Some("conflict"), Some(GENERIC)),
            "{answer}"
        );
        assert_eq!(testing::schema_leaks(&answer.to_string(), &names), Vec::<String>::new(), "{answer}");
        let shown =
            as_visitor(&app, &visitor, Method::GET, &format!("/messenger/conversations/{conversation}"), None).await;
        assert_eq!(shown.body["parts"].as_array().map(Vec::len), Some(1), "{}", shown.text);
    }
}
