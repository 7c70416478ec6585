mod common;

use axum::http::{Method, StatusCode};
use common::TestApp;
use rapport_core::admin::AdminRole;
use serde_json::{json, Value};

fn names(list: &Value) -> Vec<String> {
    list["data"].as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn list_shows_builtins_then_custom_attributes() {
    for app in TestApp::all().await {
        let r = app.get("/api/data_attributes?model=contact").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["type"], "list");
        assert!(r.body.get("pages").is_none());
        let builtin = &r.body["data"][0];
        assert_eq!(builtin["type"], "data_attribute");
        assert_eq!((builtin["custom"].clone(), builtin["model"].clone()), (json!(false), json!("contact")));
        assert!(builtin.get("id").is_none(), "built-ins have no id");
        let contact_names = names(&r.body);
        for name in ["name", "email", "phone", "external_id", "signed_up_at", "last_seen_at"] {
            assert!(contact_names.contains(&name.to_string()), "{name} missing");
        }
        let companies = app.get("/api/data_attributes?model=company").await;
        for name in ["name", "plan", "monthly_spend"] {
            assert!(names(&companies.body).contains(&name.to_string()));
        }
        assert!(companies.body["data"].as_array().unwrap().iter().all(|a| a["model"] == "company"));
        let conversations = app.get("/api/data_attributes?model=conversation").await;
        assert!(names(&conversations.body).contains(&"state".to_string()));

        let r = app
            .post("/api/data_attributes", json!({"name": "Mithril Shirt", "model": "contact", "data_type": "string"}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let r = app.get("/api/data_attributes?model=contact").await;
        let last = r.body["data"].as_array().unwrap().last().unwrap().clone();
        assert_eq!((last["name"].clone(), last["custom"].clone()), (json!("Mithril Shirt"), json!(true)));
        let all = app.get("/api/data_attributes").await;
        assert!(all.body["data"].as_array().unwrap().len() > r.body["data"].as_array().unwrap().len());

        for bad in ["?model=user", "?include_archived=maybe"] {
            let r = app.get(&format!("/api/data_attributes{bad}")).await;
            assert_eq!((r.status, r.error_code()), (StatusCode::BAD_REQUEST, "parameter_invalid"), "{bad}");
        }
    }
}

#[tokio::test]
async fn create_and_update_have_intercoms_shape() {
    for app in TestApp::all().await {
        let r = app
            .post(
                "/api/data_attributes",
                json!({"name": "Mithril Shirt", "model": "company", "data_type": "options", "description": "Size",
                       "options": [{"value": "1-10"}, {"value": "11-20"}], "messenger_writable": false}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let a = &r.body;
        assert!(a["id"].is_i64(), "id is an integer: {}", a["id"]);
        assert_eq!(a["type"], "data_attribute");
        assert_eq!(a["name"], "Mithril Shirt");
        assert_eq!(a["full_name"], "custom_attributes.Mithril Shirt");
        assert_eq!(a["label"], "Mithril Shirt");
        assert_eq!(a["description"], "Size");
        assert_eq!(a["data_type"], "options");
        assert_eq!(a["options"], json!(["1-10", "11-20"]));
        assert_eq!((a["api_writable"].clone(), a["ui_writable"].clone()), (json!(true), json!(false)));
        assert_eq!((a["messenger_writable"].clone(), a["custom"].clone()), (json!(false), json!(true)));
        assert_eq!(a["archived"], false);
        assert_eq!(a["admin_id"], app.owner.id.to_string());
        assert!(a["created_at"].is_i64() && a["updated_at"].is_i64());
        assert_eq!(a["model"], "company");
        let keys: Vec<&str> = a.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            vec![
                "id",
                "type",
                "name",
                "full_name",
                "label",
                "description",
                "data_type",
                "options",
                "api_writable",
                "ui_writable",
                "messenger_writable",
                "custom",
                "archived",
                "admin_id",
                "created_at",
                "updated_at",
                "model"
            ]
        );
        let id = a["id"].as_i64().unwrap();

        let r = app
            .put(
                &format!("/api/data_attributes/{id}"),
                json!({"description": "Just a plain old ring", "options": [{"value": "1-10"}, {"value": "11-20"}, {"value": "21+"}],
                       "archived": true, "messenger_writable": true, "name": "Mithril Shirt"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["description"], "Just a plain old ring");
        assert_eq!(r.body["options"].as_array().unwrap().len(), 3);
        assert_eq!((r.body["archived"].clone(), r.body["messenger_writable"].clone()), (json!(true), json!(true)));

        // Archived attributes are hidden unless asked for.
        let hidden = app.get("/api/data_attributes?model=company").await;
        assert!(!names(&hidden.body).contains(&"Mithril Shirt".to_string()));
        let shown = app.get("/api/data_attributes?model=company&include_archived=true").await;
        assert!(names(&shown.body).contains(&"Mithril Shirt".to_string()));

        let r = app.put(&format!("/api/data_attributes/{id}"), json!({"archived": false})).await;
        assert_eq!(r.body["archived"], false);
        assert_eq!(r.body["description"], "Just a plain old ring", "untouched fields stay");
    }
}

#[tokio::test]
async fn bad_definitions_are_400_and_write_nothing() {
    for app in TestApp::all().await {
        let r =
            app.post("/api/data_attributes", json!({"name": "tier", "model": "contact", "data_type": "string"})).await;
        assert_eq!(r.status, StatusCode::OK);
        let before = app.get("/api/data_attributes?include_archived=true").await.body;

        let cases = [
            (json!({"name": "tier", "model": "contact", "data_type": "integer"}), "parameter_invalid"),
            (json!({"name": "x", "model": "contact", "data_type": "text"}), "parameter_invalid"),
            (json!({"name": "x", "model": "robot", "data_type": "string"}), "parameter_invalid"),
            (json!({"name": "x", "model": "contact", "data_type": "options"}), "parameter_not_found"),
            (
                json!({"name": "x", "model": "contact", "data_type": "options", "options": [{"value": "only"}]}),
                "parameter_invalid",
            ),
            (
                json!({"name": "x", "model": "contact", "data_type": "integer", "options": [{"value": "a"}, {"value": "b"}]}),
                "parameter_invalid",
            ),
            (json!({"name": "a.b", "model": "contact", "data_type": "string"}), "parameter_invalid"),
            (json!({"name": "$where", "model": "contact", "data_type": "string"}), "parameter_invalid"),
            (json!({"name": "email", "model": "contact", "data_type": "string"}), "parameter_invalid"),
            (json!({"name": "x".repeat(191), "model": "contact", "data_type": "string"}), "parameter_invalid"),
            (json!({"name": 5, "model": "contact", "data_type": "string"}), "parameter_invalid"),
            (json!({"model": "contact", "data_type": "string"}), "parameter_not_found"),
            (json!({"name": "x", "data_type": "string"}), "parameter_not_found"),
            (json!({"name": "x", "model": "contact"}), "parameter_not_found"),
        ];
        for (body, code) in cases {
            let r = app.post("/api/data_attributes", body.clone()).await;
            assert_eq!((r.status, r.error_code()), (StatusCode::BAD_REQUEST, code), "{body}: {}", r.text);
        }
        let r = app.post_raw("/api/data_attributes", "application/json", "{\"name\": ").await;
        assert_eq!((r.status, r.error_code()), (StatusCode::BAD_REQUEST, "bad_request"));

        // Hostile names are just names.
        for name in ["'; DROP TABLE data_attributes; --", "<script>alert(1)</script>"] {
            let r = app
                .post("/api/data_attributes", json!({"name": name, "model": "contact", "data_type": "string"}))
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
            assert_eq!(r.body["name"], name);
        }
        let after = app.get("/api/data_attributes?include_archived=true").await.body;
        assert_eq!(after["data"].as_array().unwrap().len(), before["data"].as_array().unwrap().len() + 2);

        let id = before["data"].as_array().unwrap().last().unwrap()["id"].as_i64().unwrap();
        for (body, field) in [
            (json!({"name": "renamed"}), "name"),
            (json!({"data_type": "integer", "archived": true}), "data_type"),
            (json!({"model": "company"}), "model"),
            (json!({"options": [{"value": "a"}, {"value": "b"}], "archived": true}), ""),
            (json!({"archived": "yes"}), ""),
        ] {
            let r = app.put(&format!("/api/data_attributes/{id}"), body.clone()).await;
            assert_eq!((r.status, r.error_code()), (StatusCode::BAD_REQUEST, "parameter_invalid"), "{body}");
            if !field.is_empty() {
                assert_eq!(r.body["errors"][0]["field"], field);
            }
        }
        let unchanged = app.get("/api/data_attributes?model=contact&include_archived=true").await.body;
        let tier = unchanged["data"].as_array().unwrap().iter().find(|a| a["id"] == id).unwrap().clone();
        assert_eq!(
            (tier["name"].clone(), tier["data_type"].clone(), tier["archived"].clone()),
            (json!("tier"), json!("string"), json!(false))
        );

        for bad in ["999999", "abc", "-1"] {
            let r = app.put(&format!("/api/data_attributes/{bad}"), json!({"archived": true})).await;
            assert_eq!((r.status, r.error_code()), (StatusCode::NOT_FOUND, "field_not_found"), "{bad}");
        }
    }
}

#[tokio::test]
async fn only_admins_manage_attributes() {
    for app in TestApp::all().await {
        let (_, admin_token) = app.teammate("admin@example.com", AdminRole::Admin).await;
        let (_, agent_token) = app.teammate("agent@example.com", AdminRole::Agent).await;
        let (_, viewer_token) = app.teammate("viewer@example.com", AdminRole::Viewer).await;
        let body = json!({"name": "vip", "model": "contact", "data_type": "boolean"});
        for token in [&agent_token, &viewer_token] {
            let r = app.request_as(Some(token), Method::POST, "/api/data_attributes", Some(body.clone())).await;
            assert_eq!((r.status, r.error_code()), (StatusCode::FORBIDDEN, "forbidden"));
            let r = app.request_as(Some(token), Method::GET, "/api/data_attributes", None).await;
            assert_eq!(r.status, StatusCode::OK, "everyone may read the schema");
        }
        let r = app.request_as(Some(&admin_token), Method::POST, "/api/data_attributes", Some(body)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let id = r.body["id"].as_i64().unwrap();
        for token in [&agent_token, &viewer_token] {
            let r = app
                .request_as(
                    Some(token),
                    Method::PUT,
                    &format!("/api/data_attributes/{id}"),
                    Some(json!({"archived": true})),
                )
                .await;
            assert_eq!(r.status, StatusCode::FORBIDDEN);
        }
        let r = app.get("/api/data_attributes?model=contact").await;
        let vip = r.body["data"].as_array().unwrap().iter().find(|a| a["id"] == id).unwrap().clone();
        assert_eq!(vip["archived"], false, "forbidden updates changed nothing");
    }
}

#[tokio::test]
async fn attributes_are_invisible_to_other_workspaces() {
    for app in TestApp::all().await {
        let other = app.other_workspace().await;
        let r = app
            .post("/api/data_attributes", json!({"name": "secret", "model": "contact", "data_type": "string"}))
            .await;
        let id = r.body["id"].as_i64().unwrap();
        let r = other.put(&format!("/api/data_attributes/{id}"), json!({"archived": true})).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::NOT_FOUND, "field_not_found"));
        let r = other.get("/api/data_attributes?include_archived=true").await;
        assert!(!names(&r.body).contains(&"secret".to_string()));
        // The other workspace may use the same name for its own attribute.
        let r = other
            .post("/api/data_attributes", json!({"name": "secret", "model": "contact", "data_type": "integer"}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let r = app.get("/api/data_attributes?model=contact").await;
        let mine = r.body["data"].as_array().unwrap().iter().find(|a| a["id"] == id).unwrap().clone();
        assert_eq!((mine["archived"].clone(), mine["data_type"].clone()), (json!(false), json!("string")));
    }
}
