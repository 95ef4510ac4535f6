//! The record types as submitted and stored, and their limits.

use serde::Deserialize;

/// The schema version this crate writes and accepts.
pub const SCHEMA_VERSION: u32 = 1;
/// Most purposes one record may carry.
pub const MAX_PURPOSES: usize = 32;
/// Longest purpose text, in bytes.
pub const MAX_TEXT: usize = 4096;
/// Longest identifier or short field (ids, names, refs), in bytes.
pub const MAX_SHORT: usize = 256;

/// One consent record, as submitted and as stored.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentRecord {
    /// Unique id of this record (the service assigns one when empty).
    #[serde(default)]
    pub record_id: String,
    /// Version of this record's schema ([`SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// Pseudonymous, keyed reference of the person (e.g. an HMAC of the
    /// customer id under a controller key). Never an email or a name.
    pub subject: String,
    /// Who the consent is given to.
    pub controller: Controller,
    /// Each purpose, with the exact text shown.
    pub purposes: Vec<Purpose>,
    /// `web`, `store`, `phone` or `app` (see [`Channel`]).
    pub channel: String,
    /// Who collected it: a site, or an advisor in a store.
    pub collector: Collector,
    /// The form the consent was given on.
    pub form: FormRef,
    /// Locale of the texts shown (BCP 47, e.g. `fr` or `fr-FR`).
    pub locale: String,
    /// When the person acted (RFC 3339, given by the caller).
    pub acted_at: String,
    /// When the consent lapses (RFC 3339), if it does.
    #[serde(default)]
    pub expires_at: Option<String>,
    /// How long the proof is kept after expiry or withdrawal, in days.
    #[serde(default)]
    pub retention_days: Option<u32>,
    /// The record this one withdraws (a withdrawal is a new record).
    #[serde(default)]
    pub withdraws: Option<String>,
    /// The record this one confirms (double opt-in: the person opened the
    /// link mailed after a purpose that asks for confirmation; a new record).
    #[serde(default)]
    pub confirms: Option<String>,
    /// Contact data of the person, in clear: only in a submission, never
    /// in the ledger (the service seals it).
    #[serde(default)]
    pub subject_data: Option<SubjectData>,
    /// [`SubjectData`] encrypted under the subject's key: what the ledger
    /// keeps in its place.
    #[serde(default)]
    pub sealed: Option<Sealed>,
}

/// Contact data of the person, as the form normalised it. Checked with
/// this crate's own validators; never logged, never stored in clear.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubjectData {
    /// Email address.
    #[serde(default)]
    pub email: Option<String>,
    /// Phone number, E.164 (`+33612345678`).
    #[serde(default)]
    pub phone: Option<String>,
    /// First (given) name.
    #[serde(default)]
    pub first_name: Option<String>,
    /// Last (family) name.
    #[serde(default)]
    pub last_name: Option<String>,
    /// Postcode.
    #[serde(default)]
    pub postcode: Option<String>,
    /// Country of the postcode and phone (ISO 3166 alpha-2, `FR`).
    #[serde(default)]
    pub country: Option<String>,
}

/// Personal data encrypted with an AEAD under a per-subject key, the
/// record id as associated data. Hex strings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sealed {
    /// The AEAD, e.g. `chacha20poly1305`.
    pub alg: String,
    /// The nonce, lowercase hex.
    pub nonce: String,
    /// Ciphertext with its tag, lowercase hex.
    pub ciphertext: String,
}

/// Longest name in [`SubjectData`], in characters.
pub const MAX_NAME_CHARS: usize = 100;

/// Longest sealed ciphertext, in hex digits.
pub const MAX_SEALED_HEX: usize = 16 * 1024;

/// The data controller.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Controller {
    /// Legal name.
    pub name: String,
    /// Contact for data-protection requests (DPO address or URL).
    pub contact: String,
}

/// One purpose and the person's decision on it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Purpose {
    /// Stable purpose id, e.g. `newsletter`.
    pub id: String,
    /// The exact text shown to the person.
    pub text: String,
    /// Lowercase hex SHA-256 of the UTF-8 bytes of `text`.
    #[serde(default)]
    pub text_sha256: String,
    /// `granted`, `refused` or `withdrawn` (see [`Decision`]).
    pub decision: String,
    /// GDPR art. 6 basis (see [`LegalBasis`]).
    pub legal_basis: String,
    /// The person did something (ticked, clicked, said yes): a consent
    /// cannot be granted by a pre-ticked box.
    pub affirmative_action: bool,
    /// How a grant must be confirmed before it counts: `email` (double
    /// opt-in: a link mailed to the person, see [`CONFIRMATION_EMAIL`]).
    /// Absent: the grant counts as given.
    #[serde(default)]
    pub confirmation: Option<String>,
}

/// The one confirmation method: a link mailed to the person (double opt-in).
pub const CONFIRMATION_EMAIL: &str = "email";

/// Who collected the record.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Collector {
    /// The site (host name) for self-service channels.
    #[serde(default)]
    pub site: Option<String>,
    /// The advisor's id (store, phone).
    #[serde(default)]
    pub advisor_id: Option<String>,
    /// The store's id.
    #[serde(default)]
    pub store_id: Option<String>,
}

/// The form the consent was given on.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormRef {
    /// Form id.
    pub id: String,
    /// Form version (texts change → version changes).
    pub version: String,
}

/// The channels a consent comes through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channel {
    /// A web form.
    Web,
    /// In a store, with an advisor.
    Store,
    /// On the phone, with an advisor.
    Phone,
    /// A mobile app.
    App,
}

impl Channel {
    /// Every wire name, in the schema's order.
    pub const NAMES: [&str; 4] = ["web", "store", "phone", "app"];

    /// Parses the wire name.
    pub fn parse(s: &str) -> Option<Channel> {
        Some(match s {
            "web" => Channel::Web,
            "store" => Channel::Store,
            "phone" => Channel::Phone,
            "app" => Channel::App,
            _ => return None,
        })
    }
}

/// A decision on one purpose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Yes.
    Granted,
    /// No.
    Refused,
    /// A former yes taken back (only in a record that `withdraws` another).
    Withdrawn,
}

impl Decision {
    /// Every wire name, in the schema's order.
    pub const NAMES: [&str; 3] = ["granted", "refused", "withdrawn"];

    /// Parses the wire name.
    pub fn parse(s: &str) -> Option<Decision> {
        Some(match s {
            "granted" => Decision::Granted,
            "refused" => Decision::Refused,
            "withdrawn" => Decision::Withdrawn,
            _ => return None,
        })
    }
}

/// GDPR article 6(1) legal bases.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LegalBasis {
    /// (a) consent.
    Consent,
    /// (b) contract.
    Contract,
    /// (c) legal obligation.
    LegalObligation,
    /// (d) vital interests.
    VitalInterests,
    /// (e) public task.
    PublicTask,
    /// (f) legitimate interests.
    LegitimateInterests,
}

impl LegalBasis {
    /// Every wire name, in the schema's order.
    pub const NAMES: [&str; 6] = ["consent", "contract", "legal_obligation", "vital_interests", "public_task", "legitimate_interests"];

    /// Parses the wire name (`consent`, `legitimate_interests`, …).
    pub fn parse(s: &str) -> Option<LegalBasis> {
        Some(match s {
            "consent" => LegalBasis::Consent,
            "contract" => LegalBasis::Contract,
            "legal_obligation" => LegalBasis::LegalObligation,
            "vital_interests" => LegalBasis::VitalInterests,
            "public_task" => LegalBasis::PublicTask,
            "legitimate_interests" => LegalBasis::LegitimateInterests,
            _ => return None,
        })
    }
}

/// One thing wrong with a record. Messages never echo the record's values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Stable machine code, e.g. `consent.text_hash_mismatch`.
    pub code: &'static str,
    /// Where: `purposes[1].text_sha256`.
    pub path: String,
    /// Human explanation (English).
    pub message: &'static str,
}
