//! The service's configuration: flags or environment (clap), defaulted
//! for `make demo`.
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use crate::mail::DnsConfig;

/// The vendored Paris BAN file, relative to the repository root.
pub const DEFAULT_BAN: &str = "data/raw/ban/adresses-75.csv.gz";

/// Service configuration: flags or environment, defaulted for `make demo`.
#[derive(clap::Args, Clone, Debug)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "FIABLE_BIND", default_value = "127.0.0.1:8787")]
    pub bind: SocketAddr,
    /// Prebuilt address index (`fiable-lookup index`). Without it the BAN
    /// files are indexed in memory at start (a second for Paris).
    #[arg(long, env = "FIABLE_ADDRESS_INDEX")]
    pub index: Option<PathBuf>,
    /// BAN CSV files to index at start when no index is given.
    #[arg(long = "ban", env = "FIABLE_BAN", value_delimiter = ',', default_value = DEFAULT_BAN)]
    pub ban: Vec<PathBuf>,
    /// Origins allowed by CORS (comma-separated; empty: same origin only).
    #[arg(long = "cors-origin", env = "FIABLE_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,
    /// Demo pages served at `/` when the directory exists.
    #[arg(long, env = "FIABLE_WWW", default_value = "www")]
    pub www: PathBuf,
    /// npm package served at `/pkg` when the directory exists.
    #[arg(long, env = "FIABLE_PKG", default_value = "pkg")]
    pub pkg: PathBuf,
    /// DNS of the mail-domain check.
    #[command(flatten)]
    pub dns: DnsConfig,
    /// The mailbox probe (`GET /v1/email/mailbox`), off by default.
    #[command(flatten)]
    pub mailbox: crate::smtp::probe::ProbeConfig,
    /// Requests per second allowed per client (token bucket refill rate;
    /// 0 turns rate limiting off). `/healthz` and `/metrics` are never limited.
    #[arg(long = "rate-limit", env = "FIABLE_RATE_LIMIT", default_value_t = 50.0, value_parser = per_second)]
    pub rate_limit: f64,
    /// Requests a client may send at once after a quiet spell (bucket size).
    #[arg(long = "rate-burst", env = "FIABLE_RATE_BURST", default_value_t = 200)]
    pub rate_burst: u32,
    /// Most clients tracked at once; idle ones, then the least recently
    /// seen, are forgotten past it.
    #[arg(long = "rate-max-clients", env = "FIABLE_RATE_MAX_CLIENTS", default_value_t = 100_000)]
    pub rate_max_clients: usize,
    /// Consent submissions (`POST /v1/consents`) per second allowed per
    /// client, on top of `--rate-limit` (which, at 0, turns this off too):
    /// each one is a durable write.
    #[arg(long = "consent-rate-limit", env = "FIABLE_CONSENT_RATE_LIMIT", default_value_t = 2.0, value_parser = per_second)]
    pub consent_rate_limit: f64,
    /// Consent submissions a client may send at once after a quiet spell.
    #[arg(long = "consent-rate-burst", env = "FIABLE_CONSENT_RATE_BURST", default_value_t = 20)]
    pub consent_rate_burst: u32,
    /// Seconds a client has to send a request head (on a new connection,
    /// or on an idle keep-alive one); then the connection is closed.
    #[arg(long = "header-timeout", env = "FIABLE_HEADER_TIMEOUT", default_value_t = 10)]
    pub header_timeout: u64,
    /// Seconds a request may take, body included (then 408).
    #[arg(long = "request-timeout", env = "FIABLE_REQUEST_TIMEOUT", default_value_t = 30)]
    pub request_timeout: u64,
    /// Connections open at once; past it new ones are closed.
    #[arg(long = "max-connections", env = "FIABLE_MAX_CONNECTIONS", default_value_t = 4096)]
    pub max_connections: usize,
    /// Connections open at once from one address (the socket's peer).
    #[arg(long = "max-connections-per-ip", env = "FIABLE_MAX_CONNECTIONS_PER_IP", default_value_t = 64)]
    pub max_connections_per_ip: usize,
    /// Key of `/metrics` (`Authorization: Bearer …`, 16 bytes or more).
    /// Without it `/metrics` answers only to the local host.
    #[arg(long = "metrics-key", env = "FIABLE_METRICS_KEY", hide_env_values = true)]
    pub metrics_key: Option<String>,
    /// Proxies (IP addresses, comma-separated) whose `X-Forwarded-For` is
    /// believed; from anyone else the socket's peer is the client.
    #[arg(long = "trusted-proxy", env = "FIABLE_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<IpAddr>,
}

impl Config {
    /// A configuration for tests: nothing served from disk, no CORS.
    pub fn for_tests() -> Self {
        Config {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            index: None,
            ban: vec![],
            cors_origins: vec![],
            www: PathBuf::from("/nonexistent"),
            pkg: PathBuf::from("/nonexistent"),
            dns: DnsConfig::default(),
            mailbox: crate::smtp::probe::ProbeConfig::default(),
            rate_limit: 50.0,
            rate_burst: 200,
            rate_max_clients: 100_000,
            consent_rate_limit: 2.0,
            consent_rate_burst: 20,
            header_timeout: 10,
            request_timeout: 30,
            max_connections: 4096,
            max_connections_per_ip: 64,
            metrics_key: None,
            trusted_proxies: vec![],
        }
    }

    /// The BAN files to index, falling back to the copy in the source tree
    /// when run from elsewhere than the repository root.
    pub fn ban_files(&self) -> Vec<PathBuf> {
        self.ban
            .iter()
            .map(|p| {
                if !p.exists() && p == &PathBuf::from(DEFAULT_BAN) {
                    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join(DEFAULT_BAN)
                } else {
                    p.clone()
                }
            })
            .collect()
    }
}

/// `--rate-limit`: 0 (off) or a positive rate; a negative or NaN one is a
/// mistake to refuse, not a quiet "off".
fn per_second(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(format!("{s:?}: expected 0 (no limit) or a positive number of requests per second")),
    }
}

#[cfg(test)]
mod tests {
    use super::per_second;

    #[test]
    fn rate_limit_flag_accepts_zero_and_positive_rates_only() {
        assert_eq!(per_second("0"), Ok(0.0));
        assert_eq!(per_second("12.5"), Ok(12.5));
        for bad in ["-1", "NaN", "inf", "fast", ""] {
            let e = per_second(bad).unwrap_err();
            assert!(e.contains("positive number of requests per second"), "{bad}: {e}");
        }
    }
}
