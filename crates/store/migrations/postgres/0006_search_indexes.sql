-- Indexes for the search DSL: `teammate_ids` looks up the admins who wrote in a conversation,
-- and `email_domain` is a common contact filter.
CREATE INDEX conversation_parts_by_author ON conversation_parts (workspace_id, author_type, author_id);
CREATE INDEX contacts_by_email_domain ON contacts (workspace_id, email_domain);
