//! PostgreSQL: several service instances share one database and one chain.
//!
//! - Every write transaction first takes a transaction-level advisory lock
//!   ([`LOCK_KEY`]), so reading the chain head, inserting the entry and its
//!   idempotency row happen one transaction at a time across all
//!   instances; writes run at READ COMMITTED, so each statement after the
//!   lock sees what the previous holder committed. The unique `seq` and
//!   `hash` constraints remain the backstop.
//! - Migrations run at start under the same lock, in one transaction (DDL
//!   is transactional here): two instances starting together migrate once.
//! - Append-only: a trigger refuses UPDATE, DELETE and TRUNCATE on `ledger`.
//! - A small pool of connections (`--database-pool`), each with a connect
//!   timeout and server-side statement, lock and idle-transaction
//!   timeouts; a connection the server dropped is discarded and the next
//!   call reconnects, so an outage is an error (503), then heals.
//! - TLS with the server's certificate and host name verified
//!   (`sslmode=verify-full`, the CA in `sslrootcert=FILE`), or plain text
//!   (`sslmode=disable` or no `sslmode`): never TLS that trusts whatever
//!   certificate it is shown, never a silent fall back to plain text. See
//!   [`Tls`].
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use ::postgres::config::{Host, SslMode};
use ::postgres::types::{FromSql, IsNull, ToSql, Type, to_sql_checked};
use ::postgres::{Client, Config, IsolationLevel, NoTls, Statement};
use bytes::BytesMut;
use tokio_postgres_rustls::MakeRustlsConnect;

use super::tx::{Row, Tx, Value};
use super::{Mode, StoreError};

/// Migrations, in order; the version of each is its index + 1. Keep in
/// step with `sqlite.rs` (same tables, same columns; integers are BIGINT).
const MIGRATIONS: &[&str] = &[
    // 1: the ledger, idempotency keys, append-only trigger.
    "CREATE TABLE ledger (
        seq BIGINT PRIMARY KEY,
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
        seq BIGINT NOT NULL REFERENCES ledger(seq)
    );
    CREATE FUNCTION fiable_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'the consent ledger is append-only';
    END $$;
    CREATE TRIGGER ledger_no_change BEFORE UPDATE OR DELETE ON ledger
        FOR EACH ROW EXECUTE FUNCTION fiable_ledger_append_only();
    CREATE TRIGGER ledger_no_truncate BEFORE TRUNCATE ON ledger
        FOR EACH STATEMENT EXECUTE FUNCTION fiable_ledger_append_only();",
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
        seq BIGINT NOT NULL REFERENCES ledger(seq)
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
        returns BIGINT NOT NULL,
        last_returned_on TEXT NOT NULL
    );",
];

/// Key of the advisory lock that serialises writers ("fiable-c" in ASCII).
pub const LOCK_KEY: i64 = 0x6669_6162_6c65_2d63;

/// Connect timeout, unless the URL sets `connect_timeout`; also how long a
/// call waits for a free pooled connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Set on every connection: no statement, lock wait or forgotten
/// transaction holds the writer lock forever.
const SESSION: &str = "SET statement_timeout = '30s'; SET lock_timeout = '30s'; SET idle_in_transaction_session_timeout = '60s'";

/// The PostgreSQL side of the store: a bounded pool of connections.
pub(super) struct Pg {
    config: Config,
    tls: Connector,
    read_only: bool,
    max: usize,
    /// Idle connections, and how many are lent out.
    pool: Mutex<(Vec<Conn>, usize)>,
    freed: Condvar,
}

/// A connection and the statements prepared on it: the store's queries are
/// a fixed set, so each is parsed once per connection, which halves the
/// round trips made while the writer lock is held.
struct Conn {
    client: Client,
    statements: HashMap<String, Statement>,
}

impl std::fmt::Debug for Pg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Not the config: it may hold a password.
        f.debug_struct("Pg").field("read_only", &self.read_only).field("max", &self.max).finish_non_exhaustive()
    }
}

impl From<::postgres::Error> for StoreError {
    fn from(e: ::postgres::Error) -> Self {
        // The server's message and code, not its DETAIL (which may quote
        // the values of a row).
        match e.as_db_error() {
            Some(d) => StoreError::Db(format!("{} {}: {}", d.severity(), d.code().code(), d.message())),
            None => {
                // "error connecting to server" alone does not say why: add the causes.
                let mut msg = e.to_string();
                let mut cause = std::error::Error::source(&e);
                while let Some(c) = cause {
                    msg.push_str(&format!(": {c}"));
                    cause = c.source();
                }
                StoreError::Db(msg)
            }
        }
    }
}

/// How the connection to the server is made, from the URL's `sslmode`
/// and `sslrootcert` (which the client library does not read itself).
///
/// libpq's `prefer` and `allow` may end in plain text, and its `require`
/// (without a CA) takes any certificate: both let someone on the path read
/// the ledger's traffic unnoticed. So `require`, `verify-ca` and
/// `verify-full` all mean verify-full here (the chain up to the given CA
/// and the host name), `prefer` and `allow` are refused, and plain text is
/// only what the URL asks for by leaving `sslmode` out or with `disable`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Tls {
    /// Plain text.
    Off,
    /// TLS, the certificate verified against the CAs of this PEM file and
    /// the URL's host name (not `hostaddr`) checked against it.
    VerifyFull { ca: PathBuf },
}

/// What `Pg::connect` hands the client library.
#[derive(Clone)]
enum Connector {
    Plain,
    Rustls(MakeRustlsConnect),
}

/// Parses a `postgres://` URL (or key=value string) and applies the
/// defaults: connect timeout, TCP keepalive after 30 s idle.
pub(super) fn parse_config(url: &str) -> Result<(Config, Tls), StoreError> {
    let (rest, mode, ca) = take_tls_params(url)?;
    let tls = match (mode.as_deref(), ca) {
        (None | Some("disable"), None) => Tls::Off,
        (Some("disable"), Some(_)) => return Err(bad_url("sslrootcert with sslmode=disable: choose one")),
        (None | Some("require" | "verify-ca" | "verify-full"), Some(ca)) => Tls::VerifyFull { ca },
        (Some("require" | "verify-ca" | "verify-full"), None) => {
            return Err(bad_url(
                "TLS is verified against a CA: add sslrootcert=FILE (the PEM file of the CA that signed the server's certificate)",
            ));
        }
        (Some(m @ ("prefer" | "allow")), _) => {
            return Err(bad_url(&format!(
                "sslmode={m} may fall back to plain text unnoticed: use sslmode=verify-full&sslrootcert=FILE, or sslmode=disable on a private network"
            )));
        }
        (Some(m), _) => return Err(bad_url(&format!("sslmode={m}: expected verify-full, verify-ca, require or disable"))),
    };
    // The error's cause names the option ("unknown option `sslcert`").
    let mut config: Config = rest.parse().map_err(|e: ::postgres::Error| match StoreError::from(e) {
        StoreError::Db(m) => bad_url(&m),
        e => e,
    })?;
    config.ssl_mode(if tls == Tls::Off { SslMode::Disable } else { SslMode::Require });
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    config.keepalives_idle(Duration::from_secs(30));
    if config.get_application_name().is_none() {
        config.application_name("fiable-lookup");
    }
    Ok((config, tls))
}

fn bad_url(why: &str) -> StoreError {
    StoreError::Db(format!("bad PostgreSQL URL: {why}"))
}

/// Takes `sslmode` and `sslrootcert` out of a URL's query string: the URL
/// without them, and their (percent-decoded) values.
fn take_tls_params(url: &str) -> Result<(String, Option<String>, Option<PathBuf>), StoreError> {
    let Some((base, query)) = url.split_once('?') else {
        return Ok((url.to_string(), None, None));
    };
    let (mut mode, mut ca, mut kept) = (None, None, vec![]);
    for pair in query.split('&') {
        match pair.split_once('=') {
            Some(("sslmode", v)) => mode = Some(percent_decode(v)?),
            Some(("sslrootcert", v)) => ca = Some(PathBuf::from(percent_decode(v)?)),
            _ => kept.push(pair),
        }
    }
    let rest = if kept.is_empty() { base.to_string() } else { format!("{base}?{}", kept.join("&")) };
    Ok((rest, mode, ca))
}

fn percent_decode(s: &str) -> Result<String, StoreError> {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        out.push(match b {
            b'%' => {
                let hex = [bytes.next(), bytes.next()];
                let hex: Option<Vec<u8>> = hex.into_iter().collect();
                hex.as_deref()
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| bad_url(&format!("bad percent-encoding in {s:?}")))?
            }
            b => b,
        });
    }
    String::from_utf8(out).map_err(|_| bad_url(&format!("{s:?} is not UTF-8 once decoded")))
}

/// The rustls client of `Tls::VerifyFull`: the CAs of `ca` as the only
/// roots (not the system's: the database's CA is usually a private one),
/// TLS 1.2 and 1.3, no client certificate.
fn rustls_connector(ca: &std::path::Path) -> Result<MakeRustlsConnect, StoreError> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    let what = |e: &dyn std::fmt::Display| StoreError::Db(format!("PostgreSQL CA file {} (sslrootcert): {e}", ca.display()));
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca).map_err(|e| what(&e))? {
        roots.add(cert.map_err(|e| what(&e))?).map_err(|e| what(&e))?;
    }
    if roots.is_empty() {
        return Err(what(&"no certificate in it"));
    }
    // ring, deprecated by rustls for its lack of post-quantum key
    // exchange: aws-lc-rs would add a C toolchain build for that alone; the
    // link to the database is usually a private network besides.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| what(&e))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

impl Pg {
    /// Connects (one connection, to fail early when the database is
    /// unreachable) and, unless `read_only`, runs pending migrations.
    pub(super) fn open(url: &str, pool: usize, read_only: bool) -> Result<Self, StoreError> {
        let (config, tls) = parse_config(url)?;
        let tls = match tls {
            Tls::Off => Connector::Plain,
            Tls::VerifyFull { ca } => Connector::Rustls(rustls_connector(&ca)?),
        };
        let pg = Pg { config, tls, read_only, max: pool.max(1), pool: Mutex::new((vec![], 0)), freed: Condvar::new() };
        let mut first = pg.connect()?;
        if !read_only {
            migrate(&mut first.client)?;
        }
        pg.lock().0.push(first);
        Ok(pg)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (Vec<Conn>, usize)> {
        self.pool.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn connect(&self) -> Result<Conn, StoreError> {
        let mut c = match &self.tls {
            Connector::Plain => self.config.connect(NoTls)?,
            Connector::Rustls(tls) => self.config.connect(tls.clone()).map_err(|e| self.tls_refused(e))?,
        };
        c.batch_execute(SESSION)?;
        if self.read_only {
            // Verify and export read the whole ledger in one statement.
            c.batch_execute("SET default_transaction_read_only = on; SET statement_timeout = 0")?;
        }
        Ok(Conn { client: c, statements: HashMap::new() })
    }

    /// A failed TLS connection, said as such: which host name the
    /// certificate was checked against.
    fn tls_refused(&self, e: ::postgres::Error) -> StoreError {
        let e = StoreError::from(e);
        let host = match self.config.get_hosts().first() {
            Some(Host::Tcp(h)) => h.clone(),
            _ => String::new(),
        };
        match e {
            StoreError::Db(m) if !m.starts_with("ERROR") && !m.starts_with("FATAL") => {
                StoreError::Db(format!("TLS connection to PostgreSQL at {host:?} refused (sslmode=verify-full): {m}"))
            }
            e => e,
        }
    }

    /// A connection: an idle one, or a new one while fewer than `max` are
    /// out; else waits for one to come back.
    fn lease(&self) -> Result<Lease<'_>, StoreError> {
        let mut g = self.lock();
        loop {
            while let Some(c) = g.0.pop() {
                if !c.client.is_closed() {
                    g.1 += 1;
                    return Ok(Lease { pg: self, client: Some(c) });
                }
            }
            if g.1 < self.max {
                g.1 += 1;
                drop(g);
                let mut lease = Lease { pg: self, client: None };
                lease.client = Some(self.connect()?);
                return Ok(lease);
            }
            let (g2, waited) = self.freed.wait_timeout(g, CONNECT_TIMEOUT).unwrap_or_else(|p| p.into_inner());
            g = g2;
            if waited.timed_out() && g.0.is_empty() && g.1 >= self.max {
                return Err(StoreError::Db(format!("no PostgreSQL connection free within {} s", CONNECT_TIMEOUT.as_secs())));
            }
        }
    }

    /// Runs `f` in a transaction. A write takes the writer lock first and
    /// runs at READ COMMITTED; a read runs in a read-only REPEATABLE READ
    /// transaction (one snapshot, e.g. for a whole export).
    pub(super) fn tx<T>(&self, mode: Mode, f: impl FnOnce(&mut dyn Tx) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let mut lease = self.lease()?;
        let Conn { client, statements } = lease.client.as_mut().ok_or_else(|| StoreError::Db("no connection".into()))?;
        let tx = match mode {
            Mode::Write => client.build_transaction().isolation_level(IsolationLevel::ReadCommitted).start()?,
            Mode::Read => client.build_transaction().isolation_level(IsolationLevel::RepeatableRead).read_only(true).start()?,
        };
        let mut tx = PgTx { tx, statements };
        if mode == Mode::Write {
            tx.exec("SELECT pg_advisory_xact_lock($1)", &[Value::Int(LOCK_KEY)])?;
        }
        let out = f(&mut tx)?;
        tx.tx.commit()?;
        Ok(out)
    }
}

impl Drop for Pg {
    fn drop(&mut self) {
        // Each client owns a small runtime, which must not be dropped on
        // an async task's thread: close them on a plain thread.
        let clients = std::mem::take(&mut self.lock().0);
        if !clients.is_empty() {
            let _ = std::thread::spawn(move || drop(clients)).join();
        }
    }
}

/// A pooled connection, given back (if still open) when dropped.
struct Lease<'a> {
    pg: &'a Pg,
    client: Option<Conn>,
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        let mut g = self.pg.lock();
        g.1 = g.1.saturating_sub(1);
        if let Some(c) = self.client.take() {
            if !c.client.is_closed() {
                g.0.push(c);
            }
        }
        drop(g);
        self.pg.freed.notify_one();
    }
}

/// Runs the pending migrations under a transaction-scoped advisory lock,
/// so that instances starting together migrate one after the other.
fn migrate(c: &mut Client) -> Result<(), StoreError> {
    let mut statements = HashMap::new();
    let mut tx = PgTx { tx: c.transaction()?, statements: &mut statements };
    tx.tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_KEY])?;
    super::migrate(&mut tx, MIGRATIONS)?;
    tx.tx.commit()?;
    Ok(())
}

impl ToSql for Value {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(v) => match *ty {
                Type::INT8 => v.to_sql(ty, out),
                Type::INT4 => i32::try_from(*v)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(*v)?.to_sql(ty, out),
                _ => Err(format!("an integer value for a {ty} parameter").into()),
            },
            Value::Text(v) if <&str as ToSql>::accepts(ty) => v.as_str().to_sql(ty, out),
            Value::Text(_) => Err(format!("a text value for a {ty} parameter").into()),
        }
    }

    fn accepts(ty: &Type) -> bool {
        matches!(*ty, Type::INT8 | Type::INT4 | Type::INT2) || <&str as ToSql>::accepts(ty)
    }

    to_sql_checked!();
}

fn row(r: &::postgres::Row) -> Result<Row, StoreError> {
    let mut out = Vec::with_capacity(r.len());
    for (i, col) in r.columns().iter().enumerate() {
        let ty = col.type_();
        out.push(match *ty {
            Type::INT8 => r.try_get::<_, Option<i64>>(i)?.map_or(Value::Null, Value::Int),
            Type::INT4 => r.try_get::<_, Option<i32>>(i)?.map_or(Value::Null, |v| Value::Int(v.into())),
            Type::INT2 => r.try_get::<_, Option<i16>>(i)?.map_or(Value::Null, |v| Value::Int(v.into())),
            _ if <String as FromSql>::accepts(ty) => r.try_get::<_, Option<String>>(i)?.map_or(Value::Null, Value::Text),
            _ => {
                return Err(StoreError::Db(format!("column {}: type {ty} is not read by the store", col.name())));
            }
        });
    }
    Ok(Row(out))
}

/// A transaction and its connection's prepared statements.
struct PgTx<'a> {
    tx: ::postgres::Transaction<'a>,
    statements: &'a mut HashMap<String, Statement>,
}

impl PgTx<'_> {
    fn statement(&mut self, sql: &str) -> Result<Statement, StoreError> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let s = self.tx.prepare(sql)?;
        self.statements.insert(sql.to_string(), s.clone());
        Ok(s)
    }
}

impl Tx for PgTx<'_> {
    fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
        Ok(self.tx.batch_execute(sql)?)
    }

    fn exec(&mut self, sql: &str, args: &[Value]) -> Result<u64, StoreError> {
        let st = self.statement(sql)?;
        let params: Vec<&(dyn ToSql + Sync)> = args.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
        Ok(self.tx.execute(&st, &params)?)
    }

    fn each(&mut self, sql: &str, args: &[Value], f: &mut dyn FnMut(Row) -> Result<(), StoreError>) -> Result<(), StoreError> {
        use ::postgres::fallible_iterator::FallibleIterator;
        let st = self.statement(sql)?;
        let mut rows = self.tx.query_raw(&st, args.iter())?;
        while let Some(r) = rows.next()? {
            f(row(&r)?)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sslmode_and_sslrootcert_choose_verified_tls_or_plain_text() {
        let tls = |url: &str| parse_config(url).map(|(_, t)| t).map_err(|e| e.to_string());
        assert_eq!(tls("postgres://u@h/db"), Ok(Tls::Off));
        assert_eq!(tls("postgres://u@h/db?sslmode=disable&connect_timeout=3"), Ok(Tls::Off));
        let ca = Ok(Tls::VerifyFull { ca: PathBuf::from("/etc/fiable/db ca.pem") });
        assert_eq!(tls("postgres://u@h/db?sslmode=verify-full&sslrootcert=/etc/fiable/db%20ca.pem"), ca);
        // A CA alone asks for verification; require and verify-ca verify the name too.
        assert_eq!(tls("postgres://u@h/db?sslrootcert=/etc/fiable/db%20ca.pem"), ca);
        assert_eq!(tls("postgres://u@h/db?sslmode=require&sslrootcert=/etc/fiable/db%20ca.pem&application_name=x"), ca);
        assert_eq!(tls("postgres://u@h/db?sslmode=verify-ca&sslrootcert=/etc/fiable/db%20ca.pem"), ca);
        for (url, why) in [
            ("postgres://u@h/db?sslmode=verify-full", "sslrootcert=FILE"),
            ("postgres://u@h/db?sslmode=require", "sslrootcert=FILE"),
            ("postgres://u@h/db?sslmode=prefer&sslrootcert=/ca.pem", "fall back to plain text"),
            ("postgres://u@h/db?sslmode=allow", "fall back to plain text"),
            ("postgres://u@h/db?sslmode=disable&sslrootcert=/ca.pem", "choose one"),
            ("postgres://u@h/db?sslmode=on", "expected verify-full"),
            ("postgres://u@h/db?sslrootcert=%zz", "percent-encoding"),
            ("postgres://u@h/db?sslcert=/c.pem", "unknown option"),
        ] {
            let e = tls(url).unwrap_err();
            assert!(e.contains(why), "{url}: {e}");
        }
        // The other options reach the client library; TLS options do not.
        let (config, _) = parse_config("postgres://u@h/db?sslmode=disable&application_name=ledger&connect_timeout=3").unwrap();
        assert_eq!((config.get_application_name(), config.get_connect_timeout()), (Some("ledger"), Some(&Duration::from_secs(3))));
        assert_eq!(config.get_ssl_mode(), SslMode::Disable);
        let (config, _) = parse_config("postgres://u@h/db?sslrootcert=/ca.pem").unwrap();
        assert_eq!(config.get_ssl_mode(), SslMode::Require);
    }

    #[test]
    fn a_ca_file_without_certificates_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("empty.pem");
        std::fs::write(&f, "not a certificate\n").unwrap();
        let e = rustls_connector(&f).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("no certificate in it"), "{e}");
    }
}
