//! SLA policies, team office hours and holidays through the API, and issue 5's scenario end to
//! end: a workspace in New York working Mon–Fri 9–17, an enterprise customer writing at 16:55 on
//! a Friday, the published rule "plan = enterprise → VIP team, SLA 'VIP' (first response 5 min)".
//! Time is injected: the conversation is written now, then its rows are moved to the scenario's
//! instant and the sweep and evaluation run with an explicit `now`. Every test runs on SQLite and
//! PostgreSQL.
mod common;

use axum::http::StatusCode;
use chrono::TimeZone;
use common::TestApp;
use rapport_core::ids::ConversationId;
use rapport_store::{event_log, sla};
use serde_json::{json, Value};

const NY: chrono_tz::Tz = chrono_tz::America::New_York;

fn ny(y: i32, m: u32, d: u32, h: u32, min: u32, s: u32) -> i64 {
    NY.with_ymd_and_hms(y, m, d, h, min, s).single().unwrap().timestamp()
}

async fn id_of(r: common::Response) -> i64 {
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["id"].as_str().unwrap().parse().unwrap()
}

/// An enterprise user (primary email; contacts with several emails do not exist yet).
async fn enterprise_user(app: &TestApp, email: &str) -> String {
    let r = app.post("/api/contacts", json!({"role": "user", "email": email})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let contact = r.body["id"].as_str().unwrap().to_string();
    let r = app.post("/api/companies", json!({"company_id": "acme", "name": "Enterprise", "plan": "enterprise"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let company = r.body["id"].as_str().unwrap().to_string();
    let r = app.post(&format!("/api/contacts/{contact}/companies"), json!({"id": company})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    contact
}

/// Moves a conversation, its parts and its SLA to the instant `at` (as if written then).
async fn written_at(app: &TestApp, id: ConversationId, at: i64) {
    rapport_store::testing::backdate_conversation(&app.db, id, at).await;
}

/// The SLA events of the workspace: (kind, conversation id, target).
async fn sla_events(app: &TestApp) -> Vec<(String, ConversationId, String)> {
    let events = event_log::after(&app.db, app.workspace.id, 0, 10_000).await.unwrap();
    events
        .into_iter()
        .filter(|e| e.kind.starts_with("sla."))
        .map(|e| {
            let target = e.payload()["target"].as_str().unwrap_or_default().to_string();
            (e.kind, e.conversation_id.unwrap_or(ConversationId::new(0)), target)
        })
        .collect()
}

async fn conversation(app: &TestApp, id: ConversationId) -> Value {
    let r = app.get(&format!("/api/conversations/{id}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body
}

async fn sweep(app: &TestApp, now: i64) {
    sla::sweep(&app.db, now, 500).await.unwrap();
}

#[tokio::test]
async fn friday_afternoon_enterprise_customer_gets_the_vip_sla_in_business_hours() {
    for app in TestApp::all().await {
        rapport_store::testing::set_timezone(&app.db, app.workspace.id, "America/New_York").await;
        let day = json!([[540, 1020]]);
        let hours = json!({"mon": day, "tue": day, "wed": day, "thu": day, "fri": day});
        let r = app.put("/api/messenger/settings", json!({"office_hours": hours})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let vip = id_of(app.post("/api/teams", json!({"name": "VIP"})).await).await;
        let policy =
            id_of(app.post("/api/sla_policies", json!({"name": "VIP", "first_response_seconds": 300})).await).await;
        let rules = json!([{"id": "vip", "name": "Enterprise to VIP", "stop_processing": true,
            "conditions": {"field": "company.plan", "op": "eq", "value": "enterprise"},
            "actions": [{"type": "assign_team", "team_id": vip}, {"type": "apply_sla", "policy_id": policy}]}]);
        assert_eq!(app.put("/api/assignment_rules", json!({"rules": rules})).await.status, StatusCode::OK);
        let r = app.post("/api/assignment_rules/publish", json!({})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);

        let contact = enterprise_user(&app, "cto@enterprise.example").await;
        let r = app
            .post("/api/conversations", json!({"from": {"type": "user", "id": contact}, "body": "Production is down"}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let id: ConversationId = r.body["conversation_id"].as_str().unwrap().parse().unwrap();
        let c = conversation(&app, id).await;
        assert_eq!(c["team_assignee_id"], vip, "routed to the VIP team");
        assert_eq!(
            c["sla_applied"],
            json!({"type": "conversation_sla_summary", "sla_name": "VIP", "sla_status": "active"})
        );

        // Friday 8 March 2024, 16:55 in New York: five business minutes fit before 17:00.
        let friday_1655 = ny(2024, 3, 8, 16, 55, 0);
        written_at(&app, id, friday_1655).await;
        sweep(&app, friday_1655).await;
        let c = conversation(&app, id).await;
        let run = &c["sla_state"]["targets"][0];
        assert_eq!(c["sla_state"]["state"], "on_track");
        assert_eq!(
            (run["target"].as_str(), run["due_at"].as_i64()),
            (Some("first_response"), Some(ny(2024, 3, 8, 17, 0, 0)))
        );
        assert_eq!(run["at_risk_at"].as_i64(), Some(ny(2024, 3, 8, 16, 59, 0)), "20% (one minute) left");

        // A second enterprise conversation at 16:58 runs over the weekend: due Monday 09:03.
        let r =
            app.post("/api/conversations", json!({"from": {"type": "user", "id": contact}, "body": "Also this"})).await;
        let late: ConversationId = r.body["conversation_id"].as_str().unwrap().parse().unwrap();
        written_at(&app, late, ny(2024, 3, 8, 16, 58, 0)).await;
        sweep(&app, ny(2024, 3, 8, 16, 58, 0)).await;
        let c = conversation(&app, late).await;
        assert_eq!(c["sla_state"]["targets"][0]["due_at"].as_i64(), Some(ny(2024, 3, 11, 9, 3, 0)));
        assert!(sla_events(&app).await.is_empty());

        // 16:58: nothing yet. 16:59: at risk, once, however often the sweep runs.
        sweep(&app, ny(2024, 3, 8, 16, 58, 30)).await;
        assert!(sla_events(&app).await.is_empty());
        for second in [0, 1, 30] {
            sweep(&app, ny(2024, 3, 8, 16, 59, second)).await;
        }
        assert_eq!(sla_events(&app).await, [("sla.at_risk".to_string(), id, "first_response".to_string())]);
        let c = conversation(&app, id).await;
        assert_eq!(
            (c["sla_state"]["state"].as_str(), c["sla_applied"]["sla_status"].as_str()),
            (Some("at_risk"), Some("active"))
        );
        let r = app
            .post(
                "/api/conversations/search",
                json!({"query": {"field": "sla_state", "operator": "=", "value": "at_risk"}}),
            )
            .await;
        assert_eq!(r.body["total_count"], 1, "{}", r.text);
        assert_eq!(app.get("/api/inbox/counts").await.body["sla_at_risk"], 1);

        // 17:00: breached, once; over the weekend the other one stays on track.
        for at in [ny(2024, 3, 8, 17, 0, 0), ny(2024, 3, 8, 17, 0, 5), ny(2024, 3, 9, 12, 0, 0)] {
            sweep(&app, at).await;
        }
        let c = conversation(&app, id).await;
        assert_eq!(
            (c["sla_state"]["state"].as_str(), c["sla_applied"]["sla_status"].as_str()),
            (Some("breached"), Some("missed"))
        );
        assert_eq!(conversation(&app, late).await["sla_state"]["state"], "on_track");
        // Monday: the late one is at risk at 09:02 and breached at 09:03.
        for at in [
            ny(2024, 3, 11, 9, 1, 59),
            ny(2024, 3, 11, 9, 2, 0),
            ny(2024, 3, 11, 9, 2, 30),
            ny(2024, 3, 11, 9, 3, 0),
            ny(2024, 3, 11, 10, 0, 0),
        ] {
            sweep(&app, at).await;
        }
        let first = "first_response".to_string();
        assert_eq!(
            sla_events(&app).await,
            [
                ("sla.at_risk".to_string(), id, first.clone()),
                ("sla.breached".to_string(), id, first.clone()),
                ("sla.at_risk".to_string(), late, first.clone()),
                ("sla.breached".to_string(), late, first.clone()),
            ]
        );
        let r = app
            .post(
                "/api/conversations/search",
                json!({"query": {"field": "sla_state", "operator": "=", "value": "breached"}}),
            )
            .await;
        assert_eq!(r.body["total_count"], 2, "{}", r.text);
        let counts = app.get("/api/inbox/counts").await.body;
        assert_eq!((counts["sla_at_risk"].as_i64(), counts["sla_breached"].as_i64()), (Some(0), Some(2)));
        // The events name the policy and the target.
        let events = event_log::after(&app.db, app.workspace.id, 0, 10_000).await.unwrap();
        let breach = events.iter().find(|e| e.kind == "sla.breached").unwrap().payload();
        assert_eq!((breach["sla_name"].as_str(), breach["target_seconds"].as_i64()), (Some("VIP"), Some(300)));
    }
}

#[tokio::test]
async fn two_evaluations_of_the_same_state_emit_one_event() {
    // Two nodes reading the same revision: only the first conditional write wins.
    for app in TestApp::all().await {
        let policy = id_of(
            app.post(
                "/api/sla_policies",
                json!({"name": "Fast", "first_response_seconds": 60, "business_hours": false}),
            )
            .await,
        )
        .await;
        let contact = enterprise_user(&app, "a@example.com").await;
        let r = app.post("/api/conversations", json!({"from": {"type": "user", "id": contact}, "body": "hi"})).await;
        let id: ConversationId = r.body["conversation_id"].as_str().unwrap().parse().unwrap();
        let r = app.post(&format!("/api/conversations/{id}/sla"), json!({"sla_policy_id": policy.to_string()})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let applied = r.body["sla_state"]["targets"][0]["started_at"].as_i64().unwrap();
        let later = applied + 3600;
        let (a, b) = tokio::join!(
            sla::evaluate(&app.db, app.workspace.id, id, later),
            sla::evaluate(&app.db, app.workspace.id, id, later)
        );
        a.unwrap();
        b.unwrap();
        sweep(&app, later).await;
        let kinds: Vec<String> = sla_events(&app).await.into_iter().map(|(k, _, _)| k).collect();
        assert_eq!(kinds, ["sla.breached"], "breached when first seen, at risk never (it was not seen at risk)");
    }
}

#[tokio::test]
async fn policies_crud_and_refused_input() {
    for app in TestApp::all().await {
        let r = app
            .post(
                "/api/sla_policies",
                json!({"name": "Gold", "first_response_seconds": 600, "time_to_close_seconds": 86400}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!((r.body["business_hours"].as_bool(), r.body["at_risk_percent"].as_i64()), (Some(true), Some(20)));
        let id = r.body["id"].as_str().unwrap().to_string();
        for (body, field) in [
            (json!({"first_response_seconds": 60}), "name"),
            (json!({"name": "None"}), "first_response_seconds"),
            (json!({"name": "Zero", "first_response_seconds": 0}), "first_response_seconds"),
            (json!({"name": "Text", "next_response_seconds": "5m"}), "next_response_seconds"),
            (json!({"name": "Risk", "first_response_seconds": 60, "at_risk_percent": 100}), "at_risk_percent"),
            (json!({"name": " ", "first_response_seconds": 60}), "name"),
        ] {
            let r = app.post("/api/sla_policies", body.clone()).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {}", r.text);
            assert_eq!(r.body["errors"][0]["field"], field, "{body}: {}", r.text);
        }
        let r = app.post("/api/sla_policies", json!({"name": "Gold", "first_response_seconds": 1})).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
        assert_eq!(
            app.get("/api/sla_policies").await.body["data"].as_array().unwrap().len(),
            1,
            "nothing else written"
        );

        // PUT: absent members stay, null clears a target.
        let r = app
            .put(&format!("/api/sla_policies/{id}"), json!({"time_to_close_seconds": null, "at_risk_percent": 10}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(
            (
                r.body["first_response_seconds"].as_i64(),
                r.body["time_to_close_seconds"].clone(),
                r.body["at_risk_percent"].as_i64()
            ),
            (Some(600), Value::Null, Some(10))
        );
        let r = app.put(&format!("/api/sla_policies/{id}"), json!({"first_response_seconds": null})).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "a policy needs a target: {}", r.text);
        assert_eq!(app.get(&format!("/api/sla_policies/{id}")).await.body["first_response_seconds"], 600);

        // Applied, then the policy deleted: the conversation shows it cancelled.
        let contact = enterprise_user(&app, "b@example.com").await;
        let r = app.post("/api/conversations", json!({"from": {"type": "user", "id": contact}, "body": "hi"})).await;
        let conversation = r.body["conversation_id"].as_str().unwrap().to_string();
        let r = app.post(&format!("/api/conversations/{conversation}/sla"), json!({"sla_policy_id": "999"})).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
        let r = app.post(&format!("/api/conversations/{conversation}/sla"), json!({})).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
        let r = app.post(&format!("/api/conversations/{conversation}/sla"), json!({"sla_policy_id": id})).await;
        assert_eq!(r.body["sla_applied"]["sla_status"], "active", "{}", r.text);
        assert_eq!(app.delete(&format!("/api/sla_policies/{id}")).await.status, StatusCode::OK);
        let r = app.get(&format!("/api/conversations/{conversation}")).await;
        assert_eq!(
            r.body["sla_applied"],
            json!({"type": "conversation_sla_summary", "sla_name": "Gold", "sla_status": "cancelled"})
        );
        // Another workspace sees none of it.
        let other = app.other_workspace().await;
        assert_eq!(other.get(&format!("/api/sla_policies/{id}")).await.status, StatusCode::NOT_FOUND);
        assert_eq!(other.get("/api/sla_policies").await.body["data"], json!([]));
    }
}

#[tokio::test]
async fn team_office_hours_and_holidays_drive_the_clock() {
    for app in TestApp::all().await {
        let team = id_of(app.post("/api/teams", json!({"name": "Night"})).await).await;
        let r = app.get(&format!("/api/teams/{team}/office_hours")).await;
        assert_eq!(
            (r.body["inherited"].as_bool(), r.body["office_hours"].clone()),
            (Some(true), json!({})),
            "{}",
            r.text
        );
        for (body, field) in [
            (json!({"office_hours": {"mon": [[600, 500]]}}), "office_hours"),
            (json!({}), "office_hours"),
            (json!({"office_hours": {}, "timezone": "Mars/Olympus"}), "timezone"),
            (json!({"office_hours": {}, "holidays": ["2024-02-30"]}), "holidays"),
        ] {
            let r = app.put(&format!("/api/teams/{team}/office_hours"), body.clone()).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {}", r.text);
            assert_eq!(r.body["errors"][0]["field"], field, "{body}: {}", r.text);
        }
        assert_eq!(
            app.get(&format!("/api/teams/{team}/office_hours")).await.body["inherited"],
            true,
            "nothing written"
        );
        // Tokyo nights, 22:00–24:00 every weekday, Christmas off.
        let night = json!([[1320, 1440]]);
        let r = app
            .put(
                &format!("/api/teams/{team}/office_hours"),
                json!({
            "timezone": "Asia/Tokyo", "holidays": ["2024-12-25"],
            "office_hours": {"mon": night, "tue": night, "wed": night, "thu": night, "fri": night}}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!((r.body["inherited"].as_bool(), r.body["holidays"].clone()), (Some(false), json!(["2024-12-25"])));

        let policy =
            id_of(app.post("/api/sla_policies", json!({"name": "Hour", "first_response_seconds": 3600})).await).await;
        let contact = enterprise_user(&app, "c@example.com").await;
        let r = app.post("/api/conversations", json!({"from": {"type": "user", "id": contact}, "body": "hi"})).await;
        let id: ConversationId = r.body["conversation_id"].as_str().unwrap().parse().unwrap();
        let r = app.post(&format!("/api/conversations/{id}/parts"),
            json!({"message_type": "assignment", "type": "team", "admin_id": app.owner.id.to_string(), "assignee_id": team.to_string()})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        app.post(&format!("/api/conversations/{id}/sla"), json!({"sla_policy_id": policy})).await;
        // Tuesday 24 Dec 2024 23:30 Tokyo: half an hour that night, Christmas is off, the other
        // half hour on Thursday 26th at 22:30 Tokyo.
        let tokyo = chrono_tz::Asia::Tokyo;
        let start = tokyo.with_ymd_and_hms(2024, 12, 24, 23, 30, 0).unwrap().timestamp();
        written_at(&app, id, start).await;
        let row = sla::evaluate(&app.db, app.workspace.id, id, start).await.unwrap().unwrap();
        let runs: Value = serde_json::from_str(&row.runs).unwrap();
        assert_eq!(
            runs[0]["due_at"].as_i64(),
            Some(tokyo.with_ymd_and_hms(2024, 12, 26, 22, 30, 0).unwrap().timestamp())
        );

        // Workspace holidays go through the messenger settings.
        let r = app.put("/api/messenger/settings", json!({"holidays": ["2024-12-26", "2024-12-25"]})).await;
        assert_eq!(r.body["holidays"], json!(["2024-12-25", "2024-12-26"]), "{}", r.text);
        let r = app.put("/api/messenger/settings", json!({"holidays": "christmas", "greeting": "changed"})).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert_eq!(app.get("/api/messenger/settings").await.body["holidays"], json!(["2024-12-25", "2024-12-26"]));
        let r = app.delete(&format!("/api/teams/{team}/office_hours")).await;
        assert_eq!(
            (r.body["inherited"].as_bool(), r.body["holidays"].clone()),
            (Some(true), json!(["2024-12-25", "2024-12-26"]))
        );
    }
}

#[tokio::test]
async fn openapi_documents_the_sla_endpoints() {
    let app = TestApp::all().await.remove(0);
    let paths = app.get("/api/openapi.json").await.body["paths"].clone();
    for (path, method) in [
        ("/sla_policies", "get"),
        ("/sla_policies", "post"),
        ("/sla_policies/{id}", "put"),
        ("/sla_policies/{id}", "delete"),
        ("/conversations/{id}/sla", "post"),
        ("/conversations/{id}/sla", "delete"),
        ("/teams/{id}/office_hours", "get"),
        ("/teams/{id}/office_hours", "put"),
        ("/teams/{id}/office_hours", "delete"),
    ] {
        assert!(paths[path][method].is_object(), "{method} {path} is not documented");
    }
}
