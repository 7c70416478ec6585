//! Emails of conversations (`email_messages`): `inbound` stores received mail and finds the
//! conversation a reply belongs to; `outbound` queues teammates' replies and records delivery.

pub mod inbound;
pub mod outbound;
