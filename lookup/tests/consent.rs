//! The consent ledger: handlers through `oneshot`, and tamper detection.
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use fiable_lookup::app::consent_api;
use fiable_lookup::consent::ConsentState;
use fiable_lookup::consent::ledger::{self, Entry, GENESIS, Receipt};
use fiable_lookup::consent::sign::Signer;
use fiable_lookup::consent::store::{self, Store};
use http_body_util::BodyExt;
use proptest::prelude::*;
use serde_json::Value;
use tower::ServiceExt;

const ADMIN: &str = "s3cret-admin-key";

/// The sample record of the core's fixtures, without `withdraws` nor an
/// id (the service assigns it), on the public `web` channel (store and
/// phone records need an advisor key).
fn record() -> Value {
    let mut v: Value = serde_json::from_str(include_str!("../../consent/tests/fixtures/consent_record.json")).unwrap();
    v.as_object_mut().unwrap().remove("withdraws");
    v.as_object_mut().unwrap().remove("record_id");
    v["channel"] = "web".into();
    v
}

fn record_with_id(id: &str) -> Value {
    let mut v = record();
    v["record_id"] = id.into();
    v
}

struct Svc {
    app: Router,
    _dir: tempfile::TempDir,
    db: std::path::PathBuf,
    state: ConsentState,
}

fn svc() -> Svc {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ledger.sqlite");
    let state = ConsentState::new(Store::open(&db).unwrap(), Signer::generate().unwrap(), Some(ADMIN), 8 * 1024, vec![]);
    Svc { app: consent_api(state.clone()), _dir: dir, db, state }
}

impl Svc {
    async fn call(&self, method: &str, uri: &str, headers: &[(&str, &str)], body: impl Into<Body>) -> (StatusCode, Value) {
        let mut req = Request::builder().method(method).uri(uri).header("content-type", "application/json");
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = self.app.clone().oneshot(req.body(body.into()).unwrap()).await.unwrap();
        let status = resp.status();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    /// Posts a record that names its subject, hence with the admin key
    /// (anonymous callers may not: see `consent_public.rs`). The receipt
    /// comes back without its withdrawal capability, which stored receipts
    /// never hold.
    async fn post(&self, v: &Value, key: Option<&str>) -> (StatusCode, Value) {
        let bearer = format!("Bearer {ADMIN}");
        let mut h: Vec<(&str, &str)> = key.map(|k| ("idempotency-key", k)).into_iter().collect();
        h.push(("authorization", &bearer));
        let (st, mut v) = self.call("POST", "/v1/consents", &h, v.to_string()).await;
        if st.is_success() {
            assert_eq!(v["withdraw_token"].as_str().map(str::len), Some(64), "{v}");
            v.as_object_mut().unwrap().remove("withdraw_token");
        }
        (st, v)
    }
}

fn receipt(v: &Value) -> Receipt {
    serde_json::from_value(v.clone()).unwrap()
}

#[tokio::test]
async fn append_returns_receipts_that_chain_and_verify_offline() {
    let s = svc();
    let (st, pk) = s.call("GET", "/v1/consents/public-key", &[], Body::empty()).await;
    assert_eq!(st, StatusCode::OK);
    let pk = pk["public_key"].as_str().unwrap().to_string();
    assert_eq!(pk, s.state.signer.public_key_hex());

    let (st, r1) = s.post(&record(), None).await;
    assert_eq!(st, StatusCode::CREATED, "{r1}");
    let r1 = receipt(&r1);
    assert_eq!((r1.seq, r1.prev_hash.as_str()), (1, GENESIS));
    assert_eq!(r1.id.len(), 32, "server-assigned id");
    ledger::verify_receipt(&r1, Some(&pk)).unwrap();

    let (st, r2) = s.post(&record_with_id("client-chosen-id-2"), None).await;
    assert_eq!(st, StatusCode::CREATED);
    let r2 = receipt(&r2);
    assert_eq!((r2.seq, &r2.prev_hash, r2.id.as_str()), (2, &r1.hash, "client-chosen-id-2"));
    ledger::verify_receipt(&r2, Some(&pk)).unwrap();
    // The hash is SHA-256(prev || canonical record), computable by anyone.
    let mut rec: fiable_consent::ConsentRecord = serde_json::from_value(record_with_id("client-chosen-id-2")).unwrap();
    assert_eq!(ledger::chain_hash(&r1.hash, &rec.canonical_json()).unwrap(), r2.hash);
    rec.purposes[0].decision = "refused".into();
    assert_ne!(ledger::chain_hash(&r1.hash, &rec.canonical_json()).unwrap(), r2.hash);
    // A forged receipt fails.
    let mut forged = r2.clone();
    forged.seq = 7;
    assert!(ledger::verify_receipt(&forged, Some(&pk)).is_err());
    assert!(ledger::verify_receipt(&r2, Some(Signer::generate().unwrap().public_key_hex())).is_err());

    let v = store::verify(&Store::open_read_only(&s.db).unwrap(), Some(&pk)).unwrap();
    assert_eq!(v.entries, 2);
}

#[tokio::test]
async fn idempotency_key_replays_the_same_receipt_and_conflicts_on_another_body() {
    let s = svc();
    let (st, first) = s.post(&record(), Some("order-42-consent")).await;
    assert_eq!(st, StatusCode::CREATED);
    // Same record, other whitespace and key order: same request.
    let pretty = serde_json::to_string_pretty(&record()).unwrap();
    let bearer = format!("Bearer {ADMIN}");
    let (st, mut again) =
        s.call("POST", "/v1/consents", &[("idempotency-key", "order-42-consent"), ("authorization", &bearer)], pretty).await;
    assert_eq!(st, StatusCode::OK);
    again.as_object_mut().unwrap().remove("withdraw_token");
    assert_eq!(again, first);
    let mut other = record();
    other["purposes"][1]["decision"] = "granted".into();
    other["purposes"][1]["affirmative_action"] = true.into();
    let (st, e) = s.post(&other, Some("order-42-consent")).await;
    assert_eq!(st, StatusCode::CONFLICT);
    assert_eq!(e["error"]["code"], "consent.idempotency_conflict");
    assert_eq!(s.state.store.len().unwrap(), 1);
    let (st, e) = s.post(&record(), Some("bad key with spaces")).await;
    assert_eq!((st, e["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("consent.bad_idempotency_key")));
}

#[tokio::test]
async fn a_beacon_carries_its_key_in_the_query_and_a_later_fetch_replays_it() {
    let s = svc();
    // navigator.sendBeacon: no headers of its own (so no key: the
    // widget's anonymous record), a text/plain body.
    let mut anon = record();
    anon["subject"] = "".into();
    anon["subject_data"] = serde_json::json!({ "email": "beacon@example.fr" });
    let beacon = Request::builder()
        .method("POST")
        .uri("/v1/consents?idempotency_key=beacon-7f3a")
        .header("content-type", "text/plain;charset=UTF-8")
        .body(Body::from(anon.to_string()))
        .unwrap();
    let resp = s.app.clone().oneshot(beacon).await.unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let first: Value = serde_json::from_slice(&resp.into_body().collect().await.unwrap().to_bytes()).unwrap();
    // The page came back and retried with the header: the same receipt, one entry.
    let (st, again) = s.call("POST", "/v1/consents", &[("idempotency-key", "beacon-7f3a")], anon.to_string()).await;
    assert_eq!((st, &again), (StatusCode::OK, &first));
    assert!(first.get("subject").is_none(), "no pseudonym for an anonymous caller: {first}");
    assert_eq!(s.state.store.len().unwrap(), 1);
    let (st, e) = s.call("POST", "/v1/consents?idempotency_key=", &[], record().to_string()).await;
    assert_eq!((st, e["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("consent.bad_idempotency_key")));
}

#[tokio::test]
async fn same_record_id_twice_is_a_conflict() {
    let s = svc();
    assert_eq!(s.post(&record_with_id("dup-1"), None).await.0, StatusCode::CREATED);
    let (st, e) = s.post(&record_with_id("dup-1"), None).await;
    assert_eq!((st, e["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("consent.duplicate_id")));
}

#[tokio::test]
async fn back_office_routes_need_the_admin_key() {
    let s = svc();
    let (_, r) = s.post(&record_with_id("rec-a"), None).await;
    let subject = record()["subject"].as_str().unwrap().to_string();
    let uri = format!("/v1/subjects/{subject}/consents");
    for h in [vec![], vec![("authorization", "Bearer wrong")], vec![("x-api-key", "s3cret-admin-ke")]] {
        let (st, e) = s.call("GET", &uri, &h, Body::empty()).await;
        assert_eq!((st, e["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("auth.required")));
        let (st, _) = s.call("POST", "/v1/consents/rec-a/withdraw", &h, Body::empty()).await;
        assert_eq!(st, StatusCode::UNAUTHORIZED);
    }
    let bearer = format!("Bearer {ADMIN}");
    let (st, v) = s.call("GET", &uri, &[("authorization", &bearer)], Body::empty()).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(v["consents"][0]["receipt"], r);
    assert_eq!(v["consents"][0]["record"]["purposes"][0]["id"], "newsletter");
    // No admin key configured: nobody gets in.
    let dir = tempfile::tempdir().unwrap();
    let closed = ConsentState::new(Store::open(&dir.path().join("l.sqlite")).unwrap(), Signer::generate().unwrap(), None, 1024, vec![]);
    let resp =
        consent_api(closed).oneshot(Request::get(&uri).header("authorization", "Bearer ").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn withdrawal_is_a_new_record() {
    let s = svc();
    let (_, r) = s.post(&record_with_id("rec-w"), None).await;
    let bearer = format!("Bearer {ADMIN}");
    let auth = [("authorization", bearer.as_str())];
    let (st, w) = s.call("POST", "/v1/consents/rec-w/withdraw", &auth, r#"{"acted_at":"2026-12-01T10:00:00Z"}"#).await;
    assert_eq!(st, StatusCode::CREATED, "{w}");
    assert_eq!((w["seq"].as_u64(), &w["prev_hash"]), (Some(2), &r["hash"]));
    let subject = record()["subject"].as_str().unwrap().to_string();
    let (_, v) = s.call("GET", &format!("/v1/subjects/{subject}/consents"), &auth, Body::empty()).await;
    let list = v["consents"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["receipt"], r, "the original is untouched");
    let wr = &list[1]["record"];
    assert_eq!(wr["withdraws"], "rec-w");
    assert_eq!(wr["acted_at"], "2026-12-01T10:00:00Z");
    // Only the granted purpose is withdrawn; the refused one stays refused.
    assert_eq!(wr["purposes"].as_array().unwrap().len(), 1);
    assert_eq!(wr["purposes"][0]["decision"], "withdrawn");
    let (st, e) = s.call("POST", &format!("/v1/consents/{}/withdraw", w["id"].as_str().unwrap()), &auth, Body::empty()).await;
    assert_eq!((st, e["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("consent.nothing_to_withdraw")));
    let (st, e) = s.call("POST", "/v1/consents/nope/withdraw", &auth, Body::empty()).await;
    assert_eq!((st, e["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("consent.not_found")));
    let (st, e) = s.call("POST", "/v1/consents/rec-w/withdraw", &auth, r#"{"acted_at":"soon"}"#).await;
    assert_eq!((st, e["error"]["problems"][0]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("consent.bad_time")));
}

#[tokio::test]
async fn oversize_bodies_get_413() {
    let s = svc();
    let mut big = record();
    big["purposes"][0]["text"] = "x".repeat(10 * 1024).into();
    let (st, e) = s.post(&big, None).await;
    assert_eq!((st, e["error"]["code"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large")));
}

#[tokio::test]
async fn invalid_records_get_stable_codes() {
    let s = svc();
    let mut bad = record();
    bad["purposes"][0]["text_sha256"] = "00".repeat(32).into();
    bad["purposes"][1]["text"] = "".into();
    bad["channel"] = "fax".into();
    bad["subject"] = "jean.dupont@example.com".into();
    let (st, e) = s.post(&bad, None).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(e["error"]["code"], "consent.invalid");
    let codes: Vec<&str> = e["error"]["problems"].as_array().unwrap().iter().map(|p| p["code"].as_str().unwrap()).collect();
    for c in ["consent.text_hash_mismatch", "consent.missing_purpose_text", "consent.unknown_channel", "consent.subject_not_pseudonymous"] {
        assert!(codes.contains(&c), "{c}: {codes:?}");
    }
    assert!(!e.to_string().contains("jean.dupont"), "no personal data echoed: {e}");
    let mut pre = record();
    pre["purposes"][0]["affirmative_action"] = false.into();
    let (_, e) = s.post(&pre, None).await;
    assert_eq!(e["error"]["problems"][0]["code"], "consent.granted_without_action");
    let mut extra = record();
    extra["email"] = "jean.dupont@example.com".into();
    for body in [extra.to_string(), "{".into(), "[]".into()] {
        let (st, e) = s.call("POST", "/v1/consents", &[("authorization", &format!("Bearer {ADMIN}"))], body).await;
        assert_eq!((st, e["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("bad_json")));
        assert!(!e.to_string().contains("jean.dupont"));
    }
    assert!(s.state.store.is_empty().unwrap());
}

// ------------------------------------------------------------ tamper detection

/// A ledger of `n` entries on disk, and its export.
fn ledger_of(n: usize) -> (tempfile::TempDir, std::path::PathBuf, Vec<Entry>, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("l.sqlite");
    let st = Store::open(&db).unwrap();
    let signer = Signer::from_seed([7; 32]);
    for i in 0..n {
        let mut r: fiable_consent::ConsentRecord = serde_json::from_value(record_with_id(&format!("rec-{i}"))).unwrap();
        r.purposes[1].text = format!("Partenaires n°{i} \"quoted\"\n");
        r.purposes[1].text_sha256 = fiable_consent::sha256_hex(r.purposes[1].text.as_bytes());
        st.append(&r, None, &signer).unwrap();
    }
    let mut entries = vec![];
    st.for_each(|e| -> Result<(), store::StoreError> {
        entries.push(e);
        Ok(())
    })
    .unwrap();
    let mut out = vec![];
    store::export(&st, &mut out).unwrap();
    (dir, db, entries, out)
}

fn verify_entries(entries: &[Entry]) -> Result<u64, ledger::Broken> {
    let mut v = ledger::ChainVerifier::new(Some(Signer::from_seed([7; 32]).public_key_hex().to_string()));
    for e in entries {
        v.push(e)?;
    }
    Ok(v.count())
}

#[test]
fn an_untouched_ledger_and_its_export_verify() {
    let (_d, db, entries, export) = ledger_of(5);
    assert_eq!(verify_entries(&entries).unwrap(), 5);
    let v = ledger::verify_export(&export, None).unwrap();
    assert_eq!((v.entries, v.head.as_str()), (5, entries[4].hash.as_str()));
    assert_eq!(store::verify(&Store::open_read_only(&db).unwrap(), None).unwrap().entries, 5);
}

#[test]
fn the_store_refuses_edits_and_verify_catches_them_when_forced() {
    let (_d, db, _, _) = ledger_of(3);
    let conn = rusqlite::Connection::open(&db).unwrap();
    let e = conn.execute("UPDATE ledger SET record = replace(record, 'granted', 'refused') WHERE seq = 2", []).unwrap_err();
    assert!(e.to_string().contains("append-only"), "{e}");
    assert!(conn.execute("DELETE FROM ledger WHERE seq = 3", []).is_err());
    // Someone with raw access drops the trigger: verify names the entry.
    conn.execute_batch("DROP TRIGGER ledger_no_update; UPDATE ledger SET record = replace(record, 'granted', 'refused') WHERE seq = 2")
        .unwrap();
    let b = store::verify(&Store::open_read_only(&db).unwrap(), None).unwrap_err();
    assert_eq!(b.seq, 2, "{b}");
}

#[test]
fn a_changed_byte_in_an_export_line_is_named() {
    let (_d, _, _, export) = ledger_of(4);
    let text = String::from_utf8(export).unwrap();
    let line3 = text.split_inclusive('\n').take(3).map(str::len).sum::<usize>();
    let pos = line3 + text[line3..].find("Partenaires").unwrap();
    let mut bytes = text.into_bytes();
    bytes[pos] = b'p';
    let b = ledger::verify_export(&bytes, None).unwrap_err();
    assert_eq!(b.seq, 3);
    assert_eq!(b.at.as_deref(), Some(format!("line 4, byte {line3}").as_str()));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn any_changed_byte_in_a_record_or_signature_is_detected(which in 0usize..4, field in 0usize..3, at in any::<prop::sample::Index>(), to in any::<u8>()) {
        static LEDGER: std::sync::OnceLock<Vec<Entry>> = std::sync::OnceLock::new();
        let entries = LEDGER.get_or_init(|| ledger_of(4).2);
        let mut t = entries.clone();
        let s = match field { 0 => &mut t[which].record, 1 => &mut t[which].signature, _ => &mut t[which].hash };
        let mut bytes = std::mem::take(s).into_bytes();
        let i = at.index(bytes.len());
        prop_assume!(bytes[i] != to);
        bytes[i] = to;
        let Ok(changed) = String::from_utf8(bytes) else { return Ok(()) };
        *s = changed;
        let b = verify_entries(&t).unwrap_err();
        prop_assert_eq!(b.seq, which as u64 + 1);
    }
}

#[test]
fn concurrent_writers_on_two_connections_keep_one_chain() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("l.sqlite");
    let stores = [std::sync::Arc::new(Store::open(&db).unwrap()), std::sync::Arc::new(Store::open(&db).unwrap())];
    let signer = std::sync::Arc::new(Signer::from_seed([9; 32]));
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let (st, signer) = (stores[t % 2].clone(), signer.clone());
            std::thread::spawn(move || {
                for i in 0..25 {
                    let r: fiable_consent::ConsentRecord = serde_json::from_value(record_with_id(&format!("c-{t}-{i}"))).unwrap();
                    st.append(&r, Some((&format!("k-{t}-{i}"), "req")), &signer).unwrap();
                }
            })
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());
    let v = store::verify(&Store::open_read_only(&db).unwrap(), Some(signer.public_key_hex())).unwrap();
    assert_eq!(v.entries, 100);
}

#[tokio::test]
async fn the_widget_origin_may_post_with_an_idempotency_key() {
    let dir = tempfile::tempdir().unwrap();
    let st = ConsentState::new(
        Store::open(&dir.path().join("l.sqlite")).unwrap(),
        Signer::generate().unwrap(),
        None,
        1024,
        vec!["https://shop.example".into()],
    );
    let req = Request::builder()
        .method("OPTIONS")
        .uri("/v1/consents")
        .header("origin", "https://shop.example")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type,idempotency-key")
        .body(Body::empty())
        .unwrap();
    let resp = consent_api(st).oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["access-control-allow-origin"], "https://shop.example");
    assert!(resp.headers()["access-control-allow-headers"].to_str().unwrap().contains("idempotency-key"));
}
