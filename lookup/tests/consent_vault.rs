//! The subjects vault through the router (real SQLite, no socket): sealed
//! contact data, derived pseudonyms, scoped keys, access, erasure
//! (crypto-shredding), duplicate matching and retention.
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use fiable_lookup::app::consent_api;
use fiable_lookup::consent::auth::ApiKeys;
use fiable_lookup::consent::ledger::{self, Receipt};
use fiable_lookup::consent::sign::Signer;
use fiable_lookup::consent::store::{self, Store};
use fiable_lookup::consent::vault::{IndexKey, Kek};
use fiable_lookup::consent::{ConsentState, retention};
use http_body_util::BodyExt;
use proptest::prelude::*;
use serde_json::{Value, json};
use tower::ServiceExt;

const BIN: &str = env!("CARGO_BIN_EXE_fiable-lookup");
const ADMIN: &str = "Bearer vault-admin-key-1";
const ADVISOR: &str = "Bearer vault-advisor-key";
const INDEX_KEY: [u8; 32] = [0x5a; 32];

/// The core's sample record on the web channel, without id nor withdrawal.
fn record() -> Value {
    let mut v: Value = serde_json::from_str(include_str!("../../consent/tests/fixtures/consent_record.json")).unwrap();
    v.as_object_mut().unwrap().remove("withdraws");
    v.as_object_mut().unwrap().remove("record_id");
    v["channel"] = "web".into();
    v
}

/// A submission as the widget sends it: no subject, no text hash, the
/// person's contact data.
fn person(data: Value) -> Value {
    let mut v = record();
    v["subject"] = "".into();
    v["purposes"][0]["text_sha256"] = "".into();
    v["subject_data"] = data;
    v
}

struct Svc {
    app: Router,
    dir: tempfile::TempDir,
    db: std::path::PathBuf,
    key_file: std::path::PathBuf,
    state: ConsentState,
}

fn svc() -> Svc {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ledger.sqlite");
    let key_file = dir.path().join("ledger.key");
    let keys = ApiKeys::parse(&["advisor:vault-advisor-key".into(), "admin:vault-admin-key-1".into()], None).unwrap();
    let state = ConsentState::new(Store::open(&db).unwrap(), Signer::load_or_create(&key_file).unwrap(), None, 16 * 1024, vec![])
        .with_api_keys(keys)
        .with_index_key(IndexKey::from_bytes(INDEX_KEY));
    Svc { app: consent_api(state.clone()), dir, db, key_file, state }
}

impl Svc {
    async fn call_h(&self, method: &str, uri: &str, auth: Option<&str>, body: impl Into<Body>) -> (StatusCode, Value, bool) {
        let mut req = Request::builder().method(method).uri(uri).header("content-type", "application/json");
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        let resp = self.app.clone().oneshot(req.body(body.into()).unwrap()).await.unwrap();
        let status = resp.status();
        let replayed = resp.headers().get("idempotent-replayed").is_some();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null), replayed)
    }

    async fn call(&self, method: &str, uri: &str, auth: Option<&str>, body: impl Into<Body>) -> (StatusCode, Value) {
        let (s, v, _) = self.call_h(method, uri, auth, body).await;
        (s, v)
    }

    /// Submits with the advisor key (whose receipts name the subject: an
    /// anonymous caller learns none, see `consent_public.rs`) and expects a receipt.
    async fn submit(&self, v: &Value) -> Receipt {
        let (st, r) = self.call("POST", "/v1/consents", Some(ADVISOR), v.to_string()).await;
        assert_eq!(st, StatusCode::CREATED, "{r}");
        serde_json::from_value(r).unwrap()
    }

    async fn access(&self, subject: &str) -> Value {
        let (st, v) = self.call("GET", &format!("/v1/subjects/{subject}/consents"), Some(ADMIN), Body::empty()).await;
        assert_eq!(st, StatusCode::OK, "{v}");
        v
    }

    async fn matches(&self, q: Value) -> Vec<(String, f64, Vec<String>)> {
        let (st, v) = self.call("POST", "/v1/match", Some(ADVISOR), q.to_string()).await;
        assert_eq!(st, StatusCode::OK, "{v}");
        v["matches"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                let on = m["on"].as_array().unwrap().iter().map(|k| k.as_str().unwrap().to_string()).collect();
                (m["subject"].as_str().unwrap().to_string(), m["score"].as_f64().unwrap(), on)
            })
            .collect()
    }

    fn export(&self) -> Vec<u8> {
        let mut out = vec![];
        store::export(&Store::open_read_only(&self.db).unwrap(), &mut out).unwrap();
        out
    }

    /// Every byte the SQLite files hold (database and WAL).
    fn db_bytes(&self) -> Vec<u8> {
        let mut all = std::fs::read(&self.db).unwrap();
        if let Ok(wal) = std::fs::read(self.db.with_extension("sqlite-wal")) {
            all.extend(wal);
        }
        all
    }

    fn cli(&self, args: &[&str]) -> (Option<i32>, String) {
        let o = std::process::Command::new(BIN).args(args).output().unwrap();
        (o.status.code(), String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr))
    }
}

fn contains_ci(hay: &[u8], needle: &str) -> bool {
    let hay = String::from_utf8_lossy(hay).to_lowercase();
    hay.contains(&needle.to_lowercase())
}

fn jean() -> Value {
    json!({ "email": "Jean.Dupont@Example.fr", "phone": "+33612345678", "first_name": "Jean", "last_name": "Lefèvre", "postcode": "75011", "country": "FR" })
}

#[tokio::test]
async fn contact_data_is_sealed_and_the_subject_derived() {
    let s = svc();
    let r1 = s.submit(&person(jean())).await;
    assert!(r1.subject.starts_with("s_") && r1.subject.len() == 34, "{}", r1.subject);
    ledger::verify_receipt(&r1, Some(s.state.signer.public_key_hex())).unwrap();
    // The stored record: the chain hashes the sealed form, no clear data.
    let e = s.state.store.by_id(&r1.id).unwrap().unwrap();
    assert_eq!(ledger::chain_hash(&r1.prev_hash, &e.record).unwrap(), r1.hash);
    let stored: Value = serde_json::from_str(&e.record).unwrap();
    assert!(stored.get("subject_data").is_none());
    assert_eq!(stored["sealed"]["alg"], "chacha20poly1305");
    assert_eq!(stored["subject"], r1.subject.as_str());
    let text = stored["purposes"][0]["text"].as_str().unwrap();
    assert_eq!(stored["purposes"][0]["text_sha256"], fiable_consent::sha256_hex(text.as_bytes()), "hash filled by the service");

    // Same email in another case and with spaces: the same subject. The
    // same phone without the email is another subject: only the first
    // identifier decides (else a phone typed by anyone would merge two
    // people); an advisor links them knowingly (`/v1/match`, `subject`).
    let r2 = s.submit(&person(json!({ "email": "  jean.dupont@EXAMPLE.FR " }))).await;
    assert_eq!(r2.subject, r1.subject);
    let r3 = s.submit(&person(json!({ "phone": "+33612345678", "last_name": "Dupont" }))).await;
    assert_ne!(r3.subject, r1.subject);
    let r4 = s.submit(&person(json!({ "phone": "+33612345678" }))).await;
    assert_eq!(r4.subject, r3.subject, "the phone alone decides when there is no email");
    let other = s.submit(&person(json!({ "email": "marie.curie@example.fr" }))).await;
    assert_ne!(other.subject, r1.subject);

    // Access decrypts each record's own data.
    let v = s.access(&r1.subject).await;
    assert_eq!(v["erased"], false);
    let list = v["consents"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["subject_data"]["email"], "Jean.Dupont@Example.fr");
    assert_eq!(list[0]["subject_data"]["last_name"], "Lefèvre");
    assert_eq!(list[1]["subject_data"]["email"], "  jean.dupont@EXAMPLE.FR ");
    assert_eq!(s.access(&r3.subject).await["consents"][0]["subject_data"]["last_name"], "Dupont");
    assert_eq!(list[0]["receipt"]["id"], r1.id.as_str());

    // Nothing readable on disk, in the export, nor the keys in the export.
    let export = s.export();
    let files = s.db_bytes();
    for needle in ["dupont@", "Lefèvre", "lefevre", "612345678", "LEFEVR|75011"] {
        assert!(!contains_ci(&export, needle), "{needle} in the export");
        assert!(!contains_ci(&files, needle), "{needle} in the database files");
    }
    assert!(!contains_ci(&export, &fiable_consent::hex(&INDEX_KEY)));
    let conn = rusqlite::Connection::open(&s.db).unwrap();
    let (clear, wrapped): (String, String) = conn
        .query_row("SELECT key_hex, wrapped FROM subject_keys WHERE subject = ?1", [&r1.subject], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    assert_eq!(clear, "", "the subject key is stored only wrapped");
    let subject_key = Kek::derived_from(&s.state.signer).unwrap(&r1.subject, &wrapped).unwrap();
    assert_eq!(subject_key.len(), 64);
    assert!(!contains_ci(&files, &subject_key), "subject key in clear in the database files");
    assert!(!contains_ci(&export, &subject_key), "subject key in the export");
    assert_eq!(ledger::verify_export(&export, Some(s.state.signer.public_key_hex())).unwrap().entries, 5);
}

#[tokio::test]
async fn bad_contact_data_gets_stable_codes_and_is_not_echoed() {
    let s = svc();
    let (st, e) =
        s.call("POST", "/v1/consents", None, person(json!({ "email": "jean.dupont@", "phone": "06 12 34 56 78" })).to_string()).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let codes: Vec<&str> = e["error"]["problems"].as_array().unwrap().iter().map(|p| p["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["consent.bad_email", "consent.phone_not_e164"]);
    assert!(!e.to_string().contains("jean.dupont"));
    let (st, e) = s.call("POST", "/v1/consents", None, person(json!({})).to_string()).await;
    assert_eq!((st, e["error"]["problems"][0]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("consent.empty_subject_data")));
    // Only the service seals.
    let mut forged = record();
    forged["sealed"] = json!({ "alg": "chacha20poly1305", "nonce": "00".repeat(12), "ciphertext": "ab".repeat(20) });
    let (st, e) = s.call("POST", "/v1/consents", None, forged.to_string()).await;
    assert_eq!((st, e["error"]["problems"][0]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("consent.sealed_by_client")));
    assert!(s.state.store.is_empty().unwrap());
}

#[tokio::test]
async fn an_idempotent_replay_gives_the_first_receipt_with_its_subject() {
    let s = svc();
    let body = person(jean()).to_string();
    let send = |b: String| {
        let req = Request::post("/v1/consents")
            .header("content-type", "application/json")
            .header("idempotency-key", "sub-1")
            .header("authorization", ADVISOR);
        s.app.clone().oneshot(req.body(Body::from(b)).unwrap())
    };
    let first = send(body.clone()).await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = serde_json::from_slice(&first.into_body().collect().await.unwrap().to_bytes()).unwrap();
    let again = send(body).await.unwrap();
    assert_eq!(again.status(), StatusCode::OK);
    let again: Value = serde_json::from_slice(&again.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert_eq!(again, first);
    assert!(first["subject"].as_str().unwrap().starts_with("s_"));
    assert_eq!(s.state.store.len().unwrap(), 1);
    // The idempotency table keeps a keyed hash of the request, not a plain one.
    let conn = rusqlite::Connection::open(&s.db).unwrap();
    let req: String = conn.query_row("SELECT request_sha256 FROM idempotency", [], |r| r.get(0)).unwrap();
    let plain: fiable_consent::ConsentRecord = serde_json::from_value(person(jean())).unwrap();
    assert_ne!(req, ledger::request_hash(&plain.canonical_json()));
}

#[tokio::test]
async fn erasure_keeps_the_proof_and_forgets_the_person() {
    let s = svc();
    let r1 = s.submit(&person(jean())).await;
    let r2 = s.submit(&person(json!({ "email": "jean.dupont@example.fr" }))).await;
    let subject = r1.subject.clone();
    assert_eq!(r2.subject, subject);
    let (st, w) = s.call("POST", &format!("/v1/consents/{}/withdraw", r1.id), Some(ADMIN), Body::empty()).await;
    assert_eq!(st, StatusCode::CREATED, "{w}");
    assert_eq!(s.matches(json!({ "email": "jean.dupont@example.fr" })).await.len(), 1);

    let uri = format!("/v1/subjects/{subject}");
    for auth in [None, Some(ADVISOR), Some("Bearer nope")] {
        let (st, e) = s.call("DELETE", &uri, auth, Body::empty()).await;
        assert_eq!((st, e["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("auth.required")));
    }
    let (st, done, replayed) = s.call_h("DELETE", &uri, Some(ADMIN), Body::empty()).await;
    assert_eq!(st, StatusCode::OK, "{done}");
    assert!(!replayed);
    assert_eq!((done["reason"].as_str(), done["records"].as_u64()), (Some("request"), Some(2)));
    let receipt: Receipt = serde_json::from_value(done["receipt"].clone()).unwrap();
    assert_eq!((receipt.seq, receipt.subject.as_str()), (4, subject.as_str()));
    // Idempotent: the first erasure again.
    let (st, again, replayed) = s.call_h("DELETE", &uri, Some(ADMIN), Body::empty()).await;
    assert_eq!((st, replayed), (StatusCode::OK, true));
    assert_eq!(again["receipt"], done["receipt"]);
    let (st, e) = s.call("DELETE", "/v1/subjects/s_unknown0000", Some(ADMIN), Body::empty()).await;
    assert_eq!((st, e["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("consent.subject_not_found")));

    // The chain still verifies, in the file, in its export, with the CLI.
    let pk = s.state.signer.public_key_hex().to_string();
    assert_eq!(store::verify(&Store::open_read_only(&s.db).unwrap(), Some(&pk)).unwrap().entries, 4);
    let export = s.export();
    assert_eq!(ledger::verify_export(&export, Some(&pk)).unwrap().entries, 4);
    let (code, out) = s.cli(&["verify", "--ledger", s.db.to_str().unwrap(), "--public-key", &pk]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("OK, 4 entries"), "{out}");

    // Access: the records are there, their contact data is gone, the proof says when.
    let v = s.access(&subject).await;
    assert_eq!(v["erased"], true);
    assert_eq!(v["erasure"]["erased_at"], done["erased_at"]);
    assert_eq!(v["erasure"]["reason"], "request");
    let list = v["consents"].as_array().unwrap();
    assert_eq!(list.len(), 4);
    for e in &list[..2] {
        assert_eq!(e["erased"], true, "{e}");
        assert_eq!(e["erased_at"], done["erased_at"]);
        assert!(e.get("subject_data").is_none());
        assert!(e["record"]["sealed"]["ciphertext"].is_string(), "the ciphertext stays, unreadable");
    }
    assert_eq!(list[2]["record"]["withdraws"], r1.id.as_str());
    assert_eq!(list[3]["record"]["kind"], "erasure");
    assert_eq!(list[3]["record"]["actor"], "admin");
    let conn = rusqlite::Connection::open(&s.db).unwrap();
    let left: i64 = conn
        .query_row(
            "SELECT (SELECT COUNT(*) FROM subject_keys WHERE subject = ?1) + (SELECT COUNT(*) FROM subject_index WHERE subject = ?1)",
            [&subject],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(left, 0, "key and blind indexes destroyed");

    // Nobody finds the person any more; the same email is a new person.
    assert!(s.matches(json!({ "email": "jean.dupont@example.fr" })).await.is_empty());
    assert!(s.matches(json!({ "last_name": "Lefebvre", "postcode": "75011" })).await.is_empty());
    let fresh = s.submit(&person(json!({ "email": "Jean.Dupont@example.fr" }))).await;
    assert_ne!(fresh.subject, subject);
    // The erased pseudonym cannot be given new contact data.
    let mut reuse = person(jean());
    reuse["subject"] = subject.as_str().into();
    let (st, e) = s.call("POST", "/v1/consents", Some(ADVISOR), reuse.to_string()).await;
    assert_eq!((st, e["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("consent.subject_erased")));
    assert_eq!(store::verify(&Store::open_read_only(&s.db).unwrap(), Some(&pk)).unwrap().entries, 5);
}

#[tokio::test]
async fn match_finds_known_people_by_blind_indexes_only() {
    let s = svc();
    let jean = s.submit(&person(jean())).await.subject;
    let paul = s
        .submit(&person(json!({ "email": "paul.martin@example.fr", "first_name": "Paul", "last_name": "Martin", "postcode": "75011" })))
        .await
        .subject;
    let marie = s
        .submit(&person(json!({ "email": "marie@example.fr", "first_name": "Marie", "last_name": "Lefebvre", "postcode": "69003" })))
        .await
        .subject;

    let m = s.matches(json!({ "last_name": "LEFEBVRE", "postcode": "75011" })).await;
    assert_eq!(m, vec![(jean.clone(), 0.8, vec!["name_postcode".to_string()])]);
    let m = s.matches(json!({ "email": " JEAN.DUPONT@example.fr" })).await;
    assert_eq!(m, vec![(jean.clone(), 0.97, vec!["email".to_string()])]);
    for phone in ["+33612345678", "06 12 34 56 78"] {
        let m = s.matches(json!({ "phone": phone })).await;
        assert_eq!(m, vec![(jean.clone(), 0.95, vec!["phone".to_string()])], "{phone}");
    }
    // Names alone: fuzzy on spelling, weaker than name + postcode.
    let m = s.matches(json!({ "first_name": "Marie", "last_name": "Lefèvre" })).await;
    assert_eq!(m, vec![(marie.clone(), 0.4, vec!["name".to_string()])]);
    let m = s.matches(json!({ "first_name": "Jean", "last_name": "Lefeuvre", "postcode": "75011" })).await;
    assert_eq!(m[0].0, jean);
    assert_eq!(m[0].2, ["name_postcode", "name"]);
    assert!(m[0].1 > 0.8 && m[0].1 < 0.97);
    // Best first: an email match beats a name + postcode one.
    let m = s.matches(json!({ "email": "jean.dupont@example.fr", "last_name": "Martin", "postcode": "75011" })).await;
    assert_eq!(m.iter().map(|x| x.0.as_str()).collect::<Vec<_>>(), [jean.as_str(), paul.as_str()]);
    assert!(s.matches(json!({ "email": "nobody@example.fr", "last_name": "Bernard", "postcode": "75011" })).await.is_empty());

    for q in [json!({}), json!({ "first_name": "Jean" }), json!({ "phone": "12" })] {
        let (st, e) = s.call("POST", "/v1/match", Some(ADVISOR), q.to_string()).await;
        assert_eq!((st, e["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("match.empty")), "{q}");
    }
    let (st, _) = s.call("POST", "/v1/match", None, json!({ "email": "jean.dupont@example.fr" }).to_string()).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    let (st, _) = s.call("POST", "/v1/match", Some(ADMIN), json!({ "email": "jean.dupont@example.fr" }).to_string()).await;
    assert_eq!(st, StatusCode::OK);

    // The match table holds keyed hashes only: nothing readable, and not
    // the plain SHA-256 of a value either.
    let conn = rusqlite::Connection::open(&s.db).unwrap();
    let mut st = conn.prepare("SELECT kind, digest, subject FROM subject_index").unwrap();
    let rows: Vec<(String, String, String)> =
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect();
    // Each person's indexes, and the one row that gives the subject.
    assert_eq!(rows.len(), (4 + 1) + (3 + 1) + (3 + 1));
    for (kind, digest, _) in &rows {
        assert!(["email", "phone", "name_postcode", "name", "subject.email"].contains(&kind.as_str()), "{kind}");
        assert!(digest.len() == 64 && digest.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(digest, &fiable_consent::sha256_hex(b"jean.dupont@example.fr"));
    }
}

#[tokio::test]
async fn advisor_records_and_admin_routes_need_their_scope() {
    let s = svc();
    let mut store_rec = person(jean());
    store_rec["channel"] = "store".into();
    for auth in [None, Some("Bearer wrong"), Some("Bearer vault-advisor-ke")] {
        let (st, e) = s.call("POST", "/v1/consents", auth, store_rec.to_string()).await;
        assert_eq!((st, e["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("auth.required")));
    }
    let mut phone_rec = record();
    phone_rec["channel"] = "phone".into();
    let (st, _) = s.call("POST", "/v1/consents", None, phone_rec.to_string()).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    assert!(s.state.store.is_empty().unwrap());
    let (st, r) = s.call("POST", "/v1/consents", Some(ADVISOR), store_rec.to_string()).await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    let (st, _) = s.call("POST", "/v1/consents", Some(ADMIN), phone_rec.to_string()).await;
    assert_eq!(st, StatusCode::CREATED);
    let (st, _) = s.call("POST", "/v1/consents", None, person(jean()).to_string()).await;
    assert_eq!(st, StatusCode::CREATED, "web records stay public");
    // An advisor key opens no admin route.
    let subject = r["subject"].as_str().unwrap();
    let (st, _) = s.call("GET", &format!("/v1/subjects/{subject}/consents"), Some(ADVISOR), Body::empty()).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    let (st, _) = s.call("POST", &format!("/v1/consents/{}/withdraw", r["id"].as_str().unwrap()), Some(ADVISOR), Body::empty()).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    let (st, _) = s.call("GET", &format!("/v1/subjects/{subject}/consents"), Some("x-api-key-is-not-bearer"), Body::empty()).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn purge_shreds_subjects_past_retention_only() {
    let s = svc();
    // Expires 2027-01-01, kept 30 days after: gone after 2027-01-31.
    let mut x = person(json!({ "email": "x@example.fr" }));
    x["expires_at"] = "2027-01-01T00:00:00Z".into();
    x["retention_days"] = 30.into();
    let x = s.submit(&x).await;
    // No expiry: kept.
    let mut y = person(json!({ "email": "y@example.fr" }));
    y.as_object_mut().unwrap().remove("expires_at");
    let y = s.submit(&y).await;
    // Withdrawn on 2026-12-01 (before its 2029 expiry), kept 10 days.
    let mut z = person(json!({ "email": "z@example.fr" }));
    z["retention_days"] = 10.into();
    let z = s.submit(&z).await;
    let (st, _) = s.call("POST", &format!("/v1/consents/{}/withdraw", z.id), Some(ADMIN), r#"{"acted_at":"2026-12-01T00:00:00Z"}"#).await;
    assert_eq!(st, StatusCode::CREATED);

    let db = s.db.to_str().unwrap();
    let key = s.key_file.to_str().unwrap();
    let (code, out) = s.cli(&["purge", "--consent-db", db, "--consent-key", key, "--now", "2027-03-01T00:00:00Z", "--dry-run"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("purge (dry run): 3 subjects with personal data, 2 past retention, 0 erased"), "{out}");
    assert_eq!(s.state.store.len().unwrap(), 4, "a dry run appends nothing");
    let (code, out) = s.cli(&["purge", "--consent-db", db, "--consent-key", key, "--now", "2027-01-15T00:00:00Z"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("purge: 3 subjects with personal data, 1 past retention, 1 erased"), "{out}");
    let v = s.access(&z.subject).await;
    assert_eq!((v["erased"].as_bool(), v["erasure"]["reason"].as_str()), (Some(true), Some("retention")));
    assert_eq!(s.access(&x.subject).await["erased"], false);
    let (code, out) = s.cli(&["purge", "--consent-db", db, "--consent-key", key, "--now", "2027-03-01T00:00:00Z"]);
    assert!(code == Some(0) && out.contains("2 subjects with personal data, 1 past retention, 1 erased"), "{out}");
    assert_eq!(s.access(&x.subject).await["consents"][1]["record"]["actor"], "purge");
    assert_eq!(s.access(&y.subject).await["erased"], false);
    // Through the library too: nothing left to do; the chain verifies.
    let r = retention::purge(&s.state.store, &s.state.signer, ledger::parse_rfc3339("2030-01-01T00:00:00Z").unwrap(), false).unwrap();
    assert_eq!((r.subjects, r.expired, r.erased), (1, 0, 0));
    let pk = s.state.signer.public_key_hex();
    assert_eq!(store::verify(&Store::open_read_only(&s.db).unwrap(), Some(pk)).unwrap().entries, 6);
    let (code, out) = s.cli(&["purge", "--consent-db", db, "--consent-key", key, "--now", "tomorrow"]);
    assert_eq!(code, Some(1), "{out}");
    let _ = &s.dir;
}

// ------------------------------------------------------------ tamper detection

/// An export with sealed records, a withdrawal and an erasure.
fn vault_export() -> &'static (Vec<u8>, String) {
    static EXPORT: std::sync::OnceLock<(Vec<u8>, String)> = std::sync::OnceLock::new();
    EXPORT.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        rt.block_on(async {
            let s = svc();
            let r = s.submit(&person(jean())).await;
            s.submit(&person(json!({ "email": "marie@example.fr", "last_name": "Curie" }))).await;
            let (st, _) = s.call("POST", &format!("/v1/consents/{}/withdraw", r.id), Some(ADMIN), Body::empty()).await;
            assert_eq!(st, StatusCode::CREATED);
            let (st, _) = s.call("DELETE", &format!("/v1/subjects/{}", r.subject), Some(ADMIN), Body::empty()).await;
            assert_eq!(st, StatusCode::OK);
            (s.export(), s.state.signer.public_key_hex().to_string())
        })
    })
}

#[test]
fn case_changes_in_keys_and_signatures_are_detected_too() {
    let (export, pk) = vault_export();
    assert_eq!(ledger::verify_export(export, None).unwrap().entries, 4);
    assert_eq!(ledger::verify_export(export, Some(pk)).unwrap().entries, 4);
    let text = String::from_utf8(export.clone()).unwrap();
    // Upper-casing one hex letter of the header key, an entry's key or signature.
    for field in ["\"public_key\":\"", "\"signature\":\""] {
        for nth in 0..3 {
            let Some(start) = text.match_indices(field).nth(nth).map(|(i, _)| i + field.len()) else {
                continue;
            };
            let off = start + text[start..].find(|c: char| ('a'..='f').contains(&c)).unwrap();
            let mut b = export.clone();
            b[off] = b[off].to_ascii_uppercase();
            assert!(ledger::verify_export(&b, None).is_err(), "{field} #{nth}");
        }
    }
}

#[test]
fn clear_contact_data_never_enters_the_ledger_and_verify_would_say_so() {
    let dir = tempfile::tempdir().unwrap();
    let st = Store::open(&dir.path().join("l.sqlite")).unwrap();
    let signer = Signer::from_seed([3; 32]);
    let mut r: fiable_consent::ConsentRecord = serde_json::from_value(person(jean())).unwrap();
    r.record_id = "clear-1".into();
    r.subject = "s_0123456789abcdef".into();
    assert!(matches!(st.append(&r, None, &signer), Err(store::StoreError::ClearSubjectData)));
    assert!(st.is_empty().unwrap());
    // An entry forged around such a record (hash and signature right) fails verify.
    let canonical = r.canonical_json();
    let hash = ledger::chain_hash(ledger::GENESIS, &canonical).unwrap();
    let signed_at = "2026-11-23T19:00:00.000Z".to_string();
    let signature = signer.sign(ledger::receipt_message("clear-1", 1, &hash, ledger::GENESIS, &signed_at).as_bytes());
    let e = ledger::Entry {
        seq: 1,
        id: "clear-1".into(),
        subject: r.subject.clone(),
        record: canonical,
        prev_hash: ledger::GENESIS.into(),
        hash,
        signed_at,
        signature,
        public_key: signer.public_key_hex().into(),
    };
    let b = ledger::ChainVerifier::new(None).push(&e).unwrap_err();
    assert!(b.what.contains("subject_data in clear"), "{b}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// A changed byte anywhere in the export (header, entries, sealed
    /// ciphertext, erasure record) makes `verify` fail.
    #[test]
    fn a_changed_byte_anywhere_in_a_vault_export_breaks_verify(at in any::<prop::sample::Index>(), to in any::<u8>()) {
        let (export, _) = vault_export();
        let mut b = export.clone();
        let i = at.index(b.len() - 1); // the final newline is not data
        prop_assume!(b[i] != to);
        b[i] = to;
        prop_assert!(ledger::verify_export(&b, None).is_err(), "byte {} changed to {:?} still verifies", i, to as char);
    }
}

#[tokio::test]
async fn openapi_and_metrics_cover_the_consent_routes() {
    use std::io::{BufRead, Write};
    let dir = tempfile::tempdir().unwrap();
    let gz = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../data/raw/ban/adresses-75.csv.gz");
    let rd = std::io::BufReader::new(flate2::read::GzDecoder::new(std::fs::File::open(gz).unwrap()));
    let csv = dir.path().join("mini.csv");
    let mut f = std::fs::File::create(&csv).unwrap();
    for line in rd.lines().take(20) {
        writeln!(f, "{}", line.unwrap()).unwrap();
    }
    drop(f);
    let words = fiable_lookup::address::index::build(&[csv], &fiable_lookup::address::BuildOptions::default()).unwrap().0;
    let idx = fiable_lookup::address::Index::from_words(words).unwrap();
    let app_state = fiable_lookup::state::AppState::new(idx, fiable_lookup::config::Config::for_tests());
    let s = svc();
    let app = fiable_lookup::app::app_with_consent(app_state, s.state.clone());
    let get = |uri: &str| Request::get(uri).body(Body::empty()).unwrap();
    let resp = app.clone().oneshot(get("/openapi.json")).await.unwrap();
    let doc: Value = serde_json::from_slice(&resp.into_body().collect().await.unwrap().to_bytes()).unwrap();
    for (path, method) in
        [("/v1/match", "post"), ("/v1/subjects/{subject}", "delete"), ("/v1/subjects/{subject}/consents", "get"), ("/v1/consents", "post")]
    {
        assert!(doc["paths"][path][method].is_object(), "{path} {method}");
    }
    assert!(doc["paths"]["/v1/address/search"]["get"].is_object());
    let req = Request::post("/v1/match").header("content-type", "application/json").body(Body::from("{}")).unwrap();
    assert_eq!(app.clone().oneshot(req).await.unwrap().status(), StatusCode::UNAUTHORIZED);
    let resp = app.clone().oneshot(get("/metrics")).await.unwrap();
    let text = String::from_utf8(resp.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
    assert!(text.contains("fiable_http_requests_total{route=\"/v1/match\",status=\"401\"} 1"), "{text}");
    // The group commit's counters (of the process: other tests append too).
    s.submit(&person(jean())).await;
    let resp = app.clone().oneshot(get("/metrics")).await.unwrap();
    let text = String::from_utf8(resp.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
    let counter = |name: &str| -> u64 {
        let line = text.lines().find(|l| l.starts_with(&format!("{name} "))).unwrap_or_else(|| panic!("no {name} in {text}"));
        line[name.len() + 1..].parse().unwrap()
    };
    assert!(counter("fiable_consent_commits_total") >= 1 && counter("fiable_consent_appends_total") >= 1, "{text}");
}
