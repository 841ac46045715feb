//! The one writer of the merged output, with a bounded buffer in front of
//! it. Tails append whole formatted lines; when the buffer is full they wait,
//! stop reading their streams, and TCP slows the server down: a reader that
//! does not keep up (`| less`) costs no memory. The writing happens on a
//! thread of its own, so a blocked pipe never stalls the async runtime
//! (Ctrl-C, the pod watch), and it writes in batches — one write call per
//! few milliseconds, not per line — which is most of the CPU saved compared
//! with line-by-line writers.

use std::io::{self, Write};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// Bytes of formatted lines waiting for the writer at most.
pub const DEFAULT_CAPACITY: usize = 1 << 20;

/// How long the writer lets lines gather after the first one arrives: short
/// enough to look immediate, long enough to write hundreds of lines at once
/// when many pods are busy.
const LINGER: Duration = Duration::from_millis(10);

struct State {
    data: Vec<u8>,
    /// No more data will come: write what is there and stop.
    closing: bool,
    /// The writer failed (a closed pipe): nothing more will be written.
    failed: Option<io::ErrorKind>,
}

struct Shared {
    state: Mutex<State>,
    /// Wakes the writer.
    more: Condvar,
    /// Wakes tails waiting for room (and for failure).
    room: tokio::sync::Notify,
    capacity: usize,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The writer thread; [`finish`](Sink::finish) ends it.
pub struct Sink {
    shared: Arc<Shared>,
    done: tokio::sync::oneshot::Receiver<io::Result<()>>,
}

/// What tails write through.
#[derive(Clone)]
pub struct SinkHandle {
    shared: Arc<Shared>,
}

/// The output is gone (its error kind, e.g. `BrokenPipe`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Closed(pub io::ErrorKind);

impl Sink {
    pub fn spawn(out: Box<dyn Write + Send>, capacity: usize) -> (Sink, SinkHandle) {
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                data: Vec::with_capacity(capacity.min(64 * 1024)),
                closing: false,
                failed: None,
            }),
            more: Condvar::new(),
            room: tokio::sync::Notify::new(),
            capacity,
        });
        let (tx, done) = tokio::sync::oneshot::channel();
        let sh = shared.clone();
        std::thread::Builder::new()
            .name("kubetac-output".into())
            .spawn(move || {
                let r = writer(&sh, out);
                if let Err(e) = &r {
                    sh.lock().failed = Some(e.kind());
                }
                sh.room.notify_waiters();
                let _ = tx.send(r);
            })
            .map_or_else(
                |e| {
                    // No thread, no output: every write fails at once.
                    shared.lock().failed = Some(e.kind());
                },
                |_| (),
            );
        let handle = SinkHandle {
            shared: shared.clone(),
        };
        (Sink { shared, done }, handle)
    }

    /// Writes what is buffered and stops the writer: resolves when all is
    /// written (as slowly as the reader reads) or the output failed.
    pub async fn finish(self) -> io::Result<()> {
        self.shared.lock().closing = true;
        self.shared.more.notify_all();
        self.done
            .await
            .unwrap_or_else(|_| Err(io::Error::other("the output thread ended")))
    }
}

fn writer(sh: &Shared, mut out: Box<dyn Write + Send>) -> io::Result<()> {
    let mut batch: Vec<u8> = Vec::with_capacity(sh.capacity.min(64 * 1024));
    loop {
        {
            let mut st = sh.lock();
            while st.data.is_empty() && !st.closing {
                st = sh.more.wait(st).unwrap_or_else(|p| p.into_inner());
            }
            if st.data.is_empty() {
                break;
            }
            if !st.closing && st.data.len() < sh.capacity / 2 {
                st = sh
                    .more
                    .wait_timeout(st, LINGER)
                    .unwrap_or_else(|p| p.into_inner())
                    .0;
            }
            std::mem::swap(&mut st.data, &mut batch);
        }
        sh.room.notify_waiters();
        out.write_all(&batch)?;
        out.flush()?;
        batch.clear();
        if batch.capacity() > sh.capacity {
            batch.shrink_to(sh.capacity);
        }
    }
    out.flush()
}

impl SinkHandle {
    /// Appends `data` (whole lines), waiting while the buffer is full.
    pub async fn write(&self, data: &[u8]) -> Result<(), Closed> {
        // Usually there is room: no waiter is registered for that.
        if self.try_write(data)? {
            return Ok(());
        }
        let sh = &*self.shared;
        loop {
            let room = sh.room.notified();
            tokio::pin!(room);
            // Registered before looking again, so a wake-up between the look
            // and the wait is not lost.
            room.as_mut().enable();
            if self.try_write(data)? {
                return Ok(());
            }
            room.await;
        }
    }

    /// Appends `data` if there is room; false if it must wait.
    fn try_write(&self, data: &[u8]) -> Result<bool, Closed> {
        let sh = &*self.shared;
        let mut st = sh.lock();
        if let Some(kind) = st.failed {
            return Err(Closed(kind));
        }
        let before = st.data.len();
        // A write bigger than the whole buffer goes in alone.
        if before + data.len() > sh.capacity && before > 0 {
            return Ok(false);
        }
        st.data.extend_from_slice(data);
        let after = st.data.len();
        drop(st);
        if before == 0 || (before < sh.capacity / 2 && after >= sh.capacity / 2) {
            sh.more.notify_one();
        }
        Ok(true)
    }

    /// Resolves when the output failed (the reader went away).
    pub async fn closed(&self) -> Closed {
        let sh = &*self.shared;
        loop {
            let room = sh.room.notified();
            tokio::pin!(room);
            room.as_mut().enable();
            if let Some(kind) = sh.lock().failed {
                return Closed(kind);
            }
            room.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A writer that blocks until allowed, counting bytes and calls.
    #[derive(Clone)]
    struct Gate {
        open: Arc<(Mutex<bool>, Condvar)>,
        bytes: Arc<AtomicUsize>,
        calls: Arc<AtomicUsize>,
        fail: Option<io::ErrorKind>,
    }

    impl Write for Gate {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            if let Some(k) = self.fail {
                return Err(k.into());
            }
            let (m, cv) = &*self.open;
            let mut g = m.lock().unwrap();
            while !*g {
                g = cv.wait(g).unwrap();
            }
            self.bytes.fetch_add(b.len(), Ordering::SeqCst);
            self.calls.fetch_add(1, Ordering::SeqCst);
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn gate(open: bool, fail: Option<io::ErrorKind>) -> Gate {
        Gate {
            open: Arc::new((Mutex::new(open), Condvar::new())),
            bytes: Arc::new(AtomicUsize::new(0)),
            calls: Arc::new(AtomicUsize::new(0)),
            fail,
        }
    }

    #[tokio::test]
    async fn a_stalled_reader_holds_writers_back() {
        let g = gate(false, None);
        let (sink, h) = Sink::spawn(Box::new(g.clone()), 1000);
        let line = [b'x'; 99].iter().chain(b"\n").copied().collect::<Vec<u8>>();
        // The writer takes the first batch and blocks on it; then the
        // buffer fills up to its capacity and the next write waits.
        let mut accepted = 0;
        for _ in 0..40 {
            match tokio::time::timeout(Duration::from_millis(50), h.write(&line)).await {
                Ok(r) => {
                    r.unwrap();
                    accepted += 1
                }
                Err(_) => break,
            }
        }
        assert!(
            accepted < 25,
            "{accepted} lines buffered for a stalled reader"
        );
        {
            let (m, cv) = &*g.open;
            *m.lock().unwrap() = true;
            cv.notify_all();
        }
        for _ in 0..10 {
            h.write(&line).await.unwrap();
        }
        sink.finish().await.unwrap();
        assert_eq!(g.bytes.load(Ordering::SeqCst), (accepted + 10) * 100);
    }

    #[tokio::test]
    async fn lines_are_written_in_batches() {
        let g = gate(true, None);
        let (sink, h) = Sink::spawn(Box::new(g.clone()), DEFAULT_CAPACITY);
        for _ in 0..1000 {
            h.write(b"a line\n").await.unwrap();
        }
        sink.finish().await.unwrap();
        assert_eq!(g.bytes.load(Ordering::SeqCst), 7000);
        assert!(g.calls.load(Ordering::SeqCst) < 50);
    }

    #[tokio::test]
    async fn a_closed_pipe_stops_every_writer() {
        let g = gate(true, Some(io::ErrorKind::BrokenPipe));
        let (sink, h) = Sink::spawn(Box::new(g), 1000);
        let _ = h.write(b"x\n").await;
        assert_eq!(h.closed().await, Closed(io::ErrorKind::BrokenPipe));
        assert_eq!(
            h.write(b"y\n").await,
            Err(Closed(io::ErrorKind::BrokenPipe))
        );
        assert_eq!(
            sink.finish().await.unwrap_err().kind(),
            io::ErrorKind::BrokenPipe
        );
    }
}
