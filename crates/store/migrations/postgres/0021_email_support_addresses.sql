-- The support addresses a workspace receives mail at besides <app_id>@<inbound domain> (the
-- addresses its customers know, forwarded to Rapport). An address belongs to one workspace
-- only, so the listener knows where a message goes; stored lowercased.
CREATE TABLE email_support_addresses (
    workspace_id BIGINT  NOT NULL REFERENCES workspaces(id),
    address      TEXT    NOT NULL,
    created_at   BIGINT  NOT NULL,
    PRIMARY KEY (workspace_id, address)
);
CREATE UNIQUE INDEX email_support_addresses_by_address ON email_support_addresses (address);
