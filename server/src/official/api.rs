//! The REST API under `/v1` and the admin page at `/admin`. Errors are JSON
//! `{code, message}`; the OpenAPI document at `/v1/openapi.json` is built from [`ENDPOINTS`],
//! the same table the tests walk, so the document lists exactly what is routed.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequest, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::{Json, Router};
use hearth_rules::protocol::{PlayerId, WireError, codes};
use hearth_rules::{Catalog, Encoding, Payload};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::accounts::{self, TOKEN_LIFETIME_SECS, now};
use super::store::{Account, DeviceSignIn, Role, Store, StoreError, StoredMatch};
use crate::HostControl;

/// A real hash to check wrong usernames against, so they take as long as wrong passwords.
static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| accounts::hash_password("not a real password").unwrap_or_default());

/// One documented endpoint: method, path, who may call it, what it does.
pub struct Endpoint {
    /// HTTP method.
    pub method: &'static str,
    /// Path (OpenAPI template syntax).
    pub path: &'static str,
    /// `public`, `account` (any signed-in account) or `admin`.
    pub auth: &'static str,
    /// One line.
    pub summary: &'static str,
    /// Example request body, if it takes one.
    pub body: Option<&'static str>,
    /// Its query parameters.
    pub query: &'static [Param],
    /// The success status (200, or 201 for a new account).
    pub ok: u16,
    /// The success body: a JSON Schema, as JSON text (may `$ref` the shared schemas).
    pub response: &'static str,
    /// The error statuses it can answer (each with an `Error` body); every endpoint may also
    /// answer 503 when storage fails.
    pub errors: &'static [u16],
}

/// A query parameter.
pub struct Param {
    /// Its name.
    pub name: &'static str,
    /// `integer` or `string`.
    pub kind: &'static str,
    /// What it does.
    pub description: &'static str,
}

const LIMIT: Param = Param {
    name: "limit",
    kind: "integer",
    description: "How many to return at most",
};

/// Every route of the API.
pub const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        method: "post",
        path: "/v1/auth/device",
        auth: "public",
        summary: "Sign in with a device id (a guest account is made on first use); returns a token",
        body: Some(r#"{"device_id":"d6f1c1e0-5b1e-4b9e","display_name":"Ada"}"#),
        query: &[],
        ok: 200,
        response: r##"{"$ref":"#/components/schemas/Grant"}"##,
        errors: &[400, 403, 429],
    },
    Endpoint {
        method: "post",
        path: "/v1/auth/register",
        auth: "public",
        summary: "Create a password account; returns a token",
        body: Some(r#"{"username":"ada","password":"correct horse","display_name":"Ada"}"#),
        query: &[],
        ok: 201,
        response: r##"{"$ref":"#/components/schemas/Grant"}"##,
        errors: &[400, 409, 429],
    },
    Endpoint {
        method: "post",
        path: "/v1/auth/login",
        auth: "public",
        summary: "Sign in with username and password; returns a token",
        body: Some(r#"{"username":"ada","password":"correct horse"}"#),
        query: &[],
        ok: 200,
        response: r##"{"$ref":"#/components/schemas/Grant"}"##,
        errors: &[400, 401, 403, 429],
    },
    Endpoint {
        method: "post",
        path: "/v1/auth/logout",
        auth: "account",
        summary: "Revoke the token used for this request",
        body: None,
        query: &[],
        ok: 200,
        response: r##"{"$ref":"#/components/schemas/Ok"}"##,
        errors: &[401, 403],
    },
    Endpoint {
        method: "post",
        path: "/v1/auth/upgrade",
        auth: "account",
        summary: "Give a guest (device) account a username and password, keeping its history",
        body: Some(r#"{"username":"ada","password":"correct horse"}"#),
        query: &[],
        ok: 200,
        response: r##"{"type":"object","required":["account"],"properties":{"account":{"$ref":"#/components/schemas/Account"}}}"##,
        errors: &[400, 401, 403, 409],
    },
    Endpoint {
        method: "get",
        path: "/v1/me",
        auth: "account",
        summary: "The signed-in account",
        body: None,
        query: &[],
        ok: 200,
        response: r##"{"type":"object","required":["account"],"properties":{"account":{"$ref":"#/components/schemas/Account"}}}"##,
        errors: &[401, 403],
    },
    Endpoint {
        method: "get",
        path: "/v1/games",
        auth: "public",
        summary: "The games this server offers, with rules fingerprints",
        body: None,
        query: &[],
        ok: 200,
        response: r##"{"type":"object","required":["games"],"properties":{"games":{"type":"array","items":{"$ref":"#/components/schemas/Game"}}}}"##,
        errors: &[],
    },
    Endpoint {
        method: "get",
        path: "/v1/leaderboards/{game}",
        auth: "public",
        summary: "A game's leaderboard, best first (wins, losses, draws, Elo rating)",
        body: None,
        query: &[LIMIT],
        ok: 200,
        response: r##"{"type":"object","required":["game","standings"],"properties":{"game":{"type":"string"},"standings":{"type":"array","items":{"$ref":"#/components/schemas/Standing"}}}}"##,
        errors: &[400, 404],
    },
    Endpoint {
        method: "get",
        path: "/v1/matches",
        auth: "public",
        summary: "Recent matches, newest first; ?account=ID for one player's, ?limit=N. A running match of a hidden-information game shows no seed until it is over",
        body: None,
        query: &[
            Param {
                name: "account",
                kind: "integer",
                description: "Only this account's matches",
            },
            LIMIT,
        ],
        ok: 200,
        response: r##"{"type":"object","required":["matches"],"properties":{"matches":{"type":"array","items":{"$ref":"#/components/schemas/Match"}}}}"##,
        errors: &[400],
    },
    Endpoint {
        method: "get",
        path: "/v1/matches/{id}",
        auth: "public",
        summary: "One match: header, seats, outcome and the full log (actions as JSON); a running match of a hidden-information game shows neither seed nor log until it is over",
        body: None,
        query: &[],
        ok: 200,
        response: r##"{"type":"object","required":["match","log"],"properties":{"match":{"$ref":"#/components/schemas/Match"},"log":{"type":"array","items":{"$ref":"#/components/schemas/LogEntry"}}}}"##,
        errors: &[400, 404],
    },
    Endpoint {
        method: "get",
        path: "/v1/openapi.json",
        auth: "public",
        summary: "This document",
        body: None,
        query: &[],
        ok: 200,
        response: r##"{"type":"object","required":["openapi","paths"]}"##,
        errors: &[],
    },
    Endpoint {
        method: "get",
        path: "/v1/admin/rooms",
        auth: "admin",
        summary: "Live rooms with seats, members and phase",
        body: None,
        query: &[],
        ok: 200,
        response: r##"{"type":"object","required":["rooms"],"properties":{"rooms":{"type":"array","items":{"type":"object","required":["room","members","phase"],"properties":{"room":{"$ref":"#/components/schemas/Room"},"members":{"type":"array","items":{"$ref":"#/components/schemas/Member"}},"phase":{}}}}}}"##,
        errors: &[401, 403],
    },
    Endpoint {
        method: "get",
        path: "/v1/admin/online",
        auth: "admin",
        summary: "Players connected now",
        body: None,
        query: &[],
        ok: 200,
        response: r##"{"type":"object","required":["online"],"properties":{"online":{"type":"array","items":{"$ref":"#/components/schemas/Online"}}}}"##,
        errors: &[401, 403],
    },
    Endpoint {
        method: "get",
        path: "/v1/admin/users",
        auth: "admin",
        summary: "Search accounts by name (?q=…)",
        body: None,
        query: &[
            Param {
                name: "q",
                kind: "string",
                description: "Part of a username or display name",
            },
            LIMIT,
        ],
        ok: 200,
        response: r##"{"type":"object","required":["users"],"properties":{"users":{"type":"array","items":{"$ref":"#/components/schemas/Account"}}}}"##,
        errors: &[400, 401, 403],
    },
    Endpoint {
        method: "post",
        path: "/v1/admin/users/{id}/ban",
        auth: "admin",
        summary: "Ban an account (its tokens are revoked)",
        body: None,
        query: &[],
        ok: 200,
        response: r##"{"type":"object","required":["account"],"properties":{"account":{"$ref":"#/components/schemas/Account"}}}"##,
        errors: &[400, 401, 403, 404],
    },
    Endpoint {
        method: "post",
        path: "/v1/admin/users/{id}/unban",
        auth: "admin",
        summary: "Lift a ban",
        body: None,
        query: &[],
        ok: 200,
        response: r##"{"type":"object","required":["account"],"properties":{"account":{"$ref":"#/components/schemas/Account"}}}"##,
        errors: &[400, 401, 403, 404],
    },
    Endpoint {
        method: "post",
        path: "/v1/admin/users/{id}/promote",
        auth: "admin",
        summary: "Make an account an admin",
        body: None,
        query: &[],
        ok: 200,
        response: r##"{"type":"object","required":["account"],"properties":{"account":{"$ref":"#/components/schemas/Account"}}}"##,
        errors: &[400, 401, 403, 404],
    },
    Endpoint {
        method: "post",
        path: "/v1/admin/users/{id}/demote",
        auth: "admin",
        summary: "Make an admin a player",
        body: None,
        query: &[],
        ok: 200,
        response: r##"{"type":"object","required":["account"],"properties":{"account":{"$ref":"#/components/schemas/Account"}}}"##,
        errors: &[400, 401, 403, 404],
    },
    Endpoint {
        method: "post",
        path: "/v1/admin/rooms/{room}/close",
        auth: "admin",
        summary: "Close a room; its members are told and let go",
        body: None,
        query: &[],
        ok: 200,
        response: r##"{"$ref":"#/components/schemas/Ok"}"##,
        errors: &[401, 403, 404],
    },
    Endpoint {
        method: "post",
        path: "/v1/admin/rooms/{room}/kick",
        auth: "admin",
        summary: "Remove a player from a room",
        body: Some(r#"{"player":42}"#),
        query: &[],
        ok: 200,
        response: r##"{"$ref":"#/components/schemas/Ok"}"##,
        errors: &[400, 401, 403, 404],
    },
];

/// An API error: HTTP status plus `{code, message}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: String,
    message: String,
    /// Seconds to wait, sent as `Retry-After` (with 429).
    retry_after: Option<u64>,
}

impl ApiError {
    fn new(status: StatusCode, code: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code: code.to_string(),
            message: message.into(),
            retry_after: None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            Json(json!({"code": self.code, "message": self.message})),
        )
            .into_response();
        if let Some(secs) = self.retry_after
            && let Ok(value) = header::HeaderValue::from_str(&secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

impl From<WireError> for ApiError {
    fn from(e: WireError) -> ApiError {
        let status = match e.code.as_str() {
            codes::UNAUTHORIZED => StatusCode::UNAUTHORIZED,
            codes::BANNED | "forbidden" => StatusCode::FORBIDDEN,
            "unknown_game" => StatusCode::NOT_FOUND,
            codes::UNAVAILABLE => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::BAD_REQUEST,
        };
        ApiError {
            status,
            code: e.code,
            message: e.message,
            retry_after: None,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::Conflict(m) => ApiError::new(StatusCode::CONFLICT, "conflict", m),
            StoreError::NotFound(m) => ApiError::new(StatusCode::NOT_FOUND, "not_found", m),
            e => {
                tracing::error!("{e}");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    codes::UNAVAILABLE,
                    "storage failed; try again",
                )
            }
        }
    }
}

/// A JSON body whose problems are `{code, message}` errors like everything else.
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(Body(v)),
            Err(e) => Err(ApiError::new(e.status(), codes::BAD_REQUEST, e.body_text())),
        }
    }
}

/// Sign-in attempts per address and endpoint: a token bucket (by default 10 at once, one
/// more every 6 s; see `Limits::sign_in_burst`), so passwords cannot be guessed quickly and
/// accounts cannot be minted in bulk.
///
/// Besides, wrong passwords per account: after [`FREE_GUESSES`] in a row, each further
/// attempt on that username must wait a delay that doubles with every failure up to
/// [`MAX_GUESS_DELAY`] (429 with `Retry-After`, the password not even checked), whatever
/// address it comes from. The owner is slowed, never locked out: addresses that signed in to
/// the account before are exempt, and anyone may try again once the delay is over.
pub struct LoginLimiter {
    buckets: Mutex<HashMap<(IpAddr, &'static str), Bucket>>,
    burst: f64,
    per_sec: f64,
    guesses: Mutex<HashMap<String, Guesses>>,
}

/// Wrong passwords allowed in a row before the delay starts.
pub const FREE_GUESSES: u32 = 3;
/// The longest wait between guesses at one account, in seconds.
pub const MAX_GUESS_DELAY: u64 = 30;
/// Failures older than this are forgotten.
const GUESS_MEMORY: Duration = Duration::from_secs(15 * 60);
/// Addresses remembered per account as the owner's.
const KNOWN_ADDRESSES: usize = 16;

/// Wrong passwords at one username.
#[derive(Default)]
struct Guesses {
    failures: u32,
    /// No attempt (from a stranger) before this.
    not_before: Option<Instant>,
    last_failure: Option<Instant>,
    /// Addresses that signed in successfully.
    known: Vec<IpAddr>,
}

impl Default for LoginLimiter {
    fn default() -> Self {
        let limits = crate::Limits::default();
        LoginLimiter::new(limits.sign_in_burst, limits.sign_ins_per_minute)
    }
}

/// Tokens left and when they were last topped up.
type Bucket = (f64, Instant);

impl LoginLimiter {
    /// `burst` attempts at once per address and endpoint, then `per_minute` a minute.
    pub fn new(burst: u32, per_minute: u32) -> Self {
        LoginLimiter {
            buckets: Mutex::default(),
            burst: f64::from(burst.max(1)),
            per_sec: f64::from(per_minute) / 60.0,
            guesses: Mutex::default(),
        }
    }

    /// Whether `ip` may try a password for `username` now, or how many seconds it must wait.
    fn account_allows(&self, username: &str, ip: IpAddr) -> Result<(), u64> {
        let map = self.guesses.lock().unwrap_or_else(|e| e.into_inner());
        let Some(g) = map.get(&username.to_lowercase()) else {
            return Ok(());
        };
        let now = Instant::now();
        match g.not_before {
            Some(t) if t > now && !g.known.contains(&ip) => {
                Err((t - now).as_secs_f64().ceil().max(1.0) as u64)
            }
            _ => Ok(()),
        }
    }

    /// A wrong password for `username`: the next stranger's attempt waits longer.
    fn failed(&self, username: &str) {
        let mut map = self.guesses.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if map.len() > 100_000 {
            map.retain(|_, g| {
                g.last_failure
                    .is_some_and(|t| now.duration_since(t) < GUESS_MEMORY)
                    || !g.known.is_empty()
            });
        }
        let g = map.entry(username.to_lowercase()).or_default();
        if g.last_failure
            .is_some_and(|t| now.duration_since(t) >= GUESS_MEMORY)
        {
            g.failures = 0;
        }
        g.failures = g.failures.saturating_add(1);
        g.last_failure = Some(now);
        if g.failures >= FREE_GUESSES {
            let doublings = (g.failures - FREE_GUESSES).min(16);
            let delay = (1u64 << doublings).min(MAX_GUESS_DELAY);
            g.not_before = Some(now + Duration::from_secs(delay));
        }
    }

    /// A right password for `username` from `ip`: the address is the owner's from now on.
    /// (Strangers' delay stands: the owner signing in must not reopen the door for them.)
    fn succeeded(&self, username: &str, ip: IpAddr) {
        let mut map = self.guesses.lock().unwrap_or_else(|e| e.into_inner());
        let g = map.entry(username.to_lowercase()).or_default();
        if !g.known.contains(&ip) {
            if g.known.len() >= KNOWN_ADDRESSES {
                g.known.remove(0);
            }
            g.known.push(ip);
        }
    }

    /// Takes a token for `ip` at `endpoint`, or says how many whole seconds until one is
    /// there.
    fn allow(&self, ip: IpAddr, endpoint: &'static str) -> Result<(), u64> {
        let mut map = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if map.len() > 100_000 {
            map.retain(|_, (_, t)| now.duration_since(*t).as_secs() < 60);
        }
        let (tokens, last) = map.entry((ip, endpoint)).or_insert((self.burst, now));
        *tokens =
            (*tokens + now.duration_since(*last).as_secs_f64() * self.per_sec).min(self.burst);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - *tokens) / self.per_sec.max(f64::MIN_POSITIVE);
            Err(wait.ceil().clamp(1.0, 3600.0) as u64)
        }
    }
}

/// What the handlers share.
#[derive(Clone)]
pub struct Api {
    /// The store.
    pub store: Arc<dyn Store>,
    /// The running host.
    pub host: HostControl,
    /// The games.
    pub catalog: Arc<Catalog>,
    /// Login rate limit.
    pub limiter: Arc<LoginLimiter>,
    /// Device sign-ins, group-committed.
    pub sign_ins: super::sign_ins::SignIns,
    /// Tells the other nodes of a cluster about bans, sign-outs and admin actions.
    pub announce: super::Announce,
}

impl Api {
    fn limit(&self, peer: SocketAddr, endpoint: &'static str) -> Result<(), ApiError> {
        let Err(wait) = self.limiter.allow(peer.ip(), endpoint) else {
            return Ok(());
        };
        Err(ApiError {
            retry_after: Some(wait),
            ..ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                codes::RATE_LIMITED,
                format!("too many sign-in attempts from this address; retry in {wait} s"),
            )
        })
    }
}

/// The API's routes.
pub fn router(api: Api) -> Router {
    Router::new()
        .route("/v1/auth/device", post(device))
        .route("/v1/auth/register", post(register))
        .route("/v1/auth/login", post(login))
        .route("/v1/auth/logout", post(logout))
        .route("/v1/auth/upgrade", post(upgrade))
        .route("/v1/me", get(me))
        .route("/v1/games", get(games))
        .route("/v1/leaderboards/{game}", get(leaderboard))
        .route("/v1/matches", get(matches))
        .route("/v1/matches/{id}", get(match_detail))
        .route("/v1/openapi.json", get(openapi))
        .route("/v1/admin/rooms", get(admin_rooms))
        .route("/v1/admin/online", get(admin_online))
        .route("/v1/admin/users", get(admin_users))
        .route("/v1/admin/users/{id}/{op}", post(admin_user_op))
        .route("/v1/admin/rooms/{room}/close", post(admin_close))
        .route("/v1/admin/rooms/{room}/kick", post(admin_kick))
        // Unknown /v1 paths answer here, in JSON, rather than falling through to the web
        // folder's plain 404.
        .route("/v1", any(unknown_endpoint))
        .route("/v1/{*rest}", any(unknown_endpoint))
        .route("/admin", get(admin_page))
        .with_state(api)
        .layer(axum::middleware::from_fn(json_errors))
}

async fn unknown_endpoint(uri: axum::http::Uri) -> Response {
    // The page asks every host that served it whether it is a LAN host (`GET /v1/lan`, routed
    // before this catch-all on LAN hosts): "no" is an empty success, not an error a browser
    // logs in its console.
    if uri.path() == crate::lan::LAN_INFO_PATH {
        return StatusCode::NO_CONTENT.into_response();
    }
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "no such endpoint; GET /v1/openapi.json lists them",
    )
    .into_response()
}

/// Makes every `/v1` error a `{code, message}` body, including the ones axum writes itself
/// (a wrong method, a malformed path or query parameter).
async fn json_errors(req: Request, next: axum::middleware::Next) -> Response {
    let api = req.uri().path().starts_with("/v1");
    let response = next.run(req).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !api || status.as_u16() < 400 || is_json {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 16 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let code = match status {
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "too_large",
        s if s.is_server_error() => "internal",
        _ => codes::BAD_REQUEST,
    };
    let message = match (status, text.is_empty()) {
        (StatusCode::METHOD_NOT_ALLOWED, _) => {
            let allowed = parts
                .headers
                .get(header::ALLOW)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("another method");
            format!("this endpoint takes {allowed}")
        }
        (_, false) => text,
        (_, true) => status.canonical_reason().unwrap_or("error").to_string(),
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    let body = json!({"code": code, "message": message}).to_string();
    Response::from_parts(parts, axum::body::Body::from(body))
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?
}

fn bearer(headers: &HeaderMap) -> Result<String, ApiError> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                codes::UNAUTHORIZED,
                "send `Authorization: Bearer <token>`; get a token from POST /v1/auth/device or /v1/auth/login",
            )
        })
}

async fn signed_in(api: &Api, headers: &HeaderMap) -> Result<(Account, String), ApiError> {
    let token = bearer(headers)?;
    let store = api.store.clone();
    let t = token.clone();
    let account = blocking(move || Ok(accounts::account_for_token(&*store, &t)?)).await?;
    Ok((account, token))
}

async fn admin(api: &Api, headers: &HeaderMap) -> Result<Account, ApiError> {
    let (account, _) = signed_in(api, headers).await?;
    if account.role != Role::Admin {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "this needs an admin account",
        ));
    }
    Ok(account)
}

fn issue_token(store: &dyn Store, account: &Account) -> Result<Value, ApiError> {
    let (token, hash) = accounts::new_token().map_err(WireError::from)?;
    let now = now();
    let expires_at = now + TOKEN_LIFETIME_SECS;
    store.add_token(&hash, account.id, expires_at, now)?;
    Ok(json!({"token": token, "expires_at": expires_at, "account": account}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeviceReq {
    device_id: String,
    display_name: String,
}

async fn device(
    State(api): State<Api>,
    ConnectInfo(peer): ConnectInfo<crate::Peer>,
    Body(req): Body<DeviceReq>,
) -> Result<Json<Value>, ApiError> {
    api.limit(peer.addr, "device")?;
    accounts::device_id(&req.device_id)?;
    let name = crate::names::display_name(&req.display_name)?;
    let (token, token_hash) = accounts::new_token().map_err(WireError::from)?;
    let now = now();
    let expires_at = now + TOKEN_LIFETIME_SECS;
    let sign_in = DeviceSignIn {
        device_id: req.device_id,
        display_name: name,
        token_hash,
        expires_at,
    };
    let account = api.sign_ins.device(sign_in, now).await?;
    if account.banned {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            codes::BANNED,
            "this account is banned",
        ));
    }
    Ok(Json(
        json!({"token": token, "expires_at": expires_at, "account": account}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegisterReq {
    username: String,
    password: String,
    display_name: Option<String>,
}

async fn register(
    State(api): State<Api>,
    ConnectInfo(peer): ConnectInfo<crate::Peer>,
    Body(req): Body<RegisterReq>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    api.limit(peer.addr, "register")?;
    let username = accounts::username(&req.username)?;
    accounts::password(&req.password)?;
    let name = crate::names::display_name(req.display_name.as_deref().unwrap_or(&username))?;
    let store = api.store.clone();
    blocking(move || {
        let hash = accounts::hash_password(&req.password).map_err(|e| {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
        })?;
        let account = store.create_user(&username, &name, &hash, Role::Player, now())?;
        issue_token(&*store, &account)
    })
    .await
    .map(|v| (StatusCode::CREATED, Json(v)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginReq {
    username: String,
    password: String,
}

async fn login(
    State(api): State<Api>,
    ConnectInfo(peer): ConnectInfo<crate::Peer>,
    Body(req): Body<LoginReq>,
) -> Result<Json<Value>, ApiError> {
    api.limit(peer.addr, "login")?;
    if let Err(wait) = api.limiter.account_allows(&req.username, peer.addr.ip()) {
        return Err(ApiError {
            retry_after: Some(wait),
            ..ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                codes::RATE_LIMITED,
                format!("too many wrong passwords for this account; retry in {wait} s"),
            )
        });
    }
    let username = req.username.clone();
    let store = api.store.clone();
    let result = blocking(move || {
        let wrong = || {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "wrong_credentials",
                "wrong username or password",
            )
        };
        let Some((account, Some(hash))) = store.user_by_name(&req.username)? else {
            // Same work as a real check, so timing does not tell which usernames exist.
            let _ = accounts::verify_password(&req.password, &DUMMY_HASH);
            return Err(wrong());
        };
        if !accounts::verify_password(&req.password, &hash) {
            return Err(wrong());
        }
        if account.banned {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                codes::BANNED,
                "this account is banned",
            ));
        }
        issue_token(&*store, &account)
    })
    .await;
    match &result {
        Err(e) if e.code == "wrong_credentials" => api.limiter.failed(&username),
        Ok(_) => api.limiter.succeeded(&username, peer.addr.ip()),
        Err(_) => {}
    }
    result.map(Json)
}

async fn logout(State(api): State<Api>, headers: HeaderMap) -> Result<Json<Value>, ApiError> {
    let (_, token) = signed_in(&api, &headers).await?;
    let store = api.store.clone();
    let hash = accounts::token_hash(&token);
    blocking(move || Ok(store.revoke_token(&hash)?)).await?;
    let session = accounts::session_key(&token);
    if let Some(announce) = &api.announce {
        announce(super::ClusterEvent::SignedOut(session.clone()));
    }
    api.host.disconnect_session(
        &session,
        codes::SIGNED_OUT,
        "this token was signed out; sign in again to play",
    );
    Ok(Json(json!({"ok": true})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpgradeReq {
    username: String,
    password: String,
}

async fn upgrade(
    State(api): State<Api>,
    headers: HeaderMap,
    Body(req): Body<UpgradeReq>,
) -> Result<Json<Value>, ApiError> {
    let (account, _) = signed_in(&api, &headers).await?;
    if !account.guest {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "conflict",
            "this account has a password already",
        ));
    }
    let username = accounts::username(&req.username)?;
    accounts::password(&req.password)?;
    let store = api.store.clone();
    blocking(move || {
        let hash = accounts::hash_password(&req.password).map_err(|e| {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
        })?;
        Ok(json!({"account": store.upgrade_guest(account.id, &username, &hash)?}))
    })
    .await
    .map(Json)
}

async fn me(State(api): State<Api>, headers: HeaderMap) -> Result<Json<Value>, ApiError> {
    let (account, _) = signed_in(&api, &headers).await?;
    Ok(Json(json!({"account": account})))
}

async fn games(State(api): State<Api>) -> Json<Value> {
    Json(json!({"games": api.catalog.games().collect::<Vec<_>>()}))
}

#[derive(Deserialize)]
struct Limit {
    limit: Option<u32>,
    account: Option<PlayerId>,
    q: Option<String>,
}

async fn leaderboard(
    State(api): State<Api>,
    Path(game): Path<String>,
    Query(q): Query<Limit>,
) -> Result<Json<Value>, ApiError> {
    api.catalog.get(&game).map_err(WireError::from)?;
    let store = api.store.clone();
    let limit = q.limit.unwrap_or(100).min(1000);
    let g = game.clone();
    let standings = blocking(move || Ok(store.leaderboard(&g, limit)?)).await?;
    Ok(Json(json!({"game": game, "standings": standings})))
}

async fn matches(State(api): State<Api>, Query(q): Query<Limit>) -> Result<Json<Value>, ApiError> {
    let store = api.store.clone();
    let limit = q.limit.unwrap_or(50).min(500);
    let list = blocking(move || Ok(store.list_matches(q.account, limit)?)).await?;
    let list: Vec<Value> = list
        .iter()
        .map(|m| public_match(&api.catalog, m).0)
        .collect();
    Ok(Json(json!({"matches": list})))
}

/// A match as the public API shows it, and whether its log may be shown. A running match of a
/// game that hides information (anything but perfect information) keeps its seed and its log
/// to itself until it is over: the seed alone would let anyone replay the hidden draws (the
/// protocol never sends it for such games), and the log holds every seat's secret choices.
/// Once over, everything is public, as for perfect-information games throughout.
fn public_match(catalog: &Catalog, m: &StoredMatch) -> (Value, bool) {
    let mut value = serde_json::to_value(m).unwrap_or(Value::Null);
    let hidden = catalog
        .get(&m.game)
        .map(|g| g.hidden_information)
        // A game this build does not know: assume the worst.
        .unwrap_or(true);
    let secret = hidden && m.ended_at.is_none();
    if secret {
        value["seed"] = Value::Null;
        value["withheld"] = json!(
            "the seed and the log of a running game with hidden information are published when it is over"
        );
    }
    (value, !secret)
}

async fn match_detail(
    State(api): State<Api>,
    Path(id): Path<u64>,
) -> Result<Json<Value>, ApiError> {
    let store = api.store.clone();
    let (m, log) = blocking(move || {
        let m = store.get_match(id)?.ok_or_else(|| {
            ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("no match {id}"))
        })?;
        Ok((m, store.match_log(id)?))
    })
    .await?;
    let (public, log_visible) = public_match(&api.catalog, &m);
    if !log_visible {
        return Ok(Json(json!({"match": public, "log": []})));
    }
    // Actions are stored as postcard; show them as JSON through the game's own types.
    let log: Vec<Value> = log
        .iter()
        .map(|e| {
            let action = match api.catalog.convert(
                &m.game,
                hearth_rules::ValueKind::Action,
                &e.action,
                Encoding::Json,
            ) {
                Ok(Payload::Json(v)) => v,
                _ => Value::Null,
            };
            json!({"index": e.index, "tick": e.tick, "seat": e.seat.0, "action": action})
        })
        .collect();
    Ok(Json(json!({"match": public, "log": log})))
}

async fn openapi() -> Json<Value> {
    Json(openapi_document())
}

/// The OpenAPI 3.1 document for [`ENDPOINTS`].
pub fn openapi_document() -> Value {
    let mut paths = serde_json::Map::new();
    let error = json!({"description": "an error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
    for e in ENDPOINTS {
        let mut params: Vec<Value> = e
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": if name == "id" { "integer" } else { "string" }}}))
            .collect();
        params.extend(e.query.iter().map(|q| {
            json!({"name": q.name, "in": "query", "required": false, "description": q.description, "schema": {"type": q.kind}})
        }));
        let schema: Value = serde_json::from_str(e.response).unwrap_or(Value::Null);
        let mut responses = serde_json::Map::new();
        responses.insert(
            e.ok.to_string(),
            json!({"description": "success", "content": {"application/json": {"schema": schema}}}),
        );
        for status in e.errors.iter().chain(&[503]) {
            let mut answer = error.clone();
            if *status == 429 {
                answer["headers"] = json!({"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}});
            }
            responses.insert(status.to_string(), answer);
        }
        let mut op = json!({
            "summary": e.summary,
            "parameters": params,
            "responses": responses,
            "x-hearth-auth": e.auth,
        });
        if e.auth != "public" {
            op["security"] = json!([{"bearer": []}]);
        }
        if let Some(body) = e.body {
            let example: Value = serde_json::from_str(body).unwrap_or(Value::Null);
            op["requestBody"] =
                json!({"required": true, "content": {"application/json": {"example": example}}});
        }
        let entry = paths.entry(e.path.to_string()).or_insert_with(|| json!({}));
        entry[e.method] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": "Hearth official services", "version": env!("CARGO_PKG_VERSION")},
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": schemas(),
        }
    })
}

/// The shapes the endpoints share.
fn schemas() -> Value {
    let int = json!({"type": "integer"});
    let string = json!({"type": "string"});
    let boolean = json!({"type": "boolean"});
    let object = |props: Value| {
        let required: Vec<&String> = props
            .as_object()
            .map(|o| o.keys().collect())
            .unwrap_or_default();
        json!({"type": "object", "required": required, "properties": props})
    };
    let mut matched = object(json!({
        "id": int, "room": string, "game": string, "fingerprint": string,
        "config": {"type": "string", "description": "the config as postcard bytes, in hex"},
        "seed": {"type": ["integer", "null"], "description": "null while a game that hides information runs"},
        "seats": int,
        "players": {"type": "array", "items": {"type": "array", "prefixItems": [int, string]}},
        "started_at": int, "ended_at": {"type": ["integer", "null"]},
        "status": {"enum": ["running", "over", "abandoned"]},
        "outcome": {}, "hash": {"type": ["string", "null"]}, "ticks": int,
    }));
    matched["properties"]["withheld"] =
        json!({"type": "string", "description": "present while the seed and log are withheld"});
    json!({
        "Error": object(json!({"code": string, "message": string})),
        "Ok": object(json!({"ok": boolean})),
        "Account": object(json!({
            "id": int, "username": {"type": ["string", "null"]}, "display_name": string,
            "role": {"enum": ["player", "admin"]}, "guest": boolean, "banned": boolean, "created_at": int,
        })),
        "Grant": object(json!({"token": string, "expires_at": int, "account": {"$ref": "#/components/schemas/Account"}})),
        "Game": object(json!({
            "name": string, "version": int, "min_seats": int, "max_seats": int,
            "tick_rate": {"type": ["integer", "null"]}, "hidden_information": boolean,
            "description": string, "fingerprint": string,
        })),
        "Standing": object(json!({"account": int, "name": string, "wins": int, "losses": int, "draws": int, "rating": int})),
        "Match": matched,
        "LogEntry": object(json!({"index": int, "tick": int, "seat": int, "action": {}})),
        "Room": object(json!({
            "name": string, "game": string, "players": int, "max_seats": int, "spectators": int,
            "phase": {"enum": ["lobby", "playing", "over", "aborted"]}, "has_password": boolean,
        })),
        "Member": object(json!({"player": int, "name": string, "seat": {"type": ["integer", "null"]}, "ready": boolean, "connected": boolean, "bot": boolean})),
        "Online": object(json!({"player": int, "name": string})),
    })
}

async fn admin_rooms(State(api): State<Api>, headers: HeaderMap) -> Result<Json<Value>, ApiError> {
    admin(&api, &headers).await?;
    let mut rooms = Vec::new();
    for summary in api.host.rooms() {
        if let Some(inspect) = api.host.inspect(&summary.name).await {
            rooms.push(json!({"room": inspect.summary, "members": inspect.members, "phase": inspect.phase}));
        }
    }
    Ok(Json(json!({"rooms": rooms})))
}

async fn admin_online(State(api): State<Api>, headers: HeaderMap) -> Result<Json<Value>, ApiError> {
    admin(&api, &headers).await?;
    Ok(Json(json!({"online": api.host.online()})))
}

async fn admin_users(
    State(api): State<Api>,
    headers: HeaderMap,
    Query(q): Query<Limit>,
) -> Result<Json<Value>, ApiError> {
    admin(&api, &headers).await?;
    let store = api.store.clone();
    let query = q.q.unwrap_or_default();
    let limit = q.limit.unwrap_or(100).min(1000);
    let users = blocking(move || Ok(store.search_accounts(&query, limit)?)).await?;
    Ok(Json(json!({"users": users})))
}

async fn admin_user_op(
    State(api): State<Api>,
    headers: HeaderMap,
    Path((id, op)): Path<(PlayerId, String)>,
) -> Result<Json<Value>, ApiError> {
    let me = admin(&api, &headers).await?;
    if id == me.id && (op == "ban" || op == "demote") {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            codes::BAD_REQUEST,
            "you cannot ban or demote yourself",
        ));
    }
    let store = api.store.clone();
    let account = blocking(move || {
        if store.account(id)?.is_none() {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("no account {id}"),
            ));
        }
        Ok(match op.as_str() {
            "ban" => store.set_banned(id, true)?,
            "unban" => store.set_banned(id, false)?,
            "promote" => store.set_role(id, Role::Admin)?,
            "demote" => store.set_role(id, Role::Player)?,
            _ => {
                return Err(ApiError::new(
                    StatusCode::NOT_FOUND,
                    "not_found",
                    "no such operation (ban, unban, promote, demote)",
                ));
            }
        })
    })
    .await?;
    if account.banned {
        if let Some(announce) = &api.announce {
            announce(super::ClusterEvent::Banned(id));
        }
        let closed = api.host.disconnect_player(
            id,
            codes::BANNED,
            "this account was banned by an administrator",
        );
        tracing::info!(
            account = id,
            closed,
            "closed a banned account's connections"
        );
    }
    tracing::info!(admin = me.id, account = id, "account changed by an admin");
    Ok(Json(json!({"account": account})))
}

async fn admin_close(
    State(api): State<Api>,
    headers: HeaderMap,
    Path(room): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let me = admin(&api, &headers).await?;
    let here = api
        .host
        .close_room(&room, "an administrator closed this room")
        .await;
    // In a cluster the room may run on another node: that node closes it.
    let elsewhere = !here && announce_room_op(&api, &room, super::ClusterEvent::CloseRoom);
    if !here && !elsewhere {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            codes::UNKNOWN_ROOM,
            format!("no room is called `{room}`"),
        ));
    }
    tracing::info!(admin = me.id, room, "room closed by an admin");
    Ok(Json(json!({"ok": true})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KickReq {
    player: PlayerId,
}

async fn admin_kick(
    State(api): State<Api>,
    headers: HeaderMap,
    Path(room): Path<String>,
    Body(req): Body<KickReq>,
) -> Result<Json<Value>, ApiError> {
    admin(&api, &headers).await?;
    if !api.host.kick(&room, req.player).await
        && !announce_room_op(&api, &room, |key| {
            super::ClusterEvent::Kick(key, req.player)
        })
    {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            codes::UNKNOWN_PLAYER,
            format!("player {} is not in room `{room}`", req.player),
        ));
    }
    Ok(Json(json!({"ok": true})))
}

/// Tells the other nodes of a cluster to act on the room called `room` (an admin's close or
/// kick); false on a single node or for a name that is not a room.
fn announce_room_op(
    api: &Api,
    room: &str,
    event: impl FnOnce(String) -> super::ClusterEvent,
) -> bool {
    let (Some(announce), Ok((_, key))) = (&api.announce, crate::names::room_name(room)) else {
        return false;
    };
    announce(event(key));
    true
}

async fn admin_page() -> Html<&'static str> {
    Html(include_str!("admin.html"))
}
