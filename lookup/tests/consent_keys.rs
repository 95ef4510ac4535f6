//! Keys outside the database, tried as an attacker with the database files
//! would: per-subject keys are stored only wrapped under the KEK (SQLite
//! and PostgreSQL, also after the migration of clear keys), a wrong or
//! missing KEK refuses the start, `rotate-kek` re-wraps, and the signing
//! key rotates through a ledger entry that `verify` follows while a forged
//! rotation breaks the chain. Real `fiable-lookup` processes, real SQLite
//! and PostgreSQL.
#[path = "common/pg.rs"]
mod pg;
#[path = "common/service.rs"]
mod service;

use std::ffi::OsString;
use std::path::Path;

use fiable_lookup::consent::ledger::{self, KeyRotation, Receipt};
use fiable_lookup::consent::log;
use fiable_lookup::consent::sign::Signer;
use fiable_lookup::consent::vault::Kek;
use serde_json::{Value, json};
use service::{AUTH, http, run};

fn sqlite_args(db: &Path) -> Vec<OsString> {
    vec!["--consent-db".into(), db.into()]
}

fn person(email: &str) -> String {
    let mut v: Value = serde_json::from_str(&service::record("unused")).unwrap();
    v.as_object_mut().unwrap().remove("record_id");
    v["subject"] = "".into();
    v["purposes"][0]["text_sha256"] = "".into();
    v["subject_data"] = json!({ "email": email, "last_name": "Canari" });
    v.to_string()
}

fn submit(port: u16, body: &str) -> Receipt {
    let (st, r) = http(port, "POST", "/v1/consents", &[AUTH], body).unwrap();
    assert_eq!(st, 201, "{r}");
    serde_json::from_str(&r).unwrap()
}

/// The email the access request decrypts for `subject`.
fn accessed_email(port: u16, subject: &str) -> String {
    let (st, v) = http(port, "GET", &format!("/v1/subjects/{subject}/consents"), &[AUTH], "").unwrap();
    assert_eq!(st, 200, "{v}");
    let v: Value = serde_json::from_str(&v).unwrap();
    v["consents"][0]["subject_data"]["email"].as_str().unwrap_or_default().to_string()
}

/// `serve` with `args` that must refuse to start: its output.
fn refused(dir: &Path, db_args: &[OsString], extra: &[OsString], env: &[(&str, &str)]) -> String {
    let mut c = std::process::Command::new(service::BIN);
    c.arg("serve")
        .args(["--bind", &format!("127.0.0.1:{}", service::free_port())])
        .arg("--ban")
        .arg(service::mini_ban(dir))
        .args(["--www", "/nonexistent", "--pkg", "/nonexistent"])
        .args(db_args)
        .arg("--consent-key")
        .arg(dir.join("ledger.key"))
        .args(extra)
        .env_remove("FIABLE_DATABASE_URL")
        .env_remove("FIABLE_CONSENT_DB")
        .env_remove("FIABLE_CONSENT_KEK_HEX");
    for (k, v) in env {
        c.env(k, v);
    }
    let o = c.output().unwrap();
    assert!(!o.status.success(), "the service started");
    String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr)
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn raw(hex: &str) -> Vec<u8> {
    (0..hex.len() / 2).map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap()).collect()
}

/// Every byte of the SQLite database files (main, WAL, shared memory, journal).
fn db_files(db: &Path) -> Vec<u8> {
    let mut all = Vec::new();
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut p = db.as_os_str().to_owned();
        p.push(suffix);
        if let Ok(b) = std::fs::read(Path::new(&p)) {
            all.extend(b);
        }
    }
    all
}

/// (subject, key_hex column, wrapped column) of every subject key row.
fn sqlite_rows(db: &Path) -> Vec<(String, String, String)> {
    let c = rusqlite::Connection::open(db).unwrap();
    let mut st = c.prepare("SELECT subject, key_hex, wrapped FROM subject_keys ORDER BY subject").unwrap();
    st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect()
}

/// The clear keys, unwrapped with `kek`; asserts that no row holds one in
/// clear and that none is in the database files.
fn assert_only_wrapped(db: &Path, kek: &Kek) -> Vec<(String, String)> {
    let rows = sqlite_rows(db);
    assert!(!rows.is_empty(), "no subject key: this test would prove nothing");
    let bytes = db_files(db);
    let mut keys = Vec::new();
    for (subject, clear, wrapped) in rows {
        assert_eq!(clear, "", "{subject}: a subject key in clear in its row");
        let key = kek.unwrap(&subject, &wrapped).expect("the row's key opens under the KEK");
        assert!(!contains(&bytes, key.as_bytes()), "{subject}: its key in hex is in a database file");
        assert!(!contains(&bytes, &raw(&key)), "{subject}: its key's bytes are in a database file");
        keys.push((subject, key));
    }
    keys
}

#[test]
fn subject_keys_are_stored_only_wrapped_and_a_wrong_kek_refuses_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let ban = service::mini_ban(dir.path());
    let db = dir.path().join("ledger.sqlite");
    let port = service::free_port();
    let mut svc = service::start(dir.path(), port, &ban, &sqlite_args(&db));
    let r = submit(port, &person("kek.canary.1@example.fr"));
    submit(port, &person("kek.canary.2@example.fr"));
    svc.kill();
    let kek_file = dir.path().join("ledger.kek");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&kek_file).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let kek = Kek::load(&kek_file, None, false).unwrap();
    let keys = assert_only_wrapped(&db, &kek);
    assert_eq!(keys.len(), 2);
    let good = std::fs::read_to_string(&kek_file).unwrap();

    // Another KEK, from the file or from the environment: refused before
    // anything is unwrapped or written.
    std::fs::write(&kek_file, format!("{}\n", "ab".repeat(32))).unwrap();
    let out = refused(dir.path(), &sqlite_args(&db), &[], &[]);
    assert!(out.contains("kek key given") && out.contains("refusing to start"), "{out}");
    std::fs::write(&kek_file, &good).unwrap();
    let out = refused(dir.path(), &sqlite_args(&db), &[], &[("FIABLE_CONSENT_KEK_HEX", &"cd".repeat(32))]);
    assert!(out.contains("FIABLE_CONSENT_KEK_HEX") && out.contains("refusing to start"), "{out}");
    // No KEK next to existing data: refused, none generated.
    std::fs::remove_file(&kek_file).unwrap();
    let out = refused(dir.path(), &sqlite_args(&db), &[], &[]);
    assert!(out.contains("key-encryption key") && out.contains("refusing to generate"), "{out}");
    assert!(!kek_file.exists(), "no KEK was generated");

    // The right KEK, given elsewhere (`--consent-kek`): the data opens.
    let elsewhere = dir.path().join("secrets.kek");
    std::fs::write(&elsewhere, &good).unwrap();
    let mut args = sqlite_args(&db);
    args.extend(["--consent-kek".into(), elsewhere.clone().into()]);
    let mut svc = service::start(dir.path(), port, &ban, &args);
    assert_eq!(accessed_email(port, &r.subject), "kek.canary.1@example.fr");
    svc.kill();

    // rotate-kek: every key re-wrapped under the new KEK, the old one refused.
    let new_kek = dir.path().join("new.kek");
    let mut cli: Vec<OsString> = vec!["rotate-kek".into()];
    cli.extend(args.iter().cloned());
    cli.extend(["--consent-key".into(), dir.path().join("ledger.key").into(), "--new-kek".into(), new_kek.clone().into()]);
    let (code, out) = run(&cli.iter().map(|a| a.as_os_str()).collect::<Vec<_>>());
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("re-wrapped 2 subject keys"), "{out}");
    let new = Kek::load(&new_kek, None, false).unwrap();
    let rewrapped = assert_only_wrapped(&db, &new);
    assert_eq!(rewrapped, keys, "the same subject keys, under the new KEK");
    for (subject, _, wrapped) in sqlite_rows(&db) {
        assert!(kek.unwrap(&subject, &wrapped).is_none(), "still opens under the old KEK");
    }
    let out = refused(dir.path(), &args, &[], &[]);
    assert!(out.contains("refusing to start"), "{out}");
    let mut args = sqlite_args(&db);
    args.extend(["--consent-kek".into(), new_kek.into()]);
    let svc = service::start(dir.path(), port, &ban, &args);
    assert_eq!(accessed_email(port, &r.subject), "kek.canary.1@example.fr");
    drop(svc);
}

/// Turns a database of this version back into one of schema version 3
/// (migration 5, returned mail, dropped too so that 4 and 5 run again),
/// whose subject keys were in clear: what the migration starts from.
fn back_to_clear_keys_sqlite(db: &Path, kek: &Kek) {
    let c = rusqlite::Connection::open(db).unwrap();
    for (subject, _, wrapped) in sqlite_rows(db) {
        let key = kek.unwrap(&subject, &wrapped).unwrap();
        c.execute("UPDATE subject_keys SET key_hex = ?1 WHERE subject = ?2", [&key, &subject]).unwrap();
    }
    c.execute_batch(
        "ALTER TABLE subject_keys DROP COLUMN wrapped; ALTER TABLE subject_keys DROP COLUMN kek_id;
         DELETE FROM schema_migrations WHERE version >= 4; DELETE FROM key_checks WHERE name = 'kek';
         DROP TABLE subject_returns; DROP TABLE address_returns;",
    )
    .unwrap();
}

#[test]
fn clear_keys_of_an_older_sqlite_database_are_wrapped_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let ban = service::mini_ban(dir.path());
    let db = dir.path().join("ledger.sqlite");
    let port = service::free_port();
    let mut svc = service::start(dir.path(), port, &ban, &sqlite_args(&db));
    let r = submit(port, &person("migrate.canary@example.fr"));
    svc.kill();
    let kek = Kek::load(&dir.path().join("ledger.kek"), None, false).unwrap();
    back_to_clear_keys_sqlite(&db, &kek);
    let clear = rusqlite::Connection::open(&db)
        .unwrap()
        .query_row("SELECT key_hex FROM subject_keys WHERE subject = ?1", [&r.subject], |row| row.get::<_, String>(0))
        .unwrap();
    assert!(contains(&db_files(&db), clear.as_bytes()), "the clear key is in the file before the migration");
    let svc = service::start(dir.path(), port, &ban, &sqlite_args(&db));
    let keys = assert_only_wrapped(&db, &kek);
    assert_eq!(keys, vec![(r.subject.clone(), clear)], "the same key, wrapped");
    assert_eq!(accessed_email(port, &r.subject), "migrate.canary@example.fr");
    drop(svc);
}

#[test]
fn subject_keys_on_postgresql_are_wrapped_migrated_and_checked() {
    let mut server = pg::Pg::start();
    let url = server.create_db("keys");
    let dir = tempfile::tempdir().unwrap();
    let ban = service::mini_ban(dir.path());
    let args: Vec<OsString> = vec!["--database".into(), url.clone().into()];
    let port = service::free_port();
    let mut svc = service::start(dir.path(), port, &ban, &args);
    let r = submit(port, &person("pg.kek.canary@example.fr"));
    svc.kill();
    let kek = Kek::load(&dir.path().join("ledger.kek"), None, false).unwrap();
    let rows = |c: &mut postgres::Client| -> Vec<(String, String, String)> {
        c.query("SELECT subject, key_hex, wrapped FROM subject_keys ORDER BY subject", &[])
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect()
    };
    let mut c = server.client("keys");
    let before = rows(&mut c);
    assert_eq!(before.len(), 1);
    let (subject, clear, wrapped) = &before[0];
    assert_eq!((subject, clear.as_str()), (&r.subject, ""), "the key is stored only wrapped");
    let key = kek.unwrap(subject, wrapped).unwrap();

    // Back to schema version 3 with the key in clear; the start migrates.
    c.execute("UPDATE subject_keys SET key_hex = $1", &[&key]).unwrap();
    c.batch_execute(
        "ALTER TABLE subject_keys DROP COLUMN wrapped, DROP COLUMN kek_id;
         DELETE FROM schema_migrations WHERE version >= 4; DELETE FROM key_checks WHERE name = 'kek';
         DROP TABLE subject_returns; DROP TABLE address_returns;",
    )
    .unwrap();
    let mut svc = service::start(dir.path(), port, &ban, &args);
    let after = rows(&mut c);
    assert_eq!(after[0].1, "", "the clear key was wrapped at start");
    assert_eq!(kek.unwrap(subject, &after[0].2).as_deref(), Some(key.as_str()));
    assert_eq!(accessed_email(port, subject), "pg.kek.canary@example.fr");
    svc.kill();

    // A wrong KEK is refused.
    let out = refused(dir.path(), &args, &[], &[("FIABLE_CONSENT_KEK_HEX", &"ef".repeat(32))]);
    assert!(out.contains("kek key given") && out.contains("refusing to start"), "{out}");

    // The signing key rotates on PostgreSQL too, and `verify --database`
    // follows it from the first key.
    let first = Signer::load(&dir.path().join("ledger.key")).unwrap().public_key_hex().to_string();
    let new_key = dir.path().join("new.key");
    let mut cli: Vec<OsString> = vec!["rotate-key".into(), "--database".into(), url.clone().into()];
    cli.extend(["--consent-key".into(), dir.path().join("ledger.key").into(), "--new-key".into(), new_key.clone().into()]);
    let (code, out) = run(&cli.iter().map(|a| a.as_os_str()).collect::<Vec<_>>());
    assert_eq!(code, Some(0), "{out}");
    std::fs::copy(&new_key, dir.path().join("ledger.key")).unwrap();
    let svc = service::start(dir.path(), port, &ban, &args);
    let r2 = submit(port, &person("pg.after.rotation@example.fr"));
    assert_eq!(r2.public_key, Signer::load(&new_key).unwrap().public_key_hex());
    drop(svc);
    let (code, out) = run(&["verify".as_ref(), "--database".as_ref(), url.as_ref(), "--public-key".as_ref(), first.as_ref()]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("OK, 3 entries") && out.contains("1 key rotation(s) followed"), "{out}");
    server.stop();
}

/// Runs `verify` on the SQLite ledger `db` with `extra` arguments.
fn verify(db: &Path, extra: &[&str]) -> (Option<i32>, String) {
    let mut a: Vec<OsString> = vec!["verify".into(), "--ledger".into(), db.into()];
    a.extend(extra.iter().map(OsString::from));
    run(&a.iter().map(|x| x.as_os_str()).collect::<Vec<_>>())
}

#[test]
fn the_signing_key_rotates_through_the_log_and_a_forged_rotation_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let ban = service::mini_ban(dir.path());
    let db = dir.path().join("ledger.sqlite");
    let key = dir.path().join("ledger.key");
    let port = service::free_port();
    let mut svc = service::start(dir.path(), port, &ban, &sqlite_args(&db));
    let first = service::public_key(port);
    let (st, body) = http(port, "POST", "/v1/consents", &[AUTH], &service::record("before-rotation")).unwrap();
    assert_eq!(st, 201, "{body}");
    let old_receipt: Receipt = serde_json::from_str(&body).unwrap();
    // A witness pins the first key and sees the head of one entry.
    let state = dir.path().join("witness.json");
    let (code, out) = witness(port, &state, Some(&first));
    assert_eq!(code, Some(0), "{out}");
    let state_before = dir.path().join("witness-before.json");
    std::fs::copy(&state, &state_before).unwrap();
    let pristine = dir.path().join("pristine.sqlite");
    rusqlite::Connection::open(&db).unwrap().execute("VACUUM INTO ?1", [pristine.to_str().unwrap()]).unwrap();

    let new_key = dir.path().join("new.key");
    let (code, out) = run(&[
        "rotate-key".as_ref(),
        "--consent-db".as_ref(),
        db.as_os_str(),
        "--consent-key".as_ref(),
        key.as_os_str(),
        "--new-key".as_ref(),
        new_key.as_os_str(),
    ]);
    assert_eq!(code, Some(0), "{out}");
    // The instance still running with the old key may sign nothing more.
    let (st, body) = http(port, "POST", "/v1/consents", &[AUTH], &service::record("old-key-after-rotation")).unwrap();
    assert_eq!(st, 503, "{body}");
    svc.kill();
    // The old key no longer starts the service.
    let out = refused(dir.path(), &sqlite_args(&db), &[], &[]);
    assert!(out.contains("signing key given") && out.contains("refusing to start"), "{out}");
    std::fs::copy(&new_key, &key).unwrap();
    let svc = service::start(dir.path(), port, &ban, &sqlite_args(&db));
    let second = service::public_key(port);
    assert_ne!(first, second);
    let (st, body) = http(port, "POST", "/v1/consents", &[AUTH], &service::record("after-rotation")).unwrap();
    assert_eq!(st, 201, "{body}");
    let new_receipt: Receipt = serde_json::from_str(&body).unwrap();
    assert_eq!(new_receipt.public_key, second, "signed by the new key");
    let (st, head) = http(port, "GET", "/v1/log/head", &[], "").unwrap();
    assert_eq!(st, 200, "{head}");
    let head_file = dir.path().join("head.json");
    std::fs::write(&head_file, &head).unwrap();
    // The witness follows the rotation from the key it pinned, and pins the new one.
    let (code, out) = witness(port, &state, None);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("ROTATED") && out.contains(&second) && out.contains("OK, 3 entries"), "{out}");
    let pinned: Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    assert_eq!(pinned["public_key"], second.as_str());
    let (code, out) = witness(port, &state, None);
    assert!(code == Some(0) && !out.contains("ROTATED"), "{out}");
    drop(svc);

    // The old receipt still verifies under the old key; `verify` with the
    // first key follows the rotation, also for the head signed by the new.
    assert!(ledger::verify_receipt(&old_receipt, Some(&first)).is_ok());
    let (code, out) = verify(&db, &["--public-key", &first, "--head", head_file.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("OK, 3 entries") && out.contains("1 key rotation(s) followed") && out.contains(&second), "{out}");
    assert!(out.contains("matches the signed head of 3 entries"), "{out}");
    let export = dir.path().join("export.jsonl");
    let (code, out) = run(&["export".as_ref(), "--consent-db".as_ref(), db.as_os_str(), "--out".as_ref(), export.as_os_str()]);
    assert_eq!(code, Some(0), "{out}");
    let (code, out) = verify(&export, &["--public-key", &first]);
    assert_eq!(code, Some(0), "{out}");

    // A forged rotation: someone with the database but not the key in
    // force appends a rotation to their own key, signed by that key.
    let attacker = Signer::from_seed([0x66; 32]);
    let forged = KeyRotation::new(&attacker, &attacker);
    let forged = KeyRotation { previous_public_key: first.clone(), ..forged };
    let c = rusqlite::Connection::open(&pristine).unwrap();
    let (seq, prev): (i64, String) =
        c.query_row("SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
    let (seq, canonical, at) = (seq as u64 + 1, forged.canonical_json(), ledger::now_rfc3339());
    let hash = ledger::chain_hash(&prev, &canonical).unwrap();
    let signature = attacker.sign(ledger::receipt_message(&forged.record_id, seq, &hash, &prev, &at).as_bytes());
    c.execute(
        "INSERT INTO ledger (seq, id, subject, record, prev_hash, hash, signed_at, signature, public_key) VALUES (?1, ?2, '', ?3, ?4, ?5, ?6, ?7, ?8)",
        rusqlite::params![seq as i64, forged.record_id, canonical, prev, hash, at, signature, attacker.public_key_hex()],
    )
    .unwrap();
    drop(c);
    for extra in [&["--public-key", first.as_str()][..], &[][..]] {
        let (code, out) = verify(&pristine, extra);
        assert_eq!(code, Some(1), "{out}");
        assert!(out.contains("BROKEN at seq 2") && out.contains("receipt signature"), "{out}");
    }
    // The forged log served under the attacker's key (key checks rewritten
    // too): the witness that saw the genuine head raises the alarm.
    let fake = tempfile::tempdir().unwrap();
    std::fs::copy(&pristine, fake.path().join("ledger.sqlite")).unwrap();
    for f in ["ledger.kek", "ledger.index.key"] {
        std::fs::copy(dir.path().join(f), fake.path().join(f)).unwrap();
    }
    std::fs::write(fake.path().join("ledger.key"), format!("{}\n", "66".repeat(32))).unwrap();
    rusqlite::Connection::open(fake.path().join("ledger.sqlite"))
        .unwrap()
        .execute(
            "UPDATE key_checks SET key_id = ?1, check_value = ?2 WHERE name = 'signing'",
            [log::key_id(attacker.public_key_hex()).unwrap(), attacker.check_value()],
        )
        .unwrap();
    let svc = service::start(fake.path(), port, &ban, &sqlite_args(&fake.path().join("ledger.sqlite")));
    assert_eq!(service::public_key(port), attacker.public_key_hex());
    let (code, out) = witness(port, &state_before, None);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("ALARM: BAD SIGNATURE") && out.contains("rotation at seq 2"), "{out}");
    drop(svc);
}

fn witness(port: u16, state: &Path, key: Option<&str>) -> (Option<i32>, String) {
    let url = format!("http://127.0.0.1:{port}");
    let mut args: Vec<OsString> = vec!["witness".into(), url.into(), "--state".into(), state.into()];
    if let Some(k) = key {
        args.extend(["--public-key".into(), k.into()]);
    }
    run(&args.iter().map(|a| a.as_os_str()).collect::<Vec<_>>())
}
