//! Fuzz targets for Rapport's parsers of untrusted input, one `check(&[u8])` per target.
//!
//! Each check feeds the bytes to the product code and asserts what must hold beyond "no panic"
//! (bounds, round trips, SQL placeholders matching binds). The same checks run under libFuzzer
//! (`fuzz/`, `cargo fuzz run TARGET`) and under the stable bounded runner (`fuzz-bounded`, which
//! `scripts/fuzz.sh` drives over `fuzz/corpus/TARGET` plus random mutations). Nothing here is
//! linked into the server. See `docs/FUZZING.md`.
#![forbid(unsafe_code)]

pub mod mutate;
pub mod runner;
pub mod targets;

/// A fuzz target: its name (the folder of its corpus and of its libFuzzer binary) and its check.
#[derive(Clone, Copy)]
pub struct Target {
    pub name: &'static str,
    pub check: fn(&[u8]),
    /// Whether inputs are JSON documents, which the mutator then also mutates as trees.
    pub json: bool,
    /// Byte strings worth inserting while mutating (keywords, delimiters).
    pub dictionary: &'static [&'static str],
}

/// Every target, in the order the bounded run takes them.
pub const TARGETS: [Target; 8] = [
    targets::search_dsl::TARGET,
    targets::search_sql::TARGET,
    targets::inbound_mime::TARGET,
    targets::reply_trim::TARGET,
    targets::live_frame::TARGET,
    targets::template::TARGET,
    targets::segment::TARGET,
    targets::routing_rules::TARGET,
];

/// The target called `name`.
pub fn target(name: &str) -> Option<Target> {
    TARGETS.iter().copied().find(|t| t.name == name)
}

/// The bytes as text, lossily: targets whose product code takes `&str` see what a server would
/// see after UTF-8 decoding (invalid sequences never reach them).
pub(crate) fn text(data: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(data)
}
