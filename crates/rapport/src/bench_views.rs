//! `rapport bench views`: the agent app's two screens loaded as a browser loads them, by
//! `concurrency` agents at once, each with its own keep-alive connection pool (a browser's):
//!
//! - the inbox view: the list search of the view (web/app/src/list.ts `filtersFor`: state open,
//!   and All, Unassigned, Mine or a team in turn; newest first, 50 a page) and
//!   `GET /inbox/counts?state=open` (Shell.tsx), the two in parallel;
//! - the conversation view: `GET /conversations/{id}` (Shell.tsx `loadOpen`), then the context
//!   panel's six requests in parallel (Context.tsx: the contact, its companies, notes, events and
//!   tags, and its previous conversations, a `contact_ids` search of 6 newest first). The panel
//!   needs the contact's id from the conversation, so the browser sends them after it, and so
//!   does this bench.
//!
//! A view's latency is from its first request to its last answer. Each request's own latency is
//! reported too. The conversations opened are the first pages of the open inbox, their contacts
//! those conversations' first contacts.
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::{json, Value};

use crate::bench::{id_of, Api, BenchReport, Tally};

/// How many conversations (from the first pages of the open inbox) the agents open in turn.
const CONVERSATIONS: usize = 300;

/// Runs both views for `seconds` each at `concurrency` agents.
pub async fn run_views_bench(
    base_url: &str,
    token: &str,
    seconds: u64,
    concurrency: usize,
) -> anyhow::Result<BenchReport> {
    let api = Api::new(base_url, token)?;
    let concurrency = concurrency.max(1);
    let me = api.get("/me").await.context("GET /api/me (is the token valid?)")?;
    let admin_id = id_of(&me["id"]).context("no admin id")?;
    let teams = api.get("/teams").await.context("GET /api/teams")?;
    let team_id = teams["teams"].as_array().and_then(|t| t.first()).and_then(|t| id_of(&t["id"]));

    let eq = |field: &str, value: Value| json!({"field": field, "operator": "=", "value": value});
    let open = eq("state", json!("open"));
    let and = |more: Vec<Value>| {
        let all: Vec<Value> = [open.clone()].into_iter().chain(more).collect();
        json!({"operator": "AND", "value": all})
    };
    let number = |id: &str| json!(id.parse::<i64>().unwrap_or_default());
    let mut views = vec![
        open.clone(),
        and(vec![eq("admin_assignee_id", Value::Null), eq("team_assignee_id", Value::Null)]),
        and(vec![eq("admin_assignee_id", number(&admin_id))]),
    ];
    if let Some(team) = &team_id {
        views.push(and(vec![eq("team_assignee_id", number(team))]));
    }
    let search = |query: &Value, per_page: i64| json!({"query": query, "sort": {"field": "updated_at", "order": "desc"}, "pagination": {"per_page": per_page}});
    let views: Vec<Value> = views.iter().map(|q| search(q, 50)).collect();

    // The conversations to open, with their first contact.
    let mut opened: Vec<(String, String)> = Vec::new();
    let mut after: Option<String> = None;
    while opened.len() < CONVERSATIONS {
        let mut body = search(&open, 150);
        if let Some(cursor) = &after {
            body["pagination"]["starting_after"] = json!(cursor);
        }
        let page = api.post("/conversations/search", &body).await.context("POST /conversations/search")?;
        let conversations = page["conversations"].as_array().cloned().unwrap_or_default();
        for c in &conversations {
            if let (Some(id), Some(contact)) = (id_of(&c["id"]), id_of(&c["contacts"]["contacts"][0]["id"])) {
                opened.push((id, contact));
            }
        }
        after = page["pages"]["next"]["starting_after"].as_str().map(str::to_string);
        if conversations.is_empty() || after.is_none() {
            break;
        }
    }
    anyhow::ensure!(!opened.is_empty(), "the workspace has no open conversation (seed it first: docs/BENCHMARKS.md)");

    let names = [
        "  list search (inbox)",
        "  GET /inbox/counts",
        "  GET /conversations/{id}",
        "  GET contact",
        "  GET contact companies",
        "  GET contact notes",
        "  GET contact events",
        "  GET contact tags",
        "  search contact_ids (panel)",
    ];
    let mut ops = Vec::new();
    for view in ["inbox view", "conversation view"] {
        let deadline = Instant::now() + Duration::from_secs(seconds);
        let started = Instant::now();
        let mut workers = Vec::new();
        for agent in 0..concurrency {
            // Each agent its own client: its own keep-alive connections, as a browser has.
            let api = Api::new(base_url, token)?;
            let (views, opened) = (views.clone(), opened.clone());
            workers.push(tokio::spawn(async move {
                let mut tally = Tally::new();
                let mut requests: Vec<Tally> = names.iter().map(|_| Tally::new()).collect();
                let mut turn = agent;
                while Instant::now() < deadline {
                    let t = Instant::now();
                    let result = if view == "inbox view" {
                        inbox(&api, &views[turn % views.len()], &mut requests).await
                    } else {
                        let (conversation, contact) = &opened[turn % opened.len()];
                        conversation_view(&api, conversation, contact, &mut requests).await
                    };
                    tally.record(t, result);
                    turn += concurrency;
                }
                (tally, requests)
            }));
        }
        let mut tally = Tally::new();
        let mut requests: Vec<Tally> = names.iter().map(|_| Tally::new()).collect();
        for worker in workers {
            let (t, r) = worker.await?;
            tally = tally.merge(t);
            requests = requests.into_iter().zip(r).map(|(a, b)| a.merge(b)).collect();
        }
        let seconds = started.elapsed().as_secs_f64();
        ops.push(tally.report(view, seconds));
        for (name, t) in names.iter().zip(requests) {
            if t.ok + t.errors > 0 {
                ops.push(t.report(name, seconds));
            }
        }
    }
    Ok(BenchReport { name: "views".into(), concurrency, ops, server_cpu: None })
}

/// One request and how long it took (the answer read whole).
async fn timed(
    api: &Api,
    method: reqwest::Method,
    path: String,
    body: Option<Value>,
) -> (Duration, anyhow::Result<()>) {
    let t = Instant::now();
    let result = api.call_raw(method, &path, body.as_ref()).await.map(|_| ());
    (t.elapsed(), result)
}

/// Records a request's latency (or error) in `requests[index]` and passes its error on.
fn settle(requests: &mut [Tally], index: usize, (took, result): (Duration, anyhow::Result<()>)) -> anyhow::Result<()> {
    let error = result.as_ref().err().map(|e| anyhow::anyhow!("{e}"));
    // `Tally::record` measures from a start: the one that makes the elapsed time `took`.
    let started = Instant::now().checked_sub(took).unwrap_or_else(Instant::now);
    requests[index].record(started, result);
    match error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// The inbox view: the list search and the counts in parallel.
async fn inbox(api: &Api, view: &Value, requests: &mut [Tally]) -> anyhow::Result<()> {
    let (list, counts) = tokio::join!(
        timed(api, reqwest::Method::POST, "/conversations/search".into(), Some(view.clone())),
        timed(api, reqwest::Method::GET, "/inbox/counts?state=open".into(), None),
    );
    let list = settle(requests, 0, list);
    let counts = settle(requests, 1, counts);
    list.and(counts)
}

/// The conversation view: the conversation, then the context panel's six requests in parallel.
async fn conversation_view(api: &Api, conversation: &str, contact: &str, requests: &mut [Tally]) -> anyhow::Result<()> {
    let get = reqwest::Method::GET;
    let first = timed(api, get.clone(), format!("/conversations/{conversation}"), None).await;
    settle(requests, 2, first)?;
    let previous = json!({
        "query": {"field": "contact_ids", "operator": "=", "value": contact},
        "sort": {"field": "updated_at", "order": "desc"},
        "pagination": {"per_page": 6},
    });
    let answers = tokio::join!(
        timed(api, get.clone(), format!("/contacts/{contact}"), None),
        timed(api, get.clone(), format!("/contacts/{contact}/companies"), None),
        timed(api, get.clone(), format!("/contacts/{contact}/notes"), None),
        timed(api, get.clone(), format!("/events?type=user&intercom_user_id={contact}&per_page=10"), None),
        timed(api, get.clone(), format!("/contacts/{contact}/tags"), None),
        timed(api, reqwest::Method::POST, "/conversations/search".into(), Some(previous)),
    );
    let results = [
        settle(requests, 3, answers.0),
        settle(requests, 4, answers.1),
        settle(requests, 5, answers.2),
        settle(requests, 6, answers.3),
        settle(requests, 7, answers.4),
        settle(requests, 8, answers.5),
    ];
    results.into_iter().collect()
}
