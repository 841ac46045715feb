//! What runs on one session channel: the interactive CLI on a PTY, plain
//! line-by-line input without one (`printf 'cmd\n' | ssh -T`), or a single
//! command (`ssh host 'cmd'`).

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use russh::ChannelId;
use russh::server::Handle;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::SessionSlot;
use super::editor::{Action, Editor, Key, KeyDecoder};
use crate::opscenter::session::{Flow, Session};

/// Most input kept while a command runs (type-ahead), and the longest line
/// read without a PTY.
const MAX_PENDING: usize = 64 * 1024;
/// Output gathered into one write, at most about this much.
const COALESCE: usize = 32 * 1024;

/// What the connection hands a channel's task.
#[derive(Debug)]
pub(super) enum Input {
    Data(Vec<u8>),
    Eof,
    Resize(u32),
    /// A `signal` request (INT/TERM): cancels a running command.
    Interrupt,
}

#[derive(Debug)]
pub(super) enum Mode {
    Shell,
    Exec(String),
}

/// Sends input to a channel's task without ever waiting: the connection's
/// reader must not block on a task that may itself be waiting for the
/// connection to take its output. Memory is bounded by dropping data past
/// `MAX_QUEUED` bytes instead.
pub(super) struct InputTx {
    tx: mpsc::UnboundedSender<Input>,
    queued: Arc<AtomicUsize>,
}

pub(super) struct InputRx {
    rx: mpsc::UnboundedReceiver<Input>,
    queued: Arc<AtomicUsize>,
}

const MAX_QUEUED: usize = 1 << 20;

pub(super) fn input_channel() -> (InputTx, InputRx) {
    let (tx, rx) = mpsc::unbounded_channel();
    let queued = Arc::new(AtomicUsize::new(0));
    (
        InputTx {
            tx,
            queued: queued.clone(),
        },
        InputRx { rx, queued },
    )
}

impl InputTx {
    pub fn send(&self, input: Input) {
        if let Input::Data(bytes) = &input {
            let before = self.queued.fetch_add(bytes.len(), Ordering::AcqRel);
            if before + bytes.len() > MAX_QUEUED {
                self.queued.fetch_sub(bytes.len(), Ordering::AcqRel);
                tracing::warn!("ssh input dropped: session not reading");
                return;
            }
        }
        // A finished task has dropped its receiver; nothing to feed.
        let _ = self.tx.send(input);
    }
}

impl InputRx {
    async fn recv(&mut self) -> Option<Input> {
        let input = self.rx.recv().await?;
        if let Input::Data(bytes) = &input {
            self.queued.fetch_sub(bytes.len(), Ordering::AcqRel);
        }
        Some(input)
    }
}

/// The client closed the channel or the connection.
struct Gone;

pub(super) struct ShellTask {
    pub handle: Handle,
    pub id: ChannelId,
    pub session: Box<dyn Session>,
    pub input: InputRx,
    pub pty_cols: Option<u32>,
    pub idle_timeout: Duration,
    /// Counted until the task ends.
    pub slot: SessionSlot,
}

impl ShellTask {
    pub async fn run(self, mode: Mode) {
        let ShellTask {
            handle,
            id,
            mut session,
            input,
            pty_cols,
            idle_timeout,
            slot,
        } = self;
        let mut io = Io {
            out: Out {
                handle,
                id,
                pty: pty_cols.is_some(),
                at_line_start: true,
                last_cr: false,
            },
            input,
            pending: VecDeque::new(),
            eof: false,
            idle_timeout,
        };
        let result = match (mode, pty_cols) {
            (Mode::Exec(line), _) => io.run_line(session.as_mut(), &line).await.map(drop),
            (Mode::Shell, Some(cols)) => interactive(&mut io, session.as_mut(), cols).await,
            (Mode::Shell, None) => plain(&mut io, session.as_mut()).await,
        };
        if result.is_ok() {
            // The backend cannot report a failed command (Flow has no
            // status), so every orderly end is 0.
            io.out.finish(0).await;
        }
        drop(slot);
    }
}

/// Output to the channel, turned into what a terminal expects on a PTY.
struct Out {
    handle: Handle,
    id: ChannelId,
    pty: bool,
    at_line_start: bool,
    last_cr: bool,
}

impl Out {
    /// Bytes as they are (the editor's output is terminal-ready).
    async fn raw(&mut self, bytes: Vec<u8>) -> Result<(), Gone> {
        let Some(&last) = bytes.last() else {
            return Ok(());
        };
        self.at_line_start = last == b'\n';
        self.last_cr = last == b'\r';
        self.handle.data(self.id, bytes).await.map_err(|_| Gone)
    }

    /// Command output: `\n` becomes `\r\n` on a PTY.
    async fn text(&mut self, bytes: Vec<u8>) -> Result<(), Gone> {
        if !self.pty {
            return self.raw(bytes).await;
        }
        let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 16);
        let mut prev_cr = self.last_cr;
        for b in bytes {
            if b == b'\n' && !prev_cr {
                out.push(b'\r');
            }
            out.push(b);
            prev_cr = b == b'\r';
        }
        self.raw(out).await
    }

    async fn str(&mut self, s: &str) -> Result<(), Gone> {
        self.text(s.as_bytes().to_vec()).await
    }

    /// Puts the cursor at the start of a line, so a prompt never lands
    /// behind output that did not end in a newline.
    async fn fresh_line(&mut self) -> Result<(), Gone> {
        if self.at_line_start {
            return Ok(());
        }
        self.str("\n").await
    }

    async fn finish(&mut self, status: u32) {
        let _ = self.handle.exit_status_request(self.id, status).await;
        let _ = self.handle.eof(self.id).await;
        let _ = self.handle.close(self.id).await;
    }
}

struct Io {
    out: Out,
    input: InputRx,
    /// Input that arrived while a command ran, replayed afterwards.
    pending: VecDeque<Input>,
    eof: bool,
    idle_timeout: Duration,
}

enum Next {
    Input(Input),
    Idle,
}

impl Io {
    /// Next input when waiting at the prompt; `Idle` after `idle_timeout`
    /// of silence.
    async fn next(&mut self) -> Result<Next, Gone> {
        if let Some(i) = self.pending.pop_front() {
            return Ok(Next::Input(i));
        }
        if self.eof {
            return Ok(Next::Input(Input::Eof));
        }
        tokio::select! {
            i = self.input.recv() => i.map(Next::Input).ok_or(Gone),
            () = tokio::time::sleep(self.idle_timeout) => Ok(Next::Idle),
        }
    }

    async fn idle_exit(&mut self) -> Result<(), Gone> {
        self.out.fresh_line().await?;
        self.out.str("idle timeout, closing\n").await
    }

    /// Runs one line, streaming its output. On a PTY, Ctrl-C cancels it
    /// and drops what was typed ahead; other input is kept for later.
    async fn run_line(&mut self, session: &mut dyn Session, line: &str) -> Result<Ran, Gone> {
        let (tx, mut rx) = mpsc::channel::<Vec<u8>>(64);
        let cancel = CancellationToken::new();
        let run = session.run(line, tx, cancel.clone());
        tokio::pin!(run);
        let mut output_open = true;
        let mut pending_bytes = 0usize;
        let flow = loop {
            tokio::select! {
                chunk = rx.recv(), if output_open => match chunk {
                    Some(mut chunk) => {
                        // Many small writes (a log line each) go out as a
                        // few packets rather than one each.
                        while chunk.len() < COALESCE {
                            let Ok(more) = rx.try_recv() else { break };
                            chunk.extend_from_slice(&more);
                        }
                        self.out.text(chunk).await?
                    }
                    None => output_open = false,
                },
                flow = run.as_mut() => {
                    // Output sent just before returning is still queued.
                    while let Ok(chunk) = rx.try_recv() {
                        self.out.text(chunk).await?;
                    }
                    break flow;
                }
                // Polled even after EOF: only this notices the client
                // closing the channel while a command streams on.
                input = self.input.recv() => match input {
                    // Returning drops `run`, which cancels the command too.
                    None => return Err(Gone),
                    Some(Input::Data(bytes)) if self.out.pty && bytes.contains(&0x03) => {
                        cancel.cancel();
                    }
                    Some(Input::Interrupt) => cancel.cancel(),
                    Some(Input::Data(bytes)) => {
                        pending_bytes += bytes.len();
                        if pending_bytes <= MAX_PENDING && !cancel.is_cancelled() {
                            self.pending.push_back(Input::Data(bytes));
                        }
                    }
                    Some(Input::Eof) => self.eof = true,
                    Some(resize @ Input::Resize(_)) => self.pending.push_back(resize),
                },
            }
        };
        let interrupted = cancel.is_cancelled();
        if interrupted {
            // What was typed before Ctrl-C goes with the command.
            self.pending.retain(|i| !matches!(i, Input::Data(_)));
        }
        if self.out.pty {
            self.out.fresh_line().await?;
        }
        Ok(Ran { flow, interrupted })
    }
}

struct Ran {
    flow: Flow,
    interrupted: bool,
}

/// The CLI on a terminal: banner, prompt, line editing, `?` and TAB.
async fn interactive(io: &mut Io, session: &mut dyn Session, cols: u32) -> Result<(), Gone> {
    let mut editor = Editor::new(cols);
    let mut decoder = KeyDecoder::default();
    let mut keys: VecDeque<Key> = VecDeque::new();
    let mut decoded = Vec::new();

    let banner = session.banner();
    if !banner.is_empty() {
        io.out.str(&banner).await?;
        io.out.fresh_line().await?;
    }
    editor.new_line(session.prompt());
    io.out.raw(editor.take_output()).await?;

    loop {
        let Some(key) = keys.pop_front() else {
            match io.next().await? {
                Next::Idle => return io.idle_exit().await,
                Next::Input(Input::Data(bytes)) => {
                    decoder.feed(&bytes, &mut decoded);
                    keys.extend(decoded.drain(..));
                }
                Next::Input(Input::Resize(c)) => editor.set_cols(c),
                Next::Input(Input::Interrupt) => keys.push_back(Key::Interrupt),
                // No more keys will come: leave as Ctrl-D would.
                Next::Input(Input::Eof) => {
                    io.out.raw(b"\r\n".to_vec()).await?;
                    return Ok(());
                }
            }
            continue;
        };
        match editor.key(key) {
            Action::None => {}
            Action::Eof => {
                io.out.raw(editor.take_output()).await?;
                return Ok(());
            }
            Action::Complete => {
                io.out.raw(editor.take_output()).await?;
                let line = editor.line().to_string();
                let completion = session.complete(&line, editor.cursor()).await;
                editor.apply_completion(completion);
            }
            Action::Help => {
                io.out.raw(editor.take_output()).await?;
                let line = editor.help_line().to_string();
                let help = session.help(&line).await;
                editor.show_help(&help);
            }
            Action::Submit(line) => {
                io.out.raw(editor.take_output()).await?;
                if !line.trim().is_empty() {
                    let ran = io.run_line(session, &line).await?;
                    if ran.flow == Flow::Exit {
                        return Ok(());
                    }
                    if ran.interrupted {
                        // Keys typed ahead in the same packet as Enter go
                        // too.
                        keys.clear();
                    }
                }
                editor.new_line(session.prompt());
            }
        }
        io.out.raw(editor.take_output()).await?;
    }
}

/// No PTY: each line of input is a command; no prompt, no echo.
async fn plain(io: &mut Io, session: &mut dyn Session) -> Result<(), Gone> {
    let mut buf: Vec<u8> = Vec::new();
    loop {
        let input = match io.next().await? {
            Next::Idle => return io.idle_exit().await,
            Next::Input(i) => i,
        };
        match input {
            Input::Data(bytes) => {
                buf.extend_from_slice(&bytes);
                while let Some(nl) = buf.iter().position(|&b| b == b'\n') {
                    let raw: Vec<u8> = buf.drain(..=nl).collect();
                    let line = String::from_utf8_lossy(&raw);
                    let line = line.trim_end_matches(['\n', '\r']);
                    if !line.trim().is_empty()
                        && io.run_line(session, line).await?.flow == Flow::Exit
                    {
                        return Ok(());
                    }
                }
                if buf.len() > MAX_PENDING {
                    io.out.str("error: line too long\n").await?;
                    buf.clear();
                }
            }
            Input::Eof => {
                let line = String::from_utf8_lossy(&buf).into_owned();
                if !line.trim().is_empty() {
                    io.run_line(session, line.trim_end_matches('\r')).await?;
                }
                return Ok(());
            }
            Input::Resize(_) | Input::Interrupt => {}
        }
    }
}
