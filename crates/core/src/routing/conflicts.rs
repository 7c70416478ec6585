//! Conflict analysis of a rule set, reported before publishing: rules that can never match,
//! rules shadowed by an earlier stop rule, overlapping rules whose actions contradict, and
//! assignment loops.
//!
//! The analysis reasons about conjunctions of tests (`all` groups, nested `all`s, single-child
//! `any`s). A rule whose conditions use `any`/`none` groups is only judged where that is sound:
//! it is never reported as shadowed or contradictory on a guess.
use serde::Serialize;
use serde_json::Value;

use super::{Condition, Op, Rule, RuleAction, RuleSet, Test};
use crate::ids::{AdminId, TeamId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConflictKind {
    /// The rule's conditions contradict each other.
    NeverMatches,
    /// An earlier rule that stops processing matches whenever this one would.
    Shadowed,
    /// Both rules can match the same conversation and set different assignees or priorities.
    ContradictoryActions,
    /// Rules conditioned on the current assignee reassign in a cycle.
    AssignmentLoop,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conflict {
    pub kind: ConflictKind,
    /// The rules involved, in rule-set order (for a loop, in cycle order).
    pub rule_ids: Vec<String>,
    pub message: String,
}

/// Analyses the enabled rules of `set`.
pub fn analyse(set: &RuleSet) -> Vec<Conflict> {
    let rules: Vec<(&Rule, Option<Vec<&Test>>, bool)> = set
        .rules
        .iter()
        .filter(|r| r.enabled)
        .map(|r| (r, conjunction(&r.conditions), never_matches(&r.conditions)))
        .collect();
    let mut found = Vec::new();
    for (rule, _, never) in &rules {
        if *never {
            found.push(Conflict {
                kind: ConflictKind::NeverMatches,
                rule_ids: vec![rule.id.clone()],
                message: format!("rule {:?} can never match: its conditions contradict each other", rule.name),
            });
        }
    }
    for (i, (later, later_tests, later_never)) in rules.iter().enumerate() {
        let Some(later_tests) = later_tests.as_ref().filter(|_| !later_never) else { continue };
        for (earlier, earlier_tests, earlier_never) in &rules[..i] {
            let Some(earlier_tests) = earlier_tests.as_ref().filter(|_| !earlier_never) else { continue };
            if earlier.stop_processing {
                if earlier_tests.iter().all(|e| later_tests.iter().any(|l| implies(l, e))) {
                    found.push(Conflict {
                        kind: ConflictKind::Shadowed,
                        rule_ids: vec![earlier.id.clone(), later.id.clone()],
                        message: format!(
                            "rule {:?} never runs: the earlier rule {:?} matches whenever it would and stops processing",
                            later.name, earlier.name
                        ),
                    });
                    break;
                }
                continue;
            }
            let overlap = !earlier_tests.iter().any(|e| later_tests.iter().any(|l| contradicts(e, l)));
            if overlap {
                if let Some(what) = contradicting_actions(&earlier.actions, &later.actions) {
                    found.push(Conflict {
                        kind: ConflictKind::ContradictoryActions,
                        rule_ids: vec![earlier.id.clone(), later.id.clone()],
                        message: format!(
                            "rules {:?} and {:?} can match the same conversation and set different {what}; the later one wins",
                            earlier.name, later.name
                        ),
                    });
                }
            }
        }
    }
    found.extend(loops(&rules));
    found
}

/// The tests a condition is the conjunction of, when it is one.
fn conjunction(condition: &Condition) -> Option<Vec<&Test>> {
    match condition {
        Condition::Test(t) => Some(vec![t]),
        Condition::All(children) => {
            let mut tests = Vec::new();
            for child in children {
                tests.extend(conjunction(child)?);
            }
            Some(tests)
        }
        Condition::Any(children) if children.len() == 1 => conjunction(&children[0]),
        _ => None,
    }
}

/// Whether a condition can hold for no conversation at all.
fn never_matches(condition: &Condition) -> bool {
    match condition {
        Condition::Test(_) => false,
        Condition::Any(children) => children.iter().all(never_matches),
        Condition::None(_) => false,
        Condition::All(children) => {
            if children.iter().any(never_matches) {
                return true;
            }
            let tests: Vec<&Test> = children.iter().filter_map(conjunction).flatten().collect();
            tests.iter().enumerate().any(|(i, a)| tests[i + 1..].iter().any(|b| contradicts(a, b)))
        }
    }
}

/// Whether a field holds a list (tags), where several equalities can hold at once.
fn is_list(test: &Test) -> bool {
    test.field.ends_with(".tags")
}

/// The values a test allows, when it allows only finitely many (`eq`, `in`).
fn finite_values(test: &Test) -> Option<Vec<&Value>> {
    match test.op {
        Op::Eq => Some(vec![&test.value]),
        Op::In => test.value.as_array().map(|a| a.iter().collect()),
        _ => None,
    }
}

/// A numeric interval `(low, low inclusive, high, high inclusive)`.
type Interval = (f64, bool, f64, bool);

fn interval(test: &Test) -> Option<Interval> {
    let v = test.value.as_f64()?;
    Some(match test.op {
        Op::Gt => (v, false, f64::INFINITY, false),
        Op::Gte => (v, true, f64::INFINITY, false),
        Op::Lt => (f64::NEG_INFINITY, false, v, false),
        Op::Lte => (f64::NEG_INFINITY, false, v, true),
        Op::Eq => (v, true, v, true),
        _ => return None,
    })
}

fn empty((lo, lo_in, hi, hi_in): Interval) -> bool {
    lo > hi || (lo == hi && !(lo_in && hi_in))
}

fn intersect(a: Interval, b: Interval) -> Interval {
    let low = if a.0 > b.0 || (a.0 == b.0 && !a.1) { (a.0, a.1) } else { (b.0, b.1) };
    let high = if a.2 < b.2 || (a.2 == b.2 && !a.3) { (a.2, a.3) } else { (b.2, b.3) };
    (low.0, low.1, high.0, high.1)
}

/// Whether tests `a` and `b` can never hold together.
pub fn contradicts(a: &Test, b: &Test) -> bool {
    if a.field != b.field || is_list(a) {
        return false;
    }
    if matches!((a.op, b.op), (Op::Exists, Op::NotExists) | (Op::NotExists, Op::Exists)) {
        return true;
    }
    let value_contradicts = |x: &Test, y: &Test| {
        finite_values(x).is_some_and(|values| values.iter().all(|v| !y.holds_on(Some(v), 0)))
            && !matches!(y.op, Op::WithinLastDays | Op::MoreThanDaysAgo)
    };
    if value_contradicts(a, b) || value_contradicts(b, a) {
        return true;
    }
    match (interval(a), interval(b)) {
        (Some(x), Some(y)) if a.op.is_numeric() && b.op.is_numeric() => empty(intersect(x, y)),
        _ => false,
    }
}

/// Whether test `a` holding means test `b` holds.
pub fn implies(a: &Test, b: &Test) -> bool {
    if a == b {
        return true;
    }
    if a.field != b.field || is_list(a) || matches!(b.op, Op::WithinLastDays | Op::MoreThanDaysAgo) {
        return false;
    }
    if b.op == Op::Exists && !matches!(a.op, Op::NotExists | Op::Ne | Op::NotContains | Op::NotIn) {
        return true;
    }
    if let Some(values) = finite_values(a) {
        return values.iter().all(|v| b.holds_on(Some(v), 0));
    }
    match (interval(a), interval(b)) {
        (Some(x), Some(y)) if a.op.is_numeric() && b.op.is_numeric() => intersect(x, y) == x,
        _ => false,
    }
}

/// What two rules' actions set differently, when both set it.
fn contradicting_actions(first: &[RuleAction], second: &[RuleAction]) -> Option<&'static str> {
    let last = |actions: &[RuleAction], pick: fn(&RuleAction) -> Option<i64>| actions.iter().rev().find_map(pick);
    let team = |a: &RuleAction| match a {
        RuleAction::AssignTeam { team_id } => Some(team_id.get()),
        _ => None,
    };
    let teammate = |a: &RuleAction| match a {
        RuleAction::AssignTeammate { admin_id } => Some(admin_id.get()),
        _ => None,
    };
    let priority = |a: &RuleAction| match a {
        RuleAction::SetPriority { priority } => Some(*priority as i64),
        _ => None,
    };
    let differs = |pick: fn(&RuleAction) -> Option<i64>| match (last(first, pick), last(second, pick)) {
        (Some(x), Some(y)) => x != y,
        _ => false,
    };
    if differs(team) {
        Some("teams")
    } else if differs(teammate) {
        Some("teammates")
    } else if differs(priority) {
        Some("priorities")
    } else {
        None
    }
}

/// Where a conversation can be assigned: a team or a teammate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Place {
    Team(TeamId),
    Teammate(AdminId),
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Place::Team(id) => write!(f, "team {id}"),
            Place::Teammate(id) => write!(f, "teammate {id}"),
        }
    }
}

/// Cycles among rules that, seeing the conversation with a team or teammate X (`team_assignee_id`
/// or `admin_assignee_id` `eq`/`in` X), assign it to another team or teammate Y. Teams and
/// teammates are one graph, so a rule sending team 1's conversations to teammate 5 and another
/// sending teammate 5's back to team 1 (whose distribution hands them on) is a loop too.
/// Reassignment when a teammate goes away adds no edge: it runs once, when away mode is turned on,
/// never picks an away teammate, and does not run the rules.
fn loops(rules: &[(&Rule, Option<Vec<&Test>>, bool)]) -> Vec<Conflict> {
    // Edges from → to, with the rule making them.
    let mut edges: Vec<(Place, Place, &Rule)> = Vec::new();
    for (rule, tests, never) in rules {
        let (Some(tests), false) = (tests, never) else { continue };
        let team = rule.actions.iter().rev().find_map(|a| match a {
            RuleAction::AssignTeam { team_id } => Some(Place::Team(*team_id)),
            _ => None,
        });
        let teammate = rule.actions.iter().rev().find_map(|a| match a {
            RuleAction::AssignTeammate { admin_id } => Some(Place::Teammate(*admin_id)),
            _ => None,
        });
        let targets: Vec<Place> = team.into_iter().chain(teammate).collect();
        for test in tests.iter() {
            let place: fn(i64) -> Place = match test.field.as_str() {
                "conversation.team_assignee_id" => |id| Place::Team(TeamId::new(id)),
                "conversation.admin_assignee_id" => |id| Place::Teammate(AdminId::new(id)),
                _ => continue,
            };
            for from in finite_values(test).unwrap_or_default().into_iter().filter_map(Value::as_i64).map(place) {
                for to in targets.iter().filter(|to| **to != from) {
                    edges.push((from, *to, rule));
                }
            }
        }
    }
    let mut found: Vec<Conflict> = Vec::new();
    let mut reported: Vec<Vec<Place>> = Vec::new();
    for &(start, _, _) in &edges {
        // Depth-first search for a path back to `start`.
        let mut stack: Vec<(Place, Vec<usize>)> = vec![(start, Vec::new())];
        while let Some((node, path)) = stack.pop() {
            for (e, &(from, to, _)) in edges.iter().enumerate() {
                if from != node || path.contains(&e) || path.len() > edges.len() {
                    continue;
                }
                let mut next = path.clone();
                next.push(e);
                if to == start {
                    let mut nodes: Vec<Place> = next.iter().map(|&i| edges[i].0).collect();
                    nodes.sort_unstable();
                    if !reported.contains(&nodes) {
                        reported.push(nodes);
                        let ids: Vec<String> = next.iter().map(|&i| edges[i].2.id.clone()).collect();
                        let cycle: Vec<String> = next.iter().map(|&i| edges[i].0.to_string()).collect();
                        found.push(Conflict {
                            kind: ConflictKind::AssignmentLoop,
                            message: format!(
                                "rules {} reassign in a cycle ({} → back): a conversation would bounce between them",
                                ids.join(", "),
                                cycle.join(" → ")
                            ),
                            rule_ids: ids,
                        });
                    }
                } else if !next.iter().any(|&i| edges[i].0 == to) {
                    stack.push((to, next));
                }
            }
        }
    }
    found
}
