//! TODO: search DSL.
