//! The SQL of `rapport bench write` (a contact create; an admin comment on a conversation), run
//! in-process on one synchronous SQLite connection in batches with a savepoint per write, as the
//! group commit did when the figures were taken (it now keeps one savepoint per batch, one
//! statement less per write): what a writer with no hand-off per statement could reach.
//! The statements are copies of the store's (`contacts::create`, `event_log`, `conversations::
//! actions`) as of the figures in docs/BENCHMARKS.md; a change there is not followed here.
//!
//! Usage: sqlite-writer-ceiling DB_PATH WRITES BATCH, where DB_PATH is a database `rapport bench
//! write` has used (it needs a workspace, an admin and conversations); the database is written to.
//! A database grown outside `rapport serve` needs its planner statistics first (`PRAGMA optimize`,
//! which the server runs at start): without them the full-text indexes' flushes read much of the
//! index (docs/BENCHMARKS.md).
#![forbid(unsafe_code)]

use rusqlite::{params, Connection};
use std::time::{Duration, Instant};

const APPEND: &str = "INSERT INTO event_log (workspace_id, seq, kind, conversation_id, audience, payload, created_at) \
    VALUES (?1, COALESCE((SELECT last_seq FROM event_sequences WHERE workspace_id = ?1), 0) + 1, ?2, ?3, ?4, ?5, ?6) \
    RETURNING seq";
const CONTACT: &str = "INSERT INTO contacts (workspace_id, role, email, email_domain, unsubscribed_from_emails, \
    custom_attributes, created_at, updated_at) VALUES (?1, 'user', ?2, 'example.com', 0, '{}', ?3, ?3) RETURNING id";
const CONVERSATION: &str = "SELECT * FROM conversations WHERE workspace_id = ?1 AND id = ?2";
const PART: &str = "INSERT INTO conversation_parts (workspace_id, conversation_id, part_type, body, author_type, \
    author_id, state, created_at, updated_at) VALUES (?1, ?2, 'comment', ?3, 'admin', ?4, 'open', ?5, ?5) RETURNING id";
// Sets every column the state machine owns, as `conversations::actions` does.
const UPDATE: &str = "UPDATE conversations SET state = 'open', read = 1, waiting_since = NULL, snoozed_until = NULL, \
    admin_assignee_id = admin_assignee_id, team_assignee_id = team_assignee_id, \
    first_contact_reply_at = first_contact_reply_at, first_admin_reply_at = COALESCE(first_admin_reply_at, ?3), \
    first_assignment_at = first_assignment_at, last_assignment_at = last_assignment_at, \
    first_close_at = first_close_at, last_close_at = last_close_at, last_closed_by_id = last_closed_by_id, \
    last_contact_reply_at = last_contact_reply_at, last_admin_reply_at = ?3, count_reopens = count_reopens, \
    count_assignments = count_assignments, count_parts = count_parts + 1, \
    last_assignment_admin_reply_at = last_assignment_admin_reply_at, time_to_assignment = time_to_assignment, \
    reply_times = reply_times, updated_at = ?3 WHERE workspace_id = ?1 AND id = ?2 RETURNING id";
const CONTACTED: &str = "UPDATE contacts SET last_contacted_at = ?3 WHERE workspace_id = ?1 AND id IN \
    (SELECT contact_id FROM conversation_contacts WHERE workspace_id = ?1 AND conversation_id = ?2)";
const CONTACT_IDS: &str = "SELECT contact_id FROM conversation_contacts WHERE workspace_id = ?1 \
    AND conversation_id = ?2 ORDER BY created_at, contact_id";

/// Time spent per statement kind, and how many ran.
#[derive(Default)]
struct Spent(Vec<(&'static str, Duration, u32)>);

impl Spent {
    fn time<T>(&mut self, kind: &'static str, run: impl FnOnce() -> rusqlite::Result<T>) -> rusqlite::Result<T> {
        let start = Instant::now();
        let out = run();
        match self.0.iter_mut().find(|(k, _, _)| *k == kind) {
            Some((_, d, n)) => {
                *d += start.elapsed();
                *n += 1;
            }
            None => self.0.push((kind, start.elapsed(), 1)),
        }
        out
    }
}

fn main() -> rusqlite::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, path, writes, batch] = &args[..] else {
        eprintln!("usage: sqlite-writer-ceiling DB_PATH WRITES BATCH");
        std::process::exit(2);
    };
    let (writes, batch): (usize, usize) = (writes.parse().expect("WRITES"), batch.parse().expect("BATCH"));
    let db = Connection::open(path)?;
    db.pragma_update(None, "journal_mode", "WAL")?;
    db.pragma_update(None, "synchronous", "NORMAL")?;
    db.pragma_update(None, "foreign_keys", "ON")?;
    let ws: i64 = db.query_row("SELECT id FROM workspaces LIMIT 1", [], |r| r.get(0))?;
    let admin: i64 = db.query_row("SELECT id FROM admins WHERE workspace_id = ?1 LIMIT 1", [ws], |r| r.get(0))?;
    let conversations: Vec<i64> = db
        .prepare("SELECT id FROM conversations WHERE workspace_id = ?1 ORDER BY id DESC LIMIT 512")?
        .query_map([ws], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let run = std::process::id();
    let mut spent = Spent::default();
    let start = Instant::now();
    let mut done = 0usize;
    while done < writes {
        db.execute_batch("BEGIN IMMEDIATE")?;
        for _ in 0..batch {
            done += 1;
            let now = 1_763_700_000 + done as i64;
            db.execute_batch("SAVEPOINT w")?;
            if done % 2 == 1 {
                let email = format!("ceiling-{run}-{done}@example.com");
                let id: i64 = spent.time("contact insert", || {
                    db.prepare_cached(CONTACT)?.query_row(params![ws, email, now], |r| r.get(0))
                })?;
                let payload = format!("{{\"contact\":{{\"id\":{id},\"role\":\"user\"}}}}");
                spent.time("event insert (contact)", || {
                    db.prepare_cached(APPEND)?
                        .query_row(params![ws, "contact.created", None::<i64>, "admins", payload, now], |r| {
                            r.get::<_, i64>(0)
                        })
                })?;
            } else {
                let id = conversations[done % conversations.len()];
                spent.time("conversation read", || {
                    db.prepare_cached(CONVERSATION)?.query_row(params![ws, id], |_| Ok(()))
                })?;
                let body = format!("<p>Bench reply {done}</p>");
                let part: i64 = spent.time("part insert", || {
                    db.prepare_cached(PART)?.query_row(params![ws, id, body, admin, now], |r| r.get(0))
                })?;
                spent.time("conversation update", || {
                    db.prepare_cached(UPDATE)?.query_row(params![ws, id, now], |r| r.get::<_, i64>(0))
                })?;
                spent.time("contacts update", || db.prepare_cached(CONTACTED)?.execute(params![ws, id, now]))?;
                let contact_ids: Vec<i64> = spent.time("contact ids", || {
                    db.prepare_cached(CONTACT_IDS)?.query_map(params![ws, id], |r| r.get(0))?.collect()
                })?;
                let payload = format!("{{\"part\":{{\"id\":{part}}},\"contact_ids\":{contact_ids:?}}}");
                spent.time("event insert (reply)", || {
                    db.prepare_cached(APPEND)?
                        .query_row(params![ws, "conversation_part.created", id, "everyone", payload, now], |r| {
                            r.get::<_, i64>(0)
                        })
                })?;
            }
            db.execute_batch("RELEASE w")?;
        }
        spent.time("commit", || db.execute_batch("COMMIT"))?;
    }
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "{done} writes in {elapsed:.2} s: {:.0} writes/s ({:.0} µs each), {batch} per transaction",
        done as f64 / elapsed,
        elapsed / done as f64 * 1e6
    );
    for (kind, d, n) in &spent.0 {
        println!("  {kind:24} {:7.0} µs each ({n} runs)", d.as_secs_f64() * 1e6 / f64::from(*n));
    }
    Ok(())
}
