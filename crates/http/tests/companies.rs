mod common;

use axum::http::{Method, StatusCode};
use common::TestApp;
use rapport_core::admin::AdminRole;
use serde_json::{json, Value};

async fn create(app: &TestApp, company_id: &str, name: &str) -> String {
    let r = app.post("/api/companies", json!({"company_id": company_id, "name": name})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["id"].as_str().unwrap().to_string()
}

async fn count(app: &TestApp) -> i64 {
    app.post("/api/companies/list", json!({})).await.body["total_count"].as_i64().unwrap()
}

#[tokio::test]
async fn upsert_returns_the_intercom_company_shape() {
    for app in TestApp::all().await {
        let attr = json!({"name": "sector", "model": "company", "data_type": "string"});
        assert_eq!(app.post("/api/data_attributes", attr).await.status, 200);
        let undefined = app.post("/api/companies", json!({"company_id": "u1", "custom_attributes": {"nope": 1}})).await;
        assert_eq!((undefined.status.as_u16(), undefined.error_code()), (400, "parameter_invalid"));
        let body = json!({
            "company_id": "acme-1", "name": "Acme", "plan": "pro", "size": 100, "website": "https://acme.test",
            "industry": "Software", "remote_created_at": 1374138000, "monthly_spend": 155.98,
            "custom_attributes": {"sector": "manufacturing"}
        });
        let r = app.post("/api/companies", body).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let c = &r.body;
        assert_eq!(c["type"], "company");
        let id = c["id"].as_str().expect("id is a string").to_string();
        assert_eq!(c["company_id"], "acme-1");
        assert_eq!(c["app_id"], app.workspace.app_id);
        assert_eq!(c["name"], "Acme");
        assert_eq!(c["remote_created_at"], 1374138000);
        assert!(c["created_at"].is_i64() && c["updated_at"].is_i64());
        assert_eq!(c["monthly_spend"], 155);
        assert_eq!((c["session_count"].as_i64(), c["user_count"].as_i64()), (Some(0), Some(0)));
        assert_eq!(
            (c["size"].as_i64(), c["website"].as_str(), c["industry"].as_str()),
            (Some(100), Some("https://acme.test"), Some("Software"))
        );
        assert_eq!(c["tags"], json!({"type": "tag.list", "tags": []}));
        assert_eq!(c["segments"], json!({"type": "segment.list", "segments": []}));
        assert_eq!(c["plan"], json!({"type": "plan", "id": "pro", "name": "pro"}));
        assert_eq!(c["custom_attributes"], json!({"sector": "manufacturing"}));

        // The same company_id updates and keeps the id; a numeric company_id is read as text.
        let r = app.post("/api/companies", json!({"company_id": "acme-1", "name": "Acme Inc"})).await;
        assert_eq!(r.body["id"], id.as_str());
        assert_eq!(r.body["name"], "Acme Inc");
        assert_eq!(r.body["plan"]["name"], "pro", "absent fields are kept");
        let r = app.post("/api/companies", json!({"company_id": 42})).await;
        assert_eq!(r.body["company_id"], "42");
        assert_eq!(r.body["plan"], json!({}));
        assert_eq!(count(&app).await, 2);
    }
}

#[tokio::test]
async fn bad_company_input_is_rejected_and_writes_nothing() {
    for app in TestApp::all().await {
        create(&app, "keep", "Keep").await;
        let cases = [
            (json!({"name": "no key"}), "parameter_not_found"),
            (json!({"test": "invalid"}), "parameter_not_found"),
            (json!({"company_id": ""}), "parameter_invalid"),
            (json!({"company_id": "x", "size": "big"}), "parameter_invalid"),
            (json!({"company_id": "x", "size": -1}), "parameter_invalid"),
            (json!({"company_id": "x", "monthly_spend": -5}), "parameter_invalid"),
            (json!({"company_id": "x", "monthly_spend": 1e12}), "parameter_invalid"),
            (json!({"company_id": "x", "custom_attributes": "nope"}), "parameter_invalid"),
            (json!({"company_id": "x", "remote_created_at": "yesterday"}), "parameter_invalid"),
            (json!({"company_id": {"$gt": ""}}), "parameter_invalid"),
            (json!({"company_id": "x".repeat(300)}), "parameter_invalid"),
        ];
        for (body, code) in cases {
            let r = app.post("/api/companies", body.clone()).await;
            assert_eq!((r.status, r.error_code()), (StatusCode::BAD_REQUEST, code), "{body}: {}", r.text);
        }
        // The store's refusal of the key names the field; a refusal of another value does not
        // blame the key.
        for (body, field) in [
            (json!({"company_id": " "}), json!("company_id")),
            (json!({"company_id": "x".repeat(300)}), json!("company_id")),
            (json!({"company_id": "x", "monthly_spend": -5}), Value::Null),
        ] {
            let r = app.post("/api/companies", body.clone()).await;
            assert_eq!(r.body["errors"][0]["field"], field, "{body}: {}", r.text);
        }
        let r = app.post_raw("/api/companies", "application/json", "{company_id: x}").await;
        assert_eq!((r.status, r.error_code()), (StatusCode::BAD_REQUEST, "bad_request"));
        let r = app.post_raw("/api/companies", "application/json", "{\"company_id\": ").await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        let r = app.post_raw("/api/companies", "text/plain", "company_id=x").await;
        assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(count(&app).await, 1, "nothing was written");

        // Hostile strings are stored and found verbatim.
        for hostile in ["'; DROP TABLE companies; --", "<script>alert(1)</script>"] {
            let id = create(&app, hostile, hostile).await;
            let r = app.get(&format!("/api/companies?company_id={}", urlencode(hostile))).await;
            assert_eq!((r.status, r.body["id"].as_str()), (StatusCode::OK, Some(id.as_str())), "{}", r.text);
            assert_eq!(r.body["name"], hostile);
        }
        assert_eq!(count(&app).await, 3);
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn retrieve_find_update_delete() {
    for app in TestApp::all().await {
        let attr = json!({"name": "tier", "model": "company", "data_type": "integer"});
        assert_eq!(app.post("/api/data_attributes", attr).await.status, 200);
        let id = create(&app, "c-1", "First").await;
        create(&app, "c-2", "Second").await;

        let r = app.get("/api/companies?company_id=c-1").await;
        assert_eq!(r.body["id"], id.as_str());
        let r = app.get("/api/companies?name=Second").await;
        assert_eq!(r.body["company_id"], "c-2");
        for q in ["company_id=nope", "name=nope"] {
            let r = app.get(&format!("/api/companies?{q}")).await;
            assert_eq!((r.status, r.error_code()), (StatusCode::NOT_FOUND, "company_not_found"));
        }
        let r = app.get("/api/companies").await;
        assert_eq!((r.body["type"].as_str(), r.body["total_count"].as_i64()), (Some("list"), Some(2)));
        assert_eq!(r.body["pages"]["per_page"], 15);

        let r = app.get(&format!("/api/companies/{id}")).await;
        assert_eq!((r.status, r.body["name"].as_str()), (StatusCode::OK, Some("First")));
        for bad in ["999999", "abc", "-1", "'; DROP TABLE companies; --"] {
            let r = app.get(&format!("/api/companies/{}", urlencode(bad))).await;
            assert_eq!((r.status, r.error_code()), (StatusCode::NOT_FOUND, "company_not_found"), "{bad}");
        }

        let r = app
            .put(&format!("/api/companies/{id}"), json!({"name": "Renamed", "custom_attributes": {"tier": 2}}))
            .await;
        assert_eq!((r.status, r.body["name"].as_str()), (StatusCode::OK, Some("Renamed")), "{}", r.text);
        assert_eq!(r.body["custom_attributes"], json!({"tier": 2}));
        let r = app.put(&format!("/api/companies/{id}"), json!({"company_id": "changed"})).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::BAD_REQUEST, "parameter_invalid"));
        let r = app.put(&format!("/api/companies/{id}"), json!({"size": "huge"})).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::BAD_REQUEST, "parameter_invalid"));
        let r = app.put("/api/companies/424242", json!({"name": "x"})).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::NOT_FOUND, "company_not_found"));
        assert_eq!(app.get(&format!("/api/companies/{id}")).await.body["name"], "Renamed");

        let r = app.delete(&format!("/api/companies/{id}")).await;
        assert_eq!(r.body, json!({"id": id, "object": "company", "deleted": true}));
        let r = app.delete(&format!("/api/companies/{id}")).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::NOT_FOUND, "company_not_found"));
        assert_eq!(count(&app).await, 1);
    }
}

#[tokio::test]
async fn page_number_list_ends_with_an_empty_page() {
    for app in TestApp::all().await {
        let mut ids = Vec::new();
        for i in 0..5 {
            ids.push(create(&app, &format!("c{i}"), &format!("C{i}")).await);
        }
        let r = app.post("/api/companies/list?per_page=2", json!({})).await;
        assert_eq!(r.body["type"], "list");
        assert_eq!(r.body["total_count"], 5);
        assert_eq!(r.body["pages"], json!({"type": "pages", "page": 1, "per_page": 2, "total_pages": 3, "next": 2}));
        assert_eq!(r.body["data"][0]["id"], ids[4].as_str(), "newest first by default");

        // Walk pages the way the SDKs do: until data comes back empty.
        let mut seen = Vec::new();
        for page in 1.. {
            let r = app.post(&format!("/api/companies/list?page={page}&per_page=2&order=asc"), json!({})).await;
            assert_eq!(r.status, StatusCode::OK);
            let data = r.body["data"].as_array().unwrap().clone();
            if data.is_empty() {
                assert_eq!(r.body["pages"]["next"], Value::Null);
                break;
            }
            seen.extend(data.iter().map(|c| c["id"].as_str().unwrap().to_string()));
            assert!(page < 10, "the list must terminate");
        }
        assert_eq!(seen, ids);
        let r = app.post("/api/companies/list?page=3&per_page=2", json!({})).await;
        assert_eq!(r.body["pages"]["next"], Value::Null, "last page has no next");
        let r = app.post("/api/companies/list?page=9223372036854775807&per_page=150", json!({})).await;
        assert_eq!((r.status, r.body["data"].as_array().unwrap().len()), (StatusCode::OK, 0));

        for q in ["page=0", "page=abc", "per_page=0", "per_page=151", "order=sideways", "per_page=1.5"] {
            let r = app.post(&format!("/api/companies/list?{q}"), json!({})).await;
            assert_eq!((r.status, r.error_code()), (StatusCode::BAD_REQUEST, "parameter_invalid"), "{q}");
        }
        // The SDK may post with no body at all.
        let r = app.request_as(Some(&app.token), Method::POST, "/api/companies/list", None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
}

#[tokio::test]
async fn scroll_ends_with_a_null_scroll_param() {
    for app in TestApp::all().await {
        let mut ids = Vec::new();
        for i in 0..5 {
            ids.push(create(&app, &format!("c{i}"), &format!("C{i}")).await);
        }
        let other = app.other_workspace().await;
        create(&other, "theirs", "Theirs").await;

        let mut seen = Vec::new();
        let mut path = "/api/companies/scroll?per_page=2".to_string();
        for round in 0.. {
            let r = app.get(&path).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
            assert_eq!(r.body["type"], "list");
            let data = r.body["data"].as_array().unwrap();
            match r.body["scroll_param"].as_str() {
                Some(param) => {
                    assert!(!data.is_empty());
                    seen.extend(data.iter().map(|c| c["id"].as_str().unwrap().to_string()));
                    path = format!("/api/companies/scroll?per_page=2&scroll_param={param}");
                }
                None => {
                    assert!(data.is_empty(), "the scroll ends with an empty batch");
                    assert_eq!(r.body["scroll_param"], Value::Null);
                    break;
                }
            }
            assert!(round < 10, "the scroll must terminate");
        }
        assert_eq!(seen, ids, "every company of this workspace once, none of the other");

        for bad in ["nonsense!", "'; DROP TABLE companies; --", "MTox"] {
            let r = app.get(&format!("/api/companies/scroll?scroll_param={}", urlencode(bad))).await;
            assert_eq!((r.status, r.error_code()), (StatusCode::BAD_REQUEST, "parameter_invalid"), "{bad}");
        }
    }
}

#[tokio::test]
async fn contacts_attach_and_detach() {
    for app in TestApp::all().await {
        let id = create(&app, "c-1", "First").await;
        let contact_id = rapport_store::testing::contact(&app.db, app.workspace.id, "user", None, None).await.unwrap();

        let r = app.post(&format!("/api/contacts/{contact_id}/companies"), json!({"id": id})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!((r.body["type"].as_str(), r.body["user_count"].as_i64()), (Some("company"), Some(1)));
        // Numeric id, attaching twice: still one user.
        let numeric: i64 = id.parse().unwrap();
        let r = app.post(&format!("/api/contacts/{contact_id}/companies"), json!({"id": numeric})).await;
        assert_eq!(r.body["user_count"], 1);
        assert_eq!(app.get(&format!("/api/companies/{id}")).await.body["user_count"], 1);

        let r = app.post(&format!("/api/contacts/{contact_id}/companies"), json!({})).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::BAD_REQUEST, "parameter_not_found"));
        let r = app.post(&format!("/api/contacts/{contact_id}/companies"), json!({"id": [1]})).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::BAD_REQUEST, "parameter_invalid"));
        let r = app.post(&format!("/api/contacts/{contact_id}/companies"), json!({"id": "123456"})).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::NOT_FOUND, "company_not_found"));
        let r = app.post("/api/contacts/999999/companies", json!({"id": id})).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::NOT_FOUND, "not_found"));

        let r = app.delete(&format!("/api/contacts/{contact_id}/companies/{id}")).await;
        assert_eq!((r.status, r.body["user_count"].as_i64()), (StatusCode::OK, Some(0)), "{}", r.text);
        let r = app.delete(&format!("/api/contacts/{contact_id}/companies/{id}")).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::NOT_FOUND, "company_not_found"));
        let r = app.delete(&format!("/api/contacts/abc/companies/{id}")).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::NOT_FOUND, "not_found"));
    }
}

#[tokio::test]
async fn viewers_cannot_write_companies() {
    for app in TestApp::all().await {
        let id = create(&app, "c-1", "First").await;
        let contact_id = rapport_store::testing::contact(&app.db, app.workspace.id, "user", None, None).await.unwrap();
        let (_, viewer) = app.teammate("viewer@example.com", AdminRole::Viewer).await;
        let writes = [
            (Method::POST, "/api/companies".to_string(), Some(json!({"company_id": "v", "name": "V"}))),
            (Method::PUT, format!("/api/companies/{id}"), Some(json!({"name": "V"}))),
            (Method::DELETE, format!("/api/companies/{id}"), None),
            (Method::POST, format!("/api/contacts/{contact_id}/companies"), Some(json!({"id": id}))),
            (Method::DELETE, format!("/api/contacts/{contact_id}/companies/{id}"), None),
        ];
        for (method, path, body) in writes {
            let r = app.request_as(Some(&viewer), method.clone(), &path, body).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{method} {path}");
        }
        // Reads are fine.
        let r = app.request_as(Some(&viewer), Method::GET, &format!("/api/companies/{id}"), None).await;
        assert_eq!((r.status, r.body["name"].as_str()), (StatusCode::OK, Some("First")));
        let r = app.request_as(Some(&viewer), Method::POST, "/api/companies/list", None).await;
        assert_eq!(r.body["total_count"], 1, "companies/list is a read");
        assert_eq!(r.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn other_workspaces_ids_are_not_found() {
    for app in TestApp::all().await {
        let other = app.other_workspace().await;
        let theirs = create(&other, "shared", "Theirs").await;
        let their_contact =
            rapport_store::testing::contact(&app.db, other.workspace.id, "user", None, None).await.unwrap();
        let mine = create(&app, "mine", "Mine").await;
        let my_contact = rapport_store::testing::contact(&app.db, app.workspace.id, "user", None, None).await.unwrap();

        let r = app.get(&format!("/api/companies/{theirs}")).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::NOT_FOUND, "company_not_found"));
        let r = app.put(&format!("/api/companies/{theirs}"), json!({"name": "hijacked"})).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let r = app.delete(&format!("/api/companies/{theirs}")).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        for q in ["company_id=shared", "name=Theirs"] {
            assert_eq!(app.get(&format!("/api/companies?{q}")).await.status, StatusCode::NOT_FOUND);
        }
        // Their company to my contact, my company to their contact: both 404, nothing linked.
        let r = app.post(&format!("/api/contacts/{my_contact}/companies"), json!({"id": theirs})).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::NOT_FOUND, "company_not_found"));
        let r = app.post(&format!("/api/contacts/{their_contact}/companies"), json!({"id": mine})).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::NOT_FOUND, "not_found"));
        let r = app.delete(&format!("/api/contacts/{my_contact}/companies/{theirs}")).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);

        // Lists show only this workspace; their company is untouched.
        let r = app.get("/api/companies").await;
        assert_eq!(r.body["total_count"], 1);
        let r = other.get(&format!("/api/companies/{theirs}")).await;
        assert_eq!((r.body["name"].as_str(), r.body["user_count"].as_i64()), (Some("Theirs"), Some(0)));
        assert_eq!(app.get(&format!("/api/companies/{mine}")).await.body["user_count"], 0);
    }
}
