//! Sorted, cursor-paged conversation lists and their counts, on both engines.
use rapport_core::conversation::ConversationState;
use rapport_core::ids::{AdminId, ContactId, ConversationId, WorkspaceId};
use rapport_store::conversations::{self, Cursor, Sort, SortField, TEXT_COUNT_CAP, TOTAL_COUNT_CAP};
use rapport_store::workspaces::Workspace;
use rapport_store::{testing, Db, Stmt, StoreError};
use serde_json::{json, Value};

/// A conversation row with the sort columns given (plain SQL: the write paths are tested elsewhere).
async fn row(db: &Db, ws: WorkspaceId, contact: ContactId, i: i64) -> ConversationId {
    let state = ["open", "open", "snoozed", "closed"][(i % 4) as usize];
    let priority = i % 5 == 0;
    // Ties on purpose: several rows share each timestamp, and some are not waiting.
    let waiting = (i % 3 != 0).then_some(1_000 + (i * 7) % 11);
    let (created, updated) = (2_000 + (i * 13) % 17, 3_000 + (i * 5) % 7);
    let admin = (i % 2 == 0).then_some(77);
    let insert = Stmt::new(
        "INSERT INTO conversations (workspace_id, contact_id, state, priority, admin_assignee_id, source_type, \
         source_delivered_as, source_author_type, source_author_id, waiting_since, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, 'conversation', 'customer_initiated', 'user', $2, $6, $7, $8) RETURNING id",
    )
    .arg(ws)
    .arg(contact)
    .arg(state)
    .arg(priority)
    .arg(admin)
    .arg(waiting)
    .arg(created)
    .arg(updated);
    testing::insert(db, insert).await.unwrap()
}

/// Pages through a search (or the list when `query` is None) three at a time.
async fn walk(db: &Db, ws: &Workspace, query: Option<&Value>, sort: Sort) -> Vec<conversations::Conversation> {
    let mut seen = Vec::new();
    let mut after: Option<Cursor> = None;
    loop {
        let page = match query {
            Some(q) => conversations::search(db, ws, q, sort, 3, after.as_ref()).await.unwrap(),
            None => conversations::list(db, ws.id, sort, 3, after.as_ref()).await.unwrap(),
        };
        let last = page.conversations.last().cloned();
        seen.extend(page.conversations);
        if !page.has_more {
            break;
        }
        let last = last.unwrap();
        after = Some(Cursor { sort, key: sort.key(&last) });
    }
    seen
}

/// The expected order, computed in Rust from the rows.
fn sorted(mut rows: Vec<conversations::Conversation>, sort: Sort) -> Vec<ConversationId> {
    rows.sort_by_key(|c| sort.key(c));
    let ascending = match sort.field {
        SortField::Priority => sort.descending,
        _ => !sort.descending,
    };
    if !ascending {
        rows.reverse();
    }
    rows.iter().map(|c| c.id).collect()
}

#[tokio::test]
async fn every_sort_pages_through_exactly_once_in_order() {
    for db in testing::all().await {
        let (ws, _) = testing::workspace(&db).await;
        let (other, _) = testing::workspace(&db).await;
        let contact = testing::contact(&db, ws.id, "user", None, None).await.unwrap();
        let foreign_contact = testing::contact(&db, other.id, "user", None, None).await.unwrap();
        for i in 0..40 {
            row(&db, ws.id, contact, i).await;
        }
        row(&db, other.id, foreign_contact, 3).await;
        let all = walk(&db, &ws, None, Sort::default()).await;
        assert_eq!(all.len(), 40);
        let mine_open = json!({"operator": "AND", "value": [
            {"field": "state", "operator": "=", "value": "open"},
            {"field": "admin_assignee_id", "operator": "=", "value": 77},
        ]});
        let unassigned_open = json!({"operator": "AND", "value": [
            {"field": "state", "operator": "=", "value": "open"},
            {"field": "admin_assignee_id", "operator": "=", "value": null},
            {"field": "team_assignee_id", "operator": "=", "value": 0},
        ]});
        for field in SortField::ALL {
            for descending in [true, false] {
                let sort = Sort { field, descending };
                let got: Vec<ConversationId> = walk(&db, &ws, None, sort).await.iter().map(|c| c.id).collect();
                assert_eq!(got, sorted(all.clone(), sort), "list by {sort:?}");
                for (name, query, keep) in [
                    (
                        "mine",
                        &mine_open,
                        (|c: &conversations::Conversation| {
                            c.state == ConversationState::Open && c.admin_assignee_id == Some(AdminId::new(77))
                        }) as fn(&conversations::Conversation) -> bool,
                    ),
                    ("unassigned", &unassigned_open, |c| {
                        c.state == ConversationState::Open
                            && c.admin_assignee_id.is_none()
                            && c.team_assignee_id.is_none()
                    }),
                ] {
                    let expected = sorted(all.iter().filter(|c| keep(c)).cloned().collect(), sort);
                    assert!(!expected.is_empty());
                    let got: Vec<ConversationId> =
                        walk(&db, &ws, Some(query), sort).await.iter().map(|c| c.id).collect();
                    assert_eq!(got, expected, "{name} by {sort:?}");
                }
            }
        }
        // Priority, most urgent first: priority rows lead, then the longest waiting.
        let urgent = walk(&db, &ws, None, Sort { field: SortField::Priority, descending: true }).await;
        assert!(urgent[0].priority);
        let first_plain = urgent.iter().position(|c| !c.priority).unwrap();
        assert!(urgent[first_plain..].iter().all(|c| !c.priority));
        assert!(urgent[..first_plain]
            .windows(2)
            .all(|w| w[0].waiting_since.unwrap_or(i64::MAX) <= w[1].waiting_since.unwrap_or(i64::MAX)));
    }
}

#[tokio::test]
async fn a_cursor_of_another_sort_is_refused() {
    for db in testing::all().await {
        let (ws, _) = testing::workspace(&db).await;
        let contact = testing::contact(&db, ws.id, "user", None, None).await.unwrap();
        let c = row(&db, ws.id, contact, 1).await;
        let conversation = conversations::find(&db, ws.id, c).await.unwrap();
        let by_created = Sort { field: SortField::CreatedAt, descending: true };
        let cursor = Cursor { sort: by_created, key: by_created.key(&conversation) };
        let e = conversations::list(&db, ws.id, Sort::default(), 3, Some(&cursor)).await.unwrap_err();
        assert!(matches!(e, StoreError::Invalid(_)), "{e:?}");
        let short = Cursor { sort: Sort::default(), key: vec![1] };
        assert!(conversations::list(&db, ws.id, Sort::default(), 3, Some(&short)).await.is_err());
    }
}

#[tokio::test]
async fn counts_are_maintained_exact_for_the_list_and_capped_for_searches() {
    for db in testing::all().await {
        let (ws, _) = testing::workspace(&db).await;
        let (other, _) = testing::workspace(&db).await;
        let contact = testing::contact(&db, ws.id, "user", None, None).await.unwrap();
        let mut ids = Vec::new();
        for i in 0..12 {
            ids.push(row(&db, ws.id, contact, i).await);
        }
        let list = |db: &Db, ws: WorkspaceId| {
            let db = db.clone();
            async move { conversations::list(&db, ws, Sort::default(), 5, None).await.unwrap().total_count }
        };
        assert_eq!(list(&db, ws.id).await, 12);
        assert_eq!(list(&db, other.id).await, 0);
        conversations::delete(&db, ws.id, ids[0]).await.unwrap();
        assert_eq!(list(&db, ws.id).await, 11);
        // Another workspace's id is not found and changes no count.
        assert!(conversations::delete(&db, other.id, ids[1]).await.is_err());
        assert_eq!(list(&db, ws.id).await, 11);
        let open = json!({"field": "state", "operator": "=", "value": "open"});
        let page = conversations::search(&db, &ws, &open, Sort::default(), 2, None).await.unwrap();
        assert_eq!(page.total_count, 5, "rows 1, 4, 5, 8, 9 are open (0 was deleted)");
        // Past the cap, a search reads the cap; the list stays exact.
        let many = TOTAL_COUNT_CAP + 5;
        let insert = Stmt::new(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $3) \
             INSERT INTO conversations (workspace_id, contact_id, state, source_type, source_delivered_as, \
             source_author_type, source_author_id, source_body, created_at, updated_at) \
             SELECT $1, $2, 'open', 'conversation', 'customer_initiated', 'user', $2, 'Invoice ' || i, i, i FROM n",
        )
        .arg(ws.id)
        .arg(contact)
        .arg(many);
        testing::write(&db, insert).await.unwrap();
        let page = conversations::search(&db, &ws, &open, Sort::default(), 2, None).await.unwrap();
        assert_eq!((page.total_count, page.has_more), (TOTAL_COUNT_CAP, true));
        assert_eq!(list(&db, ws.id).await, 11 + many);
        // A search of message text counts to a lower cap, and exactly below it.
        let text = |value: &str| json!({"field": "source.body", "operator": "~", "value": value});
        let page = conversations::search(&db, &ws, &text("invoice"), Sort::default(), 2, None).await.unwrap();
        assert_eq!((page.total_count, page.has_more), (TEXT_COUNT_CAP, true));
        let page = conversations::search(&db, &ws, &text("invoice 100"), Sort::default(), 2, None).await.unwrap();
        assert_eq!(page.total_count, 7, "100 and 1000..=1005");
    }
}
