//! Does a mail domain receive mail? DNS only, behind a TTL cache with
//! single-flight: concurrent questions for one domain share one lookup.
//!
//! The rules are RFC 5321 §5.1 and RFC 7505:
//! - MX records → the domain accepts mail (`mx` lists the exchanges);
//! - no MX but an A or AAAA record → accepts mail (the implicit MX);
//! - a null MX (exchange `.`), or neither MX nor address → no mail;
//! - NXDOMAIN → the domain does not exist;
//! - SERVFAIL, REFUSED, timeouts… → unknown: the widget keeps its local
//!   verdict and never blocks the form.
//!
//! A negative answer (NXDOMAIN, no mail) is believed only when the core's
//! rule says so ([`fiable_core::email::known::doubt_negative_answer`]): the
//! resolver has proven itself with its canaries ([`crate::dns_health`]),
//! the domain is not one of fiable's known providers, and it did not accept
//! mail a short while ago. Otherwise the answer is `unknown`. NXDOMAIN is
//! cached only as long as its SOA says (RFC 2308), not at all without one.
//!
//! The domain is checked and normalised by `fiable-core` before anything
//! is asked ([`normalize`]); nothing here logs a domain.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use fiable_core::email::known::{self, Doubt};
use fiable_core::email::{self, DomainList};
use fiable_core::{Options, Status};
use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolveHosts, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::{Name, RData, RecordType};
use hickory_resolver::{Resolver, TokioResolver};
use serde::Serialize;
use tokio::sync::OnceCell;

use crate::dns_health::{CanaryResult, DnsHealth, Trust};

/// The full disposable list the core ships (146 k domains).
const DISPOSABLE_FULL: &str = include_str!("../../core/data/disposable-full.txt");
/// The full free-mailbox list the core ships.
const FREE_FULL: &str = include_str!("../../core/data/free-full.txt");

/// The full lists, parsed once per process.
fn lists() -> &'static (DomainList, DomainList) {
    static LISTS: OnceLock<(DomainList, DomainList)> = OnceLock::new();
    LISTS.get_or_init(|| (DomainList::parse(DISPOSABLE_FULL), DomainList::parse(FREE_FULL)))
}

/// The longest `d` parameter looked at (a whole address is 254 bytes).
pub const MAX_INPUT: usize = 320;

/// DNS settings: flags or environment.
#[derive(clap::Args, Clone, Debug)]
pub struct DnsConfig {
    /// Upstream resolvers (`IP:PORT`, comma-separated). Default: the
    /// system configuration (`/etc/resolv.conf`).
    #[arg(long = "dns-upstream", env = "FIABLE_DNS_UPSTREAM", value_delimiter = ',')]
    pub upstream: Vec<SocketAddr>,
    /// Timeout of one DNS query, in milliseconds.
    #[arg(long = "dns-timeout-ms", env = "FIABLE_DNS_TIMEOUT_MS", default_value_t = 1500)]
    pub timeout_ms: u64,
    /// Retries of a query that failed (0: one try only).
    #[arg(long = "dns-attempts", env = "FIABLE_DNS_ATTEMPTS", default_value_t = 1)]
    pub attempts: usize,
    /// Domains kept in the cache.
    #[arg(long = "dns-cache-size", env = "FIABLE_DNS_CACHE_SIZE", default_value_t = 10_000)]
    pub cache_size: usize,
    /// Shortest time an answer is cached, in seconds (TTLs below are raised).
    #[arg(long = "dns-min-ttl", env = "FIABLE_DNS_MIN_TTL", default_value_t = 30)]
    pub min_ttl: u64,
    /// Longest time an answer is cached, in seconds (TTLs above are lowered).
    #[arg(long = "dns-max-ttl", env = "FIABLE_DNS_MAX_TTL", default_value_t = 86_400)]
    pub max_ttl: u64,
    /// Canaries: names whose MX must resolve for the resolver to be
    /// believed (comma-separated; empty: trust the resolver unprobed).
    /// While none resolves every mail-domain answer is `unknown`.
    #[arg(long = "dns-canaries", env = "FIABLE_DNS_CANARIES", value_delimiter = ',', default_values_t = default_canaries())]
    pub canaries: Vec<String>,
    /// Seconds between two canary probes.
    #[arg(long = "dns-canary-interval", env = "FIABLE_DNS_CANARY_INTERVAL", default_value_t = 30)]
    pub canary_interval_secs: u64,
    /// NXDOMAIN answers within 10 seconds that trigger a canary probe at
    /// once (0: only the periodic probes).
    #[arg(long = "dns-canary-burst", env = "FIABLE_DNS_CANARY_BURST", default_value_t = 3)]
    pub canary_burst: usize,
    /// Seconds during which a domain that accepted mail is not believed to
    /// have vanished: a negative answer for it is `unknown`.
    #[arg(long = "dns-recent-secs", env = "FIABLE_DNS_RECENT_SECS", default_value_t = 86_400)]
    pub recent_secs: u64,
}

/// The default canaries: the MX of the big mail providers French forms see
/// most (one answering is enough).
pub fn default_canaries() -> Vec<String> {
    ["gmail.com", "outlook.com", "yahoo.com", "orange.fr"].map(String::from).to_vec()
}

impl Default for DnsConfig {
    fn default() -> Self {
        DnsConfig {
            upstream: vec![],
            timeout_ms: 1500,
            attempts: 1,
            cache_size: 10_000,
            min_ttl: 30,
            max_ttl: 86_400,
            canaries: default_canaries(),
            canary_interval_secs: 30,
            canary_burst: 3,
            recent_secs: 86_400,
        }
    }
}

/// Why a domain is refused before any DNS query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadDomain {
    /// The core's stable code, e.g. `email.invalid_domain`, `email.unknown_tld`.
    pub code: &'static str,
}

/// The normalised (lower-case, punycode) domain of `d`: a bare domain, or
/// a whole address of which only the domain is used. The core decides.
pub fn normalize(d: &str) -> Result<String, BadDomain> {
    let d = d.trim();
    if d.is_empty() {
        return Err(BadDomain { code: "email.empty_domain" });
    }
    if d.len() > MAX_INPUT {
        return Err(BadDomain { code: "email.too_long" });
    }
    let domain = d.rsplit_once('@').map_or(d, |(_, dom)| dom);
    if let Some(ascii) = email::domain_of(&format!("@{domain}")) {
        return Ok(ascii);
    }
    // Why not: the core's own code for the same domain in an address.
    let v = email::check(&format!("postmaster@{domain}"), &Options::default());
    Err(BadDomain { code: if v.status == Status::Invalid { v.code } else { "email.unknown_tld" } })
}

/// Special-use and internal names (RFC 6761, 6762, 7686, 8375, 9476; the
/// ICANN-reserved `.internal`; names never delegated because of collisions):
/// asked upstream they reach, at best, nothing, at worst a private resolver's
/// view of an internal network. Refused without a DNS query.
const SPECIAL_USE: &[&str] = &[
    "arpa",
    "local",
    "localhost",
    "invalid",
    "test",
    "example",
    "onion",
    "internal",
    "alt",
    "home",
    "corp",
    "mail",
    "lan",
    "intranet",
    "private",
];

/// Whether `domain` (normalised) is, or is under, a special-use name, or
/// one of RFC 2606's `example.com`, `example.net`, `example.org`.
pub fn special_use(domain: &str) -> bool {
    let d = domain.trim_end_matches('.');
    let tld = d.rsplit('.').next().unwrap_or(d);
    SPECIAL_USE.contains(&tld) || ["example.com", "example.net", "example.org"].iter().any(|e| d == *e || d.ends_with(&format!(".{e}")))
}

/// The most DNS resolutions in flight at once; more wait their turn (the
/// request timeout bounds the wait).
const MAX_CONCURRENT_LOOKUPS: usize = 64;

/// What DNS says about a domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// MX records, or the implicit MX (an address record).
    AcceptsMail {
        /// Exchanges, most preferred first, without the final dot; empty
        /// for the implicit MX.
        mx: Vec<String>,
    },
    /// Null MX (RFC 7505), or neither MX nor address record.
    NoMail,
    /// NXDOMAIN.
    NotFound,
    /// The resolver failed (SERVFAIL, REFUSED, timeout…).
    Unknown,
}

impl Outcome {
    /// `valid`, `invalid` or `unknown`.
    pub fn status(&self) -> &'static str {
        match self {
            Outcome::AcceptsMail { .. } => "valid",
            Outcome::NoMail | Outcome::NotFound => "invalid",
            Outcome::Unknown => "unknown",
        }
    }

    /// The stable verdict code.
    pub fn code(&self) -> &'static str {
        match self {
            Outcome::AcceptsMail { .. } => "email.domain_accepts_mail",
            Outcome::NoMail => "email.domain_no_mail",
            Outcome::NotFound => "email.domain_not_found",
            Outcome::Unknown => "email.domain_unknown",
        }
    }

    fn label(&self) -> &'static str {
        match self {
            Outcome::AcceptsMail { .. } => "accepts_mail",
            Outcome::NoMail => "no_mail",
            Outcome::NotFound => "not_found",
            Outcome::Unknown => "unknown",
        }
    }
}

/// The answer of `GET /v1/email/domain`.
#[derive(Debug, Clone, Serialize)]
pub struct DomainVerdict {
    /// The normalised (punycode) domain.
    pub domain: String,
    /// `valid`, `invalid` or `unknown`.
    pub status: &'static str,
    /// `email.domain_accepts_mail`, `email.domain_no_mail`,
    /// `email.domain_not_found` or `email.domain_unknown`.
    pub code: &'static str,
    /// MX exchanges, most preferred first (empty for the implicit MX).
    pub mx: Vec<String>,
    /// True when the domain has no MX but an address record (RFC 5321).
    pub implicit_mx: bool,
    /// The domain (or a parent) is in the full disposable list.
    pub disposable: bool,
    /// The domain is a free mailbox provider (full list).
    pub free: bool,
    /// The answer came from the cache.
    pub cached: bool,
}

/// One resolved answer and how long it may be kept.
#[derive(Debug, Clone)]
struct Answer {
    outcome: Outcome,
    ttl: Option<Duration>,
}

struct Entry {
    answer: Arc<Answer>,
    expires: Instant,
}

#[derive(Default)]
struct State {
    cache: HashMap<String, Entry>,
    inflight: HashMap<String, Arc<OnceCell<Arc<Answer>>>>,
}

/// Counters for `/metrics`.
#[derive(Default)]
struct Stats {
    cache_hits: AtomicU64,
    cache_misses: AtomicU64,
    shared: AtomicU64,
    /// Outcomes of resolutions (not of cache hits), by [`Outcome::label`].
    outcomes: Mutex<HashMap<&'static str, u64>>,
    /// Upstream queries by (type, result).
    queries: Mutex<HashMap<(&'static str, &'static str), u64>>,
    resolutions: AtomicU64,
}

/// The mail-domain checker: lists, resolver, cache, counters, and the
/// resolver's health (its canaries).
pub struct MailChecker {
    /// None when no resolver could be built: every question then fails (`unknown`).
    resolver: Option<TokioResolver>,
    config: DnsConfig,
    lists: &'static (DomainList, DomainList),
    state: Mutex<State>,
    stats: Stats,
    health: DnsHealth,
    /// One canary probe at a time.
    probing: tokio::sync::Mutex<()>,
    /// When each domain last accepted mail (a later negative answer for it is doubted).
    recent: Mutex<HashMap<String, Instant>>,
    /// Turns of [`MAX_CONCURRENT_LOOKUPS`].
    lookups: tokio::sync::Semaphore,
}

/// Held by each caller waiting on a lookup: when the last one leaves
/// without an answer (its client disconnected, the future was dropped), the
/// in-flight entry goes too, instead of staying for ever.
struct LeaveInFlight<'a> {
    checker: &'a MailChecker,
    domain: &'a str,
    cell: Arc<OnceCell<Arc<Answer>>>,
}

impl Drop for LeaveInFlight<'_> {
    fn drop(&mut self) {
        let Ok(mut st) = self.checker.state.lock() else {
            return;
        };
        // The map's clone and ours: nobody else waits (waiters clone under this lock).
        let last = st.inflight.get(self.domain).is_some_and(|c| Arc::ptr_eq(c, &self.cell) && Arc::strong_count(&self.cell) <= 2);
        if last {
            st.inflight.remove(self.domain);
        }
    }
}

impl MailChecker {
    /// Loads the embedded lists and builds the resolver. A system resolver
    /// configuration that cannot be read leaves no upstream (every answer
    /// is then `unknown`) and says so in the log.
    pub fn new(config: DnsConfig) -> Self {
        let provider = TokioRuntimeProvider::default();
        let mut builder = if config.upstream.is_empty() {
            match Resolver::builder(provider.clone()) {
                Ok(b) => b,
                Err(e) => {
                    tracing::warn!(error = %e, "no system DNS configuration: mail domain checks answer `unknown`");
                    Resolver::builder_with_config(ResolverConfig::from_name_servers(vec![]), provider)
                }
            }
        } else {
            let servers = config
                .upstream
                .iter()
                .map(|a| {
                    let conn = |mut c: ConnectionConfig| {
                        c.port = a.port();
                        c
                    };
                    NameServerConfig::new(a.ip(), true, vec![conn(ConnectionConfig::udp()), conn(ConnectionConfig::tcp())])
                })
                .collect();
            Resolver::builder_with_config(ResolverConfig::from_name_servers(servers), provider)
        };
        let o = builder.options_mut();
        o.timeout = Duration::from_millis(config.timeout_ms.max(1));
        o.attempts = config.attempts;
        // Our cache decides (TTL bounds, negative answers, single-flight).
        o.cache_size = 0;
        o.use_hosts_file = ResolveHosts::Never;
        o.ndots = 0;
        o.num_concurrent_reqs = 1;
        let resolver =
            builder.build().inspect_err(|e| tracing::warn!(error = %e, "DNS resolver unusable: mail domain checks answer `unknown`")).ok();
        let canaries: Vec<String> =
            config.canaries.iter().map(|c| c.trim().trim_end_matches('.').to_ascii_lowercase()).filter(|c| !c.is_empty()).collect();
        let health = DnsHealth::new(canaries, Duration::from_secs(config.canary_interval_secs.max(1)), config.canary_burst);
        MailChecker {
            resolver,
            config,
            lists: lists(),
            state: Mutex::new(State::default()),
            stats: Stats::default(),
            lookups: tokio::sync::Semaphore::new(MAX_CONCURRENT_LOOKUPS),
            health,
            probing: tokio::sync::Mutex::new(()),
            recent: Mutex::new(HashMap::new()),
        }
    }

    /// The resolver's health (canaries).
    pub fn health(&self) -> &DnsHealth {
        &self.health
    }

    /// Asks every canary now (one probe at a time) and records the verdict.
    pub async fn probe(&self) {
        let _one = self.probing.lock().await;
        self.probe_locked().await;
    }

    async fn probe_locked(&self) {
        let mut tasks = tokio::task::JoinSet::new();
        for (i, c) in self.health.canaries().iter().enumerate() {
            let resolver = self.resolver.clone();
            let name = Name::from_ascii(format!("{c}."));
            tasks.spawn(async move {
                let result = match name {
                    Ok(name) => match ask(&resolver, &name, RecordType::MX).await {
                        (Reply::Records(r, _), _) if r.iter().any(|d| matches!(d, RData::MX(m) if !m.exchange.is_root())) => "answer",
                        (Reply::Records(..), _) => "no_mx",
                        (_, kind) => kind,
                    },
                    Err(_) => "bad_name",
                };
                (i, result)
            });
        }
        let mut results: Vec<CanaryResult> =
            self.health.canaries().iter().map(|n| CanaryResult { name: n.clone(), result: "error" }).collect();
        while let Some(done) = tasks.join_next().await {
            if let Ok((i, result)) = done {
                results[i].result = result;
            }
        }
        self.health.record(results);
    }

    /// Probes first when no probe ever finished (every caller waits for
    /// that one), or when the last one is stale (one caller probes, the
    /// others go on with the verdict they have).
    async fn ensure_probed(&self) {
        if !self.health.probe_due() {
            return;
        }
        if self.health.trust() == Trust::Checking {
            let _one = self.probing.lock().await;
            if self.health.probe_due() {
                self.probe_locked().await;
            }
        } else if let Ok(_one) = self.probing.try_lock() {
            if self.health.probe_due() {
                self.probe_locked().await;
            }
        }
    }

    /// Probes the canaries every interval, for ever (spawned by the server,
    /// so `/healthz` is current without traffic).
    pub async fn watch_canaries(self: Arc<Self>) {
        if self.health.canaries().is_empty() {
            return;
        }
        loop {
            if self.health.probe_due() {
                self.probe().await;
            }
            tokio::time::sleep(self.health.interval().min(Duration::from_secs(5))).await;
        }
    }

    /// Starts a probe in the background when one is due (from `/healthz`).
    pub fn probe_if_due(self: &Arc<Self>) {
        if self.health.probe_due() && tokio::runtime::Handle::try_current().is_ok() {
            let me = self.clone();
            tokio::spawn(async move { me.ensure_probed().await });
        }
    }

    /// True when the domain accepted mail within the suspicion window.
    fn resolved_recently(&self, domain: &str) -> bool {
        let window = Duration::from_secs(self.config.recent_secs);
        self.recent.lock().ok().and_then(|m| m.get(domain).map(|t| t.elapsed() < window)).unwrap_or(false)
    }

    fn remember_accepts_mail(&self, domain: &str) {
        let cap = self.config.cache_size;
        let Ok(mut m) = self.recent.lock() else {
            return;
        };
        if cap == 0 || self.config.recent_secs == 0 {
            return;
        }
        if m.len() >= cap && !m.contains_key(domain) {
            let window = Duration::from_secs(self.config.recent_secs);
            m.retain(|_, t| t.elapsed() < window);
            if m.len() >= cap {
                // Still full: forget the oldest tenth.
                let mut at: Vec<Instant> = m.values().copied().collect();
                let k = (cap / 10).min(at.len() - 1);
                let (_, cut, _) = at.select_nth_unstable(k);
                let cut = *cut;
                m.retain(|_, t| *t > cut);
            }
        }
        m.insert(domain.to_string(), Instant::now());
    }

    /// The outcome shown: a negative one the core's rule doubts is `unknown`.
    fn judge(&self, domain: &str, outcome: &Outcome) -> Outcome {
        if !matches!(outcome, Outcome::NotFound | Outcome::NoMail) {
            return outcome.clone();
        }
        let proven = self.health.trust() == Trust::Proven;
        match known::doubt_negative_answer(domain, proven, self.resolved_recently(domain)) {
            None => outcome.clone(),
            Some(doubt) => {
                self.health.count_doubt(doubt.label());
                Outcome::Unknown
            }
        }
    }

    /// Number of resolutions started (each asks MX, then maybe A and AAAA).
    pub fn resolutions(&self) -> u64 {
        self.stats.resolutions.load(Ordering::Relaxed)
    }

    /// Lookups in flight now (each shared by the callers waiting for it).
    pub fn in_flight(&self) -> usize {
        self.state.lock().map(|s| s.inflight.len()).unwrap_or(0)
    }

    /// Checks a normalised domain (see [`normalize`]).
    pub async fn check(&self, domain: &str) -> DomainVerdict {
        if special_use(domain) {
            return DomainVerdict {
                domain: domain.to_string(),
                status: "invalid",
                code: "email.domain_special_use",
                mx: vec![],
                implicit_mx: false,
                disposable: false,
                free: false,
                cached: false,
            };
        }
        self.ensure_probed().await;
        let (outcome, cached) = if matches!(self.health.trust(), Trust::Degraded(_)) {
            // A resolver that fails its canaries is not asked at all: its
            // answers cannot be told from its lies, and a dead one would
            // make every person wait for its timeout.
            self.health.count_doubt(Doubt::ResolverUnproven.label());
            (Outcome::Unknown, false)
        } else {
            let (answer, cached) = self.answer(domain).await;
            (self.judge(domain, &answer.outcome), cached)
        };
        let mx = match &outcome {
            Outcome::AcceptsMail { mx } => mx.clone(),
            _ => vec![],
        };
        DomainVerdict {
            domain: domain.to_string(),
            status: outcome.status(),
            code: outcome.code(),
            implicit_mx: matches!(&outcome, Outcome::AcceptsMail { mx } if mx.is_empty()),
            mx,
            disposable: email::is_disposable_in(&self.lists.0, domain),
            free: email::is_free_in(&self.lists.1, domain),
            cached,
        }
    }

    /// The cached answer, or the one a lookup in flight will give, or a new lookup.
    async fn answer(&self, domain: &str) -> (Arc<Answer>, bool) {
        let cell = {
            let Ok(mut st) = self.state.lock() else {
                return (Arc::new(Answer { outcome: Outcome::Unknown, ttl: None }), false);
            };
            let now = Instant::now();
            match st.cache.get(domain) {
                Some(e) if e.expires > now => {
                    self.stats.cache_hits.fetch_add(1, Ordering::Relaxed);
                    return (e.answer.clone(), true);
                }
                Some(_) => {
                    st.cache.remove(domain);
                }
                None => {}
            }
            match st.inflight.get(domain) {
                Some(c) => {
                    self.stats.shared.fetch_add(1, Ordering::Relaxed);
                    c.clone()
                }
                None => {
                    self.stats.cache_misses.fetch_add(1, Ordering::Relaxed);
                    let c = Arc::new(OnceCell::new());
                    st.inflight.insert(domain.to_string(), c.clone());
                    c
                }
            }
        };
        // One caller runs the lookup; the others wait for it. Should that
        // caller go away (client disconnected), a waiter takes over; should
        // they all go, the last one removes the entry.
        let leaving = LeaveInFlight { checker: self, domain, cell };
        let answer = leaving
            .cell
            .get_or_init(|| async {
                let answer = Arc::new(self.resolve(domain).await);
                if let Ok(mut st) = self.state.lock() {
                    if let Some(ttl) = answer.ttl {
                        self.insert(&mut st, domain, answer.clone(), ttl);
                    }
                    st.inflight.remove(domain);
                }
                answer
            })
            .await;
        (answer.clone(), false)
    }

    fn insert(&self, st: &mut State, domain: &str, answer: Arc<Answer>, ttl: Duration) {
        let cap = self.config.cache_size;
        if cap == 0 {
            return;
        }
        let now = Instant::now();
        if st.cache.len() >= cap {
            st.cache.retain(|_, e| e.expires > now);
        }
        if st.cache.len() >= cap {
            // Still full: drop the tenth that expires first.
            let mut exp: Vec<Instant> = st.cache.values().map(|e| e.expires).collect();
            let k = (cap / 10).min(exp.len() - 1);
            let (_, cut, _) = exp.select_nth_unstable(k);
            let cut = *cut;
            st.cache.retain(|_, e| e.expires > cut);
        }
        st.cache.insert(domain.to_string(), Entry { answer, expires: now + ttl });
    }

    /// How long an NXDOMAIN is kept: its negative TTL (the SOA minimum,
    /// RFC 2308) up to the configured maximum, never raised to the minimum;
    /// without an SOA, not kept at all.
    fn negative(&self, ttl: Option<u32>) -> Option<Duration> {
        ttl.filter(|t| *t > 0).map(|t| Duration::from_secs(u64::from(t).min(self.config.max_ttl.max(1))))
    }

    /// Clamps a DNS TTL (seconds) to the configured bounds.
    fn bound(&self, ttl: Option<u32>) -> Duration {
        let lo = self.config.min_ttl;
        let hi = self.config.max_ttl.max(lo);
        Duration::from_secs(ttl.map_or(lo, u64::from).clamp(lo, hi))
    }

    async fn resolve(&self, domain: &str) -> Answer {
        let Ok(_turn) = self.lookups.acquire().await else {
            return Answer { outcome: Outcome::Unknown, ttl: None };
        };
        self.stats.resolutions.fetch_add(1, Ordering::Relaxed);
        let answer = self.resolve_uncounted(domain).await;
        if let Ok(mut m) = self.stats.outcomes.lock() {
            *m.entry(answer.outcome.label()).or_default() += 1;
        }
        match answer.outcome {
            Outcome::AcceptsMail { .. } => self.remember_accepts_mail(domain),
            // Several "does not exist" in a row: is it the resolver? Ask the
            // canaries before this answer is judged.
            Outcome::NotFound if self.health.note_nxdomain() => self.probe().await,
            _ => {}
        }
        // The outcome only: the domain is the person's.
        tracing::debug!(outcome = answer.outcome.label(), "mail domain resolved");
        answer
    }

    async fn resolve_uncounted(&self, domain: &str) -> Answer {
        let Ok(name) = Name::from_ascii(format!("{domain}.")) else {
            return Answer { outcome: Outcome::Unknown, ttl: None };
        };
        let (mx, mx_neg_ttl) = match self.query(&name, RecordType::MX).await {
            Reply::Records(records, ttl) => {
                let mut mx: Vec<(u16, Name)> = records
                    .into_iter()
                    .filter_map(|r| match r {
                        RData::MX(m) => Some((m.preference, m.exchange)),
                        _ => None,
                    })
                    .collect();
                if !mx.is_empty() {
                    // RFC 7505: a null MX says "no mail", whatever else is there.
                    if mx.iter().any(|(_, x)| x.is_root()) {
                        return Answer { outcome: Outcome::NoMail, ttl: Some(self.bound(Some(ttl))) };
                    }
                    mx.sort();
                    let mut names: Vec<String> = Vec::with_capacity(mx.len());
                    for (_, x) in mx {
                        let s = x.to_ascii().trim_end_matches('.').to_ascii_lowercase();
                        if !names.contains(&s) {
                            names.push(s);
                        }
                    }
                    return Answer { outcome: Outcome::AcceptsMail { mx: names }, ttl: Some(self.bound(Some(ttl))) };
                }
                (Vec::<String>::new(), Some(ttl))
            }
            Reply::NoData(ttl) => (vec![], ttl),
            Reply::NxDomain(ttl) => {
                return Answer { outcome: Outcome::NotFound, ttl: self.negative(ttl) };
            }
            Reply::Failed => {
                return Answer { outcome: Outcome::Unknown, ttl: None };
            }
        };
        debug_assert!(mx.is_empty());
        // The implicit MX: an address record of the domain itself.
        let (a, aaaa) = tokio::join!(self.query(&name, RecordType::A), self.query(&name, RecordType::AAAA));
        let min = |x: Option<u32>, y: Option<u32>| match (x, y) {
            (Some(x), Some(y)) => Some(x.min(y)),
            (x, y) => x.or(y),
        };
        let has = |r: &Reply| matches!(r, Reply::Records(v, _) if v.iter().any(|d| matches!(d, RData::A(_) | RData::AAAA(_))));
        if has(&a) || has(&aaaa) {
            let t = [&a, &aaaa]
                .iter()
                .filter_map(|r| match r {
                    Reply::Records(_, t) => Some(*t),
                    _ => None,
                })
                .min();
            return Answer { outcome: Outcome::AcceptsMail { mx: vec![] }, ttl: Some(self.bound(min(t, mx_neg_ttl))) };
        }
        let neg = |r: &Reply| match r {
            Reply::NoData(t) | Reply::NxDomain(t) => *t,
            Reply::Records(_, t) => Some(*t),
            Reply::Failed => None,
        };
        match (&a, &aaaa) {
            (Reply::Failed, _) | (_, Reply::Failed) => Answer { outcome: Outcome::Unknown, ttl: None },
            (Reply::NxDomain(_), _) | (_, Reply::NxDomain(_)) => {
                let nx = |r: &Reply| match r {
                    Reply::NxDomain(t) => *t,
                    _ => None,
                };
                Answer { outcome: Outcome::NotFound, ttl: self.negative(min(nx(&a), nx(&aaaa))) }
            }
            _ => Answer { outcome: Outcome::NoMail, ttl: Some(self.bound(min(mx_neg_ttl, min(neg(&a), neg(&aaaa))))) },
        }
    }

    /// One upstream question, its result counted by type and kind.
    async fn query(&self, name: &Name, rtype: RecordType) -> Reply {
        let reply = ask(&self.resolver, name, rtype).await;
        if let Ok(mut m) = self.stats.queries.lock() {
            *m.entry((record_type_label(rtype), reply.1)).or_default() += 1;
        }
        reply.0
    }

    /// The addresses (A, then AAAA) of a mail exchange, for the mailbox
    /// probe (`crate::smtp::probe`); empty when DNS has none or failed.
    /// Not cached: the probe caches its own answers.
    pub async fn host_addresses(&self, host: &str) -> Vec<IpAddr> {
        let Ok(name) = Name::from_ascii(format!("{}.", host.trim_end_matches('.'))) else {
            return vec![];
        };
        let (a, aaaa) = tokio::join!(self.query(&name, RecordType::A), self.query(&name, RecordType::AAAA));
        let mut out = Vec::new();
        for reply in [a, aaaa] {
            if let Reply::Records(records, _) = reply {
                out.extend(records.into_iter().filter_map(|r| match r {
                    RData::A(a) => Some(IpAddr::V4(a.0)),
                    RData::AAAA(a) => Some(IpAddr::V6(a.0)),
                    _ => None,
                }));
            }
        }
        out
    }

    /// Prometheus text for the DNS counters.
    pub fn render_metrics(&self) -> String {
        let mut s = String::new();
        s += "# HELP fiable_dns_cache_total Mail-domain checks by cache result (hit, miss, shared: joined a lookup in flight).\n";
        s += "# TYPE fiable_dns_cache_total counter\n";
        for (k, v) in [("hit", &self.stats.cache_hits), ("miss", &self.stats.cache_misses), ("shared", &self.stats.shared)] {
            s += &format!("fiable_dns_cache_total{{result=\"{k}\"}} {}\n", v.load(Ordering::Relaxed));
        }
        s += "# HELP fiable_dns_cache_entries Domains in the mail-domain cache.\n";
        s += "# TYPE fiable_dns_cache_entries gauge\n";
        s += &format!("fiable_dns_cache_entries {}\n", self.state.lock().map(|st| st.cache.len()).unwrap_or(0));
        s += "# HELP fiable_dns_resolutions_total Mail-domain resolutions by outcome.\n";
        s += "# TYPE fiable_dns_resolutions_total counter\n";
        if let Ok(m) = self.stats.outcomes.lock() {
            let mut v: Vec<_> = m.iter().collect();
            v.sort();
            for (k, n) in v {
                s += &format!("fiable_dns_resolutions_total{{outcome=\"{k}\"}} {n}\n");
            }
        }
        s += &self.health.render_metrics();
        s += "# HELP fiable_dns_queries_total Upstream DNS queries by type and result.\n";
        s += "# TYPE fiable_dns_queries_total counter\n";
        if let Ok(m) = self.stats.queries.lock() {
            let mut v: Vec<_> = m.iter().collect();
            v.sort();
            for ((t, r), n) in v {
                s += &format!("fiable_dns_queries_total{{type=\"{t}\",result=\"{r}\"}} {n}\n");
            }
        }
        s
    }
}

/// One upstream reply, reduced to what the rules need. TTLs in seconds.
enum Reply {
    /// Records of the asked type and their smallest TTL.
    Records(Vec<RData>, u32),
    /// NOERROR without records; the negative TTL when an SOA came along.
    NoData(Option<u32>),
    /// NXDOMAIN; the negative TTL when an SOA came along.
    NxDomain(Option<u32>),
    /// No usable answer.
    Failed,
}

/// One upstream question: the reply and its kind (`answer`, `nodata`,
/// `nxdomain`, or the failure's kind).
async fn ask(resolver: &Option<TokioResolver>, name: &Name, rtype: RecordType) -> (Reply, &'static str) {
    let Some(resolver) = resolver else { return (Reply::Failed, "no_connections") };
    match resolver.lookup(name.clone(), rtype).await {
        Ok(l) => {
            let ttl = l.answers().iter().filter(|r| r.record_type() == rtype).map(|r| r.ttl).min();
            let data: Vec<RData> = l.answers().iter().filter(|r| r.record_type() == rtype).map(|r| r.data.clone()).collect();
            match ttl {
                Some(t) => (Reply::Records(data, t), "answer"),
                None => (Reply::NoData(None), "nodata"),
            }
        }
        Err(NetError::Dns(DnsError::NoRecordsFound(nr))) if nr.response_code == ResponseCode::NXDomain => {
            (Reply::NxDomain(nr.negative_ttl), "nxdomain")
        }
        Err(NetError::Dns(DnsError::NoRecordsFound(nr))) if nr.response_code == ResponseCode::NoError => {
            (Reply::NoData(nr.negative_ttl), "nodata")
        }
        Err(e) => (Reply::Failed, failure_kind(&e)),
    }
}

fn record_type_label(t: RecordType) -> &'static str {
    match t {
        RecordType::MX => "MX",
        RecordType::A => "A",
        RecordType::AAAA => "AAAA",
        _ => "other",
    }
}

fn failure_kind(e: &NetError) -> &'static str {
    match e {
        NetError::Timeout => "timeout",
        NetError::Dns(DnsError::ResponseCode(ResponseCode::ServFail)) => "servfail",
        NetError::Dns(DnsError::ResponseCode(ResponseCode::Refused)) => "refused",
        NetError::Dns(DnsError::ResponseCode(_)) => "rcode",
        NetError::NoConnections => "no_connections",
        _ => "error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_asks_the_core() {
        assert_eq!(normalize("Gmail.COM").as_deref(), Ok("gmail.com"));
        assert_eq!(normalize("jean@gmail.com").as_deref(), Ok("gmail.com"));
        assert_eq!(normalize(" café.fr ").as_deref(), Ok("xn--caf-dma.fr"));
        assert_eq!(normalize(""), Err(BadDomain { code: "email.empty_domain" }));
        assert_eq!(normalize("localhost").unwrap_err().code, "email.missing_tld");
        assert_eq!(normalize("foo..com").unwrap_err().code, "email.consecutive_dots");
        assert_eq!(normalize("example.invalidtld").unwrap_err().code, "email.unknown_tld");
        assert_eq!(normalize("[127.0.0.1]").unwrap_err().code, "email.ip_literal");
        assert_eq!(normalize(&"a".repeat(400)).unwrap_err().code, "email.too_long");
    }

    #[test]
    fn outcomes_have_stable_codes() {
        assert_eq!(Outcome::AcceptsMail { mx: vec![] }.code(), "email.domain_accepts_mail");
        assert_eq!(Outcome::NoMail.status(), "invalid");
        assert_eq!(Outcome::NotFound.code(), "email.domain_not_found");
        assert_eq!(Outcome::Unknown.status(), "unknown");
    }

    #[tokio::test]
    async fn without_a_resolver_every_question_fails_as_unknown() {
        let name = Name::from_ascii("example.fr.").unwrap();
        assert!(matches!(ask(&None, &name, RecordType::MX).await, (Reply::Failed, "no_connections")));
    }
}
