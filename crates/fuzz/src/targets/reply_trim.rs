//! The reply trimmer (`trim_text`, `trim_html`): quoted history and signatures cut from the
//! display copy of a reply, HTML sanitized.
use rapport_core::email::inbound::{trim_html, trim_text};

use crate::Target;

pub const TARGET: Target = Target {
    name: "reply_trim",
    check,
    json: false,
    dictionary: &[
        "\n",
        "\r\n",
        "> ",
        "-- \n",
        "On Tue, 3 Mar 2026 at 10:00, Ann <ann@example.com> wrote:",
        "-----Original Message-----",
        "________________________________",
        "From: Ann\nSent: Tuesday",
        "<blockquote>",
        "</blockquote>",
        "<div class=\"gmail_quote\">",
        "<div class=\"moz-cite-prefix\">",
        "</div>",
        "<script>",
        "<a href=\"javascript:alert(1)\">",
        "<img src=x onerror=alert(1)>",
        "<p>",
    ],
};

pub fn check(data: &[u8]) {
    let text = crate::text(data);
    let trimmed = trim_text(&text);
    assert!(trimmed.len() <= text.len(), "trimming made the text longer");
    assert_eq!(trimmed, trimmed.trim(), "the trimmed text keeps outer whitespace");
    let html = trim_html(&text);
    assert_safe(&html, &text);
}

/// Sanitized HTML (ammonia serialises attribute values in double quotes, `"` escaped) has no
/// script-bearing element, no event handler or style attribute, and no `javascript:` link.
fn assert_safe(html: &str, input: &str) {
    let lower = html.to_ascii_lowercase();
    let mut rest = lower.as_str();
    while let Some(open) = rest.find('<') {
        let tag_end = rest[open..].find('>').map_or(rest.len(), |e| open + e + 1);
        let tag = &rest[open + 1..tag_end];
        let head = tag.split('"').next().unwrap_or_default();
        let name = head.split(|c: char| c.is_whitespace() || c == '/' || c == '>').find(|s| !s.is_empty());
        assert!(
            !matches!(name, Some("script" | "style" | "iframe" | "img" | "object" | "embed" | "svg")),
            "<{name:?}> survived sanitizing in {html:?} (input {input:?})"
        );
        // Outside quotes: attribute names; inside (every other piece): values.
        let mut last_attribute = "";
        for (i, piece) in tag.split('"').enumerate() {
            if i % 2 == 0 {
                for attribute in piece.split_whitespace().filter_map(|a| a.split('=').next()) {
                    assert!(
                        !attribute.starts_with("on") && attribute != "style",
                        "attribute {attribute:?} survived sanitizing in {html:?} (input {input:?})"
                    );
                    last_attribute = attribute;
                }
            } else if matches!(last_attribute, "href" | "src" | "cite" | "action") {
                assert!(!piece.trim_start().starts_with("javascript:"), "a javascript: URL in {html:?}");
            }
        }
        rest = &rest[tag_end..];
    }
}
