//! Full-text search (`source.body`, `parts.body`) through the trigram indexes, on both engines:
//! kept in step with replies, notes, edits (redaction), deletes; hostile words are plain text;
//! another workspace's text never matches.
use rapport_core::ids::{ConversationId, WorkspaceId};
use rapport_store::conversations::{self, Change, NewConversation, Sort};
use rapport_store::workspaces::Workspace;
use rapport_store::{testing, Backend, Db, Stmt};
use serde_json::{json, Value};

async fn start(db: &Db, ws: WorkspaceId, body: &str) -> ConversationId {
    let contact = testing::contact(db, ws, "user", None, None).await.unwrap();
    let new =
        NewConversation { contact_id: contact, body, subject: None, created_at: None, options: Default::default() };
    conversations::create(db, ws, new).await.unwrap().conversation.id
}

/// The ids matching one filter, smallest first.
async fn matching(db: &Db, ws: &Workspace, field: &str, operator: &str, value: &str) -> Vec<ConversationId> {
    let query = json!({"field": field, "operator": operator, "value": value});
    let page = conversations::search(db, ws, &query, Sort::default(), 150, None)
        .await
        .unwrap_or_else(|e| panic!("{field} {operator} {value:?}: {e}"));
    let mut ids: Vec<ConversationId> = page.conversations.iter().map(|c| c.id).collect();
    ids.sort();
    ids
}

async fn search_query(db: &Db, ws: &Workspace, query: Value) -> Vec<ConversationId> {
    let page = conversations::search(db, ws, &query, Sort::default(), 150, None).await.unwrap();
    let mut ids: Vec<ConversationId> = page.conversations.iter().map(|c| c.id).collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn parts_body_follows_replies_notes_edits_and_deletes() {
    for db in testing::all().await {
        let (ws, owner) = testing::workspace(&db).await;
        let (other, _) = testing::workspace(&db).await;
        let refund = start(&db, ws.id, "<p>I need a Refund for my invoice</p>").await;
        let login = start(&db, ws.id, "I cannot log in").await;
        let foreign = start(&db, other.id, "refund please, invoice 42").await;

        assert_eq!(matching(&db, &ws, "parts.body", "~", "refund").await, vec![refund]);
        assert_eq!(matching(&db, &ws, "source.body", "~", "REFUND").await, vec![refund]);
        // Substring semantics, as the LIKE scan had: "voice" is in "invoice".
        assert_eq!(matching(&db, &ws, "parts.body", "~", "voice").await, vec![refund]);
        assert_eq!(matching(&db, &other, "parts.body", "~", "refund").await, vec![foreign]);

        // A reply and an internal note are searchable through parts.body, not source.body.
        conversations::reply_or_act(
            &db,
            ws.id,
            login,
            Change::AdminComment { admin_id: owner.id, body: "Try the password reset" },
        )
        .await
        .unwrap();
        conversations::reply_or_act(
            &db,
            ws.id,
            login,
            Change::AdminNote { admin_id: owner.id, body: "Suspect SSO misconfig" },
        )
        .await
        .unwrap();
        assert_eq!(matching(&db, &ws, "parts.body", "~", "password reset").await, vec![login]);
        assert_eq!(matching(&db, &ws, "parts.body", "~", "sso").await, vec![login]);
        assert_eq!(matching(&db, &ws, "source.body", "~", "sso").await, Vec::<ConversationId>::new());
        // Every word in the same part: "password" (reply) and "sso" (note) are in different parts.
        assert_eq!(matching(&db, &ws, "parts.body", "~", "password sso").await, Vec::<ConversationId>::new());
        assert_eq!(matching(&db, &ws, "parts.body", "=", "suspect misconfig").await, vec![login]);
        assert_eq!(matching(&db, &ws, "parts.body", "!~", "sso").await, vec![refund]);
        assert_eq!(matching(&db, &ws, "parts.body", "!=", "refund").await, vec![login]);
        // Short words (under 3 characters) are matched without the index, still correctly.
        assert_eq!(matching(&db, &ws, "parts.body", "~", "in").await, vec![refund, login]);

        // An edit of a part's body (a redaction) takes the old text out of the index.
        let redact = Stmt::new(
            "UPDATE conversation_parts SET body = '[redacted]', redacted = TRUE \
             WHERE workspace_id = $1 AND conversation_id = $2 AND body LIKE '%SSO%'",
        )
        .arg(ws.id)
        .arg(login);
        testing::write(&db, redact).await.unwrap();
        assert_eq!(matching(&db, &ws, "parts.body", "~", "sso").await, Vec::<ConversationId>::new());
        assert_eq!(matching(&db, &ws, "parts.body", "~", "redacted").await, vec![login]);

        // A deleted conversation's text is gone from the index.
        conversations::delete(&db, ws.id, refund).await.unwrap();
        assert_eq!(matching(&db, &ws, "parts.body", "~", "refund").await, Vec::<ConversationId>::new());
        assert_eq!(matching(&db, &ws, "source.body", "~", "refund").await, Vec::<ConversationId>::new());
        assert_eq!(matching(&db, &other, "source.body", "~", "refund").await, vec![foreign]);
        if db.backend() == Backend::Sqlite {
            // FTS5's integrity check is a write of its command row: it runs in a write transaction.
            let check = Stmt::new(
                "INSERT INTO conversation_parts_fts (conversation_parts_fts, rank) VALUES ('integrity-check', 1)",
            );
            testing::write(&db, check).await.expect("the parts index matches its table");
        }
    }
}

#[tokio::test]
async fn hostile_words_are_plain_text_never_query_syntax() {
    for db in testing::all().await {
        let (ws, _) = testing::workspace(&db).await;
        let plain = start(&db, ws.id, "hello world").await;
        let syntax = start(&db, ws.id, r#"use "quotes" and NEAR(a b) or x* -y (z) OR 100% a_b back\slash"#).await;
        let (p, x) = (vec![plain], vec![syntax]);
        let none = Vec::<ConversationId>::new();
        for (hostile, expected) in [
            (r#"""#, &x),
            (r#""quotes""#, &x),
            ("NEAR(a", &x),
            ("x*", &x),
            ("-y", &x),
            ("(z)", &x),
            ("OR", &vec![plain, syntax]), // "or" is also in "world"
            ("100%", &x),
            ("a_b", &x),
            (r"back\slash", &x),
            ("*", &x),
            ("^", &none),
            ("AND OR NOT", &none),
            (r#"" OR "hello"#, &none),
            ("col:value", &none),
            ("{hello}", &none),
            ("hello NEAR world", &none),
            ("hello wor", &p),
        ] {
            for field in ["parts.body", "source.body"] {
                assert_eq!(&matching(&db, &ws, field, "~", hostile).await, expected, "{field} ~ {hostile:?}");
            }
        }
        // `%` and `_` are literal, not LIKE wildcards.
        assert_eq!(matching(&db, &ws, "parts.body", "~", "hel%").await, Vec::<ConversationId>::new());
        assert_eq!(matching(&db, &ws, "parts.body", "~", "hello").await, vec![plain]);
        // parts.body takes only the word operators.
        let bad = json!({"field": "parts.body", "operator": "^", "value": "hello"});
        let e = conversations::search(&db, &ws, &bad, Sort::default(), 50, None).await.unwrap_err();
        assert!(e.to_string().contains("parts.body"), "{e}");
        let bad = json!({"field": "parts.body", "operator": "=", "value": null});
        assert!(conversations::search(&db, &ws, &bad, Sort::default(), 50, None).await.is_err());
        // Combined with other filters in groups.
        let query = json!({"operator": "OR", "value": [
            {"field": "parts.body", "operator": "~", "value": "world"},
            {"field": "source.body", "operator": "~", "value": "quotes"},
        ]});
        assert_eq!(search_query(&db, &ws, query).await, vec![plain, syntax]);
    }
}

#[tokio::test]
async fn a_word_in_many_conversations_finds_each_once() {
    for db in testing::all().await {
        let (ws, _) = testing::workspace(&db).await;
        let mut expected = Vec::new();
        for i in 0..30 {
            let body = if i % 3 == 0 { format!("invoice number {i}") } else { format!("question {i}") };
            let id = start(&db, ws.id, &body).await;
            if i % 3 == 0 {
                expected.push(id);
            }
        }
        assert_eq!(matching(&db, &ws, "parts.body", "~", "invoice").await, expected);
        assert_eq!(matching(&db, &ws, "source.body", "~", "invoice").await, expected);
    }
}
