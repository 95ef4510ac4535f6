//! The chain: entries, receipts, and the offline verification of both.
//!
//! Entry `n` stores the canonical record (RFC 8785 style, see
//! `fiable_consent`), `prev_hash` = the hash of entry `n-1` (64 zeros
//! for the first) and `hash = SHA-256(prev_hash as 32 raw bytes ||
//! canonical record bytes)`. The receipt signs, with Ed25519, the text
//! [`receipt_message`] — so a receipt alone proves that the service
//! acknowledged this record at this place of the chain.
//!
//! A record is a consent record (`fiable_consent::ConsentRecord`,
//! its contact data only in sealed form) or an erasure record
//! (`fiable_consent::Erasure`): the proof that a subject's key was
//! destroyed. Both are hashed the same way.
use fiable_consent::{BREACH_KIND, Breach, ConsentRecord, ERASURE_KIND, Erasure, Json, sha256_hex};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::sign;

/// `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Header line of a JSON-lines export.
pub const EXPORT_FORMAT: &str = "fiable-consent-ledger/1";

/// One ledger entry, as stored and as exported (one JSON line each).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Position in the chain, from 1, without gaps.
    pub seq: u64,
    /// The record's id.
    pub id: String,
    /// The record's subject reference (pseudonymous).
    pub subject: String,
    /// The canonical JSON of the record, byte for byte what was hashed.
    pub record: String,
    /// Hash of the previous entry.
    pub prev_hash: String,
    /// `SHA-256(prev_hash || record)`, lowercase hex.
    pub hash: String,
    /// Server time of the signature (RFC 3339, UTC).
    pub signed_at: String,
    /// Ed25519 signature of [`receipt_message`], hex.
    pub signature: String,
    /// The public key that signed, hex.
    pub public_key: String,
}

/// What `POST /v1/consents` returns: verifiable offline with the public key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    /// The record's id.
    pub id: String,
    /// Position in the chain.
    pub seq: u64,
    /// The entry's hash.
    pub hash: String,
    /// The previous entry's hash.
    pub prev_hash: String,
    /// Server time of the signature.
    pub signed_at: String,
    /// Ed25519 signature of [`receipt_message`], hex.
    pub signature: String,
    /// The public key that signed, hex.
    pub public_key: String,
    /// The record's pseudonymous subject (as the record, which the hash
    /// covers, names it; not part of the signed message). Absent from
    /// receipts issued before it was added, and from those given to an
    /// anonymous caller (who must not learn a pseudonym).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub subject: String,
    /// The capability to withdraw this record without an API key (see
    /// `crate::routes::consent`): only in the answer to its submission.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdraw_token: Option<String>,
}

impl Entry {
    /// The receipt of this entry.
    pub fn receipt(&self) -> Receipt {
        Receipt {
            id: self.id.clone(),
            seq: self.seq,
            hash: self.hash.clone(),
            prev_hash: self.prev_hash.clone(),
            signed_at: self.signed_at.clone(),
            signature: self.signature.clone(),
            public_key: self.public_key.clone(),
            subject: self.subject.clone(),
            withdraw_token: None,
        }
    }
}

/// `kind` of a [`KeyRotation`] record.
pub const KEY_ROTATION_KIND: &str = "key_rotation";

/// A signing-key rotation (`fiable-lookup rotate-key`): an entry of the
/// chain, so signed by the key in force (`previous_public_key`), naming
/// the key that signs every later entry and tree head. The new key signs
/// [`rotation_message`] too (`new_key_signature`): whoever rotates holds
/// both. A verifier that pins the first key follows the rotations, so old
/// receipts keep verifying under the key that signed them; an entry that
/// names a new key but is not signed by the key in force breaks the chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyRotation {
    /// Always [`KEY_ROTATION_KIND`].
    pub kind: String,
    /// Unique id: `key-rotation:` and the new key's id.
    pub record_id: String,
    /// Empty: a rotation is about no person.
    pub subject: String,
    /// The key that signs this entry, hex.
    pub previous_public_key: String,
    /// The key that signs from the next entry on, hex.
    pub new_public_key: String,
    /// When (RFC 3339, server time).
    pub rotated_at: String,
    /// The new key's signature of [`rotation_message`], hex.
    pub new_key_signature: String,
}

/// What the new key signs in a rotation.
pub fn rotation_message(previous: &str, new: &str, rotated_at: &str) -> String {
    format!("fiable-consent-key-rotation/1\nprevious_public_key={previous}\nnew_public_key={new}\nrotated_at={rotated_at}\n")
}

impl KeyRotation {
    /// A rotation from `old` to `new`, signed by `new` (the entry itself is
    /// signed by `old` when appended).
    pub fn new(old: &sign::Signer, new: &sign::Signer) -> Self {
        let rotated_at = now_rfc3339();
        let (previous, next) = (old.public_key_hex().to_string(), new.public_key_hex().to_string());
        let new_key_signature = new.sign(rotation_message(&previous, &next, &rotated_at).as_bytes());
        let id = sign::parse_hex::<32>(&next).map(|raw| sha256_hex(&raw)[..16].to_string()).unwrap_or_default();
        KeyRotation {
            kind: KEY_ROTATION_KIND.into(),
            record_id: format!("key-rotation:{id}"),
            subject: String::new(),
            previous_public_key: previous,
            new_public_key: next,
            rotated_at,
            new_key_signature,
        }
    }

    /// The canonical JSON text (RFC 8785 style, as every record).
    pub fn canonical_json(&self) -> String {
        let s = |v: &str| Json::Str(v.to_string());
        Json::Obj(vec![
            ("kind".into(), s(&self.kind)),
            ("record_id".into(), s(&self.record_id)),
            ("subject".into(), s(&self.subject)),
            ("previous_public_key".into(), s(&self.previous_public_key)),
            ("new_public_key".into(), s(&self.new_public_key)),
            ("rotated_at".into(), s(&self.rotated_at)),
            ("new_key_signature".into(), s(&self.new_key_signature)),
        ])
        .canonical()
    }

    /// Checks the fields and the new key's signature.
    pub fn check(&self) -> Result<(), String> {
        if self.kind != KEY_ROTATION_KIND || !self.subject.is_empty() || !fiable_consent::is_rfc3339(&self.rotated_at) {
            return Err("malformed key rotation".into());
        }
        if ![&self.previous_public_key, &self.new_public_key, &self.new_key_signature].iter().all(|h| is_lower_hex(h)) {
            return Err("key rotation: keys and signature must be lowercase hex".into());
        }
        let msg = rotation_message(&self.previous_public_key, &self.new_public_key, &self.rotated_at);
        sign::verify(&self.new_public_key, msg.as_bytes(), &self.new_key_signature).map_err(|w| format!("key rotation: the new key's {w}"))
    }
}

/// The id, subject and canonical form of a stored record: a consent
/// record, an erasure record, a key rotation or a breach register entry
/// (subject empty).
pub fn parse_record(text: &str) -> Option<(String, String, String)> {
    if let Ok(r) = serde_json::from_str::<ConsentRecord>(text) {
        return Some((r.record_id.clone(), r.subject.clone(), r.canonical_json()));
    }
    if let Some(e) = serde_json::from_str::<Erasure>(text).ok().filter(|e| e.kind == ERASURE_KIND) {
        return Some((e.record_id.clone(), e.subject.clone(), e.canonical_json()));
    }
    // A breach register entry: about no subject.
    if let Some(b) = serde_json::from_str::<Breach>(text).ok().filter(|b| b.kind == BREACH_KIND) {
        return Some((b.record_id.clone(), String::new(), b.canonical_json()));
    }
    let k = parse_rotation(text)?;
    Some((k.record_id.clone(), k.subject.clone(), k.canonical_json()))
}

/// The key rotation a stored record is, if it is one.
pub fn parse_rotation(text: &str) -> Option<KeyRotation> {
    serde_json::from_str::<KeyRotation>(text).ok().filter(|k| k.kind == KEY_ROTATION_KIND)
}

/// `SHA-256(prev_hash as 32 raw bytes || canonical)`, lowercase hex; `None`
/// when `prev_hash` is not 64 hex digits.
pub fn chain_hash(prev_hash: &str, canonical: &str) -> Option<String> {
    let prev = sign::parse_hex::<32>(prev_hash)?;
    let mut h = Sha256::new();
    h.update(prev);
    h.update(canonical.as_bytes());
    Some(fiable_consent::hex(&h.finalize()))
}

/// The exact bytes a receipt signature covers.
pub fn receipt_message(id: &str, seq: u64, hash: &str, prev_hash: &str, signed_at: &str) -> String {
    format!("fiable-consent-receipt/1\nid={id}\nseq={seq}\nhash={hash}\nprev_hash={prev_hash}\nsigned_at={signed_at}\n")
}

/// Checks a receipt's signature; with `public_key`, also that it was signed
/// by that key (not merely by the key it carries).
pub fn verify_receipt(r: &Receipt, public_key: Option<&str>) -> Result<(), String> {
    if let Some(pk) = public_key {
        if !pk.eq_ignore_ascii_case(&r.public_key) {
            return Err("receipt was signed by another key".into());
        }
    }
    let msg = receipt_message(&r.id, r.seq, &r.hash, &r.prev_hash, &r.signed_at);
    sign::verify(&r.public_key, msg.as_bytes(), &r.signature).map_err(str::to_string)
}

/// Where verification stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Broken {
    /// The sequence number expected at that point.
    pub seq: u64,
    /// What is wrong.
    pub what: String,
    /// Where in the source (`line 12, byte 4031` for an export).
    pub at: Option<String>,
}

impl std::fmt::Display for Broken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "seq {}: {}", self.seq, self.what)?;
        if let Some(at) = &self.at {
            write!(f, " ({at})")?;
        }
        Ok(())
    }
}

/// Checks entries one by one, in order: sequence without gaps, chain of
/// hashes, canonical records, signatures (under `public_key` when given,
/// else under the key of the first entry; then under the key each
/// [`KeyRotation`] hands over to).
#[derive(Debug)]
pub struct ChainVerifier {
    next_seq: u64,
    prev_hash: String,
    /// The key in force: the pinned or first key, then each rotation's.
    public_key: Option<String>,
    rotations: u64,
}

impl ChainVerifier {
    /// A verifier expecting entry 1; `public_key` pins the signer.
    pub fn new(public_key: Option<String>) -> Self {
        ChainVerifier { next_seq: 1, prev_hash: GENESIS.to_string(), public_key: public_key.map(|k| k.to_ascii_lowercase()), rotations: 0 }
    }

    /// The key in force after the entries checked (rotations followed).
    pub fn current_key(&self) -> Option<&str> {
        self.public_key.as_deref()
    }

    /// Key rotations followed so far.
    pub fn rotations(&self) -> u64 {
        self.rotations
    }

    /// Entries checked so far.
    pub fn count(&self) -> u64 {
        self.next_seq - 1
    }

    /// Hash of the last entry checked (the chain head).
    pub fn head(&self) -> &str {
        &self.prev_hash
    }

    /// Checks the next entry.
    pub fn push(&mut self, e: &Entry) -> Result<(), Broken> {
        let seq = self.next_seq;
        let fail = |what: String| Err(Broken { seq, what, at: None });
        if e.seq != seq {
            return fail(format!("sequence gap or reorder: found seq {}", e.seq));
        }
        if e.prev_hash != self.prev_hash {
            return fail("prev_hash does not match the previous entry's hash".into());
        }
        // One spelling only: an upper-case copy of a key or signature would
        // still verify, and "a changed byte is detected" must hold.
        if !is_lower_hex(&e.signature) || !is_lower_hex(&e.public_key) {
            return fail("signature or public key is not lowercase hex".into());
        }
        match chain_hash(&e.prev_hash, &e.record) {
            Some(h) if h == e.hash => {}
            _ => return fail("hash does not match SHA-256(prev_hash || record): the record or the hash was changed".into()),
        }
        match parse_record(&e.record) {
            Some((_, _, canonical)) if canonical != e.record => {
                return fail("record is not in canonical form".into());
            }
            // The ledger only ever holds contact data sealed.
            Some(_) if serde_json::from_str::<ConsentRecord>(&e.record).is_ok_and(|r| r.subject_data.is_some()) => {
                return fail("record holds subject_data in clear".into());
            }
            Some((id, subject, _)) if id != e.id || subject != e.subject => {
                return fail("id or subject differs from the record".into());
            }
            Some(_) => {}
            None => return fail("record is neither a consent record, an erasure record nor a breach register entry".into()),
        }
        let key = self.public_key.get_or_insert_with(|| e.public_key.to_ascii_lowercase()).clone();
        if let Err(w) = verify_receipt(&e.receipt(), Some(&key)) {
            return fail(format!("receipt signature: {w} (the key in force is {key})"));
        }
        // A rotation, signed by the key in force (checked just above),
        // hands over to the key it names.
        if let Some(k) = parse_rotation(&e.record) {
            if k.previous_public_key != key {
                return fail("key rotation: previous_public_key is not the key in force".into());
            }
            if let Err(w) = k.check() {
                return fail(w);
            }
            self.public_key = Some(k.new_public_key.clone());
            self.rotations += 1;
        }
        self.next_seq += 1;
        self.prev_hash = e.hash.clone();
        Ok(())
    }
}

fn is_lower_hex(s: &str) -> bool {
    s.bytes().all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
}

/// Summary of a verified ledger.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    /// Entries.
    pub entries: u64,
    /// Hash of the last entry.
    pub head: String,
    /// The signing key in force at the end (after any rotation).
    pub public_key: Option<String>,
    /// Key rotations followed.
    pub rotations: u64,
}

/// Verifies a JSON-lines export: a header line `{"format":…,"public_key":…}`
/// then one [`Entry`] per line. `public_key` overrides the header's.
pub fn verify_export(text: &[u8], public_key: Option<&str>) -> Result<Verified, Broken> {
    let mut v: Option<ChainVerifier> = None;
    let mut offset = 0usize;
    for (i, line) in text.split_inclusive(|&b| b == b'\n').enumerate() {
        let at = Some(format!("line {}, byte {offset}", i + 1));
        offset += line.len();
        let line = line.strip_suffix(b"\n").unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        let Some(ver) = v.as_mut() else {
            #[derive(Deserialize)]
            #[serde(deny_unknown_fields)]
            struct Header {
                format: String,
                public_key: String,
            }
            match serde_json::from_slice::<Header>(line) {
                Ok(h)
                    if h.format == EXPORT_FORMAT
                        && (h.public_key.is_empty() || (h.public_key.len() == 64 && is_lower_hex(&h.public_key))) =>
                {
                    v = Some(ChainVerifier::new(Some(public_key.map_or(h.public_key, str::to_string))));
                }
                _ => {
                    return Err(Broken { seq: 0, what: format!("not a {EXPORT_FORMAT} export header"), at });
                }
            }
            continue;
        };
        let e: Entry = match serde_json::from_slice(line) {
            Ok(e) => e,
            Err(err) => {
                return Err(Broken { seq: ver.next_seq, what: format!("entry is not valid JSON ({err})"), at });
            }
        };
        ver.push(&e).map_err(|b| Broken { at, ..b })?;
    }
    let v = v.ok_or(Broken { seq: 0, what: "empty export".into(), at: None })?;
    Ok(Verified { entries: v.count(), head: v.prev_hash.clone(), public_key: v.public_key.clone(), rotations: v.rotations })
}

/// The current UTC time, RFC 3339 with milliseconds: `2026-11-23T17:15:02.120Z`.
pub fn now_rfc3339() -> String {
    let d = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    rfc3339(d.as_secs() as i64, d.subsec_millis())
}

/// Formats Unix seconds + milliseconds as RFC 3339 UTC.
pub fn rfc3339(secs: i64, millis: u32) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil-from-days (H. Hinnant).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{millis:03}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// Unix seconds of an RFC 3339 date-time (fractions dropped), `None` when
/// it is not one.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    fiable_consent::unix_seconds(s)
}

/// Lowercase hex SHA-256 of a request, for idempotency comparisons.
pub fn request_hash(canonical: &str) -> String {
    sha256_hex(canonical.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Entry `seq` after `prev` holding `rotation`, signed by `by`.
    fn rotation_entry(seq: u64, prev: &str, rotation: &KeyRotation, by: &sign::Signer) -> Entry {
        let record = rotation.canonical_json();
        let hash = chain_hash(prev, &record).unwrap();
        let signed_at = now_rfc3339();
        let signature = by.sign(receipt_message(&rotation.record_id, seq, &hash, prev, &signed_at).as_bytes());
        Entry {
            seq,
            id: rotation.record_id.clone(),
            subject: String::new(),
            record,
            prev_hash: prev.into(),
            hash,
            signed_at,
            signature,
            public_key: by.public_key_hex().into(),
        }
    }

    #[test]
    fn the_verifier_follows_rotations_signed_by_the_key_in_force_only() {
        let [a, b, c] = [1u8, 2, 3].map(|i| sign::Signer::from_seed([i; 32]));
        let ab = KeyRotation::new(&a, &b);
        let e1 = rotation_entry(1, GENESIS, &ab, &a);
        let e2 = rotation_entry(2, &e1.hash, &KeyRotation::new(&b, &c), &b);
        let mut v = ChainVerifier::new(Some(a.public_key_hex().into()));
        v.push(&e1).unwrap();
        v.push(&e2).unwrap();
        assert_eq!((v.rotations(), v.current_key()), (2, Some(c.public_key_hex())));

        let check = |e: &Entry| ChainVerifier::new(Some(a.public_key_hex().into())).push(e).unwrap_err().what;
        // Signed by the new key, not the key in force.
        assert!(check(&rotation_entry(1, GENESIS, &ab, &b)).contains("receipt signature"));
        // Signed by the key in force but naming another previous key.
        let lying = KeyRotation { previous_public_key: c.public_key_hex().into(), ..ab.clone() };
        assert!(check(&rotation_entry(1, GENESIS, &lying, &a)).contains("previous_public_key"));
        // The new key did not sign it.
        let unsigned = KeyRotation { new_key_signature: a.sign(b"something else"), ..ab.clone() };
        assert!(check(&rotation_entry(1, GENESIS, &unsigned, &a)).contains("new key"));
        // After a rotation the old key signs nothing more.
        let mut v = ChainVerifier::new(Some(a.public_key_hex().into()));
        v.push(&e1).unwrap();
        let again = rotation_entry(2, &e1.hash, &KeyRotation::new(&a, &c), &a);
        assert!(v.push(&again).unwrap_err().what.contains("receipt signature"));
    }

    #[test]
    fn rfc3339_formats_known_instants() {
        assert_eq!(rfc3339(0, 0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(951_782_400, 5), "2000-02-29T00:00:00.005Z");
        assert_eq!(rfc3339(1_795_454_102, 120), "2026-11-23T17:15:02.120Z");
        assert!(fiable_consent::is_rfc3339(&now_rfc3339()));
    }

    #[test]
    fn rfc3339_parses_back() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339("2000-02-29T00:00:00.005Z"), Some(951_782_400));
        assert_eq!(parse_rfc3339("2026-11-23T18:15:02.120+01:00"), Some(1_795_454_102));
        assert_eq!(parse_rfc3339("2026-11-23T12:45:02-04:30"), Some(1_795_454_102));
        assert_eq!(parse_rfc3339("yesterday"), None);
        for secs in [0i64, 1_000_000_000, 1_795_454_102, 4_102_444_800] {
            assert_eq!(parse_rfc3339(&rfc3339(secs, 0)), Some(secs));
        }
    }
}
