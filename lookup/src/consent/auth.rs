//! Scoped API keys: `advisor` (advisor capture, duplicate check) and
//! `admin` (subject access, withdrawal, erasure; also everything an
//! advisor may do). Keys are kept as SHA-256 digests and compared in
//! constant time, every configured key each time.
use axum::http::{HeaderMap, header};

/// What a key may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    /// Store and phone records, `POST /v1/match`.
    Advisor,
    /// The subject-rights routes, and what an advisor may do.
    Admin,
}

impl Scope {
    /// Parses `advisor` / `admin`.
    pub fn parse(s: &str) -> Option<Scope> {
        match s {
            "advisor" => Some(Scope::Advisor),
            "admin" => Some(Scope::Admin),
            _ => None,
        }
    }
}

fn long_enough(key: &str) -> Result<(), String> {
    if key.len() < MIN_KEY_LEN {
        return Err(format!("an API key of {} bytes is too short: at least {MIN_KEY_LEN} (e.g. `openssl rand -hex 16`)", key.len()));
    }
    Ok(())
}

/// The configured keys.
#[derive(Clone, Debug, Default)]
pub struct ApiKeys {
    keys: Vec<(Scope, [u8; 32])>,
}

impl ApiKeys {
    /// Keys from `scope:key` specs (`--api-key`, `FIABLE_API_KEYS`) and the
    /// `--admin-key` shorthand. Keys shorter than [`MIN_KEY_LEN`] bytes
    /// are refused (`make demo` draws fresh random ones).
    pub fn parse(specs: &[String], admin_key: Option<&str>) -> Result<Self, String> {
        let mut k = ApiKeys::default();
        for spec in specs.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
            let (scope, key) = spec.split_once(':').ok_or("an API key is `advisor:<key>` or `admin:<key>`")?;
            let scope = Scope::parse(scope).ok_or("an API key scope is `advisor` or `admin`")?;
            if key.trim().is_empty() {
                return Err("an API key is empty".into());
            }
            long_enough(key.trim())?;
            k.add(scope, key.trim());
        }
        if let Some(a) = admin_key.filter(|a| !a.is_empty()) {
            long_enough(a)?;
            k.add(Scope::Admin, a);
        }
        Ok(k)
    }

    /// Adds a key.
    pub fn add(&mut self, scope: Scope, key: &str) {
        self.keys.push((scope, fiable_consent::sha256(key.as_bytes())));
    }

    /// The widest scope `given` holds, comparing digests in constant time
    /// against every key (no early exit: timing tells nothing).
    pub fn scope_of(&self, given: &str) -> Option<Scope> {
        let got = fiable_consent::sha256(given.as_bytes());
        let mut best = None;
        for (scope, want) in &self.keys {
            let diff = want.iter().zip(got.iter()).fold(0u8, |acc, (a, b)| acc | (a ^ b));
            if diff == 0 {
                best = best.max(Some(*scope));
            }
        }
        best
    }

    /// Whether no key is configured at all.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The scope of the request's `Authorization: Bearer` (or `X-Api-Key`).
    pub fn scope_of_request(&self, headers: &HeaderMap) -> Option<Scope> {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .or_else(|| headers.get("x-api-key").and_then(|v| v.to_str().ok()))?;
        self.scope_of(given.trim())
    }
}

/// Shortest API key accepted at start, in bytes: a shorter one can be
/// guessed by anyone who can send requests.
pub const MIN_KEY_LEN: usize = 16;

/// The capability to withdraw one record without an API key: a MAC of its
/// id under the service's index key, handed once to whoever submitted the
/// record (in the receipt). Nothing is stored, and without the index key
/// nobody can make one for another record.
pub fn withdraw_token(index_key: &super::vault::IndexKey, record_id: &str) -> String {
    index_key.digest("withdraw-capability", record_id)
}

/// Whether `given` is the withdrawal capability of `record_id` (constant time).
pub fn is_withdraw_token(index_key: &super::vault::IndexKey, record_id: &str, given: &str) -> bool {
    let want = withdraw_token(index_key, record_id);
    want.len() == given.len() && want.bytes().zip(given.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn withdraw_tokens_are_bound_to_the_record_and_the_key() {
        let k = super::super::vault::IndexKey::from_bytes([7; 32]);
        let t = withdraw_token(&k, "rec-1");
        assert!(is_withdraw_token(&k, "rec-1", &t));
        assert!(!is_withdraw_token(&k, "rec-2", &t));
        assert!(!is_withdraw_token(&super::super::vault::IndexKey::from_bytes([8; 32]), "rec-1", &t));
        assert!(!is_withdraw_token(&k, "rec-1", &t[..63]));
        assert!(!is_withdraw_token(&k, "rec-1", ""));
    }

    #[test]
    fn scopes_parse_and_admin_outranks_advisor() {
        let k = ApiKeys::parse(&["advisor:adv-1-0123456789ab".into(), " admin:adm-1-0123456789ab".into()], Some("legacy-0123456789ab"))
            .unwrap();
        assert_eq!(k.scope_of("adv-1-0123456789ab"), Some(Scope::Advisor));
        assert_eq!(k.scope_of("adm-1-0123456789ab"), Some(Scope::Admin));
        assert_eq!(k.scope_of("legacy-0123456789ab"), Some(Scope::Admin));
        assert_eq!(k.scope_of("adv-1-0123456789a"), None);
        assert_eq!(k.scope_of(""), None);
        assert!(Scope::Admin > Scope::Advisor);
        assert!(ApiKeys::parse(&["root:x".into()], None).is_err());
        assert!(ApiKeys::parse(&["advisor:".into()], None).is_err());
        assert!(ApiKeys::parse(&["nokey".into()], None).is_err());
        // The same key under both scopes counts as admin.
        let both = ApiKeys::parse(&["advisor:k-0123456789abcdef".into(), "admin:k-0123456789abcdef".into()], None).unwrap();
        assert_eq!(both.scope_of("k-0123456789abcdef"), Some(Scope::Admin));
    }

    #[test]
    fn keys_shorter_than_16_bytes_are_refused_at_start() {
        for short in ["advisor:demo-advisor", "admin:123456789012345", "admin:x"] {
            let e = ApiKeys::parse(&[short.into()], None).unwrap_err();
            assert!(e.contains("too short"), "{short}: {e}");
        }
        assert!(ApiKeys::parse(&[], Some("fifteen-bytes!!")).unwrap_err().contains("too short"));
        assert!(ApiKeys::parse(&["admin:0123456789abcdef".into()], Some("0123456789abcdef")).is_ok());
    }
}
