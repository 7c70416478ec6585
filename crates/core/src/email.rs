//! Email as a conversation channel, without IO: `inbound` reads a received message (MIME,
//! threading headers, quoted-history trimming, auto-reply detection), `outbound` composes replies.
//!
//! Both directions share the reply token: the part of a reply-to address
//! (`<app_id>+<token>@<inbound domain>`) that names the conversation a reply belongs to, so
//! threading survives mail clients that drop `In-Reply-To`/`References`. The token is signed
//! with the workspace's secret, so nobody can post into a conversation by guessing its id.

use crate::ids::ConversationId;
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub mod inbound;
pub mod outbound;

/// Hex digits of the signature kept in a token: 64 bits, plenty against guessing by mail.
const SIGNATURE_HEX_LEN: usize = 16;

fn signature(secret: &str, conversation_id: ConversationId) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(b"rapport reply token:");
    mac.update(conversation_id.to_string().as_bytes());
    let mut hex = hex::encode(mac.finalize().into_bytes());
    hex.truncate(SIGNATURE_HEX_LEN);
    hex
}

/// The reply token of a conversation: `c<id>-<signature>`.
pub fn reply_token(secret: &str, conversation_id: ConversationId) -> String {
    format!("c{conversation_id}-{}", signature(secret, conversation_id))
}

/// The conversation a reply token names, when its signature is right (case-insensitive, since
/// some mail systems change the case of the local part).
pub fn parse_reply_token(secret: &str, token: &str) -> Option<ConversationId> {
    let token = token.to_ascii_lowercase();
    let (id, sig) = token.strip_prefix('c')?.split_once('-')?;
    let conversation_id: ConversationId = id.parse().ok().filter(|id: &ConversationId| id.get() > 0)?;
    let expected = signature(secret, conversation_id);
    // Constant-time comparison: the signature is a secret-derived value.
    let same =
        sig.len() == expected.len() && sig.bytes().zip(expected.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0;
    same.then_some(conversation_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_tokens_round_trip_and_refuse_forgeries() {
        let token = reply_token("secret", ConversationId::new(42));
        assert!(token.starts_with("c42-"));
        assert_eq!(parse_reply_token("secret", &token), Some(ConversationId::new(42)));
        assert_eq!(parse_reply_token("secret", &token.to_uppercase()), Some(ConversationId::new(42)));
        assert_eq!(parse_reply_token("other secret", &token), None);
        let forged = token.replace("c42-", "c43-");
        assert_eq!(parse_reply_token("secret", &forged), None);
        for bad in ["", "c", "c42", "c-abc", "cx-0123456789abcdef", "c0-0123456789abcdef", "42-abc"] {
            assert_eq!(parse_reply_token("secret", bad), None, "{bad}");
        }
    }
}
