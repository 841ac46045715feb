//! The fan-out: keeps one tail running for every container the filter
//! selects, for as long as its pod exists. Following, it watches pods (list,
//! then watch, relisting when the watch is lost), so a new pod or a
//! restarted container is followed as soon as the API server reports it and
//! a deleted pod is dropped; without `--follow` it lists pods once and ends
//! when every tail has printed what there is. It says on stderr which
//! containers it starts (`+ pod/container`) and stops (`- pod/container`)
//! following.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::api::ListParams;
use kube::runtime::{WatchStreamExt, watcher};
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::format::{self, LineFormat, Source};
use super::limit::Backoff;
use super::pod::{Kind, PodView};
use super::tail::{End, Tail};
use super::{LogsError, NOTICE_EVERY, Shared};
use crate::cluster::{AccessError, PAGE_SIZE};
use crate::inspect::Scope;

/// Consecutive watch failures before they are worth telling the operator
/// (single ones are routine: the server ends watches now and then).
const WATCH_FAILURES_TOLD: u32 = 3;
/// Attempts at each page of the pod list without `--follow`.
const LIST_ATTEMPTS: u32 = 6;

/// A tail's state in its pod's entry. Ended tails are remembered so that a
/// later update of the pod does not start them again (and print it twice).
#[derive(Debug)]
enum TailState {
    /// Aborted a grace period after its pod is deleted, if it has not
    /// ended by itself (its stream ends when the container stops).
    Running(tokio::task::AbortHandle),
    Ended,
}

impl TailState {
    fn running(&self) -> bool {
        matches!(self, TailState::Running(_))
    }
}

/// How long a deleted pod's tails may still deliver their last lines.
const DELETE_GRACE: Duration = Duration::from_secs(2);

struct Entry {
    /// The pod as last reported; the tails watch it.
    tx: watch::Sender<Arc<PodView>>,
    tails: HashMap<String, TailState>,
    deleted: bool,
}

struct Fanout {
    sh: Arc<Shared>,
    scope: Scope,
    /// By pod UID: a pod recreated under the same name is a new pod.
    pods: HashMap<String, Entry>,
    tails: JoinSet<(String, String, String, End)>,
    /// The first complete list has been seen: pods seen later are new, their
    /// logs are printed from their first line.
    synced: bool,
    /// UIDs seen during a relist, to drop pods deleted while the watch was
    /// down.
    relisting: Option<HashSet<String>>,
    watch_failures: u32,
    watch_told: Option<Instant>,
}

/// How the fan-out ended without an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// The stop future resolved (Ctrl-C).
    Stopped,
    /// Every tail printed all there was (without `--follow`).
    AllRead,
}

pub async fn run(
    sh: Arc<Shared>,
    scope: Scope,
    stop: impl std::future::Future<Output = ()>,
) -> Result<Ended, LogsError> {
    let mut f = Fanout {
        sh,
        scope,
        pods: HashMap::new(),
        tails: JoinSet::new(),
        synced: false,
        relisting: None,
        watch_failures: 0,
        watch_told: None,
    };
    let r = if f.sh.opts.follow {
        f.follow(stop).await
    } else {
        f.once(stop).await
    };
    // Tails still running are cancelled: Ctrl-C stops at once.
    f.tails.abort_all();
    r
}

fn closed_error(kind: std::io::ErrorKind) -> LogsError {
    LogsError::Output(std::io::Error::from(kind))
}

impl Fanout {
    async fn follow(
        &mut self,
        stop: impl std::future::Future<Output = ()>,
    ) -> Result<Ended, LogsError> {
        let api = self.scope.api::<Pod>(&self.sh.cl);
        let mut cfg = watcher::Config::default().page_size(PAGE_SIZE);
        if let Some(sel) = &self.sh.opts.selector {
            cfg = cfg.labels(sel);
        }
        let events = watcher(api, cfg).default_backoff();
        let mut events = std::pin::pin!(events);
        let mut stop = std::pin::pin!(stop);
        let sink = self.sh.sink.clone();
        let closed = sink.closed();
        let mut closed = std::pin::pin!(closed);
        loop {
            tokio::select! {
                biased;
                _ = &mut stop => return Ok(Ended::Stopped),
                c = &mut closed => return Err(closed_error(c.0)),
                Some(done) = self.tails.join_next(), if !self.tails.is_empty() => self.ended(done),
                ev = events.next() => match ev {
                    Some(Ok(ev)) => {
                        self.watch_failures = 0;
                        self.event(ev);
                    }
                    Some(Err(e)) => self.watch_failed(e)?,
                    None => return Ok(Ended::Stopped),
                },
            }
        }
    }

    fn event(&mut self, ev: watcher::Event<Pod>) {
        match ev {
            watcher::Event::Init => self.relisting = Some(HashSet::new()),
            watcher::Event::InitApply(p) => {
                if let (Some(seen), Some(uid)) = (&mut self.relisting, &p.metadata.uid) {
                    seen.insert(uid.clone());
                }
                self.apply(&p, !self.synced);
            }
            watcher::Event::InitDone => {
                if let Some(seen) = self.relisting.take() {
                    let gone: Vec<String> = self
                        .pods
                        .keys()
                        .filter(|u| !seen.contains(*u))
                        .cloned()
                        .collect();
                    for uid in gone {
                        self.delete(&uid);
                    }
                }
                if !self.synced {
                    self.synced = true;
                    if self.pods.is_empty() {
                        self.sh.say(&format!(
                            "kubetac: no container in {} matches {:?} yet; waiting for one",
                            self.scope.describe(),
                            self.sh.opts.targets.query.as_str()
                        ));
                    }
                }
            }
            watcher::Event::Apply(p) => self.apply(&p, false),
            watcher::Event::Delete(p) => {
                if let Some(uid) = &p.metadata.uid {
                    self.delete(uid);
                }
            }
        }
    }

    /// A refusal of the first list ends the run; anything else is retried
    /// by the watcher's back-off, and said when it persists.
    fn watch_failed(&mut self, e: watcher::Error) -> Result<(), LogsError> {
        let what = format!("watching pods in {}", self.scope.describe());
        let access = match e {
            watcher::Error::InitialListFailed(e)
            | watcher::Error::WatchStartFailed(e)
            | watcher::Error::WatchFailed(e) => self.sh.cl.error(&what, e),
            watcher::Error::WatchError(s) => AccessError::Api {
                what: what.clone(),
                code: s.code,
                reason: s.reason.clone(),
                message: s.message.clone(),
            },
            watcher::Error::NoResourceVersion => AccessError::Api {
                what: what.clone(),
                code: 0,
                reason: "NoResourceVersion".into(),
                message: "the server sent no resourceVersion".into(),
            },
        };
        self.watch_failures += 1;
        let fatal = matches!(
            access,
            AccessError::Forbidden(_) | AccessError::Unauthorized { .. } | AccessError::NotFound(_)
        );
        if fatal && !self.synced {
            return Err(LogsError::ListPods {
                scope: self.scope.describe(),
                source: access,
            });
        }
        if let AccessError::Api { code: 429, .. } = access {
            self.sh.throttled(&what);
            return Ok(());
        }
        tracing::info!("{access}");
        if self.watch_failures >= WATCH_FAILURES_TOLD
            && self.watch_told.is_none_or(|t| t.elapsed() >= NOTICE_EVERY)
        {
            self.watch_told = Some(Instant::now());
            self.sh.say(&format!(
                "kubetac: {access}; retrying (new pods are not seen meanwhile)"
            ));
        }
        Ok(())
    }

    /// Without `--follow`: list the pods once, print, end.
    async fn once(
        &mut self,
        stop: impl std::future::Future<Output = ()>,
    ) -> Result<Ended, LogsError> {
        let mut stop = std::pin::pin!(stop);
        let sink = self.sh.sink.clone();
        let closed = sink.closed();
        let mut closed = std::pin::pin!(closed);
        let listed = self.list_all();
        tokio::select! {
            biased;
            _ = &mut stop => return Ok(Ended::Stopped),
            c = &mut closed => return Err(closed_error(c.0)),
            r = listed => r?,
        }
        self.synced = true;
        if self.tails.is_empty() {
            self.sh.say(&format!(
                "kubetac: no container in {} matches {:?}",
                self.scope.describe(),
                self.sh.opts.targets.query.as_str()
            ));
            return Ok(Ended::AllRead);
        }
        loop {
            tokio::select! {
                biased;
                _ = &mut stop => return Ok(Ended::Stopped),
                c = &mut closed => return Err(closed_error(c.0)),
                done = self.tails.join_next() => match done {
                    Some(done) => self.ended(done),
                    None => return Ok(Ended::AllRead),
                },
            }
        }
    }

    async fn list_all(&mut self) -> Result<(), LogsError> {
        let api = self.scope.api::<Pod>(&self.sh.cl);
        let mut lp = ListParams::default().limit(PAGE_SIZE);
        if let Some(sel) = &self.sh.opts.selector {
            lp = lp.labels(sel);
        }
        let what = format!("listing pods in {}", self.scope.describe());
        let mut backoff = Backoff::new(&what);
        loop {
            let mut attempt = 0;
            let page = loop {
                attempt += 1;
                self.sh.limiter.acquire().await;
                match self.sh.cl.call(&what, api.list(&lp)).await {
                    Ok(p) => break p,
                    Err(e) => {
                        let retry = matches!(
                            e,
                            AccessError::Api {
                                code: 429 | 500..,
                                ..
                            } | AccessError::Unreachable { .. }
                                | AccessError::Timeout { .. }
                        );
                        if !retry || attempt >= LIST_ATTEMPTS {
                            return Err(LogsError::ListPods {
                                scope: self.scope.describe(),
                                source: e,
                            });
                        }
                        tracing::info!("{e}; retrying");
                        tokio::time::sleep(backoff.next_delay().max(Duration::from_millis(200)))
                            .await;
                    }
                }
            };
            for p in &page.items {
                self.apply(p, true);
            }
            match page.metadata.continue_.filter(|c| !c.is_empty()) {
                Some(c) => lp = lp.continue_token(&c),
                None => return Ok(()),
            }
        }
    }

    /// A pod as listed or watched: update its tails' view, start tails for
    /// containers that need one.
    fn apply(&mut self, pod: &Pod, existing: bool) {
        let view = PodView::from_pod(pod);
        if view.uid.is_empty() {
            return;
        }
        let opts = &self.sh.opts;
        let wanted: Vec<String> = view
            .containers
            .iter()
            .filter(|c| opts.targets.wants(&view.name, &c.name))
            .filter(|c| {
                if opts.follow {
                    view.may_log(c)
                } else {
                    c.instances.known().next().is_some()
                }
            })
            .map(|c| c.name.clone())
            .collect();
        if wanted.is_empty() && !self.pods.contains_key(&view.uid) {
            return;
        }
        let view = Arc::new(view);
        let entry = self.pods.entry(view.uid.clone()).or_insert_with(|| Entry {
            tx: watch::Sender::new(view.clone()),
            tails: HashMap::new(),
            deleted: false,
        });
        entry.tx.send_replace(view.clone());
        for name in &wanted {
            let name = name.as_str();
            if entry.tails.contains_key(name) {
                continue;
            }
            let Some(c) = view.container(name) else {
                continue;
            };
            let src = Source {
                namespace: &view.namespace,
                pod: &view.name,
                container: name,
                node: &view.node,
                name_container: view.regular > 1 || c.kind != Kind::Regular,
                name_namespace: opts.all_namespaces,
            };
            let label = format::label(&src);
            let fmt = LineFormat::new(&opts.style, &src);
            self.sh.say(&format!("+ {label}"));
            let tail = Tail::new(
                self.sh.clone(),
                entry.tx.subscribe(),
                name,
                label.clone(),
                fmt,
                existing,
            );
            let (uid, cname) = (view.uid.clone(), name.to_string());
            let abort = self.tails.spawn(async move {
                let end = tail.run().await;
                (uid, cname, label, end)
            });
            entry
                .tails
                .insert(name.to_string(), TailState::Running(abort));
        }
    }

    fn delete(&mut self, uid: &str) {
        let Some(e) = self.pods.get_mut(uid) else {
            return;
        };
        e.deleted = true;
        e.tx.send_modify(|v| {
            let mut gone = (**v).clone();
            gone.deleted = true;
            *v = Arc::new(gone);
        });
        for t in e.tails.values() {
            if let TailState::Running(abort) = t {
                let abort = abort.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(DELETE_GRACE).await;
                    abort.abort();
                });
            }
        }
        if !e.tails.values().any(TailState::running) {
            self.pods.remove(uid);
        }
    }

    /// The pod UID, container and label of the tail task `id`.
    fn find_tail(&self, id: tokio::task::Id) -> Option<(String, String, String)> {
        self.pods.iter().find_map(|(uid, e)| {
            e.tails.iter().find_map(|(c, t)| match t {
                TailState::Running(a) if a.id() == id => {
                    let view = e.tx.borrow();
                    let src = Source {
                        namespace: &view.namespace,
                        pod: &view.name,
                        container: c,
                        node: &view.node,
                        name_container: false,
                        name_namespace: self.sh.opts.all_namespaces,
                    };
                    Some((uid.clone(), c.clone(), format::label(&src)))
                }
                _ => None,
            })
        })
    }

    fn ended(&mut self, done: Result<(String, String, String, End), tokio::task::JoinError>) {
        let (uid, container, label) = match done {
            Ok((uid, container, label, _end)) => (uid, container, label),
            Err(e) if e.is_cancelled() => {
                // Aborted after its pod's deletion grace period.
                let Some((uid, container, label)) = self.find_tail(e.id()) else {
                    return;
                };
                (uid, container, label)
            }
            Err(e) => {
                // A tail that panicked is a bug; the others carry on.
                self.sh.say(&format!("kubetac: a log tail failed: {e}"));
                return;
            }
        };
        self.sh.say(&format!("- {label}"));
        if let Some(e) = self.pods.get_mut(&uid) {
            e.tails.insert(container, TailState::Ended);
            if e.deleted && !e.tails.values().any(TailState::running) {
                self.pods.remove(&uid);
            }
        }
    }
}
