//! NUL characters in mail, on SQLite and PostgreSQL: a mail server does not refuse a message
//! for them, so they are dropped from the text stored (body, subject, sender name) while the
//! raw message keeps them; in an SMTP command (an address) they are a syntax error (501).
use std::sync::Arc;

use rapport_mail::inbound::{self, InboundConfig, Inbox, Listener};
use rapport_store::contacts;
use rapport_store::conversations::{self, Sort};
use rapport_store::testing;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

struct Client {
    io: BufReader<TcpStream>,
}

impl Client {
    async fn reply(&mut self) -> u16 {
        loop {
            let mut line = String::new();
            assert!(self.io.read_line(&mut line).await.unwrap() > 0, "connection closed");
            if line.as_bytes().get(3) == Some(&b' ') {
                return line[..3].parse().unwrap();
            }
        }
    }

    async fn send(&mut self, data: &[u8]) {
        self.io.get_mut().write_all(data).await.unwrap();
    }

    async fn command(&mut self, line: &[u8]) -> u16 {
        self.send(&[line, b"\r\n"].concat()).await;
        self.reply().await
    }
}

#[tokio::test]
async fn nul_in_mail_is_dropped_from_stored_text_and_refused_in_commands() {
    for db in testing::all().await {
        let (ws, _) = testing::workspace(&db).await;
        let dir = std::env::temp_dir().join(format!("rapport-smtp-nul-{}", std::process::id()));
        let mut config = InboundConfig::new(dir);
        config.inbound_domain = Some("in.test".into());
        config.auth_timeout = std::time::Duration::from_millis(300);
        let listener = Listener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(inbound::serve(listener, Arc::new(Inbox::new(db.clone(), config))));

        let mut smtp = Client { io: BufReader::new(TcpStream::connect(address).await.unwrap()) };
        assert_eq!(smtp.reply().await, 220);
        assert_eq!(smtp.command(b"EHLO client.test").await, 250);
        assert_eq!(smtp.command(b"MAIL FROM:<dee\0@example.com>").await, 501);
        assert_eq!(smtp.command(b"MAIL FROM:<dee@example.com>").await, 250);
        assert_eq!(smtp.command(format!("RCPT TO:<{}\0@in.test>", ws.app_id).as_bytes()).await, 501);
        assert_eq!(smtp.command(format!("RCPT TO:<{}@in.test>", ws.app_id).as_bytes()).await, 250);
        assert_eq!(smtp.command(b"DATA").await, 354);
        smtp.send(
            b"From: De\0e <dee@example.com>\r\nTo: x@in.test\r\nSubject: Hel\0lo\r\nMessage-ID: <nul-1@example.com>\r\n\
              MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\
              Content-Transfer-Encoding: quoted-printable\r\n\r\nraw \0 byte and q=00p\r\n.\r\n",
        )
        .await;
        assert_eq!(smtp.reply().await, 250, "the message is accepted");
        assert_eq!(smtp.command(b"QUIT").await, 221);

        let page = conversations::list(&db, ws.id, Sort::default(), 10, None).await.unwrap();
        assert_eq!(page.conversations.len(), 1);
        let conversation = &page.conversations[0];
        assert_eq!(conversation.source_subject, "Hello");
        assert!(!conversation.source_body.contains('\0'), "{:?}", conversation.source_body);
        assert!(conversation.source_body.contains("raw  byte and qp"), "{:?}", conversation.source_body);
        let contact =
            contacts::find_by_email(&db, ws.id, &rapport_core::contact::Email::parse("dee@example.com").unwrap())
                .await
                .unwrap()
                .expect("the sender became a contact");
        assert!(contact.name.as_deref().is_none_or(|n| !n.contains('\0')), "{:?}", contact.name);
    }
}
