//! Verdicts from the lookup service's answers: what the service said about
//! a field, laid over the field's local verdict. The page fetches and reads
//! the answers into [`Heard`] facts; the rules of what they mean live here.
//!
//! - An email domain being asked about shows `pending` over a valid verdict
//!   only (a typo's warning stays in view), and never while a submit is
//!   being checked (a pending remote check then counts as its local verdict).
//! - A domain that does not exist or receives no mail is an error; so is a
//!   mailbox the mail server says does not exist. A disposable domain turns
//!   a valid verdict into a warning (`details.disposable`).
//! - A French postcode the page cannot place but the service's index knows
//!   is valid, with the service's communes as `details.cities`.
//! - Mail the shop reported as returned from this person's address is a
//!   warning on the street field, over any verdict that is not an error.
//!
//! The texts of the service codes are in `messages::SERVICE` (outside the
//! Wasm's catalogues; the page gets them from `pkg/defs.js`).

use crate::{Detail, Kind, Status, Verdict};

/// Facts the page read from the service's answers about one field, as bits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Heard(pub u32);

impl Heard {
    /// The email's domain is being asked about (no answer yet).
    pub const ASKING: u32 = 1;
    /// A submit is being checked.
    pub const GATING: u32 = 2;
    /// The service found the domain receives mail (`status: valid`).
    pub const DOMAIN_VALID: u32 = 4;
    /// The service found the domain does not exist (`status: invalid`).
    pub const DOMAIN_INVALID: u32 = 8;
    /// ...because it refuses mail (`code: email.domain_no_mail`, a null MX).
    pub const NO_MAIL: u32 = 16;
    /// The domain is in the full disposable-mail list.
    pub const DISPOSABLE: u32 = 32;
    /// The mailbox check answered `does_not_exist`.
    pub const NO_MAILBOX: u32 = 64;
    /// The service's index knows the postcode (`found`, with communes).
    pub const POSTCODE_FOUND: u32 = 128;
    /// Mail to this person at this address came back (`returned: true`).
    pub const RETURNED: u32 = 256;

    fn has(self, bit: u32) -> bool {
        self.0 & bit != 0
    }
}

/// Most communes taken from the service's answer for one postcode (France's
/// largest share of one postcode is under fifty).
pub const MAX_CITIES: usize = 100;

/// The verdict the service's answers make of a field's local verdict of
/// status `local`; `None` when they change nothing. `cities` are the
/// communes the service gave for a postcode (deduplicated here). The
/// message is left empty for the service codes (see the module docs).
pub fn amend(kind: Kind, local: Status, heard: Heard, cities: &[&str]) -> Option<Verdict> {
    let acceptable = local == Status::Valid || local == Status::Warning;
    match kind {
        Kind::Email if !heard.has(Heard::DOMAIN_VALID | Heard::DOMAIN_INVALID) => {
            let pending = heard.has(Heard::ASKING) && !heard.has(Heard::GATING) && local == Status::Valid;
            pending.then(|| Verdict::new(Status::Pending, "email.domain_pending"))
        }
        Kind::Email if heard.has(Heard::DOMAIN_INVALID) => {
            Some(Verdict::invalid(if heard.has(Heard::NO_MAIL) { "email.domain_no_mail" } else { "email.domain_not_found" }))
        }
        // accept_all and exists say nothing the person needs to hear.
        Kind::Email if heard.has(Heard::NO_MAILBOX) => Some(Verdict::invalid("email.mailbox_not_found")),
        Kind::Email if heard.has(Heard::DISPOSABLE) && local == Status::Valid => {
            Some(Verdict::warning("email.disposable").with("disposable", Detail::Flag(true)))
        }
        Kind::Postcode if heard.has(Heard::POSTCODE_FOUND) => {
            let mut names: Vec<String> = Vec::new();
            // A postcode serves a few dozen communes at most; a longer answer
            // is cut, so the quadratic de-duplication stays small.
            for c in cities.iter().filter(|c| !c.is_empty()).take(MAX_CITIES) {
                if !names.iter().any(|n| n == c) {
                    names.push(c.to_string());
                }
            }
            (!names.is_empty()).then(|| Verdict::valid("postcode.valid").with("cities", Detail::List(names)))
        }
        Kind::Street if heard.has(Heard::RETURNED) && acceptable => Some(Verdict::warning("address.mail_returned")),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Status::{Invalid, Pending, Valid, Warning};

    #[test]
    fn a_huge_or_junk_answer_is_cut_not_trusted() {
        let many: Vec<String> = (0..50_000).map(|i| i.to_string()).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        let v = amend(Kind::Postcode, Invalid, Heard(Heard::POSTCODE_FOUND), &many).unwrap();
        assert!(matches!(v.details.get("cities"), Some(Detail::List(l)) if l.len() == MAX_CITIES));
        // Every bit pattern and kind answers, without a panic.
        for k in Kind::ALL {
            for bits in [0, u32::MAX, 0x5555_5555, 1 << 31] {
                for local in [Valid, Warning, Invalid, Pending] {
                    let _ = amend(k, local, Heard(bits), &["", "\u{1f}", "Paris"]);
                }
            }
        }
    }

    fn code(kind: Kind, local: Status, bits: u32) -> Option<(Status, &'static str)> {
        amend(kind, local, Heard(bits), &["Paris"]).map(|v| (v.status, v.code))
    }

    #[test]
    fn an_email_domain_being_asked_is_pending_over_a_valid_verdict_only() {
        assert_eq!(code(Kind::Email, Valid, Heard::ASKING), Some((Pending, "email.domain_pending")));
        assert_eq!(code(Kind::Email, Warning, Heard::ASKING), None, "a typo's suggestion stays in view");
        assert_eq!(code(Kind::Email, Valid, Heard::ASKING | Heard::GATING), None, "a submit counts the local verdict");
        assert_eq!(code(Kind::Email, Valid, 0), None);
    }

    #[test]
    fn the_domain_and_mailbox_answers() {
        assert_eq!(code(Kind::Email, Valid, Heard::DOMAIN_INVALID), Some((Invalid, "email.domain_not_found")));
        assert_eq!(code(Kind::Email, Warning, Heard::DOMAIN_INVALID | Heard::NO_MAIL), Some((Invalid, "email.domain_no_mail")));
        assert_eq!(code(Kind::Email, Valid, Heard::DOMAIN_VALID), None);
        assert_eq!(code(Kind::Email, Valid, Heard::DOMAIN_VALID | Heard::NO_MAILBOX), Some((Invalid, "email.mailbox_not_found")));
        assert_eq!(
            code(Kind::Email, Valid, Heard::DOMAIN_VALID | Heard::NO_MAILBOX | Heard::DISPOSABLE).unwrap().1,
            "email.mailbox_not_found"
        );
        let d = amend(Kind::Email, Valid, Heard(Heard::DOMAIN_VALID | Heard::DISPOSABLE), &[]).unwrap();
        assert_eq!((d.status, d.code, d.details.get("disposable")), (Warning, "email.disposable", Some(&Detail::Flag(true))));
        assert_eq!(code(Kind::Email, Warning, Heard::DOMAIN_VALID | Heard::DISPOSABLE), None, "a typo's warning comes first");
    }

    #[test]
    fn a_postcode_the_index_knows_is_valid_with_its_communes() {
        let v = amend(Kind::Postcode, Invalid, Heard(Heard::POSTCODE_FOUND), &["Paris", "", "Paris", "Lyon"]).unwrap();
        assert_eq!((v.status, v.code), (Valid, "postcode.valid"));
        assert_eq!(v.details.get("cities"), Some(&Detail::List(vec!["Paris".into(), "Lyon".into()])));
        assert!(amend(Kind::Postcode, Invalid, Heard(Heard::POSTCODE_FOUND), &[""]).is_none(), "found without a commune says nothing");
        assert!(amend(Kind::Postcode, Invalid, Heard(0), &["Paris"]).is_none());
    }

    #[test]
    fn returned_mail_is_a_warning_on_the_street_unless_it_is_wrong_already() {
        assert_eq!(code(Kind::Street, Valid, Heard::RETURNED), Some((Warning, "address.mail_returned")));
        assert_eq!(code(Kind::Street, Warning, Heard::RETURNED), Some((Warning, "address.mail_returned")));
        assert_eq!(code(Kind::Street, Invalid, Heard::RETURNED), None);
        assert_eq!(code(Kind::Street, Pending, Heard::RETURNED), None);
        assert_eq!(code(Kind::Street, Valid, 0), None);
    }

    #[test]
    fn facts_about_one_kind_change_nothing_of_another() {
        for kind in Kind::ALL {
            for bits in 0..512 {
                for local in [Valid, Warning, Invalid, Pending] {
                    if let Some(v) = amend(kind, local, Heard(bits), &["Paris"]) {
                        assert!(matches!(kind, Kind::Email | Kind::Postcode | Kind::Street), "{kind:?} {bits}");
                        assert!(crate::messages::any_template(v.code, crate::Locale::Fr).is_some(), "{}", v.code);
                    }
                }
            }
        }
    }
}
