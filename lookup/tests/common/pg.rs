//! A real PostgreSQL for tests: Debian's server binaries
//! (`/usr/lib/postgresql/*/bin`, or `$PG_BIN`), a fresh cluster in a
//! temporary directory, listening on 127.0.0.1 and a free port, its unix
//! sockets in that directory. The server refuses to run as root, so when
//! the tests do, it runs as the `postgres` system user. Password
//! authentication (SCRAM) over TCP, as a deployment would have.
//!
//! Stopped when dropped (also when the test fails: the guard unwinds), and
//! given SIGINT by the kernel if the thread that started it dies first.
#![allow(dead_code)]
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const USER: &str = "fiable";
pub const PASSWORD: &str = "fiable-test-password";

/// The server binaries: `$PG_BIN`, else the newest
/// `/usr/lib/postgresql/<version>/bin` holding `initdb`.
fn bin_dir() -> PathBuf {
    if let Some(p) = std::env::var_os("PG_BIN") {
        let p = PathBuf::from(p);
        assert!(p.join("initdb").is_file(), "PG_BIN={}: no initdb there (apt-get install postgresql)", p.display());
        return p;
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((v, bin))
        })
        .collect();
    found.sort();
    match found.pop() {
        Some((_, bin)) => bin,
        None => panic!(
            "PostgreSQL server binaries not found (no /usr/lib/postgresql/*/bin/initdb): \
             install them with `apt-get install postgresql` (or set PG_BIN to the directory of initdb and postgres)"
        ),
    }
}

fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").map(|m| m.uid() == 0).unwrap_or(false)
}

/// `prog` as a command run by the server's user: `postgres` when we are
/// root (through `setpriv`), else ourselves. `pdeathsig`: the kernel sends
/// SIGINT (fast shutdown) if the starting thread dies.
fn as_server_user(prog: &Path, pdeathsig: bool) -> Command {
    if is_root() {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=postgres", "--regid=postgres", "--init-groups"]);
        if pdeathsig {
            c.arg("--pdeathsig=INT");
        }
        c.arg("--").arg(prog);
        c
    } else {
        Command::new(prog)
    }
}

/// A running PostgreSQL server.
pub struct Pg {
    pub port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

impl Pg {
    /// initdb + start; returns once the server accepts connections.
    pub fn start() -> Pg {
        Pg::start_with(&[], &[])
    }

    /// [`Pg::start`] with `files` (name, content) written mode 0600 into
    /// the server's directory (see [`Pg::path`]) and `conf` lines appended
    /// to its `postgresql.conf` (so `ALTER SYSTEM` and a reload can change
    /// them later, which `-c` options would not allow).
    pub fn start_with(files: &[(&str, &[u8])], conf: &[String]) -> Pg {
        use std::os::unix::fs::OpenOptionsExt;
        let bin = bin_dir();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pwfile"), PASSWORD).unwrap();
        for (name, content) in files {
            let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(dir.path().join(name)).unwrap();
            std::io::Write::write_all(&mut f, content).unwrap();
        }
        if is_root() {
            let ok = Command::new("chown").args(["-R", "postgres:postgres"]).arg(dir.path()).status().unwrap().success();
            assert!(ok, "chown of the PostgreSQL test directory to postgres");
        }
        let data = dir.path().join("data");
        let out = as_server_user(&bin.join("initdb"), false)
            .arg("-D")
            .arg(&data)
            .args(["-U", USER, "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync"])
            .arg(format!("--pwfile={}", dir.path().join("pwfile").display()))
            .output()
            .unwrap();
        assert!(out.status.success(), "initdb failed: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        if !conf.is_empty() {
            let mut f = std::fs::OpenOptions::new().append(true).open(data.join("postgresql.conf")).unwrap();
            std::io::Write::write_all(&mut f, format!("\n{}\n", conf.join("\n")).as_bytes()).unwrap();
        }
        let port = free_port();
        let log = std::fs::File::create(dir.path().join("server.log")).unwrap();
        if is_root() {
            let _ = Command::new("chown").arg("postgres:postgres").arg(dir.path().join("server.log")).status();
        }
        let child = as_server_user(&bin.join("postgres"), true)
            .arg("-D")
            .arg(&data)
            .args(["-c", "listen_addresses=127.0.0.1", "-p", &port.to_string()])
            .arg("-c")
            .arg(format!("unix_socket_directories={}", dir.path().display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start postgres");
        let mut pg = Pg { port, dir, child: Some(child) };
        let t = Instant::now();
        loop {
            match pg.try_client("postgres") {
                Ok(_) => break,
                Err(e) => {
                    let exited = pg.child.as_mut().and_then(|c| c.try_wait().ok().flatten());
                    if exited.is_some() || t.elapsed() > Duration::from_secs(60) {
                        panic!("PostgreSQL did not start ({e}); server log:\n{}", pg.log());
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        }
        pg
    }

    /// A file of the server's directory (where `start_with` wrote `files`).
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    /// The URL of database `name` on this server.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://{USER}:{PASSWORD}@127.0.0.1:{}/{name}", self.port)
    }

    fn try_client(&self, db: &str) -> Result<postgres::Client, postgres::Error> {
        postgres::Client::connect(&format!("{}?connect_timeout=5", self.url(db)), postgres::NoTls)
    }

    /// A raw client on database `db` (not through the store).
    pub fn client(&self, db: &str) -> postgres::Client {
        self.try_client(db).unwrap()
    }

    /// Creates an empty database; returns its URL.
    pub fn create_db(&self, name: &str) -> String {
        self.client("postgres").batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
        self.url(name)
    }

    /// Fast shutdown (SIGINT), waiting for the server to exit.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let _ = Command::new("kill").args(["-INT", &child.id().to_string()]).status();
        let t = Instant::now();
        while child.try_wait().ok().flatten().is_none() {
            if t.elapsed() > Duration::from_secs(30) {
                let _ = child.kill();
                let _ = child.wait();
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Pg {
    fn drop(&mut self) {
        self.stop();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}
