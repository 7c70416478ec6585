//! The SMTP listener over real sockets, on SQLite and PostgreSQL: a session with STARTTLS (a
//! certificate made by rcgen, trusted by a tokio-rustls client), an unknown recipient (550),
//! an oversize message (552), pipelined commands, and the stored conversation afterwards.
use std::sync::Arc;
use std::time::Duration;

use rapport_mail::inbound::{self, InboundConfig, Inbox, Listener};
use rapport_store::conversations::{self, Sort};
use rapport_store::{testing, Db};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio_rustls::rustls::{self, pki_types::ServerName, ClientConfig, RootCertStore};

/// A client that reads whole (multi-line) replies and returns their code and text.
struct Client<S> {
    io: BufReader<S>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Client<S> {
    async fn reply(&mut self) -> (u16, String) {
        let mut text = String::new();
        loop {
            let mut line = String::new();
            assert!(self.io.read_line(&mut line).await.unwrap() > 0, "connection closed");
            text.push_str(&line);
            if line.as_bytes().get(3) == Some(&b' ') {
                return (line[..3].parse().unwrap(), text);
            }
        }
    }

    async fn send(&mut self, data: &str) {
        self.io.get_mut().write_all(data.as_bytes()).await.unwrap();
    }

    async fn command(&mut self, line: &str) -> (u16, String) {
        self.send(&format!("{line}\r\n")).await;
        self.reply().await
    }
}

struct Server {
    address: std::net::SocketAddr,
    cert_der: rustls::pki_types::CertificateDer<'static>,
}

async fn start(db: &Db) -> Server {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let dir = std::env::temp_dir().join(format!("rapport-smtp-{}", std::process::id()));
    let mut config = InboundConfig::new(dir);
    config.inbound_domain = Some("in.test".into());
    config.max_message_bytes = 10_000;
    config.auth_timeout = Duration::from_millis(300);
    config.tls = Some(
        inbound::tls::from_pem(certified.cert.pem().as_bytes(), certified.key_pair.serialize_pem().as_bytes()).unwrap(),
    );
    let listener = Listener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(inbound::serve(listener, Arc::new(Inbox::new(db.clone(), config))));
    Server { address, cert_der: certified.cert.der().clone() }
}

fn message(subject: &str, body: &str) -> String {
    format!("From: Dee <dee@example.com>\r\nTo: x@in.test\r\nSubject: {subject}\r\nMessage-ID: <{subject}@example.com>\r\n\r\n{body}\r\n.\r\n")
}

#[tokio::test]
async fn a_session_with_starttls_stores_the_message() {
    for db in testing::all().await {
        let (ws, _) = testing::workspace(&db).await;
        let server = start(&db).await;
        let mut plain = Client { io: BufReader::new(TcpStream::connect(server.address).await.unwrap()) };
        assert_eq!(plain.reply().await.0, 220);
        let (code, ehlo) = plain.command("EHLO client.test").await;
        assert_eq!(code, 250);
        assert!(ehlo.contains("STARTTLS") && ehlo.contains("SIZE 10000") && ehlo.contains("PIPELINING"), "{ehlo}");
        assert_eq!(plain.command("MAIL FROM:<dee@example.com> SIZE=20000").await.0, 552);
        assert_eq!(plain.command("STARTTLS").await.0, 220);

        let mut roots = RootCertStore::empty();
        roots.add(server.cert_der.clone()).unwrap();
        let tls = ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let connector = tokio_rustls::TlsConnector::from(Arc::new(tls));
        let stream =
            connector.connect(ServerName::try_from("localhost").unwrap(), plain.io.into_inner()).await.unwrap();
        let mut secure = Client { io: BufReader::new(stream) };
        // The greeting is forgotten after STARTTLS.
        assert_eq!(secure.command("MAIL FROM:<dee@example.com>").await.0, 503);
        let (_, ehlo) = secure.command("EHLO client.test").await;
        assert!(!ehlo.contains("STARTTLS"), "{ehlo}");
        assert_eq!(secure.command("MAIL FROM:<dee@example.com>").await.0, 250);
        assert_eq!(secure.command("RCPT TO:<nobody@in.test>").await.0, 550);
        assert_eq!(secure.command(&format!("RCPT TO:<{}@in.test>", ws.app_id)).await.0, 250);
        assert_eq!(secure.command("DATA").await.0, 354);
        secure.send(&message("tls-hello", "..Dot-stuffed line\r\nSecond line")).await;
        assert_eq!(secure.reply().await.0, 250);

        // Oversize: read to the end, then refused.
        assert_eq!(secure.command("MAIL FROM:<dee@example.com>").await.0, 250);
        assert_eq!(secure.command(&format!("RCPT TO:<{}@in.test>", ws.app_id)).await.0, 250);
        assert_eq!(secure.command("DATA").await.0, 354);
        secure.send(&message("too-big", &"x".repeat(12_000))).await;
        assert_eq!(secure.reply().await.0, 552);
        assert_eq!(secure.command("QUIT").await.0, 221);

        let page = conversations::list(&db, ws.id, Sort::default(), 10, None).await.unwrap();
        assert_eq!(page.conversations.len(), 1);
        let conversation = &page.conversations[0];
        assert_eq!(conversation.source_subject, "tls-hello");
        assert_eq!(conversation.source_body, "<p>.Dot-stuffed line<br>Second line</p>");
    }
}

#[tokio::test]
async fn pipelined_commands_and_junk_are_answered_in_order() {
    for db in testing::all().await {
        let (ws, _) = testing::workspace(&db).await;
        let server = start(&db).await;
        let mut client = Client { io: BufReader::new(TcpStream::connect(server.address).await.unwrap()) };
        assert_eq!(client.reply().await.0, 220);
        client.command("EHLO client.test").await;
        let long = "x".repeat(5000);
        client
            .send(&format!(
                "{long}\r\nRCPT TO:<a@in.test>\r\nMAIL FROM:<dee@example.com>\r\nRCPT TO:<{}@in.test>\r\nDATA\r\n",
                ws.app_id
            ))
            .await;
        let mut codes = Vec::new();
        for _ in 0..5 {
            codes.push(client.reply().await.0);
        }
        assert_eq!(codes, [500, 503, 250, 250, 354]);
        client.send("From: e@example.com\r\nSubject: piped\r\n\r\nbody\r\n.\r\nQUIT\r\n").await;
        assert_eq!(client.reply().await.0, 250);
        assert_eq!(client.reply().await.0, 221);
        let page = conversations::list(&db, ws.id, Sort::default(), 10, None).await.unwrap();
        assert_eq!(page.conversations.len(), 1);
    }
}
