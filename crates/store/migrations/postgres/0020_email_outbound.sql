-- The outbound send job: a lease so one node sends each queued reply (multi-node), and whether
-- an automation wrote the reply (sent with `Auto-Submitted: auto-replied`).
ALTER TABLE email_messages ADD COLUMN lease_owner TEXT;
ALTER TABLE email_messages ADD COLUMN lease_until_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE email_messages ADD COLUMN automated BOOLEAN NOT NULL DEFAULT FALSE;
