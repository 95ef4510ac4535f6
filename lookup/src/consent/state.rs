//! Where a person stands on one purpose, from their records: the one rule
//! every reader of the ledger applies (the re-permission selection, the
//! subject access export, the breach register), so that none of them
//! counts as a consent what another calls unconfirmed.
//!
//! The latest decision on the purpose decides (by `acted_at`, then by
//! ledger seq). Records that `confirm` another (double opt-in) are not
//! decisions of their own: they complete the grant they name. A grant
//! whose purpose asked for confirmation (`"confirmation": "email"`) counts
//! only once a record confirms it within the delay
//! ([`super::optin::is_confirmed_in_time`]); until the delay has run it is
//! pending, after it the grant is no consent at all.
use std::time::Duration;

use fiable_consent::{CONFIRMATION_EMAIL, ConsentRecord, Decision};
use serde::Serialize;

use super::ledger;
use super::optin::is_confirmed_in_time;

/// The effective state of a purpose.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Granted (and confirmed when it asked to be), not expired: a consent.
    Granted,
    /// Granted on condition of a confirmation that has not come yet, the
    /// delay still running: not a consent yet, but not to be asked again.
    Unconfirmed,
    /// Granted on condition of a confirmation that did not come within
    /// the delay: no consent.
    ExpiredUnconfirmed,
    /// Granted, past its `expires_at`: no consent any more.
    Expired,
    /// Refused last.
    Refused,
    /// Withdrawn last.
    Withdrawn,
}

impl State {
    /// The wire name (`expired_unconfirmed`).
    pub fn name(self) -> &'static str {
        match self {
            State::Granted => "granted",
            State::Unconfirmed => "unconfirmed",
            State::ExpiredUnconfirmed => "expired_unconfirmed",
            State::Expired => "expired",
            State::Refused => "refused",
            State::Withdrawn => "withdrawn",
        }
    }

    /// Whether the controller may act on it (the only state that is a consent).
    pub fn is_consent(self) -> bool {
        self == State::Granted
    }
}

/// The state of one purpose and the records behind it.
#[derive(Clone, Copy, Debug)]
pub struct Effective<'a> {
    /// The state.
    pub state: State,
    /// The record of the deciding decision.
    pub decided_by: &'a ConsentRecord,
    /// The record that confirmed it in time, if it asked for one.
    pub confirmed_by: Option<&'a ConsentRecord>,
}

/// The state of `purpose` at `now` (Unix seconds) from a person's records
/// (each with its ledger seq, in any order), `None` when no record decides
/// on it. `confirm_within` is the double opt-in delay
/// (`--double-opt-in-hours`).
pub fn effective<'a>(records: &'a [(u64, ConsentRecord)], purpose: &str, now: i64, confirm_within: Duration) -> Option<Effective<'a>> {
    let (_, _, r, p) = records
        .iter()
        .filter(|(_, r)| r.confirms.is_none())
        .filter_map(|(seq, r)| {
            let p = r.purposes.iter().find(|p| p.id == purpose)?;
            Some((ledger::parse_rfc3339(&r.acted_at).unwrap_or(i64::MIN), *seq, r, p))
        })
        .max_by_key(|(at, seq, _, _)| (*at, *seq))?;
    let state = |state| Some(Effective { state, decided_by: r, confirmed_by: None });
    match Decision::parse(&p.decision) {
        Some(Decision::Granted) => {}
        Some(Decision::Withdrawn) => return state(State::Withdrawn),
        // An unknown decision is no consent: counted with the refusals.
        Some(Decision::Refused) | None => return state(State::Refused),
    }
    let mut confirmed_by = None;
    if p.confirmation.as_deref() == Some(CONFIRMATION_EMAIL) {
        confirmed_by = records.iter().map(|(_, c)| c).find(|c| {
            c.purposes.iter().any(|cp| cp.id == purpose && Decision::parse(&cp.decision) == Some(Decision::Granted))
                && is_confirmed_in_time(r, c, confirm_within)
        });
        if confirmed_by.is_none() {
            let asked_at = ledger::parse_rfc3339(&r.acted_at).unwrap_or(i64::MIN);
            let within = i64::try_from(confirm_within.as_secs()).unwrap_or(i64::MAX);
            let pending = now >= asked_at && now.saturating_sub(asked_at) <= within;
            return state(if pending { State::Unconfirmed } else { State::ExpiredUnconfirmed });
        }
    }
    let expired = r.expires_at.as_deref().is_some_and(|e| ledger::parse_rfc3339(e).is_none_or(|t| t <= now));
    Some(Effective { state: if expired { State::Expired } else { State::Granted }, decided_by: r, confirmed_by })
}

/// Every purpose id the records decide on, sorted.
pub fn purposes(records: &[(u64, ConsentRecord)]) -> Vec<String> {
    let mut out: Vec<String> = records.iter().flat_map(|(_, r)| r.purposes.iter().map(|p| p.id.clone())).collect();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const H72: Duration = Duration::from_secs(72 * 3600);

    fn rec(id: &str, at: &str, decision: &str, confirm: bool) -> ConsentRecord {
        ConsentRecord {
            record_id: id.into(),
            acted_at: at.into(),
            purposes: vec![fiable_consent::Purpose {
                id: "newsletter".into(),
                decision: decision.into(),
                confirmation: confirm.then(|| CONFIRMATION_EMAIL.into()),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    fn confirmation(of: &str, at: &str) -> ConsentRecord {
        ConsentRecord { confirms: Some(of.into()), ..rec(&format!("c-{of}"), at, "granted", false) }
    }

    fn at(s: &str) -> i64 {
        ledger::parse_rfc3339(s).unwrap()
    }

    fn state_of(records: &[(u64, ConsentRecord)], now: &str) -> Option<State> {
        effective(records, "newsletter", at(now), H72).map(|e| e.state)
    }

    #[test]
    fn a_grant_that_asks_for_confirmation_is_pending_then_lapses_unless_confirmed_in_time() {
        let asked = rec("a", "2026-12-01T10:00:00Z", "granted", true);
        let alone = [(1, asked.clone())];
        assert_eq!(state_of(&alone, "2026-12-01T10:00:00Z"), Some(State::Unconfirmed));
        assert_eq!(state_of(&alone, "2026-12-04T10:00:00Z"), Some(State::Unconfirmed), "72 h exactly: still inside");
        assert_eq!(state_of(&alone, "2026-12-04T10:00:01Z"), Some(State::ExpiredUnconfirmed));
        let in_time = [(1, asked.clone()), (2, confirmation("a", "2026-12-03T09:00:00Z"))];
        assert_eq!(state_of(&in_time, "2026-12-30T00:00:00Z"), Some(State::Granted));
        assert_eq!(effective(&in_time, "newsletter", at("2026-12-30T00:00:00Z"), H72).unwrap().confirmed_by.unwrap().record_id, "c-a");
        let late = [(1, asked.clone()), (2, confirmation("a", "2026-12-04T10:00:01Z"))];
        assert_eq!(state_of(&late, "2026-12-30T00:00:00Z"), Some(State::ExpiredUnconfirmed), "a late confirmation is none");
        let other = [(1, asked.clone()), (2, confirmation("b", "2026-12-01T11:00:00Z"))];
        assert_eq!(state_of(&other, "2026-12-30T00:00:00Z"), Some(State::ExpiredUnconfirmed), "confirms another record");
        // Without confirmation asked, a grant is a consent at once; a
        // refusal after a confirmed grant decides.
        assert_eq!(state_of(&[(1, rec("g", "2026-12-01T10:00:00Z", "granted", false))], "2027-06-01T00:00:00Z"), Some(State::Granted));
        let refused = [(1, asked), (2, confirmation("a", "2026-12-01T11:00:00Z")), (3, rec("r", "2026-12-02T10:00:00Z", "refused", false))];
        assert_eq!(state_of(&refused, "2026-12-30T00:00:00Z"), Some(State::Refused));
    }

    #[test]
    fn expiry_withdrawal_and_order_by_acted_at() {
        let mut g = rec("g", "2026-01-01T00:00:00Z", "granted", false);
        g.expires_at = Some("2026-06-01T00:00:00Z".into());
        assert_eq!(state_of(&[(1, g.clone())], "2026-05-31T23:59:59Z"), Some(State::Granted));
        assert_eq!(state_of(&[(1, g.clone())], "2026-06-01T00:00:00Z"), Some(State::Expired));
        let w = rec("w", "2026-02-01T00:00:00Z", "withdrawn", false);
        assert_eq!(state_of(&[(2, w.clone()), (1, g.clone())], "2026-03-01T00:00:00Z"), Some(State::Withdrawn));
        // A decision filed later but acted earlier does not override.
        let old_refusal = rec("o", "2025-01-01T00:00:00Z", "refused", false);
        assert_eq!(state_of(&[(1, g), (9, old_refusal)], "2026-03-01T00:00:00Z"), Some(State::Granted));
        assert_eq!(state_of(&[], "2026-03-01T00:00:00Z"), None);
        assert_eq!(state_of(&[(1, rec("x", "2026-01-01T00:00:00Z", "maybe", false))], "2026-03-01T00:00:00Z"), Some(State::Refused));
    }
}
