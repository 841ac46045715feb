//! Identifiers as a real cluster makes them: v4-shaped UIDs, hex digests and
//! container IDs, and the five-letter pod name suffixes and template hashes
//! of the Kubernetes controllers (drawn from their alphabet without vowels).

use std::fmt::Write;

use rand::Rng;

/// `k8s.io/apimachinery/pkg/util/rand` alphanumerics: no vowels, no 0/1/3.
const KUBE_ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

/// Random generator for one expansion.
pub(crate) struct Ids<R: Rng> {
    rng: R,
}

impl<R: Rng> Ids<R> {
    pub(crate) fn new(rng: R) -> Self {
        Ids { rng }
    }

    /// `n` lowercase hex digits.
    pub(crate) fn hex(&mut self, n: usize) -> String {
        let mut s = String::with_capacity(n + 16);
        while s.len() < n {
            let bits: u64 = self.rng.random();
            let _ = write!(s, "{bits:016x}");
        }
        s.truncate(n);
        s
    }

    /// `containerd://` and 64 hex digits.
    pub(crate) fn container_id(&mut self) -> String {
        let r: [u64; 4] = self.rng.random();
        let mut s = String::with_capacity(77);
        let _ = write!(
            s,
            "containerd://{:016x}{:016x}{:016x}{:016x}",
            r[0], r[1], r[2], r[3]
        );
        s
    }

    /// A random UID shaped like a v4 UUID: `bc63cee7-5153-48cf-9feb-f016f8097b1f`.
    pub(crate) fn uid(&mut self) -> String {
        let hi: u64 = self.rng.random();
        let lo: u64 = self.rng.random();
        let mut s = String::with_capacity(36);
        let _ = write!(
            s,
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            hi >> 32,
            (hi >> 16) & 0xffff,
            hi & 0xfff,
            0x8000 | (lo >> 48) & 0x3fff,
            lo & 0xffff_ffff_ffff
        );
        s
    }

    /// `n` characters of the controllers' name alphabet (`wt66s`, `57c8f6b4d7`).
    pub(crate) fn kube(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| KUBE_ALPHABET[self.rng.random_range(0..KUBE_ALPHABET.len())] as char)
            .collect()
    }

    pub(crate) fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.rng.random_range(0..n)
        }
    }
}
