//! What a shell front end (the SSH server, `kubetac shell`) needs from the
//! command language: a prompt, completion, `?` help, and running a line
//! with its output streamed back. The SSH server knows nothing else about
//! the commands.

use futures::future::BoxFuture;
use tokio_util::sync::CancellationToken;

/// Completion candidates for the word that starts at byte `start` of the line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Completion {
    pub start: usize,
    /// Full replacement words, sorted; one candidate means "complete it".
    pub candidates: Vec<String>,
}

/// What the front end does after a line ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    /// `exit` at the top level: close the session.
    Exit,
}

/// Output of a running command, as it is produced. Text uses `\n`; a
/// terminal front end turns it into `\r\n`.
pub type Output = tokio::sync::mpsc::Sender<Vec<u8>>;

/// Opens one session per connection (or per `kubetac shell`).
pub trait Backend: Send + Sync + 'static {
    /// `user` is who logged in; `from` is the peer, for the banner and logs.
    fn open(&self, user: &str, from: Option<std::net::SocketAddr>) -> Box<dyn Session>;
}

pub trait Session: Send {
    /// Printed once after login: `Welcome to the cee CLI on brusmi/cee` ...
    fn banner(&self) -> String;
    /// `[brusmi/cee] cee# ` (config mode: `[brusmi/cee] cee(config)# `).
    fn prompt(&self) -> String;
    /// TAB: candidates for the word under the cursor.
    fn complete<'a>(&'a mut self, line: &'a str, cursor: usize) -> BoxFuture<'a, Completion>;
    /// `?`: the possible next words with a one-line help each, as text to
    /// print (the line itself is kept for further editing).
    fn help<'a>(&'a mut self, line: &'a str) -> BoxFuture<'a, String>;
    /// Runs a line. Output goes to `out` while it runs; `cancel` is Ctrl-C
    /// (a following `cluster logs` stops, the prompt comes back).
    fn run<'a>(
        &'a mut self,
        line: &'a str,
        out: Output,
        cancel: CancellationToken,
    ) -> BoxFuture<'a, Flow>;
}
