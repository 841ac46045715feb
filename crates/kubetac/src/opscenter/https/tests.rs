//! The package server against real clients: the server runs in the test
//! process on 127.0.0.1:0 with TLS, and the real `wget` and `curl` talk to
//! it. The store is built by hand: a complete package with a manifest whose
//! checksums are right, nested directories and awkward names, plus what must
//! never be served — an interrupted `.partial` package, the store's
//! dotfiles, symlinks pointing out of the store, a symlinked "package", and
//! a secret file outside the store.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::*;
use crate::opscenter::users::{GuardConfig, LoginGuard, UsersFile, add_user};

const ID: &str = "1591662529";
const PARTIAL_ID: &str = "1591662600";
const LINKED_ID: &str = "1591662700";
const USER: &str = "admin";
const PASSWORD: &str = "s3cret-pa55";

struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
    store: PathBuf,
    secret: String,
    server: Option<PackageServer>,
    port: u16,
}

impl Fixture {
    fn url(&self, path: &str) -> String {
        format!("https://127.0.0.1:{}{path}", self.port)
    }

    fn pkg(&self) -> PathBuf {
        self.store.join(ID)
    }
}

fn sha256_hex(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

/// Deterministic bytes that do not compress to nothing.
fn noise(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn write(p: &Path, b: &[u8]) {
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, b).unwrap();
}

/// The package's regular files by relative path (what the manifest lists,
/// plus the manifest itself), never following symlinks or taking dotfiles.
fn package_files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![(dir.to_path_buf(), String::new())];
    while let Some((d, rel)) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let name = e.file_name().into_string().unwrap();
            if name.starts_with('.') {
                continue;
            }
            let t = e.file_type().unwrap();
            let r = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            if t.is_dir() {
                stack.push((e.path(), r));
            } else if t.is_file() {
                out.insert(r, std::fs::read(e.path()).unwrap());
            }
        }
    }
    out
}

fn build_store(root: &Path, secret: &str) -> PathBuf {
    let store = root.join("store");
    let outside = root.join("outside");
    write(&outside.join("secret.txt"), secret.as_bytes());
    let pkg = store.join(ID);
    let files: Vec<(&str, Vec<u8>)> = vec![
        (
            "web/index.html",
            b"<!DOCTYPE html><html><body><h1>tac-debug pkg 1591662529</h1>\
<a href=\"../manifest.json\">manifest</a> <a href=\"/tac/\">all packages</a> \
<a href=\"../../1591662600.partial/manifest.json\">partial</a></body></html>\n"
                .to_vec(),
        ),
        (
            "cores/smf-node-1/core.smf-service.1000.0123abcd.4242.1591660800000000.zst",
            noise(300_000, 1),
        ),
        (
            "cores/cores.json",
            b"[{\"node\":\"smf-node-1\"}]\n".to_vec(),
        ),
        (
            "logs/smf-node-1/smf-node-1_Logs_2020-06-08_14-00-00_2020-06-08_15-00-00.tar.gz",
            noise(150_000, 2),
        ),
        (
            "logs/smf-node-2/smf-node-2_Logs_2020-06-08_14-00-00_2020-06-08_15-00-00.tar.gz",
            noise(70_001, 3),
        ),
        (
            "metrics/Metrics_2020-06-08_14-00-00_2020-06-08_15-00-00.tar.gz",
            noise(4096, 4),
        ),
        (
            "stats/Stats_2020-06-08_14-00-00_2020-06-08_15-00-00.tar.gz",
            noise(1, 5),
        ),
        ("config/brusmi_configuration.tar.gz", noise(9999, 6)),
        (
            "notes/a note with spaces & 100%.txt",
            b"odd names too\n".to_vec(),
        ),
        ("notes/empty.txt", Vec::new()),
        ("notes/deep/er/still/file.json", b"{}\n".to_vec()),
    ];
    let mut records = Vec::new();
    for (rel, b) in &files {
        write(&pkg.join(rel), b);
        records.push(serde_json::json!({"path": rel, "bytes": b.len(), "sha256": sha256_hex(b)}));
    }
    let manifest = serde_json::json!({
        "id": ID,
        "command": "tac-debug-pkg create from 2020-06-08_14:00:00 to 2020-06-08_15:00:00",
        "files": records,
    });
    write(
        &pkg.join("manifest.json"),
        &serde_json::to_vec_pretty(&manifest).unwrap(),
    );
    // Never served: dotfiles, symlinks out of the store and inside it.
    write(&pkg.join(".hidden"), secret.as_bytes());
    std::os::unix::fs::symlink(&outside, pkg.join("escape")).unwrap();
    std::os::unix::fs::symlink(outside.join("secret.txt"), pkg.join("secret.txt")).unwrap();
    std::os::unix::fs::symlink("..", pkg.join("web/again")).unwrap();
    write(
        &store.join(format!("{PARTIAL_ID}.partial/manifest.json")),
        secret.as_bytes(),
    );
    std::os::unix::fs::symlink(&outside, store.join(LINKED_ID)).unwrap();
    write(&store.join(".create.lock"), b"");
    write(&store.join(".active.json"), secret.as_bytes());
    store
}

async fn start(guard: GuardConfig) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let secret = format!("TOP-SECRET-{}", hex::encode(rand::random::<[u8; 8]>()));
    let store = build_store(&root, &secret);
    let users_path = root.join("users");
    add_user(&users_path, USER, PASSWORD).unwrap();
    add_user(&users_path, "oper", "another-password").unwrap();
    let cfg = PackageServerConfig::new(
        store.clone(),
        Arc::new(UsersFile::open(&users_path).unwrap()),
        Arc::new(LoginGuard::new(guard)),
    );
    let server = serve(cfg, "127.0.0.1:0".parse().unwrap(), &TlsFiles::default())
        .await
        .unwrap();
    assert!(server.tls.generated && server.tls.self_signed);
    Fixture {
        _dir: dir,
        root,
        store,
        secret,
        port: server.addr.port(),
        server: Some(server),
    }
}

fn fast_guard() -> GuardConfig {
    GuardConfig {
        max_failures: 5,
        lockout: Duration::from_secs(60),
        first_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(40),
        max_entries: 100,
    }
}

async fn run(mut cmd: Command) -> Output {
    for v in [
        "http_proxy",
        "https_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "all_proxy",
        "ALL_PROXY",
    ] {
        cmd.env_remove(v);
    }
    tokio::task::spawn_blocking(move || cmd.output().expect("run client"))
        .await
        .unwrap()
}

struct CurlOut {
    code: u16,
    headers: String,
    body: Vec<u8>,
}

/// `curl -k` with `args`; the status, response headers and body.
async fn curl(fx: &Fixture, args: &[&str]) -> CurlOut {
    let tmp = tempfile::tempdir().unwrap();
    let (h, b) = (tmp.path().join("h"), tmp.path().join("b"));
    let mut c = Command::new("curl");
    c.args(["-s", "-k", "--path-as-is", "--max-time", "30", "-D"])
        .arg(&h)
        .arg("-o")
        .arg(&b)
        .args(["-w", "%{http_code}"])
        .args(args);
    let out = run(c).await;
    let code = String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(0);
    let _ = fx;
    CurlOut {
        code,
        headers: std::fs::read_to_string(&h)
            .unwrap_or_default()
            .to_ascii_lowercase(),
        body: std::fs::read(&b).unwrap_or_default(),
    }
}

fn creds() -> String {
    format!("{USER}:{PASSWORD}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wget_mirrors_a_package_exactly() {
    let fx = start(fast_guard()).await;
    let out_dir = fx.root.join("mirror");
    let mut c = Command::new("wget");
    // The guide's command, as an operator types it.
    c.args(["-r", "-np", "--no-config", "-q", "-P"])
        .arg(&out_dir)
        .arg(fx.url(&format!("/tac/{ID}/")))
        .args([
            "--no-check-certificate",
            &format!("--http-user={USER}"),
            &format!("--http-password={PASSWORD}"),
        ]);
    let out = run(c).await;
    assert!(
        out.status.success(),
        "wget failed: {:?}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let host_dir = out_dir.join(format!("127.0.0.1:{}", fx.port));
    // Nothing but the package (no listing of /tac/, no other package).
    let top: Vec<_> = std::fs::read_dir(host_dir.join("tac"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(top, [ID], "wget went outside the package");
    let got = package_files(&host_dir.join("tac").join(ID));
    let manifest: serde_json::Value =
        serde_json::from_slice(&got["manifest.json"]).expect("mirrored manifest.json");
    let listed = manifest["files"].as_array().unwrap();
    assert!(listed.len() >= 10);
    for f in listed {
        let path = f["path"].as_str().unwrap();
        let b = got
            .get(path)
            .unwrap_or_else(|| panic!("{path} not mirrored; got {:?}", got.keys()));
        assert_eq!(b.len() as u64, f["bytes"].as_u64().unwrap(), "{path}");
        assert_eq!(sha256_hex(b), f["sha256"].as_str().unwrap(), "{path}");
    }
    // Besides the manifest's files there are only the listings wget saved
    // as index.html, one per directory.
    let expected: std::collections::BTreeSet<String> = listed
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .chain(["manifest.json".to_string()])
        .collect();
    for (path, b) in &got {
        if !expected.contains(path) {
            assert!(
                path == "index.html" || path.ends_with("/index.html"),
                "unexpected file {path}"
            );
            assert!(
                String::from_utf8_lossy(b).contains("Index of /tac/"),
                "{path}"
            );
        }
    }
    // web/index.html is the package's own report, not a listing of web/.
    assert!(String::from_utf8_lossy(&got["web/index.html"]).contains("<h1>tac-debug pkg"));
    for (path, b) in &got {
        assert!(
            !String::from_utf8_lossy(b).contains(&fx.secret),
            "secret leaked into {path}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_are_required() {
    let fx = start(fast_guard()).await;
    let url = fx.url(&format!("/tac/{ID}/manifest.json"));
    let r = curl(&fx, &[&url]).await;
    assert_eq!(r.code, 401);
    assert!(
        r.headers
            .contains("www-authenticate: basic realm=\"kubetac\""),
        "{}",
        r.headers
    );
    let r = curl(&fx, &["-u", &format!("{USER}:wrong-password"), &url]).await;
    assert_eq!(r.code, 401);
    assert!(!String::from_utf8_lossy(&r.body).contains("\"files\""));
    let r = curl(&fx, &["-u", "nobody:whatever-pw", &url]).await;
    assert_eq!(r.code, 401);
    let r = curl(&fx, &["-u", &creds(), &url]).await;
    assert_eq!(r.code, 200);
    assert!(
        r.headers.contains("content-type: application/json"),
        "{}",
        r.headers
    );
    // Every package URL, listings and archives too.
    for p in [
        "/tac/",
        &format!("/tac/{ID}/"),
        &format!("/tac/{ID}.tar.gz"),
    ] {
        assert_eq!(curl(&fx, &[&fx.url(p)]).await.code, 401, "{p}");
    }
    // wget without credentials gives up with its "authentication failed" status (6).
    let mut c = Command::new("wget");
    c.args([
        "--no-config",
        "-q",
        "--no-check-certificate",
        "-O",
        "/dev/null",
    ])
    .arg(&url);
    assert_eq!(run(c).await.status.code(), Some(6));
    let mut c = Command::new("wget");
    c.args([
        "--no-config",
        "-q",
        "--no-check-certificate",
        "-O",
        "/dev/null",
    ])
    .arg(format!("--http-user={USER}"))
    .arg("--http-password=not-it-at-all")
    .arg(&url);
    assert_eq!(run(c).await.status.code(), Some(6));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_failures_lock_out() {
    let fx = start(fast_guard()).await;
    let url = fx.url(&format!("/tac/{ID}/"));
    let t = std::time::Instant::now();
    for _ in 0..5 {
        let r = curl(&fx, &["-u", "oper:guess-guess", &url]).await;
        assert_eq!(r.code, 401);
    }
    // 10 + 20 + 40 + 40 + 40 ms of delay on top of the hashing.
    assert!(t.elapsed() >= Duration::from_millis(150));
    // Locked: even the right password is refused now, with a Retry-After.
    let r = curl(&fx, &["-u", "oper:another-password", &url]).await;
    assert_eq!(r.code, 429);
    assert!(r.headers.contains("retry-after:"), "{}", r.headers);
    assert!(String::from_utf8_lossy(&r.body).contains("locked until"));
    // Another user from the same address is not.
    assert_eq!(curl(&fx, &["-u", &creds(), &url]).await.code, 200);
    let m = String::from_utf8(curl(&fx, &[&fx.url("/metrics")]).await.body).unwrap();
    assert!(m.contains("kubetac_http_auth_failures_total 5\n"), "{m}");
    assert!(m.contains("kubetac_http_auth_lockouts_total 1\n"), "{m}");
}

/// Request targets that try to leave the complete packages. Each is sent
/// exactly as written (`curl --request-target`), with valid credentials.
fn traversal_targets() -> Vec<String> {
    let t = [
        "/tac/../outside/secret.txt",
        "/tac/..",
        "/tac/../",
        "/tac/%2e%2e/outside/secret.txt",
        "/tac/%2E%2E/%2E%2E/outside/secret.txt",
        "/tac/.%2e/outside/secret.txt",
        "/tac/%2e./outside/secret.txt",
        "/tac/{ID}/../../outside/secret.txt",
        "/tac/{ID}/%2e%2e/%2e%2e/outside/secret.txt",
        "/tac/{ID}%2f..%2f..%2foutside%2fsecret.txt",
        "/tac/{ID}/..%2f..%2foutside%2fsecret.txt",
        "/tac/{ID}/%2e%2e%2f%2e%2e%2foutside%2fsecret.txt",
        "/tac/%2fetc%2fpasswd",
        "/tac//etc/passwd",
        "/tac/{ID}//etc/passwd",
        "/tac/{ID}/..\\..\\outside\\secret.txt",
        "/tac/{ID}/..%5c..%5coutside%5csecret.txt",
        "/tac/{ID}/%5c..%5c..%5coutside%5csecret.txt",
        "/tac/{ID}/escape/secret.txt",
        "/tac/{ID}/escape/",
        "/tac/{ID}/escape",
        "/tac/{ID}/secret.txt",
        "/tac/{ID}/web/again/manifest.json",
        "/tac/{ID}/web/again/",
        "/tac/{LINKED}/",
        "/tac/{LINKED}/secret.txt",
        "/tac/{LINKED}.tar.gz",
        "/tac/{PARTIAL}.partial/",
        "/tac/{PARTIAL}.partial/manifest.json",
        "/tac/{PARTIAL}%2epartial/manifest.json",
        "/tac/{PARTIAL}/manifest.json",
        "/tac/{PARTIAL}.tar.gz",
        "/tac/.create.lock",
        "/tac/.active.json",
        "/tac/%2eactive.json",
        "/tac/.tls/key.pem",
        "/tac/%2etls/key.pem",
        "/tac/./.tls/key.pem",
        "/tac/{ID}/.hidden",
        "/tac/{ID}/manifest.json%00",
        "/tac/{ID}/manifest.json%00.html",
        "/tac/%00/",
        "/tac/{ID}/web/index.html/../../../outside/secret.txt",
        "/tac/%252e%252e/outside/secret.txt",
        "/tac/{ID}/%c0%ae%c0%ae/%c0%ae%c0%ae/outside/secret.txt",
        "/tac/..;/outside/secret.txt",
        "/tac/{ID}/cores/../../../outside/secret.txt",
        "/tac/{ID}.tar.gz/../../outside/secret.txt",
        "/../outside/secret.txt",
        "https://127.0.0.1/tac/../outside/secret.txt",
    ];
    t.iter()
        .map(|s| {
            s.replace("{ID}", ID)
                .replace("{LINKED}", LINKED_ID)
                .replace("{PARTIAL}", PARTIAL_ID)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn traversal_urls_are_refused() {
    let fx = start(fast_guard()).await;
    let targets = traversal_targets();
    assert_eq!(targets.len(), 50);
    let mut failures = Vec::new();
    for t in &targets {
        // HTTP/1.1 carries any target as sent; over HTTP/2 (curl's choice
        // by default) the h2 layer may reset odd ones before the server
        // sees them (curl then reports no status), which is a refusal too.
        for (proto, reset_ok) in [("--http1.1", false), ("--http2", true)] {
            let r = curl(
                &fx,
                &[proto, "-u", &creds(), "--request-target", t, &fx.url("/")],
            )
            .await;
            let body = String::from_utf8_lossy(&r.body);
            let refused = matches!(r.code, 400 | 403 | 404) || (reset_ok && r.code == 0);
            if !refused || body.contains(&fx.secret) {
                failures.push(format!("{proto} {t} -> {} {body:.80}", r.code));
            }
        }
    }
    assert!(failures.is_empty(), "served:\n{}", failures.join("\n"));
    // The same through wget's recursion from the top: the partial and the
    // symlinked package are not even listed.
    let r = curl(&fx, &["-u", &creds(), &fx.url("/tac/")]).await;
    let listing = String::from_utf8_lossy(&r.body);
    assert_eq!(r.code, 200);
    assert!(listing.contains(&format!("href=\"{ID}/\"")), "{listing}");
    assert!(
        listing.contains(&format!("href=\"{ID}.tar.gz\"")),
        "{listing}"
    );
    assert!(
        !listing.contains(PARTIAL_ID) && !listing.contains(LINKED_ID),
        "{listing}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listings_link_down_only_and_redirect_directories() {
    let fx = start(fast_guard()).await;
    let r = curl(
        &fx,
        &["-u", &creds(), &fx.url(&format!("/tac/{ID}/notes/"))],
    )
    .await;
    assert_eq!(r.code, 200);
    assert!(
        r.headers.contains("content-type: text/html"),
        "{}",
        r.headers
    );
    let html = String::from_utf8(r.body).unwrap();
    let hrefs: Vec<&str> = html
        .split("href=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap())
        .collect();
    assert_eq!(
        hrefs,
        [
            "deep/",
            "a%20note%20with%20spaces%20%26%20100%25.txt",
            "empty.txt"
        ]
    );
    // The odd name comes back through its encoded link.
    let r = curl(
        &fx,
        &[
            "-u",
            &creds(),
            &fx.url(&format!("/tac/{ID}/notes/{}", hrefs[1])),
        ],
    )
    .await;
    assert_eq!((r.code, r.body.as_slice()), (200, &b"odd names too\n"[..]));
    let r = curl(
        &fx,
        &[
            "-u",
            &creds(),
            &fx.url(&format!("/tac/{ID}/notes/empty.txt")),
        ],
    )
    .await;
    assert_eq!((r.code, r.body.len()), (200, 0));
    assert!(r.headers.contains("content-length: 0"), "{}", r.headers);
    // No symlink, dotfile or parent link in the package's own listing.
    let r = curl(&fx, &["-u", &creds(), &fx.url(&format!("/tac/{ID}/"))]).await;
    let html = String::from_utf8(r.body).unwrap();
    for bad in ["escape", "secret", ".hidden", "href=\"..", "href=\"/"] {
        assert!(!html.contains(bad), "{bad} in {html}");
    }
    let r = curl(&fx, &["-u", &creds(), &fx.url(&format!("/tac/{ID}/web"))]).await;
    assert_eq!(r.code, 301);
    assert!(
        r.headers.contains(&format!("location: /tac/{ID}/web/\r\n")),
        "{}",
        r.headers
    );
    let r = curl(&fx, &["-u", &creds(), &fx.url("/tac")]).await;
    assert_eq!(r.code, 301);
    let r = curl(
        &fx,
        &[
            "-u",
            &creds(),
            &fx.url(&format!("/tac/{ID}/web/index.html")),
        ],
    )
    .await;
    assert!(
        r.headers.contains("content-type: text/html"),
        "{}",
        r.headers
    );
    let r = curl(
        &fx,
        &["-u", &creds(), &fx.url(&format!("/tac/{ID}/cores/"))],
    )
    .await;
    assert!(String::from_utf8_lossy(&r.body).contains("href=\"smf-node-1/\""));
    let r = curl(
        &fx,
        &[
            "-u",
            &creds(),
            &fx.url(&format!("/tac/{ID}/logs/smf-node-2/smf-node-2_Logs_2020-06-08_14-00-00_2020-06-08_15-00-00.tar.gz")),
        ],
    )
    .await;
    assert!(
        r.headers.contains("content-type: application/gzip"),
        "{}",
        r.headers
    );
    assert!(r.headers.contains("content-length: 70001"), "{}", r.headers);
    assert!(r.headers.contains("etag: \""), "{}", r.headers);
    assert!(r.headers.contains("last-modified: "), "{}", r.headers);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn archive_equals_the_directory() {
    let fx = start(fast_guard()).await;
    let tgz = fx.root.join("pkg.tar.gz");
    let mut c = Command::new("curl");
    c.args(["-s", "-k", "--fail", "-u", &creds(), "-o"])
        .arg(&tgz)
        .arg(fx.url(&format!("/tac/{ID}.tar.gz")));
    let out = run(c).await;
    assert!(out.status.success(), "{out:?}");
    let mut c = Command::new("tar");
    c.arg("tzf").arg(&tgz);
    let out = run(c).await;
    assert!(out.status.success(), "{out:?}");
    let listed: std::collections::BTreeSet<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.ends_with('/'))
        .map(str::to_string)
        .collect();
    let want = package_files(&fx.pkg());
    let want_names: std::collections::BTreeSet<String> =
        want.keys().map(|k| format!("{ID}/{k}")).collect();
    assert_eq!(listed, want_names);
    let x = fx.root.join("x");
    std::fs::create_dir(&x).unwrap();
    let mut c = Command::new("tar");
    c.arg("xzf").arg(&tgz).arg("-C").arg(&x);
    assert!(run(c).await.status.success());
    let got = package_files(&x.join(ID));
    assert_eq!(got.len(), want.len());
    for (k, v) in &want {
        assert!(got.get(k) == Some(v), "{k} differs");
    }
    let m = String::from_utf8(curl(&fx, &[&fx.url("/metrics")]).await.body).unwrap();
    let sent: u64 = m
        .lines()
        .find_map(|l| l.strip_prefix("kubetac_http_response_bytes_total "))
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(sent, std::fs::metadata(&tgz).unwrap().len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ranges_with_curl() {
    let fx = start(fast_guard()).await;
    let rel = "cores/smf-node-1/core.smf-service.1000.0123abcd.4242.1591660800000000.zst";
    let whole = std::fs::read(fx.pkg().join(rel)).unwrap();
    let url = fx.url(&format!("/tac/{ID}/{rel}"));
    let r = curl(&fx, &["-u", &creds(), "--range", "0-99", &url]).await;
    assert_eq!(r.code, 206);
    assert_eq!(r.body, whole[..100]);
    assert!(
        r.headers
            .contains(&format!("content-range: bytes 0-99/{}", whole.len())),
        "{}",
        r.headers
    );
    assert!(
        r.headers.contains("content-length: 100\r\n"),
        "{}",
        r.headers
    );
    let r = curl(&fx, &["-u", &creds(), "--range", "-100", &url]).await;
    assert_eq!(
        (r.code, r.body.as_slice()),
        (206, &whole[whole.len() - 100..])
    );
    let r = curl(&fx, &["-u", &creds(), "--range", "299990-", &url]).await;
    assert_eq!((r.code, r.body.as_slice()), (206, &whole[299_990..]));
    let r = curl(&fx, &["-u", &creds(), "--range", "300000-", &url]).await;
    assert_eq!(r.code, 416);
    assert!(
        r.headers.contains("content-range: bytes */300000"),
        "{}",
        r.headers
    );
    // Multiple ranges are allowed to be answered with the whole file.
    let r = curl(&fx, &["-u", &creds(), "--range", "0-1,5-6", &url]).await;
    assert_eq!((r.code, r.body.len()), (200, whole.len()));
    // curl -C - resumes a cut download from where it stopped.
    let part = fx.root.join("part");
    std::fs::write(&part, &whole[..123_456]).unwrap();
    let mut c = Command::new("curl");
    c.args(["-s", "-k", "--fail", "-u", &creds(), "-C", "-", "-o"])
        .arg(&part)
        .arg(&url);
    assert!(run(c).await.status.success());
    assert!(std::fs::read(&part).unwrap() == whole);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_and_metrics() {
    let fx = start(fast_guard()).await;
    let r = curl(&fx, &[&fx.url("/healthz")]).await;
    assert_eq!((r.code, r.body.as_slice()), (200, &b"ok"[..]));
    assert_eq!(
        curl(&fx, &["-u", &creds(), &fx.url(&format!("/tac/{ID}/"))])
            .await
            .code,
        200
    );
    assert_eq!(
        curl(&fx, &["-u", "admin:bad-password", &fx.url("/tac/")])
            .await
            .code,
        401
    );
    assert_eq!(curl(&fx, &[&fx.url("/nothing")]).await.code, 404);
    let r = curl(&fx, &[&fx.url("/metrics")]).await;
    assert_eq!(r.code, 200);
    assert!(
        r.headers
            .contains("content-type: text/plain; version=0.0.4"),
        "{}",
        r.headers
    );
    let m = String::from_utf8(r.body).unwrap();
    for want in [
        "# TYPE kubetac_http_requests_total counter",
        "kubetac_http_requests_total{class=\"healthz\",code=\"200\"} 1",
        "kubetac_http_requests_total{class=\"listing\",code=\"200\"} 1",
        "kubetac_http_requests_total{class=\"listing\",code=\"401\"} 1",
        "kubetac_http_requests_total{class=\"other\",code=\"404\"} 1",
        "kubetac_http_auth_failures_total 1",
        "kubetac_packages{state=\"complete\"} 1",
        "kubetac_packages{state=\"partial\"} 1",
        "# TYPE kubetac_store_free_percent gauge",
        "# TYPE kubetac_http_response_bytes_total counter",
    ] {
        assert!(m.contains(want), "{want} missing from\n{m}");
    }
    // Restarting on the same store keeps the certificate (clients pin it).
    let first = fx.server.as_ref().unwrap().tls.sha256_fingerprint.clone();
    let again = serve(
        PackageServerConfig::new(
            fx.store.clone(),
            Arc::new(UsersFile::open(&fx.root.join("users")).unwrap()),
            Arc::new(LoginGuard::default()),
        ),
        "127.0.0.1:0".parse().unwrap(),
        &TlsFiles::default(),
    )
    .await
    .unwrap();
    assert!(!again.tls.generated);
    assert_eq!(again.tls.sha256_fingerprint, first);
    let again_url = format!("https://{}/healthz", again.addr);
    drop(again);
    // Dropped means stopped.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let r = curl(&fx, &[&again_url]).await;
        if r.code == 0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still serving after drop"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
