-- Prefix search (`^`) of contacts' name and email and companies' name. The FTS5 trigram tables of
-- 0014 cannot look up terms under 3 characters, which the agent app searches as prefixes: these
-- indexes on the lower-cased columns answer `LOWER(column) >= 'sm' AND LOWER(column) < 'sn'`
-- (search/sql.rs, `prefix`). PostgreSQL needs none: its pg_trgm indexes of 0014 serve `LIKE 'sm%'`.
CREATE INDEX contacts_by_lower_name ON contacts (workspace_id, LOWER(name));
CREATE INDEX contacts_by_lower_email ON contacts (workspace_id, LOWER(email));
CREATE INDEX companies_by_lower_name ON companies (workspace_id, LOWER(name));
