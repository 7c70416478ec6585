//! Rate limits: API calls per credential per minute (with Intercom's `X-RateLimit-*` headers),
//! sign-in attempts per email, and the messenger's calls per client IP and per app_id (anyone on
//! the internet can boot a messenger and so create a lead). Counters live in this process; with
//! several nodes each node enforces its share.
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::{AppError, AppState, HttpConfig};

const API_WINDOW_SECONDS: i64 = 60;
const LOGIN_WINDOW_SECONDS: i64 = 15 * 60;
const MESSENGER_WINDOW_SECONDS: i64 = 60;

pub struct RateLimits {
    api_per_window: u32,
    login_per_window: u32,
    messenger_per_ip: u32,
    messenger_per_app: u32,
    /// The header a trusted reverse proxy sets to the client's address (`None`: use the peer).
    client_ip_header: Option<String>,
    api: Mutex<HashMap<[u8; 32], (i64, u32)>>,
    login: Mutex<HashMap<String, (i64, u32)>>,
    messenger_ip: Mutex<HashMap<IpAddr, (i64, u32)>>,
    messenger_app: Mutex<HashMap<String, (i64, u32)>>,
}

/// One counted hit: whether it may go on, and the `X-RateLimit-*` figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Verdict {
    allowed: bool,
    limit: u32,
    remaining: u32,
    reset: i64,
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

fn count<K: std::hash::Hash + Eq>(map: &Mutex<HashMap<K, (i64, u32)>>, key: K, limit: u32, now: i64) -> Verdict {
    let mut map = map.lock().unwrap_or_else(|e| e.into_inner());
    let (allowed, remaining, reset) = hit(&mut map, key, limit, MESSENGER_WINDOW_SECONDS, now);
    Verdict { allowed, limit, remaining, reset }
}

impl RateLimits {
    pub fn new(config: &HttpConfig) -> Self {
        let header = config.trusted_client_ip_header.as_deref().map(str::trim).filter(|h| !h.is_empty());
        Self {
            api_per_window: config.api_calls_per_minute,
            login_per_window: config.login_attempts_per_window,
            messenger_per_ip: config.messenger_calls_per_minute_per_ip,
            messenger_per_app: config.messenger_calls_per_minute_per_app,
            client_ip_header: header.map(str::to_ascii_lowercase),
            api: Mutex::default(),
            login: Mutex::default(),
            messenger_ip: Mutex::default(),
            messenger_app: Mutex::default(),
        }
    }

    /// Counts a sign-in attempt for this email; false once the window's budget is spent.
    pub fn allow_login(&self, email: &str) -> bool {
        let mut map = self.login.lock().unwrap_or_else(|e| e.into_inner());
        hit(&mut map, email.trim().to_lowercase(), self.login_per_window, LOGIN_WINDOW_SECONDS, rapport_store::now()).0
    }
}

/// The bucket an `/api` call counts against: its bearer/basic credential, else its session
/// cookie (only that cookie: others a browser sends may change between calls), else the client's
/// address, so callers without a credential (sign-in, invite acceptance) do not share one bucket.
fn api_caller(limits: &RateLimits, request: &Request) -> [u8; 32] {
    let headers = request.headers();
    let caller = if let Some(auth) = headers.get(axum::http::header::AUTHORIZATION) {
        [b"authorization:".as_slice(), auth.as_bytes()].concat()
    } else if let Some(session) = crate::extract::cookie_in(headers, crate::extract::SESSION_COOKIE) {
        format!("session:{session}").into_bytes()
    } else {
        let ip = client_ip(limits, request).map(|ip| ip.to_string()).unwrap_or_default();
        format!("address:{ip}").into_bytes()
    };
    Sha256::digest(&caller).into()
}

/// Middleware for `/api`: counts the call against its caller (see [`api_caller`]) and sets the headers.
pub async fn api_rate_limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let key = api_caller(&state.limits, &request);
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

/// The client's address: from the trusted proxy's header when one is configured (its last
/// entry, the one the proxy itself appended), else the TCP peer. `None` when neither is known.
fn client_ip(limits: &RateLimits, request: &Request) -> Option<IpAddr> {
    if let Some(header) = &limits.client_ip_header {
        let value = request.headers().get(header.as_str()).and_then(|v| v.to_str().ok());
        return value.and_then(|v| v.rsplit(',').next()).and_then(|ip| ip.trim().parse().ok());
    }
    request.extensions().get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(peer)| peer.ip())
}

/// The app_id a messenger request is for: in its visitor token (`Bearer` or `?token=`), or in
/// the JSON body of a boot. Unverified: it only picks the budget to count against.
async fn app_id_of(request: Request, max_body: usize) -> Result<(Request, Option<String>), AppError> {
    let token = request
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string)
        .or_else(|| {
            let query = request.uri().query()?;
            query.split('&').find_map(|pair| pair.strip_prefix("token=")).map(str::to_string)
        });
    if let Some(token) = token {
        let app_id = rapport_core::identity::visitor_token_app_id(token.trim()).map(str::to_string);
        return Ok((request, app_id));
    }
    if request.uri().path() != "/messenger/boot" {
        return Ok((request, None));
    }
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, max_body).await.map_err(|_| {
        AppError::new(StatusCode::PAYLOAD_TOO_LARGE, "request_too_large", "The request body is too large")
    })?;
    let app_id = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|body| body.get("app_id")?.as_str().map(|a| a.trim().to_string()));
    Ok((Request::from_parts(parts, Body::from(bytes)), app_id))
}

fn set_headers(headers: &mut HeaderMap, verdict: Verdict) {
    headers.insert("x-ratelimit-limit", HeaderValue::from(verdict.limit));
    headers.insert("x-ratelimit-remaining", HeaderValue::from(verdict.remaining));
    headers.insert("x-ratelimit-reset", HeaderValue::from(verdict.reset));
}

/// Middleware for the messenger (`/messenger/…`, its socket included): counts the call against
/// the client's IP, then against the app_id, and refuses with 429 once either budget is spent.
pub async fn messenger_rate_limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let limits = &state.limits;
    let now = rapport_store::now();
    // Without a known address (in-process callers) every such call shares one budget.
    let ip = client_ip(limits, &request).unwrap_or(IpAddr::from([0, 0, 0, 0]));
    let by_ip = count(&limits.messenger_ip, ip, limits.messenger_per_ip, now);
    let refused = if by_ip.allowed {
        let (request, app_id) = match app_id_of(request, state.config.max_body_bytes).await {
            Ok(found) => found,
            Err(error) => return error.into_response(),
        };
        let by_app = app_id.map(|app| count(&limits.messenger_app, app, limits.messenger_per_app, now));
        match by_app {
            Some(verdict) if !verdict.allowed => verdict,
            _ => {
                let mut response = next.run(request).await;
                set_headers(response.headers_mut(), by_ip);
                return response;
            }
        }
    } else {
        by_ip
    };
    let mut response =
        AppError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limit_exceeded", "Exceeded rate limit").into_response();
    response.headers_mut().insert("retry-after", HeaderValue::from((refused.reset - now).max(1)));
    set_headers(response.headers_mut(), refused);
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
