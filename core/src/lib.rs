//! fiable-core: the pure validators of fiable.
//!
//! Every check takes a value and [`Options`] and returns a [`Verdict`]:
//! data, never a panic, never an error for a bad value. No I/O and no wasm
//! here: the browser widget (`fiable`) and the lookup service
//! (`fiable-lookup`) are thin shells around this crate.
//!
//! Most reference data is compiled in (generated tables under `tables/`).
//! The larger French tables (communes, first names) are *chunks*: the
//! browser fetches them on first use and hands the bytes to
//! [`Validator::load_chunk`]; native users enable `embedded-chunks`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
// `make pkg` builds the Wasm for size (opt-level z) and sets `fiable_speed`
// (its std rebuild already allows unstable flags): the full module (feature
// `more`, what init() and Node load) then builds the hot functions of the
// phone and email checks for speed (−9 % and −3 % per check), for +1.9 KB
// gzip of a module fetched lazily; the eager module the script tag loads
// up front stays all size.
#![cfg_attr(fiable_speed, feature(optimize_attribute))]

pub mod birth_date;
pub mod chunks;
pub mod civility;
pub mod communes;
pub mod country;
pub mod email;
pub mod first_names;
pub mod form;
pub mod hint;
pub mod messages;
pub mod names;
pub mod phone;
pub mod postcode;
pub mod remote;
pub mod street;
pub mod tables;
pub mod text;
pub mod verdict;

pub use birth_date::Date;
pub use messages::Locale;
pub use verdict::{Detail, Details, Status, Verdict};

/// Longest value any check looks at; longer input is rejected outright so
/// that no check ever does unbounded work on a pasted novel.
pub const MAX_INPUT: usize = 1024;

/// The kinds of field fiable checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// An email address.
    Email,
    /// A phone number.
    Phone,
    /// A postal code.
    Postcode,
    /// A city (commune) name.
    City,
    /// A first (given) name.
    FirstName,
    /// A last (family) name.
    LastName,
    /// A civility / title: M., Mme, Mr, Mrs, Ms…
    Civility,
    /// A date of birth.
    BirthDate,
    /// A country (ISO 3166 code or name).
    Country,
    /// A street line: house number and street name.
    Street,
}

impl Kind {
    /// Every kind, in a stable order.
    pub const ALL: [Kind; 10] = [
        Kind::Email,
        Kind::Phone,
        Kind::Postcode,
        Kind::City,
        Kind::FirstName,
        Kind::LastName,
        Kind::Civility,
        Kind::BirthDate,
        Kind::Country,
        Kind::Street,
    ];

    /// Parses `email`, `first_name`, `firstName`, `birth-date`, … (case-insensitive).
    pub fn parse(s: &str) -> Option<Kind> {
        let mut k = String::with_capacity(s.len());
        for c in s.chars() {
            if c != '_' && c != '-' {
                k.push(c.to_ascii_lowercase());
            }
        }
        Some(match k.as_str() {
            "email" => Kind::Email,
            "phone" | "tel" => Kind::Phone,
            "postcode" | "postalcode" | "zip" => Kind::Postcode,
            "city" => Kind::City,
            "firstname" | "givenname" => Kind::FirstName,
            "lastname" | "familyname" => Kind::LastName,
            "civility" | "title" => Kind::Civility,
            "birthdate" | "dateofbirth" => Kind::BirthDate,
            "country" => Kind::Country,
            "street" | "streetaddress" | "addressline1" => Kind::Street,
            _ => return None,
        })
    }

    /// The canonical name: `email`, `first_name`, …
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Email => "email",
            Kind::Phone => "phone",
            Kind::Postcode => "postcode",
            Kind::City => "city",
            Kind::FirstName => "first_name",
            Kind::LastName => "last_name",
            Kind::Civility => "civility",
            Kind::BirthDate => "birth_date",
            Kind::Country => "country",
            Kind::Street => "street",
        }
    }

    /// Whether the eager Wasm module (built without the feature `more`)
    /// checks this kind: what a French signup form's first keystrokes need.
    /// The others answer `pending` there until the full module is loaded.
    pub const fn is_eager(self) -> bool {
        matches!(self, Kind::Email | Kind::Phone | Kind::FirstName | Kind::LastName | Kind::Civility)
    }

    /// Whether this kind's check reads `Options::today` (a birth date's
    /// age): the page reads its clock for these checks only.
    pub fn reads_today(self) -> bool {
        matches!(self, Kind::BirthDate)
    }

    /// The prefix of the verdict codes this kind's check may give besides
    /// the `field.` ones: `email` for emails, `name` for both names, …
    pub fn code_prefix(self) -> &'static str {
        match self {
            Kind::FirstName | Kind::LastName => "name",
            k => k.as_str(),
        }
    }
}

/// What a check may be told besides the value.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Options {
    /// Message language.
    pub locale: Locale,
    /// Default country (ISO 3166 alpha-2, upper case) for phones and postcodes.
    pub country: Option<String>,
    /// Minimum age for a birth date (France: 15 to consent alone).
    pub min_age: Option<u8>,
    /// Today's date, given by the caller (the core has no clock).
    pub today: Option<Date>,
    /// Whether an empty value is invalid.
    pub required: bool,
}

/// Holds the lazily loaded data and runs checks. Cheap to create; the
/// compiled-in tables are statics shared by all validators.
#[derive(Default)]
pub struct Validator {
    /// French communes by postcode, filled chunk by chunk.
    pub communes: communes::Communes,
    /// First names with their sex ratio.
    pub first_names: first_names::FirstNames,
}

impl Validator {
    /// A validator with only the compiled-in tables. `const`: the Wasm keeps
    /// its validator in a `const`-initialised thread-local, without the lazy
    /// initialisation code (~0.8 KB) of a plain one.
    pub const fn new() -> Self {
        Validator { communes: communes::Communes::new(), first_names: first_names::FirstNames::new() }
    }

    /// A validator with every chunk loaded (native builds).
    #[cfg(feature = "embedded-chunks")]
    pub fn with_embedded_chunks() -> Self {
        let mut v = Self::new();
        for (name, bytes) in chunks::EMBEDDED {
            // A chunk that does not load is left out, as in a page whose fetch
            // failed: its checks answer `pending`, never panic. The test
            // `every_embedded_chunk_loads` keeps the compiled-in files valid.
            let _ = v.load_chunk(name, bytes);
        }
        v
    }

    /// Loads one data chunk by name (see [`chunks`]).
    #[inline(never)]
    pub fn load_chunk(&mut self, name: &str, bytes: &[u8]) -> Result<(), chunks::ChunkError> {
        chunks::load(self, name, bytes)
    }

    /// Checks one value of a kind. Never panics.
    #[inline(never)]
    pub fn validate(&self, kind: Kind, value: &str, opts: &Options) -> Verdict {
        let mut v = self.rendered(kind, value, opts);
        if v.field.is_empty() {
            v.field = kind.as_str().to_string();
        }
        v
    }

    /// [`Validator::validate`] as a verdict record (`Verdict::to_record`),
    /// the same text: the field named by the kind without a copy of its
    /// name (a check's verdict has no field name of its own). What the Wasm
    /// answers per keystroke.
    pub fn validate_record(&self, kind: Kind, value: &str, opts: &Options) -> String {
        let v = self.rendered(kind, value, opts);
        v.to_record_as(if v.field.is_empty() { kind.as_str() } else { &v.field })
    }

    /// The check's verdict with its message, its field not named yet.
    #[inline(never)]
    fn rendered(&self, kind: Kind, value: &str, opts: &Options) -> Verdict {
        let mut v = self.check(kind, value, opts);
        v.message = messages::render(&v, value, opts.locale);
        v
    }

    #[inline(never)]
    fn check(&self, kind: Kind, value: &str, opts: &Options) -> Verdict {
        if value.len() > MAX_INPUT {
            return Verdict::invalid("field.too_long");
        }
        if value.trim().is_empty() {
            return if opts.required { Verdict::invalid("field.required") } else { Verdict::valid("field.empty") };
        }
        match kind {
            // Without its lists an email verdict could be wrong: none yet.
            Kind::Email if !email::lists_loaded() => Verdict::new(verdict::Status::Pending, "email.pending"),
            Kind::Email => email::check(value, opts),
            Kind::Phone => phone::check(value, opts),
            #[cfg(feature = "more")]
            Kind::Postcode => postcode::check(value, opts, &self.communes),
            #[cfg(feature = "more")]
            Kind::City => communes::check_city(value, opts, &self.communes),
            Kind::FirstName => names::check_first(value, opts),
            Kind::LastName => names::check_last(value, opts),
            Kind::Civility => civility::check(value, opts),
            #[cfg(feature = "more")]
            Kind::BirthDate => birth_date::check(value, opts),
            #[cfg(feature = "more")]
            Kind::Country => country::check(value, opts),
            #[cfg(feature = "more")]
            Kind::Street => street::check(value, opts),
            // The eager module: the full one checks it (`missing_chunks` asks for it).
            #[cfg(not(feature = "more"))]
            _ => Verdict::new(verdict::Status::Pending, "field.pending"),
        }
    }

    /// The chunks a check of `kind` on `value` would use that are not loaded
    /// yet: what the browser should fetch before (or after) checking.
    /// `country` is the check's country option: communes exist only for
    /// France and the territories of the French postal system.
    pub fn missing_chunks(&self, kind: Kind, value: &str, country: Option<&str>) -> Vec<String> {
        let mut out = Vec::new();
        match kind {
            #[cfg(not(feature = "more"))]
            k if !k.is_eager() => out.push(chunks::FULL_MODULE.into()),
            #[cfg(feature = "more")]
            Kind::Postcode => {
                let french =
                    country.is_none_or(|c| country::resolve(c).is_some_and(|c| text::list_find(communes::FRENCH_POSTAL, c).is_some()));
                if let Some(name) = communes::communes_chunk_for(value).filter(|_| french) {
                    if !self.communes.is_loaded(&name["communes-".len()..]) {
                        out.push(name);
                    }
                }
                // The other countries' rules: asked for exactly when the check would wait for them.
                if !value.trim().is_empty() && !postcode::others_loaded() {
                    let o = Options { country: country.map(str::to_string), ..Options::default() };
                    if postcode::check(value, &o, &self.communes).code == "postcode.pending" {
                        out.push("postcodes".into());
                    }
                }
            }
            Kind::Phone => out = phone::missing_chunks(value, country),
            Kind::Email if !value.trim().is_empty() && !email::lists_loaded() => out.push("email-domains".into()),
            // A name the French names and aliases do not know may be English.
            #[cfg(feature = "more")]
            Kind::Country if country::needs_english(value) => out.push(messages::ENGLISH_CHUNK.into()),
            // The civility ↔ first-name rule needs the first name's chunk,
            // which the first-name field asks for; a civility alone needs none.
            Kind::FirstName => {
                if let Some(name) = first_names::chunk_for(value) {
                    if !self.first_names.is_loaded_for(value) {
                        out.push(name);
                    }
                }
            }
            _ => {}
        }
        out
    }

    /// The communes that use a French postcode (empty until the chunk is loaded).
    #[cfg(feature = "more")]
    #[inline(never)]
    pub fn cities_for_postcode(&self, postcode: &str) -> Vec<communes::City> {
        self.communes.for_postcode(postcode)
    }

    /// Checks a whole form, then applies the cross-field rules.
    #[inline(never)]
    pub fn validate_form(&self, fields: &[form::Field], opts: &Options) -> Vec<Verdict> {
        form::validate(self, fields, opts)
    }
}
