//! Double opt-in: a purpose of a form can ask that its grant be confirmed
//! (`"confirmation": "email"` in the record, from the form's config). Once
//! such a record is in the ledger, the service mails the person (through the
//! relay of `--smtp-relay`, [`crate::smtp::relay`]) a link holding a signed,
//! expiring token; opening it (`GET /v1/consents/confirm`,
//! `crate::routes::confirm`) appends a new record that `confirms` the
//! original, for the purposes that asked for it, and shows a short page.
//!
//! The token is `base64url(record id) . expiry (Unix seconds) . HMAC`, the
//! HMAC under the service's index key ([`super::vault::IndexKey`]), so the
//! link can be neither forged nor stretched past its expiry. It is single
//! use through the ledger's idempotency table: a second opening replays the
//! first confirmation instead of appending another. Past the expiry
//! (`--double-opt-in-hours`) the link is refused, and the purposes stay
//! unconfirmed for good: a grant with `confirmation` and no record that
//! `confirms` it within the delay is not a consent ([`is_confirmed_in_time`],
//! applied by every reader of the ledger through [`super::state::effective`]).
//!
//! Nothing here logs an address; the address is read from the submission
//! (in clear only in memory, sealed in the ledger) and handed to the relay.
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use base64::Engine;
use fiable_consent::{CONFIRMATION_EMAIL, ConsentRecord, Decision};

use super::vault::IndexKey;
use crate::smtp::relay::{Relay, RelayConfig, compose};

/// Double opt-in settings: flags or environment.
#[derive(clap::Args, Clone, Debug)]
pub struct OptInConfig {
    /// The relay the confirmation mails go through.
    #[command(flatten)]
    pub relay: RelayConfig,
    /// Base URL of this service as a person's browser reaches it: the
    /// confirmation links start with it.
    #[arg(id = "public_url", long = "public-url", env = "FIABLE_PUBLIC_URL", default_value = "http://127.0.0.1:8787")]
    pub public_url: String,
    /// Hours a confirmation link stays valid; past them the record's
    /// purposes that asked for confirmation stay unconfirmed.
    #[arg(id = "double_opt_in_hours", long = "double-opt-in-hours", env = "FIABLE_DOUBLE_OPT_IN_HOURS", default_value_t = 72)]
    pub hours: u64,
}

impl OptInConfig {
    /// The delay a grant has to be confirmed in (at least an hour).
    pub fn valid_for(&self) -> Duration {
        Duration::from_secs(self.hours.clamp(1, u64::MAX / 3600) * 3600)
    }
}

impl Default for OptInConfig {
    fn default() -> Self {
        OptInConfig { relay: RelayConfig::default(), public_url: "http://127.0.0.1:8787".into(), hours: 72 }
    }
}

/// The mailer of confirmation links (present when a relay is configured).
#[derive(Debug)]
pub struct OptIn {
    relay: Relay,
    public_url: String,
    valid_for: Duration,
    /// Mails the relay accepted, and those it did not.
    pub sent: AtomicU64,
    /// Mails that could not be handed to the relay.
    pub failed: AtomicU64,
}

impl OptIn {
    /// The mailer of `config`, `None` without a relay.
    pub fn from_config(config: &OptInConfig) -> Option<OptIn> {
        Some(OptIn {
            relay: Relay::from_config(&config.relay)?,
            public_url: config.public_url.trim_end_matches('/').to_string(),
            valid_for: config.valid_for(),
            sent: AtomicU64::new(0),
            failed: AtomicU64::new(0),
        })
    }

    /// The delay a grant has to be confirmed in.
    pub fn valid_for(&self) -> Duration {
        self.valid_for
    }

    /// The relay (for other features that write to a person: one
    /// configuration, `--smtp-relay`).
    pub fn relay(&self) -> &Relay {
        &self.relay
    }

    /// The confirmation link of `record_id`, valid from `now` (Unix seconds).
    pub fn link(&self, key: &IndexKey, record_id: &str, now: u64) -> String {
        format!("{}/v1/consents/confirm?token={}", self.public_url, token(key, record_id, now + self.valid_for.as_secs()))
    }

    /// Mails the link of `record` to `to` in the background; the outcome
    /// is counted, never logged with the address.
    pub fn send_later(self: &Arc<Self>, key: &IndexKey, record: &ConsentRecord, to: String) {
        let link = self.link(key, &record.record_id, unix_now());
        let texts: Vec<String> = needing_confirmation(record).map(|p| p.text.clone()).collect();
        let (subject, body) = mail_text(&record.locale, &record.controller.name, &texts, &link, self.valid_for.as_secs() / 3600);
        let host = self.public_url.split("://").nth(1).and_then(|h| h.split(['/', ':']).next()).unwrap_or("localhost").to_string();
        let message = compose(self.relay.from_address(), &to, &subject, &body, &host);
        let me = self.clone();
        tokio::spawn(async move {
            match me.relay.send(&to, &message).await {
                Ok(()) => {
                    me.sent.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) => {
                    me.failed.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(error = %e, "double opt-in: the confirmation mail was not sent");
                }
            }
        });
    }
}

/// The purposes of `record` granted on condition of an email confirmation.
pub fn needing_confirmation(record: &ConsentRecord) -> impl Iterator<Item = &fiable_consent::Purpose> {
    record
        .purposes
        .iter()
        .filter(|p| p.confirmation.as_deref() == Some(CONFIRMATION_EMAIL) && Decision::parse(&p.decision) == Some(Decision::Granted))
}

/// Whether a grant needing confirmation was confirmed in time: the
/// confirming record acted within `valid_for` of the original.
pub fn is_confirmed_in_time(original: &ConsentRecord, confirmation: &ConsentRecord, valid_for: Duration) -> bool {
    let (Some(a), Some(b)) = (super::ledger::parse_rfc3339(&original.acted_at), super::ledger::parse_rfc3339(&confirmation.acted_at))
    else {
        return false;
    };
    confirmation.confirms.as_deref() == Some(original.record_id.as_str()) && b >= a && (b - a) as u64 <= valid_for.as_secs()
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

fn mac(key: &IndexKey, record_id: &str, expires: u64) -> String {
    key.digest("confirm-link", &format!("{record_id}\n{expires}"))
}

/// The token of a link: `base64url(id).expires.hmac`.
pub fn token(key: &IndexKey, record_id: &str, expires: u64) -> String {
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    format!("{}.{expires}.{}", b64.encode(record_id), mac(key, record_id, expires))
}

/// Why a token is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    /// Malformed, or not signed by this service.
    Bad,
    /// Signed, but past its expiry.
    Expired,
}

/// The record id a token names, if the token is this service's and not expired at `now`.
pub fn check_token(key: &IndexKey, token: &str, now: u64) -> Result<String, TokenError> {
    let mut parts = token.split('.');
    let (Some(id), Some(exp), Some(given), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(TokenError::Bad);
    };
    let id =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(id).ok().and_then(|b| String::from_utf8(b).ok()).ok_or(TokenError::Bad)?;
    let exp: u64 = exp.parse().map_err(|_| TokenError::Bad)?;
    let want = mac(key, &id, exp);
    let same = want.len() == given.len() && want.bytes().zip(given.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0;
    if !same {
        return Err(TokenError::Bad);
    }
    if now > exp {
        return Err(TokenError::Expired);
    }
    Ok(id)
}

/// The idempotency key that makes a link single use: keyed, so that no
/// client can take it first with a request of its own.
pub fn idempotency_key(key: &IndexKey, record_id: &str) -> String {
    format!("confirm:{}", key.digest("confirm-once", record_id))
}

/// Subject and body of the mail, in the record's language (French or English).
fn mail_text(locale: &str, controller: &str, purposes: &[String], link: &str, hours: u64) -> (String, String) {
    let list: String = purposes.iter().map(|t| format!("  - {t}\n")).collect();
    if fiable_core::Locale::parse(locale) == fiable_core::Locale::Fr {
        (
            format!("Confirmez votre accord — {controller}"),
            format!(
                "Bonjour,\n\nVous avez donné votre accord à {controller} pour :\n{list}\nPour le confirmer, ouvrez ce lien (valable {hours} heures) :\n{link}\n\nSi vous n’êtes pas à l’origine de cette demande, ignorez ce message : sans confirmation, rien ne sera envoyé.\n"
            ),
        )
    } else {
        (
            format!("Confirm your consent — {controller}"),
            format!(
                "Hello,\n\nYou gave {controller} your consent to:\n{list}\nTo confirm it, open this link (valid for {hours} hours):\n{link}\n\nIf this was not you, ignore this message: without a confirmation nothing will be sent.\n"
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> IndexKey {
        let dir = tempfile::tempdir().unwrap();
        IndexKey::load_or_create(&dir.path().join("k")).unwrap()
    }

    #[test]
    fn tokens_name_their_record_until_they_expire_and_cannot_be_forged() {
        let k = key();
        let t = token(&k, "abc123", 1000);
        assert_eq!(check_token(&k, &t, 999), Ok("abc123".to_string()));
        assert_eq!(check_token(&k, &t, 1000), Ok("abc123".to_string()));
        assert_eq!(check_token(&k, &t, 1001), Err(TokenError::Expired));
        // A later expiry, another record, another key: refused.
        let stretched = t.replace(".1000.", ".99999.");
        assert_eq!(check_token(&k, &stretched, 999), Err(TokenError::Bad));
        let other = format!("{}.1000.{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("other"), t.rsplit('.').next().unwrap());
        assert_eq!(check_token(&k, &other, 999), Err(TokenError::Bad));
        assert_eq!(check_token(&key(), &t, 999), Err(TokenError::Bad));
        for bad in ["", "a.b", "a.b.c.d", "!!.1.x", "YWJj.x.y"] {
            assert_eq!(check_token(&k, bad, 0), Err(TokenError::Bad), "{bad}");
        }
    }

    #[test]
    fn the_mail_is_in_the_record_language_and_lists_the_purposes() {
        let (s, b) = mail_text("fr-FR", "Boutique", &["Recevoir la lettre".into()], "https://x/l", 72);
        assert!(s.starts_with("Confirmez"));
        assert!(b.contains("  - Recevoir la lettre\n") && b.contains("https://x/l") && b.contains("72 heures"));
        let (s, _) = mail_text("en", "Shop", &[], "https://x/l", 1);
        assert!(s.starts_with("Confirm your consent"));
    }
}
