//! Assignment rules (a Rapport extension; see `docs/API.md`, "Assignment rules"): the draft rule
//! set, publishing numbered versions, restoring one, the audit log, the simulator, the impact
//! preview and the conflict analysis. Everyone reads and simulates; admins and owners edit and
//! publish. The live path is `rapport_store::routing`.
use axum::extract::{Path, State};
use axum::Json;
use rapport_core::ids::WorkspaceId;
use rapport_core::routing::conflicts;
use rapport_core::routing::{RuleSet, Subject};
use rapport_store::routing::{self, AuditEntry, Draft, Version};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use utoipa_axum::routes;

use super::ApiRouter;
use crate::extract::{ApiJson, ApiQuery, Auth, BodyId};
use crate::pagination;
use crate::{AppError, AppResult, AppState};

pub fn routes() -> ApiRouter {
    ApiRouter::new()
        .routes(routes!(get_draft, put_draft))
        .routes(routes!(publish))
        .routes(routes!(list_versions))
        .routes(routes!(restore_version))
        .routes(routes!(list_audit))
        .routes(routes!(simulate))
        .routes(routes!(impact))
        .routes(routes!(list_conflicts))
}

fn draft_json(d: &Draft) -> Value {
    json!({
        "type": "assignment_rules.draft",
        "rules": d.rules["rules"],
        "updated_by": d.updated_by.map(|id| id.to_string()),
        "updated_at": d.updated_at,
        "live_version": d.live_version,
    })
}

fn version_json(v: &Version) -> Value {
    json!({
        "type": "assignment_rules.version",
        "version": v.version,
        "rules": v.rules["rules"],
        "published_by": v.published_by.map(|id| id.to_string()),
        "published_at": v.published_at,
    })
}

fn audit_json(a: &AuditEntry) -> Value {
    json!({
        "type": "assignment_rules.audit_entry",
        "id": a.id.to_string(),
        "admin_id": a.admin_id.map(|id| id.to_string()),
        "action": a.action,
        "version": a.version,
        "diff": a.diff,
        "created_at": a.created_at,
    })
}

/// The draft rule set (a copy of the live one until first edited) and the live version number.
#[utoipa::path(get, path = "/assignment_rules", tag = "Assignment rules",
    responses((status = 200, description = "assignment_rules.draft")))]
async fn get_draft(State(state): State<AppState>, auth: Auth) -> AppResult<Json<Value>> {
    Ok(Json(draft_json(&routing::draft(&state.db, auth.workspace_id()).await?)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct DraftRequest {
    /// The whole ordered rule list (see docs/API.md for the rule, condition and action shapes).
    #[schema(value_type = Vec<Object>)]
    rules: Value,
}

/// Replaces the draft rule set (admins and owners). Invalid rules are `400 parameter_invalid`
/// naming the offending path (`rules[2].conditions.all[0]: …`) and change nothing.
#[utoipa::path(put, path = "/assignment_rules", tag = "Assignment rules", request_body = DraftRequest,
    responses((status = 200, description = "assignment_rules.draft"), (status = 400, description = "parameter_invalid"),
        (status = 403, description = "forbidden")))]
async fn put_draft(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<DraftRequest>,
) -> AppResult<Json<Value>> {
    auth.require_manage()?;
    let rules = json!({ "rules": body.rules });
    let draft = routing::save_draft(&state.db, auth.workspace_id(), auth.admin.id, &rules).await?;
    Ok(Json(draft_json(&draft)))
}

/// Publishes the draft as the next numbered version, which goes live (admins and owners).
#[utoipa::path(post, path = "/assignment_rules/publish", tag = "Assignment rules",
    responses((status = 200, description = "assignment_rules.version"), (status = 400, description = "parameter_invalid"),
        (status = 403, description = "forbidden")))]
async fn publish(State(state): State<AppState>, auth: Auth) -> AppResult<Json<Value>> {
    auth.require_manage()?;
    let version = routing::publish(&state.db, auth.workspace_id(), auth.admin.id).await?;
    Ok(Json(version_json(&version)))
}

/// Every published version, newest first (the first is live).
#[utoipa::path(get, path = "/assignment_rules/versions", tag = "Assignment rules",
    responses((status = 200, description = "list of assignment_rules.version")))]
async fn list_versions(State(state): State<AppState>, auth: Auth) -> AppResult<Json<Value>> {
    let versions = routing::versions(&state.db, auth.workspace_id()).await?;
    Ok(Json(json!({"type": "list", "data": versions.iter().map(version_json).collect::<Vec<_>>()})))
}

/// Copies a published version into the draft (admins and owners); publish to make it live.
#[utoipa::path(post, path = "/assignment_rules/versions/{version}/restore", tag = "Assignment rules",
    params(("version" = i64, Path)),
    responses((status = 200, description = "assignment_rules.draft"), (status = 404, description = "not_found"),
        (status = 403, description = "forbidden")))]
async fn restore_version(
    State(state): State<AppState>,
    auth: Auth,
    Path(version): Path<String>,
) -> AppResult<Json<Value>> {
    auth.require_manage()?;
    let version = version.trim().parse::<i64>().map_err(|_| AppError::not_found("not_found", "Version not found"))?;
    let draft =
        routing::restore(&state.db, auth.workspace_id(), auth.admin.id, version).await.map_err(|e| match e {
            rapport_store::StoreError::NotFound { .. } => AppError::not_found("not_found", "Version not found"),
            other => other.into(),
        })?;
    Ok(Json(draft_json(&draft)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct AuditParams {
    /// Entries older than this entry id (the previous page's last `id`).
    #[param(pattern = "^[0-9]{0,18}$")]
    starting_after: Option<String>,
    /// 1 to 150, default 50.
    #[param(minimum = 1, maximum = 150)]
    per_page: Option<i64>,
}

/// The audit log, newest first: who changed the rules, when, and the diff (`added`, `removed`,
/// `changed` rules with before/after, `reordered`).
#[utoipa::path(get, path = "/assignment_rules/audit", tag = "Assignment rules", params(AuditParams),
    responses((status = 200, description = "list of assignment_rules.audit_entry")))]
async fn list_audit(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(params): ApiQuery<AuditParams>,
) -> AppResult<Json<Value>> {
    let per_page = pagination::per_page(params.per_page)?;
    let before = pagination::older_than(params.starting_after.as_deref())?;
    let entries = routing::audit(&state.db, auth.workspace_id(), before, per_page).await?;
    let last = entries.last().map(|e| e.id);
    Ok(Json(pagination::id_log_list(entries.iter().map(audit_json).collect(), per_page, last)))
}

/// Which rule set to run.
async fn rule_set(
    state: &AppState,
    workspace_id: WorkspaceId,
    which: Option<&str>,
) -> AppResult<(RuleSet, &'static str)> {
    match which.unwrap_or("draft") {
        "draft" => Ok((routing::draft_rules(&state.db, workspace_id).await?, "draft")),
        "live" => Ok((routing::live_rules(&state.db, workspace_id).await?, "live")),
        _ => Err(AppError::invalid("rules", "rules must be draft or live")),
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Sample {
    /// `channel`, `text`, `subject`, `page_url`, `priority`, `tags`, `state`, assignee ids,
    /// `custom_attributes`.
    #[schema(value_type = Option<Object>)]
    conversation: Option<Map<String, Value>>,
    /// Standard attributes (`role`, `email`, `signed_up_at`, …), `tags`, `custom_attributes`.
    #[schema(value_type = Option<Object>)]
    contact: Option<Map<String, Value>>,
    /// `plan`, `monthly_spend`, `tags`, `custom_attributes`, …
    #[schema(value_type = Option<Object>)]
    company: Option<Map<String, Value>>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct SimulateRequest {
    /// `draft` (default) or `live`.
    rules: Option<String>,
    /// A real conversation to replay (its contact and company as they are now).
    conversation_id: Option<BodyId>,
    /// A made-up conversation, when no `conversation_id` is given.
    sample: Option<Sample>,
    /// Unix seconds to run at (office hours are judged then); default now.
    at: Option<i64>,
}

/// Runs the draft (or live) rules on a sample or a real conversation without changing anything,
/// with the same evaluation as the live path, and returns the step-by-step trace.
#[utoipa::path(post, path = "/assignment_rules/simulate", tag = "Assignment rules", request_body = SimulateRequest,
    responses((status = 200, description = "assignment_rules.simulation"), (status = 400, description = "parameter_invalid"),
        (status = 404, description = "not_found")))]
async fn simulate(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<SimulateRequest>,
) -> AppResult<Json<Value>> {
    let workspace_id = auth.workspace_id();
    let (set, which) = rule_set(&state, workspace_id, body.rules.as_deref()).await?;
    let at = body.at.unwrap_or_else(rapport_store::now);
    let subject = match (&body.conversation_id, body.sample) {
        (Some(id), None) => {
            let conversation =
                rapport_store::conversations::find(&state.db, workspace_id, id.parse("conversation")?).await?;
            routing::subject(&state.db, workspace_id, &conversation, at).await?
        }
        (None, Some(sample)) => {
            let subject = Subject {
                conversation: sample.conversation.unwrap_or_default(),
                contact: sample.contact.unwrap_or_default(),
                company: sample.company.unwrap_or_default(),
                ..Subject::default()
            };
            routing::at_time(&state.db, workspace_id, subject, at).await?
        }
        _ => return Err(AppError::invalid("sample", "give either conversation_id or sample")),
    };
    let trace = set.evaluate(&subject);
    Ok(Json(json!({
        "type": "assignment_rules.simulation",
        "rules": which,
        "at": at,
        "inside_office_hours": subject.inside_office_hours,
        "trace": trace,
    })))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ImpactRequest {
    /// How many of the latest conversations to replay: 1 to 10000, default 100.
    count: Option<i64>,
    /// Or a time range (unix seconds, both given, not with `count`): the conversations created
    /// at or after `created_after` and before `created_before`, the newest 10000 of them.
    created_after: Option<i64>,
    created_before: Option<i64>,
}

impl ImpactRequest {
    fn replay(&self) -> AppResult<routing::Replay> {
        match (self.count, self.created_after, self.created_before) {
            (count, None, None) => {
                let count = count.unwrap_or(100);
                if !(1..=routing::MAX_IMPACT).contains(&count) {
                    let message = format!("count must be between 1 and {}", routing::MAX_IMPACT);
                    return Err(AppError::invalid("count", message));
                }
                Ok(routing::Replay::Latest(count))
            }
            (None, Some(from), Some(to)) if from < to => Ok(routing::Replay::CreatedBetween { from, to }),
            (None, Some(_), Some(_)) => {
                Err(AppError::invalid("created_before", "created_before must be later than created_after"))
            }
            (Some(_), _, _) => Err(AppError::invalid("count", "give either count or a time range, not both")),
            (None, _, _) => {
                Err(AppError::invalid("created_after", "a time range needs both created_after and created_before"))
            }
        }
    }
}

/// Replays the latest conversations (or those of a time range) through the draft and the live
/// rules and reports how many would be routed differently, with up to 10 examples.
#[utoipa::path(post, path = "/assignment_rules/impact", tag = "Assignment rules", request_body = ImpactRequest,
    responses((status = 200, description = "assignment_rules.impact"), (status = 400, description = "parameter_invalid")))]
async fn impact(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<ImpactRequest>,
) -> AppResult<Json<Value>> {
    let impact = routing::impact(&state.db, auth.workspace_id(), body.replay()?).await?;
    Ok(Json(json!({
        "type": "assignment_rules.impact",
        "replayed": impact.replayed,
        "different": impact.different,
        "examples": impact.examples,
        "truncated": impact.truncated,
    })))
}

/// Conflicts in the draft: rules that can never match, rules shadowed by an earlier stop rule,
/// overlapping rules with contradictory actions, assignment loops.
#[utoipa::path(get, path = "/assignment_rules/conflicts", tag = "Assignment rules",
    responses((status = 200, description = "list of assignment_rules.conflict")))]
async fn list_conflicts(State(state): State<AppState>, auth: Auth) -> AppResult<Json<Value>> {
    let set = routing::draft_rules(&state.db, auth.workspace_id()).await?;
    let found = conflicts::analyse(&set);
    let data: Vec<Value> = found
        .iter()
        .map(|c| json!({"type": "assignment_rules.conflict", "kind": c.kind, "rule_ids": c.rule_ids, "message": c.message}))
        .collect();
    Ok(Json(json!({"type": "list", "data": data})))
}
