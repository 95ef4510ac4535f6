//! `fiable-lookup witness`: someone who does not hold the database keeps
//! the last signed tree head they saw and checks that each new one extends
//! it. A truncated tail (the log shrinks), a rewritten entry (the old root
//! is no prefix of the new tree) or a head signed by another key is named
//! and the run fails, so cron mails it to whoever runs the witness. A
//! signing-key rotation is followed only through the log's own rotation
//! entries, signed by the key they replace (`GET /v1/log/rotations`).
//!
//! The client is a plain HTTP/1.0 GET over TCP: the witness trusts nothing
//! the server says except what the pinned key signed, so it needs no TLS
//! to be sound (put it behind a TLS proxy for privacy, or fetch with curl
//! and check the files with `verify`).
use std::io::{Read, Write};
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

use super::log::{self, ConsistencyProof, TreeHead};

/// What the witness keeps between runs.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct State {
    /// The pinned signing key of the log, hex.
    pub public_key: String,
    /// The last head seen and checked.
    pub head: TreeHead,
}

/// What went wrong: the log misbehaved (an alarm) or the run could not
/// check (the server was unreachable, a file unreadable).
#[derive(Debug)]
pub enum Outcome {
    /// The new head extends the last one; it is stored.
    Ok {
        /// The stored head.
        head: TreeHead,
        /// Whether the key was pinned by this run (first use).
        pinned_now: bool,
        /// The keys the log rotated to since the last run, now pinned
        /// (each rotation checked: signed by the key it replaces).
        rotated: Vec<String>,
    },
    /// Fork, shrink or bad signature.
    Alarm(String),
}

/// One witness run against `base` (`http://host:port`), with state in
/// `state_path`; `public_key` pins the key (required unless the state
/// already holds one, or `trust_on_first_use`).
pub fn run(base: &str, state_path: &Path, public_key: Option<&str>, trust_on_first_use: bool) -> anyhow::Result<Outcome> {
    let state: Option<State> = match std::fs::read(state_path) {
        Ok(b) => Some(serde_json::from_slice(&b).with_context(|| format!("{}: not a witness state file", state_path.display()))?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e).with_context(|| format!("reading {}", state_path.display())),
    };
    let new: TreeHead = serde_json::from_str(&get(base, "/v1/log/head")?).context("the log head is not a signed tree head")?;
    let (key, pinned_now) = match (&state, public_key) {
        (Some(s), Some(k)) if !s.public_key.eq_ignore_ascii_case(k.trim()) => {
            bail!(
                "--public-key differs from the key pinned in {}: refusing (delete the state file only if the log's key really changed)",
                state_path.display()
            )
        }
        (Some(s), _) => (s.public_key.clone(), false),
        (None, Some(k)) => (k.trim().to_ascii_lowercase(), true),
        (None, None) if trust_on_first_use => (new.public_key.clone(), true),
        (None, None) => bail!("no pinned key: give --public-key (from the log operator, out of band) or --trust-on-first-use"),
    };
    // A head under another key is sound only when the log's own rotation
    // entries, each signed by the key in force, lead from the pinned key
    // to it.
    let mut rotated = Vec::new();
    let new_key = if new.public_key.eq_ignore_ascii_case(&key) {
        key.clone()
    } else {
        let r: log::Rotations = serde_json::from_str(&get(base, &format!("/v1/log/rotations?tree_size={}", new.size))?)
            .context("the rotations are not a rotation list")?;
        match log::follow_rotations(&key, &r, &new) {
            Ok(followed) => {
                rotated = followed;
                rotated.last().cloned().unwrap_or_else(|| key.clone())
            }
            Err(w) => return Ok(Outcome::Alarm(format!("BAD SIGNATURE on the head of size {}: {w}", new.size))),
        }
    };
    if let Err(w) = new.verify(&new_key) {
        return Ok(Outcome::Alarm(format!("BAD SIGNATURE on the head of size {}: {w}", new.size)));
    }
    if let Some(old) = &state.as_ref().map(|s| s.head.clone()) {
        if new.size < old.size {
            return Ok(Outcome::Alarm(format!(
                "SHRINK: the log had {} entries (head of {}) and now has {}: entries were removed",
                old.size, old.timestamp, new.size
            )));
        }
        let proof: Vec<String> = if new.size == old.size {
            Vec::new()
        } else {
            let p: ConsistencyProof =
                serde_json::from_str(&get(base, &format!("/v1/log/consistency?first={}&second={}", old.size, new.size))?)
                    .context("the consistency proof is not one")?;
            p.proof
        };
        if let Err(w) = log::verify_consistency_across(old, &key, &new, &new_key, &proof) {
            return Ok(Outcome::Alarm(w));
        }
    }
    save(state_path, &State { public_key: new_key, head: new.clone() })?;
    Ok(Outcome::Ok { head: new, pinned_now, rotated })
}

/// Writes the state atomically (a temporary file, mode 0600, synced, then
/// renamed over the old one), so a crash never leaves half a state.
pub fn save(path: &Path, state: &State) -> anyhow::Result<()> {
    let tmp = path.with_extension("tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts.open(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    f.write_all(&serde_json::to_vec_pretty(state)?)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path).with_context(|| format!("replacing {}", path.display()))?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

/// `GET base + path`: the body of a 200 answer.
fn get(base: &str, path: &str) -> anyhow::Result<String> {
    let rest = base
        .strip_prefix("http://")
        .with_context(|| format!("{base}: only http:// URLs (the heads are signed; fetch https with curl and use verify)"))?;
    let (hostport, prefix) = rest.split_once('/').map_or((rest, ""), |(h, p)| (h, p));
    let hostport = if hostport.contains(':') { hostport.to_string() } else { format!("{hostport}:80") };
    let prefix = prefix.trim_end_matches('/');
    let target = if prefix.is_empty() { path.to_string() } else { format!("/{prefix}{path}") };
    let addr = std::net::ToSocketAddrs::to_socket_addrs(&hostport)?.next().with_context(|| format!("{hostport}: no address"))?;
    let mut s =
        std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(10)).with_context(|| format!("connecting to {hostport}"))?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    s.set_write_timeout(Some(Duration::from_secs(10)))?;
    let host = hostport.rsplit_once(':').map_or(hostport.as_str(), |(h, _)| h);
    write!(s, "GET {target} HTTP/1.0\r\nHost: {host}\r\nAccept: application/json\r\nUser-Agent: fiable-witness\r\n\r\n")?;
    let mut buf = Vec::new();
    // Heads and proofs are small: a bound keeps a hostile server from
    // filling memory.
    s.take(4 << 20).read_to_end(&mut buf).context("reading the answer")?;
    let text = String::from_utf8(buf).context("the answer is not UTF-8")?;
    let (head, body) = text.split_once("\r\n\r\n").context("not an HTTP answer")?;
    let status = head.split_whitespace().nth(1).and_then(|c| c.parse::<u16>().ok()).context("no HTTP status")?;
    if status != 200 {
        bail!("GET {target}: HTTP {status}: {}", body.chars().take(300).collect::<String>());
    }
    Ok(body.to_string())
}
