mod common;

use axum::http::{Method, StatusCode};
use common::TestApp;
use rapport_core::admin::AdminRole;
use serde_json::{json, Value};

/// A contact "Ada Lovelace" with plan "Pro" (and no tier) at "Analytical Engines", in a new conversation.
async fn conversation_with_customer(app: &TestApp) -> String {
    for name in ["plan", "tier"] {
        let attr = json!({"name": name, "model": "contact", "data_type": "string"});
        assert_eq!(app.post("/api/data_attributes", attr).await.status, StatusCode::OK);
    }
    let r = app
        .post(
            "/api/contacts",
            json!({"role": "user", "email": "ada@example.com", "name": "Ada Lovelace",
                   "custom_attributes": {"plan": "Pro"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let contact = r.body["id"].as_str().unwrap().to_string();
    let r = app.post("/api/companies", json!({"company_id": "ae", "name": "Analytical Engines"})).await;
    let company = r.body["id"].as_str().unwrap().to_string();
    let r = app.post(&format!("/api/contacts/{contact}/companies"), json!({"id": company})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r =
        app.post("/api/conversations", json!({"from": {"type": "user", "id": contact}, "body": "Help please"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["conversation_id"].as_str().unwrap().to_string()
}

async fn create(app: &TestApp, name: &str, body: &str) -> Value {
    let r = app.post("/api/saved_replies", json!({"name": name, "body": body})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
}

#[tokio::test]
async fn saved_replies_crud() {
    for app in TestApp::all().await {
        let greeting = create(&app, "Greeting", "Hi {{contact.first_name | fallback: \"there\"}}!").await;
        assert_eq!(greeting["type"], "saved_reply");
        assert_eq!(greeting["name"], "Greeting");
        assert!(greeting["created_at"].as_i64().unwrap() > 0);
        let id = greeting["id"].as_str().unwrap().to_string();
        create(&app, "Apology", "Sorry about that.").await;

        let r = app.get("/api/saved_replies").await;
        assert_eq!(r.body["type"], "list");
        let names: Vec<&str> = r.body["data"].as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["Apology", "Greeting"]);

        let r = app.put(&format!("/api/saved_replies/{id}"), json!({"body": "Hello {{contact.name}}"})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(
            (r.body["name"].as_str(), r.body["body"].as_str()),
            (Some("Greeting"), Some("Hello {{contact.name}}"))
        );
        assert_eq!(app.get(&format!("/api/saved_replies/{id}")).await.body["body"], "Hello {{contact.name}}");

        let r = app.delete(&format!("/api/saved_replies/{id}")).await;
        assert_eq!((r.status, &r.body["deleted"]), (StatusCode::OK, &json!(true)));
        let r = app.get(&format!("/api/saved_replies/{id}")).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::NOT_FOUND, "not_found"));
        assert_eq!(app.delete(&format!("/api/saved_replies/{id}")).await.status, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn bad_saved_replies_are_refused_and_change_nothing() {
    for app in TestApp::all().await {
        let existing = create(&app, "Greeting", "Hi {{contact.first_name}}").await;
        let id = existing["id"].as_str().unwrap().to_string();
        let cases = [
            (json!({"name": "X", "body": "Hi {{contact.firstname}}"}), "parameter_invalid", "contact.firstname"),
            (json!({"name": "X", "body": "Hi {{contact.name"}), "parameter_invalid", "unterminated"),
            (json!({"name": "X", "body": "{{__proto__}}"}), "parameter_invalid", "__proto__"),
            (json!({"name": "X", "body": "{{contact.custom_attributes.plann}}"}), "parameter_invalid", "plann"),
            (json!({"name": "X", "body": "{{contact.name | upcase}}"}), "parameter_invalid", "fallback"),
            (json!({"name": "X", "body": "a".repeat(20_001)}), "parameter_invalid", "20000"),
            (json!({"name": "X", "body": "  "}), "parameter_invalid", "empty"),
            (json!({"name": "", "body": "ok"}), "parameter_invalid", "name"),
            (json!({"name": "X"}), "parameter_not_found", "body"),
            (json!({"body": "ok"}), "parameter_not_found", "name"),
            (json!({"name": "X", "body": 5}), "parameter_invalid", ""),
            (json!({"name": "X", "body": "ok", "script": "1"}), "parameter_invalid", "script"),
        ];
        for (body, code, mentions) in cases {
            let r = app.post("/api/saved_replies", body.clone()).await;
            assert_eq!((r.status, r.error_code()), (StatusCode::BAD_REQUEST, code), "{body}: {}", r.text);
            assert!(r.body["errors"][0]["message"].as_str().unwrap().contains(mentions), "{body}: {}", r.text);
        }
        let r = app.post("/api/saved_replies", json!({"name": "Greeting", "body": "dup"})).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::CONFLICT, "conflict"));
        let r = app.put(&format!("/api/saved_replies/{id}"), json!({"name": "Renamed", "body": "{{nope}}"})).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::BAD_REQUEST, "parameter_invalid"));
        assert_eq!(r.body["errors"][0]["field"], "body");

        let r = app.get("/api/saved_replies").await;
        assert_eq!(r.body["data"].as_array().unwrap().len(), 1, "nothing was created");
        assert_eq!(r.body["data"][0]["name"], "Greeting", "nothing was changed");
        assert_eq!(r.body["data"][0]["body"], "Hi {{contact.first_name}}");
    }
}

#[tokio::test]
async fn render_fills_the_conversations_customer_company_and_admin() {
    for app in TestApp::all().await {
        let conversation = conversation_with_customer(&app).await;
        let body = "Hi {{contact.first_name}} ({{contact.email}}) from {{company.name}} on {{contact.custom_attributes.plan}}; \
                    {{admin.first_name}} here about #{{conversation.id}}. {{contact.custom_attributes.tier | fallback: \"-\"}}";
        let reply = create(&app, "Full", body).await;
        let path = format!("/api/saved_replies/{}/render", reply["id"].as_str().unwrap());
        let r = app.post(&path, json!({"conversation_id": conversation})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["type"], "saved_reply.rendered");
        assert_eq!(
            r.body["body"],
            format!("Hi Ada (ada@example.com) from Analytical Engines on Pro; Olive here about #{conversation}. -")
        );

        // The calling admin fills admin.*; a viewer may render.
        let (_, viewer) = app.teammate("viewer@example.com", AdminRole::Viewer).await;
        let name_only = create(&app, "Sign-off", "{{admin.name}}").await;
        let path = format!("/api/saved_replies/{}/render", name_only["id"].as_str().unwrap());
        let r =
            app.request_as(Some(&viewer), Method::POST, &path, Some(json!({"conversation_id": conversation}))).await;
        assert_eq!((r.status, &r.body["body"]), (StatusCode::OK, &json!("Teammate")));
    }
}

#[tokio::test]
async fn render_inserts_values_as_text() {
    for app in TestApp::all().await {
        let r = app
            .post("/api/contacts", json!({"role": "lead", "name": "<img src=x onerror=alert(1)> {{admin.name}}"}))
            .await;
        let contact = r.body["id"].as_str().unwrap().to_string();
        let r = app.post("/api/conversations", json!({"from": {"type": "lead", "id": contact}, "body": "hi"})).await;
        let conversation = r.body["conversation_id"].as_str().unwrap().to_string();
        let reply = create(&app, "Hi", "<p>Hi {{contact.name}}</p>").await;
        let path = format!("/api/saved_replies/{}/render", reply["id"].as_str().unwrap());

        let r = app.post(&path, json!({"conversation_id": conversation, "format": "html"})).await;
        assert_eq!(r.body["body"], "<p>Hi &lt;img src=x onerror=alert(1)&gt; {{admin.name}}</p>");
        let r = app.post(&path, json!({"conversation_id": conversation})).await;
        assert_eq!(r.body["body"], "<p>Hi <img src=x onerror=alert(1)> {{admin.name}}</p>", "text is verbatim");
        let r = app.post(&path, json!({"conversation_id": conversation, "format": "js"})).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::BAD_REQUEST, "parameter_invalid"));
        let r = app.post(&path, json!({})).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::BAD_REQUEST, "parameter_not_found"));
        let r = app.post(&path, json!({"conversation_id": "999999999"})).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn preview_renders_unsaved_text_and_refuses_what_create_would() {
    for app in TestApp::all().await {
        let conversation = conversation_with_customer(&app).await;
        let preview = |body: Value| app.post("/api/saved_replies/preview", body);
        let r = preview(
            json!({"body": "Hi {{contact.first_name}} from {{company.name}}", "conversation_id": conversation}),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(
            (&r.body["type"], &r.body["body"]),
            (&json!("saved_reply.rendered"), &json!("Hi Ada from Analytical Engines"))
        );

        // A viewer may preview; what create refuses, preview refuses with the same field.
        let (_, viewer) = app.teammate("viewer@example.com", AdminRole::Viewer).await;
        let ok = json!({"body": "{{admin.name}}", "conversation_id": conversation});
        let r = app.request_as(Some(&viewer), Method::POST, "/api/saved_replies/preview", Some(ok)).await;
        assert_eq!((r.status, &r.body["body"]), (StatusCode::OK, &json!("Teammate")));
        let r = preview(json!({"body": "Hi {{contact.shoe_size}}", "conversation_id": conversation})).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::BAD_REQUEST, "parameter_invalid"), "{}", r.text);
        assert!(r.text.contains("shoe_size"), "{}", r.text);
        let refused = app.post("/api/saved_replies", json!({"name": "Bad", "body": "Hi {{contact.shoe_size}}"})).await;
        assert_eq!(refused.error_code(), "parameter_invalid");
        let r = preview(json!({"conversation_id": conversation})).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::BAD_REQUEST, "parameter_not_found"));
        let r = preview(json!({"body": "Hi"})).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::BAD_REQUEST, "parameter_not_found"));
        // Another workspace's conversation is not found; a stored reply's render takes no body.
        let other = app.other_workspace().await;
        let theirs = conversation_with_customer(&other).await;
        let r = preview(json!({"body": "Hi", "conversation_id": theirs})).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let reply = create(&app, "Greeting", "Hi").await;
        let path = format!("/api/saved_replies/{}/render", reply["id"].as_str().unwrap());
        let r = app.post(&path, json!({"conversation_id": conversation, "body": "x"})).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::BAD_REQUEST, "parameter_invalid"));
        // Nothing was stored by previews.
        assert_eq!(app.get("/api/saved_replies").await.body["data"].as_array().unwrap().len(), 1);
    }
}

#[tokio::test]
async fn viewers_read_only_and_other_workspaces_see_nothing() {
    for app in TestApp::all().await {
        let conversation = conversation_with_customer(&app).await;
        let reply = create(&app, "Greeting", "Hi").await;
        let id = reply["id"].as_str().unwrap().to_string();

        let (_, viewer) = app.teammate("viewer@example.com", AdminRole::Viewer).await;
        let r = app.request_as(Some(&viewer), Method::GET, "/api/saved_replies", None).await;
        assert_eq!(r.body["data"].as_array().unwrap().len(), 1);
        let writes = [
            (Method::POST, "/api/saved_replies".to_string(), Some(json!({"name": "V", "body": "v"}))),
            (Method::PUT, format!("/api/saved_replies/{id}"), Some(json!({"name": "V"}))),
            (Method::DELETE, format!("/api/saved_replies/{id}"), None),
        ];
        for (method, path, body) in writes {
            let r = app.request_as(Some(&viewer), method, &path, body).await;
            assert_eq!((r.status, r.error_code()), (StatusCode::FORBIDDEN, "forbidden"), "{path}");
        }
        let (_, agent) = app.teammate("agent@example.com", AdminRole::Agent).await;
        let r = app
            .request_as(Some(&agent), Method::POST, "/api/saved_replies", Some(json!({"name": "A", "body": "a"})))
            .await;
        assert_eq!(r.status, StatusCode::OK);

        let other = app.other_workspace().await;
        assert_eq!(other.get("/api/saved_replies").await.body["data"], json!([]));
        assert_eq!(other.get(&format!("/api/saved_replies/{id}")).await.status, StatusCode::NOT_FOUND);
        assert_eq!(
            other.put(&format!("/api/saved_replies/{id}"), json!({"name": "Z"})).await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(other.delete(&format!("/api/saved_replies/{id}")).await.status, StatusCode::NOT_FOUND);
        let path = format!("/api/saved_replies/{id}/render");
        assert_eq!(other.post(&path, json!({"conversation_id": conversation})).await.status, StatusCode::NOT_FOUND);
        // Our saved reply with the other workspace's conversation: also 404.
        let theirs = conversation_with_customer(&other).await;
        assert_eq!(app.post(&path, json!({"conversation_id": theirs})).await.status, StatusCode::NOT_FOUND);
        assert_eq!(app.get(&format!("/api/saved_replies/{id}")).await.body["name"], "Greeting");
    }
}

#[tokio::test]
async fn openapi_documents_the_settings_endpoints() {
    let app = TestApp::all().await.remove(0);
    let r = app.get("/api/openapi.json").await;
    let paths = &r.body["paths"];
    for (path, method) in [
        ("/saved_replies", "post"),
        ("/saved_replies/{id}", "put"),
        ("/saved_replies/{id}/render", "post"),
        ("/saved_replies/preview", "post"),
        ("/admins/invites", "post"),
        ("/invites/{token}", "get"),
        ("/invites/{token}/accept", "post"),
        ("/admins/{id}", "put"),
        ("/admins/{id}", "get"),
        ("/admins/{id}/deactivate", "post"),
        ("/admins/{id}/reactivate", "post"),
        ("/tokens", "post"),
        ("/tokens/{id}", "delete"),
        ("/messenger/settings/rotate_identity_secret", "post"),
    ] {
        assert!(paths[path][method].is_object(), "{method} {path} missing from the OpenAPI document");
    }
}
