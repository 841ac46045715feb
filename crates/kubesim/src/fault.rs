//! Fault injection, so that clients' resilience is tested against the faults
//! real clusters have: streams cut mid-way (runtime restarts, log rotation,
//! load balancers), requests refused (500 from an overloaded server, 429 from
//! API priority and fairness) and slow answers.

use std::str::FromStr;
use std::time::Duration;

/// The faults to inject; all off by default.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Faults {
    /// Cut every log stream after this many lines (mid-line: the client sees
    /// half a line, then the connection fails).
    pub cut_lines: Option<u64>,
    /// Cut every log and watch stream after this long.
    pub cut_after: Option<Duration>,
    /// Share (0..1) of resource requests answered with `error_code`.
    pub error_rate: f64,
    /// 500 (InternalError) or 429 (TooManyRequests).
    pub error_code: u16,
    /// Added before answering every resource request.
    pub latency: Option<Duration>,
    /// Resources (`pods`, `pods/log`, `nodes/proxy`, ...) the token may not
    /// use: answered 403 Forbidden as RBAC would.
    pub forbid: Vec<String>,
    /// Nodes whose kubelet and agent do not answer (a node gone dark): the
    /// node and pod proxies to them fail as a real API server's do.
    pub down: Vec<String>,
}

impl Faults {
    /// Applies one `KEY=VALUE` option: `cut-lines=N`, `cut-after=DUR`,
    /// `error-rate=F`, `error-code=500|429`, `latency=DUR`.
    pub fn apply(&mut self, opt: &str) -> Result<(), String> {
        let (k, v) = opt
            .split_once('=')
            .ok_or_else(|| format!("fault {opt:?}: expected KEY=VALUE"))?;
        let bad = |what: &str| format!("fault {k}: {v:?} is not {what}");
        match k {
            "cut-lines" => {
                let n = u64::from_str(v).map_err(|_| bad("a number of lines"))?;
                if n == 0 {
                    return Err(bad("a positive number of lines"));
                }
                self.cut_lines = Some(n);
            }
            "cut-after" => {
                self.cut_after =
                    Some(parse_duration(v).ok_or_else(|| bad("a duration like 2s or 500ms"))?)
            }
            "error-rate" => {
                let f = f64::from_str(v).map_err(|_| bad("a share between 0 and 1"))?;
                if !(0.0..=1.0).contains(&f) {
                    return Err(bad("a share between 0 and 1"));
                }
                self.error_rate = f;
                if self.error_code == 0 {
                    self.error_code = 500;
                }
            }
            "error-code" => {
                let c = u16::from_str(v).map_err(|_| bad("500 or 429"))?;
                if c != 500 && c != 429 {
                    return Err(bad("500 or 429"));
                }
                self.error_code = c;
            }
            "latency" => {
                self.latency = Some(parse_duration(v).ok_or_else(|| bad("a duration like 20ms"))?)
            }
            "down" => {
                if v.is_empty() {
                    return Err(bad("a node name"));
                }
                self.down.push(v.to_string());
            }
            "forbid" => {
                if v.is_empty()
                    || !v
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c == '/' || c == '.')
                {
                    return Err(bad("a resource like pods, pods/log or nodes/proxy"));
                }
                self.forbid.push(v.to_string());
            }
            _ => {
                return Err(format!(
                    "unknown fault {k:?} (known: cut-lines, cut-after, error-rate, error-code, latency, forbid, down)"
                ));
            }
        }
        Ok(())
    }

    pub fn parse_all<'a>(opts: impl IntoIterator<Item = &'a str>) -> Result<Self, String> {
        let mut f = Faults::default();
        for o in opts {
            for part in o.split(',').filter(|p| !p.is_empty()) {
                f.apply(part)?;
            }
        }
        Ok(f)
    }

    /// Whether RBAC is simulated to refuse `resource` (`pods` or `pods/log`).
    pub fn forbids(&self, resource: &str) -> bool {
        self.forbid.iter().any(|f| f == resource)
    }

    pub fn node_down(&self, node: &str) -> bool {
        self.down.iter().any(|n| n == node)
    }

    /// Whether this request should fail (drawn at random at `error_rate`).
    pub fn should_fail(&self) -> bool {
        self.error_rate > 0.0 && rand::random::<f64>() < self.error_rate
    }
}

/// Durations as Go and kubectl write them: `500ms`, `2s`, `5m`, `1h30m`, `6d`.
pub fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let mut total = Duration::ZERO;
    let mut num = String::new();
    let mut chars = s.chars().peekable();
    let mut any = false;
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() || c == '.' {
            num.push(c);
            continue;
        }
        let mut unit = c.to_string();
        if c == 'm' && chars.peek() == Some(&'s') {
            unit.push(chars.next()?);
        }
        let n: f64 = num.parse().ok()?;
        num.clear();
        let secs = match unit.as_str() {
            "ms" => n / 1000.0,
            "s" => n,
            "m" => n * 60.0,
            "h" => n * 3600.0,
            "d" => n * 86400.0,
            _ => return None,
        };
        total += Duration::from_secs_f64(secs);
        any = true;
    }
    if !num.is_empty() {
        return None;
    }
    any.then_some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        let cases = [
            ("500ms", Some(Duration::from_millis(500))),
            ("2s", Some(Duration::from_secs(2))),
            ("1h30m", Some(Duration::from_secs(5400))),
            ("6d", Some(Duration::from_secs(6 * 86400))),
            ("7h1m", Some(Duration::from_secs(7 * 3600 + 60))),
            ("10", None),
            ("x", None),
            ("", None),
        ];
        for (s, want) in cases {
            assert_eq!(parse_duration(s), want, "{s}");
        }
    }

    #[test]
    fn fault_options() {
        let f = Faults::parse_all([
            "cut-lines=50,error-rate=0.1",
            "error-code=429",
            "latency=5ms",
        ])
        .unwrap();
        assert_eq!(f.cut_lines, Some(50));
        assert_eq!(f.error_code, 429);
        assert_eq!(f.latency, Some(Duration::from_millis(5)));
        for bad in [
            "cut-lines=0",
            "error-rate=2",
            "error-code=404",
            "nope=1",
            "cut-lines",
        ] {
            assert!(Faults::parse_all([bad]).is_err(), "{bad}");
        }
    }
}
