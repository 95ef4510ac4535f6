//! The data subject's rights, behind scoped API keys: access and
//! portability (`GET /v1/subjects/{ref}/consents`, admin), erasure
//! (`DELETE /v1/subjects/{ref}`, admin) and the advisors' duplicate check
//! (`POST /v1/match`, advisor). Nothing of a subject's data is logged.
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use fiable_consent::{ConsentRecord, ERASURE_KIND, Erasure, SCHEMA_VERSION, SubjectData, validate_erasure};
use serde_json::{Value, json};

use super::auth::Scope;
use super::ledger::{self, Entry};
use super::routes::{authorize, body, json_error, new_record_id};
use super::store::{Erased, SubjectVault};
use super::{ConsentError, ConsentState, vault};

/// Most matches `POST /v1/match` returns.
pub const MAX_MATCHES: usize = 5;

/// How much one kind of match says that two people are one, alone.
/// Several kinds combine as independent evidence: 1 − Π(1 − w).
pub fn match_weight(kind: &str) -> f64 {
    match kind {
        "email" => 0.97,
        "phone" => 0.95,
        "name_postcode" => 0.8,
        "name" => 0.4,
        _ => 0.0,
    }
}

fn check_subject(subject: &str) -> Result<(), ConsentError> {
    if subject.is_empty() || subject.len() > 128 {
        return Err(ConsentError::BadRequest { code: "consent.bad_subject", message: "the subject reference must be 1-128 characters" });
    }
    Ok(())
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T, super::store::StoreError> + Send + 'static) -> Result<T, ConsentError> {
    Ok(tokio::task::spawn_blocking(f).await.map_err(|_| ConsentError::Unavailable)??)
}

/// One ledger entry as the subject sees it: receipt, record, and the
/// contact data decrypted, or `erased` once the key is gone.
fn entry_json(e: &Entry, v: &SubjectVault) -> Value {
    let record: Value = serde_json::from_str(&e.record).unwrap_or(Value::Null);
    let mut out = json!({ "record": record, "receipt": e.receipt() });
    if let Ok(r) = serde_json::from_str::<ConsentRecord>(&e.record) {
        if let Some(sealed) = &r.sealed {
            match v.key_hex.as_deref().and_then(|k| vault::open(k, &r.record_id, sealed)) {
                Some(data) => out["subject_data"] = data,
                None => {
                    out["erased"] = true.into();
                    out["erased_at"] = v.erasure.as_ref().map(|(at, _, _)| Value::from(at.as_str())).unwrap_or(Value::Null);
                }
            }
        }
    }
    out
}

/// `GET /v1/subjects/{ref}/consents`: everything held about a subject.
pub async fn subject_consents(State(st): State<ConsentState>, headers: HeaderMap, Path(subject): Path<String>) -> Result<Json<Value>, ConsentError> {
    authorize(&st, &headers, Scope::Admin)?;
    check_subject(&subject)?;
    let store = st.store.clone();
    let s = subject.clone();
    let (entries, v) = blocking(move || Ok((store.by_subject(&s)?, store.subject_vault(&s)?))).await?;
    let erasure = v.erasure.as_ref().map(|(at, reason, seq)| json!({ "erased_at": at, "reason": reason, "seq": seq }));
    Ok(Json(json!({
        "subject": subject,
        "erased": erasure.is_some(),
        "erasure": erasure,
        "consents": entries.iter().map(|e| entry_json(e, &v)).collect::<Vec<_>>(),
    })))
}

/// `DELETE /v1/subjects/{ref}`: crypto-shreds the subject, appends the
/// proof. A second call answers the first erasure again.
pub async fn erase(State(st): State<ConsentState>, headers: HeaderMap, Path(subject): Path<String>) -> Result<Response, ConsentError> {
    authorize(&st, &headers, Scope::Admin)?;
    check_subject(&subject)?;
    let e = Erasure {
        kind: ERASURE_KIND.into(),
        schema_version: SCHEMA_VERSION,
        record_id: new_record_id()?,
        subject: subject.clone(),
        erased_at: ledger::now_rfc3339(),
        reason: "request".into(),
        actor: "admin".into(),
        records: 0,
    };
    if !validate_erasure(&e).is_empty() {
        return Err(ConsentError::BadRequest { code: "consent.bad_subject", message: "this is not a subject reference" });
    }
    erase_answer(st, e).await
}

async fn erase_answer(st: ConsentState, e: Erasure) -> Result<Response, ConsentError> {
    let (store, signer) = (st.store.clone(), st.signer.clone());
    let subject = e.subject.clone();
    let done = blocking(move || store.erase_subject(e, &signer)).await?;
    let (receipt, replayed) = match done {
        Erased::Done(r) => (r, false),
        Erased::Already(r) => (r, true),
        Erased::Unknown => return Err(ConsentError::SubjectNotFound),
    };
    let store = st.store.clone();
    let id = receipt.id.clone();
    let entry = blocking(move || store.by_id(&id)).await?.ok_or(ConsentError::Unavailable)?;
    let record: Erasure = serde_json::from_str(&entry.record).map_err(|_| ConsentError::Unavailable)?;
    let mut resp = (
        StatusCode::OK,
        Json(json!({ "subject": subject, "erased_at": record.erased_at, "reason": record.reason, "records": record.records, "receipt": receipt })),
    )
        .into_response();
    if replayed {
        resp.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(resp)
}

/// `POST /v1/match`: likely duplicates among the subjects the ledger
/// knows (and has not erased), from blind indexes only.
pub async fn find_matches(State(st): State<ConsentState>, headers: HeaderMap, b: Result<Bytes, BytesRejection>) -> Result<Json<Value>, ConsentError> {
    authorize(&st, &headers, Scope::Advisor)?;
    let b = body(b)?;
    let q: SubjectData = serde_json::from_slice(&b).map_err(|e| json_error(&e))?;
    let keys = q.match_keys();
    if keys.is_empty() {
        return Err(ConsentError::MatchEmpty);
    }
    let digests: Vec<(&'static str, String)> = keys.iter().map(|(kind, v)| (*kind, st.index_key.digest(kind, v))).collect();
    let store = st.store.clone();
    let found = blocking(move || store.find_subjects(&digests)).await?;
    let mut by_subject: Vec<(String, Vec<&'static str>)> = Vec::new();
    for (kind, subject) in found {
        match by_subject.iter_mut().find(|(s, _)| *s == subject) {
            Some((_, on)) if !on.contains(&kind) => on.push(kind),
            Some(_) => {}
            None => by_subject.push((subject, vec![kind])),
        }
    }
    let mut matches: Vec<(f64, String, Vec<&'static str>)> = by_subject
        .into_iter()
        .map(|(s, on)| {
            let miss: f64 = on.iter().map(|k| 1.0 - match_weight(k)).product();
            ((1.0 - miss).clamp(0.0, 1.0), s, on)
        })
        .collect();
    matches.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    matches.truncate(MAX_MATCHES);
    Ok(Json(json!({
        "matches": matches.into_iter().map(|(score, subject, on)| json!({ "subject": subject, "score": (score * 1000.0).round() / 1000.0, "on": on })).collect::<Vec<_>>()
    })))
}
