//! Does the resolver tell the truth? Canaries: names that must exist (the
//! big mail providers' MX) asked at start, every `interval`, and at once
//! when NXDOMAIN answers come in a burst. While none of them resolves, the
//! resolver is "degraded": the mail-domain check answers `unknown` for
//! every domain (the form keeps its local verdict), `/healthz` says why,
//! `/metrics` counts it, and the log says it once (and once more when it
//! recovers). The probing itself is done by [`crate::mail::MailChecker`],
//! which owns the resolver; this module keeps the state and its reports.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;

/// NXDOMAIN answers within this window count towards a burst.
pub const BURST_WINDOW: Duration = Duration::from_secs(10);
/// A burst never probes again sooner than this after the last probe.
const BURST_MIN_GAP: Duration = Duration::from_secs(1);

/// What one canary query gave: `answer` when the name has MX records, else
/// the kind of failure (`nxdomain`, `nodata`, `timeout`, `servfail`…).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanaryResult {
    /// The canary name.
    pub name: String,
    /// `answer`, or the failure kind.
    pub result: &'static str,
}

/// What the resolver has shown so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trust {
    /// No probe has finished yet.
    Checking,
    /// At least one canary resolved at the last probe.
    Proven,
    /// No canary resolved at the last probe; why, in words.
    Degraded(String),
}

struct State {
    trust: Trust,
    /// When the current trust began.
    since: Instant,
    last_probe: Option<Instant>,
    last_results: Vec<CanaryResult>,
    /// Recent NXDOMAIN answers (for the burst trigger).
    nxdomains: VecDeque<Instant>,
}

/// The resolver's health: canary settings, last verdict, counters.
pub struct DnsHealth {
    canaries: Vec<String>,
    interval: Duration,
    burst: usize,
    state: Mutex<State>,
    probes_ok: AtomicU64,
    probes_failed: AtomicU64,
    /// Times the resolver went from proven (or checking) to degraded.
    degradations: AtomicU64,
    /// Domain answers turned `unknown` by doubt, by [`fiable_core::email::known::Doubt::label`].
    doubted: Mutex<Vec<(&'static str, u64)>>,
}

impl DnsHealth {
    /// `canaries`: names whose MX must resolve; an empty list trusts the
    /// resolver without probing (what a deployment with its own resolver
    /// monitoring may choose). `burst`: NXDOMAIN answers within
    /// [`BURST_WINDOW`] that trigger a probe (0: never).
    pub fn new(canaries: Vec<String>, interval: Duration, burst: usize) -> Self {
        let trust = if canaries.is_empty() { Trust::Proven } else { Trust::Checking };
        DnsHealth {
            canaries,
            interval: interval.max(Duration::from_millis(100)),
            burst,
            state: Mutex::new(State { trust, since: Instant::now(), last_probe: None, last_results: vec![], nxdomains: VecDeque::new() }),
            probes_ok: AtomicU64::new(0),
            probes_failed: AtomicU64::new(0),
            degradations: AtomicU64::new(0),
            doubted: Mutex::new(vec![]),
        }
    }

    /// The canary names.
    pub fn canaries(&self) -> &[String] {
        &self.canaries
    }

    /// The time between two probes.
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// The current trust.
    pub fn trust(&self) -> Trust {
        self.state.lock().map(|s| s.trust.clone()).unwrap_or(Trust::Checking)
    }

    /// True when a probe is due: none yet, or the last one is `interval` old.
    pub fn probe_due(&self) -> bool {
        if self.canaries.is_empty() {
            return false;
        }
        self.state.lock().map(|s| s.last_probe.is_none_or(|t| t.elapsed() >= self.interval)).unwrap_or(false)
    }

    /// Notes an NXDOMAIN answer; true when it completes a burst that calls
    /// for a probe now.
    pub fn note_nxdomain(&self) -> bool {
        if self.burst == 0 || self.canaries.is_empty() {
            return false;
        }
        let Ok(mut s) = self.state.lock() else {
            return false;
        };
        let now = Instant::now();
        s.nxdomains.push_back(now);
        while s.nxdomains.front().is_some_and(|t| now.duration_since(*t) > BURST_WINDOW) {
            s.nxdomains.pop_front();
        }
        let recent_probe = s.last_probe.is_some_and(|t| now.duration_since(t) < BURST_MIN_GAP);
        if s.nxdomains.len() >= self.burst && !recent_probe {
            s.nxdomains.clear();
            return true;
        }
        false
    }

    /// Records a probe's results: proven when any canary answered. Logs
    /// only a change (once when it degrades, once when it recovers).
    pub fn record(&self, results: Vec<CanaryResult>) {
        let proven = results.iter().any(|r| r.result == "answer");
        let counter = if proven { &self.probes_ok } else { &self.probes_failed };
        counter.fetch_add(1, Ordering::Relaxed);
        let Ok(mut s) = self.state.lock() else { return };
        let now = Instant::now();
        s.last_probe = Some(now);
        let next = if proven { Trust::Proven } else { Trust::Degraded(reason(&results)) };
        let changed = std::mem::discriminant(&next) != std::mem::discriminant(&s.trust);
        if changed {
            match (&s.trust, &next) {
                (_, Trust::Degraded(why)) => {
                    self.degradations.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(
                        reason = %why,
                        "DNS resolver degraded: mail-domain checks answer `unknown` until the canaries resolve again"
                    );
                }
                (Trust::Degraded(_), Trust::Proven) => {
                    tracing::info!(
                        after_secs = s.since.elapsed().as_secs(),
                        "DNS resolver recovered: canaries resolve, mail-domain checks answer again"
                    );
                }
                _ => tracing::info!(canaries = self.canaries.len(), "DNS resolver proven: canaries resolve"),
            }
            s.since = now;
        }
        // The reason may be worded anew (another failure kind) without a new log line.
        s.trust = next;
        s.last_results = results;
    }

    /// Counts a domain answer turned `unknown`, by the doubt's label.
    pub fn count_doubt(&self, label: &'static str) {
        if let Ok(mut v) = self.doubted.lock() {
            match v.iter_mut().find(|(l, _)| *l == label) {
                Some((_, n)) => *n += 1,
                None => v.push((label, 1)),
            }
        }
    }

    /// The `dns` part of `/healthz`.
    pub fn health_json(&self) -> serde_json::Value {
        let Ok(s) = self.state.lock() else {
            return json!({ "status": "checking" });
        };
        let (status, reason) = match &s.trust {
            Trust::Checking => ("checking", None),
            Trust::Proven => ("ok", None),
            Trust::Degraded(why) => ("degraded", Some(why.clone())),
        };
        let canaries: Vec<_> = if s.last_results.is_empty() {
            self.canaries.iter().map(|n| json!({ "name": n, "result": null })).collect()
        } else {
            s.last_results.iter().map(|r| json!({ "name": r.name, "result": r.result })).collect()
        };
        json!({
            "status": status,
            "reason": reason,
            "since_secs": s.since.elapsed().as_secs(),
            "checked_secs_ago": s.last_probe.map(|t| t.elapsed().as_secs()),
            "canaries": canaries,
        })
    }

    /// Prometheus text.
    pub fn render_metrics(&self) -> String {
        let mut s = String::new();
        let trust = self.trust();
        s += "# HELP fiable_dns_resolver_trusted 1 when the resolver's canaries resolve, 0 while it is degraded (mail-domain answers are then `unknown`) or not yet checked.\n";
        s += "# TYPE fiable_dns_resolver_trusted gauge\n";
        s += &format!("fiable_dns_resolver_trusted {}\n", u8::from(trust == Trust::Proven));
        s += "# HELP fiable_dns_resolver_degraded 1 while no canary resolves.\n";
        s += "# TYPE fiable_dns_resolver_degraded gauge\n";
        s += &format!("fiable_dns_resolver_degraded {}\n", u8::from(matches!(trust, Trust::Degraded(_))));
        s += "# HELP fiable_dns_resolver_degradations_total Times the resolver was found degraded after being trusted or unchecked.\n";
        s += "# TYPE fiable_dns_resolver_degradations_total counter\n";
        s += &format!("fiable_dns_resolver_degradations_total {}\n", self.degradations.load(Ordering::Relaxed));
        s += "# HELP fiable_dns_canary_probes_total Canary probes by result (ok: at least one canary resolved).\n";
        s += "# TYPE fiable_dns_canary_probes_total counter\n";
        s += &format!("fiable_dns_canary_probes_total{{result=\"ok\"}} {}\n", self.probes_ok.load(Ordering::Relaxed));
        s += &format!("fiable_dns_canary_probes_total{{result=\"failed\"}} {}\n", self.probes_failed.load(Ordering::Relaxed));
        s += "# HELP fiable_dns_doubted_total Negative mail-domain answers not believed (answered `unknown`), by reason.\n";
        s += "# TYPE fiable_dns_doubted_total counter\n";
        if let Ok(v) = self.doubted.lock() {
            let mut v = v.clone();
            v.sort();
            for (label, n) in v {
                s += &format!("fiable_dns_doubted_total{{reason=\"{label}\"}} {n}\n");
            }
        }
        s
    }
}

/// "every canary failed: gmail.com nxdomain, outlook.com timeout".
fn reason(results: &[CanaryResult]) -> String {
    if results.is_empty() {
        return "no canary could be asked".into();
    }
    let each: Vec<String> = results.iter().map(|r| format!("{} {}", r.name, r.result)).collect();
    let all_nx = results.iter().all(|r| r.result == "nxdomain");
    let lead = if all_nx {
        "the resolver says names that must exist do not (NXDOMAIN for every canary: offline, captive portal or split-horizon DNS?)"
    } else {
        "no canary resolved"
    };
    format!("{lead}: {}", each.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(name: &str, result: &'static str) -> CanaryResult {
        CanaryResult { name: name.into(), result }
    }

    #[test]
    fn one_answering_canary_is_enough_and_state_follows_the_last_probe() {
        let h = DnsHealth::new(vec!["gmail.com".into(), "outlook.com".into()], Duration::from_secs(60), 3);
        assert_eq!(h.trust(), Trust::Checking);
        assert!(h.probe_due());
        h.record(vec![r("gmail.com", "nxdomain"), r("outlook.com", "nxdomain")]);
        let Trust::Degraded(why) = h.trust() else { panic!("degraded expected") };
        assert!(why.contains("NXDOMAIN for every canary") && why.contains("gmail.com nxdomain"), "{why}");
        assert!(!h.probe_due());
        h.record(vec![r("gmail.com", "timeout"), r("outlook.com", "answer")]);
        assert_eq!(h.trust(), Trust::Proven);
        let m = h.render_metrics();
        assert!(m.contains("fiable_dns_canary_probes_total{result=\"failed\"} 1"), "{m}");
        assert!(m.contains("fiable_dns_resolver_degradations_total 1"), "{m}");
        assert!(m.contains("fiable_dns_resolver_trusted 1"), "{m}");
    }

    #[test]
    fn a_burst_of_nxdomain_calls_for_a_probe_once() {
        let h = DnsHealth::new(vec!["gmail.com".into()], Duration::from_secs(60), 3);
        assert_eq!([h.note_nxdomain(), h.note_nxdomain(), h.note_nxdomain()], [false, false, true]);
        // The count starts over after a trigger.
        assert!(!h.note_nxdomain());
        // No canaries: the resolver is trusted as configured, never probed.
        let off = DnsHealth::new(vec![], Duration::from_secs(60), 3);
        assert_eq!((off.trust(), off.probe_due(), off.note_nxdomain()), (Trust::Proven, false, false));
    }
}
