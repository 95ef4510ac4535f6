//! Entries about no subject (the breach register's, `crate::consent::breach`):
//! appended to the one chain like any record, with the subject column
//! empty, so they are in the verifiable log and append-only like the rest.
//! No table of their own: the register is read back from the ledger.
use super::super::ledger::{Entry, Receipt};
use super::super::sign::Signer;
use super::{COLUMNS, Mode, Store, StoreError, append_entry, entry};

impl Store {
    /// The entries about no subject, oldest first.
    pub fn unattached_entries(&self) -> Result<Vec<Entry>, StoreError> {
        self.tx(Mode::Read, |tx| {
            tx.query_map(&format!("SELECT {COLUMNS} FROM ledger WHERE subject = $1 ORDER BY seq"), &["".into()], entry)
        })
    }

    /// Appends an entry about no subject in one write transaction, once
    /// `check` accepts it given the entries about no subject already there
    /// (read under the writer lock: two writers cannot both pass a check
    /// the first one's entry would fail). `Ok(Err(reason))` when refused.
    pub fn append_unattached(
        &self,
        id: &str,
        canonical: String,
        signer: &Signer,
        check: impl FnOnce(&[Entry]) -> Result<(), String>,
    ) -> Result<Result<Receipt, String>, StoreError> {
        self.tx(Mode::Write, |tx| {
            let seen = tx.query_map(&format!("SELECT {COLUMNS} FROM ledger WHERE subject = $1 ORDER BY seq"), &["".into()], entry)?;
            if let Err(why) = check(&seen) {
                return Ok(Err(why));
            }
            Ok(Ok(append_entry(tx, id, "", canonical, None, signer)?.receipt()))
        })
    }
}
