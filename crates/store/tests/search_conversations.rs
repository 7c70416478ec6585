//! The search DSL over conversations, run on SQLite and PostgreSQL: fields, relations, custom attributes.
mod search_support;

use rapport_store::search::SearchModel;
use rapport_store::{testing, Arg, StoreError};
use search_support::*;
use serde_json::{json, Value};

#[tokio::test]
async fn conversation_fields_and_relations_select_the_same_rows_on_both_engines() {
    for db in testing::all().await {
        let (ws, _) = testing::workspace(&db).await;
        let (other, _) = testing::workspace(&db).await;
        attribute(&db, ws.id, "conversation", "channel", "string").await;
        attribute(&db, ws.id, "contact", "only_on_contacts", "string").await;
        let (alice, bob, carol) = (plain(&db, ws.id).await, plain(&db, ws.id).await, plain(&db, ws.id).await);
        let base = |contact_id| Conv {
            contact_id,
            state: "open",
            read: false,
            priority: false,
            admin: None,
            team: None,
            source_type: "conversation",
            subject: "",
            body: "",
            custom: json!({}),
            created_at: 1_700_000_000,
            first_admin_reply_at: None,
        };
        let c1 = conversation(
            &db,
            ws.id,
            Conv {
                read: true,
                priority: true,
                admin: Some(7),
                subject: "Billing question",
                body: "<p>I need support with billing</p>",
                custom: json!({"channel": "web"}),
                first_admin_reply_at: Some(1_700_000_600),
                ..base(alice)
            },
        )
        .await;
        let c2 = conversation(
            &db,
            ws.id,
            Conv {
                state: "closed",
                admin: Some(0),
                team: Some(3),
                source_type: "email",
                body: "Hello Support team",
                custom: json!({"channel": "email"}),
                ..base(bob)
            },
        )
        .await;
        let c3 = conversation(&db, ws.id, Conv { state: "snoozed", body: "100% off_sale", ..base(carol) }).await;
        // Carol also takes part in c2; admin 9 wrote in c2.
        exec(
            &db,
            "INSERT INTO conversation_contacts (workspace_id, conversation_id, contact_id, created_at) VALUES ($1, $2, $3, 0)",
            vec![Arg::from(ws.id), Arg::from(c2), Arg::from(carol)],
        )
        .await;
        exec(
            &db,
            "INSERT INTO conversation_parts (workspace_id, conversation_id, part_type, body, author_type, author_id, \
             created_at, updated_at) VALUES ($1, $2, 'comment', 'hi', 'admin', 9, 0, 0)",
            vec![Arg::from(ws.id), Arg::from(c2)],
        )
        .await;
        let tag1 = tag(&db, ws.id, "vip", "conversation", &[c1]).await;
        let tag2 = tag(&db, ws.id, "sale", "conversation", &[c3]).await;
        let contact_tag = tag(&db, ws.id, "contact-only", "contact", &[alice, bob]).await;
        // Another workspace's conversation with the same shape never shows up.
        let stranger = plain(&db, other.id).await;
        conversation(&db, other.id, Conv { read: true, admin: Some(7), ..base(stranger) }).await;

        let cases: Vec<(Value, Vec<i64>)> = vec![
            (filter("id", "=", json!(c2.to_string())), vec![c2]),
            (filter("state", "=", json!("open")), vec![c1]),
            (filter("state", "IN", json!(["open", "snoozed"])), vec![c1, c3]),
            (filter("open", "=", json!(true)), vec![c1, c3]),
            (filter("open", "=", json!(false)), vec![c2]),
            (filter("read", "=", json!(true)), vec![c1]),
            (filter("read", "!=", json!(true)), vec![c2, c3]),
            (filter("priority", "=", json!("priority")), vec![c1]),
            (filter("priority", "=", json!("not_priority")), vec![c2, c3]),
            (filter("priority", "!=", json!(false)), vec![c1]),
            (filter("admin_assignee_id", "=", json!(0)), vec![c2, c3]),
            (filter("admin_assignee_id", "=", Value::Null), vec![c2, c3]),
            (filter("admin_assignee_id", "=", json!("7")), vec![c1]),
            (filter("admin_assignee_id", "!=", json!(0)), vec![c1]),
            (filter("admin_assignee_id", "IN", json!([0, 7])), vec![c1, c2, c3]),
            (filter("admin_assignee_id", "NIN", json!([7])), vec![c2, c3]),
            (filter("team_assignee_id", "=", json!(3)), vec![c2]),
            (filter("team_assignee_id", "=", json!(0)), vec![c1, c3]),
            (filter("source.type", "=", json!("email")), vec![c2]),
            (filter("source.subject", "^", json!("BILL")), vec![c1]),
            (filter("source.body", "~", json!("support")), vec![c1, c2]),
            (filter("source.body", "~", json!("billing  NEED")), vec![c1]),
            (filter("source.body", "~", json!("need team")), vec![]),
            (filter("source.body", "=", json!("support")), vec![c1, c2]),
            (filter("source.body", "!~", json!("support")), vec![c3]),
            (filter("source.body", "~", json!("100%")), vec![c3]),
            (filter("source.author.type", "=", json!("user")), vec![c1, c2, c3]),
            (filter("source.author.id", "=", json!(alice.to_string())), vec![c1]),
            (filter("contact_ids", "=", json!(carol.to_string())), vec![c2, c3]),
            (filter("contact_ids", "IN", json!([alice, bob])), vec![c1, c2]),
            (filter("contact_ids", "NIN", json!([carol])), vec![c1]),
            (filter("teammate_ids", "=", json!(9)), vec![c2]),
            (filter("teammate_ids", "=", json!(7)), vec![c1]),
            (filter("tag_ids", "=", json!(tag1.to_string())), vec![c1]),
            (filter("tag_ids", "!=", json!(tag1)), vec![c2, c3]),
            (filter("tag_ids", "IN", json!([tag1, tag2])), vec![c1, c3]),
            (filter("tag_ids", "=", json!(contact_tag)), vec![]),
            (filter("statistics.time_to_admin_reply", "=", json!(600)), vec![c1]),
            (filter("statistics.first_admin_reply_at", "!=", Value::Null), vec![c1]),
            (filter("statistics.count_conversation_parts", "=", json!(0)), vec![c1, c2, c3]),
            (filter("custom_attributes.channel", "IN", json!(["web", "email"])), vec![c1, c2]),
            (filter("custom_attributes.channel", "$", json!("AIL")), vec![c2]),
            (
                json!({"operator": "OR", "value": [
                    {"operator": "AND", "value": [filter("open", "=", json!(true)), filter("read", "=", json!(false))]},
                    {"operator": "AND", "value": [filter("state", "=", json!("closed")), filter("team_assignee_id", "=", json!(3))]},
                ]}),
                vec![c2, c3],
            ),
        ];
        for (query, expected) in cases {
            let got = search(&db, &ws, SearchModel::Conversations, query.clone()).await.unwrap();
            assert_eq!(got, expected, "{query}");
        }
        // Contact attributes and contact-only fields are not conversation fields.
        for query in [filter("custom_attributes.only_on_contacts", "=", json!("x")), filter("email", "=", json!("x"))] {
            let e = search(&db, &ws, SearchModel::Conversations, query.clone()).await.unwrap_err();
            assert!(matches!(e, StoreError::Invalid(_)), "{query}: {e:?}");
        }
        // The contact tag applies to contacts only, though their ids are also conversation ids.
        let got = search(&db, &ws, SearchModel::Contacts, filter("tag_id", "=", json!(contact_tag))).await.unwrap();
        assert_eq!(got, vec![alice, bob]);
        let got = search(&db, &ws, SearchModel::Contacts, filter("tag_id", "!=", json!(contact_tag))).await.unwrap();
        assert_eq!(got, vec![carol]);
    }
}
