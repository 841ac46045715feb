//! `Status` error bodies with the codes, reasons and messages of the real API
//! server: clients (kubectl, kube-rs) print and branch on them.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};

use crate::resources::Resource;

pub fn status_body(code: u16, reason: &str, message: &str, details: Option<Value>) -> Value {
    let mut v = json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    });
    if let Some(d) = details {
        v["details"] = d;
    }
    v
}

/// The serialized `Status`, with its fields in the real server's order
/// (kind, apiVersion, metadata, status, message, reason, details, code), so
/// that the bytes read like a real answer.
pub fn status_bytes(code: u16, reason: &str, message: &str, details: Option<&Value>) -> Vec<u8> {
    let s = |v: &str| serde_json::to_string(v).unwrap_or_default();
    let mut out = format!(
        "{{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{{}},\"status\":\"Failure\",\"message\":{},\"reason\":{}",
        s(message),
        s(reason)
    );
    if let Some(d) = details {
        out.push_str(",\"details\":");
        out.push_str(&serde_json::to_string(d).unwrap_or_default());
    }
    out.push_str(&format!(",\"code\":{code}}}"));
    out.into_bytes()
}

pub fn status(code: u16, reason: &str, message: &str, details: Option<Value>) -> Response {
    json_response(
        StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        status_bytes(code, reason, message, details.as_ref()),
    )
}

pub fn json_response(code: StatusCode, body: Vec<u8>) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = code;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// `<plural>[.<group>]`, the resource as error messages name it.
pub fn qualified(r: &Resource) -> String {
    if r.group.is_empty() {
        r.plural.to_string()
    } else {
        format!("{}.{}", r.plural, r.group)
    }
}

pub fn not_found(r: &Resource, name: &str) -> Response {
    let mut details = json!({"name": name, "kind": r.plural});
    if !r.group.is_empty() {
        details["group"] = json!(r.group);
    }
    status(
        404,
        "NotFound",
        &format!("{} \"{name}\" not found", qualified(r)),
        Some(details),
    )
}

pub fn bad_request(message: &str) -> Response {
    status(400, "BadRequest", message, None)
}

pub fn method_not_allowed() -> Response {
    status(
        405,
        "MethodNotAllowed",
        "the server does not allow this method on the requested resource",
        Some(json!({})),
    )
}

pub fn unauthorized() -> Response {
    status(401, "Unauthorized", "Unauthorized", None)
}

/// The plain 404 the server's mux gives for a path it does not know.
pub fn page_not_found() -> Response {
    let mut r = Response::new(Body::from("404 page not found\n"));
    *r.status_mut() = StatusCode::NOT_FOUND;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}
