//! STUB
use crate::messages::Msg;
/// Messages of this module.
pub(crate) const MESSAGES: &[Msg] = &[];
/// Checks a postcode.
pub fn check(_v: &str, _o: &crate::Options, _c: &crate::communes::Communes) -> crate::Verdict { crate::Verdict::valid("postcode.valid") }
