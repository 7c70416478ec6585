//! Read receipts and unread counts. A contact's receipt is the last part they have seen
//! (`conversation_contacts.last_read_part_id`); the team's is `conversations.admin_last_read_part_id`.
//! An admin's receipt also sets the conversation's Intercom `read` flag.
use rapport_core::event::EventKind;
use rapport_core::ids::{AdminId, ContactId, ConversationId, WorkspaceId};
use serde_json::json;

use super::actions::append_event;
use super::find;
use crate::event_log::Audience;
use crate::{Conn, Db, OptionExt, Stmt, StoreError, StoreResult};

/// Who read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    Contact(ContactId),
    Admin(AdminId),
}

/// Records that `reader` has seen the conversation up to `part_id` (its last part when `None`) and
/// writes a `conversation.read` event. An admin's read also marks their @mentions up to that part
/// seen. Returns the event's seq, or `None` when the receipt was already there and no mention
/// was unseen (nothing is written). A contact must take part in the conversation.
pub async fn mark_read(
    db: &Db,
    workspace_id: WorkspaceId,
    id: ConversationId,
    reader: Reader,
    part_id: Option<i64>,
) -> StoreResult<Option<i64>> {
    find(db, workspace_id, id).await?;
    // A contact's receipt can only name a part they see (never a note or an assignment).
    let visible = match reader {
        Reader::Contact(_) => " AND part_type IN ('comment', 'close', 'open')",
        Reader::Admin(_) => "",
    };
    let last_sql =
        format!("SELECT MAX(id) FROM conversation_parts WHERE workspace_id = $1 AND conversation_id = $2{visible}");
    let named_sql = format!(
        "SELECT id FROM conversation_parts WHERE workspace_id = $1 AND conversation_id = $2 AND id = $3{visible}"
    );
    let part_id = match part_id {
        None => {
            let last: Option<i64> = db.read().scalar(Stmt::new(last_sql).arg(workspace_id).arg(id)).await?;
            let Some(last) = last else { return Ok(None) };
            last
        }
        Some(p) => {
            let named: Option<i64> =
                db.read().scalar_optional(Stmt::new(named_sql).arg(workspace_id).arg(id).arg(p)).await?;
            named.or_not_found("conversation_part")?
        }
    };
    let reader_json = match reader {
        Reader::Contact(contact_id) => {
            let sql = "SELECT contact_id FROM conversation_contacts WHERE workspace_id = $1 AND conversation_id = $2 \
                       AND contact_id = $3";
            let participant: Option<i64> =
                db.read().scalar_optional(Stmt::new(sql).arg(workspace_id).arg(id).arg(contact_id)).await?;
            if participant.is_none() {
                return Err(StoreError::not_found("conversation"));
            }
            json!({"type": "contact", "id": contact_id})
        }
        Reader::Admin(admin_id) => {
            crate::admins::find(db, workspace_id, admin_id).await?;
            json!({"type": "admin", "id": admin_id})
        }
    };
    let mut tx = db.begin().await?;
    let changed = match reader {
        Reader::Contact(contact_id) => Stmt::new(
            "UPDATE conversation_contacts SET last_read_part_id = $3 WHERE workspace_id = $1 \
             AND conversation_id = $2 AND contact_id = $4 AND (last_read_part_id IS NULL OR last_read_part_id < $3)",
        )
        .arg(workspace_id)
        .arg(id)
        .arg(part_id)
        .arg(contact_id),
        Reader::Admin(_) => Stmt::new(
            "UPDATE conversations SET admin_last_read_part_id = $3, read = TRUE WHERE workspace_id = $1 \
             AND id = $2 AND (admin_last_read_part_id IS NULL OR admin_last_read_part_id < $3)",
        )
        .arg(workspace_id)
        .arg(id)
        .arg(part_id),
    };
    let changed = tx.execute(changed).await?;
    // The reader's own @mentions up to that part are seen now, whoever read the team's
    // receipt before them.
    let mentions_seen = match reader {
        Reader::Contact(_) => 0,
        Reader::Admin(admin_id) => {
            tx.execute(
                Stmt::new(
                    "UPDATE conversation_mentions SET seen_at = $5 WHERE workspace_id = $1 AND conversation_id = $2 \
                     AND admin_id = $3 AND part_id <= $4 AND seen_at IS NULL",
                )
                .arg(workspace_id)
                .arg(id)
                .arg(admin_id)
                .arg(part_id)
                .arg(crate::now()),
            )
            .await?
        }
    };
    if changed == 0 && mentions_seen == 0 {
        return Ok(None);
    }
    let extra = json!({"reader": reader_json, "part_id": part_id});
    let seq = append_event(&mut tx, workspace_id, id, EventKind::ConversationRead, Audience::Everyone, extra).await?;
    tx.commit().await?;
    Ok(Some(seq))
}

/// For each conversation of the contact with admin messages they have not read: its id and how
/// many. Only messages contacts see count (admin `comment` parts).
pub async fn unread_for_contact(
    db: &Db,
    workspace_id: WorkspaceId,
    contact_id: ContactId,
) -> StoreResult<Vec<(ConversationId, i64)>> {
    let sql = "SELECT p.conversation_id, COUNT(*) FROM conversation_contacts cc \
         JOIN conversation_parts p ON p.workspace_id = cc.workspace_id AND p.conversation_id = cc.conversation_id \
         WHERE cc.workspace_id = $1 AND cc.contact_id = $2 AND p.author_type = 'admin' AND p.part_type = 'comment' \
         AND p.id > COALESCE(cc.last_read_part_id, 0) GROUP BY p.conversation_id ORDER BY p.conversation_id";
    db.read().fetch_all(Stmt::new(sql).arg(workspace_id).arg(contact_id)).await
}

/// The last part the team has read in a conversation, and each contact's: `(contact_id, part_id)`.
pub async fn receipts(
    db: &Db,
    workspace_id: WorkspaceId,
    id: ConversationId,
) -> StoreResult<(Option<i64>, Vec<(ContactId, Option<i64>)>)> {
    let conversation = find(db, workspace_id, id).await?;
    let sql = "SELECT contact_id, last_read_part_id FROM conversation_contacts WHERE workspace_id = $1 \
               AND conversation_id = $2 ORDER BY created_at, contact_id";
    let contacts: Vec<(ContactId, Option<i64>)> = db.read().fetch_all(Stmt::new(sql).arg(workspace_id).arg(id)).await?;
    Ok((conversation.admin_last_read_part_id, contacts))
}
