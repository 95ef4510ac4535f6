//! The curated providers and the long email-domain lists — the IANA TLDs
//! (`TLD`), free mailboxes near a provider (`FREE`), company domains near
//! one (`REAL`), the browser's disposable subset (`DISPOSABLE`) — come in
//! the data chunk `email-domains` (`data/gen/email.py`), which the page
//! fetches when an address is first typed (the email check waits for it). Like the
//! phone regions they are process-wide and, once loaded, never change.

use super::DomainTable;
use crate::chunks::error::ChunkError;
use std::sync::OnceLock;

pub(crate) struct Lists {
    /// The curated providers, most used first, separated by spaces; a
    /// closed brand's domain ends in `!`.
    pub providers: &'static str,
    pub tlds: DomainTable,
    pub free: DomainTable,
    pub real: DomainTable,
    pub disposable: DomainTable,
}

static LISTS: OnceLock<Lists> = OnceLock::new();

/// The lists, if loaded (native builds load the embedded chunk on first use).
pub(crate) fn get() -> Option<&'static Lists> {
    #[cfg(feature = "embedded-chunks")]
    if LISTS.get().is_none() {
        if let Some((_, bytes)) = crate::chunks::embedded::EMBEDDED.iter().find(|(n, _)| *n == "email-domains") {
            let _ = std::str::from_utf8(bytes).map(load);
        }
    }
    LISTS.get()
}

static EMPTY: DomainTable = DomainTable(&[]);

/// The curated providers (empty until loaded; see [`Lists::providers`]).
pub(crate) fn providers() -> &'static str {
    get().map_or("", |l| l.providers)
}

/// The root-zone TLDs (empty until loaded: the email check waits for them).
pub(crate) fn tlds() -> &'static DomainTable {
    get().map_or(&EMPTY, |l| &l.tlds)
}

/// Free mailbox domains the typo search leaves alone (empty until loaded).
pub(crate) fn free() -> &'static DomainTable {
    get().map_or(&EMPTY, |l| &l.free)
}

/// Company domains near a provider (empty until loaded).
pub(crate) fn real() -> &'static DomainTable {
    get().map_or(&EMPTY, |l| &l.real)
}

/// The browser's disposable domains (empty until loaded).
pub(crate) fn disposable() -> &'static DomainTable {
    get().map_or(&EMPTY, |l| &l.disposable)
}

/// Loads the chunk `email-domains`: a line `provider<TAB>count<TAB>the
/// providers separated by spaces`, then lines `table<TAB>length<TAB>domains
/// of that length, concatenated and sorted`. A second load changes nothing.
pub(crate) fn load(text: &str) -> Result<(), ChunkError> {
    if LISTS.get().is_none() {
        let lists = parse(text)?;
        let _ = LISTS.set(lists);
    }
    Ok(())
}

fn parse(text: &str) -> Result<Lists, ChunkError> {
    let text: &'static str = Box::leak(text.to_owned().into_boxed_str());
    let mut tables: [Vec<&'static str>; 4] = Default::default();
    let mut providers = "";
    for (n, line) in text.lines().enumerate() {
        let bad = |reason| ChunkError::BadLine { line: n + 1, reason };
        let mut f = line.split('\t');
        let (Some(tag), Some(len), Some(bucket), None) = (f.next(), f.next(), f.next(), f.next()) else {
            return Err(bad("expected table, length, domains"));
        };
        if tag == "provider" {
            if crate::text::parse_uint(len) != Some(bucket.split(' ').count()) || !bucket.is_ascii() {
                return Err(bad("not that many providers"));
            }
            providers = bucket;
            continue;
        }
        let t = match tag {
            "tld" => &mut tables[0],
            "free" => &mut tables[1],
            "real" => &mut tables[2],
            "disposable" => &mut tables[3],
            _ => return Err(bad("unknown table")),
        };
        let len: usize = crate::text::parse_uint(len).ok_or_else(|| bad("length"))?;
        if len == 0 || len > 255 || bucket.len() % len != 0 || !bucket.is_ascii() {
            return Err(bad("domains do not have that length"));
        }
        if t.len() <= len {
            t.resize(len + 1, "");
        }
        t[len] = bucket;
    }
    let [tlds, free, real, disposable] = tables.map(|t| DomainTable(Box::leak(t.into_boxed_slice())));
    Ok(Lists { providers, tlds, free, real, disposable })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_lines_are_errors() {
        for (text, line) in
            [("free\t5\tpm.m", 1), ("free\t5\tpm.me\nspam\t4\tx.fr", 2), ("free\tfive\tpm.me", 1), ("free\t0\t", 1), ("free\t5", 1)]
        {
            assert!(matches!(parse(text), Err(ChunkError::BadLine { line: l, .. }) if l == line), "{text:?}");
        }
        assert!(matches!(parse("provider\t2\tgmail.com!"), Err(ChunkError::BadLine { line: 1, .. })));
        let l = parse("provider\t2\tgmail.com! pm.me\nfree\t5\tpm.me\ndisposable\t7\tyopm.fr\n").unwrap_or_else(|_| panic!("valid chunk"));
        assert!(l.free.contains("pm.me") && l.disposable.contains("yopm.fr") && !l.real.contains("pm.me"));
        assert_eq!(l.providers, "gmail.com! pm.me");
        assert!(!l.tlds.contains("fr"), "no TLD line, no TLD");
    }

    #[test]
    fn the_embedded_lists_are_found() {
        assert!(free().contains("free.fr") && disposable().contains("yopmail.com"));
        assert!(tlds().contains("fr") && tlds().contains("xn--qxam") && !tlds().contains("con"));
    }
}
