//! Static files as a CDN serves them (`fiable_lookup::assets`), through
//! `tower::ServiceExt::oneshot`: encodings, cache lifetimes, content types,
//! and the package readable from any origin while the API keeps its
//! allow-list.
mod common;

use std::io::{Read, Write};
use std::path::Path;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use fiable_lookup::assets::{self, IMMUTABLE, REVALIDATE};
use http_body_util::BodyExt;
use tower::ServiceExt;

const WIDGET: &str = "export function autoAttach(){/* the widget bundle, long enough to be worth compressing */}\n";
const CHUNK: &str = "export const lookup = 1;\n";
// Not a real Brotli stream: the service must send the `.br` file as it is.
const WIDGET_BR: &[u8] = b"\x0b\x2f\x80brotli bytes of widget.js";

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// A package directory as `make pkg` leaves it: entry files, a hashed
/// chunk, the Wasm, each with its `.br`/`.gz` where the build wrote them.
fn package(dir: &Path) {
    let dist = dir.join("pkg/dist");
    std::fs::create_dir_all(&dist).unwrap();
    std::fs::write(dist.join("widget.js"), WIDGET).unwrap();
    std::fs::write(dist.join("widget.js.br"), WIDGET_BR).unwrap();
    std::fs::write(dist.join("widget.js.gz"), gzip(WIDGET.as_bytes())).unwrap();
    std::fs::write(dist.join("lookup-KIDLEZMJ.js"), CHUNK).unwrap();
    std::fs::write(dist.join("fiable_wasm_bg.wasm"), b"\0asm\x01\0\0\0").unwrap();
    std::fs::write(dir.join("pkg/fiable.css"), ".fiable-hint{color:red}\n").unwrap();
    std::fs::create_dir_all(dir.join("www")).unwrap();
    std::fs::write(dir.join("www/index.html"), "<!doctype html><title>demo</title>\n").unwrap();
}

async fn fetch(app: Router, uri: &str, headers: &[(&str, &str)]) -> (StatusCode, HeaderMap, Vec<u8>) {
    let mut req = Request::get(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = app.oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
    let (parts, body) = resp.into_parts();
    (parts.status, parts.headers, body.collect().await.unwrap().to_bytes().to_vec())
}

fn files(dir: &Path) -> Router {
    assets::router(&dir.join("pkg"), &dir.join("www"))
}

fn h<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).map(|v| v.to_str().unwrap())
}

#[tokio::test]
async fn brotli_then_gzip_then_identity_from_the_precompressed_files() {
    let dir = tempfile::tempdir().unwrap();
    package(dir.path());
    let (status, hd, body) = fetch(files(dir.path()), "/pkg/dist/widget.js", &[("accept-encoding", "gzip, deflate, br")]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(h(&hd, "content-encoding"), Some("br"));
    assert_eq!(body, WIDGET_BR);
    assert_eq!(h(&hd, "content-type"), Some("text/javascript"));
    assert_eq!(h(&hd, "vary"), Some("accept-encoding"));

    let (_, hd, body) = fetch(files(dir.path()), "/pkg/dist/widget.js", &[("accept-encoding", "gzip")]).await;
    assert_eq!(h(&hd, "content-encoding"), Some("gzip"));
    let mut plain = String::new();
    flate2::read::GzDecoder::new(&body[..]).read_to_string(&mut plain).unwrap();
    assert_eq!(plain, WIDGET);

    let (_, hd, body) = fetch(files(dir.path()), "/pkg/dist/widget.js", &[]).await;
    assert_eq!(h(&hd, "content-encoding"), None);
    assert_eq!(body, WIDGET.as_bytes());

    // No .br/.gz beside it (too small to gain): the file itself, still with Vary.
    let (status, hd, body) = fetch(files(dir.path()), "/pkg/dist/lookup-KIDLEZMJ.js", &[("accept-encoding", "br, gzip")]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(h(&hd, "content-encoding"), None);
    assert_eq!(body, CHUNK.as_bytes());
    assert_eq!(h(&hd, "vary"), Some("accept-encoding"));
}

#[tokio::test]
async fn hashed_chunks_are_immutable_and_entry_files_revalidate() {
    let dir = tempfile::tempdir().unwrap();
    package(dir.path());
    let (_, hd, _) = fetch(files(dir.path()), "/pkg/dist/lookup-KIDLEZMJ.js", &[]).await;
    assert_eq!(h(&hd, "cache-control"), Some(IMMUTABLE));
    for entry in ["/pkg/dist/widget.js", "/pkg/dist/fiable_wasm_bg.wasm", "/pkg/fiable.css", "/"] {
        let (status, hd, _) = fetch(files(dir.path()), entry, &[("accept-encoding", "br")]).await;
        assert_eq!(status, StatusCode::OK, "{entry}");
        assert_eq!(h(&hd, "cache-control"), Some(REVALIDATE), "{entry}");
        assert!(hd.contains_key(header::LAST_MODIFIED), "{entry}: nothing to revalidate with");
    }
    // Revalidation: the Last-Modified sent back is answered with 304 and no body.
    let (_, hd, _) = fetch(files(dir.path()), "/pkg/dist/widget.js", &[]).await;
    let since = h(&hd, "last-modified").unwrap().to_string();
    let (status, hd, body) = fetch(files(dir.path()), "/pkg/dist/widget.js", &[("if-modified-since", &since)]).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert!(body.is_empty());
    assert_eq!(h(&hd, "cache-control"), Some(REVALIDATE));
    // A missing file is not cached for a year.
    let (status, hd, _) = fetch(files(dir.path()), "/pkg/dist/gone-ABCDEFGH.js", &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(h(&hd, "cache-control"), None);
}

#[tokio::test]
async fn wasm_is_served_as_application_wasm() {
    let dir = tempfile::tempdir().unwrap();
    package(dir.path());
    let (status, hd, body) = fetch(files(dir.path()), "/pkg/dist/fiable_wasm_bg.wasm", &[]).await;
    assert_eq!(status, StatusCode::OK);
    // WebAssembly.instantiateStreaming refuses any other type.
    assert_eq!(h(&hd, "content-type"), Some("application/wasm"));
    assert_eq!(&body[..4], b"\0asm");
}

#[tokio::test]
async fn the_package_is_readable_from_any_origin_the_demo_pages_are_not() {
    let dir = tempfile::tempdir().unwrap();
    package(dir.path());
    for uri in ["/pkg/dist/widget.js", "/pkg/dist/fiable_wasm_bg.wasm", "/pkg/fiable.css", "/pkg/dist/missing.js"] {
        let (_, hd, _) = fetch(files(dir.path()), uri, &[("origin", "https://shop.example")]).await;
        assert_eq!(h(&hd, "access-control-allow-origin"), Some("*"), "{uri}");
        assert_eq!(h(&hd, "cross-origin-resource-policy"), Some("cross-origin"), "{uri}");
    }
    let (status, hd, _) = fetch(files(dir.path()), "/index.html", &[("origin", "https://shop.example")]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(h(&hd, "access-control-allow-origin"), None);
    assert_eq!(h(&hd, "cross-origin-resource-policy"), None);
}

#[tokio::test]
async fn in_the_service_the_api_keeps_its_allow_list_and_the_package_is_public() {
    use fiable_lookup::address::{BuildOptions, Index, index};
    use fiable_lookup::{app::app, config::Config, state::AppState};
    let dir = tempfile::tempdir().unwrap();
    package(dir.path());
    let mut config = Config::for_tests();
    config.cors_origins = vec!["https://shop.example".into()];
    config.pkg = dir.path().join("pkg");
    config.www = dir.path().join("www");
    let words = index::build(&[common::paris_csv()], &BuildOptions::default()).unwrap().0;
    let st = AppState::new(Index::from_words(words).unwrap(), config);

    let search = "/v1/address/search?q=rivoli";
    let (status, hd, _) = fetch(app(st.clone()), search, &[("origin", "https://shop.example")]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(h(&hd, "access-control-allow-origin"), Some("https://shop.example"));
    let (_, hd, _) = fetch(app(st.clone()), search, &[("origin", "https://elsewhere.example")]).await;
    assert_eq!(h(&hd, "access-control-allow-origin"), None);

    // One header, `*`: the API's CORS layer does not add its own on top.
    for origin in ["https://shop.example", "https://elsewhere.example"] {
        let (status, hd, body) = fetch(app(st.clone()), "/pkg/dist/widget.js", &[("origin", origin)]).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, WIDGET.as_bytes());
        let acao: Vec<_> = hd.get_all("access-control-allow-origin").iter().collect();
        assert_eq!(acao, ["*"], "{origin}");
    }
    let (status, hd, _) = fetch(app(st), "/", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(h(&hd, "cache-control"), Some(REVALIDATE));
}
