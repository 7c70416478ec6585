mod common;

use axum::http::{Method, StatusCode};
use common::TestApp;
use rapport_core::admin::AdminRole;
use serde_json::json;

async fn company(app: &TestApp, company_id: &str) -> String {
    let r = app.post("/api/companies", json!({"company_id": company_id, "name": company_id})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["id"].as_str().unwrap().to_string()
}

async fn tag_names(app: &TestApp) -> Vec<String> {
    let r = app.get("/api/tags").await;
    r.body["data"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap().to_string()).collect()
}

async fn usage(app: &TestApp, tag_id: &str) -> i64 {
    rapport_store::tags::usage_count(&app.db, app.workspace.id, tag_id.parse().unwrap()).await.unwrap()
}

#[tokio::test]
async fn create_list_find_rename_and_delete() {
    for app in TestApp::all().await {
        let r = app.post("/api/tags", json!({"name": "test"})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let id = r.body["id"].as_str().expect("id is a string").to_string();
        assert_eq!(r.body, json!({"type": "tag", "id": id, "name": "test"}));
        let r = app.post("/api/tags", json!({"name": "test"})).await;
        assert_eq!(r.body["id"], id.as_str(), "the same name is the same tag");

        let r = app.get("/api/tags").await;
        assert_eq!(r.body, json!({"type": "list", "data": [{"type": "tag", "id": id, "name": "test"}]}));
        let r = app.get(&format!("/api/tags/{id}")).await;
        assert_eq!(r.body["name"], "test");

        // {id, name} renames.
        let r = app.post("/api/tags", json!({"id": id, "name": "renamed"})).await;
        assert_eq!(
            (r.status, r.body["name"].as_str(), r.body["id"].as_str()),
            (StatusCode::OK, Some("renamed"), Some(id.as_str()))
        );
        app.post("/api/tags", json!({"name": "taken"})).await;
        let r = app.post("/api/tags", json!({"id": id, "name": "taken"})).await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        let r = app.post("/api/tags", json!({"id": "987654", "name": "ghost"})).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::NOT_FOUND, "tag_not_found"));
        assert_eq!(tag_names(&app).await, vec!["renamed", "taken"]);

        let r = app.delete(&format!("/api/tags/{id}")).await;
        assert_eq!((r.status, r.text.as_str()), (StatusCode::OK, ""), "200 with an empty body");
        let r = app.get(&format!("/api/tags/{id}")).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::NOT_FOUND, "tag_not_found"));
        let r = app.delete(&format!("/api/tags/{id}")).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn bad_tag_input_writes_nothing() {
    for app in TestApp::all().await {
        let c = company(&app, "c1").await;
        let cases = [
            (json!({"test": "invalid"}), StatusCode::BAD_REQUEST, "parameter_not_found"),
            (json!({"name": ""}), StatusCode::BAD_REQUEST, "parameter_invalid"),
            (json!({"name": 5}), StatusCode::BAD_REQUEST, "parameter_invalid"),
            (json!({"name": "x".repeat(191)}), StatusCode::BAD_REQUEST, "parameter_invalid"),
            (json!({"name": "x", "companies": "all"}), StatusCode::BAD_REQUEST, "parameter_invalid"),
            (json!({"name": "x", "companies": [{"untag": true}]}), StatusCode::BAD_REQUEST, "parameter_not_found"),
            (
                json!({"name": "x", "companies": [{"id": c, "untag": "yes"}]}),
                StatusCode::BAD_REQUEST,
                "parameter_invalid",
            ),
            (json!({"name": "x", "users": [{}]}), StatusCode::BAD_REQUEST, "parameter_not_found"),
            // One good and one unknown item: nothing is tagged and no tag is created.
            (
                json!({"name": "x", "companies": [{"id": c}, {"company_id": "123"}]}),
                StatusCode::NOT_FOUND,
                "company_not_found",
            ),
            (
                json!({"name": "x", "companies": [{"id": c}, {"id": "'; DROP TABLE tags; --"}]}),
                StatusCode::NOT_FOUND,
                "company_not_found",
            ),
            (json!({"name": "x", "users": [{"id": "123"}]}), StatusCode::NOT_FOUND, "not_found"),
        ];
        for (body, status, code) in cases {
            let r = app.post("/api/tags", body.clone()).await;
            assert_eq!((r.status, r.error_code()), (status, code), "{body}: {}", r.text);
        }
        assert!(tag_names(&app).await.is_empty(), "nothing was written");
        assert_eq!(app.get(&format!("/api/companies/{c}")).await.body["tags"]["tags"], json!([]));

        // Hostile names are just names.
        for hostile in ["'; DROP TABLE tags; --", "<script>alert(1)</script>"] {
            let r = app.post("/api/tags", json!({"name": hostile})).await;
            assert_eq!((r.status, r.body["name"].as_str()), (StatusCode::OK, Some(hostile)));
        }
        assert_eq!(tag_names(&app).await.len(), 2);
        for bad in ["abc", "0", "999999"] {
            let r = app.get(&format!("/api/tags/{bad}")).await;
            assert_eq!((r.status, r.error_code()), (StatusCode::NOT_FOUND, "tag_not_found"));
        }
    }
}

#[tokio::test]
async fn tag_and_untag_companies_and_users() {
    for app in TestApp::all().await {
        let (c1, c2) = (company(&app, "c1").await, company(&app, "c2").await);
        let r = app.post("/api/tags", json!({"name": "vip", "companies": [{"id": c1}, {"company_id": "c2"}]})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let tag_id = r.body["id"].as_str().unwrap().to_string();
        assert_eq!(usage(&app, &tag_id).await, 2);

        // The company shows the applied tag with who applied it.
        let r = app.get(&format!("/api/companies/{c1}")).await;
        let tags = r.body["tags"]["tags"].as_array().unwrap();
        assert_eq!(tags.len(), 1);
        assert_eq!(
            (tags[0]["type"].as_str(), tags[0]["id"].as_str(), tags[0]["name"].as_str()),
            (Some("tag"), Some(tag_id.as_str()), Some("vip"))
        );
        assert!(tags[0]["applied_at"].is_i64());
        assert_eq!(tags[0]["applied_by"], json!({"type": "admin", "id": app.owner.id.to_string()}));

        // Filter the company list by tag.
        let r = app.get(&format!("/api/companies?tag_id={tag_id}")).await;
        assert_eq!(r.body["total_count"], 2);
        let r = app.get("/api/companies?tag_id=999999").await;
        assert_eq!((r.status, r.error_code()), (StatusCode::NOT_FOUND, "tag_not_found"));

        // In use: cannot be deleted.
        let r = app.delete(&format!("/api/tags/{tag_id}")).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::BAD_REQUEST, "tag_has_dependent_objects"));

        // Untag per item (repeating an untag is harmless).
        let body = json!({"name": "vip", "companies": [{"id": c1, "untag": true}, {"id": c1, "untag": true}]});
        let r = app.post("/api/tags", body).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(usage(&app, &tag_id).await, 1);
        let r = app.get(&format!("/api/companies?tag_id={tag_id}")).await;
        assert_eq!(r.body["data"][0]["id"], c2.as_str());

        // Users (contacts), by string or number id.
        let u1 = rapport_store::testing::contact(&app.db, app.workspace.id, "user", None, None).await.unwrap();
        let u2 = rapport_store::testing::contact(&app.db, app.workspace.id, "user", None, None).await.unwrap();
        let r = app.post("/api/tags", json!({"name": "vip", "users": [{"id": u1.to_string()}, {"id": u2}]})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(usage(&app, &tag_id).await, 3);
        let r = app.post("/api/tags", json!({"name": "vip", "users": [{"id": u1, "untag": true}]})).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(usage(&app, &tag_id).await, 2);

        // Remove the rest, then delete works.
        app.post(
            "/api/tags",
            json!({"name": "vip", "users": [{"id": u2, "untag": true}], "companies": [{"id": c2, "untag": true}]}),
        )
        .await;
        assert_eq!(usage(&app, &tag_id).await, 0);
        assert_eq!(app.delete(&format!("/api/tags/{tag_id}")).await.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn viewers_cannot_write_tags() {
    for app in TestApp::all().await {
        let c = company(&app, "c1").await;
        let id = app.post("/api/tags", json!({"name": "keep"})).await.body["id"].as_str().unwrap().to_string();
        let (_, viewer) = app.teammate("viewer@example.com", AdminRole::Viewer).await;
        for body in
            [json!({"name": "new"}), json!({"name": "keep", "companies": [{"id": c}]}), json!({"id": id, "name": "x"})]
        {
            let r = app.request_as(Some(&viewer), Method::POST, "/api/tags", Some(body)).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN);
        }
        let r = app.request_as(Some(&viewer), Method::DELETE, &format!("/api/tags/{id}"), None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = app.request_as(Some(&viewer), Method::GET, "/api/tags", None).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(tag_names(&app).await, vec!["keep"]);
        assert_eq!(usage(&app, &id).await, 0);
    }
}

#[tokio::test]
async fn other_workspaces_tags_and_items_are_not_found() {
    for app in TestApp::all().await {
        let other = app.other_workspace().await;
        let their_tag =
            other.post("/api/tags", json!({"name": "theirs"})).await.body["id"].as_str().unwrap().to_string();
        let their_company = company(&other, "shared").await;
        let their_contact =
            rapport_store::testing::contact(&app.db, other.workspace.id, "user", None, None).await.unwrap();
        company(&app, "mine").await;

        let r = app.get(&format!("/api/tags/{their_tag}")).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::NOT_FOUND, "tag_not_found"));
        let r = app.delete(&format!("/api/tags/{their_tag}")).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let r = app.post("/api/tags", json!({"id": their_tag, "name": "stolen"})).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let r = app.post("/api/tags", json!({"name": "x", "companies": [{"id": their_company}]})).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::NOT_FOUND, "company_not_found"));
        // Their company_id matches one of ours by text, but only ours is ever found.
        let r = app.post("/api/tags", json!({"name": "x", "companies": [{"company_id": "shared"}]})).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::NOT_FOUND, "company_not_found"));
        let r = app.post("/api/tags", json!({"name": "x", "users": [{"id": their_contact}]})).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::NOT_FOUND, "not_found"));
        let r = app.get(&format!("/api/companies?tag_id={their_tag}")).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);

        assert!(tag_names(&app).await.is_empty());
        let r = other.get("/api/tags").await;
        assert_eq!(r.body["data"], json!([{"type": "tag", "id": their_tag, "name": "theirs"}]));
    }
}
