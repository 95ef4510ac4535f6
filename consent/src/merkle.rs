//! A Merkle tree over the ledger's entries, as RFC 9162 §2.1 (Certificate
//! Transparency 2.0) defines it: leaf hash `SHA-256(0x00 ‖ entry)`, node
//! hash `SHA-256(0x01 ‖ left ‖ right)`, the tree of `n` leaves split at the
//! largest power of two below `n`; inclusion proofs (audit paths) and
//! consistency proofs, their generation and their verification.
//!
//! Why a tree beside the hash chain: the chain proves order to whoever
//! holds all of it, but a head (size + root, signed) lets someone who holds
//! only that head check that an entry is in the log (`log n` hashes) and
//! that a later head extends it rather than rewriting it. A witness that
//! keeps the last head it saw detects a truncated or rewritten tail.
//!
//! [`Tree`] keeps every complete (power-of-two, aligned) subtree hash, so
//! appending is amortised O(1) and any root or proof for any size up to
//! the current one costs O(log² n) hashes, never a pass over the leaves.
//! Pure: no I/O, no clock.
use sha2::{Digest, Sha256};

/// A SHA-256 hash.
pub type Hash = [u8; 32];

/// `SHA-256(0x00 ‖ data)`: the hash of one leaf.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

/// `SHA-256(0x01 ‖ left ‖ right)`: the hash of an inner node.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The root of the empty tree, `SHA-256()`.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// The largest power of two strictly below `n` (`n ≥ 2`).
fn split(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1 << (63 - (n - 1).leading_zeros())
}

/// Why a tree could not answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TreeError {
    /// A size beyond the tree's, or an index not below the size.
    OutOfRange,
}

impl std::fmt::Display for TreeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("index or tree size out of range")
    }
}

/// An append-only Merkle tree of leaf hashes that answers for every past
/// size. `levels[h][i]` is the hash of the complete subtree of `2^h`
/// leaves starting at leaf `i·2^h`; about `2n` hashes in all.
#[derive(Clone, Debug, Default)]
pub struct Tree {
    levels: Vec<Vec<Hash>>,
}

impl Tree {
    /// An empty tree.
    pub fn new() -> Self {
        Tree::default()
    }

    /// Leaves in the tree.
    pub fn len(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    /// Whether the tree has no leaf.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The hash of leaf `i`.
    pub fn leaf(&self, i: u64) -> Option<Hash> {
        self.levels.first()?.get(usize::try_from(i).ok()?).copied()
    }

    /// Appends a leaf hash (see [`leaf_hash`]), completing the subtrees it
    /// closes.
    pub fn push(&mut self, leaf: Hash) {
        let mut h = 0;
        let mut cur = leaf;
        loop {
            if self.levels.len() == h {
                self.levels.push(Vec::new());
            }
            self.levels[h].push(cur);
            let n = self.levels[h].len();
            if n % 2 == 1 {
                break;
            }
            cur = node_hash(&self.levels[h][n - 2], &self.levels[h][n - 1]);
            h += 1;
        }
    }

    /// MTH of leaves `[start, start + n)`; `n ≥ 1`, within the tree. The RFC
    /// splits always give aligned power-of-two left parts, found stored.
    fn range(&self, start: u64, n: u64) -> Hash {
        if n.is_power_of_two() {
            let h = n.trailing_zeros() as usize;
            return self.levels[h][(start >> h) as usize];
        }
        let k = split(n);
        node_hash(&self.range(start, k), &self.range(start + k, n - k))
    }

    /// The root of the first `size` leaves.
    pub fn root(&self, size: u64) -> Result<Hash, TreeError> {
        if size > self.len() {
            return Err(TreeError::OutOfRange);
        }
        Ok(if size == 0 { empty_root() } else { self.range(0, size) })
    }

    /// The audit path of leaf `index` in the tree of the first `size`
    /// leaves (RFC 9162 §2.1.3.1), leaf side first.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, TreeError> {
        if index >= size || size > self.len() {
            return Err(TreeError::OutOfRange);
        }
        let mut out = Vec::new();
        self.path(index, 0, size, &mut out);
        Ok(out)
    }

    fn path(&self, m: u64, start: u64, n: u64, out: &mut Vec<Hash>) {
        if n <= 1 {
            return;
        }
        let k = split(n);
        if m < k {
            self.path(m, start, k, out);
            out.push(self.range(start + k, n - k));
        } else {
            self.path(m - k, start + k, n - k, out);
            out.push(self.range(start, k));
        }
    }

    /// The consistency proof between the trees of the first `old` and the
    /// first `new` leaves (RFC 9162 §2.1.4.1); empty when `old` is 0 or
    /// equals `new`.
    pub fn consistency_proof(&self, old: u64, new: u64) -> Result<Vec<Hash>, TreeError> {
        if old > new || new > self.len() {
            return Err(TreeError::OutOfRange);
        }
        let mut out = Vec::new();
        if old > 0 && old < new {
            self.subproof(old, 0, new, true, &mut out);
        }
        Ok(out)
    }

    fn subproof(&self, m: u64, start: u64, n: u64, whole: bool, out: &mut Vec<Hash>) {
        if m == n {
            if !whole {
                out.push(self.range(start, n));
            }
            return;
        }
        let k = split(n);
        if m <= k {
            self.subproof(m, start, k, whole, out);
            out.push(self.range(start + k, n - k));
        } else {
            self.subproof(m - k, start + k, n - k, false, out);
            out.push(self.range(start, k));
        }
    }
}

/// Checks an audit path (RFC 9162 §2.1.3.2): that `leaf` is leaf `index`
/// of the tree of `size` leaves whose root is `root`.
pub fn verify_inclusion(leaf: &Hash, index: u64, size: u64, proof: &[Hash], root: &Hash) -> bool {
    if index >= size {
        return false;
    }
    let (mut f, mut s) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if s == 0 {
            return false;
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    s == 0 && r == *root
}

/// Checks a consistency proof (RFC 9162 §2.1.4.2): that the tree of
/// `old_size` leaves with root `old_root` is a prefix of the tree of
/// `new_size` leaves with root `new_root`. Equal sizes need an empty proof
/// and equal roots; size 0 is the prefix of everything (empty proof, the
/// empty root).
pub fn verify_consistency(old_size: u64, new_size: u64, old_root: &Hash, new_root: &Hash, proof: &[Hash]) -> bool {
    if old_size > new_size {
        return false;
    }
    if old_size == 0 {
        return proof.is_empty() && *old_root == empty_root();
    }
    if old_size == new_size {
        return proof.is_empty() && old_root == new_root;
    }
    if proof.is_empty() {
        return false;
    }
    // A power-of-two old tree is a complete subtree of the new one: its
    // root is the proof's implicit first element.
    let with_old;
    let path: &[Hash] = if old_size.is_power_of_two() {
        with_old = [&[*old_root][..], proof].concat();
        &with_old
    } else {
        proof
    };
    let (mut f, mut s) = (old_size - 1, new_size - 1);
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }
    let (mut fr, mut sr) = (path[0], path[0]);
    for c in &path[1..] {
        if s == 0 {
            return false;
        }
        if f & 1 == 1 || f == s {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f >>= 1;
        s >>= 1;
    }
    s == 0 && fr == *old_root && sr == *new_root
}

#[cfg(test)]
mod tests {
    use super::*;

    /// MTH straight from the RFC's recursive definition, over the data.
    fn reference_root(data: &[Vec<u8>]) -> Hash {
        match data.len() {
            0 => empty_root(),
            1 => leaf_hash(&data[0]),
            n => {
                let k = split(n as u64) as usize;
                node_hash(&reference_root(&data[..k]), &reference_root(&data[k..]))
            }
        }
    }

    fn hex32(s: &str) -> Hash {
        let mut out = [0u8; 32];
        for (i, o) in out.iter_mut().enumerate() {
            *o = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap();
        }
        out
    }

    /// The eight leaves of the Certificate Transparency reference tests
    /// (certificate-transparency-go, merkle_test), whose roots are known.
    fn ct_leaves() -> Vec<Vec<u8>> {
        ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
            .iter()
            .map(|h| (0..h.len()).step_by(2).map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap()).collect())
            .collect()
    }

    #[test]
    fn roots_match_the_published_vectors() {
        assert_eq!(empty_root(), hex32("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
        let mut t = Tree::new();
        for d in ct_leaves() {
            t.push(leaf_hash(&d));
        }
        assert_eq!(t.root(1).unwrap(), hex32("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"));
        assert_eq!(t.root(2).unwrap(), hex32("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"));
        assert_eq!(t.root(3).unwrap(), hex32("aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"));
        assert_eq!(t.root(4).unwrap(), hex32("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"));
        assert_eq!(t.root(5).unwrap(), hex32("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"));
        assert_eq!(t.root(6).unwrap(), hex32("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"));
        assert_eq!(t.root(7).unwrap(), hex32("ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"));
        assert_eq!(t.root(8).unwrap(), hex32("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"));
        assert_eq!(t.root(9), Err(TreeError::OutOfRange));
    }

    #[test]
    fn proofs_match_the_published_vectors() {
        let mut t = Tree::new();
        for d in ct_leaves() {
            t.push(leaf_hash(&d));
        }
        let v = |xs: &[&str]| xs.iter().map(|x| hex32(x)).collect::<Vec<_>>();
        let a = "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7";
        let b = "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e";
        let c = "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4";
        let d = "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b";
        let e = "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0";
        let f = "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7";
        let g = "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a";
        assert_eq!(t.inclusion_proof(0, 8).unwrap(), v(&[a, b, c]));
        assert_eq!(t.inclusion_proof(5, 8).unwrap(), v(&[d, e, f]));
        assert_eq!(t.consistency_proof(1, 8).unwrap(), v(&[a, b, c]));
        assert_eq!(t.consistency_proof(6, 8).unwrap(), v(&[g, e, f]));
        assert_eq!(t.consistency_proof(2, 5).unwrap(), v(&[b, d]));
    }

    #[test]
    fn roots_match_the_recursive_definition() {
        let data: Vec<Vec<u8>> = (0u32..300).map(|i| i.to_be_bytes().to_vec()).collect();
        let mut t = Tree::new();
        for d in &data {
            t.push(leaf_hash(d));
        }
        for n in 0..=data.len() {
            assert_eq!(t.root(n as u64).unwrap(), reference_root(&data[..n]), "size {n}");
        }
    }
}
