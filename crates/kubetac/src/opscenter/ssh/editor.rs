//! The line editor of an interactive (PTY) session: it turns the raw bytes
//! typed into a terminal into an edited line, and produces the bytes that
//! keep the screen in step. It does no I/O; the shell driver feeds it keys
//! and ships its output, and asks the backend when a key needs it (TAB, `?`).

use crate::opscenter::session::Completion;

/// Longest line accepted: far above any command, small enough that a
/// pasted blob cannot grow a session without bound.
const MAX_LINE: usize = 8192;
const MAX_HISTORY: usize = 500;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    Char(char),
    Enter,
    Backspace,
    Delete,
    Left,
    Right,
    Up,
    Down,
    Home,
    End,
    WordLeft,
    WordRight,
    Tab,
    /// Ctrl-C.
    Interrupt,
    /// Ctrl-D: end of input on an empty line, delete otherwise.
    EofOrDelete,
    KillToStart,
    KillToEnd,
    KillWordBack,
    Yank,
    ClearScreen,
}

/// Splits a byte stream into keys. Escape sequences and UTF-8 characters
/// may be cut across SSH packets, so partial ones are kept for the next
/// chunk.
#[derive(Debug, Default)]
pub struct KeyDecoder {
    esc: Vec<u8>,
    utf8: Vec<u8>,
    utf8_len: usize,
    last_cr: bool,
}

impl KeyDecoder {
    pub fn feed(&mut self, bytes: &[u8], keys: &mut Vec<Key>) {
        for &b in bytes {
            let after_cr = std::mem::take(&mut self.last_cr);
            if !self.esc.is_empty() {
                self.esc.push(b);
                self.escape(keys);
                continue;
            }
            if !self.utf8.is_empty() {
                if b & 0xC0 == 0x80 {
                    self.utf8.push(b);
                    if self.utf8.len() == self.utf8_len {
                        if let Ok(s) = std::str::from_utf8(&self.utf8) {
                            keys.extend(s.chars().map(Key::Char));
                        }
                        self.utf8.clear();
                    }
                    continue;
                }
                // A broken sequence is dropped; the byte starts afresh.
                self.utf8.clear();
            }
            match b {
                // A terminal sends CR for Enter; some clients send CR LF or
                // CR NUL, which must not count as a second Enter.
                b'\r' => {
                    keys.push(Key::Enter);
                    self.last_cr = true;
                }
                b'\n' | 0 if after_cr => {}
                b'\n' => keys.push(Key::Enter),
                0x01 => keys.push(Key::Home),
                0x02 => keys.push(Key::Left),
                0x03 => keys.push(Key::Interrupt),
                0x04 => keys.push(Key::EofOrDelete),
                0x05 => keys.push(Key::End),
                0x06 => keys.push(Key::Right),
                0x08 | 0x7f => keys.push(Key::Backspace),
                b'\t' => keys.push(Key::Tab),
                0x0b => keys.push(Key::KillToEnd),
                0x0c => keys.push(Key::ClearScreen),
                0x0e => keys.push(Key::Down),
                0x10 => keys.push(Key::Up),
                0x15 => keys.push(Key::KillToStart),
                0x17 => keys.push(Key::KillWordBack),
                0x19 => keys.push(Key::Yank),
                0x1b => self.esc.push(b),
                0x20..=0x7e => keys.push(Key::Char(b as char)),
                0xC2..=0xDF => self.start_utf8(b, 2),
                0xE0..=0xEF => self.start_utf8(b, 3),
                0xF0..=0xF4 => self.start_utf8(b, 4),
                _ => {}
            }
        }
    }

    fn start_utf8(&mut self, b: u8, len: usize) {
        self.utf8.push(b);
        self.utf8_len = len;
    }

    /// Called with each byte added to a pending escape sequence; emits the
    /// key once the sequence is complete.
    fn escape(&mut self, keys: &mut Vec<Key>) {
        let seq = &self.esc[1..];
        let key = match seq {
            [] => return,
            [b'[' | b'O'] => return,
            // Alt-b / Alt-f / Alt-Backspace, as readline has them.
            [b'b'] => Some(Key::WordLeft),
            [b'f'] => Some(Key::WordRight),
            [0x7f | 0x08] => Some(Key::KillWordBack),
            [b'O', last] => match last {
                b'A' => Some(Key::Up),
                b'B' => Some(Key::Down),
                b'C' => Some(Key::Right),
                b'D' => Some(Key::Left),
                b'H' => Some(Key::Home),
                b'F' => Some(Key::End),
                _ => None,
            },
            [b'[', params @ .., last] => {
                if !(0x40..=0x7e).contains(last) {
                    // Parameters and intermediates; a runaway sequence is
                    // abandoned rather than buffered forever.
                    if seq.len() > 16 {
                        self.esc.clear();
                    }
                    return;
                }
                let ctrl = params.ends_with(b";5") || params.ends_with(b";3");
                match (params, last) {
                    (_, b'A') => Some(Key::Up),
                    (_, b'B') => Some(Key::Down),
                    (_, b'C') if ctrl => Some(Key::WordRight),
                    (_, b'D') if ctrl => Some(Key::WordLeft),
                    (_, b'C') => Some(Key::Right),
                    (_, b'D') => Some(Key::Left),
                    (_, b'H') => Some(Key::Home),
                    (_, b'F') => Some(Key::End),
                    (b"1" | b"7", b'~') => Some(Key::Home),
                    (b"4" | b"8", b'~') => Some(Key::End),
                    (b"3", b'~') => Some(Key::Delete),
                    _ => None,
                }
            }
            // ESC followed by anything else: a lone Escape, or an Alt chord
            // we do not bind. Both are dropped.
            _ => None,
        };
        keys.extend(key);
        self.esc.clear();
    }
}

/// What the driver must do after a key.
#[derive(Debug, PartialEq, Eq)]
pub enum Action {
    /// Nothing beyond shipping the output.
    None,
    /// Enter: run this line. The editor left the cursor on a fresh line.
    Submit(String),
    /// TAB: ask the backend, then call [`Editor::apply_completion`].
    Complete,
    /// `?`: ask the backend for help on [`Editor::help_line`], then call
    /// [`Editor::show_help`].
    Help,
    /// Ctrl-D on an empty line.
    Eof,
}

#[derive(Debug)]
pub struct Editor {
    buf: String,
    /// Byte offset into `buf`, always on a char boundary.
    cursor: usize,
    prompt: String,
    cols: usize,
    /// Screen row of the terminal cursor, counted from the prompt's row;
    /// needed to get back to the prompt when the line wraps.
    cursor_row: usize,
    history: Vec<String>,
    hist_idx: Option<usize>,
    /// The line being typed before browsing history, restored by Down.
    stash: String,
    kill: String,
    out: Vec<u8>,
}

impl Editor {
    pub fn new(cols: u32) -> Self {
        let mut e = Self {
            buf: String::new(),
            cursor: 0,
            prompt: String::new(),
            cols: 80,
            cursor_row: 0,
            history: Vec::new(),
            hist_idx: None,
            stash: String::new(),
            kill: String::new(),
            out: Vec::new(),
        };
        e.set_cols(cols);
        e
    }

    pub fn set_cols(&mut self, cols: u32) {
        // A client that reports no size (0) gets the classic 80 columns.
        self.cols = if cols == 0 { 80 } else { cols as usize };
    }

    pub fn line(&self) -> &str {
        &self.buf
    }

    pub fn cursor(&self) -> usize {
        self.cursor
    }

    /// The text `?` asks help for: what is left of the cursor, since help
    /// is about the next word to type there.
    pub fn help_line(&self) -> &str {
        &self.buf[..self.cursor]
    }

    pub fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }

    /// Starts a new, empty line under `prompt`. The caller makes sure the
    /// terminal cursor is at the start of a line.
    pub fn new_line(&mut self, prompt: String) {
        self.prompt = prompt;
        self.buf.clear();
        self.cursor = 0;
        self.hist_idx = None;
        self.stash.clear();
        self.cursor_row = 0;
        self.refresh();
    }

    pub fn key(&mut self, key: Key) -> Action {
        match key {
            Key::Char('?') if !self.literal_question_mark() => return Action::Help,
            Key::Char(c) => self.insert_char(c),
            Key::Enter => {
                self.move_below();
                let line = std::mem::take(&mut self.buf);
                self.cursor = 0;
                self.hist_idx = None;
                if !line.trim().is_empty() && self.history.last() != Some(&line) {
                    if self.history.len() == MAX_HISTORY {
                        self.history.remove(0);
                    }
                    self.history.push(line.clone());
                }
                return Action::Submit(line);
            }
            Key::Tab => return Action::Complete,
            Key::Backspace => self.backspace(),
            Key::Delete => self.delete(),
            Key::EofOrDelete if self.buf.is_empty() => {
                self.out.extend_from_slice(b"\r\n");
                return Action::Eof;
            }
            Key::EofOrDelete => self.delete(),
            Key::Left => {
                if let Some(c) = self.buf[..self.cursor].chars().next_back() {
                    self.cursor -= c.len_utf8();
                    self.refresh();
                }
            }
            Key::Right => {
                if let Some(c) = self.buf[self.cursor..].chars().next() {
                    self.cursor += c.len_utf8();
                    self.refresh();
                }
            }
            Key::Home => {
                self.cursor = 0;
                self.refresh();
            }
            Key::End => {
                self.cursor = self.buf.len();
                self.refresh();
            }
            Key::WordLeft => {
                self.cursor = word_start_before(&self.buf, self.cursor);
                self.refresh();
            }
            Key::WordRight => {
                self.cursor = word_end_after(&self.buf, self.cursor);
                self.refresh();
            }
            Key::Up => self.history_prev(),
            Key::Down => self.history_next(),
            Key::Interrupt => {
                // The line is dropped, as a shell does: show where it was
                // cut and start over.
                self.move_below_with(b"^C\r\n");
                self.buf.clear();
                self.cursor = 0;
                self.hist_idx = None;
                self.refresh();
            }
            Key::KillToStart => {
                self.kill = self.buf.drain(..self.cursor).collect();
                self.cursor = 0;
                self.refresh();
            }
            Key::KillToEnd => {
                self.kill = self.buf.split_off(self.cursor);
                self.refresh();
            }
            Key::KillWordBack => {
                let start = word_start_before(&self.buf, self.cursor);
                if start < self.cursor {
                    self.kill = self.buf.drain(start..self.cursor).collect();
                    self.cursor = start;
                    self.refresh();
                }
            }
            Key::Yank => {
                let kill = self.kill.clone();
                self.insert_str(&kill);
                self.refresh();
            }
            Key::ClearScreen => {
                self.out.extend_from_slice(b"\x1b[H\x1b[2J");
                self.cursor_row = 0;
                self.refresh();
            }
        }
        Action::None
    }

    /// `?` inside quotes, or escaped with a backslash, is just a character.
    fn literal_question_mark(&self) -> bool {
        let (mut single, mut double, mut escaped) = (false, false, false);
        for c in self.buf[..self.cursor].chars() {
            match c {
                _ if escaped => escaped = false,
                '\\' if !single => escaped = true,
                '"' if !single => double = !double,
                '\'' if !double => single = !single,
                _ => {}
            }
        }
        single || double || escaped
    }

    fn insert_char(&mut self, c: char) {
        if c.is_control() || self.buf.len() + c.len_utf8() > MAX_LINE {
            self.out.push(0x07);
            return;
        }
        let at_end = self.cursor == self.buf.len();
        let before = self.prompt_width() + str_width(&self.buf);
        self.buf.insert(self.cursor, c);
        self.cursor += c.len_utf8();
        let after = before + char_width(c);
        // Typing at the end of a line that does not wrap: echoing the
        // character is all the screen needs.
        if at_end && !after.is_multiple_of(self.cols) && before / self.cols == after / self.cols {
            let mut tmp = [0u8; 4];
            self.out
                .extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
        } else {
            self.refresh();
        }
    }

    fn insert_str(&mut self, s: &str) {
        let room = MAX_LINE.saturating_sub(self.buf.len());
        let mut end = s.len().min(room);
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        self.buf.insert_str(self.cursor, &s[..end]);
        self.cursor += end;
    }

    fn backspace(&mut self) {
        let Some(c) = self.buf[..self.cursor].chars().next_back() else {
            return;
        };
        let at_end = self.cursor == self.buf.len();
        let total = self.prompt_width() + str_width(&self.buf);
        self.cursor -= c.len_utf8();
        self.buf.remove(self.cursor);
        if at_end && char_width(c) == 1 && !total.is_multiple_of(self.cols) {
            self.out.extend_from_slice(b"\x08\x1b[K");
        } else {
            self.refresh();
        }
    }

    fn delete(&mut self) {
        if self.cursor < self.buf.len() {
            self.buf.remove(self.cursor);
            self.refresh();
        }
    }

    fn history_prev(&mut self) {
        let idx = match self.hist_idx {
            None if !self.history.is_empty() => {
                self.stash = self.buf.clone();
                self.history.len() - 1
            }
            Some(i) if i > 0 => i - 1,
            _ => {
                self.out.push(0x07);
                return;
            }
        };
        self.hist_idx = Some(idx);
        self.buf = self.history[idx].clone();
        self.cursor = self.buf.len();
        self.refresh();
    }

    fn history_next(&mut self) {
        match self.hist_idx {
            None => {
                self.out.push(0x07);
                return;
            }
            Some(i) if i + 1 < self.history.len() => {
                self.hist_idx = Some(i + 1);
                self.buf = self.history[i + 1].clone();
            }
            Some(_) => {
                self.hist_idx = None;
                self.buf = std::mem::take(&mut self.stash);
            }
        }
        self.cursor = self.buf.len();
        self.refresh();
    }

    /// TAB's answer: one candidate is completed (with a space after it);
    /// several are narrowed to their common prefix and listed under the
    /// line, ConfD style, before the prompt and line are drawn again.
    pub fn apply_completion(&mut self, c: Completion) {
        let start = c.start.min(self.cursor);
        if !self.buf.is_char_boundary(start) || c.candidates.is_empty() {
            self.out.push(0x07);
            return;
        }
        let word = self.buf[start..self.cursor].to_string();
        if let [only] = c.candidates.as_slice() {
            let mut with_space = only.clone();
            if !self.buf[self.cursor..].starts_with(' ') {
                with_space.push(' ');
            }
            self.replace_word(start, &with_space);
            if self.buf[self.cursor..].starts_with(' ') && with_space == *only {
                self.cursor += 1;
            }
            self.refresh();
            return;
        }
        let prefix = common_prefix(&c.candidates);
        if prefix.len() > word.len() && prefix.starts_with(word.as_str()) {
            self.replace_word(start, &prefix);
        }
        let mut list = String::from("Possible completions:\n");
        list.push_str(&columns(&c.candidates, self.cols));
        self.print_above(&list);
    }

    fn replace_word(&mut self, start: usize, with: &str) {
        if self.buf.len() - (self.cursor - start) + with.len() > MAX_LINE {
            self.out.push(0x07);
            return;
        }
        self.buf.replace_range(start..self.cursor, with);
        self.cursor = start + with.len();
    }

    /// `?`'s answer: the `?` is shown, then the help, then the same line
    /// again for further editing.
    pub fn show_help(&mut self, help: &str) {
        self.move_below_with(b"?\r\n");
        self.cursor_row = 0;
        push_text(&mut self.out, help);
        if !help.is_empty() && !help.ends_with('\n') {
            self.out.extend_from_slice(b"\r\n");
        }
        self.refresh();
    }

    /// Prints `text` under the line being edited, then draws the prompt
    /// and line again below it.
    fn print_above(&mut self, text: &str) {
        self.move_below();
        push_text(&mut self.out, text);
        if !text.ends_with('\n') {
            self.out.extend_from_slice(b"\r\n");
        }
        self.cursor_row = 0;
        self.refresh();
    }

    fn move_below(&mut self) {
        self.move_below_with(b"\r\n");
    }

    /// Moves the terminal cursor to the end of the line (which may span
    /// several rows) and writes `tail` there.
    fn move_below_with(&mut self, tail: &[u8]) {
        if self.cursor == self.buf.len() {
            // Already there (a wrap at the margin was forced by refresh).
            self.out.extend_from_slice(tail);
            self.cursor_row = 0;
            return;
        }
        let total = self.prompt_width() + str_width(&self.buf);
        let end_row = total / self.cols;
        if end_row > self.cursor_row {
            self.out
                .extend_from_slice(format!("\x1b[{}B", end_row - self.cursor_row).as_bytes());
        }
        let end_col = total % self.cols;
        self.out.push(b'\r');
        if end_col > 0 {
            self.out
                .extend_from_slice(format!("\x1b[{end_col}C").as_bytes());
        }
        self.out.extend_from_slice(tail);
        self.cursor_row = 0;
    }

    fn prompt_width(&self) -> usize {
        str_width(self.prompt.rsplit('\n').next().unwrap_or(""))
    }

    /// Draws prompt and line from scratch and puts the cursor in place.
    /// Works for lines that wrap over several rows, as long as the width
    /// is right.
    fn refresh(&mut self) {
        let w = self.cols;
        if self.cursor_row > 0 {
            self.out
                .extend_from_slice(format!("\x1b[{}A", self.cursor_row).as_bytes());
        }
        // Clear first: clearing after the text would eat the last column
        // when the text ends exactly at the right margin.
        self.out.extend_from_slice(b"\r\x1b[J");
        let prompt_last = self.prompt.rsplit('\n').next().unwrap_or("").to_string();
        self.out.extend_from_slice(prompt_last.as_bytes());
        self.out.extend_from_slice(self.buf.as_bytes());
        let total = self.prompt_width() + str_width(&self.buf);
        if total > 0 && total.is_multiple_of(w) {
            // The terminal holds the cursor at the margin until the next
            // character; force the wrap so the row arithmetic holds.
            self.out.extend_from_slice(b"\r\n");
        }
        let end_row = total / w;
        let cur = self.prompt_width() + str_width(&self.buf[..self.cursor]);
        let (row, col) = (cur / w, cur % w);
        if end_row > row {
            self.out
                .extend_from_slice(format!("\x1b[{}A", end_row - row).as_bytes());
        }
        self.out.push(b'\r');
        if col > 0 {
            self.out
                .extend_from_slice(format!("\x1b[{col}C").as_bytes());
        }
        self.cursor_row = row;
    }
}

/// Appends text for a terminal: bare `\n` becomes `\r\n`.
pub fn push_text(out: &mut Vec<u8>, text: &str) {
    let mut prev = 0u8;
    for &b in text.as_bytes() {
        if b == b'\n' && prev != b'\r' {
            out.push(b'\r');
        }
        out.push(b);
        prev = b;
    }
}

fn word_start_before(s: &str, cursor: usize) -> usize {
    let before = &s[..cursor];
    let trimmed = before.trim_end_matches(char::is_whitespace);
    trimmed
        .char_indices()
        .rev()
        .find(|(_, c)| c.is_whitespace())
        .map_or(0, |(i, c)| i + c.len_utf8())
}

fn word_end_after(s: &str, cursor: usize) -> usize {
    let after = &s[cursor..];
    let skipped = after.len() - after.trim_start_matches(char::is_whitespace).len();
    let rest = &after[skipped..];
    let word = rest.find(char::is_whitespace).unwrap_or(rest.len());
    cursor + skipped + word
}

fn common_prefix(words: &[String]) -> String {
    let Some(first) = words.first() else {
        return String::new();
    };
    let mut len = first.len();
    for w in &words[1..] {
        len = first
            .char_indices()
            .zip(w.chars())
            .take_while(|((_, a), b)| a == b)
            .last()
            .map_or(0, |((i, a), _)| i + a.len_utf8())
            .min(len);
    }
    first[..len].to_string()
}

/// Lays candidates out in as many columns as fit the terminal.
fn columns(words: &[String], cols: usize) -> String {
    let cell = words.iter().map(|w| str_width(w)).max().unwrap_or(0) + 2;
    let per_row = ((cols.saturating_sub(2)) / cell).max(1);
    let mut out = String::new();
    for row in words.chunks(per_row) {
        out.push_str("  ");
        for (i, w) in row.iter().enumerate() {
            out.push_str(w);
            if i + 1 < row.len() {
                out.push_str(&" ".repeat(cell - str_width(w)));
            }
        }
        out.push('\n');
    }
    out
}

pub fn str_width(s: &str) -> usize {
    s.chars().map(char_width).sum()
}

/// Terminal cells a character takes: East Asian wide characters take two,
/// combining marks none. Approximate (no table), but it covers the CJK
/// text an operator may paste, so the cursor stays where it is drawn.
pub fn char_width(c: char) -> usize {
    let u = c as u32;
    match u {
        0..=0x1F | 0x7F..=0x9F => 0,
        0x0300..=0x036F | 0x200B..=0x200F | 0xFE00..=0xFE0F => 0,
        0x1100..=0x115F
        | 0x2E80..=0x303E
        | 0x3041..=0x33FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF
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

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(bytes: &[u8]) -> Vec<Key> {
        let mut d = KeyDecoder::default();
        let mut k = Vec::new();
        d.feed(bytes, &mut k);
        k
    }

    fn type_str(e: &mut Editor, s: &[u8]) -> Vec<Action> {
        keys(s).into_iter().map(|k| e.key(k)).collect()
    }

    #[test]
    fn decodes_escape_sequences_split_across_chunks() {
        let mut d = KeyDecoder::default();
        let mut k = Vec::new();
        d.feed(b"a\x1b[", &mut k);
        d.feed(b"D\x1bOH\x1b[3~\x1b[1;5C\r\n\xe4\xbd", &mut k);
        d.feed(b"\xa0", &mut k);
        assert_eq!(
            k,
            vec![
                Key::Char('a'),
                Key::Left,
                Key::Home,
                Key::Delete,
                Key::WordRight,
                Key::Enter,
                Key::Char('你'),
            ]
        );
    }

    #[test]
    fn edits_in_the_middle_and_submits() {
        let mut e = Editor::new(80);
        e.new_line("p# ".into());
        type_str(&mut e, b"shw\x1b[Do\x05 run\x01\x06\x06");
        assert_eq!(e.line(), "show run");
        assert_eq!(e.cursor, 2);
        let acts = type_str(&mut e, b"\r");
        assert_eq!(acts, vec![Action::Submit("show run".into())]);
        assert_eq!(e.line(), "");
    }

    #[test]
    fn kill_and_yank() {
        let mut e = Editor::new(80);
        e.new_line("p# ".into());
        type_str(&mut e, b"show running-config\x17");
        assert_eq!(e.line(), "show ");
        type_str(&mut e, b"\x19\x01\x0b");
        assert_eq!(e.line(), "");
        type_str(&mut e, b"\x19\x01\x06\x15");
        assert_eq!(e.line(), "how running-config");
    }

    #[test]
    fn history_browses_and_restores_the_stash() {
        let mut e = Editor::new(80);
        e.new_line("p# ".into());
        type_str(&mut e, b"one\rtwo\rtwo\rthr");
        type_str(&mut e, b"\x1b[A");
        assert_eq!(e.line(), "two");
        type_str(&mut e, b"\x1b[A");
        assert_eq!(e.line(), "one");
        type_str(&mut e, b"\x1b[A");
        assert_eq!(e.line(), "one");
        type_str(&mut e, b"\x1b[B\x1b[B");
        assert_eq!(e.line(), "thr");
    }

    #[test]
    fn question_mark_is_help_unless_quoted() {
        let mut e = Editor::new(80);
        e.new_line("p# ".into());
        assert_eq!(type_str(&mut e, b"show ?").last(), Some(&Action::Help));
        assert_eq!(e.line(), "show ");
        type_str(&mut e, b"\"a?");
        assert_eq!(e.line(), "show \"a?");
        e.take_output();
        e.show_help("  running-config  Show the configuration\n");
        let out = String::from_utf8(e.take_output()).unwrap();
        assert!(
            out.contains("?\r\n  running-config  Show the configuration\r\n"),
            "{out:?}"
        );
        assert!(out.ends_with("p# show \"a?\r\x1b[11C"), "{out:?}");
    }

    #[test]
    fn completion_single_and_several() {
        let mut e = Editor::new(80);
        e.new_line("p# ".into());
        type_str(&mut e, b"show ru");
        e.apply_completion(Completion {
            start: 5,
            candidates: vec!["running-config".into()],
        });
        assert_eq!(e.line(), "show running-config ");
        let mut e = Editor::new(80);
        e.new_line("p# ".into());
        type_str(&mut e, b"cl");
        e.take_output();
        e.apply_completion(Completion {
            start: 0,
            candidates: vec!["clear".into(), "clock".into(), "cluster".into()],
        });
        assert_eq!(e.line(), "cl");
        let out = String::from_utf8(e.take_output()).unwrap();
        assert!(
            out.contains("Possible completions:\r\n  clear    clock    cluster\r\n"),
            "{out:?}"
        );
        assert!(out.ends_with("p# cl\r\x1b[5C"), "{out:?}");
        e.apply_completion(Completion {
            start: 0,
            candidates: vec!["cluster".into(), "clusters".into()],
        });
        assert_eq!(e.line(), "cluster");
    }

    #[test]
    fn wrapped_lines_keep_the_cursor_row() {
        let mut e = Editor::new(10);
        e.new_line("p# ".into());
        type_str(&mut e, b"abcdefghijkl");
        // 3 + 12 = 15 cells on 10 columns: the cursor is on row 1.
        assert_eq!(e.cursor_row, 1);
        e.take_output();
        type_str(&mut e, b"\x01");
        let out = String::from_utf8(e.take_output()).unwrap();
        assert!(out.starts_with("\x1b[1A\r\x1b[Jp# abcdefghijkl"), "{out:?}");
        assert_eq!(e.cursor_row, 0);
        // Exactly at the margin: the wrap is forced.
        let mut e = Editor::new(10);
        e.new_line("p# ".into());
        type_str(&mut e, b"abcdefg");
        assert_eq!(e.cursor_row, 1);
    }

    #[test]
    fn ctrl_c_and_ctrl_d() {
        let mut e = Editor::new(80);
        e.new_line("p# ".into());
        type_str(&mut e, b"abc\x03");
        assert_eq!(e.line(), "");
        assert_eq!(
            type_str(&mut e, b"x\x01\x04"),
            vec![Action::None, Action::None, Action::None]
        );
        assert_eq!(e.line(), "");
        assert_eq!(type_str(&mut e, b"\x04"), vec![Action::Eof]);
    }

    #[test]
    fn widths() {
        assert_eq!(str_width("ab"), 2);
        assert_eq!(str_width("日志"), 4);
        assert_eq!(common_prefix(&["日志a".into(), "日志b".into()]), "日志");
        assert_eq!(word_start_before("show  run  ", 11), 6);
        assert_eq!(word_end_after("show  run", 4), 9);
    }
}
