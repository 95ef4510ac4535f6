//! The consent routes. Handlers translate: the record is checked by
//! `fiable_core::consent::validate`, written by the store; nothing of the
//! record (subject, texts) is logged.
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use fiable_core::consent::{ConsentRecord, Decision, validate};
use serde::Deserialize;
use serde_json::json;

use super::ledger::{self, Entry};
use super::store::Appended;
use super::{ConsentError, ConsentState};

/// Header carrying the client's idempotency key.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// The consent routes, with their state, ready to merge into the service:
/// `POST /v1/consents`, `GET /v1/consents/public-key`,
/// `GET /v1/subjects/{ref}/consents`, `POST /v1/consents/{id}/withdraw`.
pub fn routes(state: ConsentState) -> Router {
    let origins: Vec<HeaderValue> = state.cors_origins.iter().filter_map(|o| o.trim().parse().ok()).collect();
    let mut r = Router::new()
        .route("/v1/consents", post(submit))
        .route("/v1/consents/public-key", get(public_key))
        .route("/v1/subjects/{subject}/consents", get(subject_consents))
        .route("/v1/consents/{id}/withdraw", post(withdraw))
        .layer(DefaultBodyLimit::max(state.max_body));
    if !origins.is_empty() {
        r = r.layer(
            tower_http::cors::CorsLayer::new()
                .allow_origin(origins)
                .allow_methods([Method::GET, Method::POST])
                .allow_headers([header::CONTENT_TYPE, header::HeaderName::from_static(IDEMPOTENCY_KEY)]),
        );
    }
    r.with_state(state)
}

fn body(b: Result<Bytes, BytesRejection>) -> Result<Bytes, ConsentError> {
    b.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE { ConsentError::TooLarge } else { ConsentError::BadJson("cannot read the request body".into()) }
    })
}

/// A JSON parse error without the values it saw (they may be personal data).
fn json_error(e: &serde_json::Error) -> ConsentError {
    let what = match e.classify() {
        serde_json::error::Category::Data => "does not match the consent record schema",
        serde_json::error::Category::Eof => "ends early",
        _ => "is not valid JSON",
    };
    ConsentError::BadJson(format!("the request body {what} (line {}, column {})", e.line(), e.column()))
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ConsentError> {
    let Some(v) = headers.get(IDEMPOTENCY_KEY) else { return Ok(None) };
    match v.to_str() {
        Ok(s) if !s.is_empty() && s.len() <= 255 && s.bytes().all(|c| c.is_ascii_graphic()) => Ok(Some(s.to_string())),
        _ => Err(ConsentError::BadRequest { code: "consent.bad_idempotency_key", message: "Idempotency-Key must be 1-255 visible ASCII characters" }),
    }
}

fn authorize(st: &ConsentState, headers: &HeaderMap) -> Result<(), ConsentError> {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .or_else(|| headers.get("x-api-key").and_then(|v| v.to_str().ok()));
    match given {
        Some(k) if st.is_admin(k.trim()) => Ok(()),
        _ => Err(ConsentError::Unauthorized),
    }
}

/// A fresh record id: 128 random bits in hex.
fn new_record_id() -> Result<String, ConsentError> {
    let mut b = [0u8; 16];
    getrandom::getrandom(&mut b).map_err(|_| ConsentError::Unavailable)?;
    Ok(fiable_core::consent::hex(&b))
}

async fn append(st: &ConsentState, record: ConsentRecord, idem: Option<(String, String)>) -> Result<Response, ConsentError> {
    let problems = validate(&record);
    if !problems.is_empty() {
        return Err(ConsentError::Invalid(problems));
    }
    let (store, signer) = (st.store.clone(), st.signer.clone());
    let Appended { receipt, replayed } =
        tokio::task::spawn_blocking(move || store.append(&record, idem.as_ref().map(|(k, r)| (k.as_str(), r.as_str())), &signer))
            .await
            .map_err(|_| ConsentError::Unavailable)??;
    let status = if replayed { StatusCode::OK } else { StatusCode::CREATED };
    let mut resp = (status, Json(receipt)).into_response();
    if replayed {
        resp.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(resp)
}

async fn submit(State(st): State<ConsentState>, headers: HeaderMap, b: Result<Bytes, BytesRejection>) -> Result<Response, ConsentError> {
    let b = body(b)?;
    let idem = idempotency_key(&headers)?;
    let mut record: ConsentRecord = serde_json::from_slice(&b).map_err(|e| json_error(&e))?;
    // What the client sent, canonicalised before the id is assigned: the
    // same record with other whitespace or key order is the same request.
    let request = ledger::request_hash(&record.canonical_json());
    if record.record_id.is_empty() {
        record.record_id = new_record_id()?;
    }
    append(&st, record, idem.map(|k| (k, request))).await
}

async fn public_key(State(st): State<ConsentState>) -> Json<serde_json::Value> {
    Json(json!({ "algorithm": "Ed25519", "public_key": st.signer.public_key_hex(), "receipt_message": "fiable-consent-receipt/1" }))
}

fn entry_json(e: &Entry) -> serde_json::Value {
    let record: serde_json::Value = serde_json::from_str(&e.record).unwrap_or(serde_json::Value::Null);
    json!({ "record": record, "receipt": e.receipt() })
}

async fn subject_consents(
    State(st): State<ConsentState>,
    headers: HeaderMap,
    Path(subject): Path<String>,
) -> Result<Json<serde_json::Value>, ConsentError> {
    authorize(&st, &headers)?;
    if subject.is_empty() || subject.len() > 128 {
        return Err(ConsentError::BadRequest { code: "consent.bad_subject", message: "the subject reference must be 1-128 characters" });
    }
    let store = st.store.clone();
    let s = subject.clone();
    let entries = tokio::task::spawn_blocking(move || store.by_subject(&s)).await.map_err(|_| ConsentError::Unavailable)??;
    Ok(Json(json!({ "subject": subject, "consents": entries.iter().map(entry_json).collect::<Vec<_>>() })))
}

/// Body of a withdrawal (optional).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Withdrawal {
    /// When the person withdrew (RFC 3339); default: now.
    #[serde(default)]
    acted_at: Option<String>,
    /// Purposes withdrawn; default: every granted purpose.
    #[serde(default)]
    purposes: Option<Vec<String>>,
    /// Channel of the withdrawal; default: the original's.
    #[serde(default)]
    channel: Option<String>,
    /// Collector of the withdrawal; default: the original's.
    #[serde(default)]
    collector: Option<fiable_core::consent::Collector>,
}

async fn withdraw(
    State(st): State<ConsentState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    b: Result<Bytes, BytesRejection>,
) -> Result<Response, ConsentError> {
    authorize(&st, &headers)?;
    let b = body(b)?;
    let idem = idempotency_key(&headers)?;
    let w: Withdrawal = if b.iter().all(u8::is_ascii_whitespace) { Withdrawal::default() } else { serde_json::from_slice(&b).map_err(|e| json_error(&e))? };
    let store = st.store.clone();
    let id2 = id.clone();
    let original = tokio::task::spawn_blocking(move || store.by_id(&id2)).await.map_err(|_| ConsentError::Unavailable)??.ok_or(ConsentError::NotFound)?;
    let mut record: ConsentRecord = serde_json::from_str(&original.record).map_err(|_| ConsentError::Unavailable)?;
    record.purposes.retain(|p| {
        Decision::parse(&p.decision) == Some(Decision::Granted) && w.purposes.as_ref().is_none_or(|only| only.contains(&p.id))
    });
    if record.purposes.is_empty() {
        return Err(ConsentError::NothingToWithdraw);
    }
    for p in &mut record.purposes {
        p.decision = "withdrawn".into();
        p.affirmative_action = true;
    }
    let request = ledger::request_hash(&format!("withdraw\n{id}\n{}", String::from_utf8_lossy(&b)));
    record.withdraws = Some(id);
    record.record_id = new_record_id()?;
    record.acted_at = w.acted_at.unwrap_or_else(ledger::now_rfc3339);
    record.expires_at = None;
    if let Some(c) = w.channel {
        record.channel = c;
    }
    if let Some(c) = w.collector {
        record.collector = c;
    }
    append(&st, record, idem.map(|k| (k, request))).await
}
