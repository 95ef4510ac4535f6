//! French communes by postcode (chunks `communes-XX`) and city-name checks.
//!
//! A chunk holds the communes whose postcodes start with `XX`, one line per
//! (postcode, commune): `postcode \t INSEE code \t name \t population`,
//! sorted by postcode then rank (see `data/gen/communes.py`). The population
//! is `-` for a *delegated* or *associated* commune: a former commune merged
//! into a new one, which people still write as their city. Those are listed
//! under every postcode of the new commune; they are accepted as city names
//! ([`Communes::postcode_matches_city`], [`Communes::find_by_name`]) but
//! [`Communes::for_postcode`] returns current communes only. Paris, Lyon and
//! Marseille are single communes: "Paris 11e", "Marseille 1er
//! arrondissement" or "Paris Cedex 15" match "Paris".
//!
//! Names are compared through [`text::name_key`]: case, accents, hyphens, spaces,
//! apostrophes and "St"/"Ste" for "Saint"/"Sainte" do not matter.

use crate::chunks::error::ChunkError;
use crate::messages::Msg;
use crate::tables::postcodes::COMMUNE_PREFIXES;
use crate::text;
use crate::{Options, Verdict};

/// Messages of the `city.` codes.
pub(crate) const MESSAGES: &[Msg] = &[
    Msg { code: "city.valid", en: "", fr: "" },
    Msg { code: "city.normalized", en: "Official spelling: {suggestion}.", fr: "Orthographe officielle : {suggestion}." },
    Msg {
        code: "city.invalid_characters",
        en: "A city name cannot contain these characters.",
        fr: "Un nom de ville ne peut pas contenir ces caractères.",
    },
    Msg { code: "city.no_letters", en: "A city name needs letters.", fr: "Un nom de ville doit contenir des lettres." },
];

/// Countries whose postcodes are French (La Poste): their communes are in
/// the `communes-XX` chunks.
/// Space-separated (see [`text::list_find`]).
pub const FRENCH_POSTAL: &str = "FR GP MQ GF RE YT PM BL MF WF PF NC";

/// One commune using a postcode.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct City {
    /// Official name, e.g. "Paris".
    pub name: String,
    /// INSEE commune code, e.g. "75056".
    pub insee: String,
    /// The postcode.
    pub postcode: String,
}

#[derive(Debug, Clone)]
struct Entry {
    postcode: String,
    insee: String,
    name: String,
    /// Population; `None` for a delegated or associated commune.
    population: Option<u32>,
    key: String,
}

impl Entry {
    fn city(&self) -> City {
        City { name: self.name.clone(), insee: self.insee.clone(), postcode: self.postcode.clone() }
    }
}

/// The loaded commune chunks.
#[derive(Default, Debug)]
pub struct Communes {
    /// (two-digit prefix, entries sorted by postcode as in the chunk),
    /// sorted by prefix. A sorted `Vec`, not a `BTreeMap`: a few dozen
    /// entries at most, and less code in the Wasm binary.
    chunks: Vec<(String, Vec<Entry>)>,
    /// Per chunk (same order as `chunks`), the entry indices sorted by name
    /// key: `find_by_name` runs on every keystroke in a city field.
    by_key: Vec<Vec<u32>>,
}

impl Communes {
    /// None loaded yet; `const` so the Wasm's validator is a plain static.
    pub const fn new() -> Self {
        Communes { chunks: Vec::new(), by_key: Vec::new() }
    }
}

fn is_prefix(p: &str) -> bool {
    p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit())
}

/// The five digits of a French postcode ("75011", "75 011"), if it is one.
fn french_postcode(pc: &str) -> Option<String> {
    let s: String = pc.chars().filter(|c| !c.is_whitespace()).collect();
    (s.len() == 5 && s.bytes().all(|b| b.is_ascii_digit())).then_some(s)
}

impl Communes {
    /// Loads (or replaces) the chunk of postcodes starting with `prefix`.
    /// A malformed line rejects the whole chunk and leaves the loaded ones as they were.
    #[inline(never)]
    pub fn load(&mut self, prefix: &str, text: &str) -> Result<(), ChunkError> {
        if !is_prefix(prefix) {
            return Err(ChunkError::UnknownChunk(["communes-", prefix].concat()));
        }
        let mut entries = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let bad = |reason| ChunkError::BadLine { line: i + 1, reason };
            if line.is_empty() {
                continue;
            }
            let f: Vec<&str> = line.split('\t').collect();
            if f.len() != 4 {
                return Err(bad("expected 4 tab-separated fields"));
            }
            let pc = f[0];
            if pc.len() != 5 || !pc.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad("postcode is not 5 digits"));
            }
            if !pc.starts_with(prefix) {
                return Err(bad("postcode outside the chunk"));
            }
            if f[1].len() != 5 || !f[1].bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(bad("INSEE code is not 5 characters"));
            }
            if f[2].trim().is_empty() {
                return Err(bad("empty name"));
            }
            let population = match f[3] {
                "-" => None,
                p => Some(crate::text::parse_uint::<u32>(p).ok_or_else(|| bad("population is not a number or -"))?),
            };
            if entries.last().is_some_and(|e: &Entry| e.postcode.as_str() > pc) {
                return Err(bad("lines are not sorted by postcode"));
            }
            entries.push(Entry {
                postcode: pc.to_string(),
                insee: f[1].to_string(),
                name: f[2].to_string(),
                population,
                key: text::name_key(f[2]),
            });
        }
        // Binary insertion (a chunk has at most ~1,000 communes): no sort
        // routine in the Wasm binary.
        let mut index: Vec<u32> = Vec::with_capacity(entries.len());
        for (i, e) in entries.iter().enumerate() {
            let at = index.partition_point(|&j| entries[j as usize].key <= e.key);
            index.insert(at, i as u32);
        }
        match self.chunks.binary_search_by(|(p, _)| p.as_str().cmp(prefix)) {
            Ok(i) => {
                self.chunks[i].1 = entries;
                self.by_key[i] = index;
            }
            Err(i) => {
                self.chunks.insert(i, (prefix.to_string(), entries));
                self.by_key.insert(i, index);
            }
        }
        Ok(())
    }

    /// Whether the chunk of `prefix` is loaded. `prefix` is two digits; a
    /// longer value (a whole postcode) is looked up by its first two characters.
    pub fn is_loaded(&self, prefix: &str) -> bool {
        prefix.get(..2).is_some_and(|p| self.chunk(p).is_some())
    }

    /// The prefixes of the loaded chunks, in order.
    pub fn loaded(&self) -> impl Iterator<Item = &str> {
        self.chunks.iter().map(|(p, _)| p.as_str())
    }

    fn chunk(&self, prefix: &str) -> Option<&Vec<Entry>> {
        let i = self.chunks.binary_search_by(|(p, _)| p.as_str().cmp(prefix)).ok()?;
        self.chunks.get(i).map(|(_, e)| e)
    }

    fn entries_for(&self, pc: &str) -> &[Entry] {
        let Some(entries) = self.chunk(&pc[..2]) else {
            return &[];
        };
        let start = entries.partition_point(|e| e.postcode.as_str() < pc);
        let end = start + entries[start..].partition_point(|e| e.postcode == pc);
        &entries[start..end]
    }

    /// The current communes of a postcode, most populous first (empty when
    /// the postcode is unknown or its chunk is not loaded).
    pub fn for_postcode(&self, postcode: &str) -> Vec<City> {
        let Some(pc) = french_postcode(postcode) else {
            return Vec::new();
        };
        self.entries_for(&pc).iter().filter(|e| e.population.is_some()).map(Entry::city).collect()
    }

    /// Every commune (delegated ones included) named `name` in the loaded
    /// chunks, one per postcode: current communes first, most populous first.
    pub fn find_by_name(&self, name: &str) -> Vec<City> {
        let key = query_key(name);
        if key.is_empty() {
            return Vec::new();
        }
        fn order(e: &Entry) -> (bool, std::cmp::Reverse<Option<u32>>, &str, &str, &str) {
            (e.population.is_none(), std::cmp::Reverse(e.population), &e.name, &e.postcode, &e.insee)
        }
        // A stable insertion sort (few matches; no sort routine in the Wasm binary).
        let mut found: Vec<&Entry> = Vec::new();
        let entries = self.chunks.iter().zip(&self.by_key).flat_map(|((_, c), index)| {
            let start = index.partition_point(|&j| c[j as usize].key.as_str() < key.as_str());
            index[start..].iter().map(|&j| &c[j as usize]).take_while(|e| e.key == key)
        });
        for e in entries {
            let k = order(e);
            let at = found.partition_point(|f| order(f) <= k);
            found.insert(at, e);
        }
        found.into_iter().map(Entry::city).collect()
    }

    /// Whether a commune of that postcode has that name (delegated communes
    /// included). `None` when it cannot be told: the postcode is not French,
    /// its chunk is not loaded, or no commune uses it.
    pub fn postcode_matches_city(&self, postcode: &str, city: &str) -> Option<bool> {
        let pc = french_postcode(postcode)?;
        if !self.is_loaded(&pc) {
            return None;
        }
        let entries = self.entries_for(&pc);
        if entries.is_empty() {
            return None;
        }
        let key = query_key(city);
        Some(entries.iter().any(|e| e.key == key))
    }
}

/// Whether French postcodes starting with these two digits belong to communes
/// (departments and overseas territories with a commune chunk).
pub(crate) fn has_communes(prefix: &str) -> bool {
    // The generated list is "01 02 … 98": fixed-width cells, no splitting.
    prefix.len() == 2 && COMMUNE_PREFIXES.as_bytes().chunks(3).any(|c| c.get(..2) == Some(prefix.as_bytes()))
}

/// The name of the chunk that holds a French postcode's communes, if the
/// value starts like a French postcode whose prefix has a chunk ("75…" →
/// `communes-75`; "00…", "99…" → none).
pub fn communes_chunk_for(postcode: &str) -> Option<String> {
    let p = postcode.trim();
    let prefix = p.get(..2)?;
    let known = prefix.bytes().all(|b| b.is_ascii_digit()) && has_communes(prefix);
    known.then(|| ["communes-", prefix].concat())
}

fn is_arrondissement_number(w: &str) -> bool {
    let digits = w.bytes().take_while(u8::is_ascii_digit).count();
    let (num, suffix) = if digits > 0 && digits <= 2 {
        (true, &w[digits..])
    } else {
        let romans = w.bytes().take_while(|b| matches!(b, b'i' | b'v' | b'x')).count();
        (romans > 0 && romans <= 5, &w[romans..])
    };
    num && matches!(suffix, "" | "e" | "er" | "eme" | "ieme" | "re" | "me")
}

/// The key of a typed city: like [`text::name_key`], without a trailing "Cedex NN"
/// or, for Paris, Lyon and Marseille, a trailing arrondissement.
fn query_key(s: &str) -> String {
    let mut w = text::name_words(s);
    if let Some(i) = w.iter().position(|x| x == "cedex") {
        if i > 0 && w[i + 1..].iter().all(|x| x.bytes().all(|b| b.is_ascii_digit())) {
            w.truncate(i);
        }
    }
    if w.len() >= 2 && w.last().is_some_and(|x| x == "arrondissement" || x == "arr") {
        w.pop();
    }
    if w.len() == 2 && matches!(w[0].as_str(), "paris" | "lyon" | "marseille") && is_arrondissement_number(&w[1]) {
        w.pop();
    }
    text::join(&w, "")
}

/// Lower-case words of place names that stay lower case inside a name
/// ("Saint-Germain-en-Laye", "Villeneuve-d'Ascq", "Rio de Janeiro").
const PARTICLES: &str = "\
de du des d la le les l en sur sous lès lez et aux au à on upon the of y del di da dos das van \
von der";

/// "saint-jean-de-luz" → "Saint-Jean-de-Luz"; "LE HAVRE" → "Le Havre".
fn capitalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut word = String::new();
    let mut first = true;
    let flush = |word: &mut String, out: &mut String, first: &mut bool| {
        if word.is_empty() {
            return;
        }
        let lower = text::lower_str(word);
        if !*first && text::list_find(PARTICLES, &lower).is_some() {
            out.push_str(&lower);
        } else {
            let mut cs = lower.chars();
            if let Some(c) = cs.next() {
                out.push(text::upper(c));
                out.push_str(cs.as_str());
            }
        }
        *first = false;
        word.clear();
    };
    for c in s.chars() {
        if text::is_alphanumeric(c) || text::is_combining(c) {
            word.push(c);
        } else {
            flush(&mut word, &mut out, &mut first);
            out.push(c);
        }
    }
    flush(&mut word, &mut out, &mut first);
    out
}

/// Collapses runs of spaces and removes spaces around hyphens and apostrophes.
fn tidy(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for part in s.split_whitespace() {
        let glue = out.ends_with(['-', '\'', '’']) || part.starts_with('-');
        if !out.is_empty() && !glue {
            out.push(' ');
        }
        out.push_str(part);
    }
    out
}

/// Checks a city name. With French postcodes (no country, or a country of
/// [`FRENCH_POSTAL`]), a name matching a commune of the loaded chunks is
/// `valid`, with the official spelling as `suggestion` (`city.normalized`)
/// when written differently and details `postcodes`. Otherwise the name
/// is only given a tidy capitalisation in `normalized`.
#[inline(never)]
pub fn check_city(value: &str, opts: &Options, communes: &Communes) -> Verdict {
    let t = value.trim();
    let allowed = |c: char| {
        text::is_alphanumeric(c)
            || text::is_combining(c)
            || c.is_whitespace()
            || matches!(c, '-' | '\'' | '’' | '.' | '(' | ')' | '/' | ',')
    };
    if !t.chars().all(allowed) {
        return Verdict::invalid("city.invalid_characters");
    }
    if !t.chars().any(text::is_letter) {
        return Verdict::invalid("city.no_letters");
    }
    let tidy = tidy(t);
    let french = match &opts.country {
        None => true,
        Some(c) => crate::country::resolve(c).is_some_and(|c| text::list_find(FRENCH_POSTAL, c).is_some()),
    };
    if french {
        let found = communes.find_by_name(&tidy);
        if let Some(best) = found.first() {
            let mut postcodes: Vec<String> = found.iter().filter(|c| c.name == best.name).map(|c| c.postcode.clone()).collect();
            postcodes.dedup();
            let v = if tidy == best.name {
                Verdict::valid("city.valid")
            } else {
                Verdict::valid("city.normalized").with_suggestion(best.name.clone())
            };
            return v.with_normalized(best.name.clone()).with("postcodes", crate::Detail::List(postcodes));
        }
    }
    let letters = tidy.chars().filter(|&c| text::is_letter(c));
    let all_lower = letters.clone().all(text::is_lower);
    let all_upper = letters.clone().all(text::is_upper);
    let normalized = if all_lower || all_upper { capitalize(&tidy) } else { tidy };
    Verdict::valid("city.valid").with_normalized(normalized)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "75001\t75056\tParis\t2103778\n\
75011\t75056\tParis\t2103778\n\
75116\t75056\tParis\t2103778\n";
    const SAMPLE_93: &str = "93200\t93066\tSaint-Denis\t113942\n\
93210\t93066\tSaint-Denis\t113942\n";
    const SAMPLE_50: &str = "50100\t50129\tCherbourg-en-Cotentin\t78549\n\
50100\t50129\tCherbourg-Octeville\t-\n";

    fn loaded() -> Communes {
        let mut c = Communes::default();
        c.load("75", SAMPLE).unwrap();
        c.load("93", SAMPLE_93).unwrap();
        c.load("50", SAMPLE_50).unwrap();
        c
    }

    #[test]
    fn keys() {
        assert_eq!(text::name_key("St-Denis"), "saintdenis");
        assert_eq!(text::name_key("SAINT DENIS"), "saintdenis");
        assert_eq!(text::name_key("L'Haÿ-les-Roses"), "lhaylesroses");
        assert_eq!(text::name_key("Ste Foy lès Lyon"), "saintefoyleslyon");
        assert_eq!(query_key("Paris 11e Arrondissement"), "paris");
        assert_eq!(query_key("PARIS CEDEX 15"), "paris");
        assert_eq!(query_key("Marseille 1er"), "marseille");
        assert_eq!(query_key("Lyon 3ème"), "lyon");
        assert_eq!(query_key("Paris XI"), "paris");
        assert_eq!(query_key("Cedex"), "cedex");
        assert_eq!(query_key("Saint-Denis 2"), "saintdenis2");
    }

    #[test]
    fn loads_and_finds() {
        let c = loaded();
        assert!(c.is_loaded("75") && c.is_loaded("75011") && !c.is_loaded("13") && !c.is_loaded("7"));
        let p = c.for_postcode("75 011");
        assert_eq!(p, vec![City { name: "Paris".into(), insee: "75056".into(), postcode: "75011".into() }]);
        assert!(c.for_postcode("75099").is_empty());
        assert!(c.for_postcode("garbage").is_empty());
        assert_eq!(c.for_postcode("50100").len(), 1, "delegated communes are not listed");
        assert_eq!(c.find_by_name("st denis").len(), 2);
        assert_eq!(c.find_by_name("cherbourg octeville")[0].insee, "50129");
        assert_eq!(c.postcode_matches_city("75011", "paris 11e"), Some(true));
        assert_eq!(c.postcode_matches_city("75011", "Lyon"), Some(false));
        assert_eq!(c.postcode_matches_city("50100", "Cherbourg-Octeville"), Some(true));
        assert_eq!(c.postcode_matches_city("13001", "Marseille"), None);
        assert_eq!(c.postcode_matches_city("75099", "Paris"), None);
        assert_eq!(c.postcode_matches_city("SW1A 1AA", "London"), None);
    }

    #[test]
    fn rejects_bad_chunks() {
        let mut c = Communes::default();
        assert!(matches!(c.load("7", ""), Err(ChunkError::UnknownChunk(_))));
        assert_eq!(c.load("75", "75011\t75056\tParis"), Err(ChunkError::BadLine { line: 1, reason: "expected 4 tab-separated fields" }));
        assert!(matches!(c.load("75", "13001\t13055\tMarseille\t1"), Err(ChunkError::BadLine { line: 1, .. })));
        assert!(matches!(c.load("75", "75011\t75056\tParis\tmany"), Err(ChunkError::BadLine { .. })));
        assert!(matches!(c.load("75", "7501\t75056\tParis\t1"), Err(ChunkError::BadLine { .. })));
        assert!(matches!(c.load("75", "75011\t75056\t \t1"), Err(ChunkError::BadLine { .. })));
        assert!(!c.is_loaded("75"));
        c.load("75", "").unwrap();
        assert!(c.is_loaded("75"));
    }

    #[test]
    fn city_checks() {
        let c = loaded();
        let o = Options::default();
        let v = check_city("st denis", &o, &c);
        assert_eq!((v.code, v.suggestion.as_deref()), ("city.normalized", Some("Saint-Denis")));
        let v = check_city("Saint-Denis", &o, &c);
        assert_eq!((v.code, v.suggestion.as_deref()), ("city.valid", None));
        assert_eq!(check_city("saint-jean-de-luz", &o, &c).normalized.as_deref(), Some("Saint-Jean-de-Luz"));
        assert_eq!(check_city("LE  HAVRE", &o, &c).normalized.as_deref(), Some("Le Havre"));
        assert_eq!(check_city("villeneuve - d'ascq", &o, &c).normalized.as_deref(), Some("Villeneuve-d'Ascq"));
        assert_eq!(check_city("McAllen", &o, &c).normalized.as_deref(), Some("McAllen"));
        assert_eq!(check_city("Par!s", &o, &c).code, "city.invalid_characters");
        assert_eq!(check_city("75011", &o, &c).code, "city.no_letters");
        let uk = Options { country: Some("GB".into()), ..Options::default() };
        assert_eq!(check_city("paris", &uk, &c).normalized.as_deref(), Some("Paris"));
        assert_eq!(check_city("paris", &uk, &c).code, "city.valid");
    }

    #[test]
    fn real_chunks() {
        let mut c = Communes::default();
        c.load("75", include_str!("../chunks/communes-75.tsv")).unwrap();
        c.load("13", include_str!("../chunks/communes-13.tsv")).unwrap();
        c.load("69", include_str!("../chunks/communes-69.tsv")).unwrap();
        let paris = c.for_postcode("75011");
        assert!(paris.iter().any(|x| x.name == "Paris" && x.insee == "75056"), "{paris:?}");
        assert_eq!(c.for_postcode("13001")[0].insee, "13055");
        assert_eq!(c.for_postcode("69003")[0].name, "Lyon");
        assert_eq!(c.postcode_matches_city("13008", "Marseille 8e arrondissement"), Some(true));
        assert_eq!(c.postcode_matches_city("75116", "PARIS"), Some(true));
        assert_eq!(c.postcode_matches_city("75116", "Lyon"), Some(false));
        assert!(c.for_postcode("75099").is_empty());
    }
}
