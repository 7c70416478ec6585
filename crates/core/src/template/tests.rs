use serde_json::json;

use super::*;

fn values() -> Values {
    let mut custom = Map::new();
    custom.insert("plan".into(), json!("Pro"));
    custom.insert("seats".into(), json!(12));
    custom.insert("nested".into(), json!({"a": 1}));
    Values {
        contact_name: Some("Ada Lovelace".into()),
        contact_email: Some("ada@example.com".into()),
        contact_custom_attributes: custom,
        company_name: Some("Analytical Engines".into()),
        admin_name: Some("Grace Hopper".into()),
        conversation_id: Some("42".into()),
    }
}

fn render(source: &str, values: &Values) -> String {
    Template::parse(source).unwrap().render(values, Output::Text)
}

#[test]
fn fills_every_variable() {
    let source = "Hi {{contact.first_name}} ({{ contact.name }}, {{contact.email}}) of {{company.name}}: \
                  plan {{contact.custom_attributes.plan}}, {{contact.custom_attributes.seats}} seats. \
                  {{admin.first_name}} / {{admin.name}} on #{{conversation.id}}";
    assert_eq!(
        render(source, &values()),
        "Hi Ada (Ada Lovelace, ada@example.com) of Analytical Engines: plan Pro, 12 seats. \
         Grace / Grace Hopper on #42"
    );
}

#[test]
fn missing_values_use_the_fallback_or_nothing() {
    let empty = Values { contact_name: Some("  ".into()), ..Values::default() };
    assert_eq!(render(r#"Hi {{contact.first_name | fallback: "there"}}!"#, &empty), "Hi there!");
    assert_eq!(render("Hi {{ contact.first_name|fallback:'you' }}!", &empty), "Hi you!");
    assert_eq!(render("Hi {{contact.first_name}}!", &empty), "Hi !");
    assert_eq!(render(r#"{{contact.custom_attributes.nested | fallback: "-"}}"#, &values()), "-");
    assert_eq!(render(r#"{{contact.custom_attributes.absent | fallback: ""}}"#, &values()), "");
    // A present value wins over the fallback.
    assert_eq!(render(r#"{{contact.first_name | fallback: "there"}}"#, &values()), "Ada");
}

#[test]
fn unknown_variables_are_named_at_parse_time() {
    for (source, named) in [
        ("Hi {{contact.firstname}}", "contact.firstname"),
        ("{{__proto__}}", "__proto__"),
        ("{{constructor}}", "constructor"),
        ("{{contact.constructor.prototype}}", "contact.constructor.prototype"),
        ("{{contact}}", "contact"),
        ("{{contact.custom_attributes.}}", "contact.custom_attributes."),
        ("{{contact.custom_attributes.a.b}}", "contact.custom_attributes.a.b"),
        ("{{ system('rm -rf /') }}", "system('rm -rf /')"),
    ] {
        let err = Template::parse(source).unwrap_err();
        assert_eq!(err, TemplateError::UnknownVariable(named.into()), "{source}");
        assert!(err.to_string().contains(named), "{err}");
    }
}

#[test]
fn hostile_syntax_is_refused_not_run() {
    assert_eq!(Template::parse("Hi {{contact.name"), Err(TemplateError::Unterminated(3)));
    assert_eq!(Template::parse("{{"), Err(TemplateError::Unterminated(0)));
    assert_eq!(Template::parse("ok {{ }}"), Err(TemplateError::Empty(3)));
    assert!(matches!(Template::parse("{{{{contact.name}}}}"), Err(TemplateError::UnknownVariable(_))));
    assert!(matches!(Template::parse("{{ {{contact.name}} }}"), Err(TemplateError::UnknownVariable(_))));
    assert!(matches!(Template::parse("{{contact.name | upcase}}"), Err(TemplateError::BadFilter(_))));
    assert!(matches!(Template::parse(r#"{{contact.name | fallback: "a" | x}}"#), Err(TemplateError::BadFilter(_))));
    assert!(matches!(Template::parse(r#"{{contact.name | fallback: "a"b"}}"#), Err(TemplateError::BadFilter(_))));
    assert!(matches!(Template::parse("{{contact.name | fallback: unquoted}}"), Err(TemplateError::BadFilter(_))));
    let long_fallback = format!("{{{{contact.name | fallback: \"{}\"}}}}", "x".repeat(201));
    assert!(matches!(Template::parse(&long_fallback), Err(TemplateError::BadFilter(_))));
    // A lone closing brace pair, or single braces, are just text.
    assert_eq!(render("a }} b { c }", &values()), "a }} b { c }");
    // Error positions count characters, not bytes.
    assert_eq!(Template::parse("héllo {{"), Err(TemplateError::Unterminated(6)));
}

#[test]
fn values_are_never_reparsed_as_templates() {
    let sneaky = Values { contact_name: Some("{{admin.name}} <b>".into()), ..values() };
    assert_eq!(render("{{contact.name}}", &sneaky), "{{admin.name}} <b>");
}

#[test]
fn html_output_escapes_values_but_keeps_the_authors_markup() {
    let hostile = Values { contact_name: Some(r#"<script>alert("x")</script> & 'co'"#.into()), ..values() };
    let template = Template::parse("<p>Hi {{contact.name}}</p>").unwrap();
    assert_eq!(
        template.render(&hostile, Output::Html),
        "<p>Hi &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;co&#39;</p>"
    );
    let fallback = Template::parse(r#"{{company.name | fallback: "<i>you</i>"}}"#).unwrap();
    assert_eq!(fallback.render(&Values::default(), Output::Html), "&lt;i&gt;you&lt;/i&gt;");
}

#[test]
fn size_is_bounded_in_and_out() {
    assert_eq!(Template::parse(&"a".repeat(MAX_TEMPLATE_BYTES + 1)), Err(TemplateError::TooLong));
    let many_slots = "{{contact.custom_attributes.bio}}".repeat(600);
    assert!(many_slots.len() <= MAX_TEMPLATE_BYTES);
    let template = Template::parse(&many_slots).unwrap();
    let mut big = values();
    big.contact_custom_attributes.insert("bio".into(), json!("é".repeat(10_000)));
    let out = template.render(&big, Output::Html);
    assert!(out.len() <= MAX_OUTPUT_BYTES && out.len() > MAX_OUTPUT_BYTES - 4, "{}", out.len());
    assert!(out.chars().all(|c| c == 'é'));
}

#[test]
fn lists_its_variables() {
    let template = Template::parse("{{contact.name}} {{conversation.id}} {{contact.custom_attributes.plan}}").unwrap();
    let names: Vec<String> = template.variables().map(ToString::to_string).collect();
    assert_eq!(names, ["contact.name", "conversation.id", "contact.custom_attributes.plan"]);
}

mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn any_input_parses_or_fails_without_panicking(source in ".{0,300}") {
            if let Ok(template) = Template::parse(&source) {
                let out = template.render(&values(), Output::Html);
                prop_assert!(out.len() <= MAX_OUTPUT_BYTES);
            }
        }

        #[test]
        fn text_without_braces_renders_as_itself(source in "[^{}]{0,300}") {
            prop_assert_eq!(render(&source, &values()), source);
        }
    }
}
