//! TODO: custom attribute types.
