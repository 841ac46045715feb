//! Which containers `cluster logs` follows and which of their lines it
//! prints. The guide's REGEX names pods or containers
//! (`cluster logs smf-nodemgr` picks a container, `^smf-` a family of pods),
//! so a container is followed when the REGEX matches its pod's name or its
//! own; `-c` and the `--exclude-*` flags narrow that down.

use regex::Regex;
use regex::bytes::Regex as BytesRegex;

/// Which containers to follow.
#[derive(Debug, Clone)]
pub struct TargetFilter {
    /// Matches the pod name or the container name.
    pub query: Regex,
    /// `-c`: the container name must match too.
    pub container: Option<Regex>,
    /// `--exclude-pod`: pods never followed.
    pub exclude_pod: Vec<Regex>,
    /// `--exclude-container`: containers never followed.
    pub exclude_container: Vec<Regex>,
}

impl TargetFilter {
    pub fn wants(&self, pod: &str, container: &str) -> bool {
        if self.exclude_pod.iter().any(|r| r.is_match(pod))
            || self.exclude_container.iter().any(|r| r.is_match(container))
        {
            return false;
        }
        if self
            .container
            .as_ref()
            .is_some_and(|r| !r.is_match(container))
        {
            return false;
        }
        self.query.is_match(pod) || self.query.is_match(container)
    }
}

/// Which lines to print: `--include` (any of them must match) and
/// `--exclude` (none may match), on the line's text without its timestamp.
#[derive(Debug, Clone, Default)]
pub struct LineFilter {
    include: Option<BytesRegex>,
    exclude: Option<BytesRegex>,
}

impl LineFilter {
    /// One regex per flag occurrence, each already checked by [`compile`].
    pub fn new(include: &[String], exclude: &[String]) -> Result<Self, String> {
        Ok(LineFilter {
            include: any_of(include)?,
            exclude: any_of(exclude)?,
        })
    }

    pub fn keep(&self, line: &[u8]) -> bool {
        self.include.as_ref().is_none_or(|r| r.is_match(line))
            && self.exclude.as_ref().is_none_or(|r| !r.is_match(line))
    }
}

/// One regex that matches where any of `res` does (None for none), so a
/// line is scanned once however many flags were given.
pub fn any_of(res: &[String]) -> Result<Option<BytesRegex>, String> {
    if res.is_empty() {
        return Ok(None);
    }
    let joined = res
        .iter()
        .map(|r| format!("(?:{r})"))
        .collect::<Vec<_>>()
        .join("|");
    BytesRegex::new(&joined)
        .map(Some)
        .map_err(|e| format!("{joined:?} is not a valid regex: {e}"))
}

/// Compiles a flag's regex, naming the flag when it is wrong.
pub fn compile(flag: &str, re: &str) -> Result<Regex, String> {
    Regex::new(re).map_err(|e| {
        let first = e.to_string();
        let reason = first.lines().last().unwrap_or("invalid").trim();
        format!("{flag} {re:?} is not a valid regular expression: {reason}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The guide's smf-data pods and their containers.
    const PODS: &[(&str, &[&str])] = &[
        ("smf-nodemgr-n0-0", &["smf-nodemgr"]),
        ("smf-protocol-n0-0", &["smf-protocol"]),
        ("smf-rest-ep-n0-0", &["smf-rest-ep"]),
        ("smf-service-n0-0", &["smf-service"]),
        ("smf-udp-proxy-0", &["smf-udp-proxy"]),
        ("gtpc-ep-n0-0", &["gtpc-ep"]),
        ("zookeeper-0", &["zookeeper"]),
        ("zookeeper-1", &["zookeeper"]),
        (
            "ops-center-smf-data-ops-center-7fbb97d9c9-tx7qd",
            &["confd", "confd-api", "ssh-proxy"],
        ),
        ("api-smf-data-ops-center-57c8f6b4d7-wt66s", &["confd-api"]),
    ];

    fn filter(q: &str, c: Option<&str>, xp: &[&str], xc: &[&str]) -> TargetFilter {
        TargetFilter {
            query: Regex::new(q).unwrap(),
            container: c.map(|c| Regex::new(c).unwrap()),
            exclude_pod: xp.iter().map(|r| Regex::new(r).unwrap()).collect(),
            exclude_container: xc.iter().map(|r| Regex::new(r).unwrap()).collect(),
        }
    }

    fn picked(f: &TargetFilter) -> Vec<String> {
        PODS.iter()
            .flat_map(|(p, cs)| cs.iter().map(move |c| (*p, *c)))
            .filter(|(p, c)| f.wants(p, c))
            .map(|(p, c)| format!("{p}/{c}"))
            .collect()
    }

    #[test]
    fn the_guides_examples() {
        let cases: &[(&str, TargetFilter, &[&str])] = &[
            (
                "^smf- picks the five SMF pods",
                filter("^smf-", None, &[], &[]),
                &[
                    "smf-nodemgr-n0-0/smf-nodemgr",
                    "smf-protocol-n0-0/smf-protocol",
                    "smf-rest-ep-n0-0/smf-rest-ep",
                    "smf-service-n0-0/smf-service",
                    "smf-udp-proxy-0/smf-udp-proxy",
                ],
            ),
            (
                "a specific pod",
                filter("smf-rest-ep-n0-0", None, &[], &[]),
                &["smf-rest-ep-n0-0/smf-rest-ep"],
            ),
            (
                "a container name",
                filter("confd-api", None, &[], &[]),
                &[
                    "ops-center-smf-data-ops-center-7fbb97d9c9-tx7qd/confd-api",
                    "api-smf-data-ops-center-57c8f6b4d7-wt66s/confd-api",
                ],
            ),
            (
                "several pods",
                filter("(smf-service.|smf-rest.)", None, &[], &[]),
                &[
                    "smf-rest-ep-n0-0/smf-rest-ep",
                    "smf-service-n0-0/smf-service",
                ],
            ),
            (
                "a pod match takes every container, -c narrows",
                filter("^ops-center", Some("^confd"), &[], &[]),
                &[
                    "ops-center-smf-data-ops-center-7fbb97d9c9-tx7qd/confd",
                    "ops-center-smf-data-ops-center-7fbb97d9c9-tx7qd/confd-api",
                ],
            ),
            (
                "exclusions win",
                filter("zookeeper|^smf-s", None, &["-1$"], &["proxy"]),
                &["smf-service-n0-0/smf-service", "zookeeper-0/zookeeper"],
            ),
            ("no match", filter("^amf-", None, &[], &[]), &[]),
        ];
        for (name, f, want) in cases {
            assert_eq!(picked(f), *want, "{name}");
        }
    }

    #[test]
    fn lines_are_included_and_excluded() {
        let cases: &[(&[&str], &[&str], &str, bool)] = &[
            (&[], &[], "anything", true),
            (&["ERROR", "WARN"], &[], "a WARN line", true),
            (&["ERROR", "WARN"], &[], "an INFO line", false),
            (&[], &["DEBUG"], "[DEBUG] x", false),
            (&["smf"], &["DEBUG"], "smf [INFO]", true),
            (&["smf"], &["DEBUG"], "smf [DEBUG]", false),
            (&[r"seq=\d*7$"], &[], "x seq=17", true),
        ];
        for (inc, exc, line, want) in cases {
            let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
            let f = LineFilter::new(&s(inc), &s(exc)).unwrap();
            assert_eq!(f.keep(line.as_bytes()), *want, "{inc:?} {exc:?} {line}");
        }
    }

    #[test]
    fn bad_regexes_name_the_flag() {
        let e = compile("--exclude-pod", "smf-(").unwrap_err();
        assert!(e.starts_with("--exclude-pod \"smf-(\" is not a valid regular expression: "));
        assert!(!e.contains('\n'), "{e}");
    }
}
