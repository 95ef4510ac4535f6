//! The real `fiable-lookup serve` on a real socket, for the consent tests
//! (`consent_crash.rs`, `consent_pg.rs`): start it on a database, talk
//! HTTP/1.1 to it, and the SIGKILL crash scenario both stores must pass.
#![allow(dead_code)]
use std::ffi::OsString;
use std::io::{BufRead, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use fiable_lookup::consent::ledger::Receipt;
use fiable_lookup::consent::store::{self, Store};
use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_fiable-lookup");
pub const ADMIN: &str = "crash-test-admin";
/// The sample is a store record: advisor capture needs a key (admin will do).
pub const AUTH: (&str, &str) = ("authorization", "Bearer crash-test-admin");

/// One HTTP/1.1 request over a fresh connection: (status, body).
pub fn http(port: u16, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes())?;
    let mut resp = Vec::new();
    s.read_to_end(&mut resp)?;
    let text = String::from_utf8_lossy(&resp).to_string();
    let status = text.split(' ').nth(1).and_then(|c| c.parse().ok()).ok_or(std::io::ErrorKind::InvalidData)?;
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    Ok((status, body))
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A small BAN file (the first rows of the Paris one): the service starts fast.
pub fn mini_ban(dir: &Path) -> PathBuf {
    let gz = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../data/raw/ban/adresses-75.csv.gz");
    let r = std::io::BufReader::new(flate2::read::GzDecoder::new(std::fs::File::open(gz).unwrap()));
    let out = dir.join("mini.csv");
    let mut f = std::fs::File::create(&out).unwrap();
    for line in r.lines().take(40) {
        writeln!(f, "{}", line.unwrap()).unwrap();
    }
    out
}

/// A running `fiable-lookup serve`, SIGKILLed when dropped: also when a
/// test fails, so that none outlives it.
pub struct Service(Child);

impl Service {
    /// SIGKILL, then reap.
    pub fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Starts `fiable-lookup serve` on `port` with the ledger given by
/// `db_args` (e.g. `--consent-db FILE` or `--database URL`) and the
/// signing key `dir/ledger.key`; returns once it answers.
pub fn start(dir: &Path, port: u16, ban: &Path, db_args: &[OsString]) -> Service {
    let mut child = Service(
        Command::new(BIN)
            .arg("serve")
            .args(["--bind", &format!("127.0.0.1:{port}")])
            .arg("--ban")
            .arg(ban)
            .args(["--www", "/nonexistent", "--pkg", "/nonexistent", "--admin-key", ADMIN])
            // The crash scenarios hammer the ledger from one address on purpose.
            .args(["--rate-limit", "0"])
            .args(db_args)
            .arg("--consent-key")
            .arg(dir.join("ledger.key"))
            .env("RUST_LOG", "warn")
            .env_remove("FIABLE_DATABASE_URL")
            .env_remove("FIABLE_CONSENT_DB")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn fiable-lookup serve"),
    );
    let t = Instant::now();
    while http(port, "GET", "/v1/consents/public-key", &[], "").map(|r| r.0).ok() != Some(200) {
        assert!(t.elapsed() < Duration::from_secs(60), "service did not start");
        assert!(child.0.try_wait().unwrap().is_none(), "service exited at start");
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

/// The sample record of the core's fixtures with id `id`.
pub fn record(id: &str) -> String {
    let mut v: Value = serde_json::from_str(include_str!("../../../consent/tests/fixtures/consent_record.json")).unwrap();
    v.as_object_mut().unwrap().remove("withdraws");
    v["record_id"] = id.into();
    v["subject"] = format!("hmac-sha256:crash{}", id.len() % 3).into();
    v.to_string()
}

/// The service's public key.
pub fn public_key(port: u16) -> String {
    let (_, pk) = http(port, "GET", "/v1/consents/public-key", &[], "").unwrap();
    let pk: Value = serde_json::from_str(&pk).unwrap();
    pk["public_key"].as_str().unwrap().to_string()
}

/// What a crash run saw.
pub struct CrashRun {
    /// The signing key.
    pub public_key: String,
    /// Submissions sent before and during the kill.
    pub sent: usize,
    /// Receipts the service gave (201) before it died.
    pub acked: Vec<Receipt>,
    /// Of those, found in the ledger after the restart.
    pub found: usize,
    /// Ledger entries after the restart (before the one appended after).
    pub entries: u64,
    /// The receipt of the record appended after the restart.
    pub after_restart: Receipt,
}

const THREADS: usize = 8;
const PER_THREAD: usize = 50;
const KILL_AFTER: usize = 200;

/// A burst of submissions from 8 threads, the service SIGKILLed after
/// 200 acknowledgements, restarted on the same database: every
/// acknowledged receipt must be in the ledger (`open` reads it), the chain
/// must verify, continue, and replay an acknowledged request.
pub fn crash_scenario(dir: &Path, db_args: &[OsString], open: &dyn Fn() -> Store) -> CrashRun {
    let ban = mini_ban(dir);
    let port = free_port();
    let mut child = start(dir, port, &ban, db_args);
    let pk = public_key(port);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("ledger.key")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "signing key file mode");
        // The blind-index key is created beside the SQLite ledger (or the
        // signing key, for PostgreSQL), as private.
        let mode = std::fs::metadata(dir.join("ledger.index.key")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "index key file mode");
    }

    let acked_n = Arc::new(AtomicUsize::new(0));
    let sent = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let (acked_n, sent, stop) = (acked_n.clone(), sent.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut acked: Vec<Receipt> = vec![];
                for i in 0..PER_THREAD {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let id = format!("crash-{t}-{i}");
                    sent.fetch_add(1, Ordering::SeqCst);
                    match http(port, "POST", "/v1/consents", &[("idempotency-key", &id), AUTH], &record(&id)) {
                        Ok((201, body)) => {
                            acked.push(serde_json::from_str(&body).expect("receipt"));
                            acked_n.fetch_add(1, Ordering::SeqCst);
                        }
                        Ok((status, body)) => panic!("unexpected {status}: {body}"),
                        Err(_) => break, // the service died under us
                    }
                }
                acked
            })
        })
        .collect();
    while acked_n.load(Ordering::SeqCst) < KILL_AFTER {
        std::thread::sleep(Duration::from_millis(1));
    }
    child.kill(); // SIGKILL
    stop.store(true, Ordering::Relaxed);
    let acked: Vec<Receipt> = workers.into_iter().flat_map(|w| w.join().unwrap()).collect();
    let sent = sent.load(Ordering::SeqCst);

    // Restart on the same database and key.
    let mut child = start(dir, port, &ban, db_args);
    assert_eq!(public_key(port), pk, "same key after restart");
    let ro = open();
    let mut found = 0;
    for r in &acked {
        let e = ro.by_id(&r.id).unwrap().unwrap_or_else(|| panic!("acknowledged {} lost", r.id));
        // The withdrawal capability is only in the answer, never stored.
        let want = Receipt { withdraw_token: None, ..r.clone() };
        assert_eq!(e.receipt(), want, "stored entry differs from its receipt");
        found += 1;
    }
    let v = store::verify(&ro, Some(&pk)).unwrap_or_else(|b| panic!("chain broken after the crash: {b}"));
    assert_eq!(found, acked.len());
    assert!(v.entries as usize >= acked.len() && v.entries as usize <= sent);

    // The chain continues after the restart; the replay of an acknowledged
    // request gives its receipt back.
    let (st, body) = http(port, "POST", "/v1/consents", &[("idempotency-key", "after-restart"), AUTH], &record("after-restart")).unwrap();
    assert_eq!(st, 201, "{body}");
    let r: Receipt = serde_json::from_str(&body).unwrap();
    assert_eq!((r.seq, r.prev_hash.as_str()), (v.entries + 1, v.head.as_str()));
    let first = &acked[0];
    let (st, body) = http(port, "POST", "/v1/consents", &[("idempotency-key", &first.id), AUTH], &record(&first.id)).unwrap();
    assert_eq!((st, serde_json::from_str::<Receipt>(&body).unwrap()), (200, first.clone()));
    child.kill();
    CrashRun { public_key: pk, sent, acked, found, entries: v.entries, after_restart: r }
}

/// Runs the CLI: (exit code, standard output).
pub fn run(args: &[&std::ffi::OsStr]) -> (Option<i32>, String) {
    let o = Command::new(BIN).args(args).env_remove("FIABLE_DATABASE_URL").env_remove("FIABLE_CONSENT_DB").output().unwrap();
    (o.status.code(), String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr))
}
