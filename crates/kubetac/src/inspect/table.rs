//! kubectl-style tables. Operators compare kubetac's output with what
//! `kubectl get` prints and pipe it into the same `awk`/`column` habits, so a
//! table here is laid out byte for byte like kubectl's: upper-case headers,
//! left-aligned columns padded by Go's `text/tabwriter` with kubectl's
//! settings (cli-runtime `printers.GetNewTabWriter`: minwidth 6, padding 3,
//! pad char ' '; the last cell of a line is never padded), and cells cleaned
//! the way kubectl's table printer cleans them. Status words can be coloured
//! for terminals without disturbing the alignment.

use std::io::{self, IsTerminal, Write};

/// kubectl's `tabwriterMinWidth`: no column is narrower than this (padding
/// included).
const MIN_WIDTH: usize = 6;
/// kubectl's `tabwriterPadding`: spaces added to a column's widest cell.
const PADDING: usize = 3;

const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const RESET: &str = "\x1b[0m";

/// Left-aligned columns separated by at least 3 spaces, headers in
/// capitals, exactly like kubectl's output.
#[derive(Debug, Clone, Default)]
pub struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column names, upper-cased as kubectl does
    /// ("Nominated Node" → "NOMINATED NODE").
    pub fn new(headers: &[&str]) -> Self {
        Table {
            headers: headers
                .iter()
                .map(|h| clean_cell(&h.to_uppercase()))
                .collect(),
            rows: Vec::new(),
        }
    }

    /// Appends a row. Cells beyond the header count are dropped (as kubectl
    /// does); a cell is cut at its first line break with "..." appended, and
    /// terminal escapes other than colour codes are shown as "^[", as
    /// kubectl's printer does.
    pub fn row(&mut self, cells: Vec<String>) {
        let n = self.headers.len();
        self.rows
            .push(cells.iter().take(n).map(|c| clean_cell(c)).collect());
    }

    /// Whether there are no rows (kubectl then prints "No resources found"
    /// instead of a lone header; that is the caller's choice).
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The whole table, header first, every line ending in '\n'.
    pub fn render(&self) -> String {
        let lines: Vec<Vec<Cell<'_>>> = std::iter::once(&self.headers)
            .chain(&self.rows)
            .map(|cells| {
                cells
                    .iter()
                    .map(|text| Cell {
                        text,
                        width: display_width(text),
                    })
                    .collect()
            })
            .collect();
        let mut out = String::new();
        let mut widths = Vec::new();
        format(&lines, &mut widths, 0, lines.len(), &mut out);
        out
    }

    /// Writes [`Table::render`] to `w`.
    pub fn write_to(&self, w: &mut dyn Write) -> io::Result<()> {
        w.write_all(self.render().as_bytes())
    }
}

struct Cell<'a> {
    text: &'a str,
    width: usize,
}

/// Go `text/tabwriter`'s `format`: a column block is a run of consecutive
/// lines that have a cell in `column` (the last cell of a line does not
/// count: it is not tab-terminated); its width is the widest cell plus
/// padding, at least the minimum width. `widths` holds the widths of the
/// columns to the left, fixed by the enclosing blocks.
fn format(
    lines: &[Vec<Cell<'_>>],
    widths: &mut Vec<usize>,
    mut line0: usize,
    line1: usize,
    out: &mut String,
) {
    let column = widths.len();
    let mut this = line0;
    while this < line1 {
        if column + 1 >= lines[this].len() {
            this += 1;
            continue;
        }
        // A block begins at `this`: print the lines before it.
        write_lines(lines, widths, line0, this, out);
        line0 = this;
        let mut width = MIN_WIDTH;
        while this < line1 && column + 1 < lines[this].len() {
            width = width.max(lines[this][column].width + PADDING);
            this += 1;
        }
        widths.push(width);
        format(lines, widths, line0, this, out);
        widths.pop();
        line0 = this;
    }
    write_lines(lines, widths, line0, line1, out);
}

fn write_lines(
    lines: &[Vec<Cell<'_>>],
    widths: &[usize],
    line0: usize,
    line1: usize,
    out: &mut String,
) {
    for line in &lines[line0..line1] {
        for (j, cell) in line.iter().enumerate() {
            out.push_str(cell.text);
            if let Some(&w) = widths.get(j) {
                out.extend(std::iter::repeat_n(' ', w.saturating_sub(cell.width)));
            }
        }
        out.push('\n');
    }
}

/// kubectl's cell cleaning: cut at the first '\f', '\n' or '\r' and append
/// "..."; a tab (a cell separator for tabwriter) becomes a space; ESC is
/// shown as "^[" unless it starts an SGR colour sequence (`ESC [ digits;... m`,
/// what [`colour_status`] emits).
fn clean_cell(s: &str) -> String {
    let (s, truncated) = match s.find(['\x0c', '\n', '\r']) {
        Some(i) => (&s[..i], true),
        None => (s, false),
    };
    let mut out = String::with_capacity(s.len() + 3);
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        match c {
            '\x1b' => match sgr_len(rest) {
                Some(n) => {
                    out.push_str(&rest[..n]);
                    rest = &rest[n..];
                    continue;
                }
                None => out.push_str("^["),
            },
            '\t' => out.push(' '),
            c => out.push(c),
        }
        rest = &rest[c.len_utf8()..];
    }
    if truncated {
        out.push_str("...");
    }
    out
}

/// Length of the SGR sequence (`ESC [ [0-9;]* m`) at the start of `s`.
fn sgr_len(s: &str) -> Option<usize> {
    let body = s.strip_prefix("\x1b[")?;
    let params = body
        .bytes()
        .take_while(|b| b.is_ascii_digit() || *b == b';')
        .count();
    (body.as_bytes().get(params) == Some(&b'm')).then_some(2 + params + 1)
}

/// Width as tabwriter counts it (one per character), colour codes excluded.
fn display_width(s: &str) -> usize {
    let mut width = 0;
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        if let Some(n) = sgr_len(rest) {
            rest = &rest[n..];
            continue;
        }
        width += 1;
        rest = &rest[c.len_utf8()..];
    }
    width
}

/// The colour a status word gets, if any.
fn status_colour(status: &str) -> Option<&'static str> {
    // Init:<reason> is coloured like <reason>; Init:N/M is progress.
    if let Some(rest) = status.strip_prefix("Init:") {
        if is_progress(rest) {
            return Some(YELLOW);
        }
        return status_colour(rest).or(Some(RED));
    }
    match status {
        "" => None,
        "Running" | "Completed" | "Succeeded" => Some(GREEN),
        "Pending" | "ContainerCreating" | "PodInitializing" | "Terminating" | "NotReady"
        | "SchedulingGated" | "Unknown" => Some(YELLOW),
        // CrashLoopBackOff, Error, Evicted, OOMKilled, ImagePullBackOff,
        // ErrImagePull, CreateContainerConfigError, ContainerStatusUnknown,
        // Failed, NodeLost, Signal:N, ExitCode:N, OutOfcpu, ...: anything
        // else is a problem worth seeing.
        _ => Some(RED),
    }
}

fn is_progress(s: &str) -> bool {
    s.split_once('/').is_some_and(|(a, b)| {
        !a.is_empty()
            && !b.is_empty()
            && a.bytes().all(|c| c.is_ascii_digit())
            && b.bytes().all(|c| c.is_ascii_digit())
    })
}

/// A status word coloured for a terminal: green for Running / Completed,
/// yellow for transitional states (Pending, ContainerCreating,
/// PodInitializing, Init:N/M, Terminating, NotReady, SchedulingGated,
/// Unknown), red for everything else (CrashLoopBackOff, Error, Evicted,
/// OOMKilled, ImagePullBackOff, ErrImagePull, Init:Error, ExitCode:N, ...).
/// When `enabled` is false the word is returned as is. Terminal escapes in
/// the word itself are neutralised ("^[") either way. [`Table`] ignores the
/// colour codes when it measures columns.
pub fn colour_status(status: &str, enabled: bool) -> String {
    let word = status.replace('\x1b', "^[");
    match status_colour(&word) {
        Some(colour) if enabled => format!("{colour}{word}{RESET}"),
        _ => word,
    }
}

/// Whether to use colour: stdout is a terminal and `NO_COLOR` is unset or
/// empty (<https://no-color.org>).
pub fn colour_enabled() -> bool {
    colour_wanted(
        io::stdout().is_terminal(),
        std::env::var_os("NO_COLOR").as_deref(),
    )
}

fn colour_wanted(stdout_is_terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
    stdout_is_terminal && no_color.is_none_or(|v| v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    /// `kubectl get pods -n smf-data` of the reference cluster, byte for byte
    /// (/work/shared/reference/kubectl-1.32-on-kube-apiserver-1.36/pods.txt).
    const PODS_TXT: &str = "\
NAME                                               READY   STATUS             RESTARTS      AGE
api-smf-data-ops-center-57c8f6b4d7-wt66s           1/1     Running            0             6d
base-entitlement-smf-fcdb664d-fkgss                1/1     Running            0             6d
cache-pod-0                                        1/1     Running            0             7h1m
cache-pod-1                                        1/1     Running            0             7h1m
cdl-ep-session-c1-dbb5f7874-4gmfr                  1/1     Running            0             7h1m
cdl-ep-session-c1-dbb5f7874-5zbqw                  1/1     Running            0             7h1m
cdl-index-session-c1-m1-0                          1/1     Running            0             7h1m
cdl-slot-session-c1-m1-0                           1/1     Running            0             7h1m
documentation-5dc8d5d898-mv6kx                     1/1     Running            0             6d
etcd-smf-data-etcd-cluster-0                       1/1     Running            0             7h1m
grafana-dashboard-app-infra-5b8dd74bb6-xv1ln       1/1     Running            0             7h1m
grafana-dashboard-cdl-5df868c45c-vbr4r             1/1     Running            0             7h1m
grafana-dashboard-smf-657755b7c8-fvbdt             1/1     Running            0             7h1m
gtpc-ep-n0-0                                       1/1     Running            0             7h1m
kafka-0                                            1/1     Running            0             7h1m
li-ep-n0-0                                         1/1     Running            0             7h1m
oam-pod-0                                          1/1     Running            0             7h1m
ops-center-smf-data-ops-center-7fbb97d9c9-tx7qd    5/5     Running            0             6d
smart-agent-smf-data-ops-center-6667dcdd65-2h7nr   0/1     Evicted            0             6d
smart-agent-smf-data-ops-center-6667dcdd65-6wfvq   1/1     Running            0             4d18h
smf-nodemgr-n0-0                                   1/1     Running            0             7h1m
smf-protocol-n0-0                                  1/1     Running            0             7h1m
smf-rest-ep-n0-0                                   1/1     Running            0             7h1m
smf-service-n0-0                                   0/1     CrashLoopBackOff   5 (10m ago)   7h1m
smf-udp-proxy-0                                    1/1     Running            0             7h1m
swift-smf-data-ops-center-68bc75bbc7-4zdc7         1/1     Running            0             6d
zookeeper-0                                        1/1     Running            0             7h1m
zookeeper-1                                        1/1     Running            0             7h
zookeeper-2                                        1/1     Running            0             7h
";

    /// The first rows of `kubectl get pods -n smf-data -o wide`
    /// (pods-wide.txt), whose header shows the wide column names.
    const PODS_WIDE_TXT: &str = "\
NAME                                               READY   STATUS             RESTARTS      AGE     IP                NODE      NOMINATED NODE   READINESS GATES
api-smf-data-ops-center-57c8f6b4d7-wt66s           1/1     Running            0             6d      192.168.41.137    master1   <none>           <none>
cache-pod-1                                        1/1     Running            0             7h1m    192.168.112.128   worker2   <none>           <none>
smart-agent-smf-data-ops-center-6667dcdd65-2h7nr   0/1     Evicted            0             6d      192.168.90.216    worker1   <none>           <none>
smart-agent-smf-data-ops-center-6667dcdd65-6wfvq   1/1     Running            0             4d18h   192.168.112.13    worker2   <none>           <none>
smf-service-n0-0                                   0/1     CrashLoopBackOff   5 (10m ago)   7h1m    192.168.112.75    worker2   <none>           <none>
";

    /// Splits kubectl output back into cells (no cell of these tables
    /// contains three spaces in a row).
    fn cells_of(txt: &str) -> Vec<Vec<String>> {
        txt.lines()
            .map(|l| {
                l.split("   ")
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .map(String::from)
                    .collect()
            })
            .collect()
    }

    fn rebuild(txt: &str, headers: &[&str], colour: bool) -> Table {
        let cells = cells_of(txt);
        let mut t = Table::new(headers);
        for mut row in cells.into_iter().skip(1) {
            row[2] = colour_status(&row[2], colour);
            t.row(row);
        }
        t
    }

    #[test]
    fn pods_table_is_kubectls_byte_for_byte() {
        // Column names as the API server's Table gives them, upper-cased here.
        let t = rebuild(
            PODS_TXT,
            &["Name", "Ready", "Status", "Restarts", "Age"],
            false,
        );
        assert_eq!(t.render(), PODS_TXT);
        assert!(!t.is_empty());
        let mut buf = Vec::new();
        t.write_to(&mut buf).unwrap();
        assert_eq!(String::from_utf8(buf).unwrap(), PODS_TXT);
        assert!(PODS_TXT.starts_with(
            "NAME                                               READY   STATUS             RESTARTS      AGE\n"
        ));
    }

    #[test]
    fn wide_pods_table_is_kubectls_byte_for_byte() {
        let headers = [
            "Name",
            "Ready",
            "Status",
            "Restarts",
            "Age",
            "IP",
            "Node",
            "Nominated Node",
            "Readiness Gates",
        ];
        let t = rebuild(PODS_WIDE_TXT, &headers, false);
        assert_eq!(t.render(), PODS_WIDE_TXT);
    }

    #[test]
    fn colour_codes_do_not_break_alignment() {
        let t = rebuild(
            PODS_TXT,
            &["NAME", "READY", "STATUS", "RESTARTS", "AGE"],
            true,
        );
        let rendered = t.render();
        assert!(rendered.contains("\x1b[31mCrashLoopBackOff\x1b[0m"));
        assert!(rendered.contains("\x1b[31mEvicted\x1b[0m"));
        assert!(rendered.contains("\x1b[32mRunning\x1b[0m"));
        let stripped = rendered
            .replace(RED, "")
            .replace(GREEN, "")
            .replace(YELLOW, "")
            .replace(RESET, "");
        assert_eq!(stripped, PODS_TXT);
    }

    #[test]
    fn coloured_last_column_and_widest_cell() {
        // The widest cell of a column coloured, and a coloured last column.
        let mut t = Table::new(&["status", "name"]);
        t.row(vec![colour_status("CrashLoopBackOff", true), "a".into()]);
        t.row(vec!["Running".into(), colour_status("Pending", true)]);
        assert_eq!(
            t.render(),
            "STATUS             NAME\n\
             \x1b[31mCrashLoopBackOff\x1b[0m   a\n\
             Running            \x1b[33mPending\x1b[0m\n"
        );
    }

    #[test]
    fn tabwriter_rules() {
        // minwidth 6: short columns are 6 wide; the last column is not padded.
        let mut t = Table::new(&["a", "b", "c"]);
        t.row(vec!["x".into(), "yy".into(), "z".into()]);
        t.row(vec!["x".into(), "".into(), "".into()]);
        assert_eq!(t.render(), "A     B     C\nx     yy    z\nx           \n");

        // Widest cell + 3.
        let mut t = Table::new(&["name", "ready"]);
        t.row(vec!["abcdefgh".into(), "1/1".into()]);
        assert_eq!(t.render(), "NAME       READY\nabcdefgh   1/1\n");

        // Header only; single column (never padded).
        assert_eq!(Table::new(&["name", "age"]).render(), "NAME   AGE\n");
        let mut t = Table::new(&["name"]);
        t.row(vec!["x".into()]);
        assert_eq!(t.render(), "NAME\nx\n");
        assert!(Table::new(&["x"]).is_empty());

        // Extra cells are dropped; a short row ends a column block, as in
        // tabwriter (the columns above and below it are sized separately).
        let mut t = Table::new(&["a", "b"]);
        t.row(vec!["1".into(), "2".into(), "3".into()]);
        t.row(vec!["only".into()]);
        assert_eq!(t.render(), "A     B\n1     2\nonly\n");
        let mut t = Table::new(&["a", "b"]);
        t.row(vec!["a-long-name".into()]);
        t.row(vec!["x".into(), "y".into()]);
        assert_eq!(t.render(), "A     B\na-long-name\nx     y\n");
    }

    #[test]
    fn cells_are_cleaned_like_kubectl() {
        let mut t = Table::new(&["message", "x"]);
        t.row(vec![
            "first line\nsecond".into(),
            "a\x1b]0;title\x07b".into(),
        ]);
        t.row(vec!["tab\there".into(), "c\rd".into()]);
        assert_eq!(
            t.render(),
            "MESSAGE         X\nfirst line...   a^[]0;title\x07b\ntab here        c...\n"
        );
    }

    #[test]
    fn status_colours() {
        for s in [
            "CrashLoopBackOff",
            "Error",
            "Evicted",
            "OOMKilled",
            "ImagePullBackOff",
            "ErrImagePull",
            "CreateContainerConfigError",
            "Init:Error",
            "Init:CrashLoopBackOff",
            "Init:ExitCode:1",
            "Init:Signal:9",
            "ExitCode:1",
            "Signal:9",
            "Failed",
            "NodeLost",
        ] {
            assert_eq!(colour_status(s, true), format!("{RED}{s}{RESET}"), "{s}");
        }
        for s in [
            "Pending",
            "ContainerCreating",
            "PodInitializing",
            "Terminating",
            "NotReady",
            "SchedulingGated",
            "Init:0/1",
            "Init:12/13",
            "Init:ContainerCreating",
            "Unknown",
        ] {
            assert_eq!(colour_status(s, true), format!("{YELLOW}{s}{RESET}"), "{s}");
        }
        for s in ["Running", "Completed"] {
            assert_eq!(colour_status(s, true), format!("{GREEN}{s}{RESET}"), "{s}");
        }
        assert_eq!(colour_status("CrashLoopBackOff", false), "CrashLoopBackOff");
        assert_eq!(colour_status("", true), "");
        // Escapes inside the word are neutralised, coloured or not.
        assert_eq!(colour_status("x\x1b[2J", false), "x^[[2J");
        assert_eq!(
            colour_status("x\x1b[2J", true),
            format!("{RED}x^[[2J{RESET}")
        );
    }

    #[test]
    fn no_color() {
        assert!(colour_wanted(true, None));
        assert!(colour_wanted(true, Some(OsStr::new(""))));
        assert!(!colour_wanted(true, Some(OsStr::new("1"))));
        assert!(!colour_wanted(true, Some(OsStr::new("0"))));
        assert!(!colour_wanted(false, None));
        assert!(!colour_wanted(false, Some(OsStr::new(""))));
        // Under `cargo test` stdout is captured or piped: never a terminal
        // unless run by hand in one.
        if !io::stdout().is_terminal() {
            assert!(!colour_enabled());
        }
    }

    #[test]
    fn widths_ignore_only_colour_codes() {
        assert_eq!(display_width("\x1b[31mabc\x1b[0m"), 3);
        assert_eq!(display_width("\x1b[1;31mabc\x1b[m"), 3);
        assert_eq!(display_width("é€"), 2);
        assert_eq!(sgr_len("\x1b[2J"), None);
        assert_eq!(sgr_len("\x1b[31mx"), Some(5));
    }
}
