mod common;

use axum::http::{Method, StatusCode};
use common::TestApp;
use rapport_core::admin::AdminRole;
use rapport_core::ids::ContactId;
use rapport_store::contacts::test_rows;
use serde_json::{json, Value};

async fn create(app: &TestApp, body: Value) -> Value {
    let r = app.post("/api/contacts", body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
}

/// Defines a contact data attribute through the API.
async fn define(app: &TestApp, name: &str, data_type: &str) {
    let r = app.post("/api/data_attributes", json!({"name": name, "model": "contact", "data_type": data_type})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

async fn live_count(app: &TestApp) -> i64 {
    rapport_store::contacts::count(&app.db, app.workspace.id).await.unwrap()
}

const CONTACT_KEYS: &[&str] = &[
    "type",
    "id",
    "workspace_id",
    "external_id",
    "role",
    "email",
    "email_domain",
    "phone",
    "name",
    "avatar",
    "owner_id",
    "social_profiles",
    "has_hard_bounced",
    "marked_email_as_spam",
    "unsubscribed_from_emails",
    "created_at",
    "updated_at",
    "signed_up_at",
    "last_seen_at",
    "last_replied_at",
    "last_contacted_at",
    "last_email_opened_at",
    "last_email_clicked_at",
    "language_override",
    "browser",
    "browser_version",
    "browser_language",
    "os",
    "location",
    "android_app_name",
    "android_app_version",
    "android_device",
    "android_os_version",
    "android_sdk_version",
    "android_last_seen_at",
    "ios_app_name",
    "ios_app_version",
    "ios_device",
    "ios_os_version",
    "ios_sdk_version",
    "ios_last_seen_at",
    "custom_attributes",
    "tags",
    "notes",
    "companies",
    "opted_out_subscription_types",
    "opted_in_subscription_types",
    "utm_campaign",
    "utm_content",
    "utm_medium",
    "utm_source",
    "utm_term",
    "referrer",
    "enabled_push_messaging",
];

#[tokio::test]
async fn create_find_update_delete_with_intercom_shapes() {
    for app in TestApp::all().await {
        define(&app, "plan", "string").await;
        define(&app, "seats", "integer").await;
        let c = create(
            &app,
            json!({"role": "user", "external_id": 70, "email": "Joe@Bloggs.COM", "name": "Joe Bloggs",
                   "signed_up_at": 1734537437, "owner_id": app.owner.id, "custom_attributes": {"plan": "pro"},
                   "unknown_sdk_field": true}),
        )
        .await;
        for key in CONTACT_KEYS {
            assert!(c.get(*key).is_some(), "missing {key} in {c}");
        }
        let id = c["id"].as_str().unwrap().to_string();
        assert_eq!(c["type"], "contact");
        assert_eq!(c["workspace_id"], app.workspace.app_id);
        assert_eq!((c["external_id"].clone(), c["role"].clone()), (json!("70"), json!("user")));
        assert_eq!((c["email"].clone(), c["email_domain"].clone()), (json!("joe@bloggs.com"), json!("bloggs.com")));
        assert_eq!(c["owner_id"], app.owner.id.get());
        assert_eq!(c["signed_up_at"], 1734537437);
        assert_eq!(c["custom_attributes"], json!({"plan": "pro"}));
        assert_eq!(c["location"]["type"], "location");
        assert_eq!(c["social_profiles"], json!({"type": "list", "data": []}));
        assert_eq!(
            c["tags"],
            json!({"type": "list", "data": [], "url": format!("/contacts/{id}/tags"), "total_count": 0, "has_more": false})
        );
        assert_eq!(c["notes"]["url"], format!("/contacts/{id}/notes"));
        assert_eq!(c["companies"]["total_count"], 0);
        assert_eq!(c["opted_in_subscription_types"]["data"], json!([]));

        let r = app.get(&format!("/api/contacts/{id}")).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.body, c);
        let r = app.get("/api/contacts/find_by_external_id/70").await;
        assert_eq!(r.body["id"], id);

        // Partial update: null clears, attributes merge, hostile text is stored verbatim.
        let r = app
            .put(
                &format!("/api/contacts/{id}"),
                json!({"name": "<script>alert(1)</script>", "phone": "'; DROP TABLE contacts; --",
                       "signed_up_at": null, "custom_attributes": {"seats": 3}}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["name"], "<script>alert(1)</script>");
        assert_eq!(r.body["phone"], "'; DROP TABLE contacts; --");
        assert_eq!(r.body["signed_up_at"], Value::Null);
        assert_eq!(r.body["email"], "joe@bloggs.com");
        assert_eq!(r.body["custom_attributes"], json!({"plan": "pro", "seats": 3}));

        // A lead becomes a user; a user never becomes a lead.
        let lead = create(&app, json!({"role": "lead"})).await;
        assert_eq!((lead["role"].clone(), lead["external_id"].clone()), (json!("lead"), Value::Null));
        let r = app.put(&format!("/api/contacts/{}", lead["id"].as_str().unwrap()), json!({"role": "user"})).await;
        assert_eq!(r.body["role"], "user");
        let r = app.put(&format!("/api/contacts/{id}"), json!({"role": "lead"})).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::BAD_REQUEST, "parameter_invalid"));

        let r = app.delete(&format!("/api/contacts/{id}")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body, json!({"type": "contact", "id": id, "external_id": "70", "deleted": true}));
        let r = app.get(&format!("/api/contacts/{id}")).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::NOT_FOUND, "not_found"));
        let r = app.delete(&format!("/api/contacts/{id}")).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn bad_contact_input_is_refused_and_writes_nothing() {
    for app in TestApp::all().await {
        define(&app, "seats", "integer").await;
        let joe = create(&app, json!({"external_id": "u-1", "email": "joe@x.com"})).await;
        let joe_path = format!("/api/contacts/{}", joe["id"].as_str().unwrap());
        let cases = [
            (json!({}), "parameter_not_found"),
            (json!({"email": null}), "parameter_not_found"),
            (json!({"role": "admin"}), "parameter_invalid"),
            (json!({"role": 5}), "parameter_invalid"),
            (json!({"email": "not-an-email"}), "parameter_invalid"),
            (json!({"email": "<script>@x.com"}), "parameter_invalid"),
            (json!({"email": "a@b.com", "signed_up_at": "yesterday"}), "parameter_invalid"),
            (json!({"email": "a@b.com", "signed_up_at": -5}), "parameter_invalid"),
            (json!({"email": "a@b.com", "custom_attributes": "plan=pro"}), "parameter_invalid"),
            (json!({"email": "a@b.com", "custom_attributes": {"undefined": 1}}), "parameter_invalid"),
            (json!({"email": "a@b.com", "custom_attributes": {"seats": "three"}}), "parameter_invalid"),
            (json!({"email": "a@b.com", "owner_id": 999_999}), "parameter_invalid"),
            (json!({"email": "a@b.com", "owner_id": "'; DROP TABLE contacts; --"}), "parameter_invalid"),
            (json!({"email": "a@b.com", "unsubscribed_from_emails": "yes"}), "parameter_invalid"),
            (json!({"external_id": "   "}), "parameter_invalid"),
            (json!({"external_id": {"nested": 1}}), "parameter_invalid"),
            (json!({"email": "a@b.com", "name": "x".repeat(300)}), "parameter_invalid"),
            (json!([1, 2]), "parameter_invalid"),
        ];
        for (body, code) in cases {
            let r = app.post("/api/contacts", body.clone()).await;
            assert_eq!((r.status, r.error_code()), (StatusCode::BAD_REQUEST, code), "{body}: {}", r.text);
            // The same body updating a contact (where nothing is required) is refused as well.
            if code == "parameter_invalid" {
                let r = app.put(&joe_path, body.clone()).await;
                assert_eq!(r.status, StatusCode::BAD_REQUEST, "PUT {body}: {}", r.text);
            }
        }
        let r = app.post_raw("/api/contacts", "application/json", "{\"email\": ").await;
        assert_eq!((r.status, r.error_code()), (StatusCode::BAD_REQUEST, "bad_request"));

        // Duplicate external ids conflict, on create and on update.
        let r = app.post("/api/contacts", json!({"external_id": "u-1"})).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::CONFLICT, "conflict"));
        let other = create(&app, json!({"external_id": "u-2"})).await;
        let r =
            app.put(&format!("/api/contacts/{}", other["id"].as_str().unwrap()), json!({"external_id": "u-1"})).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::CONFLICT, "conflict"));

        assert_eq!(live_count(&app).await, 2);
        assert_eq!(app.get(&joe_path).await.body, joe);

        for bad in ["999999", "abc", "-1", "1%20OR%201=1"] {
            let r = app.get(&format!("/api/contacts/{bad}")).await;
            assert_eq!((r.status, r.error_code()), (StatusCode::NOT_FOUND, "not_found"), "{bad}");
        }
        let r = app.get("/api/contacts/find_by_external_id/nobody").await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn list_walks_cursor_pages_and_rejects_bad_paging() {
    for app in TestApp::all().await {
        for i in 0..5 {
            create(&app, json!({"email": format!("p{i}@x.com")})).await;
        }
        let other = app.other_workspace().await;
        create(&other, json!({"email": "elsewhere@x.com"})).await;

        let mut emails = Vec::new();
        let mut path = "/api/contacts?per_page=2".to_string();
        let mut pages = 0;
        loop {
            let r = app.get(&path).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
            pages += 1;
            assert_eq!(r.body["type"], "list");
            assert_eq!(r.body["total_count"], 5);
            assert_eq!(r.body["pages"]["page"], pages);
            assert_eq!(r.body["pages"]["per_page"], 2);
            assert_eq!(r.body["pages"]["total_pages"], 3);
            emails.extend(r.body["data"].as_array().unwrap().iter().map(|c| c["email"].as_str().unwrap().to_string()));
            match r.body["pages"].get("next") {
                Some(next) => {
                    assert_eq!(next["page"], pages + 1);
                    path =
                        format!("/api/contacts?per_page=2&starting_after={}", next["starting_after"].as_str().unwrap());
                }
                None => break,
            }
        }
        assert_eq!(pages, 3);
        assert_eq!(emails, (0..5).map(|i| format!("p{i}@x.com")).collect::<Vec<_>>());

        let r = app.get("/api/contacts").await;
        assert_eq!(r.body["pages"]["per_page"], 50);
        assert!(r.body["pages"].get("next").is_none());
        for bad in ["per_page=0", "per_page=151", "per_page=abc", "starting_after=forged", "starting_after=MTox"] {
            let r = app.get(&format!("/api/contacts?{bad}")).await;
            assert_eq!((r.status, r.error_code()), (StatusCode::BAD_REQUEST, "parameter_invalid"), "{bad}");
        }
        // A cursor of the documented shape is a position, issued or not: past the end, a last page.
        let r = app.get("/api/contacts?starting_after=999999999").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["data"].as_array().map(Vec::len), Some(0));
    }
}

#[tokio::test]
async fn archive_unarchive_block_answer_contact_references() {
    for app in TestApp::all().await {
        let c = create(&app, json!({"external_id": "e1"})).await;
        let id = c["id"].as_str().unwrap();
        let r = app.post(&format!("/api/contacts/{id}/archive"), json!({})).await;
        assert_eq!(r.body, json!({"type": "contact", "id": id, "external_id": "e1", "archived": true}));
        let r = app.post(&format!("/api/contacts/{id}/unarchive"), json!({})).await;
        assert_eq!(r.body, json!({"type": "contact", "id": id, "external_id": "e1", "archived": false}));
        let r = app.post(&format!("/api/contacts/{id}/block"), json!({})).await;
        assert_eq!(r.body, json!({"type": "contact", "id": id, "external_id": "e1", "blocked": true}));
        let r = app.post("/api/contacts/424242/archive", json!({})).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::NOT_FOUND, "not_found"));
    }
}

#[tokio::test]
async fn merge_moves_the_leads_history_to_the_user() {
    for app in TestApp::all().await {
        let ws = app.workspace.id;
        let user = create(&app, json!({"role": "user", "external_id": "u-1", "email": "joe@x.com"})).await;
        let lead = create(&app, json!({"role": "lead", "email": "visitor@x.com", "name": "Visitor"})).await;
        let (user_id, lead_id) = (user["id"].as_str().unwrap(), lead["id"].as_str().unwrap());
        let (uid, lid): (ContactId, ContactId) = (user_id.parse().unwrap(), lead_id.parse().unwrap());

        let tag = rapport_store::tags::find_or_create(&app.db, ws, "Hot").await.unwrap();
        let r = app.post(&format!("/api/contacts/{lead_id}/tags"), json!({"id": tag.id})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let r = app.post(&format!("/api/contacts/{lead_id}/notes"), json!({"body": "called"})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        test_rows::insert_event(&app.db, ws, lid, "viewed-pricing").await.unwrap();
        test_rows::insert_conversation(&app.db, ws, lid).await.unwrap();
        // The same event on both contacts survives the merge once.
        for who in [json!({"user_id": "u-1"}), json!({"id": lead_id})] {
            let mut body = json!({"event_name": "invited-teammate", "created_at": 1_700_000_000});
            body.as_object_mut().unwrap().extend(who.as_object().unwrap().clone());
            assert_eq!(app.post("/api/events", body).await.status, StatusCode::ACCEPTED);
        }

        // Wrong direction, self-merge, missing and unknown ids write nothing.
        for (body, status) in [
            (json!({"from": user_id, "into": lead_id}), StatusCode::BAD_REQUEST),
            (json!({"from": lead_id, "into": lead_id}), StatusCode::BAD_REQUEST),
            (json!({"from": lead_id}), StatusCode::BAD_REQUEST),
            (json!({"from": lead_id, "into": true}), StatusCode::BAD_REQUEST),
            (json!({"from": "999999", "into": user_id}), StatusCode::NOT_FOUND),
        ] {
            let r = app.post("/api/contacts/merge", body.clone()).await;
            assert_eq!(r.status, status, "{body}: {}", r.text);
        }
        assert_eq!(test_rows::count_for_contact(&app.db, ws, "events", lid).await.unwrap(), 2);

        let r = app.post("/api/contacts/merge", json!({"from": lid, "into": user_id})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["id"], user_id);
        assert_eq!(r.body["type"], "contact");
        assert_eq!(r.body["name"], "Visitor");
        assert_eq!(
            r.body["tags"]["data"],
            json!([{"type": "tag", "id": tag.id.to_string(), "url": format!("/tags/{}", tag.id)}])
        );
        assert_eq!(r.body["notes"]["total_count"], 1);
        assert_eq!(test_rows::count_for_contact(&app.db, ws, "events", uid).await.unwrap(), 2);
        for table in ["conversations", "conversation_contacts", "notes"] {
            assert_eq!(test_rows::count_for_contact(&app.db, ws, table, uid).await.unwrap(), 1, "{table}");
            assert_eq!(test_rows::count_for_contact(&app.db, ws, table, lid).await.unwrap(), 0, "{table}");
        }

        let r = app.get(&format!("/api/contacts/{lead_id}")).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let r = app.get("/api/contacts").await;
        assert_eq!(r.body["total_count"], 1);
        assert_eq!(r.body["data"][0]["id"], user_id);
        let r = app.get(&format!("/api/contacts/{user_id}/tags")).await;
        assert_eq!(r.body["data"][0]["name"], "Hot");

        // The user now has a conversation, so it cannot be deleted.
        let r = app.delete(&format!("/api/contacts/{user_id}")).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::CONFLICT, "conflict"));
    }
}

#[tokio::test]
async fn viewers_cannot_write_and_other_workspaces_see_nothing() {
    for app in TestApp::all().await {
        let c = create(&app, json!({"external_id": "u-1", "email": "joe@x.com"})).await;
        let lead = create(&app, json!({"role": "lead"})).await;
        let id = c["id"].as_str().unwrap().to_string();
        let lead_id = lead["id"].as_str().unwrap().to_string();
        let tag = rapport_store::tags::find_or_create(&app.db, app.workspace.id, "T").await.unwrap();
        app.post(&format!("/api/contacts/{id}/tags"), json!({"id": tag.id})).await;
        let note = app.post(&format!("/api/contacts/{id}/notes"), json!({"body": "hi"})).await.body;
        let note_id = note["id"].as_str().unwrap().to_string();
        let company = test_rows::insert_company(&app.db, app.workspace.id, "acme", "Acme").await.unwrap();

        let writes: Vec<(Method, String, Option<Value>)> = vec![
            (Method::POST, "/api/contacts".into(), Some(json!({"email": "v@x.com"}))),
            (Method::PUT, format!("/api/contacts/{id}"), Some(json!({"name": "V"}))),
            (Method::DELETE, format!("/api/contacts/{id}"), None),
            (Method::POST, "/api/contacts/merge".into(), Some(json!({"from": lead_id, "into": id}))),
            (Method::POST, format!("/api/contacts/{id}/archive"), Some(json!({}))),
            (Method::POST, format!("/api/contacts/{id}/unarchive"), Some(json!({}))),
            (Method::POST, format!("/api/contacts/{id}/block"), Some(json!({}))),
            (Method::POST, format!("/api/contacts/{id}/tags"), Some(json!({"id": tag.id}))),
            (Method::DELETE, format!("/api/contacts/{id}/tags/{}", tag.id), None),
            (Method::POST, format!("/api/contacts/{id}/notes"), Some(json!({"body": "x"}))),
        ];
        let (_, viewer) = app.teammate("viewer@example.com", AdminRole::Viewer).await;
        for (method, path, body) in &writes {
            let r = app.request_as(Some(&viewer), method.clone(), path, body.clone()).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{method} {path}: {}", r.text);
        }
        let r = app.request_as(Some(&viewer), Method::GET, &format!("/api/contacts/{id}"), None).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.body["name"], Value::Null);
        assert_eq!(r.body["tags"]["total_count"], 1);
        assert_eq!(live_count(&app).await, 2);

        // Another workspace: every id-taking route answers 404, and changes nothing.
        let other = app.other_workspace().await;
        let reads = [
            format!("/api/contacts/{id}"),
            format!("/api/contacts/{id}/tags"),
            format!("/api/contacts/{id}/notes"),
            format!("/api/contacts/{id}/companies"),
            format!("/api/notes/{note_id}"),
            "/api/contacts/find_by_external_id/u-1".to_string(),
        ];
        for path in reads {
            let r = other.get(&path).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: {}", r.text);
        }
        let r = other.get(&format!("/api/companies/{company}/contacts")).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::NOT_FOUND, "company_not_found"));
        for (method, path, body) in writes.iter().skip(1) {
            let r = other.request_as(Some(&other.token), method.clone(), path, body.clone()).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{method} {path}: {}", r.text);
        }
        let r = app.get(&format!("/api/contacts/{id}")).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.body["tags"]["total_count"], 1);
        assert_eq!(r.body["notes"]["total_count"], 1);
        assert_eq!(live_count(&app).await, 2);
        assert_eq!(live_count(&other).await, 0);
    }
}
