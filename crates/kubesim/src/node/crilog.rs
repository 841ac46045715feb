//! CRI container log files of a simulated node, written and read the way
//! containerd and the kubelet do.
//!
//! Layout (kubelet `container_log_manager.go`, containerd CRI):
//! - one directory per container, `var/log/pods/<ns>_<pod>_<uid>/<container>`;
//! - the live file of an instance is `<restartCount>.log`, one entry a line:
//!   `<RFC3339Nano> <stdout|stderr> <P|F> <text>\n`, where `P` marks a part of
//!   a line longer than 16 KiB, continued by the next entry, and `F` ends it;
//! - rotation renames the live file to `<n>.log.<YYYYMMDD-HHMMSS>`; the newest
//!   rotated file of an instance stays plain, older ones are gzipped to
//!   `<n>.log.<YYYYMMDD-HHMMSS>.gz` through `<n>.log.<YYYYMMDD-HHMMSS>.tmp`;
//! - at most `max_files` files per container, live ones included; the oldest
//!   are deleted.
//!
//! The logs API (`pods/{name}/log`) only reads the live file of an instance:
//! [`ContainerLog::read`] and [`ContainerLog::follow`].

use std::collections::{BTreeMap, VecDeque};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use flate2::Compression;
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use jiff::{SignedDuration, Timestamp};
use tokio::sync::watch;

/// containerd's default `max_container_log_line_size`: longer lines are split
/// into `P` entries of this many bytes, the last part being `F`.
pub const MAX_ENTRY_TEXT: usize = 16 * 1024;

/// Bytes read from a log file at a time.
const CHUNK: usize = 64 * 1024;

/// Enough bytes of an entry to hold its timestamp, stream and tag.
const HEADER: usize = 256;

/// The stream a log line was written to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    /// The name in the CRI file: `stdout` or `stderr`.
    pub fn as_str(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        }
    }

    fn parse(b: &[u8]) -> Option<Stream> {
        match b {
            b"stdout" => Some(Stream::Stdout),
            b"stderr" => Some(Stream::Stderr),
            _ => None,
        }
    }
}

/// The options of `GET pods/{name}/log` that shape the body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogOptions {
    /// Only lines whose (first entry's) timestamp is `>= since`.
    pub since: Option<Timestamp>,
    /// Only the last N lines (a line joined from `P` entries counts once).
    pub tail_lines: Option<u64>,
    /// Cut the body after this many bytes (a follow then ends).
    pub limit_bytes: Option<u64>,
    /// Prefix each line with its RFC3339Nano timestamp and a space.
    pub timestamps: bool,
}

/// One container's log directory; the writer side, and the readers of the
/// logs API. Cheap to clone (an `Arc`), every method takes `&self`.
#[derive(Clone)]
pub struct ContainerLog {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for ContainerLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContainerLog")
            .field("dir", &self.shared.dir)
            .field("max_size", &self.shared.max_size)
            .field("max_files", &self.shared.max_files)
            .finish_non_exhaustive()
    }
}

struct Shared {
    dir: PathBuf,
    max_size: u64,
    max_files: usize,
    state: Mutex<Inner>,
    /// Bumped on every append, rotation and close: followers wait on it.
    tx: watch::Sender<u64>,
}

#[derive(Default)]
struct Inner {
    instances: BTreeMap<u32, Instance>,
    /// Reused encoding buffer.
    wbuf: Vec<u8>,
}

#[derive(Default)]
struct Instance {
    /// The append handle of the live file while the instance runs.
    file: Option<File>,
    /// Size of the live file.
    size: u64,
    /// Timestamp of the last entry written.
    last_ts: Option<Timestamp>,
    /// Started and not closed: followers wait for more.
    open: bool,
    /// Number of rotations of this instance done by this process: the
    /// segment number of the live file.
    seg: u64,
    /// Segments rotated by this process whose file still exists, oldest
    /// first, as (segment, plain file name); the file may be gzipped since.
    rotated: VecDeque<(u64, String)>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn live_path(&self, restart: u32) -> PathBuf {
        self.dir.join(format!("{restart}.log"))
    }

    fn notify(&self) {
        self.tx.send_modify(|v| *v = v.wrapping_add(1));
    }
}

impl ContainerLog {
    /// A container's log directory (created if missing). `max_size` is the
    /// size at which the live file is rotated (0: never); `max_files` the
    /// number of files kept per container, at least 2 as the kubelet demands.
    pub fn new(dir: PathBuf, max_size: u64, max_files: usize) -> io::Result<Self> {
        fs::create_dir_all(&dir)?;
        let (tx, _) = watch::channel(0);
        Ok(ContainerLog {
            shared: Arc::new(Shared {
                dir,
                max_size,
                max_files: max_files.max(2),
                state: Mutex::new(Inner::default()),
                tx,
            }),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.shared.dir
    }

    /// `<dir>/<restart>.log`.
    pub fn live_path(&self, restart: u32) -> PathBuf {
        self.shared.live_path(restart)
    }

    /// The instance started: creates its (empty) live file, as the runtime
    /// does when it starts a container, so that reads find it before the
    /// first line. [`append`](Self::append) does this implicitly.
    pub fn start_instance(&self, restart: u32) -> io::Result<()> {
        let mut g = self.shared.lock();
        ensure_open(&self.shared, &mut g.instances, restart)?;
        drop(g);
        self.shared.notify();
        Ok(())
    }

    /// Appends one line (split into `P`/`F` entries of at most 16 KiB like
    /// containerd; a trailing `\n` is dropped and inner `\n`s make several
    /// lines), rotating first if the live file has reached `max_size` (the
    /// rotated file is named after `ts`). Timestamps of an instance are
    /// strictly increasing: an entry not after the previous one gets
    /// previous+1ns. Returns the timestamp of the (first) entry written.
    pub fn append(
        &self,
        restart: u32,
        ts: Timestamp,
        stream: Stream,
        line: &str,
    ) -> io::Result<Timestamp> {
        let sh = &*self.shared;
        let mut g = sh.lock();
        let Inner { instances, wbuf } = &mut *g;
        ensure_open(sh, instances, restart)?;
        wbuf.clear();
        let inst = instances.get_mut(&restart).expect("instance just opened");
        let first = encode_line(wbuf, &mut inst.last_ts, ts, stream, line);
        if sh.max_size > 0 && inst.size >= sh.max_size {
            rotate(sh, instances, restart, first)?;
            compress_older(sh, restart)?;
        }
        write_live(instances, restart, wbuf)?;
        drop(g);
        sh.notify();
        Ok(first)
    }

    /// Appends many lines with one write per live file (to backfill history):
    /// the live file is rotated whenever it reaches `max_size`, each rotated
    /// file named after the time of its last line, so that backfilled history
    /// looks rotated in the past. Older rotated files are gzipped once at the
    /// end of the batch.
    pub fn append_batch(
        &self,
        restart: u32,
        lines: &[(Timestamp, Stream, String)],
    ) -> io::Result<()> {
        let sh = &*self.shared;
        let mut g = sh.lock();
        let Inner { instances, wbuf } = &mut *g;
        ensure_open(sh, instances, restart)?;
        wbuf.clear();
        let mut rotated = false;
        let result = (|| {
            for (ts, stream, line) in lines {
                let inst = instances.get_mut(&restart).expect("instance open");
                let size = inst.size + wbuf.len() as u64;
                if sh.max_size > 0 && size >= sh.max_size && size > 0 {
                    write_live(instances, restart, wbuf)?;
                    wbuf.clear();
                    let inst = instances.get_mut(&restart).expect("instance open");
                    let at = inst.last_ts.unwrap_or(*ts);
                    rotate(sh, instances, restart, at)?;
                    rotated = true;
                }
                let inst = instances.get_mut(&restart).expect("instance open");
                encode_line(wbuf, &mut inst.last_ts, *ts, *stream, line);
            }
            write_live(instances, restart, wbuf)?;
            wbuf.clear();
            if rotated {
                compress_older(sh, restart)?;
            }
            Ok(())
        })();
        drop(g);
        sh.notify();
        result
    }

    /// The instance ended: its append handle is closed, and its followers get
    /// the rest of the file, then end (as kubelet ends a follow when the
    /// container exits). A later append reopens it.
    pub fn close_instance(&self, restart: u32) {
        let mut g = self.shared.lock();
        if let Some(inst) = g.instances.get_mut(&restart) {
            inst.open = false;
            inst.file = None;
        }
        drop(g);
        self.shared.notify();
    }

    /// What `GET pods/{name}/log` returns for that instance (without follow),
    /// from its live file as it is now. `NotFound` if the file does not exist.
    pub fn read(&self, restart: u32, opts: &LogOptions) -> io::Result<Vec<u8>> {
        let file = File::open(self.live_path(restart))?;
        let len = file.metadata()?.len();
        let start = match opts.tail_lines {
            Some(n) => tail_start(&file, len, n)?,
            None => 0,
        };
        let mut proc = LineProc::new(opts);
        let mut out = Vec::new();
        let mut pending = Vec::new();
        let mut buf = vec![0u8; CHUNK];
        let mut pos = start;
        while pos < len && !proc.done {
            let want = ((len - pos) as usize).min(CHUNK);
            let n = file.read_at(&mut buf[..want], pos)?;
            if n == 0 {
                break;
            }
            pos += n as u64;
            proc.feed_chunk(&mut pending, &buf[..n], &mut out);
        }
        // Bytes after the last newline are a write in progress: left out.
        Ok(out)
    }

    /// Follow: first what [`read`](Self::read) gives, then every line as it
    /// is appended, across rotations of the live file, until the instance is
    /// closed (then the stream ends after the rest of the file), `limit_bytes`
    /// is reached, or the consumer drops the stream. If the live file does
    /// not exist, the stream yields one `NotFound` error. Reads the files in
    /// 64 KiB chunks (plain blocking reads of the page cache) and waits on a
    /// watch channel the writer bumps; a follower that fell behind by
    /// several rotations reads the rotated (possibly gzipped) files it missed,
    /// unless they were pruned meanwhile.
    pub fn follow(
        &self,
        restart: u32,
        opts: LogOptions,
    ) -> impl futures::Stream<Item = io::Result<Bytes>> + Send + 'static {
        let shared = self.shared.clone();
        let rx = shared.tx.subscribe();
        let opened = (|| {
            let g = shared.lock();
            let seg = g.instances.get(&restart).map_or(0, |i| i.seg);
            let file = File::open(shared.live_path(restart))?;
            drop(g);
            let len = file.metadata()?.len();
            let start = match opts.tail_lines {
                Some(n) => tail_start(&file, len, n)?,
                None => 0,
            };
            Ok::<_, io::Error>((file, seg, start))
        })();
        let (src, seg, pos, err) = match opened {
            Ok((file, seg, pos)) => (Some(Src::Plain(file)), seg, pos, None),
            Err(e) => (None, 0, 0, Some(e)),
        };
        let follower = Follower {
            shared,
            rx,
            restart,
            seg,
            src,
            pos,
            next: None,
            ending: false,
            done: false,
            err,
            pending: Vec::new(),
            buf: vec![0u8; CHUNK],
            proc: LineProc::new(&opts),
        };
        futures::stream::unfold(follower, |mut f| async move {
            let item = f.next_chunk().await?;
            Some((item, f))
        })
    }

    /// Every file of this container for all instances (rotated plain,
    /// rotated `.gz` and live; not `.tmp`), oldest first, with the restart
    /// number of its instance.
    pub fn files(&self) -> io::Result<Vec<(PathBuf, u32)>> {
        let _g = self.shared.lock();
        Ok(scan_dir(&self.shared.dir)?
            .into_iter()
            .filter(|e| e.kind != Kind::Tmp)
            .map(|e| (self.shared.dir.join(&e.name), e.restart))
            .collect())
    }
}

// ---------------------------------------------------------------------------
// Writer internals (called with the state lock held).

fn ensure_open(
    sh: &Shared,
    instances: &mut BTreeMap<u32, Instance>,
    restart: u32,
) -> io::Result<()> {
    let inst = instances.entry(restart).or_default();
    if inst.file.is_none() {
        // Readable too: the last timestamp of an existing file is read back.
        let f = OpenOptions::new()
            .read(true)
            .create(true)
            .append(true)
            .open(sh.live_path(restart))?;
        let size = f.metadata()?.len();
        if size > 0 && inst.last_ts.is_none() {
            inst.last_ts = last_entry_ts(&f, size)?;
        }
        inst.size = size;
        inst.file = Some(f);
    }
    inst.open = true;
    Ok(())
}

fn write_live(
    instances: &mut BTreeMap<u32, Instance>,
    restart: u32,
    data: &[u8],
) -> io::Result<()> {
    if data.is_empty() {
        return Ok(());
    }
    let inst = instances.get_mut(&restart).expect("instance open");
    let file = inst.file.as_mut().expect("live file open");
    file.write_all(data)?;
    inst.size += data.len() as u64;
    Ok(())
}

fn next_ts(last: &mut Option<Timestamp>, want: Timestamp) -> Timestamp {
    let t = match *last {
        Some(l) if want <= l => l.checked_add(SignedDuration::from_nanos(1)).unwrap_or(l),
        _ => want,
    };
    *last = Some(t);
    t
}

/// Encodes a line as containerd writes it; returns the first entry's time.
fn encode_line(
    buf: &mut Vec<u8>,
    last: &mut Option<Timestamp>,
    ts: Timestamp,
    stream: Stream,
    line: &str,
) -> Timestamp {
    let line = line.strip_suffix('\n').unwrap_or(line);
    let mut first = None;
    for sub in line.split('\n') {
        let bytes = sub.as_bytes();
        let mut parts = bytes.chunks(MAX_ENTRY_TEXT).peekable();
        if parts.peek().is_none() {
            let t = next_ts(last, ts);
            first.get_or_insert(t);
            encode_entry(buf, t, stream, false, b"");
        }
        while let Some(part) = parts.next() {
            let t = next_ts(last, ts);
            first.get_or_insert(t);
            encode_entry(buf, t, stream, parts.peek().is_some(), part);
        }
    }
    first.unwrap_or(ts)
}

fn encode_entry(buf: &mut Vec<u8>, ts: Timestamp, stream: Stream, partial: bool, text: &[u8]) {
    write_rfc3339_nano(ts, buf);
    buf.push(b' ');
    buf.extend_from_slice(stream.as_str().as_bytes());
    buf.extend_from_slice(if partial { b" P " } else { b" F " });
    buf.extend_from_slice(text);
    buf.push(b'\n');
}

/// Renames the live file of `restart` to `<n>.log.<stamp of at>` (one second
/// later per clash) and opens a new live file, after pruning the oldest files
/// so that the container keeps at most `max_files` with the new live file.
fn rotate(
    sh: &Shared,
    instances: &mut BTreeMap<u32, Instance>,
    restart: u32,
    at: Timestamp,
) -> io::Result<()> {
    let dir = &sh.dir;
    let mut entries = Vec::new();
    for e in scan_dir(dir)? {
        // Leftovers of an interrupted compression (kubelet's cleanupUnusedLogs).
        if e.kind == Kind::Tmp {
            remove_quiet(&dir.join(&e.name))?;
        } else {
            entries.push(e);
        }
    }
    let mut gz_bases: Vec<String> = Vec::new();
    for e in &entries {
        if e.kind == Kind::RotatedGz {
            gz_bases.push(e.name.trim_end_matches(".gz").to_string());
        }
    }
    let mut kept = Vec::with_capacity(entries.len());
    for e in entries {
        if e.kind == Kind::Rotated && gz_bases.contains(&e.name) {
            remove_quiet(&dir.join(&e.name))?;
        } else {
            kept.push(e);
        }
    }
    let entries = kept;

    // Live files never pruned: the rotating instance's, open instances', and
    // those of the two newest instances (the current and previous one, which
    // `--previous` reads; older ones kubelet's container GC would have
    // removed).
    let mut lives: Vec<u32> = entries
        .iter()
        .filter(|e| e.kind == Kind::Live)
        .map(|e| e.restart)
        .collect();
    lives.sort_unstable();
    let newest_two: Vec<u32> = lives.iter().rev().take(2).copied().collect();
    let protected = |r: u32| {
        r == restart || newest_two.contains(&r) || instances.get(&r).is_some_and(|i| i.open)
    };
    let mut count = entries.len();
    let mut deleted: Vec<(u32, String)> = Vec::new();
    for e in &entries {
        if count < sh.max_files {
            break;
        }
        if e.kind == Kind::Live && protected(e.restart) {
            continue;
        }
        remove_quiet(&dir.join(&e.name))?;
        count -= 1;
        let base = e.name.trim_end_matches(".gz").to_string();
        deleted.push((e.restart, base));
    }
    for (r, base) in deleted {
        if let Some(i) = instances.get_mut(&r) {
            i.rotated.retain(|(_, b)| *b != base);
        }
    }

    let newest = entries
        .iter()
        .filter(|e| e.restart == restart && e.kind != Kind::Live)
        .map(|e| e.stamp.clone())
        .max();
    let mut t = at;
    let mut stamp = rotation_stamp(t);
    loop {
        let base = format!("{restart}.log.{stamp}");
        let clash = newest.as_ref().is_some_and(|n| stamp <= *n)
            || dir.join(&base).exists()
            || dir.join(format!("{base}.gz")).exists();
        if !clash {
            break;
        }
        t = t.checked_add(SignedDuration::from_secs(1)).unwrap_or(t);
        let next = rotation_stamp(t);
        if next == stamp {
            return Err(io::Error::other("no free name for a rotated log file"));
        }
        stamp = next;
    }
    let base = format!("{restart}.log.{stamp}");
    let inst = instances.get_mut(&restart).expect("instance open");
    inst.file = None;
    let live = sh.live_path(restart);
    fs::rename(&live, dir.join(&base))?;
    let f = OpenOptions::new().create(true).append(true).open(&live)?;
    inst.file = Some(f);
    inst.size = 0;
    inst.rotated.push_back((inst.seg, base));
    inst.seg += 1;
    sh.notify();
    Ok(())
}

/// Gzips every plain rotated file of `restart` but the newest, through a
/// `.tmp` file (kubelet's compressLog).
fn compress_older(sh: &Shared, restart: u32) -> io::Result<()> {
    let plain: Vec<String> = scan_dir(&sh.dir)?
        .into_iter()
        .filter(|e| e.restart == restart && e.kind == Kind::Rotated)
        .map(|e| e.name)
        .collect();
    let Some((_, older)) = plain.split_last() else {
        return Ok(());
    };
    for name in older {
        let src = sh.dir.join(name);
        let tmp = sh.dir.join(format!("{name}.tmp"));
        let gz = sh.dir.join(format!("{name}.gz"));
        let mut r = File::open(&src)?;
        let out = io::BufWriter::with_capacity(CHUNK, File::create(&tmp)?);
        let mut w = GzEncoder::new(out, Compression::fast());
        io::copy(&mut r, &mut w)?;
        w.finish()?.into_inner().map_err(|e| e.into_error())?;
        fs::rename(&tmp, &gz)?;
        remove_quiet(&src)?;
    }
    Ok(())
}

fn remove_quiet(p: &Path) -> io::Result<()> {
    match fs::remove_file(p) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Rotated,
    RotatedGz,
    Tmp,
    Live,
}

#[derive(Debug)]
struct DirEntry {
    name: String,
    restart: u32,
    kind: Kind,
    /// `YYYYMMDD-HHMMSS` of rotated files, empty for live ones.
    stamp: String,
}

/// The log files of a container directory, oldest first: by instance, then
/// rotated files by stamp, then the live file.
fn scan_dir(dir: &Path) -> io::Result<Vec<DirEntry>> {
    let mut out = Vec::new();
    for ent in fs::read_dir(dir)? {
        let ent = ent?;
        let Ok(name) = ent.file_name().into_string() else {
            continue;
        };
        if let Some(e) = parse_file_name(&name) {
            out.push(e);
        }
    }
    out.sort_by(|a, b| {
        (a.restart, a.kind == Kind::Live, &a.stamp, a.kind).cmp(&(
            b.restart,
            b.kind == Kind::Live,
            &b.stamp,
            b.kind,
        ))
    });
    Ok(out)
}

fn parse_file_name(name: &str) -> Option<DirEntry> {
    let dot = name.find('.')?;
    let restart: u32 = name[..dot].parse().ok()?;
    if !name[..dot].bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let rest = name[dot..].strip_prefix(".log")?;
    if rest.is_empty() {
        return Some(DirEntry {
            name: name.to_string(),
            restart,
            kind: Kind::Live,
            stamp: String::new(),
        });
    }
    let rest = rest.strip_prefix('.')?;
    let (stamp, kind) = if let Some(s) = rest.strip_suffix(".gz") {
        (s, Kind::RotatedGz)
    } else if let Some(s) = rest.strip_suffix(".tmp") {
        (s, Kind::Tmp)
    } else {
        (rest, Kind::Rotated)
    };
    let b = stamp.as_bytes();
    let ok = b.len() == 15
        && b[8] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 8 || c.is_ascii_digit());
    if !ok {
        return None;
    }
    Some(DirEntry {
        name: name.to_string(),
        restart,
        kind,
        stamp: stamp.to_string(),
    })
}

/// `YYYYMMDD-HHMMSS` in UTC.
fn rotation_stamp(ts: Timestamp) -> String {
    let (y, mo, d, h, mi, s, _) = civil(ts);
    format!("{y:04}{mo:02}{d:02}-{h:02}{mi:02}{s:02}")
}

// ---------------------------------------------------------------------------
// Reader internals.

/// Applies since / timestamps / limit_bytes to entries and joins `P` parts.
struct LineProc {
    since: Option<Timestamp>,
    timestamps: bool,
    remaining: Option<u64>,
    at_start: bool,
    skipping: bool,
    done: bool,
}

impl LineProc {
    fn new(opts: &LogOptions) -> Self {
        LineProc {
            since: opts.since,
            timestamps: opts.timestamps,
            remaining: opts.limit_bytes,
            at_start: true,
            skipping: false,
            done: opts.limit_bytes == Some(0),
        }
    }

    /// Feeds freshly read bytes; complete entries are processed, the rest
    /// waits in `pending`.
    fn feed_chunk(&mut self, pending: &mut Vec<u8>, data: &[u8], out: &mut Vec<u8>) {
        if pending.is_empty() {
            let Some(last) = data.iter().rposition(|&b| b == b'\n') else {
                pending.extend_from_slice(data);
                return;
            };
            self.feed_block(&data[..=last], out);
            pending.extend_from_slice(&data[last + 1..]);
        } else {
            pending.extend_from_slice(data);
            let Some(last) = pending.iter().rposition(|&b| b == b'\n') else {
                return;
            };
            self.feed_block(&pending[..=last], out);
            pending.drain(..=last);
        }
    }

    /// `block` holds complete entries, each ending with `\n`.
    fn feed_block(&mut self, block: &[u8], out: &mut Vec<u8>) {
        let mut rest = block;
        while !self.done {
            let Some(i) = rest.iter().position(|&b| b == b'\n') else {
                break;
            };
            self.feed(&rest[..i], out);
            rest = &rest[i + 1..];
        }
    }

    fn feed(&mut self, entry: &[u8], out: &mut Vec<u8>) {
        if self.done {
            return;
        }
        let Some((ts_bytes, _stream, partial, text)) = split_cri_line(entry) else {
            // kubelet skips lines it cannot parse.
            return;
        };
        let mut ts = None;
        if self.at_start {
            self.skipping = false;
            if self.since.is_some() || self.timestamps {
                match parse_rfc3339(ts_bytes) {
                    Some(t) => {
                        ts = Some(t);
                        self.skipping = self.since.is_some_and(|s| t < s);
                    }
                    None => self.skipping = true,
                }
            }
        }
        if !self.skipping {
            let mark = out.len();
            if let (true, Some(t)) = (self.timestamps, ts) {
                write_rfc3339_nano(t, out);
                out.push(b' ');
            }
            out.extend_from_slice(text);
            if !partial {
                out.push(b'\n');
            }
            if let Some(rem) = &mut self.remaining {
                let added = (out.len() - mark) as u64;
                if added >= *rem {
                    out.truncate(mark + *rem as usize);
                    *rem = 0;
                    self.done = true;
                } else {
                    *rem -= added;
                }
            }
        }
        self.at_start = !partial;
    }
}

/// Whether the entry whose first bytes are `hdr` is a `P` entry.
fn is_partial_header(hdr: &[u8]) -> bool {
    let hdr = match hdr.iter().position(|&b| b == b'\n') {
        Some(i) => &hdr[..i],
        None => hdr,
    };
    let mut it = hdr.splitn(4, |&b| b == b' ');
    let (Some(_), Some(_), Some(tag)) = (it.next(), it.next(), it.next()) else {
        return false;
    };
    tag.split(|&b| b == b':').next() == Some(b"P")
}

/// The offset of the first of the last `n` lines among the complete entries
/// of the first `len` bytes of `file`, scanning backwards in chunks. A line is
/// a run of `P` entries ended by an `F` entry (or by the end of the data).
fn tail_start(file: &File, len: u64, n: u64) -> io::Result<u64> {
    let mut hi = len;
    // First bytes of the chunk after the current one.
    let mut later: Vec<u8> = Vec::new();
    let mut prev_nl: Option<u64> = None;
    // End of the complete data (after the last newline).
    let mut data_end = 0u64;
    let mut count = 0u64;
    let mut chunk = vec![0u8; CHUNK];
    let mut joined = Vec::with_capacity(2 * HEADER);
    while hi > 0 {
        let lo = hi.saturating_sub(CHUNK as u64);
        let chunk = &mut chunk[..(hi - lo) as usize];
        file.read_exact_at(chunk, lo)?;
        for i in (0..chunk.len()).rev() {
            if chunk[i] != b'\n' {
                continue;
            }
            let x = lo + i as u64;
            match prev_nl {
                None => {
                    // End of the complete data: the end of the last line.
                    data_end = x + 1;
                    count = 1;
                    if n == 0 {
                        return Ok(x + 1);
                    }
                }
                Some(y) if y + 1 == data_end => {}
                Some(y) => {
                    // The entry x+1..=y: is it the end of a line?
                    let hdr: &[u8] = if i + 1 + HEADER <= chunk.len() {
                        &chunk[i + 1..i + 1 + HEADER]
                    } else {
                        joined.clear();
                        joined.extend_from_slice(&chunk[i + 1..]);
                        joined.extend_from_slice(&later);
                        &joined[..joined.len().min(HEADER)]
                    };
                    if !is_partial_header(hdr) {
                        count += 1;
                        if count == n + 1 {
                            return Ok(y + 1);
                        }
                    }
                }
            }
            prev_nl = Some(x);
        }
        later.clear();
        later.extend_from_slice(&chunk[..chunk.len().min(HEADER)]);
        hi = lo;
    }
    match prev_nl {
        // No complete entry at all.
        None => Ok(0),
        Some(y) => {
            if y + 1 != data_end && !is_partial_header(&later) {
                count += 1;
                if count == n + 1 {
                    return Ok(y + 1);
                }
            }
            Ok(0)
        }
    }
}

/// The timestamp of the last complete entry of a file, if any.
fn last_entry_ts(file: &File, len: u64) -> io::Result<Option<Timestamp>> {
    let start = tail_start(file, len, 1)?;
    let mut buf = Vec::new();
    let mut pos = start;
    let mut chunk = vec![0u8; CHUNK];
    while pos < len {
        let want = ((len - pos) as usize).min(CHUNK);
        let n = file.read_at(&mut chunk[..want], pos)?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
        pos += n as u64;
    }
    let Some(end) = buf.iter().rposition(|&b| b == b'\n') else {
        return Ok(None);
    };
    let body = &buf[..end];
    let line_start = body.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    Ok(parse_cri_line(&body[line_start..]).map(|(t, ..)| t))
}

enum Src {
    Plain(File),
    Gz(Box<MultiGzDecoder<File>>),
}

/// The state of one follow stream.
struct Follower {
    shared: Arc<Shared>,
    rx: watch::Receiver<u64>,
    restart: u32,
    /// Segment number of `src` (see [`Instance::seg`]).
    seg: u64,
    src: Option<Src>,
    /// Read position in a plain `src`.
    pos: u64,
    /// The segment to read once `src` is drained.
    next: Option<(Src, u64)>,
    /// The instance is closed: end once `src` is drained.
    ending: bool,
    done: bool,
    err: Option<io::Error>,
    pending: Vec<u8>,
    buf: Vec<u8>,
    proc: LineProc,
}

enum Action {
    Switch(Src, u64),
    End,
    Wait,
}

impl Follower {
    async fn next_chunk(&mut self) -> Option<io::Result<Bytes>> {
        if let Some(e) = self.err.take() {
            self.done = true;
            return Some(Err(e));
        }
        loop {
            if self.done || self.proc.done {
                self.done = true;
                return None;
            }
            // Mark the current version seen before reading: an append after
            // this point wakes the wait below.
            self.rx.borrow_and_update();
            let n = match self.read_src() {
                Ok(n) => n,
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            };
            if n > 0 {
                let mut out = Vec::new();
                let data = &self.buf[..n];
                self.proc.feed_chunk(&mut self.pending, data, &mut out);
                if !out.is_empty() {
                    return Some(Ok(Bytes::from(out)));
                }
                continue;
            }
            // End of the current file.
            if let Some((src, seg)) = self.next.take() {
                self.src = Some(src);
                self.seg = seg;
                self.pos = 0;
                self.pending.clear();
                continue;
            }
            if self.ending {
                self.done = true;
                return None;
            }
            match self.check() {
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
                // Drain the current file once more (writes may have landed
                // after the read above), then switch or end.
                Ok(Action::Switch(src, seg)) => self.next = Some((src, seg)),
                Ok(Action::End) => self.ending = true,
                Ok(Action::Wait) => {
                    if self.rx.changed().await.is_err() {
                        self.ending = true;
                    }
                }
            }
        }
    }

    fn read_src(&mut self) -> io::Result<usize> {
        match &mut self.src {
            None => Ok(0),
            Some(Src::Plain(f)) => {
                let n = f.read_at(&mut self.buf, self.pos)?;
                self.pos += n as u64;
                Ok(n)
            }
            Some(Src::Gz(d)) => loop {
                match d.read(&mut self.buf) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    r => return r,
                }
            },
        }
    }

    /// At the end of the current file: what next, decided under the lock.
    fn check(&self) -> io::Result<Action> {
        let sh = &*self.shared;
        let g = sh.lock();
        let Some(inst) = g.instances.get(&self.restart) else {
            // Not written by this process: nothing more will come.
            return Ok(Action::End);
        };
        if inst.seg > self.seg {
            for (seg, base) in &inst.rotated {
                if *seg <= self.seg {
                    continue;
                }
                match File::open(sh.dir.join(base)) {
                    Ok(f) => return Ok(Action::Switch(Src::Plain(f), *seg)),
                    Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                    Err(_) => {}
                }
                match File::open(sh.dir.join(format!("{base}.gz"))) {
                    Ok(f) => {
                        let d = Box::new(MultiGzDecoder::new(f));
                        return Ok(Action::Switch(Src::Gz(d), *seg));
                    }
                    Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                    // Pruned before we got to it.
                    Err(_) => {}
                }
            }
            return match File::open(sh.live_path(self.restart)) {
                Ok(f) => Ok(Action::Switch(Src::Plain(f), inst.seg)),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Action::End),
                Err(e) => Err(e),
            };
        }
        if !inst.open {
            return Ok(Action::End);
        }
        Ok(Action::Wait)
    }
}

// ---------------------------------------------------------------------------
// CRI lines and timestamps.

/// Splits a CRI line (with or without its `\n`) into timestamp bytes, stream,
/// partial flag and text, without parsing the timestamp.
fn split_cri_line(line: &[u8]) -> Option<(&[u8], Stream, bool, &[u8])> {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let sp = line.iter().position(|&b| b == b' ')?;
    let (ts, rest) = (&line[..sp], &line[sp + 1..]);
    let sp = rest.iter().position(|&b| b == b' ')?;
    let stream = Stream::parse(&rest[..sp])?;
    let rest = &rest[sp + 1..];
    let (tag, text) = match rest.iter().position(|&b| b == b' ') {
        Some(sp) => (&rest[..sp], &rest[sp + 1..]),
        None => (rest, &rest[rest.len()..]),
    };
    if tag.is_empty() {
        return None;
    }
    let partial = tag.split(|&b| b == b':').next() == Some(b"P");
    Some((ts, stream, partial, text))
}

/// Parses one CRI log line (with or without its `\n`) into (timestamp,
/// stream, partial flag, text).
pub fn parse_cri_line(line: &[u8]) -> Option<(Timestamp, Stream, bool, &[u8])> {
    let (ts, stream, partial, text) = split_cri_line(line)?;
    Some((parse_rfc3339(ts)?, stream, partial, text))
}

/// Go's `time.RFC3339Nano` of a UTC time: `2026-11-24T19:30:38.922188544Z`,
/// the fraction's trailing zeros (and a zero fraction) left out.
pub fn format_rfc3339_nano(ts: Timestamp) -> String {
    let mut v = Vec::with_capacity(35);
    write_rfc3339_nano(ts, &mut v);
    String::from_utf8(v).expect("ASCII")
}

fn push_num(out: &mut Vec<u8>, v: u32, width: usize) {
    let mut digits = [b'0'; 10];
    let mut i = digits.len();
    let mut v = v;
    while v > 0 || i == digits.len() {
        i -= 1;
        digits[i] = b'0' + (v % 10) as u8;
        v /= 10;
    }
    for _ in (digits.len() - i)..width {
        out.push(b'0');
    }
    out.extend_from_slice(&digits[i..]);
}

fn write_rfc3339_nano(ts: Timestamp, out: &mut Vec<u8>) {
    let (y, mo, d, h, mi, s, nanos) = civil(ts);
    if y < 0 {
        out.push(b'-');
    }
    push_num(out, y.unsigned_abs() as u32, 4);
    out.push(b'-');
    push_num(out, mo, 2);
    out.push(b'-');
    push_num(out, d, 2);
    out.push(b'T');
    push_num(out, h, 2);
    out.push(b':');
    push_num(out, mi, 2);
    out.push(b':');
    push_num(out, s, 2);
    if nanos > 0 {
        let mut frac = nanos;
        let mut width = 9;
        while frac % 10 == 0 {
            frac /= 10;
            width -= 1;
        }
        out.push(b'.');
        push_num(out, frac, width);
    }
    out.push(b'Z');
}

/// UTC (year, month, day, hour, minute, second, nanosecond) of a timestamp.
fn civil(ts: Timestamp) -> (i64, u32, u32, u32, u32, u32, u32) {
    let ns = ts.as_nanosecond();
    let secs = ns.div_euclid(1_000_000_000) as i64;
    let nanos = ns.rem_euclid(1_000_000_000) as u32;
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400) as u32;
    let (y, m, d) = civil_from_days(days);
    (y, m, d, sod / 3600, sod / 60 % 60, sod % 60, nanos)
}

// Howard Hinnant's days <-> civil date algorithms.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn digits(b: &[u8]) -> Option<u32> {
    let mut v = 0u32;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u32::from(c - b'0');
    }
    Some(v)
}

/// Parses an RFC 3339 timestamp: a fast path for the `...Z` form the runtime
/// writes, jiff for the rest (numeric offsets).
fn parse_rfc3339(b: &[u8]) -> Option<Timestamp> {
    parse_rfc3339_utc(b).or_else(|| std::str::from_utf8(b).ok()?.parse().ok())
}

fn parse_rfc3339_utc(b: &[u8]) -> Option<Timestamp> {
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
        || *b.last()? != b'Z'
    {
        return None;
    }
    let y = digits(&b[0..4])?;
    let mo = digits(&b[5..7])?;
    let d = digits(&b[8..10])?;
    let h = digits(&b[11..13])?;
    let mi = digits(&b[14..16])?;
    let s = digits(&b[17..19])?;
    let frac = &b[19..b.len() - 1];
    let nanos = match frac {
        [] => 0,
        [b'.', f @ ..] if !f.is_empty() && f.len() <= 9 => {
            digits(f)? * 10u32.pow(9 - f.len() as u32)
        }
        _ => return None,
    };
    if !(1..=12).contains(&mo)
        || d == 0
        || d > days_in_month(i64::from(y), mo)
        || h > 23
        || mi > 59
        || s > 59
    {
        return None;
    }
    let days = days_from_civil(i64::from(y), mo, d);
    let secs = days * 86_400 + i64::from(h * 3600 + mi * 60 + s);
    Timestamp::new(secs, nanos as i32).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;
    use std::time::Duration;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn base() -> Timestamp {
        ts("2026-11-24T19:30:38.922188544Z")
    }

    fn secs(n: i64) -> SignedDuration {
        SignedDuration::from_secs(n)
    }

    fn read_str(log: &ContainerLog, restart: u32, opts: &LogOptions) -> String {
        String::from_utf8(log.read(restart, opts).unwrap()).unwrap()
    }

    fn names(log: &ContainerLog) -> Vec<String> {
        log.files()
            .unwrap()
            .into_iter()
            .map(|(p, _)| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect()
    }

    fn gunzip(p: &Path) -> String {
        let mut s = String::new();
        MultiGzDecoder::new(File::open(p).unwrap())
            .read_to_string(&mut s)
            .unwrap();
        s
    }

    #[test]
    fn format_round_trip() {
        assert_eq!(
            format_rfc3339_nano(base()),
            "2026-11-24T19:30:38.922188544Z"
        );
        assert_eq!(
            format_rfc3339_nano(ts("2026-11-24T19:30:38Z")),
            "2026-11-24T19:30:38Z"
        );
        assert_eq!(
            format_rfc3339_nano(ts("2026-11-24T19:30:38.5Z")),
            "2026-11-24T19:30:38.5Z"
        );
        assert_eq!(
            format_rfc3339_nano(ts("2026-11-24T19:30:38.000001Z")),
            "2026-11-24T19:30:38.000001Z"
        );
        assert_eq!(
            format_rfc3339_nano(ts("1970-01-01T00:00:00Z")),
            "1970-01-01T00:00:00Z"
        );
        assert_eq!(
            format_rfc3339_nano(ts("1969-12-31T23:59:59.999999999Z")),
            "1969-12-31T23:59:59.999999999Z"
        );
        assert_eq!(
            format_rfc3339_nano(ts("2024-02-29T23:59:59.1Z")),
            "2024-02-29T23:59:59.1Z"
        );
        // Offsets are accepted and normalized to UTC.
        assert_eq!(
            parse_rfc3339(b"2026-11-24T21:30:38.5+02:00"),
            Some(ts("2026-11-24T19:30:38.5Z"))
        );
        assert_eq!(parse_rfc3339_utc(b"2026-02-30T00:00:00Z"), None);
        assert_eq!(parse_rfc3339_utc(b"2026-11-24T19:30:38.Z"), None);
        // Many values across the range round-trip and agree with jiff.
        let mut t: i128 = -2_000_000_000_000_000_000;
        while t < 200_000_000_000_000_000_000 {
            let x = Timestamp::from_nanosecond(t).unwrap();
            let s = format_rfc3339_nano(x);
            assert_eq!(parse_rfc3339_utc(s.as_bytes()), Some(x), "{s}");
            assert_eq!(s.parse::<Timestamp>().unwrap(), x, "{s}");
            t += 987_654_321_123_457_131;
        }
        assert_eq!(rotation_stamp(base()), "20261124-193038");
    }

    #[test]
    fn parse_line() {
        let (t, s, p, text) =
            parse_cri_line(b"2026-11-24T19:30:38.922188544Z stderr P hello world\n").unwrap();
        assert_eq!(
            (t, s, p, text),
            (base(), Stream::Stderr, true, &b"hello world"[..])
        );
        let (_, s, p, text) = parse_cri_line(b"2026-11-24T19:30:38Z stdout F \n").unwrap();
        assert_eq!((s, p, text), (Stream::Stdout, false, &b""[..]));
        let (_, _, p, _) = parse_cri_line(b"2026-11-24T19:30:38Z stdout F:x a").unwrap();
        assert!(!p);
        assert!(parse_cri_line(b"2026-11-24T19:30:38Z stdin F a").is_none());
        assert!(parse_cri_line(b"garbage").is_none());
    }

    #[test]
    fn partial_entries_are_joined() {
        let dir = tempfile::tempdir().unwrap();
        let log = ContainerLog::new(dir.path().join("c"), 0, 5).unwrap();
        let long: String = (0..40_000)
            .map(|i| (b'a' + (i % 26) as u8) as char)
            .collect();
        let t0 = log.append(0, base(), Stream::Stdout, "before").unwrap();
        let t1 = log.append(0, base(), Stream::Stdout, &long).unwrap();
        assert_eq!(t0, base());
        assert_eq!(t1, base() + SignedDuration::from_nanos(1));
        log.append(0, base(), Stream::Stderr, "after").unwrap();
        let raw = fs::read_to_string(log.live_path(0)).unwrap();
        let tags: Vec<(bool, usize)> = raw
            .lines()
            .map(|l| {
                let (_, _, p, t) = parse_cri_line(l.as_bytes()).unwrap();
                (p, t.len())
            })
            .collect();
        assert_eq!(
            tags,
            vec![
                (false, 6),
                (true, 16384),
                (true, 16384),
                (false, 40_000 - 32768),
                (false, 5)
            ]
        );
        assert!(read_str(&log, 0, &LogOptions::default()) == format!("before\n{long}\nafter\n"));
        let with_ts = read_str(
            &log,
            0,
            &LogOptions {
                timestamps: true,
                ..Default::default()
            },
        );
        assert!(
            with_ts
                == format!(
                    "2026-11-24T19:30:38.922188544Z before\n2026-11-24T19:30:38.922188545Z {long}\n2026-11-24T19:30:38.922188548Z after\n"
                )
        );
        // Tail counts a joined line once.
        assert!(
            read_str(
                &log,
                0,
                &LogOptions {
                    tail_lines: Some(2),
                    ..Default::default()
                }
            ) == format!("{long}\nafter\n")
        );
        // Embedded newlines make separate lines, a trailing one is dropped.
        log.append(0, base(), Stream::Stdout, "x\ny\n").unwrap();
        log.append(0, base(), Stream::Stdout, "").unwrap();
        assert_eq!(
            read_str(
                &log,
                0,
                &LogOptions {
                    tail_lines: Some(3),
                    ..Default::default()
                }
            ),
            "x\ny\n\n"
        );
    }

    #[test]
    fn since_tail_limit_timestamps() {
        let dir = tempfile::tempdir().unwrap();
        let log = ContainerLog::new(dir.path().join("c"), 0, 5).unwrap();
        let t = ts("2026-01-01T00:00:00Z");
        for i in 0..10 {
            log.append(0, t + secs(i), Stream::Stdout, &format!("line {i}"))
                .unwrap();
        }
        let all: String = (0..10).map(|i| format!("line {i}\n")).collect();
        assert_eq!(read_str(&log, 0, &LogOptions::default()), all);
        let o = |since: Option<i64>, tail: Option<u64>, limit: Option<u64>, timestamps: bool| {
            LogOptions {
                since: since.map(|s| t + secs(s)),
                tail_lines: tail,
                limit_bytes: limit,
                timestamps,
            }
        };
        assert_eq!(
            read_str(&log, 0, &o(Some(7), None, None, false)),
            "line 7\nline 8\nline 9\n"
        );
        assert_eq!(
            read_str(&log, 0, &o(None, Some(2), None, false)),
            "line 8\nline 9\n"
        );
        assert_eq!(read_str(&log, 0, &o(None, Some(0), None, false)), "");
        assert_eq!(read_str(&log, 0, &o(None, Some(100), None, false)), all);
        // Tail first, then since.
        assert_eq!(
            read_str(&log, 0, &o(Some(8), Some(5), None, false)),
            "line 8\nline 9\n"
        );
        assert_eq!(
            read_str(&log, 0, &o(Some(2), Some(3), None, false)),
            "line 7\nline 8\nline 9\n"
        );
        assert_eq!(
            read_str(&log, 0, &o(None, None, Some(10), false)),
            "line 0\nlin"
        );
        assert_eq!(
            read_str(&log, 0, &o(None, Some(1), Some(1000), true)),
            "2026-01-01T00:00:09Z line 9\n"
        );
        assert_eq!(
            read_str(&log, 0, &o(Some(9), None, Some(12), true)),
            "2026-01-01T0"
        );
        assert_eq!(
            read_str(&log, 0, &o(Some(8), Some(4), None, true)),
            "2026-01-01T00:00:08Z line 8\n2026-01-01T00:00:09Z line 9\n"
        );
        // since later than everything
        assert_eq!(read_str(&log, 0, &o(Some(100), None, None, false)), "");
        // A write in progress (no newline yet) is left out.
        OpenOptions::new()
            .append(true)
            .open(log.live_path(0))
            .unwrap()
            .write_all(b"2026-01-01T00:01:00Z stdout F half")
            .unwrap();
        assert_eq!(
            read_str(&log, 0, &o(None, Some(1), None, false)),
            "line 9\n"
        );
    }

    #[test]
    fn tail_matches_naive_on_large_file() {
        let dir = tempfile::tempdir().unwrap();
        let log = ContainerLog::new(dir.path().join("c"), 0, 5).unwrap();
        let mut lines = Vec::new();
        let mut batch = Vec::new();
        let t = ts("2026-01-01T00:00:00Z");
        for i in 0..3000u64 {
            // Every 50th line is long (P entries), straddling chunk borders.
            let len = if i % 50 == 7 {
                20_000 + (i as usize * 37) % 20_000
            } else {
                (i as usize * 13) % 300
            };
            let s: String = format!("{i}:") + &"x".repeat(len);
            batch.push((
                t + SignedDuration::from_millis(i as i64),
                Stream::Stdout,
                s.clone(),
            ));
            lines.push(s);
        }
        log.append_batch(0, &batch).unwrap();
        assert!(fs::metadata(log.live_path(0)).unwrap().len() > 2_000_000);
        for n in [0u64, 1, 2, 3, 7, 8, 49, 50, 51, 100, 999, 2999, 3000, 5000] {
            let want: String = lines[lines.len().saturating_sub(n as usize)..]
                .iter()
                .map(|l| format!("{l}\n"))
                .collect();
            let got = read_str(
                &log,
                0,
                &LogOptions {
                    tail_lines: Some(n),
                    ..Default::default()
                },
            );
            assert_eq!(got.len(), want.len(), "tail {n}");
            assert!(got == want, "tail {n}");
        }
    }

    #[test]
    fn missing_instance_is_not_found() {
        let dir = tempfile::tempdir().unwrap();
        let log = ContainerLog::new(dir.path().join("c"), 0, 5).unwrap();
        let e = log.read(3, &LogOptions::default()).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
        log.start_instance(3).unwrap();
        assert_eq!(log.read(3, &LogOptions::default()).unwrap(), b"");
    }

    #[test]
    fn rotation_gzip_and_pruning() {
        let dir = tempfile::tempdir().unwrap();
        let log = ContainerLog::new(dir.path().join("c"), 300, 4).unwrap();
        let t = ts("2026-03-01T10:00:00Z");
        let line = "x".repeat(60); // ~100 bytes an entry: a rotation every 3 lines
        let mut rotation_times = Vec::new();
        let mut live_lines = 0;
        for i in 0..30 {
            let size = fs::metadata(log.live_path(0)).map(|m| m.len()).unwrap_or(0);
            if size >= 300 {
                rotation_times.push(t + secs(i * 60));
                live_lines = 0;
            }
            live_lines += 1;
            log.append(
                0,
                t + secs(i * 60),
                Stream::Stdout,
                &format!("{i:02} {line}"),
            )
            .unwrap();
        }
        let r = rotation_times.len();
        assert!(r >= 5, "{r} rotations");
        let got = names(&log);
        let want = vec![
            format!("0.log.{}.gz", rotation_stamp(rotation_times[r - 3])),
            format!("0.log.{}.gz", rotation_stamp(rotation_times[r - 2])),
            format!("0.log.{}", rotation_stamp(rotation_times[r - 1])),
            "0.log".to_string(),
        ];
        assert_eq!(got, want);
        assert!(want[2].starts_with("0.log.20260301-10"), "{want:?}");
        // No temporary file is left; contents are intact and in order.
        let all: Vec<String> = fs::read_dir(log.dir())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(all.len(), 4);
        let mut text = String::new();
        for (p, r) in log.files().unwrap() {
            assert_eq!(r, 0);
            if p.extension().is_some_and(|e| e == "gz") {
                text.push_str(&gunzip(&p));
            } else {
                text.push_str(&fs::read_to_string(&p).unwrap());
            }
        }
        let seq: Vec<u32> = text
            .lines()
            .map(|l| {
                let (_, _, _, t) = parse_cri_line(l.as_bytes()).unwrap();
                std::str::from_utf8(&t[..2]).unwrap().parse().unwrap()
            })
            .collect();
        assert_eq!(*seq.last().unwrap(), 29);
        assert!(seq.windows(2).all(|w| w[1] == w[0] + 1), "{seq:?}");
        // The logs API only reads the live file.
        assert_eq!(
            read_str(&log, 0, &LogOptions::default()).lines().count(),
            live_lines
        );

        // A new instance: the previous instance's live file survives pruning,
        // its rotated files go first.
        log.close_instance(0);
        for i in 0..12 {
            log.append(
                1,
                t + secs(3600 + i * 60),
                Stream::Stderr,
                &format!("{i:02} {line}"),
            )
            .unwrap();
        }
        let got = names(&log);
        assert_eq!(got.len(), 4, "{got:?}");
        assert_eq!(got[0], "0.log");
        assert!(
            got[1].starts_with("1.log.") && got[1].ends_with(".gz"),
            "{got:?}"
        );
        assert!(
            got[2].starts_with("1.log.") && !got[2].ends_with(".gz"),
            "{got:?}"
        );
        assert_eq!(got[3], "1.log");
        assert_eq!(
            read_str(&log, 0, &LogOptions::default()).lines().count(),
            live_lines
        );
    }

    #[test]
    fn same_second_rotations_get_distinct_names() {
        let dir = tempfile::tempdir().unwrap();
        let log = ContainerLog::new(dir.path().join("c"), 50, 10).unwrap();
        for i in 0..5 {
            log.append(
                0,
                base(),
                Stream::Stdout,
                &format!("{i} {}", "y".repeat(60)),
            )
            .unwrap();
        }
        let got = names(&log);
        assert_eq!(
            got,
            vec![
                "0.log.20261124-193038.gz",
                "0.log.20261124-193039.gz",
                "0.log.20261124-193040.gz",
                "0.log.20261124-193041",
                "0.log"
            ]
        );
    }

    #[test]
    fn backfill_rotates_in_the_past() {
        let dir = tempfile::tempdir().unwrap();
        let log = ContainerLog::new(dir.path().join("c"), 10_000, 5).unwrap();
        let t = ts("2020-05-06T07:00:00Z");
        let lines: Vec<_> = (0..2000)
            .map(|i| {
                (
                    t + secs(i * 7),
                    Stream::Stdout,
                    format!("backfill {i:05} {}", "z".repeat(40)),
                )
            })
            .collect();
        log.append_batch(0, &lines).unwrap();
        let files = log.files().unwrap();
        assert_eq!(files.len(), 5);
        let got = names(&log);
        assert!(got[..3].iter().all(|n| n.ends_with(".gz")), "{got:?}");
        assert!(!got[3].ends_with(".gz") && got[4] == "0.log", "{got:?}");
        for (p, _) in &files[..4] {
            let name = p.file_name().unwrap().to_str().unwrap();
            let stamp = &name[6..21];
            let text = if name.ends_with(".gz") {
                gunzip(p)
            } else {
                fs::read_to_string(p).unwrap()
            };
            let last = text.lines().last().unwrap();
            let (lt, ..) = parse_cri_line(last.as_bytes()).unwrap();
            assert_eq!(
                stamp,
                rotation_stamp(lt),
                "{name} named after its last line"
            );
            assert!(stamp.starts_with("2020"));
        }
        // The history is contiguous.
        let mut all = String::new();
        for (p, _) in &files {
            all.push_str(&if p.extension().is_some_and(|e| e == "gz") {
                gunzip(p)
            } else {
                fs::read_to_string(p).unwrap()
            });
        }
        let seq: Vec<u32> = all
            .lines()
            .map(|l| l.split(' ').nth(4).unwrap().parse().unwrap())
            .collect();
        assert_eq!(*seq.last().unwrap(), 1999);
        assert!(seq.windows(2).all(|w| w[1] == w[0] + 1));
        // Appending after the backfill continues the timeline.
        let next = log.append(0, t, Stream::Stdout, "late").unwrap();
        assert!(next > lines.last().unwrap().0);
    }

    #[test]
    fn reopen_existing_file_keeps_timestamps_increasing() {
        let dir = tempfile::tempdir().unwrap();
        let t = ts("2026-01-01T00:00:00Z");
        {
            let log = ContainerLog::new(dir.path().join("c"), 0, 5).unwrap();
            log.append(0, t + secs(10), Stream::Stdout, "a").unwrap();
        }
        let log = ContainerLog::new(dir.path().join("c"), 0, 5).unwrap();
        let got = log.append(0, t, Stream::Stdout, "b").unwrap();
        assert_eq!(got, t + secs(10) + SignedDuration::from_nanos(1));
        assert_eq!(read_str(&log, 0, &LogOptions::default()), "a\nb\n");
    }

    async fn next_text<S: futures::Stream<Item = io::Result<Bytes>> + Unpin>(s: &mut S) -> String {
        let b = tokio::time::timeout(Duration::from_secs(5), s.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        String::from_utf8(b.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn follow_sees_new_lines_and_ends_on_close() {
        let dir = tempfile::tempdir().unwrap();
        let log = ContainerLog::new(dir.path().join("c"), 0, 5).unwrap();
        let t = ts("2026-01-01T00:00:00Z");
        for i in 0..5 {
            log.append(0, t + secs(i), Stream::Stdout, &format!("old {i}"))
                .unwrap();
        }
        let mut s = Box::pin(log.follow(
            0,
            LogOptions {
                tail_lines: Some(2),
                timestamps: true,
                ..Default::default()
            },
        ));
        assert_eq!(
            next_text(&mut s).await,
            "2026-01-01T00:00:03Z old 3\n2026-01-01T00:00:04Z old 4\n"
        );
        // Nothing yet: the stream waits.
        assert!(
            tokio::time::timeout(Duration::from_millis(100), s.next())
                .await
                .is_err()
        );
        log.append(0, t + secs(10), Stream::Stderr, "new").unwrap();
        assert_eq!(next_text(&mut s).await, "2026-01-01T00:00:10Z new\n");
        log.append(0, t + secs(11), Stream::Stderr, "last").unwrap();
        log.close_instance(0);
        assert_eq!(next_text(&mut s).await, "2026-01-01T00:00:11Z last\n");
        let end = tokio::time::timeout(Duration::from_secs(5), s.next())
            .await
            .unwrap();
        assert!(end.is_none());

        // Following a closed instance gives its content and ends; a missing
        // one fails with NotFound.
        let all: Vec<_> = log.follow(0, LogOptions::default()).collect().await;
        assert_eq!(all.len(), 1);
        let mut s = Box::pin(log.follow(7, LogOptions::default()));
        let e = s.next().await.unwrap().unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
        assert!(s.next().await.is_none());
    }

    #[tokio::test]
    async fn follow_limit_bytes_ends_stream() {
        let dir = tempfile::tempdir().unwrap();
        let log = ContainerLog::new(dir.path().join("c"), 0, 5).unwrap();
        log.append(0, base(), Stream::Stdout, "abc").unwrap();
        let mut s = Box::pin(log.follow(
            0,
            LogOptions {
                limit_bytes: Some(6),
                ..Default::default()
            },
        ));
        assert_eq!(next_text(&mut s).await, "abc\n");
        log.append(0, base(), Stream::Stdout, "defgh").unwrap();
        assert_eq!(next_text(&mut s).await, "de");
        assert!(s.next().await.is_none());
    }

    fn check_sequence(text: &str, n: usize) {
        let seq: Vec<usize> = text
            .lines()
            .map(|l| {
                l.trim_start_matches("seq ")
                    .split(' ')
                    .next()
                    .unwrap()
                    .parse()
                    .unwrap()
            })
            .collect();
        assert_eq!(seq.len(), n, "lines received");
        assert!(
            seq.iter().enumerate().all(|(i, s)| i == *s),
            "lines in order, none lost or repeated"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn follow_survives_rotation() {
        let dir = tempfile::tempdir().unwrap();
        // Small files, many rotations; keep enough files that none is pruned
        // before the follower reads it.
        let log = ContainerLog::new(dir.path().join("c"), 2_000, 1_000).unwrap();
        log.start_instance(0).unwrap();
        let follower = {
            let s = log.follow(0, LogOptions::default());
            tokio::spawn(async move {
                let mut s = Box::pin(s);
                let mut text = String::new();
                while let Some(b) = s.next().await {
                    text.push_str(std::str::from_utf8(&b.unwrap()).unwrap());
                }
                text
            })
        };
        const N: usize = 5_000;
        let writer = {
            let log = log.clone();
            tokio::spawn(async move {
                let t = ts("2026-01-01T00:00:00Z");
                for i in 0..N {
                    let long = if i % 97 == 0 {
                        "L".repeat(20_000)
                    } else {
                        String::new()
                    };
                    log.append(
                        0,
                        t + SignedDuration::from_millis(i as i64),
                        Stream::Stdout,
                        &format!("seq {i} {long}"),
                    )
                    .unwrap();
                    if i % 16 == 0 {
                        tokio::task::yield_now().await;
                    }
                }
                log.close_instance(0);
            })
        };
        writer.await.unwrap();
        let text = tokio::time::timeout(Duration::from_secs(30), follower)
            .await
            .unwrap()
            .unwrap();
        check_sequence(&text, N);
        assert!(log.files().unwrap().len() > 100);
    }

    #[tokio::test]
    async fn lagging_follower_reads_rotated_and_gzipped_files() {
        let dir = tempfile::tempdir().unwrap();
        let log = ContainerLog::new(dir.path().join("c"), 1_000, 1_000).unwrap();
        log.append(0, base(), Stream::Stdout, "seq 0").unwrap();
        let mut s = Box::pin(log.follow(0, LogOptions::default()));
        let mut text = next_text(&mut s).await;
        // The follower does not poll while many rotations happen.
        const N: usize = 500;
        for i in 1..N {
            log.append(
                0,
                base() + secs(i as i64),
                Stream::Stdout,
                &format!("seq {i} padding padding"),
            )
            .unwrap();
        }
        assert!(names(&log).iter().filter(|n| n.ends_with(".gz")).count() > 10);
        log.close_instance(0);
        while let Some(b) = tokio::time::timeout(Duration::from_secs(5), s.next())
            .await
            .unwrap()
        {
            text.push_str(std::str::from_utf8(&b.unwrap()).unwrap());
        }
        check_sequence(&text, N);
    }

    #[tokio::test]
    async fn dropping_follow_stream_is_fine() {
        let dir = tempfile::tempdir().unwrap();
        let log = ContainerLog::new(dir.path().join("c"), 0, 5).unwrap();
        log.append(0, base(), Stream::Stdout, "a").unwrap();
        let mut s = Box::pin(log.follow(0, LogOptions::default()));
        assert_eq!(next_text(&mut s).await, "a\n");
        drop(s);
        log.append(0, base(), Stream::Stdout, "b").unwrap();
        assert_eq!(read_str(&log, 0, &LogOptions::default()), "a\nb\n");
    }
}
