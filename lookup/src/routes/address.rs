//! The address routes: autocomplete, verification, postcode check. Every
//! input is re-checked by `fiable-core` before it reaches the index; no
//! query text is ever logged.
use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::on;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::address::postcodes::{self, Commune};
use crate::address::{self, Filters, Hit, NumberMatch, query::MAX_QUERY_CHARS, search::MAX_LIMIT};
use crate::error::ApiError;
use crate::openapi::{Auth, Class, In, Param, Resp, Route, RouteDoc, Ty, Verb};
use crate::state::AppState;

/// The routes of this area: handler and documentation together (see
/// [`crate::openapi`]).
pub static ROUTES: &[Route<AppState>] = &[
    Route {
        doc: RouteDoc {
            verb: Verb::Get,
            path: "/v1/address/search",
            summary: "Autocomplete a French address (BAN)",
            params: &[
                Param { name: "q", at: In::Query, required: true, about: "what the person typed", ty: Ty::Schema(query_schema) },
                Param {
                    name: "postcode",
                    at: In::Query,
                    required: false,
                    about: "only this postcode (empty: no filter)",
                    ty: Ty::Schema(postcode_filter_schema),
                },
                Param {
                    name: "citycode",
                    at: In::Query,
                    required: false,
                    about: "only this INSEE code (empty: no filter)",
                    ty: Ty::Schema(citycode_schema),
                },
                Param {
                    name: "limit",
                    at: In::Query,
                    required: false,
                    about: "number of results",
                    ty: Ty::Int { min: 1, max: MAX_LIMIT as i64, default: 5 },
                },
            ],
            body: None,
            responses: &[
                Resp { status: 200, about: "{ results: [Hit] }, best first", schema: None, codes: &[] },
                Resp {
                    status: 400,
                    about: "bad input",
                    schema: Some("Error"),
                    codes: &[
                        "address.query_empty",
                        "address.query_too_long",
                        "address.bad_postcode",
                        "address.bad_citycode",
                        "address.bad_limit",
                        "bad_query_string",
                    ],
                },
            ],
            auth: Auth::Public,
            class: Class::Api,
        },
        handler: |m| on(m, address_search),
    },
    Route {
        doc: RouteDoc {
            verb: Verb::Post,
            path: "/v1/address/verify",
            summary: "Verify one address (q, or housenumber/street/postcode/city/citycode); returns a verdict and the best match",
            params: &[],
            body: Some("#/components/schemas/VerifyRequest"),
            responses: &[
                Resp {
                    status: 200,
                    about: "{ verdict: { status, code, suggestion?, normalized? }, match?: Hit }",
                    schema: None,
                    codes: &[],
                },
                Resp {
                    status: 400,
                    about: "bad input",
                    schema: Some("Error"),
                    codes: &["address.query_empty", "address.query_too_long", "address.bad_postcode", "address.bad_citycode", "bad_json"],
                },
            ],
            auth: Auth::Public,
            class: Class::Api,
        },
        handler: |m| on(m, address_verify),
    },
    Route {
        doc: RouteDoc {
            verb: Verb::Get,
            path: "/v1/address/postcode",
            summary: "Does the address index know this French postcode, and which communes use it (the widget's postcode/city check)",
            params: &[Param {
                name: "postcode",
                at: In::Query,
                required: true,
                about: "a French postcode; checked by fiable-core first",
                ty: Ty::Schema(postcode_schema),
            }],
            body: None,
            responses: &[
                Resp {
                    status: 200,
                    about: "found: the index has it; covered: the index has this department at all (not found but not covered: unknown here)",
                    schema: Some("PostcodeAnswer"),
                    codes: &[],
                },
                Resp {
                    status: 400,
                    about: "not a French postcode",
                    schema: Some("Error"),
                    codes: &["address.bad_postcode", "bad_query_string"],
                },
            ],
            auth: Auth::Public,
            class: Class::Api,
        },
        handler: |m| on(m, address_postcode),
    },
];

/// The component schemas the table above names (an object: name → schema).
/// The input constraints are those the checks below apply, spelled as
/// patterns: what the schema accepts the handler accepts, and the reverse
/// (the API fuzzer of `tests/api/run.sh` holds both to it).
pub fn schemas() -> Value {
    let text = |max: usize| json!({ "type": ["string", "null"], "maxLength": max });
    let nonblank = |max: usize| json!({ "type": "string", "maxLength": max, "pattern": nonblank_pattern() });
    let mut filter = postcode_filter_schema();
    filter["type"] = json!(["string", "null"]);
    let mut citycode = citycode_schema();
    citycode["type"] = json!(["string", "null"]);
    json!({
        "VerifyRequest": { "type": "object", "additionalProperties": false,
            "description": "q (the whole line), or the parts joined; postcode is a filter when q is absent, citycode always",
            "properties": {
                "q": text(MAX_QUERY_CHARS), "housenumber": text(MAX_HOUSENUMBER), "street": text(MAX_STREET),
                "postcode": text(MAX_POSTCODE_CHARS), "city": text(MAX_CITY), "citycode": citycode },
            "anyOf": [
                { "required": ["q"], "properties": { "q": nonblank(MAX_QUERY_CHARS) } },
                { "properties": { "q": { "type": "null" }, "postcode": filter },
                  "anyOf": [
                    { "required": ["housenumber"], "properties": { "housenumber": nonblank(MAX_HOUSENUMBER) } },
                    { "required": ["street"], "properties": { "street": nonblank(MAX_STREET) } },
                    { "required": ["postcode"], "properties": { "postcode": nonblank(MAX_POSTCODE_CHARS) } },
                    { "required": ["city"], "properties": { "city": nonblank(MAX_CITY) } } ] } ] },
        "PostcodeAnswer": { "type": "object", "required": ["postcode", "found", "covered", "communes"], "properties": {
            "postcode": { "type": "string", "description": "canonical postcode" },
            "found": { "type": "boolean", "description": "the address index has it" },
            "covered": { "type": "boolean", "description": "the address index has this department at all" },
            "communes": { "type": "array", "items": { "type": "object", "required": ["name", "citycode"], "properties": {
                "name": { "type": "string" }, "citycode": { "type": "string", "description": "INSEE code" } } } } } }
    })
}

// ------------------------------------------------------------ input checks

/// Longest postcode input, separators included.
const MAX_POSTCODE_CHARS: usize = 16;
/// Longest parts of a structured address: joined with spaces they stay
/// within [`MAX_QUERY_CHARS`].
const MAX_HOUSENUMBER: usize = 16;
const MAX_STREET: usize = 100;
const MAX_CITY: usize = 60;
const _: () = assert!(MAX_HOUSENUMBER + MAX_STREET + MAX_POSTCODE_CHARS + MAX_CITY + 3 <= MAX_QUERY_CHARS);

/// What `str::trim` removes (Unicode White_Space), spelled out: `\s` means
/// other sets in other regex engines.
const WS: &str = r"\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";

/// Some character that is not white space.
fn nonblank_pattern() -> String {
    format!("[^{WS}]")
}

/// `q`: not blank, at most [`MAX_QUERY_CHARS`] characters.
fn query_schema() -> Value {
    json!({ "type": "string", "maxLength": MAX_QUERY_CHARS, "pattern": nonblank_pattern() })
}

/// What [`check_postcode`] accepts, as a pattern (unanchored): the core's
/// separators anywhere, an optional F/FR prefix, a department the core
/// knows (asked to the core, prefix by prefix), three more digits.
fn postcode_pattern() -> String {
    let sep = format!("[{WS}\\-\u{2010}\u{2011}\u{2013}\u{2014}]*");
    let departments: Vec<String> = (0..10u8)
        .filter_map(|d1| {
            let seconds: String =
                (0..10u8).filter(|d2| check_postcode(&format!("{d1}{d2}000")).is_ok()).map(|d2| char::from(b'0' + d2)).collect();
            (!seconds.is_empty()).then(|| format!("{d1}{sep}[{seconds}]"))
        })
        .collect();
    format!("{sep}(?:[Ff]{sep}(?:[Rr]{sep})?)?(?:{}){sep}(?:[0-9]{sep}){{3}}", departments.join("|"))
}

/// `postcode` of `GET /v1/address/postcode`.
fn postcode_schema() -> Value {
    json!({ "type": "string", "maxLength": MAX_POSTCODE_CHARS, "pattern": format!("^{}$", postcode_pattern()) })
}

/// A postcode filter: a postcode, or blank for none.
fn postcode_filter_schema() -> Value {
    json!({ "type": "string", "maxLength": MAX_POSTCODE_CHARS, "pattern": format!("^(?:[{WS}]*|{})$", postcode_pattern()) })
}

/// A citycode filter: an INSEE code (blanks around it ignored), or blank for none.
fn citycode_schema() -> Value {
    json!({ "type": "string", "maxLength": MAX_CITYCODE_CHARS, "pattern": format!("^[{WS}]*(?:[0-9]{{5}}|2[ABab][0-9]{{3}})?[{WS}]*$") })
}

/// Longest citycode input.
const MAX_CITYCODE_CHARS: usize = 5;

fn too_long(s: &str, max: usize) -> bool {
    s.chars().count() > max
}

/// A French postcode, as the core sees it; its canonical form ("75 011"
/// → "75011") is the filter.
fn check_postcode(p: &str) -> Result<String, ApiError> {
    let bad = || ApiError::bad("address.bad_postcode", "postcode is not a French postcode (5 digits, e.g. 75011)");
    if too_long(p, MAX_POSTCODE_CHARS) {
        return Err(bad());
    }
    let opts = fiable_core::Options { country: Some("FR".into()), ..fiable_core::Options::default() };
    // No commune chunk loaded: the format and the department decide.
    let v = fiable_core::postcode::check(p.trim(), &opts, &fiable_core::communes::Communes::default());
    match v.normalized {
        Some(n) if v.status != fiable_core::Status::Invalid => Ok(n),
        _ => Err(bad()),
    }
}

/// An INSEE commune code: 5 digits, or 2A/2B and 3 digits (Corsica).
fn check_citycode(c: &str) -> Result<(), ApiError> {
    let b = c.as_bytes();
    let ok = b.len() == 5
        && (b.iter().all(u8::is_ascii_digit)
            || (b[0] == b'2' && matches!(b[1], b'A' | b'B' | b'a' | b'b') && b[2..].iter().all(u8::is_ascii_digit)));
    if ok { Ok(()) } else { Err(ApiError::bad("address.bad_citycode", "citycode must be an INSEE code such as 75111 or 2A004")) }
}

/// The query, trimmed; its length counts what was sent.
fn check_query(q: &str) -> Result<&str, ApiError> {
    if too_long(q, MAX_QUERY_CHARS) {
        return Err(ApiError::bad("address.query_too_long", format!("q is longer than {MAX_QUERY_CHARS} characters")));
    }
    let q = q.trim();
    if q.is_empty() {
        return Err(ApiError::bad("address.query_empty", "q is empty"));
    }
    Ok(q)
}

/// The filters; a blank one is none.
fn filters(postcode: Option<String>, citycode: Option<String>) -> Result<Filters, ApiError> {
    let postcode = postcode.filter(|p| !p.trim().is_empty()).map(|p| check_postcode(&p)).transpose()?;
    let citycode = match citycode {
        Some(c) if too_long(&c, MAX_CITYCODE_CHARS) => return Err(ApiError::bad("address.bad_citycode", "citycode is too long")),
        Some(c) if !c.trim().is_empty() => {
            check_citycode(c.trim())?;
            Some(c.trim().to_uppercase())
        }
        _ => None,
    };
    Ok(Filters { postcode, citycode })
}

// ---------------------------------------------------------------- handlers

/// Query string of `GET /v1/address/search`.
#[derive(Debug, Deserialize)]
pub struct SearchParams {
    /// What the person typed.
    pub q: Option<String>,
    /// Only this postcode.
    pub postcode: Option<String>,
    /// Only this INSEE code.
    pub citycode: Option<String>,
    /// Number of results (1..=20, default 5).
    pub limit: Option<usize>,
}

#[derive(Serialize)]
struct SearchResponse {
    results: Vec<Hit>,
}

async fn address_search(
    State(st): State<AppState>,
    params: Result<Query<SearchParams>, QueryRejection>,
) -> Result<Json<SearchResponse>, ApiError> {
    let Query(p) = params?;
    let q = check_query(p.q.as_deref().unwrap_or(""))?;
    let f = filters(p.postcode, p.citycode)?;
    let limit = p.limit.unwrap_or(5);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::bad("address.bad_limit", format!("limit must be between 1 and {MAX_LIMIT}")));
    }
    Ok(Json(SearchResponse { results: address::search_blocking(st.index.clone(), q.to_string(), f, limit).await }))
}

/// Body of `POST /v1/address/verify`: either `q` (one line) or the parts.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    /// The whole address on one line.
    pub q: Option<String>,
    /// House number with its index ("12 bis").
    pub housenumber: Option<String>,
    /// Street name.
    pub street: Option<String>,
    /// Postcode.
    pub postcode: Option<String>,
    /// Commune name.
    pub city: Option<String>,
    /// INSEE commune code.
    pub citycode: Option<String>,
}

/// The verdict of a verification, in the shape of the core's verdicts.
#[derive(Debug, Serialize)]
pub struct AddressVerdict {
    /// `valid`, `warning` or `invalid`.
    pub status: &'static str,
    /// Stable code: `address.valid`, `address.number_not_found`,
    /// `address.uncertain`, `address.not_found`.
    pub code: &'static str,
    /// The address to propose, one click.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<String>,
    /// The canonical label when the address is valid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub normalized: Option<String>,
}

#[derive(Serialize)]
struct VerifyResponse {
    verdict: AddressVerdict,
    #[serde(rename = "match", skip_serializing_if = "Option::is_none")]
    best: Option<Hit>,
}

async fn address_verify(
    State(st): State<AppState>,
    body: Result<Json<VerifyRequest>, JsonRejection>,
) -> Result<Json<VerifyResponse>, ApiError> {
    let Json(r) = body?;
    for (part, max) in [(&r.housenumber, MAX_HOUSENUMBER), (&r.street, MAX_STREET), (&r.postcode, MAX_POSTCODE_CHARS), (&r.city, MAX_CITY)]
    {
        if part.as_deref().is_some_and(|p| too_long(p, max)) {
            return Err(ApiError::bad("address.query_too_long", "a part of the address is too long"));
        }
    }
    let line = match &r.q {
        Some(q) => q.clone(),
        None => [&r.housenumber, &r.street, &r.postcode, &r.city].iter().filter_map(|p| p.as_deref()).collect::<Vec<_>>().join(" "),
    };
    let q = check_query(&line)?;
    // The postcode of a structured address is a hard filter: a street of
    // another postcode is not "this address".
    let f = filters(if r.q.is_none() { r.postcode.clone() } else { None }, r.citycode.clone())?;
    let best = address::search_blocking(st.index.clone(), q.to_string(), f, 1).await.into_iter().next();
    let verdict = match &best {
        None => AddressVerdict { status: "invalid", code: "address.not_found", suggestion: None, normalized: None },
        Some(h) if h.score < 0.9 => {
            AddressVerdict { status: "warning", code: "address.uncertain", suggestion: Some(h.label.clone()), normalized: None }
        }
        Some(h) if matches!(h.number_match, Some(NumberMatch::Closest | NumberMatch::NoNumbers)) => {
            AddressVerdict { status: "warning", code: "address.number_not_found", suggestion: Some(h.label.clone()), normalized: None }
        }
        Some(h) => AddressVerdict { status: "valid", code: "address.valid", suggestion: None, normalized: Some(h.label.clone()) },
    };
    Ok(Json(VerifyResponse { verdict, best }))
}

/// Query string of `GET /v1/address/postcode`.
#[derive(Debug, Deserialize)]
pub struct PostcodeParams {
    /// The postcode.
    pub postcode: Option<String>,
}

/// Answer of `GET /v1/address/postcode`.
#[derive(Debug, Serialize)]
pub struct PostcodeAnswer {
    /// The canonical postcode.
    pub postcode: String,
    /// Whether the index has it.
    pub found: bool,
    /// Whether the index has this postcode's department at all: when not,
    /// `found: false` says nothing about the postcode.
    pub covered: bool,
    /// Communes using it, by name.
    pub communes: Vec<Commune>,
}

async fn address_postcode(State(st): State<AppState>, params: Result<Query<PostcodeParams>, QueryRejection>) -> Result<Response, ApiError> {
    let Query(p) = params?;
    let postcode = check_postcode(p.postcode.as_deref().unwrap_or(""))?;
    let communes = postcodes::communes(&st.index, &postcode);
    let answer = PostcodeAnswer { found: !communes.is_empty(), covered: st.coverage.covers(&postcode), postcode, communes };
    // Stable while the index is: browsers may keep it a little while.
    Ok(([(header::CACHE_CONTROL, "public, max-age=300")], Json(answer)).into_response())
}
