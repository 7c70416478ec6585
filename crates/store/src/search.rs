//! TODO: filled in by the search work.
