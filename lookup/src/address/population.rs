//! Commune populations (INSEE, through the communes data fiable-core
//! ships: `core/chunks/communes-XX.tsv`, see data/SOURCES.md), used for the
//! importance of a place when the index is built.
//!
//! The BAN gives no population; its row count per commune is a poorer
//! proxy (a rural commune has many more addresses per inhabitant than a
//! city, so by rows a village of 800 people can outweigh a town of 5,000).

use std::collections::HashMap;

/// Populations by INSEE code, and the largest commune population per
/// postcode (for the BAN's arrondissement codes: Paris 11e is 75111 in the
/// BAN, its commune 75056 in the INSEE list).
#[derive(Debug, Default)]
pub struct Populations {
    by_insee: HashMap<String, u32>,
    by_postcode: HashMap<String, u32>,
}

impl Populations {
    /// The populations of the chunks compiled into fiable-core.
    pub fn embedded() -> Self {
        let mut p = Populations::default();
        for (name, bytes) in fiable_core::chunks::EMBEDDED {
            if name.starts_with("communes-") {
                p.add_chunk(&String::from_utf8_lossy(bytes));
            }
        }
        p
    }

    /// Adds a communes chunk (`postcode \t INSEE \t name \t population`;
    /// delegated communes have `-` and are skipped, as are malformed lines).
    pub fn add_chunk(&mut self, text: &str) {
        for line in text.lines() {
            let mut f = line.split('\t');
            let (Some(postcode), Some(insee), Some(_), Some(pop)) = (f.next(), f.next(), f.next(), f.next()) else {
                continue;
            };
            let Ok(pop) = pop.trim().parse::<u32>() else {
                continue;
            };
            self.by_insee.insert(insee.to_string(), pop);
            let e = self.by_postcode.entry(postcode.to_string()).or_default();
            *e = (*e).max(pop);
        }
    }

    /// The population of a commune: by its INSEE code, else the largest
    /// commune of its postcode, else `None` (a commune the list lacks).
    pub fn get(&self, insee: &str, postcode: &str) -> Option<u32> {
        self.by_insee.get(insee).or_else(|| self.by_postcode.get(postcode)).copied()
    }

    /// Number of communes known.
    pub fn len(&self) -> usize {
        self.by_insee.len()
    }

    /// Whether no commune is known.
    pub fn is_empty(&self) -> bool {
        self.by_insee.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_populations_know_paris_and_its_arrondissements() {
        let p = Populations::embedded();
        assert!(p.len() > 30_000, "{} communes", p.len());
        let paris = p.get("75056", "75001").unwrap_or(0);
        assert!(paris > 2_000_000, "{paris}");
        // The BAN's arrondissement code is not in the list: its postcode is.
        assert_eq!(p.get("75111", "75011"), Some(paris));
        assert_eq!(p.get("99999", "99999"), None);
    }

    #[test]
    fn malformed_and_delegated_lines_are_skipped() {
        let mut p = Populations::default();
        p.add_chunk("01000\t01053\tBourg-en-Bresse\t41365\n01000\t01999\tDelegated\t-\nshort line\n\n");
        assert_eq!(p.get("01053", ""), Some(41365));
        assert_eq!(p.get("01999", "01000"), Some(41365));
        assert_eq!(p.len(), 1);
    }
}
