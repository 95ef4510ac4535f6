//! What the consent and rights handlers share: reading the body, JSON
//! errors that never echo the values, the API-key check, fresh record ids,
//! and the responses every ledger route documents.
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode};

use crate::consent::ConsentState;
use crate::consent::auth::Scope;
use crate::error::ApiError;
use crate::openapi::Resp;

/// 401 of a route behind an API key.
pub const NO_KEY: Resp = Resp { status: 401, about: "no API key of the needed scope", schema: Some("Error"), codes: &["auth.required"] };
/// 503 when the ledger cannot be read or written.
pub const UNAVAILABLE: Resp =
    Resp { status: 503, about: "the ledger could not be read or written", schema: Some("Error"), codes: &["consent.store_unavailable"] };

/// 503 of an append: the ledger is unavailable, or the writer's queue is full.
pub const UNAVAILABLE_OR_BUSY: Resp = Resp {
    status: 503,
    about: "the ledger could not be written, or the writer's queue is full (consent.busy: retry after Retry-After seconds)",
    schema: Some("Error"),
    codes: &["consent.store_unavailable", "consent.busy"],
};

/// The request body, or 413 / 400.
pub fn body(b: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    b.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge
        } else {
            ApiError::BadJson("cannot read the request body".into())
        }
    })
}

/// A JSON parse error without the values it saw (they may be personal data).
pub fn json_error(e: &serde_json::Error) -> ApiError {
    let what = match e.classify() {
        serde_json::error::Category::Data => "does not match the consent record schema",
        serde_json::error::Category::Eof => "ends early",
        _ => "is not valid JSON",
    };
    ApiError::BadJson(format!("the request body {what} (line {}, column {})", e.line(), e.column()))
}

/// The body as `T`. JSON Schema counts `1.0` as an integer and serde does
/// not: a body refused as data is read again with its integral numbers
/// made integers (the document promises what JSON Schema means).
pub fn parse_json<T: serde::de::DeserializeOwned>(b: &[u8]) -> Result<T, ApiError> {
    match serde_json::from_slice(b) {
        Ok(t) => Ok(t),
        Err(e) if e.classify() == serde_json::error::Category::Data => {
            let mut v: serde_json::Value = serde_json::from_slice(b).map_err(|_| json_error(&e))?;
            if integral(&mut v) { serde_json::from_value(v).map_err(|_| json_error(&e)) } else { Err(json_error(&e)) }
        }
        Err(e) => Err(json_error(&e)),
    }
}

/// Turns the integral floats of `v` into integers; whether any was.
fn integral(v: &mut serde_json::Value) -> bool {
    use serde_json::Value;
    match v {
        Value::Number(n) if n.is_f64() => {
            let f = n.as_f64().unwrap_or(f64::NAN);
            // Within ±2^53 an f64 is an exact integer; beyond, no field of ours fits anyway.
            if f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0 {
                *v = if f < 0.0 { Value::from(f as i64) } else { Value::from(f as u64) };
                true
            } else {
                false
            }
        }
        // Every member, not the first only: no short circuit.
        Value::Array(a) => a.iter_mut().map(integral).filter(|&changed| changed).count() > 0,
        Value::Object(o) => o.values_mut().map(integral).filter(|&changed| changed).count() > 0,
        _ => false,
    }
}

/// The request's API key must have scope `need` (or a wider one).
pub fn authorize(st: &ConsentState, headers: &HeaderMap, need: Scope) -> Result<(), ApiError> {
    match st.keys.scope_of_request(headers) {
        Some(s) if s >= need => Ok(()),
        _ => Err(ApiError::Unauthorized(if need == Scope::Admin { "admin" } else { "advisor" })),
    }
}

/// A fresh record id: 128 random bits in hex.
pub fn new_record_id() -> Result<String, ApiError> {
    let mut b = [0u8; 16];
    getrandom::getrandom(&mut b).map_err(|_| ApiError::Unavailable)?;
    Ok(fiable_consent::hex(&b))
}
