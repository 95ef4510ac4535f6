//! The consent record (ISO/IEC 27560-inspired) and its canonical form.
//!
//! A [`ConsentRecord`] says who (a pseudonymous subject reference, never
//! the person's data), for which controller, which purposes with the exact
//! text shown and its SHA-256, granted or refused under which legal basis,
//! through which channel and collector, on which form, in which locale and
//! when the person acted. The core has no clock: times are RFC 3339
//! strings given by the caller.
//!
//! [`validate`] returns a list of [`Problem`]s with stable codes
//! (`consent.text_hash_mismatch`, …), never a panic. [`ConsentRecord::canonical_json`]
//! writes the record in RFC 8785 (JCS) style — keys sorted, no whitespace,
//! minimal escaping, integers only — so that its SHA-256
//! ([`ConsentRecord::sha256`]) is reproducible anywhere.
//! The JSON Schema of the record is `pkg/consent.schema.json`.
//!
//! Personal data: a submission may carry [`SubjectData`] (email, phone,
//! names, postcode) so that the service can derive the pseudonymous
//! subject and find duplicates. The service never stores it in clear: it
//! replaces it by [`Sealed`] (the same data encrypted under a per-subject
//! key) before the record is hashed into the ledger, so destroying the key
//! erases the person and the chain still verifies. The proof of that
//! destruction is an [`Erasure`] record in the same ledger.

use serde::Deserialize;
use sha2::{Digest, Sha256};

/// The schema version this crate writes and accepts.
pub const SCHEMA_VERSION: u32 = 1;
/// Most purposes one record may carry.
pub const MAX_PURPOSES: usize = 32;
/// Longest purpose text, in bytes.
pub const MAX_TEXT: usize = 4096;
/// Longest identifier or short field (ids, names, refs), in bytes.
pub const MAX_SHORT: usize = 256;

/// One consent record, as submitted and as stored.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentRecord {
    /// Unique id of this record (the service assigns one when empty).
    #[serde(default)]
    pub record_id: String,
    /// Version of this record's schema ([`SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// Pseudonymous, keyed reference of the person (e.g. an HMAC of the
    /// customer id under a controller key). Never an email or a name.
    pub subject: String,
    /// Who the consent is given to.
    pub controller: Controller,
    /// Each purpose, with the exact text shown.
    pub purposes: Vec<Purpose>,
    /// `web`, `store`, `phone` or `app` (see [`Channel`]).
    pub channel: String,
    /// Who collected it: a site, or an advisor in a store.
    pub collector: Collector,
    /// The form the consent was given on.
    pub form: FormRef,
    /// Locale of the texts shown (BCP 47, e.g. `fr` or `fr-FR`).
    pub locale: String,
    /// When the person acted (RFC 3339, given by the caller).
    pub acted_at: String,
    /// When the consent lapses (RFC 3339), if it does.
    #[serde(default)]
    pub expires_at: Option<String>,
    /// How long the proof is kept after expiry or withdrawal, in days.
    #[serde(default)]
    pub retention_days: Option<u32>,
    /// The record this one withdraws (a withdrawal is a new record).
    #[serde(default)]
    pub withdraws: Option<String>,
    /// Contact data of the person, in clear: only in a submission, never
    /// in the ledger (the service seals it).
    #[serde(default)]
    pub subject_data: Option<SubjectData>,
    /// [`SubjectData`] encrypted under the subject's key: what the ledger
    /// keeps in its place.
    #[serde(default)]
    pub sealed: Option<Sealed>,
}

/// Contact data of the person, as the form normalised it. Checked with
/// this crate's own validators; never logged, never stored in clear.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubjectData {
    /// Email address.
    #[serde(default)]
    pub email: Option<String>,
    /// Phone number, E.164 (`+33612345678`).
    #[serde(default)]
    pub phone: Option<String>,
    /// First (given) name.
    #[serde(default)]
    pub first_name: Option<String>,
    /// Last (family) name.
    #[serde(default)]
    pub last_name: Option<String>,
    /// Postcode.
    #[serde(default)]
    pub postcode: Option<String>,
    /// Country of the postcode and phone (ISO 3166 alpha-2, `FR`).
    #[serde(default)]
    pub country: Option<String>,
}

/// Personal data encrypted with an AEAD under a per-subject key, the
/// record id as associated data. Hex strings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sealed {
    /// The AEAD, e.g. `chacha20poly1305`.
    pub alg: String,
    /// The nonce, lowercase hex.
    pub nonce: String,
    /// Ciphertext with its tag, lowercase hex.
    pub ciphertext: String,
}

/// Longest sealed ciphertext, in hex digits.
pub const MAX_SEALED_HEX: usize = 16 * 1024;

/// The data controller.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Controller {
    /// Legal name.
    pub name: String,
    /// Contact for data-protection requests (DPO address or URL).
    pub contact: String,
}

/// One purpose and the person's decision on it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Purpose {
    /// Stable purpose id, e.g. `newsletter`.
    pub id: String,
    /// The exact text shown to the person.
    pub text: String,
    /// Lowercase hex SHA-256 of the UTF-8 bytes of `text`.
    #[serde(default)]
    pub text_sha256: String,
    /// `granted`, `refused` or `withdrawn` (see [`Decision`]).
    pub decision: String,
    /// GDPR art. 6 basis (see [`LegalBasis`]).
    pub legal_basis: String,
    /// The person did something (ticked, clicked, said yes): a consent
    /// cannot be granted by a pre-ticked box.
    pub affirmative_action: bool,
}

/// Who collected the record.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Collector {
    /// The site (host name) for self-service channels.
    #[serde(default)]
    pub site: Option<String>,
    /// The advisor's id (store, phone).
    #[serde(default)]
    pub advisor_id: Option<String>,
    /// The store's id.
    #[serde(default)]
    pub store_id: Option<String>,
}

/// The form the consent was given on.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormRef {
    /// Form id.
    pub id: String,
    /// Form version (texts change → version changes).
    pub version: String,
}

/// The channels a consent comes through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channel {
    /// A web form.
    Web,
    /// In a store, with an advisor.
    Store,
    /// On the phone, with an advisor.
    Phone,
    /// A mobile app.
    App,
}

impl Channel {
    /// Parses the wire name.
    pub fn parse(s: &str) -> Option<Channel> {
        Some(match s {
            "web" => Channel::Web,
            "store" => Channel::Store,
            "phone" => Channel::Phone,
            "app" => Channel::App,
            _ => return None,
        })
    }
}

/// A decision on one purpose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Yes.
    Granted,
    /// No.
    Refused,
    /// A former yes taken back (only in a record that `withdraws` another).
    Withdrawn,
}

impl Decision {
    /// Parses the wire name.
    pub fn parse(s: &str) -> Option<Decision> {
        Some(match s {
            "granted" => Decision::Granted,
            "refused" => Decision::Refused,
            "withdrawn" => Decision::Withdrawn,
            _ => return None,
        })
    }
}

/// GDPR article 6(1) legal bases.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LegalBasis {
    /// (a) consent.
    Consent,
    /// (b) contract.
    Contract,
    /// (c) legal obligation.
    LegalObligation,
    /// (d) vital interests.
    VitalInterests,
    /// (e) public task.
    PublicTask,
    /// (f) legitimate interests.
    LegitimateInterests,
}

impl LegalBasis {
    /// Parses the wire name (`consent`, `legitimate_interests`, …).
    pub fn parse(s: &str) -> Option<LegalBasis> {
        Some(match s {
            "consent" => LegalBasis::Consent,
            "contract" => LegalBasis::Contract,
            "legal_obligation" => LegalBasis::LegalObligation,
            "vital_interests" => LegalBasis::VitalInterests,
            "public_task" => LegalBasis::PublicTask,
            "legitimate_interests" => LegalBasis::LegitimateInterests,
            _ => return None,
        })
    }
}

/// One thing wrong with a record. Messages never echo the record's values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Stable machine code, e.g. `consent.text_hash_mismatch`.
    pub code: &'static str,
    /// Where: `purposes[1].text_sha256`.
    pub path: String,
    /// Human explanation (English).
    pub message: &'static str,
}

/// Lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const D: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(D[(b >> 4) as usize] as char);
        s.push(D[(b & 15) as usize] as char);
    }
    s
}

/// Whether `s` is an RFC 3339 date-time: `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`.
pub fn is_rfc3339(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    let num = |r: std::ops::Range<usize>| s[r].parse::<u32>().unwrap_or(99);
    if b.len() < 20 || !digits(0..4) || b[4] != b'-' || !digits(5..7) || b[7] != b'-' || !digits(8..10) {
        return false;
    }
    if !(b[10] == b'T' || b[10] == b't') || !digits(11..13) || b[13] != b':' || !digits(14..16) || b[16] != b':' || !digits(17..19) {
        return false;
    }
    let (mo, d, h, mi, se) = (num(5..7), num(8..10), num(11..13), num(14..16), num(17..19));
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return false;
    }
    let mut i = 19;
    if b[i] == b'.' {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start || i - start > 9 {
            return false;
        }
    }
    match &b[i..] {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', _, _, b':', _, _] => digits(i + 1..i + 3) && digits(i + 4..i + 6) && num(i + 1..i + 3) <= 23 && num(i + 4..i + 6) <= 59,
        _ => false,
    }
}

/// A subject reference: 8–128 of `A-Z a-z 0-9 . _ : -`, and nothing that
/// looks like an email address or a phone number.
fn subject_problem(s: &str) -> Option<(&'static str, &'static str)> {
    if s.is_empty() {
        return Some(("consent.missing_subject", "the subject reference is missing"));
    }
    if s.contains('@') || (s.starts_with('+') && s[1..].bytes().all(|c| c.is_ascii_digit() || c == b' ')) {
        return Some(("consent.subject_not_pseudonymous", "the subject reference must be a pseudonymous key, not contact data"));
    }
    if s.len() < 8 || s.len() > 128 || !s.bytes().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b':' | b'-')) {
        return Some(("consent.bad_subject", "the subject reference must be 8-128 characters of A-Z a-z 0-9 . _ : -"));
    }
    None
}

fn is_id(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_SHORT && s.bytes().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b':' | b'-'))
}

fn is_locale(s: &str) -> bool {
    let mut parts = s.split(['-', '_']);
    let first = parts.next().unwrap_or("");
    (2..=3).contains(&first.len())
        && first.bytes().all(|c| c.is_ascii_alphabetic())
        && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|c| c.is_ascii_alphanumeric()))
}

/// Checks a record as data: every problem found, in field order; empty
/// when the record is sound.
pub fn validate(r: &ConsentRecord) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut p = |code: &'static str, path: &str, message: &'static str| out.push(Problem { code, path: path.to_string(), message });
    if r.record_id.is_empty() {
        p("consent.missing_record_id", "record_id", "the record id is missing");
    } else if !is_id(&r.record_id) {
        p("consent.bad_record_id", "record_id", "the record id must be 1-256 characters of A-Z a-z 0-9 . _ : -");
    }
    if r.schema_version != SCHEMA_VERSION {
        p("consent.unknown_schema_version", "schema_version", "unknown schema version");
    }
    // An empty subject with contact data: the service derives it.
    if !(r.subject.is_empty() && r.subject_data.is_some()) {
        if let Some((code, message)) = subject_problem(&r.subject) {
            p(code, "subject", message);
        }
    }
    if r.controller.name.trim().is_empty() {
        p("consent.missing_controller", "controller.name", "the controller's name is missing");
    }
    if r.controller.contact.trim().is_empty() {
        p("consent.missing_controller_contact", "controller.contact", "the controller's contact is missing");
    }
    if r.controller.name.len() > MAX_SHORT || r.controller.contact.len() > MAX_SHORT {
        p("consent.too_long", "controller", "a controller field is longer than 256 bytes");
    }
    if r.purposes.is_empty() {
        p("consent.no_purpose", "purposes", "a record needs at least one purpose");
    }
    if r.purposes.len() > MAX_PURPOSES {
        p("consent.too_many_purposes", "purposes", "a record carries at most 32 purposes");
    }
    for (i, pu) in r.purposes.iter().enumerate().take(MAX_PURPOSES) {
        let at = |f: &str| format!("purposes[{i}].{f}");
        if !is_id(&pu.id) {
            p("consent.bad_purpose_id", &at("id"), "the purpose id must be 1-256 characters of A-Z a-z 0-9 . _ : -");
        } else if r.purposes[..i].iter().any(|q| q.id == pu.id) {
            p("consent.duplicate_purpose", &at("id"), "the same purpose appears twice");
        }
        if pu.text.trim().is_empty() {
            p("consent.missing_purpose_text", &at("text"), "the exact text shown is missing");
        } else if pu.text.len() > MAX_TEXT {
            p("consent.too_long", &at("text"), "the purpose text is longer than 4096 bytes");
        }
        if pu.text_sha256.is_empty() {
            p("consent.missing_text_hash", &at("text_sha256"), "the SHA-256 of the text shown is missing");
        } else if pu.text_sha256 != sha256_hex(pu.text.as_bytes()) {
            p("consent.text_hash_mismatch", &at("text_sha256"), "the SHA-256 does not match the text shown");
        }
        let basis = LegalBasis::parse(&pu.legal_basis);
        if basis.is_none() {
            p("consent.unknown_legal_basis", &at("legal_basis"), "unknown legal basis (consent, contract, legal_obligation, vital_interests, public_task, legitimate_interests)");
        }
        match Decision::parse(&pu.decision) {
            None => p("consent.unknown_decision", &at("decision"), "unknown decision (granted, refused, withdrawn)"),
            Some(Decision::Granted) if basis == Some(LegalBasis::Consent) && !pu.affirmative_action => {
                p("consent.granted_without_action", &at("affirmative_action"), "a consent cannot be granted without an action of the person (pre-ticked box)")
            }
            Some(Decision::Withdrawn) if r.withdraws.is_none() => {
                p("consent.withdrawn_outside_withdrawal", &at("decision"), "`withdrawn` only appears in a record that withdraws another")
            }
            _ => {}
        }
    }
    if Channel::parse(&r.channel).is_none() {
        p("consent.unknown_channel", "channel", "unknown channel (web, store, phone, app)");
    }
    let c = &r.collector;
    for (v, f) in [(&c.site, "collector.site"), (&c.advisor_id, "collector.advisor_id"), (&c.store_id, "collector.store_id")] {
        if v.as_ref().is_some_and(|v| v.is_empty() || v.len() > MAX_SHORT) {
            p("consent.bad_collector", f, "a collector field is empty or longer than 256 bytes");
        }
    }
    match Channel::parse(&r.channel) {
        Some(Channel::Web | Channel::App) if c.site.is_none() => p("consent.missing_collector", "collector.site", "a web or app record names its site"),
        Some(Channel::Store | Channel::Phone) if c.advisor_id.is_none() => {
            p("consent.missing_collector", "collector.advisor_id", "a store or phone record names its advisor")
        }
        Some(Channel::Store) if c.store_id.is_none() => p("consent.missing_collector", "collector.store_id", "a store record names its store"),
        _ => {}
    }
    if r.form.id.is_empty() || r.form.id.len() > MAX_SHORT {
        p("consent.missing_form", "form.id", "the form id is missing");
    }
    if r.form.version.is_empty() || r.form.version.len() > MAX_SHORT {
        p("consent.missing_form_version", "form.version", "the form version is missing");
    }
    if !is_locale(&r.locale) {
        p("consent.bad_locale", "locale", "the locale must be a BCP 47 tag such as fr or fr-FR");
    }
    if !is_rfc3339(&r.acted_at) {
        p("consent.bad_time", "acted_at", "acted_at must be an RFC 3339 date-time");
    }
    if let Some(e) = &r.expires_at {
        if !is_rfc3339(e) {
            p("consent.bad_time", "expires_at", "expires_at must be an RFC 3339 date-time");
        } else if e.ends_with('Z') && r.acted_at.ends_with('Z') && e.len() == r.acted_at.len() && e <= &r.acted_at {
            p("consent.expires_before_action", "expires_at", "the consent expires before it was given");
        }
    }
    if let Some(w) = &r.withdraws {
        if !is_id(w) {
            p("consent.bad_record_id", "withdraws", "the withdrawn record id is malformed");
        }
    }
    if let Some(d) = &r.subject_data {
        out.extend(validate_subject_data(d));
    }
    if let Some(sealed) = &r.sealed {
        if r.subject_data.is_some() {
            out.push(Problem { code: "consent.sealed_and_clear", path: "sealed".into(), message: "a record carries its subject data either sealed or in clear, not both" });
        }
        if !is_id(&sealed.alg) || !is_hex_len(&sealed.nonce, 2..=64) || !is_hex_len(&sealed.ciphertext, 2..=MAX_SEALED_HEX) {
            out.push(Problem { code: "consent.bad_sealed", path: "sealed".into(), message: "sealed needs an algorithm id and hex nonce and ciphertext" });
        }
    }
    out
}

fn is_hex_len(s: &str, len: std::ops::RangeInclusive<usize>) -> bool {
    len.contains(&s.len()) && s.len() % 2 == 0 && s.bytes().all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
}

/// Longest name in [`SubjectData`], in characters.
pub const MAX_NAME_CHARS: usize = 100;

/// Checks contact data with the crate's validators: a value they call
/// invalid is a problem (`consent.bad_email`, `consent.bad_phone`, …);
/// messages never echo the values.
pub fn validate_subject_data(d: &SubjectData) -> Vec<Problem> {
    use crate::{Options, Status};
    let mut out = Vec::new();
    let mut p = |code: &'static str, path: &str, message: &'static str| out.push(Problem { code, path: path.to_string(), message });
    let fields = [&d.email, &d.phone, &d.first_name, &d.last_name, &d.postcode, &d.country];
    if fields.iter().all(|f| f.is_none()) {
        p("consent.empty_subject_data", "subject_data", "subject_data names no field");
    }
    let country = match &d.country {
        None => "FR",
        Some(c) if c.len() == 2 && crate::country::resolve(c) == Some(c.as_str()) => c.as_str(),
        Some(_) => {
            p("consent.bad_country", "subject_data.country", "country must be an ISO 3166 alpha-2 code in upper case, e.g. FR");
            "FR"
        }
    };
    let opts = Options { country: Some(country.into()), ..Options::default() };
    let too_long = |v: &str, max: usize| v.len() > crate::MAX_INPUT || v.chars().count() > max;
    if let Some(e) = &d.email {
        if too_long(e, 254) || crate::email::check(e, &opts).status == Status::Invalid {
            p("consent.bad_email", "subject_data.email", "the email address is not valid");
        }
    }
    if let Some(ph) = &d.phone {
        match crate::phone::parse(ph, Some(country)) {
            Ok(n) if n.e164 == ph.as_str() => {}
            Ok(_) => p("consent.phone_not_e164", "subject_data.phone", "the phone number must be in E.164 form, e.g. +33612345678"),
            Err(_) => p("consent.bad_phone", "subject_data.phone", "the phone number is not valid"),
        }
    }
    for (v, path, code, last) in
        [(&d.first_name, "subject_data.first_name", "consent.bad_first_name", false), (&d.last_name, "subject_data.last_name", "consent.bad_last_name", true)]
    {
        if let Some(v) = v {
            let verdict = if last { crate::names::check_last(v, &opts) } else { crate::names::check_first(v, &opts) };
            if too_long(v, MAX_NAME_CHARS) || verdict.status == Status::Invalid {
                p(code, path, "the name is empty, too long or not a name");
            }
        }
    }
    if let Some(pc) = &d.postcode {
        if too_long(pc, 16) || crate::postcode::check(pc, &opts, &crate::communes::Communes::default()).status == Status::Invalid {
            p("consent.bad_postcode", "subject_data.postcode", "the postcode is not valid");
        }
    }
    out
}

impl SubjectData {
    /// The normalised values that identify a person, each with its kind,
    /// as the duplicate check compares them: `email` (trimmed, lower
    /// case), `phone` (E.164), `name_postcode` (phonetic last name and
    /// postcode) and `name` (phonetic last and first names). Values that
    /// do not parse are left out. The service only keeps keyed hashes of
    /// these strings.
    pub fn match_keys(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        let country = self.country.as_deref().filter(|c| crate::country::resolve(c) == Some(*c)).unwrap_or("FR");
        if let Some(e) = self.email.as_deref().map(normalized_email).filter(|e| e.contains('@') && e.len() <= 254) {
            out.push(("email", e));
        }
        if let Some(n) = self.phone.as_deref().and_then(|ph| crate::phone::parse(ph, Some(country)).ok()) {
            out.push(("phone", n.e164));
        }
        let last = self.last_name.as_deref().map(crate::phonetic::encode).filter(|k| !k.is_empty());
        let first = self.first_name.as_deref().map(crate::phonetic::encode).filter(|k| !k.is_empty());
        let opts = crate::Options { country: Some(country.into()), ..crate::Options::default() };
        let postcode = self.postcode.as_deref().and_then(|pc| {
            let v = crate::postcode::check(pc, &opts, &crate::communes::Communes::default());
            if v.status == crate::Status::Invalid { None } else { v.normalized }
        });
        if let (Some(l), Some(pc)) = (&last, &postcode) {
            out.push(("name_postcode", format!("{l}|{pc}")));
        }
        if let (Some(l), Some(f)) = (&last, &first) {
            out.push(("name", format!("{l}|{f}")));
        }
        out
    }

    /// The data as a JSON tree (what the service seals); absent fields
    /// are left out.
    pub fn to_json(&self) -> Json {
        obj(vec![
            ("email", self.email.as_deref().map(s)),
            ("phone", self.phone.as_deref().map(s)),
            ("first_name", self.first_name.as_deref().map(s)),
            ("last_name", self.last_name.as_deref().map(s)),
            ("postcode", self.postcode.as_deref().map(s)),
            ("country", self.country.as_deref().map(s)),
        ])
    }
}

/// An email address as the duplicate check compares it: trimmed, lower case.
pub fn normalized_email(e: &str) -> String {
    crate::text::lower_str(e.trim())
}

// ------------------------------------------------------------ erasure record

/// `kind` of an [`Erasure`] record.
pub const ERASURE_KIND: &str = "erasure";

/// The ledger's proof that a subject's personal data was destroyed (its
/// key and blind indexes): who asked, when, why, how many records it
/// covered. It holds no personal data, only the pseudonymous subject.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Erasure {
    /// Always [`ERASURE_KIND`]: tells it apart from a consent record.
    pub kind: String,
    /// Version of this record's schema ([`SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// Unique id of this record.
    pub record_id: String,
    /// The pseudonymous subject erased.
    pub subject: String,
    /// When the key was destroyed (RFC 3339, server time).
    pub erased_at: String,
    /// `request` (the person's or an admin's request) or `retention`
    /// (the retention period ended).
    pub reason: String,
    /// Who erased: `admin` (the admin API), `purge` (the retention command).
    pub actor: String,
    /// Ledger records of the subject whose sealed data became unreadable.
    pub records: u32,
}

/// Why a subject was erased.
pub const ERASURE_REASONS: [&str; 2] = ["request", "retention"];

/// Checks an erasure record; empty when sound.
pub fn validate_erasure(e: &Erasure) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut p = |code: &'static str, path: &str, message: &'static str| out.push(Problem { code, path: path.to_string(), message });
    if e.kind != ERASURE_KIND {
        p("erasure.bad_kind", "kind", "kind must be `erasure`");
    }
    if e.schema_version != SCHEMA_VERSION {
        p("consent.unknown_schema_version", "schema_version", "unknown schema version");
    }
    if !is_id(&e.record_id) {
        p("consent.bad_record_id", "record_id", "the record id must be 1-256 characters of A-Z a-z 0-9 . _ : -");
    }
    if let Some((code, message)) = subject_problem(&e.subject) {
        p(code, "subject", message);
    }
    if !is_rfc3339(&e.erased_at) {
        p("consent.bad_time", "erased_at", "erased_at must be an RFC 3339 date-time");
    }
    if !ERASURE_REASONS.contains(&e.reason.as_str()) {
        p("erasure.unknown_reason", "reason", "unknown erasure reason (request, retention)");
    }
    if !is_id(&e.actor) || e.actor.len() > 64 {
        p("erasure.bad_actor", "actor", "the actor must be 1-64 characters of A-Z a-z 0-9 . _ : -");
    }
    out
}

impl Erasure {
    /// The record as a JSON tree.
    pub fn to_json(&self) -> Json {
        obj(vec![
            ("kind", Some(s(&self.kind))),
            ("schema_version", Some(Json::Int(self.schema_version.into()))),
            ("record_id", Some(s(&self.record_id))),
            ("subject", Some(s(&self.subject))),
            ("erased_at", Some(s(&self.erased_at))),
            ("reason", Some(s(&self.reason))),
            ("actor", Some(s(&self.actor))),
            ("records", Some(Json::Int(self.records.into()))),
        ])
    }

    /// The canonical JSON text (RFC 8785 style).
    pub fn canonical_json(&self) -> String {
        self.to_json().canonical()
    }
}

// ------------------------------------------------------------ canonical JSON

/// A JSON value of the canonical writer: integers only, no floats.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Json {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A string.
    Str(String),
    /// An array.
    Arr(Vec<Json>),
    /// An object; the writer sorts its keys.
    Obj(Vec<(String, Json)>),
}

impl Json {
    /// The RFC 8785 (JCS) form: members sorted by the UTF-16 code units of
    /// their keys, no insignificant whitespace, minimal string escaping.
    pub fn canonical(&self) -> String {
        let mut s = String::new();
        self.write(&mut s);
        s
    }

    fn write(&self, out: &mut String) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Int(i) => out.push_str(&i.to_string()),
            Json::Str(s) => write_str(s, out),
            Json::Arr(a) => {
                out.push('[');
                for (i, v) in a.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    v.write(out);
                }
                out.push(']');
            }
            Json::Obj(m) => {
                let mut m: Vec<&(String, Json)> = m.iter().collect();
                m.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
                out.push('{');
                for (i, (k, v)) in m.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_str(k, out);
                    out.push(':');
                    v.write(out);
                }
                out.push('}');
            }
        }
    }
}

/// A JSON string the JCS way: only `"`, `\` and controls are escaped.
fn write_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 => {
                out.push_str("\\u00");
                out.push_str(&hex(&[c as u8]));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn s(v: &str) -> Json {
    Json::Str(v.to_string())
}

fn obj(members: Vec<(&str, Option<Json>)>) -> Json {
    Json::Obj(members.into_iter().filter_map(|(k, v)| v.map(|v| (k.to_string(), v))).collect())
}

impl ConsentRecord {
    /// The record as a JSON tree; absent optional fields are left out.
    pub fn to_json(&self) -> Json {
        let c = &self.collector;
        obj(vec![
            ("record_id", Some(s(&self.record_id))),
            ("schema_version", Some(Json::Int(self.schema_version.into()))),
            ("subject", Some(s(&self.subject))),
            ("controller", Some(obj(vec![("name", Some(s(&self.controller.name))), ("contact", Some(s(&self.controller.contact)))]))),
            (
                "purposes",
                Some(Json::Arr(
                    self.purposes
                        .iter()
                        .map(|p| {
                            obj(vec![
                                ("id", Some(s(&p.id))),
                                ("text", Some(s(&p.text))),
                                ("text_sha256", Some(s(&p.text_sha256))),
                                ("decision", Some(s(&p.decision))),
                                ("legal_basis", Some(s(&p.legal_basis))),
                                ("affirmative_action", Some(Json::Bool(p.affirmative_action))),
                            ])
                        })
                        .collect(),
                )),
            ),
            ("channel", Some(s(&self.channel))),
            (
                "collector",
                Some(obj(vec![
                    ("site", c.site.as_deref().map(s)),
                    ("advisor_id", c.advisor_id.as_deref().map(s)),
                    ("store_id", c.store_id.as_deref().map(s)),
                ])),
            ),
            ("form", Some(obj(vec![("id", Some(s(&self.form.id))), ("version", Some(s(&self.form.version)))]))),
            ("locale", Some(s(&self.locale))),
            ("acted_at", Some(s(&self.acted_at))),
            ("expires_at", self.expires_at.as_deref().map(s)),
            ("retention_days", self.retention_days.map(|d| Json::Int(d.into()))),
            ("withdraws", self.withdraws.as_deref().map(s)),
            ("subject_data", self.subject_data.as_ref().map(SubjectData::to_json)),
            (
                "sealed",
                self.sealed.as_ref().map(|x| {
                    obj(vec![("alg", Some(s(&x.alg))), ("nonce", Some(s(&x.nonce))), ("ciphertext", Some(s(&x.ciphertext)))])
                }),
            ),
        ])
    }

    /// The canonical JSON text (RFC 8785 style) of the record.
    pub fn canonical_json(&self) -> String {
        self.to_json().canonical()
    }

    /// Lowercase hex SHA-256 of [`Self::canonical_json`].
    pub fn sha256(&self) -> String {
        sha256_hex(self.canonical_json().as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_escape_minimally() {
        let j = Json::Str("a\"b\\c\n\u{1}é€\u{7f}\u{2028}/".into());
        assert_eq!(j.canonical(), "\"a\\\"b\\\\c\\n\\u0001é€\u{7f}\u{2028}/\"");
    }

    #[test]
    fn keys_sort_by_utf16_units() {
        // U+1F600 (surrogates D83D…) sorts before U+FB01 in UTF-16, after in UTF-8.
        let j = Json::Obj(vec![("\u{fb01}".into(), Json::Int(1)), ("😀".into(), Json::Int(2)), ("a".into(), Json::Null)]);
        assert_eq!(j.canonical(), "{\"a\":null,\"😀\":2,\"\u{fb01}\":1}");
    }

    #[test]
    fn rfc3339() {
        for ok in ["2026-11-23T17:15:02Z", "2026-11-23T17:15:02.123+01:00", "2026-02-28t00:00:00-05:30"] {
            assert!(is_rfc3339(ok), "{ok}");
        }
        for bad in ["", "2026-11-23", "2026-13-01T00:00:00Z", "2026-11-23 17:15:02Z", "2026-11-23T17:15:02", "2026-11-23T17:15:02.Z", "2026-11-23T17:15:02+0100"] {
            assert!(!is_rfc3339(bad), "{bad}");
        }
    }
}
