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
