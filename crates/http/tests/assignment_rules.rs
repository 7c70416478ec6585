//! Assignment rules through the API: draft, publish, versions, restore, audit, roles, refused
//! input, the live path (REST create, messenger, run_assignment_rules), the simulator, the impact
//! preview and the conflict analysis. Every test runs on SQLite and PostgreSQL.
mod common;
mod messenger_support;

use axum::http::{Method, StatusCode};
use common::TestApp;
use rapport_core::admin::AdminRole;
use rapport_core::ids::AdminId;
use serde_json::{json, Value};

async fn team(app: &TestApp, name: &str, method: &str, admin_ids: &[AdminId]) -> i64 {
    let ids: Vec<String> = admin_ids.iter().map(|i| i.to_string()).collect();
    let r = app.post("/api/teams", json!({"name": name, "distribution_method": method, "admin_ids": ids})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["id"].as_str().unwrap().parse().unwrap()
}

fn rules(vip: i64, general: i64) -> Value {
    json!([
        {"id": "vip", "name": "Enterprise to VIP", "stop_processing": true,
         "conditions": {"all": [{"field": "company.plan", "op": "eq", "value": "enterprise"}]},
         "actions": [{"type": "assign_team", "team_id": vip}]},
        {"id": "refunds", "name": "Refunds", "stop_processing": false,
         "conditions": {"field": "conversation.text", "op": "regex", "value": "refund(ed|s)?"},
         "actions": [{"type": "tag", "tag": "billing"}]},
        {"id": "general", "name": "Everyone else", "actions": [{"type": "assign_team", "team_id": general}]}
    ])
}

/// A user of a company on `plan`, through the API; returns the contact id.
async fn customer(app: &TestApp, email: &str, plan: &str) -> String {
    let r = app.post("/api/contacts", json!({"role": "user", "email": email})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let contact = r.body["id"].as_str().unwrap().to_string();
    let r = app.post("/api/companies", json!({"company_id": email, "name": email, "plan": plan})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let company = r.body["id"].as_str().unwrap().to_string();
    let r = app.post(&format!("/api/contacts/{contact}/companies"), json!({"id": company})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    contact
}

async fn start(app: &TestApp, contact: &str, body: &str) -> Value {
    let r = app.post("/api/conversations", json!({"from": {"type": "user", "id": contact}, "body": body})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let id = r.body["conversation_id"].as_str().unwrap().to_string();
    app.get(&format!("/api/conversations/{id}")).await.body
}

#[tokio::test]
async fn draft_publish_versions_restore_and_audit() {
    for app in TestApp::all().await {
        let vip = team(&app, "VIP", "manual", &[]).await;
        let general = team(&app, "General", "manual", &[]).await;
        let r = app.get("/api/assignment_rules").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!((r.body["rules"].clone(), r.body["live_version"].clone()), (json!([]), Value::Null));

        let r = app.put("/api/assignment_rules", json!({"rules": rules(vip, general)})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["type"], "assignment_rules.draft");
        assert_eq!(r.body["rules"][0]["enabled"], true, "read back in canonical form");
        let r = app.post("/api/assignment_rules/publish", json!({})).await;
        assert_eq!((r.status, r.body["version"].as_i64()), (StatusCode::OK, Some(1)), "{}", r.text);

        let r = app.put("/api/assignment_rules", json!({"rules": []})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(app.post("/api/assignment_rules/publish", json!({})).await.body["version"], 2);
        let r = app.get("/api/assignment_rules/versions").await;
        let versions: Vec<i64> =
            r.body["data"].as_array().unwrap().iter().map(|v| v["version"].as_i64().unwrap()).collect();
        assert_eq!(versions, [2, 1]);

        let r = app.post("/api/assignment_rules/versions/1/restore", json!({})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["rules"].as_array().unwrap().len(), 3);
        assert_eq!(r.body["live_version"], 2);
        let r = app.post("/api/assignment_rules/versions/7/restore", json!({})).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);

        let r = app.get("/api/assignment_rules/audit?per_page=2").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let data = r.body["data"].as_array().unwrap();
        assert_eq!((data[0]["action"].as_str(), data[1]["action"].as_str()), (Some("restored"), Some("published")));
        assert_eq!(data[0]["admin_id"], app.owner.id.to_string());
        assert_eq!(data[0]["diff"]["added"], json!(["vip", "refunds", "general"]));
        let next = r.body["pages"]["next"]["starting_after"].as_str().unwrap();
        let r = app.get(&format!("/api/assignment_rules/audit?per_page=10&starting_after={next}")).await;
        let actions: Vec<&str> =
            r.body["data"].as_array().unwrap().iter().map(|a| a["action"].as_str().unwrap()).collect();
        assert_eq!(actions, ["draft_updated", "published", "draft_updated"]);
        assert_eq!(app.get("/api/assignment_rules/audit?per_page=0").await.error_code(), "parameter_invalid");

        // Another workspace sees none of it.
        let other = app.other_workspace().await;
        assert_eq!(other.get("/api/assignment_rules/versions").await.body["data"], json!([]));
    }
}

#[tokio::test]
async fn invalid_rules_are_refused_with_their_path_and_change_nothing_and_agents_cannot_edit() {
    for app in TestApp::all().await {
        let vip = team(&app, "VIP", "manual", &[]).await;
        let r = app.put("/api/assignment_rules", json!({"rules": rules(vip, vip)})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let before = app.get("/api/assignment_rules").await.body;
        let bad = [
            (
                json!([{"id": "a", "name": "A", "actions": [{"type": "assign_team", "team_id": 999999}]}]),
                "rules[0].actions[0]",
            ),
            (
                json!([{"id": "a", "name": "A", "actions": [{"type": "tag", "tag": "x"}],
                        "conditions": {"any": [{"field": "contact.role", "op": "eq", "value": "user"},
                                               {"field": "conversation.text", "op": "regex", "value": "("}]}}]),
                "rules[0].conditions.any[1]",
            ),
            (json!([{"id": "a", "name": "A", "actions": [{"type": "teleport"}]}]), "rules[0].actions[0]"),
            (json!("all of them"), "rules"),
        ];
        for (rules, path) in bad {
            let r = app.put("/api/assignment_rules", json!({ "rules": rules })).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
            assert_eq!(r.error_code(), "parameter_invalid");
            let message = r.body["errors"][0]["message"].as_str().unwrap();
            assert!(message.starts_with(path), "{message}");
        }
        assert_eq!(app.get("/api/assignment_rules").await.body, before);
        assert_eq!(app.get("/api/assignment_rules/audit").await.body["data"].as_array().unwrap().len(), 1);

        let (_, agent) = app.teammate("agent@example.com", AdminRole::Agent).await;
        for (method, path, body) in [
            (Method::PUT, "/api/assignment_rules", Some(json!({"rules": []}))),
            (Method::POST, "/api/assignment_rules/publish", None),
            (Method::POST, "/api/assignment_rules/versions/1/restore", None),
        ] {
            let r = app.request_as(Some(&agent), method, path, body).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}: {}", r.text);
        }
        // Agents may read and simulate.
        let r = app.request_as(Some(&agent), Method::GET, "/api/assignment_rules", None).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(app.get("/api/assignment_rules/versions").await.body["data"].as_array().unwrap().is_empty());
    }
}

#[tokio::test]
async fn published_rules_route_rest_and_messenger_conversations_and_run_on_demand() {
    for app in TestApp::all().await {
        let (agent, _) = app.teammate("agent@example.com", AdminRole::Agent).await;
        let vip = team(&app, "VIP", "round_robin", &[agent.id]).await;
        let general = team(&app, "General", "manual", &[]).await;
        app.put("/api/assignment_rules", json!({"rules": rules(vip, general)})).await;
        app.post("/api/assignment_rules/publish", json!({})).await;

        let big = customer(&app, "cto@big.example", "enterprise").await;
        let c = start(&app, &big, "Everything is on fire").await;
        assert_eq!(c["team_assignee_id"], vip);
        assert_eq!(c["admin_assignee_id"], agent.id.get());

        let small = customer(&app, "me@small.example", "free").await;
        let c = start(&app, &small, "I want a refund").await;
        assert_eq!(c["team_assignee_id"], general);
        let tags: Vec<&str> =
            c["tags"]["tags"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
        assert_eq!(tags, ["billing"]);

        // The messenger path: an anonymous lead falls through to the general team.
        let visitor = messenger_support::lead(&app).await;
        let id = messenger_support::start(&app, &visitor, "hello from the widget", "c-1").await;
        let c = app.get(&format!("/api/conversations/{id}")).await.body;
        assert_eq!(c["team_assignee_id"], general);

        // Moved by hand, then run on demand: the rules put it back.
        let r = app
            .post(
                &format!("/api/conversations/{id}/parts"),
                json!({"message_type": "assignment", "type": "team", "admin_id": app.owner.id.to_string(),
                       "assignee_id": vip.to_string()}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let r = app.post(&format!("/api/conversations/{id}/run_assignment_rules"), json!({})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["team_assignee_id"], general);
        let r = app.post("/api/conversations/999999/run_assignment_rules", json!({})).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn the_simulator_explains_and_the_impact_preview_counts_differences() {
    for app in TestApp::all().await {
        let vip = team(&app, "VIP", "manual", &[]).await;
        let general = team(&app, "General", "manual", &[]).await;
        // Live: everything to general. Draft: enterprise to VIP first.
        let live = json!([{"id": "general", "name": "Everyone else", "actions": [{"type": "assign_team", "team_id": general}]}]);
        app.put("/api/assignment_rules", json!({"rules": live})).await;
        app.post("/api/assignment_rules/publish", json!({})).await;
        let big = customer(&app, "cto@big.example", "enterprise").await;
        let small = customer(&app, "me@small.example", "free").await;
        let big_conversation = start(&app, &big, "Help").await;
        start(&app, &small, "Help").await;
        start(&app, &small, "Help again").await;
        app.put("/api/assignment_rules", json!({"rules": rules(vip, general)})).await;

        let sample = json!({"sample": {"conversation": {"text": "please refund me"}, "company": {"plan": "free"}}});
        let r = app.post("/api/assignment_rules/simulate", sample).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let trace = &r.body["trace"];
        assert_eq!(trace["rules"][0]["outcome"], "not_matched");
        assert_eq!(trace["rules"][0]["failure"]["path"], "conditions.all[0]");
        assert_eq!(trace["rules"][0]["failure"]["actual"], "free");
        assert_eq!(trace["rules"][1]["outcome"], "matched");
        assert_eq!(trace["assignee"]["team_id"], general);
        // The trace says the detected language: three words are too few to call.
        assert_eq!(trace["language"], "unknown");

        // A language rule: a French sample goes to VIP, and a bad code is refused with its path.
        let french = json!([{"id": "fr", "name": "French", "actions": [{"type": "assign_team", "team_id": vip}],
            "conditions": {"field": "conversation.language", "op": "eq", "value": "fr"}}]);
        let r = app.put("/api/assignment_rules", json!({"rules": french})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let sample =
            json!({"sample": {"conversation": {"text": "Bonjour, ma facture est fausse depuis le mois dernier."}}});
        let r = app.post("/api/assignment_rules/simulate", sample).await;
        assert_eq!(
            (r.body["trace"]["language"].as_str(), r.body["trace"]["assignee"]["team_id"].as_i64()),
            (Some("fr"), Some(vip)),
            "{}",
            r.text
        );
        let bad = json!([{"id": "fr", "name": "French", "actions": [{"type": "assign_team", "team_id": vip}],
            "conditions": {"field": "conversation.language", "op": "eq", "value": "french"}}]);
        let r = app.put("/api/assignment_rules", json!({"rules": bad})).await;
        assert_eq!(r.error_code(), "parameter_invalid", "{}", r.text);
        assert!(
            r.body["errors"][0]["message"].as_str().unwrap().starts_with("rules[0].conditions: conversation.language"),
            "{}",
            r.text
        );
        app.put("/api/assignment_rules", json!({"rules": rules(vip, general)})).await;

        let id = big_conversation["id"].as_str().unwrap();
        let r = app.post("/api/assignment_rules/simulate", json!({"conversation_id": id})).await;
        assert_eq!(r.body["trace"]["assignee"]["team_id"], vip, "{}", r.text);
        assert_eq!(r.body["rules"], "draft");
        let r = app.post("/api/assignment_rules/simulate", json!({"conversation_id": id, "rules": "live"})).await;
        assert_eq!(r.body["trace"]["assignee"]["team_id"], general, "{}", r.text);
        let r = app.post("/api/assignment_rules/simulate", json!({})).await;
        assert_eq!(r.error_code(), "parameter_invalid");

        let r = app.post("/api/assignment_rules/impact", json!({"count": 100})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!((r.body["replayed"].as_i64(), r.body["different"].as_i64()), (Some(3), Some(1)), "{}", r.text);
        assert_eq!(r.body["examples"][0]["conversation_id"], id);
        assert_eq!(r.body["examples"][0]["draft"]["assignee"]["team_id"], vip);
        assert_eq!(r.body["truncated"], false);
        assert_eq!(
            app.post("/api/assignment_rules/impact", json!({"count": 0})).await.error_code(),
            "parameter_invalid"
        );
        // A time range: everything up to now, then a range before any conversation.
        let created = big_conversation["created_at"].as_i64().unwrap();
        let range = json!({"created_after": created - 3600, "created_before": created + 3600});
        let r = app.post("/api/assignment_rules/impact", range).await;
        assert_eq!((r.body["replayed"].as_i64(), r.body["different"].as_i64()), (Some(3), Some(1)), "{}", r.text);
        let r = app.post("/api/assignment_rules/impact", json!({"created_after": 1, "created_before": 1000})).await;
        assert_eq!(r.body["replayed"], 0, "{}", r.text);
        for bad in [
            json!({"created_after": 1000, "created_before": 1000}),
            json!({"created_after": 1}),
            json!({"count": 5, "created_after": 1, "created_before": 1000}),
        ] {
            assert_eq!(app.post("/api/assignment_rules/impact", bad).await.error_code(), "parameter_invalid");
        }

        // The simulation changed nothing.
        let after = app.get(&format!("/api/conversations/{id}")).await.body;
        assert_eq!(after["team_assignee_id"], general);
    }
}

#[tokio::test]
async fn conflicts_are_reported_for_the_draft() {
    for app in TestApp::all().await {
        let a = team(&app, "A", "manual", &[]).await;
        let b = team(&app, "B", "manual", &[]).await;
        let draft = json!([
            {"id": "never", "name": "Never", "conditions": {"all": [
                {"field": "conversation.channel", "op": "eq", "value": "email"},
                {"field": "conversation.channel", "op": "ne", "value": "email"}]},
             "actions": [{"type": "tag", "tag": "x"}]},
            {"id": "a-to-b", "name": "A to B", "stop_processing": false,
             "conditions": {"field": "conversation.team_assignee_id", "op": "eq", "value": a},
             "actions": [{"type": "assign_team", "team_id": b}]},
            {"id": "b-to-a", "name": "B to A", "stop_processing": false,
             "conditions": {"field": "conversation.team_assignee_id", "op": "eq", "value": b},
             "actions": [{"type": "assign_team", "team_id": a}]}
        ]);
        let r = app.put("/api/assignment_rules", json!({ "rules": draft })).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let r = app.get("/api/assignment_rules/conflicts").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let kinds: Vec<&str> = r.body["data"].as_array().unwrap().iter().map(|c| c["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["never_matches", "assignment_loop"], "{}", r.text);
    }
}
