//! Output modifiers after `|`: `include`/`i`, `exclude`/`e`, `count`,
//! `begin`, chained in order (`show running-config | i logging | count`).
//! Regexes are compiled when the line is parsed, so a bad one is a syntax
//! error with its `^`, not a failure after the command ran.

use regex::Regex;

use super::lex::Word;
use super::{Cand, GrammarError, Pick, pick, shown};

#[derive(Debug, Clone)]
pub enum Pipe {
    /// Only lines matching.
    Include(Regex),
    /// Lines not matching.
    Exclude(Regex),
    /// `Count: N lines` instead of the lines.
    Count,
    /// From the first line matching on.
    Begin(Regex),
}

impl PartialEq for Pipe {
    fn eq(&self, other: &Pipe) -> bool {
        match (self, other) {
            (Pipe::Include(a), Pipe::Include(b))
            | (Pipe::Exclude(a), Pipe::Exclude(b))
            | (Pipe::Begin(a), Pipe::Begin(b)) => a.as_str() == b.as_str(),
            (Pipe::Count, Pipe::Count) => true,
            _ => false,
        }
    }
}

const PIPES: [(&str, &str); 4] = [
    ("begin", "Show from the first line that matches a regex on"),
    ("count", "Count the lines"),
    ("exclude", "Hide the lines that match a regex (also: e)"),
    (
        "include",
        "Show only the lines that match a regex (also: i)",
    ),
];

/// Compiled size allowed for a pipe's regex: far more than a filter needs,
/// and a tenth of the default, so a pathological one is refused quickly.
const PIPE_REGEX_SIZE: usize = 1 << 20;

fn regex(w: &Word) -> Result<Regex, GrammarError> {
    regex::RegexBuilder::new(&w.text)
        .size_limit(PIPE_REGEX_SIZE)
        .build()
        .map_err(|e| GrammarError::new(w.start, format!("bad regex: {}", regex_why(&e))))
}

/// The last line of a regex error says what is wrong; the lines above it
/// repeat the pattern.
pub(crate) fn regex_why(e: &regex::Error) -> String {
    let s = e.to_string();
    let last = s
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default();
    last.trim().trim_start_matches("error: ").to_string()
}

/// The pipes of a line: `words` starts at the first `|`; `line_end` is
/// where a missing word is reported.
pub(crate) fn parse_all(words: &[Word], line_end: usize) -> Result<Vec<Pipe>, GrammarError> {
    let mut pipes = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let bar = &words[i];
        let seg_len = words[i + 1..].iter().take_while(|w| !w.pipe).count();
        let seg = &words[i + 1..i + 1 + seg_len];
        let seg_end = words.get(i + 1 + seg_len).map_or(line_end, |w| w.start);
        pipes.push(parse_one(bar, seg, seg_end)?);
        i += 1 + seg_len;
    }
    Ok(pipes)
}

fn parse_one(bar: &Word, seg: &[Word], seg_end: usize) -> Result<Pipe, GrammarError> {
    let Some(kw) = seg.first() else {
        return Err(GrammarError::new(
            if seg_end > bar.start {
                seg_end
            } else {
                bar.end
            },
            "`|` needs an output modifier: include, exclude, count or begin",
        ));
    };
    let name = match pick(&kw.text, PIPES.iter().map(|p| p.0)) {
        Pick::One(n) => n,
        Pick::Ambiguous(o) => {
            return Err(GrammarError::new(
                kw.start,
                format!(
                    "ambiguous output modifier `{}`: {}",
                    shown(&kw.text),
                    o.join(", ")
                ),
            ));
        }
        Pick::None => {
            return Err(GrammarError::new(
                kw.start,
                format!(
                    "unknown output modifier `{}`: include (i), exclude (e), count or begin",
                    shown(&kw.text)
                ),
            ));
        }
    };
    let args = &seg[1..];
    if name == "count" {
        return match args.first() {
            Some(w) => Err(GrammarError::new(w.start, "`| count` takes nothing more")),
            None => Ok(Pipe::Count),
        };
    }
    let Some(re) = args.first() else {
        return Err(GrammarError::new(
            seg_end,
            format!("`| {name}` needs a regex"),
        ));
    };
    if let Some(extra) = args.get(1) {
        return Err(GrammarError::new(
            extra.start,
            format!("`| {name}` takes one regex: quote a regex with spaces (\"a b\")"),
        ));
    }
    let re = regex(re)?;
    Ok(match name {
        "include" => Pipe::Include(re),
        "exclude" => Pipe::Exclude(re),
        _ => Pipe::Begin(re),
    })
}

/// Candidates after the last `|`; `seg` is the words after it.
pub(crate) fn candidates(seg: &[Word]) -> Vec<Cand> {
    match seg {
        [] => PIPES.iter().map(|(w, h)| Cand::word(*w, *h)).collect(),
        [kw] => match pick(&kw.text, PIPES.iter().map(|p| p.0)) {
            Pick::One("count") | Pick::None | Pick::Ambiguous(_) => Vec::new(),
            Pick::One(_) => vec![Cand::placeholder(
                "<REGEX>",
                "A regular expression (quote it if it has spaces)",
            )],
        },
        _ => Vec::new(),
    }
}

/// Applies pipes to output as it streams (`cluster logs | i ERROR` never
/// ends): each line is kept or dropped at once; `count` prints at the end.
#[derive(Debug, Clone)]
pub struct Filter {
    stages: Vec<Stage>,
}

#[derive(Debug, Clone)]
enum Stage {
    Include(Regex),
    Exclude(Regex),
    Begin { re: Regex, started: bool },
    Count(u64),
}

impl Filter {
    pub fn new(pipes: &[Pipe]) -> Filter {
        Filter {
            stages: pipes
                .iter()
                .map(|p| match p {
                    Pipe::Include(r) => Stage::Include(r.clone()),
                    Pipe::Exclude(r) => Stage::Exclude(r.clone()),
                    Pipe::Begin(r) => Stage::Begin {
                        re: r.clone(),
                        started: false,
                    },
                    Pipe::Count => Stage::Count(0),
                })
                .collect(),
        }
    }

    /// Whether to print this line (without its newline) now.
    pub fn keep(&mut self, line: &str) -> bool {
        self.feed(0, line)
    }

    fn feed(&mut self, from: usize, line: &str) -> bool {
        for stage in &mut self.stages[from..] {
            match stage {
                Stage::Include(re) if !re.is_match(line) => return false,
                Stage::Exclude(re) if re.is_match(line) => return false,
                Stage::Begin { re, started } => {
                    *started = *started || re.is_match(line);
                    if !*started {
                        return false;
                    }
                }
                Stage::Count(n) => {
                    *n += 1;
                    return false;
                }
                _ => {}
            }
        }
        true
    }

    /// The lines to print when the output ends (what `count` says, through
    /// the pipes after it).
    pub fn finish(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        for i in 0..self.stages.len() {
            if let Stage::Count(n) = self.stages[i] {
                let line = format!("Count: {n} lines");
                if self.feed(i + 1, &line) {
                    out.push(line);
                }
            }
        }
        out
    }
}
