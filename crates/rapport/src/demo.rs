//! `--demo` and `rapport demo`: a realistic workspace to explore, created only when the database
//! has no workspace yet (so restarting with `--demo` never duplicates or overwrites anything).
use rapport_store::Db;

pub async fn seed_if_empty(db: &Db, public_url: &str) -> anyhow::Result<()> {
    if rapport_store::workspaces::count(db).await? > 0 {
        println!("Demo: the database already has a workspace; nothing seeded.");
        return Ok(());
    }
    let demo = rapport_store::seed::seed_demo(db).await?;
    println!(
        "Demo workspace {} seeded: {} teammates, {} companies, {} contacts, {} conversations ({} parts).",
        demo.app_id, demo.admins, demo.companies, demo.contacts, demo.conversations, demo.parts
    );
    println!("  Sign in:   {} / {}", demo.owner_email, demo.owner_password);
    println!("  API token: {}", demo.token);
    println!("  Try:       curl -H 'Authorization: Bearer {}' {public_url}/api/conversations", demo.token);
    Ok(())
}
