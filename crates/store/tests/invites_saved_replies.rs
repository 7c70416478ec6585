use rapport_core::admin::AdminRole;
use rapport_store::saved_replies::{self, SavedReplyFields};
use rapport_store::{admins, invites, testing, StoreError};

#[tokio::test]
async fn an_invitation_is_accepted_once_even_when_clicked_twice_at_once() {
    for db in testing::all().await {
        let (ws, owner) = testing::workspace(&db).await;
        let (invite, token) =
            invites::create(&db, ws.id, owner.id, "twice@example.com", "Twice", AdminRole::Agent).await.unwrap();
        assert_eq!(invite.expires_at - invite.created_at, invites::INVITE_TTL_SECONDS);
        let (a, b) = tokio::join!(
            invites::accept(&db, &token, "First", "long enough pass"),
            invites::accept(&db, &token, "Second", "long enough pass"),
        );
        let accepted: Vec<_> = [a, b].into_iter().filter_map(Result::ok).collect();
        assert_eq!(accepted.len(), 1, "exactly one accept wins");
        let admin = admins::find_by_email(&db, ws.id, "twice@example.com").await.unwrap();
        assert_eq!((admin.id, admin.role()), (accepted[0].id, AdminRole::Agent));
        assert!(admin.verify_password("long enough pass"));
        assert!(matches!(invites::find_by_token(&db, &token).await, Err(StoreError::NotFound { .. })));
        assert_eq!(admins::list(&db, ws.id).await.unwrap().len(), 2);
    }
}

#[tokio::test]
async fn the_last_owner_keeps_the_role_and_saved_replies_stay_in_their_workspace() {
    for db in testing::all().await {
        let (ws, owner) = testing::workspace(&db).await;
        let err = admins::set_role(&db, ws.id, owner.id, AdminRole::Admin).await.unwrap_err();
        assert!(matches!(err, StoreError::Invalid(ref m) if m.contains("last owner")), "{err}");
        assert_eq!(admins::find(&db, ws.id, owner.id).await.unwrap().role(), AdminRole::Owner);

        let (other, _) = testing::workspace(&db).await;
        let fields = SavedReplyFields { name: Some("Hi"), body: Some("Hi {{contact.first_name}}") };
        let reply = saved_replies::create(&db, ws.id, fields).await.unwrap();
        assert!(matches!(saved_replies::find(&db, other.id, reply.id).await, Err(StoreError::NotFound { .. })));
        assert!(matches!(saved_replies::delete(&db, other.id, reply.id).await, Err(StoreError::NotFound { .. })));
        let rename = SavedReplyFields { name: Some("Mine"), body: None };
        assert!(matches!(
            saved_replies::update(&db, other.id, reply.id, rename).await,
            Err(StoreError::NotFound { .. })
        ));
        // The same name is fine in another workspace.
        let fields = SavedReplyFields { name: Some("Hi"), body: Some("Hello") };
        saved_replies::create(&db, other.id, fields).await.unwrap();
        assert_eq!(saved_replies::find(&db, ws.id, reply.id).await.unwrap().name, "Hi");
    }
}
