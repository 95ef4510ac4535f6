//! The breach register (`fiable-lookup breach open|list|close|draft`): a
//! personal-data breach is recorded in the ledger ([`fiable_consent::Breach`]
//! entries, append-only, signed, in the verifiable log), and its
//! notification to the supervisory authority (GDPR article 33) is drafted
//! from the ledger itself: which pseudonymous subjects the service held
//! data about during the breach's window, for which purposes, and the
//! 72-hour deadline counted from the discovery.
//!
//! Who is affected: a subject whose first record was received before the
//! window ended and who was not erased before it began (an erased
//! subject's sealed data can no longer be read by anyone). The window runs
//! from `started_at` to the close entry's `ended_at`, or to now while the
//! breach is open. Times are the ledger's own (`signed_at`, when the
//! service received each record), not the times the callers claimed.
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use fiable_consent::{BREACH_KIND, Breach, ConsentRecord, ERASURE_KIND, Erasure, SCHEMA_VERSION, hex, validate_breach};
use serde::Serialize;

use super::ledger::{self, Entry, Receipt};
use super::sign::Signer;
use super::state::{self, State};
use super::store::{Store, StoreError};
use super::vault;

/// Hours the controller has to notify the authority (GDPR art. 33(1)).
pub const NOTIFY_WITHIN_HOURS: i64 = 72;

/// Why the register refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    /// The entry breaks a rule (named).
    #[error("{0}")]
    Refused(String),
    /// The ledger failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A breach as the register knows it: its open entry and, once closed,
/// its close entry.
#[derive(Clone, Debug, Serialize)]
pub struct Case {
    /// The breach id.
    pub id: String,
    /// The facts at discovery.
    #[serde(skip)]
    pub open: Breach,
    /// Ledger position of the open entry.
    pub open_seq: u64,
    /// The close entry, once closed.
    #[serde(skip)]
    pub close: Option<Breach>,
    /// Ledger position of the close entry.
    pub close_seq: Option<u64>,
}

impl Case {
    /// Unix seconds of the discovery.
    pub fn discovered(&self) -> Option<i64> {
        self.open.discovered_at.as_deref().and_then(ledger::parse_rfc3339)
    }

    /// The notification deadline: discovery + 72 hours (RFC 3339).
    pub fn deadline(&self) -> Option<String> {
        self.discovered().map(|d| ledger::rfc3339(d + NOTIFY_WITHIN_HOURS * 3600, 0))
    }
}

/// The breach entries of the ledger, folded into cases (ledger order).
pub fn register(store: &Store) -> Result<Vec<Case>, StoreError> {
    Ok(fold(&store.unattached_entries()?))
}

fn fold(entries: &[Entry]) -> Vec<Case> {
    let mut cases: Vec<Case> = Vec::new();
    for e in entries {
        let Some(b) = serde_json::from_str::<Breach>(&e.record).ok().filter(|b| b.kind == BREACH_KIND) else {
            continue;
        };
        match b.action.as_str() {
            "open" => cases.push(Case { id: b.breach_id.clone(), open: b, open_seq: e.seq, close: None, close_seq: None }),
            "close" => {
                if let Some(c) = cases.iter_mut().find(|c| c.id == b.breach_id && c.close.is_none()) {
                    c.close_seq = Some(e.seq);
                    c.close = Some(b);
                }
            }
            _ => {}
        }
    }
    cases
}

/// What `open` is told.
#[derive(Clone, Debug, Default)]
pub struct Opening {
    /// When it began (RFC 3339).
    pub started_at: String,
    /// When the controller became aware of it (RFC 3339).
    pub discovered_at: String,
    /// What happened.
    pub nature: String,
    /// Data categories concerned.
    pub categories: Vec<String>,
    /// Systems concerned.
    pub systems: Vec<String>,
}

fn fresh_id(prefix: &str) -> Result<String, RegisterError> {
    let mut b = [0u8; 8];
    vault::random(&mut b).map_err(|e| RegisterError::Refused(format!("no randomness for an id: {e}")))?;
    Ok(format!("{prefix}{}", hex(&b)))
}

fn checked(b: &Breach) -> Result<(), RegisterError> {
    match validate_breach(b).first() {
        None => Ok(()),
        Some(p) => Err(RegisterError::Refused(format!("{}: {} ({})", p.path, p.message, p.code))),
    }
}

/// Records a new breach; its case and receipt.
pub fn open(store: &Store, signer: &Signer, o: Opening) -> Result<(Case, Receipt), RegisterError> {
    let id = fresh_id("b_")?;
    let b = Breach {
        kind: BREACH_KIND.into(),
        schema_version: SCHEMA_VERSION,
        record_id: format!("breach-{id}-open"),
        breach_id: id,
        action: "open".into(),
        recorded_at: ledger::now_rfc3339(),
        started_at: Some(o.started_at),
        discovered_at: Some(o.discovered_at),
        nature: Some(o.nature),
        categories: o.categories,
        systems: o.systems,
        ended_at: None,
        measures: None,
    };
    checked(&b)?;
    // Ids are random: a clash means the register is not what it seems.
    let receipt = store
        .append_unattached(&b.record_id, b.canonical_json(), signer, |seen| {
            if fold(seen).iter().any(|c| c.id == b.breach_id) { Err(format!("breach {} exists already", b.breach_id)) } else { Ok(()) }
        })?
        .map_err(RegisterError::Refused)?;
    let case = Case { id: b.breach_id.clone(), open: b, open_seq: receipt.seq, close: None, close_seq: None };
    Ok((case, receipt))
}

/// Closes an open breach: when it ended, what was done. Refused for an
/// unknown breach, one closed already, or an end before its start.
pub fn close(store: &Store, signer: &Signer, breach_id: &str, ended_at: &str, measures: &str) -> Result<(Case, Receipt), RegisterError> {
    let b = Breach {
        kind: BREACH_KIND.into(),
        schema_version: SCHEMA_VERSION,
        record_id: format!("breach-{breach_id}-close"),
        breach_id: breach_id.into(),
        action: "close".into(),
        recorded_at: ledger::now_rfc3339(),
        ended_at: Some(ended_at.into()),
        measures: Some(measures.into()),
        ..Breach::default()
    };
    checked(&b)?;
    let mut case = None;
    let receipt = store
        .append_unattached(&b.record_id, b.canonical_json(), signer, |seen| {
            let c = fold(seen).into_iter().find(|c| c.id == breach_id).ok_or_else(|| format!("no breach {breach_id} in the register"))?;
            if c.close.is_some() {
                return Err(format!("breach {breach_id} is closed already"));
            }
            let start = c.open.started_at.as_deref().and_then(ledger::parse_rfc3339);
            if start.zip(ledger::parse_rfc3339(ended_at)).is_some_and(|(s, e)| e < s) {
                return Err(format!("breach {breach_id} cannot end before it started"));
            }
            case = Some(c);
            Ok(())
        })?
        .map_err(RegisterError::Refused)?;
    let mut case = case.ok_or_else(|| RegisterError::Refused("the register changed under the close".into()))?;
    case.close_seq = Some(receipt.seq);
    case.close = Some(b);
    Ok((case, receipt))
}

/// The columns of [`Impact::purposes`]: a grant still waiting for its
/// double opt-in confirmation, or never confirmed, is "not confirmed", not
/// "granted".
pub const PURPOSE_COLUMNS: [&str; 5] = ["granted", "not confirmed", "expired", "refused", "withdrawn"];

fn column(s: State) -> usize {
    match s {
        State::Granted => 0,
        State::Unconfirmed | State::ExpiredUnconfirmed => 1,
        State::Expired => 2,
        State::Refused => 3,
        State::Withdrawn => 4,
    }
}

/// Whom a breach touched, computed from the ledger.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Impact {
    /// The window: start, end (Unix seconds).
    pub window: (i64, i64),
    /// Pseudonymous subjects the service held data about in the window.
    pub subjects: Vec<String>,
    /// Of those, the ones with contact data sealed in the ledger.
    pub with_contact_data: usize,
    /// Consent records of those subjects received before the window ended.
    pub records: usize,
    /// Per purpose id: subjects whose effective state at the window's end
    /// ([`state::effective`]) was each of [`PURPOSE_COLUMNS`].
    pub purposes: BTreeMap<String, [usize; 5]>,
    /// Controllers named by those records (name, contact).
    pub controllers: BTreeSet<(String, String)>,
}

/// The subjects and purposes a breach touched; `now` (Unix seconds) ends
/// the window of a breach still open; `confirm_within` is the double
/// opt-in delay (`--double-opt-in-hours`).
pub fn impact(store: &Store, case: &Case, now: i64, confirm_within: Duration) -> Result<Impact, StoreError> {
    let start = case.open.started_at.as_deref().and_then(ledger::parse_rfc3339).unwrap_or(i64::MIN);
    let end = case.close.as_ref().and_then(|c| c.ended_at.as_deref()).and_then(ledger::parse_rfc3339).unwrap_or(now);
    struct Seen {
        first: i64,
        erased: Option<i64>,
        sealed: bool,
        records: usize,
        records_before_end: Vec<(u64, ConsentRecord)>,
        controllers: BTreeSet<(String, String)>,
    }
    let mut by_subject: BTreeMap<String, Seen> = BTreeMap::new();
    store.for_each(|e| -> Result<(), StoreError> {
        if e.subject.is_empty() {
            return Ok(());
        }
        let at = ledger::parse_rfc3339(&e.signed_at).unwrap_or(i64::MAX);
        let s = by_subject.entry(e.subject.clone()).or_insert(Seen {
            first: at,
            erased: None,
            sealed: false,
            records: 0,
            records_before_end: Vec::new(),
            controllers: BTreeSet::new(),
        });
        if let Ok(mut r) = serde_json::from_str::<ConsentRecord>(&e.record) {
            if at <= end {
                s.records += 1;
                s.sealed |= r.sealed.is_some();
                s.controllers.insert((r.controller.name.clone(), r.controller.contact.clone()));
                // The states are computed once the subject's records are
                // all read (a confirmation comes after its grant); the
                // sealed data plays no part in them.
                r.sealed = None;
                r.subject_data = None;
                s.records_before_end.push((e.seq, r));
            }
        } else if let Ok(er) = serde_json::from_str::<Erasure>(&e.record) {
            if er.kind == ERASURE_KIND {
                s.erased = Some(at);
            }
        }
        Ok(())
    })?;
    let mut out = Impact { window: (start, end), ..Impact::default() };
    for (subject, s) in by_subject {
        if s.first > end || s.erased.is_some_and(|t| t < start) || s.records == 0 {
            continue;
        }
        out.subjects.push(subject);
        out.with_contact_data += usize::from(s.sealed);
        out.records += s.records;
        out.controllers.extend(s.controllers);
        for purpose in state::purposes(&s.records_before_end) {
            if let Some(e) = state::effective(&s.records_before_end, &purpose, end, confirm_within) {
                out.purposes.entry(purpose).or_default()[column(e.state)] += 1;
            }
        }
    }
    Ok(out)
}

/// The notification draft (Markdown) for the supervisory authority: the
/// facts of article 33(3), what the ledger says, what is left to write.
pub fn draft(case: &Case, impact: &Impact, now: i64) -> String {
    let o = &case.open;
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let mut m = format!("# Personal data breach notification — draft ({})\n\n", case.id);
    let deadline = case.deadline().unwrap_or_default();
    let late = case.discovered().is_some_and(|d| now > d + NOTIFY_WITHIN_HOURS * 3600);
    m.push_str(&format!(
        "**Notify the supervisory authority by {deadline}** (72 hours after discovery, GDPR art. 33(1)){}.\n\n",
        if late { ": THE DEADLINE HAS PASSED; the notification must give the reasons for the delay" } else { "" }
    ));
    m.push_str("## Controller\n\n");
    if impact.controllers.is_empty() {
        m.push_str("- (no record in the window names one): to complete\n");
    }
    for (name, contact) in &impact.controllers {
        m.push_str(&format!("- {name} — contact for this breach: {contact}\n"));
    }
    m.push_str("\n## The breach\n\n");
    m.push_str(&format!("- Started: {}\n- Discovered: {}\n", opt(&o.started_at), opt(&o.discovered_at)));
    match &case.close {
        Some(c) => m.push_str(&format!("- Ended: {}\n", opt(&c.ended_at))),
        None => m.push_str(&format!("- Ended: not yet (ongoing at {})\n", ledger::rfc3339(now, 0))),
    }
    m.push_str(&format!("- Nature: {}\n", one_line(&opt(&o.nature))));
    m.push_str(&format!("- Systems: {}\n", list(&o.systems)));
    m.push_str(&format!("- Categories of personal data: {}\n", list(&o.categories)));
    m.push_str(&format!(
        "- Register entries: ledger seq {}{}\n",
        case.open_seq,
        case.close_seq.map(|s| format!(" and {s}")).unwrap_or_default()
    ));
    m.push_str("\n## Who is concerned (from the consent ledger)\n\n");
    m.push_str(&format!(
        "- Data subjects: {} (pseudonymous references; the list is kept apart, `--subjects FILE`), of whom {} with contact data \
         (sealed under a per-person key)\n- Consent records concerned: {}\n",
        impact.subjects.len(),
        impact.with_contact_data,
        impact.records
    ));
    if !impact.purposes.is_empty() {
        m.push_str(&format!("\n| purpose | {} |\n| --- |{}\n", PURPOSE_COLUMNS.join(" | "), " --- |".repeat(PURPOSE_COLUMNS.len())));
        for (p, counts) in &impact.purposes {
            let cells: Vec<String> = counts.iter().map(usize::to_string).collect();
            m.push_str(&format!("| {p} | {} |\n", cells.join(" | ")));
        }
    }
    m.push_str("\n## Likely consequences\n\n(to complete: what the exposed data allows — phishing, identity theft…, and whether the sealed data's keys were exposed too)\n");
    m.push_str("\n## Measures taken or proposed\n\n");
    match case.close.as_ref().and_then(|c| c.measures.clone()) {
        Some(x) => m.push_str(&format!("{}\n", one_line(&x))),
        None => m.push_str("(to complete: containment, mitigation, and whether the persons are informed, art. 34)\n"),
    }
    m
}

fn list(v: &[String]) -> String {
    if v.is_empty() { "(none named)".into() } else { v.iter().map(|x| one_line(x)).collect::<Vec<_>>().join(", ") }
}

/// Free text on one Markdown line (a newline would start a heading).
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
