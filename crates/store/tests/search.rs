//! The search DSL compiled to SQL, run on SQLite and PostgreSQL over rows inserted with plain SQL.
use rapport_store::search::{compile, SearchModel, SqlValue};
use rapport_store::workspaces::Workspace;
use rapport_store::{bind_values, testing, with_pool, Db, StoreError};
use serde_json::{json, Value};

/// Runs one statement with its binds (test fixtures only).
async fn exec(db: &Db, sql: &str, binds: Vec<SqlValue>) {
    with_pool!(db, pool => bind_values!(sqlx::query(sql), &binds).execute(pool).await.map(|_| ()))
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

fn t(s: &str) -> SqlValue {
    SqlValue::Text(s.to_string())
}

fn opt(s: Option<&str>) -> SqlValue {
    // The INSERTs turn this marker into NULL with NULLIF.
    SqlValue::Text(s.unwrap_or("<null>").to_string())
}

/// A contact row; `None` text columns are stored as NULL.
struct C<'a> {
    role: &'a str,
    email: Option<&'a str>,
    name: Option<&'a str>,
    external_id: Option<&'a str>,
    country: Option<&'a str>,
    custom: Value,
    created_at: i64,
    unsubscribed: bool,
}

async fn contact(db: &Db, ws: i64, c: C<'_>) -> i64 {
    let domain = c.email.and_then(|e| e.split_once('@')).map(|(_, d)| d);
    exec(
        db,
        "INSERT INTO contacts (workspace_id, role, email, email_domain, name, external_id, location_country, \
         custom_attributes, unsubscribed_from_emails, created_at, updated_at) VALUES ($1, $2, NULLIF($3, '<null>'), \
         NULLIF($4, '<null>'), NULLIF($5, '<null>'), NULLIF($6, '<null>'), NULLIF($7, '<null>'), $8, $9, $10, $10)",
        vec![
            SqlValue::Int(ws),
            t(c.role),
            opt(c.email),
            opt(domain),
            opt(c.name),
            opt(c.external_id),
            opt(c.country),
            t(&c.custom.to_string()),
            SqlValue::Bool(c.unsubscribed),
            SqlValue::Int(c.created_at),
        ],
    )
    .await;
    last_id(db, "contacts", ws).await
}

async fn last_id(db: &Db, table: &str, ws: i64) -> i64 {
    let sql = format!("SELECT MAX(id) FROM {table} WHERE workspace_id = $1");
    with_pool!(db, pool => sqlx::query_scalar::<_, i64>(&sql).bind(ws).fetch_one(pool).await).unwrap()
}

async fn attribute(db: &Db, ws: i64, model: &str, name: &str, data_type: &str) {
    exec(
        db,
        "INSERT INTO data_attributes (workspace_id, model, name, label, data_type, created_at, updated_at) \
         VALUES ($1, $2, $3, $3, $4, 0, 0)",
        vec![SqlValue::Int(ws), t(model), t(name), t(data_type)],
    )
    .await;
}

/// The ids the query selects in the workspace, in id order.
async fn search(db: &Db, ws: &Workspace, model: SearchModel, query: Value) -> Result<Vec<i64>, StoreError> {
    let condition = compile(db, ws, model, &query, 2).await?;
    let table = match model {
        SearchModel::Contacts => "contacts",
        SearchModel::Conversations => "conversations",
    };
    let sql = format!("SELECT id FROM {table} WHERE workspace_id = $1 AND {} ORDER BY id", condition.sql);
    let ids = with_pool!(db, pool => bind_values!(sqlx::query_scalar::<_, i64>(&sql).bind(ws.id), &condition.binds)
        .fetch_all(pool)
        .await)
    .unwrap_or_else(|e| panic!("{sql}: {e}"));
    Ok(ids)
}

fn filter(field: &str, operator: &str, value: Value) -> Value {
    json!({"field": field, "operator": operator, "value": value})
}

#[tokio::test]
async fn contact_fields_and_operators_select_the_same_rows_on_both_engines() {
    for db in testing::all().await {
        let (ws, _) = testing::workspace(&db).await;
        let (other, _) = testing::workspace(&db).await;
        attribute(&db, ws.id, "contact", "plan", "string").await;
        attribute(&db, ws.id, "contact", "seats", "integer").await;
        attribute(&db, ws.id, "contact", "vip", "boolean").await;
        attribute(&db, ws.id, "contact", "score", "float").await;
        let base = || C {
            role: "user",
            email: None,
            name: None,
            external_id: None,
            country: None,
            custom: json!({}),
            created_at: 1_700_000_000,
            unsubscribed: false,
        };
        let alice = contact(
            &db,
            ws.id,
            C {
                email: Some("alice@acme.com"),
                name: Some("Alice Smith"),
                external_id: Some("u-1"),
                country: Some("France"),
                custom: json!({"plan": "pro", "seats": 5, "vip": true, "score": 2.5}),
                ..base()
            },
        )
        .await;
        let bob = contact(
            &db,
            ws.id,
            C {
                role: "lead",
                email: Some("bob@example.org"),
                name: Some("Bob 100% Real"),
                external_id: Some("u_2"),
                custom: json!({"plan": "free", "seats": 1, "vip": false, "score": 0.5}),
                unsubscribed: true,
                ..base()
            },
        )
        .await;
        let carol = contact(&db, ws.id, C { name: Some("carol_x"), external_id: Some("u-3"), ..base() }).await;
        let dave = contact(
            &db,
            ws.id,
            C {
                email: Some("dave@acme.com"),
                name: Some("Dave"),
                custom: json!({"plan": "PRO", "seats": "5"}),
                ..base()
            },
        )
        .await;
        // A row of another workspace that would match everything.
        contact(&db, other.id, C { email: Some("alice@acme.com"), ..base() }).await;

        let cases: Vec<(Value, Vec<i64>)> = vec![
            (filter("email", "=", json!("alice@acme.com")), vec![alice]),
            (filter("email", "!=", json!("alice@acme.com")), vec![bob, carol, dave]),
            (filter("email", "=", Value::Null), vec![carol]),
            (filter("email", "!=", Value::Null), vec![alice, bob, dave]),
            (filter("email", "~", json!("ACME")), vec![alice, dave]),
            (filter("email", "!~", json!("acme")), vec![bob, carol]),
            (filter("email", "^", json!("Bob@")), vec![bob]),
            (filter("email", "$", json!(".com")), vec![alice, dave]),
            (filter("email_domain", "=", json!("acme.com")), vec![alice, dave]),
            (filter("role", "IN", json!(["lead", "visitor"])), vec![bob]),
            (filter("role", "NIN", json!(["lead"])), vec![alice, carol, dave]),
            (filter("name", "~", json!("smith")), vec![alice]),
            (filter("external_id", "IN", json!(["u-1", "u-3"])), vec![alice, carol]),
            (filter("location.country", "=", json!("France")), vec![alice]),
            (filter("unsubscribed_from_emails", "=", json!(true)), vec![bob]),
            (filter("unsubscribed_from_emails", "!=", json!(true)), vec![alice, carol, dave]),
            (filter("id", "=", json!(bob.to_string())), vec![bob]),
            (filter("id", ">", json!(bob)), vec![carol, dave]),
            (filter("id", "<=", json!(bob)), vec![alice, bob]),
            (filter("id", "IN", json!([alice, dave.to_string()])), vec![alice, dave]),
            (filter("custom_attributes.plan", "=", json!("pro")), vec![alice]),
            (filter("custom_attributes.plan", "~", json!("pro")), vec![alice, dave]),
            (filter("custom_attributes.plan", "=", Value::Null), vec![carol]),
            (filter("custom_attributes.seats", ">=", json!(2)), vec![alice]),
            (filter("custom_attributes.seats", "=", json!("5")), vec![alice]),
            (filter("custom_attributes.seats", "IN", json!([1, 5])), vec![alice, bob]),
            (filter("custom_attributes.vip", "=", json!(true)), vec![alice]),
            (filter("custom_attributes.vip", "!=", json!(true)), vec![bob, carol, dave]),
            (filter("custom_attributes.score", ">", json!(1)), vec![alice]),
            (filter("custom_attributes.score", "<", json!(2.5)), vec![bob]),
            (
                json!({"operator": "AND", "value": [
                    filter("role", "=", json!("user")),
                    {"operator": "OR", "value": [
                        filter("email", "~", json!("alice")),
                        filter("name", "=", json!("carol_x")),
                    ]},
                ]}),
                vec![alice, carol],
            ),
        ];
        for (query, expected) in cases {
            let got = search(&db, &ws, SearchModel::Contacts, query.clone()).await.unwrap();
            assert_eq!(got, expected, "{query}");
        }
    }
}

/// A conversation row (with its contact) and what the conversation tests need of it.
struct Conv<'a> {
    contact_id: i64,
    state: &'a str,
    read: bool,
    priority: bool,
    admin: Option<i64>,
    team: Option<i64>,
    source_type: &'a str,
    subject: &'a str,
    body: &'a str,
    custom: Value,
    created_at: i64,
    first_admin_reply_at: Option<i64>,
}

async fn conversation(db: &Db, ws: i64, c: Conv<'_>) -> i64 {
    exec(
        db,
        "INSERT INTO conversations (workspace_id, contact_id, state, read, priority, admin_assignee_id, \
         team_assignee_id, source_type, source_delivered_as, source_subject, source_body, source_author_type, \
         source_author_id, custom_attributes, first_admin_reply_at, created_at, updated_at) VALUES ($1, $2, $3, $4, \
         $5, NULLIF($6, -1), NULLIF($7, -1), $8, 'customer_initiated', $9, $10, 'user', $2, $11, NULLIF($12, -1), \
         $13, $13)",
        vec![
            SqlValue::Int(ws),
            SqlValue::Int(c.contact_id),
            t(c.state),
            SqlValue::Bool(c.read),
            SqlValue::Bool(c.priority),
            SqlValue::Int(c.admin.unwrap_or(-1)),
            SqlValue::Int(c.team.unwrap_or(-1)),
            t(c.source_type),
            t(c.subject),
            t(c.body),
            t(&c.custom.to_string()),
            SqlValue::Int(c.first_admin_reply_at.unwrap_or(-1)),
            SqlValue::Int(c.created_at),
        ],
    )
    .await;
    let id = last_id(db, "conversations", ws).await;
    exec(
        db,
        "INSERT INTO conversation_contacts (workspace_id, conversation_id, contact_id, created_at) VALUES ($1, $2, $3, 0)",
        vec![SqlValue::Int(ws), SqlValue::Int(id), SqlValue::Int(c.contact_id)],
    )
    .await;
    id
}

async fn tag(db: &Db, ws: i64, name: &str, target_type: &str, target_ids: &[i64]) -> i64 {
    exec(db, "INSERT INTO tags (workspace_id, name, created_at) VALUES ($1, $2, 0)", vec![SqlValue::Int(ws), t(name)])
        .await;
    let tag_id = last_id(db, "tags", ws).await;
    for target in target_ids {
        exec(
            db,
            "INSERT INTO taggings (workspace_id, tag_id, target_type, target_id, applied_at) VALUES ($1, $2, $3, $4, 0)",
            vec![SqlValue::Int(ws), SqlValue::Int(tag_id), t(target_type), SqlValue::Int(*target)],
        )
        .await;
    }
    tag_id
}

fn plain(db: &Db, ws: i64) -> impl std::future::Future<Output = i64> + '_ {
    contact(
        db,
        ws,
        C {
            role: "user",
            email: None,
            name: None,
            external_id: None,
            country: None,
            custom: json!({}),
            created_at: 0,
            unsubscribed: false,
        },
    )
}

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
            vec![SqlValue::Int(ws.id), SqlValue::Int(c2), SqlValue::Int(carol)],
        )
        .await;
        exec(
            &db,
            "INSERT INTO conversation_parts (workspace_id, conversation_id, part_type, body, author_type, author_id, \
             created_at, updated_at) VALUES ($1, $2, 'comment', 'hi', 'admin', 9, 0, 0)",
            vec![SqlValue::Int(ws.id), SqlValue::Int(c2)],
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

#[tokio::test]
async fn dates_match_by_calendar_day_in_the_workspace_timezone() {
    for db in testing::all().await {
        let (ws, _) = testing::workspace(&db).await;
        attribute(&db, ws.id, "contact", "renewal", "date").await;
        let at = |created_at: i64| C {
            role: "user",
            email: None,
            name: None,
            external_id: None,
            country: None,
            custom: json!({"renewal": created_at}),
            created_at,
            unsubscribed: false,
        };
        // In New York (UTC-5 in January), 2024-01-15 runs from 05:00 UTC to 05:00 UTC the next day.
        let jan14_late = contact(&db, ws.id, at(1_705_294_799)).await; // 2024-01-14 23:59:59 NY
        let jan15_start = contact(&db, ws.id, at(1_705_294_800)).await; // 2024-01-15 00:00:00 NY
        let jan15_end = contact(&db, ws.id, at(1_705_381_199)).await; // 2024-01-15 23:59:59 NY
        let jan16 = contact(&db, ws.id, at(1_705_381_200)).await; // 2024-01-16 00:00:00 NY
        let noon = json!(1_705_330_000); // 2024-01-15 14:46 UTC, 09:46 in New York

        // In UTC, 2024-01-15 is [1705276800, 1705363200).
        let utc = search(&db, &ws, SearchModel::Contacts, filter("created_at", "=", noon.clone())).await.unwrap();
        assert_eq!(utc, vec![jan14_late, jan15_start]);

        exec(
            &db,
            "UPDATE workspaces SET timezone = $1 WHERE id = $2",
            vec![t("America/New_York"), SqlValue::Int(ws.id)],
        )
        .await;
        let ws = rapport_store::workspaces::find(&db, ws.id).await.unwrap();
        assert_eq!(ws.timezone, "America/New_York");
        for field in ["created_at", "custom_attributes.renewal"] {
            let cases = [
                ("=", vec![jan15_start, jan15_end]),
                (">", vec![jan16]),
                ("<", vec![jan14_late]),
                (">=", vec![jan15_start, jan15_end, jan16]),
                ("<=", vec![jan14_late, jan15_start, jan15_end]),
            ];
            for (op, expected) in cases {
                let got = search(&db, &ws, SearchModel::Contacts, filter(field, op, noon.clone())).await.unwrap();
                assert_eq!(got, expected, "{field} {op}");
                // A numeric string is the same timestamp (Intercom's own examples send strings).
                let got =
                    search(&db, &ws, SearchModel::Contacts, filter(field, op, json!("1705330000"))).await.unwrap();
                assert_eq!(got, expected, "{field} {op} as a string");
            }
        }
        let all = search(&db, &ws, SearchModel::Contacts, filter("last_seen_at", "=", Value::Null)).await.unwrap();
        assert_eq!(all.len(), 4);
        for op in ["!=", "IN", "~"] {
            let e = search(&db, &ws, SearchModel::Contacts, filter("created_at", op, noon.clone())).await.unwrap_err();
            assert!(e.to_string().contains("created_at"), "{op}: {e}");
        }
    }
}

#[tokio::test]
async fn like_wildcards_match_literally_and_injection_matches_nothing() {
    for db in testing::all().await {
        let (ws, _) = testing::workspace(&db).await;
        let hostile = "x'); DROP TABLE contacts; --";
        attribute(&db, ws.id, "contact", hostile, "string").await;
        let named = |name: &'static str| C {
            role: "user",
            email: None,
            name: Some(name),
            external_id: None,
            country: None,
            custom: json!({hostile: name}),
            created_at: 0,
            unsubscribed: false,
        };
        let percent = contact(&db, ws.id, named("100% Real")).await;
        let hundred = contact(&db, ws.id, named("1000 Real")).await;
        let underscore = contact(&db, ws.id, named("carol_x")).await;
        let any_char = contact(&db, ws.id, named("carolYx")).await;
        let backslash = contact(&db, ws.id, named(r"back\slash")).await;

        let cases: Vec<(Value, Vec<i64>)> = vec![
            (filter("name", "~", json!("100%")), vec![percent]),
            (filter("name", "~", json!("0%")), vec![percent]),
            (filter("name", "^", json!("100")), vec![percent, hundred]),
            (filter("name", "~", json!("l_x")), vec![underscore]),
            (filter("name", "$", json!("_X")), vec![underscore]),
            (filter("name", "~", json!("%")), vec![percent]),
            (filter("name", "~", json!("_")), vec![underscore]),
            (filter("name", "~", json!(r"\")), vec![backslash]),
            (filter("name", "~", json!(r"k\s")), vec![backslash]),
            (filter("name", "!~", json!("%")), vec![hundred, underscore, any_char, backslash]),
            (filter("name", "=", json!("carol_x")), vec![underscore]),
            (filter("name", "=", json!(hostile)), vec![]),
            (filter("name", "~", json!(hostile)), vec![]),
            (filter("name", "IN", json!([hostile, "' OR '1'='1"])), vec![]),
            (filter("name", "=", json!("' OR 1=1 --")), vec![]),
            (filter("id", "=", json!("1 OR 1=1")), vec![]),
            (filter(&format!("custom_attributes.{hostile}"), "=", json!("carol_x")), vec![underscore]),
            (filter(&format!("custom_attributes.{hostile}"), "~", json!("'")), vec![]),
        ];
        for (query, expected) in cases {
            match search(&db, &ws, SearchModel::Contacts, query.clone()).await {
                Ok(got) => assert_eq!(got, expected, "{query}"),
                // A hostile value for an integer field is a type error, not a match.
                Err(StoreError::Invalid(message)) => assert!(expected.is_empty(), "{query}: {message}"),
                Err(e) => panic!("{query}: {e}"),
            }
        }
        let everyone = search(&db, &ws, SearchModel::Contacts, filter("role", "=", json!("user"))).await.unwrap();
        assert_eq!(everyone.len(), 5, "the table is intact");
    }
}

#[tokio::test]
async fn bad_queries_are_invalid_and_name_the_problem() {
    for db in testing::all().await {
        let (ws, _) = testing::workspace(&db).await;
        attribute(&db, ws.id, "contact", "plan", "string").await;
        attribute(&db, ws.id, "contact", "seats", "integer").await;
        let leaf = filter("email", "=", json!("a@b.c"));
        let cases: Vec<(Value, &str)> = vec![
            (filter("nope", "=", json!(1)), "unknown field \"nope\""),
            (filter("email; DROP TABLE contacts", "=", json!(1)), "unknown field"),
            (filter("custom_attributes.missing", "=", json!(1)), "unknown custom attribute \"missing\""),
            (filter("segment_id", "=", json!("5")), "unknown segment 5"),
            (filter("email", "LIKE", json!("x")), "unknown operator \"LIKE\" for field email"),
            (filter("email", ">", json!("x")), "operator > is not supported for field email"),
            (filter("tag_id", "IN", json!([1])), "operator IN is not supported for field tag_id"),
            (filter("email", "=", json!({"$ne": null})), "field email must not be an object"),
            (filter("custom_attributes.seats", "=", json!("many")), "custom_attributes.seats expects an integer"),
            (
                filter("custom_attributes.plan", ">", json!(1)),
                "operator > is not supported for field custom_attributes.plan",
            ),
            (filter("unsubscribed_from_emails", "=", json!("no")), "expects a boolean"),
            (filter("email", "IN", json!([])), "non-empty"),
            (json!({"operator": "AND", "value": vec![leaf.clone(); 16]}), "at most 15"),
            (
                json!({"operator": "AND", "value": [{"operator": "OR", "value": [{"operator": "AND", "value": [
                    {"operator": "OR", "value": [leaf.clone()]}]}]}]}),
                "nested at most 2",
            ),
            (json!([leaf.clone()]), "must be an object"),
        ];
        for (query, expected) in cases {
            match search(&db, &ws, SearchModel::Contacts, query.clone()).await {
                Err(StoreError::Invalid(message)) => assert!(message.contains(expected), "{query}: {message}"),
                other => panic!("{query}: expected Invalid, got {other:?}"),
            }
        }
        // The deepest and widest accepted query compiles and runs.
        let wide = json!({"operator": "OR", "value": vec![json!({"operator": "AND", "value": [
            {"operator": "OR", "value": vec![leaf.clone(); 15]}]}); 15]});
        assert_eq!(search(&db, &ws, SearchModel::Contacts, wide).await.unwrap(), Vec::<i64>::new());
    }
}
