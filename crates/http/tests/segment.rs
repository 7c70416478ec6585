//! `/segment/v1/…`: the tracking key (Basic or `writeKey`) is the only credential and opens
//! nothing else; Segment's status codes and limits; refused calls write nothing. Both databases.
mod common;

use axum::body::Body;
use axum::http::{Method, Request};
use base64::Engine;
use common::TestApp;
use serde_json::{json, Value};

fn basic(key: &str) -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{key}:")))
}

fn post(path: &str, authorization: Option<&str>, body: impl Into<Body>) -> Request<Body> {
    let mut builder = Request::builder().method(Method::POST).uri(path).header("content-type", "application/json");
    if let Some(authorization) = authorization {
        builder = builder.header("authorization", authorization);
    }
    builder.body(body.into()).unwrap()
}

async fn contacts_total(app: &TestApp) -> i64 {
    app.get("/api/contacts").await.body["total_count"].as_i64().unwrap()
}

#[tokio::test]
async fn the_tracking_key_authenticates_the_intake_and_nothing_else() {
    for app in TestApp::all().await {
        let key = app.workspace.tracking_key.clone();
        let identify = json!({"userId": "u1", "traits": {"email": "ann@example.com", "name": "Ann"}});
        let r = app.send(post("/segment/v1/identify", Some(&basic(&key)), identify.to_string())).await;
        assert_eq!((r.status.as_u16(), r.body.clone()), (200, json!({"success": true})), "{}", r.text);
        // `writeKey` in the body, no header.
        let body = json!({"writeKey": key, "userId": "u1", "event": "Logged In"});
        let r = app.send(post("/segment/v1/track", None, body.to_string())).await;
        assert_eq!(r.status, 200, "{}", r.text);
        // A Basic key without the colon is accepted too.
        let no_colon = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(&key));
        let r = app
            .send(post("/segment/v1/track", Some(&no_colon), json!({"userId": "u1", "event": "e2"}).to_string()))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);

        // Wrong, missing, or API-token credentials are 401 and write nothing.
        let before = contacts_total(&app).await;
        let track = json!({"userId": "u2", "event": "x"}).to_string();
        for authorization in
            [Some(basic("wrong")), None, Some(format!("Bearer {}", app.token)), Some(basic(&app.token))]
        {
            let r = app.send(post("/segment/v1/track", authorization.as_deref(), track.clone())).await;
            assert_eq!(r.status, 401, "{authorization:?}: {}", r.text);
            assert_eq!(r.error_code(), "unauthorized");
        }
        let wrong_body_key = json!({"writeKey": "wrong", "userId": "u2", "event": "x"}).to_string();
        assert_eq!(app.send(post("/segment/v1/track", None, wrong_body_key)).await.status, 401);
        assert_eq!(contacts_total(&app).await, before);
        // The tracking key is no API credential.
        let r = app.request_as(Some(&key), Method::GET, "/api/contacts", None).await;
        assert_eq!(r.status, 401);
        let mut request = Request::builder().uri("/api/contacts").header("authorization", basic(&key));
        request = request.method(Method::GET);
        assert_eq!(app.send(request.body(Body::empty()).unwrap()).await.status, 401);

        // What the REST API shows.
        let found = app
            .post("/api/contacts/search", json!({"query": {"field": "external_id", "operator": "=", "value": "u1"}}))
            .await;
        assert_eq!(found.body["total_count"], 1, "{}", found.text);
        let contact = &found.body["data"][0];
        assert_eq!((contact["email"].as_str(), contact["name"].as_str()), (Some("ann@example.com"), Some("Ann")));
        let id = contact["id"].as_str().unwrap();
        let events = app.get(&format!("/api/events?type=user&intercom_user_id={id}")).await;
        let names: Vec<&str> =
            events.body["events"].as_array().unwrap().iter().filter_map(|e| e["event_name"].as_str()).collect();
        assert_eq!(names.len(), 2, "{}", events.text);

        // Another workspace's key writes there, not here.
        let other = app.other_workspace().await;
        let r = app
            .send(post(
                "/segment/v1/track",
                Some(&basic(&other.workspace.tracking_key)),
                json!({"userId": "u1", "event": "x"}).to_string(),
            ))
            .await;
        assert_eq!(r.status, 200);
        assert_eq!(
            app.get(&format!("/api/events?type=user&intercom_user_id={id}")).await.body["events"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
    }
}

#[tokio::test]
async fn bad_requests_are_refused_with_segments_codes_and_write_nothing() {
    for app in TestApp::all().await {
        let auth = basic(&app.workspace.tracking_key);
        let before = contacts_total(&app).await;
        let cases: Vec<(&str, Body, &str)> = vec![
            ("/segment/v1/track", Body::from("{not json"), "bad_request"),
            ("/segment/v1/batch", Body::from("[1, 2]"), "bad_request"),
            ("/segment/v1/batch", Body::from(json!({"batch": {"type": "track"}}).to_string()), "parameter_invalid"),
            // Over 32 KB in one call.
            (
                "/segment/v1/track",
                Body::from(json!({"userId": "u", "event": "e", "properties": {"b": "x".repeat(33 * 1024)}}).to_string()),
                "request_too_large",
            ),
            // A batch item over 32 KB.
            (
                "/segment/v1/batch",
                Body::from(
                    json!({"batch": [{"type": "track", "userId": "u", "event": "ok"},
                        {"type": "track", "userId": "u", "event": "e", "properties": {"b": "x".repeat(33 * 1024)}}]})
                    .to_string(),
                ),
                "request_too_large",
            ),
            // A batch over 500 KB (and one over the API's 1 MiB body limit): 400, as Segment.
            (
                "/segment/v1/batch",
                Body::from(json!({"batch": vec![json!({"type": "track", "userId": "u", "event": "e", "properties": {"b": "x".repeat(20_000)}}); 30]}).to_string()),
                "request_too_large",
            ),
            ("/segment/v1/batch", Body::from(vec![b' '; 3 * 1024 * 1024]), "request_too_large"),
            // Calls the data refuses (single endpoints answer 400 for them).
            ("/segment/v1/track", Body::from(json!({"userId": "u", "properties": {}}).to_string()), "parameter_invalid"),
            ("/segment/v1/identify", Body::from(json!({"traits": {"email": "a@b.test"}}).to_string()), "parameter_invalid"),
            (
                "/segment/v1/identify",
                // A trait no attribute can be defined for (a dot is not allowed in a name).
                Body::from(json!({"userId": "u", "traits": {"bad.name": 1}}).to_string()),
                "parameter_invalid",
            ),
            ("/segment/v1/group", Body::from(json!({"userId": "u", "traits": {"name": "x"}}).to_string()), "parameter_invalid"),
        ];
        for (path, body, code) in cases {
            let r = app.send(post(path, Some(&auth), body)).await;
            assert_eq!(r.status, 400, "{path} {code}: {}", r.text);
            assert_eq!(r.error_code(), code, "{path}: {}", r.text);
        }
        assert_eq!(contacts_total(&app).await, before, "nothing was written");
        let companies = app.get("/api/companies?company_id=x").await;
        assert_eq!(companies.status, 404);
        let gzip = Request::builder()
            .method(Method::POST)
            .uri("/segment/v1/batch")
            .header("authorization", &auth)
            .header("content-encoding", "gzip")
            .body(Body::from("\u{1f}\u{8b}"))
            .unwrap();
        assert_eq!(app.send(gzip).await.status, 400);
    }
}

#[tokio::test]
async fn a_batch_applies_its_good_calls_and_lists_the_refused_ones() {
    for app in TestApp::all().await {
        let body = json!({"writeKey": app.workspace.tracking_key, "sentAt": "2025-11-21T00:00:10Z", "batch": [
            {"type": "identify", "userId": "b1", "messageId": "i1", "traits": {"email": "b1@example.com"}},
            {"type": "track", "userId": "b1", "messageId": "t1", "event": "Paid", "timestamp": "2025-11-21T00:00:00Z"},
            {"type": "track", "userId": "b1", "messageId": "t2"},
            {"type": "group", "userId": "b1", "messageId": "g1", "groupId": "co1", "traits": {"name": "Co One", "plan": "pro"}},
            {"type": "page", "userId": "b1", "messageId": "p1", "properties": {"url": "https://x.test/a"}},
        ]});
        let r = app.send(post("/segment/v1/batch", None, body.to_string())).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["success"], true);
        assert_eq!(r.body["applied"], 4);
        let refused: &Value = &r.body["refused"];
        assert_eq!(refused.as_array().unwrap().len(), 1, "{}", r.text);
        assert_eq!((refused[0]["index"].as_i64(), refused[0]["field"].as_str()), (Some(2), Some("event")));
        // Sent again (a client retry): nothing doubles.
        let r = app.send(post("/segment/v1/batch", None, body.to_string())).await;
        assert_eq!((r.body["applied"].as_i64(), r.body["duplicates"].as_i64()), (Some(0), Some(4)), "{}", r.text);

        let company = app.get("/api/companies?company_id=co1").await;
        assert_eq!(company.status, 200, "{}", company.text);
        assert_eq!(
            (company.body["name"].as_str(), company.body["plan"]["name"].as_str()),
            (Some("Co One"), Some("pro"))
        );
        let found = app
            .post("/api/contacts/search", json!({"query": {"field": "external_id", "operator": "=", "value": "b1"}}))
            .await;
        let id = found.body["data"][0]["id"].as_str().unwrap().to_string();
        let attached = app.get(&format!("/api/contacts/{id}/companies")).await;
        assert_eq!(attached.body["companies"][0]["company_id"], "co1", "{}", attached.text);
        let events = app.get(&format!("/api/events?type=user&intercom_user_id={id}")).await;
        let list = events.body["events"].as_array().unwrap();
        assert_eq!(list.len(), 2, "{}", events.text);
        let paid = list.iter().find(|e| e["event_name"] == "paid").unwrap();
        // Stamped 10 s before the batch was sent: 10 s before it was received.
        let age = rapport_store::now() - paid["created_at"].as_i64().unwrap();
        assert!((9..300).contains(&age), "{age}");
    }
}
