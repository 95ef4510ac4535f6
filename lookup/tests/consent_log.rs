//! The adversary suite of the verifiable log and the keys (issue 12), on
//! the real `fiable-lookup serve` and real SQLite files: a truncated tail,
//! a rewritten tail, a log re-signed with another key, a restart with
//! another key file, and erasure read back from the database's bytes.
#[path = "common/service.rs"]
mod service;

use std::ffi::OsString;
use std::path::Path;

use serde_json::{Value, json};
use service::{AUTH, http, run};

fn db_args(db: &Path) -> Vec<OsString> {
    vec!["--consent-db".into(), db.into()]
}

fn post(port: u16, id: &str) {
    let (st, body) = http(port, "POST", "/v1/consents", &[AUTH], &service::record(id)).unwrap();
    assert_eq!(st, 201, "{body}");
}

fn get(port: u16, path: &str) -> String {
    let (st, body) = http(port, "GET", path, &[], "").unwrap();
    assert_eq!(st, 200, "{path}: {body}");
    body
}

fn write(dir: &Path, name: &str, text: &str) -> OsString {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.into()
}

fn witness(port: u16, state: &Path, key: Option<&str>) -> (Option<i32>, String) {
    let url = format!("http://127.0.0.1:{port}");
    let mut args: Vec<OsString> = vec!["witness".into(), url.into(), "--state".into(), state.into()];
    if let Some(k) = key {
        args.extend(["--public-key".into(), k.into()]);
    }
    run(&args.iter().map(|a| a.as_os_str()).collect::<Vec<_>>())
}

fn verify(args: &[OsString]) -> (Option<i32>, String) {
    let mut a: Vec<OsString> = vec!["verify".into()];
    a.extend(args.iter().cloned());
    run(&a.iter().map(|a| a.as_os_str()).collect::<Vec<_>>())
}

/// Copies the first `keep` entries of a ledger into a new SQLite file (what
/// someone holding the database can do: the triggers only guard updates).
fn copy_prefix(from: &Path, to: &Path, keep: i64) {
    drop(fiable_lookup::consent::store::Store::open(to).unwrap());
    let c = rusqlite::Connection::open(to).unwrap();
    c.execute("ATTACH DATABASE ?1 AS old", [from.to_str().unwrap()]).unwrap();
    c.execute("INSERT INTO ledger SELECT * FROM old.ledger WHERE seq <= ?1", [keep]).unwrap();
    c.execute("INSERT INTO key_checks SELECT * FROM old.key_checks", []).unwrap();
}

#[test]
fn witness_and_verify_catch_a_truncated_or_rewritten_tail() {
    let dir = tempfile::tempdir().unwrap();
    let ban = service::mini_ban(dir.path());
    let db = dir.path().join("ledger.sqlite");
    let port = service::free_port();
    let mut svc = service::start(dir.path(), port, &ban, &db_args(&db));
    let pk = service::public_key(port);
    let state = dir.path().join("witness.json");

    // Without a key and without --trust-on-first-use the witness refuses.
    let (code, out) = witness(port, &state, None);
    assert_ne!(code, Some(0), "{out}");
    assert!(out.contains("--public-key"), "{out}");

    for i in 0..5 {
        post(port, &format!("log-rec-{i:02}"));
    }
    let (code, out) = witness(port, &state, Some(&pk));
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("PINNED") && out.contains("OK, 5 entries"), "{out}");
    for i in 5..8 {
        post(port, &format!("log-rec-{i:02}"));
    }
    let (code, out) = witness(port, &state, None);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("OK, 8 entries") && !out.contains("PINNED"), "{out}");

    // A receipt's inclusion against a signed head, and a consistency
    // proof, checked offline.
    let inc = get(port, "/v1/log/inclusion?seq=2");
    let p: Value = serde_json::from_str(&inc).unwrap();
    assert_eq!((p["leaf_index"].as_u64(), p["head"]["size"].as_u64()), (Some(1), Some(8)));
    let by_leaf: Value =
        serde_json::from_str(&get(port, &format!("/v1/log/inclusion?leaf_hash={}&tree_size=5", p["leaf_hash"].as_str().unwrap()))).unwrap();
    assert_eq!((by_leaf["receipt"]["seq"].as_u64(), by_leaf["head"]["size"].as_u64()), (Some(2), Some(5)));
    let inc_file = write(dir.path(), "inclusion.json", &inc);
    let receipt_file = write(dir.path(), "receipt.json", &p["receipt"].to_string());
    let (code, out) =
        verify(&["--inclusion".into(), inc_file.clone(), "--receipt".into(), receipt_file, "--public-key".into(), pk.clone().into()]);
    assert_eq!(code, Some(0), "{out}");
    let mut forged = p.clone();
    forged["receipt"]["signed_at"] = "2020-01-01T00:00:00.000Z".into();
    let (code, out) =
        verify(&["--inclusion".into(), write(dir.path(), "forged.json", &forged.to_string()), "--public-key".into(), pk.clone().into()]);
    assert_eq!(code, Some(1), "{out}");
    let cons = get(port, "/v1/log/consistency?first=3");
    let (code, out) = verify(&["--consistency".into(), write(dir.path(), "cons.json", &cons), "--public-key".into(), pk.clone().into()]);
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(http(port, "GET", "/v1/log/inclusion?seq=9", &[], "").unwrap().0, 404);
    assert_eq!(http(port, "GET", "/v1/log/consistency?first=9", &[], "").unwrap().0, 404);
    assert_eq!(http(port, "GET", "/v1/log/inclusion?seq=1&leaf_hash=00", &[], "").unwrap().0, 400);
    assert_eq!(http(port, "GET", "/v1/log/inclusion?seq=x", &[], "").unwrap().0, 400);

    let head8 = get(port, "/v1/log/head");
    let head_file = write(dir.path(), "head8.json", &head8);
    svc.kill();
    let (code, out) =
        verify(&["--ledger".into(), db.clone().into(), "--head".into(), head_file.clone(), "--public-key".into(), pk.clone().into()]);
    assert_eq!(code, Some(0), "{out}");
    let (_, out) = verify(&["--ledger".into(), db.clone().into()]);
    assert!(out.contains("WARNING: no --public-key"), "verify must say it trusts the ledger's own key: {out}");

    // 1. The tail truncated: the chain alone still verifies, the head does not.
    let cut = dir.path().join("cut.sqlite");
    copy_prefix(&db, &cut, 6);
    // The attacker keeps the service's keys (same host).
    std::fs::copy(dir.path().join("ledger.index.key"), dir.path().join("cut.index.key")).unwrap();
    std::fs::copy(dir.path().join("ledger.kek"), dir.path().join("cut.kek")).unwrap();
    let (code, out) = verify(&["--ledger".into(), cut.clone().into(), "--public-key".into(), pk.clone().into()]);
    assert_eq!(code, Some(0), "the truncated chain is self-consistent: {out}");
    let (code, out) =
        verify(&["--ledger".into(), cut.clone().into(), "--head".into(), head_file.clone(), "--public-key".into(), pk.clone().into()]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("SHRINK"), "{out}");
    let mut svc = service::start(dir.path(), port, &ban, &db_args(&cut));
    let (code, out) = witness(port, &state, None);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("ALARM") && out.contains("SHRINK"), "{out}");

    // 2. The tail rewritten with the service's own key (it sits on the
    // same host): the log grows past the old size, but the old tree is not
    // its prefix any more.
    for i in 0..4 {
        post(port, &format!("log-new-{i:02}"));
    }
    let (code, out) = witness(port, &state, None);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("ALARM") && out.contains("FORK"), "{out}");
    svc.kill();
    let (code, out) =
        verify(&["--ledger".into(), cut.clone().into(), "--head".into(), head_file.clone(), "--public-key".into(), pk.clone().into()]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("FORK"), "{out}");
    // The witness kept the last good head: the alarm repeats until someone acts.
    let kept: Value = serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
    assert_eq!(kept["head"]["size"], 8);

    // 3. The whole log re-signed with a new key (the database and the key
    // file replaced): the pinned key catches it.
    let other = tempfile::tempdir().unwrap();
    let db2 = other.path().join("ledger.sqlite");
    let mut svc = service::start(other.path(), port, &ban, &db_args(&db2));
    for i in 0..9 {
        post(port, &format!("log-rec-{i:02}"));
    }
    let (code, out) = witness(port, &state, None);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("BAD SIGNATURE"), "{out}");
    let head_other = write(dir.path(), "head-other.json", &get(port, "/v1/log/head"));
    svc.kill();
    let (code, out) =
        verify(&["--ledger".into(), db.clone().into(), "--head".into(), head_other, "--public-key".into(), pk.clone().into()]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("pinned key"), "{out}");
}

/// Starts `serve` and expects it to refuse: (exit code, what it said).
fn refused(dir: &Path, ban: &Path, db: &Path) -> String {
    let o = std::process::Command::new(service::BIN)
        .arg("serve")
        .args(["--bind", &format!("127.0.0.1:{}", service::free_port())])
        .arg("--ban")
        .arg(ban)
        .args(["--www", "/nonexistent", "--pkg", "/nonexistent"])
        .args(db_args(db))
        .arg("--consent-key")
        .arg(dir.join("ledger.key"))
        .env_remove("FIABLE_DATABASE_URL")
        .env_remove("FIABLE_CONSENT_DB")
        .output()
        .unwrap();
    assert!(!o.status.success(), "the service started");
    String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr)
}

#[test]
fn a_restart_with_another_or_no_key_file_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let ban = service::mini_ban(dir.path());
    let db = dir.path().join("ledger.sqlite");
    let port = service::free_port();
    let mut svc = service::start(dir.path(), port, &ban, &db_args(&db));
    post(port, "keys-rec-1");
    svc.kill();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for f in ["ledger.sqlite", "ledger.key", "ledger.index.key", "ledger.kek"] {
            let mode = std::fs::metadata(dir.path().join(f)).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{f}");
        }
    }
    let key = dir.path().join("ledger.key");
    let good = std::fs::read_to_string(&key).unwrap();
    std::fs::write(&key, format!("{}\n", "ab".repeat(32))).unwrap();
    let out = refused(dir.path(), &ban, &db);
    assert!(out.contains("refusing to start"), "{out}");
    std::fs::remove_file(&key).unwrap();
    let out = refused(dir.path(), &ban, &db);
    assert!(out.contains("refusing to generate a new key"), "{out}");
    assert!(!key.exists(), "no key was generated");
    std::fs::write(&key, &good).unwrap();
    let index = dir.path().join("ledger.index.key");
    std::fs::write(&index, format!("{}\n", "cd".repeat(32))).unwrap();
    let out = refused(dir.path(), &ban, &db);
    assert!(out.contains("index key") && out.contains("refusing to start"), "{out}");
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn after_erasure_the_key_and_the_email_are_in_no_file_of_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let ban = service::mini_ban(dir.path());
    let db = dir.path().join("ledger.sqlite");
    let port = service::free_port();
    let mut svc = service::start(dir.path(), port, &ban, &db_args(&db));
    let mut v: Value = serde_json::from_str(&service::record("erase-me-1")).unwrap();
    v["subject"] = "".into();
    v["purposes"][0]["text_sha256"] = "".into();
    let email = "erasure.canary.7f3a@example.fr";
    v["subject_data"] = json!({ "email": email, "last_name": "Canari" });
    let (st, body) = http(port, "POST", "/v1/consents", &[AUTH, ("idempotency-key", "erase-idem-1")], &v.to_string()).unwrap();
    assert_eq!(st, 201, "{body}");
    let subject = serde_json::from_str::<Value>(&body).unwrap()["subject"].as_str().unwrap().to_string();
    // Read the key as an attacker with the files and the KEK would.
    let wrapped: String = rusqlite::Connection::open(&db)
        .unwrap()
        .query_row("SELECT wrapped FROM subject_keys WHERE subject = ?1", [&subject], |r| r.get(0))
        .unwrap();
    let kek = fiable_lookup::consent::vault::Kek::load(&dir.path().join("ledger.kek"), None, false).unwrap();
    let key_hex = kek.unwrap(&subject, &wrapped).unwrap();
    let files = || -> Vec<u8> {
        let mut all = Vec::new();
        for e in std::fs::read_dir(dir.path()).unwrap() {
            let p = e.unwrap().path();
            if p.file_name().unwrap().to_string_lossy().starts_with("ledger.sqlite") {
                all.extend(std::fs::read(&p).unwrap());
            }
        }
        all
    };
    assert!(contains(&files(), wrapped.as_bytes()), "the wrapped key is in the files before the erasure (else this test proves nothing)");
    assert!(!contains(&files(), key_hex.as_bytes()), "the subject key in clear is in a database file");
    // A backup taken before the erasure.
    svc.kill();
    let backup = dir.path().join("backup.sqlite");
    rusqlite::Connection::open(&db).unwrap().execute("VACUUM INTO ?1", [backup.to_str().unwrap()]).unwrap();
    let mut svc = service::start(dir.path(), port, &ban, &db_args(&db));
    let (st, body) = http(port, "DELETE", &format!("/v1/subjects/{subject}"), &[AUTH], "").unwrap();
    assert_eq!(st, 200, "{body}");
    let bytes = files();
    assert!(!contains(&bytes, key_hex.as_bytes()), "the erased key's hex is still in a database file");
    assert!(!contains(&bytes, wrapped.as_bytes()), "the erased key, wrapped, is still in a database file");
    assert!(!contains(&bytes, email.as_bytes()), "the email in clear is in a database file");
    let raw: Vec<u8> = (0..32).map(|i| u8::from_str_radix(&key_hex[2 * i..2 * i + 2], 16).unwrap()).collect();
    assert!(!contains(&bytes, &raw), "the erased key's bytes are still in a database file");
    let idem: i64 = rusqlite::Connection::open(&db).unwrap().query_row("SELECT COUNT(*) FROM idempotency", [], |r| r.get(0)).unwrap();
    assert_eq!(idem, 0, "the subject's idempotency row went with it");
    svc.kill();
    // The backup restored over the database: the erasure list kept beside
    // it is applied again at start.
    std::fs::remove_file(&db).unwrap();
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(dir.path().join(format!("ledger.sqlite{suffix}")));
    }
    std::fs::rename(&backup, &db).unwrap();
    let has_key = || -> i64 {
        rusqlite::Connection::open(&db)
            .unwrap()
            .query_row("SELECT COUNT(*) FROM subject_keys WHERE subject = ?1", [&subject], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(has_key(), 1, "the backup holds the key");
    let svc = service::start(dir.path(), port, &ban, &db_args(&db));
    assert_eq!(has_key(), 0, "the restored backup's key of an erased subject is deleted again at start");
    drop(svc);
}
