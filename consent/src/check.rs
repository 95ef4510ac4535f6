//! Checking a record as data: every [`Problem`] found, with stable codes;
//! contact data is checked with fiable-core's own validators.

use crate::canonical::{Json, obj, s};
use crate::hash::sha256_hex;
use crate::record::*;
use crate::time::is_rfc3339;
use fiable_core::{Options, Status};

/// A subject reference: 8–128 of `A-Z a-z 0-9 . _ : -`, and nothing that
/// looks like an email address or a phone number.
pub(crate) fn subject_problem(s: &str) -> Option<(&'static str, &'static str)> {
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

pub(crate) fn is_id(s: &str) -> bool {
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
            p(
                "consent.unknown_legal_basis",
                &at("legal_basis"),
                "unknown legal basis (consent, contract, legal_obligation, vital_interests, public_task, legitimate_interests)",
            );
        }
        match Decision::parse(&pu.decision) {
            None => p("consent.unknown_decision", &at("decision"), "unknown decision (granted, refused, withdrawn)"),
            Some(Decision::Granted) if basis == Some(LegalBasis::Consent) && !pu.affirmative_action => p(
                "consent.granted_without_action",
                &at("affirmative_action"),
                "a consent cannot be granted without an action of the person (pre-ticked box)",
            ),
            _ if pu.confirmation.as_deref().is_some_and(|c| c != crate::record::CONFIRMATION_EMAIL) => {
                p("consent.unknown_confirmation", &at("confirmation"), "unknown confirmation method (email)")
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
        Some(Channel::Web | Channel::App) if c.site.is_none() => {
            p("consent.missing_collector", "collector.site", "a web or app record names its site")
        }
        Some(Channel::Store | Channel::Phone) if c.advisor_id.is_none() => {
            p("consent.missing_collector", "collector.advisor_id", "a store or phone record names its advisor")
        }
        Some(Channel::Store) if c.store_id.is_none() => {
            p("consent.missing_collector", "collector.store_id", "a store record names its store")
        }
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
    if let Some(c) = &r.confirms {
        if !is_id(c) {
            p("consent.bad_record_id", "confirms", "the confirmed record id is malformed");
        }
        if r.withdraws.is_some() {
            p("consent.confirms_and_withdraws", "confirms", "a record confirms or withdraws another, not both");
        }
    }
    if let Some(d) = &r.subject_data {
        out.extend(validate_subject_data(d));
    }
    if let Some(sealed) = &r.sealed {
        if r.subject_data.is_some() {
            out.push(Problem {
                code: "consent.sealed_and_clear",
                path: "sealed".into(),
                message: "a record carries its subject data either sealed or in clear, not both",
            });
        }
        if !is_id(&sealed.alg) || !is_hex_len(&sealed.nonce, 2..=64) || !is_hex_len(&sealed.ciphertext, 2..=MAX_SEALED_HEX) {
            out.push(Problem {
                code: "consent.bad_sealed",
                path: "sealed".into(),
                message: "sealed needs an algorithm id and hex nonce and ciphertext",
            });
        }
    }
    out
}

fn is_hex_len(s: &str, len: std::ops::RangeInclusive<usize>) -> bool {
    len.contains(&s.len()) && s.len() % 2 == 0 && s.bytes().all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
}

/// Checks contact data with the crate's validators: a value they call
/// invalid is a problem (`consent.bad_email`, `consent.bad_phone`, …);
/// messages never echo the values.
pub fn validate_subject_data(d: &SubjectData) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut p = |code: &'static str, path: &str, message: &'static str| out.push(Problem { code, path: path.to_string(), message });
    let fields = [&d.email, &d.phone, &d.first_name, &d.last_name, &d.postcode, &d.country];
    if fields.iter().all(|f| f.is_none()) {
        p("consent.empty_subject_data", "subject_data", "subject_data names no field");
    }
    let country = match &d.country {
        None => "FR",
        Some(c) if c.len() == 2 && fiable_core::country::resolve(c) == Some(c.as_str()) => c.as_str(),
        Some(_) => {
            p("consent.bad_country", "subject_data.country", "country must be an ISO 3166 alpha-2 code in upper case, e.g. FR");
            "FR"
        }
    };
    let opts = Options { country: Some(country.into()), ..Options::default() };
    let too_long = |v: &str, max: usize| v.len() > fiable_core::MAX_INPUT || v.chars().count() > max;
    if let Some(e) = &d.email {
        if too_long(e, 254) || fiable_core::email::check(e, &opts).status == Status::Invalid {
            p("consent.bad_email", "subject_data.email", "the email address is not valid");
        }
    }
    if let Some(ph) = &d.phone {
        match fiable_core::phone::parse(ph, Some(country)) {
            Ok(n) if n.e164 == ph.as_str() => {}
            Ok(_) => p("consent.phone_not_e164", "subject_data.phone", "the phone number must be in E.164 form, e.g. +33612345678"),
            Err(_) => p("consent.bad_phone", "subject_data.phone", "the phone number is not valid"),
        }
    }
    for (v, path, code, last) in [
        (&d.first_name, "subject_data.first_name", "consent.bad_first_name", false),
        (&d.last_name, "subject_data.last_name", "consent.bad_last_name", true),
    ] {
        if let Some(v) = v {
            let verdict = if last { fiable_core::names::check_last(v, &opts) } else { fiable_core::names::check_first(v, &opts) };
            if too_long(v, MAX_NAME_CHARS) || verdict.status == Status::Invalid {
                p(code, path, "the name is empty, too long or not a name");
            }
        }
    }
    if let Some(pc) = &d.postcode {
        if too_long(pc, 16)
            || fiable_core::postcode::check(pc, &opts, &fiable_core::communes::Communes::default()).status == Status::Invalid
        {
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
        let country = self.country.as_deref().filter(|c| fiable_core::country::resolve(c) == Some(*c)).unwrap_or("FR");
        if let Some(e) = self.email.as_deref().map(normalized_email).filter(|e| e.contains('@') && e.len() <= 254) {
            out.push(("email", e));
        }
        if let Some(n) = self.phone.as_deref().and_then(|ph| fiable_core::phone::parse(ph, Some(country)).ok()) {
            out.push(("phone", n.e164));
        }
        let last = self.last_name.as_deref().map(crate::phonetic::encode).filter(|k| !k.is_empty());
        let first = self.first_name.as_deref().map(crate::phonetic::encode).filter(|k| !k.is_empty());
        let opts = fiable_core::Options { country: Some(country.into()), ..fiable_core::Options::default() };
        let postcode = self.postcode.as_deref().and_then(|pc| {
            let v = fiable_core::postcode::check(pc, &opts, &fiable_core::communes::Communes::default());
            if v.status == fiable_core::Status::Invalid { None } else { v.normalized }
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
    fiable_core::text::lower_str(e.trim())
}
