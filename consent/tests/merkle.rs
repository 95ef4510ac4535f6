//! Property tests of the Merkle tree (RFC 9162 §2.1): every proof the tree
//! gives verifies, and any change to it (a byte, the index, a size, a
//! root) makes it fail.
use fiable_consent::merkle::{Hash, Tree, empty_root, leaf_hash, verify_consistency, verify_inclusion};
use proptest::prelude::*;

/// One tree of 5,000 leaves shared by the random cases: a tree answers
/// for every size up to its own.
fn big() -> &'static Tree {
    static T: std::sync::OnceLock<Tree> = std::sync::OnceLock::new();
    T.get_or_init(|| tree(4096))
}

fn tree(n: u64) -> Tree {
    let mut t = Tree::new();
    for i in 0..n {
        t.push(leaf_hash(&i.to_le_bytes()));
    }
    t
}

/// Every single-bit flip of every hash of a proof breaks it (one bit per
/// byte, a rotating one, to keep the loop short).
fn each_flip(proof: &[Hash], mut check: impl FnMut(&[Hash]) -> bool) {
    for i in 0..proof.len() {
        for byte in 0..32 {
            let mut p = proof.to_vec();
            p[i][byte] ^= 1 << (byte % 8);
            assert!(!check(&p), "flipped byte {byte} of hash {i} still verifies");
        }
    }
}

#[test]
fn inclusion_proofs_verify_for_every_leaf_of_small_trees() {
    let t = tree(130);
    for size in 1..=130 {
        let root = t.root(size).unwrap();
        for i in 0..size {
            let leaf = t.leaf(i).unwrap();
            let p = t.inclusion_proof(i, size).unwrap();
            assert!(verify_inclusion(&leaf, i, size, &p, &root), "leaf {i} of {size}");
            // Another leaf, another index, another size, a longer or shorter path.
            let other = leaf_hash(b"not in the tree");
            assert!(!verify_inclusion(&other, i, size, &p, &root));
            if size > 1 {
                assert!(!verify_inclusion(&leaf, (i + 1) % size, size, &p, &root), "wrong index {i} of {size}");
            }
            // A size whose root is another one: the proof gives this root only.
            if size < 130 {
                assert!(!verify_inclusion(&leaf, i, size + 1, &p, &t.root(size + 1).unwrap()), "wrong size {i} of {size}");
            }
            assert!(!verify_inclusion(&leaf, i, size, &[p.clone(), vec![root]].concat(), &root));
            if !p.is_empty() {
                assert!(!verify_inclusion(&leaf, i, size, &p[..p.len() - 1], &root));
            }
            assert!(!verify_inclusion(&leaf, size, size, &p, &root), "index = size");
        }
    }
}

#[test]
fn inclusion_proofs_verify_for_every_size_up_to_a_few_thousand() {
    let n = 3000;
    let t = tree(n);
    for size in 1..=n {
        let root = t.root(size).unwrap();
        // First, last, and a leaf that moves through the tree.
        for i in [0, size - 1, size / 2] {
            let leaf = t.leaf(i).unwrap();
            let p = t.inclusion_proof(i, size).unwrap();
            assert!(verify_inclusion(&leaf, i, size, &p, &root), "leaf {i} of {size}");
            assert!(p.len() <= 12);
            let mut bad = root;
            bad[(size % 32) as usize] ^= 0x80;
            assert!(!verify_inclusion(&leaf, i, size, &p, &bad));
        }
    }
    assert_eq!(t.inclusion_proof(0, n + 1), Err(fiable_consent::merkle::TreeError::OutOfRange));
    assert_eq!(t.inclusion_proof(5, 5), Err(fiable_consent::merkle::TreeError::OutOfRange));
}

#[test]
fn changed_bytes_break_inclusion_proofs() {
    let t = tree(300);
    for (i, size) in [(0, 1), (0, 2), (1, 3), (4, 5), (5, 8), (77, 200), (299, 300), (128, 257)] {
        let root = t.root(size).unwrap();
        let leaf = t.leaf(i).unwrap();
        let p = t.inclusion_proof(i, size).unwrap();
        each_flip(&p, |q| verify_inclusion(&leaf, i, size, q, &root));
        for byte in 0..32 {
            let mut l = leaf;
            l[byte] ^= 4;
            assert!(!verify_inclusion(&l, i, size, &p, &root));
        }
    }
}

#[test]
fn consistency_proofs_verify_for_all_pairs_up_to_a_hundred() {
    let t = tree(101);
    for new in 0..=100 {
        let new_root = t.root(new).unwrap();
        for old in 0..=new {
            let old_root = t.root(old).unwrap();
            let p = t.consistency_proof(old, new).unwrap();
            assert!(verify_consistency(old, new, &old_root, &new_root, &p), "{old} → {new}");
            if old > 0 && old < new {
                // Wrong sizes, a wrong old root, a shorter proof.
                assert!(!verify_consistency(old, new + 1, &old_root, &t.root(new + 1).unwrap(), &p));
                assert!(!verify_consistency(old + 1, new, &t.root(old + 1).unwrap(), &new_root, &p));
                assert!(!verify_consistency(old, new, &t.root(old - 1).unwrap(), &new_root, &p));
                assert!(!verify_consistency(old, new, &old_root, &new_root, &p[..p.len() - 1]));
                assert!(!verify_consistency(old, new, &old_root, &new_root, &[]));
                assert!(!verify_consistency(new, old, &new_root, &old_root, &p), "a shrink is never consistent");
                // Every changed byte for a spread of pairs (all pairs would
                // cost minutes in a debug build).
                if (old * 31 + new) % 17 == 0 {
                    each_flip(&p, |q| verify_consistency(old, new, &old_root, &new_root, q));
                }
            }
        }
    }
    // The empty tree: only with its own root and no proof.
    assert!(verify_consistency(0, 5, &empty_root(), &t.root(5).unwrap(), &[]));
    assert!(!verify_consistency(0, 5, &t.root(1).unwrap(), &t.root(5).unwrap(), &[]));
    // Equal sizes: only equal roots.
    assert!(!verify_consistency(7, 7, &t.root(7).unwrap(), &t.root(8).unwrap(), &[]));
}

/// A fork: two logs that share a prefix and then differ are never consistent.
#[test]
fn forks_are_never_consistent() {
    let a = tree(60);
    let mut b = tree(40);
    for i in 40..60u64 {
        b.push(leaf_hash(&(i + 1_000_000).to_le_bytes()));
    }
    for old in 41..=60 {
        for new in old..=60 {
            let p = a.consistency_proof(old, new).unwrap();
            assert!(!verify_consistency(old, new, &b.root(old).unwrap(), &a.root(new).unwrap(), &p), "{old} → {new}");
            let p = b.consistency_proof(old, new).unwrap();
            assert!(!verify_consistency(old, new, &a.root(old).unwrap(), &b.root(new).unwrap(), &p), "{old} → {new}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn consistency_proofs_verify_for_random_pairs(new in 1u64..4096, frac in 0.0f64..1.0, flip in 0usize..64) {
        let t = big();
        let old = ((new as f64 * frac) as u64).max(1);
        let (o, n) = (t.root(old).unwrap(), t.root(new).unwrap());
        let p = t.consistency_proof(old, new).unwrap();
        prop_assert!(verify_consistency(old, new, &o, &n, &p));
        if !p.is_empty() {
            let mut q = p.clone();
            q[flip % p.len()][flip % 32] ^= 1;
            prop_assert!(!verify_consistency(old, new, &o, &n, &q));
            if old < new - 1 {
                prop_assert!(!verify_consistency(old, new - 1, &o, &t.root(new - 1).unwrap(), &p));
            }
        }
    }

    #[test]
    fn inclusion_proofs_verify_for_random_leaves(size in 1u64..4096, frac in 0.0f64..1.0) {
        let t = big();
        let i = ((size as f64 * frac) as u64).min(size - 1);
        let p = t.inclusion_proof(i, size).unwrap();
        prop_assert!(verify_inclusion(&t.leaf(i).unwrap(), i, size, &p, &t.root(size).unwrap()));
        if size > 1 {
            let j = if i + 1 < size { i + 1 } else { i - 1 };
            prop_assert!(!verify_inclusion(&t.leaf(i).unwrap(), j, size, &p, &t.root(size).unwrap()));
        }
    }
}
