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

/// The configured keys.
#[derive(Clone, Debug, Default)]
pub struct ApiKeys {
    keys: Vec<(Scope, [u8; 32])>,
}

impl ApiKeys {
    /// Keys from `scope:key` specs (`--api-key`, `FIABLE_API_KEYS`) and the
    /// `--admin-key` shorthand. Empty keys are refused.
    pub fn parse(specs: &[String], admin_key: Option<&str>) -> Result<Self, String> {
        let mut k = ApiKeys::default();
        for spec in specs.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
            let (scope, key) = spec.split_once(':').ok_or("an API key is `advisor:<key>` or `admin:<key>`")?;
            let scope = Scope::parse(scope).ok_or("an API key scope is `advisor` or `admin`")?;
            if key.trim().is_empty() {
                return Err("an API key is empty".into());
            }
            k.add(scope, key.trim());
        }
        if let Some(a) = admin_key.filter(|a| !a.is_empty()) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_and_admin_outranks_advisor() {
        let k = ApiKeys::parse(&["advisor:adv-1".into(), " admin:adm-1".into()], Some("legacy")).unwrap();
        assert_eq!(k.scope_of("adv-1"), Some(Scope::Advisor));
        assert_eq!(k.scope_of("adm-1"), Some(Scope::Admin));
        assert_eq!(k.scope_of("legacy"), Some(Scope::Admin));
        assert_eq!(k.scope_of("adv-"), None);
        assert_eq!(k.scope_of(""), None);
        assert!(Scope::Admin > Scope::Advisor);
        assert!(ApiKeys::parse(&["root:x".into()], None).is_err());
        assert!(ApiKeys::parse(&["advisor:".into()], None).is_err());
        assert!(ApiKeys::parse(&["nokey".into()], None).is_err());
        // The same key under both scopes counts as admin.
        let both = ApiKeys::parse(&["advisor:k".into(), "admin:k".into()], None).unwrap();
        assert_eq!(both.scope_of("k"), Some(Scope::Admin));
    }
}
