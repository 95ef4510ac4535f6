//! Email addresses, the practical rule of signup forms (not full RFC 5322).
//!
//! Accepted: a dot-atom local part (letters, digits, ``!#$%&'*+/=?^_`{|}~-``
//! and single dots inside), at most 64 bytes; an `@`; a domain of at least two
//! labels of letters, digits and inner hyphens (1–63 bytes each) ending in a
//! TLD that exists (IANA list); 254 bytes in all. Internationalised domains
//! are accepted and normalised to punycode. Refused, each with its own code:
//! quoted local parts, comments, IP literals, spaces, several `@`… A local
//! part with accented letters (RFC 6531) is a warning: the address may exist,
//! but most mail services (Gmail, Outlook, Orange…) refuse to create or
//! deliver to one, so we say so and offer the unaccented form.
//!
//! Warnings, most important first: a mistyped provider domain or TLD (with a
//! one-click suggestion, see [`typo`]), an accented local part, a disposable
//! domain, a role account (contact@, info@…). `details.free` tells a free
//! mailbox from a business one.
//!
//! The browser build fetches the providers, the TLDs and the other lists
//! as a chunk (see `lists`);
//! the lookup service loads the full public lists with [`DomainList`] and
//! [`check_with`].

#![allow(clippy::result_large_err)] // checks return the verdict itself as their error

pub mod idna;
pub mod known;
pub(crate) mod lists;
pub mod typo;

use crate::messages::Msg;
use crate::{Options, Verdict};

/// Messages of this module.
pub(crate) const MESSAGES: &[Msg] = &[
    Msg { code: "email.pending", en: "Checking the address…", fr: "Vérification de l'adresse…" },
    Msg { code: "email.valid", en: "", fr: "" },
    Msg { code: "email.missing_at", en: "An email address needs an @.", fr: "Une adresse e-mail doit contenir un @." },
    Msg { code: "email.several_at", en: "An email address has only one @.", fr: "Une adresse e-mail ne contient qu’un seul @." },
    Msg { code: "email.space", en: "An email address cannot contain spaces.", fr: "Une adresse e-mail ne peut pas contenir d’espace." },
    Msg { code: "email.empty_local", en: "Something is missing before the @.", fr: "Il manque la partie avant le @." },
    Msg { code: "email.empty_domain", en: "The domain after the @ is missing.", fr: "Il manque le domaine après le @." },
    Msg {
        code: "email.quoted_local",
        en: "Quoted addresses are not accepted.",
        fr: "Les adresses entre guillemets ne sont pas acceptées.",
    },
    Msg {
        code: "email.comment",
        en: "Parentheses are not allowed in an email address.",
        fr: "Les parenthèses ne sont pas autorisées dans une adresse e-mail.",
    },
    Msg {
        code: "email.ip_literal",
        en: "Use a domain name after the @, not an IP address.",
        fr: "Indiquez un nom de domaine après le @, pas une adresse IP.",
    },
    Msg {
        code: "email.local_dot",
        en: "The part before the @ cannot start or end with a dot.",
        fr: "La partie avant le @ ne peut ni commencer ni finir par un point.",
    },
    Msg {
        code: "email.consecutive_dots",
        en: "An email address cannot contain two dots in a row.",
        fr: "Une adresse e-mail ne peut pas contenir deux points à la suite.",
    },
    Msg {
        code: "email.invalid_char",
        en: "The character {char} is not allowed in an email address.",
        fr: "Le caractère {char} n’est pas autorisé dans une adresse e-mail.",
    },
    Msg {
        code: "email.local_too_long",
        en: "The part before the @ is too long (64 characters at most).",
        fr: "La partie avant le @ est trop longue (64 caractères au plus).",
    },
    Msg { code: "email.too_long", en: "This email address is too long.", fr: "Cette adresse e-mail est trop longue." },
    Msg {
        code: "email.trailing_dot",
        en: "An email address cannot end with a dot.",
        fr: "Une adresse e-mail ne peut pas finir par un point.",
    },
    Msg { code: "email.invalid_domain", en: "The domain after the @ is not valid.", fr: "Le domaine après le @ n’est pas valide." },
    Msg {
        code: "email.label_too_long",
        en: "A part of the domain is too long (63 characters at most).",
        fr: "Une partie du domaine est trop longue (63 caractères au plus).",
    },
    Msg {
        code: "email.missing_tld",
        en: "The domain needs an extension such as .com or .fr.",
        fr: "Le domaine doit avoir une extension comme .fr ou .com.",
    },
    Msg { code: "email.unknown_tld", en: "The extension .{tld} does not exist.", fr: "L’extension .{tld} n’existe pas." },
    Msg { code: "email.domain_typo", en: "Did you mean {suggestion}?", fr: "Vouliez-vous dire {suggestion}\u{202F}?" },
    Msg { code: "email.tld_typo", en: "Did you mean {suggestion}?", fr: "Vouliez-vous dire {suggestion}\u{202F}?" },
    Msg {
        code: "email.unicode_local",
        en: "Most mail services refuse accented letters before the @.",
        fr: "La plupart des messageries refusent les lettres accentuées avant le @.",
    },
    Msg {
        code: "email.disposable",
        en: "This looks like a disposable address: use a permanent one to keep hearing from us.",
        fr: "Cette adresse semble jetable\u{A0}: utilisez une adresse permanente pour continuer à recevoir nos messages.",
    },
    Msg {
        code: "email.role_account",
        en: "This is a shared address ({role}@): a personal address is better.",
        fr: "C’est une adresse de service ({role}@)\u{A0}: une adresse personnelle est préférable.",
    },
];

/// Local parts of role (shared) mailboxes, sorted, lower case, no `+tag`,
/// space-separated (see [`text::sorted_list_find`]).
const ROLES: &str = "\
abuse accounts accueil admin administrateur administrator billing bonjour careers commercial \
communication compta comptabilite contact direction do-not-reply donotreply dpo facturation \
hello help hostmaster hr info infos jobs marketing newsletter no-reply noreply office postmaster \
press presse privacy recrutement rgpd rh sales sav secretariat security service-client \
serviceclient support team webmaster";

/// A sorted set of lower-case ASCII domains, packed for the browser: entry
/// `n` holds every domain of `n` bytes, sorted and concatenated. Looked up by
/// binary search; no allocation, no start-up cost.
pub struct DomainTable(pub &'static [&'static str]);

impl DomainTable {
    /// True when `domain` (lower-case ASCII) is in the table.
    #[cfg_attr(all(fiable_speed, feature = "more"), optimize(speed))]
    pub fn contains(&self, domain: &str) -> bool {
        let n = domain.len();
        let Some(bucket) = self.0.get(n) else {
            return false;
        };
        if n == 0 {
            return false;
        }
        let b = bucket.as_bytes();
        let (mut lo, mut hi) = (0, b.len() / n);
        while lo < hi {
            let mid = (lo + hi) / 2;
            match cmp_bytes(&b[mid * n..(mid + 1) * n], domain.as_bytes()) {
                std::cmp::Ordering::Equal => return true,
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
            }
        }
        false
    }

    /// Number of domains in the table.
    pub fn len(&self) -> usize {
        self.0.iter().enumerate().filter_map(|(n, s)| s.len().checked_div(n)).sum()
    }

    /// True when the table holds no domain.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// `a.cmp(b)` for slices of one length, by a plain loop: most probes of a
/// search differ at the first byte, and the slice compare calls `memcmp`,
/// a loop behind a call in the Wasm.
fn cmp_bytes(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    let (mut a, mut b) = (a, b);
    while let ([x, ar @ ..], [y, br @ ..]) = (a, b) {
        if x != y {
            return x.cmp(y);
        }
        (a, b) = (ar, br);
    }
    a.len().cmp(&b.len())
}

/// A list of domains loaded at run time, e.g. `core/data/disposable-full.txt`
/// or `core/data/free-full.txt` in the lookup service: one domain a line,
/// `#` comments and blank lines ignored.
#[derive(Clone, Debug, Default)]
pub struct DomainList {
    domains: Vec<String>,
}

impl DomainList {
    /// Parses the text of a list file.
    pub fn parse(text: &str) -> DomainList {
        let mut domains: Vec<String> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(|l| l.trim_end_matches('.').to_ascii_lowercase())
            .collect();
        domains.sort_unstable();
        domains.dedup();
        DomainList { domains }
    }

    /// True when `domain` itself is listed.
    #[cfg_attr(all(fiable_speed, feature = "more"), optimize(speed))]
    pub fn contains(&self, domain: &str) -> bool {
        self.domains.binary_search_by(|d| d.as_str().cmp(domain)).is_ok()
    }

    /// Number of domains.
    pub fn len(&self) -> usize {
        self.domains.len()
    }

    /// True when the list is empty.
    pub fn is_empty(&self) -> bool {
        self.domains.is_empty()
    }
}

/// Calls `f` on the domain and each parent that still has two labels:
/// `a.b.example.com`, `b.example.com`, `example.com`.
fn any_parent(domain: &str, mut f: impl FnMut(&str) -> bool) -> bool {
    let mut d = domain;
    loop {
        if f(d) {
            return true;
        }
        match crate::text::find_byte(d, b'.') {
            Some(i) if crate::text::find_byte(&d[i + 1..], b'.').is_some() => d = &d[i + 1..],
            _ => return false,
        }
    }
}

/// Normalises a bare domain for the lookups (lower case, punycode).
fn lookup_form(domain: &str) -> Option<String> {
    normalize_domain(domain.trim().trim_end_matches('.')).ok().map(|d| d.ascii.into_owned())
}

/// True when the domain (or a parent) is a disposable-mail domain of the
/// small browser list. See [`is_disposable_in`] for the full list.
pub fn is_disposable(domain: &str) -> bool {
    lookup_form(domain).is_some_and(|d| any_parent(&d, |p| lists::disposable().contains(p)))
}

/// True when the domain (or a parent) is in `list`, e.g. the full
/// disposable list `core/data/disposable-full.txt`.
pub fn is_disposable_in(list: &DomainList, domain: &str) -> bool {
    lookup_form(domain).is_some_and(|d| any_parent(&d, |p| list.contains(p) || lists::disposable().contains(p)))
}

/// True when the domain is a free mailbox provider (gmail.com, orange.fr…)
/// of the curated browser list.
pub fn is_free_provider(domain: &str) -> bool {
    lookup_form(domain).is_some_and(|d| lists::free().contains(&d))
}

/// True when the domain is in `list` (e.g. `core/data/free-full.txt`) or in
/// the curated list.
pub fn is_free_in(list: &DomainList, domain: &str) -> bool {
    lookup_form(domain).is_some_and(|d| lists::free().contains(&d) || list.contains(&d))
}

/// The normalised ASCII (punycode, lower-case) domain of an address, for the
/// lookup service's DNS check; `None` when there is no usable domain.
pub fn domain_of(value: &str) -> Option<String> {
    let value = value.trim();
    let at = crate::text::rfind_byte(value, b'@')?;
    let d = normalize_domain(&value[at + 1..]).ok()?;
    lists::tlds().contains(d.tld()).then(|| d.ascii.into_owned())
}

/// A domain after normalisation.
struct Domain<'a> {
    /// Lower-case ASCII (punycode) form: the input itself when it was that already.
    ascii: std::borrow::Cow<'a, str>,
    /// Lower-case Unicode form, when the input had non-ASCII letters.
    unicode: Option<String>,
}

impl Domain<'_> {
    fn tld(&self) -> &str {
        crate::text::after_last(&self.ascii, b'.')
    }
}

/// Normalises and checks a domain's syntax (not its TLD).
#[cfg_attr(all(fiable_speed, feature = "more"), optimize(speed))]
fn normalize_domain(raw: &str) -> Result<Domain<'_>, Verdict> {
    if raw.is_empty() {
        return Err(Verdict::invalid("email.empty_domain"));
    }
    if let [b'[', ..] = raw.as_bytes() {
        return Err(Verdict::invalid("email.ip_literal"));
    }
    // Most domains are ASCII: no mapped copy, no punycode copy of a label.
    let mapped: std::borrow::Cow<str> =
        if raw.is_ascii() { raw.into() } else { raw.chars().map(idna::map_char).collect::<String>().into() };
    if let [.., b'.'] = mapped.as_bytes() {
        return Err(Verdict::invalid("email.trailing_dot"));
    }
    if let [b'.', ..] = mapped.as_bytes() {
        return Err(Verdict::invalid("email.invalid_domain"));
    }
    if crate::text::has_double(&mapped, b'.') {
        return Err(Verdict::invalid("email.consecutive_dots"));
    }
    // A lower-case ASCII domain (nearly every one) is its own ASCII form:
    // borrowed, not copied label by label.
    let mut upper = false;
    for &b in raw.as_bytes() {
        upper |= b.is_ascii_uppercase();
    }
    let borrow = !upper && raw.is_ascii();
    let mut ascii = String::with_capacity(if borrow { 0 } else { mapped.len() + 8 });
    // An ASCII domain's Unicode form is its ASCII form: not built.
    let uni = !mapped.is_ascii();
    let mut unicode = String::with_capacity(if uni { mapped.len() } else { 0 });
    let mut labels = 0;
    // Split by bytes: `split('.')` costs a char searcher per label.
    let mut rest = Some(&*mapped);
    while let Some(r) = rest {
        let label;
        (label, rest) = match crate::text::find_byte(r, b'.') {
            Some(i) => (r.get(..i).unwrap_or(""), r.get(i + 1..)),
            None => (r, None),
        };
        labels += 1;
        let a = if borrow {
            label
        } else {
            if !ascii.is_empty() {
                ascii.push('.');
                if uni {
                    unicode.push('.');
                }
            }
            let at = ascii.len();
            if label.is_ascii() {
                // Lower-cased in place: no copy of the label.
                ascii.push_str(label);
                if let Some(a) = ascii.get_mut(at..) {
                    a.make_ascii_lowercase();
                }
                if uni {
                    unicode.push_str(ascii.get(at..).unwrap_or(""));
                }
            } else {
                let lower = idna::lower_label(label).ok_or_else(|| Verdict::invalid("email.invalid_domain"))?;
                let a = idna::ascii_label(&lower).ok_or_else(|| Verdict::invalid("email.invalid_domain"))?;
                ascii.push_str(&a);
                unicode.push_str(&lower);
            }
            ascii.get(at..).unwrap_or("")
        };
        if a.len() > 63 {
            return Err(Verdict::invalid("email.label_too_long"));
        }
        let ab = a.as_bytes();
        let mut letters = true;
        for &b in ab {
            letters &= b.is_ascii_alphanumeric() || b == b'-';
        }
        if matches!(ab, [b'-', ..] | [.., b'-']) || !idna::is_valid_ace(a) || !letters {
            return Err(Verdict::invalid("email.invalid_domain"));
        }
    }
    let ascii: std::borrow::Cow<str> = if borrow { raw.into() } else { ascii.into() };
    if ascii.len() > 253 {
        return Err(Verdict::invalid("email.too_long"));
    }
    let tld = crate::text::after_last(&ascii, b'.');
    if tld.bytes().all(|b| b.is_ascii_digit()) {
        let ip = labels == 4 && ascii.split('.').all(|l| l.len() <= 3 && crate::text::parse_uint::<u8>(l).is_some());
        return Err(Verdict::invalid(if ip { "email.ip_literal" } else { "email.invalid_domain" }));
    }
    if labels < 2 {
        return Err(Verdict::invalid("email.missing_tld"));
    }
    let unicode = (uni && unicode != ascii).then_some(unicode);
    Ok(Domain { ascii, unicode })
}

/// The local part checks; `Ok(true)` when it has non-ASCII letters.
#[cfg_attr(all(fiable_speed, feature = "more"), optimize(speed))]
fn check_local(local: &str) -> Result<bool, Verdict> {
    if local.is_empty() {
        return Err(Verdict::invalid("email.empty_local"));
    }
    if matches!(local.as_bytes(), [b'.', ..] | [.., b'.']) {
        return Err(Verdict::invalid("email.local_dot"));
    }
    if crate::text::has_double(local, b'.') {
        return Err(Verdict::invalid("email.consecutive_dots"));
    }
    let unicode = !local.is_ascii();
    if let Some(c) = bad_local_char(local, unicode) {
        return Err(Verdict::invalid("email.invalid_char").with_text("char", c.to_string()));
    }
    if local.len() > 64 {
        return Err(Verdict::invalid("email.local_too_long"));
    }
    Ok(unicode)
}

/// The first character not allowed in a local part. ASCII text (nearly every
/// address) by bytes: `chars()` decodes each one through a call in the Wasm.
fn bad_local_char(local: &str, unicode: bool) -> Option<char> {
    const OK: &[u8] = b".!#$%&'*+/=?^_`{|}~-";
    let ok = |c: u8| c.is_ascii_alphanumeric() || OK.contains(&c);
    if !unicode {
        for &b in local.as_bytes() {
            if !b.is_ascii_alphanumeric() && !OK.contains(&b) {
                return Some(char::from(b));
            }
        }
        return None;
    }
    local.chars().find(|&c| if c.is_ascii() { !ok(c as u8) } else { !crate::text::is_alphanumeric(c) })
}

/// The role of a local part (`contact`, `info`…), compared without case or `+tag`.
fn role_of(local: &str) -> Option<&'static str> {
    let base = local.as_bytes().get(..crate::text::find_byte(local, b'+').unwrap_or(local.len()))?;
    // Lower-cased on the stack: no String per check; longer than any role is none.
    let mut buf = [0u8; 16];
    let low = buf.get_mut(..base.len())?;
    for (d, s) in low.iter_mut().zip(base) {
        *d = s.to_ascii_lowercase();
    }
    crate::text::sorted_list_find(ROLES, low)
}

/// Checks an email address with the compiled-in (browser) tables.
#[inline(never)]
pub fn check(value: &str, opts: &Options) -> Verdict {
    check_with(value, opts, None)
}

/// Whether the domain lists of the chunk `email-domains` are loaded (or
/// embedded): without them a check would miss typos and disposable domains,
/// and take every TLD for unknown.
pub fn lists_loaded() -> bool {
    lists::get().is_some()
}

/// Checks an email address; `disposable` is an extra (full) disposable list,
/// as the lookup service loads it.
#[cfg_attr(all(fiable_speed, feature = "more"), optimize(speed))]
pub fn check_with(value: &str, _opts: &Options, disposable: Option<&DomainList>) -> Verdict {
    // Not loaded yet (the browser before its first fetch): no verdict rather than a wrong one.
    if !lists_loaded() {
        return Verdict::new(crate::verdict::Status::Pending, "email.pending");
    }
    match parse(value, disposable) {
        Ok(v) | Err(v) => v,
    }
}

fn parse(value: &str, disposable: Option<&DomainList>) -> Result<Verdict, Verdict> {
    let value = value.trim();
    if value.len() > crate::MAX_INPUT {
        return Err(Verdict::invalid("email.too_long"));
    }
    let Some(at) = crate::text::rfind_byte(value, b'@') else {
        return Err(Verdict::invalid("email.missing_at"));
    };
    // One plain loop over the bytes for the four refusals below, in their
    // order (iterator adapters cost a call per byte in the Wasm).
    let (mut quote, mut paren, mut second_at, mut space) = (false, false, false, false);
    for (i, &b) in value.as_bytes().iter().enumerate() {
        quote |= b == b'"' && i < at;
        paren |= b == b'(' || b == b')';
        second_at |= b == b'@' && i < at;
        // ASCII white space (tab to carriage return, space); the rest only in non-ASCII text, below.
        space |= matches!(b, b' ' | 9..=13);
    }
    if quote {
        return Err(Verdict::invalid("email.quoted_local"));
    }
    if paren {
        return Err(Verdict::invalid("email.comment"));
    }
    if second_at {
        return Err(Verdict::invalid("email.several_at"));
    }
    if space || (!value.is_ascii() && value.chars().any(char::is_whitespace)) {
        return Err(Verdict::invalid("email.space"));
    }
    let (local, raw_domain) = (&value[..at], &value[at + 1..]);
    if local.is_empty() {
        return Err(Verdict::invalid("email.empty_local"));
    }
    let domain = normalize_domain(raw_domain)?;
    let unicode_local = check_local(local)?;
    if local.len() + 1 + domain.ascii.len() > 254 {
        return Err(Verdict::invalid("email.too_long"));
    }
    let tld_known = lists::tlds().contains(domain.tld());

    // A typo first: it also catches typosquats that sit in the disposable lists.
    // Each list searched once: the typo check asks the same of them.
    let free = lists::free().contains(&domain.ascii);
    // The free and company lists are disjoint, and no free domain is disposable
    // (tested): a free provider, most addresses, skips those searches.
    let real = !free && lists::real().contains(&domain.ascii);
    let mut typo = typo::suggest_unless_known(&domain.ascii, tld_known, tld_known && (free || real));
    if typo.is_none() {
        if let Some(u) = &domain.unicode {
            // "frée.fr", "gmaïl.com": an accent slipped into a provider's name.
            let folded = crate::text::fold(u);
            if folded.is_ascii() && folded != domain.ascii {
                let folded_tld_known = lists::tlds().contains(crate::text::after_last(&folded, b'.'));
                typo = if typo::is_known(&folded) {
                    Some((folded, typo::Kind::Domain))
                } else if let Some(t) = typo::suggest(&folded, folded_tld_known) {
                    Some(t)
                } else if !tld_known && folded_tld_known {
                    // "exemple.café": no such TLD, but .cafe exists.
                    let stem = crate::text::rfind_byte(&domain.ascii, b'.').map_or("", |i| &domain.ascii[..i]);
                    let tld = crate::text::after_last(&folded, b'.');
                    Some(([stem, ".", tld].concat(), typo::Kind::Tld))
                } else {
                    None
                };
            }
        }
    }
    if !tld_known && typo.is_none() {
        return Err(Verdict::invalid("email.unknown_tld").with_text("tld", domain.tld().to_string()));
    }

    let normalized = join_at(local, &domain.ascii);
    let is_disposable =
        !real && any_parent(&domain.ascii, |p| (!free && lists::disposable().contains(p)) || disposable.is_some_and(|l| l.contains(p)));
    let role = role_of(local);

    let mut v = if let Some((fixed, kind)) = typo {
        let code = match kind {
            typo::Kind::Domain => "email.domain_typo",
            typo::Kind::Tld => "email.tld_typo",
        };
        Verdict::warning(code).with_suggestion(join_at(local, &fixed))
    } else if unicode_local {
        let folded = crate::text::fold(local);
        let v = Verdict::warning("email.unicode_local");
        if folded.is_ascii() && check_local(&folded).is_ok() && folded != crate::text::lower_str(local) {
            v.with_suggestion(join_at(&ascii_like(local, &folded), &domain.ascii))
        } else {
            v
        }
    } else if is_disposable {
        Verdict::warning("email.disposable")
    } else if role.is_some() {
        Verdict::warning("email.role_account")
    } else {
        Verdict::valid("email.valid")
    };
    // An address on a TLD that does not exist has no canonical form.
    if tld_known {
        v = v.with_normalized(normalized);
    }
    v = v.with_flag("free", free);
    if is_disposable {
        v = v.with_flag("disposable", true);
    }
    if let Some(r) = role {
        v = v.with_text("role", r);
    }
    if let Some(u) = domain.unicode {
        v = v.with_text("unicode_domain", u);
    }
    Ok(v)
}

/// `local@domain`, without the formatting machinery.
fn join_at(local: &str, domain: &str) -> String {
    let mut s = String::with_capacity(local.len() + 1 + domain.len());
    s.push_str(local);
    s.push('@');
    s.push_str(domain);
    s
}

/// The folded local part with the case of the original kept where possible
/// ("José" → "Jose").
fn ascii_like(original: &str, folded: &str) -> String {
    let (oc, fc): (Vec<char>, Vec<char>) = (original.chars().collect(), folded.chars().collect());
    if oc.len() != fc.len() {
        return folded.to_string();
    }
    oc.iter().zip(&fc).map(|(o, f)| if crate::text::is_upper(*o) { f.to_ascii_uppercase() } else { *f }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(v: &str) -> Verdict {
        check(v, &Options::default())
    }

    #[test]
    fn valid_and_normalized() {
        let v = c("  Jean.Dupont@Orange.FR ");
        assert_eq!(v.code, "email.valid");
        assert_eq!(v.normalized.as_deref(), Some("Jean.Dupont@orange.fr"));
        assert_eq!(v.details.get("free"), Some(&crate::Detail::Flag(true)));
        let v = c("a@exemple.café");
        assert_eq!((v.code, v.suggestion.as_deref()), ("email.tld_typo", Some("a@exemple.cafe")));
        let v = c("a@exemple.bücher.de");
        assert_eq!(v.code, "email.valid");
        assert_eq!(v.normalized.as_deref(), Some("a@exemple.xn--bcher-kva.de"));
        assert_eq!(v.details.get("unicode_domain"), Some(&crate::Detail::Text("exemple.bücher.de".into())));
    }

    #[test]
    fn invalid_codes() {
        for (input, code) in [
            ("jean", "email.missing_at"),
            ("a@b@c.fr", "email.several_at"),
            ("a..b@x.fr", "email.consecutive_dots"),
            (".a@x.fr", "email.local_dot"),
            ("a.@x.fr", "email.local_dot"),
            ("\"a\"@x.fr", "email.quoted_local"),
            ("a@[1.2.3.4]", "email.ip_literal"),
            ("a@1.2.3.4", "email.ip_literal"),
            ("a(x)@x.fr", "email.comment"),
            ("a b@x.fr", "email.space"),
            ("@x.fr", "email.empty_local"),
            ("a@", "email.empty_domain"),
            ("a@x.fr.", "email.trailing_dot"),
            ("a@x..fr", "email.consecutive_dots"),
            ("a@-x.fr", "email.invalid_domain"),
            ("a@x_y.fr", "email.invalid_domain"),
            ("a@localhost", "email.missing_tld"),
            ("a@exemple.zzqq", "email.unknown_tld"),
            ("a,b@x.fr", "email.invalid_char"),
        ] {
            assert_eq!(c(input).code, code, "{input}");
        }
        assert_eq!(c(&format!("{}@x.fr", "a".repeat(65))).code, "email.local_too_long");
        assert_eq!(c(&format!("a@{}.fr", "b".repeat(64))).code, "email.label_too_long");
        let long = format!("{}@{}.fr", "a".repeat(60), vec!["b".repeat(60); 4].join("."));
        assert_eq!(c(&long).code, "email.too_long");
    }

    #[test]
    fn warnings() {
        let v = c("jean@gmial.com");
        assert_eq!((v.code, v.suggestion.as_deref()), ("email.domain_typo", Some("jean@gmail.com")));
        assert_eq!(c("contact+x@exemple.fr").code, "email.role_account");
        assert_eq!(c("x@yopmail.com").code, "email.disposable");
        assert_eq!(c("josé@gmail.com").suggestion.as_deref(), Some("jose@gmail.com"));
    }

    #[test]
    fn tables_and_lists() {
        assert!(is_free_provider("Gmail.com") && !is_free_provider("exemple.fr"));
        assert!(is_disposable("yopmail.com") && is_disposable("sub.yopmail.com") && !is_disposable("gmail.com"));
        let list = DomainList::parse("# c\nthrowaway.example\n\nMAILNESIA.com\n");
        assert!(is_disposable_in(&list, "mailnesia.com") && is_disposable_in(&list, "x.throwaway.example"));
        assert!(!is_disposable_in(&list, "orange.fr"));
        assert_eq!(domain_of(" jean@BÜCHER.de").as_deref(), Some("xn--bcher-kva.de"));
        assert_eq!(domain_of("jean@x"), None);
        let roles: Vec<&str> = ROLES.split(' ').collect();
        let mut sorted = roles.clone();
        sorted.sort_unstable();
        assert_eq!(roles, sorted, "ROLES must stay sorted");
        assert!(ROLES.split(' ').all(|r| r.len() <= 16), "role_of lower-cases into 16 bytes");
        assert_eq!(role_of("Contact+shop"), Some("contact"));
        assert_eq!(role_of("CONTACT"), Some("contact"));
        assert_eq!(role_of("jean.dupont.tres.long.nom"), None);
        assert!(ROLES.split(' ').all(|r| role_of(r) == Some(r)), "the binary search finds every role");
    }

    #[test]
    fn cmp_bytes_is_the_slice_order() {
        let words: [&[u8]; 7] = [b"", b"a", b"b", b"ab", b"ba", b"abc", b"abd"];
        for a in words {
            for b in words {
                assert_eq!(cmp_bytes(a, b), a.cmp(b), "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn lower_case_and_mixed_case_domains_normalise_alike() {
        for (raw, ascii) in [("gmail.com", "gmail.com"), ("GMail.Com", "gmail.com"), ("bücher.de", "xn--bcher-kva.de")] {
            assert_eq!(normalize_domain(raw).map(|d| d.ascii.into_owned()).ok().as_deref(), Some(ascii), "{raw}");
        }
    }

    #[test]
    fn free_domains_are_neither_companies_nor_disposable() {
        // `parse` skips those two searches for a free domain.
        let free = lists::free();
        let mut n = 0;
        for (len, bucket) in free.0.iter().enumerate().filter(|(len, _)| *len > 0) {
            for d in bucket.as_bytes().chunks(len).filter_map(|d| std::str::from_utf8(d).ok()) {
                n += 1;
                assert!(free.contains(d) && !lists::real().contains(d), "{d}");
                assert!(!any_parent(d, |p| lists::disposable().contains(p)), "{d}");
            }
        }
        assert_eq!(n, free.len());
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        fn email_like() -> impl Strategy<Value = String> {
            (
                "[a-zA-Z0-9._%+!é'-]{0,70}",
                prop::collection::vec("[a-zA-Z0-9éü-]{0,12}", 0..5),
                prop::sample::select(vec!["fr", "com", "con", "ft", "de", "café", "xn--p1ai", "", "1"]),
                "[ @.]{0,2}",
            )
                .prop_map(|(local, labels, tld, junk)| format!("{local}@{}.{tld}{junk}", labels.join(".")))
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2000))]

            #[test]
            fn never_panics(s in "\\PC{0,300}|[@.a-z\\s\"()\\[\\]]{0,80}") {
                let _ = check(&s, &Options::default());
                let _ = domain_of(&s);
                let _ = is_disposable(&s);
                let _ = is_free_provider(&s);
            }

            #[test]
            fn never_panics_long(n in 0usize..1200, c in prop::sample::select(vec!['a', '@', '.', 'é', '-'])) {
                let s: String = std::iter::repeat_n(c, n).collect();
                let _ = check(&s, &Options::default());
                let _ = check(&format!("{s}@{s}.fr"), &Options::default());
            }

            #[test]
            fn role_of_agrees_with_a_scan_of_the_list(s in "(contact|info|no-?reply|[a-zA-Z.+-]{0,18})(\\+[a-z]{0,3})?") {
                let base = s.split('+').next().unwrap_or("").to_ascii_lowercase();
                prop_assert_eq!(role_of(&s), ROLES.split(' ').find(|r| *r == base));
            }

            #[test]
            fn normalized_is_stable(s in email_like()) {
                let v = check(&s, &Options::default());
                if v.status == crate::Status::Valid {
                    prop_assert!(v.normalized.is_some(), "{}", s);
                }
                if let Some(n) = v.normalized.clone() {
                    let again = check(&n, &Options::default());
                    prop_assert_eq!(again.normalized.as_deref(), Some(n.as_str()));
                    if v.status == crate::Status::Valid {
                        prop_assert_eq!(again.status, crate::Status::Valid, "{} → {}", s, n);
                    }
                }
            }
        }
    }
}
