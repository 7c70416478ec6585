-- Contact search (`name ~ x`, `email ~ x`, `companies.name ~ x`; the agent app's `/` search)
-- through pg_trgm GIN indexes on the lower-cased columns, the way 0009 indexed message text
-- (docs/ARCHITECTURE.md "Search"). The search's `LOWER(col) LIKE LOWER($n)` uses these
-- expression indexes directly and rechecks every row, so results are those of the LIKE scan;
-- the indexes follow every write (insert, update, merge, delete) with no trigger.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX contacts_name_trgm ON contacts USING gin (LOWER(name) gin_trgm_ops);
CREATE INDEX contacts_email_trgm ON contacts USING gin (LOWER(email) gin_trgm_ops);
CREATE INDEX companies_name_trgm ON companies USING gin (LOWER(name) gin_trgm_ops);
