//! `GET /v1/email/domain` against a real DNS server: each test starts its
//! own dnsmasq on 127.0.0.1 and a free port (killed when the test ends).
//! dnsmasq is required: without it these tests fail, they never pass
//! silently (`apt-get install dnsmasq`, or set `FIABLE_DNSMASQ`).
use std::io::Read;
use std::net::UdpSocket;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use fiable_lookup::address::Index;
use fiable_lookup::app::app;
use fiable_lookup::config::Config;
use fiable_lookup::mail::DnsConfig;
use fiable_lookup::state::AppState;
use http_body_util::BodyExt;
use tower::ServiceExt;

/// The zone every test name lives in (a real TLD: the core refuses unknown ones).
const ZONE: &str = "fiable-test.com";

const BAN_HEADER: &str = "id;id_fantoir;numero;rep;nom_voie;code_postal;code_insee;nom_commune;code_insee_ancienne_commune;nom_ancienne_commune;x;y;lon;lat;type_position;alias;nom_ld;libelle_acheminement;nom_afnor;source_position;source_nom_voie;certification_commune;cad_parcelles";
const BAN_ROW: &str = "75111_8358_00001;75111_8358;1;;Rue de la Roquette;75011;75111;Paris 11e Arrondissement;;;0;0;2.37;48.85;entrée;;;PARIS;RUE DE LA ROQUETTE;commune;commune;1;";

/// A dnsmasq child process; killed and reaped on drop.
struct Dnsmasq {
    child: Child,
    port: u16,
    log: PathBuf,
    /// A UDP socket that never answers: the upstream of `slow.` names.
    _blackhole: UdpSocket,
}

fn dnsmasq_bin() -> String {
    let bin = std::env::var("FIABLE_DNSMASQ")
        .unwrap_or_else(|_| if std::path::Path::new("/usr/sbin/dnsmasq").exists() { "/usr/sbin/dnsmasq".into() } else { "dnsmasq".into() });
    let ok = Command::new(&bin).arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success());
    assert!(
        ok,
        "dnsmasq not found ({bin}): the mail-domain tests need a real DNS server; install it (apt-get install dnsmasq) or set FIABLE_DNSMASQ"
    );
    bin
}

/// The test zone's records: the canaries' (gmail.com) included.
fn zone_args(local_ttl: u32, blackhole: u16) -> Vec<String> {
    let z = ZONE;
    let bh = blackhole;
    vec![
        format!("--local-ttl={local_ttl}"),
        format!("--local=/{z}/"),
        format!("--mx-host=mail.{z},mx2.mail.{z},20"),
        format!("--mx-host=mail.{z},mx1.mail.{z},10"),
        format!("--mx-host=sf.{z},mx.sf.{z},10"),
        format!("--mx-host=ttl.{z},mx.ttl.{z},10"),
        format!("--mx-host=nullmx.{z},.,0"),
        format!("--host-record=aonly.{z},127.0.0.2"),
        format!("--host-record=xn--caf-dma.{z},127.0.0.3"),
        format!("--txt-record=txtonly.{z},v=spf1 -all"),
        "--mx-host=gmail.com,gmail-smtp-in.l.google.com,5".into(),
        "--mx-host=mailinator.com,mail.mailinator.com,10".into(),
        format!("--server=/slow.{z}/127.0.0.1#{bh}"),
        format!("--server=/refused.{z}/#"),
    ]
}

/// A resolver that lies: NXDOMAIN for every name (an offline laptop, a captive portal).
fn nxdomain_everything() -> Vec<String> {
    vec!["--address=/#/".into()]
}

impl Dnsmasq {
    /// Starts dnsmasq with the test zone and `local_ttl` on every record.
    fn start(local_ttl: u32) -> Dnsmasq {
        Dnsmasq::start_with(None, |bh| zone_args(local_ttl, bh))
    }

    /// Starts dnsmasq with these records, on `port` (or a free one).
    fn start_with(port: Option<u16>, records: impl Fn(u16) -> Vec<String>) -> Dnsmasq {
        let bin = dnsmasq_bin();
        let blackhole = UdpSocket::bind("127.0.0.1:0").unwrap();
        let bh = blackhole.local_addr().unwrap().port();
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        for _ in 0..5 {
            let port = port.unwrap_or_else(|| UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port());
            let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let log = std::env::temp_dir().join(format!("fiable-dnsmasq-{}-{n}.log", std::process::id()));
            let mut args = vec![
                "--no-daemon".to_string(),
                "--conf-file=/dev/null".into(),
                format!("--port={port}"),
                "--listen-address=127.0.0.1".into(),
                "--bind-interfaces".into(),
                "--no-resolv".into(),
                "--no-hosts".into(),
                "--log-queries".into(),
                "--log-facility=-".into(),
                "--pid-file".into(),
            ];
            args.extend(records(bh));
            let child = Command::new(&bin)
                .args(&args)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::from(std::fs::File::create(&log).unwrap()))
                .spawn()
                .expect("spawning dnsmasq");
            let mut d = Dnsmasq { child, port, log, _blackhole: blackhole.try_clone().unwrap() };
            if d.wait_ready() {
                return d;
            }
            // Port taken in the meantime, or a bad option: say why, try another port.
            eprintln!("dnsmasq did not start on port {port}: {}", d.log_text());
        }
        panic!("dnsmasq would not start");
    }

    /// Sends a probe query until dnsmasq answers (false when it died).
    fn wait_ready(&mut self) -> bool {
        let s = UdpSocket::bind("127.0.0.1:0").unwrap();
        s.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
        let mut q = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
        for label in format!("probe.{ZONE}").split('.') {
            q.push(label.len() as u8);
            q.extend_from_slice(label.as_bytes());
        }
        q.extend_from_slice(&[0, 0, 1, 0, 1]);
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(5) {
            if self.child.try_wait().ok().flatten().is_some() {
                return false;
            }
            let _ = s.send_to(&q, ("127.0.0.1", self.port));
            let mut buf = [0u8; 512];
            if s.recv_from(&mut buf).is_ok() {
                return true;
            }
        }
        false
    }

    fn log_text(&self) -> String {
        let mut s = String::new();
        let _ = std::fs::File::open(&self.log).and_then(|mut f| f.read_to_string(&mut s));
        s
    }

    /// Queries dnsmasq received for `name` (any type; `auth[…]` when it is
    /// authoritative), from its log.
    fn queries_for(&self, name: &str) -> usize {
        // dnsmasq writes its log asynchronously: give it a moment.
        std::thread::sleep(Duration::from_millis(100));
        let needle = format!("] {name} from");
        self.log_text().lines().filter(|l| (l.contains("query[") || l.contains("auth[")) && l.contains(&needle)).count()
    }

    /// Every query dnsmasq received but the readiness probe.
    fn query_count(&self) -> usize {
        std::thread::sleep(Duration::from_millis(100));
        self.log_text().lines().filter(|l| l.contains("query[") && !l.contains(" probe.")).count()
    }

    fn state(&self, min_ttl: u64, timeout_ms: u64) -> AppState {
        self.state_with(DnsConfig { min_ttl, timeout_ms, ..self.dns() })
    }

    /// This server as the only upstream, one try, small cache, default canaries.
    fn dns(&self) -> DnsConfig {
        DnsConfig {
            upstream: vec![format!("127.0.0.1:{}", self.port).parse().unwrap()],
            timeout_ms: 1500,
            attempts: 0,
            cache_size: 100,
            min_ttl: 30,
            max_ttl: 3600,
            ..DnsConfig::default()
        }
    }

    fn state_with(&self, dns: DnsConfig) -> AppState {
        let mut config = Config::for_tests();
        config.dns = dns;
        AppState::new(Index::from_words(empty_index()).unwrap(), config)
    }

    /// Stops this server and starts another on the same port with other records.
    fn replace(self, records: impl Fn(u16) -> Vec<String>) -> Dnsmasq {
        let port = self.port;
        drop(self);
        Dnsmasq::start_with(Some(port), records)
    }
}

impl Drop for Dnsmasq {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

/// A one-address index: these tests are about mail domains.
fn empty_index() -> Vec<u64> {
    use std::sync::OnceLock;
    static WORDS: OnceLock<Vec<u64>> = OnceLock::new();
    WORDS
        .get_or_init(|| {
            let p = std::env::temp_dir().join(format!("fiable-mail-dns-{}.csv", std::process::id()));
            std::fs::write(&p, format!("{BAN_HEADER}\n{BAN_ROW}\n")).unwrap();
            let words =
                fiable_lookup::address::index::build(std::slice::from_ref(&p), &fiable_lookup::address::BuildOptions::default()).unwrap().0;
            let _ = std::fs::remove_file(&p);
            words
        })
        .clone()
}

async fn get(st: &AppState, uri: &str) -> (StatusCode, serde_json::Value) {
    let resp = app(st.clone()).oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap();
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null))
}

async fn domain(st: &AppState, d: &str) -> serde_json::Value {
    let (s, v) = get(st, &format!("/v1/email/domain?d={d}")).await;
    assert_eq!(s, StatusCode::OK, "{d}: {v}");
    v
}

async fn metrics(st: &AppState) -> String {
    let resp = app(st.clone()).oneshot(Request::get("/metrics").body(Body::empty()).unwrap()).await.unwrap();
    String::from_utf8(resp.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap()
}

#[tokio::test]
async fn mx_records_mean_the_domain_accepts_mail() {
    let dns = Dnsmasq::start(600);
    let st = dns.state(30, 1500);
    let v = domain(&st, &format!("mail.{ZONE}")).await;
    assert_eq!(v["status"], "valid");
    assert_eq!(v["code"], "email.domain_accepts_mail");
    assert_eq!(v["mx"], serde_json::json!([format!("mx1.mail.{ZONE}"), format!("mx2.mail.{ZONE}")]));
    assert_eq!((v["implicit_mx"].as_bool(), v["cached"].as_bool()), (Some(false), Some(false)));
    assert_eq!((v["free"].as_bool(), v["disposable"].as_bool()), (Some(false), Some(false)));
    // Free and disposable come from the full lists.
    let v = domain(&st, "gmail.com").await;
    assert_eq!((v["status"].as_str(), v["free"].as_bool()), (Some("valid"), Some(true)));
    assert_eq!(v["mx"][0], "gmail-smtp-in.l.google.com");
    let v = domain(&st, "mailinator.com").await;
    assert_eq!(v["disposable"], true);
    // A whole address is tolerated: only the domain is used (and shares its cache entry).
    let v = domain(&st, "jean.dupont%40Gmail.com").await;
    assert_eq!((v["domain"].as_str(), v["cached"].as_bool()), (Some("gmail.com"), Some(true)));
}

#[tokio::test]
async fn address_record_is_the_implicit_mx() {
    let dns = Dnsmasq::start(600);
    let st = dns.state(30, 1500);
    let v = domain(&st, &format!("aonly.{ZONE}")).await;
    assert_eq!((v["status"].as_str(), v["code"].as_str()), (Some("valid"), Some("email.domain_accepts_mail")));
    assert_eq!((v["implicit_mx"].as_bool(), v["mx"].as_array().map(Vec::len)), (Some(true), Some(0)));
    // Neither MX nor address: no mail.
    let v = domain(&st, &format!("txtonly.{ZONE}")).await;
    assert_eq!((v["status"].as_str(), v["code"].as_str()), (Some("invalid"), Some("email.domain_no_mail")));
}

#[tokio::test]
async fn null_mx_means_no_mail() {
    let dns = Dnsmasq::start(600);
    let st = dns.state(30, 1500);
    let v = domain(&st, &format!("nullmx.{ZONE}")).await;
    assert_eq!((v["status"].as_str(), v["code"].as_str()), (Some("invalid"), Some("email.domain_no_mail")));
    assert_eq!(v["mx"], serde_json::json!([]));
}

#[tokio::test]
async fn nxdomain_without_soa_is_not_found_and_not_cached() {
    let dns = Dnsmasq::start(600);
    let st = dns.state(30, 1500);
    let v = domain(&st, &format!("nope.{ZONE}")).await;
    assert_eq!((v["status"].as_str(), v["code"].as_str()), (Some("invalid"), Some("email.domain_not_found")));
    // dnsmasq's local NXDOMAIN carries no SOA: nothing says how long it holds (RFC 2308).
    let v = domain(&st, &format!("nope.{ZONE}")).await;
    assert_eq!((v["status"].as_str(), v["cached"].as_bool()), (Some("invalid"), Some(false)));
    assert_eq!(dns.queries_for(&format!("nope.{ZONE}")), 2);
}

/// dnsmasq authoritative for `soa.` + ZONE: its NXDOMAIN carries an SOA
/// whose minimum (the negative TTL) is `neg_ttl`; the canary lives there too.
fn soa_zone(neg_ttl: u32) -> Vec<String> {
    let z = format!("soa.{ZONE}");
    vec![
        format!("--auth-server=ns.{z},127.0.0.1"),
        format!("--auth-zone={z}"),
        format!("--auth-ttl={neg_ttl}"),
        format!("--mx-host=mail.{z},mx.mail.{z},10"),
    ]
}

#[tokio::test]
async fn nxdomain_is_cached_as_long_as_its_soa_minimum_says() {
    let dns = Dnsmasq::start_with(None, |_| soa_zone(2));
    // The configured minimum TTL (30 s) does not stretch a negative answer.
    let st = dns.state_with(DnsConfig { min_ttl: 30, canaries: vec![format!("mail.soa.{ZONE}")], ..dns.dns() });
    let nope = format!("nope.soa.{ZONE}");
    let v = domain(&st, &nope).await;
    assert_eq!(
        (v["status"].as_str(), v["code"].as_str(), v["cached"].as_bool()),
        (Some("invalid"), Some("email.domain_not_found"), Some(false))
    );
    assert_eq!(domain(&st, &nope).await["cached"], true);
    tokio::time::sleep(Duration::from_millis(2300)).await;
    let v = domain(&st, &nope).await;
    assert_eq!((v["status"].as_str(), v["cached"].as_bool()), (Some("invalid"), Some(false)));
    assert_eq!(dns.queries_for(&nope), 2);
}
#[tokio::test]
async fn idn_is_normalised_to_punycode() {
    let dns = Dnsmasq::start(600);
    let st = dns.state(30, 1500);
    let v = domain(&st, &format!("caf%C3%A9.{ZONE}")).await;
    assert_eq!(v["domain"], format!("xn--caf-dma.{ZONE}"));
    assert_eq!((v["status"].as_str(), v["implicit_mx"].as_bool()), (Some("valid"), Some(true)));
    // Another spelling of the same domain lands on the same cache entry.
    let v = domain(&st, "CAF%C3%89.Fiable-Test.COM").await;
    assert_eq!((v["domain"].as_str(), v["cached"].as_bool()), (Some(&*format!("xn--caf-dma.{ZONE}")), Some(true)));
    assert_eq!(dns.queries_for(&format!("xn--caf-dma.{ZONE}")), 3, "MX, A, AAAA once");
}

#[tokio::test]
async fn junk_is_refused_without_a_dns_query() {
    let dns = Dnsmasq::start(600);
    let st = dns.state(30, 1500);
    for (d, code) in [
        ("", "email.empty_domain"),
        ("localhost", "email.missing_tld"),
        ("foo..com", "email.consecutive_dots"),
        ("%5B127.0.0.1%5D", "email.ip_literal"),
        ("exemple.zzzz", "email.unknown_tld"),
        ("-bad-.com", "email.invalid_domain"),
        ("a%20b.com", "email.space"),
    ] {
        let (s, v) = get(&st, &format!("/v1/email/domain?d={d}")).await;
        assert_eq!((s, v["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some(code)), "{d}: {v}");
    }
    let (s, v) = get(&st, &format!("/v1/email/domain?d={}", "a".repeat(400))).await;
    assert_eq!((s, v["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("email.too_long")));
    let (s, v) = get(&st, "/v1/email/domain").await;
    assert_eq!((s, v["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("email.empty_domain")));
    assert_eq!(st.mail.resolutions(), 0);
    assert_eq!(dns.query_count(), 0, "{}", dns.log_text());
}

#[tokio::test]
async fn second_call_is_a_cache_hit_until_the_ttl_expires() {
    let dns = Dnsmasq::start(1);
    let st = dns.state(1, 1500);
    let name = format!("ttl.{ZONE}");
    assert_eq!(domain(&st, &name).await["cached"], false);
    assert_eq!(domain(&st, &name).await["cached"], true);
    assert_eq!(st.mail.resolutions(), 1);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let v = domain(&st, &name).await;
    assert_eq!((v["cached"].as_bool(), v["status"].as_str()), (Some(false), Some("valid")));
    assert_eq!(st.mail.resolutions(), 2);
    assert_eq!(dns.queries_for(&name), 2);
    let m = metrics(&st).await;
    assert!(m.contains(r#"fiable_dns_cache_total{result="hit"} 1"#), "{m}");
    assert!(m.contains(r#"fiable_dns_cache_total{result="miss"} 2"#), "{m}");
    assert!(m.contains(r#"fiable_dns_resolutions_total{outcome="accepts_mail"} 2"#), "{m}");
    assert!(m.contains(r#"fiable_dns_queries_total{type="MX",result="answer"} 2"#), "{m}");
    assert!(!m.contains("ttl.fiable"), "no domain in metrics");
}

#[tokio::test(flavor = "current_thread")]
async fn concurrent_questions_share_one_query() {
    let dns = Dnsmasq::start(600);
    let st = dns.state(30, 1500);
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let st = st.clone();
            tokio::spawn(async move { domain(&st, &format!("sf.{ZONE}")).await })
        })
        .collect();
    for t in tasks {
        let v = t.await.unwrap();
        assert_eq!(v["mx"][0], format!("mx.sf.{ZONE}"));
    }
    assert_eq!(st.mail.resolutions(), 1);
    assert_eq!(dns.queries_for(&format!("sf.{ZONE}")), 1);
    let m = metrics(&st).await;
    assert!(m.contains(r#"fiable_dns_cache_total{result="shared"} 19"#), "{m}");
}

#[tokio::test]
async fn silent_upstream_is_unknown_and_shared() {
    let dns = Dnsmasq::start(600);
    let st = dns.state(30, 300);
    let t = Instant::now();
    let tasks: Vec<_> = (0..5)
        .map(|_| {
            let st = st.clone();
            tokio::spawn(async move { get(&st, &format!("/v1/email/domain?d=x.slow.{ZONE}")).await })
        })
        .collect();
    for task in tasks {
        let (s, v) = task.await.unwrap();
        assert_eq!(s, StatusCode::OK);
        assert_eq!((v["status"].as_str(), v["code"].as_str()), (Some("unknown"), Some("email.domain_unknown")), "{v}");
    }
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    assert_eq!(st.mail.resolutions(), 1);
    // A failure is not an answer: the next question asks again.
    let v = domain(&st, &format!("x.slow.{ZONE}")).await;
    assert_eq!((v["status"].as_str(), v["cached"].as_bool()), (Some("unknown"), Some(false)));
    assert!(metrics(&st).await.contains(r#"fiable_dns_queries_total{type="MX",result="timeout"} 2"#));
}

#[tokio::test]
async fn refusing_upstream_is_unknown() {
    let dns = Dnsmasq::start(600);
    let st = dns.state(30, 1500);
    let v = domain(&st, &format!("x.refused.{ZONE}")).await;
    assert_eq!((v["status"].as_str(), v["code"].as_str()), (Some("unknown"), Some("email.domain_unknown")), "{v}");
    let m = metrics(&st).await;
    assert!(m.contains(r#"fiable_dns_resolutions_total{outcome="unknown"} 1"#), "{m}");
}

#[tokio::test]
async fn openapi_documents_the_route() {
    let dns = Dnsmasq::start(600);
    let st = dns.state(30, 1500);
    let (_, v) = get(&st, "/openapi.json").await;
    assert_eq!(v["paths"]["/v1/email/domain"]["get"]["parameters"][0]["name"], "d");
    let shape = &v["components"]["schemas"]["DomainVerdict"];
    assert_eq!(shape["required"].as_array().unwrap().len(), 8);
    // The served answer has exactly the documented fields.
    let ans = domain(&st, &format!("mail.{ZONE}")).await;
    let mut got: Vec<&str> = ans.as_object().unwrap().keys().map(String::as_str).collect();
    let mut doc: Vec<&str> = shape["properties"].as_object().unwrap().keys().map(String::as_str).collect();
    got.sort();
    doc.sort();
    assert_eq!(got, doc);
}

async fn healthz(st: &AppState) -> serde_json::Value {
    let (s, v) = get(st, "/healthz").await;
    // The service is usable while DNS is degraded: 200, `status` says it.
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

/// What the service logs, captured for one test (current-thread runtime:
/// the probes run on the test's thread).
#[derive(Clone, Default)]
struct Log(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Log {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Log {
    fn count(&self, needle: &str) -> usize {
        String::from_utf8_lossy(&self.0.lock().unwrap()).matches(needle).count()
    }
}

#[tokio::test(flavor = "current_thread")]
async fn lying_resolver_makes_every_answer_unknown_until_its_canaries_resolve() {
    let log = Log::default();
    let writer = log.clone();
    let _guard = tracing::subscriber::set_default(
        tracing_subscriber::fmt().with_writer(move || writer.clone()).with_ansi(false).with_max_level(tracing::Level::INFO).finish(),
    );
    // NXDOMAIN for every name: gmail.com included, the canaries included.
    let dns = Dnsmasq::start_with(None, |_| nxdomain_everything());
    let st = dns.state_with(DnsConfig { canary_interval_secs: 1, ..dns.dns() });
    for d in ["gmail.com", "orange.fr", &format!("mail.{ZONE}"), &format!("nope.{ZONE}")] {
        let v = domain(&st, d).await;
        assert_eq!(
            (v["status"].as_str(), v["code"].as_str(), v["cached"].as_bool()),
            (Some("unknown"), Some("email.domain_unknown"), Some(false)),
            "{d}: {v}"
        );
    }
    // The canaries were asked; the person's domains were not (a resolver that lies is not asked).
    assert_eq!(dns.queries_for("gmail.com"), 1, "once, as a canary");
    assert_eq!(dns.queries_for(&format!("nope.{ZONE}")), 0);
    assert_eq!(st.mail.resolutions(), 0);
    let h = healthz(&st).await;
    assert_eq!((h["status"].as_str(), h["dns"]["status"].as_str()), (Some("degraded"), Some("degraded")), "{h}");
    let reason = h["dns"]["reason"].as_str().unwrap();
    assert!(reason.contains("NXDOMAIN for every canary") && reason.contains("gmail.com nxdomain"), "{reason}");
    assert_eq!(h["dns"]["canaries"].as_array().unwrap().len(), 4);
    assert!(h["dns"]["canaries"].as_array().unwrap().iter().all(|c| c["result"] == "nxdomain"), "{h}");
    let m = metrics(&st).await;
    for line in [
        "fiable_dns_resolver_degraded 1",
        "fiable_dns_resolver_trusted 0",
        "fiable_dns_resolver_degradations_total 1",
        r#"fiable_dns_canary_probes_total{result="failed"} 1"#,
        r#"fiable_dns_doubted_total{reason="resolver_unproven"} 4"#,
    ] {
        assert!(m.contains(line), "{line} missing in\n{m}");
    }
    // More probes while it still lies: still degraded, nothing more in the log.
    st.mail.probe().await;
    st.mail.probe().await;
    assert!(metrics(&st).await.contains(r#"fiable_dns_canary_probes_total{result="failed"} 3"#));
    assert_eq!(log.count("DNS resolver degraded"), 1, "said once");

    // The resolver answers properly again (same port): the next probe, due
    // after the interval, proves it and answers are believed again.
    let dns = dns.replace(|bh| zone_args(600, bh));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let v = domain(&st, &format!("mail.{ZONE}")).await;
    assert_eq!((v["status"].as_str(), v["mx"][0].as_str()), (Some("valid"), Some(&*format!("mx1.mail.{ZONE}"))), "{v}");
    let v = domain(&st, &format!("nope.{ZONE}")).await;
    assert_eq!((v["status"].as_str(), v["code"].as_str()), (Some("invalid"), Some("email.domain_not_found")), "{v}");
    let h = healthz(&st).await;
    assert_eq!(
        (h["status"].as_str(), h["dns"]["status"].as_str(), &h["dns"]["reason"]),
        (Some("ok"), Some("ok"), &serde_json::Value::Null),
        "{h}"
    );
    let m = metrics(&st).await;
    assert!(m.contains("fiable_dns_resolver_degraded 0") && m.contains("fiable_dns_resolver_trusted 1"), "{m}");
    assert!(m.contains(r#"fiable_dns_canary_probes_total{result="ok"} 1"#), "{m}");
    st.mail.probe().await;
    assert_eq!(log.count("DNS resolver recovered"), 1, "said once");
    assert_eq!(log.count("DNS resolver degraded"), 1);
    drop(dns);
}

#[tokio::test]
async fn a_burst_of_nxdomain_asks_the_canaries_at_once() {
    // Proven at start, then the resolver starts lying (same port).
    let dns = Dnsmasq::start(600);
    let st = dns.state_with(DnsConfig { canary_interval_secs: 3600, canary_burst: 3, ..dns.dns() });
    assert_eq!(domain(&st, &format!("mail.{ZONE}")).await["status"], "valid");
    let dns = dns.replace(|_| nxdomain_everything());
    // A burst never probes again within a second of the last probe.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    // Not yet a burst: the resolver still has the benefit of the doubt.
    for d in ["nope1", "nope2"] {
        assert_eq!(domain(&st, &format!("{d}.{ZONE}")).await["status"], "invalid");
    }
    // The third NXDOMAIN within 10 s: the canaries are asked before it is judged.
    let v = domain(&st, &format!("nope3.{ZONE}")).await;
    assert_eq!((v["status"].as_str(), v["cached"].as_bool()), (Some("unknown"), Some(false)), "{v}");
    assert_eq!(healthz(&st).await["dns"]["status"], "degraded");
    // Degraded: every answer is unknown, even one the cache holds as valid.
    let v = domain(&st, &format!("mail.{ZONE}")).await;
    assert_eq!(v["status"], "unknown", "{v}");
    assert_eq!(dns.queries_for("gmail.com"), 1, "the burst's probe");
}

#[tokio::test]
async fn known_providers_and_recent_domains_are_never_gone_on_dns_word_alone() {
    // A proven resolver (outlook.com answers) that says gmail.com does not exist.
    let dns = Dnsmasq::start_with(None, |_| {
        vec![
            format!("--local=/{ZONE}/"),
            "--local=/gmail.com/".into(),
            "--mx-host=outlook.com,outlook-com.olc.protection.outlook.com,10".into(),
            format!("--mx-host=once.{ZONE},mx.once.{ZONE},10"),
        ]
    });
    let st = dns.state_with(DnsConfig { min_ttl: 1, max_ttl: 1, ..dns.dns() });
    let v = domain(&st, "gmail.com").await;
    assert_eq!(
        (v["status"].as_str(), v["code"].as_str(), v["free"].as_bool()),
        (Some("unknown"), Some("email.domain_unknown"), Some(true)),
        "{v}"
    );
    assert_eq!(healthz(&st).await["dns"]["status"], "ok");
    // An unknown domain on a proven resolver: NXDOMAIN stands.
    assert_eq!(domain(&st, &format!("nope.{ZONE}")).await["status"], "invalid");
    // A domain that accepted mail, then NXDOMAIN (the zone changed): doubted.
    assert_eq!(domain(&st, &format!("once.{ZONE}")).await["status"], "valid");
    let dns = dns.replace(|_| vec![format!("--local=/{ZONE}/"), "--mx-host=outlook.com,outlook-com.olc.protection.outlook.com,10".into()]);
    tokio::time::sleep(Duration::from_millis(1100)).await; // the positive answer's TTL (1 s) runs out
    let v = domain(&st, &format!("once.{ZONE}")).await;
    assert_eq!((v["status"].as_str(), v["cached"].as_bool()), (Some("unknown"), Some(false)), "{v}");
    assert_eq!(dns.queries_for(&format!("once.{ZONE}")), 1, "it was asked, and its answer doubted");
    let m = metrics(&st).await;
    assert!(m.contains(r#"fiable_dns_doubted_total{reason="known_provider"} 1"#), "{m}");
    assert!(m.contains(r#"fiable_dns_doubted_total{reason="resolved_recently"} 1"#), "{m}");
}
