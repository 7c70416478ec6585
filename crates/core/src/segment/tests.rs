use super::*;
use serde_json::json;

const NOW: i64 = 1_763_700_000_000;

fn one(kind: Kind, body: Value) -> Result<Call, CallError> {
    let request = parse_single(kind, body.to_string().as_bytes(), NOW).unwrap();
    request.calls.into_iter().next().unwrap()
}

#[test]
fn identify_splits_traits_into_fields_and_custom_attributes() {
    let call = one(
        Kind::Identify,
        json!({"userId": "u1", "messageId": "m1", "traits": {"email": " Ann@Example.COM ", "firstName": "Ann",
            "lastName": "Lee", "phone": "+1 555", "createdAt": "2024-01-02T03:04:05Z", "plan_tier": "gold",
            "avatar": "https://x/a.png"}}),
    )
    .unwrap();
    assert_eq!(call.user_id.as_deref(), Some("u1"));
    assert_eq!(call.message_id.as_deref(), Some("m1"));
    assert_eq!(call.timestamp, NOW / 1000);
    let Action::Identify { traits } = call.action else { panic!("not identify") };
    assert_eq!(traits.email.unwrap().as_str(), "ann@example.com");
    assert_eq!(traits.name.as_deref(), Some("Ann Lee"));
    assert_eq!(traits.phone.as_deref(), Some("+1 555"));
    assert_eq!(traits.signed_up_at, Some(1_704_164_645));
    assert_eq!(traits.avatar.as_deref(), Some("https://x/a.png"));
    assert_eq!(Value::Object(traits.custom), json!({"plan_tier": "gold"}));
}

#[test]
fn a_call_needs_an_identifier_and_a_track_an_event() {
    let e = one(Kind::Track, json!({"event": "x"})).unwrap_err();
    assert_eq!(e.field, "userId");
    let e = one(Kind::Track, json!({"userId": "u"})).unwrap_err();
    assert_eq!(e.field, "event");
    let e = one(Kind::Track, json!({"anonymousId": "a", "event": "  "})).unwrap_err();
    assert_eq!(e.field, "event");
    // Python sends the missing id as an explicit null.
    let ok = one(Kind::Track, json!({"userId": null, "anonymousId": "a", "event": "Signed Up"})).unwrap();
    assert_eq!(ok.anonymous_id.as_deref(), Some("a"));
    assert!(ok.user_id.is_none());
    let e = one(Kind::Group, json!({"userId": "u"})).unwrap_err();
    assert_eq!(e.field, "groupId");
    let e = one(Kind::Alias, json!({"userId": "u"})).unwrap_err();
    assert_eq!(e.field, "previousId");
    let e = one(Kind::Alias, json!({"previousId": "p"})).unwrap_err();
    assert_eq!(e.field, "userId");
    let e = one(Kind::Identify, json!({"userId": "u", "traits": {"email": "not an email"}})).unwrap_err();
    assert_eq!(e.field, "traits.email");
    let e = one(Kind::Identify, json!({"userId": {"a": 1}})).unwrap_err();
    assert_eq!(e.field, "userId");
    // Numeric ids are text.
    assert_eq!(one(Kind::Identify, json!({"userId": 42})).unwrap().user_id.as_deref(), Some("42"));
}

#[test]
fn timestamps_are_corrected_for_the_clients_clock() {
    // The client's clock is 10 s ahead: it stamped the event 2 s before sending.
    let call = one(
        Kind::Track,
        json!({"userId": "u", "event": "e", "timestamp": "2025-11-21T04:40:08Z", "sentAt": "2025-11-21T04:40:10Z"}),
    )
    .unwrap();
    assert_eq!(call.timestamp, NOW / 1000 - 2);
    // A timestamp alone is history, taken as given.
    let call =
        one(Kind::Track, json!({"userId": "u", "event": "e", "timestamp": "2020-01-01T00:00:00+01:00"})).unwrap();
    assert_eq!(call.timestamp, 1_577_833_200);
    let e = one(Kind::Track, json!({"userId": "u", "event": "e", "timestamp": "yesterday"})).unwrap_err();
    assert_eq!(e.field, "timestamp");
    let e = one(Kind::Track, json!({"userId": "u", "event": "e", "timestamp": "1960-01-01T00:00:00Z"})).unwrap_err();
    assert_eq!(e.field, "timestamp");
    assert_eq!(event_time(None, Some(5), 100), 100);
}

#[test]
fn batches_apply_their_sent_at_and_refuse_bad_items_alone() {
    let body = json!({"writeKey": "WK", "sentAt": "2025-11-21T04:40:10Z", "batch": [
        {"type": "track", "userId": "u", "event": "a", "timestamp": "2025-11-21T04:40:00Z"},
        {"type": "launch", "userId": "u"},
        {"type": "page", "anonymousId": "a", "name": "Pricing", "properties": {"title": "Pricing"},
         "context": {"page": {"url": "https://x/pricing"}}},
        "not an object",
    ]});
    let request = parse_batch(body.to_string().as_bytes(), NOW).unwrap();
    assert_eq!(request.write_key.as_deref(), Some("WK"));
    assert_eq!(request.calls.len(), 4);
    assert_eq!(request.calls[0].as_ref().unwrap().timestamp, NOW / 1000 - 10);
    assert_eq!(request.calls[1].as_ref().unwrap_err().field, "type");
    let Action::View { screen, name, url, .. } = &request.calls[2].as_ref().unwrap().action else { panic!() };
    assert!(!screen);
    assert_eq!(name.as_deref(), Some("Pricing"));
    assert_eq!(url.as_deref(), Some("https://x/pricing"));
    assert!(request.calls[3].is_err());
}

#[test]
fn requests_over_the_limits_or_malformed_are_refused_whole() {
    assert!(matches!(parse_batch(b"{not json", NOW), Err(RequestError::Malformed(_))));
    assert_eq!(parse_batch(b"[]", NOW), Err(RequestError::NotAnObject));
    assert_eq!(parse_batch(b"{\"batch\": {}}", NOW), Err(RequestError::BatchNotAnArray));
    assert_eq!(parse_batch(b"{\"batch\": [], \"writeKey\": 5}", NOW), Err(RequestError::WriteKeyNotAString));
    let big = vec![b' '; MAX_BATCH_BYTES + 1];
    assert!(matches!(parse_batch(&big, NOW), Err(RequestError::TooLarge { .. })));
    let big_call = json!({"batch": [{"type": "track", "userId": "u", "event": "e",
        "properties": {"blob": "x".repeat(MAX_CALL_BYTES)}}]});
    assert!(matches!(
        parse_batch(big_call.to_string().as_bytes(), NOW),
        Err(RequestError::CallTooLarge { index: 0, .. })
    ));
    let single = json!({"userId": "u", "event": "e", "properties": {"blob": "x".repeat(MAX_CALL_BYTES)}});
    assert!(matches!(
        parse_single(Kind::Track, single.to_string().as_bytes(), NOW),
        Err(RequestError::TooLarge { .. })
    ));
    let many = json!({"batch": vec![json!({"type": "track", "userId": "u", "event": "e"}); MAX_BATCH_CALLS + 1]});
    assert_eq!(parse_batch(many.to_string().as_bytes(), NOW), Err(RequestError::TooManyCalls));
}

#[test]
fn group_traits_map_to_company_fields() {
    let call = one(
        Kind::Group,
        json!({"userId": "u", "groupId": "acme", "traits": {"name": "Acme", "plan": "pro", "monthlySpend": "99.5",
            "employees": 40, "industry": "Tools", "website": "https://acme.test", "tier": "gold"}}),
    )
    .unwrap();
    let Action::Group { group_id, traits } = call.action else { panic!() };
    assert_eq!(group_id, "acme");
    assert_eq!(traits.name.as_deref(), Some("Acme"));
    assert_eq!(traits.plan.as_deref(), Some("pro"));
    assert_eq!(traits.monthly_spend, Some(99.5));
    assert_eq!(traits.size, Some(40));
    assert_eq!(Value::Object(traits.custom), json!({"tier": "gold"}));
    let e = one(Kind::Group, json!({"userId": "u", "groupId": "g", "traits": {"monthly_spend": [1]}})).unwrap_err();
    assert_eq!(e.field, "traits.monthly_spend");
}

#[test]
fn view_metadata_keeps_short_strings_only() {
    let properties = json!({"title": "T", "path": "/p", "referrer": "", "nested": {"a": 1}, "search": 5});
    let metadata = view_metadata(Some("Home"), Some("https://x/"), properties.as_object().unwrap());
    assert_eq!(Value::Object(metadata), json!({"name": "Home", "url": "https://x/", "title": "T", "path": "/p"}));
    let long = "u".repeat(400);
    let metadata = view_metadata(None, Some(&long), &Map::new());
    assert_eq!(metadata["url"].as_str().unwrap().chars().count(), crate::attributes::MAX_STRING_CHARS);
}

#[test]
fn nested_and_standard_named_traits_are_not_custom_attributes() {
    let call = one(
        Kind::Identify,
        json!({"userId": "u1", "traits": {"address": {"city": "Oslo"}, "friends": ["a", "b"], "role": "admin",
            "City": "Oslo", "title": "CTO", "age": 41, "vip": true, "score": 9.5, "nickname": null}}),
    )
    .unwrap();
    let Action::Identify { traits } = call.action else { panic!("not identify") };
    // Objects and arrays have no attribute to hold them; `role` and `city` are standard contact
    // attributes (not settable this way); the flat rest become custom attributes.
    assert_eq!(
        Value::Object(traits.custom),
        json!({"title": "CTO", "age": 41, "vip": true, "score": 9.5, "nickname": null})
    );
    let call =
        one(Kind::Group, json!({"userId": "u", "groupId": "g", "traits": {"user_count": 3, "region": "EU"}})).unwrap();
    let Action::Group { traits, .. } = call.action else { panic!("not group") };
    assert_eq!(Value::Object(traits.custom), json!({"region": "EU"}));
}

#[test]
fn a_nul_anywhere_refuses_the_call_by_its_path_and_in_the_write_key_the_request() {
    let refused = one(Kind::Identify, json!({"userId": "u", "traits": {"name": "A\u{0}"}})).unwrap_err();
    assert_eq!(
        (refused.field.as_str(), refused.message.as_str()),
        ("traits.name", "traits.name must not contain NUL characters")
    );
    let refused =
        one(Kind::Track, json!({"userId": "u", "event": "e", "properties": {"list": ["ok", "\u{0}"]}})).unwrap_err();
    assert_eq!(refused.field, "properties.list[1]");
    let body = json!({"batch": [], "writeKey": "k\u{0}"}).to_string();
    assert_eq!(parse_batch(body.as_bytes(), NOW), Err(RequestError::WriteKeyNotAString));
}
