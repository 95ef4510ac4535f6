//! The service against greedy and slow clients (issue 12): each test
//! performs the attack on a real socket (the service's own accept loop,
//! `fiable_lookup::server::serve`) or on the real resolver, and checks it
//! now fails. Time bounds are generous: "closed within 3 × the timeout".
mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::routing::get;
use fiable_lookup::address::{BuildOptions, index};
use fiable_lookup::app::app;
use fiable_lookup::config::Config;
use fiable_lookup::mail::{DnsConfig, MailChecker};
use fiable_lookup::server::{self, Limits};
use fiable_lookup::state::AppState;
use http_body_util::BodyExt;
use tower::ServiceExt;

/// Health, and a handler slower than any request timeout of these tests.
fn router() -> Router {
    Router::new().route("/healthz", get(|| async { "ok" })).route(
        "/slow",
        get(|| async {
            tokio::time::sleep(Duration::from_secs(30)).await;
            "late"
        }),
    )
}

/// Serves `router()` within `limits` on a fresh port, until the test ends.
async fn start(limits: Limits) -> SocketAddr {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(server::serve(l, router(), limits, std::future::pending()));
    addr
}

fn limits(header_s: u64, per_ip: usize, global: usize) -> Limits {
    Limits {
        header_timeout: Duration::from_secs(header_s),
        request_timeout: Duration::from_secs(2),
        max_connections: global,
        max_connections_per_ip: per_ip,
    }
}

/// A connection to `to` from the loopback address `from` (127.0.0.0/8 is
/// all local on Linux: another client address without another host).
fn connect_from(from: [u8; 4], to: SocketAddr) -> TcpStream {
    // Blocking sockets for the test's own thread; tokio only to bind first.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let sock = rt.block_on(async move {
        let s = tokio::net::TcpSocket::new_v4().unwrap();
        s.bind(SocketAddr::from((from, 0))).unwrap();
        s.connect(to).await.unwrap().into_std().unwrap()
    });
    sock.set_nonblocking(false).unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
    sock
}

/// Whether the server closed `s` (EOF or reset) within `within`; data it
/// sends meanwhile (a 408, say) is read and skipped.
fn closed_within(s: &mut TcpStream, within: Duration) -> bool {
    let start = Instant::now();
    let mut buf = [0u8; 1024];
    while start.elapsed() < within {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => return true,
        }
    }
    false
}

fn get_healthz(s: &mut TcpStream) -> String {
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
    let mut buf = [0u8; 512];
    let n = s.read(&mut buf).unwrap_or(0);
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_header_client_is_disconnected_within_the_timeout() {
    let addr = start(limits(2, 64, 1024)).await;
    let (closed, elapsed, lines) = tokio::task::spawn_blocking(move || {
        let mut s = connect_from([127, 0, 0, 1], addr);
        s.set_read_timeout(Some(Duration::from_millis(1000))).unwrap();
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\n").unwrap();
        let start = Instant::now();
        let mut lines = 0;
        let mut buf = [0u8; 256];
        // One header line a second, never the blank line that ends the head.
        while start.elapsed() < Duration::from_secs(20) {
            match s.read(&mut buf) {
                Ok(0) => return (true, start.elapsed(), lines),
                Ok(_) => {}
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(_) => return (true, start.elapsed(), lines),
            }
            if s.write_all(format!("X-Slow-{lines}: 1\r\n").as_bytes()).is_err() {
                return (true, start.elapsed(), lines);
            }
            lines += 1;
        }
        (false, start.elapsed(), lines)
    })
    .await
    .unwrap();
    assert!(closed, "still open after {elapsed:?} and {lines} header lines");
    assert!(elapsed <= Duration::from_secs(6), "closed after {elapsed:?}: timeout 2 s × 3 exceeded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_keep_alive_connection_is_closed_and_a_slow_handler_gets_408() {
    let addr = start(limits(2, 64, 1024)).await;
    tokio::task::spawn_blocking(move || {
        let mut s = connect_from([127, 0, 0, 1], addr);
        assert!(get_healthz(&mut s).starts_with("HTTP/1.1 200"));
        s.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
        assert!(closed_within(&mut s, Duration::from_secs(6)), "an idle keep-alive connection stays open");
        let mut s = connect_from([127, 0, 0, 1], addr);
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(b"GET /slow HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
        let mut buf = [0u8; 256];
        let n = s.read(&mut buf).unwrap();
        assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 408"), "{}", String::from_utf8_lossy(&buf[..n]));
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_half_open_connections_from_one_address_is_capped_and_health_still_answers() {
    let addr = start(limits(60, 8, 1024)).await;
    tokio::task::spawn_blocking(move || {
        // The flood: connections that never send a byte.
        let mut held: Vec<TcpStream> = (0..8).map(|_| connect_from([127, 0, 0, 1], addr)).collect();
        std::thread::sleep(Duration::from_millis(300));
        let mut refused = 0;
        for _ in 0..50 {
            let mut s = connect_from([127, 0, 0, 1], addr);
            if closed_within(&mut s, Duration::from_secs(3)) {
                refused += 1;
            }
            held.push(s);
        }
        assert_eq!(refused, 50, "connections past the per-address cap are closed at once");
        // The first eight are still served (they only wait for a head)...
        for s in held.iter_mut().take(8) {
            assert!(!closed_within(s, Duration::from_millis(300)));
        }
        // ...and another client is served meanwhile.
        let mut other = connect_from([127, 0, 0, 2], addr);
        assert!(get_healthz(&mut other).starts_with("HTTP/1.1 200"));
        // Closing the flood gives the places back.
        held.clear();
        std::thread::sleep(Duration::from_millis(300));
        let mut again = connect_from([127, 0, 0, 1], addr);
        assert!(get_healthz(&mut again).starts_with("HTTP/1.1 200"));
    })
    .await
    .unwrap();
    assert!(server::render_metrics().contains("fiable_connections_refused_total"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_global_connection_cap_holds_across_addresses() {
    let addr = start(limits(60, 100, 4)).await;
    tokio::task::spawn_blocking(move || {
        let _held: Vec<TcpStream> = (1..=4).map(|i| connect_from([127, 0, 0, i], addr)).collect();
        std::thread::sleep(Duration::from_millis(300));
        let mut s = connect_from([127, 0, 0, 9], addr);
        assert!(closed_within(&mut s, Duration::from_secs(3)));
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_leaving_mid_lookup_leaves_no_in_flight_entry() {
    // An upstream that never answers (a bound UDP socket nobody reads):
    // every lookup stays in flight until the 20 s DNS timeout.
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    // No canaries: this test is about the lookup itself, not the resolver's health.
    let dns = DnsConfig {
        upstream: vec![silent.local_addr().unwrap()],
        timeout_ms: 20_000,
        attempts: 0,
        canaries: vec![],
        ..DnsConfig::default()
    };
    let mail = Arc::new(MailChecker::new(dns));
    let ask = |m: &Arc<MailChecker>| {
        let m = m.clone();
        tokio::spawn(async move { m.check("nobody-answers.fr").await })
    };
    let wait_for = |m: &Arc<MailChecker>, n: usize| {
        let m = m.clone();
        async move {
            let start = Instant::now();
            while m.in_flight() != n && start.elapsed() < Duration::from_secs(10) {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            m.in_flight()
        }
    };
    // Two clients share one lookup; the first leaves: the second still waits on it.
    let a = ask(&mail);
    assert_eq!(wait_for(&mail, 1).await, 1);
    let b = ask(&mail);
    // The second has joined the first's lookup once the metrics count it as shared.
    let start = Instant::now();
    while !mail.render_metrics().contains("result=\"shared\"} 1") && start.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(mail.render_metrics().contains("result=\"shared\"} 1"), "{}", mail.render_metrics());
    a.abort();
    assert!(a.await.unwrap_err().is_cancelled());
    assert_eq!(mail.in_flight(), 1, "the other client still waits for the answer");
    // The last one leaves too (its connection dropped): nothing stays.
    b.abort();
    assert!(b.await.unwrap_err().is_cancelled());
    assert_eq!(mail.in_flight(), 0, "an abandoned lookup left its in-flight entry");
    drop(silent);
}

#[tokio::test]
async fn special_use_names_are_refused_without_asking_dns() {
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let mail = MailChecker::new(DnsConfig { upstream: vec![silent.local_addr().unwrap()], timeout_ms: 20_000, ..DnsConfig::default() });
    for d in [
        "1.0.0.127.in-addr.arpa",
        "router.home.arpa",
        "printer.local",
        "localhost",
        "x.test",
        "foo.invalid",
        "site.onion",
        "db.internal",
        "example.com",
        "mail.example.org",
    ] {
        let v = mail.check(d).await;
        assert_eq!((v.status, v.code), ("invalid", "email.domain_special_use"), "{d}");
    }
    assert_eq!(mail.resolutions(), 0, "no DNS query was sent");
    // Through the route: `.arpa` passes the core's TLD check, then is refused here.
    let idx = fiable_lookup::address::Index::from_words(index::build(&[common::paris_csv()], &BuildOptions::default()).unwrap().0).unwrap();
    let resp = app(AppState::new(idx, Config::for_tests()))
        .oneshot(Request::get("/v1/email/domain?d=x%40in-addr.arpa").body(Body::empty()).unwrap())
        .await
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&resp.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert_eq!(v["code"], "email.domain_special_use", "{v}");
}

#[tokio::test]
async fn metrics_need_the_key_or_the_local_host_and_pages_carry_security_headers() {
    let words = index::build(&[common::paris_csv()], &BuildOptions::default()).unwrap().0;
    let state = |metrics_key: Option<&str>| {
        let mut c = Config::for_tests();
        c.www = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../www");
        c.metrics_key = metrics_key.map(String::from);
        AppState::new(fiable_lookup::address::Index::from_words(words.clone()).unwrap(), c)
    };
    let from = |uri: &str, peer: [u8; 4], auth: Option<&str>| {
        let mut r = Request::get(uri);
        if let Some(a) = auth {
            r = r.header("authorization", a);
        }
        let mut req = r.body(Body::empty()).unwrap();
        req.extensions_mut().insert(axum::extract::ConnectInfo(SocketAddr::from((peer, 40000))));
        req
    };
    let open = app(state(None));
    assert_eq!(open.clone().oneshot(from("/metrics", [192, 0, 2, 1], None)).await.unwrap().status(), StatusCode::UNAUTHORIZED);
    assert_eq!(open.clone().oneshot(from("/metrics", [127, 0, 0, 1], None)).await.unwrap().status(), StatusCode::OK);
    let keyed = app(state(Some("metrics-key-0123456789")));
    assert_eq!(keyed.clone().oneshot(from("/metrics", [127, 0, 0, 1], None)).await.unwrap().status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        keyed.clone().oneshot(from("/metrics", [192, 0, 2, 1], Some("Bearer metrics-key-0123456789"))).await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(keyed.clone().oneshot(from("/healthz", [192, 0, 2, 1], None)).await.unwrap().status(), StatusCode::OK);

    let page = open.clone().oneshot(from("/", [192, 0, 2, 1], None)).await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let h = page.headers();
    let csp = h["content-security-policy"].to_str().unwrap();
    for part in ["script-src 'self' 'wasm-unsafe-eval'", "frame-ancestors 'none'", "object-src 'none'"] {
        assert!(csp.contains(part), "{part}: {csp}");
    }
    assert!(!csp.contains("unsafe-eval'") || csp.contains("wasm-unsafe-eval"), "{csp}");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "no-referrer");
    let api = open.oneshot(from("/healthz", [192, 0, 2, 1], None)).await.unwrap();
    assert_eq!(api.headers()["x-content-type-options"], "nosniff");
    assert!(api.headers().get("content-security-policy").is_none(), "JSON needs no page policy");
}
