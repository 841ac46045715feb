//! Where a container's log stands, so that a broken stream can be resumed
//! with nothing lost and nothing printed twice.
//!
//! The logs API can only be asked for lines `sinceTime`, and that time
//! travels as a `metav1.Time`, to the second. So a resumed stream starts at
//! the second of the last line printed and repeats what came after it within
//! that second; [`Position`] skips those by comparing full RFC 3339 Nano
//! timestamps, and counts lines that share the last timestamp (a runtime may
//! write several in the same nanosecond) so that exactly those already
//! printed are skipped.

use jiff::Timestamp;

/// A log line's time: nanoseconds since the Unix epoch.
pub type Nanos = i128;

const NANOS_PER_SEC: i128 = 1_000_000_000;

/// Parses the timestamp the server puts before each line
/// (`2020-06-08T17:04:57.331415012Z`). The usual UTC form is read by hand —
/// it is parsed for every line — anything else (offsets) by jiff.
pub fn parse_ts(b: &[u8]) -> Option<Nanos> {
    fast_ts(b).or_else(|| {
        std::str::from_utf8(b)
            .ok()?
            .parse::<Timestamp>()
            .ok()
            .map(|t| t.as_nanosecond())
    })
}

fn digits(b: &[u8]) -> Option<i64> {
    let mut n = 0i64;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n * 10 + i64::from(c - b'0');
    }
    Some(n)
}

fn fast_ts(b: &[u8]) -> Option<Nanos> {
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || !(b[10] == b'T' || b[10] == b't')
        || b[13] != b':'
        || b[16] != b':'
        || !matches!(b.last(), Some(b'Z' | b'z'))
    {
        return None;
    }
    let (y, mo, d) = (digits(&b[0..4])?, digits(&b[5..7])?, digits(&b[8..10])?);
    let (h, mi, s) = (
        digits(&b[11..13])?,
        digits(&b[14..16])?,
        digits(&b[17..19])?,
    );
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || s > 59 {
        return None;
    }
    let frac = &b[19..b.len() - 1];
    let nanos = match frac {
        [] => 0,
        [b'.', f @ ..] if (1..=9).contains(&f.len()) => digits(f)? * 10i64.pow(9 - f.len() as u32),
        _ => return None,
    };
    let days = days_from_civil(y, mo, d);
    let secs = days * 86_400 + h * 3600 + mi * 60 + s;
    Some(i128::from(secs) * NANOS_PER_SEC + i128::from(nanos))
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The whole second at or before `n`: what `sinceTime` can say.
pub fn floor_second(n: Nanos) -> Option<Timestamp> {
    Timestamp::from_nanosecond(n.div_euclid(NANOS_PER_SEC) * NANOS_PER_SEC).ok()
}

pub fn now() -> Nanos {
    Timestamp::now().as_nanosecond()
}

/// What to ask the server for, given what was already printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ask {
    pub since_time: Option<Timestamp>,
    pub tail_lines: Option<i64>,
}

/// How far one container instance's log has been read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Position {
    /// Lines before this are not wanted: `--since`, or the moment a
    /// `--tail 0` stream was first established.
    floor: Option<Nanos>,
    /// `--tail N`, only until the first line is taken.
    tail: Option<i64>,
    /// The timestamp of the last line taken.
    last: Option<Nanos>,
    /// How many lines stamped exactly `last` were taken.
    same: u64,
    /// In the current stream, lines stamped `last` still to skip.
    skip: u64,
    /// The current stream resumes an earlier one and its first line has
    /// not been seen yet.
    check_gap: bool,
}

impl Position {
    pub fn new(floor: Option<Nanos>, tail: Option<i64>) -> Self {
        Position {
            floor,
            tail,
            ..Position::default()
        }
    }

    /// The `sinceTime` and `tailLines` of the next request.
    pub fn ask(&self) -> Ask {
        match self.last.or(self.floor) {
            Some(t) => Ask {
                since_time: floor_second(t),
                tail_lines: if self.last.is_some() { None } else { self.tail },
            },
            None => Ask {
                since_time: None,
                tail_lines: self.tail,
            },
        }
    }

    /// A new stream begins: it repeats every line of the last second.
    pub fn begin_stream(&mut self) {
        self.skip = if self.last.is_some() { self.same } else { 0 };
        self.check_gap = self.last.is_some();
    }

    /// Whether the first line of a resumed stream is still to be checked
    /// with [`gap`](Self::gap).
    pub fn awaiting_first(&self) -> bool {
        self.check_gap
    }

    /// Given the first line of a resumed stream (None: it has no
    /// timestamp), the window of lines the stream cannot give, if any. A
    /// resumed stream starts at the second of the last line taken, so it
    /// repeats that line; if it starts after it instead, the live file was
    /// rotated meanwhile and the lines between are in the rotated file.
    pub fn gap(&mut self, first: Option<Nanos>) -> Option<(Nanos, Nanos)> {
        if !std::mem::take(&mut self.check_gap) {
            return None;
        }
        match (first, self.last) {
            (Some(t), Some(l)) if t > l => Some((l, t)),
            _ => None,
        }
    }

    /// A follow stream sent at `asked_at` was answered. If nothing was taken
    /// yet under `--tail 0`, a resumed stream must start here rather than at
    /// a later "now" of the server, or lines in between would be lost.
    pub fn established(&mut self, asked_at: Nanos) {
        if self.last.is_none() && self.tail == Some(0) {
            self.tail = None;
            self.floor = Some(self.floor.map_or(asked_at, |f| f.max(asked_at)));
        }
    }

    /// Whether the line stamped `ts` is new; if so it counts as taken.
    pub fn admit(&mut self, ts: Nanos) -> bool {
        if self.floor.is_some_and(|f| ts < f) {
            return false;
        }
        match self.last {
            Some(l) if ts < l => false,
            Some(l) if ts == l => {
                if self.skip > 0 {
                    self.skip -= 1;
                    false
                } else {
                    self.same += 1;
                    true
                }
            }
            _ => {
                self.last = Some(ts);
                self.same = 1;
                self.skip = 0;
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Nanos {
        parse_ts(s.as_bytes()).unwrap_or_else(|| panic!("{s} parses"))
    }

    #[test]
    fn timestamps_parse_like_jiff() {
        for s in [
            "2020-06-08T17:04:57.331415012Z",
            "2020-06-08T17:04:57Z",
            "2020-06-08T17:04:57.3Z",
            "2024-02-29T23:59:59.999999999Z",
            "1970-01-01T00:00:00Z",
            "1969-12-31T23:59:59.5Z",
            "2026-11-29T04:18:50.133407628Z",
            "2020-06-08T19:04:57.331+02:00",
        ] {
            let want = s.parse::<Timestamp>().unwrap().as_nanosecond();
            assert_eq!(parse_ts(s.as_bytes()), Some(want), "{s}");
        }
        for bad in [
            "",
            "hello world",
            "2020-13-08T17:04:57Z",
            "2023-02-29T00:00:00Z",
            "2020-06-08T17:04:57.Z",
            "2020-06-08T17:04:57.1234567891Z",
            "2020/06/08 17:04:57.331",
        ] {
            assert_eq!(parse_ts(bad.as_bytes()), None, "{bad}");
        }
    }

    /// Feeds streams (each a list of timestamps) to one position; returns
    /// the lines taken, as (stream, index).
    fn replay(mut p: Position, streams: &[&[&str]]) -> Vec<(usize, usize)> {
        let mut taken = Vec::new();
        for (si, s) in streams.iter().enumerate() {
            p.begin_stream();
            for (li, t) in s.iter().enumerate() {
                if p.admit(ts(t)) {
                    taken.push((si, li));
                }
            }
        }
        taken
    }

    #[test]
    fn resumed_streams_skip_what_was_printed() {
        const A: &str = "2020-06-08T17:04:57.100Z";
        const B: &str = "2020-06-08T17:04:57.200Z";
        const C: &str = "2020-06-08T17:04:57.300Z";
        const D: &str = "2020-06-08T17:04:58.000Z";
        /// (name, streams of timestamps, lines taken as (stream, index))
        type Case = (
            &'static str,
            &'static [&'static [&'static str]],
            &'static [(usize, usize)],
        );
        let cases: &[Case] = &[
            ("one stream", &[&[A, B, C]], &[(0, 0), (0, 1), (0, 2)]),
            (
                "resume repeats the second",
                &[&[A, B], &[A, B, C, D]],
                &[(0, 0), (0, 1), (1, 2), (1, 3)],
            ),
            (
                "equal stamps counted",
                &[&[A, B, B], &[A, B, B, B, C]],
                &[(0, 0), (0, 1), (0, 2), (1, 3), (1, 4)],
            ),
            (
                "cut between equal stamps",
                &[&[A, B], &[A, B, B, C]],
                &[(0, 0), (0, 1), (1, 2), (1, 3)],
            ),
            ("empty resume", &[&[A], &[], &[A, B]], &[(0, 0), (2, 1)]),
            (
                "a stream that repeats less than it should",
                &[&[A, B, C], &[C, D]],
                &[(0, 0), (0, 1), (0, 2), (1, 1)],
            ),
        ];
        for (name, streams, want) in cases {
            assert_eq!(&replay(Position::default(), streams), want, "{name}");
        }
    }

    #[test]
    fn requests_ask_from_the_truncated_second() {
        let mut p = Position::new(None, Some(10));
        assert_eq!(
            p.ask(),
            Ask {
                since_time: None,
                tail_lines: Some(10)
            }
        );
        p.begin_stream();
        assert!(p.admit(ts("2020-06-08T17:04:57.900Z")));
        // Rounding to the nearest second (as kube-rs does) would skip the
        // rest of 17:04:57.
        assert_eq!(
            p.ask(),
            Ask {
                since_time: Some("2020-06-08T17:04:57Z".parse().unwrap()),
                tail_lines: None
            }
        );
        let since = ts("2020-06-08T17:00:00.500Z");
        let mut p = Position::new(Some(since), None);
        assert_eq!(
            p.ask().since_time,
            Some("2020-06-08T17:00:00Z".parse().unwrap())
        );
        p.begin_stream();
        assert!(!p.admit(ts("2020-06-08T17:00:00.400Z")), "before --since");
        assert!(p.admit(ts("2020-06-08T17:00:00.500Z")));
    }

    #[test]
    fn a_resumed_stream_that_skips_the_last_line_shows_a_gap() {
        let a = ts("2020-06-08T17:04:57.100Z");
        let b = ts("2020-06-08T17:04:57.200Z");
        let c = ts("2020-06-08T17:04:58.300Z");
        // (first line of the resumed stream, gap expected)
        let cases = [
            (Some(a), None),
            (Some(b), None),
            (Some(c), Some((b, c))),
            (None, None),
        ];
        for (first, want) in cases {
            let mut p = Position::default();
            p.begin_stream();
            assert!(!p.awaiting_first(), "a first stream has nothing to resume");
            assert_eq!(p.gap(Some(c)), None);
            p.admit(a);
            p.admit(b);
            p.begin_stream();
            assert!(p.awaiting_first());
            assert_eq!(p.gap(first), want, "{first:?}");
            assert!(!p.awaiting_first());
            assert_eq!(p.gap(first), None, "checked once per stream");
        }
    }

    #[test]
    fn tail_zero_resumes_from_where_the_stream_began() {
        let mut p = Position::new(None, Some(0));
        p.begin_stream();
        let asked = ts("2020-06-08T17:04:57.250Z");
        p.established(asked);
        // Broken before any line: the resumed stream starts at the time the
        // first one was asked for, not at the server's new "now".
        assert_eq!(
            p.ask(),
            Ask {
                since_time: Some("2020-06-08T17:04:57Z".parse().unwrap()),
                tail_lines: None
            }
        );
        p.begin_stream();
        assert!(!p.admit(ts("2020-06-08T17:04:57.100Z")));
        assert!(p.admit(ts("2020-06-08T17:04:57.300Z")));
        // A tail of N>0 lines is asked again as it was.
        let mut p = Position::new(None, Some(5));
        p.established(asked);
        assert_eq!(p.ask().tail_lines, Some(5));
    }
}
