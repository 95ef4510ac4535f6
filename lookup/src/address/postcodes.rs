//! Postcodes of the loaded index: does a postcode exist, which communes use
//! it, and which departments the index covers at all (a postcode outside
//! them is unknown here, not known to be wrong). Built on the index's public
//! API only.
use std::collections::BTreeSet;

use serde::Serialize;

use super::Index;

/// One commune using a postcode.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Commune {
    /// Commune name as the BAN writes it ("Paris 11e Arrondissement").
    pub name: String,
    /// INSEE code ("75111").
    pub citycode: String,
}

/// The communes using `postcode` (canonical, 5 digits) in the index, by
/// name, each INSEE code once.
pub fn communes(idx: &Index, postcode: &str) -> Vec<Commune> {
    let mut out: Vec<Commune> = Vec::new();
    for l in idx.localities_for_postcode(postcode) {
        let loc = idx.locality(l);
        let citycode = idx.str(loc.insee);
        if !out.iter().any(|c| c.citycode == citycode) {
            out.push(Commune { name: idx.str(loc.name).to_string(), citycode: citycode.to_string() });
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.citycode.cmp(&b.citycode)));
    out
}

/// The departments an index covers: the department part of every postcode
/// it has (two digits, three for overseas "97x"/"98x"). Computed once per
/// index (one pass over the localities).
#[derive(Clone, Debug, Default)]
pub struct Coverage(BTreeSet<String>);

impl Coverage {
    /// The coverage of `idx`.
    pub fn of(idx: &Index) -> Self {
        let mut set = BTreeSet::new();
        for i in 0..idx.locality_count() {
            if let Some(d) = department(idx.str(idx.locality(i as u32).postcode)) {
                set.insert(d.to_string());
            }
        }
        Coverage(set)
    }

    /// Whether the index has postcodes of `postcode`'s department.
    pub fn covers(&self, postcode: &str) -> bool {
        department(postcode).is_some_and(|d| self.0.contains(d))
    }

    /// Number of departments covered.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the index covers no department.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The department part of a 5-digit postcode.
fn department(postcode: &str) -> Option<&str> {
    if postcode.len() != 5 || !postcode.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(if postcode.starts_with("97") || postcode.starts_with("98") { &postcode[..3] } else { &postcode[..2] })
}

#[cfg(test)]
mod tests {
    use super::department;

    #[test]
    fn departments() {
        assert_eq!(department("75011"), Some("75"));
        assert_eq!(department("97411"), Some("974"));
        assert_eq!(department("2A004"), None);
        assert_eq!(department("7501"), None);
    }
}
