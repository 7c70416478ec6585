use rapport_core::admin::AdminRole;
use rapport_core::ids::AdminId;
use rapport_store::admins::NewAdmin;
use rapport_store::{admins, sessions, teams, testing, tokens, workspaces, Conflict, Named, StoreError};

#[tokio::test]
async fn tokens_authenticate_only_their_workspace_and_die_with_revocation() {
    for db in testing::all().await {
        let (ws_a, owner_a) = testing::workspace(&db).await;
        let (ws_b, _) = testing::workspace(&db).await;
        assert_ne!(ws_a.app_id, ws_b.app_id);

        let (token, plaintext) = tokens::create(&db, ws_a.id, owner_a.id, "ci").await.unwrap();
        assert_eq!(token.last_used_at, None, "a new token has not been used");
        let before = rapport_store::now();
        let (ws, admin) = tokens::authenticate(&db, &plaintext).await.unwrap().unwrap();
        assert_eq!((ws.id, admin.id), (ws_a.id, owner_a.id));
        let listed = tokens::list(&db, ws_a.id).await.unwrap();
        let used = listed.iter().find(|t| t.id == token.id).unwrap().last_used_at.expect("use recorded");
        assert!(used >= before && used <= rapport_store::now());
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
        assert!(matches!(dup, Err(StoreError::Conflict(Conflict::AdminEmailTaken { .. }))), "{dup:?}");
        let bad = admins::create(
            &db,
            ws.id,
            NewAdmin { email: "not-an-email", name: "X", password: None, role: AdminRole::Agent, job_title: None },
        )
        .await;
        assert!(matches!(bad, Err(StoreError::Invalid(_))));

        let agent = admins::create(
            &db,
            ws.id,
            NewAdmin {
                email: "agent@example.com",
                name: "Agent",
                password: None,
                role: AdminRole::Agent,
                job_title: None,
            },
        )
        .await
        .unwrap();
        let (cookie, _csrf) = sessions::create(&db, ws.id, agent.id, 3600).await.unwrap();
        assert!(sessions::authenticate(&db, &cookie).await.unwrap().is_some());
        admins::deactivate(&db, ws.id, agent.id).await.unwrap();
        assert!(sessions::authenticate(&db, &cookie).await.unwrap().is_none());

        // The last active owner can be neither deactivated nor demoted, and stays as they were.
        let (owner_cookie, _) = sessions::create(&db, ws.id, owner.id, 3600).await.unwrap();
        let refused = admins::deactivate(&db, ws.id, owner.id).await;
        assert!(matches!(refused, Err(StoreError::Invalid(_))), "{refused:?}");
        let refused = admins::set_role(&db, ws.id, owner.id, AdminRole::Admin).await;
        assert!(matches!(refused, Err(StoreError::Invalid(_))), "{refused:?}");
        assert!(sessions::authenticate(&db, &owner_cookie).await.unwrap().is_some());
        assert_eq!(admins::find(&db, ws.id, owner.id).await.unwrap().role(), AdminRole::Owner);
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
        assert!(matches!(
            teams::create(&db, ws.id, fields("VIP")).await,
            Err(StoreError::Conflict(Conflict::DuplicateName(Named::Team)))
        ));
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

#[tokio::test]
async fn two_owners_removing_each_other_at_once_leave_one_owner() {
    for db in testing::all().await {
        for deactivating in [false, true] {
            let (ws, first) = testing::workspace(&db).await;
            let second = admins::create(
                &db,
                ws.id,
                NewAdmin {
                    email: "second@example.com",
                    name: "Second",
                    password: None,
                    role: AdminRole::Owner,
                    job_title: None,
                },
            )
            .await
            .unwrap();
            let remove = |id: AdminId| {
                let db = db.clone();
                async move {
                    if deactivating {
                        admins::deactivate(&db, ws.id, id).await.map(|_| ())
                    } else {
                        admins::set_role(&db, ws.id, id, AdminRole::Agent).await.map(|_| ())
                    }
                }
            };
            let (a, b) = tokio::join!(tokio::spawn(remove(first.id)), tokio::spawn(remove(second.id)));
            let results = [a.unwrap(), b.unwrap()];
            assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "{results:?}");
            let mut owners = 0;
            for id in [first.id, second.id] {
                let admin = admins::find(&db, ws.id, id).await.unwrap();
                owners += usize::from(admin.active && admin.role() == AdminRole::Owner);
            }
            assert_eq!(owners, 1);
        }
    }
}
