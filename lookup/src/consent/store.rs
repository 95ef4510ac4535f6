//! The SQLite store of the ledger: WAL, `synchronous=FULL`, migrations
//! at open, append-only enforced by triggers, and an append that reads
//! the chain head and inserts in one `BEGIN IMMEDIATE` transaction, so
//! writers in several threads or processes keep one consistent chain.
//!
//! Beside the ledger, the subjects vault (migration 2, `// --- subjects
//! vault ---`): per-subject sealing keys, blind indexes and erasures, in
//! ordinary mutable tables that `export` never writes out. Subject
//! derivation, sealing and the append happen in the same transaction, so
//! two first submissions of one email cannot get two pseudonyms.
use std::path::Path;
use std::sync::Mutex;

use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};

use super::ledger::{self, Entry, GENESIS, Receipt};
use super::sign::Signer;

/// Migrations, in order; the version of each is its index + 1.
const MIGRATIONS: &[&str] = &[
    // 1: the ledger, idempotency keys, append-only triggers.
    "CREATE TABLE ledger (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        subject TEXT NOT NULL,
        record TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL UNIQUE,
        signed_at TEXT NOT NULL,
        signature TEXT NOT NULL,
        public_key TEXT NOT NULL
    );
    CREATE INDEX ledger_subject ON ledger(subject, seq);
    CREATE TABLE idempotency (
        key TEXT PRIMARY KEY,
        request_sha256 TEXT NOT NULL,
        seq INTEGER NOT NULL REFERENCES ledger(seq)
    );
    CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger BEGIN SELECT RAISE(ABORT, 'the consent ledger is append-only'); END;
    CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger BEGIN SELECT RAISE(ABORT, 'the consent ledger is append-only'); END;",
    // 2: the subjects vault, mutable and outside the chain: per-subject
    // sealing keys (erasure deletes them), blind indexes (keyed hashes of
    // normalised contact data, for the subject derivation and /v1/match),
    // and which subjects were erased by which ledger entry.
    "CREATE TABLE subject_keys (
        subject TEXT PRIMARY KEY,
        key_hex TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE subject_index (
        kind TEXT NOT NULL,
        digest TEXT NOT NULL,
        subject TEXT NOT NULL,
        PRIMARY KEY (kind, digest, subject)
    );
    CREATE INDEX subject_index_subject ON subject_index(subject);
    CREATE TABLE subject_erasures (
        subject TEXT PRIMARY KEY,
        erased_at TEXT NOT NULL,
        reason TEXT NOT NULL,
        seq INTEGER NOT NULL REFERENCES ledger(seq)
    );",
];

/// Why an append did not happen.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The idempotency key was used with another request.
    #[error("idempotency key already used with a different request")]
    IdempotencyConflict,
    /// A record with this id is already in the ledger.
    #[error("a record with this id is already in the ledger")]
    DuplicateId,
    /// Contact data for a subject reference that was erased.
    #[error("this subject was erased")]
    SubjectErased,
    /// The subject data could not be sealed.
    #[error("sealing failed")]
    Seal,
    /// A record with contact data in clear: it goes through
    /// [`Store::append_with_subject_data`], which seals it.
    #[error("subject data in clear is never appended")]
    ClearSubjectData,
    /// The database failed.
    #[error("consent store: {0}")]
    Db(#[from] rusqlite::Error),
}

/// Result of an append.
#[derive(Debug)]
pub struct Appended {
    /// The receipt (new, or the one first given for this idempotency key).
    pub receipt: Receipt,
    /// The idempotency key had already been used with this request.
    pub replayed: bool,
}

/// The ledger on disk.
#[derive(Debug)]
pub struct Store {
    conn: Mutex<Connection>,
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
}

fn row_entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<Entry> {
    Ok(Entry {
        seq: r.get::<_, i64>(0)? as u64,
        id: r.get(1)?,
        subject: r.get(2)?,
        record: r.get(3)?,
        prev_hash: r.get(4)?,
        hash: r.get(5)?,
        signed_at: r.get(6)?,
        signature: r.get(7)?,
        public_key: r.get(8)?,
    })
}

const COLUMNS: &str = "seq, id, subject, record, prev_hash, hash, signed_at, signature, public_key";

impl Store {
    /// Opens (creating if needed) the ledger and runs pending migrations.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let mut conn = Connection::open(path)?;
        configure(&conn)?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")?;
        let done: i64 = tx.query_row("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", [], |r| r.get(0))?;
        for (i, m) in MIGRATIONS.iter().enumerate().skip(done as usize) {
            tx.execute_batch(m)?;
            tx.execute("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)", params![i as i64 + 1, ledger::now_rfc3339()])?;
        }
        tx.commit()?;
        Ok(Store { conn: Mutex::new(conn) })
    }

    /// Opens an existing ledger read-only (verification, export).
    pub fn open_read_only(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        Ok(Store { conn: Mutex::new(conn) })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves no half-written state: every
        // write is a transaction.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Appends a record (already validated, id assigned) as the next entry,
    /// signed by `signer`. With an idempotency key: the same key and the same
    /// `request_sha256` give back the first receipt; another request under
    /// the same key is a conflict.
    pub fn append(
        &self,
        record: &fiable_core::consent::ConsentRecord,
        idempotency: Option<(&str, &str)>,
        signer: &Signer,
    ) -> Result<Appended, StoreError> {
        if record.subject_data.is_some() {
            return Err(StoreError::ClearSubjectData);
        }
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if let Some(done) = replay(&tx, idempotency)? {
            return Ok(done);
        }
        let e = append_entry(&tx, &record.record_id, &record.subject, record.canonical_json(), idempotency, signer)?;
        tx.commit()?;
        Ok(Appended { receipt: e.receipt(), replayed: false })
    }

    /// The entry of a record id.
    pub fn by_id(&self, id: &str) -> Result<Option<Entry>, StoreError> {
        Ok(self.conn().query_row(&format!("SELECT {COLUMNS} FROM ledger WHERE id = $1"), [id], row_entry).optional()?)
    }

    /// Every entry of a subject, oldest first.
    pub fn by_subject(&self, subject: &str) -> Result<Vec<Entry>, StoreError> {
        let conn = self.conn();
        let mut st = conn.prepare(&format!("SELECT {COLUMNS} FROM ledger WHERE subject = $1 ORDER BY seq"))?;
        let rows = st.query_map([subject], row_entry)?.collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Calls `f` on every entry in sequence order, streaming.
    pub fn for_each<E: From<StoreError>>(&self, mut f: impl FnMut(Entry) -> Result<(), E>) -> Result<(), E> {
        let conn = self.conn();
        let mut st = conn.prepare(&format!("SELECT {COLUMNS} FROM ledger ORDER BY seq")).map_err(StoreError::from)?;
        let mut rows = st.query([]).map_err(StoreError::from)?;
        while let Some(r) = rows.next().map_err(StoreError::from)? {
            f(row_entry(r).map_err(StoreError::from)?)?;
        }
        Ok(())
    }

    /// Number of entries.
    pub fn len(&self) -> Result<u64, StoreError> {
        Ok(self.conn().query_row("SELECT COUNT(*) FROM ledger", [], |r| r.get::<_, i64>(0))? as u64)
    }

    /// Whether the ledger has no entry.
    pub fn is_empty(&self) -> Result<bool, StoreError> {
        Ok(self.len()? == 0)
    }
}

/// The first receipt of an idempotency key already used with this
/// request; a conflict when used with another.
fn replay(tx: &rusqlite::Transaction<'_>, idempotency: Option<(&str, &str)>) -> Result<Option<Appended>, StoreError> {
    let Some((key, req)) = idempotency else { return Ok(None) };
    let seen: Option<(String, i64)> =
        tx.query_row("SELECT request_sha256, seq FROM idempotency WHERE key = $1", [key], |r| Ok((r.get(0)?, r.get(1)?))).optional()?;
    let Some((seen_req, seq)) = seen else { return Ok(None) };
    if seen_req != req {
        return Err(StoreError::IdempotencyConflict);
    }
    let e = tx.query_row(&format!("SELECT {COLUMNS} FROM ledger WHERE seq = $1"), [seq], row_entry)?;
    Ok(Some(Appended { receipt: e.receipt(), replayed: true }))
}

/// Chains, signs and inserts one canonical record (and its idempotency
/// key) inside the caller's `BEGIN IMMEDIATE` transaction.
fn append_entry(
    tx: &rusqlite::Transaction<'_>,
    id: &str,
    subject: &str,
    canonical: String,
    idempotency: Option<(&str, &str)>,
    signer: &Signer,
) -> Result<Entry, StoreError> {
    let head: Option<(i64, String)> =
        tx.query_row("SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?))).optional()?;
    let (seq, prev_hash) = match head {
        Some((s, h)) => (s as u64 + 1, h),
        None => (1, GENESIS.to_string()),
    };
    let hash = ledger::chain_hash(&prev_hash, &canonical).ok_or(rusqlite::Error::InvalidQuery)?;
    let signed_at = ledger::now_rfc3339();
    let signature = signer.sign(ledger::receipt_message(id, seq, &hash, &prev_hash, &signed_at).as_bytes());
    let e = Entry {
        seq,
        id: id.to_string(),
        subject: subject.to_string(),
        record: canonical,
        prev_hash,
        hash,
        signed_at,
        signature,
        public_key: signer.public_key_hex().to_string(),
    };
    let inserted = tx.execute(
        &format!("INSERT INTO ledger ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"),
        params![e.seq as i64, e.id, e.subject, e.record, e.prev_hash, e.hash, e.signed_at, e.signature, e.public_key],
    );
    match inserted {
        Err(rusqlite::Error::SqliteFailure(f, Some(msg))) if f.code == rusqlite::ErrorCode::ConstraintViolation && msg.contains("ledger.id") => {
            return Err(StoreError::DuplicateId);
        }
        r => r?,
    };
    if let Some((key, req)) = idempotency {
        tx.execute("INSERT INTO idempotency (key, request_sha256, seq) VALUES ($1, $2, $3)", params![key, req, e.seq as i64])?;
    }
    Ok(e)
}

// --- subjects vault ---

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

impl Store {
    /// Appends a record that carries `subject_data`: in one transaction,
    /// finds or assigns the subject (when the record names none), gets or
    /// creates its key, lets `seal` replace the clear data by its sealed
    /// form (the record id and subject are set when it runs), appends, and
    /// records the blind indexes.
    pub fn append_with_subject_data(
        &self,
        mut record: fiable_core::consent::ConsentRecord,
        idempotency: Option<(&str, &str)>,
        signer: &Signer,
        vault: &VaultInput<'_>,
        seal: impl FnOnce(&str, &fiable_core::consent::ConsentRecord) -> Option<fiable_core::consent::Sealed>,
    ) -> Result<Appended, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if let Some(done) = replay(&tx, idempotency)? {
            return Ok(done);
        }
        if record.subject.is_empty() {
            let mut known = None;
            for (kind, digest) in vault.identify {
                known = tx
                    .query_row("SELECT subject FROM subject_index WHERE kind = $1 AND digest = $2 ORDER BY subject LIMIT 1", params![kind, digest], |r| {
                        r.get::<_, String>(0)
                    })
                    .optional()?;
                if known.is_some() {
                    break;
                }
            }
            record.subject = known.unwrap_or_else(|| vault.fresh_subject.clone());
        } else {
            let erased: Option<i64> = tx.query_row("SELECT seq FROM subject_erasures WHERE subject = $1", [&record.subject], |r| r.get(0)).optional()?;
            if erased.is_some() {
                return Err(StoreError::SubjectErased);
            }
        }
        tx.execute(
            "INSERT INTO subject_keys (subject, key_hex, created_at) VALUES ($1, $2, $3) ON CONFLICT (subject) DO NOTHING",
            params![record.subject, vault.fresh_key, ledger::now_rfc3339()],
        )?;
        let key: String = tx.query_row("SELECT key_hex FROM subject_keys WHERE subject = $1", [&record.subject], |r| r.get(0))?;
        record.sealed = Some(seal(&key, &record).ok_or(StoreError::Seal)?);
        record.subject_data = None;
        let e = append_entry(&tx, &record.record_id, &record.subject, record.canonical_json(), idempotency, signer)?;
        for (kind, digest) in vault.index {
            tx.execute(
                "INSERT INTO subject_index (kind, digest, subject) VALUES ($1, $2, $3) ON CONFLICT (kind, digest, subject) DO NOTHING",
                params![kind, digest, record.subject],
            )?;
        }
        tx.commit()?;
        Ok(Appended { receipt: e.receipt(), replayed: false })
    }

    /// The key and erasure state of a subject.
    pub fn subject_vault(&self, subject: &str) -> Result<SubjectVault, StoreError> {
        let conn = self.conn();
        let key_hex = conn.query_row("SELECT key_hex FROM subject_keys WHERE subject = $1", [subject], |r| r.get(0)).optional()?;
        let erasure = conn
            .query_row("SELECT erased_at, reason, seq FROM subject_erasures WHERE subject = $1", [subject], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)? as u64))
            })
            .optional()?;
        Ok(SubjectVault { key_hex, erasure })
    }

    /// The subjects holding one of these blind indexes, with the kind that
    /// matched (erased subjects have none left).
    pub fn find_subjects(&self, digests: &[(&'static str, String)]) -> Result<Vec<(&'static str, String)>, StoreError> {
        let conn = self.conn();
        let mut st = conn.prepare("SELECT subject FROM subject_index WHERE kind = $1 AND digest = $2 ORDER BY subject LIMIT 50")?;
        let mut out = Vec::new();
        for (kind, digest) in digests {
            for s in st.query_map(params![kind, digest], |r| r.get::<_, String>(0))? {
                out.push((*kind, s?));
            }
        }
        Ok(out)
    }

    /// Subjects whose personal data the vault still holds (a key).
    pub fn vault_subjects(&self) -> Result<Vec<String>, StoreError> {
        let conn = self.conn();
        let mut st = conn.prepare("SELECT subject FROM subject_keys ORDER BY subject")?;
        let rows = st.query_map([], |r| r.get(0))?.collect::<Result<Vec<String>, _>>()?;
        Ok(rows)
    }

    /// Crypto-shreds a subject: in one transaction, deletes its key and
    /// blind indexes and appends `erasure` (its `records` counted here:
    /// the subject's entries with a sealed part) as proof. Idempotent: a
    /// subject erased before gives back that erasure's receipt.
    pub fn erase_subject(&self, mut erasure: fiable_core::consent::Erasure, signer: &Signer) -> Result<Erased, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let before: Option<i64> = tx.query_row("SELECT seq FROM subject_erasures WHERE subject = $1", [&erasure.subject], |r| r.get(0)).optional()?;
        if let Some(seq) = before {
            let e = tx.query_row(&format!("SELECT {COLUMNS} FROM ledger WHERE seq = $1"), [seq], row_entry)?;
            return Ok(Erased::Already(e.receipt()));
        }
        let entries: i64 = tx.query_row("SELECT COUNT(*) FROM ledger WHERE subject = $1", [&erasure.subject], |r| r.get(0))?;
        let keys: i64 = tx.query_row("SELECT COUNT(*) FROM subject_keys WHERE subject = $1", [&erasure.subject], |r| r.get(0))?;
        if entries == 0 && keys == 0 {
            return Ok(Erased::Unknown);
        }
        // Canonical JSON escapes every quote inside strings: `"sealed":{`
        // can only be the member itself.
        let sealed: i64 = tx.query_row(
            "SELECT COUNT(*) FROM ledger WHERE subject = $1 AND record LIKE $2",
            params![erasure.subject, "%\"sealed\":{%"],
            |r| r.get(0),
        )?;
        erasure.records = u32::try_from(sealed).unwrap_or(u32::MAX);
        tx.execute("DELETE FROM subject_keys WHERE subject = $1", [&erasure.subject])?;
        tx.execute("DELETE FROM subject_index WHERE subject = $1", [&erasure.subject])?;
        let e = append_entry(&tx, &erasure.record_id, &erasure.subject, erasure.canonical_json(), None, signer)?;
        tx.execute(
            "INSERT INTO subject_erasures (subject, erased_at, reason, seq) VALUES ($1, $2, $3, $4)",
            params![erasure.subject, erasure.erased_at, erasure.reason, e.seq as i64],
        )?;
        tx.commit()?;
        Ok(Erased::Done(e.receipt()))
    }
}

/// Verifies a whole SQLite ledger.
pub fn verify(store: &Store, public_key: Option<&str>) -> Result<ledger::Verified, ledger::Broken> {
    let mut v = ledger::ChainVerifier::new(public_key.map(str::to_string));
    let r = store.for_each(|e| v.push(&e).map_err(VerifyErr::Broken));
    match r {
        Ok(()) => Ok(ledger::Verified { entries: v.count(), head: v.head().to_string(), public_key: None }),
        Err(VerifyErr::Broken(b)) => Err(b),
        Err(VerifyErr::Store(e)) => Err(ledger::Broken { seq: v.count() + 1, what: format!("cannot read the ledger: {e}"), at: None }),
    }
}

enum VerifyErr {
    Broken(ledger::Broken),
    Store(StoreError),
}

impl From<StoreError> for VerifyErr {
    fn from(e: StoreError) -> Self {
        VerifyErr::Store(e)
    }
}

/// Writes the JSON-lines export: a header naming the signing key (that of
/// the first entry), then one entry per line.
pub fn export(store: &Store, out: &mut impl std::io::Write) -> anyhow::Result<u64> {
    let public_key: String = store
        .conn()
        .query_row("SELECT public_key FROM ledger ORDER BY seq LIMIT 1", [], |r| r.get(0))
        .optional()?
        .unwrap_or_default();
    writeln!(out, "{}", serde_json::json!({ "format": ledger::EXPORT_FORMAT, "public_key": public_key }))?;
    let mut n = 0;
    store.for_each(|e| -> anyhow::Result<()> {
        serde_json::to_writer(&mut *out, &e)?;
        out.write_all(b"\n")?;
        n += 1;
        Ok(())
    })?;
    Ok(n)
}
