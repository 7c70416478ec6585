//! Composing a reply: headers that keep the thread together, text and HTML parts.
