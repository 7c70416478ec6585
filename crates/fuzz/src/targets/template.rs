//! The saved-reply template engine (`rapport_core::template`): parse, then render with hostile
//! values in both outputs. Asserts the output bound, HTML escaping of values, and that a
//! template's variables survive being written back out.
use rapport_core::template::{escape_html, Output, Template, Values, MAX_OUTPUT_BYTES};
use serde_json::{json, Map};

use crate::Target;

pub const TARGET: Target = Target {
    name: "template",
    check,
    json: false,
    dictionary: &[
        "{{",
        "}}",
        "|",
        " fallback: ",
        "\"",
        "'",
        "contact.first_name",
        "contact.name",
        "contact.email",
        "contact.custom_attributes.",
        "company.name",
        "admin.first_name",
        "admin.name",
        "conversation.id",
        "<b>",
    ],
};

/// A value no template text contains: in HTML output it must only ever appear escaped.
const HOSTILE: &str = "<script>\u{1F600}&\"'";

pub fn check(data: &[u8]) {
    let source = crate::text(data);
    let Ok(template) = Template::parse(&source) else { return };
    let long = "\u{00E9}".repeat(MAX_OUTPUT_BYTES);
    let mut custom = Map::new();
    for variable in template.variables() {
        if let rapport_core::template::Variable::ContactCustomAttribute(name) = variable {
            custom.insert(name.clone(), json!(long.clone()));
        }
    }
    let full = Values {
        contact_name: Some(format!("{HOSTILE} {long}")),
        contact_email: Some(HOSTILE.into()),
        contact_custom_attributes: custom,
        company_name: Some(long.clone()),
        admin_name: Some(HOSTILE.into()),
        conversation_id: Some("123".into()),
    };
    for values in [&Values::default(), &full] {
        for output in [Output::Text, Output::Html] {
            let rendered = template.render(values, output);
            assert!(rendered.len() <= MAX_OUTPUT_BYTES, "{} bytes rendered", rendered.len());
        }
    }
    // Values are escaped in HTML: the hostile admin name never appears raw unless the template
    // itself wrote it.
    if !source.contains(HOSTILE) {
        let only_admin = Values { admin_name: Some(HOSTILE.into()), ..Values::default() };
        assert!(!template.render(&only_admin, Output::Html).contains(HOSTILE), "an unescaped value");
        let escaped = escape_html(HOSTILE);
        if template.variables().any(|v| v.to_string() == "admin.name") && source.len() < 1000 {
            assert!(template.render(&only_admin, Output::Html).contains(&escaped));
        }
    }
    // Writing every variable back as a bare slot gives a template with the same variables.
    let written: String = template.variables().map(|v| format!("{{{{{v}}}}}")).collect();
    let again = Template::parse(&written).unwrap_or_else(|e| panic!("{written:?} was refused: {e}"));
    assert!(again.variables().eq(template.variables()), "variables changed when written out: {written:?}");
}
