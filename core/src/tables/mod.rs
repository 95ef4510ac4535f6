//! Generated tables (see `data/gen/`). Do not edit the generated files.
pub mod countries;
pub mod email_domains;
pub mod phone;
pub mod postcodes;
