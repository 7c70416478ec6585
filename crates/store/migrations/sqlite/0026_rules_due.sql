-- A new conversation whose assignment rules have not run yet: set in the transaction that stores
-- it, cleared once the rules ran. A conversation left with it (the node stopped, or the database
-- refused the rules' writes under load) is run again by the server's sweep, so no conversation
-- stays unrouted because the first attempt failed.
ALTER TABLE conversations ADD COLUMN rules_due_at INTEGER;
CREATE INDEX conversations_rules_due ON conversations (rules_due_at) WHERE rules_due_at IS NOT NULL;
