//! The store of the ledger: SQLite by default (one file), PostgreSQL with
//! `--database postgres://…` (several service instances on one database,
//! one chain).
//!
//! Every query is written once, below, against the [`tx::Tx`] interface
//! (`$1, $2…` placeholders, integer and text values: the rules are in
//! `tx.rs`) inside [`Store::tx`]; `sqlite.rs` and `postgres.rs` hold only
//! the connection handling, the transaction start (how writers are
//! serialised) and the DDL migrations.
//!
//! To add a table or a query: a migration in both backends (same version
//! number, same columns; INTEGER in SQLite is BIGINT in PostgreSQL), then
//! a method here written with `self.tx(Mode::Write | Mode::Read, |tx| …)`.
//!
//! Beside the ledger, the subjects vault ([`subjects`], migration 2):
//! per-subject sealing keys, blind indexes and erasures, in ordinary
//! mutable tables that `export` never writes out. Subject derivation,
//! sealing and the append happen in one write transaction, so two first
//! submissions of one email (from one instance or several) cannot get
//! two pseudonyms.
//!
//! Appends go through a group commit ([`batch`]): the appends waiting for
//! the writer are chained in one transaction, flushed once, each in its
//! own savepoint.
use std::path::{Path, PathBuf};

use super::ledger::{self, Entry, GENESIS, Receipt};
use super::sign::Signer;
use super::vault::Kek;

pub mod batch;
mod postgres;
mod register;
mod returns;
mod sqlite;
mod subjects;
pub mod tx;

pub use returns::{Reported, StoredReturn, SubjectReturns};
pub use subjects::{Erased, SubjectVault, VaultInput};

use tx::{Row, Tx, Value};

/// Why a store call did not do what was asked.
#[derive(Clone, Debug, thiserror::Error)]
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
    /// A key given to the service is not the one the data was written
    /// with.
    #[error("{0}")]
    KeyMismatch(String),
    /// The database failed or could not be reached (no personal data in
    /// the message: server DETAIL lines are left out).
    #[error("consent store: {0}")]
    Db(String),
}

/// Result of an append.
#[derive(Debug)]
pub struct Appended {
    /// The receipt (new, or the one first given for this idempotency key).
    pub receipt: Receipt,
    /// The idempotency key had already been used with this request.
    pub replayed: bool,
}

/// Where the ledger lives, as given to `--database` (or `--consent-db`).
#[derive(Clone, PartialEq, Eq)]
pub enum Database {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL connection string (`postgres://…` or `postgresql://…`).
    Postgres(String),
}

impl std::str::FromStr for Database {
    type Err = String;

    /// `postgres://…` / `postgresql://…` select PostgreSQL; `sqlite:PATH`
    /// (also `sqlite://PATH`, so `sqlite:///abs/path`) or a bare path
    /// select SQLite.
    fn from_str(s: &str) -> Result<Self, String> {
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            postgres::parse_config(s).map_err(|e| e.to_string())?;
            return Ok(Database::Postgres(s.to_string()));
        }
        if let Some(rest) = s.strip_prefix("sqlite:") {
            let path = rest.strip_prefix("//").unwrap_or(rest);
            return if path.is_empty() { Err("sqlite: needs a file path".into()) } else { Ok(Database::Sqlite(PathBuf::from(path))) };
        }
        match s.split_once("://") {
            Some((scheme, _)) => Err(format!("unknown database scheme {scheme}:// (postgres://… or a SQLite path)")),
            None if s.is_empty() => Err("empty database".into()),
            None => Ok(Database::Sqlite(PathBuf::from(s))),
        }
    }
}

impl std::fmt::Display for Database {
    /// Safe to print: a PostgreSQL URL's password is masked.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Database::Sqlite(p) => write!(f, "{}", p.display()),
            Database::Postgres(url) => f.write_str(&redact(url)),
        }
    }
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Database({self})")
    }
}

/// The URL with the password of its `user:password@` part replaced by `***`.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => match rest[..at].split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***{}", &rest[at..]),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

/// Kind of transaction: how [`Store::tx`] opens it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Reads only: one snapshot.
    Read,
    /// Writes: serialised with every other writer of the database (other
    /// threads and other processes or service instances).
    Write,
}

#[derive(Debug)]
enum Backend {
    Sqlite(sqlite::Sqlite),
    Postgres(Box<postgres::Pg>),
}

/// The ledger.
#[derive(Debug)]
pub struct Store {
    backend: Backend,
    /// The writer queue of appends (group commit).
    batch: batch::Batcher,
    /// The erasure list outside the database ([`Store::keep_erasure_list`]).
    erasure_list: std::sync::OnceLock<PathBuf>,
    /// The key-encryption key of the subject keys ([`Store::set_kek`]).
    kek: std::sync::OnceLock<Kek>,
}

/// Applies the `migrations` a database lacks, inside the caller's
/// transaction (all of them or none), recording each in
/// `schema_migrations`; both backends run their schema this way.
fn migrate(tx: &mut dyn Tx, migrations: &[&str]) -> Result<(), StoreError> {
    tx.batch("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at TEXT NOT NULL)")?;
    let done = tx.query_opt("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", &[], |r| r.int(0))?.unwrap_or(0);
    let done = check_schema_version(done, migrations.len())?;
    for (version, m) in (1i64..).zip(migrations).skip(done) {
        tx.batch(m)?;
        tx.exec(
            "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
            &[Value::Int(version), ledger::now_rfc3339().into()],
        )?;
    }
    Ok(())
}

/// Refuses a database migrated by a newer binary; returns how many
/// migrations are applied.
fn check_schema_version(done: i64, known: usize) -> Result<usize, StoreError> {
    match usize::try_from(done) {
        Ok(d) if d <= known => Ok(d),
        _ => Err(StoreError::Db(format!(
            "the database schema is at version {done}, newer than this binary's {known}: upgrade fiable-lookup"
        ))),
    }
}

const COLUMNS: &str = "seq, id, subject, record, prev_hash, hash, signed_at, signature, public_key";

fn entry(r: Row) -> Result<Entry, StoreError> {
    Ok(Entry {
        seq: r.uint(0)?,
        id: r.text(1)?,
        subject: r.text(2)?,
        record: r.text(3)?,
        prev_hash: r.text(4)?,
        hash: r.text(5)?,
        signed_at: r.text(6)?,
        signature: r.text(7)?,
        public_key: r.text(8)?,
    })
}

fn int(v: u64) -> Result<Value, StoreError> {
    i64::try_from(v).map(Value::Int).map_err(|_| StoreError::Db("sequence number out of range".into()))
}

impl Store {
    /// Opens (creating if needed) a SQLite ledger and runs pending migrations.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Ok(Store {
            backend: Backend::Sqlite(sqlite::Sqlite::open(path)?),
            batch: Default::default(),
            erasure_list: Default::default(),
            kek: Default::default(),
        })
    }

    /// Opens an existing SQLite ledger read-only (verification, export).
    pub fn open_read_only(path: &Path) -> Result<Self, StoreError> {
        Ok(Store {
            backend: Backend::Sqlite(sqlite::Sqlite::open_read_only(path)?),
            batch: Default::default(),
            erasure_list: Default::default(),
            kek: Default::default(),
        })
    }

    /// Opens the ledger at `db` and runs pending migrations. `pool`: the
    /// most PostgreSQL connections this store opens (SQLite uses one).
    /// Blocking: call it outside async code (PostgreSQL's client runs its
    /// own small runtime).
    pub fn connect(db: &Database, pool: usize) -> Result<Self, StoreError> {
        match db {
            Database::Sqlite(p) => Self::open(p),
            Database::Postgres(url) => Ok(Store {
                backend: Backend::Postgres(Box::new(postgres::Pg::open(url, pool, false)?)),
                batch: Default::default(),
                erasure_list: Default::default(),
                kek: Default::default(),
            }),
        }
    }

    /// Opens the ledger at `db` for reading only, without migrating.
    pub fn connect_read_only(db: &Database) -> Result<Self, StoreError> {
        match db {
            Database::Sqlite(p) => Self::open_read_only(p),
            Database::Postgres(url) => Ok(Store {
                backend: Backend::Postgres(Box::new(postgres::Pg::open(url, 2, true)?)),
                batch: Default::default(),
                erasure_list: Default::default(),
                kek: Default::default(),
            }),
        }
    }

    /// Whether this store is PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        matches!(self.backend, Backend::Postgres(_))
    }

    /// Runs `f` in one transaction of `mode`: committed when `f` returns
    /// `Ok`, rolled back otherwise. Blocking.
    pub fn tx<T>(&self, mode: Mode, f: impl FnOnce(&mut dyn Tx) -> Result<T, StoreError>) -> Result<T, StoreError> {
        match &self.backend {
            Backend::Sqlite(s) => s.tx(mode, f),
            Backend::Postgres(p) => p.tx(mode, f),
        }
    }

    /// Appends a record (already validated, id assigned) as the next entry,
    /// signed by `signer`. With an idempotency key: the same key and the same
    /// `request_sha256` give back the first receipt; another request under
    /// the same key is a conflict. The checks and the chain head hold across
    /// concurrent writers: the append runs in a write transaction (shared
    /// with the other appends waiting, see [`batch`]) and returns once it
    /// is committed.
    pub fn append(
        &self,
        record: &fiable_consent::ConsentRecord,
        idempotency: Option<(&str, &str)>,
        signer: &Signer,
    ) -> Result<Appended, StoreError> {
        if record.subject_data.is_some() {
            return Err(StoreError::ClearSubjectData);
        }
        // Owned copies: the batch's leader, maybe another thread, runs it.
        let canonical = record.canonical_json();
        let (id, subject, signer) = (record.record_id.clone(), record.subject.clone(), signer.clone());
        let idempotency = owned(idempotency);
        self.append_batched(Box::new(move |tx| {
            let idempotency = borrowed(&idempotency);
            if let Some(done) = replay(tx, idempotency)? {
                return Ok(done);
            }
            let e = append_entry(tx, &id, &subject, canonical, idempotency, &signer)?;
            Ok(Appended { receipt: e.receipt(), replayed: false })
        }))
    }

    /// The entry of a record id.
    pub fn by_id(&self, id: &str) -> Result<Option<Entry>, StoreError> {
        self.tx(Mode::Read, |tx| tx.query_opt(&format!("SELECT {COLUMNS} FROM ledger WHERE id = $1"), &[id.into()], entry))
    }

    /// Every entry of a subject, oldest first.
    pub fn by_subject(&self, subject: &str) -> Result<Vec<Entry>, StoreError> {
        self.tx(Mode::Read, |tx| {
            tx.query_map(&format!("SELECT {COLUMNS} FROM ledger WHERE subject = $1 ORDER BY seq"), &[subject.into()], entry)
        })
    }

    /// Calls `f` on every entry in sequence order, streaming, from one
    /// snapshot of the ledger.
    pub fn for_each<E: From<StoreError>>(&self, mut f: impl FnMut(Entry) -> Result<(), E>) -> Result<(), E> {
        // `f`'s own error is kept aside and the scan stopped with a
        // placeholder store error, which is then replaced by it.
        let mut stopped: Option<E> = None;
        let r = self.tx(Mode::Read, |tx| {
            tx.each(&format!("SELECT {COLUMNS} FROM ledger ORDER BY seq"), &[], &mut |row| {
                f(entry(row)?).map_err(|e| {
                    stopped = Some(e);
                    StoreError::Db("stopped".into())
                })
            })
        });
        match (stopped, r) {
            (Some(e), _) => Err(e),
            (None, r) => r.map_err(E::from),
        }
    }

    /// Records the id and check value of key `name` on first use; after
    /// that, refuses another one. For the signing key (`public_key` given)
    /// of a ledger written before key checks existed, the last entry's key
    /// must be it.
    pub fn pin_key(&self, name: &str, key_id: &str, check_value: &str, public_key: Option<&str>) -> Result<(), StoreError> {
        self.tx(Mode::Write, |tx| {
            let seen = tx.query_opt("SELECT key_id, check_value FROM key_checks WHERE name = $1", &[name.into()], |r| {
                Ok((r.text(0)?, r.text(1)?))
            })?;
            match seen {
                Some((id, kcv)) if id == key_id && kcv == check_value => Ok(()),
                Some((id, _)) => Err(StoreError::KeyMismatch(format!(
                    "the {name} key given (id {key_id}) is not the one this database was written with (id {id}): refusing to start. \
                     Restore the right key file (or rotate the signing key with `fiable-lookup rotate-key`)"
                ))),
                None => {
                    if let Some(pk) = public_key {
                        let last = tx.query_opt("SELECT public_key FROM ledger ORDER BY seq DESC LIMIT 1", &[], |r| r.text(0))?;
                        if let Some(last) = last.filter(|l| !l.eq_ignore_ascii_case(pk)) {
                            return Err(StoreError::KeyMismatch(format!(
                                "the signing key given ({pk}) did not sign this ledger's last entry ({last}): refusing to start"
                            )));
                        }
                    }
                    tx.exec(
                        "INSERT INTO key_checks (name, key_id, check_value, created_at) VALUES ($1, $2, $3, $4)",
                        &[name.into(), key_id.into(), check_value.into(), ledger::now_rfc3339().into()],
                    )?;
                    Ok(())
                }
            }
        })
    }

    /// Rotates the signing key (`fiable-lookup rotate-key`): in one write
    /// transaction, checks that `old` is the key in force, appends a
    /// [`ledger::KeyRotation`] entry signed by `old` naming `new`, and pins
    /// `new` in `key_checks`, after which only `new` signs entries (and
    /// the service's tree heads, once restarted with it).
    pub fn rotate_key(&self, old: &Signer, new: &Signer) -> Result<Receipt, StoreError> {
        let old_id = super::log::key_id(old.public_key_hex()).unwrap_or_default();
        let new_id = super::log::key_id(new.public_key_hex()).unwrap_or_default();
        if old_id == new_id {
            return Err(StoreError::KeyMismatch("the new signing key is the old one".into()));
        }
        self.tx(Mode::Write, |tx| {
            let last =
                tx.query_opt("SELECT public_key, record FROM ledger ORDER BY seq DESC LIMIT 1", &[], |r| Ok((r.text(0)?, r.text(1)?)))?;
            let in_force = match last {
                Some((_, record)) if ledger::parse_rotation(&record).is_some() => {
                    ledger::parse_rotation(&record).map(|k| k.new_public_key).unwrap_or_default()
                }
                Some((pk, _)) => pk,
                None => return Err(StoreError::KeyMismatch("the ledger is empty: start the service with the new key instead".into())),
            };
            if !in_force.eq_ignore_ascii_case(old.public_key_hex()) {
                return Err(StoreError::KeyMismatch(format!(
                    "the old key given ({}) is not the key in force ({in_force}): refusing to rotate",
                    old.public_key_hex()
                )));
            }
            let rotation = ledger::KeyRotation::new(old, new);
            let e = append_entry(tx, &rotation.record_id, "", rotation.canonical_json(), None, old)?;
            tx.exec("DELETE FROM key_checks WHERE name = 'signing'", &[])?;
            tx.exec(
                "INSERT INTO key_checks (name, key_id, check_value, created_at) VALUES ('signing', $1, $2, $3)",
                &[new_id.into(), new.check_value().into(), ledger::now_rfc3339().into()],
            )?;
            Ok(e.receipt())
        })
    }

    /// Keeps the list of erased subjects in `path` too (one reference a
    /// line, mode 0600), outside the database: a backup restored from
    /// before an erasure gets it applied again at start. Applies the list
    /// now; the number of subjects whose key was still there.
    pub fn keep_erasure_list(&self, path: &Path) -> Result<u64, StoreError> {
        let list = match std::fs::read_to_string(path) {
            Ok(t) => t.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(StoreError::Db(format!("reading {}: {e}", path.display()))),
        };
        let _ = self.erasure_list.set(path.to_path_buf());
        self.reapply_erasures(&list)
    }

    /// Appends `subject` to the erasure list file, if one is kept.
    pub(super) fn note_erasure(&self, subject: &str) -> Result<(), StoreError> {
        let Some(path) = self.erasure_list.get() else {
            return Ok(());
        };
        let mut opts = std::fs::OpenOptions::new();
        opts.append(true).create(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let w = |e: std::io::Error| StoreError::Db(format!("{}: {e}", path.display()));
        let mut f = opts.open(path).map_err(w)?;
        std::io::Write::write_all(&mut f, format!("{subject}\n").as_bytes()).map_err(w)?;
        f.sync_all().map_err(w)
    }

    /// After an erasure: SQLite checkpoints and truncates its WAL;
    /// PostgreSQL has nothing to do here (dead tuples go at VACUUM, WAL at
    /// its recycling: see the README).
    pub fn after_erasure(&self) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Sqlite(s) => s.checkpoint_truncate(),
            Backend::Postgres(_) => Ok(()),
        }
    }

    /// At most `limit` entries with `seq > after`, in order (the log's
    /// catch-up reads).
    pub fn entries_after(&self, after: u64, limit: u64) -> Result<Vec<Entry>, StoreError> {
        let (after, limit) = (int(after)?, int(limit)?);
        self.tx(Mode::Read, |tx| {
            tx.query_map(&format!("SELECT {COLUMNS} FROM ledger WHERE seq > $1 ORDER BY seq LIMIT $2"), &[after, limit], entry)
        })
    }

    /// The key-rotation entries, oldest first (rotations have an empty
    /// subject, which the subject index finds; no other record has one).
    pub fn rotations(&self) -> Result<Vec<Entry>, StoreError> {
        let all = self.tx(Mode::Read, |tx| {
            tx.query_map(&format!("SELECT {COLUMNS} FROM ledger WHERE subject = $1 ORDER BY seq LIMIT 1000"), &["".into()], entry)
        })?;
        Ok(all.into_iter().filter(|e| ledger::parse_rotation(&e.record).is_some()).collect())
    }

    /// Number of entries.
    pub fn len(&self) -> Result<u64, StoreError> {
        self.tx(Mode::Read, |tx| tx.query_opt("SELECT COUNT(*) FROM ledger", &[], |r| r.uint(0))).map(Option::unwrap_or_default)
    }

    /// Whether the ledger has no entry.
    pub fn is_empty(&self) -> Result<bool, StoreError> {
        Ok(self.len()? == 0)
    }

    /// The public key of the first entry (what an export names).
    fn first_public_key(&self) -> Result<Option<String>, StoreError> {
        self.tx(Mode::Read, |tx| tx.query_opt("SELECT public_key FROM ledger ORDER BY seq LIMIT 1", &[], |r| r.text(0)))
    }
}

fn owned(idempotency: Option<(&str, &str)>) -> Option<(String, String)> {
    idempotency.map(|(k, r)| (k.to_string(), r.to_string()))
}

fn borrowed(idempotency: &Option<(String, String)>) -> Option<(&str, &str)> {
    idempotency.as_ref().map(|(k, r)| (k.as_str(), r.as_str()))
}

/// The first receipt of an idempotency key already used with this
/// request; a conflict when used with another. Inside a write transaction.
fn replay(tx: &mut dyn Tx, idempotency: Option<(&str, &str)>) -> Result<Option<Appended>, StoreError> {
    let Some((key, req)) = idempotency else {
        return Ok(None);
    };
    let seen =
        tx.query_opt("SELECT request_sha256, seq FROM idempotency WHERE key = $1", &[key.into()], |r| Ok((r.text(0)?, r.int(1)?)))?;
    let Some((seen_req, seq)) = seen else {
        return Ok(None);
    };
    if seen_req != req {
        return Err(StoreError::IdempotencyConflict);
    }
    let e = entry_at(tx, seq)?;
    Ok(Some(Appended { receipt: e.receipt(), replayed: true }))
}

/// The entry at `seq`, which must exist (it is referenced).
fn entry_at(tx: &mut dyn Tx, seq: i64) -> Result<Entry, StoreError> {
    tx.query_opt(&format!("SELECT {COLUMNS} FROM ledger WHERE seq = $1"), &[seq.into()], entry)?
        .ok_or_else(|| StoreError::Db(format!("entry {seq} is referenced but missing")))
}

/// Chains, signs and inserts one canonical record (and its idempotency
/// key) inside the caller's write transaction, which holds the writer
/// lock: the head read here stays the head until commit.
fn append_entry(
    tx: &mut dyn Tx,
    id: &str,
    subject: &str,
    canonical: String,
    idempotency: Option<(&str, &str)>,
    signer: &Signer,
) -> Result<Entry, StoreError> {
    if tx.query_opt("SELECT seq FROM ledger WHERE id = $1", &[id.into()], |_| Ok(()))?.is_some() {
        return Err(StoreError::DuplicateId);
    }
    // After `rotate-key` the old key signs nothing more, even in an
    // instance still running with it (several share one PostgreSQL).
    let pinned = tx.query_opt("SELECT key_id FROM key_checks WHERE name = 'signing'", &[], |r| r.text(0))?;
    if let Some(pinned) = pinned.filter(|p| Some(p) != super::log::key_id(signer.public_key_hex()).as_ref()) {
        return Err(StoreError::KeyMismatch(format!(
            "the signing key was rotated (key {pinned} is in force): restart with the new key file"
        )));
    }
    let head = tx.query_opt("SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1", &[], |r| Ok((r.uint(0)?, r.text(1)?)))?;
    let (seq, prev_hash) = match head {
        Some((s, h)) => (s + 1, h),
        None => (1, GENESIS.to_string()),
    };
    let hash =
        ledger::chain_hash(&prev_hash, &canonical).ok_or_else(|| StoreError::Db("the chain head's hash is not 64 hex digits".into()))?;
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
    tx.exec(
        &format!("INSERT INTO ledger ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"),
        &[
            int(e.seq)?,
            (&e.id).into(),
            (&e.subject).into(),
            (&e.record).into(),
            (&e.prev_hash).into(),
            (&e.hash).into(),
            (&e.signed_at).into(),
            (&e.signature).into(),
            (&e.public_key).into(),
        ],
    )?;
    if let Some((key, req)) = idempotency {
        tx.exec("INSERT INTO idempotency (key, request_sha256, seq) VALUES ($1, $2, $3)", &[key.into(), req.into(), int(e.seq)?])?;
    }
    Ok(e)
}

/// Verifies a whole ledger.
pub fn verify(store: &Store, public_key: Option<&str>) -> Result<ledger::Verified, ledger::Broken> {
    let mut v = ledger::ChainVerifier::new(public_key.map(str::to_string));
    let r = store.for_each(|e| v.push(&e).map_err(VerifyErr::Broken));
    match r {
        Ok(()) => Ok(ledger::Verified {
            entries: v.count(),
            head: v.head().to_string(),
            public_key: v.current_key().map(str::to_string),
            rotations: v.rotations(),
        }),
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
    let public_key = store.first_public_key()?.unwrap_or_default();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_strings_select_the_backend() {
        let p = |s: &str| s.parse::<Database>();
        assert_eq!(p("fiable-consent.sqlite"), Ok(Database::Sqlite("fiable-consent.sqlite".into())));
        assert_eq!(p("sqlite:l.db"), Ok(Database::Sqlite("l.db".into())));
        assert_eq!(p("sqlite:///var/lib/l.db"), Ok(Database::Sqlite("/var/lib/l.db".into())));
        assert_eq!(p("postgres://u:pw@127.0.0.1:5432/fiable"), Ok(Database::Postgres("postgres://u:pw@127.0.0.1:5432/fiable".into())));
        assert!(matches!(p("postgresql://db.internal/fiable"), Ok(Database::Postgres(_))));
        assert!(p("mysql://x/y").unwrap_err().contains("unknown database scheme"));
        assert!(p("sqlite:").is_err());
        assert!(p("").is_err());
        assert!(p("postgres://u@h:notaport/db").is_err());
    }

    #[test]
    fn printed_urls_hide_the_password() {
        let d: Database = "postgres://fiable:s3cret@db.internal:5432/fiable?connect_timeout=5".parse().unwrap();
        assert_eq!(d.to_string(), "postgres://fiable:***@db.internal:5432/fiable?connect_timeout=5");
        assert!(!format!("{d:?}").contains("s3cret"));
        assert_eq!(redact("postgres://fiable@db/x"), "postgres://fiable@db/x");
        assert_eq!(redact("postgres://u:p@ss@db/x"), "postgres://u:***@db/x");
    }

    #[test]
    fn placeholders_bind_by_number_in_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("t.sqlite")).unwrap();
        let r = s
            .tx(Mode::Read, |tx| {
                tx.query_opt("SELECT $2 || '-' || $1 || '-' || $2, $3 + 1", &["a".into(), "b".into(), Value::Int(41)], |r| {
                    Ok((r.text(0)?, r.int(1)?))
                })
            })
            .unwrap();
        assert_eq!(r, Some(("b-a-b".to_string(), 42)));
        let e = s.tx(Mode::Read, |tx| tx.query_opt("SELECT $1", &["a".into(), "b".into()], |_| Ok(()))).unwrap_err();
        assert!(e.to_string().contains("$2 is not used"), "{e}");
        let e = s.tx(Mode::Read, |tx| tx.query_opt("SELECT $2", &["a".into()], |_| Ok(()))).unwrap_err();
        assert!(e.to_string().contains("placeholder $2"), "{e}");
    }
}
