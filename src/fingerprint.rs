//! Content fingerprints for cache keys, file names and reports: SHA-256, stable across Rust
//! versions and platforms (unlike the standard library's hasher), shortened where a file
//! name or a report line needs it short.

use sha2::{Digest, Sha256};

fn digest(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for part in parts {
        h.update(part);
        // A separator, so that ("ab", "c") and ("a", "bc") differ.
        h.update([0]);
    }
    h.finalize().into()
}

/// The first 16 hex digits (64 bits) of SHA-256 over the parts.
pub fn short(parts: &[&[u8]]) -> String {
    digest(parts)[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// 64 bits of SHA-256 of `bytes`, as a map key.
pub fn key64(bytes: &[u8]) -> u64 {
    let d = digest(&[bytes]);
    u64::from_le_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_sha256_and_keep_parts_apart() {
        // The scheme is part of every cache key: pinned here against SHA-256 itself.
        let want: String = Sha256::digest(b"abc\0")[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(short(&[b"abc"]), want);
        assert_eq!(short(&[b"abc"]).len(), 16);
        assert_ne!(short(&[b"ab", b"c"]), short(&[b"a", b"bc"]));
        assert_ne!(key64(b"kiitos"), key64(b"kiitos "));
        assert_eq!(key64(b"kiitos"), key64(b"kiitos"));
    }
}
