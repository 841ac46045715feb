//! How one log line is printed: `[pod] text`, or `[pod container] text`
//! when the pod has several containers, as in the guide's step 5.4; the
//! prefix in a colour of its own per pod (the same pod always gets the same
//! colour) and `--highlight` matches marked, on a terminal only; or one JSON
//! object per line for programs.
//!
//! Everything that does not change from line to line (the prefix, the JSON
//! head) is rendered once per container, so a line costs a copy or two.

use regex::bytes::Regex as BytesRegex;

/// Text or JSON, and the text options.
#[derive(Debug, Clone)]
pub enum Style {
    Text {
        /// ANSI colours (a terminal, `NO_COLOR` unset, or `--color always`).
        colour: bool,
        /// Print each line's timestamp after the prefix.
        timestamps: bool,
        /// `--highlight`: matches are marked (with colour only).
        highlight: Option<BytesRegex>,
    },
    /// `{"namespace","pod","container","node","timestamp","message"}` a line.
    Json,
}

/// Who a line comes from.
#[derive(Debug, Clone)]
pub struct Source<'a> {
    pub namespace: &'a str,
    pub pod: &'a str,
    pub container: &'a str,
    pub node: &'a str,
    /// The pod has several containers (or this is an init or ephemeral one):
    /// the prefix names the container.
    pub name_container: bool,
    /// Pods from several namespaces: the prefix names the namespace.
    pub name_namespace: bool,
}

/// Foreground colours for prefixes: the six plain and six bright ones that
/// read on dark and light terminals alike.
const PALETTE: [&str; 12] = [
    "31", "32", "33", "34", "35", "36", "91", "92", "93", "94", "95", "96",
];
const RESET: &str = "\x1b[0m";
const MARK: &str = "\x1b[1;4;31m";

/// The pod's colour: a stable hash of its name, so a pod keeps its colour
/// from run to run.
pub fn colour_of(pod: &str) -> &'static str {
    // FNV-1a: tiny, and the same everywhere (std's hasher is seeded).
    let mut h: u32 = 0x811c_9dc5;
    for b in pod.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    PALETTE[(h % PALETTE.len() as u32) as usize]
}

/// `pod/container` (`ns/pod/container` with several namespaces), as the
/// announcements on stderr name a container.
pub fn label(src: &Source) -> String {
    if src.name_namespace {
        format!("{}/{}/{}", src.namespace, src.pod, src.container)
    } else {
        format!("{}/{}", src.pod, src.container)
    }
}

/// The printer of one container's lines.
#[derive(Debug, Clone)]
pub struct LineFormat {
    /// Text: the (coloured) `[pod container] `; JSON: everything up to the
    /// timestamp's value.
    head: Vec<u8>,
    json: bool,
    timestamps: bool,
    highlight: Option<BytesRegex>,
}

impl LineFormat {
    pub fn new(style: &Style, src: &Source) -> Self {
        match style {
            Style::Text {
                colour,
                timestamps,
                highlight,
            } => {
                let mut name = String::new();
                if src.name_namespace {
                    name.push_str(src.namespace);
                    name.push('/');
                }
                name.push_str(src.pod);
                if src.name_container {
                    name.push(' ');
                    name.push_str(src.container);
                }
                let head = if *colour {
                    format!("\x1b[{}m[{name}]{RESET} ", colour_of(src.pod))
                } else {
                    format!("[{name}] ")
                };
                LineFormat {
                    head: head.into_bytes(),
                    json: false,
                    timestamps: *timestamps,
                    highlight: highlight.clone().filter(|_| *colour),
                }
            }
            Style::Json => {
                let q = |s: &str| serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into());
                let head = format!(
                    "{{\"namespace\":{},\"pod\":{},\"container\":{},\"node\":{},\"timestamp\":",
                    q(src.namespace),
                    q(src.pod),
                    q(src.container),
                    q(src.node)
                );
                LineFormat {
                    head: head.into_bytes(),
                    json: true,
                    timestamps: true,
                    highlight: None,
                }
            }
        }
    }

    /// Appends the printed form of one line (`ts` as the server wrote it,
    /// empty when the line had none) to `out`.
    pub fn write(&self, out: &mut Vec<u8>, ts: &[u8], text: &[u8]) {
        out.extend_from_slice(&self.head);
        if self.json {
            if ts.is_empty() {
                out.extend_from_slice(b"null");
            } else {
                // Timestamps are plain ASCII: no escaping needed, but do not
                // trust that blindly.
                json_string(out, &String::from_utf8_lossy(ts));
            }
            out.extend_from_slice(b",\"message\":");
            json_string(out, &String::from_utf8_lossy(text));
            out.extend_from_slice(b"}\n");
            return;
        }
        if self.timestamps && !ts.is_empty() {
            out.extend_from_slice(ts);
            out.push(b' ');
        }
        match &self.highlight {
            Some(re) => {
                let mut at = 0;
                for m in re.find_iter(text) {
                    if m.is_empty() {
                        continue;
                    }
                    out.extend_from_slice(&text[at..m.start()]);
                    out.extend_from_slice(MARK.as_bytes());
                    out.extend_from_slice(m.as_bytes());
                    out.extend_from_slice(RESET.as_bytes());
                    at = m.end();
                }
                out.extend_from_slice(&text[at..]);
            }
            None => out.extend_from_slice(text),
        }
        out.push(b'\n');
    }
}

fn json_string(out: &mut Vec<u8>, s: &str) {
    // Writing into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src<'a>(pod: &'a str, container: &'a str, several: bool, ns: bool) -> Source<'a> {
        Source {
            namespace: "smf-data",
            pod,
            container,
            node: "brusmi-worker1",
            name_container: several,
            name_namespace: ns,
        }
    }

    fn text(colour: bool, timestamps: bool, hl: Option<&str>) -> Style {
        Style::Text {
            colour,
            timestamps,
            highlight: hl.map(|h| BytesRegex::new(h).unwrap()),
        }
    }

    #[test]
    fn lines_as_the_guide_prints_them() {
        let ts = b"2020-06-08T17:04:57.331415012Z";
        let msg = b"2020/06/08 17:04:57.331 smf-service [DEBUG] [RestRouter.go:24] x";
        let svc = src("smf-service-n0-0", "smf-service", false, false);
        let ops = src("ops-center-x", "confd", true, false);
        let c = colour_of("smf-service-n0-0");
        let cases: Vec<(&str, Style, &Source, String)> = vec![
            (
                "one container",
                text(false, false, None),
                &svc,
                format!("[smf-service-n0-0] {}\n", String::from_utf8_lossy(msg)),
            ),
            (
                "several containers",
                text(false, false, None),
                &ops,
                format!("[ops-center-x confd] {}\n", String::from_utf8_lossy(msg)),
            ),
            (
                "timestamps",
                text(false, true, None),
                &svc,
                format!(
                    "[smf-service-n0-0] 2020-06-08T17:04:57.331415012Z {}\n",
                    String::from_utf8_lossy(msg)
                ),
            ),
            (
                "colour",
                text(true, false, None),
                &svc,
                format!(
                    "\x1b[{c}m[smf-service-n0-0]\x1b[0m {}\n",
                    String::from_utf8_lossy(msg)
                ),
            ),
            (
                "highlight needs colour",
                text(false, false, Some("DEBUG")),
                &svc,
                format!("[smf-service-n0-0] {}\n", String::from_utf8_lossy(msg)),
            ),
            (
                "highlight",
                text(true, false, Some("DEBUG|x$")),
                &svc,
                format!(
                    "\x1b[{c}m[smf-service-n0-0]\x1b[0m 2020/06/08 17:04:57.331 smf-service [\x1b[1;4;31mDEBUG\x1b[0m] [RestRouter.go:24] \x1b[1;4;31mx\x1b[0m\n"
                ),
            ),
        ];
        for (name, style, s, want) in cases {
            let mut out = Vec::new();
            LineFormat::new(&style, s).write(&mut out, ts, msg);
            assert_eq!(String::from_utf8_lossy(&out), want, "{name}");
        }
        let mut out = Vec::new();
        LineFormat::new(&text(false, false, None), &src("p", "c", false, true))
            .write(&mut out, ts, b"x");
        assert_eq!(out, b"[smf-data/p] x\n");
    }

    #[test]
    fn json_lines_parse_back() {
        let mut out = Vec::new();
        let f = LineFormat::new(&Style::Json, &src("p", "c\"q", true, false));
        f.write(
            &mut out,
            b"2020-06-08T17:04:57Z",
            "tab\there \u{e9} \\ \"x\"".as_bytes(),
        );
        f.write(&mut out, b"", b"\xff not utf-8");
        let lines: Vec<serde_json::Value> = out
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| serde_json::from_slice(l).unwrap())
            .collect();
        assert_eq!(
            lines[0],
            serde_json::json!({"namespace": "smf-data", "pod": "p", "container": "c\"q", "node": "brusmi-worker1", "timestamp": "2020-06-08T17:04:57Z", "message": "tab\there \u{e9} \\ \"x\""})
        );
        assert_eq!(lines[1]["timestamp"], serde_json::Value::Null);
        assert_eq!(lines[1]["message"], "\u{fffd} not utf-8");
    }

    #[test]
    fn colours_are_stable_and_spread() {
        assert_eq!(colour_of("smf-service-n0-0"), colour_of("smf-service-n0-0"));
        let pods = [
            "smf-nodemgr-n0-0",
            "smf-protocol-n0-0",
            "smf-rest-ep-n0-0",
            "smf-service-n0-0",
            "smf-udp-proxy-0",
        ];
        let distinct: std::collections::HashSet<_> = pods.iter().map(|p| colour_of(p)).collect();
        assert!(distinct.len() >= 3, "{distinct:?}");
    }
}
