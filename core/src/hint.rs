//! When a field's verdict shows: "reward early, punish late", one small
//! state machine per field.
//!
//! A valid value is shown at once (the reward). A warning or an error waits
//! until the person has *edited the field and left it*, submitted the form,
//! or the page set the value; from then on it follows the value as it is
//! typed, until the value is valid again, after which the next problem waits
//! for the next time the field is left. Only an edit arms the field: passing
//! through it (a focus that moves on without a keystroke, such as the one a
//! suggestion's button takes back to its own field) leaves it quiet, so the
//! first digit typed there later is not called "too short".
//!
//! | state \ event | Input                        | Blur   | Suggestion, Submit, PageSet |
//! |---------------|------------------------------|--------|-----------------------------|
//! | Quiet         | Typing                       | Quiet  | Armed                       |
//! | Typing        | Typing                       | Armed  | Armed                       |
//! | Armed         | Fixing if a problem shows, else Typing | Armed | Armed            |
//! | Fixing        | Fixing                       | Armed  | Armed                       |
//!
//! A verdict (`Event::Verdict`) shows valid in every state, nothing for an
//! empty value that is valid (an optional field left empty), and a warning,
//! an error or `pending` only when Armed or Fixing; Fixing with a valid (or
//! empty) verdict becomes Typing: fixed, so punished late again. What is
//! shown is announced (aria-live) unless it is valid or nothing, or the
//! person is typing a fix and only the wording changed (the hint itself,
//! named by aria-describedby, says it).
//!
//! The page keeps the state as a small integer ([`Hint::bits`]): bit 0
//! armed, bit 1 edited (Typing and Fixing), bits 2–4 the [`Show`] last
//! given, bit 5 "announce it".

use crate::Status;

/// What happened to a field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// The person changed the value (a keystroke, a paste, a cut).
    Input,
    /// The field lost the focus (a `<select>`'s change is Input, then Blur).
    Blur,
    /// The person applied the verdict's suggestion (one click).
    Suggestion,
    /// A submit was attempted, or the page asked for every verdict.
    Submit,
    /// The page set the value: prefilled, filled from a chosen address, or
    /// by the page's own script.
    PageSet,
    /// A verdict to show, with whether the value is empty.
    Verdict(Status, bool),
}

/// What a field shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Show {
    /// No hint, no status class.
    #[default]
    Nothing,
    /// The reward.
    Valid,
    /// A warning (a likely typo, a question).
    Warning,
    /// An error.
    Invalid,
    /// A remote check is running.
    Pending,
}

impl Show {
    const ALL: [Show; 5] = [Show::Nothing, Show::Valid, Show::Warning, Show::Invalid, Show::Pending];
}

/// The hint state of one field (see the module's table).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Hint {
    /// Warnings and errors show (Armed, Fixing).
    pub armed: bool,
    /// Edited since the field was last left, submitted or set (Typing, Fixing).
    pub edited: bool,
    /// What the last verdict showed.
    pub shown: Show,
    /// Whether that is to be announced (aria-live).
    pub announce: bool,
}

const ARMED: u32 = 1;
const EDITED: u32 = 2;
const SHOWN_AT: u32 = 2;
const ANNOUNCE: u32 = 32;

/// The state after the event numbered `event` ([`Event::code`]), both as
/// the page keeps them; an unknown event changes nothing. What the Wasm
/// export calls: bit operations only, a few hundred bytes less than the
/// same over the enums.
pub fn step(state: u32, event: u32) -> u32 {
    let armed = state & ARMED != 0;
    let edited = state & EDITED != 0;
    // Show as a number: 0 nothing, 1 valid, 2 warning, 3 invalid, 4 pending.
    let shown = match state >> SHOWN_AT & 7 {
        s @ 0..=4 => s,
        _ => 0,
    };
    let problem = shown == 2 || shown == 3;
    let kept = shown << SHOWN_AT;
    match event {
        // Editing a value that showed no problem: the next one waits for the next blur.
        0 => (armed && (edited || problem)) as u32 | EDITED | kept,
        1 => (armed || edited) as u32 | kept,
        2..=4 => ARMED | kept,
        8..=15 => {
            let (status, empty) = (event & 3, event & 4 != 0);
            let s = if empty && status == 0 { 0 } else { status + 1 };
            // Valid (or nothing) always shows; the rest only when armed.
            let now = if armed || s <= 1 { s } else { 0 };
            let still_armed = armed && !(edited && now <= 1); // fixed while typing
            let announce = now >= 2 && !(edited && now == shown);
            still_armed as u32 | state & EDITED | now << SHOWN_AT | (announce as u32) << 5
        }
        _ => state,
    }
}

impl Hint {
    /// The state after `e`.
    pub fn on(self, e: Event) -> Hint {
        Hint::from_bits(step(self.bits(), e.code()))
    }

    /// The state as the page keeps it (module docs).
    pub fn bits(self) -> u32 {
        self.armed as u32 | (self.edited as u32) << 1 | (self.shown as u32) << SHOWN_AT | (self.announce as u32) << 5
    }

    /// The state from [`Hint::bits`]; unknown bits are ignored.
    pub fn from_bits(b: u32) -> Hint {
        Hint {
            armed: b & ARMED != 0,
            edited: b & EDITED != 0,
            shown: Show::ALL.get((b >> SHOWN_AT & 7) as usize).copied().unwrap_or_default(),
            announce: b & ANNOUNCE != 0,
        }
    }
}

impl Event {
    /// The event's number for the page: 0 input, 1 blur, 2 suggestion,
    /// 3 submit, 4 page set; a verdict is 8 + its status (0 valid,
    /// 1 warning, 2 invalid, 3 pending), + 4 when the value is empty.
    pub fn code(self) -> u32 {
        match self {
            Event::Input => 0,
            Event::Blur => 1,
            Event::Suggestion => 2,
            Event::Submit => 3,
            Event::PageSet => 4,
            Event::Verdict(s, empty) => 8 | s as u32 | (empty as u32) << 2,
        }
    }

    /// The event of a number from [`Event::code`]; `None` for any other.
    pub fn from_code(c: u32) -> Option<Event> {
        const STATUS: [Status; 4] = [Status::Valid, Status::Warning, Status::Invalid, Status::Pending];
        Some(match c {
            0 => Event::Input,
            1 => Event::Blur,
            2 => Event::Suggestion,
            3 => Event::Submit,
            4 => Event::PageSet,
            8..=15 => Event::Verdict(STATUS[(c & 3) as usize], c & 4 != 0),
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Event::*;
    use Status::{Invalid as Bad, Pending as Wait, Valid as Good, Warning as Warn};
    use proptest::prelude::*;

    const QUIET: Hint = Hint { armed: false, edited: false, shown: Show::Nothing, announce: false };

    fn run(events: &[Event]) -> Hint {
        events.iter().fold(Hint::default(), |h, e| h.on(*e))
    }

    fn shows(h: Hint, s: Status) -> Show {
        h.on(Verdict(s, false)).shown
    }

    #[test]
    fn a_fresh_field_rewards_at_once_and_punishes_nothing() {
        let h = run(&[Input]);
        assert_eq!(shows(h, Good), Show::Valid);
        assert_eq!(shows(h, Warn), Show::Nothing);
        assert_eq!(shows(h, Bad), Show::Nothing);
        assert_eq!(shows(h, Wait), Show::Nothing);
        assert!(!h.on(Verdict(Good, false)).announce, "a reward is seen, not said");
    }

    #[test]
    fn the_table_of_transitions() {
        let typing = Hint { edited: true, ..QUIET };
        let armed = Hint { armed: true, ..QUIET };
        let armed_bad = Hint { shown: Show::Invalid, ..armed };
        let armed_warn = Hint { shown: Show::Warning, ..armed };
        let armed_ok = Hint { shown: Show::Valid, ..armed };
        let fixing = Hint { armed: true, edited: true, shown: Show::Invalid, announce: false };
        // (from, event, to)
        let table = [
            (QUIET, Input, typing),
            (QUIET, Blur, QUIET),
            (QUIET, Suggestion, armed),
            (QUIET, Submit, armed),
            (QUIET, PageSet, armed),
            (typing, Input, typing),
            (typing, Blur, armed),
            (typing, Suggestion, armed),
            (typing, Submit, armed),
            (typing, PageSet, armed),
            (armed_bad, Input, fixing),
            (armed_warn, Input, Hint { shown: Show::Warning, ..fixing }),
            (armed_ok, Input, Hint { shown: Show::Valid, ..typing }),
            (armed, Input, typing),
            (armed_bad, Blur, armed_bad),
            (armed_bad, Suggestion, armed_bad),
            (armed_bad, Submit, armed_bad),
            (armed_bad, PageSet, armed_bad),
            (fixing, Input, fixing),
            (fixing, Blur, armed_bad),
            (fixing, Suggestion, armed_bad),
            (fixing, Submit, armed_bad),
            (fixing, PageSet, armed_bad),
        ];
        for (from, e, to) in table {
            assert_eq!(from.on(e), to, "{from:?} --{e:?}-->");
        }
    }

    #[test]
    fn the_verdicts_each_state_shows() {
        let typing = Hint { edited: true, ..QUIET };
        let armed = Hint { armed: true, ..QUIET };
        let fixing = Hint { armed: true, edited: true, shown: Show::Invalid, announce: false };
        for (h, shown) in [(QUIET, false), (typing, false), (armed, true), (fixing, true)] {
            assert_eq!(shows(h, Good), Show::Valid, "{h:?}");
            assert_eq!(h.on(Verdict(Good, true)).shown, Show::Nothing, "an empty optional field says nothing: {h:?}");
            for (s, show) in [(Warn, Show::Warning), (Bad, Show::Invalid), (Wait, Show::Pending)] {
                assert_eq!(shows(h, s), if shown { show } else { Show::Nothing }, "{h:?} {s:?}");
                assert_eq!(
                    h.on(Verdict(s, true)).shown,
                    if shown { show } else { Show::Nothing },
                    "a required field left empty: {h:?} {s:?}"
                );
            }
        }
        // Fixing: valid again means fixed, and the next problem waits for the next blur.
        let fixed = fixing.on(Verdict(Good, false));
        assert_eq!(fixed, Hint { armed: false, edited: true, shown: Show::Valid, announce: false });
        assert_eq!(shows(fixed, Bad), Show::Nothing);
        assert!(!fixing.on(Verdict(Wait, false)).on(Verdict(Bad, false)).on(Verdict(Good, true)).armed);
        // A verdict never arms or edits by itself in the other states.
        for h in [QUIET, typing, armed] {
            for s in [Good, Warn, Bad, Wait] {
                let after = h.on(Verdict(s, false));
                assert_eq!((after.armed, after.edited), (h.armed, h.edited), "{h:?} {s:?}");
            }
        }
    }

    #[test]
    fn what_is_announced() {
        let armed = Hint { armed: true, ..QUIET };
        assert!(armed.on(Verdict(Bad, false)).announce);
        assert!(armed.on(Verdict(Warn, false)).announce);
        assert!(armed.on(Verdict(Wait, false)).announce);
        assert!(!armed.on(Verdict(Good, false)).announce);
        assert!(!QUIET.on(Verdict(Bad, false)).announce, "nothing shown, nothing said");
        // Typing a fix: a new status is said, a new wording of the same one is not.
        let fixing = armed.on(Verdict(Bad, false)).on(Input);
        assert!(!fixing.on(Verdict(Bad, false)).announce);
        assert!(fixing.on(Verdict(Warn, false)).announce);
        // Once left, the same verdict is said again (a remote answer, a submit).
        assert!(fixing.on(Blur).on(Verdict(Bad, false)).announce);
        // The flag is for one verdict only.
        assert!(!armed.on(Verdict(Bad, false)).on(Blur).announce);
    }

    /// The reported bug: the email fixed by its suggestion takes the focus
    /// back from the phone field, which had been entered but not edited.
    #[test]
    fn a_field_passed_through_is_not_punished_at_its_first_keystroke() {
        let phone = run(&[Blur, Blur]);
        assert_eq!(shows(phone.on(Input), Bad), Show::Nothing, "the first digit is not 'too short'");
        // Left after an edit, it is.
        assert_eq!(shows(run(&[Input, Blur]), Bad), Show::Invalid);
    }

    #[test]
    fn a_suggestion_applied_shows_its_result_and_the_next_edit_starts_quiet() {
        let email = run(&[Input, Blur, Verdict(Warn, false)]);
        assert_eq!(email.shown, Show::Warning);
        let fixed = email.on(Suggestion).on(Verdict(Good, false));
        assert_eq!(fixed.shown, Show::Valid);
        assert_eq!(shows(fixed.on(Input), Bad), Show::Nothing, "typing again in a fixed field is not punished at once");
    }

    #[test]
    fn submit_and_page_values_show_problems_at_once() {
        assert_eq!(shows(run(&[Submit]), Bad), Show::Invalid);
        assert_eq!(shows(run(&[PageSet]), Warn), Show::Warning);
    }

    #[test]
    fn bits_and_codes_round_trip() {
        for b in 0..64 {
            let h = Hint::from_bits(b);
            assert_eq!(Hint::from_bits(h.bits()), h, "{b}");
        }
        for c in 0..32 {
            match Event::from_code(c) {
                Some(e) => assert_eq!(e.code(), c),
                None => assert!((5..8).contains(&c) || c >= 16, "{c}"),
            }
        }
    }

    fn event() -> impl Strategy<Value = Event> {
        (0u32..16).prop_filter_map("an event code", Event::from_code)
    }

    proptest! {
        /// Any sequence, any integer from the page: no panic, and a state
        /// that survives the trip through its bits.
        #[test]
        fn no_sequence_panics(state in any::<u32>(), codes in proptest::collection::vec(any::<u32>(), 0..40)) {
            let mut h = Hint::from_bits(state);
            for c in codes {
                if let Some(e) = Event::from_code(c) {
                    h = h.on(e);
                }
                prop_assert_eq!(Hint::from_bits(h.bits()), h);
            }
        }

        /// Punish late: a warning, an error or "pending" shows only once the
        /// field was edited then left, or submitted, or its suggestion
        /// applied, or its value set by the page. Reward early: a valid
        /// value always shows at once.
        #[test]
        fn problems_wait_rewards_do_not(events in proptest::collection::vec(event(), 0..40)) {
            let mut h = Hint::default();
            let (mut edited, mut left_or_set) = (false, false);
            for e in events {
                match e {
                    Input => edited = true,
                    Blur if edited => left_or_set = true,
                    Suggestion | Submit | PageSet => left_or_set = true,
                    _ => {}
                }
                h = h.on(e);
                if let Verdict(s, empty) = e {
                    if !left_or_set {
                        prop_assert!(matches!(h.shown, Show::Nothing | Show::Valid), "{:?} shown too early", h.shown);
                    }
                    if s == Good {
                        prop_assert_eq!(h.shown, if empty { Show::Nothing } else { Show::Valid });
                    }
                    if h.announce {
                        prop_assert!(matches!(h.shown, Show::Warning | Show::Invalid | Show::Pending));
                    }
                }
                // A submit shows every problem, whatever came before.
                if e == Submit {
                    prop_assert_eq!(h.on(Verdict(Bad, false)).shown, Show::Invalid);
                }
            }
        }
    }
}
