use rapport_core::admin::AdminRole;
use rapport_store::admins::NewAdmin;
use rapport_store::{admins, sessions, teams, testing, tokens, workspaces, StoreError};

#[tokio::test]
async fn tokens_authenticate_only_their_workspace_and_die_with_revocation() {
    for db in testing::all().await {
        let (ws_a, owner_a) = testing::workspace(&db).await;
        let (ws_b, _) = testing::workspace(&db).await;
        assert_ne!(ws_a.app_id, ws_b.app_id);

        let (token, plaintext) = tokens::create(&db, ws_a.id, owner_a.id, "ci").await.unwrap();
        let (ws, admin) = tokens::authenticate(&db, &plaintext).await.unwrap().unwrap();
        assert_eq!((ws.id, admin.id), (ws_a.id, owner_a.id));
        assert!(tokens::authenticate(&db, "rpt_nope").await.unwrap().is_none());

        // Another workspace cannot revoke it, and the stored form is not the plaintext.
        assert!(matches!(tokens::revoke(&db, ws_b.id, token.id).await, Err(StoreError::NotFound { .. })));
        tokens::revoke(&db, ws_a.id, token.id).await.unwrap();
        assert!(tokens::authenticate(&db, &plaintext).await.unwrap().is_none());
    }
}

#[tokio::test]
async fn admins_are_unique_per_workspace_and_deactivation_ends_sessions() {
    for db in testing::all().await {
        let (ws, owner) = testing::workspace(&db).await;
        assert!(owner.verify_password("correct horse battery"));
        assert!(!owner.verify_password("wrong"));
        let dup = admins::create(
            &db,
            ws.id,
            NewAdmin {
                email: "OWNER@example.com",
                name: "Again",
                password: None,
                role: AdminRole::Agent,
                job_title: None,
            },
        )
        .await;
        assert!(matches!(dup, Err(StoreError::Conflict(_))), "{dup:?}");
        let bad = admins::create(
            &db,
            ws.id,
            NewAdmin { email: "not-an-email", name: "X", password: None, role: AdminRole::Agent, job_title: None },
        )
        .await;
        assert!(matches!(bad, Err(StoreError::Invalid(_))));

        let (cookie, _csrf) = sessions::create(&db, ws.id, owner.id, 3600).await.unwrap();
        assert!(sessions::authenticate(&db, &cookie).await.unwrap().is_some());
        admins::deactivate(&db, ws.id, owner.id).await.unwrap();
        assert!(sessions::authenticate(&db, &cookie).await.unwrap().is_none());
        assert_eq!(workspaces::find_by_app_id(&db, &ws.app_id).await.unwrap().id, ws.id);
    }
}

#[tokio::test]
async fn teams_keep_members_inside_their_workspace() {
    for db in testing::all().await {
        let (ws, owner) = testing::workspace(&db).await;
        let (other_ws, other_owner) = testing::workspace(&db).await;
        let fields = |name| teams::TeamFields { name: Some(name), distribution_method: None, assignment_limit: None };
        let team = teams::create(&db, ws.id, fields("VIP")).await.unwrap();
        assert!(matches!(teams::create(&db, ws.id, fields("VIP")).await, Err(StoreError::Conflict(_))));
        teams::add_member(&db, ws.id, team.id, owner.id).await.unwrap();
        teams::add_member(&db, ws.id, team.id, owner.id).await.unwrap();
        assert!(teams::add_member(&db, ws.id, team.id, other_owner.id).await.is_err());
        assert!(teams::find(&db, other_ws.id, team.id).await.is_err());
        assert_eq!(teams::member_ids(&db, ws.id, team.id).await.unwrap(), vec![owner.id]);
        assert_eq!(admins::team_ids(&db, ws.id, owner.id).await.unwrap(), vec![team.id]);
        let bad = teams::TeamFields { name: None, distribution_method: Some("random"), assignment_limit: None };
        assert!(matches!(teams::update(&db, ws.id, team.id, bad).await, Err(StoreError::Invalid(_))));
        teams::delete(&db, ws.id, team.id).await.unwrap();
        assert!(teams::find(&db, ws.id, team.id).await.is_err());
    }
}
