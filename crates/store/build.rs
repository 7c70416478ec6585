//! `sqlx::migrate!` (db.rs) embeds the files of `migrations/` at compile time, but cargo does not
//! see a file added there as a change to this crate: without this, an incremental build keeps the
//! old migration list (what `sqlx migrate build-script` generates).
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
