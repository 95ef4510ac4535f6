//! The routes by area, each a table of handlers with their documentation
//! ([`crate::openapi`]): the router ([`crate::app`]) and `/openapi.json`
//! are both built from [`lookup`] and [`ledger`], so a route cannot be
//! served undocumented. Handlers only translate between HTTP and the
//! address index, the mail check or the consent ledger.
use axum::Json;
use axum::routing::on;
use serde_json::{Map, Value, json};

use crate::consent::ConsentState;
use crate::openapi::{Auth, Class, Resp, Route, RouteDoc, Verb};
use crate::state::AppState;

pub mod address;
pub mod confirm;
pub mod consent;
pub mod consent_common;
pub mod email;
pub mod log;
pub mod ops;
pub mod repermission;
pub mod returned;
pub mod rights;

/// The routes of the lookup service (state [`AppState`]).
pub fn lookup() -> impl Iterator<Item = &'static Route<AppState>> {
    [address::ROUTES, email::ROUTES, DOCS, ops::ROUTES].into_iter().flatten()
}

/// The routes of the consent ledger (state [`ConsentState`]).
pub fn ledger() -> impl Iterator<Item = &'static Route<ConsentState>> {
    [consent::ROUTES, confirm::ROUTES, rights::ROUTES, log::ROUTES, returned::ROUTES, repermission::ROUTES].into_iter().flatten()
}

/// `/openapi.json` itself.
static DOCS: &[Route<AppState>] = &[
    Route {
        doc: RouteDoc {
            verb: Verb::Get,
            path: "/openapi.json",
            summary: "This document",
            params: &[],
            body: None,
            responses: &[Resp { status: 200, about: "OpenAPI 3.1", schema: None, codes: &[] }],
            auth: Auth::Public,
            class: Class::Api,
        },
        handler: |m| on(m, openapi),
    },
    Route {
        doc: RouteDoc {
            verb: Verb::Get,
            path: "/schema/consent-record.json",
            summary: "The JSON Schema of a consent record (pkg/consent.schema.json, generated from the fiable-consent types)",
            params: &[],
            body: None,
            responses: &[Resp { status: 200, about: "JSON Schema 2020-12", schema: None, codes: &[] }],
            auth: Auth::Public,
            class: Class::Api,
        },
        handler: |m| on(m, consent_schema),
    },
];

async fn openapi() -> Json<Value> {
    Json(openapi_document())
}

async fn consent_schema() -> Json<Value> {
    Json(consent_record_schema())
}

/// The consent record's JSON Schema, as the fiable-consent crate generates it.
pub(crate) fn consent_record_schema() -> Value {
    let text = fiable_consent::schema::pretty(&fiable_consent::schema::consent_record());
    // The crate's own writer: always valid JSON (a unit test parses it too).
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// The OpenAPI 3.1 description of every route the service answers: the
/// lookup's and the consent ledger's.
pub fn openapi_document() -> Value {
    let docs = lookup().map(|r| &r.doc).chain(ledger().map(|r| &r.doc));
    let mut schemas = Map::new();
    for area in [address::schemas(), email::schemas(), consent::schemas(), returned::schemas()] {
        if let Value::Object(m) = area {
            schemas.extend(m);
        }
    }
    // The record inline, so that clients need no other URL: the same
    // schema without its document keywords (the erasure record under
    // `$defs` is not a request body).
    let mut record = consent_record_schema();
    if let Value::Object(m) = &mut record {
        for k in ["$schema", "$id", "$defs"] {
            m.remove(k);
        }
    }
    record["examples"] = json!([consent::example_record()]);
    schemas.insert("ConsentRecord".into(), record);
    let mut doc = crate::openapi::document(docs, schemas);
    if let Some(body) = doc.pointer_mut("/paths/~1v1~1consents/post/requestBody/content/application~1json") {
        body["example"] = consent::example_record();
    }
    link_receipts(&mut doc);
    doc
}

/// OpenAPI links from a receipt to the routes that take its record id or
/// subject: clients (and the API fuzzer's stateful phase) follow them.
fn link_receipts(doc: &mut Value) {
    let id_of =
        |verb: Verb, path: &str| ledger().find(|r| r.doc.verb == verb && r.doc.path == path).map(|r| crate::openapi::operation_id(&r.doc));
    let mut links = Map::new();
    for (name, verb, path, param, from) in [
        ("Withdraw", Verb::Post, "/v1/consents/{id}/withdraw", "id", "$response.body#/id"),
        ("SubjectConsents", Verb::Get, "/v1/subjects/{subject}/consents", "subject", "$response.body#/subject"),
        ("EraseSubject", Verb::Delete, "/v1/subjects/{subject}", "subject", "$response.body#/subject"),
    ] {
        if let Some(op) = id_of(verb, path) {
            links.insert(name.into(), json!({ "operationId": op, "parameters": { param: from } }));
        }
    }
    for status in ["200", "201"] {
        if let Some(r) = doc.pointer_mut(&format!("/paths/~1v1~1consents/post/responses/{status}")) {
            r["links"] = Value::Object(links.clone());
        }
    }
}
