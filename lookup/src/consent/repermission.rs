//! Re-permission campaigns (`fiable-lookup repermission`): from the shop's
//! contact list and the ledger, who to ask again for which purpose, a
//! signed personal link per person, the answers as new ledger records, and
//! the campaign's counts.
//!
//! Who is asked: per purpose the person was subscribed to (a column of the
//! contact list), the ledger's latest decision on it, over every subject the
//! person matches on email or phone (blind indexes, [`super::matching`]):
//! a granted consent that has not expired is left alone, a refusal or a
//! withdrawal is never asked again, and a person whose data was erased is
//! never asked at all (the erasure keeps a suppression digest of the email
//! and phone, linked to no subject: see `store::subjects`). Everyone else
//! gets one link asking for the purposes left.
//!
//! The link (`/v1/repermission/{token}`) carries what the page needs and
//! nothing readable: the campaign id and fingerprint, a random link id, the
//! expiry, the purposes asked, and the contact data sealed
//! (ChaCha20-Poly1305) so that the answer can be filed under the person's
//! pseudonym exactly as a form submission would be; an HMAC-SHA256 under
//! the campaign key (a file outside the database, never generated
//! unasked) signs it. Each answer is a record whose id is derived from the
//! link id and the purpose: the ledger refuses a second one, so a replayed
//! link cannot answer twice.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use fiable_consent::{ConsentRecord, Decision, SubjectData, hex};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::ledger;
use super::matching;
use super::state::{self, State};
use super::store::tx::Value;
use super::store::{Mode, Store, StoreError};
use super::vault::{self, IndexKey};

/// The `form.id` of every answer record: `form.version` is the campaign id.
pub const FORM_ID: &str = "repermission";
/// The `subject` of suppression rows: no subject, on purpose.
pub const SUPPRESSED_SUBJECT: &str = "-";
/// Prefix of the index kinds that suppress a contact (`suppressed:email`).
pub const SUPPRESSED_PREFIX: &str = "suppressed:";
/// How long a link is valid by default, in days.
pub const DEFAULT_LINK_DAYS: u32 = 30;

/// The controller, as a campaign names it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignController {
    /// Legal name.
    pub name: String,
    /// Contact for data-protection requests.
    pub contact: String,
}

/// One purpose of a campaign: its id and the exact text the page shows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignPurpose {
    /// Purpose id, as in the shop's forms (`newsletter`).
    pub id: String,
    /// The sentence the person confirms or refuses, recorded verbatim.
    pub text: String,
}

/// A campaign: what the page shows and what the answers record.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Campaign {
    /// Campaign id (1-256 of `A-Za-z0-9._:-`), the answers' `form.version`.
    pub id: String,
    /// Who asks.
    pub controller: CampaignController,
    /// Locale of the texts (`fr`, `en`…): the page's language too.
    pub locale: String,
    /// The purposes the campaign may ask.
    pub purposes: Vec<CampaignPurpose>,
    /// A confirmed consent lapses after this many days (none: it does not).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_after_days: Option<u32>,
    /// How long the proof is kept after expiry or withdrawal, in days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention_days: Option<u32>,
    /// The site the answers are collected on (`collector.site`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
}

impl Campaign {
    /// Reads a campaign file: the definition itself, or the
    /// `campaign.json` a run writes in its directory (`{"campaign": …}`).
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(path).with_context(|| format!("reading {}", path.display()))?)
            .with_context(|| format!("{}: not JSON", path.display()))?;
        let v = if v.get("campaign").is_some() { v["campaign"].clone() } else { v };
        let c: Campaign = serde_json::from_value(v).with_context(|| format!("{}: not a campaign definition", path.display()))?;
        c.check().map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        Ok(c)
    }

    /// The campaign's own rules, then the consent record's: a record
    /// granting every purpose must pass `fiable_consent::validate`.
    pub fn check(&self) -> Result<(), String> {
        let id_ok = (1..=256).contains(&self.id.len()) && self.id.bytes().all(|c| c.is_ascii_alphanumeric() || b"._:-".contains(&c));
        if !id_ok {
            return Err("the campaign id must be 1-256 characters of A-Z a-z 0-9 . _ : -".into());
        }
        if self.purposes.is_empty() {
            return Err("a campaign needs at least one purpose".into());
        }
        let decided: Vec<(&str, Decision)> = self.purposes.iter().map(|p| (p.id.as_str(), Decision::Granted)).collect();
        let mut r = self.record("check", "2026-01-01T00:00:00Z", &decided);
        r.subject = "s_campaign_check".into();
        let problems = fiable_consent::validate(&r);
        match problems.first() {
            None => Ok(()),
            Some(p) => Err(format!("{} at {}: {}", p.code, p.path, p.message)),
        }
    }

    /// A short fingerprint of the definition: a link names it, so a
    /// campaign whose texts changed after the links went out refuses them
    /// (the person would confirm a text they were not sent).
    pub fn fingerprint(&self) -> String {
        let json = serde_json::to_string(self).unwrap_or_default();
        fiable_consent::sha256_hex(json.as_bytes())[..16].to_string()
    }

    /// The text of a purpose.
    pub fn text(&self, purpose: &str) -> Option<&str> {
        self.purposes.iter().find(|p| p.id == purpose).map(|p| p.text.as_str())
    }

    /// The record of an answer (`decided`: purpose and decision), without
    /// subject: the caller adds the contact data or the subject.
    pub fn record(&self, record_id: &str, acted_at: &str, decided: &[(&str, Decision)]) -> ConsentRecord {
        let purposes = decided
            .iter()
            .map(|(id, d)| {
                let text = self.text(id).unwrap_or_default().to_string();
                fiable_consent::Purpose {
                    id: (*id).to_string(),
                    text_sha256: fiable_consent::sha256_hex(text.as_bytes()),
                    text,
                    decision: match d {
                        Decision::Granted => "granted",
                        Decision::Refused => "refused",
                        Decision::Withdrawn => "withdrawn",
                    }
                    .into(),
                    legal_basis: "consent".into(),
                    affirmative_action: true,
                    // The answer comes through the mailed link itself: no second confirmation.
                    confirmation: None,
                }
            })
            .collect();
        let granted = decided.iter().any(|(_, d)| *d == Decision::Granted);
        let expires_at = match (granted, self.expires_after_days, ledger::parse_rfc3339(acted_at)) {
            (true, Some(days), Some(t)) => Some(ledger::rfc3339(t + i64::from(days) * 86_400, 0)),
            _ => None,
        };
        ConsentRecord {
            record_id: record_id.into(),
            schema_version: fiable_consent::SCHEMA_VERSION,
            subject: String::new(),
            controller: fiable_consent::Controller { name: self.controller.name.clone(), contact: self.controller.contact.clone() },
            purposes,
            channel: "web".into(),
            collector: fiable_consent::Collector { site: Some(self.site.clone().unwrap_or_else(|| FORM_ID.into())), ..Default::default() },
            form: fiable_consent::FormRef { id: FORM_ID.into(), version: self.id.clone() },
            locale: self.locale.clone(),
            acted_at: acted_at.into(),
            expires_at,
            retention_days: self.retention_days,
            ..Default::default()
        }
    }
}

/// The campaign key: signs the links and seals the contact data they
/// carry. 32 bytes, 64 hex digits in a file (mode 0600) kept outside the
/// database; created only when asked ([`CampaignKey::create`]).
#[derive(Clone)]
pub struct CampaignKey([u8; 32]);

impl std::fmt::Debug for CampaignKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CampaignKey(…)")
    }
}

impl CampaignKey {
    /// A key around 32 bytes.
    pub fn from_bytes(k: [u8; 32]) -> Self {
        CampaignKey(k)
    }

    /// Reads the key file; a missing file is an error, never a new key
    /// (links already sent would all break, or two keys would sign one
    /// campaign).
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        if !path.exists() {
            anyhow::bail!(
                "{}: no campaign key. Create one once with `fiable-lookup repermission --create-key {}` and give the same file to `serve --repermission-key`",
                path.display(),
                path.display()
            );
        }
        Ok(CampaignKey(vault::load_or_create_secret(path, "campaign key")?))
    }

    /// Creates a new key file (mode 0600); refuses to replace one.
    pub fn create(path: &Path) -> anyhow::Result<Self> {
        if path.exists() {
            anyhow::bail!("{}: exists; a campaign key is never replaced (the links it signed would break)", path.display());
        }
        Ok(CampaignKey(vault::load_or_create_secret(path, "campaign key")?))
    }

    fn mac(&self) -> Hmac<Sha256> {
        // HMAC zero-pads keys shorter than its block: this is the 32-byte key.
        let mut block = [0u8; 64];
        block[..32].copy_from_slice(&self.0);
        <Hmac<Sha256> as hmac::digest::KeyInit>::new(&block.into())
    }

    /// HMAC-SHA256 of `parts`, each ended by a NUL (no two part lists give one message).
    fn tag(&self, parts: &[&[u8]]) -> [u8; 32] {
        let mut m = self.mac();
        for p in parts {
            m.update(p);
            m.update(&[0]);
        }
        m.finalize().into_bytes().into()
    }

    fn sealing(&self) -> ChaCha20Poly1305 {
        ChaCha20Poly1305::new(Key::from_slice(&self.tag(&[b"fiable-repermission-seal/1"])))
    }

    /// The record id of the answer of `link` on `purpose`: one per pair,
    /// so the ledger itself refuses a replay.
    pub fn answer_id(&self, link: &str, purpose: &str) -> String {
        format!("rp-{}", &hex(&self.tag(&[b"fiable-repermission-answer/1", link.as_bytes(), purpose.as_bytes()]))[..32])
    }

    /// Signs a link: `base64url(JSON).base64url(HMAC)`.
    pub fn sign(&self, link: &Link) -> String {
        let payload = b64_encode(serde_json::to_string(link).unwrap_or_default().as_bytes());
        let tag = self.tag(&[b"fiable-repermission-link/1", payload.as_bytes()]);
        format!("{payload}.{}", b64_encode(&tag))
    }

    /// The link a token stands for, if this key signed it and it has not
    /// expired at `now` (Unix seconds).
    pub fn verify(&self, token: &str, now: i64) -> Result<Link, LinkError> {
        let (payload, tag) = token.split_once('.').ok_or(LinkError::Malformed)?;
        // A tag of the right shape that does not decode is as good as a wrong one.
        let tag = b64_decode(tag).ok_or(LinkError::Forged)?;
        let mut m = self.mac();
        m.update(b"fiable-repermission-link/1");
        m.update(&[0]);
        m.update(payload.as_bytes());
        m.update(&[0]);
        m.verify_slice(&tag).map_err(|_| LinkError::Forged)?;
        let link: Link = serde_json::from_slice(&b64_decode(payload).ok_or(LinkError::Forged)?).map_err(|_| LinkError::Forged)?;
        if link.expires <= now {
            return Err(LinkError::Expired);
        }
        Ok(link)
    }

    /// Seals the contact data a link carries, bound to its link id.
    pub fn seal(&self, link_id: &str, data: &SubjectData) -> Option<String> {
        let mut nonce = [0u8; 12];
        vault::random(&mut nonce).ok()?;
        let plain = data.to_json().canonical();
        let ct = self.sealing().encrypt(Nonce::from_slice(&nonce), Payload { msg: plain.as_bytes(), aad: link_id.as_bytes() }).ok()?;
        let mut out = nonce.to_vec();
        out.extend(ct);
        Some(b64_encode(&out))
    }

    /// The contact data of a link.
    pub fn open(&self, link: &Link) -> Option<SubjectData> {
        let raw = b64_decode(&link.data)?;
        if raw.len() < 12 {
            return None;
        }
        let plain =
            self.sealing().decrypt(Nonce::from_slice(&raw[..12]), Payload { msg: &raw[12..], aad: link.link_id.as_bytes() }).ok()?;
        serde_json::from_slice(&plain).ok()
    }
}

/// What a signed link says (short keys: it travels in a URL).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Link {
    /// Campaign id.
    #[serde(rename = "c")]
    pub campaign: String,
    /// The campaign's fingerprint when the link was made.
    #[serde(rename = "f")]
    pub fingerprint: String,
    /// Random link id (hex).
    #[serde(rename = "l")]
    pub link_id: String,
    /// Expiry, Unix seconds.
    #[serde(rename = "e")]
    pub expires: i64,
    /// The purposes asked.
    #[serde(rename = "p")]
    pub purposes: Vec<String>,
    /// The person's contact data, sealed ([`CampaignKey::seal`]).
    #[serde(rename = "d")]
    pub data: String,
}

/// Why a link is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// Not a token at all.
    #[error("not a link token")]
    Malformed,
    /// Not signed by this key (or changed).
    #[error("the link's signature does not hold")]
    Forged,
    /// Past its expiry.
    #[error("the link has expired")]
    Expired,
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Base64url without padding (RFC 4648 §5).
pub fn b64_encode(b: &[u8]) -> String {
    let mut out = String::with_capacity(b.len().div_ceil(3) * 4);
    for chunk in b.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, &x)| n | u32::from(x) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(char::from(B64[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

/// Decodes [`b64_encode`]'s output; `None` for anything else (padding,
/// other alphabets, a length no encoding gives, non-zero spare bits).
pub fn b64_decode(s: &str) -> Option<Vec<u8>> {
    if s.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    for chunk in s.as_bytes().chunks(4) {
        let mut n = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            let v = B64.iter().position(|x| x == c)? as u32;
            n |= v << (18 - 6 * i);
        }
        let bytes = chunk.len() - 1;
        for i in 0..bytes {
            out.push((n >> (16 - 8 * i)) as u8);
        }
        // The bits below the last byte must be zero: one token, one encoding.
        if n & ((1 << (24 - 8 * bytes)) - 1) != 0 {
            return None;
        }
    }
    Some(out)
}

/// One row of the shop's contact list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Contact {
    /// Email address.
    pub email: Option<String>,
    /// Phone number (national or E.164).
    pub phone: Option<String>,
    /// First name.
    pub first_name: Option<String>,
    /// Last name (or the whole name of a `name` column).
    pub last_name: Option<String>,
    /// The purposes the person was subscribed to.
    pub purposes: Vec<String>,
}

/// Reads the contact list: CSV with a header row; columns `email`,
/// `phone`, `first_name`, `last_name` (or `name`), and `purposes`
/// (separated by `;`, `|` or spaces). Column names are case-insensitive;
/// other columns are ignored.
pub fn read_contacts(path: &Path) -> anyhow::Result<Vec<Contact>> {
    let mut r = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_path(path)
        .with_context(|| format!("reading {}", path.display()))?;
    let headers: Vec<String> = r.headers()?.iter().map(|h| h.to_ascii_lowercase()).collect();
    let col = |names: &[&str]| headers.iter().position(|h| names.contains(&h.as_str()));
    let (email, phone, first, last, purposes) = (
        col(&["email", "e-mail", "mail"]),
        col(&["phone", "telephone", "tel"]),
        col(&["first_name", "firstname"]),
        col(&["last_name", "lastname", "name"]),
        col(&["purposes", "purpose"]),
    );
    if email.is_none() && phone.is_none() {
        anyhow::bail!("{}: the header names no email nor phone column", path.display());
    }
    let purposes = purposes.with_context(|| format!("{}: the header names no purposes column", path.display()))?;
    let mut out = Vec::new();
    for row in r.records() {
        let row = row.with_context(|| format!("reading {}", path.display()))?;
        let get = |i: Option<usize>| i.and_then(|i| row.get(i)).map(str::trim).filter(|v| !v.is_empty()).map(str::to_string);
        out.push(Contact {
            email: get(email),
            phone: get(phone),
            first_name: get(first),
            last_name: get(last),
            purposes: get(Some(purposes))
                .unwrap_or_default()
                .split([';', '|', ' ', ','])
                .filter(|p| !p.is_empty())
                .map(str::to_string)
                .collect(),
        });
    }
    Ok(out)
}

/// Where a person stands on one purpose, for a campaign.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    /// A consent ([`State::Granted`]): not asked.
    Valid,
    /// A grant waiting for its double opt-in confirmation, the delay still
    /// running: not asked (the confirmation mail is out).
    Pending,
    /// Refused or withdrawn last: never asked again.
    Refused,
    /// Nothing, a consent that expired, or a grant never confirmed in
    /// time: asked.
    Ask,
}

/// The person's standing on `purpose` at `now` (Unix seconds) from their
/// records (with their ledger seq): the ledger's effective state
/// ([`state::effective`], `confirm_within` being the double opt-in delay).
pub fn standing(records: &[(u64, ConsentRecord)], purpose: &str, now: i64, confirm_within: Duration) -> Standing {
    match state::effective(records, purpose, now, confirm_within).map(|e| e.state) {
        Some(State::Granted) => Standing::Valid,
        Some(State::Unconfirmed) => Standing::Pending,
        Some(State::Refused | State::Withdrawn) => Standing::Refused,
        Some(State::Expired | State::ExpiredUnconfirmed) | None => Standing::Ask,
    }
}

/// The person's contact data as a form would send it: the phone in E.164
/// (a national number read as French), and only the fields the consent
/// record's own checks accept (a row's bad phone does not sink its email).
fn subject_data(c: &Contact) -> SubjectData {
    let mut d = SubjectData {
        email: c.email.clone(),
        phone: c.phone.as_deref().and_then(|p| fiable_core::phone::parse(p, Some("FR")).ok()).map(|n| n.e164),
        first_name: c.first_name.clone(),
        last_name: c.last_name.clone(),
        ..Default::default()
    };
    for problem in fiable_consent::validate_subject_data(&d) {
        match problem.path.as_str() {
            "subject_data.email" => d.email = None,
            "subject_data.phone" => d.phone = None,
            "subject_data.first_name" => d.first_name = None,
            "subject_data.last_name" => d.last_name = None,
            _ => {}
        }
    }
    d
}

/// The email and phone blind indexes of a person (the strong identifiers).
fn strong_digests(index_key: &IndexKey, data: &SubjectData) -> Vec<(&'static str, String)> {
    data.match_keys().into_iter().filter(|(k, _)| matches!(*k, "email" | "phone")).map(|(k, v)| (k, index_key.digest(k, &v))).collect()
}

/// Whether the email or phone of `data` belongs to a person who was erased.
pub fn suppressed(store: &Store, index_key: &IndexKey, data: &SubjectData) -> Result<bool, StoreError> {
    let digests = strong_digests(index_key, data);
    store.tx(Mode::Read, |tx| {
        for (kind, digest) in &digests {
            let hit = tx.query_opt(
                "SELECT subject FROM subject_index WHERE kind = $1 AND digest = $2 LIMIT 1",
                &[Value::from(format!("{SUPPRESSED_PREFIX}{kind}")), digest.into()],
                |r| r.text(0),
            )?;
            if hit.is_some() {
                return Ok(true);
            }
        }
        Ok(false)
    })
}

/// Counts of one purpose in a run or a report.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// People of the list subscribed to it.
    pub listed: u64,
    /// Of those, with a valid consent already (not asked).
    pub valid: u64,
    /// With a grant still waiting for its double opt-in confirmation (not asked).
    #[serde(default)]
    pub pending: u64,
    /// With a refusal or withdrawal on it (never asked again).
    pub refused_before: u64,
    /// Erased people (never asked).
    pub erased: u64,
    /// Asked in this campaign's links.
    pub asked: u64,
}

/// One person to ask.
#[derive(Clone, Debug)]
pub struct Invitation {
    /// The row of the list.
    pub contact: Contact,
    /// The purposes asked.
    pub purposes: Vec<String>,
}

/// Who to ask, and the counts per purpose.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// One per person asked.
    pub invitations: Vec<Invitation>,
    /// Per purpose of the campaign.
    pub counts: BTreeMap<String, Counts>,
    /// Rows without a usable email or phone (skipped).
    pub unidentified: u64,
}

/// Selects who to ask for which of `asked` (purposes of `campaign`), from
/// the contact list and the ledger at `now`; `confirm_within` is the
/// double opt-in delay of the service (`--double-opt-in-hours`).
pub fn select(
    store: &Store,
    index_key: &IndexKey,
    asked: &[String],
    contacts: Vec<Contact>,
    now: i64,
    confirm_within: Duration,
) -> Result<Selection, StoreError> {
    let mut sel = Selection { counts: asked.iter().map(|p| (p.clone(), Counts::default())).collect(), ..Default::default() };
    for c in contacts {
        let wanted: Vec<&String> = asked.iter().filter(|p| c.purposes.contains(p)).collect();
        if wanted.is_empty() {
            continue;
        }
        let data = subject_data(&c);
        let digests = strong_digests(index_key, &data);
        if digests.is_empty() {
            sel.unidentified += 1;
            continue;
        }
        let erased = suppressed(store, index_key, &data)?;
        let mut records = Vec::new();
        if !erased {
            // Every subject the person matches on email or phone: one
            // refusal anywhere counts (an advisor's phone-only record too).
            for m in matching::rank(store.find_subjects(&digests)?) {
                for e in store.by_subject(&m.subject)? {
                    if let Ok(r) = serde_json::from_str::<ConsentRecord>(&e.record) {
                        records.push((e.seq, r));
                    }
                }
            }
        }
        let mut ask = Vec::new();
        for p in wanted {
            let n = sel.counts.entry(p.clone()).or_default();
            n.listed += 1;
            if erased {
                n.erased += 1;
                continue;
            }
            match standing(&records, p, now, confirm_within) {
                Standing::Valid => n.valid += 1,
                Standing::Pending => n.pending += 1,
                Standing::Refused => n.refused_before += 1,
                Standing::Ask => {
                    n.asked += 1;
                    ask.push(p.clone());
                }
            }
        }
        if !ask.is_empty() {
            sel.invitations.push(Invitation { contact: c, purposes: ask });
        }
    }
    Ok(sel)
}

/// A signed link for one invitation.
pub fn make_link(key: &CampaignKey, campaign: &Campaign, inv: &Invitation, expires: i64) -> anyhow::Result<String> {
    let mut id = [0u8; 16];
    vault::random(&mut id).map_err(|e| anyhow::anyhow!("no randomness for a link id: {e}"))?;
    let link_id = hex(&id);
    let data = key.seal(&link_id, &subject_data(&inv.contact)).context("sealing the contact data of a link")?;
    let link =
        Link { campaign: campaign.id.clone(), fingerprint: campaign.fingerprint(), link_id, expires, purposes: inv.purposes.clone(), data };
    Ok(key.sign(&link))
}

/// One purpose's line of the report.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ReportLine {
    /// Purpose id.
    pub purpose: String,
    /// People asked.
    pub asked: u64,
    /// Confirmed through their link.
    pub confirmed: u64,
    /// Refused through their link.
    pub refused: u64,
    /// Asked, no answer.
    pub silent: u64,
}

/// The answers of `campaign` in the ledger, against the numbers asked.
pub fn report(store: &Store, campaign: &Campaign, asked: &BTreeMap<String, u64>) -> Result<Vec<ReportLine>, StoreError> {
    let mut lines: BTreeMap<String, ReportLine> =
        asked.iter().map(|(p, n)| (p.clone(), ReportLine { purpose: p.clone(), asked: *n, ..Default::default() })).collect();
    store.for_each(|e| -> Result<(), StoreError> {
        let Ok(r) = serde_json::from_str::<ConsentRecord>(&e.record) else {
            return Ok(());
        };
        if r.form.id != FORM_ID || r.form.version != campaign.id || r.withdraws.is_some() {
            return Ok(());
        }
        for p in &r.purposes {
            let line = lines.entry(p.id.clone()).or_insert_with(|| ReportLine { purpose: p.id.clone(), ..Default::default() });
            match Decision::parse(&p.decision) {
                Some(Decision::Granted) => line.confirmed += 1,
                Some(Decision::Refused) => line.refused += 1,
                _ => {}
            }
        }
        Ok(())
    })?;
    Ok(lines
        .into_values()
        .map(|mut l| {
            l.silent = l.asked.saturating_sub(l.confirmed + l.refused);
            l
        })
        .collect())
}

/// The files of a campaign directory.
pub struct Dir(pub PathBuf);

impl Dir {
    /// The campaign as run: definition, fingerprint, purposes asked, counts.
    pub fn campaign(&self) -> PathBuf {
        self.0.join("campaign.json")
    }
    /// One line per person: contact, purposes, link (what a mailer sends).
    pub fn outbox(&self) -> PathBuf {
        self.0.join("outbox.csv")
    }
    /// The report, as JSON.
    pub fn report_json(&self) -> PathBuf {
        self.0.join("report.json")
    }
    /// The report, as CSV.
    pub fn report_csv(&self) -> PathBuf {
        self.0.join("report.csv")
    }
}

/// Writes the report files of a campaign directory.
pub fn write_report(dir: &Dir, campaign: &Campaign, lines: &[ReportLine], at: &str) -> anyhow::Result<()> {
    let json = serde_json::json!({ "campaign": campaign.id, "computed_at": at, "purposes": lines });
    std::fs::write(dir.report_json(), serde_json::to_string_pretty(&json)? + "\n")?;
    let mut w = csv::Writer::from_path(dir.report_csv())?;
    w.write_record(["purpose", "asked", "confirmed", "refused", "silent"])?;
    for l in lines {
        w.write_record([l.purpose.clone(), l.asked.to_string(), l.confirmed.to_string(), l.refused.to_string(), l.silent.to_string()])?;
    }
    w.flush()?;
    Ok(())
}

/// The campaigns a service answers links for, and their key.
#[derive(Debug)]
pub struct Campaigns {
    /// The campaign key.
    pub key: CampaignKey,
    /// By id.
    pub by_id: BTreeMap<String, Campaign>,
}

impl Campaigns {
    /// The key file and the campaign files given to `serve`.
    pub fn load(key: &Path, files: &[PathBuf]) -> anyhow::Result<Self> {
        let key = CampaignKey::load(key)?;
        let mut by_id = BTreeMap::new();
        for f in files {
            let c = Campaign::load(f)?;
            if by_id.insert(c.id.clone(), c).is_some() {
                anyhow::bail!("{}: a campaign with this id is already loaded", f.display());
            }
        }
        Ok(Campaigns { key, by_id })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn campaign() -> Campaign {
        Campaign {
            id: "winback-2026-12".into(),
            controller: CampaignController { name: "Boutique SAS".into(), contact: "dpo@boutique.example".into() },
            locale: "fr".into(),
            purposes: vec![CampaignPurpose { id: "newsletter".into(), text: "Je veux la newsletter".into() }],
            expires_after_days: Some(365),
            ..Default::default()
        }
    }

    #[test]
    fn base64url_round_trips_and_refuses_other_encodings() {
        for n in 0..40 {
            let b: Vec<u8> = (0..n).map(|i| (i * 37 + 11) as u8).collect();
            let e = b64_encode(&b);
            assert!(!e.contains(['=', '+', '/']));
            assert_eq!(b64_decode(&e).as_deref(), Some(&b[..]), "{n}");
        }
        assert_eq!(b64_encode(b"fo"), "Zm8");
        assert_eq!(b64_decode("Zm9"), None, "non-zero spare bits");
        assert_eq!(b64_decode("Zm8="), None);
        assert_eq!(b64_decode("Z"), None);
        assert_eq!(b64_decode("Zm+v"), None);
    }

    #[test]
    fn links_verify_only_under_their_key_unchanged_and_unexpired() {
        let k = CampaignKey::from_bytes([7; 32]);
        let data = SubjectData { email: Some("jeanne@example.fr".into()), ..Default::default() };
        let seal = k.seal("l1", &data).unwrap();
        let link = Link {
            campaign: "c".into(),
            fingerprint: "f".into(),
            link_id: "l1".into(),
            expires: 1000,
            purposes: vec!["a".into()],
            data: seal,
        };
        let t = k.sign(&link);
        assert_eq!(k.verify(&t, 999), Ok(link.clone()));
        assert_eq!(k.open(&link).unwrap().email.as_deref(), Some("jeanne@example.fr"));
        assert!(!t.contains("jeanne"));
        assert_eq!(k.verify(&t, 1000), Err(LinkError::Expired));
        assert_eq!(CampaignKey::from_bytes([8; 32]).verify(&t, 0), Err(LinkError::Forged));
        assert!(CampaignKey::from_bytes([8; 32]).open(&link).is_none());
        // Any changed character of the payload or the tag.
        for i in 0..t.len() {
            let mut b = t.clone().into_bytes();
            if b[i] == b'.' {
                continue;
            }
            b[i] = if b[i] == b'A' { b'B' } else { b'A' };
            let changed = String::from_utf8(b).unwrap();
            assert!(k.verify(&changed, 0).is_err(), "byte {i}");
        }
        assert_eq!(k.verify("no-dot", 0), Err(LinkError::Malformed));
        // Another link's seal does not open under this link id.
        let mut other = link.clone();
        other.link_id = "l2".into();
        assert!(k.open(&other).is_none());
        assert_ne!(k.answer_id("l1", "a"), k.answer_id("l1", "b"));
        assert_ne!(k.answer_id("l1", "a"), k.answer_id("l2", "a"));
    }

    #[test]
    fn standing_follows_the_latest_decision_and_expiry() {
        let c = campaign();
        let rec = |at: &str, d: Decision| c.record("r", at, &[("newsletter", d)]);
        let now = ledger::parse_rfc3339("2026-12-05T00:00:00Z").unwrap();
        let standing = |r: &[(u64, ConsentRecord)], p: &str, now: i64| standing(r, p, now, Duration::from_secs(72 * 3600));
        assert_eq!(standing(&[], "newsletter", now), Standing::Ask);
        let granted = rec("2026-06-01T00:00:00Z", Decision::Granted);
        assert_eq!(standing(&[(1, granted.clone())], "newsletter", now), Standing::Valid);
        assert_eq!(standing(&[(1, granted.clone())], "sms", now), Standing::Ask);
        let old = rec("2024-06-01T00:00:00Z", Decision::Granted);
        assert_eq!(standing(&[(1, old.clone())], "newsletter", now), Standing::Ask, "expired after 365 days");
        let refused = rec("2025-01-01T00:00:00Z", Decision::Refused);
        assert_eq!(standing(&[(1, old), (2, refused.clone())], "newsletter", now), Standing::Refused);
        // Order by acted_at, not by arrival.
        assert_eq!(standing(&[(1, granted.clone()), (2, refused)], "newsletter", now), Standing::Valid);
        let mut withdrawn = rec("2026-07-01T00:00:00Z", Decision::Withdrawn);
        withdrawn.withdraws = Some("r".into());
        assert_eq!(standing(&[(1, granted), (2, withdrawn)], "newsletter", now), Standing::Refused);
    }

    #[test]
    fn a_campaign_is_checked_by_the_consent_rules() {
        assert_eq!(campaign().check(), Ok(()));
        let mut c = campaign();
        c.id = "has space".into();
        assert!(c.check().unwrap_err().contains("id"), "{:?}", c.check());
        let mut c = campaign();
        c.purposes[0].text = " ".into();
        assert!(c.check().unwrap_err().contains("consent.missing_purpose_text"));
        let mut c = campaign();
        c.purposes.push(c.purposes[0].clone());
        assert!(c.check().unwrap_err().contains("consent.duplicate_purpose"));
        assert_ne!(campaign().fingerprint(), c.fingerprint());
    }
}
