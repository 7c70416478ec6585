//! Files attached to messages: a metadata row per file, the bytes on disk under the attachments
//! directory (outside any web root) at `storage_key` = `<workspace_id>/<random hex>`.
//!
//! An upload belongs to its uploader until a message of theirs claims it
//! (`conversations::send` / `create` with `SendOptions::attachment_ids`).
use rapport_core::ids::{AdminId, ContactId, WorkspaceId};
use std::path::{Path, PathBuf};

use rand::Rng;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::{now, Conn, Db, OptionExt, Stmt, StoreResult};

/// An attachment's metadata.
#[derive(Debug, Clone, Serialize, crate::Row)]
pub struct Attachment {
    pub id: i64,
    pub workspace_id: WorkspaceId,
    /// The message it was sent with; `None` while uploaded but not sent.
    pub part_id: Option<i64>,
    /// `admin` or `contact`.
    pub uploader_type: String,
    pub uploader_id: i64,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
    #[serde(skip)]
    pub storage_key: String,
    pub created_at: i64,
}

const COLUMNS: &str =
    "id, workspace_id, part_id, uploader_type, uploader_id, name, content_type, size, sha256, storage_key, created_at";

/// Who uploads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uploader {
    Admin(AdminId),
    Contact(ContactId),
}

impl Uploader {
    fn columns(self) -> (&'static str, i64) {
        match self {
            Uploader::Admin(id) => ("admin", id.get()),
            Uploader::Contact(id) => ("contact", id.get()),
        }
    }
}

/// A checked upload (see `rapport_core::attachment::accept`).
pub struct NewAttachment<'a> {
    pub uploader: Uploader,
    pub name: &'a str,
    pub content_type: &'a str,
    pub bytes: &'a [u8],
}

fn path_of(dir: &Path, storage_key: &str) -> PathBuf {
    storage_key.split('/').fold(dir.to_path_buf(), |path, part| path.join(part))
}

/// Writes the bytes under `dir`, then the row. A failed insert removes the file again.
pub async fn create(db: &Db, dir: &Path, workspace_id: WorkspaceId, new: NewAttachment<'_>) -> StoreResult<Attachment> {
    let storage_key = format!("{workspace_id}/{}", hex::encode(rand::thread_rng().gen::<[u8; 16]>()));
    let path = path_of(dir, &storage_key);
    if let Some(parent) = path.parent() {
        tokio::fs::create_dir_all(parent).await?;
    }
    // Write to a temporary name first so a crash never leaves a half-written file under its key.
    let partial = path.with_extension("partial");
    tokio::fs::write(&partial, new.bytes).await?;
    tokio::fs::File::open(&partial).await?.sync_all().await?;
    tokio::fs::rename(&partial, &path).await?;
    let (uploader_type, uploader_id) = new.uploader.columns();
    let sql = format!(
        "INSERT INTO attachments (workspace_id, part_id, uploader_type, uploader_id, name, content_type, size, \
         sha256, storage_key, created_at) VALUES ($1, NULL, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {COLUMNS}"
    );
    let insert = Stmt::new(sql)
        .arg(workspace_id)
        .arg(uploader_type)
        .arg(uploader_id)
        .arg(new.name)
        .arg(new.content_type)
        .arg(new.bytes.len() as i64)
        .arg(hex::encode(Sha256::digest(new.bytes)))
        .arg(&storage_key)
        .arg(now());
    let inserted = async {
        let mut tx = db.begin().await?;
        let row: Attachment = tx.fetch_one(insert).await?;
        tx.commit().await?;
        Ok::<_, crate::StoreError>(row)
    };
    match inserted.await {
        Ok(row) => Ok(row),
        Err(e) => {
            let _ = tokio::fs::remove_file(&path).await;
            Err(e)
        }
    }
}

/// An attachment of the workspace (what teammates may fetch).
pub async fn find(db: &Db, workspace_id: WorkspaceId, id: i64) -> StoreResult<Attachment> {
    let sql = format!("SELECT {COLUMNS} FROM attachments WHERE workspace_id = $1 AND id = $2");
    db.read().fetch_optional(Stmt::new(sql).arg(workspace_id).arg(id)).await?.or_not_found("attachment")
}

/// An attachment a contact may fetch: one they uploaded, or one sent with a message they see
/// (a public part of a conversation they take part in). Anything else is not found.
pub async fn find_for_contact(
    db: &Db,
    workspace_id: WorkspaceId,
    id: i64,
    contact_id: ContactId,
) -> StoreResult<Attachment> {
    let sql = format!(
        "SELECT {COLUMNS} FROM attachments a WHERE a.workspace_id = $1 AND a.id = $2 AND \
         ((a.uploader_type = 'contact' AND a.uploader_id = $3) OR EXISTS (SELECT 1 FROM conversation_parts p \
         JOIN conversation_contacts cc ON cc.workspace_id = p.workspace_id AND cc.conversation_id = p.conversation_id \
         WHERE p.workspace_id = $1 AND p.id = a.part_id AND cc.contact_id = $3 \
         AND p.part_type IN ('comment', 'close', 'open')))"
    );
    db.read().fetch_optional(Stmt::new(sql).arg(workspace_id).arg(id).arg(contact_id)).await?.or_not_found("attachment")
}

/// The stored bytes of an attachment.
pub async fn read(dir: &Path, attachment: &Attachment) -> StoreResult<Vec<u8>> {
    Ok(tokio::fs::read(path_of(dir, &attachment.storage_key)).await?)
}

/// Uploads deleted per statement while sweeping.
const SWEEP_BATCH: i64 = 500;

/// Deletes uploads that no message claimed and that were uploaded before `created_before`: the
/// rows first, then their files (a file already gone is fine). Returns how many were deleted.
/// An upload claimed meanwhile keeps its part and is not touched.
pub async fn delete_unsent(db: &Db, dir: &Path, created_before: i64) -> StoreResult<u64> {
    let sql = "DELETE FROM attachments WHERE id IN (SELECT id FROM attachments \
               WHERE part_id IS NULL AND created_at < $1 ORDER BY created_at LIMIT $2) \
               AND part_id IS NULL RETURNING storage_key";
    let mut deleted = 0;
    loop {
        let mut tx = db.begin().await?;
        let keys: Vec<String> = tx.scalars(Stmt::new(sql).arg(created_before).arg(SWEEP_BATCH)).await?;
        tx.commit().await?;
        for key in &keys {
            match tokio::fs::remove_file(path_of(dir, key)).await {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    tracing::warn!(error = %e, storage_key = %key, "cannot delete an unsent upload's file")
                }
                _ => {}
            }
        }
        deleted += keys.len() as u64;
        if (keys.len() as i64) < SWEEP_BATCH {
            return Ok(deleted);
        }
    }
}
