//! TODO: filled in by the companies work.
