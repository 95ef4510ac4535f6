//! The consent ledger on a real PostgreSQL (Debian's `postgresql`, started
//! here on 127.0.0.1 and stopped after, see `common/pg.rs`): the
//! behaviours `consent.rs` checks on SQLite, through the router; migrations
//! and append-only enforcement; two `fiable-lookup serve` processes writing
//! at once to one database; the SIGKILL crash scenario of
//! `consent_crash.rs`; and a database outage answered with 503.
//!
//! One server for the whole file (starting one costs seconds), one
//! database per scenario.
#[path = "common/pg.rs"]
mod pg;
#[path = "common/service.rs"]
mod service;

use std::collections::HashSet;
use std::ffi::OsString;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use fiable_lookup::consent::ledger::{self, GENESIS, Receipt};
use fiable_lookup::consent::sign::Signer;
use fiable_lookup::consent::store::{self, Database, Store};
use fiable_lookup::consent::{ConsentState, routes};
use http_body_util::BodyExt;
use serde_json::Value;
use service::{AUTH, http, record, run};
use tower::ServiceExt;

const ADMIN: &str = "s3cret-admin-key";

fn pg_db(url: &str) -> Database {
    Database::Postgres(url.to_string())
}

/// The core's sample record without `withdraws` nor an id, on the public
/// `web` channel (store and phone records need an advisor key).
fn sample() -> Value {
    let mut v: Value = serde_json::from_str(include_str!("../../core/tests/fixtures/consent_record.json")).unwrap();
    v.as_object_mut().unwrap().remove("withdraws");
    v.as_object_mut().unwrap().remove("record_id");
    v["channel"] = "web".into();
    v
}

fn sample_with_id(id: &str) -> Value {
    let mut v = sample();
    v["record_id"] = id.into();
    v
}

async fn call(app: &Router, method: &str, uri: &str, headers: &[(&str, &str)], body: impl Into<Body>) -> (StatusCode, Value) {
    let mut req = Request::builder().method(method).uri(uri).header("content-type", "application/json");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = app.clone().oneshot(req.body(body.into()).unwrap()).await.unwrap();
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

#[test]
fn consent_ledger_on_postgresql() {
    let t = std::time::Instant::now();
    let mut pg = pg::Pg::start();
    let phase = |name: &str| println!("  {name} done at {:.1?}", t.elapsed());
    phase("PostgreSQL start");
    let state = migrations_and_router(&pg);
    phase("migrations and router");
    append_only(&pg);
    phase("append-only");
    two_instances(&pg);
    phase("two instances");
    crash(&pg);
    phase("crash");
    // Last: the database goes away under a running service.
    pg.stop();
    outage(&state);
    phase("outage");
    drop(state);
    drop(pg);
    phase("cleanup");
}

/// Four stores opening a fresh database at once migrate it once; then the
/// behaviours of `consent.rs` through the router. Returns the state (its
/// store stays connected) for the outage check.
fn migrations_and_router(pg: &pg::Pg) -> ConsentState {
    let url = pg.create_db("router");
    let db = pg_db(&url);
    let openers: Vec<_> = (0..4).map(|_| {
        let db = db.clone();
        std::thread::spawn(move || Store::connect(&db, 2).map(|_| ()))
    }).collect();
    for o in openers {
        o.join().unwrap().unwrap();
    }
    let versions: Vec<i64> = pg.client("router").query("SELECT version FROM schema_migrations ORDER BY version", &[]).unwrap().iter().map(|r| r.get(0)).collect();
    assert_eq!(versions, [1, 2], "each migration applied once");

    let state = ConsentState::new(Store::connect(&db, 4).unwrap(), Signer::generate().unwrap(), Some(ADMIN), 8 * 1024, vec![]);
    assert!(state.store.is_postgres());
    let app = routes(state.clone());
    let pk = state.signer.public_key_hex().to_string();
    runtime().block_on(async {
        // Append: receipts chain and verify offline.
        let (st, r1) = call(&app, "POST", "/v1/consents", &[], sample().to_string()).await;
        assert_eq!(st, StatusCode::CREATED, "{r1}");
        let r1: Receipt = serde_json::from_value(r1).unwrap();
        assert_eq!((r1.seq, r1.prev_hash.as_str(), r1.id.len()), (1, GENESIS, 32));
        ledger::verify_receipt(&r1, Some(&pk)).unwrap();
        let (st, r2) = call(&app, "POST", "/v1/consents", &[], sample_with_id("pg-2").to_string()).await;
        assert_eq!(st, StatusCode::CREATED);
        let r2: Receipt = serde_json::from_value(r2).unwrap();
        assert_eq!((r2.seq, &r2.prev_hash, r2.id.as_str()), (2, &r1.hash, "pg-2"));
        ledger::verify_receipt(&r2, Some(&pk)).unwrap();

        // Idempotency: same request (other formatting) replays, another conflicts.
        let key = [("idempotency-key", "order-42-consent")];
        let (st, first) = call(&app, "POST", "/v1/consents", &key, sample_with_id("pg-3").to_string()).await;
        assert_eq!(st, StatusCode::CREATED);
        let pretty = serde_json::to_string_pretty(&sample_with_id("pg-3")).unwrap();
        let (st, again) = call(&app, "POST", "/v1/consents", &key, pretty).await;
        assert_eq!((st, &again), (StatusCode::OK, &first));
        let mut other = sample_with_id("pg-3");
        other["purposes"][1]["decision"] = "granted".into();
        other["purposes"][1]["affirmative_action"] = true.into();
        let (st, e) = call(&app, "POST", "/v1/consents", &key, other.to_string()).await;
        assert_eq!((st, e["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("consent.idempotency_conflict")));
        // Same record id without a key: duplicate.
        let (st, e) = call(&app, "POST", "/v1/consents", &[], sample_with_id("pg-2").to_string()).await;
        assert_eq!((st, e["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("consent.duplicate_id")));

        // Subject access and withdrawal, with the admin key.
        let bearer = format!("Bearer {ADMIN}");
        let auth = [("authorization", bearer.as_str())];
        let subject = sample()["subject"].as_str().unwrap().to_string();
        let uri = format!("/v1/subjects/{subject}/consents");
        assert_eq!(call(&app, "GET", &uri, &[], Body::empty()).await.0, StatusCode::UNAUTHORIZED);
        let (st, v) = call(&app, "GET", &uri, &auth, Body::empty()).await;
        assert_eq!(st, StatusCode::OK);
        let ids: Vec<&str> = v["consents"].as_array().unwrap().iter().map(|c| c["receipt"]["id"].as_str().unwrap()).collect();
        assert_eq!(ids, [r1.id.as_str(), "pg-2", "pg-3"]);
        let (st, w) = call(&app, "POST", "/v1/consents/pg-2/withdraw", &auth, r#"{"acted_at":"2026-12-01T10:00:00Z"}"#).await;
        assert_eq!(st, StatusCode::CREATED, "{w}");
        assert_eq!(w["seq"].as_u64(), Some(4));
        let (_, v) = call(&app, "GET", &uri, &auth, Body::empty()).await;
        let list = v["consents"].as_array().unwrap();
        assert_eq!(list.len(), 4);
        assert_eq!(list[3]["record"]["withdraws"], "pg-2");
        assert_eq!(list[3]["record"]["purposes"][0]["decision"], "withdrawn");
        let (st, e) = call(&app, "POST", &format!("/v1/consents/{}/withdraw", w["id"].as_str().unwrap()), &auth, Body::empty()).await;
        assert_eq!((st, e["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("consent.nothing_to_withdraw")));
        let (st, e) = call(&app, "POST", "/v1/consents/nope/withdraw", &auth, Body::empty()).await;
        assert_eq!((st, e["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("consent.not_found")));
    });
    assert_eq!(state.store.len().unwrap(), 4);
    let v = store::verify(&Store::connect_read_only(&db).unwrap(), Some(&pk)).unwrap();
    assert_eq!(v.entries, 4);
    // Reopening migrates nothing more.
    drop(Store::connect(&db, 1).unwrap());
    assert_eq!(pg.client("router").query_one("SELECT COUNT(*) FROM schema_migrations", &[]).unwrap().get::<_, i64>(0), 2);
    state
}

/// The database refuses edits of the ledger; forced past the trigger, an
/// edit is named by verify.
fn append_only(pg: &pg::Pg) {
    let url = pg.create_db("appendonly");
    let db = pg_db(&url);
    let st = Store::connect(&db, 1).unwrap();
    let signer = Signer::from_seed([7; 32]);
    for i in 0..3 {
        let r: fiable_core::consent::ConsentRecord = serde_json::from_value(sample_with_id(&format!("ao-{i}"))).unwrap();
        st.append(&r, None, &signer).unwrap();
    }
    let mut c = pg.client("appendonly");
    for sql in ["UPDATE ledger SET record = replace(record, 'granted', 'refused') WHERE seq = 2", "DELETE FROM ledger WHERE seq = 3", "TRUNCATE ledger CASCADE"] {
        let e = c.batch_execute(sql).unwrap_err();
        assert!(format!("{e:?}").contains("append-only"), "{sql}: {e:?}");
    }
    assert_eq!(st.len().unwrap(), 3);
    c.batch_execute("ALTER TABLE ledger DISABLE TRIGGER ledger_no_change; UPDATE ledger SET record = replace(record, 'granted', 'refused') WHERE seq = 2").unwrap();
    let b = store::verify(&Store::connect_read_only(&db).unwrap(), None).unwrap_err();
    assert_eq!(b.seq, 2, "{b}");
}

const INSTANCES: usize = 2;
const CLIENTS: usize = 4;
const PER_CLIENT: usize = 50;

/// Two service processes on one database, each sent a burst from several
/// client threads at once: one chain, every receipt in it, idempotency
/// across instances.
fn two_instances(pg: &pg::Pg) {
    let url = pg.create_db("instances");
    let dir = tempfile::tempdir().unwrap();
    let ban = service::mini_ban(dir.path());
    let args: Vec<OsString> = vec!["--database".into(), url.clone().into(), "--database-pool".into(), "4".into()];
    // The second instance starts once the first has created the shared key.
    let ports: Vec<u16> = (0..INSTANCES).map(|_| service::free_port()).collect();
    let mut children: Vec<_> = ports.iter().map(|&p| service::start(dir.path(), p, &ban, &args)).collect();
    let pk = service::public_key(ports[0]);
    assert_eq!(service::public_key(ports[1]), pk);

    let barrier = Arc::new(std::sync::Barrier::new(INSTANCES * CLIENTS));
    let workers: Vec<_> = (0..INSTANCES * CLIENTS)
        .map(|w| {
            let (inst, port, barrier) = (w % INSTANCES, ports[w % INSTANCES], barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                let mut acked = vec![];
                for i in 0..PER_CLIENT {
                    let id = format!("inst{inst}-c{w}-{i}");
                    let (st, body) = http(port, "POST", "/v1/consents", &[("idempotency-key", &id), AUTH], &record(&id)).unwrap();
                    assert_eq!(st, 201, "instance {inst}: {body}");
                    acked.push((inst, serde_json::from_str::<Receipt>(&body).unwrap()));
                }
                acked
            })
        })
        .collect();
    let acked: Vec<(usize, Receipt)> = workers.into_iter().flat_map(|w| w.join().unwrap()).collect();
    let sent = INSTANCES * CLIENTS * PER_CLIENT;

    // Replays on the other instance give the first receipt back.
    for inst in 0..INSTANCES {
        let (_, r) = acked.iter().find(|(i, _)| *i == inst).unwrap();
        let other = ports[(inst + 1) % INSTANCES];
        let (st, body) = http(other, "POST", "/v1/consents", &[("idempotency-key", &r.id), AUTH], &record(&r.id)).unwrap();
        assert_eq!(st, 200, "{body}");
        assert_eq!(&serde_json::from_str::<Receipt>(&body).unwrap(), r, "replay on the other instance");
        let (st, _) = http(other, "POST", "/v1/consents", &[("idempotency-key", &r.id), AUTH], &record("something-else")).unwrap();
        assert_eq!(st, 409, "same key, other request, other instance");
    }
    for c in &mut children {
        c.kill();
    }

    let ro = Store::connect_read_only(&pg_db(&url)).unwrap();
    let mut found = 0;
    for (_, r) in &acked {
        let e = ro.by_id(&r.id).unwrap().unwrap_or_else(|| panic!("acknowledged {} missing", r.id));
        assert_eq!(&e.receipt(), r);
        found += 1;
    }
    let seqs: HashSet<u64> = acked.iter().map(|(_, r)| r.seq).collect();
    assert_eq!(seqs.len(), acked.len(), "two receipts with one seq");
    assert_eq!(seqs, (1..=sent as u64).collect::<HashSet<_>>(), "seqs 1..=N without gaps");
    // How often the chain passes from one instance's entries to the other's.
    let mut by_seq = acked.clone();
    by_seq.sort_by_key(|(_, r)| r.seq);
    let switches = by_seq.windows(2).filter(|w| w[0].0 != w[1].0).count();
    let per = |i: usize| acked.iter().filter(|(inst, _)| *inst == i).count();
    let v = store::verify(&ro, Some(&pk)).unwrap_or_else(|b| panic!("chain broken: {b}"));
    println!(
        "two instances on PostgreSQL: sent {sent} ({} per instance, {CLIENTS} client threads each), acknowledged {} (instance 0: {}, instance 1: {}), found {found}, distinct seq {}, ledger entries {}, instance switches along the chain {switches}",
        sent / INSTANCES,
        acked.len(),
        per(0),
        per(1),
        seqs.len(),
        v.entries
    );
    assert_eq!((acked.len(), found, v.entries as usize), (sent, sent, sent));

    // The CLI on the database: verify, export, verify the export.
    let (code, out) = run(&["verify".as_ref(), "--database".as_ref(), url.as_ref(), "--public-key".as_ref(), pk.as_ref()]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains(&format!("OK, {sent} entries")), "{out}");
    assert!(!out.contains(pg::PASSWORD), "the password is not printed: {out}");
    let jsonl = dir.path().join("ledger.jsonl");
    let (code, out) = run(&["export".as_ref(), "--database".as_ref(), url.as_ref(), "--out".as_ref(), jsonl.as_os_str()]);
    assert_eq!(code, Some(0), "{out}");
    let (code, out) = run(&["verify".as_ref(), "--ledger".as_ref(), jsonl.as_os_str(), "--public-key".as_ref(), pk.as_ref()]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains(&format!("OK, {sent} entries")), "{out}");
}

/// `consent_crash.rs`'s scenario on PostgreSQL.
fn crash(pg: &pg::Pg) {
    let url = pg.create_db("crash");
    let dir = tempfile::tempdir().unwrap();
    let db = pg_db(&url);
    let c = service::crash_scenario(dir.path(), &["--database".into(), url.clone().into()], &|| Store::connect_read_only(&db).unwrap());
    println!(
        "crash test (PostgreSQL): sent {}, acknowledged {}, found {}, ledger entries {} (SIGKILL after 200 acks)",
        c.sent,
        c.acked.len(),
        c.found,
        c.entries
    );
    let (code, out) = run(&["verify".as_ref(), "--database".as_ref(), url.as_ref(), "--public-key".as_ref(), c.public_key.as_ref()]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains(&format!("OK, {} entries", c.entries + 1)), "{out}");
}

/// With the database stopped, the routes answer 503
/// `consent.store_unavailable` (no panic, no hang) and the CLI fails
/// cleanly.
fn outage(state: &ConsentState) {
    let app = routes(state.clone());
    runtime().block_on(async {
        for _ in 0..2 {
            // First on the pooled connections the server closed, then on new ones.
            let (st, e) = call(&app, "POST", "/v1/consents", &[], sample().to_string()).await;
            assert_eq!((st, e["error"]["code"].as_str()), (StatusCode::SERVICE_UNAVAILABLE, Some("consent.store_unavailable")), "{e}");
        }
        let bearer = format!("Bearer {ADMIN}");
        let subject = sample()["subject"].as_str().unwrap().to_string();
        let (st, e) = call(&app, "GET", &format!("/v1/subjects/{subject}/consents"), &[("authorization", &bearer)], Body::empty()).await;
        assert_eq!((st, e["error"]["code"].as_str()), (StatusCode::SERVICE_UNAVAILABLE, Some("consent.store_unavailable")));
    });
}
