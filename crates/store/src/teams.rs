//! Teams: groups of admins that conversations can be assigned to.
use rapport_core::ids::{AdminId, TeamId, WorkspaceId};
use serde::Serialize;

use crate::{now, Conflict, Conn, Db, Named, OptionExt, Stmt, StoreError, StoreResult};

#[derive(Debug, Clone, Serialize, crate::Row)]
pub struct Team {
    pub id: TeamId,
    pub workspace_id: WorkspaceId,
    pub name: String,
    pub distribution_method: String,
    pub assignment_limit: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A team with its members' admin ids, as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct TeamWithMembers {
    #[serde(flatten)]
    pub team: Team,
    pub admin_ids: Vec<AdminId>,
}

/// How a team hands out its conversations.
pub const DISTRIBUTION_METHODS: &[&str] = &["manual", "round_robin", "balanced"];

pub struct TeamFields<'a> {
    pub name: Option<&'a str>,
    pub distribution_method: Option<&'a str>,
    /// `Some(None)` clears the limit.
    pub assignment_limit: Option<Option<i64>>,
}

const COLUMNS: &str = "id, workspace_id, name, distribution_method, assignment_limit, created_at, updated_at";

fn validate(fields: &TeamFields<'_>) -> StoreResult<()> {
    if let Some(name) = fields.name {
        if name.trim().is_empty() {
            return Err(StoreError::Invalid("team name must not be empty".into()));
        }
    }
    if let Some(method) = fields.distribution_method {
        if !DISTRIBUTION_METHODS.contains(&method) {
            return Err(StoreError::Invalid(format!(
                "distribution_method must be one of {}",
                DISTRIBUTION_METHODS.join(", ")
            )));
        }
    }
    if let Some(Some(limit)) = fields.assignment_limit {
        if limit < 1 {
            return Err(StoreError::Invalid("assignment_limit must be at least 1".into()));
        }
    }
    Ok(())
}

fn conflict_on_name(e: StoreError) -> StoreError {
    StoreError::unique_as(e, Conflict::DuplicateName(Named::Team))
}

pub async fn create(db: &Db, workspace_id: WorkspaceId, fields: TeamFields<'_>) -> StoreResult<Team> {
    validate(&fields)?;
    let name = fields.name.ok_or_else(|| StoreError::Invalid("team name is required".into()))?.trim();
    let sql = format!(
        "INSERT INTO teams (workspace_id, name, distribution_method, assignment_limit, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $5) RETURNING {COLUMNS}"
    );
    let insert = Stmt::new(sql)
        .arg(workspace_id)
        .arg(name)
        .arg(fields.distribution_method.unwrap_or("manual"))
        .arg(fields.assignment_limit.flatten())
        .arg(now());
    let mut tx = db.begin().await?;
    let team: Team = tx.fetch_one(insert).await.map_err(conflict_on_name)?;
    tx.commit().await?;
    Ok(team)
}

pub async fn update(db: &Db, workspace_id: WorkspaceId, id: TeamId, fields: TeamFields<'_>) -> StoreResult<Team> {
    validate(&fields)?;
    let current = find(db, workspace_id, id).await?;
    let name = fields.name.map(str::trim).unwrap_or(&current.name);
    let method = fields.distribution_method.unwrap_or(&current.distribution_method);
    let limit = fields.assignment_limit.unwrap_or(current.assignment_limit);
    let sql = format!(
        "UPDATE teams SET name = $3, distribution_method = $4, assignment_limit = $5, updated_at = $6 \
         WHERE workspace_id = $1 AND id = $2 RETURNING {COLUMNS}"
    );
    let update = Stmt::new(sql).arg(workspace_id).arg(id).arg(name).arg(method).arg(limit).arg(now());
    let mut tx = db.begin().await?;
    let team: Team = tx.fetch_optional(update).await.map_err(conflict_on_name)?.or_not_found("team")?;
    tx.commit().await?;
    Ok(team)
}

pub async fn find(db: &Db, workspace_id: WorkspaceId, id: TeamId) -> StoreResult<Team> {
    let sql = format!("SELECT {COLUMNS} FROM teams WHERE workspace_id = $1 AND id = $2");
    db.read().fetch_optional(Stmt::new(sql).arg(workspace_id).arg(id)).await?.or_not_found("team")
}

pub async fn find_with_members(db: &Db, workspace_id: WorkspaceId, id: TeamId) -> StoreResult<TeamWithMembers> {
    let team = find(db, workspace_id, id).await?;
    let admin_ids = member_ids(db, workspace_id, id).await?;
    Ok(TeamWithMembers { team, admin_ids })
}

pub async fn list_with_members(db: &Db, workspace_id: WorkspaceId) -> StoreResult<Vec<TeamWithMembers>> {
    let sql = format!("SELECT {COLUMNS} FROM teams WHERE workspace_id = $1 ORDER BY id");
    let teams: Vec<Team> = db.read().fetch_all(Stmt::new(sql).arg(workspace_id)).await?;
    let members = "SELECT team_id, admin_id FROM team_members WHERE workspace_id = $1 ORDER BY team_id, admin_id";
    let pairs: Vec<(TeamId, AdminId)> = db.read().fetch_all(Stmt::new(members).arg(workspace_id)).await?;
    Ok(teams
        .into_iter()
        .map(|team| {
            let admin_ids = pairs.iter().filter(|(t, _)| *t == team.id).map(|(_, a)| *a).collect();
            TeamWithMembers { team, admin_ids }
        })
        .collect())
}

pub async fn delete(db: &Db, workspace_id: WorkspaceId, id: TeamId) -> StoreResult<()> {
    let mut tx = db.begin().await?;
    let members = Stmt::new("DELETE FROM team_members WHERE workspace_id = $1 AND team_id = $2");
    tx.execute(members.arg(workspace_id).arg(id)).await?;
    let unassign =
        Stmt::new("UPDATE conversations SET team_assignee_id = NULL WHERE workspace_id = $1 AND team_assignee_id = $2");
    tx.execute(unassign.arg(workspace_id).arg(id)).await?;
    let team = Stmt::new("DELETE FROM teams WHERE workspace_id = $1 AND id = $2");
    let deleted = tx.execute(team.arg(workspace_id).arg(id)).await?;
    if deleted == 0 {
        return Err(StoreError::not_found("team"));
    }
    tx.commit().await?;
    Ok(())
}

pub async fn member_ids(db: &Db, workspace_id: WorkspaceId, team_id: TeamId) -> StoreResult<Vec<AdminId>> {
    let sql = "SELECT admin_id FROM team_members WHERE workspace_id = $1 AND team_id = $2 ORDER BY admin_id";
    db.read().scalars(Stmt::new(sql).arg(workspace_id).arg(team_id)).await
}

/// Adds an admin to a team; both must belong to the workspace. Adding twice is a no-op.
pub async fn add_member(db: &Db, workspace_id: WorkspaceId, team_id: TeamId, admin_id: AdminId) -> StoreResult<()> {
    find(db, workspace_id, team_id).await?;
    crate::admins::find(db, workspace_id, admin_id).await?;
    let insert = Stmt::new(
        "INSERT INTO team_members (workspace_id, team_id, admin_id, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (team_id, admin_id) DO NOTHING",
    )
    .arg(workspace_id)
    .arg(team_id)
    .arg(admin_id)
    .arg(now());
    let mut tx = db.begin().await?;
    tx.execute(insert).await?;
    tx.commit().await
}

pub async fn remove_member(db: &Db, workspace_id: WorkspaceId, team_id: TeamId, admin_id: AdminId) -> StoreResult<()> {
    find(db, workspace_id, team_id).await?;
    let delete = Stmt::new("DELETE FROM team_members WHERE workspace_id = $1 AND team_id = $2 AND admin_id = $3")
        .arg(workspace_id)
        .arg(team_id)
        .arg(admin_id);
    let mut tx = db.begin().await?;
    let removed = tx.execute(delete).await?;
    tx.commit().await?;
    if removed == 0 {
        return Err(StoreError::not_found("membership"));
    }
    Ok(())
}
