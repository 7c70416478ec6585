//! The outbound sender: delivers queued replies through the SMTP relay with retries and backoff.
