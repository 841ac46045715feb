//! get, list (selectors, paging), watch (resume, bookmarks, watch-list) and
//! server-side printing (Table) of stored objects, with the real server's
//! JSON shapes.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use base64::Engine;
use serde_json::{Value, json};

use super::{ApiState, Params, Target, status};
use crate::printers;
use crate::resources::RESOURCES;
use crate::selector::{FieldSelector, LabelSelector, supported_fields};
use crate::store::{Change, EventType, Obj};

/// What the client asked the objects to look like.
#[derive(Clone, Copy, PartialEq, Eq)]
enum IncludeObject {
    None,
    Metadata,
    Object,
}

#[derive(Clone, Copy)]
enum Format {
    Json,
    Table(IncludeObject),
    /// `as=PartialObjectMetadata` (or `...List`): metadata only, what
    /// kube-rs' metadata APIs and client-go's metadata informers ask for.
    Metadata,
}

fn format(headers: &HeaderMap, params: &Params) -> Format {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|a| a.to_str().ok())
        .unwrap_or_default();
    // Clients offer the transformed form first and plain JSON as a fallback.
    let first = accept.split(',').next().unwrap_or_default();
    let as_ = first
        .split(';')
        .filter_map(|p| p.trim().strip_prefix("as="))
        .next()
        .unwrap_or_default();
    match as_ {
        "Table" => {
            let inc = match params.get("includeObject").map(String::as_str) {
                Some("None") => IncludeObject::None,
                Some("Object") => IncludeObject::Object,
                _ => IncludeObject::Metadata,
            };
            Format::Table(inc)
        }
        "PartialObjectMetadata" | "PartialObjectMetadataList" => Format::Metadata,
        _ => Format::Json,
    }
}

struct Filter {
    labels: LabelSelector,
    fields: FieldSelector,
}

impl Filter {
    fn parse(t: &Target, params: &Params) -> Result<Self, Response> {
        let labels = LabelSelector::parse(
            params
                .get("labelSelector")
                .map(String::as_str)
                .unwrap_or(""),
        )
        .map_err(|e| status::bad_request(&e.0))?;
        let fields = FieldSelector::parse(
            params
                .get("fieldSelector")
                .map(String::as_str)
                .unwrap_or(""),
            supported_fields(t.res.plural),
        )
        .map_err(|e| status::bad_request(&e.0))?;
        Ok(Filter { labels, fields })
    }

    fn keep(&self, o: &Obj) -> bool {
        self.labels.matches(&o.labels) && self.fields.matches(&|k| o.field(k))
    }

    fn is_empty(&self) -> bool {
        self.labels.is_empty() && self.fields.is_empty()
    }
}

fn now() -> jiff::Timestamp {
    jiff::Timestamp::now()
}

fn partial_metadata(v: &Value) -> Value {
    json!({
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": v.get("metadata").cloned().unwrap_or(json!({})),
    })
}

fn table_row(res: usize, obj: &Obj, inc: IncludeObject) -> Value {
    let r = &RESOURCES[res];
    let mut v = obj.value();
    let cells = printers::cells(r.plural, &v, now());
    let mut row = json!({"cells": cells});
    match inc {
        IncludeObject::None => {}
        IncludeObject::Metadata => row["object"] = partial_metadata(&v),
        IncludeObject::Object => {
            v["kind"] = json!(r.kind);
            v["apiVersion"] = json!(r.api_version());
            row["object"] = v;
        }
    }
    row
}

fn column_definitions(res: usize) -> Value {
    printers::columns(RESOURCES[res].plural)
        .iter()
        .map(|c| {
            json!({
                "name": c.name,
                "type": c.type_,
                "format": c.format,
                "description": c.description,
                "priority": c.priority,
            })
        })
        .collect()
}

fn table(res: usize, rows: Vec<Value>, metadata: Value, with_columns: bool) -> Value {
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": metadata,
        "columnDefinitions": if with_columns { column_definitions(res) } else { Value::Null },
        "rows": rows,
    })
}

pub(super) fn get(
    st: &Arc<ApiState>,
    t: &Target,
    name: &str,
    headers: &HeaderMap,
    params: &Params,
) -> Response {
    let ns = t.namespace.unwrap_or_default();
    let Some(obj) = st.store.get(t.res_idx, ns, name) else {
        return status::not_found(t.res, name);
    };
    match format(headers, params) {
        Format::Json => status::json_response(StatusCode::OK, obj.full_json()),
        Format::Metadata => super::json(&partial_metadata(&obj.value())),
        Format::Table(inc) => {
            let row = table_row(t.res_idx, &obj, inc);
            let v = table(
                t.res_idx,
                vec![row],
                json!({"resourceVersion": obj.rv.to_string()}),
                true,
            );
            super::json(&v)
        }
    }
}

#[derive(serde::Serialize, serde::Deserialize)]
struct ContinueToken {
    v: String,
    rv: u64,
    start: String,
}

/// Like the real server's tokens, `start` is relative to the list's key
/// prefix: `name` within a namespace, `namespace/name` across namespaces.
fn encode_continue(rv: u64, last: &Obj, in_namespace: bool) -> String {
    let start = if last.namespace.is_empty() || in_namespace {
        format!("{}\u{0}", last.name)
    } else {
        format!("{}/{}\u{0}", last.namespace, last.name)
    };
    let tok = ContinueToken {
        v: "meta.k8s.io/v1".into(),
        rv,
        start,
    };
    base64::engine::general_purpose::URL_SAFE.encode(serde_json::to_vec(&tok).unwrap_or_default())
}

/// The resourceVersion and the (namespace, name) key a continue token
/// resumes after.
fn decode_continue(
    s: &str,
    namespace: Option<&str>,
    namespaced: bool,
) -> Option<(u64, String, String)> {
    let raw = base64::engine::general_purpose::URL_SAFE
        .decode(s)
        .or_else(|_| base64::engine::general_purpose::STANDARD.decode(s))
        .ok()?;
    let tok: ContinueToken = serde_json::from_slice(&raw).ok()?;
    if tok.v != "meta.k8s.io/v1" || tok.rv == 0 {
        return None;
    }
    let start = tok.start.strip_suffix('\u{0}')?;
    if let Some(ns) = namespace {
        Some((tok.rv, ns.to_string(), start.to_string()))
    } else if namespaced {
        let (ns, name) = start.split_once('/')?;
        Some((tok.rv, ns.to_string(), name.to_string()))
    } else {
        Some((tok.rv, String::new(), start.to_string()))
    }
}

pub(super) fn list(
    st: &Arc<ApiState>,
    t: &Target,
    headers: &HeaderMap,
    params: &Params,
) -> Response {
    if let Err(r) = validate_list_options(params, false) {
        return r;
    }
    let filter = match Filter::parse(t, params) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let limit = match super::query_int(params, "limit") {
        Ok(l) => l.filter(|l| *l > 0).map(|l| l as usize),
        Err(r) => return r,
    };
    let after = match params.get("continue").filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => match decode_continue(c, t.namespace, t.res.namespaced) {
            Some(k) => Some(k),
            None => {
                return status::bad_request(
                    "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)",
                );
            }
        },
    };
    let (after, token_rv) = match after {
        Some((rv, ns, name)) => (Some((ns, name)), Some(rv)),
        None => (None, None),
    };
    let (page, store_rv, remaining) =
        st.store
            .list_page(t.res_idx, t.namespace, after, limit, &|o| filter.keep(o));
    // Every page of a paged list reads at the first page's resourceVersion
    // (the token carries it), as the server's snapshot reads do: a client
    // that watches from the list's resourceVersion then misses no change
    // made between pages.
    let rv = token_rv.unwrap_or(store_rv);
    let mut meta = format!("{{\"resourceVersion\":\"{rv}\"");
    if let Some(last) = page.last().filter(|_| remaining > 0) {
        meta.push_str(&format!(
            ",\"continue\":\"{}\"",
            encode_continue(rv, last, t.namespace.is_some())
        ));
        // The server counts what remains only when nothing filters the
        // list (etcd's count includes objects a selector would drop).
        if filter.is_empty() {
            meta.push_str(&format!(",\"remainingItemCount\":{remaining}"));
        }
    }
    meta.push('}');
    match format(headers, params) {
        Format::Table(inc) => {
            let rows = page.iter().map(|o| table_row(t.res_idx, o, inc)).collect();
            let meta: Value = serde_json::from_str(&meta).unwrap_or_default();
            super::json(&table(t.res_idx, rows, meta, true))
        }
        Format::Metadata => {
            let items: Vec<Value> = page.iter().map(|o| partial_metadata(&o.value())).collect();
            let mut out = format!(
                "{{\"kind\":\"PartialObjectMetadataList\",\"apiVersion\":\"meta.k8s.io/v1\",\"metadata\":{meta},\"items\":"
            )
            .into_bytes();
            out.extend_from_slice(&serde_json::to_vec(&items).unwrap_or_default());
            out.push(b'}');
            status::json_response(StatusCode::OK, out)
        }
        Format::Json => {
            // Assembled from the stored bytes: a 100,000-pod list is never
            // parsed and re-serialized.
            let mut out =
                Vec::with_capacity(page.iter().map(|o| o.body.len() + 1).sum::<usize>() + 256);
            out.extend_from_slice(
                format!(
                    "{{\"kind\":\"{}\",\"apiVersion\":\"{}\",\"metadata\":{},\"items\":[",
                    t.res.list_kind(),
                    t.res.api_version(),
                    meta
                )
                .as_bytes(),
            );
            for (i, o) in page.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(&o.body);
            }
            out.extend_from_slice(b"]}");
            status::json_response(StatusCode::OK, out)
        }
    }
}

pub(super) fn create_pod(st: &Arc<ApiState>, t: &Target, body: Bytes) -> Response {
    let Some(ns) = t.namespace else {
        return status::method_not_allowed();
    };
    let mut pod: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return status::bad_request(&format!("the object provided is unrecognized: {e}")),
    };
    if pod.get("kind").and_then(|k| k.as_str()) != Some("Pod") {
        return status::bad_request("the object provided is not a Pod");
    }
    pod["metadata"]["namespace"] = json!(ns);
    match st.kubelet.admit_pod(pod) {
        Ok(obj) => status::json_response(StatusCode::CREATED, obj.full_json()),
        Err(crate::kubelet::AdmitError::Exists(name)) => status::status(
            409,
            "AlreadyExists",
            &format!("pods \"{name}\" already exists"),
            Some(json!({"name": name, "kind": "pods"})),
        ),
        Err(e) => status::status(422, "Invalid", &e.to_string(), None),
    }
}

pub(super) fn delete_pod(st: &Arc<ApiState>, t: &Target, name: &str) -> Response {
    let ns = t.namespace.unwrap_or_default();
    match st.kubelet.remove_pod(ns, name) {
        Some(obj) => status::json_response(StatusCode::OK, obj.full_json()),
        None => status::not_found(t.res, name),
    }
}

/// Renders one watch event line, or None when it does not concern this watch.
struct WatchView {
    res: usize,
    namespace: Option<String>,
    filter: Filter,
    format: Format,
    sent_columns: bool,
}

impl WatchView {
    fn selected(&self, o: &Obj) -> bool {
        self.namespace.as_deref().is_none_or(|ns| ns == o.namespace) && self.filter.keep(o)
    }

    fn render(&mut self, kind: &str, obj: &Obj) -> Bytes {
        match self.format {
            // Straight from the stored bytes, in the real server's field
            // order: `{"type":...,"object":{"kind":...,"apiVersion":...`.
            Format::Json => event_line(kind, &obj.full_json()),
            Format::Metadata => event_line(
                kind,
                &serde_json::to_vec(&partial_metadata(&obj.value())).unwrap_or_default(),
            ),
            Format::Table(inc) => {
                let row = table_row(self.res, obj, inc);
                let first = !self.sent_columns;
                self.sent_columns = true;
                let t = table(
                    self.res,
                    vec![row],
                    json!({"resourceVersion": obj.rv.to_string()}),
                    first,
                );
                event_line(kind, &serde_json::to_vec(&t).unwrap_or_default())
            }
        }
    }

    /// The event a change makes for this watch, the way the watch cache
    /// decides it: a change into the selection is ADDED, one out of it is
    /// DELETED carrying the previous state at the change's resourceVersion.
    fn change(&mut self, c: &Change) -> Option<Bytes> {
        if c.obj.res != self.res {
            return None;
        }
        let now_in = c.kind != EventType::Deleted && self.selected(&c.obj);
        let was_in = c.prev.as_ref().is_some_and(|p| self.selected(p));
        match (now_in, was_in) {
            (true, false) => Some(self.render("ADDED", &c.obj)),
            (true, true) => Some(self.render("MODIFIED", &c.obj)),
            (false, true) if c.kind == EventType::Deleted => Some(self.render("DELETED", &c.obj)),
            (false, true) => {
                let prev = c.prev.as_ref()?.with_resource_version(c.rv);
                Some(self.render("DELETED", &prev))
            }
            (false, false) => None,
        }
    }

    fn bookmark(&self, rv: u64, initial_end: bool) -> Bytes {
        let r = &RESOURCES[self.res];
        let mut meta = format!("{{\"resourceVersion\":\"{rv}\"");
        if initial_end {
            meta.push_str(",\"annotations\":{\"k8s.io/initial-events-end\":\"true\"}");
        }
        meta.push('}');
        let object = match self.format {
            // An empty object of the kind with only its resourceVersion set,
            // serialized as Go does (a Pod's zero spec and status show).
            Format::Json => format!(
                "{{\"kind\":\"{}\",\"apiVersion\":\"{}\",\"metadata\":{meta}{}}}",
                r.kind,
                r.api_version(),
                if r.kind == "Pod" {
                    ",\"spec\":{\"containers\":null},\"status\":{}"
                } else {
                    ""
                }
            ),
            Format::Metadata => format!(
                "{{\"kind\":\"PartialObjectMetadata\",\"apiVersion\":\"meta.k8s.io/v1\",\"metadata\":{meta}}}"
            ),
            Format::Table(_) => format!(
                "{{\"kind\":\"Table\",\"apiVersion\":\"meta.k8s.io/v1\",\"metadata\":{meta},\"columnDefinitions\":null,\"rows\":null}}"
            ),
        };
        event_line("BOOKMARK", object.as_bytes())
    }
}

/// One line of a watch stream: `{"type":TYPE,"object":OBJECT}\n`.
fn event_line(kind: &str, object: &[u8]) -> Bytes {
    let mut b = Vec::with_capacity(object.len() + kind.len() + 24);
    b.extend_from_slice(b"{\"type\":\"");
    b.extend_from_slice(kind.as_bytes());
    b.extend_from_slice(b"\",\"object\":");
    b.extend_from_slice(object);
    b.extend_from_slice(b"}\n");
    Bytes::from(b)
}

/// A `field.Error` of ListOptions validation: (field, type, body).
type FieldError = (&'static str, &'static str, String);

/// The API server's validation of list and watch options
/// (ValidateListOptions, with the WatchList feature on as in 1.32+), as the
/// 422 Invalid it answers.
fn validate_list_options(params: &Params, watch: bool) -> Result<(), Response> {
    const NOT_OLDER: &str = "NotOlderThan";
    let get = |k: &str| params.get(k).map(String::as_str);
    let mut errs: Vec<FieldError> = Vec::new();
    let forbidden = |field, msg: &str| (field, "FieldValueForbidden", format!("Forbidden: {msg}"));
    let rv_match = get("resourceVersionMatch").unwrap_or_default();
    let send_initial = get("sendInitialEvents");
    let has_continue = get("continue").is_some_and(|c| !c.is_empty());
    if watch {
        if send_initial.is_some() && rv_match != NOT_OLDER {
            errs.push(forbidden(
                "resourceVersionMatch",
                "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
            ));
        }
        if !rv_match.is_empty() {
            if send_initial.is_none() {
                errs.push(forbidden(
                    "resourceVersionMatch",
                    "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided",
                ));
            }
            if rv_match != NOT_OLDER {
                errs.push((
                    "resourceVersionMatch",
                    "FieldValueNotSupported",
                    format!("Unsupported value: \"{rv_match}\": supported values: \"{NOT_OLDER}\""),
                ));
            }
            if has_continue {
                errs.push(forbidden(
                    "resourceVersionMatch",
                    "resourceVersionMatch is forbidden when continue is provided",
                ));
            }
        }
    } else {
        if !rv_match.is_empty() {
            let rv = get("resourceVersion").unwrap_or_default();
            if rv.is_empty() {
                errs.push(forbidden(
                    "resourceVersionMatch",
                    "resourceVersionMatch is forbidden unless resourceVersion is provided",
                ));
            }
            if has_continue {
                errs.push(forbidden(
                    "resourceVersionMatch",
                    "resourceVersionMatch is forbidden when continue is provided",
                ));
            }
            match rv_match {
                "Exact" if rv == "0" => errs.push(forbidden(
                    "resourceVersionMatch",
                    "resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\"",
                )),
                "Exact" | NOT_OLDER => {}
                other => errs.push((
                    "resourceVersionMatch",
                    "FieldValueNotSupported",
                    format!(
                        "Unsupported value: \"{other}\": supported values: \"Exact\", \"{NOT_OLDER}\", \"\""
                    ),
                )),
            }
        }
        if send_initial.is_some() {
            errs.push(forbidden(
                "sendInitialEvents",
                "sendInitialEvents is forbidden for list",
            ));
        }
    }
    if errs.is_empty() {
        return Ok(());
    }
    let parts: Vec<String> = errs.iter().map(|(f, _, b)| format!("{f}: {b}")).collect();
    let agg = if parts.len() == 1 {
        parts[0].clone()
    } else {
        format!("[{}]", parts.join(", "))
    };
    let causes: Vec<Value> = errs
        .iter()
        .map(|(f, t, b)| json!({"reason": t, "message": b, "field": f}))
        .collect();
    Err(status::status(
        422,
        "Invalid",
        &format!("ListOptions.meta.k8s.io \"\" is invalid: {agg}"),
        Some(json!({"group": "meta.k8s.io", "kind": "ListOptions", "causes": causes})),
    ))
}

/// When the watch cache would send the next bookmark: about every
/// `every`, and once 2 s before the watch times out, never after that.
fn next_bookmark(
    now: tokio::time::Instant,
    every: Duration,
    deadline: tokio::time::Instant,
) -> Option<tokio::time::Instant> {
    let heartbeat = now + every;
    let next = match deadline.checked_sub(Duration::from_secs(2)) {
        Some(pre) if pre < heartbeat => pre,
        _ => heartbeat,
    };
    (next > now).then_some(next)
}

pub(super) fn watch(
    st: &Arc<ApiState>,
    t: &Target,
    headers: &HeaderMap,
    params: &Params,
) -> Response {
    if let Err(r) = validate_list_options(params, true) {
        return r;
    }
    let filter = match Filter::parse(t, params) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let rv_param = params.get("resourceVersion").cloned().unwrap_or_default();
    let send_initial = params
        .contains_key("sendInitialEvents")
        .then(|| super::query_bool(params, "sendInitialEvents"));
    let bookmarks = super::query_bool(params, "allowWatchBookmarks");
    let since = match rv_param.as_str() {
        "" | "0" => None,
        s => match s.parse::<u64>() {
            Ok(n) => Some(n),
            Err(_) => return status::bad_request(&format!("invalid resource version: {s}")),
        },
    };
    let timeout = match super::query_int(params, "timeoutSeconds") {
        // The server's default: the minimum request timeout (30 min) times
        // a random factor between 1 and 2, so watches do not all end at once.
        Ok(None) | Ok(Some(0)) => Duration::from_secs(1800 + rand::random::<u64>() % 1800),
        Ok(Some(s)) => Duration::from_secs(s.max(0) as u64),
        Err(r) => return r,
    };
    let mut view = WatchView {
        res: t.res_idx,
        namespace: t.namespace.map(str::to_string),
        filter,
        format: format(headers, params),
        sent_columns: false,
    };
    let mut first: Vec<Bytes> = Vec::new();
    // Without a resourceVersion (or with "0") a watch starts with the state
    // as synthetic ADDED events, unless sendInitialEvents=false. With
    // sendInitialEvents=true it always does, whatever the resourceVersion:
    // NotOlderThan is met by the current state.
    let replay_state = send_initial.unwrap_or(since.is_none());
    let (start_rv, mut rx) = if replay_state {
        let ns = t.namespace;
        let (all, rv, rx) = st
            .store
            .snapshot_and_watch(t.res_idx, ns, &|o| view.filter.keep(o));
        for o in &all {
            first.push(view.render("ADDED", o));
        }
        if send_initial == Some(true) && bookmarks {
            first.push(view.bookmark(rv, true));
        }
        (rv, rx)
    } else {
        let from = since;
        match st.store.watch_from(from) {
            Ok((past, rv, rx)) => {
                for c in &past {
                    if let Some(b) = view.change(c) {
                        first.push(b);
                    }
                }
                // A resourceVersion from the future: nothing up to it is
                // sent, as the watch cache's watcher filters.
                (rv.max(from.unwrap_or(0)), rx)
            }
            Err(too_old) => {
                let status = status::status_bytes(410, "Expired", &too_old.to_string(), None);
                return super::stream_response(
                    "application/json",
                    futures::stream::iter([Ok(event_line("ERROR", &status))]),
                );
            }
        }
    };
    let shutdown = st.shutdown.clone();
    let bookmark_every = st.bookmark_interval;
    let cut_after = st.faults.cut_after.filter(|c| *c < timeout);
    let stream = async_stream::stream! {
        for b in first {
            yield Ok::<_, std::io::Error>(b);
        }
        let started = tokio::time::Instant::now();
        let deadline = started + timeout;
        let cut = cut_after.map(|c| started + c);
        let mut last_rv = start_rv;
        let mut next_bm = if bookmarks { next_bookmark(started, bookmark_every, deadline) } else { None };
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tokio::time::sleep_until(deadline) => break,
                _ = async { match cut { Some(c) => tokio::time::sleep_until(c).await, None => std::future::pending().await } } => {
                    yield Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "injected cut"));
                    break;
                }
                _ = async { match next_bm { Some(b) => tokio::time::sleep_until(b).await, None => std::future::pending().await } } => {
                    yield Ok(view.bookmark(last_rv, false));
                    next_bm = next_bookmark(tokio::time::Instant::now(), bookmark_every, deadline);
                }
                c = rx.recv() => match c {
                    Ok(c) => {
                        if c.rv <= start_rv { continue; }
                        last_rv = c.rv;
                        if let Some(b) = view.change(&c) {
                            yield Ok(b);
                        }
                    }
                    // Too slow to keep up, or the store is gone: end the
                    // watch; the client resumes from its last resourceVersion.
                    Err(_) => break,
                }
            }
        }
    };
    super::stream_response("application/json", stream)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continue_tokens_round_trip() {
        let s = crate::store::Store::new(10);
        let o = s
            .create(json!({"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "cache-pod-0", "namespace": "smf-data"}}))
            .unwrap();
        let tok = encode_continue(1740, &o, false);
        assert_eq!(
            decode_continue(&tok, None, true),
            Some((1740, "smf-data".into(), "cache-pod-0".into()))
        );
        let tok = encode_continue(1740, &o, true);
        assert_eq!(
            decode_continue(&tok, Some("smf-data"), true),
            Some((1740, "smf-data".into(), "cache-pod-0".into()))
        );
        assert_eq!(decode_continue("garbage", None, true), None);
        // The real server's token (a list in smf-data) decodes too.
        let real =
            "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MTc0MCwic3RhcnQiOiJjYWNoZS1wb2QtMFx1MDAwMCJ9";
        assert_eq!(
            decode_continue(real, Some("smf-data"), true),
            Some((1740, "smf-data".into(), "cache-pod-0".into()))
        );
    }
}
