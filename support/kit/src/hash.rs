//! Stable hashes of bytes.
//!
//! `std`'s `DefaultHasher` may change its algorithm in any Rust release, so a
//! test that asserts where a key lands would break on upgrade. These functions
//! are XXH3, a fixed, specified algorithm (the same one RocksDB and ClickHouse
//! use): the same bytes give the same hash on every machine, forever.

use xxhash_rust::xxh3;

/// The 64-bit XXH3 hash of `bytes`.
pub fn hash64(bytes: &[u8]) -> u64 {
    xxh3::xxh3_64(bytes)
}

/// The 64-bit XXH3 hash of `bytes` under `seed`: a different seed gives an
/// independent-looking hash function of the same input.
pub fn hash64_with_seed(bytes: &[u8], seed: u64) -> u64 {
    xxh3::xxh3_64_with_seed(bytes, seed)
}

/// The 128-bit XXH3 hash of `bytes`: two independent 64-bit halves from one
/// pass, the usual input for double hashing (Bloom filters).
pub fn hash128(bytes: &[u8]) -> u128 {
    xxh3::xxh3_128(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vectors_never_change() {
        // Published XXH3 test vectors for the empty input: if these move, every
        // lesson test that depends on placement moves with them.
        assert_eq!(hash64(b""), 0x2D06_8005_38D3_94C2);
        assert_eq!(hash128(b""), 0x99AA_06D3_0147_98D8_6001_C324_468D_497F);
        assert_ne!(hash64(b"a"), hash64(b"b"));
    }

    #[test]
    fn seeds_give_different_functions() {
        assert_eq!(hash64_with_seed(b"key", 0), hash64(b"key"));
        assert_ne!(hash64_with_seed(b"key", 1), hash64(b"key"));
    }

    #[test]
    fn halves_of_hash128_are_not_equal_or_trivially_related() {
        let h = hash128(b"sdkata");
        let (hi, lo) = ((h >> 64) as u64, h as u64);
        assert_ne!(hi, lo);
        assert_ne!(hi, hash64(b"sdkata"));
    }

    #[test]
    fn low_bits_spread_evenly() {
        // 64k sequential keys into 16 buckets: each bucket within 5 % of 4096.
        let mut buckets = [0u32; 16];
        for i in 0u32..65_536 {
            buckets[(hash64(&i.to_le_bytes()) & 15) as usize] += 1;
        }
        for (bucket, &count) in buckets.iter().enumerate() {
            assert!((3_891..=4_301).contains(&count), "bucket {bucket}: {count}");
        }
    }
}
