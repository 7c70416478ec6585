//! @mentions in notes (stored on the part, validated, searchable as `mentioned_admin_ids`) and
//! tags on conversation parts (stored, shown on the part, logged). On SQLite and PostgreSQL.
use rapport_core::admin::AdminRole;
use rapport_core::conversation::PartType;
use rapport_core::ids::{AdminId, ConversationId, WorkspaceId};
use rapport_store::admins::{self, NewAdmin};
use rapport_store::conversations::{self, Change, NewConversation, SendOptions, Sort};
use rapport_store::{event_log, tags, testing, Conflict, Db, StoreError};
use serde_json::json;

async fn teammate(db: &Db, workspace_id: WorkspaceId, email: &str) -> AdminId {
    let new = NewAdmin { email, name: "Tess Teammate", password: None, role: AdminRole::Agent, job_title: None };
    admins::create(db, workspace_id, new).await.unwrap().id
}

async fn conversation(db: &Db, workspace_id: WorkspaceId) -> (ConversationId, i64) {
    let joe = testing::contact(db, workspace_id, "lead", None, None).await.unwrap();
    let new =
        NewConversation { contact_id: joe, body: "Hi", subject: None, created_at: None, options: Default::default() };
    let sent = conversations::create(db, workspace_id, new).await.unwrap();
    (sent.conversation.id, sent.parts[0].id)
}

fn mentioning(ids: &[AdminId]) -> SendOptions<'_> {
    SendOptions { mentioned_admin_ids: ids, ..Default::default() }
}

async fn mentioned_conversations(
    db: &Db,
    ws: &rapport_store::workspaces::Workspace,
    admin_id: AdminId,
) -> Vec<ConversationId> {
    let query = json!({"field": "mentioned_admin_ids", "operator": "=", "value": admin_id});
    let page = conversations::search(db, ws, &query, Sort::default(), 50, None).await.unwrap();
    page.conversations.iter().map(|c| c.id).collect()
}

#[tokio::test]
async fn a_note_records_its_mentions_and_the_mentions_view_finds_them() {
    for db in testing::all().await {
        let (ws, owner) = testing::workspace(&db).await;
        let tess = teammate(&db, ws.id, "tess@example.com").await;
        let (id, _) = conversation(&db, ws.id).await;
        let (other, _) = conversation(&db, ws.id).await;

        let note = Change::AdminNote { admin_id: owner.id, body: "<p>@Tess Teammate can you look?</p>" };
        let sent = conversations::send(&db, ws.id, id, note, mentioning(&[tess, tess])).await.unwrap();
        assert_eq!(sent.parts[0].mentioned_admin_ids, vec![tess], "stored once");

        // The event the mentioned teammate's socket receives names them.
        let log = event_log::after(&db, ws.id, 0, 100).await.unwrap();
        let last = log.last().unwrap();
        assert_eq!(last.kind, "conversation_part.created");
        assert_eq!(last.payload()["part"]["mentioned_admin_ids"], json!([tess]));

        let detail = conversations::find_detail(&db, ws.id, id).await.unwrap();
        let part = detail.parts.iter().find(|p| p.part_type == PartType::Note).unwrap();
        assert_eq!(part.mentioned_admin_ids, vec![tess]);
        let live = conversations::live_parts(&db, ws.id, id, false, 0, 10).await.unwrap();
        assert_eq!(live.iter().find(|p| p.part_type == PartType::Note).unwrap().mentioned_admin_ids, vec![tess]);

        assert_eq!(mentioned_conversations(&db, &ws, tess).await, vec![id]);
        assert!(mentioned_conversations(&db, &ws, owner.id).await.is_empty());
        let not_mentioned = json!({"field": "mentioned_admin_ids", "operator": "!=", "value": tess});
        let page = conversations::search(&db, &ws, &not_mentioned, Sort::default(), 50, None).await.unwrap();
        assert_eq!(page.conversations.iter().map(|c| c.id).collect::<Vec<_>>(), vec![other]);
    }
}

#[tokio::test]
async fn a_bad_mention_is_refused_and_writes_nothing() {
    for db in testing::all().await {
        let (ws, owner) = testing::workspace(&db).await;
        let (theirs, _) = testing::workspace(&db).await;
        let stranger = teammate(&db, theirs.id, "stranger@example.com").await;
        let gone = teammate(&db, ws.id, "gone@example.com").await;
        admins::deactivate(&db, ws.id, gone).await.unwrap();
        let tess = teammate(&db, ws.id, "tess@example.com").await;
        let (id, _) = conversation(&db, ws.id).await;
        let before = event_log::after(&db, ws.id, 0, 100).await.unwrap().len();
        let parts_before = conversations::find_detail(&db, ws.id, id).await.unwrap().parts.len();

        let note = Change::AdminNote { admin_id: owner.id, body: "@someone" };
        for bad in [vec![stranger], vec![tess, gone], vec![AdminId::new(999_999)]] {
            let r = conversations::send(&db, ws.id, id, note, mentioning(&bad)).await;
            assert!(
                matches!(r, Err(StoreError::Invalid(ref m)) if m.contains("mentioned_admin_ids")),
                "{bad:?}: {r:?}"
            );
        }
        // Only notes mention.
        let comment = Change::AdminComment { admin_id: owner.id, body: "@Tess" };
        let r = conversations::send(&db, ws.id, id, comment, mentioning(&[tess])).await;
        assert!(matches!(r, Err(StoreError::Invalid(_))));

        assert_eq!(event_log::after(&db, ws.id, 0, 100).await.unwrap().len(), before);
        assert_eq!(conversations::find_detail(&db, ws.id, id).await.unwrap().parts.len(), parts_before);
        assert!(mentioned_conversations(&db, &ws, tess).await.is_empty());
    }
}

#[tokio::test]
async fn a_part_carries_its_tags_and_each_change_is_logged() {
    for db in testing::all().await {
        let (ws, owner) = testing::workspace(&db).await;
        let (id, source) = conversation(&db, ws.id).await;
        let (other, other_part) = conversation(&db, ws.id).await;
        let tag = tags::find_or_create(&db, ws.id, "bug report").await.unwrap();

        let applied = conversations::tag_part(&db, ws.id, id, source, tag.id, owner.id).await.unwrap();
        assert_eq!((applied.id, applied.applied_by_admin_id), (tag.id, Some(owner.id)));
        // Idempotent: a second application logs nothing new.
        let seq = event_log::after(&db, ws.id, 0, 100).await.unwrap().len();
        conversations::tag_part(&db, ws.id, id, source, tag.id, owner.id).await.unwrap();
        assert_eq!(event_log::after(&db, ws.id, 0, 100).await.unwrap().len(), seq);

        let detail = conversations::find_detail(&db, ws.id, id).await.unwrap();
        let part = detail.parts.iter().find(|p| p.id == source).unwrap();
        assert_eq!(part.tags.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), vec!["bug report"]);
        assert!(detail.related.tags.is_empty(), "the conversation itself is not tagged");

        // A part of another conversation, or of another workspace, is not found; nothing changes.
        let r = conversations::tag_part(&db, ws.id, id, other_part, tag.id, owner.id).await;
        assert!(matches!(r, Err(StoreError::NotFound { entity: "conversation_part" })));
        let (theirs, their_owner) = testing::workspace(&db).await;
        let r = conversations::tag_part(&db, theirs.id, id, source, tag.id, their_owner.id).await;
        assert!(matches!(r, Err(StoreError::NotFound { entity: "conversation" })));
        let r = conversations::tag_part(&db, ws.id, id, source, 999_999, owner.id).await;
        assert!(matches!(r, Err(StoreError::NotFound { entity: "tag" })));
        assert!(conversations::find_detail(&db, ws.id, other).await.unwrap().parts[0].tags.is_empty());

        // A tag in use on a part cannot be deleted.
        assert!(matches!(tags::delete(&db, ws.id, tag.id).await, Err(StoreError::Conflict(Conflict::TagInUse))));

        conversations::untag_part(&db, ws.id, id, source, tag.id).await.unwrap();
        let r = conversations::untag_part(&db, ws.id, id, source, tag.id).await;
        assert!(matches!(r, Err(StoreError::NotFound { entity: "tag" })));
        let log = event_log::after(&db, ws.id, 0, 100).await.unwrap();
        let kinds: Vec<&str> = log
            .iter()
            .map(|e| e.kind.as_str())
            .filter(|k| k.starts_with("conversation_part.") && k.ends_with("tagged"))
            .collect();
        assert_eq!(kinds, vec!["conversation_part.tagged", "conversation_part.untagged"]);
        let tagged = log.iter().find(|e| e.kind == "conversation_part.tagged").unwrap();
        assert_eq!(tagged.payload()["part_id"], json!(source));
        assert_eq!(tagged.payload()["tag"]["name"], json!("bug report"));
        assert_eq!(tagged.audience.as_str(), "admins");

        // Deleting the conversation removes its part taggings, so the tag can go.
        conversations::tag_part(&db, ws.id, id, source, tag.id, owner.id).await.unwrap();
        conversations::delete(&db, ws.id, id).await.unwrap();
        tags::delete(&db, ws.id, tag.id).await.unwrap();
    }
}

#[tokio::test]
async fn a_mention_stays_unseen_until_the_mentioned_teammate_opens_the_conversation() {
    use rapport_store::conversations::counts::unseen_mentions;
    use rapport_store::conversations::Reader;
    for db in testing::all().await {
        let (ws, owner) = testing::workspace(&db).await;
        let tess = teammate(&db, ws.id, "tess@example.com").await;
        let (id, _) = conversation(&db, ws.id).await;
        let (other, _) = conversation(&db, ws.id).await;
        assert_eq!(unseen_mentions(&db, ws.id, tess).await.unwrap(), 0);

        let note = Change::AdminNote { admin_id: owner.id, body: "<p>@Tess Teammate look</p>" };
        conversations::send(&db, ws.id, id, note, mentioning(&[tess])).await.unwrap();
        conversations::send(&db, ws.id, id, note, mentioning(&[tess])).await.unwrap();
        conversations::send(&db, ws.id, other, note, mentioning(&[tess])).await.unwrap();
        assert_eq!(unseen_mentions(&db, ws.id, tess).await.unwrap(), 2, "counted per conversation");
        assert_eq!(unseen_mentions(&db, ws.id, owner.id).await.unwrap(), 0);

        // The owner reading the conversation (the team's receipt) does not see Tess's mentions.
        conversations::mark_read(&db, ws.id, id, Reader::Admin(owner.id), None).await.unwrap().unwrap();
        assert_eq!(unseen_mentions(&db, ws.id, tess).await.unwrap(), 2);
        // Tess opening it does, though the receipt itself was already there; an event says so.
        let seq = conversations::mark_read(&db, ws.id, id, Reader::Admin(tess), None).await.unwrap();
        assert!(seq.is_some(), "seeing a mention is a change the sidebars hear about");
        assert_eq!(unseen_mentions(&db, ws.id, tess).await.unwrap(), 1);
        // Nothing left to see there: no write, no event.
        assert_eq!(conversations::mark_read(&db, ws.id, id, Reader::Admin(tess), None).await.unwrap(), None);

        // A receipt up to an earlier part leaves a later mention unseen.
        let first_part = conversations::find_detail(&db, ws.id, other).await.unwrap().parts[0].id;
        let later = conversations::send(&db, ws.id, other, note, mentioning(&[tess])).await.unwrap();
        conversations::mark_read(&db, ws.id, other, Reader::Admin(tess), Some(first_part)).await.unwrap();
        assert_eq!(unseen_mentions(&db, ws.id, tess).await.unwrap(), 1);
        conversations::mark_read(&db, ws.id, other, Reader::Admin(tess), Some(later.parts[0].id)).await.unwrap();
        assert_eq!(unseen_mentions(&db, ws.id, tess).await.unwrap(), 0);

        // Another workspace's teammate with the same id space sees nothing of this one.
        let (theirs, _) = testing::workspace(&db).await;
        assert_eq!(unseen_mentions(&db, theirs.id, tess).await.unwrap(), 0);
    }
}
