-- Contact search (`name ~ x`, `email ~ x`, `companies.name ~ x`; the agent app's `/` search)
-- through trigram indexes, the way 0009 indexed message text (docs/ARCHITECTURE.md "Search").
--
-- FTS5 trigram tables over contacts' name and email and companies' name (external content, kept
-- in step by the triggers below on insert, update of the indexed columns and delete, which covers
-- merge: the merged lead keeps its row, the live filter `merged_into_id IS NULL` hides it, and
-- the surviving user's name/email update goes through the update trigger). The search compiles a
-- value of 3+ characters to one quoted FTS5 phrase (never FTS syntax) and keeps the LIKE check on
-- the row, so the index only narrows the candidates and the results are those of the LIKE scan.
CREATE VIRTUAL TABLE contacts_fts USING fts5(
    name, email, content = 'contacts', content_rowid = 'id', tokenize = 'trigram'
);
CREATE TRIGGER contacts_fts_insert AFTER INSERT ON contacts
BEGIN
    INSERT INTO contacts_fts (rowid, name, email) VALUES (new.id, new.name, new.email);
END;
CREATE TRIGGER contacts_fts_delete AFTER DELETE ON contacts
BEGIN
    INSERT INTO contacts_fts (contacts_fts, rowid, name, email) VALUES ('delete', old.id, old.name, old.email);
END;
CREATE TRIGGER contacts_fts_update AFTER UPDATE OF name, email ON contacts
WHEN old.name IS NOT new.name OR old.email IS NOT new.email
BEGIN
    INSERT INTO contacts_fts (contacts_fts, rowid, name, email) VALUES ('delete', old.id, old.name, old.email);
    INSERT INTO contacts_fts (rowid, name, email) VALUES (new.id, new.name, new.email);
END;
INSERT INTO contacts_fts (contacts_fts) VALUES ('rebuild');

CREATE VIRTUAL TABLE companies_fts USING fts5(
    name, content = 'companies', content_rowid = 'id', tokenize = 'trigram'
);
CREATE TRIGGER companies_fts_insert AFTER INSERT ON companies
BEGIN
    INSERT INTO companies_fts (rowid, name) VALUES (new.id, new.name);
END;
CREATE TRIGGER companies_fts_delete AFTER DELETE ON companies
BEGIN
    INSERT INTO companies_fts (companies_fts, rowid, name) VALUES ('delete', old.id, old.name);
END;
CREATE TRIGGER companies_fts_update AFTER UPDATE OF name ON companies
WHEN old.name IS NOT new.name
BEGIN
    INSERT INTO companies_fts (companies_fts, rowid, name) VALUES ('delete', old.id, old.name);
    INSERT INTO companies_fts (rowid, name) VALUES (new.id, new.name);
END;
INSERT INTO companies_fts (companies_fts) VALUES ('rebuild');
