//! The demo's mail sink (`fiable-lookup mail-sink`): the binary on a free
//! loopback port receives a message from the service's own relay client
//! and prints its recipient and link; the double opt-in round trip of
//! `make demo` runs through it (record, mail, link, confirmation, export);
//! and a client that breaks the protocol (overlong lines, a message too
//! large, garbage, a dropped connection) gets SMTP errors while the sink
//! keeps serving.
use std::io::{BufRead, BufReader as StdBufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use fiable_lookup::app::consent_api;
use fiable_lookup::consent::auth::ApiKeys;
use fiable_lookup::consent::optin::{OptIn, OptInConfig};
use fiable_lookup::consent::sign::Signer;
use fiable_lookup::consent::store::Store;
use fiable_lookup::consent::{ConsentState, ledger};
use fiable_lookup::smtp::relay::{Relay, RelayConfig, compose, decode_body};
use fiable_lookup::smtp::sink::{Delivered, Sink, SinkConfig};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tower::ServiceExt;

const BIN: &str = env!("CARGO_BIN_EXE_fiable-lookup");

fn relay(addr: &str) -> Relay {
    Relay::from_config(&RelayConfig {
        relay: Some(addr.into()),
        from: "no-reply@boutique-demo.example".into(),
        helo: "localhost".into(),
        timeout_ms: 5000,
    })
    .unwrap()
}

fn files(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(dir.join("new"))
        .unwrap()
        .map(|e| String::from_utf8(std::fs::read(e.unwrap().path()).unwrap()).unwrap())
        .collect();
    out.sort();
    out
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_stores_what_the_relay_sends_and_prints_its_link() {
    let dir = tempfile::tempdir().unwrap();
    let maildir = dir.path().join("mail");
    let mut child = Killed(
        Command::new(BIN)
            .args(["mail-sink", "--bind", "127.0.0.1:0", "--maildir"])
            .arg(&maildir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut out = StdBufReader::new(child.0.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    let addr = first.strip_prefix("mail-sink: listening on ").and_then(|r| r.split(',').next()).unwrap_or_else(|| panic!("{first}"));
    assert!(addr.starts_with("127.0.0.1:") && !addr.ends_with(":0"), "{first}");

    let link = "http://127.0.0.1:8787/v1/consents/confirm?token=YWJj.1900000000.0123abcd";
    let body = format!("Bonjour,\n\nPour confirmer, ouvrez ce lien :\n{link}\n\n.Une ligne qui commence par un point.\n");
    let message = compose("no-reply@boutique-demo.example", "jeanne@example.fr", "Confirmez votre accord", &body, "localhost");
    relay(addr).send("jeanne@example.fr", &message).await.unwrap();

    let mut line = String::new();
    tokio::task::block_in_place(|| out.read_line(&mut line)).unwrap();
    assert!(line.starts_with(&format!("mail-sink: message for jeanne@example.fr → {link}  [")), "{line}");
    let stored = files(&maildir);
    assert_eq!(stored.len(), 1);
    let m = &stored[0];
    assert!(m.starts_with("Return-Path: <no-reply@boutique-demo.example>\r\nDelivered-To: jeanne@example.fr\r\nFrom: "), "{m}");
    assert!(m.contains("\r\nTo: jeanne@example.fr\r\n"), "{m}");
    assert_eq!(decode_body(m).unwrap(), body.replace('\n', "\r\n"), "the body arrives whole");
    assert!(line.contains(&*maildir.join("new").to_string_lossy()), "the line names the file: {line}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let f = std::fs::read_dir(maildir.join("new")).unwrap().next().unwrap().unwrap();
        assert_eq!(f.metadata().unwrap().permissions().mode() & 0o777, 0o600, "it holds an address");
    }
}

#[tokio::test]
async fn a_non_loopback_address_is_refused_unless_asked() {
    let dir = tempfile::tempdir().unwrap();
    let config = SinkConfig {
        bind: "0.0.0.0:0".parse().unwrap(),
        maildir: dir.path().join("m"),
        max_message: 4096,
        idle_secs: 5,
        allow_remote: false,
    };
    let e = Sink::bind(&config).await.unwrap_err().to_string();
    assert!(e.contains("not a loopback address"), "{e}");
}

/// A sink in this process: its address, and the messages it reports.
async fn sink(maildir: &Path, max_message: usize) -> (String, tokio::sync::mpsc::UnboundedReceiver<Delivered>) {
    let config =
        SinkConfig { bind: "127.0.0.1:0".parse().unwrap(), maildir: maildir.to_path_buf(), max_message, idle_secs: 5, allow_remote: false };
    let s = Sink::bind(&config).await.unwrap();
    let addr = s.local_addr().unwrap().to_string();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(s.run(move |m| {
        let _ = tx.send(m);
    }));
    (addr, rx)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_double_opt_in_round_trip_runs_through_the_sink() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, mut delivered) = sink(&dir.path().join("mail"), 1024 * 1024).await;
    let public = "http://127.0.0.1:8787";
    let config = OptInConfig {
        relay: RelayConfig { relay: Some(addr), from: "no-reply@boutique-demo.example".into(), helo: "localhost".into(), timeout_ms: 5000 },
        public_url: public.into(),
        hours: 72,
    };
    let keys = ApiKeys::parse(&["admin:sink-admin-key-0123".into()], None).unwrap();
    let st = ConsentState::new(Store::open(&dir.path().join("l.sqlite")).unwrap(), Signer::generate().unwrap(), None, 32 * 1024, vec![])
        .with_api_keys(keys)
        .with_opt_in(OptIn::from_config(&config).unwrap());
    let app = consent_api(st);
    let call = |method: &str, uri: &str, auth: bool, body: String| {
        let mut req = Request::builder().method(method).uri(uri).header("content-type", "application/json");
        if auth {
            req = req.header("authorization", "Bearer sink-admin-key-0123");
        }
        let app = app.clone();
        let req = req.body(Body::from(body)).unwrap();
        async move {
            let resp = app.oneshot(req).await.unwrap();
            let status = resp.status();
            (status, String::from_utf8(resp.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap())
        }
    };
    // What the demo form sends when the newsletter box is ticked.
    let record = json!({
        "schema_version": 1, "subject": "", "subject_data": { "email": "jeanne@example.fr" },
        "controller": { "name": "Boutique Démo SAS", "contact": "dpo@boutique-demo.example" },
        "purposes": [{ "id": "newsletter", "text": "J'accepte de recevoir la newsletter de Boutique Démo par e-mail", "text_sha256": "",
            "decision": "granted", "legal_basis": "consent", "affirmative_action": true, "confirmation": "email" }],
        "channel": "web", "collector": { "site": "127.0.0.1" }, "form": { "id": "signup", "version": "2026-11" },
        "locale": "fr", "acted_at": ledger::now_rfc3339(),
    });
    let (status, receipt) = call("POST", "/v1/consents", true, record.to_string()).await;
    assert_eq!(status, StatusCode::CREATED, "{receipt}");
    let subject = serde_json::from_str::<Value>(&receipt).unwrap()["subject"].as_str().unwrap().to_string();
    let state = |subject: String| async move {
        let (status, body) = call("GET", &format!("/v1/subjects/{subject}/consents"), true, String::new()).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        serde_json::from_str::<Value>(&body).unwrap()["purposes"][0]["state"].as_str().unwrap().to_string()
    };
    assert_eq!(state(subject.clone()).await, "unconfirmed");

    let m = tokio::time::timeout(Duration::from_secs(10), delivered.recv()).await.expect("the confirmation mail").unwrap();
    assert_eq!(m.to, ["jeanne@example.fr"]);
    assert_eq!(m.from, "no-reply@boutique-demo.example");
    assert_eq!(m.links.len(), 1, "{m:?}");
    let path = m.links[0].strip_prefix(public).unwrap_or_else(|| panic!("{m:?}")).to_string();
    assert!(path.starts_with("/v1/consents/confirm?token="), "{path}");
    assert!(m.line().contains(&m.links[0]));
    let (status, page) = call("GET", &path, false, String::new()).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Merci, c’est confirmé"), "{page}");
    assert_eq!(state(subject).await, "granted");
}

/// A raw SMTP client.
struct Client {
    r: BufReader<tokio::net::tcp::OwnedReadHalf>,
    w: tokio::net::tcp::OwnedWriteHalf,
}

impl Client {
    async fn connect(addr: &str) -> Client {
        let (r, w) = TcpStream::connect(addr).await.unwrap().into_split();
        let mut c = Client { r: BufReader::new(r), w };
        assert!(c.reply().await.starts_with("220 "));
        c
    }

    /// The last line of the next reply (`None`: the connection closed).
    async fn try_reply(&mut self) -> Option<String> {
        loop {
            let mut l = String::new();
            let n = tokio::time::timeout(Duration::from_secs(5), self.r.read_line(&mut l)).await.expect("a reply in time").ok()?;
            if n == 0 {
                return None;
            }
            if l.as_bytes().get(3) != Some(&b'-') {
                return Some(l.trim_end().to_string());
            }
        }
    }

    async fn reply(&mut self) -> String {
        self.try_reply().await.expect("a reply")
    }

    async fn send(&mut self, raw: &[u8]) {
        self.w.write_all(raw).await.unwrap();
    }

    async fn cmd(&mut self, line: &str) -> String {
        self.send(format!("{line}\r\n").as_bytes()).await;
        self.reply().await
    }
}

fn code(reply: &str) -> &str {
    &reply[..3]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_breaks_the_protocol_gets_smtp_errors_and_the_sink_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    let maildir = dir.path().join("mail");
    let (addr, mut delivered) = sink(&maildir, 2000).await;
    let mut c = Client::connect(&addr).await;

    // Out of order, malformed, unknown.
    assert_eq!(code(&c.cmd("MAIL FROM:<a@example.fr>").await), "503", "EHLO first");
    assert_eq!(code(&c.cmd("EHLO").await), "501");
    c.send(b"\x00\xff\xfe garbage \x01\r\n").await;
    assert_eq!(code(&c.reply().await), "500");
    assert_eq!(code(&c.cmd("").await), "500");
    let ehlo = c.cmd("EHLO client.example").await;
    assert_eq!(ehlo, "250 ENHANCEDSTATUSCODES");
    assert_eq!(code(&c.cmd("RCPT TO:<b@example.fr>").await), "503", "MAIL first");
    assert_eq!(code(&c.cmd("DATA").await), "503", "RCPT first");
    assert_eq!(code(&c.cmd("MAIL FROM: a@example.fr").await), "501");
    assert_eq!(code(&c.cmd("MAIL FROM:<a@example.fr> SIZE=999999999").await), "552", "announced too large");

    // An overlong line: 500, and the session stays in step.
    c.send(format!("NOOP {}\r\n", "x".repeat(100_000)).as_bytes()).await;
    assert_eq!(c.reply().await, "500 5.5.2 Line too long");
    assert_eq!(code(&c.cmd("NOOP").await), "250");

    // A message larger than --max-message: 552 after the dot, nothing stored.
    assert_eq!(code(&c.cmd("MAIL FROM:<a@example.fr>").await), "250");
    assert_eq!(code(&c.cmd("MAIL FROM:<a@example.fr>").await), "503", "nested MAIL");
    assert_eq!(code(&c.cmd("RCPT TO:<b@example.fr>").await), "250");
    assert_eq!(code(&c.cmd("RCPT TO:<>").await), "501");
    assert_eq!(code(&c.cmd("DATA").await), "354");
    for _ in 0..40 {
        c.send(format!("{}\r\n", "y".repeat(75)).as_bytes()).await;
    }
    assert_eq!(code(&c.cmd(".").await), "552");
    // An overlong line inside DATA: refused after the dot, nothing stored.
    c.cmd("MAIL FROM:<a@example.fr>").await;
    c.cmd("RCPT TO:<b@example.fr>").await;
    assert_eq!(code(&c.cmd("DATA").await), "354");
    c.send(format!("Subject: x\r\n\r\n{}\r\n", "z".repeat(1500)).as_bytes()).await;
    assert_eq!(code(&c.cmd(".").await), "500");

    // A message whose lines start with a dot, bare LF endings included: unstuffed.
    c.cmd("RSET").await;
    assert_eq!(code(&c.cmd("MAIL FROM:<>").await), "250", "the null sender");
    c.cmd("RCPT TO:<b@example.fr>").await;
    c.cmd("DATA").await;
    c.send(b"Subject: dots\r\n\r\n..leading dot\n...two\r\n.\r\n").await;
    assert_eq!(code(&c.reply().await), "250");
    let m = tokio::time::timeout(Duration::from_secs(5), delivered.recv()).await.unwrap().unwrap();
    assert_eq!((m.from.as_str(), m.to.as_slice(), m.links.len()), ("", &["b@example.fr".to_string()][..], 0));
    assert_eq!(code(&c.cmd("VRFY b@example.fr").await), "252");
    assert_eq!(code(&c.cmd("QUIT").await), "221");
    assert!(c.try_reply().await.is_none(), "closed after QUIT");
    assert_eq!(files(&maildir), ["Return-Path: <>\r\nDelivered-To: b@example.fr\r\nSubject: dots\r\n\r\n.leading dot\r\n..two\r\n"]);

    // Too many errors: 421 and the connection closes.
    let mut c = Client::connect(&addr).await;
    let mut last = String::new();
    for _ in 0..fiable_lookup::smtp::sink::MAX_ERRORS {
        c.send(b"HACK the planet\r\n").await;
        last = c.reply().await;
    }
    assert_eq!(code(&last), "421");
    assert!(c.try_reply().await.is_none());

    // A client dropped in the middle of DATA stores nothing; the next one is served.
    let mut c = Client::connect(&addr).await;
    c.cmd("HELO x").await;
    c.cmd("MAIL FROM:<a@example.fr>").await;
    c.cmd("RCPT TO:<b@example.fr>").await;
    c.cmd("DATA").await;
    c.send(b"Subject: cut\r\n\r\nhalf a mess").await;
    drop(c);
    let mut c = Client::connect(&addr).await;
    assert_eq!(code(&c.cmd("HELO x").await), "250");
    assert_eq!(files(&maildir).len(), 1);
    assert!(delivered.try_recv().is_err());
}
