//! Does this mailbox exist? Asked of the domain's own mail server, the way
//! a sender would learn it, stopping before any message is sent: MX (the
//! resolver of [`crate::mail`]), TCP to port 25, EHLO, STARTTLS when
//! offered, `MAIL FROM:<>`, `RCPT TO:<address>`, QUIT. Never DATA.
//!
//! The answers:
//! - `exists`: the server accepted the recipient, and refused a random
//!   local part at the same domain;
//! - `accept_all`: it accepted the random local part too (a catch-all: the
//!   acceptance says nothing of the mailbox);
//! - `does_not_exist`: a permanent refusal with an enhanced status code of
//!   the addressing class, 5.1.x (RFC 3463: bad mailbox, bad domain…);
//! - `unknown`: everything else — 4xx (greylisting), a refusal that is not
//!   5.1.x (a block, a policy on probes), a dropped connection, a timeout,
//!   no MX, the per-domain limits. The widget then says nothing.
//!
//! The address goes to the domain's mail server: off unless the deployment
//! turns it on (`--mailbox-probe`), and the widget asks only when the
//! form's config does too. Per domain, at most `per_domain` sessions at once
//! and `rate_per_minute` new ones (more answer `unknown` at once, never
//! queue); answers are cached per address with a TTL per kind; one probe
//! never takes longer than `timeout_ms`. Nothing here logs an address.
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fiable_core::{Options, Status};
use serde::Serialize;
use tokio::sync::Semaphore;

use super::client::{Reply, Session, SmtpError};
use crate::mail::MailChecker;

/// Mailbox probe settings: flags or environment.
#[derive(clap::Args, Clone, Debug)]
pub struct ProbeConfig {
    /// Turn on `GET /v1/email/mailbox` (SMTP RCPT probes: the address is
    /// sent to the domain's mail server). Off by default.
    #[arg(id = "mailbox_probe", long = "mailbox-probe", env = "FIABLE_MAILBOX_PROBE")]
    pub enabled: bool,
    /// The port of the mail exchanges (25; another one in tests).
    #[arg(id = "mailbox_probe_port", long = "mailbox-probe-port", env = "FIABLE_MAILBOX_PROBE_PORT", default_value_t = 25)]
    pub port: u16,
    /// The name said in EHLO: this host's public name (a server may refuse
    /// a name that does not resolve back to the probing address).
    #[arg(id = "mailbox_probe_helo", long = "mailbox-probe-helo", env = "FIABLE_MAILBOX_PROBE_HELO", default_value = "localhost")]
    pub helo: String,
    /// Longest time one probe takes, connection and every step included, in
    /// milliseconds; past it the answer is `unknown`.
    #[arg(
        id = "mailbox_probe_timeout_ms",
        long = "mailbox-probe-timeout-ms",
        env = "FIABLE_MAILBOX_PROBE_TIMEOUT_MS",
        default_value_t = 6000
    )]
    pub timeout_ms: u64,
    /// SMTP sessions open at once towards one domain.
    #[arg(
        id = "mailbox_probe_per_domain",
        long = "mailbox-probe-per-domain",
        env = "FIABLE_MAILBOX_PROBE_PER_DOMAIN",
        default_value_t = 2
    )]
    pub per_domain: usize,
    /// New sessions per minute towards one domain (bucket refill; the
    /// bucket holds as many).
    #[arg(id = "mailbox_probe_rate", long = "mailbox-probe-rate", env = "FIABLE_MAILBOX_PROBE_RATE", default_value_t = 20)]
    pub rate_per_minute: u32,
    /// Seconds an `exists` answer is cached.
    #[arg(id = "mailbox_ttl_exists", long = "mailbox-ttl-exists", env = "FIABLE_MAILBOX_TTL_EXISTS", default_value_t = 86_400)]
    pub ttl_exists: u64,
    /// Seconds a `does_not_exist` answer is cached.
    #[arg(id = "mailbox_ttl_not_found", long = "mailbox-ttl-not-found", env = "FIABLE_MAILBOX_TTL_NOT_FOUND", default_value_t = 3_600)]
    pub ttl_not_found: u64,
    /// Seconds an `accept_all` answer is cached (for the whole domain).
    #[arg(id = "mailbox_ttl_accept_all", long = "mailbox-ttl-accept-all", env = "FIABLE_MAILBOX_TTL_ACCEPT_ALL", default_value_t = 86_400)]
    pub ttl_accept_all: u64,
    /// Seconds an `unknown` answer is cached (greylisting passes in minutes).
    #[arg(id = "mailbox_ttl_unknown", long = "mailbox-ttl-unknown", env = "FIABLE_MAILBOX_TTL_UNKNOWN", default_value_t = 300)]
    pub ttl_unknown: u64,
    /// Addresses kept in the cache.
    #[arg(id = "mailbox_cache_size", long = "mailbox-cache-size", env = "FIABLE_MAILBOX_CACHE_SIZE", default_value_t = 10_000)]
    pub cache_size: usize,
}

impl Default for ProbeConfig {
    fn default() -> Self {
        ProbeConfig {
            enabled: false,
            port: 25,
            helo: "localhost".into(),
            timeout_ms: 6000,
            per_domain: 2,
            rate_per_minute: 20,
            ttl_exists: 86_400,
            ttl_not_found: 3_600,
            ttl_accept_all: 86_400,
            ttl_unknown: 300,
            cache_size: 10_000,
        }
    }
}

/// What the mail server said of a mailbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Accepted, and a random local part was refused.
    Exists,
    /// Refused for good with a 5.1.x enhanced code.
    DoesNotExist,
    /// Any recipient at the domain is accepted.
    AcceptAll,
    /// No definite answer (see `reason`).
    Unknown,
}

impl Outcome {
    /// The stable verdict code.
    pub fn code(self) -> &'static str {
        match self {
            Outcome::Exists => "email.mailbox_exists",
            Outcome::DoesNotExist => "email.mailbox_not_found",
            Outcome::AcceptAll => "email.mailbox_accept_all",
            Outcome::Unknown => "email.mailbox_unknown",
        }
    }

    /// Every wire name, in the order of the variants.
    pub const NAMES: [&str; 4] = ["exists", "does_not_exist", "accept_all", "unknown"];

    fn label(self) -> &'static str {
        Self::NAMES[self as usize]
    }
}

/// Why an answer is `unknown` (stable labels).
pub const REASONS: [&str; 11] =
    ["greylisted", "temporary", "refused", "rejected", "dropped", "timeout", "connect", "tls", "no_mx", "domain", "rate_limited"];

/// The answer of `GET /v1/email/mailbox`.
#[derive(Clone, Debug, Serialize)]
pub struct MailboxVerdict {
    /// The normalised domain of the address (the address itself is not echoed).
    pub domain: String,
    /// `exists`, `does_not_exist`, `accept_all` or `unknown`.
    pub result: Outcome,
    /// `email.mailbox_exists`, `email.mailbox_not_found`,
    /// `email.mailbox_accept_all` or `email.mailbox_unknown`.
    pub code: &'static str,
    /// For `unknown`: one of [`REASONS`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    /// The reply that decided, code and enhanced code (`550 5.1.1`), never its text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smtp: Option<String>,
    /// The session went over STARTTLS.
    pub tls: bool,
    /// Answered from the cache.
    pub cached: bool,
}

/// Why the address cannot be probed at all (a 400).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadAddress {
    /// The core's stable code (`email.*`).
    pub code: &'static str,
}

/// The address as the core normalises it, and its domain; the core's code
/// when it is not a valid address.
pub fn normalize(address: &str) -> Result<(String, String), BadAddress> {
    let a = address.trim();
    if a.is_empty() {
        return Err(BadAddress { code: "email.empty" });
    }
    if a.len() > crate::mail::MAX_INPUT {
        return Err(BadAddress { code: "email.too_long" });
    }
    let v = fiable_core::email::check(a, &Options::default());
    if v.status == Status::Invalid {
        return Err(BadAddress { code: v.code });
    }
    let norm = v.normalized.unwrap_or_else(|| a.to_string());
    match norm.rsplit_once('@') {
        Some((local, domain)) if !local.is_empty() && !domain.is_empty() => {
            // The domain part as the domain check wants it (punycode, lower case).
            let d = crate::mail::normalize(domain).map_err(|e| BadAddress { code: e.code })?;
            Ok((format!("{local}@{d}"), d))
        }
        _ => Err(BadAddress { code: "email.missing_at" }),
    }
}

struct Cached {
    verdict: MailboxVerdict,
    expires: Instant,
}

/// Per-domain limits: the sessions open now, the bucket of new ones.
struct Slot {
    sessions: Arc<Semaphore>,
    tokens: f64,
    refilled: Instant,
}

/// Counters for `/metrics`.
#[derive(Default)]
struct Stats {
    cache_hits: AtomicU64,
    sessions: AtomicU64,
    outcomes: Mutex<HashMap<&'static str, u64>>,
}

/// The mailbox prober: its configuration, cache, per-domain limits.
pub struct MailboxProbe {
    config: ProbeConfig,
    cache: Mutex<HashMap<String, Cached>>,
    /// Domains found to accept anything, until when.
    accept_all: Mutex<HashMap<String, Instant>>,
    slots: Mutex<HashMap<String, Slot>>,
    stats: Stats,
}

/// The most MX hosts tried for one probe (the next only when one could not
/// be reached at all).
const MAX_HOSTS: usize = 2;

impl MailboxProbe {
    /// A prober with this configuration.
    pub fn new(config: ProbeConfig) -> Self {
        MailboxProbe {
            config,
            cache: Mutex::new(HashMap::new()),
            accept_all: Mutex::new(HashMap::new()),
            slots: Mutex::new(HashMap::new()),
            stats: Stats::default(),
        }
    }

    /// Turned on by the deployment.
    pub fn enabled(&self) -> bool {
        self.config.enabled
    }

    /// SMTP sessions opened so far (cache hits and refusals by the limits open none).
    pub fn sessions(&self) -> u64 {
        self.stats.sessions.load(Ordering::Relaxed)
    }

    /// Probes a normalised address (see [`normalize`]) whose domain is `domain`.
    pub async fn check(&self, mail: &MailChecker, address: &str, domain: &str) -> MailboxVerdict {
        let key = address.to_lowercase();
        if let Some(v) = self.cached(&key, domain) {
            self.stats.cache_hits.fetch_add(1, Ordering::Relaxed);
            return v;
        }
        let budget = Duration::from_millis(self.config.timeout_ms.max(1));
        let started = Instant::now();
        let verdict = match tokio::time::timeout(budget, self.run(mail, address, domain, started + budget)).await {
            Ok(v) => v,
            Err(_) => unknown(domain, "timeout", None, false),
        };
        if let Ok(mut m) = self.stats.outcomes.lock() {
            *m.entry(verdict.result.label()).or_default() += 1;
        }
        // The outcome only: the address is the person's.
        tracing::debug!(
            result = verdict.result.label(),
            reason = verdict.reason,
            ms = started.elapsed().as_millis() as u64,
            "mailbox probed"
        );
        if verdict.reason != Some("rate_limited") {
            self.remember(&key, domain, &verdict);
        }
        verdict
    }

    fn cached(&self, key: &str, domain: &str) -> Option<MailboxVerdict> {
        let now = Instant::now();
        if let Ok(m) = self.accept_all.lock() {
            if m.get(domain).is_some_and(|t| *t > now) {
                let mut v = verdict(domain, Outcome::AcceptAll, None, None, false);
                v.cached = true;
                return Some(v);
            }
        }
        let m = self.cache.lock().ok()?;
        let e = m.get(key).filter(|e| e.expires > now)?;
        let mut v = e.verdict.clone();
        v.cached = true;
        Some(v)
    }

    fn remember(&self, key: &str, domain: &str, v: &MailboxVerdict) {
        let ttl = Duration::from_secs(match v.result {
            Outcome::Exists => self.config.ttl_exists,
            Outcome::DoesNotExist => self.config.ttl_not_found,
            Outcome::AcceptAll => self.config.ttl_accept_all,
            Outcome::Unknown => self.config.ttl_unknown,
        });
        if ttl.is_zero() || self.config.cache_size == 0 {
            return;
        }
        let now = Instant::now();
        if v.result == Outcome::AcceptAll {
            if let Ok(mut m) = self.accept_all.lock() {
                bounded_insert(&mut m, self.config.cache_size, domain.to_string(), now + ttl, |t| *t);
            }
            return;
        }
        if let Ok(mut m) = self.cache.lock() {
            bounded_insert(&mut m, self.config.cache_size, key.to_string(), Cached { verdict: v.clone(), expires: now + ttl }, |e| {
                e.expires
            });
        }
    }

    /// A turn for a new session towards `domain`: `None` when the domain's
    /// bucket is empty (the caller answers `unknown` at once).
    fn admit(&self, domain: &str) -> Option<Arc<Semaphore>> {
        let rate = f64::from(self.config.rate_per_minute.max(1));
        let mut slots = self.slots.lock().ok()?;
        let now = Instant::now();
        if slots.len() >= self.config.cache_size.max(64) && !slots.contains_key(domain) {
            // Forget the domains whose bucket is full again and that have no session open.
            slots.retain(|_, s| {
                let full = s.tokens + now.duration_since(s.refilled).as_secs_f64() * rate / 60.0 >= rate;
                !full || s.sessions.available_permits() < self.config.per_domain.max(1)
            });
        }
        let slot = slots.entry(domain.to_string()).or_insert_with(|| Slot {
            sessions: Arc::new(Semaphore::new(self.config.per_domain.max(1))),
            tokens: rate,
            refilled: now,
        });
        slot.tokens = (slot.tokens + now.duration_since(slot.refilled).as_secs_f64() * rate / 60.0).min(rate);
        slot.refilled = now;
        if slot.tokens < 1.0 {
            return None;
        }
        slot.tokens -= 1.0;
        Some(slot.sessions.clone())
    }

    async fn run(&self, mail: &MailChecker, address: &str, domain: &str, deadline: Instant) -> MailboxVerdict {
        if crate::mail::special_use(domain) {
            return unknown(domain, "domain", None, false);
        }
        let d = mail.check(domain).await;
        if d.status != "valid" {
            return unknown(domain, if d.status == "invalid" { "domain" } else { "no_mx" }, None, false);
        }
        // The implicit MX (RFC 5321 §5.1): the domain itself.
        let hosts = if d.mx.is_empty() { vec![domain.to_string()] } else { d.mx };
        let Some(sessions) = self.admit(domain) else {
            return unknown(domain, "rate_limited", None, false);
        };
        // Waits for a turn within the probe's budget (the caller's timeout).
        let Ok(_turn) = sessions.acquire_owned().await else {
            return unknown(domain, "rate_limited", None, false);
        };
        let mut last = unknown(domain, "no_mx", None, false);
        for host in hosts.iter().take(MAX_HOSTS) {
            let addrs = mail.host_addresses(host).await;
            for ip in addrs.into_iter().take(2) {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return unknown(domain, "timeout", None, false);
                }
                self.stats.sessions.fetch_add(1, Ordering::Relaxed);
                let v = self.session(SocketAddr::new(ip, self.config.port), host, address, domain, left).await;
                // Only a server that could not be reached lets the next one be tried.
                if v.reason != Some("connect") {
                    return v;
                }
                last = v;
            }
        }
        last
    }

    /// One SMTP session with one exchange.
    async fn session(&self, addr: SocketAddr, host: &str, address: &str, domain: &str, left: Duration) -> MailboxVerdict {
        let mut s = match Session::open(addr, host, &self.config.helo, true, left).await {
            Ok(s) => s,
            Err(e) => return failed(domain, &e, false, true),
        };
        let tls = s.tls();
        match s.command("MAIL FROM:<>").await {
            Ok(r) if r.positive() => {}
            Ok(r) => return answer(domain, &r, tls),
            Err(e) => return failed(domain, &e, tls, false),
        }
        let first = match s.command(&format!("RCPT TO:<{address}>")).await {
            Ok(r) => r,
            Err(e) => return failed(domain, &e, tls, false),
        };
        if !first.positive() {
            s.quit().await;
            return answer(domain, &first, tls);
        }
        // Accepted: would a mailbox nobody has be accepted too?
        let second = s.command(&format!("RCPT TO:<{}@{domain}>", random_local_part())).await;
        s.quit().await;
        let outcome = match second {
            Ok(r) if r.positive() => Outcome::AcceptAll,
            _ => Outcome::Exists,
        };
        verdict(domain, outcome, None, Some(&first), tls)
    }

    /// Prometheus text for the probe's counters.
    pub fn render_metrics(&self) -> String {
        let mut s = String::new();
        s += "# HELP fiable_mailbox_probes_total Mailbox probes by result (cache hits excluded).\n";
        s += "# TYPE fiable_mailbox_probes_total counter\n";
        if let Ok(m) = self.stats.outcomes.lock() {
            for k in Outcome::NAMES {
                s += &format!("fiable_mailbox_probes_total{{result=\"{k}\"}} {}\n", m.get(k).copied().unwrap_or(0));
            }
        }
        s += "# HELP fiable_mailbox_cache_hits_total Mailbox checks answered from the cache.\n";
        s += "# TYPE fiable_mailbox_cache_hits_total counter\n";
        s += &format!("fiable_mailbox_cache_hits_total {}\n", self.stats.cache_hits.load(Ordering::Relaxed));
        s += "# HELP fiable_mailbox_sessions_total SMTP sessions opened by the mailbox probe.\n";
        s += "# TYPE fiable_mailbox_sessions_total counter\n";
        s += &format!("fiable_mailbox_sessions_total {}\n", self.sessions());
        s
    }
}

/// Inserts, first dropping expired entries, then the tenth that expires
/// first, when the map is full.
fn bounded_insert<V>(m: &mut HashMap<String, V>, cap: usize, key: String, value: V, expires: impl Fn(&V) -> Instant) {
    let now = Instant::now();
    if m.len() >= cap && !m.contains_key(&key) {
        m.retain(|_, v| expires(v) > now);
        if m.len() >= cap {
            let mut at: Vec<Instant> = m.values().map(&expires).collect();
            let k = (cap / 10).min(at.len().saturating_sub(1));
            if !at.is_empty() {
                let cut = *at.select_nth_unstable(k).1;
                m.retain(|_, v| expires(v) > cut);
            }
        }
    }
    m.insert(key, value);
}

/// A local part no one has: 20 random hex digits (falls back to the clock
/// if the system has no randomness, which only makes a collision likelier).
fn random_local_part() -> String {
    let mut b = [0u8; 10];
    if getrandom::getrandom(&mut b).is_err() {
        let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        b.copy_from_slice(&t.to_le_bytes()[..10]);
    }
    format!("fiable-probe-{}", fiable_consent::hex(&b))
}

fn verdict(domain: &str, result: Outcome, reason: Option<&'static str>, reply: Option<&Reply>, tls: bool) -> MailboxVerdict {
    MailboxVerdict {
        domain: domain.to_string(),
        result,
        code: result.code(),
        reason,
        smtp: reply.map(|r| match r.enhanced() {
            Some(e) => format!("{} {e}", r.code),
            None => r.code.to_string(),
        }),
        tls,
        cached: false,
    }
}

fn unknown(domain: &str, reason: &'static str, reply: Option<&Reply>, tls: bool) -> MailboxVerdict {
    verdict(domain, Outcome::Unknown, Some(reason), reply, tls)
}

/// The answer a refusal gives: 5.1.x is "no such mailbox"; another 5xx a
/// refusal that says nothing of the mailbox; 4xx a "later".
fn answer(domain: &str, r: &Reply, tls: bool) -> MailboxVerdict {
    if r.permanent() && r.enhanced().is_some_and(|e| e.starts_with("5.1.")) {
        return verdict(domain, Outcome::DoesNotExist, None, Some(r), tls);
    }
    let reason = match r.code {
        450 | 451 => "greylisted",
        421 => "dropped",
        c if (400..500).contains(&c) => "temporary",
        _ => "rejected",
    };
    unknown(domain, reason, Some(r), tls)
}

/// The answer a failed session gives (`opening`: before EHLO was through).
fn failed(domain: &str, e: &SmtpError, tls: bool, opening: bool) -> MailboxVerdict {
    match e {
        SmtpError::Refused(r) if opening && r.code == 220 => unknown(domain, "refused", Some(r), tls),
        SmtpError::Refused(r) if opening => unknown(domain, if r.transient() { "temporary" } else { "refused" }, Some(r), tls),
        SmtpError::Refused(r) => answer(domain, r, tls),
        SmtpError::Timeout => unknown(domain, "timeout", None, tls),
        SmtpError::Closed | SmtpError::Protocol(_) => unknown(domain, "dropped", None, tls),
        SmtpError::Tls(_) => unknown(domain, "tls", None, tls),
        SmtpError::Io(_) if opening => unknown(domain, "connect", None, tls),
        SmtpError::Io(_) => unknown(domain, "dropped", None, tls),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(code: u16, text: &str) -> Reply {
        Reply { code, lines: vec![text.into()] }
    }

    #[test]
    fn only_addressing_refusals_mean_the_mailbox_does_not_exist() {
        assert_eq!(answer("d.fr", &r(550, "5.1.1 no such user"), false).result, Outcome::DoesNotExist);
        assert_eq!(answer("d.fr", &r(553, "5.1.3 bad address syntax"), false).result, Outcome::DoesNotExist);
        let blocked = answer("d.fr", &r(550, "5.7.1 blocked"), false);
        assert_eq!((blocked.result, blocked.reason), (Outcome::Unknown, Some("rejected")));
        let bare = answer("d.fr", &r(550, "No such user"), false);
        assert_eq!((bare.result, bare.reason), (Outcome::Unknown, Some("rejected")));
        let grey = answer("d.fr", &r(450, "4.7.1 greylisted"), false);
        assert_eq!((grey.result, grey.reason, grey.smtp.as_deref()), (Outcome::Unknown, Some("greylisted"), Some("450 4.7.1")));
    }

    #[test]
    fn addresses_are_normalised_by_the_core() {
        assert_eq!(normalize(" Jean@Gmail.COM ").unwrap().1, "gmail.com");
        assert!(normalize("").is_err());
        assert!(normalize("jean@").is_err());
        assert!(normalize("not an address").is_err());
        assert!(normalize(&"a".repeat(400)).is_err());
    }

    #[test]
    fn random_local_parts_differ() {
        assert_ne!(random_local_part(), random_local_part());
    }

    #[test]
    fn the_domain_bucket_empties_and_refills() {
        let p = MailboxProbe::new(ProbeConfig { rate_per_minute: 2, ..ProbeConfig::default() });
        assert!(p.admit("d.fr").is_some());
        assert!(p.admit("d.fr").is_some());
        assert!(p.admit("d.fr").is_none());
        assert!(p.admit("other.fr").is_some());
    }
}
