//! The routing-rule JSON reader (`RuleSet::parse`) and the rule engine: a rule set, optionally
//! with a `"subject"` (the conversation, contact and company the rules see), is parsed,
//! analysed for conflicts and evaluated. Asserts that the canonical JSON parses back to the same
//! rules and that the explained and the live evaluation agree.
use rapport_core::routing::{conflicts, RuleSet, Subject};
use serde_json::Value;

use crate::Target;

pub const TARGET: Target = Target {
    name: "routing_rules",
    check,
    json: true,
    dictionary: &[
        r#""rules":"#,
        r#""id":"r1""#,
        r#""name":"#,
        r#""conditions":"#,
        r#""actions":"#,
        r#""stop_processing":false"#,
        r#""enabled":false"#,
        r#""all":"#,
        r#""any":"#,
        r#""none":"#,
        r#""field":"conversation.text""#,
        r#""op":"regex""#,
        r#""op":"contains""#,
        r#""op":"gt""#,
        r#""op":"in""#,
        r#""type":"assign_team","team_id":1"#,
        r#""type":"assign_teammate","admin_id":2"#,
        r#""type":"snooze","minutes":60"#,
        r#""subject":"#,
    ],
};

pub fn check(data: &[u8]) {
    let Ok(mut value) = serde_json::from_slice::<Value>(data) else { return };
    let subject = value
        .as_object_mut()
        .and_then(|o| o.remove("subject"))
        .and_then(|s| serde_json::from_value::<Subject>(s).ok())
        .unwrap_or_default();
    let Ok(set) = RuleSet::parse(&value) else { return };
    let canonical = set.to_json();
    let again = RuleSet::parse(&canonical).unwrap_or_else(|e| panic!("canonical rules {canonical} refused: {e:?}"));
    assert_eq!(again.to_json(), canonical, "the canonical JSON does not round-trip");
    let diff = set.diff(&again);
    assert_eq!(diff["reordered"], Value::Bool(false), "a set differs from its own round trip: {diff}");
    for key in ["added", "removed", "changed"] {
        assert!(diff[key].as_array().is_some_and(Vec::is_empty), "a set differs from its own round trip: {diff}");
    }
    let _ = conflicts::analyse(&set);
    let _ = set.references();
    let explained = set.evaluate(&subject);
    let decided = set.decide(&subject);
    assert_eq!(explained.rules.len(), set.rules.len());
    assert_eq!(explained.actions, decided.actions, "evaluate and decide took different actions");
    assert_eq!(explained.assignee, decided.assignee);
    assert_eq!(explained.stopped_by, decided.stopped_by);
}
