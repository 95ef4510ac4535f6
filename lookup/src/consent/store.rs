//! The SQLite store of the ledger: WAL, `synchronous=FULL`, migrations
//! at open, append-only enforced by triggers, and an append that reads
//! the chain head and inserts in one `BEGIN IMMEDIATE` transaction, so
//! writers in several threads or processes keep one consistent chain.
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
            tx.execute("INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)", params![i as i64 + 1, ledger::now_rfc3339()])?;
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
        let canonical = record.canonical_json();
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if let Some((key, req)) = idempotency {
            let seen: Option<(String, i64)> =
                tx.query_row("SELECT request_sha256, seq FROM idempotency WHERE key = ?1", [key], |r| Ok((r.get(0)?, r.get(1)?))).optional()?;
            if let Some((seen_req, seq)) = seen {
                if seen_req != req {
                    return Err(StoreError::IdempotencyConflict);
                }
                let e = tx.query_row(&format!("SELECT {COLUMNS} FROM ledger WHERE seq = ?1"), [seq], row_entry)?;
                return Ok(Appended { receipt: e.receipt(), replayed: true });
            }
        }
        let head: Option<(i64, String)> =
            tx.query_row("SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?))).optional()?;
        let (seq, prev_hash) = match head {
            Some((s, h)) => (s as u64 + 1, h),
            None => (1, GENESIS.to_string()),
        };
        let hash = ledger::chain_hash(&prev_hash, &canonical).ok_or(rusqlite::Error::InvalidQuery)?;
        let signed_at = ledger::now_rfc3339();
        let signature = signer.sign(ledger::receipt_message(&record.record_id, seq, &hash, &prev_hash, &signed_at).as_bytes());
        let e = Entry {
            seq,
            id: record.record_id.clone(),
            subject: record.subject.clone(),
            record: canonical,
            prev_hash,
            hash,
            signed_at,
            signature,
            public_key: signer.public_key_hex().to_string(),
        };
        let inserted = tx.execute(
            &format!("INSERT INTO ledger ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"),
            params![e.seq as i64, e.id, e.subject, e.record, e.prev_hash, e.hash, e.signed_at, e.signature, e.public_key],
        );
        match inserted {
            Err(rusqlite::Error::SqliteFailure(f, Some(msg))) if f.code == rusqlite::ErrorCode::ConstraintViolation && msg.contains("ledger.id") => {
                return Err(StoreError::DuplicateId);
            }
            r => r?,
        };
        if let Some((key, req)) = idempotency {
            tx.execute("INSERT INTO idempotency (key, request_sha256, seq) VALUES (?1, ?2, ?3)", params![key, req, e.seq as i64])?;
        }
        tx.commit()?;
        Ok(Appended { receipt: e.receipt(), replayed: false })
    }

    /// The entry of a record id.
    pub fn by_id(&self, id: &str) -> Result<Option<Entry>, StoreError> {
        Ok(self.conn().query_row(&format!("SELECT {COLUMNS} FROM ledger WHERE id = ?1"), [id], row_entry).optional()?)
    }

    /// Every entry of a subject, oldest first.
    pub fn by_subject(&self, subject: &str) -> Result<Vec<Entry>, StoreError> {
        let conn = self.conn();
        let mut st = conn.prepare(&format!("SELECT {COLUMNS} FROM ledger WHERE subject = ?1 ORDER BY seq"))?;
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
