//! How many conversations each inbox view holds, for the agent app's sidebar. The counts are not
//! counted per request: migration 0030 keeps `conversation_inbox_counts` (per state, team and
//! teammate assignee) and `conversation_sla_counts` (per state and SLA state, read by
//! `sla::counts`) with triggers in the transaction of every write that moves a conversation
//! between them (creation, state and assignment changes, merges, deletes), so an inbox view reads
//! a handful of rows at any number of conversations. [`inbox_counts_scanned`] counts the slow way,
//! for the tests that check the two agree.
use crate::{Conn, Db, Stmt, StoreResult};
use rapport_core::ids::{AdminId, TeamId, WorkspaceId};

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
    pub teams: Vec<(TeamId, i64)>,
}

/// Counts `workspace_id`'s conversations in `state` per inbox view, as seen by `admin_id`: read
/// from `conversation_inbox_counts` (migration 0030), one row per (team, teammate) pair that has
/// held a conversation in that state, kept exact by triggers in every writing transaction.
pub async fn inbox_counts(
    db: &Db,
    workspace_id: WorkspaceId,
    state: &str,
    admin_id: AdminId,
) -> StoreResult<InboxCounts> {
    let counts = Stmt::new(
        "SELECT team_id, admin_id, count FROM conversation_inbox_counts \
         WHERE workspace_id = $1 AND state = $2 AND count <> 0",
    )
    .arg(workspace_id)
    .arg(state);
    let rows: Vec<(i64, i64, i64)> = db.read().fetch_all(counts).await?;
    Ok(tally(&rows, admin_id))
}

/// The views' counts from (team or 0, teammate or 0, count) rows.
fn tally(rows: &[(i64, i64, i64)], admin_id: AdminId) -> InboxCounts {
    let mut counts = InboxCounts::default();
    for &(team, admin, count) in rows {
        counts.all += count;
        if admin != 0 && admin == admin_id.get() {
            counts.mine += count;
        }
        if team == 0 {
            if admin == 0 {
                counts.unassigned += count;
            }
        } else {
            let team = TeamId::new(team);
            match counts.teams.iter_mut().find(|(id, _)| *id == team) {
                Some((_, total)) => *total += count,
                None => counts.teams.push((team, count)),
            }
        }
    }
    counts.teams.retain(|(_, count)| *count != 0);
    counts.teams.sort_unstable();
    counts
}

/// [`inbox_counts`] by reading every conversation in `state`: what the maintained counts must
/// equal (the tests compare them).
pub async fn inbox_counts_scanned(
    db: &Db,
    workspace_id: WorkspaceId,
    state: &str,
    admin_id: AdminId,
) -> StoreResult<InboxCounts> {
    let counts = Stmt::new(
        "SELECT COALESCE(team_assignee_id, 0), COALESCE(admin_assignee_id, 0), COUNT(*) \
         FROM conversations WHERE workspace_id = $1 AND state = $2 \
         GROUP BY COALESCE(team_assignee_id, 0), COALESCE(admin_assignee_id, 0)",
    )
    .arg(workspace_id)
    .arg(state);
    let rows: Vec<(i64, i64, i64)> = db.read().fetch_all(counts).await?;
    Ok(tally(&rows, admin_id))
}

/// How many conversations hold a note that @mentions `admin_id` which they have not seen yet (not
/// opened since): the sidebar's Mentions count, whatever the conversations' state.
pub async fn unseen_mentions(db: &Db, workspace_id: WorkspaceId, admin_id: AdminId) -> StoreResult<i64> {
    let sql = "SELECT COUNT(DISTINCT conversation_id) FROM conversation_mentions \
               WHERE workspace_id = $1 AND admin_id = $2 AND seen_at IS NULL";
    db.read().scalar(Stmt::new(sql).arg(workspace_id).arg(admin_id)).await
}
