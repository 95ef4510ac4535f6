//! STUB
use crate::messages::Msg;
/// Messages of this module.
pub(crate) const MESSAGES: &[Msg] = &[];
/// A calendar date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    /// Year.
    pub year: i32,
    /// Month, 1-12.
    pub month: u8,
    /// Day, 1-31.
    pub day: u8,
}
/// Checks a birth date.
pub fn check(_v: &str, _o: &crate::Options) -> crate::Verdict { crate::Verdict::valid("birth_date.valid") }
