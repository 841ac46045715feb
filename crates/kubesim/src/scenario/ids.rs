//! Identifiers as a real cluster makes them: v4-shaped UIDs, hex digests and
//! container IDs, and the five-letter pod name suffixes and template hashes
//! of the Kubernetes controllers (drawn from their alphabet without vowels).

use rand::Rng;

const HEX: &[u8; 16] = b"0123456789abcdef";
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
        let mut s = String::with_capacity(n);
        let mut bits: u64 = 0;
        let mut left = 0;
        for _ in 0..n {
            if left == 0 {
                bits = self.rng.random();
                left = 16;
            }
            s.push(HEX[(bits & 15) as usize] as char);
            bits >>= 4;
            left -= 1;
        }
        s
    }

    /// `containerd://` and 64 hex digits.
    pub(crate) fn container_id(&mut self) -> String {
        let mut s = String::with_capacity(77);
        s.push_str("containerd://");
        for _ in 0..4 {
            let bits: u64 = self.rng.random();
            for k in 0..16 {
                s.push(HEX[((bits >> (4 * k)) & 15) as usize] as char);
            }
        }
        s
    }

    /// A random UID shaped like a v4 UUID: `bc63cee7-5153-48cf-9feb-f016f8097b1f`.
    pub(crate) fn uid(&mut self) -> String {
        let mut s = String::with_capacity(36);
        let hi: u64 = self.rng.random();
        let lo: u64 = self.rng.random();
        for k in 0..32 {
            let nibble = match k {
                12 => 4,                       // version 4
                16 => 8 + ((lo >> 62) & 3),    // variant 10xx
                _ if k < 16 => (hi >> (4 * k)) & 15,
                _ => (lo >> (4 * (k - 16))) & 15,
            };
            if matches!(k, 8 | 12 | 16 | 20) {
                s.push('-');
            }
            s.push(HEX[nibble as usize] as char);
        }
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
