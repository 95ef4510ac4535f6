//! The static files the service serves beside its API: the npm package at
//! `/pkg` and the demo pages at `/` (each only when its directory exists).
//! Anything else is the API's JSON 404.
use axum::Router;
use tower_http::services::ServeDir;

use crate::config::Config;
use crate::error::ApiError;

/// `router` with the package, the demo pages and the 404 fallback.
pub fn with_static_files(router: Router, config: &Config) -> Router {
    let mut router = router;
    if config.pkg.is_dir() {
        router = router.nest_service("/pkg", ServeDir::new(&config.pkg));
    }
    if config.www.is_dir() {
        router.fallback_service(ServeDir::new(&config.www))
    } else {
        router.fallback(|| async { ApiError::NotFound })
    }
}
