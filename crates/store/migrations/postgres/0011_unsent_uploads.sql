-- Uploads not (yet) sent with a message, oldest first: what the sweep of unsent uploads reads.
CREATE INDEX attachments_unsent ON attachments (created_at) WHERE part_id IS NULL;
