//! Writes the consent record's JSON Schema to stdout (`make tables` sends
//! it to pkg/consent.schema.json).
fn main() {
    print!("{}", fiable_consent::schema::pretty(&fiable_consent::schema::consent_record()));
}
