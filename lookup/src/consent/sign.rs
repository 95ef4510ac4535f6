//! Ed25519 keys of the ledger: the signing key lives in a file (created
//! with mode 0600 on first start), receipts carry the public key in hex.
use std::io::Write;
use std::path::Path;

use anyhow::Context;
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier, VerifyingKey};

/// The service's signing key. Clone: the store's group commit runs an
/// append (and its signature) on the thread that leads the batch.
#[derive(Clone)]
pub struct Signer {
    key: SigningKey,
    public_hex: String,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer").field("public_key", &self.public_hex).finish_non_exhaustive()
    }
}

impl Signer {
    /// A signer around a 32-byte seed.
    pub fn from_seed(seed: [u8; 32]) -> Self {
        let key = SigningKey::from_bytes(&seed);
        let public_hex = fiable_consent::hex(key.verifying_key().as_bytes());
        Signer { key, public_hex }
    }

    /// A fresh random key (tests, first start).
    pub fn generate() -> anyhow::Result<Self> {
        let mut seed = [0u8; 32];
        getrandom::getrandom(&mut seed).map_err(|e| anyhow::anyhow!("no randomness for the signing key: {e}"))?;
        Ok(Self::from_seed(seed))
    }

    /// Reads the key file (64 hex digits of the seed), or creates it with
    /// permissions 0600 when it does not exist.
    pub fn load_or_create(path: &Path) -> anyhow::Result<Self> {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    let mode = std::fs::metadata(path)?.permissions().mode();
                    if mode & 0o077 != 0 {
                        tracing::warn!(
                            mode = format!("{:o}", mode & 0o777),
                            "consent signing key file is readable by others; chmod 600 it"
                        );
                    }
                }
                let seed = parse_hex::<32>(text.trim()).with_context(|| format!("{}: not a 64-hex-digit Ed25519 seed", path.display()))?;
                Ok(Self::from_seed(seed))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let signer = Self::generate()?;
                let mut opts = std::fs::OpenOptions::new();
                opts.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
                let mut f = opts.open(path).with_context(|| format!("creating {}", path.display()))?;
                writeln!(f, "{}", fiable_consent::hex(&signer.key.to_bytes()))?;
                f.sync_all()?;
                tracing::info!(public_key = %signer.public_hex, "generated a new consent signing key");
                Ok(signer)
            }
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }

    /// Reads the key file; never creates one (see [`Self::load_or_create`]).
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let seed = parse_hex::<32>(text.trim()).with_context(|| format!("{}: not a 64-hex-digit Ed25519 seed", path.display()))?;
        Ok(Self::from_seed(seed))
    }

    /// The seed's key-check value: 16 hex digits that tell whether a key
    /// file holds this key, without revealing it.
    pub fn check_value(&self) -> String {
        super::vault::check_value("signing", &self.key.to_bytes())
    }

    /// The public key, lowercase hex (64 digits).
    pub fn public_key_hex(&self) -> &str {
        &self.public_hex
    }

    /// Signs `msg`; the signature in lowercase hex (128 digits).
    pub fn sign(&self, msg: &[u8]) -> String {
        fiable_consent::hex(&self.key.sign(msg).to_bytes())
    }
}

/// Checks a hex signature of `msg` under a hex public key.
pub fn verify(public_key_hex: &str, msg: &[u8], signature_hex: &str) -> Result<(), &'static str> {
    let pk = parse_hex::<32>(public_key_hex).ok_or("public key is not 64 hex digits")?;
    let pk = VerifyingKey::from_bytes(&pk).map_err(|_| "public key is not an Ed25519 point")?;
    let sig = parse_hex::<64>(signature_hex).ok_or("signature is not 128 hex digits")?;
    pk.verify(msg, &Signature::from_bytes(&sig)).map_err(|_| "signature does not verify")
}

/// Parses exactly `N` bytes of lowercase or uppercase hex.
pub fn parse_hex<const N: usize>(s: &str) -> Option<[u8; N]> {
    let b = s.as_bytes();
    if b.len() != 2 * N {
        return None;
    }
    let nib = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    let mut out = [0u8; N];
    for (i, o) in out.iter_mut().enumerate() {
        *o = nib(b[2 * i])? << 4 | nib(b[2 * i + 1])?;
    }
    Some(out)
}
