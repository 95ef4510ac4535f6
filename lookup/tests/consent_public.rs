//! The public `POST /v1/consents` against an adversary (issue 12): each
//! test performs one attack an anonymous caller could make and checks it
//! now fails, through the real router on a real SQLite ledger.
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use fiable_lookup::app::consent_api;
use fiable_lookup::consent::ConsentState;
use fiable_lookup::consent::auth::ApiKeys;
use fiable_lookup::consent::sign::Signer;
use fiable_lookup::consent::store::{Mode, Store};
use fiable_lookup::consent::vault::IndexKey;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

const ADVISOR: &str = "Bearer public-test-advisor-key";
const ADMIN: &str = "Bearer public-test-admin-key-1";

fn state(dir: &std::path::Path) -> ConsentState {
    let keys = ApiKeys::parse(&["advisor:public-test-advisor-key".into(), "admin:public-test-admin-key-1".into()], None).unwrap();
    ConsentState::new(Store::open(&dir.join("ledger.sqlite")).unwrap(), Signer::generate().unwrap(), None, 16 * 1024, vec![])
        .with_api_keys(keys)
        .with_index_key(IndexKey::from_bytes([0x3c; 32]))
}

/// A submission as the widget sends it: no subject, the person's contact data.
fn person(data: Value) -> Value {
    let mut v: Value = serde_json::from_str(include_str!("../../consent/tests/fixtures/consent_record.json")).unwrap();
    v.as_object_mut().unwrap().remove("withdraws");
    v.as_object_mut().unwrap().remove("record_id");
    v["channel"] = "web".into();
    v["subject"] = "".into();
    v["subject_data"] = data;
    v
}

async fn call(app: &Router, method: &str, uri: &str, auth: Option<&str>, body: impl Into<Body>) -> (StatusCode, Value, Option<String>) {
    let mut req = Request::builder().method(method).uri(uri).header("content-type", "application/json");
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    let resp = app.clone().oneshot(req.body(body.into()).unwrap()).await.unwrap();
    let status = resp.status();
    let retry = resp.headers().get("retry-after").map(|v| v.to_str().unwrap().to_string());
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null), retry)
}

/// The subjects `/v1/match` finds for `q` (advisor key).
async fn subjects_of(app: &Router, q: Value) -> Vec<String> {
    let (st, v, _) = call(app, "POST", "/v1/match", Some(ADVISOR), q.to_string()).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    v["matches"].as_array().unwrap().iter().map(|m| m["subject"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn an_anonymous_caller_cannot_name_a_subject_nor_withdraw_for_someone() {
    let dir = tempfile::tempdir().unwrap();
    let st = state(dir.path());
    let app = consent_api(st.clone());
    // A victim's record, filed by an advisor: the attacker guessed or
    // learnt its pseudonym and record id.
    let (s, victim, _) =
        call(&app, "POST", "/v1/consents", Some(ADVISOR), person(json!({ "email": "victime@example.fr" })).to_string()).await;
    assert_eq!(s, StatusCode::CREATED, "{victim}");
    let victim_subject = victim["subject"].as_str().unwrap().to_string();

    // Attack 1: file contact data under the victim's pseudonym.
    let mut steer = person(json!({ "email": "attaquant@example.fr" }));
    steer["subject"] = victim_subject.as_str().into();
    let (s, e, _) = call(&app, "POST", "/v1/consents", None, steer.to_string()).await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("auth.required")));
    // Attack 2: a record that withdraws the victim's consent.
    let mut forged = person(json!({ "email": "attaquant@example.fr" }));
    forged["withdraws"] = victim["id"].clone();
    let (s, e, _) = call(&app, "POST", "/v1/consents", None, forged.to_string()).await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("auth.required")));
    // Attack 3: the withdrawal route without key, with a made-up token, or
    // with the token of the attacker's own record.
    let (s, own, _) = call(&app, "POST", "/v1/consents", None, person(json!({ "email": "attaquant@example.fr" })).to_string()).await;
    assert_eq!(s, StatusCode::CREATED, "{own}");
    let uri = format!("/v1/consents/{}/withdraw", victim["id"].as_str().unwrap());
    for body in [json!({}), json!({ "token": "00".repeat(32) }), json!({ "token": own["withdraw_token"] })] {
        let (s, e, _) = call(&app, "POST", &uri, None, body.to_string()).await;
        assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("auth.required")), "{body}");
    }
    // Only the victim's record and the attacker's own one are in the ledger.
    assert_eq!(st.store.len().unwrap(), 2);
    assert_eq!(st.store.by_subject(&victim_subject).unwrap().len(), 1);
}

#[tokio::test]
async fn the_receipts_capability_withdraws_and_nothing_else_does() {
    let dir = tempfile::tempdir().unwrap();
    let st = state(dir.path());
    let app = consent_api(st.clone());
    let (s, r, _) = call(&app, "POST", "/v1/consents", None, person(json!({ "email": "claire@example.fr" })).to_string()).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert!(r.get("subject").is_none(), "no pseudonym for an anonymous caller: {r}");
    let token = r["withdraw_token"].as_str().unwrap().to_string();
    let uri = format!("/v1/consents/{}/withdraw", r["id"].as_str().unwrap());
    // The capability withdraws now, in the original's channel: no backdating.
    let (s, e, _) = call(&app, "POST", &uri, None, json!({ "token": token, "acted_at": "2020-01-01T00:00:00Z" }).to_string()).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{e}");
    let (s, w, _) = call(&app, "POST", &uri, None, json!({ "token": token }).to_string()).await;
    assert_eq!(s, StatusCode::CREATED, "{w}");
    assert!(w.get("subject").is_none() && w.get("withdraw_token").is_none(), "{w}");
    let stored = st.store.by_id(w["id"].as_str().unwrap()).unwrap().unwrap();
    let rec: Value = serde_json::from_str(&stored.record).unwrap();
    assert_eq!(rec["withdraws"], r["id"]);
    assert_eq!(rec["purposes"][0]["decision"], "withdrawn");
    // The admin key still withdraws without a token.
    let (s, r2, _) = call(&app, "POST", "/v1/consents", None, person(json!({ "email": "paul@example.fr" })).to_string()).await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, w2, _) = call(&app, "POST", &format!("/v1/consents/{}/withdraw", r2["id"].as_str().unwrap()), Some(ADMIN), "").await;
    assert_eq!(s, StatusCode::CREATED, "{w2}");
    assert!(w2["subject"].as_str().unwrap().starts_with("s_"), "the admin sees the subject");
}

#[tokio::test]
async fn an_anonymous_caller_cannot_merge_a_victim_into_its_subject_nor_learn_a_pseudonym() {
    let dir = tempfile::tempdir().unwrap();
    let st = state(dir.path());
    let app = consent_api(st.clone());
    let victim = json!({ "email": "victime@example.fr", "phone": "+33612345678" });
    let (s, r, _) = call(&app, "POST", "/v1/consents", None, person(victim).to_string()).await;
    assert_eq!(s, StatusCode::CREATED);
    assert!(r.get("subject").is_none(), "the victim's email gives no pseudonym back: {r}");
    let victim_subject = subjects_of(&app, json!({ "email": "victime@example.fr" })).await;
    assert_eq!(victim_subject.len(), 1);

    // The attacker's email with the victim's phone: before, the unknown
    // email fell through to the phone, found the victim's subject, and
    // attached the attacker's email to it (an access request for the
    // attacker then returned the victim's data).
    let (s, a, _) =
        call(&app, "POST", "/v1/consents", None, person(json!({ "email": "attaquant@example.fr", "phone": "+33612345678" })).to_string())
            .await;
    assert_eq!(s, StatusCode::CREATED);
    assert!(a.get("subject").is_none());
    let attacker_subject = subjects_of(&app, json!({ "email": "attaquant@example.fr" })).await;
    assert_eq!(attacker_subject.len(), 1);
    assert_ne!(attacker_subject, victim_subject, "merged into the victim's subject");
    // The victim's phone alone (what the victim types next time, without
    // email) does not land in the attacker's subject either.
    let (s, e, _) =
        call(&app, "POST", "/v1/consents", None, person(json!({ "phone": "+33612345678", "last_name": "Victime" })).to_string()).await;
    assert_eq!(s, StatusCode::CREATED, "{e}");
    let attacker_records = st.store.by_subject(&attacker_subject[0]).unwrap();
    assert_eq!(attacker_records.len(), 1, "only the attacker's own record under its subject");
    assert_eq!(st.store.by_subject(&victim_subject[0]).unwrap().len(), 1);
    // Deterministic: the same email again goes to the same subject, whoever sends it.
    let (s, e, _) = call(&app, "POST", "/v1/consents", None, person(json!({ "email": "victime@EXAMPLE.FR" })).to_string()).await;
    assert_eq!(s, StatusCode::CREATED, "{e}");
    assert_eq!(st.store.by_subject(&victim_subject[0]).unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_writer_queue_answers_503_with_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    let mut st = state(dir.path());
    st.max_queue = 2;
    let app = consent_api(st.clone());
    let store = st.store.clone();
    // Hold the writer (a write transaction of the same store) so that
    // appends queue behind it, as behind a slow disk.
    let (hold_tx, hold_rx) = std::sync::mpsc::channel::<()>();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<()>();
    let holder = std::thread::spawn(move || {
        store
            .tx(Mode::Write, |_| {
                ready_tx.send(()).unwrap();
                let _ = hold_rx.recv_timeout(Duration::from_secs(60));
                Ok(())
            })
            .unwrap();
    });
    ready_rx.recv().unwrap();
    let queued: Vec<_> = (0..2)
        .map(|i| {
            let app = app.clone();
            tokio::spawn(async move {
                call(&app, "POST", "/v1/consents", None, person(json!({ "email": format!("q{i}@example.fr") })).to_string()).await
            })
        })
        .collect();
    let start = Instant::now();
    while st.store.group_commit_waiting() < 2 && start.elapsed() < Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(st.store.group_commit_waiting(), 2);
    let (s, e, retry) = call(&app, "POST", "/v1/consents", None, person(json!({ "email": "late@example.fr" })).to_string()).await;
    assert_eq!((s, e["error"]["code"].as_str()), (StatusCode::SERVICE_UNAVAILABLE, Some("consent.busy")));
    assert_eq!(retry.as_deref(), Some("1"));
    hold_tx.send(()).unwrap();
    holder.join().unwrap();
    for q in queued {
        assert_eq!(q.await.unwrap().0, StatusCode::CREATED, "the queued ones are written");
    }
    assert_eq!(st.store.len().unwrap(), 2);
}
