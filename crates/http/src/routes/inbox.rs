//! What the agent app's sidebar needs beyond Intercom's API: `GET /inbox/counts`, the number of
//! conversations in each inbox view (All, Unassigned, Mine, each team) for one state. Exact, and
//! read from counters the store keeps in every writing transaction (migration 0030,
//! `rapport_store::conversations::counts`): a few rows per request, whatever the number of
//! conversations.
use axum::extract::State;
use axum::Json;
use rapport_store::conversations::counts::{inbox_counts, COUNTABLE_STATES};
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa_axum::routes;

use super::ApiRouter;
use crate::extract::{ApiQuery, Auth};
use crate::{AppError, AppResult, AppState};

pub fn routes() -> ApiRouter {
    ApiRouter::new().routes(routes!(counts))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct CountsQuery {
    /// `open` (default), `snoozed` or `closed`.
    #[param(pattern = "^(open|snoozed|closed)$")]
    state: Option<String>,
}

/// Conversations per inbox view in one state: `unassigned` (no teammate and no team), `mine`
/// (assigned to the caller), each team with at least one (by team assignee), and `all`; plus
/// `sla_at_risk` and `sla_breached`: conversations in that state and SLA state; `mentions_unseen`:
/// conversations (any state) with a note @mentioning the caller that they have not opened since.
#[utoipa::path(get, path = "/inbox/counts", tag = "Inbox", params(CountsQuery),
    responses((status = 200, description = "inbox.counts"), (status = 400, description = "parameter_invalid")))]
async fn counts(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(query): ApiQuery<CountsQuery>,
) -> AppResult<Json<Value>> {
    let wanted = query.state.as_deref().unwrap_or("open");
    if !COUNTABLE_STATES.contains(&wanted) {
        return Err(AppError::invalid("state", "state must be open, snoozed or closed"));
    }
    let counts = inbox_counts(&state.db, auth.workspace_id(), wanted, auth.admin.id).await?;
    let (sla_at_risk, sla_breached) = rapport_store::sla::counts(&state.db, auth.workspace_id(), wanted).await?;
    let mentions_unseen =
        rapport_store::conversations::counts::unseen_mentions(&state.db, auth.workspace_id(), auth.admin.id).await?;
    let teams: Vec<Value> =
        counts.teams.iter().map(|(id, count)| json!({"id": id.to_string(), "count": count})).collect();
    Ok(Json(json!({
        "type": "inbox.counts",
        "state": wanted,
        "all": counts.all,
        "unassigned": counts.unassigned,
        "mine": counts.mine,
        "teams": teams,
        "sla_at_risk": sla_at_risk,
        "sla_breached": sla_breached,
        "mentions_unseen": mentions_unseen,
    })))
}
