//! No search value can break the SQL a search compiles to, on either engine: quotes, LIKE
//! wildcards, backslashes and FTS5 syntax are plain text (found literally, never an error), and a
//! NUL character, which PostgreSQL cannot hold and which ends an FTS5 query, is refused as
//! `StoreError::Invalid` before any SQL runs.
use rapport_core::contact::{ContactRole, Email};
use rapport_store::contacts::{self, ContactFields};
use rapport_store::conversations::{self, NewConversation, Sort};
use rapport_store::{testing, StoreError};
use serde_json::json;

const HOSTILE: &[&str] = &[
    "\"",
    "\"\"",
    "a\"b\"c",
    "'; DROP TABLE contacts; --",
    "100%",
    "a_b",
    "back\\slash",
    "\\%\\_",
    "NEAR(abc def)",
    "abc*",
    "-abc OR def",
    "(((",
    "^abc",
    "{abc}",
    "col:abc",
    "\u{1F600}\u{1F600}\u{1F600}",
];

#[tokio::test]
async fn hostile_search_values_are_text_and_nul_is_refused() {
    for db in testing::all().await {
        let (ws, _) = testing::workspace(&db).await;
        let name = "Ann 100% \"quoted\" a_b back\\slash NEAR(abc def)";
        let fields = ContactFields {
            role: Some(ContactRole::User),
            name: Some(Some(name.to_string())),
            email: Some(Some(Email::parse("ann@example.com").unwrap())),
            ..Default::default()
        };
        let ann = contacts::create(&db, ws.id, fields).await.unwrap().id;
        let new = NewConversation {
            contact_id: ann,
            body: name,
            subject: None,
            created_at: None,
            options: Default::default(),
        };
        let conversation = conversations::create(&db, ws.id, new).await.unwrap().conversation.id;

        for value in HOSTILE {
            for op in ["~", "!~", "=", "!=", "^", "$"] {
                for field in ["name", "email", "companies.name", "external_id", "phone", "custom_attributes.plan"] {
                    let query = json!({"field": field, "operator": op, "value": value});
                    if let Err(e) = contacts::search(&db, &ws, &query, 50, None).await {
                        assert!(matches!(e, StoreError::Invalid(_)), "contacts {field} {op} {value:?}: {e}");
                    }
                }
                for field in ["source.body", "parts.body", "title"] {
                    let query = json!({"field": field, "operator": op, "value": value});
                    if let Err(e) = conversations::search(&db, &ws, &query, Sort::default(), 50, None).await {
                        assert!(matches!(e, StoreError::Invalid(_)), "conversations {field} {op} {value:?}: {e}");
                    }
                }
            }
        }
        // Literal matches: the wildcards and quotes find exactly what they say.
        for value in ["100%", "\"quoted\"", "a_b", "back\\slash", "NEAR(abc"] {
            let query = json!({"field": "name", "operator": "~", "value": value});
            let page = contacts::search(&db, &ws, &query, 50, None).await.unwrap();
            assert_eq!(page.contacts.iter().map(|c| c.id).collect::<Vec<_>>(), vec![ann], "name ~ {value:?}");
            let query = json!({"field": "source.body", "operator": "~", "value": value});
            let page = conversations::search(&db, &ws, &query, Sort::default(), 50, None).await.unwrap();
            assert_eq!(page.conversations.iter().map(|c| c.id).collect::<Vec<_>>(), vec![conversation]);
        }
        for value in ["10_%", "a%b", "back_slash"] {
            let query = json!({"field": "name", "operator": "~", "value": value});
            assert!(contacts::search(&db, &ws, &query, 50, None).await.unwrap().contacts.is_empty(), "{value:?}");
        }

        // A NUL is refused before it reaches either engine, whatever the field or operator.
        for value in [json!("ann\u{0}"), json!("\u{0}"), json!(["ok", "bad\u{0}"])] {
            for op in ["~", "=", "IN", "^"] {
                for field in ["name", "email"] {
                    let query = json!({"field": field, "operator": op, "value": value});
                    let error = contacts::search(&db, &ws, &query, 50, None).await.err();
                    assert!(matches!(&error, Some(StoreError::Invalid(m)) if m.contains("NUL")), "{query}: {error:?}");
                }
                for field in ["source.body", "parts.body"] {
                    let query = json!({"field": field, "operator": op, "value": value});
                    let error = conversations::search(&db, &ws, &query, Sort::default(), 50, None).await.err();
                    assert!(matches!(&error, Some(StoreError::Invalid(m)) if m.contains("NUL")), "{query}: {error:?}");
                }
            }
        }
    }
}
