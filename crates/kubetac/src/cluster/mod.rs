//! The Kubernetes access layer (named `cluster` so it does not shadow the
//! `kube` crate): the only code that talks to the API server.
//! It builds a kube-rs client from a kubeconfig (`--kubeconfig`, `KUBECONFIG`,
//! `~/.kube/config`, `--context`) or the in-cluster service account, bounds
//! every request in time, and turns what can go wrong into one clear error
//! that names what was tried — never a hang, a panic or a raw HTTP dump.

use std::path::PathBuf;
use std::time::Duration;

use futures::Stream;
use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, ListParams, ObjectList};
use kube::config::{KubeConfigOptions, Kubeconfig, KubeconfigError};
use serde::de::DeserializeOwned;

/// How long one ordinary (non-streaming) request may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Page size for lists: bounded memory on clusters of any size.
pub const PAGE_SIZE: u32 = 500;

/// Where to find the cluster, as kubectl's flags say it.
#[derive(Debug, Clone, Default)]
pub struct Target {
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
}

/// What went wrong reaching or asking the cluster. Each variant's message is
/// what the operator reads.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    /// No kubeconfig could be found and we are not in a cluster.
    #[error(
        "no cluster configured: no kubeconfig ({0}) and not running in a cluster; use --kubeconfig or KUBECONFIG"
    )]
    NoConfig(String),
    /// The kubeconfig could not be read or parsed.
    #[error("reading kubeconfig {path}: {reason}")]
    BadKubeconfig { path: String, reason: String },
    /// The asked-for context is not in the kubeconfig.
    #[error("context \"{context}\" not found in kubeconfig{}", if .known.is_empty() { String::new() } else { format!(" (contexts: {})", .known.join(", ")) })]
    UnknownContext { context: String, known: Vec<String> },
    /// The client could not be built from the configuration.
    #[error("configuring the client for {server}: {reason}")]
    Client { server: String, reason: String },
    /// The API server did not answer: down, wrong address, network.
    #[error("cannot reach the cluster at {server}: {reason}")]
    Unreachable { server: String, reason: String },
    /// The API server took too long.
    #[error("the cluster at {server} did not answer {what} within {}s", .after.as_secs())]
    Timeout {
        server: String,
        what: String,
        after: Duration,
    },
    /// Credentials refused (401).
    #[error(
        "the cluster at {server} refused our credentials (401 Unauthorized): log in again or check the kubeconfig's user"
    )]
    Unauthorized { server: String },
    /// RBAC said no (403).
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The object is not there (404).
    #[error("{0}")]
    NotFound(String),
    /// Any other refusal from the API server, with its message.
    #[error("{what}: {message} ({code} {reason})")]
    Api {
        what: String,
        code: u16,
        reason: String,
        message: String,
    },
}

/// A connected cluster.
#[derive(Clone)]
pub struct Cluster {
    pub client: kube::Client,
    /// The same connection without kube-rs's retries of 503/504/429: a
    /// node or pod behind a proxy that does not answer is reported at
    /// once, not retried until the time bound.
    pub proxy_client: kube::Client,
    /// The namespace of the current context (or the pod's, in a cluster).
    pub default_namespace: String,
    pub server: String,
    pub context: String,
}

impl Cluster {
    pub async fn connect(target: &Target) -> Result<Self, AccessError> {
        let opts = KubeConfigOptions {
            context: target.context.clone(),
            ..Default::default()
        };
        let (config, context) = match &target.kubeconfig {
            Some(path) => {
                let kc = Kubeconfig::read_from(path).map_err(|e| AccessError::BadKubeconfig {
                    path: path.display().to_string(),
                    reason: root_cause(&e),
                })?;
                from_kubeconfig(kc, &opts, &path.display().to_string()).await?
            }
            None => match Kubeconfig::read() {
                Ok(kc) => {
                    let where_ =
                        std::env::var("KUBECONFIG").unwrap_or_else(|_| "~/.kube/config".into());
                    from_kubeconfig(kc, &opts, &where_).await?
                }
                Err(KubeconfigError::FindPath) | Err(KubeconfigError::ReadConfig(..))
                    if target.context.is_none() =>
                {
                    match kube::Config::incluster() {
                        Ok(c) => (c, "in-cluster".to_string()),
                        Err(_) => {
                            return Err(AccessError::NoConfig(
                                std::env::var("KUBECONFIG")
                                    .unwrap_or_else(|_| "~/.kube/config".into()),
                            ));
                        }
                    }
                }
                Err(e) => {
                    return Err(AccessError::BadKubeconfig {
                        path: std::env::var("KUBECONFIG")
                            .unwrap_or_else(|_| "~/.kube/config".into()),
                        reason: root_cause(&e),
                    });
                }
            },
        };
        let mut config = config;
        config.connect_timeout = Some(Duration::from_secs(5));
        let server = config
            .cluster_url
            .to_string()
            .trim_end_matches('/')
            .to_string();
        let default_namespace = config.default_namespace.clone();
        let mut proxy_config = config.clone();
        proxy_config.default_retry = false;
        let client = kube::Client::try_from(config).map_err(|e| AccessError::Client {
            server: server.clone(),
            reason: root_cause(&e),
        })?;
        let proxy_client =
            kube::Client::try_from(proxy_config).map_err(|e| AccessError::Client {
                server: server.clone(),
                reason: root_cause(&e),
            })?;
        Ok(Cluster {
            client,
            proxy_client,
            default_namespace,
            server,
            context,
        })
    }

    /// The server and the context it came from, for messages.
    fn where_(&self) -> String {
        format!("{} (context \"{}\")", self.server, self.context)
    }

    /// Maps a kube-rs error to what the operator should read; `what` names
    /// the request ("listing pods in smf-data").
    pub fn error(&self, what: &str, e: kube::Error) -> AccessError {
        match e {
            kube::Error::Api(s) => match s.code {
                401 => AccessError::Unauthorized {
                    server: self.server.clone(),
                },
                403 => AccessError::Forbidden(s.message.clone()),
                404 => AccessError::NotFound(if s.message.is_empty() {
                    format!("{what}: not found")
                } else {
                    s.message.clone()
                }),
                code => AccessError::Api {
                    what: what.to_string(),
                    code,
                    reason: s.reason.clone(),
                    message: s.message.clone(),
                },
            },
            other => {
                let reason = root_cause(&other);
                AccessError::Unreachable {
                    server: self.where_(),
                    reason: format!("{reason} (while {what})"),
                }
            }
        }
    }

    /// Runs one request with the standard time bound and error mapping.
    pub async fn call<T>(
        &self,
        what: &str,
        fut: impl std::future::Future<Output = Result<T, kube::Error>>,
    ) -> Result<T, AccessError> {
        match tokio::time::timeout(REQUEST_TIMEOUT, fut).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(self.error(what, e)),
            Err(_) => Err(AccessError::Timeout {
                server: self.where_(),
                what: what.to_string(),
                after: REQUEST_TIMEOUT,
            }),
        }
    }

    /// Fails with a clear message when the namespace does not exist. A
    /// user allowed to read pods but not namespaces is let through.
    pub async fn check_namespace(&self, ns: &str) -> Result<(), AccessError> {
        let api: Api<Namespace> = Api::all(self.client.clone());
        match self
            .call(&format!("looking up namespace {ns}"), api.get(ns))
            .await
        {
            Ok(_) | Err(AccessError::Forbidden(_)) => Ok(()),
            Err(AccessError::NotFound(_)) => Err(AccessError::NotFound(format!(
                "namespace \"{ns}\" not found"
            ))),
            Err(e) => Err(e),
        }
    }

    /// GET of a raw API path (node and pod proxies), bounded in time, as bytes.
    pub async fn get_raw(&self, path: &str, what: &str) -> Result<Vec<u8>, AccessError> {
        let req = http::Request::get(path)
            .body(Vec::new())
            .map_err(|e| AccessError::Client {
                server: self.server.clone(),
                reason: format!("bad request path {path}: {e}"),
            })?;
        let fut = async {
            let mut stream = self.proxy_client.request_stream(req).await?;
            let mut buf = Vec::new();
            futures::AsyncReadExt::read_to_end(&mut stream, &mut buf)
                .await
                .map_err(|e| kube::Error::Service(Box::new(e)))?;
            Ok::<_, kube::Error>(buf)
        };
        self.call(what, fut).await
    }

    /// GET of a raw API path as a stream (large files: core dumps), bounded
    /// in time only until the answer starts.
    pub async fn get_raw_stream(
        &self,
        path: &str,
        what: &str,
    ) -> Result<impl futures::AsyncBufRead + use<>, AccessError> {
        let req = http::Request::get(path)
            .body(Vec::new())
            .map_err(|e| AccessError::Client {
                server: self.server.clone(),
                reason: format!("bad request path {path}: {e}"),
            })?;
        self.call(what, self.proxy_client.request_stream(req)).await
    }

    /// Lists page by page (`limit`/`continue`), yielding each page as it
    /// arrives, so memory stays bounded however many objects there are.
    pub fn list_pages<K>(
        &self,
        api: Api<K>,
        lp: ListParams,
        what: String,
    ) -> impl Stream<Item = Result<ObjectList<K>, AccessError>> + '_
    where
        K: kube::Resource + Clone + DeserializeOwned + std::fmt::Debug + 'static,
    {
        async_stream::stream! {
            let mut lp = lp.limit(PAGE_SIZE);
            loop {
                let page = match self.call(&what, api.list(&lp)).await {
                    Ok(p) => p,
                    Err(e) => { yield Err(e); break; }
                };
                let next = page.metadata.continue_.clone().filter(|c| !c.is_empty());
                yield Ok(page);
                match next {
                    Some(c) => lp = lp.continue_token(&c),
                    None => break,
                }
            }
        }
    }
}

async fn from_kubeconfig(
    kc: Kubeconfig,
    opts: &KubeConfigOptions,
    path: &str,
) -> Result<(kube::Config, String), AccessError> {
    let known: Vec<String> = kc.contexts.iter().map(|c| c.name.clone()).collect();
    let context = opts
        .context
        .clone()
        .or_else(|| kc.current_context.clone())
        .unwrap_or_default();
    if let Some(want) = &opts.context
        && !known.contains(want)
    {
        return Err(AccessError::UnknownContext {
            context: want.clone(),
            known,
        });
    }
    let cfg = kube::Config::from_custom_kubeconfig(kc, opts)
        .await
        .map_err(|e| match e {
            KubeconfigError::LoadContext(_) | KubeconfigError::CurrentContextNotSet => {
                AccessError::UnknownContext {
                    context: context.clone(),
                    known: known.clone(),
                }
            }
            other => AccessError::BadKubeconfig {
                path: path.to_string(),
                reason: root_cause(&other),
            },
        })?;
    Ok((cfg, context))
}

/// The innermost cause, which is the one that says what happened
/// ("Connection refused (os error 111)").
pub fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut msg = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let s = c.to_string();
        if !s.is_empty() {
            msg = s;
        }
        cur = c.source();
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_what_was_tried() {
        let e = AccessError::UnknownContext {
            context: "prod".into(),
            known: vec!["brusmi".into()],
        };
        assert_eq!(
            e.to_string(),
            "context \"prod\" not found in kubeconfig (contexts: brusmi)"
        );
        let e = AccessError::Timeout {
            server: "https://x".into(),
            what: "listing pods".into(),
            after: REQUEST_TIMEOUT,
        };
        assert_eq!(
            e.to_string(),
            "the cluster at https://x did not answer listing pods within 10s"
        );
    }

    #[tokio::test]
    async fn a_missing_context_is_refused_before_any_request() {
        let dir = tempfile::tempdir().unwrap();
        let kc = dir.path().join("kc");
        std::fs::write(
            &kc,
            "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:1\ncontexts:\n- name: a\n  context:\n    cluster: c\n    user: u\nusers:\n- name: u\n  user:\n    token: t\ncurrent-context: a\n",
        )
        .unwrap();
        let _ = rustls::crypto::ring::default_provider().install_default();
        let err = Cluster::connect(&Target {
            kubeconfig: Some(kc),
            context: Some("b".into()),
        })
        .await
        .err()
        .unwrap();
        assert_eq!(
            err.to_string(),
            "context \"b\" not found in kubeconfig (contexts: a)"
        );
    }
}
