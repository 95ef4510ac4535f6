//! Returned mail (NPAI) through the router, on real SQLite and a real
//! PostgreSQL (started here, see `common/pg.rs`): the shop's report, the
//! advisor's duplicate answer, the public form's check, the access export
//! and the erasure; each protection attacked (no key, wrong key, forged
//! fields, a sealed report moved to another row, a restored row of an
//! erased person).
#[path = "common/pg.rs"]
mod pg;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use fiable_lookup::app::consent_api;
use fiable_lookup::consent::ConsentState;
use fiable_lookup::consent::auth::ApiKeys;
use fiable_lookup::consent::sign::Signer;
use fiable_lookup::consent::store::{Database, Store};
use fiable_lookup::consent::vault::IndexKey;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

const ADMIN: &str = "Bearer npai-admin-key-0001";
const ADVISOR: &str = "Bearer npai-advisor-key-01";

/// Raw SQL on the database behind the store, as an intruder or a restore would.
trait Raw {
    fn exec(&self, sql: &str);
    fn texts(&self, sql: &str) -> Vec<String>;
    /// Every byte the database keeps on disk, when the test can read them.
    fn files(&self) -> Option<Vec<u8>>;
}

struct SqliteRaw(std::path::PathBuf);

impl Raw for SqliteRaw {
    fn exec(&self, sql: &str) {
        // As the service's own connections: without `secure_delete` this
        // connection's tampering would leave stale copies of rows in free
        // page space, which no later erasure by the service could see.
        let c = rusqlite::Connection::open(&self.0).unwrap();
        c.pragma_update(None, "secure_delete", "ON").unwrap();
        c.execute_batch(sql).unwrap();
    }
    fn texts(&self, sql: &str) -> Vec<String> {
        let c = rusqlite::Connection::open(&self.0).unwrap();
        let mut st = c.prepare(sql).unwrap();
        st.query_map([], |r| r.get::<_, String>(0)).unwrap().map(Result::unwrap).collect()
    }
    fn files(&self) -> Option<Vec<u8>> {
        let mut all = std::fs::read(&self.0).unwrap();
        let mut wal = self.0.as_os_str().to_owned();
        wal.push("-wal");
        all.extend(std::fs::read(std::path::PathBuf::from(wal)).unwrap_or_default());
        Some(all)
    }
}

struct PgRaw(std::sync::Mutex<postgres::Client>);

/// The sync client runs its own runtime: off the test's async thread.
fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| s.spawn(f).join().unwrap())
}

impl Raw for PgRaw {
    fn exec(&self, sql: &str) {
        off_runtime(|| self.0.lock().unwrap().batch_execute(sql).unwrap());
    }
    fn texts(&self, sql: &str) -> Vec<String> {
        off_runtime(|| self.0.lock().unwrap().query(sql, &[]).unwrap().iter().map(|r| r.get::<_, String>(0)).collect())
    }
    fn files(&self) -> Option<Vec<u8>> {
        None
    }
}

fn state(store: Store, key: &std::path::Path) -> ConsentState {
    let keys = ApiKeys::parse(&["advisor:npai-advisor-key-01".into(), "admin:npai-admin-key-0001".into()], None).unwrap();
    ConsentState::new(store, Signer::load_or_create(key).unwrap(), None, 16 * 1024, vec![])
        .with_api_keys(keys)
        .with_index_key(IndexKey::from_bytes([0x3c; 32]))
}

async fn call(st: &ConsentState, method: &str, uri: &str, auth: Option<&str>, body: Value) -> (StatusCode, Value) {
    let mut req = Request::builder().method(method).uri(uri).header("content-type", "application/json");
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    let body = if body.is_null() { Body::empty() } else { Body::from(body.to_string()) };
    let resp = consent_api(st.clone()).oneshot(req.body(body).unwrap()).await.unwrap();
    let status = resp.status();
    (status, serde_json::from_slice(&resp.into_body().collect().await.unwrap().to_bytes()).unwrap_or(Value::Null))
}

fn person(data: Value) -> Value {
    let mut v: Value = serde_json::from_str(include_str!("../../consent/tests/fixtures/consent_record.json")).unwrap();
    for k in ["withdraws", "record_id"] {
        v.as_object_mut().unwrap().remove(k);
    }
    v["subject"] = "".into();
    v["purposes"][0]["text_sha256"] = "".into();
    v["purposes"][1]["text_sha256"] = "".into();
    v["subject_data"] = data;
    v
}

fn code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("")
}

/// The whole story, on either database.
async fn scenario(st: &ConsentState, raw: &dyn Raw) {
    let (s, r) = call(
        st,
        "POST",
        "/v1/consents",
        Some(ADVISOR),
        person(json!({ "email": "Jean.Dupont@example.fr", "last_name": "Dupont", "postcode": "75011" })),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let jean = r["subject"].as_str().unwrap().to_string();
    let (s, r) = call(st, "POST", "/v1/consents", Some(ADVISOR), person(json!({ "email": "marie@example.fr" }))).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let marie = r["subject"].as_str().unwrap().to_string();

    // The shop reports by email (its files have no pseudonym), then by subject and BAN id.
    let by_email = json!({ "email": " jean.dupont@EXAMPLE.fr", "address": { "text": "12 bd Voltaire 75011 Paris" }, "returned_on": "2026-10-05", "reason": "npai" });
    let (s, r) = call(st, "POST", "/v1/address/returned", Some(ADVISOR), by_email.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!((r["subject"].as_str(), r["address_returns"].as_u64()), (Some(jean.as_str()), Some(1)));
    let by_subject = json!({ "subject": jean, "address": { "ban_id": "75111_3811_00012", "text": "12, Boulevard Voltaire — 75011 PARIS" }, "returned_on": "2026-11-02", "reason": "unknown_address" });
    let (s, r) = call(st, "POST", "/v1/address/returned", Some(ADMIN), by_subject).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!(r["address_returns"], 2, "the same address, written another way: {r}");

    // Each protection of the report, attacked.
    let (s, r) = call(st, "POST", "/v1/address/returned", None, by_email.clone()).await;
    assert_eq!((s, code(&r)), (StatusCode::UNAUTHORIZED, "auth.required"));
    let (s, _) = call(st, "POST", "/v1/address/returned", Some("Bearer not-the-advisor-key"), by_email.clone()).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let forged = |k: &str, v: Value| {
        let mut b = by_email.clone();
        b[k] = v;
        b
    };
    for (body, want) in [
        (forged("address_returns", json!(99)), "bad_json"),
        (forged("address", json!({ "text": "12 bd Voltaire", "digest": "00" })), "bad_json"),
        (forged("returned_on", json!("2026-02-30")), "returned.bad_date"),
        (forged("returned_on", json!("02/11/2026")), "returned.bad_date"),
        (forged("reason", json!("moved away")), "returned.bad_reason"),
        (forged("address", json!({ "text": "— !" })), "returned.bad_address"),
        (forged("address", json!({ "ban_id": "75111 3811" })), "returned.bad_ban_id"),
        (forged("address", json!({ "ban_id": null })), "returned.no_address"),
        (forged("email", json!("jean.dupont@")), "returned.bad_contact"),
        (forged("email", Value::Null), "returned.no_subject"),
        (
            json!({ "subject": "jean@example.fr", "address": { "text": "x 1" }, "returned_on": "2026-11-02", "reason": "npai" }),
            "consent.bad_subject",
        ),
    ] {
        let (s, r) = call(st, "POST", "/v1/address/returned", Some(ADVISOR), body.clone()).await;
        assert_eq!((s, code(&r)), (StatusCode::BAD_REQUEST, want), "{body} → {r}");
    }
    let (s, r) = call(st, "POST", "/v1/address/returned", Some(ADVISOR), forged("email", json!("nobody@example.fr"))).await;
    assert_eq!((s, code(&r)), (StatusCode::NOT_FOUND, "consent.subject_not_found"));
    let (s, r) = call(st, "POST", "/v1/address/returned", Some(ADVISOR), json!({ "subject": "s_00000000000000000000000000000000", "address": { "text": "1 rue X" }, "returned_on": "2026-11-02", "reason": "npai" })).await;
    assert_eq!((s, code(&r)), (StatusCode::NOT_FOUND, "consent.subject_not_found"));

    // The advisor's duplicate answer says so, with the last day.
    let (s, r) = call(st, "POST", "/v1/match", Some(ADVISOR), json!({ "email": "jean.dupont@example.fr" })).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let m = &r["matches"][0];
    assert_eq!(m["subject"], jean.as_str());
    assert_eq!(
        m["returned_mail"],
        json!({ "count": 2, "last_returned_on": "2026-11-02", "reason": "unknown_address", "code": "address.mail_returned_on" })
    );
    let (_, r) = call(st, "POST", "/v1/match", Some(ADVISOR), json!({ "email": "marie@example.fr" })).await;
    assert!(r["matches"][0].get("returned_mail").is_none(), "{r}");

    // The public form's check: the same person, the same address however typed.
    let check = |email: &str, text: &str| json!({ "email": email, "address": { "text": text } });
    let (s, r) =
        call(st, "POST", "/v1/address/returned/check", None, check("jean.dupont@example.fr", "12 BOULEVARD VOLTAIRE 75011 Paris")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(r, json!({ "returned": true, "status": "warning", "code": "address.mail_returned" }));
    for (email, text) in [
        ("jean.dupont@example.fr", "14 bd Voltaire 75011 Paris"),
        ("marie@example.fr", "12 bd Voltaire 75011 Paris"),
        ("nobody@example.fr", "12 bd Voltaire 75011 Paris"),
    ] {
        let (s, r) = call(st, "POST", "/v1/address/returned/check", None, check(email, text)).await;
        assert_eq!((s, r), (StatusCode::OK, json!({ "returned": false })), "{email} {text}: unknown and not returned answer alike");
    }
    let (s, r) = call(st, "POST", "/v1/address/returned/check", None, json!({ "address": { "text": "12 bd Voltaire" } })).await;
    assert_eq!((s, code(&r)), (StatusCode::BAD_REQUEST, "returned.no_contact"));
    let (s, r) = call(
        st,
        "POST",
        "/v1/address/returned/check",
        None,
        json!({ "email": "jean.dupont@example.fr", "address": { "text": "x" }, "subject": jean }),
    )
    .await;
    assert_eq!((s, code(&r)), (StatusCode::BAD_REQUEST, "bad_json"), "the public check names no subject");

    // Access: the reports decrypted; advisors may not read them.
    let (s, _) = call(st, "GET", &format!("/v1/subjects/{jean}/consents"), Some(ADVISOR), Value::Null).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, r) = call(st, "GET", &format!("/v1/subjects/{jean}/consents"), Some(ADMIN), Value::Null).await;
    assert_eq!(s, StatusCode::OK);
    let list = r["returned_mail"].as_array().unwrap();
    assert_eq!(list.len(), 2, "{r}");
    let first = list.iter().find(|x| x["returned_on"] == "2026-10-05").unwrap();
    assert_eq!((first["address"]["text"].as_str(), first["reason"].as_str()), (Some("12 bd Voltaire 75011 Paris"), Some("npai")));
    let (_, r) = call(st, "GET", &format!("/v1/subjects/{marie}/consents"), Some(ADMIN), Value::Null).await;
    assert_eq!(r["returned_mail"], json!([]));

    // Nothing readable at rest: sealed details, keyed hashes of the address.
    for t in raw.texts("SELECT sealed FROM subject_returns").iter().chain(&raw.texts("SELECT address_digests FROM subject_returns")) {
        for needle in ["Voltaire", "voltaire", "npai", "2026-10-05", "75111_3811"] {
            assert!(!t.contains(needle), "{needle} in {t}");
        }
    }
    if let Some(bytes) = raw.files() {
        let text = String::from_utf8_lossy(&bytes).to_lowercase();
        assert!(!text.contains("voltaire") && !text.contains("75111_3811"), "an address in the database files");
    }
    assert!(raw.texts("SELECT digest FROM address_returns").iter().all(|d| d.len() == 64 && d.bytes().all(|c| c.is_ascii_hexdigit())));

    // A sealed report moved onto another row (or another person's) does not open.
    let ids = raw.texts(&format!("SELECT id FROM subject_returns WHERE subject = '{jean}' ORDER BY id"));
    raw.exec(&format!(
        "UPDATE subject_returns SET sealed = (SELECT sealed FROM subject_returns WHERE id = '{}') WHERE id = '{}'",
        ids[0], ids[1]
    ));
    let (_, r) = call(st, "GET", &format!("/v1/subjects/{jean}/consents"), Some(ADMIN), Value::Null).await;
    let tampered: Vec<&Value> = r["returned_mail"].as_array().unwrap().iter().filter(|x| x["erased"] == true).collect();
    assert_eq!(tampered.len(), 1, "{r}");
    assert_eq!(tampered[0]["id"], ids[1].as_str());

    // Erasure: the person's reports go with their key; the address's count stays.
    let (s, r) = call(st, "DELETE", &format!("/v1/subjects/{jean}"), Some(ADMIN), Value::Null).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert!(raw.texts(&format!("SELECT id FROM subject_returns WHERE subject = '{jean}'")).is_empty());
    assert_eq!(raw.texts("SELECT CAST(MAX(returns) AS TEXT) FROM address_returns"), ["2"]);
    let (s, r) = call(st, "POST", "/v1/address/returned/check", None, check("jean.dupont@example.fr", "12 bd Voltaire 75011 Paris")).await;
    assert_eq!((s, r), (StatusCode::OK, json!({ "returned": false })));
    let (s, r) = call(
        st,
        "POST",
        "/v1/address/returned",
        Some(ADVISOR),
        json!({ "subject": jean, "address": { "text": "1 rue X" }, "returned_on": "2026-11-02", "reason": "npai" }),
    )
    .await;
    assert_eq!((s, code(&r)), (StatusCode::CONFLICT, "consent.subject_erased"));
    let (_, r) = call(st, "GET", &format!("/v1/subjects/{jean}/consents"), Some(ADMIN), Value::Null).await;
    assert_eq!(r["returned_mail"], json!([]));
    if let Some(bytes) = raw.files() {
        for id in &ids {
            assert!(!String::from_utf8_lossy(&bytes).contains(id.as_str()), "an erased report's id is still on disk");
        }
    }

    // A row of the erased person brought back (a restored backup) goes again at the next start.
    raw.exec(&format!("INSERT INTO subject_returns (id, subject, address_digests, sealed, reported_at) VALUES ('restored', '{jean}', '', '{{}}', '2026-11-02T00:00:00Z')"));
    let store = st.store.clone();
    tokio::task::spawn_blocking(move || store.reapply_erasures(&[]).unwrap()).await.unwrap();
    assert!(raw.texts("SELECT id FROM subject_returns WHERE id = 'restored'").is_empty());
}

#[tokio::test]
async fn returned_mail_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("l.sqlite");
    let st = state(Store::open(&db).unwrap(), &dir.path().join("l.key"));
    scenario(&st, &SqliteRaw(db)).await;
}

#[test]
fn returned_mail_on_postgresql() {
    let mut server = pg::Pg::start();
    let url = server.create_db("npai");
    let dir = tempfile::tempdir().unwrap();
    let store = Store::connect(&Database::Postgres(url), 2).unwrap();
    let st = state(store, &dir.path().join("l.key"));
    let raw = PgRaw(std::sync::Mutex::new(server.client("npai")));
    tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(scenario(&st, &raw));
    server.stop();
}
