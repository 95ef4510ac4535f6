//! Retention: `fiable-lookup purge` crypto-shreds the subjects whose every
//! consent record is past its retention — `expires_at`, or the withdrawal
//! if earlier, plus `retention_days` (a withdrawal record: its own time
//! plus its `retention_days`). A record with neither expiry nor withdrawal
//! is kept. Erasure is the same as `DELETE /v1/subjects/{ref}`, with the
//! reason `retention`: the ledger stays append-only and verifiable.
use std::collections::HashMap;

use fiable_consent::{ConsentRecord, ERASURE_KIND, Erasure, SCHEMA_VERSION, hex};

use super::ledger::{self, Entry};
use super::sign::Signer;
use super::store::{Erased, Store};
use super::vault;

/// What a purge found and did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Subjects whose personal data the vault holds.
    pub subjects: usize,
    /// Of those, the ones past retention.
    pub expired: usize,
    /// Erased now (0 in a dry run).
    pub erased: usize,
}

/// When a record's proof may go, in Unix seconds; `None`: keep it (no
/// expiry, no withdrawal, or a time that does not parse).
fn retention_end(r: &ConsentRecord, withdrawn_at: Option<i64>) -> Option<i64> {
    let lapse = if r.withdraws.is_some() {
        ledger::parse_rfc3339(&r.acted_at)?
    } else {
        let expiry = match &r.expires_at {
            Some(e) => Some(ledger::parse_rfc3339(e)?),
            None => None,
        };
        match (expiry, withdrawn_at) {
            (Some(a), Some(b)) => a.min(b),
            (Some(a), None) | (None, Some(a)) => a,
            (None, None) => return None,
        }
    };
    Some(lapse + i64::from(r.retention_days.unwrap_or(0)) * 86_400)
}

/// Whether every consent record among a subject's entries is past its
/// retention at `now` (Unix seconds). Erasure entries do not count; a
/// subject without consent records is not past anything.
pub fn past_retention(entries: &[Entry], now: i64) -> bool {
    let records: Vec<ConsentRecord> = entries.iter().filter_map(|e| serde_json::from_str(&e.record).ok()).collect();
    let mut withdrawn: HashMap<&str, i64> = HashMap::new();
    for r in &records {
        if let (Some(w), Some(at)) = (&r.withdraws, ledger::parse_rfc3339(&r.acted_at)) {
            let t = withdrawn.entry(w.as_str()).or_insert(at);
            *t = (*t).min(at);
        }
    }
    !records.is_empty()
        && records.iter().all(|r| retention_end(r, withdrawn.get(r.record_id.as_str()).copied()).is_some_and(|end| end <= now))
}

/// Finds the subjects past retention at `now` and, unless `dry_run`,
/// erases them (reason `retention`, actor `purge`).
pub fn purge(store: &Store, signer: &Signer, now: i64, dry_run: bool) -> anyhow::Result<Report> {
    let mut report = Report::default();
    for subject in store.vault_subjects()? {
        report.subjects += 1;
        if !past_retention(&store.by_subject(&subject)?, now) {
            continue;
        }
        report.expired += 1;
        if dry_run {
            continue;
        }
        let mut id = [0u8; 16];
        vault::random(&mut id).map_err(|e| anyhow::anyhow!("no randomness for a record id: {e}"))?;
        let e = Erasure {
            kind: ERASURE_KIND.into(),
            schema_version: SCHEMA_VERSION,
            record_id: hex(&id),
            subject: subject.clone(),
            erased_at: ledger::now_rfc3339(),
            reason: "retention".into(),
            actor: "purge".into(),
            records: 0,
        };
        if let Erased::Done(_) = store.erase_subject(e, signer)? {
            report.erased += 1;
        }
    }
    Ok(report)
}
