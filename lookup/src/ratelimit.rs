//! Per-client rate limiting: one token bucket per client address.
//!
//! [`Buckets`] is the pure part (no clock, no I/O): the caller passes the
//! time, so tests drive it with any clock, backwards included. [`client_ip`]
//! decides who the client is (the socket peer, or what a trusted proxy says
//! in `X-Forwarded-For`). [`RateLimiter`] holds the buckets the service
//! shares, with the clock; [`limit`] is its axum middleware.
use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::config::Config;
use crate::error::ApiError;

/// The limits of one table.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Limits {
    /// Tokens added per second (sustained requests per second).
    pub rate: f64,
    /// Bucket size: requests allowed at once after a quiet spell.
    pub burst: f64,
    /// Most clients remembered; idle or oldest ones are forgotten past it.
    pub max_clients: usize,
}

/// What to do with one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Serve it.
    Allow,
    /// Refuse it; a token is back after this many whole seconds (at least 1).
    Deny {
        /// Value of the `Retry-After` header.
        retry_after: u64,
    },
}

#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    /// Last time the bucket was refilled (never moves backwards).
    at: Duration,
}

/// Token buckets by client key, bounded to `max_clients` entries.
#[derive(Debug)]
pub struct Buckets {
    limits: Limits,
    table: HashMap<IpAddr, Bucket>,
}

impl Buckets {
    /// An empty table. A `rate` or `burst` below what makes sense is raised
    /// to it (a burst under 1 would refuse everything).
    pub fn new(limits: Limits) -> Self {
        let limits = Limits {
            rate: if limits.rate.is_finite() && limits.rate > 0.0 { limits.rate } else { f64::MIN_POSITIVE },
            burst: if limits.burst.is_finite() && limits.burst >= 1.0 { limits.burst } else { 1.0 },
            max_clients: limits.max_clients.max(1),
        };
        Buckets { limits, table: HashMap::new() }
    }

    /// Clients remembered now.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// Whether no client is remembered.
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// Takes one token from `client`'s bucket at time `now` (any monotonic
    /// origin; a clock going backwards refills nothing).
    pub fn check(&mut self, client: IpAddr, now: Duration) -> Decision {
        let key = key(client);
        if !self.table.contains_key(&key) && self.table.len() >= self.limits.max_clients {
            self.evict(now);
        }
        let Limits { rate, burst, .. } = self.limits;
        let b = self.table.entry(key).or_insert(Bucket { tokens: burst, at: now });
        let elapsed = now.saturating_sub(b.at).as_secs_f64();
        b.tokens = (b.tokens + elapsed * rate).min(burst);
        b.at = b.at.max(now);
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Decision::Allow
        } else {
            // Less a hair, so that float dust never adds a whole second.
            let wait = ((1.0 - b.tokens) / rate - 1e-9).ceil();
            Decision::Deny { retry_after: if wait.is_finite() && wait >= 1.0 { wait.min(u32::MAX as f64) as u64 } else { 1 } }
        }
    }

    /// Makes room: forgets every client whose bucket is full again (idle
    /// long enough: forgetting it changes nothing), and if that frees less
    /// than an eighth of the table, the least recently seen eighth too. In
    /// batches, so that a flood of new addresses costs O(1) each on average.
    fn evict(&mut self, now: Duration) {
        let Limits { rate, burst, max_clients } = self.limits;
        self.table.retain(|_, b| b.tokens + now.saturating_sub(b.at).as_secs_f64() * rate < burst);
        let target = max_clients - (max_clients / 8).max(1);
        if self.table.len() <= target {
            return;
        }
        let mut seen: Vec<Duration> = self.table.values().map(|b| b.at).collect();
        let drop = self.table.len() - target;
        let (_, cut, _) = seen.select_nth_unstable(drop - 1);
        let cut = *cut;
        // Strictly older ones all go; ties at the cut only as many as needed.
        self.table.retain(|_, b| b.at >= cut);
        let mut left = drop.saturating_sub(seen.iter().filter(|&&t| t < cut).count());
        self.table.retain(|_, b| {
            if left > 0 && b.at == cut {
                left -= 1;
                false
            } else {
                true
            }
        });
    }
}

/// The bucket key of an address: IPv4 as is (IPv4-mapped IPv6 too); IPv6
/// by its /64, the block one subscriber usually gets whole.
pub fn key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// Who the client is. Without a known peer (no socket, e.g. a router
/// test), the unspecified address: such requests share one bucket. A peer
/// that is a trusted proxy is believed about the hops it appended: the
/// `X-Forwarded-For` list is read from the right, past the trusted proxies,
/// and the first other address is the client (a client can write anything
/// on the left, not on the right). An unreadable entry stops the walk at
/// the last trusted hop.
pub fn client_ip(peer: Option<IpAddr>, forwarded_for: &[&str], trusted: &[IpAddr]) -> IpAddr {
    let Some(peer) = peer else {
        return IpAddr::from([0, 0, 0, 0]);
    };
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|t| key_eq(t, ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let mut client = peer;
    // Several headers are one list, in order.
    for hop in forwarded_for.iter().rev().flat_map(|h| h.rsplit(',')) {
        match hop.trim().parse::<IpAddr>() {
            Ok(ip) => {
                client = ip;
                if !is_trusted(&ip) {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    client
}

fn key_eq(a: &IpAddr, b: &IpAddr) -> bool {
    let canon = |ip: &IpAddr| match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(*ip),
        _ => *ip,
    };
    canon(a) == canon(b)
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

    /// The tighter limiter of consent submissions (`None` when either
    /// `--rate-limit` or `--consent-rate-limit` is 0).
    pub fn for_consent_posts(config: &Config) -> Option<Self> {
        let on = |r: f64| r.is_finite() && r > 0.0;
        (on(config.rate_limit) && on(config.consent_rate_limit)).then(|| RateLimiter {
            buckets: Mutex::new(Buckets::new(Limits {
                rate: config.consent_rate_limit,
                burst: f64::from(config.consent_rate_burst.max(1)),
                max_clients: config.rate_max_clients,
            })),
            origin: Instant::now(),
            trusted: config.trusted_proxies.clone(),
            limited: AtomicU64::new(0),
        })
    }

    /// One request of the client `peer` (with its `X-Forwarded-For` values) now.
    pub fn check(&self, peer: Option<IpAddr>, forwarded_for: &[&str]) -> Decision {
        let client = client_ip(peer, forwarded_for, &self.trusted);
        // A poisoned lock (a panic elsewhere) must not stop the service: serve.
        let Ok(mut b) = self.buckets.lock() else {
            return Decision::Allow;
        };
        let d = b.check(client, self.origin.elapsed());
        if d != Decision::Allow {
            self.limited.fetch_add(1, Ordering::Relaxed);
        }
        d
    }

    /// Its Prometheus metrics: refusals, clients tracked.
    pub fn render(&self) -> String {
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

/// Middleware: the rate limit of the API routes, 429 `rate_limited` with `Retry-After`.
pub async fn limit(State(l): State<Arc<RateLimiter>>, req: Request, next: Next) -> Response {
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let xff: Vec<&str> = req.headers().get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect();
    if let Decision::Deny { retry_after } = l.check(peer, &xff) {
        return ApiError::RateLimited { retry_after }.into_response();
    }
    next.run(req).await
}

/// Middleware: the consent submissions' own limit (`POST /v1/consents`
/// only; the other ledger routes need a key or read).
pub async fn limit_consent_posts(State(l): State<Arc<RateLimiter>>, req: Request, next: Next) -> Response {
    if req.method() == axum::http::Method::POST && req.uri().path() == "/v1/consents" {
        return limit(State(l), req, next).await;
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const S: fn(u64) -> Duration = Duration::from_secs;
    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }
    fn limits(rate: f64, burst: f64, max_clients: usize) -> Limits {
        Limits { rate, burst, max_clients }
    }

    #[test]
    fn burst_then_refill_at_the_rate() {
        let mut b = Buckets::new(limits(2.0, 5.0, 10));
        let a = ip("192.0.2.1");
        for _ in 0..5 {
            assert_eq!(b.check(a, S(100)), Decision::Allow);
        }
        assert_eq!(b.check(a, S(100)), Decision::Deny { retry_after: 1 });
        // Another client has its own bucket.
        assert_eq!(b.check(ip("192.0.2.2"), S(100)), Decision::Allow);
        // Half a second: one token (rate 2/s).
        assert_eq!(b.check(a, Duration::from_millis(100_500)), Decision::Allow);
        assert!(matches!(b.check(a, Duration::from_millis(100_500)), Decision::Deny { .. }));
        // A long wait refills up to the burst, not beyond.
        let later = S(10_000);
        for _ in 0..5 {
            assert_eq!(b.check(a, later), Decision::Allow);
        }
        assert!(matches!(b.check(a, later), Decision::Deny { .. }));
    }

    #[test]
    fn retry_after_is_the_wait_for_one_token() {
        let mut b = Buckets::new(limits(0.1, 1.0, 10));
        let a = ip("192.0.2.1");
        assert_eq!(b.check(a, S(0)), Decision::Allow);
        assert_eq!(b.check(a, S(0)), Decision::Deny { retry_after: 10 });
        assert_eq!(b.check(a, S(4)), Decision::Deny { retry_after: 6 });
        assert_eq!(b.check(a, S(10)), Decision::Allow);
    }

    #[test]
    fn clock_going_backwards_refills_nothing_and_does_not_panic() {
        let mut b = Buckets::new(limits(1.0, 2.0, 10));
        let a = ip("192.0.2.1");
        assert_eq!(b.check(a, S(50)), Decision::Allow);
        assert_eq!(b.check(a, S(50)), Decision::Allow);
        assert!(matches!(b.check(a, S(10)), Decision::Deny { .. }));
        assert!(matches!(b.check(a, S(0)), Decision::Deny { .. }));
        // Time must pass from the latest instant seen, not from the earlier one.
        assert!(matches!(b.check(a, Duration::from_millis(50_500)), Decision::Deny { .. }));
        assert_eq!(b.check(a, S(51)), Decision::Allow);
    }

    #[test]
    fn table_is_bounded_idle_clients_go_first_then_the_oldest() {
        let mut b = Buckets::new(limits(1.0, 3.0, 16));
        let busy = ip("198.51.100.1");
        b.check(busy, S(0));
        b.check(busy, S(0));
        b.check(busy, S(0));
        for i in 0..15u8 {
            b.check(IpAddr::from([203, 0, 113, i]), S(1));
        }
        assert_eq!(b.len(), 16);
        // At t=1 nobody is idle: the oldest go (the busy client was seen at 0).
        b.check(ip("192.0.2.99"), S(1));
        assert!(b.len() <= 16);
        assert!(!b.table.contains_key(&busy));
        // Much later everyone is idle: one sweep empties the table but the newcomer.
        for i in 0..200u8 {
            b.check(IpAddr::from([10, 1, 0, i]), S(1_000 + u64::from(i) * 10));
            assert!(b.len() <= 16);
        }
    }

    #[test]
    fn a_forgotten_client_was_never_throttled_unfairly() {
        // A client evicted while its bucket was not full starts again full:
        // the bound costs accuracy under a flood of addresses, never service.
        let mut b = Buckets::new(limits(1.0, 1.0, 1));
        let a = ip("192.0.2.1");
        assert_eq!(b.check(a, S(0)), Decision::Allow);
        assert_eq!(b.check(ip("192.0.2.2"), S(0)), Decision::Allow);
        assert_eq!(b.len(), 1);
        assert_eq!(b.check(a, S(0)), Decision::Allow);
    }

    #[test]
    fn ipv6_counts_by_64_and_mapped_v4_as_v4() {
        let mut b = Buckets::new(limits(1.0, 1.0, 10));
        assert_eq!(b.check(ip("2001:db8:1:2::1"), S(0)), Decision::Allow);
        assert!(matches!(b.check(ip("2001:db8:1:2:ffff::7"), S(0)), Decision::Deny { .. }));
        assert_eq!(b.check(ip("2001:db8:1:3::1"), S(0)), Decision::Allow);
        assert_eq!(b.check(ip("192.0.2.7"), S(0)), Decision::Allow);
        assert!(matches!(b.check(ip("::ffff:192.0.2.7"), S(0)), Decision::Deny { .. }));
    }

    #[test]
    fn forwarded_for_is_believed_only_from_a_trusted_proxy() {
        let proxy = ip("10.0.0.5");
        let trusted = [proxy, ip("10.0.0.6")];
        // Not a proxy: the header is the client's own words.
        assert_eq!(client_ip(Some(ip("192.0.2.1")), &["203.0.113.9"], &trusted), ip("192.0.2.1"));
        // The proxy: the rightmost address it did not add itself.
        assert_eq!(client_ip(Some(proxy), &["203.0.113.9"], &trusted), ip("203.0.113.9"));
        assert_eq!(client_ip(Some(proxy), &["1.2.3.4, 203.0.113.9, 10.0.0.6"], &trusted), ip("203.0.113.9"));
        assert_eq!(client_ip(Some(proxy), &["1.2.3.4", "203.0.113.9"], &trusted), ip("203.0.113.9"));
        // Junk stops the walk at the last trusted hop; no header: the proxy.
        assert_eq!(client_ip(Some(proxy), &["203.0.113.9, junk"], &trusted), proxy);
        assert_eq!(client_ip(Some(proxy), &[], &trusted), proxy);
        assert_eq!(client_ip(Some(ip("::ffff:10.0.0.5")), &["203.0.113.9"], &trusted), ip("203.0.113.9"));
        // No socket at all (router tests): one shared key.
        assert_eq!(client_ip(None, &["203.0.113.9"], &trusted), ip("0.0.0.0"));
    }

    proptest! {
        /// Whatever the clock does, never more than burst + rate × (time
        /// spanned) requests pass, and nothing panics.
        #[test]
        fn never_more_than_burst_plus_refill(steps in proptest::collection::vec((0u64..5_000, 0u8..4), 1..300),
                                             rate in 0.5f64..20.0, burst in 1u32..20) {
            let mut b = Buckets::new(limits(rate, f64::from(burst), 3));
            let mut allowed = [0u64; 4];
            let mut hi = 0u64;
            for (ms, who) in &steps {
                hi = hi.max(*ms);
                if b.check(IpAddr::from([192, 0, 2, *who]), Duration::from_millis(*ms)) == Decision::Allow {
                    allowed[*who as usize] += 1;
                }
            }
            // Eviction may forget a client (it then starts full again), so the
            // bound holds per client when the table never overflows (4 keys, 3 slots:
            // checked only for a table that never had to evict).
            if steps.iter().map(|s| s.1).collect::<std::collections::BTreeSet<_>>().len() <= 3 {
                for n in allowed {
                    prop_assert!(n as f64 <= f64::from(burst) + rate * hi as f64 / 1000.0 + 1e-9);
                }
            }
        }
    }
}
