//! Persistence for Rapport: one [`Db`] over a SQLite file (rusqlite) or a PostgreSQL pool
//! (sqlx), a repository module per aggregate, and the migrations for each backend
//! (`migrations/{sqlite,postgres}`, one numbering for both; see `db.rs` and
//! `tests/schema_parity.rs`).
//!
//! Every query takes a `workspace_id` and filters on it: tenant isolation lives here, not in the
//! callers. Nothing in this crate knows about HTTP. SQL lives only in this crate.
//!
//! A statement is a [`Stmt`] (one SQL text for both engines, its arguments as [`Arg`]s), run by a
//! [`Tx`] (a write transaction, [`Db::begin`]) or a [`Read`] ([`Db::read`]) through [`Conn`]. A
//! write step is a plain function taking `&mut Tx`, so steps of several aggregates compose in one
//! transaction; [`Tx::commit`] returns once the write is durable and then announces the events it
//! appended. What a statement answers decodes as a [`Row`] (`#[derive(Row)]`, one column per
//! field) or a [`Scalar`]. Errors are [`StoreError`]s, with the conflicts the product knows typed
//! as [`Conflict`].
#![forbid(unsafe_code)]

// `#[derive(Row)]` names `::rapport_store`, this crate, in what it generates.
extern crate self as rapport_store;

mod db;
mod error;
pub mod search;
pub mod seed;
mod sql;
mod sqlite;
#[cfg(feature = "testing")]
pub mod testing;
mod tx;
mod write_tx;

/// A boxed future borrowing for `'c`: what the per-backend trait methods of the store answer.
pub type BoxFuture<'c, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'c>>;

pub mod admins;
pub mod attachments;
pub mod companies;
pub mod contacts;
pub mod conversations;
pub mod data_attributes;
pub mod email;
pub mod event_log;
pub mod events;
pub mod github;
pub mod invites;
pub mod messenger;
pub mod notes;
pub mod routing;
pub mod saved_replies;
pub mod segment;
pub mod sessions;
pub mod sla;
pub mod tags;
pub mod teams;
pub mod tokens;
pub mod webhooks;
pub mod workspaces;

pub use db::{Backend, Committed, Db};
pub use error::{Conflict, Named, OptionExt, StoreError, StoreResult};
pub use rapport_store_derive::Row;
pub use sql::{Arg, Row, RowRef, Scalar, Stmt};
pub use tx::{Conn, Read, Tx};
pub use write_tx::WriteStats;

/// The current time as unix seconds, the unit every timestamp column uses.
pub fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// `$first, $first+1, …` for `count` values bound in order: the inside of an `IN (…)` list.
pub(crate) fn placeholders(first: usize, count: usize) -> String {
    (0..count).map(|i| format!("${}", first + i)).collect::<Vec<_>>().join(", ")
}
