//! Contact search through the trigram indexes (migration 0014) on both engines: `name`, `email`
//! and `companies.name` with `~`, `!~`, `^`, `$`; the indexes follow create, update, merge,
//! delete, company rename/detach/delete; and on generated data every indexed answer equals a
//! full scan's.
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rapport_core::contact::{ContactRole, Email};
use rapport_core::ids::{CompanyId, ContactId, WorkspaceId};
use rapport_store::companies::{self, CompanyFields};
use rapport_store::contacts::{self, ContactFields};
use rapport_store::search::SearchModel;
use rapport_store::workspaces::Workspace;
use rapport_store::{testing, Backend, Conn, Db, Stmt};
use serde_json::{json, Value};

fn person(role: ContactRole, name: Option<&str>, email: Option<&str>) -> ContactFields {
    ContactFields {
        role: Some(role),
        name: Some(name.map(str::to_string)),
        email: Some(email.map(|e| Email::parse(e).unwrap())),
        ..Default::default()
    }
}

async fn company(db: &Db, ws: WorkspaceId, key: &str, name: &str) -> CompanyId {
    let fields = CompanyFields { name: Some(name.into()), ..Default::default() };
    companies::upsert(db, ws, key, fields).await.unwrap().0.id
}

/// Every live contact matching `query`, smallest id first (all pages).
async fn search(db: &Db, ws: &Workspace, query: Value) -> Vec<ContactId> {
    let (mut ids, mut after) = (Vec::new(), None);
    loop {
        let page = contacts::search(db, ws, &query, 50, after).await.unwrap_or_else(|e| panic!("{query}: {e}"));
        assert_eq!(page.before, ids.len() as i64, "{query}");
        ids.extend(page.contacts.iter().map(|c| c.id));
        if !page.has_more {
            assert_eq!(page.total_count, ids.len() as i64, "{query}");
            break;
        }
        after = ids.last().map(|id| id.get());
    }
    ids
}

async fn one(db: &Db, ws: &Workspace, field: &str, operator: &str, value: &str) -> Vec<ContactId> {
    search(db, ws, json!({"field": field, "operator": operator, "value": value})).await
}

/// The agent app's search (web/app api.ts `searchContacts`): terms under 3 characters match the
/// start of the text, longer ones anywhere in it.
async fn app(db: &Db, ws: &Workspace, q: &str) -> Vec<ContactId> {
    let operator = app_operator(q);
    let query = json!({"operator": "OR", "value": [
        {"field": "name", "operator": operator, "value": q},
        {"field": "email", "operator": operator, "value": q},
        {"field": "companies.name", "operator": operator, "value": q},
    ]});
    search(db, ws, query).await
}

fn app_operator(q: &str) -> &'static str {
    if q.trim().chars().count() < 3 {
        "^"
    } else {
        "~"
    }
}

async fn check_sqlite_indexes(db: &Db) {
    if db.backend() == Backend::Sqlite {
        // FTS5's integrity check is a write of its command row: it runs in a write transaction.
        for table in ["contacts_fts", "companies_fts"] {
            let sql = format!("INSERT INTO {table} ({table}, rank) VALUES ('integrity-check', 1)");
            testing::write(db, Stmt::new(sql).once())
                .await
                .unwrap_or_else(|e| panic!("{table} matches its table: {e}"));
        }
    }
}

#[tokio::test]
async fn contact_search_follows_create_update_merge_delete_and_companies() {
    for db in testing::all().await {
        let (ws, _) = testing::workspace(&db).await;
        let (other, _) = testing::workspace(&db).await;
        let ann = contacts::create(&db, ws.id, person(ContactRole::User, Some("Ann Smithers"), Some("ann@acme.io")))
            .await
            .unwrap()
            .id;
        let bob = contacts::create(&db, ws.id, person(ContactRole::User, Some("Bob Stone"), Some("bob@globex.com")))
            .await
            .unwrap()
            .id;
        let lead = contacts::create(&db, ws.id, person(ContactRole::Lead, Some("Zed Quill"), Some("zq@lead.example")))
            .await
            .unwrap()
            .id;
        let foreign =
            contacts::create(&db, other.id, person(ContactRole::User, Some("Ann Smithers"), Some("ann@acme.io")))
                .await
                .unwrap()
                .id;

        // Case-insensitive contains, starts and ends, on name and email; workspace-scoped.
        assert_eq!(one(&db, &ws, "name", "~", "SMITH").await, vec![ann]);
        assert_eq!(one(&db, &ws, "name", "^", "bob").await, vec![bob]);
        assert_eq!(one(&db, &ws, "name", "$", "tone").await, vec![bob]);
        assert_eq!(one(&db, &ws, "email", "~", "GLOBEX").await, vec![bob]);
        assert_eq!(one(&db, &ws, "name", "!~", "smith").await, vec![bob, lead]);
        assert_eq!(one(&db, &other, "name", "~", "smith").await, vec![foreign]);
        // Values shorter than a trigram still match, by scanning.
        assert_eq!(one(&db, &ws, "name", "~", "o").await, vec![bob]);
        assert_eq!(one(&db, &ws, "email", "~", "zq").await, vec![lead]);

        // Companies: attached contacts match by the company's name.
        let acme = company(&db, ws.id, "acme", "Acme Rockets").await;
        let globex = company(&db, ws.id, "globex", "Globex Corporation").await;
        company(&db, other.id, "acme", "Acme Rockets").await;
        companies::attach(&db, ws.id, ann, acme).await.unwrap();
        companies::attach(&db, ws.id, bob, globex).await.unwrap();
        companies::attach(&db, ws.id, bob, acme).await.unwrap();
        assert_eq!(one(&db, &ws, "companies.name", "~", "rocket").await, vec![ann, bob]);
        assert_eq!(one(&db, &ws, "companies.name", "=", "Globex Corporation").await, vec![bob]);
        assert_eq!(one(&db, &ws, "companies.name", "!~", "globex").await, vec![ann, lead]);
        assert_eq!(app(&db, &ws, "globex").await, vec![bob]);
        assert_eq!(app(&db, &ws, "acme").await, vec![ann, bob]);
        assert_eq!(app(&db, &other, "rockets").await, Vec::<ContactId>::new()); // not attached there
        assert_eq!(app(&db, &other, "acme").await, vec![foreign]); // ann@acme.io

        // Updates: the old text no longer matches, the new one does.
        let rename = ContactFields { name: Some(Some("Ann Jones".into())), ..Default::default() };
        contacts::update(&db, ws.id, ann, rename).await.unwrap();
        assert_eq!(one(&db, &ws, "name", "~", "smith").await, Vec::<ContactId>::new());
        assert_eq!(one(&db, &ws, "name", "~", "jones").await, vec![ann]);
        let fields = CompanyFields { name: Some("Initech".into()), ..Default::default() };
        companies::update(&db, ws.id, globex, fields).await.unwrap();
        assert_eq!(app(&db, &ws, "globex").await, vec![bob]); // still in bob's email
        assert_eq!(one(&db, &ws, "companies.name", "~", "globex").await, Vec::<ContactId>::new());
        assert_eq!(one(&db, &ws, "companies.name", "~", "initech").await, vec![bob]);
        companies::detach(&db, ws.id, bob, acme).await.unwrap();
        assert_eq!(one(&db, &ws, "companies.name", "~", "acme").await, vec![ann]);
        companies::delete(&db, ws.id, acme).await.unwrap();
        assert_eq!(one(&db, &ws, "companies.name", "~", "acme").await, Vec::<ContactId>::new());
        assert_eq!(app(&db, &ws, "acme").await, vec![ann]); // ann@acme.io

        // Merge: the lead no longer matches; the user takes the lead's name it lacked.
        let nameless =
            contacts::create(&db, ws.id, person(ContactRole::User, None, Some("nameless@x.io"))).await.unwrap().id;
        assert_eq!(one(&db, &ws, "name", "~", "quill").await, vec![lead]);
        contacts::merge(&db, ws.id, lead, nameless).await.unwrap();
        assert_eq!(one(&db, &ws, "name", "~", "quill").await, vec![nameless]);
        assert_eq!(one(&db, &ws, "email", "~", "lead.example").await, Vec::<ContactId>::new());

        // Delete: gone from the index.
        contacts::delete(&db, ws.id, bob).await.unwrap();
        assert_eq!(app(&db, &ws, "stone").await, Vec::<ContactId>::new());
        assert_eq!(app(&db, &ws, "initech").await, Vec::<ContactId>::new());
        check_sqlite_indexes(&db).await;

        // Hostile values are plain text.
        for hostile in
            [r#"""#, "NEAR(a", "x*", "name : ann", "100%", "a_b", r"back\slash", "'; DROP TABLE contacts; --"]
        {
            assert_eq!(app(&db, &ws, hostile).await, Vec::<ContactId>::new(), "{hostile:?}");
        }
        assert_eq!(app(&db, &ws, "ann").await, vec![ann]);
    }
}

const FIRST: &[&str] = &["Ann", "Émile", "José", "O'Brien", "Li", "Zoë", "Smith", "ANNA", "Bo", "Mary-Jane", "50%_off"];
const LAST: &[&str] =
    &["Smith", "Smithers", "Jones", "ÅSTRÖM", "Nguyễn", "van der Berg", "Stone", "Quinn", "de la Cruz"];
const COMPANIES: &[&str] =
    &["Acme Rockets", "Globex", "Initech", "Umbrella Corp", "Ünïcode GmbH", "Smith & Sons", "AB"];

/// The same filter as a scan: a LIKE on a plain expression, which no index serves.
fn scan_condition(field: &str) -> &'static str {
    match field {
        "name" => "LOWER(name || '') LIKE LOWER($2) ESCAPE '\\'",
        "email" => "LOWER(email || '') LIKE LOWER($2) ESCAPE '\\'",
        _ => {
            "id IN (SELECT cc.contact_id FROM contact_companies cc JOIN companies co ON co.id = cc.company_id \
             WHERE cc.workspace_id = $1 AND LOWER(co.name || '') LIKE LOWER($2) ESCAPE '\\')"
        }
    }
}

async fn scan(db: &Db, ws: WorkspaceId, field: &str, pattern: &str, negated: bool) -> Vec<ContactId> {
    let condition = scan_condition(field);
    let condition = if negated { format!("NOT COALESCE({condition}, FALSE)") } else { condition.to_string() };
    let sql = format!(
        "SELECT id FROM contacts WHERE workspace_id = $1 AND merged_into_id IS NULL AND {condition} ORDER BY id"
    );
    db.read().scalars(Stmt::new(sql).once().arg(ws).arg(pattern)).await.unwrap()
}

fn like_literal(value: &str) -> String {
    value.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

#[tokio::test]
async fn indexed_contact_search_equals_a_full_scan_on_generated_data() {
    for db in testing::all().await {
        let (ws, _) = testing::workspace(&db).await;
        let (other, _) = testing::workspace(&db).await;
        let mut rng = StdRng::seed_from_u64(14);
        let mut company_ids = Vec::new();
        for (i, name) in COMPANIES.iter().enumerate() {
            company_ids.push(company(&db, ws.id, &format!("c{i}"), name).await);
        }
        let mut texts: Vec<String> = COMPANIES.iter().map(|c| c.to_string()).collect();
        let mut ids = Vec::new();
        for i in 0..150 {
            let name = format!("{} {}", FIRST[rng.gen_range(0..FIRST.len())], LAST[rng.gen_range(0..LAST.len())]);
            let name = (rng.gen_range(0..10) > 0).then_some(name);
            let email =
                format!("{}.{i}@{}.example", ["ann", "smith", "jo", "x"][rng.gen_range(0..4)], ["acme", "mail"][i % 2]);
            let email = (rng.gen_range(0..10) > 0).then_some(email);
            let role = if i % 3 == 0 { ContactRole::Lead } else { ContactRole::User };
            let id = contacts::create(&db, ws.id, person(role, name.as_deref(), email.as_deref())).await.unwrap().id;
            texts.extend(name.into_iter().chain(email));
            if rng.gen_range(0..2) == 0 {
                companies::attach(&db, ws.id, id, company_ids[rng.gen_range(0..company_ids.len())]).await.unwrap();
            }
            ids.push((id, role));
        }
        // Another workspace with the same text never shows up.
        contacts::create(&db, other.id, person(ContactRole::User, Some("Ann Smith"), Some("ann.smith@acme.example")))
            .await
            .unwrap();
        // Some merges and deletes among them.
        for k in 0..10 {
            let (lead, _) = ids[k * 3];
            let (user, _) = ids[k * 3 + 1];
            if k % 2 == 0 {
                contacts::merge(&db, ws.id, lead, user).await.unwrap();
            } else {
                contacts::delete(&db, ws.id, lead).await.unwrap();
            }
        }
        check_sqlite_indexes(&db).await;

        // Terms: substrings of stored text (1..6 characters, any case), absent and hostile ones.
        let mut terms: Vec<String> =
            ["zzz", "qx%", "_", "%", "\\", "\"", "smith", "SMITH", "ö", "Ö", "ễn", "&", " ", "a_b", "ann.1"]
                .iter()
                .map(|s| s.to_string())
                .collect();
        for _ in 0..60 {
            let text: Vec<char> = texts[rng.gen_range(0..texts.len())].chars().collect();
            let len = rng.gen_range(1..=6).min(text.len());
            let start = rng.gen_range(0..=text.len() - len);
            let term: String = text[start..start + len].iter().collect();
            terms.push(if rng.gen_bool(0.5) { term.to_uppercase() } else { term });
        }
        for term in &terms {
            let literal = like_literal(term);
            for field in ["name", "email", "companies.name"] {
                let value = if field == "email" { term.to_lowercase() } else { term.clone() };
                let literal = if field == "email" { literal.to_lowercase() } else { literal.clone() };
                for (operator, pattern, negated) in [
                    ("~", format!("%{literal}%"), false),
                    ("!~", format!("%{literal}%"), true),
                    ("^", format!("{literal}%"), false),
                    ("$", format!("%{literal}"), false),
                ] {
                    let indexed = one(&db, &ws, field, operator, &value).await;
                    let scanned = scan(&db, ws.id, field, &pattern, negated).await;
                    assert_eq!(indexed, scanned, "{field} {operator} {term:?} on {:?}", db.backend());
                }
            }
            let lead = if app_operator(term) == "^" { "" } else { "%" };
            let scanned: std::collections::BTreeSet<ContactId> = [
                scan(&db, ws.id, "name", &format!("{lead}{literal}%"), false).await,
                scan(&db, ws.id, "email", &format!("{lead}{}%", literal.to_lowercase()), false).await,
                scan(&db, ws.id, "companies.name", &format!("{lead}{literal}%"), false).await,
            ]
            .concat()
            .into_iter()
            .collect();
            // The app sends the term as typed; email's filter lower-cases it as it did before.
            assert_eq!(app(&db, &ws, term).await, scanned.into_iter().collect::<Vec<_>>(), "app search {term:?}");
        }
    }
}

#[tokio::test]
async fn a_short_prefix_is_read_from_an_index_on_sqlite() {
    let db = testing::sqlite().await;
    let (ws, _) = testing::workspace(&db).await;
    assert_eq!(db.backend(), Backend::Sqlite, "testing::sqlite is SQLite");
    for (field, index) in [
        ("name", "contacts_by_lower_name"),
        ("email", "contacts_by_lower_email"),
        ("companies.name", "companies_by_lower_name"),
    ] {
        let query = json!({"field": field, "operator": "^", "value": "sm"});
        let condition = rapport_store::search::compile(&db, &ws, SearchModel::Contacts, &query, 2).await.unwrap();
        let sql = format!("EXPLAIN QUERY PLAN SELECT id FROM contacts WHERE workspace_id = $1 AND {}", condition.sql);
        let query = Stmt::new(sql).arg(ws.id).args(condition.binds);
        let plan: Vec<(i64, i64, i64, String)> = db.read().fetch_all(query).await.unwrap();
        assert!(plan.iter().any(|(_, _, _, step)| step.contains(index)), "{field} ^ sm: {plan:?}");
    }
}
