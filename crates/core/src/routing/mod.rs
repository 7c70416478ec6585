//! Assignment rules: an ordered rule set evaluated against one conversation (with its contact,
//! company and the time), returning a [`Trace`] that says for every rule whether it matched and
//! why not, the actions taken and the final assignee. Pure: the live path, the simulator and the
//! impact preview all call [`RuleSet::evaluate`].
//!
//! JSON shapes (see `docs/API.md`, "Assignment rules"):
//!
//! ```json
//! {"rules": [{"id": "vip", "name": "VIP to the VIP team", "enabled": true, "stop_processing": true,
//!   "conditions": {"all": [{"field": "company.plan", "op": "eq", "value": "enterprise"}]},
//!   "actions": [{"type": "assign_team", "team_id": 3}, {"type": "set_priority", "priority": true}]}]}
//! ```
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::ids::{AdminId, TeamId};
use crate::office_hours::BusinessClock;

mod condition;
pub mod conflicts;
pub mod distribute;
pub mod language;
#[cfg(test)]
mod tests;

pub use condition::{Condition, Failure, Op, Root, Test, CONVERSATION_FIELDS, MAX_DEPTH, MAX_REGEX_LEN};

/// Most rules a rule set holds.
pub const MAX_RULES: usize = 200;
/// Most actions one rule takes.
pub const MAX_ACTIONS: usize = 20;

/// Why a rule set was refused: the offending rule/condition path (`rules[2].conditions.all[0]`)
/// and what is wrong there.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("{path}: {message}")]
pub struct RuleError {
    pub path: String,
    pub message: String,
}

/// What a rule does when it matches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum RuleAction {
    AssignTeam {
        team_id: TeamId,
    },
    AssignTeammate {
        admin_id: AdminId,
    },
    /// Applies the tag with this name (created when missing).
    Tag {
        tag: String,
    },
    SetPriority {
        priority: bool,
    },
    AddNote {
        body: String,
    },
    Snooze {
        minutes: i64,
    },
    CloseWithMessage {
        body: String,
    },
    /// Applies an SLA policy (its clocks are `rapport_core::sla`; the store applies it).
    ApplySla {
        policy_id: i64,
    },
    /// Replies to the customer with a saved reply, its variables filled for the conversation.
    SendSavedReply {
        saved_reply_id: i64,
    },
}

impl RuleAction {
    fn validate(&self, path: &str) -> Result<(), RuleError> {
        let bad = |message: &str| Err(RuleError { path: path.to_string(), message: message.to_string() });
        match self {
            RuleAction::AssignTeam { team_id } if team_id.get() < 1 => bad("ids are positive integers"),
            RuleAction::AssignTeammate { admin_id } if admin_id.get() < 1 => bad("ids are positive integers"),
            RuleAction::ApplySla { policy_id: id } | RuleAction::SendSavedReply { saved_reply_id: id } if *id < 1 => {
                bad("ids are positive integers")
            }
            RuleAction::Tag { tag } if tag.trim().is_empty() => bad("tag must not be empty"),
            RuleAction::AddNote { body } | RuleAction::CloseWithMessage { body } if body.trim().is_empty() => {
                bad("body must not be empty")
            }
            RuleAction::Snooze { minutes } if !(1..=525_600).contains(minutes) => {
                bad("minutes must be between 1 and 525600 (a year)")
            }
            _ => Ok(()),
        }
    }
}

/// One rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Stable id chosen by the author (`[a-z0-9_-]`, unique in the set).
    pub id: String,
    pub name: String,
    pub enabled: bool,
    pub conditions: Condition,
    pub actions: Vec<RuleAction>,
    /// When the rule matches, later rules are not evaluated.
    pub stop_processing: bool,
}

/// An ordered list of rules: the first matching rule with `stop_processing` ends evaluation.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
}

fn field<'a>(object: &'a Map<String, Value>, key: &str, path: &str) -> Result<&'a Value, RuleError> {
    object.get(key).ok_or_else(|| RuleError { path: path.to_string(), message: format!("{key} is required") })
}

impl Rule {
    fn parse(value: &Value, path: &str) -> Result<Rule, RuleError> {
        let bad = |p: &str, m: String| RuleError { path: p.to_string(), message: m };
        let object = value.as_object().ok_or_else(|| bad(path, "a rule must be an object".into()))?;
        const KEYS: [&str; 6] = ["id", "name", "enabled", "conditions", "actions", "stop_processing"];
        if let Some(key) = object.keys().find(|k| !KEYS.contains(&k.as_str())) {
            return Err(bad(path, format!("unknown key {key:?} (a rule has {})", KEYS.join(", "))));
        }
        let id = field(object, "id", path)?.as_str().unwrap_or_default();
        let id_ok = (1..=64).contains(&id.len())
            && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        if !id_ok {
            return Err(bad(&format!("{path}.id"), "id must be 1-64 characters of a-z, 0-9, _ and -".into()));
        }
        let name = field(object, "name", path)?.as_str().map(str::trim).unwrap_or_default();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(bad(&format!("{path}.name"), "name must be 1-200 characters".into()));
        }
        let flag = |key: &str, default: bool| match object.get(key) {
            None => Ok(default),
            Some(v) => v.as_bool().ok_or_else(|| bad(&format!("{path}.{key}"), format!("{key} must be true or false"))),
        };
        let enabled = flag("enabled", true)?;
        let stop_processing = flag("stop_processing", true)?;
        let conditions_path = format!("{path}.conditions");
        let conditions = match object.get("conditions") {
            None => Condition::All(Vec::new()),
            Some(c) => Condition::parse(c, &conditions_path)?,
        };
        let actions_path = format!("{path}.actions");
        let list = field(object, "actions", path)?
            .as_array()
            .ok_or_else(|| bad(&actions_path, "actions must be a list".into()))?;
        if list.is_empty() || list.len() > MAX_ACTIONS {
            return Err(bad(&actions_path, format!("a rule takes 1 to {MAX_ACTIONS} actions")));
        }
        let mut actions = Vec::with_capacity(list.len());
        for (i, action) in list.iter().enumerate() {
            let action_path = format!("{actions_path}[{i}]");
            let action: RuleAction =
                serde_json::from_value(action.clone()).map_err(|e| bad(&action_path, e.to_string()))?;
            action.validate(&action_path)?;
            actions.push(action);
        }
        Ok(Rule { id: id.to_string(), name: name.to_string(), enabled, conditions, actions, stop_processing })
    }

    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "enabled": self.enabled,
            "stop_processing": self.stop_processing,
            "conditions": self.conditions.to_json(),
            "actions": self.actions,
        })
    }
}

impl RuleSet {
    /// Parses and validates `{"rules": [...]}`. The first error names its path.
    pub fn parse(value: &Value) -> Result<RuleSet, RuleError> {
        let bad = |p: &str, m: &str| RuleError { path: p.to_string(), message: m.to_string() };
        let object = value.as_object().ok_or_else(|| bad("", "the rule set must be an object {\"rules\": [...]}"))?;
        if let Some(key) = object.keys().find(|k| *k != "rules") {
            return Err(bad(key, "unknown key (the rule set has only rules)"));
        }
        let list = object.get("rules").and_then(Value::as_array).ok_or_else(|| bad("rules", "rules must be a list"))?;
        if list.len() > MAX_RULES {
            return Err(bad("rules", &format!("a rule set holds at most {MAX_RULES} rules")));
        }
        let mut rules: Vec<Rule> = Vec::with_capacity(list.len());
        for (i, rule) in list.iter().enumerate() {
            let path = format!("rules[{i}]");
            let rule = Rule::parse(rule, &path)?;
            if rules.iter().any(|r| r.id == rule.id) {
                return Err(bad(&format!("{path}.id"), &format!("another rule already has id {:?}", rule.id)));
            }
            rules.push(rule);
        }
        Ok(RuleSet { rules })
    }

    /// Parses stored JSON text (validated when written); unreadable text reads as no rules.
    pub fn from_stored(text: &str) -> RuleSet {
        serde_json::from_str(text).ok().and_then(|v| RuleSet::parse(&v).ok()).unwrap_or_default()
    }

    /// The canonical JSON form.
    pub fn to_json(&self) -> Value {
        json!({"rules": self.rules.iter().map(Rule::to_json).collect::<Vec<_>>()})
    }

    /// Every action that names another record (a team, a teammate, a saved reply) with its path
    /// (`rules[0].actions[1]`), for the caller to check that the record exists.
    pub fn references(&self) -> Vec<(String, &RuleAction)> {
        let mut found = Vec::new();
        for (i, rule) in self.rules.iter().enumerate() {
            for (j, action) in rule.actions.iter().enumerate() {
                let names_a_record = matches!(
                    action,
                    RuleAction::AssignTeam { .. }
                        | RuleAction::AssignTeammate { .. }
                        | RuleAction::SendSavedReply { .. }
                );
                if names_a_record {
                    found.push((format!("rules[{i}].actions[{j}]"), action));
                }
            }
        }
        found
    }

    /// What changed from `self` to `after`, by rule id: `{"added": [ids], "removed": [ids],
    /// "changed": [{"id", "before", "after"}], "reordered": bool}` (for the audit log).
    pub fn diff(&self, after: &RuleSet) -> Value {
        let find = |set: &'_ RuleSet, id: &str| set.rules.iter().position(|r| r.id == id);
        let added: Vec<&str> =
            after.rules.iter().filter(|r| find(self, &r.id).is_none()).map(|r| r.id.as_str()).collect();
        let removed: Vec<&str> =
            self.rules.iter().filter(|r| find(after, &r.id).is_none()).map(|r| r.id.as_str()).collect();
        let mut changed = Vec::new();
        for rule in &after.rules {
            if let Some(i) = find(self, &rule.id) {
                let (before, now) = (self.rules[i].to_json(), rule.to_json());
                if before != now {
                    changed.push(json!({"id": rule.id, "before": before, "after": now}));
                }
            }
        }
        let kept = |set: &RuleSet, other: &RuleSet| -> Vec<String> {
            set.rules.iter().filter(|r| find(other, &r.id).is_some()).map(|r| r.id.clone()).collect()
        };
        json!({"added": added, "removed": removed, "changed": changed, "reordered": kept(self, after) != kept(after, self)})
    }

    /// Runs the rules in order against `subject`, explaining every rule that did not match.
    pub fn evaluate<'a>(&'a self, subject: &'a Subject) -> Trace<'a> {
        self.run(subject, true)
    }

    /// Runs the rules like [`RuleSet::evaluate`] without building the explanations of rules that
    /// did not match (the live path, which only needs the actions and the assignee).
    pub fn decide<'a>(&'a self, subject: &'a Subject) -> Trace<'a> {
        self.run(subject, false)
    }

    fn run<'a>(&'a self, subject: &'a Subject, explain: bool) -> Trace<'a> {
        let mut trace = Trace {
            rules: Vec::with_capacity(self.rules.len()),
            actions: Vec::new(),
            assignee: Assignment { team_id: subject.team_assignee_id(), admin_id: subject.admin_assignee_id() },
            stopped_by: None,
            language: explain.then(|| subject.language()),
        };
        for rule in &self.rules {
            let outcome = if trace.stopped_by.is_some() {
                RuleTrace::new(rule, Outcome::NotReached, None)
            } else if !rule.enabled {
                RuleTrace::new(rule, Outcome::Disabled, None)
            } else {
                let checked = if explain {
                    rule.conditions.check(subject, "conditions").map_err(Some)
                } else if rule.conditions.holds(subject) {
                    Ok(())
                } else {
                    Err(None)
                };
                match checked {
                    Err(failure) => RuleTrace::new(rule, Outcome::NotMatched, failure),
                    Ok(()) => {
                        for action in &rule.actions {
                            trace.assignee.apply(action);
                            trace.actions.push(TakenAction { rule_id: &rule.id, action });
                        }
                        if rule.stop_processing {
                            trace.stopped_by = Some(&rule.id);
                        }
                        RuleTrace::new(rule, Outcome::Matched, None)
                    }
                }
            };
            trace.rules.push(outcome);
        }
        trace
    }
}

/// What the rules see: the conversation, its contact and company as JSON objects, and the time.
///
/// `conversation` holds `channel`, `text` (the first message), `subject`, `page_url`, `priority`,
/// `tags` (names), `state`, `team_assignee_id`, `admin_assignee_id`, `custom_attributes`;
/// `contact` and `company` hold their standard attributes, `tags` and `custom_attributes`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Subject {
    #[serde(default)]
    pub conversation: Map<String, Value>,
    #[serde(default)]
    pub contact: Map<String, Value>,
    #[serde(default)]
    pub company: Map<String, Value>,
    /// Unix seconds the rules run at.
    pub now: i64,
    /// Whether `now` is inside the workspace's office hours (see [`Subject::at`]).
    #[serde(default = "yes")]
    pub inside_office_hours: bool,
    /// The detected language of `conversation.text`, worked out the first time a rule asks
    /// (leave it `Default::default()`).
    #[serde(skip)]
    pub language: language::Detected,
}

fn yes() -> bool {
    true
}

impl Subject {
    /// Sets the time and whether it falls inside the hours of `clock` (weekly hours on its
    /// timezone's wall clock, holidays closed).
    pub fn at(mut self, now: i64, clock: &BusinessClock) -> Subject {
        self.now = now;
        self.inside_office_hours = clock.is_open(now);
        self
    }

    fn office_hours_value(&self) -> &'static Value {
        static VALUES: std::sync::OnceLock<(Value, Value)> = std::sync::OnceLock::new();
        let (inside, outside) = VALUES.get_or_init(|| (json!("inside"), json!("outside")));
        if self.inside_office_hours {
            inside
        } else {
            outside
        }
    }

    /// The language of the first message (`conversation.text`) as an ISO 639-1 code, or
    /// `"unknown"` when it is too short or ambiguous (see [`language`]).
    pub fn language(&self) -> &str {
        self.language_value().as_str().unwrap_or(language::UNKNOWN)
    }

    fn language_value(&self) -> &Value {
        self.language.0.get_or_init(|| {
            let text = self.conversation.get("text").and_then(Value::as_str).unwrap_or_default();
            Value::String(language::detect(text).to_string())
        })
    }

    fn team_assignee_id(&self) -> Option<TeamId> {
        self.conversation.get("team_assignee_id").and_then(Value::as_i64).map(TeamId::new)
    }

    fn admin_assignee_id(&self) -> Option<AdminId> {
        self.conversation.get("admin_assignee_id").and_then(Value::as_i64).map(AdminId::new)
    }
}

/// How a rule fared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Matched,
    NotMatched,
    Disabled,
    /// An earlier matching rule stopped processing.
    NotReached,
}

/// One rule's line in a trace.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleTrace<'a> {
    pub rule_id: &'a str,
    pub name: &'a str,
    pub outcome: Outcome,
    /// For `not_matched` (when explained): the condition that failed and the value it saw.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<Failure<'a>>,
}

impl<'a> RuleTrace<'a> {
    fn new(rule: &'a Rule, outcome: Outcome, failure: Option<Failure<'a>>) -> RuleTrace<'a> {
        RuleTrace { rule_id: &rule.id, name: &rule.name, outcome, failure }
    }
}

/// An action a matching rule takes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TakenAction<'a> {
    pub rule_id: &'a str,
    pub action: &'a RuleAction,
}

/// Who the conversation is assigned to after the rules (a team assignment without a teammate is
/// completed by the team's distribution method on the live path).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Assignment {
    pub team_id: Option<TeamId>,
    pub admin_id: Option<AdminId>,
}

impl Assignment {
    fn apply(&mut self, action: &RuleAction) {
        match action {
            RuleAction::AssignTeam { team_id } => {
                self.team_id = Some(*team_id);
                self.admin_id = None;
            }
            RuleAction::AssignTeammate { admin_id } => self.admin_id = Some(*admin_id),
            _ => {}
        }
    }
}

/// The step-by-step result of running a rule set (borrowing the rules and the subject).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trace<'a> {
    pub rules: Vec<RuleTrace<'a>>,
    pub actions: Vec<TakenAction<'a>>,
    /// The assignment after the rules (the conversation's own when no rule assigns).
    pub assignee: Assignment,
    /// The rule that stopped processing, if one did.
    pub stopped_by: Option<&'a str>,
    /// The detected language of the first message (explained traces only: the simulator shows it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<&'a str>,
}
