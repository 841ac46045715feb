//! The ops center's SSH server: `ssh -p 2024 admin@<ops-center>` lands in
//! the ConfD-style CLI. This module speaks SSH (russh), authenticates
//! through an [`Authenticator`], enforces session limits, and gives each
//! session channel a shell: a line editor on a PTY, plain line reading
//! without one, or a single command for `ssh host 'cmd'`. What the commands
//! mean is the [`Backend`]'s business.

mod editor;
mod hostkey;
mod shell;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use futures::future::BoxFuture;
use russh::server::{Auth, ChannelOpenHandle, Msg, PublicKeyOffer, Session as SshSession};
use russh::server::{VerifiedPublicKey, run_stream};
use russh::{Channel, ChannelId, ChannelOpenFailure, Disconnect, MethodKind, MethodSet, SshId};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;

use super::session::Backend;
use hostkey::load_or_create_host_key;
use shell::{Input, InputTx, Mode, ShellTask};

/// What a password check came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthOutcome {
    Ok,
    Rejected,
    /// Too many failures: the client is told so and disconnected. Must
    /// not depend on the password being right: to deliver the message the
    /// server lets the SSH login complete, then opens no session.
    LockedOut,
}

/// Who may log in. Slowing down failures (beyond
/// [`SshConfig::auth_rejection_delay`]) and locking out are its business.
pub trait Authenticator: Send + Sync + 'static {
    fn check_password<'a>(
        &'a self,
        user: &'a str,
        password: &'a str,
        peer: Option<IpAddr>,
    ) -> BoxFuture<'a, AuthOutcome>;

    /// Public-key login; `false` for every key turns it off.
    fn check_key(&self, _user: &str, _key: &russh::keys::PublicKey) -> bool {
        false
    }
}

#[derive(Debug, Clone)]
pub struct SshConfig {
    pub addr: SocketAddr,
    /// ed25519 host key, created on first start (mode 0600).
    pub host_key_path: PathBuf,
    /// Shell/exec sessions open at once, all users together.
    pub max_sessions: usize,
    pub max_sessions_per_user: usize,
    /// No input at the prompt for this long closes the session. A running
    /// command (say `cluster logs`) is not idle.
    pub idle_timeout: Duration,
    /// Least time a failed login takes, so guessing is slow and timing
    /// tells nothing.
    pub auth_rejection_delay: Duration,
    /// Time from connect to successful login before the server hangs up.
    pub login_grace_time: Duration,
    pub max_auth_attempts: usize,
    /// Connections not yet logged in, at once (OpenSSH's MaxStartups);
    /// more are dropped at accept.
    pub max_startups: usize,
    /// Server-to-client keepalives, to notice dead peers during long
    /// quiet stretches. `None`: off.
    pub keepalive_interval: Option<Duration>,
}

impl SshConfig {
    pub fn new(addr: SocketAddr, host_key_path: PathBuf) -> Self {
        Self {
            addr,
            host_key_path,
            max_sessions: 64,
            max_sessions_per_user: 16,
            idle_timeout: Duration::from_secs(30 * 60),
            auth_rejection_delay: Duration::from_secs(1),
            login_grace_time: Duration::from_secs(120),
            max_auth_attempts: 6,
            max_startups: 16,
            keepalive_interval: None,
        }
    }
}

/// Binds the listener and loads (or creates) the host key. Returns the
/// address actually bound (port 0 picks one) and the future that serves;
/// dropping that future stops accepting and disconnects open sessions.
pub async fn bind(
    cfg: SshConfig,
    backend: Arc<dyn Backend>,
    auth: Arc<dyn Authenticator>,
) -> anyhow::Result<(
    SocketAddr,
    impl Future<Output = anyhow::Result<()>> + Send + 'static,
)> {
    let key = load_or_create_host_key(&cfg.host_key_path)?;
    let listener = TcpListener::bind(cfg.addr)
        .await
        .with_context(|| format!("binding ssh on {}", cfg.addr))?;
    let local = listener.local_addr()?;
    tracing::info!(addr = %local, host_key = %hostkey::fingerprint(&key), "ssh server listening");

    let russh_cfg = Arc::new(russh::server::Config {
        server_id: SshId::Standard(format!("SSH-2.0-kubetac_{}", env!("CARGO_PKG_VERSION")).into()),
        methods: methods(),
        auth_rejection_time: cfg.auth_rejection_delay,
        // The client's opening "none" probe is not a failed guess; answering
        // it at once keeps logins snappy.
        auth_rejection_time_initial: Some(Duration::ZERO),
        keys: vec![key],
        max_auth_attempts: cfg.max_auth_attempts,
        // A backstop for connections without a shell (whose idle timer
        // would otherwise close them first); any traffic resets it.
        inactivity_timeout: Some(cfg.idle_timeout.saturating_add(Duration::from_secs(60))),
        keepalive_interval: cfg.keepalive_interval,
        // Keystrokes are echoed by the server: Nagle would make typing lag.
        nodelay: true,
        ..Default::default()
    });

    let shared = Arc::new(Shared {
        limits: Arc::new(Limits {
            max_total: cfg.max_sessions,
            max_per_user: cfg.max_sessions_per_user,
            counts: Mutex::new(Counts::default()),
        }),
        connections: Arc::new(Semaphore::new(
            cfg.max_sessions
                .saturating_add(cfg.max_startups)
                .min(Semaphore::MAX_PERMITS),
        )),
        startups: Arc::new(Semaphore::new(cfg.max_startups.min(Semaphore::MAX_PERMITS))),
        cfg,
        backend,
        auth,
    });
    Ok((local, serve(listener, russh_cfg, shared)))
}

fn methods() -> MethodSet {
    MethodSet::from(&[MethodKind::Password, MethodKind::PublicKey][..])
}

struct Shared {
    cfg: SshConfig,
    backend: Arc<dyn Backend>,
    auth: Arc<dyn Authenticator>,
    limits: Arc<Limits>,
    /// Caps TCP connections: every session may have its own, plus the
    /// ones still logging in.
    connections: Arc<Semaphore>,
    startups: Arc<Semaphore>,
}

async fn serve(
    listener: TcpListener,
    russh_cfg: Arc<russh::server::Config>,
    shared: Arc<Shared>,
) -> anyhow::Result<()> {
    let shutdown = CancellationToken::new();
    // Dropping the serve future (the caller's shutdown) reaches every
    // connection task through this guard.
    let _guard = shutdown.clone().drop_guard();
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(x) => x,
            Err(e) => {
                // Out of file descriptors and the like pass; spinning on
                // them would not help.
                tracing::warn!(error = %e, "ssh accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let (Ok(conn_permit), Ok(startup)) = (
            shared.connections.clone().try_acquire_owned(),
            shared.startups.clone().try_acquire_owned(),
        ) else {
            tracing::warn!(%peer, "ssh connection refused: too many connections");
            continue;
        };
        tokio::spawn(connection(
            stream,
            peer,
            russh_cfg.clone(),
            shared.clone(),
            startup,
            conn_permit,
            shutdown.clone(),
        ));
    }
}

async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    russh_cfg: Arc<russh::server::Config>,
    shared: Arc<Shared>,
    startup: OwnedSemaphorePermit,
    _conn_permit: OwnedSemaphorePermit,
    shutdown: CancellationToken,
) {
    let now = tokio::time::Instant::now();
    let login_deadline = now
        .checked_add(shared.cfg.login_grace_time)
        .unwrap_or_else(|| now + Duration::from_secs(365 * 86400));
    let authed = Arc::new(AtomicBool::new(false));
    let handler = Conn {
        shared,
        peer: Some(peer),
        user: None,
        startup: Some(startup),
        authed: authed.clone(),
        locked_out: false,
        channels: HashMap::new(),
    };
    let handshake = run_stream(russh_cfg, stream, handler);
    let running = match tokio::time::timeout_at(login_deadline, handshake).await {
        Ok(Ok(running)) => running,
        Ok(Err(e)) => {
            tracing::debug!(%peer, error = %e, "ssh handshake failed");
            return;
        }
        Err(_) => return,
    };
    let handle = running.handle();
    tokio::pin!(running);
    let grace_timer = tokio::time::sleep_until(login_deadline);
    tokio::pin!(grace_timer);
    let mut grace_over = false;
    loop {
        tokio::select! {
            r = &mut running => {
                if let Err(e) = r {
                    tracing::debug!(%peer, error = %e, "ssh connection ended");
                }
                return;
            }
            () = &mut grace_timer, if !grace_over => {
                grace_over = true;
                if !authed.load(Ordering::Acquire) {
                    hang_up(&handle, "login grace time exceeded").await;
                }
            }
            () = shutdown.cancelled() => {
                hang_up(&handle, "server shutting down").await;
                let _ = tokio::time::timeout(Duration::from_secs(2), &mut running).await;
                return;
            }
        }
    }
}

/// Disconnects with a reason the client prints.
async fn hang_up(handle: &russh::server::Handle, why: &str) {
    let _ = handle
        .disconnect(Disconnect::ByApplication, why.into(), String::new())
        .await;
}

/// Session counts, shared by all connections.
struct Limits {
    max_total: usize,
    max_per_user: usize,
    counts: Mutex<Counts>,
}

#[derive(Default)]
struct Counts {
    total: usize,
    per_user: HashMap<String, usize>,
}

impl Limits {
    fn acquire(self: &Arc<Self>, user: &str) -> Result<SessionSlot, String> {
        let mut c = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        if c.total >= self.max_total {
            return Err(format!(
                "too many sessions open on this server (limit {})",
                self.max_total
            ));
        }
        let mine = c.per_user.entry(user.to_string()).or_default();
        if *mine >= self.max_per_user {
            return Err(format!(
                "too many sessions open for user {user} (limit {})",
                self.max_per_user
            ));
        }
        *mine += 1;
        c.total += 1;
        Ok(SessionSlot {
            limits: self.clone(),
            user: user.to_string(),
        })
    }
}

/// One counted session; the count drops with it, however the session ends.
struct SessionSlot {
    limits: Arc<Limits>,
    user: String,
}

impl Drop for SessionSlot {
    fn drop(&mut self) {
        let mut c = self.limits.counts.lock().unwrap_or_else(|e| e.into_inner());
        c.total = c.total.saturating_sub(1);
        if let Some(n) = c.per_user.get_mut(&self.user) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                c.per_user.remove(&self.user);
            }
        }
    }
}

/// One SSH connection.
struct Conn {
    shared: Arc<Shared>,
    peer: Option<SocketAddr>,
    user: Option<String>,
    /// Held until login succeeds: counts against `max_startups`.
    startup: Option<OwnedSemaphorePermit>,
    authed: Arc<AtomicBool>,
    /// Logged in only to be told so and disconnected.
    locked_out: bool,
    channels: HashMap<ChannelId, Chan>,
}

struct Chan {
    slot: Option<SessionSlot>,
    /// Terminal width, when the client asked for a PTY.
    pty_cols: Option<u32>,
    /// Feeds the channel's shell task once it runs.
    input: Option<InputTx>,
}

impl Conn {
    fn peer_ip(&self) -> Option<IpAddr> {
        self.peer.map(|p| p.ip())
    }

    fn start(
        &mut self,
        id: ChannelId,
        mode: Mode,
        session: &mut SshSession,
    ) -> Result<(), russh::Error> {
        let Some(chan) = self.channels.get_mut(&id) else {
            session.channel_failure(id)?;
            return Ok(());
        };
        // One shell or command per channel, as RFC 4254 has it: the slot
        // goes to the first.
        let Some(slot) = chan.slot.take() else {
            session.channel_failure(id)?;
            return Ok(());
        };
        let user = self.user.clone().unwrap_or_default();
        let (tx, rx) = shell::input_channel();
        chan.input = Some(tx);
        let pty = chan.pty_cols.is_some();
        tracing::info!(user, peer = ?self.peer, ?mode, pty, "ssh session started");
        let task = ShellTask {
            handle: session.handle(),
            id,
            session: self.shared.backend.open(&user, self.peer),
            input: rx,
            pty_cols: chan.pty_cols,
            idle_timeout: self.shared.cfg.idle_timeout,
            slot,
        };
        // Success goes out before the task's first output, which travels
        // through the handle's queue behind it.
        session.channel_success(id)?;
        tokio::spawn(task.run(mode));
        Ok(())
    }

    fn forward(&self, id: ChannelId, input: Input) {
        if let Some(tx) = self.channels.get(&id).and_then(|c| c.input.as_ref()) {
            tx.send(input);
        }
    }
}

impl russh::server::Handler for Conn {
    type Error = russh::Error;

    async fn auth_password(&mut self, user: &str, password: &str) -> Result<Auth, Self::Error> {
        let outcome = self
            .shared
            .auth
            .check_password(user, password, self.peer_ip())
            .await;
        match outcome {
            AuthOutcome::Ok => {
                tracing::info!(user, peer = ?self.peer, "ssh login (password)");
                self.user = Some(user.to_string());
                Ok(Auth::Accept)
            }
            AuthOutcome::Rejected => {
                tracing::warn!(user, peer = ?self.peer, "ssh login failed (password)");
                // russh would otherwise strike password off after one
                // failure; a mistyped password deserves another prompt
                // (up to `max_auth_attempts`), as OpenSSH gives.
                Ok(Auth::Reject {
                    proceed_with_methods: Some(methods()),
                    partial_success: false,
                })
            }
            AuthOutcome::LockedOut => {
                tracing::warn!(user, peer = ?self.peer, "ssh login refused: locked out");
                // A refused password cannot carry a reason in SSH, but a
                // disconnect can, and only after login can one be sent
                // in order. Letting the login through is safe: a locked-out
                // user gets no channel, and the outcome does not depend on
                // the password.
                self.locked_out = true;
                Ok(Auth::Accept)
            }
        }
    }

    async fn auth_publickey_offered(
        &mut self,
        user: &str,
        offer: PublicKeyOffer<'_>,
    ) -> Result<Auth, Self::Error> {
        Ok(if self.shared.auth.check_key(user, offer.public_key) {
            Auth::Accept
        } else {
            Auth::reject()
        })
    }

    async fn auth_publickey(
        &mut self,
        user: &str,
        key: VerifiedPublicKey<'_>,
    ) -> Result<Auth, Self::Error> {
        if self.shared.auth.check_key(user, key.public_key) {
            tracing::info!(user, peer = ?self.peer, "ssh login (public key)");
            self.user = Some(user.to_string());
            Ok(Auth::Accept)
        } else {
            Ok(Auth::reject())
        }
    }

    async fn auth_succeeded(&mut self, session: &mut SshSession) -> Result<(), Self::Error> {
        if self.locked_out {
            session.disconnect(
                Disconnect::NoMoreAuthMethodsAvailable,
                "too many failed logins: account temporarily locked, try again later",
                "",
            )?;
            return Ok(());
        }
        self.startup = None;
        self.authed.store(true, Ordering::Release);
        Ok(())
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<Msg>,
        reply: ChannelOpenHandle,
        _session: &mut SshSession,
    ) -> Result<(), Self::Error> {
        // Input arrives through the handler callbacks; a Channel kept but
        // never read would stall the connection once its queue filled.
        let id = channel.id();
        drop(channel);
        if self.locked_out {
            return Ok(());
        }
        let user = self.user.clone().unwrap_or_default();
        match self.shared.limits.acquire(&user) {
            Ok(slot) => {
                self.channels.insert(
                    id,
                    Chan {
                        slot: Some(slot),
                        pty_cols: None,
                        input: None,
                    },
                );
                reply.accept().await;
            }
            Err(reason) => {
                tracing::warn!(user, peer = ?self.peer, %reason, "ssh session refused");
                reply
                    .reject(ChannelOpenFailure::Other { code: 1, reason })
                    .await;
            }
        }
        Ok(())
    }

    async fn channel_close(
        &mut self,
        id: ChannelId,
        _session: &mut SshSession,
    ) -> Result<(), Self::Error> {
        // Dropping the sender tells the shell task the client is gone.
        self.channels.remove(&id);
        Ok(())
    }

    async fn channel_eof(
        &mut self,
        id: ChannelId,
        _session: &mut SshSession,
    ) -> Result<(), Self::Error> {
        self.forward(id, Input::Eof);
        Ok(())
    }

    async fn data(
        &mut self,
        id: ChannelId,
        data: &[u8],
        _session: &mut SshSession,
    ) -> Result<(), Self::Error> {
        self.forward(id, Input::Data(data.to_vec()));
        Ok(())
    }

    async fn pty_request(
        &mut self,
        id: ChannelId,
        _term: &str,
        col_width: u32,
        _row_height: u32,
        _pix_width: u32,
        _pix_height: u32,
        _modes: &[(russh::Pty, u32)],
        session: &mut SshSession,
    ) -> Result<(), Self::Error> {
        match self.channels.get_mut(&id) {
            Some(chan) if chan.input.is_none() => {
                chan.pty_cols = Some(col_width);
                session.channel_success(id)?;
            }
            _ => session.channel_failure(id)?,
        }
        Ok(())
    }

    async fn window_change_request(
        &mut self,
        id: ChannelId,
        col_width: u32,
        _row_height: u32,
        _pix_width: u32,
        _pix_height: u32,
        _session: &mut SshSession,
    ) -> Result<(), Self::Error> {
        if let Some(chan) = self.channels.get_mut(&id)
            && chan.pty_cols.is_some()
        {
            chan.pty_cols = Some(col_width);
        }
        self.forward(id, Input::Resize(col_width));
        Ok(())
    }

    async fn shell_request(
        &mut self,
        id: ChannelId,
        session: &mut SshSession,
    ) -> Result<(), Self::Error> {
        self.start(id, Mode::Shell, session)
    }

    async fn exec_request(
        &mut self,
        id: ChannelId,
        data: &[u8],
        session: &mut SshSession,
    ) -> Result<(), Self::Error> {
        let line = String::from_utf8_lossy(data).into_owned();
        self.start(id, Mode::Exec(line), session)
    }

    async fn signal(
        &mut self,
        id: ChannelId,
        signal: russh::Sig,
        _session: &mut SshSession,
    ) -> Result<(), Self::Error> {
        if matches!(signal, russh::Sig::INT | russh::Sig::TERM) {
            self.forward(id, Input::Interrupt);
        }
        Ok(())
    }

    async fn subsystem_request(
        &mut self,
        id: ChannelId,
        name: &str,
        session: &mut SshSession,
    ) -> Result<(), Self::Error> {
        tracing::debug!(name, "ssh subsystem refused");
        session.channel_failure(id)?;
        Ok(())
    }

    async fn env_request(
        &mut self,
        id: ChannelId,
        _name: &str,
        _value: &str,
        session: &mut SshSession,
    ) -> Result<(), Self::Error> {
        session.channel_failure(id)?;
        Ok(())
    }

    async fn x11_request(
        &mut self,
        id: ChannelId,
        _single: bool,
        _protocol: &str,
        _cookie: &str,
        _screen: u32,
        session: &mut SshSession,
    ) -> Result<(), Self::Error> {
        session.channel_failure(id)?;
        Ok(())
    }
}
