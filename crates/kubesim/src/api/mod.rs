//! The HTTP face of the simulated cluster: routing like kube-apiserver's
//! (`/api/v1/...`, `/apis/{group}/{version}/...`), bearer-token
//! authentication, fault injection, and the handlers for discovery, objects
//! (get, list, watch, Table), pod logs, the kubelet's node proxy and the
//! pod and service proxies.
//!
//! `app()` returns a plain `Router`, so handlers are tested without a socket.

// Handlers return the answer to send as their error (`Result<_, Response>`):
// it is taken once per request at most, so boxing it would buy nothing.
#![allow(clippy::result_large_err)]

mod discovery;
mod logs;
mod nodeproxy;
mod objects;
mod podproxy;
pub mod status;
mod svcproxy;

pub use svcproxy::{ServiceUpstreams, parse_upstream};

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use tokio_util::sync::CancellationToken;

use crate::fault::Faults;
use crate::kubelet::Kubelet;
use crate::resources::{self, Resource};
use crate::store::Store;

/// What the handlers share.
pub struct ApiState {
    pub store: Arc<Store>,
    pub kubelet: Arc<Kubelet>,
    pub token: String,
    pub version: String,
    /// host:port clients use, for `/api`'s serverAddressByClientCIDRs.
    pub server_address: std::sync::OnceLock<String>,
    pub faults: Faults,
    /// How often a watch that allows bookmarks gets one.
    pub bookmark_interval: std::time::Duration,
    /// Ends every open watch and log stream when the simulator stops.
    pub shutdown: CancellationToken,
    /// The node agents the pod proxy reaches, by node name.
    pub agents: HashMap<String, Router>,
    /// Where the service proxy forwards, by Service.
    pub services: ServiceUpstreams,
}

pub fn app(state: Arc<ApiState>) -> Router {
    Router::new().fallback(handle).with_state(state)
}

type Params = HashMap<String, String>;

async fn handle(
    State(st): State<Arc<ApiState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    Query(params): Query<Params>,
    body: Bytes,
) -> Response {
    let path = uri.path().to_string();
    // Credentials that do not authenticate are refused on every path, as the
    // server's authentication filter does before anything else.
    let auth = authenticate(&st, &headers);
    if auth == Auth::Invalid {
        return status::unauthorized();
    }
    // Liveness and version are public on a real server too.
    match path.as_str() {
        "/healthz" | "/livez" | "/readyz" => return "ok".into_response(),
        "/version" | "/version/" => return json(&discovery::version(&st.version)),
        _ => {}
    }
    if auth != Auth::Valid {
        return status::unauthorized();
    }
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    // Discovery documents.
    match segs.as_slice() {
        ["api"] => {
            let addr = st.server_address.get().cloned().unwrap_or_default();
            return json(&discovery::api_versions(&addr));
        }
        ["api", "v1"] => return json(&discovery::resource_list("", "v1").unwrap_or_default()),
        ["apis"] => return json(&discovery::api_group_list()),
        ["apis", g] => {
            return match discovery::api_group(g) {
                Some(v) => json(&v),
                None => status::page_not_found(),
            };
        }
        ["apis", g, v] => {
            return match discovery::resource_list(g, v) {
                Some(v) => json(&v),
                None => status::page_not_found(),
            };
        }
        _ => {}
    }
    let (group, version, rest) = match segs.as_slice() {
        ["api", "v1", rest @ ..] => ("", "v1", rest),
        ["apis", g, v, rest @ ..] => (*g, *v, rest),
        _ => return status::page_not_found(),
    };
    let Some(target) = Target::parse(group, version, rest) else {
        return status::page_not_found();
    };
    if let Some(l) = st.faults.latency {
        tokio::time::sleep(l).await;
    }
    if st.faults.should_fail() {
        return injected_failure(st.faults.error_code);
    }
    if let Some(r) = forbidden(&st, &method, &target, &params) {
        return r;
    }
    route(&st, method, target, &headers, &params, body, &uri).await
}

/// The 403 RBAC gives, for resources `--fault forbid=` names.
fn forbidden(st: &ApiState, method: &Method, t: &Target, params: &Params) -> Option<Response> {
    let resource = match t.sub {
        Some(sub) => format!("{}/{sub}", t.res.plural),
        None => t.res.plural.to_string(),
    };
    if !st.faults.forbids(&resource) {
        return None;
    }
    let verb = match (method.as_str(), t.name) {
        ("GET", None)
            if params
                .get("watch")
                .is_some_and(|w| w != "false" && w != "0") =>
        {
            "watch"
        }
        ("GET", None) => "list",
        ("GET", Some(_)) => "get",
        ("POST", _) => "create",
        ("DELETE", _) => "delete",
        _ => "update",
    };
    let what = match t.name {
        Some(n) => format!("{} \"{n}\"", t.res.plural),
        None => t.res.plural.to_string(),
    };
    let scope = match t.namespace {
        Some(ns) => format!("in the namespace \"{ns}\""),
        None => "at the cluster scope".to_string(),
    };
    let msg = format!(
        "{what} is forbidden: User \"kubesim-viewer\" cannot {verb} resource \"{resource}\" in API group \"{}\" {scope}",
        t.res.group
    );
    let mut details = serde_json::json!({"kind": t.res.plural});
    if let Some(n) = t.name {
        details["name"] = serde_json::json!(n);
    }
    Some(status::status(403, "Forbidden", &msg, Some(details)))
}

#[derive(Debug, PartialEq, Eq)]
enum Auth {
    /// No credentials: only the public paths answer.
    Anonymous,
    Valid,
    /// Credentials were given and are wrong.
    Invalid,
}

/// As the bearer-token authenticator reads the header: no header, another
/// scheme or an empty token is no credential at all; a bearer token that is
/// not ours fails authentication.
fn authenticate(st: &ApiState, headers: &HeaderMap) -> Auth {
    let Some(v) = headers
        .get(header::AUTHORIZATION)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_string())
    else {
        return Auth::Anonymous;
    };
    let mut parts = v.splitn(3, ' ');
    let (Some(scheme), Some(token)) = (parts.next(), parts.next()) else {
        return Auth::Anonymous;
    };
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Auth::Anonymous;
    }
    if token == st.token {
        Auth::Valid
    } else {
        Auth::Invalid
    }
}

fn injected_failure(code: u16) -> Response {
    if code == 429 {
        let mut r = status::status(
            429,
            "TooManyRequests",
            "Too many requests, please try again later.",
            Some(serde_json::json!({"retryAfterSeconds": 1})),
        );
        r.headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
        r
    } else {
        // As errors.NewInternalError words it: the message is the cause's.
        let cause = "injected fault (kubesim --fault)";
        status::status(
            500,
            "InternalError",
            &format!("Internal error occurred: {cause}"),
            Some(serde_json::json!({"causes": [{"message": cause}]})),
        )
    }
}

/// What a resource URL addresses.
#[derive(Debug)]
struct Target<'a> {
    res_idx: usize,
    res: &'static Resource,
    namespace: Option<&'a str>,
    name: Option<&'a str>,
    sub: Option<&'a str>,
    /// Path after the subresource (node proxy `logs/...`).
    tail: Vec<&'a str>,
}

impl<'a> Target<'a> {
    fn parse(group: &str, version: &str, rest: &'a [&'a str]) -> Option<Self> {
        let (namespace, rest) = match rest {
            ["namespaces", ns, plural, more @ ..] => (Some(*ns), {
                let mut v = vec![*plural];
                v.extend_from_slice(more);
                v
            }),
            other => (None, other.to_vec()),
        };
        let plural = *rest.first()?;
        let (res_idx, res) = resources::by_path(group, version, plural)?;
        if namespace.is_some() && !res.namespaced {
            return None;
        }
        let name = rest.get(1).copied().filter(|n| !n.is_empty());
        let sub = rest.get(2).copied();
        let tail = rest.get(3..).map(|t| t.to_vec()).unwrap_or_default();
        if res.namespaced && namespace.is_none() && name.is_some() {
            return None;
        }
        Some(Target {
            res_idx,
            res,
            namespace,
            name,
            sub,
            tail,
        })
    }
}

async fn route(
    st: &Arc<ApiState>,
    method: Method,
    t: Target<'_>,
    headers: &HeaderMap,
    params: &Params,
    body: Bytes,
    uri: &Uri,
) -> Response {
    match (t.name, t.sub) {
        (None, _) => match method {
            Method::GET => {
                if query_bool(params, "watch") {
                    objects::watch(st, &t, headers, params)
                } else {
                    objects::list(st, &t, headers, params)
                }
            }
            Method::POST if t.res.plural == "pods" => objects::create_pod(st, &t, body),
            _ => status::method_not_allowed(),
        },
        (Some(name), None) => match method {
            Method::GET => objects::get(st, &t, name, headers, params),
            Method::DELETE if t.res.plural == "pods" => objects::delete_pod(st, &t, name),
            _ => status::method_not_allowed(),
        },
        (Some(name), Some(sub)) => match (t.res.plural, sub) {
            ("pods", "log") => {
                if method != Method::GET {
                    return status::method_not_allowed();
                }
                logs::pod_log(st, t.namespace.unwrap_or_default(), name, params).await
            }
            ("pods", "proxy") => {
                if method != Method::GET {
                    return status::method_not_allowed();
                }
                podproxy::pod_proxy(
                    st,
                    t.namespace.unwrap_or_default(),
                    name,
                    &t.tail,
                    headers,
                    uri.query(),
                )
                .await
            }
            ("services", "proxy") => {
                if method != Method::GET && method != Method::POST {
                    return status::method_not_allowed();
                }
                let req = svcproxy::ProxyRequest {
                    method,
                    namespace: t.namespace.unwrap_or_default(),
                    id: name,
                    tail: &t.tail,
                    trailing_slash: uri.path().ends_with('/'),
                    headers,
                    query: uri.query(),
                    body,
                };
                svcproxy::service_proxy(st, req).await
            }
            ("nodes", "proxy") => {
                if method != Method::GET {
                    return status::method_not_allowed();
                }
                nodeproxy::node_proxy(st, name, &t.tail, params).await
            }
            (_, "status") if t.res.subresources.iter().any(|(s, _, _)| *s == "status") => {
                if method != Method::GET {
                    return status::method_not_allowed();
                }
                objects::get(st, &t, name, headers, params)
            }
            _ => status::page_not_found(),
        },
    }
}

/// A boolean query parameter as the server's parameter conversion reads it:
/// present and neither "0" nor "false" (in any case) is true, so `?watch`
/// alone is a watch.
pub(super) fn query_bool(params: &Params, k: &str) -> bool {
    params
        .get(k)
        .is_some_and(|v| v != "0" && !v.eq_ignore_ascii_case("false"))
}

/// An integer query parameter (empty is absent); a malformed one is the 400
/// the server's decoding answers, with Go's strconv message.
pub(super) fn query_int(params: &Params, k: &str) -> Result<Option<i64>, Response> {
    let Some(s) = params.get(k).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    s.parse::<i64>().map(Some).map_err(|e| {
        let why = match e.kind() {
            std::num::IntErrorKind::PosOverflow | std::num::IntErrorKind::NegOverflow => {
                "value out of range"
            }
            _ => "invalid syntax",
        };
        status::bad_request(&format!(
            "strconv.ParseInt: parsing {}: {why}",
            serde_json::to_string(s).unwrap_or_default()
        ))
    })
}

fn json(v: &serde_json::Value) -> Response {
    status::json_response(StatusCode::OK, serde_json::to_vec(v).unwrap_or_default())
}

/// A streaming body of chunks (watch events, followed logs).
fn stream_response(
    content_type: &'static str,
    stream: impl futures::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static,
) -> Response {
    let mut r = Response::new(Body::from_stream(stream));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(content_type),
    );
    r
}
