//! `/tac/<id>.tar.gz`: a package as one gzipped tar, made while it is sent.
//! A blocking task walks the package and writes tar → gzip → a bounded
//! channel that the response body drains, so memory stays at a few chunks
//! whatever the package's size, and a client that goes away stops the work.

use std::fs::File;
use std::io::{self, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::Body;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use bytes::Bytes;
use flate2::Compression;
use flate2::write::GzEncoder;
use tokio::sync::{OwnedSemaphorePermit, mpsc};

const CHUNK: usize = 64 * 1024;
/// Chunks in flight between the tar writer and the connection.
const DEPTH: usize = 8;

struct ChanWriter {
    tx: mpsc::Sender<io::Result<Bytes>>,
    buf: Vec<u8>,
    bytes: Arc<AtomicU64>,
}

impl ChanWriter {
    fn send(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        let n = chunk.len() as u64;
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the client went away"))?;
        self.bytes.fetch_add(n, Ordering::Relaxed);
        Ok(())
    }
}

impl Write for ChanWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

pub(super) fn response(
    id: String,
    dir: PathBuf,
    bytes: Arc<AtomicU64>,
    permit: OwnedSemaphorePermit,
) -> Response {
    let (tx, mut rx) = mpsc::channel(DEPTH);
    let filename = format!("{id}.tar.gz");
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let w = ChanWriter {
            tx: tx.clone(),
            buf: Vec::with_capacity(CHUNK),
            bytes,
        };
        if let Err(e) = write_package(&id, &dir, w)
            && e.kind() != io::ErrorKind::BrokenPipe
        {
            tracing::warn!("package server: {id}.tar.gz: {e}");
            // Ends the body with an error, so the client sees a broken
            // transfer rather than a complete-looking, short archive.
            let _ = tx.blocking_send(Err(e));
        }
    });
    let stream = futures::stream::poll_fn(move |cx| rx.poll_recv(cx));
    let mut resp = Response::new(Body::from_stream(stream));
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/gzip"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    resp
}

/// Writes `<id>/...` — the same directories and files the listings show,
/// in the same order, never following a symlink.
pub(super) fn write_package<W: Write>(id: &str, dir: &Path, w: W) -> io::Result<()> {
    let mut b = tar::Builder::new(GzEncoder::new(w, Compression::fast()));
    b.follow_symlinks(false);
    append_dir(&mut b, id, dir)?;
    walk(&mut b, dir, id)?;
    let gz = b.into_inner()?;
    let mut w = gz.finish()?;
    w.flush()
}

fn walk<W: Write>(b: &mut tar::Builder<W>, dir: &Path, prefix: &str) -> io::Result<()> {
    for (name, meta) in super::files::entries(dir)? {
        let path = dir.join(&name);
        let in_tar = format!("{prefix}/{name}");
        if meta.is_dir() {
            append_dir(b, &in_tar, &path)?;
            walk(b, &path, &in_tar)?;
        } else {
            let mut f = File::open(&path)?;
            let m = f.metadata()?;
            if !m.is_file() || m.ino() != meta.ino() || m.dev() != meta.dev() {
                return Err(io::Error::other(format!(
                    "{} changed while it was archived",
                    path.display()
                )));
            }
            b.append_file(&in_tar, &mut f)?;
        }
    }
    Ok(())
}

/// A directory entry named `name/`, as GNU tar writes them (the tar crate's
/// own `append_dir` drops the slash, and `tar t` then shows directories
/// like files).
fn append_dir<W: Write>(b: &mut tar::Builder<W>, name: &str, path: &Path) -> io::Result<()> {
    let meta = std::fs::symlink_metadata(path)?;
    let mut h = tar::Header::new_gnu();
    h.set_metadata_in_mode(&meta, tar::HeaderMode::Complete);
    h.set_entry_type(tar::EntryType::Directory);
    h.set_size(0);
    let slashed = format!("{name}/");
    if slashed.len() < 100 {
        h.as_old_mut().name[..slashed.len()].copy_from_slice(slashed.as_bytes());
        h.set_cksum();
        b.append(&h, io::empty())
    } else {
        b.append_data(&mut h, name, io::empty())
    }
}
