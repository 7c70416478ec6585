//! The command line: what each subcommand takes and does.
use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use rapport_core::admin::AdminRole;
use rapport_store::admins::NewAdmin;
use rapport_store::Db;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://./rapport-data/rapport.db";

#[derive(Parser, Debug)]
#[command(name = "rapport", version, about = "Self-hosted, Intercom-compatible customer messaging")]
pub struct Cli {
    /// TOML config file; its keys are flag names (`database_url`, `listen`, …).
    #[arg(long, global = true, env = "RAPPORT_CONFIG")]
    pub config: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug, Clone)]
pub struct DbArgs {
    /// `sqlite://PATH` (the default, created when missing) or `postgres://user@host/db`.
    #[arg(long, env = "RAPPORT_DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,
}

impl DbArgs {
    /// Connects and applies pending migrations.
    pub async fn open(&self) -> anyhow::Result<Db> {
        let db = Db::connect(&self.database_url)
            .await
            .with_context(|| format!("cannot open database {}", redact(&self.database_url)))?;
        db.migrate().await.context("cannot migrate the database")?;
        Ok(db)
    }
}

/// Hides a password in a database URL before it is printed.
fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Runs the server (HTTP API and web app), migrating the database first.
    Serve(crate::serve::ServeArgs),
    /// Applies pending database migrations and exits.
    Migrate(DbArgs),
    /// Seeds the demo workspace into an empty database (as `serve --demo` does) and exits.
    Demo(DbArgs),
    /// Benchmarks: sustained writes, queries on a large database, idle memory.
    #[command(subcommand)]
    Bench(crate::bench::BenchCommand),
    /// Workspaces (tenants).
    #[command(subcommand)]
    Workspace(WorkspaceCommand),
    /// Admins (teammates).
    #[command(subcommand)]
    Admin(AdminCommand),
    /// API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
}

#[derive(Subcommand, Debug)]
pub enum WorkspaceCommand {
    /// Creates a workspace; prints its id (the messenger app_id) alone on the last line.
    Create {
        #[arg(long)]
        name: String,
        /// IANA timezone of the workspace (office hours, date search).
        #[arg(long, default_value = "UTC")]
        timezone: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Prints a workspace as JSON.
    Show {
        /// The workspace id (app_id).
        id: String,
        #[command(flatten)]
        inbound: InboundDomainArg,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Lists workspaces, one JSON object per line.
    List {
        #[command(flatten)]
        inbound: InboundDomainArg,
        #[command(flatten)]
        db: DbArgs,
    },
}

/// The domain of the addresses the SMTP listener receives mail at (`<app_id>@<domain>`).
#[derive(Args, Debug, Clone)]
pub struct InboundDomainArg {
    /// Mail to `<app_id>@<inbound domain>` becomes conversations of that workspace (see
    /// `serve --smtp-listen`); point the domain's MX at the listener.
    #[arg(long, env = "RAPPORT_INBOUND_DOMAIN")]
    pub inbound_domain: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum AdminCommand {
    /// Adds a teammate to a workspace.
    Create {
        /// The workspace id (app_id).
        #[arg(long)]
        workspace: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// At least 8 characters. Prefer RAPPORT_ADMIN_PASSWORD to keep it out of shell history.
        #[arg(long, env = "RAPPORT_ADMIN_PASSWORD")]
        password: String,
        #[arg(long, default_value = "agent", value_parser = ["owner", "admin", "agent", "viewer"])]
        role: String,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Creates an API token acting as an admin; prints the token alone on the last line.
    Create {
        /// The workspace id (app_id).
        #[arg(long)]
        workspace: String,
        /// The admin's email.
        #[arg(long)]
        admin: String,
        #[arg(long, default_value = "cli")]
        name: String,
        #[command(flatten)]
        db: DbArgs,
    },
}

/// A workspace as `workspace show` prints it; `inbound_email` is its address at the inbound
/// domain, when one is configured.
pub fn workspace_json(ws: &rapport_store::workspaces::Workspace, inbound_domain: Option<&str>) -> serde_json::Value {
    serde_json::json!({
        "id": ws.app_id,
        "app_id": ws.app_id,
        "name": ws.name,
        "timezone": ws.timezone,
        "identity_verification_secret": ws.identity_secret,
        "identity_verification_enforced": ws.identity_enforced,
        "tracking_key": ws.tracking_key,
        "inbound_email": inbound_domain.map(|domain| format!("{}@{domain}", ws.app_id)),
        "created_at": ws.created_at,
    })
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => crate::serve::run(args).await,
        Command::Migrate(db) => {
            db.open().await?;
            println!("database is up to date");
            Ok(())
        }
        Command::Demo(db) => {
            let db = db.open().await?;
            crate::demo::seed_if_empty(&db, "http://127.0.0.1:8080").await
        }
        Command::Bench(command) => crate::bench::run(command).await,
        Command::Workspace(WorkspaceCommand::Create { name, timezone, db }) => {
            let db = db.open().await?;
            let ws = rapport_store::workspaces::create(&db, &name, &timezone).await?;
            println!("created workspace {:?}", ws.name);
            println!("{}", ws.app_id);
            Ok(())
        }
        Command::Workspace(WorkspaceCommand::Show { id, inbound, db }) => {
            let db = db.open().await?;
            let ws = rapport_store::workspaces::find_by_app_id(&db, &id)
                .await
                .with_context(|| format!("no workspace with id {id:?}"))?;
            println!("{}", serde_json::to_string_pretty(&workspace_json(&ws, inbound.inbound_domain.as_deref()))?);
            Ok(())
        }
        Command::Workspace(WorkspaceCommand::List { inbound, db }) => {
            let db = db.open().await?;
            for ws in rapport_store::workspaces::list(&db).await? {
                println!("{}", workspace_json(&ws, inbound.inbound_domain.as_deref()));
            }
            Ok(())
        }
        Command::Admin(AdminCommand::Create { workspace, email, name, password, role, db }) => {
            let db = db.open().await?;
            let ws = rapport_store::workspaces::find_by_app_id(&db, &workspace)
                .await
                .with_context(|| format!("no workspace with id {workspace:?}"))?;
            let role: AdminRole = role.parse()?;
            let new = NewAdmin { email: &email, name: &name, password: Some(&password), role, job_title: None };
            let admin = rapport_store::admins::create(&db, ws.id, new).await?;
            println!("created {} {} <{}> in {}", admin.role, admin.name, admin.email, ws.app_id);
            println!("{}", admin.id);
            Ok(())
        }
        Command::Token(TokenCommand::Create { workspace, admin, name, db }) => {
            let db = db.open().await?;
            let ws = rapport_store::workspaces::find_by_app_id(&db, &workspace)
                .await
                .with_context(|| format!("no workspace with id {workspace:?}"))?;
            let admin = rapport_store::admins::find_by_email(&db, ws.id, &admin)
                .await
                .with_context(|| format!("no admin with email {admin:?} in workspace {workspace}"))?;
            let (_, token) = rapport_store::tokens::create(&db, ws.id, admin.id, &name).await?;
            println!("token for {} (shown once; store it now):", admin.email);
            println!("{token}");
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn database_passwords_are_redacted() {
        assert_eq!(super::redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(super::redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(super::redact("sqlite://./x.db"), "sqlite://./x.db");
    }
}
