//! Group-commit scenarios, run on SQLite (`consent_batch.rs`) and on
//! PostgreSQL (`consent_pg.rs`).
//!
//! Batches are made deterministic without timing: the test holds the
//! writer (a write transaction of the same store, so SQLite's connection
//! or PostgreSQL's advisory lock is taken), submits appends from threads
//! and waits until the store counts them all as waiting
//! (`group_commit_waiting`), then lets go. The first append submitted leads
//! a batch of one, blocked on the held writer; the others queue behind it,
//! in submission order, and form the next batch.
use std::collections::HashSet;
use std::time::{Duration, Instant};

use fiable_consent::ConsentRecord;
use fiable_lookup::consent::ledger::Receipt;
use fiable_lookup::consent::sign::Signer;
use fiable_lookup::consent::store::{self, Appended, Mode, Store, StoreError};

/// The core's sample record, on the public `web` channel, with this id.
pub fn record(id: &str) -> ConsentRecord {
    let mut v: serde_json::Value = serde_json::from_str(include_str!("../../../consent/tests/fixtures/consent_record.json")).unwrap();
    v.as_object_mut().unwrap().remove("withdraws");
    v["record_id"] = id.into();
    v["channel"] = "web".into();
    serde_json::from_value(v).unwrap()
}

/// Waits until `n` appends are waiting in `store`. Bounded so that a bug
/// fails the assertions that follow instead of hanging the test.
fn wait_waiting(store: &Store, n: usize) {
    let start = Instant::now();
    while store.group_commit_waiting() < n && start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// 200 appends from 16 threads at once: every one gets its receipt, the
/// seqs are the next 200, the chain verifies, and fewer transactions than
/// appends were committed.
pub fn many_concurrent_appends(store: &Store, signer: &Signer, prefix: &str) {
    const THREADS: usize = 16;
    const TOTAL: usize = 200;
    let (len0, stats0) = (store.len().unwrap(), store.group_commit_stats());
    let receipts: Vec<Receipt> = std::thread::scope(|s| {
        let handles = store
            .tx(Mode::Write, |_| {
                let handles: Vec<_> = (0..THREADS)
                    .map(|t| {
                        s.spawn(move || {
                            (t..TOTAL)
                                .step_by(THREADS)
                                .map(|i| {
                                    store
                                        .append(&record(&format!("{prefix}-{i}")), Some((&format!("{prefix}-key-{i}"), "req")), signer)
                                        .unwrap()
                                        .receipt
                                })
                                .collect::<Vec<_>>()
                        })
                    })
                    .collect();
                // Every thread's first append waits: one leads, 15 queue.
                wait_waiting(store, THREADS);
                Ok(handles)
            })
            .unwrap();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(receipts.len(), TOTAL);
    let seqs: HashSet<u64> = receipts.iter().map(|r| r.seq).collect();
    assert_eq!(seqs, (len0 + 1..=len0 + TOTAL as u64).collect::<HashSet<_>>());
    assert_eq!(store.len().unwrap(), len0 + TOTAL as u64);
    let v = store::verify(store, Some(signer.public_key_hex())).unwrap();
    assert_eq!(v.entries, len0 + TOTAL as u64);
    let stats = store.group_commit_stats();
    let (commits, appends) = (stats.commits - stats0.commits, stats.appends - stats0.appends);
    println!("  {TOTAL} appends from {THREADS} threads: {commits} commits");
    assert_eq!(appends, TOTAL as u64);
    // The 15 queued behind the first leader share one commit, at least.
    assert!(commits <= (TOTAL - (THREADS - 2)) as u64, "{commits} commits for {appends} appends");
}

/// Runs a plug append (`plug_id`), then `jobs` in order, as one batch
/// behind it; returns the plug's receipt and the jobs' results.
pub fn in_one_batch(
    store: &Store,
    signer: &Signer,
    plug_id: &str,
    jobs: &[(&str, Option<(&str, &str)>)],
) -> (Receipt, Vec<Result<Appended, StoreError>>) {
    std::thread::scope(|s| {
        let (plug, handles) = store
            .tx(Mode::Write, |_| {
                let plug = s.spawn(move || store.append(&record(plug_id), None, signer));
                wait_waiting(store, 1);
                let mut handles = Vec::new();
                for (k, &(id, idem)) in jobs.iter().enumerate() {
                    handles.push(s.spawn(move || store.append(&record(id), idem, signer)));
                    // One at a time, so that the queue order is the jobs' order.
                    wait_waiting(store, k + 2);
                }
                Ok((plug, handles))
            })
            .unwrap();
        (plug.join().unwrap().unwrap().receipt, handles.into_iter().map(|h| h.join().unwrap()).collect())
    })
}

/// In one batch: an idempotency conflict, a duplicate id, a replay and a
/// conflict on a key first used in the same batch, each answered alone;
/// the good appends of the batch commit, with consecutive seqs.
pub fn failures_stay_alone_in_their_batch(store: &Store, signer: &Signer, p: &str) {
    let (seed, k0, k1) = (format!("{p}-seed"), format!("{p}-k0"), format!("{p}-k1"));
    let (a, b, c, d, e, plug) =
        (format!("{p}-a"), format!("{p}-b"), format!("{p}-c"), format!("{p}-d"), format!("{p}-e"), format!("{p}-plug"));
    let seeded = store.append(&record(&seed), Some((&k0, "req-0")), signer).unwrap().receipt;
    let stats0 = store.group_commit_stats();
    let jobs: [(&str, Option<(&str, &str)>); 7] = [
        (&a, Some((&k1, "req-1"))),     // new
        (&b, Some((&k0, "another"))),   // key of the seed, another request
        (&seed, None),                  // id already in the ledger
        (&c, Some((&k1, "req-1"))),     // same key and request as `a`: a's receipt
        (&d, Some((&k1, "req-other"))), // same key as `a`, another request
        (&a, None),                     // id appended earlier in this batch
        (&e, None),                     // new
    ];
    let (plugged, r) = in_one_batch(store, signer, &plug, &jobs);
    assert_eq!(plugged.seq, seeded.seq + 1);
    let first = r[0].as_ref().unwrap();
    assert!(!first.replayed);
    assert_eq!(first.receipt.seq, seeded.seq + 2);
    assert!(matches!(r[1], Err(StoreError::IdempotencyConflict)), "{:?}", r[1]);
    assert!(matches!(r[2], Err(StoreError::DuplicateId)), "{:?}", r[2]);
    let replayed = r[3].as_ref().unwrap();
    assert!(replayed.replayed);
    assert_eq!(replayed.receipt, first.receipt);
    assert!(matches!(r[4], Err(StoreError::IdempotencyConflict)), "{:?}", r[4]);
    assert!(matches!(r[5], Err(StoreError::DuplicateId)), "{:?}", r[5]);
    let last = r[6].as_ref().unwrap();
    assert!(!last.replayed);
    assert_eq!(last.receipt.seq, seeded.seq + 3);
    let stats = store.group_commit_stats();
    assert_eq!((stats.commits - stats0.commits, stats.appends - stats0.appends), (2, 3), "the plug alone, then the batch");
    assert_eq!(store.len().unwrap(), last.receipt.seq);
    assert!(store.by_id(&b).unwrap().is_none() && store.by_id(&c).unwrap().is_none() && store.by_id(&d).unwrap().is_none());
    assert_eq!(store.by_id(&e).unwrap().unwrap().seq, last.receipt.seq);
    store::verify(store, Some(signer.public_key_hex())).unwrap();
}
