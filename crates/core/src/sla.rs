//! SLA policies and the state of one conversation's SLA, computed from what happened in it.
//!
//! A policy has up to three targets, in counted seconds (business hours of the conversation's
//! team, else the workspace's; or calendar time):
//! - `first_response`: from when the policy was applied until the first teammate reply;
//! - `next_response`: each time the customer writes after a teammate replied, until the next
//!   teammate reply (so it never runs while the team waits on the customer);
//! - `time_to_close`: from when the policy was applied until the first close; it does not run
//!   while the team waits on the customer (the last message is a teammate's).
//!
//! No target runs while the conversation is snoozed or closed. A target is met when its end
//! comes *before* `due_at` (when `target` counted seconds have passed); it is breached from
//! `due_at` on. It is at risk once no more than `at_risk_percent` of the target is left.
//!
//! Evaluation is a pure function of the policy, the clock, the instant the policy was applied,
//! the conversation's timeline and `now`, so the sweep, the live path and tests agree.
use serde::Serialize;
use serde_json::{json, Value};

use crate::office_hours::BusinessClock;

/// The longest target: a year.
pub const MAX_TARGET_SECONDS: i64 = 366 * 24 * 3600;

/// Why a policy was refused: the field and the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct PolicyError {
    pub field: &'static str,
    pub message: String,
}

/// The targets of an SLA policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Policy {
    pub first_response_seconds: Option<i64>,
    pub next_response_seconds: Option<i64>,
    pub time_to_close_seconds: Option<i64>,
    /// Count only office hours (`true`) or every second.
    pub business_hours: bool,
    /// At risk once this percentage of a target (or less) is left; 0 turns at-risk off.
    pub at_risk_percent: i64,
}

impl Policy {
    /// Default at-risk threshold: a fifth of the target left.
    pub const DEFAULT_AT_RISK_PERCENT: i64 = 20;

    pub fn validate(&self) -> Result<(), PolicyError> {
        let targets = [
            ("first_response_seconds", self.first_response_seconds),
            ("next_response_seconds", self.next_response_seconds),
            ("time_to_close_seconds", self.time_to_close_seconds),
        ];
        for (field, value) in targets {
            if let Some(v) = value {
                if !(1..=MAX_TARGET_SECONDS).contains(&v) {
                    return Err(PolicyError { field, message: format!("must be between 1 and {MAX_TARGET_SECONDS}") });
                }
            }
        }
        if targets.iter().all(|(_, v)| v.is_none()) {
            return Err(PolicyError {
                field: "first_response_seconds",
                message: "a policy needs at least one of first_response_seconds, next_response_seconds, time_to_close_seconds".into(),
            });
        }
        if !(0..=99).contains(&self.at_risk_percent) {
            return Err(PolicyError { field: "at_risk_percent", message: "must be between 0 and 99".into() });
        }
        Ok(())
    }

    fn targets(&self) -> impl Iterator<Item = (Target, i64)> {
        [
            (Target::FirstResponse, self.first_response_seconds),
            (Target::NextResponse, self.next_response_seconds),
            (Target::TimeToClose, self.time_to_close_seconds),
        ]
        .into_iter()
        .filter_map(|(t, s)| s.map(|s| (t, s)))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    FirstResponse,
    NextResponse,
    TimeToClose,
}

impl Target {
    pub fn as_str(self) -> &'static str {
        match self {
            Target::FirstResponse => "first_response",
            Target::NextResponse => "next_response",
            Target::TimeToClose => "time_to_close",
        }
    }
}

/// Something that happened in the conversation, as the clocks see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Happening {
    /// The customer wrote.
    CustomerMessage,
    /// A teammate wrote to the customer (notes do not count).
    TeamReply,
    /// Snoozed until the given instant (or until reopened or the customer writes).
    Snoozed {
        until: i64,
    },
    Opened,
    Closed,
}

/// A happening at a unix instant; a timeline is sorted by `at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Moment {
    pub at: i64,
    pub what: Happening,
}

/// How one target stands at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    OnTrack,
    AtRisk,
    Breached,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::OnTrack => "on_track",
            State::AtRisk => "at_risk",
            State::Breached => "breached",
        }
    }
}

/// Intercom's `sla_status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Active,
    Hit,
    Missed,
    Cancelled,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Hit => "hit",
            Status::Missed => "missed",
            Status::Cancelled => "cancelled",
        }
    }
}

/// One run of a target's clock (`next_response` runs once per customer turn).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Run {
    pub target: Target,
    pub seconds: i64,
    /// When this run started (its identity: events name it).
    pub started_at: i64,
    /// When it ended (the reply or close), if it has.
    pub ended_at: Option<i64>,
    /// Counted seconds so far (up to `ended_at` or `now`).
    pub elapsed: i64,
    /// When it breaches if it keeps running; `None` while paused or once ended.
    pub due_at: Option<i64>,
    /// When it becomes at risk if it keeps running (same conditions).
    pub at_risk_at: Option<i64>,
    pub state: State,
    pub status: Status,
}

impl Run {
    /// The event-log key of this run's state, e.g. `first_response@1700000000`.
    pub fn key(&self) -> String {
        format!("{}@{}", self.target.as_str(), self.started_at)
    }

    pub fn to_json(&self) -> Value {
        json!({
            "target": self.target,
            "target_seconds": self.seconds,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "elapsed_seconds": self.elapsed,
            "due_at": self.due_at,
            "at_risk_at": self.at_risk_at,
            "state": self.state,
            "status": self.status,
        })
    }
}

/// The SLA of one conversation at `now`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evaluation {
    /// Every run, in start order (a missed `next_response` run stays listed).
    pub runs: Vec<Run>,
    /// The worst state of the active runs and of missed ones (a miss stays breached).
    pub state: State,
    pub status: Status,
    /// The next instant the state can change without anything happening (the sweep's due time).
    pub next_check_at: Option<i64>,
}

/// A run's clock while it is being replayed.
struct Running {
    target: Target,
    seconds: i64,
    started_at: i64,
    ended_at: Option<i64>,
    /// Counted seconds of closed segments.
    elapsed: i64,
    /// Start of the current counting segment.
    since: Option<i64>,
}

impl Running {
    fn pause(&mut self, clock: &BusinessClock, at: i64) {
        if let Some(since) = self.since.take() {
            self.elapsed += clock.elapsed(since, at);
        }
    }
    fn resume(&mut self, at: i64) {
        if self.ended_at.is_none() && self.since.is_none() {
            self.since = Some(at);
        }
    }
    fn end(&mut self, clock: &BusinessClock, at: i64) {
        self.pause(clock, at);
        self.ended_at = Some(at);
    }
}

/// Replays `timeline` (sorted by time; moments before `applied_at` only set the starting
/// conditions) and reports every run of the policy's targets at `now`.
pub fn evaluate(policy: &Policy, clock: &BusinessClock, applied_at: i64, timeline: &[Moment], now: i64) -> Evaluation {
    let mut snoozed_until: Option<i64> = None;
    let mut closed = false;
    let mut waiting_on_customer = false;
    let mut replied = false;
    for m in timeline.iter().filter(|m| m.at < applied_at) {
        apply_conditions(m, &mut snoozed_until, &mut closed, &mut waiting_on_customer);
    }
    let target = |t: Target| policy.targets().find(|(x, _)| *x == t).map(|(_, s)| s);
    let new_run = |target: Target, seconds: i64, at: i64| Running {
        target,
        seconds,
        started_at: at,
        ended_at: None,
        elapsed: 0,
        since: None,
    };
    let mut runs: Vec<Running> = Vec::new();
    if let Some(s) = target(Target::FirstResponse) {
        runs.push(new_run(Target::FirstResponse, s, applied_at));
    }
    if let Some(s) = target(Target::TimeToClose) {
        runs.push(new_run(Target::TimeToClose, s, applied_at));
    }
    let counts = |r: &Running, snoozed: bool, closed: bool, waiting: bool| {
        !(snoozed || closed || (r.target == Target::TimeToClose && waiting))
    };
    // Resume or pause every run for the conditions at `at`.
    let settle = |runs: &mut Vec<Running>, at: i64, snoozed: bool, closed: bool, waiting: bool| {
        for r in runs.iter_mut() {
            if counts(r, snoozed, closed, waiting) {
                r.resume(at);
            } else {
                r.pause(clock, at);
            }
        }
    };
    settle(&mut runs, applied_at, snoozed_until.is_some_and(|u| u > applied_at), closed, waiting_on_customer);
    for m in timeline.iter().filter(|m| m.at >= applied_at && m.at <= now) {
        // A snooze that ran out before this moment ends at its own instant.
        if let Some(until) = snoozed_until.filter(|u| *u <= m.at) {
            snoozed_until = None;
            settle(&mut runs, until, false, closed, waiting_on_customer);
        }
        match m.what {
            Happening::TeamReply => {
                replied = true;
                for r in runs.iter_mut().filter(|r| r.target != Target::TimeToClose && r.ended_at.is_none()) {
                    r.end(clock, m.at);
                }
            }
            Happening::CustomerMessage => {
                let open_next = runs.iter().any(|r| r.target == Target::NextResponse && r.ended_at.is_none());
                if let (true, false, Some(s)) = (replied, open_next, target(Target::NextResponse)) {
                    runs.push(new_run(Target::NextResponse, s, m.at));
                }
            }
            Happening::Closed => {
                for r in runs.iter_mut().filter(|r| r.target == Target::TimeToClose) {
                    r.end(clock, m.at);
                }
            }
            Happening::Snoozed { .. } | Happening::Opened => {}
        }
        apply_conditions(m, &mut snoozed_until, &mut closed, &mut waiting_on_customer);
        settle(&mut runs, m.at, snoozed_until.is_some(), closed, waiting_on_customer);
    }
    if let Some(until) = snoozed_until.filter(|u| *u <= now) {
        settle(&mut runs, until, false, closed, waiting_on_customer);
    }
    finish(policy, clock, runs, now)
}

fn apply_conditions(m: &Moment, snoozed_until: &mut Option<i64>, closed: &mut bool, waiting: &mut bool) {
    match m.what {
        Happening::CustomerMessage => {
            *waiting = false;
            *snoozed_until = None;
            *closed = false;
        }
        Happening::TeamReply => *waiting = true,
        Happening::Snoozed { until } => *snoozed_until = Some(until),
        Happening::Opened => {
            *snoozed_until = None;
            *closed = false;
        }
        Happening::Closed => {
            *closed = true;
            *snoozed_until = None;
        }
    }
}

fn finish(policy: &Policy, clock: &BusinessClock, runs: Vec<Running>, now: i64) -> Evaluation {
    let mut out = Vec::with_capacity(runs.len());
    let mut next_check_at: Option<i64> = None;
    for r in runs {
        let elapsed = r.elapsed + r.since.map_or(0, |since| clock.elapsed(since, now));
        let threshold = r.seconds * policy.at_risk_percent / 100;
        let risk_from = r.seconds - threshold;
        let (mut due_at, mut at_risk_at) = (None, None);
        if let Some(since) = r.since {
            due_at = clock.deadline(since, r.seconds - r.elapsed);
            if threshold > 0 {
                at_risk_at = clock.deadline(since, (risk_from - r.elapsed).max(0));
            }
        }
        let (state, status) = match r.ended_at {
            Some(_) if elapsed >= r.seconds => (State::Breached, Status::Missed),
            Some(_) => (State::OnTrack, Status::Hit),
            None if elapsed >= r.seconds => (State::Breached, Status::Missed),
            None if threshold > 0 && elapsed >= risk_from => (State::AtRisk, Status::Active),
            None => (State::OnTrack, Status::Active),
        };
        let next = match state {
            State::OnTrack if r.ended_at.is_none() => at_risk_at.or(due_at),
            State::AtRisk => due_at,
            _ => None,
        };
        if let Some(next) = next {
            next_check_at = Some(next_check_at.map_or(next, |n: i64| n.min(next)));
        }
        out.push(Run {
            target: r.target,
            seconds: r.seconds,
            started_at: r.started_at,
            ended_at: r.ended_at,
            elapsed,
            due_at,
            at_risk_at,
            state,
            status,
        });
    }
    let state = out.iter().map(|r| r.state).max_by_key(|s| *s as u8).unwrap_or(State::OnTrack);
    let status = if out.iter().any(|r| r.status == Status::Missed) {
        Status::Missed
    } else if out.iter().any(|r| r.status == Status::Active) {
        Status::Active
    } else {
        Status::Hit
    };
    Evaluation { runs: out, state, status, next_check_at }
}

#[cfg(test)]
mod tests;
