//! Whole-form validation and cross-field rules.
// STUB: owned by the names/places helper.
use crate::{Kind, Options, Validator, Verdict};

/// One field of a form.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    /// The field's name in the form.
    pub name: String,
    /// What it holds.
    pub kind: Kind,
    /// What the person typed.
    pub value: String,
    /// Field options (country, required, …); the locale comes from the form.
    pub options: Options,
}

/// Validates every field, then the cross-field rules.
pub fn validate(v: &Validator, fields: &[Field], _opts: &Options) -> Vec<Verdict> {
    fields
        .iter()
        .map(|f| {
            let mut r = v.validate(f.kind, &f.value, &f.options);
            r.field = f.name.clone();
            r
        })
        .collect()
}
