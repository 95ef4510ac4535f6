//! Generated tables (see `data/gen/`). Do not edit the generated files.
pub mod phone;
pub mod countries;
pub mod postcodes;
pub mod email_domains;
