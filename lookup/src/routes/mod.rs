//! The routes by area, each a table of handlers with their documentation
//! ([`crate::openapi`]): the router ([`crate::app`]) and `/openapi.json`
//! are both built from [`lookup`] and [`ledger`], so a route cannot be
//! served undocumented. Handlers only translate between HTTP and the
//! address index, the mail check or the consent ledger.
use axum::Json;
use axum::routing::on;
use serde_json::{Map, Value};

use crate::consent::ConsentState;
use crate::openapi::{Auth, Class, Resp, Route, RouteDoc, Verb};
use crate::state::AppState;

pub mod address;
pub mod consent;
pub mod consent_common;
pub mod email;
pub mod log;
pub mod ops;
pub mod rights;

/// The routes of the lookup service (state [`AppState`]).
pub fn lookup() -> impl Iterator<Item = &'static Route<AppState>> {
    [address::ROUTES, email::ROUTES, DOCS, ops::ROUTES].into_iter().flatten()
}

/// The routes of the consent ledger (state [`ConsentState`]).
pub fn ledger() -> impl Iterator<Item = &'static Route<ConsentState>> {
    [consent::ROUTES, rights::ROUTES, log::ROUTES].into_iter().flatten()
}

/// `/openapi.json` itself.
static DOCS: &[Route<AppState>] = &[Route {
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
}];

async fn openapi() -> Json<Value> {
    Json(openapi_document())
}

/// The OpenAPI 3.1 description of every route the service answers: the
/// lookup's and the consent ledger's.
pub fn openapi_document() -> Value {
    let docs = lookup().map(|r| &r.doc).chain(ledger().map(|r| &r.doc));
    let mut schemas = Map::new();
    for area in [address::schemas(), email::schemas(), consent::schemas()] {
        if let Value::Object(m) = area {
            schemas.extend(m);
        }
    }
    crate::openapi::document(docs, schemas)
}
