//! `kubetac cluster logs`: follow the logs of every matching pod at once, as
//! the guide's step 5.4 does, without losing or repeating a line when a
//! stream breaks, without a cap on the number of streams, and with memory
//! bounded however slow the reader.
//!
//! The engine has stern's shape, one file per part:
//! - [`filter`]: which pods and containers to follow, which lines to keep;
//! - [`tail`]: one container's log, instance after instance, resumed after a
//!   broken stream from the last timestamp seen ([`resume`] says which lines
//!   were already printed);
//! - [`fanout`]: watches pods, starts and stops tails, paces requests;
//! - [`format`]: how a line is printed (`[pod] line`, colours, JSON).
//!
//! It writes to injected writers ([`Outputs`]) through a bounded [`sink`],
//! never to stdout directly, and stops when the `stop` future resolves.

mod fanout;
pub mod filter;
pub mod format;
mod limit;
mod pod;
mod resume;
mod rotated;
mod sink;
mod tail;

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::cluster::{AccessError, Cluster};
use crate::inspect::Scope;

pub use filter::{LineFilter, TargetFilter};
pub use format::Style;

/// What to follow and how to print it.
#[derive(Debug, Clone)]
pub struct Options {
    pub targets: TargetFilter,
    pub lines: LineFilter,
    /// Label selector, given to the server.
    pub selector: Option<String>,
    /// Only lines at or after this time (`--since`, `--since-time`).
    pub since: Option<jiff::Timestamp>,
    /// Only the last N lines of each instance running when we start.
    pub tail: Option<i64>,
    /// Also print the previous instance of containers that restarted.
    pub previous: bool,
    /// Keep following (the default); `false` prints what is there and ends.
    pub follow: bool,
    pub style: Style,
    /// Pods come from several namespaces: prefixes name the namespace.
    pub all_namespaces: bool,
}

/// Where the engine writes: `out` gets the log lines, `err` the
/// announcements (`+ pod/container`) and notices.
pub struct Outputs {
    pub out: Box<dyn Write + Send>,
    pub err: Box<dyn Write + Send>,
}

/// What stopped the engine or kept it from starting.
#[derive(Debug, thiserror::Error)]
pub enum LogsError {
    /// The first list of pods failed: nothing can be followed.
    #[error("listing pods in {scope}: {source}")]
    ListPods {
        scope: String,
        #[source]
        source: AccessError,
    },
    /// The output could not be written (a closed pipe included, which the
    /// caller treats as the normal end of `| head`).
    #[error("writing the log lines")]
    Output(#[source] std::io::Error),
}

/// Counters of a run, for `-v` and for the tests that prove resumes happened.
#[derive(Debug, Default)]
pub struct Stats {
    /// Lines written to the output.
    pub lines: AtomicU64,
    /// Log requests answered with a stream.
    pub opens: AtomicU64,
    /// Streams that broke (cut, reset, error mid-body) and were resumed.
    pub breaks: AtomicU64,
    /// Log or pod requests the server refused or failed (5xx, 429, network).
    pub failures: AtomicU64,
    /// Lines read back from rotated files on the nodes.
    pub recovered: AtomicU64,
}

impl Stats {
    fn add(c: &AtomicU64, n: u64) {
        c.fetch_add(n, Ordering::Relaxed);
    }

    pub fn summary(&self) -> String {
        format!(
            "{} lines, {} log streams opened, {} broken streams resumed, {} failed requests retried, {} lines recovered from rotated files",
            self.lines.load(Ordering::Relaxed),
            self.opens.load(Ordering::Relaxed),
            self.breaks.load(Ordering::Relaxed),
            self.failures.load(Ordering::Relaxed),
            self.recovered.load(Ordering::Relaxed)
        )
    }
}

/// How often the same kind of complaint may reach stderr.
const NOTICE_EVERY: Duration = Duration::from_secs(10);

/// What every tail shares: the cluster, the options, the output, the
/// request pacing and the counters.
struct Shared {
    cl: Cluster,
    /// Clients for the tails, taken in turn.
    streams: Vec<kube::Client>,
    next_stream: AtomicU64,
    opts: Options,
    sink: sink::SinkHandle,
    limiter: limit::Limiter,
    stats: Arc<Stats>,
    err: Mutex<Box<dyn Write + Send>>,
    /// When the last "throttled" notice was printed.
    throttled_at: Mutex<Option<Instant>>,
}

impl Shared {
    /// The cluster as the next tail talks to it.
    fn tail_cluster(&self) -> Cluster {
        let i = self.next_stream.fetch_add(1, Ordering::Relaxed) as usize;
        Cluster {
            client: self.streams[i % self.streams.len()].clone(),
            ..self.cl.clone()
        }
    }

    /// One line on stderr; a closed stderr is not worth failing for.
    fn say(&self, msg: &str) {
        let mut e = self.err.lock().unwrap_or_else(|p| p.into_inner());
        let _ = writeln!(e, "{msg}");
        let _ = e.flush();
    }

    /// The server asked us to slow down (429): say so, but not for every
    /// request.
    fn throttled(&self, what: &str) {
        let mut at = self.throttled_at.lock().unwrap_or_else(|p| p.into_inner());
        if at.is_none_or(|t| t.elapsed() >= NOTICE_EVERY) {
            *at = Some(Instant::now());
            drop(at);
            self.say(&format!(
                "kubetac: the API server is throttling us (429 TooManyRequests) while {what}; retrying more slowly"
            ));
        }
    }
}

/// Follows (or, without `follow`, prints) the logs of every container that
/// `opts` selects in `scope` until `stop` resolves, every tail ends (without
/// `follow`), or the output is closed. `cl` reads and watches pods; the
/// tails' requests are spread over the `streams` clients (`cl`'s own when
/// empty).
pub async fn run(
    cl: Cluster,
    streams: Vec<kube::Client>,
    scope: Scope,
    opts: Options,
    outputs: Outputs,
    stop: impl std::future::Future<Output = ()>,
) -> Result<Arc<Stats>, LogsError> {
    let (sink, handle) = sink::Sink::spawn(outputs.out, sink::DEFAULT_CAPACITY);
    let stats = Arc::new(Stats::default());
    let streams = if streams.is_empty() {
        vec![cl.client.clone()]
    } else {
        streams
    };
    let sh = Arc::new(Shared {
        cl,
        streams,
        next_stream: AtomicU64::new(0),
        opts,
        sink: handle,
        limiter: limit::Limiter::new(limit::REQUESTS_PER_SECOND, limit::REQUEST_BURST),
        stats: stats.clone(),
        err: Mutex::new(outputs.err),
        throttled_at: Mutex::new(None),
    });
    let mut stop = std::pin::pin!(stop);
    let result = fanout::run(sh.clone(), scope, stop.as_mut()).await;
    let flushed = match result {
        // Everything was read: write it all, however slow the reader, but
        // Ctrl-C still ends it.
        Ok(fanout::Ended::AllRead) => tokio::select! {
            r = sink.finish() => r,
            _ = stop => Ok(()),
        },
        // Stopped: what is formatted goes out, unless the reader has
        // stopped reading; it is not waited for.
        _ => tokio::time::timeout(Duration::from_millis(500), sink.finish())
            .await
            .unwrap_or(Ok(())),
    };
    tracing::info!("cluster logs: {}", stats.summary());
    result?;
    flushed.map_err(LogsError::Output)?;
    Ok(stats)
}
