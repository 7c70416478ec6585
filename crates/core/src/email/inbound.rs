//! Reading a received message: MIME parts, threading headers, trimming, loop detection.
