mod common;

use axum::http::{Method, StatusCode};
use common::TestApp;
use rapport_core::admin::AdminRole;
use rapport_core::ids::ContactId;
use rapport_store::testing::contact as insert_test_contact;
use serde_json::{json, Map, Value};

async fn contact(app: &TestApp, user_id: &str, email: &str) -> ContactId {
    insert_test_contact(&app.db, app.workspace.id, "user", Some(user_id), Some(email)).await.unwrap()
}

async fn events_of(app: &TestApp, contact_id: ContactId) -> Vec<Value> {
    let r = app.get(&format!("/api/events?type=user&intercom_user_id={contact_id}&per_page=150")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["events"].as_array().unwrap().clone()
}

#[tokio::test]
async fn submit_and_list_events_with_intercoms_shapes() {
    for app in TestApp::all().await {
        let id = contact(&app, "314159", "frodo@example.com").await;
        let metadata = json!({"order_date": 1392036272, "stripe_invoice": "inv_3434",
            "order_number": {"value": "3434-3434", "url": "https://example.org/orders/3434-3434"},
            "price": {"currency": "usd", "amount": 2999}});
        let r = app
            .post("/api/events", json!({"event_name": "Placed-Order", "created_at": 1389913941, "user_id": "314159", "metadata": metadata}))
            .await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
        assert_eq!(r.text, "", "202 with an empty body");
        // By our id (number or string) and by email, with extra fields SDKs send.
        for body in [
            json!({"event_name": "signed-in", "created_at": 1389913950, "id": id}),
            json!({"event_name": "signed-in", "created_at": 1389913960, "id": id.to_string(), "extra": true}),
            json!({"event_name": "signed-in", "created_at": 1389913970, "email": "FRODO@example.com", "metadata": null}),
        ] {
            let r = app.post("/api/events", body).await;
            assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
        }

        let r = app.get("/api/events?type=user&user_id=314159").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["type"], "event.list");
        assert!(r.body["pages"].get("next").is_none(), "one page only");
        let events = r.body["events"].as_array().unwrap();
        assert_eq!(
            events.iter().map(|e| e["created_at"].as_i64().unwrap()).collect::<Vec<_>>(),
            vec![1389913970, 1389913960, 1389913950, 1389913941]
        );
        let order = &events[3];
        assert_eq!(order["type"], "event");
        assert_eq!(order["event_name"], "placed-order", "names are stored lower-cased");
        assert_eq!(order["user_id"], "314159");
        assert_eq!(order["intercom_user_id"], id.to_string());
        assert_eq!(order["email"], "frodo@example.com");
        assert!(order["id"].is_string());
        assert_eq!(order["metadata"], metadata);
        assert_eq!(
            app.get("/api/events?type=user&email=frodo@example.com").await.body["events"].as_array().unwrap().len(),
            4
        );

        let r = app.get("/api/events?type=user&user_id=314159&summary=true").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["type"], "event.summary");
        assert_eq!((r.body["user_id"].clone(), r.body["email"].clone()), (json!("314159"), json!("frodo@example.com")));
        assert_eq!(r.body["intercom_user_id"], id.to_string());
        assert_eq!(
            r.body["events"],
            json!([
                {"name": "placed-order", "first": "2014-01-16T23:12:21.000+00:00", "last": "2014-01-16T23:12:21.000+00:00", "count": 1, "description": ""},
                {"name": "signed-in", "first": "2014-01-16T23:12:30.000+00:00", "last": "2014-01-16T23:12:50.000+00:00", "count": 3, "description": ""}
            ])
        );
    }
}

#[tokio::test]
async fn repeated_events_are_stored_once() {
    for app in TestApp::all().await {
        let id = contact(&app, "u1", "u1@example.com").await;
        let body =
            json!({"event_name": "viewed", "created_at": 1700000000, "user_id": "u1", "metadata": {"a": 1, "b": "x"}});
        for _ in 0..3 {
            assert_eq!(app.post("/api/events", body.clone()).await.status, StatusCode::ACCEPTED);
        }
        let reordered =
            json!({"event_name": "VIEWED", "created_at": 1700000000, "id": id, "metadata": {"b": "x", "a": 1}});
        assert_eq!(app.post("/api/events", reordered).await.status, StatusCode::ACCEPTED);
        assert_eq!(events_of(&app, id).await.len(), 1);
        let later =
            json!({"event_name": "viewed", "created_at": 1700000001, "user_id": "u1", "metadata": {"a": 1, "b": "x"}});
        assert_eq!(app.post("/api/events", later).await.status, StatusCode::ACCEPTED);
        assert_eq!(events_of(&app, id).await.len(), 2, "another second is another event");
    }
}

#[tokio::test]
async fn event_lists_page_with_absolute_next_urls() {
    for app in TestApp::all().await {
        let id = contact(&app, "pager", "pager@example.com").await;
        for i in 0..5 {
            let r = app
                .post(
                    "/api/events",
                    json!({"event_name": "tick", "created_at": 1000 + i / 2, "user_id": "pager", "metadata": {"i": i}}),
                )
                .await;
            assert_eq!(r.status, StatusCode::ACCEPTED);
        }
        let mut url = "/api/events?type=user&user_id=pager&per_page=2".to_string();
        let mut seen = Vec::new();
        let mut pages = 0;
        loop {
            let r = app.get(&url).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
            pages += 1;
            seen.extend(r.body["events"].as_array().unwrap().iter().map(|e| e["metadata"]["i"].as_i64().unwrap()));
            let Some(next) = r.body["pages"]["next"].as_str() else { break };
            assert!(next.starts_with("http://127.0.0.1:8080/api/events?"), "{next}");
            assert!(next.contains(&format!("intercom_user_id={id}")) && next.contains("before="));
            url = next.trim_start_matches("http://127.0.0.1:8080").to_string();
        }
        assert_eq!(pages, 3);
        let mut sorted = seen.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, vec![0, 1, 2, 3, 4], "each event exactly once: {seen:?}");
        assert_eq!(seen[0], 4, "newest first");

        for bad in ["before=abc", "before=%27%3B%20DROP%20TABLE%20events%3B%20--", "per_page=0", "per_page=151"] {
            let r = app.get(&format!("/api/events?type=user&user_id=pager&{bad}")).await;
            assert_eq!((r.status, r.error_code()), (StatusCode::BAD_REQUEST, "parameter_invalid"), "{bad}");
        }
    }
}

#[tokio::test]
async fn bad_events_are_refused_and_write_nothing() {
    for app in TestApp::all().await {
        let id = contact(&app, "u1", "u1@example.com").await;
        let many: Map<String, Value> = (0..21).map(|i| (format!("k{i}"), json!(i))).collect();
        let cases = [
            (json!({"event_name": "x", "user_id": "u1"}), StatusCode::BAD_REQUEST, "parameter_not_found"),
            (json!({"created_at": 1, "user_id": "u1"}), StatusCode::BAD_REQUEST, "parameter_not_found"),
            (json!({"event_name": "x", "created_at": 1}), StatusCode::BAD_REQUEST, "parameter_not_found"),
            (
                json!({"event_name": "x", "created_at": "yesterday", "user_id": "u1"}),
                StatusCode::BAD_REQUEST,
                "parameter_invalid",
            ),
            (
                json!({"event_name": "x", "created_at": -5, "user_id": "u1"}),
                StatusCode::BAD_REQUEST,
                "parameter_invalid",
            ),
            (
                json!({"event_name": "  ", "created_at": 1, "user_id": "u1"}),
                StatusCode::BAD_REQUEST,
                "parameter_invalid",
            ),
            (
                json!({"event_name": "x", "created_at": 1, "user_id": "u1", "metadata": {"deep": {"a": {"b": 1}}}}),
                StatusCode::BAD_REQUEST,
                "parameter_invalid",
            ),
            (
                json!({"event_name": "x", "created_at": 1, "user_id": "u1", "metadata": {"list": [1, 2]}}),
                StatusCode::BAD_REQUEST,
                "parameter_invalid",
            ),
            (
                json!({"event_name": "x", "created_at": 1, "user_id": "u1", "metadata": Value::Object(many)}),
                StatusCode::BAD_REQUEST,
                "parameter_invalid",
            ),
            (
                json!({"event_name": "x", "created_at": 1, "user_id": "u1", "metadata": {"s": "x".repeat(256)}}),
                StatusCode::BAD_REQUEST,
                "parameter_invalid",
            ),
            (
                json!({"event_name": "x", "created_at": 1, "user_id": "u1", "metadata": "flat"}),
                StatusCode::BAD_REQUEST,
                "parameter_invalid",
            ),
            (json!({"event_name": "x", "created_at": 1, "user_id": "nobody"}), StatusCode::NOT_FOUND, "not_found"),
            (json!({"event_name": "x", "created_at": 1, "user_id": "' OR 1=1 --"}), StatusCode::NOT_FOUND, "not_found"),
            (json!({"event_name": "x", "created_at": 1, "id": "abc"}), StatusCode::NOT_FOUND, "not_found"),
            (
                json!({"event_name": "x", "created_at": 1, "email": "sam@example.com"}),
                StatusCode::NOT_FOUND,
                "not_found",
            ),
        ];
        for (body, status, code) in cases {
            let r = app.post("/api/events", body.clone()).await;
            assert_eq!((r.status, r.error_code()), (status, code), "{body}: {}", r.text);
        }
        let r =
            app.post("/api/events", json!({"event_name": "x", "created_at": 1, "email": "nobody@example.com"})).await;
        assert_eq!(r.body["errors"][0]["message"], "User Not Found");
        let r = app.post_raw("/api/events", "application/json", "{not json").await;
        assert_eq!((r.status, r.error_code()), (StatusCode::BAD_REQUEST, "bad_request"));
        // Hostile strings are stored as given.
        let r = app
            .post(
                "/api/events",
                json!({"event_name": "<script>alert(1)</script>", "created_at": 5, "user_id": "u1",
                   "metadata": {"note": "'; DROP TABLE events; --"}}),
            )
            .await;
        assert_eq!(r.status, StatusCode::ACCEPTED);
        let events = events_of(&app, id).await;
        assert_eq!(events.len(), 1, "only the valid event was stored");
        assert_eq!(events[0]["metadata"]["note"], "'; DROP TABLE events; --");

        for (query, status, code) in [
            ("/api/events?user_id=u1", StatusCode::BAD_REQUEST, "parameter_not_found"),
            ("/api/events?type=company&user_id=u1", StatusCode::BAD_REQUEST, "parameter_invalid"),
            ("/api/events?type=user", StatusCode::BAD_REQUEST, "parameter_not_found"),
            ("/api/events?type=user&user_id=u1&summary=perhaps", StatusCode::BAD_REQUEST, "parameter_invalid"),
            ("/api/events?type=user&user_id=nobody", StatusCode::NOT_FOUND, "not_found"),
            ("/api/events?type=user&intercom_user_id=999999", StatusCode::NOT_FOUND, "not_found"),
        ] {
            let r = app.get(query).await;
            assert_eq!((r.status, r.error_code()), (status, code), "{query}");
        }
    }
}

#[tokio::test]
async fn summaries_upload_adds_counts() {
    for app in TestApp::all().await {
        let id = contact(&app, "314159", "frodo@example.com").await;
        let r = app
            .post("/api/events", json!({"event_name": "placed-order", "created_at": 1671028900, "user_id": "314159"}))
            .await;
        assert_eq!(r.status, StatusCode::ACCEPTED);
        let r = app
            .post("/api/events/summaries", json!({"user_id": "314159",
                "event_summaries": {"event_name": "Placed-Order", "count": 4, "first": 1671028894, "last": 1671028895}}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.text, "");
        let r = app
            .post(
                "/api/events/summaries",
                json!({"id": id, "event_summaries": [
                {"event_name": "logged-in", "count": 2, "first": 1600000000, "last": 1600000100}]}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let r = app.get("/api/events?type=user&user_id=314159&summary=true").await;
        assert_eq!(r.body["events"][0]["name"], "logged-in");
        assert_eq!(r.body["events"][1]["name"], "placed-order");
        assert_eq!(r.body["events"][1]["count"], 5);
        assert_eq!(r.body["events"][1]["first"], "2022-12-14T14:41:34.000+00:00");
        assert_eq!(r.body["events"][1]["last"], "2022-12-14T14:41:40.000+00:00");
        assert_eq!(events_of(&app, id).await.len(), 1, "summaries are not expanded into events");

        // Bad uploads write nothing, even when an earlier item was fine.
        for (body, status) in [
            (json!({"user_id": "314159"}), StatusCode::BAD_REQUEST),
            (
                json!({"user_id": "314159", "event_summaries": [{"event_name": "ok", "count": 1, "first": 1, "last": 1},
                {"event_name": "bad", "count": 0, "first": 1, "last": 1}]}),
                StatusCode::BAD_REQUEST,
            ),
            (
                json!({"user_id": "314159", "event_summaries": {"event_name": "bad", "count": 1, "first": 9, "last": 1}}),
                StatusCode::BAD_REQUEST,
            ),
            (
                json!({"user_id": "314159", "event_summaries": {"event_name": "bad", "count": "many", "first": 1, "last": 1}}),
                StatusCode::BAD_REQUEST,
            ),
            (
                json!({"event_summaries": {"event_name": "ok", "count": 1, "first": 1, "last": 1}}),
                StatusCode::BAD_REQUEST,
            ),
            (
                json!({"user_id": "nobody", "event_summaries": {"event_name": "ok", "count": 1, "first": 1, "last": 1}}),
                StatusCode::NOT_FOUND,
            ),
        ] {
            let r = app.post("/api/events/summaries", body.clone()).await;
            assert_eq!(r.status, status, "{body}: {}", r.text);
        }
        let r = app.get("/api/events?type=user&user_id=314159&summary=true").await;
        assert_eq!(r.body["events"].as_array().unwrap().len(), 2, "nothing changed");
    }
}

#[tokio::test]
async fn viewers_cannot_submit_events_but_agents_can() {
    for app in TestApp::all().await {
        let id = contact(&app, "u1", "u1@example.com").await;
        let (_, viewer) = app.teammate("viewer@example.com", AdminRole::Viewer).await;
        let (_, agent) = app.teammate("agent@example.com", AdminRole::Agent).await;
        let body = json!({"event_name": "x", "created_at": 1, "user_id": "u1"});
        let r = app.request_as(Some(&viewer), Method::POST, "/api/events", Some(body.clone())).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::FORBIDDEN, "forbidden"));
        let summary =
            json!({"user_id": "u1", "event_summaries": {"event_name": "x", "count": 1, "first": 1, "last": 1}});
        let r = app.request_as(Some(&viewer), Method::POST, "/api/events/summaries", Some(summary)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(events_of(&app, id).await.is_empty());
        let r = app.request_as(Some(&viewer), Method::GET, "/api/events?type=user&user_id=u1&summary=true", None).await;
        assert_eq!(r.body["events"], json!([]), "viewers may read; nothing was written");
        let r = app.request_as(Some(&agent), Method::POST, "/api/events", Some(body)).await;
        assert_eq!(r.status, StatusCode::ACCEPTED);
        let r = app.request_as(None, Method::POST, "/api/events", Some(json!({}))).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn events_are_isolated_between_workspaces() {
    for app in TestApp::all().await {
        let other = app.other_workspace().await;
        let id = contact(&app, "shared-id", "shared@example.com").await;
        let r = app.post("/api/events", json!({"event_name": "mine", "created_at": 10, "user_id": "shared-id"})).await;
        assert_eq!(r.status, StatusCode::ACCEPTED);

        // B cannot write to or read A's contact by any key.
        for key in [json!({"user_id": "shared-id"}), json!({"id": id}), json!({"email": "shared@example.com"})] {
            let mut body = json!({"event_name": "theirs", "created_at": 11});
            body.as_object_mut().unwrap().extend(key.as_object().unwrap().clone());
            let r = other.post("/api/events", body.clone()).await;
            assert_eq!((r.status, r.error_code()), (StatusCode::NOT_FOUND, "not_found"), "{body}");
            let mut summary = json!({"event_summaries": {"event_name": "theirs", "count": 1, "first": 1, "last": 1}});
            summary.as_object_mut().unwrap().extend(key.as_object().unwrap().clone());
            assert_eq!(other.post("/api/events/summaries", summary).await.status, StatusCode::NOT_FOUND);
        }
        for query in ["user_id=shared-id", &format!("intercom_user_id={id}"), "email=shared@example.com"] {
            let r = other.get(&format!("/api/events?type=user&{query}")).await;
            assert_eq!((r.status, r.error_code()), (StatusCode::NOT_FOUND, "not_found"), "{query}");
            let r = other.get(&format!("/api/events?type=user&{query}&summary=true")).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND);
        }

        // B's own contact with the same user_id keeps its own events.
        let theirs = insert_test_contact(&other.db, other.workspace.id, "user", Some("shared-id"), None).await.unwrap();
        let r =
            other.post("/api/events", json!({"event_name": "theirs", "created_at": 12, "user_id": "shared-id"})).await;
        assert_eq!(r.status, StatusCode::ACCEPTED);
        let r = other.get(&format!("/api/events?type=user&intercom_user_id={theirs}")).await;
        assert_eq!(r.body["events"].as_array().unwrap().len(), 1);
        let mine = events_of(&app, id).await;
        assert_eq!(mine.len(), 1);
        assert_eq!(mine[0]["event_name"], "mine");
    }
}

#[tokio::test]
async fn openapi_documents_events_and_data_attributes() {
    let app = TestApp::on(rapport_store::testing::sqlite().await).await;
    let r = app.get("/api/openapi.json").await;
    let paths = &r.body["paths"];
    for path in ["/events", "/events/summaries", "/data_attributes", "/data_attributes/{id}"] {
        assert!(paths.get(path).is_some(), "{path} missing");
    }
    let params = paths["/events"]["get"]["parameters"].as_array().unwrap();
    assert!(params.iter().any(|p| p["name"] == "type"), "the query parameter is named type");
}
