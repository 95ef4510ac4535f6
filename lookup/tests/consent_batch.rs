//! Group commit of the consent ledger on SQLite: concurrent appends share
//! transactions, and one append's failure stays its own (the scenarios are
//! in `common/batch.rs`, also run on PostgreSQL by `consent_pg.rs`).
#[path = "common/batch.rs"]
mod batch;

use fiable_lookup::consent::sign::Signer;
use fiable_lookup::consent::store::Store;

#[test]
fn concurrent_appends_share_commits_and_keep_one_chain() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("l.sqlite")).unwrap();
    batch::many_concurrent_appends(&store, &Signer::from_seed([3; 32]), "gc");
}

#[test]
fn a_failed_append_fails_alone_in_its_batch() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("l.sqlite")).unwrap();
    batch::failures_stay_alone_in_their_batch(&store, &Signer::from_seed([4; 32]), "fb");
}

#[test]
fn a_lone_append_commits_alone() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("l.sqlite")).unwrap();
    let signer = Signer::from_seed([5; 32]);
    for i in 0..3u64 {
        let a = store.append(&batch::record(&format!("lone-{i}")), None, &signer).unwrap();
        assert_eq!(a.receipt.seq, i + 1);
        let s = store.group_commit_stats();
        assert_eq!((s.commits, s.appends), (i + 1, i + 1));
        assert_eq!(store.group_commit_waiting(), 0);
    }
}
