//! The outbound send queue: one row per reply to send, with its delivery state.
