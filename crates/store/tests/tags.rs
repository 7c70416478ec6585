use rapport_core::ids::WorkspaceId;
use rapport_store::companies::{self, CompanyFields};
use rapport_store::tags::{self, Target};
use rapport_store::{testing, Conflict, Db, StoreError};

async fn contact(db: &Db, workspace_id: WorkspaceId) -> i64 {
    testing::contact(db, workspace_id, "user", None, None).await.unwrap().get()
}

#[tokio::test]
async fn tags_are_created_once_renamed_and_deleted_only_when_unused() {
    for db in testing::all().await {
        let (ws, admin) = testing::workspace(&db).await;
        let t = tags::find_or_create(&db, ws.id, " VIP ").await.unwrap();
        assert_eq!(t.name, "VIP");
        assert_eq!(tags::find_or_create(&db, ws.id, "VIP").await.unwrap().id, t.id);
        assert!(matches!(tags::find_or_create(&db, ws.id, "  ").await, Err(StoreError::Invalid(_))));
        let renamed = tags::rename(&db, ws.id, t.id, "Very Important").await.unwrap();
        assert_eq!(renamed.name, "Very Important");
        let hostile = tags::find_or_create(&db, ws.id, "'; DROP TABLE tags; --").await.unwrap();
        assert_eq!(tags::list(&db, ws.id).await.unwrap().len(), 2);
        assert_eq!(tags::find(&db, ws.id, hostile.id).await.unwrap().name, "'; DROP TABLE tags; --");

        let c = contact(&db, ws.id).await;
        let applied = tags::apply(&db, ws.id, t.id, Target::Contact, c, Some(admin.id)).await.unwrap();
        assert_eq!(applied.applied_by_admin_id, Some(admin.id));
        assert!(matches!(tags::delete(&db, ws.id, t.id).await, Err(StoreError::Conflict(Conflict::TagInUse))));
        tags::remove(&db, ws.id, t.id, Target::Contact, c).await.unwrap();
        tags::delete(&db, ws.id, t.id).await.unwrap();
        assert!(matches!(tags::find(&db, ws.id, t.id).await, Err(StoreError::NotFound { entity: "tag" })));
    }
}

#[tokio::test]
async fn bulk_tagging_is_all_or_nothing_and_scoped_to_the_workspace() {
    for db in testing::all().await {
        let (a, admin) = testing::workspace(&db).await;
        let (b, _) = testing::workspace(&db).await;
        let tag = tags::find_or_create(&db, a.id, "bulk").await.unwrap();
        let fields = CompanyFields::default();
        let (c1, _) = companies::upsert(&db, a.id, "c1", fields.clone()).await.unwrap();
        let (c2, _) = companies::upsert(&db, a.id, "c2", fields.clone()).await.unwrap();
        let (theirs, _) = companies::upsert(&db, b.id, "c3", fields).await.unwrap();

        tags::apply_and_remove_many(
            &db,
            a.id,
            tag.id,
            Target::Company,
            &[c1.id.get(), c2.id.get()],
            &[],
            Some(admin.id),
        )
        .await
        .unwrap();
        let applied = tags::tags_of(&db, a.id, Target::Company, &[c1.id.get(), c2.id.get()]).await.unwrap();
        assert_eq!(applied.len(), 2);
        assert!(applied.iter().all(|t| t.applied_by_admin_id == Some(admin.id)));

        // One unknown (other workspace's) target: nothing at all changes.
        let r =
            tags::apply_and_remove_many(&db, a.id, tag.id, Target::Company, &[], &[c1.id.get(), theirs.id.get()], None)
                .await;
        assert!(matches!(r, Err(StoreError::NotFound { entity: "company" })));
        assert_eq!(tags::usage_count(&db, a.id, tag.id).await.unwrap(), 2);

        // Untag is idempotent; the other workspace cannot use the tag.
        tags::apply_and_remove_many(&db, a.id, tag.id, Target::Company, &[], &[c1.id.get(), c1.id.get()], None)
            .await
            .unwrap();
        assert_eq!(tags::usage_count(&db, a.id, tag.id).await.unwrap(), 1);
        let r = tags::apply_and_remove_many(&db, b.id, tag.id, Target::Company, &[theirs.id.get()], &[], None).await;
        assert!(matches!(r, Err(StoreError::NotFound { entity: "tag" })));

        let contact_b = contact(&db, b.id).await;
        let r = tags::apply_and_remove_many(&db, a.id, tag.id, Target::Contact, &[contact_b], &[], None).await;
        assert!(matches!(r, Err(StoreError::NotFound { entity: "contact" })));
    }
}
