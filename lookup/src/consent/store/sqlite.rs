//! SQLite: one file, WAL, `synchronous=FULL` (an acknowledged append
//! survives a crash), migrations at open, append-only enforced by
//! triggers. Writes run in `BEGIN IMMEDIATE` transactions, so writers in
//! several threads or processes keep one consistent chain.
use std::path::Path;
use std::sync::Mutex;

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use super::tx::{Row, Tx, Value, placeholder_index};
use super::{Mode, StoreError};

/// Migrations, in order; the version of each is its index + 1. Keep in
/// step with `postgres.rs` (same tables, same columns).
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
    // 3: the id and key-check value of each key the service uses (signing,
    // blind index), so a start with another key file is refused.
    "CREATE TABLE key_checks (
        name TEXT PRIMARY KEY,
        key_id TEXT NOT NULL,
        check_value TEXT NOT NULL,
        created_at TEXT NOT NULL
    );",
    // 4: subject keys only wrapped under the key-encryption key (KEK),
    // which stays outside the database: `wrapped` and the KEK's id. Keys
    // written before are wrapped at the first start with a KEK
    // (`Store::wrap_clear_keys`), after which `key_hex` is empty.
    "ALTER TABLE subject_keys ADD COLUMN wrapped TEXT NOT NULL DEFAULT '';
    ALTER TABLE subject_keys ADD COLUMN kek_id TEXT NOT NULL DEFAULT '';",
    // 5: returned mail (NPAI), see `store/returns.rs`: each report sealed
    // under its subject's key with the keyed hashes of its address (erasure
    // deletes them), and per address hash a count with no personal data.
    "CREATE TABLE subject_returns (
        id TEXT PRIMARY KEY,
        subject TEXT NOT NULL,
        address_digests TEXT NOT NULL,
        sealed TEXT NOT NULL,
        reported_at TEXT NOT NULL
    );
    CREATE INDEX subject_returns_subject ON subject_returns(subject);
    CREATE TABLE address_returns (
        digest TEXT PRIMARY KEY,
        returns INTEGER NOT NULL,
        last_returned_on TEXT NOT NULL
    );",
];

/// The SQLite side of the store: one connection (SQLite has one writer
/// at a time anyway).
#[derive(Debug)]
pub(super) struct Sqlite {
    conn: Mutex<Connection>,
}

/// Creates the database file, and its WAL and shared-memory files, with
/// mode 0600 when they do not exist yet (SQLite would use 0644 and the
/// files hold the vault).
fn create_private(path: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let mut names = vec![path.to_path_buf()];
        for suffix in ["-wal", "-shm", "-journal"] {
            let mut p = path.as_os_str().to_owned();
            p.push(suffix);
            names.push(p.into());
        }
        for p in names {
            match std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&p) {
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(StoreError::Db(format!("creating {}: {e}", p.display()))),
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Db(e.to_string())
    }
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Erasure deletes a subject's key row: zero the freed bytes instead of
    // leaving them in free pages of the file.
    conn.pragma_update(None, "secure_delete", "ON")?;
    Ok(())
}

impl Sqlite {
    /// Opens (creating if needed) the file and runs pending migrations.
    pub(super) fn open(path: &Path) -> Result<Self, StoreError> {
        create_private(path)?;
        let mut conn = Connection::open(path)?;
        configure(&conn)?;
        let mut tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        super::migrate(&mut tx, MIGRATIONS)?;
        tx.commit()?;
        Ok(Sqlite { conn: Mutex::new(conn) })
    }

    /// Copies the checkpointed WAL into the file and truncates the WAL to
    /// zero bytes, so deleted rows' old page images (an erased subject's
    /// key) leave the WAL too. Outside any transaction.
    pub(super) fn checkpoint_truncate(&self) -> Result<(), StoreError> {
        let conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(())
    }

    /// Opens an existing file read-only (verification, export).
    pub(super) fn open_read_only(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        Ok(Sqlite { conn: Mutex::new(conn) })
    }

    /// Runs `f` in a transaction: `BEGIN IMMEDIATE` for a write (the file's
    /// write lock is taken before the chain head is read), deferred for a
    /// read (one consistent snapshot under WAL).
    pub(super) fn tx<T>(&self, mode: Mode, f: impl FnOnce(&mut dyn Tx) -> Result<T, StoreError>) -> Result<T, StoreError> {
        // A panic while holding the lock leaves no half-written state: every
        // write is a transaction.
        let mut conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        let behavior = match mode {
            Mode::Write => TransactionBehavior::Immediate,
            Mode::Read => TransactionBehavior::Deferred,
        };
        let mut tx = conn.transaction_with_behavior(behavior)?;
        let out = f(&mut tx)?;
        tx.commit()?;
        Ok(out)
    }
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Int(v) => ToSqlOutput::Borrowed(ValueRef::Integer(*v)),
            Value::Text(v) => ToSqlOutput::Borrowed(ValueRef::Text(v.as_bytes())),
        })
    }
}

/// Prepares `sql` and binds `args` by placeholder number (`$2` gets
/// `args[1]` wherever it appears); every value must be used.
fn prepare<'c>(tx: &'c rusqlite::Transaction<'_>, sql: &str, args: &[Value]) -> Result<rusqlite::CachedStatement<'c>, StoreError> {
    let mut st = tx.prepare_cached(sql)?;
    let mut used = vec![false; args.len()];
    for i in 1..=st.parameter_count() {
        let name = st.parameter_name(i).unwrap_or("?");
        let at = placeholder_index(name, args.len())?;
        used[at] = true;
        st.raw_bind_parameter(i, &args[at])?;
    }
    if let Some(n) = used.iter().position(|u| !u) {
        return Err(StoreError::Db(format!("value ${} is not used by the statement", n + 1)));
    }
    Ok(st)
}

impl Tx for rusqlite::Transaction<'_> {
    fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
        Ok(self.execute_batch(sql)?)
    }

    fn exec(&mut self, sql: &str, args: &[Value]) -> Result<u64, StoreError> {
        let mut st = prepare(self, sql, args)?;
        Ok(st.raw_execute()? as u64)
    }

    fn each(&mut self, sql: &str, args: &[Value], f: &mut dyn FnMut(Row) -> Result<(), StoreError>) -> Result<(), StoreError> {
        let mut st = prepare(self, sql, args)?;
        let columns = st.column_count();
        let mut rows = st.raw_query();
        while let Some(r) = rows.next()? {
            let mut row = Vec::with_capacity(columns);
            for i in 0..columns {
                row.push(match r.get_ref(i)? {
                    ValueRef::Null => Value::Null,
                    ValueRef::Integer(v) => Value::Int(v),
                    ValueRef::Text(t) => {
                        Value::Text(String::from_utf8(t.to_vec()).map_err(|_| StoreError::Db(format!("column {i}: text is not UTF-8")))?)
                    }
                    ValueRef::Real(_) | ValueRef::Blob(_) => {
                        return Err(StoreError::Db(format!("column {i}: only integers and text are read")));
                    }
                });
            }
            f(Row(row))?;
        }
        Ok(())
    }
}
