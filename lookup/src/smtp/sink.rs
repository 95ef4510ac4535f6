//! A small SMTP receiver for the demo (`fiable-lookup mail-sink`): it
//! accepts every message on loopback, stores it in a maildir and reports
//! one line per message with its recipients and the http(s) links in it,
//! so that `make demo` shows the double opt-in round trip on a machine
//! without an MTA. It relays nothing and is not for production: a real
//! deployment points `--smtp-relay` at its own MTA.
//!
//! The server side of RFC 5321, reduced to what a relay client needs:
//! EHLO/HELO, MAIL, RCPT, DATA (with dot-unstuffing), RSET, NOOP, QUIT,
//! VRFY (252). Everything a client sends is bounded: a line is at most
//! [`MAX_LINE`] octets (RFC 5321 §4.5.3.1.4), a message at most
//! `max_message` octets, a transaction at most [`MAX_RECIPIENTS`]
//! recipients, a session at most [`MAX_ERRORS`] bad commands and
//! `idle` between two lines; past a bound the client gets an SMTP error
//! (and, for the last two, the connection closes), never a panic.
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use base64::Engine;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

/// Longest line read, CRLF included (RFC 5321 §4.5.3.1.4 and .6).
pub const MAX_LINE: usize = 1000;
/// Most recipients of one message (RFC 5321 §4.5.3.1.8 asks for at least 100).
pub const MAX_RECIPIENTS: usize = 100;
/// Bad commands after which a session is closed.
pub const MAX_ERRORS: usize = 20;
/// Sessions served at once.
pub const MAX_SESSIONS: usize = 16;
/// Default largest message, in octets.
pub const DEFAULT_MAX_MESSAGE: usize = 1024 * 1024;

/// `fiable-lookup mail-sink` settings.
#[derive(clap::Args, Clone, Debug)]
pub struct SinkConfig {
    /// Address to listen on (loopback unless `--allow-remote`).
    #[arg(long, default_value = "127.0.0.1:2525")]
    pub bind: SocketAddr,
    /// The maildir the messages are written to (`tmp/`, `new/`, `cur/`
    /// created if missing; files mode 0600: they hold addresses).
    #[arg(long)]
    pub maildir: PathBuf,
    /// Largest message accepted, in octets.
    #[arg(long, default_value_t = DEFAULT_MAX_MESSAGE)]
    pub max_message: usize,
    /// Seconds a client may stay silent before the session is closed.
    #[arg(long, default_value_t = 60)]
    pub idle_secs: u64,
    /// Listen on an address other than loopback (anyone reaching it could
    /// fill the maildir: for a test network only).
    #[arg(long)]
    pub allow_remote: bool,
}

/// A message the sink stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivered {
    /// Envelope sender (empty for `<>`).
    pub from: String,
    /// Envelope recipients.
    pub to: Vec<String>,
    /// The maildir file.
    pub path: PathBuf,
    /// The http(s) links of the message (headers and decoded body), in order, once each.
    pub links: Vec<String>,
}

impl Delivered {
    /// The line the command prints for it.
    pub fn line(&self) -> String {
        let links = if self.links.is_empty() { "(no link)".to_string() } else { self.links.join(" ") };
        format!("mail-sink: message for {} → {links}  [{}]", self.to.join(", "), self.path.display())
    }
}

/// A bound sink.
#[derive(Debug)]
pub struct Sink {
    listener: TcpListener,
    maildir: PathBuf,
    max_message: usize,
    idle: Duration,
}

impl Sink {
    /// Binds `config.bind` and prepares the maildir; refuses an address
    /// that is not loopback unless `allow_remote`.
    pub async fn bind(config: &SinkConfig) -> anyhow::Result<Sink> {
        if !config.bind.ip().is_loopback() && !config.allow_remote {
            anyhow::bail!("{}: not a loopback address; the sink accepts mail from anyone who reaches it (--allow-remote)", config.bind);
        }
        for sub in ["tmp", "new", "cur"] {
            std::fs::create_dir_all(config.maildir.join(sub))
                .map_err(|e| anyhow::anyhow!("{}: cannot create the maildir: {e}", config.maildir.display()))?;
        }
        let listener = TcpListener::bind(config.bind).await.map_err(|e| anyhow::anyhow!("{}: {e}", config.bind))?;
        Ok(Sink {
            listener,
            maildir: config.maildir.clone(),
            max_message: config.max_message.max(MAX_LINE),
            idle: Duration::from_secs(config.idle_secs.max(1)),
        })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until the task is dropped; `on_message` is called once per
    /// stored message.
    pub async fn run(self, on_message: impl Fn(Delivered) + Send + Sync + 'static) {
        let on_message = Arc::new(on_message);
        let shared = Arc::new(Shared { maildir: self.maildir, max_message: self.max_message, idle: self.idle, seq: AtomicU64::new(0) });
        let slots = Arc::new(Semaphore::new(MAX_SESSIONS));
        loop {
            let Ok((stream, _)) = self.listener.accept().await else {
                // Out of descriptors and the like: wait instead of spinning.
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            };
            let Ok(slot) = slots.clone().acquire_owned().await else {
                return;
            };
            let (shared, on_message) = (shared.clone(), on_message.clone());
            tokio::spawn(async move {
                let _slot = slot;
                let _ = session(stream, &shared, &*on_message).await;
            });
        }
    }
}

struct Shared {
    maildir: PathBuf,
    max_message: usize,
    idle: Duration,
    seq: AtomicU64,
}

/// One line from the client.
#[derive(Debug, PartialEq, Eq)]
enum Line {
    /// Without its line ending.
    Text(Vec<u8>),
    /// Longer than [`MAX_LINE`]: read through its end and dropped.
    TooLong,
    /// The client closed (or dropped mid-line).
    Eof,
}

/// Reads one line of at most `max` octets (line ending included), in
/// bounded memory whatever the client sends.
async fn read_line<R: AsyncBufRead + Unpin>(r: &mut R, max: usize) -> io::Result<Line> {
    let mut buf = Vec::new();
    let mut too_long = false;
    loop {
        let avail = r.fill_buf().await?;
        if avail.is_empty() {
            return Ok(Line::Eof);
        }
        let (take, done) = match avail.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (avail.len(), false),
        };
        if !too_long {
            if buf.len() + take > max {
                too_long = true;
                buf = Vec::new();
            } else {
                buf.extend_from_slice(&avail[..take]);
            }
        }
        r.consume(take);
        if done {
            break;
        }
    }
    if too_long {
        return Ok(Line::TooLong);
    }
    while buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
        buf.pop();
    }
    Ok(Line::Text(buf))
}

async fn reply<W: AsyncWrite + Unpin>(w: &mut W, text: &str) -> io::Result<()> {
    w.write_all(text.as_bytes()).await?;
    w.write_all(b"\r\n").await?;
    w.flush().await
}

/// The address of `MAIL FROM:<a> …` / `RCPT TO:<a> …` after the colon,
/// and the parameters after it; `None` when malformed.
fn path_arg(rest: &str) -> Option<(String, &str)> {
    let rest = rest.trim_start();
    let inner = rest.strip_prefix('<')?;
    let end = inner.find('>')?;
    let addr = &inner[..end];
    if addr.bytes().any(|b| b.is_ascii_control() || b == b' ' || b == b'<') {
        return None;
    }
    Some((addr.to_string(), inner[end + 1..].trim()))
}

/// A `SIZE=n` parameter of MAIL.
fn size_param(params: &str) -> Option<u64> {
    params.split_whitespace().find_map(|p| p.get(..5).filter(|k| k.eq_ignore_ascii_case("SIZE=")).and_then(|_| p[5..].parse().ok()))
}

async fn session(stream: TcpStream, shared: &Shared, on_message: &(dyn Fn(Delivered) + Send + Sync)) -> io::Result<()> {
    let (r, mut w) = stream.into_split();
    let mut r = BufReader::new(r);
    let host = "fiable-mail-sink";
    reply(&mut w, &format!("220 {host} ESMTP fiable demo mail sink: messages are stored, never relayed")).await?;
    let mut greeted = false;
    let mut from: Option<String> = None;
    let mut to: Vec<String> = Vec::new();
    let mut errors = 0usize;
    loop {
        let line = match tokio::time::timeout(shared.idle, read_line(&mut r, MAX_LINE)).await {
            Ok(l) => l?,
            Err(_) => {
                let _ = reply(&mut w, "421 4.4.2 Idle for too long, closing").await;
                return Ok(());
            }
        };
        let text = match line {
            Line::Eof => return Ok(()),
            Line::Text(b) => String::from_utf8_lossy(&b).into_owned(),
            Line::TooLong => {
                errors += 1;
                if errors >= MAX_ERRORS {
                    let _ = reply(&mut w, "421 4.7.0 Too many errors, closing").await;
                    return Ok(());
                }
                reply(&mut w, "500 5.5.2 Line too long").await?;
                continue;
            }
        };
        let (verb, rest) = text.split_once(' ').unwrap_or((text.as_str(), ""));
        let verb = verb.to_ascii_uppercase();
        let answer: String = match verb.as_str() {
            "EHLO" | "HELO" if rest.trim().is_empty() => "501 5.5.4 Say who you are".into(),
            "EHLO" => {
                greeted = true;
                (from, to) = (None, Vec::new());
                // The client's name goes back in the reply: no control character, bounded.
                let name: String = rest.trim().chars().filter(|c| !c.is_control()).take(255).collect();
                format!("250-{host} greets {name}\r\n250-8BITMIME\r\n250-SIZE {}\r\n250 ENHANCEDSTATUSCODES", shared.max_message)
            }
            "HELO" => {
                greeted = true;
                (from, to) = (None, Vec::new());
                format!("250 {host}")
            }
            "MAIL" if !greeted => "503 5.5.1 Say EHLO first".into(),
            "MAIL" if from.is_some() => "503 5.5.1 A transaction is open already (RSET first)".into(),
            "MAIL" => match rest.get(..5).filter(|k| k.eq_ignore_ascii_case("FROM:")).and_then(|_| path_arg(&rest[5..])) {
                Some((_, params)) if size_param(params).is_some_and(|n| n > shared.max_message as u64) => {
                    format!("552 5.3.4 Message too big (at most {} octets)", shared.max_message)
                }
                Some((a, _)) => {
                    from = Some(a);
                    "250 2.1.0 Sender ok".into()
                }
                None => "501 5.5.4 Syntax: MAIL FROM:<address>".into(),
            },
            "RCPT" if from.is_none() => "503 5.5.1 MAIL first".into(),
            "RCPT" if to.len() >= MAX_RECIPIENTS => "452 4.5.3 Too many recipients".into(),
            "RCPT" => match rest.get(..3).filter(|k| k.eq_ignore_ascii_case("TO:")).and_then(|_| path_arg(&rest[3..])) {
                Some((a, _)) if !a.is_empty() => {
                    to.push(a);
                    "250 2.1.5 Recipient ok".into()
                }
                _ => "501 5.5.4 Syntax: RCPT TO:<address>".into(),
            },
            "DATA" if !rest.trim().is_empty() => "501 5.5.4 DATA takes no argument".into(),
            "DATA" if from.is_none() || to.is_empty() => "503 5.5.1 RCPT first".into(),
            "DATA" => {
                reply(&mut w, "354 End data with <CR><LF>.<CR><LF>").await?;
                let answer = match read_data(&mut r, shared).await? {
                    Data::Eof => return Ok(()),
                    Data::TooBig => format!("552 5.3.4 Message too big (at most {} octets)", shared.max_message),
                    Data::LineTooLong => "500 5.5.2 Line too long in the message".into(),
                    Data::Message(body) => {
                        let env_from = from.take().unwrap_or_default();
                        let rcpts = std::mem::take(&mut to);
                        match store(shared, &env_from, &rcpts, &body).await {
                            Ok(path) => {
                                let links = links(&String::from_utf8_lossy(&body));
                                on_message(Delivered { from: env_from, to: rcpts, path, links });
                                "250 2.0.0 Stored in the demo maildir".into()
                            }
                            Err(e) => {
                                tracing::warn!(error = %e, "mail-sink: the message could not be stored");
                                "451 4.3.0 Could not store the message".into()
                            }
                        }
                    }
                };
                (from, to) = (None, Vec::new());
                answer
            }
            "RSET" => {
                (from, to) = (None, Vec::new());
                "250 2.0.0 Reset".into()
            }
            "NOOP" => "250 2.0.0 Ok".into(),
            "VRFY" => "252 2.5.0 Cannot verify, send and see".into(),
            "QUIT" => {
                reply(&mut w, "221 2.0.0 Bye").await?;
                return Ok(());
            }
            _ => "500 5.5.2 Command not recognized".into(),
        };
        if answer.starts_with('5') {
            errors += 1;
            if errors >= MAX_ERRORS {
                let _ = reply(&mut w, "421 4.7.0 Too many errors, closing").await;
                return Ok(());
            }
        }
        reply(&mut w, &answer).await?;
    }
}

enum Data {
    Message(Vec<u8>),
    TooBig,
    LineTooLong,
    Eof,
}

/// Reads the message through the lone dot, unstuffing leading dots and
/// writing CRLF line endings; past a bound the rest is read and dropped
/// so the session stays in step.
async fn read_data<R: AsyncBufRead + Unpin>(r: &mut R, shared: &Shared) -> io::Result<Data> {
    let mut body = Vec::new();
    let (mut too_big, mut too_long) = (false, false);
    loop {
        let line = match tokio::time::timeout(shared.idle, read_line(r, MAX_LINE)).await {
            Ok(l) => l?,
            Err(_) => return Ok(Data::Eof),
        };
        let line = match line {
            Line::Eof => return Ok(Data::Eof),
            Line::TooLong => {
                too_long = true;
                continue;
            }
            Line::Text(l) => l,
        };
        if line == b"." {
            break;
        }
        let line = line.strip_prefix(b".").unwrap_or(&line);
        if body.len() + line.len() + 2 > shared.max_message {
            too_big = true;
            body = Vec::new();
        }
        if !too_big && !too_long {
            body.extend_from_slice(line);
            body.extend_from_slice(b"\r\n");
        }
    }
    Ok(if too_big {
        Data::TooBig
    } else if too_long {
        Data::LineTooLong
    } else {
        Data::Message(body)
    })
}

/// Writes the message in the maildir (`tmp/` then renamed into `new/`),
/// with the `Return-Path` and `Delivered-To` lines a delivery adds.
async fn store(shared: &Shared, from: &str, to: &[String], body: &[u8]) -> io::Result<PathBuf> {
    let mut file = format!("Return-Path: <{from}>\r\n").into_bytes();
    for t in to {
        file.extend_from_slice(format!("Delivered-To: {t}\r\n").as_bytes());
    }
    file.extend_from_slice(body);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let name = format!(
        "{}.M{}P{}Q{}.fiable-mail-sink",
        now.as_secs(),
        now.subsec_micros(),
        std::process::id(),
        shared.seq.fetch_add(1, Ordering::Relaxed)
    );
    let dir = shared.maildir.clone();
    tokio::task::spawn_blocking(move || write_maildir(&dir, &name, &file)).await.map_err(io::Error::other)?
}

fn write_maildir(dir: &Path, name: &str, content: &[u8]) -> io::Result<PathBuf> {
    use std::io::Write;
    let tmp = dir.join("tmp").join(name);
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts.open(&tmp)?;
    f.write_all(content)?;
    f.sync_all()?;
    let new = dir.join("new").join(name);
    std::fs::rename(&tmp, &new)?;
    Ok(new)
}

/// The http(s) links of a message: in its headers and its body, decoded
/// when the body is base64 or quoted-printable (a single-part message, as
/// the relay writes them).
pub fn links(message: &str) -> Vec<String> {
    let (head, body) = message.split_once("\r\n\r\n").or_else(|| message.split_once("\n\n")).unwrap_or((message, ""));
    let encoding = head
        .lines()
        .find_map(|l| l.split_once(':').filter(|(k, _)| k.trim().eq_ignore_ascii_case("content-transfer-encoding")).map(|(_, v)| v))
        .map(|v| v.trim().to_ascii_lowercase());
    let body = match encoding.as_deref() {
        Some("base64") => {
            let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
            base64::engine::general_purpose::STANDARD
                .decode(compact)
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_else(|_| body.to_string())
        }
        Some("quoted-printable") => quoted_printable(body),
        _ => body.to_string(),
    };
    let mut out: Vec<String> = Vec::new();
    for text in [head, body.as_str()] {
        let mut rest = text;
        while let Some(i) = ["http://", "https://"].iter().filter_map(|s| rest.find(s)).min() {
            let tail = &rest[i..];
            let end = tail.find(|c: char| c.is_whitespace() || "<>\"'`".contains(c)).unwrap_or(tail.len());
            let link = tail[..end].trim_end_matches(['.', ',', ';', ':', ')', ']']);
            if link.len() > "https://".len() && !out.iter().any(|l| l == link) {
                out.push(link.to_string());
            }
            rest = &tail[end.max(1)..];
        }
    }
    out
}

/// Decodes quoted-printable text (RFC 2045 §6.7): `=XX` octets and `=`
/// soft line breaks; anything malformed is kept as is.
fn quoted_printable(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'=' {
            if b[i + 1..].starts_with(b"\r\n") {
                i += 3;
                continue;
            }
            if b[i + 1..].starts_with(b"\n") {
                i += 2;
                continue;
            }
            let hex = b.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok()).and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(v) = hex {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn lines_are_bounded_and_overlong_ones_are_read_through_their_end() {
        let input = format!("EHLO a\r\n{}\r\nNOOP\nlast", "x".repeat(5000));
        let mut r = BufReader::with_capacity(64, input.as_bytes());
        assert_eq!(read_line(&mut r, MAX_LINE).await.unwrap(), Line::Text(b"EHLO a".to_vec()));
        assert_eq!(read_line(&mut r, MAX_LINE).await.unwrap(), Line::TooLong);
        assert_eq!(read_line(&mut r, MAX_LINE).await.unwrap(), Line::Text(b"NOOP".to_vec()));
        assert_eq!(read_line(&mut r, MAX_LINE).await.unwrap(), Line::Eof, "a line cut by the end of the stream");
        let exact = format!("{}\r\n", "y".repeat(MAX_LINE - 2));
        let mut r = BufReader::with_capacity(7, exact.as_bytes());
        assert_eq!(read_line(&mut r, MAX_LINE).await.unwrap(), Line::Text(vec![b'y'; MAX_LINE - 2]));
    }

    #[test]
    fn links_are_found_in_plain_base64_and_quoted_printable_bodies() {
        let b64 = crate::smtp::relay::compose("a@x", "b@y", "S", "Ouvrez :\nhttps://h.example/v1/c?token=abc.12.ff\nMerci.", "x");
        assert_eq!(links(&b64), ["https://h.example/v1/c?token=abc.12.ff"]);
        let qp = "Content-Transfer-Encoding: quoted-printable\r\n\r\nLien : http://127.0.0.1:8787/v1/consents/confirm?token=3Dno=\r\npe=3D1.\r\n";
        assert_eq!(links(qp), ["http://127.0.0.1:8787/v1/consents/confirm?token=nope=1"]);
        assert_eq!(links("Subject: x\n\nsee <http://a.example/x>, and http://a.example/x."), ["http://a.example/x"]);
        assert!(links("no link, http:// alone, https://").is_empty());
        assert_eq!(quoted_printable("a=\nb=ZZ="), "ab=ZZ=");
    }

    #[test]
    fn path_arguments_and_size() {
        assert_eq!(path_arg("<a@b> SIZE=12"), Some(("a@b".into(), "SIZE=12")));
        assert_eq!(path_arg(" <>"), Some((String::new(), "")));
        assert_eq!(path_arg("a@b"), None);
        assert_eq!(path_arg("<a b@c>"), None);
        assert_eq!(size_param("BODY=8BITMIME size=99"), Some(99));
        assert_eq!(size_param("SIZE=x"), None);
    }
}
