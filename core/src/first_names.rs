//! First names and how often each sex bears them (chunks `firstnames-a` …
//! `firstnames-z`, `firstnames-other`).
//!
//! The chunks are made by `data/gen/firstnames.py` from the INSEE "Fichier des
//! prénoms", split by the first letter of the folded name (names that do not
//! start with `a`–`z` go to `firstnames-other`), so a page fetches only the
//! part it needs: one line per folded first name, `name<TAB>male<TAB>female`,
//! counting births in France from 1930 on (the people who fill in forms
//! today), names with at least 100 such births only. Lines starting with
//! `#` are comments. The table only serves hints (civility ↔ first name):
//! an unknown name means "nothing to say", never "wrong".

use crate::chunks::error::ChunkError;
use crate::text::fold;

/// Births of a first name by sex.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NameStats {
    /// Boys given this name.
    pub male: u32,
    /// Girls given this name.
    pub female: u32,
}

impl NameStats {
    /// All births with this name.
    pub fn total(&self) -> u64 {
        u64::from(self.male) + u64::from(self.female)
    }

    /// The share of boys among the births, 0.0 to 1.0 (0.5 when there is none).
    pub fn male_share(&self) -> f64 {
        let t = self.total();
        if t == 0 { 0.5 } else { f64::from(self.male) / t as f64 }
    }
}

/// How many first-names chunks there are: one per letter `a`–`z`, plus `other`.
pub const PARTS: usize = 27;

/// The part (chunk name suffix) of the chunk index `i`: `"a"`…`"z"`, `"other"`.
fn part_name(i: usize) -> &'static str {
    const LETTERS: &str = "abcdefghijklmnopqrstuvwxyz";
    LETTERS.get(i..i + 1).unwrap_or("other")
}

/// The chunk index of a chunk name suffix (`"a"`…`"z"`, `"other"`).
fn part_index(part: &str) -> Option<usize> {
    match part.as_bytes() {
        [b @ b'a'..=b'z'] => Some(usize::from(b - b'a')),
        _ if part == "other" => Some(PARTS - 1),
        _ => None,
    }
}

/// The chunk index of a normalized (folded) key: its first letter.
fn bucket(key: &str) -> usize {
    match key.as_bytes().first() {
        Some(b @ b'a'..=b'z') => usize::from(b - b'a'),
        _ => PARTS - 1,
    }
}

/// The loaded first-names table: per chunk, folded names sorted for binary search.
#[derive(Default, Debug)]
pub struct FirstNames {
    parts: [Vec<(Box<str>, NameStats)>; PARTS],
    loaded: u32,
}

impl FirstNames {
    /// None loaded yet; `const` so the Wasm's validator is a plain static.
    pub const fn new() -> Self {
        FirstNames { parts: [const { Vec::new() }; PARTS], loaded: 0 }
    }
}

/// The name of the chunk that holds a first name (by its folded initial:
/// "Élodie" → `firstnames-e`, "Ölaf" → `firstnames-o`, "1" → `firstnames-other`);
/// `None` for a value with no name in it.
pub fn chunk_for(first_name: &str) -> Option<String> {
    if first_name.len() > crate::MAX_INPUT {
        return None;
    }
    let key = normalize(first_name);
    if key.is_empty() {
        return None;
    }
    Some(["firstnames-", part_name(bucket(&key))].concat())
}

impl FirstNames {
    /// Loads the chunk `firstnames-{part}` (`part` is `a`…`z` or `other`),
    /// replacing what that same chunk loaded before; the other chunks stay.
    /// Every name must belong to the chunk (its folded initial). On a
    /// malformed line the table is left as it was and the line is reported;
    /// never panics.
    #[inline(never)]
    pub fn load(&mut self, part: &str, text: &str) -> Result<(), ChunkError> {
        let Some(idx) = part_index(part) else {
            return Err(ChunkError::UnknownChunk(["firstnames-", part].concat()));
        };
        let mut names: Vec<(Box<str>, NameStats)> = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim_end_matches('\r');
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = |reason| ChunkError::BadLine { line: i + 1, reason };
            let mut parts = line.split('\t');
            let (Some(name), Some(m), Some(f), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
                return Err(bad("expected 3 tab-separated fields: name, male births, female births"));
            };
            let key = normalize(name);
            if key.is_empty() {
                return Err(bad("empty first name"));
            }
            if bucket(&key) != idx {
                return Err(bad("first name does not belong to this chunk (wrong initial)"));
            }
            let male = crate::text::parse_uint::<u32>(m.trim()).ok_or_else(|| bad("male births is not a number"))?;
            let female = crate::text::parse_uint::<u32>(f.trim()).ok_or_else(|| bad("female births is not a number"))?;
            // Generated chunks are sorted, so this is a push; a hand-made one
            // is put in order here (no sort routine in the Wasm binary).
            let stats = NameStats { male, female };
            let at = match names.last() {
                Some((last, _)) if **last > *key => names.partition_point(|(k, _)| **k <= *key),
                _ => names.len(),
            };
            names.insert(at, (key.into_boxed_str(), stats));
        }
        // The generator folds already; merge what folds together here anyway
        // (e.g. a hand-made chunk with "Andréa" and "Andrea").
        let mut merged: Vec<(Box<str>, NameStats)> = Vec::with_capacity(names.len());
        for (k, s) in names {
            match merged.last_mut() {
                Some((lk, ls)) if *lk == k => {
                    ls.male = ls.male.saturating_add(s.male);
                    ls.female = ls.female.saturating_add(s.female);
                }
                _ => merged.push((k, s)),
            }
        }
        self.parts[idx] = merged;
        self.loaded |= 1 << idx;
        Ok(())
    }

    /// True once the chunk that holds this first name is loaded (false for a
    /// value with no name in it).
    pub fn is_loaded_for(&self, first_name: &str) -> bool {
        if first_name.len() > crate::MAX_INPUT {
            return false;
        }
        let key = normalize(first_name);
        !key.is_empty() && self.loaded & (1 << bucket(&key)) != 0
    }

    /// True once the chunk `firstnames-{part}` is loaded.
    pub fn is_part_loaded(&self, part: &str) -> bool {
        part_index(part).is_some_and(|i| self.loaded & (1 << i) != 0)
    }

    /// How many names are known.
    pub fn len(&self) -> usize {
        self.parts.iter().map(Vec::len).sum()
    }

    /// True when no name is known.
    pub fn is_empty(&self) -> bool {
        self.parts.iter().all(Vec::is_empty)
    }

    /// Births for a first name, accent- and case-insensitive. A compound
    /// name the table does not know ("Jean-Kevin", "Marie Louise Anne")
    /// falls back to its first part: the first given name carries the sex
    /// in French usage. Unknown names give `None`.
    pub fn lookup(&self, first_name: &str) -> Option<NameStats> {
        if self.loaded == 0 || first_name.len() > crate::MAX_INPUT {
            return None;
        }
        let key = normalize(first_name);
        if key.is_empty() {
            return None;
        }
        if let Some(s) = self.get(&key) {
            return Some(s);
        }
        // "Jean Pierre" typed for "Jean-Pierre".
        if key.bytes().any(|b| b == b' ') {
            if let Some(s) = self.get(&key.replace(' ', "-")) {
                return Some(s);
            }
        }
        let first = key.split([' ', '-']).find(|p| !p.is_empty())?;
        if first.len() == key.len() { None } else { self.get(first) }
    }

    fn get(&self, key: &str) -> Option<NameStats> {
        let names = &self.parts[bucket(key)];
        names.binary_search_by(|(k, _)| k.as_ref().cmp(key)).ok().map(|i| names[i].1)
    }
}

/// Folds a first name for the table: accents and case removed, runs of
/// spaces collapsed, no space around hyphens, surrounding punctuation gone.
fn normalize(name: &str) -> String {
    let folded = fold(name.trim());
    let mut out = String::with_capacity(folded.len());
    for word in folded.split_whitespace() {
        if !out.is_empty() && !out.ends_with('-') && !word.starts_with('-') {
            out.push(' ');
        }
        out.push_str(word);
    }
    out.trim_matches(|c: char| c == '-' || c == '\'' || c == '.' || c == ' ').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> FirstNames {
        let mut t = FirstNames::default();
        t.load("j", "# comment\njean\t1000\t1\njean-pierre\t500\t0\n").unwrap();
        t.load("m", "marie\t10\t2000\n").unwrap();
        t.load("c", "camille\t300\t700\n").unwrap();
        t.load("a", "andrea\t10\t20\nANDRÉA\t5\t50\n").unwrap();
        t
    }

    #[test]
    fn lookup_folds_and_falls_back_to_first_part() {
        let t = table();
        assert!(t.is_loaded_for("Jean") && t.is_loaded_for("Andréa") && !t.is_loaded_for("Zébulon"));
        assert_eq!(t.lookup("JEAN").unwrap().male, 1000);
        assert_eq!(t.lookup(" jean - pierre ").unwrap().male, 500);
        assert_eq!(t.lookup("Jean Pierre").unwrap().male, 500);
        assert_eq!(t.lookup("Jean-Kévin").unwrap().male, 1000);
        assert_eq!(t.lookup("Marie Claire").unwrap().female, 2000);
        assert_eq!(t.lookup("Andréa").unwrap(), NameStats { male: 15, female: 70 });
        assert_eq!(t.lookup("Zébulon"), None);
        assert_eq!(t.lookup(""), None);
        assert_eq!(t.lookup("-"), None);
        assert!((t.lookup("camille").unwrap().male_share() - 0.3).abs() < 1e-9);
        assert_eq!(t.len(), 5);
    }

    #[test]
    fn chunks_merge_and_a_chunk_replaces_itself() {
        let mut t = FirstNames::default();
        assert!(t.is_empty() && !t.is_loaded_for("jean") && !t.is_part_loaded("j"));
        t.load("j", "jean\t1000\t1\n").unwrap();
        t.load("e", "elodie\t0\t900\n").unwrap();
        assert!(t.is_part_loaded("j") && t.is_part_loaded("e") && !t.is_part_loaded("m"));
        assert!(t.is_loaded_for("Élodie") && t.is_loaded_for(" -jean") && !t.is_loaded_for("Marie"));
        assert_eq!(t.lookup("Élodie").unwrap().female, 900);
        assert_eq!(t.lookup("jean").unwrap().male, 1000);
        // Loading `j` again replaces `j` only.
        t.load("j", "jules\t700\t0\n").unwrap();
        assert_eq!(t.lookup("jean"), None);
        assert_eq!(t.lookup("Jules").unwrap().male, 700);
        assert_eq!(t.lookup("elodie").unwrap().female, 900);
        assert_eq!(t.len(), 2);
        // Names that don't start with a-z live in `other`.
        assert!(!t.is_loaded_for("1x"));
        t.load("other", "# nothing yet\n").unwrap();
        assert!(t.is_loaded_for("1x") && t.is_part_loaded("other"));
        t.load("other", "'ti\t1\t2\n").unwrap_err(); // folds to "ti": chunk `t`
        t.load("other", "1x\t100\t0\n").unwrap();
        assert_eq!(t.lookup("1X").unwrap().male, 100);
        // A name in the wrong chunk is an error and leaves the table alone.
        assert!(matches!(t.load("j", "marie\t1\t2\n"), Err(ChunkError::BadLine { line: 1, .. })));
        assert!(matches!(t.load("z", "jean\t1\t2\n"), Err(ChunkError::BadLine { line: 1, .. })));
        assert!(!t.is_part_loaded("z"));
        assert_eq!(t.lookup("Jules").unwrap().male, 700);
    }

    #[test]
    fn chunk_names() {
        assert_eq!(chunk_for("Élodie").as_deref(), Some("firstnames-e"));
        assert_eq!(chunk_for("  jean-pierre").as_deref(), Some("firstnames-j"));
        assert_eq!(chunk_for("Œdipe").as_deref(), Some("firstnames-o"));
        assert_eq!(chunk_for("Zoé").as_deref(), Some("firstnames-z"));
        assert_eq!(chunk_for("1abc").as_deref(), Some("firstnames-other"));
        assert_eq!(chunk_for("Ωmega").as_deref(), Some("firstnames-other"));
        assert_eq!(chunk_for(" - "), None);
        assert_eq!(chunk_for(""), None);
        for (i, p) in ["a", "m", "z", "other"].iter().enumerate() {
            assert_eq!(part_name(part_index(p).unwrap()), *p, "{i}");
        }
        for bad in ["", "A", "aa", "é", "others", "0", "firstnames"] {
            assert_eq!(part_index(bad), None, "{bad:?}");
            let mut t = FirstNames::default();
            assert_eq!(t.load(bad, "jean\t1\t2\n"), Err(ChunkError::UnknownChunk(format!("firstnames-{bad}"))));
        }
    }

    #[test]
    fn bad_lines_are_reported_not_panicked() {
        let mut t = FirstNames::default();
        assert_eq!(
            t.load("j", "jean\t1\n"),
            Err(ChunkError::BadLine { line: 1, reason: "expected 3 tab-separated fields: name, male births, female births" })
        );
        assert!(matches!(t.load("j", "jean\t1\t2\nj\ty\t1\n"), Err(ChunkError::BadLine { line: 2, .. })));
        assert!(matches!(t.load("j", "jean\t1\t2\t3\n"), Err(ChunkError::BadLine { line: 1, .. })));
        assert!(matches!(t.load("j", "\t1\t2\n"), Err(ChunkError::BadLine { line: 1, .. })));
        assert!(matches!(t.load("a", "a\t-1\t2\n"), Err(ChunkError::BadLine { line: 1, .. })));
        assert!(!t.is_loaded_for("jean") && !t.is_loaded_for("a"));
        assert_eq!(t.lookup("jean"), None);
        assert_eq!(NameStats::default().male_share(), 0.5);
    }
}
