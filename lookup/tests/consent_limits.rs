//! The consent submission limits under attack, over real HTTP against the
//! real `fiable-lookup serve`: one client flooding `POST /v1/consents` is
//! cut to its burst (429 + Retry-After) while another client is still
//! served, and bodies past 32 KiB are refused (413) whether they announce
//! their length or stream it chunked; nothing refused reaches the ledger.
#[path = "common/service.rs"]
mod service;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use fiable_lookup::consent::store::Store;
use serde_json::{Value, json};

const BURST: usize = 4;

/// `serve` with the consent limit at 0.2/s (one token each 5 s) and a
/// burst of [`BURST`]; the general limit left at its default.
fn start(dir: &Path, port: u16) -> Killed {
    let child = Command::new(service::BIN)
        .arg("serve")
        .args(["--bind", &format!("127.0.0.1:{port}")])
        .arg("--ban")
        .arg(service::mini_ban(dir))
        .args(["--www", "/nonexistent", "--pkg", "/nonexistent"])
        .arg("--consent-db")
        .arg(dir.join("ledger.sqlite"))
        .arg("--consent-key")
        .arg(dir.join("ledger.key"))
        .args(["--consent-rate-limit", "0.2", "--consent-rate-burst", &BURST.to_string()])
        .env("RUST_LOG", "warn")
        .env_remove("FIABLE_DATABASE_URL")
        .env_remove("FIABLE_CONSENT_DB")
        .env_remove("FIABLE_RATE_LIMIT")
        .env_remove("FIABLE_CONSENT_MAX_BODY")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let svc = Killed(child);
    let t = Instant::now();
    while service::http(port, "GET", "/healthz", &[], "").map(|r| r.0).ok() != Some(200) {
        assert!(t.elapsed() < Duration::from_secs(60), "service did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    svc
}

/// The service, SIGKILLed when dropped (also when a test fails).
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A connection to the service from the loopback address `from`
/// (127.0.0.0/8 is all local on Linux: other clients, one host).
fn connect_from(from: [u8; 4], port: u16) -> TcpStream {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let s = rt.block_on(async move {
        let s = tokio::net::TcpSocket::new_v4().unwrap();
        s.bind(SocketAddr::from((from, 0))).unwrap();
        s.connect(SocketAddr::from(([127, 0, 0, 1], port))).await.unwrap().into_std().unwrap()
    });
    s.set_nonblocking(false).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s
}

/// Sends `head` then `body` from `from`; (status, Retry-After, body).
fn exchange(from: [u8; 4], port: u16, head: &str, body: &[u8]) -> (u16, Option<u64>, String) {
    let mut s = connect_from(from, port);
    s.write_all(head.as_bytes()).unwrap();
    // The service may answer and close before the whole body is sent.
    let _ = s.write_all(body);
    let mut resp = Vec::new();
    let _ = s.read_to_end(&mut resp);
    let text = String::from_utf8_lossy(&resp).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let retry = head
        .lines()
        .find_map(|l| l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case("retry-after")).map(|(_, v)| v.trim().parse().unwrap()));
    (status, retry, body.to_string())
}

fn post(from: [u8; 4], port: u16, body: &str) -> (u16, Option<u64>, String) {
    let head = format!(
        "POST /v1/consents HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    exchange(from, port, &head, body.as_bytes())
}

/// The widget's anonymous submission for `email`, padded with `pad` bytes
/// of spaces (insignificant JSON whitespace: the record stays valid).
fn person(email: &str, pad: usize) -> String {
    let mut v: Value = serde_json::from_str(include_str!("../../consent/tests/fixtures/consent_record.json")).unwrap();
    v.as_object_mut().unwrap().remove("withdraws");
    v.as_object_mut().unwrap().remove("record_id");
    v["channel"] = "web".into();
    v["subject"] = "".into();
    v["purposes"][0]["text_sha256"] = "".into();
    v["subject_data"] = json!({ "email": email });
    let text = v.to_string();
    format!("{}{}{}", &text[..1], " ".repeat(pad), &text[1..])
}

fn ledger_len(dir: &Path) -> u64 {
    Store::open_read_only(&dir.join("ledger.sqlite")).unwrap().len().unwrap()
}

fn code(body: &str) -> String {
    serde_json::from_str::<Value>(body).map(|v| v["error"]["code"].as_str().unwrap_or_default().to_string()).unwrap_or_default()
}

#[test]
fn one_client_flooding_consents_is_cut_to_its_burst_and_others_are_still_served() {
    let dir = tempfile::tempdir().unwrap();
    let port = service::free_port();
    let _svc = start(dir.path(), port);
    let attacker = [127, 0, 0, 2];
    let mut statuses = Vec::new();
    for i in 0..3 * BURST {
        let (st, retry, body) = post(attacker, port, &person(&format!("flood{i}@example.fr"), 0));
        if st == 429 {
            assert_eq!(code(&body), "rate_limited", "{body}");
            assert!(retry.is_some_and(|r| (1..=10).contains(&r)), "429 without a sound Retry-After: {retry:?}");
        }
        statuses.push(st);
    }
    let accepted = statuses.iter().filter(|&&s| s == 201).count();
    assert_eq!(accepted, BURST, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|&&s| s == 429).count(), 2 * BURST, "{statuses:?}");
    assert_eq!(ledger_len(dir.path()), BURST as u64, "only the accepted submissions are in the ledger");
    // Another client is not held back by the flood; the flooder's other
    // (non-consent) requests are not either.
    let (st, _, body) = post([127, 0, 0, 3], port, &person("bystander@example.fr", 0));
    assert_eq!(st, 201, "{body}");
    let head = "GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n";
    assert_eq!(exchange(attacker, port, head, b"").0, 200);
    assert_eq!(ledger_len(dir.path()), BURST as u64 + 1);
}

#[test]
fn consent_bodies_past_32_kib_are_refused_announced_or_chunked() {
    let dir = tempfile::tempdir().unwrap();
    let port = service::free_port();
    let _svc = start(dir.path(), port);
    let limit = 32 * 1024;
    // Just under the limit: a valid record, accepted (the limit is not lower).
    let under = person("under@example.fr", 0);
    let under = person("under@example.fr", limit - under.len());
    assert_eq!(under.len(), limit);
    let (st, _, body) = post([127, 0, 0, 4], port, &under);
    assert_eq!(st, 201, "{body}");
    // One byte over, announced by Content-Length.
    let over = person("over@example.fr", limit + 1 - person("over@example.fr", 0).len());
    assert_eq!(over.len(), limit + 1);
    let (st, _, body) = post([127, 0, 0, 5], port, &over);
    assert_eq!((st, code(&body).as_str()), (413, "payload_too_large"), "{body}");
    // A large body streamed chunked, with no length announced.
    let big = person("chunked@example.fr", 4 * limit);
    let mut chunked = Vec::new();
    for part in big.as_bytes().chunks(4096) {
        chunked.extend(format!("{:x}\r\n", part.len()).as_bytes());
        chunked.extend(part);
        chunked.extend(b"\r\n");
    }
    chunked.extend(b"0\r\n\r\n");
    let head = "POST /v1/consents HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\ncontent-type: application/json\r\n\
                transfer-encoding: chunked\r\n\r\n";
    let (st, _, body) = exchange([127, 0, 0, 6], port, head, &chunked);
    assert_eq!((st, code(&body).as_str()), (413, "payload_too_large"), "{body}");
    // A length announced far past the limit is refused without the body.
    let head = "POST /v1/consents HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\ncontent-type: application/json\r\n\
                content-length: 1073741824\r\n\r\n";
    let t = Instant::now();
    let (st, _, body) = exchange([127, 0, 0, 7], port, head, b"{");
    assert_eq!((st, code(&body).as_str()), (413, "payload_too_large"), "{body}");
    assert!(t.elapsed() < Duration::from_secs(10), "the service waited for a body it refuses");
    assert_eq!(ledger_len(dir.path()), 1, "only the record under the limit is in the ledger");
}
