//! Who may log in to the ops center (SSH CLI and HTTPS package server), and
//! the brake on password guessing both of them share.
//!
//! # The users file
//!
//! A text file, like an htpasswd file: one user a line, `NAME:HASH`, where
//! `HASH` is an Argon2id PHC string; blank lines and lines starting with `#`
//! are ignored.
//!
//! ```text
//! # kubetac users: `kubetac user add NAME` adds or replaces one
//! admin:$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$...
//! ```
//!
//! Names match `[a-z_][a-z0-9_.-]{0,31}` (a Unix login name); passwords have
//! at least 8 characters. kubetac writes the file with mode 0600 and through
//! a temporary file renamed into place, so a server reading it never sees
//! half a file. Its default place is `$XDG_CONFIG_HOME/kubetac/users`
//! (`~/.config/kubetac/users`); `KUBETAC_USERS` or `--users` override it.
//! Servers re-read it when it changes, so adding or deleting a user takes
//! effect at the next login without a restart.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};

pub const MIN_PASSWORD_LEN: usize = 8;

#[derive(Debug, thiserror::Error)]
pub enum UsersError {
    #[error(
        "{0:?} is not a valid user name (lower-case letters, digits, `_`, `.`, `-`; starting with a letter or `_`; at most 32)"
    )]
    BadName(String),
    #[error("the password must have at least {MIN_PASSWORD_LEN} characters")]
    ShortPassword,
    #[error("{path}:{line}: {why}")]
    Parse {
        path: String,
        line: usize,
        why: String,
    },
    #[error("no user {name:?} in {path}")]
    NoSuchUser { name: String, path: String },
    #[error("no users in {0}: add one with `kubetac user add NAME`")]
    Empty(String),
    #[error("users file {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("hashing the password: {0}")]
    Hash(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> UsersError + '_ {
    move |source| UsersError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// `$XDG_CONFIG_HOME/kubetac/users`, else `~/.config/kubetac/users`.
pub fn default_path() -> PathBuf {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("kubetac").join("users")
}

/// `[a-z_][a-z0-9_.-]{0,31}`
pub fn valid_name(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b.len() <= 32
        && (b[0].is_ascii_lowercase() || b[0] == b'_')
        && b.iter().all(|&c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'_' | b'.' | b'-')
        })
}

/// The users of one users file.
#[derive(Debug, Clone, Default)]
pub struct Users {
    /// Name → PHC string.
    hashes: BTreeMap<String, String>,
}

/// What every failed lookup hashes against, so that an unknown name costs
/// the same time as a wrong password and timing does not reveal which names
/// exist. Same parameters as the hashes `add_user` writes.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    hash_password("not a password of anyone").unwrap_or_else(|_| {
        "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
            .to_string()
    })
});

/// An Argon2id PHC string with a fresh random salt.
pub fn hash_password(password: &str) -> Result<String, UsersError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| UsersError::Hash(e.to_string()))
}

fn check_hash(phc: &str) -> Result<(), String> {
    let h = PasswordHash::new(phc).map_err(|e| format!("not a PHC hash string: {e}"))?;
    if !h.algorithm.as_str().starts_with("argon2") {
        return Err(format!("hash algorithm {} is not argon2", h.algorithm));
    }
    if h.salt.is_none() || h.hash.is_none() {
        return Err("hash without salt or output".into());
    }
    Ok(())
}

impl Users {
    pub fn load(path: &Path) -> Result<Users, UsersError> {
        let text = fs::read_to_string(path).map_err(io(path))?;
        warn_if_readable_by_others(path);
        Users::parse(&text, &path.display().to_string())
    }

    /// `origin` names the file in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Users, UsersError> {
        let mut hashes = BTreeMap::new();
        for (i, line) in text.lines().enumerate() {
            let err = |why: String| UsersError::Parse {
                path: origin.to_string(),
                line: i + 1,
                why,
            };
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((name, hash)) = line.split_once(':') else {
                return Err(err("expected NAME:HASH".into()));
            };
            if !valid_name(name) {
                return Err(err(format!("{name:?} is not a valid user name")));
            }
            check_hash(hash).map_err(err)?;
            if hashes.insert(name.to_string(), hash.to_string()).is_some() {
                return Err(err(format!("user {name:?} appears twice")));
            }
        }
        Ok(Users { hashes })
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.hashes.keys().map(String::as_str)
    }

    pub fn contains(&self, name: &str) -> bool {
        self.hashes.contains_key(name)
    }

    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    /// Whether `password` is `name`'s. Takes one Argon2 hash (tens of
    /// milliseconds) whether or not the user exists; call it off the async
    /// runtime (`spawn_blocking`). The comparison is constant-time.
    pub fn verify(&self, name: &str, password: &str) -> bool {
        let (hash, known) = match self.hashes.get(name) {
            Some(h) => (h.as_str(), true),
            None => (DUMMY_HASH.as_str(), false),
        };
        let ok = PasswordHash::new(hash)
            .map(|h| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &h)
                    .is_ok()
            })
            .unwrap_or(false);
        ok && known
    }
}

fn warn_if_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    // Group read is what a Secret volume with fsGroup gives the pod: not a
    // leak. World access, or anyone but the owner writing, is.
    if let Ok(m) = fs::metadata(path)
        && m.permissions().mode() & 0o027 != 0
    {
        tracing::warn!(
            "users file {} is open to other users (mode {:o}); `chmod 600` it",
            path.display(),
            m.permissions().mode() & 0o777
        );
    }
}

fn read_lines(path: &Path) -> Result<Vec<String>, UsersError> {
    match fs::read_to_string(path) {
        Ok(t) => {
            // Refuse to rewrite a file we could not read back: a typo in it
            // would otherwise be carried along silently.
            Users::parse(&t, &path.display().to_string())?;
            Ok(t.lines().map(str::to_string).collect())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(vec![
            "# kubetac users: NAME:ARGON2ID-HASH a line; `kubetac user add NAME` adds or replaces one"
                .to_string(),
        ]),
        Err(e) => Err(io(path)(e)),
    }
}

fn line_name(line: &str) -> Option<&str> {
    let l = line.trim();
    if l.starts_with('#') {
        return None;
    }
    l.split_once(':').map(|(n, _)| n)
}

/// Writes the file through a temporary one (mode 0600 from its creation, so
/// the hashes are never readable by others, not even for a moment).
fn write_lines(path: &Path, lines: &[String]) -> Result<(), UsersError> {
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).map_err(io(dir))?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".tmp{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let write = || -> std::io::Result<()> {
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        for l in lines {
            f.write_all(l.as_bytes())?;
            f.write_all(b"\n")?;
        }
        f.sync_all()?;
        fs::rename(&tmp, path)
    };
    write().map_err(|e| {
        let _ = fs::remove_file(&tmp);
        io(path)(e)
    })
}

/// Adds `name`, or replaces its password; creates the file (and its
/// directory) when missing. Other lines, comments included, are kept.
pub fn add_user(path: &Path, name: &str, password: &str) -> Result<(), UsersError> {
    if !valid_name(name) {
        return Err(UsersError::BadName(name.to_string()));
    }
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(UsersError::ShortPassword);
    }
    let mut lines = read_lines(path)?;
    let entry = format!("{name}:{}", hash_password(password)?);
    match lines.iter().position(|l| line_name(l) == Some(name)) {
        Some(i) => lines[i] = entry,
        None => lines.push(entry),
    }
    write_lines(path, &lines)
}

pub fn delete_user(path: &Path, name: &str) -> Result<(), UsersError> {
    let mut lines = read_lines(path)?;
    let before = lines.len();
    lines.retain(|l| line_name(l) != Some(name));
    if lines.len() == before {
        return Err(UsersError::NoSuchUser {
            name: name.to_string(),
            path: path.display().to_string(),
        });
    }
    write_lines(path, &lines)
}

/// Identifies a version of the file cheaply (one `stat`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    ino: u64,
    len: u64,
    mtime: (i64, i64),
}

fn stamp(path: &Path) -> std::io::Result<Stamp> {
    use std::os::unix::fs::MetadataExt;
    let m = fs::metadata(path)?;
    Ok(Stamp {
        ino: m.ino(),
        len: m.len(),
        mtime: (m.mtime(), m.mtime_nsec()),
    })
}

/// A users file as a server sees it: re-read when it changes (checked with
/// one `stat` per login), so `kubetac user add` works without a restart. A
/// broken edit keeps the last good version in force, with a warning.
#[derive(Debug)]
pub struct UsersFile {
    path: PathBuf,
    cached: Mutex<(Option<Stamp>, Arc<Users>, u64)>,
    /// Argon2 checks at once: each takes ~19 MiB and a CPU, so a flood of
    /// logins waits here instead of exhausting memory.
    hashing: tokio::sync::Semaphore,
}

impl UsersFile {
    /// Loads the file now, so a server refuses to start without users.
    pub fn open(path: &Path) -> Result<UsersFile, UsersError> {
        let st = stamp(path).map_err(io(path))?;
        let users = Users::load(path)?;
        if users.is_empty() {
            return Err(UsersError::Empty(path.display().to_string()));
        }
        let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
        Ok(UsersFile {
            path: path.to_path_buf(),
            cached: Mutex::new((Some(st), Arc::new(users), 0)),
            hashing: tokio::sync::Semaphore::new(cpus.clamp(2, 8)),
        })
    }

    /// The users now in the file, and a generation number that changes
    /// whenever they do (for caches of verified credentials).
    pub fn current(&self) -> (Arc<Users>, u64) {
        let now = stamp(&self.path).ok();
        let mut c = self.cached.lock().unwrap_or_else(|p| p.into_inner());
        if now != c.0 {
            match now.map(|_| Users::load(&self.path)) {
                Some(Ok(u)) => {
                    *c = (now, Arc::new(u), c.2 + 1);
                }
                Some(Err(e)) => {
                    tracing::warn!("{e}; keeping the users read before");
                    c.0 = now;
                }
                None => {
                    tracing::warn!(
                        "users file {} is gone; nobody can log in until it is back",
                        self.path.display()
                    );
                    *c = (None, Arc::new(Users::default()), c.2 + 1);
                }
            }
        }
        (c.1.clone(), c.2)
    }

    /// [`Users::verify`] against the file as it is now. Blocking (Argon2):
    /// async servers use [`UsersFile::verify_async`].
    pub fn verify(&self, name: &str, password: &str) -> bool {
        self.current().0.verify(name, password)
    }

    /// [`UsersFile::verify`] on the blocking pool, a bounded number at once.
    pub async fn verify_async(self: &Arc<Self>, name: &str, password: &str) -> bool {
        let Ok(_permit) = self.hashing.acquire().await else {
            return false;
        };
        let (me, n, p) = (self.clone(), name.to_string(), password.to_string());
        tokio::task::spawn_blocking(move || me.verify(&n, &p))
            .await
            .unwrap_or(false)
    }
}

/// How hard [`LoginGuard`] brakes.
#[derive(Debug, Clone)]
pub struct GuardConfig {
    /// Failures in a row (per user and peer address) that lock the pair out.
    pub max_failures: u32,
    pub lockout: Duration,
    /// Delay after the first failure; doubled after each further one.
    pub first_delay: Duration,
    pub max_delay: Duration,
    /// Pairs remembered at most (oldest forgotten first), so a spray of
    /// made-up names cannot fill memory.
    pub max_entries: usize,
}

impl Default for GuardConfig {
    fn default() -> Self {
        GuardConfig {
            max_failures: 5,
            lockout: Duration::from_secs(300),
            first_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(8),
            max_entries: 10_000,
        }
    }
}

/// Refusal while a (user, address) pair is locked out.
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "too many failed logins for {user:?} from {ip}: locked until {until} (retry in {} s)",
    retry_after.as_secs().max(1)
)]
pub struct Locked {
    pub user: String,
    pub ip: IpAddr,
    pub until: jiff::Timestamp,
    pub retry_after: Duration,
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
    locked_until: Option<Instant>,
}

/// Failed logins per (user, peer address), shared by the SSH and HTTPS
/// servers: each failure earns a growing delay before the answer (1 s, 2 s,
/// 4 s ... capped), and `max_failures` in a row lock the pair out for
/// `lockout`. A success clears the count. Keyed by pair rather than by user
/// alone so that a guesser cannot lock the real operator out from elsewhere.
#[derive(Debug)]
pub struct LoginGuard {
    cfg: GuardConfig,
    state: Mutex<HashMap<(String, IpAddr), Failures>>,
}

impl Default for LoginGuard {
    fn default() -> Self {
        LoginGuard::new(GuardConfig::default())
    }
}

impl LoginGuard {
    pub fn new(cfg: GuardConfig) -> LoginGuard {
        LoginGuard {
            cfg,
            state: Mutex::new(HashMap::new()),
        }
    }

    fn key(user: &str, ip: IpAddr) -> (String, IpAddr) {
        // Real names have at most 32 bytes; a longer one is a guess, and
        // keeping only its start bounds the memory a guesser can take.
        let mut end = user.len().min(64);
        while !user.is_char_boundary(end) {
            end -= 1;
        }
        (user[..end].to_string(), ip.to_canonical())
    }

    /// Call before checking the password: a locked pair is refused without
    /// even trying it, so a lock-out cannot be used to test guesses.
    pub fn check(&self, user: &str, ip: IpAddr) -> Result<(), Locked> {
        let now = Instant::now();
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let key = Self::key(user, ip);
        let Some(f) = st.get(&key).copied() else {
            return Ok(());
        };
        match f.locked_until {
            Some(until) if until > now => {
                let retry_after = until - now;
                Err(Locked {
                    user: user.to_string(),
                    ip: key.1,
                    until: jiff::Timestamp::now()
                        .checked_add(retry_after)
                        .unwrap_or(jiff::Timestamp::MAX),
                    retry_after,
                })
            }
            Some(_) => {
                // The lock-out is served: start afresh.
                st.remove(&key);
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// Records a failure; returns how long to wait before answering it.
    pub fn failed(&self, user: &str, ip: IpAddr) -> Duration {
        let now = Instant::now();
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if st.len() >= self.cfg.max_entries {
            self.prune(&mut st, now);
        }
        let f = st.entry(Self::key(user, ip)).or_insert(Failures {
            count: 0,
            last: now,
            locked_until: None,
        });
        // Failures far apart are not a guessing run.
        if f.locked_until.is_none() && now.duration_since(f.last) > self.cfg.lockout {
            f.count = 0;
        }
        f.count = f.count.saturating_add(1);
        f.last = now;
        if f.count >= self.cfg.max_failures && f.locked_until.is_none() {
            f.locked_until = Some(now + self.cfg.lockout);
            tracing::warn!(
                "login: {user:?} from {ip} locked out for {} s after {} failures",
                self.cfg.lockout.as_secs(),
                f.count
            );
        }
        let doublings = f.count.saturating_sub(1).min(20);
        self.cfg
            .first_delay
            .saturating_mul(1u32 << doublings)
            .min(self.cfg.max_delay)
    }

    pub fn succeeded(&self, user: &str, ip: IpAddr) {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        st.remove(&Self::key(user, ip));
    }

    fn prune(&self, st: &mut HashMap<(String, IpAddr), Failures>, now: Instant) {
        st.retain(|_, f| match f.locked_until {
            Some(u) => u > now,
            None => now.duration_since(f.last) <= self.cfg.lockout,
        });
        while st.len() >= self.cfg.max_entries {
            let Some(oldest) = st
                .iter()
                .min_by_key(|(_, f)| f.last)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            st.remove(&oldest);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for ok in ["admin", "_svc", "a", "ops.center-1_x", &"a".repeat(32)] {
            assert!(valid_name(ok), "{ok}");
        }
        for bad in [
            "",
            "Admin",
            "1admin",
            "-x",
            ".x",
            "a b",
            "a:b",
            "a/b",
            "ädmin",
            &"a".repeat(33),
        ] {
            assert!(!valid_name(bad), "{bad}");
        }
    }

    #[test]
    fn add_verify_replace_delete() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("conf/users");
        add_user(&p, "admin", "correct horse").unwrap();
        add_user(&p, "oper", "battery staple").unwrap();
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let u = Users::load(&p).unwrap();
        assert_eq!(u.names().collect::<Vec<_>>(), ["admin", "oper"]);
        assert!(u.verify("admin", "correct horse"));
        assert!(!u.verify("admin", "battery staple"));
        assert!(!u.verify("nobody", "correct horse"));
        assert!(!u.verify("admin", ""));

        add_user(&p, "admin", "new password").unwrap();
        let u = Users::load(&p).unwrap();
        assert!(!u.verify("admin", "correct horse"));
        assert!(u.verify("admin", "new password"));
        assert_eq!(u.names().count(), 2);
        let text = fs::read_to_string(&p).unwrap();
        assert!(text.starts_with("# kubetac users"));
        assert!(text.lines().nth(1).unwrap().starts_with("admin:$argon2id$"));

        delete_user(&p, "oper").unwrap();
        assert!(matches!(
            delete_user(&p, "oper"),
            Err(UsersError::NoSuchUser { .. })
        ));
        assert_eq!(
            Users::load(&p).unwrap().names().collect::<Vec<_>>(),
            ["admin"]
        );

        assert!(matches!(
            add_user(&p, "Bad", "long enough"),
            Err(UsersError::BadName(_))
        ));
        assert!(matches!(
            add_user(&p, "short", "1234567"),
            Err(UsersError::ShortPassword)
        ));
        assert!(matches!(
            add_user(&p, "empty", ""),
            Err(UsersError::ShortPassword)
        ));
    }

    #[test]
    fn parse_errors_name_the_line() {
        let h = hash_password("whatever1").unwrap();
        let ok = format!("# c\n\nadmin:{h}\n");
        assert_eq!(Users::parse(&ok, "f").unwrap().names().count(), 1);
        for (text, line) in [
            (format!("admin:{h}\nadmin:{h}\n"), 2),
            (format!("# x\nAdmin:{h}\n"), 2),
            ("admin\n".to_string(), 1),
            ("admin:secret\n".to_string(), 1),
            ("admin:$2y$10$abcdefghijklmnopqrstuv\n".to_string(), 1),
        ] {
            match Users::parse(&text, "f") {
                Err(UsersError::Parse { line: l, .. }) => assert_eq!(l, line, "{text}"),
                other => panic!("{text}: {other:?}"),
            }
        }
    }

    #[test]
    fn unknown_users_cost_as_much_as_known_ones() {
        let u = Users::parse(
            &format!("admin:{}\n", hash_password("correct horse").unwrap()),
            "f",
        )
        .unwrap();
        let _ = DUMMY_HASH.len();
        let time = |name: &str| {
            let t = Instant::now();
            assert!(!u.verify(name, "wrong password"));
            t.elapsed()
        };
        // Interleaved, best of five: other tests share the CPUs.
        let (mut known, mut unknown) = (Duration::MAX, Duration::MAX);
        for _ in 0..5 {
            known = known.min(time("admin"));
            unknown = unknown.min(time("nobody"));
        }
        let ratio = unknown.as_secs_f64() / known.as_secs_f64();
        assert!(
            (0.5..2.0).contains(&ratio),
            "known {known:?} vs unknown {unknown:?}"
        );
    }

    #[test]
    fn users_file_follows_edits() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("users");
        assert!(matches!(UsersFile::open(&p), Err(UsersError::Io { .. })));
        fs::write(&p, "# nobody yet\n").unwrap();
        assert!(matches!(UsersFile::open(&p), Err(UsersError::Empty(_))));
        add_user(&p, "admin", "password1").unwrap();
        let f = UsersFile::open(&p).unwrap();
        assert!(f.verify("admin", "password1"));
        let g0 = f.current().1;
        add_user(&p, "oper", "password2").unwrap();
        assert!(f.verify("oper", "password2"));
        let g1 = f.current().1;
        assert_ne!(g0, g1);
        // A broken edit keeps the users known before.
        fs::write(&p, "garbage\n").unwrap();
        assert!(f.verify("oper", "password2"));
        fs::remove_file(&p).unwrap();
        assert!(!f.verify("oper", "password2"));
    }

    #[tokio::test]
    async fn verify_async_off_the_runtime() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("users");
        add_user(&p, "admin", "password1").unwrap();
        let f = Arc::new(UsersFile::open(&p).unwrap());
        let checks = (0..6).map(|i| {
            let f = f.clone();
            async move {
                f.verify_async("admin", if i % 2 == 0 { "password1" } else { "nope-nope" })
                    .await
            }
        });
        let got = futures::future::join_all(checks).await;
        assert_eq!(got, [true, false, true, false, true, false]);
    }

    #[test]
    fn guard_delays_locks_and_forgives() {
        let g = LoginGuard::new(GuardConfig {
            max_failures: 3,
            lockout: Duration::from_millis(300),
            first_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(25),
            max_entries: 100,
        });
        let ip: IpAddr = "192.0.2.7".parse().unwrap();
        let other: IpAddr = "192.0.2.8".parse().unwrap();
        assert!(g.check("admin", ip).is_ok());
        assert_eq!(g.failed("admin", ip), Duration::from_millis(10));
        assert_eq!(g.failed("admin", ip), Duration::from_millis(20));
        assert!(g.check("admin", ip).is_ok());
        // A success clears the run.
        g.succeeded("admin", ip);
        assert_eq!(g.failed("admin", ip), Duration::from_millis(10));
        assert_eq!(g.failed("admin", ip), Duration::from_millis(20));
        assert_eq!(g.failed("admin", ip), Duration::from_millis(25));
        let locked = g.check("admin", ip).unwrap_err();
        assert!(locked.retry_after <= Duration::from_millis(300));
        assert!(locked.to_string().contains("locked until"), "{locked}");
        // Only that pair: the same user elsewhere, another user here go on.
        assert!(g.check("admin", other).is_ok());
        assert!(g.check("oper", ip).is_ok());
        // IPv4-mapped IPv6 is the same peer.
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert!(g.check("admin", mapped).is_err());
        std::thread::sleep(Duration::from_millis(320));
        assert!(g.check("admin", ip).is_ok());
        assert_eq!(g.failed("admin", ip), Duration::from_millis(10));
    }

    #[test]
    fn guard_memory_is_bounded() {
        let g = LoginGuard::new(GuardConfig {
            max_entries: 50,
            ..GuardConfig::default()
        });
        let ip: IpAddr = "192.0.2.7".parse().unwrap();
        for i in 0..1000 {
            g.failed(&format!("user{i}"), ip);
        }
        assert!(g.state.lock().unwrap().len() <= 50);
        // The newest are the ones kept.
        assert!(
            g.state
                .lock()
                .unwrap()
                .contains_key(&("user999".to_string(), ip))
        );
    }
}
