//! The server's ed25519 host key: made once, then reused, so the
//! known_hosts entries of operators keep matching across restarts.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use anyhow::Context;
use russh::keys::ssh_key::LineEnding;
use russh::keys::ssh_key::private::Ed25519Keypair;
use russh::keys::{HashAlg, PrivateKey};

/// Loads the OpenSSH-format private key at `path`, or makes a new ed25519
/// key there (mode 0600, plus `<path>.pub`) when there is none.
pub fn load_or_create_host_key(path: &Path) -> anyhow::Result<PrivateKey> {
    match fs::read_to_string(path) {
        Ok(text) => {
            let key = PrivateKey::from_openssh(&text)
                .with_context(|| format!("{}: not an OpenSSH private key", path.display()))?;
            tighten_mode(path)?;
            Ok(key)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => create(path),
        Err(e) => Err(e).with_context(|| format!("reading host key {}", path.display())),
    }
}

/// `SHA256:...`, as `ssh-keygen -lf` and the client's first-connect
/// prompt show it.
pub fn fingerprint(key: &PrivateKey) -> String {
    key.public_key().fingerprint(HashAlg::Sha256).to_string()
}

fn create(path: &Path) -> anyhow::Result<PrivateKey> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let key = PrivateKey::from(Ed25519Keypair::from_seed(&rand::random::<[u8; 32]>()));
    let text = key
        .to_openssh(LineEnding::LF)
        .context("encoding the host key")?;

    // Written aside and renamed into place, so that two servers starting at
    // once, or a crash mid-write, never leave a half key behind; the loser
    // of a race adopts the winner's key.
    let tmp = with_suffix(path, &format!(".tmp.{}", std::process::id()));
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .with_context(|| format!("creating {}", tmp.display()))?;
    f.write_all(text.as_bytes())
        .and_then(|()| f.sync_all())
        .with_context(|| format!("writing {}", tmp.display()))?;
    drop(f);
    if let Err(e) = fs::hard_link(&tmp, path) {
        let _ = fs::remove_file(&tmp);
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            return load_or_create_host_key(path);
        }
        return Err(e).with_context(|| format!("installing host key {}", path.display()));
    }
    let _ = fs::remove_file(&tmp);

    // Only informative (operators compare fingerprints with it); the server
    // does not need it.
    if let Ok(public) = key.public_key().to_openssh() {
        let _ = fs::write(with_suffix(path, ".pub"), format!("{public}\n"));
    }
    let fingerprint = fingerprint(&key);
    tracing::info!(path = %path.display(), %fingerprint, "created ssh host key");
    Ok(key)
}

fn with_suffix(path: &Path, suffix: &str) -> std::path::PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    s.into()
}

/// A private key readable by others is a key others may have copied;
/// narrow it back rather than refuse to start.
fn tighten_mode(path: &Path) -> anyhow::Result<()> {
    let meta = fs::metadata(path)?;
    if meta.permissions().mode() & 0o077 != 0 {
        tracing::warn!(path = %path.display(), "host key readable by others; now mode 0600");
        fs::set_permissions(path, fs::Permissions::from_mode(0o600))
            .with_context(|| format!("chmod 0600 {}", path.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_once_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/ssh_host_ed25519_key");
        let a = load_or_create_host_key(&path).unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let b = load_or_create_host_key(&path).unwrap();
        assert_eq!(fingerprint(&a), fingerprint(&b));
        assert!(fingerprint(&a).starts_with("SHA256:"));
        let public = fs::read_to_string(with_suffix(&path, ".pub")).unwrap();
        assert!(public.starts_with("ssh-ed25519 "), "{public}");
        let leftovers: Vec<_> = fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(leftovers.len(), 2);
    }

    #[test]
    fn loose_mode_is_tightened_and_garbage_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        load_or_create_host_key(&path).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        load_or_create_host_key(&path).unwrap();
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        fs::write(&path, "not a key").unwrap();
        assert!(load_or_create_host_key(&path).is_err());
    }
}
