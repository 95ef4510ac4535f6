//! The composition root: the one place where routes and layers are wired.
//! [`app`] is the lookup service; [`app_with_consent`] adds the consent
//! ledger; [`serve`] runs it until Ctrl-C or SIGTERM.
//!
//! Layers, outermost first: CORS (so that a 429 carries it too), metrics
//! ([`crate::metrics::track`], so that 429s are counted by route), the
//! per-client rate limit of the API routes ([`crate::ratelimit::limit`]),
//! the body limits; then the route tables of [`crate::routes`], the
//! package and demo files ([`crate::assets`]), a JSON 404.
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_http::cors::CorsLayer;

use crate::config::Config;
use crate::consent::ConsentState;
use crate::error::ApiError;
use crate::openapi::{self, Class};
use crate::routes::{self, consent::IDEMPOTENCY_KEY};
use crate::state::{AppState, load_index};
use crate::{assets, metrics, ratelimit, server};

/// Largest body of the lookup's own API routes.
const LOOKUP_MAX_BODY: usize = 16 * 1024;

/// The lookup service, without the consent ledger.
pub fn app(state: AppState) -> Router {
    compose(state, Router::new())
}

/// The lookup service and the consent ledger: the ledger's routes are
/// rate limited and counted in `/metrics` like the lookup's own.
pub fn app_with_consent(state: AppState, consent: ConsentState) -> Router {
    compose(state, consent_api(consent))
}

/// The consent ledger's routes alone, with their body limit and CORS.
pub fn consent_api(state: ConsentState) -> Router {
    let r = openapi::router(routes::ledger(), Class::Api)
        .layer(DefaultBodyLimit::max(state.max_body))
        .route_layer(middleware::from_fn_with_state(state.max_body, announced_too_large));
    let r = match cors(&state.cors_origins) {
        Some(c) => r.layer(c),
        None => r,
    };
    r.with_state(state)
}

/// 413 at once for a request whose Content-Length is past the ledger's body
/// limit: the body limit alone refuses only once that much has arrived,
/// so a client announcing 1 GiB and sending a byte held a connection and
/// a task until the request timeout.
async fn announced_too_large(State(max): State<usize>, req: Request, next: Next) -> Response {
    let announced = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<u64>().ok());
    if announced.is_some_and(|n| n > max as u64) {
        return ApiError::TooLarge.into_response();
    }
    next.run(req).await
}

fn compose(state: AppState, ledger: Router) -> Router {
    let lookup_api = openapi::router(routes::lookup(), Class::Api).layer(DefaultBodyLimit::max(LOOKUP_MAX_BODY)).with_state(state.clone());
    let ops = openapi::router(routes::lookup(), Class::Ops).with_state(state.clone());
    let ledger = match &state.consent_limiter {
        Some(l) if ledger.has_routes() => ledger.route_layer(middleware::from_fn_with_state(l.clone(), ratelimit::limit_consent_posts)),
        _ => ledger,
    };
    let mut api = lookup_api.merge(ledger);
    if let Some(l) = &state.limiter {
        api = api.route_layer(middleware::from_fn_with_state(l.clone(), ratelimit::limit));
    }
    let track = middleware::from_fn_with_state(state.metrics.clone(), metrics::track);
    let ops = ops.route_layer(middleware::from_fn_with_state(state.clone(), metrics_guard));
    let router = api.route_layer(track.clone()).merge(ops.route_layer(track));
    let router = if state.config.www.is_dir() { router } else { router.fallback(|| async { ApiError::NotFound }) };
    // The widget reads Retry-After on a 429: exposed, as it is not a
    // CORS-safelisted header.
    let router = match cors(&state.config.cors_origins) {
        Some(c) => router.layer(c.expose_headers([header::RETRY_AFTER])),
        None => router,
    };
    // The static files after the CORS layer: the package's carry their own
    // (any origin), the API keeps its allow-list.
    // Security headers on every answer (the page policy on HTML only).
    router.merge(assets::router(&state.config.pkg, &state.config.www)).layer(middleware::map_response(security_headers))
}

/// `/metrics` tells who uses the service and how: with `--metrics-key`
/// it needs that key; without, only the local host (or a test calling the
/// router in process, which has no peer) reads it.
async fn metrics_guard(State(st): State<AppState>, req: Request, next: Next) -> Response {
    if req.uri().path() != "/metrics" {
        return next.run(req).await;
    }
    let allowed = match &st.config.metrics_key {
        Some(key) => crate::consent::auth::ApiKeys::parse(&[], Some(key)).is_ok_and(|k| k.scope_of_request(req.headers()).is_some()),
        None => {
            let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
            let xff: Vec<&str> = req.headers().get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect();
            peer.is_none_or(|p| ratelimit::client_ip(Some(p), &xff, &st.config.trusted_proxies).is_loopback())
        }
    };
    if allowed { next.run(req).await } else { ApiError::Unauthorized("metrics").into_response() }
}

/// The content security policy of the pages: their own scripts and the
/// Wasm they compile, nothing inline, no framing by other sites.
const CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// Security headers: `nosniff` on everything; on HTML pages (the demo's
/// static files) the CSP, the referrer policy and no framing.
async fn security_headers(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    let html = h.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("text/html"));
    if html {
        h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
        h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    resp
}

/// CORS for `origins` (`None`: same origin only).
fn cors(origins: &[String]) -> Option<CorsLayer> {
    let origins: Vec<HeaderValue> = origins.iter().filter_map(|o| o.trim().parse().ok()).collect();
    (!origins.is_empty()).then(|| {
        CorsLayer::new().allow_origin(origins).allow_methods([Method::GET, Method::POST, Method::DELETE]).allow_headers([
            header::CONTENT_TYPE,
            header::AUTHORIZATION,
            header::HeaderName::from_static(IDEMPOTENCY_KEY),
        ])
    })
}

/// The connection bounds `config` asks for.
pub fn limits(config: &Config) -> server::Limits {
    server::Limits {
        header_timeout: Duration::from_secs(config.header_timeout.max(1)),
        request_timeout: Duration::from_secs(config.request_timeout.max(1)),
        max_connections: config.max_connections,
        max_connections_per_ip: config.max_connections_per_ip,
    }
}

/// Serves until Ctrl-C or SIGTERM, then finishes the requests in flight.
pub async fn serve(config: Config, consent: Option<ConsentState>) -> anyhow::Result<()> {
    if let Some(k) = &config.metrics_key {
        crate::consent::auth::ApiKeys::parse(&[], Some(k)).map_err(|e| anyhow::anyhow!("--metrics-key: {e}"))?;
    }
    let index = load_index(&config)?;
    let listener = tokio::net::TcpListener::bind(config.bind).await?;
    tracing::info!(addr = %listener.local_addr()?, "listening");
    let limits = limits(&config);
    let state = AppState::new(index, config);
    // The resolver's canaries, probed from the start (so /healthz is current without traffic).
    tokio::spawn(state.mail.clone().watch_canaries());
    let app = match consent {
        Some(c) => app_with_consent(state, c),
        None => app(state),
    };
    // The peer address is the client of the rate limiter (or a trusted proxy).
    server::serve(listener, app, limits, shutdown_signal()).await?;
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
