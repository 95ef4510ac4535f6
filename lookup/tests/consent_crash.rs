//! Crash test of the consent ledger: the real `fiable-lookup serve` on a
//! real socket, SIGKILLed in the middle of a burst of submissions, then
//! restarted on the same SQLite file. Every acknowledged receipt must be
//! there and the chain must verify. (`consent_pg.rs` runs the same
//! scenario on PostgreSQL.)
#[path = "common/service.rs"]
mod service;

use fiable_lookup::consent::store::Store;
use service::{record, run};

#[test]
fn every_acknowledged_receipt_survives_a_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ledger.sqlite");
    let c = service::crash_scenario(dir.path(), &["--consent-db".into(), db.clone().into()], &|| Store::open_read_only(&db).unwrap());
    println!(
        "crash test (SQLite): sent {}, acknowledged {}, found {}, ledger entries {} (SIGKILL after 200 acks)",
        c.sent,
        c.acked.len(),
        c.found,
        c.entries
    );
    let (pk, r) = (c.public_key.clone(), c.after_restart.clone());

    // The CLI: verify the file, export it, verify the export, then break it.
    let jsonl = dir.path().join("ledger.jsonl");
    let (code, out) = run(&["verify".as_ref(), "--ledger".as_ref(), db.as_os_str(), "--public-key".as_ref(), pk.as_ref()]);
    assert_eq!(code, Some(0), "{out}");
    let (code, _) = run(&["export".as_ref(), "--consent-db".as_ref(), db.as_os_str(), "--out".as_ref(), jsonl.as_os_str()]);
    assert_eq!(code, Some(0));
    let (code, out) = run(&["verify".as_ref(), "--ledger".as_ref(), jsonl.as_os_str()]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains(&format!("OK, {} entries", c.entries + 1)), "{out}");
    let receipt = dir.path().join("receipt.json");
    std::fs::write(&receipt, serde_json::to_string(&r).unwrap()).unwrap();
    let rec = dir.path().join("record.json");
    std::fs::write(&rec, record("after-restart")).unwrap();
    let (code, out) = run(&[
        "verify".as_ref(),
        "--receipt".as_ref(),
        receipt.as_os_str(),
        "--record".as_ref(),
        rec.as_os_str(),
        "--public-key".as_ref(),
        pk.as_ref(),
    ]);
    assert_eq!(code, Some(0), "{out}");
    std::fs::write(&rec, record("after-restart").replacen("granted", "refused", 1)).unwrap();
    let (code, out) = run(&[
        "verify".as_ref(),
        "--receipt".as_ref(),
        receipt.as_os_str(),
        "--record".as_ref(),
        rec.as_os_str(),
        "--public-key".as_ref(),
        pk.as_ref(),
    ]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("record was changed"), "{out}");
    let text = std::fs::read_to_string(&jsonl).unwrap();
    let tampered = text.replacen("\\\"decision\\\":\\\"refused\\\"", "\\\"decision\\\":\\\"granted\\\"", 1);
    assert_ne!(tampered, text);
    std::fs::write(&jsonl, tampered).unwrap();
    let (code, out) = run(&["verify".as_ref(), "--ledger".as_ref(), jsonl.as_os_str()]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("BROKEN at seq 1:") && out.contains("line 2, byte "), "{out}");
}
