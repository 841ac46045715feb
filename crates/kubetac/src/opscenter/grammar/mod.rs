//! The ops center's command language, in the ConfD/Cisco style of the
//! guide's `[brusmi/cee] cee#` CLI: one parser for the SSH shell and for
//! `kubetac shell`, so a line means the same in both, and `?` help and TAB
//! completion come from the same tree that parses.
//!
//! Cluster commands are not defined a second time here: `show pods ...` is
//! mapped onto the CLI's own clap definition (`kubetac pods ...`), which
//! checks the flags and gives the help texts, so the shell cannot drift from
//! the CLI. What only the shell has — configuration mode, pipes, the running
//! configuration — is defined here.
//!
//! The module needs only clap, regex, jiff, the debug-package request words
//! and the session's `Completion`, so the fuzz crate (`fuzz/`) can compile it
//! on its own.

mod cliargs;
mod config;
mod create;
mod lex;
mod pipe;
#[cfg(test)]
mod tests;

use std::fmt;

pub use config::{Setting, Unset};
pub use pipe::{Filter, Pipe};

use crate::opscenter::session::Completion;
use cliargs::{CliLeaf, Special};
use lex::Word;

/// Lines longer than this are refused: nobody types them, and a server
/// should not compile regexes of any size a client sends.
pub const MAX_LINE: usize = 8192;

/// CLI flags the ops center sets itself (which cluster, which store, which
/// Prometheus, its disk policy): refused in the shell and never offered.
pub const SERVER_FLAGS: &[&str] = &[
    "--kubeconfig",
    "--context",
    "--store",
    "--prometheus",
    "--metrics-queries",
    "--min-free-percent",
];

/// Exec mode (`cee#`) or configuration mode (`cee(config)#`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    Exec,
    Config,
}

/// A parsed line: a command and the pipes its output goes through.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub command: Command,
    /// Applied in order; only on commands that print ([`Command::prints`]).
    pub pipes: Vec<Pipe>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// A CLI command: run `kubetac <argv>` (argv without `kubetac`).
    Cli {
        argv: Vec<String>,
    },
    /// `show running-config [WORDS...]`: the words pick sections
    /// (`logging`, `logging name infra.config.core`); see [`section_matches`].
    ShowRunningConfig {
        filter: Vec<String>,
    },
    /// `config`: enter configuration mode.
    EnterConfig,
    /// `exit` in exec mode: close the session.
    Exit,
    Help,
    History,
    /// A blank line.
    Empty,
    /// `logging ...` in configuration mode (uncommitted until `commit`).
    Set(Setting),
    /// `no logging ...` in configuration mode.
    Unset(Unset),
    Commit,
    /// Drop the uncommitted changes and leave configuration mode.
    Abort,
    /// `end` or `exit` in configuration mode: leave it. With uncommitted
    /// changes the session refuses and says to `commit` or `abort` (the
    /// parser does not know about changes; the session does).
    End,
    /// `show configuration`: the uncommitted changes.
    ShowConfiguration,
}

impl Command {
    /// Whether the command writes output, so pipes make sense after it.
    pub fn prints(&self) -> bool {
        matches!(
            self,
            Command::Cli { .. }
                | Command::ShowRunningConfig { .. }
                | Command::Help
                | Command::History
                | Command::ShowConfiguration
        )
    }
}

/// Whether a running-configuration line belongs to the section that
/// `show running-config WORDS...` asked for: its first words are the filter
/// words (`logging name infra.config.core` keeps that logger's lines).
pub fn section_matches(filter: &[String], line: &str) -> bool {
    let mut words = line.split_whitespace();
    filter.iter().all(|f| words.next() == Some(f.as_str()))
}

/// A line the grammar refuses, with the byte offset (in the line) of the
/// word to put the `^` marker under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrammarError {
    /// Byte offset in the line, at most `line.len()` (the end of the line
    /// when something is missing).
    pub pos: usize,
    pub message: String,
}

impl GrammarError {
    pub(crate) fn new(pos: usize, message: impl Into<String>) -> GrammarError {
        GrammarError {
            pos,
            message: message.into(),
        }
    }

    /// ConfD's answer to a bad line: the `^` marker under the bad word
    /// (`prompt_len` is the prompt's width in columns, as the line was typed
    /// after it), then the detail. Ends with a newline.
    pub fn render(&self, prompt_len: usize, line: &str) -> String {
        let upto = &line[..floor_boundary(line, self.pos)];
        let col = prompt_len + upto.chars().map(char_width).sum::<usize>();
        format!(
            "{}^\n% Invalid input detected at '^' marker.\n% {}\n",
            " ".repeat(col),
            self.message
        )
    }
}

impl fmt::Display for GrammarError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for GrammarError {}

/// Dynamic completion candidates: what is in the cluster and the store now.
pub trait Values {
    fn namespaces(&self) -> Vec<String>;
    /// Pods of `namespace`, or of the default namespace when `None`.
    fn pods(&self, namespace: Option<&str>) -> Vec<String>;
    fn package_ids(&self) -> Vec<String>;
    /// Logger names in the configuration, for `logging name <TAB>`.
    fn logger_names(&self) -> Vec<String> {
        Vec::new()
    }
}

/// The command language, built once from the CLI's clap tree.
pub struct Grammar {
    exec: Vec<Node>,
    config: Vec<Node>,
}

struct Node {
    word: &'static str,
    help: String,
    what: What,
}

enum What {
    Branch(Vec<Node>),
    Leaf(Leaf),
}

enum Leaf {
    /// A command without arguments.
    Fixed(Command),
    RunningConfig,
    Config(config::Form),
    Cli(Box<CliLeaf>),
}

/// A shell command that is a CLI command.
struct Mapping {
    shell: &'static [&'static str],
    cli: &'static [&'static str],
    /// Words the shell puts after the CLI path (`show pod X` is `describe pod X`).
    fixed: &'static [&'static str],
    special: Special,
}

const fn map(
    shell: &'static [&'static str],
    cli: &'static [&'static str],
    fixed: &'static [&'static str],
    special: Special,
) -> Mapping {
    Mapping {
        shell,
        cli,
        fixed,
        special,
    }
}

/// The shell's CLI commands; those the given clap tree lacks are left out.
const CLI_MAP: &[Mapping] = &[
    map(&["show", "pods"], &["pods"], &[], Special::None),
    map(&["show", "namespaces"], &["ns"], &[], Special::None),
    map(&["show", "services"], &["svc"], &[], Special::None),
    map(&["show", "pod"], &["describe"], &["pod"], Special::Pod),
    map(&["show", "containers"], &["containers"], &[], Special::Pod),
    map(&["show", "logs"], &["logs"], &[], Special::Pod),
    map(&["show", "urls"], &["urls"], &[], Special::None),
    map(&["show", "cores"], &["cores"], &[], Special::Cores),
    map(&["show", "node-logs"], &["node-logs"], &[], Special::None),
    map(&["triage"], &["triage"], &[], Special::None),
    map(
        &["cluster", "logs"],
        &["cluster", "logs"],
        &[],
        Special::Pod,
    ),
    map(
        &["tac-debug-pkg", "create"],
        &["tac-debug-pkg", "create"],
        &[],
        Special::Create,
    ),
    map(
        &["tac-debug-pkg", "status"],
        &["tac-debug-pkg", "status"],
        &[],
        Special::None,
    ),
    map(
        &["tac-debug-pkg", "list"],
        &["tac-debug-pkg", "list"],
        &[],
        Special::None,
    ),
    map(
        &["tac-debug-pkg", "delete"],
        &["tac-debug-pkg", "delete"],
        &[],
        Special::Delete,
    ),
];

const RUNNING_CONFIG_HELP: &str =
    "Show the running configuration (words pick a section: logging ...)";

fn node(word: &'static str, help: &str, what: What) -> Node {
    Node {
        word,
        help: help.to_string(),
        what,
    }
}

fn fixed(word: &'static str, help: &str, c: Command) -> Node {
    node(word, help, What::Leaf(Leaf::Fixed(c)))
}

/// The first sentence of a clap help text, for one-line `?` help.
fn one_line(s: &str) -> String {
    let first = s.lines().next().unwrap_or_default().trim();
    let first = match first.find(". ") {
        Some(i) => &first[..i],
        None => first,
    };
    first.trim_end_matches('.').to_string()
}

fn about(cmd: &clap::Command) -> String {
    cmd.get_about()
        .map(|a| one_line(&a.to_string()))
        .unwrap_or_default()
}

fn find_path<'a>(root: &'a clap::Command, path: &[&str]) -> Option<&'a clap::Command> {
    let mut c = root;
    for p in path {
        c = c.find_subcommand(p)?;
    }
    Some(c)
}

/// Puts `leaf` at `path` in the tree, making the branches on the way.
fn insert(
    nodes: &mut Vec<Node>,
    path: &[&'static str],
    leaf: Node,
    branch_help: &dyn Fn(&str) -> String,
) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    if rest.is_empty() {
        nodes.push(leaf);
        return;
    }
    let i = match nodes.iter().position(|n| n.word == *first) {
        Some(i) => i,
        None => {
            nodes.push(node(first, &branch_help(first), What::Branch(Vec::new())));
            nodes.len() - 1
        }
    };
    if let What::Branch(children) = &mut nodes[i].what {
        insert(children, rest, leaf, branch_help);
    }
}

fn exec_tree(root: &clap::Command) -> Vec<Node> {
    let mut top = vec![
        node(
            "show",
            "Show the cluster, the packages, the running configuration",
            What::Branch(vec![node(
                "running-config",
                RUNNING_CONFIG_HELP,
                What::Leaf(Leaf::RunningConfig),
            )]),
        ),
        fixed("config", "Enter configuration mode", Command::EnterConfig),
        fixed("exit", "Close the session", Command::Exit),
        fixed("help", "How to use this CLI", Command::Help),
        fixed(
            "history",
            "The commands typed in this session",
            Command::History,
        ),
    ];
    let branch_help = |w: &str| root.find_subcommand(w).map(about).unwrap_or_default();
    for m in CLI_MAP {
        let Some(cmd) = find_path(root, m.cli) else {
            continue;
        };
        let Some(top_cmd) = root.find_subcommand(m.cli[0]) else {
            continue;
        };
        let leaf = CliLeaf::new(m.cli, m.fixed, m.special, top_cmd.clone(), cmd.clone());
        let word = m.shell[m.shell.len() - 1];
        let n = node(word, &about(cmd), What::Leaf(Leaf::Cli(Box::new(leaf))));
        insert(&mut top, m.shell, n, &branch_help);
    }
    top
}

fn config_tree() -> Vec<Node> {
    use config::Form;
    let leaf = |f: Form| What::Leaf(Leaf::Config(f));
    vec![
        node(
            "logging",
            "Log levels of the network functions",
            What::Branch(vec![
                node(
                    "level",
                    "The level of a log kind for every logger",
                    leaf(Form::SetLevel),
                ),
                node(
                    "name",
                    "The levels of one logger (infra.config.core ...)",
                    leaf(Form::SetName),
                ),
            ]),
        ),
        node(
            "no",
            "Remove a setting",
            What::Branch(vec![node(
                "logging",
                "Log levels",
                What::Branch(vec![
                    node(
                        "level",
                        "Remove the level of a log kind",
                        leaf(Form::UnsetLevel),
                    ),
                    node("name", "Remove a logger's levels", leaf(Form::UnsetName)),
                ]),
            )]),
        ),
        fixed(
            "commit",
            "Make the changes the running configuration",
            Command::Commit,
        ),
        fixed(
            "abort",
            "Drop the uncommitted changes and leave configuration mode",
            Command::Abort,
        ),
        fixed("end", "Leave configuration mode", Command::End),
        fixed("exit", "Leave configuration mode", Command::End),
        node(
            "show",
            "Show the configuration",
            What::Branch(vec![
                fixed(
                    "configuration",
                    "The uncommitted changes",
                    Command::ShowConfiguration,
                ),
                node(
                    "running-config",
                    RUNNING_CONFIG_HELP,
                    What::Leaf(Leaf::RunningConfig),
                ),
            ]),
        ),
        fixed("help", "How to use this CLI", Command::Help),
        fixed(
            "history",
            "The commands typed in this session",
            Command::History,
        ),
    ]
}

/// How a keyword matched: exactly or as the only option it starts.
pub(crate) enum Pick<'a> {
    One(&'a str),
    Ambiguous(Vec<&'a str>),
    None,
}

/// ConfD accepts any unambiguous prefix of a keyword; an exact match wins
/// over longer keywords it starts (`pod` vs `pods`).
pub(crate) fn pick<'a>(word: &str, options: impl IntoIterator<Item = &'a str>) -> Pick<'a> {
    if word.is_empty() {
        return Pick::None;
    }
    let mut found: Vec<&'a str> = Vec::new();
    for o in options {
        if o == word {
            return Pick::One(o);
        }
        if o.starts_with(word) && !found.contains(&o) {
            found.push(o);
        }
    }
    match found.len() {
        0 => Pick::None,
        1 => Pick::One(found[0]),
        _ => {
            found.sort_unstable();
            Pick::Ambiguous(found)
        }
    }
}

/// User text inside a message, cut so a long word cannot flood the screen.
pub(crate) fn shown(s: &str) -> String {
    const MAX: usize = 40;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        let cut: String = s.chars().take(MAX).collect();
        format!("{cut}…")
    }
}

fn floor_boundary(s: &str, i: usize) -> usize {
    let mut i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Terminal columns of a character: wide for CJK and emoji, zero for
/// combining marks, so the `^` lands under the right word.
fn char_width(c: char) -> usize {
    let u = c as u32;
    match u {
        0x0300..=0x036F | 0x200B..=0x200F | 0xFE00..=0xFE0F => 0,
        0x1100..=0x115F
        | 0x2E80..=0x303E
        | 0x3041..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x1F300..=0x1F64F
        | 0x1F900..=0x1F9FF
        | 0x20000..=0x3FFFD => 2,
        _ => 1,
    }
}

/// A completion or `?` candidate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cand {
    pub word: String,
    pub help: String,
    /// `<POD>`-like: shown by `?`, never inserted by TAB.
    pub placeholder: bool,
}

impl Cand {
    pub(crate) fn word(word: impl Into<String>, help: impl Into<String>) -> Cand {
        Cand {
            word: word.into(),
            help: help.into(),
            placeholder: false,
        }
    }

    pub(crate) fn placeholder(word: impl Into<String>, help: impl Into<String>) -> Cand {
        Cand {
            word: word.into(),
            help: help.into(),
            placeholder: true,
        }
    }
}

/// Where the walk down the keyword tree ended.
enum Walk<'a> {
    /// At a command; its arguments start at word `args`.
    Leaf {
        leaf: &'a Leaf,
        path: Vec<&'static str>,
        args: usize,
    },
    /// The words ran out at a branch.
    Incomplete {
        children: &'a [Node],
        path: Vec<&'static str>,
    },
    Unknown {
        at: usize,
        children: &'a [Node],
        path: Vec<&'static str>,
    },
    Ambiguous {
        at: usize,
        options: Vec<&'static str>,
    },
}

fn walk<'a>(mut nodes: &'a [Node], words: &[Word]) -> Walk<'a> {
    let mut path = Vec::new();
    for (i, w) in words.iter().enumerate() {
        let n = match pick(&w.text, nodes.iter().map(|n| n.word)) {
            Pick::One(word) => nodes.iter().find(|n| n.word == word),
            Pick::Ambiguous(options) => return Walk::Ambiguous { at: i, options },
            Pick::None => None,
        };
        let Some(n) = n else {
            return Walk::Unknown {
                at: i,
                children: nodes,
                path,
            };
        };
        path.push(n.word);
        match &n.what {
            What::Branch(children) => nodes = children,
            What::Leaf(leaf) => {
                return Walk::Leaf {
                    leaf,
                    path,
                    args: i + 1,
                };
            }
        }
    }
    Walk::Incomplete {
        children: nodes,
        path,
    }
}

fn words_list(nodes: &[Node]) -> String {
    let mut w: Vec<&str> = nodes.iter().map(|n| n.word).collect();
    w.sort_unstable();
    w.join(", ")
}

impl Grammar {
    /// `cli` is the CLI's command tree (`crate::cli::Args::command()`).
    pub fn new(cli: clap::Command) -> Grammar {
        let mut cli = cli.color(clap::ColorChoice::Never);
        cli.build();
        Grammar {
            exec: exec_tree(&cli),
            config: config_tree(),
        }
    }

    fn tree(&self, mode: Mode) -> &[Node] {
        match mode {
            Mode::Exec => &self.exec,
            Mode::Config => &self.config,
        }
    }

    pub fn parse(&self, line: &str, mode: Mode) -> Result<Line, GrammarError> {
        if line.len() > MAX_LINE {
            return Err(GrammarError::new(
                floor_boundary(line, MAX_LINE),
                format!("the line is too long (more than {MAX_LINE} bytes)"),
            ));
        }
        let words = lex::lex(line)?;
        let first_pipe = words.iter().position(|w| w.pipe);
        let (cmd_words, rest) = words.split_at(first_pipe.unwrap_or(words.len()));
        let end = rest.first().map_or(line.len(), |w| w.start);
        let command = self.command(cmd_words, end, mode)?;
        let pipes = pipe::parse_all(rest, line.len())?;
        if let (Some(bar), false) = (rest.first(), pipes.is_empty() || command.prints()) {
            return Err(GrammarError::new(
                bar.start,
                "this command prints nothing to filter: pipes go after commands that print",
            ));
        }
        Ok(Line { command, pipes })
    }

    fn command(&self, words: &[Word], end: usize, mode: Mode) -> Result<Command, GrammarError> {
        if words.is_empty() {
            return Ok(Command::Empty);
        }
        match walk(self.tree(mode), words) {
            Walk::Leaf { leaf, path, args } => self.leaf(leaf, &path, &words[args..], end),
            Walk::Incomplete { children, path } => Err(GrammarError::new(
                end,
                format!(
                    "incomplete command: `{}` goes on with one of: {}",
                    path.join(" "),
                    words_list(children)
                ),
            )),
            Walk::Ambiguous { at, options } => Err(GrammarError::new(
                words[at].start,
                format!(
                    "ambiguous command: `{}` could be {}",
                    shown(&words[at].text),
                    options.join(", ")
                ),
            )),
            Walk::Unknown { at, children, path } => {
                Err(self.unknown(words, at, children, &path, mode))
            }
        }
    }

    fn unknown(
        &self,
        words: &[Word],
        at: usize,
        children: &[Node],
        path: &[&str],
        mode: Mode,
    ) -> GrammarError {
        let w = &words[at];
        let typed: Vec<&str> = words[..=at].iter().map(|w| w.text.as_str()).collect();
        let other = match mode {
            Mode::Exec => Mode::Config,
            Mode::Config => Mode::Exec,
        };
        let in_other = matches!(
            walk(self.tree(other), &words[..=at]),
            Walk::Leaf { .. } | Walk::Incomplete { .. }
        );
        let message = if in_other {
            match mode {
                Mode::Exec => format!(
                    "`{}` is a configuration command: enter configuration mode with `config` first",
                    shown(&typed.join(" "))
                ),
                Mode::Config => format!(
                    "`{}` is an exec-mode command: leave configuration mode with `end` first",
                    shown(&typed.join(" "))
                ),
            }
        } else if let Some(m) = CLI_MAP
            .iter()
            .find(|m| path.is_empty() && mode == Mode::Exec && m.cli[0] == w.text)
        {
            // The CLI's spelling typed in the shell: say the shell's.
            format!(
                "unknown command `{}`: in this CLI it is `{}`",
                shown(&w.text),
                m.shell.join(" ")
            )
        } else if path.is_empty() {
            format!(
                "unknown command `{}`: commands are {}",
                shown(&w.text),
                words_list(children)
            )
        } else {
            format!(
                "unknown word `{}` after `{}`: expected one of {}",
                shown(&w.text),
                path.join(" "),
                words_list(children)
            )
        };
        GrammarError::new(w.start, message)
    }

    fn leaf(
        &self,
        leaf: &Leaf,
        path: &[&str],
        args: &[Word],
        end: usize,
    ) -> Result<Command, GrammarError> {
        match leaf {
            Leaf::Fixed(c) => match args.first() {
                Some(w) => Err(GrammarError::new(
                    w.start,
                    format!("`{}` takes no arguments", path.join(" ")),
                )),
                None => Ok(c.clone()),
            },
            Leaf::RunningConfig => Ok(Command::ShowRunningConfig {
                filter: config::running_config_filter(args)?,
            }),
            Leaf::Config(form) => config::parse(*form, args, end),
            Leaf::Cli(c) => c.parse(args, end),
        }
    }

    /// TAB: the word under the cursor (from `start` to `cursor`) and the
    /// words that can replace it.
    pub fn complete(
        &self,
        line: &str,
        cursor: usize,
        mode: Mode,
        values: &dyn Values,
    ) -> Completion {
        let (start, cur, cands) = self.candidates(line, cursor, mode, values);
        let mut candidates: Vec<String> = cands
            .into_iter()
            .filter(|c| !c.placeholder && c.word.starts_with(cur.as_str()))
            .map(|c| lex::quote(&c.word))
            .collect();
        candidates.sort();
        candidates.dedup();
        Completion { start, candidates }
    }

    /// `?` at the end of `line`: the possible next words with one line of
    /// help each, as ConfD prints them. Ends with a newline.
    pub fn help(&self, line: &str, mode: Mode, values: &dyn Values) -> String {
        let (start, cur, cands) = self.candidates(line, line.len(), mode, values);
        let mut places: Vec<(String, String)> = Vec::new();
        let mut words: Vec<(String, String)> = Vec::new();
        for c in cands {
            let row = (c.word, c.help);
            if c.placeholder {
                if !places.contains(&row) {
                    places.push(row);
                }
            } else if row.0.starts_with(cur.as_str()) && !words.iter().any(|w| w.0 == row.0) {
                words.push(row);
            }
        }
        words.sort();
        let mut rows = places;
        rows.extend(words);
        if cur.is_empty()
            && let Ok(l) = self.parse(line, mode)
            && l.command != Command::Empty
        {
            if l.command.prints() {
                rows.push(("|".into(), "Output modifiers".into()));
            }
            rows.push(("<cr>".into(), String::new()));
        }
        if rows.is_empty() {
            return match self.parse(line, mode) {
                Err(e) if e.pos < start => format!("% {}\n", e.message),
                _ => "% No possible completions\n".to_string(),
            };
        }
        let width = rows
            .iter()
            .map(|r| r.0.chars().count())
            .max()
            .unwrap_or(0)
            .min(30);
        let mut out = String::from("Possible completions:\n");
        for (w, h) in rows {
            if h.is_empty() {
                out.push_str(&format!("  {w}\n"));
            } else {
                out.push_str(&format!("  {w:<width$}  {h}\n"));
            }
        }
        out
    }

    /// The candidates for the word under the cursor: its start, its text so
    /// far (unquoted) and every candidate (not yet filtered by that text).
    fn candidates(
        &self,
        line: &str,
        cursor: usize,
        mode: Mode,
        values: &dyn Values,
    ) -> (usize, String, Vec<Cand>) {
        let cursor = floor_boundary(line, cursor);
        let (mut words, mut open) = lex::lex_partial(&line[..cursor]);
        if open && words.last().is_some_and(|w| w.pipe) {
            open = false;
        }
        let current = if open { words.pop() } else { None };
        let start = current.as_ref().map_or(cursor, |w| w.start);
        let cur = current.map(|w| w.text).unwrap_or_default();
        let cands = match words.iter().rposition(|w| w.pipe) {
            Some(p) => pipe::candidates(&words[p + 1..]),
            None => match walk(self.tree(mode), &words) {
                Walk::Incomplete { children, .. } => children
                    .iter()
                    .map(|n| Cand::word(n.word, n.help.clone()))
                    .collect(),
                Walk::Leaf { leaf, args, .. } => {
                    let args = &words[args..];
                    match leaf {
                        Leaf::Fixed(_) => Vec::new(),
                        Leaf::RunningConfig => config::running_config_candidates(args),
                        Leaf::Config(form) => config::candidates(*form, args, values),
                        Leaf::Cli(c) => c.candidates(args, &cur, values),
                    }
                }
                _ => Vec::new(),
            },
        };
        (start, cur, cands)
    }
}
