//! When a "this domain does not exist" from DNS may be believed.
//!
//! A resolver can lie: an offline laptop, a captive portal or a
//! split-horizon corporate DNS answers NXDOMAIN for every outside name,
//! and a person typing `jean@gmail.com` would be told their provider does
//! not exist. So a negative DNS answer (no such domain, or no mail) turns
//! an address invalid only when nothing speaks against it: the resolver has
//! proven itself (its canaries resolve), the domain is not one of the real
//! mailbox providers and companies of fiable's own tables, and the domain
//! did not resolve a short while ago (domains do not vanish overnight;
//! resolvers do break). Otherwise the answer is "unknown" and the form's
//! local verdict stands.

use super::lists;

/// True when the domain is in fiable's curated tables of real mailbox
/// providers (`gmail.com`, `orange.fr`…) and the companies behind them
/// (`google.com`, `orange.com`…): domains known to exist and take mail,
/// whatever a resolver says. Any spelling: case, trailing dot, IDN.
pub fn is_known_mail_domain(domain: &str) -> bool {
    super::lookup_form(domain).is_some_and(|d| super::typo::provider_list().any(|(p, _)| p == d) || lists::real().contains(&d))
}

/// Why a negative DNS answer is not believed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Doubt {
    /// The resolver's canaries (names that must exist) do not resolve.
    ResolverUnproven,
    /// The domain is a real provider of fiable's tables ([`is_known_mail_domain`]).
    KnownProvider,
    /// The same domain received mail a short while ago.
    ResolvedRecently,
}

impl Doubt {
    /// A stable label (metrics, logs).
    pub fn label(self) -> &'static str {
        match self {
            Doubt::ResolverUnproven => "resolver_unproven",
            Doubt::KnownProvider => "known_provider",
            Doubt::ResolvedRecently => "resolved_recently",
        }
    }
}

/// Whether a negative DNS answer (NXDOMAIN, or no mail) for `domain` may
/// turn it invalid: `None` when it stands, else the first reason to doubt
/// it, the answer then being "unknown". `resolver_proven`: the canaries
/// resolved at the last check; `resolved_recently`: the domain was seen
/// accepting mail within the service's suspicion window.
pub fn doubt_negative_answer(domain: &str, resolver_proven: bool, resolved_recently: bool) -> Option<Doubt> {
    if !resolver_proven {
        Some(Doubt::ResolverUnproven)
    } else if is_known_mail_domain(domain) {
        Some(Doubt::KnownProvider)
    } else if resolved_recently {
        Some(Doubt::ResolvedRecently)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn big_providers_and_their_companies_are_known_in_any_spelling() {
        for d in ["gmail.com", "GMAIL.com.", " orange.fr", "outlook.com", "yahoo.com", "laposte.net", "google.com", "orange.com"] {
            assert!(is_known_mail_domain(d), "{d}");
        }
        // A typo of a provider, an unknown company, junk: not known.
        for d in ["gmial.com", "exemple-inconnu.fr", "", "@", "gmail", "a..b"] {
            assert!(!is_known_mail_domain(d), "{d}");
        }
    }

    #[test]
    fn a_negative_answer_stands_only_when_nothing_speaks_against_it() {
        assert_eq!(doubt_negative_answer("nope-xyz.fr", true, false), None);
        assert_eq!(doubt_negative_answer("nope-xyz.fr", false, false), Some(Doubt::ResolverUnproven));
        assert_eq!(doubt_negative_answer("gmail.com", true, false), Some(Doubt::KnownProvider));
        assert_eq!(doubt_negative_answer("nope-xyz.fr", true, true), Some(Doubt::ResolvedRecently));
        // An unproven resolver is the first thing said, whatever the domain.
        assert_eq!(doubt_negative_answer("gmail.com", false, true).map(Doubt::label), Some("resolver_unproven"));
    }
}
