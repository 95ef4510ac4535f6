//! Static files as a CDN serves them: the npm package at `/pkg` and the
//! demo pages at `/`.
//!
//! - Brotli or gzip when the client accepts it, from the `.br`/`.gz` files
//!   `make pkg` writes next to each file (scripts/compress.mjs): compressed
//!   once at build time at the highest levels, not per request.
//! - `Cache-Control: public, max-age=31536000, immutable` for the bundle
//!   chunks whose names carry esbuild's content hash; `no-cache` for every
//!   other file. The entry files (`fiable.js`, the wasm-bindgen glue and its
//!   `.wasm`) keep their names across releases and must change
//!   together — a short max-age could pair a new glue with an old `.wasm` —
//!   so they are revalidated each time (`Last-Modified`, answered with 304).
//! - `Access-Control-Allow-Origin: *` and `Cross-Origin-Resource-Policy:
//!   cross-origin` on `/pkg`: a shop's page on another origin loads the
//!   script tag and its `import()`s from here. The package is public code
//!   and data; the API routes keep their own allow-list (`--cors-origin`).

use std::path::Path;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use tower_http::services::ServeDir;

/// Cache lifetime of a file whose name changes when its content does.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Cache policy of every other file: keep it, but ask before reusing it.
pub const REVALIDATE: &str = "no-cache";

/// The static files: `pkg` at `/pkg` and `www` as the fallback of every
/// other path, each when its directory exists. Merge it after the API's
/// CORS layer: its files carry their own headers.
pub fn router<S: Clone + Send + Sync + 'static>(pkg: &Path, www: &Path) -> Router<S> {
    let mut router = Router::new();
    if pkg.is_dir() {
        let files = ServeDir::new(pkg).precompressed_br().precompressed_gzip();
        router = router.nest_service("/pkg", Router::new().fallback_service(files).layer(middleware::from_fn(public)));
    }
    if www.is_dir() {
        // The demo pages are a few KB, written by hand: not precompressed.
        router = router.fallback_service(Router::new().fallback_service(ServeDir::new(www)).layer(middleware::from_fn(cached)));
    }
    router
}

/// Is `name` (a file name) one of esbuild's `[name]-[hash]` chunks? The
/// hash is 8 characters of base32 (A–Z, 2–7).
pub fn is_content_hashed(name: &str) -> bool {
    let Some((stem, ext)) = name.rsplit_once('.') else {
        return false;
    };
    let Some((base, hash)) = stem.rsplit_once('-') else {
        return false;
    };
    !base.is_empty()
        && matches!(ext, "js" | "css" | "wasm")
        && hash.len() == 8
        && hash.bytes().all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))
}

/// Cache policy and `Vary` of a static file's answer.
async fn cached(req: Request, next: Next) -> Response {
    let hashed = req.uri().path().rsplit('/').next().is_some_and(is_content_hashed);
    let mut res = next.run(req).await;
    let ok = res.status().is_success() || res.status() == StatusCode::NOT_MODIFIED;
    let h = res.headers_mut();
    if ok {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static(if hashed { IMMUTABLE } else { REVALIDATE }));
    }
    // The body depends on Accept-Encoding: a shared cache must key on it.
    h.append(header::VARY, HeaderValue::from_static("accept-encoding"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    res
}

/// [`cached`], readable from any origin.
async fn public(req: Request, next: Next) -> Response {
    let mut res = cached(req, next).await;
    let h = res.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    h.insert("cross-origin-resource-policy", HeaderValue::from_static("cross-origin"));
    res
}

#[cfg(test)]
mod tests {
    use super::is_content_hashed;

    #[test]
    fn esbuild_chunk_names_are_content_hashed_and_entry_names_are_not() {
        for name in ["lookup-KIDLEZMJ.js", "chunk-7QX2ABCD.js", "combobox-AAAAAAAA.css"] {
            assert!(is_content_hashed(name), "{name}");
        }
        for name in [
            "fiable.js",
            "widget.js",
            "fiable_wasm.js",
            "fiable_wasm_bg.wasm",
            "base.js",
            "fiable.css",
            "75.tsv",
            "lookup-kidlezmj.js", // lower case: not esbuild's alphabet
            "lookup-KIDLEZM1.js", // 1 is not in base32
            "lookup-KIDLEZMJX.js",
            "-KIDLEZMJ.js",
            "lookup-KIDLEZMJ.js.br",
            "",
        ] {
            assert!(!is_content_hashed(name), "{name}");
        }
    }
}
