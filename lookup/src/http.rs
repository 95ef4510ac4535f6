//! The HTTP shell: `app(state) -> Router`, one error type with a stable
//! JSON shape, Prometheus metrics, CORS from config, static demo files.
//! Handlers only translate: every input is re-checked by `fiable-core`,
//! then handed to the address search or the mail-domain check; no query
//! text and no domain is ever logged.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{ConnectInfo, DefaultBodyLimit, MatchedPath, Query, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::on;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::address::postcodes::{self, Commune, Coverage};
use crate::address::{self, Filters, Hit, Index, NumberMatch, query::MAX_QUERY_CHARS, search::MAX_LIMIT};
use crate::mail::{self, DnsConfig, DomainVerdict, MailChecker};
use crate::openapi::{Auth, Class, In, Param, Resp, Route, RouteDoc, Ty, Verb};
use crate::ratelimit::{self, Buckets, Decision, Limits};

/// The vendored Paris BAN file, relative to the repository root.
pub const DEFAULT_BAN: &str = "data/raw/ban/adresses-75.csv.gz";

/// Service configuration: flags or environment, defaulted for `make demo`.
#[derive(clap::Args, Clone, Debug)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "FIABLE_BIND", default_value = "127.0.0.1:8787")]
    pub bind: SocketAddr,
    /// Prebuilt address index (`fiable-lookup index`). Without it the BAN
    /// files are indexed in memory at start (a second for Paris).
    #[arg(long, env = "FIABLE_ADDRESS_INDEX")]
    pub index: Option<PathBuf>,
    /// BAN CSV files to index at start when no index is given.
    #[arg(long = "ban", env = "FIABLE_BAN", value_delimiter = ',', default_value = DEFAULT_BAN)]
    pub ban: Vec<PathBuf>,
    /// Origins allowed by CORS (comma-separated; empty: same origin only).
    #[arg(long = "cors-origin", env = "FIABLE_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,
    /// Demo pages served at `/` when the directory exists.
    #[arg(long, env = "FIABLE_WWW", default_value = "www")]
    pub www: PathBuf,
    /// npm package served at `/pkg` when the directory exists.
    #[arg(long, env = "FIABLE_PKG", default_value = "pkg")]
    pub pkg: PathBuf,
    /// DNS of the mail-domain check.
    #[command(flatten)]
    pub dns: DnsConfig,
    /// Requests per second allowed per client (token bucket refill rate;
    /// 0 turns rate limiting off). `/healthz` and `/metrics` are never limited.
    #[arg(long = "rate-limit", env = "FIABLE_RATE_LIMIT", default_value_t = 50.0, value_parser = per_second)]
    pub rate_limit: f64,
    /// Requests a client may send at once after a quiet spell (bucket size).
    #[arg(long = "rate-burst", env = "FIABLE_RATE_BURST", default_value_t = 200)]
    pub rate_burst: u32,
    /// Most clients tracked at once; idle ones, then the least recently
    /// seen, are forgotten past it.
    #[arg(long = "rate-max-clients", env = "FIABLE_RATE_MAX_CLIENTS", default_value_t = 100_000)]
    pub rate_max_clients: usize,
    /// Proxies (IP addresses, comma-separated) whose `X-Forwarded-For` is
    /// believed; from anyone else the socket's peer is the client.
    #[arg(long = "trusted-proxy", env = "FIABLE_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<IpAddr>,
}

impl Config {
    /// A configuration for tests: nothing served from disk, no CORS.
    pub fn for_tests() -> Self {
        Config {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            index: None,
            ban: vec![],
            cors_origins: vec![],
            www: PathBuf::from("/nonexistent"),
            pkg: PathBuf::from("/nonexistent"),
            dns: DnsConfig::default(),
            rate_limit: 50.0,
            rate_burst: 200,
            rate_max_clients: 100_000,
            trusted_proxies: vec![],
        }
    }

    /// The BAN files to index, falling back to the copy in the source tree
    /// when run from elsewhere than the repository root.
    pub fn ban_files(&self) -> Vec<PathBuf> {
        self.ban
            .iter()
            .map(|p| {
                if !p.exists() && p == &PathBuf::from(DEFAULT_BAN) {
                    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join(DEFAULT_BAN)
                } else {
                    p.clone()
                }
            })
            .collect()
    }
}

/// Shared state of the handlers.
#[derive(Clone)]
pub struct AppState {
    /// The address index.
    pub index: Arc<Index>,
    /// Request counters and latency histograms.
    pub metrics: Arc<Metrics>,
    /// The configuration.
    pub config: Arc<Config>,
    /// The mail-domain checker (resolver, cache, lists).
    pub mail: Arc<MailChecker>,
    /// Departments the address index covers.
    pub coverage: Arc<Coverage>,
    /// Per-client rate limiting (`None`: off).
    pub limiter: Option<Arc<RateLimiter>>,
}

impl AppState {
    /// State around an opened index; the resolver follows `config.dns`, the
    /// rate limiter `config.rate_*`.
    pub fn new(index: Index, config: Config) -> Self {
        let mail = Arc::new(MailChecker::new(config.dns.clone()));
        let coverage = Arc::new(Coverage::of(&index));
        let limiter = RateLimiter::from_config(&config).map(Arc::new);
        AppState { index: Arc::new(index), metrics: Arc::new(Metrics::default()), config: Arc::new(config), mail, coverage, limiter }
    }
}

/// The rate limiter shared by the API routes: the buckets, the clock's
/// origin, the trusted proxies, and a count of refused requests.
#[derive(Debug)]
pub struct RateLimiter {
    buckets: Mutex<Buckets>,
    origin: Instant,
    trusted: Vec<IpAddr>,
    limited: AtomicU64,
}

impl RateLimiter {
    /// The limiter `config` asks for (`None` when `--rate-limit` is 0).
    pub fn from_config(config: &Config) -> Option<Self> {
        (config.rate_limit.is_finite() && config.rate_limit > 0.0).then(|| RateLimiter {
            buckets: Mutex::new(Buckets::new(Limits {
                rate: config.rate_limit,
                burst: f64::from(config.rate_burst.max(1)),
                max_clients: config.rate_max_clients,
            })),
            origin: Instant::now(),
            trusted: config.trusted_proxies.clone(),
            limited: AtomicU64::new(0),
        })
    }

    /// One request of the client `peer` (with its `X-Forwarded-For` values) now.
    pub fn check(&self, peer: Option<IpAddr>, forwarded_for: &[&str]) -> Decision {
        let client = ratelimit::client_ip(peer, forwarded_for, &self.trusted);
        // A poisoned lock (a panic elsewhere) must not stop the service: serve.
        let Ok(mut b) = self.buckets.lock() else { return Decision::Allow };
        let d = b.check(client, self.origin.elapsed());
        if d != Decision::Allow {
            self.limited.fetch_add(1, Ordering::Relaxed);
        }
        d
    }

    fn render(&self) -> String {
        let clients = self.buckets.lock().map(|b| b.len()).unwrap_or(0);
        format!(
            "# HELP fiable_rate_limited_total Requests refused with 429 (per-client rate limit).\n\
             # TYPE fiable_rate_limited_total counter\nfiable_rate_limited_total {}\n\
             # HELP fiable_rate_limit_clients Clients tracked by the rate limiter.\n\
             # TYPE fiable_rate_limit_clients gauge\nfiable_rate_limit_clients {clients}\n",
            self.limited.load(Ordering::Relaxed)
        )
    }
}

/// The one error type of the API: `{ "error": { "code", "message" } }`.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A parameter is missing or malformed.
    #[error("{message}")]
    BadRequest {
        /// Stable machine code, e.g. `address.query_too_long`.
        code: &'static str,
        /// Human explanation (never echoes personal data).
        message: String,
    },
    /// No such route.
    #[error("no such endpoint")]
    NotFound,
    /// This client sent too many requests.
    #[error("too many requests: retry after {retry_after} s")]
    RateLimited {
        /// Seconds until a request is accepted again.
        retry_after: u64,
    },
}

impl ApiError {
    fn bad(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::BadRequest { code, message: message.into() }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = match &self {
            ApiError::BadRequest { code, .. } => (StatusCode::BAD_REQUEST, *code),
            ApiError::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
        };
        let mut resp = (status, Json(json!({ "error": { "code": code, "message": self.to_string() } }))).into_response();
        if let ApiError::RateLimited { retry_after } = self {
            resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
        }
        resp
    }
}

impl From<QueryRejection> for ApiError {
    fn from(e: QueryRejection) -> Self {
        ApiError::bad("bad_query_string", format!("bad query string: {}", e.body_text()))
    }
}

impl From<JsonRejection> for ApiError {
    fn from(e: JsonRejection) -> Self {
        ApiError::bad("bad_json", format!("bad JSON body: {}", e.body_text()))
    }
}

/// Builds the whole service (without the consent routes: [`app_with`]).
pub fn app(state: AppState) -> Router {
    app_with(state, Router::new())
}

/// The lookup routes: each one's handler and documentation together
/// (see [`crate::openapi`]); the router and `/openapi.json` both come from here.
pub static ROUTES: &[Route<AppState>] = &[
    Route {
        doc: RouteDoc {
            verb: Verb::Get,
            path: "/v1/address/search",
            summary: "Autocomplete a French address (BAN)",
            params: &[
                Param { name: "q", at: In::Query, required: true, about: "what the person typed", ty: Ty::Str { max: MAX_QUERY_CHARS, pattern: "" } },
                Param { name: "postcode", at: In::Query, required: false, about: "only this postcode", ty: Ty::Str { max: 16, pattern: "" } },
                Param { name: "citycode", at: In::Query, required: false, about: "only this INSEE code", ty: Ty::Str { max: 5, pattern: "^([0-9]{5}|2[ABab][0-9]{3})$" } },
                Param { name: "limit", at: In::Query, required: false, about: "number of results", ty: Ty::Int { min: 1, max: MAX_LIMIT as i64, default: 5 } },
            ],
            body: None,
            responses: &[
                Resp { status: 200, about: "{ results: [Hit] }, best first", schema: None, codes: &[] },
                Resp { status: 400, about: "bad input", schema: Some("Error"), codes: &["address.query_empty", "address.query_too_long", "address.bad_postcode", "address.bad_citycode", "address.bad_limit", "bad_query_string"] },
            ],
            auth: Auth::Public,
            class: Class::Api,
        },
        handler: |m| on(m, address_search),
    },
    Route {
        doc: RouteDoc {
            verb: Verb::Post,
            path: "/v1/address/verify",
            summary: "Verify one address (q, or housenumber/street/postcode/city/citycode); returns a verdict and the best match",
            params: &[],
            body: Some("#/components/schemas/VerifyRequest"),
            responses: &[
                Resp { status: 200, about: "{ verdict: { status, code, suggestion?, normalized? }, match?: Hit }", schema: None, codes: &[] },
                Resp { status: 400, about: "bad input", schema: Some("Error"), codes: &["address.query_empty", "address.query_too_long", "address.bad_postcode", "address.bad_citycode", "bad_json"] },
            ],
            auth: Auth::Public,
            class: Class::Api,
        },
        handler: |m| on(m, address_verify),
    },
    Route {
        doc: RouteDoc {
            verb: Verb::Get,
            path: "/v1/address/postcode",
            summary: "Does the address index know this French postcode, and which communes use it (the widget's postcode/city check)",
            params: &[Param { name: "postcode", at: In::Query, required: true, about: "a French postcode; checked by fiable-core first", ty: Ty::Str { max: 16, pattern: "" } }],
            body: None,
            responses: &[
                Resp { status: 200, about: "found: the index has it; covered: the index has this department at all (not found but not covered: unknown here)", schema: Some("PostcodeAnswer"), codes: &[] },
                Resp { status: 400, about: "not a French postcode", schema: Some("Error"), codes: &["address.bad_postcode", "bad_query_string"] },
            ],
            auth: Auth::Public,
            class: Class::Api,
        },
        handler: |m| on(m, address_postcode),
    },
    Route {
        doc: RouteDoc {
            verb: Verb::Get,
            path: "/v1/email/domain",
            summary: "Does this mail domain receive mail? MX, implicit MX (A/AAAA), null MX (RFC 7505); cached with the DNS TTLs",
            params: &[Param {
                name: "d",
                at: In::Query,
                required: true,
                about: "the domain (IDN accepted); a whole address is tolerated, only its domain is used",
                ty: Ty::Str { max: mail::MAX_INPUT, pattern: "" },
            }],
            body: None,
            responses: &[
                Resp { status: 200, about: "verdict; `unknown` when DNS failed (keep the local verdict, never block the form)", schema: Some("DomainVerdict"), codes: &[] },
                Resp { status: 400, about: "not a usable mail domain", schema: Some("Error"), codes: &["email.empty_domain", "email.too_long", "email.unknown_tld", "email.*", "bad_query_string"] },
            ],
            auth: Auth::Public,
            class: Class::Api,
        },
        handler: |m| on(m, email_domain),
    },
    Route {
        doc: RouteDoc {
            verb: Verb::Get,
            path: "/openapi.json",
            summary: "This document",
            params: &[],
            body: None,
            responses: &[Resp { status: 200, about: "OpenAPI 3.1", schema: None, codes: &[] }],
            auth: Auth::Public,
            class: Class::Api,
        },
        handler: |m| on(m, openapi),
    },
    Route {
        doc: RouteDoc {
            verb: Verb::Get,
            path: "/healthz",
            summary: "Alive, with the size of the address index",
            params: &[],
            body: None,
            responses: &[Resp { status: 200, about: "{ status: ok, address_index: { streets, numbers, localities } }", schema: None, codes: &[] }],
            auth: Auth::Public,
            class: Class::Ops,
        },
        handler: |m| on(m, healthz),
    },
    Route {
        doc: RouteDoc {
            verb: Verb::Get,
            path: "/metrics",
            summary: "Prometheus metrics: requests by route template and status, latency, DNS, rate limiting, consent group commits",
            params: &[],
            body: None,
            responses: &[Resp { status: 200, about: "Prometheus text format", schema: None, codes: &[] }],
            auth: Auth::Public,
            class: Class::Ops,
        },
        handler: |m| on(m, metrics),
    },
];

/// [`app`] with more routes merged in (the consent ledger): rate limited
/// and counted in `/metrics` like the lookup's own API routes.
pub fn app_with(state: AppState, extra: Router) -> Router {
    let lookup_api = crate::openapi::router(ROUTES, Class::Api).layer(DefaultBodyLimit::max(16 * 1024)).with_state(state.clone());
    let ops = crate::openapi::router(ROUTES, Class::Ops).with_state(state.clone());
    // Outermost first: track (so 429s are counted by route), then the limiter.
    let api = lookup_api
        .merge(extra)
        .route_layer(middleware::from_fn_with_state(state.clone(), limit))
        .route_layer(middleware::from_fn_with_state(state.clone(), track));
    let mut router = api.merge(ops.route_layer(middleware::from_fn_with_state(state.clone(), track)));
    if state.config.pkg.is_dir() {
        router = router.nest_service("/pkg", tower_http::services::ServeDir::new(&state.config.pkg));
    }
    router = if state.config.www.is_dir() {
        router.fallback_service(tower_http::services::ServeDir::new(&state.config.www))
    } else {
        router.fallback(|| async { ApiError::NotFound })
    };
    // CORS outermost, so that a 429 carries it too and the widget can read
    // its Retry-After (exposed: not a CORS-safelisted header).
    let origins: Vec<HeaderValue> = state.config.cors_origins.iter().filter_map(|o| o.trim().parse().ok()).collect();
    if !origins.is_empty() {
        router = router.layer(
            tower_http::cors::CorsLayer::new()
                .allow_origin(origins)
                .allow_methods([Method::GET, Method::POST, Method::DELETE])
                .allow_headers([
                    header::CONTENT_TYPE,
                    header::AUTHORIZATION,
                    header::HeaderName::from_static(crate::consent::routes::IDEMPOTENCY_KEY),
                ])
                .expose_headers([header::RETRY_AFTER]),
        );
    }
    router
}

/// The rate limit of the API routes: 429 `rate_limited` with `Retry-After`.
async fn limit(State(st): State<AppState>, req: Request, next: Next) -> Response {
    if let Some(l) = &st.limiter {
        let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
        let xff: Vec<&str> = req.headers().get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect();
        if let Decision::Deny { retry_after } = l.check(peer, &xff) {
            return ApiError::RateLimited { retry_after }.into_response();
        }
    }
    next.run(req).await
}

// ------------------------------------------------------------ input checks

/// A French postcode, as the core sees it; its canonical form ("75 011"
/// → "75011") is the filter.
fn check_postcode(p: &str) -> Result<String, ApiError> {
    let opts = fiable_core::Options { country: Some("FR".into()), ..fiable_core::Options::default() };
    // No commune chunk loaded: the format and the department decide.
    let v = fiable_core::postcode::check(p, &opts, &fiable_core::communes::Communes::default());
    match v.normalized {
        Some(n) if v.status != fiable_core::Status::Invalid => Ok(n),
        _ => Err(ApiError::bad("address.bad_postcode", "postcode is not a French postcode (5 digits, e.g. 75011)")),
    }
}

/// An INSEE commune code: 5 digits, or 2A/2B and 3 digits (Corsica).
fn check_citycode(c: &str) -> Result<(), ApiError> {
    let b = c.as_bytes();
    let ok = b.len() == 5
        && (b.iter().all(u8::is_ascii_digit)
            || (b[0] == b'2' && matches!(b[1], b'A' | b'B' | b'a' | b'b') && b[2..].iter().all(u8::is_ascii_digit)));
    if ok { Ok(()) } else { Err(ApiError::bad("address.bad_citycode", "citycode must be an INSEE code such as 75111 or 2A004")) }
}

fn check_query(q: &str) -> Result<&str, ApiError> {
    let q = q.trim();
    if q.is_empty() {
        return Err(ApiError::bad("address.query_empty", "q is empty"));
    }
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(ApiError::bad("address.query_too_long", format!("q is longer than {MAX_QUERY_CHARS} characters")));
    }
    Ok(q)
}

fn filters(postcode: Option<String>, citycode: Option<String>) -> Result<Filters, ApiError> {
    let postcode = postcode.filter(|p| !p.trim().is_empty()).map(|p| check_postcode(p.trim())).transpose()?;
    let citycode = citycode.filter(|c| !c.trim().is_empty()).map(|c| c.trim().to_uppercase());
    if let Some(c) = &citycode {
        check_citycode(c)?;
    }
    Ok(Filters { postcode, citycode })
}

// ---------------------------------------------------------------- handlers

/// Query string of `GET /v1/address/search`.
#[derive(Debug, Deserialize)]
pub struct SearchParams {
    /// What the person typed.
    pub q: Option<String>,
    /// Only this postcode.
    pub postcode: Option<String>,
    /// Only this INSEE code.
    pub citycode: Option<String>,
    /// Number of results (1..=20, default 5).
    pub limit: Option<usize>,
}

#[derive(Serialize)]
struct SearchResponse {
    results: Vec<Hit>,
}

async fn address_search(
    State(st): State<AppState>,
    params: Result<Query<SearchParams>, QueryRejection>,
) -> Result<Json<SearchResponse>, ApiError> {
    let Query(p) = params?;
    let q = check_query(p.q.as_deref().unwrap_or(""))?;
    let f = filters(p.postcode, p.citycode)?;
    let limit = p.limit.unwrap_or(5);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::bad("address.bad_limit", format!("limit must be between 1 and {MAX_LIMIT}")));
    }
    Ok(Json(SearchResponse { results: address::search_blocking(st.index.clone(), q.to_string(), f, limit).await }))
}

/// Body of `POST /v1/address/verify`: either `q` (one line) or the parts.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    /// The whole address on one line.
    pub q: Option<String>,
    /// House number with its index ("12 bis").
    pub housenumber: Option<String>,
    /// Street name.
    pub street: Option<String>,
    /// Postcode.
    pub postcode: Option<String>,
    /// Commune name.
    pub city: Option<String>,
    /// INSEE commune code.
    pub citycode: Option<String>,
}

/// The verdict of a verification, in the shape of the core's verdicts.
#[derive(Debug, Serialize)]
pub struct AddressVerdict {
    /// `valid`, `warning` or `invalid`.
    pub status: &'static str,
    /// Stable code: `address.valid`, `address.number_not_found`,
    /// `address.uncertain`, `address.not_found`.
    pub code: &'static str,
    /// The address to propose, one click.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<String>,
    /// The canonical label when the address is valid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub normalized: Option<String>,
}

#[derive(Serialize)]
struct VerifyResponse {
    verdict: AddressVerdict,
    #[serde(rename = "match", skip_serializing_if = "Option::is_none")]
    best: Option<Hit>,
}

async fn address_verify(
    State(st): State<AppState>,
    body: Result<Json<VerifyRequest>, JsonRejection>,
) -> Result<Json<VerifyResponse>, ApiError> {
    let Json(r) = body?;
    let line = match &r.q {
        Some(q) => q.clone(),
        None => [&r.housenumber, &r.street, &r.postcode, &r.city]
            .iter()
            .filter_map(|p| p.as_deref())
            .collect::<Vec<_>>()
            .join(" "),
    };
    let q = check_query(&line)?;
    // The postcode of a structured address is a hard filter: a street of
    // another postcode is not "this address".
    let f = filters(if r.q.is_none() { r.postcode.clone() } else { None }, r.citycode.clone())?;
    let best = address::search_blocking(st.index.clone(), q.to_string(), f, 1).await.into_iter().next();
    let verdict = match &best {
        None => AddressVerdict { status: "invalid", code: "address.not_found", suggestion: None, normalized: None },
        Some(h) if h.score < 0.9 => {
            AddressVerdict { status: "warning", code: "address.uncertain", suggestion: Some(h.label.clone()), normalized: None }
        }
        Some(h) if matches!(h.number_match, Some(NumberMatch::Closest | NumberMatch::NoNumbers)) => AddressVerdict {
            status: "warning",
            code: "address.number_not_found",
            suggestion: Some(h.label.clone()),
            normalized: None,
        },
        Some(h) => AddressVerdict { status: "valid", code: "address.valid", suggestion: None, normalized: Some(h.label.clone()) },
    };
    Ok(Json(VerifyResponse { verdict, best }))
}

/// Query string of `GET /v1/email/domain`.
#[derive(Debug, Deserialize)]
pub struct DomainParams {
    /// The domain (a whole address is tolerated; only its domain is used).
    pub d: Option<String>,
}

async fn email_domain(
    State(st): State<AppState>,
    params: Result<Query<DomainParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(p) = params?;
    let domain = mail::normalize(p.d.as_deref().unwrap_or(""))
        .map_err(|e| ApiError::bad(e.code, "d is not a usable mail domain"))?;
    let v: DomainVerdict = st.mail.check(&domain).await;
    // Browsers and proxies may keep a definite answer a little while.
    let cache = if v.status == "unknown" { "no-store" } else { "public, max-age=60" };
    Ok(([(header::CACHE_CONTROL, cache)], Json(v)).into_response())
}

/// Query string of `GET /v1/address/postcode`.
#[derive(Debug, Deserialize)]
pub struct PostcodeParams {
    /// The postcode.
    pub postcode: Option<String>,
}

/// Answer of `GET /v1/address/postcode`.
#[derive(Debug, Serialize)]
pub struct PostcodeAnswer {
    /// The canonical postcode.
    pub postcode: String,
    /// Whether the index has it.
    pub found: bool,
    /// Whether the index has this postcode's department at all: when not,
    /// `found: false` says nothing about the postcode.
    pub covered: bool,
    /// Communes using it, by name.
    pub communes: Vec<Commune>,
}

async fn address_postcode(
    State(st): State<AppState>,
    params: Result<Query<PostcodeParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(p) = params?;
    let postcode = check_postcode(p.postcode.as_deref().unwrap_or("").trim())?;
    let communes = postcodes::communes(&st.index, &postcode);
    let answer = PostcodeAnswer { found: !communes.is_empty(), covered: st.coverage.covers(&postcode), postcode, communes };
    // Stable while the index is: browsers may keep it a little while.
    Ok(([(header::CACHE_CONTROL, "public, max-age=300")], Json(answer)).into_response())
}

async fn healthz(State(st): State<AppState>) -> Json<serde_json::Value> {
    Json(json!({
        "status": "ok",
        "address_index": {
            "streets": st.index.street_count(),
            "numbers": st.index.number_count(),
            "localities": st.index.locality_count(),
        }
    }))
}

async fn metrics(State(st): State<AppState>) -> impl IntoResponse {
    let limits = st.limiter.as_ref().map(|l| l.render()).unwrap_or_default();
    let consent = crate::consent::store::batch::render_metrics();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], st.metrics.render() + &st.mail.render_metrics() + &limits + &consent)
}

async fn openapi() -> Json<serde_json::Value> {
    Json(openapi_document())
}

/// The OpenAPI 3.1 description of every route the service answers: the
/// lookup's [`ROUTES`] and the consent routes (`crate::consent::routes::ROUTES`).
pub fn openapi_document() -> serde_json::Value {
    let docs = ROUTES.iter().map(|r| &r.doc).chain(crate::consent::routes::ROUTES.iter().map(|r| &r.doc));
    crate::openapi::document(docs, component_schemas())
}

/// Schemas of the bodies named by the route table.
fn component_schemas() -> serde_json::Map<String, serde_json::Value> {
    let v = json!({
        "VerifyRequest": { "type": "object", "additionalProperties": false, "properties": {
            "q": { "type": "string", "maxLength": MAX_QUERY_CHARS }, "housenumber": { "type": "string" }, "street": { "type": "string" },
            "postcode": { "type": "string" }, "city": { "type": "string" }, "citycode": { "type": "string" } } },
        "PostcodeAnswer": { "type": "object", "required": ["postcode", "found", "covered", "communes"], "properties": {
            "postcode": { "type": "string", "description": "canonical postcode" },
            "found": { "type": "boolean", "description": "the address index has it" },
            "covered": { "type": "boolean", "description": "the address index has this department at all" },
            "communes": { "type": "array", "items": { "type": "object", "required": ["name", "citycode"], "properties": {
                "name": { "type": "string" }, "citycode": { "type": "string", "description": "INSEE code" } } } } } },
        "DomainVerdict": { "type": "object",
            "required": ["domain", "status", "code", "mx", "implicit_mx", "disposable", "free", "cached"],
            "properties": {
                "domain": { "type": "string", "description": "normalised domain (lower case, punycode)" },
                "status": { "type": "string", "enum": ["valid", "invalid", "unknown"] },
                "code": { "type": "string", "enum": ["email.domain_accepts_mail", "email.domain_no_mail", "email.domain_not_found", "email.domain_unknown"] },
                "mx": { "type": "array", "items": { "type": "string" }, "description": "MX exchanges, most preferred first; empty for the implicit MX" },
                "implicit_mx": { "type": "boolean", "description": "no MX, but an A/AAAA record (RFC 5321 §5.1)" },
                "disposable": { "type": "boolean", "description": "in the full disposable-mail list (or a parent is)" },
                "free": { "type": "boolean", "description": "a free mailbox provider" },
                "cached": { "type": "boolean", "description": "answered from the service's cache" } } },
        "Receipt": { "type": "object",
            "required": ["id", "seq", "hash", "prev_hash", "signed_at", "signature", "public_key", "subject"],
            "properties": {
                "id": { "type": "string" }, "seq": { "type": "integer", "minimum": 1 },
                "hash": { "type": "string", "description": "SHA-256(prev_hash || canonical record), hex" },
                "prev_hash": { "type": "string" }, "signed_at": { "type": "string", "format": "date-time" },
                "signature": { "type": "string", "description": "Ed25519 over the receipt message, hex" },
                "public_key": { "type": "string" },
                "subject": { "type": "string", "description": "the pseudonymous subject reference (derived by the service when the record named none)" } } },
        "MatchRequest": { "type": "object", "additionalProperties": false, "properties": {
            "email": { "type": "string" }, "phone": { "type": "string" }, "first_name": { "type": "string" },
            "last_name": { "type": "string" }, "postcode": { "type": "string" }, "country": { "type": "string" } } },
        "Withdrawal": { "type": "object", "additionalProperties": false, "properties": {
            "acted_at": { "type": "string", "format": "date-time" }, "purposes": { "type": "array", "items": { "type": "string" } },
            "channel": { "type": "string" }, "collector": { "type": "object" } } }
    });
    match v {
        serde_json::Value::Object(m) => m,
        _ => serde_json::Map::new(),
    }
}

// ----------------------------------------------------------------- metrics

const BUCKETS: [f64; 11] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0];

/// Request counters and latency histograms, rendered in the Prometheus
/// text format. Labels are route templates and status codes only.
#[derive(Default)]
pub struct Metrics {
    inner: Mutex<MetricsInner>,
}

#[derive(Default)]
struct MetricsInner {
    requests: BTreeMap<(String, u16), u64>,
    latency: BTreeMap<String, ([u64; BUCKETS.len()], u64, f64)>,
}

impl Metrics {
    fn record(&self, route: &str, status: u16, secs: f64) {
        let Ok(mut m) = self.inner.lock() else { return };
        *m.requests.entry((route.to_string(), status)).or_default() += 1;
        let h = m.latency.entry(route.to_string()).or_insert(([0; BUCKETS.len()], 0, 0.0));
        for (i, b) in BUCKETS.iter().enumerate() {
            if secs <= *b {
                h.0[i] += 1;
            }
        }
        h.1 += 1;
        h.2 += secs;
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let Ok(m) = self.inner.lock() else { return String::new() };
        let mut s = String::new();
        s += "# HELP fiable_http_requests_total HTTP requests by route and status.\n";
        s += "# TYPE fiable_http_requests_total counter\n";
        for ((route, status), n) in &m.requests {
            s += &format!("fiable_http_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}\n");
        }
        s += "# HELP fiable_http_request_duration_seconds HTTP request latency by route.\n";
        s += "# TYPE fiable_http_request_duration_seconds histogram\n";
        for (route, (buckets, count, sum)) in &m.latency {
            for (b, n) in BUCKETS.iter().zip(buckets) {
                s += &format!("fiable_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{b}\"}} {n}\n");
            }
            s += &format!("fiable_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {count}\n");
            s += &format!("fiable_http_request_duration_seconds_sum{{route=\"{route}\"}} {sum}\n");
            s += &format!("fiable_http_request_duration_seconds_count{{route=\"{route}\"}} {count}\n");
        }
        s
    }
}

async fn track(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_string()).unwrap_or_else(|| "other".into());
    let method = req.method().clone();
    let t = Instant::now();
    let resp = next.run(req).await;
    let secs = t.elapsed().as_secs_f64();
    st.metrics.record(&route, resp.status().as_u16(), secs);
    // Route template only: never the query string (it is personal data).
    tracing::info!(%method, route, status = resp.status().as_u16(), ms = secs * 1e3, "request");
    resp
}

/// `--rate-limit`: 0 (off) or a positive rate; a negative or NaN one is a
/// mistake to refuse, not a quiet "off".
fn per_second(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(format!("{s:?}: expected 0 (no limit) or a positive number of requests per second")),
    }
}

/// Opens or builds the index the configuration names.
pub fn load_index(config: &Config) -> anyhow::Result<Index> {
    use anyhow::Context;
    match &config.index {
        Some(p) => Ok(Index::open(p)?),
        None => {
            let files = config.ban_files();
            let (idx, r) = address::index::build_in_memory(&files, &address::BuildOptions::default())
                .context("indexing the BAN files (give --index for a prebuilt index)")?;
            tracing::info!(
                rows = r.read.rows,
                skipped = r.read.skipped,
                streets = r.streets,
                ms = r.elapsed.as_millis() as u64,
                "address index built in memory"
            );
            Ok(idx)
        }
    }
}

/// Serves until Ctrl-C or SIGTERM, then finishes the requests in flight.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    serve_with(config, Router::new()).await
}

/// [`serve`] with more routes merged in (the consent ledger, `crate::consent::routes`).
pub async fn serve_with(config: Config, extra: Router) -> anyhow::Result<()> {
    let index = load_index(&config)?;
    let listener = tokio::net::TcpListener::bind(config.bind).await?;
    tracing::info!(addr = %listener.local_addr()?, "listening");
    let app = app_with(AppState::new(index, config), extra);
    // The peer address is the client of the rate limiter (or a trusted proxy).
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).with_graceful_shutdown(shutdown_signal()).await?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}

#[cfg(test)]
mod tests {
    use super::per_second;

    #[test]
    fn rate_limit_flag_accepts_zero_and_positive_rates_only() {
        assert_eq!(per_second("0"), Ok(0.0));
        assert_eq!(per_second("12.5"), Ok(12.5));
        for bad in ["-1", "NaN", "inf", "fast", ""] {
            let e = per_second(bad).unwrap_err();
            assert!(e.contains("positive number of requests per second"), "{bad}: {e}");
        }
    }
}
