//! Trimming what a reply repeats: the quoted history ("On … wrote:", `>` lines, Outlook's
//! "From:/Sent:" block, Gmail's and Outlook's quote containers) and the signature after "-- ".
//! Only the display copy is trimmed; the raw message keeps everything.

use std::collections::HashSet;

/// Whether a line opens the quoted history.
fn opens_history(line: &str, next: Option<&str>) -> bool {
    let t = line.trim();
    // Gmail, Apple Mail, Thunderbird: "On Tue, 3 Mar 2026 at 10:00, Ann <ann@example.com> wrote:"
    // (sometimes wrapped, so the "wrote:" may end the next line).
    if t.starts_with("On ") && (t.ends_with("wrote:") || next.is_some_and(|n| n.trim().ends_with("wrote:"))) {
        return true;
    }
    // Outlook: a rule or "-----Original Message-----" followed by From:/Sent:.
    if t.starts_with("-----Original Message-----") || t.starts_with("________________________________") {
        return true;
    }
    t.starts_with("From:") && next.is_some_and(|n| n.trim().starts_with("Sent:") || n.trim().starts_with("Date:"))
}

/// The new part of a plain-text reply: everything before the quoted history and the signature,
/// with trailing blank lines removed. A message that is nothing but a quote is kept whole.
pub fn trim_text(text: &str) -> String {
    let text = text.replace("\r\n", "\n");
    let lines: Vec<&str> = text.lines().collect();
    let mut kept = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        if *line == "-- " || *line == "--" || opens_history(line, lines.get(i + 1).copied()) {
            break;
        }
        if line.trim_start().starts_with('>') {
            continue;
        }
        kept.push(*line);
    }
    let trimmed = kept.join("\n").trim().to_string();
    if trimmed.is_empty() {
        text.trim().to_string()
    } else {
        trimmed
    }
}

/// Element classes that mail clients put around quoted history.
const QUOTE_CLASSES: [&str; 4] = ["gmail_quote", "gmail_signature", "moz-cite-prefix", "yahoo_quoted"];

/// Sanitizes HTML for display and trims quoted history: `blockquote`s and the clients' quote
/// containers are dropped. No script, no event handlers, no `javascript:` URLs, no styles.
pub fn trim_html(html: &str) -> String {
    let sanitized = sanitize_html(html);
    let trimmed = drop_quotes(&sanitized);
    if trimmed.trim().is_empty() {
        sanitized
    } else {
        trimmed
    }
}

/// ammonia's safe subset plus the classes that mark quotes (so they can be found), links forced
/// to `rel="noopener noreferrer nofollow"` and only http, https and mailto URLs.
pub fn sanitize_html(html: &str) -> String {
    let classes: HashSet<&str> = QUOTE_CLASSES.into_iter().collect();
    ammonia::Builder::default()
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .add_allowed_classes("div", classes.iter().copied())
        .rm_tags(["img"])
        .clean(html)
        .to_string()
}

/// Removes `<blockquote>` elements and `div`s carrying a quote class from sanitized HTML.
/// Sanitized HTML is well-formed (ammonia re-serialises it), so counting tags is exact.
fn drop_quotes(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = find_quote_start(rest) {
        out.push_str(&rest[..start]);
        let tag = if rest[start..].starts_with("<blockquote") { "blockquote" } else { "div" };
        rest = skip_element(&rest[start..], tag);
    }
    out.push_str(rest);
    out
}

fn find_quote_start(html: &str) -> Option<usize> {
    let blockquote = html.find("<blockquote");
    let div = QUOTE_CLASSES.iter().filter_map(|class| html.find(&format!("<div class=\"{class}"))).min();
    match (blockquote, div) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// What follows the element opening at the start of `html` (the rest of the document when it is
/// never closed).
fn skip_element<'a>(html: &'a str, tag: &str) -> &'a str {
    let open = format!("<{tag}");
    let close = format!("</{tag}>");
    let mut depth = 0usize;
    let mut i = 0;
    while i < html.len() {
        if html[i..].starts_with(&open) {
            depth += 1;
            i += open.len();
        } else if html[i..].starts_with(&close) {
            depth -= 1;
            i += close.len();
            if depth == 0 {
                return &html[i..];
            }
        } else {
            i += html[i..].chars().next().map_or(1, char::len_utf8);
        }
    }
    ""
}
