-- No-op on PostgreSQL, so that both engines have every migration number (one numbering; the
-- schema parity test, tests/schema_parity.rs, checks it). SQLite's 0027 adds indexes on
-- (workspace_id, LOWER(column)) of contacts' name and email and companies' name, because its FTS5
-- trigram tables cannot look up a prefix under 3 characters. PostgreSQL answers the same prefix
-- search (`LOWER(column) LIKE 'sm%'`) from the pg_trgm GIN indexes of 0014 (a prefix has the
-- word-start trigrams), so it needs no index here.
--
-- This file came after 0029: sqlx applies every version a database lacks, lower ones included, so
-- a PostgreSQL database already at 0029 records this one at its next start.
SELECT 1;
