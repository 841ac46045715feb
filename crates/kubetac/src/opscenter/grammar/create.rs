//! `tac-debug-pkg create`'s words, as the guide types them (`from T to T
//! logs-filter { namespace NS pod_name POD } cores`): keywords may be
//! abbreviated like any other, and the request is checked with the same
//! code the CLI uses (`debugpkg::request`), so a bad time or regex is
//! caught at its word before anything runs.

use jiff::Timestamp;

use super::cliargs::{CliLeaf, Role, roles};
use super::lex::Word;
use super::{Cand, GrammarError, Pick, Values, pick, shown};
use crate::debugpkg::request::{Kind, RequestError, parse_words};

const TOP: [&str; 8] = [
    "from",
    "to",
    "logs-filter",
    "cores",
    "logs",
    "metrics",
    "stats",
    "config",
];

const FILTER: [&str; 2] = ["namespace", "pod_name"];

/// Where the words are in the guide's little language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Top,
    /// After `from` or `to`.
    Time,
    /// After `logs-filter`: `{` comes.
    Brace,
    Filter,
    Namespace,
    PodName,
}

/// `{namespace` and `smf-data}` are the spaced form to the request parser;
/// split them the same way so every word has its own `^` position.
fn split_braces(w: Word) -> Vec<Word> {
    if w.text.len() < 2 || !w.text.contains(['{', '}']) {
        return vec![w];
    }
    let plain = w.is_plain();
    let at = |k: usize| if plain { w.start + k } else { w.start };
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut cur_start = w.start;
    for (k, ch) in w.text.char_indices() {
        if ch == '{' || ch == '}' {
            if !cur.is_empty() {
                out.push(Word {
                    text: std::mem::take(&mut cur),
                    start: cur_start,
                    end: if plain { at(k) } else { w.end },
                    pipe: false,
                });
            }
            out.push(Word {
                text: ch.to_string(),
                start: at(k),
                end: if plain { at(k) + 1 } else { w.end },
                pipe: false,
            });
        } else {
            if cur.is_empty() {
                cur_start = at(k);
            }
            cur.push(ch);
        }
    }
    if !cur.is_empty() {
        out.push(Word {
            text: cur,
            start: cur_start,
            end: w.end,
            pipe: false,
        });
    }
    out
}

fn step(state: State, word: &str) -> State {
    match (state, word) {
        (State::Top, "from" | "to") => State::Time,
        (State::Top, "logs-filter") => State::Brace,
        (State::Top, _) => State::Top,
        (State::Time, _) => State::Top,
        (State::Brace, "{") => State::Filter,
        (State::Brace, _) => State::Top,
        (State::Filter, "namespace") => State::Namespace,
        (State::Filter, "pod_name") => State::PodName,
        (State::Filter, "}") => State::Top,
        (State::Filter, _) => State::Filter,
        (State::Namespace | State::PodName, _) => State::Filter,
    }
}

/// The keywords a state takes (those that can be abbreviated).
fn keywords(state: State) -> &'static [&'static str] {
    match state {
        State::Top => &TOP,
        State::Filter => &FILTER,
        _ => &[],
    }
}

fn is_exact_keyword(state: State, t: &str) -> bool {
    keywords(state).contains(&t)
        || (state == State::Top && Kind::from_word(t).is_some())
        || (state == State::Filter && t == "}")
}

fn first_positional(r: &[Role<'_>]) -> Option<usize> {
    r.iter().position(|r| matches!(r, Role::Positional(_)))
}

/// The words with abbreviated keywords written out and braces split off.
pub(crate) fn expand(cmd: &clap::Command, words: Vec<Word>) -> Result<Vec<Word>, GrammarError> {
    let Some(start) = first_positional(&roles(cmd, &words, 0)) else {
        return Ok(words);
    };
    let mut out = words[..start].to_vec();
    let mut state = State::Top;
    for mut w in words.into_iter().skip(start).flat_map(split_braces) {
        if !is_exact_keyword(state, &w.text) && !keywords(state).is_empty() {
            match pick(&w.text, keywords(state).iter().copied()) {
                Pick::One(k) => w.text = k.to_string(),
                Pick::Ambiguous(o) => {
                    return Err(GrammarError::new(
                        w.start,
                        format!("ambiguous `{}`: {}", shown(&w.text), o.join(", ")),
                    ));
                }
                // Left for the request parser, which says what it expected.
                Pick::None => {}
            }
        }
        state = step(state, &w.text);
        out.push(w);
    }
    Ok(out)
}

/// Checks the request as `create` would run it (times, order, filter regex,
/// namespaces), words and flags together; only "starts in the future" is
/// left to the run, which knows the time.
pub(crate) fn validate(
    cmd: &clap::Command,
    words: &[Word],
    end: usize,
) -> Result<(), GrammarError> {
    let r = roles(cmd, words, 0);
    let region: Vec<usize> = (0..words.len())
        .filter(|&i| matches!(r[i], Role::Positional(_)))
        .collect();
    let texts: Vec<String> = region.iter().map(|&i| words[i].text.clone()).collect();
    let at_word = |k: usize| region.get(k).map_or(end, |&i| words[i].start);
    let mut d = parse_words(&texts).map_err(|e| GrammarError::new(at_word(e.at), e.message))?;
    let flags = |long: &str| -> Vec<(usize, String)> {
        r.iter()
            .enumerate()
            .filter_map(|(i, role)| match role {
                Role::Value(a, v) if a.get_long() == Some(long) => Some((i, v.clone())),
                _ => None,
            })
            .collect()
    };
    let both = |i: usize, what: &str| {
        // Under the flag rather than its value.
        let i = if i > 0 && !words[i].text.starts_with('-') {
            i - 1
        } else {
            i
        };
        GrammarError::new(
            words[i].start,
            format!("{what} is given both as a word and as a flag"),
        )
    };
    if let Some((i, v)) = flags("from").pop() {
        if d.from.is_some() {
            return Err(both(i, "from"));
        }
        d.from = Some(v);
    }
    if let Some((i, v)) = flags("to").pop() {
        if d.to.is_some() {
            return Err(both(i, "to"));
        }
        d.to = Some(v);
    }
    if let Some((i, v)) = flags("pod").pop() {
        if d.pod_name.is_some() {
            return Err(both(i, "pod_name"));
        }
        d.pod_name = Some(v);
    }
    for (_, v) in flags("namespace") {
        for ns in v.split(',').filter(|s| !s.is_empty()) {
            if !d.namespaces.iter().any(|n| n == ns) {
                d.namespaces.push(ns.to_string());
            }
        }
    }
    for (i, v) in flags("only") {
        for g in v.split(',').filter(|s| !s.is_empty()) {
            match Kind::from_word(g) {
                Some(k) => {
                    d.gatherers.insert(k);
                }
                None => {
                    return Err(GrammarError::new(
                        words[i].start,
                        format!(
                            "unknown gatherer `{}`: cores, logs, metrics, stats or config",
                            shown(g)
                        ),
                    ));
                }
            }
        }
    }
    let Err(e) = d.validate(Timestamp::MAX, true) else {
        return Ok(());
    };
    // The word after keyword `key`, or the value of flag `--key`.
    let value_of = |key: &str, flag: &str, test: &dyn Fn(&str) -> bool| -> Option<usize> {
        texts
            .windows(2)
            .position(|p| p[0] == key && test(&p[1]))
            .map(|k| at_word(k + 1))
            .or_else(|| {
                flags(flag)
                    .into_iter()
                    .find(|(_, v)| test(v))
                    .map(|(i, _)| words[i].start)
            })
    };
    let any = |_: &str| true;
    let pos = match &e {
        RequestError::BadTime { which, .. } => value_of(which, which, &any),
        RequestError::Backwards { .. } => value_of("to", "to", &any),
        RequestError::BadRegex { .. } => value_of("pod_name", "pod", &any),
        RequestError::BadNamespace(ns) => value_of("namespace", "namespace", &|v: &str| {
            v.split(',').any(|x| x == ns)
        }),
        _ => None,
    };
    Err(GrammarError::new(pos.unwrap_or(end), e.to_string()))
}

fn gatherer_help(k: Kind) -> &'static str {
    match k {
        Kind::Core => "Gather the core dumps (gatherer words pick; default: all)",
        Kind::Logs => "Gather container and node logs",
        Kind::Metrics => "Gather Prometheus time series",
        Kind::Stats => "Gather resource usage, restarts and events",
        Kind::Config => "Gather cluster objects and the ops center's configuration",
    }
}

pub(crate) fn candidates(
    leaf: &CliLeaf,
    args: &[Word],
    r: &[Role<'_>],
    cur: &str,
    values: &dyn Values,
) -> Vec<Cand> {
    match first_positional(r) {
        None => {
            let mut out = Vec::new();
            if cur.is_empty() || cur.starts_with('-') {
                out.extend(leaf.flag_candidates(r));
            }
            if !cur.starts_with('-') {
                out.extend(word_candidates(&[], cur, values));
            }
            out
        }
        Some(s) => word_candidates(&args[s..], cur, values),
    }
}

/// Candidates after the guide's words `prior`.
fn word_candidates(prior: &[Word], cur: &str, values: &dyn Values) -> Vec<Cand> {
    let mut state = State::Top;
    let mut seen: Vec<String> = Vec::new();
    let mut namespace: Option<String> = None;
    for w in prior.iter().cloned().flat_map(split_braces) {
        let mut t = w.text;
        if !keywords(state).is_empty() && !is_exact_keyword(state, &t) {
            match pick(&t, keywords(state).iter().copied()) {
                Pick::One(k) => t = k.to_string(),
                _ => return Vec::new(),
            }
        }
        if state == State::Namespace && namespace.is_none() {
            namespace = t.split(',').next().map(str::to_string);
        }
        if matches!(state, State::Top | State::Filter) {
            seen.push(Kind::from_word(&t).map_or(t.clone(), |k| k.word().to_string()));
        }
        state = step(state, &t);
    }
    let fresh = |w: &str| !seen.iter().any(|s| s == w);
    match state {
        State::Top => {
            let mut out = Vec::new();
            if fresh("from") {
                out.push(Cand::word(
                    "from",
                    "Start of the window (UTC): 2020-06-08_14:00:00",
                ));
            }
            if fresh("to") {
                out.push(Cand::word("to", "End of the window (UTC, exclusive)"));
            }
            if fresh("logs-filter") {
                out.push(Cand::word(
                    "logs-filter",
                    "Only some pods: { namespace NS pod_name REGEX }",
                ));
            }
            for k in Kind::ALL {
                if fresh(k.word()) {
                    out.push(Cand::word(k.word(), gatherer_help(k)));
                }
            }
            out
        }
        State::Time => vec![Cand::placeholder(
            "<TIME>",
            "A UTC time: 2020-06-08_14:00:00 (or RFC 3339)",
        )],
        State::Brace => vec![Cand::word("{", "Start of the filter")],
        State::Filter => {
            let mut out = vec![Cand::word("namespace", "Only this namespace (or a,b,c)")];
            if fresh("pod_name") {
                out.push(Cand::word(
                    "pod_name",
                    "Only pods whose name matches a regex",
                ));
            }
            out.push(Cand::word("}", "End of the filter"));
            out
        }
        State::Namespace => {
            // A comma list: complete its last name.
            let head = cur.rsplit_once(',').map(|(h, _)| format!("{h},"));
            let mut out = vec![Cand::placeholder("<NS>", "A namespace, or several: a,b,c")];
            out.extend(
                values
                    .namespaces()
                    .into_iter()
                    .map(|n| Cand::word(format!("{}{n}", head.as_deref().unwrap_or_default()), "")),
            );
            out
        }
        State::PodName => {
            let mut out = vec![Cand::placeholder("<REGEX>", "A regex over pod names")];
            out.extend(
                values
                    .pods(namespace.as_deref())
                    .into_iter()
                    .map(|p| Cand::word(p, "")),
            );
            out
        }
    }
}
