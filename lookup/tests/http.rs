//! The HTTP API, through `tower::ServiceExt::oneshot` and one real socket.
mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use fiable_lookup::address::{BuildOptions, index};
use fiable_lookup::http::{AppState, Config, app};
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
    let req = |origin: &str| {
        Request::get("/v1/address/search?q=rivoli").header("origin", origin).body(Body::empty()).unwrap()
    };
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
        axum::serve(listener, app(state())).with_graceful_shutdown(async { let _ = rx.await; }).await.unwrap();
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
