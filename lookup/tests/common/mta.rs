//! A real MTA and a real DNS server on loopback, for the SMTP tests: Debian's
//! exim4 (`exim -C conf -bdf -oX PORT`) with its own configuration, spool,
//! log and maildir in a temporary directory, and dnsmasq giving the test
//! zone's MX records. Both are killed when the value is dropped, and both
//! run under `timeout`, so that they stop by themselves should the test
//! process die first. Installed by `scripts/setup.sh test` (exim4-daemon-light,
//! dnsmasq-base, openssl); without them these tests fail, never pass.
//!
//! The MTA's recipients, all at `mail.fiable-test.com` unless said:
//! - `alice`, `bob`: mailboxes (delivered to the maildir);
//! - any other local part: `550 5.1.1` (no such user);
//! - `grey`: `450 4.7.1` (greylisting);
//! - `dropper`: the `drop` ACL verb (a refusal, then the connection closed);
//! - `slow`: accepted after a 5-second `delay` (a server slower than the probe's timeout);
//! - anything at `all.fiable-test.com`: accepted (catch-all).
//!
//! `dead.fiable-test.com`'s MX is 127.0.0.2, where nothing listens.
#![allow(dead_code)]
use std::io::{BufRead, BufReader, Read};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The zone of the test names (a real TLD: the core refuses unknown ones).
pub const ZONE: &str = "fiable-test.com";

/// Longest life of the daemons, in seconds: past it `timeout` stops them.
const LIFETIME_SECS: u32 = 600;

fn find(bin: &str, fallbacks: &[&str]) -> String {
    for f in fallbacks {
        if Path::new(f).exists() {
            return (*f).to_string();
        }
    }
    bin.to_string()
}

fn stop(child: &mut Child) {
    // SIGTERM through `timeout`, which passes it on to the daemon.
    let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(3) {
        if child.try_wait().ok().flatten().is_some() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// The exim daemon.
pub struct Exim {
    child: Child,
    /// The SMTP port on 127.0.0.1.
    pub port: u16,
    /// The temporary directory: conf, spool, log, Maildir.
    pub dir: tempfile::TempDir,
}

impl Exim {
    /// Starts exim on a free port of 127.0.0.1; waits for its greeting.
    pub fn start() -> Exim {
        let exim = std::env::var("FIABLE_EXIM").unwrap_or_else(|_| find("exim", &["/usr/sbin/exim4", "/usr/sbin/exim"]));
        let ok = Command::new(&exim).arg("-bV").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success());
        assert!(
            ok,
            "exim not found ({exim}): the SMTP tests need a real MTA; run scripts/setup.sh test (apt-get install exim4-daemon-light)"
        );
        let dir = tempfile::Builder::new().prefix("fiable-exim-").tempdir().unwrap();
        let d = dir.path();
        // exim drops to its own user to receive and deliver: it must reach these.
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
        for sub in ["spool", "log", "Maildir"] {
            std::fs::create_dir(d.join(sub)).unwrap();
            std::fs::set_permissions(d.join(sub), std::fs::Permissions::from_mode(0o777)).unwrap();
        }
        std::fs::write(d.join("users"), "alice\nbob\n").unwrap();
        let cert = Command::new("openssl")
            .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", &format!("/CN=mx.{ZONE}")])
            .arg("-keyout")
            .arg(d.join("key.pem"))
            .arg("-out")
            .arg(d.join("cert.pem"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        assert!(cert.is_ok_and(|s| s.success()), "openssl could not make the MTA's certificate (apt-get install openssl)");
        std::fs::set_permissions(d.join("key.pem"), std::fs::Permissions::from_mode(0o644)).unwrap();
        let user = if Command::new("id").arg("Debian-exim").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
        {
            "Debian-exim"
        } else {
            "exim"
        };
        for _ in 0..5 {
            let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
            std::fs::write(d.join("conf"), config(d, port, user)).unwrap();
            let err = std::fs::File::create(d.join("stderr")).unwrap();
            let child = Command::new("timeout")
                .arg(LIFETIME_SECS.to_string())
                .arg(&exim)
                .arg("-C")
                .arg(d.join("conf"))
                .args(["-bdf", "-oX", &port.to_string()])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::from(err))
                .spawn()
                .expect("spawning exim");
            let mut child = child;
            if wait_greeting(&mut child, port) {
                return Exim { child, port, dir };
            }
            let text = |rel: &str| std::fs::read_to_string(d.join(rel)).unwrap_or_default();
            eprintln!("exim did not start on port {port}: {}\n{}", text("stderr"), text("log/mainlog"));
            stop(&mut child);
        }
        panic!("exim would not start");
    }

    /// A file of the temporary directory, as text ('' when absent).
    pub fn file(&self, rel: &str) -> String {
        let mut s = String::new();
        let _ = std::fs::File::open(self.dir.path().join(rel)).and_then(|mut f| f.read_to_string(&mut s));
        s
    }

    /// The messages delivered to the maildir (`new/`), as text, oldest first.
    pub fn delivered(&self) -> Vec<String> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.dir.path().join("Maildir/new"))
            .map(|r| r.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        files.sort();
        files.iter().filter_map(|p| std::fs::read_to_string(p).ok()).collect()
    }

    /// Waits until `n` messages are in the maildir (exim delivers in the background).
    pub fn wait_delivered(&self, n: usize, within: Duration) -> Vec<String> {
        let t = Instant::now();
        loop {
            let got = self.delivered();
            if got.len() >= n || t.elapsed() > within {
                return got;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Messages exim received (`<=` lines of its main log): a probe must leave none.
    pub fn received(&self) -> usize {
        self.file("log/mainlog").lines().filter(|l| l.contains(" <= ")).count()
    }
}

/// Waits for the daemon's `220` greeting (false when it died or never greeted).
fn wait_greeting(child: &mut Child, port: u16) -> bool {
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(10) {
        if child.try_wait().ok().flatten().is_some() {
            return false;
        }
        if let Ok(s) = TcpStream::connect(("127.0.0.1", port)) {
            s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
            let mut line = String::new();
            if BufReader::new(&s).read_line(&mut line).is_ok() && line.starts_with("220") {
                return true;
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

impl Drop for Exim {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

/// The MTA's configuration (see the module's doc).
fn config(d: &Path, port: u16, user: &str) -> String {
    let d = d.display();
    format!(
        r#"primary_hostname = mx.{ZONE}
spool_directory = {d}/spool
log_file_path = {d}/log/%slog
pid_file_path = {d}/exim.pid
exim_user = {user}
exim_group = {user}
keep_environment =
local_interfaces = 127.0.0.1
daemon_smtp_ports = {port}
domainlist local_domains = mail.{ZONE}
domainlist catchall_domains = all.{ZONE}
acl_smtp_rcpt = acl_rcpt
acl_smtp_data = acl_data
tls_advertise_hosts = *
tls_certificate = {d}/cert.pem
tls_privatekey = {d}/key.pem
never_users = root
host_lookup =
rfc1413_hosts =

begin acl
acl_rcpt:
  drop    local_parts = dropper
  defer   local_parts = grey
          message = 450 4.7.1 greylisted, try again later
  accept  local_parts = slow
          delay = 5s
  accept  domains = +catchall_domains
  accept  domains = +local_domains
          local_parts = lsearch;{d}/users
  deny    domains = +local_domains
          message = 550 5.1.1 no such user here
  deny    message = 550 5.7.1 relaying denied
acl_data:
  accept

begin routers
local:
  driver = accept
  domains = +local_domains : +catchall_domains
  transport = maildir

begin transports
maildir:
  driver = appendfile
  directory = {d}/Maildir
  maildir_format
  user = {user}
  create_directory
  envelope_to_add
  return_path_add
"#
    )
}

/// dnsmasq serving the test zone.
pub struct Dns {
    child: Child,
    /// The UDP port on 127.0.0.1.
    pub port: u16,
}

impl Dns {
    /// Starts dnsmasq with the zone's records: `mail.` and `all.` have
    /// `mx.` (127.0.0.1) as MX, `dead.` has `mx.dead.` (127.0.0.2).
    pub fn start() -> Dns {
        let bin = std::env::var("FIABLE_DNSMASQ").unwrap_or_else(|_| find("dnsmasq", &["/usr/sbin/dnsmasq"]));
        let z = ZONE;
        for _ in 0..5 {
            let port = UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
            let child = Command::new("timeout")
                .arg(LIFETIME_SECS.to_string())
                .arg(&bin)
                .args([
                    "--no-daemon",
                    "--conf-file=/dev/null",
                    &format!("--port={port}"),
                    "--listen-address=127.0.0.1",
                    "--bind-interfaces",
                    "--no-resolv",
                    "--no-hosts",
                    "--pid-file",
                    &format!("--local=/{z}/"),
                    "--local-ttl=60",
                    &format!("--host-record=mx.{z},127.0.0.1"),
                    &format!("--host-record=mx.dead.{z},127.0.0.2"),
                    &format!("--mx-host=mail.{z},mx.{z},10"),
                    &format!("--mx-host=all.{z},mx.{z},10"),
                    &format!("--mx-host=dead.{z},mx.dead.{z},10"),
                ])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawning dnsmasq (apt-get install dnsmasq-base)");
            let mut dns = Dns { child, port };
            if dns.wait_ready() {
                return dns;
            }
            stop(&mut dns.child);
        }
        panic!("dnsmasq would not start");
    }

    fn wait_ready(&mut self) -> bool {
        let s = UdpSocket::bind("127.0.0.1:0").unwrap();
        s.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
        let mut q = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
        for label in format!("mx.{ZONE}").split('.') {
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

    /// A DNS configuration with this server as the only upstream, no canaries.
    pub fn config(&self) -> fiable_lookup::mail::DnsConfig {
        fiable_lookup::mail::DnsConfig {
            upstream: vec![format!("127.0.0.1:{}", self.port).parse().unwrap()],
            timeout_ms: 1500,
            attempts: 0,
            canaries: vec![],
            ..fiable_lookup::mail::DnsConfig::default()
        }
    }
}

impl Drop for Dns {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

/// A one-address index: the SMTP tests are not about addresses.
pub fn tiny_index() -> fiable_lookup::address::Index {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("ban.csv");
    std::fs::write(
        &p,
        "id;id_fantoir;numero;rep;nom_voie;code_postal;code_insee;nom_commune;code_insee_ancienne_commune;nom_ancienne_commune;x;y;lon;lat;type_position;alias;nom_ld;libelle_acheminement;nom_afnor;source_position;source_nom_voie;certification_commune;cad_parcelles\n\
         75111_8358_00001;75111_8358;1;;Rue de la Roquette;75011;75111;Paris 11e Arrondissement;;;0;0;2.37;48.85;entrée;;;PARIS;RUE DE LA ROQUETTE;commune;commune;1;\n",
    )
    .unwrap();
    let words = fiable_lookup::address::index::build(std::slice::from_ref(&p), &fiable_lookup::address::BuildOptions::default()).unwrap().0;
    fiable_lookup::address::Index::from_words(words).unwrap()
}
