//! The one error type of the API and its stable JSON shape
//! `{ "error": { "code", "message" } }` (plus `problems` for an invalid
//! consent record). The codes are a contract with the widget and with
//! integrators: the status and code of each variant never change.
use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use fiable_consent::Problem;
use serde_json::json;

use crate::consent::store::StoreError;

/// Every error a route answers.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A parameter, header or query is missing or malformed.
    #[error("{message}")]
    BadRequest {
        /// Stable machine code, e.g. `address.query_too_long`.
        code: &'static str,
        /// Human explanation (never echoes personal data).
        message: String,
    },
    /// The body is not the JSON the route expects.
    #[error("{0}")]
    BadJson(String),
    /// No such route.
    #[error("no such endpoint")]
    NotFound,
    /// This client sent too many requests.
    #[error("too many requests: retry after {retry_after} s")]
    RateLimited {
        /// Seconds until a request is accepted again.
        retry_after: u64,
    },
    /// The consent record has problems (see `problems`).
    #[error("the consent record is not valid")]
    Invalid(Vec<Problem>),
    /// No or wrong API key; the scope needed.
    #[error("this route needs an API key of scope {0} (Authorization: Bearer …)")]
    Unauthorized(&'static str),
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
    /// Unknown consent record.
    #[error("no consent record with this id")]
    RecordNotFound,
    /// The ledger knows nothing of this subject.
    #[error("no consent record for this subject")]
    SubjectNotFound,
    /// Contact data for an erased subject reference.
    #[error("this subject was erased; submit without a subject to get a new one")]
    SubjectErased,
    /// `POST /v1/match` with nothing to match on.
    #[error("give at least one of email, phone, last_name (+ first_name or postcode)")]
    MatchEmpty,
    /// The consent ledger could not be read or written.
    #[error("the consent ledger is unavailable")]
    Unavailable,
    /// The consent writer's queue is full: retry after `retry_after` s.
    #[error("the consent ledger is busy: retry after {retry_after} s")]
    Busy {
        /// Value of the `Retry-After` header.
        retry_after: u64,
    },
    /// `GET /v1/email/mailbox` on a deployment without `--mailbox-probe`.
    #[error("the mailbox check is not turned on in this deployment (--mailbox-probe)")]
    MailboxProbeOff,
    /// An entry or a tree size beyond the log.
    #[error("no such entry or tree size in the log")]
    LogOutOfRange,
}

impl ApiError {
    /// A 400 with a stable code.
    pub fn bad(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::BadRequest { code, message: message.into() }
    }

    /// The HTTP status and the stable code.
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::BadRequest { code, .. } => (StatusCode::BAD_REQUEST, *code),
            ApiError::BadJson(_) => (StatusCode::BAD_REQUEST, "bad_json"),
            ApiError::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            ApiError::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "consent.invalid"),
            ApiError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "auth.required"),
            ApiError::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            ApiError::IdempotencyConflict => (StatusCode::CONFLICT, "consent.idempotency_conflict"),
            ApiError::DuplicateId => (StatusCode::CONFLICT, "consent.duplicate_id"),
            ApiError::NothingToWithdraw => (StatusCode::CONFLICT, "consent.nothing_to_withdraw"),
            ApiError::RecordNotFound => (StatusCode::NOT_FOUND, "consent.not_found"),
            ApiError::SubjectNotFound => (StatusCode::NOT_FOUND, "consent.subject_not_found"),
            ApiError::SubjectErased => (StatusCode::CONFLICT, "consent.subject_erased"),
            ApiError::MatchEmpty => (StatusCode::BAD_REQUEST, "match.empty"),
            ApiError::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "consent.store_unavailable"),
            ApiError::Busy { .. } => (StatusCode::SERVICE_UNAVAILABLE, "consent.busy"),
            ApiError::LogOutOfRange => (StatusCode::NOT_FOUND, "log.out_of_range"),
            ApiError::MailboxProbeOff => (StatusCode::NOT_FOUND, "email.mailbox_probe_off"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let mut err = json!({ "code": code, "message": self.to_string() });
        if let ApiError::Invalid(problems) = &self {
            err["problems"] = problems.iter().map(|p| json!({ "code": p.code, "path": p.path, "message": p.message })).collect();
        }
        let mut resp = (status, Json(json!({ "error": err }))).into_response();
        match self {
            ApiError::RateLimited { retry_after } | ApiError::Busy { retry_after } => {
                resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
            }
            ApiError::Unauthorized(_) => {
                resp.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            _ => {}
        }
        resp
    }
}

impl From<QueryRejection> for ApiError {
    fn from(e: QueryRejection) -> Self {
        ApiError::bad("bad_query_string", format!("bad query string: {}", e.body_text()))
    }
}

impl From<JsonRejection> for ApiError {
    fn from(e: JsonRejection) -> Self {
        ApiError::BadJson(format!("bad JSON body: {}", e.body_text()))
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::IdempotencyConflict => ApiError::IdempotencyConflict,
            StoreError::DuplicateId => ApiError::DuplicateId,
            StoreError::SubjectErased => ApiError::SubjectErased,
            StoreError::Seal | StoreError::ClearSubjectData => {
                tracing::error!(error = %e, "consent sealing failed");
                ApiError::Unavailable
            }
            StoreError::Db(e) | StoreError::KeyMismatch(e) => {
                tracing::error!(error = %e, "consent store failure");
                ApiError::Unavailable
            }
        }
    }
}
