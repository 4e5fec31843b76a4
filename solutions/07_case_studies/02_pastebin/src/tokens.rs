//! Unguessable tokens: 22 characters drawn from the operating system's
//! random source, each independently and uniformly from the 62 of base62.

use std::fs::File;
use std::io::{self, Read};

/// The 62 characters a token is made of.
pub const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Characters in a token: 22 × log2(62) ≈ 131 bits of randomness.
pub const TOKEN_LEN: usize = 22;

/// A fresh token from `/dev/urandom`.
///
/// Each character comes from one random byte: a byte below 248 (= 4 × 62)
/// picks `ALPHABET[byte % 62]`, a byte of 248 or more is thrown away, so
/// every character is equally likely (a plain `byte % 62` would favour the
/// first eight).
pub fn new_token() -> io::Result<String> {
    // std opens and reads the kernel's CSPRNG; no crate needed. A fresh
    // handle per token costs a system call or two, nothing next to the
    // fsyncs of a create.
    let mut random = File::open("/dev/urandom")?;
    let mut token = String::with_capacity(TOKEN_LEN);
    let mut bytes = [0u8; 32];
    while token.len() < TOKEN_LEN {
        random.read_exact(&mut bytes)?;
        for &byte in &bytes {
            if byte < 248 && token.len() < TOKEN_LEN {
                token.push(char::from(ALPHABET[usize::from(byte % 62)]));
            }
        }
    }
    Ok(token)
}

/// Whether `candidate` has a token's shape. Anything else is answered 404
/// before the database is asked.
pub fn is_token(candidate: &str) -> bool {
    candidate.len() == TOKEN_LEN && candidate.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Compares two secrets in time that depends on their length only, so the
/// time to answer a wrong delete token leaks nothing about the right one.
pub fn secrets_equal(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |differ, (x, y)| differ | (x ^ y))
            == 0
}
