//! The API server's service proxy (`services/{name}[:port]/proxy/...`). The
//! simulator runs no workloads behind its Services, so a Service answers
//! only when it is given an upstream (a real HTTP server on this machine,
//! such as the Prometheus `SimConfig::prometheus` starts); any other Service
//! answers as one without ready endpoints does on a real cluster.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, Method, Request, Uri, header};
use axum::response::Response;
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

use super::{ApiState, status};
use crate::resources::{RESOURCES, index_of};

/// The upstreams Services forward to, by (namespace, name), and the client
/// that reaches them. One per simulator: pooled connections belong to the
/// runtime that opened them.
pub struct ServiceUpstreams {
    upstreams: RwLock<HashMap<(String, String), Uri>>,
    client: Client<HttpConnector, Full<Bytes>>,
}

impl std::fmt::Debug for ServiceUpstreams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(
                self.upstreams
                    .read()
                    .unwrap_or_else(|e| e.into_inner())
                    .iter()
                    .map(|((ns, n), u)| (format!("{ns}/{n}"), u.to_string())),
            )
            .finish()
    }
}

impl Default for ServiceUpstreams {
    fn default() -> Self {
        ServiceUpstreams {
            upstreams: RwLock::default(),
            client: Client::builder(TokioExecutor::new()).build_http(),
        }
    }
}

impl ServiceUpstreams {
    /// Routes the Service's proxy to `url` (`http://host:port[/prefix]`),
    /// replacing any earlier upstream.
    pub fn set(&self, namespace: &str, name: &str, url: &str) -> Result<(), String> {
        let uri = parse_upstream(url)?;
        self.upstreams
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert((namespace.to_string(), name.to_string()), uri);
        Ok(())
    }

    fn get(&self, namespace: &str, name: &str) -> Option<Uri> {
        self.upstreams
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&(namespace.to_string(), name.to_string()))
            .cloned()
    }
}

/// Plain http only: upstreams are local test servers, and the proxy does
/// not carry a trust store for anything else.
pub fn parse_upstream(url: &str) -> Result<Uri, String> {
    let uri: Uri = url
        .parse()
        .map_err(|e| format!("{url:?} is not a URL: {e}"))?;
    if uri.scheme_str() != Some("http") {
        return Err(format!(
            "{url:?}: only http:// upstreams are supported (like http://127.0.0.1:9090)"
        ));
    }
    if uri.authority().is_none() {
        return Err(format!("{url:?} has no host"));
    }
    if uri.query().is_some() {
        return Err(format!("{url:?}: an upstream cannot have a query string"));
    }
    Ok(uri)
}

/// `name`, `name:port`, `scheme:name:port` → (name, port), as the server's
/// SplitSchemedHostPort reads a proxy id; None when malformed.
fn split_id(id: &str) -> Option<(&str, &str)> {
    let parts: Vec<&str> = id.split(':').collect();
    let (name, port) = match parts.as_slice() {
        [n] => (*n, ""),
        [n, p] => (*n, *p),
        [s, n, p] if *s == "http" || *s == "https" || s.is_empty() => (*n, *p),
        _ => return None,
    };
    (!name.is_empty()).then_some((name, port))
}

/// Resolves the requested port against the Service's ports: a number must
/// be one of them (the real server answers 503 otherwise); a name is kept.
fn port_name(svc: &Value, name: &str, port: &str) -> Result<Option<String>, Response> {
    if port.is_empty() {
        return Ok(None);
    }
    let ports = svc
        .pointer("/spec/ports")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let Ok(num) = port.parse::<i64>() else {
        return Ok(Some(port.to_string()));
    };
    match ports.iter().find(|p| p["port"].as_i64() == Some(num)) {
        Some(p) => Ok(Some(p["name"].as_str().unwrap_or_default().to_string())),
        None => Err(status::status(
            503,
            "ServiceUnavailable",
            &format!("no service port {num} found for service \"{name}\""),
            None,
        )),
    }
}

pub(super) struct ProxyRequest<'a> {
    pub method: Method,
    pub namespace: &'a str,
    pub id: &'a str,
    pub tail: &'a [&'a str],
    pub trailing_slash: bool,
    pub headers: &'a HeaderMap,
    pub query: Option<&'a str>,
    pub body: Bytes,
}

pub(super) async fn service_proxy(st: &Arc<ApiState>, r: ProxyRequest<'_>) -> Response {
    let Some((name, port)) = split_id(r.id) else {
        return status::bad_request(&format!("invalid service request {:?}", r.id));
    };
    let services = index_of("services");
    let Some(obj) = st.store.get(services, r.namespace, name) else {
        return status::not_found(&RESOURCES[services], name);
    };
    let svc = obj.value();
    let wanted = match port_name(&svc, name, port) {
        Ok(p) => p,
        Err(resp) => return resp,
    };
    let unavailable = |what: &str| {
        status::status(
            503,
            "ServiceUnavailable",
            &format!("no endpoints available for service \"{what}\""),
            None,
        )
    };
    let Some(base) = st.services.get(r.namespace, name) else {
        return unavailable(name);
    };
    // A port name no Service port has matches no endpoint port; the real
    // server then names the whole id it was given.
    if let Some(w) = wanted.as_deref().filter(|w| !w.is_empty()) {
        let has = svc
            .pointer("/spec/ports")
            .and_then(Value::as_array)
            .is_some_and(|ps| ps.iter().any(|p| p["name"].as_str() == Some(w)));
        if !has {
            return unavailable(r.id);
        }
    }
    forward(st, &base, r).await
}

async fn forward(st: &ApiState, base: &Uri, r: ProxyRequest<'_>) -> Response {
    let prefix = base.path().trim_end_matches('/');
    let mut target = format!("{prefix}/{}", r.tail.join("/"));
    if r.trailing_slash && !r.tail.is_empty() {
        target.push('/');
    }
    if let Some(q) = r.query {
        target.push('?');
        target.push_str(q);
    }
    let authority = base.authority().map(|a| a.as_str()).unwrap_or_default();
    let uri = format!("http://{authority}{target}");
    let mut req = Request::builder().method(r.method.clone()).uri(&uri);
    // Only what describes the payload: the caller's credentials are for the
    // API server, and the upstream must not compress what we pass through.
    for h in [
        header::CONTENT_TYPE,
        header::ACCEPT,
        header::RANGE,
        header::IF_NONE_MATCH,
        header::IF_MODIFIED_SINCE,
    ] {
        if let Some(v) = r.headers.get(&h) {
            req = req.header(h, v);
        }
    }
    let Ok(req) = req.body(Full::new(r.body)) else {
        return status::bad_request("malformed proxy path");
    };
    let resp = match st.services.client.request(req).await {
        Ok(resp) => resp,
        Err(e) => {
            let msg = if e.is_connect() {
                format!(
                    "error trying to reach service: dial tcp {authority}: connect: connection refused"
                )
            } else {
                format!("error trying to reach service: {e}")
            };
            return status::status(503, "ServiceUnavailable", &msg, None);
        }
    };
    let (parts, body) = resp.into_parts();
    let mut out = Response::new(Body::new(body));
    *out.status_mut() = parts.status;
    for h in [
        header::CONTENT_TYPE,
        header::CONTENT_ENCODING,
        header::CONTENT_DISPOSITION,
        header::CACHE_CONTROL,
        header::ETAG,
        header::LAST_MODIFIED,
    ] {
        if let Some(v) = parts.headers.get(&h) {
            out.headers_mut().insert(h, v.clone());
        }
    }
    // A redirect to an upstream path must stay under the proxy, as the real
    // server rewrites it, or a browser would leave the proxy.
    if let Some(loc) = parts
        .headers
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
    {
        let rewritten = match loc.strip_prefix(prefix).filter(|l| l.starts_with('/')) {
            Some(rest) if loc.starts_with('/') => format!(
                "/api/v1/namespaces/{}/services/{}/proxy{rest}",
                r.namespace, r.id
            ),
            _ => loc.to_string(),
        };
        if let Ok(v) = HeaderValue::from_str(&rewritten) {
            out.headers_mut().insert(header::LOCATION, v);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_ids() {
        assert_eq!(split_id("prometheus"), Some(("prometheus", "")));
        assert_eq!(split_id("prometheus:9090"), Some(("prometheus", "9090")));
        assert_eq!(split_id("prometheus:web"), Some(("prometheus", "web")));
        assert_eq!(
            split_id("https:prometheus:web"),
            Some(("prometheus", "web"))
        );
        assert_eq!(split_id("http:prometheus:"), Some(("prometheus", "")));
        assert_eq!(split_id("ftp:prometheus:web"), None);
        assert_eq!(split_id(":9090"), None);
        assert_eq!(split_id("a:b:c:d"), None);
    }

    #[test]
    fn ports_by_number_and_name() {
        let svc = serde_json::json!({"spec": {"ports": [
            {"name": "web", "port": 9090, "targetPort": 9090},
            {"name": "", "port": 80}
        ]}});
        assert_eq!(port_name(&svc, "p", "").ok(), Some(None));
        assert_eq!(port_name(&svc, "p", "9090").ok(), Some(Some("web".into())));
        assert_eq!(port_name(&svc, "p", "80").ok(), Some(Some(String::new())));
        assert_eq!(port_name(&svc, "p", "web").ok(), Some(Some("web".into())));
        let refused = port_name(&svc, "p", "1234").unwrap_err();
        assert_eq!(refused.status(), 503);
    }

    #[test]
    fn upstream_urls() {
        assert!(parse_upstream("http://127.0.0.1:9090").is_ok());
        assert!(parse_upstream("http://127.0.0.1:9090/prefix/").is_ok());
        assert!(parse_upstream("https://127.0.0.1:9090").is_err());
        assert!(parse_upstream("127.0.0.1:9090").is_err());
        assert!(parse_upstream("http://h:1/?q=1").is_err());
    }
}
