//! Civility (title): M., Mme, Mr, Mrs, Ms, Mx… and its agreement with the
//! first name.
//!
//! Choices:
//! - French forms: `M.` and `Mme` are canonical. `Mlle` is accepted (people
//!   still pick it) but normalised to `Mme`: the French administration
//!   dropped "Mademoiselle" in 2012 (circulaire du 21 février 2012).
//! - English forms: `Mr`, `Mrs`, `Ms`, `Miss` keep their meaning; the
//!   French `Mme`/`Madame` become `Ms` (no marital status, like Madame today),
//!   `Mlle` becomes `Miss`.
//! - `Mx` is the neutral title. `Dr`, `Pr`, `Me` (Maître) are accepted
//!   titles that say nothing about gender: no `gender` detail, and
//!   [`gender`] returns `None`.

use crate::first_names::FirstNames;
use crate::messages::{Locale, Msg};
use crate::text::fold;
use crate::{Options, Verdict};

/// Messages of this module.
pub(crate) const MESSAGES: &[Msg] = &[
    Msg { code: "civility.valid", en: "", fr: "" },
    Msg { code: "civility.unknown", en: "Choose a title such as Mr, Mrs, Ms or Mx.", fr: "Choisissez une civilité : M., Mme ou Mx." },
    Msg {
        code: "civility.first_name_mismatch",
        en: "{civility} with {first_name}: please check the title.",
        fr: "{civility} avec le prénom {first_name} : vérifiez la civilité.",
    },
];

/// The gender a civility states.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Gender {
    /// M., Mr, Monsieur.
    Male,
    /// Mme, Mrs, Ms, Miss, Madame, Mlle.
    Female,
    /// Mx.
    Neutral,
}

impl Gender {
    /// `male`, `female` or `neutral`.
    pub fn as_str(self) -> &'static str {
        match self {
            Gender::Male => "male",
            Gender::Female => "female",
            Gender::Neutral => "neutral",
        }
    }
}

/// One recognised title: its canonical forms and gender.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Title {
    Mr,
    Mrs,
    Ms,
    Miss,
    Mme,
    Mlle,
    Mx,
    Dr,
    Pr,
    Me,
}

impl Title {
    fn parse(value: &str) -> Option<Title> {
        if value.len() > 40 {
            return None;
        }
        let f = fold(value.trim());
        let f = f.trim_end_matches('.').trim();
        Some(match f {
            "m" | "mr" | "monsieur" | "mister" | "mons" => Title::Mr,
            "mrs" | "missus" => Title::Mrs,
            "ms" => Title::Ms,
            "miss" => Title::Miss,
            "mme" | "madame" | "mdm" | "mde" => Title::Mme,
            "mlle" | "mademoiselle" | "melle" => Title::Mlle,
            "mx" => Title::Mx,
            "dr" | "docteur" | "doctor" | "doctoresse" => Title::Dr,
            "pr" | "prof" | "professeur" | "professor" => Title::Pr,
            "me" | "maitre" => Title::Me,
            _ => return None,
        })
    }

    fn gender(self) -> Option<Gender> {
        match self {
            Title::Mr => Some(Gender::Male),
            Title::Mrs | Title::Ms | Title::Miss | Title::Mme | Title::Mlle => Some(Gender::Female),
            Title::Mx => Some(Gender::Neutral),
            Title::Dr | Title::Pr | Title::Me => None,
        }
    }

    fn canonical(self, locale: Locale) -> &'static str {
        match (locale, self) {
            (Locale::Fr, Title::Mr) => "M.",
            (Locale::Fr, Title::Mrs | Title::Ms | Title::Miss | Title::Mme | Title::Mlle) => "Mme",
            (Locale::En, Title::Mr) => "Mr",
            (Locale::En, Title::Mrs) => "Mrs",
            (Locale::En, Title::Ms | Title::Mme) => "Ms",
            (Locale::En, Title::Miss | Title::Mlle) => "Miss",
            (_, Title::Mx) => "Mx",
            (_, Title::Dr) => "Dr",
            (_, Title::Pr) => "Pr",
            (Locale::Fr, Title::Me) => "Me",
            (Locale::En, Title::Me) => "Maître",
        }
    }
}

/// The gender a civility states, if it is a known title that states one.
pub fn gender(value: &str) -> Option<Gender> {
    Title::parse(value).and_then(Title::gender)
}

/// Checks a civility: known titles are valid and normalised in the locale
/// (details `gender`), anything else is invalid `civility.unknown`.
#[inline(never)]
pub fn check(value: &str, opts: &Options) -> Verdict {
    match Title::parse(value) {
        Some(t) => {
            let v = Verdict::valid("civility.valid").with_normalized(t.canonical(opts.locale));
            match t.gender() {
                Some(g) => v.with_text("gender", g.as_str()),
                None => v,
            }
        }
        None => Verdict::invalid("civility.unknown"),
    }
}

/// Below this many births, a first name's sex ratio says nothing firm.
pub const MIN_BIRTHS: u64 = 100;
/// A first name is "almost always" one sex from this share of births on.
pub const MISMATCH_SHARE: f64 = 0.97;

/// A `civility.first_name_mismatch` warning when a male civility goes with a
/// first name that is almost always female (≥ 97 % of at least 100 births),
/// or the other way round. `None` (nothing to say) for mixed or unknown
/// names, neutral or genderless titles, and when the first name's chunk
/// isn't loaded.
/// Details: `civility` (canonical, in `locale`), `first_name` (as typed),
/// `male_share` (rounded to 3 decimals), `gender`.
pub fn consistency(civility_value: &str, first_name_value: &str, names: &FirstNames) -> Option<Verdict> {
    consistency_in(civility_value, first_name_value, names, Locale::Fr)
}

/// [`consistency`] with the civility written the way `locale` writes it.
pub fn consistency_in(civility_value: &str, first_name_value: &str, names: &FirstNames, locale: Locale) -> Option<Verdict> {
    if !names.is_loaded_for(first_name_value) {
        return None;
    }
    let title = Title::parse(civility_value)?;
    let g = title.gender()?;
    let stats = names.lookup(first_name_value)?;
    if stats.total() < MIN_BIRTHS {
        return None;
    }
    let share = stats.male_share();
    let mismatch = match g {
        Gender::Male => 1.0 - share >= MISMATCH_SHARE,
        Gender::Female => share >= MISMATCH_SHARE,
        Gender::Neutral => false,
    };
    if !mismatch {
        return None;
    }
    let first: String = crate::text::squash_spaces(first_name_value);
    Some(
        Verdict::warning("civility.first_name_mismatch")
            .with_normalized(title.canonical(locale))
            .with_text("civility", title.canonical(locale))
            .with_text("first_name", first)
            .with_text("gender", g.as_str())
            .with_number("male_share", (share * 1000.0).round() / 1000.0),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(locale: Locale) -> Options {
        Options { locale, ..Options::default() }
    }

    #[test]
    fn titles() {
        let fr = opts(Locale::Fr);
        let en = opts(Locale::En);
        for (input, want_fr, want_en, g) in [
            ("M.", "M.", "Mr", Some(Gender::Male)),
            ("m", "M.", "Mr", Some(Gender::Male)),
            ("Mr.", "M.", "Mr", Some(Gender::Male)),
            ("MONSIEUR", "M.", "Mr", Some(Gender::Male)),
            ("Mme", "Mme", "Ms", Some(Gender::Female)),
            ("mme.", "Mme", "Ms", Some(Gender::Female)),
            ("Madame", "Mme", "Ms", Some(Gender::Female)),
            ("Mlle", "Mme", "Miss", Some(Gender::Female)),
            ("Mrs", "Mme", "Mrs", Some(Gender::Female)),
            ("Ms", "Mme", "Ms", Some(Gender::Female)),
            ("Miss", "Mme", "Miss", Some(Gender::Female)),
            ("Mx", "Mx", "Mx", Some(Gender::Neutral)),
            ("Dr", "Dr", "Dr", None),
        ] {
            let v = check(input, &fr);
            assert_eq!(v.normalized.as_deref(), Some(want_fr), "{input}");
            assert_eq!(check(input, &en).normalized.as_deref(), Some(want_en), "{input}");
            assert_eq!(gender(input), g, "{input}");
            assert_eq!(v.details.get("gender").map(|d| d.to_text()), g.map(|g| g.as_str().to_string()));
        }
        assert_eq!(check("Sir Lancelot", &fr).code, "civility.unknown");
        assert_eq!(check("Mmm", &fr).code, "civility.unknown");
        assert_eq!(gender("x"), None);
    }

    #[test]
    fn consistency_rules() {
        let mut t = FirstNames::default();
        t.load("j", "jean\t100000\t30\n").unwrap();
        t.load("m", "marie\t600\t90000\n").unwrap();
        t.load("c", "camille\t4000\t19000\n").unwrap();
        t.load("r", "rare\t50\t0\n").unwrap();
        let v = consistency("Mme", "Jean", &t).unwrap();
        assert_eq!(v.code, "civility.first_name_mismatch");
        assert!(consistency("M.", "marie", &t).is_some());
        assert!(consistency("M.", "Jean", &t).is_none());
        assert!(consistency("Mme", "Camille", &t).is_none());
        assert!(consistency("M.", "Camille", &t).is_none());
        assert!(consistency("Mme", "Rare", &t).is_none(), "too few births");
        assert!(consistency("Mme", "Zébulon", &t).is_none());
        assert!(consistency("Mx", "Jean", &t).is_none());
        assert!(consistency("Dr", "Jean", &t).is_none());
        assert!(consistency("???", "Jean", &t).is_none());
        assert!(consistency("Mme", "Jean", &FirstNames::default()).is_none());
        // Only the first name's own chunk counts.
        let mut only_m = FirstNames::default();
        only_m.load("m", "marie\t600\t90000\n").unwrap();
        assert!(consistency("M.", "Marie", &only_m).is_some());
        assert!(consistency("Mme", "Jean", &only_m).is_none());
    }
}
