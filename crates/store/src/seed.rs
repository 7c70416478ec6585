//! Demo and benchmark data. [`seed_demo`] builds a realistic "Acme Support" workspace (teammates,
//! teams, companies, contacts, conversations in every state, tags, events, notes) that is the same
//! on every run (a fixed-seed RNG; only timestamps follow the clock). [`seed_scale`] bulk-loads
//! millions of rows for benchmarks. Both write with batched multi-row INSERTs inside transactions
//! rather than through the repositories, which would be orders of magnitude slower.
//!
//! The demo owner signs in as [`DEMO_OWNER_EMAIL`] with [`DEMO_PASSWORD`]; every demo teammate
//! shares that password.
use rapport_core::ids::WorkspaceId;
use std::collections::{HashMap, HashSet};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rapport_core::admin::AdminRole;
use serde::Serialize;

use crate::admins::NewAdmin;
use crate::teams::TeamFields;
use crate::{now, Conn, Db, Stmt, StoreResult};

pub(crate) mod batch;
mod conversations;
mod people;
mod scale;
mod text;

pub use scale::{seed_scale, ScaleSummary};

use batch::{Rows, V};
use conversations::Cast;

/// The name of the demo workspace.
pub const DEMO_WORKSPACE_NAME: &str = "Acme Support";
/// The demo owner's sign-in email.
pub const DEMO_OWNER_EMAIL: &str = "owner@acme.example";
/// The password of the demo owner and of every demo teammate.
pub const DEMO_PASSWORD: &str = "rapport-demo";
/// The seed of the demo RNG: the same seed gives the same names, messages and structure.
const DEMO_SEED: u64 = 0x0acc_e55e_ed00;

const COMPANIES: usize = 40;
const CONTACTS: usize = 200;
const USERS: usize = 150;
const CONVERSATIONS: usize = 500;

/// What [`seed_demo`] created, and how to get in.
#[derive(Debug, Clone, Serialize)]
pub struct DemoSummary {
    pub workspace_id: WorkspaceId,
    /// The public workspace id (`app_id` of the messenger).
    pub app_id: String,
    pub owner_email: String,
    pub owner_password: String,
    /// An API token acting as the owner (plaintext, shown once).
    pub token: String,
    pub admins: u64,
    pub companies: u64,
    pub contacts: u64,
    pub conversations: u64,
    pub parts: u64,
}

/// Creates the "Acme Support" demo workspace with realistic, deterministic data.
pub async fn seed_demo(db: &Db) -> StoreResult<DemoSummary> {
    let mut rng = StdRng::seed_from_u64(DEMO_SEED);
    let at = now();
    let ws = crate::workspaces::create(db, DEMO_WORKSPACE_NAME, "UTC").await?;
    let owner = crate::admins::create(
        db,
        ws.id,
        NewAdmin {
            email: DEMO_OWNER_EMAIL,
            name: "Alex Morgan",
            password: Some(DEMO_PASSWORD),
            role: AdminRole::Owner,
            job_title: Some("Founder"),
        },
    )
    .await?;
    let (_, token) = crate::tokens::create(db, ws.id, owner.id, "Demo token").await?;

    // Teammates share the owner's password hash: one argon2 run instead of eight.
    let mut admins = Rows::new(
        "admins",
        &["workspace_id", "email", "name", "password_hash", "role", "job_title", "created_at", "updated_at"],
    );
    for (name, local, role, title) in text::TEAMMATES {
        admins.push(vec![
            V::I(ws.id.get()),
            V::S(format!("{local}@acme.example")),
            V::S(name.to_string()),
            V::NS(owner.password_hash.clone()),
            V::S(role.to_string()),
            V::S(title.to_string()),
            V::I(at),
            V::I(at),
        ]);
    }
    let mut admin_ids = vec![owner.id.get()];
    admin_ids.extend(batch::insert_returning_ids(db, &admins).await?);
    let responders: Vec<i64> = std::iter::once(owner.id.get())
        .chain(
            text::TEAMMATES
                .iter()
                .zip(&admin_ids[1..])
                .filter(|((_, _, role, _), _)| *role != "viewer")
                .map(|(_, id)| *id),
        )
        .collect();

    let mut teams = Vec::new();
    for (name, members) in text::TEAMS {
        let fields = TeamFields { name: Some(name), distribution_method: Some("round_robin"), assignment_limit: None };
        let team = crate::teams::create(db, ws.id, fields).await?;
        let members: Vec<i64> = members.iter().map(|i| admin_ids[*i]).collect();
        teams.push((team.id.get(), members));
    }
    let mut memberships = Rows::new("team_members", &["workspace_id", "team_id", "admin_id", "created_at"]);
    for (team, members) in &teams {
        for admin in members {
            memberships.push(vec![V::I(ws.id.get()), V::I(*team), V::I(*admin), V::I(at)]);
        }
    }

    let mut tags = HashMap::new();
    for name in text::CONVERSATION_TAGS.iter().chain(text::CONTACT_TAGS) {
        tags.insert(name.to_string(), crate::tags::find_or_create(db, ws.id, name).await?.id);
    }
    batch::insert_all(db, &[memberships, people::data_attributes(ws.id, owner.id.get(), at)]).await?;

    let companies = people::companies(&mut rng, ws.id, COMPANIES, at);
    let company_ids = batch::insert_returning_ids(db, &companies.rows).await?;
    let contacts = people::contacts(&mut rng, ws.id, CONTACTS, USERS, &companies, at, &mut HashSet::new());
    let contact_ids = batch::insert_returning_ids(db, &contacts.rows).await?;
    let extras = people::extras(
        &mut rng,
        ws.id,
        &contacts,
        &contact_ids,
        &company_ids,
        &companies.plans,
        &responders,
        &tags,
        at,
    );
    batch::insert_all(db, &extras).await?;

    let cast = Cast {
        responders,
        teams,
        tags: tags.into_iter().filter(|(name, _)| text::CONVERSATION_TAGS.contains(&name.as_str())).collect(),
    };
    let mut plans = Vec::with_capacity(CONVERSATIONS);
    for _ in 0..CONVERSATIONS {
        let who = rng.gen_range(0..contact_ids.len());
        let created_at = at - rng.gen_range(3 * 86_400..90 * 86_400);
        let n_parts = rng.gen_range(2..=12);
        let role = contacts.roles[who];
        plans.push(conversations::plan(&mut rng, &cast, contact_ids[who], role, created_at, n_parts, at));
    }
    let parts = conversations::insert(db, ws.id, &plans).await?;

    Ok(DemoSummary {
        workspace_id: ws.id,
        app_id: ws.app_id,
        owner_email: DEMO_OWNER_EMAIL.to_string(),
        owner_password: DEMO_PASSWORD.to_string(),
        token,
        admins: admin_ids.len() as u64,
        companies: company_ids.len() as u64,
        contacts: contact_ids.len() as u64,
        conversations: plans.len() as u64,
        parts,
    })
}

/// Counts the rows of `table` in a workspace (for summaries and tests).
pub async fn count(db: &Db, workspace_id: WorkspaceId, table: &str) -> StoreResult<i64> {
    const TABLES: &[&str] = &[
        "admins",
        "teams",
        "team_members",
        "contacts",
        "companies",
        "contact_companies",
        "tags",
        "taggings",
        "notes",
        "data_attributes",
        "events",
        "conversations",
        "conversation_contacts",
        "conversation_parts",
    ];
    if !TABLES.contains(&table) {
        return Err(crate::StoreError::Invalid(format!("unknown table {table:?}")));
    }
    let sql = format!("SELECT COUNT(*) FROM {table} WHERE workspace_id = $1");
    db.read().scalar(Stmt::new(sql).arg(workspace_id)).await
}
