//! One customer across channels through the API: a contact's further identifiers, user→user
//! merges with their preview, conversation merges, and issue 5's scenario with the VIP user logged
//! into the messenger under a secondary email. Every test runs on SQLite and PostgreSQL.
mod common;
mod messenger_support;

use axum::http::{Method, StatusCode};
use chrono::TimeZone;
use common::TestApp;
use messenger_support::{as_visitor, boot, Visitor};
use rapport_core::identity::user_hash;
use rapport_core::ids::{ContactId, ConversationId};
use serde_json::{json, Value};

async fn contact(app: &TestApp, body: Value) -> String {
    let r = app.post("/api/contacts", body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["id"].as_str().unwrap().to_string()
}

fn identity_values(list: &Value) -> Vec<(String, String, bool)> {
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let kind = i["identity_type"].as_str().unwrap().to_string();
            (kind, i["value"].as_str().unwrap().to_string(), i["verified"].as_bool().unwrap())
        })
        .collect()
}

#[tokio::test]
async fn identities_are_listed_added_and_removed_and_conflicts_write_nothing() {
    for app in TestApp::all().await {
        let ann = contact(&app, json!({"role": "user", "email": "ann@corp.example", "external_id": "u-1"})).await;
        let bob = contact(&app, json!({"role": "user", "email": "bob@corp.example"})).await;
        let path = format!("/api/contacts/{ann}/identities");
        let r = app.post(&path, json!({"identity_type": "email", "value": " Ann@Home.Example "})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(
            (r.body["type"].as_str(), r.body["value"].as_str()),
            (Some("contact_identity"), Some("ann@home.example"))
        );
        let home = r.body["id"].as_str().unwrap().to_string();
        let r = app.post(&path, json!({"identity_type": "phone", "value": "+1 555 0100", "verified": false})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);

        let listed = app.get(&path).await;
        assert_eq!(
            identity_values(&listed.body),
            [("email".into(), "ann@home.example".into(), true), ("phone".into(), "+1 555 0100".into(), false)]
        );
        // The contact JSON carries them next to the unchanged Intercom fields.
        let shown = app.get(&format!("/api/contacts/{ann}")).await.body;
        assert_eq!(shown["email"], "ann@corp.example");
        assert_eq!(identity_values(&shown["identities"]).len(), 2);

        // Refusals: another contact's primary, another's identifier, its own primary, bad input.
        for (body, status) in [
            (json!({"identity_type": "email", "value": "bob@corp.example"}), StatusCode::CONFLICT),
            (json!({"identity_type": "email", "value": "ANN@corp.example"}), StatusCode::CONFLICT),
            (json!({"identity_type": "external_id", "value": "u-1"}), StatusCode::CONFLICT),
            (json!({"identity_type": "email", "value": "not-an-email"}), StatusCode::BAD_REQUEST),
            (json!({"identity_type": "fax", "value": "1"}), StatusCode::BAD_REQUEST),
            (json!({"value": "x@y.example"}), StatusCode::BAD_REQUEST),
        ] {
            let r = app.post(&path, body.clone()).await;
            assert_eq!(r.status, status, "{body}: {}", r.text);
            assert_eq!(r.body["type"], "error.list");
        }
        let r = app
            .post(
                &format!("/api/contacts/{bob}/identities"),
                json!({"identity_type": "email", "value": "ann@home.example"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
        assert!(r.text.contains(&format!("id={ann}")), "{}", r.text);
        assert_eq!(identity_values(&app.get(&format!("/api/contacts/{bob}/identities")).await.body).len(), 0);
        assert_eq!(identity_values(&app.get(&path).await.body).len(), 2);

        // Another workspace cannot see or remove them.
        let other = app.other_workspace().await;
        assert_eq!(other.get(&path).await.status, StatusCode::NOT_FOUND);
        assert_eq!(other.delete(&format!("{path}/{home}")).await.status, StatusCode::NOT_FOUND);

        let r = app.delete(&format!("{path}/{home}")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["deleted"], true);
        assert_eq!(app.delete(&format!("{path}/{home}")).await.status, StatusCode::NOT_FOUND);
        assert_eq!(identity_values(&app.get(&path).await.body), [("phone".into(), "+1 555 0100".into(), false)]);
    }
}

#[tokio::test]
async fn a_user_merges_into_a_user_with_a_preview_of_the_conflicts() {
    for app in TestApp::all().await {
        let old = contact(
            &app,
            json!({"role": "user", "email": "ann@home.example", "external_id": "legacy-7", "name": "Ann B",
                   "phone": "+1 555 0100"}),
        )
        .await;
        let new = contact(
            &app,
            json!({"role": "user", "email": "ann@corp.example", "external_id": "u-42", "name": "Ann Bell"}),
        )
        .await;
        let r =
            app.post("/api/conversations", json!({"from": {"type": "user", "id": old}, "body": "Old question"})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let tag = app.post("/api/tags", json!({"name": "Early adopter"})).await.body["id"].clone();
        assert_eq!(app.post(&format!("/api/contacts/{old}/tags"), json!({"id": tag})).await.status, StatusCode::OK);

        let preview = app.post("/api/contacts/merge", json!({"from": old, "into": new, "dry_run": true})).await;
        assert_eq!(preview.status, StatusCode::OK, "{}", preview.text);
        assert_eq!(preview.body["type"], "contact_merge_preview");
        let fields: Vec<&str> =
            preview.body["conflicts"].as_array().unwrap().iter().map(|c| c["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["name", "email", "external_id"]);
        assert_eq!(preview.body["result"]["phone"], "+1 555 0100");
        assert_eq!(preview.body["moves"]["conversations"], 1);
        assert_eq!(preview.body["moves"]["tags"], 1);
        // The preview wrote nothing.
        assert_eq!(app.get(&format!("/api/contacts/{old}")).await.status, StatusCode::OK);

        let r = app.post("/api/contacts/merge", json!({"from": old, "into": new})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!((r.body["id"].as_str(), r.body["email"].as_str()), (Some(new.as_str()), Some("ann@corp.example")));
        assert_eq!(r.body["phone"], "+1 555 0100");
        assert_eq!(r.body["tags"]["total_count"], 1);
        assert_eq!(
            identity_values(&r.body["identities"]),
            [("email".into(), "ann@home.example".into(), true), ("external_id".into(), "legacy-7".into(), true)]
        );
        assert_eq!(app.get(&format!("/api/contacts/{old}")).await.status, StatusCode::NOT_FOUND);

        // Refusals: into itself, from or into a merged contact, into a lead.
        let lead = contact(&app, json!({"role": "lead"})).await;
        for (from, into) in [(&new, &new), (&old, &new), (&new, &old), (&new, &lead)] {
            let r = app.post("/api/contacts/merge", json!({"from": from, "into": into})).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{from} into {into}: {}", r.text);
            assert_eq!(r.error_code(), "parameter_invalid");
        }
    }
}

#[tokio::test]
async fn a_conversation_folds_into_another_and_the_source_points_there() {
    for app in TestApp::all().await {
        let ann = contact(&app, json!({"role": "user", "email": "ann@corp.example"})).await;
        let start = |body: &'static str| {
            let app = &app;
            let ann = ann.clone();
            async move {
                let r =
                    app.post("/api/conversations", json!({"from": {"type": "user", "id": ann}, "body": body})).await;
                assert_eq!(r.status, StatusCode::OK, "{}", r.text);
                r.body["conversation_id"].as_str().unwrap().parse::<ConversationId>().unwrap()
            }
        };
        let first = start("Invoice is wrong").await;
        let second = start("Also, the invoice PDF is empty").await;
        rapport_store::testing::backdate_conversation(&app.db, first, 1_700_000_000).await;
        rapport_store::testing::backdate_conversation(&app.db, second, 1_700_000_100).await;

        let r = app.post(&format!("/api/conversations/{second}/merge"), json!({"from_conversation_id": first})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let parts = r.body["conversation_parts"]["conversation_parts"].as_array().unwrap();
        let bodies: Vec<&str> = parts.iter().map(|p| p["body"].as_str().unwrap_or("")).collect();
        assert!(bodies.iter().any(|b| b.contains("Invoice is wrong")), "{bodies:?}");
        let note = parts.last().unwrap();
        assert_eq!(note["part_type"], "note");
        assert!(note["body"].as_str().unwrap().contains(&format!("#{first}")), "{note}");

        let source = app.get(&format!("/api/conversations/{first}")).await;
        assert_eq!(source.body["state"], "closed");
        assert_eq!(source.body["merged_into"]["id"], second.to_string());
        // A reply to the source is refused with the target's id; merging again is refused.
        let r = app
            .post(
                &format!("/api/conversations/{first}/reply"),
                json!({"message_type": "comment", "type": "admin", "admin_id": app.owner.id.to_string(), "body": "hi"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
        assert!(r.text.contains(&format!("conversation {second}")), "{}", r.text);
        for (target, from) in [(second, first), (second, second), (first, second)] {
            let r =
                app.post(&format!("/api/conversations/{target}/merge"), json!({"from_conversation_id": from})).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{from} into {target}: {}", r.text);
        }
        let r = app.post(&format!("/api/conversations/{second}/merge"), json!({})).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
    }
}

const NY: chrono_tz::Tz = chrono_tz::America::New_York;

fn ny(y: i32, m: u32, d: u32, h: u32, min: u32) -> i64 {
    NY.with_ymd_and_hms(y, m, d, h, min, 0).single().unwrap().timestamp()
}

/// Issue 5's scenario: the VIP company's user is known by a primary email, but writes through the
/// messenger logged in (user_hash verified) under a secondary email at 16:55 on a Friday.
#[tokio::test]
async fn the_vip_user_under_a_secondary_email_is_routed_to_vip_with_the_sla_in_business_hours() {
    for app in TestApp::all().await {
        rapport_store::testing::set_timezone(&app.db, app.workspace.id, "America/New_York").await;
        let day = json!([[540, 1020]]);
        let hours = json!({"mon": day, "tue": day, "wed": day, "thu": day, "fri": day});
        let r = app.put("/api/messenger/settings", json!({"office_hours": hours, "identity_enforced": true})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let vip =
            app.post("/api/teams", json!({"name": "VIP"})).await.body["id"].as_str().unwrap().parse::<i64>().unwrap();
        let policy = app.post("/api/sla_policies", json!({"name": "VIP", "first_response_seconds": 300})).await;
        let policy: i64 = policy.body["id"].as_str().unwrap().parse().unwrap();
        let rules = json!([{"id": "vip", "name": "Enterprise to VIP", "stop_processing": true,
            "conditions": {"field": "company.plan", "op": "eq", "value": "enterprise"},
            "actions": [{"type": "assign_team", "team_id": vip}, {"type": "apply_sla", "policy_id": policy}]}]);
        assert_eq!(app.put("/api/assignment_rules", json!({"rules": rules})).await.status, StatusCode::OK);
        assert_eq!(app.post("/api/assignment_rules/publish", json!({})).await.status, StatusCode::OK);

        let cto = contact(&app, json!({"role": "user", "email": "cto@enterprise.example", "external_id": "cto"})).await;
        let company =
            app.post("/api/companies", json!({"company_id": "acme", "name": "Acme", "plan": "enterprise"})).await;
        let company = company.body["id"].as_str().unwrap().to_string();
        assert_eq!(
            app.post(&format!("/api/contacts/{cto}/companies"), json!({"id": company})).await.status,
            StatusCode::OK
        );
        let r = app
            .post(
                &format!("/api/contacts/{cto}/identities"),
                json!({"identity_type": "email", "value": "jane@personal.example"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);

        // An unsigned boot under that email is refused (identity verification is enforced) …
        let secret = app.workspace.identity_secret.clone();
        let unsigned = boot(&app, json!({"app_id": app.workspace.app_id, "email": "jane@personal.example"})).await;
        assert_eq!(unsigned.status, StatusCode::UNAUTHORIZED);
        // … the signed one is the VIP user, whose primary email stays.
        let r = boot(
            &app,
            json!({"app_id": app.workspace.app_id, "email": "Jane@Personal.example",
                   "user_hash": user_hash(&secret, "Jane@Personal.example")}),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["contact"]["id"].as_i64().unwrap().to_string(), cto);
        let visitor = Visitor {
            token: r.body["visitor_token"].as_str().unwrap().to_string(),
            contact_id: ContactId::new(r.body["contact"]["id"].as_i64().unwrap()),
        };
        assert_eq!(app.get(&format!("/api/contacts/{cto}")).await.body["email"], "cto@enterprise.example");
        assert_eq!(rapport_store::contacts::count(&app.db, app.workspace.id).await.unwrap(), 1);

        let r = as_visitor(
            &app,
            &visitor,
            Method::POST,
            "/messenger/conversations",
            Some(json!({"body": "Production is down", "client_id": "c-1"})),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let id = ConversationId::new(r.body["conversation"]["id"].as_i64().unwrap());
        let c = app.get(&format!("/api/conversations/{id}")).await.body;
        assert_eq!(c["team_assignee_id"], vip, "routed to the VIP team: {c}");
        assert_eq!(c["sla_applied"]["sla_name"], "VIP");

        // Friday 8 March 2024, 16:55 in New York: due 17:00, at risk from 16:59, flagged before breach.
        rapport_store::testing::backdate_conversation(&app.db, id, ny(2024, 3, 8, 16, 55)).await;
        rapport_store::sla::sweep(&app.db, ny(2024, 3, 8, 16, 55), 500).await.unwrap();
        let c = app.get(&format!("/api/conversations/{id}")).await.body;
        let run = &c["sla_state"]["targets"][0];
        assert_eq!(c["sla_state"]["state"], "on_track");
        assert_eq!(run["due_at"].as_i64(), Some(ny(2024, 3, 8, 17, 0)));
        assert_eq!(run["at_risk_at"].as_i64(), Some(ny(2024, 3, 8, 16, 59)));
        rapport_store::sla::sweep(&app.db, ny(2024, 3, 8, 16, 59), 500).await.unwrap();
        let c = app.get(&format!("/api/conversations/{id}")).await.body;
        assert_eq!(c["sla_state"]["state"], "at_risk");
        let events = rapport_store::event_log::after(&app.db, app.workspace.id, 0, 10_000).await.unwrap();
        let sla: Vec<&str> = events.iter().filter(|e| e.kind.starts_with("sla.")).map(|e| e.kind.as_str()).collect();
        assert_eq!(sla, ["sla.at_risk"], "flagged at risk before any breach");
    }
}
