//! SLA policies, office hours per team, holidays, and the SLA applied to a conversation.
//!
//! A conversation's SLA row keeps its last evaluation (`rapport_core::sla::evaluate` over the
//! conversation's parts): the state, the runs with their due times, the event keys already
//! emitted and `next_check_at`, the next instant the state can change by time alone. It is
//! re-evaluated after every part and by the sweep (`rapport serve`, every few seconds) when
//! `next_check_at` has come. Each evaluation writes with `WHERE revision = <read revision>` and
//! appends its `sla.at_risk` / `sla.breached` events in the same transaction, so when several
//! nodes evaluate at once only one write (and one set of events) wins.
use rapport_core::ids::{ConversationId, TeamId, WorkspaceId};
use std::collections::BTreeSet;

use chrono_tz::Tz;
use rapport_core::conversation::{AuthorType, PartType};
use rapport_core::event::EventKind;
use rapport_core::office_hours::{holidays_from_stored, holidays_json, BusinessClock, OfficeHours};
use rapport_core::sla::{self, Evaluation, Happening, Moment, Policy, State, Status};
use serde::Serialize;
use serde_json::{json, Value};

use crate::event_log::{Audience, NewEvent};
use crate::{now, Conflict, Conn, Db, Named, OptionExt, Stmt, StoreError, StoreResult};

// ---- policies ----

#[derive(Debug, Clone, Serialize, crate::Row)]
pub struct SlaPolicy {
    pub id: i64,
    pub workspace_id: WorkspaceId,
    pub name: String,
    pub first_response_seconds: Option<i64>,
    pub next_response_seconds: Option<i64>,
    pub time_to_close_seconds: Option<i64>,
    pub business_hours: bool,
    pub at_risk_percent: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl SlaPolicy {
    pub fn policy(&self) -> Policy {
        Policy {
            first_response_seconds: self.first_response_seconds,
            next_response_seconds: self.next_response_seconds,
            time_to_close_seconds: self.time_to_close_seconds,
            business_hours: self.business_hours,
            at_risk_percent: self.at_risk_percent,
        }
    }
}

const POLICY_COLUMNS: &str = "id, workspace_id, name, first_response_seconds, next_response_seconds, \
    time_to_close_seconds, business_hours, at_risk_percent, created_at, updated_at";

fn checked(name: &str, policy: &Policy) -> StoreResult<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 255 {
        return Err(StoreError::invalid_field("name", "name must be 1 to 255 characters"));
    }
    policy.validate().map_err(|e| StoreError::Invalid(e.to_string()))?;
    Ok(name.to_string())
}

fn conflict_on_name(e: StoreError) -> StoreError {
    StoreError::unique_as(e, Conflict::DuplicateName(Named::SlaPolicy))
}

pub async fn list_policies(db: &Db, workspace_id: WorkspaceId) -> StoreResult<Vec<SlaPolicy>> {
    let sql = format!("SELECT {POLICY_COLUMNS} FROM sla_policies WHERE workspace_id = $1 ORDER BY id");
    db.read().fetch_all(Stmt::new(sql).arg(workspace_id)).await
}

pub async fn find_policy(db: &Db, workspace_id: WorkspaceId, id: i64) -> StoreResult<SlaPolicy> {
    let sql = format!("SELECT {POLICY_COLUMNS} FROM sla_policies WHERE workspace_id = $1 AND id = $2");
    db.read().fetch_optional(Stmt::new(sql).arg(workspace_id).arg(id)).await?.or_not_found("sla_policy")
}

pub async fn create_policy(db: &Db, workspace_id: WorkspaceId, name: &str, policy: &Policy) -> StoreResult<SlaPolicy> {
    let name = checked(name, policy)?;
    let sql = format!(
        "INSERT INTO sla_policies (workspace_id, name, first_response_seconds, next_response_seconds, \
         time_to_close_seconds, business_hours, at_risk_percent, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING {POLICY_COLUMNS}"
    );
    let insert = Stmt::new(sql)
        .arg(workspace_id)
        .arg(&name)
        .arg(policy.first_response_seconds)
        .arg(policy.next_response_seconds)
        .arg(policy.time_to_close_seconds)
        .arg(policy.business_hours)
        .arg(policy.at_risk_percent)
        .arg(now());
    let mut tx = db.begin().await?;
    let created: SlaPolicy = tx.fetch_one(insert).await.map_err(conflict_on_name)?;
    tx.commit().await?;
    Ok(created)
}

/// Replaces a policy's name and targets. Conversations it is applied to follow the new targets
/// at their next evaluation.
pub async fn update_policy(
    db: &Db,
    workspace_id: WorkspaceId,
    id: i64,
    name: &str,
    policy: &Policy,
) -> StoreResult<SlaPolicy> {
    let name = checked(name, policy)?;
    let sql = format!(
        "UPDATE sla_policies SET name = $3, first_response_seconds = $4, next_response_seconds = $5, \
         time_to_close_seconds = $6, business_hours = $7, at_risk_percent = $8, updated_at = $9 \
         WHERE workspace_id = $1 AND id = $2 RETURNING {POLICY_COLUMNS}"
    );
    let update = Stmt::new(sql)
        .arg(workspace_id)
        .arg(id)
        .arg(&name)
        .arg(policy.first_response_seconds)
        .arg(policy.next_response_seconds)
        .arg(policy.time_to_close_seconds)
        .arg(policy.business_hours)
        .arg(policy.at_risk_percent)
        .arg(now());
    // The policy and the SLAs that follow it change together.
    let mut tx = db.begin().await?;
    let updated: SlaPolicy = tx.fetch_optional(update).await.map_err(conflict_on_name)?.or_not_found("sla_policy")?;
    let follow = Stmt::new(
        "UPDATE conversation_slas SET sla_name = $3, next_check_at = $4, revision = revision + 1 \
         WHERE workspace_id = $1 AND sla_policy_id = $2 AND status = 'active'",
    )
    .arg(workspace_id)
    .arg(id)
    .arg(&name)
    .arg(now());
    tx.execute(follow).await?;
    tx.commit().await?;
    Ok(updated)
}

/// Deletes a policy; the conversations it is active on keep their history with status `cancelled`.
pub async fn delete_policy(db: &Db, workspace_id: WorkspaceId, id: i64) -> StoreResult<()> {
    find_policy(db, workspace_id, id).await?;
    let mut tx = db.begin().await?;
    let cancel = Stmt::new(
        "UPDATE conversation_slas SET sla_policy_id = NULL, next_check_at = NULL, revision = revision + 1, \
                     status = CASE WHEN status = 'active' THEN 'cancelled' ELSE status END \
                     WHERE workspace_id = $1 AND sla_policy_id = $2",
    );
    tx.execute(cancel.arg(workspace_id).arg(id)).await?;
    let delete = Stmt::new("DELETE FROM sla_policies WHERE workspace_id = $1 AND id = $2");
    tx.execute(delete.arg(workspace_id).arg(id)).await?;
    tx.commit().await
}

// ---- office hours per team, holidays ----

/// A team's own office hours (a team without them works the workspace's).
#[derive(Debug, Clone, Serialize)]
pub struct TeamHours {
    pub team_id: TeamId,
    pub timezone: String,
    /// Canonical JSON (see `rapport_core::office_hours`).
    pub office_hours: Value,
    pub holidays: Value,
    pub updated_at: i64,
}

pub async fn team_hours(db: &Db, workspace_id: WorkspaceId, team_id: TeamId) -> StoreResult<Option<TeamHours>> {
    let sql = "SELECT team_id, timezone, office_hours, holidays, updated_at FROM team_office_hours \
         WHERE workspace_id = $1 AND team_id = $2";
    let row: Option<(TeamId, String, String, String, i64)> =
        db.read().fetch_optional(Stmt::new(sql).arg(workspace_id).arg(team_id)).await?;
    Ok(row.map(|(team_id, timezone, hours, holidays, updated_at)| TeamHours {
        team_id,
        timezone,
        office_hours: OfficeHours::from_stored(&hours).to_json(),
        holidays: holidays_json(&holidays_from_stored(&holidays)),
        updated_at,
    }))
}

/// Sets a team's own hours. `office_hours` and `holidays` must already be validated (the
/// canonical JSON of `OfficeHours` and of a holiday list); the timezone is checked here.
pub async fn set_team_hours(
    db: &Db,
    workspace_id: WorkspaceId,
    team_id: TeamId,
    timezone: &str,
    office_hours: &OfficeHours,
    holidays: &[chrono::NaiveDate],
) -> StoreResult<TeamHours> {
    crate::teams::find(db, workspace_id, team_id).await?;
    if timezone.parse::<Tz>().is_err() {
        return Err(StoreError::Invalid(format!("unknown timezone {timezone:?}")));
    }
    let upsert = Stmt::new(
        "INSERT INTO team_office_hours (team_id, workspace_id, timezone, office_hours, holidays, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (team_id) DO UPDATE SET timezone = excluded.timezone, \
         office_hours = excluded.office_hours, holidays = excluded.holidays, updated_at = excluded.updated_at",
    )
    .arg(team_id)
    .arg(workspace_id)
    .arg(timezone)
    .arg(office_hours.to_json().to_string())
    .arg(holidays_json(holidays).to_string())
    .arg(now());
    let mut tx = db.begin().await?;
    tx.execute(upsert).await?;
    tx.commit().await?;
    recheck(db, workspace_id, Some(team_id)).await?;
    team_hours(db, workspace_id, team_id).await?.or_not_found("team")
}

/// Removes a team's own hours: it works the workspace's again.
pub async fn clear_team_hours(db: &Db, workspace_id: WorkspaceId, team_id: TeamId) -> StoreResult<()> {
    crate::teams::find(db, workspace_id, team_id).await?;
    let delete = Stmt::new("DELETE FROM team_office_hours WHERE workspace_id = $1 AND team_id = $2");
    let mut tx = db.begin().await?;
    tx.execute(delete.arg(workspace_id).arg(team_id)).await?;
    tx.commit().await?;
    recheck(db, workspace_id, Some(team_id)).await
}

/// Asks the sweep to re-evaluate, at once, the active SLAs counting in changed hours: a team's
/// (`Some(team_id)`), or the whole workspace's (`None`).
pub async fn recheck(db: &Db, workspace_id: WorkspaceId, team_id: Option<TeamId>) -> StoreResult<()> {
    let update = Stmt::new(
        "UPDATE conversation_slas SET next_check_at = $3 WHERE workspace_id = $1 AND status = 'active'          AND ($2 IS NULL OR conversation_id IN              (SELECT id FROM conversations WHERE workspace_id = $1 AND team_assignee_id = $2))",
    )
    .arg(workspace_id)
    .arg(team_id)
    .arg(now());
    let mut tx = db.begin().await?;
    tx.execute(update).await?;
    tx.commit().await
}

/// The workspace's holidays (dates in its timezone).
pub async fn workspace_holidays(db: &Db, workspace_id: WorkspaceId) -> StoreResult<Vec<chrono::NaiveDate>> {
    let sql = "SELECT holidays FROM workspaces WHERE id = $1";
    let text: String = db.read().scalar_optional(Stmt::new(sql).arg(workspace_id)).await?.or_not_found("workspace")?;
    Ok(holidays_from_stored(&text))
}

pub async fn set_workspace_holidays(
    db: &Db,
    workspace_id: WorkspaceId,
    holidays: &[chrono::NaiveDate],
) -> StoreResult<()> {
    let update = Stmt::new("UPDATE workspaces SET holidays = $2 WHERE id = $1");
    let mut tx = db.begin().await?;
    tx.execute(update.arg(workspace_id).arg(holidays_json(holidays).to_string())).await?;
    tx.commit().await?;
    recheck(db, workspace_id, None).await
}

/// The business clock of a team: its own hours when it has them, else the workspace's.
pub async fn business_clock(db: &Db, workspace_id: WorkspaceId, team_id: Option<TeamId>) -> StoreResult<BusinessClock> {
    if let Some(team_id) = team_id {
        let sql =
            "SELECT timezone, office_hours, holidays FROM team_office_hours WHERE workspace_id = $1 AND team_id = $2";
        let row: Option<(String, String, String)> =
            db.read().fetch_optional(Stmt::new(sql).arg(workspace_id).arg(team_id)).await?;
        if let Some((tz, hours, holidays)) = row {
            let tz = tz.parse().unwrap_or(chrono_tz::UTC);
            return Ok(BusinessClock::new(OfficeHours::from_stored(&hours), tz, holidays_from_stored(&holidays)));
        }
    }
    let workspace = crate::workspaces::find(db, workspace_id).await?;
    let settings = crate::workspaces::messenger_settings(db, workspace_id).await?;
    let tz = workspace.timezone.parse().unwrap_or(chrono_tz::UTC);
    let holidays = workspace_holidays(db, workspace_id).await?;
    Ok(BusinessClock::new(OfficeHours::from_stored(&settings.office_hours), tz, holidays))
}

// ---- the SLA of a conversation ----

/// The SLA applied to a conversation, as last evaluated.
#[derive(Debug, Clone, Serialize, crate::Row)]
pub struct ConversationSla {
    pub conversation_id: ConversationId,
    pub sla_policy_id: Option<i64>,
    pub sla_name: String,
    pub applied_at: i64,
    /// Intercom's `sla_status`: active, hit, missed, cancelled.
    pub status: String,
    /// on_track, at_risk, breached.
    pub state: String,
    /// JSON list of runs (see `rapport_core::sla::Run::to_json`).
    pub runs: String,
    /// JSON list of the event keys already emitted (`first_response@<start>:at_risk`).
    pub notified: String,
    pub next_check_at: Option<i64>,
    pub revision: i64,
    pub evaluated_at: i64,
}

impl ConversationSla {
    /// Intercom's `sla_applied`.
    pub fn sla_applied_json(&self) -> Value {
        json!({"type": "conversation_sla_summary", "sla_name": self.sla_name, "sla_status": self.status})
    }

    /// Rapport's `sla_state`: the overall state and every run with its due time.
    pub fn sla_state_json(&self) -> Value {
        let runs: Value = serde_json::from_str(&self.runs).unwrap_or_else(|_| json!([]));
        json!({"state": self.state, "evaluated_at": self.evaluated_at, "targets": runs})
    }
}

const SLA_COLUMNS: &str = "conversation_id, sla_policy_id, sla_name, applied_at, status, state, runs, notified, \
    next_check_at, revision, evaluated_at";

/// The SLAs of these conversations (of this workspace).
pub async fn for_conversations(
    db: &Db,
    workspace_id: WorkspaceId,
    ids: &[ConversationId],
) -> StoreResult<Vec<ConversationSla>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = ids.iter().map(ConversationId::to_string).collect::<Vec<_>>().join(", ");
    let sql =
        format!("SELECT {SLA_COLUMNS} FROM conversation_slas WHERE workspace_id = $1 AND conversation_id IN ({list})");
    db.read().fetch_all(Stmt::new(sql).arg(workspace_id)).await
}

pub async fn of_conversation(
    db: &Db,
    workspace_id: WorkspaceId,
    conversation_id: ConversationId,
) -> StoreResult<Option<ConversationSla>> {
    Ok(for_conversations(db, workspace_id, &[conversation_id]).await?.into_iter().next())
}

/// Applies a policy to a conversation from `at` on (replacing the SLA it had, whose clocks start
/// again) and evaluates it at `at`.
pub async fn apply(
    db: &Db,
    workspace_id: WorkspaceId,
    conversation_id: ConversationId,
    policy_id: i64,
    at: i64,
) -> StoreResult<ConversationSla> {
    crate::conversations::find(db, workspace_id, conversation_id).await?;
    let policy = find_policy(db, workspace_id, policy_id).await?;
    let upsert = Stmt::new(
        "INSERT INTO conversation_slas (conversation_id, workspace_id, sla_policy_id, sla_name, applied_at, \
         status, state, runs, notified, next_check_at, revision, evaluated_at) \
         VALUES ($1, $2, $3, $4, $5, 'active', 'on_track', '[]', '[]', $5, 0, $5) \
         ON CONFLICT (conversation_id) DO UPDATE SET sla_policy_id = excluded.sla_policy_id, \
         sla_name = excluded.sla_name, applied_at = excluded.applied_at, status = 'active', state = 'on_track', \
         runs = '[]', notified = '[]', next_check_at = excluded.next_check_at, \
         revision = conversation_slas.revision + 1, evaluated_at = excluded.evaluated_at",
    )
    .arg(conversation_id)
    .arg(workspace_id)
    .arg(policy.id)
    .arg(&policy.name)
    .arg(at);
    let mut tx = db.begin().await?;
    tx.execute(upsert).await?;
    tx.commit().await?;
    evaluate(db, workspace_id, conversation_id, at).await?.or_not_found("conversation_sla")
}

/// Removes the SLA from a conversation: its status becomes `cancelled` and its clocks stop.
pub async fn cancel(
    db: &Db,
    workspace_id: WorkspaceId,
    conversation_id: ConversationId,
) -> StoreResult<ConversationSla> {
    let update = Stmt::new(
        "UPDATE conversation_slas SET status = 'cancelled', next_check_at = NULL, revision = revision + 1 \
         WHERE workspace_id = $1 AND conversation_id = $2",
    )
    .arg(workspace_id)
    .arg(conversation_id);
    let mut tx = db.begin().await?;
    tx.execute(update).await?;
    tx.commit().await?;
    of_conversation(db, workspace_id, conversation_id).await?.or_not_found("conversation_sla")
}

/// The conversation's parts as the SLA clocks see them.
async fn timeline(
    db: &Db,
    workspace_id: WorkspaceId,
    conversation_id: ConversationId,
    snoozed_until: Option<i64>,
) -> StoreResult<Vec<Moment>> {
    let sql = "SELECT part_type, author_type, created_at FROM conversation_parts \
         WHERE workspace_id = $1 AND conversation_id = $2 ORDER BY created_at, id";
    let rows: Vec<(String, String, i64)> =
        db.read().fetch_all(Stmt::new(sql).arg(workspace_id).arg(conversation_id)).await?;
    let mut parts = Vec::with_capacity(rows.len());
    for (kind, author, at) in rows {
        parts.push((kind.parse::<PartType>()?, author.parse::<AuthorType>()?, at));
    }
    let last_snooze = parts.iter().rposition(|(kind, _, _)| *kind == PartType::Snoozed);
    Ok(parts
        .iter()
        .enumerate()
        .filter_map(|(i, (kind, author, at))| {
            let customer = !author.is_teammate();
            let what = match kind {
                PartType::Comment if customer => Happening::CustomerMessage,
                PartType::Comment => Happening::TeamReply,
                PartType::Close => Happening::Closed,
                PartType::Open => Happening::Opened,
                // An earlier snooze ended with whatever came next (a reopen, a message, a close).
                PartType::Snoozed if Some(i) == last_snooze => {
                    Happening::Snoozed { until: snoozed_until.unwrap_or(i64::MAX) }
                }
                PartType::Snoozed => Happening::Snoozed { until: i64::MAX },
                PartType::Note | PartType::Assignment => return None,
            };
            Some(Moment { at: *at, what })
        })
        .collect())
}

/// Evaluates a conversation's SLA at `now`, stores the result if nobody else changed the row
/// meanwhile, and appends `sla.at_risk` / `sla.breached` for runs newly in that state (each
/// once). Returns the row afterwards; `None` when the conversation has no SLA.
pub async fn evaluate(
    db: &Db,
    workspace_id: WorkspaceId,
    conversation_id: ConversationId,
    now: i64,
) -> StoreResult<Option<ConversationSla>> {
    let Some(row) = of_conversation(db, workspace_id, conversation_id).await? else { return Ok(None) };
    let Some(policy_id) = row.sla_policy_id.filter(|_| row.status != Status::Cancelled.as_str()) else {
        return Ok(Some(row));
    };
    let conversation = match crate::conversations::find(db, workspace_id, conversation_id).await {
        Err(StoreError::NotFound { .. }) => {
            // Deleted meanwhile (its SLA row goes with it where foreign keys cascade): stop looking.
            let stop = Stmt::new(
                "UPDATE conversation_slas SET next_check_at = NULL                 WHERE workspace_id = $1 AND conversation_id = $2",
            );
            let mut tx = db.begin().await?;
            tx.execute(stop.arg(workspace_id).arg(conversation_id)).await?;
            tx.commit().await?;
            return Ok(None);
        }
        other => other?,
    };
    let policy = find_policy(db, workspace_id, policy_id).await?;
    let clock = if policy.business_hours {
        business_clock(db, workspace_id, conversation.team_assignee_id).await?
    } else {
        BusinessClock::calendar()
    };
    let moments = timeline(db, workspace_id, conversation_id, conversation.snoozed_until).await?;
    let evaluation = sla::evaluate(&policy.policy(), &clock, row.applied_at, &moments, now);
    let mut notified: BTreeSet<String> = serde_json::from_str(&row.notified).unwrap_or_default();
    let events = new_events(&evaluation, &mut notified);
    let runs = Value::Array(evaluation.runs.iter().map(sla::Run::to_json).collect()).to_string();
    let notified_text = serde_json::to_string(&notified).unwrap_or_else(|_| "[]".into());
    let contact_ids = [conversation.contact_id];
    let mut tx = db.begin().await?;
    let update = Stmt::new(
        "UPDATE conversation_slas SET status = $4, state = $5, runs = $6, notified = $7, next_check_at = $8, \
         revision = revision + 1, evaluated_at = $9 WHERE workspace_id = $1 AND conversation_id = $2 AND revision = $3",
    )
    .arg(workspace_id)
    .arg(conversation_id)
    .arg(row.revision)
    .arg(evaluation.status.as_str())
    .arg(evaluation.state.as_str())
    .arg(&runs)
    .arg(&notified_text)
    .arg(evaluation.next_check_at)
    .arg(now);
    let won = tx.execute(update).await? == 1;
    if won {
        for (kind, run) in &events {
            let event = NewEvent {
                workspace_id,
                kind: *kind,
                conversation_id: Some(conversation_id),
                audience: Audience::Admins,
                payload: json!({
                    "conversation": {"id": conversation_id, "contact_ids": contact_ids},
                    "sla_name": row.sla_name,
                    "target": run.target,
                    "target_seconds": run.seconds,
                    "started_at": run.started_at,
                    "due_at": run.due_at,
                    "elapsed_seconds": run.elapsed,
                }),
                created_at: now,
            };
            crate::event_log::append(&mut tx, &event).await?;
        }
    }
    tx.commit().await?;
    of_conversation(db, workspace_id, conversation_id).await
}

/// The events a new evaluation owes: `sla.at_risk` the first time a run is seen at risk (not
/// when first seen already breached), `sla.breached` the first time it is seen breached.
fn new_events<'a>(evaluation: &'a Evaluation, notified: &mut BTreeSet<String>) -> Vec<(EventKind, &'a sla::Run)> {
    let mut events = Vec::new();
    for run in &evaluation.runs {
        let (kind, event) = match run.state {
            State::AtRisk => ("at_risk", EventKind::SlaAtRisk),
            State::Breached => ("breached", EventKind::SlaBreached),
            State::OnTrack => continue,
        };
        if notified.insert(format!("{}:{kind}", run.key())) {
            events.push((event, run));
        }
    }
    events
}

/// Re-evaluates a conversation's SLA after a part was written. The part is already stored: a
/// failure is logged, never returned.
pub async fn after_part(db: &Db, workspace_id: WorkspaceId, conversation_id: ConversationId) {
    if let Err(error) = evaluate(db, workspace_id, conversation_id, now()).await {
        tracing::warn!(workspace_id = workspace_id.get(), conversation_id = conversation_id.get(), %error, "evaluating the SLA failed");
    }
}

/// Evaluates up to `limit` SLAs whose `next_check_at` has come, across workspaces; returns how
/// many were evaluated. Safe to run on several nodes at once (see the module documentation).
pub async fn sweep(db: &Db, now: i64, limit: i64) -> StoreResult<usize> {
    let sql = "SELECT workspace_id, conversation_id FROM conversation_slas \
         WHERE next_check_at IS NOT NULL AND next_check_at <= $1 ORDER BY next_check_at LIMIT $2";
    let due: Vec<(i64, ConversationId)> = db.read().fetch_all(Stmt::new(sql).arg(now).arg(limit)).await?;
    for &(workspace_id, conversation_id) in &due {
        if let Err(error) = evaluate(db, WorkspaceId::from(workspace_id), conversation_id, now).await {
            tracing::warn!(workspace_id, conversation_id = conversation_id.get(), %error, "evaluating the SLA failed");
        }
    }
    Ok(due.len())
}

/// How many of the workspace's conversations in `state` (open, snoozed, closed) are in each SLA
/// state (`at_risk`, `breached`): read from `conversation_sla_counts` (migration 0030), kept by
/// triggers on SLA rows and on conversations' state in every writing transaction.
pub async fn counts(db: &Db, workspace_id: WorkspaceId, state: &str) -> StoreResult<(i64, i64)> {
    let sql = "SELECT sla_state, count FROM conversation_sla_counts \
         WHERE workspace_id = $1 AND state = $2 AND sla_state <> 'on_track'";
    let rows: Vec<(String, i64)> = db.read().fetch_all(Stmt::new(sql).arg(workspace_id).arg(state)).await?;
    let count = |state: &str| rows.iter().find(|(s, _)| s == state).map_or(0, |(_, n)| *n);
    Ok((count("at_risk"), count("breached")))
}

/// [`counts`] by joining every SLA row to its conversation: what the maintained counts must equal
/// (the tests compare them).
pub async fn counts_scanned(db: &Db, workspace_id: WorkspaceId, state: &str) -> StoreResult<(i64, i64)> {
    let sql = "SELECT s.state, COUNT(*) FROM conversation_slas s JOIN conversations c ON c.id = s.conversation_id \
         WHERE s.workspace_id = $1 AND c.workspace_id = $1 AND c.state = $2 AND s.state <> 'on_track' \
         GROUP BY s.state";
    let rows: Vec<(String, i64)> = db.read().fetch_all(Stmt::new(sql).arg(workspace_id).arg(state)).await?;
    let count = |state: &str| rows.iter().find(|(s, _)| s == state).map_or(0, |(_, n)| *n);
    Ok((count("at_risk"), count("breached")))
}
