//! The breach register on a real SQLite ledger: entries signed into the
//! chain, the subjects and purposes in a breach's window computed from the
//! ledger, the 72-hour deadline, and each rule attacked (unknown breach,
//! double close, end before start, no key, another key, a forged entry).
#[path = "common/pg.rs"]
mod pg;

use std::path::{Path, PathBuf};
use std::process::Command;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use fiable_lookup::app::consent_api;
use fiable_lookup::consent::auth::ApiKeys;
use fiable_lookup::consent::breach::{self, Opening, RegisterError};
use fiable_lookup::consent::ledger::{self, Receipt};
use fiable_lookup::consent::sign::Signer;
use fiable_lookup::consent::store::{self, Database, Store};
use fiable_lookup::consent::{ConsentState, log};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

const BIN: &str = env!("CARGO_BIN_EXE_fiable-lookup");
const ADMIN: &str = "Bearer breach-admin-key-1";
const H72: std::time::Duration = std::time::Duration::from_secs(72 * 3600);

fn person(email: &str) -> Value {
    let mut v: Value = serde_json::from_str(include_str!("../../consent/tests/fixtures/consent_record.json")).unwrap();
    for k in ["withdraws", "record_id"] {
        v.as_object_mut().unwrap().remove(k);
    }
    v["subject"] = "".into();
    v["purposes"][0]["text_sha256"] = "".into();
    v["purposes"][1]["text_sha256"] = "".into();
    v["subject_data"] = json!({ "email": email });
    v
}

struct Svc {
    state: ConsentState,
    dir: tempfile::TempDir,
}

impl Svc {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let keys = ApiKeys::parse(&["admin:breach-admin-key-1".into()], None).unwrap();
        let state = ConsentState::new(
            Store::open(&dir.path().join("l.sqlite")).unwrap(),
            Signer::load_or_create(&dir.path().join("l.key")).unwrap(),
            None,
            16 * 1024,
            vec![],
        )
        .with_api_keys(keys);
        Svc { state, dir }
    }

    fn db(&self) -> PathBuf {
        self.dir.path().join("l.sqlite")
    }

    async fn call(&self, method: &str, uri: &str, body: String) -> (StatusCode, Value) {
        let req = Request::builder()
            .method(method)
            .uri(uri)
            .header("content-type", "application/json")
            .header("authorization", ADMIN)
            .body(Body::from(body))
            .unwrap();
        let resp = consent_api(self.state.clone()).oneshot(req).await.unwrap();
        let st = resp.status();
        (st, serde_json::from_slice(&resp.into_body().collect().await.unwrap().to_bytes()).unwrap_or(Value::Null))
    }

    async fn submit(&self, email: &str) -> Receipt {
        let (st, r) = self.call("POST", "/v1/consents", person(email).to_string()).await;
        assert_eq!(st, StatusCode::CREATED, "{r}");
        serde_json::from_value(r).unwrap()
    }

    fn cli(&self, args: &[&str], key: &Path) -> (bool, String, String) {
        let o = Command::new(BIN)
            .arg("breach")
            .args(args)
            .arg("--consent-db")
            .arg(self.db())
            .arg("--consent-key")
            .arg(key)
            .env_remove("FIABLE_DATABASE_URL")
            .output()
            .unwrap();
        (o.status.success(), String::from_utf8_lossy(&o.stdout).into(), String::from_utf8_lossy(&o.stderr).into())
    }
}

fn now() -> i64 {
    ledger::parse_rfc3339(&ledger::now_rfc3339()).unwrap()
}

fn at(secs: i64) -> String {
    ledger::rfc3339(secs, 0)
}

fn opening(started: i64, discovered: i64) -> Opening {
    Opening {
        started_at: at(started),
        discovered_at: at(discovered),
        nature: "a backup of the consent database was readable from the internet".into(),
        categories: vec!["contact details (sealed)".into(), "consent decisions".into()],
        systems: vec!["backup bucket".into()],
    }
}

/// Seconds tick between ledger times (the window compares whole seconds).
fn next_second() {
    std::thread::sleep(std::time::Duration::from_millis(1100));
}

#[tokio::test]
async fn a_breach_window_finds_the_subjects_and_purposes_the_ledger_held() {
    let s = Svc::new();
    let (store, signer) = (&s.state.store, &s.state.signer);
    let t0 = now();
    let a = s.submit("anne@example.fr").await;
    let b = s.submit("bruno@example.fr").await;
    let (st, _) = s.call("DELETE", &format!("/v1/subjects/{}", b.subject), String::new()).await;
    assert_eq!(st, StatusCode::OK);
    next_second();
    let t1 = now();
    next_second();
    let c = s.submit("chloe@example.fr").await;

    // Breach 1 ran from before anyone came until t1: Anne and Bruno (erased
    // after it began: the leaked copy still held his key), not Chloé.
    let (one, r1) = breach::open(store, signer, opening(t0 - 3600, t1)).unwrap();
    assert_eq!(r1.subject, "", "a register entry is about no subject");
    let (one, _) = breach::close(store, signer, &one.id, &at(t1), "bucket made private, keys rotated").unwrap();
    let i1 = breach::impact(store, &one, now(), H72).unwrap();
    let mut want = vec![a.subject.clone(), b.subject.clone()];
    want.sort();
    assert_eq!(i1.subjects, want);
    assert_eq!(i1.with_contact_data, 2);
    assert_eq!(i1.purposes["newsletter"], [2, 0, 0, 0, 0], "granted by both");
    assert_eq!(i1.purposes["partners"], [0, 0, 0, 2, 0], "refused by both");

    // Breach 2 began after Bruno's erasure and is still open: Anne and Chloé.
    let (two, _) = breach::open(store, signer, opening(t1, t1 + 60)).unwrap();
    let i2 = breach::impact(store, &two, now(), H72).unwrap();
    let mut want = vec![a.subject.clone(), c.subject.clone()];
    want.sort();
    assert_eq!(i2.subjects, want);

    // The draft: the deadline is 72 hours after discovery; past it, it says so.
    let d = breach::draft(&two, &i2, t1 + 61);
    assert!(d.contains(&format!("Notify the supervisory authority by {}", at(t1 + 60 + 72 * 3600))), "{d}");
    assert!(d.contains("Data subjects: 2 "), "{d}");
    assert!(d.contains("| newsletter | 2 | 0 | 0 | 0 | 0 |"), "{d}");
    assert!(d.contains("- Maison Exemple SAS — contact for this breach: dpo@maison-exemple.fr"));
    assert!(!d.contains("PASSED"));
    assert!(breach::draft(&two, &i2, t1 + 60 + 72 * 3600 + 1).contains("THE DEADLINE HAS PASSED"));
    assert!(!d.contains("anne@") && !d.contains(&a.subject), "no contact data nor pseudonym in the draft");

    // The register reads back from the ledger; its entries are in the chain and the log.
    let reg = breach::register(store).unwrap();
    assert_eq!(
        reg.iter().map(|c| (c.id.as_str(), c.close.is_some())).collect::<Vec<_>>(),
        [(one.id.as_str(), true), (two.id.as_str(), false)]
    );
    store::verify(store, Some(signer.public_key_hex())).unwrap();
    let mut out = vec![];
    store::export(store, &mut out).unwrap();
    assert_eq!(ledger::verify_export(&out, Some(signer.public_key_hex())).unwrap().entries, 7);
    let head = s.state.log.head(store, signer).unwrap();
    let mut entries = vec![];
    store
        .for_each(|e| {
            entries.push(e);
            Ok::<_, store::StoreError>(())
        })
        .unwrap();
    log::check_against_head(&mut entries.into_iter(), &head, signer.public_key_hex()).unwrap();
}

#[test]
fn the_register_refuses_what_would_make_it_lie() {
    let s = Svc::new();
    let (store, signer) = (&s.state.store, &s.state.signer);
    let t = now();
    let refused = |r: Result<(breach::Case, Receipt), RegisterError>, what: &str| match r {
        Err(RegisterError::Refused(w)) => assert!(w.contains(what), "{w}"),
        other => panic!("expected a refusal naming {what:?}, got {other:?}"),
    };
    refused(breach::open(store, signer, opening(t, t - 10)), "discovered before it started");
    refused(breach::open(store, signer, Opening { categories: vec![], ..opening(t - 10, t) }), "data categories");
    refused(breach::open(store, signer, Opening { nature: " \n".into(), ..opening(t - 10, t) }), "nature");
    refused(breach::close(store, signer, "b_0000000000000000", &at(t), "x"), "no breach b_0000000000000000");
    let (c, _) = breach::open(store, signer, opening(t - 10, t)).unwrap();
    refused(breach::close(store, signer, &c.id, &at(t - 20), "x"), "cannot end before it started");
    refused(breach::close(store, signer, &c.id, "yesterday", "x"), "ended_at");
    breach::close(store, signer, &c.id, &at(t), "x").unwrap();
    refused(breach::close(store, signer, &c.id, &at(t), "again"), "closed already");
    assert_eq!(store.len().unwrap(), 2, "nothing refused was written");

    // The ledger stays append-only under the register too.
    let conn = rusqlite::Connection::open(s.db()).unwrap();
    let e = conn.execute("UPDATE ledger SET record = replace(record, 'backup', 'nothing') WHERE subject = ''", []).unwrap_err();
    assert!(e.to_string().contains("append-only"), "{e}");

    // A forged entry (its nature rewritten in an export) breaks the chain.
    let mut out = vec![];
    store::export(store, &mut out).unwrap();
    let forged = String::from_utf8(out).unwrap().replace("readable from the internet", "not readable by anyone");
    let broken = ledger::verify_export(forged.as_bytes(), Some(signer.public_key_hex())).unwrap_err();
    assert_eq!(broken.seq, 1, "{broken}");
}

#[tokio::test]
async fn the_command_opens_lists_closes_and_needs_the_ledgers_key() {
    let s = Svc::new();
    s.submit("anne@example.fr").await;
    let key = s.dir.path().join("l.key");
    let t = now();
    let (ok, out, err) = s.cli(
        &[
            "open",
            "--started-at",
            &at(t - 7200),
            "--discovered-at",
            &at(t - 3600),
            "--nature",
            "laptop stolen",
            "--category",
            "contact details",
        ],
        &key,
    );
    assert!(ok, "{err}");
    let id = err.split_whitespace().nth(2).unwrap().to_string();
    assert!(id.starts_with("b_"), "{err}");
    assert!(out.contains(&format!("Notify the supervisory authority by {}", at(t - 3600 + 72 * 3600))), "{out}");
    assert!(out.contains("Data subjects: 1 "), "{out}");

    // No key file, another key: refused, nothing written.
    let (ok, _, err) = s.cli(&["close", &id, "--ended-at", &at(t), "--measures", "disk was encrypted"], &s.dir.path().join("none.key"));
    assert!(!ok && err.contains("no signing key"), "{err}");
    let other = s.dir.path().join("other.key");
    Signer::load_or_create(&other).unwrap();
    let (ok, _, err) = s.cli(&["close", &id, "--ended-at", &at(t), "--measures", "disk was encrypted"], &other);
    assert!(!ok && err.contains("refusing"), "{err}");

    let subjects = s.dir.path().join("subjects.txt");
    let (ok, out, err) =
        s.cli(&["close", &id, "--ended-at", &at(t), "--measures", "disk was encrypted", "--subjects", subjects.to_str().unwrap()], &key);
    assert!(ok, "{err}");
    assert!(out.contains("disk was encrypted"));
    assert_eq!(std::fs::read_to_string(&subjects).unwrap().lines().count(), 1);
    #[cfg(unix)]
    assert_eq!(std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&subjects).unwrap().permissions()) & 0o777, 0o600);

    let (ok, out, _) = s.cli(&["list", "--now", &at(t + 4 * 86_400)], &key);
    assert!(ok);
    assert!(out.starts_with(&format!("{id}\tclosed, ended {}", at(t))), "{out}");
    let (ok, _, err) = s.cli(&["open", "--started-at", "soon", "--discovered-at", &at(t), "--nature", "x", "--category", "y"], &key);
    assert!(!ok && err.contains("started_at"), "{err}");
}

/// The same register on PostgreSQL: entries about no subject share the chain
/// (and its advisory lock) with the consents.
#[test]
fn the_register_on_postgresql() {
    let mut server = pg::Pg::start();
    let url = server.create_db("breaches");
    let dir = tempfile::tempdir().unwrap();
    let keys = ApiKeys::parse(&["admin:breach-admin-key-1".into()], None).unwrap();
    let state = ConsentState::new(
        Store::connect(&Database::Postgres(url), 2).unwrap(),
        Signer::load_or_create(&dir.path().join("l.key")).unwrap(),
        None,
        16 * 1024,
        vec![],
    )
    .with_api_keys(keys);
    let s = Svc { state, dir };
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let t0 = now();
    let anne = rt.block_on(s.submit("anne@example.fr"));
    let (store, signer) = (&s.state.store, &s.state.signer);
    let (c, r) = breach::open(store, signer, opening(t0 - 60, t0)).unwrap();
    assert_eq!(r.seq, 2);
    assert!(matches!(breach::close(store, signer, &c.id, &at(t0 - 120), "x"), Err(RegisterError::Refused(_))));
    let (c, _) = breach::close(store, signer, &c.id, &at(t0 + 5), "contained").unwrap();
    assert!(matches!(breach::close(store, signer, &c.id, &at(t0 + 5), "again"), Err(RegisterError::Refused(_))));
    let reg = breach::register(store).unwrap();
    assert_eq!((reg.len(), reg[0].close_seq), (1, Some(3)));
    assert_eq!(breach::impact(store, &reg[0], now(), H72).unwrap().subjects, [anne.subject]);
    store::verify(store, Some(signer.public_key_hex())).unwrap();
    drop(rt);
    server.stop();
}
