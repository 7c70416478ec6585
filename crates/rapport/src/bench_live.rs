//! `rapport bench live <latency|sockets|durable>`: the real-time path measured end to end. Each
//! run prepares a fresh workspace (owner, token, visitors) in the given database, starts `rapport
//! serve` on it as a child process and drives its WebSockets. Commands: docs/BENCHMARKS.md.
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use rand::distributions::{Alphanumeric, DistString};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

pub(crate) type Socket = WebSocketStream<TcpStream>;

/// The `rapport bench live` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum LiveBench {
    /// Visitor send -> agent socket receive latency at a fixed message rate.
    Latency {
        #[command(flatten)]
        server: LiveServer,
        /// Messages per second, spread over the visitors.
        #[arg(long, default_value_t = 1000)]
        rate: u64,
        #[arg(long, default_value_t = 20)]
        seconds: u64,
        #[arg(long, default_value_t = 50)]
        visitors: usize,
    },
    /// Idle visitor sockets on one node: the server's resident memory per connection.
    Sockets {
        #[command(flatten)]
        server: LiveServer,
        #[arg(long, default_value_t = 20_000)]
        connections: usize,
        /// Client source addresses 127.0.0.1..=127.0.0.N (each has ~28,000 ephemeral ports).
        #[arg(long, default_value_t = 4)]
        source_addresses: u8,
    },
    /// Acknowledged (durable) messages per second: each visitor sends, waits for its ack, repeats.
    Durable {
        #[command(flatten)]
        server: LiveServer,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        #[arg(long, default_value_t = 64)]
        visitors: usize,
    },
}

/// The server each live bench starts.
#[derive(Debug, clap::Args)]
pub struct LiveServer {
    /// The rapport binary to start (default: this executable).
    #[arg(long)]
    pub binary: Option<PathBuf>,
    #[arg(long, env = "RAPPORT_DATABASE_URL")]
    pub database_url: String,
}

/// A workspace ready for the bench: the owner's API token and visitor tokens.
struct Setup {
    token: String,
    visitor_tokens: Vec<String>,
}

async fn prepare(database_url: &str, visitors: usize) -> anyhow::Result<Setup> {
    use rapport_store::{admins, contacts, tokens, workspaces};
    let db = rapport_store::Db::connect(database_url).await?;
    db.migrate().await?;
    let suffix = Alphanumeric.sample_string(&mut rand::thread_rng(), 8).to_lowercase();
    let ws = workspaces::create(&db, &format!("Live bench {suffix}"), "UTC").await?;
    let email = format!("bench-{suffix}@example.com");
    let new = admins::NewAdmin {
        email: &email,
        name: "Bench",
        password: Some("bench password"),
        role: rapport_core::admin::AdminRole::Owner,
        job_title: None,
    };
    let owner = admins::create(&db, ws.id, new).await?;
    let (_, token) = tokens::create(&db, ws.id, owner.id, "bench").await?;
    let mut visitor_tokens = Vec::with_capacity(visitors);
    for _ in 0..visitors {
        let fields = contacts::ContactFields {
            role: Some("lead".parse().map_err(|e: rapport_core::contact::UnknownContactRole| anyhow::anyhow!("{e}"))?),
            ..Default::default()
        };
        let contact = contacts::create(&db, ws.id, fields).await?;
        let claims = rapport_core::identity::VisitorClaims {
            app_id: ws.app_id.clone(),
            contact_id: contact.id,
            issued_at: 0,
            verified_user: false,
        };
        visitor_tokens.push(rapport_core::identity::sign_visitor_token(&ws.identity_secret, &claims));
    }
    db.close().await;
    Ok(Setup { token, visitor_tokens })
}

/// A running `rapport serve` child (killed on drop).
struct Server {
    child: tokio::process::Child,
    pid: u32,
    address: SocketAddr,
}

async fn start(server: &LiveServer) -> anyhow::Result<Server> {
    let binary = match &server.binary {
        Some(b) => b.clone(),
        None => std::env::current_exe().context("cannot find the rapport executable")?,
    };
    let port = crate::bench::free_port()?;
    let mut child = tokio::process::Command::new(&binary)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--database-url", &server.database_url])
        // The load comes from a handful of local addresses: the messenger's per-IP limit is lifted.
        .args(["--messenger-calls-per-minute-per-ip", "100000000", "--messenger-calls-per-minute-per-app", "100000000"])
        .env("RAPPORT_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {} serve", binary.display()))?;
    let pid = child.id().context("the server exited at once")?;
    let health = format!("http://127.0.0.1:{port}/healthz");
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !matches!(http.get(&health).send().await, Ok(r) if r.status().is_success()) {
        if let Some(status) = child.try_wait()? {
            bail!("rapport serve exited with {status} before it was healthy");
        }
        if Instant::now() > deadline {
            bail!("rapport serve was not healthy after 30 s");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(Server { child, pid, address: SocketAddr::from(([127, 0, 0, 1], port)) })
}

/// Opens a WebSocket from `source` (any local address when `None`) and reads its hello.
pub(crate) async fn open(server: SocketAddr, path: &str, source: Option<IpAddr>) -> anyhow::Result<Socket> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    if let Some(ip) = source {
        socket.bind(SocketAddr::new(ip, 0))?;
    }
    let stream = socket.connect(server).await?;
    let (mut ws, _) = tokio_tungstenite::client_async(format!("ws://{server}{path}"), stream).await?;
    let hello = next_frame(&mut ws).await?;
    if hello["type"] != "hello" {
        bail!("expected hello, got {hello}");
    }
    Ok(ws)
}

pub(crate) async fn next_frame<S: StreamExt<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin>(
    stream: &mut S,
) -> anyhow::Result<Value> {
    loop {
        match stream.next().await {
            Some(Ok(Message::Text(text))) => return Ok(serde_json::from_str(&text)?),
            Some(Ok(_)) => continue,
            Some(Err(e)) => return Err(e.into()),
            None => bail!("the socket closed"),
        }
    }
}

pub(crate) fn text(frame: Value) -> Message {
    Message::Text(frame.to_string().into())
}

/// Sends one message and waits for its ack: the conversation id.
pub(crate) async fn send_and_ack(
    ws: &mut Socket,
    conversation_id: Option<i64>,
    client_id: &str,
) -> anyhow::Result<i64> {
    let mut frame = json!({"type": "send", "body": "bench message", "client_id": client_id});
    if let Some(id) = conversation_id {
        frame["conversation_id"] = json!(id);
    }
    ws.send(text(frame)).await?;
    loop {
        let frame = next_frame(ws).await?;
        match frame["type"].as_str() {
            Some("ack") if frame["client_id"] == client_id => {
                return frame["conversation_id"].as_i64().context("ack without conversation_id")
            }
            Some("error") => bail!("error frame: {frame}"),
            _ => {}
        }
    }
}

/// Opens a socket per visitor, each with its own conversation started.
async fn visitors(server: SocketAddr, setup: &Setup) -> anyhow::Result<Vec<(Socket, i64)>> {
    let mut list = Vec::new();
    for (i, token) in setup.visitor_tokens.iter().enumerate() {
        let mut ws = open(server, &format!("/messenger/ws?token={token}"), None).await?;
        let conversation_id = send_and_ack(&mut ws, None, &format!("open-{i}")).await?;
        list.push((ws, conversation_id));
    }
    Ok(list)
}

/// Microseconds from 1 µs to 10 minutes, 3 significant digits.
fn histogram() -> anyhow::Result<Histogram<u64>> {
    Ok(Histogram::new_with_bounds(1, 600_000_000, 3)?)
}

fn ms(histogram: &Histogram<u64>, quantile: f64) -> f64 {
    histogram.value_at_quantile(quantile) as f64 / 1000.0
}

/// Runs one live bench and prints its report.
pub async fn run(bench: LiveBench) -> anyhow::Result<()> {
    match bench {
        LiveBench::Latency { server, rate, seconds, visitors } => latency(&server, rate, seconds, visitors).await,
        LiveBench::Sockets { server, connections, source_addresses } => {
            sockets(&server, connections, source_addresses).await
        }
        LiveBench::Durable { server, seconds, visitors } => durable(&server, seconds, visitors).await,
    }
}

async fn latency(server: &LiveServer, rate: u64, seconds: u64, count: usize) -> anyhow::Result<()> {
    let setup = prepare(&server.database_url, count.max(1)).await?;
    let node = start(server).await?;
    let agent = open(node.address, &format!("/ws?token={}", setup.token), None).await?;
    let mut sinks: Vec<(SplitSink<Socket, Message>, i64)> = Vec::new();
    for (ws, conversation_id) in visitors(node.address, &setup).await? {
        let (sink, mut stream): (_, SplitStream<Socket>) = ws.split();
        // Acks and echoes must be read, or the server's send buffers fill up.
        tokio::spawn(async move { while let Some(Ok(_)) = stream.next().await {} });
        sinks.push((sink, conversation_id));
    }
    let sent: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let histogram = Arc::new(Mutex::new(histogram()?));
    let total = rate * seconds;
    let receiver = {
        let (sent, histogram) = (sent.clone(), histogram.clone());
        let (_, mut stream) = agent.split();
        tokio::spawn(async move {
            let mut received = 0u64;
            while received < total {
                let Ok(frame) = next_frame(&mut stream).await else { break };
                let Some(client_id) = frame["data"]["part"]["client_id"].as_str() else { continue };
                let started = sent.lock().unwrap_or_else(|e| e.into_inner()).remove(client_id);
                if let Some(started) = started {
                    let micros = started.elapsed().as_micros() as u64;
                    histogram.lock().unwrap_or_else(|e| e.into_inner()).saturating_record(micros.max(1));
                    received += 1;
                }
            }
            received
        })
    };
    let interval = Duration::from_secs_f64(1.0 / rate.max(1) as f64);
    let began = Instant::now();
    for n in 0..total {
        // Latency counts from when the message was due, so a pacer that falls behind shows.
        let due = began + interval.mul_f64(n as f64);
        tokio::time::sleep_until(due.into()).await;
        let client_id = format!("m-{n}");
        sent.lock().unwrap_or_else(|e| e.into_inner()).insert(client_id.clone(), due);
        let (sink, conversation_id) = &mut sinks[n as usize % count.max(1)];
        let frame = json!({"type": "send", "conversation_id": conversation_id, "body": "bench message", "client_id": client_id});
        sink.send(text(frame)).await?;
    }
    let pacing = began.elapsed().as_secs_f64();
    let received = tokio::time::timeout(Duration::from_secs(30), receiver).await.unwrap_or(Ok(0)).unwrap_or(0);
    let h = histogram.lock().unwrap_or_else(|e| e.into_inner()).clone();
    println!("bench live latency: visitor send -> agent socket event, {count} visitors, {} database", backend(server));
    println!(
        "sent {total} at {:.0}/s (target {rate}/s) over {pacing:.1} s; received {received}",
        total as f64 / pacing
    );
    println!(
        "latency ms: p50 {:.2}  p90 {:.2}  p99 {:.2}  p99.9 {:.2}  max {:.2}",
        ms(&h, 0.5),
        ms(&h, 0.9),
        ms(&h, 0.99),
        ms(&h, 0.999),
        h.max() as f64 / 1000.0
    );
    drop(node);
    Ok(())
}

async fn durable(server: &LiveServer, seconds: u64, count: usize) -> anyhow::Result<()> {
    let setup = prepare(&server.database_url, count.max(1)).await?;
    let node = start(server).await?;
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let began = Instant::now();
    let mut tasks = Vec::new();
    for (i, (mut ws, conversation_id)) in visitors(node.address, &setup).await?.into_iter().enumerate() {
        tasks.push(tokio::spawn(async move {
            let mut histogram = histogram().expect("histogram");
            let mut n = 0u64;
            while Instant::now() < deadline {
                let started = Instant::now();
                send_and_ack(&mut ws, Some(conversation_id), &format!("d-{i}-{n}")).await?;
                histogram.saturating_record(started.elapsed().as_micros() as u64);
                n += 1;
            }
            Ok::<_, anyhow::Error>(histogram)
        }));
    }
    let mut all = histogram()?;
    for task in tasks {
        all.add(task.await??)?;
    }
    let elapsed = began.elapsed().as_secs_f64();
    println!("bench live durable: {count} visitors, send -> ack, {} database", backend(server));
    println!(
        "{} acknowledged messages in {elapsed:.1} s = {:.0} msg/s; ack ms p50 {:.2} p99 {:.2} max {:.2}",
        all.len(),
        all.len() as f64 / elapsed,
        ms(&all, 0.5),
        ms(&all, 0.99),
        all.max() as f64 / 1000.0
    );
    drop(node);
    Ok(())
}

async fn sockets(server: &LiveServer, connections: usize, source_addresses: u8) -> anyhow::Result<()> {
    let setup = prepare(&server.database_url, 1000.min(connections.max(1))).await?;
    let mut node = start(server).await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (before, _) = crate::bench::read_memory(node.pid)?;
    let began = Instant::now();
    let paths: Vec<String> = setup.visitor_tokens.iter().map(|token| format!("/messenger/ws?token={token}")).collect();
    let address = node.address;
    let opened: Vec<anyhow::Result<Socket>> = futures_util::stream::iter(0..connections)
        .map(|i| {
            let source = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1 + (i % source_addresses.max(1) as usize) as u8));
            let path = paths[i % paths.len()].clone();
            async move { open(address, &path, Some(source)).await }
        })
        .buffer_unordered(200)
        .collect()
        .await;
    let open_seconds = began.elapsed().as_secs_f64();
    let failures: Vec<String> = opened.iter().filter_map(|r| r.as_ref().err().map(|e| e.to_string())).collect();
    let sockets: Vec<Socket> = opened.into_iter().filter_map(Result::ok).collect();
    tokio::time::sleep(Duration::from_secs(5)).await;
    if let Some(status) = node.child.try_wait()? {
        bail!("the server exited with {status}");
    }
    let (after, peak) = crate::bench::read_memory(node.pid)?;
    let per_connection = (after.saturating_sub(before) * 1024) as f64 / sockets.len().max(1) as f64;
    println!("bench live sockets: idle visitor WebSockets on one node, {} database", backend(server));
    println!("opened {} of {connections} in {open_seconds:.1} s ({} failed)", sockets.len(), failures.len());
    if let Some(first) = failures.first() {
        println!("    first failure: {first}");
    }
    println!(
        "server VmRSS {:.1} MiB before, {:.1} MiB after (peak {:.1} MiB): {:.0} bytes per connection",
        before as f64 / 1024.0,
        after as f64 / 1024.0,
        peak as f64 / 1024.0,
        per_connection
    );
    drop(sockets);
    drop(node);
    Ok(())
}

fn backend(server: &LiveServer) -> &'static str {
    if server.database_url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    }
}
