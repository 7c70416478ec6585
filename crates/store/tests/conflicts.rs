//! How a database failure becomes a `StoreError`, against a real unique violation on SQLite and
//! PostgreSQL: an unmapped one is `Conflict::Unknown`, whose message names nothing of the schema
//! (the driver's text is kept for the log only); a repository that knows the rule names it; any
//! other database failure stays `Db`.
use rapport_core::ids::WorkspaceId;
use rapport_store::{now, testing, Backend, Conflict, Db, Named, Stmt, StoreError, StoreResult};

/// Inserts a tag row directly (in a transaction of its own, through the store's statement
/// runner, so the failure is converted where every repository's is); `name: None` breaks the
/// NOT NULL rule instead.
async fn insert_tag(db: &Db, workspace_id: WorkspaceId, name: Option<&str>) -> StoreResult<()> {
    let insert = Stmt::new("INSERT INTO tags (workspace_id, name, created_at) VALUES ($1, $2, $3)")
        .arg(workspace_id)
        .arg(name)
        .arg(now());
    testing::write(db, insert).await?;
    Ok(())
}

#[tokio::test]
async fn an_unmapped_unique_violation_is_an_unknown_conflict_without_the_drivers_text() {
    for db in testing::all().await {
        let backend = db.backend();
        let names = testing::schema_names(&db).await;
        let (ws, _) = testing::workspace(&db).await;
        insert_tag(&db, ws.id, Some("VIP")).await.unwrap();
        let error = insert_tag(&db, ws.id, Some("VIP")).await.unwrap_err();
        let StoreError::Conflict(Conflict::Unknown { detail }) = &error else { panic!("{backend:?}: {error:?}") };
        // The detail is the driver's text, kept for the log: it says which rule broke.
        let driver_text = detail;
        assert!(
            !testing::schema_leaks(driver_text, &names).is_empty(),
            "{backend:?}: the check must see what the driver says: {driver_text}"
        );
        assert!(detail.contains("tags"), "{backend:?}: {detail}");
        // What a client may see names nothing of the schema.
        assert_eq!(error.to_string(), "The request conflicts with existing data", "{backend:?}");
        let StoreError::Conflict(conflict) = &error else { unreachable!() };
        assert_eq!(conflict.answer(), "The request conflicts with existing data", "{backend:?}");
        assert_eq!(testing::schema_leaks(&error.to_string(), &names), Vec::<String>::new(), "{backend:?}");

        // A repository that knows the rule names it.
        let raw = insert_tag(&db, ws.id, Some("VIP")).await.unwrap_err();
        let named = StoreError::unique_as(raw, Conflict::DuplicateName(Named::Tag));
        assert!(matches!(named, StoreError::Conflict(Conflict::DuplicateName(Named::Tag))), "{backend:?}: {named:?}");
        assert_eq!(named.to_string(), "a tag with this name already exists");

        // Any other database failure is not a conflict, named or not: it stays the engine's
        // database error (PostgreSQL's through sqlx, SQLite's through rusqlite).
        let database_error = |error: &StoreError| match backend {
            Backend::Sqlite => matches!(error, StoreError::Sqlite(_)),
            Backend::Postgres => matches!(error, StoreError::Db(_)),
        };
        let raw = insert_tag(&db, ws.id, None).await.unwrap_err();
        assert!(database_error(&raw), "{backend:?}: {raw:?}");
        let raw = insert_tag(&db, ws.id, None).await.unwrap_err();
        let kept = StoreError::unique_as(raw, Conflict::DuplicateName(Named::Tag));
        assert!(database_error(&kept), "{backend:?}: {kept:?}");
    }
}

#[tokio::test]
async fn a_known_conflict_is_named_by_the_repository_that_hit_it() {
    for db in testing::all().await {
        let (ws, _) = testing::workspace(&db).await;
        let tag = rapport_store::tags::find_or_create(&db, ws.id, "VIP").await.unwrap();
        let other = rapport_store::tags::find_or_create(&db, ws.id, "Later").await.unwrap();
        // Renaming onto a taken name hits the unique index, named as the duplicate it is.
        let renamed = rapport_store::tags::rename(&db, ws.id, other.id, "VIP").await;
        assert!(
            matches!(renamed, Err(StoreError::Conflict(Conflict::DuplicateName(Named::Tag)))),
            "{:?}: {renamed:?}",
            db.backend()
        );
        assert_eq!(rapport_store::tags::find(&db, ws.id, other.id).await.unwrap().name, "Later");
        assert_eq!(rapport_store::tags::find(&db, ws.id, tag.id).await.unwrap().name, "VIP");
    }
}
