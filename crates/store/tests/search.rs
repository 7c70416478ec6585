//! The search DSL compiled to SQL, run on SQLite and PostgreSQL over rows inserted with plain SQL:
//! contact fields, calendar days, LIKE escaping, injection and errors.
mod search_support;

use rapport_store::search::SearchModel;
use rapport_store::{testing, Arg, StoreError};
use search_support::*;
use serde_json::{json, Value};

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
            (filter("email", "=", json!("Alice@ACME.com")), vec![alice]),
            (filter("email_domain", "IN", json!(["ACME.COM"])), vec![alice, dave]),
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

        exec(&db, "UPDATE workspaces SET timezone = $1 WHERE id = $2", vec![t("America/New_York"), Arg::from(ws.id)])
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

#[tokio::test]
async fn values_are_only_ever_bound_and_placeholders_start_at_first_param() {
    for db in testing::all().await {
        let (ws, _) = testing::workspace(&db).await;
        let marker = "M4rk3r' OR '1'='1";
        attribute(&db, ws.id, "contact", marker, "string").await;
        let query = json!({"operator": "OR", "value": [
            filter("name", "=", json!(marker)),
            filter("email", "~", json!(marker)),
            filter("role", "NIN", json!([marker, "lead"])),
            filter(&format!("custom_attributes.{marker}"), "^", json!(marker)),
            filter("tag_id", "!=", json!("42")),
            filter("created_at", ">", json!(1_700_000_000)),
        ]});
        let condition = rapport_store::search::compile(&db, &ws, SearchModel::Contacts, &query, 7).await.unwrap();
        assert!(!condition.sql.contains("M4rk3r"), "{}", condition.sql);
        assert!(!condition.sql.contains("42") && !condition.sql.contains("1700000000"), "{}", condition.sql);
        assert!(condition.binds.iter().any(|b| matches!(b, Arg::Text(Some(s)) if s == marker)));
        // Placeholders are exactly $7 … $(7 + binds - 1).
        let mut used: Vec<usize> = condition
            .sql
            .split('$')
            .skip(1)
            .map(|rest| rest.chars().take_while(char::is_ascii_digit).collect::<String>())
            .filter(|digits| !digits.is_empty())
            .map(|digits| digits.parse().unwrap())
            .collect();
        used.sort_unstable();
        used.dedup();
        assert_eq!(used, (7..7 + condition.binds.len()).collect::<Vec<_>>(), "{}", condition.sql);
    }
}
