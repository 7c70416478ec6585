//! TODO: filled in by the contacts work.
