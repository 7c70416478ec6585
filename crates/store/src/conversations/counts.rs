//! How many conversations each inbox view holds, for the agent app's sidebar: one GROUP BY over
//! the workspace's conversations in one state, split by team and by whose they are.
use crate::{Conn, Db, Stmt, StoreResult};
use rapport_core::ids::WorkspaceId;

/// The states a count can be asked for.
pub const COUNTABLE_STATES: &[&str] = &["open", "snoozed", "closed"];

/// Counts per view for one state. `unassigned` = neither a teammate nor a team; `mine` = assigned
/// to the asking admin; `teams` = per team assignee (whoever the teammate), only teams with at
/// least one conversation, by team id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InboxCounts {
    pub all: i64,
    pub unassigned: i64,
    pub mine: i64,
    pub teams: Vec<(i64, i64)>,
}

/// Counts `workspace_id`'s conversations in `state` per inbox view, as seen by `admin_id`.
pub async fn inbox_counts(db: &Db, workspace_id: WorkspaceId, state: &str, admin_id: i64) -> StoreResult<InboxCounts> {
    // whose: 0 nobody, 1 the asking admin, 2 another teammate.
    let counts = Stmt::new(
        "SELECT team_assignee_id, \
                CAST(CASE WHEN admin_assignee_id IS NULL THEN 0 WHEN admin_assignee_id = $3 THEN 1 ELSE 2 END \
                     AS BIGINT) AS whose, \
                COUNT(*) \
         FROM conversations WHERE workspace_id = $1 AND state = $2 \
         GROUP BY team_assignee_id, whose",
    )
    .arg(workspace_id)
    .arg(state)
    .arg(admin_id);
    let rows: Vec<(Option<i64>, i64, i64)> = db.read().fetch_all(counts).await?;
    let mut counts = InboxCounts::default();
    for (team, whose, count) in rows {
        counts.all += count;
        if whose == 1 {
            counts.mine += count;
        }
        match team {
            None if whose == 0 => counts.unassigned += count,
            None => {}
            Some(team) => match counts.teams.iter_mut().find(|(id, _)| *id == team) {
                Some((_, total)) => *total += count,
                None => counts.teams.push((team, count)),
            },
        }
    }
    counts.teams.sort_unstable();
    Ok(counts)
}

/// How many conversations hold a note that @mentions `admin_id` which they have not seen yet (not
/// opened since): the sidebar's Mentions count, whatever the conversations' state.
pub async fn unseen_mentions(db: &Db, workspace_id: WorkspaceId, admin_id: i64) -> StoreResult<i64> {
    let sql = "SELECT COUNT(DISTINCT conversation_id) FROM conversation_mentions \
               WHERE workspace_id = $1 AND admin_id = $2 AND seen_at IS NULL";
    db.read().scalar(Stmt::new(sql).arg(workspace_id).arg(admin_id)).await
}
