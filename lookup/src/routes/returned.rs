//! Returned mail (NPAI): the shop's report (`POST /v1/address/returned`,
//! advisor or admin key) and the public form's question on blur (`POST
//! /v1/address/returned/check`: did mail for this person to this address
//! come back?). The rules are in [`crate::consent::returns`]; nothing of
//! either body is logged.
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::on;
use serde_json::{Value, json};

use crate::consent::ConsentState;
use crate::consent::auth::Scope;
use crate::consent::returns::{self, BAN_ID_PATTERN, Check, Details, MAX_ADDRESS_TEXT, REASONS, Refusal, Report};
use crate::consent::store::{Reported, StoreError, StoredReturn};
use crate::error::ApiError;
use crate::openapi::{Auth, Class, Resp, Route, RouteDoc, Verb};

use super::consent_common::{NO_KEY, UNAVAILABLE, authorize, body, new_record_id, parse_json};

/// The codes of a refused report or check (400).
const BAD: &[&str] = &[
    "bad_json",
    "consent.bad_subject",
    "returned.no_subject",
    "returned.no_contact",
    "returned.bad_contact",
    "returned.no_address",
    "returned.bad_address",
    "returned.bad_ban_id",
    "returned.bad_date",
    "returned.bad_reason",
];
const TOO_LARGE: Resp =
    Resp { status: 413, about: "body larger than the consent body limit", schema: Some("Error"), codes: &["payload_too_large"] };

/// The routes of this area (ledger state: they read the subjects vault).
pub static ROUTES: &[Route<ConsentState>] = &[
    Route {
        doc: RouteDoc {
            verb: Verb::Post,
            path: "/v1/address/returned",
            summary: "Returned mail (NPAI): a mail piece for a person's address came back; kept sealed against the person (access, erasure) and as a count against the address's keyed hash; advisor key",
            params: &[],
            body: Some("#/components/schemas/ReturnedMailReport"),
            responses: &[
                Resp {
                    status: 201,
                    about: "{ id, subject, returned_on, reason, address_returns }: address_returns counts every report against this address",
                    schema: None,
                    codes: &[],
                },
                Resp { status: 400, about: "a field is missing or malformed", schema: Some("Error"), codes: BAD },
                NO_KEY,
                Resp {
                    status: 404,
                    about: "no such subject (or no subject has this email or phone)",
                    schema: Some("Error"),
                    codes: &["consent.subject_not_found"],
                },
                Resp { status: 409, about: "the subject was erased", schema: Some("Error"), codes: &["consent.subject_erased"] },
                TOO_LARGE,
                UNAVAILABLE,
            ],
            auth: Auth::Advisor,
            class: Class::Api,
        },
        handler: |m| on(m, report),
    },
    Route {
        doc: RouteDoc {
            verb: Verb::Post,
            path: "/v1/address/returned/check",
            summary: "The public form's check on blur: did mail for the person of this email (or phone) to this address come back? Says nothing else (not whether the person is known)",
            params: &[],
            body: Some("#/components/schemas/ReturnedMailCheck"),
            responses: &[
                Resp {
                    status: 200,
                    about: "{ returned: false } or { returned: true, status: \"warning\", code: \"address.mail_returned\" }",
                    schema: None,
                    codes: &[],
                },
                Resp { status: 400, about: "a field is missing or malformed", schema: Some("Error"), codes: BAD },
                TOO_LARGE,
                UNAVAILABLE,
            ],
            auth: Auth::Public,
            class: Class::Api,
        },
        handler: |m| on(m, check),
    },
];

/// The request bodies' schemas (components).
pub fn schemas() -> Value {
    let opt_str = |max: usize, about: &str| json!({ "type": ["string", "null"], "maxLength": max, "description": about });
    let address = json!({
        "type": "object", "additionalProperties": false, "minProperties": 1,
        "description": "the address: its BAN id, the text, or both (null members count as absent, one must be a string)",
        "anyOf": [
            { "required": ["ban_id"], "properties": { "ban_id": { "type": "string" } } },
            { "required": ["text"], "properties": { "text": { "type": "string" } } }
        ],
        "properties": {
            "ban_id": { "type": ["string", "null"], "pattern": BAN_ID_PATTERN, "description": "BAN address id, e.g. 75111_8158_00012" },
            "text": { "type": ["string", "null"], "minLength": 1, "maxLength": MAX_ADDRESS_TEXT,
                      "description": "the address as written (number, street, postcode, city); at least one letter or digit" }
        }
    });
    // A member counts when it is a string (null means absent).
    let given = |k: &str| json!({ "required": [k], "properties": { k: { "type": "string" } } });
    let report_any = json!([given("subject"), given("email"), given("phone")]);
    let check_any = json!([given("email"), given("phone")]);
    json!({
        "ReturnedMailReport": {
            "type": "object", "additionalProperties": false, "required": ["address", "returned_on", "reason"],
            "description": "who (subject, else email, else phone), which address, when, why",
            "anyOf": report_any,
            "properties": {
                "subject": { "type": ["string", "null"], "pattern": "^[A-Za-z0-9._:-]{8,128}$", "description": "pseudonymous subject reference" },
                "email": opt_str(254, "the person's email: the subject is found through its keyed hash"),
                "phone": opt_str(32, "the person's phone, E.164, when there is no email"),
                "address": address.clone(),
                "returned_on": { "type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "description": "the day it came back" },
                "reason": { "enum": REASONS, "description": "npai: the person does not live there; the others as La Poste labels them" }
            }
        },
        "ReturnedMailCheck": {
            "type": "object", "additionalProperties": false, "required": ["address"],
            "description": "what the form holds: the email (else the phone) and the address typed",
            "anyOf": check_any,
            "properties": {
                "email": opt_str(254, "the email typed"),
                "phone": opt_str(32, "the phone typed, E.164"),
                "address": address
            }
        }
    })
}

fn refused((code, message): Refusal) -> ApiError {
    ApiError::bad(code, message)
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T, StoreError> + Send + 'static) -> Result<T, ApiError> {
    Ok(tokio::task::spawn_blocking(f).await.map_err(|_| ApiError::Unavailable)??)
}

/// The subject of an email or phone, through the vault's keyed hashes.
async fn subject_of(st: &ConsentState, email: Option<&str>, phone: Option<&str>) -> Result<Option<String>, ApiError> {
    let Some(digest) = returns::identify(email, phone, &st.index_key).map_err(refused)? else {
        return Ok(None);
    };
    let kind = if email.is_some() { "subject.email" } else { "subject.phone" };
    let store = st.store.clone();
    let found = blocking(move || store.find_subjects(&[(kind, digest)])).await?;
    Ok(found.into_iter().map(|(_, s)| s).next())
}

/// `POST /v1/address/returned`.
async fn report(
    State(st): State<ConsentState>,
    headers: HeaderMap,
    b: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    authorize(&st, &headers, Scope::Advisor)?;
    let r: Report = parse_json(&body(b)?)?;
    returns::check_report(&r).map_err(refused)?;
    let digests = r.address.digests(&st.index_key).map_err(refused)?;
    let subject = match (&r.subject, r.email.as_deref(), r.phone.as_deref()) {
        (Some(s), _, _) => {
            super::rights::check_subject(s)?;
            // A contact given beside the subject must still be well formed.
            returns::identify(r.email.as_deref(), r.phone.as_deref(), &st.index_key).map_err(refused)?;
            s.clone()
        }
        (None, None, None) => return Err(refused(("returned.no_subject", "give subject, email or phone"))),
        (None, email, phone) => subject_of(&st, email, phone).await?.ok_or(ApiError::SubjectNotFound)?,
    };
    let id = new_record_id()?;
    let details = Details { address: r.address.clone(), returned_on: r.returned_on.clone(), reason: r.reason.clone() };
    let (store, sid, s, on) = (st.store.clone(), id.clone(), subject.clone(), r.returned_on.clone());
    let done = blocking(move || store.record_return(&sid, &s, &digests, &on, |key| returns::seal(key, &sid, &details))).await?;
    match done {
        Reported::Done { address_returns } => Ok((
            StatusCode::CREATED,
            Json(
                json!({ "id": id, "subject": subject, "returned_on": r.returned_on, "reason": r.reason, "address_returns": address_returns }),
            ),
        )),
        Reported::UnknownSubject => Err(ApiError::SubjectNotFound),
        Reported::Erased => Err(ApiError::SubjectErased),
    }
}

/// `POST /v1/address/returned/check`: the same answer for a person the
/// service does not know and for one whose mail never came back.
async fn check(State(st): State<ConsentState>, b: Result<Bytes, BytesRejection>) -> Result<Json<Value>, ApiError> {
    let c: Check = parse_json(&body(b)?)?;
    if c.email.is_none() && c.phone.is_none() {
        return Err(refused(("returned.no_contact", "give the email or the phone typed")));
    }
    let digests = c.address.digests(&st.index_key).map_err(refused)?;
    let Some(subject) = subject_of(&st, c.email.as_deref(), c.phone.as_deref()).await? else {
        return Ok(Json(json!({ "returned": false })));
    };
    let store = st.store.clone();
    let rows = blocking(move || store.subject_returns(&subject)).await?;
    let returned = rows.iter().any(|r| r.address_digests.iter().any(|d| digests.contains(d)));
    Ok(Json(if returned {
        json!({ "returned": true, "status": "warning", "code": "address.mail_returned" })
    } else {
        json!({ "returned": false })
    }))
}

/// A subject's reports as their access export shows them: decrypted, or
/// `erased` when the key is gone.
pub fn reports_json(key: Option<&str>, rows: &[StoredReturn]) -> Vec<Value> {
    rows.iter()
        .map(|r| match key.and_then(|k| returns::open(k, &r.id, &r.sealed)) {
            Some(d) => {
                json!({ "id": r.id, "reported_at": r.reported_at, "address": d.address, "returned_on": d.returned_on, "reason": d.reason })
            }
            None => json!({ "id": r.id, "reported_at": r.reported_at, "erased": true }),
        })
        .collect()
}

/// What the advisor's duplicate check says of a subject's returned mail:
/// how many reports, the last day one came back and why (the page shows
/// the core's `address.mail_returned_on` text with that day).
pub fn match_note(key: Option<&str>, rows: &[StoredReturn]) -> Option<Value> {
    let opened: Vec<Details> = rows.iter().filter_map(|r| key.and_then(|k| returns::open(k, &r.id, &r.sealed))).collect();
    let last = opened.iter().max_by(|a, b| a.returned_on.cmp(&b.returned_on))?;
    Some(json!({ "count": opened.len(), "last_returned_on": last.returned_on, "reason": last.reason, "code": "address.mail_returned_on" }))
}
