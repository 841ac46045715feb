//! `manifest.json`: what was asked, what each gatherer did (counts, bytes,
//! time, every error), what redaction replaced (counts, never values), and
//! the SHA-256 of every other file, so a downloaded copy can be checked.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::request::Request;

pub const FILE: &str = "manifest.json";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    pub id: String,
    pub created: Timestamp,
    pub completed: Timestamp,
    pub request: Request,
    /// The request as the guide's command.
    pub command: String,
    pub kubetac: Software,
    pub cluster: ClusterInfo,
    /// By gatherer name (core, logs, metrics, stats, config).
    pub gatherers: BTreeMap<String, GathererRecord>,
    /// Rule name → values replaced.
    pub redactions: BTreeMap<String, u64>,
    pub files: Vec<FileRecord>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Software {
    pub version: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterInfo {
    pub server: String,
    pub context: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GathererRecord {
    /// completed, completed with errors, skipped, failed
    pub state: String,
    pub detail: String,
    /// What the gatherer counted (containers, lines, cores, series, objects…).
    pub counts: BTreeMap<String, u64>,
    pub files: u64,
    pub bytes: u64,
    pub duration_ms: u64,
    pub errors: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRecord {
    /// Relative to the package directory, `/`-separated.
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
}

impl Manifest {
    pub fn read(path: &Path) -> anyhow::Result<Manifest> {
        let b = std::fs::read(path)?;
        Ok(serde_json::from_slice(&b)?)
    }
}

/// SHA-256 of a file, read in blocks (cores can be gigabytes).
pub fn sha256_file(path: &Path) -> std::io::Result<(u64, String)> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut n = 0u64;
    loop {
        let r = f.read(&mut buf)?;
        if r == 0 {
            break;
        }
        n += r as u64;
        h.update(&buf[..r]);
    }
    Ok((n, hex::encode(h.finalize())))
}

/// Every regular file under `dir` except the manifest itself, sorted by path.
pub fn checksum_tree(dir: &Path) -> std::io::Result<Vec<FileRecord>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d)? {
            let e = e?;
            let t = e.file_type()?;
            if t.is_dir() {
                stack.push(e.path());
            } else if t.is_file() {
                let rel = e
                    .path()
                    .strip_prefix(dir)
                    .map(|p| p.to_string_lossy().replace('\\', "/"))
                    .unwrap_or_default();
                if rel == FILE {
                    continue;
                }
                let (bytes, sha256) = sha256_file(&e.path())?;
                out.push(FileRecord {
                    path: rel,
                    bytes,
                    sha256,
                });
            }
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_of_a_tree() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("logs/n1")).unwrap();
        std::fs::write(d.path().join("logs/n1/a.txt"), b"abc").unwrap();
        std::fs::write(d.path().join(FILE), b"{}").unwrap();
        let t = checksum_tree(d.path()).unwrap();
        assert_eq!(
            t,
            [FileRecord {
                path: "logs/n1/a.txt".into(),
                bytes: 3,
                sha256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad".into()
            }]
        );
    }
}
