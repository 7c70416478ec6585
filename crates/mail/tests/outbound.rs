//! The outbound sender against a real SMTP server: Python's aiosmtpd (`tests/mail-out/sink.py`,
//! in a virtualenv made by `tests/mail-out/ensure-venv.sh`), on SQLite and PostgreSQL.
use rapport_core::ids::{AdminId, ConversationId, WorkspaceId};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use rapport_core::email::parse_reply_token;
use rapport_mail::outbound::{Config, Relay, Sender, TlsMode};
use rapport_store::conversations::{self, Change, NewConversation, SendOptions};
use rapport_store::email::outbound as queue;
use rapport_store::webhooks::now_ms;
use rapport_store::{testing, Db};

fn scripts() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/mail-out")
}

fn python() -> &'static str {
    static PYTHON: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    PYTHON.get_or_init(|| {
        let out = Command::new(scripts().join("ensure-venv.sh")).output().expect("run ensure-venv.sh");
        assert!(out.status.success(), "ensure-venv.sh failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap().lines().last().unwrap().trim().to_string()
    })
}

/// The aiosmtpd sink process; killed on drop.
struct Sink {
    child: Child,
    port: u16,
    out: PathBuf,
}

impl Sink {
    fn start(args: &[&str]) -> Sink {
        let out = std::env::temp_dir().join(format!("rapport-sink-{:016x}", rand::random::<u64>()));
        let mut child = Command::new(python())
            .arg(scripts().join("sink.py"))
            .arg("--out")
            .arg(&out)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the SMTP sink");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let port = line.trim().strip_prefix("READY ").expect("sink says READY").parse().unwrap();
        Sink { child, port, out }
    }

    /// The messages accepted so far, in order.
    fn messages(&self) -> Vec<String> {
        let mut found = Vec::new();
        for n in 1.. {
            match std::fs::read(self.out.join(format!("{n}.eml"))) {
                Ok(bytes) => found.push(String::from_utf8(bytes).unwrap()),
                Err(_) => return found,
            }
        }
        found
    }

    fn data_attempts(&self) -> usize {
        std::fs::read_to_string(self.out.join("attempts")).map(|s| s.lines().count()).unwrap_or(0)
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.out);
    }
}

fn sender(sink: &Sink, node: &str) -> Sender {
    let relay = Relay::parse(&format!("smtp://127.0.0.1:{}", sink.port), TlsMode::Off, None, None).unwrap();
    let mut config = Config::new(relay, "support@acme.test").unwrap();
    config.node = node.to_string();
    config.backoff_base = Duration::from_millis(1);
    config.backoff_cap = Duration::from_millis(5);
    config.max_attempts = 5;
    config.timeout = Duration::from_secs(10);
    Sender::new(config).unwrap()
}

/// Runs passes until nothing is due or the bound is reached; returns the row afterwards.
async fn drain(sender: &Sender, db: &Db, workspace_id: WorkspaceId, part_id: i64) -> queue::Outbound {
    for _ in 0..200 {
        sender.send_due(db).await.unwrap();
        let row = queue::find_by_part(db, workspace_id, part_id).await.unwrap();
        if row.delivery_state != "queued" {
            return row;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the reply was never settled");
}

struct Thread {
    workspace: rapport_store::workspaces::Workspace,
    owner_id: AdminId,
    conversation_id: ConversationId,
}

async fn email_thread(db: &Db, customer: &str) -> Thread {
    let (workspace, owner) = testing::workspace(db).await;
    let contact = testing::contact(db, workspace.id, "user", None, Some(customer)).await.unwrap();
    let new = NewConversation {
        contact_id: contact,
        body: "<p>Where is it?</p>",
        subject: None,
        created_at: None,
        options: Default::default(),
    };
    let id = conversations::create(db, workspace.id, new).await.unwrap().conversation.id;
    testing::make_email_conversation(db, workspace.id, id, "Order #42", "first@client.test").await;
    testing::inbound_email(db, workspace.id, id, "second@client.test", &["first@client.test"]).await;
    Thread { workspace, owner_id: owner.id, conversation_id: id }
}

async fn reply(db: &Db, t: &Thread, change: Change<'_>, automated: bool) -> i64 {
    let options = SendOptions { automated, ..Default::default() };
    conversations::send(db, t.workspace.id, t.conversation_id, change, options).await.unwrap().parts[0].id
}

/// A header's value (unfolded), from the message's header block.
fn header(raw: &str, name: &str) -> Option<String> {
    let head = raw.split("\r\n\r\n").next().unwrap().replace("\r\n ", " ").replace("\r\n\t", " ");
    head.lines().find_map(|line| {
        let (n, v) = line.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
    })
}

#[tokio::test]
async fn a_reply_reaches_the_relay_threaded_with_both_parts() {
    for db in testing::all().await {
        let sink = Sink::start(&[]);
        let sender = sender(&sink, "n1");
        let t = email_thread(&db, "bob@client.test").await;
        let body = "<p>Hi Bob &amp; team,</p><p>It ships <b>today</b>.</p><script>alert(1)</script>";
        let part = reply(&db, &t, Change::AdminComment { admin_id: t.owner_id, body }, false).await;
        let row = drain(&sender, &db, t.workspace.id, part).await;
        assert_eq!((row.delivery_state.as_str(), row.attempts, row.last_error.as_deref()), ("sent", 1, None));
        assert!(row.sent_at.is_some());

        let messages = sink.messages();
        assert_eq!(messages.len(), 1);
        let raw = &messages[0];
        assert_eq!(header(raw, "Message-ID").unwrap(), format!("<{}>", row.message_id));
        assert!(row.message_id.ends_with("@acme.test"));
        assert_eq!(header(raw, "In-Reply-To").as_deref(), Some("<second@client.test>"));
        assert_eq!(header(raw, "References").as_deref(), Some("<first@client.test> <second@client.test>"));
        assert_eq!(header(raw, "To").as_deref(), Some("bob@client.test"));
        assert_eq!(header(raw, "Subject").as_deref(), Some("Re: Order #42"));
        let from = header(raw, "From").unwrap();
        assert_eq!(from, format!("\"Olive Owner at {}\" <support@acme.test>", t.workspace.name));
        let reply_to = header(raw, "Reply-To").unwrap();
        let (local, domain) = reply_to.split_once('@').unwrap();
        assert_eq!(domain, "acme.test");
        let (app_id, token) = local.split_once('+').unwrap();
        assert_eq!(app_id, t.workspace.app_id);
        assert_eq!(parse_reply_token(&t.workspace.identity_secret, token), Some(t.conversation_id));
        assert_eq!(header(raw, "Auto-Submitted"), None, "a teammate's reply is not automatic");
        assert!(header(raw, "Content-Type").unwrap().starts_with("multipart/alternative"));
        assert!(raw.contains("Content-Type: text/plain; charset=utf-8"));
        assert!(raw.contains("Content-Type: text/html; charset=utf-8"));
        assert!(raw.contains("Hi Bob & team,"), "{raw}");
        assert!(raw.contains("Hi Bob &amp; team,"));
        assert!(!raw.contains("<script>") && !raw.contains("<b>"), "the HTML part carries no markup of the body");

        // The next reply answers the same customer message and references ours too; a rule's
        // close message is marked automatic.
        let close = Change::Close { admin_id: t.owner_id, body: Some("Closing this, reply to reopen.") };
        let next = reply(&db, &t, close, true).await;
        let next_row = drain(&sender, &db, t.workspace.id, next).await;
        assert_eq!(next_row.delivery_state, "sent");
        let raw = &sink.messages()[1];
        assert_eq!(header(raw, "In-Reply-To").as_deref(), Some("<second@client.test>"));
        let expected = format!("<first@client.test> <second@client.test> <{}>", row.message_id);
        assert_eq!(header(raw, "References").as_deref(), Some(expected.as_str()));
        assert_eq!(header(raw, "Auto-Submitted").as_deref(), Some("auto-replied"));
        assert_eq!(sink.data_attempts(), 2, "each reply sent once");
    }
}

#[tokio::test]
async fn a_deferring_relay_gets_the_reply_once_after_retries() {
    for db in testing::all().await {
        let sink = Sink::start(&["--defer", "2"]);
        let sender = sender(&sink, "n1");
        let t = email_thread(&db, "bob@client.test").await;
        let part = reply(&db, &t, Change::AdminComment { admin_id: t.owner_id, body: "Hello" }, false).await;

        // The first attempt is deferred: still queued, the error shown, a retry scheduled.
        sender.send_due(&db).await.unwrap();
        let row = queue::find_by_part(&db, t.workspace.id, part).await.unwrap();
        assert_eq!((row.delivery_state.as_str(), row.attempts), ("queued", 1));
        assert!(row.last_error.as_deref().unwrap().contains("451"), "{:?}", row.last_error);
        assert!(row.lease_owner.is_none(), "a retry may go out from any node");
        let first_id = row.message_id.clone();

        let row = drain(&sender, &db, t.workspace.id, part).await;
        assert_eq!((row.delivery_state.as_str(), row.attempts, row.last_error.as_deref()), ("sent", 3, None));
        assert_eq!(row.message_id, first_id, "every attempt sends the same Message-ID");
        assert_eq!(sink.data_attempts(), 3);
        assert_eq!(sink.messages().len(), 1, "delivered exactly once");
        let events = rapport_store::event_log::after(&db, t.workspace.id, 0, 100).await.unwrap();
        let changes = events.iter().filter(|e| e.kind == "conversation_part.email_delivery").count();
        assert_eq!(changes, 1, "retries change nothing the part shows but the error; the outcome is one event");
    }
}

#[tokio::test]
async fn a_refusing_relay_fails_the_reply_with_the_reason_and_a_silent_one_gives_up() {
    for db in testing::all().await {
        let sink = Sink::start(&["--reject", "gone@client.test"]);
        let sender = sender(&sink, "n1");
        let t = email_thread(&db, "gone@client.test").await;
        let part = reply(&db, &t, Change::AdminComment { admin_id: t.owner_id, body: "Hello" }, false).await;
        let row = drain(&sender, &db, t.workspace.id, part).await;
        assert_eq!((row.delivery_state.as_str(), row.attempts), ("failed", 1), "a 5xx is not retried");
        let reason = row.last_error.unwrap();
        assert!(reason.contains("550") && reason.contains("mailbox unavailable"), "{reason}");
        assert!(sink.messages().is_empty());
        let detail = conversations::find_detail(&db, t.workspace.id, t.conversation_id).await.unwrap();
        let shown = detail.parts.iter().find(|p| p.id == part).unwrap().email_delivery.clone().unwrap();
        assert_eq!((shown.state.as_str(), shown.error.as_deref()), ("failed", Some(reason.as_str())));

        // Nobody listening: connection errors are retried, then the reply fails after max_attempts.
        let port = sink.port;
        drop(sink);
        let relay = Relay::parse(&format!("smtp://127.0.0.1:{port}"), TlsMode::Off, None, None).unwrap();
        let mut config = Config::new(relay, "support@acme.test").unwrap();
        config.backoff_base = Duration::from_millis(1);
        config.backoff_cap = Duration::from_millis(2);
        config.max_attempts = 3;
        let silent = Sender::new(config).unwrap();
        let part = reply(&db, &t, Change::AdminComment { admin_id: t.owner_id, body: "Again" }, false).await;
        let row = drain(&silent, &db, t.workspace.id, part).await;
        assert_eq!((row.delivery_state.as_str(), row.attempts), ("failed", 3));
        assert!(row.last_error.unwrap().starts_with("gave up after 3 attempts"));
    }
}

#[tokio::test]
async fn a_reply_leased_by_another_node_waits_for_its_lease_and_survives_a_restart() {
    for db in testing::all().await {
        let sink = Sink::start(&[]);
        let t = email_thread(&db, "bob@client.test").await;
        let part = reply(&db, &t, Change::AdminComment { admin_id: t.owner_id, body: "Hello" }, false).await;
        let row = queue::find_by_part(&db, t.workspace.id, part).await.unwrap();
        // Another node holds it: nothing is sent.
        assert!(queue::lease(&db, t.workspace.id, row.id, "other", now_ms() + 600_000).await.unwrap());
        let sender = sender(&sink, "n1");
        assert_eq!(sender.send_due(&db).await.unwrap(), 0);
        assert!(sink.messages().is_empty());
        // That node died mid-send (its lease ran out): the reply goes out once, from here.
        queue::lease(&db, t.workspace.id, row.id, "other", now_ms() - 1).await.unwrap();
        let row = drain(&sender, &db, t.workspace.id, part).await;
        assert_eq!(row.delivery_state, "sent");
        assert_eq!(sink.messages().len(), 1);
        sender.send_due(&db).await.unwrap();
        assert_eq!(sink.messages().len(), 1, "a sent reply is never sent again");
    }
}

/// Benchmark (ignored by default; figures in docs/BENCHMARKS.md): replies sent per second to the
/// local aiosmtpd relay, 4 at a time.
/// `cargo test -p rapport-mail --test outbound -- --ignored --nocapture bench`
#[tokio::test]
#[ignore]
async fn bench_outbound_sends_per_second() {
    const REPLIES: usize = 300;
    for db in testing::all().await {
        let sink = Sink::start(&[]);
        let sender = sender(&sink, "bench");
        let t = email_thread(&db, "bob@client.test").await;
        for i in 0..REPLIES {
            let body = format!("Reply {i}");
            reply(&db, &t, Change::AdminComment { admin_id: t.owner_id, body: &body }, false).await;
        }
        let started = std::time::Instant::now();
        while sender.send_due(&db).await.unwrap() > 0 {}
        let elapsed = started.elapsed();
        assert_eq!(sink.messages().len(), REPLIES);
        println!(
            "{:?}: {REPLIES} replies sent in {:.2} s = {:.0} sends/s",
            db.backend(),
            elapsed.as_secs_f64(),
            REPLIES as f64 / elapsed.as_secs_f64()
        );
    }
}
