//! Assignment rules in the store: draft, versions, audit, and the live path (rules run when a
//! conversation starts or a customer writes again in a closed one; teams distribute fairly under
//! concurrency without exceeding a teammate's capacity). Every test runs on SQLite and PostgreSQL.
use rapport_core::admin::AdminRole;
use rapport_core::conversation::Assignee;
use rapport_core::conversation::{ConversationState, PartType};
use rapport_core::ids::{AdminId, ContactId, ConversationId, TeamId, WorkspaceId};
use rapport_store::admins::NewAdmin;
use rapport_store::conversations::{self, Change, ContactRef, NewConversation};
use rapport_store::teams::TeamFields;
use rapport_store::{routing, testing, Conn, Db, Stmt, StoreError};
use serde_json::{json, Value};

async fn team(db: &Db, ws: WorkspaceId, name: &str, method: &str, limit: Option<i64>, members: &[AdminId]) -> TeamId {
    let fields = TeamFields { name: Some(name), distribution_method: Some(method), assignment_limit: Some(limit) };
    let team = rapport_store::teams::create(db, ws, fields).await.unwrap();
    for admin in members {
        rapport_store::teams::add_member(db, ws, team.id, *admin).await.unwrap();
    }
    team.id
}

async fn agents(db: &Db, ws: WorkspaceId, count: usize) -> Vec<AdminId> {
    let mut ids = Vec::new();
    for i in 0..count {
        let new = NewAdmin {
            email: &format!("agent{i}@example.com"),
            name: &format!("Agent {i}"),
            password: None,
            role: AdminRole::Agent,
            job_title: None,
        };
        ids.push(rapport_store::admins::create(db, ws, new).await.unwrap().id);
    }
    ids
}

async fn start(db: &Db, ws: WorkspaceId, contact_id: ContactId, body: &str) -> conversations::Conversation {
    let new = NewConversation { contact_id, body, subject: None, created_at: None, options: Default::default() };
    conversations::create(db, ws, new).await.unwrap().conversation
}

/// A user of a company on `plan`.
async fn customer(db: &Db, ws: WorkspaceId, email: &str, plan: &str) -> ContactId {
    let contact = testing::contact(db, ws, "user", None, Some(email)).await.unwrap();
    let mut tx = db.begin().await.unwrap();
    let company: i64 = tx
        .scalar(
            Stmt::new(
                "INSERT INTO companies (workspace_id, company_id, name, plan, monthly_spend, created_at, updated_at) \
                 VALUES ($1, $2, $2, $3, 5000, 1, 1) RETURNING id",
            )
            .arg(ws)
            .arg(format!("co-{email}"))
            .arg(plan),
        )
        .await
        .unwrap();
    let link = Stmt::new(
        "INSERT INTO contact_companies (workspace_id, contact_id, company_id, created_at) VALUES ($1, $2, $3, 1)",
    )
    .arg(ws)
    .arg(contact)
    .arg(company);
    tx.execute(link).await.unwrap();
    tx.commit().await.unwrap();
    contact
}

fn vip_rules(vip_team: TeamId, general_team: TeamId) -> Value {
    json!({"rules": [
        {"id": "vip", "name": "Enterprise to VIP", "stop_processing": true,
         "conditions": {"all": [{"field": "company.plan", "op": "eq", "value": "enterprise"}]},
         "actions": [{"type": "assign_team", "team_id": vip_team}, {"type": "tag", "tag": "vip"},
                     {"type": "set_priority", "priority": true}]},
        {"id": "general", "name": "Everyone else",
         "actions": [{"type": "assign_team", "team_id": general_team}, {"type": "add_note", "body": "Routed by rules"}]}
    ]})
}

/// The canonical form a stored rule set is read back in.
fn canonical(rules: &Value) -> Value {
    rapport_core::routing::RuleSet::parse(rules).unwrap().to_json()
}

async fn rows(db: &Db, sql: &str, ws: WorkspaceId) -> i64 {
    db.read().scalar(Stmt::new(sql.to_string()).arg(ws)).await.unwrap()
}

#[tokio::test]
async fn drafts_publish_into_numbered_versions_that_can_be_restored_with_an_audit_log() {
    for db in testing::all().await {
        let (ws, owner) = testing::workspace(&db).await;
        let vip = team(&db, ws.id, "VIP", "manual", None, &[]).await;
        let general = team(&db, ws.id, "General", "manual", None, &[]).await;
        // Before any edit the draft is empty and nothing is live.
        let draft = routing::draft(&db, ws.id).await.unwrap();
        assert_eq!((draft.rules, draft.live_version), (json!({"rules": []}), None));

        let saved = routing::save_draft(&db, ws.id, owner.id, &vip_rules(vip, general)).await.unwrap();
        assert_eq!(saved.rules["rules"].as_array().unwrap().len(), 2);
        assert_eq!(saved.updated_by, Some(owner.id));
        let v1 = routing::publish(&db, ws.id, owner.id).await.unwrap();
        assert_eq!(v1.version, 1);

        // Edit: drop the general rule, publish v2, then restore v1 into the draft.
        let mut edited = vip_rules(vip, general);
        edited["rules"].as_array_mut().unwrap().pop();
        routing::save_draft(&db, ws.id, owner.id, &edited).await.unwrap();
        assert_eq!(routing::publish(&db, ws.id, owner.id).await.unwrap().version, 2);
        assert_eq!(routing::live(&db, ws.id).await.unwrap().unwrap().rules, canonical(&edited));
        let restored = routing::restore(&db, ws.id, owner.id, 1).await.unwrap();
        assert_eq!(restored.rules, v1.rules);
        assert_eq!(restored.live_version, Some(2));
        let versions: Vec<i64> = routing::versions(&db, ws.id).await.unwrap().iter().map(|v| v.version).collect();
        assert_eq!(versions, [2, 1]);
        assert!(matches!(routing::restore(&db, ws.id, owner.id, 9).await, Err(StoreError::NotFound { .. })));

        let audit = routing::audit(&db, ws.id, None, 50).await.unwrap();
        let actions: Vec<&str> = audit.iter().map(|a| a.action.as_str()).collect();
        assert_eq!(actions, ["restored", "published", "draft_updated", "published", "draft_updated"]);
        assert_eq!(audit[0].diff["added"], json!(["general"]));
        assert_eq!(audit[2].diff["removed"], json!(["general"]));
        assert_eq!(audit[4].diff["added"], json!(["vip", "general"]));
        assert!(audit.iter().all(|a| a.admin_id == Some(owner.id)));
        // Paging.
        let older = routing::audit(&db, ws.id, Some(audit[1].id), 2).await.unwrap();
        assert_eq!(older.iter().map(|a| a.id).collect::<Vec<_>>(), [audit[2].id, audit[3].id]);

        // Another workspace sees none of it.
        let (other, _) = testing::workspace(&db).await;
        assert!(routing::versions(&db, other.id).await.unwrap().is_empty());
        assert!(routing::audit(&db, other.id, None, 50).await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn a_refused_draft_names_the_offending_path_and_changes_nothing() {
    for db in testing::all().await {
        let (ws, owner) = testing::workspace(&db).await;
        let (other, _) = testing::workspace(&db).await;
        let foreign_team = team(&db, other.id, "Theirs", "manual", None, &[]).await;
        let mine = team(&db, ws.id, "Mine", "manual", None, &[]).await;
        routing::save_draft(&db, ws.id, owner.id, &vip_rules(mine, mine)).await.unwrap();
        let audit_before = routing::audit(&db, ws.id, None, 50).await.unwrap().len();
        let cases = [
            (vip_rules(mine, foreign_team), "rules[1].actions[0]: no such team"),
            (
                json!({"rules": [{"id": "x", "name": "X", "actions": [{"type": "tag", "tag": "t"}],
                    "conditions": {"all": [{"field": "conversation.text", "op": "regex", "value": "(("}]}}]}),
                "rules[0].conditions.all[0]: invalid regex",
            ),
            (
                json!({"rules": [{"id": "x", "name": "X", "actions": [{"type": "assign_teammate", "admin_id": 99999}]}]}),
                "rules[0].actions[0]: no such admin",
            ),
        ];
        for (rules, message) in cases {
            match routing::save_draft(&db, ws.id, owner.id, &rules).await {
                Err(StoreError::Invalid(m)) => assert!(m.starts_with(message), "{m}"),
                other => panic!("expected Invalid, got {other:?}"),
            }
        }
        assert_eq!(routing::draft(&db, ws.id).await.unwrap().rules, canonical(&vip_rules(mine, mine)));
        assert_eq!(routing::audit(&db, ws.id, None, 50).await.unwrap().len(), audit_before);
    }
}

#[tokio::test]
async fn live_rules_route_new_conversations_and_customers_writing_again() {
    for db in testing::all().await {
        let (ws, owner) = testing::workspace(&db).await;
        let staff = agents(&db, ws.id, 2).await;
        let vip = team(&db, ws.id, "VIP", "round_robin", None, &staff).await;
        let general = team(&db, ws.id, "General", "manual", None, &[]).await;
        let big = customer(&db, ws.id, "cto@bigco.example", "enterprise").await;
        let small = customer(&db, ws.id, "me@tiny.example", "free").await;

        // Nothing published: nothing happens.
        let c = start(&db, ws.id, big, "Hello").await;
        assert_eq!((c.team_assignee_id, c.admin_assignee_id), (None, None));

        routing::save_draft(&db, ws.id, owner.id, &vip_rules(vip, general)).await.unwrap();
        // A draft is not live.
        assert_eq!(start(&db, ws.id, big, "Hello").await.team_assignee_id, None);
        routing::publish(&db, ws.id, owner.id).await.unwrap();
        let seq_before = rapport_store::event_log::last_seq(&db, ws.id).await.unwrap();

        let c = start(&db, ws.id, big, "Our production is down").await;
        assert_eq!(c.team_assignee_id, Some(vip));
        assert_eq!(c.admin_assignee_id, Some(staff[0]), "round robin starts with the first teammate");
        assert!(c.priority);
        let tags = rapport_store::tags::tags_of(&db, ws.id, rapport_store::tags::Target::Conversation, &[c.id.get()])
            .await
            .unwrap();
        assert_eq!(tags.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["vip"]);
        // The actions went through the event log like a teammate's.
        let events = rapport_store::event_log::after(&db, ws.id, seq_before, 100).await.unwrap();
        let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
        assert!(kinds.contains(&"conversation.created"), "{kinds:?}");
        assert!(kinds.iter().filter(|k| **k == "conversation_part.created").count() >= 2, "{kinds:?}");

        let next = start(&db, ws.id, big, "Still down").await;
        assert_eq!(next.admin_assignee_id, Some(staff[1]));

        // The general rule: team only (manual), plus a note.
        let c2 = start(&db, ws.id, small, "How do I export?").await;
        assert_eq!((c2.team_assignee_id, c2.admin_assignee_id), (Some(general), None));
        let notes = rows(
            &db,
            &format!("SELECT COUNT(*) FROM conversation_parts WHERE workspace_id = $1 AND conversation_id = {} AND part_type = 'note'", c2.id),
            ws.id,
        )
        .await;
        assert_eq!(notes, 1);

        // Closed, reassigned by hand, then the customer writes again: the rules run again.
        let closed = conversations::reply_or_act(&db, ws.id, c.id, Change::Close { admin_id: owner.id, body: None })
            .await
            .unwrap();
        let moved = conversations::reply_or_act(
            &db,
            ws.id,
            closed.id,
            Change::Assign {
                admin_id: owner.id,
                assignee: rapport_core::conversation::Assignee::Team(general),
                body: None,
            },
        )
        .await
        .unwrap();
        assert_eq!(moved.team_assignee_id, Some(general));
        let again = conversations::reply_or_act(
            &db,
            ws.id,
            c.id,
            Change::ContactReply { contact: ContactRef::Id(big), body: "It is down again" },
        )
        .await
        .unwrap();
        assert_eq!((again.state.as_str(), again.team_assignee_id), ("open", Some(vip)));
        // A reply in an open conversation does not re-route.
        let manual = conversations::reply_or_act(
            &db,
            ws.id,
            c.id,
            Change::Assign {
                admin_id: owner.id,
                assignee: rapport_core::conversation::Assignee::Team(general),
                body: None,
            },
        )
        .await
        .unwrap();
        let kept = conversations::reply_or_act(
            &db,
            ws.id,
            manual.id,
            Change::ContactReply { contact: ContactRef::Id(big), body: "Any news?" },
        )
        .await
        .unwrap();
        assert_eq!(kept.team_assignee_id, Some(general));

        // On demand, authored by the caller.
        let applied = routing::run(&db, ws.id, c.id, Some(owner.id)).await.unwrap().unwrap();
        assert_eq!(applied.version, 1);
        assert_eq!(applied.conversation.unwrap().team_assignee_id, Some(vip));
    }
}

#[tokio::test]
async fn away_teammates_and_full_ones_get_nothing() {
    for db in testing::all().await {
        let (ws, owner) = testing::workspace(&db).await;
        let staff = agents(&db, ws.id, 3).await;
        let support = team(&db, ws.id, "Support", "balanced", Some(1), &staff).await;
        testing::write(
            &db,
            Stmt::new("UPDATE admins SET away_mode_enabled = $2 WHERE id = $1").arg(staff[1]).arg(true),
        )
        .await
        .unwrap();
        let rules =
            json!({"rules": [{"id": "all", "name": "All", "actions": [{"type": "assign_team", "team_id": support}]}]});
        routing::save_draft(&db, ws.id, owner.id, &rules).await.unwrap();
        routing::publish(&db, ws.id, owner.id).await.unwrap();
        let someone = testing::contact(&db, ws.id, "lead", None, None).await.unwrap();
        let mut assigned = Vec::new();
        for _ in 0..3 {
            let c = start(&db, ws.id, someone, "hi").await;
            assert_eq!(c.team_assignee_id, Some(support));
            assigned.push(c.admin_assignee_id);
        }
        // Limit 1 each, the second teammate away: two get one each, the third waits on the team.
        assert_eq!(assigned, [Some(staff[0]), Some(staff[2]), None]);
    }
}

/// Inserts `count` open conversations of `contact` already assigned to `admin` in `team` (one
/// statement: setup for load tests).
async fn preload(db: &Db, ws: WorkspaceId, contact: ContactId, team: TeamId, admin: AdminId, count: usize) {
    let rows: Vec<String> = (0..count)
        .map(|n| {
            format!(
                "({ws}, {contact}, 'open', 'conversation', 'customer_initiated', 'earlier {n}', 'user', {contact}, \
                 {team}, {admin}, {t}, {t})",
                t = 1_700_000_000 + n
            )
        })
        .collect();
    let sql = format!(
        "INSERT INTO conversations (workspace_id, contact_id, state, source_type, source_delivered_as, source_body, \
         source_author_type, source_author_id, team_assignee_id, admin_assignee_id, created_at, updated_at) VALUES {}",
        rows.join(", ")
    );
    testing::write(db, Stmt::new(sql).once()).await.unwrap();
}

async fn set_away(db: &Db, ws: WorkspaceId, admin: AdminId) {
    rapport_store::admins::set_away(db, ws, admin, true, false, None).await.unwrap();
}

/// 1,000 conversations arriving at once (1,000 tokio tasks spawned together, at most
/// `IN_FLIGHT` (64) inside the store at a time) through a live rule set that sends a third each to a
/// round-robin team, a balanced team and a balanced team with a small capacity; each team has a
/// teammate away or already loaded. Every conversation arrives once and lands on its team; round
/// robin spreads evenly (counts differ by at most 1), balanced levels the open counts
/// (max − min ≤ 1), nobody goes above capacity, nobody away gets one, and no conversation is
/// assigned to a teammate twice.
///
/// Why a bound: with all 1,000 inside the store at once, PostgreSQL's pool (16 connections, 10 s
/// acquire timeout) makes late arrivals wait more than 10 s in the debug build on a loaded
/// 2-core machine, and they fail with `PoolTimedOut` before writing anything — load shedding, not
/// a routing error; 64 in flight is four times the pool and keeps every arrival concurrent with
/// dozens of others. (A conversation stored whose rules then failed stays owed and is routed by
/// `routing::run_overdue`, tested below.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_arrivals_are_spread_fairly_within_capacity() {
    const IN_FLIGHT: usize = 64;
    for db in testing::all().await {
        let (ws, owner) = testing::workspace(&db).await;
        let staff = agents(&db, ws.id, 11).await;
        let (round_staff, rest) = staff.split_at(4);
        let (balanced_staff, capped_staff) = rest.split_at(4);
        let round = team(&db, ws.id, "Round", "round_robin", None, round_staff).await;
        let balanced = team(&db, ws.id, "Balanced", "balanced", Some(250), balanced_staff).await;
        let capped = team(&db, ws.id, "Capped", "balanced", Some(100), capped_staff).await;
        // One away in each uncapped team; the first balanced teammate already holds 50.
        set_away(&db, ws.id, round_staff[1]).await;
        set_away(&db, ws.id, balanced_staff[2]).await;
        let someone = testing::contact(&db, ws.id, "lead", None, None).await.unwrap();
        preload(&db, ws.id, someone, balanced, balanced_staff[0], 50).await;
        let rules = json!({"rules": [
            {"id": "rr", "name": "Round robin", "conditions": {"field": "conversation.text", "op": "starts_with", "value": "round"},
             "actions": [{"type": "assign_team", "team_id": round}]},
            {"id": "cap", "name": "Capped", "conditions": {"field": "conversation.text", "op": "starts_with", "value": "capped"},
             "actions": [{"type": "assign_team", "team_id": capped}]},
            {"id": "bal", "name": "Balanced", "actions": [{"type": "assign_team", "team_id": balanced}]}
        ]});
        routing::save_draft(&db, ws.id, owner.id, &rules).await.unwrap();
        routing::publish(&db, ws.id, owner.id).await.unwrap();

        let started = std::time::Instant::now();
        let gate = std::sync::Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT));
        let tasks: Vec<_> = (0..1000)
            .map(|i| {
                let (db, gate) = (db.clone(), gate.clone());
                tokio::spawn(async move {
                    let _inside = gate.acquire_owned().await.unwrap();
                    let body = match i % 3 {
                        0 => format!("round {i}"),
                        1 => format!("balanced {i}"),
                        _ => format!("capped {i}"),
                    };
                    (i, start(&db, ws.id, someone, &body).await)
                })
            })
            .collect();
        let mut arrived = std::collections::HashSet::new();
        for task in tasks {
            let (i, c) = task.await.unwrap();
            assert!(arrived.insert(c.id), "conversation {} returned twice", c.id);
            let expected = [round, balanced, capped][i % 3];
            assert_eq!(c.team_assignee_id, Some(expected), "conversation {i}");
        }
        eprintln!("{:?}: 1,000 concurrent arrivals routed in {:?}", db.backend(), started.elapsed());

        // What the database holds: open conversations per (team, teammate).
        let held: Vec<(Option<i64>, Option<i64>, i64)> = db
            .read()
            .fetch_all(
                Stmt::new(
                    "SELECT team_assignee_id, admin_assignee_id, COUNT(*) FROM conversations WHERE workspace_id = $1 \
                     AND state = 'open' GROUP BY team_assignee_id, admin_assignee_id",
                )
                .arg(ws.id),
            )
            .await
            .unwrap();
        let count = |team: TeamId, admin: Option<AdminId>| {
            held.iter()
                .find(|(t, a, _)| *t == Some(team.get()) && *a == admin.map(AdminId::get))
                .map(|(_, _, n)| *n)
                .unwrap_or(0)
        };
        assert_eq!(held.iter().map(|(_, _, n)| n).sum::<i64>(), 1050, "none lost: {held:?}");

        // Round robin: 334 over the 3 available teammates, 112/111/111; the away one gets none.
        let mut spread: Vec<i64> = [0, 2, 3].iter().map(|&k| count(round, Some(round_staff[k]))).collect();
        spread.sort_unstable();
        assert_eq!(spread, [111, 111, 112], "{held:?}");
        assert_eq!((count(round, Some(round_staff[1])), count(round, None)), (0, 0), "{held:?}");

        // Balanced: 50 held + 333 new over 3 available teammates levels at 128/128/127.
        let levels: Vec<i64> = [0, 1, 3].iter().map(|&k| count(balanced, Some(balanced_staff[k]))).collect();
        let (max, min) = (*levels.iter().max().unwrap(), *levels.iter().min().unwrap());
        assert!(max - min <= 1, "{levels:?}");
        assert_eq!(levels.iter().sum::<i64>(), 383, "{held:?}");
        assert_eq!((count(balanced, Some(balanced_staff[2])), count(balanced, None)), (0, 0), "{held:?}");

        // Capped at 100: the 3 teammates fill up, 33 wait on the team.
        for admin in capped_staff {
            assert_eq!(count(capped, Some(*admin)), 100, "{held:?}");
        }
        assert_eq!(count(capped, None), 33, "{held:?}");

        // No conversation assigned to a teammate twice.
        let twice = rows(
            &db,
            "SELECT COUNT(*) FROM (SELECT conversation_id FROM conversation_parts WHERE workspace_id = $1 \
             AND part_type = 'assignment' AND assigned_to_type = 'admin' GROUP BY conversation_id HAVING COUNT(*) > 1) x",
            ws.id,
        )
        .await;
        assert_eq!(twice, 0);
    }
}

/// A teammate going away with reassignment: their open conversations go back through their
/// team's distribution (capacity honoured, the away teammate skipped), snoozed ones and those of
/// a manual team go back to the team's queue, those without a team become unassigned; closed ones
/// and other teammates' stay. Each move is one assignment part that says why.
#[tokio::test]
async fn going_away_with_reassignment_hands_conversations_back() {
    for db in testing::all().await {
        let (ws, owner) = testing::workspace(&db).await;
        let staff = agents(&db, ws.id, 4).await;
        let (away, b, c, d) = (staff[0], staff[1], staff[2], staff[3]);
        let support = team(&db, ws.id, "Support", "balanced", Some(2), &[away, b, c]).await;
        let manual = team(&db, ws.id, "Manual", "manual", None, &[away, d]).await;
        let someone = testing::contact(&db, ws.id, "lead", None, None).await.unwrap();
        let by_owner = |assignee| Change::Assign { admin_id: owner.id, assignee, body: None };
        let held = |team: Option<TeamId>, admin: AdminId| {
            let db = db.clone();
            async move {
                let conversation = start(&db, ws.id, someone, "help").await;
                if let Some(team) = team {
                    conversations::reply_or_act(&db, ws.id, conversation.id, by_owner(Assignee::Team(team)))
                        .await
                        .unwrap();
                }
                conversations::reply_or_act(&db, ws.id, conversation.id, by_owner(Assignee::Admin(admin)))
                    .await
                    .unwrap()
            }
        };
        let mut supported = Vec::new();
        for _ in 0..4 {
            supported.push(held(Some(support), away).await.id);
        }
        let bs = held(Some(support), b).await.id;
        let snoozed = held(Some(support), away).await.id;
        let until = rapport_store::now() + 3600;
        conversations::reply_or_act(&db, ws.id, snoozed, Change::Snooze { admin_id: owner.id, until }).await.unwrap();
        let in_manual = held(Some(manual), away).await.id;
        let teamless = held(None, away).await.id;
        let closed = held(Some(support), away).await.id;
        conversations::reply_or_act(&db, ws.id, closed, Change::Close { admin_id: owner.id, body: None })
            .await
            .unwrap();

        rapport_store::admins::set_away(&db, ws.id, away, true, true, None).await.unwrap();
        let seq = rapport_store::event_log::last_seq(&db, ws.id).await.unwrap();
        let done = routing::reassign_away(&db, ws.id, away, owner.id).await.unwrap();
        // Support (balanced, capacity 2, b already holds 1): c, b, c take three, one waits.
        assert_eq!(done, routing::Reassigned { to_teammates: 3, to_team: 3, unassigned: 1 });
        let now = |id: ConversationId| {
            let db = db.clone();
            async move {
                let c = conversations::find(&db, ws.id, id).await.unwrap();
                (c.state, c.team_assignee_id, c.admin_assignee_id)
            }
        };
        let mut new_owners = Vec::new();
        for id in &supported {
            let (_, team, admin) = now(*id).await;
            assert_eq!(team, Some(support));
            new_owners.push(admin);
        }
        new_owners.sort_unstable();
        assert_eq!(new_owners, [None, Some(b), Some(c), Some(c)]);
        assert_eq!(now(bs).await, (ConversationState::Open, Some(support), Some(b)));
        assert_eq!(now(snoozed).await, (ConversationState::Snoozed, Some(support), None));
        assert_eq!(now(in_manual).await, (ConversationState::Open, Some(manual), None));
        assert_eq!(now(teamless).await, (ConversationState::Open, None, None));
        assert_eq!(now(closed).await, (ConversationState::Closed, Some(support), Some(away)));

        // One assignment part per move, by the owner, saying why; each is an event.
        let notes: Vec<(i64, String, i64)> = db
            .read()
            .fetch_all(
                Stmt::new(
                    "SELECT conversation_id, body, author_id FROM conversation_parts WHERE workspace_id = $1 \
                     AND part_type = 'assignment' AND body IS NOT NULL ORDER BY conversation_id",
                )
                .arg(ws.id),
            )
            .await
            .unwrap();
        let mut moved: Vec<ConversationId> = supported.clone();
        moved.extend([snoozed, in_manual, teamless]);
        assert_eq!(notes.iter().map(|n| ConversationId::new(n.0)).collect::<Vec<_>>(), moved);
        assert!(notes
            .iter()
            .all(|(_, body, author)| body == "Reassigned: Agent 0 is away" && *author == owner.id.get()));
        let events = rapport_store::event_log::after(&db, ws.id, seq, 100).await.unwrap();
        assert_eq!(events.iter().filter(|e| e.kind == "conversation_part.created").count(), 7);

        // Nothing of theirs is left: a second run moves nothing.
        let again = routing::reassign_away(&db, ws.id, away, owner.id).await.unwrap();
        assert_eq!(again, routing::Reassigned::default());
        // Another workspace's admin is not found.
        let (other, _) = testing::workspace(&db).await;
        assert!(matches!(
            routing::reassign_away(&db, other.id, away, owner.id).await,
            Err(StoreError::NotFound { .. })
        ));
    }
}

/// The simulator and the live path agree: on a generated corpus, what the live rules did to each
/// new conversation is what the simulation of the same rules on it says.
#[tokio::test]
async fn the_simulator_agrees_with_the_live_path_on_a_generated_corpus() {
    for db in testing::all().await {
        let (ws, owner) = testing::workspace(&db).await;
        let teams = [
            team(&db, ws.id, "Enterprise", "manual", None, &[]).await,
            team(&db, ws.id, "Billing", "manual", None, &[]).await,
            team(&db, ws.id, "Rest", "manual", None, &[]).await,
        ];
        let rules = json!({"rules": [
            {"id": "ent", "name": "Enterprise", "stop_processing": true,
             "conditions": {"all": [{"field": "company.plan", "op": "in", "value": ["enterprise", "scale"]},
                                    {"none": [{"field": "conversation.text", "op": "contains", "value": "spam"}]}]},
             "actions": [{"type": "assign_team", "team_id": teams[0]}, {"type": "tag", "tag": "ent"}]},
            {"id": "bill", "name": "Billing", "stop_processing": false,
             "conditions": {"any": [{"field": "conversation.text", "op": "regex", "value": "invoice|refund"},
                                    {"field": "company.monthly_spend", "op": "gt", "value": 4000}]},
             "actions": [{"type": "assign_team", "team_id": teams[1]}]},
            {"id": "low", "name": "Low spend", "stop_processing": false,
             "conditions": {"field": "company.plan", "op": "eq", "value": "free"},
             "actions": [{"type": "assign_team", "team_id": teams[2]}, {"type": "tag", "tag": "free"}]},
            {"id": "fr", "name": "French", "stop_processing": false,
             "conditions": {"field": "conversation.language", "op": "in", "value": ["fr", "de"]},
             "actions": [{"type": "tag", "tag": "europe"}]}
        ]});
        routing::save_draft(&db, ws.id, owner.id, &rules).await.unwrap();
        routing::publish(&db, ws.id, owner.id).await.unwrap();
        let live = routing::live_rules(&db, ws.id).await.unwrap();
        let plans = ["enterprise", "scale", "free", "pro"];
        let texts = [
            "my invoice",
            "spam spam",
            "hello",
            "REFUND now",
            "login broken",
            "Bonjour, je n'arrive plus à me connecter à mon compte depuis hier soir.",
            "Hallo, meine Rechnung ist falsch und ich brauche eine Erstattung.",
        ];
        let mut europe = 0;
        for i in 0..28 {
            let contact = customer(&db, ws.id, &format!("c{i}@example.com"), plans[i % plans.len()]).await;
            let c = start(&db, ws.id, contact, texts[(i * 3) % texts.len()]).await;
            // The simulation on the conversation as it arrived (no team yet, no tags).
            let mut arrived = c.clone();
            arrived.team_assignee_id = None;
            let mut subject = routing::subject(&db, ws.id, &arrived, c.created_at).await.unwrap();
            subject.conversation.insert("tags".into(), json!([]));
            let trace = live.evaluate(&subject);
            assert_eq!(trace.assignee.team_id, c.team_assignee_id, "conversation {i}: {trace:?}");
            let mut expected: Vec<String> = trace
                .actions
                .iter()
                .filter_map(|a| match a.action {
                    rapport_core::routing::RuleAction::Tag { tag } => Some(tag.clone()),
                    _ => None,
                })
                .collect();
            expected.sort();
            let tags =
                rapport_store::tags::tags_of(&db, ws.id, rapport_store::tags::Target::Conversation, &[c.id.get()])
                    .await
                    .unwrap();
            let mut applied: Vec<String> = tags.into_iter().map(|t| t.name).collect();
            applied.sort();
            assert_eq!(applied, expected, "conversation {i}");
            europe += usize::from(applied.iter().any(|t| t == "europe"));
        }
        // The language rule fired where it could: French and German texts of free and pro
        // customers (enterprise and scale stop at the first rule).
        assert_eq!(europe, 4);
    }
}

/// Impact preview over 10,000 past conversations (1,000 contacts with companies, 20 rules per
/// side). Run with `cargo test -p rapport-store --release --test routing bench_impact -- --ignored --nocapture`.
#[tokio::test]
#[ignore]
async fn bench_impact_over_ten_thousand_conversations() {
    for db in testing::all().await {
        let (ws, owner) = testing::workspace(&db).await;
        let teams =
            [team(&db, ws.id, "A", "manual", None, &[]).await, team(&db, ws.id, "B", "manual", None, &[]).await];
        let plans = ["free", "pro", "enterprise", "scale"];
        let mut contacts = Vec::new();
        for i in 0..1000 {
            contacts.push(customer(&db, ws.id, &format!("b{i}@example.com"), plans[i % plans.len()]).await);
        }
        for chunk in 0..20 {
            let mut sql = String::from(
                "INSERT INTO conversations (workspace_id, contact_id, state, source_type, source_delivered_as, \
                 source_body, source_author_type, source_author_id, created_at, updated_at) VALUES ",
            );
            let rows: Vec<String> = (0..500)
                .map(|j| {
                    let n = chunk * 500 + j;
                    let contact = contacts[n % contacts.len()];
                    format!("({}, {contact}, 'open', 'conversation', 'customer_initiated', 'message {n} about invoice {}', \
                             'user', {contact}, {}, {})", ws.id, n % 97, 1_700_000_000 + n, 1_700_000_000 + n)
                })
                .collect();
            sql.push_str(&rows.join(", "));
            testing::write(&db, Stmt::new(sql).once()).await.unwrap();
        }
        let side = |team: TeamId, offset: usize| -> Value {
            let rules: Vec<Value> = (0..20)
                .map(|i| json!({"id": format!("r{i}"), "name": format!("Rule {i}"), "stop_processing": false,
                    "conditions": {"all": [{"field": "company.plan", "op": "eq", "value": plans[(i + offset) % plans.len()]},
                                           {"field": "conversation.text", "op": "contains", "value": format!("invoice {i}")}]},
                    "actions": [{"type": "assign_team", "team_id": team}]}))
                .collect();
            json!({ "rules": rules })
        };
        routing::save_draft(&db, ws.id, owner.id, &side(teams[0], 0)).await.unwrap();
        routing::publish(&db, ws.id, owner.id).await.unwrap();
        routing::save_draft(&db, ws.id, owner.id, &side(teams[1], 1)).await.unwrap();
        let start = std::time::Instant::now();
        let impact = routing::impact(&db, ws.id, routing::Replay::Latest(10_000)).await.unwrap();
        println!(
            "{:?}: impact over {} conversations: {:?} ({} different)",
            db.backend(),
            impact.replayed,
            start.elapsed(),
            impact.different
        );
        assert_eq!(impact.replayed, 10_000);
    }
}

#[tokio::test]
async fn a_rule_sends_a_saved_reply_filled_for_the_conversation_before_closing_it() {
    use rapport_store::saved_replies::{self, SavedReplyFields};
    for db in testing::all().await {
        let (ws, owner) = testing::workspace(&db).await;
        let fields = SavedReplyFields {
            name: Some("Refunds"),
            body: Some("Hi {{contact.email}}, {{admin.name}} here: refunds take 5 days."),
        };
        let reply = saved_replies::create(&db, ws.id, fields).await.unwrap();
        let rules = |id: i64| {
            json!({"rules": [{"id": "refunds", "name": "Refunds", "stop_processing": true,
                "conditions": {"all": [{"field": "conversation.text", "op": "contains", "value": "refund"}]},
                "actions": [{"type": "close_with_message", "body": "Closing: see above"},
                            {"type": "send_saved_reply", "saved_reply_id": id}]}]})
        };
        // A saved reply of no one's (or another workspace's) is refused on save, naming the action.
        let (other, _) = testing::workspace(&db).await;
        let theirs =
            saved_replies::create(&db, other.id, SavedReplyFields { name: Some("X"), body: Some("x") }).await.unwrap();
        match routing::save_draft(&db, ws.id, owner.id, &rules(theirs.id)).await {
            Err(StoreError::Invalid(m)) => assert!(m.starts_with("rules[0].actions[1]: no such saved_reply"), "{m}"),
            other => panic!("expected Invalid, got {other:?}"),
        }
        routing::save_draft(&db, ws.id, owner.id, &rules(reply.id)).await.unwrap();
        routing::publish(&db, ws.id, owner.id).await.unwrap();

        let contact = testing::contact(&db, ws.id, "user", None, Some("pat@example.com")).await.unwrap();
        let c = start(&db, ws.id, contact, "I want a refund").await;
        let detail = conversations::find_detail(&db, ws.id, c.id).await.unwrap();
        let said: Vec<(&str, &str)> = detail
            .parts
            .iter()
            .filter(|p| p.part_type != PartType::Assignment)
            .map(|p| (p.part_type.as_str(), p.body.as_deref().unwrap_or("")))
            .collect();
        let filled = format!("Hi pat@example.com, {} here: refunds take 5 days.", owner.name);
        // The saved reply goes out (filled, as the rules' author) before the close, whatever the
        // order the actions were written in.
        let closing = [("comment", filled.as_str()), ("comment", "Closing: see above"), ("close", "")];
        assert_eq!(said[1..], closing, "{said:?}");
        assert_eq!(detail.conversation.state, ConversationState::Closed);

        // A saved reply deleted after publishing is skipped; the other actions still run.
        saved_replies::delete(&db, ws.id, reply.id).await.unwrap();
        let c = start(&db, ws.id, contact, "another refund").await;
        assert_eq!(conversations::find(&db, ws.id, c.id).await.unwrap().state, ConversationState::Closed);
    }
}

async fn rules_due(db: &Db, ws: WorkspaceId, id: ConversationId) -> Option<i64> {
    let select =
        Stmt::new("SELECT rules_due_at FROM conversations WHERE workspace_id = $1 AND id = $2").arg(ws).arg(id);
    db.read().scalar::<Option<i64>>(select).await.unwrap()
}

async fn set_rules_due(db: &Db, ws: WorkspaceId, id: ConversationId, at: i64) {
    let update = Stmt::new("UPDATE conversations SET rules_due_at = $3 WHERE workspace_id = $1 AND id = $2")
        .arg(ws)
        .arg(id)
        .arg(at);
    testing::write(db, update).await.unwrap();
}

#[tokio::test]
async fn rules_that_did_not_run_are_run_by_the_sweep_unless_a_teammate_took_the_conversation() {
    for db in testing::all().await {
        let (ws, owner) = testing::workspace(&db).await;
        let staff = agents(&db, ws.id, 1).await;
        let vip = team(&db, ws.id, "VIP", "manual", None, &staff).await;
        let general = team(&db, ws.id, "General", "manual", None, &[]).await;
        let big = customer(&db, ws.id, "cto@bigco.example", "enterprise").await;
        routing::save_draft(&db, ws.id, owner.id, &vip_rules(vip, general)).await.unwrap();
        routing::publish(&db, ws.id, owner.id).await.unwrap();

        // Rules that ran leave nothing owed.
        let routed = start(&db, ws.id, big, "Hello").await;
        assert_eq!(routed.team_assignee_id, Some(vip));
        assert_eq!(rules_due(&db, ws.id, routed.id).await, None);

        // Three conversations whose first run never finished (a node stopped, the pool refused):
        // one untouched, one a teammate assigned meanwhile, one owed only a moment ago.
        let now = rapport_store::now();
        let mut owed = Vec::new();
        for _ in 0..3 {
            let c = start(&db, ws.id, big, "Hello again").await;
            let unroute = Stmt::new(
                "UPDATE conversations SET team_assignee_id = NULL, \
                 admin_assignee_id = NULL, priority = FALSE WHERE workspace_id = $1 AND id = $2",
            )
            .arg(ws.id)
            .arg(c.id);
            testing::write(&db, unroute).await.unwrap();
            owed.push(c.id);
        }
        let (lost, taken, recent) = (owed[0], owed[1], owed[2]);
        set_rules_due(&db, ws.id, lost, now - 120).await;
        set_rules_due(&db, ws.id, taken, now - 120).await;
        set_rules_due(&db, ws.id, recent, now).await;
        let change = Change::Assign { admin_id: owner.id, assignee: Assignee::Admin(owner.id), body: None };
        conversations::reply_or_act(&db, ws.id, taken, change).await.unwrap();

        assert_eq!(routing::run_overdue(&db, now, 100).await.unwrap(), 2);
        let lost_now = conversations::find(&db, ws.id, lost).await.unwrap();
        assert_eq!(lost_now.team_assignee_id, Some(vip), "the sweep routed it");
        assert!(lost_now.priority);
        assert_eq!(rules_due(&db, ws.id, lost).await, None);
        let taken_now = conversations::find(&db, ws.id, taken).await.unwrap();
        assert_eq!((taken_now.admin_assignee_id, taken_now.team_assignee_id), (Some(owner.id), None));
        assert_eq!(rules_due(&db, ws.id, taken).await, None, "a teammate's decision stands");
        assert_eq!(rules_due(&db, ws.id, recent).await, Some(now), "its first run may still be going");
        assert_eq!(conversations::find(&db, ws.id, recent).await.unwrap().team_assignee_id, None);
        // Nothing overdue is left, so a second sweep does nothing.
        assert_eq!(routing::run_overdue(&db, now, 100).await.unwrap(), 0);
    }
}
