//! The consent ledger: `POST /v1/consents` appends a record checked by
//! `fiable_core::consent` to an append-only, hash-chained ledger (SQLite by
//! default, PostgreSQL with `--database postgres://…`, see `store`) and
//! returns an Ed25519-signed receipt that verifies offline
//! (`fiable-lookup verify`).
//!
//! Out of scope here, still to do: erasure (`DELETE /v1/subjects/{ref}`,
//! crypto-shredding with per-subject keys: the record would then hold a
//! per-subject encrypted part, the chain hashes the ciphertext).
use std::path::PathBuf;
use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

pub mod ledger;
pub mod routes;
pub mod sign;
pub mod store;

pub use routes::routes;

/// Consent configuration: flags or environment.
#[derive(clap::Args, Clone, Debug)]
#[group(id = "consent")]
pub struct Config {
    /// SQLite file of the consent ledger (created if missing), unless
    /// `--database` is given.
    #[arg(long = "consent-db", env = "FIABLE_CONSENT_DB", default_value = "fiable-consent.sqlite")]
    pub db: PathBuf,
    /// Database of the consent ledger, instead of `--consent-db`:
    /// `postgres://USER:PASSWORD@HOST:PORT/DBNAME` for PostgreSQL (several
    /// service instances may share it), or a SQLite path / `sqlite:PATH`.
    /// Migrations run at start. No TLS: the connection is plain text, so
    /// keep PostgreSQL on a private network or a local socket
    /// (`sslmode=require` fails). Prefer the environment variable for a
    /// URL with a password (a flag shows in `ps`).
    #[arg(long = "database", env = "FIABLE_DATABASE_URL", hide_env_values = true)]
    pub database: Option<store::Database>,
    /// Most PostgreSQL connections one service instance opens.
    #[arg(long = "database-pool", env = "FIABLE_DATABASE_POOL", default_value_t = 8)]
    pub pool: usize,
    /// Ed25519 signing key of receipts (64 hex digits; created with mode 0600 if missing).
    #[arg(long = "consent-key", env = "FIABLE_CONSENT_KEY", default_value = "fiable-consent.key")]
    pub key: PathBuf,
    /// API key of the back-office routes (subject access, withdrawal).
    /// Without it those routes answer 401.
    #[arg(long = "admin-key", env = "FIABLE_ADMIN_KEY", hide_env_values = true)]
    pub admin_key: Option<String>,
    /// Largest consent request body, in bytes.
    #[arg(long = "consent-max-body", env = "FIABLE_CONSENT_MAX_BODY", default_value_t = 64 * 1024)]
    pub max_body: usize,
}

/// Shared state of the consent routes.
#[derive(Clone, Debug)]
pub struct ConsentState {
    /// The ledger.
    pub store: Arc<store::Store>,
    /// The receipt signer.
    pub signer: Arc<sign::Signer>,
    /// SHA-256 of the admin API key, if one is configured.
    admin_key_sha256: Option<[u8; 32]>,
    /// Largest request body.
    pub max_body: usize,
    /// Origins allowed by CORS for the widget's `POST /v1/consents`.
    pub cors_origins: Vec<String>,
}

impl ConsentState {
    /// The ledger's database: `--database`, else the `--consent-db` file.
    pub fn database(config: &Config) -> store::Database {
        config.database.clone().unwrap_or_else(|| store::Database::Sqlite(config.db.clone()))
    }

    /// Opens the ledger (running migrations) and the signing key named by
    /// `config`. Blocking: call it before entering the async runtime.
    pub fn open(config: &Config, cors_origins: &[String]) -> anyhow::Result<Self> {
        let db = Self::database(config);
        let store = store::Store::connect(&db, config.pool).map_err(|e| anyhow::anyhow!("{db}: {e}"))?;
        let signer = sign::Signer::load_or_create(&config.key)?;
        Ok(Self::new(store, signer, config.admin_key.as_deref(), config.max_body, cors_origins.to_vec()))
    }

    /// State around an opened store and key.
    pub fn new(store: store::Store, signer: sign::Signer, admin_key: Option<&str>, max_body: usize, cors_origins: Vec<String>) -> Self {
        ConsentState {
            store: Arc::new(store),
            signer: Arc::new(signer),
            admin_key_sha256: admin_key.filter(|k| !k.is_empty()).map(|k| fiable_core::consent::sha256(k.as_bytes())),
            max_body,
            cors_origins,
        }
    }

    /// Whether `given` is the admin key, compared in constant time (on
    /// SHA-256 digests, so the length leaks nothing either).
    pub fn is_admin(&self, given: &str) -> bool {
        let Some(want) = &self.admin_key_sha256 else { return false };
        let got = fiable_core::consent::sha256(given.as_bytes());
        want.iter().zip(got.iter()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
    }
}

/// Errors of the consent routes, in the service's JSON shape
/// `{ "error": { "code", "message" } }` (plus `problems` for validation).
#[derive(Debug, thiserror::Error)]
pub enum ConsentError {
    /// The body is not a consent record in JSON.
    #[error("{0}")]
    BadJson(String),
    /// A header or path parameter is malformed.
    #[error("{message}")]
    BadRequest {
        /// Stable code.
        code: &'static str,
        /// Explanation.
        message: &'static str,
    },
    /// The record has problems (see `problems`).
    #[error("the consent record is not valid")]
    Invalid(Vec<fiable_core::consent::Problem>),
    /// No or wrong API key.
    #[error("this route needs the admin API key (Authorization: Bearer …)")]
    Unauthorized,
    /// Body larger than the limit.
    #[error("request body too large")]
    TooLarge,
    /// Same idempotency key, different request.
    #[error("this Idempotency-Key was already used with a different request")]
    IdempotencyConflict,
    /// Record id already in the ledger.
    #[error("a record with this id is already in the ledger")]
    DuplicateId,
    /// Nothing to withdraw in that record.
    #[error("this record has no granted purpose to withdraw")]
    NothingToWithdraw,
    /// Unknown record.
    #[error("no consent record with this id")]
    NotFound,
    /// The ledger could not be read or written.
    #[error("the consent ledger is unavailable")]
    Unavailable,
}

impl From<store::StoreError> for ConsentError {
    fn from(e: store::StoreError) -> Self {
        match e {
            store::StoreError::IdempotencyConflict => ConsentError::IdempotencyConflict,
            store::StoreError::DuplicateId => ConsentError::DuplicateId,
            store::StoreError::Db(e) => {
                tracing::error!(error = %e, "consent store failure");
                ConsentError::Unavailable
            }
        }
    }
}

impl IntoResponse for ConsentError {
    fn into_response(self) -> Response {
        let (status, code) = match &self {
            ConsentError::BadJson(_) => (StatusCode::BAD_REQUEST, "bad_json"),
            ConsentError::BadRequest { code, .. } => (StatusCode::BAD_REQUEST, *code),
            ConsentError::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "consent.invalid"),
            ConsentError::Unauthorized => (StatusCode::UNAUTHORIZED, "auth.required"),
            ConsentError::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            ConsentError::IdempotencyConflict => (StatusCode::CONFLICT, "consent.idempotency_conflict"),
            ConsentError::DuplicateId => (StatusCode::CONFLICT, "consent.duplicate_id"),
            ConsentError::NothingToWithdraw => (StatusCode::CONFLICT, "consent.nothing_to_withdraw"),
            ConsentError::NotFound => (StatusCode::NOT_FOUND, "consent.not_found"),
            ConsentError::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "consent.store_unavailable"),
        };
        let mut err = json!({ "code": code, "message": self.to_string() });
        if let ConsentError::Invalid(problems) = &self {
            err["problems"] = problems.iter().map(|p| json!({ "code": p.code, "path": p.path, "message": p.message })).collect();
        }
        let mut resp = (status, Json(json!({ "error": err }))).into_response();
        if status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(axum::http::header::WWW_AUTHENTICATE, axum::http::HeaderValue::from_static("Bearer"));
        }
        resp
    }
}
