//! STUB
use crate::messages::Msg;
/// Messages of this module.
pub(crate) const MESSAGES: &[Msg] = &[];
/// Checks a first name.
pub fn check_first(_v: &str, _o: &crate::Options) -> crate::Verdict { crate::Verdict::valid("name.valid") }
/// Checks a last name.
pub fn check_last(_v: &str, _o: &crate::Options) -> crate::Verdict { crate::Verdict::valid("name.valid") }
