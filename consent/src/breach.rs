//! The breach register's entries: a personal-data breach opened (GDPR
//! article 33(5): the controller documents every breach, its facts, its
//! effects and the remedial action taken) and closed, appended to the same
//! ledger as the consents, so the register is append-only, hash-chained
//! and in the verifiable log like them. An entry holds no personal data:
//! it describes the incident, and whom it touched is computed from the
//! ledger when the notification is drafted.

use crate::canonical::{Json, obj, s};
use crate::check::is_id;
use crate::record::{MAX_SHORT, MAX_TEXT, Problem, SCHEMA_VERSION};
use crate::time::is_rfc3339;
use serde::Deserialize;

/// `kind` of a [`Breach`] entry.
pub const BREACH_KIND: &str = "breach";

/// Most data categories or systems one breach names.
pub const MAX_BREACH_ITEMS: usize = 32;

/// One entry of the breach register: `open` (the facts as known at
/// discovery) or `close` (when it ended, what was done).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Breach {
    /// Always [`BREACH_KIND`].
    pub kind: String,
    /// Version of this record's schema ([`SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// Unique id of this ledger entry.
    pub record_id: String,
    /// The breach this entry is about (one `open`, at most one `close`).
    pub breach_id: String,
    /// `open` or `close`.
    pub action: String,
    /// When the entry was written (RFC 3339, server time).
    pub recorded_at: String,
    /// Open: when the breach began (RFC 3339), as far as known.
    #[serde(default)]
    pub started_at: Option<String>,
    /// Open: when the controller became aware of it (RFC 3339): the
    /// 72-hour notification delay runs from here.
    #[serde(default)]
    pub discovered_at: Option<String>,
    /// Open: what happened (confidentiality, integrity, availability…).
    #[serde(default)]
    pub nature: Option<String>,
    /// Open: the categories of personal data concerned.
    #[serde(default)]
    pub categories: Vec<String>,
    /// Open: the systems concerned.
    #[serde(default)]
    pub systems: Vec<String>,
    /// Close: when the breach ended (RFC 3339).
    #[serde(default)]
    pub ended_at: Option<String>,
    /// Close: the measures taken.
    #[serde(default)]
    pub measures: Option<String>,
}

/// Checks a breach entry on its own (that a `close` follows an `open` of
/// the same breach is the register's rule); empty when sound.
pub fn validate_breach(b: &Breach) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut p = |code: &'static str, path: &str, message: &'static str| out.push(Problem { code, path: path.to_string(), message });
    if b.kind != BREACH_KIND {
        p("breach.bad_kind", "kind", "kind must be `breach`");
    }
    if b.schema_version != SCHEMA_VERSION {
        p("consent.unknown_schema_version", "schema_version", "unknown schema version");
    }
    if !is_id(&b.record_id) {
        p("consent.bad_record_id", "record_id", "the record id must be 1-256 characters of A-Z a-z 0-9 . _ : -");
    }
    if !is_id(&b.breach_id) || b.breach_id.len() > 64 {
        p("breach.bad_id", "breach_id", "the breach id must be 1-64 characters of A-Z a-z 0-9 . _ : -");
    }
    if !is_rfc3339(&b.recorded_at) {
        p("consent.bad_time", "recorded_at", "recorded_at must be an RFC 3339 date-time");
    }
    let time_ok = |t: &Option<String>| t.as_deref().is_some_and(is_rfc3339);
    let text_ok = |t: &Option<String>| t.as_deref().is_some_and(|t| !t.trim().is_empty() && t.len() <= MAX_TEXT);
    let items_ok =
        |v: &[String]| v.len() <= MAX_BREACH_ITEMS && v.iter().all(|x| !x.trim().is_empty() && x.len() <= MAX_SHORT && !x.contains('\n'));
    match b.action.as_str() {
        "open" => {
            if !time_ok(&b.started_at) {
                p("consent.bad_time", "started_at", "started_at must be an RFC 3339 date-time");
            }
            if !time_ok(&b.discovered_at) {
                p("consent.bad_time", "discovered_at", "discovered_at must be an RFC 3339 date-time");
            } else if let (Some(s), Some(d)) = (seconds(&b.started_at), seconds(&b.discovered_at)) {
                if d < s {
                    p("breach.discovered_before_start", "discovered_at", "a breach cannot be discovered before it started");
                }
            }
            if !text_ok(&b.nature) {
                p("breach.missing_nature", "nature", "the nature of the breach is missing (at most 4096 bytes)");
            }
            if b.categories.is_empty() || !items_ok(&b.categories) {
                p("breach.bad_categories", "categories", "1-32 data categories of at most 256 bytes, one line each");
            }
            if !items_ok(&b.systems) {
                p("breach.bad_systems", "systems", "at most 32 systems of at most 256 bytes, one line each");
            }
            if b.ended_at.is_some() || b.measures.is_some() {
                p("breach.close_fields_on_open", "action", "ended_at and measures belong to the close entry");
            }
        }
        "close" => {
            if !time_ok(&b.ended_at) {
                p("consent.bad_time", "ended_at", "ended_at must be an RFC 3339 date-time");
            }
            if !text_ok(&b.measures) {
                p("breach.missing_measures", "measures", "the measures taken are missing (at most 4096 bytes)");
            }
            if b.started_at.is_some()
                || b.discovered_at.is_some()
                || b.nature.is_some()
                || !b.categories.is_empty()
                || !b.systems.is_empty()
            {
                p("breach.open_fields_on_close", "action", "the facts of the breach belong to the open entry");
            }
        }
        _ => p("breach.bad_action", "action", "action must be `open` or `close`"),
    }
    out
}

/// Unix seconds of an RFC 3339 time (fractions dropped), for ordering.
fn seconds(t: &Option<String>) -> Option<i64> {
    let t = t.as_deref()?;
    crate::time::unix_seconds(t)
}

impl Breach {
    /// The entry as a JSON tree; absent optional fields are left out.
    pub fn to_json(&self) -> Json {
        let opt = |v: &Option<String>| v.as_deref().map(s);
        let list = |v: &[String]| (!v.is_empty()).then(|| Json::Arr(v.iter().map(|x| s(x)).collect()));
        obj(vec![
            ("kind", Some(s(&self.kind))),
            ("schema_version", Some(Json::Int(self.schema_version.into()))),
            ("record_id", Some(s(&self.record_id))),
            ("breach_id", Some(s(&self.breach_id))),
            ("action", Some(s(&self.action))),
            ("recorded_at", Some(s(&self.recorded_at))),
            ("started_at", opt(&self.started_at)),
            ("discovered_at", opt(&self.discovered_at)),
            ("nature", opt(&self.nature)),
            ("categories", list(&self.categories)),
            ("systems", list(&self.systems)),
            ("ended_at", opt(&self.ended_at)),
            ("measures", opt(&self.measures)),
        ])
    }

    /// The canonical JSON text (RFC 8785 style).
    pub fn canonical_json(&self) -> String {
        self.to_json().canonical()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open() -> Breach {
        Breach {
            kind: BREACH_KIND.into(),
            schema_version: SCHEMA_VERSION,
            record_id: "breach-1-open".into(),
            breach_id: "b1".into(),
            action: "open".into(),
            recorded_at: "2026-12-01T10:00:00Z".into(),
            started_at: Some("2026-11-30T22:00:00Z".into()),
            discovered_at: Some("2026-12-01T09:00:00+01:00".into()),
            nature: Some("backup copied to an unprotected bucket".into()),
            categories: vec!["contact details".into()],
            systems: vec!["consent database backup".into()],
            ..Breach::default()
        }
    }

    #[test]
    fn a_sound_open_entry_passes_and_round_trips() {
        let b = open();
        assert_eq!(validate_breach(&b), vec![]);
        let back: Breach = serde_json::from_str(&b.canonical_json()).unwrap();
        assert_eq!(back, b);
    }

    #[test]
    fn each_broken_field_is_named() {
        let codes = |b: &Breach| validate_breach(b).into_iter().map(|p| p.code).collect::<Vec<_>>();
        let mut b = open();
        b.discovered_at = Some("2026-11-30T21:00:00Z".into());
        assert_eq!(codes(&b), ["breach.discovered_before_start"]);
        let mut b = open();
        b.categories.clear();
        b.nature = Some("  ".into());
        assert_eq!(codes(&b), ["breach.missing_nature", "breach.bad_categories"]);
        let mut b = open();
        b.systems = vec!["a\nb".into()];
        b.measures = Some("x".into());
        assert_eq!(codes(&b), ["breach.bad_systems", "breach.close_fields_on_open"]);
        let mut b = open();
        b.action = "reopen".into();
        assert_eq!(codes(&b), ["breach.bad_action"]);
        let mut b = open();
        b.action = "close".into();
        assert_eq!(codes(&b), ["consent.bad_time", "breach.missing_measures", "breach.open_fields_on_close"]);
    }
}
