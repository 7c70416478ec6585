//! `rapport bench soak`: minutes of mixed load on a running server, through its public surfaces
//! (API writes and reads, messenger visitor sockets, agent sockets, webhooks to a slow receiver
//! this bench runs on 127.0.0.1), with the server's resident memory sampled throughout. It warms
//! the server up, lets it idle (the baseline), loads it, lets it idle again, then prints the
//! samples, per-minute requests, errors and latencies, and three verdicts (see [`verdict`]).
//! Every loop ends at its phase's deadline and pauses between requests. docs/BENCHMARKS.md, "Soak".
#[path = "bench_soak/verdict.rs"] // also when tests/bench.rs includes this file by path
mod verdict;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use serde_json::{json, Value};
use tokio::time::{sleep, timeout_at};

use crate::bench::{id_of, read_memory, Api, Tally};
use crate::bench_live::{next_frame, open, send_and_ack};
use verdict::{Phase, Sample, Verdicts};

/// The options of `rapport bench soak`.
#[derive(Debug, clap::Args)]
pub struct SoakOptions {
    #[command(flatten)]
    pub target: crate::bench::Target,
    /// The server's process id (same machine): its VmRSS is sampled.
    #[arg(long)]
    pub server_pid: u32,
    /// Minutes of measured load.
    #[arg(long, default_value_t = 10)]
    pub minutes: u64,
    /// Seconds of load before the baseline, then as many of idle (the warm idle baseline).
    #[arg(long, default_value_t = 60)]
    pub warm_up_seconds: u64,
    /// Seconds of idle after the load, sampled.
    #[arg(long, default_value_t = 60)]
    pub idle_seconds: u64,
    /// Seconds between memory samples.
    #[arg(long, default_value_t = 10)]
    pub sample_seconds: u64,
    /// API clients writing: contact, conversation, admin reply, tag, in turn.
    #[arg(long, default_value_t = 2)]
    pub writers: usize,
    /// API clients reading: lists, searches, a conversation.
    #[arg(long, default_value_t = 2)]
    pub readers: usize,
    /// Pause of each API client between requests, in milliseconds.
    #[arg(long, default_value_t = 25)]
    pub api_pause_ms: u64,
    /// Messenger visitor sockets, each sending a message and waiting for its ack, then pausing.
    #[arg(long, default_value_t = 20)]
    pub visitors: usize,
    #[arg(long, default_value_t = 1000)]
    pub visitor_pause_ms: u64,
    /// Agent sockets (`/ws`, as the API token's admin) counting the events they receive.
    #[arg(long, default_value_t = 2)]
    pub agents: usize,
    /// How long the bench's webhook receiver takes to answer, in milliseconds (the server must run
    /// with --allow-private-webhooks to deliver to it).
    #[arg(long, default_value_t = 2000)]
    pub webhook_delay_ms: u64,
}

/// The load's parts, in report order.
const COMPONENTS: [&str; 5] = ["api writes", "api reads", "visitor send→ack", "agent events", "webhooks received"];
const WRITES: usize = 0;
const READS: usize = 1;
const VISITORS: usize = 2;
const AGENTS: usize = 3;
const WEBHOOKS: usize = 4;

/// What the load did, per component and minute, and per API operation over the whole phase.
struct Recorder {
    started: Instant,
    minutes: Mutex<Vec<[Tally; 5]>>,
    operations: Mutex<BTreeMap<&'static str, Tally>>,
}

impl Recorder {
    fn new() -> Arc<Self> {
        Arc::new(Self { started: Instant::now(), minutes: Mutex::default(), operations: Mutex::default() })
    }

    /// Records one request of `component` (an API operation also under `operation`) begun at `began`.
    fn record<T>(&self, component: usize, operation: Option<&'static str>, began: Instant, result: anyhow::Result<T>) {
        let minute = began.saturating_duration_since(self.started).as_secs() as usize / 60;
        let failed = result.as_ref().err().map(|e| anyhow::anyhow!("{e:#}"));
        if let Some(name) = operation {
            let mut operations = self.operations.lock().unwrap_or_else(|e| e.into_inner());
            let tally = operations.entry(name).or_insert_with(Tally::new);
            tally.record(began, failed.as_ref().map_or(Ok(()), |e| Err(anyhow::anyhow!("{e}"))));
        }
        let mut minutes = self.minutes.lock().unwrap_or_else(|e| e.into_inner());
        while minutes.len() <= minute {
            minutes.push(std::array::from_fn(|_| Tally::new()));
        }
        minutes[minute][component].record(began, failed.map_or(Ok(()), Err));
    }

    /// The API requests (reads and writes) of minutes `from..to`, merged.
    fn api(&self, from: usize, to: usize) -> Tally {
        let minutes = self.minutes.lock().unwrap_or_else(|e| e.into_inner());
        minutes
            .iter()
            .skip(from)
            .take(to.saturating_sub(from))
            .flat_map(|m| [m[WRITES].clone(), m[READS].clone()])
            .fold(Tally::new(), Tally::merge)
    }
}

/// What every load phase shares: the API, the ids it works on, the messenger's app_id.
struct Soak {
    api: Api,
    base_url: String,
    app_id: String,
    admin_id: String,
    tag_id: String,
    /// Conversations created by the writers, newest last (the readers show them).
    recent: Mutex<Vec<String>>,
    options: SoakOptions,
}

/// Runs the soak and prints its report.
pub async fn run(options: SoakOptions) -> anyhow::Result<()> {
    read_memory(options.server_pid)?; // a wrong pid fails here, before anything is written
    let api = Api::new(&options.target.url, &options.target.token)?;
    let me = api.get("/me").await.context("GET /api/me (is the token valid?)")?;
    let admin_id = id_of(&me["id"]).context("GET /api/me returned no id")?;
    let app_id = me["app"]["id_code"].as_str().context("GET /api/me returned no app.id_code")?.to_string();
    let run = format!("{:x}", std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_millis());
    let tag = api.post("/tags", &json!({"name": format!("soak-{run}")})).await.context("POST /api/tags")?;
    let tag_id = id_of(&tag["id"]).context("POST /api/tags returned no id")?;
    let webhooks = Recorder::new();
    let receiver = slow_receiver(Duration::from_millis(options.webhook_delay_ms), webhooks.clone()).await?;
    let topics = [
        "conversation.user.created",
        "conversation.user.replied",
        "conversation.admin.replied",
        "contact.user.created",
    ];
    let subscription = api
        .post("/webhooks", &json!({"url": format!("http://{receiver}/hook"), "topics": topics}))
        .await
        .context("POST /api/webhooks (a receiver on 127.0.0.1 needs `serve --allow-private-webhooks`)")?;
    let subscription = id_of(&subscription["id"]).context("POST /api/webhooks returned no id")?;
    let base_url = options.target.url.trim_end_matches('/').to_string();
    let context = Arc::new(Soak { api, base_url, app_id, admin_id, tag_id, recent: Mutex::default(), options });
    let pid = context.options.server_pid;
    let every = Duration::from_secs(context.options.sample_seconds.max(1));
    let mut samples = Vec::new();

    println!(
        "bench soak: server pid {pid}, {} min of load, samples every {} s",
        context.options.minutes,
        every.as_secs()
    );
    let warm_up = Duration::from_secs(context.options.warm_up_seconds);
    samples.extend(load_phase(&context, Phase::WarmUp, warm_up, every, &Recorder::new(), &subscription).await?);
    samples.extend(idle_phase(pid, Phase::WarmIdle, warm_up, every).await?);
    let recorder = Recorder::new();
    let load = Duration::from_secs(context.options.minutes * 60);
    samples.extend(load_phase(&context, Phase::Load, load, every, &recorder, &subscription).await?);
    samples.extend(idle_phase(pid, Phase::Idle, Duration::from_secs(context.options.idle_seconds), every).await?);

    // Webhook deliveries are counted by whole minutes since the receiver started; skipping the whole
    // minutes before the load lines them up with the load's minutes to within a minute.
    let webhook_minutes: Vec<Tally> = {
        let minutes = webhooks.minutes.lock().unwrap_or_else(|e| e.into_inner());
        let offset = recorder.started.saturating_duration_since(webhooks.started).as_secs() as usize / 60;
        minutes.iter().skip(offset).map(|m| m[WEBHOOKS].clone()).collect()
    };
    print_report(&context.options, &samples, &recorder, &webhook_minutes);
    Ok(())
}

/// Samples memory every `every` for `length` (and once at the end).
async fn idle_phase(pid: u32, phase: Phase, length: Duration, every: Duration) -> anyhow::Result<Vec<Sample>> {
    let started = Instant::now();
    sample_until(pid, phase, started, started + length, every).await
}

async fn sample_until(
    pid: u32,
    phase: Phase,
    started: Instant,
    deadline: Instant,
    every: Duration,
) -> anyhow::Result<Vec<Sample>> {
    let mut samples = Vec::new();
    let mut next = started + every;
    loop {
        let at = next.min(deadline);
        tokio::time::sleep_until(at.into()).await;
        let (rss_kib, _) = read_memory(pid).context("the server is gone")?;
        samples.push(Sample { seconds: at.duration_since(started).as_secs_f64().round(), phase, rss_kib });
        if at >= deadline {
            return Ok(samples);
        }
        next += every;
    }
}

/// Runs the whole mix for `length`, sampling memory; webhooks are resumed for it and paused after.
async fn load_phase(
    context: &Arc<Soak>,
    phase: Phase,
    length: Duration,
    every: Duration,
    recorder: &Arc<Recorder>,
    subscription: &str,
) -> anyhow::Result<Vec<Sample>> {
    let api = &context.api;
    api.post(&format!("/webhooks/{subscription}/resume"), &json!({})).await.context("resuming the webhook")?;
    let started = Instant::now();
    let deadline = started + length;
    let options = &context.options;
    let mut tasks = Vec::new();
    for w in 0..options.writers {
        tasks.push(tokio::spawn(writer(context.clone(), recorder.clone(), w, deadline)));
    }
    for _ in 0..options.readers {
        tasks.push(tokio::spawn(reader(context.clone(), recorder.clone(), deadline)));
    }
    for v in 0..options.visitors {
        tasks.push(tokio::spawn(visitor(context.clone(), recorder.clone(), v, deadline)));
    }
    for _ in 0..options.agents {
        tasks.push(tokio::spawn(agent(context.clone(), recorder.clone(), deadline)));
    }
    let samples = sample_until(options.server_pid, phase, started, deadline, every).await?;
    for task in tasks {
        task.await?;
    }
    api.post(&format!("/webhooks/{subscription}/pause"), &json!({})).await.context("pausing the webhook")?;
    Ok(samples)
}

/// Creates a contact, a conversation from it, an admin reply and a tag on the conversation, in turn.
async fn writer(context: Arc<Soak>, recorder: Arc<Recorder>, worker: usize, deadline: Instant) {
    let (api, pause) = (&context.api, Duration::from_millis(context.options.api_pause_ms));
    let run = format!("{:x}", recorder.started.elapsed().as_nanos() ^ rand::random::<u64>() as u128);
    let (mut contact, mut conversation): (Option<String>, Option<String>) = (None, None);
    let mut i = 0u64;
    while Instant::now() < deadline {
        let began = Instant::now();
        match i % 4 {
            0 => {
                let body = json!({"role": "user", "email": format!("soak-{run}-{worker}-{i}@bench.example"),
                                  "name": format!("Soak User {i}")});
                let result = api.post("/contacts", &body).await;
                contact = result.as_ref().ok().and_then(|c| id_of(&c["id"]));
                recorder.record(WRITES, Some("POST /contacts"), began, result);
            }
            1 => {
                if let Some(contact) = &contact {
                    let body = json!({"from": {"type": "user", "id": contact}, "body": format!("Soak question {i}")});
                    let result = api.post("/conversations", &body).await;
                    conversation = result.as_ref().ok().and_then(|m| id_of(&m["conversation_id"]));
                    if let Some(id) = &conversation {
                        let mut recent = context.recent.lock().unwrap_or_else(|e| e.into_inner());
                        recent.push(id.clone());
                        let excess = recent.len().saturating_sub(100);
                        recent.drain(..excess);
                    }
                    recorder.record(WRITES, Some("POST /conversations"), began, result);
                }
            }
            2 => {
                if let Some(conversation) = &conversation {
                    let body = json!({"message_type": "comment", "type": "admin", "admin_id": context.admin_id,
                                      "body": format!("<p>Soak answer {i}</p>")});
                    let path = format!("/conversations/{conversation}/reply");
                    let result = api.call_raw(reqwest::Method::POST, &path, Some(&body)).await;
                    recorder.record(WRITES, Some("POST /conversations/{id}/reply"), began, result);
                }
            }
            _ => {
                if let Some(conversation) = &conversation {
                    let body = json!({"id": context.tag_id, "admin_id": context.admin_id});
                    let path = format!("/conversations/{conversation}/tags");
                    let result = api.call_raw(reqwest::Method::POST, &path, Some(&body)).await;
                    recorder.record(WRITES, Some("POST /conversations/{id}/tags"), began, result);
                }
            }
        }
        i += 1;
        sleep(pause).await;
    }
}

/// Lists, searches and shows, in turn.
async fn reader(context: Arc<Soak>, recorder: Arc<Recorder>, deadline: Instant) {
    let (api, pause) = (&context.api, Duration::from_millis(context.options.api_pause_ms));
    let open = json!({"query": {"field": "state", "operator": "=", "value": "open"}, "pagination": {"per_page": 20}});
    let people = json!({"query": {"field": "name", "operator": "~", "value": "Soak"}, "pagination": {"per_page": 10}});
    let mut i = 0u64;
    while Instant::now() < deadline {
        let began = Instant::now();
        let get = reqwest::Method::GET;
        let post = reqwest::Method::POST;
        let (name, result) = match i % 5 {
            0 => ("GET /conversations", api.call_raw(get, "/conversations?per_page=20", None).await),
            1 => ("POST /conversations/search", api.call_raw(post, "/conversations/search", Some(&open)).await),
            2 => ("POST /contacts/search", api.call_raw(post, "/contacts/search", Some(&people)).await),
            3 => {
                let recent = context.recent.lock().unwrap_or_else(|e| e.into_inner()).last().cloned();
                let Some(id) = recent else {
                    i += 1;
                    continue;
                };
                ("GET /conversations/{id}", api.call_raw(get, &format!("/conversations/{id}"), None).await)
            }
            _ => ("GET /contacts", api.call_raw(get, "/contacts?per_page=20", None).await),
        };
        recorder.record(READS, Some(name), began, result);
        i += 1;
        sleep(pause).await;
    }
}

/// Messages per visitor conversation before the visitor starts a new one.
const MESSAGES_PER_CONVERSATION: u64 = 50;

/// A new lead (messenger boot) on a socket: sends, waits for the ack, pauses; reconnects on errors.
async fn visitor(context: Arc<Soak>, recorder: Arc<Recorder>, number: usize, deadline: Instant) {
    let pause = Duration::from_millis(context.options.visitor_pause_ms);
    // Spread the visitors over the first pause, so they do not send in step.
    sleep(pause.mul_f64(number as f64 / context.options.visitors.max(1) as f64)).await;
    while Instant::now() < deadline {
        let began = Instant::now();
        let socket = async {
            let token = boot(&context).await?;
            let address = context.base_url.trim_start_matches("http://");
            let address: SocketAddr = address.parse().context("--url must be http://IP:PORT for the sockets")?;
            open(address, &format!("/messenger/ws?token={token}"), None).await
        };
        let mut socket = match timeout_at(deadline.into(), socket).await {
            Ok(Ok(socket)) => socket,
            Ok(Err(e)) => {
                recorder.record::<()>(VISITORS, None, began, Err(e));
                sleep(Duration::from_secs(1)).await;
                continue;
            }
            Err(_) => return,
        };
        let mut conversation = None;
        let mut n = 0u64;
        while Instant::now() < deadline {
            if n.is_multiple_of(MESSAGES_PER_CONVERSATION) {
                conversation = None;
            }
            let began = Instant::now();
            let client_id = format!("soak-{number}-{n}");
            match timeout_at(deadline.into(), send_and_ack(&mut socket, conversation, &client_id)).await {
                Ok(Ok(id)) => {
                    conversation = Some(id);
                    recorder.record(VISITORS, None, began, Ok(()));
                }
                Ok(Err(e)) => {
                    recorder.record::<()>(VISITORS, None, began, Err(e));
                    break; // reconnect
                }
                Err(_) => return,
            }
            n += 1;
            sleep(pause).await;
        }
    }
}

/// A new lead's visitor token from `POST /messenger/boot`.
async fn boot(context: &Soak) -> anyhow::Result<String> {
    let response = context
        .api
        .http()
        .post(format!("{}/messenger/boot", context.base_url))
        .json(&json!({"app_id": context.app_id}))
        .send()
        .await?;
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        bail!("POST /messenger/boot: {status}: {body}");
    }
    body["visitor_token"].as_str().map(str::to_string).context("boot answered no visitor_token")
}

/// An agent socket that counts the `event` frames it receives; reconnects on errors.
async fn agent(context: Arc<Soak>, recorder: Arc<Recorder>, deadline: Instant) {
    while Instant::now() < deadline {
        let began = Instant::now();
        let address: anyhow::Result<SocketAddr> =
            context.base_url.trim_start_matches("http://").parse().context("--url must be http://IP:PORT");
        let opened = match address {
            Ok(address) => {
                timeout_at(deadline.into(), open(address, &format!("/ws?token={}", context.api.token()), None)).await
            }
            Err(e) => Ok(Err(e)),
        };
        let mut socket = match opened {
            Ok(Ok(socket)) => socket,
            Ok(Err(e)) => {
                recorder.record::<()>(AGENTS, None, began, Err(e));
                sleep(Duration::from_secs(1)).await;
                continue;
            }
            Err(_) => return,
        };
        loop {
            let began = Instant::now();
            match timeout_at(deadline.into(), next_frame(&mut socket)).await {
                Ok(Ok(frame)) if frame["type"] == "event" => recorder.record(AGENTS, None, began, Ok(())),
                Ok(Ok(_)) => {}
                Ok(Err(e)) => {
                    recorder.record::<()>(AGENTS, None, began, Err(e));
                    break;
                }
                Err(_) => return,
            }
        }
    }
}

/// A webhook receiver on 127.0.0.1 that answers 200 after `delay`, counting each delivery.
async fn slow_receiver(delay: Duration, recorder: Arc<Recorder>) -> anyhow::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move || {
            let recorder = recorder.clone();
            async move {
                let began = Instant::now();
                sleep(delay).await;
                recorder.record(WEBHOOKS, None, began, Ok(()));
                axum::http::StatusCode::OK
            }
        }),
    );
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            eprintln!("the webhook receiver stopped: {e}");
        }
    });
    Ok(address)
}

fn print_report(options: &SoakOptions, samples: &[Sample], recorder: &Recorder, webhook_minutes: &[Tally]) {
    println!("\nRSS samples (MiB), every {} s:", options.sample_seconds);
    for phase in [Phase::WarmUp, Phase::WarmIdle, Phase::Load, Phase::Idle] {
        let row: Vec<String> = samples
            .iter()
            .filter(|s| s.phase == phase)
            .map(|s| format!("{:.0}s {:.1}", s.seconds, s.rss_mib()))
            .collect();
        println!("  {phase:<9} {}", row.join(", "));
    }

    let minutes = recorder.minutes.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let load_rss = |minute: usize| {
        let end = ((minute + 1) * 60) as f64;
        samples.iter().rfind(|s| s.phase == Phase::Load && s.seconds <= end).map_or(0.0, Sample::rss_mib)
    };
    println!(
        "\n{:>3} {:>9} {:>8} | {:>13} {:>13} | {:>14} | {:>8} {:>8} | {:>8}",
        "min",
        "api ok/err",
        "",
        "writes p50/p99",
        "reads p50/p99",
        "visitor ok/err/p99",
        "agent ev",
        "webhooks",
        "RSS MiB"
    );
    for (m, tallies) in minutes.iter().enumerate().take(options.minutes as usize) {
        let [writes, reads, visitors, agents, _] = tallies.clone().map(|t| t.report("", 60.0));
        let webhooks = webhook_minutes.get(m).map_or(0, |t| t.ok);
        println!(
            "{:>3} {:>9} {:>8} | {:>6.1}/{:<6.1} {:>6.1}/{:<6.1} | {:>5}/{}/{:<6.1} | {:>8} {:>8} | {:>8.1}",
            m + 1,
            writes.ok + reads.ok,
            writes.errors + reads.errors,
            writes.p50_ms,
            writes.p99_ms,
            reads.p50_ms,
            reads.p99_ms,
            visitors.ok,
            visitors.errors,
            visitors.p99_ms,
            agents.ok,
            webhooks,
            load_rss(m)
        );
    }

    let header = crate::bench::OpReport::HEADER;
    println!("\nper component over the load:\n{header}");
    let seconds = (options.minutes * 60) as f64;
    for (c, name) in COMPONENTS.iter().enumerate() {
        let total = if c == WEBHOOKS {
            webhook_minutes.iter().take(options.minutes as usize).cloned().fold(Tally::new(), Tally::merge)
        } else {
            minutes.iter().map(|m| m[c].clone()).fold(Tally::new(), Tally::merge)
        };
        print!("{}", total.report(name, seconds));
    }
    println!("per API operation:\n{header}");
    for (name, tally) in recorder.operations.lock().unwrap_or_else(|e| e.into_inner()).iter() {
        print!("{}", tally.clone().report(name, seconds));
    }

    let window = verdict::window_minutes(options.minutes) as usize;
    let minutes_run = options.minutes as usize;
    let first = recorder.api(0, window).report("", 1.0).p99_ms;
    let last = recorder.api(minutes_run - window.min(minutes_run), minutes_run).report("", 1.0).p99_ms;
    println!();
    match Verdicts::judge(samples, options.minutes, first, last) {
        Some(verdicts) => print!("{verdicts}"),
        None => println!("no verdict: the warm idle or the after-load sample is missing"),
    }
}
