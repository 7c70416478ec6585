//! Rate limits: API calls per credential per minute (with Intercom's `X-RateLimit-*` headers)
//! and sign-in attempts per email. Counters live in this process; with several nodes each node
//! enforces its share.
use std::collections::HashMap;
use std::sync::Mutex;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::{AppError, AppState};

const API_WINDOW_SECONDS: i64 = 60;
const LOGIN_WINDOW_SECONDS: i64 = 15 * 60;

pub struct RateLimits {
    api_per_window: u32,
    login_per_window: u32,
    api: Mutex<HashMap<[u8; 32], (i64, u32)>>,
    login: Mutex<HashMap<String, (i64, u32)>>,
}

/// Counts one hit in a fixed window; returns (allowed, remaining, window reset time).
fn hit<K: std::hash::Hash + Eq>(
    map: &mut HashMap<K, (i64, u32)>,
    key: K,
    limit: u32,
    window: i64,
    now: i64,
) -> (bool, u32, i64) {
    if map.len() > 100_000 {
        map.retain(|_, (start, _)| now - *start < window);
    }
    let entry = map.entry(key).or_insert((now, 0));
    if now - entry.0 >= window {
        *entry = (now, 0);
    }
    let allowed = entry.1 < limit;
    if allowed {
        entry.1 += 1;
    }
    (allowed, limit - entry.1, entry.0 + window)
}

impl RateLimits {
    pub fn new(api_per_window: u32, login_per_window: u32) -> Self {
        Self { api_per_window, login_per_window, api: Mutex::default(), login: Mutex::default() }
    }

    /// Counts a sign-in attempt for this email; false once the window's budget is spent.
    pub fn allow_login(&self, email: &str) -> bool {
        let mut map = self.login.lock().unwrap_or_else(|e| e.into_inner());
        hit(&mut map, email.trim().to_lowercase(), self.login_per_window, LOGIN_WINDOW_SECONDS, rapport_store::now()).0
    }
}

/// Middleware for `/api`: counts the call against its credential and sets the headers.
pub async fn api_rate_limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let credential = request
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .or_else(|| request.headers().get(axum::http::header::COOKIE))
        .map(|v| v.as_bytes().to_vec())
        .unwrap_or_default();
    let key: [u8; 32] = Sha256::digest(&credential).into();
    let limit = state.limits.api_per_window;
    let (allowed, remaining, reset) = {
        let mut map = state.limits.api.lock().unwrap_or_else(|e| e.into_inner());
        hit(&mut map, key, limit, API_WINDOW_SECONDS, rapport_store::now())
    };
    let mut response = if allowed {
        next.run(request).await
    } else {
        let mut r =
            AppError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limit_exceeded", "Exceeded rate limit").into_response();
        let retry = (reset - rapport_store::now()).max(1);
        r.headers_mut().insert("retry-after", HeaderValue::from(retry));
        r
    };
    let headers = response.headers_mut();
    headers.insert("x-ratelimit-limit", HeaderValue::from(limit));
    headers.insert("x-ratelimit-remaining", HeaderValue::from(remaining));
    headers.insert("x-ratelimit-reset", HeaderValue::from(reset));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_window_allows_the_limit_then_refuses_until_reset() {
        let mut map = HashMap::new();
        for i in 0..3 {
            assert_eq!(hit(&mut map, "k", 3, 60, 1000), (true, 2 - i, 1060));
        }
        assert!(!hit(&mut map, "k", 3, 60, 1059).0);
        assert!(hit(&mut map, "k", 3, 60, 1060).0);
    }
}
