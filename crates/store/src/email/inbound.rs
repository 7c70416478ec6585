//! Received mail: stored with its conversation message in one transaction.
