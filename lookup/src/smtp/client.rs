//! One SMTP client session (RFC 5321) over TCP, upgraded with STARTTLS
//! (RFC 3207) when the server offers it. Shared by the mailbox probe
//! ([`super::probe`]) and the relay that sends mail ([`super::relay`]).
//!
//! Every read and write has the session's step timeout; a reply line is at
//! most [`MAX_LINE`] bytes and a reply at most [`MAX_REPLY_LINES`] lines,
//! so a hostile or broken server costs a bounded amount of memory and time.
//!
//! TLS is opportunistic, as between MTAs (RFC 7435): the certificate is not
//! checked against a trust store (a probe or a relay on loopback has no
//! name a public CA would vouch for); it protects the address in transit
//! from a passive listener, not from an active one. Documented in the README.
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

/// Longest reply line read (RFC 5321 §4.5.3.1.5 says 512 with CRLF; some
/// servers write longer texts).
pub const MAX_LINE: usize = 2048;
/// Most lines of one (multi-line) reply.
pub const MAX_REPLY_LINES: usize = 64;

/// One server reply: its code and its text lines (without the code).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// The three-digit code.
    pub code: u16,
    /// The text of each line, after `NNN-` / `NNN `.
    pub lines: Vec<String>,
}

impl Reply {
    /// 2xx.
    pub fn positive(&self) -> bool {
        (200..300).contains(&self.code)
    }

    /// 4xx: try again later.
    pub fn transient(&self) -> bool {
        (400..500).contains(&self.code)
    }

    /// 5xx: refused for good.
    pub fn permanent(&self) -> bool {
        (500..600).contains(&self.code)
    }

    /// The enhanced status code of the first line (RFC 3463), e.g. `5.1.1`,
    /// when the server gives one whose class matches the reply code.
    pub fn enhanced(&self) -> Option<String> {
        let first = self.lines.first()?.split_whitespace().next()?;
        let mut parts = first.split('.');
        let (class, subject, detail) = (parts.next()?, parts.next()?, parts.next()?);
        let ok = parts.next().is_none()
            && matches!(class, "2" | "4" | "5")
            && (1..=3).contains(&subject.len())
            && (1..=3).contains(&detail.len())
            && subject.bytes().chain(detail.bytes()).all(|b| b.is_ascii_digit());
        (ok && u16::from(class.as_bytes()[0] - b'0') == self.code / 100).then(|| first.to_string())
    }

    /// An EHLO keyword is offered (case-insensitive, first word of a line).
    pub fn offers(&self, keyword: &str) -> bool {
        self.lines.iter().skip(1).any(|l| l.split_whitespace().next().is_some_and(|w| w.eq_ignore_ascii_case(keyword)))
    }
}

/// Why a session could not go on.
#[derive(Debug, thiserror::Error)]
pub enum SmtpError {
    /// Connecting, reading or writing failed.
    #[error("connection: {0}")]
    Io(#[from] std::io::Error),
    /// A step took longer than the step timeout.
    #[error("timed out")]
    Timeout,
    /// The server closed the connection.
    #[error("connection closed by the server")]
    Closed,
    /// The server wrote something that is not an SMTP reply.
    #[error("protocol: {0}")]
    Protocol(&'static str),
    /// The TLS handshake failed.
    #[error("TLS: {0}")]
    Tls(String),
    /// The server answered a step with a refusal.
    #[error("refused: {} {}", .0.code, .0.lines.join(" "))]
    Refused(Reply),
}

enum Conn {
    Plain(BufReader<TcpStream>),
    Tls(Box<BufReader<TlsStream<TcpStream>>>),
}

/// An open session. Dropping it closes the connection (without QUIT).
pub struct Session {
    conn: Conn,
    step: Duration,
    /// The last EHLO (or HELO) reply.
    pub ehlo: Reply,
    /// The greeting's reply (`220 …`).
    pub greeting: Reply,
}

impl Session {
    /// Connects, reads the greeting (which must be 220), says EHLO (HELO if
    /// EHLO is refused) and, when `starttls` and the server offers it,
    /// upgrades to TLS and says EHLO again. `server` names the host for TLS.
    pub async fn open(addr: SocketAddr, server: &str, helo: &str, starttls: bool, step: Duration) -> Result<Session, SmtpError> {
        let tcp = within(step, async { Ok(TcpStream::connect(addr).await?) }).await?;
        let _ = tcp.set_nodelay(true);
        let empty = Reply { code: 0, lines: vec![] };
        let mut s = Session { conn: Conn::Plain(BufReader::new(tcp)), step, ehlo: empty.clone(), greeting: empty };
        s.greeting = s.read_reply().await?;
        if s.greeting.code != 220 {
            return Err(SmtpError::Refused(s.greeting));
        }
        s.hello(helo).await?;
        if starttls && s.ehlo.offers("STARTTLS") {
            let r = s.command("STARTTLS").await?;
            if r.code != 220 {
                return Err(SmtpError::Refused(r));
            }
            s = s.upgrade(server).await?;
            s.hello(helo).await?;
        }
        Ok(s)
    }

    /// True once STARTTLS succeeded.
    pub fn tls(&self) -> bool {
        matches!(self.conn, Conn::Tls(_))
    }

    async fn hello(&mut self, helo: &str) -> Result<(), SmtpError> {
        let r = self.command(&format!("EHLO {helo}")).await?;
        self.ehlo = if r.positive() {
            r
        } else {
            let r = self.command(&format!("HELO {helo}")).await?;
            if !r.positive() {
                return Err(SmtpError::Refused(r));
            }
            r
        };
        Ok(())
    }

    async fn upgrade(self, server: &str) -> Result<Session, SmtpError> {
        let Conn::Plain(buf) = self.conn else {
            return Err(SmtpError::Protocol("STARTTLS twice"));
        };
        // Anything the server sent before the handshake would be read as
        // if it came over TLS (the STARTTLS injection of CVE-2011-0411).
        if !buf.buffer().is_empty() {
            return Err(SmtpError::Protocol("data after the STARTTLS reply"));
        }
        let tcp = buf.into_inner();
        let name = ServerName::try_from(server.to_string())
            .or_else(|_| ServerName::try_from("localhost".to_string()))
            .map_err(|e| SmtpError::Tls(e.to_string()))?;
        let config = tls_config().ok_or_else(|| SmtpError::Tls("no TLS configuration".into()))?;
        let tls =
            within(self.step, async { TlsConnector::from(config).connect(name, tcp).await.map_err(|e| SmtpError::Tls(e.to_string())) })
                .await?;
        Ok(Session { conn: Conn::Tls(Box::new(BufReader::new(tls))), step: self.step, ehlo: self.ehlo, greeting: self.greeting })
    }

    /// Sends one command line (CRLF added) and reads the reply.
    pub async fn command(&mut self, line: &str) -> Result<Reply, SmtpError> {
        // A CR or LF inside would smuggle a second command.
        if line.bytes().any(|b| b == b'\r' || b == b'\n') {
            return Err(SmtpError::Protocol("line break inside a command"));
        }
        self.write(format!("{line}\r\n").as_bytes()).await?;
        self.read_reply().await
    }

    /// `DATA`, the message (dot-stuffed, CRLF line ends), the final dot;
    /// the reply to the final dot.
    pub async fn data(&mut self, message: &str) -> Result<Reply, SmtpError> {
        let r = self.command("DATA").await?;
        if r.code != 354 {
            return Err(SmtpError::Refused(r));
        }
        let mut out = String::with_capacity(message.len() + 64);
        for line in message.split('\n') {
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.starts_with('.') {
                out.push('.');
            }
            out.push_str(line);
            out.push_str("\r\n");
        }
        out.push_str(".\r\n");
        self.write(out.as_bytes()).await?;
        self.read_reply().await
    }

    /// QUIT, its reply not awaited for long: the answer is known already.
    pub async fn quit(mut self) {
        let short = self.step.min(Duration::from_millis(500));
        self.step = short;
        let _ = self.command("QUIT").await;
    }

    async fn write(&mut self, bytes: &[u8]) -> Result<(), SmtpError> {
        let step = self.step;
        match &mut self.conn {
            Conn::Plain(s) => within(step, write_all(s.get_mut(), bytes)).await,
            Conn::Tls(s) => within(step, write_all(s.get_mut(), bytes)).await,
        }
    }

    /// One whole reply (all its `NNN-` lines and the `NNN ` one).
    pub async fn read_reply(&mut self) -> Result<Reply, SmtpError> {
        let mut lines = Vec::new();
        loop {
            let line = self.read_line().await?;
            let b = line.as_bytes();
            if b.len() < 3 || !b[..3].iter().all(u8::is_ascii_digit) || (b.len() > 3 && b[3] != b' ' && b[3] != b'-') {
                return Err(SmtpError::Protocol("not an SMTP reply line"));
            }
            let code = line[..3].parse::<u16>().map_err(|_| SmtpError::Protocol("bad reply code"))?;
            let last = b.len() == 3 || b[3] == b' ';
            lines.push(line.get(4..).unwrap_or("").to_string());
            if last {
                return Ok(Reply { code, lines });
            }
            if lines.len() >= MAX_REPLY_LINES {
                return Err(SmtpError::Protocol("reply too long"));
            }
        }
    }

    async fn read_line(&mut self) -> Result<String, SmtpError> {
        let step = self.step;
        let mut buf = Vec::with_capacity(128);
        let n = match &mut self.conn {
            Conn::Plain(s) => within(step, read_bounded(s, &mut buf)).await?,
            Conn::Tls(s) => within(step, read_bounded(s.as_mut(), &mut buf)).await?,
        };
        if n == 0 {
            return Err(SmtpError::Closed);
        }
        if !buf.ends_with(b"\n") {
            return Err(SmtpError::Protocol("reply line too long"));
        }
        while buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
            buf.pop();
        }
        Ok(String::from_utf8_lossy(&buf).into_owned())
    }
}

async fn write_all<S: AsyncWrite + Unpin>(s: &mut S, bytes: &[u8]) -> Result<(), SmtpError> {
    s.write_all(bytes).await?;
    s.flush().await?;
    Ok(())
}

/// Reads up to a LF, at most [`MAX_LINE`] bytes.
async fn read_bounded<S: AsyncBufRead + Unpin>(s: &mut S, buf: &mut Vec<u8>) -> Result<usize, SmtpError> {
    let mut limited = s.take(MAX_LINE as u64);
    Ok(limited.read_until(b'\n', buf).await?)
}

async fn within<T>(d: Duration, f: impl std::future::Future<Output = Result<T, SmtpError>>) -> Result<T, SmtpError> {
    tokio::time::timeout(d, f).await.map_err(|_| SmtpError::Timeout)?
}

/// The client TLS configuration: ring, TLS 1.2 and 1.3, no certificate
/// check (see the module's doc). `None` if ring refused the protocol
/// versions (it supports them all): every handshake then fails, answered
/// as a TLS error.
fn tls_config() -> Option<Arc<rustls::ClientConfig>> {
    static CONFIG: OnceLock<Option<Arc<rustls::ClientConfig>>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            // Deprecated for lacking post-quantum key exchange: fine for
            // opportunistic TLS, which resists no active attacker anyway.
            #[allow(deprecated)]
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let verifier = Arc::new(Opportunistic(provider.clone()));
            rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .ok()
                .map(|b| Arc::new(b.dangerous().with_custom_certificate_verifier(verifier).with_no_client_auth()))
        })
        .clone()
}

/// Accepts any certificate, but still checks that the server holds its key
/// (the handshake signatures), with the provider's algorithms.
#[derive(Debug)]
struct Opportunistic(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for Opportunistic {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(code: u16, first: &str) -> Reply {
        Reply { code, lines: vec![first.to_string()] }
    }

    #[test]
    fn enhanced_codes_are_read_only_when_well_formed_and_of_the_same_class() {
        assert_eq!(reply(550, "5.1.1 no such user").enhanced().as_deref(), Some("5.1.1"));
        assert_eq!(reply(450, "4.7.1 greylisted").enhanced().as_deref(), Some("4.7.1"));
        assert_eq!(reply(550, "4.7.1 mismatched class").enhanced(), None);
        assert_eq!(reply(550, "No such user").enhanced(), None);
        assert_eq!(reply(550, "5.1 short").enhanced(), None);
        assert_eq!(reply(550, "5.1.1.1 long").enhanced(), None);
        assert_eq!(reply(550, "").enhanced(), None);
        assert_eq!(Reply { code: 550, lines: vec![] }.enhanced(), None);
    }

    #[test]
    fn ehlo_keywords_are_matched_on_the_lines_after_the_first() {
        let r = Reply { code: 250, lines: vec!["mx.example STARTTLS-less greeting".into(), "SIZE 1000".into(), "starttls".into()] };
        assert!(r.offers("STARTTLS"));
        assert!(!Reply { code: 250, lines: vec!["STARTTLS".into()] }.offers("STARTTLS"));
    }
}
