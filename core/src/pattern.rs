//! STUB: a tiny anchored matcher for the regex subset of Google's metadata.
