//! Messenger identity: the signed visitor token that keeps an anonymous visitor (a lead) or a
//! verified user attached to their contact, and Intercom's identity verification `user_hash`.
//!
//! Both are HMAC-SHA256 with the workspace's identity secret. The visitor token is keyed with a
//! value derived from that secret, so a token can never be replayed as a `user_hash`.
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Hex HMAC-SHA256 of `identity` (the user_id, or else the email) with the workspace's secret:
/// what a customer's back end computes and passes to the messenger as `user_hash`.
pub fn user_hash(secret: &str, identity: &str) -> String {
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(identity.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Whether `hash` is the valid `user_hash` of `identity` (constant-time; case-insensitive hex).
pub fn verify_user_hash(secret: &str, identity: &str, hash: &str) -> bool {
    let Ok(bytes) = hex::decode(hash.trim().to_ascii_lowercase()) else { return false };
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(identity.as_bytes());
    mac.verify_slice(&bytes).is_ok()
}

/// What a visitor token says: which workspace (by public app id) and contact it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitorClaims {
    pub app_id: String,
    pub contact_id: i64,
    /// Unix seconds when it was issued.
    pub issued_at: i64,
}

fn token_mac(secret: &str, payload: &str) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(format!("rapport-visitor-token:{secret}").as_bytes())
        .expect("HMAC takes any key length");
    mac.update(payload.as_bytes());
    mac
}

/// Signs a visitor token: `app_id.contact_id.issued_at.signature`.
pub fn sign_visitor_token(secret: &str, claims: &VisitorClaims) -> String {
    let payload = format!("{}.{}.{}", claims.app_id, claims.contact_id, claims.issued_at);
    let signature = hex::encode(token_mac(secret, &payload).finalize().into_bytes());
    format!("{payload}.{signature}")
}

/// Reads the app id of a token without trusting it, to find the workspace whose secret checks it.
pub fn visitor_token_app_id(token: &str) -> Option<&str> {
    let app_id = token.split('.').next()?;
    (!app_id.is_empty() && app_id.len() <= 64).then_some(app_id)
}

/// Checks a visitor token's signature with the workspace's secret and returns its claims.
pub fn verify_visitor_token(secret: &str, token: &str) -> Option<VisitorClaims> {
    let mut fields = token.split('.');
    let (app_id, contact, issued, signature) = (fields.next()?, fields.next()?, fields.next()?, fields.next()?);
    if fields.next().is_some() {
        return None;
    }
    let payload = format!("{app_id}.{contact}.{issued}");
    token_mac(secret, &payload).verify_slice(&hex::decode(signature).ok()?).ok()?;
    Some(VisitorClaims {
        app_id: app_id.to_string(),
        contact_id: contact.parse().ok()?,
        issued_at: issued.parse().ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_hash_matches_the_published_hmac_sha256() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        assert_eq!(
            user_hash("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert!(verify_user_hash(
            "Jefe",
            "what do ya want for nothing?",
            &user_hash("Jefe", "what do ya want for nothing?").to_uppercase()
        ));
        assert!(!verify_user_hash("Jefe", "someone else", &user_hash("Jefe", "what do ya want for nothing?")));
        assert!(!verify_user_hash("Jefe", "x", "not hex"));
        assert!(!verify_user_hash("Jefe", "x", ""));
    }

    #[test]
    fn visitor_tokens_round_trip_and_reject_tampering() {
        let claims = VisitorClaims { app_id: "abc123".into(), contact_id: 42, issued_at: 1_700_000_000 };
        let token = sign_visitor_token("s3cret", &claims);
        assert_eq!(visitor_token_app_id(&token), Some("abc123"));
        assert_eq!(verify_visitor_token("s3cret", &token), Some(claims));
        assert_eq!(verify_visitor_token("other secret", &token), None);
        let forged = token.replacen(".42.", ".43.", 1);
        assert_eq!(verify_visitor_token("s3cret", &forged), None);
        for bad in ["", "a.b.c", "abc123.42.1.zz", "abc123.42.1.00.extra", "...."] {
            assert_eq!(verify_visitor_token("s3cret", bad), None, "{bad:?}");
        }
        // A token is not a user_hash of anything obvious.
        assert_ne!(token.rsplit('.').next().unwrap(), user_hash("s3cret", "abc123.42.1700000000"));
    }
}
