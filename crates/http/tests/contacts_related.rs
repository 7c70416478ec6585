mod common;

use axum::http::StatusCode;
use common::TestApp;
use rapport_store::contacts::test_rows;
use serde_json::{json, Value};

async fn contact(app: &TestApp, body: Value) -> String {
    let r = app.post("/api/contacts", body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn contact_tags_apply_list_and_remove() {
    for app in TestApp::all().await {
        let id = contact(&app, json!({"email": "joe@x.com"})).await;
        let mut tag_ids = Vec::new();
        for i in 0..12 {
            tag_ids.push(
                rapport_store::tags::find_or_create(&app.db, app.workspace.id, &format!("t{i}")).await.unwrap().id,
            );
        }
        let r = app.post(&format!("/api/contacts/{id}/tags"), json!({"id": tag_ids[0].to_string()})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["type"], "tag");
        assert_eq!(r.body["id"], tag_ids[0].to_string());
        assert_eq!(r.body["name"], "t0");
        assert!(r.body["applied_at"].is_i64());
        assert_eq!(r.body["applied_by"], json!({"type": "admin", "id": app.owner.id.to_string()}));
        // Idempotent, and ids as numbers work too.
        for tag_id in &tag_ids {
            let r = app.post(&format!("/api/contacts/{id}/tags"), json!({"id": tag_id})).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        }
        let r = app.get(&format!("/api/contacts/{id}/tags")).await;
        assert_eq!(r.body["type"], "list");
        assert_eq!(r.body["data"].as_array().unwrap().len(), 12);

        // The contact inlines at most 10 tags, with the true total.
        let c = app.get(&format!("/api/contacts/{id}")).await.body;
        assert_eq!(c["tags"]["data"].as_array().unwrap().len(), 10);
        assert_eq!((c["tags"]["total_count"].clone(), c["tags"]["has_more"].clone()), (json!(12), json!(true)));

        let r = app.delete(&format!("/api/contacts/{id}/tags/{}", tag_ids[0])).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body, json!({"type": "tag", "id": tag_ids[0].to_string(), "name": "t0"}));
        let r = app.delete(&format!("/api/contacts/{id}/tags/{}", tag_ids[0])).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::NOT_FOUND, "tag_not_found"));

        for body in [json!({}), json!({"id": [1]}), json!({"id": "999999"}), json!({"id": "'; DROP TABLE tags; --"})] {
            let r = app.post(&format!("/api/contacts/{id}/tags"), body.clone()).await;
            assert!(r.status.is_client_error(), "{body}: {}", r.text);
        }
        let r = app.post(&format!("/api/contacts/{id}/tags"), json!({"id": "999999"})).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::NOT_FOUND, "tag_not_found"));
        let r = app.post("/api/contacts/999999/tags", json!({"id": tag_ids[1]})).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::NOT_FOUND, "not_found"));
        assert_eq!(app.get(&format!("/api/contacts/{id}/tags")).await.body["data"].as_array().unwrap().len(), 11);

        // A tag of another workspace is not found here.
        let other = app.other_workspace().await;
        let foreign = rapport_store::tags::find_or_create(&app.db, other.workspace.id, "foreign").await.unwrap();
        let r = app.post(&format!("/api/contacts/{id}/tags"), json!({"id": foreign.id})).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn notes_create_list_by_page_and_find() {
    for app in TestApp::all().await {
        let id = contact(&app, json!({"email": "joe@x.com"})).await;
        let r = app
            .post(&format!("/api/contacts/{id}/notes"), json!({"body": "<p>Hello</p>", "admin_id": app.owner.id}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let note = r.body.clone();
        assert_eq!(note["type"], "note");
        assert_eq!(note["body"], "<p>Hello</p>");
        assert_eq!(note["contact"], json!({"type": "contact", "id": id}));
        assert_eq!(note["author"]["type"], "admin");
        assert_eq!(note["author"]["id"], app.owner.id.to_string());
        assert_eq!(note["author"]["email"], "owner@example.com");
        assert_eq!(note["author"]["away_mode_enabled"], false);
        let r = app.get(&format!("/api/notes/{}", note["id"].as_str().unwrap())).await;
        assert_eq!(r.body, note);

        for i in 0..2 {
            // Without admin_id the caller is the author.
            let r = app.post(&format!("/api/contacts/{id}/notes"), json!({"body": format!("n{i}")})).await;
            assert_eq!(r.body["author"]["id"], app.owner.id.to_string());
        }
        let r = app.get(&format!("/api/contacts/{id}/notes?per_page=2")).await;
        assert_eq!(r.body["type"], "list");
        assert_eq!(r.body["total_count"], 3);
        assert_eq!(r.body["data"][0]["body"], "n1");
        assert_eq!(r.body["pages"], json!({"type": "pages", "page": 1, "per_page": 2, "total_pages": 2, "next": 2}));
        let r = app.get(&format!("/api/contacts/{id}/notes?per_page=2&page=2")).await;
        assert_eq!(r.body["data"].as_array().unwrap().len(), 1);
        assert_eq!(r.body["pages"]["next"], Value::Null);
        let r = app.get(&format!("/api/contacts/{id}/notes?page=7")).await;
        assert_eq!((r.status, r.body["data"].clone()), (StatusCode::OK, json!([])));

        let bad_bodies =
            [json!({}), json!({"body": "  "}), json!({"body": 5}), json!({"body": "x", "admin_id": "nope"})];
        for body in bad_bodies {
            let r = app.post(&format!("/api/contacts/{id}/notes"), body.clone()).await;
            assert!(r.status.is_client_error(), "{body}: {}", r.text);
        }
        let r = app.post(&format!("/api/contacts/{id}/notes"), json!({"body": "x", "admin_id": 999999})).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::NOT_FOUND, "admin_not_found"));
        for bad in ["page=0", "per_page=0", "per_page=500", "page=abc"] {
            let r = app.get(&format!("/api/contacts/{id}/notes?{bad}")).await;
            assert_eq!((r.status, r.error_code()), (StatusCode::BAD_REQUEST, "parameter_invalid"), "{bad}");
        }
        assert_eq!(app.get(&format!("/api/contacts/{id}/notes")).await.body["total_count"], 3);
        let r = app.get("/api/notes/999999").await;
        assert_eq!((r.status, r.error_code()), (StatusCode::NOT_FOUND, "not_found"));
        let r = app.post("/api/contacts/999999/notes", json!({"body": "x"})).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);

        let c = app.get(&format!("/api/contacts/{id}")).await.body;
        assert_eq!(c["notes"]["total_count"], 3);
        assert_eq!(c["notes"]["data"][0]["type"], "note");
    }
}

#[tokio::test]
async fn companies_of_contacts_and_contacts_of_companies() {
    for app in TestApp::all().await {
        let ws = app.workspace.id;
        let joe = contact(&app, json!({"email": "joe@x.com"})).await;
        let ann = contact(&app, json!({"email": "ann@x.com"})).await;
        let acme = test_rows::insert_company(&app.db, ws, "acme-1", "Acme").await.unwrap();
        let globex = test_rows::insert_company(&app.db, ws, "globex-1", "Globex").await.unwrap();
        test_rows::attach_company(&app.db, ws, joe.parse().unwrap(), acme).await.unwrap();
        test_rows::attach_company(&app.db, ws, joe.parse().unwrap(), globex).await.unwrap();
        test_rows::attach_company(&app.db, ws, ann.parse().unwrap(), acme).await.unwrap();

        let r = app.get(&format!("/api/contacts/{joe}/companies")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["type"], "list");
        assert_eq!(r.body["total_count"], 2);
        let first = &r.body["companies"][0];
        assert_eq!(first["type"], "company");
        assert_eq!(first["id"], acme.to_string());
        assert_eq!(first["company_id"], "acme-1");
        assert_eq!(first["app_id"], app.workspace.app_id);
        assert_eq!(first["user_count"], 2);
        assert_eq!(first["monthly_spend"], 0);
        assert_eq!(first["tags"], json!({"type": "tag.list", "tags": []}));
        assert_eq!(first["plan"], json!({}));
        let r = app.get(&format!("/api/contacts/{joe}/companies?page=3")).await;
        assert_eq!(r.body["companies"], json!([]));

        let c = app.get(&format!("/api/contacts/{joe}")).await.body;
        assert_eq!(c["companies"]["total_count"], 2);
        assert_eq!(
            c["companies"]["data"][0],
            json!({"type": "company", "id": acme.to_string(), "url": format!("/companies/{acme}")})
        );

        let r = app.get(&format!("/api/companies/{acme}/contacts?per_page=1")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["total_count"], 2);
        assert_eq!(r.body["data"][0]["id"], joe);
        assert_eq!(r.body["data"][0]["type"], "contact");
        assert_eq!(r.body["pages"]["next"], 2);
        let r = app.get(&format!("/api/companies/{acme}/contacts?page=2&per_page=1")).await;
        assert_eq!(r.body["data"][0]["id"], ann);
        for bad in ["999999", "abc"] {
            let r = app.get(&format!("/api/companies/{bad}/contacts")).await;
            assert_eq!((r.status, r.error_code()), (StatusCode::NOT_FOUND, "company_not_found"));
        }
        // Attached through the companies API, the link shows on the contact at once.
        let r = app.post(&format!("/api/contacts/{ann}/companies"), json!({"id": globex.to_string()})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let c = app.get(&format!("/api/contacts/{ann}")).await.body;
        assert_eq!(c["companies"]["total_count"], 2);
        let r = app.get(&format!("/api/contacts/{ann}/companies?per_page=1&page=2")).await;
        assert_eq!(r.body["companies"][0]["id"], globex.to_string());
        assert_eq!(r.body["pages"]["total_pages"], 2);

        let r = app.get(&format!("/api/companies/{acme}/contacts?per_page=151")).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
    }
}
