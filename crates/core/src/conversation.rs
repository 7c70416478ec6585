//! TODO: conversation state machine.
