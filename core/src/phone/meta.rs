//! Phone metadata at run time. The regions come in data chunks, one per
//! calling code (`phone-33`, `phone-1`, …, made by `data/gen/phone.py`):
//! the browser fetches the form's own region up front and any other on
//! first use, so the Wasm carries only the calling codes and which region
//! has which (`crate::tables::phone`). A loaded region is leaked: it lives
//! as long as the page (or process), and every lookup hands out
//! `&'static` references without copying.
//!
//! A lookup of a region whose chunk is not loaded finds nothing and notes
//! the calling code ([`take_misses`]); the phone check then answers
//! "pending" instead of a verdict built on missing data.

use super::pattern::Static;
use crate::chunks::error::ChunkError;
use crate::tables::phone::{CALLING_CODES, REGION_CC};
use std::cell::RefCell;
use std::sync::RwLock;

/// The number types of Google's metadata, in the order of [`Region::types`].
pub(crate) const TYPE_COUNT: usize = 10;

/// A number format: pattern, last leading-digits pattern, template and
/// national-prefix formatting rule.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Format {
    pub pattern: Static,
    pub leading: Option<Static>,
    pub template: &'static str,
    pub np_rule: &'static str,
    pub np_optional: bool,
}

/// One region's metadata.
#[derive(Debug)]
pub struct Region {
    /// ISO 3166 alpha-2 code, or "00" for a non-geographic entity ("001").
    code: [u8; 2],
    /// Country calling code.
    pub cc: u16,
    idd: Option<Static>,
    np: &'static str,
    npp: Option<Static>,
    npt: &'static str,
    lead: Option<Static>,
    same_mobile_fixed: bool,
    general: Option<Static>,
    lens: u32,
    local: u32,
    types: [Option<Static>; TYPE_COUNT],
    type_lens: [u32; TYPE_COUNT],
    formats: Vec<Format>,
    intl_formats: Vec<Format>,
}

impl Region {
    /// ISO 3166 alpha-2 code, or "001" for a non-geographic entity.
    pub fn id(&'static self) -> &'static str {
        match &self.code {
            b"00" => "001",
            c => std::str::from_utf8(c).unwrap_or(""),
        }
    }
    /// International (IDD) prefix pattern.
    pub(crate) fn idd(&self) -> Option<Static> {
        self.idd
    }
    /// National prefix (e.g. "0"), empty when none.
    pub(crate) fn national_prefix(&self) -> &'static str {
        self.np
    }
    /// National prefix for parsing (pattern).
    pub(crate) fn npp(&self) -> Option<Static> {
        self.npp
    }
    /// National prefix transform rule (template), empty when none.
    pub(crate) fn npt(&self) -> &'static str {
        self.npt
    }
    /// Leading digits that identify this region among those sharing a code.
    pub(crate) fn leading(&self) -> Option<Static> {
        self.lead
    }
    /// Whether fixed-line and mobile patterns are the same.
    pub(crate) fn same_mobile_fixed(&self) -> bool {
        self.same_mobile_fixed
    }
    /// General description pattern.
    pub(crate) fn general(&self) -> Option<Static> {
        self.general
    }
    /// Possible lengths (bit set) of any number.
    pub(crate) fn lengths(&self) -> u32 {
        self.lens
    }
    /// Lengths only possible locally (bit set).
    pub(crate) fn local_lengths(&self) -> u32 {
        self.local
    }
    /// The pattern of type `i` (order of `TYPE_NAMES` in mod.rs), if a
    /// number of `len` digits can be of that type: the lengths are looked
    /// at first, so most types are ruled out before their pattern is.
    pub(crate) fn desc(&self, i: usize, len: usize) -> Option<Static> {
        let lens = *self.type_lens.get(i)?;
        if lens != 0 && (len >= 32 || lens & (1 << len) == 0) {
            return None;
        }
        *self.types.get(i)?
    }
    /// National number formats.
    pub(crate) fn formats(&self) -> &[Format] {
        &self.formats
    }
    /// Whether the international format has formats of its own.
    pub(crate) fn has_intl_formats(&self) -> bool {
        !self.intl_formats.is_empty()
    }
    /// Formats for the international format (the national ones when none).
    pub(crate) fn intl_formats(&self) -> &[Format] {
        if self.intl_formats.is_empty() { &self.formats } else { &self.intl_formats }
    }
}

/// The loaded chunks: (calling code, its regions, main region first), sorted.
static LOADED: RwLock<Vec<(u16, &'static [Region])>> = RwLock::new(Vec::new());

thread_local! {
    /// Calling codes looked up while their chunk was missing.
    static MISSES: RefCell<Vec<u16>> = const { RefCell::new(Vec::new()) };
}

/// Empties the list of calling codes looked up without their chunk.
pub(crate) fn clear_misses() {
    MISSES.with(|m| m.borrow_mut().clear());
}

/// The calling codes looked up without their chunk since [`clear_misses`].
pub(crate) fn take_misses() -> Vec<u16> {
    MISSES.with(|m| std::mem::take(&mut *m.borrow_mut()))
}

#[cfg_attr(all(fiable_speed, feature = "more"), optimize(speed))]
fn loaded(cc: u16) -> Option<&'static [Region]> {
    {
        let l = LOADED.read().unwrap_or_else(|e| e.into_inner());
        if let Ok(i) = l.binary_search_by_key(&cc, |e| e.0) {
            return Some(l[i].1);
        }
    }
    #[cfg(feature = "embedded-chunks")]
    {
        let name = format!("phone-{cc}");
        if let Some((_, bytes)) = crate::chunks::embedded::EMBEDDED.iter().find(|(n, _)| *n == name) {
            if let Ok(text) = std::str::from_utf8(bytes) {
                if load(&cc.to_string(), text).is_ok() {
                    return loaded(cc);
                }
            }
        }
    }
    MISSES.with(|m| {
        let mut m = m.borrow_mut();
        if !m.contains(&cc) {
            m.push(cc);
        }
    });
    None
}

/// Whether the chunk of a calling code is loaded (or embedded).
pub(crate) fn is_loaded(cc: u16) -> bool {
    let l = LOADED.read().unwrap_or_else(|e| e.into_inner());
    l.binary_search_by_key(&cc, |e| e.0).is_ok()
}

/// Loads the chunk `phone-<cc>`; `cc` is the part after `phone-`. A chunk
/// already loaded stays as it is (its regions are handed out as `'static`).
pub(crate) fn load(cc: &str, text: &str) -> Result<(), ChunkError> {
    let unknown = || ChunkError::UnknownChunk(["phone-", cc].concat());
    let code: u16 = crate::text::parse_uint(cc).ok_or_else(unknown)?;
    if cc.starts_with('0') || CALLING_CODES.binary_search(&code).is_err() {
        return Err(unknown());
    }
    if is_loaded(code) {
        return Ok(());
    }
    insert(parse(Some(code), text)?);
    Ok(())
}

/// Loads a pack (`phones-<family>`): the chunks of several calling codes in
/// one text, their patterns first, then each code's regions, main region
/// first. A code already loaded keeps its regions.
pub(crate) fn load_pack(text: &str) -> Result<(), ChunkError> {
    insert(parse(None, text)?);
    Ok(())
}

fn insert(regions: Vec<Region>) {
    let regions: &'static [Region] = Box::leak(regions.into_boxed_slice());
    let mut l = LOADED.write().unwrap_or_else(|e| e.into_inner());
    for group in regions.chunk_by(|a, b| a.cc == b.cc) {
        if let Err(i) = l.binary_search_by_key(&group[0].cc, |e| e.0) {
            l.insert(i, (group[0].cc, group));
        }
    }
}

/// The regions of a chunk (`code`: its calling code) or of a pack (`None`).
fn parse(code: Option<u16>, text: &str) -> Result<Vec<Region>, ChunkError> {
    // The patterns are slices of the chunk's text, which lives on.
    let text: &'static str = Box::leak(text.to_owned().into_boxed_str());
    let mut patterns: Vec<Static> = Vec::new();
    let mut regions: Vec<Region> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let bad = |reason| ChunkError::BadLine { line: n + 1, reason };
        let f: Vec<&'static str> = line.split('\t').collect();
        let pat = |patterns: &[Static], s: &str| -> Result<Option<Static>, ChunkError> {
            let id: u16 = crate::text::parse_uint(s).ok_or_else(|| bad("pattern number"))?;
            if id == 0 {
                return Ok(None);
            }
            patterns.iter().find(|p| p.id == id).copied().map(Some).ok_or(bad("unknown pattern"))
        };
        let mask = |s: &str| u32::from_str_radix(s, 16).map_err(|_| bad("length set"));
        match (f[0], f.len()) {
            ("p", 3) => {
                let id: u16 = crate::text::parse_uint(f[1]).ok_or_else(|| bad("pattern number"))?;
                if id == 0 {
                    return Err(bad("pattern number"));
                }
                patterns.push(Static { id, text: f[2] });
            }
            ("r", 14) => {
                let c = f[1].as_bytes();
                let cc: u16 = crate::text::parse_uint(f[2]).ok_or_else(|| bad("calling code"))?;
                // A pack's codes are known ones, each code's regions together
                // (data/gen/phone.py writes them so).
                if c.len() != 2 || code.is_some_and(|k| k != cc) || CALLING_CODES.binary_search(&cc).is_err() {
                    return Err(bad("region"));
                }
                let (tp, tl): (Vec<&str>, Vec<&str>) = (f[12].split(',').collect(), f[13].split(',').collect());
                if tp.len() != TYPE_COUNT || tl.len() != TYPE_COUNT {
                    return Err(bad("types"));
                }
                let mut types = [None; TYPE_COUNT];
                let mut type_lens = [0; TYPE_COUNT];
                for i in 0..TYPE_COUNT {
                    types[i] = pat(&patterns, tp[i])?;
                    type_lens[i] = mask(tl[i])?;
                }
                regions.push(Region {
                    code: [c[0], c[1]],
                    cc,
                    idd: pat(&patterns, f[3])?,
                    np: f[4],
                    npp: pat(&patterns, f[5])?,
                    npt: f[6],
                    lead: pat(&patterns, f[7])?,
                    same_mobile_fixed: f[8] == "1",
                    general: pat(&patterns, f[9])?,
                    lens: mask(f[10])?,
                    local: mask(f[11])?,
                    types,
                    type_lens,
                    formats: Vec::new(),
                    intl_formats: Vec::new(),
                });
            }
            (tag @ ("f" | "i"), 6) => {
                let fmt = Format {
                    pattern: pat(&patterns, f[1])?.ok_or(bad("format without pattern"))?,
                    leading: pat(&patterns, f[2])?,
                    template: f[3],
                    np_rule: f[4],
                    np_optional: f[5] == "1",
                };
                let r = regions.last_mut().ok_or(bad("format before region"))?;
                if tag == "f" { &mut r.formats } else { &mut r.intl_formats }.push(fmt);
            }
            _ => return Err(bad("unknown record")),
        }
    }
    if regions.is_empty() {
        return Err(ChunkError::BadLine { line: 0, reason: "no region" });
    }
    Ok(regions)
}

/// A region code's two letters in upper case.
fn upper(code: &str) -> Option<[u8; 2]> {
    match code.trim().as_bytes() {
        &[a, b] if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => Some([a.to_ascii_uppercase(), b.to_ascii_uppercase()]),
        _ => None,
    }
}

/// The calling code of a geographic region, known without any chunk.
fn cc_of(up: &[u8; 2]) -> Option<u16> {
    // Compared as numbers: a two-byte slice comparison is a memcmp call in the Wasm.
    let key = u16::from_be_bytes(*up);
    REGION_CC.binary_search_by_key(&key, |r| u16::from_be_bytes(r.0)).ok().map(|i| REGION_CC[i].1)
}

/// The geographic region with an ISO code (upper or lower case).
#[cfg_attr(all(fiable_speed, feature = "more"), optimize(speed))]
pub(crate) fn region(code: &str) -> Option<&'static Region> {
    let up = upper(code)?;
    loaded(cc_of(&up)?)?.iter().find(|r| r.code == up)
}

/// The regions sharing a calling code, main region first (empty if unknown).
pub(crate) fn regions_for_code(cc: u32) -> &'static [Region] {
    match u16::try_from(cc) {
        Ok(c) if is_calling_code(cc) => loaded(c).unwrap_or(&[]),
        _ => &[],
    }
}

/// The main region of a calling code.
pub(crate) fn main_region(cc: u32) -> Option<&'static Region> {
    regions_for_code(cc).first()
}

/// Whether a calling code is known (without any chunk).
pub(crate) fn is_calling_code(cc: u32) -> bool {
    u16::try_from(cc).is_ok_and(|c| CALLING_CODES.binary_search(&c).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_chunks_are_errors() {
        let row = "r\tCH\t41\t0\t0\t0\t\t0\t0\t1\t400\t0\t0,0,0,0,0,0,0,0,0,0\t0,0,0,0,0,0,0,0,0,0";
        let cases = [
            ("", 0),
            ("x\t1", 1),
            ("p\t0\t\\d", 1),
            ("p\t1\t\\d{9}\n".to_string().leak() as &str, 0), // patterns but no region
            (row, 1),                                         // pattern 1 not in the chunk
            ("f\t1\t0\t\\1\t\t0", 1),                         // format before region
        ];
        for (text, line) in cases {
            assert!(matches!(parse(Some(41), text), Err(ChunkError::BadLine { line: l, .. }) if l == line), "{text:?}");
        }
        let ok = format!("p\t1\t\\d{{9}}\n{row}\n");
        assert_eq!(parse(Some(41), &ok).map(|r| r.len()).ok(), Some(1));
        assert!(parse(Some(33), &ok).is_err(), "a region of another calling code");
        assert!(load("0041", &ok).is_err() && load("999", &ok).is_err() && load("x", &ok).is_err());
    }

    #[test]
    fn the_french_pack_holds_each_code_of_the_family_main_region_first() {
        let pack = include_str!("../../chunks/phones-fr.tsv");
        let regions = parse(None, pack).unwrap();
        let groups: Vec<(u16, &[u8; 2], usize)> = regions.chunk_by(|a, b| a.cc == b.cc).map(|g| (g[0].cc, &g[0].code, g.len())).collect();
        assert_eq!(groups, [(33, b"FR", 1), (590, b"GP", 3), (594, b"GF", 1), (596, b"MQ", 1), (262, b"RE", 2)]);
        // The same regions as the codes' own chunks, formats included.
        for (cc, own) in [(33, include_str!("../../chunks/phone-33.tsv")), (262, include_str!("../../chunks/phone-262.tsv"))] {
            let own = parse(Some(cc), own).unwrap();
            let packed: Vec<&Region> = regions.iter().filter(|r| r.cc == cc).collect();
            assert_eq!(packed.len(), own.len());
            for (a, b) in packed.iter().zip(&own) {
                assert_eq!(
                    (a.code, a.formats.len(), a.intl_formats.len(), a.lens),
                    (b.code, b.formats.len(), b.intl_formats.len(), b.lens)
                );
            }
        }
        // Only known codes.
        let row = |c: &str, cc: &str| format!("r\t{c}\t{cc}\t0\t0\t0\t\t0\t0\t1\t400\t0\t0,0,0,0,0,0,0,0,0,0\t0,0,0,0,0,0,0,0,0,0\n");
        let p = "p\t1\t\\d{9}\n";
        assert!(parse(None, &[p, &row("CH", "41"), &row("LI", "423")].concat()).is_ok());
        assert!(parse(None, &[p, &row("ZZ", "999")].concat()).is_err());
    }
}
