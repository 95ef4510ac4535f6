//! The subjects vault's queries (tables of migration 2, both backends):
//! per-subject sealing keys (erasure deletes them), blind indexes (keyed
//! hashes of normalised contact data, for the subject derivation and
//! `/v1/match`) and which subjects were erased by which ledger entry.
//!
//! Written once over [`Tx`] like the rest of the store. The derivation of
//! a subject, its key, the sealing and the append share one write
//! transaction, which holds the writer lock (SQLite's `BEGIN IMMEDIATE`,
//! PostgreSQL's advisory lock): two first submissions of one email, even
//! from two service instances, are serialised, and the second finds the
//! blind index the first committed.
use fiable_consent::{ConsentRecord, Erasure, Sealed};

use super::super::ledger::{self, Receipt};
use super::super::sign::Signer;
use super::super::vault::Kek;
use super::tx::{Tx, Value};
use super::{Appended, Mode, Store, StoreError, append_entry, entry_at, int, replay};

/// What [`Store::append_with_subject_data`] needs besides the record.
#[derive(Debug)]
pub struct VaultInput<'a> {
    /// Blind indexes that identify the person, tried in order to find a
    /// known subject when the record names none (email, then phone).
    pub identify: &'a [(&'static str, String)],
    /// Every blind index of the person, kept for `/v1/match`.
    pub index: &'a [(&'static str, String)],
    /// The subject reference to use when nobody is known.
    pub fresh_subject: String,
    /// The subject key to use when the subject has none yet (hex).
    pub fresh_key: String,
}

/// How an erasure ended.
#[derive(Debug)]
pub enum Erased {
    /// The key and indexes are gone; this entry proves it.
    Done(Receipt),
    /// Erased before: the receipt of that erasure.
    Already(Receipt),
    /// The ledger has nothing about this subject.
    Unknown,
}

/// What the vault holds about a subject.
#[derive(Debug, Default)]
pub struct SubjectVault {
    /// The sealing key, hex (gone once erased).
    pub key_hex: Option<String>,
    /// When, why, and by which ledger entry the subject was erased.
    pub erasure: Option<(String, String, u64)>,
}

/// The clear key of `subject` (hex): its wrapped row opened with `kek`
/// (a key written before wrapping existed is read as it is until the
/// start wraps it). An error when it does not open: not under this KEK.
pub(super) fn subject_key(tx: &mut dyn Tx, kek: &Kek, subject: &str) -> Result<Option<String>, StoreError> {
    let row =
        tx.query_opt("SELECT key_hex, wrapped FROM subject_keys WHERE subject = $1", &[subject.into()], |r| Ok((r.text(0)?, r.text(1)?)))?;
    match row {
        None => Ok(None),
        Some((clear, wrapped)) if wrapped.is_empty() => Ok(Some(clear)),
        Some((_, wrapped)) => kek.unwrap(subject, &wrapped).map(Some).ok_or_else(|| {
            StoreError::KeyMismatch(format!(
                "a subject key does not open under the key-encryption key {} (wrong KEK, or the row was changed)",
                kek.id()
            ))
        }),
    }
}

/// The seq of the erasure entry of `subject`, if it was erased.
fn erased_at(tx: &mut dyn Tx, subject: &str) -> Result<Option<i64>, StoreError> {
    tx.query_opt("SELECT seq FROM subject_erasures WHERE subject = $1", &[subject.into()], |r| r.int(0))
}

/// Copies the email and phone blind indexes of the subjects the query's
/// end selects into suppression rows (kind `suppressed:email|phone`,
/// subject `-`): after an erasure, a re-permission campaign must not
/// write to the person again, and the row names no subject, so nothing
/// links it back to the erased records (`consent::repermission`).
const SUPPRESS: &str = "INSERT INTO subject_index (kind, digest, subject) \
     SELECT 'suppressed:' || kind, digest, '-' FROM subject_index WHERE kind IN ('email', 'phone') AND subject";

fn suppress(tx: &mut dyn Tx, subject: &Value) -> Result<u64, StoreError> {
    tx.exec(&format!("{SUPPRESS} = $1 ON CONFLICT (kind, digest, subject) DO NOTHING"), std::slice::from_ref(subject))
}

fn count(tx: &mut dyn Tx, sql: &str, args: &[Value]) -> Result<i64, StoreError> {
    Ok(tx.query_opt(sql, args, |r| r.int(0))?.unwrap_or(0))
}

impl Store {
    /// Appends a record that carries `subject_data`: in one write
    /// transaction (shared with the other appends waiting, see
    /// [`super::batch`]), finds or assigns the subject (when the record
    /// names none), gets or creates its key, lets `seal` replace the clear
    /// data by its sealed form (the record id and subject are set when it
    /// runs), appends, and records the blind indexes.
    pub fn append_with_subject_data(
        &self,
        mut record: ConsentRecord,
        idempotency: Option<(&str, &str)>,
        signer: &Signer,
        vault: &VaultInput<'_>,
        seal: impl FnOnce(&str, &ConsentRecord) -> Option<Sealed> + Send + 'static,
    ) -> Result<Appended, StoreError> {
        // Owned copies: the batch's leader, maybe another thread, runs it.
        let idempotency = super::owned(idempotency);
        let signer = signer.clone();
        let (identify, index) = (vault.identify.to_vec(), vault.index.to_vec());
        let (fresh_subject, fresh_key) = (vault.fresh_subject.clone(), vault.fresh_key.clone());
        let kek = self.kek()?.clone();
        self.append_batched(Box::new(move |tx| {
            let idempotency = super::borrowed(&idempotency);
            if let Some(done) = replay(tx, idempotency)? {
                return Ok(done);
            }
            if record.subject.is_empty() {
                let mut known = None;
                for (kind, digest) in &identify {
                    known = tx.query_opt(
                        "SELECT subject FROM subject_index WHERE kind = $1 AND digest = $2 ORDER BY subject LIMIT 1",
                        &[(*kind).into(), digest.into()],
                        |r| r.text(0),
                    )?;
                    if known.is_some() {
                        break;
                    }
                }
                record.subject = known.unwrap_or(fresh_subject);
            } else if erased_at(tx, &record.subject)?.is_some() {
                return Err(StoreError::SubjectErased);
            }
            // Only the wrapped form is written: the clear key stays in memory.
            let wrapped = kek.wrap(&record.subject, &fresh_key).ok_or(StoreError::Seal)?;
            tx.exec(
                "INSERT INTO subject_keys (subject, key_hex, wrapped, kek_id, created_at) VALUES ($1, '', $2, $3, $4) \
                 ON CONFLICT (subject) DO NOTHING",
                &[(&record.subject).into(), wrapped.into(), kek.id().into(), ledger::now_rfc3339().into()],
            )?;
            let key =
                subject_key(tx, &kek, &record.subject)?.ok_or_else(|| StoreError::Db("the subject key just written is missing".into()))?;
            record.sealed = Some(seal(&key, &record).ok_or(StoreError::Seal)?);
            record.subject_data = None;
            let e = append_entry(tx, &record.record_id, &record.subject, record.canonical_json(), idempotency, &signer)?;
            for (kind, digest) in &index {
                tx.exec(
                    "INSERT INTO subject_index (kind, digest, subject) VALUES ($1, $2, $3) ON CONFLICT (kind, digest, subject) DO NOTHING",
                    &[(*kind).into(), digest.into(), (&record.subject).into()],
                )?;
            }
            Ok(Appended { receipt: e.receipt(), replayed: false })
        }))
    }

    /// The key and erasure state of a subject (one snapshot).
    pub fn subject_vault(&self, subject: &str) -> Result<SubjectVault, StoreError> {
        let kek = self.kek()?;
        self.tx(Mode::Read, |tx| {
            let key_hex = subject_key(tx, kek, subject)?;
            let erasure =
                tx.query_opt("SELECT erased_at, reason, seq FROM subject_erasures WHERE subject = $1", &[subject.into()], |r| {
                    Ok((r.text(0)?, r.text(1)?, r.uint(2)?))
                })?;
            Ok(SubjectVault { key_hex, erasure })
        })
    }

    /// The subjects holding one of these blind indexes, with the kind that
    /// matched (erased subjects have none left).
    pub fn find_subjects(&self, digests: &[(&'static str, String)]) -> Result<Vec<(&'static str, String)>, StoreError> {
        self.tx(Mode::Read, |tx| {
            let mut out = Vec::new();
            for (kind, digest) in digests {
                let found = tx.query_map(
                    "SELECT subject FROM subject_index WHERE kind = $1 AND digest = $2 ORDER BY subject LIMIT 50",
                    &[(*kind).into(), digest.into()],
                    |r| r.text(0),
                )?;
                out.extend(found.into_iter().map(|s| (*kind, s)));
            }
            Ok(out)
        })
    }

    /// Deletes again the keys and blind indexes of every subject in
    /// `erased` and of every subject the database lists as erased: a backup
    /// restored from before an erasure must not bring the person back. The
    /// number of subjects whose key was still there.
    pub fn reapply_erasures(&self, erased: &[String]) -> Result<u64, StoreError> {
        let n = self.tx(Mode::Write, |tx| {
            tx.exec(&format!("{SUPPRESS} IN (SELECT subject FROM subject_erasures) ON CONFLICT (kind, digest, subject) DO NOTHING"), &[])?;
            let mut n = tx.exec("DELETE FROM subject_keys WHERE subject IN (SELECT subject FROM subject_erasures)", &[])?;
            tx.exec("DELETE FROM subject_index WHERE subject IN (SELECT subject FROM subject_erasures)", &[])?;
            super::returns::erase_returns_of_erased(tx)?;
            for s in erased {
                let v: Value = s.into();
                suppress(tx, &v)?;
                n += tx.exec("DELETE FROM subject_keys WHERE subject = $1", std::slice::from_ref(&v))?;
                tx.exec("DELETE FROM subject_index WHERE subject = $1", std::slice::from_ref(&v))?;
                super::returns::erase_returns(tx, &v)?;
            }
            Ok(n)
        })?;
        if n > 0 {
            self.after_erasure()?;
        }
        Ok(n)
    }

    /// Sets the key-encryption key of the subject keys (once; `false` when
    /// one was set already). Without one, contact data is refused.
    pub fn set_kek(&self, kek: Kek) -> bool {
        self.kek.set(kek).is_ok()
    }

    /// The key-encryption key.
    pub(super) fn kek(&self) -> Result<&Kek, StoreError> {
        self.kek.get().ok_or_else(|| StoreError::KeyMismatch("no key-encryption key (KEK) was given to the store".into()))
    }

    /// The migration to wrapped keys: wraps under the KEK every subject key
    /// still in clear (written before the KEK existed) and empties its
    /// clear column, in one write transaction; the number wrapped. SQLite
    /// then checkpoints and truncates its WAL, so the clear bytes leave
    /// the WAL too (`secure_delete` zeroes them in the file).
    pub fn wrap_clear_keys(&self) -> Result<u64, StoreError> {
        let kek = self.kek()?.clone();
        let n = self.tx(Mode::Write, |tx| {
            let clear =
                tx.query_map("SELECT subject, key_hex FROM subject_keys WHERE wrapped = ''", &[], |r| Ok((r.text(0)?, r.text(1)?)))?;
            for (subject, key) in &clear {
                let wrapped = kek.wrap(subject, key).ok_or(StoreError::Seal)?;
                tx.exec(
                    "UPDATE subject_keys SET key_hex = '', wrapped = $1, kek_id = $2 WHERE subject = $3",
                    &[wrapped.into(), kek.id().into(), subject.into()],
                )?;
            }
            Ok(clear.len() as u64)
        })?;
        if n > 0 {
            self.after_erasure()?;
        }
        Ok(n)
    }

    /// Re-wraps every subject key under `new` (`fiable-lookup rotate-kek`),
    /// and records `new`'s id and check value in place of the old KEK's,
    /// all in one write transaction: either every key moves or none. The
    /// number of keys re-wrapped.
    pub fn rotate_kek(&self, new: &Kek) -> Result<u64, StoreError> {
        let old = self.kek()?.clone();
        let n = self.tx(Mode::Write, |tx| {
            let rows = tx.query_map("SELECT subject FROM subject_keys ORDER BY subject", &[], |r| r.text(0))?;
            for subject in &rows {
                let key = subject_key(tx, &old, subject)?.ok_or_else(|| StoreError::Db("a subject key vanished".into()))?;
                let wrapped = new.wrap(subject, &key).ok_or(StoreError::Seal)?;
                tx.exec(
                    "UPDATE subject_keys SET key_hex = '', wrapped = $1, kek_id = $2 WHERE subject = $3",
                    &[wrapped.into(), new.id().into(), subject.into()],
                )?;
            }
            let pinned = tx.exec(
                "UPDATE key_checks SET key_id = $1, check_value = $2, created_at = $3 WHERE name = 'kek'",
                &[new.id().into(), new.check_value().into(), ledger::now_rfc3339().into()],
            )?;
            if pinned == 0 {
                tx.exec(
                    "INSERT INTO key_checks (name, key_id, check_value, created_at) VALUES ('kek', $1, $2, $3)",
                    &[new.id().into(), new.check_value().into(), ledger::now_rfc3339().into()],
                )?;
            }
            Ok(rows.len() as u64)
        })?;
        self.after_erasure()?;
        Ok(n)
    }

    /// Subjects whose personal data the vault still holds (a key).
    pub fn vault_subjects(&self) -> Result<Vec<String>, StoreError> {
        self.tx(Mode::Read, |tx| tx.query_map("SELECT subject FROM subject_keys ORDER BY subject", &[], |r| r.text(0)))
    }

    /// Crypto-shreds a subject: in one write transaction, deletes its key
    /// and blind indexes and appends `erasure` (its `records` counted here:
    /// the subject's entries with a sealed part) as proof. Idempotent: a
    /// subject erased before gives back that erasure's receipt.
    pub fn erase_subject(&self, erasure: Erasure, signer: &Signer) -> Result<Erased, StoreError> {
        let subject = erasure.subject.clone();
        let done = self.erase_in_tx(erasure, signer)?;
        if matches!(done, Erased::Done(_)) {
            self.note_erasure(&subject)?;
        }
        // The deleted key's old page images sit in the WAL until a
        // checkpoint: copy and truncate it now rather than at some later
        // automatic checkpoint (which never truncates).
        if matches!(done, Erased::Done(_)) {
            self.after_erasure()?;
        }
        Ok(done)
    }

    fn erase_in_tx(&self, mut erasure: Erasure, signer: &Signer) -> Result<Erased, StoreError> {
        self.tx(Mode::Write, |tx| {
            if let Some(seq) = erased_at(tx, &erasure.subject)? {
                return Ok(Erased::Already(entry_at(tx, seq)?.receipt()));
            }
            let subject: Value = (&erasure.subject).into();
            let entries = count(tx, "SELECT COUNT(*) FROM ledger WHERE subject = $1", std::slice::from_ref(&subject))?;
            let keys = count(tx, "SELECT COUNT(*) FROM subject_keys WHERE subject = $1", std::slice::from_ref(&subject))?;
            if entries == 0 && keys == 0 {
                return Ok(Erased::Unknown);
            }
            // Canonical JSON escapes every quote inside strings: `"sealed":{`
            // can only be the member itself.
            let sealed = count(
                tx,
                "SELECT COUNT(*) FROM ledger WHERE subject = $1 AND record LIKE $2",
                &[subject.clone(), "%\"sealed\":{%".into()],
            )?;
            erasure.records = u32::try_from(sealed).unwrap_or(u32::MAX);
            tx.exec("DELETE FROM subject_keys WHERE subject = $1", std::slice::from_ref(&subject))?;
            suppress(tx, &subject)?;
            tx.exec("DELETE FROM subject_index WHERE subject = $1", std::slice::from_ref(&subject))?;
            super::returns::erase_returns(tx, &subject)?;
            // An idempotency row keeps the SHA-256 of the request, which
            // held the contact data: a guessable email could be confirmed
            // from it. Gone with the subject (a replay then appends anew).
            tx.exec("DELETE FROM idempotency WHERE seq IN (SELECT seq FROM ledger WHERE subject = $1)", std::slice::from_ref(&subject))?;
            let e = append_entry(tx, &erasure.record_id, &erasure.subject, erasure.canonical_json(), None, signer)?;
            tx.exec(
                "INSERT INTO subject_erasures (subject, erased_at, reason, seq) VALUES ($1, $2, $3, $4)",
                &[subject, (&erasure.erased_at).into(), (&erasure.reason).into(), int(e.seq)?],
            )?;
            Ok(Erased::Done(e.receipt()))
        })
    }
}
