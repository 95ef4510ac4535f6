//! `GET /v1/email/mailbox` against a real MTA: exim4 on loopback with its
//! own configuration, and dnsmasq for the MX records (tests/common/mta.rs).
//! Each answer kind, STARTTLS, the cache and its TTLs, the per-domain
//! limit, the timeout, and that a probe never sends a message.
#[path = "common/mta.rs"]
mod mta;

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use fiable_lookup::app::app;
use fiable_lookup::config::Config;
use fiable_lookup::smtp::probe::ProbeConfig;
use fiable_lookup::state::AppState;
use http_body_util::BodyExt;
use mta::{Dns, Exim, ZONE};
use serde_json::Value;
use tower::ServiceExt;

/// The probe's whole budget in these tests (exim's `slow` recipient waits 5 s).
const TIMEOUT_MS: u64 = 1500;

fn state(dns: &Dns, exim: &Exim, tune: impl FnOnce(&mut ProbeConfig)) -> AppState {
    let mut config = Config::for_tests();
    config.dns = dns.config();
    config.mailbox = ProbeConfig {
        enabled: true,
        port: exim.port,
        helo: "probe.fiable-test.com".into(),
        timeout_ms: TIMEOUT_MS,
        ..ProbeConfig::default()
    };
    tune(&mut config.mailbox);
    AppState::new(mta::tiny_index(), config)
}

async fn get(st: &AppState, uri: &str) -> (StatusCode, Value) {
    let resp = app(st.clone()).oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap();
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

/// The verdict for `address`, and how long the service took.
async fn probe(st: &AppState, address: &str) -> (Value, Duration) {
    let t = Instant::now();
    let (s, v) = get(st, &format!("/v1/email/mailbox?address={}", address.replace('@', "%40"))).await;
    let took = t.elapsed();
    assert_eq!(s, StatusCode::OK, "{address}: {v}");
    (v, took)
}

#[tokio::test]
async fn every_answer_kind_against_a_real_mta() {
    let (dns, exim) = (Dns::start(), Exim::start());
    let st = state(&dns, &exim, |_| {});
    let cases = [
        ("alice", "mail", "exists", None),
        ("nobody", "mail", "does_not_exist", None),
        ("anyone", "all", "accept_all", None),
        ("grey", "mail", "unknown", Some("greylisted")),
        ("dropper", "mail", "unknown", Some("rejected")),
        ("slow", "mail", "unknown", Some("timeout")),
        ("alice", "dead", "unknown", Some("connect")),
    ];
    for (local, sub, result, reason) in cases {
        let address = format!("{local}@{sub}.{ZONE}");
        let (v, took) = probe(&st, &address).await;
        // The answers and latencies the report quotes.
        eprintln!("{address}: {} {} smtp={} tls={} in {} ms", v["result"], v["reason"], v["smtp"], v["tls"], took.as_millis());
        assert_eq!(v["result"], result, "{address}: {v}");
        assert_eq!(v["reason"].as_str(), reason, "{address}: {v}");
        assert_eq!(v["domain"], format!("{sub}.{ZONE}"));
        assert_eq!(v["cached"], false);
        assert!(took < Duration::from_millis(TIMEOUT_MS + 500), "{address}: {took:?} is past the probe's budget");
        if sub != "dead" && local != "slow" {
            assert_eq!(v["tls"], true, "{address}: exim offers STARTTLS, the probe takes it: {v}");
        }
    }
    let (v, _) = probe(&st, &format!("nobody@mail.{ZONE}")).await;
    assert_eq!(v["smtp"], "550 5.1.1");
    let (v, _) = probe(&st, &format!("grey@mail.{ZONE}")).await;
    assert_eq!(v["smtp"], "450 4.7.1");
    // MAIL FROM and RCPT TO only: exim received no message, delivered none.
    assert_eq!(exim.received(), 0, "{}", exim.file("log/mainlog"));
    assert!(exim.delivered().is_empty());
    // The log of exim shows the probe's RCPT for the unknown user, refused, and no DATA.
    let log = exim.file("log/rejectlog") + &exim.file("log/mainlog");
    assert!(log.contains("rejected RCPT <nobody@mail.fiable-test.com>"), "{log}");
}

#[tokio::test]
async fn answers_are_cached_each_kind_for_its_own_time() {
    let (dns, exim) = (Dns::start(), Exim::start());
    let st = state(&dns, &exim, |c| {
        c.ttl_exists = 1;
        c.ttl_unknown = 0;
    });
    let (v, _) = probe(&st, &format!("bob@mail.{ZONE}")).await;
    assert_eq!((v["result"].as_str(), v["cached"].as_bool()), (Some("exists"), Some(false)));
    let sessions = st.mailbox.sessions();
    let (v, took) = probe(&st, &format!("Bob@mail.{ZONE}")).await;
    assert_eq!((v["result"].as_str(), v["cached"].as_bool()), (Some("exists"), Some(true)), "{v}");
    assert_eq!(st.mailbox.sessions(), sessions, "a cached answer opens no session");
    assert!(took < Duration::from_millis(100), "{took:?}");
    // Past its TTL (1 s here) the mailbox is asked again.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (v, _) = probe(&st, &format!("bob@mail.{ZONE}")).await;
    assert_eq!(v["cached"], false);
    assert_eq!(st.mailbox.sessions(), sessions + 1);
    // A catch-all is remembered for the whole domain: another address opens no session.
    probe(&st, &format!("a@all.{ZONE}")).await;
    let sessions = st.mailbox.sessions();
    let (v, _) = probe(&st, &format!("b@all.{ZONE}")).await;
    assert_eq!((v["result"].as_str(), v["cached"].as_bool()), (Some("accept_all"), Some(true)));
    assert_eq!(st.mailbox.sessions(), sessions);
    // `unknown` with a TTL of 0 is not kept: greylisting is asked again.
    probe(&st, &format!("grey@mail.{ZONE}")).await;
    let sessions = st.mailbox.sessions();
    let (v, _) = probe(&st, &format!("grey@mail.{ZONE}")).await;
    assert_eq!((v["result"].as_str(), v["cached"].as_bool()), (Some("unknown"), Some(false)));
    assert_eq!(st.mailbox.sessions(), sessions + 1);
    let m = get(&st, "/metrics").await;
    assert_eq!(m.0, StatusCode::OK);
}

#[tokio::test]
async fn a_slow_server_costs_the_timeout_and_no_more() {
    let (dns, exim) = (Dns::start(), Exim::start());
    let st = state(&dns, &exim, |c| c.timeout_ms = 800);
    let (v, took) = probe(&st, &format!("slow@mail.{ZONE}")).await;
    assert_eq!((v["result"].as_str(), v["reason"].as_str()), (Some("unknown"), Some("timeout")), "{v}");
    assert!(took >= Duration::from_millis(750) && took < Duration::from_millis(1300), "{took:?}");
}

#[tokio::test]
async fn one_domain_gets_a_bounded_number_of_sessions() {
    let (dns, exim) = (Dns::start(), Exim::start());
    let st = state(&dns, &exim, |c| c.rate_per_minute = 2);
    for local in ["alice", "bob"] {
        let (v, _) = probe(&st, &format!("{local}@mail.{ZONE}")).await;
        assert_eq!(v["result"], "exists");
    }
    let sessions = st.mailbox.sessions();
    let (v, took) = probe(&st, &format!("carol@mail.{ZONE}")).await;
    assert_eq!((v["result"].as_str(), v["reason"].as_str()), (Some("unknown"), Some("rate_limited")), "{v}");
    assert_eq!(st.mailbox.sessions(), sessions, "past the domain's rate no session is opened");
    assert!(took < Duration::from_millis(100));
    // Another domain has its own bucket.
    let (v, _) = probe(&st, &format!("x@all.{ZONE}")).await;
    assert_eq!(v["result"], "accept_all");
}

#[tokio::test]
async fn the_route_is_off_unless_the_deployment_turns_it_on_and_refuses_non_addresses() {
    let (dns, exim) = (Dns::start(), Exim::start());
    let st = state(&dns, &exim, |c| c.enabled = false);
    let (s, v) = get(&st, &format!("/v1/email/mailbox?address=alice%40mail.{ZONE}")).await;
    assert_eq!((s, v["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("email.mailbox_probe_off")));
    let st = state(&dns, &exim, |_| {});
    for bad in ["", "alice", "alice%40", "%40mail.fiable-test.com", "a%20b%40mail.fiable-test.com"] {
        let (s, v) = get(&st, &format!("/v1/email/mailbox?address={bad}")).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}: {v}");
        assert!(v["error"]["code"].as_str().is_some_and(|c| c.starts_with("email.")), "{bad}: {v}");
    }
    let (s, _) = get(&st, "/v1/email/mailbox").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(st.mailbox.sessions(), 0);
}
