//! The package server's certificate: the operator's (`--tls-cert` and
//! `--tls-key`, PEM), or a self-signed one made on first start and kept in
//! the store (`.tls/`, hidden from the listings), so that it stays the same
//! across restarts and clients can pin it.

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{CertificateParams, DnType, KeyPair};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest, Sha256};

use super::ServeError;

/// Where the certificate comes from.
#[derive(Debug, Clone, Default)]
pub struct TlsFiles {
    /// PEM certificate chain (server certificate first); with `key`.
    pub cert: Option<PathBuf>,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1); with `cert`.
    pub key: Option<PathBuf>,
    /// Extra DNS names or IP addresses for a self-signed certificate made
    /// now (besides localhost, 127.0.0.1, ::1 and the host name). A kept
    /// certificate is not remade for new names: delete `<store>/.tls/`.
    pub extra_names: Vec<String>,
}

/// What the server presents, for its start-up message.
#[derive(Debug, Clone)]
pub struct TlsInfo {
    pub cert_path: PathBuf,
    /// Self-signed and kept in the store.
    pub self_signed: bool,
    /// Made by this start (first start on this store).
    pub generated: bool,
    /// SHA-256 of the certificate, `AB:CD:...` as `openssl x509 -fingerprint -sha256` prints it.
    pub sha256_fingerprint: String,
}

/// `<store>/.tls/cert.pem` and `<store>/.tls/key.pem`.
pub(super) fn self_signed_paths(store: &Path) -> (PathBuf, PathBuf) {
    let d = store.join(".tls");
    (d.join("cert.pem"), d.join("key.pem"))
}

fn tls_err(path: &Path, e: impl std::fmt::Display) -> ServeError {
    ServeError::Tls(format!("{}: {e}", path.display()))
}

fn host_name() -> Option<String> {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

fn write_file(path: &Path, text: &str, mode: u32) -> std::io::Result<()> {
    let tmp = path.with_extension("pem.tmp");
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(&tmp)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

fn generate(cert_path: &Path, key_path: &Path, extra: &[String]) -> Result<(), ServeError> {
    let mut names = vec![
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        "::1".to_string(),
    ];
    names.extend(host_name());
    names.extend(extra.iter().cloned());
    names.dedup();
    let gen_err =
        |e: rcgen::Error| ServeError::Tls(format!("making a self-signed certificate: {e}"));
    let mut params = CertificateParams::new(names).map_err(gen_err)?;
    params
        .distinguished_name
        .push(DnType::CommonName, "kubetac package server");
    let key = KeyPair::generate().map_err(gen_err)?;
    let cert = params.self_signed(&key).map_err(gen_err)?;
    if let Some(dir) = cert_path.parent() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| tls_err(dir, e))?;
    }
    // Key first: a certificate on disk always has its key beside it.
    write_file(key_path, &key.serialize_pem(), 0o600).map_err(|e| tls_err(key_path, e))?;
    write_file(cert_path, &cert.pem(), 0o644).map_err(|e| tls_err(cert_path, e))?;
    Ok(())
}

pub(super) fn load_or_create(
    store: &Path,
    t: &TlsFiles,
) -> Result<(Arc<rustls::ServerConfig>, TlsInfo), ServeError> {
    let (cert_path, key_path, self_signed, generated) = match (&t.cert, &t.key) {
        (Some(c), Some(k)) => (c.clone(), k.clone(), false, false),
        (None, None) => {
            let (c, k) = self_signed_paths(store);
            let generated = !(c.is_file() && k.is_file());
            if generated {
                generate(&c, &k, &t.extra_names)?;
            }
            (c, k, true, generated)
        }
        _ => {
            return Err(ServeError::Tls(
                "--tls-cert and --tls-key go together".into(),
            ));
        }
    };
    let certs = CertificateDer::pem_file_iter(&cert_path)
        .map_err(|e| tls_err(&cert_path, e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| tls_err(&cert_path, e))?;
    let Some(first) = certs.first() else {
        return Err(tls_err(&cert_path, "no certificate in the file"));
    };
    let fingerprint = Sha256::digest(first.as_ref())
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":");
    let key = PrivateKeyDer::from_pem_file(&key_path).map_err(|e| tls_err(&key_path, e))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ServeError::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| tls_err(&cert_path, e))?;
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok((
        Arc::new(cfg),
        TlsInfo {
            cert_path,
            self_signed,
            generated,
            sha256_fingerprint: fingerprint,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn self_signed_is_made_once_and_kept() {
        let d = tempfile::tempdir().unwrap();
        let (_, a) = load_or_create(d.path(), &TlsFiles::default()).unwrap();
        assert!(a.generated && a.self_signed);
        let (c, k) = self_signed_paths(d.path());
        assert_eq!(a.cert_path, c);
        assert_eq!(
            std::fs::metadata(&k).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(
            std::fs::metadata(c.parent().unwrap())
                .unwrap()
                .permissions()
                .mode()
                & 0o777,
            0o700
        );
        let (_, b) = load_or_create(d.path(), &TlsFiles::default()).unwrap();
        assert!(!b.generated);
        assert_eq!(a.sha256_fingerprint, b.sha256_fingerprint);
        assert_eq!(a.sha256_fingerprint.len(), 32 * 3 - 1);

        // The same files given explicitly.
        let (_, e) = load_or_create(
            tempfile::tempdir().unwrap().path(),
            &TlsFiles {
                cert: Some(c.clone()),
                key: Some(k),
                extra_names: vec![],
            },
        )
        .unwrap();
        assert!(!e.self_signed);
        assert_eq!(e.sha256_fingerprint, a.sha256_fingerprint);
        assert!(
            load_or_create(
                d.path(),
                &TlsFiles {
                    cert: Some(c),
                    key: None,
                    extra_names: vec![]
                }
            )
            .is_err()
        );
    }
}
