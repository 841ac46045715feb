//! The package store: a plain directory of packages (`<id>/`), so operators
//! can also `kubectl cp` and sftp them. A package is written as
//! `<id>.partial/` and renamed when complete, so a half-written one is never
//! listed or served as complete. One create runs at a time per store: an
//! exclusive lock on `.create.lock`, released by the kernel if kubetac dies,
//! which is also how a leftover `.partial` is known to be interrupted.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::Write;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::manifest::Manifest;
use super::request::Request;

pub const PARTIAL: &str = ".partial";
const LOCK: &str = ".create.lock";
const ACTIVE: &str = ".active.json";

/// Where packages go when no `--store` or `KUBETAC_STORE` is given:
/// `$XDG_DATA_HOME/kubetac/packages` (`~/.local/share/kubetac/packages`).
pub fn default_root() -> PathBuf {
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("kubetac").join("packages")
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "Available disk space on node is less than {threshold} %. Please remove old debug files and retry.\n(the store {path} has {free:.1} % free; `kubetac tac-debug-pkg list` and `delete tac-id ID` free space)"
    )]
    LowDisk {
        threshold: u8,
        free: f64,
        path: String,
    },
    #[error(
        "tac-debug pkg {id} is being created (started {started}); wait for it (`kubetac tac-debug-pkg status`) and retry"
    )]
    Busy { id: String, started: String },
    #[error("no tac-debug pkg {0} in the store (see `kubetac tac-debug-pkg list`)")]
    NoSuchPackage(String),
    #[error("tac-debug pkg {0} is being created; it can be deleted when it is done")]
    DeleteActive(String),
    #[error("{0:?} is not a package id (a number, as `tac-debug-pkg list` shows)")]
    BadId(String),
    #[error("package store {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// The state of the running create, for `status` in another terminal (or
/// another SSH session).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Active {
    pub id: String,
    pub started: Timestamp,
    pub pid: u32,
    pub gatherers: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
pub struct Store {
    pub root: PathBuf,
}

/// Held while a create runs; dropping it (or the process dying) lets the
/// next create start.
pub struct CreateLock {
    _file: File,
    active: PathBuf,
}

impl Drop for CreateLock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.active);
    }
}

impl CreateLock {
    /// Publishes the progress (atomically: a reader never sees half a file).
    pub fn publish(&self, a: &Active) {
        let tmp = self.active.with_extension("tmp");
        let ok = serde_json::to_vec(a)
            .ok()
            .and_then(|b| fs::write(&tmp, b).ok())
            .and_then(|_| fs::rename(&tmp, &self.active).ok());
        if ok.is_none() {
            tracing::warn!("could not publish progress to {}", self.active.display());
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PackageState {
    Complete,
    InProgress,
    Interrupted,
}

impl PackageState {
    pub fn as_str(self) -> &'static str {
        match self {
            PackageState::Complete => "complete",
            PackageState::InProgress => "in progress",
            PackageState::Interrupted => "interrupted",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    pub id: String,
    pub state: PackageState,
    pub path: PathBuf,
    pub bytes: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<Request>,
    /// Per gatherer: name and final state, from the manifest.
    pub gatherers: Vec<(String, String)>,
}

pub fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 20 && id.bytes().all(|b| b.is_ascii_digit())
}

impl Store {
    pub fn open(root: &Path) -> Result<Store, StoreError> {
        fs::create_dir_all(root).map_err(io(root))?;
        Ok(Store {
            root: root.to_path_buf(),
        })
    }

    pub fn package_dir(&self, id: &str) -> PathBuf {
        self.root.join(id)
    }

    pub fn partial_dir(&self, id: &str) -> PathBuf {
        self.root.join(format!("{id}{PARTIAL}"))
    }

    /// Free space of the store's filesystem in percent.
    pub fn free_percent(&self) -> Result<f64, StoreError> {
        let total = fs4::total_space(&self.root).map_err(io(&self.root))?;
        let avail = fs4::available_space(&self.root).map_err(io(&self.root))?;
        if total == 0 {
            return Ok(100.0);
        }
        Ok(avail as f64 * 100.0 / total as f64)
    }

    /// The guide's refusal when less than `threshold` % is free.
    pub fn check_disk(&self, threshold: u8) -> Result<(), StoreError> {
        let free = self.free_percent()?;
        if free < threshold as f64 {
            return Err(StoreError::LowDisk {
                threshold,
                free,
                path: self.root.display().to_string(),
            });
        }
        Ok(())
    }

    fn lock_file(&self) -> Result<File, StoreError> {
        let p = self.root.join(LOCK);
        OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&p)
            .map_err(io(&p))
    }

    pub fn read_active(&self) -> Option<Active> {
        let b = fs::read(self.root.join(ACTIVE)).ok()?;
        serde_json::from_slice(&b).ok()
    }

    /// Whether a create holds the lock now (in this process or another).
    fn create_running(&self) -> Result<bool, StoreError> {
        let f = self.lock_file()?;
        match f.try_lock() {
            Ok(()) => {
                let _ = f.unlock();
                Ok(false)
            }
            Err(TryLockError::WouldBlock) => Ok(true),
            Err(TryLockError::Error(e)) => Err(io(&self.root.join(LOCK))(e)),
        }
    }

    /// Takes the store for one create, or says which create has it.
    pub fn lock_for_create(&self) -> Result<CreateLock, StoreError> {
        let f = self.lock_file()?;
        match f.try_lock() {
            Ok(()) => Ok(CreateLock {
                _file: f,
                active: self.root.join(ACTIVE),
            }),
            Err(TryLockError::WouldBlock) => {
                let a = self.read_active();
                Err(StoreError::Busy {
                    id: a
                        .as_ref()
                        .map(|a| a.id.clone())
                        .unwrap_or_else(|| "?".into()),
                    started: a
                        .map(|a| a.started.strftime("%Y-%m-%d %H:%M:%S UTC").to_string())
                        .unwrap_or_else(|| "just now".into()),
                })
            }
            Err(TryLockError::Error(e)) => Err(io(&self.root.join(LOCK))(e)),
        }
    }

    /// The creation time in Unix seconds, moved on until no package (or
    /// partial one) has it: two creates in one second get two ids. Call with
    /// the create lock held.
    pub fn allocate_id(&self, now: Timestamp) -> Result<String, StoreError> {
        let mut n = now.as_second().max(0);
        loop {
            let id = n.to_string();
            if !self.package_dir(&id).exists() && !self.partial_dir(&id).exists() {
                fs::create_dir(self.partial_dir(&id)).map_err(io(&self.partial_dir(&id)))?;
                return Ok(id);
            }
            n += 1;
        }
    }

    /// The running create's state, if one runs.
    pub fn active(&self) -> Result<Option<Active>, StoreError> {
        if !self.create_running()? {
            return Ok(None);
        }
        Ok(self.read_active())
    }

    /// Every package, newest first.
    pub fn list(&self) -> Result<Vec<Entry>, StoreError> {
        let running = self.active()?.map(|a| a.id);
        let mut out = Vec::new();
        for e in fs::read_dir(&self.root).map_err(io(&self.root))? {
            let e = e.map_err(io(&self.root))?;
            let name = e.file_name().to_string_lossy().into_owned();
            let (id, partial) = match name.strip_suffix(PARTIAL) {
                Some(id) => (id.to_string(), true),
                None => (name.clone(), false),
            };
            if !valid_id(&id) || !e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                continue;
            }
            let state = match (partial, running.as_deref() == Some(id.as_str())) {
                (false, _) => PackageState::Complete,
                (true, true) => PackageState::InProgress,
                (true, false) => PackageState::Interrupted,
            };
            let manifest = Manifest::read(&e.path().join("manifest.json")).ok();
            out.push(Entry {
                id,
                state,
                bytes: dir_size(&e.path()),
                path: e.path(),
                request: manifest.as_ref().map(|m| m.request.clone()),
                gatherers: manifest
                    .map(|m| {
                        m.gatherers
                            .iter()
                            .map(|(k, g)| (k.clone(), g.state.clone()))
                            .collect()
                    })
                    .unwrap_or_default(),
            });
        }
        out.sort_by(|a, b| {
            (b.id.len(), &b.id)
                .cmp(&(a.id.len(), &a.id))
                .then(a.state.as_str().cmp(b.state.as_str()))
        });
        Ok(out)
    }

    /// Removes a package (complete or interrupted; not one being written).
    pub fn delete(&self, id: &str) -> Result<(), StoreError> {
        if !valid_id(id) {
            return Err(StoreError::BadId(id.to_string()));
        }
        if self.active()?.is_some_and(|a| a.id == id) {
            return Err(StoreError::DeleteActive(id.to_string()));
        }
        let mut found = false;
        for p in [self.package_dir(id), self.partial_dir(id)] {
            if p.is_dir() {
                fs::remove_dir_all(&p).map_err(io(&p))?;
                found = true;
            }
        }
        let tgz = self.root.join(format!("tac-debug_{id}.tar.gz"));
        if tgz.is_file() {
            fs::remove_file(&tgz).map_err(io(&tgz))?;
            found = true;
        }
        if !found {
            return Err(StoreError::NoSuchPackage(id.to_string()));
        }
        Ok(())
    }

    /// Moves a finished package into place: the one step that makes it
    /// visible as complete.
    pub fn finish(&self, id: &str) -> Result<PathBuf, StoreError> {
        let from = self.partial_dir(id);
        let to = self.package_dir(id);
        // Everything is flushed before the rename so a crash right after
        // cannot leave a "complete" package with missing bytes.
        if let Ok(d) = File::open(&from) {
            let _ = d.sync_all();
        }
        fs::rename(&from, &to).map_err(io(&to))?;
        if let Ok(d) = File::open(&self.root) {
            let _ = d.sync_all();
        }
        Ok(to)
    }
}

/// Bytes of the files under `dir` (not following symlinks).
pub fn dir_size(dir: &Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = fs::read_dir(&d) else { continue };
        for e in rd.flatten() {
            match e.file_type() {
                Ok(t) if t.is_dir() => stack.push(e.path()),
                Ok(t) if t.is_file() => total += e.metadata().map(|m| m.len()).unwrap_or(0),
                _ => {}
            }
        }
    }
    total
}

/// "3.4 MiB"
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// Writes a file through a temporary name, so readers never see half of it.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp-write");
    {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_within_a_second() {
        let d = tempfile::tempdir().unwrap();
        let s = Store::open(d.path()).unwrap();
        let now: Timestamp = "2020-06-09T00:28:49Z".parse().unwrap();
        let a = s.allocate_id(now).unwrap();
        let b = s.allocate_id(now).unwrap();
        assert_eq!(a, "1591662529");
        assert_eq!(b, "1591662530");
        s.finish(&a).unwrap();
        let c = s.allocate_id(now).unwrap();
        assert_eq!(c, "1591662531");
    }

    #[test]
    fn one_create_at_a_time_and_interrupted_partials() {
        let d = tempfile::tempdir().unwrap();
        let s = Store::open(d.path()).unwrap();
        let lock = s.lock_for_create().unwrap();
        let id = s.allocate_id(Timestamp::now()).unwrap();
        lock.publish(&Active {
            id: id.clone(),
            started: Timestamp::now(),
            pid: std::process::id(),
            gatherers: vec![("core".into(), "in progress".into())],
        });
        match s.lock_for_create() {
            Err(StoreError::Busy { id: busy, .. }) => assert_eq!(busy, id),
            other => panic!("expected busy, got {:?}", other.map(|_| ())),
        }
        assert_eq!(s.active().unwrap().unwrap().id, id);
        let l = s.list().unwrap();
        assert_eq!(l[0].state, PackageState::InProgress);
        assert!(matches!(s.delete(&id), Err(StoreError::DeleteActive(_))));
        drop(lock);
        assert!(s.active().unwrap().is_none());
        let l = s.list().unwrap();
        assert_eq!(l[0].state, PackageState::Interrupted);
        s.delete(&id).unwrap();
        assert!(s.list().unwrap().is_empty());
        assert!(matches!(s.delete(&id), Err(StoreError::NoSuchPackage(_))));
        assert!(matches!(s.delete("../etc"), Err(StoreError::BadId(_))));
    }

    #[test]
    fn disk_guard_threshold() {
        let d = tempfile::tempdir().unwrap();
        let s = Store::open(d.path()).unwrap();
        assert!(s.check_disk(0).is_ok());
        let e = s.check_disk(101).unwrap_err().to_string();
        assert!(e.starts_with(
            "Available disk space on node is less than 101 %. Please remove old debug files and retry."
        ));
    }

    #[test]
    fn sizes() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(3 * 1024 * 1024 + 400 * 1024), "3.4 MiB");
    }
}
