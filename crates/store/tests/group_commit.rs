//! Group commit (SQLite) and the write transactions of both backends: concurrent writes that
//! share a commit are all durable and visible once acknowledged; a write that fails or is
//! dropped inside a shared batch is undone alone, and the others' writes stay; the event log
//! numbers their events without gaps.
use rapport_core::ids::WorkspaceId;
use std::time::Duration;

use rapport_store::contacts::{self, ContactFields};
use rapport_store::{event_log, testing, Conflict, Conn, Db, Stmt, StoreError, StoreResult};

/// A fresh SQLite file and a fresh PostgreSQL database (unless skipped), as URLs, so a second
/// handle can check what the first one made durable.
async fn urls() -> Vec<String> {
    let path = std::env::temp_dir().join(format!("rapport-group-commit-{}.db", rand_suffix()));
    let mut urls = vec![format!("sqlite://{}", path.display())];
    if testing::postgres_enabled() {
        urls.push(testing::postgres_url().await);
    }
    urls
}

fn rand_suffix() -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("{}-{nanos}-{}", std::process::id(), NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
}

async fn open(url: &str) -> Db {
    let db = Db::connect(url).await.expect("connect");
    db.migrate().await.expect("migrate");
    db
}

fn user(external_id: &str) -> ContactFields {
    ContactFields { external_id: Some(Some(external_id.to_string())), ..Default::default() }
}

/// Inserts a contact row with `external_id` inside a write transaction, then fails with a
/// second insert of the same external id (a unique violation in the database) when `fail`.
async fn insert_then_maybe_fail(db: &Db, workspace_id: WorkspaceId, external_id: &str, fail: bool) -> StoreResult<()> {
    const INSERT: &str = "INSERT INTO contacts (workspace_id, role, external_id, custom_attributes, created_at, \
                          updated_at) VALUES ($1, 'user', $2, '{}', 0, 0)";
    let mut tx = db.begin().await?;
    tx.execute(Stmt::new(INSERT).arg(workspace_id).arg(external_id)).await?;
    if fail {
        tx.execute(Stmt::new(INSERT).arg(workspace_id).arg(external_id)).await?;
    }
    tx.commit().await
}

async fn count_contacts(db: &Db, workspace_id: WorkspaceId) -> i64 {
    contacts::count(db, workspace_id).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_acknowledged_writes_are_all_durable_and_visible() {
    for url in urls().await {
        let db = open(&url).await;
        let (ws, _) = testing::workspace(&db).await;
        let writers: Vec<_> = (0..200)
            .map(|i| {
                let db = db.clone();
                tokio::spawn(async move { contacts::create(&db, ws.id, user(&format!("u-{i}"))).await })
            })
            .collect();
        let mut ids = Vec::new();
        for writer in writers {
            ids.push(writer.await.unwrap().expect("a concurrent create failed").id);
        }
        // Every acknowledged contact is readable right away, by this handle and by another
        // connection pool (another process would see the same file).
        for id in &ids {
            contacts::find(&db, ws.id, *id).await.expect("acknowledged contact is visible");
        }
        let other = Db::connect(&url).await.unwrap();
        assert_eq!(count_contacts(&other, ws.id).await, 200, "{url}");
        // Each create logged its event under the next number: 1..=200, no gap, no repeat.
        let log = event_log::after(&other, ws.id, 0, 1000).await.unwrap();
        assert_eq!(log.iter().map(|e| e.seq).collect::<Vec<_>>(), (1..=200).collect::<Vec<i64>>(), "{url}");
        assert_eq!(event_log::last_seq(&other, ws.id).await.unwrap(), 200, "{url}");
        if db.backend() == rapport_store::Backend::Sqlite {
            let stats = db.write_stats();
            assert!(stats.writes >= 200, "{stats:?}");
            assert!(stats.commits <= stats.writes, "{stats:?}");
        }
        // Closing right after the acknowledgements loses nothing.
        db.close().await;
        other.close().await;
        let reopened = Db::connect(&url).await.unwrap();
        assert_eq!(count_contacts(&reopened, ws.id).await, 200, "{url}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failing_or_dropped_write_in_a_batch_is_undone_alone() {
    for url in urls().await {
        let db = open(&url).await;
        let (ws, _) = testing::workspace(&db).await;
        let before = db.write_stats();
        // The first writer holds the write turn while the others queue behind it, so on SQLite
        // they all join one batch.
        let first = {
            let mut tx = db.begin().await.unwrap();
            tx.execute(Stmt::new("UPDATE workspaces SET name = 'Renamed' WHERE id = $1").arg(ws.id)).await.unwrap();
            let writers: Vec<_> = (0..30)
                .map(|i| {
                    let db = db.clone();
                    tokio::spawn(async move {
                        match i {
                            // A unique violation after a good insert: the whole write is undone.
                            7 => insert_then_maybe_fail(&db, ws.id, "bad", true).await,
                            // Writes, then is dropped without committing.
                            13 => {
                                let mut tx = db.begin().await?;
                                tx.execute(
                                    Stmt::new(
                                        "INSERT INTO contacts (workspace_id, role, external_id, custom_attributes, \
                                         created_at, updated_at) VALUES ($1, 'user', 'dropped', '{}', 0, 0)",
                                    )
                                    .arg(ws.id),
                                )
                                .await?;
                                drop(tx);
                                Ok::<_, StoreError>(())
                            }
                            _ => insert_then_maybe_fail(&db, ws.id, &format!("good-{i}"), false).await,
                        }
                    })
                })
                .collect();
            tokio::time::sleep(Duration::from_millis(200)).await;
            tx.commit().await.unwrap();
            writers
        };
        let mut failures = 0;
        for (i, writer) in first.into_iter().enumerate() {
            match writer.await.unwrap() {
                Ok(()) => assert_ne!(i, 7),
                Err(e) => {
                    assert_eq!(i, 7, "only the bad write fails: {e}");
                    assert!(matches!(e, StoreError::Conflict(Conflict::Unknown { .. })), "{e:?}");
                    failures += 1;
                }
            }
        }
        assert_eq!(failures, 1);
        let other = Db::connect(&url).await.unwrap();
        assert_eq!(count_contacts(&other, ws.id).await, 28, "28 good writes, not the bad one nor the dropped one");
        for missing in ["bad", "dropped"] {
            assert!(contacts::find_by_external_id(&other, ws.id, missing).await.is_err(), "{missing} was undone");
        }
        assert_eq!(rapport_store::workspaces::find(&other, ws.id).await.unwrap().name, "Renamed");
        if db.backend() == rapport_store::Backend::Sqlite {
            let stats = db.write_stats();
            let (writes, commits) = (stats.writes - before.writes, stats.commits - before.commits);
            assert_eq!(writes, 29, "the first writer and 28 good ones: {stats:?}");
            assert!(commits < writes, "queued writers shared commits: {writes} writes, {commits} commits");
        }
        // The database takes writes afterwards (the dropped writer's savepoint was settled).
        contacts::create(&db, ws.id, user("after")).await.unwrap();
        assert_eq!(count_contacts(&other, ws.id).await, 29);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_lone_dropped_write_releases_the_database() {
    for url in urls().await {
        let db = open(&url).await;
        let (ws, _) = testing::workspace(&db).await;
        {
            let mut tx = db.begin().await.unwrap();
            tx.execute(Stmt::new("UPDATE workspaces SET name = 'Never' WHERE id = $1").arg(ws.id)).await.unwrap();
        }
        // Another handle (another process) can write at once: no batch was left open.
        let other = Db::connect(&url).await.unwrap();
        tokio::time::timeout(Duration::from_secs(5), contacts::create(&other, ws.id, user("elsewhere")))
            .await
            .expect("the write lock was released")
            .unwrap();
        assert_ne!(rapport_store::workspaces::find(&other, ws.id).await.unwrap().name, "Never");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_cancelled_writer_leaves_the_others_acknowledged() {
    for url in urls().await {
        let db = open(&url).await;
        let (ws, _) = testing::workspace(&db).await;
        let writers = {
            let tx = db.begin().await.unwrap();
            let writers: Vec<_> = (0..20)
                .map(|i| {
                    let db = db.clone();
                    tokio::spawn(async move {
                        if i == 5 {
                            // A client that goes away while its write waits in the queue.
                            let write = insert_then_maybe_fail(&db, ws.id, "cancelled", false);
                            let _ = tokio::time::timeout(Duration::from_millis(1), write).await;
                            return Ok(());
                        }
                        insert_then_maybe_fail(&db, ws.id, &format!("kept-{i}"), false).await
                    })
                })
                .collect();
            tokio::time::sleep(Duration::from_millis(200)).await;
            tx.commit().await.unwrap();
            writers
        };
        for writer in writers {
            tokio::time::timeout(Duration::from_secs(10), writer)
                .await
                .expect("no writer hangs")
                .unwrap()
                .expect("the other writes are acknowledged");
        }
        let other = Db::connect(&url).await.unwrap();
        for i in (0..20).filter(|i| *i != 5) {
            contacts::find_by_external_id(&other, ws.id, &format!("kept-{i}")).await.expect("acknowledged write kept");
        }
        // The database still takes writes (no batch was left open).
        tokio::time::timeout(Duration::from_secs(5), contacts::create(&other, ws.id, user("after")))
            .await
            .expect("the write lock was released")
            .unwrap();
    }
}
