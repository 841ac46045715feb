//! Configuration mode's settings: the guide's logging levels
//! (`logging level application debug`, `logging name infra.config.core
//! level application debug`) and their removal (`no logging ...`).

use std::fmt;

use super::lex::Word;
use super::{Cand, Command, GrammarError, Pick, pick, shown};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LogKind {
    Application,
    Transaction,
    Tracing,
}

impl LogKind {
    pub const ALL: [LogKind; 3] = [LogKind::Application, LogKind::Transaction, LogKind::Tracing];

    pub fn name(self) -> &'static str {
        match self {
            LogKind::Application => "application",
            LogKind::Transaction => "transaction",
            LogKind::Tracing => "tracing",
        }
    }

    fn help(self) -> &'static str {
        match self {
            LogKind::Application => "Application logs",
            LogKind::Transaction => "Transaction logs",
            LogKind::Tracing => "Tracing",
        }
    }
}

impl fmt::Display for LogKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LogLevel {
    Off,
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

impl LogLevel {
    pub const ALL: [LogLevel; 6] = [
        LogLevel::Off,
        LogLevel::Error,
        LogLevel::Warn,
        LogLevel::Info,
        LogLevel::Debug,
        LogLevel::Trace,
    ];

    pub fn name(self) -> &'static str {
        match self {
            LogLevel::Off => "off",
            LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
            LogLevel::Trace => "trace",
        }
    }

    fn help(self) -> &'static str {
        match self {
            LogLevel::Off => "No logs",
            LogLevel::Error => "Errors only",
            LogLevel::Warn => "Warnings and errors",
            LogLevel::Info => "Informational and above",
            LogLevel::Debug => "Debug and above",
            LogLevel::Trace => "Everything",
        }
    }
}

impl fmt::Display for LogLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One line of the running configuration.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Setting {
    /// `logging level KIND LEVEL`: every logger's default.
    Level { kind: LogKind, level: LogLevel },
    /// `logging name NAME level KIND LEVEL`: one logger.
    Name {
        name: String,
        kind: LogKind,
        level: LogLevel,
    },
}

// The accessors serve the tests and the fuzz target, which check what a
// parsed line means; the session only needs the Display form.
#[allow(dead_code)]
impl Setting {
    pub fn kind(&self) -> LogKind {
        match self {
            Setting::Level { kind, .. } | Setting::Name { kind, .. } => *kind,
        }
    }

    pub fn level(&self) -> LogLevel {
        match self {
            Setting::Level { level, .. } | Setting::Name { level, .. } => *level,
        }
    }

    /// The logger, for `logging name` settings.
    pub fn name(&self) -> Option<&str> {
        match self {
            Setting::Level { .. } => None,
            Setting::Name { name, .. } => Some(name),
        }
    }

    /// Whether `other` sets the same thing (so this one replaces it).
    pub fn same_key(&self, other: &Setting) -> bool {
        self.name() == other.name() && self.kind() == other.kind()
    }
}

/// The running-configuration line: `logging name infra.config.core level application debug`.
impl fmt::Display for Setting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Setting::Level { kind, level } => write!(f, "logging level {kind} {level}"),
            Setting::Name { name, kind, level } => {
                write!(f, "logging name {name} level {kind} {level}")
            }
        }
    }
}

/// What a `no logging ...` removes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Unset {
    /// `no logging level KIND`.
    Level { kind: LogKind },
    /// `no logging name NAME [level KIND]`: one kind, or all of NAME's.
    Name { name: String, kind: Option<LogKind> },
}

#[allow(dead_code)]
impl Unset {
    /// Whether this removes `s`.
    pub fn removes(&self, s: &Setting) -> bool {
        match (self, s) {
            (Unset::Level { kind }, Setting::Level { kind: k, .. }) => kind == k,
            (
                Unset::Name { name, kind },
                Setting::Name {
                    name: n, kind: k, ..
                },
            ) => name == n && kind.is_none_or(|kind| kind == *k),
            _ => false,
        }
    }
}

/// As typed: `no logging name infra.config.core level tracing`.
impl fmt::Display for Unset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unset::Level { kind } => write!(f, "no logging level {kind}"),
            Unset::Name { name, kind: None } => write!(f, "no logging name {name}"),
            Unset::Name {
                name,
                kind: Some(k),
            } => write!(f, "no logging name {name} level {k}"),
        }
    }
}

/// Which configuration command a leaf is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Form {
    /// `logging level KIND LEVEL`
    SetLevel,
    /// `logging name NAME level KIND LEVEL`
    SetName,
    /// `no logging level KIND`
    UnsetLevel,
    /// `no logging name NAME [level KIND]`
    UnsetName,
}

/// A logger name as the network functions spell them (`infra.config.core`).
fn valid_name(s: &str) -> bool {
    s.len() <= 128
        && s.starts_with(|c: char| c.is_ascii_alphanumeric())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// Reads the words of a form one by one, reporting what is missing at the
/// end and what is wrong at its word.
struct Reader<'a> {
    args: &'a [Word],
    i: usize,
    end: usize,
}

impl<'a> Reader<'a> {
    fn next(&mut self, what: &str) -> Result<&'a Word, GrammarError> {
        let w = self
            .args
            .get(self.i)
            .ok_or_else(|| GrammarError::new(self.end, format!("{what} is missing")))?;
        self.i += 1;
        Ok(w)
    }

    fn keyword<'k>(&mut self, what: &str, options: &[&'k str]) -> Result<&'k str, GrammarError> {
        let w = self.next(what)?;
        match pick(&w.text, options.iter().copied()) {
            Pick::One(o) => Ok(o),
            Pick::Ambiguous(o) => Err(GrammarError::new(
                w.start,
                format!("ambiguous `{}`: {}", shown(&w.text), o.join(", ")),
            )),
            Pick::None => Err(GrammarError::new(
                w.start,
                format!("`{}` is not {what}: {}", shown(&w.text), options.join(", ")),
            )),
        }
    }

    fn kind(&mut self) -> Result<LogKind, GrammarError> {
        let names = LogKind::ALL.map(LogKind::name);
        let k = self.keyword("a log kind", &names)?;
        Ok(LogKind::ALL
            .into_iter()
            .find(|x| x.name() == k)
            .unwrap_or(LogKind::Application))
    }

    fn level(&mut self) -> Result<LogLevel, GrammarError> {
        let names = LogLevel::ALL.map(LogLevel::name);
        let l = self.keyword("a log level", &names)?;
        Ok(LogLevel::ALL
            .into_iter()
            .find(|x| x.name() == l)
            .unwrap_or(LogLevel::Info))
    }

    fn name(&mut self) -> Result<String, GrammarError> {
        let w = self.next("a logger name (like infra.config.core)")?;
        if !valid_name(&w.text) {
            return Err(GrammarError::new(
                w.start,
                format!(
                    "`{}` is not a logger name: letters, digits, `.`, `_` and `-`, like infra.config.core",
                    shown(&w.text)
                ),
            ));
        }
        Ok(w.text.clone())
    }

    fn done(&self) -> Result<(), GrammarError> {
        match self.args.get(self.i) {
            Some(w) => Err(GrammarError::new(
                w.start,
                format!("unexpected `{}`: the command ends here", shown(&w.text)),
            )),
            None => Ok(()),
        }
    }

    fn more(&self) -> bool {
        self.i < self.args.len()
    }
}

pub(crate) fn parse(form: Form, args: &[Word], end: usize) -> Result<Command, GrammarError> {
    let mut r = Reader { args, i: 0, end };
    let c = match form {
        Form::SetLevel => {
            let kind = r.kind()?;
            let level = r.level()?;
            Command::Set(Setting::Level { kind, level })
        }
        Form::SetName => {
            let name = r.name()?;
            r.keyword("`level`", &["level"])?;
            let kind = r.kind()?;
            let level = r.level()?;
            Command::Set(Setting::Name { name, kind, level })
        }
        Form::UnsetLevel => Command::Unset(Unset::Level { kind: r.kind()? }),
        Form::UnsetName => {
            let name = r.name()?;
            let kind = if r.more() {
                r.keyword("`level`", &["level"])?;
                Some(r.kind()?)
            } else {
                None
            };
            Command::Unset(Unset::Name { name, kind })
        }
    };
    r.done()?;
    Ok(c)
}

fn kinds() -> Vec<Cand> {
    LogKind::ALL
        .iter()
        .map(|k| Cand::word(k.name(), k.help()))
        .collect()
}

fn levels() -> Vec<Cand> {
    LogLevel::ALL
        .iter()
        .map(|l| Cand::word(l.name(), l.help()))
        .collect()
}

fn names(values: &dyn super::Values) -> Vec<Cand> {
    let mut c = vec![Cand::placeholder(
        "<NAME>",
        "A logger, like infra.config.core",
    )];
    c.extend(values.logger_names().into_iter().map(|n| Cand::word(n, "")));
    c
}

fn level_word() -> Vec<Cand> {
    vec![Cand::word("level", "The level of one log kind")]
}

/// Candidates after the words `args` of a form.
pub(crate) fn candidates(form: Form, args: &[Word], values: &dyn super::Values) -> Vec<Cand> {
    match (form, args.len()) {
        (Form::SetLevel, 0) | (Form::UnsetLevel, 0) => kinds(),
        (Form::SetLevel, 1) => levels(),
        (Form::SetName, 0) | (Form::UnsetName, 0) => names(values),
        (Form::SetName, 1) | (Form::UnsetName, 1) => level_word(),
        (Form::SetName, 2) | (Form::UnsetName, 2) => kinds(),
        (Form::SetName, 3) => levels(),
        _ => Vec::new(),
    }
}

/// The section words of `show running-config`: the first two are keywords
/// (`logging level`, `logging name`, abbreviated as any), the rest values.
pub(crate) fn running_config_filter(args: &[Word]) -> Result<Vec<String>, GrammarError> {
    let mut out = Vec::with_capacity(args.len());
    for (i, w) in args.iter().enumerate() {
        let options: &[&str] = match i {
            0 => &["logging"],
            1 => &["level", "name"],
            _ => {
                out.push(w.text.clone());
                continue;
            }
        };
        match pick(&w.text, options.iter().copied()) {
            Pick::One(k) => out.push(k.to_string()),
            _ => {
                return Err(GrammarError::new(
                    w.start,
                    format!(
                        "no section `{}` in the running configuration: {}",
                        shown(&w.text),
                        options.join(", ")
                    ),
                ));
            }
        }
    }
    Ok(out)
}

/// `show running-config` sections.
pub(crate) fn running_config_candidates(args: &[Word]) -> Vec<Cand> {
    match args {
        [] => vec![Cand::word("logging", "Log levels")],
        [w] if matches!(pick(&w.text, ["logging"]), Pick::One(_)) => vec![
            Cand::word("level", "The levels of each log kind"),
            Cand::word("name", "The levels of one logger"),
        ],
        _ => Vec::new(),
    }
}
