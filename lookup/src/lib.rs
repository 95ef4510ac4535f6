//! fiable-lookup: the lookup service of fiable. It answers what a browser
//! cannot know: does this address exist (French BAN index), does this
//! mail domain receive mail. Every input is re-checked here; the rules
//! themselves live in `fiable-core`.
#![deny(missing_docs)]
#![deny(unsafe_code)]

pub mod address;
pub mod app;
pub mod assets;
pub mod config;
pub mod consent;
pub mod dns_health;
pub mod error;
pub mod mail;
pub mod metrics;
pub mod openapi;
pub mod processing;
pub mod quality;
pub mod ratelimit;
pub mod routes;
pub mod server;
pub mod smtp;
pub mod state;
pub mod synth;
