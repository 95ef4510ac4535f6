//! Returned mail (NPAI, "n'habite pas à l'adresse indiquée"): the shop
//! reports a mail piece that came back (`POST /v1/address/returned`,
//! advisor or admin key), and the service remembers it twice:
//!
//! - against the person, sealed under their own key like their contact
//!   data (the address, the date, the reason): their access export shows
//!   it, their erasure destroys it, and the advisor's duplicate check says
//!   "mail to this address came back on …";
//! - against the address, as a keyed hash and a count, with no person in
//!   it.
//!
//! An address is named by its BAN id or by free text; both become keyed
//! hashes (HMAC under the index key) of a normal form: the id in lower
//! case, the text as the address search reads it (folded, abbreviations
//! expanded: "12 bd Voltaire 75011 Paris" = "12 Boulevard Voltaire, 75011
//! PARIS"), so that the public form, which sends what the person typed,
//! finds a report made from the shop's files (`POST /v1/address/returned/check`).
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use fiable_consent::{Sealed, SubjectData, hex};
use serde::{Deserialize, Serialize};

use super::{sign, vault};
use crate::address::normalize;

/// Longest free-text address, in characters.
pub const MAX_ADDRESS_TEXT: usize = 512;
/// A BAN address id (`75111_8158_00012`), as the schema has it.
pub const BAN_ID_PATTERN: &str = "^[0-9A-Za-z_-]{5,64}$";
/// The reason codes of a returned mail piece (La Poste's return labels).
pub const REASONS: [&str; 7] = ["npai", "unknown_address", "incomplete_address", "refused", "unclaimed", "deceased", "other"];

/// The address of a report or a check: a BAN id, free text, or both.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct AddressRef {
    /// BAN address id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ban_id: Option<String>,
    /// The address as written on the envelope or typed in the form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// `POST /v1/address/returned`'s body.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Report {
    /// The person's pseudonymous reference…
    #[serde(default)]
    pub subject: Option<String>,
    /// …or their email (the subject is found through its keyed hash)…
    #[serde(default)]
    pub email: Option<String>,
    /// …or their phone (E.164), when there is no email.
    #[serde(default)]
    pub phone: Option<String>,
    /// The address the piece was sent to.
    pub address: AddressRef,
    /// The day it came back (`YYYY-MM-DD`).
    pub returned_on: String,
    /// Why ([`REASONS`]).
    pub reason: String,
}

/// `POST /v1/address/returned/check`'s body: the public form's question.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    /// The email typed in the form.
    #[serde(default)]
    pub email: Option<String>,
    /// The phone typed in the form (E.164), when there is no email.
    #[serde(default)]
    pub phone: Option<String>,
    /// The address typed.
    pub address: AddressRef,
}

/// What is sealed per report.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Details {
    /// The address as reported.
    pub address: AddressRef,
    /// The day it came back.
    pub returned_on: String,
    /// Why.
    pub reason: String,
}

/// Why a report or a check is refused (400, stable codes).
pub type Refusal = (&'static str, &'static str);

impl AddressRef {
    /// The keyed hashes of this address (one per form given), or why not.
    pub fn digests(&self, key: &vault::IndexKey) -> Result<Vec<String>, Refusal> {
        let mut out = Vec::new();
        if let Some(id) = &self.ban_id {
            if !is_ban_id(id) {
                return Err(("returned.bad_ban_id", "address.ban_id must be 5-64 letters, digits, _ or -"));
            }
            out.push(key.digest("address.ban", &id.to_ascii_lowercase()));
        }
        if let Some(t) = &self.text {
            let n = t.chars().count();
            if n == 0 || n > MAX_ADDRESS_TEXT {
                return Err(("returned.bad_address", "address.text must be 1-512 characters"));
            }
            let tokens = normalize::canonical_tokens(t);
            if tokens.is_empty() {
                return Err(("returned.bad_address", "address.text holds no letter nor digit"));
            }
            out.push(key.digest("address.text", &tokens.join(" ")));
        }
        if out.is_empty() {
            return Err(("returned.no_address", "give address.ban_id or address.text"));
        }
        Ok(out)
    }
}

fn is_ban_id(s: &str) -> bool {
    (5..=64).contains(&s.len()) && s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
}

/// The keyed hash that finds the person of an email or phone (the one the
/// consent route files them under: the email, else the phone), or why not.
pub fn identify(email: Option<&str>, phone: Option<&str>, key: &vault::IndexKey) -> Result<Option<String>, Refusal> {
    if email.is_some_and(|e| e.len() > 254) || phone.is_some_and(|p| p.len() > 32) {
        return Err(("returned.bad_contact", "email is at most 254 bytes, phone at most 32"));
    }
    let data = SubjectData { email: email.map(str::to_string), phone: phone.map(str::to_string), ..SubjectData::default() };
    // The consent route's own checks (the core's email and phone rules).
    if (email.is_some() || phone.is_some()) && !fiable_consent::validate_subject_data(&data).is_empty() {
        return Err(("returned.bad_contact", "email or phone is not valid (the phone in E.164)"));
    }
    let keys = data.match_keys();
    if email.is_some() && !keys.iter().any(|(k, _)| *k == "email") {
        return Err(("returned.bad_contact", "email is not an email address"));
    }
    if phone.is_some() && !keys.iter().any(|(k, _)| *k == "phone") {
        return Err(("returned.bad_contact", "phone is not a phone number in E.164"));
    }
    Ok(keys.iter().find_map(|(kind, v)| match *kind {
        "email" => Some(key.digest("subject.email", v)),
        "phone" => Some(key.digest("subject.phone", v)),
        _ => None,
    }))
}

/// Checks the date and reason of a report.
pub fn check_report(r: &Report) -> Result<(), Refusal> {
    let b = r.returned_on.as_bytes();
    if b.len() != 10 || fiable_core::Date::parse_iso(&r.returned_on).is_none() {
        return Err(("returned.bad_date", "returned_on must be a real date, YYYY-MM-DD"));
    }
    if !REASONS.contains(&r.reason.as_str()) {
        return Err((
            "returned.bad_reason",
            "reason must be one of npai, unknown_address, incomplete_address, refused, unclaimed, deceased, other",
        ));
    }
    Ok(())
}

/// Seals a report's details under the subject key (hex), bound to the
/// report id: the JSON of a [`Sealed`].
pub fn seal(key_hex: &str, id: &str, d: &Details) -> Option<String> {
    let key = sign::parse_hex::<32>(key_hex)?;
    let mut nonce = [0u8; 12];
    vault::random(&mut nonce).ok()?;
    let plain = serde_json::to_vec(d).ok()?;
    let ct = ChaCha20Poly1305::new(Key::from_slice(&key))
        .encrypt(Nonce::from_slice(&nonce), Payload { msg: &plain, aad: aad(id).as_bytes() })
        .ok()?;
    serde_json::to_string(&serde_json::json!({ "alg": vault::ALG, "nonce": hex(&nonce), "ciphertext": hex(&ct) })).ok()
}

/// Opens a sealed report; `None` without the right key (erased, or
/// another subject's) or when anything was changed.
pub fn open(key_hex: &str, id: &str, sealed: &str) -> Option<Details> {
    let s: Sealed = serde_json::from_str(sealed).ok()?;
    if s.alg != vault::ALG || s.ciphertext.len() % 2 != 0 {
        return None;
    }
    let key = sign::parse_hex::<32>(key_hex)?;
    let nonce = sign::parse_hex::<12>(&s.nonce)?;
    let ct: Vec<u8> = (0..s.ciphertext.len())
        .step_by(2)
        .map(|i| s.ciphertext.get(i..i + 2).and_then(|b| u8::from_str_radix(b, 16).ok()))
        .collect::<Option<_>>()?;
    let plain = ChaCha20Poly1305::new(Key::from_slice(&key))
        .decrypt(Nonce::from_slice(&nonce), Payload { msg: &ct, aad: aad(id).as_bytes() })
        .ok()?;
    serde_json::from_slice(&plain).ok()
}

/// Associated data: a report's sealed part cannot be moved to another
/// report (nor mistaken for a consent record's, bound to a record id).
fn aad(id: &str) -> String {
    format!("fiable-returned-mail/1\n{id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_form_is_the_address_searchs_reading() {
        let k = vault::IndexKey::from_bytes([7; 32]);
        let a = AddressRef { text: Some("12 bd Voltaire 75011 Paris".into()), ban_id: None }.digests(&k).unwrap();
        let b = AddressRef { text: Some(" 12, Boulevard VOLTAIRE — 75011 PARIS ".into()), ban_id: None }.digests(&k).unwrap();
        assert_eq!(a, b);
        let c = AddressRef { text: Some("14 bd Voltaire 75011 Paris".into()), ban_id: None }.digests(&k).unwrap();
        assert_ne!(a, c);
        let both =
            AddressRef { text: Some("12 bd Voltaire 75011 Paris".into()), ban_id: Some("75111_9876_00012".into()) }.digests(&k).unwrap();
        assert_eq!(both.len(), 2);
        assert_eq!(both[1], a[0]);
        assert_eq!(AddressRef::default().digests(&k).unwrap_err().0, "returned.no_address");
        assert_eq!(AddressRef { text: Some("— !".into()), ban_id: None }.digests(&k).unwrap_err().0, "returned.bad_address");
        assert_eq!(AddressRef { ban_id: Some("75 111".into()), text: None }.digests(&k).unwrap_err().0, "returned.bad_ban_id");
    }

    #[test]
    fn a_contact_finds_the_consent_routes_keyed_hash() {
        let k = vault::IndexKey::from_bytes([7; 32]);
        let want = Some(k.digest("subject.email", "jean.dupont@example.fr"));
        for e in ["jean.dupont@example.fr", " Jean.Dupont@EXAMPLE.fr", "  jean.dupont@EXAMPLE.FR "] {
            assert_eq!(identify(Some(e), None, &k), Ok(want.clone()), "{e:?}");
        }
        assert_eq!(identify(None, Some("+33612345678"), &k), Ok(Some(k.digest("subject.phone", "+33612345678"))));
        assert_eq!(identify(Some("jean@"), None, &k).unwrap_err().0, "returned.bad_contact");
        assert_eq!(identify(None, Some("06 12 34 56 78"), &k).unwrap_err().0, "returned.bad_contact");
        assert_eq!(identify(None, None, &k), Ok(None));
    }

    #[test]
    fn sealed_details_need_their_key_and_their_id() {
        let key = vault::new_subject_key().unwrap();
        let d = Details {
            address: AddressRef { text: Some("1 rue X".into()), ban_id: None },
            returned_on: "2026-11-02".into(),
            reason: "npai".into(),
        };
        let s = seal(&key, "r1", &d).unwrap();
        assert!(!s.contains("rue"));
        assert_eq!(open(&key, "r1", &s), Some(d));
        assert_eq!(open(&key, "r2", &s), None, "moved to another report");
        assert_eq!(open(&vault::new_subject_key().unwrap(), "r1", &s), None, "another key");
        let forged = s.replacen("\"ciphertext\":\"", "\"ciphertext\":\"00", 1);
        assert_eq!(open(&key, "r1", &forged), None);
    }
}
