//! What a `tac-debug-pkg create` asks for, read from the guide's words
//! (`from T to T logs-filter { namespace NS pod_name POD } cores logs`) or
//! from flags, and checked before anything is written.

use std::collections::BTreeSet;
use std::fmt;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

/// The guide recommends one to two hours; longer windows are allowed but
/// make large packages, so they are warned about.
pub const LONG_WINDOW: SignedDuration = SignedDuration::from_hours(2);

/// A gatherer. The names are the guide's (`Gather core:` in status, the
/// word `cores` on the command line).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Core,
    Logs,
    Metrics,
    Stats,
    Config,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::Core,
        Kind::Logs,
        Kind::Metrics,
        Kind::Stats,
        Kind::Config,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Core => "core",
            Kind::Logs => "logs",
            Kind::Metrics => "metrics",
            Kind::Stats => "stats",
            Kind::Config => "config",
        }
    }

    /// The word on the command line (`cores`; `core` is accepted too).
    pub fn word(self) -> &'static str {
        match self {
            Kind::Core => "cores",
            other => other.name(),
        }
    }

    pub fn from_word(w: &str) -> Option<Kind> {
        Some(match w {
            "cores" | "core" => Kind::Core,
            "logs" | "log" => Kind::Logs,
            "metrics" => Kind::Metrics,
            "stats" => Kind::Stats,
            "config" => Kind::Config,
            _ => return None,
        })
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A validated request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Request {
    pub from: Timestamp,
    pub to: Timestamp,
    /// Empty: every namespace.
    pub namespaces: Vec<String>,
    /// A regex on pod names (unanchored, as `grep` would match it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pod_name: Option<String>,
    /// What to gather, in the guide's order.
    pub gatherers: BTreeSet<Kind>,
    pub redact: bool,
}

impl Request {
    /// The guide's file-name form of the window: `2020-06-08_14-00-00_2020-06-08_15-00-00`.
    pub fn window_name(&self) -> String {
        format!("{}_{}", file_time(self.from), file_time(self.to))
    }

    pub fn wants(&self, k: Kind) -> bool {
        self.gatherers.contains(&k)
    }

    pub fn pod_regex(&self) -> Option<regex::Regex> {
        // Checked in `validate`; a request read back from a manifest was too.
        self.pod_name
            .as_deref()
            .and_then(|p| regex::Regex::new(p).ok())
    }

    pub fn in_window(&self, t: Timestamp) -> bool {
        t >= self.from && t < self.to
    }

    /// The request as the guide's command line, for the manifest and the report.
    pub fn command_line(&self) -> String {
        let mut s = format!(
            "tac-debug-pkg create from {} to {}",
            guide_time(self.from),
            guide_time(self.to)
        );
        if !self.namespaces.is_empty() || self.pod_name.is_some() {
            s.push_str(" logs-filter {");
            if !self.namespaces.is_empty() {
                s.push_str(&format!(" namespace {}", self.namespaces.join(",")));
            }
            if let Some(p) = &self.pod_name {
                s.push_str(&format!(" pod_name {p}"));
            }
            s.push_str(" }");
        }
        if self.gatherers.len() < Kind::ALL.len() {
            for k in &self.gatherers {
                s.push(' ');
                s.push_str(k.word());
            }
        }
        if !self.redact {
            s.push_str(" --no-redact");
        }
        s
    }

    /// A warning to show before starting, if any.
    pub fn warning(&self) -> Option<String> {
        let len = self.to.duration_since(self.from);
        (len > LONG_WINDOW).then(|| {
            format!(
                "the window is {}; the guide recommends one to two hours (large packages take long to gather and download)",
                human_span(len)
            )
        })
    }
}

/// `Tue Jun 9 00:22:17 UTC 2020`, as the guide's `response :` lines.
pub fn response_time(t: Timestamp) -> String {
    t.to_zoned(jiff::tz::TimeZone::UTC)
        .strftime("%a %b %-d %H:%M:%S UTC %Y")
        .to_string()
}

/// `2020-06-08_14:00:00`, the guide's input form.
pub fn guide_time(t: Timestamp) -> String {
    t.strftime("%Y-%m-%d_%H:%M:%S").to_string()
}

/// `2020-06-08_14-00-00`, the guide's file-name form.
pub fn file_time(t: Timestamp) -> String {
    t.strftime("%Y-%m-%d_%H-%M-%S").to_string()
}

pub fn human_span(d: SignedDuration) -> String {
    let s = d.as_secs();
    match (s / 3600, (s % 3600) / 60, s % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, 0) => format!("{m}m"),
        (0, m, s) => format!("{m}m{s}s"),
        (h, 0, 0) => format!("{h}h"),
        (h, m, _) => format!("{h}h{m}m"),
    }
}

/// An error in the words, pointing at the word (index into the words
/// given) so a shell can put its `^` marker under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WordError {
    pub at: usize,
    pub message: String,
}

impl fmt::Display for WordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for WordError {}

/// What the words or flags asked, before validation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Draft {
    pub from: Option<String>,
    pub to: Option<String>,
    pub namespaces: Vec<String>,
    pub pod_name: Option<String>,
    pub gatherers: BTreeSet<Kind>,
}

/// Splits `{`/`}` off words so `{namespace` and `smf-data}` read as the
/// guide's spaced form.
fn tokens(words: &[String]) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (i, w) in words.iter().enumerate() {
        let mut cur = String::new();
        for ch in w.chars() {
            if ch == '{' || ch == '}' {
                if !cur.is_empty() {
                    out.push((i, std::mem::take(&mut cur)));
                }
                out.push((i, ch.to_string()));
            } else {
                cur.push(ch);
            }
        }
        if !cur.is_empty() {
            out.push((i, cur));
        }
    }
    out
}

/// Reads the guide's words after `tac-debug-pkg create`.
pub fn parse_words(words: &[String]) -> Result<Draft, WordError> {
    let toks = tokens(words);
    let mut d = Draft::default();
    let mut i = 0;
    let end = words.len();
    let at = |i: usize| toks.get(i).map(|t| t.0).unwrap_or(end);
    let value = |i: usize, what: &str| -> Result<String, WordError> {
        match toks.get(i) {
            Some((_, v)) if v != "{" && v != "}" => Ok(v.clone()),
            _ => Err(WordError {
                at: at(i),
                message: format!("{what} needs a value"),
            }),
        }
    };
    while i < toks.len() {
        let (w, word) = (toks[i].0, toks[i].1.as_str());
        match word {
            "from" | "to" => {
                let v = value(
                    i + 1,
                    &format!("`{word}` (a time like 2020-06-08_14:00:00)"),
                )?;
                let slot = if word == "from" {
                    &mut d.from
                } else {
                    &mut d.to
                };
                if slot.is_some() {
                    return Err(WordError {
                        at: w,
                        message: format!("`{word}` given twice"),
                    });
                }
                *slot = Some(v);
                i += 2;
            }
            "logs-filter" => {
                if toks.get(i + 1).map(|t| t.1.as_str()) != Some("{") {
                    return Err(WordError {
                        at: at(i + 1),
                        message: "logs-filter needs `{ namespace NS pod_name POD }`".into(),
                    });
                }
                i += 2;
                loop {
                    match toks.get(i).map(|t| t.1.as_str()) {
                        Some("}") => {
                            i += 1;
                            break;
                        }
                        Some("namespace") => {
                            let v = value(i + 1, "namespace")?;
                            for ns in v.split(',').filter(|s| !s.is_empty()) {
                                if !d.namespaces.iter().any(|n| n == ns) {
                                    d.namespaces.push(ns.to_string());
                                }
                            }
                            i += 2;
                        }
                        Some("pod_name") => {
                            if d.pod_name.is_some() {
                                return Err(WordError {
                                    at: at(i),
                                    message: "pod_name given twice".into(),
                                });
                            }
                            d.pod_name = Some(value(i + 1, "pod_name")?);
                            i += 2;
                        }
                        Some(other) => {
                            return Err(WordError {
                                at: at(i),
                                message: format!(
                                    "unknown filter {other:?}: logs-filter takes namespace and pod_name"
                                ),
                            });
                        }
                        None => {
                            return Err(WordError {
                                at: end,
                                message: "logs-filter is missing its closing `}`".into(),
                            });
                        }
                    }
                }
            }
            other => match Kind::from_word(other) {
                Some(k) => {
                    d.gatherers.insert(k);
                    i += 1;
                }
                None => {
                    return Err(WordError {
                        at: w,
                        message: format!(
                            "unexpected {other:?}: expected from, to, logs-filter, or a gatherer (cores, logs, metrics, stats, config)"
                        ),
                    });
                }
            },
        }
    }
    Ok(d)
}

/// Why a request cannot be run; each says what to change.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum RequestError {
    #[error("a start time is needed: `from 2020-06-08_14:00:00` (or --from)")]
    NoFrom,
    #[error("an end time is needed: `to 2020-06-08_15:00:00` (or --to)")]
    NoTo,
    #[error("bad {which} time: {why}")]
    BadTime { which: &'static str, why: String },
    #[error("the window ends ({to}) before it starts ({from}): `to` must be after `from`")]
    Backwards { from: String, to: String },
    #[error("the window starts in the future ({from}); nothing has happened yet")]
    Future { from: String },
    #[error("bad pod_name regex {pattern:?}: {why}")]
    BadRegex { pattern: String, why: String },
    #[error("bad namespace name {0:?}")]
    BadNamespace(String),
}

impl Draft {
    pub fn validate(self, now: Timestamp, redact: bool) -> Result<Request, RequestError> {
        let from = self.from.ok_or(RequestError::NoFrom)?;
        let to = self.to.ok_or(RequestError::NoTo)?;
        let from = crate::cli::inspect::parse_time(&from)
            .map_err(|why| RequestError::BadTime { which: "from", why })?;
        let to = crate::cli::inspect::parse_time(&to)
            .map_err(|why| RequestError::BadTime { which: "to", why })?;
        if to <= from {
            return Err(RequestError::Backwards {
                from: guide_time(from),
                to: guide_time(to),
            });
        }
        if from > now {
            return Err(RequestError::Future {
                from: guide_time(from),
            });
        }
        if let Some(p) = &self.pod_name {
            regex::Regex::new(p).map_err(|e| RequestError::BadRegex {
                pattern: p.clone(),
                why: e
                    .to_string()
                    .lines()
                    .last()
                    .unwrap_or_default()
                    .trim()
                    .to_string(),
            })?;
        }
        for ns in &self.namespaces {
            // DNS-1123 label: what the API server would refuse anyway, but
            // before any request and with the name in the message.
            let ok = !ns.is_empty()
                && ns.len() <= 63
                && ns
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !ns.starts_with('-')
                && !ns.ends_with('-');
            if !ok {
                return Err(RequestError::BadNamespace(ns.clone()));
            }
        }
        let gatherers = if self.gatherers.is_empty() {
            Kind::ALL.into_iter().collect()
        } else {
            self.gatherers
        };
        Ok(Request {
            from,
            to,
            namespaces: self.namespaces,
            pod_name: self.pod_name,
            gatherers,
            redact,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    fn now() -> Timestamp {
        "2026-11-29T12:00:00Z".parse().unwrap()
    }

    #[test]
    fn the_guides_forms() {
        let d = parse_words(&w("from 2020-06-08_14:00:00 to 2020-06-08_15:00:00")).unwrap();
        let r = d.validate(now(), true).unwrap();
        assert_eq!(r.window_name(), "2020-06-08_14-00-00_2020-06-08_15-00-00");
        assert_eq!(r.gatherers.len(), 5);
        assert!(r.namespaces.is_empty());

        let d = parse_words(&w(
            "from 2020-06-08_14:00:00 to 2020-06-08_15:00:00 logs-filter { namespace smf-data pod_name smf-service.* }",
        ))
        .unwrap();
        assert_eq!(d.namespaces, ["smf-data"]);
        assert_eq!(d.pod_name.as_deref(), Some("smf-service.*"));

        let d = parse_words(&w("from 2021-02-24_12:30:00 to 2021-02-24_14:30:00 cores")).unwrap();
        let r = d.validate(now(), true).unwrap();
        assert_eq!(
            r.gatherers.iter().copied().collect::<Vec<_>>(),
            [Kind::Core]
        );
        assert_eq!(
            r.command_line(),
            "tac-debug-pkg create from 2021-02-24_12:30:00 to 2021-02-24_14:30:00 cores"
        );
    }

    #[test]
    fn braces_glued_and_namespace_lists() {
        let d = parse_words(&w(
            "from 2020-06-08_14:00:00 to 2020-06-08_15:00:00 logs-filter {namespace smf-data,cee-cee} logs stats",
        ))
        .unwrap();
        assert_eq!(d.namespaces, ["smf-data", "cee-cee"]);
        assert_eq!(d.gatherers.len(), 2);
        let r = d.validate(now(), false).unwrap();
        assert!(r.command_line().contains("namespace smf-data,cee-cee"));
        assert!(r.command_line().ends_with("logs stats --no-redact"));
    }

    #[test]
    fn errors_point_at_the_word() {
        let e = parse_words(&w("from 2020-06-08_14:00:00 until x")).unwrap_err();
        assert_eq!(e.at, 2);
        assert!(e.message.contains("\"until\""));
        let e = parse_words(&w("from")).unwrap_err();
        assert_eq!(e.at, 1);
        let e = parse_words(&w("from a to b logs-filter { namespace x")).unwrap_err();
        assert!(e.message.contains("closing"));
        let e = parse_words(&w("from a to b logs-filter { node x }")).unwrap_err();
        assert_eq!(e.at, 6);
        let e = parse_words(&w("from a from b")).unwrap_err();
        assert!(e.message.contains("twice"));
        let e = parse_words(&w("from a to b logs-filter namespace x")).unwrap_err();
        assert_eq!(e.at, 5);
    }

    #[test]
    fn validation() {
        let v = |s: &str| parse_words(&w(s)).unwrap().validate(now(), true);
        assert_eq!(v("to 2020-06-08_15:00:00"), Err(RequestError::NoFrom));
        assert_eq!(v("from 2020-06-08_15:00:00"), Err(RequestError::NoTo));
        assert!(matches!(
            v("from 2020-06-08_15:00:00 to 2020-06-08_14:00:00"),
            Err(RequestError::Backwards { .. })
        ));
        assert!(matches!(
            v("from 2020-06-08_15:00:00 to 2020-06-08_15:00:00"),
            Err(RequestError::Backwards { .. })
        ));
        assert!(matches!(
            v("from yesterday to 2020-06-08_14:00:00"),
            Err(RequestError::BadTime { which: "from", .. })
        ));
        assert!(matches!(
            v("from 2030-01-01_00:00:00 to 2030-01-01_01:00:00"),
            Err(RequestError::Future { .. })
        ));
        assert!(matches!(
            v("from 2020-06-08_14:00:00 to 2020-06-08_15:00:00 logs-filter { pod_name smf-( }"),
            Err(RequestError::BadRegex { .. })
        ));
        assert!(matches!(
            v("from 2020-06-08_14:00:00 to 2020-06-08_15:00:00 logs-filter { namespace Smf_Data }"),
            Err(RequestError::BadNamespace(_))
        ));
        let r = v("from 2020-06-08_14:00:00 to 2020-06-08T16:30:00Z").unwrap();
        assert!(r.warning().unwrap().contains("2h30m"));
        assert!(
            v("from 2020-06-08_14:00:00 to 2020-06-08_16:00:00")
                .unwrap()
                .warning()
                .is_none()
        );
    }

    #[test]
    fn window_membership_is_half_open() {
        let r = parse_words(&w("from 2020-06-08_14:00:00 to 2020-06-08_15:00:00"))
            .unwrap()
            .validate(now(), true)
            .unwrap();
        assert!(r.in_window("2020-06-08T14:00:00Z".parse().unwrap()));
        assert!(r.in_window("2020-06-08T14:59:59.999Z".parse().unwrap()));
        assert!(!r.in_window("2020-06-08T15:00:00Z".parse().unwrap()));
        assert!(!r.in_window("2020-06-08T13:59:59Z".parse().unwrap()));
    }
}
