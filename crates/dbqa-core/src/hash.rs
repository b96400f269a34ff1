//! A stable content hash for cache keys and fingerprints.

use sha2::{Digest, Sha256};

/// Hashes bytes to a short, stable hex string (the first 128 bits of SHA-256).
///
/// Stable across processes, machines and Rust versions, unlike `std`'s hasher,
/// so keys agree between several servers sharing one cache.
///
/// ```
/// assert_eq!(dbqa_core::stable_hash(b"abc"), dbqa_core::stable_hash(b"abc"));
/// assert_eq!(dbqa_core::stable_hash(b"abc").len(), 32);
/// ```
pub fn stable_hash(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    hex::encode(&digest[..16])
}
