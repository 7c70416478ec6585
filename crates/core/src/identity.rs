//! Messenger identity: the signed visitor token that keeps an anonymous visitor (a lead) or a
//! verified user attached to their contact, and Intercom's identity verification `user_hash`.
//!
//! Both are HMAC-SHA256 with the workspace's identity secret. The visitor token is keyed with a
//! value derived from that secret, so a token can never be replayed as a `user_hash`.
//!
//! A visitor token says whether it was issued for an identity verified by `user_hash` or
//! `user_jwt` (`verified_user`). Only such a token reaches a user contact: an identity claimed
//! without a signature never does, whatever the workspace's settings (docs/MESSENGER.md).
use crate::ids::ContactId;
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
    pub contact_id: ContactId,
    /// Unix seconds when it was issued.
    pub issued_at: i64,
    /// Issued for a user identity that a valid `user_hash` or `user_jwt` vouched for. A token
    /// without it (an anonymous lead's, or one of the older format) never reaches a user.
    pub verified_user: bool,
}

/// The mark of a token issued for a verified user, and of any other one.
const VERIFIED_USER: &str = "u";
const UNVERIFIED: &str = "a";

fn token_mac(secret: &str, payload: &str) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(format!("rapport-visitor-token:{secret}").as_bytes())
        .expect("HMAC takes any key length");
    mac.update(payload.as_bytes());
    mac
}

/// Signs a visitor token: `app_id.contact_id.issued_at.mark.signature`, the mark `u` for a
/// verified user and `a` otherwise.
pub fn sign_visitor_token(secret: &str, claims: &VisitorClaims) -> String {
    let mark = if claims.verified_user { VERIFIED_USER } else { UNVERIFIED };
    let payload = format!("{}.{}.{}.{mark}", claims.app_id, claims.contact_id, claims.issued_at);
    let signature = hex::encode(token_mac(secret, &payload).finalize().into_bytes());
    format!("{payload}.{signature}")
}

/// Reads the app id of a token without trusting it, to find the workspace whose secret checks it.
pub fn visitor_token_app_id(token: &str) -> Option<&str> {
    let app_id = token.split('.').next()?;
    (!app_id.is_empty() && app_id.len() <= 64).then_some(app_id)
}

/// Checks a visitor token's signature with the workspace's secret and returns its claims. A
/// token of the older format (`app_id.contact_id.issued_at.signature`, before tokens carried a
/// mark) still checks out, as not issued for a verified user.
pub fn verify_visitor_token(secret: &str, token: &str) -> Option<VisitorClaims> {
    let (payload, signature) = token.rsplit_once('.')?;
    let fields: Vec<&str> = payload.split('.').collect();
    let (app_id, contact, issued, verified_user) = match fields[..] {
        [app_id, contact, issued, VERIFIED_USER] => (app_id, contact, issued, true),
        [app_id, contact, issued, UNVERIFIED] | [app_id, contact, issued] => (app_id, contact, issued, false),
        _ => return None,
    };
    token_mac(secret, payload).verify_slice(&hex::decode(signature).ok()?).ok()?;
    Some(VisitorClaims {
        app_id: app_id.to_string(),
        contact_id: contact.parse().ok()?,
        issued_at: issued.parse().ok()?,
        verified_user,
    })
}

/// The identity a valid `user_jwt` vouches for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct JwtIdentity {
    pub user_id: Option<String>,
    pub email: Option<String>,
}

/// Checks an HS256 JWT signed with the workspace's identity secret and returns its `user_id`
/// and/or `email` claims. Refused: another algorithm, a bad signature, an `exp` at or before
/// `now` (unix seconds), a `nbf` after it, or neither claim.
pub fn verify_user_jwt(secret: &str, jwt: &str, now: i64) -> Option<JwtIdentity> {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    let mut fields = jwt.trim().split('.');
    let (header, claims, signature) = (fields.next()?, fields.next()?, fields.next()?);
    if fields.next().is_some() {
        return None;
    }
    let header: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).ok()?).ok()?;
    if header.get("alg").and_then(|a| a.as_str()) != Some("HS256") {
        return None;
    }
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(format!("{}.{}", jwt.trim().split('.').next()?, claims).as_bytes());
    mac.verify_slice(&URL_SAFE_NO_PAD.decode(signature).ok()?).ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims).ok()?).ok()?;
    let time = |name: &str| claims.get(name).map(|v| v.as_f64());
    match time("exp") {
        Some(Some(exp)) if exp > now as f64 => {}
        None => {}
        _ => return None,
    }
    match time("nbf") {
        Some(Some(nbf)) if nbf <= now as f64 => {}
        None => {}
        _ => return None,
    }
    let text = |name: &str| match claims.get(name) {
        Some(serde_json::Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let identity = JwtIdentity { user_id: text("user_id"), email: text("email") };
    (identity.user_id.is_some() || identity.email.is_some()).then_some(identity)
}

/// Signs an HS256 JWT over `claims` (what a customer's back end does; used by tests and docs).
pub fn sign_user_jwt(secret: &str, claims: &serde_json::Value) -> String {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let body = URL_SAFE_NO_PAD.encode(claims.to_string().as_bytes());
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(format!("{header}.{body}").as_bytes());
    format!("{header}.{body}.{}", URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
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
        for verified_user in [true, false] {
            let claims = VisitorClaims {
                app_id: "abc123".into(),
                contact_id: ContactId::new(42),
                issued_at: 1_700_000_000,
                verified_user,
            };
            let token = sign_visitor_token("s3cret", &claims);
            assert_eq!(visitor_token_app_id(&token), Some("abc123"));
            assert_eq!(verify_visitor_token("s3cret", &token), Some(claims));
            assert_eq!(verify_visitor_token("other secret", &token), None);
            let forged = token.replacen(".42.", ".43.", 1);
            assert_eq!(verify_visitor_token("s3cret", &forged), None);
        }
        // The mark is signed: an anonymous token cannot be promoted to a verified user's.
        let claims = VisitorClaims {
            app_id: "abc123".into(),
            contact_id: ContactId::new(42),
            issued_at: 1,
            verified_user: false,
        };
        let promoted = sign_visitor_token("s3cret", &claims).replacen(".1.a.", ".1.u.", 1);
        assert_eq!(verify_visitor_token("s3cret", &promoted), None);
        for bad in ["", "a.b.c", "abc123.42.1.zz", "abc123.42.1.00.extra", "....", "abc123.42.1.x.00"] {
            assert_eq!(verify_visitor_token("s3cret", bad), None, "{bad:?}");
        }
        // A token is not a user_hash of anything obvious.
        let token = sign_visitor_token("s3cret", &claims);
        assert_ne!(token.rsplit('.').next().unwrap(), user_hash("s3cret", "abc123.42.1.a"));
    }

    #[test]
    fn tokens_of_the_older_format_check_out_as_unverified() {
        let payload = "abc123.42.1700000000";
        let legacy = format!("{payload}.{}", hex::encode(token_mac("s3cret", payload).finalize().into_bytes()));
        let claims = verify_visitor_token("s3cret", &legacy).unwrap();
        assert_eq!((claims.contact_id, claims.verified_user), (ContactId::new(42), false));
    }

    #[test]
    fn user_jwts_are_checked() {
        use serde_json::json;
        let now = 1_700_000_000;
        let good = sign_user_jwt("s3cret", &json!({"user_id": "u-1", "email": "a@b.c", "exp": now + 60}));
        assert_eq!(
            verify_user_jwt("s3cret", &good, now),
            Some(JwtIdentity { user_id: Some("u-1".into()), email: Some("a@b.c".into()) })
        );
        assert_eq!(verify_user_jwt("other", &good, now), None);
        assert_eq!(verify_user_jwt("s3cret", &good, now + 60), None, "expired");
        let numeric = sign_user_jwt("s3cret", &json!({"user_id": 42}));
        assert_eq!(verify_user_jwt("s3cret", &numeric, now).unwrap().user_id.as_deref(), Some("42"));
        assert_eq!(verify_user_jwt("s3cret", &sign_user_jwt("s3cret", &json!({"name": "x"})), now), None);
        assert_eq!(
            verify_user_jwt("s3cret", &sign_user_jwt("s3cret", &json!({"user_id": "u", "exp": "soon"})), now),
            None
        );
        // alg "none" and tampered claims are refused.
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        use base64::Engine;
        let parts: Vec<&str> = good.split('.').collect();
        let none = format!("{}.{}.", URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#), parts[1]);
        assert_eq!(verify_user_jwt("s3cret", &none, now), None);
        let forged = format!("{}.{}.{}", parts[0], URL_SAFE_NO_PAD.encode(br#"{"user_id":"admin"}"#), parts[2]);
        assert_eq!(verify_user_jwt("s3cret", &forged, now), None);
        for bad in ["", "a.b", "a.b.c.d", "!!.!!.!!"] {
            assert_eq!(verify_user_jwt("s3cret", bad, now), None);
        }
    }
}
