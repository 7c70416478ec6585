//! Saved-reply templates: text with `{{variable}}` and `{{variable | fallback: "text"}}` slots.
//!
//! Deliberately tiny and sandboxed: a template is parsed once into text and variable slots, and
//! rendering only looks values up in a fixed [`Values`] record. There are no expressions, loops,
//! filters other than `fallback`, or property walks, so a template can never run code or reach
//! anything but the fields listed in [`Variable`]. Values are inserted as text (HTML-escaped when
//! the output is HTML), and both the template and its output are bounded in size.
use std::fmt;

use serde_json::{Map, Value};

/// The longest template we accept, in bytes.
pub const MAX_TEMPLATE_BYTES: usize = 20_000;
/// The longest rendered output, in bytes; longer values are cut at a character boundary.
pub const MAX_OUTPUT_BYTES: usize = 50_000;
/// The longest fallback text, in characters.
const MAX_FALLBACK_CHARS: usize = 200;
/// The longest custom attribute name.
const MAX_ATTRIBUTE_NAME: usize = 190;

/// A value a template may name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Variable {
    ContactFirstName,
    ContactName,
    ContactEmail,
    /// `contact.custom_attributes.<name>`.
    ContactCustomAttribute(String),
    CompanyName,
    AdminFirstName,
    AdminName,
    ConversationId,
}

impl Variable {
    /// Every variable name that does not take a parameter, as written in a template.
    pub const NAMES: [&'static str; 7] = [
        "contact.first_name",
        "contact.name",
        "contact.email",
        "company.name",
        "admin.first_name",
        "admin.name",
        "conversation.id",
    ];

    fn parse(name: &str) -> Option<Variable> {
        if let Some(attribute) = name.strip_prefix("contact.custom_attributes.") {
            let valid = !attribute.is_empty()
                && attribute.len() <= MAX_ATTRIBUTE_NAME
                && attribute.chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | ' '));
            return valid.then(|| Variable::ContactCustomAttribute(attribute.to_string()));
        }
        Some(match name {
            "contact.first_name" => Variable::ContactFirstName,
            "contact.name" => Variable::ContactName,
            "contact.email" => Variable::ContactEmail,
            "company.name" => Variable::CompanyName,
            "admin.first_name" => Variable::AdminFirstName,
            "admin.name" => Variable::AdminName,
            "conversation.id" => Variable::ConversationId,
            _ => return None,
        })
    }
}

/// Why a template was refused; the message names the offending variable or position.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("template must be at most {MAX_TEMPLATE_BYTES} bytes")]
    TooLong,
    #[error("unterminated {{{{ at character {0}: close it with }}}}")]
    Unterminated(usize),
    #[error("unknown variable {0:?}; known: {known}, contact.custom_attributes.<name>", known = Variable::NAMES.join(", "))]
    UnknownVariable(String),
    #[error("empty {{{{ }}}} at character {0}")]
    Empty(usize),
    #[error("unsupported filter in {{{{{0}}}}}: only | fallback: \"text\" is allowed")]
    BadFilter(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Text(String),
    Slot { variable: Variable, fallback: Option<String> },
}

/// A parsed template, ready to render any number of times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    segments: Vec<Segment>,
}

/// The values a template can draw on; `None` (or an empty string) uses the slot's fallback.
#[derive(Debug, Clone, Default)]
pub struct Values {
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub contact_custom_attributes: Map<String, Value>,
    pub company_name: Option<String>,
    pub admin_name: Option<String>,
    pub conversation_id: Option<String>,
}

/// What the rendered text will be used as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// Plain text: values are inserted verbatim.
    Text,
    /// HTML: values are escaped so they can only ever be text.
    Html,
}

impl Template {
    /// Parses a template, refusing unknown variables, unterminated or empty slots and unknown filters.
    pub fn parse(source: &str) -> Result<Template, TemplateError> {
        if source.len() > MAX_TEMPLATE_BYTES {
            return Err(TemplateError::TooLong);
        }
        let mut segments = Vec::new();
        let mut rest = source;
        let mut offset = 0;
        while let Some(start) = rest.find("{{") {
            if start > 0 {
                segments.push(Segment::Text(rest[..start].to_string()));
            }
            let position = source[..offset + start].chars().count();
            let inner_start = start + 2;
            let Some(len) = rest[inner_start..].find("}}") else {
                return Err(TemplateError::Unterminated(position));
            };
            let inner = &rest[inner_start..inner_start + len];
            segments.push(parse_slot(inner, position)?);
            let consumed = inner_start + len + 2;
            rest = &rest[consumed..];
            offset += consumed;
        }
        if !rest.is_empty() {
            segments.push(Segment::Text(rest.to_string()));
        }
        Ok(Template { segments })
    }

    /// The variables the template uses, in order of appearance.
    pub fn variables(&self) -> impl Iterator<Item = &Variable> {
        self.segments.iter().filter_map(|s| match s {
            Segment::Slot { variable, .. } => Some(variable),
            Segment::Text(_) => None,
        })
    }

    /// Fills the slots. A missing value uses the fallback, or nothing. The result is at most
    /// [`MAX_OUTPUT_BYTES`].
    pub fn render(&self, values: &Values, output: Output) -> String {
        let mut out = String::new();
        for segment in &self.segments {
            let piece = match segment {
                // The template's own text is the author's: an HTML template keeps its markup.
                Segment::Text(text) => std::borrow::Cow::Borrowed(text.as_str()),
                Segment::Slot { variable, fallback } => {
                    let value = lookup(values, variable).filter(|v| !v.trim().is_empty());
                    let text = value.or_else(|| fallback.clone()).unwrap_or_default();
                    match output {
                        Output::Text => std::borrow::Cow::Owned(text),
                        Output::Html => std::borrow::Cow::Owned(escape_html(&text)),
                    }
                }
            };
            if !push_bounded(&mut out, &piece) {
                break;
            }
        }
        out
    }
}

/// Appends as much of `piece` as fits; false once the output is full.
fn push_bounded(out: &mut String, piece: &str) -> bool {
    let room = MAX_OUTPUT_BYTES - out.len();
    if piece.len() <= room {
        out.push_str(piece);
        return true;
    }
    let mut cut = room;
    while !piece.is_char_boundary(cut) {
        cut -= 1;
    }
    out.push_str(&piece[..cut]);
    false
}

fn parse_slot(inner: &str, position: usize) -> Result<Segment, TemplateError> {
    let (name, filter) = match inner.split_once('|') {
        Some((name, filter)) => (name.trim(), Some(filter.trim())),
        None => (inner.trim(), None),
    };
    if name.is_empty() {
        return Err(TemplateError::Empty(position));
    }
    let variable = Variable::parse(name).ok_or_else(|| TemplateError::UnknownVariable(shorten(name)))?;
    let fallback = match filter {
        None => None,
        Some(filter) => Some(parse_fallback(filter).ok_or_else(|| TemplateError::BadFilter(shorten(inner.trim())))?),
    };
    Ok(Segment::Slot { variable, fallback })
}

/// `fallback: "text"` (double or single quotes; no quote of the same kind inside).
fn parse_fallback(filter: &str) -> Option<String> {
    let argument = filter.strip_prefix("fallback")?.trim_start().strip_prefix(':')?.trim();
    let quote = argument.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let text = argument.strip_prefix(quote)?.strip_suffix(quote)?;
    (!text.contains(quote) && text.chars().count() <= MAX_FALLBACK_CHARS).then(|| text.to_string())
}

/// Error messages quote what was written, but never more than a line's worth.
fn shorten(text: &str) -> String {
    let mut short: String = text.chars().take(60).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    short
}

fn first_word(name: &str) -> Option<String> {
    name.split_whitespace().next().map(str::to_string)
}

fn lookup(values: &Values, variable: &Variable) -> Option<String> {
    match variable {
        Variable::ContactFirstName => values.contact_name.as_deref().and_then(first_word),
        Variable::ContactName => values.contact_name.clone(),
        Variable::ContactEmail => values.contact_email.clone(),
        Variable::ContactCustomAttribute(name) => match values.contact_custom_attributes.get(name)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            // Objects and arrays are not text a customer should read; null is "no value".
            _ => None,
        },
        Variable::CompanyName => values.company_name.clone(),
        Variable::AdminFirstName => values.admin_name.as_deref().and_then(first_word),
        Variable::AdminName => values.admin_name.clone(),
        Variable::ConversationId => values.conversation_id.clone(),
    }
}

/// Escapes the five characters that matter in HTML text and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

impl fmt::Display for Variable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Variable::ContactCustomAttribute(name) => write!(f, "contact.custom_attributes.{name}"),
            Variable::ContactFirstName => f.write_str("contact.first_name"),
            Variable::ContactName => f.write_str("contact.name"),
            Variable::ContactEmail => f.write_str("contact.email"),
            Variable::CompanyName => f.write_str("company.name"),
            Variable::AdminFirstName => f.write_str("admin.first_name"),
            Variable::AdminName => f.write_str("admin.name"),
            Variable::ConversationId => f.write_str("conversation.id"),
        }
    }
}

#[cfg(test)]
mod tests;
