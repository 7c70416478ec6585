//! Email as a conversation channel, without IO: `inbound` reads a received message (MIME,
//! threading headers, quoted-history trimming, auto-reply detection), `outbound` composes replies.

pub mod inbound;
pub mod outbound;
