//! `--demo`: a realistic workspace to explore, created only when the database has none.
use rapport_store::Db;

pub async fn seed_if_empty(db: &Db, public_url: &str) -> anyhow::Result<()> {
    if rapport_store::workspaces::count(db).await? > 0 {
        println!("Demo: the database already has workspaces; nothing seeded.");
        return Ok(());
    }
    let _ = public_url;
    anyhow::bail!("demo data is not available in this build yet")
}
