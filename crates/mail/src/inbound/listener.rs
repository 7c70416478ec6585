//! SMTP over TCP: one task per connection, each command line and data line read with a length
//! cap and a deadline, replies written as commands arrive (so pipelining clients work), and
//! STARTTLS upgrading the same connection. Input buffered before the TLS handshake is refused,
//! since a man in the middle could have injected it.

use std::net::SocketAddr;
use std::sync::Arc;

use rapport_store::email::inbound::Recipient;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::time::{timeout_at, Instant};

use super::auth::Client;
use super::command::Command;
use super::session::{Limits, Next, Reply, Session};
use super::Inbox;

/// Connections served at once; more are told to come back later (421).
const MAX_CONNECTIONS: usize = 512;

/// A bound listener, so callers learn the port before serving (`127.0.0.1:0` in tests).
pub struct Listener {
    tcp: TcpListener,
}

impl Listener {
    pub async fn bind(address: &str) -> std::io::Result<Listener> {
        Ok(Listener { tcp: TcpListener::bind(address).await? })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.tcp.local_addr()
    }
}

/// Accepts connections until the task is dropped.
pub async fn serve(listener: Listener, inbox: Arc<Inbox>) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let (tcp, peer) = match listener.tcp.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                tracing::warn!(error = %e, "accepting an SMTP connection failed");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        let inbox = inbox.clone();
        match slots.clone().try_acquire_owned() {
            Ok(slot) => {
                tokio::spawn(async move {
                    connection(tcp, peer, &inbox).await;
                    drop(slot);
                });
            }
            Err(_) => {
                tokio::spawn(async move {
                    let mut tcp = tcp;
                    let _ = tcp
                        .write_all(Reply::new(421, "4.3.2 Too many connections, try later").to_wire().as_bytes())
                        .await;
                });
            }
        }
    }
}

/// How a conversation over one stream ended.
enum Ended {
    Closed,
    StartTls,
}

/// One line as read.
enum Line {
    Complete(Vec<u8>),
    TooLong,
    Eof,
}

/// Reads up to and including `\n`, keeping at most `max` bytes (the rest of a longer line is
/// read and dropped, so the stream stays in step).
async fn read_line<R: AsyncBufRead + Unpin>(reader: &mut R, max: usize) -> std::io::Result<Line> {
    let mut line = Vec::new();
    let mut too_long = false;
    loop {
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            return Ok(Line::Eof);
        }
        let (len, done) = match available.iter().position(|b| *b == b'\n') {
            Some(i) => (i + 1, true),
            None => (available.len(), false),
        };
        if !too_long {
            if line.len() + len > max {
                too_long = true;
                line = Vec::new();
            } else {
                line.extend_from_slice(&available[..len]);
            }
        }
        reader.consume(len);
        if done {
            return Ok(if too_long { Line::TooLong } else { Line::Complete(line) });
        }
    }
}

struct Connection<'a> {
    inbox: &'a Inbox,
    peer: SocketAddr,
    deadline: Instant,
    helo: String,
    errors: u32,
}

impl Connection<'_> {
    /// The deadline of the next read: the command timeout, within the session's.
    fn next_deadline(&self) -> Instant {
        (Instant::now() + self.inbox.config.command_timeout).min(self.deadline)
    }
}

async fn send<S: AsyncWrite + Unpin>(stream: &mut S, reply: &Reply) -> std::io::Result<()> {
    stream.write_all(reply.to_wire().as_bytes()).await?;
    stream.flush().await
}

async fn connection(tcp: TcpStream, peer: SocketAddr, inbox: &Inbox) {
    let config = &inbox.config;
    let limits = Limits {
        hostname: config.hostname(),
        max_message_bytes: config.max_message_bytes,
        max_recipients: config.max_recipients,
        tls_available: config.tls.is_some(),
    };
    let mut session: Session<Recipient> = Session::new(limits);
    let mut conn =
        Connection { inbox, peer, deadline: Instant::now() + config.session_timeout, helo: String::new(), errors: 0 };
    let mut plain = BufReader::new(tcp);
    if send(plain.get_mut(), &session.greeting()).await.is_err() {
        return;
    }
    match converse(&mut plain, &mut session, &mut conn).await {
        Ok(Ended::StartTls) => {}
        Ok(Ended::Closed) => return,
        Err(e) => {
            tracing::debug!(error = %e, %peer, "SMTP connection ended");
            return;
        }
    }
    let Some(tls) = config.tls.clone() else { return };
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    let stream = match timeout_at(conn.next_deadline(), acceptor.accept(plain.into_inner())).await {
        Ok(Ok(stream)) => stream,
        Ok(Err(e)) => {
            tracing::debug!(error = %e, %peer, "TLS handshake failed");
            return;
        }
        Err(_) => return,
    };
    session.tls_started();
    conn.helo.clear();
    let mut secure = BufReader::new(stream);
    if let Err(e) = converse(&mut secure, &mut session, &mut conn).await {
        tracing::debug!(error = %e, %peer, "SMTP connection ended");
    }
    let _ = secure.get_mut().shutdown().await;
}

/// Reads commands and answers them until the client quits, the connection fails or times out,
/// or STARTTLS is agreed.
async fn converse<S: AsyncRead + AsyncWrite + Unpin>(
    io: &mut BufReader<S>,
    session: &mut Session<Recipient>,
    conn: &mut Connection<'_>,
) -> std::io::Result<Ended> {
    let config = &conn.inbox.config;
    loop {
        let line = match timeout_at(conn.next_deadline(), read_line(io, config.max_line_bytes)).await {
            Ok(line) => line?,
            Err(_) => {
                send(io.get_mut(), &Reply::new(421, "4.4.2 Timeout, closing connection")).await?;
                return Ok(Ended::Closed);
            }
        };
        let line = match line {
            Line::Eof => return Ok(Ended::Closed),
            Line::TooLong => {
                conn.errors += 1;
                send(io.get_mut(), &Reply::new(500, "5.5.6 Line too long")).await?;
                if conn.errors >= config.max_errors {
                    send(io.get_mut(), &Reply::new(421, "4.7.0 Too many errors, closing connection")).await?;
                    return Ok(Ended::Closed);
                }
                continue;
            }
            Line::Complete(line) => line,
        };
        let text = String::from_utf8_lossy(&line);
        let command = match Command::parse(text.trim_end_matches(['\r', '\n'])) {
            Ok(command) => command,
            Err(refusal) => {
                conn.errors += 1;
                send(io.get_mut(), &Reply::new(refusal.code, refusal.text)).await?;
                if conn.errors >= config.max_errors {
                    send(io.get_mut(), &Reply::new(421, "4.7.0 Too many errors, closing connection")).await?;
                    return Ok(Ended::Closed);
                }
                continue;
            }
        };
        if let Command::Ehlo(domain) | Command::Helo(domain) = &command {
            conn.helo = domain.clone();
        }
        match session.handle(command) {
            Next::Reply(reply) => send(io.get_mut(), &reply).await?,
            Next::Close(reply) => {
                send(io.get_mut(), &reply).await?;
                return Ok(Ended::Closed);
            }
            Next::CheckRecipient(to) => {
                let reply = match conn.inbox.recipient(&to).await {
                    Ok(found) => session.recipient_checked(to, found),
                    Err(e) => {
                        tracing::warn!(error = %e, "looking up a recipient failed");
                        Reply::new(451, "4.3.0 Temporary failure, try again later")
                    }
                };
                send(io.get_mut(), &reply).await?;
            }
            Next::StartTls => {
                if !io.buffer().is_empty() {
                    send(io.get_mut(), &Reply::new(503, "5.5.1 Commands sent after STARTTLS before the handshake"))
                        .await?;
                    return Ok(Ended::Closed);
                }
                send(io.get_mut(), &Reply::new(220, "2.0.0 Ready to start TLS")).await?;
                return Ok(Ended::StartTls);
            }
            Next::ReadData => {
                send(io.get_mut(), &Reply::new(354, "Start mail input; end with <CRLF>.<CRLF>")).await?;
                let data = match read_data(io, conn).await? {
                    Some(data) => data,
                    None => return Ok(Ended::Closed),
                };
                let envelope = session.take_envelope();
                let reply = match data {
                    Data::Oversize => Reply::new(552, "5.3.4 Message size exceeds the fixed limit"),
                    Data::Message(raw) => {
                        let client = Client { ip: conn.peer.ip(), helo: conn.helo.clone() };
                        conn.inbox.deliver(&envelope, &raw, &client).await
                    }
                };
                send(io.get_mut(), &reply).await?;
            }
        }
    }
}

enum Data {
    Message(Vec<u8>),
    Oversize,
}

/// Reads the message up to the lone `.` line, undoing dot-stuffing; past the size limit the
/// rest is read and dropped so the answer (552) comes at the right point. `None` when the
/// client went away or timed out (421 sent).
async fn read_data<S: AsyncRead + AsyncWrite + Unpin>(
    io: &mut BufReader<S>,
    conn: &Connection<'_>,
) -> std::io::Result<Option<Data>> {
    let max = conn.inbox.config.max_message_bytes as usize;
    let mut message = Vec::new();
    let mut oversize = false;
    loop {
        let line = match timeout_at(conn.next_deadline(), read_line(io, max + 3)).await {
            Ok(line) => line?,
            Err(_) => {
                send(io.get_mut(), &Reply::new(421, "4.4.2 Timeout, closing connection")).await?;
                return Ok(None);
            }
        };
        let line = match line {
            Line::Eof => return Ok(None),
            Line::TooLong => {
                oversize = true;
                continue;
            }
            Line::Complete(line) => line,
        };
        if line == b".\r\n" || line == b".\n" {
            break;
        }
        let content = if line.starts_with(b".") { &line[1..] } else { &line[..] };
        if !oversize {
            if message.len() + content.len() > max {
                oversize = true;
                message = Vec::new();
            } else {
                message.extend_from_slice(content);
            }
        }
    }
    Ok(Some(if oversize { Data::Oversize } else { Data::Message(message) }))
}
