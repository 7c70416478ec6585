//! DKIM, SPF and DMARC checks for real: a message signed with a freshly generated Ed25519 key,
//! whose public key (and the domain's SPF and DMARC records) are published in the verifier's
//! resolver cache instead of DNS, passes; the same message with a header or its body changed does not.
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use base64::Engine;
use mail_auth::common::crypto::Ed25519Key;
use mail_auth::common::headers::HeaderWriter;
use mail_auth::dkim::DkimSigner;
use rapport_mail::inbound::auth::{Client, Verifier};

const MESSAGE: &str = "From: Ann <ann@signed.example>\r\nTo: support@in.test\r\nSubject: Signed\r\n\
Message-ID: <s1@signed.example>\r\n\r\nThis body is signed.\r\n";

fn signed(message: &str) -> (String, Vec<u8>) {
    let key = Ed25519Key::from_pkcs8_der(&Ed25519Key::generate_pkcs8().unwrap()).unwrap();
    let public = key.public_key();
    let signature = DkimSigner::from_key(key)
        .domain("signed.example")
        .selector("s1")
        .headers(["From", "To", "Subject", "Message-ID"])
        .sign(message.as_bytes())
        .unwrap();
    (format!("{}{message}", signature.to_header()), public)
}

fn verifier(public_key: &[u8]) -> Verifier {
    let verifier = Verifier::new("mx.in.test", Duration::from_secs(5));
    let day = Duration::from_secs(86_400);
    let record = format!("v=DKIM1; k=ed25519; p={}", base64::engine::general_purpose::STANDARD.encode(public_key));
    verifier.cache.publish_dkim_key("s1", "signed.example", &record, day).unwrap();
    verifier.cache.publish_spf("signed.example", "v=spf1 ip4:127.0.0.1 -all", day).unwrap();
    verifier.cache.publish_dmarc("signed.example", "v=DMARC1; p=reject", day).unwrap();
    verifier
}

fn client() -> Client {
    Client { ip: IpAddr::V4(Ipv4Addr::LOCALHOST), helo: "mail.signed.example".into() }
}

#[tokio::test]
async fn a_signed_message_passes_and_a_tampered_one_fails() {
    let (signed, public) = signed(MESSAGE);
    let verifier = verifier(&public);
    let results = verifier.check(signed.as_bytes(), "ann@signed.example", &client()).await;
    assert_eq!(results["dkim"], "pass", "{results}");
    assert_eq!(results["dkim_domains"][0], "signed.example", "{results}");
    assert_eq!(results["spf"], "pass", "{results}");
    assert_eq!(results["dmarc"], "pass", "{results}");

    // A changed signed header breaks the signature: fail.
    let forged = signed.replace("Subject: Signed", "Subject: Pay this invoice");
    let results = verifier.check(forged.as_bytes(), "ann@signed.example", &client()).await;
    assert_eq!(results["dkim"], "fail", "{results}");
    // A changed body no longer matches the signed body hash (mail-auth says neutral, RFC 6376
    // §6.3 leaves it to the verifier): never a pass.
    let tampered = signed.replace("This body is signed.", "This body was changed.");
    let results = verifier.check(tampered.as_bytes(), "ann@signed.example", &client()).await;
    assert_eq!(results["dkim"], "neutral", "{results}");

    // Another sending address fails SPF; with DKIM failing too, DMARC fails.
    let elsewhere = Client { ip: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)), helo: "x.example".into() };
    let results = verifier.check(tampered.as_bytes(), "ann@signed.example", &elsewhere).await;
    assert_eq!(results["spf"], "fail", "{results}");
    assert_eq!(results["dmarc"], "fail", "{results}");
}

#[tokio::test]
async fn an_unsigned_message_has_no_dkim_result() {
    let verifier = Verifier::new("mx.in.test", Duration::from_millis(500));
    let results = verifier.check(MESSAGE.as_bytes(), "ann@signed.example", &client()).await;
    assert_eq!(results["dkim"], "none", "{results}");
    // SPF and DMARC need DNS, which is unreachable here: whatever they say is recorded.
    for key in ["spf", "dmarc"] {
        assert!(results[key].is_string(), "{results}");
    }
}
