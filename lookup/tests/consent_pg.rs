//! The consent ledger on a real PostgreSQL (Debian's `postgresql`, started
//! here on 127.0.0.1 and stopped after, see `common/pg.rs`): the
//! behaviours `consent.rs` checks on SQLite, through the router; migrations
//! and append-only enforcement; two `fiable-lookup serve` processes writing
//! at once to one database; the subjects vault across those two processes
//! (sealing, one pseudonym per email under concurrent first submissions,
//! matching, erasure, `verify` and `purge`); the SIGKILL crash scenario of
//! `consent_crash.rs`; the group-commit scenarios of `consent_batch.rs`;
//! and a database outage answered with 503.
//!
//! One server for the whole file (starting one costs seconds), one
//! database per scenario.
#[path = "common/batch.rs"]
mod batch;
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
use fiable_lookup::app::consent_api;
use fiable_lookup::consent::ConsentState;
use fiable_lookup::consent::ledger::{self, GENESIS, Receipt};
use fiable_lookup::consent::sign::Signer;
use fiable_lookup::consent::store::{self, Database, Store};
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
    let mut v: Value = serde_json::from_str(include_str!("../../consent/tests/fixtures/consent_record.json")).unwrap();
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
    group_commit(&pg);
    phase("group commit");
    two_instances(&pg);
    phase("two instances");
    vault_on_two_instances(&pg);
    phase("vault on two instances");
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
    let openers: Vec<_> = (0..4)
        .map(|_| {
            let db = db.clone();
            std::thread::spawn(move || Store::connect(&db, 2).map(|_| ()))
        })
        .collect();
    for o in openers {
        o.join().unwrap().unwrap();
    }
    let versions: Vec<i64> = pg
        .client("router")
        .query("SELECT version FROM schema_migrations ORDER BY version", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(versions, [1, 2, 3, 4, 5], "each migration applied once");

    let state = ConsentState::new(Store::connect(&db, 4).unwrap(), Signer::generate().unwrap(), Some(ADMIN), 8 * 1024, vec![]);
    assert!(state.store.is_postgres());
    let app = consent_api(state.clone());
    let pk = state.signer.public_key_hex().to_string();
    runtime().block_on(async {
        // Append: receipts chain and verify offline. The sample names its
        // subject: a key holder's record.
        let admin = format!("Bearer {ADMIN}");
        let adm = [("authorization", admin.as_str())];
        let (st, r1) = call(&app, "POST", "/v1/consents", &adm, sample().to_string()).await;
        assert_eq!(st, StatusCode::CREATED, "{r1}");
        let r1: Receipt = serde_json::from_value(r1).unwrap();
        assert_eq!((r1.seq, r1.prev_hash.as_str(), r1.id.len()), (1, GENESIS, 32));
        ledger::verify_receipt(&r1, Some(&pk)).unwrap();
        let (st, r2) = call(&app, "POST", "/v1/consents", &adm, sample_with_id("pg-2").to_string()).await;
        assert_eq!(st, StatusCode::CREATED);
        let r2: Receipt = serde_json::from_value(r2).unwrap();
        assert_eq!((r2.seq, &r2.prev_hash, r2.id.as_str()), (2, &r1.hash, "pg-2"));
        ledger::verify_receipt(&r2, Some(&pk)).unwrap();

        // Idempotency: same request (other formatting) replays, another conflicts.
        let key = [("idempotency-key", "order-42-consent"), adm[0]];
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
        let (st, e) = call(&app, "POST", "/v1/consents", &adm, sample_with_id("pg-2").to_string()).await;
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
    // The verifiable log over PostgreSQL: every entry's inclusion and the
    // consistency of every pair of sizes verify under the key; a second
    // store (another instance) sees the same tree.
    use fiable_lookup::consent::log;
    for seq in 1..=4 {
        let p = state.log.inclusion(&state.store, &state.signer, seq, None).unwrap().unwrap();
        log::verify_inclusion(&p, &pk).unwrap();
    }
    for a in 0..=4 {
        let c = state.log.consistency(&state.store, &state.signer, a, None).unwrap().unwrap();
        log::verify_consistency(&c.first, &c.second, &c.proof, &pk).unwrap();
    }
    let other = log::Log::new();
    let other_store = Store::connect(&db, 1).unwrap();
    assert_eq!(other.head(&other_store, &state.signer).unwrap().root_hash, state.log.head(&state.store, &state.signer).unwrap().root_hash);
    // Key checks: the first key pinned, another one refused.
    other_store.pin_key("index", "id-a", "check-a", None).unwrap();
    other_store.pin_key("index", "id-a", "check-a", None).unwrap();
    assert!(matches!(other_store.pin_key("index", "id-b", "check-b", None), Err(store::StoreError::KeyMismatch(_))));
    assert!(matches!(other_store.pin_key("signing", "x", "y", Some(&"ab".repeat(32))), Err(store::StoreError::KeyMismatch(_))));
    drop(other_store);
    // Reopening migrates nothing more.
    drop(Store::connect(&db, 1).unwrap());
    assert_eq!(pg.client("router").query_one("SELECT COUNT(*) FROM schema_migrations", &[]).unwrap().get::<_, i64>(0), 5);
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
        let r: fiable_consent::ConsentRecord = serde_json::from_value(sample_with_id(&format!("ao-{i}"))).unwrap();
        st.append(&r, None, &signer).unwrap();
    }
    let mut c = pg.client("appendonly");
    for sql in [
        "UPDATE ledger SET record = replace(record, 'granted', 'refused') WHERE seq = 2",
        "DELETE FROM ledger WHERE seq = 3",
        "TRUNCATE ledger CASCADE",
    ] {
        let e = c.batch_execute(sql).unwrap_err();
        assert!(format!("{e:?}").contains("append-only"), "{sql}: {e:?}");
    }
    assert_eq!(st.len().unwrap(), 3);
    c.batch_execute("ALTER TABLE ledger DISABLE TRIGGER ledger_no_change; UPDATE ledger SET record = replace(record, 'granted', 'refused') WHERE seq = 2").unwrap();
    let b = store::verify(&Store::connect_read_only(&db).unwrap(), None).unwrap_err();
    assert_eq!(b.seq, 2, "{b}");
}

/// Concurrent appends share commits; a failed append fails alone in its
/// batch (`common/batch.rs`). Pool of 2: the test holds the writer on one
/// connection, the batch's leader waits for the advisory lock on the other.
fn group_commit(pg: &pg::Pg) {
    let db = pg_db(&pg.create_db("groupcommit"));
    let st = Store::connect(&db, 2).unwrap();
    let signer = Signer::from_seed([11; 32]);
    batch::many_concurrent_appends(&st, &signer, "gc");
    batch::failures_stay_alone_in_their_batch(&st, &signer, "fb");
    // A statement the server refuses (a NUL in text) aborts the whole
    // transaction in PostgreSQL; its savepoint takes the batch back to
    // before that append, and the others commit.
    let (plug, r) = batch::in_one_batch(&st, &signer, "sql-plug", &[("sql-1", None), ("nul\u{0}id", None), ("sql-2", None)]);
    assert!(matches!(&r[1], Err(store::StoreError::Db(m)) if m.contains("22021")), "{:?}", r[1]);
    assert_eq!(r[0].as_ref().unwrap().receipt.seq, plug.seq + 1);
    assert_eq!(r[2].as_ref().unwrap().receipt.seq, plug.seq + 2);
    let v = store::verify(&Store::connect_read_only(&db).unwrap(), Some(signer.public_key_hex())).unwrap();
    assert_eq!(v.entries, 207);
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
        // The withdrawal capability is only in the answer, never stored.
        assert_eq!(e.receipt(), Receipt { withdraw_token: None, ..r.clone() });
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

/// A submission as the widget sends it: no subject, no text hash, the
/// person's contact data.
fn person(data: Value) -> String {
    let mut v = sample();
    v["subject"] = "".into();
    v["purposes"][0]["text_sha256"] = "".into();
    v["subject_data"] = data;
    v.to_string()
}

/// POSTs a person to `port`, expects a receipt.
fn submit(port: u16, body: &str) -> Receipt {
    let (st, r) = http(port, "POST", "/v1/consents", &[AUTH], body).unwrap();
    assert_eq!(st, 201, "{r}");
    serde_json::from_str(&r).unwrap()
}

/// `POST /v1/match` on `port`: the subjects found, best first.
fn matches(port: u16, q: Value) -> Vec<String> {
    let (st, v) = http(port, "POST", "/v1/match", &[AUTH], &q.to_string()).unwrap();
    assert_eq!(st, 200, "{v}");
    let v: Value = serde_json::from_str(&v).unwrap();
    v["matches"].as_array().unwrap().iter().map(|m| m["subject"].as_str().unwrap().to_string()).collect()
}

fn access(port: u16, subject: &str) -> Value {
    let (st, v) = http(port, "GET", &format!("/v1/subjects/{subject}/consents"), &[AUTH], "").unwrap();
    assert_eq!(st, 200, "{v}");
    serde_json::from_str(&v).unwrap()
}

const NEW_PEOPLE: usize = 20;
const FIRSTS_PER_INSTANCE: usize = 2;

/// The subjects vault with two `serve` processes on one database: each
/// new email sent for the first time from both instances at once gets one
/// pseudonym; contact data is sealed in the tables; matching, access and
/// erasure work across instances; `verify` and `purge` on the database.
fn vault_on_two_instances(pg: &pg::Pg) {
    let url = pg.create_db("vault");
    let dir = tempfile::tempdir().unwrap();
    let ban = service::mini_ban(dir.path());
    let args: Vec<OsString> = vec!["--database".into(), url.clone().into(), "--database-pool".into(), "4".into()];
    let ports: Vec<u16> = (0..INSTANCES).map(|_| service::free_port()).collect();
    let mut children: Vec<_> = ports.iter().map(|&p| service::start(dir.path(), p, &ban, &args)).collect();
    // With PostgreSQL the blind-index key defaults to beside the signing
    // key, which the instances share.
    assert!(dir.path().join("ledger.index.key").is_file(), "index key beside the signing key");
    let pk = service::public_key(ports[0]);

    // Each new email: first submissions from both instances at once.
    let barrier = Arc::new(std::sync::Barrier::new(INSTANCES * FIRSTS_PER_INSTANCE));
    let workers: Vec<_> = (0..INSTANCES * FIRSTS_PER_INSTANCE)
        .map(|w| {
            let (port, barrier) = (ports[w % INSTANCES], barrier.clone());
            std::thread::spawn(move || {
                (0..NEW_PEOPLE)
                    .map(|p| {
                        let body = person(serde_json::json!({ "email": format!("Person.{p}@Example.fr") }));
                        barrier.wait();
                        (p, submit(port, &body).subject)
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let firsts: Vec<(usize, String)> = workers.into_iter().flat_map(|w| w.join().unwrap()).collect();
    let sent = NEW_PEOPLE * INSTANCES * FIRSTS_PER_INSTANCE;
    let mut per_person: Vec<HashSet<&str>> = vec![HashSet::new(); NEW_PEOPLE];
    for (p, s) in &firsts {
        per_person[*p].insert(s.as_str());
    }
    let one_each = per_person.iter().filter(|s| s.len() == 1).count();
    let distinct: HashSet<&str> = firsts.iter().map(|(_, s)| s.as_str()).collect();
    // Each person looked up by email on both instances.
    let mut found = 0;
    for (p, subjects) in per_person.iter().enumerate() {
        for &port in &ports {
            let m = matches(port, serde_json::json!({ "email": format!("person.{p}@example.fr") }));
            if m.len() == 1 && subjects.contains(m[0].as_str()) {
                found += 1;
            }
        }
    }
    println!(
        "vault on two PostgreSQL instances: {NEW_PEOPLE} new emails, each sent {} times at once ({FIRSTS_PER_INSTANCE} per instance): sent {sent}, acknowledged {}, emails with one pseudonym {one_each}, distinct pseudonyms {}, found by /v1/match {found} of {} lookups (both instances)",
        INSTANCES * FIRSTS_PER_INSTANCE,
        firsts.len(),
        distinct.len(),
        NEW_PEOPLE * INSTANCES
    );
    assert_eq!(firsts.len(), sent);
    assert_eq!(one_each, NEW_PEOPLE, "an email got two pseudonyms: {per_person:?}");
    assert_eq!(distinct.len(), NEW_PEOPLE, "two emails share a pseudonym");
    assert_eq!(found, NEW_PEOPLE * INSTANCES, "every person found on both instances");

    // One person on instance 0; found, read and recognised from instance 1.
    let jean = serde_json::json!({ "email": "Jean.Dupont@Example.fr", "phone": "+33612345678", "first_name": "Jean", "last_name": "Lefèvre", "postcode": "75011", "country": "FR" });
    let r1 = submit(ports[0], &person(jean));
    assert!(r1.subject.starts_with("s_"), "{}", r1.subject);
    ledger::verify_receipt(&r1, Some(&pk)).unwrap();
    let r2 = submit(ports[1], &person(serde_json::json!({ "email": "  jean.dupont@EXAMPLE.FR " })));
    assert_eq!(r2.subject, r1.subject, "same email, other instance: same pseudonym");
    assert_eq!(matches(ports[1], serde_json::json!({ "email": "jean.dupont@example.fr" })), vec![r1.subject.clone()]);
    assert_eq!(matches(ports[1], serde_json::json!({ "phone": "06 12 34 56 78" })), vec![r1.subject.clone()]);
    assert_eq!(matches(ports[1], serde_json::json!({ "last_name": "Lefebvre", "postcode": "75011" })), vec![r1.subject.clone()]);
    let v = access(ports[1], &r1.subject);
    assert_eq!(v["erased"], false);
    let list = v["consents"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["subject_data"]["last_name"], "Lefèvre", "sealed on instance 0, opened on instance 1");

    // Sealing: no clear contact data in any table, only the sealed form
    // in the ledger.
    let mut c = pg.client("vault");
    let tables = c
        .query_one(
            "SELECT (SELECT string_agg(t::text, ' ') FROM ledger t) || (SELECT string_agg(t::text, ' ') FROM subject_index t) || (SELECT string_agg(t::text, ' ') FROM idempotency t)",
            &[],
        )
        .unwrap()
        .get::<_, Option<String>>(0)
        .unwrap_or_default()
        .to_lowercase();
    for needle in ["dupont@", "lefèvre", "lefevre", "612345678", "person.3@", "example.fr"] {
        assert!(!tables.contains(needle), "{needle} in the ledger tables");
    }
    let sealed: i64 =
        c.query_one("SELECT COUNT(*) FROM ledger WHERE record LIKE '%\"sealed\":{\"alg\":\"chacha20poly1305\"%'", &[]).unwrap().get(0);
    let entries = (sent + 2) as i64;
    assert_eq!(sealed, entries, "every entry holds a sealed part");

    // Erasure on instance 0; instance 1 sees it at once.
    let (st, done) = http(ports[0], "DELETE", &format!("/v1/subjects/{}", r1.subject), &[AUTH], "").unwrap();
    assert_eq!(st, 200, "{done}");
    let done: Value = serde_json::from_str(&done).unwrap();
    assert_eq!(done["records"].as_u64(), Some(2));
    let (st, again) = http(ports[1], "DELETE", &format!("/v1/subjects/{}", r1.subject), &[AUTH], "").unwrap();
    assert_eq!(st, 200, "{again}");
    assert_eq!(serde_json::from_str::<Value>(&again).unwrap()["receipt"], done["receipt"], "one erasure, whichever instance is asked");
    let v = access(ports[1], &r1.subject);
    assert_eq!((v["erased"].as_bool(), v["erasure"]["erased_at"].clone()), (Some(true), done["erased_at"].clone()));
    assert!(v["consents"].as_array().unwrap()[..2].iter().all(|e| e["erased"] == true && e.get("subject_data").is_none()));
    assert!(matches(ports[1], serde_json::json!({ "email": "jean.dupont@example.fr" })).is_empty());
    assert!(matches(ports[0], serde_json::json!({ "last_name": "Lefebvre", "postcode": "75011" })).is_empty());
    let left: i64 = c
        .query_one(
            "SELECT (SELECT COUNT(*) FROM subject_keys WHERE subject = $1) + (SELECT COUNT(*) FROM subject_index WHERE subject = $1)",
            &[&r1.subject],
        )
        .unwrap()
        .get(0);
    assert_eq!(left, 0, "key and blind indexes destroyed");
    let fresh = submit(ports[1], &person(serde_json::json!({ "email": "jean.dupont@example.fr" })));
    assert_ne!(fresh.subject, r1.subject, "after erasure the same email is a new person");
    for ch in &mut children {
        ch.kill();
    }
    let entries = entries as u64 + 2;

    // The CLI on the database: verify; purge counts (dry run), then shreds.
    let (code, out) = run(&["verify".as_ref(), "--database".as_ref(), url.as_ref(), "--public-key".as_ref(), pk.as_ref()]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains(&format!("OK, {entries} entries")), "{out}");
    let key = dir.path().join("ledger.key");
    let purge = |now: &str, dry: bool| {
        let mut a: Vec<&std::ffi::OsStr> = vec![
            "purge".as_ref(),
            "--database".as_ref(),
            url.as_ref(),
            "--consent-key".as_ref(),
            key.as_os_str(),
            "--now".as_ref(),
            now.as_ref(),
        ];
        if dry {
            a.push("--dry-run".as_ref());
        }
        run(&a)
    };
    let people = NEW_PEOPLE + 1;
    let (code, out) = purge("2027-01-01T00:00:00Z", true);
    assert!(
        code == Some(0) && out.contains(&format!("purge (dry run): {people} subjects with personal data, 0 past retention, 0 erased")),
        "{out}"
    );
    // The sample expires in 2029 and is kept 1825 days more.
    let (code, out) = purge("2035-01-01T00:00:00Z", true);
    assert!(
        code == Some(0)
            && out.contains(&format!("purge (dry run): {people} subjects with personal data, {people} past retention, 0 erased")),
        "{out}"
    );
    let ro = Store::connect_read_only(&pg_db(&url)).unwrap();
    assert_eq!(ro.len().unwrap(), entries, "a dry run appends nothing");
    let (code, out) = purge("2035-01-01T00:00:00Z", false);
    assert!(
        code == Some(0) && out.contains(&format!("purge: {people} subjects with personal data, {people} past retention, {people} erased")),
        "{out}"
    );
    assert!(ro.vault_subjects().unwrap().is_empty());
    let (code, out) = run(&["verify".as_ref(), "--database".as_ref(), url.as_ref(), "--public-key".as_ref(), pk.as_ref()]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains(&format!("OK, {} entries", entries + people as u64)), "{out}");
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
    let app = consent_api(state.clone());
    runtime().block_on(async {
        for _ in 0..2 {
            // First on the pooled connections the server closed, then on new ones.
            let admin = format!("Bearer {ADMIN}");
            let (st, e) = call(&app, "POST", "/v1/consents", &[("authorization", admin.as_str())], sample().to_string()).await;
            assert_eq!((st, e["error"]["code"].as_str()), (StatusCode::SERVICE_UNAVAILABLE, Some("consent.store_unavailable")), "{e}");
        }
        let bearer = format!("Bearer {ADMIN}");
        let subject = sample()["subject"].as_str().unwrap().to_string();
        let (st, e) = call(&app, "GET", &format!("/v1/subjects/{subject}/consents"), &[("authorization", &bearer)], Body::empty()).await;
        assert_eq!((st, e["error"]["code"].as_str()), (StatusCode::SERVICE_UNAVAILABLE, Some("consent.store_unavailable")));
    });
}

/// A throwaway CA (self-signed), to sign the server's certificate.
fn test_ca(name: &str) -> rcgen::CertifiedIssuer<'static, rcgen::KeyPair> {
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.distinguished_name.push(rcgen::DnType::CommonName, name);
    params.key_usages = vec![rcgen::KeyUsagePurpose::KeyCertSign, rcgen::KeyUsagePurpose::CrlSign];
    rcgen::CertifiedIssuer::self_signed(params, rcgen::KeyPair::generate().unwrap()).unwrap()
}

/// PostgreSQL over TLS (`sslmode=verify-full`): a server started with
/// `ssl=on` and a certificate for `localhost` signed by a test CA. The
/// right CA and name connect, over TLS (the server says so), and file a
/// record; another CA, another name, a server without TLS are refused
/// before any password is sent, with an error that says why.
#[test]
fn postgresql_over_verified_tls() {
    let ca = test_ca("fiable test CA");
    let other_ca = test_ca("some other CA");
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    params.distinguished_name.push(rcgen::DnType::CommonName, "localhost");
    let cert = params.signed_by(&key, &ca).unwrap();
    let dir = tempfile::tempdir().unwrap();
    // Paths relative to the data directory: the files sit beside it.
    let conf = ["ssl = on", "ssl_cert_file = '../server.crt'", "ssl_key_file = '../server.key'"].map(String::from);
    let mut pg = pg::Pg::start_with(&[("server.crt", cert.pem().as_bytes()), ("server.key", key.serialize_pem().as_bytes())], &conf);
    let mut admin = pg.client("postgres");
    pg.create_db("tls");
    std::fs::write(dir.path().join("ca.pem"), ca.pem()).unwrap();
    std::fs::write(dir.path().join("other-ca.pem"), other_ca.pem()).unwrap();
    let ca_file = dir.path().join("ca.pem");
    let url = |host: &str, ca: &std::path::Path, extra: &str| {
        format!("postgres://{}:{}@{host}:{}/tls?sslmode=verify-full&sslrootcert={}{extra}", pg::USER, pg::PASSWORD, pg.port, ca.display())
    };
    // The name in the certificate, the address the server listens on.
    let good = url("localhost", &ca_file, "&hostaddr=127.0.0.1");

    // Verified: connects, files a record, and the session is encrypted.
    let st = Store::connect(&pg_db(&good), 2).unwrap_or_else(|e| panic!("verify-full with the right CA: {e}\n{}", pg.log()));
    let signer = Signer::from_seed([5; 32]);
    let r: fiable_consent::ConsentRecord = serde_json::from_value(sample_with_id("tls-1")).unwrap();
    let receipt = st.append(&r, None, &signer).unwrap().receipt;
    assert_eq!(receipt.seq, 1);
    let ssl = st
        .tx(store::Mode::Read, |tx| {
            tx.query_opt(
                "SELECT CASE WHEN ssl THEN 'tls ' || version ELSE 'plain' END FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                &[],
                |r| r.text(0),
            )
        })
        .unwrap()
        .unwrap();
    assert!(ssl.starts_with("tls TLSv1."), "the store's session: {ssl}");
    drop(st);
    // The CLI through the same URL.
    let (code, out) =
        run(&["verify".as_ref(), "--database".as_ref(), good.as_ref(), "--public-key".as_ref(), signer.public_key_hex().as_ref()]);
    assert!(code == Some(0) && out.contains("OK, 1 entries"), "{out}");

    // Refused: a certificate from another CA; the right CA but another
    // name than the certificate's (the address itself).
    let e = Store::connect(&pg_db(&url("localhost", &dir.path().join("other-ca.pem"), "&hostaddr=127.0.0.1")), 1).unwrap_err().to_string();
    assert!(e.contains("TLS connection to PostgreSQL at \"localhost\" refused") && e.contains("UnknownIssuer"), "wrong CA: {e}");
    println!("wrong CA: {e}");
    let e = Store::connect(&pg_db(&url("127.0.0.1", &ca_file, "")), 1).unwrap_err().to_string();
    assert!(e.contains("refused") && e.contains("not valid for name"), "wrong host name: {e}");
    println!("wrong host name: {e}");
    // A CA file that is not one.
    let e = Store::connect(&pg_db(&url("localhost", &dir.path().join("missing.pem"), "&hostaddr=127.0.0.1")), 1).unwrap_err().to_string();
    assert!(e.contains("CA file") && e.contains("missing.pem"), "{e}");
    // TLS modes that would not verify are refused at parse time.
    for (u, why) in [
        (good.replace("sslmode=verify-full", "sslmode=prefer"), "fall back to plain text"),
        (format!("postgres://{}:{}@localhost:{}/tls?sslmode=require", pg::USER, pg::PASSWORD, pg.port), "sslrootcert=FILE"),
    ] {
        let e = u.parse::<Database>().unwrap_err();
        assert!(e.contains(why), "{u}: {e}");
    }

    // The server stops offering TLS: the URL asks for it, so plain text is refused.
    admin.execute("ALTER SYSTEM SET ssl = off", &[]).unwrap();
    admin.execute("SELECT pg_reload_conf()", &[]).unwrap();
    wait_for_ssl(&pg, "off");
    let e = Store::connect(&pg_db(&good), 1).unwrap_err().to_string();
    assert!(e.contains("refused") && e.contains("does not support TLS"), "plain-text server: {e}");
    println!("plain-text server: {e}");
    // Without sslmode the same database is reached in plain text (as before).
    let plain = Store::connect(&pg_db(&pg.url("tls")), 1).unwrap();
    assert_eq!(plain.len().unwrap(), 1);
    drop(plain);
    drop(admin);
    pg.stop();
}

/// Waits until new sessions see `ssl` at `value` (a reload is signalled,
/// not awaited).
fn wait_for_ssl(pg: &pg::Pg, value: &str) {
    let t = std::time::Instant::now();
    loop {
        let now: String = pg.client("postgres").query_one("SHOW ssl", &[]).unwrap().get(0);
        if now == value {
            return;
        }
        assert!(t.elapsed() < std::time::Duration::from_secs(20), "ssl still {now}, not {value}: {}", pg.log());
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}
