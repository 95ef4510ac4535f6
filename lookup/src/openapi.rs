//! The route table: one [`Route`] per endpoint, holding its handler and its
//! documentation side by side. The router is built from the table
//! ([`router`]) and so is the OpenAPI 3.1 document ([`document`]): a route
//! cannot be served without being documented, nor documented without being
//! served.
use axum::Router;
use axum::routing::{MethodFilter, MethodRouter};
use serde_json::{Map, Value, json};

/// HTTP method of a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verb {
    /// GET
    Get,
    /// POST
    Post,
    /// DELETE
    Delete,
}

impl Verb {
    /// The method filter the router uses.
    pub fn filter(self) -> MethodFilter {
        match self {
            Verb::Get => MethodFilter::GET,
            Verb::Post => MethodFilter::POST,
            Verb::Delete => MethodFilter::DELETE,
        }
    }

    /// The name in the OpenAPI document (and the `axum::http::Method`).
    pub fn name(self) -> &'static str {
        match self {
            Verb::Get => "get",
            Verb::Post => "post",
            Verb::Delete => "delete",
        }
    }
}

/// Where a parameter is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum In {
    /// `?name=`
    Query,
    /// `{name}` in the path.
    Path,
    /// A request header.
    Header,
}

/// The type of a parameter.
#[derive(Clone, Copy, Debug)]
pub enum Ty {
    /// A string, at most `max` characters (0: no bound), matching `pattern` ("" for any).
    Str {
        /// Longest value.
        max: usize,
        /// Regular expression the value matches.
        pattern: &'static str,
    },
    /// An integer in `min..=max` with a default.
    Int {
        /// Smallest value.
        min: i64,
        /// Largest value.
        max: i64,
        /// Value when absent.
        default: i64,
    },
    /// Any other JSON Schema, built by a function (a pattern derived from
    /// the rules the handler applies, e.g. the core's postcode table).
    Schema(fn() -> Value),
}

/// One parameter.
#[derive(Clone, Copy, Debug)]
pub struct Param {
    /// Its name.
    pub name: &'static str,
    /// Where it goes.
    pub at: In,
    /// Whether it must be given.
    pub required: bool,
    /// What it is.
    pub about: &'static str,
    /// Its type.
    pub ty: Ty,
}

/// One documented response.
#[derive(Clone, Copy, Debug)]
pub struct Resp {
    /// HTTP status.
    pub status: u16,
    /// What it means.
    pub about: &'static str,
    /// Component schema of the body (`components/schemas/<name>`), if documented.
    pub schema: Option<&'static str>,
    /// For errors: the stable `error.code` values this status carries.
    pub codes: &'static [&'static str],
}

/// Who may call a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Auth {
    /// Anyone.
    Public,
    /// An API key of scope advisor (or admin).
    Advisor,
    /// An API key of scope admin.
    Admin,
}

/// Which middleware a route gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// An API route: rate limited per client.
    Api,
    /// Operations (health, metrics): never rate limited, so that probes and
    /// scrapers see the service even while it refuses a flood.
    Ops,
}

/// The documentation of one route.
#[derive(Clone, Copy, Debug)]
pub struct RouteDoc {
    /// Method.
    pub verb: Verb,
    /// Path template, axum syntax (`/v1/subjects/{subject}`), the same in OpenAPI.
    pub path: &'static str,
    /// One line.
    pub summary: &'static str,
    /// Parameters.
    pub params: &'static [Param],
    /// Request body: its JSON schema as a `$ref` (a component or an external URL).
    pub body: Option<&'static str>,
    /// Responses (a 429 is added to every [`Class::Api`] route).
    pub responses: &'static [Resp],
    /// Who may call it.
    pub auth: Auth,
    /// Middleware class.
    pub class: Class,
}

/// A route: its documentation and its handler (given the method filter of
/// the documentation, so the two cannot disagree).
pub struct Route<S> {
    /// What the document says.
    pub doc: RouteDoc,
    /// `|m| axum::routing::on(m, handler)`.
    pub handler: fn(MethodFilter) -> MethodRouter<S>,
}

/// The router of the routes of `class` in `table`.
pub fn router<'a, S: Clone + Send + Sync + 'static>(table: impl IntoIterator<Item = &'a Route<S>>, class: Class) -> Router<S> {
    let mut by_path: Vec<(&str, MethodRouter<S>)> = Vec::new();
    for r in table.into_iter().filter(|r| r.doc.class == class) {
        let m = (r.handler)(r.doc.verb.filter());
        // One method router per path: axum refuses the same path twice.
        match by_path.iter_mut().find(|(p, _)| *p == r.doc.path) {
            Some((_, mr)) => *mr = std::mem::take(mr).merge(m),
            None => by_path.push((r.doc.path, m)),
        }
    }
    by_path.into_iter().fold(Router::new(), |router, (p, m)| router.route(p, m))
}

/// The OpenAPI 3.1 document of `routes`, with the component schemas
/// `schemas` (name → JSON schema).
pub fn document<'a>(routes: impl IntoIterator<Item = &'a RouteDoc>, schemas: Map<String, Value>) -> Value {
    let mut paths = Map::new();
    for d in routes {
        let entry = paths.entry(d.path).or_insert_with(|| json!({}));
        entry[d.verb.name()] = operation(d);
    }
    let mut schemas = schemas;
    schemas.insert(
        "Error".into(),
        json!({ "type": "object", "required": ["error"], "properties": { "error": { "type": "object",
            "required": ["code", "message"],
            "properties": { "code": { "type": "string", "description": "stable machine code" }, "message": { "type": "string" },
                "problems": { "type": "array", "description": "422 consent.invalid: what is wrong, where", "items": { "type": "object",
                    "required": ["code", "path", "message"],
                    "properties": { "code": { "type": "string" }, "path": { "type": "string" }, "message": { "type": "string" } } } } } } } }),
    );
    json!({
        "openapi": "3.1.0",
        "info": { "title": "fiable lookup service", "version": env!("CARGO_PKG_VERSION") },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": { "bearerAuth": { "type": "http", "scheme": "bearer", "description": "API key, scope advisor or admin" } }
        }
    })
}

fn operation(d: &RouteDoc) -> Value {
    let mut op = json!({ "summary": d.summary, "operationId": operation_id(d) });
    if !d.params.is_empty() {
        op["parameters"] = d.params.iter().map(param).collect();
    }
    if let Some(schema) = d.body {
        op["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": { "$ref": schema } } } });
    }
    let mut responses = Map::new();
    for r in d.responses {
        responses.insert(r.status.to_string(), response(r));
    }
    if d.class == Class::Api {
        let mut r = response(&Resp {
            status: 429,
            about: "too many requests from this client: wait Retry-After seconds",
            schema: Some("Error"),
            codes: &["rate_limited"],
        });
        r["headers"] = json!({ "Retry-After": { "description": "seconds to wait", "schema": { "type": "integer", "minimum": 1 } } });
        responses.insert("429".into(), r);
    }
    op["responses"] = Value::Object(responses);
    match d.auth {
        Auth::Public => {}
        Auth::Advisor | Auth::Admin => {
            op["security"] = json!([{ "bearerAuth": [] }]);
            op["x-scope"] = json!(if d.auth == Auth::Admin { "admin" } else { "advisor" });
        }
    }
    op
}

/// The `operationId` of a route: verb and path words, `postConsentsIdWithdraw`.
pub fn operation_id(d: &RouteDoc) -> String {
    let mut id = d.verb.name().to_string();
    for part in d.path.split(['/', '-', '{', '}', '.']).filter(|p| !p.is_empty() && *p != "v1") {
        let mut c = part.chars();
        if let Some(f) = c.next() {
            id.extend(f.to_uppercase());
            id.push_str(c.as_str());
        }
    }
    id
}

fn param(p: &Param) -> Value {
    let schema = match p.ty {
        Ty::Str { max, pattern } => {
            let mut s = json!({ "type": "string" });
            if max > 0 {
                s["maxLength"] = max.into();
            }
            if !pattern.is_empty() {
                s["pattern"] = pattern.into();
            }
            s
        }
        Ty::Int { min, max, default } => json!({ "type": "integer", "minimum": min, "maximum": max, "default": default }),
        Ty::Schema(f) => f(),
    };
    let at = match p.at {
        In::Query => "query",
        In::Path => "path",
        In::Header => "header",
    };
    json!({ "name": p.name, "in": at, "required": p.required || p.at == In::Path, "description": p.about, "schema": schema })
}

fn response(r: &Resp) -> Value {
    let mut v = json!({ "description": r.about });
    if let Some(s) = r.schema {
        v["content"] = json!({ "application/json": { "schema": { "$ref": format!("#/components/schemas/{s}") } } });
    }
    if !r.codes.is_empty() {
        // The stable `error.code` values of this status (an extension: a
        // code may be a family, such as the core's `email.*` verdicts).
        v["x-error-codes"] = json!(r.codes);
    }
    v
}
