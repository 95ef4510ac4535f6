//! The subjects vault's cryptography: the service's index key (blind
//! indexes, HMAC-SHA256) and per-subject keys that seal contact data
//! (ChaCha20-Poly1305, random 96-bit nonce, the record id as associated
//! data). The ledger only ever holds the sealed form, so destroying a
//! subject's key erases the person while every hash still verifies.
//!
//! Keys live outside the ledger: the index key in a file (mode 0600,
//! created at first start, like the receipt signing key), subject keys in
//! the store's mutable `subject_keys` table, which erasure deletes from,
//! only ever wrapped (ChaCha20-Poly1305) under the key-encryption key
//! ([`Kek`]), which never enters the database.
use std::io::Write;
use std::path::Path;

use anyhow::Context;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use fiable_consent::{Sealed, SubjectData, hex};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::sign::{self, Signer};

/// The AEAD of [`Sealed::alg`].
pub const ALG: &str = "chacha20poly1305";

/// Fills `buf` with OS randomness.
pub fn random(buf: &mut [u8]) -> Result<(), getrandom::Error> {
    getrandom::getrandom(buf)
}

/// The service's secret key of the blind indexes (HMAC-SHA256).
#[derive(Clone)]
pub struct IndexKey([u8; 32]);

impl std::fmt::Debug for IndexKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IndexKey(…)")
    }
}

impl IndexKey {
    /// A key around 32 bytes.
    pub fn from_bytes(k: [u8; 32]) -> Self {
        IndexKey(k)
    }

    /// A key derived from the receipt signing key (deterministic Ed25519
    /// signature of a label): for embedders and tests that give none.
    pub fn derived_from(signer: &Signer) -> Self {
        let sig = signer.sign(b"fiable-consent-index-key/1");
        IndexKey(fiable_consent::sha256(format!("fiable-consent-index-key/1\n{sig}").as_bytes()))
    }

    /// Reads the key file (64 hex digits), or creates it with mode 0600.
    pub fn load_or_create(path: &Path) -> anyhow::Result<Self> {
        Ok(IndexKey(load_or_create_secret(path, "consent index key")?))
    }

    /// Its id and key-check value.
    pub fn id_and_check(&self) -> (String, String) {
        (key_id("index", &self.0), check_value("index", &self.0))
    }

    /// The blind index of one normalised value: HMAC-SHA256 of
    /// `kind NUL value`, lowercase hex. Without the key nobody can tell
    /// which value it stands for, even by trying every phone number.
    pub fn digest(&self, kind: &str, value: &str) -> String {
        // HMAC zero-pads keys shorter than its block: this is the 32-byte key.
        let mut block = [0u8; 64];
        block[..32].copy_from_slice(&self.0);
        let mut m = <Hmac<Sha256> as hmac::digest::KeyInit>::new(&block.into());
        m.update(kind.as_bytes());
        m.update(&[0]);
        m.update(value.as_bytes());
        hex(&m.finalize().into_bytes())
    }
}

/// The key-encryption key (KEK): wraps every per-subject key before it
/// is written to the database, so a copy of the database (a backup, a
/// stolen disk) without the KEK opens no sealed contact data. Loaded from
/// a file or the environment at start (`--consent-kek`); a KMS would
/// stand in [`Kek::wrap`] / [`Kek::unwrap`].
#[derive(Clone)]
pub struct Kek([u8; 32]);

impl std::fmt::Debug for Kek {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Kek({})", self.id())
    }
}

/// Prefix of a wrapped subject key: `kek1:` nonce hex `:` ciphertext hex.
const WRAPPED: &str = "kek1:";

impl Kek {
    /// A KEK around 32 bytes.
    pub fn from_bytes(k: [u8; 32]) -> Self {
        Kek(k)
    }

    /// A KEK derived from the receipt signing key, for embedders and tests
    /// that give none (like [`IndexKey::derived_from`]); the service reads
    /// its own with [`Kek::load`].
    pub fn derived_from(signer: &Signer) -> Self {
        let sig = signer.sign(b"fiable-consent-kek/1");
        Kek(fiable_consent::sha256(format!("fiable-consent-kek/1\n{sig}").as_bytes()))
    }

    /// The KEK from `hex_env` (the key itself, 64 hex digits) when that is
    /// set, else from the file `path`, created with mode 0600 only when
    /// `create` (a brand-new database: never next to existing data).
    pub fn load(path: &Path, hex_env: Option<&str>, create: bool) -> anyhow::Result<Self> {
        if let Some(h) = hex_env {
            return sign::parse_hex::<32>(h.trim()).map(Kek).context("FIABLE_CONSENT_KEK_HEX: not 64 hex digits");
        }
        if !create && !path.exists() {
            anyhow::bail!(
                "{}: the consent key-encryption key (KEK) file is missing and the database already holds data: refusing to \
                 generate a new key next to it. Restore the KEK file, or give it with --consent-kek / FIABLE_CONSENT_KEK_HEX",
                path.display()
            );
        }
        Ok(Kek(load_or_create_secret(path, "consent key-encryption key")?))
    }

    /// Its id (printed, stored with the wrapped keys).
    pub fn id(&self) -> String {
        key_id("kek", &self.0)
    }

    /// Its key-check value (stored in `key_checks`: a wrong KEK is refused
    /// at start, before any unwrap fails).
    pub fn check_value(&self) -> String {
        check_value("kek", &self.0)
    }

    /// Wraps a subject key (hex) for `subject`: the subject is associated
    /// data, so a wrapped key copied onto another subject's row does not
    /// open. `None` when the key is malformed or no randomness.
    pub fn wrap(&self, subject: &str, key_hex: &str) -> Option<String> {
        let key = sign::parse_hex::<32>(key_hex)?;
        let mut nonce = [0u8; 12];
        random(&mut nonce).ok()?;
        let aad = wrap_aad(subject);
        let ct =
            ChaCha20Poly1305::new(Key::from_slice(&self.0)).encrypt(Nonce::from_slice(&nonce), Payload { msg: &key, aad: &aad }).ok()?;
        Some(format!("{WRAPPED}{}:{}", hex(&nonce), hex(&ct)))
    }

    /// The subject key (hex) of a wrapped one; `None` under another KEK,
    /// for another subject, or when changed.
    pub fn unwrap(&self, subject: &str, wrapped: &str) -> Option<String> {
        let (nonce, ct) = wrapped.strip_prefix(WRAPPED)?.split_once(':')?;
        let nonce = sign::parse_hex::<12>(nonce)?;
        let ct = parse_hex_vec(ct)?;
        let aad = wrap_aad(subject);
        let key =
            ChaCha20Poly1305::new(Key::from_slice(&self.0)).decrypt(Nonce::from_slice(&nonce), Payload { msg: &ct, aad: &aad }).ok()?;
        (key.len() == 32).then(|| hex(&key))
    }
}

fn wrap_aad(subject: &str) -> Vec<u8> {
    format!("fiable-subject-key/1\n{subject}").into_bytes()
}

/// The key-check value of a secret key: the first 16 hex digits of
/// SHA-256 over a label, the key's role and the key. Stored with the data
/// (`key_checks`), it tells a wrong key file from the right one at start.
pub fn check_value(role: &str, key: &[u8; 32]) -> String {
    let mut m = b"fiable-key-check/1\n".to_vec();
    m.extend_from_slice(role.as_bytes());
    m.push(b'\n');
    m.extend_from_slice(key);
    fiable_consent::sha256_hex(&m)[..16].to_string()
}

/// A secret key's id: like [`check_value`] under another label, so the id
/// can be printed and logged.
pub fn key_id(role: &str, key: &[u8; 32]) -> String {
    let mut m = b"fiable-key-id/1\n".to_vec();
    m.extend_from_slice(role.as_bytes());
    m.push(b'\n');
    m.extend_from_slice(key);
    fiable_consent::sha256_hex(&m)[..16].to_string()
}

/// Reads a 32-byte secret (64 hex digits) from `path`, or creates the file
/// with a random one, mode 0600, when it does not exist.
pub fn load_or_create_secret(path: &Path, what: &str) -> anyhow::Result<[u8; 32]> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(path)?.permissions().mode();
                if mode & 0o077 != 0 {
                    tracing::warn!(mode = format!("{:o}", mode & 0o777), "{what} file is readable by others; chmod 600 it");
                }
            }
            sign::parse_hex::<32>(text.trim()).with_context(|| format!("{}: not a 64-hex-digit {what}", path.display()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut k = [0u8; 32];
            random(&mut k).map_err(|e| anyhow::anyhow!("no randomness for the {what}: {e}"))?;
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
            let mut f = opts.open(path).with_context(|| format!("creating {}", path.display()))?;
            writeln!(f, "{}", hex(&k))?;
            f.sync_all()?;
            tracing::info!(path = %path.display(), "generated a new {what}");
            Ok(k)
        }
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

/// A fresh per-subject key, lowercase hex.
pub fn new_subject_key() -> Result<String, getrandom::Error> {
    let mut k = [0u8; 32];
    random(&mut k)?;
    Ok(hex(&k))
}

/// A fresh pseudonymous subject reference: `s_` and 128 random bits.
pub fn new_subject_ref() -> Result<String, getrandom::Error> {
    let mut b = [0u8; 16];
    random(&mut b)?;
    Ok(format!("s_{}", hex(&b)))
}

/// Encrypts the canonical JSON of `data` under the subject key (hex),
/// bound to `record_id`. `None` when the key is malformed or no
/// randomness is available.
pub fn seal(key_hex: &str, record_id: &str, data: &SubjectData) -> Option<Sealed> {
    let key = sign::parse_hex::<32>(key_hex)?;
    let mut nonce = [0u8; 12];
    random(&mut nonce).ok()?;
    let plain = data.to_json().canonical();
    let ct = ChaCha20Poly1305::new(Key::from_slice(&key))
        .encrypt(Nonce::from_slice(&nonce), Payload { msg: plain.as_bytes(), aad: record_id.as_bytes() })
        .ok()?;
    Some(Sealed { alg: ALG.into(), nonce: hex(&nonce), ciphertext: hex(&ct) })
}

/// Decrypts a sealed part: the JSON of the subject data, or `None` when
/// the key is not the one it was sealed with (or was destroyed and
/// replaced), or the ciphertext was changed.
pub fn open(key_hex: &str, record_id: &str, sealed: &Sealed) -> Option<serde_json::Value> {
    if sealed.alg != ALG {
        return None;
    }
    let key = sign::parse_hex::<32>(key_hex)?;
    let nonce = sign::parse_hex::<12>(&sealed.nonce)?;
    let ct = parse_hex_vec(&sealed.ciphertext)?;
    let plain = ChaCha20Poly1305::new(Key::from_slice(&key))
        .decrypt(Nonce::from_slice(&nonce), Payload { msg: &ct, aad: record_id.as_bytes() })
        .ok()?;
    serde_json::from_slice(&plain).ok()
}

fn parse_hex_vec(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| s.get(i..i + 2).and_then(|b| u8::from_str_radix(b, 16).ok())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealing_round_trips_and_binds_the_key_and_record() {
        let data = SubjectData { email: Some("jean@example.fr".into()), last_name: Some("Lefèvre".into()), ..SubjectData::default() };
        let k = new_subject_key().unwrap();
        let s = seal(&k, "rec-1", &data).unwrap();
        assert!(!s.ciphertext.contains(&hex(b"jean")));
        let back = open(&k, "rec-1", &s).unwrap();
        assert_eq!(back["email"], "jean@example.fr");
        assert_eq!(back["last_name"], "Lefèvre");
        assert!(open(&new_subject_key().unwrap(), "rec-1", &s).is_none(), "another key");
        assert!(open(&k, "rec-2", &s).is_none(), "another record");
        let mut t = s.clone();
        t.ciphertext.replace_range(0..2, if &t.ciphertext[0..2] == "00" { "01" } else { "00" });
        assert!(open(&k, "rec-1", &t).is_none(), "changed ciphertext");
        assert_ne!(seal(&k, "rec-1", &data).unwrap().nonce, s.nonce, "fresh nonce");
    }

    #[test]
    fn wrapping_round_trips_and_binds_the_kek_and_subject() {
        let kek = Kek::from_bytes([3; 32]);
        let k = new_subject_key().unwrap();
        let w = kek.wrap("s_a", &k).unwrap();
        assert!(!w.contains(&k), "the key in clear");
        assert_eq!(kek.unwrap("s_a", &w).as_deref(), Some(k.as_str()));
        assert!(Kek::from_bytes([4; 32]).unwrap("s_a", &w).is_none(), "another KEK");
        assert!(kek.unwrap("s_b", &w).is_none(), "another subject");
        assert!(kek.unwrap("s_a", &k).is_none(), "a clear key is not a wrapped one");
        let mut t = w.clone();
        let last = t.pop().unwrap();
        t.push(if last == '0' { '1' } else { '0' });
        assert!(kek.unwrap("s_a", &t).is_none(), "changed");
        assert_ne!(kek.id(), Kek::from_bytes([4; 32]).id());
        assert_ne!(kek.check_value(), kek.id());
    }

    #[test]
    fn digests_depend_on_the_key_and_the_kind() {
        let a = IndexKey::from_bytes([1; 32]);
        let b = IndexKey::from_bytes([2; 32]);
        assert_eq!(a.digest("email", "x@y.fr"), a.digest("email", "x@y.fr"));
        assert_ne!(a.digest("email", "x@y.fr"), b.digest("email", "x@y.fr"));
        assert_ne!(a.digest("email", "x@y.fr"), a.digest("phone", "x@y.fr"));
        assert_eq!(a.digest("name", "A").len(), 64);
    }
}
