//! Unsent uploads: attachments nobody sent with a message are deleted (row and file) once their
//! grace period is over; sent ones stay. On SQLite and PostgreSQL.
use rapport_core::ids::WorkspaceId;
use std::path::Path;

use rapport_store::attachments::{self, Attachment, NewAttachment, Uploader};
use rapport_store::conversations::{self, NewConversation, SendOptions};
use rapport_store::{now, testing, Db};

async fn upload(db: &Db, dir: &Path, workspace_id: WorkspaceId, uploader: Uploader, name: &str) -> Attachment {
    let new = NewAttachment { uploader, name, content_type: "text/plain", bytes: name.as_bytes() };
    attachments::create(db, dir, workspace_id, new).await.unwrap()
}

/// A fresh, empty attachments directory.
fn fresh_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("rapport-sweep-{}-{}", std::process::id(), rand_suffix()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}

fn file_exists(dir: &Path, a: &Attachment) -> bool {
    a.storage_key.split('/').fold(dir.to_path_buf(), |p, part| p.join(part)).exists()
}

#[tokio::test]
async fn unsent_uploads_are_swept_after_their_grace_period_and_sent_ones_stay() {
    for db in testing::all().await {
        let dir = fresh_dir();
        let (ws, owner) = testing::workspace(&db).await;
        let (other_ws, _) = testing::workspace(&db).await;
        let joe = testing::contact(&db, ws.id, "user", Some("joe"), None).await.unwrap();
        let sent = upload(&db, dir.as_path(), ws.id, Uploader::Contact(joe), "sent.txt").await;
        let unsent = upload(&db, dir.as_path(), ws.id, Uploader::Contact(joe), "unsent.txt").await;
        let by_admin = upload(&db, dir.as_path(), ws.id, Uploader::Admin(owner.id), "draft.txt").await;
        let elsewhere = upload(&db, dir.as_path(), other_ws.id, Uploader::Admin(owner.id), "other.txt").await;
        let options = SendOptions { client_id: None, attachment_ids: &[sent.id], ..Default::default() };
        let new = NewConversation { contact_id: joe, body: "see file", subject: None, created_at: None, options };
        conversations::create(&db, ws.id, new).await.unwrap();

        // Within the grace period nothing goes.
        let day_ago = now() - 24 * 3600;
        assert_eq!(attachments::delete_unsent(&db, dir.as_path(), day_ago).await.unwrap(), 0);
        for a in [&sent, &unsent, &by_admin, &elsewhere] {
            assert!(attachments::find(&db, a.workspace_id, a.id).await.is_ok());
            assert!(file_exists(dir.as_path(), a));
        }

        // Once it is over (the clock injected, not slept), every unsent upload of every workspace goes.
        let later = now() + 1;
        assert_eq!(attachments::delete_unsent(&db, dir.as_path(), later).await.unwrap(), 3);
        for a in [&unsent, &by_admin, &elsewhere] {
            assert!(attachments::find(&db, a.workspace_id, a.id).await.is_err(), "{} row kept", a.name);
            assert!(!file_exists(dir.as_path(), a), "{} file kept", a.name);
        }
        let kept = attachments::find(&db, ws.id, sent.id).await.unwrap();
        assert!(kept.part_id.is_some());
        assert_eq!(attachments::read(dir.as_path(), &kept).await.unwrap(), b"sent.txt");
        assert_eq!(
            attachments::delete_unsent(&db, dir.as_path(), later).await.unwrap(),
            0,
            "a second sweep finds nothing"
        );
    }
}

#[tokio::test]
async fn a_sweep_whose_file_is_already_gone_still_deletes_the_row() {
    for db in testing::all().await {
        let dir = fresh_dir();
        let (ws, owner) = testing::workspace(&db).await;
        let a = upload(&db, dir.as_path(), ws.id, Uploader::Admin(owner.id), "lost.txt").await;
        let path = a.storage_key.split('/').fold(dir.as_path().to_path_buf(), |p, part| p.join(part));
        std::fs::remove_file(path).unwrap();
        assert_eq!(attachments::delete_unsent(&db, dir.as_path(), now() + 1).await.unwrap(), 1);
        assert!(attachments::find(&db, ws.id, a.id).await.is_err());
    }
}
