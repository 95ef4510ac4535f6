//! The consent ledger routes: submit a record, the receipt key, withdraw.
//! Handlers translate: the record is checked by
//! `fiable_consent::validate`, written by the store; nothing of the
//! record (subject, texts) is logged.
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::on;
use fiable_consent::{Channel, ConsentRecord, Decision, Problem, validate};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::consent::auth::{self, Scope};
use crate::consent::store::{Appended, VaultInput};
use crate::consent::{ConsentState, ledger, vault};
use crate::error::ApiError;
use crate::openapi::{Auth, Class, In, Param, Resp, Route, RouteDoc, Ty, Verb};

use super::consent_common::{NO_KEY, UNAVAILABLE, UNAVAILABLE_OR_BUSY, authorize, body, json_error, new_record_id, parse_json};

/// Header carrying the client's idempotency key.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// What [`checked_key`] accepts: 1-255 visible ASCII characters.
const IDEMPOTENCY_PATTERN: &str = "^[!-~]{1,255}$";
const IDEMPOTENCY_HEADER: Param = Param {
    name: "Idempotency-Key",
    at: In::Header,
    required: false,
    about: "1-255 visible ASCII characters",
    ty: Ty::Str { max: 255, pattern: IDEMPOTENCY_PATTERN },
};

/// The routes of this area: handler and documentation together (see
/// [`crate::openapi`]).
pub static ROUTES: &[Route<ConsentState>] = &[
    Route {
        doc: RouteDoc {
            verb: Verb::Post,
            path: "/v1/consents",
            summary: "Append a consent record (schema: pkg/consent.schema.json); returns a signed receipt with its withdraw_token. Store/phone records, `subject` and `withdraws` need an advisor key; without one the receipt names no subject",
            params: &[
                IDEMPOTENCY_HEADER,
                Param {
                    name: "idempotency_key",
                    at: In::Query,
                    required: false,
                    about: "the same, for navigator.sendBeacon (no headers); the header wins",
                    ty: Ty::Str { max: 255, pattern: IDEMPOTENCY_PATTERN },
                },
            ],
            body: Some("#/components/schemas/ConsentRecord"),
            responses: &[
                Resp { status: 201, about: "receipt", schema: Some("Receipt"), codes: &[] },
                Resp {
                    status: 200,
                    about: "the first receipt of this Idempotency-Key (header idempotent-replayed: true)",
                    schema: Some("Receipt"),
                    codes: &[],
                },
                Resp {
                    status: 400,
                    about: "bad JSON, header or query",
                    schema: Some("Error"),
                    codes: &["bad_json", "consent.bad_idempotency_key", "consent.bad_query"],
                },
                NO_KEY,
                Resp {
                    status: 409,
                    about: "idempotency conflict, duplicate id, erased subject",
                    schema: Some("Error"),
                    codes: &["consent.idempotency_conflict", "consent.duplicate_id", "consent.subject_erased"],
                },
                Resp { status: 413, about: "body too large", schema: Some("Error"), codes: &["payload_too_large"] },
                Resp { status: 422, about: "invalid record: error.problems[]", schema: Some("Error"), codes: &["consent.invalid"] },
                UNAVAILABLE_OR_BUSY,
            ],
            auth: Auth::Public,
            class: Class::Api,
        },
        handler: |m| on(m, submit),
    },
    Route {
        doc: RouteDoc {
            verb: Verb::Get,
            path: "/v1/consents/public-key",
            summary: "The Ed25519 key that signs receipts",
            params: &[],
            body: None,
            responses: &[Resp { status: 200, about: "{ algorithm, public_key, receipt_message }", schema: None, codes: &[] }],
            auth: Auth::Public,
            class: Class::Api,
        },
        handler: |m| on(m, public_key),
    },
    Route {
        doc: RouteDoc {
            verb: Verb::Post,
            path: "/v1/consents/{id}/withdraw",
            summary: "Withdraw granted purposes of a record (a new record); admin key, or the record's withdraw_token in the body (then only `purposes` may be given)",
            params: &[
                Param {
                    name: "id",
                    at: In::Path,
                    required: true,
                    about: "record id",
                    ty: Ty::Str { max: 256, pattern: "^[A-Za-z0-9._:-]{1,256}$" },
                },
                IDEMPOTENCY_HEADER,
            ],
            body: Some("#/components/schemas/Withdrawal"),
            responses: &[
                Resp { status: 201, about: "receipt of the withdrawal", schema: Some("Receipt"), codes: &[] },
                Resp {
                    status: 400,
                    about: "bad JSON or header",
                    schema: Some("Error"),
                    codes: &["bad_json", "consent.bad_idempotency_key"],
                },
                NO_KEY,
                Resp { status: 404, about: "unknown record", schema: Some("Error"), codes: &["consent.not_found"] },
                Resp {
                    status: 409,
                    about: "nothing to withdraw",
                    schema: Some("Error"),
                    codes: &["consent.nothing_to_withdraw", "consent.idempotency_conflict"],
                },
                UNAVAILABLE,
            ],
            auth: Auth::Public,
            class: Class::Api,
        },
        handler: |m| on(m, withdraw),
    },
];

/// The component schemas the tables of the ledger routes name (an object:
/// name → schema).
pub fn schemas() -> Value {
    let consent_record = super::consent_record_schema();
    json!({
        "Receipt": { "type": "object",
            "required": ["id", "seq", "hash", "prev_hash", "signed_at", "signature", "public_key"],
            "properties": {
                "id": { "type": "string" }, "seq": { "type": "integer", "minimum": 1 },
                "hash": { "type": "string", "description": "SHA-256(prev_hash || canonical record), hex" },
                "prev_hash": { "type": "string" }, "signed_at": { "type": "string", "format": "date-time" },
                "signature": { "type": "string", "description": "Ed25519 over the receipt message, hex" },
                "public_key": { "type": "string" },
                "subject": { "type": "string", "description": "the pseudonymous subject reference (derived by the service when the record named none); only for advisor and admin keys" },
                "withdraw_token": { "type": "string", "description": "the capability to withdraw this record without a key (POST /v1/consents/{id}/withdraw with {\"token\": …}); only in the answer to its submission" } } },
        "MatchRequest": object_of(fiable_consent::schema::fields::<fiable_consent::SubjectData>(), |f| match f {
            "email" | "phone" | "first_name" | "last_name" | "postcode" | "country" => json!({ "type": ["string", "null"] }),
            _ => Value::Null,
        }),
        "Withdrawal": object_of(fiable_consent::schema::fields::<Withdrawal>(), |f| match f {
            "acted_at" => json!({ "type": ["string", "null"], "format": "date-time", "description": "when the person withdrew; default now" }),
            "purposes" => json!({ "type": ["array", "null"], "items": { "type": "string" }, "description": "default: every granted purpose" }),
            "channel" => json!({ "type": ["string", "null"], "enum": Channel::NAMES.iter().copied().map(Value::from).chain([Value::Null]).collect::<Vec<_>>() }),
            "collector" => json!({ "anyOf": [{ "type": "null" }, consent_record["properties"]["collector"].clone()] }),
            "token" => json!({ "type": ["string", "null"], "description": "the withdraw_token of the receipt (public callers); advisors and admins withdraw with their key" }),
            _ => Value::Null,
        }),
    })
}

/// A record a web form would send, the document's example of the body of
/// `POST /v1/consents` (the API fuzzer starts from it; a test below keeps
/// it valid). No id and no text hashes: the service adds them.
pub fn example_record() -> Value {
    json!({
        "schema_version": fiable_consent::SCHEMA_VERSION,
        "subject": "hmac-sha256:7f3a9c2e41b0d8a6",
        "controller": { "name": "Maison Exemple SAS", "contact": "dpo@maison-exemple.fr" },
        "purposes": [{ "id": "newsletter", "text": "J'accepte de recevoir la newsletter de Maison Exemple.",
                       "decision": "granted", "legal_basis": "consent", "affirmative_action": true }],
        "channel": "web",
        "collector": { "site": "maison-exemple.fr" },
        "form": { "id": "signup", "version": "2026-11" },
        "locale": "fr-FR",
        "acted_at": "2026-11-23T17:15:02+01:00"
    })
}

/// An object schema with exactly the fields serde reads from the type
/// (`fields`), each described by `rule`; a field without a rule is a bug
/// of this table, caught by the document's test (it panics).
fn object_of(fields: &[&str], rule: impl Fn(&str) -> Value) -> Value {
    let mut props = serde_json::Map::new();
    for f in fields {
        let r = rule(f);
        assert!(!r.is_null(), "no schema for field {f}");
        props.insert((*f).to_string(), r);
    }
    json!({ "type": "object", "additionalProperties": false, "properties": props })
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(v) = headers.get(IDEMPOTENCY_KEY) else {
        return Ok(None);
    };
    checked_key(v.to_str().ok())
}

fn checked_key(k: Option<&str>) -> Result<Option<String>, ApiError> {
    match k {
        Some(s) if !s.is_empty() && s.len() <= 255 && s.bytes().all(|c| c.is_ascii_graphic()) => Ok(Some(s.to_string())),
        _ => Err(ApiError::bad("consent.bad_idempotency_key", "Idempotency-Key must be 1-255 visible ASCII characters")),
    }
}

/// The beacon form of a submission (`navigator.sendBeacon` on page hide)
/// cannot set headers: its key comes as `?idempotency_key=`, and its body is
/// the same JSON sent as `text/plain` (a CORS-simple request). The header
/// wins when both are present.
#[derive(Debug, Default, Deserialize)]
struct SubmitQuery {
    idempotency_key: Option<String>,
}

/// Who sent a submission: what it may name, and what its receipt tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Caller {
    /// No API key: the public widget, or anyone. May not name a subject
    /// nor withdraw; learns no pseudonym.
    Anonymous,
    /// An advisor or admin key, or the service itself (a withdrawal it
    /// builds from the original record).
    Trusted,
}

/// The index kind that gives the subject of a record carrying contact
/// data: one identifier only (the email, else the phone), so that a
/// caller cannot pick among the subjects several identifiers point to.
fn subject_kind(kind: &str) -> Option<&'static str> {
    match kind {
        "email" => Some("subject.email"),
        "phone" => Some("subject.phone"),
        _ => None,
    }
}

async fn append(st: &ConsentState, record: ConsentRecord, idem: Option<(String, String)>, caller: Caller) -> Result<Appended, ApiError> {
    let problems = validate(&record);
    if !problems.is_empty() {
        return Err(ApiError::Invalid(problems));
    }
    // Naming the subject files the record (and its contact data's blind
    // indexes) under someone else's pseudonym; `withdraws` withdraws
    // someone else's consent. Only a key holder may.
    if caller == Caller::Anonymous && (!record.subject.is_empty() || record.withdraws.is_some()) {
        return Err(ApiError::Unauthorized("advisor"));
    }
    // A bounded writer queue: past it, the client retries later rather
    // than every request waiting longer.
    if st.store.group_commit_waiting() >= st.max_queue {
        return Err(ApiError::Busy { retry_after: 1 });
    }
    let (store, signer) = (st.store.clone(), st.signer.clone());
    let appended = match record.subject_data.as_ref().map(|d| d.match_keys()) {
        None => {
            tokio::task::spawn_blocking(move || store.append(&record, idem.as_ref().map(|(k, r)| (k.as_str(), r.as_str())), &signer)).await
        }
        Some(keys) => {
            let mut index: Vec<(&'static str, String)> = keys.iter().map(|(kind, v)| (*kind, st.index_key.digest(kind, v))).collect();
            // The subject follows from the first identifier alone, through
            // an index row of its own kind: a record with a victim's phone
            // and the caller's email stays the caller's email's subject,
            // and its phone row never decides the subject of a later record.
            let identify: Vec<(&'static str, String)> =
                keys.iter().find_map(|(kind, v)| subject_kind(kind).map(|k| (k, st.index_key.digest(k, v)))).into_iter().collect();
            index.extend(identify.iter().cloned());
            let fresh_subject = vault::new_subject_ref().map_err(|_| ApiError::Unavailable)?;
            let fresh_key = vault::new_subject_key().map_err(|_| ApiError::Unavailable)?;
            tokio::task::spawn_blocking(move || {
                let input = VaultInput { identify: &identify, index: &index, fresh_subject, fresh_key };
                store.append_with_subject_data(record, idem.as_ref().map(|(k, r)| (k.as_str(), r.as_str())), &signer, &input, |key, r| {
                    r.subject_data.as_ref().and_then(|d| vault::seal(key, &r.record_id, d))
                })
            })
            .await
        }
    };
    Ok(appended.map_err(|_| ApiError::Unavailable)??)
}

/// Appends a record the service built itself (a re-permission answer):
/// trusted like a withdrawal, its contact data sealed and its subject
/// derived exactly as for a form's submission.
pub(crate) async fn append_from_service(st: &ConsentState, record: ConsentRecord) -> Result<Appended, ApiError> {
    append(st, record, None, Caller::Trusted).await
}

/// The receipt as `caller` may see it: no pseudonym for an anonymous
/// caller; with the withdrawal capability when `token` is set.
fn answer(st: &ConsentState, a: Appended, caller: Caller, token: bool) -> Response {
    let Appended { mut receipt, replayed } = a;
    if caller == Caller::Anonymous {
        receipt.subject.clear();
    }
    if token {
        receipt.withdraw_token = Some(auth::withdraw_token(&st.index_key, &receipt.id));
    }
    let status = if replayed { StatusCode::OK } else { StatusCode::CREATED };
    let mut resp = (status, Json(receipt)).into_response();
    if replayed {
        resp.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    resp
}

/// The caller of a request: trusted with an advisor or admin key.
fn caller_of(st: &ConsentState, headers: &HeaderMap) -> Caller {
    if st.keys.scope_of_request(headers).is_some() { Caller::Trusted } else { Caller::Anonymous }
}

async fn submit(
    State(st): State<ConsentState>,
    headers: HeaderMap,
    q: Result<Query<SubmitQuery>, QueryRejection>,
    b: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let b = body(b)?;
    let from_query = q.map_err(|_| ApiError::bad("consent.bad_query", "the only query parameter is idempotency_key"))?;
    let idem = match idempotency_key(&headers)? {
        Some(k) => Some(k),
        None => match from_query.0.idempotency_key.as_deref() {
            Some(k) => checked_key(Some(k))?,
            None => None,
        },
    };
    let mut record: ConsentRecord = parse_json(&b)?;
    // Advisor capture is not public: anyone could claim to be a store.
    if matches!(Channel::parse(&record.channel), Some(Channel::Store | Channel::Phone)) {
        authorize(&st, &headers, Scope::Advisor)?;
    }
    if record.sealed.is_some() {
        return Err(ApiError::Invalid(vec![Problem {
            code: "consent.sealed_by_client",
            path: "sealed".into(),
            message: "only the service seals subject data; send subject_data",
        }]));
    }
    // A confirmation is the service's to write, when the person opens the
    // mailed link (double opt-in, crate::consent::optin).
    if record.confirms.is_some() {
        return Err(ApiError::Invalid(vec![Problem {
            code: "consent.confirms_by_client",
            path: "confirms".into(),
            message: "only the service writes confirmations (the link it mails)",
        }]));
    }
    // What the client sent, canonicalised before the id is assigned: the
    // same record with other whitespace or key order is the same request.
    // With contact data in it, a keyed hash: the idempotency table must
    // not hold a plain hash of personal data.
    let canonical = record.canonical_json();
    let request = if record.subject_data.is_some() { st.index_key.digest("request", &canonical) } else { ledger::request_hash(&canonical) };
    if record.record_id.is_empty() {
        record.record_id = new_record_id()?;
    }
    // The widget may leave the hash to the service: it hashes the text it received.
    for p in &mut record.purposes {
        if p.text_sha256.is_empty() {
            p.text_sha256 = fiable_consent::sha256_hex(p.text.as_bytes());
        }
    }
    let caller = caller_of(&st, &headers);
    // The capability to withdraw, for whoever holds the receipt (a
    // withdrawal itself has nothing left to withdraw).
    let token = record.withdraws.is_none();
    // Double opt-in: the record as sent (its address in clear) for the mail, once it is in the ledger.
    let confirm = match (&st.optin, record.subject_data.as_ref().and_then(|d| d.email.clone())) {
        (Some(_), Some(to)) if crate::consent::optin::needing_confirmation(&record).next().is_some() => Some((record.clone(), to)),
        _ => None,
    };
    let a = append(&st, record, idem.map(|k| (k, request)), caller).await?;
    if let (Some(optin), Some((record, to)), false) = (&st.optin, confirm, a.replayed) {
        optin.send_later(&st.index_key, &record, to);
    }
    Ok(answer(&st, a, caller, token))
}

async fn public_key(State(st): State<ConsentState>) -> Json<serde_json::Value> {
    Json(json!({ "algorithm": "Ed25519", "public_key": st.signer.public_key_hex(), "receipt_message": "fiable-consent-receipt/1" }))
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
    collector: Option<fiable_consent::Collector>,
    /// The record's withdrawal capability (`withdraw_token` of its
    /// receipt), instead of an admin key.
    #[serde(default)]
    token: Option<String>,
}

async fn withdraw(
    State(st): State<ConsentState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    b: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let b = body(b)?;
    let idem = idempotency_key(&headers)?;
    let w: Withdrawal = if b.iter().all(u8::is_ascii_whitespace) {
        Withdrawal::default()
    } else {
        serde_json::from_slice(&b).map_err(|e| json_error(&e))?
    };
    // The person holding the receipt's capability withdraws now, through
    // the original's channel: backdating or another collector needs the key.
    let caller = match &w.token {
        Some(t) if authorize(&st, &headers, Scope::Admin).is_err() => {
            if !auth::is_withdraw_token(&st.index_key, &id, t) || w.acted_at.is_some() || w.channel.is_some() || w.collector.is_some() {
                return Err(ApiError::Unauthorized("admin"));
            }
            Caller::Anonymous
        }
        _ => {
            authorize(&st, &headers, Scope::Admin)?;
            Caller::Trusted
        }
    };
    let store = st.store.clone();
    let id2 = id.clone();
    let original = tokio::task::spawn_blocking(move || store.by_id(&id2))
        .await
        .map_err(|_| ApiError::Unavailable)??
        .ok_or(ApiError::RecordNotFound)?;
    let mut record: ConsentRecord = serde_json::from_str(&original.record).map_err(|_| ApiError::Unavailable)?;
    record
        .purposes
        .retain(|p| Decision::parse(&p.decision) == Some(Decision::Granted) && w.purposes.as_ref().is_none_or(|only| only.contains(&p.id)));
    if record.purposes.is_empty() {
        return Err(ApiError::NothingToWithdraw);
    }
    for p in &mut record.purposes {
        p.decision = "withdrawn".into();
        p.affirmative_action = true;
    }
    let request = ledger::request_hash(&format!("withdraw\n{id}\n{}", String::from_utf8_lossy(&b)));
    // The withdrawal needs no contact data: the subject says who.
    record.sealed = None;
    record.subject_data = None;
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
    // The service names the subject and `withdraws` itself: trusted.
    let a = append(&st, record, idem.map(|k| (k, request)), Caller::Trusted).await?;
    Ok(answer(&st, a, caller, false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_example_is_a_valid_record() {
        let mut r: ConsentRecord = serde_json::from_value(example_record()).unwrap();
        r.record_id = "example".into();
        for p in &mut r.purposes {
            p.text_sha256 = fiable_consent::sha256_hex(p.text.as_bytes());
        }
        assert_eq!(validate(&r), vec![]);
    }

    #[test]
    fn every_field_of_the_bodies_is_documented() {
        // object_of panics on a field without a rule.
        let s = schemas();
        assert_eq!(s["Withdrawal"]["properties"].as_object().unwrap().len(), fiable_consent::schema::fields::<Withdrawal>().len());
        assert!(s["MatchRequest"]["properties"]["email"].is_object());
    }
}
