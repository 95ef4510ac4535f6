//! The state the lookup handlers share, and the index it is built around.
use std::sync::Arc;

use crate::address::postcodes::Coverage;
use crate::address::{self, Index};
use crate::config::Config;
use crate::mail::MailChecker;
use crate::metrics::Metrics;
use crate::ratelimit::RateLimiter;
use crate::smtp::probe::MailboxProbe;

/// Shared state of the handlers.
#[derive(Clone)]
pub struct AppState {
    /// The address index.
    pub index: Arc<Index>,
    /// Request counters and latency histograms.
    pub metrics: Arc<Metrics>,
    /// The configuration.
    pub config: Arc<Config>,
    /// The mail-domain checker (resolver, cache, lists).
    pub mail: Arc<MailChecker>,
    /// The mailbox probe (SMTP; answers only when `config.mailbox.enabled`).
    pub mailbox: Arc<MailboxProbe>,
    /// Departments the address index covers.
    pub coverage: Arc<Coverage>,
    /// Per-client rate limiting (`None`: off).
    pub limiter: Option<Arc<RateLimiter>>,
    /// The tighter per-client limit of consent submissions (`None`: off).
    pub consent_limiter: Option<Arc<RateLimiter>>,
}

impl AppState {
    /// State around an opened index; the resolver follows `config.dns`, the
    /// rate limiter `config.rate_*`.
    pub fn new(index: Index, config: Config) -> Self {
        let mail = Arc::new(MailChecker::new(config.dns.clone()));
        let mailbox = Arc::new(MailboxProbe::new(config.mailbox.clone()));
        let coverage = Arc::new(Coverage::of(&index));
        let limiter = RateLimiter::from_config(&config).map(Arc::new);
        let consent_limiter = RateLimiter::for_consent_posts(&config).map(Arc::new);
        AppState {
            index: Arc::new(index),
            metrics: Arc::new(Metrics::default()),
            config: Arc::new(config),
            mail,
            mailbox,
            coverage,
            limiter,
            consent_limiter,
        }
    }
}

/// Opens or builds the index the configuration names.
pub fn load_index(config: &Config) -> anyhow::Result<Index> {
    use anyhow::Context;
    match &config.index {
        Some(p) => Ok(Index::open(p)?),
        None => {
            let files = config.ban_files();
            let (idx, r) = address::index::build_in_memory(&files, &address::BuildOptions::default())
                .context("indexing the BAN files (give --index for a prebuilt index)")?;
            tracing::info!(
                rows = r.read.rows,
                skipped = r.read.skipped,
                streets = r.streets,
                ms = r.elapsed.as_millis() as u64,
                "address index built in memory"
            );
            Ok(idx)
        }
    }
}
