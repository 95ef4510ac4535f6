//! Generated tables (see `data/gen/`). Do not edit the generated files:
//! `make tables` writes them and `make tables-check` compares them byte for
//! byte, so rustfmt leaves them as the generators wrote them.
#[rustfmt::skip]
pub mod countries;
#[rustfmt::skip]
pub mod email_domains;
#[rustfmt::skip]
pub mod phone;
#[rustfmt::skip]
pub mod postcodes;
