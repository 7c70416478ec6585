//! TODO: filled in by the notes work.
