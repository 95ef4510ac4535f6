//! Operations routes: health and Prometheus metrics. Never rate limited
//! ([`Class::Ops`]), so that probes and scrapers see the service even
//! while it refuses a flood.
use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::on;
use serde_json::json;

use crate::openapi::{Auth, Class, Resp, Route, RouteDoc, Verb};
use crate::state::AppState;

/// The routes of this area: handler and documentation together (see
/// [`crate::openapi`]).
pub static ROUTES: &[Route<AppState>] = &[
    Route {
        doc: RouteDoc {
            verb: Verb::Get,
            path: "/healthz",
            summary: "Alive (200 whenever the service answers), with the size of the address index and the DNS resolver's health; `status` is `degraded` while the resolver fails its canaries (every route still answers, mail domains are `unknown`)",
            params: &[],
            body: None,
            responses: &[Resp {
                status: 200,
                about: "{ status: ok | degraded, address_index: { streets, numbers, localities }, dns: { status: ok | degraded | checking, reason, canaries } }",
                schema: None,
                codes: &[],
            }],
            auth: Auth::Public,
            class: Class::Ops,
        },
        handler: |m| on(m, healthz),
    },
    Route {
        doc: RouteDoc {
            verb: Verb::Get,
            path: "/metrics",
            summary: "Prometheus metrics: requests by route template and status, latency, DNS, rate limiting, connection caps, consent group commits. Needs --metrics-key when set, else answers the local host only",
            params: &[],
            body: None,
            responses: &[Resp { status: 200, about: "Prometheus text format", schema: None, codes: &[] }],
            auth: Auth::Public,
            class: Class::Ops,
        },
        handler: |m| on(m, metrics),
    },
];

async fn healthz(State(st): State<AppState>) -> Json<serde_json::Value> {
    // Still 200 when DNS is degraded: the service is usable (forms work,
    // addresses answer), a load balancer must not take it out; `status` says it.
    st.mail.probe_if_due();
    let dns = st.mail.health().health_json();
    Json(json!({
        "status": if dns["status"] == "degraded" { "degraded" } else { "ok" },
        "dns": dns,
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
    let conns = crate::server::render_metrics();
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        st.metrics.render() + &st.mail.render_metrics() + &st.mailbox.render_metrics() + &limits + &conns + &consent,
    )
}
