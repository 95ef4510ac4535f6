//! Prometheus metrics of the HTTP layer: requests by route template and
//! status, latency histograms, and the middleware that records them.
//! Labels are route templates and status codes only, never a query string.
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

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
        let Ok(m) = self.inner.lock() else {
            return String::new();
        };
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

/// Middleware: counts and times every request by its route template.
pub async fn track(State(metrics): State<Arc<Metrics>>, req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_string()).unwrap_or_else(|| "other".into());
    let method = req.method().clone();
    let t = Instant::now();
    let resp = next.run(req).await;
    let secs = t.elapsed().as_secs_f64();
    metrics.record(&route, resp.status().as_u16(), secs);
    // Route template only: never the query string (it is personal data).
    tracing::info!(%method, route, status = resp.status().as_u16(), ms = secs * 1e3, "request");
    resp
}
