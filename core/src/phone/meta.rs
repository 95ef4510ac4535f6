//! The shape of the generated phone tables (`crate::tables::phone`) and
//! lookups into them. Everything is `static`: nothing is built at startup.

use super::pattern::Static;
use crate::tables::phone::{
    CALLING_CODES, CC_REGIONS, FORMATS, LENGTHS, PATTERN_ENDS, PATTERN_TEXT, PATTERN_WRAPS,
    REGIONS, STRINGS,
};

/// The number types of Google's metadata, in the order of [`Region::types`].
pub(crate) const TYPE_COUNT: usize = 10;

/// One number format: pattern, last leading-digits pattern, template and
/// national-prefix formatting rule (indices into `PATTERNS` / `STRINGS`).
#[derive(Debug)]
pub struct Fmt(pub u16, pub u16, pub u16, pub u16);

/// One region's metadata (indices into the generated tables, 0 = none).
#[derive(Debug)]
pub struct Region {
    /// ISO 3166 alpha-2 code, or "00" for a non-geographic entity ("001").
    code: [u8; 2],
    /// Country calling code.
    pub cc: u16,
    idd: u16,
    np: u16,
    npp: u16,
    npt: u16,
    lead: u16,
    same_mobile_fixed: bool,
    general: u16,
    lens: u8,
    local: u8,
    types: [u16; TYPE_COUNT],
    type_lens: [u8; TYPE_COUNT],
    formats: (u16, u8),
    intl_formats: (u16, u8),
}

/// Builds a region row (used by the generated table).
#[allow(clippy::too_many_arguments)]
pub(crate) const fn r(
    code: [u8; 2],
    cc: u16,
    idd: u16,
    np: u16,
    npp: u16,
    npt: u16,
    lead: u16,
    same_mobile_fixed: bool,
    general: u16,
    lens: u8,
    local: u8,
    types: [u16; TYPE_COUNT],
    type_lens: [u8; TYPE_COUNT],
    formats: (u16, u8),
    intl_formats: (u16, u8),
) -> Region {
    Region {
        code,
        cc,
        idd,
        np,
        npp,
        npt,
        lead,
        same_mobile_fixed,
        general,
        lens,
        local,
        types,
        type_lens,
        formats,
        intl_formats,
    }
}

/// End offset of pattern `i` in `PATTERN_TEXT`.
fn pattern_end(i: usize) -> usize {
    let wraps = PATTERN_WRAPS.iter().filter(|&&w| usize::from(w) <= i).count();
    PATTERN_ENDS.get(i).map_or(0, |&e| usize::from(e) + (wraps << 16))
}

fn pat(i: u16) -> Option<Static> {
    let n = usize::from(i);
    if n == 0 || n >= PATTERN_ENDS.len() {
        return None;
    }
    let text = PATTERN_TEXT.get(pattern_end(n - 1)..pattern_end(n))?;
    Some(Static { id: i, text })
}

fn string(i: u16) -> &'static str {
    STRINGS.get(i as usize).copied().unwrap_or("")
}

fn lengths(i: u8) -> u32 {
    LENGTHS.get(i as usize).copied().unwrap_or(0)
}

/// A number format, resolved.
#[derive(Clone, Copy)]
pub(crate) struct Format {
    pub pattern: Static,
    pub leading: Option<Static>,
    pub template: &'static str,
    pub np_rule: &'static str,
    pub np_optional: bool,
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
        pat(self.idd)
    }
    /// National prefix (e.g. "0"), empty when none.
    pub(crate) fn national_prefix(&self) -> &'static str {
        string(self.np)
    }
    /// National prefix for parsing (pattern).
    pub(crate) fn npp(&self) -> Option<Static> {
        pat(self.npp)
    }
    /// National prefix transform rule (template), empty when none.
    pub(crate) fn npt(&self) -> &'static str {
        string(self.npt)
    }
    /// Leading digits that identify this region among those sharing a code.
    pub(crate) fn leading(&self) -> Option<Static> {
        pat(self.lead)
    }
    /// Whether fixed-line and mobile patterns are the same.
    pub(crate) fn same_mobile_fixed(&self) -> bool {
        self.same_mobile_fixed
    }
    /// General description pattern.
    pub(crate) fn general(&self) -> Option<Static> {
        pat(self.general)
    }
    /// Possible lengths (bit set) of any number.
    pub(crate) fn lengths(&self) -> u32 {
        lengths(self.lens)
    }
    /// Lengths only possible locally (bit set).
    pub(crate) fn local_lengths(&self) -> u32 {
        lengths(self.local)
    }
    /// The pattern of type `i` (order of `TYPE_NAMES` in mod.rs), if a
    /// number of `len` digits can be of that type: the lengths are looked
    /// at first, so most types are ruled out before their pattern is.
    pub(crate) fn desc(&self, i: usize, len: usize) -> Option<Static> {
        let lens = lengths(*self.type_lens.get(i)?);
        if lens != 0 && (len >= 32 || lens & (1 << len) == 0) {
            return None;
        }
        pat(*self.types.get(i)?)
    }
    fn format_list(range: (u16, u8)) -> impl Iterator<Item = Format> {
        let start = range.0 as usize;
        let end = (start + range.1 as usize).min(FORMATS.len());
        FORMATS
            .get(start.min(end)..end)
            .unwrap_or(&[])
            .iter()
            .map(|f| Format {
                pattern: pat(f.0).unwrap_or(Static { id: 0, text: "" }),
                leading: pat(f.1),
                template: string(f.2),
                np_rule: string(f.3 & 0x7fff),
                np_optional: f.3 & 0x8000 != 0,
            })
    }
    /// National number formats.
    pub(crate) fn formats(&self) -> impl Iterator<Item = Format> {
        Self::format_list(self.formats)
    }
    /// Whether the international format has formats of its own.
    pub(crate) fn has_intl_formats(&self) -> bool {
        self.intl_formats.1 > 0
    }
    /// Formats for the international format (the national ones when none).
    pub(crate) fn intl_formats(&self) -> impl Iterator<Item = Format> {
        Self::format_list(if self.intl_formats.1 > 0 {
            self.intl_formats
        } else {
            self.formats
        })
    }
}

/// The geographic region with an ISO code (upper or lower case).
pub(crate) fn region(code: &str) -> Option<&'static Region> {
    let b = code.trim().as_bytes();
    if b.len() != 2 || !b.iter().all(u8::is_ascii_alphabetic) {
        return None;
    }
    let up = [b[0].to_ascii_uppercase(), b[1].to_ascii_uppercase()];
    let geo = REGIONS.partition_point(|r| r.code != *b"00");
    let geo = REGIONS.get(..geo).unwrap_or(&[]);
    geo.binary_search_by(|r| r.code.cmp(&up))
        .ok()
        .map(|i| &geo[i])
}

/// The regions sharing a calling code, main region first (empty if unknown).
pub(crate) fn regions_for_code(cc: u32) -> impl Iterator<Item = &'static Region> {
    let slice: &[u8] = match CALLING_CODES.binary_search_by(|e| (e.0 as u32).cmp(&cc)) {
        Ok(i) => {
            let (_, start, n) = CALLING_CODES[i];
            CC_REGIONS
                .get(start as usize..start as usize + n as usize)
                .unwrap_or(&[])
        }
        Err(_) => &[],
    };
    slice.iter().filter_map(|&i| REGIONS.get(i as usize))
}

/// The main region of a calling code.
pub(crate) fn main_region(cc: u32) -> Option<&'static Region> {
    regions_for_code(cc).next()
}

/// Whether a calling code is known.
pub(crate) fn is_calling_code(cc: u32) -> bool {
    CALLING_CODES
        .binary_search_by(|e| (e.0 as u32).cmp(&cc))
        .is_ok()
}
