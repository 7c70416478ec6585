//! `rapport bench <write|query|views|memory|live|soak>`: load generators against a running server, through the
//! public Intercom-compatible API only (so they measure what a client sees), plus the idle memory
//! of a freshly started `rapport serve`. Methodology and commands: docs/BENCHMARKS.md.
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use hdrhistogram::Histogram;
use serde_json::{json, Value};

/// The `rapport bench` subcommands (wired into the CLI by `main.rs`).
#[derive(Debug, clap::Subcommand)]
pub enum BenchCommand {
    /// Sustained writes: contact creates and admin replies at a fixed concurrency.
    Write {
        #[command(flatten)]
        target: Target,
        #[arg(long, default_value_t = 30)]
        seconds: u64,
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
        /// The server's process id, on the same Linux machine: the report then adds the CPU the
        /// server used during the measured requests (cores, and milliseconds per request).
        #[arg(long)]
        server_pid: Option<u32>,
        /// Every worker replies to conversations of one shared contact (the shape before
        /// 2026-12-07: on PostgreSQL the replies then queue on that contact's row), instead of
        /// each worker to its own contact's, as agents answer different customers.
        #[arg(long)]
        shared_contact: bool,
    },
    /// Reads on a big (seeded) database: list pages, inbox filters, text search.
    Query {
        #[command(flatten)]
        target: Target,
        /// Seconds spent on each query.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        #[arg(long, default_value_t = 8)]
        concurrency: usize,
        /// How many pages of 150 to walk before the deep-cursor query.
        #[arg(long, default_value_t = 50)]
        depth: usize,
        /// The word for the `source.body ~ word` search.
        #[arg(long, default_value = "invoice")]
        word: String,
    },
    /// The agent app's inbox view (list search + counts in parallel) and conversation view (the
    /// conversation, then the context panel's six requests in parallel), as browsers load them:
    /// p50/p99 per view and per request.
    Views {
        #[command(flatten)]
        target: Target,
        /// Seconds spent on each view.
        #[arg(long, default_value_t = 20)]
        seconds: u64,
        /// Agents loading views at once, each with its own keep-alive connections.
        #[arg(long, default_value_t = 8)]
        concurrency: usize,
    },
    /// Bulk-loads contacts, conversations and parts into a workspace for the query bench.
    Seed {
        #[arg(long, env = "RAPPORT_DATABASE_URL")]
        database_url: String,
        /// The workspace's app_id (`rapport workspace create` prints it).
        #[arg(long)]
        workspace: String,
        #[arg(long, default_value_t = 1_000_000)]
        conversations: u64,
        #[arg(long, default_value_t = 5)]
        parts: u64,
        #[arg(long, default_value_t = 100_000)]
        contacts: u64,
    },
    /// Resident memory of an idle `rapport serve` started as a child process.
    Memory {
        /// The rapport binary to start (default: this executable).
        #[arg(long)]
        binary: Option<PathBuf>,
        #[arg(long, env = "RAPPORT_DATABASE_URL")]
        database_url: String,
        /// How long the server idles before VmRSS is read.
        #[arg(long, default_value_t = 5)]
        idle_seconds: u64,
    },
    /// The real-time path: WebSocket latency, idle sockets' memory, acknowledged messages/s.
    #[command(subcommand)]
    Live(crate::bench_live::LiveBench),
    /// Minutes of mixed load (API, messenger and agent sockets, webhooks to a slow receiver)
    /// with the server's resident memory sampled: leaks, growth trend, p99 stability.
    Soak(crate::bench_soak::SoakOptions),
}

/// Which server to load, and as whom.
#[derive(Debug, clap::Args)]
pub struct Target {
    /// The server root, e.g. http://127.0.0.1:8080 (the API is under /api).
    #[arg(long, env = "RAPPORT_URL", default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// An API token (`rapport token create`).
    #[arg(long, env = "RAPPORT_TOKEN")]
    pub token: String,
}

/// Runs one bench subcommand and prints its report.
pub async fn run(command: BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::Write { target, seconds, concurrency, server_pid, shared_contact } => {
            let contacts = if shared_contact { ReplyContacts::Shared } else { ReplyContacts::PerWorker };
            println!(
                "{}",
                run_write_bench(&target.url, &target.token, seconds, concurrency, server_pid, contacts).await?
            );
        }
        BenchCommand::Query { target, seconds, concurrency, depth, word } => {
            let options = QueryOptions { depth, word };
            println!("{}", run_query_bench(&target.url, &target.token, seconds, concurrency, &options).await?);
        }
        BenchCommand::Views { target, seconds, concurrency } => {
            let report = crate::bench_views::run_views_bench(&target.url, &target.token, seconds, concurrency).await?;
            println!("{report}");
        }
        BenchCommand::Seed { database_url, workspace, conversations, parts, contacts } => {
            let db = rapport_store::Db::connect(&database_url).await?;
            db.migrate().await?;
            let ws = rapport_store::workspaces::find_by_app_id(&db, &workspace)
                .await
                .with_context(|| format!("no workspace with app_id {workspace:?}"))?;
            let summary = rapport_store::seed::seed_scale(&db, ws.id, conversations, parts, contacts).await?;
            println!(
                "seeded {} contacts, {} conversations, {} parts into {workspace} in {:.1} s",
                summary.contacts, summary.conversations, summary.parts, summary.seconds
            );
            db.close().await;
        }
        BenchCommand::Memory { binary, database_url, idle_seconds } => {
            let binary = match binary {
                Some(b) => b,
                None => std::env::current_exe().context("cannot find the rapport executable")?,
            };
            println!("{}", run_memory_bench(&binary, &database_url, idle_seconds).await?);
        }
        BenchCommand::Live(bench) => crate::bench_live::run(bench).await?,
        BenchCommand::Soak(options) => crate::bench_soak::run(options).await?,
    }
    Ok(())
}

/// Latency and throughput of one operation.
#[derive(Debug, Clone)]
pub struct OpReport {
    pub name: String,
    pub ok: u64,
    pub errors: u64,
    pub seconds: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// The first failure seen, to tell a broken endpoint from a slow one.
    pub first_error: Option<String>,
}

impl OpReport {
    pub fn throughput(&self) -> f64 {
        if self.seconds > 0.0 {
            self.ok as f64 / self.seconds
        } else {
            0.0
        }
    }
}

/// The result of a bench run: one line per operation plus the total.
#[derive(Debug, Clone)]
pub struct BenchReport {
    pub name: String,
    pub concurrency: usize,
    pub ops: Vec<OpReport>,
    /// The server's CPU during the measured requests, when its process id was given.
    pub server_cpu: Option<ServerCpu>,
}

/// CPU time a server process used during a bench's measured requests (not its setup).
#[derive(Debug, Clone, Copy)]
pub struct ServerCpu {
    /// CPU seconds (user + system, all threads) per wall-clock second.
    pub cores: f64,
    /// CPU milliseconds per successful request.
    pub ms_per_request: f64,
}

impl fmt::Display for BenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "bench {} (concurrency {})", self.name, self.concurrency)?;
        writeln!(f, "{}", OpReport::HEADER)?;
        for op in &self.ops {
            write!(f, "{op}")?;
        }
        if let Some(cpu) = self.server_cpu {
            writeln!(f, "server CPU: {:.2} cores, {:.2} ms per request", cpu.cores, cpu.ms_per_request)?;
        }
        Ok(())
    }
}

impl OpReport {
    /// The operations table's header, aligned with each report's row ([`fmt::Display`]).
    pub const HEADER: &'static str =
        "operation                           ok  errors      req/s    p50 ms    p99 ms    max ms";
}

/// One row of the operations table (`operation ok errors req/s p50 p99 max`), then its first
/// error when it had one.
impl fmt::Display for OpReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<28} {:>9} {:>7} {:>10.1} {:>9.2} {:>9.2} {:>9.2}",
            self.name,
            self.ok,
            self.errors,
            self.throughput(),
            self.p50_ms,
            self.p99_ms,
            self.max_ms
        )?;
        if let Some(e) = &self.first_error {
            writeln!(f, "    first error: {e}")?;
        }
        Ok(())
    }
}

/// A thin API client: JSON in, JSON out, non-2xx is an error carrying the status and body.
#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Api {
    pub fn new(base_url: &str, token: &str) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(60)).build()?;
        Ok(Self { http, base: format!("{}/api", base_url.trim_end_matches('/')), token: token.to_string() })
    }

    /// Sends one request to `path` (relative to /api); `body` makes it a JSON request.
    pub async fn call(&self, method: reqwest::Method, path: &str, body: Option<&Value>) -> anyhow::Result<Value> {
        let body = self.call_raw(method, path, body).await?;
        if body.is_empty() {
            return Ok(Value::Null);
        }
        Ok(serde_json::from_slice(&body)?)
    }

    /// [`Api::call`] without parsing the answer, for measured requests: the load generator shares
    /// the server's cores, and parsing every answer into a JSON tree would take CPU from the server
    /// it measures. The whole body is still read, and a non-2xx status is still an error.
    pub async fn call_raw(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<axum::body::Bytes> {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .header("Accept", "application/json");
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await?;
        let status = response.status();
        let body = response.bytes().await?;
        if !status.is_success() {
            bail!("{status}: {}", String::from_utf8_lossy(&body).chars().take(300).collect::<String>());
        }
        Ok(body)
    }

    /// The HTTP client, for calls outside /api.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    pub fn token(&self) -> &str {
        &self.token
    }

    pub async fn get(&self, path: &str) -> anyhow::Result<Value> {
        self.call(reqwest::Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> anyhow::Result<Value> {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }
}

/// A JSON id as a string, whether the server sent a string or a number.
pub(crate) fn id_of(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// What one worker measured.
#[derive(Clone)]
pub(crate) struct Tally {
    histogram: Histogram<u64>,
    pub(crate) ok: u64,
    pub(crate) errors: u64,
    pub(crate) first_error: Option<String>,
}

impl Tally {
    pub(crate) fn new() -> Self {
        // 1 µs to 10 min at 3 significant digits.
        let histogram = Histogram::new_with_bounds(1, 600_000_000, 3).expect("valid histogram bounds");
        Self { histogram, ok: 0, errors: 0, first_error: None }
    }

    pub(crate) fn record<T>(&mut self, started: Instant, result: anyhow::Result<T>) {
        match result {
            Ok(_) => {
                self.ok += 1;
                let micros = started.elapsed().as_micros().clamp(1, 600_000_000) as u64;
                let _ = self.histogram.record(micros);
            }
            Err(e) => {
                self.errors += 1;
                self.first_error.get_or_insert_with(|| e.to_string());
            }
        }
    }

    pub(crate) fn merge(mut self, other: Tally) -> Self {
        let _ = self.histogram.add(&other.histogram);
        self.ok += other.ok;
        self.errors += other.errors;
        self.first_error = self.first_error.or(other.first_error);
        self
    }

    pub(crate) fn report(self, name: &str, seconds: f64) -> OpReport {
        let ms = |v: u64| v as f64 / 1000.0;
        let empty = self.histogram.is_empty();
        OpReport {
            name: name.to_string(),
            ok: self.ok,
            errors: self.errors,
            seconds,
            p50_ms: if empty { 0.0 } else { ms(self.histogram.value_at_quantile(0.50)) },
            p99_ms: if empty { 0.0 } else { ms(self.histogram.value_at_quantile(0.99)) },
            max_ms: if empty { 0.0 } else { ms(self.histogram.max()) },
            first_error: self.first_error,
        }
    }
}

/// How many conversations each write worker replies to, in turn. A reply answers with the whole
/// conversation (as Intercom's does), so the pool sets how long conversations grow during a run:
/// with 32 per worker a 10-second run at ~1,000 replies/s leaves each with ~20 parts, a busy
/// support inbox, where 4 per worker left each with ~150 and measured the rendering of long
/// conversations more than the write.
const CONVERSATIONS_PER_WORKER: usize = 32;

/// Whose conversations the write bench's workers reply to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyContacts {
    /// Each worker its own contact's, as agents answer different customers.
    PerWorker,
    /// All one contact's.
    Shared,
}

/// Sustained writes for `seconds` at `concurrency`: each worker alternates `POST /contacts`
/// (a new user with a unique email) and `POST /conversations/{id}/reply` (an admin comment on
/// one of the conversations created during setup).
/// With `server_pid` the report adds the server's CPU during the measured part.
pub async fn run_write_bench(
    base_url: &str,
    token: &str,
    seconds: u64,
    concurrency: usize,
    server_pid: Option<u32>,
    contacts: ReplyContacts,
) -> anyhow::Result<BenchReport> {
    let api = Api::new(base_url, token)?;
    let concurrency = concurrency.max(1);
    if let Some(pid) = server_pid {
        process_cpu(pid)?; // a wrong pid fails here, before the setup writes anything
    }
    let me = api.get("/me").await.context("GET /api/me (is the token valid?)")?;
    let admin_id = id_of(&me["id"]).context("GET /api/me returned no id")?;
    let run = format!("{:x}", std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_millis());

    // Setup (not measured): a few conversations per worker to reply to, each worker's with its
    // own contact (or all with one).
    let workers_contacts = match contacts {
        ReplyContacts::PerWorker => concurrency,
        ReplyContacts::Shared => 1,
    };
    let mut contact_ids = Vec::with_capacity(workers_contacts);
    for c in 0..workers_contacts {
        let body =
            json!({"role": "user", "email": format!("bench-{run}-setup-{c}@bench.example"), "name": "Bench Setup"});
        let contact = api.post("/contacts", &body).await.context("POST /api/contacts")?;
        contact_ids.push(id_of(&contact["id"]).context("POST /api/contacts returned no id")?);
    }
    let mut conversations = Vec::new();
    for i in 0..concurrency * CONVERSATIONS_PER_WORKER {
        // Conversation i goes to worker i % concurrency (below), so it takes that worker's contact.
        let contact_id = &contact_ids[(i % concurrency) % workers_contacts];
        let body = json!({"from": {"type": "user", "id": contact_id}, "body": format!("Bench conversation {i}")});
        let message = api.post("/conversations", &body).await.context("POST /api/conversations")?;
        conversations
            .push(id_of(&message["conversation_id"]).context("POST /api/conversations returned no conversation_id")?);
    }

    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let cpu_before = server_pid.map(|pid| process_cpu(pid).map(|used| (pid, used))).transpose()?;
    let mut workers = Vec::new();
    for w in 0..concurrency {
        let (api, admin_id, run) = (api.clone(), admin_id.clone(), run.clone());
        let mine: Vec<String> = conversations.iter().skip(w).step_by(concurrency).cloned().collect();
        workers.push(tokio::spawn(async move {
            let (mut creates, mut replies) = (Tally::new(), Tally::new());
            let mut i = 0usize;
            while Instant::now() < deadline {
                let t = Instant::now();
                if i.is_multiple_of(2) {
                    let email = format!("bench-{run}-{w}-{i}@bench.example");
                    let body = json!({"role": "user", "email": email, "external_id": format!("bench-{run}-{w}-{i}"), "name": "Bench User"});
                    creates.record(t, api.call_raw(reqwest::Method::POST, "/contacts", Some(&body)).await);
                } else {
                    let conversation = &mine[(i / 2) % mine.len()];
                    let body = json!({"message_type": "comment", "type": "admin", "admin_id": admin_id,
                                      "body": format!("<p>Bench reply {i}</p>")});
                    replies.record(
                        t,
                        api.call_raw(reqwest::Method::POST, &format!("/conversations/{conversation}/reply"), Some(&body))
                            .await,
                    );
                }
                i += 1;
            }
            (creates, replies)
        }));
    }
    let (mut creates, mut replies) = (Tally::new(), Tally::new());
    for worker in workers {
        let (c, r) = worker.await?;
        creates = creates.merge(c);
        replies = replies.merge(r);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let server_cpu = match cpu_before {
        Some((pid, before)) => {
            let used = (process_cpu(pid)? - before).as_secs_f64();
            let requests = (creates.ok + replies.ok).max(1) as f64;
            Some(ServerCpu { cores: used / elapsed, ms_per_request: used * 1000.0 / requests })
        }
        None => None,
    };
    Ok(BenchReport {
        name: "write".into(),
        concurrency,
        ops: vec![creates.report("POST /contacts", elapsed), replies.report("POST /conversations/{id}/reply", elapsed)],
        server_cpu,
    })
}

/// Options of [`run_query_bench`].
#[derive(Debug, Clone)]
pub struct QueryOptions {
    /// Pages of 150 walked to find the deep cursor.
    pub depth: usize,
    /// The word searched in `source.body`.
    pub word: String,
}

impl Default for QueryOptions {
    fn default() -> Self {
        Self { depth: 50, word: "invoice".into() }
    }
}

/// Read latency on a big database, each query for `seconds` at `concurrency`: the first page
/// and a deep cursor page of `GET /conversations`, the two inbox filters of
/// `POST /conversations/search` (my open conversations; a team's open conversations), a
/// `source.body ~ word` text search, the agent inbox's sorted views, `parts.body` searches (the
/// word and an absent one) and the agent app's contact search (name, email or company name).
pub async fn run_query_bench(
    base_url: &str,
    token: &str,
    seconds: u64,
    concurrency: usize,
    options: &QueryOptions,
) -> anyhow::Result<BenchReport> {
    let api = Api::new(base_url, token)?;
    let concurrency = concurrency.max(1);
    let me = api.get("/me").await.context("GET /api/me (is the token valid?)")?;
    let admin_id =
        me["id"].as_str().and_then(|s| s.parse::<i64>().ok()).or_else(|| me["id"].as_i64()).context("no admin id")?;
    let teams = api.get("/teams").await.context("GET /api/teams")?;
    let team_id = teams["teams"]
        .as_array()
        .and_then(|t| t.first())
        .and_then(|t| t["id"].as_str().and_then(|s| s.parse::<i64>().ok()).or_else(|| t["id"].as_i64()))
        .context("the workspace has no team (seed it first: see docs/BENCHMARKS.md)")?;
    let cursor = deep_cursor(&api, options.depth).await?;

    let search = |query: Value| json!({"query": query, "pagination": {"per_page": 50}});
    let eq = |field: &str, value: Value| json!({"field": field, "operator": "=", "value": value});
    let mut queries: Vec<(String, reqwest::Method, String, Option<Value>)> = vec![
        ("GET /conversations (first)".into(), reqwest::Method::GET, "/conversations?per_page=50".into(), None),
        (
            format!("GET /conversations (page {})", options.depth + 1),
            reqwest::Method::GET,
            format!("/conversations?per_page=50&starting_after={}", urlencode(&cursor)),
            None,
        ),
        (
            "search open+admin_assignee".into(),
            reqwest::Method::POST,
            "/conversations/search".into(),
            Some(search(
                json!({"operator": "AND", "value": [eq("state", json!("open")), eq("admin_assignee_id", json!(admin_id))]}),
            )),
        ),
        (
            "search team_assignee+open".into(),
            reqwest::Method::POST,
            "/conversations/search".into(),
            Some(search(
                json!({"operator": "AND", "value": [eq("team_assignee_id", json!(team_id)), eq("state", json!("open"))]}),
            )),
        ),
        (
            format!("search source.body ~ {}", options.word),
            reqwest::Method::POST,
            "/conversations/search".into(),
            Some(search(json!({"field": "source.body", "operator": "~", "value": options.word}))),
        ),
    ];
    // The agent inbox's views (web app): state × assignee shape × sort.
    let sorted = |query: Value, field: &str, order: &str| json!({"query": query, "sort": {"field": field, "order": order}, "pagination": {"per_page": 50}});
    let and = |filters: Vec<Value>| json!({"operator": "AND", "value": filters});
    let unassigned = || vec![eq("admin_assignee_id", Value::Null), eq("team_assignee_id", Value::Null)];
    let views: Vec<(&str, Value, &str, &str)> = vec![
        ("unassigned open", and([vec![eq("state", json!("open"))], unassigned()].concat()), "updated_at", "desc"),
        ("unassigned open", and([vec![eq("state", json!("open"))], unassigned()].concat()), "priority", "desc"),
        (
            "mine open",
            and(vec![eq("state", json!("open")), eq("admin_assignee_id", json!(admin_id))]),
            "priority",
            "desc",
        ),
        (
            "mine snoozed",
            and(vec![eq("state", json!("snoozed")), eq("admin_assignee_id", json!(admin_id))]),
            "updated_at",
            "desc",
        ),
        (
            "team open",
            and(vec![eq("state", json!("open")), eq("team_assignee_id", json!(team_id))]),
            "waiting_since",
            "asc",
        ),
        (
            "team closed",
            and(vec![eq("state", json!("closed")), eq("team_assignee_id", json!(team_id))]),
            "created_at",
            "desc",
        ),
        ("all open", eq("state", json!("open")), "created_at", "asc"),
        ("all open", eq("state", json!("open")), "priority", "desc"),
        ("all closed", eq("state", json!("closed")), "updated_at", "desc"),
    ];
    for (view, query, field, order) in views {
        queries.push((
            format!("inbox {view}, {field} {order}"),
            reqwest::Method::POST,
            "/conversations/search".into(),
            Some(sorted(query, field, order)),
        ));
    }
    for word in [options.word.as_str(), "passwrd"] {
        queries.push((
            format!("search parts.body ~ {word}"),
            reqwest::Method::POST,
            "/conversations/search".into(),
            Some(search(json!({"field": "parts.body", "operator": "~", "value": word}))),
        ));
    }
    // The agent app's contact search (web/app api.ts searchContacts): a common surname and an
    // absent word ("contains", through the trigram indexes), a two-letter term as the app sends
    // it (a prefix, `^`), and the same term as "contains" (shorter than a trigram: a scan).
    for (operator, q) in [("~", "smith"), ("~", "passwrd"), ("^", "sm"), ("~", "sm")] {
        queries.push((
            format!("contacts name/email/companies.name {operator} {q}"),
            reqwest::Method::POST,
            "/contacts/search".into(),
            Some(json!({"query": {"operator": "OR", "value": [
                {"field": "name", "operator": operator, "value": q}, {"field": "email", "operator": operator, "value": q},
                {"field": "companies.name", "operator": operator, "value": q}]}, "pagination": {"per_page": 10}})),
        ));
    }
    let mut ops = Vec::new();
    for (name, method, path, body) in queries {
        let deadline = Instant::now() + Duration::from_secs(seconds);
        let started = Instant::now();
        let mut workers = Vec::new();
        for _ in 0..concurrency {
            let (api, method, path, body) = (api.clone(), method.clone(), path.clone(), body.clone());
            workers.push(tokio::spawn(async move {
                let mut tally = Tally::new();
                while Instant::now() < deadline {
                    let t = Instant::now();
                    tally.record(t, api.call_raw(method.clone(), &path, body.as_ref()).await);
                }
                tally
            }));
        }
        let mut tally = Tally::new();
        for worker in workers {
            tally = tally.merge(worker.await?);
        }
        ops.push(tally.report(&name, started.elapsed().as_secs_f64()));
    }
    Ok(BenchReport { name: "query".into(), concurrency, ops, server_cpu: None })
}

/// Walks `depth` pages of 150 conversations and returns the cursor of the next page.
async fn deep_cursor(api: &Api, depth: usize) -> anyhow::Result<String> {
    let mut cursor = String::new();
    for page in 0..depth.max(1) {
        let path = if cursor.is_empty() {
            "/conversations?per_page=150".to_string()
        } else {
            format!("/conversations?per_page=150&starting_after={}", urlencode(&cursor))
        };
        let list = api.get(&path).await.context("GET /api/conversations")?;
        match list["pages"]["next"]["starting_after"].as_str() {
            Some(next) if !next.is_empty() => cursor = next.to_string(),
            _ => bail!("only {} pages of conversations: seed a bigger database or lower --depth", page + 1),
        }
    }
    Ok(cursor)
}

/// Percent-encodes a cursor for a query string (cursors may be base64 with `+`, `/`, `=`).
fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Resident memory of an idle server.
#[derive(Debug, Clone)]
pub struct MemoryReport {
    pub pid: u32,
    pub idle_seconds: u64,
    /// VmRSS in KiB: resident now.
    pub rss_kib: u64,
    /// VmHWM in KiB: the peak resident size so far.
    pub hwm_kib: u64,
}

impl fmt::Display for MemoryReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "bench memory: rapport serve (pid {}) idle for {} s", self.pid, self.idle_seconds)?;
        writeln!(f, "VmRSS {:.1} MiB, VmHWM {:.1} MiB", self.rss_kib as f64 / 1024.0, self.hwm_kib as f64 / 1024.0)
    }
}

/// The CPU time (user + system, all threads) process `pid` has used so far, from Linux's
/// `/proc/PID/stat`, whose times count in USER_HZ ticks: 100 a second on every architecture
/// Rust builds Linux binaries for.
pub fn process_cpu(pid: u32) -> anyhow::Result<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .with_context(|| format!("reading /proc/{pid}/stat (is {pid} a process on this machine?)"))?;
    parse_cpu_ticks(&stat)
        .map(|ticks| Duration::from_millis(ticks * 10))
        .with_context(|| format!("unexpected /proc/{pid}/stat: {stat:?}"))
}

/// `utime + stime` of a `/proc/PID/stat` line: fields 14 and 15, counted from the start, after
/// the command name in parentheses (which may itself hold spaces and parentheses).
fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    let (_, rest) = stat.rsplit_once(')')?;
    // `rest` starts at field 3 (the state), so fields 14 and 15 are its 12th and 13th.
    let mut fields = rest.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some(user + system)
}

/// Reads `VmRSS` and `VmHWM` (KiB) of a process from /proc (Linux only).
pub fn read_memory(pid: u32) -> anyhow::Result<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("reading /proc/{pid}/status"))?;
    let field = |name: &str| -> anyhow::Result<u64> {
        let line =
            status.lines().find(|l| l.starts_with(name)).with_context(|| format!("no {name} in /proc/{pid}/status"))?;
        let kib = line.split_whitespace().nth(1).context("malformed status line")?;
        Ok(kib.parse()?)
    };
    Ok((field("VmRSS:")?, field("VmHWM:")?))
}

/// A local port that was free a moment ago.
pub fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Starts `binary serve` on a free port, waits for `/healthz`, lets it idle and reads its memory.
/// The child is killed on every path out (`kill_on_drop`).
pub async fn run_memory_bench(binary: &Path, database_url: &str, idle_seconds: u64) -> anyhow::Result<MemoryReport> {
    let port = free_port()?;
    let mut child = tokio::process::Command::new(binary)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--database-url", database_url])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {} serve", binary.display()))?;
    let pid = child.id().context("the server exited at once")?;
    let health = format!("http://127.0.0.1:{port}/healthz");
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = child.try_wait()? {
            bail!("rapport serve exited with {status} before it was healthy");
        }
        if matches!(http.get(&health).send().await, Ok(r) if r.status().is_success()) {
            break;
        }
        if Instant::now() > deadline {
            bail!("rapport serve was not healthy after 30 s");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(http);
    tokio::time::sleep(Duration::from_secs(idle_seconds)).await;
    let (rss_kib, hwm_kib) = read_memory(pid)?;
    child.kill().await?;
    Ok(MemoryReport { pid, idle_seconds, rss_kib, hwm_kib })
}

#[cfg(test)]
mod tests {
    use super::parse_cpu_ticks;

    #[test]
    fn cpu_ticks_are_read_after_a_command_name_with_spaces_and_parentheses() {
        let stat = "4242 (tokio (rt) w) S 1 4242 4242 0 -1 4194560 1234 0 0 0 517 86 0 0 20 0 9 0 100 0 0";
        assert_eq!(parse_cpu_ticks(stat), Some(517 + 86));
    }

    #[test]
    fn a_truncated_stat_line_is_refused() {
        assert_eq!(parse_cpu_ticks("4242 (rapport) S 1 4242"), None);
        assert_eq!(parse_cpu_ticks("no parenthesis at all"), None);
    }
}
