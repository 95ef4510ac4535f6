//! The erasure record: the ledger's proof that a subject's personal data
//! was destroyed.

use crate::canonical::{Json, obj, s};
use crate::check::{is_id, subject_problem};
use crate::record::{Problem, SCHEMA_VERSION};
use crate::time::is_rfc3339;
use serde::Deserialize;

/// `kind` of an [`Erasure`] record.
pub const ERASURE_KIND: &str = "erasure";

/// The ledger's proof that a subject's personal data was destroyed (its
/// key and blind indexes): who asked, when, why, how many records it
/// covered. It holds no personal data, only the pseudonymous subject.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Erasure {
    /// Always [`ERASURE_KIND`]: tells it apart from a consent record.
    pub kind: String,
    /// Version of this record's schema ([`SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// Unique id of this record.
    pub record_id: String,
    /// The pseudonymous subject erased.
    pub subject: String,
    /// When the key was destroyed (RFC 3339, server time).
    pub erased_at: String,
    /// `request` (the person's or an admin's request) or `retention`
    /// (the retention period ended).
    pub reason: String,
    /// Who erased: `admin` (the admin API), `purge` (the retention command).
    pub actor: String,
    /// Ledger records of the subject whose sealed data became unreadable.
    pub records: u32,
}

/// Why a subject was erased.
pub const ERASURE_REASONS: [&str; 2] = ["request", "retention"];

/// Checks an erasure record; empty when sound.
pub fn validate_erasure(e: &Erasure) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut p = |code: &'static str, path: &str, message: &'static str| out.push(Problem { code, path: path.to_string(), message });
    if e.kind != ERASURE_KIND {
        p("erasure.bad_kind", "kind", "kind must be `erasure`");
    }
    if e.schema_version != SCHEMA_VERSION {
        p("consent.unknown_schema_version", "schema_version", "unknown schema version");
    }
    if !is_id(&e.record_id) {
        p("consent.bad_record_id", "record_id", "the record id must be 1-256 characters of A-Z a-z 0-9 . _ : -");
    }
    if let Some((code, message)) = subject_problem(&e.subject) {
        p(code, "subject", message);
    }
    if !is_rfc3339(&e.erased_at) {
        p("consent.bad_time", "erased_at", "erased_at must be an RFC 3339 date-time");
    }
    if !ERASURE_REASONS.contains(&e.reason.as_str()) {
        p("erasure.unknown_reason", "reason", "unknown erasure reason (request, retention)");
    }
    if !is_id(&e.actor) || e.actor.len() > 64 {
        p("erasure.bad_actor", "actor", "the actor must be 1-64 characters of A-Z a-z 0-9 . _ : -");
    }
    out
}

impl Erasure {
    /// The record as a JSON tree.
    pub fn to_json(&self) -> Json {
        obj(vec![
            ("kind", Some(s(&self.kind))),
            ("schema_version", Some(Json::Int(self.schema_version.into()))),
            ("record_id", Some(s(&self.record_id))),
            ("subject", Some(s(&self.subject))),
            ("erased_at", Some(s(&self.erased_at))),
            ("reason", Some(s(&self.reason))),
            ("actor", Some(s(&self.actor))),
            ("records", Some(Json::Int(self.records.into()))),
        ])
    }

    /// The canonical JSON text (RFC 8785 style).
    pub fn canonical_json(&self) -> String {
        self.to_json().canonical()
    }
}
