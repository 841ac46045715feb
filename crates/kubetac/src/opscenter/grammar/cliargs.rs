//! The shell's CLI commands (`show pods -n smf-data`): their arguments are
//! the CLI's, checked by the CLI's own clap definition, and completed from
//! it (flags, value enums) and from the cluster (namespaces, pods).

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Arg, ArgAction};

use super::lex::Word;
use super::pipe::regex_why;
use super::{Cand, Command, GrammarError, SERVER_FLAGS, Values, create, one_line, shown};

/// What the shell knows about a command beyond its clap definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Special {
    None,
    /// The first positional is a pod (or, for `cluster logs`, a regex over
    /// pod names): completed with the pods of the `-n` namespace.
    Pod,
    /// `cores get` writes a file where kubetac runs: on the server here.
    Cores,
    /// The guide's `from T to T logs-filter { ... }` words.
    Create,
    /// `delete tac-id ID`.
    Delete,
}

pub(crate) struct CliLeaf {
    /// The argv before the user's words: the CLI path, then fixed words.
    prefix: Vec<&'static str>,
    /// Positionals the fixed words fill (`describe pod`).
    fixed: usize,
    special: Special,
    /// The top-level subcommand, parsed by value (clap consumes it), so
    /// cloned for each line.
    top: clap::Command,
    /// The command itself, for its flags and positionals.
    pub(crate) cmd: clap::Command,
}

/// What a word is to the command, as clap reads the words.
#[derive(Debug, Clone)]
pub(crate) enum Role<'c> {
    /// A flag; `None` if the command has no such flag.
    Flag(Option<&'c Arg>),
    /// A flag's value, in its own word or attached (`--x=v`, `-nv`).
    Value(&'c Arg, String),
    Positional(Option<&'c Arg>),
    DashDash,
}

fn takes_value(a: &Arg) -> bool {
    a.get_action().takes_values()
}

fn multi(a: &Arg) -> bool {
    a.get_num_args().is_some_and(|r| r.max_values() > 1)
        || matches!(a.get_action(), ArgAction::Append)
}

/// Splits words into flags, flag values and positionals as clap does (a
/// trailing var arg takes everything after its first word). `fixed`
/// positionals are already filled.
pub(crate) fn roles<'c>(cmd: &'c clap::Command, words: &[Word], fixed: usize) -> Vec<Role<'c>> {
    roles_and_pending(cmd, words, fixed).0
}

/// [`roles`], and the flag still waiting for its value after the words.
pub(crate) fn roles_and_pending<'c>(
    cmd: &'c clap::Command,
    words: &[Word],
    fixed: usize,
) -> (Vec<Role<'c>>, Option<&'c Arg>) {
    let mut positionals: Vec<&Arg> = cmd.get_positionals().collect();
    positionals.sort_by_key(|a| a.get_index().unwrap_or(usize::MAX));
    let mut out = Vec::with_capacity(words.len());
    let mut pending: Option<&Arg> = None;
    let mut n = fixed;
    let mut rest_positional = false;
    for w in words {
        let t = w.text.as_str();
        if let Some(a) = pending.take() {
            out.push(Role::Value(a, t.to_string()));
            continue;
        }
        if rest_positional || !t.starts_with('-') || t == "-" {
            let a = positionals.get(n).copied();
            if let Some(a) = a {
                rest_positional |= a.is_trailing_var_arg_set();
                if !multi(a) {
                    n += 1;
                }
            }
            out.push(Role::Positional(a));
            continue;
        }
        if t == "--" {
            rest_positional = true;
            out.push(Role::DashDash);
            continue;
        }
        if let Some(long) = t.strip_prefix("--") {
            let (name, value) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (long, None),
            };
            let a = cmd.get_arguments().find(|a| a.get_long() == Some(name));
            out.push(match (a, value) {
                (Some(a), Some(v)) => Role::Value(a, v.to_string()),
                (Some(a), None) => {
                    if takes_value(a) {
                        pending = Some(a);
                    }
                    Role::Flag(Some(a))
                }
                (None, _) => Role::Flag(None),
            });
            continue;
        }
        // Short flags, maybe several (`-Ap`) or with the value attached (`-nsmf-data`).
        let mut role = Role::Flag(None);
        for (k, c) in t.char_indices().skip(1) {
            let Some(a) = cmd.get_arguments().find(|a| a.get_short() == Some(c)) else {
                break;
            };
            if !takes_value(a) {
                role = Role::Flag(Some(a));
                continue;
            }
            let attached = t[k + c.len_utf8()..].trim_start_matches('=');
            if attached.is_empty() {
                pending = Some(a);
                role = Role::Flag(Some(a));
            } else {
                role = Role::Value(a, attached.to_string());
            }
            break;
        }
        out.push(role);
    }
    (out, pending)
}

/// The server flag a word gives, if any (`--store`, `--store=x`).
fn server_flag(t: &str) -> Option<&'static str> {
    SERVER_FLAGS
        .iter()
        .copied()
        .find(|f| t == *f || t.strip_prefix(f).is_some_and(|r| r.starts_with('=')))
}

/// A value the CLI reads as a regex (by its value name: REGEX, RE, ...).
fn is_regex(a: &Arg) -> bool {
    a.get_value_names()
        .and_then(|v| v.first())
        .is_some_and(|n| n.as_str() == "RE" || n.as_str().ends_with("REGEX"))
}

fn is_namespace(a: &Arg) -> bool {
    a.get_long() == Some("namespace")
}

fn help_of(a: &Arg) -> String {
    a.get_help()
        .map(|h| one_line(&h.to_string()))
        .unwrap_or_default()
}

fn placeholder(a: &Arg) -> Cand {
    let name = a
        .get_value_names()
        .and_then(|v| v.first())
        .map(|n| n.to_string())
        .unwrap_or_else(|| a.get_id().to_string().to_uppercase());
    Cand::placeholder(format!("<{name}>"), help_of(a))
}

/// A package id as the store names them (the creation time in seconds).
fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 20 && id.bytes().all(|b| b.is_ascii_digit())
}

/// clap's message without "error:", ANSI, usage and the help hint.
fn clap_message(e: &clap::Error) -> String {
    let text = e.render().to_string();
    let mut parts: Vec<String> = Vec::new();
    for l in text.lines() {
        let l = strip_ansi(l.trim());
        if l.starts_with("Usage:") || l.starts_with("For more information") {
            break;
        }
        // "use '-- -o'" would pass the word on as a value: not what a
        // shell user who mistyped a flag wants to hear.
        if !l.is_empty() && !l.starts_with("tip: to pass") {
            parts.push(l);
        }
    }
    let m = match parts.split_first() {
        // The first line is the error; more lines either continue it (a
        // list of missing arguments) or are tips.
        Some((first, rest)) if first.ends_with(':') => {
            format!("{first} {}", rest.join(", "))
        }
        _ => parts.join("; "),
    };
    let m = m.strip_prefix("error: ").unwrap_or(&m).to_string();
    if m.is_empty() {
        "invalid arguments".to_string()
    } else {
        m
    }
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

impl CliLeaf {
    pub(crate) fn new(
        path: &[&'static str],
        fixed: &[&'static str],
        special: Special,
        top: clap::Command,
        cmd: clap::Command,
    ) -> CliLeaf {
        CliLeaf {
            prefix: path.iter().chain(fixed).copied().collect(),
            fixed: fixed.len(),
            special,
            top,
            cmd,
        }
    }

    pub(crate) fn parse(&self, args: &[Word], end: usize) -> Result<Command, GrammarError> {
        for w in args.iter().take_while(|w| w.text != "--") {
            if let Some(f) = server_flag(&w.text) {
                return Err(GrammarError::new(
                    w.start,
                    format!("`{f}` is the ops center's own setting: it cannot be given here"),
                ));
            }
        }
        let words = match self.special {
            Special::Create => create::expand(&self.cmd, args.to_vec())?,
            Special::Delete => self.delete_words(args, end)?,
            Special::Cores => {
                let roles = roles(&self.cmd, args, 0);
                // The first positional is the subcommand; clap explains any other word.
                let first = roles.iter().position(|r| matches!(r, Role::Positional(_)));
                if let Some(i) =
                    first.filter(|&i| self.cmd.find_subcommand(&args[i].text).is_some())
                {
                    return Err(GrammarError::new(
                        args[i].start,
                        "`cores get` downloads to the machine kubetac runs on: run `kubetac cores get` on yours",
                    ));
                }
                args.to_vec()
            }
            Special::None | Special::Pod => args.to_vec(),
        };
        let argv: Vec<String> = self
            .prefix
            .iter()
            .map(|s| s.to_string())
            .chain(words.iter().map(|w| w.text.clone()))
            .collect();
        if let Err(e) = self.top.clone().try_get_matches_from(&argv)
            && !matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion)
        {
            return Err(self.clap_error(&e, &words, end));
        }
        self.check_regexes(&words)?;
        if self.special == Special::Create {
            create::validate(&self.cmd, &words, end)?;
        }
        Ok(Command::Cli { argv })
    }

    /// `delete tac-id ID` with `tac-id` abbreviated as any keyword, or the
    /// id alone; the id is checked here so a typo is caught at its word.
    fn delete_words(&self, args: &[Word], end: usize) -> Result<Vec<Word>, GrammarError> {
        let mut words = args.to_vec();
        let pos: Vec<usize> = roles(&self.cmd, args, 0)
            .iter()
            .enumerate()
            .filter(|(_, r)| matches!(r, Role::Positional(_)))
            .map(|(i, _)| i)
            .collect();
        let Some(&first) = pos.first() else {
            return Ok(words);
        };
        let t = words[first].text.clone();
        let keyword = !t.is_empty() && "tac-id".starts_with(&t);
        if keyword {
            words[first].text = "tac-id".into();
        } else if pos.len() > 1 {
            return Err(GrammarError::new(
                words[first].start,
                format!(
                    "unexpected `{}`: `delete tac-id ID`, or `delete ID`",
                    shown(&t)
                ),
            ));
        }
        let id = match (keyword, pos.get(1)) {
            (true, Some(&i)) | (false, Some(&i)) => &words[i],
            (false, None) => &words[first],
            (true, None) => {
                return Err(GrammarError::new(
                    end,
                    "a package id is missing after `tac-id`",
                ));
            }
        };
        if !valid_id(&id.text) {
            return Err(GrammarError::new(
                id.start,
                format!(
                    "`{}` is not a package id: ids are numbers, like 1591662529",
                    shown(&id.text)
                ),
            ));
        }
        Ok(words)
    }

    fn check_regexes(&self, words: &[Word]) -> Result<(), GrammarError> {
        for (w, role) in words.iter().zip(roles(&self.cmd, words, self.fixed)) {
            let (a, text) = match role {
                Role::Value(a, v) => (a, v),
                Role::Positional(Some(a)) => (a, w.text.clone()),
                _ => continue,
            };
            if is_regex(a)
                && let Err(e) = regex::Regex::new(&text)
            {
                return Err(GrammarError::new(
                    w.start,
                    format!("bad regex `{}`: {}", shown(&text), regex_why(&e)),
                ));
            }
        }
        Ok(())
    }

    /// Puts clap's complaint under the word it is about.
    fn clap_error(&self, e: &clap::Error, words: &[Word], end: usize) -> GrammarError {
        let ctx = |k: ContextKind| match e.get(k) {
            Some(ContextValue::String(s)) => Some(s.as_str()),
            Some(ContextValue::Strings(v)) => v.first().map(String::as_str),
            _ => None,
        };
        let missing = matches!(
            e.kind(),
            ErrorKind::MissingRequiredArgument
                | ErrorKind::MissingSubcommand
                | ErrorKind::TooFewValues
                | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
        );
        let pos = if missing {
            None
        } else {
            let invalid = self.locate(
                words,
                ctx(ContextKind::InvalidArg),
                ctx(ContextKind::InvalidValue),
                ctx(ContextKind::InvalidSubcommand),
            );
            // Of two conflicting flags, the one given second is the mistake.
            let prior = match e.kind() {
                ErrorKind::ArgumentConflict => {
                    self.locate(words, ctx(ContextKind::PriorArg), None, None)
                }
                _ => None,
            };
            invalid.max(prior)
        };
        GrammarError::new(pos.unwrap_or(end), clap_message(e))
    }

    fn locate(
        &self,
        words: &[Word],
        arg: Option<&str>,
        value: Option<&str>,
        sub: Option<&str>,
    ) -> Option<usize> {
        let flag = arg.and_then(|a| a.split_whitespace().next());
        let the_arg = flag.and_then(|f| {
            self.cmd.get_arguments().find(|a| {
                f.strip_prefix("--")
                    .is_some_and(|l| a.get_long() == Some(l))
                    || (!f.starts_with("--")
                        && f.strip_prefix('-')
                            .is_some_and(|s| a.get_short().is_some_and(|c| s.starts_with(c))))
            })
        });
        if let Some(v) = value {
            if let Some(a) = the_arg {
                let r = roles(&self.cmd, words, self.fixed);
                for (i, role) in r.iter().enumerate() {
                    if let Role::Value(b, text) = role
                        && b.get_id() == a.get_id()
                        && text == v
                    {
                        return Some(words[i].start);
                    }
                }
            }
            if let Some(w) = words.iter().find(|w| w.text == v) {
                return Some(w.start);
            }
        }
        if let Some(a) = arg
            && let Some(w) = words.iter().find(|w| w.text == a)
        {
            return Some(w.start);
        }
        if let Some(f) = flag {
            if let Some(w) = words
                .iter()
                .find(|w| w.text == f || w.text.strip_prefix(f).is_some_and(|r| r.starts_with('=')))
            {
                return Some(w.start);
            }
            if let Some(a) = the_arg {
                let r = roles(&self.cmd, words, self.fixed);
                for (i, role) in r.iter().enumerate() {
                    if matches!(role, Role::Flag(Some(b)) | Role::Value(b, _) if b.get_id() == a.get_id())
                    {
                        return Some(words[i].start);
                    }
                }
            }
            let short = f.strip_prefix('-').filter(|s| !s.starts_with('-'));
            if let Some(c) = short.and_then(|s| s.chars().next())
                && let Some(w) = words.iter().find(|w| {
                    w.text.starts_with('-') && !w.text.starts_with("--") && w.text.contains(c)
                })
            {
                return Some(w.start);
            }
        }
        if let Some(s) = sub
            && let Some(w) = words.iter().find(|w| w.text == s)
        {
            return Some(w.start);
        }
        None
    }

    /// The namespace the words name with `-n`, for pod candidates.
    pub(crate) fn namespace(roles: &[Role<'_>]) -> Option<String> {
        roles.iter().rev().find_map(|r| match r {
            Role::Value(a, v) if is_namespace(a) => {
                Some(v.split(',').next().unwrap_or_default().to_string())
            }
            _ => None,
        })
    }

    /// Candidates for the value of flag `a`.
    pub(crate) fn value_candidates(a: &Arg, roles: &[Role<'_>], values: &dyn Values) -> Vec<Cand> {
        let mut out: Vec<Cand> = a
            .get_possible_values()
            .iter()
            .filter(|p| !p.is_hide_set())
            .map(|p| {
                Cand::word(
                    p.get_name(),
                    p.get_help()
                        .map(|h| one_line(&h.to_string()))
                        .unwrap_or_default(),
                )
            })
            .collect();
        if out.is_empty() {
            out.push(placeholder(a));
            if is_namespace(a) {
                out.extend(values.namespaces().into_iter().map(|n| Cand::word(n, "")));
            } else if a.get_long() == Some("pod") {
                let ns = Self::namespace(roles);
                out.extend(
                    values
                        .pods(ns.as_deref())
                        .into_iter()
                        .map(|p| Cand::word(p, "")),
                );
            }
        }
        out
    }

    /// The flags that can still be given.
    pub(crate) fn flag_candidates(&self, roles: &[Role<'_>]) -> Vec<Cand> {
        let mut out = Vec::new();
        for a in self.cmd.get_arguments() {
            let id = a.get_id().as_str();
            if a.is_positional()
                || a.is_hide_set()
                || a.is_global_set()
                || id == "help"
                || id == "version"
            {
                continue;
            }
            if a.get_long()
                .is_some_and(|l| server_flag(&format!("--{l}")).is_some())
            {
                continue;
            }
            let once = matches!(
                a.get_action(),
                ArgAction::Set | ArgAction::SetTrue | ArgAction::SetFalse
            );
            let given = roles
                .iter()
                .any(|r| matches!(r, Role::Flag(Some(b)) | Role::Value(b, _) if b.get_id() == a.get_id()));
            if once && given {
                continue;
            }
            let help = help_of(a);
            if let Some(s) = a.get_short() {
                out.push(Cand::word(format!("-{s}"), help.clone()));
            }
            if let Some(l) = a.get_long() {
                out.push(Cand::word(format!("--{l}"), help));
            }
        }
        out
    }

    pub(crate) fn candidates(&self, args: &[Word], cur: &str, values: &dyn Values) -> Vec<Cand> {
        let (r, pending) = roles_and_pending(&self.cmd, args, self.fixed);
        if let Some(a) = pending {
            return Self::value_candidates(a, &r, values);
        }
        if let Some((flag, _)) = cur.strip_prefix("--").and_then(|c| c.split_once('=')) {
            let Some(a) = self
                .cmd
                .get_arguments()
                .find(|a| a.get_long() == Some(flag))
            else {
                return Vec::new();
            };
            return Self::value_candidates(a, &r, values)
                .into_iter()
                .map(|mut c| {
                    if !c.placeholder {
                        c.word = format!("--{flag}={}", c.word);
                    }
                    c
                })
                .collect();
        }
        if self.special == Special::Create {
            return create::candidates(self, args, &r, cur, values);
        }
        let dashdash = r.iter().any(|r| matches!(r, Role::DashDash));
        let mut out = Vec::new();
        if !dashdash && (cur.is_empty() || cur.starts_with('-')) {
            out.extend(self.flag_candidates(&r));
        }
        if !cur.starts_with('-') || dashdash {
            out.extend(self.positional_candidates(&r, values));
        }
        out
    }

    fn positional_candidates(&self, r: &[Role<'_>], values: &dyn Values) -> Vec<Cand> {
        let given: Vec<&Role<'_>> = r
            .iter()
            .filter(|r| matches!(r, Role::Positional(_)))
            .collect();
        let mut positionals: Vec<&Arg> = self.cmd.get_positionals().collect();
        positionals.sort_by_key(|a| a.get_index().unwrap_or(usize::MAX));
        let n = self.fixed + given.len();
        let Some(a) = positionals
            .get(n)
            .copied()
            .or_else(|| positionals.last().copied().filter(|a| multi(a)))
        else {
            return Vec::new();
        };
        match self.special {
            Special::Cores => Vec::new(),
            Special::Delete => {
                let ids = values.package_ids().into_iter().map(|i| Cand::word(i, ""));
                match given.len() {
                    0 => {
                        let mut out = vec![Cand::word("tac-id", "The package to delete, by id")];
                        out.extend(ids);
                        out
                    }
                    1 => {
                        let mut out =
                            vec![Cand::placeholder("<ID>", "A package id, like 1591662529")];
                        out.extend(ids);
                        out
                    }
                    _ => Vec::new(),
                }
            }
            Special::Pod if n == self.fixed => {
                let mut out = vec![placeholder(a)];
                out.extend(
                    values
                        .pods(Self::namespace(r).as_deref())
                        .into_iter()
                        .map(|p| Cand::word(p, "")),
                );
                out
            }
            _ => {
                let mut out: Vec<Cand> = a
                    .get_possible_values()
                    .iter()
                    .filter(|p| !p.is_hide_set())
                    .map(|p| Cand::word(p.get_name(), ""))
                    .collect();
                if out.is_empty() {
                    out.push(placeholder(a));
                }
                out
            }
        }
    }
}
