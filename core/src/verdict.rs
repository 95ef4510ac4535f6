//! The one result type every check returns.

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

/// How a value fares. Only `Invalid` ever blocks a form (and only if the
/// page says so); `Pending` is for remote checks still running.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The value is fine.
    Valid,
    /// The value is usable but probably not what the person meant.
    Warning,
    /// The value cannot be right.
    Invalid,
    /// A remote check is still running.
    Pending,
}

impl Status {
    /// The wire name: `valid`, `warning`, `invalid`, `pending`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Valid => "valid",
            Status::Warning => "warning",
            Status::Invalid => "invalid",
            Status::Pending => "pending",
        }
    }
}

/// One value in a verdict's `details`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Detail {
    /// A string, e.g. a phone type or a country code.
    Text(String),
    /// A number, e.g. an age or a share.
    Number(f64),
    /// A yes/no fact, e.g. `free` for a mailbox.
    Flag(bool),
    /// A list of strings, e.g. the communes of a postcode.
    List(Vec<String>),
}

impl Detail {
    /// The value as text, for message templates.
    pub fn to_text(&self) -> String {
        match self {
            Detail::Text(s) => s.clone(),
            Detail::Number(n) => {
                if n.fract() == 0.0 && n.abs() < 1e15 {
                    format!("{}", *n as i64)
                } else {
                    format!("{n}")
                }
            }
            Detail::Flag(b) => b.to_string(),
            Detail::List(l) => l.join(", "),
        }
    }
}

/// Structured facts about a value, in insertion order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Details(pub Vec<(&'static str, Detail)>);

impl Details {
    /// Looks a detail up by key.
    pub fn get(&self, key: &str) -> Option<&Detail> {
        self.0.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }
    /// True when there is no detail.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for Details {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// The verdict on one field: data, never an exception.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Verdict {
    /// The field's name in the form, or the kind for a lone check.
    pub field: String,
    /// Valid, warning, invalid or pending.
    pub status: Status,
    /// Stable machine code such as `email.domain_typo`; never changes once shipped.
    pub code: &'static str,
    /// Human message in the requested locale (empty when there is nothing to say).
    pub message: String,
    /// A one-click correction of the whole value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<String>,
    /// The canonical form of the value (E.164, punycode domain, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub normalized: Option<String>,
    /// Extra facts: phone type, country, free mailbox, …
    #[serde(skip_serializing_if = "Details::is_empty")]
    pub details: Details,
}

impl Verdict {
    /// A verdict with a status and code; the message is rendered later.
    pub fn new(status: Status, code: &'static str) -> Self {
        Verdict {
            field: String::new(),
            status,
            code,
            message: String::new(),
            suggestion: None,
            normalized: None,
            details: Details::default(),
        }
    }
    /// A `valid` verdict.
    pub fn valid(code: &'static str) -> Self {
        Self::new(Status::Valid, code)
    }
    /// A `warning` verdict.
    pub fn warning(code: &'static str) -> Self {
        Self::new(Status::Warning, code)
    }
    /// An `invalid` verdict.
    pub fn invalid(code: &'static str) -> Self {
        Self::new(Status::Invalid, code)
    }
    /// Sets the one-click suggestion.
    pub fn with_suggestion(mut self, s: impl Into<String>) -> Self {
        self.suggestion = Some(s.into());
        self
    }
    /// Sets the canonical form.
    pub fn with_normalized(mut self, s: impl Into<String>) -> Self {
        self.normalized = Some(s.into());
        self
    }
    /// Adds a detail.
    pub fn with(mut self, key: &'static str, value: Detail) -> Self {
        self.details.0.push((key, value));
        self
    }
    /// Adds a text detail.
    pub fn with_text(self, key: &'static str, value: impl Into<String>) -> Self {
        self.with(key, Detail::Text(value.into()))
    }
    /// Adds a numeric detail.
    pub fn with_number(self, key: &'static str, value: f64) -> Self {
        self.with(key, Detail::Number(value))
    }
    /// Adds a yes/no detail.
    pub fn with_flag(self, key: &'static str, value: bool) -> Self {
        self.with(key, Detail::Flag(value))
    }
    /// True unless invalid: what a form may submit.
    pub fn is_acceptable(&self) -> bool {
        self.status != Status::Invalid
    }
}
