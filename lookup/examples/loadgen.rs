//! A closed-loop HTTP/1.1 load generator for the service benchmarks
//! (`bench/service/scale.sh`): N clients, each on its own thread and its own
//! keep-alive connection, send a request, wait for the whole response, send
//! the next. Bounded by time and by count. Prints one JSON object: requests,
//! statuses, requests/s, latency percentiles (exact: every latency is kept
//! and sorted).
//!
//! Requests come from a file, one a line, tab-separated:
//! `METHOD<TAB>PATH?QUERY[<TAB>BODY]`, BODY inline or `@file`. Blank lines
//! and lines starting with `#` are skipped. The lines are taken in order,
//! cycling, shared by all clients. In paths, bodies and `--header` values,
//! `{n}` becomes the request's sequence number and `{run}` the run's id
//! (start time in ms): unique domains, unique idempotency keys.
//!
//! Blocking sockets and threads rather than async: one thread per client is
//! the simplest closed loop and adds nothing between two requests.
//!
//! ```text
//! cargo run --release --example loadgen -- --url http://127.0.0.1:8787 \
//!     --requests queries.txt --clients 8 --seconds 10 --max 50000
//! ```
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;

#[derive(Parser)]
#[command(about = "closed-loop HTTP/1.1 load generator (loopback benchmarks)")]
struct Args {
    /// Base URL: `http://HOST:PORT` (plain HTTP only).
    #[arg(long)]
    url: String,
    /// Request file (see the module documentation).
    #[arg(long)]
    requests: PathBuf,
    /// Concurrent clients (connections).
    #[arg(long, default_value_t = 1)]
    clients: usize,
    /// Stop after this many seconds.
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// Stop after this many requests (all clients together).
    #[arg(long, default_value_t = 1_000_000)]
    max: u64,
    /// Extra header, `Name: value` (repeatable; `{n}`, `{run}` substituted).
    #[arg(long = "header")]
    headers: Vec<String>,
    /// Per-request timeout in seconds (a timed-out request counts as an error).
    #[arg(long, default_value_t = 30.0)]
    timeout: f64,
}

struct Line {
    method: String,
    path: String,
    body: Option<String>,
}

fn read_lines(path: &PathBuf) -> Result<Vec<Line>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let dir = path.parent().map(|p| p.to_path_buf()).unwrap_or_default();
    let mut out = Vec::new();
    for (i, l) in text.lines().enumerate() {
        if l.trim().is_empty() || l.starts_with('#') {
            continue;
        }
        let mut parts = l.splitn(3, '\t');
        let method = parts.next().unwrap_or_default().to_string();
        let Some(path) = parts.next().map(str::to_string) else {
            return Err(format!("{}:{}: expected METHOD<TAB>PATH", path.display(), i + 1));
        };
        let body = match parts.next() {
            Some(b) if b.starts_with('@') => {
                let f = dir.join(&b[1..]);
                Some(std::fs::read_to_string(&f).map_err(|e| format!("{}: {e}", f.display()))?)
            }
            Some(b) => Some(b.to_string()),
            None => None,
        };
        out.push(Line { method, path, body });
    }
    if out.is_empty() {
        return Err(format!("{}: no requests", path.display()));
    }
    Ok(out)
}

fn subst(s: &str, n: u64, run: u64) -> String {
    if !s.contains('{') {
        return s.to_string();
    }
    s.replace("{n}", &n.to_string()).replace("{run}", &run.to_string())
}

/// One response read off a keep-alive connection; `close` when the server
/// said it will close (or spoke HTTP/1.0).
struct Response {
    status: u16,
    close: bool,
}

fn read_response(r: &mut BufReader<TcpStream>) -> std::io::Result<Response> {
    let bad = |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, m.to_string());
    let mut line = String::new();
    if r.read_line(&mut line)? == 0 {
        return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "connection closed"));
    }
    let mut it = line.split_whitespace();
    let version = it.next().unwrap_or_default().to_string();
    let status: u16 = it.next().and_then(|s| s.parse().ok()).ok_or_else(|| bad("bad status line"))?;
    let mut len: Option<usize> = None;
    let mut chunked = false;
    let mut close = version == "HTTP/1.0";
    loop {
        line.clear();
        if r.read_line(&mut line)? == 0 {
            return Err(bad("eof in headers"));
        }
        let h = line.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            let v = v.trim();
            if k.eq_ignore_ascii_case("content-length") {
                len = Some(v.parse().map_err(|_| bad("bad content-length"))?);
            } else if k.eq_ignore_ascii_case("transfer-encoding") && v.to_ascii_lowercase().contains("chunked") {
                chunked = true;
            } else if k.eq_ignore_ascii_case("connection") && v.eq_ignore_ascii_case("close") {
                close = true;
            }
        }
    }
    const SINK: usize = 8192;
    let mut sink = [0u8; SINK];
    if chunked {
        loop {
            line.clear();
            r.read_line(&mut line)?;
            let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16).map_err(|_| bad("bad chunk size"))?;
            let mut left = size + 2; // the chunk and its CRLF
            while left > 0 {
                let n = r.read(&mut sink[..left.min(SINK)])?;
                if n == 0 {
                    return Err(bad("eof in chunk"));
                }
                left -= n;
            }
            if size == 0 {
                break; // no trailers from our server
            }
        }
    } else if let Some(mut left) = len {
        while left > 0 {
            let n = r.read(&mut sink[..left.min(SINK)])?;
            if n == 0 {
                return Err(bad("eof in body"));
            }
            left -= n;
        }
    } else if status >= 200 && status != 204 && status != 304 {
        // Body delimited by the end of the connection.
        std::io::copy(r, &mut std::io::sink())?;
        close = true;
    }
    Ok(Response { status, close })
}

#[derive(Default)]
struct Tally {
    lat_us: Vec<u32>,
    statuses: BTreeMap<String, u64>,
}

fn main() {
    let a = Args::parse();
    let lines = match read_lines(&a.requests) {
        Ok(l) => Arc::new(l),
        Err(e) => {
            eprintln!("loadgen: {e}");
            std::process::exit(2);
        }
    };
    let hostport = match a.url.strip_prefix("http://") {
        Some(h) => h.trim_end_matches('/').to_string(),
        None => {
            eprintln!("loadgen: --url must be http://HOST:PORT");
            std::process::exit(2);
        }
    };
    let run = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0);
    let next = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(a.seconds);
    let timeout = Duration::from_secs_f64(a.timeout);
    let headers = Arc::new(a.headers.clone());
    let mut handles = Vec::new();
    for _ in 0..a.clients.max(1) {
        let (lines, next, headers, hostport) = (lines.clone(), next.clone(), headers.clone(), hostport.clone());
        let max = a.max;
        handles.push(std::thread::spawn(move || {
            let mut t = Tally::default();
            let mut conn: Option<(TcpStream, BufReader<TcpStream>)> = None;
            let mut buf = Vec::with_capacity(4096);
            loop {
                if Instant::now() >= deadline {
                    break;
                }
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= max {
                    break;
                }
                let l = &lines[(n % lines.len() as u64) as usize];
                buf.clear();
                let body = l.body.as_deref().map(|b| subst(b, n, run));
                let _ = write!(buf, "{} {} HTTP/1.1\r\nHost: {hostport}\r\n", l.method, subst(&l.path, n, run));
                for h in headers.iter() {
                    let _ = write!(buf, "{}\r\n", subst(h, n, run));
                }
                if let Some(b) = &body {
                    let _ = write!(buf, "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{b}", b.len());
                } else {
                    buf.extend_from_slice(b"\r\n");
                }
                let t0 = Instant::now();
                let result = (|| -> std::io::Result<Response> {
                    if conn.is_none() {
                        let s = TcpStream::connect(&hostport)?;
                        s.set_nodelay(true)?;
                        s.set_read_timeout(Some(timeout))?;
                        s.set_write_timeout(Some(timeout))?;
                        let r = BufReader::new(s.try_clone()?);
                        conn = Some((s, r));
                    }
                    let (s, r) = conn.as_mut().expect("connected above");
                    s.write_all(&buf)?;
                    read_response(r)
                })();
                let us = t0.elapsed().as_micros().min(u32::MAX as u128) as u32;
                match result {
                    Ok(resp) => {
                        t.lat_us.push(us);
                        *t.statuses.entry(resp.status.to_string()).or_default() += 1;
                        if resp.close {
                            conn = None;
                        }
                    }
                    Err(e) => {
                        let k = if e.kind() == std::io::ErrorKind::WouldBlock || e.kind() == std::io::ErrorKind::TimedOut {
                            "timeout"
                        } else {
                            "io"
                        };
                        *t.statuses.entry(k.to_string()).or_default() += 1;
                        conn = None;
                    }
                }
            }
            t
        }));
    }
    let mut all = Tally::default();
    for h in handles {
        let t = h.join().unwrap_or_default();
        all.lat_us.extend(t.lat_us);
        for (k, v) in t.statuses {
            *all.statuses.entry(k).or_default() += v;
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    all.lat_us.sort_unstable();
    let pct = |p: f64| -> f64 {
        if all.lat_us.is_empty() {
            return 0.0;
        }
        // Nearest rank.
        let i = ((p / 100.0) * all.lat_us.len() as f64).ceil() as usize;
        all.lat_us[i.clamp(1, all.lat_us.len()) - 1] as f64 / 1000.0
    };
    let answered = all.lat_us.len() as u64;
    let ok: u64 = all.statuses.iter().filter(|(k, _)| k.starts_with('2')).map(|(_, v)| v).sum();
    let errors: u64 = all.statuses.iter().filter(|(k, _)| !k.starts_with('2')).map(|(_, v)| v).sum();
    let mean = if answered > 0 { all.lat_us.iter().map(|&u| u as f64).sum::<f64>() / answered as f64 / 1000.0 } else { 0.0 };
    let r3 = |x: f64| (x * 1000.0).round() / 1000.0;
    let out = serde_json::json!({
        "clients": a.clients.max(1),
        "seconds": r3(elapsed),
        "requests": answered,
        "ok": ok,
        "errors": errors,
        "statuses": all.statuses,
        "rps": r3(answered as f64 / elapsed),
        "ok_rps": r3(ok as f64 / elapsed),
        "latency_ms": {
            "mean": r3(mean), "p50": r3(pct(50.0)), "p90": r3(pct(90.0)), "p99": r3(pct(99.0)),
            "max": r3(all.lat_us.last().map(|&u| u as f64 / 1000.0).unwrap_or(0.0)),
        },
    });
    println!("{out}");
}
