//! Sending mail through the relay the deployment names (`--smtp-relay
//! host:port`): the double opt-in's confirmation mails, and any other
//! feature that must write to a person. One SMTP session per message
//! (the volumes are a form's), STARTTLS when offered, no authentication
//! (a relay on the host or the private network, trusting its clients by
//! address).
//!
//! [`compose`] writes a plain-text UTF-8 message (RFC 5322 headers, the
//! subject as an RFC 2047 encoded word, the body in base64), so a body in
//! French needs no SMTPUTF8 from the relay.
use std::time::Duration;

use base64::Engine;

use super::client::{Session, SmtpError};

/// Relay settings: flags or environment.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct RelayConfig {
    /// SMTP relay (`host:port`) through which the service sends mail (the
    /// double opt-in's confirmations). Without it no mail is sent, and a
    /// form whose purposes need confirmation keeps them unconfirmed.
    #[arg(id = "smtp_relay", long = "smtp-relay", env = "FIABLE_SMTP_RELAY")]
    pub relay: Option<String>,
    /// Envelope sender and `From:` of the mails sent.
    #[arg(id = "smtp_from", long = "smtp-from", env = "FIABLE_SMTP_FROM", default_value = "no-reply@localhost")]
    pub from: String,
    /// The name said in EHLO to the relay.
    #[arg(id = "smtp_helo", long = "smtp-helo", env = "FIABLE_SMTP_HELO", default_value = "localhost")]
    pub helo: String,
    /// Longest time one step of a relay session may take, in milliseconds.
    #[arg(id = "smtp_timeout_ms", long = "smtp-timeout-ms", env = "FIABLE_SMTP_TIMEOUT_MS", default_value_t = 10_000)]
    pub timeout_ms: u64,
}

/// Why a message was not handed to the relay.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    /// No relay is configured.
    #[error("no SMTP relay configured (--smtp-relay)")]
    NotConfigured,
    /// The relay's address does not resolve.
    #[error("the SMTP relay's address does not resolve")]
    Unresolved,
    /// An address holds a character that would break the envelope.
    #[error("an address holds a character not allowed in the envelope")]
    BadAddress,
    /// The session failed or the relay refused the message.
    #[error("SMTP relay: {0}")]
    Smtp(#[from] SmtpError),
}

/// A configured relay.
#[derive(Clone, Debug)]
pub struct Relay {
    config: RelayConfig,
}

impl Relay {
    /// The relay of `config`, `None` when none is configured.
    pub fn from_config(config: &RelayConfig) -> Option<Relay> {
        config.relay.as_ref().filter(|r| !r.trim().is_empty()).map(|_| Relay { config: config.clone() })
    }

    /// The envelope sender.
    pub fn from_address(&self) -> &str {
        &self.config.from
    }

    /// Hands `message` (headers and body, see [`compose`]) to the relay for
    /// `to`; `Ok` once the relay accepted it (250 after the final dot).
    pub async fn send(&self, to: &str, message: &str) -> Result<(), RelayError> {
        let target = self.config.relay.as_deref().ok_or(RelayError::NotConfigured)?;
        for a in [to, self.config.from.as_str()] {
            if a.bytes().any(|b| b.is_ascii_control() || b == b'<' || b == b'>' || b == b' ') {
                return Err(RelayError::BadAddress);
            }
        }
        let step = Duration::from_millis(self.config.timeout_ms.max(1));
        let addr = tokio::net::lookup_host(target).await.ok().and_then(|mut a| a.next()).ok_or(RelayError::Unresolved)?;
        let host = target.rsplit_once(':').map_or(target, |(h, _)| h);
        let mut s = Session::open(addr, host, &self.config.helo, true, step).await?;
        for cmd in [format!("MAIL FROM:<{}>", self.config.from), format!("RCPT TO:<{to}>")] {
            let r = s.command(&cmd).await?;
            if !r.positive() {
                s.quit().await;
                return Err(SmtpError::Refused(r).into());
            }
        }
        let r = s.data(message).await?;
        s.quit().await;
        if r.positive() { Ok(()) } else { Err(SmtpError::Refused(r).into()) }
    }
}

/// A plain-text UTF-8 message with its headers. `msg_id_domain` is the
/// right-hand side of the Message-ID.
pub fn compose(from: &str, to: &str, subject: &str, body: &str, msg_id_domain: &str) -> String {
    let b64 = base64::engine::general_purpose::STANDARD;
    let clean = |s: &str| s.chars().filter(|c| !c.is_control()).collect::<String>();
    let mut id = [0u8; 12];
    // A Message-ID only has to be unique; the clock stands in for randomness.
    if getrandom::getrandom(&mut id).is_err() {
        let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        id.copy_from_slice(&t.to_le_bytes()[..12]);
    }
    let date = rfc5322_now();
    let mut encoded = String::new();
    let bytes = b64.encode(body.replace('\n', "\r\n").as_bytes());
    for chunk in bytes.as_bytes().chunks(76) {
        encoded.push_str(&String::from_utf8_lossy(chunk));
        encoded.push_str("\r\n");
    }
    format!(
        "From: {from}\r\nTo: {to}\r\nSubject: =?UTF-8?B?{subject}?=\r\nDate: {date}\r\nMessage-ID: <{id}@{dom}>\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\nAuto-Submitted: auto-generated\r\n\r\n{encoded}",
        from = clean(from),
        to = clean(to),
        subject = b64.encode(clean(subject).as_bytes()),
        id = fiable_consent::hex(&id),
        dom = clean(msg_id_domain),
    )
}

/// Now, as an RFC 5322 date in UTC (`Sat, 05 Dec 2026 06:30:00 +0000`).
fn rfc5322_now() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let wd = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][(days.rem_euclid(7)) as usize];
    let mon = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][(m - 1) as usize];
    format!("{wd}, {d:02} {mon} {y} {:02}:{:02}:{:02} +0000", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// The body of a composed message, decoded (for tests and the demo's mailbox reader).
pub fn decode_body(message: &str) -> Option<String> {
    let (_, body) = message.split_once("\r\n\r\n").or_else(|| message.split_once("\n\n"))?;
    let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD.decode(compact).ok()?;
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_composed_message_decodes_back_and_keeps_headers_on_one_line() {
        let m = compose("shop@x.fr", "jean@y.fr", "Confirmez\r\nBcc: evil@z.fr", "Bonjour,\ncliquez : https://a/b\n", "x.fr");
        assert!(m.contains("Subject: =?UTF-8?B?"));
        assert!(!m.contains("\r\nBcc:"), "a header cannot be injected through the subject");
        assert_eq!(decode_body(&m).unwrap(), "Bonjour,\r\ncliquez : https://a/b\r\n");
        let date = m.lines().find(|l| l.starts_with("Date: ")).unwrap();
        assert!(date.ends_with(" +0000") && date.len() == "Date: Sat, 05 Dec 2026 06:30:00 +0000".len(), "{date}");
    }
}
