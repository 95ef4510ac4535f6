//! First names and how often each sex bears them (chunk `firstnames`).
//!
//! The chunk is made by `data/gen/firstnames.py` from the INSEE "Fichier des
//! prénoms": one line per folded first name, `name<TAB>male<TAB>female`,
//! counting births in France from 1930 on (the people who fill in forms
//! today), names with at least 100 such births only. Lines starting with
//! `#` are comments. The table only serves hints (civility ↔ first name):
//! an unknown name means "nothing to say", never "wrong".

use crate::chunks::ChunkError;
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

/// The loaded first-names table: folded names, sorted, for binary search.
#[derive(Default, Debug)]
pub struct FirstNames {
    names: Vec<(Box<str>, NameStats)>,
    loaded: bool,
}

impl FirstNames {
    /// Loads the chunk (replacing what was loaded). On a malformed line the
    /// table is left as it was and the line is reported; never panics.
    #[inline(never)]
    pub fn load(&mut self, text: &str) -> Result<(), ChunkError> {
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
            let male = m.trim().parse::<u32>().map_err(|_| bad("male births is not a number"))?;
            let female = f.trim().parse::<u32>().map_err(|_| bad("female births is not a number"))?;
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
        self.names = merged;
        self.loaded = true;
        Ok(())
    }

    /// True once the chunk has been loaded.
    pub fn is_loaded(&self) -> bool {
        self.loaded
    }

    /// How many names are known.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// True when no name is known.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Births for a first name, accent- and case-insensitive. A compound
    /// name the table does not know ("Jean-Kevin", "Marie Louise Anne")
    /// falls back to its first part: the first given name carries the sex
    /// in French usage. Unknown names give `None`.
    pub fn lookup(&self, first_name: &str) -> Option<NameStats> {
        if self.names.is_empty() || first_name.len() > crate::MAX_INPUT {
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
        self.names.binary_search_by(|(k, _)| k.as_ref().cmp(key)).ok().map(|i| self.names[i].1)
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
        t.load("# comment\njean\t1000\t1\nmarie\t10\t2000\njean-pierre\t500\t0\ncamille\t300\t700\nandrea\t10\t20\nANDRÉA\t5\t50\n")
            .unwrap();
        t
    }

    #[test]
    fn lookup_folds_and_falls_back_to_first_part() {
        let t = table();
        assert!(t.is_loaded());
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
    }

    #[test]
    fn bad_lines_are_reported_not_panicked() {
        let mut t = FirstNames::default();
        assert_eq!(
            t.load("jean\t1\n"),
            Err(ChunkError::BadLine {
                line: 1,
                reason: "expected 3 tab-separated fields: name, male births, female births"
            })
        );
        assert!(matches!(t.load("jean\t1\t2\nx\ty\t1\n"), Err(ChunkError::BadLine { line: 2, .. })));
        assert!(matches!(t.load("jean\t1\t2\t3\n"), Err(ChunkError::BadLine { line: 1, .. })));
        assert!(matches!(t.load("\t1\t2\n"), Err(ChunkError::BadLine { line: 1, .. })));
        assert!(matches!(t.load("a\t-1\t2\n"), Err(ChunkError::BadLine { line: 1, .. })));
        assert!(!t.is_loaded());
        assert_eq!(t.lookup("jean"), None);
        assert_eq!(NameStats::default().male_share(), 0.5);
    }
}
