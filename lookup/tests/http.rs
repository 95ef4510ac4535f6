//! The HTTP API, through `tower::ServiceExt::oneshot` and one real socket.
mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use fiable_lookup::address::{BuildOptions, index};
use fiable_lookup::app::{app, app_with_consent};
use fiable_lookup::config::Config;
use fiable_lookup::state::AppState;
use http_body_util::BodyExt;
use tower::ServiceExt;

fn state() -> AppState {
    // One Paris index per test binary, shared through the in-memory build.
    use std::sync::OnceLock;
    static WORDS: OnceLock<Vec<u64>> = OnceLock::new();
    let words = WORDS.get_or_init(|| index::build(&[common::paris_csv()], &BuildOptions::default()).unwrap().0);
    let idx = fiable_lookup::address::Index::from_words(words.clone()).unwrap();
    AppState::new(idx, Config::for_tests())
}

async fn get(uri: &str) -> (StatusCode, serde_json::Value) {
    let resp = app(state()).oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap();
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null))
}

async fn post(uri: &str, body: &str) -> (StatusCode, serde_json::Value) {
    let req = Request::post(uri).header("content-type", "application/json").body(Body::from(body.to_string())).unwrap();
    let resp = app(state()).oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null))
}

#[tokio::test]
async fn search_autocompletes_an_address() {
    let (s, v) = get("/v1/address/search?q=12%20r%20de%20la%20roquette&limit=3").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["results"][0]["label"], "12 Rue de la Roquette 75011 Paris");
    assert_eq!(v["results"][0]["number_match"], "exact");
    assert!(v["results"].as_array().unwrap().len() <= 3);
    let (_, v) = get("/v1/address/search?q=rivoli&postcode=75004").await;
    assert!(v["results"].as_array().unwrap().iter().all(|h| h["postcode"] == "75004"));
    // The core canonicalises the postcode filter: "75 004" is 75004.
    let (s, v) = get("/v1/address/search?q=rivoli&postcode=75%20004").await;
    assert_eq!(s, StatusCode::OK);
    let results = v["results"].as_array().unwrap();
    assert!(!results.is_empty() && results.iter().all(|h| h["postcode"] == "75004"), "{v}");
}

#[tokio::test]
async fn bad_inputs_get_stable_json_errors() {
    for (uri, code) in [
        ("/v1/address/search", "address.query_empty"),
        ("/v1/address/search?q=%20", "address.query_empty"),
        ("/v1/address/search?q=rivoli&postcode=7500", "address.bad_postcode"),
        ("/v1/address/search?q=rivoli&postcode=00000", "address.bad_postcode"),
        ("/v1/address/search?q=rivoli&postcode=SW1A1AA", "address.bad_postcode"),
        ("/v1/address/search?q=rivoli&citycode=ABCDE", "address.bad_citycode"),
        ("/v1/address/search?q=rivoli&limit=0", "address.bad_limit"),
        ("/v1/address/search?q=rivoli&limit=500", "address.bad_limit"),
        ("/v1/address/search?q=rivoli&limit=abc", "bad_query_string"),
    ] {
        let (s, v) = get(uri).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{uri}");
        assert_eq!(v["error"]["code"], code, "{uri}");
        assert!(v["error"]["message"].is_string());
    }
    let long = "a".repeat(201);
    let (s, v) = get(&format!("/v1/address/search?q={long}")).await;
    assert_eq!((s, v["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("address.query_too_long")));
    let (s, v) = get("/nope").await;
    assert_eq!((s, v["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
}

#[tokio::test]
async fn verify_gives_a_verdict() {
    let (s, v) = post("/v1/address/verify", r#"{"q":"12 rue de la roquette 75011 paris"}"#).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["verdict"]["status"], "valid");
    assert_eq!(v["verdict"]["normalized"], "12 Rue de la Roquette 75011 Paris");
    let (_, v) = post("/v1/address/verify", r#"{"housenumber":"12 bis","street":"rue de la roquette","postcode":"75011"}"#).await;
    assert_eq!(v["verdict"]["code"], "address.number_not_found");
    assert_eq!(v["match"]["requested_housenumber"], "12 bis");
    let (_, v) = post("/v1/address/verify", r#"{"q":"zzzzqqq wwwxxx"}"#).await;
    assert_eq!(v["verdict"]["code"], "address.not_found");
    let (s, v) = post("/v1/address/verify", r#"{"q": 12}"#).await;
    assert_eq!((s, v["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("bad_json")));
}

#[tokio::test]
async fn health_metrics_openapi() {
    let (s, v) = get("/healthz").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["address_index"]["numbers"], 158_048);
    let (s, v) = get("/openapi.json").await;
    assert_eq!(s, StatusCode::OK);
    assert!(v["paths"]["/v1/address/search"].is_object());
    // Metrics count requests by route template, never by query text.
    let st = state();
    let a = app(st.clone());
    let _ = a.clone().oneshot(Request::get("/v1/address/search?q=secret%20street").body(Body::empty()).unwrap()).await.unwrap();
    let resp = a.oneshot(Request::get("/metrics").body(Body::empty()).unwrap()).await.unwrap();
    let text = String::from_utf8(resp.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
    assert!(text.contains(r#"fiable_http_requests_total{route="/v1/address/search",status="200"} 1"#), "{text}");
    assert!(text.contains("fiable_http_request_duration_seconds_bucket"));
    assert!(!text.contains("secret"));
}

#[tokio::test]
async fn cors_allows_only_configured_origins() {
    let mut config = Config::for_tests();
    config.cors_origins = vec!["https://shop.example".into()];
    let st = AppState { config: std::sync::Arc::new(config), ..state() };
    let req = |origin: &str| Request::get("/v1/address/search?q=rivoli").header("origin", origin).body(Body::empty()).unwrap();
    let ok = app(st.clone()).oneshot(req("https://shop.example")).await.unwrap();
    assert_eq!(ok.headers().get("access-control-allow-origin").unwrap(), "https://shop.example");
    let no = app(st).oneshot(req("https://evil.example")).await.unwrap();
    assert!(no.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn real_socket() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        axum::serve(listener, app(state()))
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await
            .unwrap();
    });
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /v1/address/search?q=av%20gal%20lemonier HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.unwrap();
    let text = String::from_utf8_lossy(&buf);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(text.contains("Avenue du Général Lemonnier"), "{text}");
    tx.send(()).unwrap();
    server.await.unwrap();
}

// ------------------------------------------------------------ postcodes

#[tokio::test]
async fn postcode_says_whether_the_index_knows_it_and_its_communes() {
    let (s, v) = get("/v1/address/postcode?postcode=75011").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["postcode"], "75011");
    assert_eq!((v["found"].as_bool(), v["covered"].as_bool()), (Some(true), Some(true)));
    assert_eq!(v["communes"], serde_json::json!([{ "name": "Paris 11e Arrondissement", "citycode": "75111" }]));
    // The 16e has two postcodes; 75116 is also its INSEE code.
    let (_, v) = get("/v1/address/postcode?postcode=75116").await;
    assert_eq!(v["communes"][0]["citycode"], "75116");
    // The core canonicalises first: "75 011" is 75011.
    let (s, v) = get("/v1/address/postcode?postcode=75%20011").await;
    assert_eq!((s, v["postcode"].as_str()), (StatusCode::OK, Some("75011")));
    // Well-formed, in a covered department, unknown to the index.
    let (s, v) = get("/v1/address/postcode?postcode=75999").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!((v["found"].as_bool(), v["covered"].as_bool()), (Some(false), Some(true)));
    assert_eq!(v["communes"], serde_json::json!([]));
    // Well-formed, outside what the index covers: unknown here, not wrong.
    let (_, v) = get("/v1/address/postcode?postcode=13001").await;
    assert_eq!((v["found"].as_bool(), v["covered"].as_bool()), (Some(false), Some(false)));
}

#[tokio::test]
async fn postcode_junk_is_a_400_with_a_stable_code() {
    for uri in [
        "/v1/address/postcode?postcode=abc",
        "/v1/address/postcode?postcode=00000",
        "/v1/address/postcode?postcode=7501",
        "/v1/address/postcode?postcode=",
        "/v1/address/postcode",
    ] {
        let (s, v) = get(uri).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{uri}");
        assert_eq!(v["error"]["code"], "address.bad_postcode", "{uri}");
        assert!(v["error"]["message"].is_string());
    }
}

// -------------------------------------------------------- rate limiting

fn limited_state(rate: f64, burst: u32, trusted: &[&str]) -> AppState {
    let mut config = Config::for_tests();
    config.rate_limit = rate;
    config.rate_burst = burst;
    config.trusted_proxies = trusted.iter().map(|t| t.parse().unwrap()).collect();
    let limiter = fiable_lookup::ratelimit::RateLimiter::from_config(&config).map(std::sync::Arc::new);
    AppState { config: std::sync::Arc::new(config), limiter, ..state() }
}

/// A request from `peer` (as the socket would say), with `X-Forwarded-For` values.
fn from(uri: &str, peer: &str, xff: &[&str]) -> Request<Body> {
    let mut r = Request::get(uri);
    for h in xff {
        r = r.header("x-forwarded-for", *h);
    }
    let mut req = r.body(Body::empty()).unwrap();
    let addr: std::net::SocketAddr = format!("{peer}:40000").parse().unwrap();
    req.extensions_mut().insert(axum::extract::ConnectInfo(addr));
    req
}

#[tokio::test]
async fn burst_then_429_with_retry_after_and_the_stable_code() {
    let st = limited_state(0.5, 3, &[]);
    let a = app(st);
    for _ in 0..3 {
        let r = a.clone().oneshot(from("/v1/address/postcode?postcode=75011", "192.0.2.1", &[])).await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
    // Any API route shares the client's bucket, the consent ones too (see consent_vault.rs).
    let r = a.clone().oneshot(from("/v1/address/search?q=rivoli", "192.0.2.1", &[])).await.unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    // Rate 0.5/s: a token is back in 2 s.
    assert_eq!(r.headers()["retry-after"], "2");
    let v: serde_json::Value = serde_json::from_slice(&r.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert_eq!(v["error"]["code"], "rate_limited");
    assert!(v["error"]["message"].is_string());
    // Another client is not affected; health and metrics never are.
    let r = a.clone().oneshot(from("/v1/address/postcode?postcode=75011", "192.0.2.2", &[])).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    for _ in 0..5 {
        assert_eq!(a.clone().oneshot(from("/healthz", "192.0.2.1", &[])).await.unwrap().status(), StatusCode::OK);
    }
    // (Read from the local host: without --metrics-key, nobody else may.)
    let r = a.clone().oneshot(from("/metrics", "127.0.0.1", &[])).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let text = String::from_utf8(r.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
    assert!(text.contains("fiable_rate_limited_total 1\n"), "{text}");
    assert!(text.contains(r#"fiable_http_requests_total{route="/v1/address/search",status="429"} 1"#), "{text}");
    assert!(text.contains("fiable_rate_limit_clients 2\n"), "{text}");
}

#[tokio::test]
async fn rate_limit_zero_turns_it_off() {
    let a = app(limited_state(0.0, 1, &[]));
    for _ in 0..20 {
        let r = a.clone().oneshot(from("/v1/address/postcode?postcode=75011", "192.0.2.1", &[])).await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
}

#[tokio::test]
async fn forwarded_for_counts_only_behind_a_trusted_proxy() {
    let uri = "/v1/address/postcode?postcode=75011";
    // Untrusted peer: a forged X-Forwarded-For does not buy a fresh bucket.
    let a = app(limited_state(0.5, 1, &["10.0.0.5"]));
    assert_eq!(a.clone().oneshot(from(uri, "192.0.2.1", &["203.0.113.1"])).await.unwrap().status(), StatusCode::OK);
    assert_eq!(a.clone().oneshot(from(uri, "192.0.2.1", &["203.0.113.2"])).await.unwrap().status(), StatusCode::TOO_MANY_REQUESTS);
    // Behind the trusted proxy, each forwarded client has its own bucket...
    assert_eq!(a.clone().oneshot(from(uri, "10.0.0.5", &["203.0.113.1"])).await.unwrap().status(), StatusCode::OK);
    assert_eq!(a.clone().oneshot(from(uri, "10.0.0.5", &["198.51.100.7, 203.0.113.2"])).await.unwrap().status(), StatusCode::OK);
    // ...and a client cannot escape by writing on the left of the list.
    assert_eq!(
        a.clone().oneshot(from(uri, "10.0.0.5", &["198.51.100.99, 203.0.113.1"])).await.unwrap().status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn default_limits_let_a_burst_of_200_through() {
    // The defaults (50/s, burst 200) must not throttle a page or a test suite.
    let a = app(state());
    for i in 0..200 {
        let r = a.clone().oneshot(from("/v1/address/postcode?postcode=75011", "127.0.0.1", &[])).await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "request {i}");
    }
}

// -------------------------------------------------------------- OpenAPI

#[tokio::test]
async fn openapi_is_generated_from_the_route_table_and_covers_every_route() {
    let (s, doc) = get("/openapi.json").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(doc["openapi"], "3.1.0");
    let table: Vec<_> = fiable_lookup::routes::lookup().map(|r| r.doc).chain(fiable_lookup::routes::ledger().map(|r| r.doc)).collect();
    // The document has exactly the table's operations.
    let mut documented = 0;
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (verb, op) in ops.as_object().unwrap() {
            documented += 1;
            assert!(table.iter().any(|d| d.path == path && d.verb.name() == verb), "{verb} {path} documented, not in the table");
            assert!(op["summary"].as_str().is_some_and(|s| !s.is_empty()), "{verb} {path}");
            assert!(op["responses"].as_object().is_some_and(|r| !r.is_empty()), "{verb} {path}");
        }
    }
    assert_eq!(documented, table.len());
    for want in [
        "/v1/address/search",
        "/v1/address/verify",
        "/v1/address/postcode",
        "/v1/email/domain",
        "/healthz",
        "/metrics",
        "/v1/consents",
        "/v1/consents/{id}/withdraw",
        "/v1/subjects/{subject}",
        "/v1/subjects/{subject}/consents",
        "/v1/match",
    ] {
        assert!(doc["paths"][want].is_object(), "{want}");
    }
    // API routes document the 429; operations routes are not limited.
    assert_eq!(doc["paths"]["/v1/consents"]["post"]["responses"]["429"]["x-error-codes"][0], "rate_limited");
    assert!(doc["paths"]["/healthz"]["get"]["responses"]["429"].is_null());
    // Every $ref to a component resolves.
    let text = doc.to_string();
    for r in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
        let name = &r[..r.find('"').unwrap()];
        assert!(doc["components"]["schemas"][name].is_object(), "dangling $ref {name}");
    }
}

/// The consent state on a scratch ledger (the directory lives as long as the state needs it).
fn consent_state(dir: &std::path::Path) -> fiable_lookup::consent::ConsentState {
    let store = fiable_lookup::consent::store::Store::open(&dir.join("l.sqlite")).unwrap();
    let signer = fiable_lookup::consent::sign::Signer::load_or_create(&dir.join("k")).unwrap();
    fiable_lookup::consent::ConsentState::new(store, signer, None, 64 * 1024, vec![])
}

#[tokio::test]
async fn the_public_consent_post_is_rate_limited_too() {
    let dir = tempfile::tempdir().unwrap();
    let a = app_with_consent(limited_state(0.01, 2, &[]), consent_state(dir.path()));
    let post = || {
        let mut req = Request::post("/v1/consents").header("content-type", "application/json").body(Body::from("{}")).unwrap();
        req.extensions_mut().insert(axum::extract::ConnectInfo(std::net::SocketAddr::from(([192, 0, 2, 1], 1))));
        req
    };
    // Junk records are refused by the handler (422 or 400) while tokens last...
    for _ in 0..2 {
        let s = a.clone().oneshot(post()).await.unwrap().status();
        assert!(s.is_client_error() && s != StatusCode::TOO_MANY_REQUESTS, "{s}");
    }
    // ...then refused before any parsing.
    let r = a.clone().oneshot(post()).await.unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.headers()["retry-after"], "100");
}

#[tokio::test]
async fn every_route_in_the_table_is_served() {
    // The whole service, consent routes included, on a scratch ledger.
    let dir = tempfile::tempdir().unwrap();
    let a = app_with_consent(state(), consent_state(dir.path()));
    let table = fiable_lookup::routes::lookup().map(|r| r.doc).chain(fiable_lookup::routes::ledger().map(|r| r.doc));
    for d in table {
        let path = d.path.replace("{subject}", "s_x").replace("{id}", "x");
        let method = axum::http::Method::from_bytes(d.verb.name().to_uppercase().as_bytes()).unwrap();
        let req = Request::builder().method(method).uri(&path).header("content-type", "application/json").body(Body::from("{}")).unwrap();
        let r = a.clone().oneshot(req).await.unwrap();
        let status = r.status();
        let v: serde_json::Value = serde_json::from_slice(&r.into_body().collect().await.unwrap().to_bytes()).unwrap_or_default();
        assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{} {path}", d.verb.name());
        assert_ne!(v["error"]["code"], "not_found", "{} {path}: no route", d.verb.name());
        assert!(d.responses.iter().any(|x| x.status == status.as_u16()), "{} {path}: {status} is not documented", d.verb.name());
    }
}

#[tokio::test]
async fn a_429_carries_cors_and_exposes_retry_after_to_the_widget() {
    let mut st = limited_state(0.01, 1, &[]);
    let mut config = (*st.config).clone();
    config.cors_origins = vec!["https://shop.example".into()];
    st.config = std::sync::Arc::new(config);
    let a = app(st);
    let req = || {
        let mut r = from("/v1/address/postcode?postcode=75011", "192.0.2.1", &[]);
        r.headers_mut().insert("origin", "https://shop.example".parse().unwrap());
        r
    };
    assert_eq!(a.clone().oneshot(req()).await.unwrap().status(), StatusCode::OK);
    let r = a.clone().oneshot(req()).await.unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.headers()["access-control-allow-origin"], "https://shop.example");
    assert!(r.headers()["access-control-expose-headers"].to_str().unwrap().to_ascii_lowercase().contains("retry-after"));
}
