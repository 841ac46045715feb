//! The package server: the guide's `show-tac-manager`, an HTTPS server over
//! the package store, so that
//!
//! ```text
//! wget -r -np https://HOST/tac/<id>/ --no-check-certificate --http-user=U --http-password=P
//! ```
//!
//! mirrors a package. What it serves:
//!
//! - `GET /tac/` — HTML listing of the complete packages, each with a link
//!   to its directory and to `<id>.tar.gz`;
//! - `GET /tac/<id>/...` — HTML listings of a package's directories whose
//!   links are relative and only point down (so `wget -np` takes exactly the
//!   package), and its files with Content-Length, Content-Type, ETag,
//!   Last-Modified and single Range requests (206, 416). A directory named
//!   without its trailing slash is redirected to it (301);
//! - `GET /tac/<id>.tar.gz` — the whole package as one gzipped tar (entries
//!   `<id>/...`), streamed as it is made: nothing is written to disk and
//!   memory stays bounded;
//! - `GET /healthz` — `ok`, without credentials (for probes);
//! - `GET /metrics` — Prometheus text: requests by path class and status,
//!   bytes sent, wrong credentials, lock-out refusals, packages in the store
//!   and the store's free space. Without credentials, like most scrape
//!   targets: it holds counts only, no user, package or file name.
//!
//! Everything under `/tac` needs HTTP Basic credentials from the users file
//! (see [`super::users`]): without them, or with wrong ones, the answer is
//! 401 with `WWW-Authenticate: Basic realm="kubetac"` (which is what makes
//! wget send `--http-user`/`--http-password`); wrong ones also go through
//! the [`LoginGuard`] shared with the SSH server (a growing delay, and 429
//! with `Retry-After` while the user and address are locked out).
//!
//! Nothing outside the complete packages is reachable: each path segment is
//! percent-decoded on its own and refused when it is `.` or `..`, holds a
//! `/`, `\`, NUL or control character, or starts with a dot (the store's
//! `.create.lock`, `.active.json`, `.tls/`); the first one must be a package
//! id, which `<id>.partial` is not; symlinks are never followed (not even
//! ones that stay inside), and a file is served only if what was opened is
//! what was checked.
//!
//! TLS uses `--tls-cert`/`--tls-key` when given; otherwise a self-signed
//! certificate made once and kept in the store, `<store>/.tls/cert.pem` and
//! `<store>/.tls/key.pem` (0600), so clients can pin it across restarts.

mod archive;
mod files;
mod tls;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;
use sha2::{Digest, Sha256};

use super::users::{LoginGuard, UsersFile};
pub use tls::{TlsFiles, TlsInfo};

/// What the package server serves and who may read it.
#[derive(Debug, Clone)]
pub struct PackageServerConfig {
    /// The package store (`--store`, `KUBETAC_STORE`).
    pub store: PathBuf,
    pub users: Arc<UsersFile>,
    /// Shared with the SSH server, so guesses on one count on the other.
    pub guard: Arc<LoginGuard>,
    /// `<id>.tar.gz` downloads made at once (each takes a thread and a CPU
    /// for gzip); more are answered 503 with `Retry-After`.
    pub max_archives: usize,
}

impl PackageServerConfig {
    pub fn new(store: PathBuf, users: Arc<UsersFile>, guard: Arc<LoginGuard>) -> Self {
        PackageServerConfig {
            store,
            users,
            guard,
            max_archives: 4,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("TLS: {0}")]
    Tls(String),
    #[error("listening on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

/// A package server running in the background (see [`serve`]). Dropping
/// it stops the server: no new connections, running downloads get
/// [`SHUTDOWN_GRACE`] to finish.
pub struct PackageServer {
    /// The bound address (the real port when port 0 was asked for).
    pub addr: SocketAddr,
    /// The certificate presented, for the start-up message (clients pin
    /// its fingerprint).
    pub tls: TlsInfo,
    handle: axum_server::Handle<SocketAddr>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

impl PackageServer {
    /// Runs until the server fails (it does not stop on its own).
    pub async fn wait(mut self) -> std::io::Result<()> {
        match self.task.take() {
            Some(t) => t.await.unwrap_or_else(|e| Err(std::io::Error::other(e))),
            None => Ok(()),
        }
    }
}

impl Drop for PackageServer {
    fn drop(&mut self) {
        self.handle.graceful_shutdown(Some(SHUTDOWN_GRACE));
    }
}

/// Binds `addr` (so a port-0 caller learns the real port before anything
/// is served), sets up TLS (see [`TlsFiles`]) and serves [`app`] in a
/// background task. Needs a Tokio runtime.
pub async fn serve(
    cfg: PackageServerConfig,
    addr: SocketAddr,
    tls: &TlsFiles,
) -> Result<PackageServer, ServeError> {
    let (server_config, info) = tls::load_or_create(&cfg.store, tls)?;
    let bind = |source| ServeError::Bind { addr, source };
    let listener = std::net::TcpListener::bind(addr).map_err(bind)?;
    listener.set_nonblocking(true).map_err(bind)?;
    let local = listener.local_addr().map_err(bind)?;
    let handle = axum_server::Handle::new();
    let server = axum_server::from_tcp_rustls(
        listener,
        axum_server::tls_rustls::RustlsConfig::from_config(server_config),
    )
    .map_err(bind)?
    .handle(handle.clone());
    let server_store = cfg.store.clone();
    let app = app(cfg);
    let task = tokio::spawn(async move {
        server
            .serve(app.into_make_service_with_connect_info::<SocketAddr>())
            .await
    });
    let server = PackageServer {
        addr: local,
        tls: info,
        handle,
        task: Some(task),
    };
    let t = &server.tls;
    tracing::info!(
        "package server on https://{local}/tac/, store {}, certificate {} ({}{}, SHA-256 {})",
        server_store.display(),
        t.cert_path.display(),
        if t.self_signed {
            "self-signed"
        } else {
            "given"
        },
        if t.generated { ", made now" } else { "" },
        t.sha256_fingerprint
    );
    Ok(server)
}

/// The server's routes, for [`serve`] or for tests without TLS. The peer
/// address (for the login guard) comes from `ConnectInfo<SocketAddr>` when
/// the service is made with `into_make_service_with_connect_info`.
pub fn app(cfg: PackageServerConfig) -> Router {
    let shared = Arc::new(Shared {
        archives: Arc::new(tokio::sync::Semaphore::new(cfg.max_archives.max(1))),
        cfg,
        metrics: Metrics::default(),
        creds: CredCache::default(),
    });
    let tac = Router::new()
        .route("/tac", get(tac))
        .route("/tac/", get(tac))
        .route("/tac/{*rest}", get(tac))
        .layer(axum::middleware::from_fn_with_state(shared.clone(), auth));
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(metrics))
        .merge(tac)
        .fallback(|| async { plain(StatusCode::NOT_FOUND, "not found") })
        .layer(axum::middleware::from_fn_with_state(shared.clone(), count))
        .with_state(shared)
}

struct Shared {
    cfg: PackageServerConfig,
    metrics: Metrics,
    creds: CredCache,
    archives: Arc<tokio::sync::Semaphore>,
}

fn plain(code: StatusCode, msg: impl Into<String>) -> Response {
    let mut body = msg.into();
    body.push('\n');
    (
        code,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body,
    )
        .into_response()
}

/// A 401 that makes clients (wget, curl --anyauth, browsers) send credentials.
fn challenge(msg: &str) -> Response {
    let mut r = plain(StatusCode::UNAUTHORIZED, msg);
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"kubetac\", charset=\"UTF-8\""),
    );
    r
}

fn basic_credentials(h: &HeaderMap) -> Option<(String, String)> {
    let v = h.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, b64) = v.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()?;
    let s = String::from_utf8(raw).ok()?;
    let (u, p) = s.split_once(':')?;
    Some((u.to_string(), p.to_string()))
}

fn peer_ip(req: &Request) -> IpAddr {
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

async fn auth(State(s): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let Some((user, password)) = basic_credentials(req.headers()) else {
        return challenge(
            "401 Unauthorized: this server needs a user and password (kubetac user add NAME)",
        );
    };
    let ip = peer_ip(&req);
    if let Err(locked) = s.cfg.guard.check(&user, ip) {
        s.metrics.lockouts.fetch_add(1, Ordering::Relaxed);
        let mut r = plain(StatusCode::TOO_MANY_REQUESTS, locked.to_string());
        r.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from(locked.retry_after.as_secs().max(1)),
        );
        return r;
    }
    let generation = s.cfg.users.current().1;
    let ok = if s.creds.hit(&user, &password, generation) {
        true
    } else {
        let ok = s.cfg.users.verify_async(&user, &password).await;
        if ok {
            s.creds.put(&user, &password, generation);
        }
        ok
    };
    if !ok {
        s.metrics.auth_failures.fetch_add(1, Ordering::Relaxed);
        tracing::info!("package server: wrong credentials for {user:?} from {ip}");
        let delay = s.cfg.guard.failed(&user, ip);
        tokio::time::sleep(delay).await;
        return challenge("401 Unauthorized: wrong user name or password");
    }
    s.cfg.guard.succeeded(&user, ip);
    next.run(req).await
}

/// What a request was for, for the metrics (a small fixed set, so the
/// number of series stays bounded whatever clients ask).
fn path_class(path: &str) -> &'static str {
    match path {
        "/healthz" => "healthz",
        "/metrics" => "metrics",
        _ => match path.strip_prefix("/tac") {
            Some("" | "/") => "listing",
            Some(rest) if rest.starts_with('/') => {
                if rest.ends_with('/') {
                    "listing"
                } else if rest[1..].ends_with(".tar.gz") && !rest[1..].contains('/') {
                    "archive"
                } else {
                    "file"
                }
            }
            _ => "other",
        },
    }
}

async fn count(State(s): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let class = path_class(req.uri().path());
    let resp = next.run(req).await;
    s.metrics.request(class, resp.status().as_u16());
    resp
}

#[derive(Default)]
struct Metrics {
    requests: Mutex<BTreeMap<(&'static str, u16), u64>>,
    bytes: Arc<AtomicU64>,
    auth_failures: AtomicU64,
    lockouts: AtomicU64,
}

impl Metrics {
    fn request(&self, class: &'static str, code: u16) {
        let mut m = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        *m.entry((class, code)).or_default() += 1;
    }
}

async fn metrics(State(s): State<Arc<Shared>>) -> Response {
    let store = s.cfg.store.clone();
    let (complete, partial, free) = tokio::task::spawn_blocking(move || {
        let (mut complete, mut partial) = (0u64, 0u64);
        if let Ok(rd) = std::fs::read_dir(&store) {
            for e in rd.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if !e.file_type().is_ok_and(|t| t.is_dir()) {
                    continue;
                }
                match name.strip_suffix(crate::debugpkg::store::PARTIAL) {
                    Some(id) if crate::debugpkg::store::valid_id(id) => partial += 1,
                    None if crate::debugpkg::store::valid_id(&name) => complete += 1,
                    _ => {}
                }
            }
        }
        let free = crate::debugpkg::store::Store {
            root: store.clone(),
        }
        .free_percent()
        .ok();
        (complete, partial, free)
    })
    .await
    .unwrap_or((0, 0, None));

    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# HELP kubetac_http_requests_total HTTP requests answered, by path class and status code.\n# TYPE kubetac_http_requests_total counter"
    );
    for ((class, code), n) in s
        .metrics
        .requests
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
    {
        let _ = writeln!(
            out,
            "kubetac_http_requests_total{{class=\"{class}\",code=\"{code}\"}} {n}"
        );
    }
    let counters = [
        (
            "kubetac_http_response_bytes_total",
            "Bytes of files, listings and archives sent.",
            s.metrics.bytes.load(Ordering::Relaxed),
        ),
        (
            "kubetac_http_auth_failures_total",
            "Requests with a wrong user name or password.",
            s.metrics.auth_failures.load(Ordering::Relaxed),
        ),
        (
            "kubetac_http_auth_lockouts_total",
            "Requests refused because their user and address were locked out.",
            s.metrics.lockouts.load(Ordering::Relaxed),
        ),
    ];
    for (name, help, v) in counters {
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}"
        );
    }
    let _ = writeln!(
        out,
        "# HELP kubetac_packages Packages in the store, by state.\n# TYPE kubetac_packages gauge\nkubetac_packages{{state=\"complete\"}} {complete}\nkubetac_packages{{state=\"partial\"}} {partial}"
    );
    if let Some(f) = free {
        let _ = writeln!(
            out,
            "# HELP kubetac_store_free_percent Free space of the store's filesystem, in percent.\n# TYPE kubetac_store_free_percent gauge\nkubetac_store_free_percent {f:.2}"
        );
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
        .into_response()
}

async fn tac(State(s): State<Arc<Shared>>, req: Request) -> Response {
    let path = req.uri().path().to_string();
    let target = files::resolve(&s.cfg.store, &path);
    match target {
        files::Resolved::Redirect(to) => {
            let mut r = plain(StatusCode::MOVED_PERMANENTLY, format!("see {to}"));
            if let Ok(v) = HeaderValue::from_str(&to) {
                r.headers_mut().insert(header::LOCATION, v);
            }
            r
        }
        files::Resolved::Bad(why) => plain(StatusCode::BAD_REQUEST, why),
        files::Resolved::NotFound => plain(StatusCode::NOT_FOUND, "not found"),
        files::Resolved::Root => files::root_listing(&s.cfg.store, &s.metrics.bytes).await,
        files::Resolved::Dir { url, dir } => files::listing(&url, &dir, &s.metrics.bytes).await,
        files::Resolved::File { path, meta } => {
            files::file(&path, &meta, req.headers(), s.metrics.bytes.clone()).await
        }
        files::Resolved::Archive { id, dir } => {
            let Ok(permit) = s.archives.clone().try_acquire_owned() else {
                let mut r = plain(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "too many archive downloads at once; retry, or mirror the directory with wget -r",
                );
                r.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("10"));
                return r;
            };
            archive::response(id, dir, s.metrics.bytes.clone(), permit)
        }
    }
}

/// Credentials that passed Argon2 recently, so a `wget -r` of a package (one
/// request a file) does not pay tens of milliseconds of hashing per file.
/// Kept as a keyed SHA-256 (the key is random per process, never stored),
/// for five minutes, and dropped whenever the users file changes.
struct CredCache {
    key: [u8; 32],
    map: Mutex<HashMap<String, Verified>>,
}

/// Keyed digest of the credentials, users-file generation, when.
type Verified = ([u8; 32], u64, Instant);

const CRED_TTL: Duration = Duration::from_secs(300);

impl Default for CredCache {
    fn default() -> Self {
        CredCache {
            key: rand::random(),
            map: Mutex::new(HashMap::new()),
        }
    }
}

impl CredCache {
    fn digest(&self, user: &str, password: &str) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(self.key);
        h.update(user.as_bytes());
        h.update([0]);
        h.update(password.as_bytes());
        h.finalize().into()
    }

    fn hit(&self, user: &str, password: &str, generation: u64) -> bool {
        let d = self.digest(user, password);
        let map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        let Some((cached, g, at)) = map.get(user) else {
            return false;
        };
        let same = cached
            .iter()
            .zip(d.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
        same && *g == generation && at.elapsed() < CRED_TTL
    }

    fn put(&self, user: &str, password: &str, generation: u64) {
        let d = self.digest(user, password);
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        // Only names from the users file get here, so the map stays small;
        // expired entries are dropped anyway.
        map.retain(|_, (_, g, at)| *g == generation && at.elapsed() < CRED_TTL);
        map.insert(user.to_string(), (d, generation, Instant::now()));
    }
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn classes() {
        assert_eq!(path_class("/healthz"), "healthz");
        assert_eq!(path_class("/tac"), "listing");
        assert_eq!(path_class("/tac/"), "listing");
        assert_eq!(path_class("/tac/1/"), "listing");
        assert_eq!(path_class("/tac/1.tar.gz"), "archive");
        assert_eq!(path_class("/tac/1/logs/a.tar.gz"), "file");
        assert_eq!(path_class("/etc/passwd"), "other");
        assert_eq!(path_class("/tacx"), "other");
    }

    #[test]
    fn basic_header() {
        let mut h = HeaderMap::new();
        assert!(basic_credentials(&h).is_none());
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Basic YWRtaW46cGE6c3M="),
        );
        assert_eq!(
            basic_credentials(&h),
            Some(("admin".into(), "pa:ss".into()))
        );
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer x"));
        assert!(basic_credentials(&h).is_none());
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic !!!"));
        assert!(basic_credentials(&h).is_none());
    }

    #[test]
    fn cred_cache() {
        let c = CredCache::default();
        assert!(!c.hit("admin", "pw", 0));
        c.put("admin", "pw", 0);
        assert!(c.hit("admin", "pw", 0));
        assert!(!c.hit("admin", "pw2", 0));
        assert!(!c.hit("admin", "pw", 1));
        assert!(!c.hit("oper", "pw", 0));
    }
}
