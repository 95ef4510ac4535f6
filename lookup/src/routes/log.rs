//! The verifiable log (`crate::consent::log`), public: anyone may fetch the
//! latest signed tree head, an entry's inclusion proof, a consistency
//! proof between two sizes and the signing-key rotations — a witness or an auditor needs no key, and
//! nothing here holds personal data (receipts and hashes only).
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::routing::on;
use serde::Deserialize;

use crate::consent::ConsentState;
use crate::consent::log::{ConsistencyProof, InclusionProof, Rotations, TreeHead};
use crate::consent::store::StoreError;
use crate::error::ApiError;
use crate::openapi::{Auth, Class, In, Param, Resp, Route, RouteDoc, Ty, Verb};

use super::consent_common::UNAVAILABLE;

const BIG: i64 = i64::MAX;
const OUT_OF_RANGE: Resp =
    Resp { status: 404, about: "no such entry or tree size in the log", schema: Some("Error"), codes: &["log.out_of_range"] };
const BAD: Resp = Resp { status: 400, about: "malformed parameters", schema: Some("Error"), codes: &["log.bad_query"] };

/// The routes of this area: handler and documentation together (see
/// [`crate::openapi`]).
pub static ROUTES: &[Route<ConsentState>] = &[
    Route {
        doc: RouteDoc {
            verb: Verb::Get,
            path: "/v1/log/head",
            summary: "The latest signed tree head of the ledger's Merkle tree (RFC 9162 style): { size, root_hash, timestamp, key_id, public_key, signature }",
            params: &[],
            body: None,
            responses: &[Resp { status: 200, about: "signed tree head", schema: None, codes: &[] }, UNAVAILABLE],
            auth: Auth::Public,
            class: Class::Api,
        },
        handler: |m| on(m, head),
    },
    Route {
        doc: RouteDoc {
            verb: Verb::Get,
            path: "/v1/log/inclusion",
            summary: "Inclusion proof (audit path) of one entry, by seq or leaf hash, against the signed head of tree_size (default: the latest)",
            params: &[
                Param {
                    name: "seq",
                    at: In::Query,
                    required: false,
                    about: "the entry's sequence number (leaf index + 1); without seq and leaf_hash, the newest entry of the tree",
                    ty: Ty::Int { min: 1, max: BIG, default: 0 },
                },
                Param {
                    name: "leaf_hash",
                    at: In::Query,
                    required: false,
                    about: "or the entry's leaf hash, hex (with seq too, both must name the same entry, else 404)",
                    ty: Ty::Str { max: 64, pattern: "^[0-9a-f]{64}$" },
                },
                Param {
                    name: "tree_size",
                    at: In::Query,
                    required: false,
                    about: "size of the tree to prove against",
                    ty: Ty::Int { min: 1, max: BIG, default: 0 },
                },
            ],
            body: None,
            responses: &[
                Resp { status: 200, about: "{ receipt, leaf_index, leaf_hash, proof: [hex], head }", schema: None, codes: &[] },
                BAD,
                OUT_OF_RANGE,
                UNAVAILABLE,
            ],
            auth: Auth::Public,
            class: Class::Api,
        },
        handler: |m| on(m, inclusion),
    },
    Route {
        doc: RouteDoc {
            verb: Verb::Get,
            path: "/v1/log/consistency",
            summary: "Consistency proof that the tree of size first is a prefix of the tree of size second (default: the latest), with both signed heads",
            params: &[
                Param {
                    name: "first",
                    at: In::Query,
                    required: true,
                    about: "the older size",
                    ty: Ty::Int { min: 0, max: BIG, default: 0 },
                },
                Param {
                    name: "second",
                    at: In::Query,
                    required: false,
                    about: "the newer size",
                    ty: Ty::Int { min: 0, max: BIG, default: 0 },
                },
            ],
            body: None,
            responses: &[
                Resp { status: 200, about: "{ first, second, proof: [hex] }", schema: None, codes: &[] },
                BAD,
                OUT_OF_RANGE,
                UNAVAILABLE,
            ],
            auth: Auth::Public,
            class: Class::Api,
        },
        handler: |m| on(m, consistency),
    },
    Route {
        doc: RouteDoc {
            verb: Verb::Get,
            path: "/v1/log/rotations",
            summary: "The signing-key rotations of the log (entries signed by the old key naming the new one), each with its inclusion proof in the tree of tree_size (default: the latest): what a witness follows from its pinned key",
            params: &[Param {
                name: "tree_size",
                at: In::Query,
                required: false,
                about: "size of the tree to prove against",
                ty: Ty::Int { min: 0, max: BIG, default: 0 },
            }],
            body: None,
            responses: &[
                Resp { status: 200, about: "{ rotations: [{ entry, inclusion }] }", schema: None, codes: &[] },
                BAD,
                OUT_OF_RANGE,
                UNAVAILABLE,
            ],
            auth: Auth::Public,
            class: Class::Api,
        },
        handler: |m| on(m, rotations),
    },
];

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T, StoreError> + Send + 'static) -> Result<T, ApiError> {
    Ok(tokio::task::spawn_blocking(f).await.map_err(|_| ApiError::Unavailable)??)
}

fn out_of_range() -> ApiError {
    ApiError::LogOutOfRange
}

fn bad_query(e: QueryRejection) -> ApiError {
    ApiError::bad("log.bad_query", format!("malformed parameters: {}", e.body_text()))
}

/// `GET /v1/log/head`.
pub async fn head(State(st): State<ConsentState>) -> Result<Json<TreeHead>, ApiError> {
    Ok(Json(blocking(move || st.log.head(&st.store, &st.signer)).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InclusionQuery {
    seq: Option<u64>,
    leaf_hash: Option<String>,
    tree_size: Option<u64>,
}

/// `GET /v1/log/inclusion`.
async fn inclusion(
    State(st): State<ConsentState>,
    q: Result<Query<InclusionQuery>, QueryRejection>,
) -> Result<Json<InclusionProof>, ApiError> {
    let Query(q) = q.map_err(bad_query)?;
    let leaf = match &q.leaf_hash {
        Some(h) => Some(
            crate::consent::sign::parse_hex::<32>(h).ok_or_else(|| ApiError::bad("log.bad_query", "leaf_hash must be 64 hex digits"))?,
        ),
        None => None,
    };
    let p = blocking(move || {
        let seq = match leaf {
            // Both given: they must name the same leaf, else there is no such leaf (404).
            Some(h) => match st.log.index_of(&st.store, &h)? {
                Some(i) if q.seq.is_none_or(|s| s == i + 1) => i + 1,
                _ => return Ok(None),
            },
            // Neither: the newest entry of the tree proved against.
            None => match q.seq.or(q.tree_size) {
                Some(s) => s,
                None => st.log.head(&st.store, &st.signer)?.size,
            },
        };
        st.log.inclusion(&st.store, &st.signer, seq, q.tree_size)
    })
    .await?;
    p.map(Json).ok_or_else(out_of_range)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConsistencyQuery {
    first: u64,
    second: Option<u64>,
}

/// `GET /v1/log/consistency`.
async fn consistency(
    State(st): State<ConsentState>,
    q: Result<Query<ConsistencyQuery>, QueryRejection>,
) -> Result<Json<ConsistencyProof>, ApiError> {
    let Query(q) = q.map_err(bad_query)?;
    let p = blocking(move || st.log.consistency(&st.store, &st.signer, q.first, q.second)).await?;
    p.map(Json).ok_or_else(out_of_range)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RotationsQuery {
    tree_size: Option<u64>,
}

/// `GET /v1/log/rotations`.
async fn rotations(State(st): State<ConsentState>, q: Result<Query<RotationsQuery>, QueryRejection>) -> Result<Json<Rotations>, ApiError> {
    let Query(q) = q.map_err(bad_query)?;
    let r = blocking(move || st.log.rotations(&st.store, &st.signer, q.tree_size)).await?;
    r.map(Json).ok_or_else(out_of_range)
}
