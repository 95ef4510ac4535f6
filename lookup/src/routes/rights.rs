//! The data subject's rights, behind scoped API keys: access and
//! portability (`GET /v1/subjects/{ref}/consents`, admin), erasure
//! (`DELETE /v1/subjects/{ref}`, admin) and the advisors' duplicate check
//! (`POST /v1/match`, advisor). Nothing of a subject's data is logged.
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::on;
use fiable_consent::{ConsentRecord, ERASURE_KIND, Erasure, SCHEMA_VERSION, SubjectData, validate_erasure};
use serde_json::{Value, json};

use crate::consent::auth::Scope;
use crate::consent::ledger::{self, Entry};
use crate::consent::store::{Erased, StoreError, SubjectVault};
use crate::consent::{ConsentState, matching, state, vault};
use crate::error::ApiError;
use crate::openapi::{Auth, Class, In, Param, Resp, Route, RouteDoc, Ty, Verb};

use super::consent_common::{NO_KEY, UNAVAILABLE, authorize, body, json_error, new_record_id};

const SUBJECT: Param = Param {
    name: "subject",
    at: In::Path,
    required: true,
    about: "pseudonymous subject reference",
    ty: Ty::Str { max: 128, pattern: SUBJECT_PATTERN },
};
/// A subject reference, as the consent record's schema has it (8-128 of
/// letters, digits and `._:-`).
const SUBJECT_PATTERN: &str = "^[A-Za-z0-9._:-]{8,128}$";
/// 400 of a malformed subject reference.
const BAD_SUBJECT: Resp = Resp { status: 400, about: "not a subject reference", schema: Some("Error"), codes: &["consent.bad_subject"] };
/// The routes of this area: handler and documentation together (see
/// [`crate::openapi`]).
pub static ROUTES: &[Route<ConsentState>] = &[
    Route {
        doc: RouteDoc {
            verb: Verb::Get,
            path: "/v1/subjects/{subject}/consents",
            summary: "Access and portability: every ledger entry of a subject with its receipt, record and decrypted subject_data (or erased: true); admin key",
            params: &[SUBJECT],
            body: None,
            responses: &[
                Resp {
                    status: 200,
                    about: "{ subject, erased, erasure?, consents: [{ receipt, record, subject_data? | erased, erased_at }], purposes: [{ purpose, state (granted, unconfirmed, expired_unconfirmed, expired, refused, withdrawn), decided_by, acted_at, expires_at?, confirm_by?, confirmed_by? }], returned_mail: [{ id, reported_at, address, returned_on, reason }] }",
                    schema: None,
                    codes: &[],
                },
                BAD_SUBJECT,
                NO_KEY,
                Resp { status: 404, about: "unknown subject", schema: Some("Error"), codes: &["consent.subject_not_found"] },
                UNAVAILABLE,
            ],
            auth: Auth::Admin,
            class: Class::Api,
        },
        handler: |m| on(m, subject_consents),
    },
    Route {
        doc: RouteDoc {
            verb: Verb::Delete,
            path: "/v1/subjects/{subject}",
            summary: "Erasure (crypto-shredding): destroys the subject's key and blind indexes, appends an erasure record as proof; idempotent; admin key",
            params: &[SUBJECT],
            body: None,
            responses: &[
                Resp { status: 200, about: "{ subject, erased_at, reason, records, receipt }", schema: None, codes: &[] },
                BAD_SUBJECT,
                NO_KEY,
                Resp { status: 404, about: "unknown subject", schema: Some("Error"), codes: &["consent.subject_not_found"] },
                UNAVAILABLE,
            ],
            auth: Auth::Admin,
            class: Class::Api,
        },
        handler: |m| on(m, erase),
    },
    Route {
        doc: RouteDoc {
            verb: Verb::Post,
            path: "/v1/match",
            summary: "Duplicate check for advisors: subjects the ledger knows that match on email, E.164 phone, phonetic last name + postcode, or names; advisor key",
            params: &[],
            body: Some("#/components/schemas/MatchRequest"),
            responses: &[
                Resp {
                    status: 200,
                    about: "{ matches: [{ subject, score, on: [email|phone|name_postcode|name], returned_mail?: { count, last_returned_on, reason, code } }] }, best first, at most 5; returned_mail when mail to the customer's address came back (NPAI)",
                    schema: None,
                    codes: &[],
                },
                Resp { status: 400, about: "nothing to match on, or bad JSON", schema: Some("Error"), codes: &["match.empty", "bad_json"] },
                NO_KEY,
                UNAVAILABLE,
            ],
            auth: Auth::Advisor,
            class: Class::Api,
        },
        handler: |m| on(m, find_matches),
    },
];

/// [`SUBJECT_PATTERN`], checked.
pub(crate) fn check_subject(subject: &str) -> Result<(), ApiError> {
    let ok = (8..=128).contains(&subject.len()) && subject.bytes().all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(&b));
    if !ok {
        return Err(ApiError::bad("consent.bad_subject", "the subject reference must be 8-128 letters, digits or ._:-"));
    }
    Ok(())
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T, StoreError> + Send + 'static) -> Result<T, ApiError> {
    Ok(tokio::task::spawn_blocking(f).await.map_err(|_| ApiError::Unavailable)??)
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

/// Each purpose's effective state now ([`state::effective`]), so that the
/// reader of an export does not take a grant still waiting for its double
/// opt-in confirmation, or never confirmed, for a consent.
fn purposes_json(entries: &[Entry], confirm_within: std::time::Duration) -> Vec<Value> {
    let records: Vec<(u64, ConsentRecord)> =
        entries.iter().filter_map(|e| serde_json::from_str::<ConsentRecord>(&e.record).ok().map(|r| (e.seq, r))).collect();
    let now = i64::try_from(crate::consent::optin::unix_now()).unwrap_or(i64::MAX);
    state::purposes(&records)
        .into_iter()
        .filter_map(|p| {
            let e = state::effective(&records, &p, now, confirm_within)?;
            let mut out =
                json!({ "purpose": p, "state": e.state.name(), "decided_by": e.decided_by.record_id, "acted_at": e.decided_by.acted_at });
            if let Some(x) = &e.decided_by.expires_at {
                out["expires_at"] = x.as_str().into();
            }
            if matches!(e.state, state::State::Unconfirmed | state::State::ExpiredUnconfirmed) {
                let due = ledger::parse_rfc3339(&e.decided_by.acted_at)
                    .map(|t| t.saturating_add(i64::try_from(confirm_within.as_secs()).unwrap_or(i64::MAX)));
                out["confirm_by"] = due.map(|t| Value::from(ledger::rfc3339(t, 0))).unwrap_or(Value::Null);
            }
            if let Some(c) = e.confirmed_by {
                out["confirmed_by"] = c.record_id.as_str().into();
            }
            Some(out)
        })
        .collect()
}

/// `GET /v1/subjects/{ref}/consents`: everything held about a subject.
pub async fn subject_consents(
    State(st): State<ConsentState>,
    headers: HeaderMap,
    Path(subject): Path<String>,
) -> Result<Json<Value>, ApiError> {
    authorize(&st, &headers, Scope::Admin)?;
    check_subject(&subject)?;
    let store = st.store.clone();
    let s = subject.clone();
    let (entries, v, returned) =
        blocking(move || Ok((store.by_subject(&s)?, store.subject_vault(&s)?, store.subject_returns(&s)?))).await?;
    let erasure = v.erasure.as_ref().map(|(at, reason, seq)| json!({ "erased_at": at, "reason": reason, "seq": seq }));
    Ok(Json(json!({
        "subject": subject,
        "erased": erasure.is_some(),
        "erasure": erasure,
        "consents": entries.iter().map(|e| entry_json(e, &v)).collect::<Vec<_>>(),
        "purposes": purposes_json(&entries, st.confirm_within),
        "returned_mail": super::returned::reports_json(v.key_hex.as_deref(), &returned),
    })))
}

/// `DELETE /v1/subjects/{ref}`: crypto-shreds the subject, appends the
/// proof. A second call answers the first erasure again.
pub async fn erase(State(st): State<ConsentState>, headers: HeaderMap, Path(subject): Path<String>) -> Result<Response, ApiError> {
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
        return Err(ApiError::bad("consent.bad_subject", "this is not a subject reference"));
    }
    erase_answer(st, e).await
}

async fn erase_answer(st: ConsentState, e: Erasure) -> Result<Response, ApiError> {
    let (store, signer) = (st.store.clone(), st.signer.clone());
    let subject = e.subject.clone();
    let done = blocking(move || store.erase_subject(e, &signer)).await?;
    let (receipt, replayed) = match done {
        Erased::Done(r) => (r, false),
        Erased::Already(r) => (r, true),
        Erased::Unknown => return Err(ApiError::SubjectNotFound),
    };
    let store = st.store.clone();
    let id = receipt.id.clone();
    let entry = blocking(move || store.by_id(&id)).await?.ok_or(ApiError::Unavailable)?;
    let record: Erasure = serde_json::from_str(&entry.record).map_err(|_| ApiError::Unavailable)?;
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
pub async fn find_matches(
    State(st): State<ConsentState>,
    headers: HeaderMap,
    b: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    authorize(&st, &headers, Scope::Advisor)?;
    let b = body(b)?;
    let q: SubjectData = serde_json::from_slice(&b).map_err(|e| json_error(&e))?;
    let keys = q.match_keys();
    if keys.is_empty() {
        return Err(ApiError::MatchEmpty);
    }
    let digests: Vec<(&'static str, String)> = keys.iter().map(|(kind, v)| (*kind, st.index_key.digest(kind, v))).collect();
    let store = st.store.clone();
    let found = blocking(move || store.find_subjects(&digests)).await?;
    let matches = matching::rank(found);
    // Returned mail (NPAI) of the customers found: "check the address".
    let store = st.store.clone();
    let subjects: Vec<String> = matches.iter().map(|m| m.subject.clone()).collect();
    let returned = blocking(move || store.returns_of(&subjects)).await?;
    Ok(Json(json!({
        "matches": matches.into_iter().map(|m| {
            let mut v = json!({ "subject": m.subject, "score": (m.score * 1000.0).round() / 1000.0, "on": m.on });
            if let Some(note) = returned.iter().find(|(s, _, _)| *s == m.subject).and_then(|(_, key, rows)| super::returned::match_note(key.as_deref(), rows)) {
                v["returned_mail"] = note;
            }
            v
        }).collect::<Vec<_>>()
    })))
}
