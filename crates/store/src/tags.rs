//! TODO: filled in by the tags work.
