//! Crash test of the consent ledger: the real `fiable-lookup serve` on a
//! real socket, SIGKILLed in the middle of a burst of submissions, then
//! restarted on the same SQLite file. Every acknowledged receipt must be
//! there and the chain must verify.
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

const BIN: &str = env!("CARGO_BIN_EXE_fiable-lookup");
const ADMIN: &str = "crash-test-admin";
/// The sample is a store record: advisor capture needs a key (admin will do).
const AUTH: (&str, &str) = ("authorization", "Bearer crash-test-admin");
const THREADS: usize = 8;
const PER_THREAD: usize = 50;
const KILL_AFTER: usize = 200;

/// One HTTP/1.1 request over a fresh connection: (status, body).
fn http(port: u16, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(20)))?;
    let mut req = format!("{method} {path} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: {}\r\n", body.len());
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

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A small BAN file (the first rows of the Paris one): the service starts fast.
fn mini_ban(dir: &Path) -> PathBuf {
    let gz = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../data/raw/ban/adresses-75.csv.gz");
    let r = std::io::BufReader::new(flate2::read::GzDecoder::new(std::fs::File::open(gz).unwrap()));
    let out = dir.join("mini.csv");
    let mut f = std::fs::File::create(&out).unwrap();
    for line in r.lines().take(40) {
        writeln!(f, "{}", line.unwrap()).unwrap();
    }
    out
}

fn start(dir: &Path, port: u16, ban: &Path) -> Child {
    let mut child = Command::new(BIN)
        .arg("serve")
        .args(["--bind", &format!("127.0.0.1:{port}")])
        .arg("--ban")
        .arg(ban)
        .args(["--www", "/nonexistent", "--pkg", "/nonexistent", "--admin-key", ADMIN])
        .arg("--consent-db")
        .arg(dir.join("ledger.sqlite"))
        .arg("--consent-key")
        .arg(dir.join("ledger.key"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn fiable-lookup serve");
    let t = Instant::now();
    while http(port, "GET", "/v1/consents/public-key", &[], "").map(|r| r.0).ok() != Some(200) {
        assert!(t.elapsed() < Duration::from_secs(60), "service did not start");
        assert!(child.try_wait().unwrap().is_none(), "service exited at start");
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

fn record(id: &str) -> String {
    let mut v: Value = serde_json::from_str(include_str!("../../core/tests/fixtures/consent_record.json")).unwrap();
    v.as_object_mut().unwrap().remove("withdraws");
    v["record_id"] = id.into();
    v["subject"] = format!("hmac-sha256:crash{}", id.len() % 3).into();
    v.to_string()
}

#[test]
fn every_acknowledged_receipt_survives_a_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let ban = mini_ban(dir.path());
    let port = free_port();
    let mut child = start(dir.path(), port, &ban);
    let (_, pk) = http(port, "GET", "/v1/consents/public-key", &[], "").unwrap();
    let pk: Value = serde_json::from_str(&pk).unwrap();
    let pk = pk["public_key"].as_str().unwrap().to_string();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("ledger.key")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "signing key file mode");
        // The blind-index key is created beside the ledger, as private.
        let mode = std::fs::metadata(dir.path().join("ledger.index.key")).unwrap().permissions().mode();
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
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    let acked: Vec<Receipt> = workers.into_iter().flat_map(|w| w.join().unwrap()).collect();
    let sent = sent.load(Ordering::SeqCst);

    // Restart on the same file and key.
    let mut child = start(dir.path(), port, &ban);
    let (_, pk2) = http(port, "GET", "/v1/consents/public-key", &[], "").unwrap();
    assert!(pk2.contains(&pk), "same key after restart");
    let db = dir.path().join("ledger.sqlite");
    let ro = Store::open_read_only(&db).unwrap();
    let mut found = 0;
    for r in &acked {
        let e = ro.by_id(&r.id).unwrap().unwrap_or_else(|| panic!("acknowledged {} lost", r.id));
        assert_eq!(&e.receipt(), r, "stored entry differs from its receipt");
        found += 1;
    }
    let v = store::verify(&ro, Some(&pk)).unwrap_or_else(|b| panic!("chain broken after the crash: {b}"));
    println!(
        "crash test: sent {sent}, acknowledged {}, found {found}, ledger entries {} (SIGKILL after {KILL_AFTER} acks)",
        acked.len(),
        v.entries
    );
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
    child.kill().unwrap();
    child.wait().unwrap();

    // The CLI: verify the file, export it, verify the export, then break it.
    let run = |args: &[&std::ffi::OsStr]| {
        let o = Command::new(BIN).args(args).output().unwrap();
        (o.status.code(), String::from_utf8_lossy(&o.stdout).to_string())
    };
    let jsonl = dir.path().join("ledger.jsonl");
    let (code, out) = run(&["verify".as_ref(), "--ledger".as_ref(), db.as_os_str(), "--public-key".as_ref(), pk.as_ref()]);
    assert_eq!(code, Some(0), "{out}");
    let (code, _) = run(&["export".as_ref(), "--consent-db".as_ref(), db.as_os_str(), "--out".as_ref(), jsonl.as_os_str()]);
    assert_eq!(code, Some(0));
    let (code, out) = run(&["verify".as_ref(), "--ledger".as_ref(), jsonl.as_os_str()]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains(&format!("OK, {} entries", v.entries + 1)), "{out}");
    let receipt = dir.path().join("receipt.json");
    std::fs::write(&receipt, serde_json::to_string(&r).unwrap()).unwrap();
    let rec = dir.path().join("record.json");
    std::fs::write(&rec, record("after-restart")).unwrap();
    let (code, out) = run(&["verify".as_ref(), "--receipt".as_ref(), receipt.as_os_str(), "--record".as_ref(), rec.as_os_str(), "--public-key".as_ref(), pk.as_ref()]);
    assert_eq!(code, Some(0), "{out}");
    std::fs::write(&rec, record("after-restart").replacen("granted", "refused", 1)).unwrap();
    let (code, out) = run(&["verify".as_ref(), "--receipt".as_ref(), receipt.as_os_str(), "--record".as_ref(), rec.as_os_str(), "--public-key".as_ref(), pk.as_ref()]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("record was changed"), "{out}");
    let text = std::fs::read_to_string(&jsonl).unwrap();
    let tampered = text.replacen("\\\"decision\\\":\\\"refused\\\"", "\\\"decision\\\":\\\"granted\\\"", 1);
    assert_ne!(tampered, text);
    std::fs::write(&jsonl, tampered).unwrap();
    let (code, out) = run(&["verify".as_ref(), "--ledger".as_ref(), jsonl.as_os_str()]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("BROKEN at seq 1:") && out.contains("line 2, byte "), "{out}");
}
