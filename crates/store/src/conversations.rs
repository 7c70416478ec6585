//! TODO: filled in by the conversations work.
