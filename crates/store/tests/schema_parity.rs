//! Schema parity of the two migration sets: a fresh SQLite and a fresh PostgreSQL database are
//! migrated, both schemas are read back from the engines' catalogues, and every table, column
//! (type class and nullability), primary key and index that exists on one engine only fails the
//! test, unless [`EXCEPTIONS`] says why it may.
//!
//! What is compared, after normalising each engine's spelling:
//! - tables, by name;
//! - columns, by table and name: the type class (SQLite's declared type by its affinity rules,
//!   PostgreSQL's `data_type`; see [`Class`]) and whether NULL is allowed (a SQLite
//!   `INTEGER PRIMARY KEY` is the rowid and never NULL, whatever `pragma_table_info` says);
//! - primary keys, as the ordered list of their columns;
//! - foreign keys: columns, referenced table and columns, and the `ON DELETE` action;
//! - every other index (explicit ones and those of `UNIQUE` constraints), by table, uniqueness,
//!   method (when not btree), the ordered list of its keys (a column name or a normalised
//!   expression, with `desc` and a non-default operator class) and its normalised `WHERE`
//!   predicate. Index names are not compared: PostgreSQL names constraint indexes `*_key`,
//!   SQLite `sqlite_autoindex_*`, and a name is not schema behaviour.
//!
//! Not compared: defaults (spelt differently, `0` vs `FALSE`), check constraints, triggers and
//! functions (the engines keep the same invariants in different ways there: statement triggers
//! on PostgreSQL, row triggers on SQLite, or the statement itself, see migration 0028).
//!
//! When this test fails, the fix is a NEW migration, with the same number on both engines
//! (`migrations/{sqlite,postgres}/NNNN_*.sql`, one a no-op saying why when only one engine needs
//! a change), never an edit of an applied migration (sqlx checksums them).
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

use rapport_store::{testing, Backend, Conn, Db, Stmt};

/// An engine, for the exceptions and the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Engine {
    Sqlite,
    Postgres,
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Engine::Sqlite => "SQLite",
            Engine::Postgres => "PostgreSQL",
        })
    }
}

/// What an exception covers.
#[derive(Debug)]
enum Covers {
    /// A table and everything in it, on the exception's engine (or on both, see [`Exception`]).
    Table(&'static str),
    /// Every table whose name starts with this.
    TablesStartingWith(&'static str),
    /// An FTS5 virtual table and its shadow tables (`_data`, `_idx`, `_docsize`, `_config`,
    /// `_content`), which SQLite creates with it.
    Fts5(&'static str),
    /// One fact, as the report prints it (e.g. `index contacts (workspace_id, lower(name))`).
    Fact(&'static str),
}

/// A difference the schemas may have, and why.
#[derive(Debug)]
struct Exception {
    /// The engine that has the object the other lacks; `None`: it is ignored on both engines.
    only_on: Option<Engine>,
    covers: Covers,
    why: &'static str,
}

const FTS5_SHADOW_SUFFIXES: &[&str] = &["_data", "_idx", "_docsize", "_config", "_content"];

const WHY_FTS5: &str = "text search: SQLite indexes the trigrams of message text, contacts' name and email and \
    companies' name in FTS5 tables (kept by triggers, migrations 0009 and 0014); PostgreSQL has pg_trgm GIN \
    indexes on the same lower-cased columns instead (below)";
const WHY_TRGM: &str = "text search: PostgreSQL's pg_trgm GIN index on the lower-cased column, where SQLite has \
    an FTS5 table (migrations 0009 and 0014)";
const WHY_PREFIX: &str = "prefix search (`^`): FTS5 cannot look up under 3 characters, so SQLite reads a range of \
    these lower-case indexes (migration 0027, search/sql.rs `prefix`); PostgreSQL answers the same `LIKE 'x%'` \
    from its pg_trgm GIN index (a prefix has the word-start trigrams), so its 0027 is a no-op";

/// The one list of allowed differences. Keep a reason on each; an entry that no longer matches
/// anything fails the test too, so the list cannot go stale.
const EXCEPTIONS: &[Exception] = &[
    Exception {
        only_on: None,
        covers: Covers::Table("_sqlx_migrations"),
        why: "sqlx's own bookkeeping: its column types are sqlx's choice per engine (TIMESTAMP vs TIMESTAMPTZ, \
              BLOB vs BYTEA)",
    },
    Exception {
        only_on: Some(Engine::Sqlite),
        covers: Covers::TablesStartingWith("sqlite_"),
        why: "SQLite's internal tables: sqlite_sequence (AUTOINCREMENT's counters; PostgreSQL's identity \
              columns keep theirs in sequences) and sqlite_stat1/4 (planner statistics, written by \
              `Db::optimize`)",
    },
    Exception { only_on: Some(Engine::Sqlite), covers: Covers::Fts5("conversation_parts_fts"), why: WHY_FTS5 },
    Exception { only_on: Some(Engine::Sqlite), covers: Covers::Fts5("conversations_source_fts"), why: WHY_FTS5 },
    Exception { only_on: Some(Engine::Sqlite), covers: Covers::Fts5("contacts_fts"), why: WHY_FTS5 },
    Exception { only_on: Some(Engine::Sqlite), covers: Covers::Fts5("companies_fts"), why: WHY_FTS5 },
    Exception {
        only_on: Some(Engine::Postgres),
        covers: Covers::Fact("index conversation_parts using gin (lower(body) gin_trgm_ops)"),
        why: WHY_TRGM,
    },
    Exception {
        only_on: Some(Engine::Postgres),
        covers: Covers::Fact("index conversations using gin (lower(source_body) gin_trgm_ops)"),
        why: WHY_TRGM,
    },
    Exception {
        only_on: Some(Engine::Postgres),
        covers: Covers::Fact("index contacts using gin (lower(name) gin_trgm_ops)"),
        why: WHY_TRGM,
    },
    Exception {
        only_on: Some(Engine::Postgres),
        covers: Covers::Fact("index contacts using gin (lower(email) gin_trgm_ops)"),
        why: WHY_TRGM,
    },
    Exception {
        only_on: Some(Engine::Postgres),
        covers: Covers::Fact("index companies using gin (lower(name) gin_trgm_ops)"),
        why: WHY_TRGM,
    },
    Exception {
        only_on: Some(Engine::Sqlite),
        covers: Covers::Fact("index contacts (workspace_id, lower(name))"),
        why: WHY_PREFIX,
    },
    Exception {
        only_on: Some(Engine::Sqlite),
        covers: Covers::Fact("index contacts (workspace_id, lower(email))"),
        why: WHY_PREFIX,
    },
    Exception {
        only_on: Some(Engine::Sqlite),
        covers: Covers::Fact("index companies (workspace_id, lower(name))"),
        why: WHY_PREFIX,
    },
];

impl Exception {
    fn covers(&self, engine: Engine, fact: &Fact) -> bool {
        if self.only_on.is_some_and(|e| e != engine) {
            return false;
        }
        let table = fact.table();
        match self.covers {
            Covers::Table(name) => table == name,
            Covers::TablesStartingWith(prefix) => table.starts_with(prefix),
            Covers::Fts5(name) => {
                table == name || table.strip_prefix(name).is_some_and(|suffix| FTS5_SHADOW_SUFFIXES.contains(&suffix))
            }
            Covers::Fact(text) => fact.to_string() == text,
        }
    }
}

/// The type class of a column: what values it holds, whichever engine's spelling.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Class {
    /// A 64-bit integer: SQLite's INTEGER affinity, PostgreSQL's `bigint` (PostgreSQL's `integer`
    /// and `smallint` are narrower than SQLite's INTEGER, so they are [`Class::Other`]).
    Integer,
    Text,
    /// A float: SQLite's REAL affinity, PostgreSQL's `double precision` and `real`.
    Real,
    /// SQLite stores BOOLEAN as 0/1 integers, but the declared type says what the column means.
    Boolean,
    /// Bytes: SQLite's BLOB, PostgreSQL's `bytea`.
    Blob,
    /// Anything else, by its engine's name (`none` for a SQLite column declared without a type).
    Other(String),
}

impl Class {
    /// SQLite's affinity rules (https://sqlite.org/datatype3.html, 3.1), with BOOLEAN kept apart.
    fn of_sqlite(declared: &str) -> Self {
        let upper = declared.trim().to_ascii_uppercase();
        if upper == "BOOLEAN" || upper == "BOOL" {
            Class::Boolean
        } else if upper.contains("INT") {
            Class::Integer
        } else if upper.contains("CHAR") || upper.contains("CLOB") || upper.contains("TEXT") {
            Class::Text
        } else if upper.contains("BLOB") {
            Class::Blob
        } else if upper.contains("REAL") || upper.contains("FLOA") || upper.contains("DOUB") {
            Class::Real
        } else if upper.is_empty() {
            Class::Other("none".to_string())
        } else {
            Class::Other(declared.trim().to_ascii_lowercase())
        }
    }

    /// `information_schema.columns.data_type`.
    fn of_postgres(data_type: &str) -> Self {
        match data_type {
            "bigint" => Class::Integer,
            "text" | "character varying" | "character" => Class::Text,
            "double precision" | "real" => Class::Real,
            "boolean" => Class::Boolean,
            "bytea" => Class::Blob,
            other => Class::Other(other.to_string()),
        }
    }
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Class::Integer => f.write_str("integer"),
            Class::Text => f.write_str("text"),
            Class::Real => f.write_str("real"),
            Class::Boolean => f.write_str("boolean"),
            Class::Blob => f.write_str("blob"),
            Class::Other(name) => write!(f, "other({name})"),
        }
    }
}

/// One thing a schema has. Two engines agree when they have the same set of facts.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Fact {
    Table {
        table: String,
    },
    Column {
        table: String,
        column: String,
        class: Class,
        nullable: bool,
    },
    PrimaryKey {
        table: String,
        columns: Vec<String>,
    },
    /// A foreign key: its columns, the table and columns it references, and its `ON DELETE`.
    ForeignKey {
        table: String,
        columns: Vec<String>,
        references: String,
        referenced: Vec<String>,
        on_delete: String,
    },
    Index {
        table: String,
        unique: bool,
        /// `None` for btree, the only kind SQLite has.
        method: Option<String>,
        keys: Vec<String>,
        predicate: Option<String>,
    },
}

impl Fact {
    fn table(&self) -> &str {
        match self {
            Fact::Table { table }
            | Fact::Column { table, .. }
            | Fact::PrimaryKey { table, .. }
            | Fact::ForeignKey { table, .. }
            | Fact::Index { table, .. } => table,
        }
    }

    /// The column a fact describes, to pair a column's two differing descriptions in the report.
    fn column(&self) -> Option<(&str, &str)> {
        match self {
            Fact::Column { table, column, .. } => Some((table, column)),
            _ => None,
        }
    }
}

impl fmt::Display for Fact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fact::Table { table } => write!(f, "table {table}"),
            Fact::Column { table, column, class, nullable } => {
                write!(f, "column {table}.{column} {class} {}", if *nullable { "NULL" } else { "NOT NULL" })
            }
            Fact::PrimaryKey { table, columns } => write!(f, "primary key {table} ({})", columns.join(", ")),
            Fact::ForeignKey { table, columns, references, referenced, on_delete } => write!(
                f,
                "foreign key {table} ({}) references {references} ({}) on delete {on_delete}",
                columns.join(", "),
                referenced.join(", ")
            ),
            Fact::Index { table, unique, method, keys, predicate } => {
                write!(f, "{}index {table} ", if *unique { "unique " } else { "" })?;
                if let Some(method) = method {
                    write!(f, "using {method} ")?;
                }
                write!(f, "({})", keys.join(", "))?;
                if let Some(predicate) = predicate {
                    write!(f, " where {predicate}")?;
                }
                Ok(())
            }
        }
    }
}

/// Normalises an index key expression or predicate so both engines' spellings compare equal:
/// lower case, PostgreSQL's casts (`::bigint`, `::text`) and the quotes it puts around large
/// integer literals dropped, whitespace only where it separates two words, and parentheses
/// around the whole expression dropped.
fn normalise(sql: &str) -> String {
    // Lower case outside string literals (the quote count so far is even).
    let mut quotes = 0;
    let lower: String = sql
        .chars()
        .flat_map(|c| {
            quotes += usize::from(c == '\'');
            let keep = quotes % 2 == 1 || c == '\'';
            let lowered: Vec<char> = if keep { vec![c] } else { c.to_lowercase().collect() };
            lowered
        })
        .collect();
    let chars: Vec<char> = lower.chars().collect();
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == ':' && chars.get(i + 1) == Some(&':') {
            // A cast: skip `::name`, and the two- and four-word names `double precision` etc.
            i += 2;
            while i < chars.len() && word(chars[i]) {
                i += 1;
            }
            let rest = &lower[byte_index(&chars, i)..];
            for tail in [" precision", " varying", " with time zone", " without time zone"] {
                if rest.starts_with(tail) {
                    i += tail.chars().count();
                }
            }
            continue;
        }
        if c == '\'' {
            // A string literal, copied whole; quotes around an integer are dropped.
            let start = i;
            i += 1;
            while i < chars.len() {
                if chars[i] == '\'' {
                    if chars.get(i + 1) == Some(&'\'') {
                        i += 2;
                        continue;
                    }
                    break;
                }
                i += 1;
            }
            let literal: String = chars[start..=i.min(chars.len() - 1)].iter().collect();
            let inner = &literal[1..literal.len().saturating_sub(1)];
            if !inner.is_empty() && inner.chars().all(|c| c.is_ascii_digit() || c == '-') {
                out.push_str(inner);
            } else {
                out.push_str(&literal);
            }
            i += 1;
            continue;
        }
        if c.is_whitespace() {
            let next = chars[i..].iter().find(|c| !c.is_whitespace());
            if out.chars().last().is_some_and(word) && next.is_some_and(|c| word(*c) || *c == '\'') {
                out.push(' ');
            }
            i += 1;
            continue;
        }
        out.push(c);
        i += 1;
    }
    let mut out = out.as_str();
    while out.starts_with('(') && out.ends_with(')') && closing_paren(out, 0) == Some(out.len() - 1) {
        out = &out[1..out.len() - 1];
    }
    out.to_string()
}

fn byte_index(chars: &[char], i: usize) -> usize {
    chars[..i].iter().map(|c| c.len_utf8()).sum()
}

/// The byte index of the parenthesis closing the one at `open`, skipping string literals.
fn closing_paren(sql: &str, open: usize) -> Option<usize> {
    let mut depth = 0;
    let mut in_string = false;
    for (i, c) in sql.char_indices().skip_while(|(i, _)| *i < open) {
        match c {
            '\'' => in_string = !in_string,
            '(' if !in_string => depth += 1,
            ')' if !in_string => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// Splits on the commas outside parentheses and string literals.
fn split_top_level(list: &str) -> Vec<String> {
    let (mut parts, mut current, mut depth, mut in_string) = (Vec::new(), String::new(), 0, false);
    for c in list.chars() {
        match c {
            '\'' => in_string = !in_string,
            '(' if !in_string => depth += 1,
            ')' if !in_string => depth -= 1,
            ',' if !in_string && depth == 0 => {
                parts.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    parts.push(current);
    parts.into_iter().map(|p| p.trim().to_string()).collect()
}

/// The key list and `WHERE` predicate of a SQLite `CREATE INDEX … ON table (keys) WHERE …`.
fn parse_sqlite_index(sql: &str) -> (Vec<String>, Option<String>) {
    let lower = sql.to_ascii_lowercase();
    let on = lower.find(" on ").unwrap_or_else(|| panic!("no ON in {sql}"));
    let open = on + lower[on..].find('(').unwrap_or_else(|| panic!("no key list in {sql}"));
    let close = closing_paren(sql, open).unwrap_or_else(|| panic!("unbalanced key list in {sql}"));
    let keys = split_top_level(&sql[open + 1..close]);
    let rest = sql[close + 1..].trim();
    let predicate = rest
        .get(..5)
        .filter(|w| w.eq_ignore_ascii_case("where"))
        .map(|_| rest[5..].trim().trim_end_matches(';').trim().to_string());
    (keys, predicate)
}

/// An index key as the report prints it: the column or normalised expression, then `desc` and
/// a non-default operator class.
fn key(expression: &str, desc: bool, opclass: &str) -> String {
    let mut key = normalise(expression);
    if desc {
        key.push_str(" desc");
    }
    if !opclass.is_empty() {
        key.push(' ');
        key.push_str(opclass);
    }
    key
}

async fn sqlite_schema(db: &Db) -> BTreeSet<Fact> {
    assert_eq!(db.backend(), Backend::Sqlite, "not a SQLite database");
    let mut read = db.read();
    let mut facts = BTreeSet::new();
    let tables: Vec<(String, Option<String>)> =
        read.fetch_all(Stmt::new("SELECT name, sql FROM sqlite_master WHERE type = 'table'")).await.unwrap();
    for (table, sql) in tables {
        let without_rowid = sql.is_some_and(|sql| sql.to_ascii_uppercase().contains("WITHOUT ROWID"));
        let columns: Vec<(String, String, bool, i64)> = read
            .fetch_all(
                Stmt::new("SELECT name, type, \"notnull\", pk FROM pragma_table_info($1) ORDER BY cid").arg(&table),
            )
            .await
            .unwrap();
        let mut primary_key: Vec<(i64, String)> =
            columns.iter().filter(|c| c.3 > 0).map(|c| (c.3, c.0.clone())).collect();
        primary_key.sort();
        // SQLite lets a primary key column hold NULL (a legacy quirk) unless it is declared NOT
        // NULL, except a single INTEGER PRIMARY KEY column (the rowid) and the primary key of a
        // WITHOUT ROWID table.
        let rowid_alias = match primary_key.as_slice() {
            [(_, name)] => columns.iter().find(|c| &c.0 == name).filter(|c| c.1.eq_ignore_ascii_case("INTEGER")),
            _ => None,
        }
        .map(|c| c.0.clone());
        for (name, declared, not_null, pk) in &columns {
            let never_null = rowid_alias.as_ref() == Some(name) || (without_rowid && *pk > 0);
            let nullable = !not_null && !never_null;
            facts.insert(Fact::Column {
                table: table.clone(),
                column: name.clone(),
                class: Class::of_sqlite(declared),
                nullable,
            });
        }
        if !primary_key.is_empty() {
            facts.insert(Fact::PrimaryKey {
                table: table.clone(),
                columns: primary_key.into_iter().map(|(_, name)| name).collect(),
            });
        }
        let foreign_keys: Vec<(i64, String, String, Option<String>, String)> = read
            .fetch_all(
                Stmt::new(
                    "SELECT id, \"table\", \"from\", \"to\", on_delete FROM pragma_foreign_key_list($1) \
                     ORDER BY id, seq",
                )
                .arg(&table),
            )
            .await
            .unwrap();
        // One row per column: (referenced table, column, referenced column, ON DELETE).
        type Column = (String, String, Option<String>, String);
        let mut by_id: BTreeMap<i64, Vec<Column>> = BTreeMap::new();
        for (id, references, from, to, on_delete) in foreign_keys {
            by_id.entry(id).or_default().push((references, from, to, on_delete));
        }
        for parts in by_id.into_values() {
            let (references, on_delete) = (parts[0].0.clone(), parts[0].3.clone());
            let mut referenced: Vec<String> = parts.iter().filter_map(|p| p.2.clone()).collect();
            if referenced.is_empty() {
                // `REFERENCES parent` without columns: the parent's primary key.
                referenced = read
                    .scalars(
                        Stmt::new("SELECT name FROM pragma_table_info($1) WHERE pk > 0 ORDER BY pk").arg(&references),
                    )
                    .await
                    .unwrap();
            }
            facts.insert(Fact::ForeignKey {
                table: table.clone(),
                columns: parts.into_iter().map(|p| p.1).collect(),
                references,
                referenced,
                on_delete,
            });
        }
        let indexes: Vec<(String, bool, String)> = read
            .fetch_all(Stmt::new("SELECT name, \"unique\", origin FROM pragma_index_list($1)").arg(&table))
            .await
            .unwrap();
        for (index, unique, origin) in indexes {
            if origin == "pk" {
                continue; // the primary key, compared above
            }
            let sql: Option<String> = read
                .scalar(Stmt::new("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = $1").arg(&index))
                .await
                .unwrap();
            let (expressions, predicate) = sql.as_deref().map(parse_sqlite_index).unwrap_or_default();
            let columns: Vec<(i64, Option<String>, bool)> = read
                .fetch_all(
                    Stmt::new("SELECT cid, name, \"desc\" FROM pragma_index_xinfo($1) WHERE key = 1 ORDER BY seqno")
                        .arg(&index),
                )
                .await
                .unwrap();
            let keys = columns
                .iter()
                .enumerate()
                .map(|(i, (cid, name, desc))| match (cid, name) {
                    (-2, _) => {
                        // An expression: its text from the CREATE INDEX, without ASC/DESC.
                        let text = expressions.get(i).unwrap_or_else(|| panic!("index {index}: key {i}"));
                        let lower = text.to_ascii_lowercase();
                        let text = lower
                            .strip_suffix(" desc")
                            .or_else(|| lower.strip_suffix(" asc"))
                            .map_or(text.as_str(), |t| &text[..t.len()]);
                        key(text, *desc, "")
                    }
                    (_, Some(name)) => key(name, *desc, ""),
                    _ => panic!("index {index}: key {i} has no column"),
                })
                .collect();
            facts.insert(Fact::Index {
                table: table.clone(),
                unique,
                method: None,
                keys,
                predicate: predicate.map(|p| normalise(&p)),
            });
        }
        facts.insert(Fact::Table { table });
    }
    facts
}

async fn postgres_schema(db: &Db) -> BTreeSet<Fact> {
    assert_eq!(db.backend(), Backend::Postgres, "not a PostgreSQL database");
    let mut read = db.read();
    let mut facts = BTreeSet::new();
    let tables: Vec<String> = read
        .scalars(Stmt::new(
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
        ))
        .await
        .unwrap();
    facts.extend(tables.into_iter().map(|table| Fact::Table { table }));
    let columns: Vec<(String, String, String, String)> = read
        .fetch_all(Stmt::new(
            "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text \
             FROM information_schema.columns WHERE table_schema = current_schema()",
        ))
        .await
        .unwrap();
    for (table, column, data_type, nullable) in columns {
        facts.insert(Fact::Column {
            table,
            column,
            class: Class::of_postgres(&data_type),
            nullable: nullable == "YES",
        });
    }
    // The store's rows decode scalars, not arrays: each list comes as one text, its items joined
    // with the unit separator (chr(31), in no name or expression), split again by `items`.
    type ForeignKeyRow = (String, String, String, String, String);
    let foreign_keys: Vec<ForeignKeyRow> = read
        .fetch_all(Stmt::new(
            "SELECT t.relname::text, r.relname::text, \
                 array_to_string(ARRAY(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY k(n, o) \
                       JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.o), chr(31)), \
                 array_to_string(ARRAY(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY k(n, o) \
                       JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.o), chr(31)), \
                 CASE c.confdeltype WHEN 'a' THEN 'NO ACTION' WHEN 'r' THEN 'RESTRICT' WHEN 'c' THEN 'CASCADE' \
                     WHEN 'n' THEN 'SET NULL' WHEN 'd' THEN 'SET DEFAULT' END \
             FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_class r ON r.oid = c.confrelid \
             WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace",
        ))
        .await
        .unwrap();
    for (table, references, columns, referenced, on_delete) in foreign_keys {
        let (columns, referenced) = (items(&columns), items(&referenced));
        facts.insert(Fact::ForeignKey { table, columns, references, referenced, on_delete });
    }
    /// An index as PostgreSQL's catalogue describes it, one item per key in each list.
    #[derive(rapport_store::Row)]
    struct IndexRow {
        table: String,
        unique: bool,
        primary: bool,
        method: String,
        key_count: i64,
        expressions: String,
        opclasses: String,
        descs: String,
        predicate: Option<String>,
    }
    let indexes: Vec<IndexRow> = read
        .fetch_all(Stmt::new(
            "SELECT t.relname::text AS table, i.indisunique AS unique, i.indisprimary AS primary, \
                 am.amname::text AS method, CAST(i.indnkeyatts AS BIGINT) AS key_count, \
                 array_to_string(ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, true) \
                       FROM generate_series(1, i.indnkeyatts) k ORDER BY k), chr(31)) AS expressions, \
                 array_to_string(ARRAY(SELECT CASE WHEN oc.opcdefault THEN '' ELSE oc.opcname::text END \
                       FROM generate_series(1, i.indnkeyatts) k JOIN pg_opclass oc ON oc.oid = i.indclass[k - 1] \
                       ORDER BY k), chr(31)) AS opclasses, \
                 array_to_string(ARRAY(SELECT CASE WHEN (i.indoption[k - 1] & 1) = 1 THEN 'desc' ELSE 'asc' END \
                       FROM generate_series(1, i.indnkeyatts) k ORDER BY k), chr(31)) AS descs, \
                 pg_get_expr(i.indpred, i.indrelid, true) AS predicate \
             FROM pg_index i \
             JOIN pg_class t ON t.oid = i.indrelid \
             JOIN pg_class ix ON ix.oid = i.indexrelid \
             JOIN pg_am am ON am.oid = ix.relam \
             WHERE t.relnamespace = current_schema()::regnamespace",
        ))
        .await
        .unwrap();
    for IndexRow { table, unique, primary, method, key_count, expressions, opclasses, descs, predicate } in indexes {
        let (expressions, opclasses) = (items(&expressions), items(&opclasses));
        let descs: Vec<bool> = items(&descs).iter().map(|d| d == "desc").collect();
        for list in [expressions.len(), opclasses.len(), descs.len()] {
            assert_eq!(list as i64, key_count, "index on {table}: one item per key");
        }
        let keys: Vec<String> = expressions
            .iter()
            .zip(&opclasses)
            .zip(&descs)
            .map(|((expression, opclass), desc)| key(expression, *desc, opclass))
            .collect();
        if primary {
            facts.insert(Fact::PrimaryKey { table, columns: keys });
            continue;
        }
        facts.insert(Fact::Index {
            table,
            unique,
            method: (method != "btree").then_some(method),
            keys,
            predicate: predicate.map(|p| normalise(&p)),
        });
    }
    facts
}

/// The items of a list PostgreSQL joined with `chr(31)` (`array_to_string`); every list read here
/// has at least one item (an index's or a foreign key's columns).
fn items(joined: &str) -> Vec<String> {
    joined.split('\u{1f}').map(str::to_string).collect()
}

/// The differences between two schemas that no exception allows, as a readable report (empty
/// when the schemas agree), and the exceptions that matched nothing.
fn compare(sqlite: &BTreeSet<Fact>, postgres: &BTreeSet<Fact>, exceptions: &[Exception]) -> String {
    let mut used = vec![false; exceptions.len()];
    let mut unexplained = |engine: Engine, facts: &mut dyn Iterator<Item = &Fact>| -> Vec<Fact> {
        facts
            .filter(|fact| {
                let matched: Vec<usize> =
                    (0..exceptions.len()).filter(|&i| exceptions[i].covers(engine, fact)).collect();
                matched.iter().for_each(|&i| used[i] = true);
                matched.is_empty()
            })
            .cloned()
            .collect()
    };
    let only_sqlite = unexplained(Engine::Sqlite, &mut sqlite.difference(postgres));
    let only_postgres = unexplained(Engine::Postgres, &mut postgres.difference(sqlite));

    let tables_of = |facts: &[Fact]| -> BTreeSet<String> {
        facts.iter().filter_map(|f| if let Fact::Table { table } = f { Some(table.clone()) } else { None }).collect()
    };
    let (sqlite_tables, postgres_tables) = (tables_of(&only_sqlite), tables_of(&only_postgres));
    // A table missing on the other engine is one line: its columns and indexes go with it.
    let keep = |tables: &BTreeSet<String>| {
        let tables = tables.clone();
        move |f: &Fact| matches!(f, Fact::Table { .. }) || !tables.contains(f.table())
    };
    let only_sqlite: Vec<Fact> = only_sqlite.into_iter().filter(keep(&sqlite_tables)).collect();
    let only_postgres: Vec<Fact> = only_postgres.into_iter().filter(keep(&postgres_tables)).collect();

    let mut lines = Vec::new();
    let postgres_columns: BTreeMap<(&str, &str), &Fact> =
        only_postgres.iter().filter_map(|f| f.column().map(|c| (c, f))).collect();
    let mut paired = BTreeSet::new();
    for fact in &only_sqlite {
        match fact.column().and_then(|c| postgres_columns.get(&c).map(|p| (c, p))) {
            Some(((table, column), other)) => {
                let describe =
                    |f: &Fact| f.to_string().rsplit_once(&format!("{table}.{column} ")).unwrap().1.to_string();
                lines.push(format!(
                    "  differs:            column {table}.{column}: SQLite {}, PostgreSQL {}",
                    describe(fact),
                    describe(other)
                ));
                paired.insert((table.to_string(), column.to_string()));
            }
            None => lines.push(format!("  only on SQLite:     {fact}")),
        }
    }
    for fact in &only_postgres {
        let is_paired = fact.column().is_some_and(|(t, c)| paired.contains(&(t.to_string(), c.to_string())));
        if !is_paired {
            lines.push(format!("  only on PostgreSQL: {fact}"));
        }
    }
    for (exception, used) in exceptions.iter().zip(used) {
        if !used {
            lines.push(format!(
                "  stale exception (matches nothing any more, remove it): {:?} on {}, because {}",
                exception.covers,
                exception.only_on.map_or("both engines".to_string(), |e| e.to_string()),
                exception.why
            ));
        }
    }
    if lines.is_empty() {
        return String::new();
    }
    format!(
        "the migrated SQLite and PostgreSQL schemas differ (fix it with a new migration, or add an exception with \
         its reason to EXCEPTIONS in tests/schema_parity.rs):\n{}",
        lines.join("\n")
    )
}

#[tokio::test]
async fn both_engines_migrate_to_the_same_schema() {
    if !testing::postgres_enabled() {
        eprintln!("RAPPORT_TEST_SKIP_POSTGRES=1: no PostgreSQL schema to compare with");
        return;
    }
    let sqlite = sqlite_schema(&testing::sqlite().await).await;
    let postgres = postgres_schema(&testing::postgres().await).await;
    // The introspection saw the schema at all (an empty set on both sides would "agree").
    for facts in [&sqlite, &postgres] {
        assert!(facts.contains(&Fact::PrimaryKey {
            table: "event_log".into(),
            columns: vec!["workspace_id".into(), "seq".into()]
        }));
        assert!(facts.iter().filter(|f| matches!(f, Fact::Index { .. })).count() > 50);
    }
    let report = compare(&sqlite, &postgres, EXCEPTIONS);
    assert!(report.is_empty(), "{report}");
}

/// The comparison itself: drift made by hand on each engine is reported, exceptions are not.
#[tokio::test]
async fn drift_on_either_engine_is_reported() {
    if !testing::postgres_enabled() {
        return;
    }
    let sqlite = testing::sqlite().await;
    let postgres = testing::postgres().await;
    let statements = [
        (&sqlite, "ALTER TABLE notes ADD COLUMN drift_sqlite INTEGER"),
        (&sqlite, "CREATE TABLE drift_table (id INTEGER PRIMARY KEY)"),
        (&postgres, "ALTER TABLE notes ALTER COLUMN body DROP NOT NULL"),
        (&postgres, "CREATE INDEX drift_index ON notes (LOWER(body)) WHERE admin_id IS NOT NULL"),
        (&postgres, "ALTER TABLE notes ADD FOREIGN KEY (admin_id) REFERENCES admins (id) ON DELETE SET NULL"),
    ];
    for (db, sql) in statements {
        testing::write(db, Stmt::new(sql).once()).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    let report = compare(&sqlite_schema(&sqlite).await, &postgres_schema(&postgres).await, EXCEPTIONS);
    eprintln!("{report}");
    for expected in [
        "only on SQLite:     column notes.drift_sqlite integer NULL",
        "only on SQLite:     table drift_table",
        "differs:            column notes.body: SQLite text NOT NULL, PostgreSQL text NULL",
        "only on PostgreSQL: index notes (lower(body)) where admin_id is not null",
        "only on PostgreSQL: foreign key notes (admin_id) references admins (id) on delete SET NULL",
    ] {
        assert!(report.contains(expected), "{expected:?} missing from:\n{report}");
    }
    assert!(!report.contains("drift_table.id"), "a missing table's columns go with it:\n{report}");
    assert!(!report.contains("fts") && !report.contains("stale"), "{report}");
}

#[test]
fn expressions_compare_equal_across_spellings() {
    let same = [
        ("COALESCE(waiting_since, 9223372036854775807)", "COALESCE(waiting_since, '9223372036854775807'::bigint)"),
        ("(CASE WHEN priority THEN 0 ELSE 1 END)", "(\nCASE\n    WHEN priority THEN 0\n    ELSE 1\nEND)"),
        ("LOWER(name)", "lower(name)"),
        ("direction = 'outbound'", "direction = 'outbound'::text"),
        ("x = 1.5", "x = 1.5::double precision"),
        ("external_id IS NOT NULL AND merged_into_id IS NULL", "external_id IS NOT NULL AND merged_into_id IS NULL"),
    ];
    for (sqlite, postgres) in same {
        assert_eq!(normalise(sqlite), normalise(postgres), "{sqlite:?} vs {postgres:?}");
    }
    assert_ne!(normalise("direction = 'Outbound'"), normalise("direction = 'outbound'::text"));
    assert_eq!(normalise("'it''s'"), "'it''s'");
    assert_eq!(
        parse_sqlite_index("CREATE INDEX a ON t (x, LOWER(y), (CASE WHEN z THEN 0 ELSE 1 END)) WHERE x IS NOT NULL"),
        (
            vec!["x".to_string(), "LOWER(y)".to_string(), "(CASE WHEN z THEN 0 ELSE 1 END)".to_string()],
            Some("x IS NOT NULL".to_string())
        )
    );
}

/// One numbering: every migration version exists for both engines.
#[test]
fn every_migration_exists_for_both_engines() {
    let versions = |engine: &str| -> BTreeMap<u32, String> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(engine);
        std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".sql"))
            .map(|name| {
                let version = name.split('_').next().and_then(|v| v.parse().ok());
                (version.unwrap_or_else(|| panic!("{engine}/{name}: no version number")), name)
            })
            .collect()
    };
    let (sqlite, postgres) = (versions("sqlite"), versions("postgres"));
    let only = |a: &BTreeMap<u32, String>, b: &BTreeMap<u32, String>| -> Vec<String> {
        a.iter().filter(|(v, _)| !b.contains_key(v)).map(|(_, name)| name.clone()).collect()
    };
    assert!(
        sqlite.keys().eq(postgres.keys()),
        "migrations/sqlite only: {:?}; migrations/postgres only: {:?}",
        only(&sqlite, &postgres),
        only(&postgres, &sqlite)
    );
}

/// An exception that no longer matches anything is reported, so the list cannot go stale.
#[test]
fn an_exception_that_matches_nothing_is_reported() {
    let schema: BTreeSet<Fact> = [Fact::Table { table: "notes".into() }].into();
    let exceptions = [Exception {
        only_on: Some(Engine::Sqlite),
        covers: Covers::Fact("index notes (body)"),
        why: "a reason that no longer holds",
    }];
    let report = compare(&schema, &schema, &exceptions);
    assert!(report.contains("stale exception") && report.contains("a reason that no longer holds"), "{report}");
    assert_eq!(compare(&schema, &schema, &[]), "");
}
