//! The inbound SMTP listener: accepts mail for a workspace and stores it before answering 250.
