//! Returned mail (NPAI, tables of migration 4, both backends): what the
//! shop reports when a mail piece comes back (`POST /v1/address/returned`).
//!
//! - `subject_returns`: one row per report, its details sealed under the
//!   subject's own key (so erasure makes them unreadable, and deletes the
//!   row too), with the keyed hashes of the address, so that the same
//!   person typing that address again can be warned.
//! - `address_returns`: per keyed hash of an address, how many reports and
//!   the last date: nothing that names a person, and it stays after an
//!   erasure (an address that bounces keeps bouncing).
use super::tx::{Tx, Value};
use super::{Mode, Store, StoreError};

/// One stored report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredReturn {
    /// Its id.
    pub id: String,
    /// The keyed hashes of its address.
    pub address_digests: Vec<String>,
    /// The sealed details (JSON of a `fiable_consent::Sealed`).
    pub sealed: String,
    /// When the service received it (RFC 3339).
    pub reported_at: String,
}

/// A subject's reports, with its key (hex) when it still has one.
pub type SubjectReturns = (String, Option<String>, Vec<StoredReturn>);

/// How a report ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reported {
    /// Stored; the address's count of reports after it.
    Done {
        /// Reports of the address (the largest count among its hashes).
        address_returns: u64,
    },
    /// The subject holds no key (never seen, or erased).
    UnknownSubject,
    /// The subject was erased.
    Erased,
}

fn digests_of(text: &str) -> Vec<String> {
    text.split(' ').filter(|d| !d.is_empty()).map(str::to_string).collect()
}

impl Store {
    /// Stores one report for `subject`, sealed by `seal` with the
    /// subject's key (hex) inside the write transaction (so an erasure
    /// cannot pass between reading the key and writing), and counts it
    /// against each of the address's keyed hashes.
    pub fn record_return(
        &self,
        id: &str,
        subject: &str,
        address_digests: &[String],
        returned_on: &str,
        seal: impl FnOnce(&str) -> Option<String>,
    ) -> Result<Reported, StoreError> {
        let kek = self.kek()?;
        self.tx(Mode::Write, |tx| {
            let s: Value = subject.into();
            if tx.query_opt("SELECT seq FROM subject_erasures WHERE subject = $1", std::slice::from_ref(&s), |r| r.int(0))?.is_some() {
                return Ok(Reported::Erased);
            }
            let Some(key) = super::subjects::subject_key(tx, kek, subject)? else {
                return Ok(Reported::UnknownSubject);
            };
            let sealed = seal(&key).ok_or(StoreError::Seal)?;
            tx.exec(
                "INSERT INTO subject_returns (id, subject, address_digests, sealed, reported_at) VALUES ($1, $2, $3, $4, $5)",
                &[id.into(), s, address_digests.join(" ").into(), sealed.into(), super::super::ledger::now_rfc3339().into()],
            )?;
            let mut most = 0;
            for d in address_digests {
                tx.exec(
                    "INSERT INTO address_returns (digest, returns, last_returned_on) VALUES ($1, 1, $2)
                     ON CONFLICT (digest) DO UPDATE SET returns = address_returns.returns + 1,
                     last_returned_on = CASE WHEN excluded.last_returned_on > address_returns.last_returned_on
                         THEN excluded.last_returned_on ELSE address_returns.last_returned_on END",
                    &[d.into(), returned_on.into()],
                )?;
                most = most.max(count_of(tx, d)?);
            }
            Ok(Reported::Done { address_returns: most })
        })
    }

    /// The reports of a subject, oldest first.
    pub fn subject_returns(&self, subject: &str) -> Result<Vec<StoredReturn>, StoreError> {
        self.tx(Mode::Read, |tx| {
            tx.query_map(
                "SELECT id, address_digests, sealed, reported_at FROM subject_returns WHERE subject = $1 ORDER BY reported_at, id",
                &[subject.into()],
                |r| {
                    Ok(StoredReturn {
                        id: r.text(0)?,
                        address_digests: digests_of(&r.text(1)?),
                        sealed: r.text(2)?,
                        reported_at: r.text(3)?,
                    })
                },
            )
        })
    }

    /// The reports of each of these subjects that has any (one snapshot),
    /// with the subject's key to open them.
    pub fn returns_of(&self, subjects: &[String]) -> Result<Vec<SubjectReturns>, StoreError> {
        let kek = self.kek()?;
        self.tx(Mode::Read, |tx| {
            let mut out = Vec::new();
            for s in subjects {
                let rows = tx.query_map(
                    "SELECT id, address_digests, sealed, reported_at FROM subject_returns WHERE subject = $1 ORDER BY reported_at, id",
                    &[s.into()],
                    |r| {
                        Ok(StoredReturn {
                            id: r.text(0)?,
                            address_digests: digests_of(&r.text(1)?),
                            sealed: r.text(2)?,
                            reported_at: r.text(3)?,
                        })
                    },
                )?;
                if rows.is_empty() {
                    continue;
                }
                let key = super::subjects::subject_key(tx, kek, s)?;
                out.push((s.clone(), key, rows));
            }
            Ok(out)
        })
    }

    /// Reports against a keyed hash of an address (no subject involved).
    pub fn address_return_count(&self, digest: &str) -> Result<u64, StoreError> {
        self.tx(Mode::Read, |tx| count_of(tx, digest))
    }
}

fn count_of(tx: &mut dyn Tx, digest: &str) -> Result<u64, StoreError> {
    Ok(tx.query_opt("SELECT returns FROM address_returns WHERE digest = $1", &[digest.into()], |r| r.uint(0))?.unwrap_or(0))
}

/// Inside an erasure's transaction: the subject's reports go with its key.
pub(super) fn erase_returns(tx: &mut dyn Tx, subject: &Value) -> Result<u64, StoreError> {
    tx.exec("DELETE FROM subject_returns WHERE subject = $1", std::slice::from_ref(subject))
}

/// For the re-application of erasures at start.
pub(super) fn erase_returns_of_erased(tx: &mut dyn Tx) -> Result<u64, StoreError> {
    tx.exec("DELETE FROM subject_returns WHERE subject IN (SELECT subject FROM subject_erasures)", &[])
}
