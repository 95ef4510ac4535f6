//! A grant that asked for a double opt-in confirmation counts as a consent
//! only once confirmed within `--double-opt-in-hours`: every reader of the
//! ledger applies that one rule (`consent::state::effective`). On a real
//! SQLite ledger and on a real PostgreSQL server: records filed through the
//! router, confirmations through the mailed link's route, then the
//! re-permission selection, the subject access export and the breach
//! register each asked who consents.
#[path = "common/pg.rs"]
mod pg;

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use fiable_lookup::app::consent_api;
use fiable_lookup::consent::auth::ApiKeys;
use fiable_lookup::consent::breach::{self, Opening};
use fiable_lookup::consent::repermission::{self as rp, Contact};
use fiable_lookup::consent::sign::Signer;
use fiable_lookup::consent::store::{Database, Store};
use fiable_lookup::consent::{ConsentState, ledger, optin};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

const ADMIN: &str = "Bearer unconfirmed-admin-key-1";
const ADVISOR: &str = "Bearer unconfirmed-advisor-key-1";
const H72: Duration = Duration::from_secs(72 * 3600);
const HOUR: i64 = 3600;

fn state(store: Store, dir: &std::path::Path) -> ConsentState {
    let keys = ApiKeys::parse(&["admin:unconfirmed-admin-key-1".into(), "advisor:unconfirmed-advisor-key-1".into()], None).unwrap();
    ConsentState::new(store, Signer::load_or_create(&dir.join("l.key")).unwrap(), None, 16 * 1024, vec![]).with_api_keys(keys)
}

async fn call(app: &Router, method: &str, uri: &str, auth: Option<&str>, body: String) -> (StatusCode, String) {
    let mut req = Request::builder().method(method).uri(uri).header("content-type", "application/json");
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    let resp = app.clone().oneshot(req.body(Body::from(body)).unwrap()).await.unwrap();
    let status = resp.status();
    (status, String::from_utf8(resp.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap())
}

/// Files a web record granting the newsletter on condition of an email
/// confirmation (and refusing the partners), acted at `acted`; its id and subject.
async fn grant(app: &Router, email: &str, acted: i64) -> (String, String) {
    let r = json!({
        "schema_version": 1, "subject": "", "subject_data": { "email": email },
        "controller": { "name": "Boutique Démo SAS", "contact": "dpo@boutique-demo.example" },
        "purposes": [
            { "id": "newsletter", "text": "La newsletter, une fois par semaine.", "text_sha256": "", "decision": "granted",
              "legal_basis": "consent", "affirmative_action": true, "confirmation": "email" },
            { "id": "partners", "text": "Les offres des partenaires.", "text_sha256": "", "decision": "refused",
              "legal_basis": "consent", "affirmative_action": false }],
        "channel": "web", "collector": { "site": "boutique-demo.example" }, "form": { "id": "signup", "version": "2026-12" },
        "locale": "fr", "acted_at": ledger::rfc3339(acted, 0),
    });
    let (st, body) = call(app, "POST", "/v1/consents", Some(ADVISOR), r.to_string()).await;
    assert_eq!(st, StatusCode::CREATED, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    (v["id"].as_str().unwrap().to_string(), v["subject"].as_str().unwrap().to_string())
}

/// Opens the confirmation link of record `id` (as the mail would carry it).
async fn confirm(app: &Router, st: &ConsentState, id: &str, now: i64) {
    let token = optin::token(&st.index_key, id, u64::try_from(now + HOUR).unwrap());
    let (status, page) = call(app, "GET", &format!("/v1/consents/confirm?token={token}"), None, String::new()).await;
    assert_eq!(status, StatusCode::OK, "{page}");
}

/// The newsletter's entry of a subject's export.
async fn exported(app: &Router, subject: &str) -> Value {
    let (status, body) = call(app, "GET", &format!("/v1/subjects/{subject}/consents"), Some(ADMIN), String::new()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    let purposes = v["purposes"].as_array().unwrap_or_else(|| panic!("no purposes in the export: {v}"));
    assert_eq!(purposes.iter().find(|p| p["purpose"] == "partners").unwrap()["state"], "refused", "{v}");
    purposes.iter().find(|p| p["purpose"] == "newsletter").unwrap().clone()
}

async fn readers_apply_the_confirmation_rule(st: ConsentState) {
    let app = consent_api(st.clone());
    let now = ledger::parse_rfc3339(&ledger::now_rfc3339()).unwrap();
    // Anne granted an hour ago: her confirmation can still come.
    let (_, anne) = grant(&app, "anne@example.fr", now - HOUR).await;
    // Bruno granted five days ago and never confirmed.
    let (_, bruno) = grant(&app, "bruno@example.fr", now - 120 * HOUR).await;
    // Chloé granted an hour ago and opened her link.
    let (chloe_id, chloe) = grant(&app, "chloe@example.fr", now - HOUR).await;
    confirm(&app, &st, &chloe_id, now).await;
    // Denis granted four days ago and opened a link now: too late.
    let (denis_id, denis) = grant(&app, "denis@example.fr", now - 96 * HOUR).await;
    confirm(&app, &st, &denis_id, now).await;

    // The subject access export says each state, never "granted" for an unconfirmed grant.
    let a = exported(&app, &anne).await;
    assert_eq!(a["state"], "unconfirmed", "{a}");
    assert_eq!(a["confirm_by"], ledger::rfc3339(now - HOUR + 72 * HOUR, 0), "{a}");
    assert_eq!(exported(&app, &bruno).await["state"], "expired_unconfirmed");
    let c = exported(&app, &chloe).await;
    assert_eq!((c["state"].as_str(), c["decided_by"].as_str()), (Some("granted"), Some(chloe_id.as_str())), "{c}");
    assert!(c["confirmed_by"].as_str().is_some_and(|id| id != chloe_id), "{c}");
    let d = exported(&app, &denis).await;
    assert_eq!(d["state"], "expired_unconfirmed", "a confirmation past the delay is none: {d}");

    // The re-permission campaign asks Bruno and Denis again, not Anne (her
    // mail is out) nor Chloé (she consents).
    let contacts: Vec<Contact> = ["anne", "bruno", "chloe", "denis", "emile"]
        .iter()
        .map(|n| Contact { email: Some(format!("{n}@example.fr")), purposes: vec!["newsletter".into()], ..Default::default() })
        .collect();
    let store = st.store.clone();
    let index_key = st.index_key.clone();
    let sel = tokio::task::spawn_blocking(move || rp::select(&store, &index_key, &["newsletter".into()], contacts, now, H72).unwrap())
        .await
        .unwrap();
    let mut asked: Vec<String> = sel.invitations.iter().map(|i| i.contact.email.clone().unwrap()).collect();
    asked.sort();
    assert_eq!(asked, ["bruno@example.fr", "denis@example.fr", "emile@example.fr"]);
    let n = &sel.counts["newsletter"];
    assert_eq!((n.listed, n.valid, n.pending, n.asked, n.refused_before), (5, 1, 1, 3, 0), "{n:?}");
    // A longer delay (a week) makes Bruno's and Denis's grants pending and
    // Denis's confirmation in time.
    let (store, index_key) = (st.store.clone(), st.index_key.clone());
    let contacts = vec![
        Contact { email: Some("bruno@example.fr".into()), purposes: vec!["newsletter".into()], ..Default::default() },
        Contact { email: Some("denis@example.fr".into()), purposes: vec!["newsletter".into()], ..Default::default() },
    ];
    let week = Duration::from_secs(7 * 24 * 3600);
    let sel = tokio::task::spawn_blocking(move || rp::select(&store, &index_key, &["newsletter".into()], contacts, now, week).unwrap())
        .await
        .unwrap();
    assert!(sel.invitations.is_empty());
    assert_eq!((sel.counts["newsletter"].pending, sel.counts["newsletter"].valid), (1, 1));

    // The breach register counts Chloé alone as granted at the window's end.
    let (store, signer) = (st.store.clone(), st.signer.clone());
    let impact = tokio::task::spawn_blocking(move || {
        let opening = Opening {
            started_at: ledger::rfc3339(now - 200 * HOUR, 0),
            discovered_at: ledger::rfc3339(now, 0),
            nature: "a copy of the ledger was readable".into(),
            categories: vec!["consent decisions".into()],
            systems: vec!["backup".into()],
        };
        let (case, _) = breach::open(&store, &signer, opening).unwrap();
        breach::impact(&store, &case, now + 60, H72).unwrap()
    })
    .await
    .unwrap();
    assert_eq!(breach::PURPOSE_COLUMNS, ["granted", "not confirmed", "expired", "refused", "withdrawn"]);
    assert_eq!(impact.purposes["newsletter"], [1, 3, 0, 0, 0]);
    assert_eq!(impact.purposes["partners"], [0, 0, 0, 4, 0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readers_of_a_sqlite_ledger_apply_the_confirmation_rule() {
    let dir = tempfile::tempdir().unwrap();
    let st = state(Store::open(&dir.path().join("l.sqlite")).unwrap(), dir.path());
    readers_apply_the_confirmation_rule(st).await;
}

#[test]
fn readers_of_a_postgresql_ledger_apply_the_confirmation_rule() {
    let mut server = pg::Pg::start();
    let url = server.create_db("unconfirmed");
    let dir = tempfile::tempdir().unwrap();
    let st = state(Store::connect(&Database::Postgres(url), 2).unwrap(), dir.path());
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(readers_apply_the_confirmation_rule(st));
    drop(rt);
    server.stop();
}
