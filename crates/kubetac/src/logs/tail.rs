//! The tail of one container: its log instance after instance (the
//! previous one if asked, the current one, then each restart), every stream
//! asked with timestamps so that, when it breaks — a cut connection, an API
//! server restart, a 500 or 429 — it is resumed from the last line printed
//! and nothing is lost or printed twice ([`Position`]).
//!
//! Which instance a stream reads is decided by the kubelet from the pod's
//! status at the moment of the request, so before every request but the
//! first the tail reads the pod again: a stream is never taken for the
//! continuation of an instance that has meanwhile been replaced.

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, LogParams};
use tokio::sync::watch;

use super::format::LineFormat;
use super::limit::Backoff;
use super::pod::{PodView, Read};
use super::resume::{self, Nanos, Position};
use super::rotated;
use super::{Shared, Stats};
use crate::cluster::{AccessError, Cluster};

/// A pod read older than this is read again before choosing an instance.
const STALE: Duration = Duration::from_secs(1);
/// A follow stream silent for this long is reopened (resumed): a connection
/// that died without a reset would otherwise hang for ever.
const IDLE_REOPEN: Duration = Duration::from_secs(300);
/// Longest line kept whole; the rest of a longer one is dropped, so one
/// runaway line cannot take memory.
const MAX_LINE: usize = 1 << 20;
/// Bytes read from a stream at a time.
const READ_CHUNK: usize = 64 * 1024;
/// Instance IDs remembered as done (a crash loop makes many).
const DONE_KEPT: usize = 8;
/// Tries at reading rotated files before saying lines may be missing.
const RECOVERY_ATTEMPTS: u32 = 5;

/// Why a tail ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// Nothing more will come (`--no-follow`, or the pod finished).
    Finished,
    /// The pod was deleted (or replaced by a new pod of the same name).
    Deleted,
    /// The server refused us (401, 403): said on stderr.
    Refused,
    /// The output is gone.
    Output,
}

/// How one stream ended.
enum Pump {
    Eof,
    Broken(String),
    Output,
}

/// What a failed request means for the tail.
enum Failure {
    Refused(String),
    Gone,
    Throttled,
    Retry(String),
}

fn classify(e: AccessError) -> Failure {
    match e {
        AccessError::Forbidden(_) | AccessError::Unauthorized { .. } => {
            Failure::Refused(e.to_string())
        }
        AccessError::NotFound(_) => Failure::Gone,
        AccessError::Api { code: 429, .. } => Failure::Throttled,
        other => Failure::Retry(other.to_string()),
    }
}

pub struct Tail {
    sh: Arc<Shared>,
    /// The cluster through this tail's connection.
    cl: Cluster,
    pub label: String,
    container: String,
    api: Api<Pod>,
    fmt: LineFormat,
    pod_rx: watch::Receiver<Arc<PodView>>,
    view: Arc<PodView>,
    /// Instances read to their end, or not to be read.
    done: Vec<String>,
    /// Instances that existed when we started: `--tail`/`--since` apply.
    existing: Vec<String>,
    /// The first request may trust the view the tail was started from.
    opened_once: bool,
    backoff: Backoff,
    split: Splitter,
    /// Formatted lines of the chunk being processed.
    out: Vec<u8>,
    buf: Vec<u8>,
}

impl Tail {
    /// `existing`: the pod was there when we started, so `--tail`,
    /// `--since` and `--previous` apply to the instances it has now.
    pub fn new(
        sh: Arc<Shared>,
        pod_rx: watch::Receiver<Arc<PodView>>,
        container: &str,
        label: String,
        fmt: LineFormat,
        existing: bool,
    ) -> Self {
        let view = pod_rx.borrow().clone();
        let instances = view
            .container(container)
            .map(|c| c.instances.clone())
            .unwrap_or_default();
        let (done, existing) = if existing {
            (
                instances.history(sh.opts.previous),
                instances.known().map(str::to_string).collect(),
            )
        } else {
            (Vec::new(), Vec::new())
        };
        let cl = sh.tail_cluster();
        let api = Api::namespaced(cl.client.clone(), &view.namespace);
        Tail {
            cl,
            backoff: Backoff::new(&label),
            sh,
            label,
            container: container.to_string(),
            api,
            fmt,
            pod_rx,
            view,
            done,
            existing,
            opened_once: false,
            split: Splitter::default(),
            out: Vec::new(),
            buf: vec![0; READ_CHUNK],
        }
    }

    fn stats(&self) -> &Stats {
        &self.sh.stats
    }

    pub async fn run(mut self) -> End {
        loop {
            if self.view.deleted {
                return End::Deleted;
            }
            let Some(c) = self.view.container(&self.container) else {
                return End::Finished;
            };
            let next = c
                .instances
                .known()
                .find(|id| !self.done.iter().any(|d| d == id))
                .map(str::to_string);
            match next {
                Some(id) => {
                    if let Err(end) = self.read_instance(&id).await {
                        return end;
                    }
                    self.done.push(id);
                    if self.done.len() > DONE_KEPT {
                        self.done.remove(0);
                    }
                }
                None if !self.sh.opts.follow || self.view.finished => return End::Finished,
                None => {
                    // Wait for a new instance (a restart) or the end.
                    let latest = self.pod_rx.borrow_and_update().clone();
                    if Arc::ptr_eq(&latest, &self.view) || !self.newer(&latest) {
                        if self.pod_rx.changed().await.is_err() {
                            return End::Deleted;
                        }
                        let v = self.pod_rx.borrow_and_update().clone();
                        self.view = v;
                    } else {
                        self.view = latest;
                    }
                }
            }
        }
    }

    /// Whether the watch's view says something ours does not.
    fn newer(&self, v: &PodView) -> bool {
        v.deleted
            || v.finished != self.view.finished
            || v.container(&self.container).map(|c| &c.instances)
                != self.view.container(&self.container).map(|c| &c.instances)
    }

    /// Reads the pod again (after a stream ended, before the next request).
    async fn refresh(&mut self) -> Result<(), End> {
        let name = self.view.name.clone();
        loop {
            self.sh.limiter.acquire().await;
            let what = format!("reading pod {name}");
            match self.cl.call(&what, self.api.get(&name)).await {
                Ok(p) => {
                    if p.metadata.uid.as_deref() != Some(self.view.uid.as_str()) {
                        // A new pod with the same name has its own tail.
                        return Err(End::Deleted);
                    }
                    self.view = Arc::new(PodView::from_pod(&p));
                    return Ok(());
                }
                Err(e) => match classify(e) {
                    Failure::Gone => return Err(End::Deleted),
                    Failure::Refused(msg) => {
                        // May read logs but not pods: the watch's view has
                        // to do.
                        tracing::debug!("{}: {msg}; using the watched pod", self.label);
                        self.view = self.pod_rx.borrow().clone();
                        return Ok(());
                    }
                    Failure::Throttled => {
                        Stats::add(&self.stats().failures, 1);
                        self.sh.throttled(&what);
                        let d = self.backoff.next_delay().max(Duration::from_secs(1));
                        tokio::time::sleep(d).await;
                    }
                    Failure::Retry(msg) => {
                        Stats::add(&self.stats().failures, 1);
                        tracing::info!("{}: {msg}; retrying", self.label);
                        tokio::time::sleep(self.backoff.next_delay()).await;
                    }
                },
            }
            if self.pod_rx.borrow().deleted {
                return Err(End::Deleted);
            }
        }
    }

    /// Reads one instance to its end (or, following, until it ends).
    async fn read_instance(&mut self, id: &str) -> Result<(), End> {
        let opts = &self.sh.opts;
        let mut pos = if self.existing.iter().any(|e| e == id) {
            Position::new(opts.since.map(|t| t.as_nanosecond()), opts.tail)
        } else {
            Position::new(None, None)
        };
        loop {
            if self.opened_once || self.view.read_at.elapsed() > STALE {
                self.refresh().await?;
            }
            if self.view.deleted {
                return Err(End::Deleted);
            }
            let Some(c) = self.view.container(&self.container) else {
                return Ok(());
            };
            let how = c.instances.how_to_read(id);
            let (follow, previous) = match how {
                Read::Current { running } => (running && self.sh.opts.follow, false),
                Read::Previous => (false, true),
                Read::Gone => {
                    self.sh.say(&format!(
                        "kubetac: {}: the container restarted twice while its log could not be read; lines of instance {} are missing",
                        self.label,
                        short_id(id)
                    ));
                    return Ok(());
                }
            };
            let ask = pos.ask();
            let lp = LogParams {
                container: Some(self.container.clone()),
                follow,
                previous,
                timestamps: true,
                since_time: ask.since_time,
                tail_lines: ask.tail_lines,
                ..LogParams::default()
            };
            self.sh.limiter.acquire().await;
            let asked_at = resume::now();
            let what = format!("opening the log of {}", self.label);
            let opened = self
                .cl
                .call(&what, self.api.log_stream(&self.view.name, &lp))
                .await;
            self.opened_once = true;
            let reader = match opened {
                Ok(r) => r,
                Err(e) => {
                    match classify(e) {
                        Failure::Refused(msg) => {
                            self.sh.say(&format!("kubetac: {}: {msg}", self.label));
                            return Err(End::Refused);
                        }
                        Failure::Gone => return Err(End::Deleted),
                        Failure::Throttled => {
                            Stats::add(&self.stats().failures, 1);
                            self.sh.throttled(&what);
                            let d = self.backoff.next_delay().max(Duration::from_secs(1));
                            tokio::time::sleep(d).await;
                        }
                        Failure::Retry(msg) => {
                            // Also "container is waiting to start" and the
                            // like when our view of the pod was behind.
                            Stats::add(&self.stats().failures, 1);
                            tracing::info!("{}: {msg}; retrying", self.label);
                            tokio::time::sleep(self.backoff.next_delay()).await;
                        }
                    }
                    continue;
                }
            };
            Stats::add(&self.stats().opens, 1);
            pos.begin_stream();
            if follow {
                pos.established(asked_at);
            }
            let (end, progressed) = self.pump(reader, &mut pos, follow).await;
            if progressed {
                self.backoff.reset();
            }
            match end {
                Pump::Eof if !follow => return Ok(()),
                // The instance probably ended: the next round reads the pod
                // and finishes it with a plain read, or resumes if the
                // stream was merely closed.
                Pump::Eof => {
                    if !progressed {
                        tokio::time::sleep(self.backoff.next_delay()).await;
                    }
                }
                Pump::Broken(e) => {
                    Stats::add(&self.stats().breaks, 1);
                    tracing::info!("{}: the log stream broke ({e}); resuming", self.label);
                    if !progressed {
                        tokio::time::sleep(self.backoff.next_delay()).await;
                    }
                }
                Pump::Output => return Err(End::Output),
            }
        }
    }

    /// Copies one stream to the output until it ends; says whether any new
    /// line was taken.
    async fn pump(
        &mut self,
        reader: impl futures::AsyncBufRead,
        pos: &mut Position,
        follow: bool,
    ) -> (Pump, bool) {
        use std::future::Future;
        use std::task::Poll;
        use tokio::time::{Instant, sleep};
        let mut reader = std::pin::pin!(reader);
        self.split.clear();
        let mut progressed = false;
        // One timer for the whole stream, pushed back only when it fires: a
        // timer per read would cost more than the read.
        let mut last_data = Instant::now();
        let idle = sleep(IDLE_REOPEN);
        let mut idle = std::pin::pin!(idle);
        loop {
            enum Got {
                Data(usize),
                Eof,
                Err(String),
                IdleCheck,
            }
            // The stream first, and the timer only when the stream has
            // nothing: most wake-ups bring a line.
            let buf = &mut self.buf;
            let got = std::future::poll_fn(|cx| {
                if let Poll::Ready(r) = reader.as_mut().poll_read(cx, buf) {
                    return Poll::Ready(match r {
                        Ok(0) => Got::Eof,
                        Ok(n) => Got::Data(n),
                        Err(e) => Got::Err(e.to_string()),
                    });
                }
                match idle.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Got::IdleCheck),
                    Poll::Pending => Poll::Pending,
                }
            })
            .await;
            match got {
                Got::Data(n) => {
                    last_data = Instant::now();
                    let chunk = std::mem::take(&mut self.buf);
                    let gap = if pos.awaiting_first() {
                        self.split
                            .first_stamp(&chunk[..n])
                            .and_then(|first| pos.gap(first))
                    } else {
                        None
                    };
                    if let Some((after, before)) = gap {
                        progressed |= self.recover_gap(after, before, pos).await;
                    }
                    let taken = self.feed(&chunk[..n], pos);
                    self.buf = chunk;
                    progressed |= taken > 0;
                    if !self.out.is_empty() {
                        let r = self.sh.sink.write(&self.out).await;
                        self.out.clear();
                        if r.is_err() {
                            return (Pump::Output, progressed);
                        }
                    }
                }
                Got::Eof => {
                    // A complete read may end without a newline (the
                    // instance's last, partial line); a follow stream that
                    // ends mid-line was cut and the line comes again.
                    if let Some(line) = self.split.rest().filter(|_| !follow) {
                        progressed |= self.line(&line, pos);
                        if !self.out.is_empty() {
                            let r = self.sh.sink.write(&self.out).await;
                            self.out.clear();
                            if r.is_err() {
                                return (Pump::Output, progressed);
                            }
                        }
                    }
                    return (Pump::Eof, progressed);
                }
                Got::Err(e) => return (Pump::Broken(e), progressed),
                Got::IdleCheck => {
                    if last_data.elapsed() >= IDLE_REOPEN {
                        return (Pump::Broken("idle for 5 minutes".into()), progressed);
                    }
                    idle.as_mut().reset(last_data + IDLE_REOPEN);
                }
            }
        }
    }

    /// Splits a chunk into lines; returns how many new lines were taken.
    fn feed(&mut self, data: &[u8], pos: &mut Position) -> usize {
        let mut split = std::mem::take(&mut self.split);
        let mut taken = 0;
        split.feed(data, |line| taken += usize::from(self.line(line, pos)));
        self.split = split;
        taken
    }

    /// Reads the lines a log rotation took out of the API's reach from the
    /// node; says so on stderr when they cannot be had. Returns whether any
    /// line was taken.
    async fn recover_gap(&mut self, after: Nanos, before: Nanos, pos: &mut Position) -> bool {
        let at = rotated::LogDir {
            node: &self.view.node,
            namespace: &self.view.namespace,
            pod: &self.view.name,
            uid: &self.view.uid,
            container: &self.container,
        };
        let mut attempts = 0;
        let lines = loop {
            attempts += 1;
            self.sh.limiter.acquire().await;
            match rotated::recover(&self.cl, at, after, before).await {
                Ok(lines) => break Ok(lines),
                Err(e) => match classify(e) {
                    Failure::Throttled | Failure::Retry(_) if attempts < RECOVERY_ATTEMPTS => {
                        Stats::add(&self.sh.stats.failures, 1);
                        tokio::time::sleep(self.backoff.next_delay()).await;
                    }
                    Failure::Refused(m) | Failure::Retry(m) => break Err(m),
                    Failure::Throttled => break Err("429 TooManyRequests".into()),
                    Failure::Gone => break Err("not found".into()),
                },
            }
        };
        let lines = match lines {
            Ok(l) => l,
            Err(reason) => {
                let t = |n: Nanos| {
                    jiff::Timestamp::from_nanosecond(n)
                        .map(|t| t.to_string())
                        .unwrap_or_default()
                };
                self.sh.say(&format!(
                    "kubetac: {}: the log was rotated while its stream was down; lines after {} and before {} may be missing (reading the rotated file on node {} failed: {reason})",
                    self.label,
                    t(after),
                    t(before),
                    self.view.node
                ));
                return false;
            }
        };
        let mut taken = false;
        for l in &lines {
            if self.take(&l.stamp, Some(l.ts), &l.text, pos) {
                taken = true;
                Stats::add(&self.sh.stats.recovered, 1);
            }
        }
        taken
    }

    /// One `<timestamp> <text>` line: taken (and printed if the filters
    /// keep it) unless it was printed before.
    fn line(&mut self, line: &[u8], pos: &mut Position) -> bool {
        let (stamp, text) = match line.iter().position(|&b| b == b' ') {
            Some(i) => (&line[..i], &line[i + 1..]),
            None => (line, &b""[..]),
        };
        match resume::parse_ts(stamp) {
            Some(t) => self.take(stamp, Some(t), text, pos),
            // Without a timestamp a line cannot be placed; print it rather
            // than lose it.
            None => self.take(b"", None, line, pos),
        }
    }

    fn take(&mut self, ts: &[u8], at: Option<Nanos>, text: &[u8], pos: &mut Position) -> bool {
        if at.is_some_and(|t| !pos.admit(t)) {
            return false;
        }
        if self.sh.opts.lines.keep(text) {
            self.fmt.write(&mut self.out, ts, text);
            Stats::add(&self.sh.stats.lines, 1);
        }
        true
    }
}

/// The runtime's ID without its scheme, shortened as `crictl ps` shows it.
fn short_id(id: &str) -> &str {
    let id = id.split("://").last().unwrap_or(id);
    &id[..id.len().min(13)]
}

/// Cuts a byte stream into lines across chunk boundaries.
#[derive(Debug, Default)]
struct Splitter {
    /// An incomplete line waiting for the rest of it.
    carry: Vec<u8>,
    /// `carry` reached [`MAX_LINE`]: bytes up to the next newline are dropped.
    truncated: bool,
}

impl Splitter {
    fn clear(&mut self) {
        self.carry.clear();
        self.truncated = false;
    }

    fn feed(&mut self, mut data: &[u8], mut f: impl FnMut(&[u8])) {
        while let Some(i) = data.iter().position(|&b| b == b'\n') {
            if self.carry.is_empty() {
                f(&data[..i]);
            } else {
                self.keep(&data[..i]);
                f(&self.carry);
                self.clear();
                if self.carry.capacity() > READ_CHUNK {
                    self.carry.shrink_to(READ_CHUNK);
                }
            }
            data = &data[i + 1..];
        }
        self.keep(data);
    }

    fn keep(&mut self, data: &[u8]) {
        if self.truncated {
            return;
        }
        let room = MAX_LINE.saturating_sub(self.carry.len());
        if data.len() > room {
            self.carry.extend_from_slice(&data[..room]);
            self.truncated = true;
        } else {
            self.carry.extend_from_slice(data);
        }
    }

    /// The timestamp of the first line that `data` completes, if it does:
    /// Some(None) when that line has none.
    fn first_stamp(&self, data: &[u8]) -> Option<Option<Nanos>> {
        let nl = data.iter().position(|&b| b == b'\n')?;
        let joined;
        let line = if self.carry.is_empty() {
            &data[..nl]
        } else {
            joined = [&self.carry[..], &data[..nl]].concat();
            &joined[..]
        };
        let stamp = line.split(|&b| b == b' ').next().unwrap_or(line);
        Some(resume::parse_ts(stamp))
    }

    /// What is left after the last newline, if anything.
    fn rest(&mut self) -> Option<Vec<u8>> {
        let rest = std::mem::take(&mut self.carry);
        self.truncated = false;
        (!rest.is_empty()).then_some(rest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_cut_across_chunks() {
        /// (name, chunks, lines, what is left)
        type Case = (
            &'static str,
            &'static [&'static [u8]],
            &'static [&'static str],
            Option<&'static str>,
        );
        let cases: &[Case] = &[
            ("whole lines", &[b"a\nb\n"], &["a", "b"], None),
            ("split line", &[b"a\nb", b"c\nd"], &["a", "bc"], Some("d")),
            ("newline alone", &[b"ab", b"\n"], &["ab"], None),
            ("empty lines", &[b"\n\n"], &["", ""], None),
            ("three chunks", &[b"x", b"y", b"z\n"], &["xyz"], None),
        ];
        for (name, chunks, want, rest) in cases {
            let mut s = Splitter::default();
            let mut got = Vec::new();
            for c in *chunks {
                s.feed(c, |l| got.push(String::from_utf8_lossy(l).into_owned()));
            }
            assert_eq!(&got, want, "{name}");
            assert_eq!(
                s.rest().map(|r| String::from_utf8_lossy(&r).into_owned()),
                rest.map(str::to_string),
                "{name}"
            );
        }
    }

    #[test]
    fn a_runaway_line_is_cut_not_kept() {
        let mut s = Splitter::default();
        let mut got = Vec::new();
        let big = vec![b'x'; READ_CHUNK];
        for _ in 0..(MAX_LINE / READ_CHUNK + 3) {
            s.feed(&big, |l| got.push(l.len()));
        }
        assert!(s.carry.len() <= MAX_LINE);
        s.feed(b"tail\nnext\n", |l| got.push(l.len()));
        assert_eq!(got, [MAX_LINE, 4]);
    }

    #[test]
    fn the_first_complete_line_gives_its_stamp() {
        let t = resume::parse_ts(b"2020-06-08T17:04:57.1Z");
        let mut s = Splitter::default();
        assert_eq!(s.first_stamp(b"2020-06-08T17:04"), None);
        s.feed(b"2020-06-08T17:04", |_| {});
        assert_eq!(s.first_stamp(b":57.1Z x\nmore"), Some(t));
        assert_eq!(Splitter::default().first_stamp(b"no stamp\n"), Some(None));
    }

    #[test]
    fn ids_are_shortened() {
        assert_eq!(
            short_id("containerd://83692a9eadd3ec36836c9"),
            "83692a9eadd3e"
        );
        assert_eq!(short_id("restart-3"), "restart-3");
    }
}
