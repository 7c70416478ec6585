//! Assignment rules: the workspace's draft rule set, numbered published versions (the highest is
//! live), an audit log, and the live path that runs the live rules on a conversation and applies
//! their actions through the same functions as a teammate's actions (so events reach the log and
//! the inbox live). The rules themselves are `rapport_core::routing`.
use rapport_core::ids::{AdminId, ContactId, ConversationId, TeamId, WorkspaceId};
use std::collections::HashMap;
use std::sync::LazyLock;

use rapport_core::conversation::{Assignee, ConversationState};
use rapport_core::office_hours::BusinessClock;
use rapport_core::routing::distribute::{self, Candidate, Method};
use rapport_core::routing::{RuleAction, RuleSet, Subject, TakenAction, Trace};
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::conversations::{self, Change, Conversation, Edit};
use crate::tags::Target;
use crate::{now, Backend, Conn, Db, OptionExt, Stmt, StoreError, StoreResult};

/// The rule set being edited.
#[derive(Debug, Clone, Serialize)]
pub struct Draft {
    /// `{"rules": [...]}` in canonical form.
    pub rules: Value,
    pub updated_by: Option<AdminId>,
    pub updated_at: Option<i64>,
    /// The version live now (`None` before the first publish).
    pub live_version: Option<i64>,
}

/// A published rule set.
#[derive(Debug, Clone, Serialize)]
pub struct Version {
    pub version: i64,
    pub rules: Value,
    pub published_by: Option<AdminId>,
    pub published_at: i64,
}

/// One change to the rules: who, when, what (`draft_updated`, `published`, `restored`) and the
/// diff against the rules before.
#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub admin_id: Option<AdminId>,
    pub action: String,
    pub version: Option<i64>,
    pub diff: Value,
    pub created_at: i64,
}

fn parse_json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| json!({"rules": []}))
}

fn version_of((version, rules, published_by, published_at): (i64, String, Option<AdminId>, i64)) -> Version {
    Version { version, rules: parse_json(&rules), published_by, published_at }
}

const VERSION_COLUMNS: &str = "version, rules, published_by, published_at";

/// The live (highest) version, if any was published.
pub async fn live(db: &Db, workspace_id: WorkspaceId) -> StoreResult<Option<Version>> {
    let sql = format!(
        "SELECT {VERSION_COLUMNS} FROM assignment_rule_versions WHERE workspace_id = $1 ORDER BY version DESC LIMIT 1"
    );
    let row: Option<(i64, String, Option<AdminId>, i64)> =
        db.read().fetch_optional(Stmt::new(sql).arg(workspace_id)).await?;
    Ok(row.map(version_of))
}

/// Every published version, newest first.
pub async fn versions(db: &Db, workspace_id: WorkspaceId) -> StoreResult<Vec<Version>> {
    let sql =
        format!("SELECT {VERSION_COLUMNS} FROM assignment_rule_versions WHERE workspace_id = $1 ORDER BY version DESC");
    let rows: Vec<(i64, String, Option<AdminId>, i64)> = db.read().fetch_all(Stmt::new(sql).arg(workspace_id)).await?;
    Ok(rows.into_iter().map(version_of).collect())
}

/// The draft; before the first edit it is a copy of the live rules (or no rules).
pub async fn draft(db: &Db, workspace_id: WorkspaceId) -> StoreResult<Draft> {
    let sql = "SELECT rules, updated_by, updated_at FROM assignment_rule_drafts WHERE workspace_id = $1";
    let row: Option<(String, Option<AdminId>, i64)> =
        db.read().fetch_optional(Stmt::new(sql).arg(workspace_id)).await?;
    let live = live(db, workspace_id).await?;
    let live_version = live.as_ref().map(|v| v.version);
    Ok(match row {
        Some((rules, updated_by, updated_at)) => {
            Draft { rules: parse_json(&rules), updated_by, updated_at: Some(updated_at), live_version }
        }
        None => Draft {
            rules: live.map(|v| v.rules).unwrap_or_else(|| json!({"rules": []})),
            updated_by: None,
            updated_at: None,
            live_version,
        },
    })
}

/// The draft as a rule set.
pub async fn draft_rules(db: &Db, workspace_id: WorkspaceId) -> StoreResult<RuleSet> {
    Ok(RuleSet::from_stored(&draft(db, workspace_id).await?.rules.to_string()))
}

/// The live rules (no rules before the first publish).
pub async fn live_rules(db: &Db, workspace_id: WorkspaceId) -> StoreResult<RuleSet> {
    Ok(live(db, workspace_id).await?.map(|v| RuleSet::from_stored(&v.rules.to_string())).unwrap_or_default())
}

/// Validates a rule set: its shape (`rapport_core::routing`), and that every team and teammate
/// it assigns to exists in the workspace. Errors name the offending path.
pub async fn validate(db: &Db, workspace_id: WorkspaceId, rules: &Value) -> StoreResult<RuleSet> {
    let set = RuleSet::parse(rules).map_err(|e| StoreError::Invalid(e.to_string()))?;
    for (path, action) in set.references() {
        let found = match action {
            RuleAction::AssignTeam { team_id } => crate::teams::find(db, workspace_id, *team_id).await.map(|_| ()),
            RuleAction::AssignTeammate { admin_id } => {
                crate::admins::find_assignable(db, workspace_id, *admin_id).await.map(|_| ())
            }
            RuleAction::SendSavedReply { saved_reply_id } => {
                crate::saved_replies::find(db, workspace_id, *saved_reply_id).await.map(|_| ())
            }
            _ => Ok(()),
        };
        match found {
            Ok(()) => {}
            Err(StoreError::NotFound { entity }) => {
                return Err(StoreError::Invalid(format!("{path}: no such {entity} in this workspace")))
            }
            Err(StoreError::Invalid(message)) => return Err(StoreError::Invalid(format!("{path}: {message}"))),
            Err(other) => return Err(other),
        }
    }
    Ok(set)
}

/// Replaces the draft (validated first: a refused draft changes nothing) and records the change.
pub async fn save_draft(db: &Db, workspace_id: WorkspaceId, admin_id: AdminId, rules: &Value) -> StoreResult<Draft> {
    let set = validate(db, workspace_id, rules).await?;
    let before = draft_rules(db, workspace_id).await?;
    write_draft(db, workspace_id, admin_id, &set, "draft_updated", None, before.diff(&set)).await?;
    draft(db, workspace_id).await
}

async fn write_draft(
    db: &Db,
    workspace_id: WorkspaceId,
    admin_id: AdminId,
    set: &RuleSet,
    action: &str,
    version: Option<i64>,
    diff: Value,
) -> StoreResult<()> {
    let at = now();
    let text = set.to_json().to_string();
    let mut tx = db.begin().await?;
    let upsert = Stmt::new(
        "INSERT INTO assignment_rule_drafts (workspace_id, rules, updated_by, updated_at) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (workspace_id) DO UPDATE SET rules = excluded.rules, \
                     updated_by = excluded.updated_by, updated_at = excluded.updated_at",
    );
    tx.execute(upsert.arg(workspace_id).arg(&text).arg(admin_id).arg(at)).await?;
    let audit = Stmt::new(AUDIT).arg(workspace_id).arg(admin_id).arg(action).arg(version).arg(diff.to_string()).arg(at);
    tx.execute(audit).await?;
    tx.commit().await
}

const AUDIT: &str = "INSERT INTO assignment_rule_audit (workspace_id, admin_id, action, version, diff, created_at) \
    VALUES ($1, $2, $3, $4, $5, $6)";

/// Publishes the draft as a new numbered version, which goes live. The draft is validated again
/// (a team may have been deleted since it was saved).
pub async fn publish(db: &Db, workspace_id: WorkspaceId, admin_id: AdminId) -> StoreResult<Version> {
    let draft = draft(db, workspace_id).await?;
    let set = validate(db, workspace_id, &draft.rules).await?;
    let diff = live_rules(db, workspace_id).await?.diff(&set);
    let text = set.to_json().to_string();
    let at = now();
    let mut tx = db.begin().await?;
    let next = Stmt::new("SELECT COALESCE(MAX(version), 0) + 1 FROM assignment_rule_versions WHERE workspace_id = $1");
    let version: i64 = tx.scalar(next.arg(workspace_id)).await?;
    let insert = Stmt::new(
        "INSERT INTO assignment_rule_versions (workspace_id, version, rules, published_by, published_at) \
                     VALUES ($1, $2, $3, $4, $5)",
    );
    tx.execute(insert.arg(workspace_id).arg(version).arg(&text).arg(admin_id).arg(at)).await?;
    let audit =
        Stmt::new(AUDIT).arg(workspace_id).arg(admin_id).arg("published").arg(version).arg(diff.to_string()).arg(at);
    tx.execute(audit).await?;
    tx.commit().await?;
    Ok(Version { version, rules: set.to_json(), published_by: Some(admin_id), published_at: at })
}

/// Copies a published version into the draft (publish to make it live again).
pub async fn restore(db: &Db, workspace_id: WorkspaceId, admin_id: AdminId, version: i64) -> StoreResult<Draft> {
    let sql =
        format!("SELECT {VERSION_COLUMNS} FROM assignment_rule_versions WHERE workspace_id = $1 AND version = $2");
    let found: (i64, String, Option<i64>, i64) =
        db.read().fetch_optional(Stmt::new(sql).arg(workspace_id).arg(version)).await?.or_not_found("version")?;
    let set = RuleSet::from_stored(&found.1);
    let before = draft_rules(db, workspace_id).await?;
    write_draft(db, workspace_id, admin_id, &set, "restored", Some(version), before.diff(&set)).await?;
    draft(db, workspace_id).await
}

/// An audit entry as stored: id, admin_id, action, version, diff (JSON text), created_at.
type AuditRow = (i64, Option<AdminId>, String, Option<i64>, String, i64);

/// The audit log, newest first, at most `limit` entries before entry id `before` (paging).
pub async fn audit(
    db: &Db,
    workspace_id: WorkspaceId,
    before: Option<i64>,
    limit: i64,
) -> StoreResult<Vec<AuditEntry>> {
    let sql = "SELECT id, admin_id, action, version, diff, created_at FROM assignment_rule_audit \
         WHERE workspace_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3";
    let page = Stmt::new(sql).arg(workspace_id).arg(before.unwrap_or(i64::MAX)).arg(limit);
    let rows: Vec<AuditRow> = db.read().fetch_all(page).await?;
    Ok(rows
        .into_iter()
        .map(|(id, admin_id, action, version, diff, created_at)| AuditEntry {
            id,
            admin_id,
            action,
            version,
            diff: serde_json::from_str(&diff).unwrap_or(Value::Null),
            created_at,
        })
        .collect())
}

// ---- what the rules see ----

fn object(value: impl Serialize) -> Map<String, Value> {
    match serde_json::to_value(value) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

fn tag_names(tags: &[crate::tags::AppliedTag]) -> Value {
    Value::Array(tags.iter().map(|t| Value::String(t.name.clone())).collect())
}

/// The workspace's office hours, timezone and holidays, which decide `time.office_hours`.
pub struct Schedule {
    clock: BusinessClock,
}

impl Schedule {
    /// Sets the subject's time and whether it falls inside office hours.
    pub fn place(&self, subject: Subject, at: i64) -> Subject {
        subject.at(at, &self.clock)
    }
}

pub async fn schedule(db: &Db, workspace_id: WorkspaceId) -> StoreResult<Schedule> {
    Ok(Schedule { clock: crate::sla::business_clock(db, workspace_id, None).await? })
}

fn conversation_map(conversation: &Conversation, tags: Value) -> Map<String, Value> {
    let mut c = Map::new();
    c.insert("channel".into(), json!(conversation.source_type));
    c.insert("text".into(), json!(conversation.source_body));
    c.insert("subject".into(), json!(conversation.source_subject));
    c.insert("page_url".into(), json!(conversation.source_url));
    c.insert("priority".into(), json!(conversation.priority));
    c.insert("tags".into(), tags);
    c.insert("state".into(), json!(conversation.state));
    c.insert("team_assignee_id".into(), json!(conversation.team_assignee_id));
    c.insert("admin_assignee_id".into(), json!(conversation.admin_assignee_id));
    c.insert("custom_attributes".into(), Value::Object(conversation.custom_attributes()));
    c.insert("created_at".into(), json!(conversation.created_at));
    c
}

/// A contact and their first company as the rules see them.
type People = (Map<String, Value>, Map<String, Value>);

/// The rules' view of a contact and their first company (empty maps when absent).
async fn people(db: &Db, workspace_id: WorkspaceId, contact_id: ContactId) -> StoreResult<People> {
    Ok(people_of(db, workspace_id, &[contact_id]).await?.remove(&contact_id).unwrap_or_default())
}

/// [`people`] for many contacts: contacts and tags are read by chunks of ids, companies one
/// query per contact.
async fn people_of(
    db: &Db,
    workspace_id: WorkspaceId,
    contact_ids: &[ContactId],
) -> StoreResult<HashMap<ContactId, People>> {
    let mut found = HashMap::new();
    for chunk in contact_ids.chunks(500) {
        let sql = format!(
            "SELECT {} FROM contacts WHERE workspace_id = $1 AND id IN ({})",
            crate::contacts::COLUMNS,
            crate::placeholders(2, chunk.len())
        );
        let contacts: Vec<crate::contacts::Contact> =
            db.read().fetch_all(Stmt::new(sql).arg(workspace_id).args(chunk)).await?;
        let mut tags: HashMap<i64, Vec<Value>> = HashMap::new();
        let target_ids: Vec<i64> = chunk.iter().map(|id| id.get()).collect();
        for tag in crate::tags::tags_of(db, workspace_id, Target::Contact, &target_ids).await? {
            tags.entry(tag.target_id).or_default().push(Value::String(tag.name));
        }
        let mut first_companies = crate::companies::first_for_contacts(db, workspace_id, chunk).await?;
        let companies: Vec<_> = contacts.iter().map(|contact| first_companies.remove(&contact.id)).collect();
        let company_ids: Vec<i64> = companies.iter().flatten().map(|c| c.id.get()).collect();
        let mut company_tags: HashMap<i64, Vec<Value>> = HashMap::new();
        for ids in company_ids.chunks(500) {
            for tag in crate::tags::tags_of(db, workspace_id, Target::Company, ids).await? {
                company_tags.entry(tag.target_id).or_default().push(Value::String(tag.name));
            }
        }
        for (contact, company) in contacts.into_iter().zip(companies) {
            let mut person = object(&contact);
            person.insert("custom_attributes".into(), Value::Object(contact.custom_attributes_map()));
            person.insert("tags".into(), Value::Array(tags.remove(&contact.id.get()).unwrap_or_default()));
            let company = match company {
                Some(company) => {
                    let mut map = object(&company);
                    map.insert(
                        "tags".into(),
                        Value::Array(company_tags.get(&company.id.get()).cloned().unwrap_or_default()),
                    );
                    map
                }
                None => Map::new(),
            };
            found.insert(contact.id, (person, company));
        }
    }
    Ok(found)
}

/// The rules' view of a conversation (its first contact and that contact's first company) at
/// unix time `at`, with the workspace's office hours.
pub async fn subject(db: &Db, workspace_id: WorkspaceId, conversation: &Conversation, at: i64) -> StoreResult<Subject> {
    let tags = crate::tags::tags_of(db, workspace_id, Target::Conversation, &[conversation.id.get()]).await?;
    let (contact, company) = people(db, workspace_id, conversation.contact_id).await?;
    let subject = Subject {
        conversation: conversation_map(conversation, tag_names(&tags)),
        contact,
        company,
        ..Default::default()
    };
    Ok(schedule(db, workspace_id).await?.place(subject, at))
}

/// Sets a (sample) subject's time and whether it is inside the workspace's office hours.
pub async fn at_time(db: &Db, workspace_id: WorkspaceId, subject: Subject, at: i64) -> StoreResult<Subject> {
    Ok(schedule(db, workspace_id).await?.place(subject, at))
}

// ---- the live path ----

/// What running the live rules did to a conversation.
#[derive(Debug, Clone, Serialize)]
pub struct Applied {
    /// The live version that ran.
    pub version: i64,
    /// The actions taken, in order, with the rule that took each.
    pub actions: Vec<Value>,
    /// The conversation afterwards.
    #[serde(skip)]
    pub conversation: Option<Conversation>,
}

/// Runs the live rules on a conversation and applies their actions, authored by `author` (the
/// admin who asked), or else by the admin who published the live version. `Ok(None)` when no
/// rules are live.
pub async fn run(
    db: &Db,
    workspace_id: WorkspaceId,
    conversation_id: ConversationId,
    author: Option<AdminId>,
) -> StoreResult<Option<Applied>> {
    let Some(live) = live(db, workspace_id).await? else { return Ok(None) };
    let set = RuleSet::from_stored(&live.rules.to_string());
    let conversation = conversations::find(db, workspace_id, conversation_id).await?;
    let subject = subject(db, workspace_id, &conversation, now()).await?;
    let trace = set.decide(&subject);
    let Some(author) = author.or(live.published_by) else { return Ok(None) };
    apply(db, workspace_id, &conversation, author, &trace).await?;
    Ok(Some(Applied {
        version: live.version,
        actions: trace.actions.iter().map(|a| json!({"rule_id": a.rule_id, "action": a.action})).collect(),
        conversation: Some(conversations::find(db, workspace_id, conversation_id).await?),
    }))
}

/// Runs the live rules after an event the rules react to (a conversation started, a customer
/// replied to a closed one) and returns the conversation when they ran. The triggering change is
/// already stored: a failure here is logged, never returned, so it cannot lose the message.
/// A failure leaves a new conversation's `rules_due_at` set, so [`run_overdue`] tries again.
pub async fn run_after(db: &Db, workspace_id: WorkspaceId, conversation_id: ConversationId) -> Option<Conversation> {
    // Boxed: the rules act through `conversations::send`, which calls back here.
    match Box::pin(run(db, workspace_id, conversation_id, None)).await {
        Ok(applied) => {
            if let Err(error) = rules_ran(db, workspace_id, conversation_id).await {
                tracing::warn!(workspace_id = workspace_id.get(), conversation_id = conversation_id.get(), %error, "could not mark the rules as run");
            }
            applied.and_then(|a| a.conversation)
        }
        Err(error) => {
            tracing::warn!(workspace_id = workspace_id.get(), conversation_id = conversation_id.get(), %error, "assignment rules failed");
            None
        }
    }
}

/// Marks a conversation's rules as run (its `rules_due_at` cleared).
async fn rules_ran(db: &Db, workspace_id: WorkspaceId, conversation_id: ConversationId) -> StoreResult<()> {
    let update = Stmt::new(
        "UPDATE conversations SET rules_due_at = NULL WHERE workspace_id = $1 AND id = $2 \
                 AND rules_due_at IS NOT NULL",
    )
    .arg(workspace_id)
    .arg(conversation_id);
    let mut tx = db.begin().await?;
    tx.execute(update).await?;
    tx.commit().await
}

/// How long a new conversation's rules may stay owed before [`run_overdue`] runs them again: far
/// longer than a run takes, so the first attempt is not doubled while it is still going.
pub const RULES_RETRY_AFTER_SECONDS: i64 = 60;

/// Runs the rules of up to `limit` new conversations (any workspace) whose first run did not
/// finish by `now - RULES_RETRY_AFTER_SECONDS`; `rapport serve` calls it every few seconds. Each
/// is claimed first (its `rules_due_at` moved to `now`, so another node skips it and a failed run
/// is tried again later). One a teammate has already taken (assigned, or no longer open) is only
/// marked done: the rules would undo a person's decision. Returns how many were looked at.
pub async fn run_overdue(db: &Db, now: i64, limit: i64) -> StoreResult<usize> {
    let owed = Stmt::new(
        "SELECT workspace_id, id, rules_due_at, state, admin_assignee_id, team_assignee_id FROM conversations \
         WHERE rules_due_at IS NOT NULL AND rules_due_at <= $1 ORDER BY rules_due_at LIMIT $2",
    )
    .arg(now - RULES_RETRY_AFTER_SECONDS)
    .arg(limit);
    let due: Vec<OwedRules> = db.read().fetch_all(owed).await?;
    for owed in &due {
        let (workspace_id, id, due_at) = (owed.workspace_id, owed.id, owed.rules_due_at);
        let untouched = owed.state == ConversationState::Open
            && owed.admin_assignee_id.is_none()
            && owed.team_assignee_id.is_none();
        let claim = Stmt::new(
            "UPDATE conversations SET rules_due_at = $4 WHERE workspace_id = $1 AND id = $2 AND rules_due_at = $3",
        )
        .arg(workspace_id)
        .arg(id)
        .arg(due_at)
        .arg(if untouched { Some(now) } else { None });
        let mut tx = db.begin().await?;
        let claimed = tx.execute(claim).await?;
        tx.commit().await?;
        if claimed == 1 && untouched {
            tracing::info!(
                workspace_id = workspace_id.get(),
                conversation_id = id.get(),
                "running assignment rules that did not run"
            );
            run_after(db, workspace_id, id).await;
        }
    }
    Ok(due.len())
}

/// A conversation [`run_overdue`] found owing its rules.
#[derive(crate::Row)]
struct OwedRules {
    workspace_id: WorkspaceId,
    id: ConversationId,
    rules_due_at: i64,
    state: ConversationState,
    admin_assignee_id: Option<AdminId>,
    team_assignee_id: Option<TeamId>,
}

/// Applies a trace's actions: tags, priority and notes first, then the final assignment (a team
/// completes it with its distribution method), then snooze or close.
async fn apply(
    db: &Db,
    workspace_id: WorkspaceId,
    conversation: &Conversation,
    author: AdminId,
    trace: &Trace<'_>,
) -> StoreResult<()> {
    let id = conversation.id;
    let mut later: Vec<&TakenAction> = Vec::new();
    for taken in &trace.actions {
        match taken.action {
            RuleAction::Tag { tag } => {
                let tag = crate::tags::find_or_create(db, workspace_id, tag).await?;
                crate::tags::apply(db, workspace_id, tag.id, Target::Conversation, id.get(), Some(author)).await?;
            }
            RuleAction::SetPriority { priority } => {
                conversations::update(db, workspace_id, id, Edit { priority: Some(*priority), ..Edit::default() })
                    .await?;
            }
            RuleAction::AddNote { body } => {
                conversations::reply_or_act(db, workspace_id, id, Change::AdminNote { admin_id: author, body }).await?;
            }
            RuleAction::Snooze { .. } | RuleAction::CloseWithMessage { .. } | RuleAction::SendSavedReply { .. } => {
                later.push(taken)
            }
            RuleAction::ApplySla { policy_id } => {
                // A policy deleted since the rules were published is skipped, not fatal.
                match crate::sla::apply(db, workspace_id, id, *policy_id, now()).await {
                    Err(StoreError::NotFound { .. }) => {
                        tracing::warn!(workspace_id = workspace_id.get(), policy_id, "SLA policy not found")
                    }
                    other => drop(other?),
                }
            }
            RuleAction::AssignTeam { .. } | RuleAction::AssignTeammate { .. } => {}
        }
    }
    let assignee = trace.assignee;
    let changed =
        assignee.team_id != conversation.team_assignee_id || assignee.admin_id != conversation.admin_assignee_id;
    if changed {
        match (assignee.team_id, assignee.admin_id) {
            (Some(team_id), None) => assign_to_team(db, workspace_id, id, author, team_id).await?,
            (team_id, admin_id) => {
                if let Some(team_id) = team_id.filter(|t| Some(*t) != conversation.team_assignee_id) {
                    assign(db, workspace_id, id, author, Assignee::Team(team_id)).await?;
                }
                if let Some(admin_id) = admin_id {
                    assign(db, workspace_id, id, author, Assignee::Admin(admin_id)).await?;
                }
            }
        }
    }
    // Saved replies go out after the assignment and before any snooze or close, whatever order the
    // actions were written in (a reply after a close would reopen the conversation).
    later.sort_by_key(|taken| !matches!(taken.action, RuleAction::SendSavedReply { .. }));
    for taken in later {
        if let RuleAction::SendSavedReply { saved_reply_id } = taken.action {
            send_saved_reply(db, workspace_id, id, author, *saved_reply_id).await?;
            continue;
        }
        let change = match taken.action {
            RuleAction::Snooze { minutes } => Change::Snooze { admin_id: author, until: now() + minutes * 60 },
            RuleAction::CloseWithMessage { body } => Change::Close { admin_id: author, body: Some(body) },
            _ => continue,
        };
        // Marked as an automation's: an emailed close message must not start an auto-reply loop.
        let options = conversations::SendOptions { automated: true, ..Default::default() };
        conversations::send(db, workspace_id, id, change, options).await?;
    }
    Ok(())
}

/// Sends a saved reply as `author`, rendered as HTML for the conversation. A reply deleted since
/// the rules were published is skipped, not fatal (as a deleted SLA policy is).
async fn send_saved_reply(
    db: &Db,
    workspace_id: WorkspaceId,
    id: ConversationId,
    author: AdminId,
    saved_reply_id: i64,
) -> StoreResult<()> {
    let reply = match crate::saved_replies::find(db, workspace_id, saved_reply_id).await {
        Err(StoreError::NotFound { .. }) => {
            tracing::warn!(workspace_id = workspace_id.get(), saved_reply_id, "saved reply not found");
            return Ok(());
        }
        other => other?,
    };
    let admin = crate::admins::find(db, workspace_id, author).await?;
    let values = crate::saved_replies::template_values(db, workspace_id, id, &admin).await?;
    let body = reply.template()?.render(&values, rapport_core::template::Output::Html);
    // An automation's reply: emailed with `Auto-Submitted`, so auto-responders stay quiet.
    let options = conversations::SendOptions { automated: true, ..Default::default() };
    conversations::send(db, workspace_id, id, Change::AdminComment { admin_id: author, body: &body }, options).await?;
    Ok(())
}

async fn assign(
    db: &Db,
    workspace_id: WorkspaceId,
    id: ConversationId,
    author: AdminId,
    assignee: Assignee,
) -> StoreResult<()> {
    let change = Change::Assign { admin_id: author, assignee, body: None };
    conversations::reply_or_act(db, workspace_id, id, change).await.map(|_| ())
}

/// One team assignment at a time in this process, so each pick sees the open counts the previous
/// one left (PostgreSQL adds an advisory lock for other nodes).
static DISTRIBUTION: LazyLock<tokio::sync::Mutex<()>> = LazyLock::new(|| tokio::sync::Mutex::new(()));

/// Assigns a conversation to a team and, by the team's distribution method, to one of its
/// available teammates under their capacity (`assignment_limit` open conversations each).
pub async fn assign_to_team(
    db: &Db,
    workspace_id: WorkspaceId,
    id: ConversationId,
    author: AdminId,
    team_id: TeamId,
) -> StoreResult<()> {
    in_turn(db, workspace_id, team_id, distribute_locked(db, workspace_id, id, author, team_id, None)).await.map(|_| ())
}

/// Runs `work` (a team's distribution) holding the team's turn: [`DISTRIBUTION`] in this process,
/// and on PostgreSQL a transaction-scoped advisory lock for other nodes.
async fn in_turn<T>(
    db: &Db,
    workspace_id: WorkspaceId,
    team_id: TeamId,
    work: impl std::future::Future<Output = StoreResult<T>>,
) -> StoreResult<T> {
    let _turn = DISTRIBUTION.lock().await;
    if db.backend() == Backend::Sqlite {
        // One database file, one process writing it: this process's turn is every node's.
        return work.await;
    }
    // Held until this transaction ends: its commit below, or its rollback when dropped on an
    // early return. `work` writes in transactions of its own.
    let mut lock = db.begin().await?;
    lock.execute(Stmt::new("SELECT pg_advisory_xact_lock($1)").arg((workspace_id.get() << 32) ^ team_id.get())).await?;
    let result = work.await;
    lock.commit().await?;
    result
}

/// A conversation handed over from a teammate who went away: only moved while it is still theirs,
/// and the assignment part carries `note` (why it moved).
struct Handover<'a> {
    from_admin: AdminId,
    note: &'a str,
}

/// Picks the team's teammate for a conversation and assigns it. With a handover, the
/// conversation must still be the away teammate's (else `Ok(false)`, nothing written) and the
/// one assignment written (to the picked teammate, or back to the team's queue) carries the note.
async fn distribute_locked(
    db: &Db,
    workspace_id: WorkspaceId,
    id: ConversationId,
    author: AdminId,
    team_id: TeamId,
    handover: Option<&Handover<'_>>,
) -> StoreResult<bool> {
    let team = crate::teams::find(db, workspace_id, team_id).await?;
    let members = crate::teams::member_ids(db, workspace_id, team_id).await?;
    let admins = crate::admins::list(db, workspace_id).await?;
    let sql = "SELECT c.admin_assignee_id, COUNT(*) FROM conversations c JOIN team_members m \
         ON m.admin_id = c.admin_assignee_id AND m.workspace_id = c.workspace_id \
         WHERE c.workspace_id = $1 AND m.team_id = $2 AND c.state = 'open' GROUP BY c.admin_assignee_id";
    let open: Vec<(AdminId, i64)> = db.read().fetch_all(Stmt::new(sql).arg(workspace_id).arg(team_id)).await?;
    let sql = "SELECT last_admin_id FROM team_assignment_cursors WHERE workspace_id = $1 AND team_id = $2";
    let last: Option<AdminId> =
        db.read().scalar_optional::<Option<AdminId>>(Stmt::new(sql).arg(workspace_id).arg(team_id)).await?.flatten();
    let candidates: Vec<Candidate> = members
        .iter()
        .filter_map(|member| admins.iter().find(|a| a.id == *member))
        .map(|admin| Candidate {
            admin_id: admin.id,
            open: open.iter().find(|(a, _)| *a == admin.id).map(|(_, n)| *n).unwrap_or(0),
            away: admin.away_mode_enabled || !admin.active,
        })
        .collect();
    let current = conversations::find(db, workspace_id, id).await?;
    if let Some(handover) = handover {
        if current.admin_assignee_id != Some(handover.from_admin) || current.team_assignee_id != Some(team_id) {
            return Ok(false);
        }
    }
    let picked = distribute::pick(Method::parse(&team.distribution_method), &candidates, team.assignment_limit, last);
    let note = handover.map(|h| h.note);
    if current.team_assignee_id != Some(team_id) {
        assign(db, workspace_id, id, author, Assignee::Team(team_id)).await?;
    }
    match picked {
        Some(admin_id) => {
            let change = Change::Assign { admin_id: author, assignee: Assignee::Admin(admin_id), body: note };
            conversations::reply_or_act(db, workspace_id, id, change).await?;
            let cursor = Stmt::new(
                "INSERT INTO team_assignment_cursors (workspace_id, team_id, last_admin_id) VALUES ($1, $2, $3) \
                 ON CONFLICT (workspace_id, team_id) DO UPDATE SET last_admin_id = excluded.last_admin_id",
            )
            .arg(workspace_id)
            .arg(team_id)
            .arg(admin_id);
            let mut tx = db.begin().await?;
            tx.execute(cursor).await?;
            tx.commit().await?;
        }
        // The team holds it: a previous teammate assignment is cleared.
        None if current.admin_assignee_id.is_some() => {
            let change = Change::Assign { admin_id: author, assignee: Assignee::NoAdmin, body: note };
            conversations::reply_or_act(db, workspace_id, id, change).await?;
        }
        None => {}
    }
    Ok(true)
}

// ---- reassignment when a teammate goes away ----

/// Where the conversations of a teammate who went away went.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Reassigned {
    /// Open conversations their team's distribution gave to another teammate.
    pub to_teammates: usize,
    /// Conversations left with their team, no teammate (manual team, nobody available, or snoozed).
    pub to_team: usize,
    /// Conversations that had no team: now unassigned.
    pub unassigned: usize,
}

/// Hands the open and snoozed conversations of `admin_id` (who just turned away mode on with
/// reassignment) back: an open conversation with a team goes through the team's distribution
/// (round robin / balanced, which skip away teammates and honour capacity), a snoozed one goes
/// back to its team's queue (it counts against no capacity until it wakes), one without a team
/// becomes unassigned. Each move is one assignment part, written in one transaction, authored by
/// `author`, whose body says why; the assignment rules do not run on it.
pub async fn reassign_away(
    db: &Db,
    workspace_id: WorkspaceId,
    admin_id: AdminId,
    author: AdminId,
) -> StoreResult<Reassigned> {
    let away = crate::admins::find(db, workspace_id, admin_id).await?;
    let note = format!("Reassigned: {} is away", away.name);
    let sql =
        "SELECT id, state, team_assignee_id FROM conversations WHERE workspace_id = $1 AND admin_assignee_id = $2 \
         AND state IN ('open', 'snoozed') ORDER BY id";
    let held: Vec<(ConversationId, String, Option<TeamId>)> =
        db.read().fetch_all(Stmt::new(sql).arg(workspace_id).arg(admin_id)).await?;
    let mut done = Reassigned::default();
    for (id, state, team_id) in held {
        let handover = Handover { from_admin: admin_id, note: &note };
        match team_id {
            Some(team_id) if state == "open" => {
                let work = distribute_locked(db, workspace_id, id, author, team_id, Some(&handover));
                if in_turn(db, workspace_id, team_id, work).await? {
                    let now = conversations::find(db, workspace_id, id).await?;
                    if now.admin_assignee_id.is_some() {
                        done.to_teammates += 1;
                    } else {
                        done.to_team += 1;
                    }
                }
            }
            _ => {
                // Moved by someone else meanwhile: theirs to keep.
                if conversations::find(db, workspace_id, id).await?.admin_assignee_id != Some(admin_id) {
                    continue;
                }
                let change = Change::Assign { admin_id: author, assignee: Assignee::NoAdmin, body: Some(&note) };
                conversations::reply_or_act(db, workspace_id, id, change).await?;
                if team_id.is_some() {
                    done.to_team += 1;
                } else {
                    done.unassigned += 1;
                }
            }
        }
    }
    Ok(done)
}

// ---- impact preview ----

/// Most past conversations one impact preview replays.
pub const MAX_IMPACT: i64 = 10_000;
/// Examples an impact preview shows.
const IMPACT_EXAMPLES: usize = 10;

/// Which past conversations an impact preview replays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replay {
    /// The latest `n` (at most [`MAX_IMPACT`]).
    Latest(i64),
    /// Those created in `[from, to)` (unix seconds), the newest [`MAX_IMPACT`] of them.
    CreatedBetween { from: i64, to: i64 },
}

/// How the draft would route recent conversations compared with the live rules.
#[derive(Debug, Clone, Serialize)]
pub struct Impact {
    pub replayed: usize,
    /// Conversations whose final assignee or actions differ.
    pub different: usize,
    pub examples: Vec<Value>,
    /// A time range held more than [`MAX_IMPACT`] conversations: only the newest were replayed.
    pub truncated: bool,
}

/// Replays past conversations (newest first, each at the time it started) through the draft and
/// the live rules with the same evaluation as the live path.
pub async fn impact(db: &Db, workspace_id: WorkspaceId, replay: Replay) -> StoreResult<Impact> {
    let draft = draft_rules(db, workspace_id).await?;
    let live = live_rules(db, workspace_id).await?;
    let newest = "ORDER BY created_at DESC, id DESC LIMIT $2";
    let (range, from, to, limit) = match replay {
        Replay::Latest(count) => ("", i64::MIN, i64::MAX, count.clamp(0, MAX_IMPACT)),
        // One more than replayed, to know whether the range held more.
        Replay::CreatedBetween { from, to } => (" AND created_at >= $3 AND created_at < $4", from, to, MAX_IMPACT + 1),
    };
    let sql = format!("SELECT {} FROM conversations WHERE workspace_id = $1{range} {newest}", conversations::COLUMNS);
    let query = Stmt::new(sql).arg(workspace_id).arg(limit);
    let query = if range.is_empty() { query } else { query.arg(from).arg(to) };
    let mut recent: Vec<Conversation> = db.read().fetch_all(query).await?;
    let truncated = recent.len() as i64 > MAX_IMPACT;
    recent.truncate(MAX_IMPACT as usize);
    let mut impact = Impact { replayed: recent.len(), different: 0, examples: Vec::new(), truncated };
    // Loaded once: the schedule, the conversations' tags and contacts (by chunks of ids).
    let schedule = schedule(db, workspace_id).await?;
    let mut tags: HashMap<i64, Vec<Value>> = HashMap::new();
    for chunk in recent.chunks(500) {
        let ids: Vec<i64> = chunk.iter().map(|c| c.id.get()).collect();
        for tag in crate::tags::tags_of(db, workspace_id, Target::Conversation, &ids).await? {
            tags.entry(tag.target_id).or_default().push(Value::String(tag.name));
        }
    }
    let mut contact_ids: Vec<ContactId> = recent.iter().map(|c| c.contact_id).collect();
    contact_ids.sort_unstable();
    contact_ids.dedup();
    let people = people_of(db, workspace_id, &contact_ids).await?;
    for conversation in &recent {
        let (contact, company) = people.get(&conversation.contact_id).cloned().unwrap_or_default();
        let names = Value::Array(tags.remove(&conversation.id.get()).unwrap_or_default());
        let subject =
            Subject { conversation: conversation_map(conversation, names), contact, company, ..Default::default() };
        let subject = schedule.place(subject, conversation.created_at);
        let (before, after) = (live.decide(&subject), draft.decide(&subject));
        if before.assignee != after.assignee || before.actions != after.actions {
            impact.different += 1;
            if impact.examples.len() < IMPACT_EXAMPLES {
                let summary = |t: &Trace<'_>| json!({"assignee": t.assignee, "actions": t.actions});
                impact.examples.push(json!({
                    "conversation_id": conversation.id.to_string(),
                    "live": summary(&before),
                    "draft": summary(&after),
                }));
            }
        }
    }
    Ok(impact)
}
