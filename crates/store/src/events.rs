//! TODO: filled in by the events work.
