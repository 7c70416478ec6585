use chrono::TimeZone;
use proptest::prelude::*;
use serde_json::{json, Value};

use super::conflicts::{analyse, ConflictKind};
use super::*;
use crate::ids::TeamId;

fn subject(conversation: Value, contact: Value, company: Value) -> Subject {
    Subject {
        conversation: conversation.as_object().cloned().unwrap_or_default(),
        contact: contact.as_object().cloned().unwrap_or_default(),
        company: company.as_object().cloned().unwrap_or_default(),
        now: 1_700_000_000,
        inside_office_hours: true,
        ..Default::default()
    }
}

fn set(rules: Value) -> RuleSet {
    RuleSet::parse(&json!({ "rules": rules })).unwrap()
}

fn vip_rules() -> RuleSet {
    set(json!([
        {"id": "vip", "name": "Enterprise to VIP", "stop_processing": true,
         "conditions": {"all": [{"field": "company.plan", "op": "eq", "value": "enterprise"}]},
         "actions": [{"type": "assign_team", "team_id": 7}, {"type": "set_priority", "priority": true}]},
        {"id": "billing", "name": "Billing words", "stop_processing": false,
         "conditions": {"any": [{"field": "conversation.text", "op": "contains", "value": "invoice"},
                                {"field": "conversation.text", "op": "regex", "value": "refund(s)?"}]},
         "actions": [{"type": "tag", "tag": "billing"}]},
        {"id": "rest", "name": "Everyone else", "actions": [{"type": "assign_team", "team_id": 1}]}
    ]))
}

#[test]
fn a_vip_goes_to_the_vip_team_and_stops() {
    let s = subject(json!({"text": "my invoice"}), json!({"role": "user"}), json!({"plan": "Enterprise"}));
    let rules = vip_rules();
    let trace = rules.evaluate(&s);
    assert_eq!(trace.assignee, Assignment { team_id: Some(TeamId::new(7)), admin_id: None });
    assert_eq!(trace.stopped_by, Some("vip"));
    let outcomes: Vec<Outcome> = trace.rules.iter().map(|r| r.outcome).collect();
    assert_eq!(outcomes, [Outcome::Matched, Outcome::NotReached, Outcome::NotReached]);
    assert_eq!(trace.actions.len(), 2);
}

#[test]
fn a_trace_says_which_condition_failed_and_what_it_saw() {
    let s = subject(json!({"text": "Where is my REFUND?"}), json!({}), json!({"plan": "free"}));
    let rules = vip_rules();
    let trace = rules.evaluate(&s);
    let vip = &trace.rules[0];
    assert_eq!(vip.outcome, Outcome::NotMatched);
    let failure = vip.failure.as_ref().unwrap();
    assert_eq!(failure.path, "conditions.all[0]");
    assert_eq!(failure.field, Some("company.plan"));
    assert_eq!(failure.actual, Some(&json!("free")));
    assert_eq!(failure.expected, Some(&json!("enterprise")));
    // The regex is case-insensitive; billing tags and continues, rest assigns.
    assert_eq!(trace.rules[1].outcome, Outcome::Matched);
    assert_eq!(trace.rules[2].outcome, Outcome::Matched);
    assert_eq!(trace.assignee.team_id, Some(TeamId::new(1)));
    let json = serde_json::to_value(&trace).unwrap();
    assert_eq!(json["rules"][0]["outcome"], "not_matched");
    assert_eq!(json["actions"][0]["action"], json!({"type": "tag", "tag": "billing"}));
}

#[test]
fn an_any_group_failure_lists_every_cause() {
    let s = subject(json!({"text": "hello"}), json!({}), json!({}));
    let rules = vip_rules();
    let trace = rules.evaluate(&s);
    let failure = trace.rules[1].failure.as_ref().unwrap();
    assert_eq!(failure.path, "conditions");
    assert_eq!(failure.causes.len(), 2);
    assert_eq!(failure.causes[1].path, "conditions.any[1]");
}

#[test]
fn contact_company_and_time_conditions() {
    let rules = set(json!([
        {"id": "new", "name": "New signups", "stop_processing": false,
         "conditions": {"all": [{"field": "contact.signed_up_at", "op": "within_last_days", "value": 7},
                                {"field": "contact.custom_attributes.tier", "op": "in", "value": ["gold", "silver"]},
                                {"field": "company.monthly_spend", "op": "gte", "value": 1000},
                                {"field": "contact.tags", "op": "contains", "value": "beta"}]},
         "actions": [{"type": "tag", "tag": "new-vip"}]},
        {"id": "night", "name": "After hours",
         "conditions": {"field": "time.office_hours", "op": "eq", "value": "outside"},
         "actions": [{"type": "snooze", "minutes": 60}]}
    ]));
    let now = 1_700_000_000;
    let mut s = subject(
        json!({}),
        json!({"signed_up_at": now - 3 * 86_400, "custom_attributes": {"tier": "Gold"}, "tags": ["alpha", "beta"]}),
        json!({"monthly_spend": 1500.0}),
    );
    let trace = rules.evaluate(&s);
    assert_eq!(trace.rules[0].outcome, Outcome::Matched);
    assert_eq!(trace.rules[1].outcome, Outcome::NotMatched);
    s.inside_office_hours = false;
    s.contact.insert("signed_up_at".into(), json!(now - 8 * 86_400));
    let trace = rules.evaluate(&s);
    assert_eq!(trace.rules[0].failure.as_ref().unwrap().path, "conditions.all[0]");
    assert_eq!(trace.rules[1].outcome, Outcome::Matched);
}

#[test]
fn office_hours_follow_daylight_saving() {
    let rules = set(json!([{"id": "in", "name": "In hours",
        "conditions": {"field": "time.office_hours", "op": "eq", "value": "inside"},
        "actions": [{"type": "assign_team", "team_id": 2}]}]));
    let day = json!([[540, 1020]]);
    let hours =
        crate::office_hours::OfficeHours::parse(&json!({"mon": day, "tue": day, "wed": day, "thu": day, "fri": day}))
            .unwrap();
    let ny = chrono_tz::America::New_York;
    let independence_day = chrono::NaiveDate::from_ymd_opt(2024, 7, 4).unwrap();
    let hours = crate::office_hours::BusinessClock::new(hours, ny, [independence_day]);
    let at = |y, m, d, h, min| chrono::Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap().timestamp();
    // 13:30 UTC: 08:30 EST on Friday 2024-03-08 (closed), 09:30 EDT on Monday 2024-03-11 (open).
    let before = Subject::default().at(at(2024, 3, 8, 13, 30), &hours);
    let after = Subject::default().at(at(2024, 3, 11, 13, 30), &hours);
    assert_eq!(rules.evaluate(&before).rules[0].outcome, Outcome::NotMatched);
    assert_eq!(rules.evaluate(&before).rules[0].failure.as_ref().unwrap().actual, Some(&json!("outside")));
    assert_eq!(rules.evaluate(&after).assignee.team_id, Some(TeamId::new(2)));
    // Friday 16:55 in New York (summer) is inside; 17:00 is not.
    let friday = Subject::default().at(at(2024, 7, 12, 20, 55), &hours);
    assert!(friday.inside_office_hours);
    assert!(!Subject::default().at(at(2024, 7, 12, 21, 0), &hours).inside_office_hours);
    // A holiday is closed all day: Thursday 4 July 2024, 11:00 in New York.
    assert!(!Subject::default().at(at(2024, 7, 4, 15, 0), &hours).inside_office_hours);
    assert!(Subject::default().at(at(2024, 7, 5, 15, 0), &hours).inside_office_hours);
}

#[test]
fn bad_rule_sets_are_refused_with_their_path() {
    let cases = [
        (json!({"rules": [{"id": "a", "name": "A", "actions": []}]}), "rules[0].actions"),
        (json!({"rules": [{"id": "A!", "name": "A", "actions": [{"type": "tag", "tag": "x"}]}]}), "rules[0].id"),
        (
            json!({"rules": [{"id": "a", "name": "A", "actions": [{"type": "tag", "tag": "x"}],
                "conditions": {"all": [{"field": "conversation.text", "op": "regex", "value": "(unclosed"}]}}]}),
            "rules[0].conditions.all[0]",
        ),
        (
            json!({"rules": [{"id": "a", "name": "A", "actions": [{"type": "tag", "tag": "x"}],
                "conditions": {"any": [{"field": "conversation.colour", "op": "eq", "value": "red"}]}}]}),
            "rules[0].conditions.any[0]",
        ),
        (
            json!({"rules": [{"id": "a", "name": "A", "actions": [{"type": "tag", "tag": "x"}],
                "conditions": {"field": "company.monthly_spend", "op": "gt", "value": "lots"}}]}),
            "rules[0].conditions",
        ),
        (json!({"rules": [{"id": "a", "name": "A", "actions": [{"type": "fly"}]}]}), "rules[0].actions[0]"),
        (
            json!({"rules": [{"id": "a", "name": "A", "actions": [{"type": "snooze", "minutes": 0}]}]}),
            "rules[0].actions[0]",
        ),
        (
            json!({"rules": [{"id": "a", "name": "A", "actions": [{"type": "tag", "tag": "x"}]},
                             {"id": "a", "name": "B", "actions": [{"type": "tag", "tag": "x"}]}]}),
            "rules[1].id",
        ),
        (
            json!({"rules": [{"id": "a", "name": "A", "actions": [{"type": "tag", "tag": "x"}],
                "conditions": {"field": "conversation.text", "op": "regex", "value": "a".repeat(MAX_REGEX_LEN + 1)}}]}),
            "rules[0].conditions",
        ),
    ];
    for (bad, path) in cases {
        let error = RuleSet::parse(&bad).unwrap_err();
        assert_eq!(error.path, path, "{bad}: {error}");
    }
}

#[test]
fn rule_sets_round_trip_through_json() {
    let rules = vip_rules();
    let again = RuleSet::parse(&rules.to_json()).unwrap();
    assert_eq!(again.to_json(), rules.to_json());
    assert_eq!(RuleSet::from_stored(&rules.to_json().to_string()).rules.len(), 3);
}

fn kinds(rules: Value) -> Vec<(ConflictKind, Vec<String>)> {
    analyse(&set(rules)).into_iter().map(|c| (c.kind, c.rule_ids)).collect()
}

fn ids(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn conflicts_find_rules_that_never_match() {
    let found = kinds(json!([
        {"id": "a", "name": "A", "conditions": {"all": [
            {"field": "conversation.channel", "op": "eq", "value": "email"},
            {"field": "conversation.channel", "op": "eq", "value": "messenger"}]},
         "actions": [{"type": "tag", "tag": "x"}]},
        {"id": "b", "name": "B", "conditions": {"all": [
            {"field": "company.monthly_spend", "op": "gt", "value": 100},
            {"field": "company.monthly_spend", "op": "lt", "value": 50}]},
         "actions": [{"type": "tag", "tag": "x"}]},
        {"id": "c", "name": "C", "conditions": {"any": []}, "actions": [{"type": "tag", "tag": "x"}]},
        {"id": "ok", "name": "Tags may hold both", "conditions": {"all": [
            {"field": "conversation.tags", "op": "eq", "value": "a"},
            {"field": "conversation.tags", "op": "eq", "value": "b"}]},
         "actions": [{"type": "tag", "tag": "x"}]}
    ]));
    assert_eq!(
        found,
        [
            (ConflictKind::NeverMatches, ids(&["a"])),
            (ConflictKind::NeverMatches, ids(&["b"])),
            (ConflictKind::NeverMatches, ids(&["c"]))
        ]
    );
}

#[test]
fn conflicts_find_shadowed_rules_and_contradictory_actions() {
    let found = kinds(json!([
        {"id": "big", "name": "Big spenders", "stop_processing": true,
         "conditions": {"field": "company.monthly_spend", "op": "gte", "value": 1000},
         "actions": [{"type": "assign_team", "team_id": 1}]},
        {"id": "huge", "name": "Huge spenders on email", "conditions": {"all": [
            {"field": "company.monthly_spend", "op": "gt", "value": 5000},
            {"field": "conversation.channel", "op": "eq", "value": "email"}]},
         "actions": [{"type": "assign_team", "team_id": 2}]},
        {"id": "fr", "name": "French", "stop_processing": false,
         "conditions": {"field": "contact.location_country_code", "op": "eq", "value": "FR"},
         "actions": [{"type": "assign_team", "team_id": 3}]},
        {"id": "email", "name": "Email", "stop_processing": false,
         "conditions": {"field": "conversation.channel", "op": "eq", "value": "email"},
         "actions": [{"type": "assign_team", "team_id": 4}]},
        {"id": "de", "name": "German", "stop_processing": false,
         "conditions": {"field": "contact.location_country_code", "op": "eq", "value": "DE"},
         "actions": [{"type": "assign_team", "team_id": 3}]}
    ]));
    assert!(found.contains(&(ConflictKind::Shadowed, ids(&["big", "huge"]))), "{found:?}");
    assert!(found.contains(&(ConflictKind::ContradictoryActions, ids(&["fr", "email"]))), "{found:?}");
    // fr and de cannot both match; de and email set different teams.
    assert!(!found.iter().any(|(_, r)| r == &ids(&["fr", "de"])), "{found:?}");
    assert!(found.contains(&(ConflictKind::ContradictoryActions, ids(&["email", "de"]))), "{found:?}");
}

#[test]
fn conflicts_find_assignment_loops() {
    let found = kinds(json!([
        {"id": "a-to-b", "name": "A to B", "stop_processing": false,
         "conditions": {"field": "conversation.team_assignee_id", "op": "eq", "value": 1},
         "actions": [{"type": "assign_team", "team_id": 2}]},
        {"id": "b-to-a", "name": "B to A", "stop_processing": false,
         "conditions": {"field": "conversation.team_assignee_id", "op": "eq", "value": 2},
         "actions": [{"type": "assign_team", "team_id": 1}]}
    ]));
    assert_eq!(found, [(ConflictKind::AssignmentLoop, ids(&["a-to-b", "b-to-a"]))]);
    // Across teams and teammates: team 1's conversations go to teammate 5, teammate 5's back to
    // team 1 (whose distribution hands them on), and round again.
    let found = kinds(json!([
        {"id": "to-ada", "name": "Team 1 to Ada", "stop_processing": false,
         "conditions": {"field": "conversation.team_assignee_id", "op": "eq", "value": 1},
         "actions": [{"type": "assign_teammate", "admin_id": 5}]},
        {"id": "back", "name": "Ada's back to team 1", "stop_processing": false,
         "conditions": {"field": "conversation.admin_assignee_id", "op": "in", "value": [5, 6]},
         "actions": [{"type": "assign_team", "team_id": 1}]}
    ]));
    assert_eq!(found, [(ConflictKind::AssignmentLoop, ids(&["to-ada", "back"]))]);
    assert!(kinds(json!([{"id": "one", "name": "One way",
        "conditions": {"field": "conversation.team_assignee_id", "op": "eq", "value": 1},
        "actions": [{"type": "assign_team", "team_id": 2}]}]))
    .is_empty());
}

const FRENCH: &str = "Bonjour, je n'arrive plus à me connecter à mon compte depuis hier soir.";
const GERMAN: &str = "Hallo, ich kann mich seit gestern Abend nicht mehr in mein Konto einloggen.";
const ENGLISH: &str = "Hello, I cannot log in to my account since yesterday evening.";

#[test]
fn language_conditions_match_the_detected_language_and_never_a_guess() {
    let rules = set(json!([
        {"id": "fr", "name": "French speakers", "stop_processing": true,
         "conditions": {"field": "conversation.language", "op": "eq", "value": "fr"},
         "actions": [{"type": "assign_team", "team_id": 3}]},
        {"id": "not-en", "name": "Not English", "stop_processing": true,
         "conditions": {"field": "conversation.language", "op": "not_in", "value": ["en"]},
         "actions": [{"type": "assign_team", "team_id": 4}]},
        {"id": "rest", "name": "Rest", "actions": [{"type": "assign_team", "team_id": 1}]}
    ]));
    let team = |text: &str| {
        let s = subject(json!({"text": text}), json!({}), json!({}));
        let trace = rules.evaluate(&s);
        (trace.assignee.team_id.map(TeamId::get), trace.language.map(str::to_string))
    };
    assert_eq!(team(FRENCH), (Some(3), Some("fr".into())));
    assert_eq!(team(GERMAN), (Some(4), Some("de".into())));
    assert_eq!(team(ENGLISH), (Some(1), Some("en".into())));
    // Too short to call: unknown, which no eq matches (and which is "not English").
    assert_eq!(team("Merci !"), (Some(4), Some("unknown".into())));
    // The failure explains what was detected.
    let s = subject(json!({"text": ENGLISH}), json!({}), json!({}));
    let trace = rules.evaluate(&s);
    let failure = trace.rules[0].failure.as_ref().unwrap();
    assert_eq!((failure.field, failure.actual), (Some("conversation.language"), Some(&json!("en"))));
    // The live path's run does not say the language (it only needs the decision).
    assert_eq!(rules.decide(&s).language, None);
}

#[test]
fn language_conditions_take_only_known_codes() {
    let bad = |test: Value| {
        let rules =
            json!({"rules": [{"id": "x", "name": "X", "conditions": test, "actions": [{"type": "tag", "tag": "t"}]}]});
        RuleSet::parse(&rules).unwrap_err().message
    };
    for test in [
        json!({"field": "conversation.language", "op": "eq", "value": "fra"}),
        json!({"field": "conversation.language", "op": "eq", "value": "unknown"}),
        json!({"field": "conversation.language", "op": "in", "value": ["fr", "xx"]}),
        json!({"field": "conversation.language", "op": "contains", "value": "fr"}),
        json!({"field": "conversation.language", "op": "exists"}),
    ] {
        assert!(bad(test.clone()).contains("conversation.language"), "{test}");
    }
}

#[test]
fn conflicts_know_contradictory_language_conditions() {
    let found = kinds(json!([
        {"id": "fr-de", "name": "French and German", "conditions": {"all": [
            {"field": "conversation.language", "op": "eq", "value": "fr"},
            {"field": "conversation.language", "op": "in", "value": ["de", "es"]}]},
         "actions": [{"type": "tag", "tag": "x"}]},
        {"id": "fr", "name": "French", "stop_processing": true,
         "conditions": {"field": "conversation.language", "op": "in", "value": ["fr", "es"]},
         "actions": [{"type": "assign_team", "team_id": 1}]},
        {"id": "fr-vip", "name": "French VIP", "conditions": {"all": [
            {"field": "conversation.language", "op": "eq", "value": "fr"},
            {"field": "company.plan", "op": "eq", "value": "enterprise"}]},
         "actions": [{"type": "assign_team", "team_id": 2}]}
    ]));
    assert_eq!(
        found,
        [(ConflictKind::NeverMatches, ids(&["fr-de"])), (ConflictKind::Shadowed, ids(&["fr", "fr-vip"]))]
    );
}

// ---- properties ----

const FIELDS: &[&str] =
    &["conversation.channel", "contact.role", "company.plan", "company.monthly_spend", "conversation.tags"];
const WORDS: &[&str] = &["email", "messenger", "user", "lead", "free", "pro"];

const LANGUAGES: &[&str] = &["en", "fr", "de"];
const TEXTS: &[&str] = &[ENGLISH, FRENCH, GERMAN, "ok", ""];

fn arb_language_test() -> impl Strategy<Value = Value> {
    (0..4usize, 0..LANGUAGES.len()).prop_map(|(op, l)| {
        let (code, other) = (LANGUAGES[l], LANGUAGES[(l + 1) % LANGUAGES.len()]);
        match op {
            0 => json!({"field": "conversation.language", "op": "eq", "value": code}),
            1 => json!({"field": "conversation.language", "op": "ne", "value": code}),
            2 => json!({"field": "conversation.language", "op": "in", "value": [code, other]}),
            _ => json!({"field": "conversation.language", "op": "not_in", "value": [code]}),
        }
    })
}

fn arb_test() -> impl Strategy<Value = Value> {
    prop_oneof![5 => arb_field_test(), 1 => arb_language_test()]
}

fn arb_field_test() -> impl Strategy<Value = Value> {
    (0..FIELDS.len(), 0..7usize, 0..WORDS.len(), 0i64..3000).prop_map(|(f, op, w, n)| {
        let field = FIELDS[f];
        match op {
            0 => json!({"field": field, "op": "eq", "value": WORDS[w]}),
            1 => json!({"field": field, "op": "ne", "value": WORDS[w]}),
            2 => json!({"field": field, "op": "contains", "value": &WORDS[w][..2]}),
            3 => json!({"field": field, "op": "gt", "value": n}),
            4 => json!({"field": field, "op": "in", "value": [WORDS[w], WORDS[(w + 1) % WORDS.len()]]}),
            5 => json!({"field": field, "op": "exists"}),
            _ => json!({"field": field, "op": "lte", "value": n}),
        }
    })
}

fn arb_condition() -> impl Strategy<Value = Value> {
    arb_test().prop_recursive(3, 24, 4, |inner| {
        (0..3usize, proptest::collection::vec(inner, 0..4)).prop_map(|(kind, children)| match kind {
            0 => json!({ "all": children }),
            1 => json!({ "any": children }),
            _ => json!({ "none": children }),
        })
    })
}

fn arb_subject() -> impl Strategy<Value = Subject> {
    (
        proptest::option::of(0..WORDS.len()),
        0..WORDS.len(),
        proptest::option::of(0..WORDS.len()),
        0i64..3000,
        proptest::collection::vec(0..WORDS.len(), 0..3),
        0..TEXTS.len(),
    )
        .prop_map(|(channel, role, plan, spend, tags, text)| {
            let tags: Vec<&str> = tags.into_iter().map(|t| WORDS[t]).collect();
            subject(
                json!({"channel": channel.map(|c| WORDS[c]), "tags": tags, "text": TEXTS[text]}),
                json!({"role": WORDS[role]}),
                json!({"plan": plan.map(|p| WORDS[p]), "monthly_spend": spend}),
            )
        })
}

fn arb_rules() -> impl Strategy<Value = Value> {
    proptest::collection::vec((arb_condition(), any::<bool>(), any::<bool>(), 1i64..4), 0..8).prop_map(|rules| {
        let rules: Vec<Value> = rules
            .into_iter()
            .enumerate()
            .map(|(i, (conditions, enabled, stop, team))| {
                json!({"id": format!("r{i}"), "name": format!("Rule {i}"), "enabled": enabled,
                       "stop_processing": stop, "conditions": conditions,
                       "actions": [{"type": "assign_team", "team_id": team}]})
            })
            .collect();
        json!({ "rules": rules })
    })
}

proptest! {
    #[test]
    fn none_is_not_any(children in proptest::collection::vec(arb_condition(), 0..4), s in arb_subject()) {
        let none = Condition::parse(&json!({"none": children}), "c").unwrap();
        let any = Condition::parse(&json!({"any": children}), "c").unwrap();
        prop_assert_eq!(none.holds(&s), !any.holds(&s));
    }

    #[test]
    fn the_explained_check_agrees_with_holds(c in arb_condition(), s in arb_subject()) {
        let condition = Condition::parse(&c, "conditions").unwrap();
        prop_assert_eq!(condition.check(&s, "conditions").is_ok(), condition.holds(&s));
    }

    #[test]
    fn evaluation_follows_the_rules(rules in arb_rules(), s in arb_subject()) {
        let set = RuleSet::parse(&rules).unwrap();
        let trace = set.evaluate(&s);
        // Deterministic, and the live path's unexplained run decides the same.
        prop_assert_eq!(&trace, &set.evaluate(&s));
        let decided = set.decide(&s);
        prop_assert_eq!((&decided.actions, decided.assignee, decided.stopped_by), (&trace.actions, trace.assignee, trace.stopped_by));
        let mut stopped = false;
        for (rule, line) in set.rules.iter().zip(&trace.rules) {
            if stopped {
                prop_assert_eq!(line.outcome, Outcome::NotReached);
                continue;
            }
            if !rule.enabled {
                prop_assert_eq!(line.outcome, Outcome::Disabled);
                continue;
            }
            prop_assert_eq!(line.outcome == Outcome::Matched, rule.conditions.holds(&s));
            prop_assert_eq!(line.failure.is_some(), line.outcome == Outcome::NotMatched);
            if line.outcome == Outcome::Matched && rule.stop_processing {
                stopped = true;
                prop_assert_eq!(trace.stopped_by, Some(rule.id.as_str()));
            }
        }
        // The final team is the last matched rule's.
        let last = set.rules.iter().zip(&trace.rules).rfind(|(_, l)| l.outcome == Outcome::Matched);
        if let Some((rule, _)) = last {
            prop_assert_eq!(trace.assignee.team_id, Some(match rule.actions[0] { RuleAction::AssignTeam { team_id } => team_id, _ => TeamId::new(0) }));
        }
    }

    /// What the conflict analysis claims holds on every sample: a rule reported as never
    /// matching does not match, and a shadowed rule's match implies its shadower's.
    #[test]
    fn conflict_claims_hold_on_samples(rules in arb_rules(), samples in proptest::collection::vec(arb_subject(), 1..12)) {
        let set = RuleSet::parse(&rules).unwrap();
        let find = |id: &str| set.rules.iter().find(|r| r.id == id).unwrap();
        for conflict in analyse(&set) {
            for s in &samples {
                match conflict.kind {
                    ConflictKind::NeverMatches => prop_assert!(!find(&conflict.rule_ids[0]).conditions.holds(s)),
                    ConflictKind::Shadowed => {
                        let (earlier, later) = (find(&conflict.rule_ids[0]), find(&conflict.rule_ids[1]));
                        prop_assert!(!later.conditions.holds(s) || earlier.conditions.holds(s));
                    }
                    _ => {}
                }
            }
        }
    }
}

/// Cost of evaluating 50 rules against one conversation. Run with
/// `cargo test -p rapport-core --release routing::tests::bench_fifty_rules -- --ignored --nocapture`.
#[test]
#[ignore]
fn bench_fifty_rules() {
    let rules: Vec<Value> = (0..50)
        .map(|i| {
            json!({"id": format!("r{i}"), "name": format!("Rule {i}"), "stop_processing": false,
                "conditions": {"all": [
                    {"field": "company.plan", "op": "in", "value": ["enterprise", format!("plan-{i}")]},
                    {"any": [{"field": "conversation.text", "op": "contains", "value": format!("word{i}")},
                             {"field": "conversation.text", "op": "regex", "value": format!("order #?{i}\\d+")}]},
                    {"field": "company.monthly_spend", "op": "gte", "value": i * 10},
                    {"field": "contact.custom_attributes.tier", "op": "ne", "value": "blocked"}]},
                "actions": [{"type": "assign_team", "team_id": i + 1}, {"type": "tag", "tag": "routed"}]})
        })
        .collect();
    let set = set(Value::Array(rules));
    let s = subject(
        json!({"channel": "messenger", "text": "Hello, I have a question about order 4512 and my invoice, word7 here", "tags": []}),
        json!({"role": "user", "custom_attributes": {"tier": "gold"}}),
        json!({"plan": "enterprise", "monthly_spend": 250.0}),
    );
    let runs = 50_000;
    let (start, cpu) = (std::time::Instant::now(), cpu_seconds());
    let mut actions = 0;
    for _ in 0..runs {
        actions += std::hint::black_box(set.evaluate(std::hint::black_box(&s))).actions.len();
    }
    let per_cpu = (cpu_seconds() - cpu) / runs as f64 * 1e6;
    let per_wall = start.elapsed().as_secs_f64() / runs as f64 * 1e6;
    println!(
        "50 rules, full trace: {per_cpu:.1} µs CPU ({per_wall:.1} µs wall) per conversation, {} actions",
        actions / runs
    );
    let (start, cpu) = (std::time::Instant::now(), cpu_seconds());
    for _ in 0..runs {
        actions += std::hint::black_box(set.decide(std::hint::black_box(&s))).actions.len();
    }
    let per_cpu = (cpu_seconds() - cpu) / runs as f64 * 1e6;
    let per_wall = start.elapsed().as_secs_f64() / runs as f64 * 1e6;
    println!("50 rules, live path (decide, no explanations): {per_cpu:.1} µs CPU ({per_wall:.1} µs wall)");
    assert_eq!(actions, 8 * runs);
}

/// This thread's CPU time in seconds (user + system, from /proc), so a busy machine does not
/// inflate the figure.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("").split_whitespace().collect();
    let ticks: f64 = [11, 12].iter().filter_map(|i| fields.get(*i)?.parse::<f64>().ok()).sum();
    ticks / 100.0
}

/// Cost of the `conversation.language` condition: one detection per conversation (a fresh
/// subject each time; the result is then cached on the subject). Run with
/// `cargo test -p rapport-core --release routing::tests::bench_language -- --ignored --nocapture`.
#[test]
#[ignore]
fn bench_language_detection() {
    let texts = [FRENCH, GERMAN, ENGLISH, "Hola, mi factura está mal desde el mes pasado, ¿pueden ayudarme por favor?"];
    let runs = 20_000;
    let (start, cpu) = (std::time::Instant::now(), cpu_seconds());
    let mut known = 0;
    for i in 0..runs {
        let s = subject(json!({"text": texts[i % texts.len()]}), json!({}), json!({}));
        known += usize::from(std::hint::black_box(s.language()) != language::UNKNOWN);
    }
    let per_cpu = (cpu_seconds() - cpu) / runs as f64 * 1e6;
    let per_wall = start.elapsed().as_secs_f64() / runs as f64 * 1e6;
    println!("language detection: {per_cpu:.1} µs CPU ({per_wall:.1} µs wall) per conversation");
    assert_eq!(known, runs);
}
