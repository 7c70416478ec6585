//! Rapport's email channel over SMTP: `inbound` is the listener that turns mail into
//! conversations, `outbound` sends teammates' replies through the configured relay.
#![forbid(unsafe_code)]

pub mod inbound;
pub mod outbound;
