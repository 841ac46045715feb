//! Words of a line, as ConfD splits them: quotes (`"..."` with `\"` and
//! `\\`, or `'...'` as is) keep spaces and `|` inside a word, and a `|` that
//! starts a word is a pipe. A `|` inside a word stays (`(a|b)` is a regex),
//! and so does a backslash outside quotes (`smf-\d+`).

use super::GrammarError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Word {
    /// Without its quotes.
    pub text: String,
    /// Byte offsets in the line, quotes included.
    pub start: usize,
    pub end: usize,
    /// An unquoted `|` starting a word.
    pub pipe: bool,
}

impl Word {
    /// Whether `text` is exactly the line's bytes (no quotes), so offsets
    /// inside the word are offsets in the line.
    pub fn is_plain(&self) -> bool {
        self.end - self.start == self.text.len()
    }
}

fn is_separator(c: char) -> bool {
    c == ' ' || c == '\t' || (c.is_whitespace() && !c.is_control())
}

/// The words of a whole line; quotes must be closed and control
/// characters are refused.
pub(crate) fn lex(line: &str) -> Result<Vec<Word>, GrammarError> {
    lex_inner(line, true).map(|(w, _)| w)
}

/// The words of a line being typed, for completion: an open quote runs to
/// the end. The flag says whether the line ends inside a word.
pub(crate) fn lex_partial(line: &str) -> (Vec<Word>, bool) {
    lex_inner(line, false).unwrap_or_default()
}

fn control(at: usize, c: char) -> GrammarError {
    GrammarError::new(at, format!("control character {c:?} in the line"))
}

fn lex_inner(line: &str, strict: bool) -> Result<(Vec<Word>, bool), GrammarError> {
    let mut words = Vec::new();
    let mut chars = line.char_indices().peekable();
    let mut open = false;
    while let Some(&(i, c)) = chars.peek() {
        if is_separator(c) {
            chars.next();
            open = false;
            continue;
        }
        open = true;
        if c == '|' {
            chars.next();
            words.push(Word {
                text: "|".into(),
                start: i,
                end: i + 1,
                pipe: true,
            });
            continue;
        }
        let mut text = String::new();
        while let Some(&(j, c)) = chars.peek() {
            if is_separator(c) {
                break;
            }
            chars.next();
            match c {
                '"' | '\'' => loop {
                    match chars.next() {
                        None if strict => {
                            return Err(GrammarError::new(
                                j,
                                format!("this quote ({c}) is never closed"),
                            ));
                        }
                        None => break,
                        Some((_, q)) if q == c => break,
                        Some((_, '\\')) if c == '"' => match chars.peek() {
                            Some(&(_, e @ ('"' | '\\'))) => {
                                text.push(e);
                                chars.next();
                            }
                            _ => text.push('\\'),
                        },
                        Some((k, q)) if strict && q.is_control() && q != '\t' => {
                            return Err(control(k, q));
                        }
                        Some((_, q)) => text.push(q),
                    }
                },
                c if strict && c.is_control() => return Err(control(j, c)),
                c => text.push(c),
            }
        }
        let end = chars.peek().map_or(line.len(), |&(j, _)| j);
        words.push(Word {
            text,
            start: i,
            end,
            pipe: false,
        });
    }
    Ok((words, open))
}

/// A candidate as it must be typed: quoted when it would not read back as
/// one word.
pub(crate) fn quote(s: &str) -> String {
    let plain = !s.is_empty()
        && !s.starts_with('|')
        && !s
            .chars()
            .any(|c| is_separator(c) || c == '"' || c == '\'' || c.is_control());
    if plain {
        return s.to_string();
    }
    let mut q = String::from("\"");
    for c in s.chars() {
        if c == '"' || c == '\\' {
            q.push('\\');
        }
        q.push(c);
    }
    q.push('"');
    q
}
