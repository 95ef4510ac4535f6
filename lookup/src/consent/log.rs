//! The verifiable log over the ledger (Certificate Transparency style,
//! RFC 9162 §2.1 via `fiable_consent::merkle`): signed tree heads,
//! inclusion and consistency proofs, and their offline checks (what
//! `fiable-lookup verify` and `fiable-lookup witness` run).
//!
//! Leaf `i` is entry `seq = i + 1`; its data is the entry's receipt message
//! ([`ledger::receipt_message`]: id, seq, chain hash, previous hash,
//! signing time), so a leaf binds the record (through the chain hash), its
//! place and its time. A tree head says "the first `size` entries have this
//! root", signed with the ledger key.
//!
//! Appends never touch the tree: [`Log::sync`] reads the entries it has not
//! seen (from any instance sharing the database) when a head or a proof is
//! asked for, so the append throughput is the ledger's.
use std::sync::Mutex;

use fiable_consent::merkle::{self, Hash, Tree};
use serde::{Deserialize, Serialize};

use super::ledger::{self, Entry};
use super::sign::{self, Signer};
use super::store::{Store, StoreError};

/// The leaf hash of an entry.
pub fn leaf_of(e: &Entry) -> Hash {
    merkle::leaf_hash(ledger::receipt_message(&e.id, e.seq, &e.hash, &e.prev_hash, &e.signed_at).as_bytes())
}

/// A key's id: the first 16 hex digits of the SHA-256 of its 32 raw bytes
/// (`None` when `public_key` is not 64 hex digits).
pub fn key_id(public_key_hex: &str) -> Option<String> {
    let raw = sign::parse_hex::<32>(public_key_hex)?;
    Some(fiable_consent::sha256_hex(&raw)[..16].to_string())
}

/// A signed tree head.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TreeHead {
    /// Entries covered (the first `size`).
    pub size: u64,
    /// The Merkle root, lowercase hex.
    pub root_hash: String,
    /// When the service signed it (RFC 3339, UTC).
    pub timestamp: String,
    /// The signing key's id ([`key_id`]).
    pub key_id: String,
    /// The signing key, hex (a verifier pins its own copy).
    pub public_key: String,
    /// Ed25519 signature of [`head_message`], hex.
    pub signature: String,
}

/// The exact bytes a tree head signature covers.
pub fn head_message(size: u64, root_hash: &str, timestamp: &str, key_id: &str) -> String {
    format!("fiable-consent-tree-head/1\nsize={size}\nroot_hash={root_hash}\ntimestamp={timestamp}\nkey_id={key_id}\n")
}

impl TreeHead {
    /// Signs a head.
    pub fn sign(signer: &Signer, size: u64, root: &Hash) -> Self {
        let root_hash = fiable_consent::hex(root);
        let timestamp = ledger::now_rfc3339();
        let key_id = key_id(signer.public_key_hex()).unwrap_or_default();
        let signature = signer.sign(head_message(size, &root_hash, &timestamp, &key_id).as_bytes());
        TreeHead { size, root_hash, timestamp, key_id, public_key: signer.public_key_hex().to_string(), signature }
    }

    /// Checks the signature under `public_key` (the pinned key, not the one
    /// the head carries) and the shape of the fields; the root as bytes.
    pub fn verify(&self, public_key: &str) -> Result<Hash, String> {
        let pk = public_key.trim().to_ascii_lowercase();
        if !pk.eq_ignore_ascii_case(&self.public_key) || key_id(&pk).as_deref() != Some(self.key_id.as_str()) {
            return Err(format!(
                "the head is signed by key {} ({}), not by the pinned key {}",
                self.key_id,
                self.public_key,
                key_id(&pk).unwrap_or_else(|| "?".into())
            ));
        }
        let root = sign::parse_hex::<32>(&self.root_hash)
            .filter(|_| is_lower_hex(&self.root_hash))
            .ok_or("root_hash is not 64 lowercase hex digits")?;
        if !fiable_consent::is_rfc3339(&self.timestamp) {
            return Err("timestamp is not RFC 3339".into());
        }
        if !is_lower_hex(&self.signature) {
            return Err("signature is not lowercase hex".into());
        }
        sign::verify(&pk, head_message(self.size, &self.root_hash, &self.timestamp, &self.key_id).as_bytes(), &self.signature)
            .map_err(|w| format!("head signature: {w}"))?;
        Ok(root)
    }
}

fn is_lower_hex(s: &str) -> bool {
    s.bytes().all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
}

/// Hex of each hash of a proof.
pub fn hex_proof(p: &[Hash]) -> Vec<String> {
    p.iter().map(|h| fiable_consent::hex(h)).collect()
}

/// Hashes of a proof from hex; `None` when one is not 64 hex digits.
pub fn parse_proof(p: &[String]) -> Option<Vec<Hash>> {
    p.iter().map(|h| sign::parse_hex::<32>(h)).collect()
}

/// An inclusion proof of one entry against a signed head.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InclusionProof {
    /// The entry's receipt.
    pub receipt: ledger::Receipt,
    /// `seq - 1`.
    pub leaf_index: u64,
    /// [`leaf_of`] the entry, hex.
    pub leaf_hash: String,
    /// The audit path, leaf side first, hex.
    pub proof: Vec<String>,
    /// The head of the tree the path leads to.
    pub head: TreeHead,
}

/// A consistency proof between two signed heads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsistencyProof {
    /// The older head.
    pub first: TreeHead,
    /// The newer head.
    pub second: TreeHead,
    /// RFC 9162 §2.1.4 proof, hex.
    pub proof: Vec<String>,
}

/// Checks that `receipt` is leaf `seq - 1` of the tree of the signed
/// `head` (signatures under `public_key`).
pub fn verify_inclusion(p: &InclusionProof, public_key: &str) -> Result<(), String> {
    let root = p.head.verify(public_key)?;
    let r = &p.receipt;
    if r.seq == 0 || p.leaf_index != r.seq - 1 {
        return Err("leaf_index is not the receipt's seq - 1".into());
    }
    let leaf = merkle::leaf_hash(ledger::receipt_message(&r.id, r.seq, &r.hash, &r.prev_hash, &r.signed_at).as_bytes());
    if fiable_consent::hex(&leaf) != p.leaf_hash {
        return Err("leaf_hash is not the hash of the receipt".into());
    }
    let path = parse_proof(&p.proof).ok_or("a proof hash is not 64 hex digits")?;
    if !merkle::verify_inclusion(&leaf, p.leaf_index, p.head.size, &path, &root) {
        return Err(format!("the receipt (seq {}) is not in the tree of size {} signed at {}", r.seq, p.head.size, p.head.timestamp));
    }
    Ok(())
}

/// Checks that `second` extends `first` (both signed under `public_key`).
/// The error names a shrink, a fork or a bad signature.
pub fn verify_consistency(first: &TreeHead, second: &TreeHead, proof: &[String], public_key: &str) -> Result<(), String> {
    verify_consistency_across(first, public_key, second, public_key, proof)
}

/// [`verify_consistency`] with each head under its own key (a rotation
/// came between them).
pub fn verify_consistency_across(
    first: &TreeHead,
    first_key: &str,
    second: &TreeHead,
    second_key: &str,
    proof: &[String],
) -> Result<(), String> {
    let a = first.verify(first_key).map_err(|w| format!("first head: {w}"))?;
    let b = second.verify(second_key).map_err(|w| format!("second head: {w}"))?;
    if second.size < first.size {
        return Err(format!("SHRINK: the log had {} entries and now claims {}: entries were removed", first.size, second.size));
    }
    let path = parse_proof(proof).ok_or("a proof hash is not 64 hex digits")?;
    if !merkle::verify_consistency(first.size, second.size, &a, &b, &path) {
        return Err(format!(
            "FORK: the tree of size {} (root {}) is not a prefix of the tree of size {} (root {}): history was rewritten",
            first.size, first.root_hash, second.size, second.root_hash
        ));
    }
    Ok(())
}

/// A key rotation of the log with its inclusion proof (`GET /v1/log/rotations`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RotationProof {
    /// The rotation's ledger entry (its record names no person).
    pub entry: Entry,
    /// Its inclusion in the tree of the asked size.
    pub inclusion: InclusionProof,
}

/// The log's key rotations up to a tree size.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rotations {
    /// Oldest first.
    pub rotations: Vec<RotationProof>,
}

/// Follows the key rotations of `r` from `pinned` up to `head` (the
/// witness, when a head is signed by another key than the pinned one):
/// each rotation entry must be signed by the key in force, hand over from
/// it, be signed by the new key, hash to its chain hash and be included in
/// `head`'s tree; `head` must then verify under the last key. The keys
/// handed over to, in order (the last one signs `head`).
pub fn follow_rotations(pinned: &str, r: &Rotations, head: &TreeHead) -> Result<Vec<String>, String> {
    let mut key = pinned.trim().to_ascii_lowercase();
    let mut followed = Vec::new();
    for p in &r.rotations {
        let e = &p.entry;
        let k = ledger::parse_rotation(&e.record).ok_or_else(|| format!("entry {} is not a key rotation", e.seq))?;
        if k.previous_public_key != key {
            continue;
        }
        ledger::verify_receipt(&e.receipt(), Some(&key)).map_err(|w| format!("rotation at seq {}: {w}", e.seq))?;
        if ledger::chain_hash(&e.prev_hash, &e.record).as_deref() != Some(e.hash.as_str()) || k.canonical_json() != e.record {
            return Err(format!("rotation at seq {}: the record is not the one its hash covers", e.seq));
        }
        k.check().map_err(|w| format!("rotation at seq {}: {w}", e.seq))?;
        if p.inclusion.receipt != e.receipt() || (p.inclusion.head.size, &p.inclusion.head.root_hash) != (head.size, &head.root_hash) {
            return Err(format!("rotation at seq {}: its proof is not against the head of size {}", e.seq, head.size));
        }
        key = k.new_public_key;
        followed.push((e.seq, &p.inclusion, key.clone()));
    }
    head.verify(&key)?;
    // The proofs' heads are `head` (same size and root), signed by the
    // last key like it.
    for (seq, inclusion, _) in &followed {
        verify_inclusion(inclusion, &key).map_err(|w| format!("rotation at seq {seq}: {w}"))?;
    }
    Ok(followed.into_iter().map(|(_, _, k)| k).collect())
}

/// Checks a ledger (all its entries, in order) against a signed head the
/// verifier holds: the ledger must still have the head's entries and
/// their tree must have the head's root. This is what catches a truncated
/// tail, or a tail rewritten and re-signed (even with a new key): the
/// chain then verifies on its own, the head does not.
pub fn check_against_head(entries: &mut dyn Iterator<Item = Entry>, head: &TreeHead, public_key: &str) -> Result<(), String> {
    let root = head.verify(public_key)?;
    let mut t = Tree::new();
    for e in entries {
        t.push(leaf_of(&e));
        if t.len() == head.size {
            break;
        }
    }
    if t.len() < head.size {
        return Err(format!(
            "SHRINK: the ledger has {} entries, the signed head of {} covers {}: entries were removed",
            t.len(),
            head.timestamp,
            head.size
        ));
    }
    if t.root(head.size).ok() != Some(root) {
        return Err(format!(
            "FORK: the ledger's first {} entries do not have the root of the signed head of {}: history was rewritten",
            head.size, head.timestamp
        ));
    }
    Ok(())
}

/// The service's tree, caught up from the store on demand.
#[derive(Debug, Default)]
pub struct Log {
    tree: Mutex<Tree>,
}

/// Entries read per query while catching up.
const SYNC_BATCH: u64 = 10_000;

impl Log {
    /// An empty tree; the first [`Log::sync`] reads the ledger.
    pub fn new() -> Self {
        Log::default()
    }

    /// Reads the entries the tree has not seen yet; the tree's size.
    /// Blocking (store queries).
    pub fn sync(&self, store: &Store) -> Result<u64, StoreError> {
        // One syncer at a time: the tree only grows under its lock.
        let mut t = self.tree.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            let batch = store.entries_after(t.len(), SYNC_BATCH)?;
            let n = batch.len() as u64;
            for e in &batch {
                if e.seq != t.len() + 1 {
                    return Err(StoreError::Db(format!("ledger sequence gap at seq {}", t.len() + 1)));
                }
                t.push(leaf_of(e));
            }
            if n < SYNC_BATCH {
                return Ok(t.len());
            }
        }
    }

    /// The signed head of the current tree.
    pub fn head(&self, store: &Store, signer: &Signer) -> Result<TreeHead, StoreError> {
        let size = self.sync(store)?;
        let t = self.tree.lock().unwrap_or_else(|p| p.into_inner());
        Ok(TreeHead::sign(signer, size, &t.root(size).map_err(|e| StoreError::Db(e.to_string()))?))
    }

    /// The signed head of the first `size` entries, `None` beyond the log.
    pub fn head_at(&self, store: &Store, signer: &Signer, size: u64) -> Result<Option<TreeHead>, StoreError> {
        self.sync(store)?;
        let t = self.tree.lock().unwrap_or_else(|p| p.into_inner());
        Ok(t.root(size).ok().map(|r| TreeHead::sign(signer, size, &r)))
    }

    /// The leaf index of a leaf hash, if it is in the log.
    pub fn index_of(&self, store: &Store, leaf: &Hash) -> Result<Option<u64>, StoreError> {
        self.sync(store)?;
        let t = self.tree.lock().unwrap_or_else(|p| p.into_inner());
        Ok((0..t.len()).find(|&i| t.leaf(i).as_ref() == Some(leaf)))
    }

    /// The inclusion proof of entry `seq` in the tree of `size` entries
    /// (default: the current one); `None` when out of range.
    pub fn inclusion(&self, store: &Store, signer: &Signer, seq: u64, size: Option<u64>) -> Result<Option<InclusionProof>, StoreError> {
        let now = self.sync(store)?;
        let size = size.unwrap_or(now);
        if seq == 0 || seq > size || size > now {
            return Ok(None);
        }
        let Some(entry) = store.entries_after(seq - 1, 1)?.into_iter().next() else {
            return Ok(None);
        };
        let t = self.tree.lock().unwrap_or_else(|p| p.into_inner());
        let (Ok(path), Ok(root)) = (t.inclusion_proof(seq - 1, size), t.root(size)) else {
            return Ok(None);
        };
        Ok(Some(InclusionProof {
            receipt: entry.receipt(),
            leaf_index: seq - 1,
            leaf_hash: fiable_consent::hex(&leaf_of(&entry)),
            proof: hex_proof(&path),
            head: TreeHead::sign(signer, size, &root),
        }))
    }

    /// The consistency proof between sizes `first ≤ second` (second
    /// default: the current one); `None` when out of range.
    pub fn consistency(
        &self,
        store: &Store,
        signer: &Signer,
        first: u64,
        second: Option<u64>,
    ) -> Result<Option<ConsistencyProof>, StoreError> {
        let now = self.sync(store)?;
        let second = second.unwrap_or(now);
        let t = self.tree.lock().unwrap_or_else(|p| p.into_inner());
        let (Ok(proof), Ok(a), Ok(b)) = (t.consistency_proof(first, second), t.root(first), t.root(second)) else {
            return Ok(None);
        };
        Ok(Some(ConsistencyProof {
            first: TreeHead::sign(signer, first, &a),
            second: TreeHead::sign(signer, second, &b),
            proof: hex_proof(&proof),
        }))
    }
}

impl Log {
    /// The key rotations among the first `size` entries (default: all),
    /// each with its inclusion proof in that tree; `None` when `size` is
    /// beyond the log.
    pub fn rotations(&self, store: &Store, signer: &Signer, size: Option<u64>) -> Result<Option<Rotations>, StoreError> {
        let now = self.sync(store)?;
        let size = size.unwrap_or(now);
        if size > now || size == 0 {
            return Ok((size == 0).then(|| Rotations { rotations: Vec::new() }));
        }
        let mut rotations = Vec::new();
        for entry in store.rotations()?.into_iter().filter(|e| e.seq <= size) {
            let Some(inclusion) = self.inclusion(store, signer, entry.seq, Some(size))? else {
                return Ok(None);
            };
            rotations.push(RotationProof { entry, inclusion });
        }
        Ok(Some(Rotations { rotations }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_witness_follows_a_chain_of_rotations_only_from_its_pinned_key() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("l.sqlite")).unwrap();
        let [a, b, c] = [1u8, 2, 3].map(|i| Signer::from_seed([i; 32]));
        let mut v: serde_json::Value = serde_json::from_str(include_str!("../../../consent/tests/fixtures/consent_record.json")).unwrap();
        v.as_object_mut().unwrap().remove("withdraws");
        store.append(&serde_json::from_value(v).unwrap(), None, &a).unwrap();
        store.rotate_key(&a, &b).unwrap();
        assert!(store.rotate_key(&a, &c).is_err(), "a is no longer in force");
        store.rotate_key(&b, &c).unwrap();
        let log = Log::new();
        let head = log.head(&store, &c).unwrap();
        let r = log.rotations(&store, &c, None).unwrap().unwrap();
        assert_eq!(r.rotations.len(), 2);
        let (pa, pb, pc) = (a.public_key_hex(), b.public_key_hex(), c.public_key_hex());
        assert_eq!(follow_rotations(pa, &r, &head).unwrap(), [pb, pc]);
        assert_eq!(follow_rotations(pb, &r, &head).unwrap(), [pc]);
        // A link left out, a key no rotation leads to, a proof for another head.
        let mut cut = r.clone();
        cut.rotations.pop();
        assert!(follow_rotations(pa, &cut, &head).unwrap_err().contains("pinned key"));
        assert!(follow_rotations(Signer::from_seed([4; 32]).public_key_hex(), &r, &head).is_err());
        let older = log.head_at(&store, &c, 2).unwrap().unwrap();
        assert!(follow_rotations(pa, &r, &older).unwrap_err().contains("not against the head"));
        assert_eq!(log.rotations(&store, &c, Some(2)).unwrap().unwrap().rotations.len(), 1);
        assert!(log.rotations(&store, &c, Some(4)).unwrap().is_none());
    }

    #[test]
    fn heads_verify_only_under_their_key_and_unchanged() {
        let s = Signer::from_seed([7; 32]);
        let h = TreeHead::sign(&s, 3, &[9; 32]);
        assert!(h.verify(s.public_key_hex()).is_ok());
        let other = Signer::from_seed([8; 32]);
        assert!(h.verify(other.public_key_hex()).unwrap_err().contains("pinned key"));
        let mut t = h.clone();
        t.size = 4;
        assert!(t.verify(s.public_key_hex()).unwrap_err().contains("signature"));
        let mut t = h.clone();
        t.root_hash.replace_range(0..1, if t.root_hash.starts_with('0') { "1" } else { "0" });
        assert!(t.verify(s.public_key_hex()).is_err());
        // A head re-signed by another key that claims the pinned key.
        let mut t = TreeHead::sign(&other, 3, &[9; 32]);
        t.public_key = s.public_key_hex().into();
        t.key_id = key_id(s.public_key_hex()).unwrap();
        assert!(t.verify(s.public_key_hex()).unwrap_err().contains("signature"));
    }
}
