//! Pacing of requests, so that following hundreds of pods does not hammer
//! the API server: one token bucket shared by every tail for log streams
//! and pod reads, and per-tail exponential back-off with jitter after a
//! failure, so that tails cut at the same moment do not retry in lockstep.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Sustained request rate of stream (re)starts and pod reads once the
/// burst is spent: enough to resume hundreds of streams a second, far below
/// what an API server serves.
pub const REQUESTS_PER_SECOND: f64 = 200.0;
/// How many requests may go at once after a quiet period: the streams of
/// 500 pods start together, so that every one is followed within 2 s (an
/// open stream costs the server almost nothing until lines come).
pub const REQUEST_BURST: f64 = 500.0;

/// A token bucket where each caller reserves the next free slot, so waiters
/// are served in order without waking each other.
#[derive(Debug)]
pub struct Limiter {
    rate: f64,
    burst: f64,
    state: Mutex<(f64, Instant)>,
}

impl Limiter {
    pub fn new(rate: f64, burst: f64) -> Self {
        Limiter {
            rate,
            burst,
            state: Mutex::new((burst, Instant::now())),
        }
    }

    /// How long the caller must wait for its slot, reserving it.
    fn reserve(&self, now: Instant) -> Duration {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let (tokens, at) = &mut *s;
        let elapsed = now.saturating_duration_since(*at).as_secs_f64();
        *tokens = (*tokens + elapsed * self.rate).min(self.burst) - 1.0;
        *at = now;
        if *tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-*tokens / self.rate)
        }
    }

    pub async fn acquire(&self) {
        let wait = self.reserve(Instant::now());
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }
}

/// Exponential back-off with "equal jitter": half the step fixed, half
/// random.
#[derive(Debug)]
pub struct Backoff {
    attempt: u32,
    rng: u64,
}

const FIRST: Duration = Duration::from_millis(100);
const MAX: Duration = Duration::from_secs(5);

impl Backoff {
    pub fn new(seed: &str) -> Self {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in seed.bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        Backoff {
            attempt: 0,
            rng: (h ^ u64::from(t)) | 1,
        }
    }

    fn random(&mut self) -> f64 {
        // xorshift64: enough to spread retries; no need for a crate.
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        (self.rng >> 11) as f64 / (1u64 << 53) as f64
    }

    /// The wait before the next attempt; each call doubles it, up to 5 s.
    pub fn next_delay(&mut self) -> Duration {
        let step = FIRST
            .saturating_mul(1 << self.attempt.min(10))
            .min(MAX)
            .as_secs_f64();
        self.attempt += 1;
        Duration::from_secs_f64(step / 2.0 + step / 2.0 * self.random())
    }

    /// Something worked: the next failure starts small again.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bursts_then_paces() {
        let l = Limiter::new(100.0, 3.0);
        let t0 = Instant::now();
        let waits: Vec<Duration> = (0..6).map(|_| l.reserve(t0)).collect();
        assert_eq!(waits[..3], [Duration::ZERO; 3]);
        let ms: Vec<u128> = waits[3..].iter().map(|d| d.as_millis()).collect();
        assert_eq!(ms, [10, 20, 30]);
        // After a quiet second the bucket is full again, never fuller.
        let later = t0 + Duration::from_secs(1);
        let waits: Vec<Duration> = (0..4).map(|_| l.reserve(later)).collect();
        assert_eq!(waits[..3], [Duration::ZERO; 3]);
        assert!(waits[3] > Duration::ZERO);
    }

    #[test]
    fn backoff_grows_with_jitter_and_resets() {
        let mut b = Backoff::new("pod/c");
        let cases = [(50, 100), (100, 200), (200, 400), (400, 800)];
        for (lo, hi) in cases {
            let d = b.next_delay().as_millis();
            assert!((lo..=hi).contains(&d), "{d} not in {lo}..={hi}");
        }
        for _ in 0..20 {
            assert!(b.next_delay() <= MAX);
        }
        b.reset();
        assert!(b.next_delay() <= FIRST);
    }
}
